// SPDX-License-Identifier: GPL-2.0
/*
 * refslab: kernel-owned, reference-counted objects for userspace.
 *
 * This file only wires the parts together; each concern has its own file:
 * stats.c (counters, sysfs), object.c (caches, registries, life cycle,
 * pins), ns.c (ids per IPC namespace), quota.c (limits, charged up the
 * user-namespace chain), handle.c (per-file handle tables), objfile.c
 * (objects exported as files), notify.c (release events), debugfs.c and
 * dev.c (the device and its ioctls).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>

#include "debugfs.h"
#include "dev.h"
#include "ns.h"
#include "object.h"
#include "quota.h"
#include "stats.h"
#include "testfault.h"
#include "version.h"

/* What /sys/kernel/refslab/ shows from above the counters. */
static const struct refslab_sysfs_source refslab_sysfs_source = {
	.version = REFSLAB_VERSION,
	.peak_objects = refslab_quota_peak_objects,
	.reclaim_pending_peak = refslab_reclaim_pending_peak,
	.reclaim_pending_peak_reset = refslab_reclaim_pending_peak_reset,
	.class_capacity = refslab_class_capacity,
	.class_object_size = refslab_class_object_size,
};

/*
 * Init builds what userspace can reach only after what it reads: the
 * counters, the caches and the initial namespace's state, then sysfs and
 * debugfs, which read them, and the device last.  Exit takes them down in
 * the opposite order, each view gone (and its readers done) before what it
 * reads.  The module parameters are
 * visible from load to unload, but read and write only static variables.
 */
static int __init refslab_init(void)
{
	int ret;

	ret = refslab_stats_init();
	if (ret)
		return ret;

	ret = refslab_objects_init();
	if (ret)
		goto err_stats_exit;

	ret = refslab_ns_init();
	if (ret)
		goto err_objects_exit;

	ret = refslab_sysfs_init(&refslab_sysfs_source);
	if (ret)
		goto err_objects_exit;

	refslab_debugfs_init();
	ret = refslab_dev_init();
	if (ret)
		goto err_debugfs_exit;

	refslab_fault_at_init();
	pr_info("version %s loaded\n", REFSLAB_VERSION);
	return 0;

err_debugfs_exit:
	refslab_debugfs_exit();
	refslab_sysfs_exit();
err_objects_exit:
	refslab_objects_exit();
	refslab_ns_exit();
err_stats_exit:
	refslab_stats_exit();
	return ret;
}

static void __exit refslab_exit(void)
{
	refslab_dev_exit();
	refslab_debugfs_exit();
	refslab_sysfs_exit();
	refslab_objects_exit();
	refslab_ns_exit();
	refslab_stats_exit();
}

module_init(refslab_init);
module_exit(refslab_exit);

MODULE_DESCRIPTION("Kernel-owned, reference-counted objects for userspace");
MODULE_AUTHOR("The refslab developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(REFSLAB_VERSION);

// SPDX-License-Identifier: GPL-2.0
/*
 * refslab statistics: per-CPU event counters, summed on read, and their
 * files in /sys/kernel/refslab/.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/percpu.h>
#include <linux/sysfs.h>

#include <kunit/visibility.h>
#include "stats.h"
#include "version.h"

struct refslab_stats __percpu *refslab_stats;
EXPORT_SYMBOL_IF_KUNIT(refslab_stats);

static struct kobject *refslab_kobj;

/**
 * refslab_stat_read() - sum one counter over every CPU
 * @item: the counter
 *
 * The sum is exact only while nothing counts concurrently; it is meant for
 * reporting, not for decisions.
 *
 * Context: any context.
 * Return: the number of events counted since the module was loaded.
 */
u64 refslab_stat_read(enum refslab_stat_item item)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(refslab_stats, cpu)->item[item];
	return sum;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_stat_read);

static s64 stat_diff(enum refslab_stat_item a, enum refslab_stat_item b)
{
	return (s64)(refslab_stat_read(a) - refslab_stat_read(b));
}

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", REFSLAB_VERSION);
}

static struct kobj_attribute version_attr = __ATTR_RO(version);

/* One read-only file per figure; @expr computes its value. */
#define REFSLAB_STAT_ATTR(_name, _expr)					\
static ssize_t _name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%lld\n", (long long)(_expr));		\
}									\
static struct kobj_attribute _name##_attr = __ATTR_RO(_name)

#define COUNT(item)	refslab_stat_read(REFSLAB_STAT_##item)
#define LIVE(up, down)	stat_diff(REFSLAB_STAT_##up, REFSLAB_STAT_##down)

REFSLAB_STAT_ATTR(objects_live, LIVE(OBJECTS_CREATED, OBJECTS_RELEASED));
REFSLAB_STAT_ATTR(objects_created, COUNT(OBJECTS_CREATED));
REFSLAB_STAT_ATTR(objects_released, COUNT(OBJECTS_RELEASED));
REFSLAB_STAT_ATTR(objects_reclaimed, COUNT(OBJECTS_RECLAIMED));
REFSLAB_STAT_ATTR(reclaim_pending, LIVE(OBJECTS_RELEASED, OBJECTS_RECLAIMED));
REFSLAB_STAT_ATTR(references_live, LIVE(REFS_TAKEN, REFS_DROPPED));
REFSLAB_STAT_ATTR(gets, COUNT(REFS_TAKEN));
REFSLAB_STAT_ATTR(puts, COUNT(REFS_DROPPED));
REFSLAB_STAT_ATTR(handles_live, LIVE(HANDLES_CREATED, HANDLES_DESTROYED));
REFSLAB_STAT_ATTR(open_files, LIVE(FILES_OPENED, FILES_CLOSED));
REFSLAB_STAT_ATTR(payload_bytes,
		  LIVE(PAYLOAD_BYTES_CREATED, PAYLOAD_BYTES_RELEASED));
REFSLAB_STAT_ATTR(quota_denials, COUNT(QUOTA_DENIALS));
REFSLAB_STAT_ATTR(pinned_objects, LIVE(PINS, UNPINS));
REFSLAB_STAT_ATTR(events_delivered, COUNT(EVENTS_QUEUED));
REFSLAB_STAT_ATTR(events_dropped, COUNT(EVENTS_LOST));

static struct attribute *refslab_attrs[] = {
	&version_attr.attr,
	&objects_live_attr.attr,
	&objects_created_attr.attr,
	&objects_released_attr.attr,
	&objects_reclaimed_attr.attr,
	&reclaim_pending_attr.attr,
	&references_live_attr.attr,
	&gets_attr.attr,
	&puts_attr.attr,
	&handles_live_attr.attr,
	&open_files_attr.attr,
	&payload_bytes_attr.attr,
	&quota_denials_attr.attr,
	&pinned_objects_attr.attr,
	&events_delivered_attr.attr,
	&events_dropped_attr.attr,
	NULL,
};

static const struct attribute_group refslab_attr_group = {
	.attrs = refslab_attrs,
};

/**
 * refslab_stats_init() - allocate the counters and create their sysfs files
 *
 * Context: process context, module init.
 * Return: 0 or a negative errno.
 */
int refslab_stats_init(void)
{
	int ret;

	refslab_stats = alloc_percpu(struct refslab_stats);
	if (!refslab_stats)
		return -ENOMEM;

	refslab_kobj = kobject_create_and_add("refslab", kernel_kobj);
	if (!refslab_kobj) {
		ret = -ENOMEM;
		goto err_free_percpu;
	}

	ret = sysfs_create_group(refslab_kobj, &refslab_attr_group);
	if (ret)
		goto err_put_kobj;
	return 0;

err_put_kobj:
	kobject_put(refslab_kobj);
err_free_percpu:
	free_percpu(refslab_stats);
	return ret;
}

/**
 * refslab_stats_exit() - remove the sysfs files and free the counters
 *
 * Context: process context, module exit, after every counting path is gone.
 */
void refslab_stats_exit(void)
{
	sysfs_remove_group(refslab_kobj, &refslab_attr_group);
	kobject_put(refslab_kobj);
	free_percpu(refslab_stats);
}

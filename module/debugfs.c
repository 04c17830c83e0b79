// SPDX-License-Identifier: GPL-2.0
/*
 * refslab debugfs: /sys/kernel/debug/refslab/objects lists every live
 * object, users lists every user's usage against the limits.  For people
 * debugging; not an ABI.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/timekeeping.h>

#include "debugfs.h"
#include "object.h"
#include "quota.h"

static struct dentry *refslab_debugfs_dir;

/*
 * The objects file walks the registry in id order.  The seq_file position
 * is the id of the object shown (0 for the header line), so a read that
 * stops and resumes neither skips nor repeats a live object.  Each object
 * is held by a short-lived reference from start() or next() to next() or
 * stop().
 */
static void *objects_next_from(u64 id, loff_t *pos)
{
	struct refslab_object *obj = refslab_object_find_next(&id);

	*pos = obj ? id : LLONG_MAX;
	return obj;
}

static void *objects_start(struct seq_file *m, loff_t *pos)
{
	if (*pos == LLONG_MAX)
		return NULL;
	if (!*pos)
		return SEQ_START_TOKEN;
	return objects_next_from(*pos, pos);
}

static void *objects_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct refslab_object *obj = v;
	u64 id = 1;

	if (v != SEQ_START_TOKEN) {
		id = obj->id + 1;
		refslab_object_put(obj);
	}
	return objects_next_from(id, pos);
}

static void objects_stop(struct seq_file *m, void *v)
{
	if (v && v != SEQ_START_TOKEN)
		refslab_object_put(v);
}

static int objects_show(struct seq_file *m, void *v)
{
	struct user_namespace *ns = seq_user_ns(m);
	struct refslab_object *obj = v;
	struct refslab_attrs attrs;
	u64 age_ms;

	if (v == SEQ_START_TOKEN) {
		seq_puts(m, "id size refs uid gid mode pinned age_ms\n");
		return 0;
	}
	refslab_object_attrs(obj, &attrs);
	age_ms = div_u64(ktime_get_real_ns() - obj->ctime_ns, NSEC_PER_MSEC);
	/* Not counting the reference this walk holds. */
	seq_printf(m, "%llu %u %d %u %u %04o %d %llu\n", obj->id, obj->size,
		   refcount_read(&obj->ref) - 1,
		   from_kuid_munged(ns, attrs.uid),
		   from_kgid_munged(ns, attrs.gid), attrs.mode,
		   refslab_object_pinned(obj), age_ms);
	return 0;
}

static const struct seq_operations objects_sops = {
	.start = objects_start,
	.next = objects_next,
	.stop = objects_stop,
	.show = objects_show,
};
DEFINE_SEQ_ATTRIBUTE(objects);

static int users_show(struct seq_file *m, void *v)
{
	refslab_quota_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(users);

/**
 * refslab_debugfs_init() - create /sys/kernel/debug/refslab/
 *
 * debugfs is optional: failures leave the files out and are not errors.
 *
 * Context: process context, module init.
 */
void refslab_debugfs_init(void)
{
	refslab_debugfs_dir = debugfs_create_dir("refslab", NULL);
	debugfs_create_file("objects", 0400, refslab_debugfs_dir, NULL,
			    &objects_fops);
	debugfs_create_file("users", 0400, refslab_debugfs_dir, NULL,
			    &users_fops);
}

/**
 * refslab_debugfs_exit() - remove /sys/kernel/debug/refslab/
 *
 * Context: process context, module exit; waits for readers to finish.
 */
void refslab_debugfs_exit(void)
{
	debugfs_remove_recursive(refslab_debugfs_dir);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * refslab debugfs: /sys/kernel/debug/refslab/objects lists every live
 * object of every IPC namespace, users lists what is charged to every user
 * of every user namespace against the limits.  For people
 * debugging; not an ABI.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/timekeeping.h>

#include "debugfs.h"
#include "ns.h"
#include "object.h"
#include "quota.h"

static struct dentry *refslab_debugfs_dir;

/*
 * The objects file walks the namespaces in inode number order and each
 * one's registry in id order.  Where the walk stands is kept with the
 * seq_file, as the namespace and id to go on from, so a read that stops
 * and resumes neither skips nor repeats a live object; a read from another
 * position starts over and counts its way there.  Each object shown is
 * held by a short-lived reference from start() or next() to next() or
 * stop().
 */
struct objects_iter {
	unsigned long inum;
	u64 id;
	loff_t pos;
};

static struct refslab_object *objects_find(struct objects_iter *it)
{
	struct refslab_object *obj;
	struct refslab_ns *rns;

	while ((rns = refslab_ns_get_next(&it->inum))) {
		obj = refslab_object_find_next(rns, &it->id);
		refslab_ns_put(rns);
		if (obj)
			return obj;
		it->inum++;
		it->id = 0;
	}
	return NULL;
}

static void *objects_start(struct seq_file *m, loff_t *pos)
{
	struct objects_iter *it = m->private;
	struct refslab_object *obj = NULL;

	if (!*pos || *pos != it->pos) {
		*it = (struct objects_iter){};
		if (!*pos)
			return SEQ_START_TOKEN;
		while (it->pos < *pos && (obj = objects_find(it))) {
			it->id = obj->id + 1;
			it->pos++;
			refslab_object_put(obj);
		}
		if (it->pos < *pos)
			return NULL;
	}
	return objects_find(it);
}

static void *objects_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct objects_iter *it = m->private;
	struct refslab_object *obj = v;

	if (v != SEQ_START_TOKEN) {
		it->id = obj->id + 1;
		refslab_object_put(obj);
	}
	it->pos = ++*pos;
	return objects_find(it);
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
		seq_puts(m, "id ns size refs uid gid mode pinned age_ms\n");
		return 0;
	}
	refslab_object_attrs(obj, &attrs);
	age_ms = div_u64(ktime_get_real_ns() - obj->ctime_ns, NSEC_PER_MSEC);
	seq_printf(m, "%llu %u %u %u %u %u %04o %d %llu\n", obj->id,
		   obj->ns->inum, obj->size, refslab_object_held(obj),
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

static int objects_open(struct inode *inode, struct file *file)
{
	return seq_open_private(file, &objects_sops,
				sizeof(struct objects_iter));
}

static const struct file_operations objects_fops = {
	.owner = THIS_MODULE,
	.open = objects_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = seq_release_private,
};

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

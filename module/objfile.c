// SPDX-License-Identifier: GPL-2.0
/*
 * refslab object files: an object exported as a file descriptor.
 *
 * The file holds one reference to its object and the rights it was
 * exported with.  It carries no operations of its own: whoever holds it
 * turns it into a handle with IMPORT.  Its file_operations pin the module,
 * so refslab cannot be unloaded while one exists anywhere, in a process or
 * in flight on a socket.  The handle it was exported from keeps it too
 * (handle.c), for the next EXPORT with the same rights; that reference is
 * dropped when the handle goes, so a kept file never outlives its device
 * file unless a descriptor of it is still open somewhere.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <uapi/linux/refslab.h>

#include "object.h"
#include "objfile.h"
#include "stats.h"

struct refslab_objfile {
	struct refslab_object *obj;
	u32 rights;
};

static int refslab_objfile_release(struct inode *inode, struct file *file)
{
	struct refslab_objfile *of = file->private_data;

	refslab_stat_inc(REFSLAB_STAT_REFS_DROPPED);
	refslab_object_holder_put(of->obj, 1);
	kfree(of);
	refslab_stat_inc(REFSLAB_STAT_OBJFILES_RELEASED);
	return 0;
}

static void refslab_objfile_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct refslab_objfile *of = file->private_data;
	struct refslab_object *obj = of->obj;

	/* The id as the reader may name it: 0 from another IPC namespace. */
	seq_printf(m, "refslab-id:\t%llu\n", refslab_object_visible_id(obj));
	seq_printf(m, "refslab-size:\t%u\n", obj->size);
	seq_printf(m, "refslab-references:\t%u\n", refslab_object_held(obj));
	seq_printf(m, "refslab-rights:\t%s%s\n",
		   of->rights & REFSLAB_RIGHT_READ ? "r" : "-",
		   of->rights & REFSLAB_RIGHT_WRITE ? "w" : "-");
}

static const struct file_operations refslab_objfile_fops = {
	.owner = THIS_MODULE,
	.release = refslab_objfile_release,
	.show_fdinfo = refslab_objfile_show_fdinfo,
};

/**
 * refslab_objfile_create() - make a file that holds an object
 * @obj: the object; the file takes over one held reference the caller owns
 * @rights: REFSLAB_RIGHT_* bits the file carries
 * @flags: O_ flags of the file (O_CLOEXEC is for the descriptor, not here)
 *
 * On success the reference belongs to the file: it is dropped by the
 * file's release, also when the caller drops the file with fput() because
 * installing its descriptor failed.  On failure the caller still owns it.
 *
 * Context: process context; may sleep.
 * Return: the file, or an ERR_PTR().
 */
struct file *refslab_objfile_create(struct refslab_object *obj, u32 rights,
				    int flags)
{
	struct refslab_objfile *of;
	struct file *file;

	of = kzalloc(sizeof(*of), REFSLAB_GFP);
	if (!of)
		return ERR_PTR(-ENOMEM);
	of->obj = obj;
	of->rights = rights;

	file = anon_inode_getfile("[refslab]", &refslab_objfile_fops, of,
				  O_RDWR | flags);
	if (IS_ERR(file)) {
		kfree(of);
		return file;
	}
	refslab_stat_inc(REFSLAB_STAT_REFS_TAKEN);
	refslab_stat_inc(REFSLAB_STAT_OBJFILES_CREATED);
	return file;
}

/**
 * refslab_objfile_get_object() - the object behind an exported file
 * @fd: a file descriptor of the calling process
 * @rights: set to the rights the file carries
 *
 * Context: process context.
 * Return: the object with a new short-lived reference, or ERR_PTR(-EBADF)
 * if @fd is not an open refslab object file.
 */
struct refslab_object *refslab_objfile_get_object(int fd, u32 *rights)
{
	struct refslab_object *obj = ERR_PTR(-EBADF);
	struct refslab_objfile *of;
	struct file *file;

	file = fget(fd);
	if (!file)
		return obj;
	if (file->f_op == &refslab_objfile_fops) {
		of = file->private_data;
		/* The file's own reference keeps the count above zero. */
		if (refslab_object_get_unless_zero(of->obj))
			obj = of->obj;
		*rights = of->rights;
	}
	fput(file);
	return obj;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/refslab: the misc device, its file operations and the ioctls.
 *
 * Every ioctl argument starts with its own size.  The dispatcher reads it,
 * checks it against the command's smallest known version, and copies the
 * structure in with copy_struct_from_user(), which zero-fills what an older
 * caller did not send and refuses a newer caller's non-zero tail.  Handlers
 * then work on the kernel copy and answer with refslab_ucmd_respond().
 *
 * A handler that creates a handle reserves it, answers the caller, and
 * only then publishes it: once published, another thread may put it, so
 * nothing that can fail may come after.
 *
 * Handles work wherever the file goes; ids are names in the calling task's
 * IPC namespace, looked up afresh by every command that takes one.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fault-inject-usercopy.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/stat.h>
#include <linux/uaccess.h>
#include <uapi/linux/refslab.h>

#include "batch.h"
#include "dev.h"
#include "handle.h"
#include "notify.h"
#include "ns.h"
#include "object.h"
#include "objfile.h"
#include "stats.h"
#include "testfault.h"

struct refslab_ucmd {
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

union refslab_ucmd_buffer {
	struct refslab_version version;
	struct refslab_create create;
	struct refslab_ref ref;
	struct refslab_dup dup;
	struct refslab_info info;
	struct refslab_rw rw;
	struct refslab_export export;
	struct refslab_import import;
	struct refslab_open open;
	struct refslab_setattr setattr;
	struct refslab_pin pin;
	struct refslab_list list;
	struct refslab_subscribe subscribe;
	struct refslab_batch batch;
};

/*
 * A caller of this version passes structures of exactly the kernel's size,
 * a multiple of 8 bytes (16 to 72).  Such a structure is copied in and out
 * a word at a time within one user-access window: a few moves, where
 * copy_{from,to}_user() would make a call and a string move of one step
 * per byte.  Like them these honour fail_usercopy, and a fault in the
 * middle may leave part of the copy done.
 */
static int refslab_copy_words_to(void __user *dst, const void *src,
				 size_t len)
{
	const u64 *from = src;
	u64 __user *to = dst;
	size_t i;

	might_fault();
	if (len % sizeof(u64))
		return copy_to_user(dst, src, len) ? -EFAULT : 0;
	if (should_fail_usercopy() || !user_write_access_begin(dst, len))
		return -EFAULT;
	for (i = 0; i < len / sizeof(u64); i++)
		unsafe_put_user(from[i], &to[i], efault);
	user_write_access_end();
	return 0;

efault:
	user_write_access_end();
	return -EFAULT;
}

/*
 * Copy the answer out, as much of it as the caller's structure holds.  An
 * inline batch operation has no user structure (@ubuffer is NULL): its
 * answer stays in the kernel copy, which the batch writes back in bulk.
 */
static int refslab_ucmd_respond(struct refslab_ucmd *ucmd, size_t len)
{
	if (!ucmd->ubuffer)
		return 0;
	return refslab_copy_words_to(ucmd->ubuffer, ucmd->cmd,
				     min_t(size_t, ucmd->user_size, len));
}

/*
 * Commands whose output is known only once they have taken effect answer
 * twice: refslab_ucmd_respond() (or this, for a single output field)
 * before, which proves the structure can be written, then this for the
 * one field that changed.  The field lies within
 * the command's first version, so every caller's structure has it, and
 * put_user() can then fail only if the caller unmapped it meanwhile.
 */
static int refslab_ucmd_set_u32(struct refslab_ucmd *ucmd, size_t offset,
				u32 val)
{
	if (!ucmd->ubuffer)
		return 0;
	return put_user(val, (u32 __user *)((u8 __user *)ucmd->ubuffer + offset));
}

static int refslab_ucmd_set_u64(struct refslab_ucmd *ucmd, size_t offset,
				u64 val)
{
	if (!ucmd->ubuffer)
		return 0;
	return put_user(val, (u64 __user *)((u8 __user *)ucmd->ubuffer + offset));
}

/*
 * The caller's namespace state (made if @create and there is none yet),
 * as refslab_ns_get_current() gives it, until refslab_file_ns_put().  The
 * file keeps the state of the first namespace a command needed one in
 * through it, until it is released; a caller in that namespace uses it as
 * it is, and only a caller elsewhere looks its own up.
 */
static struct refslab_ns *refslab_file_ns(struct refslab_file *rf,
					  bool create)
{
	struct refslab_ns *rns = READ_ONCE(rf->ns), *old;

	if (rns && refslab_ns_is_current(rns))
		return rns;
	rns = refslab_ns_get_current(create);
	if (IS_ERR_OR_NULL(rns))
		return rns;
	/* The file's first (@old NULL): it takes this reference over. */
	old = READ_ONCE(rf->ns);
	if (!old)
		old = cmpxchg(&rf->ns, NULL, rns);
	/* Another task of this namespace was first: the file holds it. */
	if (old == rns)
		refslab_ns_put(rns);
	return rns;
}

/* Done with what refslab_file_ns() gave: only a lookup's is dropped. */
static void refslab_file_ns_put(struct refslab_file *rf,
				struct refslab_ns *rns)
{
	if (rns != READ_ONCE(rf->ns))
		refslab_ns_put(rns);
}

static int refslab_ioc_version(struct refslab_file *rf,
			       struct refslab_ucmd *ucmd)
{
	struct refslab_version *cmd = ucmd->cmd;

	if (cmd->flags)
		return -EINVAL;

	cmd->abi_major = REFSLAB_ABI_MAJOR;
	cmd->abi_minor = REFSLAB_ABI_MINOR;
	cmd->features = REFSLAB_FEATURE_CORE | REFSLAB_FEATURE_SHARE |
			REFSLAB_FEATURE_PIN | REFSLAB_FEATURE_NOTIFY |
			REFSLAB_FEATURE_BATCH | REFSLAB_FEATURE_NS;
	cmd->payload_max = REFSLAB_PAYLOAD_MAX;
	cmd->handle_refs_max = REFSLAB_HANDLE_REFS_MAX;
	cmd->object_refs_max = REFSLAB_OBJECT_REFS_MAX;
	cmd->nr_classes = REFSLAB_NR_CLASSES;
	cmd->file_handles_max = REFSLAB_FILE_HANDLES_MAX;
	cmd->batch_max = REFSLAB_BATCH_MAX;
	return refslab_ucmd_respond(ucmd, sizeof(*cmd));
}

/*
 * The checks of CREATE's arguments, however they came: @has_mode says
 * whether @mode was given.  Return: the object's mode, or -EINVAL.
 */
static int create_check(bool has_mode, u32 mode, u32 payload_size, u64 data,
			u32 data_len)
{
	if (has_mode ? mode & ~0777U : mode)
		return -EINVAL;
	if (!payload_size || payload_size > REFSLAB_PAYLOAD_MAX ||
	    data_len > payload_size || (!data && data_len))
		return -EINVAL;
	return has_mode ? mode : 0600;
}

static int refslab_ioc_create(struct refslab_file *rf,
			      struct refslab_ucmd *ucmd)
{
	struct refslab_create *cmd = ucmd->cmd;
	struct refslab_object *obj;
	struct refslab_ns *rns;
	umode_t mode;
	u32 hid;
	int ret;

	if (cmd->flags & ~REFSLAB_CREATE_ALL)
		return -EINVAL;
	ret = create_check(cmd->flags & REFSLAB_CREATE_MODE, cmd->mode,
			   cmd->payload_size, cmd->data, cmd->data_len);
	if (ret < 0)
		return ret;
	mode = ret;

	rns = refslab_file_ns(rf, true);
	if (IS_ERR(rns))
		return PTR_ERR(rns);
	obj = refslab_object_alloc(rns, cmd->payload_size, mode);
	if (IS_ERR(obj)) {
		ret = PTR_ERR(obj);
		goto out_put_ns;
	}

	if (cmd->data_len &&
	    copy_from_user(obj->payload, u64_to_user_ptr(cmd->data),
			   cmd->data_len)) {
		ret = -EFAULT;
		goto err_abort_object;
	}

	ret = refslab_handle_reserve(&rf->handles, &hid);
	if (ret)
		goto err_abort_object;

	cmd->handle = hid;
	cmd->id = obj->id;
	ret = refslab_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret)
		goto err_abort_handle;

	refslab_object_publish(obj);
	refslab_handle_publish(&rf->handles, hid, obj, REFSLAB_RIGHTS_ALL);
	atomic_long_inc(&rf->created);
	refslab_file_ns_put(rf, rns);
	return 0;

err_abort_handle:
	refslab_handle_abort(&rf->handles, hid);
err_abort_object:
	refslab_object_abort(obj);
out_put_ns:
	refslab_file_ns_put(rf, rns);
	return ret;
}

/* GET or PUT once its structure is read and checked, however it came. */
static int refslab_ref_apply(struct refslab_file *rf, bool get, u32 hid,
			     u32 count, u32 *refs)
{
	if (get)
		return refslab_handle_get(&rf->handles, hid, count, refs);
	return refslab_handle_put(&rf->handles, hid, count, refs);
}

static int refslab_ioc_ref(struct refslab_file *rf, struct refslab_ucmd *ucmd,
			   bool get)
{
	struct refslab_ref *cmd = ucmd->cmd;
	int ret;

	if (cmd->flags || cmd->__reserved || !cmd->count)
		return -EINVAL;

	/* Their only output: proving it writable proves the answer can be given. */
	ret = refslab_ucmd_set_u32(ucmd, offsetof(struct refslab_ref, refs), 0);
	if (ret)
		return ret;
	ret = refslab_ref_apply(rf, get, cmd->handle, cmd->count, &cmd->refs);
	if (ret)
		return ret;
	return refslab_ucmd_set_u32(ucmd, offsetof(struct refslab_ref, refs),
				    cmd->refs);
}

static int refslab_ioc_get(struct refslab_file *rf, struct refslab_ucmd *ucmd)
{
	return refslab_ioc_ref(rf, ucmd, true);
}

static int refslab_ioc_put(struct refslab_file *rf, struct refslab_ucmd *ucmd)
{
	return refslab_ioc_ref(rf, ucmd, false);
}

static int refslab_run(struct refslab_file *rf, unsigned int nr,
		       void __user *arg);

static_assert(sizeof(struct refslab_ref) == 3 * sizeof(u64));

/*
 * The ioctls GET and PUT, the hottest commands, with a structure of this
 * version's size: read in one user-access window, which also writes the
 * answer's word back as it was read, proving that the answer can be given
 * before the command takes effect.  The checks are refslab_run()'s and
 * refslab_ioc_ref()'s.  A structure of another size, or one that cannot
 * be read and written as a whole, goes to refslab_run() like any other
 * command.  Out of line, so that the other commands' path does not pay
 * for its frame.
 */
static noinline int refslab_ref_ioctl(struct refslab_file *rf,
				      unsigned int nr,
				      struct refslab_ref __user *uref)
{
	const u64 __user *from = (const u64 __user *)uref;
	struct refslab_ref cmd;
	u64 *to = (u64 *)&cmd;
	int ret;

	refslab_fault_race();
	might_fault();
	if (should_fail_usercopy())
		return -EFAULT;
	if (!user_access_begin(uref, sizeof(cmd)))
		goto common;
	/* A word at a time; nothing past the caller's size is touched. */
	unsafe_get_user(to[0], &from[0], fallback);
	if (cmd.size != sizeof(cmd))
		goto fallback;
	unsafe_get_user(to[1], &from[1], fallback);
	unsafe_get_user(to[2], &from[2], fallback);
	unsafe_put_user(cmd.refs, &uref->refs, fallback);
	user_access_end();

	if (cmd.flags || cmd.__reserved)
		return -EINVAL;
	ret = refslab_ref_apply(rf, nr == REFSLAB_CMD_GET, cmd.handle,
				cmd.count, &cmd.refs);
	if (ret)
		return ret;
	return put_user(cmd.refs, &uref->refs);

fallback:
	user_access_end();
common:
	/* Then it finds out why, and gives the errno it always gives. */
	return refslab_run(rf, nr, uref);
}

/*
 * Give @obj a new handle with @rights, answer the caller with its number
 * in *@hid (part of the command structure), and only then publish it.
 * Consumes one held reference the caller owns, also on failure.
 */
static int refslab_new_handle(struct refslab_file *rf,
			      struct refslab_ucmd *ucmd, size_t len,
			      struct refslab_object *obj, u32 rights, u32 *hid)
{
	int ret;

	ret = refslab_handle_reserve(&rf->handles, hid);
	if (ret)
		goto err_put;
	ret = refslab_ucmd_respond(ucmd, len);
	if (ret)
		goto err_abort_handle;

	refslab_handle_publish(&rf->handles, *hid, obj, rights);
	return 0;

err_abort_handle:
	refslab_handle_abort(&rf->handles, *hid);
err_put:
	if (!refslab_fault_skip_put())
		refslab_object_holder_put(obj, 1);
	return ret;
}

/*
 * Turn the short-lived reference of a lookup into a held one, within the
 * object's reference cap.  Drops the short-lived reference either way.
 */
static int refslab_keep_ref(struct refslab_object *obj)
{
	int ret = refslab_object_holder_add(obj, 1);

	refslab_object_put(obj);
	return ret;
}

static int refslab_ioc_dup(struct refslab_file *rf, struct refslab_ucmd *ucmd)
{
	struct refslab_dup *cmd = ucmd->cmd;
	struct refslab_handle_state state;
	struct refslab_object *obj;
	int ret;

	if (cmd->flags)
		return -EINVAL;

	obj = refslab_handle_lookup(&rf->handles, cmd->handle, 0, &state);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	ret = refslab_keep_ref(obj);
	if (ret)
		return ret;
	return refslab_new_handle(rf, ucmd, sizeof(*cmd), obj, state.rights,
				  &cmd->new_handle);
}

static int refslab_ioc_info(struct refslab_file *rf, struct refslab_ucmd *ucmd)
{
	struct refslab_info *cmd = ucmd->cmd;
	struct user_namespace *ns = current_user_ns();
	struct refslab_handle_state state;
	struct refslab_object *obj;
	struct refslab_attrs attrs;

	if (cmd->flags)
		return -EINVAL;

	obj = refslab_handle_lookup(&rf->handles, cmd->handle, 0, &state);
	if (IS_ERR(obj))
		return PTR_ERR(obj);

	refslab_object_attrs(obj, &attrs);
	cmd->payload_size = obj->size;
	cmd->id = refslab_object_visible_id(obj);
	cmd->capacity = refslab_object_capacity(obj);
	cmd->mode = attrs.mode;
	cmd->uid = from_kuid_munged(ns, attrs.uid);
	cmd->gid = from_kgid_munged(ns, attrs.gid);
	cmd->object_refs = refslab_object_held(obj);
	cmd->handle_refs = state.refs;
	cmd->rights = state.rights;
	cmd->state = (refslab_object_pinned(obj) ? REFSLAB_INFO_PINNED : 0) |
		     (cmd->id ? 0 : REFSLAB_INFO_FOREIGN);
	cmd->generation = refslab_object_generation(obj);
	cmd->ctime_ns = obj->ctime_ns;
	refslab_object_put(obj);

	return refslab_ucmd_respond(ucmd, sizeof(*cmd));
}

/*
 * READ and WRITE copy through a kernel buffer, so that the payload is only
 * ever touched with the object's sequence lock in force.  Small transfers,
 * the common case, use the stack.
 */
#define REFSLAB_STACK_BUF	128

static void *rw_buffer(u8 *stack_buf, u32 length)
{
	if (length <= REFSLAB_STACK_BUF)
		return stack_buf;
	return kmalloc(length, GFP_KERNEL);
}

static void rw_buffer_free(void *buf, u8 *stack_buf)
{
	if (buf != stack_buf)
		kfree(buf);
}

static int rw_check(const struct refslab_rw *cmd, u32 flags_allowed)
{
	if (cmd->flags & ~flags_allowed || cmd->__reserved)
		return -EINVAL;
	if (!cmd->length || cmd->length > REFSLAB_PAYLOAD_MAX ||
	    cmd->offset > REFSLAB_PAYLOAD_MAX - cmd->length)
		return -EINVAL;
	return 0;
}

static bool rw_in_payload(const struct refslab_rw *cmd,
			  const struct refslab_object *obj)
{
	return cmd->offset + cmd->length <= obj->size;
}

static int refslab_ioc_read(struct refslab_file *rf, struct refslab_ucmd *ucmd)
{
	struct refslab_rw *cmd = ucmd->cmd;
	u8 stack_buf[REFSLAB_STACK_BUF];
	struct refslab_object *obj;
	void *buf;
	int ret;

	ret = rw_check(cmd, 0);
	if (ret)
		return ret;

	obj = refslab_handle_lookup(&rf->handles, cmd->handle,
				    REFSLAB_RIGHT_READ, NULL);
	if (IS_ERR(obj))
		return PTR_ERR(obj);

	if (!rw_in_payload(cmd, obj)) {
		ret = -EINVAL;
		goto out_put;
	}
	buf = rw_buffer(stack_buf, cmd->length);
	if (!buf) {
		ret = -ENOMEM;
		goto out_put;
	}
	refslab_object_read(obj, cmd->offset, cmd->length, buf,
			    &cmd->generation);
	refslab_object_put(obj);
	obj = NULL;

	if (copy_to_user(u64_to_user_ptr(cmd->buf), buf, cmd->length))
		ret = -EFAULT;
	rw_buffer_free(buf, stack_buf);
	if (ret)
		return ret;
	return refslab_ucmd_respond(ucmd, sizeof(*cmd));

out_put:
	refslab_object_put(obj);
	return ret;
}

static int refslab_ioc_write(struct refslab_file *rf,
			     struct refslab_ucmd *ucmd)
{
	struct refslab_rw *cmd = ucmd->cmd;
	u8 stack_buf[REFSLAB_STACK_BUF];
	struct refslab_object *obj;
	void *buf;
	int ret;

	ret = rw_check(cmd, REFSLAB_WRITE_ALL);
	if (ret)
		return ret;

	buf = rw_buffer(stack_buf, cmd->length);
	if (!buf)
		return -ENOMEM;
	if (copy_from_user(buf, u64_to_user_ptr(cmd->buf), cmd->length)) {
		ret = -EFAULT;
		goto out_free;
	}

	obj = refslab_handle_lookup(&rf->handles, cmd->handle,
				    REFSLAB_RIGHT_WRITE, NULL);
	if (IS_ERR(obj)) {
		ret = PTR_ERR(obj);
		goto out_free;
	}
	ret = -EINVAL;
	if (rw_in_payload(cmd, obj))
		ret = refslab_ucmd_respond(ucmd, sizeof(*cmd));
	if (!ret)
		ret = refslab_object_write(obj, cmd->offset, cmd->length, buf,
					   cmd->flags & REFSLAB_WRITE_IF_GENERATION,
					   &cmd->generation);
	refslab_object_put(obj);
	/* A failed conditional write still reports the current generation. */
	if ((!ret || ret == -ESTALE) &&
	    refslab_ucmd_set_u64(ucmd, offsetof(struct refslab_rw, generation),
				 cmd->generation))
		ret = -EFAULT;
out_free:
	rw_buffer_free(buf, stack_buf);
	return ret;
}

/*
 * EXPORT gives a new descriptor of the object file the handle keeps when
 * that file carries the rights asked for: no new file and no new object
 * reference, and closing the descriptor is not the file's last put.
 * Otherwise it makes a new file, which the handle then keeps in place of
 * the one it kept before.  Either way the descriptor is installed last,
 * after everything that can fail.
 */
static int refslab_ioc_export(struct refslab_file *rf,
			      struct refslab_ucmd *ucmd)
{
	struct refslab_export *cmd = ucmd->cmd;
	struct refslab_object *obj;
	struct file *file;
	u32 rights = 0;
	int fd, ret;

	if (cmd->flags & ~REFSLAB_EXPORT_ALL || cmd->__reserved)
		return -EINVAL;
	if (cmd->flags & REFSLAB_EXPORT_RIGHTS) {
		if (!cmd->rights || cmd->rights & ~REFSLAB_RIGHTS_ALL)
			return -EINVAL;
		rights = cmd->rights;
	} else if (cmd->rights) {
		return -EINVAL;
	}

	ret = refslab_handle_export_find(&rf->handles, cmd->handle, &rights,
					 &file, &obj);
	if (ret)
		return ret;
	if (obj) {
		ret = refslab_keep_ref(obj);
		if (ret)
			return ret;
	}

	fd = get_unused_fd_flags(cmd->flags & REFSLAB_EXPORT_KEEP_ON_EXEC ?
				 0 : O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err_put;
	}
	if (obj) {
		file = refslab_objfile_create(obj, rights, 0);
		if (IS_ERR(file)) {
			ret = PTR_ERR(file);
			file = NULL;
			goto err_put_fd;
		}
	}

	cmd->fd = fd;
	ret = refslab_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret)
		goto err_put_fd;
	if (obj)
		refslab_handle_export_keep(&rf->handles, cmd->handle, obj, file,
					   rights);
	else
		refslab_stat_inc(REFSLAB_STAT_EXPORTS_REUSED);
	fd_install(fd, file);
	return 0;

err_put_fd:
	put_unused_fd(fd);
err_put:
	/* A new file owns the object reference: its release drops it. */
	if (file)
		fput(file);
	else if (obj)
		refslab_object_holder_put(obj, 1);
	return ret;
}

static int refslab_ioc_import(struct refslab_file *rf,
			      struct refslab_ucmd *ucmd)
{
	struct refslab_import *cmd = ucmd->cmd;
	struct refslab_object *obj;
	u32 rights;
	int ret;

	if (cmd->flags)
		return -EINVAL;

	obj = refslab_objfile_get_object(cmd->fd, &rights);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	ret = refslab_keep_ref(obj);
	if (ret)
		return ret;
	return refslab_new_handle(rf, ucmd, sizeof(*cmd), obj, rights,
				  &cmd->handle);
}

/*
 * The namespace an id-keyed command names: the caller's, or with @named
 * the one whose inode number is @inum, for the initial namespace's
 * administrator only.  NULL if it has no refslab state.
 */
static struct refslab_ns *refslab_ns_of(bool named, u64 inum, int *err)
{
	if (named && !capable(CAP_SYS_ADMIN)) {
		*err = -EPERM;
		return NULL;
	}
	*err = -ENOENT;
	return named ? refslab_ns_get_by_inum(inum) :
		       refslab_ns_get_current(false);
}

/*
 * A short-lived reference to object @id of the caller's namespace.  Inline:
 * as a call of its own it cost OPEN by id 16 instructions more (the gate,
 * 2507 against 2491).
 */
static __always_inline struct refslab_object *
refslab_lookup_current(struct refslab_file *rf, u64 id)
{
	struct refslab_object *obj;
	struct refslab_ns *rns;

	rns = refslab_file_ns(rf, false);
	if (!rns)
		return NULL;
	obj = refslab_object_lookup(rns, id);
	refslab_file_ns_put(rf, rns);
	return obj;
}

static int refslab_ioc_open(struct refslab_file *rf, struct refslab_ucmd *ucmd)
{
	struct refslab_open *cmd = ucmd->cmd;
	struct refslab_object *obj;
	int ret;

	if (cmd->flags || cmd->rights & ~REFSLAB_RIGHTS_ALL)
		return -EINVAL;

	obj = refslab_lookup_current(rf, cmd->id);
	if (!obj)
		return -ENOENT;
	ret = refslab_object_permission(obj, cmd->rights);
	if (ret) {
		refslab_object_put(obj);
		return ret;
	}
	ret = refslab_keep_ref(obj);
	if (ret)
		return ret;
	return refslab_new_handle(rf, ucmd, sizeof(*cmd), obj, cmd->rights,
				  &cmd->handle);
}

static int refslab_ioc_setattr(struct refslab_file *rf,
			       struct refslab_ucmd *ucmd)
{
	struct refslab_setattr *cmd = ucmd->cmd;
	struct user_namespace *ns = current_user_ns();
	struct refslab_object *obj;
	kuid_t uid = INVALID_UID;
	kgid_t gid = INVALID_GID;
	int ret;

	if (!cmd->flags || cmd->flags & ~REFSLAB_SETATTR_ALL)
		return -EINVAL;
	if ((cmd->flags & REFSLAB_SETATTR_MODE) ? cmd->mode & ~0777U : cmd->mode)
		return -EINVAL;
	if (cmd->flags & REFSLAB_SETATTR_UID) {
		uid = make_kuid(ns, cmd->uid);
		if (!uid_valid(uid))
			return -EINVAL;
	} else if (cmd->uid) {
		return -EINVAL;
	}
	if (cmd->flags & REFSLAB_SETATTR_GID) {
		gid = make_kgid(ns, cmd->gid);
		if (!gid_valid(gid))
			return -EINVAL;
	} else if (cmd->gid) {
		return -EINVAL;
	}

	obj = refslab_handle_lookup(&rf->handles, cmd->handle, 0, NULL);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	ret = refslab_object_setattr(obj, cmd->flags, cmd->mode, uid, gid);
	refslab_object_put(obj);
	return ret;
}

static int refslab_ioc_pin_unpin(struct refslab_ucmd *ucmd, bool pin)
{
	struct refslab_pin *cmd = ucmd->cmd;
	struct refslab_ns *rns;
	bool named;
	int ret;

	if (cmd->flags & ~REFSLAB_PIN_ALL)
		return -EINVAL;
	named = cmd->flags & REFSLAB_PIN_NS;
	if (!named && cmd->ns)
		return -EINVAL;
	rns = refslab_ns_of(named, cmd->ns, &ret);
	if (!rns)
		return ret;
	ret = pin ? refslab_object_pin(rns, cmd->id) :
		    refslab_object_unpin(rns, cmd->id);
	refslab_ns_put(rns);
	return ret;
}

static int refslab_ioc_pin(struct refslab_file *rf, struct refslab_ucmd *ucmd)
{
	return refslab_ioc_pin_unpin(ucmd, true);
}

static int refslab_ioc_unpin(struct refslab_file *rf,
			     struct refslab_ucmd *ucmd)
{
	return refslab_ioc_pin_unpin(ucmd, false);
}

/* Values gathered per pass of LIST_PINNED, which copies out between them. */
#define REFSLAB_LIST_CHUNK	512

/* Fill @buf with up to @max values above @after; see refslab_ioc_list. */
static unsigned int list_chunk(struct refslab_ns *rns, u64 after, u64 *buf,
			       unsigned int max)
{
	if (!rns)
		return refslab_ns_list_pinned(after, buf, max);
	return refslab_object_list_pinned(rns, after, buf, max);
}

static int refslab_ioc_list_pinned(struct refslab_file *rf,
				   struct refslab_ucmd *ucmd)
{
	struct refslab_list *cmd = ucmd->cmd;
	u64 __user *uids = u64_to_user_ptr(cmd->ids);
	struct refslab_ns *rns = NULL;
	unsigned int n, done = 0;
	u64 after = cmd->after, *buf;
	int ret = 0;

	if (cmd->flags & ~REFSLAB_LIST_ALL || cmd->__reserved ||
	    cmd->flags == REFSLAB_LIST_ALL)
		return -EINVAL;
	if (!(cmd->flags & REFSLAB_LIST_NS) && cmd->ns)
		return -EINVAL;

	if (cmd->flags & REFSLAB_LIST_NAMESPACES) {
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
	} else {
		rns = refslab_ns_of(cmd->flags & REFSLAB_LIST_NS, cmd->ns, &ret);
		/* A namespace of the caller's with no objects lists nothing. */
		if (!rns && (ret != -ENOENT || cmd->flags))
			return ret;
		ret = 0;
		if (!rns)
			goto out_respond;
	}

	buf = kmalloc_array(REFSLAB_LIST_CHUNK, sizeof(*buf), GFP_KERNEL);
	if (!buf) {
		ret = -ENOMEM;
		goto out_put;
	}
	while (done < cmd->count) {
		n = list_chunk(rns, after, buf, min_t(u32, cmd->count - done,
						      REFSLAB_LIST_CHUNK));
		if (!n)
			break;
		if (copy_to_user(uids + done, buf, n * sizeof(*buf))) {
			ret = -EFAULT;
			break;
		}
		done += n;
		after = buf[n - 1];
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
	kfree(buf);
out_put:
	if (rns)
		refslab_ns_put(rns);
	if (ret)
		return ret;
out_respond:
	cmd->count = done;
	return refslab_ucmd_respond(ucmd, sizeof(*cmd));
}

static int refslab_ioc_subscribe(struct refslab_file *rf,
				 struct refslab_ucmd *ucmd)
{
	struct refslab_subscribe *cmd = ucmd->cmd;
	struct refslab_object *obj;
	int ret = 0;

	if (cmd->flags & ~REFSLAB_SUBSCRIBE_ALL || cmd->__reserved)
		return -EINVAL;

	if (cmd->flags & REFSLAB_SUBSCRIBE_ID) {
		if (cmd->handle)
			return -EINVAL;
		obj = refslab_lookup_current(rf, cmd->id);
		if (!obj)
			return -ENOENT;
		/* Watching tells when an object dies: owners and readers only. */
		if (refslab_object_permission(obj, 0))
			ret = refslab_object_permission(obj, REFSLAB_RIGHT_READ);
	} else {
		if (cmd->id)
			return -EINVAL;
		obj = refslab_handle_lookup(&rf->handles, cmd->handle, 0, NULL);
		if (IS_ERR(obj))
			return PTR_ERR(obj);
	}
	if (!ret)
		ret = refslab_notify_subscribe(rf->notifier, obj->ns, obj->id,
					       refslab_object_visible_id(obj),
					       cmd->cookie);
	refslab_object_put(obj);
	return ret;
}

/* Records a batch reads, runs and writes back at a time: 2560 bytes. */
#define REFSLAB_BATCH_CHUNK	64
/* Records of reference changes a batch runs at a time: 2048 bytes. */
#define REFSLAB_BATCH_CHANGES	128

/*
 * What a run of in-record CREATEs makes together, kept after the records
 * in the run buffer rather than on the stack: 768 bytes.
 */
struct batch_creates {
	struct refslab_object *objs[REFSLAB_ALLOC_BULK];
	u32 hids[REFSLAB_ALLOC_BULK];
};

/* The run buffer of a BATCH, of either kind of record. */
#define REFSLAB_BATCH_BUF_SIZE \
	max(REFSLAB_BATCH_CHUNK * sizeof(struct refslab_batch_op) + \
	    sizeof(struct batch_creates), \
	    REFSLAB_BATCH_CHANGES * sizeof(struct refslab_ref_change))
static_assert(REFSLAB_BATCH_CHUNK * sizeof(struct refslab_batch_op) +
	      sizeof(struct batch_creates) <= PAGE_SIZE);
static_assert(REFSLAB_BATCH_CHANGES * sizeof(struct refslab_ref_change) <=
	      PAGE_SIZE);
/* The records of a run never outnumber what it can make together. */
static_assert(REFSLAB_BATCH_CHUNK <= REFSLAB_ALLOC_BULK);

/*
 * A run buffer for a BATCH: the one the file kept from its last BATCH, or
 * a new one if another BATCH of the file has it.  Kept, a buffer is not
 * allocated (and, with init_on_alloc, cleared) again for every BATCH.
 */
static void *batch_buf_get(struct refslab_file *rf)
{
	void *buf = xchg(&rf->batch_buf, NULL);

	return buf ?: kmalloc(REFSLAB_BATCH_BUF_SIZE, REFSLAB_GFP);
}

/* The file keeps @buf for its next BATCH, unless it already keeps one. */
static void batch_buf_put(struct refslab_file *rf, void *buf)
{
	if (cmpxchg(&rf->batch_buf, NULL, buf))
		kfree(buf);
}

/*
 * An inline operation: its fields go into the command's own structure,
 * which the command's handler checks and carries out as for the ioctl
 * (with no user structure to answer to), and its outputs come back.
 */
static int batch_run_inline(struct refslab_file *rf,
			    struct refslab_batch_op *op)
{
	union refslab_ucmd_buffer buf;
	struct refslab_ucmd ucmd = { .cmd = &buf };
	int ret;

	if (op->flags & ~REFSLAB_BATCH_OP_ALL)
		return -EINVAL;
	if (op->flags & REFSLAB_BATCH_OP_MODE && op->cmd != REFSLAB_CMD_CREATE)
		return -EINVAL;

	switch (op->cmd) {
	case REFSLAB_CMD_CREATE:
		buf.create = (struct refslab_create){
			.size = sizeof(buf.create),
			.flags = op->flags & REFSLAB_BATCH_OP_MODE ?
				 REFSLAB_CREATE_MODE : 0,
			.payload_size = op->create.payload_size,
			.mode = op->create.mode,
			.data = op->create.data,
			.data_len = op->create.data_len,
		};
		ret = refslab_ioc_create(rf, &ucmd);
		if (!ret) {
			op->create.handle = buf.create.handle;
			op->create.id = buf.create.id;
		}
		return ret;
	case REFSLAB_CMD_DUP:
		if (!refslab_batch_tail_clear(op, sizeof(op->dup)))
			return -EINVAL;
		buf.dup = (struct refslab_dup){
			.size = sizeof(buf.dup),
			.handle = op->dup.handle,
		};
		ret = refslab_ioc_dup(rf, &ucmd);
		if (!ret)
			op->dup.new_handle = buf.dup.new_handle;
		return ret;
	case REFSLAB_CMD_OPEN:
		if (!refslab_batch_tail_clear(op, sizeof(op->open)))
			return -EINVAL;
		buf.open = (struct refslab_open){
			.size = sizeof(buf.open),
			.id = op->open.id,
			.rights = op->open.rights,
		};
		ret = refslab_ioc_open(rf, &ucmd);
		if (!ret)
			op->open.handle = buf.open.handle;
		return ret;
	default:
		return -EINVAL;
	}
}

/*
 * The mode of the in-record CREATE @op, if the ioctl would take its
 * arguments; else -1, also for a record that is no in-record CREATE.
 */
static int batch_create_mode(const struct refslab_batch_op *op)
{
	int mode;

	if (op->cmd != REFSLAB_CMD_CREATE ||
	    !(op->flags & REFSLAB_BATCH_OP_INLINE) ||
	    op->flags & ~REFSLAB_BATCH_OP_ALL)
		return -1;
	mode = create_check(op->flags & REFSLAB_BATCH_OP_MODE, op->create.mode,
			    op->create.payload_size, op->create.data,
			    op->create.data_len);
	return mode < 0 ? -1 : mode;
}

/*
 * Is @op an in-record CREATE of the payload size and mode of @first, one
 * that batch_create_mode() took, and are its own arguments, its data, as
 * the ioctl would take them?
 */
static bool batch_create_like(const struct refslab_batch_op *op,
			      const struct refslab_batch_op *first)
{
	return op->cmd == REFSLAB_CMD_CREATE && op->flags == first->flags &&
	       op->create.payload_size == first->create.payload_size &&
	       op->create.mode == first->create.mode &&
	       op->create.data_len <= op->create.payload_size &&
	       (op->create.data || !op->create.data_len);
}

/*
 * A run of in-record CREATEs of one payload size and mode, from the first
 * of the @n records at @ops (at most REFSLAB_ALLOC_BULK), made together
 * in @bc: their handles reserved under one taking of the table's lock,
 * their objects charged, allocated and published by
 * refslab_objects_alloc() and refslab_objects_publish().  Each record
 * that runs gets the result it would get alone; a record whose data
 * cannot be read fails with EFAULT, and one whose registry node cannot be
 * allocated with ENOMEM, and ends the run.
 *
 * Return: how many records ran; 0 if the first two do not make a run, or
 * the run cannot be made together (quota, handles or memory short): the
 * caller then runs the first alone, which says why.
 */
static noinline unsigned int batch_create_run(struct refslab_file *rf,
					      struct refslab_batch_op *ops,
					      unsigned int n,
					      struct batch_creates *bc)
{
	struct refslab_object **objs = bc->objs;
	unsigned int i, k, made, published;
	u32 *hids = bc->hids;
	struct refslab_batch_create *c;
	struct refslab_ns *rns;
	int mode, ret, err;

	mode = batch_create_mode(ops);
	if (mode < 0 || n < 2)
		return 0;
	for (k = 1; k < n; k++)
		if (!batch_create_like(&ops[k], ops))
			break;
	if (k < 2)
		return 0;

	rns = refslab_file_ns(rf, true);
	if (IS_ERR(rns))
		return 0;
	ret = refslab_handle_reserve_many(&rf->handles, hids, k);
	if (ret < 0) {
		made = 0;
		goto out_put_ns;
	}
	k = ret;
	ret = refslab_objects_alloc(rns, ops->create.payload_size, mode, objs,
				    k);
	if (ret) {
		refslab_handle_abort_many(&rf->handles, hids, k);
		made = 0;
		goto out_put_ns;
	}
	for (made = 0; made < k; made++) {
		c = &ops[made].create;
		if (c->data_len &&
		    copy_from_user(objs[made]->payload, u64_to_user_ptr(c->data),
				   c->data_len))
			break;
	}
	err = -EFAULT;
	if (made) {
		published = refslab_objects_publish(objs, made);
		/* A record whose registry node could not be allocated. */
		if (published < made) {
			made = published;
			err = -ENOMEM;
		}
	}
	if (made < k)
		ops[made].result = err;
	if (made) {
		refslab_handle_publish_many(&rf->handles, hids, objs, made,
					    REFSLAB_RIGHTS_ALL);
		for (i = 0; i < made; i++) {
			ops[i].create.handle = hids[i];
			ops[i].create.id = objs[i]->id;
			ops[i].result = 0;
		}
		atomic_long_add(made, &rf->created);
	}
	/* After the publish: the slot it may keep for the next id is theirs. */
	if (made < k) {
		refslab_objects_abort(objs + made, k - made);
		refslab_handle_abort_many(&rf->handles, hids + made, k - made);
	}
	refslab_file_ns_put(rf, rns);
	/* The record that failed ran too. */
	return made < k ? made + 1 : made;

out_put_ns:
	refslab_file_ns_put(rf, rns);
	return made;
}

/* An operation other than an in-record GET or PUT (refslab_handle_ref_batch()). */
static int batch_run_op(struct refslab_file *rf, struct refslab_batch_op *op)
{
	if (op->cmd == REFSLAB_CMD_BATCH)
		return -EINVAL;
	if (op->flags & REFSLAB_BATCH_OP_INLINE)
		return batch_run_inline(rf, op);
	if (op->flags || !refslab_batch_tail_clear(op, sizeof(op->arg)))
		return -EINVAL;
	return refslab_run(rf, op->cmd, u64_to_user_ptr(op->arg));
}

static_assert(sizeof(struct refslab_batch_op) == 5 * sizeof(u64));

/*
 * Read @n records into @ops in one user-access window, a record's five
 * words at a time, as refslab_ucmd_copy_in() reads a command structure.
 */
static int batch_copy_in(struct refslab_batch_op *ops,
			 const struct refslab_batch_op __user *uops,
			 unsigned int n)
{
	const u64 __user *from = (const u64 __user *)uops;
	const u64 __user *end = (const u64 __user *)(uops + n);
	u64 *to = (u64 *)ops;

	might_fault();
	if (should_fail_usercopy() ||
	    !user_read_access_begin(uops, n * sizeof(*uops)))
		return -EFAULT;
	for (; from < end; from += 5, to += 5) {
		unsafe_get_user(to[0], &from[0], efault);
		unsafe_get_user(to[1], &from[1], efault);
		unsafe_get_user(to[2], &from[2], efault);
		unsafe_get_user(to[3], &from[3], efault);
		unsafe_get_user(to[4], &from[4], efault);
	}
	user_read_access_end();
	return 0;

efault:
	user_read_access_end();
	return -EFAULT;
}

/*
 * Make sure a run of records can be written back before any of them runs:
 * a run is at most a page, so it lies on at most two pages, and a write
 * to its first and to its last bytes reaches both.  The first record's
 * result (@result, in the user's run @urun) becomes -EINPROGRESS, the
 * run's last byte keeps its value (@last, from the kernel's copy).
 */
static int batch_claim(s32 __user *result, void __user *urun, size_t len,
		       u8 last)
{
	if (put_user(-EINPROGRESS, result))
		return -EFAULT;
	return put_user(last, (u8 __user *)urun + len - 1);
}

/*
 * Write back what @n records that ran give: each one's result and, if it
 * succeeded, the outputs of its in-record form; its inputs stay as the
 * caller wrote them.  One user-access window for the whole run.  Returns
 * how many records were written: fewer only if the caller unmapped them
 * since the claim (or a fault was injected).
 */
static unsigned int batch_answer(struct refslab_batch_op __user *uops,
				 const struct refslab_batch_op *ops,
				 unsigned int n)
{
	const struct refslab_batch_op *op;
	unsigned int i;

	might_fault();
	if (should_fail_usercopy() ||
	    !user_write_access_begin(uops, n * sizeof(*uops)))
		return 0;
	for (i = 0; i < n; i++) {
		op = &ops[i];
		unsafe_put_user(op->result, &uops[i].result, efault);
		if (op->result || !(op->flags & REFSLAB_BATCH_OP_INLINE))
			continue;
		/* The most common records first. */
		if (op->cmd == REFSLAB_CMD_GET || op->cmd == REFSLAB_CMD_PUT) {
			unsafe_put_user(op->ref.refs, &uops[i].ref.refs, efault);
			continue;
		}
		switch (op->cmd) {
		case REFSLAB_CMD_CREATE:
			unsafe_put_user(op->create.handle,
					&uops[i].create.handle, efault);
			unsafe_put_user(op->create.id, &uops[i].create.id,
					efault);
			break;
		case REFSLAB_CMD_DUP:
			unsafe_put_user(op->dup.new_handle,
					&uops[i].dup.new_handle, efault);
			break;
		case REFSLAB_CMD_OPEN:
			unsafe_put_user(op->open.handle, &uops[i].open.handle,
					efault);
			break;
		}
	}
efault:
	user_write_access_end();
	return i;
}

/*
 * Write back @n whole records of @size bytes one at a time; return how
 * many were written.
 */
static unsigned int batch_answer_each(void __user *urecs, const void *recs,
				      size_t size, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (copy_to_user(urecs + i * size, recs + i * size, size))
			break;
	return i;
}

/*
 * A record of reference changes is two words: its inputs (@handle and
 * @delta), then its outputs (@result and @refs).  They move as words,
 * with the fields in them as in memory.
 */
static_assert(sizeof(struct refslab_ref_change) == 2 * sizeof(u64));
static_assert(offsetof(struct refslab_ref_change, delta) == 4);
static_assert(offsetof(struct refslab_ref_change, result) == 8);
static_assert(offsetof(struct refslab_ref_change, refs) == 12);

/*
 * Read the inputs of @n records of reference changes in one window, and
 * the last record's outputs, which batch_claim() writes back a byte of.
 */
static int changes_copy_in(struct refslab_ref_change *rc,
			   const struct refslab_ref_change __user *urc,
			   unsigned int n)
{
	const u64 __user *from = (const u64 __user *)urc;
	u64 *to = (u64 *)rc;
	unsigned int i;

	might_fault();
	if (should_fail_usercopy() ||
	    !user_read_access_begin(urc, n * sizeof(*urc)))
		return -EFAULT;
	for (i = 0; i < 2 * n; i += 2)
		unsafe_get_user(to[i], &from[i], efault);
	unsafe_get_user(to[2 * n - 1], &from[2 * n - 1], efault);
	user_read_access_end();
	return 0;

efault:
	user_read_access_end();
	return -EFAULT;
}

/* Write the outputs of @n records; return how many were written. */
static unsigned int changes_answer(struct refslab_ref_change __user *urc,
				   const struct refslab_ref_change *rc,
				   unsigned int n)
{
	const struct refslab_ref_change *end = rc + n, *first = rc;

	might_fault();
	if (should_fail_usercopy() ||
	    !user_write_access_begin(urc, n * sizeof(*urc)))
		return 0;
	for (; rc < end; rc++, urc++)
		unsafe_put_user(*((const u64 *)rc + 1), (u64 __user *)urc + 1,
				efault);
efault:
	user_write_access_end();
	return rc - first;
}

/*
 * BATCH with REFSLAB_BATCH_REFS: @count records of reference changes at
 * @urc, run as refslab_ioc_batch() runs its records, 128 at a time.
 * Return: how many ran and were answered, or -EFAULT if the first run
 * could not be read or written, or -ENOMEM.
 */
static int batch_changes(struct refslab_file *rf,
			 struct refslab_ref_change __user *urc, u32 count,
			 bool cont)
{
	struct refslab_ref_change *rc;
	unsigned int n, ran;
	u32 done = 0;
	int ret = 0;

	rc = batch_buf_get(rf);
	if (!rc)
		return -ENOMEM;
	while (done < count) {
		n = min_t(u32, count - done, REFSLAB_BATCH_CHANGES);
		if (changes_copy_in(rc, urc + done, n) ||
		    batch_claim(&urc[done].result, urc + done, n * sizeof(*rc),
				((u8 *)&rc[n - 1])[sizeof(*rc) - 1])) {
			if (!done)
				ret = -EFAULT;
			break;
		}
		ran = refslab_handle_changes(&rf->handles, rc, n, !cont);
		n = changes_answer(urc + done, rc, ran);
		if (n < ran)
			n += batch_answer_each(urc + done + n, rc + n,
					       sizeof(*rc), ran - n);
		done += n;
		if (n < ran) {
			if (!done)
				ret = -EFAULT;
			break;
		}
		if (ran && rc[ran - 1].result && !cont)
			break;
		cond_resched();
	}
	batch_buf_put(rf, rc);
	return ret ? ret : done;
}

static int refslab_ioc_batch(struct refslab_file *rf,
			     struct refslab_ucmd *ucmd)
{
	struct refslab_batch *cmd = ucmd->cmd;
	struct refslab_batch_op __user *uops = u64_to_user_ptr(cmd->ops);
	bool cont = cmd->flags & REFSLAB_BATCH_CONTINUE;
	bool stop = false;
	struct batch_creates *creates;
	struct refslab_batch_op *ops;
	unsigned int n, ran, made;
	u32 done = 0;
	int ret = 0;

	if (cmd->flags & ~REFSLAB_BATCH_ALL)
		return -EINVAL;
	if (!cmd->count || cmd->count > REFSLAB_BATCH_MAX)
		return -EINVAL;

	cmd->done = 0;
	if (refslab_ucmd_respond(ucmd, sizeof(*cmd)))
		return -EFAULT;

	if (cmd->flags & REFSLAB_BATCH_REFS) {
		ret = batch_changes(rf, u64_to_user_ptr(cmd->ops), cmd->count,
				    cont);
		if (ret < 0)
			return ret;
		done = ret;
		ret = 0;
		goto out;
	}
	ops = batch_buf_get(rf);
	if (!ops)
		return -ENOMEM;
	creates = (struct batch_creates *)(ops + REFSLAB_BATCH_CHUNK);
	while (done < cmd->count && !stop) {
		n = min_t(u32, cmd->count - done, REFSLAB_BATCH_CHUNK);
		if (batch_copy_in(ops, uops + done, n) ||
		    batch_claim(&uops[done].result, uops + done,
				n * sizeof(*ops),
				ops[n - 1].__size[sizeof(ops->__size) - 1])) {
			if (!done)
				ret = -EFAULT;
			break;
		}
		for (ran = 0; ran < n && !stop; ran++) {
			/*
			 * A run of in-record GETs and PUTs goes in one call,
			 * and so does one of CREATEs of one size and mode.
			 */
			made = 0;
			if (refslab_batch_is_ref(&ops[ran]))
				made = refslab_handle_ref_batch(&rf->handles,
								ops + ran,
								n - ran, !cont);
			else if (ops[ran].cmd == REFSLAB_CMD_CREATE)
				made = batch_create_run(rf, ops + ran, n - ran,
							creates);
			if (!made) {
				ops[ran].result = batch_run_op(rf, &ops[ran]);
				made = 1;
			}
			ran += made - 1;
			stop = ops[ran].result && !cont;
		}
		/*
		 * Claimed above, so this fails only if the caller unmapped
		 * it since (or a fault was injected): then the rest record
		 * by record, and the batch ends at the first that cannot be
		 * written.
		 */
		n = batch_answer(uops + done, ops, ran);
		if (n < ran)
			n += batch_answer_each(uops + done + n, ops + n,
					       sizeof(*ops), ran - n);
		if (n < ran) {
			done += n;
			if (!done)
				ret = -EFAULT;
			break;
		}
		done += ran;
		cond_resched();
	}
	batch_buf_put(rf, ops);
	if (ret)
		return ret;
out:
	return refslab_ucmd_set_u32(ucmd, offsetof(struct refslab_batch, done),
				    done);
}

struct refslab_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	int (*execute)(struct refslab_file *rf, struct refslab_ucmd *ucmd);
};

/*
 * One entry per command: REFSLAB_CMD_<_NAME> runs refslab_ioc_<_fn>() on a
 * struct refslab_<_struct>, whose first version ended with member @_last.
 */
#define REFSLAB_IOCTL_OP(_NAME, _fn, _struct, _last)			\
	[REFSLAB_CMD_##_NAME] = {					\
		.size = sizeof(struct refslab_##_struct) +		\
			BUILD_BUG_ON_ZERO(sizeof(union refslab_ucmd_buffer) < \
					  sizeof(struct refslab_##_struct)) + \
			BUILD_BUG_ON_ZERO(sizeof(struct refslab_##_struct) % \
					  sizeof(u64)),			\
		.min_size = offsetofend(struct refslab_##_struct, _last), \
		.execute = refslab_ioc_##_fn,				\
	}

/* min_size is the first version of each structure: never change it. */
static const struct refslab_ioctl_op refslab_ioctl_ops[] = {
	REFSLAB_IOCTL_OP(VERSION, version, version, nr_classes),
	REFSLAB_IOCTL_OP(CREATE, create, create, id),
	REFSLAB_IOCTL_OP(GET, get, ref, __reserved),
	REFSLAB_IOCTL_OP(PUT, put, ref, __reserved),
	REFSLAB_IOCTL_OP(DUP, dup, dup, new_handle),
	REFSLAB_IOCTL_OP(INFO, info, info, ctime_ns),
	REFSLAB_IOCTL_OP(READ, read, rw, generation),
	REFSLAB_IOCTL_OP(WRITE, write, rw, generation),
	REFSLAB_IOCTL_OP(EXPORT, export, export, __reserved),
	REFSLAB_IOCTL_OP(IMPORT, import, import, handle),
	REFSLAB_IOCTL_OP(OPEN, open, open, handle),
	REFSLAB_IOCTL_OP(SETATTR, setattr, setattr, gid),
	REFSLAB_IOCTL_OP(PIN, pin, pin, id),
	REFSLAB_IOCTL_OP(UNPIN, unpin, pin, id),
	REFSLAB_IOCTL_OP(LIST_PINNED, list_pinned, list, after),
	REFSLAB_IOCTL_OP(SUBSCRIBE, subscribe, subscribe, __reserved),
	REFSLAB_IOCTL_OP(BATCH, batch, batch, done),
};

/*
 * Read the command's structure: the caller's size first, then the whole of
 * it.  A structure of this version's size (the usual case) is read in one
 * window, a word at a time; any other size by copy_struct_from_user().
 */
static int refslab_ucmd_copy_in(struct refslab_ucmd *ucmd,
				const struct refslab_ioctl_op *op)
{
	const u64 __user *from = ucmd->ubuffer;
	u64 *to = ucmd->cmd;
	unsigned int i;
	int ret;

	might_fault();
	if (should_fail_usercopy())
		return -EFAULT;
	if (user_read_access_begin(from, op->size)) {
		unsafe_get_user(ucmd->user_size, (const u32 __user *)from,
				efault);
		if (ucmd->user_size == op->size) {
			for (i = 0; i < op->size / sizeof(u64); i++)
				unsafe_get_user(to[i], &from[i], efault);
			user_read_access_end();
			return 0;
		}
		user_read_access_end();
	}

	ret = get_user(ucmd->user_size, (const u32 __user *)from);
	if (ret)
		return ret;
	if (ucmd->user_size < op->min_size)
		return -EINVAL;
	return copy_struct_from_user(ucmd->cmd, op->size, ucmd->ubuffer,
				     ucmd->user_size);

efault:
	user_read_access_end();
	return -EFAULT;
}

/*
 * Run command @nr on the argument at @arg: shared by the ioctl and by each
 * operation of a batch, so both check exactly the same things.
 */
static int refslab_run(struct refslab_file *rf, unsigned int nr,
		       void __user *arg)
{
	const struct refslab_ioctl_op *op;
	union refslab_ucmd_buffer buf;
	struct refslab_ucmd ucmd = {};
	int ret;

	if (nr >= ARRAY_SIZE(refslab_ioctl_ops))
		return -ENOTTY;
	op = &refslab_ioctl_ops[array_index_nospec(nr,
						   ARRAY_SIZE(refslab_ioctl_ops))];
	if (!op->execute)
		return -ENOTTY;

	refslab_fault_race();
	ucmd.ubuffer = arg;
	ucmd.cmd = &buf;
	ret = refslab_ucmd_copy_in(&ucmd, op);
	if (ret)
		return ret;
	return op->execute(rf, &ucmd);
}

static long refslab_fops_ioctl(struct file *filp, unsigned int cmd,
			       unsigned long arg)
{
	unsigned int nr = _IOC_NR(cmd);

	if (cmd != _IO(REFSLAB_IOCTL_TYPE, nr))
		return -ENOTTY;
	if (nr == REFSLAB_CMD_GET || nr == REFSLAB_CMD_PUT)
		return refslab_ref_ioctl(filp->private_data, nr,
					 (void __user *)arg);
	return refslab_run(filp->private_data, nr, (void __user *)arg);
}

static int refslab_fops_open(struct inode *inode, struct file *filp)
{
	struct refslab_file *rf;

	rf = kzalloc(sizeof(*rf), REFSLAB_GFP);
	if (!rf)
		return -ENOMEM;
	rf->notifier = refslab_notifier_create();
	if (!rf->notifier) {
		kfree(rf);
		return -ENOMEM;
	}
	refslab_handle_table_init(&rf->handles);
	filp->private_data = rf;
	refslab_stat_inc(REFSLAB_STAT_FILES_OPENED);
	return stream_open(inode, filp);
}

static int refslab_fops_release(struct inode *inode, struct file *filp)
{
	struct refslab_file *rf = filp->private_data;

	refslab_notifier_destroy(rf->notifier);
	refslab_handle_table_destroy(&rf->handles);
	if (rf->ns)
		refslab_ns_put(rf->ns);
	kfree(rf->batch_buf);
	kfree(rf);
	refslab_stat_inc(REFSLAB_STAT_FILES_CLOSED);
	return 0;
}

static ssize_t refslab_fops_read(struct file *filp, char __user *buf,
				 size_t count, loff_t *ppos)
{
	struct refslab_file *rf = filp->private_data;

	return refslab_notifier_read(rf->notifier, buf, count,
				     filp->f_flags & O_NONBLOCK);
}

static __poll_t refslab_fops_poll(struct file *filp, poll_table *wait)
{
	struct refslab_file *rf = filp->private_data;

	return refslab_notifier_poll(rf->notifier, filp, wait);
}

static void refslab_fops_show_fdinfo(struct seq_file *m, struct file *filp)
{
	struct refslab_file *rf = filp->private_data;
	struct refslab_handle_stats hs;

	refslab_handle_table_stats(&rf->handles, &hs);
	seq_printf(m, "refslab-handles:\t%lu\n", hs.handles);
	seq_printf(m, "refslab-references:\t%lu\n", hs.refs);
	seq_printf(m, "refslab-exports-kept:\t%lu\n", hs.exports_cached);
	seq_printf(m, "refslab-objects-created:\t%lu\n",
		   atomic_long_read(&rf->created));
}

static const struct file_operations refslab_fops = {
	.owner = THIS_MODULE,
	.open = refslab_fops_open,
	.release = refslab_fops_release,
	.read = refslab_fops_read,
	.poll = refslab_fops_poll,
	.show_fdinfo = refslab_fops_show_fdinfo,
	.unlocked_ioctl = refslab_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice refslab_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "refslab",
	.fops = &refslab_fops,
	.mode = 0666,
};

/**
 * refslab_dev_init() - register /dev/refslab
 *
 * Context: process context, module init, after everything the device
 * uses is ready.
 * Return: 0 or a negative errno.
 */
int refslab_dev_init(void)
{
	return misc_register(&refslab_misc);
}

/**
 * refslab_dev_exit() - unregister /dev/refslab
 *
 * Context: process context, module exit; no file is open (each holds a
 * reference to the module).
 */
void refslab_dev_exit(void)
{
	misc_deregister(&refslab_misc);
}

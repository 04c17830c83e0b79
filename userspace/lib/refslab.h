/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * librefslab: a small C library over the /dev/refslab ioctls.
 *
 * Every function that can fail returns 0 (or the documented non-negative
 * value) on success and a negative errno on failure; errno itself is left
 * as the C library leaves it.  The library keeps no global state: every
 * call works on the file descriptor (or buffer) it is given, so calls are
 * as thread-safe as the ioctls underneath, which the module serialises per
 * object.  refslab_strerror() turns a returned error into a message that
 * says what it means for refslab.
 *
 * The argument structures, flags and limits come from <linux/refslab.h>,
 * included here; functions that hand a structure back (refslab_version(),
 * refslab_info()) return the kernel's structure unchanged.
 *
 * Object ids are names within one IPC namespace: every call that takes or
 * lists ids acts in the IPC namespace of the calling thread at the time of
 * the call.  Handles and exported object files work in any namespace.
 */
#ifndef REFSLAB_H
#define REFSLAB_H

/* Every call returns -errno: callers compare with -EACCES etc. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/refslab.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define REFSLAB_EXPORT __attribute__((visibility("default")))
#else
#define REFSLAB_EXPORT
#endif

/* Version of this library (not of the kernel ABI). */
#define REFSLAB_LIB_VERSION_MAJOR	1
#define REFSLAB_LIB_VERSION_MINOR	0
#define REFSLAB_LIB_VERSION_PATCH	0
#define REFSLAB_LIB_VERSION		"1.0.0"

/* Where the device, its counters and its parameters live. */
#define REFSLAB_DEVICE		"/dev/refslab"
#define REFSLAB_SYSFS_DIR	"/sys/kernel/refslab"
#define REFSLAB_PARAMS_DIR	"/sys/module/refslab/parameters"
#define REFSLAB_DEBUGFS_DIR	"/sys/kernel/debug/refslab"

/* refslab_create(): use the default mode (0600). */
#define REFSLAB_MODE_DEFAULT	(-1)

/**
 * refslab_open() - open the refslab device
 * @path: device path, or NULL for REFSLAB_DEVICE
 * @oflags: extra open(2) flags, e.g. O_NONBLOCK; O_RDWR and O_CLOEXEC are
 *	always set
 *
 * Each open file has its own handle table; closing it drops every
 * reference its handles hold.
 *
 * Return: a new file descriptor, or a negative errno (-ENOENT when the
 * module is not loaded).
 */
REFSLAB_EXPORT int refslab_open(const char *path, int oflags);

/**
 * refslab_close() - close a refslab device or object file descriptor
 * @fd: the file descriptor
 *
 * Return: 0 or a negative errno (-EBADF for a descriptor not open).
 */
REFSLAB_EXPORT int refslab_close(int fd);

/**
 * refslab_version() - ask the module what it supports
 * @fd: refslab device file descriptor
 * @version: filled with the module's ABI version, REFSLAB_FEATURE_* bits
 *	and limits
 *
 * Return: 0 or a negative errno (-ENOTTY if @fd is not the refslab device).
 */
REFSLAB_EXPORT int refslab_version(int fd, struct refslab_version *version);

/**
 * refslab_create() - create an object
 * @fd: refslab device file descriptor
 * @size: payload size in bytes, 1 to REFSLAB_PAYLOAD_MAX
 * @mode: permission bits (0 to 0777), or REFSLAB_MODE_DEFAULT for 0600
 * @data: initial payload bytes, or NULL for an all-zero payload
 * @len: number of bytes at @data, at most @size; the rest is zero
 * @handle: output, the new handle (one reference, read and write rights)
 * @id: output, the object's id in the caller's IPC namespace (ids start
 *	at 1 in each namespace and are never reused there); may be NULL
 *
 * The object belongs to the IPC namespace of the calling thread and is
 * charged to its fsuid, and up the user-namespace chain to each
 * namespace's owner.
 *
 * Return: 0 or a negative errno: -EINVAL for a bad size, mode or length,
 * -EDQUOT when a quota is full, -EFAULT for a bad @data.
 */
REFSLAB_EXPORT int refslab_create(int fd, uint32_t size, int mode,
				  const void *data, size_t len,
				  uint32_t *handle, uint64_t *id);

/**
 * refslab_get() - add references to a handle
 * @fd: refslab device file descriptor
 * @handle: the handle
 * @count: number of references to add, at least 1
 *
 * Return: the number of references the handle holds afterwards, or a
 * negative errno: -ENOENT for an unknown handle, -EOVERFLOW past the
 * handle's or object's reference cap, -EINVAL for a zero @count.
 */
REFSLAB_EXPORT int refslab_get(int fd, uint32_t handle, uint32_t count);

/**
 * refslab_put() - drop references from a handle
 * @fd: refslab device file descriptor
 * @handle: the handle
 * @count: number of references to drop, at least 1, at most those held
 *
 * When the handle's count reaches zero the handle is gone; when the
 * object's last reference goes, the object is reclaimed.
 *
 * Return: the number of references the handle still holds (0: the handle
 * is gone), or a negative errno: -ENOENT, or -EINVAL for a @count of zero
 * or more than the handle holds.
 */
REFSLAB_EXPORT int refslab_put(int fd, uint32_t handle, uint32_t count);

/**
 * refslab_dup() - make a second handle to a handle's object
 * @fd: refslab device file descriptor
 * @handle: an existing handle
 * @new_handle: output, the new handle, holding one reference and the
 *	rights of @handle
 *
 * Return: 0 or a negative errno (-ENOENT, -EOVERFLOW).
 */
REFSLAB_EXPORT int refslab_dup(int fd, uint32_t handle, uint32_t *new_handle);

/**
 * refslab_info() - describe a handle and its object
 * @fd: refslab device file descriptor
 * @handle: the handle
 * @info: filled with the object's id, size, mode, owner, generation,
 *	reference counts, the handle's rights and the object's @state
 *	(REFSLAB_INFO_PINNED, REFSLAB_INFO_FOREIGN)
 *
 * An object of another IPC namespace than the caller's (reached through an
 * imported file) reports @id 0 and REFSLAB_INFO_FOREIGN: its id names it
 * only in its own namespace.
 *
 * Return: 0 or a negative errno (-ENOENT).
 */
REFSLAB_EXPORT int refslab_info(int fd, uint32_t handle,
				struct refslab_info *info);

/**
 * refslab_read() - read payload bytes
 * @fd: refslab device file descriptor
 * @handle: a handle with the read right
 * @offset: byte offset into the payload
 * @buf: buffer of @len bytes
 * @len: number of bytes, at least 1; @offset + @len must fit the payload
 * @generation: output, the generation of the bytes read; may be NULL
 *
 * The bytes are never a mix of two writes.
 *
 * Return: 0 or a negative errno: -EACCES without the read right, -EINVAL
 * for a range outside the payload, -ENOENT.
 */
REFSLAB_EXPORT int refslab_read(int fd, uint32_t handle, uint32_t offset,
				void *buf, uint32_t len, uint64_t *generation);

/**
 * refslab_write() - write payload bytes
 * @fd: refslab device file descriptor
 * @handle: a handle with the write right
 * @offset: byte offset into the payload
 * @buf: @len bytes to write
 * @len: number of bytes, at least 1; @offset + @len must fit the payload
 * @generation: output, the object's generation after the write; may be
 *	NULL
 *
 * Return: 0 or a negative errno: -EACCES without the write right, -EINVAL
 * for a range outside the payload, -ENOENT.
 */
REFSLAB_EXPORT int refslab_write(int fd, uint32_t handle, uint32_t offset,
				 const void *buf, uint32_t len,
				 uint64_t *generation);

/**
 * refslab_write_if() - write payload bytes if nothing changed meanwhile
 * @fd: refslab device file descriptor
 * @handle: a handle with the write right
 * @offset: byte offset into the payload
 * @buf: @len bytes to write
 * @len: number of bytes, at least 1; @offset + @len must fit the payload
 * @expected: the generation the object must still have
 * @generation: output, the generation after the write, or after -ESTALE
 *	the object's current generation; may be NULL
 *
 * A compare-and-swap on the generation: read, compute, write_if, and on
 * -ESTALE read again.
 *
 * Return: 0, -ESTALE if the object's generation is not @expected (the
 * object is unchanged), or another negative errno as refslab_write().
 */
REFSLAB_EXPORT int refslab_write_if(int fd, uint32_t handle, uint32_t offset,
				    const void *buf, uint32_t len,
				    uint64_t expected, uint64_t *generation);

/**
 * refslab_export() - turn a handle into a file descriptor for the object
 * @fd: refslab device file descriptor
 * @handle: the handle
 * @flags: REFSLAB_EXPORT_KEEP_ON_EXEC to leave the new descriptor open
 *	across execve(); otherwise 0 (it is close-on-exec)
 * @rights: REFSLAB_RIGHT_* bits the file carries, a subset of the
 *	handle's; 0 for the handle's own rights
 *
 * The new descriptor holds one reference; pass it by fork() or SCM_RIGHTS
 * and turn it back into a handle with refslab_import().
 *
 * Return: the new file descriptor, or a negative errno: -ENOENT, -EACCES
 * for rights the handle does not have, -EINVAL for a bad flag.
 */
REFSLAB_EXPORT int refslab_export(int fd, uint32_t handle, uint32_t flags,
				  uint32_t rights);

/**
 * refslab_import() - turn an exported object file into a handle
 * @fd: refslab device file descriptor
 * @obj_fd: a descriptor made by refslab_export(); it stays open
 * @handle: output, a new handle holding one reference, with the rights the
 *	file carries
 *
 * Return: 0 or a negative errno (-EBADF if @obj_fd is not a refslab
 * object file).
 */
REFSLAB_EXPORT int refslab_import(int fd, int obj_fd, uint32_t *handle);

/**
 * refslab_open_by_id() - open an object by its id
 * @fd: refslab device file descriptor
 * @id: the object's id in the caller's IPC namespace
 * @rights: REFSLAB_RIGHT_* bits wanted; 0 gives the owner a handle for
 *	refslab_info(), refslab_setattr() and refslab_subscribe() only
 * @handle: output, a new handle holding one reference, with @rights
 *
 * Access is checked against the object's owner, group and mode like a
 * file's; a handle with no rights is for the owner (or CAP_FOWNER) only.
 *
 * Return: 0 or a negative errno: -ENOENT for no such object, -EACCES when
 * the mode does not grant @rights, -EINVAL for bad @rights.
 */
REFSLAB_EXPORT int refslab_open_by_id(int fd, uint64_t id, uint32_t rights,
				      uint32_t *handle);

/**
 * refslab_setattr() - change an object's mode, owner or group
 * @fd: refslab device file descriptor
 * @handle: a handle to the object (any rights)
 * @mask: REFSLAB_SETATTR_MODE, _UID and/or _GID: what to change
 * @mode: new permission bits, 0777 at most
 * @uid: new owner
 * @gid: new group
 *
 * Return: 0 or a negative errno: -EPERM when the caller may not make the
 * change, -EDQUOT when the new owner's quota is full, -EINVAL.
 */
REFSLAB_EXPORT int refslab_setattr(int fd, uint32_t handle, uint32_t mask,
				   uint32_t mode, uint32_t uid, uint32_t gid);

/**
 * refslab_pin() - keep an object alive without any holder
 * @fd: refslab device file descriptor
 * @id: the object's id in the caller's IPC namespace
 *
 * Return: 0 or a negative errno: -ENOENT, -EPERM for neither owner nor
 * privileged (checked before -EEXIST), -EEXIST if already pinned,
 * -EDQUOT for the pin quota.
 */
REFSLAB_EXPORT int refslab_pin(int fd, uint64_t id);

/**
 * refslab_unpin() - drop the pin of an object
 * @fd: refslab device file descriptor
 * @id: the object's id in the caller's IPC namespace
 *
 * The object is reclaimed if the pin was its last reference.
 *
 * Return: 0 or a negative errno: -ENOENT (no such object, or not pinned),
 * -EPERM.
 */
REFSLAB_EXPORT int refslab_unpin(int fd, uint64_t id);

/**
 * refslab_pin_ns() - pin an object of a given IPC namespace
 * @fd: refslab device file descriptor
 * @ns: inode number of the IPC namespace @id is in (as refslab_ns_self()
 *	or refslab_list_namespaces() give it)
 * @id: the object's id in that namespace
 *
 * As refslab_pin(), with REFSLAB_PIN_NS: for the administrator of the
 * initial user namespace, who may reach namespaces that have no process
 * left.
 *
 * Return: 0 or a negative errno: -EPERM without CAP_SYS_ADMIN in the
 * initial user namespace, -ENOENT for no such namespace or object, and
 * those of refslab_pin().
 */
REFSLAB_EXPORT int refslab_pin_ns(int fd, uint64_t ns, uint64_t id);

/**
 * refslab_unpin_ns() - drop the pin of an object of a given IPC namespace
 * @fd: refslab device file descriptor
 * @ns: inode number of the IPC namespace @id is in
 * @id: the object's id in that namespace
 *
 * As refslab_unpin(), with REFSLAB_PIN_NS: how the administrator frees
 * the pins a namespace left behind when its last process exited.
 *
 * Return: 0 or a negative errno: -EPERM without CAP_SYS_ADMIN in the
 * initial user namespace, -ENOENT for no such namespace, no such object or
 * no pin.
 */
REFSLAB_EXPORT int refslab_unpin_ns(int fd, uint64_t ns, uint64_t id);

/**
 * refslab_list() - the LIST_PINNED call, with its flags
 * @fd: refslab device file descriptor
 * @flags: 0, REFSLAB_LIST_NS or REFSLAB_LIST_NAMESPACES
 * @ns: with REFSLAB_LIST_NS, the inode number of the IPC namespace whose
 *	pins to list; else 0
 * @after: list only values greater than this (0 to start)
 * @values: array of @max values to fill, in increasing order: ids of
 *	pinned objects, or with REFSLAB_LIST_NAMESPACES inode numbers of the
 *	IPC namespaces that hold pins
 * @max: capacity of @values, 1 to INT32_MAX
 *
 * The module fills @values as far as there are values, up to @max.  To
 * page through any number of them, call again with @after set to the last
 * value returned while the answer fills the whole array: an answer with
 * fewer than @max values (0 included) is the end of the list.
 * refslab_list_pinned(), refslab_list_pinned_ns() and
 * refslab_list_namespaces() are this call with one set of flags each.
 *
 * Return: the number of values written, or a negative errno: -EINVAL for
 * an unknown flag, both flags, @ns without REFSLAB_LIST_NS or a bad @max,
 * -EPERM for either flag without CAP_SYS_ADMIN in the initial user
 * namespace, -ENOENT for an @ns that holds no refslab objects, -EFAULT.
 */
REFSLAB_EXPORT int refslab_list(int fd, uint32_t flags, uint64_t ns,
				uint64_t after, uint64_t *values, uint32_t max);

/**
 * refslab_list_pinned() - list pinned objects' ids
 * @fd: refslab device file descriptor
 * @after: list only ids greater than this (0 to start)
 * @ids: array of @max ids to fill, in increasing order
 * @max: capacity of @ids, at least 1
 *
 * Lists the pins of the caller's IPC namespace.  The module fills @ids up
 * to @max; to page through, call again with @after set to the last id
 * returned until fewer than @max come back.
 *
 * Return: the number of ids written, or a negative errno.
 */
REFSLAB_EXPORT int refslab_list_pinned(int fd, uint64_t after, uint64_t *ids,
				       uint32_t max);

/**
 * refslab_list_pinned_ns() - list the pinned objects of an IPC namespace
 * @fd: refslab device file descriptor
 * @ns: inode number of the IPC namespace
 * @after: list only ids greater than this (0 to start)
 * @ids: array of @max ids to fill, in increasing order
 * @max: capacity of @ids, at least 1
 *
 * refslab_list() with REFSLAB_LIST_NS; pages as refslab_list_pinned().
 *
 * Return: the number of ids written, or a negative errno: -EPERM without
 * CAP_SYS_ADMIN in the initial user namespace, -ENOENT for no such
 * namespace.
 */
REFSLAB_EXPORT int refslab_list_pinned_ns(int fd, uint64_t ns, uint64_t after,
					  uint64_t *ids, uint32_t max);

/**
 * refslab_list_namespaces() - list the IPC namespaces that hold pins
 * @fd: refslab device file descriptor
 * @after: list only inode numbers greater than this (0 to start)
 * @ns: array of @max inode numbers to fill, in increasing order
 * @max: capacity of @ns, at least 1
 *
 * refslab_list() with REFSLAB_LIST_NAMESPACES; pages as
 * refslab_list_pinned().  Each number can be given to
 * refslab_list_pinned_ns() and refslab_unpin_ns().
 *
 * Return: the number of inode numbers written, or a negative errno
 * (-EPERM without CAP_SYS_ADMIN in the initial user namespace).
 */
REFSLAB_EXPORT int refslab_list_namespaces(int fd, uint64_t after,
					   uint64_t *ns, uint32_t max);

/**
 * refslab_subscribe() - ask for an event when an object is reclaimed
 * @fd: refslab device file descriptor; the event is queued on this file
 * @handle: a handle to the object to watch
 *
 * refslab_subscribe_cookie() with cookie 0.
 *
 * Return: 0 or a negative errno (-ENOENT, -EDQUOT for the watch quota).
 */
REFSLAB_EXPORT int refslab_subscribe(int fd, uint32_t handle);

/**
 * refslab_subscribe_cookie() - watch an object, tagging its event
 * @fd: refslab device file descriptor; the event is queued on this file
 * @handle: a handle to the object to watch
 * @cookie: any value; the event carries it back in its @cookie
 *
 * One watch, one REFSLAB_EVENT_RECLAIMED record once the object is
 * reclaimed.  A watch counts against the caller's watch quota until its
 * event is queued (or lost to an overflow) or @fd is closed.
 *
 * Return: 0 or a negative errno (-ENOENT, -EDQUOT for the watch quota).
 */
REFSLAB_EXPORT int refslab_subscribe_cookie(int fd, uint32_t handle,
					    uint64_t cookie);

/**
 * refslab_subscribe_id() - watch an object by its id, tagging its event
 * @fd: refslab device file descriptor; the event is queued on this file
 * @id: the object's id in the caller's IPC namespace
 * @cookie: any value; the event carries it back in its @cookie
 *
 * As refslab_subscribe_cookie() (REFSLAB_SUBSCRIBE_ID), without a handle:
 * the caller takes no reference.  It must own the object (or have
 * CAP_FOWNER) or be allowed to open it for reading by its mode.
 *
 * Return: 0 or a negative errno: -ENOENT for no such object, -EACCES when
 * neither owner nor allowed to read, -EDQUOT for the watch quota.
 */
REFSLAB_EXPORT int refslab_subscribe_id(int fd, uint64_t id, uint64_t cookie);

/**
 * refslab_read_events() - read reclamation events queued on a file
 * @fd: refslab device file descriptor
 * @events: array of @max records to fill
 * @max: capacity of @events, at least 1
 * @timeout_ms: -1 to wait until an event arrives, 0 not to wait, or the
 *	most milliseconds to wait
 *
 * The module's records are read by their @len: each becomes one element
 * of @events.  Fields that a newer module appends to a record are
 * dropped; @len still says how long the module's record was.  Records of
 * a @type the caller does not know are handed on as they are: skip them.
 * A REFSLAB_EVENT_OVERFLOW record (@id and @cookie 0) says that @count
 * events did not fit in the queue and are lost.
 *
 * Waiting is done with poll(), so the file's own O_NONBLOCK setting is
 * left alone.  If other threads read the same file, open it with
 * O_NONBLOCK so that a record another thread took cannot make this call
 * block past @timeout_ms.
 *
 * Return: the number of records read (at least 1), or a negative errno:
 * -EAGAIN when none arrived in time, -EINTR if a signal interrupted the
 * wait, -EIO for records the module should not have sent (shorter than
 * struct refslab_event, or cut).
 */
REFSLAB_EXPORT int refslab_read_events(int fd, struct refslab_event *events,
				       unsigned int max, int timeout_ms);

/**
 * refslab_batch() - run an array of operations in one system call
 * @fd: refslab device file descriptor
 * @ops: @count operations; each @arg points at its argument structure,
 *	which must have its size set; each @result is written
 * @count: number of operations, 1 to REFSLAB_BATCH_MAX
 * @flags: REFSLAB_BATCH_CONTINUE to carry on after a failed operation
 *
 * Most callers build @ops with a struct refslab_batchbuf instead.
 *
 * Return: the number of operations run, or a negative errno if the batch
 * itself was refused (-EINVAL for a bad @count or flag, and for
 * REFSLAB_BATCH_REFS, which is refslab_batch_refs()'s; -EFAULT).
 */
REFSLAB_EXPORT int refslab_batch(int fd, struct refslab_batch_op *ops,
				 uint32_t count, uint32_t flags);

/**
 * refslab_batch_refs() - many GETs and PUTs in one system call
 * @fd: refslab device file descriptor
 * @changes: @count records: each a GET of @delta references on @handle
 *	if @delta is positive, a PUT of -@delta if negative; each @result,
 *	and @refs when that is 0, is written, the inputs are not
 * @count: number of records, 1 to REFSLAB_BATCH_MAX
 * @flags: REFSLAB_BATCH_CONTINUE to carry on after a failed record
 *
 * The fastest way to change many references: a BATCH with
 * REFSLAB_BATCH_REFS, whose 16-byte records the kernel reads and answers
 * a word at a time.  The array can be run again as it is.
 *
 * Return: the number of records run, or a negative errno if the batch
 * itself was refused (-EINVAL for a bad @count or flag, -EFAULT).
 */
REFSLAB_EXPORT int refslab_batch_refs(int fd,
				      struct refslab_ref_change *changes,
				      uint32_t count, uint32_t flags);

/*
 * Batch builder.  A struct refslab_batchbuf owns the operation array and
 * one argument structure per operation; refslab_batchbuf_add_*() append
 * an operation and return its index; after refslab_batchbuf_run(),
 * refslab_batchbuf_result() and refslab_batchbuf_arg() give each
 * operation's outcome and outputs.  A buffer belongs to one thread at a
 * time.
 */
struct refslab_batchbuf;

/* One operation's argument structure, as stored in a batch buffer. */
union refslab_batch_arg {
	struct {
		uint32_t size;
		uint32_t flags;
	} hdr;
	struct refslab_version version;
	struct refslab_create create;
	struct refslab_ref ref;
	struct refslab_dup dup;
	struct refslab_info info;
	struct refslab_rw rw;
	struct refslab_export export_;
	struct refslab_import import;
	struct refslab_open open;
	struct refslab_setattr setattr;
	struct refslab_pin pin;
	struct refslab_list list;
	struct refslab_subscribe subscribe;
};

/**
 * refslab_batchbuf_new() - allocate a batch buffer
 * @max: most operations it will hold, 1 to REFSLAB_BATCH_MAX
 * @bufp: output, the new buffer; free it with refslab_batchbuf_free()
 *
 * Return: 0 or a negative errno (-EINVAL, -ENOMEM).
 */
REFSLAB_EXPORT int refslab_batchbuf_new(unsigned int max,
					struct refslab_batchbuf **bufp);

/**
 * refslab_batchbuf_free() - free a batch buffer
 * @buf: the buffer, or NULL
 */
REFSLAB_EXPORT void refslab_batchbuf_free(struct refslab_batchbuf *buf);

/**
 * refslab_batchbuf_reset() - empty a batch buffer for reuse
 * @buf: the buffer
 */
REFSLAB_EXPORT void refslab_batchbuf_reset(struct refslab_batchbuf *buf);

/**
 * refslab_batchbuf_count() - number of operations in a batch buffer
 * @buf: the buffer
 *
 * Return: the number of operations added since the last reset.
 */
REFSLAB_EXPORT unsigned int
refslab_batchbuf_count(const struct refslab_batchbuf *buf);

/**
 * refslab_batchbuf_add() - append an operation with a ready argument
 * @buf: the buffer
 * @cmd: REFSLAB_CMD_* of the operation (not REFSLAB_CMD_BATCH)
 * @arg: the argument structure; copied; its size field is set to @len
 * @len: sizeof the argument structure, at most sizeof(union
 *	refslab_batch_arg)
 *
 * Return: the operation's index, or a negative errno: -ENOSPC when the
 * buffer is full, -EINVAL for a bad @cmd or @len.
 */
REFSLAB_EXPORT int refslab_batchbuf_add(struct refslab_batchbuf *buf,
					uint32_t cmd, const void *arg,
					size_t len);

/**
 * refslab_batchbuf_add_create() - append a CREATE
 * @buf: the buffer
 * @size: payload size
 * @mode: permission bits or REFSLAB_MODE_DEFAULT
 * @data: initial payload, or NULL; must stay valid until the batch runs
 * @len: bytes at @data
 *
 * The new handle and id are in refslab_batchbuf_arg()->create after the run.
 *
 * Return: the operation's index, or a negative errno.
 */
REFSLAB_EXPORT int refslab_batchbuf_add_create(struct refslab_batchbuf *buf,
					       uint32_t size, int mode,
					       const void *data, uint32_t len);

/**
 * refslab_batchbuf_add_get() - append a GET
 * @buf: the buffer
 * @handle: the handle
 * @count: references to add
 *
 * Return: the operation's index, or a negative errno.
 */
REFSLAB_EXPORT int refslab_batchbuf_add_get(struct refslab_batchbuf *buf,
					    uint32_t handle, uint32_t count);

/**
 * refslab_batchbuf_add_put() - append a PUT
 * @buf: the buffer
 * @handle: the handle
 * @count: references to drop
 *
 * Return: the operation's index, or a negative errno.
 */
REFSLAB_EXPORT int refslab_batchbuf_add_put(struct refslab_batchbuf *buf,
					    uint32_t handle, uint32_t count);

/**
 * refslab_batchbuf_add_info() - append an INFO
 * @buf: the buffer
 * @handle: the handle
 *
 * Return: the operation's index, or a negative errno.
 */
REFSLAB_EXPORT int refslab_batchbuf_add_info(struct refslab_batchbuf *buf,
					     uint32_t handle);

/**
 * refslab_batchbuf_add_read() - append a READ
 * @buf: the buffer
 * @handle: the handle
 * @offset: payload offset
 * @dst: destination of @len bytes; must stay valid until the batch runs
 * @len: number of bytes
 *
 * Return: the operation's index, or a negative errno.
 */
REFSLAB_EXPORT int refslab_batchbuf_add_read(struct refslab_batchbuf *buf,
					     uint32_t handle, uint32_t offset,
					     void *dst, uint32_t len);

/**
 * refslab_batchbuf_add_write() - append a WRITE
 * @buf: the buffer
 * @handle: the handle
 * @offset: payload offset
 * @src: @len bytes to write; must stay valid until the batch runs
 * @len: number of bytes
 *
 * Return: the operation's index, or a negative errno.
 */
REFSLAB_EXPORT int refslab_batchbuf_add_write(struct refslab_batchbuf *buf,
					      uint32_t handle, uint32_t offset,
					      const void *src, uint32_t len);

/**
 * refslab_batchbuf_add_open() - append an OPEN by id
 * @buf: the buffer
 * @id: the object's id
 * @rights: REFSLAB_RIGHT_* bits wanted
 *
 * Return: the operation's index, or a negative errno.
 */
REFSLAB_EXPORT int refslab_batchbuf_add_open(struct refslab_batchbuf *buf,
					     uint64_t id, uint32_t rights);

/**
 * refslab_batchbuf_run() - run every operation of a batch buffer
 * @fd: refslab device file descriptor
 * @buf: the buffer, with at least one operation
 * @flags: REFSLAB_BATCH_CONTINUE to carry on after a failed operation
 *
 * Return: the number of operations run, or a negative errno if the batch
 * itself was refused (-EINVAL for an empty buffer).
 */
REFSLAB_EXPORT int refslab_batchbuf_run(int fd, struct refslab_batchbuf *buf,
					uint32_t flags);

/**
 * refslab_batchbuf_result() - outcome of one operation after a run
 * @buf: the buffer
 * @index: the operation's index
 *
 * Return: 0 or the operation's negative errno; -EINVAL for a bad @index.
 * An operation the batch did not reach reads as 0: compare @index with
 * the count refslab_batchbuf_run() returned.
 */
REFSLAB_EXPORT int refslab_batchbuf_result(const struct refslab_batchbuf *buf,
					   unsigned int index);

/**
 * refslab_batchbuf_arg() - one operation's argument structure
 * @buf: the buffer
 * @index: the operation's index
 *
 * Return: the structure, with the kernel's outputs after a run, or NULL
 * for a bad @index.
 */
REFSLAB_EXPORT union refslab_batch_arg *
refslab_batchbuf_arg(struct refslab_batchbuf *buf, unsigned int index);

/**
 * struct refslab_stats - the module's counters from /sys/kernel/refslab/
 * @version: module version string
 * @objects_live: objects created and not yet released
 * @objects_created: objects created since load
 * @objects_released: objects whose last reference went
 * @objects_reclaimed: objects whose memory was freed
 * @reclaim_pending: released objects waiting for their grace period
 * @references_live: references held
 * @gets: references taken since load
 * @puts: references dropped since load
 * @handles_live: handles in every file
 * @open_files: open files of /dev/refslab
 * @payload_bytes: payload bytes of live objects
 * @quota_denials: EDQUOT failures since load
 *
 * A counter the running module does not provide reads as -1.
 */
struct refslab_stats {
	char version[64];
	int64_t objects_live;
	int64_t objects_created;
	int64_t objects_released;
	int64_t objects_reclaimed;
	int64_t reclaim_pending;
	int64_t references_live;
	int64_t gets;
	int64_t puts;
	int64_t handles_live;
	int64_t open_files;
	int64_t payload_bytes;
	int64_t quota_denials;
};

/**
 * refslab_stats_read() - read every known counter
 * @stats: filled; counters the module lacks read as -1
 *
 * Each counter is read from its own file, so the set is not one atomic
 * snapshot.
 *
 * Return: 0 or a negative errno (-ENOENT when the module is not loaded).
 */
REFSLAB_EXPORT int refslab_stats_read(struct refslab_stats *stats);

/**
 * refslab_stat_read() - read one counter from /sys/kernel/refslab/
 * @name: file name below REFSLAB_SYSFS_DIR, e.g. "objects_live" or a path
 *	into a subdirectory; no ".." component
 * @value: output, the value
 *
 * Return: 0 or a negative errno: -ENOENT for no such file, -EINVAL if
 * @name is bad or the file does not hold an integer.
 */
REFSLAB_EXPORT int refslab_stat_read(const char *name, int64_t *value);

/**
 * struct refslab_params - the module's limits
 * @max_objects: most live objects over all users
 * @user_max_objects: most live objects per unprivileged user
 * @user_max_bytes: most payload bytes per unprivileged user
 * @priv_max_objects: most live objects per privileged user
 * @priv_max_bytes: most payload bytes per privileged user
 *
 * A parameter the running module does not have reads as -1.
 */
struct refslab_params {
	int64_t max_objects;
	int64_t user_max_objects;
	int64_t user_max_bytes;
	int64_t priv_max_objects;
	int64_t priv_max_bytes;
};

/**
 * refslab_params_read() - read the module's limits
 * @params: filled; parameters the module lacks read as -1
 *
 * Return: 0 or a negative errno (-ENOENT when the module is not loaded).
 */
REFSLAB_EXPORT int refslab_params_read(struct refslab_params *params);

/**
 * refslab_param_read() - read one module parameter
 * @name: parameter name, e.g. "user_max_objects"
 * @value: output, its value
 *
 * Return: 0 or a negative errno (-ENOENT for no such parameter, -EINVAL).
 */
REFSLAB_EXPORT int refslab_param_read(const char *name, int64_t *value);

/**
 * refslab_param_write() - set one module parameter (needs privilege)
 * @name: parameter name
 * @value: new value
 *
 * Return: 0 or a negative errno: -ENOENT, -EACCES without privilege,
 * -EINVAL for a value the module refuses.
 */
REFSLAB_EXPORT int refslab_param_write(const char *name, int64_t value);

/**
 * refslab_ns_self() - the calling thread's IPC namespace
 * @ns: output, its inode number, the number by which refslab names IPC
 *	namespaces (REFSLAB_PIN_NS, REFSLAB_LIST_NS), as
 *	`stat -L -c %i /proc/self/ns/ipc` prints it
 *
 * Read from /proc/thread-self/ns/ipc (/proc/self/ns/ipc on kernels
 * without it).
 *
 * Return: 0 or a negative errno (-ENOENT when /proc is not mounted).
 */
REFSLAB_EXPORT int refslab_ns_self(uint64_t *ns);

/**
 * refslab_strerror() - what an error means for refslab
 * @err: an errno, negative (as returned) or positive
 *
 * Return: a constant string naming the errno and its refslab meaning,
 * e.g. for ESTALE "object changed since the expected generation (ESTALE)".
 * Never NULL; safe from any thread.
 */
REFSLAB_EXPORT const char *refslab_strerror(int err);

/**
 * refslab_errno_name() - the symbolic name of an errno
 * @err: an errno, negative or positive
 *
 * Return: e.g. "EACCES", or "E?" for one refslab does not use.
 */
REFSLAB_EXPORT const char *refslab_errno_name(int err);

#ifdef __cplusplus
}
#endif

#endif /* REFSLAB_H */

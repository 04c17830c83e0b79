/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * refslab: kernel-owned, reference-counted objects for userspace.
 */
#ifndef _UAPI_LINUX_REFSLAB_H
#define _UAPI_LINUX_REFSLAB_H

#include <linux/types.h>
#include <linux/ioctl.h>

/**
 * DOC: refslab ioctl interface
 *
 * A process opens /dev/refslab and issues the ioctls below on the file.
 * Objects live in the kernel; the file holds *handles* to them.  A handle is
 * a non-zero __u32 local to the open file and holds one or more references
 * to its object.  A handle that was put or closed finds nothing (ENOENT);
 * its number is given out again only after more than 65 000 other handles
 * of the file have gone.  When the last reference to an object is dropped
 * (by PUT, by closing the file, or by the process dying) the object can no
 * longer be found, and its memory is freed after an RCU grace period.
 *
 * Every argument structure starts with ``__u32 size``, the size of the
 * structure as the caller knows it, and ``__u32 flags``.  The kernel accepts
 * a smaller structure from an older program (missing fields read as zero)
 * and a larger one from a newer program if every byte it does not know is
 * zero.  Fields named ``__reserved`` must be zero.  Output fields are
 * ignored on input.
 *
 * Errors (a negative return of ioctl() sets errno):
 *
 * - ENOTTY: unknown command.
 * - EINVAL: unknown flag, non-zero reserved field, structure smaller than
 *   the command's first version, or a bad size, offset, length, mode or
 *   count; EXPORT with REFSLAB_EXPORT_RIGHTS and no right or an unknown
 *   right bit; a BATCH operation that is itself a BATCH, has unknown
 *   REFSLAB_BATCH_OP_* flags, an in-record form its command does not have,
 *   or non-zero bytes after its form.
 * - E2BIG: the structure is larger than the kernel knows and its unknown
 *   tail is not zero.
 * - EFAULT: a user pointer (the argument, or a buffer it names) is bad;
 *   BATCH when its first run of records cannot be read or written.
 * - ENOENT: unknown handle, or a handle that has been put or closed; an id
 *   that names no live object in the caller's IPC namespace; an IPC
 *   namespace number that names none holding refslab objects.
 * - EACCES: the handle lacks the right the operation needs, or the
 *   object's owner, group and mode do not grant the rights OPEN asks for.
 * - EPERM: the caller is neither the object's owner nor privileged (SETATTR,
 *   PIN, UNPIN; PIN checks ownership before EEXIST), a change of owner or
 *   of group to one the owner is not in without CAP_CHOWN, or a command
 *   naming another IPC namespace without CAP_SYS_ADMIN in the initial user
 *   namespace.
 * - EBADF: IMPORT of a file descriptor that is not a refslab object file.
 * - EEXIST: PIN of an object that is already pinned.
 * - EAGAIN: read() of an empty event queue on a non-blocking file.
 * - EDQUOT: a per-user quota (objects, payload bytes, pins, watches) or
 *   the global object limit would be exceeded.
 * - ENOSPC: the file already holds REFSLAB_FILE_HANDLES_MAX handles.
 * - EMFILE, ENFILE: EXPORT found no free file descriptor.
 * - EOVERFLOW: the reference cap of a handle or an object would be exceeded.
 * - ENOMEM: a kernel allocation failed.
 * - ESTALE: a conditional WRITE found a generation other than the expected
 *   one; the object is unchanged.
 *
 * A call that fails has no effect: a handle created by CREATE, DUP, IMPORT
 * or OPEN, or a file by EXPORT, becomes usable only when the call
 * succeeds, and every command writes its answer before it takes effect.
 * GET, PUT, WRITE and BATCH then update their output fields; if another
 * thread unmaps the structure in between, they fail with EFAULT although
 * they took effect.
 */

/**
 * DOC: refslab sharing and lifetimes
 *
 * References belong to open files, not to processes:
 *
 * - **fork()** and **dup()** share the open file of /dev/refslab, and with
 *   it the handle table: a handle put in the child is gone in the parent.
 *   A process that wants handles of its own opens /dev/refslab again.
 * - **execve()** keeps the device file, and so its handles, unless it was
 *   opened with O_CLOEXEC.  An exported object file is O_CLOEXEC unless
 *   REFSLAB_EXPORT_KEEP_ON_EXEC asked otherwise.
 * - **SCM_RIGHTS** passes either kind of file like any other: a received
 *   device file shares the sender's handle table; a received object file
 *   is IMPORTed into a handle of the receiver's own.
 * - A file **in flight** on a unix socket holds its references until it
 *   is received or the socket is destroyed (also when the sender has
 *   exited, and through the unix garbage collector's cycle breaking).
 * - When the last reference to an open file goes (close, exit, SIGKILL),
 *   every reference its handles hold is dropped; objects no longer held by
 *   any handle, exported file or pin are released then, and reclaimed a
 *   grace period later.
 * - The module cannot be unloaded while a device file or an object file
 *   exists anywhere; pins end when it is unloaded.
 */

/**
 * DOC: refslab namespaces and quotas
 *
 * Ids are names within one IPC namespace, as SysV IPC ids are.  Every
 * command that takes or lists ids (CREATE, OPEN, PIN, UNPIN, LIST_PINNED,
 * SUBSCRIBE by id) acts in the IPC namespace of the calling task at the
 * time of the call, not the one the device file was opened in: a file
 * passed into a container names the container's objects there.  Each
 * namespace counts its ids from 1 and never reuses one while the module is
 * loaded and the namespace exists, so the same id may name different
 * objects in two namespaces.
 *
 * Objects cross namespaces only as files: a handle made by IMPORT (or
 * inherited with the device file) works wherever the file goes, with its
 * rights.  INFO on a handle to an object of another namespace reports
 * @id 0 and REFSLAB_INFO_FOREIGN; events report @id 0 for it.
 *
 * A namespace's objects, and the namespace itself, stay alive while any of
 * its objects is held or pinned.  The administrator of the initial user
 * namespace (CAP_SYS_ADMIN there) may list the namespaces that hold pins
 * (LIST_PINNED with REFSLAB_LIST_NAMESPACES), list their pins
 * (REFSLAB_LIST_NS) and unpin them (UNPIN with REFSLAB_PIN_NS), also after
 * every process of the namespace is gone.  A namespace is named by its
 * inode number, as in /proc/<pid>/ns/ipc.
 *
 * Quotas are charged up the user-namespace chain: an object created by a
 * uid inside a user namespace is charged to that uid there, and to the
 * namespace's owner in the parent namespace, and so on up to the initial
 * one, each level against the same limits.  Mapping many uids multiplies
 * no one's limits.  The limits are module parameters
 * (/sys/module/refslab/parameters/).
 */

#define REFSLAB_IOCTL_TYPE	0xBB

/* ABI version reported by REFSLAB_IOC_VERSION. */
#define REFSLAB_ABI_MAJOR	1
#define REFSLAB_ABI_MINOR	0

/* Largest payload an object can have, in bytes. */
#define REFSLAB_PAYLOAD_MAX	4096

/* Most references one handle can hold. */
#define REFSLAB_HANDLE_REFS_MAX	(1U << 20)

/* Most handles one open file can hold at a time. */
#define REFSLAB_FILE_HANDLES_MAX	(1U << 21)

/* Most references one object can have, over all its holders. */
#define REFSLAB_OBJECT_REFS_MAX	(1U << 24)

/* Access rights a handle carries. */
#define REFSLAB_RIGHT_READ	(1U << 0)
#define REFSLAB_RIGHT_WRITE	(1U << 1)
#define REFSLAB_RIGHTS_ALL	(REFSLAB_RIGHT_READ | REFSLAB_RIGHT_WRITE)

enum {
	REFSLAB_CMD_VERSION = 0x00,
	REFSLAB_CMD_CREATE = 0x01,
	REFSLAB_CMD_GET = 0x02,
	REFSLAB_CMD_PUT = 0x03,
	REFSLAB_CMD_DUP = 0x04,
	REFSLAB_CMD_INFO = 0x05,
	REFSLAB_CMD_READ = 0x06,
	REFSLAB_CMD_WRITE = 0x07,
	REFSLAB_CMD_EXPORT = 0x08,
	REFSLAB_CMD_IMPORT = 0x09,
	REFSLAB_CMD_OPEN = 0x0a,
	REFSLAB_CMD_SETATTR = 0x0b,
	REFSLAB_CMD_PIN = 0x0c,
	REFSLAB_CMD_UNPIN = 0x0d,
	REFSLAB_CMD_LIST_PINNED = 0x0e,
	REFSLAB_CMD_SUBSCRIBE = 0x0f,
	REFSLAB_CMD_BATCH = 0x10,
};

/* Features reported by REFSLAB_IOC_VERSION. */
#define REFSLAB_FEATURE_CORE	(1ULL << 0)	/* CREATE GET PUT DUP INFO READ WRITE */
#define REFSLAB_FEATURE_SHARE	(1ULL << 1)	/* EXPORT IMPORT OPEN SETATTR */
#define REFSLAB_FEATURE_PIN	(1ULL << 2)	/* PIN UNPIN LIST_PINNED */
#define REFSLAB_FEATURE_NOTIFY	(1ULL << 3)	/* SUBSCRIBE, read() and poll() */
#define REFSLAB_FEATURE_BATCH	(1ULL << 4)	/* BATCH */
#define REFSLAB_FEATURE_NS	(1ULL << 5)	/* ids per IPC namespace, REFSLAB_*_NS */

/**
 * struct refslab_version - REFSLAB_IOC_VERSION
 * @size: sizeof(struct refslab_version)
 * @flags: must be 0
 * @abi_major: output, REFSLAB_ABI_MAJOR of the running module
 * @abi_minor: output, REFSLAB_ABI_MINOR of the running module
 * @features: output, REFSLAB_FEATURE_* bits the module supports
 * @payload_max: output, largest payload size, in bytes
 * @handle_refs_max: output, most references one handle can hold
 * @object_refs_max: output, most references one object can have
 * @nr_classes: output, number of payload size classes
 * @file_handles_max: output, most handles one /dev/refslab file can have
 *	(REFSLAB_FILE_HANDLES_MAX)
 * @batch_max: output, most operations of one BATCH (REFSLAB_BATCH_MAX)
 *
 * Tells userspace what the loaded module supports.
 */
struct refslab_version {
	__u32 size;
	__u32 flags;
	__u32 abi_major;
	__u32 abi_minor;
	__aligned_u64 features;
	__u32 payload_max;
	__u32 handle_refs_max;
	__u32 object_refs_max;
	__u32 nr_classes;
	__u32 file_handles_max;
	__u32 batch_max;
};

#define REFSLAB_IOC_VERSION	_IO(REFSLAB_IOCTL_TYPE, REFSLAB_CMD_VERSION)

/* @mode of struct refslab_create is valid; without it the mode is 0600. */
#define REFSLAB_CREATE_MODE	(1U << 0)
#define REFSLAB_CREATE_ALL	REFSLAB_CREATE_MODE

/**
 * struct refslab_create - REFSLAB_IOC_CREATE
 * @size: sizeof(struct refslab_create)
 * @flags: REFSLAB_CREATE_* flags
 * @payload_size: payload size in bytes, 1 to REFSLAB_PAYLOAD_MAX
 * @mode: permission bits (0777 at most) when REFSLAB_CREATE_MODE is set
 * @data: pointer to initial payload bytes, or 0
 * @data_len: number of bytes at @data, at most @payload_size; must be 0
 *	when @data is 0.  The rest of the payload is zero.
 * @handle: output, the new handle; it holds one reference and both rights
 * @id: output, the object's id in the caller's IPC namespace, never reused
 *	there while the module is loaded
 *
 * Creates an object owned by the caller's fsuid and fsgid, charged to the
 * caller's quota (and up its user-namespace chain), in the caller's IPC
 * namespace.  The object becomes visible only once the call succeeds.
 */
struct refslab_create {
	__u32 size;
	__u32 flags;
	__u32 payload_size;
	__u32 mode;
	__aligned_u64 data;
	__u32 data_len;
	__u32 handle;
	__aligned_u64 id;
};

#define REFSLAB_IOC_CREATE	_IO(REFSLAB_IOCTL_TYPE, REFSLAB_CMD_CREATE)

/**
 * struct refslab_ref - REFSLAB_IOC_GET and REFSLAB_IOC_PUT
 * @size: sizeof(struct refslab_ref)
 * @flags: must be 0
 * @handle: the handle
 * @count: number of references to add (GET) or drop (PUT), at least 1;
 *	PUT may not drop more than the handle holds
 * @refs: output, references the handle holds after the call; 0 after a
 *	PUT means the handle is gone
 * @__reserved: must be 0
 *
 * GET adds @count references to the handle, each also a reference to its
 * object.  PUT drops them; the handle disappears when it holds none.
 */
struct refslab_ref {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 count;
	__u32 refs;
	__u32 __reserved;
};

#define REFSLAB_IOC_GET		_IO(REFSLAB_IOCTL_TYPE, REFSLAB_CMD_GET)
#define REFSLAB_IOC_PUT		_IO(REFSLAB_IOCTL_TYPE, REFSLAB_CMD_PUT)

/**
 * struct refslab_dup - REFSLAB_IOC_DUP
 * @size: sizeof(struct refslab_dup)
 * @flags: must be 0
 * @handle: an existing handle
 * @new_handle: output, a second handle to the same object, holding one
 *	reference of its own and the rights of @handle
 */
struct refslab_dup {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 new_handle;
};

#define REFSLAB_IOC_DUP		_IO(REFSLAB_IOCTL_TYPE, REFSLAB_CMD_DUP)

/**
 * struct refslab_info - REFSLAB_IOC_INFO
 * @size: sizeof(struct refslab_info)
 * @flags: must be 0
 * @handle: the handle
 * @payload_size: output, payload size in bytes
 * @id: output, the object's id
 * @capacity: output, payload capacity of the object's size class
 * @mode: output, permission bits
 * @uid: output, owner, as seen from the caller's user namespace
 * @gid: output, group, as seen from the caller's user namespace
 * @object_refs: output, references to the object from all holders
 * @handle_refs: output, references this handle holds
 * @rights: output, REFSLAB_RIGHT_* bits of this handle
 * @state: output, REFSLAB_INFO_* bits
 * @generation: output, number of writes to the payload so far
 * @ctime_ns: output, creation time, CLOCK_REALTIME nanoseconds
 *
 * @object_refs is a snapshot: other holders may change it at any time.  An
 * object of another IPC namespace reports @id 0 and REFSLAB_INFO_FOREIGN:
 * its id is a name only there.
 */
struct refslab_info {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 payload_size;
	__aligned_u64 id;
	__u32 capacity;
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u32 object_refs;
	__u32 handle_refs;
	__u32 rights;
	__u32 state;
	__aligned_u64 generation;
	__aligned_u64 ctime_ns;
};

/* INFO @state: the object is pinned. */
#define REFSLAB_INFO_PINNED	(1U << 0)
/* INFO @state: the object belongs to another IPC namespace; @id is 0. */
#define REFSLAB_INFO_FOREIGN	(1U << 1)

#define REFSLAB_IOC_INFO	_IO(REFSLAB_IOCTL_TYPE, REFSLAB_CMD_INFO)

/* WRITE only if the object's generation equals @generation, else ESTALE. */
#define REFSLAB_WRITE_IF_GENERATION	(1U << 0)
#define REFSLAB_WRITE_ALL		REFSLAB_WRITE_IF_GENERATION

/**
 * struct refslab_rw - REFSLAB_IOC_READ and REFSLAB_IOC_WRITE
 * @size: sizeof(struct refslab_rw)
 * @flags: 0 for READ; REFSLAB_WRITE_* flags for WRITE
 * @handle: the handle; READ needs REFSLAB_RIGHT_READ, WRITE needs
 *	REFSLAB_RIGHT_WRITE
 * @offset: byte offset into the payload
 * @length: number of bytes, at least 1; @offset + @length must not pass
 *	the payload size
 * @__reserved: must be 0
 * @buf: user buffer to read into or write from
 * @generation: input for a conditional WRITE, the expected generation;
 *	output, the generation of the bytes read, or after the write
 *
 * A READ never returns a mix of two writes: each WRITE replaces its byte
 * range atomically with respect to READs and other WRITEs of the object,
 * and bumps the generation by one.
 */
struct refslab_rw {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 offset;
	__u32 length;
	__u32 __reserved;
	__aligned_u64 buf;
	__aligned_u64 generation;
};

#define REFSLAB_IOC_READ	_IO(REFSLAB_IOCTL_TYPE, REFSLAB_CMD_READ)
#define REFSLAB_IOC_WRITE	_IO(REFSLAB_IOCTL_TYPE, REFSLAB_CMD_WRITE)

/* The exported file stays open across execve(); without it, O_CLOEXEC. */
#define REFSLAB_EXPORT_KEEP_ON_EXEC	(1U << 0)
/* @rights of struct refslab_export is valid; without it, the handle's. */
#define REFSLAB_EXPORT_RIGHTS		(1U << 1)
#define REFSLAB_EXPORT_ALL	(REFSLAB_EXPORT_KEEP_ON_EXEC | REFSLAB_EXPORT_RIGHTS)

/**
 * struct refslab_export - REFSLAB_IOC_EXPORT
 * @size: sizeof(struct refslab_export)
 * @flags: REFSLAB_EXPORT_* flags
 * @handle: the handle to export
 * @rights: with REFSLAB_EXPORT_RIGHTS, the rights the file carries: a
 *	non-empty subset of the handle's (more gives EACCES; none, or an
 *	unknown bit, EINVAL)
 * @fd: output, a new file descriptor for the object
 * @__reserved: must be 0
 *
 * The file holds one reference to the object, travels by fork() and
 * SCM_RIGHTS like any file, and is turned back into a handle by IMPORT in
 * whichever process holds it.  Holding it is the permission: IMPORT checks
 * no owner or mode.
 *
 * The handle keeps the file it exported last, as DRM keeps a GEM object's
 * dma-buf: another EXPORT of the same handle with the same rights returns
 * a new descriptor of that same open file description (status flags such
 * as O_NONBLOCK, and locks, are shared between them; close-on-exec is per
 * descriptor, as always), and takes no new reference.  An EXPORT with
 * other rights makes a new file, which the handle keeps instead.  The
 * kept file, and with it its reference, stays after its last descriptor
 * is closed, until the handle goes (its count reaches 0, or the
 * /dev/refslab file is closed): INFO's object_refs counts it until then.
 */
struct refslab_export {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 rights;
	__s32 fd;
	__u32 __reserved;
};

#define REFSLAB_IOC_EXPORT	_IO(REFSLAB_IOCTL_TYPE, REFSLAB_CMD_EXPORT)

/**
 * struct refslab_import - REFSLAB_IOC_IMPORT
 * @size: sizeof(struct refslab_import)
 * @flags: must be 0
 * @fd: a file descriptor made by EXPORT
 * @handle: output, a new handle holding one reference, with the rights
 *	the file carries
 *
 * Every IMPORT makes a new handle, even for an object this file already
 * holds.  The file descriptor stays open.
 */
struct refslab_import {
	__u32 size;
	__u32 flags;
	__s32 fd;
	__u32 handle;
};

#define REFSLAB_IOC_IMPORT	_IO(REFSLAB_IOCTL_TYPE, REFSLAB_CMD_IMPORT)

/**
 * struct refslab_open - REFSLAB_IOC_OPEN
 * @size: sizeof(struct refslab_open)
 * @flags: must be 0
 * @id: the object's id in the caller's IPC namespace
 * @rights: REFSLAB_RIGHT_* bits wanted
 * @handle: output, a new handle holding one reference, with @rights
 *
 * Access is checked like a file's: the owner's mode bits apply to the
 * caller whose fsuid owns the object, else the group's if the caller is in
 * its group, else the others'.  Read needs the r bit, write the w bit.
 * CAP_DAC_OVERRIDE grants both; CAP_DAC_READ_SEARCH grants read.
 *
 * With @rights 0 the handle can neither read nor write, but serves INFO,
 * SETATTR, SUBSCRIBE and the reference commands; only the owner (or a
 * caller with CAP_FOWNER) may open it, whatever the mode, so an owner can
 * always reach an object to change its mode.
 */
struct refslab_open {
	__u32 size;
	__u32 flags;
	__aligned_u64 id;
	__u32 rights;
	__u32 handle;
};

#define REFSLAB_IOC_OPEN	_IO(REFSLAB_IOCTL_TYPE, REFSLAB_CMD_OPEN)

#define REFSLAB_SETATTR_MODE	(1U << 0)
#define REFSLAB_SETATTR_UID	(1U << 1)
#define REFSLAB_SETATTR_GID	(1U << 2)
#define REFSLAB_SETATTR_ALL	(REFSLAB_SETATTR_MODE | REFSLAB_SETATTR_UID | \
				 REFSLAB_SETATTR_GID)

/**
 * struct refslab_setattr - REFSLAB_IOC_SETATTR
 * @size: sizeof(struct refslab_setattr)
 * @flags: REFSLAB_SETATTR_* bits: which of @mode, @uid and @gid to set
 * @handle: a handle to the object (any rights)
 * @mode: new permission bits, 0777 at most
 * @uid: new owner, in the caller's user namespace
 * @gid: new group, in the caller's user namespace
 *
 * As chmod() and chown(): the owner (or CAP_FOWNER) may change the mode;
 * the owner may set the owner to itself and the group to its own or to
 * one it is in; anything else about the owner or group needs CAP_CHOWN
 * (CAP_FOWNER is not enough).  A new owner (a uid of the caller's user
 * namespace) is charged the object and its pin whole, and the old owner
 * released from them (EDQUOT if the new owner's limits do not allow it;
 * the object count over all users does not change).
 */
struct refslab_setattr {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 mode;
	__u32 uid;
	__u32 gid;
};

#define REFSLAB_IOC_SETATTR	_IO(REFSLAB_IOCTL_TYPE, REFSLAB_CMD_SETATTR)

/* @ns of struct refslab_pin names the IPC namespace of @id. */
#define REFSLAB_PIN_NS		(1U << 0)
#define REFSLAB_PIN_ALL		REFSLAB_PIN_NS

/**
 * struct refslab_pin - REFSLAB_IOC_PIN and REFSLAB_IOC_UNPIN
 * @size: sizeof(struct refslab_pin)
 * @flags: REFSLAB_PIN_* flags
 * @id: the object's id, in the caller's IPC namespace unless REFSLAB_PIN_NS
 * @ns: with REFSLAB_PIN_NS, the inode number of the IPC namespace @id is
 *	in (CAP_SYS_ADMIN in the initial user namespace only); else 0
 *
 * PIN makes the module hold one reference to the object until UNPIN, so
 * the object outlives every process.  Only the owner or a caller with
 * CAP_FOWNER may pin or unpin (EPERM, checked before EEXIST).  A pin
 * counts against the owner's pin quota as long as it lasts.  Pins end when
 * the module is unloaded.
 */
struct refslab_pin {
	__u32 size;
	__u32 flags;
	__aligned_u64 id;
	__aligned_u64 ns;
};

#define REFSLAB_IOC_PIN		_IO(REFSLAB_IOCTL_TYPE, REFSLAB_CMD_PIN)
#define REFSLAB_IOC_UNPIN	_IO(REFSLAB_IOCTL_TYPE, REFSLAB_CMD_UNPIN)

/* List the pins of the IPC namespace @ns, not the caller's. */
#define REFSLAB_LIST_NS		(1U << 0)
/* List the inode numbers of the IPC namespaces that hold pins. */
#define REFSLAB_LIST_NAMESPACES	(1U << 1)
#define REFSLAB_LIST_ALL	(REFSLAB_LIST_NS | REFSLAB_LIST_NAMESPACES)

/**
 * struct refslab_list - REFSLAB_IOC_LIST_PINNED
 * @size: sizeof(struct refslab_list)
 * @flags: REFSLAB_LIST_* flags, at most one
 * @ids: user array of @count __u64 to fill, in increasing order: ids of
 *	pinned objects, or with REFSLAB_LIST_NAMESPACES inode numbers of IPC
 *	namespaces
 * @count: input, the capacity of @ids; output, the number written
 * @__reserved: must be 0
 * @after: list only values greater than this
 * @ns: with REFSLAB_LIST_NS, the inode number of the IPC namespace whose
 *	pins to list; else 0
 *
 * Without flags, lists the pinned objects of the caller's IPC namespace.
 * Both flags need CAP_SYS_ADMIN in the initial user namespace.
 *
 * The call fills @ids as far as there are values, up to @count, however
 * large.  To page through any number of them, call again with @after set
 * to the last value returned while the answer fills the whole array; an
 * answer with fewer than @count values (0 included) is the end of the
 * list.
 */
struct refslab_list {
	__u32 size;
	__u32 flags;
	__aligned_u64 ids;
	__u32 count;
	__u32 __reserved;
	__aligned_u64 after;
	__aligned_u64 ns;
};

#define REFSLAB_IOC_LIST_PINNED	_IO(REFSLAB_IOCTL_TYPE, REFSLAB_CMD_LIST_PINNED)

/* Watch the object @id of the caller's IPC namespace, not @handle's. */
#define REFSLAB_SUBSCRIBE_ID	(1U << 0)
#define REFSLAB_SUBSCRIBE_ALL	REFSLAB_SUBSCRIBE_ID

/**
 * struct refslab_subscribe - REFSLAB_IOC_SUBSCRIBE
 * @size: sizeof(struct refslab_subscribe)
 * @flags: REFSLAB_SUBSCRIBE_* flags
 * @handle: a handle to the object to watch; 0 with REFSLAB_SUBSCRIBE_ID
 * @__reserved: must be 0
 * @id: with REFSLAB_SUBSCRIBE_ID, the id of the object to watch, which the
 *	caller must be allowed to open for reading or own; else 0
 * @cookie: any value; it comes back in the event
 *
 * When the object is reclaimed (its memory freed, a grace period after its
 * last reference went), one REFSLAB_EVENT_RECLAIMED record is queued on
 * this file: poll() reports it readable and read() returns it.  Each
 * SUBSCRIBE is one watch and queues its own event.  Watches count against
 * the caller's watch quota until their event is queued or the file is
 * closed.  Events are delivered from process context, after the object is
 * freed.
 *
 * The queue holds REFSLAB_EVENTS_MAX records; events that do not fit are
 * counted and reported by one REFSLAB_EVENT_OVERFLOW record once there is
 * room, as many times as the queue overflows.
 */
struct refslab_subscribe {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 __reserved;
	__aligned_u64 id;
	__aligned_u64 cookie;
};

#define REFSLAB_IOC_SUBSCRIBE	_IO(REFSLAB_IOCTL_TYPE, REFSLAB_CMD_SUBSCRIBE)

#define REFSLAB_EVENTS_MAX	256

enum refslab_event_type {
	REFSLAB_EVENT_RECLAIMED = 1,
	REFSLAB_EVENT_OVERFLOW = 2,
};

/**
 * struct refslab_event - a record returned by read() on /dev/refslab
 * @len: size of this record in bytes, sizeof(struct refslab_event) today;
 *	a later version may append fields, so step through a buffer by @len
 * @type: enum refslab_event_type; skip records of a type you do not know
 * @id: the object reclaimed, 0 for an object of another IPC namespace
 *	than the subscriber's, and for REFSLAB_EVENT_OVERFLOW
 * @cookie: the @cookie of the SUBSCRIBE; 0 for REFSLAB_EVENT_OVERFLOW
 * @time_ns: CLOCK_MONOTONIC time the event was queued
 * @count: 1, or for REFSLAB_EVENT_OVERFLOW the number of events lost
 * @__reserved: 0
 *
 * read() returns whole records only; a buffer smaller than the first
 * record gives EINVAL.  It blocks while the queue is empty unless the file
 * is non-blocking (EAGAIN).
 */
struct refslab_event {
	__u32 len;
	__u32 type;
	__aligned_u64 id;
	__aligned_u64 cookie;
	__aligned_u64 time_ns;
	__u32 count;
	__u32 __reserved;
};

/* Keep going after an operation fails; without it, the batch stops there. */
#define REFSLAB_BATCH_CONTINUE	(1U << 0)
/* @ops is an array of struct refslab_ref_change: GETs and PUTs only. */
#define REFSLAB_BATCH_REFS	(1U << 1)
#define REFSLAB_BATCH_ALL	(REFSLAB_BATCH_CONTINUE | REFSLAB_BATCH_REFS)

/* Most operations in one batch. */
#define REFSLAB_BATCH_MAX	1024

/* The operation's arguments are carried in struct refslab_batch_op. */
#define REFSLAB_BATCH_OP_INLINE	(1U << 0)
/* Inline CREATE: @create.mode is valid (REFSLAB_CREATE_MODE). */
#define REFSLAB_BATCH_OP_MODE	(1U << 1)
#define REFSLAB_BATCH_OP_ALL	(REFSLAB_BATCH_OP_INLINE | REFSLAB_BATCH_OP_MODE)

/**
 * struct refslab_batch_ref - GET or PUT in the record: struct refslab_ref's fields
 * @handle: the handle
 * @count: references to add or drop, at least 1
 * @refs: output, the handle's references after the operation
 * @__reserved: must be 0
 */
struct refslab_batch_ref {
	__u32 handle;
	__u32 count;
	__u32 refs;
	__u32 __reserved;
};

/**
 * struct refslab_batch_create - CREATE in the record: struct refslab_create's fields
 * @payload_size: payload size in bytes, 1 to REFSLAB_PAYLOAD_MAX
 * @mode: with REFSLAB_BATCH_OP_MODE, permission bits, 0777 at most; else 0,
 *	and the mode is 0600
 * @data: initial payload (user pointer), or 0 for zeroes
 * @data_len: bytes at @data, at most @payload_size
 * @handle: output, the new handle
 * @id: output, the object's id in the caller's IPC namespace
 */
struct refslab_batch_create {
	__u32 payload_size;
	__u32 mode;
	__aligned_u64 data;
	__u32 data_len;
	__u32 handle;
	__aligned_u64 id;
};

/**
 * struct refslab_batch_dup - DUP in the record: struct refslab_dup's fields
 * @handle: the handle to duplicate
 * @new_handle: output, the new handle
 */
struct refslab_batch_dup {
	__u32 handle;
	__u32 new_handle;
};

/**
 * struct refslab_batch_open - OPEN in the record: struct refslab_open's fields
 * @id: the object's id in the caller's IPC namespace
 * @rights: REFSLAB_RIGHT_* bits wanted
 * @handle: output, the new handle
 */
struct refslab_batch_open {
	__aligned_u64 id;
	__u32 rights;
	__u32 handle;
};

/**
 * struct refslab_batch_op - one operation of a batch, 40 bytes
 * @cmd: REFSLAB_CMD_* of the operation (any but BATCH)
 * @flags: REFSLAB_BATCH_OP_* flags
 * @result: output, 0 or the negative errno the operation gave
 * @arg: without REFSLAB_BATCH_OP_INLINE: pointer to the operation's
 *	argument structure, exactly as for the single ioctl (size first);
 *	outputs are written back to it, and the rest of the record must be 0
 * @ref: with REFSLAB_BATCH_OP_INLINE, for GET and PUT
 * @create: with REFSLAB_BATCH_OP_INLINE, for CREATE
 * @dup: with REFSLAB_BATCH_OP_INLINE, for DUP
 * @open: with REFSLAB_BATCH_OP_INLINE, for OPEN
 * @__size: the size of the union; bytes after the in-record form must be 0
 *
 * The in-record forms carry the fields of the command's structure but its
 * size and flags (REFSLAB_BATCH_OP_MODE stands for REFSLAB_CREATE_MODE); they
 * are checked and carried out exactly as the single ioctl, and the kernel
 * reads them with the rest of the array, in bulk, instead of following a
 * pointer per operation.  It writes back only @result and, when that is
 * 0, the in-record form's outputs: the inputs stay as the caller wrote
 * them.  Only GET, PUT, CREATE, DUP and OPEN
 * have an in-record form (EINVAL in @result for the others).
 */
struct refslab_batch_op {
	__u16 cmd;
	__u16 flags;
	__s32 result;
	union {
		__aligned_u64 arg;
		struct refslab_batch_ref ref;
		struct refslab_batch_create create;
		struct refslab_batch_dup dup;
		struct refslab_batch_open open;
		__u8 __size[32];
	};
};

/**
 * struct refslab_ref_change - one record of a BATCH of reference changes, 16 bytes
 * @handle: the handle
 * @delta: a GET of @delta references if positive, a PUT of -@delta if
 *	negative; 0 is EINVAL
 * @result: output, 0 or the negative errno the GET or PUT gave
 * @refs: output, the handle's references after it (0 when a PUT ended
 *	the handle), or 0 when @result is not 0
 *
 * The records of a BATCH with REFSLAB_BATCH_REFS.  Each is checked and
 * carried out exactly as GET or PUT of a struct refslab_ref, and gives the
 * same errnos; only @result and @refs are written, so an array can be run
 * again as it is.  The kernel reads a record's inputs, and writes its
 * outputs, as one 8-byte word each, in runs of up to 128 records.
 */
struct refslab_ref_change {
	__u32 handle;
	__s32 delta;
	__s32 result;
	__u32 refs;
} __attribute__((aligned(8)));

/**
 * struct refslab_batch - REFSLAB_IOC_BATCH
 * @size: sizeof(struct refslab_batch)
 * @flags: REFSLAB_BATCH_* flags
 * @ops: user array of @count struct refslab_batch_op, or with
 *	REFSLAB_BATCH_REFS of @count struct refslab_ref_change
 * @count: number of operations, 1 to REFSLAB_BATCH_MAX
 * @done: output, number of operations run; without
 *	REFSLAB_BATCH_CONTINUE the last one run is the one that failed, if any
 *
 * Runs the operations in order, each checked and carried out exactly as the
 * single ioctl would be, in one system call.  Each operation's outcome is
 * in its @result; operations from @done on did not run.  The kernel reads
 * @ops in runs of up to 64 records (128 with REFSLAB_BATCH_REFS, whose
 * 16-byte records carry only reference changes: the fast form for many
 * GETs and PUTs) and makes sure each run can be written
 * back before any of its operations runs: a run that cannot be read or
 * written ends the batch before it.  The ioctl itself fails only for a bad
 * batch structure (EINVAL, EFAULT), or with EFAULT when the first run
 * cannot be read or written.  If records cannot be written back after
 * their run (@ops was unmapped meanwhile), the batch ends at the first of
 * them: @done counts the records written, and the operations after them
 * in that run took effect unreported (EFAULT if no record was written).
 * An operation that is itself a BATCH gives EINVAL in its @result.
 */
struct refslab_batch {
	__u32 size;
	__u32 flags;
	__aligned_u64 ops;
	__u32 count;
	__u32 done;
};

#define REFSLAB_IOC_BATCH	_IO(REFSLAB_IOCTL_TYPE, REFSLAB_CMD_BATCH)

#endif /* _UAPI_LINUX_REFSLAB_H */

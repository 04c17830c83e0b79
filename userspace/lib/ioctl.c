// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * librefslab: one function per ioctl of /dev/refslab.
 *
 * Each function fills the command's structure (size first, every other
 * field zero unless set), issues the ioctl, and hands back the outputs.
 * Nothing is cached between calls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "refslab.h"

static inline uint64_t ptr_to_u64(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static int do_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

int refslab_open(const char *path, int oflags)
{
	int fd;

	fd = open(path ? path : REFSLAB_DEVICE,
		  O_RDWR | O_CLOEXEC | (oflags & ~O_ACCMODE));
	return fd < 0 ? -errno : fd;
}

int refslab_close(int fd)
{
	/* On Linux the descriptor is gone even when close() fails. */
	return close(fd) < 0 ? -errno : 0;
}

int refslab_version(int fd, struct refslab_version *version)
{
	struct refslab_version v = { .size = sizeof(v) };
	int ret;

	if (!version)
		return -EINVAL;
	ret = do_ioctl(fd, REFSLAB_IOC_VERSION, &v);
	if (!ret)
		*version = v;
	return ret;
}

int refslab_create(int fd, uint32_t size, int mode, const void *data,
		   size_t len, uint32_t *handle, uint64_t *id)
{
	struct refslab_create c = {
		.size = sizeof(c),
		.payload_size = size,
		.data = ptr_to_u64(data),
		.data_len = data ? (uint32_t)len : 0,
	};
	int ret;

	if (!handle || len > UINT32_MAX || (!data && len))
		return -EINVAL;
	if (mode != REFSLAB_MODE_DEFAULT) {
		if (mode < 0)
			return -EINVAL;
		c.flags |= REFSLAB_CREATE_MODE;
		c.mode = (uint32_t)mode;
	}
	ret = do_ioctl(fd, REFSLAB_IOC_CREATE, &c);
	if (ret)
		return ret;
	*handle = c.handle;
	if (id)
		*id = c.id;
	return 0;
}

static int ref_op(int fd, unsigned long cmd, uint32_t handle, uint32_t count)
{
	struct refslab_ref r = {
		.size = sizeof(r),
		.handle = handle,
		.count = count,
	};
	int ret;

	ret = do_ioctl(fd, cmd, &r);
	if (ret)
		return ret;
	/* Both caps are far below INT_MAX. */
	return (int)r.refs;
}

int refslab_get(int fd, uint32_t handle, uint32_t count)
{
	return ref_op(fd, REFSLAB_IOC_GET, handle, count);
}

int refslab_put(int fd, uint32_t handle, uint32_t count)
{
	return ref_op(fd, REFSLAB_IOC_PUT, handle, count);
}

int refslab_dup(int fd, uint32_t handle, uint32_t *new_handle)
{
	struct refslab_dup d = { .size = sizeof(d), .handle = handle };
	int ret;

	if (!new_handle)
		return -EINVAL;
	ret = do_ioctl(fd, REFSLAB_IOC_DUP, &d);
	if (!ret)
		*new_handle = d.new_handle;
	return ret;
}

int refslab_info(int fd, uint32_t handle, struct refslab_info *info)
{
	struct refslab_info i = { .size = sizeof(i), .handle = handle };
	int ret;

	if (!info)
		return -EINVAL;
	ret = do_ioctl(fd, REFSLAB_IOC_INFO, &i);
	if (!ret)
		*info = i;
	return ret;
}

int refslab_read(int fd, uint32_t handle, uint32_t offset, void *buf,
		 uint32_t len, uint64_t *generation)
{
	struct refslab_rw rw = {
		.size = sizeof(rw),
		.handle = handle,
		.offset = offset,
		.length = len,
		.buf = ptr_to_u64(buf),
	};
	int ret;

	ret = do_ioctl(fd, REFSLAB_IOC_READ, &rw);
	if (!ret && generation)
		*generation = rw.generation;
	return ret;
}

static int write_op(int fd, uint32_t flags, uint32_t handle, uint32_t offset,
		    const void *buf, uint32_t len, uint64_t expected,
		    uint64_t *generation)
{
	struct refslab_rw rw = {
		.size = sizeof(rw),
		.flags = flags,
		.handle = handle,
		.offset = offset,
		.length = len,
		.buf = ptr_to_u64(buf),
		.generation = expected,
	};
	int ret;

	ret = do_ioctl(fd, REFSLAB_IOC_WRITE, &rw);
	/* A failed conditional write reports the current generation. */
	if ((!ret || ret == -ESTALE) && generation)
		*generation = rw.generation;
	return ret;
}

int refslab_write(int fd, uint32_t handle, uint32_t offset, const void *buf,
		  uint32_t len, uint64_t *generation)
{
	return write_op(fd, 0, handle, offset, buf, len, 0, generation);
}

int refslab_write_if(int fd, uint32_t handle, uint32_t offset,
		     const void *buf, uint32_t len, uint64_t expected,
		     uint64_t *generation)
{
	return write_op(fd, REFSLAB_WRITE_IF_GENERATION, handle, offset, buf,
			len, expected, generation);
}

int refslab_export(int fd, uint32_t handle, uint32_t flags, uint32_t rights)
{
	struct refslab_export e = {
		.size = sizeof(e),
		.flags = flags,
		.handle = handle,
	};
	int ret;

	if (rights) {
		e.flags |= REFSLAB_EXPORT_RIGHTS;
		e.rights = rights;
	}
	ret = do_ioctl(fd, REFSLAB_IOC_EXPORT, &e);
	return ret ? ret : e.fd;
}

int refslab_import(int fd, int obj_fd, uint32_t *handle)
{
	struct refslab_import im = { .size = sizeof(im), .fd = obj_fd };
	int ret;

	if (!handle)
		return -EINVAL;
	ret = do_ioctl(fd, REFSLAB_IOC_IMPORT, &im);
	if (!ret)
		*handle = im.handle;
	return ret;
}

int refslab_open_by_id(int fd, uint64_t id, uint32_t rights, uint32_t *handle)
{
	struct refslab_open o = { .size = sizeof(o), .id = id, .rights = rights };
	int ret;

	if (!handle)
		return -EINVAL;
	ret = do_ioctl(fd, REFSLAB_IOC_OPEN, &o);
	if (!ret)
		*handle = o.handle;
	return ret;
}

int refslab_setattr(int fd, uint32_t handle, uint32_t mask, uint32_t mode,
		    uint32_t uid, uint32_t gid)
{
	struct refslab_setattr s = {
		.size = sizeof(s),
		.flags = mask,
		.handle = handle,
		.mode = mode,
		.uid = uid,
		.gid = gid,
	};

	return do_ioctl(fd, REFSLAB_IOC_SETATTR, &s);
}

static int pin_op(int fd, unsigned long cmd, uint32_t flags, uint64_t ns,
		  uint64_t id)
{
	struct refslab_pin p = {
		.size = sizeof(p),
		.flags = flags,
		.id = id,
		.ns = ns,
	};

	return do_ioctl(fd, cmd, &p);
}

int refslab_pin(int fd, uint64_t id)
{
	return pin_op(fd, REFSLAB_IOC_PIN, 0, 0, id);
}

int refslab_unpin(int fd, uint64_t id)
{
	return pin_op(fd, REFSLAB_IOC_UNPIN, 0, 0, id);
}

int refslab_pin_ns(int fd, uint64_t ns, uint64_t id)
{
	return pin_op(fd, REFSLAB_IOC_PIN, REFSLAB_PIN_NS, ns, id);
}

int refslab_unpin_ns(int fd, uint64_t ns, uint64_t id)
{
	return pin_op(fd, REFSLAB_IOC_UNPIN, REFSLAB_PIN_NS, ns, id);
}

int refslab_list(int fd, uint32_t flags, uint64_t ns, uint64_t after,
		 uint64_t *values, uint32_t max)
{
	struct refslab_list l = {
		.size = sizeof(l),
		.flags = flags,
		.ids = ptr_to_u64(values),
		.count = max,
		.after = after,
		.ns = ns,
	};
	int ret;

	if (!max || max > INT32_MAX)
		return -EINVAL;
	ret = do_ioctl(fd, REFSLAB_IOC_LIST_PINNED, &l);
	if (ret)
		return ret;
	/* More than asked for would mean the module wrote past @values. */
	return l.count > max ? -EIO : (int)l.count;
}

int refslab_list_pinned(int fd, uint64_t after, uint64_t *ids, uint32_t max)
{
	return refslab_list(fd, 0, 0, after, ids, max);
}

int refslab_list_pinned_ns(int fd, uint64_t ns, uint64_t after, uint64_t *ids,
			   uint32_t max)
{
	return refslab_list(fd, REFSLAB_LIST_NS, ns, after, ids, max);
}

int refslab_list_namespaces(int fd, uint64_t after, uint64_t *ns, uint32_t max)
{
	return refslab_list(fd, REFSLAB_LIST_NAMESPACES, 0, after, ns, max);
}

static int subscribe_op(int fd, uint32_t flags, uint32_t handle, uint64_t id,
			uint64_t cookie)
{
	struct refslab_subscribe s = {
		.size = sizeof(s),
		.flags = flags,
		.handle = handle,
		.id = id,
		.cookie = cookie,
	};

	return do_ioctl(fd, REFSLAB_IOC_SUBSCRIBE, &s);
}

int refslab_subscribe(int fd, uint32_t handle)
{
	return subscribe_op(fd, 0, handle, 0, 0);
}

int refslab_subscribe_cookie(int fd, uint32_t handle, uint64_t cookie)
{
	return subscribe_op(fd, 0, handle, 0, cookie);
}

int refslab_subscribe_id(int fd, uint64_t id, uint64_t cookie)
{
	return subscribe_op(fd, REFSLAB_SUBSCRIBE_ID, 0, id, cookie);
}

/*
 * read() gave @bytes of records back to back, each @len bytes long (a
 * newer module may append fields).  Make them one struct each, in place:
 * every record is at least a struct long, so no copy overtakes a record
 * still to be read.
 */
static int unpack_events(struct refslab_event *events, size_t bytes)
{
	const unsigned char *p = (const unsigned char *)events;
	struct refslab_event ev;
	size_t off = 0;
	int n = 0;

	while (off < bytes) {
		if (bytes - off < sizeof(ev))
			return -EIO;
		memcpy(&ev, p + off, sizeof(ev));
		if (ev.len < sizeof(ev) || ev.len > bytes - off)
			return -EIO;
		off += ev.len;
		events[n++] = ev;
	}
	return n ? n : -EIO;
}

int refslab_read_events(int fd, struct refslab_event *events,
			unsigned int max, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int ret;

	if (!events || !max || max > INT32_MAX / sizeof(*events))
		return -EINVAL;
	if (timeout_ms >= 0) {
		ret = poll(&pfd, 1, timeout_ms);
		if (ret < 0)
			return -errno;
		if (!ret)
			return -EAGAIN;
		if (pfd.revents & POLLNVAL)
			return -EBADF;
	}
	n = read(fd, events, (size_t)max * sizeof(*events));
	if (n < 0)
		return -errno;
	return unpack_events(events, (size_t)n);
}

int refslab_batch(int fd, struct refslab_batch_op *ops, uint32_t count,
		  uint32_t flags)
{
	struct refslab_batch b = {
		.size = sizeof(b),
		.flags = flags,
		.ops = ptr_to_u64(ops),
		.count = count,
	};
	int ret;

	/* Records of reference changes are refslab_batch_refs()'s. */
	if (flags & REFSLAB_BATCH_REFS)
		return -EINVAL;
	ret = do_ioctl(fd, REFSLAB_IOC_BATCH, &b);
	return ret ? ret : (int)b.done;
}

int refslab_batch_refs(int fd, struct refslab_ref_change *changes,
		       uint32_t count, uint32_t flags)
{
	struct refslab_batch b = {
		.size = sizeof(b),
		.flags = flags | REFSLAB_BATCH_REFS,
		.ops = ptr_to_u64(changes),
		.count = count,
	};
	int ret;

	ret = do_ioctl(fd, REFSLAB_IOC_BATCH, &b);
	return ret ? ret : (int)b.done;
}

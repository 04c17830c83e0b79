// SPDX-License-Identifier: GPL-2.0
/*
 * refslab_bench: single operations, one ioctl (or one pair) per iteration,
 * and the baselines a user would reach for instead of a refslab object.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

static int loop_getppid(void *p, uint64_t n)
{
	pid_t ppid = getppid();

	(void)p;
	while (n--)
		if (syscall(SYS_getppid) != ppid) {
			error_msg("getppid changed");
			return -1;
		}
	return 0;
}

/* VERSION: the argument copied in and answered, no object touched. */
static int loop_version(void *p, uint64_t n)
{
	struct ctx *c = p;
	struct refslab_version v = { .size = sizeof(v) };

	while (n--) {
		if (ioctl(c->fd, REFSLAB_IOC_VERSION, &v)) {
			error_msg("VERSION: %s", strerror(errno));
			return -1;
		}
		if (v.abi_major != REFSLAB_ABI_MAJOR) {
			error_msg("VERSION: abi_major %u", v.abi_major);
			return -1;
		}
	}
	return 0;
}

static int loop_create_put(void *p, uint64_t n)
{
	struct ctx *c = p;
	uint32_t h;

	while (n--)
		if (rs_create(c->fd, &h) || rs_put(c->fd, h, 0))
			return -1;
	return 0;
}

/*
 * create+put with WINDOW objects in flight: each iteration creates one
 * object and puts the one created WINDOW iterations earlier.  Same work as
 * create+put, but the registry's and the handle table's xarray leaves never
 * empty, so no xarray node is allocated and freed per object: the
 * difference to create+put is what that churn costs.
 */
#define WINDOW	64

static int loop_create_put_window(void *p, uint64_t n)
{
	static uint32_t ring[WINDOW];
	static unsigned int head, filled;
	struct ctx *c = p;
	uint32_t h;

	if (!n) {		/* a new file: forget the old one's handles */
		head = filled = 0;
		return 0;
	}
	while (n--) {
		if (rs_create(c->fd, &h))
			return -1;
		if (filled == WINDOW && rs_put(c->fd, ring[head], 0))
			return -1;
		ring[head] = h;
		head = (head + 1) % WINDOW;
		if (filled < WINDOW)
			filled++;
	}
	return 0;
}

int loop_get_put(void *p, uint64_t n)
{
	struct ctx *c = p;

	while (n--)
		if (rs_ref(c->fd, REFSLAB_IOC_GET, c->handle, 2) ||
		    rs_put(c->fd, c->handle, 1))
			return -1;
	return 0;
}

/* READ and WRITE: the whole payload of @c's object, from or to c->buf. */
static struct refslab_rw rw_args(struct ctx *c)
{
	return (struct refslab_rw){
		.size = sizeof(struct refslab_rw),
		.handle = c->handle,
		.length = PAYLOAD,
		.buf = (uintptr_t)c->buf,
	};
}

static int loop_read(void *p, uint64_t n)
{
	struct ctx *c = p;
	struct refslab_rw rw = rw_args(c);

	while (n--)
		if (ioctl(c->fd, REFSLAB_IOC_READ, &rw)) {
			error_msg("READ: %s", strerror(errno));
			return -1;
		}
	return 0;
}

static int loop_write(void *p, uint64_t n)
{
	struct ctx *c = p;
	struct refslab_rw rw = rw_args(c);
	uint64_t gen = 0;

	while (n--) {
		if (ioctl(c->fd, REFSLAB_IOC_WRITE, &rw)) {
			error_msg("WRITE: %s", strerror(errno));
			return -1;
		}
		if (gen && rw.generation != gen + 1) {
			error_msg("WRITE: generation %llu after %llu",
				  (unsigned long long)rw.generation,
				  (unsigned long long)gen);
			return -1;
		}
		gen = rw.generation;
	}
	return 0;
}

static int loop_info(void *p, uint64_t n)
{
	struct ctx *c = p;
	struct refslab_info in = { .size = sizeof(in), .handle = c->handle };

	while (n--) {
		if (ioctl(c->fd, REFSLAB_IOC_INFO, &in)) {
			error_msg("INFO: %s", strerror(errno));
			return -1;
		}
		if (in.payload_size != PAYLOAD || in.handle_refs != 1) {
			error_msg("INFO: payload %u refs %u", in.payload_size,
				  in.handle_refs);
			return -1;
		}
	}
	return 0;
}

/*
 * The baselines: a file descriptor made and closed, @make_fd inlined into
 * each loop so that no indirect call is timed.
 */
static inline __attribute__((always_inline)) int
open_close(void *p, uint64_t n, int (*make_fd)(void *p), const char *what)
{
	int fd;

	while (n--) {
		fd = make_fd(p);
		if (fd < 0 || close(fd)) {
			error_msg("%s: %s", what, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int dup_ctx_fd(void *p)
{
	return dup(((struct ctx *)p)->fd);
}

static int new_eventfd(void *p)
{
	(void)p;
	return eventfd(0, EFD_CLOEXEC);
}

static int open_devnull(void *p)
{
	(void)p;
	return open("/dev/null", O_RDWR | O_CLOEXEC);
}

static int loop_dup_close(void *p, uint64_t n)
{
	return open_close(p, n, dup_ctx_fd, "dup/close");
}

static int loop_eventfd_close(void *p, uint64_t n)
{
	return open_close(p, n, new_eventfd, "eventfd/close");
}

static int loop_devnull(void *p, uint64_t n)
{
	return open_close(p, n, open_devnull, "open/close /dev/null");
}

void bench_single(void)
{
	struct ctx c = { 0 }, w = { 0 };

	c.fd = open_dev();
	if (c.fd < 0)
		return;
	if (rs_create(c.fd, &c.handle)) {
		close(c.fd);
		return;
	}
	memset(c.buf, 0xa5, sizeof(c.buf));

	measure("single", "null_ioctl", 0, loop_null_ioctl, &c, 1);
	measure("single", "getppid", 0, loop_getppid, &c, 1);
	measure("single", "version", 0, loop_version, &c, 1);
	measure("single", "create+put", 0, loop_create_put, &c, 1);
	/* Its own file: closing it drops the objects still in flight. */
	w.fd = open_dev();
	if (w.fd >= 0) {
		loop_create_put_window(&w, 0);
		measure("single", "create+put_window64", 0,
			loop_create_put_window, &w, 1);
		close(w.fd);
	}
	measure("single", "get+put", 0, loop_get_put, &c, 1);
	measure("single", "read64", 0, loop_read, &c, 1);
	measure("single", "write64", 0, loop_write, &c, 1);
	measure("single", "info", 0, loop_info, &c, 1);
	measure("baseline", "dup+close", 0, loop_dup_close, &c, 1);
	measure("baseline", "eventfd+close", 0, loop_eventfd_close, &c, 1);
	measure("baseline", "open+close_devnull", 0, loop_devnull, &c, 1);
	/* The batches, on the same file and object. */
	bench_batch(&c);

	rs_put(c.fd, c.handle, 0);
	close(c.fd);
}

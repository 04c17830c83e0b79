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

static int loop_read(void *p, uint64_t n)
{
	struct ctx *c = p;
	struct refslab_rw rw = {
		.size = sizeof(rw),
		.handle = c->handle,
		.length = PAYLOAD,
		.buf = (uintptr_t)c->buf,
	};

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
	struct refslab_rw rw = {
		.size = sizeof(rw),
		.handle = c->handle,
		.length = PAYLOAD,
		.buf = (uintptr_t)c->buf,
	};
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

static int loop_dup_close(void *p, uint64_t n)
{
	struct ctx *c = p;
	int fd;

	while (n--) {
		fd = dup(c->fd);
		if (fd < 0 || close(fd)) {
			error_msg("dup/close: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int loop_eventfd_close(void *p, uint64_t n)
{
	int fd;

	(void)p;
	while (n--) {
		fd = eventfd(0, EFD_CLOEXEC);
		if (fd < 0 || close(fd)) {
			error_msg("eventfd/close: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int loop_devnull(void *p, uint64_t n)
{
	int fd;

	(void)p;
	while (n--) {
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (fd < 0 || close(fd)) {
			error_msg("open/close /dev/null: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
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

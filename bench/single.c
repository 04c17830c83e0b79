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

/* EXPORT with @rights (0: the handle's), close of the object file. */
static int export_close(struct ctx *c, uint32_t rights)
{
	int fd;

	if (rs_export_rights(c->fd, c->handle, rights, &fd))
		return -1;
	if (close(fd)) {
		error_msg("close of an object file: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* EXPORT, close of the object file. */
static int loop_export_close(void *p, uint64_t n)
{
	while (n--)
		if (export_close(p, 0))
			return -1;
	return 0;
}

/*
 * EXPORT with rights other than the last one's (read-only, then read and
 * write), close: the handle keeps only the file of its last EXPORT, so
 * every EXPORT makes a new file, and the file it replaces, whose
 * descriptor is closed, gets its last put.  What every EXPORT cost before
 * handles kept their files, and what a handle's first EXPORT costs.
 */
static int loop_export_new_close(void *p, uint64_t n)
{
	static const uint32_t rights[2] = {
		REFSLAB_RIGHT_READ, REFSLAB_RIGHT_READ | REFSLAB_RIGHT_WRITE,
	};
	static unsigned int turn;	/* alternates across calls too */

	while (n--)
		if (export_close(p, rights[turn++ & 1]))
			return -1;
	return 0;
}

/* EXPORT, IMPORT into the second file, PUT there, close the object file. */
static int loop_export_import(void *p, uint64_t n)
{
	struct ctx *c = p;
	uint32_t h;
	int fd;

	while (n--) {
		if (rs_export(c->fd, c->handle, &fd) ||
		    rs_import(c->fd2, fd, &h) || rs_put(c->fd2, h, 0))
			return -1;
		if (close(fd)) {
			error_msg("close of an object file: %s",
				  strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* OPEN by id into the second file, PUT there. */
static int loop_open_put(void *p, uint64_t n)
{
	struct ctx *c = p;
	uint32_t h;

	while (n--)
		if (rs_open(c->fd2, c->id, &h) || rs_put(c->fd2, h, 0))
			return -1;
	return 0;
}

/*
 * The hot operations, whose instruction counts are deterministic under
 * icount: all that --gate measures (vm/run.sh --mode perfgate compares
 * them with bench/budget.txt).
 */
static void bench_hot(struct ctx *c)
{
	measure("single", "null_ioctl", 0, loop_null_ioctl, c, 1);
	measure("single", "version", 0, loop_version, c, 1);
	measure("single", "get+put", 0, loop_get_put, c, 1);
	measure("single", "read64", 0, loop_read, c, 1);
	measure("single", "write64", 0, loop_write, c, 1);
	measure("single", "info", 0, loop_info, c, 1);
	measure("single", "export+close", 0, loop_export_close, c, 1);
	measure("single", "export_new+close", 0, loop_export_new_close, c, 1);
	measure("single", "open_id+put", 0, loop_open_put, c, 1);
	measure("single", "create+put", 0, loop_create_put, c, 1);
}

/* --trace: the single operation or baseline @name, or NULL. */
static loop_fn single_loop(const char *name)
{
	static const struct {
		const char *name;
		loop_fn fn;
	} loops[] = {
		{ "null_ioctl", loop_null_ioctl },
		{ "getppid", loop_getppid },
		{ "version", loop_version },
		{ "create+put", loop_create_put },
		{ "get+put", loop_get_put },
		{ "read64", loop_read },
		{ "write64", loop_write },
		{ "info", loop_info },
		{ "export+close", loop_export_close },
		{ "export_new+close", loop_export_new_close },
		{ "export+import", loop_export_import },
		{ "open_id+put", loop_open_put },
		{ "dup+close", loop_dup_close },
		{ "eventfd+close", loop_eventfd_close },
	};
	unsigned int i;

	for (i = 0; i < sizeof(loops) / sizeof(loops[0]); i++)
		if (!strcmp(loops[i].name, name))
			return loops[i].fn;
	return NULL;
}

static void trace_one(struct ctx *c, const char *name)
{
	void *pctx = c;
	loop_fn fn = single_loop(name);

	if (!strcmp(name, "batch_get+put@128")) {
		setup_batch_get_put(c, 128);
		fn = loop_batch_get_put;
	} else if (!strcmp(name, "batch_refs@128")) {
		setup_batch_refs(c, 128);
		fn = loop_batch_refs;
	} else if (!strcmp(name, "batch_create+put@128")) {
		setup_batch_create_put(c, 128);
		fn = loop_batch_create_put;
	}

	if (!fn) {
		peers_setup();
		fn = peer_loop(name, &pctx);
	}
	if (!fn)
		error_msg("--trace %s: no such operation", name);
	else
		trace_op(name, fn, pctx);
}

void bench_single(void)
{
	struct ctx c = { 0 }, w = { 0 };
	struct refslab_info in;

	c.fd = open_dev();
	c.fd2 = open_dev();
	if (c.fd < 0 || c.fd2 < 0)
		return;
	if (rs_create(c.fd, &c.handle) || rs_info(c.fd, c.handle, &in)) {
		close(c.fd);
		close(c.fd2);
		return;
	}
	c.id = in.id;
	memset(c.buf, 0xa5, sizeof(c.buf));

	if (cfg.trace) {
		char ops[256], *op, *save;

		/* A comma-separated list: one trace each. */
		snprintf(ops, sizeof(ops), "%s", cfg.trace);
		for (op = strtok_r(ops, ",", &save); op;
		     op = strtok_r(NULL, ",", &save))
			trace_one(&c, op);
		goto out;
	}
	if (cfg.gate) {
		bench_hot(&c);
		bench_batch_hot(&c);
		goto out;
	}
	peers_setup();
	/* Each refslab row first, then what it compares with. */
	measure("single", "null_ioctl", 0, loop_null_ioctl, &c, 1);
	measure("single", "getppid", 0, loop_getppid, &c, 1);
	measure("single", "version", 0, loop_version, &c, 1);
	measure("single", "create+put", 0, loop_create_put, &c, 1);
	measure("baseline", "eventfd+close", 0, loop_eventfd_close, &c, 1);
	bench_peers(PEER_CREATE);
	/* Its own file: closing it drops the objects still in flight. */
	w.fd = open_dev();
	if (w.fd >= 0) {
		loop_create_put_window(&w, 0);
		measure("single", "create+put_window64", 0,
			loop_create_put_window, &w, 1);
		close(w.fd);
	}
	measure("single", "get+put", 0, loop_get_put, &c, 1);
	measure("baseline", "dup+close", 0, loop_dup_close, &c, 1);
	measure("single", "read64", 0, loop_read, &c, 1);
	bench_peers(PEER_READ);
	measure("single", "write64", 0, loop_write, &c, 1);
	bench_peers(PEER_WRITE);
	measure("single", "info", 0, loop_info, &c, 1);
	measure("single", "export+close", 0, loop_export_close, &c, 1);
	bench_peers(PEER_EXPORT);
	measure("single", "export_new+close", 0, loop_export_new_close, &c, 1);
	measure("single", "export+import", 0, loop_export_import, &c, 1);
	bench_peers(PEER_EXPORT_IMPORT);
	measure("single", "open_id+put", 0, loop_open_put, &c, 1);
	bench_peers(PEER_OPEN);
	measure("baseline", "open+close_devnull", 0, loop_devnull, &c, 1);
	peers_teardown();
	/* The batches, on the same file and object. */
	bench_batch(&c);
out:
	rs_put(c.fd, c.handle, 0);
	close(c.fd);
	close(c.fd2);
}

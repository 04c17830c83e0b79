// SPDX-License-Identifier: GPL-2.0
/*
 * refslab_bench: what refslab operations cost, as ratios to baselines
 * measured in the same run (a null ioctl on /dev/refslab, getppid, dup,
 * eventfd), and how they scale with batch size, live objects and threads.
 *
 * Runs inside the test VM as root with the module loaded.  Every ioctl's
 * result is checked (return value, errno, output fields, each batch
 * operation's result): a benchmark that times failing calls measures
 * nothing.  Any error makes the exit status 1.
 *
 * Timing: each measurement is calibrated to about --rep-ms per repetition,
 * run once untimed (warm-up), then --reps times; median, min and max of the
 * per-operation time are reported.  Absolute times under emulation mean
 * little: compare the ratios.  See bench/README.md.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/refslab.h>

#define DEV_PATH	"/dev/refslab"
#define SYSFS		"/sys/kernel/refslab"
#define PARAMS		"/sys/module/refslab/parameters"
#define SLABFS		"/sys/kernel/slab"

/* An ioctl command refslab does not know: the dispatch floor. */
#define REFSLAB_IOC_NULL	_IO(REFSLAB_IOCTL_TYPE, 0x7f)

#define PAYLOAD		64
#define MAX_REPS	31
#define MAX_MEAS	128
#define MAX_THREAD_ROWS	64
#define MAX_LIVE_LEVELS	8
#define MAX_CLASSES	16

/* ------------------------------------------------------------------ */
/* Configuration                                                       */

struct config {
	bool smoke;
	bool json;
	const char *json_file;
	int reps;
	double rep_ms;		/* target length of one repetition */
	int slices;		/* slices per repetition; the fastest counts */
	int thread_slices;	/* thread runs per count and repetition */
	double thread_ms;	/* length of one thread repetition */
	long live_levels[MAX_LIVE_LEVELS];
	int nr_live_levels;
	long storm_objects;
	int max_threads;	/* 0: 2 x online CPUs */
};

static struct config cfg = {
	.reps = 7,
	.rep_ms = 20,
	.slices = 8,
	.thread_slices = 3,
	.thread_ms = 50,
	.live_levels = { 1, 1000, 100000, 1000000 },
	.nr_live_levels = 4,
	.storm_objects = 200000,
};

static int nr_cpus;
static atomic_int errors;

/* ------------------------------------------------------------------ */
/* Helpers                                                              */

static void error_msg(const char *fmt, ...)
{
	va_list ap;

	errors++;
	fprintf(stderr, "refslab_bench: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void note(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "refslab_bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stat3 {
	double med, min, max;
};

static struct stat3 stat3_of(double *v, int n)
{
	struct stat3 s = { 0, 0, 0 };

	if (n <= 0)
		return s;
	qsort(v, n, sizeof(*v), cmp_double);
	s.min = v[0];
	s.max = v[n - 1];
	s.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return s;
}

/* Read one integer from a sysfs file; -1 (and an error) if unreadable. */
static long long read_ll_opt(const char *path, bool required)
{
	char buf[64];
	long long v;
	FILE *f;

	f = fopen(path, "r");
	if (!f) {
		if (required)
			error_msg("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (!fgets(buf, sizeof(buf), f) || sscanf(buf, "%lld", &v) != 1) {
		if (required)
			error_msg("cannot parse %s", path);
		v = -1;
	}
	fclose(f);
	return v;
}

static long long read_ll(const char *path)
{
	return read_ll_opt(path, true);
}

static long long read_sysfs(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), SYSFS "/%s", name);
	return read_ll(path);
}

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len = strlen(val);

	if (fd < 0) {
		error_msg("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (write(fd, val, len) != len) {
		error_msg("cannot write '%s' to %s: %s", val, path,
			  strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* A kB figure of /proc/meminfo, or -1. */
static long long meminfo_kb(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			sscanf(line + klen + 1, "%lld", &v);
			break;
		}
	}
	fclose(f);
	return v;
}

static int open_dev(void)
{
	int fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		error_msg("open %s: %s", DEV_PATH, strerror(errno));
	return fd;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

/* ------------------------------------------------------------------ */
/* refslab operations, each checked                                     */

static int rs_create(int fd, uint32_t *handle)
{
	struct refslab_create c = {
		.size = sizeof(c),
		.payload_size = PAYLOAD,
	};

	if (ioctl(fd, REFSLAB_IOC_CREATE, &c)) {
		error_msg("CREATE: %s", strerror(errno));
		return -1;
	}
	if (!c.handle) {
		error_msg("CREATE returned handle 0");
		return -1;
	}
	*handle = c.handle;
	return 0;
}

static int rs_ref(int fd, unsigned long cmd, uint32_t handle, uint32_t expect)
{
	struct refslab_ref r = {
		.size = sizeof(r),
		.handle = handle,
		.count = 1,
	};

	if (ioctl(fd, cmd, &r)) {
		error_msg("%s handle %u: %s",
			  cmd == REFSLAB_IOC_GET ? "GET" : "PUT", handle,
			  strerror(errno));
		return -1;
	}
	if (expect != UINT32_MAX && r.refs != expect) {
		error_msg("%s handle %u: refs %u, expected %u",
			  cmd == REFSLAB_IOC_GET ? "GET" : "PUT", handle,
			  r.refs, expect);
		return -1;
	}
	return 0;
}

static int rs_put(int fd, uint32_t handle, uint32_t expect)
{
	return rs_ref(fd, REFSLAB_IOC_PUT, handle, expect);
}

static int rs_dup(int fd, uint32_t handle, uint32_t *new_handle)
{
	struct refslab_dup d = { .size = sizeof(d), .handle = handle };

	if (ioctl(fd, REFSLAB_IOC_DUP, &d)) {
		error_msg("DUP: %s", strerror(errno));
		return -1;
	}
	*new_handle = d.new_handle;
	return 0;
}

/*
 * A batch whose operations all point into @args (@stride bytes apart):
 * run it and check that every operation ran and succeeded.
 */
struct batch {
	struct refslab_batch_op *ops;
	unsigned int count;
};

static int batch_run(int fd, struct batch *b, const char *what)
{
	struct refslab_batch req = {
		.size = sizeof(req),
		.ops = (uintptr_t)b->ops,
		.count = b->count,
	};
	unsigned int i;

	if (ioctl(fd, REFSLAB_IOC_BATCH, &req)) {
		error_msg("BATCH of %u %s: %s", b->count, what,
			  strerror(errno));
		return -1;
	}
	for (i = 0; i < req.done; i++) {
		if (b->ops[i].result) {
			error_msg("BATCH of %u %s: operation %u: %s", b->count,
				  what, i, strerror(-b->ops[i].result));
			return -1;
		}
	}
	if (req.done != b->count) {
		error_msg("BATCH of %u %s: done %u", b->count, what, req.done);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Measurements                                                         */

typedef int (*loop_fn)(void *ctx, uint64_t n);

struct meas {
	char group[16];
	char name[40];
	long param;		/* batch size, live objects; 0 if none */
	const char *unit;
	struct stat3 s;
	struct stat3 x;		/* paired ratio: ns/op / null ioctl ns */
	uint64_t iters;
	int reps;
	bool ok;
	long long throttles;	/* reclaim throttles during the measurement */
};

static struct meas meas[MAX_MEAS];
static int nr_meas;

static struct meas *find_meas(const char *group, const char *name, long param)
{
	int i;

	for (i = 0; i < nr_meas; i++)
		if (meas[i].ok && !strcmp(meas[i].group, group) &&
		    !strcmp(meas[i].name, name) && meas[i].param == param)
			return &meas[i];
	return NULL;
}

static double median_of(const char *group, const char *name, long param)
{
	struct meas *m = find_meas(group, name, param);

	return m ? m->s.med : -1;
}

/* Median of the ratios to the null ioctl timed next to each repetition. */
static double xnull_of(const char *group, const char *name, long param)
{
	struct meas *m = find_meas(group, name, param);

	return m && m->x.med > 0 ? m->x.med : -1;
}

static int timed(loop_fn fn, void *ctx, uint64_t n, double *ns)
{
	uint64_t t0 = now_ns();
	int ret = fn(ctx, n);

	*ns = (double)(now_ns() - t0);
	return ret;
}

/*
 * The host's load moves absolute times within a run (other VMs, builds:
 * the vCPU is simply not running for milliseconds at a time), and it only
 * ever adds time.  So a repetition is cfg.slices short slices, each a
 * null-ioctl loop then the measured loop; the repetition's figures are the
 * fastest slice of each, and its ratio to the null ioctl is taken between
 * those two, measured within the same few milliseconds.
 */
static int null_fd = -1;
static uint64_t null_iters;

static double wait_pending(long long limit, double timeout_s);

static int loop_null_ioctl(void *p, uint64_t n);

static double slice_ns(void)
{
	return cfg.rep_ms * 1e6 / cfg.slices;
}

static void null_calibrate(void)
{
	double t = 0;
	uint64_t n = 16;

	null_fd = open_dev();
	if (null_fd < 0)
		return;
	for (;;) {
		if (timed(loop_null_ioctl, &null_fd, n, &t))
			return;
		if (t >= slice_ns() / 4 || n >= (1u << 24))
			break;
		n *= 2;
	}
	/*
	 * As long as a slice of the measured loop: a longer loop is more
	 * likely to contain a timer tick, so slices of unequal length would
	 * bias the ratio.
	 */
	null_iters = (uint64_t)(n * slice_ns() / (t > 0 ? t : 1));
	if (null_iters < 16)
		null_iters = 16;
}

/*
 * Run @fn: calibrate a slice to cfg.rep_ms / cfg.slices, warm up, then time
 * cfg.reps repetitions of cfg.slices slices.  The figure of a repetition is
 * ns per iteration of its fastest slice divided by @units (operations per
 * iteration), and its ratio to the fastest null-ioctl slice.
 */
static struct meas *measure(const char *group, const char *name, long param,
			    loop_fn fn, void *ctx, double units)
{
	double target = slice_ns(), t = 0, v[MAX_REPS], x[MAX_REPS];
	long long thr0 = read_ll_opt(SYSFS "/reclaim_throttles", false);
	double best, best_null;
	struct meas *m;
	uint64_t n = 1;
	int r, k;

	if (nr_meas == MAX_MEAS) {
		error_msg("too many measurements");
		return NULL;
	}
	/*
	 * Start quiet: objects released by the previous measurement are
	 * reclaimed in RCU callbacks, which would otherwise run in this one.
	 */
	wait_pending(0, 10);
	m = &meas[nr_meas++];
	snprintf(m->group, sizeof(m->group), "%s", group);
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->param = param;
	m->unit = "ns/op";

	for (;;) {
		if (timed(fn, ctx, n, &t))
			goto fail;
		if (t >= target / 4 || n >= (1ull << 30))
			break;
		n *= t < target / 64 ? 8 : 2;
	}
	if (t > 0)
		n = (uint64_t)(n * target / t);
	if (n < 1)
		n = 1;
	if (timed(fn, ctx, n, &t))	/* warm-up */
		goto fail;
	for (r = 0; r < cfg.reps; r++) {
		best = best_null = 0;
		for (k = 0; k < cfg.slices; k++) {
			if (null_fd >= 0 && null_iters) {
				if (timed(loop_null_ioctl, &null_fd, null_iters,
					  &t))
					goto fail;
				t /= null_iters;
				if (!best_null || t < best_null)
					best_null = t;
			}
			if (timed(fn, ctx, n, &t))
				goto fail;
			t /= (double)n * units;
			if (!best || t < best)
				best = t;
		}
		v[r] = best;
		x[r] = best_null > 0 ? best / best_null : 0;
	}
	m->s = stat3_of(v, cfg.reps);
	m->x = stat3_of(x, cfg.reps);
	m->iters = n;
	m->reps = cfg.reps;
	m->ok = true;
	if (thr0 >= 0)
		m->throttles = read_ll_opt(SYSFS "/reclaim_throttles", false) -
			       thr0;
	return m;
fail:
	error_msg("measurement %s/%s(%ld) failed", group, name, param);
	return m;
}

/* Context of the single-thread loops. */
struct ctx {
	int fd;
	uint32_t handle;
	uint32_t *handles;	/* live-objects sample */
	unsigned int mask;
	struct batch b1, b2;	/* batched loops */
	struct refslab_create *creates;
	struct refslab_ref *refs;
	uint8_t buf[PAYLOAD];
};

/* @p points to a file descriptor (struct ctx starts with one). */
static int loop_null_ioctl(void *p, uint64_t n)
{
	int fd = *(const int *)p;

	while (n--) {
		if (ioctl(fd, REFSLAB_IOC_NULL, NULL) != -1 ||
		    errno != ENOTTY) {
			error_msg("null ioctl did not fail with ENOTTY");
			return -1;
		}
	}
	return 0;
}

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

static int loop_get_put(void *p, uint64_t n)
{
	struct ctx *c = p;

	while (n--)
		if (rs_ref(c->fd, REFSLAB_IOC_GET, c->handle, 2) ||
		    rs_put(c->fd, c->handle, 1))
			return -1;
	return 0;
}

/* get+put over a sample of the live handles (mask + 1 of them). */
static int loop_get_put_spread(void *p, uint64_t n)
{
	struct ctx *c = p;
	uint64_t i;
	uint32_t h;

	for (i = 0; i < n; i++) {
		h = c->handles[i & c->mask];
		if (rs_ref(c->fd, REFSLAB_IOC_GET, h, 2) ||
		    rs_put(c->fd, h, 1))
			return -1;
	}
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

/* Batched: b1 = B creates, b2 = B puts of what b1 created. */
static int loop_batch_create_put(void *p, uint64_t n)
{
	struct ctx *c = p;
	unsigned int i, k = c->b1.count;

	while (n--) {
		if (batch_run(c->fd, &c->b1, "creates"))
			return -1;
		for (i = 0; i < k; i++)
			c->refs[i].handle = c->creates[i].handle;
		if (batch_run(c->fd, &c->b2, "puts"))
			return -1;
		for (i = 0; i < k; i++)
			if (c->refs[i].refs) {
				error_msg("batched PUT left %u refs",
					  c->refs[i].refs);
				return -1;
			}
	}
	return 0;
}

/* Batched: b1 = B VERSION operations. */
static int loop_batch_version(void *p, uint64_t n)
{
	struct ctx *c = p;

	while (n--)
		if (batch_run(c->fd, &c->b1, "versions"))
			return -1;
	return 0;
}

/* Batched: b1 = B gets of one handle, b2 = B puts of it. */
static int loop_batch_get_put(void *p, uint64_t n)
{
	struct ctx *c = p;
	unsigned int k = c->b1.count;

	while (n--) {
		if (batch_run(c->fd, &c->b1, "gets"))
			return -1;
		if (c->refs[k - 1].refs != k + 1) {
			error_msg("batched GET: refs %u, expected %u",
				  c->refs[k - 1].refs, k + 1);
			return -1;
		}
		if (batch_run(c->fd, &c->b2, "puts"))
			return -1;
		if (c->refs[2 * k - 1].refs != 1) {
			error_msg("batched PUT: refs %u, expected 1",
				  c->refs[2 * k - 1].refs);
			return -1;
		}
	}
	return 0;
}

static struct refslab_batch_op batch_ops[2][REFSLAB_BATCH_MAX];
static struct refslab_create batch_creates[REFSLAB_BATCH_MAX];
static struct refslab_ref batch_refs[2 * REFSLAB_BATCH_MAX];

static void setup_batch_create_put(struct ctx *c, unsigned int k)
{
	unsigned int i;

	memset(batch_creates, 0, sizeof(batch_creates));
	memset(batch_refs, 0, sizeof(batch_refs));
	for (i = 0; i < k; i++) {
		batch_creates[i].size = sizeof(batch_creates[i]);
		batch_creates[i].payload_size = PAYLOAD;
		batch_ops[0][i] = (struct refslab_batch_op){
			.cmd = REFSLAB_CMD_CREATE,
			.arg = (uintptr_t)&batch_creates[i],
		};
		batch_refs[i].size = sizeof(batch_refs[i]);
		batch_refs[i].count = 1;
		batch_ops[1][i] = (struct refslab_batch_op){
			.cmd = REFSLAB_CMD_PUT,
			.arg = (uintptr_t)&batch_refs[i],
		};
	}
	c->creates = batch_creates;
	c->refs = batch_refs;
	c->b1 = (struct batch){ batch_ops[0], k };
	c->b2 = (struct batch){ batch_ops[1], k };
}

static void setup_batch_get_put(struct ctx *c, unsigned int k)
{
	unsigned int i;

	memset(batch_refs, 0, sizeof(batch_refs));
	for (i = 0; i < 2 * k; i++) {
		batch_refs[i].size = sizeof(batch_refs[i]);
		batch_refs[i].handle = c->handle;
		batch_refs[i].count = 1;
		batch_ops[i / k][i % k] = (struct refslab_batch_op){
			.cmd = i < k ? REFSLAB_CMD_GET : REFSLAB_CMD_PUT,
			.arg = (uintptr_t)&batch_refs[i],
		};
	}
	c->refs = batch_refs;
	c->b1 = (struct batch){ batch_ops[0], k };
	c->b2 = (struct batch){ batch_ops[1], k };
}

static struct refslab_version batch_versions[REFSLAB_BATCH_MAX];

static void setup_batch_version(struct ctx *c, unsigned int k)
{
	unsigned int i;

	for (i = 0; i < k; i++) {
		batch_versions[i] = (struct refslab_version){
			.size = sizeof(batch_versions[i]),
		};
		batch_ops[0][i] = (struct refslab_batch_op){
			.cmd = REFSLAB_CMD_VERSION,
			.arg = (uintptr_t)&batch_versions[i],
		};
	}
	c->b1 = (struct batch){ batch_ops[0], k };
}

static const unsigned int batch_sizes[] = { 1, 8, 32, 128 };
#define NR_BATCH_SIZES	(sizeof(batch_sizes) / sizeof(batch_sizes[0]))

static void bench_single(void)
{
	struct ctx c = { 0 }, w = { 0 };
	unsigned int i;

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

	for (i = 0; i < NR_BATCH_SIZES; i++) {
		setup_batch_create_put(&c, batch_sizes[i]);
		measure("batch", "create+put", batch_sizes[i],
			loop_batch_create_put, &c, 2.0 * batch_sizes[i]);
	}
	for (i = 0; i < NR_BATCH_SIZES; i++) {
		setup_batch_version(&c, batch_sizes[i]);
		measure("batch", "version", batch_sizes[i],
			loop_batch_version, &c, batch_sizes[i]);
	}
	for (i = 0; i < NR_BATCH_SIZES; i++) {
		setup_batch_get_put(&c, batch_sizes[i]);
		measure("batch", "get+put", batch_sizes[i],
			loop_batch_get_put, &c, 2.0 * batch_sizes[i]);
	}

	rs_put(c.fd, c.handle, 0);
	close(c.fd);
}

/* ------------------------------------------------------------------ */
/* Live objects                                                         */

struct live_row {
	long wanted;
	long reached;
	long long objects_live;	/* /sys/kernel/refslab/objects_live */
	long long slab_kb;	/* /proc/meminfo Slab */
	double fill_s;		/* time to create the objects of this level */
	char why[96];		/* why fewer than wanted were created */
};

static struct live_row live_rows[MAX_LIVE_LEVELS];
static int nr_live_rows;
static long long live_base;	/* objects_live before the section */

/* Create @n more objects on @fd in batches; returns how many were made. */
static long fill(int fd, uint32_t *handles, long have, long n, char *why,
		 size_t whylen)
{
	struct refslab_batch req;
	long made = 0;
	unsigned int k, i;

	setup_batch_create_put(&(struct ctx){ 0 }, REFSLAB_BATCH_MAX);
	while (made < n) {
		k = n - made < REFSLAB_BATCH_MAX ? n - made : REFSLAB_BATCH_MAX;
		req = (struct refslab_batch){
			.size = sizeof(req),
			.ops = (uintptr_t)batch_ops[0],
			.count = k,
		};
		if (ioctl(fd, REFSLAB_IOC_BATCH, &req)) {
			snprintf(why, whylen, "BATCH: %s", strerror(errno));
			break;
		}
		for (i = 0; i < req.done && !batch_ops[0][i].result; i++)
			handles[have + made++] = batch_creates[i].handle;
		if (i < k) {
			snprintf(why, whylen, "CREATE: %s",
				 i < req.done ?
				 strerror(-batch_ops[0][i].result) :
				 "batch stopped");
			break;
		}
	}
	return made;
}

static void bench_live(void)
{
	long max = cfg.live_levels[cfg.nr_live_levels - 1], have = 0;
	uint32_t *handles, sample[4096];
	struct ctx c = { 0 };
	struct live_row *row;
	unsigned int ns, i;
	uint64_t t0;
	int l;

	handles = calloc(max, sizeof(*handles));
	if (!handles) {
		error_msg("out of memory for %ld handles", max);
		return;
	}
	live_base = read_sysfs("objects_live");
	c.fd = open_dev();
	if (c.fd < 0) {
		free(handles);
		return;
	}
	for (l = 0; l < cfg.nr_live_levels; l++) {
		row = &live_rows[nr_live_rows++];
		row->wanted = cfg.live_levels[l];
		t0 = now_ns();
		have += fill(c.fd, handles, have, row->wanted - have,
			     row->why, sizeof(row->why));
		row->fill_s = (now_ns() - t0) / 1e9;
		row->reached = have;
		row->objects_live = read_sysfs("objects_live");
		row->slab_kb = meminfo_kb("Slab");
		if (row->objects_live != live_base + have)
			error_msg("objects_live %lld, expected %lld + %ld",
				  row->objects_live, live_base, have);
		if (have < row->wanted)
			note("live objects: reached %ld of %ld (%s)", have,
			     row->wanted, row->why);
		if (!have)
			break;

		/* Same handle every time: the lookup path alone. */
		c.handle = handles[0];
		measure("live", "get+put_hot", have, loop_get_put, &c, 1);
		/* Handles drawn at random from all the live ones. */
		for (ns = 1; ns * 2 <= have && ns < 4096; ns *= 2)
			;
		for (i = 0; i < ns; i++)
			sample[i] = handles[rng() % have];
		c.handles = sample;
		c.mask = ns - 1;
		measure("live", "get+put_spread", have, loop_get_put_spread, &c,
			1);
		if (have < row->wanted)
			break;
	}
	t0 = now_ns();
	close(c.fd);
	note("closed the file holding %ld objects in %.3f s", have,
	     (now_ns() - t0) / 1e9);
	free(handles);
}

/* ------------------------------------------------------------------ */
/* Threads                                                              */

enum tmode {
	TM_NULL,		/* null ioctl: what the VM itself can scale */
	TM_DISTINCT_SHARED_FD,	/* own object, one fd for all threads */
	TM_DISTINCT_OWN_FD,	/* own object, own fd */
	TM_SHARED_OBJECT,	/* own handle (DUP) to one object, one fd */
	TM_NR,
};

static const char *const tmode_names[TM_NR] = {
	"null_ioctl", "distinct_shared_fd", "distinct_fd_per_thread",
	"shared_object",
};

struct worker {
	pthread_t tid;
	int fd;
	uint32_t handle;
	enum tmode mode;
	uint64_t ops, t0, t1;
	int err;
};

static atomic_int t_ready, t_go, t_stop;

static void *worker_main(void *p)
{
	struct worker *w = p;
	uint64_t ops = 0;

	atomic_fetch_add(&t_ready, 1);
	while (!atomic_load(&t_go))
		sched_yield();
	w->t0 = now_ns();
	while (!atomic_load_explicit(&t_stop, memory_order_relaxed)) {
		if (w->mode == TM_NULL) {
			if (ioctl(w->fd, REFSLAB_IOC_NULL, NULL) != -1 ||
			    errno != ENOTTY) {
				error_msg("thread: null ioctl did not fail with ENOTTY");
				w->err = 1;
				break;
			}
		} else if (rs_ref(w->fd, REFSLAB_IOC_GET, w->handle, 2) ||
			   rs_put(w->fd, w->handle, 1)) {
			w->err = 1;
			break;
		}
		ops++;
	}
	w->t1 = now_ns();
	w->ops = ops;
	return NULL;
}

struct thread_row {
	enum tmode mode;
	int threads;
	struct stat3 s;		/* operations (get+put pairs) per second */
	struct stat3 x;		/* ratio to 1 thread, within each repetition */
	double ratio;		/* x.med */
	bool ok;
};

static struct thread_row thread_rows[MAX_THREAD_ROWS];
static int nr_thread_rows;

static int run_threads(struct worker *w, int n, double *rate)
{
	uint64_t start = UINT64_MAX, end = 0, ops = 0;
	int i, ret = 0;

	atomic_store(&t_ready, 0);
	atomic_store(&t_go, 0);
	atomic_store(&t_stop, 0);
	for (i = 0; i < n; i++) {
		w[i].err = 0;
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i])) {
			error_msg("pthread_create failed");
			atomic_store(&t_go, 1);
			atomic_store(&t_stop, 1);
			while (i--)
				pthread_join(w[i].tid, NULL);
			return -1;
		}
	}
	while (atomic_load(&t_ready) < n)
		sched_yield();
	atomic_store(&t_go, 1);
	usleep((useconds_t)(cfg.thread_ms * 1000));
	atomic_store(&t_stop, 1);
	for (i = 0; i < n; i++) {
		pthread_join(w[i].tid, NULL);
		if (w[i].err)
			ret = -1;
		if (w[i].t0 < start)
			start = w[i].t0;
		if (w[i].t1 > end)
			end = w[i].t1;
		ops += w[i].ops;
	}
	*rate = end > start ? ops * 1e9 / (end - start) : 0;
	return ret;
}

static void bench_threads_mode(enum tmode mode, const int *counts, int nc)
{
	int maxn = counts[nc - 1], i, j, r, shared_fd;
	struct worker *w = calloc(maxn, sizeof(*w));
	static double v[16][MAX_REPS], x[16][MAX_REPS];
	uint32_t shared_handle = 0;
	struct thread_row *row;
	double rate, best;
	int k;

	if (!w) {
		error_msg("out of memory");
		return;
	}
	shared_fd = open_dev();
	if (shared_fd < 0)
		goto out;
	if (mode == TM_SHARED_OBJECT && rs_create(shared_fd, &shared_handle))
		goto out_close;

	for (i = 0; i < maxn; i++) {
		w[i].mode = mode;
		w[i].fd = shared_fd;
		if (mode == TM_DISTINCT_OWN_FD) {
			w[i].fd = open_dev();
			if (w[i].fd < 0)
				goto out_fds;
		}
		if (mode == TM_DISTINCT_SHARED_FD || mode == TM_DISTINCT_OWN_FD) {
			if (rs_create(w[i].fd, &w[i].handle))
				goto out_fds;
		} else if (mode == TM_SHARED_OBJECT) {
			if (rs_dup(shared_fd, shared_handle, &w[i].handle))
				goto out_fds;
		}
	}

	/*
	 * The thread counts take turns within each repetition, so that a
	 * change in the host's load hits them alike; each count's figure in a
	 * repetition is the best of cfg.thread_slices runs (load only ever
	 * takes throughput away); the ratio to one thread is taken within each
	 * repetition, then the median of those.
	 */
	if (nr_thread_rows + nc > MAX_THREAD_ROWS)
		goto out_fds;
	for (r = -1; r < cfg.reps; r++) {	/* -1: warm-up */
		for (j = 0; j < nc; j++) {
			best = 0;
			for (k = 0; k < cfg.thread_slices; k++) {
				if (run_threads(w, counts[j], &rate)) {
					error_msg("threads %s x%d failed",
						  tmode_names[mode], counts[j]);
					goto out_fds;
				}
				if (rate > best)
					best = rate;
			}
			if (r >= 0)
				v[j][r] = best;
		}
		for (j = 0; r >= 0 && j < nc; j++)
			x[j][r] = v[0][r] > 0 ? v[j][r] / v[0][r] : 0;
	}
	for (j = 0; j < nc; j++) {
		row = &thread_rows[nr_thread_rows++];
		row->mode = mode;
		row->threads = counts[j];
		row->s = stat3_of(v[j], cfg.reps);
		row->x = stat3_of(x[j], cfg.reps);
		row->ratio = row->x.med;
		row->ok = true;
	}

out_fds:
	for (i = 0; i < maxn; i++)
		if (mode == TM_DISTINCT_OWN_FD && w[i].fd > 0)
			close(w[i].fd);
out_close:
	close(shared_fd);	/* drops every handle on it */
out:
	free(w);
}

static void bench_threads(void)
{
	int counts[16], nc = 0, n, maxn;
	enum tmode m;

	maxn = cfg.max_threads ? cfg.max_threads : 2 * nr_cpus;
	for (n = 1; n <= nr_cpus && n <= maxn && nc < 15; n++)
		counts[nc++] = n;
	if (maxn > nr_cpus)
		counts[nc++] = maxn;
	for (m = 0; m < TM_NR; m++)
		bench_threads_mode(m, counts, nc);
}

static double thread_ratio_of(enum tmode mode, int threads)
{
	int i;

	for (i = 0; i < nr_thread_rows; i++)
		if (thread_rows[i].ok && thread_rows[i].mode == mode &&
		    thread_rows[i].threads == threads)
			return thread_rows[i].ratio;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Slab bytes per object                                                */

struct slab_row {
	long capacity;
	long long object_size;	/* /sys/kernel/refslab/classes/<cap>/ */
	long long slab_object_size, slab_size, objs_per_slab, order;
	long long header;	/* object_size - capacity */
};

static struct slab_row slab_rows[MAX_CLASSES];
static int nr_slab_rows;

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

static void bench_slab(void)
{
	long caps[MAX_CLASSES];
	int n = 0, i;
	struct dirent *de;
	char path[320];
	DIR *d;

	d = opendir(SYSFS "/classes");
	if (!d) {
		error_msg("cannot open " SYSFS "/classes: %s", strerror(errno));
		return;
	}
	while ((de = readdir(d)) && n < MAX_CLASSES)
		if (de->d_name[0] >= '0' && de->d_name[0] <= '9')
			caps[n++] = atol(de->d_name);
	closedir(d);
	qsort(caps, n, sizeof(caps[0]), cmp_long);

	for (i = 0; i < n; i++) {
		struct slab_row *s = &slab_rows[nr_slab_rows++];

		s->capacity = caps[i];
		snprintf(path, sizeof(path), SYSFS "/classes/%ld/object_size",
			 caps[i]);
		s->object_size = read_ll(path);
		snprintf(path, sizeof(path), SLABFS "/refslab_%ld/object_size",
			 caps[i]);
		s->slab_object_size = read_ll(path);
		snprintf(path, sizeof(path), SLABFS "/refslab_%ld/slab_size",
			 caps[i]);
		s->slab_size = read_ll(path);
		snprintf(path, sizeof(path), SLABFS "/refslab_%ld/objs_per_slab",
			 caps[i]);
		s->objs_per_slab = read_ll_opt(path, false);
		snprintf(path, sizeof(path), SLABFS "/refslab_%ld/order",
			 caps[i]);
		s->order = read_ll_opt(path, false);
		s->header = s->object_size - s->capacity;
	}
}

/* ------------------------------------------------------------------ */
/* Reclaim storm                                                        */

struct reclaim_result {
	long objects;
	int threads;
	unsigned int batch;
	double storm_s, drain_s;
	long long pending_max, peak, throttles;
	long long lat_count, lat_mean_ns, lat_max_ns;
	long long buckets[5];
	bool ok;
};

static struct reclaim_result reclaim;
static const char *const bucket_names[5] = {
	"lt_1ms", "lt_10ms", "lt_100ms", "lt_1s", "ge_1s",
};

struct storm_worker {
	pthread_t tid;
	long objects;
	unsigned int batch;
	int err;
};

static void *storm_main(void *p)
{
	static _Thread_local struct refslab_batch_op ops[2][128];
	static _Thread_local struct refslab_create cr[128];
	static _Thread_local struct refslab_ref pr[128];
	struct storm_worker *w = p;
	unsigned int k, i;
	long done = 0;
	int fd = open_dev();

	if (fd < 0) {
		w->err = 1;
		return NULL;
	}
	while (done < w->objects) {
		k = w->objects - done < w->batch ? w->objects - done : w->batch;
		for (i = 0; i < k; i++) {
			cr[i] = (struct refslab_create){
				.size = sizeof(cr[i]), .payload_size = PAYLOAD,
			};
			ops[0][i] = (struct refslab_batch_op){
				.cmd = REFSLAB_CMD_CREATE,
				.arg = (uintptr_t)&cr[i],
			};
		}
		if (batch_run(fd, &(struct batch){ ops[0], k }, "storm creates")) {
			w->err = 1;
			break;
		}
		for (i = 0; i < k; i++) {
			pr[i] = (struct refslab_ref){
				.size = sizeof(pr[i]), .handle = cr[i].handle,
				.count = 1,
			};
			ops[1][i] = (struct refslab_batch_op){
				.cmd = REFSLAB_CMD_PUT,
				.arg = (uintptr_t)&pr[i],
			};
		}
		if (batch_run(fd, &(struct batch){ ops[1], k }, "storm puts")) {
			w->err = 1;
			break;
		}
		done += k;
	}
	close(fd);
	return NULL;
}

/* Wait until at most @limit objects wait for reclamation; seconds taken. */
static double wait_pending(long long limit, double timeout_s)
{
	uint64_t t0 = now_ns();
	long long p;

	for (;;) {
		p = read_sysfs("reclaim_pending");
		if (p < 0 || p <= limit || (now_ns() - t0) / 1e9 > timeout_s)
			break;
		usleep(2000);
	}
	return (now_ns() - t0) / 1e9;
}

static void read_latency(long long *count, long long *mean, long long *b)
{
	char path[128];
	int i;

	*count = read_sysfs("reclaim_latency/count");
	*mean = read_sysfs("reclaim_latency/mean_ns");
	for (i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "reclaim_latency/%s",
			 bucket_names[i]);
		b[i] = read_sysfs(path);
	}
}

static void bench_reclaim(void)
{
	struct reclaim_result *r = &reclaim;
	long long c0, m0, b0[5], c1, m1, b1[5], thr0;
	struct storm_worker w[64];
	uint64_t t0;
	int i, n = nr_cpus < 64 ? nr_cpus : 64;

	r->pending_max = read_ll(PARAMS "/reclaim_pending_max");
	r->threads = n;
	r->batch = 128;
	r->objects = cfg.storm_objects;
	/* Start from rest: what earlier sections released is reclaimed. */
	wait_pending(0, 30);
	read_latency(&c0, &m0, b0);
	thr0 = read_sysfs("reclaim_throttles");
	if (write_str(SYSFS "/reclaim_pending_peak", "0"))
		return;

	t0 = now_ns();
	for (i = 0; i < n; i++) {
		w[i] = (struct storm_worker){
			.objects = r->objects / n + (i < r->objects % n),
			.batch = r->batch,
		};
		if (pthread_create(&w[i].tid, NULL, storm_main, &w[i])) {
			error_msg("pthread_create failed");
			n = i;
			break;
		}
	}
	for (i = 0; i < n; i++) {
		pthread_join(w[i].tid, NULL);
		if (w[i].err)
			error_msg("storm thread %d failed", i);
	}
	r->storm_s = (now_ns() - t0) / 1e9;
	r->peak = read_sysfs("reclaim_pending_peak");
	r->throttles = read_sysfs("reclaim_throttles") - thr0;
	t0 = now_ns();
	wait_pending(0, 30);
	r->drain_s = (now_ns() - t0) / 1e9;

	read_latency(&c1, &m1, b1);
	r->lat_count = c1 - c0;
	r->lat_mean_ns = r->lat_count > 0 ?
		(long long)(((double)m1 * c1 - (double)m0 * c0) / r->lat_count) :
		0;
	r->lat_max_ns = read_sysfs("reclaim_latency/max_ns");
	for (i = 0; i < 5; i++)
		r->buckets[i] = b1[i] - b0[i];
	r->ok = r->peak >= 0 && r->pending_max > 0;
}

/* ------------------------------------------------------------------ */
/* Targets                                                              */

struct target {
	const char *name;
	const char *expr;
	double value;
	double limit;
	bool at_most;		/* value <= limit, else value >= limit */
	bool known;
	const char *note;
};

static struct target targets[16];
static int nr_targets;

static void add_target(const char *name, const char *expr, double value,
		       double limit, bool at_most, const char *note)
{
	struct target *t = &targets[nr_targets++];

	*t = (struct target){ name, expr, value, limit, at_most, value >= 0,
			      note };
}

static bool target_met(const struct target *t)
{
	return t->known && (t->at_most ? t->value <= t->limit :
					 t->value >= t->limit);
}

static void compute_targets(void)
{
	double gp = xnull_of("single", "get+put", 0);
	double cp = xnull_of("single", "create+put", 0);
	double bcp = xnull_of("batch", "create+put", 128);
	double bgp = xnull_of("batch", "get+put", 128);
	long top = nr_live_rows ? live_rows[nr_live_rows - 1].reached : 0;
	double l1s = xnull_of("live", "get+put_spread", 1);
	double lNs = xnull_of("live", "get+put_spread", top);
	double l1h = xnull_of("live", "get+put_hot", 1);
	double lNh = xnull_of("live", "get+put_hot", top);
	static char live_note[64], storm_note[96];
	long long hmax = -1;
	int i;

	snprintf(live_note, sizeof(live_note), "at %ld live objects", top);
	add_target("get+put / (2 x null ioctl)", "<= 1.3",
		   gp > 0 ? gp / 2 : -1, 1.3, true, "");
	add_target("create+put / (2 x null ioctl)", "<= 1.5",
		   cp > 0 ? cp / 2 : -1, 1.5, true, "");
	add_target("batched get+put @128, per op / null", "<= 0.15",
		   bgp, 0.15, true, "");
	add_target("batched create+put @128, per op / null", "<= 0.15",
		   bcp, 0.15, true, "");
	add_target("get+put spread @top / @1 live", "<= 1.25",
		   l1s > 0 && lNs > 0 ? lNs / l1s : -1, 1.25, true, live_note);
	add_target("get+put hot @top / @1 live", "<= 1.25",
		   l1h > 0 && lNh > 0 ? lNh / l1h : -1, 1.25, true, live_note);
	add_target("2 threads / 1, distinct, shared fd", ">= 1.6",
		   nr_cpus >= 2 ? thread_ratio_of(TM_DISTINCT_SHARED_FD, 2) : -1,
		   1.6, false, "");
	add_target("2 threads / 1, distinct, fd per thread", ">= 1.6",
		   nr_cpus >= 2 ? thread_ratio_of(TM_DISTINCT_OWN_FD, 2) : -1,
		   1.6, false, "");
	for (i = 0; i < nr_slab_rows; i++)
		if (slab_rows[i].header > hmax)
			hmax = slab_rows[i].header;
	add_target("object header, largest of all classes (B)", "<= 64",
		   nr_slab_rows ? (double)hmax : -1, 64, true, "");
	snprintf(storm_note, sizeof(storm_note),
		 "bound: reclaim_pending_max + one batch per thread (%d x %u)",
		 reclaim.threads, reclaim.batch);
	add_target("storm: peak reclaim-pending", "<= bound",
		   reclaim.ok ? (double)reclaim.peak : -1,
		   (double)(reclaim.pending_max +
			    (long long)reclaim.threads * reclaim.batch),
		   true, storm_note);
}

/* ------------------------------------------------------------------ */
/* Output                                                               */

static double thread_ratio_of(enum tmode mode, int threads);

static void print_table(FILE *f)
{
	struct utsname u;
	int i, j;

	uname(&u);
	fprintf(f, "refslab_bench (%s): Linux %s, %d CPUs, %d repetitions of ~%.1f ms\n",
		cfg.smoke ? "smoke" : "full", u.release, nr_cpus, cfg.reps,
		cfg.rep_ms);
	fprintf(f, "ns per operation: median, min, max over the repetitions; a repetition is\n"
		"%d slices and counts its fastest.  x null: median (min, max) over the\n"
		"repetitions of ns per operation / ns of the fastest null-ioctl slice run\n"
		"alternately with them.\n\n", cfg.slices);

	fprintf(f, "%-9s %-19s %5s %9s %9s %9s %7s %7s %7s\n", "group",
		"operation", "param", "median", "min", "max", "x null", "min",
		"max");
	for (i = 0; i < nr_meas; i++) {
		struct meas *m = &meas[i];
		char param[16] = "";

		if (!strcmp(m->group, "live"))
			continue;
		if (m->param)
			snprintf(param, sizeof(param), "%ld", m->param);
		if (!m->ok) {
			fprintf(f, "%-9s %-19s %5s %9s\n", m->group, m->name,
				param, "FAILED");
			continue;
		}
		fprintf(f, "%-9s %-19s %5s %9.1f %9.1f %9.1f %7.3f %7.3f %7.3f%s\n",
			m->group, m->name, param, m->s.med, m->s.min, m->s.max,
			m->x.med, m->x.min, m->x.max,
			m->throttles > 0 ? "  (reclaim throttled)" : "");
	}

	fprintf(f, "\nget+put (ns per pair) with many live objects in one file: hot = one\n"
		"handle, spread = random handles; x @1 = x null here / x null at 1 live\n");
	fprintf(f, "%8s %8s %12s %8s %7s %7s %8s %7s %7s %9s %7s\n", "wanted",
		"reached", "objects_live", "hot", "x null", "x @1", "spread",
		"x null", "x @1", "slab kB", "fill s");
	for (i = 0; i < nr_live_rows; i++) {
		struct live_row *r = &live_rows[i];
		double h = median_of("live", "get+put_hot", r->reached);
		double s = median_of("live", "get+put_spread", r->reached);
		double hx = xnull_of("live", "get+put_hot", r->reached);
		double sx = xnull_of("live", "get+put_spread", r->reached);
		double h1 = xnull_of("live", "get+put_hot", 1);
		double s1 = xnull_of("live", "get+put_spread", 1);

		fprintf(f, "%8ld %8ld %12lld %8.1f %7.3f %7.3f %8.1f %7.3f %7.3f %9lld %7.2f%s%s\n",
			r->wanted, r->reached, r->objects_live, h, hx,
			h1 > 0 ? hx / h1 : 0, s, sx, s1 > 0 ? sx / s1 : 0,
			r->slab_kb, r->fill_s, r->why[0] ? "  " : "", r->why);
	}
	if (nr_live_rows >= 2) {
		struct live_row *a = &live_rows[0];
		struct live_row *b = &live_rows[nr_live_rows - 1];

		if (b->reached > a->reached && a->slab_kb >= 0)
			fprintf(f, "kernel slab memory per live object: %.0f B "
				"(object, handle, xarray nodes)\n",
				(b->slab_kb - a->slab_kb) * 1024.0 /
				(b->reached - a->reached));
	}

	fprintf(f, "\nthreads: get+put pairs (null_ioctl: calls) per second, all threads together,\n"
		"best of %d runs of %.0f ms per repetition;\n", cfg.thread_slices, cfg.thread_ms);
	fprintf(f, "x 1 = ratio to 1 thread of the same kind within each repetition (median,\n"
		"min, max); vs VM = x 1 / x 1 of null_ioctl at that count (what the VM\n"
		"itself scaled to)\n");
	fprintf(f, "%-22s %3s %10s %10s %10s %6s %6s %6s %6s\n", "kind", "thr",
		"median", "min", "max", "x 1", "min", "max", "vs VM");
	for (i = 0; i < nr_thread_rows; i++) {
		struct thread_row *t = &thread_rows[i];
		double vm;

		if (!t->ok) {
			fprintf(f, "%-22s %3d %10s\n", tmode_names[t->mode],
				t->threads, "FAILED");
			continue;
		}
		vm = thread_ratio_of(TM_NULL, t->threads);
		fprintf(f, "%-22s %3d %10.0f %10.0f %10.0f %6.3f %6.3f %6.3f %6.3f\n",
			tmode_names[t->mode], t->threads, t->s.med, t->s.min,
			t->s.max, t->ratio, t->x.min, t->x.max,
			vm > 0 ? t->ratio / vm : 0);
	}

	fprintf(f, "\nslab bytes per object, per size class\n");
	fprintf(f, "%9s %12s %12s %10s %8s %8s %8s\n", "capacity",
		"object_size", "slab_size", "objs/slab", "order", "header",
		"payload%");
	for (i = 0; i < nr_slab_rows; i++) {
		struct slab_row *s = &slab_rows[i];

		fprintf(f, "%9ld %12lld %12lld %10lld %8lld %8lld %7.1f%%\n",
			s->capacity, s->object_size, s->slab_size,
			s->objs_per_slab, s->order, s->header,
			s->slab_size > 0 ? 100.0 * s->capacity / s->slab_size : 0);
	}

	fprintf(f, "\nreclaim storm: %ld objects created and released by %d threads "
		"in batches of %u\n", reclaim.objects, reclaim.threads,
		reclaim.batch);
	if (reclaim.ok) {
		fprintf(f, "  storm %.3f s (%.0f objects/s), drained %.3f s later\n",
			reclaim.storm_s, reclaim.storm_s > 0 ?
			reclaim.objects / reclaim.storm_s : 0, reclaim.drain_s);
		fprintf(f, "  reclaim_pending_peak %lld, reclaim_pending_max %lld, "
			"throttles %lld\n", reclaim.peak, reclaim.pending_max,
			reclaim.throttles);
		fprintf(f, "  latency: %lld reclaims, mean %.3f ms, max %.3f ms "
			"(max since load);", reclaim.lat_count,
			reclaim.lat_mean_ns / 1e6, reclaim.lat_max_ns / 1e6);
		for (j = 0; j < 5; j++)
			fprintf(f, " %s %lld", bucket_names[j],
				reclaim.buckets[j]);
		fputc('\n', f);
	} else {
		fprintf(f, "  FAILED\n");
	}

	fprintf(f, "\ntargets (issue 8)\n");
	for (i = 0; i < nr_targets; i++) {
		struct target *t = &targets[i];

		if (!t->known)
			fprintf(f, "  %-44s %10s %-9s %s\n", t->name, "n/a",
				t->expr, "not measured");
		else
			fprintf(f, "  %-44s %10.3f %-9s %s%s%s\n", t->name,
				t->value, t->expr, target_met(t) ? "met" : "MISSED",
				t->note[0] ? "  " : "", t->note);
	}
	fprintf(f, "\nerrors: %d\n", errors);
}

static void json_stat(FILE *f, const struct stat3 *s)
{
	fprintf(f, "\"median\": %.3f, \"min\": %.3f, \"max\": %.3f", s->med,
		s->min, s->max);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void print_json(FILE *f)
{
	double null = median_of("single", "null_ioctl", 0);
	struct utsname u;
	int i, j;

	uname(&u);
	fprintf(f, "{\n  \"tool\": \"refslab_bench\",\n  \"format\": 1,\n");
	fprintf(f, "  \"mode\": \"%s\",\n  \"kernel\": ", cfg.smoke ? "smoke" : "full");
	json_str(f, u.release);
	fprintf(f, ",\n  \"cpus\": %d,\n  \"reps\": %d,\n  \"rep_ms\": %.1f,\n"
		"  \"slices\": %d,\n  \"thread_ms\": %.1f,\n  \"thread_slices\": %d,\n",
		nr_cpus, cfg.reps, cfg.rep_ms, cfg.slices, cfg.thread_ms,
		cfg.thread_slices);
	fprintf(f, "  \"null_ioctl_ns\": %.3f,\n", null);

	fprintf(f, "  \"measurements\": [");
	for (i = 0; i < nr_meas; i++) {
		struct meas *m = &meas[i];

		fprintf(f, "%s\n    {\"group\": \"%s\", \"name\": \"%s\", "
			"\"param\": %ld, \"unit\": \"%s\", \"ok\": %s, ",
			i ? "," : "", m->group, m->name, m->param, m->unit,
			m->ok ? "true" : "false");
		json_stat(f, &m->s);
		fprintf(f, ", \"x_null\": {");
		json_stat(f, &m->x);
		fprintf(f, "}, \"iters\": %llu, \"reclaim_throttles\": %lld}",
			(unsigned long long)m->iters, m->throttles);
	}
	fprintf(f, "\n  ],\n");

	fprintf(f, "  \"live\": [");
	for (i = 0; i < nr_live_rows; i++) {
		struct live_row *r = &live_rows[i];

		fprintf(f, "%s\n    {\"wanted\": %ld, \"reached\": %ld, "
			"\"objects_live\": %lld, \"objects_live_before\": %lld, "
			"\"slab_kb\": %lld, \"fill_s\": %.3f, \"why\": ",
			i ? "," : "", r->wanted, r->reached, r->objects_live,
			live_base, r->slab_kb, r->fill_s);
		json_str(f, r->why);
		fprintf(f, ", \"hot_ns\": %.3f, \"spread_ns\": %.3f, "
			"\"hot_x_null\": %.4f, \"spread_x_null\": %.4f}",
			median_of("live", "get+put_hot", r->reached),
			median_of("live", "get+put_spread", r->reached),
			xnull_of("live", "get+put_hot", r->reached),
			xnull_of("live", "get+put_spread", r->reached));
	}
	fprintf(f, "\n  ],\n");

	fprintf(f, "  \"threads\": [");
	for (i = 0; i < nr_thread_rows; i++) {
		struct thread_row *t = &thread_rows[i];

		fprintf(f, "%s\n    {\"kind\": \"%s\", \"threads\": %d, "
			"\"unit\": \"ops/s\", \"ok\": %s, ", i ? "," : "",
			tmode_names[t->mode], t->threads,
			t->ok ? "true" : "false");
		json_stat(f, &t->s);
		fprintf(f, ", \"ratio\": {");
		json_stat(f, &t->x);
		fprintf(f, "}}");
	}
	fprintf(f, "\n  ],\n");

	fprintf(f, "  \"slab\": [");
	for (i = 0; i < nr_slab_rows; i++) {
		struct slab_row *s = &slab_rows[i];

		fprintf(f, "%s\n    {\"capacity\": %ld, \"object_size\": %lld, "
			"\"slab_object_size\": %lld, \"slab_size\": %lld, "
			"\"objs_per_slab\": %lld, \"order\": %lld, "
			"\"header\": %lld}", i ? "," : "", s->capacity,
			s->object_size, s->slab_object_size, s->slab_size,
			s->objs_per_slab, s->order, s->header);
	}
	fprintf(f, "\n  ],\n");

	fprintf(f, "  \"reclaim\": {\"ok\": %s, \"objects\": %ld, \"threads\": %d, "
		"\"batch\": %u, \"storm_s\": %.4f, \"drain_s\": %.4f, "
		"\"pending_max\": %lld, \"peak\": %lld, \"throttles\": %lld, "
		"\"latency_count\": %lld, \"latency_mean_ns\": %lld, "
		"\"latency_max_ns_since_load\": %lld, \"latency_buckets\": {",
		reclaim.ok ? "true" : "false", reclaim.objects,
		reclaim.threads, reclaim.batch, reclaim.storm_s,
		reclaim.drain_s, reclaim.pending_max, reclaim.peak,
		reclaim.throttles, reclaim.lat_count, reclaim.lat_mean_ns,
		reclaim.lat_max_ns);
	for (j = 0; j < 5; j++)
		fprintf(f, "%s\"%s\": %lld", j ? ", " : "", bucket_names[j],
			reclaim.buckets[j]);
	fprintf(f, "}},\n");

	fprintf(f, "  \"targets\": [");
	for (i = 0; i < nr_targets; i++) {
		struct target *t = &targets[i];

		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		json_str(f, t->name);
		fprintf(f, ", \"expr\": ");
		json_str(f, t->expr);
		if (t->known)
			fprintf(f, ", \"value\": %.4f", t->value);
		else
			fprintf(f, ", \"value\": null");
		fprintf(f, ", \"limit\": %.4f, \"met\": %s, \"note\": ",
			t->limit, target_met(t) ? "true" : "false");
		json_str(f, t->note);
		fputc('}', f);
	}
	fprintf(f, "\n  ],\n  \"errors\": %d\n}\n", errors);
}

/* ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: refslab_bench [--smoke] [--json [FILE]] [--json-file FILE]\n"
		"                     [--reps N] [--rep-ms MS] [--slices N] [--thread-ms MS]\n"
		"                     [--live-max N] [--storm N] [--threads N]\n"
		"\n"
		"Measures refslab operations on " DEV_PATH " against baselines\n"
		"run in the same process (null ioctl, getppid, dup, eventfd) and\n"
		"prints a table, then the targets of issue 8, met or missed.\n"
		"\n"
		"  --smoke          tiny counts: every path once, a few seconds;\n"
		"                   exits 1 if any operation failed\n"
		"  --json [FILE]    write JSON to FILE; without FILE, to stdout\n"
		"                   after the table\n"
		"  --json-file FILE the same as --json FILE\n"
		"  --reps N         repetitions per measurement (default 7)\n"
		"  --rep-ms MS      length of one repetition (default 20)\n"
		"  --slices N       a repetition is N slices, the fastest counts\n"
		"                   (default 8; thread runs: best of 3)\n"
		"  --thread-ms MS   length of one thread run (default 50)\n"
		"  --live-max N     largest live-object level (default 1000000)\n"
		"  --storm N        objects in the reclaim storm (default 200000)\n"
		"  --threads N      most threads (default 2 x online CPUs)\n"
		"\n"
		"Exit status: 0, or 1 if any operation failed (targets missed do\n"
		"not fail the run).  Needs root and the refslab module.\n");
}

static void set_live_max(long max)
{
	static const long levels[] = { 1, 1000, 100000, 1000000 };
	unsigned int i;

	cfg.nr_live_levels = 0;
	for (i = 0; i < 4 && levels[i] <= max; i++)
		cfg.live_levels[cfg.nr_live_levels++] = levels[i];
	if (levels[i - 1] < max || !cfg.nr_live_levels)
		cfg.live_levels[cfg.nr_live_levels++] = max;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "smoke", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "json-file", required_argument, NULL, 'J' },
		{ "reps", required_argument, NULL, 'r' },
		{ "rep-ms", required_argument, NULL, 'm' },
		{ "thread-ms", required_argument, NULL, 't' },
		{ "slices", required_argument, NULL, 'k' },
		{ "live-max", required_argument, NULL, 'l' },
		{ "storm", required_argument, NULL, 'S' },
		{ "threads", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long live_max = -1, storm = -1, reps = -1, threads = -1, slices = -1;
	double rep_ms = -1, thread_ms = -1;
	struct refslab_version ver = { .size = sizeof(ver) };
	int c, fd, i;

	/* "--json FILE" is "--json-file FILE"; a lone "--json" is stdout. */
	for (i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--json") && argv[i + 1][0] != '-')
			argv[i] = "--json-file";

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': cfg.smoke = true; break;
		case 'j': cfg.json = true; break;
		case 'J': cfg.json_file = optarg; break;
		case 'r': reps = atol(optarg); break;
		case 'm': rep_ms = atof(optarg); break;
		case 't': thread_ms = atof(optarg); break;
		case 'k': slices = atol(optarg); break;
		case 'l': live_max = atol(optarg); break;
		case 'S': storm = atol(optarg); break;
		case 'T': threads = atol(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (cfg.smoke) {
		cfg.reps = 3;
		cfg.rep_ms = 1;
		cfg.slices = 2;
		cfg.thread_ms = 5;
		cfg.thread_slices = 1;
		cfg.storm_objects = 2000;
		set_live_max(1000);
	}
	if (reps > 0)
		cfg.reps = reps > MAX_REPS ? MAX_REPS : reps;
	if (rep_ms > 0)
		cfg.rep_ms = rep_ms;
	if (thread_ms > 0)
		cfg.thread_ms = thread_ms;
	if (slices > 0)
		cfg.slices = cfg.thread_slices = slices > 64 ? 64 : slices;
	if (live_max > 0)
		set_live_max(live_max);
	if (storm > 0)
		cfg.storm_objects = storm;
	if (threads > 0)
		cfg.max_threads = threads;

	nr_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (nr_cpus < 1)
		nr_cpus = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);

	fd = open_dev();
	if (fd < 0)
		return 1;
	if (ioctl(fd, REFSLAB_IOC_VERSION, &ver)) {
		error_msg("VERSION: %s", strerror(errno));
		return 1;
	}
	close(fd);
	if (!(ver.features & REFSLAB_FEATURE_BATCH)) {
		error_msg("the module has no BATCH (features %#llx)",
			  (unsigned long long)ver.features);
		return 1;
	}

	note("single operations and batches");
	null_calibrate();
	bench_single();
	note("slab sizes");
	bench_slab();
	note("reclaim storm (%ld objects)", cfg.storm_objects);
	bench_reclaim();
	note("live objects (up to %ld)",
	     cfg.live_levels[cfg.nr_live_levels - 1]);
	bench_live();
	/* Reclaiming what the live section freed would skew the threads. */
	wait_pending(0, 120);
	note("threads");
	bench_threads();
	compute_targets();

	print_table(stdout);
	if (cfg.json) {
		fputc('\n', stdout);
		print_json(stdout);
	}
	if (cfg.json_file) {
		FILE *f = fopen(cfg.json_file, "w");

		if (!f) {
			error_msg("cannot write %s: %s", cfg.json_file,
				  strerror(errno));
		} else {
			print_json(f);
			if (fclose(f))
				error_msg("writing %s: %s", cfg.json_file,
					  strerror(errno));
		}
	}
	return errors ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * refslab_bench: the method.  Each measurement is calibrated to about
 * --rep-ms per repetition, run once untimed (warm-up), then --reps times;
 * a repetition is --slices slices, each a null-ioctl loop and then the
 * measured loop, and counts its fastest slice of each.  The figure that
 * matters is the ratio of the two ("x null"); absolute times under
 * emulation mean little.  See bench/README.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "bench.h"

uint64_t now_ns(void)
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

struct stat3 stat3_of(double *v, int n)
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

struct meas meas[MAX_MEAS];
int nr_meas;

static struct meas *find_meas(const char *group, const char *name, long param)
{
	int i;

	for (i = 0; i < nr_meas; i++)
		if (meas[i].ok && !strcmp(meas[i].group, group) &&
		    !strcmp(meas[i].name, name) && meas[i].param == param)
			return &meas[i];
	return NULL;
}

double median_of(const char *group, const char *name, long param)
{
	struct meas *m = find_meas(group, name, param);

	return m ? m->s.med : -1;
}

/* Median of the ratios to the null ioctl timed next to each repetition. */
double xnull_of(const char *group, const char *name, long param)
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

/* @p points to a file descriptor (struct ctx starts with one). */
int loop_null_ioctl(void *p, uint64_t n)
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

static double slice_ns(void)
{
	return cfg.rep_ms * 1e6 / cfg.slices;
}

void null_calibrate(void)
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

/* Events per operation between two counts, -1 if either is unknown. */
static double per_op(long long a, long long b, double ops)
{
	return a < 0 || b < 0 || ops <= 0 ? -1 : (b - a) / ops;
}

/*
 * Run @fn: calibrate a slice to cfg.rep_ms / cfg.slices, warm up, then time
 * cfg.reps repetitions of cfg.slices slices.  The figure of a repetition is
 * ns per iteration of its fastest slice divided by @units (operations per
 * iteration), and its ratio to the fastest null-ioctl slice.
 */
struct meas *measure(const char *group, const char *name, long param,
		     loop_fn fn, void *ctx, double units)
{
	double target = slice_ns(), t = 0, v[MAX_REPS], x[MAX_REPS];
	long long thr0 = read_ll_opt(SYSFS "/reclaim_throttles", false);
	double best, best_null;
	struct sched_counts sc0, sc1;
	struct meas *m;
	uint64_t n = 1;
	double ops;
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
	m->unit = cfg.icount ? "insns/op" : "ns/op";
	m->ctxt = m->rcu_softirq = m->gp_wakes = -1;

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
	sched_counts(&sc0);
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
	sched_counts(&sc1);
	ops = (double)cfg.reps * cfg.slices * n * units;
	m->ctxt = per_op(sc0.ctxt, sc1.ctxt, ops);
	m->rcu_softirq = per_op(sc0.rcu_softirq, sc1.rcu_softirq, ops);
	m->gp_wakes = per_op(sc0.gp_wakes, sc1.gp_wakes, ops);
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

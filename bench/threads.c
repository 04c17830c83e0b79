// SPDX-License-Identifier: GPL-2.0
/*
 * refslab_bench: get+put throughput with 1, 2, ..., N threads (online
 * CPUs) and 2N, on distinct objects and on one shared object, next to the
 * null ioctl's: what the VM itself scales to.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bench.h"

const char *const tmode_names[TM_NR] = {
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

struct thread_row thread_rows[MAX_THREAD_ROWS];
int nr_thread_rows;

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

void bench_threads(void)
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

double thread_ratio_of(enum tmode mode, int threads)
{
	int i;

	for (i = 0; i < nr_thread_rows; i++)
		if (thread_rows[i].ok && thread_rows[i].mode == mode &&
		    thread_rows[i].threads == threads)
			return thread_rows[i].ratio;
	return -1;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * refslab_bench: the reclaim storm.  One thread per CPU CREATEs and PUTs
 * objects in BATCHes of 128; then the peak of reclaim_pending against its
 * bound, the throttles and the reclaim latencies over the storm.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"

struct reclaim_result reclaim;
const char *const bucket_names[5] = {
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

void bench_reclaim(void)
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

// SPDX-License-Identifier: GPL-2.0
/*
 * refslab_bench: the targets of issue 14 (and those of issue 8 it does
 * not replace), computed from the sections' results (see "Targets" in
 * bench/README.md).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "bench.h"

struct target targets[24];
int nr_targets;

static void add_target(const char *name, const char *expr, double value,
		       double limit, bool at_most, const char *note)
{
	struct target *t = &targets[nr_targets++];

	*t = (struct target){ name, expr, value, limit, at_most, value >= 0,
			      note };
}

bool target_met(const struct target *t)
{
	return t->known && (t->at_most ? t->value <= t->limit :
					 t->value >= t->limit);
}

/* refslab / peer of the comparison of @name (and @peer), or -1. */
static double vs(const char *name, long param, const char *peer)
{
	int i;

	for (i = 0; i < nr_comparisons; i++)
		if (!strcmp(comparisons[i].name, name) &&
		    comparisons[i].param == param &&
		    !strcmp(comparisons[i].peer_name, peer))
			return comparison_ratio(i);
	return -1;
}

/* Slab bytes per live object between the first and the last live level. */
double live_bytes_per_object(void)
{
	struct live_row *a = &live_rows[0], *b = &live_rows[nr_live_rows - 1];

	if (nr_live_rows < 2 || b->reached <= a->reached || a->slab_kb < 0)
		return -1;
	return (b->slab_kb - a->slab_kb) * 1024.0 / (b->reached - a->reached);
}

/* The targets of issue 14, then those of issue 8 it does not replace. */
void compute_targets(void)
{
	double gp = xnull_of("single", "get+put", 0);
	double bcp = xnull_of("batch", "create+put", 128);
	double bgp = xnull_of("batch", "refs", 128);
	long top = nr_live_rows ? live_rows[nr_live_rows - 1].reached : 0;
	double l1s = xnull_of("live", "get+put_spread", 1);
	double lNs = xnull_of("live", "get+put_spread", top);
	double l1h = xnull_of("live", "get+put_hot", 1);
	double lNh = xnull_of("live", "get+put_hot", top);
	static char live_note[64], storm_note[96];
	long long hmax = -1;
	int i;

	snprintf(live_note, sizeof(live_note), "at %ld live objects%s", top,
		 top < 1000000 ? " (not 1 000 000)" : "");
	add_target("get+put / (2 x null ioctl)", "<= 1.3",
		   gp > 0 ? gp / 2 : -1, 1.3, true, "");
	add_target("batched get+put @128, per op / null", "<= 0.15",
		   bgp, 0.15, true, "REFSLAB_BATCH_REFS records");
	add_target("batched create+put @128, per op / null", "<= 1.0",
		   bcp, 1.0, true, "");
	add_target("create+put / eventfd+close", "<= 1.0",
		   vs("create+put", 0, "eventfd+close"), 1.0, true, "");
	add_target("export+close / PRIME handle-to-fd+close", "<= 1.0",
		   vs("export+close", 0, "gem_prime_export+close"), 1.0, true,
		   "");
	add_target("export+import / PRIME to fd, to handle, close",
		   "<= 1.0",
		   vs("export+import", 0, "gem_prime_export+import"), 1.0,
		   true, "");
	add_target("open by id+put / GEM_OPEN+GEM_CLOSE", "<= 1.0",
		   vs("open_id+put", 0, "gem_flink_open+close"), 1.0, true,
		   "");
	add_target("read64 / memfd pread 64 B", "<= 1.0",
		   vs("read64", 0, "memfd_pread64"), 1.0, true, "");
	add_target("write64 / memfd pwrite 64 B", "<= 1.0",
		   vs("write64", 0, "memfd_pwrite64"), 1.0, true, "");
	add_target("get+put spread @top / @1 live", "<= 1.1",
		   l1s > 0 && lNs > 0 ? lNs / l1s : -1, 1.1, true, live_note);
	add_target("get+put hot @top / @1 live", "<= 1.1",
		   l1h > 0 && lNh > 0 ? lNh / l1h : -1, 1.1, true, live_note);
	add_target("kernel memory per live 64 B object (B)", "<= 160",
		   live_bytes_per_object(), 160, true, live_note);
	/* Issue 8's, not replaced by issue 14's. */
	add_target("2 threads / 1, distinct, shared fd", ">= 1.6",
		   nr_cpus >= 2 ? thread_ratio_of(TM_DISTINCT_SHARED_FD, 2) : -1,
		   1.6, false, cfg.icount ? "meaningless under icount" : "");
	add_target("2 threads / 1, distinct, fd per thread", ">= 1.6",
		   nr_cpus >= 2 ? thread_ratio_of(TM_DISTINCT_OWN_FD, 2) : -1,
		   1.6, false, cfg.icount ? "meaningless under icount" : "");
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

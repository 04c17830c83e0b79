// SPDX-License-Identifier: GPL-2.0
/*
 * refslab_bench: the targets of issue 8, computed from the sections'
 * results (see "Targets" in bench/README.md).
 */
#define _GNU_SOURCE
#include <stdio.h>

#include "bench.h"

struct target targets[16];
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

void compute_targets(void)
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

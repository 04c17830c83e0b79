// SPDX-License-Identifier: GPL-2.0
/*
 * refslab_bench: the output, a table for people and JSON for
 * bench/plot.py and the rig (vm/run.sh); both read the same results.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/utsname.h>

#include "bench.h"

/* Each refslab row beside what a user would pick instead. */
static void print_comparisons(FILE *f, const char *unit)
{
	int i;

	fprintf(f, "\nrefslab beside its peers: %s per operation (median), x null, and\n"
		"refslab / peer (x null / x null)\n", unit);
	fprintf(f, "%-20s %9s %7s   %-24s %9s %7s %8s\n", "refslab", unit,
		"x null", "peer", unit, "x null", "rs/peer");
	for (i = 0; i < nr_comparisons; i++) {
		const struct comparison *c = &comparisons[i];
		double r = comparison_ratio(i);
		char name[40];

		snprintf(name, sizeof(name), "%s%s%.0ld", c->name,
			 c->param ? "@" : "", c->param);
		fprintf(f, "%-20s %9.1f %7.3f   %-24s ", name,
			median_of(c->group, c->name, c->param),
			xnull_of(c->group, c->name, c->param), c->peer_name);
		if (r < 0)
			fprintf(f, "%9s\n", "n/a");
		else
			fprintf(f, "%9.1f %7.3f %8.3f\n",
				median_of(c->peer_group, c->peer_name, 0),
				xnull_of(c->peer_group, c->peer_name, 0), r);
	}
}

/* --gate: one line per hot operation for the host (vm/run.sh). */
void print_gate(FILE *f)
{
	int i;

	for (i = 0; i < nr_meas; i++) {
		struct meas *m = &meas[i];

		if (!m->ok)
			continue;
		fprintf(f, "# refslab-gate: %s/%s", m->group, m->name);
		if (m->param)
			fprintf(f, "@%ld", m->param);
		fprintf(f, " %.1f\n", m->s.med);
	}
}

void print_table(FILE *f)
{
	const char *unit = cfg.icount ? "insns" : "ns";
	struct utsname u;
	int i, j;

	uname(&u);
	fprintf(f, "refslab_bench (%s): Linux %s, %d CPUs, %d repetitions of ~%.1f ms\n",
		cfg.smoke ? "smoke" : "full", u.release, nr_cpus, cfg.reps,
		cfg.rep_ms);
	fprintf(f, "%s per operation: median, min, max over the repetitions; a repetition\n"
		"is %d slices and counts its fastest.  x null: median (min, max) over the\n"
		"repetitions of %s per operation / %s of the fastest null-ioctl slice run\n"
		"alternately with them.  ctxt, rcu, gp: context switches, RCU softirqs\n"
		"and RCU grace-period kthread wake-ups per operation, all CPUs, over the\n"
		"timed repetitions (null-ioctl slices included).\n\n", unit, cfg.slices,
		unit, unit);
	if (cfg.icount)
		fprintf(f, "Under QEMU -icount shift=0 one guest ns is one instruction: the\n"
			"figures below are instructions, not time.\n\n");

	fprintf(f, "%-9s %-23s %5s %9s %9s %9s %7s %7s %7s %7s %7s %7s\n", "group",
		"operation", "param", "median", "min", "max", "x null", "min",
		"max", "ctxt", "rcu", "gp");
	for (i = 0; i < nr_meas; i++) {
		struct meas *m = &meas[i];
		char param[16] = "";

		if (!strcmp(m->group, "live"))
			continue;
		if (m->param)
			snprintf(param, sizeof(param), "%ld", m->param);
		if (!m->ok) {
			fprintf(f, "%-9s %-23s %5s %9s\n", m->group, m->name,
				param, "FAILED");
			continue;
		}
		fprintf(f, "%-9s %-23s %5s %9.1f %9.1f %9.1f %7.3f %7.3f %7.3f %7.4f %7.4f %7.4f%s\n",
			m->group, m->name, param, m->s.med, m->s.min, m->s.max,
			m->x.med, m->x.min, m->x.max, m->ctxt, m->rcu_softirq,
			m->gp_wakes,
			m->throttles > 0 ? "  (reclaim throttled)" : "");
	}
	if (cfg.gate)
		return;
	print_comparisons(f, unit);

	fprintf(f, "\nget+put (%s per pair) with many live objects in one file: hot = one\n"
		"handle, spread = random handles; x @1 = x null here / x null at 1 live\n",
		unit);
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
				"(object, handle slot, registry nodes)\n",
				live_bytes_per_object());
	}

	if (cfg.icount)
		fprintf(f, "\nthreads: under icount every vCPU's instructions advance the one\n"
			"guest clock, so no count of threads can scale: run ICOUNT=0 for these.");
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

	fprintf(f, "\ntargets (issue 14, then issue 8's)\n");
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

void print_json(FILE *f)
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
	fprintf(f, "  \"icount\": %s,\n  \"unit\": \"%s\",\n",
		cfg.icount ? "true" : "false", cfg.icount ? "insns" : "ns");
	fprintf(f, "  \"null_ioctl_ns\": %.3f,\n", null);
	fprintf(f, "  \"live_bytes_per_object\": %.1f,\n",
		live_bytes_per_object());

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
		fprintf(f, "}, \"iters\": %llu, \"reclaim_throttles\": %lld, "
			"\"ctxt_per_op\": %.5f, \"rcu_softirq_per_op\": %.5f, "
			"\"gp_wakes_per_op\": %.5f}",
			(unsigned long long)m->iters, m->throttles, m->ctxt,
			m->rcu_softirq, m->gp_wakes);
	}
	fprintf(f, "\n  ],\n");

	fprintf(f, "  \"comparisons\": [");
	for (i = 0; i < nr_comparisons; i++) {
		const struct comparison *c = &comparisons[i];
		double r = comparison_ratio(i);

		fprintf(f, "%s\n    {\"group\": \"%s\", \"name\": \"%s\", "
			"\"param\": %ld, \"peer_group\": \"%s\", "
			"\"peer\": \"%s\", \"refslab_per_op\": %.3f, "
			"\"peer_per_op\": %.3f, \"refslab_x_null\": %.4f, "
			"\"peer_x_null\": %.4f, ", i ? "," : "", c->group,
			c->name, c->param, c->peer_group, c->peer_name,
			median_of(c->group, c->name, c->param),
			median_of(c->peer_group, c->peer_name, 0),
			xnull_of(c->group, c->name, c->param),
			xnull_of(c->peer_group, c->peer_name, 0));
		if (r < 0)
			fprintf(f, "\"ratio\": null}");
		else
			fprintf(f, "\"ratio\": %.4f}", r);
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

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
 * This file: the options and the order of the sections.  The method is in
 * measure.c, each section in a file of its own, the output in output.c;
 * bench.h lists them.  See bench/README.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bench.h"

struct config cfg = {
	.reps = 7,
	.rep_ms = 20,
	.slices = 8,
	.thread_slices = 3,
	.thread_ms = 50,
	.live_levels = { 1, 1000, 100000, 1000000 },
	.nr_live_levels = 4,
	.storm_objects = 200000,
	.trace_iters = 200,
	.trace_depth = 4,
	.trace_top = 30,
};

int nr_cpus;
atomic_int errors;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: refslab_bench [--smoke] [--json [FILE]] [--json-file FILE]\n"
		"                     [--reps N] [--rep-ms MS] [--slices N] [--thread-ms MS]\n"
		"                     [--live-max N] [--storm N] [--threads N]\n"
		"                     [--icount] [--gate] [--trace OP [--trace-depth N]\n"
		"                     [--trace-iters N]]\n"
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
		"  --icount         the VM runs under QEMU -icount shift=0: label the\n"
		"                   figures instructions (the guest's ns are)\n"
		"  --gate           only the hot operations, few repetitions, and one\n"
		"                   '# refslab-gate: OP N' line each (the perf gate)\n"
		"  --trace OP       no benchmark: OP's path under ftrace's\n"
		"                   function_graph, functions by cost per operation\n"
		"                   (OP: a row name, e.g. get+put, gem_flink_open+close,\n"
		"                   batch_get+put@128, batch_refs@128; several,\n"
		"                   comma-separated)\n"
		"  --trace-depth N  max_graph_depth of the trace (default 4)\n"
		"  --trace-iters N  operations traced (default 200)\n"
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
		{ "icount", no_argument, NULL, 'i' },
		{ "gate", no_argument, NULL, 'g' },
		{ "trace", required_argument, NULL, 'x' },
		{ "trace-depth", required_argument, NULL, 'D' },
		{ "trace-iters", required_argument, NULL, 'I' },
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
		case 'i': cfg.icount = true; break;
		case 'g': cfg.gate = true; break;
		case 'x': cfg.trace = optarg; break;
		case 'D': cfg.trace_depth = atoi(optarg); break;
		case 'I': cfg.trace_iters = atol(optarg); break;
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
	if (cfg.gate) {
		cfg.reps = 3;
		cfg.rep_ms = 2;
		cfg.slices = 3;
	}
	if (cfg.trace_depth < 1 || cfg.trace_iters < 1) {
		usage(stderr);
		return 2;
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

	null_calibrate();
	if (cfg.trace || cfg.gate) {
		/* Only the operations traced, or the hot ones. */
		if (cfg.trace)
			note("trace of %s", cfg.trace);
		else
			note("perf gate: the hot operations");
		bench_single();
		if (cfg.gate) {
			print_table(stdout);
			print_gate(stdout);
		}
		goto json;
	}
	note("single operations and batches");
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
json:
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

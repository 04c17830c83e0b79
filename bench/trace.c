// SPDX-License-Identifier: GPL-2.0
/*
 * refslab_bench --trace OP: where the instructions (or ns) of one
 * operation go.  The operation's loop runs --trace-iters times under
 * ftrace's function_graph tracer, limited to this process, to
 * --trace-depth levels of calls and to process context (funcgraph-irqs
 * off); the functions are then listed by their total duration per
 * operation.  Under icount a duration is an instruction count, tracing's
 * own instructions for the calls traced below a function included: the
 * shallower the depth, the less they add.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define TRACEFS		"/sys/kernel/tracing"
#define MAX_FUNCS	512

struct func {
	char name[64];
	int depth;
	double total;	/* us */
	long calls;
};

static struct func funcs[MAX_FUNCS];
static int nr_funcs;

static int tset(const char *file, const char *val)
{
	return write_str(file, val);
}

static void account(const char *name, int depth, double us)
{
	int i;

	for (i = 0; i < nr_funcs; i++)
		if (funcs[i].depth == depth && !strcmp(funcs[i].name, name))
			break;
	if (i == nr_funcs) {
		if (nr_funcs == MAX_FUNCS)
			return;
		nr_funcs++;
		snprintf(funcs[i].name, sizeof(funcs[i].name), "%s", name);
		funcs[i].depth = depth;
	}
	funcs[i].total += us;
	funcs[i].calls++;
}

/*
 * One line of function_graph output:
 *   " 1)   0.345 us    |      func();"          a leaf
 *   " 1) + 12.34 us    |    } /\* func *\/"     the end of a call
 * Lines that open a call ("func() {") carry no duration.
 */
static void parse_line(char *line, int *base)
{
	char *bar = strchr(line, '|'), *p, *q, name[64];
	int spaces;
	double us;

	if (!bar || line[0] == '#')
		return;
	*bar = 0;
	p = strstr(line, "us");
	if (!p)
		return;
	*p = 0;
	for (q = strchr(line, ')'); q && *q && !(*q >= '0' && *q <= '9'); q++)
		;
	if (!q || !*q)
		return;
	us = strtod(q, NULL);
	p = bar + 1;
	spaces = strspn(p, " ");
	p += spaces;
	if (*p == '}') {
		q = strstr(p, "/* ");
		if (!q)
			return;
		snprintf(name, sizeof(name), "%s", q + 3);
		name[strcspn(name, " *")] = 0;
	} else {
		snprintf(name, sizeof(name), "%s", p);
		name[strcspn(name, "(")] = 0;
	}
	if (*base < 0 || spaces < *base)
		*base = spaces;
	account(name, (spaces - *base) / 2, us);
}

static int cmp_func(const void *a, const void *b)
{
	const struct func *x = a, *y = b;

	return x->total < y->total ? 1 : x->total > y->total ? -1 : 0;
}

void trace_op(const char *name, loop_fn fn, void *ctx)
{
	char pid[16], depth[16], line[512];
	long n = cfg.trace_iters;
	int base = -1, i, shown = 0;
	FILE *f;

	nr_funcs = 0;
	memset(funcs, 0, sizeof(funcs));
	if (access(TRACEFS "/current_tracer", W_OK)) {
		error_msg("no tracefs at " TRACEFS ": %s", strerror(errno));
		return;
	}
	snprintf(pid, sizeof(pid), "%d", getpid());
	snprintf(depth, sizeof(depth), "%d", cfg.trace_depth);
	if (tset(TRACEFS "/tracing_on", "0") ||
	    tset(TRACEFS "/current_tracer", "nop") ||
	    tset(TRACEFS "/buffer_size_kb", "16384") ||
	    tset(TRACEFS "/set_ftrace_pid", pid) ||
	    tset(TRACEFS "/max_graph_depth", depth) ||
	    tset(TRACEFS "/current_tracer", "function_graph") ||
	    tset(TRACEFS "/options/funcgraph-tail", "1") ||
	    tset(TRACEFS "/options/funcgraph-irqs", "0"))
		return;
	/* Empty the buffer (opening "trace" for writing with O_TRUNC). */
	close(open(TRACEFS "/trace", O_WRONLY | O_TRUNC));
	if (fn(ctx, 16))	/* warm-up */
		return;
	tset(TRACEFS "/tracing_on", "1");
	if (fn(ctx, n))
		error_msg("trace %s: the operation failed", name);
	tset(TRACEFS "/tracing_on", "0");

	f = fopen(TRACEFS "/trace", "r");
	if (!f) {
		error_msg("cannot read " TRACEFS "/trace: %s", strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f))
		parse_line(line, &base);
	fclose(f);
	tset(TRACEFS "/current_tracer", "nop");
	tset(TRACEFS "/set_ftrace_pid", "");

	qsort(funcs, nr_funcs, sizeof(funcs[0]), cmp_func);
	printf("trace of %s: %ld operations, function_graph to depth %d;\n"
	       "%s per operation (tracing's own included), calls per operation,\n"
	       "depth below the system call entry\n", name, n, cfg.trace_depth,
	       cfg.icount ? "instructions" : "ns");
	printf("%10s %8s %5s  %s\n", cfg.icount ? "insns" : "ns", "calls",
	       "depth", "function");
	for (i = 0; i < nr_funcs && shown < cfg.trace_top; i++, shown++)
		printf("%10.1f %8.3f %5d  %*s%s\n", funcs[i].total * 1000.0 / n,
		       (double)funcs[i].calls / n, funcs[i].depth,
		       2 * funcs[i].depth, "", funcs[i].name);
	if (!nr_funcs)
		error_msg("trace %s: nothing traced", name);
}

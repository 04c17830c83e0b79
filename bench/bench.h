/* SPDX-License-Identifier: GPL-2.0 */
/*
 * refslab_bench internals: what the files of the benchmark share.
 *
 *   main.c     options, the order of the sections
 *   measure.c  the method: fastest-slice timing next to a null ioctl
 *   ops.c      refslab operations, each result checked
 *   util.c     errors, sysfs and /proc reads, waiting for reclamation
 *   single.c   single operations and the baselines
 *   peers.c    GEM (vgem), keys, memfd: measured beside refslab's rows
 *   batch.c    BATCH at 1, 8, 32, 128 operations
 *   live.c     get+put with many live objects
 *   threads.c  scaling with threads
 *   slab.c     slab bytes per object, per size class
 *   storm.c    the reclaim storm
 *   trace.c    --trace: function_graph of one operation's path
 *   targets.c  the targets of issues 14 and 8
 *   output.c   the table and the JSON
 */
#ifndef REFSLAB_BENCH_H
#define REFSLAB_BENCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

/* main.c: the options, and what the whole run shares */
struct config {
	bool smoke;
	bool icount;		/* under QEMU -icount: ns are instructions */
	bool gate;		/* only the hot operations, for the perf gate */
	const char *trace;	/* function_graph of one operation, or NULL */
	long trace_iters;	/* operations traced */
	int trace_depth;	/* max_graph_depth */
	int trace_top;		/* functions listed */
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

extern struct config cfg;
extern int nr_cpus;
extern atomic_int errors;

/* util.c */
void error_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
long long read_ll_opt(const char *path, bool required);
long long read_ll(const char *path);
long long read_sysfs(const char *name);
int write_str(const char *path, const char *val);
long long meminfo_kb(const char *key);
int open_dev(void);
uint64_t rng(void);
double wait_pending(long long limit, double timeout_s);

struct sched_counts {
	long long ctxt;		/* /proc/stat ctxt */
	long long rcu_softirq;	/* /proc/softirqs RCU, all CPUs */
	long long gp_wakes;	/* switches of the RCU grace-period kthread */
};

void sched_counts(struct sched_counts *c);

/* ops.c */
struct batch {
	struct refslab_batch_op *ops;
	unsigned int count;
};

int rs_create(int fd, uint32_t *handle);
int rs_ref(int fd, unsigned long cmd, uint32_t handle, uint32_t expect);
int rs_put(int fd, uint32_t handle, uint32_t expect);
int rs_dup(int fd, uint32_t handle, uint32_t *new_handle);
int rs_info(int fd, uint32_t handle, struct refslab_info *in);
int rs_export(int fd, uint32_t handle, int *objfd);
int rs_export_rights(int fd, uint32_t handle, uint32_t rights, int *objfd);
int rs_import(int fd, int objfd, uint32_t *handle);
int rs_open(int fd, uint64_t id, uint32_t *handle);
int batch_run(int fd, struct batch *b, const char *what);

/* measure.c */
typedef int (*loop_fn)(void *ctx, uint64_t n);

struct stat3 {
	double med, min, max;
};

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
	/* per operation over the timed repetitions, -1 if unknown */
	double ctxt, rcu_softirq, gp_wakes;
};

extern struct meas meas[MAX_MEAS];
extern int nr_meas;

uint64_t now_ns(void);
struct stat3 stat3_of(double *v, int n);
double median_of(const char *group, const char *name, long param);
double xnull_of(const char *group, const char *name, long param);
int loop_null_ioctl(void *p, uint64_t n);
void null_calibrate(void);
struct meas *measure(const char *group, const char *name, long param,
		     loop_fn fn, void *ctx, double units);

/* Context of the single-thread loops (single.c, batch.c, live.c). */
struct ctx {
	int fd;
	int fd2;		/* a second file: import, open by id */
	uint32_t handle;
	uint64_t id;		/* of @handle's object */
	uint32_t *handles;	/* live-objects sample */
	unsigned int mask;
	struct batch b1, b2;	/* batched loops, their outputs inline */
	uint8_t buf[PAYLOAD];
};

/* single.c */
int loop_get_put(void *p, uint64_t n);
void bench_single(void);

/* peers.c */
enum peer_kind {
	PEER_CREATE, PEER_READ, PEER_WRITE, PEER_EXPORT, PEER_EXPORT_IMPORT,
	PEER_OPEN,
};

struct comparison {
	const char *group, *name;	/* the refslab row */
	long param;
	const char *peer_group, *peer_name;
};

extern const struct comparison comparisons[];
extern const int nr_comparisons;

void peers_setup(void);
void peers_teardown(void);
void bench_peers(enum peer_kind kind);
double comparison_ratio(int i);
loop_fn peer_loop(const char *name, void **ctx);

/* trace.c */
void trace_op(const char *name, loop_fn fn, void *ctx);

/* batch.c */
void setup_batch_create_put(struct ctx *c, unsigned int k);
void setup_batch_get_put(struct ctx *c, unsigned int k);
int loop_batch_create_put(void *p, uint64_t n);
int loop_batch_get_put(void *p, uint64_t n);
void setup_batch_refs(struct ctx *c, unsigned int k);
int loop_batch_refs(void *p, uint64_t n);
long batch_create_n(int fd, uint32_t *handles, long n, char *why,
		    size_t whylen);
void bench_batch(struct ctx *c);
void bench_batch_hot(struct ctx *c);

/* live.c */
struct live_row {
	long wanted;
	long reached;
	long long objects_live;	/* /sys/kernel/refslab/objects_live */
	long long slab_kb;	/* /proc/meminfo Slab */
	double fill_s;		/* time to create the objects of this level */
	char why[96];		/* why fewer than wanted were created */
};

extern struct live_row live_rows[MAX_LIVE_LEVELS];
extern int nr_live_rows;
extern long long live_base;	/* objects_live before the section */

void bench_live(void);

/* threads.c */
enum tmode {
	TM_NULL,		/* null ioctl: what the VM itself can scale */
	TM_DISTINCT_SHARED_FD,	/* own object, one fd for all threads */
	TM_DISTINCT_OWN_FD,	/* own object, own fd */
	TM_SHARED_OBJECT,	/* own handle (DUP) to one object, one fd */
	TM_NR,
};

struct thread_row {
	enum tmode mode;
	int threads;
	struct stat3 s;		/* operations (get+put pairs) per second */
	struct stat3 x;		/* ratio to 1 thread, within each repetition */
	double ratio;		/* x.med */
	bool ok;
};

extern const char *const tmode_names[TM_NR];
extern struct thread_row thread_rows[MAX_THREAD_ROWS];
extern int nr_thread_rows;

void bench_threads(void);
double thread_ratio_of(enum tmode mode, int threads);

/* slab.c */
struct slab_row {
	long capacity;
	long long object_size;	/* /sys/kernel/refslab/classes/<cap>/ */
	long long slab_object_size, slab_size, objs_per_slab, order;
	long long header;	/* object_size - capacity */
};

extern struct slab_row slab_rows[MAX_CLASSES];
extern int nr_slab_rows;

void bench_slab(void);

/* storm.c */
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

extern struct reclaim_result reclaim;
extern const char *const bucket_names[5];

void bench_reclaim(void);

/* targets.c: issue 14's, then issue 8's it does not replace */
struct target {
	const char *name;
	const char *expr;
	double value;
	double limit;
	bool at_most;		/* value <= limit, else value >= limit */
	bool known;
	const char *note;
};

extern struct target targets[24];
extern int nr_targets;

bool target_met(const struct target *t);
void compute_targets(void);
double live_bytes_per_object(void);

/* output.c */
void print_table(FILE *f);
void print_json(FILE *f);
void print_gate(FILE *f);

#endif /* REFSLAB_BENCH_H */

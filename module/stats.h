/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _REFSLAB_STATS_H
#define _REFSLAB_STATS_H

#include <linux/percpu.h>
#include <linux/types.h>

/*
 * The counters are the lowest layer of refslab: this header and stats.c
 * include no other refslab header (vm/lint.sh checks it).  What the files
 * of /sys/kernel/refslab/ show from above the counters is handed down at
 * refslab_sysfs_init() in a struct refslab_sysfs_source.
 */

/* Size classes counted apart: REFSLAB_NR_CLASSES of object.h. */
#define REFSLAB_STAT_CLASSES	4

/*
 * Event counters.  Each only ever grows; "live" figures are differences of
 * two of them (objects created minus released, and so on), so a counter can
 * be bumped on whichever CPU the event happens, with no shared cache line.
 */
enum refslab_stat_item {
	REFSLAB_STAT_OBJECTS_CREATED,
	REFSLAB_STAT_OBJECTS_RELEASED,
	REFSLAB_STAT_OBJECTS_RECLAIMED,
	REFSLAB_STAT_REFS_TAKEN,
	REFSLAB_STAT_REFS_DROPPED,
	REFSLAB_STAT_HANDLES_CREATED,
	REFSLAB_STAT_HANDLES_DESTROYED,
	REFSLAB_STAT_FILES_OPENED,
	REFSLAB_STAT_FILES_CLOSED,
	REFSLAB_STAT_OBJFILES_CREATED,
	REFSLAB_STAT_OBJFILES_RELEASED,
	REFSLAB_STAT_EXPORTS_REUSED,
	REFSLAB_STAT_PAYLOAD_BYTES_CREATED,
	REFSLAB_STAT_PAYLOAD_BYTES_RELEASED,
	REFSLAB_STAT_QUOTA_DENIALS,
	REFSLAB_STAT_PINS,
	REFSLAB_STAT_UNPINS,
	REFSLAB_STAT_EVENTS_QUEUED,
	REFSLAB_STAT_EVENTS_LOST,
	REFSLAB_STAT_EVENTS_CONSUMED,
	REFSLAB_STAT_WATCHES_ADDED,
	REFSLAB_STAT_WATCHES_REMOVED,
	REFSLAB_STAT_NAMESPACES_CREATED,
	REFSLAB_STAT_NAMESPACES_DESTROYED,
	REFSLAB_STAT_RECLAIM_THROTTLES,
	REFSLAB_STAT_NR_ITEMS,
};

/* Per size class counters. */
enum refslab_class_stat_item {
	REFSLAB_CLASS_CREATED,
	REFSLAB_CLASS_RELEASED,
	REFSLAB_CLASS_RECLAIMED,
	REFSLAB_CLASS_NR_ITEMS,
};

/*
 * Reclaim latency, from the final put to the free, in buckets below these
 * bounds (the last bucket has none).
 */
#define REFSLAB_LATENCY_BOUNDS_NS	{ 1000000, 10000000, 100000000, \
					  1000000000 }
#define REFSLAB_LATENCY_BUCKETS		5

struct refslab_stats {
	u64 item[REFSLAB_STAT_NR_ITEMS];
	u64 class[REFSLAB_STAT_CLASSES][REFSLAB_CLASS_NR_ITEMS];
	u64 latency_sum_ns;
	u64 latency_max_ns;
	u64 latency_bucket[REFSLAB_LATENCY_BUCKETS];
};

extern struct refslab_stats __percpu *refslab_stats;

/**
 * refslab_stat_add() - count @n events of one kind
 * @item: the counter
 * @n: how many events
 *
 * Context: any context.
 */
static inline void refslab_stat_add(enum refslab_stat_item item, u64 n)
{
	this_cpu_add(refslab_stats->item[item], n);
}

static inline void refslab_stat_inc(enum refslab_stat_item item)
{
	refslab_stat_add(item, 1);
}

static inline void refslab_class_stat_add(unsigned int class,
					  enum refslab_class_stat_item item,
					  u64 n)
{
	this_cpu_add(refslab_stats->class[class][item], n);
}

static inline void refslab_class_stat_inc(unsigned int class,
					  enum refslab_class_stat_item item)
{
	refslab_class_stat_add(class, item, 1);
}

void refslab_stat_latency(u64 ns, unsigned int n);
u64 refslab_stat_read(enum refslab_stat_item item);

int refslab_stats_init(void);
void refslab_stats_exit(void);
/**
 * struct refslab_sysfs_source - values of /sys/kernel/refslab/ owned above
 * the counters
 * @version: the module's release (version)
 * @peak_objects: most objects charged at once (peak_objects)
 * @reclaim_pending_peak: most objects waiting for reclaim at once
 *	(reclaim_pending_peak)
 * @reclaim_pending_peak_reset: start that measurement anew (0 written to
 *	reclaim_pending_peak)
 * @class_capacity: payload capacity of a size class (classes/<capacity>/
 *	and its capacity file)
 * @class_object_size: bytes the slab allocator gives each object of a size
 *	class (classes/<capacity>/object_size)
 */
struct refslab_sysfs_source {
	const char *version;
	unsigned int (*peak_objects)(void);
	unsigned long (*reclaim_pending_peak)(void);
	void (*reclaim_pending_peak_reset)(void);
	unsigned int (*class_capacity)(unsigned int class);
	unsigned int (*class_object_size)(unsigned int class);
};

int refslab_sysfs_init(const struct refslab_sysfs_source *source);
void refslab_sysfs_exit(void);

#endif /* _REFSLAB_STATS_H */

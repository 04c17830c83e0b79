// SPDX-License-Identifier: GPL-2.0
/*
 * refslab statistics: per-CPU event counters, summed on read, and their
 * files in /sys/kernel/refslab/.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compiler.h>
#include <linux/kobject.h>
#include <linux/percpu.h>
#include <linux/sysfs.h>

#include <kunit/visibility.h>
#include "stats.h"

struct refslab_stats __percpu *refslab_stats;
EXPORT_SYMBOL_IF_KUNIT(refslab_stats);

static struct kobject *refslab_kobj;
static struct kobject *refslab_classes_kobj;
static struct kobject *refslab_latency_kobj;
static struct kobject *refslab_class_kobjs[REFSLAB_STAT_CLASSES];

/* What the files show from above the counters, from refslab_sysfs_init(). */
static const struct refslab_sysfs_source *src;

static const u64 refslab_latency_bounds[] = REFSLAB_LATENCY_BOUNDS_NS;

/*
 * Data races by design: each CPU writes only its own counters (with
 * this_cpu_*(), or below from the RCU callbacks, which run one at a time on
 * a CPU), while a reader of a sysfs file sums every CPU's at any moment.
 * The reader's loads are READ_ONCE() and the callback's stores WRITE_ONCE():
 * a u64 is loaded and stored whole on 64-bit, never torn, so each counter
 * read is a value it really had; the sum over CPUs is only approximate
 * while something counts, which the files say they are (KCSAN, issue 15).
 */

/**
 * refslab_stat_latency() - count reclaims and how long they took
 * @ns: nanoseconds from the final put to the free
 * @n: how many objects were freed after that time
 *
 * Context: any context; called from the RCU callback that frees.
 */
void refslab_stat_latency(u64 ns, unsigned int n)
{
	struct refslab_stats *stats = this_cpu_ptr(refslab_stats);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(refslab_latency_bounds); i++)
		if (ns < refslab_latency_bounds[i])
			break;
	/* Only this CPU stores them: its own plain loads race with nothing. */
	WRITE_ONCE(stats->latency_bucket[i], stats->latency_bucket[i] + n);
	WRITE_ONCE(stats->latency_sum_ns, stats->latency_sum_ns + n * ns);
	if (ns > stats->latency_max_ns)
		WRITE_ONCE(stats->latency_max_ns, ns);
}

/**
 * refslab_stat_read() - sum one counter over every CPU
 * @item: the counter
 *
 * The sum is exact only while nothing counts concurrently; it is meant for
 * reporting, not for decisions.
 *
 * Context: any context.
 * Return: the number of events counted since the module was loaded.
 */
u64 refslab_stat_read(enum refslab_stat_item item)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(refslab_stats, cpu)->item[item]);
	return sum;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_stat_read);

/* Sum, or with @max the maximum, of one u64 at @offset in every CPU's stats. */
static u64 stat_fold(size_t offset, bool max)
{
	u64 val, res = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		char *base = (char *)per_cpu_ptr(refslab_stats, cpu);

		val = READ_ONCE(*(u64 *)(base + offset));
		res = max ? max(res, val) : res + val;
	}
	return res;
}

#define FOLD(field)	stat_fold(offsetof(struct refslab_stats, field), false)

static s64 stat_diff(enum refslab_stat_item a, enum refslab_stat_item b)
{
	return (s64)(refslab_stat_read(a) - refslab_stat_read(b));
}

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", src->version);
}

static struct kobj_attribute version_attr = __ATTR_RO(version);

/* One read-only file per figure; @expr computes its value. */
#define REFSLAB_STAT_ATTR(_name, _expr)					\
static ssize_t _name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%lld\n", (long long)(_expr));		\
}									\
static struct kobj_attribute _name##_attr = __ATTR_RO(_name)

#define COUNT(item)	refslab_stat_read(REFSLAB_STAT_##item)
#define LIVE(up, down)	stat_diff(REFSLAB_STAT_##up, REFSLAB_STAT_##down)

REFSLAB_STAT_ATTR(objects_live, LIVE(OBJECTS_CREATED, OBJECTS_RELEASED));
REFSLAB_STAT_ATTR(objects_created, COUNT(OBJECTS_CREATED));
REFSLAB_STAT_ATTR(objects_released, COUNT(OBJECTS_RELEASED));
REFSLAB_STAT_ATTR(objects_reclaimed, COUNT(OBJECTS_RECLAIMED));
REFSLAB_STAT_ATTR(reclaim_pending, LIVE(OBJECTS_RELEASED, OBJECTS_RECLAIMED));
REFSLAB_STAT_ATTR(references_live, LIVE(REFS_TAKEN, REFS_DROPPED));
REFSLAB_STAT_ATTR(gets, COUNT(REFS_TAKEN));
REFSLAB_STAT_ATTR(puts, COUNT(REFS_DROPPED));
REFSLAB_STAT_ATTR(handles_live, LIVE(HANDLES_CREATED, HANDLES_DESTROYED));
REFSLAB_STAT_ATTR(open_files, LIVE(FILES_OPENED, FILES_CLOSED));
REFSLAB_STAT_ATTR(object_files, LIVE(OBJFILES_CREATED, OBJFILES_RELEASED));
REFSLAB_STAT_ATTR(exports_reused, COUNT(EXPORTS_REUSED));
REFSLAB_STAT_ATTR(payload_bytes,
		  LIVE(PAYLOAD_BYTES_CREATED, PAYLOAD_BYTES_RELEASED));
REFSLAB_STAT_ATTR(quota_denials, COUNT(QUOTA_DENIALS));
REFSLAB_STAT_ATTR(pinned_objects, LIVE(PINS, UNPINS));
REFSLAB_STAT_ATTR(peak_objects, src->peak_objects());

static ssize_t reclaim_pending_peak_show(struct kobject *kobj,
					 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", src->reclaim_pending_peak());
}

/* Writing 0 starts a new measurement; nothing else may be written. */
static ssize_t reclaim_pending_peak_store(struct kobject *kobj,
					  struct kobj_attribute *attr,
					  const char *buf, size_t count)
{
	unsigned int val;

	if (kstrtouint(buf, 0, &val) || val)
		return -EINVAL;
	src->reclaim_pending_peak_reset();
	return count;
}

static struct kobj_attribute reclaim_pending_peak_attr =
	__ATTR_RW_MODE(reclaim_pending_peak, 0644);

REFSLAB_STAT_ATTR(reclaim_throttles, COUNT(RECLAIM_THROTTLES));
REFSLAB_STAT_ATTR(events_delivered, COUNT(EVENTS_QUEUED));
REFSLAB_STAT_ATTR(events_dropped, COUNT(EVENTS_LOST));
REFSLAB_STAT_ATTR(events_pending, LIVE(EVENTS_QUEUED, EVENTS_CONSUMED));
REFSLAB_STAT_ATTR(watches_live, LIVE(WATCHES_ADDED, WATCHES_REMOVED));
REFSLAB_STAT_ATTR(namespaces_live,
		  LIVE(NAMESPACES_CREATED, NAMESPACES_DESTROYED));

static struct attribute *refslab_attrs[] = {
	&version_attr.attr,
	&objects_live_attr.attr,
	&objects_created_attr.attr,
	&objects_released_attr.attr,
	&objects_reclaimed_attr.attr,
	&reclaim_pending_attr.attr,
	&references_live_attr.attr,
	&gets_attr.attr,
	&puts_attr.attr,
	&handles_live_attr.attr,
	&open_files_attr.attr,
	&object_files_attr.attr,
	&exports_reused_attr.attr,
	&payload_bytes_attr.attr,
	&quota_denials_attr.attr,
	&pinned_objects_attr.attr,
	&peak_objects_attr.attr,
	&reclaim_pending_peak_attr.attr,
	&reclaim_throttles_attr.attr,
	&events_delivered_attr.attr,
	&events_dropped_attr.attr,
	&events_pending_attr.attr,
	&watches_live_attr.attr,
	&namespaces_live_attr.attr,
	NULL,
};

static const struct attribute_group refslab_attr_group = {
	.attrs = refslab_attrs,
};

/* reclaim_latency/: from the final put to the free. */
#define LATENCY_BUCKET(_name, _i)					\
	REFSLAB_STAT_ATTR(_name, FOLD(latency_bucket[_i]))

REFSLAB_STAT_ATTR(count, COUNT(OBJECTS_RECLAIMED));
REFSLAB_STAT_ATTR(mean_ns, COUNT(OBJECTS_RECLAIMED) ?
		  FOLD(latency_sum_ns) / COUNT(OBJECTS_RECLAIMED) : 0);
REFSLAB_STAT_ATTR(max_ns, stat_fold(offsetof(struct refslab_stats,
					     latency_max_ns), true));
LATENCY_BUCKET(lt_1ms, 0);
LATENCY_BUCKET(lt_10ms, 1);
LATENCY_BUCKET(lt_100ms, 2);
LATENCY_BUCKET(lt_1s, 3);
LATENCY_BUCKET(ge_1s, 4);

static struct attribute *refslab_latency_attrs[] = {
	&count_attr.attr,
	&mean_ns_attr.attr,
	&max_ns_attr.attr,
	&lt_1ms_attr.attr,
	&lt_10ms_attr.attr,
	&lt_100ms_attr.attr,
	&lt_1s_attr.attr,
	&ge_1s_attr.attr,
	NULL,
};

static const struct attribute_group refslab_latency_group = {
	.attrs = refslab_latency_attrs,
};

/* classes/<capacity>/: one directory per size class. */
static unsigned int kobj_class(struct kobject *kobj)
{
	unsigned int i;

	for (i = 0; i < REFSLAB_STAT_CLASSES; i++)
		if (refslab_class_kobjs[i] == kobj)
			break;
	return i;
}

static u64 class_count(unsigned int class, enum refslab_class_stat_item item)
{
	return FOLD(class[class][item]);
}

#define REFSLAB_CLASS_ATTR(_name, _expr)				\
static ssize_t class_##_name##_show(struct kobject *kobj,		\
				    struct kobj_attribute *attr,	\
				    char *buf)				\
{									\
	unsigned int class = kobj_class(kobj);				\
									\
	if (class >= REFSLAB_STAT_CLASSES)				\
		return -ENODEV;						\
	return sysfs_emit(buf, "%llu\n", (unsigned long long)(_expr));	\
}									\
static struct kobj_attribute class_##_name##_attr =			\
	__ATTR(_name, 0444, class_##_name##_show, NULL)

REFSLAB_CLASS_ATTR(capacity, src->class_capacity(class));
REFSLAB_CLASS_ATTR(object_size, src->class_object_size(class));
REFSLAB_CLASS_ATTR(objects_live,
		   class_count(class, REFSLAB_CLASS_CREATED) -
		   class_count(class, REFSLAB_CLASS_RELEASED));
REFSLAB_CLASS_ATTR(objects_created, class_count(class, REFSLAB_CLASS_CREATED));
REFSLAB_CLASS_ATTR(objects_reclaimed,
		   class_count(class, REFSLAB_CLASS_RECLAIMED));

static struct attribute *refslab_class_attrs[] = {
	&class_capacity_attr.attr,
	&class_object_size_attr.attr,
	&class_objects_live_attr.attr,
	&class_objects_created_attr.attr,
	&class_objects_reclaimed_attr.attr,
	NULL,
};

static const struct attribute_group refslab_class_group = {
	.attrs = refslab_class_attrs,
};

static void refslab_sysfs_remove(void)
{
	unsigned int i;

	for (i = 0; i < REFSLAB_STAT_CLASSES; i++)
		kobject_put(refslab_class_kobjs[i]);
	kobject_put(refslab_classes_kobj);
	kobject_put(refslab_latency_kobj);
	kobject_put(refslab_kobj);
}

/*
 * Build /sys/kernel/refslab/ and its subdirectories.  kobject_put() of a
 * NULL kobject does nothing, so a partial tree is removed by
 * refslab_sysfs_remove() as a whole.
 */
static int refslab_sysfs_create(void)
{
	char name[16];
	unsigned int i;

	refslab_kobj = kobject_create_and_add("refslab", kernel_kobj);
	if (!refslab_kobj)
		return -ENOMEM;
	if (sysfs_create_group(refslab_kobj, &refslab_attr_group))
		return -ENOMEM;

	refslab_latency_kobj = kobject_create_and_add("reclaim_latency",
						      refslab_kobj);
	if (!refslab_latency_kobj ||
	    sysfs_create_group(refslab_latency_kobj, &refslab_latency_group))
		return -ENOMEM;

	refslab_classes_kobj = kobject_create_and_add("classes", refslab_kobj);
	if (!refslab_classes_kobj)
		return -ENOMEM;
	for (i = 0; i < REFSLAB_STAT_CLASSES; i++) {
		snprintf(name, sizeof(name), "%u", src->class_capacity(i));
		refslab_class_kobjs[i] =
			kobject_create_and_add(name, refslab_classes_kobj);
		if (!refslab_class_kobjs[i] ||
		    sysfs_create_group(refslab_class_kobjs[i],
				       &refslab_class_group))
			return -ENOMEM;
	}
	return 0;
}

/**
 * refslab_stats_init() - allocate the counters
 *
 * Context: process context, module init, before anything counts.
 * Return: 0 or -ENOMEM.
 */
int refslab_stats_init(void)
{
	refslab_stats = alloc_percpu(struct refslab_stats);
	return refslab_stats ? 0 : -ENOMEM;
}

/**
 * refslab_stats_exit() - free the counters
 *
 * Context: process context, module exit, after every counting path and
 * every reader is gone.
 */
void refslab_stats_exit(void)
{
	free_percpu(refslab_stats);
}

/**
 * refslab_sysfs_init() - create /sys/kernel/refslab/
 * @source: the values the files show from the size-class caches and the
 *	quotas, which the counters do not own; it must stay valid until
 *	refslab_sysfs_exit()
 *
 * The files read the counters, the size-class caches and the quotas, so
 * they are created once all of those exist.
 *
 * Context: process context, module init.
 * Return: 0 or a negative errno.
 */
int refslab_sysfs_init(const struct refslab_sysfs_source *source)
{
	int ret;

	src = source;
	ret = refslab_sysfs_create();

	if (ret)
		refslab_sysfs_remove();
	return ret;
}

/**
 * refslab_sysfs_exit() - remove /sys/kernel/refslab/
 *
 * Waits for readers in progress, so nothing reads what module exit tears
 * down afterwards.
 *
 * Context: process context, module exit, before the caches go.
 */
void refslab_sysfs_exit(void)
{
	refslab_sysfs_remove();
}

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _REFSLAB_OBJECT_H
#define _REFSLAB_OBJECT_H

#include <linux/compiler.h>
#include <linux/gfp.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/seqlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>

/*
 * Allocations made on behalf of userspace: charged to the caller's memory
 * cgroup, and failing with ENOMEM (reported to the caller, so quietly)
 * rather than invoking the OOM killer when the cgroup or the system runs
 * out of memory.
 */
#define REFSLAB_GFP	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/* Number of payload size classes, each with its own kmem_cache. */
#define REFSLAB_NR_CLASSES	4

/**
 * struct refslab_object - a kernel-owned, reference-counted object
 * @ref: references from handles, exported files and pins, plus short-lived
 *	ones taken by operations in progress
 * @size: payload size in bytes
 * @class: index of the size class (and kmem_cache) the object came from
 * @mode: permission bits
 * @id: global id, never reused while the module is loaded
 * @lock: serialises writers of @payload, @generation, @uid, @gid and @mode;
 *	readers retry
 * @uid: owner, charged for the object's quota
 * @gid: group
 * @release_ns: CLOCK_MONOTONIC time of the final put, for reclaim latency
 * @generation: number of writes so far
 * @ctime_ns: CLOCK_REALTIME creation time
 * @rcu: reclaims the object a grace period after it was released
 * @payload: @size bytes of data, zeroed at allocation
 *
 * The object is reached only by holding a reference, with one exception: a
 * registry lookup finds it under RCU and may touch @ref alone, to try
 * refcount_inc_not_zero().  That is why @rcu may share storage with
 * @generation and @ctime_ns, which nothing reads after the final put.
 */
struct refslab_object {
	refcount_t ref;
	u16 size;
	u8 class;
	umode_t mode;
	u64 id;
	seqlock_t lock;
	kuid_t uid;
	kgid_t gid;
	u64 release_ns;
	union {
		struct {
			u64 generation;
			u64 ctime_ns;
		};
		struct rcu_head rcu;
	};
	u8 payload[] __aligned(8);
};

/**
 * struct refslab_attrs - who may do what with an object
 * @uid: owner
 * @gid: group
 * @mode: permission bits
 */
struct refslab_attrs {
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
};

struct refslab_object *refslab_object_alloc(unsigned int size, umode_t mode);
void refslab_object_publish(struct refslab_object *obj);
void refslab_object_abort(struct refslab_object *obj);

struct refslab_object *refslab_object_lookup(u64 id);
int refslab_object_ref_add(struct refslab_object *obj, unsigned int n);
void refslab_object_put_many(struct refslab_object *obj, unsigned int n);

bool __must_check refslab_object_get_unless_zero(struct refslab_object *obj);

/**
 * refslab_object_put() - drop one reference
 * @obj: the object
 *
 * Context: any context but hard interrupt.
 */
static inline void refslab_object_put(struct refslab_object *obj)
{
	refslab_object_put_many(obj, 1);
}

/**
 * refslab_object_generation() - read the number of writes so far
 * @obj: the object, with a reference held
 *
 * Context: any context.
 * Return: the generation.
 */
static inline u64 refslab_object_generation(struct refslab_object *obj)
{
	unsigned int seq;
	u64 generation;

	do {
		seq = read_seqbegin(&obj->lock);
		generation = obj->generation;
	} while (read_seqretry(&obj->lock, seq));
	return generation;
}

unsigned int refslab_object_capacity(const struct refslab_object *obj);
unsigned int refslab_class_capacity(unsigned int class);
unsigned int refslab_class_object_size(unsigned int class);
void refslab_object_attrs(struct refslab_object *obj,
			  struct refslab_attrs *attrs);
int refslab_object_permission(struct refslab_object *obj, u32 rights);
int refslab_object_setattr(struct refslab_object *obj, u32 flags,
			   umode_t mode, kuid_t uid, kgid_t gid);

struct refslab_object *refslab_object_find_next(u64 *id);
bool refslab_object_pinned(struct refslab_object *obj);

int refslab_object_pin(u64 id);
int refslab_object_unpin(u64 id);
unsigned int refslab_object_list_pinned(u64 after, u64 *ids,
					unsigned int max);
void refslab_object_read(struct refslab_object *obj, unsigned int offset,
			 unsigned int len, void *buf, u64 *generation);
int refslab_object_write(struct refslab_object *obj, unsigned int offset,
			 unsigned int len, const void *buf, bool conditional,
			 u64 *generation);

unsigned long refslab_reclaim_pending_peak(void);
void refslab_reclaim_pending_peak_reset(void);

int refslab_objects_init(void);
void refslab_objects_exit(void);

#endif /* _REFSLAB_OBJECT_H */

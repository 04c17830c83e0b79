/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _REFSLAB_OBJECT_H
#define _REFSLAB_OBJECT_H

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/gfp.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/seqlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <uapi/linux/refslab.h>

#include "alloc.h"

/* Number of payload size classes, each with its own kmem_cache. */
#define REFSLAB_NR_CLASSES	4

struct refslab_charge;
struct refslab_ns;
struct refslab_watchers;

/**
 * struct refslab_object - a kernel-owned, reference-counted object
 * @ref: one reference per holder (handle, exported file, pin), plus
 *	short-lived ones taken by operations in progress; the object lives
 *	while any is left
 * @held: the references the holders hold (a handle holds from 1 to
 *	REFSLAB_HANDLE_REFS_MAX, a file or a pin one), the ones INFO reports
 *	and REFSLAB_OBJECT_REFS_MAX caps
 * @size: payload size in bytes; the size class follows from it
 * @mode: permission bits
 * @gid: group
 * @id: id in its namespace, never reused there while the module is loaded
 * @lock: serialises writers of @payload, @generation, @charge, @gid and
 *	@mode; readers retry
 * @generation: number of writes so far
 * @release_next: once its last reference is gone, the next object of the
 *	&struct refslab_releases it waits on
 * @ctime_ns: CLOCK_REALTIME creation time
 * @ns: the namespace whose registry has the object, held
 * @charge: the owner's quota charge; the owner is the charge's uid
 * @rcu: reclaims the object a grace period after it was released
 * @release_ns: CLOCK_MONOTONIC time of the final put, for reclaim latency
 * @fired: the object's watchers, to be told once it is reclaimed; an
 *	object with watchers is reclaimed alone
 * @reclaim_next: of an object without watchers, the next object that the
 *	same RCU callback reclaims
 * @payload: @size bytes of data, zeroed at allocation
 *
 * The object is reached only by holding a reference, with two exceptions,
 * both under RCU: a registry lookup may touch @ref alone, to try
 * refcount_inc_not_zero(), and a GET through a handle that may be going
 * may add to @held and take it back.  That is why the fields of a live object may
 * share storage with those the release hands to the reclaim: nothing reads
 * @generation, @ctime_ns, @ns or @charge after the final put, but the
 * release, which reads @ns and @charge before it writes what overlays
 * them.
 */
struct refslab_object {
	refcount_t ref;
	atomic_t held;
	u16 size;
	umode_t mode;
	kgid_t gid;
	u64 id;
	seqlock_t lock;
	union {
		struct {
			union {
				u64 generation;
				struct refslab_object *release_next;
			};
			u64 ctime_ns;
			struct refslab_ns *ns;
			struct refslab_charge *charge;
		};
		struct {
			struct rcu_head rcu;
			u64 release_ns;
			union {
				struct refslab_watchers *fired;
				struct refslab_object *reclaim_next;
			};
		};
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

/* Objects refslab_objects_alloc() makes with one call, at most. */
#define REFSLAB_ALLOC_BULK	64

int refslab_objects_alloc(struct refslab_ns *rns, unsigned int size,
			  umode_t mode, struct refslab_object **objs,
			  unsigned int n);
unsigned int refslab_objects_publish(struct refslab_object **objs,
				     unsigned int n);
void refslab_objects_abort(struct refslab_object **objs, unsigned int n);
struct refslab_object *refslab_object_alloc(struct refslab_ns *rns,
					    unsigned int size, umode_t mode);
void refslab_object_publish(struct refslab_object *obj);
void refslab_object_abort(struct refslab_object *obj);

/**
 * struct refslab_releases - objects whose last references went, to release
 *	together
 * @first: the last one added; they are linked by @release_next
 *
 * A run of a BATCH that drops the last references of many objects
 * releases them all at its end, with refslab_object_release_all(): one
 * registry lock for them, one quota change for each owner, one clock
 * read and one RCU callback.  Until then an object on the list has no
 * references left, so no lookup can take one, and it is still in its
 * registry.
 */
struct refslab_releases {
	struct refslab_object *first;
};

struct refslab_object *refslab_object_lookup(struct refslab_ns *rns, u64 id);
int refslab_object_holder_add(struct refslab_object *obj, unsigned int n);
void refslab_object_holder_put(struct refslab_object *obj, unsigned int n);
void refslab_object_put(struct refslab_object *obj);
void refslab_object_put_later(struct refslab_object *obj,
			      struct refslab_releases *rel);
void refslab_object_holder_put_later(struct refslab_object *obj,
				     unsigned int n,
				     struct refslab_releases *rel);
void refslab_object_release_all(struct refslab_releases *rel);

bool __must_check refslab_object_get_unless_zero(struct refslab_object *obj);

/**
 * refslab_object_held() - references held by handles, files and pins
 * @obj: the object, with a reference held
 *
 * Context: any context.
 * Return: a snapshot of the count, which other holders may change.
 */
static inline unsigned int refslab_object_held(const struct refslab_object *obj)
{
	return atomic_read(&obj->held);
}

/**
 * refslab_object_held_add() - count more held references of a holder
 * @obj: the object; the caller must be in an RCU read-side section that
 *	found it, or hold a reference
 * @n: how many
 *
 * Counts only: the holder already keeps the object alive.  A caller whose
 * holder may be going adds first and takes the references back with
 * refslab_object_held_sub() if the holder turns out to be gone, so the
 * held count is never less than the holders hold.
 *
 * Return: the held count after the add, or -EOVERFLOW if it would pass
 * REFSLAB_OBJECT_REFS_MAX.
 */
static inline int refslab_object_held_add(struct refslab_object *obj,
					  unsigned int n)
{
	int old = atomic_read(&obj->held);

	do {
		if (n > REFSLAB_OBJECT_REFS_MAX - old)
			return -EOVERFLOW;
	} while (!atomic_try_cmpxchg_relaxed(&obj->held, &old, old + n));
	return old + n;
}

/**
 * refslab_object_held_sub() - count fewer held references
 * @obj: the object, kept alive by the caller's holder or RCU section
 * @n: how many; the caller's holder held them
 *
 * Return: the held count after the sub.
 */
static inline int refslab_object_held_sub(struct refslab_object *obj,
					  unsigned int n)
{
	int held = atomic_sub_return_relaxed(n, &obj->held);

	/* A put of held references nobody took: a refslab bug, not the user's. */
	WARN_ON_ONCE(held < 0);
	return held;
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

unsigned int refslab_object_class(const struct refslab_object *obj);
unsigned int refslab_object_capacity(const struct refslab_object *obj);
unsigned int refslab_class_capacity(unsigned int class);
unsigned int refslab_class_object_size(unsigned int class);
void refslab_object_attrs(struct refslab_object *obj,
			  struct refslab_attrs *attrs);
int refslab_object_permission(struct refslab_object *obj, u32 rights);
int refslab_object_setattr(struct refslab_object *obj, u32 flags,
			   umode_t mode, kuid_t uid, kgid_t gid);

struct refslab_object *refslab_object_find_next(struct refslab_ns *rns,
						u64 *id);
bool refslab_object_pinned(struct refslab_object *obj);
u64 refslab_object_visible_id(const struct refslab_object *obj);

int refslab_object_pin(struct refslab_ns *rns, u64 id);
int refslab_object_unpin(struct refslab_ns *rns, u64 id);
unsigned int refslab_object_list_pinned(struct refslab_ns *rns, u64 after,
					u64 *ids, unsigned int max);
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

// SPDX-License-Identifier: GPL-2.0
/*
 * refslab objects: the size-class caches they come from, the registries
 * (one per IPC namespace, in struct refslab_ns) that map ids to them, and
 * their life cycle.
 *
 * Life cycle:
 *
 *  1. refslab_object_alloc() charges the creator's quota, allocates and
 *     zeroes the object with one reference, and reserves its id in its
 *     namespace's registry.  Nobody else can see it yet.
 *  2. refslab_object_publish() stores it in the registry: from here on
 *     lookups may find it.  Publishing cannot fail, so it is the last step
 *     of a create; anything that can fail happens before it, and undoing an
 *     unpublished object is refslab_object_abort().  The refslab_objects_*()
 *     forms do the same for up to REFSLAB_ALLOC_BULK objects of one size
 *     at once: one charge, one slab allocation, one registry walk.
 *  3. The final put releases it: it is erased from the registry (no new
 *     lookup can find it), its watchers are taken off their table, its
 *     quota charge and its namespace reference are returned, and its
 *     memory is handed to call_rcu().  The final puts of a run of a BATCH
 *     release their objects together (refslab_object_release_all()).
 *  4. After a grace period, every lookup that might still see the object
 *     has finished, and refslab_object_reclaim() frees it and hands the
 *     watchers, if any, to the notifier, which tells them from process
 *     context.
 *
 * Two counts: @ref keeps the object alive and counts every reference,
 * including the short-lived ones of operations in progress; @held counts
 * the references of handles, files and pins, and is what the reference
 * cap applies to, so that no operation fails for another one's reference.
 *
 * Reclamation is bounded: when more than reclaim_pending_max objects wait
 * for their grace period, CREATE waits for the pending frees (rcu_barrier())
 * before it allocates, so a create/release storm cannot pile up memory
 * faster than RCU returns it.
 *
 * The registry keeps the slot of the next id reserved (an empty entry that
 * lookups do not see), so the xarray node that the next object goes into
 * exists before that object, and erasing an object never empties its
 * node: objects that come and go one at a time allocate and free one node
 * per 64 ids (XA_CHUNK_SIZE), not one or more each.  Publishing an object
 * reserves the next slot in the same walk, when it is in the same node;
 * the first id of a node reserves its own slot, allocating the node.
 *
 * A pin is one more reference, owned by the registry and marked on the
 * object's registry entry.  Pins and changes of owner are serialised by
 * refslab_owner_mutex, which also keeps quota transfers whole.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/xarray.h>
#include <uapi/linux/refslab.h>

#include <kunit/visibility.h>
#include "notify.h"
#include "ns.h"
#include "object.h"
#include "quota.h"
#include "stats.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/*
 * Payload capacities of the size classes, smallest first.  Each class is a
 * factor of four above the last, so at most three quarters of a payload
 * slot is ever unused; with the 64-byte header every object size is a
 * multiple of the cache line.
 */
static const unsigned int refslab_class_capacities[REFSLAB_NR_CLASSES] = {
	64, 256, 1024, 4096,
};

struct refslab_class {
	struct kmem_cache *cache;
	unsigned int capacity;
	char name[16];
};

static struct refslab_class refslab_classes[REFSLAB_NR_CLASSES];

/* Registry entries of pinned objects carry this mark. */
#define REFSLAB_PINNED	XA_MARK_1

static DEFINE_MUTEX(refslab_owner_mutex);

/*
 * Objects released and not yet reclaimed, and the throttle on them.  Only
 * the final put and the reclaim touch the count, never a get or a put that
 * leaves an object alive, and the final put takes the quota lock anyway.
 */
static atomic_long_t refslab_pending = ATOMIC_LONG_INIT(0);
static atomic_long_t refslab_pending_peak = ATOMIC_LONG_INIT(0);
static DEFINE_MUTEX(refslab_throttle_mutex);
static unsigned int reclaim_pending_max = 16384;

static int set_pending_max(const char *val, const struct kernel_param *kp)
{
	unsigned int max;

	if (kstrtouint(val, 0, &max) || !max)
		return -EINVAL;
	WRITE_ONCE(reclaim_pending_max, max);
	return 0;
}

static const struct kernel_param_ops pending_max_ops = {
	.set = set_pending_max,
	.get = param_get_uint,
};

module_param_cb(reclaim_pending_max, &pending_max_ops, &reclaim_pending_max,
		0644);
MODULE_PARM_DESC(reclaim_pending_max,
		 "Objects waiting for reclamation above which CREATE waits");

/*
 * Too many released objects wait for their grace period: wait for them
 * before allocating more.  One creator waits while the others queue on the
 * mutex, and find the backlog gone when they get it.
 */
static void refslab_reclaim_throttle(void)
{
	mutex_lock(&refslab_throttle_mutex);
	if (atomic_long_read(&refslab_pending) > READ_ONCE(reclaim_pending_max)) {
		refslab_stat_inc(REFSLAB_STAT_RECLAIM_THROTTLES);
		rcu_barrier();
	}
	mutex_unlock(&refslab_throttle_mutex);
}

/**
 * refslab_reclaim_pending_peak() - most objects waiting for reclaim at once
 *
 * Return: the peak since the module was loaded or the last reset.
 */
unsigned long refslab_reclaim_pending_peak(void)
{
	return atomic_long_read(&refslab_pending_peak);
}

/**
 * refslab_reclaim_pending_peak_reset() - start measuring the peak anew
 */
void refslab_reclaim_pending_peak_reset(void)
{
	atomic_long_set(&refslab_pending_peak,
			atomic_long_read(&refslab_pending));
}

/* The size class of a payload size, 1 to REFSLAB_PAYLOAD_MAX: each is 4x. */
static unsigned int size_class(unsigned int size)
{
	unsigned int bits = size > 64 ? fls(size - 1) - 6 : 0;

	return (bits + 1) / 2;
}

/**
 * refslab_object_class() - the size class an object came from
 * @obj: the object
 *
 * Return: the class index, below REFSLAB_NR_CLASSES.
 */
unsigned int refslab_object_class(const struct refslab_object *obj)
{
	return size_class(obj->size);
}

static struct kmem_cache *object_cache(const struct refslab_object *obj)
{
	return refslab_classes[refslab_object_class(obj)].cache;
}

/* Free @n objects of @cache: one alone, as the bulk call costs more. */
static void objects_free(struct kmem_cache *cache, void **objs,
			 unsigned int n)
{
	if (n == 1)
		kmem_cache_free(cache, objs[0]);
	else
		kmem_cache_free_bulk(cache, n, objs);
}

/*
 * Reserve the registry slot of a new id.  Ids are never handed out twice,
 * so a slot that is already reserved (-EBUSY) is the one an earlier
 * CREATE kept for this id (refslab_objects_publish()): it is taken over as
 * it is, and not even looked at when that CREATE says it kept it.
 */
static int registry_reserve(struct refslab_ns *rns, u64 id)
{
	int ret;

	if (atomic64_read(&rns->reserved_ahead) == id)
		return 0;
	ret = xa_insert(&rns->registry, id, NULL, REFSLAB_GFP);
	return ret == -EBUSY ? 0 : ret;
}

/**
 * refslab_objects_alloc() - build objects that nobody can see yet
 * @rns: the namespace to create them in, held by the caller
 * @size: payload size of each, 1 to REFSLAB_PAYLOAD_MAX
 * @mode: permission bits of each
 * @objs: filled with the objects, in the order of their ids
 * @n: how many, 1 to REFSLAB_ALLOC_BULK
 *
 * The objects belong to the caller's fsuid and fsgid, are charged to the
 * fsuid's quota, have consecutive ids, and hold one reference each, owned
 * by the caller: all of them, or none.  Each must end in
 * refslab_objects_publish() or refslab_objects_abort().  One object also
 * has its registry slot reserved, so that its publication cannot fail;
 * more have theirs made when they are published, in the same walk.
 *
 * Context: process context; may sleep.
 * Return: 0, -EINVAL, -EDQUOT or -ENOMEM.
 */
int refslab_objects_alloc(struct refslab_ns *rns, unsigned int size,
			  umode_t mode, struct refslab_object **objs,
			  unsigned int n)
{
	struct refslab_charge *charge;
	struct kmem_cache *cache;
	struct refslab_object *obj;
	unsigned int i;
	u64 first, now;
	kgid_t gid;
	int ret;

	/* ids index the registry's xarray, whose indices are unsigned long */
	BUILD_BUG_ON(sizeof(unsigned long) < sizeof(u64));
	if (!size || size > REFSLAB_PAYLOAD_MAX || !n || n > REFSLAB_ALLOC_BULK)
		return -EINVAL;
	cache = refslab_classes[size_class(size)].cache;

	if (atomic_long_read(&refslab_pending) > READ_ONCE(reclaim_pending_max))
		refslab_reclaim_throttle();

	charge = refslab_quota_charge_many(n, (u64)n * size);
	if (IS_ERR(charge))
		return PTR_ERR(charge);

	ret = -ENOMEM;
	if (n == 1) {
		objs[0] = kmem_cache_zalloc(cache, REFSLAB_GFP);
		if (!objs[0])
			goto err_uncharge;
	} else if (kmem_cache_alloc_bulk(cache, REFSLAB_GFP | __GFP_ZERO, n,
					 (void **)objs) != n) {
		goto err_uncharge;
	}

	first = atomic64_add_return(n, &rns->last_id) - n + 1;
	if (n == 1) {
		ret = registry_reserve(rns, first);
		if (ret)
			goto err_free;
	}

	gid = current_fsgid();
	now = ktime_get_real_ns();
	refslab_ns_get_many(rns, n);
	for (i = 0; i < n; i++) {
		obj = objs[i];
		refcount_set(&obj->ref, 1);
		atomic_set(&obj->held, 1);
		obj->size = size;
		obj->mode = mode;
		obj->id = first + i;
		seqlock_init(&obj->lock);
		obj->gid = gid;
		obj->ctime_ns = now;
		obj->ns = rns;
		obj->charge = charge;
	}
	return 0;

err_free:
	kmem_cache_free(cache, objs[0]);
err_uncharge:
	refslab_quota_uncharge_many(charge, n, (u64)n * size);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_objects_alloc);

/**
 * refslab_object_alloc() - build an object that nobody can see yet
 * @rns: the namespace to create it in, held by the caller
 * @size: payload size, 1 to REFSLAB_PAYLOAD_MAX
 * @mode: permission bits
 *
 * refslab_objects_alloc() of one object.
 *
 * Context: process context; may sleep.
 * Return: the object, or ERR_PTR(-EINVAL), -EDQUOT or -ENOMEM.
 */
struct refslab_object *refslab_object_alloc(struct refslab_ns *rns,
					    unsigned int size, umode_t mode)
{
	struct refslab_object *obj;
	int ret;

	ret = refslab_objects_alloc(rns, size, mode, &obj, 1);
	return ret ? ERR_PTR(ret) : obj;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_object_alloc);

/**
 * refslab_objects_publish() - make objects findable by their ids
 * @objs: objects of one refslab_objects_alloc() with consecutive ids, in
 *	their order, fully built
 * @n: how many, at least 1
 *
 * One walk stores them all, allocating the registry nodes that objects
 * without a reserved slot need on the way (with its lock dropped), and
 * keeps the next id's slot reserved when that is in the same xarray node
 * as the last, so that the next CREATE finds it there.
 *
 * Context: process context; may sleep, unless every slot was reserved.
 * Return: how many were published, from the first: @n, or fewer if a node
 * could not be allocated (never for an object whose slot was reserved).
 * The caller aborts the others.
 */
unsigned int refslab_objects_publish(struct refslab_object **objs,
				     unsigned int n)
{
	struct refslab_ns *rns = objs[0]->ns;
	XA_STATE(xas, &rns->registry, objs[0]->id);
	struct refslab_object *last;
	unsigned int i = 0;
	void *old;

	xas_lock(&xas);
	for (;;) {
		old = xas_store(&xas, objs[i]);
		if (xas_error(&xas)) {
			/* The store walks again from the top, or gives up. */
			xas_unlock(&xas);
			if (!xas_nomem(&xas, REFSLAB_GFP)) {
				xas_lock(&xas);
				break;
			}
			xas_lock(&xas);
			continue;
		}
		WARN_ON_ONCE(old && !xa_is_zero(old));
		if (++i == n)
			break;
		xas_next(&xas);
	}
	/*
	 * Keep the next id's slot while the walk is at its node, unless it
	 * is the first of another node: a reservation that allocates is the
	 * next CREATE's own, which can fail cleanly.  It may have reserved
	 * its slot already, or even be published.
	 */
	last = objs[n - 1];
	if (i == n && (last->id + 1) % XA_CHUNK_SIZE && !xas_next(&xas)) {
		xas_store(&xas, XA_ZERO_ENTRY);
		if (!xas_error(&xas))
			atomic64_set(&rns->reserved_ahead, last->id + 1);
	}
	xas_unlock(&xas);
	/*
	 * Frees a node allocated for a store that then did not need it.  In
	 * the error state, where it would allocate, nothing is left over.
	 */
	if (!xas_error(&xas))
		xas_nomem(&xas, 0);
	if (!i)
		return 0;
	refslab_class_stat_add(refslab_object_class(last),
			       REFSLAB_CLASS_CREATED, i);
	refslab_stat_add(REFSLAB_STAT_OBJECTS_CREATED, i);
	refslab_stat_add(REFSLAB_STAT_PAYLOAD_BYTES_CREATED,
			 (u64)i * last->size);
	for (n = 0; n < i; n++)
		trace_refslab_create(objs[n]);
	return i;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_objects_publish);

/**
 * refslab_object_publish() - make an object findable by its id
 * @obj: an object from refslab_object_alloc(), fully built
 *
 * Cannot fail: the registry slot was reserved by refslab_object_alloc().
 *
 * Context: process context.
 */
void refslab_object_publish(struct refslab_object *obj)
{
	/* The slot is reserved: its node is there, nothing is allocated. */
	WARN_ON_ONCE(refslab_objects_publish(&obj, 1) != 1);
}
EXPORT_SYMBOL_IF_KUNIT(refslab_object_publish);

/**
 * refslab_objects_abort() - undo refslab_objects_alloc()
 * @objs: objects of one refslab_objects_alloc() that were never published
 * @n: how many, at least 1
 *
 * Nobody else has seen the objects, so they are freed at once.
 *
 * Context: process context.
 */
void refslab_objects_abort(struct refslab_object **objs, unsigned int n)
{
	struct refslab_object *obj = objs[0];
	unsigned int i;

	for (i = 0; i < n; i++)
		xa_release(&obj->ns->registry, objs[i]->id);
	refslab_quota_uncharge_many(obj->charge, n, (u64)n * obj->size);
	refslab_ns_put_many(obj->ns, n);
	objects_free(object_cache(obj), (void **)objs, n);
}
EXPORT_SYMBOL_IF_KUNIT(refslab_objects_abort);

/**
 * refslab_object_abort() - undo refslab_object_alloc()
 * @obj: an object that was never published
 *
 * Context: process context.
 */
void refslab_object_abort(struct refslab_object *obj)
{
	refslab_objects_abort(&obj, 1);
}
EXPORT_SYMBOL_IF_KUNIT(refslab_object_abort);

/**
 * refslab_object_lookup() - find a published object by id
 * @rns: the namespace the id is in, held by the caller
 * @id: the id
 *
 * Context: any context.
 * Return: the object with a new short-lived reference, or NULL if no live
 * object of @rns has that id.
 */
struct refslab_object *refslab_object_lookup(struct refslab_ns *rns, u64 id)
{
	struct refslab_object *obj;

	rcu_read_lock();
	obj = xa_load(&rns->registry, id);
	if (obj && !refslab_object_get_unless_zero(obj))
		obj = NULL;
	rcu_read_unlock();
	return obj;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_object_lookup);

/**
 * refslab_object_get_unless_zero() - take a reference unless none is left
 * @obj: the object; its memory must be safe to read (RCU or a reference)
 *
 * Context: any context.
 * Return: true if a reference was taken.
 */
bool refslab_object_get_unless_zero(struct refslab_object *obj)
{
	return refcount_inc_not_zero(&obj->ref);
}
EXPORT_SYMBOL_IF_KUNIT(refslab_object_get_unless_zero);

/**
 * refslab_object_find_next() - walk a namespace's live objects in id order
 * @rns: the namespace, held by the caller
 * @id: the first id to consider; set to the id of the object returned
 *
 * Context: any context.
 * Return: the live object with the lowest id at or above *@id, with a new
 * short-lived reference; NULL when there is none.
 */
struct refslab_object *refslab_object_find_next(struct refslab_ns *rns,
						u64 *id)
{
	struct refslab_object *obj;
	unsigned long index = *id;

	rcu_read_lock();
	for (;;) {
		obj = xa_find(&rns->registry, &index, ULONG_MAX, XA_PRESENT);
		if (!obj || refslab_object_get_unless_zero(obj))
			break;
		if (index == ULONG_MAX) {
			obj = NULL;
			break;
		}
		index++;
	}
	rcu_read_unlock();
	*id = index;
	return obj;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_object_find_next);

/**
 * refslab_object_pinned() - is an object pinned?
 * @obj: the object, with a reference held
 *
 * Return: true if the registry holds a pin on it.
 */
bool refslab_object_pinned(struct refslab_object *obj)
{
	return xa_get_mark(&obj->ns->registry, obj->id, REFSLAB_PINNED);
}
EXPORT_SYMBOL_IF_KUNIT(refslab_object_pinned);

/**
 * refslab_object_visible_id() - an object's id, as the caller may name it
 * @obj: the object, with a reference held
 *
 * Ids are names within one IPC namespace; an object of another one has no
 * name the caller could use.
 *
 * Context: process context.
 * Return: the id, or 0 if the object is not in the caller's IPC namespace.
 */
u64 refslab_object_visible_id(const struct refslab_object *obj)
{
	return refslab_ns_is_current(obj->ns) ? obj->id : 0;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_object_visible_id);

/**
 * refslab_object_holder_add() - add a holder of held references
 * @obj: the object; the caller must be in an RCU read-side section that
 *	found it, or hold a reference
 * @n: the references the new holder holds, within the object's cap
 *
 * A holder (a handle, an object file, a pin) keeps the object alive with
 * one reference of the object's count, however many held references it
 * holds; those are counted apart, in the held count, and only they count
 * against REFSLAB_OBJECT_REFS_MAX.  So an operation in progress elsewhere
 * never makes this fail, and the object's count stays far from refcount_t
 * saturation: it counts holders and short-lived references, and every
 * holder holds at least one of the at most REFSLAB_OBJECT_REFS_MAX held
 * references.  GET and PUT of a handle change only the held count
 * (refslab_object_held_add() and refslab_object_held_sub()).
 *
 * Context: process context, also under rcu_read_lock(); not in softirq.
 * Return: 0, -ENOENT if the object has no references left (a racing put
 * is releasing it), or -EOVERFLOW if the cap would be exceeded.
 */
int refslab_object_holder_add(struct refslab_object *obj, unsigned int n)
{
	int held;

	/* Keep it alive first: the caller's own reference may be going. */
	if (!refcount_inc_not_zero(&obj->ref))
		return -ENOENT;
	held = refslab_object_held_add(obj, n);
	if (held < 0) {
		refslab_object_put(obj);
		return held;
	}
	trace_refslab_get(obj, n, held);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_object_holder_add);

/*
 * The grace period is over: free the object, then tell its watchers (the
 * notifier does that later, from process context; this only queues).
 * Also for an object released alone without watchers, whose @reclaim_next,
 * which @fired overlays, is NULL.
 */
static void refslab_object_reclaim(struct rcu_head *rcu)
{
	struct refslab_object *obj = container_of(rcu, struct refslab_object,
						  rcu);
	struct refslab_watchers *fired = obj->fired;
	unsigned int class = refslab_object_class(obj);
	u64 latency = ktime_get_ns() - obj->release_ns;

	trace_refslab_reclaim(obj, latency);
	kmem_cache_free(refslab_classes[class].cache, obj);
	refslab_class_stat_inc(class, REFSLAB_CLASS_RECLAIMED);
	refslab_stat_inc(REFSLAB_STAT_OBJECTS_RECLAIMED);
	refslab_stat_latency(latency, 1);
	atomic_long_dec(&refslab_pending);
	if (fired)
		refslab_notify_reclaimed(fired);
}

/* Objects a reclaim frees with one call, all of one size class. */
#define RECLAIM_BULK	32

static void reclaim_free(unsigned int class, unsigned int nr, void **objs)
{
	objects_free(refslab_classes[class].cache, objs, nr);
	refslab_class_stat_add(class, REFSLAB_CLASS_RECLAIMED, nr);
}

/*
 * The grace period of objects released together is over: free them, a
 * class's run at a time.  None has watchers.
 */
static void refslab_objects_reclaim(struct rcu_head *rcu)
{
	struct refslab_object *obj = container_of(rcu, struct refslab_object,
						  rcu);
	u64 latency = ktime_get_ns() - obj->release_ns;
	unsigned int class = refslab_object_class(obj), nr = 0, total = 0;
	unsigned int size = obj->size;
	struct refslab_object *next;
	void *bulk[RECLAIM_BULK];

	for (; obj; obj = next) {
		next = obj->reclaim_next;
		/* Objects of one size, as a run's are, are of one class. */
		if (obj->size != size || nr == RECLAIM_BULK) {
			reclaim_free(class, nr, bulk);
			size = obj->size;
			class = refslab_object_class(obj);
			nr = 0;
		}
		trace_refslab_reclaim(obj, latency);
		bulk[nr++] = obj;
		total++;
	}
	reclaim_free(class, nr, bulk);
	refslab_stat_add(REFSLAB_STAT_OBJECTS_RECLAIMED, total);
	refslab_stat_latency(latency, total);
	atomic_long_sub(total, &refslab_pending);
}

/* Drop a reference; if it was the last, @obj waits on @rel.  True then. */
static __always_inline bool put_to(struct refslab_object *obj,
				   struct refslab_releases *rel)
{
	if (!refcount_dec_and_test(&obj->ref))
		return false;
	trace_refslab_release(obj);
	obj->release_next = rel->first;
	rel->first = obj;
	return true;
}

/**
 * refslab_object_put_later() - drop a reference, releasing with others
 * @obj: the object
 * @rel: where the object waits for its release if this was its last
 *	reference; refslab_object_release_all() must follow
 *
 * Context: process context, also under rcu_read_lock(); not in softirq.
 */
void refslab_object_put_later(struct refslab_object *obj,
			      struct refslab_releases *rel)
{
	put_to(obj, rel);
}
EXPORT_SYMBOL_IF_KUNIT(refslab_object_put_later);

/* The quota charges and namespace references of a release, summed. */
struct release_sums {
	struct refslab_charge *charge;
	unsigned int charged;
	u64 bytes;
	struct refslab_ns *rns;
	unsigned int ns_refs;
};

/* Return what @sums holds; they start again at @obj's. */
static void release_sums_flush(struct release_sums *sums,
			       const struct refslab_object *obj)
{
	if (sums->charged && (!obj || obj->charge != sums->charge)) {
		refslab_quota_uncharge_many(sums->charge, sums->charged,
					    sums->bytes);
		sums->charged = 0;
		sums->bytes = 0;
	}
	if (sums->ns_refs && (!obj || obj->ns != sums->rns)) {
		refslab_ns_put_many(sums->rns, sums->ns_refs);
		sums->ns_refs = 0;
	}
	if (obj) {
		sums->charge = obj->charge;
		sums->rns = obj->ns;
	}
}

/**
 * refslab_object_release_all() - release the objects of a release list
 * @rel: the list; empty when this returns
 *
 * Each object is unpublished first, so that no lookup can find it and try
 * to revive it, then its watchers are taken off their table, its quota
 * charge and its namespace reference are returned, and it is handed to
 * RCU: lookups that found it before the erase may still be reading @ref
 * until they leave their read-side sections.  The objects of one
 * namespace are erased under one lock, the charges of one owner returned
 * at once, and the objects without watchers reclaimed by one callback.
 * Nothing here touches an object after call_rcu().
 *
 * Context: process context, also under rcu_read_lock(); not in softirq.
 */
void refslab_object_release_all(struct refslab_releases *rel)
{
	struct refslab_object *obj, *next, *chain = NULL;
	unsigned int n = 0;
	struct release_sums sums = {};
	struct refslab_watchers *fired;
	struct refslab_ns *rns;
	u64 bytes = 0, now;
	long pending, peak;

	if (!rel->first)
		return;
	for (obj = rel->first; obj;) {
		XA_STATE(xas, &obj->ns->registry, obj->id);

		rns = obj->ns;
		xas_lock(&xas);
		do {
			/*
			 * A run's objects often have neighbouring ids: the
			 * walk steps to those, and starts from the top only
			 * for the others.
			 */
			if (obj->id == xas.xa_index + 1)
				xas_next(&xas);
			else if (obj->id == xas.xa_index - 1)
				xas_prev(&xas);
			else if (obj->id != xas.xa_index)
				xas_set(&xas, obj->id);
			xas_store(&xas, NULL);
			obj = obj->release_next;
			n++;
		} while (obj && obj->ns == rns);
		xas_unlock(&xas);
	}
	pending = atomic_long_add_return(n, &refslab_pending);
	peak = atomic_long_read(&refslab_pending_peak);
	while (pending > peak &&
	       !atomic_long_try_cmpxchg(&refslab_pending_peak, &peak, pending))
		;

	now = ktime_get_ns();
	for (obj = rel->first; obj; obj = next) {
		/* Read what the reclaim's fields overlay before writing them. */
		next = obj->release_next;
		fired = refslab_notify_detach(obj->ns, obj->id);
		release_sums_flush(&sums, obj);
		sums.charged++;
		sums.bytes += obj->size;
		sums.ns_refs++;
		refslab_class_stat_inc(refslab_object_class(obj),
				       REFSLAB_CLASS_RELEASED);
		bytes += obj->size;
		obj->release_ns = now;
		if (fired) {
			obj->fired = fired;
			call_rcu(&obj->rcu, refslab_object_reclaim);
		} else {
			obj->reclaim_next = chain;
			chain = obj;
		}
	}
	rel->first = NULL;
	release_sums_flush(&sums, NULL);

	refslab_stat_add(REFSLAB_STAT_OBJECTS_RELEASED, n);
	refslab_stat_add(REFSLAB_STAT_PAYLOAD_BYTES_RELEASED, bytes);
	/* An object alone goes the way of one with watchers: no walk. */
	if (chain)
		call_rcu(&chain->rcu, chain->reclaim_next ?
			 refslab_objects_reclaim : refslab_object_reclaim);
}
EXPORT_SYMBOL_IF_KUNIT(refslab_object_release_all);

/**
 * refslab_object_holder_put() - a holder goes, with its held references
 * @obj: the object
 * @n: the held references the holder still held
 *
 * Releases the object when its last reference goes.
 *
 * Context: process context, also under rcu_read_lock(); not in softirq.
 */
void refslab_object_holder_put(struct refslab_object *obj, unsigned int n)
{
	trace_refslab_put(obj, n, refslab_object_held_sub(obj, n));
	/* Nothing may touch @obj after this unless it was the last. */
	refslab_object_put(obj);
}
EXPORT_SYMBOL_IF_KUNIT(refslab_object_holder_put);

/**
 * refslab_object_holder_put_later() - a holder goes, releasing with others
 * @obj: the object
 * @n: the held references the holder still held
 * @rel: as for refslab_object_put_later()
 *
 * Context: process context, also under rcu_read_lock(); not in softirq.
 */
void refslab_object_holder_put_later(struct refslab_object *obj,
				     unsigned int n,
				     struct refslab_releases *rel)
{
	trace_refslab_put(obj, n, refslab_object_held_sub(obj, n));
	refslab_object_put_later(obj, rel);
}
EXPORT_SYMBOL_IF_KUNIT(refslab_object_holder_put_later);

/**
 * refslab_object_put() - drop a short-lived reference
 * @obj: the object, found by a lookup
 *
 * Context: process context, also under rcu_read_lock(); not in softirq.
 */
void refslab_object_put(struct refslab_object *obj)
{
	struct refslab_releases rel = {};

	if (put_to(obj, &rel))
		refslab_object_release_all(&rel);
}
EXPORT_SYMBOL_IF_KUNIT(refslab_object_put);

/**
 * refslab_object_capacity() - payload capacity of an object's size class
 * @obj: the object
 *
 * Return: the capacity in bytes.
 */
unsigned int refslab_object_capacity(const struct refslab_object *obj)
{
	return refslab_classes[refslab_object_class(obj)].capacity;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_object_capacity);

/**
 * refslab_class_capacity() - payload capacity of a size class
 * @class: the class index, below REFSLAB_NR_CLASSES
 *
 * Return: the capacity in bytes.
 */
unsigned int refslab_class_capacity(unsigned int class)
{
	return refslab_class_capacities[class];
}

/**
 * refslab_class_object_size() - bytes the slab allocator gives each object
 * @class: the class index, below REFSLAB_NR_CLASSES
 *
 * Return: the object size of the class's cache, header and padding
 * included.
 */
unsigned int refslab_class_object_size(unsigned int class)
{
	return kmem_cache_size(refslab_classes[class].cache);
}

/**
 * refslab_object_attrs() - read an object's owner, group and mode together
 * @obj: the object, with a reference held
 * @attrs: filled in
 *
 * Context: any context.
 */
void refslab_object_attrs(struct refslab_object *obj,
			  struct refslab_attrs *attrs)
{
	unsigned int seq;

	/* A charge replaced by SETATTR is freed after a grace period. */
	rcu_read_lock();
	do {
		seq = read_seqbegin(&obj->lock);
		attrs->uid = refslab_charge_uid(READ_ONCE(obj->charge));
		attrs->gid = obj->gid;
		attrs->mode = obj->mode;
	} while (read_seqretry(&obj->lock, seq));
	rcu_read_unlock();
}
EXPORT_SYMBOL_IF_KUNIT(refslab_object_attrs);

static bool owner_or_capable(const struct refslab_attrs *attrs)
{
	return uid_eq(current_fsuid(), attrs->uid) || capable(CAP_FOWNER);
}

/**
 * refslab_object_permission() - may the caller open an object with rights?
 * @obj: the object, with a reference held
 * @rights: REFSLAB_RIGHT_* bits wanted
 *
 * The owner's, group's or others' mode bits apply, as for a file; read
 * needs r, write needs w.  CAP_DAC_OVERRIDE grants everything and
 * CAP_DAC_READ_SEARCH grants read, as they do for files.  No rights at all
 * are granted to the owner or CAP_FOWNER only: a reference keeps the
 * object alive, and strangers may not take one without a right to it.
 *
 * Context: process context.
 * Return: 0 or -EACCES.
 */
int refslab_object_permission(struct refslab_object *obj, u32 rights)
{
	struct refslab_attrs attrs;
	unsigned int need = 0, mode;

	refslab_object_attrs(obj, &attrs);
	if (!rights)
		return owner_or_capable(&attrs) ? 0 : -EACCES;
	if (uid_eq(current_fsuid(), attrs.uid))
		mode = attrs.mode >> 6;
	else if (in_group_p(attrs.gid))
		mode = attrs.mode >> 3;
	else
		mode = attrs.mode;

	if (rights & REFSLAB_RIGHT_READ)
		need |= 04;
	if (rights & REFSLAB_RIGHT_WRITE)
		need |= 02;
	if ((mode & need) == need)
		return 0;
	if (capable(CAP_DAC_OVERRIDE))
		return 0;
	if (!(rights & REFSLAB_RIGHT_WRITE) && capable(CAP_DAC_READ_SEARCH))
		return 0;
	return -EACCES;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_object_permission);

/*
 * The rules of chmod(2) and chown(2): the owner or CAP_FOWNER may change
 * the mode; the owner may "change" the owner to itself, and the group to
 * its own or to one it is in; anything else needs CAP_CHOWN.  CAP_FOWNER
 * alone changes no owner or group.
 */
static int setattr_allowed(const struct refslab_attrs *attrs, u32 flags,
			   kuid_t uid, kgid_t gid)
{
	bool owner = uid_eq(current_fsuid(), attrs->uid);

	if ((flags & REFSLAB_SETATTR_MODE) && !owner_or_capable(attrs))
		return -EPERM;
	if ((flags & REFSLAB_SETATTR_UID) &&
	    !(owner && uid_eq(uid, attrs->uid)) && !capable(CAP_CHOWN))
		return -EPERM;
	if ((flags & REFSLAB_SETATTR_GID) &&
	    !(owner && (gid_eq(gid, attrs->gid) || in_group_p(gid))) &&
	    !capable(CAP_CHOWN))
		return -EPERM;
	return 0;
}

/**
 * refslab_object_setattr() - change an object's mode, owner or group
 * @obj: the object, with a reference held
 * @flags: REFSLAB_SETATTR_* bits: which of the values to set
 * @mode: new permission bits
 * @uid: new owner, valid
 * @gid: new group, valid
 *
 * Permissions are those of chmod() and chown().  A new owner takes over the
 * object's quota charge, and its pin's if it is pinned.
 *
 * Context: process context; may sleep.
 * Return: 0, -EPERM, or -EDQUOT if the new owner cannot be charged.
 */
int refslab_object_setattr(struct refslab_object *obj, u32 flags,
			   umode_t mode, kuid_t uid, kgid_t gid)
{
	struct refslab_charge *charge = NULL;
	struct refslab_attrs attrs;
	int ret;

	mutex_lock(&refslab_owner_mutex);
	refslab_object_attrs(obj, &attrs);
	ret = setattr_allowed(&attrs, flags, uid, gid);
	if (ret)
		goto out_unlock;

	if ((flags & REFSLAB_SETATTR_UID) && !uid_eq(uid, attrs.uid)) {
		charge = refslab_quota_transfer(obj->charge, uid, obj->size,
						refslab_object_pinned(obj));
		if (IS_ERR(charge)) {
			ret = PTR_ERR(charge);
			goto out_unlock;
		}
	}

	write_seqlock(&obj->lock);
	if (flags & REFSLAB_SETATTR_MODE)
		obj->mode = mode;
	if (charge)
		WRITE_ONCE(obj->charge, charge);
	if (flags & REFSLAB_SETATTR_GID)
		obj->gid = gid;
	write_sequnlock(&obj->lock);
out_unlock:
	mutex_unlock(&refslab_owner_mutex);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_object_setattr);

/**
 * refslab_object_pin() - make the registry hold a reference to an object
 * @rns: the namespace the id is in, held by the caller
 * @id: the object's id
 *
 * Context: process context; may sleep.
 * Return: 0; -ENOENT for no such object; -EPERM if the caller is neither
 * its owner nor has CAP_FOWNER; -EEXIST if it is pinned already; -EDQUOT
 * if the owner's pin quota is full; -EOVERFLOW at the reference cap.
 */
int refslab_object_pin(struct refslab_ns *rns, u64 id)
{
	struct refslab_attrs attrs;
	struct refslab_object *obj;
	int ret;

	obj = refslab_object_lookup(rns, id);
	if (!obj)
		return -ENOENT;

	mutex_lock(&refslab_owner_mutex);
	refslab_object_attrs(obj, &attrs);
	if (!owner_or_capable(&attrs)) {
		ret = -EPERM;
		goto out_unlock;
	}
	if (xa_get_mark(&rns->registry, id, REFSLAB_PINNED)) {
		ret = -EEXIST;
		goto out_unlock;
	}
	ret = refslab_quota_charge_pin(obj->charge);
	if (ret)
		goto out_unlock;
	ret = refslab_object_holder_add(obj, 1);
	if (ret) {
		refslab_quota_uncharge_pin(obj->charge);
		goto out_unlock;
	}
	xa_set_mark(&rns->registry, id, REFSLAB_PINNED);
	atomic_inc(&rns->nr_pins);
	refslab_stat_inc(REFSLAB_STAT_PINS);
	refslab_stat_inc(REFSLAB_STAT_REFS_TAKEN);
out_unlock:
	mutex_unlock(&refslab_owner_mutex);
	refslab_object_put(obj);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_object_pin);

/*
 * Drop a pin; the caller holds refslab_owner_mutex or is module exit, and
 * a reference of its own, so this is not the final put.
 */
static void unpin_locked(struct refslab_object *obj)
{
	xa_clear_mark(&obj->ns->registry, obj->id, REFSLAB_PINNED);
	atomic_dec(&obj->ns->nr_pins);
	refslab_quota_uncharge_pin(obj->charge);
	refslab_stat_inc(REFSLAB_STAT_UNPINS);
	refslab_stat_inc(REFSLAB_STAT_REFS_DROPPED);
	refslab_object_holder_put(obj, 1);
}

/**
 * refslab_object_unpin() - drop the registry's reference to an object
 * @rns: the namespace the id is in, held by the caller
 * @id: the object's id
 *
 * If nothing else holds the object, it is released.
 *
 * Context: process context; may sleep.
 * Return: 0; -ENOENT for no such object or one that is not pinned; -EPERM
 * if the caller is neither its owner nor has CAP_FOWNER.
 */
int refslab_object_unpin(struct refslab_ns *rns, u64 id)
{
	struct refslab_attrs attrs;
	struct refslab_object *obj;
	int ret = 0;

	obj = refslab_object_lookup(rns, id);
	if (!obj)
		return -ENOENT;

	mutex_lock(&refslab_owner_mutex);
	refslab_object_attrs(obj, &attrs);
	if (!owner_or_capable(&attrs))
		ret = -EPERM;
	else if (!xa_get_mark(&rns->registry, id, REFSLAB_PINNED))
		ret = -ENOENT;
	else
		unpin_locked(obj);
	mutex_unlock(&refslab_owner_mutex);
	refslab_object_put(obj);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_object_unpin);

/**
 * refslab_object_list_pinned() - ids of pinned objects, in increasing order
 * @rns: the namespace, held by the caller
 * @after: list only ids above this one
 * @ids: array to fill
 * @max: capacity of @ids
 *
 * Context: any context; does not sleep.
 * Return: the number of ids written.
 */
unsigned int refslab_object_list_pinned(struct refslab_ns *rns, u64 after,
					u64 *ids, unsigned int max)
{
	unsigned long index = after;
	unsigned int n = 0;
	void *entry;

	if (after == ULONG_MAX)
		return 0;
	index++;
	while (n < max) {
		entry = xa_find(&rns->registry, &index, ULONG_MAX,
				REFSLAB_PINNED);
		if (!entry)
			break;
		ids[n++] = index;
		if (index == ULONG_MAX)
			break;
		index++;
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_object_list_pinned);

/**
 * refslab_object_read() - copy a consistent range of the payload
 * @obj: the object, with a reference held
 * @offset: first byte; @offset + @len must not pass the payload size
 * @len: number of bytes
 * @buf: kernel buffer of @len bytes
 * @generation: set to the generation of the bytes copied
 *
 * Retries until no write ran during the copy, so the bytes all come from
 * one generation.
 *
 * Context: any context; does not sleep.
 */
void refslab_object_read(struct refslab_object *obj, unsigned int offset,
			 unsigned int len, void *buf, u64 *generation)
{
	unsigned int seq;

	do {
		seq = read_seqbegin(&obj->lock);
		memcpy(buf, obj->payload + offset, len);
		*generation = obj->generation;
	} while (read_seqretry(&obj->lock, seq));
}
EXPORT_SYMBOL_IF_KUNIT(refslab_object_read);

/**
 * refslab_object_write() - replace a range of the payload
 * @obj: the object, with a reference held
 * @offset: first byte; @offset + @len must not pass the payload size
 * @len: number of bytes
 * @buf: kernel buffer of @len bytes
 * @conditional: write only if the generation equals *@generation
 * @generation: the expected generation if @conditional; set to the
 *	generation after the write, or the current one if it failed
 *
 * Context: process or softirq context; does not sleep.
 * Return: 0, or -ESTALE if @conditional and the generation differed.
 */
int refslab_object_write(struct refslab_object *obj, unsigned int offset,
			 unsigned int len, const void *buf, bool conditional,
			 u64 *generation)
{
	int ret = 0;

	write_seqlock(&obj->lock);
	if (conditional && obj->generation != *generation) {
		ret = -ESTALE;
	} else {
		memcpy(obj->payload + offset, buf, len);
		obj->generation++;
	}
	*generation = obj->generation;
	write_sequnlock(&obj->lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_object_write);

/**
 * refslab_objects_init() - create the size-class caches
 *
 * Each class has its own cache, charged to the allocating task's memcg.
 * Only the payload may be copied to and from userspace.
 *
 * Context: process context, module init.
 * Return: 0 or a negative errno.
 */
int refslab_objects_init(void)
{
	const unsigned int useroffset = offsetof(struct refslab_object, payload);
	struct refslab_class *c;
	int i;

	BUILD_BUG_ON(refslab_class_capacities[REFSLAB_NR_CLASSES - 1] !=
		     REFSLAB_PAYLOAD_MAX);
	BUILD_BUG_ON(REFSLAB_STAT_CLASSES != REFSLAB_NR_CLASSES);

	for (i = 0; i < REFSLAB_NR_CLASSES; i++) {
		c = &refslab_classes[i];
		c->capacity = refslab_class_capacities[i];
		snprintf(c->name, sizeof(c->name), "refslab_%u", c->capacity);
		c->cache = kmem_cache_create_usercopy(c->name,
						      useroffset + c->capacity,
						      0, SLAB_HWCACHE_ALIGN |
						      SLAB_ACCOUNT, useroffset,
						      c->capacity, NULL);
		if (!c->cache)
			goto err_destroy_caches;
	}
	return 0;

err_destroy_caches:
	while (i--)
		kmem_cache_destroy(refslab_classes[i].cache);
	return -ENOMEM;
}

/* Drop every pin of one namespace; at module exit, so nothing races. */
static void unpin_all(struct refslab_ns *rns)
{
	struct refslab_object *obj;
	unsigned long id;

	xa_for_each_marked(&rns->registry, id, obj, REFSLAB_PINNED) {
		/* A reference of our own, so the unpin is never the final put. */
		if (!refslab_object_get_unless_zero(obj))
			continue;
		unpin_locked(obj);
		refslab_object_put(obj);
	}
}

/**
 * refslab_objects_exit() - wait for deferred frees and destroy the caches
 *
 * Every file is closed by now, so only pins keep objects alive: drop them,
 * then wait for every released object's grace period, and for the events
 * of their watchers.
 *
 * Context: process context, module exit.
 */
void refslab_objects_exit(void)
{
	unsigned long inum = 0;
	struct refslab_ns *rns;
	int i;

	while ((rns = refslab_ns_get_next(&inum))) {
		unpin_all(rns);
		refslab_ns_put(rns);
		inum++;
	}
	rcu_barrier();
	refslab_notify_flush();
	for (i = 0; i < REFSLAB_NR_CLASSES; i++)
		kmem_cache_destroy(refslab_classes[i].cache);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * refslab handle tables: per-file maps from small numbers to objects.
 *
 * A handle is a slot of its table: the object's address and a state word,
 * which says what the slot is (never used, reserved, free, or a handle
 * with its references and rights) and which use of the slot it is (a
 * generation, counting every use since the table was made).  Lookups,
 * GET and PUT run under RCU and take no lock: they read the state and
 * change it by compare-and-swap, which fails if the slot was freed or
 * reused meanwhile, since its generation is then another.  The table's
 * spinlock is taken only to reserve and free slots and for the exports.
 *
 * A handle keeps its object alive with one reference of the object's
 * count, taken when it is made and dropped when it goes; its own
 * references are held references of the object
 * (refslab_object_holder_add()), so GET and PUT change only the object's
 * held count, and that never drops below what its handles hold: GET adds
 * to the object before the handle (and takes it back if the handle turns
 * out to be gone), PUT takes from the handle before the object.
 *
 * A handle number is a slot of the table (its low HANDLE_SLOT_BITS) and
 * the generation of the slot's use, modulo HANDLE_NR_GEN (the rest of
 * the number, never zero).  A lookup compares generations, so a stale
 * number finds nothing (ENOENT) rather than someone else's object.
 * Freed slots wait in a queue, oldest first, and one is reused only while
 * more than HANDLE_REUSE_DELAY others wait behind it: a number comes back
 * only after its slot's HANDLE_NR_GEN generations have all been used,
 * more than 65 000 handle removals later.
 *
 * Slots stay dense, so the table is a two-level array: a directory of
 * pages of HANDLE_PAGE_SLOTS slots each.  A lookup is two loads, however
 * many handles the file has; pages are added as the table grows and freed
 * only with it, and the directory is replaced by one twice its size when
 * it is full (the old one freed after a grace period).  So a slot's memory
 * stays while the table lives, and an object reached through a slot under
 * RCU stays readable until the section ends.
 *
 * A handle keeps the object file it last exported (see
 * refslab_handle_export_find()), as DRM's PRIME keeps a GEM object's
 * dma-buf: a second EXPORT with the same rights gives a new descriptor of
 * that file, and closing a descriptor is then not the file's last put.
 * The handle's file reference goes with the handle.  The file is in the
 * table's exports, by slot, and its rights in the slot's state; both are
 * changed under the table's lock, and only while the handle's count is not
 * zero: whoever brings the count to zero takes the file out under the
 * lock, and nobody puts one in once the count is zero, so none is left
 * behind when the slot is freed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bits.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <uapi/linux/refslab.h>

#include <kunit/visibility.h>
#include "handle.h"
#include "batch.h"
#include "ns.h"
#include "object.h"
#include "quota.h"
#include "stats.h"
#include "testfault.h"
#include "trace.h"

static_assert(sizeof(struct refslab_handle) == 16);

#define HANDLE_SLOT_BITS	REFSLAB_HANDLE_SLOT_BITS
#define HANDLE_SLOT_MASK	((1U << HANDLE_SLOT_BITS) - 1)
/* Generations a number tells apart: 1 to HANDLE_NR_GEN - 1. */
#define HANDLE_NR_GEN		(1U << (32 - HANDLE_SLOT_BITS))
/* Free slots that must wait behind one before it is reused. */
#define HANDLE_REUSE_DELAY	64

/* Live handles and free slots together always fit the slot bits. */
static_assert(REFSLAB_FILE_HANDLES_MAX + HANDLE_REUSE_DELAY + 1 <=
	      HANDLE_SLOT_MASK + 1);
#define HANDLE_PAGE_SHIFT	(PAGE_SHIFT - 4)
#define HANDLE_PAGE_SLOTS	BIT(HANDLE_PAGE_SHIFT)
static_assert(HANDLE_PAGE_SLOTS * sizeof(struct refslab_handle) == PAGE_SIZE);

/*
 * A slot's state word.  A handle: its references (zero once it is going:
 * it never comes back from zero) and rights, and whether it keeps a file
 * in the exports, with that file's rights (which may be none).  A free slot: the next free one in
 * the queue, in the same bits.  Every state but the never-used slot's 0
 * has the generation of the slot's use in the upper bits.  The generation
 * counts every use of the slot, and is as wide as a compare-and-swap that
 * a stale state passes would need it to wrap: never.
 */
#define STATE_REFS		GENMASK(20, 0)
#define STATE_NEXT		GENMASK(21, 0)
#define STATE_RIGHTS_SHIFT	22
#define STATE_RIGHTS		GENMASK(23, 22)
#define STATE_EXPORT_SHIFT	24
#define STATE_EXPORT		GENMASK(26, 24)
#define STATE_EXPORT_KEPT	BIT(26)
#define STATE_FREE		BIT(27)
#define STATE_RESERVED		BIT(28)
#define STATE_GEN_SHIFT		29
#define STATE_GEN		GENMASK(63, 29)
static_assert(REFSLAB_HANDLE_REFS_MAX <= STATE_REFS);
static_assert(HANDLE_SLOT_MASK <= STATE_NEXT);
static_assert(!(REFSLAB_RIGHTS_ALL & ~(STATE_RIGHTS >> STATE_RIGHTS_SHIFT)));

#define state_refs(s)		((u32)((s) & STATE_REFS))
#define state_rights(s)		((u32)(((s) & STATE_RIGHTS) >> STATE_RIGHTS_SHIFT))
/* The export bits of a kept file with @rights; 0 means none is kept. */
#define export_state(rights) \
	(STATE_EXPORT_KEPT | (unsigned long)(rights) << STATE_EXPORT_SHIFT)
static_assert(!(export_state(REFSLAB_RIGHTS_ALL) & ~STATE_EXPORT));
#define state_gen(s)		((s) >> STATE_GEN_SHIFT)

/* The generation after @gen: one whose number is never zero. */
static unsigned long gen_next(unsigned long gen)
{
	gen++;
	if (!(gen % HANDLE_NR_GEN))
		gen++;
	return gen & (STATE_GEN >> STATE_GEN_SHIFT);
}

static u32 handle_number(u32 slot, unsigned long gen)
{
	return (u32)(gen % HANDLE_NR_GEN) << HANDLE_SLOT_BITS | slot;
}

/* Does @state hold the handle numbered @hid (with references left)? */
static __always_inline bool state_is(unsigned long state, u32 hid)
{
	return !(state & (STATE_FREE | STATE_RESERVED)) && state_refs(state) &&
	       state_gen(state) % HANDLE_NR_GEN == hid >> HANDLE_SLOT_BITS;
}

/* The slot; it must have a page.  Under the lock or RCU. */
static struct refslab_handle *slot_at(struct refslab_handle_table *table,
				      u32 slot)
{
	struct refslab_handle_dir *dir;

	dir = rcu_dereference_check(table->dir, lockdep_is_held(&table->lock));
	return &dir->page[slot >> HANDLE_PAGE_SHIFT][slot & (HANDLE_PAGE_SLOTS - 1)];
}

/**
 * refslab_handle_table_init() - set up an empty handle table
 * @table: the table
 *
 * Context: any context.
 */
void refslab_handle_table_init(struct refslab_handle_table *table)
{
	spin_lock_init(&table->lock);
	RCU_INIT_POINTER(table->dir, NULL);
	xa_init(&table->exports);
	table->slots = 0;
	table->free_head = 0;
	table->free_tail = 0;
	table->nr_free = 0;
	table->exports_cached = 0;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_handle_table_init);

/* Objects the destruction of a table releases together. */
#define DESTROY_RELEASES	64

/**
 * refslab_handle_table_destroy() - drop every handle and its references
 * @table: the table
 *
 * Context: process context, when no other task can use the table any more
 * (the file's last reference is gone); may sleep.
 */
void refslab_handle_table_destroy(struct refslab_handle_table *table)
{
	struct refslab_releases rel = {};
	struct refslab_handle_dir *dir;
	unsigned int nr = 0;
	struct refslab_handle *slot;
	unsigned long state, index;
	struct file *file;
	unsigned int refs;
	u32 i;

	/* Nobody else can reach the table any more: no lock. */
	xa_for_each(&table->exports, index, file)
		fput(file);
	xa_destroy(&table->exports);
	dir = rcu_dereference_protected(table->dir, true);
	if (!dir)
		return;
	for (i = 0; i < table->slots; i++) {
		slot = &dir->page[i >> HANDLE_PAGE_SHIFT][i & (HANDLE_PAGE_SLOTS - 1)];
		state = atomic_long_read(&slot->state);
		if (!state || state & (STATE_FREE | STATE_RESERVED))
			continue;
		refs = state_refs(state);
		refslab_stat_add(REFSLAB_STAT_REFS_DROPPED, refs);
		refslab_stat_inc(REFSLAB_STAT_HANDLES_DESTROYED);
		refslab_object_holder_put_later(slot->obj, refs, &rel);
		/* A table may hold millions of handles. */
		if (++nr % DESTROY_RELEASES == 0) {
			refslab_object_release_all(&rel);
			cond_resched();
		}
	}
	refslab_object_release_all(&rel);
	for (i = 0; i < dir->nr_pages; i++)
		kfree(dir->page[i]);
	kfree(dir);
	RCU_INIT_POINTER(table->dir, NULL);
}
EXPORT_SYMBOL_IF_KUNIT(refslab_handle_table_destroy);

/**
 * refslab_handle_table_stats() - count a table's handles and references
 * @table: the table
 * @stats: filled in; a snapshot, as other threads may change the table
 *
 * Context: process context; may sleep.  Walks the whole table: for
 * reporting only.
 */
void refslab_handle_table_stats(struct refslab_handle_table *table,
				struct refslab_handle_stats *stats)
{
	struct refslab_handle_dir *dir;
	struct refslab_handle *page;
	unsigned int index, i;
	unsigned long state;

	*stats = (struct refslab_handle_stats){};
	for (index = 0; ; index++) {
		/* One page per read-side section: tables can be huge. */
		if (index)
			cond_resched();
		rcu_read_lock();
		dir = rcu_dereference(table->dir);
		page = dir && index < dir->nr_pages ?
			READ_ONCE(dir->page[index]) : NULL;
		if (!page) {
			rcu_read_unlock();
			break;
		}
		for (i = 0; i < HANDLE_PAGE_SLOTS; i++) {
			state = atomic_long_read(&page[i].state);
			if (state & (STATE_FREE | STATE_RESERVED) ||
			    !state_refs(state))
				continue;
			stats->handles++;
			stats->refs += state_refs(state);
		}
		rcu_read_unlock();
	}
	stats->exports_cached = READ_ONCE(table->exports_cached);
}

/*
 * Put a slot that holds no handle (any more) at the tail of the free
 * queue, with its next generation.
 */
static void slot_free(struct refslab_handle_table *table, u32 index,
		      unsigned long state)
{
	struct refslab_handle *tail;
	unsigned long gen;

	lockdep_assert_held(&table->lock);
	gen = gen_next(state_gen(state));
	atomic_long_set(&slot_at(table, index)->state,
			gen << STATE_GEN_SHIFT | STATE_FREE);
	if (table->nr_free) {
		tail = slot_at(table, table->free_tail);
		atomic_long_set(&tail->state,
				(atomic_long_read(&tail->state) & ~STATE_NEXT) |
				index);
	} else {
		table->free_head = index;
	}
	table->free_tail = index;
	table->nr_free++;
}

/*
 * Give the table room for slot @slot: its page, and a directory with
 * room for that page.  Called with the lock held, which is dropped to
 * allocate and taken again; returns with it held, 0 if the room is
 * there (now or by another task meanwhile), or -ENOMEM.
 */
static int table_grow(struct refslab_handle_table *table, u32 slot)
	__must_hold(&table->lock)
{
	unsigned int index = slot >> HANDLE_PAGE_SHIFT, nr;
	struct refslab_handle_dir *dir, *bigger = NULL;
	struct refslab_handle *page;

	dir = rcu_dereference_protected(table->dir,
					lockdep_is_held(&table->lock));
	nr = dir ? dir->nr_pages : 0;
	spin_unlock(&table->lock);
	page = kzalloc(PAGE_SIZE, REFSLAB_GFP);
	if (index >= nr)
		bigger = kzalloc(struct_size(bigger, page, max(2 * nr, 1U)),
				 REFSLAB_GFP);
	spin_lock(&table->lock);

	dir = rcu_dereference_protected(table->dir,
					lockdep_is_held(&table->lock));
	if (!dir || index >= dir->nr_pages) {
		/* Still too small: only a directory of the size sized above. */
		if (!bigger || !page || (dir ? dir->nr_pages : 0) != nr)
			goto out_free;
		bigger->nr_pages = max(2 * nr, 1U);
		if (dir)
			memcpy(bigger->page, dir->page,
			       nr * sizeof(dir->page[0]));
		bigger->page[index] = page;
		page = NULL;
		rcu_assign_pointer(table->dir, bigger);
		bigger = NULL;
		if (dir)
			kfree_rcu(dir, rcu);
	} else if (!dir->page[index]) {
		if (!page)
			goto out_free;
		/* The page is zeroed before lookups can reach it. */
		smp_store_release(&dir->page[index], page);
		page = NULL;
	}
	kfree(page);
	kfree(bigger);
	return 0;

out_free:
	kfree(page);
	kfree(bigger);
	dir = rcu_dereference_protected(table->dir,
					lockdep_is_held(&table->lock));
	/* Another task may have made the room meanwhile. */
	return dir && index < dir->nr_pages && dir->page[index] ? 0 : -ENOMEM;
}

/*
 * Reserve a slot: the free one at the head of the queue, if enough others
 * wait behind it, else a new one at the end of the table.  Called and
 * returns with the lock held; it is dropped to grow the table.
 */
static int reserve_locked(struct refslab_handle_table *table, u32 *hid)
	__must_hold(&table->lock)
{
	struct refslab_handle_dir *dir;
	struct refslab_handle *slot;
	unsigned long state;
	u32 index;
	int ret;

	for (;;) {
		if (table->slots - table->nr_free >= REFSLAB_FILE_HANDLES_MAX)
			return -ENOSPC;
		if (table->nr_free > HANDLE_REUSE_DELAY) {
			index = table->free_head;
			slot = slot_at(table, index);
			state = atomic_long_read(&slot->state);
			table->free_head = state & STATE_NEXT;
			table->nr_free--;
			break;
		}
		index = table->slots;
		dir = rcu_dereference_protected(table->dir,
						lockdep_is_held(&table->lock));
		if (dir && index >> HANDLE_PAGE_SHIFT < dir->nr_pages &&
		    dir->page[index >> HANDLE_PAGE_SHIFT]) {
			slot = slot_at(table, index);
			state = 1UL << STATE_GEN_SHIFT;
			table->slots = index + 1;
			break;
		}
		/* Making room drops the lock: then the choice is made again. */
		ret = table_grow(table, index);
		if (ret)
			return ret;
	}
	atomic_long_set(&slot->state, (state & STATE_GEN) | STATE_RESERVED);
	*hid = handle_number(index, state_gen(state));
	return 0;
}

/**
 * refslab_handle_reserve_many() - reserve slots and their handle numbers
 * @table: the table
 * @hids: filled with the reserved numbers
 * @n: how many are wanted
 *
 * As refslab_handle_reserve() @n times, under one taking of the lock; it
 * stops at the first that fails.
 *
 * Context: process context; may sleep (to give the table a new page).
 * Return: how many were reserved, from 1 to @n; or, if none could be, the
 * errno of refslab_handle_reserve().
 */
int refslab_handle_reserve_many(struct refslab_handle_table *table,
				u32 *hids, unsigned int n)
{
	unsigned int i;
	int ret = 0;

	spin_lock(&table->lock);
	for (i = 0; i < n; i++) {
		ret = reserve_locked(table, &hids[i]);
		if (ret)
			break;
	}
	spin_unlock(&table->lock);
	return i ?: ret;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_handle_reserve_many);

/**
 * refslab_handle_reserve() - reserve a slot and its handle number
 * @table: the table
 * @hid: set to the reserved number
 *
 * The slot is the free one at the head of the queue, if enough others
 * wait behind it, else a new one at the end of the table.  The number is
 * not visible to lookups until refslab_handle_publish().
 *
 * Context: process context; may sleep (to give the table a new page).
 * Return: 0, -ENOMEM, or -ENOSPC when the table holds
 * REFSLAB_FILE_HANDLES_MAX handles.
 */
int refslab_handle_reserve(struct refslab_handle_table *table, u32 *hid)
{
	int ret;

	spin_lock(&table->lock);
	ret = reserve_locked(table, hid);
	spin_unlock(&table->lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_handle_reserve);

/**
 * refslab_handle_publish_many() - make reserved handles usable
 * @table: the table
 * @hids: numbers from refslab_handle_reserve() or
 *	refslab_handle_reserve_many()
 * @objs: the object of each; each handle takes over one held reference
 *	the caller owns (and with it one of the object's count)
 * @n: how many
 * @rights: REFSLAB_RIGHT_* bits of each
 *
 * Cannot fail.  A handle may be used and put by another thread as soon as
 * it is published.
 *
 * Context: any context but hard interrupt.
 */
void refslab_handle_publish_many(struct refslab_handle_table *table,
				 const u32 *hids, struct refslab_object **objs,
				 unsigned int n, u32 rights)
{
	struct refslab_handle *slot;
	unsigned long state;
	unsigned int i;

	refslab_stat_add(REFSLAB_STAT_HANDLES_CREATED, n);
	refslab_stat_add(REFSLAB_STAT_REFS_TAKEN, n);
	/*
	 * A slot is the caller's alone until the handle is in it, and its
	 * page is the same in every directory, old or new: no lock.
	 */
	rcu_read_lock();
	for (i = 0; i < n; i++) {
		slot = slot_at(table, hids[i] & HANDLE_SLOT_MASK);
		state = atomic_long_read(&slot->state);
		WARN_ON_ONCE(!(state & STATE_RESERVED));
		WRITE_ONCE(slot->obj, objs[i]);
		/* Lookups see the handle only once its object is in the slot. */
		atomic_long_set_release(&slot->state,
					(state & STATE_GEN) |
					(unsigned long)rights << STATE_RIGHTS_SHIFT |
					1);
	}
	rcu_read_unlock();
}
EXPORT_SYMBOL_IF_KUNIT(refslab_handle_publish_many);

/**
 * refslab_handle_publish() - make a reserved handle usable
 * @table: the table
 * @hid: the number from refslab_handle_reserve()
 * @obj: the object; the handle takes over one held reference the caller
 *	owns (and with it one of the object's count)
 * @rights: REFSLAB_RIGHT_* bits
 *
 * refslab_handle_publish_many() of one handle.
 *
 * Context: any context but hard interrupt.
 */
void refslab_handle_publish(struct refslab_handle_table *table, u32 hid,
			    struct refslab_object *obj, u32 rights)
{
	refslab_handle_publish_many(table, &hid, &obj, 1, rights);
}
EXPORT_SYMBOL_IF_KUNIT(refslab_handle_publish);

/**
 * refslab_handle_abort() - give back a reserved, unpublished handle number
 * @table: the table
 * @hid: the number from refslab_handle_reserve()
 *
 * Context: any context but hard interrupt.
 */
void refslab_handle_abort(struct refslab_handle_table *table, u32 hid)
{
	refslab_handle_abort_many(table, &hid, 1);
}
EXPORT_SYMBOL_IF_KUNIT(refslab_handle_abort);

/**
 * refslab_handle_abort_many() - give back reserved, unpublished numbers
 * @table: the table
 * @hids: numbers from refslab_handle_reserve() or
 *	refslab_handle_reserve_many()
 * @n: how many
 *
 * Context: any context but hard interrupt.
 */
void refslab_handle_abort_many(struct refslab_handle_table *table,
			       const u32 *hids, unsigned int n)
{
	unsigned int i;
	u32 index;

	spin_lock(&table->lock);
	for (i = 0; i < n; i++) {
		index = hids[i] & HANDLE_SLOT_MASK;
		slot_free(table, index,
			  atomic_long_read(&slot_at(table, index)->state));
	}
	spin_unlock(&table->lock);
}
EXPORT_SYMBOL_IF_KUNIT(refslab_handle_abort_many);

/*
 * The slot of number @hid, or NULL if the table never had it.  The caller
 * is in an RCU read-side section, which keeps the directory; the slot's
 * state says whether it holds that handle.
 */
static __always_inline struct refslab_handle *
slot_find(struct refslab_handle_table *table, u32 hid)
{
	u32 index = hid & HANDLE_SLOT_MASK;
	struct refslab_handle_dir *dir;
	struct refslab_handle *page;

	dir = rcu_dereference(table->dir);
	if (!dir || index >> HANDLE_PAGE_SHIFT >= dir->nr_pages)
		return NULL;
	page = READ_ONCE(dir->page[index >> HANDLE_PAGE_SHIFT]);
	if (!page)
		return NULL;
	return &page[index & (HANDLE_PAGE_SLOTS - 1)];
}

/*
 * The slot holding the handle numbered @hid, with its state as read then,
 * or NULL if none does.  Under RCU, as slot_find().
 */
static __always_inline struct refslab_handle *
handle_seen(struct refslab_handle_table *table, u32 hid, unsigned long *state)
{
	struct refslab_handle *slot = slot_find(table, hid);

	if (!slot)
		return NULL;
	*state = atomic_long_read_acquire(&slot->state);
	return state_is(*state, hid) ? slot : NULL;
}

/**
 * refslab_handle_lookup() - find a handle's object for an operation
 * @table: the table
 * @hid: the handle number
 * @rights: REFSLAB_RIGHT_* bits the operation needs
 * @state: if not NULL, filled with the handle's references and rights
 *
 * Context: any context.
 * Return: the object with a new short-lived reference, which the caller
 * drops with refslab_object_put(); ERR_PTR(-ENOENT) if there is no such
 * handle, or ERR_PTR(-EACCES) if it lacks @rights.
 */
struct refslab_object *refslab_handle_lookup(struct refslab_handle_table *table,
					     u32 hid, u32 rights,
					     struct refslab_handle_state *state)
{
	struct refslab_object *obj = ERR_PTR(-ENOENT);
	unsigned long seen, now;
	struct refslab_handle *slot;

	rcu_read_lock();
	slot = handle_seen(table, hid, &seen);
	if (!slot)
		goto out_unlock;
	if ((state_rights(seen) & rights) != rights) {
		obj = ERR_PTR(-EACCES);
		goto out_unlock;
	}
	obj = READ_ONCE(slot->obj);
	/*
	 * The slot's object, or the one of a later use of the slot: still
	 * readable, as this section began before either could be released.
	 * Fails only if a racing PUT just released it.
	 */
	if (!refslab_object_get_unless_zero(obj)) {
		obj = ERR_PTR(-ENOENT);
		goto out_unlock;
	}
	/* The same use of the slot, still a handle: the object is its own. */
	smp_rmb();
	now = atomic_long_read(&slot->state);
	if ((now & STATE_GEN) != (seen & STATE_GEN) || !state_is(now, hid)) {
		refslab_object_put(obj);
		obj = ERR_PTR(-ENOENT);
		goto out_unlock;
	}
	if (state)
		*state = (struct refslab_handle_state){
			.refs = state_refs(now),
			.rights = state_rights(now),
		};
out_unlock:
	rcu_read_unlock();
	return obj;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_handle_lookup);

/* Handles that a run of PUTs takes out of their table at a time. */
#define REMOVALS_MAX	16

/*
 * Handles whose count reached zero, waiting to be taken out of their
 * table together, a PUT's or a run's of a BATCH, and the objects whose
 * last references their removal dropped.  A handle whose count is zero
 * is no handle for any lookup, and nobody else frees its slot.
 */
struct handle_removals {
	unsigned int nr;
	struct {
		struct refslab_object *obj;
		struct file *file;
		u32 index;
	} gone[REMOVALS_MAX];
	struct refslab_releases rel;
};

/*
 * Free slot @index, whose handle's count reached zero; under the table's
 * lock.  Return: the file the handle kept, for the caller to put.
 */
static struct file *slot_remove(struct refslab_handle_table *table, u32 index)
{
	unsigned long state = atomic_long_read(&slot_at(table, index)->state);
	struct file *file = NULL;

	lockdep_assert_held(&table->lock);
	if (state & STATE_EXPORT) {
		file = xa_erase(&table->exports, index);
		WRITE_ONCE(table->exports_cached, table->exports_cached - 1);
	}
	slot_free(table, index, state);
	return file;
}

static void removals_init(struct handle_removals *rm)
{
	rm->nr = 0;
	rm->rel.first = NULL;
}

/*
 * Take the waiting handles out of their table, with the files they kept,
 * free their slots and drop their object references, under one taking
 * of the lock.  Out of line, so that a PUT that leaves the handle alive
 * does not pay for it.
 */
static noinline void removals_flush(struct refslab_handle_table *table,
				    struct handle_removals *rm)
{
	unsigned int i;

	spin_lock(&table->lock);
	for (i = 0; i < rm->nr; i++)
		rm->gone[i].file = slot_remove(table, rm->gone[i].index);
	spin_unlock(&table->lock);
	refslab_stat_add(REFSLAB_STAT_HANDLES_DESTROYED, rm->nr);
	for (i = 0; i < rm->nr; i++) {
		/*
		 * fput() does not sleep; if this was the kept file's last
		 * put, its release (and its object reference) runs later,
		 * from task work or the delayed-fput work.
		 */
		if (rm->gone[i].file)
			fput(rm->gone[i].file);
		/* The handle's reference: nothing may touch the object after. */
		refslab_object_put_later(rm->gone[i].obj, &rm->rel);
	}
	rm->nr = 0;
}

/* The handle in slot @index of @table is gone: remove it with others. */
static __always_inline void removals_add(struct refslab_handle_table *table,
					 struct handle_removals *rm, u32 index,
					 struct refslab_object *obj)
{
	if (rm->nr == REMOVALS_MAX)
		removals_flush(table, rm);
	rm->gone[rm->nr].obj = obj;
	rm->gone[rm->nr].index = index;
	rm->nr++;
}

/*
 * Take the handle in slot @index out of its table, alone: a PUT's (not a
 * run's) that left it with no references.
 */
static noinline void handle_remove(struct refslab_handle_table *table,
				   u32 index, struct refslab_object *obj)
{
	struct file *file;

	spin_lock(&table->lock);
	file = slot_remove(table, index);
	spin_unlock(&table->lock);
	refslab_stat_inc(REFSLAB_STAT_HANDLES_DESTROYED);
	/* As in removals_flush(). */
	if (file)
		fput(file);
	refslab_object_put(obj);
}

/*
 * Remove what waits, and release the objects that have to go: only
 * removals put objects on the list, and the last flush is this one.
 */
static __always_inline void removals_finish(struct refslab_handle_table *table,
					    struct handle_removals *rm)
{
	if (!rm->nr)
		return;
	removals_flush(table, rm);
	refslab_object_release_all(&rm->rel);
}

/*
 * GET's work on the slot of @hid, in the caller's RCU read-side section,
 * once handle_ref() checked @count.
 */
static __always_inline int handle_get(struct refslab_handle_table *table,
				      u32 hid, u32 count, u32 *refs)
{
	struct refslab_handle *slot;
	struct refslab_object *obj;
	unsigned long state, gen;
	int held, ret;

	slot = handle_seen(table, hid, &state);
	if (!slot)
		return -ENOENT;
	gen = state & STATE_GEN;
	/*
	 * The object first, as for PUT.  If the slot is freed or reused
	 * before the handle's count changes, @obj may be another use's, and
	 * the compare-and-swap below fails: the object is given its
	 * references back.
	 */
	obj = READ_ONCE(slot->obj);
	held = refslab_object_held_add(obj, count);
	if (held < 0)
		return held;
	/* @state is the handle's (handle_seen()) until the swap fails. */
	for (;;) {
		if (count > REFSLAB_HANDLE_REFS_MAX - state_refs(state)) {
			ret = -EOVERFLOW;
			goto err_held;
		}
		if (atomic_long_try_cmpxchg(&slot->state, &state,
					    state + count))
			break;
		if ((state & STATE_GEN) != gen || !state_is(state, hid)) {
			ret = -ENOENT;
			goto err_held;
		}
	}
	*refs = state_refs(state) + count;
	trace_refslab_get(obj, count, held);
	return 0;

err_held:
	refslab_object_held_sub(obj, count);
	return ret;
}

/*
 * PUT's work on the slot of @hid, in the caller's RCU read-side section,
 * once handle_ref() checked @count.
 */
static __always_inline int handle_put(struct refslab_handle_table *table,
				      u32 hid, u32 count, u32 *refs,
				      struct handle_removals *rm)
{
	struct refslab_handle *slot;
	struct refslab_object *obj;
	unsigned long state;

	slot = slot_find(table, hid);
	if (!slot)
		return -ENOENT;
	state = atomic_long_read(&slot->state);
	do {
		if (!state_is(state, hid))
			return -ENOENT;
		if (count > state_refs(state))
			return -EINVAL;
	} while (!atomic_long_try_cmpxchg(&slot->state, &state, state - count));

	/* Until its count is zero and its slot freed, the handle is ours. */
	*refs = state_refs(state) - count;
	obj = READ_ONCE(slot->obj);
	trace_refslab_put(obj, count, refslab_object_held_sub(obj, count));
	/* Only the task that reached zero gets here, once. */
	if (*refs)
		return 0;
	if (rm)
		removals_add(table, rm, hid & HANDLE_SLOT_MASK, obj);
	else
		handle_remove(table, hid & HANDLE_SLOT_MASK, obj);
	return 0;
}

/*
 * GET (@get) or PUT of @count references on @hid, in the caller's RCU
 * read-side section: the checks and errnos of the ioctls, which every
 * path to a handle's count shares.  The caller counts the references.
 * A handle a PUT leaves with none is removed at once, or, when the caller
 * runs many (@rm), with others by removals_finish().
 */
static __always_inline int handle_ref(struct refslab_handle_table *table,
				      bool get, u32 hid, u32 count, u32 *refs,
				      struct handle_removals *rm)
{
	if (!count)
		return -EINVAL;
	if (!get)
		return handle_put(table, hid, count, refs, rm);
	if (count > REFSLAB_HANDLE_REFS_MAX)
		return -EOVERFLOW;
	refslab_fault_slow();
	return handle_get(table, hid, count, refs);
}

/**
 * refslab_handle_get() - add references to a handle and its object
 * @table: the table
 * @hid: the handle number
 * @count: how many, at least 1
 * @refs: set to the handle's references after the call
 *
 * Context: any context.
 * Return: 0, -EINVAL if @count is 0, -ENOENT for no such handle, or
 * -EOVERFLOW if the handle's or the object's reference cap would be
 * exceeded.
 */
int refslab_handle_get(struct refslab_handle_table *table, u32 hid,
		       u32 count, u32 *refs)
{
	int ret;

	rcu_read_lock();
	ret = handle_ref(table, true, hid, count, refs, NULL);
	rcu_read_unlock();
	if (!ret)
		refslab_stat_add(REFSLAB_STAT_REFS_TAKEN, count);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_handle_get);

/**
 * refslab_handle_put() - drop references from a handle and its object
 * @table: the table
 * @hid: the handle number
 * @count: how many, at least 1 and at most what the handle holds
 * @refs: set to the handle's references after the call; 0 when the handle
 *	is gone
 *
 * Context: any context but hard interrupt.
 * Return: 0, -ENOENT for no such handle, or -EINVAL if @count is 0 or
 * more than the handle holds.
 */
int refslab_handle_put(struct refslab_handle_table *table, u32 hid,
		       u32 count, u32 *refs)
{
	int ret;

	rcu_read_lock();
	ret = handle_ref(table, false, hid, count, refs, NULL);
	rcu_read_unlock();
	if (!ret)
		refslab_stat_add(REFSLAB_STAT_REFS_DROPPED, count);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_handle_put);

/**
 * refslab_handle_ref_batch() - run a batch's in-record GETs and PUTs
 * @table: the table
 * @ops: records of a batch, copied into the kernel
 * @n: how many there are
 * @stop: end the run after the first record that fails
 *
 * Runs the records from the first, as long as they are in-record GETs and
 * PUTs, exactly as the ioctls would (the same checks, in the same order,
 * the same errnos), and sets each one's @result and, when that is 0, its
 * @ref.refs.  One RCU read-side section for the run, and the statistics
 * counted once: what runs of GETs and PUTs on handles already there save
 * over a command each.
 *
 * Context: process context; a PUT may remove a handle.
 * Return: how many records ran; the record after them, if any, is not an
 * in-record GET or PUT, or the last one run failed and @stop is set.
 */
unsigned int refslab_handle_ref_batch(struct refslab_handle_table *table,
				      struct refslab_batch_op *ops,
				      unsigned int n, bool stop)
{
	u64 taken = 0, dropped = 0;
	struct handle_removals rm;
	struct refslab_batch_op *op;
	unsigned int i;
	bool get;
	int ret;

	removals_init(&rm);
	rcu_read_lock();
	for (i = 0; i < n; i++) {
		op = &ops[i];
		if (!refslab_batch_is_ref(op))
			break;
		get = op->cmd == REFSLAB_CMD_GET;
		ret = -EINVAL;
		if (refslab_batch_ref_clean(op))
			ret = handle_ref(table, get, op->ref.handle,
					 op->ref.count, &op->ref.refs, &rm);
		if (!ret && get)
			taken += op->ref.count;
		else if (!ret)
			dropped += op->ref.count;
		op->result = ret;
		if (ret && stop) {
			i++;
			break;
		}
	}
	rcu_read_unlock();
	removals_finish(table, &rm);
	refslab_stat_add(REFSLAB_STAT_REFS_TAKEN, taken);
	refslab_stat_add(REFSLAB_STAT_REFS_DROPPED, dropped);
	return i;
}

/**
 * refslab_handle_changes() - run the records of a BATCH of reference changes
 * @table: the table
 * @changes: the records, copied into the kernel
 * @n: how many there are, at least 1
 * @stop: end the run after the first record that fails
 *
 * Each record is a GET (positive delta) or a PUT (negative delta) with
 * the checks, order and errnos of the ioctls; its @result and @refs are
 * set.  One RCU read-side section for the run, the statistics counted
 * once.
 *
 * Context: process context; a PUT may remove a handle.
 * Return: how many records ran: all @n, or fewer if @stop is set and the
 * last one run failed.
 */
unsigned int refslab_handle_changes(struct refslab_handle_table *table,
				    struct refslab_ref_change *changes,
				    unsigned int n, bool stop)
{
	struct refslab_ref_change *rc, *end = changes + n;
	u64 taken = 0, dropped = 0;
	struct handle_removals rm;
	bool get;
	u32 count;
	int ret;

	removals_init(&rm);
	rcu_read_lock();
	for (rc = changes; rc < end; rc++) {
		get = rc->delta > 0;
		/* Unsigned negation: S32_MIN gives 2^31, more than any cap. */
		count = get ? rc->delta : 0U - (u32)rc->delta;
		ret = handle_ref(table, get, rc->handle, count, &rc->refs,
				 &rm);
		rc->result = ret;
		if (ret) {
			rc->refs = 0;
			if (stop) {
				rc++;
				break;
			}
		} else if (get) {
			taken += count;
		} else {
			dropped += count;
		}
	}
	rcu_read_unlock();
	removals_finish(table, &rm);
	refslab_stat_add(REFSLAB_STAT_REFS_TAKEN, taken);
	refslab_stat_add(REFSLAB_STAT_REFS_DROPPED, dropped);
	return rc - changes;
}

/**
 * refslab_handle_export_find() - what EXPORT of a handle starts from
 * @table: the table
 * @hid: the handle number
 * @rights: the REFSLAB_RIGHT_* bits asked for, or 0 for all of the
 *	handle's; set to the rights the export carries
 * @file: set to the object file the handle keeps, with a new reference,
 *	if it carries exactly *@rights; else to NULL
 * @obj: when *@file is NULL, set to the object with a new short-lived
 *	reference, for a new file; else to NULL
 *
 * Context: any context but hard interrupt; takes the table's lock.
 * Return: 0, -ENOENT if there is no such handle, or -EACCES if *@rights
 * are more than the handle's.
 */
int refslab_handle_export_find(struct refslab_handle_table *table, u32 hid,
			       u32 *rights, struct file **file,
			       struct refslab_object **obj)
{
	struct refslab_handle *slot;
	unsigned long state;
	int ret = 0;

	*file = NULL;
	*obj = NULL;
	rcu_read_lock();
	slot = slot_find(table, hid);
	if (!slot) {
		ret = -ENOENT;
		goto out_unlock;
	}
	/* Under the lock the slot is not freed: its object stays. */
	spin_lock(&table->lock);
	state = atomic_long_read(&slot->state);
	if (!state_is(state, hid)) {
		ret = -ENOENT;
	} else {
		if (!*rights)
			*rights = state_rights(state);
		if (*rights & ~state_rights(state))
			ret = -EACCES;
		else if ((state & STATE_EXPORT) == export_state(*rights))
			*file = get_file(xa_load(&table->exports,
						 hid & HANDLE_SLOT_MASK));
		else if (refslab_object_get_unless_zero(READ_ONCE(slot->obj)))
			*obj = READ_ONCE(slot->obj);
		else
			ret = -ENOENT;
	}
	spin_unlock(&table->lock);
out_unlock:
	rcu_read_unlock();
	return ret;
}

/**
 * refslab_handle_export_keep() - let a handle keep the file it exported
 * @table: the table
 * @hid: the handle number
 * @obj: the object the file holds, which the handle must still hold
 * @file: a new object file of @obj; the handle takes a reference of its
 *	own, the caller keeps its own
 * @rights: the rights @file carries
 *
 * The file replaces the one the handle kept before, if any.  Nothing is
 * kept when the handle is gone or going (its count reached zero): then
 * its last put already took the cache away, or will.  Nothing is kept
 * either if there is no memory for the exports' entry: it is a cache.
 *
 * Context: process context; may sleep; takes the table's lock.
 */
void refslab_handle_export_keep(struct refslab_handle_table *table, u32 hid,
				struct refslab_object *obj, struct file *file,
				u32 rights)
{
	u32 index = hid & HANDLE_SLOT_MASK;
	struct refslab_handle *slot;
	struct file *old = NULL;
	unsigned long state;
	bool kept = false;

	if (xa_reserve(&table->exports, index, REFSLAB_GFP))
		return;
	rcu_read_lock();
	slot = slot_find(table, hid);
	spin_lock(&table->lock);
	state = slot ? atomic_long_read(&slot->state) : 0;
	/* GET and PUT change the count meanwhile, never the rest. */
	while (state_is(state, hid) && READ_ONCE(slot->obj) == obj) {
		if (atomic_long_try_cmpxchg(&slot->state, &state,
					    (state & ~STATE_EXPORT) |
					    export_state(rights))) {
			kept = true;
			break;
		}
	}
	if (kept) {
		/*
		 * Reserved above, so the store allocates nothing, unless the
		 * reservation was another use of the slot's, given back
		 * meanwhile by a call like this one for a stale number: then,
		 * if there is no memory, nothing is kept.
		 */
		old = xa_store(&table->exports, index, file, GFP_NOWAIT);
		if (xa_is_err(old)) {
			old = NULL;
			state = atomic_long_read(&slot->state);
			while (!atomic_long_try_cmpxchg(&slot->state, &state,
							state & ~STATE_EXPORT))
				;
		} else {
			get_file(file);
			if (!old)
				WRITE_ONCE(table->exports_cached,
					   table->exports_cached + 1);
		}
	} else {
		xa_release(&table->exports, index);
	}
	spin_unlock(&table->lock);
	rcu_read_unlock();
	if (old)
		fput(old);
}

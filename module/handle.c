// SPDX-License-Identifier: GPL-2.0
/*
 * refslab handle tables: per-file maps from small numbers to objects.
 *
 * Lookups run under RCU and take no lock.  A handle's reference count is an
 * atomic changed by compare-and-swap; the table's spinlock is
 * taken only to add or remove a handle.  A handle keeps its object alive
 * with one reference of the object's count, taken when it is made and
 * dropped when it goes; its own references are held references of the
 * object (refslab_object_holder_add()), so GET and PUT change only the
 * object's held count, and that never drops below what its handles
 * hold: GET adds to the object before the handle, PUT takes from the
 * handle before the object.
 *
 * A handle number is a slot of the table (its low HANDLE_SLOT_BITS) and a
 * generation (the rest, never zero): which use of the slot it names.  A
 * lookup finds the slot's handle and compares generations, so a stale
 * number finds nothing (ENOENT) rather than someone else's object.  Freed
 * slots wait in a queue, oldest first, and one is reused only while more
 * than HANDLE_REUSE_DELAY others wait behind it, with the next generation:
 * a number comes back only after its slot's generations have all been
 * used, more than 65 000 handle removals later.
 *
 * Slots stay dense, so the table is a two-level array: a directory of
 * pages of HANDLE_PAGE_SLOTS slots each.  A lookup is two loads, however
 * many handles the file has; pages are added as the table grows and freed
 * only with it, and the directory is replaced by one twice its size when
 * it is full (the old one freed after a grace period).  A slot holds a
 * handle's address, or a tagged value with bit 0 set: its next generation
 * and the next free slot when free, nothing more when reserved (between
 * refslab_handle_reserve() and publish or abort).
 *
 * A handle keeps the object file it last exported (see
 * refslab_handle_export_find()), as DRM's PRIME keeps a GEM object's
 * dma-buf: a second EXPORT with the same rights gives a new descriptor of
 * that file, and closing a descriptor is then not the file's last put.
 * The handle's file reference goes with the handle.  The cache is guarded
 * by the table's lock and lives only while the handle's count is not
 * zero: whoever brings the count to zero takes the file out under the
 * lock, and nobody puts one in once the count is zero, so none is left
 * behind in a freed handle.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <uapi/linux/refslab.h>

#include <kunit/visibility.h>
#include "handle.h"
#include "ns.h"
#include "object.h"
#include "quota.h"
#include "stats.h"
#include "trace.h"

/* The export cache shares the RCU head's memory: a handle is 32 bytes. */
static_assert(sizeof(struct refslab_handle) <= 32);

#define HANDLE_SLOT_BITS	REFSLAB_HANDLE_SLOT_BITS
#define HANDLE_SLOT_MASK	((1U << HANDLE_SLOT_BITS) - 1)
#define HANDLE_GEN_MAX		(U32_MAX >> HANDLE_SLOT_BITS)
/* Free slots that must wait behind one before it is reused. */
#define HANDLE_REUSE_DELAY	64

/* Live handles and free slots together always fit the slot bits. */
static_assert(REFSLAB_FILE_HANDLES_MAX + HANDLE_REUSE_DELAY + 1 <=
	      HANDLE_SLOT_MASK + 1);
#define HANDLE_PAGE_SHIFT	(PAGE_SHIFT - 3)
#define HANDLE_PAGE_SLOTS	BIT(HANDLE_PAGE_SHIFT)
static_assert(HANDLE_PAGE_SLOTS * sizeof(unsigned long) == PAGE_SIZE);

/*
 * A slot without a handle: bit 0 set; a free slot's next generation in
 * bits 1-15, and the next free slot above them (unless it is the queue's
 * tail).  A slot that was never used is 0.
 */
#define SLOT_TAG		1UL
#define SLOT_RESERVED		SLOT_TAG
#define SLOT_GEN_MASK		0x7fffU
#define slot_free_value(gen, next) \
	((unsigned long)(next) << 16 | (unsigned long)(gen) << 1 | SLOT_TAG)
#define slot_free_gen(val)	((u32)((val) >> 1) & SLOT_GEN_MASK)
#define slot_free_next(val)	((u32)((val) >> 16))
static_assert(HANDLE_GEN_MAX <= SLOT_GEN_MASK);

/* The slot's entry in the current directory; it must have a page. */
static unsigned long *slot_entry(struct refslab_handle_table *table, u32 slot)
{
	struct refslab_handle_dir *dir;

	dir = rcu_dereference_protected(table->dir,
					lockdep_is_held(&table->lock));
	return &dir->page[slot >> HANDLE_PAGE_SHIFT][slot & (HANDLE_PAGE_SLOTS - 1)];
}

static u32 handle_number(u32 slot, u32 gen)
{
	return gen << HANDLE_SLOT_BITS | slot;
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
	table->slots = 0;
	table->free_head = 0;
	table->free_tail = 0;
	table->nr_free = 0;
	table->exports_cached = 0;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_handle_table_init);

/**
 * refslab_handle_table_destroy() - drop every handle and its references
 * @table: the table
 *
 * Context: process context, when no other task can use the table any more
 * (the file's last reference is gone); may sleep.
 */
void refslab_handle_table_destroy(struct refslab_handle_table *table)
{
	struct refslab_handle_dir *dir;
	struct refslab_handle *handle;
	unsigned long *page;
	struct file *file;
	unsigned int refs;
	u32 slot, i;

	/*
	 * Nobody else can reach the table any more: no lock, and the
	 * directory and pages are read as they are.
	 */
	dir = rcu_dereference_protected(table->dir, true);
	if (!dir)
		return;
	for (slot = 0; slot < table->slots; slot++) {
		page = dir->page[slot >> HANDLE_PAGE_SHIFT];
		handle = (struct refslab_handle *)page[slot & (HANDLE_PAGE_SLOTS - 1)];
		if (!handle || ((unsigned long)handle & SLOT_TAG))
			continue;
		refs = atomic_read(&handle->refs);
		file = handle->export.file;
		if (file)
			fput(file);
		refslab_stat_add(REFSLAB_STAT_REFS_DROPPED, refs);
		refslab_stat_inc(REFSLAB_STAT_HANDLES_DESTROYED);
		refslab_object_holder_put(handle->obj, refs);
		kfree_rcu(handle, rcu);
		/* A table may hold millions of handles. */
		cond_resched();
	}
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
	unsigned long *page, entry;
	unsigned int index, i;

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
			entry = READ_ONCE(page[i]);
			if (!entry || (entry & SLOT_TAG))
				continue;
			stats->handles++;
			stats->refs += atomic_read(&((struct refslab_handle *)entry)->refs);
		}
		rcu_read_unlock();
	}
	stats->exports_cached = READ_ONCE(table->exports_cached);
}

/*
 * Put a slot that holds no handle (any more) at the tail of the free
 * queue, with its next generation.
 */
static void slot_free(struct refslab_handle_table *table, u32 slot, u32 gen)
{
	unsigned long *tail;

	lockdep_assert_held(&table->lock);
	gen = gen == HANDLE_GEN_MAX ? 1 : gen + 1;
	WRITE_ONCE(*slot_entry(table, slot), slot_free_value(gen, 0));
	if (table->nr_free) {
		tail = slot_entry(table, table->free_tail);
		WRITE_ONCE(*tail, slot_free_value(slot_free_gen(*tail), slot));
	} else {
		table->free_head = slot;
	}
	table->free_tail = slot;
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
	unsigned long *page;

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
 * wait behind it, else a new one at the end of the table.  Returns its
 * handle number.  Making room for a new slot drops the lock: then the
 * choice is made again.
 */
static int slot_reserve(struct refslab_handle_table *table, u32 *hid)
	__must_hold(&table->lock)
{
	struct refslab_handle_dir *dir;
	unsigned long *entry;
	u32 slot;
	int ret;

	lockdep_assert_held(&table->lock);
	for (;;) {
		if (table->slots - table->nr_free >= REFSLAB_FILE_HANDLES_MAX)
			return -ENOSPC;
		if (table->nr_free > HANDLE_REUSE_DELAY) {
			slot = table->free_head;
			entry = slot_entry(table, slot);
			table->free_head = slot_free_next(*entry);
			table->nr_free--;
			*hid = handle_number(slot, slot_free_gen(*entry));
			WRITE_ONCE(*entry, SLOT_RESERVED);
			return 0;
		}
		slot = table->slots;
		dir = rcu_dereference_protected(table->dir,
						lockdep_is_held(&table->lock));
		if (dir && slot >> HANDLE_PAGE_SHIFT < dir->nr_pages &&
		    dir->page[slot >> HANDLE_PAGE_SHIFT])
			break;
		ret = table_grow(table, slot);
		if (ret)
			return ret;
	}
	WRITE_ONCE(*slot_entry(table, slot), SLOT_RESERVED);
	table->slots = slot + 1;
	*hid = handle_number(slot, 1);
	return 0;
}

/**
 * refslab_handle_reserve() - reserve a handle number and its memory
 * @table: the table
 * @hid: set to the reserved number
 *
 * The number is not visible to lookups until refslab_handle_publish().
 *
 * Context: process context; may sleep.
 * Return: the handle to publish, or ERR_PTR(-ENOMEM), or ERR_PTR(-ENOSPC)
 * when the table holds REFSLAB_FILE_HANDLES_MAX handles.
 */
struct refslab_handle *refslab_handle_reserve(struct refslab_handle_table *table,
					      u32 *hid)
{
	struct refslab_handle *handle;
	int ret;

	handle = kmalloc(sizeof(*handle), REFSLAB_GFP);
	if (!handle)
		return ERR_PTR(-ENOMEM);

	spin_lock(&table->lock);
	ret = slot_reserve(table, hid);
	spin_unlock(&table->lock);
	if (ret) {
		kfree(handle);
		return ERR_PTR(ret);
	}
	return handle;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_handle_reserve);

/**
 * refslab_handle_publish() - make a reserved handle usable
 * @table: the table
 * @handle: from refslab_handle_reserve()
 * @hid: its number
 * @obj: the object; the handle takes over one reference the caller owns
 * @rights: REFSLAB_RIGHT_* bits
 *
 * Cannot fail.  The handle may be used and put by another thread as soon as
 * this returns, so the caller must not touch it afterwards.
 *
 * Context: any context but hard interrupt.
 */
void refslab_handle_publish(struct refslab_handle_table *table,
			    struct refslab_handle *handle, u32 hid,
			    struct refslab_object *obj, u32 rights)
{
	u32 slot = hid & HANDLE_SLOT_MASK;
	struct refslab_handle_dir *dir;
	unsigned long *entry;

	handle->obj = obj;
	atomic_set(&handle->refs, 1);
	handle->rights = rights;
	handle->gen = hid >> HANDLE_SLOT_BITS;
	handle->export.file = NULL;
	handle->export.rights = 0;
	refslab_stat_inc(REFSLAB_STAT_HANDLES_CREATED);
	refslab_stat_inc(REFSLAB_STAT_REFS_TAKEN);
	/*
	 * The slot is the caller's alone until the handle is in it, and its
	 * page is the same in every directory, old or new: no lock.
	 */
	rcu_read_lock();
	dir = rcu_dereference(table->dir);
	entry = &dir->page[slot >> HANDLE_PAGE_SHIFT][slot & (HANDLE_PAGE_SLOTS - 1)];
	WARN_ON_ONCE(READ_ONCE(*entry) != SLOT_RESERVED);
	/* Lookups see the handle only once all of it is written. */
	smp_store_release(entry, (unsigned long)handle);
	rcu_read_unlock();
}
EXPORT_SYMBOL_IF_KUNIT(refslab_handle_publish);

/**
 * refslab_handle_abort() - give back a reserved, unpublished handle
 * @table: the table
 * @handle: from refslab_handle_reserve()
 * @hid: its number
 *
 * Context: any context but hard interrupt.
 */
void refslab_handle_abort(struct refslab_handle_table *table,
			  struct refslab_handle *handle, u32 hid)
{
	spin_lock(&table->lock);
	slot_free(table, hid & HANDLE_SLOT_MASK, hid >> HANDLE_SLOT_BITS);
	spin_unlock(&table->lock);
	kfree(handle);
}
EXPORT_SYMBOL_IF_KUNIT(refslab_handle_abort);

/*
 * The handle numbered @hid, or NULL (also for a reserved, unpublished
 * number).  The caller is in an RCU read-side section, which keeps the
 * directory and the handle's memory.
 */
static __always_inline struct refslab_handle *
handle_find(struct refslab_handle_table *table, u32 hid)
{
	u32 slot = hid & HANDLE_SLOT_MASK;
	struct refslab_handle_dir *dir;
	struct refslab_handle *handle;
	unsigned long *page, entry;

	dir = rcu_dereference(table->dir);
	if (!dir || slot >> HANDLE_PAGE_SHIFT >= dir->nr_pages)
		return NULL;
	page = READ_ONCE(dir->page[slot >> HANDLE_PAGE_SHIFT]);
	if (!page)
		return NULL;
	entry = READ_ONCE(page[slot & (HANDLE_PAGE_SLOTS - 1)]);
	/* No handle in the slot, or one of another generation. */
	if (!entry || (entry & SLOT_TAG))
		return NULL;
	handle = (struct refslab_handle *)entry;
	if (handle->gen != hid >> HANDLE_SLOT_BITS)
		return NULL;
	return handle;
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
	struct refslab_handle *handle;
	struct refslab_object *obj;

	rcu_read_lock();
	handle = handle_find(table, hid);
	if (!handle) {
		obj = ERR_PTR(-ENOENT);
	} else if ((handle->rights & rights) != rights) {
		obj = ERR_PTR(-EACCES);
	} else {
		obj = handle->obj;
		/* Fails only if a racing PUT just dropped the last reference. */
		if (!refslab_object_get_unless_zero(obj))
			obj = ERR_PTR(-ENOENT);
		else if (state)
			*state = (struct refslab_handle_state){
				.refs = atomic_read(&handle->refs),
				.rights = handle->rights,
			};
	}
	rcu_read_unlock();
	return obj;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_handle_lookup);

/*
 * Add @count to a handle's references unless it already reached zero (it
 * is being removed) or would pass the cap.
 */
static int handle_refs_add(struct refslab_handle *handle, u32 count, u32 *refs)
{
	int old = atomic_read(&handle->refs);

	do {
		if (!old)
			return -ENOENT;
		if (old >= REFSLAB_HANDLE_REFS_MAX ||
		    count > REFSLAB_HANDLE_REFS_MAX - old)
			return -EOVERFLOW;
	} while (!atomic_try_cmpxchg(&handle->refs, &old, old + count));
	*refs = old + count;
	return 0;
}

/**
 * refslab_handle_get() - add references to a handle and its object
 * @table: the table
 * @hid: the handle number
 * @count: how many, at least 1
 * @refs: set to the handle's references after the call
 *
 * Context: any context.
 * Return: 0, -ENOENT for no such handle, or -EOVERFLOW if the handle's or
 * the object's reference cap would be exceeded.
 */
int refslab_handle_get(struct refslab_handle_table *table, u32 hid,
		       u32 count, u32 *refs)
{
	struct refslab_handle *handle;
	int held, ret;

	if (count > REFSLAB_HANDLE_REFS_MAX)
		return -EOVERFLOW;

	rcu_read_lock();
	handle = handle_find(table, hid);
	if (!handle) {
		ret = -ENOENT;
		goto out_unlock;
	}
	/*
	 * The object first: the handle may be going (a concurrent PUT is
	 * taking its last references), and then the object is given its
	 * references back, but its held count never drops below its
	 * handles'.
	 */
	held = refslab_object_held_add(handle->obj, count);
	if (held < 0) {
		ret = held;
		goto out_unlock;
	}
	ret = handle_refs_add(handle, count, refs);
	if (ret) {
		refslab_object_held_sub(handle->obj, count);
		goto out_unlock;
	}
	trace_refslab_get(handle->obj, count, held);
	refslab_stat_add(REFSLAB_STAT_REFS_TAKEN, count);
out_unlock:
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_handle_get);

/*
 * Take a handle whose count reached zero out of its table, with the file
 * it kept, and free it after a grace period.  Out of line, so that a PUT
 * that leaves the handle alive does not pay for it.
 */
static noinline void handle_remove(struct refslab_handle_table *table,
				   struct refslab_handle *handle, u32 hid)
{
	struct file *file;

	spin_lock(&table->lock);
	slot_free(table, hid & HANDLE_SLOT_MASK, handle->gen);
	file = handle->export.file;
	if (file)
		WRITE_ONCE(table->exports_cached, table->exports_cached - 1);
	spin_unlock(&table->lock);
	/* The cache is over: the RCU head may take its memory. */
	kfree_rcu(handle, rcu);
	refslab_stat_inc(REFSLAB_STAT_HANDLES_DESTROYED);
	/*
	 * fput() does not sleep; if this was the kept file's last put, its
	 * release (and its object reference) runs later, from task work or
	 * the delayed-fput work.
	 */
	if (file)
		fput(file);
}

/**
 * refslab_handle_put() - drop references from a handle and its object
 * @table: the table
 * @hid: the handle number
 * @count: how many, at least 1 and at most what the handle holds
 * @refs: set to the handle's references after the call; 0 when the handle
 *	is gone
 *
 * Context: any context but hard interrupt.
 * Return: 0, -ENOENT for no such handle, or -EINVAL if @count is more than
 * the handle holds.
 */
int refslab_handle_put(struct refslab_handle_table *table, u32 hid,
		       u32 count, u32 *refs)
{
	struct refslab_handle *handle;
	struct refslab_object *obj;
	int old, ret = 0;

	rcu_read_lock();
	handle = handle_find(table, hid);
	if (!handle) {
		ret = -ENOENT;
		goto out_unlock;
	}
	old = atomic_read(&handle->refs);
	do {
		if (!old) {
			ret = -ENOENT;
			goto out_unlock;
		}
		if (count > old) {
			ret = -EINVAL;
			goto out_unlock;
		}
	} while (!atomic_try_cmpxchg(&handle->refs, &old, old - count));

	*refs = old - count;
	obj = handle->obj;
	trace_refslab_put(obj, count, refslab_object_held_sub(obj, count));
	refslab_stat_add(REFSLAB_STAT_REFS_DROPPED, count);
	/* Only the task that reached zero gets here, once. */
	if (!*refs) {
		handle_remove(table, handle, hid);
		/* The handle's reference: nothing may touch @obj after it. */
		refslab_object_put(obj);
	}
out_unlock:
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_handle_put);

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
	struct refslab_handle *handle;
	int ret = 0;

	*file = NULL;
	*obj = NULL;
	rcu_read_lock();
	handle = handle_find(table, hid);
	if (!handle) {
		ret = -ENOENT;
		goto out_unlock;
	}
	if (!*rights)
		*rights = handle->rights;
	if (*rights & ~handle->rights) {
		ret = -EACCES;
		goto out_unlock;
	}
	spin_lock(&table->lock);
	/* The file's count cannot reach zero while the handle holds it. */
	if (atomic_read(&handle->refs) && handle->export.file &&
	    handle->export.rights == *rights)
		*file = get_file(handle->export.file);
	spin_unlock(&table->lock);
	if (*file)
		goto out_unlock;
	/* Fails only if a racing PUT just dropped the last reference. */
	if (refslab_object_get_unless_zero(handle->obj))
		*obj = handle->obj;
	else
		ret = -ENOENT;
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
 * its last put already took the cache away.
 *
 * Context: process context; takes the table's lock.
 */
void refslab_handle_export_keep(struct refslab_handle_table *table, u32 hid,
				struct refslab_object *obj, struct file *file,
				u32 rights)
{
	struct refslab_handle *handle;
	struct file *old = NULL;

	rcu_read_lock();
	handle = handle_find(table, hid);
	spin_lock(&table->lock);
	if (handle && handle->obj == obj && atomic_read(&handle->refs)) {
		old = handle->export.file;
		handle->export.file = get_file(file);
		handle->export.rights = rights;
		if (!old)
			WRITE_ONCE(table->exports_cached,
				   table->exports_cached + 1);
	}
	spin_unlock(&table->lock);
	rcu_read_unlock();
	if (old)
		fput(old);
}

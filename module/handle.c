// SPDX-License-Identifier: GPL-2.0
/*
 * refslab handle tables: per-file maps from small numbers to objects.
 *
 * Lookups run under RCU and take no lock.  A handle's reference count is an
 * atomic changed by compare-and-swap; the table's lock (the xarray's) is
 * taken only to add or remove a handle.  The handle's references are also
 * references to its object, and the object count never drops below the
 * handle count: GET adds to the object before the handle, PUT takes from
 * the handle before the object.
 *
 * Handle numbers are allocated cyclically, so a number that was just freed
 * is not handed out again until the 32-bit space wraps: a stale handle
 * finds nothing (ENOENT) rather than someone else's object.
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
#include "object.h"
#include "stats.h"

/* The export cache shares the RCU head's memory: a handle is 32 bytes. */
static_assert(sizeof(struct refslab_handle) <= 32);

/**
 * refslab_handle_table_init() - set up an empty handle table
 * @table: the table
 *
 * Context: any context.
 */
void refslab_handle_table_init(struct refslab_handle_table *table)
{
	xa_init_flags(&table->xa, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	table->next = 1;
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
	struct refslab_handle *handle;
	struct file *file;
	unsigned long hid;
	unsigned int refs;

	xa_for_each(&table->xa, hid, handle) {
		xa_lock(&table->xa);
		__xa_erase(&table->xa, hid);
		refs = atomic_xchg(&handle->refs, 0);
		file = handle->export.file;
		xa_unlock(&table->xa);
		if (file)
			fput(file);
		refslab_stat_add(REFSLAB_STAT_REFS_DROPPED, refs);
		refslab_stat_inc(REFSLAB_STAT_HANDLES_DESTROYED);
		refslab_object_put_many(handle->obj, refs);
		kfree_rcu(handle, rcu);
		/* A table may hold millions of handles. */
		cond_resched();
	}
	xa_destroy(&table->xa);
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
	XA_STATE(xas, &table->xa, 0);
	struct refslab_handle *handle;

	*stats = (struct refslab_handle_stats){};
	rcu_read_lock();
	xas_for_each(&xas, handle, ULONG_MAX) {
		if (xas_retry(&xas, handle))
			continue;
		stats->handles++;
		stats->refs += atomic_read(&handle->refs);
		/* Leave the read-side section now and then: tables can be huge. */
		if (!(stats->handles % 1024)) {
			xas_pause(&xas);
			rcu_read_unlock();
			cond_resched();
			rcu_read_lock();
		}
	}
	rcu_read_unlock();
	stats->exports_cached = READ_ONCE(table->exports_cached);
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
 * when every number is taken.
 */
struct refslab_handle *refslab_handle_reserve(struct refslab_handle_table *table,
					      u32 *hid)
{
	struct refslab_handle *handle;
	int ret;

	handle = kmalloc(sizeof(*handle), REFSLAB_GFP);
	if (!handle)
		return ERR_PTR(-ENOMEM);

	ret = xa_alloc_cyclic(&table->xa, hid, NULL, xa_limit_32b,
			      &table->next, REFSLAB_GFP);
	if (ret < 0) {
		kfree(handle);
		/* -EBUSY from the xarray: every number is taken. */
		return ERR_PTR(ret == -EBUSY ? -ENOSPC : ret);
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
	void *old;

	handle->obj = obj;
	atomic_set(&handle->refs, 1);
	handle->rights = rights;
	handle->export.file = NULL;
	handle->export.rights = 0;
	refslab_stat_inc(REFSLAB_STAT_HANDLES_CREATED);
	refslab_stat_inc(REFSLAB_STAT_REFS_TAKEN);
	old = xa_store(&table->xa, hid, handle, GFP_KERNEL_ACCOUNT);
	WARN_ON_ONCE(old);
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
	xa_release(&table->xa, hid);
	kfree(handle);
}
EXPORT_SYMBOL_IF_KUNIT(refslab_handle_abort);

/*
 * The handle numbered @hid, or NULL (also for a reserved, unpublished
 * number).  The caller is in an RCU read-side section, which keeps the
 * handle's memory, so this does not enter one of its own as xa_load()
 * would.
 */
static struct refslab_handle *handle_find(struct refslab_handle_table *table,
					  u32 hid)
{
	XA_STATE(xas, &table->xa, hid);
	void *entry;

	do {
		entry = xas_load(&xas);
		/* Reserved: xas_retry() would take it for a retry, forever. */
		if (xa_is_zero(entry))
			return NULL;
	} while (xas_retry(&xas, entry));
	return entry;
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
	int ret;

	if (count > REFSLAB_HANDLE_REFS_MAX)
		return -EOVERFLOW;

	rcu_read_lock();
	handle = handle_find(table, hid);
	if (!handle) {
		ret = -ENOENT;
		goto out_unlock;
	}
	/*
	 * The object first: while the handle holds references, so does the
	 * object, and a concurrent PUT of the handle can never take from the
	 * object references that were not yet added to it.
	 */
	ret = refslab_object_ref_add(handle->obj, count);
	if (ret)
		goto out_unlock;
	ret = handle_refs_add(handle, count, refs);
	if (ret) {
		refslab_object_put_many(handle->obj, count);
		goto out_unlock;
	}
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

	xa_lock(&table->xa);
	__xa_erase(&table->xa, hid);
	file = handle->export.file;
	if (file)
		WRITE_ONCE(table->exports_cached, table->exports_cached - 1);
	xa_unlock(&table->xa);
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
	/* Only the task that reached zero gets here, once. */
	if (!*refs)
		handle_remove(table, handle, hid);
	refslab_stat_add(REFSLAB_STAT_REFS_DROPPED, count);
	refslab_object_put_many(obj, count);
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
	xa_lock(&table->xa);
	/* The file's count cannot reach zero while the handle holds it. */
	if (atomic_read(&handle->refs) && handle->export.file &&
	    handle->export.rights == *rights)
		*file = get_file(handle->export.file);
	xa_unlock(&table->xa);
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
	xa_lock(&table->xa);
	if (handle && handle->obj == obj && atomic_read(&handle->refs)) {
		old = handle->export.file;
		handle->export.file = get_file(file);
		handle->export.rights = rights;
		if (!old)
			WRITE_ONCE(table->exports_cached,
				   table->exports_cached + 1);
	}
	xa_unlock(&table->xa);
	rcu_read_unlock();
	if (old)
		fput(old);
}

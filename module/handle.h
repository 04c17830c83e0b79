/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _REFSLAB_HANDLE_H
#define _REFSLAB_HANDLE_H

#include <linux/atomic.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/xarray.h>

struct file;
struct refslab_batch_op;
struct refslab_ref_change;
struct refslab_object;

/*
 * A handle number: the slot of its table in the low bits, which use of
 * the slot it is (its generation, never zero) in the others.
 */
#define REFSLAB_HANDLE_SLOT_BITS	22

/**
 * struct refslab_handle - one slot of a handle table, and the handle in it
 * @obj: the object of the slot's handle, which holds one reference of the
 *	object's count and @state's references as held ones.  Written when
 *	a handle is published in the slot, before @state says so, and left
 *	as it is when the handle goes.
 * @state: the slot's use, generation, and for a handle its references
 *	and rights, in one word (handle.c): a lookup reads it and changes it
 *	with one compare-and-swap, which fails if the slot was freed or
 *	reused meanwhile.
 *
 * Handles live in their table's pages of slots, 16 bytes each: making or
 * removing one allocates and frees nothing.
 */
struct refslab_handle {
	struct refslab_object *obj;
	atomic_long_t state;
};

/**
 * struct refslab_handle_dir - the directory of a handle table's pages
 * @rcu: frees a directory that a bigger one replaced, after lookups are
 *	done with it
 * @nr_pages: room in @page
 * @page: the pages of slots, NULL past the last one
 */
struct refslab_handle_dir {
	struct rcu_head rcu;
	unsigned int nr_pages;
	struct refslab_handle *page[];
};

/**
 * struct refslab_handle_table - the handles of one open file
 * @lock: guards the free slots and reserving them, @exports and the fields
 *	below; lookups, GET and PUT take no lock, and neither does the
 *	publication of a handle in the slot reserved for it
 * @exports: by slot, the object file a handle exported last and keeps for
 *	the next EXPORT with the same rights (whose rights its slot's state
 *	has); the handle holds a file reference to it
 * @dir: the pages of slots, read under RCU
 * @slots: slots used so far; a slot is never given back to the pages
 * @free_head: the free slot freed longest ago, reused first
 * @free_tail: the free slot freed last
 * @nr_free: free slots, in a queue from @free_head to @free_tail
 * @exports_cached: handles that keep an exported file
 */
struct refslab_handle_table {
	spinlock_t lock;	/* see above: not taken by lookups */
	struct refslab_handle_dir __rcu *dir;
	struct xarray exports;
	u32 slots;
	u32 free_head;
	u32 free_tail;
	u32 nr_free;
	unsigned long exports_cached;
};

/**
 * struct refslab_handle_state - a snapshot of a handle, for INFO
 * @refs: references the handle held
 * @rights: its rights
 */
struct refslab_handle_state {
	u32 refs;
	u32 rights;
};

/**
 * struct refslab_handle_stats - what a handle table holds
 * @handles: number of handles
 * @refs: references they hold
 * @exports_cached: how many of them keep an exported file for reuse
 */
struct refslab_handle_stats {
	unsigned long handles;
	unsigned long refs;
	unsigned long exports_cached;
};

void refslab_handle_table_stats(struct refslab_handle_table *table,
				struct refslab_handle_stats *stats);
void refslab_handle_table_init(struct refslab_handle_table *table);
void refslab_handle_table_destroy(struct refslab_handle_table *table);

int refslab_handle_reserve(struct refslab_handle_table *table, u32 *hid);
int refslab_handle_reserve_many(struct refslab_handle_table *table,
				u32 *hids, unsigned int n);
void refslab_handle_publish(struct refslab_handle_table *table, u32 hid,
			    struct refslab_object *obj, u32 rights);
void refslab_handle_publish_many(struct refslab_handle_table *table,
				 const u32 *hids, struct refslab_object **objs,
				 unsigned int n, u32 rights);
void refslab_handle_abort(struct refslab_handle_table *table, u32 hid);
void refslab_handle_abort_many(struct refslab_handle_table *table,
			       const u32 *hids, unsigned int n);

struct refslab_object *refslab_handle_lookup(struct refslab_handle_table *table,
					     u32 hid, u32 rights,
					     struct refslab_handle_state *state);
int refslab_handle_get(struct refslab_handle_table *table, u32 hid,
		       u32 count, u32 *refs);
int refslab_handle_put(struct refslab_handle_table *table, u32 hid,
		       u32 count, u32 *refs);
unsigned int refslab_handle_ref_batch(struct refslab_handle_table *table,
				      struct refslab_batch_op *ops,
				      unsigned int n, bool stop);
unsigned int refslab_handle_changes(struct refslab_handle_table *table,
				    struct refslab_ref_change *changes,
				    unsigned int n, bool stop);

int refslab_handle_export_find(struct refslab_handle_table *table, u32 hid,
			       u32 *rights, struct file **file,
			       struct refslab_object **obj);
void refslab_handle_export_keep(struct refslab_handle_table *table, u32 hid,
				struct refslab_object *obj, struct file *file,
				u32 rights);

#endif /* _REFSLAB_HANDLE_H */

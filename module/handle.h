/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _REFSLAB_HANDLE_H
#define _REFSLAB_HANDLE_H

#include <linux/atomic.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <linux/xarray.h>

struct refslab_object;

/**
 * struct refslab_handle - one entry of a handle table
 * @obj: the object; the handle owns @refs of its references
 * @refs: references the handle holds; it leaves the table at zero and can
 *	never come back from zero
 * @rights: REFSLAB_RIGHT_* bits, fixed at creation
 * @rcu: frees the handle after lockless lookups are done with it
 */
struct refslab_handle {
	struct refslab_object *obj;
	atomic_t refs;
	u32 rights;
	struct rcu_head rcu;
};

/**
 * struct refslab_handle_table - the handles of one open file
 * @xa: handle number -> struct refslab_handle, looked up under RCU
 * @next: where the cyclic allocation of handle numbers goes on
 */
struct refslab_handle_table {
	struct xarray xa;
	u32 next;
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
 */
struct refslab_handle_stats {
	unsigned long handles;
	unsigned long refs;
};

void refslab_handle_table_stats(struct refslab_handle_table *table,
				struct refslab_handle_stats *stats);
void refslab_handle_table_init(struct refslab_handle_table *table);
void refslab_handle_table_destroy(struct refslab_handle_table *table);

struct refslab_handle *refslab_handle_reserve(struct refslab_handle_table *table,
					      u32 *hid);
void refslab_handle_publish(struct refslab_handle_table *table,
			    struct refslab_handle *handle, u32 hid,
			    struct refslab_object *obj, u32 rights);
void refslab_handle_abort(struct refslab_handle_table *table,
			  struct refslab_handle *handle, u32 hid);

struct refslab_object *refslab_handle_lookup(struct refslab_handle_table *table,
					     u32 hid, u32 rights,
					     struct refslab_handle_state *state);
int refslab_handle_get(struct refslab_handle_table *table, u32 hid,
		       u32 count, u32 *refs);
int refslab_handle_put(struct refslab_handle_table *table, u32 hid,
		       u32 count, u32 *refs);

#endif /* _REFSLAB_HANDLE_H */

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _REFSLAB_HANDLE_H
#define _REFSLAB_HANDLE_H

#include <linux/atomic.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <linux/xarray.h>

struct file;
struct refslab_object;

/**
 * struct refslab_handle - one entry of a handle table
 * @obj: the object; the handle owns @refs of its references
 * @refs: references the handle holds; it leaves the table at zero and can
 *	never come back from zero
 * @rights: REFSLAB_RIGHT_* bits, fixed at creation
 * @export: the object file EXPORT made last from this handle, kept for the
 *	next EXPORT with the same rights; the handle holds a file reference
 *	to it.  Read and written only under the table's lock, and only while
 *	@refs is not zero.
 * @export.file: the file, or NULL
 * @export.rights: the rights it carries
 * @rcu: frees the handle after lockless lookups are done with it; used
 *	only once @refs is zero, when @export is no longer, so they share
 *	their memory and a handle stays 32 bytes
 */
struct refslab_handle {
	struct refslab_object *obj;
	atomic_t refs;
	u32 rights;
	union {
		struct {
			struct file *file;
			u32 rights;
		} export;
		struct rcu_head rcu;
	};
};

/**
 * struct refslab_handle_table - the handles of one open file
 * @xa: handle number -> struct refslab_handle, looked up under RCU; its
 *	lock also guards each handle's @export
 * @next: where the cyclic allocation of handle numbers goes on
 * @exports_cached: handles that keep an exported file (under the lock)
 */
struct refslab_handle_table {
	struct xarray xa;
	u32 next;
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

int refslab_handle_export_find(struct refslab_handle_table *table, u32 hid,
			       u32 *rights, struct file **file,
			       struct refslab_object **obj);
void refslab_handle_export_keep(struct refslab_handle_table *table, u32 hid,
				struct refslab_object *obj, struct file *file,
				u32 rights);

#endif /* _REFSLAB_HANDLE_H */

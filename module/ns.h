/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _REFSLAB_NS_H
#define _REFSLAB_NS_H

#include <linux/atomic.h>
#include <linux/nsproxy.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <linux/xarray.h>

struct ipc_namespace;

/**
 * struct refslab_ns - refslab's state in one IPC namespace
 * @users: one reference for the namespace table, one for each object of
 *	the namespace, one for each operation using it
 * @inum: the IPC namespace's inode number, its key in the table
 * @ipc: the IPC namespace, held as long as this exists
 * @registry: id -> object, for every published object of the namespace
 *	that is not yet released; pinned objects are marked REFSLAB_PINNED.
 *	The slots of ids being created, and of the next id, are reserved.
 * @last_id: the last id handed out; ids count from 1 and are not reused
 * @reserved_ahead: the id whose registry slot the CREATE of the id before
 *	it last reserved ahead (only that CREATE writes that value)
 * @nr_pins: pinned objects of the namespace
 * @watched: id -> struct refslab_watchers, for objects with watches
 * @rcu: frees the state after lockless lookups are done with it
 */
struct refslab_ns {
	refcount_t users;
	unsigned int inum;
	struct ipc_namespace *ipc;
	struct xarray registry;
	atomic64_t last_id;
	atomic64_t reserved_ahead;
	atomic_t nr_pins;
	struct xarray watched;
	struct rcu_head rcu;
};

struct refslab_ns *refslab_ns_get_current(bool create);
struct refslab_ns *refslab_ns_get_by_inum(u64 inum);
struct refslab_ns *refslab_ns_get_next(unsigned long *inum);
void refslab_ns_get_many(struct refslab_ns *rns, unsigned int n);
void refslab_ns_put(struct refslab_ns *rns);
void refslab_ns_put_many(struct refslab_ns *rns, unsigned int n);
unsigned int refslab_ns_list_pinned(u64 after, u64 *inums, unsigned int max);

/* The calling task's IPC namespace. */
static inline struct ipc_namespace *refslab_current_ipc_ns(void)
{
	return current->nsproxy->ipc_ns;
}

/**
 * refslab_ns_is_current() - is this the caller's IPC namespace?
 * @rns: a namespace's state
 *
 * Inline: the device asks it of its file's namespace on every CREATE, and
 * every OPEN and SUBSCRIBE by id.
 *
 * Context: process context.
 * Return: true if the calling task is in @rns's namespace.
 */
static inline bool refslab_ns_is_current(const struct refslab_ns *rns)
{
	return rns->ipc == refslab_current_ipc_ns();
}

int refslab_ns_init(void);
void refslab_ns_exit(void);

#endif /* _REFSLAB_NS_H */

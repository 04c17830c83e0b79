/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between the kernels refslab builds against, in one place.
 */
#ifndef _REFSLAB_COMPAT_H
#define _REFSLAB_COMPAT_H

#include <linux/ipc_namespace.h>
#include <linux/ns_common.h>
#include <linux/proc_ns.h>

/**
 * refslab_get_ipc_ns() - take a reference to an IPC namespace
 * @ns: the namespace, which the caller holds already (e.g. its own)
 *
 * Return: @ns.
 */
static inline struct ipc_namespace *refslab_get_ipc_ns(struct ipc_namespace *ns)
{
	return get_ipc_ns(ns);
}

/**
 * refslab_put_ipc_ns() - drop a reference taken by refslab_get_ipc_ns()
 * @ns: the namespace
 *
 * Debian's 6.12 exports put_ipc_ns() to modules and its 6.1 does not;
 * every namespace's own operations reach the same function on both, so
 * that is the one way used everywhere.  Without CONFIG_IPC_NS there is only the
 * initial namespace, which is never freed and has no operations.
 *
 * Context: process context; does not sleep.
 */
static inline void refslab_put_ipc_ns(struct ipc_namespace *ns)
{
	if (IS_ENABLED(CONFIG_IPC_NS))
		ns->ns.ops->put(&ns->ns);
}

/**
 * refslab_ipc_ns_unused() - does nothing but refslab hold an IPC namespace?
 * @ns: the namespace
 * @held: references refslab holds
 *
 * A task in the namespace, and a file that names it, hold references of
 * their own, so when refslab's are the only ones left no task can ever
 * enter the namespace again.  (mqueuefs may raise the count for a moment;
 * then the namespace only looks used.)
 *
 * Return: true if the namespace can no longer be entered.
 */
static inline bool refslab_ipc_ns_unused(struct ipc_namespace *ns,
					 unsigned int held)
{
	return IS_ENABLED(CONFIG_IPC_NS) &&
	       ns->ns.inum != PROC_IPC_INIT_INO &&
	       refcount_read(&ns->ns.count) <= held;
}

#endif /* _REFSLAB_COMPAT_H */

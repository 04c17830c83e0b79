// SPDX-License-Identifier: GPL-2.0
/*
 * refslab namespaces: ids are names within one IPC namespace, as SysV IPC
 * ids are, so each IPC namespace that uses refslab has a registry and an
 * id counter of its own, in a struct refslab_ns.
 *
 * A module cannot hang data off a struct ipc_namespace, so the states live
 * in a table keyed by the namespace's inode number, and each holds a
 * reference to its namespace: that keeps the inode number from naming
 * another namespace while the state exists, and keeps the id counter for
 * as long as anyone in the namespace could use an id.
 *
 * A state goes when nothing of it is left and nobody can enter its
 * namespace any more: no object (held or pinned), no operation in
 * progress, no device file that keeps it (a file keeps the state of the
 * first namespace it was used in), and no reference to the namespace but
 * refslab's.  The last put
 * of a state with no users checks that at once; a namespace that still had
 * tasks then is checked again by a deferrable work item, every
 * REFSLAB_NS_GC_DELAY, until it is gone.  The initial namespace's state is
 * made at load and freed at unload.
 *
 * Lock order: the table's xa_lock, then a registry's xa_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include <kunit/visibility.h>
#include "alloc.h"
#include "compat.h"
#include "ns.h"
#include "stats.h"

static DEFINE_XARRAY(refslab_namespaces);

#define REFSLAB_NS_GC_DELAY	HZ

static void refslab_ns_gc(struct work_struct *work);
static DECLARE_DEFERRABLE_WORK(refslab_ns_gc_work, refslab_ns_gc);

static void ns_free(struct refslab_ns *rns)
{
	unsigned long id = 0;

	/* No object is left; the registry's reserved slots may be. */
	WARN_ON_ONCE(xa_find(&rns->registry, &id, ULONG_MAX, XA_PRESENT) ||
		     !xa_empty(&rns->watched));
	xa_destroy(&rns->registry);
	xa_destroy(&rns->watched);
	refslab_put_ipc_ns(rns->ipc);
	refslab_stat_inc(REFSLAB_STAT_NAMESPACES_DESTROYED);
	kfree_rcu(rns, rcu);
}

/*
 * Free @rns if only the table holds it and its namespace can no longer be
 * entered.  Returns true if it was freed; false, with *@used set, if it was
 * left only because its namespace is still in use.  The caller is in an
 * RCU read-side section, so @rns is readable even if another task freed it
 * meanwhile; the table's lock then shows it with no users, and nothing
 * else of it is touched.
 */
static bool ns_try_free(struct refslab_ns *rns, bool *used)
{
	xa_lock(&refslab_namespaces);
	if (refcount_read(&rns->users) != 1)
		goto out_unlock;
	if (!refslab_ipc_ns_unused(rns->ipc, 1)) {
		*used = rns->inum != PROC_IPC_INIT_INO;
		goto out_unlock;
	}
	/* A lookup may have taken a reference meanwhile; then it stays. */
	if (!refcount_dec_if_one(&rns->users))
		goto out_unlock;
	__xa_erase(&refslab_namespaces, rns->inum);
	xa_unlock(&refslab_namespaces);
	ns_free(rns);
	return true;

out_unlock:
	xa_unlock(&refslab_namespaces);
	return false;
}

static void refslab_ns_gc(struct work_struct *work)
{
	struct refslab_ns *rns;
	unsigned long inum;
	bool again = false, used;

	rcu_read_lock();
	xa_for_each(&refslab_namespaces, inum, rns) {
		used = false;
		if (!ns_try_free(rns, &used) && used)
			again = true;
	}
	rcu_read_unlock();
	if (again)
		queue_delayed_work(system_wq, &refslab_ns_gc_work,
				   REFSLAB_NS_GC_DELAY);
}

static struct refslab_ns *ns_alloc(struct ipc_namespace *ipc)
{
	struct refslab_ns *rns;

	rns = kzalloc(sizeof(*rns), REFSLAB_GFP);
	if (!rns)
		return NULL;
	refcount_set(&rns->users, 2);	/* the table's and the caller's */
	rns->inum = ipc->ns.inum;
	rns->ipc = refslab_get_ipc_ns(ipc);
	xa_init(&rns->registry);
	xa_init(&rns->watched);
	return rns;
}

static struct refslab_ns *ns_lookup(unsigned long inum,
				    const struct ipc_namespace *ipc)
{
	struct refslab_ns *rns;

	rcu_read_lock();
	rns = xa_load(&refslab_namespaces, inum);
	if (rns && ((ipc && rns->ipc != ipc) ||
		    !refcount_inc_not_zero(&rns->users)))
		rns = NULL;
	rcu_read_unlock();
	return rns;
}

/**
 * refslab_ns_get_current() - refslab's state in the caller's IPC namespace
 * @create: make it if the namespace has none yet
 *
 * Context: process context; may sleep if @create.
 * Return: the state with a new reference, NULL if there is none and
 * !@create, or ERR_PTR(-ENOMEM).
 */
struct refslab_ns *refslab_ns_get_current(bool create)
{
	struct ipc_namespace *ipc = refslab_current_ipc_ns();
	struct refslab_ns *rns, *old;
	int ret;

	rns = ns_lookup(ipc->ns.inum, ipc);
	if (rns || !create)
		return rns;

	rns = ns_alloc(ipc);
	if (!rns)
		return ERR_PTR(-ENOMEM);
	xa_lock(&refslab_namespaces);
	/* Under the lock every entry has users: a dying one is erased. */
	old = xa_load(&refslab_namespaces, rns->inum);
	if (old) {
		refcount_inc(&old->users);
		xa_unlock(&refslab_namespaces);
		refslab_put_ipc_ns(rns->ipc);
		kfree(rns);
		return old;
	}
	ret = xa_err(__xa_store(&refslab_namespaces, rns->inum, rns,
				REFSLAB_GFP));
	xa_unlock(&refslab_namespaces);
	if (ret) {
		refslab_put_ipc_ns(rns->ipc);
		kfree(rns);
		return ERR_PTR(ret);
	}
	refslab_stat_inc(REFSLAB_STAT_NAMESPACES_CREATED);
	return rns;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_ns_get_current);

/**
 * refslab_ns_get_by_inum() - refslab's state in an IPC namespace, by number
 * @inum: the namespace's inode number
 *
 * For the initial namespace's administrator, who may reach every namespace.
 *
 * Context: any context.
 * Return: the state with a new reference, or NULL.
 */
struct refslab_ns *refslab_ns_get_by_inum(u64 inum)
{
	if (inum > UINT_MAX)
		return NULL;
	return ns_lookup(inum, NULL);
}

/**
 * refslab_ns_get_next() - walk the namespaces in inode number order
 * @inum: the first number to consider; set to that of the state returned
 *
 * Context: any context.
 * Return: the state with the lowest number at or above *@inum, with a new
 * reference, or NULL.
 */
struct refslab_ns *refslab_ns_get_next(unsigned long *inum)
{
	struct refslab_ns *rns;

	rcu_read_lock();
	for (;;) {
		rns = xa_find(&refslab_namespaces, inum, UINT_MAX, XA_PRESENT);
		if (!rns || refcount_inc_not_zero(&rns->users))
			break;
		(*inum)++;
	}
	rcu_read_unlock();
	return rns;
}

/**
 * refslab_ns_get_many() - take more references to a namespace's state
 * @rns: the state, held
 * @n: how many
 *
 * Context: any context.
 */
void refslab_ns_get_many(struct refslab_ns *rns, unsigned int n)
{
	refcount_add(n, &rns->users);
}

/**
 * refslab_ns_put_many() - drop references to a namespace's state
 * @rns: the state
 * @n: how many, at least 1
 *
 * When only the table's reference is left, the state goes if its namespace
 * can no longer be entered.
 *
 * Context: process context, also under rcu_read_lock(); not in softirq.
 */
void refslab_ns_put_many(struct refslab_ns *rns, unsigned int n)
{
	bool used = false;

	rcu_read_lock();
	/* The table holds a reference of its own: never the last one. */
	WARN_ON_ONCE(refcount_sub_and_test(n, &rns->users));
	/* Whoever leaves the count at 1 sees it, so the lock is rarely taken. */
	if (refcount_read(&rns->users) == 1 && !ns_try_free(rns, &used) &&
	    used)
		queue_delayed_work(system_wq, &refslab_ns_gc_work,
				   REFSLAB_NS_GC_DELAY);
	rcu_read_unlock();
}
EXPORT_SYMBOL_IF_KUNIT(refslab_ns_put_many);

/**
 * refslab_ns_put() - drop a reference to a namespace's state
 * @rns: the state
 *
 * Context: process context, also under rcu_read_lock(); not in softirq.
 */
void refslab_ns_put(struct refslab_ns *rns)
{
	refslab_ns_put_many(rns, 1);
}
EXPORT_SYMBOL_IF_KUNIT(refslab_ns_put);

/**
 * refslab_ns_list_pinned() - IPC namespaces that hold pinned objects
 * @after: list only inode numbers above this one
 * @inums: array to fill, in increasing order
 * @max: capacity of @inums
 *
 * Context: any context.
 * Return: the number of inode numbers written.
 */
unsigned int refslab_ns_list_pinned(u64 after, u64 *inums, unsigned int max)
{
	unsigned long inum = after + 1;
	struct refslab_ns *rns;
	unsigned int n = 0;

	if (after >= UINT_MAX)
		return 0;
	rcu_read_lock();
	xa_for_each_start(&refslab_namespaces, inum, rns, after + 1) {
		if (n == max)
			break;
		if (atomic_read(&rns->nr_pins))
			inums[n++] = inum;
	}
	rcu_read_unlock();
	return n;
}

/**
 * refslab_ns_init() - make the initial IPC namespace's state
 *
 * It lives as long as the module, so namespaces_live counts it from load
 * on and the initial namespace's ids never start over.
 *
 * Context: process context, module init.
 * Return: 0 or -ENOMEM.
 */
int refslab_ns_init(void)
{
	struct refslab_ns *rns;
	int ret;

	rns = ns_alloc(init_task.nsproxy->ipc_ns);
	if (!rns)
		return -ENOMEM;
	refcount_set(&rns->users, 1);	/* the table's alone */
	ret = xa_err(xa_store(&refslab_namespaces, rns->inum, rns, GFP_KERNEL));
	if (ret) {
		refslab_put_ipc_ns(rns->ipc);
		kfree(rns);
		return ret;
	}
	refslab_stat_inc(REFSLAB_STAT_NAMESPACES_CREATED);
	return 0;
}

/**
 * refslab_ns_exit() - free every namespace's state
 *
 * Context: process context, module exit, once every object is reclaimed.
 */
void refslab_ns_exit(void)
{
	struct refslab_ns *rns;
	unsigned long inum;

	cancel_delayed_work_sync(&refslab_ns_gc_work);
	xa_for_each(&refslab_namespaces, inum, rns) {
		WARN_ON(refcount_read(&rns->users) != 1);
		xa_erase(&refslab_namespaces, inum);
		ns_free(rns);
	}
	xa_destroy(&refslab_namespaces);
}

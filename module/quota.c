// SPDX-License-Identifier: GPL-2.0
/*
 * refslab quotas: per-user limits on objects, payload bytes, pins and
 * watches, larger ones for privileged callers, and one global object limit.
 * All limits are module parameters that root may change at run time.
 *
 * A user is a uid as seen in one user namespace, and what is charged to it
 * is charged again to the namespace's owner one level up, and so on to the
 * initial namespace, as the kernel's ucounts do: every level is held to the
 * same limits, so a user who maps many uids into a namespace of its own
 * still has one quota in all.  Each (namespace, uid) pair that has something
 * charged has a struct refslab_charge; an object points at the one of its
 * owner, and every entry at its parent, so returning a charge walks
 * pointers and looks nothing up.
 *
 * A charge is taken before the object is built and returned when the
 * object is released (its last reference dropped), not when its memory is
 * reclaimed a grace period later, so a create/release loop never fails on
 * memory that is only waiting for RCU.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bits.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/refcount.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/user_namespace.h>

#include <kunit/visibility.h>
#include "alloc.h"
#include "quota.h"
#include "stats.h"

static unsigned int max_objects = 2000000;
static unsigned int user_max_objects = 10000;
static unsigned int user_max_bytes = 16 << 20;
static unsigned int priv_max_objects = 2000000;
static unsigned int priv_max_bytes = 1U << 30;
static unsigned int user_max_pins = 100;
static unsigned int priv_max_pins = 1000000;
static unsigned int user_max_watches = 8192;
static unsigned int priv_max_watches = 1U << 20;

/* Object limits above this are refused: far more than memory allows. */
#define REFSLAB_OBJECTS_CEILING	BIT(26)

/*
 * Every limit is a decimal or 0x-prefixed number; anything else, including
 * a number too large for the limit, is refused with EINVAL and changes
 * nothing.
 */
static int set_limit(const char *val, const struct kernel_param *kp,
		     unsigned int max)
{
	unsigned int limit;

	if (kstrtouint(val, 0, &limit) || limit > max)
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, limit);
	return 0;
}

static int set_object_limit(const char *val, const struct kernel_param *kp)
{
	return set_limit(val, kp, REFSLAB_OBJECTS_CEILING);
}

static int set_byte_limit(const char *val, const struct kernel_param *kp)
{
	return set_limit(val, kp, UINT_MAX);
}

static const struct kernel_param_ops object_limit_ops = {
	.set = set_object_limit,
	.get = param_get_uint,
};

static const struct kernel_param_ops byte_limit_ops = {
	.set = set_byte_limit,
	.get = param_get_uint,
};

module_param_cb(max_objects, &object_limit_ops, &max_objects, 0644);
MODULE_PARM_DESC(max_objects, "Most live objects over all users");
module_param_cb(user_max_objects, &object_limit_ops, &user_max_objects, 0644);
MODULE_PARM_DESC(user_max_objects, "Most live objects per unprivileged user");
module_param_cb(user_max_bytes, &byte_limit_ops, &user_max_bytes, 0644);
MODULE_PARM_DESC(user_max_bytes, "Most payload bytes per unprivileged user");
module_param_cb(priv_max_objects, &object_limit_ops, &priv_max_objects, 0644);
MODULE_PARM_DESC(priv_max_objects,
		 "Most live objects per user, for CAP_SYS_RESOURCE creators");
module_param_cb(priv_max_bytes, &byte_limit_ops, &priv_max_bytes, 0644);
MODULE_PARM_DESC(priv_max_bytes,
		 "Most payload bytes per user, for CAP_SYS_RESOURCE creators");
module_param_cb(user_max_pins, &object_limit_ops, &user_max_pins, 0644);
MODULE_PARM_DESC(user_max_pins, "Most pinned objects per unprivileged user");
module_param_cb(priv_max_pins, &object_limit_ops, &priv_max_pins, 0644);
MODULE_PARM_DESC(priv_max_pins,
		 "Most pinned objects per user, for CAP_SYS_RESOURCE callers");
module_param_cb(user_max_watches, &object_limit_ops, &user_max_watches, 0644);
MODULE_PARM_DESC(user_max_watches, "Most pending watches per unprivileged user");
module_param_cb(priv_max_watches, &object_limit_ops, &priv_max_watches, 0644);
MODULE_PARM_DESC(priv_max_watches,
		 "Most pending watches per user, for CAP_SYS_RESOURCE callers");

/**
 * struct refslab_charge - what one user of one user namespace is charged
 * @node: in refslab_charges, keyed by @ns and @uid
 * @ns: the user namespace, held
 * @uid: the user
 * @parent: the entry of @ns's owner in @ns's parent; NULL in the initial
 *	namespace
 * @refs: objects and watches charged here directly, and child entries
 * @objects: objects charged here, directly or from the namespaces below
 * @bytes: their payload bytes
 * @pins: pinned objects among them
 * @watches: pending watches charged here, directly or from below
 * @rcu: frees the entry after lockless readers are done with it
 *
 * The table, @pins and @watches are protected by refslab_users_lock.
 * @objects and @bytes change without it: a charge adds to every level
 * and takes its adds back if one passes a limit, as the kernel's page
 * counters do, so two users charging near a limit at once may both be
 * refused where one of them would have fitted.  @refs drops to zero only
 * under the lock, which then takes the entry out of the table, so an
 * entry found in the table under the lock has references, and one found
 * under RCU is taken only if it still has.  @uid never changes, and an
 * entry is freed a grace period after it leaves the table, so an
 * object's owner can be read under RCU through the entry.
 */
struct refslab_charge {
	struct hlist_node node;
	struct user_namespace *ns;
	kuid_t uid;
	struct refslab_charge *parent;
	refcount_t refs;
	atomic_t objects;
	atomic64_t bytes;
	unsigned int pins;
	unsigned int watches;
	struct rcu_head rcu;
};

static DEFINE_HASHTABLE(refslab_charges, 6);
static DEFINE_SPINLOCK(refslab_users_lock);
static atomic_t refslab_total_objects = ATOMIC_INIT(0);
static atomic_t refslab_peak_objects = ATOMIC_INIT(0);

/* User namespaces nest at most this deep (the kernel's own limit). */
#define REFSLAB_USERNS_DEPTH	33

static u32 charge_hash(const struct user_namespace *ns, kuid_t uid)
{
	return hash_ptr(ns, 32) ^ __kuid_val(uid);
}

/* The entry of (@ns, @uid), under the lock or RCU. */
static struct refslab_charge *charge_lookup(const struct user_namespace *ns,
					    kuid_t uid)
{
	struct refslab_charge *c;

	hash_for_each_possible_rcu(refslab_charges, c, node,
				   charge_hash(ns, uid),
				   lockdep_is_held(&refslab_users_lock))
		if (c->ns == ns && uid_eq(c->uid, uid))
			return c;
	return NULL;
}

/*
 * Take a reference to the entry of (@ns, @uid), building it and the missing
 * levels above it from @spares.  NULL if the spares ran out (nothing is
 * taken then).
 */
static struct refslab_charge *charge_get(struct user_namespace *ns, kuid_t uid,
					 struct refslab_charge **spares,
					 unsigned int *nr_spares)
{
	struct refslab_charge *c, *parent = NULL;

	lockdep_assert_held(&refslab_users_lock);
	c = charge_lookup(ns, uid);
	if (c) {
		refcount_inc(&c->refs);
		return c;
	}
	if (*nr_spares < (unsigned int)ns->level + 1)
		return NULL;
	if (ns->parent)
		parent = charge_get(ns->parent, ns->owner, spares, nr_spares);
	c = spares[--*nr_spares];
	c->ns = get_user_ns(ns);
	c->uid = uid;
	c->parent = parent;
	refcount_set(&c->refs, 1);
	hash_add_rcu(refslab_charges, &c->node, charge_hash(ns, uid));
	return c;
}

/*
 * Drop a reference; entries left with none leave the table, each dropping
 * its reference to its parent.  Returns how many entries, from @c upwards,
 * the caller must free with charges_free() once the lock is dropped.
 */
static unsigned int charge_put(struct refslab_charge *c)
{
	unsigned int dead = 0;

	lockdep_assert_held(&refslab_users_lock);
	while (c && refcount_dec_and_test(&c->refs)) {
		hash_del_rcu(&c->node);
		dead++;
		c = c->parent;
	}
	return dead;
}

static void charges_free(struct refslab_charge *c, unsigned int dead)
{
	struct refslab_charge *parent;

	while (dead--) {
		parent = c->parent;
		put_user_ns(c->ns);
		kfree_rcu(c, rcu);
		c = parent;
	}
}

static void charge_put_unlock(struct refslab_charge *c)
	__releases(&refslab_users_lock)
{
	unsigned int dead = charge_put(c);

	spin_unlock(&refslab_users_lock);
	charges_free(c, dead);
}

/* Drop a reference without the lock, unless it may be the last one. */
static void charge_put_fast(struct refslab_charge *c)
{
	if (refcount_dec_not_one(&c->refs))
		return;
	spin_lock(&refslab_users_lock);
	charge_put_unlock(c);
}

/*
 * charge_get_lock() when an entry of the chain is missing: it allocates
 * what the chain needs with the lock dropped, and tries again.
 */
static noinline struct refslab_charge *
charge_get_slow(struct user_namespace *ns, kuid_t uid)
	__must_hold(&refslab_users_lock)
{
	struct refslab_charge *spares[REFSLAB_USERNS_DEPTH] = {}, *c;
	unsigned int nr = 0, i;

	while (!(c = charge_get(ns, uid, spares, &nr))) {
		spin_unlock(&refslab_users_lock);
		/* A level is missing: enough for the whole chain, then again. */
		for (; nr <= (unsigned int)ns->level; nr++) {
			spares[nr] = kzalloc(sizeof(*spares[nr]), REFSLAB_GFP);
			if (!spares[nr])
				break;
		}
		spin_lock(&refslab_users_lock);
		if (nr <= (unsigned int)ns->level)
			break;
	}
	/* What the chain did not need; kfree() does not sleep. */
	for (i = 0; i < nr; i++)
		kfree(spares[i]);
	return c;
}

/*
 * Take a reference to the entry of @uid in the current user namespace.
 * Returns with refslab_users_lock held, also when it fails (NULL: out of
 * memory).
 */
static struct refslab_charge *charge_get_lock(kuid_t uid)
	__acquires(&refslab_users_lock)
{
	struct user_namespace *ns = current_user_ns();
	struct refslab_charge *c;
	unsigned int nr = 0;

	spin_lock(&refslab_users_lock);
	/* The usual case: the user's entry is there, nothing to allocate. */
	c = charge_get(ns, uid, NULL, &nr);
	if (!c)
		c = charge_get_slow(ns, uid);
	return c;
}

/*
 * Take a reference to the entry of @uid in the current user namespace
 * without the lock, if it is there and not going; else with it.  NULL if
 * out of memory.
 */
static struct refslab_charge *charge_get_fast(kuid_t uid)
{
	struct refslab_charge *c;

	rcu_read_lock();
	c = charge_lookup(current_user_ns(), uid);
	if (c && !refcount_inc_not_zero(&c->refs))
		c = NULL;
	rcu_read_unlock();
	if (c)
		return c;
	c = charge_get_lock(uid);
	spin_unlock(&refslab_users_lock);
	return c;
}

/* The limits a charge is held to. */
struct refslab_limits {
	unsigned int objects;
	unsigned int pins;
	unsigned int watches;
	u64 bytes;
};

static void limits_read(struct refslab_limits *l, bool privileged)
{
	if (privileged) {
		l->objects = READ_ONCE(priv_max_objects);
		l->bytes = READ_ONCE(priv_max_bytes);
		l->pins = READ_ONCE(priv_max_pins);
		l->watches = READ_ONCE(priv_max_watches);
	} else {
		l->objects = READ_ONCE(user_max_objects);
		l->bytes = READ_ONCE(user_max_bytes);
		l->pins = READ_ONCE(user_max_pins);
		l->watches = READ_ONCE(user_max_watches);
	}
}

/*
 * Take @n objects of @bytes in all off every level from @c up to, not
 * including, @stop.
 */
static void objects_sub(struct refslab_charge *c,
			const struct refslab_charge *stop, unsigned int n,
			u64 bytes)
{
	for (; c != stop; c = c->parent) {
		atomic64_sub(bytes, &c->bytes);
		atomic_sub(n, &c->objects);
	}
}

/*
 * Add @n objects of @bytes in all to every level from @c up to, not
 * including, @stop, unless a level would pass @l: then nothing is added.
 * No lock.
 */
static bool objects_try(struct refslab_charge *c,
			const struct refslab_charge *stop, unsigned int n,
			u64 bytes, const struct refslab_limits *l)
{
	struct refslab_charge *p;

	for (p = c; p != stop; p = p->parent) {
		if ((unsigned int)atomic_add_return(n, &p->objects) > l->objects)
			goto undo_objects;
		if ((u64)atomic64_add_return(bytes, &p->bytes) > l->bytes)
			goto undo_bytes;
	}
	return true;

undo_bytes:
	atomic64_sub(bytes, &p->bytes);
undo_objects:
	atomic_sub(n, &p->objects);
	objects_sub(c, p, n, bytes);
	return false;
}

/* Count @n more objects over all users, within max_objects.  No lock. */
static bool total_try(unsigned int n)
{
	int total = atomic_add_return(n, &refslab_total_objects);
	int peak;

	if ((unsigned int)total > READ_ONCE(max_objects)) {
		atomic_sub(n, &refslab_total_objects);
		return false;
	}
	peak = atomic_read(&refslab_peak_objects);
	while (total > peak &&
	       !atomic_try_cmpxchg_relaxed(&refslab_peak_objects, &peak, total))
		;
	return true;
}

/* Do @pins and @watches more fit every level from @c up to @stop? */
static bool counts_fit(const struct refslab_charge *c,
		       const struct refslab_charge *stop, unsigned int pins,
		       unsigned int watches, const struct refslab_limits *l)
{
	lockdep_assert_held(&refslab_users_lock);
	for (; c != stop; c = c->parent)
		if ((pins && c->pins + pins > l->pins) ||
		    (watches && c->watches + watches > l->watches))
			return false;
	return true;
}

static void counts_add(struct refslab_charge *c,
		       const struct refslab_charge *stop, int pins, int watches)
{
	lockdep_assert_held(&refslab_users_lock);
	for (; c != stop; c = c->parent) {
		c->pins += pins;
		c->watches += watches;
	}
}

/*
 * Charge @n objects of @bytes in all to the chain of @c, within the
 * unprivileged limits or, when those refuse and the caller has
 * CAP_SYS_RESOURCE, the privileged ones.  capable() is asked only then,
 * so unprivileged callers are not audited for a privilege they did not
 * need, and a privileged caller may use the larger of the two limits.
 * No lock.
 */
static int object_charge(struct refslab_charge *c, unsigned int n, u64 bytes)
{
	struct refslab_limits l;
	bool privileged = false;

	for (;;) {
		limits_read(&l, privileged);
		/* The user's levels first: the peak counts only charges made. */
		if (objects_try(c, NULL, n, bytes, &l)) {
			if (total_try(n))
				return 0;
			objects_sub(c, NULL, n, bytes);
		}
		if (privileged || !capable(CAP_SYS_RESOURCE))
			break;
		privileged = true;
	}
	refslab_stat_inc(REFSLAB_STAT_QUOTA_DENIALS);
	return -EDQUOT;
}

/*
 * Charge @pins and @watches to the chain of @c, with the privileged
 * fallback of object_charge().  Called and returns with the lock held;
 * it is dropped around capable().
 */
static int counts_charge_locked(struct refslab_charge *c, unsigned int pins,
				unsigned int watches)
	__must_hold(&refslab_users_lock)
{
	struct refslab_limits l;
	bool privileged = false;

	for (;;) {
		limits_read(&l, privileged);
		if (counts_fit(c, NULL, pins, watches, &l)) {
			counts_add(c, NULL, pins, watches);
			return 0;
		}
		if (privileged)
			break;
		spin_unlock(&refslab_users_lock);
		privileged = capable(CAP_SYS_RESOURCE);
		spin_lock(&refslab_users_lock);
		if (!privileged)
			break;
	}
	refslab_stat_inc(REFSLAB_STAT_QUOTA_DENIALS);
	return -EDQUOT;
}

/**
 * refslab_quota_charge_many() - charge objects to the calling user
 * @n: how many objects, at least 1
 * @bytes: their payload sizes, summed
 *
 * The objects belong to the caller's fsuid; they are charged there, in
 * the caller's user namespace, and at every level above, all or none.
 * Once the user's entry exists, without a lock.
 *
 * Context: process context; may sleep.
 * Return: the charge, with a reference for each object, which it keeps
 * until refslab_quota_uncharge_many(); ERR_PTR(-EDQUOT) if a limit would
 * be exceeded, ERR_PTR(-ENOMEM).
 */
struct refslab_charge *refslab_quota_charge_many(unsigned int n, u64 bytes)
{
	struct refslab_charge *c;
	int ret;

	c = charge_get_fast(current_fsuid());
	if (!c)
		return ERR_PTR(-ENOMEM);
	ret = object_charge(c, n, bytes);
	if (ret) {
		charge_put_fast(c);
		return ERR_PTR(ret);
	}
	if (n > 1)
		refcount_add(n - 1, &c->refs);
	return c;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_quota_charge_many);

/**
 * refslab_quota_charge() - charge one object to the calling user
 * @bytes: the object's payload size
 *
 * Context: process context; may sleep.
 * Return: as refslab_quota_charge_many().
 */
struct refslab_charge *refslab_quota_charge(unsigned int bytes)
{
	return refslab_quota_charge_many(1, bytes);
}
EXPORT_SYMBOL_IF_KUNIT(refslab_quota_charge);

/**
 * refslab_quota_uncharge_many() - return objects' charges
 * @charge: the charge of each, from refslab_quota_charge_many() or
 *	refslab_quota_transfer()
 * @n: how many objects, at least 1
 * @bytes: their payload sizes, summed
 *
 * Context: process context, also under rcu_read_lock(); not in softirq.
 */
void refslab_quota_uncharge_many(struct refslab_charge *charge,
				 unsigned int n, u64 bytes)
{
	objects_sub(charge, NULL, n, bytes);
	atomic_sub(n, &refslab_total_objects);
	/* Every object held a reference, so n - 1 of them are not the last. */
	if (n > 1 && WARN_ON_ONCE(refcount_sub_and_test(n - 1, &charge->refs)))
		return;
	charge_put_fast(charge);
}
EXPORT_SYMBOL_IF_KUNIT(refslab_quota_uncharge_many);

/**
 * refslab_quota_uncharge() - return one object's charge
 * @charge: from refslab_quota_charge() or refslab_quota_transfer()
 * @bytes: the same payload size
 *
 * Context: process context, also under rcu_read_lock(); not in softirq.
 */
void refslab_quota_uncharge(struct refslab_charge *charge, unsigned int bytes)
{
	refslab_quota_uncharge_many(charge, 1, bytes);
}
EXPORT_SYMBOL_IF_KUNIT(refslab_quota_uncharge);

/* The first entry of @c's chain that is also in @other's, or NULL. */
static struct refslab_charge *chains_meet(struct refslab_charge *c,
					  const struct refslab_charge *other)
{
	const struct refslab_charge *o;

	for (; c; c = c->parent)
		for (o = other; o; o = o->parent)
			if (o == c)
				return c;
	return NULL;
}

/**
 * refslab_quota_transfer() - move an object's charge to a new owner
 * @from: the object's charge
 * @uid: the new owner, a uid of the caller's user namespace
 * @bytes: the object's payload size
 * @pinned: the object is pinned, so its pin moves too
 *
 * Only the levels the two chains do not share change, and the global
 * object count not at all: the object is never counted twice.
 *
 * Context: process context; may sleep.
 * Return: the new charge (the old one is dropped), ERR_PTR(-EDQUOT) if the
 * new owner's limits refuse (the old charge is kept), ERR_PTR(-ENOMEM).
 */
struct refslab_charge *refslab_quota_transfer(struct refslab_charge *from,
					      kuid_t uid, unsigned int bytes,
					      bool pinned)
{
	struct refslab_charge *to, *meet;
	struct refslab_limits l;
	bool privileged = false;

	to = charge_get_lock(uid);
	if (!to) {
		spin_unlock(&refslab_users_lock);
		return ERR_PTR(-ENOMEM);
	}
	meet = chains_meet(to, from);
	for (;;) {
		limits_read(&l, privileged);
		if (counts_fit(to, meet, pinned, 0, &l) &&
		    objects_try(to, meet, 1, bytes, &l))
			break;
		if (!privileged) {
			spin_unlock(&refslab_users_lock);
			privileged = capable(CAP_SYS_RESOURCE);
			spin_lock(&refslab_users_lock);
			if (privileged)
				continue;
		}
		refslab_stat_inc(REFSLAB_STAT_QUOTA_DENIALS);
		charge_put_unlock(to);
		return ERR_PTR(-EDQUOT);
	}
	counts_add(to, meet, pinned, 0);
	counts_add(from, meet, -(int)pinned, 0);
	objects_sub(from, meet, 1, bytes);
	charge_put_unlock(from);
	return to;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_quota_transfer);

/**
 * refslab_quota_charge_pin() - charge one pin to an object's owner
 * @charge: the object's charge
 *
 * Context: process context; may sleep.
 * Return: 0, or -EDQUOT if a pin limit would be exceeded.
 */
int refslab_quota_charge_pin(struct refslab_charge *charge)
{
	int ret;

	spin_lock(&refslab_users_lock);
	ret = counts_charge_locked(charge, 1, 0);
	spin_unlock(&refslab_users_lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_quota_charge_pin);

/**
 * refslab_quota_uncharge_pin() - return one pin's charge
 * @charge: the charge refslab_quota_charge_pin() was given
 *
 * Context: process context.
 */
void refslab_quota_uncharge_pin(struct refslab_charge *charge)
{
	spin_lock(&refslab_users_lock);
	counts_add(charge, NULL, -1, 0);
	spin_unlock(&refslab_users_lock);
}
EXPORT_SYMBOL_IF_KUNIT(refslab_quota_uncharge_pin);

/**
 * refslab_quota_charge_watch() - charge one watch to the calling user
 *
 * Context: process context; may sleep.
 * Return: the charge, which the watch keeps until
 * refslab_quota_uncharge_watch(); ERR_PTR(-EDQUOT) or ERR_PTR(-ENOMEM).
 */
struct refslab_charge *refslab_quota_charge_watch(void)
{
	struct refslab_charge *c;
	int ret;

	c = charge_get_lock(current_fsuid());
	if (!c) {
		spin_unlock(&refslab_users_lock);
		return ERR_PTR(-ENOMEM);
	}
	ret = counts_charge_locked(c, 0, 1);
	if (ret) {
		charge_put_unlock(c);
		return ERR_PTR(ret);
	}
	spin_unlock(&refslab_users_lock);
	return c;
}

/**
 * refslab_quota_uncharge_watch() - return one watch's charge
 * @charge: from refslab_quota_charge_watch()
 *
 * Context: process context.
 */
void refslab_quota_uncharge_watch(struct refslab_charge *charge)
{
	spin_lock(&refslab_users_lock);
	counts_add(charge, NULL, 0, -1);
	charge_put_unlock(charge);
}

/**
 * refslab_charge_uid() - the user a charge is for
 * @charge: a charge, held, or read under RCU from a pointer to it
 *
 * Context: any context.
 * Return: the uid, which never changes.
 */
kuid_t refslab_charge_uid(const struct refslab_charge *charge)
{
	return charge->uid;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_charge_uid);

/**
 * refslab_quota_usage() - read what is charged to a user of a namespace
 * @ns: the user namespace
 * @uid: the user
 * @usage: filled in; zero for a user with nothing charged
 *
 * Context: process context.
 * Return: 0, or -ENOENT if nothing is charged to that user there.
 */
int refslab_quota_usage(struct user_namespace *ns, kuid_t uid,
			struct refslab_usage *usage)
{
	struct refslab_charge *c;

	spin_lock(&refslab_users_lock);
	c = charge_lookup(ns, uid);
	*usage = (struct refslab_usage){};
	if (c)
		*usage = (struct refslab_usage){
			.objects = atomic_read(&c->objects),
			.pins = c->pins,
			.watches = c->watches,
			.bytes = atomic64_read(&c->bytes),
		};
	spin_unlock(&refslab_users_lock);
	return c ? 0 : -ENOENT;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_quota_usage);

/**
 * refslab_quota_total_objects() - live objects charged over all users
 *
 * Context: process context.
 * Return: the number of charged objects.
 */
unsigned int refslab_quota_total_objects(void)
{
	return atomic_read(&refslab_total_objects);
}
EXPORT_SYMBOL_IF_KUNIT(refslab_quota_total_objects);

/**
 * refslab_quota_show() - print every user's usage against the limits
 * @m: the seq_file of the debugfs "users" file
 *
 * One line per user namespace and uid with something charged, the user
 * namespace named by its inode number.
 *
 * Context: process context.
 */
void refslab_quota_show(struct seq_file *m)
{
	struct user_namespace *ns = seq_user_ns(m);
	struct refslab_charge *c;
	unsigned int bkt;

	seq_printf(m, "# limits: user objects=%u bytes=%u pins=%u watches=%u; privileged objects=%u bytes=%u pins=%u watches=%u; all users objects=%u\n",
		   READ_ONCE(user_max_objects), READ_ONCE(user_max_bytes),
		   READ_ONCE(user_max_pins), READ_ONCE(user_max_watches),
		   READ_ONCE(priv_max_objects), READ_ONCE(priv_max_bytes),
		   READ_ONCE(priv_max_pins), READ_ONCE(priv_max_watches),
		   READ_ONCE(max_objects));
	seq_puts(m, "userns uid objects bytes pins watches\n");
	spin_lock(&refslab_users_lock);
	hash_for_each(refslab_charges, bkt, c, node)
		seq_printf(m, "%u %u %u %llu %u %u\n", c->ns->ns.inum,
			   from_kuid_munged(ns, c->uid), atomic_read(&c->objects),
			   (u64)atomic64_read(&c->bytes), c->pins, c->watches);
	spin_unlock(&refslab_users_lock);
}

/**
 * refslab_quota_peak_objects() - most objects charged at once so far
 *
 * Context: any context.
 * Return: the peak, counting objects still being built.
 */
unsigned int refslab_quota_peak_objects(void)
{
	return atomic_read(&refslab_peak_objects);
}

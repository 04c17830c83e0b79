// SPDX-License-Identifier: GPL-2.0
/*
 * refslab quotas: per-user limits on objects and payload bytes, larger ones
 * for privileged creators, and one global object limit.  All limits are
 * module parameters that root may change at run time.
 *
 * A user's charge is taken before the object is built and returned when the
 * object is released (its last reference dropped), not when its memory is
 * reclaimed a grace period later, so a create/release loop never fails on
 * memory that is only waiting for RCU.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bits.h>
#include <linux/hashtable.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include <kunit/visibility.h>
#include "object.h"
#include "quota.h"
#include "stats.h"

static unsigned int max_objects = 2000000;
static unsigned int user_max_objects = 10000;
static unsigned int user_max_bytes = 16 << 20;
static unsigned int priv_max_objects = 2000000;
static unsigned int priv_max_bytes = 1U << 30;
static unsigned int user_max_pins = 100;
static unsigned int priv_max_pins = 1000000;

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

/*
 * One entry per user with live objects, freed when its last object goes.
 * Every field, and the table itself, is protected by refslab_users_lock.
 */
struct refslab_user {
	struct hlist_node node;
	kuid_t uid;
	struct refslab_usage usage;
};

static DEFINE_HASHTABLE(refslab_users, 6);
static DEFINE_SPINLOCK(refslab_users_lock);
static unsigned int refslab_total_objects;
static unsigned int refslab_peak_objects;

static struct refslab_user *user_find(kuid_t uid)
{
	struct refslab_user *user;

	lockdep_assert_held(&refslab_users_lock);
	hash_for_each_possible(refslab_users, user, node, __kuid_val(uid))
		if (uid_eq(user->uid, uid))
			return user;
	return NULL;
}

static bool over_limit(const struct refslab_user *user, unsigned int bytes,
		       bool privileged)
{
	unsigned int objects = user ? user->usage.objects : 0;
	u64 used = user ? user->usage.bytes : 0;
	unsigned int max_obj, max_bytes;

	if (privileged) {
		max_obj = READ_ONCE(priv_max_objects);
		max_bytes = READ_ONCE(priv_max_bytes);
	} else {
		max_obj = READ_ONCE(user_max_objects);
		max_bytes = READ_ONCE(user_max_bytes);
	}
	return refslab_total_objects >= READ_ONCE(max_objects) ||
	       objects >= max_obj || used + bytes > max_bytes;
}

/**
 * refslab_quota_charge() - charge one object to a user
 * @uid: the user
 * @bytes: the object's payload size
 * @privileged: apply the privileged limits
 *
 * Context: process context; may sleep.
 * Return: 0 on success, -EDQUOT if a limit would be exceeded, -ENOMEM.
 */
int refslab_quota_charge(kuid_t uid, unsigned int bytes, bool privileged)
{
	struct refslab_user *user, *spare = NULL;
	int ret = 0;

retry:
	spin_lock(&refslab_users_lock);
	user = user_find(uid);
	if (over_limit(user, bytes, privileged)) {
		ret = -EDQUOT;
		goto out_unlock;
	}
	if (!user) {
		if (!spare) {
			spin_unlock(&refslab_users_lock);
			spare = kzalloc(sizeof(*spare), REFSLAB_GFP);
			if (!spare)
				return -ENOMEM;
			goto retry;
		}
		user = spare;
		spare = NULL;
		user->uid = uid;
		hash_add(refslab_users, &user->node, __kuid_val(uid));
	}
	user->usage.objects++;
	user->usage.bytes += bytes;
	refslab_total_objects++;
	if (refslab_total_objects > refslab_peak_objects)
		WRITE_ONCE(refslab_peak_objects, refslab_total_objects);
out_unlock:
	spin_unlock(&refslab_users_lock);
	kfree(spare);
	if (ret == -EDQUOT)
		refslab_stat_inc(REFSLAB_STAT_QUOTA_DENIALS);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_quota_charge);

/**
 * refslab_quota_uncharge() - return one object's charge to its user
 * @uid: the user charged by refslab_quota_charge()
 * @bytes: the same payload size
 *
 * Context: any context but hard interrupt.
 */
void refslab_quota_uncharge(kuid_t uid, unsigned int bytes)
{
	struct refslab_user *user, *unused = NULL;

	spin_lock(&refslab_users_lock);
	user = user_find(uid);
	if (!WARN_ON_ONCE(!user)) {
		user->usage.objects--;
		user->usage.bytes -= bytes;
		if (!user->usage.objects) {
			hash_del(&user->node);
			unused = user;
		}
		refslab_total_objects--;
	}
	spin_unlock(&refslab_users_lock);
	kfree(unused);
}
EXPORT_SYMBOL_IF_KUNIT(refslab_quota_uncharge);

/**
 * refslab_quota_charge_pin() - charge one pin to a user
 * @uid: the owner of the object being pinned; it has live objects, so it
 *	is charged already
 * @privileged: apply the privileged limit
 *
 * Context: any context but hard interrupt.
 * Return: 0, or -EDQUOT if the user's pin limit would be exceeded.
 */
int refslab_quota_charge_pin(kuid_t uid, bool privileged)
{
	unsigned int max = privileged ? READ_ONCE(priv_max_pins) :
					READ_ONCE(user_max_pins);
	struct refslab_user *user;
	int ret = 0;

	spin_lock(&refslab_users_lock);
	user = user_find(uid);
	if (WARN_ON_ONCE(!user) || user->usage.pins >= max)
		ret = -EDQUOT;
	else
		user->usage.pins++;
	spin_unlock(&refslab_users_lock);
	if (ret)
		refslab_stat_inc(REFSLAB_STAT_QUOTA_DENIALS);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_quota_charge_pin);

/**
 * refslab_quota_uncharge_pin() - return one pin's charge
 * @uid: the user charged by refslab_quota_charge_pin()
 *
 * Context: any context but hard interrupt.
 */
void refslab_quota_uncharge_pin(kuid_t uid)
{
	struct refslab_user *user;

	spin_lock(&refslab_users_lock);
	user = user_find(uid);
	if (!WARN_ON_ONCE(!user || !user->usage.pins))
		user->usage.pins--;
	spin_unlock(&refslab_users_lock);
}
EXPORT_SYMBOL_IF_KUNIT(refslab_quota_uncharge_pin);

/**
 * refslab_quota_usage() - read what a user's live objects use
 * @uid: the user
 * @usage: filled in; zero for a user with no objects
 *
 * Context: any context but hard interrupt.
 */
void refslab_quota_usage(kuid_t uid, struct refslab_usage *usage)
{
	struct refslab_user *user;

	spin_lock(&refslab_users_lock);
	user = user_find(uid);
	*usage = user ? user->usage : (struct refslab_usage){};
	spin_unlock(&refslab_users_lock);
}
EXPORT_SYMBOL_IF_KUNIT(refslab_quota_usage);

/**
 * refslab_quota_total_objects() - live objects charged over all users
 *
 * Context: any context but hard interrupt.
 * Return: the number of charged objects.
 */
unsigned int refslab_quota_total_objects(void)
{
	unsigned int total;

	spin_lock(&refslab_users_lock);
	total = refslab_total_objects;
	spin_unlock(&refslab_users_lock);
	return total;
}
EXPORT_SYMBOL_IF_KUNIT(refslab_quota_total_objects);

/**
 * refslab_quota_show() - print every user's usage against the limits
 * @m: the seq_file of the debugfs "users" file
 *
 * Context: process context.
 */
void refslab_quota_show(struct seq_file *m)
{
	struct user_namespace *ns = seq_user_ns(m);
	struct refslab_user *user;
	unsigned int bkt;

	seq_printf(m, "# limits: user objects=%u bytes=%u pins=%u; privileged objects=%u bytes=%u pins=%u; all users objects=%u\n",
		   READ_ONCE(user_max_objects), READ_ONCE(user_max_bytes),
		   READ_ONCE(user_max_pins), READ_ONCE(priv_max_objects),
		   READ_ONCE(priv_max_bytes), READ_ONCE(priv_max_pins),
		   READ_ONCE(max_objects));
	seq_puts(m, "uid objects bytes pins\n");
	spin_lock(&refslab_users_lock);
	hash_for_each(refslab_users, bkt, user, node)
		seq_printf(m, "%u %u %llu %u\n",
			   from_kuid_munged(ns, user->uid),
			   user->usage.objects, user->usage.bytes,
			   user->usage.pins);
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
	return READ_ONCE(refslab_peak_objects);
}

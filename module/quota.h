/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _REFSLAB_QUOTA_H
#define _REFSLAB_QUOTA_H

#include <linux/types.h>
#include <linux/uidgid.h>

struct refslab_charge;
struct seq_file;
struct user_namespace;

/**
 * struct refslab_usage - what is charged to one user in one user namespace
 * @objects: live objects, including those created in namespaces below
 * @pins: pinned objects among them
 * @watches: pending watches
 * @bytes: payload bytes of the objects
 */
struct refslab_usage {
	unsigned int objects;
	unsigned int pins;
	unsigned int watches;
	u64 bytes;
};

struct refslab_charge *refslab_quota_charge(unsigned int bytes);
struct refslab_charge *refslab_quota_charge_many(unsigned int n, u64 bytes);
void refslab_quota_uncharge(struct refslab_charge *charge, unsigned int bytes);
void refslab_quota_uncharge_many(struct refslab_charge *charge,
				 unsigned int n, u64 bytes);
struct refslab_charge *refslab_quota_transfer(struct refslab_charge *from,
					      kuid_t uid, unsigned int bytes,
					      bool pinned);
int refslab_quota_charge_pin(struct refslab_charge *charge);
void refslab_quota_uncharge_pin(struct refslab_charge *charge);
struct refslab_charge *refslab_quota_charge_watch(void);
void refslab_quota_uncharge_watch(struct refslab_charge *charge);

kuid_t refslab_charge_uid(const struct refslab_charge *charge);
int refslab_quota_usage(struct user_namespace *ns, kuid_t uid,
			struct refslab_usage *usage);
unsigned int refslab_quota_total_objects(void);
unsigned int refslab_quota_peak_objects(void);
void refslab_quota_show(struct seq_file *m);

#endif /* _REFSLAB_QUOTA_H */

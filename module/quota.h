/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _REFSLAB_QUOTA_H
#define _REFSLAB_QUOTA_H

#include <linux/types.h>
#include <linux/uidgid.h>

/**
 * struct refslab_usage - what one user's objects use
 * @objects: live objects charged to the user
 * @bytes: payload bytes of those objects
 * @pins: those objects that are pinned
 */
struct refslab_usage {
	unsigned int objects;
	unsigned int pins;
	u64 bytes;
};

int refslab_quota_charge(kuid_t uid, unsigned int bytes, bool privileged);
void refslab_quota_uncharge(kuid_t uid, unsigned int bytes);
int refslab_quota_charge_pin(kuid_t uid, bool privileged);
void refslab_quota_uncharge_pin(kuid_t uid);
void refslab_quota_usage(kuid_t uid, struct refslab_usage *usage);
unsigned int refslab_quota_total_objects(void);
unsigned int refslab_quota_peak_objects(void);

struct seq_file;
void refslab_quota_show(struct seq_file *m);

#endif /* _REFSLAB_QUOTA_H */

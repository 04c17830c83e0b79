/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _REFSLAB_NOTIFY_H
#define _REFSLAB_NOTIFY_H

#include <linux/poll.h>
#include <linux/types.h>

struct file;
struct refslab_notifier;
struct refslab_ns;
struct refslab_watchers;

struct refslab_notifier *refslab_notifier_create(void);
void refslab_notifier_destroy(struct refslab_notifier *notifier);

int refslab_notify_subscribe(struct refslab_notifier *notifier,
			     struct refslab_ns *rns, u64 obj_id, u64 id,
			     u64 cookie);
struct refslab_watchers *refslab_notify_detach(struct refslab_ns *rns, u64 id);
void refslab_notify_reclaimed(struct refslab_watchers *watchers);
void refslab_notify_flush(void);

ssize_t refslab_notifier_read(struct refslab_notifier *notifier,
			      char __user *buf, size_t count, bool nonblock);
__poll_t refslab_notifier_poll(struct refslab_notifier *notifier,
			       struct file *file, poll_table *wait);

#endif /* _REFSLAB_NOTIFY_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * refslab release notifications.
 *
 * A file subscribes to an object it holds; when the object is reclaimed,
 * an event record is queued on the file's notifier, which read() and poll()
 * on the file serve.
 *
 * Watches live in a hash table keyed by object id, and on their notifier's
 * list, both under refslab_watch_lock.  Reclamation runs in an RCU callback
 * (softirq), so process context takes that lock with bottom halves off.  A
 * watch holds a reference to its notifier; the file holds another.  When
 * the file goes, its remaining watches go with it, so a notifier never
 * outlives its file by more than a delivery in progress.
 *
 * The queue is bounded.  Delivery never waits: an event that finds the
 * queue full is only counted, and read() reports the count as one overflow
 * record once there is room.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/hashtable.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <uapi/linux/refslab.h>

#include "notify.h"
#include "object.h"
#include "stats.h"

/**
 * struct refslab_notifier - the event queue of one open file
 * @kref: one reference for the file, one for each watch
 * @lock: protects @events, @head, @count and @lost; taken from softirq
 * @wait: readers and pollers waiting for events
 * @read_mutex: serialises readers, so an event is read once
 * @watches: the file's pending watches (under refslab_watch_lock)
 * @nr_watches: how many, at most REFSLAB_SUBSCRIPTIONS_MAX
 * @events: ring of REFSLAB_EVENTS_MAX records, allocated at the first
 *	subscription
 * @head: index of the oldest record
 * @count: records queued
 * @lost: events that found the queue full, not yet reported
 */
struct refslab_notifier {
	struct kref kref;
	spinlock_t lock;		/* the queue; also taken in softirq */
	wait_queue_head_t wait;
	struct mutex read_mutex;	/* one reader at a time */
	struct list_head watches;
	unsigned int nr_watches;
	struct refslab_event *events;
	unsigned int head;
	unsigned int count;
	unsigned int lost;
};

struct refslab_watch {
	struct hlist_node id_node;
	struct list_head file_node;
	u64 id;
	struct refslab_notifier *notifier;
};

static DEFINE_SPINLOCK(refslab_watch_lock);
static DEFINE_HASHTABLE(refslab_watch_table, 10);
/* Lets reclamation skip the lock when nobody watches anything. */
static atomic_t refslab_nr_watches = ATOMIC_INIT(0);

/**
 * refslab_notifier_create() - make an empty event queue for a file
 *
 * Context: process context; may sleep.
 * Return: the notifier, or NULL when out of memory.
 */
struct refslab_notifier *refslab_notifier_create(void)
{
	struct refslab_notifier *notifier;

	notifier = kzalloc(sizeof(*notifier), REFSLAB_GFP);
	if (!notifier)
		return NULL;
	kref_init(&notifier->kref);
	spin_lock_init(&notifier->lock);
	init_waitqueue_head(&notifier->wait);
	mutex_init(&notifier->read_mutex);
	INIT_LIST_HEAD(&notifier->watches);
	return notifier;
}

static void notifier_free(struct kref *kref)
{
	struct refslab_notifier *notifier =
		container_of(kref, struct refslab_notifier, kref);

	mutex_destroy(&notifier->read_mutex);
	kfree(notifier->events);
	kfree(notifier);
}

static void watch_free(struct refslab_watch *watch)
{
	kref_put(&watch->notifier->kref, notifier_free);
	kfree(watch);
	atomic_dec(&refslab_nr_watches);
}

/**
 * refslab_notifier_destroy() - the file is closing: cancel its watches
 * @notifier: the file's notifier
 *
 * Context: process context.
 */
void refslab_notifier_destroy(struct refslab_notifier *notifier)
{
	struct refslab_watch *watch, *next;
	LIST_HEAD(cancelled);

	spin_lock_bh(&refslab_watch_lock);
	list_for_each_entry_safe(watch, next, &notifier->watches, file_node) {
		hash_del(&watch->id_node);
		list_move(&watch->file_node, &cancelled);
	}
	notifier->nr_watches = 0;
	spin_unlock_bh(&refslab_watch_lock);

	list_for_each_entry_safe(watch, next, &cancelled, file_node)
		watch_free(watch);
	kref_put(&notifier->kref, notifier_free);
}

/**
 * refslab_notify_subscribe() - queue an event when an object is reclaimed
 * @notifier: the subscribing file's notifier
 * @id: the object, which the caller holds, so it is not yet reclaimed
 *
 * Context: process context; may sleep.
 * Return: 0, -ENOMEM, or -EDQUOT if the file has REFSLAB_SUBSCRIPTIONS_MAX
 * watches pending.
 */
int refslab_notify_subscribe(struct refslab_notifier *notifier, u64 id)
{
	struct refslab_event *events = NULL;
	struct refslab_watch *watch;

	if (!READ_ONCE(notifier->events)) {
		events = kcalloc(REFSLAB_EVENTS_MAX, sizeof(*events),
				 REFSLAB_GFP);
		if (!events)
			return -ENOMEM;
	}
	watch = kzalloc(sizeof(*watch), REFSLAB_GFP);
	if (!watch) {
		kfree(events);
		return -ENOMEM;
	}

	spin_lock_bh(&notifier->lock);
	if (!notifier->events) {
		notifier->events = events;
		events = NULL;
	}
	spin_unlock_bh(&notifier->lock);
	kfree(events);

	watch->id = id;
	watch->notifier = notifier;

	spin_lock_bh(&refslab_watch_lock);
	if (notifier->nr_watches >= REFSLAB_SUBSCRIPTIONS_MAX) {
		spin_unlock_bh(&refslab_watch_lock);
		kfree(watch);
		return -EDQUOT;
	}
	notifier->nr_watches++;
	kref_get(&notifier->kref);
	atomic_inc(&refslab_nr_watches);
	hash_add(refslab_watch_table, &watch->id_node, id);
	list_add(&watch->file_node, &notifier->watches);
	spin_unlock_bh(&refslab_watch_lock);
	return 0;
}

static void notifier_queue(struct refslab_notifier *notifier, u64 id,
			   u64 time_ns)
{
	struct refslab_event *event;
	bool queued = false;

	spin_lock(&notifier->lock);
	if (notifier->count < REFSLAB_EVENTS_MAX) {
		event = &notifier->events[(notifier->head + notifier->count) %
					  REFSLAB_EVENTS_MAX];
		*event = (struct refslab_event){
			.id = id,
			.kind = REFSLAB_EVENT_RECLAIMED,
			.count = 1,
			.time_ns = time_ns,
		};
		notifier->count++;
		queued = true;
	} else {
		notifier->lost++;
	}
	spin_unlock(&notifier->lock);

	refslab_stat_inc(queued ? REFSLAB_STAT_EVENTS_QUEUED :
				  REFSLAB_STAT_EVENTS_LOST);
	wake_up_interruptible_poll(&notifier->wait, EPOLLIN | EPOLLRDNORM);
}

/**
 * refslab_notify_reclaimed() - deliver the events of a reclaimed object
 * @id: the object's id
 *
 * Every watch on @id gets its event, once, and is gone.
 *
 * Context: softirq (an RCU callback).
 */
void refslab_notify_reclaimed(u64 id)
{
	struct refslab_watch *watch;
	struct hlist_node *next;
	HLIST_HEAD(fired);
	u64 now;

	if (!atomic_read(&refslab_nr_watches))
		return;

	spin_lock(&refslab_watch_lock);
	hash_for_each_possible_safe(refslab_watch_table, watch, next, id_node,
				    id) {
		if (watch->id != id)
			continue;
		hash_del(&watch->id_node);
		list_del(&watch->file_node);
		watch->notifier->nr_watches--;
		hlist_add_head(&watch->id_node, &fired);
	}
	spin_unlock(&refslab_watch_lock);

	now = ktime_get_ns();
	hlist_for_each_entry_safe(watch, next, &fired, id_node) {
		notifier_queue(watch->notifier, id, now);
		watch_free(watch);
	}
}

static bool notifier_ready(struct refslab_notifier *notifier)
{
	return READ_ONCE(notifier->count) || READ_ONCE(notifier->lost);
}

/*
 * Copy up to @max records from the head of the queue to @out, turning
 * lost events into an overflow record first if the queue is otherwise
 * empty.  Does not consume them.
 */
static unsigned int notifier_peek(struct refslab_notifier *notifier,
				  struct refslab_event *out, unsigned int max)
{
	unsigned int n;

	spin_lock_bh(&notifier->lock);
	if (notifier->lost && notifier->count < REFSLAB_EVENTS_MAX) {
		notifier->events[(notifier->head + notifier->count) %
				 REFSLAB_EVENTS_MAX] = (struct refslab_event){
			.kind = REFSLAB_EVENT_OVERFLOW,
			.count = notifier->lost,
			.time_ns = ktime_get_ns(),
		};
		notifier->count++;
		notifier->lost = 0;
	}
	for (n = 0; n < min(max, notifier->count); n++)
		out[n] = notifier->events[(notifier->head + n) %
					  REFSLAB_EVENTS_MAX];
	spin_unlock_bh(&notifier->lock);
	return n;
}

static void notifier_consume(struct refslab_notifier *notifier,
			     unsigned int n)
{
	spin_lock_bh(&notifier->lock);
	notifier->head = (notifier->head + n) % REFSLAB_EVENTS_MAX;
	notifier->count -= n;
	spin_unlock_bh(&notifier->lock);
}

/* Records copied per pass; read() loops for larger buffers. */
#define REFSLAB_READ_BATCH	8

/**
 * refslab_notifier_read() - read() of event records
 * @notifier: the file's notifier
 * @buf: user buffer
 * @count: its size; only whole records are returned
 * @nonblock: return -EAGAIN rather than wait for an event
 *
 * Context: process context; may sleep.
 * Return: bytes read, -EINVAL for a buffer smaller than one record,
 * -EAGAIN, -ERESTARTSYS or -EFAULT.
 */
ssize_t refslab_notifier_read(struct refslab_notifier *notifier,
			      char __user *buf, size_t count, bool nonblock)
{
	struct refslab_event batch[REFSLAB_READ_BATCH];
	size_t done = 0, len;
	unsigned int n;
	int ret;

	if (count < sizeof(struct refslab_event))
		return -EINVAL;

	ret = mutex_lock_interruptible(&notifier->read_mutex);
	if (ret)
		return ret;
	while (!notifier_ready(notifier)) {
		ret = -EAGAIN;
		if (nonblock)
			goto out_unlock;
		mutex_unlock(&notifier->read_mutex);
		ret = wait_event_interruptible(notifier->wait,
					       notifier_ready(notifier));
		if (ret)
			return ret;
		ret = mutex_lock_interruptible(&notifier->read_mutex);
		if (ret)
			return ret;
	}

	while (count - done >= sizeof(struct refslab_event)) {
		n = notifier_peek(notifier, batch,
				  min_t(size_t, REFSLAB_READ_BATCH,
					(count - done) / sizeof(batch[0])));
		if (!n)
			break;
		len = n * sizeof(batch[0]);
		if (copy_to_user(buf + done, batch, len)) {
			ret = -EFAULT;
			goto out_unlock;
		}
		notifier_consume(notifier, n);
		done += len;
	}
	ret = 0;
out_unlock:
	mutex_unlock(&notifier->read_mutex);
	return done ? done : ret;
}

/**
 * refslab_notifier_poll() - poll() for event records
 * @notifier: the file's notifier
 * @file: the file polled
 * @wait: the poll table
 *
 * Context: process context.
 * Return: EPOLLIN | EPOLLRDNORM when a record can be read, else 0.
 */
__poll_t refslab_notifier_poll(struct refslab_notifier *notifier,
			       struct file *file, poll_table *wait)
{
	poll_wait(file, &notifier->wait, wait);
	return notifier_ready(notifier) ? EPOLLIN | EPOLLRDNORM : 0;
}

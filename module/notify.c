// SPDX-License-Identifier: GPL-2.0
/*
 * refslab release notifications.
 *
 * A file subscribes to an object; when the object is reclaimed, an event
 * record is queued on the file's notifier, which read() and poll() on the
 * file serve.
 *
 * Each subscription is a watch, on two lists: its object's watchers and its
 * file's notifier.  An object's watchers are found through its namespace's
 * @watched table, keyed by id, and only while the object is alive.  Its
 * final put takes them off the table (one erase: no other object's watches
 * are walked), and the RCU callback that frees the object only hands them
 * to a work item.  The work item queues the events from process context,
 * a bounded chunk of watches at a time with a chance to reschedule in
 * between, so no put and no softirq does work in proportion to the number
 * of watches.  Watches are charged to their subscriber's watch quota.
 *
 * Locks: a notifier's @lock protects its list of watches and its queue; a
 * watchers' @lock protects its list.  Closing a file takes both, the
 * notifier's first; delivery takes one at a time.  A watch belongs to
 * whoever takes it off its watchers' list: the closing file, which frees
 * it at once, or the delivery, which frees it once it has queued its event
 * (if the file still wants it).  Nothing here runs in interrupt context.
 *
 * The queue is bounded.  Delivery never waits: an event that finds the
 * queue full is only counted, and read() reports the count as one overflow
 * record once there is room, as often as the queue overflows.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <uapi/linux/refslab.h>

#include "notify.h"
#include "alloc.h"
#include "ns.h"
#include "quota.h"
#include "stats.h"

/**
 * struct refslab_notifier - the event queue of one open file
 * @kref: one reference for the file, one for each watch
 * @lock: protects @watches, @events, @head, @count and @lost
 * @wait: readers and pollers waiting for events
 * @read_mutex: serialises readers, so an event is read once
 * @watches: the file's pending watches
 * @events: ring of REFSLAB_EVENTS_MAX records, allocated at the first
 *	subscription
 * @head: index of the oldest record
 * @count: records queued
 * @lost: events that found the queue full, not yet reported
 */
struct refslab_notifier {
	struct kref kref;
	spinlock_t lock;		/* watches and queue */
	wait_queue_head_t wait;
	struct mutex read_mutex;	/* one reader at a time */
	struct list_head watches;
	struct refslab_event *events;
	unsigned int head;
	unsigned int count;
	unsigned int lost;
};

/**
 * struct refslab_watchers - the watches of one object
 * @lock: protects @watches
 * @watches: watches not yet taken by a closing file or by delivery
 * @fire_node: on refslab_fired, once the object is reclaimed
 *
 * In its namespace's @watched table while the object lives; then owned by
 * the release, and by delivery, which frees it.
 */
struct refslab_watchers {
	spinlock_t lock;		/* watches */
	struct list_head watches;
	struct llist_node fire_node;
};

/**
 * struct refslab_watch - one subscription
 * @obj_node: in its watchers' list, empty once taken off it
 * @file_node: in its notifier's list, empty once the event is queued or the
 *	file has closed
 * @next_fired: delivery's list of the watches it took
 * @notifier: the subscribing file's notifier, held
 * @watchers: the watched object's watchers
 * @charge: the subscriber's watch quota charge
 * @id: the object's id as the subscriber may name it (0 if foreign)
 * @cookie: the subscriber's cookie
 */
struct refslab_watch {
	struct list_head obj_node;
	struct list_head file_node;
	struct refslab_watch *next_fired;
	struct refslab_notifier *notifier;
	struct refslab_watchers *watchers;
	struct refslab_charge *charge;
	u64 id;
	u64 cookie;
};

/* Watches delivered between two chances to reschedule. */
#define REFSLAB_FIRE_CHUNK	64

static LLIST_HEAD(refslab_fired);
static void refslab_notify_work(struct work_struct *work);
static DECLARE_WORK(refslab_fire_work, refslab_notify_work);

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
	unsigned int i, unread = 0;

	/* Events nobody will read are no longer pending. */
	for (i = 0; i < notifier->count; i++)
		if (notifier->events[(notifier->head + i) %
				     REFSLAB_EVENTS_MAX].type ==
		    REFSLAB_EVENT_RECLAIMED)
			unread++;
	refslab_stat_add(REFSLAB_STAT_EVENTS_CONSUMED, unread);
	mutex_destroy(&notifier->read_mutex);
	kfree(notifier->events);
	kfree(notifier);
}

static void watch_free(struct refslab_watch *watch)
{
	refslab_quota_uncharge_watch(watch->charge);
	kref_put(&watch->notifier->kref, notifier_free);
	kfree(watch);
	refslab_stat_inc(REFSLAB_STAT_WATCHES_REMOVED);
}

/**
 * refslab_notifier_destroy() - the file is closing: cancel its watches
 * @notifier: the file's notifier
 *
 * Watches that delivery has already taken are left to it; it frees them
 * without queueing their events.
 *
 * Context: process context; may sleep.
 */
void refslab_notifier_destroy(struct refslab_notifier *notifier)
{
	struct refslab_watch *watch, *next;
	struct refslab_watchers *w;
	LIST_HEAD(cancelled);
	unsigned int n;
	bool own;

	do {
		/* A chunk at a time: a file may hold its user's whole quota. */
		n = 0;
		spin_lock(&notifier->lock);
		list_for_each_entry_safe(watch, next, &notifier->watches,
					 file_node) {
			if (n++ == REFSLAB_FIRE_CHUNK)
				break;
			w = watch->watchers;
			spin_lock(&w->lock);
			own = !list_empty(&watch->obj_node);
			list_del_init(&watch->obj_node);
			spin_unlock(&w->lock);
			list_del_init(&watch->file_node);
			if (own)
				list_add(&watch->file_node, &cancelled);
		}
		spin_unlock(&notifier->lock);

		list_for_each_entry_safe(watch, next, &cancelled, file_node)
			watch_free(watch);
		INIT_LIST_HEAD(&cancelled);
		cond_resched();
	} while (n > REFSLAB_FIRE_CHUNK);
	kref_put(&notifier->kref, notifier_free);
}

static int notifier_alloc_events(struct refslab_notifier *notifier)
{
	struct refslab_event *events;

	if (READ_ONCE(notifier->events))
		return 0;
	events = kcalloc(REFSLAB_EVENTS_MAX, sizeof(*events), REFSLAB_GFP);
	if (!events)
		return -ENOMEM;
	spin_lock(&notifier->lock);
	if (!notifier->events) {
		notifier->events = events;
		events = NULL;
	}
	spin_unlock(&notifier->lock);
	kfree(events);
	return 0;
}

/* The watchers of a live object, made on its first watch. */
static struct refslab_watchers *watchers_get(struct refslab_ns *rns,
					     u64 obj_id)
{
	struct refslab_watchers *w;
	int ret;

	/* While the object lives, only its release takes them off. */
	w = xa_load(&rns->watched, obj_id);
	if (w)
		return w;
	w = kzalloc(sizeof(*w), REFSLAB_GFP);
	if (!w)
		return ERR_PTR(-ENOMEM);
	spin_lock_init(&w->lock);
	INIT_LIST_HEAD(&w->watches);
	ret = xa_insert(&rns->watched, obj_id, w, REFSLAB_GFP);
	if (!ret)
		return w;
	kfree(w);
	if (ret != -EBUSY)
		return ERR_PTR(ret);
	return xa_load(&rns->watched, obj_id);
}

/**
 * refslab_notify_subscribe() - queue an event when an object is reclaimed
 * @notifier: the subscribing file's notifier
 * @rns: the object's namespace
 * @obj_id: the object's id in @rns; the caller holds a reference to the
 *	object, so it is not yet released
 * @id: the id the event reports
 * @cookie: the subscriber's cookie, reported too
 *
 * Context: process context; may sleep.  Not concurrent with the file's
 * refslab_notifier_destroy().
 * Return: 0, -ENOMEM, or -EDQUOT if the caller's watch quota is full.
 */
int refslab_notify_subscribe(struct refslab_notifier *notifier,
			     struct refslab_ns *rns, u64 obj_id, u64 id,
			     u64 cookie)
{
	struct refslab_watchers *w;
	struct refslab_watch *watch;
	int ret;

	ret = notifier_alloc_events(notifier);
	if (ret)
		return ret;
	watch = kzalloc(sizeof(*watch), REFSLAB_GFP);
	if (!watch)
		return -ENOMEM;
	watch->charge = refslab_quota_charge_watch();
	if (IS_ERR(watch->charge)) {
		ret = PTR_ERR(watch->charge);
		goto err_free;
	}
	w = watchers_get(rns, obj_id);
	if (IS_ERR(w)) {
		ret = PTR_ERR(w);
		goto err_uncharge;
	}

	kref_get(&notifier->kref);
	watch->notifier = notifier;
	watch->watchers = w;
	watch->id = id;
	watch->cookie = cookie;
	spin_lock(&w->lock);
	list_add_tail(&watch->obj_node, &w->watches);
	spin_unlock(&w->lock);
	spin_lock(&notifier->lock);
	list_add_tail(&watch->file_node, &notifier->watches);
	spin_unlock(&notifier->lock);
	refslab_stat_inc(REFSLAB_STAT_WATCHES_ADDED);
	return 0;

err_uncharge:
	refslab_quota_uncharge_watch(watch->charge);
err_free:
	kfree(watch);
	return ret;
}

/**
 * refslab_notify_detach() - take a released object's watchers
 * @rns: the object's namespace
 * @id: the object's id
 *
 * Context: process context, from the object's final put.
 * Return: the watchers, to hand to refslab_notify_reclaimed() once the
 * object is freed, or NULL if there are none.
 */
struct refslab_watchers *refslab_notify_detach(struct refslab_ns *rns, u64 id)
{
	struct refslab_watchers *w;
	bool empty;

	if (xa_empty(&rns->watched))
		return NULL;
	w = xa_erase(&rns->watched, id);
	if (!w)
		return NULL;
	/* Every watch was cancelled: nobody else can reach @w any more. */
	spin_lock(&w->lock);
	empty = list_empty(&w->watches);
	spin_unlock(&w->lock);
	if (!empty)
		return w;
	kfree(w);
	return NULL;
}

/**
 * refslab_notify_reclaimed() - an object with watchers was freed
 * @watchers: from refslab_notify_detach()
 *
 * Only queues the watchers for delivery, which runs in a work item.
 *
 * Context: any context; called from the RCU callback that frees.
 */
void refslab_notify_reclaimed(struct refslab_watchers *watchers)
{
	if (llist_add(&watchers->fire_node, &refslab_fired))
		queue_work(system_wq, &refslab_fire_work);
}

static bool notifier_queue(struct refslab_notifier *notifier,
			   const struct refslab_event *event)
{
	if (notifier->count == REFSLAB_EVENTS_MAX) {
		notifier->lost++;
		return false;
	}
	notifier->events[(notifier->head + notifier->count) %
			 REFSLAB_EVENTS_MAX] = *event;
	notifier->count++;
	return true;
}

/* Queue @watch's event unless its file closed meanwhile, and free it. */
static void watch_deliver(struct refslab_watch *watch, u64 now)
{
	struct refslab_notifier *notifier = watch->notifier;
	const struct refslab_event event = {
		.len = sizeof(event),
		.type = REFSLAB_EVENT_RECLAIMED,
		.id = watch->id,
		.cookie = watch->cookie,
		.time_ns = now,
		.count = 1,
	};
	bool wanted, queued = false;

	spin_lock(&notifier->lock);
	wanted = !list_empty(&watch->file_node);
	if (wanted) {
		list_del_init(&watch->file_node);
		queued = notifier_queue(notifier, &event);
	}
	spin_unlock(&notifier->lock);

	if (wanted) {
		refslab_stat_inc(queued ? REFSLAB_STAT_EVENTS_QUEUED :
					  REFSLAB_STAT_EVENTS_LOST);
		wake_up_interruptible_poll(&notifier->wait,
					   EPOLLIN | EPOLLRDNORM);
	}
	watch_free(watch);
}

/* Deliver every watch of a reclaimed object, a chunk at a time. */
static void watchers_deliver(struct refslab_watchers *w)
{
	struct refslab_watch *watch, *first, **last;
	unsigned int n;
	u64 now;

	do {
		first = NULL;
		last = &first;
		n = 0;
		spin_lock(&w->lock);
		while (n++ < REFSLAB_FIRE_CHUNK && !list_empty(&w->watches)) {
			watch = list_first_entry(&w->watches,
						 struct refslab_watch, obj_node);
			list_del_init(&watch->obj_node);
			watch->next_fired = NULL;
			*last = watch;
			last = &watch->next_fired;
		}
		spin_unlock(&w->lock);

		now = ktime_get_ns();
		while (first) {
			watch = first;
			first = watch->next_fired;
			watch_deliver(watch, now);
		}
		cond_resched();
	} while (n > REFSLAB_FIRE_CHUNK);
	kfree(w);
}

static void refslab_notify_work(struct work_struct *work)
{
	struct refslab_watchers *w, *next;
	struct llist_node *fired;

	fired = llist_del_all(&refslab_fired);
	llist_for_each_entry_safe(w, next, fired, fire_node)
		watchers_deliver(w);
}

/**
 * refslab_notify_flush() - wait until every reclaimed object's events are
 * queued
 *
 * Context: process context, module exit, after rcu_barrier().
 */
void refslab_notify_flush(void)
{
	flush_work(&refslab_fire_work);
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

	spin_lock(&notifier->lock);
	if (notifier->lost && notifier->count < REFSLAB_EVENTS_MAX) {
		const struct refslab_event overflow = {
			.len = sizeof(overflow),
			.type = REFSLAB_EVENT_OVERFLOW,
			.time_ns = ktime_get_ns(),
			.count = notifier->lost,
		};

		notifier_queue(notifier, &overflow);
		notifier->lost = 0;
	}
	for (n = 0; n < min(max, notifier->count); n++)
		out[n] = notifier->events[(notifier->head + n) %
					  REFSLAB_EVENTS_MAX];
	spin_unlock(&notifier->lock);
	return n;
}

/* Drop the @n records notifier_peek() copied to @read; they were read. */
static void notifier_consume(struct refslab_notifier *notifier,
			     const struct refslab_event *read, unsigned int n)
{
	unsigned int i, events = 0;

	for (i = 0; i < n; i++)
		events += read[i].type == REFSLAB_EVENT_RECLAIMED;
	spin_lock(&notifier->lock);
	notifier->head = (notifier->head + n) % REFSLAB_EVENTS_MAX;
	notifier->count -= n;
	spin_unlock(&notifier->lock);
	refslab_stat_add(REFSLAB_STAT_EVENTS_CONSUMED, events);
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
 * Records are all sizeof(struct refslab_event) bytes today; userspace
 * steps through them by their @len, so later ones may grow.
 *
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
		notifier_consume(notifier, batch, n);
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

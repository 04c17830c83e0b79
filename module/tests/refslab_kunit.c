// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for refslab's internals: object life cycle, registry lookups
 * racing the final put, reclamation, handle tables, quotas, namespaces and
 * payload consistency.  Built as refslab_kunit.ko; the suites run when it
 * loads.
 *
 * Every case runs in a kernel thread, in the initial IPC and user
 * namespaces, with all capabilities; its fixture holds refslab's state in
 * that IPC namespace (struct refslab_ns) for the whole case.  Cases that
 * test the unprivileged limits override the thread's credentials.
 */
#include <kunit/test.h>
#include <linux/capability.h>
#include <linux/completion.h>
#include <linux/cred.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>
#include <uapi/linux/refslab.h>

#include "../handle.h"
#include "../ns.h"
#include "../object.h"
#include "../quota.h"
#include "../stats.h"

/* Counter values at the start of a test, to check deltas against. */
struct stat_snapshot {
	u64 item[REFSLAB_STAT_NR_ITEMS];
};

/*
 * Objects released before the snapshot, by earlier tests, must not be
 * reclaimed inside the test's window: wait for their grace periods first.
 */
static void snapshot(struct stat_snapshot *s)
{
	int i;

	rcu_barrier();
	for (i = 0; i < REFSLAB_STAT_NR_ITEMS; i++)
		s->item[i] = refslab_stat_read(i);
}

static u64 delta(const struct stat_snapshot *s, enum refslab_stat_item item)
{
	return refslab_stat_read(item) - s->item[item];
}

/**
 * struct refslab_fixture - what every case holds while it runs
 * @rns: refslab's state in the test thread's IPC namespace, held
 * @table: a handle table, for the refslab_handle suite only
 */
struct refslab_fixture {
	struct refslab_ns *rns;
	struct refslab_handle_table table;
};

static int fixture_init(struct kunit *test)
{
	struct refslab_fixture *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	struct refslab_ns *rns;

	if (!f)
		return -ENOMEM;
	rns = refslab_ns_get_current(true);
	if (IS_ERR_OR_NULL(rns))
		return rns ? PTR_ERR(rns) : -ENOENT;
	f->rns = rns;
	test->priv = f;
	return 0;
}

/* Also called after a failed init, so it checks what there is to undo. */
static void fixture_exit(struct kunit *test)
{
	struct refslab_fixture *f = test->priv;

	if (f && f->rns)
		refslab_ns_put(f->rns);
}

static struct refslab_ns *test_ns(struct kunit *test)
{
	struct refslab_fixture *f = test->priv;

	return f->rns;
}

/*
 * A published object of @rns.  The caller owns its creator's reference, a
 * held one, which refslab_object_holder_put(obj, 1) drops; refslab_object_put()
 * is only for the short-lived references of lookups.
 */
static struct refslab_object *new_object_in(struct kunit *test,
					    struct refslab_ns *rns,
					    unsigned int size)
{
	struct refslab_object *obj = refslab_object_alloc(rns, size, 0600);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, obj);
	refslab_object_publish(obj);
	return obj;
}

static struct refslab_object *new_object(struct kunit *test, unsigned int size)
{
	return new_object_in(test, test_ns(test), size);
}

/*
 * The xarray node that holds slot @index of @xa (NULL if the slot sits in
 * the head), and whether the slot is reserved: an entry that lookups do
 * not return.
 */
static struct xa_node *slot_node(struct xarray *xa, unsigned long index,
				 bool *reserved)
{
	XA_STATE(xas, xa, index);
	struct xa_node *node;

	rcu_read_lock();
	*reserved = xa_is_zero(xas_load(&xas));
	node = xas.xa_node;
	rcu_read_unlock();
	return node;
}

/* A uid nobody else uses in the test VM, and a second one. */
#define TEST_UID	KUIDT_INIT(424242)
#define TEST_UID2	KUIDT_INIT(424243)

/*
 * Act as @uid (the fsuid, which objects and charges go to), without any
 * capability unless @privileged.  Returns the credentials to give to
 * revert_creds(), in the same thread.
 */
static const struct cred *become(struct kunit *test, kuid_t uid,
				 bool privileged)
{
	const struct cred *old;
	struct cred *new;

	new = prepare_creds();
	KUNIT_ASSERT_NOT_NULL(test, new);
	new->fsuid = uid;
	if (!privileged)
		cap_clear(new->cap_effective);
	old = override_creds(new);
	put_cred(new);		/* override_creds() took a reference */
	return old;
}

/* What is charged to @uid of the initial user namespace; zero if nothing. */
static struct refslab_usage usage_of(kuid_t uid)
{
	struct refslab_usage usage;

	refslab_quota_usage(&init_user_ns, uid, &usage);
	return usage;
}

/*
 * Charge @bytes objects to the current user until a limit refuses; returns
 * how many were charged, their charge in *@charge (every one of them is
 * the same entry).  Stops at 2^20 in case no limit ever refuses.
 */
static unsigned int charge_until_full(struct kunit *test, unsigned int bytes,
				      struct refslab_charge **charge, int *err)
{
	struct refslab_charge *c;
	unsigned int n = 0;

	*charge = NULL;
	for (;;) {
		c = refslab_quota_charge(bytes);
		if (IS_ERR(c)) {
			*err = PTR_ERR(c);
			break;
		}
		if (!*charge)
			*charge = c;
		KUNIT_EXPECT_PTR_EQ(test, c, *charge);
		if (++n == 1U << 20) {
			*err = 0;
			break;
		}
	}
	return n;
}

static void uncharge_n(struct refslab_charge *charge, unsigned int bytes,
		       unsigned int n)
{
	while (n--)
		refslab_quota_uncharge(charge, bytes);
}

/* --- refslab_object --------------------------------------------------- */

static void refslab_object_alloc_sizes(struct kunit *test)
{
	static const unsigned int sizes[] = { 1, 64, 65, 256, 1000, 4096 };
	static const unsigned int capacity[] = { 64, 64, 256, 256, 1024, 4096 };
	struct refslab_object *obj;
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		obj = new_object(test, sizes[i]);
		KUNIT_EXPECT_EQ(test, obj->size, sizes[i]);
		KUNIT_EXPECT_EQ(test, refslab_object_capacity(obj), capacity[i]);
		KUNIT_EXPECT_EQ(test, refslab_object_held(obj), 1U);
		KUNIT_EXPECT_EQ(test, refcount_read(&obj->ref), 1);
		KUNIT_EXPECT_PTR_EQ(test, obj->ns, test_ns(test));
		KUNIT_EXPECT_EQ(test, obj->mode, 0600);
		KUNIT_EXPECT_EQ(test, obj->generation, 0ULL);
		for (j = 0; j < sizes[i]; j++)
			if (obj->payload[j])
				break;
		KUNIT_EXPECT_EQ_MSG(test, j, sizes[i], "payload not zeroed");
		refslab_object_holder_put(obj, 1);
	}
}

static void refslab_object_alloc_bad_size(struct kunit *test)
{
	struct refslab_ns *rns = test_ns(test);

	KUNIT_EXPECT_EQ(test, PTR_ERR(refslab_object_alloc(rns, 0, 0600)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test,
			PTR_ERR(refslab_object_alloc(rns, REFSLAB_PAYLOAD_MAX + 1,
						     0600)), -EINVAL);
}

static void refslab_object_ids_increase(struct kunit *test)
{
	struct refslab_object *a = new_object(test, 8);
	struct refslab_object *b = new_object(test, 8);
	u64 released_id = b->id;
	struct refslab_object *c;

	KUNIT_EXPECT_GT(test, b->id, a->id);
	refslab_object_holder_put(b, 1);
	c = new_object(test, 8);
	KUNIT_EXPECT_GT(test, c->id, released_id);
	refslab_object_holder_put(a, 1);
	refslab_object_holder_put(c, 1);
}

/*
 * A CREATE keeps the next id's slot reserved, so the node it sits in is
 * there before the next object and outlives the release of this one:
 * objects that come and go one at a time do not allocate a node each.
 * The namespace is the VM's own, so the first id is whatever comes next;
 * the test moves on until this id and the next two share a node (the
 * boundary has its own test below).
 */
static void refslab_object_registry_keeps_next(struct kunit *test)
{
	struct refslab_ns *rns = test_ns(test);
	struct refslab_object *a = new_object(test, 8), *b;
	struct xa_node *node;
	bool reserved;
	u64 id;

	while (a->id % XA_CHUNK_SIZE >= XA_CHUNK_SIZE - 2) {
		refslab_object_holder_put(a, 1);
		a = new_object(test, 8);
	}
	id = a->id;

	node = slot_node(&rns->registry, id + 1, &reserved);
	KUNIT_EXPECT_TRUE(test, reserved);
	KUNIT_EXPECT_NULL(test, refslab_object_lookup(rns, id + 1));
	refslab_object_holder_put(a, 1);
	/* Released: its slot is empty, the next one still reserved. */
	KUNIT_EXPECT_NULL(test, refslab_object_lookup(rns, id));
	KUNIT_EXPECT_PTR_EQ(test, slot_node(&rns->registry, id + 1, &reserved),
			    node);
	KUNIT_EXPECT_TRUE(test, reserved);

	/* The next CREATE takes that slot as it is, and keeps the one after. */
	b = new_object(test, 8);
	KUNIT_EXPECT_EQ(test, b->id, id + 1);
	KUNIT_EXPECT_PTR_EQ(test, refslab_object_lookup(rns, id + 1), b);
	refslab_object_put(b);
	slot_node(&rns->registry, id + 2, &reserved);
	KUNIT_EXPECT_TRUE(test, reserved);
	refslab_object_holder_put(b, 1);
}

/*
 * Publishing keeps the next id's slot only in its own node: the last id of
 * a node keeps none, and the first id of the next node reserves its own
 * slot (allocating that node) when it is created.
 */
static void refslab_object_registry_leaf_boundary(struct kunit *test)
{
	struct refslab_ns *rns = test_ns(test);
	struct refslab_object *obj = new_object(test, 8), *found;
	bool reserved;

	while ((obj->id + 1) % XA_CHUNK_SIZE) {
		refslab_object_holder_put(obj, 1);
		obj = new_object(test, 8);
	}
	slot_node(&rns->registry, obj->id + 1, &reserved);
	KUNIT_EXPECT_FALSE(test, reserved);
	refslab_object_holder_put(obj, 1);

	obj = new_object(test, 8);
	KUNIT_EXPECT_EQ(test, obj->id % XA_CHUNK_SIZE, 0);
	found = refslab_object_lookup(rns, obj->id);
	KUNIT_EXPECT_PTR_EQ(test, found, obj);
	if (found)
		refslab_object_put(found);
	slot_node(&rns->registry, obj->id + 1, &reserved);
	KUNIT_EXPECT_TRUE(test, reserved);
	refslab_object_holder_put(obj, 1);
}

static void refslab_object_lookup_published_only(struct kunit *test)
{
	struct refslab_ns *rns = test_ns(test);
	struct refslab_object *obj, *found;
	u64 id, next;

	obj = refslab_object_alloc(rns, 16, 0600);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, obj);
	id = obj->id;
	KUNIT_EXPECT_NULL(test, refslab_object_lookup(rns, id));
	/* A walk skips the reserved slot too. */
	next = id;
	found = refslab_object_find_next(rns, &next);
	KUNIT_EXPECT_PTR_NE(test, found, obj);
	if (found)
		refslab_object_put(found);

	refslab_object_publish(obj);
	found = refslab_object_lookup(rns, id);
	KUNIT_EXPECT_PTR_EQ(test, found, obj);
	/* The lookup's reference is short-lived: it is not a held one. */
	KUNIT_EXPECT_EQ(test, refcount_read(&obj->ref), 2);
	KUNIT_EXPECT_EQ(test, refslab_object_held(obj), 1U);
	refslab_object_put(found);

	next = id;
	found = refslab_object_find_next(rns, &next);
	KUNIT_EXPECT_PTR_EQ(test, found, obj);
	KUNIT_EXPECT_EQ(test, next, id);
	if (found)
		refslab_object_put(found);

	refslab_object_holder_put(obj, 1);
	KUNIT_EXPECT_NULL(test, refslab_object_lookup(rns, id));
}

static void refslab_object_abort_leaves_nothing(struct kunit *test)
{
	struct refslab_ns *rns = test_ns(test);
	struct stat_snapshot s;
	struct refslab_object *obj;
	unsigned int charged;
	u64 id;

	snapshot(&s);
	charged = refslab_quota_total_objects();
	obj = refslab_object_alloc(rns, 100, 0600);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, obj);
	KUNIT_EXPECT_EQ(test, refslab_quota_total_objects(), charged + 1);
	id = obj->id;
	refslab_object_abort(obj);
	KUNIT_EXPECT_EQ(test, refslab_quota_total_objects(), charged);
	KUNIT_EXPECT_NULL(test, refslab_object_lookup(rns, id));
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_OBJECTS_CREATED), 0ULL);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_OBJECTS_RELEASED), 0ULL);
}

static void refslab_object_holder_add_cap(struct kunit *test)
{
	struct refslab_object *obj = new_object(test, 8);

	KUNIT_EXPECT_EQ(test,
			refslab_object_holder_add(obj,
						  REFSLAB_OBJECT_REFS_MAX - 1),
			0);
	KUNIT_EXPECT_EQ(test, refslab_object_held(obj), REFSLAB_OBJECT_REFS_MAX);
	/* One reference per holder, however many it holds. */
	KUNIT_EXPECT_EQ(test, refcount_read(&obj->ref), 2);
	KUNIT_EXPECT_EQ(test, refslab_object_holder_add(obj, 1), -EOVERFLOW);
	KUNIT_EXPECT_EQ(test, refslab_object_holder_add(obj, UINT_MAX), -EOVERFLOW);
	KUNIT_EXPECT_EQ(test, refslab_object_held(obj), REFSLAB_OBJECT_REFS_MAX);
	KUNIT_EXPECT_EQ(test, refcount_read(&obj->ref), 2);
	refslab_object_holder_put(obj, REFSLAB_OBJECT_REFS_MAX - 1);
	KUNIT_EXPECT_EQ(test, refslab_object_held(obj), 1U);
	KUNIT_EXPECT_EQ(test, refcount_read(&obj->ref), 1);
	refslab_object_holder_put(obj, 1);
}

/*
 * Operations in flight hold short-lived references; the cap counts held
 * references only, so it is reached exactly however many are in flight.
 */
static void refslab_object_holder_add_cap_held_only(struct kunit *test)
{
	const unsigned int in_flight = 3;
	struct refslab_object *obj = new_object(test, 8);
	struct stat_snapshot s;
	unsigned int i;

	KUNIT_ASSERT_EQ(test,
			refslab_object_holder_add(obj,
						  REFSLAB_OBJECT_REFS_MAX - 2),
			0);
	KUNIT_EXPECT_EQ(test, refslab_object_held(obj),
			REFSLAB_OBJECT_REFS_MAX - 1);
	for (i = 0; i < in_flight; i++)
		KUNIT_ASSERT_TRUE(test, refslab_object_get_unless_zero(obj));
	KUNIT_EXPECT_EQ(test, refslab_object_held(obj),
			REFSLAB_OBJECT_REFS_MAX - 1);

	/* One more at MAX - 1 held, as GET of 1 with INFO or READ running. */
	KUNIT_EXPECT_EQ(test, refslab_object_holder_add(obj, 1), 0);
	KUNIT_EXPECT_EQ(test, refslab_object_held(obj), REFSLAB_OBJECT_REFS_MAX);
	/* Three holders and the references in flight. */
	KUNIT_EXPECT_EQ(test, refcount_read(&obj->ref), (int)(3 + in_flight));
	KUNIT_EXPECT_EQ(test, refslab_object_holder_add(obj, 1), -EOVERFLOW);
	KUNIT_EXPECT_EQ(test, refslab_object_held(obj), REFSLAB_OBJECT_REFS_MAX);

	/* The short-lived ones go and leave the held count alone. */
	for (i = 0; i < in_flight; i++)
		refslab_object_put(obj);
	KUNIT_EXPECT_EQ(test, refslab_object_held(obj), REFSLAB_OBJECT_REFS_MAX);
	KUNIT_EXPECT_EQ(test, refcount_read(&obj->ref), 3);
	KUNIT_EXPECT_EQ(test, refslab_object_holder_add(obj, 1), -EOVERFLOW);

	snapshot(&s);
	refslab_object_holder_put(obj, REFSLAB_OBJECT_REFS_MAX - 2);
	refslab_object_holder_put(obj, 1);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_OBJECTS_RELEASED), 0ULL);
	KUNIT_EXPECT_EQ(test, refslab_object_held(obj), 1U);
	KUNIT_EXPECT_EQ(test, refcount_read(&obj->ref), 1);
	refslab_object_holder_put(obj, 1);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_OBJECTS_RELEASED), 1ULL);
}

static void refslab_object_write_conditional(struct kunit *test)
{
	struct refslab_object *obj = new_object(test, 32);
	u8 buf[4] = { 1, 2, 3, 4 }, out[4];
	u64 gen;

	gen = 0;
	KUNIT_EXPECT_EQ(test, refslab_object_write(obj, 4, 4, buf, true, &gen),
			0);
	KUNIT_EXPECT_EQ(test, gen, 1ULL);

	gen = 0;	/* stale */
	buf[0] = 9;
	KUNIT_EXPECT_EQ(test, refslab_object_write(obj, 4, 4, buf, true, &gen),
			-ESTALE);
	KUNIT_EXPECT_EQ(test, gen, 1ULL);

	refslab_object_read(obj, 4, 4, out, &gen);
	KUNIT_EXPECT_EQ(test, gen, 1ULL);
	KUNIT_EXPECT_EQ(test, out[0], 1);
	KUNIT_EXPECT_EQ(test, out[3], 4);

	KUNIT_EXPECT_EQ(test, refslab_object_write(obj, 0, 1, buf, false, &gen),
			0);
	KUNIT_EXPECT_EQ(test, gen, 2ULL);
	KUNIT_EXPECT_EQ(test, refslab_object_generation(obj), 2ULL);
	refslab_object_holder_put(obj, 1);
}

static struct kunit_case refslab_object_cases[] = {
	KUNIT_CASE(refslab_object_alloc_sizes),
	KUNIT_CASE(refslab_object_alloc_bad_size),
	KUNIT_CASE(refslab_object_ids_increase),
	KUNIT_CASE(refslab_object_registry_keeps_next),
	KUNIT_CASE(refslab_object_registry_leaf_boundary),
	KUNIT_CASE(refslab_object_lookup_published_only),
	KUNIT_CASE(refslab_object_abort_leaves_nothing),
	KUNIT_CASE(refslab_object_holder_add_cap),
	KUNIT_CASE(refslab_object_holder_add_cap_held_only),
	KUNIT_CASE(refslab_object_write_conditional),
	{}
};

static struct kunit_suite refslab_object_suite = {
	.name = "refslab_object",
	.init = fixture_init,
	.exit = fixture_exit,
	.test_cases = refslab_object_cases,
};

/* --- refslab_reclaim -------------------------------------------------- */

static void refslab_object_put_reclaims_after_grace_period(struct kunit *test)
{
	struct stat_snapshot s;
	struct refslab_object *obj;
	int i, n = 200;

	snapshot(&s);
	for (i = 0; i < n; i++) {
		obj = new_object(test, 1 + (i * 37) % REFSLAB_PAYLOAD_MAX);
		refslab_object_holder_put(obj, 1);
	}
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_OBJECTS_CREATED), (u64)n);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_OBJECTS_RELEASED), (u64)n);

	rcu_barrier();
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_OBJECTS_RECLAIMED), (u64)n);
	KUNIT_EXPECT_EQ(test, refslab_stat_read(REFSLAB_STAT_OBJECTS_RELEASED),
			refslab_stat_read(REFSLAB_STAT_OBJECTS_RECLAIMED));
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_PAYLOAD_BYTES_CREATED),
			delta(&s, REFSLAB_STAT_PAYLOAD_BYTES_RELEASED));
}

static void refslab_object_holder_put_releases_once(struct kunit *test)
{
	struct refslab_ns *rns = test_ns(test);
	struct refslab_object *obj = new_object(test, 8);
	struct stat_snapshot s;
	u64 id = obj->id;

	KUNIT_ASSERT_EQ(test, refslab_object_holder_add(obj, 9), 0);
	snapshot(&s);
	refslab_object_holder_put(obj, 9);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_OBJECTS_RELEASED), 0ULL);
	KUNIT_EXPECT_PTR_EQ(test, refslab_object_lookup(rns, id), obj);
	refslab_object_put(obj);	/* the lookup's */
	KUNIT_EXPECT_EQ(test, refslab_object_held(obj), 1U);
	refslab_object_holder_put(obj, 1);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_OBJECTS_RELEASED), 1ULL);
	KUNIT_EXPECT_NULL(test, refslab_object_lookup(rns, id));
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_OBJECTS_RECLAIMED), 1ULL);
}

/*
 * The last held reference gone while a lookup's short-lived one is still
 * out: the object stays until that one is dropped too, and only then goes.
 */
static void refslab_object_put_short_lived_last(struct kunit *test)
{
	struct refslab_ns *rns = test_ns(test);
	struct refslab_object *obj = new_object(test, 8), *found;
	struct stat_snapshot s;
	u64 id = obj->id;

	found = refslab_object_lookup(rns, id);
	KUNIT_ASSERT_PTR_EQ(test, found, obj);
	snapshot(&s);
	refslab_object_holder_put(obj, 1);
	KUNIT_EXPECT_EQ(test, refslab_object_held(found), 0U);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_OBJECTS_RELEASED), 0ULL);
	refslab_object_put(found);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_OBJECTS_RELEASED), 1ULL);
	KUNIT_EXPECT_NULL(test, refslab_object_lookup(rns, id));
}

struct lookup_race {
	struct refslab_ns *rns;
	u64 id;			/* the id to look up, or 0 */
	unsigned long found;
	unsigned long missed;
	unsigned long wrong;
};

static int lookup_race_thread(void *data)
{
	struct lookup_race *race = data;
	struct refslab_object *obj;
	u64 id;

	while (!kthread_should_stop()) {
		id = READ_ONCE(race->id);
		obj = id ? refslab_object_lookup(race->rns, id) : NULL;
		if (obj) {
			if (obj->id != id || !refcount_read(&obj->ref))
				race->wrong++;
			race->found++;
			/* May be the final put, racing the creator's. */
			refslab_object_put(obj);
		} else {
			race->missed++;
		}
		cond_resched();
	}
	return 0;
}

/*
 * A lookup thread hammers the id of an object whose last reference the test
 * drops at the same time.  Every lookup must either miss or return the right
 * object with a reference; KASAN reports any access after the free.
 */
static void refslab_object_lookup_races_final_put(struct kunit *test)
{
	struct lookup_race *race;
	struct task_struct *thread;
	struct refslab_object *obj;
	struct stat_snapshot s;
	int i, n = 2000;

	race = kunit_kzalloc(test, sizeof(*race), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, race);
	race->rns = test_ns(test);
	snapshot(&s);

	thread = kthread_run(lookup_race_thread, race, "refslab_race");
	KUNIT_ASSERT_FALSE(test, IS_ERR(thread));
	for (i = 0; i < n; i++) {
		obj = new_object(test, 64);
		WRITE_ONCE(race->id, obj->id);
		if (i & 1)
			udelay(i % 50);
		refslab_object_holder_put(obj, 1);
		if (!(i % 64))
			cond_resched();
	}
	kthread_stop(thread);

	KUNIT_EXPECT_EQ(test, race->wrong, 0UL);
	KUNIT_EXPECT_GT(test, race->found + race->missed, 0UL);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_OBJECTS_RELEASED), (u64)n);
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_OBJECTS_RECLAIMED), (u64)n);
	kunit_info(test, "lookups: %lu found, %lu missed\n",
		   race->found, race->missed);
}

static struct kunit_case refslab_reclaim_cases[] = {
	KUNIT_CASE(refslab_object_put_reclaims_after_grace_period),
	KUNIT_CASE(refslab_object_holder_put_releases_once),
	KUNIT_CASE(refslab_object_put_short_lived_last),
	KUNIT_CASE_SLOW(refslab_object_lookup_races_final_put),
	{}
};

static struct kunit_suite refslab_reclaim_suite = {
	.name = "refslab_reclaim",
	.init = fixture_init,
	.exit = fixture_exit,
	.test_cases = refslab_reclaim_cases,
};

/* --- refslab_handle --------------------------------------------------- */

static int handle_init(struct kunit *test)
{
	struct refslab_fixture *f;
	int ret;

	ret = fixture_init(test);
	if (ret)
		return ret;
	f = test->priv;
	refslab_handle_table_init(&f->table);
	return 0;
}

static void handle_exit(struct kunit *test)
{
	struct refslab_fixture *f = test->priv;

	if (f && f->rns)
		refslab_handle_table_destroy(&f->table);
	fixture_exit(test);
}

static struct refslab_handle_table *test_table(struct kunit *test)
{
	struct refslab_fixture *f = test->priv;

	return &f->table;
}

/* Publish a new handle to @obj, which takes over one of the caller's refs. */
static u32 add_handle(struct kunit *test, struct refslab_object *obj, u32 rights)
{
	struct refslab_handle_table *table = test_table(test);
	u32 hid;

	KUNIT_ASSERT_EQ(test, refslab_handle_reserve(table, &hid), 0);
	KUNIT_EXPECT_NE(test, hid, 0U);
	refslab_handle_publish(table, hid, obj, rights);
	return hid;
}

static void refslab_handle_get_put(struct kunit *test)
{
	struct refslab_handle_table *table = test_table(test);
	struct refslab_object *obj = new_object(test, 8);
	u32 hid = add_handle(test, obj, REFSLAB_RIGHTS_ALL);
	u64 id = obj->id;
	u32 refs;

	KUNIT_EXPECT_EQ(test, refslab_handle_get(table, hid, 5, &refs), 0);
	KUNIT_EXPECT_EQ(test, refs, 6U);
	KUNIT_EXPECT_EQ(test, refslab_object_held(obj), 6U);
	/* GET and PUT count held references; the handle is one holder. */
	KUNIT_EXPECT_EQ(test, refcount_read(&obj->ref), 1);

	KUNIT_EXPECT_EQ(test, refslab_handle_put(table, hid, 7, &refs),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, refslab_handle_put(table, hid, 2, &refs), 0);
	KUNIT_EXPECT_EQ(test, refs, 4U);
	KUNIT_EXPECT_EQ(test, refslab_object_held(obj), 4U);
	KUNIT_EXPECT_EQ(test, refcount_read(&obj->ref), 1);

	KUNIT_EXPECT_EQ(test, refslab_handle_put(table, hid, 4, &refs), 0);
	KUNIT_EXPECT_EQ(test, refs, 0U);
	KUNIT_EXPECT_NULL(test, refslab_object_lookup(test_ns(test), id));
}

#define SLOT_OF(hid)	((hid) & ((1U << REFSLAB_HANDLE_SLOT_BITS) - 1))

/* GET, PUT and a lookup of @hid find no handle. */
static void expect_no_handle(struct kunit *test, u32 hid)
{
	struct refslab_handle_table *table = test_table(test);
	u32 refs;

	KUNIT_EXPECT_EQ(test, refslab_handle_get(table, hid, 1, &refs),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, refslab_handle_put(table, hid, 1, &refs),
			-ENOENT);
	KUNIT_EXPECT_EQ(test,
			PTR_ERR(refslab_handle_lookup(table, hid, 0, NULL)),
			-ENOENT);
}

/*
 * A number reserved but not yet published (CREATE between the two) is no
 * handle: every lookup of it finds nothing, and comes back.
 */
static void refslab_handle_reserved_is_enoent(struct kunit *test)
{
	struct refslab_handle_table *table = test_table(test);
	u32 hid;

	KUNIT_ASSERT_EQ(test, refslab_handle_reserve(table, &hid), 0);
	expect_no_handle(test, hid);
	refslab_handle_abort(table, hid);
}

static void refslab_handle_stale_is_enoent(struct kunit *test)
{
	struct refslab_handle_table *table = test_table(test);
	struct refslab_object *obj = new_object(test, 8);
	u32 hid = add_handle(test, obj, REFSLAB_RIGHTS_ALL);
	u32 refs, hid2;

	KUNIT_ASSERT_EQ(test, refslab_handle_put(table, hid, 1, &refs), 0);
	expect_no_handle(test, hid);
	/* Neither is 0, nor a generation 0 of the slot. */
	expect_no_handle(test, 0);
	expect_no_handle(test, SLOT_OF(hid));

	/* The freed number is not handed out again. */
	obj = new_object(test, 8);
	hid2 = add_handle(test, obj, REFSLAB_RIGHTS_ALL);
	KUNIT_EXPECT_NE(test, hid2, hid);
}

/*
 * A freed slot is reused only once 64 more wait behind it, with the next
 * generation: the old number still finds nothing, though its slot holds a
 * handle again.
 */
static void refslab_handle_slot_reused_late(struct kunit *test)
{
	struct refslab_handle_table *table = test_table(test);
	struct refslab_object *obj = new_object(test, 8);
	u32 first = add_handle(test, obj, REFSLAB_RIGHTS_ALL);
	u32 hid, prev = first, refs;
	int i;

	KUNIT_ASSERT_EQ(test, refslab_handle_put(table, first, 1, &refs), 0);
	for (i = 0; i < 64; i++) {
		obj = new_object(test, 8);
		hid = add_handle(test, obj, REFSLAB_RIGHTS_ALL);
		/* A new slot each time: the freed ones wait. */
		KUNIT_EXPECT_EQ(test, SLOT_OF(hid), SLOT_OF(prev) + 1);
		KUNIT_ASSERT_EQ(test, refslab_handle_put(table, hid, 1, &refs),
				0);
		prev = hid;
	}
	KUNIT_EXPECT_EQ(test, table->nr_free, 65U);

	obj = new_object(test, 8);
	hid = add_handle(test, obj, REFSLAB_RIGHTS_ALL);
	KUNIT_EXPECT_EQ(test, SLOT_OF(hid), SLOT_OF(first));
	KUNIT_EXPECT_NE(test, hid, first);
	expect_no_handle(test, first);
	KUNIT_EXPECT_EQ(test, refslab_handle_get(table, hid, 1, &refs), 0);
	KUNIT_EXPECT_EQ(test, refs, 2U);
	/* Slots are never taken out: the table did not shrink. */
	KUNIT_EXPECT_EQ(test, table->slots, 65U);
}

/* A reserved number given back is freed like a handle's: it waits. */
static void refslab_handle_abort_frees_slot(struct kunit *test)
{
	struct refslab_handle_table *table = test_table(test);
	u32 hid, next;

	KUNIT_ASSERT_EQ(test, refslab_handle_reserve(table, &hid), 0);
	refslab_handle_abort(table, hid);
	KUNIT_EXPECT_EQ(test, table->nr_free, 1U);
	KUNIT_ASSERT_EQ(test, refslab_handle_reserve(table, &next), 0);
	KUNIT_EXPECT_NE(test, SLOT_OF(next), SLOT_OF(hid));
	refslab_handle_abort(table, next);
}

/*
 * A slot's numbers come back only after all its generations: the number
 * of its 1024th use is its first's again, and none has generation 0.
 * With 66 slots free and each one given back as soon as it is taken, the
 * queue turns and every slot comes up once every 66 reservations.
 */
static void refslab_handle_number_comes_back_late(struct kunit *test)
{
	struct refslab_handle_table *table = test_table(test);
	unsigned int i, use = 1, zero = 0, early = 0;
	u32 hids[66], hid, first;

	for (i = 0; i < ARRAY_SIZE(hids); i++)
		KUNIT_ASSERT_EQ(test, refslab_handle_reserve(table, &hids[i]),
				0);
	first = hids[0];
	for (i = 0; i < ARRAY_SIZE(hids); i++)
		refslab_handle_abort(table, hids[i]);
	for (;;) {
		KUNIT_ASSERT_EQ(test, refslab_handle_reserve(table, &hid), 0);
		refslab_handle_abort(table, hid);
		if (!(hid >> REFSLAB_HANDLE_SLOT_BITS))
			zero++;
		if (SLOT_OF(hid) != SLOT_OF(first))
			continue;
		if (++use == 1024)
			break;
		if (hid == first)
			early++;
	}
	KUNIT_EXPECT_EQ(test, zero, 0U);
	KUNIT_EXPECT_EQ(test, early, 0U);
	KUNIT_EXPECT_EQ(test, hid, first);
	KUNIT_EXPECT_EQ(test, table->slots, (u32)ARRAY_SIZE(hids));
}

/* A table with REFSLAB_FILE_HANDLES_MAX handles takes no more. */
static void refslab_handle_reserve_full(struct kunit *test)
{
	struct refslab_handle_table *table = test_table(test);
	u32 hid;

	/* As if every handle were there: only the count is looked at. */
	spin_lock(&table->lock);
	table->slots = REFSLAB_FILE_HANDLES_MAX;
	spin_unlock(&table->lock);
	KUNIT_EXPECT_EQ(test, refslab_handle_reserve(table, &hid), -ENOSPC);
	spin_lock(&table->lock);
	table->slots = 0;
	spin_unlock(&table->lock);
}

/*
 * Slots reserved together are distinct and no handles until published;
 * given back together, they are all free; a full table reserves none.
 */
static void refslab_handle_reserve_many_and_abort(struct kunit *test)
{
	struct refslab_handle_table *table = test_table(test);
	u32 hids[5], hid;
	int i, j;

	KUNIT_ASSERT_EQ(test, refslab_handle_reserve_many(table, hids, 5), 5);
	for (i = 0; i < 5; i++) {
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_NE(test, hids[i], hids[j]);
		expect_no_handle(test, hids[i]);
	}
	refslab_handle_abort_many(table, hids, 5);
	KUNIT_EXPECT_EQ(test, table->nr_free, 5U);
	for (i = 0; i < 5; i++)
		expect_no_handle(test, hids[i]);

	spin_lock(&table->lock);
	table->slots = REFSLAB_FILE_HANDLES_MAX + table->nr_free;
	spin_unlock(&table->lock);
	KUNIT_EXPECT_EQ(test, refslab_handle_reserve_many(table, &hid, 1),
			-ENOSPC);
	spin_lock(&table->lock);
	table->slots = 5;
	spin_unlock(&table->lock);
}

static void refslab_handle_lookup_rights(struct kunit *test)
{
	struct refslab_handle_table *table = test_table(test);
	struct refslab_object *obj = new_object(test, 8), *found;
	u32 hid = add_handle(test, obj, REFSLAB_RIGHT_READ);
	struct refslab_handle_state state;

	found = refslab_handle_lookup(table, hid, REFSLAB_RIGHT_READ, &state);
	KUNIT_ASSERT_PTR_EQ(test, found, obj);
	KUNIT_EXPECT_EQ(test, state.refs, 1U);
	KUNIT_EXPECT_EQ(test, state.rights, REFSLAB_RIGHT_READ);
	/* The lookup's reference is short-lived, not held. */
	KUNIT_EXPECT_EQ(test, refslab_object_held(obj), 1U);
	KUNIT_EXPECT_EQ(test, refcount_read(&obj->ref), 2);
	refslab_object_put(found);

	KUNIT_EXPECT_EQ(test,
			PTR_ERR(refslab_handle_lookup(table, hid,
						      REFSLAB_RIGHT_WRITE,
						      NULL)),
			-EACCES);
	KUNIT_EXPECT_EQ(test, refslab_object_held(obj), 1U);
	KUNIT_EXPECT_EQ(test, refcount_read(&obj->ref), 1);
}

static void refslab_handle_get_cap(struct kunit *test)
{
	struct refslab_handle_table *table = test_table(test);
	struct refslab_object *obj = new_object(test, 8);
	u32 hid = add_handle(test, obj, REFSLAB_RIGHTS_ALL);
	u32 refs = 0;

	KUNIT_EXPECT_EQ(test, refslab_handle_get(table, hid,
						 REFSLAB_HANDLE_REFS_MAX, &refs),
			-EOVERFLOW);
	KUNIT_EXPECT_EQ(test, refslab_handle_get(table, hid,
						 REFSLAB_HANDLE_REFS_MAX - 1,
						 &refs), 0);
	KUNIT_EXPECT_EQ(test, refs, REFSLAB_HANDLE_REFS_MAX);
	KUNIT_EXPECT_EQ(test, refslab_handle_get(table, hid, 1, &refs),
			-EOVERFLOW);
	/* A failed get leaves the object counts as they were. */
	KUNIT_EXPECT_EQ(test, refslab_object_held(obj), REFSLAB_HANDLE_REFS_MAX);
	KUNIT_EXPECT_EQ(test, refcount_read(&obj->ref), 1);
}

static void refslab_handle_table_destroy_drops_all(struct kunit *test)
{
	struct refslab_handle_table *table = test_table(test);
	struct refslab_object *a = new_object(test, 8), *b = new_object(test, 8);
	struct stat_snapshot s;
	u32 refs;

	KUNIT_ASSERT_EQ(test, refslab_object_holder_add(a, 1), 0);
	add_handle(test, a, REFSLAB_RIGHTS_ALL);
	KUNIT_ASSERT_EQ(test, refslab_handle_get(table,
						 add_handle(test, a,
							    REFSLAB_RIGHTS_ALL),
						 3, &refs), 0);
	add_handle(test, b, REFSLAB_RIGHTS_ALL);
	KUNIT_EXPECT_EQ(test, refslab_object_held(a), 5U);
	KUNIT_EXPECT_EQ(test, refcount_read(&a->ref), 2);

	snapshot(&s);
	refslab_handle_table_destroy(table);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_OBJECTS_RELEASED), 2ULL);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_HANDLES_DESTROYED), 3ULL);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_REFS_DROPPED), 6ULL);
	refslab_handle_table_init(table);	/* for handle_exit() */
}

static struct kunit_case refslab_handle_cases[] = {
	KUNIT_CASE(refslab_handle_get_put),
	KUNIT_CASE(refslab_handle_stale_is_enoent),
	KUNIT_CASE(refslab_handle_reserved_is_enoent),
	KUNIT_CASE(refslab_handle_slot_reused_late),
	KUNIT_CASE(refslab_handle_abort_frees_slot),
	KUNIT_CASE(refslab_handle_number_comes_back_late),
	KUNIT_CASE(refslab_handle_reserve_full),
	KUNIT_CASE(refslab_handle_reserve_many_and_abort),
	KUNIT_CASE(refslab_handle_lookup_rights),
	KUNIT_CASE(refslab_handle_get_cap),
	KUNIT_CASE(refslab_handle_table_destroy_drops_all),
	{}
};

static struct kunit_suite refslab_handle_suite = {
	.name = "refslab_handle",
	.init = handle_init,
	.exit = handle_exit,
	.test_cases = refslab_handle_cases,
};

/* --- refslab_quota ---------------------------------------------------- */

/*
 * Without CAP_SYS_RESOURCE, TEST_UID's unprivileged limit refuses at last;
 * with it, the privileged limit lets one more through; one release makes
 * room for exactly one more.
 */
static void refslab_quota_charge_until_edquot(struct kunit *test)
{
	struct refslab_charge *charge, *c;
	struct refslab_usage usage;
	const struct cred *old;
	unsigned int n;
	int err;

	KUNIT_ASSERT_EQ(test, refslab_quota_usage(&init_user_ns, TEST_UID,
						  &usage), -ENOENT);
	KUNIT_EXPECT_EQ(test, usage.objects, 0U);

	old = become(test, TEST_UID, false);
	n = charge_until_full(test, 4096, &charge, &err);
	revert_creds(old);
	KUNIT_EXPECT_EQ(test, err, -EDQUOT);
	KUNIT_ASSERT_GT(test, n, 0U);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, charge);
	KUNIT_EXPECT_TRUE(test, uid_eq(refslab_charge_uid(charge), TEST_UID));

	KUNIT_EXPECT_EQ(test, refslab_quota_usage(&init_user_ns, TEST_UID,
						  &usage), 0);
	KUNIT_EXPECT_EQ(test, usage.objects, n);
	KUNIT_EXPECT_EQ(test, usage.bytes, (u64)n * 4096);
	KUNIT_EXPECT_EQ(test, usage.pins, 0U);

	/* With CAP_SYS_RESOURCE the privileged limits apply: they are larger. */
	old = become(test, TEST_UID, true);
	c = refslab_quota_charge(4096);
	revert_creds(old);
	KUNIT_EXPECT_PTR_EQ(test, c, charge);
	if (!IS_ERR(c))
		refslab_quota_uncharge(c, 4096);

	/* One release makes room for exactly one more. */
	refslab_quota_uncharge(charge, 4096);
	old = become(test, TEST_UID, false);
	c = refslab_quota_charge(4096);
	KUNIT_EXPECT_PTR_EQ(test, c, charge);
	KUNIT_EXPECT_EQ(test, PTR_ERR(refslab_quota_charge(4096)), -EDQUOT);
	revert_creds(old);

	uncharge_n(charge, 4096, n);
	KUNIT_EXPECT_EQ(test, refslab_quota_usage(&init_user_ns, TEST_UID,
						  &usage), -ENOENT);
	KUNIT_EXPECT_EQ(test, usage.objects, 0U);
	KUNIT_EXPECT_EQ(test, usage.bytes, 0ULL);
}

struct charge_race {
	struct completion done;
	struct refslab_charge *charge;
	unsigned int n;
	int err;
};

/* As charge_until_full(), as TEST_UID without privilege, on its own. */
static int charge_race_thread(void *data)
{
	struct charge_race *race = data;
	struct refslab_charge *c;
	const struct cred *old;
	struct cred *new;

	race->err = -ENOMEM;
	new = prepare_creds();
	if (new) {
		new->fsuid = TEST_UID;
		cap_clear(new->cap_effective);
		old = override_creds(new);
		put_cred(new);
		for (;;) {
			c = refslab_quota_charge(1);
			if (IS_ERR(c)) {
				race->err = PTR_ERR(c);
				break;
			}
			race->charge = c;
			race->n++;
		}
		revert_creds(old);
	}
	complete(&race->done);
	return 0;
}

/*
 * Objects are charged without a lock: two tasks charging one user at once
 * until it is full charge exactly what one task alone can, each counted
 * once, and nothing is left when they are returned.
 */
static void refslab_quota_concurrent_charges_add_up(struct kunit *test)
{
	struct refslab_charge *charge;
	struct charge_race *race;
	struct task_struct *thread;
	struct refslab_usage usage;
	const struct cred *old;
	unsigned int alone, n;
	int err;

	old = become(test, TEST_UID, false);
	alone = charge_until_full(test, 1, &charge, &err);
	revert_creds(old);
	KUNIT_ASSERT_EQ(test, err, -EDQUOT);
	uncharge_n(charge, 1, alone);

	race = kunit_kzalloc(test, sizeof(*race), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, race);
	init_completion(&race->done);
	thread = kthread_run(charge_race_thread, race, "refslab_charge");
	KUNIT_ASSERT_FALSE(test, IS_ERR(thread));
	old = become(test, TEST_UID, false);
	n = charge_until_full(test, 1, &charge, &err);
	revert_creds(old);
	wait_for_completion(&race->done);

	KUNIT_EXPECT_EQ(test, err, -EDQUOT);
	KUNIT_EXPECT_EQ(test, race->err, -EDQUOT);
	KUNIT_EXPECT_EQ(test, n + race->n, alone);
	KUNIT_EXPECT_EQ(test, refslab_quota_usage(&init_user_ns, TEST_UID,
						  &usage), 0);
	KUNIT_EXPECT_EQ(test, usage.objects, n + race->n);
	KUNIT_EXPECT_EQ(test, usage.bytes, (u64)(n + race->n));
	if (n)
		uncharge_n(charge, 1, n);
	if (race->n)
		uncharge_n(race->charge, 1, race->n);
	KUNIT_EXPECT_EQ(test, refslab_quota_usage(&init_user_ns, TEST_UID,
						  &usage), -ENOENT);
}

static void refslab_quota_counts_denials(struct kunit *test)
{
	struct refslab_charge *charge, *c;
	struct stat_snapshot s;
	const struct cred *old;
	unsigned int n;
	int err;

	snapshot(&s);
	old = become(test, TEST_UID, false);
	n = charge_until_full(test, 4096, &charge, &err);
	revert_creds(old);
	KUNIT_EXPECT_EQ(test, err, -EDQUOT);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_QUOTA_DENIALS), 1ULL);

	/* A charge the privileged limits let through is no denial. */
	old = become(test, TEST_UID, true);
	c = refslab_quota_charge(4096);
	revert_creds(old);
	KUNIT_EXPECT_FALSE(test, IS_ERR(c));
	if (!IS_ERR(c))
		refslab_quota_uncharge(c, 4096);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_QUOTA_DENIALS), 1ULL);
	if (charge)
		uncharge_n(charge, 4096, n);
}

static void refslab_quota_follows_objects(struct kunit *test)
{
	struct refslab_usage before, during, after;
	struct refslab_object *obj;
	kuid_t uid = current_fsuid();

	before = usage_of(uid);
	obj = new_object(test, 300);
	KUNIT_EXPECT_EQ(test, refslab_quota_usage(&init_user_ns, uid, &during),
			0);
	KUNIT_EXPECT_EQ(test, during.objects, before.objects + 1);
	KUNIT_EXPECT_EQ(test, during.bytes, before.bytes + 300);

	/* Returned at release, before the grace period ends. */
	refslab_object_holder_put(obj, 1);
	after = usage_of(uid);
	KUNIT_EXPECT_EQ(test, after.objects, before.objects);
	KUNIT_EXPECT_EQ(test, after.bytes, before.bytes);
}

/*
 * A transfer moves the object, its bytes and its pin to the new owner, and
 * never counts the object twice: the global count stays as it was.  A new
 * owner at its own limit refuses (EDQUOT) and the old charge stays whole;
 * with CAP_SYS_RESOURCE the privileged limits let it through.
 */
static void refslab_quota_transfer_moves_whole(struct kunit *test)
{
	struct refslab_charge *a, *a2, *b, *full, *c;
	unsigned int total, n;
	struct refslab_usage u;
	struct stat_snapshot s;
	const struct cred *old;
	int err;

	total = refslab_quota_total_objects();
	old = become(test, TEST_UID2, false);
	a = refslab_quota_charge(100);
	KUNIT_EXPECT_FALSE(test, IS_ERR(a));
	KUNIT_EXPECT_EQ(test, IS_ERR(a) ? -1 : refslab_quota_charge_pin(a), 0);
	revert_creds(old);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	u = usage_of(TEST_UID2);
	KUNIT_EXPECT_EQ(test, u.objects, 1U);
	KUNIT_EXPECT_EQ(test, u.pins, 1U);
	KUNIT_EXPECT_EQ(test, u.bytes, 100ULL);
	KUNIT_EXPECT_EQ(test, refslab_quota_total_objects(), total + 1);

	b = refslab_quota_transfer(a, TEST_UID, 100, true);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, b);
	KUNIT_EXPECT_TRUE(test, uid_eq(refslab_charge_uid(b), TEST_UID));
	KUNIT_EXPECT_EQ(test, refslab_quota_usage(&init_user_ns, TEST_UID2, &u),
			-ENOENT);
	u = usage_of(TEST_UID);
	KUNIT_EXPECT_EQ(test, u.objects, 1U);
	KUNIT_EXPECT_EQ(test, u.pins, 1U);
	KUNIT_EXPECT_EQ(test, u.bytes, 100ULL);
	KUNIT_EXPECT_EQ(test, refslab_quota_total_objects(), total + 1);

	/* TEST_UID up to its unprivileged limit; TEST_UID2 makes one more. */
	old = become(test, TEST_UID, false);
	n = charge_until_full(test, 4096, &full, &err);
	revert_creds(old);
	KUNIT_EXPECT_EQ(test, err, -EDQUOT);
	KUNIT_EXPECT_PTR_EQ(test, full, b);
	old = become(test, TEST_UID2, false);
	a2 = refslab_quota_charge(4096);
	revert_creds(old);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a2);
	KUNIT_EXPECT_EQ(test, refslab_quota_total_objects(), total + n + 2);

	/* Refused without CAP_SYS_RESOURCE; nothing moves. */
	snapshot(&s);
	old = become(test, TEST_UID2, false);
	c = refslab_quota_transfer(a2, TEST_UID, 4096, false);
	revert_creds(old);
	KUNIT_EXPECT_EQ(test, PTR_ERR(c), -EDQUOT);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_QUOTA_DENIALS), 1ULL);
	u = usage_of(TEST_UID2);
	KUNIT_EXPECT_EQ(test, u.objects, 1U);
	KUNIT_EXPECT_EQ(test, u.bytes, 4096ULL);
	u = usage_of(TEST_UID);
	KUNIT_EXPECT_EQ(test, u.objects, n + 1);
	KUNIT_EXPECT_EQ(test, u.bytes, 100 + (u64)n * 4096);
	KUNIT_EXPECT_EQ(test, refslab_quota_total_objects(), total + n + 2);
	if (!IS_ERR(c)) {		/* moved after all: put it back */
		a2 = c;
		n++;
	}

	/* The privileged limits let it through, and still count it once. */
	old = become(test, TEST_UID2, true);
	c = refslab_quota_transfer(a2, TEST_UID, 4096, false);
	revert_creds(old);
	KUNIT_EXPECT_PTR_EQ(test, c, b);
	if (!IS_ERR(c))
		a2 = c;
	KUNIT_EXPECT_EQ(test, refslab_quota_usage(&init_user_ns, TEST_UID2, &u),
			-ENOENT);
	u = usage_of(TEST_UID);
	KUNIT_EXPECT_EQ(test, u.objects, n + 2);
	KUNIT_EXPECT_EQ(test, u.pins, 1U);
	KUNIT_EXPECT_EQ(test, refslab_quota_total_objects(), total + n + 2);

	refslab_quota_uncharge(a2, 4096);
	uncharge_n(b, 4096, n);
	refslab_quota_uncharge_pin(b);
	refslab_quota_uncharge(b, 100);
	KUNIT_EXPECT_EQ(test, refslab_quota_usage(&init_user_ns, TEST_UID, &u),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, refslab_quota_total_objects(), total);
}

/*
 * An owner change moves a pinned object's whole charge, pin included, and
 * leaves the global count alone; the unpin and the release return it to
 * the new owner.
 */
static void refslab_object_setattr_moves_charge(struct kunit *test)
{
	struct refslab_ns *rns = test_ns(test);
	struct refslab_object *obj = new_object(test, 300);
	struct refslab_usage before, u;
	struct refslab_attrs attrs;
	unsigned int total;

	KUNIT_ASSERT_EQ(test, refslab_object_pin(rns, obj->id), 0);
	before = usage_of(current_fsuid());
	total = refslab_quota_total_objects();
	KUNIT_ASSERT_EQ(test, refslab_quota_usage(&init_user_ns, TEST_UID, &u),
			-ENOENT);

	KUNIT_EXPECT_EQ(test, refslab_object_setattr(obj, REFSLAB_SETATTR_UID,
						     0, TEST_UID,
						     GLOBAL_ROOT_GID), 0);
	refslab_object_attrs(obj, &attrs);
	KUNIT_EXPECT_TRUE(test, uid_eq(attrs.uid, TEST_UID));
	u = usage_of(TEST_UID);
	KUNIT_EXPECT_EQ(test, u.objects, 1U);
	KUNIT_EXPECT_EQ(test, u.pins, 1U);
	KUNIT_EXPECT_EQ(test, u.bytes, 300ULL);
	u = usage_of(current_fsuid());
	KUNIT_EXPECT_EQ(test, u.objects, before.objects - 1);
	KUNIT_EXPECT_EQ(test, u.pins, before.pins - 1);
	KUNIT_EXPECT_EQ(test, u.bytes, before.bytes - 300);
	KUNIT_EXPECT_EQ(test, refslab_quota_total_objects(), total);

	KUNIT_EXPECT_EQ(test, refslab_object_unpin(rns, obj->id), 0);
	KUNIT_EXPECT_EQ(test, usage_of(TEST_UID).pins, 0U);
	refslab_object_holder_put(obj, 1);
	KUNIT_EXPECT_EQ(test, refslab_quota_usage(&init_user_ns, TEST_UID, &u),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, refslab_quota_total_objects(), total - 1);
}

static struct kunit_case refslab_quota_cases[] = {
	KUNIT_CASE(refslab_quota_charge_until_edquot),
	KUNIT_CASE(refslab_quota_counts_denials),
	KUNIT_CASE(refslab_quota_follows_objects),
	KUNIT_CASE(refslab_quota_transfer_moves_whole),
	KUNIT_CASE(refslab_quota_concurrent_charges_add_up),
	KUNIT_CASE(refslab_object_setattr_moves_charge),
	{}
};

static struct kunit_suite refslab_quota_suite = {
	.name = "refslab_quota",
	.init = fixture_init,
	.exit = fixture_exit,
	.test_cases = refslab_quota_cases,
};

/* --- refslab_ns ------------------------------------------------------- */

/*
 * A second namespace state, as ns.c builds one, but of no IPC namespace
 * (so it is never the caller's) and outside the namespace table (so no
 * view walks it).  Its count starts at 2, one for the test and one in
 * place of the table's, and no put drops it below that: the last put of
 * an object never tries to free the state.  Only objects and lookups use
 * it; the test removes every object before it ends.
 */
static struct refslab_ns *other_ns(struct kunit *test)
{
	struct refslab_ns *rns = kunit_kzalloc(test, sizeof(*rns), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, rns);
	refcount_set(&rns->users, 2);
	xa_init(&rns->registry);
	xa_init(&rns->watched);
	return rns;
}

static void other_ns_done(struct kunit *test, struct refslab_ns *rns)
{
	unsigned long id = 0;

	/* Every object's reference to the state was returned. */
	KUNIT_EXPECT_EQ(test, refcount_read(&rns->users), 2);
	/* No object is left (the slot kept for the next id may be). */
	KUNIT_EXPECT_NULL(test, xa_find(&rns->registry, &id, ULONG_MAX,
					XA_PRESENT));
	KUNIT_EXPECT_EQ(test, atomic_read(&rns->nr_pins), 0);
	xa_destroy(&rns->registry);
	xa_destroy(&rns->watched);
}

static void refslab_ns_get_current_same_state(struct kunit *test)
{
	struct refslab_ns *rns;

	rns = refslab_ns_get_current(false);
	KUNIT_EXPECT_PTR_EQ(test, rns, test_ns(test));
	if (!IS_ERR_OR_NULL(rns))
		refslab_ns_put(rns);
	rns = refslab_ns_get_current(true);
	KUNIT_EXPECT_PTR_EQ(test, rns, test_ns(test));
	if (!IS_ERR_OR_NULL(rns))
		refslab_ns_put(rns);
}

/*
 * Each state counts its own ids from 1: the first two objects of a new
 * state are 1 and 2, and two creates in a row in the caller's state get
 * consecutive ids.  Lookups find each object in its own state only.
 */
static void refslab_object_alloc_ids_per_ns(struct kunit *test)
{
	struct refslab_ns *rns = test_ns(test), *other = other_ns(test);
	struct refslab_object *a, *b, *x, *y, *found;
	u64 id;

	x = new_object_in(test, other, 8);
	y = new_object_in(test, other, 8);
	KUNIT_EXPECT_EQ(test, x->id, 1ULL);
	KUNIT_EXPECT_EQ(test, y->id, 2ULL);
	KUNIT_EXPECT_PTR_EQ(test, x->ns, other);

	a = new_object(test, 8);
	b = new_object(test, 8);
	KUNIT_EXPECT_EQ(test, b->id, a->id + 1);
	KUNIT_EXPECT_PTR_EQ(test, a->ns, rns);

	found = refslab_object_lookup(rns, a->id);
	KUNIT_EXPECT_PTR_EQ(test, found, a);
	if (found)
		refslab_object_put(found);
	found = refslab_object_lookup(other, x->id);
	KUNIT_EXPECT_PTR_EQ(test, found, x);
	if (found)
		refslab_object_put(found);
	/* Whatever an id names in one state, it is not the other's object. */
	found = refslab_object_lookup(rns, x->id);
	KUNIT_EXPECT_PTR_NE(test, found, x);
	if (found)
		refslab_object_put(found);
	found = refslab_object_lookup(other, a->id);
	KUNIT_EXPECT_PTR_NE(test, found, a);
	if (found)
		refslab_object_put(found);

	/* A walk of a state sees its own objects only. */
	id = 0;
	found = refslab_object_find_next(other, &id);
	KUNIT_EXPECT_PTR_EQ(test, found, x);
	KUNIT_EXPECT_EQ(test, id, 1ULL);
	if (found)
		refslab_object_put(found);
	id = y->id + 1;
	KUNIT_EXPECT_NULL(test, refslab_object_find_next(other, &id));

	/* The caller may name the objects of its own namespace only. */
	KUNIT_EXPECT_EQ(test, refslab_object_visible_id(a), a->id);
	KUNIT_EXPECT_EQ(test, refslab_object_visible_id(b), b->id);
	KUNIT_EXPECT_EQ(test, refslab_object_visible_id(x), 0ULL);

	refslab_object_holder_put(a, 1);
	refslab_object_holder_put(b, 1);
	refslab_object_holder_put(x, 1);
	refslab_object_holder_put(y, 1);
	KUNIT_EXPECT_NULL(test, refslab_object_lookup(other, 1));
	other_ns_done(test, other);
}

/*
 * Objects made together have consecutive ids and are found only once
 * published; those aborted leave nothing: no charge, no registry slot
 * (not even one kept for a next id), no namespace reference.
 */
static void refslab_objects_alloc_publish_abort(struct kunit *test)
{
	struct refslab_ns *other = other_ns(test);
	struct refslab_object **objs, *found;
	unsigned int charged, i;
	struct stat_snapshot s;
	bool reserved;

	objs = kunit_kcalloc(test, REFSLAB_ALLOC_BULK, sizeof(*objs),
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	snapshot(&s);
	charged = refslab_quota_total_objects();
	KUNIT_ASSERT_EQ(test, refslab_objects_alloc(other, 100, 0640, objs,
						    REFSLAB_ALLOC_BULK), 0);
	KUNIT_EXPECT_EQ(test, refslab_quota_total_objects(),
			charged + REFSLAB_ALLOC_BULK);
	for (i = 0; i < REFSLAB_ALLOC_BULK; i++) {
		KUNIT_EXPECT_EQ(test, objs[i]->id, (u64)i + 1);
		KUNIT_EXPECT_EQ(test, objs[i]->size, 100);
		KUNIT_EXPECT_EQ(test, objs[i]->mode, 0640);
		KUNIT_EXPECT_NULL(test, refslab_object_lookup(other, i + 1));
	}
	KUNIT_EXPECT_EQ(test, refslab_objects_alloc(other, 100, 0600, objs,
						    REFSLAB_ALLOC_BULK + 1),
			-EINVAL);

	refslab_objects_publish(objs, 10);
	refslab_objects_abort(objs + 10, REFSLAB_ALLOC_BULK - 10);
	KUNIT_EXPECT_EQ(test, refslab_quota_total_objects(), charged + 10);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_OBJECTS_CREATED), 10ULL);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_PAYLOAD_BYTES_CREATED),
			1000ULL);
	for (i = 0; i < REFSLAB_ALLOC_BULK; i++) {
		found = refslab_object_lookup(other, i + 1);
		KUNIT_EXPECT_PTR_EQ(test, found, i < 10 ? objs[i] : NULL);
		if (found)
			refslab_object_put(found);
		if (i < 10)
			continue;
		slot_node(&other->registry, i + 1, &reserved);
		KUNIT_EXPECT_FALSE(test, reserved);
	}
	for (i = 0; i < 10; i++)
		refslab_object_holder_put(objs[i], 1);
	KUNIT_EXPECT_EQ(test, refslab_quota_total_objects(), charged);
	other_ns_done(test, other);
}

/*
 * Objects of two states and two size classes released together: each
 * leaves its own registry and returns its state's reference, and each is
 * reclaimed once; before the release none can be found.
 */
#define RELEASE_ALL_N	24

static void refslab_object_release_all_mixed(struct kunit *test)
{
	struct refslab_ns *rns = test_ns(test), *other = other_ns(test);
	struct refslab_releases rel = {};
	struct refslab_object *objs[RELEASE_ALL_N];
	struct stat_snapshot s;
	u64 ids[RELEASE_ALL_N];
	int i;

	for (i = 0; i < RELEASE_ALL_N; i++) {
		objs[i] = new_object_in(test, i % 3 ? rns : other,
					i % 2 ? 8 : 2000);
		ids[i] = objs[i]->id;
	}
	snapshot(&s);
	for (i = 0; i < RELEASE_ALL_N; i++)
		refslab_object_holder_put_later(objs[i], 1, &rel);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_OBJECTS_RELEASED), 0ULL);
	for (i = 0; i < RELEASE_ALL_N; i++)
		KUNIT_EXPECT_NULL(test, refslab_object_lookup(i % 3 ? rns : other,
							      ids[i]));
	refslab_object_release_all(&rel);
	KUNIT_EXPECT_NULL(test, rel.first);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_OBJECTS_RELEASED), (u64)RELEASE_ALL_N);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_PAYLOAD_BYTES_RELEASED),
			RELEASE_ALL_N / 2 * (8ULL + 2000));
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_OBJECTS_RECLAIMED), (u64)RELEASE_ALL_N);
	other_ns_done(test, other);
}

/*
 * The same id in two states names two objects; pins, unpins and pin lists
 * act in the state they are given.
 */
static void refslab_object_pin_per_ns(struct kunit *test)
{
	struct refslab_ns *rns = test_ns(test), *other = other_ns(test);
	struct refslab_object *a, *x, *found;
	u64 ids[4];
	u64 id;

	a = new_object(test, 8);
	id = a->id;
	atomic64_set(&other->last_id, id - 1);
	x = new_object_in(test, other, 8);
	KUNIT_EXPECT_EQ(test, x->id, id);

	found = refslab_object_lookup(other, id);
	KUNIT_EXPECT_PTR_EQ(test, found, x);
	if (found)
		refslab_object_put(found);
	found = refslab_object_lookup(rns, id);
	KUNIT_EXPECT_PTR_EQ(test, found, a);
	if (found)
		refslab_object_put(found);

	KUNIT_EXPECT_EQ(test, refslab_object_pin(other, id), 0);
	KUNIT_EXPECT_TRUE(test, refslab_object_pinned(x));
	KUNIT_EXPECT_FALSE(test, refslab_object_pinned(a));
	KUNIT_EXPECT_EQ(test, refslab_object_held(x), 2U);
	KUNIT_EXPECT_EQ(test, refslab_object_held(a), 1U);
	KUNIT_EXPECT_EQ(test, atomic_read(&other->nr_pins), 1);
	KUNIT_EXPECT_EQ(test, refslab_object_pin(other, id), -EEXIST);
	KUNIT_EXPECT_EQ(test, refslab_object_pin(other, id + 1), -ENOENT);

	KUNIT_EXPECT_EQ(test, refslab_object_list_pinned(other, 0, ids, 4), 1U);
	KUNIT_EXPECT_EQ(test, ids[0], id);
	KUNIT_EXPECT_EQ(test, refslab_object_list_pinned(other, id, ids, 4), 0U);
	KUNIT_EXPECT_EQ(test, refslab_object_list_pinned(rns, id - 1, ids, 1),
			0U);

	KUNIT_EXPECT_EQ(test, refslab_object_unpin(rns, id), -ENOENT);
	KUNIT_EXPECT_TRUE(test, refslab_object_pinned(x));
	KUNIT_EXPECT_EQ(test, refslab_object_unpin(other, id), 0);
	KUNIT_EXPECT_FALSE(test, refslab_object_pinned(x));
	KUNIT_EXPECT_EQ(test, refslab_object_held(x), 1U);
	KUNIT_EXPECT_EQ(test, refslab_object_unpin(other, id), -ENOENT);

	refslab_object_holder_put(x, 1);
	refslab_object_holder_put(a, 1);
	KUNIT_EXPECT_NULL(test, refslab_object_lookup(other, id));
	KUNIT_EXPECT_NULL(test, refslab_object_lookup(rns, id));
	other_ns_done(test, other);
}

static struct kunit_case refslab_ns_cases[] = {
	KUNIT_CASE(refslab_ns_get_current_same_state),
	KUNIT_CASE(refslab_object_alloc_ids_per_ns),
	KUNIT_CASE(refslab_object_pin_per_ns),
	KUNIT_CASE(refslab_objects_alloc_publish_abort),
	KUNIT_CASE(refslab_object_release_all_mixed),
	{}
};

static struct kunit_suite refslab_ns_suite = {
	.name = "refslab_ns",
	.init = fixture_init,
	.exit = fixture_exit,
	.test_cases = refslab_ns_cases,
};

/* --- refslab_payload -------------------------------------------------- */

#define PAYLOAD_TEST_SIZE	256

struct payload_race {
	struct refslab_object *obj;
	unsigned int writes;
};

/* Write the whole payload with one byte value, the low byte of the
 * generation the write will produce.
 */
static int payload_writer(void *data)
{
	struct payload_race *race = data;
	u8 buf[PAYLOAD_TEST_SIZE];
	u64 gen;

	while (!kthread_should_stop()) {
		memset(buf, (u8)(race->writes + 1), sizeof(buf));
		refslab_object_write(race->obj, 0, sizeof(buf), buf, false,
				     &gen);
		race->writes++;
		cond_resched();
	}
	return 0;
}

static void refslab_object_read_never_torn(struct kunit *test)
{
	struct payload_race *race;
	struct task_struct *thread;
	unsigned int i, j, torn = 0, mismatched = 0;
	u8 *buf;
	u64 gen;

	race = kunit_kzalloc(test, sizeof(*race), GFP_KERNEL);
	buf = kunit_kzalloc(test, PAYLOAD_TEST_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, race);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	race->obj = new_object(test, PAYLOAD_TEST_SIZE);

	thread = kthread_run(payload_writer, race, "refslab_writer");
	KUNIT_ASSERT_FALSE(test, IS_ERR(thread));
	for (i = 0; i < 5000; i++) {
		refslab_object_read(race->obj, 0, PAYLOAD_TEST_SIZE, buf, &gen);
		for (j = 1; j < PAYLOAD_TEST_SIZE; j++)
			if (buf[j] != buf[0])
				break;
		if (j != PAYLOAD_TEST_SIZE)
			torn++;
		if (buf[0] != (u8)gen)
			mismatched++;
		if (!(i % 32))
			cond_resched();
	}
	kthread_stop(thread);

	KUNIT_EXPECT_EQ(test, torn, 0U);
	KUNIT_EXPECT_EQ(test, mismatched, 0U);
	KUNIT_EXPECT_EQ(test, refslab_object_generation(race->obj),
			(u64)race->writes);
	kunit_info(test, "%u writes raced 5000 reads\n", race->writes);
	refslab_object_holder_put(race->obj, 1);
}

static struct kunit_case refslab_payload_cases[] = {
	KUNIT_CASE_SLOW(refslab_object_read_never_torn),
	{}
};

static struct kunit_suite refslab_payload_suite = {
	.name = "refslab_payload",
	.init = fixture_init,
	.exit = fixture_exit,
	.test_cases = refslab_payload_cases,
};

kunit_test_suites(&refslab_object_suite, &refslab_reclaim_suite,
		  &refslab_handle_suite, &refslab_quota_suite,
		  &refslab_ns_suite, &refslab_payload_suite);

MODULE_DESCRIPTION("KUnit tests for refslab");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

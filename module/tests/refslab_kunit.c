// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for refslab's internals: object life cycle, registry lookups
 * racing the final put, reclamation, handle tables, quotas and payload
 * consistency.  Built as refslab_kunit.ko; the suites run when it loads.
 */
#include <kunit/test.h>
#include <linux/cred.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <uapi/linux/refslab.h>

#include "../handle.h"
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

static struct refslab_object *new_object(struct kunit *test, unsigned int size)
{
	struct refslab_object *obj = refslab_object_alloc(size, 0600);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, obj);
	refslab_object_publish(obj);
	return obj;
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
		KUNIT_EXPECT_EQ(test, refcount_read(&obj->ref), 1);
		KUNIT_EXPECT_EQ(test, obj->mode, 0600);
		KUNIT_EXPECT_EQ(test, obj->generation, 0ULL);
		for (j = 0; j < sizes[i]; j++)
			if (obj->payload[j])
				break;
		KUNIT_EXPECT_EQ_MSG(test, j, sizes[i], "payload not zeroed");
		refslab_object_put(obj);
	}
}

static void refslab_object_alloc_bad_size(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, PTR_ERR(refslab_object_alloc(0, 0600)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(refslab_object_alloc(REFSLAB_PAYLOAD_MAX + 1,
							   0600)), -EINVAL);
}

static void refslab_object_ids_increase(struct kunit *test)
{
	struct refslab_object *a = new_object(test, 8);
	struct refslab_object *b = new_object(test, 8);
	u64 released_id = b->id;
	struct refslab_object *c;

	KUNIT_EXPECT_GT(test, b->id, a->id);
	refslab_object_put(b);
	c = new_object(test, 8);
	KUNIT_EXPECT_GT(test, c->id, released_id);
	refslab_object_put(a);
	refslab_object_put(c);
}

static void refslab_object_lookup_published_only(struct kunit *test)
{
	struct refslab_object *obj, *found;
	u64 id;

	obj = refslab_object_alloc(16, 0600);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, obj);
	id = obj->id;
	KUNIT_EXPECT_NULL(test, refslab_object_lookup(id));

	refslab_object_publish(obj);
	found = refslab_object_lookup(id);
	KUNIT_EXPECT_PTR_EQ(test, found, obj);
	KUNIT_EXPECT_EQ(test, refcount_read(&obj->ref), 2);
	refslab_object_put(found);

	refslab_object_put(obj);
	KUNIT_EXPECT_NULL(test, refslab_object_lookup(id));
}

static void refslab_object_abort_leaves_nothing(struct kunit *test)
{
	struct stat_snapshot s;
	struct refslab_object *obj;
	unsigned int charged;
	u64 id;

	snapshot(&s);
	charged = refslab_quota_total_objects();
	obj = refslab_object_alloc(100, 0600);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, obj);
	KUNIT_EXPECT_EQ(test, refslab_quota_total_objects(), charged + 1);
	id = obj->id;
	refslab_object_abort(obj);
	KUNIT_EXPECT_EQ(test, refslab_quota_total_objects(), charged);
	KUNIT_EXPECT_NULL(test, refslab_object_lookup(id));
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_OBJECTS_CREATED), 0ULL);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_OBJECTS_RELEASED), 0ULL);
}

static void refslab_object_ref_add_cap(struct kunit *test)
{
	struct refslab_object *obj = new_object(test, 8);

	KUNIT_EXPECT_EQ(test, refslab_object_ref_add(obj,
						     REFSLAB_OBJECT_REFS_MAX - 1),
			0);
	KUNIT_EXPECT_EQ(test, refcount_read(&obj->ref),
			(int)REFSLAB_OBJECT_REFS_MAX);
	KUNIT_EXPECT_EQ(test, refslab_object_ref_add(obj, 1), -EOVERFLOW);
	KUNIT_EXPECT_EQ(test, refslab_object_ref_add(obj, UINT_MAX), -EOVERFLOW);
	KUNIT_EXPECT_EQ(test, refcount_read(&obj->ref),
			(int)REFSLAB_OBJECT_REFS_MAX);
	refslab_object_put_many(obj, REFSLAB_OBJECT_REFS_MAX - 1);
	KUNIT_EXPECT_EQ(test, refcount_read(&obj->ref), 1);
	refslab_object_put(obj);
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
	refslab_object_put(obj);
}

#ifdef REFSLAB_TEST_FAULT_KUNIT
/* Only in the rig's self-test build: proves a failed case fails the run. */
static void refslab_object_test_fault(struct kunit *test)
{
	KUNIT_EXPECT_EQ_MSG(test, 1, 2, "deliberate failure (REFSLAB_FAULT=kunit)");
}
#endif

static struct kunit_case refslab_object_cases[] = {
	KUNIT_CASE(refslab_object_alloc_sizes),
	KUNIT_CASE(refslab_object_alloc_bad_size),
	KUNIT_CASE(refslab_object_ids_increase),
	KUNIT_CASE(refslab_object_lookup_published_only),
	KUNIT_CASE(refslab_object_abort_leaves_nothing),
	KUNIT_CASE(refslab_object_ref_add_cap),
	KUNIT_CASE(refslab_object_write_conditional),
#ifdef REFSLAB_TEST_FAULT_KUNIT
	KUNIT_CASE(refslab_object_test_fault),
#endif
	{}
};

static struct kunit_suite refslab_object_suite = {
	.name = "refslab_object",
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
		refslab_object_put(obj);
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

static void refslab_object_put_many_releases_once(struct kunit *test)
{
	struct refslab_object *obj = new_object(test, 8);
	struct stat_snapshot s;
	u64 id = obj->id;

	KUNIT_ASSERT_EQ(test, refslab_object_ref_add(obj, 9), 0);
	snapshot(&s);
	refslab_object_put_many(obj, 4);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_OBJECTS_RELEASED), 0ULL);
	KUNIT_EXPECT_PTR_EQ(test, refslab_object_lookup(id), obj);
	refslab_object_put(obj);	/* the lookup's */
	refslab_object_put_many(obj, 6);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_OBJECTS_RELEASED), 1ULL);
	KUNIT_EXPECT_NULL(test, refslab_object_lookup(id));
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_OBJECTS_RECLAIMED), 1ULL);
}

struct lookup_race {
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
		obj = id ? refslab_object_lookup(id) : NULL;
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
	snapshot(&s);

	thread = kthread_run(lookup_race_thread, race, "refslab_race");
	KUNIT_ASSERT_FALSE(test, IS_ERR(thread));
	for (i = 0; i < n; i++) {
		obj = new_object(test, 64);
		WRITE_ONCE(race->id, obj->id);
		if (i & 1)
			udelay(i % 50);
		refslab_object_put(obj);
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
	KUNIT_CASE(refslab_object_put_many_releases_once),
	KUNIT_CASE_SLOW(refslab_object_lookup_races_final_put),
	{}
};

static struct kunit_suite refslab_reclaim_suite = {
	.name = "refslab_reclaim",
	.test_cases = refslab_reclaim_cases,
};

/* --- refslab_handle --------------------------------------------------- */

struct handle_fixture {
	struct refslab_handle_table table;
};

static int handle_init(struct kunit *test)
{
	struct handle_fixture *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	refslab_handle_table_init(&f->table);
	test->priv = f;
	return 0;
}

static void handle_exit(struct kunit *test)
{
	struct handle_fixture *f = test->priv;

	refslab_handle_table_destroy(&f->table);
}

/* Publish a new handle to @obj, which takes over one of the caller's refs. */
static u32 add_handle(struct kunit *test, struct refslab_object *obj, u32 rights)
{
	struct handle_fixture *f = test->priv;
	struct refslab_handle *handle;
	u32 hid;

	handle = refslab_handle_reserve(&f->table, &hid);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, handle);
	KUNIT_EXPECT_NE(test, hid, 0U);
	refslab_handle_publish(&f->table, handle, hid, obj, rights);
	return hid;
}

static void refslab_handle_get_put(struct kunit *test)
{
	struct handle_fixture *f = test->priv;
	struct refslab_object *obj = new_object(test, 8);
	u32 hid = add_handle(test, obj, REFSLAB_RIGHTS_ALL);
	u64 id = obj->id;
	u32 refs;

	KUNIT_EXPECT_EQ(test, refslab_handle_get(&f->table, hid, 5, &refs), 0);
	KUNIT_EXPECT_EQ(test, refs, 6U);
	KUNIT_EXPECT_EQ(test, refcount_read(&obj->ref), 6);

	KUNIT_EXPECT_EQ(test, refslab_handle_put(&f->table, hid, 7, &refs),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, refslab_handle_put(&f->table, hid, 2, &refs), 0);
	KUNIT_EXPECT_EQ(test, refs, 4U);
	KUNIT_EXPECT_EQ(test, refcount_read(&obj->ref), 4);

	KUNIT_EXPECT_EQ(test, refslab_handle_put(&f->table, hid, 4, &refs), 0);
	KUNIT_EXPECT_EQ(test, refs, 0U);
	KUNIT_EXPECT_NULL(test, refslab_object_lookup(id));
}

static void refslab_handle_stale_is_enoent(struct kunit *test)
{
	struct handle_fixture *f = test->priv;
	struct refslab_object *obj = new_object(test, 8);
	u32 hid = add_handle(test, obj, REFSLAB_RIGHTS_ALL);
	u32 refs, hid2;

	KUNIT_ASSERT_EQ(test, refslab_handle_put(&f->table, hid, 1, &refs), 0);
	KUNIT_EXPECT_EQ(test, refslab_handle_get(&f->table, hid, 1, &refs),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, refslab_handle_put(&f->table, hid, 1, &refs),
			-ENOENT);
	KUNIT_EXPECT_EQ(test,
			PTR_ERR(refslab_handle_lookup(&f->table, hid, 0, NULL)),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, refslab_handle_get(&f->table, 0, 1, &refs),
			-ENOENT);

	/* The freed number is not handed out again. */
	obj = new_object(test, 8);
	hid2 = add_handle(test, obj, REFSLAB_RIGHTS_ALL);
	KUNIT_EXPECT_NE(test, hid2, hid);
}

static void refslab_handle_lookup_rights(struct kunit *test)
{
	struct handle_fixture *f = test->priv;
	struct refslab_object *obj = new_object(test, 8), *found;
	u32 hid = add_handle(test, obj, REFSLAB_RIGHT_READ);
	struct refslab_handle_state state;

	found = refslab_handle_lookup(&f->table, hid, REFSLAB_RIGHT_READ, &state);
	KUNIT_ASSERT_PTR_EQ(test, found, obj);
	KUNIT_EXPECT_EQ(test, state.refs, 1U);
	KUNIT_EXPECT_EQ(test, state.rights, REFSLAB_RIGHT_READ);
	refslab_object_put(found);

	KUNIT_EXPECT_EQ(test,
			PTR_ERR(refslab_handle_lookup(&f->table, hid,
						      REFSLAB_RIGHT_WRITE,
						      NULL)),
			-EACCES);
	KUNIT_EXPECT_EQ(test, refcount_read(&obj->ref), 1);
}

static void refslab_handle_get_cap(struct kunit *test)
{
	struct handle_fixture *f = test->priv;
	struct refslab_object *obj = new_object(test, 8);
	u32 hid = add_handle(test, obj, REFSLAB_RIGHTS_ALL);
	u32 refs = 0;

	KUNIT_EXPECT_EQ(test, refslab_handle_get(&f->table, hid,
						 REFSLAB_HANDLE_REFS_MAX, &refs),
			-EOVERFLOW);
	KUNIT_EXPECT_EQ(test, refslab_handle_get(&f->table, hid,
						 REFSLAB_HANDLE_REFS_MAX - 1,
						 &refs), 0);
	KUNIT_EXPECT_EQ(test, refs, REFSLAB_HANDLE_REFS_MAX);
	KUNIT_EXPECT_EQ(test, refslab_handle_get(&f->table, hid, 1, &refs),
			-EOVERFLOW);
	/* A failed get leaves the object count as it was. */
	KUNIT_EXPECT_EQ(test, refcount_read(&obj->ref),
			(int)REFSLAB_HANDLE_REFS_MAX);
}

static void refslab_handle_table_destroy_drops_all(struct kunit *test)
{
	struct handle_fixture *f = test->priv;
	struct refslab_object *a = new_object(test, 8), *b = new_object(test, 8);
	struct stat_snapshot s;
	u32 refs;

	KUNIT_ASSERT_EQ(test, refslab_object_ref_add(a, 1), 0);
	add_handle(test, a, REFSLAB_RIGHTS_ALL);
	KUNIT_ASSERT_EQ(test, refslab_handle_get(&f->table,
						 add_handle(test, a,
							    REFSLAB_RIGHTS_ALL),
						 3, &refs), 0);
	add_handle(test, b, REFSLAB_RIGHTS_ALL);
	KUNIT_EXPECT_EQ(test, refcount_read(&a->ref), 5);

	snapshot(&s);
	refslab_handle_table_destroy(&f->table);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_OBJECTS_RELEASED), 2ULL);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_HANDLES_DESTROYED), 3ULL);
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_REFS_DROPPED), 6ULL);
	refslab_handle_table_init(&f->table);	/* for handle_exit() */
}

static struct kunit_case refslab_handle_cases[] = {
	KUNIT_CASE(refslab_handle_get_put),
	KUNIT_CASE(refslab_handle_stale_is_enoent),
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

/* A uid nobody else uses in the test VM. */
#define QUOTA_TEST_UID	KUIDT_INIT(424242)

static void refslab_quota_charge_until_edquot(struct kunit *test)
{
	struct refslab_usage usage;
	unsigned int n = 0, i;
	int ret;

	while ((ret = refslab_quota_charge(QUOTA_TEST_UID, 4096, false)) == 0) {
		n++;
		if (n > (1U << 20))
			break;
	}
	KUNIT_EXPECT_EQ(test, ret, -EDQUOT);
	KUNIT_EXPECT_GT(test, n, 0U);

	refslab_quota_usage(QUOTA_TEST_UID, &usage);
	KUNIT_EXPECT_EQ(test, usage.objects, n);
	KUNIT_EXPECT_EQ(test, usage.bytes, (u64)n * 4096);

	/* The privileged limits are larger. */
	KUNIT_EXPECT_EQ(test, refslab_quota_charge(QUOTA_TEST_UID, 4096, true),
			0);
	refslab_quota_uncharge(QUOTA_TEST_UID, 4096);

	/* One release makes room for exactly one more. */
	refslab_quota_uncharge(QUOTA_TEST_UID, 4096);
	KUNIT_EXPECT_EQ(test, refslab_quota_charge(QUOTA_TEST_UID, 4096, false),
			0);
	KUNIT_EXPECT_EQ(test, refslab_quota_charge(QUOTA_TEST_UID, 4096, false),
			-EDQUOT);

	for (i = 0; i < n; i++)
		refslab_quota_uncharge(QUOTA_TEST_UID, 4096);
	refslab_quota_usage(QUOTA_TEST_UID, &usage);
	KUNIT_EXPECT_EQ(test, usage.objects, 0U);
	KUNIT_EXPECT_EQ(test, usage.bytes, 0ULL);
}

static void refslab_quota_counts_denials(struct kunit *test)
{
	struct stat_snapshot s;
	unsigned int n = 0;

	snapshot(&s);
	while (!refslab_quota_charge(QUOTA_TEST_UID, 4096, false) &&
	       n < (1U << 20))
		n++;
	KUNIT_EXPECT_EQ(test, delta(&s, REFSLAB_STAT_QUOTA_DENIALS), 1ULL);
	while (n--)
		refslab_quota_uncharge(QUOTA_TEST_UID, 4096);
}

static void refslab_quota_follows_objects(struct kunit *test)
{
	struct refslab_usage before, during, after;
	struct refslab_object *obj;
	kuid_t uid = current_fsuid();

	refslab_quota_usage(uid, &before);
	obj = new_object(test, 300);
	refslab_quota_usage(uid, &during);
	KUNIT_EXPECT_EQ(test, during.objects, before.objects + 1);
	KUNIT_EXPECT_EQ(test, during.bytes, before.bytes + 300);

	/* Returned at release, before the grace period ends. */
	refslab_object_put(obj);
	refslab_quota_usage(uid, &after);
	KUNIT_EXPECT_EQ(test, after.objects, before.objects);
	KUNIT_EXPECT_EQ(test, after.bytes, before.bytes);
}

static struct kunit_case refslab_quota_cases[] = {
	KUNIT_CASE(refslab_quota_charge_until_edquot),
	KUNIT_CASE(refslab_quota_counts_denials),
	KUNIT_CASE(refslab_quota_follows_objects),
	{}
};

static struct kunit_suite refslab_quota_suite = {
	.name = "refslab_quota",
	.test_cases = refslab_quota_cases,
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
	refslab_object_put(race->obj);
}

static struct kunit_case refslab_payload_cases[] = {
	KUNIT_CASE_SLOW(refslab_object_read_never_torn),
	{}
};

static struct kunit_suite refslab_payload_suite = {
	.name = "refslab_payload",
	.test_cases = refslab_payload_cases,
};

kunit_test_suites(&refslab_object_suite, &refslab_reclaim_suite,
		  &refslab_handle_suite, &refslab_quota_suite,
		  &refslab_payload_suite);

MODULE_DESCRIPTION("KUnit tests for refslab");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

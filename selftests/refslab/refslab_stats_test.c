// SPDX-License-Identifier: GPL-2.0
/*
 * refslab kselftest: observability.  Every sysfs counter moves by exactly
 * what a scripted sequence of operations predicts; the slab allocator's own
 * object count agrees; fdinfo, tracepoints and debugfs show what was done;
 * the ABI document and the sysfs tree list the same files; and the
 * reclamation backlog stays bounded under a create/release storm.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <sys/stat.h>

#define REFSLAB_SELFTEST_SHARE_HELPERS
#include "refslab_selftest.h"
#include "abi_files.h"		/* generated from the ABI document */

/* Every counter this test predicts, and its value at the last snapshot. */
static const char *const counters[] = {
	"objects_live", "objects_created", "objects_released",
	"references_live", "gets", "puts", "handles_live", "open_files",
	"payload_bytes", "pinned_objects",
	"classes/64/objects_live", "classes/64/objects_created",
	"classes/256/objects_live", "classes/4096/objects_live",
	"classes/4096/objects_created",
};

#define NR_COUNTERS (sizeof(counters) / sizeof(counters[0]))

struct snapshot {
	long long val[NR_COUNTERS];
};

static void take(struct snapshot *s)
{
	for (unsigned int i = 0; i < NR_COUNTERS; i++)
		s->val[i] = stat_read(counters[i]);
}

/*
 * Check that each counter moved by the delta given for it since @s, in
 * the order of counters[], and take a new snapshot.
 */
#define EXPECT_DELTAS(s, ...) do {					\
	const long long __want[NR_COUNTERS] = { __VA_ARGS__ };		\
	struct snapshot __now;						\
	take(&__now);							\
	for (unsigned int __i = 0; __i < NR_COUNTERS; __i++) {		\
		EXPECT_EQ(__want[__i], __now.val[__i] - (s)->val[__i])	\
			TH_LOG("%s", counters[__i]);			\
	}								\
	*(s) = __now;							\
} while (0)

FIXTURE(stats) {
	int fd;
	struct baseline base;
};

FIXTURE_SETUP(stats)
{
	baseline_take(&self->base);
	self->fd = open_dev(_metadata);
}

FIXTURE_TEARDOWN(stats)
{
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_BASELINE(&self->base);
}

TEST_F(stats, every_counter_moves_exactly)
{
	long long reclaimed = stat_read("objects_reclaimed");
	long long lat_count = stat_read("reclaim_latency/count");
	long long buckets = 0, buckets_after = 0;
	static const char *const bucket[] = {
		"reclaim_latency/lt_1ms", "reclaim_latency/lt_10ms",
		"reclaim_latency/lt_100ms", "reclaim_latency/lt_1s",
		"reclaim_latency/ge_1s",
	};
	uint32_t a, b, c, b2;
	uint64_t id_b;
	struct snapshot s;
	int fd, objfd;

	for (int i = 0; i < 5; i++)
		buckets += stat_read(bucket[i]);
	fd = open(DEV, O_RDWR);
	ASSERT_LE(0, fd);
	take(&s);
	/*   live crt rel refs gets puts hnd files bytes pin
	 *   64live 64crt 256live 4096live 4096crt
	 */
	ASSERT_EQ(0, rs_create(fd, 10, NULL, 0, &a, NULL));
	ASSERT_EQ(0, rs_create(fd, 100, NULL, 0, &b, &id_b));
	ASSERT_EQ(0, rs_create(fd, 2000, NULL, 0, &c, NULL));
	EXPECT_DELTAS(&s, 3, 3, 0, 3, 3, 0, 3, 0, 2110, 0, 1, 1, 1, 1, 1);

	ASSERT_EQ(0, rs_get(fd, a, 5, NULL));
	EXPECT_DELTAS(&s, 0, 0, 0, 5, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	ASSERT_EQ(0, rs_dup(fd, b, &b2));
	EXPECT_DELTAS(&s, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0);
	ASSERT_EQ(0, rs_export(fd, c, 0, 0, &objfd));
	EXPECT_DELTAS(&s, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	ASSERT_EQ(0, rs_pin(fd, REFSLAB_IOC_PIN, id_b));
	EXPECT_DELTAS(&s, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0);

	/* Reads, writes and INFO take no lasting reference. */
	{
		struct refslab_info info;
		uint8_t buf[8] = { 0 };

		ASSERT_EQ(0, rs_info(fd, a, &info));
		ASSERT_EQ(0, rs_write(fd, a, 0, 8, buf, NULL));
		ASSERT_EQ(0, rs_read(fd, a, 0, 8, buf, NULL));
	}
	EXPECT_DELTAS(&s, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

	ASSERT_EQ(0, rs_put(fd, a, 6, NULL));		/* releases a */
	EXPECT_DELTAS(&s, -1, 0, 1, -6, 0, 6, -1, 0, -10, 0, -1, 0, 0, 0, 0);
	/* c keeps the file it exported, and the file its reference... */
	close(objfd);
	EXPECT_DELTAS(&s, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	/* ...until c goes. */
	ASSERT_EQ(0, rs_put(fd, c, 1, NULL));		/* releases c */
	EXPECT_DELTAS(&s, -1, 0, 1, -2, 0, 2, -1, 0, -2000, 0, 0, 0, 0, -1, 0);
	ASSERT_EQ(0, rs_pin(fd, REFSLAB_IOC_UNPIN, id_b));
	EXPECT_DELTAS(&s, 0, 0, 0, -1, 0, 1, 0, 0, 0, -1, 0, 0, 0, 0, 0);
	close(fd);					/* releases b */
	EXPECT_DELTAS(&s, -1, 0, 1, -2, 0, 2, -2, -1, -100, 0, 0, 0, -1, 0, 0);

	ASSERT_EQ(0, wait_reclaimed());
	EXPECT_EQ(3, stat_read("objects_reclaimed") - reclaimed);
	EXPECT_EQ(3, stat_read("reclaim_latency/count") - lat_count);
	for (int i = 0; i < 5; i++)
		buckets_after += stat_read(bucket[i]);
	EXPECT_EQ(3, buckets_after - buckets);
	EXPECT_LE(stat_read("reclaim_latency/mean_ns"),
		  stat_read("reclaim_latency/max_ns"));
	EXPECT_LT(0, stat_read("reclaim_latency/max_ns"));

	/* At rest: created - reclaimed = live + pending. */
	EXPECT_EQ(stat_read("objects_created") - stat_read("objects_reclaimed"),
		  stat_read("objects_live") + stat_read("reclaim_pending"));
	EXPECT_EQ(stat_read("gets") - stat_read("puts"),
		  stat_read("references_live"));
	EXPECT_LE(stat_read("objects_live"), stat_read("peak_objects"));
}

/*
 * Watches and events: SUBSCRIBE adds to watches_live; once the object is
 * reclaimed each watch becomes a queued event (watches_live down,
 * events_pending and events_delivered up); read() takes events_pending
 * back down.
 */
TEST_F(stats, watch_and_event_counters)
{
	long long watches = stat_read("watches_live");
	long long pending = stat_read("events_pending");
	long long delivered = stat_read("events_delivered");
	struct refslab_event ev[4];
	uint32_t handle;
	ssize_t n;
	int fd;

	ASSERT_LE(0, watches);
	ASSERT_LE(0, pending);
	fd = open(DEV, O_RDWR | O_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, rs_create(fd, 8, NULL, 0, &handle, NULL));
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, rs_subscribe(fd, handle));
	EXPECT_EQ(watches + 3, stat_read("watches_live"));
	EXPECT_EQ(pending, stat_read("events_pending"));
	ASSERT_EQ(0, rs_put(fd, handle, 1, NULL));
	ASSERT_EQ(0, wait_reclaimed());
	EXPECT_EQ(watches, wait_stat("watches_live", watches));
	EXPECT_EQ(pending + 3, wait_stat("events_pending", pending + 3));
	EXPECT_EQ(delivered + 3, stat_read("events_delivered"));
	n = read(fd, ev, sizeof(ev));
	EXPECT_EQ(3 * sizeof(ev[0]), n);
	EXPECT_EQ(pending, stat_read("events_pending"));

	/* Queued events go with their file. */
	ASSERT_EQ(0, rs_create(fd, 8, NULL, 0, &handle, NULL));
	ASSERT_EQ(0, rs_subscribe(fd, handle));
	ASSERT_EQ(0, rs_subscribe(fd, handle));
	ASSERT_EQ(0, rs_put(fd, handle, 1, NULL));
	EXPECT_EQ(pending + 2, wait_stat("events_pending", pending + 2));
	close(fd);
	EXPECT_EQ(pending, wait_stat("events_pending", pending));
	EXPECT_EQ(watches, stat_read("watches_live"));
}

/*
 * Objects in use in a slab cache: the first number of its objects file,
 * after "shrink" has flushed the per-CPU slabs, which the count otherwise
 * reports as fully used.
 */
static long long slab_objects(const char *cache)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", cache);
	fd = open(path, O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			return -1;
		close(fd);
	}
	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/objects", cache);
	return read_long(path);
}

TEST_F(stats, slab_cache_agrees)
{
	long long slab_before = slab_objects("refslab_256");
	long long live_before = stat_read("classes/256/objects_live");
	uint32_t handle;
	int fd;

	if (slab_before < 0)
		SKIP(return, "no /sys/kernel/slab/refslab_256/objects");
	fd = open(DEV, O_RDWR);
	ASSERT_LE(0, fd);
	for (int i = 0; i < 100; i++)
		ASSERT_EQ(0, rs_create(fd, 200, NULL, 0, &handle, NULL));
	EXPECT_EQ(100, stat_read("classes/256/objects_live") - live_before);
	EXPECT_EQ(100, slab_objects("refslab_256") - slab_before);
	close(fd);
	ASSERT_EQ(0, wait_reclaimed());
	EXPECT_EQ(0, stat_read("classes/256/objects_live") - live_before);
	EXPECT_EQ(slab_before, slab_objects("refslab_256"));
}

TEST_F(stats, class_object_sizes)
{
	static const int caps[] = { 64, 256, 1024, 4096 };
	char path[64];

	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "classes/%d/capacity", caps[i]);
		EXPECT_EQ(caps[i], stat_read(path));
		snprintf(path, sizeof(path), "classes/%d/object_size", caps[i]);
		EXPECT_LE(caps[i] + 56, stat_read(path));
	}
}

static int fdinfo_value(int fd, const char *key, long long *val)
{
	char path[64], buf[1024] = "", *p;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY);
	if (f < 0)
		return -1;
	if (read(f, buf, sizeof(buf) - 1) < 0) {
		close(f);
		return -1;
	}
	close(f);
	p = strstr(buf, key);
	if (!p || p[strlen(key)] != ':')
		return -1;
	*val = strtoll(p + strlen(key) + 1, NULL, 10);
	return 0;
}

TEST_F(stats, fdinfo_of_the_device)
{
	long long val = -1;
	uint32_t a, b;

	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &a, NULL));
	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &b, NULL));
	ASSERT_EQ(0, rs_get(self->fd, a, 3, NULL));
	ASSERT_EQ(0, fdinfo_value(self->fd, "refslab-handles", &val));
	EXPECT_EQ(2, val);
	ASSERT_EQ(0, fdinfo_value(self->fd, "refslab-references", &val));
	EXPECT_EQ(5, val);
	ASSERT_EQ(0, fdinfo_value(self->fd, "refslab-objects-created", &val));
	EXPECT_EQ(2, val);
	ASSERT_EQ(0, rs_put(self->fd, a, 4, NULL));
	ASSERT_EQ(0, fdinfo_value(self->fd, "refslab-handles", &val));
	EXPECT_EQ(1, val);
	ASSERT_EQ(0, fdinfo_value(self->fd, "refslab-objects-created", &val));
	EXPECT_EQ(2, val);
}

/* --- Tracepoints ---------------------------------------------------------- */

static const char *tracefs(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[128];
	struct stat st;

	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/events/refslab", dirs[i]);
		if (!stat(path, &st))
			return dirs[i];
	}
	return NULL;
}

static int trace_write(const char *dir, const char *file, const char *val)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return write_file(path, val);
}

static char *trace_read(const char *dir)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/trace", dir);
	return slurp(path);
}

TEST_F(stats, tracepoints)
{
	static const char *const events[] = {
		"refslab_create", "refslab_get", "refslab_put",
		"refslab_release", "refslab_reclaim",
	};
	const char *dir = tracefs();
	char path[96], want[128], *trace;
	uint32_t handle;
	uint64_t id;

	if (!dir)
		SKIP(return, "no tracefs with refslab events");
	/* Events are told apart by the new object's id: no need to clear. */
	for (int i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "events/refslab/%s/enable",
			 events[i]);
		ASSERT_EQ(0, trace_write(dir, path, "1"));
	}

	ASSERT_EQ(0, rs_create(self->fd, 33, NULL, 0, &handle, &id));
	ASSERT_EQ(0, rs_get(self->fd, handle, 2, NULL));
	ASSERT_EQ(0, rs_put(self->fd, handle, 3, NULL));
	ASSERT_EQ(0, wait_reclaimed());

	for (int i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "events/refslab/%s/enable",
			 events[i]);
		ASSERT_EQ(0, trace_write(dir, path, "0"));
	}
	trace = trace_read(dir);
	ASSERT_NE(NULL, trace);

	snprintf(want, sizeof(want), "refslab_create: id=%llu size=33 uid=0 ns=%llu",
		 (unsigned long long)id, (unsigned long long)ns_ino(0, "ipc"));
	EXPECT_NE(NULL, strstr(trace, want)) {
		snprintf(path, sizeof(path), "refslab_create: id=%llu ",
			 (unsigned long long)id);
		TH_LOG("missing: %s; found: %.120s", want,
		       strstr(trace, path) ? strstr(trace, path) : "nothing");
	}
	snprintf(want, sizeof(want), "refslab_get: id=%llu count=2 refs=3",
		 (unsigned long long)id);
	EXPECT_NE(NULL, strstr(trace, want)) TH_LOG("missing: %s", want);
	snprintf(want, sizeof(want), "refslab_put: id=%llu count=3 refs=0",
		 (unsigned long long)id);
	EXPECT_NE(NULL, strstr(trace, want)) TH_LOG("missing: %s", want);
	snprintf(want, sizeof(want), "refslab_release: id=%llu size=33",
		 (unsigned long long)id);
	EXPECT_NE(NULL, strstr(trace, want)) TH_LOG("missing: %s", want);
	snprintf(want, sizeof(want), "refslab_reclaim: id=%llu size=33 latency_ns=",
		 (unsigned long long)id);
	EXPECT_NE(NULL, strstr(trace, want)) TH_LOG("missing: %s", want);
	free(trace);
}

/* --- debugfs -------------------------------------------------------------- */

TEST_F(stats, debugfs_objects_and_users)
{
	struct refslab_create c = {
		.size = sizeof(c), .flags = REFSLAB_CREATE_MODE,
		.payload_size = 123, .mode = 0640,
	};
	char want[96], *objects, *users;

	objects = slurp("/sys/kernel/debug/refslab/objects");
	if (!objects)
		SKIP(return, "no debugfs");
	free(objects);
	ASSERT_EQ(0, rs_ioctl(self->fd, REFSLAB_IOC_CREATE, &c));
	ASSERT_EQ(0, rs_get(self->fd, c.handle, 1, NULL));
	ASSERT_EQ(0, rs_pin(self->fd, REFSLAB_IOC_PIN, c.id));

	objects = slurp("/sys/kernel/debug/refslab/objects");
	ASSERT_NE(NULL, objects);
	EXPECT_EQ(0, strncmp(objects,
			     "id ns size refs uid gid mode pinned age_ms\n", 42))
		TH_LOG("objects: %.80s", objects);
	/* ns: the inode number of the object's IPC namespace. */
	snprintf(want, sizeof(want), "\n%llu %llu 123 3 0 0 0640 1 ",
		 (unsigned long long)c.id,
		 (unsigned long long)ns_ino(0, "ipc"));
	EXPECT_NE(NULL, strstr(objects, want)) TH_LOG("objects: %s", objects);
	free(objects);

	/* One line per (user namespace, uid) charged: root of this one. */
	users = slurp("/sys/kernel/debug/refslab/users");
	ASSERT_NE(NULL, users);
	EXPECT_NE(NULL, strstr(users, "# limits: user objects="));
	EXPECT_NE(NULL, strstr(users, "\nuserns uid objects bytes pins watches\n"))
		TH_LOG("users: %s", users);
	snprintf(want, sizeof(want), "\n%llu 0 ",
		 (unsigned long long)ns_ino(0, "user"));
	EXPECT_NE(NULL, strstr(users, want)) TH_LOG("users: %s", users);
	free(users);
	ASSERT_EQ(0, rs_pin(self->fd, REFSLAB_IOC_UNPIN, c.id));
}

/* --- The ABI document ------------------------------------------------------ */

/* Collect regular files under @dir (relative to the refslab root). */
#define NAME_MAX_LEN	128

static void walk(const char *root, const char *rel, char (*out)[NAME_MAX_LEN],
		 int *n, int max)
{
	char path[512], sub[NAME_MAX_LEN];
	struct dirent *de;
	struct stat st;
	DIR *d;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(sub, sizeof(sub), "%s%.64s", rel, de->d_name) >=
		    (int)sizeof(sub) - 1)
			continue;
		snprintf(path, sizeof(path), "%s%s", root, sub);
		if (stat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			strncat(sub, "/", sizeof(sub) - strlen(sub) - 1);
			walk(root, sub, out, n, max);
		} else if (*n < max) {
			memcpy(out[(*n)++], sub, sizeof(sub));
		}
	}
	closedir(d);
}

/* "classes/256/capacity" -> "classes/<capacity>/capacity" */
static void generalise(char *path)
{
	char rest[NAME_MAX_LEN];
	char *p;

	if (strncmp(path, "classes/", 8))
		return;
	p = strchr(path + 8, '/');
	if (!p)
		return;
	snprintf(rest, sizeof(rest), "%.64s", p);
	snprintf(path + 8, NAME_MAX_LEN - 8, "<capacity>%.64s", rest);
}

TEST_F(stats, abi_document_matches_sysfs)
{
	static char found[256][NAME_MAX_LEN];
	int n = 0, matched_doc[sizeof(abi_files) / sizeof(abi_files[0])] = { 0 };

	walk(SYSFS, "", found, &n, 256);
	ASSERT_LT(20, n);
	for (int i = 0; i < n; i++) {
		int documented = 0;

		generalise(found[i]);
		for (unsigned int j = 0; j < sizeof(abi_files) / sizeof(abi_files[0]); j++) {
			if (!strcmp(found[i], abi_files[j])) {
				documented = 1;
				matched_doc[j] = 1;
			}
		}
		EXPECT_TRUE(documented) TH_LOG("undocumented: %s", found[i]);
	}
	for (unsigned int j = 0; j < sizeof(abi_files) / sizeof(abi_files[0]); j++) {
		EXPECT_TRUE(matched_doc[j]) TH_LOG("documented, missing: %s",
						   abi_files[j]);
	}
}

/* --- Bounded reclamation ---------------------------------------------------- */

TEST_F_TIMEOUT(stats, reclaim_backlog_is_bounded, 180)
{
	long long saved = param_read("reclaim_pending_max");
	long long throttles = stat_read("reclaim_throttles");
	long long peak, bound;
	uint32_t handle;
	char val[32];

	ASSERT_LT(0, saved);
	EXPECT_EQ(-EINVAL, param_write("reclaim_pending_max", "0"));
	EXPECT_EQ(-EINVAL, param_write("reclaim_pending_max", "lots"));
	EXPECT_EQ(saved, param_read("reclaim_pending_max"));
	ASSERT_EQ(0, param_write("reclaim_pending_max", "8"));
	EXPECT_EQ(-EINVAL, write_file(SYSFS "reclaim_pending_peak", "5"));
	ASSERT_EQ(0, write_file(SYSFS "reclaim_pending_peak", "0"));

	for (int i = 0; i < 5000; i++) {
		ASSERT_EQ(0, rs_create(self->fd, 64, NULL, 0, &handle, NULL));
		ASSERT_EQ(0, rs_put(self->fd, handle, 1, NULL));
	}
	peak = stat_read("reclaim_pending_peak");
	/*
	 * Each CREATE waits while more than the limit are pending; between
	 * that check and the next, this one thread releases one object.
	 */
	bound = 8 + 1;
	EXPECT_LE(peak, bound);
	EXPECT_LT(throttles, stat_read("reclaim_throttles"));
	TH_LOG("storm of 5000: peak pending %lld (bound %lld), %lld throttles",
	       peak, bound, stat_read("reclaim_throttles") - throttles);
	snprintf(val, sizeof(val), "%lld", saved);
	ASSERT_EQ(0, param_write("reclaim_pending_max", val));
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * refslab kselftest: isolation and abuse resistance (issue 13).
 *
 * - Ids are names within one IPC namespace: a task in a new one cannot
 *   open, pin, unpin, watch or list the parent's objects by id, also
 *   through the device file it inherited, and counts its own ids from 1;
 *   objects still cross as files (SCM_RIGHTS), and INFO of one reports id
 *   0 and REFSLAB_INFO_FOREIGN.  A batch names ids in its caller's
 *   namespace, also when its first operation finds no state there yet.
 *   A device file keeps the state of the first namespace it was used in
 *   until it is closed, and names the ids of wherever it is used.
 * - Pins of a namespace whose processes are all gone are no leak: root
 *   finds the namespace, lists its pins and unpins them; nobody else may.
 * - Quotas are charged up the user-namespace chain: a user who maps 64
 *   uids into a user namespace holds no more than its own limits.
 * - A watch storm (many files, many watches on one object, as many as the
 *   quota allows): the final put's latency and the delivery time are
 *   printed, a listener that does not read gets an overflow record, and
 *   every watch and event is accounted for.
 *
 * Everything here needs root (namespaces, other users, module
 * parameters); each test skips when it is not permitted.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/fsuid.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#define REFSLAB_SELFTEST_SHARE_HELPERS
#include "refslab_selftest.h"

/* Users the tests switch to; nobody else uses them in the VM. */
#define NS_OTHER_UID	3300
#define NS_MAPPER_UID	1000	/* owns the user namespace */
#define NS_MAP_BASE	100000
#define NS_MAP_COUNT	64

FIXTURE(ns) {
	int fd;
	struct baseline base;
	struct saved_params params;
	long long pinned, namespaces;
};

/* namespaces_live once it is at most @want, waiting up to 10 s. */
static long long wait_namespaces(long long want)
{
	long long val = -1;

	for (int i = 0; i < 1000; i++) {
		val = stat_read("namespaces_live");
		if (val <= want)
			break;
		usleep(10000);
	}
	return val;
}

FIXTURE_SETUP(ns)
{
	baseline_take(&self->base);
	self->pinned = stat_read("pinned_objects");
	self->namespaces = stat_read("namespaces_live");
	child_report_map();
	self->fd = open_dev(_metadata);
	if (self->fd >= 0 && geteuid())
		SKIP(return, "needs root");
}

FIXTURE_TEARDOWN(ns)
{
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_EQ(0, params_restore(&self->params));
	EXPECT_BASELINE(&self->base);
	EXPECT_EQ(self->pinned, wait_stat("pinned_objects", self->pinned));
	/*
	 * A namespace's refslab state (its ids) goes once neither a task nor
	 * an object is left in it: soon after, as empty ones are looked at
	 * again every so often, which may also end one an earlier program
	 * left.
	 */
	EXPECT_GE(self->namespaces, wait_namespaces(self->namespaces));
}

/* Enter a new IPC namespace, or skip: the kernel or the caller cannot. */
#define UNSHARE_OR_SKIP(flags) do {					\
	if (unshare(flags))						\
		SKIP(return, "unshare(%s): %s", #flags, strerror(errno)); \
} while (0)

static int create_mode(int fd, const char *data, uint32_t mode,
		       uint32_t *handle, uint64_t *id)
{
	struct refslab_create c = {
		.size = sizeof(c), .flags = REFSLAB_CREATE_MODE,
		.payload_size = 32, .mode = mode, .data = (uintptr_t)data,
		.data_len = data ? strlen(data) + 1 : 0,
	};
	int ret = rs_ioctl(fd, REFSLAB_IOC_CREATE, &c);

	if (!ret) {
		*handle = c.handle;
		*id = c.id;
	}
	return ret;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* --- Ids per IPC namespace --------------------------------------------- */

struct iso_case {
	int fd;			/* the parent's device file, inherited */
	int sock;		/* the parent's exported object arrives here */
	uint64_t id_a, id_b;	/* the parent's: A in flight, B pinned */
	uint32_t handle_b;	/* the parent's handle to B */
	int home;		/* the IPC namespace the test started in */
};

/*
 * None of the parent's ids names anything here, whichever file asks: and
 * nothing of the parent's is listed.
 */
static int ids_hidden(int fd, const struct iso_case *c)
{
	uint64_t ids[8];
	uint32_t h;

	CHILD_CHECK(rs_open(fd, c->id_a, REFSLAB_RIGHT_READ, &h), -ENOENT);
	CHILD_CHECK(rs_open(fd, c->id_b, REFSLAB_RIGHT_READ, &h), -ENOENT);
	CHILD_CHECK(rs_pin(fd, REFSLAB_IOC_PIN, c->id_a), -ENOENT);
	CHILD_CHECK(rs_pin(fd, REFSLAB_IOC_PIN, c->id_b), -ENOENT);
	CHILD_CHECK(rs_pin(fd, REFSLAB_IOC_UNPIN, c->id_b), -ENOENT);
	CHILD_CHECK(rs_subscribe_id(fd, c->id_a, 1), -ENOENT);
	CHILD_CHECK(rs_subscribe_id(fd, c->id_b, 1), -ENOENT);
	CHILD_CHECK(rs_list(fd, 0, 0, 0, ids, 8), 0);
	return 0;
}

static int isolated_child(void *arg)
{
	const struct iso_case *c = arg;
	struct refslab_event ev;
	struct refslab_info info;
	char data[32] = "";
	uint32_t h, imported;
	uint64_t id, ids[8];
	int fd, objfd;

	CHILD_CHECK(unshare(CLONE_NEWIPC), 0);
	fd = open(DEV, O_RDWR);
	CHILD_CHECK(fd >= 0, 1);
	CHILD_CHECK(ids_hidden(c->fd, c), 0);	/* the inherited file */
	CHILD_CHECK(ids_hidden(fd, c), 0);	/* a file of its own */

	/* A handle in the inherited table still works: a foreign object. */
	CHILD_CHECK(rs_info(c->fd, c->handle_b, &info), 0);
	CHILD_CHECK(info.id, 0);
	CHILD_CHECK(info.state & REFSLAB_INFO_FOREIGN, REFSLAB_INFO_FOREIGN);

	/* Its own ids count from 1 here too: the parent's A is 1. */
	CHILD_CHECK(create_mode(fd, "child's", 0666, &h, &id), 0);
	CHILD_CHECK(id, c->id_a);
	CHILD_CHECK(rs_read(fd, h, 0, 8, data, NULL), 0);
	CHILD_CHECK(strcmp(data, "child's"), 0);
	CHILD_CHECK(rs_info(fd, h, &info), 0);
	CHILD_CHECK(info.id, id);
	CHILD_CHECK(info.state, 0);
	CHILD_CHECK(rs_pin(fd, REFSLAB_IOC_PIN, id), 0);
	CHILD_CHECK(rs_list(fd, 0, 0, 0, ids, 8), 1);
	CHILD_CHECK(ids[0], id);
	CHILD_CHECK(rs_pin(fd, REFSLAB_IOC_UNPIN, id), 0);
	CHILD_CHECK(rs_put(fd, h, 1, NULL), 0);

	/* The parent's object, passed as a file, imports and reads. */
	objfd = recv_fd(c->sock);
	CHILD_CHECK(objfd >= 0, 1);
	CHILD_CHECK(rs_import(fd, objfd, &imported), 0);
	close(objfd);
	memset(data, 0, sizeof(data));
	CHILD_CHECK(rs_read(fd, imported, 0, 9, data, NULL), 0);
	CHILD_CHECK(strcmp(data, "parent A"), 0);
	CHILD_CHECK(rs_info(fd, imported, &info), 0);
	CHILD_CHECK(info.id, 0);
	CHILD_CHECK(info.state, REFSLAB_INFO_FOREIGN);
	/* Watched by handle; its event reports id 0 too. */
	CHILD_CHECK(rs_subscribe_full(fd, 0, imported, 0, 0xc0ffee), 0);
	CHILD_CHECK(rs_put(fd, imported, 1, NULL), 0);
	CHILD_CHECK(read_event(fd, &ev, 5000), 1);
	CHILD_CHECK(ev.type, REFSLAB_EVENT_RECLAIMED);
	CHILD_CHECK(ev.id, 0);
	CHILD_CHECK(ev.cookie, 0xc0ffee);
	return 0;
}

TEST_F_TIMEOUT(ns, ids_are_per_ipc_namespace, 60)
{
	struct iso_case *c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char data[32] = "";
	uint32_t ha, hb;
	uint64_t ids[8];
	int sv[2], objfd;

	ASSERT_NE(MAP_FAILED, c);
	/*
	 * A namespace of this test's own, so that its ids count from 1; left
	 * at the end, so that nothing keeps it (and its ids) alive.
	 */
	c->home = open("/proc/self/ns/ipc", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, c->home);
	UNSHARE_OR_SKIP(CLONE_NEWIPC);
	ASSERT_EQ(0, create_mode(self->fd, "parent A", 0666, &ha, &c->id_a));
	ASSERT_EQ(0, create_mode(self->fd, "parent B", 0666, &hb, &c->id_b));
	EXPECT_EQ(1, c->id_a);
	EXPECT_EQ(2, c->id_b);
	ASSERT_EQ(0, rs_pin(self->fd, REFSLAB_IOC_PIN, c->id_b));

	/* A travels as a file only: in flight, its handle put. */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(0, rs_export(self->fd, ha, 0, 0, &objfd));
	ASSERT_EQ(0, send_fd(sv[0], objfd));
	close(objfd);
	ASSERT_EQ(0, rs_put(self->fd, ha, 1, NULL));
	c->fd = self->fd;
	c->sock = sv[1];
	c->handle_b = hb;
	EXPECT_CHILD(run_child(isolated_child, c));

	/* The child's object 1 was never the parent's, nor listed here. */
	EXPECT_EQ(-ENOENT, rs_open(self->fd, c->id_a, REFSLAB_RIGHT_READ, &ha));
	ASSERT_EQ(0, rs_open(self->fd, c->id_b, REFSLAB_RIGHT_READ, &ha));
	ASSERT_EQ(0, rs_read(self->fd, ha, 0, 9, data, NULL));
	EXPECT_STREQ("parent B", data);
	ASSERT_EQ(1, rs_list(self->fd, 0, 0, 0, ids, 8));
	EXPECT_EQ(c->id_b, ids[0]);
	EXPECT_EQ(0, rs_pin(self->fd, REFSLAB_IOC_UNPIN, c->id_b));
	/* Back home: the teardown's file close ends this namespace's last. */
	EXPECT_EQ(0, setns(c->home, CLONE_NEWIPC));
	close(c->home);
	close(sv[0]);
	close(sv[1]);
	munmap(c, sizeof(*c));
}

/* --- A batch's namespace ------------------------------------------------- */

#define INLINE_OPEN(_id) {						\
	.cmd = REFSLAB_CMD_OPEN, .flags = REFSLAB_BATCH_OP_INLINE,	\
	.open = { .id = (_id), .rights = REFSLAB_RIGHT_READ },		\
}

/*
 * A batch names ids in its caller's namespace, whatever the file: here a
 * new one, with no refslab state yet, through the parent's file, which
 * keeps the parent's namespace state (each operation looks the child's
 * up).  OPEN of id 1 finds nothing; the CREATE after it makes the
 * state and id 1, which the next OPEN finds; a CREATE by pointer and an
 * OPEN of its id follow.
 */
static int batch_namespace_child(void *arg)
{
	struct refslab_create cr = { .size = sizeof(cr), .payload_size = 8 };
	struct refslab_batch_op ops[] = {
		INLINE_OPEN(1),
		{
			.cmd = REFSLAB_CMD_CREATE,
			.flags = REFSLAB_BATCH_OP_INLINE,
			.create = { .payload_size = 8 },
		},
		INLINE_OPEN(1),
		{ .cmd = REFSLAB_CMD_CREATE, .arg = (uintptr_t)&cr },
		INLINE_OPEN(2),
	};
	struct refslab_info info;
	int fd = *(int *)arg;
	uint32_t done = 0;

	CHILD_CHECK(unshare(CLONE_NEWIPC), 0);
	CHILD_CHECK(rs_batch(fd, REFSLAB_BATCH_CONTINUE, ops, ARRAY_SIZE(ops),
			     &done), 0);
	CHILD_CHECK(done, ARRAY_SIZE(ops));
	CHILD_CHECK(ops[0].result, -ENOENT);
	CHILD_CHECK(ops[1].result, 0);
	CHILD_CHECK(ops[1].create.id, 1);
	CHILD_CHECK(ops[2].result, 0);
	CHILD_CHECK(ops[3].result, 0);
	CHILD_CHECK(cr.id, 2);
	CHILD_CHECK(ops[4].result, 0);
	CHILD_CHECK(rs_info(fd, ops[2].open.handle, &info), 0);
	CHILD_CHECK(info.id, 1);
	CHILD_CHECK(info.state, 0);
	CHILD_CHECK(rs_info(fd, ops[4].open.handle, &info), 0);
	CHILD_CHECK(info.id, 2);
	/* The file is the parent's too: nothing may stay in its table. */
	CHILD_CHECK(rs_put(fd, ops[1].create.handle, 1, NULL), 0);
	CHILD_CHECK(rs_put(fd, ops[2].open.handle, 1, NULL), 0);
	CHILD_CHECK(rs_put(fd, cr.handle, 1, NULL), 0);
	CHILD_CHECK(rs_put(fd, ops[4].open.handle, 1, NULL), 0);
	return 0;
}

TEST_F_TIMEOUT(ns, batch_names_ids_in_the_callers_namespace, 60)
{
	uint32_t h;
	uint64_t id;

	/* The file's first use, here: it keeps this namespace's state. */
	ASSERT_EQ(0, create_mode(self->fd, NULL, 0600, &h, &id));
	ASSERT_EQ(0, rs_put(self->fd, h, 1, NULL));
	EXPECT_CHILD(run_child(batch_namespace_child, &self->fd));
}

/*
 * A device file keeps the state of the first namespace a command needed
 * one in through it, until it is released: here a child's, whose last
 * task has gone while the parent holds the file.  Used in the parent's
 * namespace, the same file names the parent's ids.
 */
static int file_namespace_child(void *arg)
{
	int sock = *(int *)arg;
	uint32_t h;
	uint64_t id;
	int fd;

	CHILD_CHECK(unshare(CLONE_NEWIPC), 0);
	fd = open(DEV, O_RDWR);
	CHILD_CHECK(fd >= 0, 1);
	CHILD_CHECK(create_mode(fd, NULL, 0600, &h, &id), 0);
	CHILD_CHECK(id, 1);
	CHILD_CHECK(rs_put(fd, h, 1, NULL), 0);
	CHILD_CHECK(send_fd(sock, fd), 0);
	return 0;
}

TEST_F_TIMEOUT(ns, a_file_keeps_its_first_namespace_state, 60)
{
	struct refslab_info info;
	uint32_t h, opened;
	long long live;
	uint64_t id;
	int sv[2], fd;

	/* What earlier tests left may still be going: from a settled count. */
	live = wait_namespaces(self->namespaces);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_CHILD(run_child(file_namespace_child, &sv[0]));
	fd = recv_fd(sv[1]);
	ASSERT_LE(0, fd);
	/* Longer than the empty states' recheck (a second). */
	usleep(1500 * 1000);
	EXPECT_EQ(live + 1, stat_read("namespaces_live"));

	ASSERT_EQ(0, create_mode(fd, "here", 0600, &h, &id));
	ASSERT_EQ(0, rs_open(self->fd, id, REFSLAB_RIGHT_READ, &opened));
	ASSERT_EQ(0, rs_info(fd, h, &info));
	EXPECT_EQ(id, info.id);
	EXPECT_EQ(0, info.state);
	EXPECT_EQ(0, rs_put(fd, h, 1, NULL));
	EXPECT_EQ(0, rs_put(self->fd, opened, 1, NULL));

	close(fd);
	EXPECT_GE(live, wait_namespaces(live));
	close(sv[0]);
	close(sv[1]);
}

/* --- Pins of an orphaned namespace -------------------------------------- */

#define ORPHAN_PINS	3

struct orphan_case {
	int ready[2], go[2];
	uint64_t ns;
};

/* Pin ORPHAN_PINS objects in a new IPC namespace, then exit. */
static int orphan_child(void *arg)
{
	struct orphan_case *c = arg;
	uint32_t h;
	uint64_t id;
	char byte;
	int fd;

	close(c->ready[0]);
	close(c->go[1]);
	CHILD_CHECK(unshare(CLONE_NEWIPC), 0);
	fd = open(DEV, O_RDWR);
	CHILD_CHECK(fd >= 0, 1);
	for (int i = 0; i < ORPHAN_PINS; i++) {
		CHILD_CHECK(create_mode(fd, "orphan", 0600, &h, &id), 0);
		CHILD_CHECK(id, i + 1);
		CHILD_CHECK(rs_pin(fd, REFSLAB_IOC_PIN, id), 0);
	}
	CHILD_CHECK(write(c->ready[1], "r", 1), 1);
	CHILD_CHECK(read(c->go[0], &byte, 1), 1);
	return 0;	/* every handle goes; the pins stay */
}

/* Anyone else: EPERM for every command that names a namespace. */
static int orphan_stranger(void *arg)
{
	struct orphan_case *c = arg;
	uint64_t ids[8];
	int fd;

	if (setgroups(0, NULL) ||
	    setresgid(NS_OTHER_UID, NS_OTHER_UID, NS_OTHER_UID) ||
	    setresuid(NS_OTHER_UID, NS_OTHER_UID, NS_OTHER_UID))
		return 100;
	fd = open(DEV, O_RDWR);
	CHILD_CHECK(fd >= 0, 1);
	CHILD_CHECK(rs_list(fd, REFSLAB_LIST_NAMESPACES, 0, 0, ids, 8), -EPERM);
	CHILD_CHECK(rs_list(fd, REFSLAB_LIST_NS, c->ns, 0, ids, 8), -EPERM);
	CHILD_CHECK(rs_pin_ns(fd, REFSLAB_IOC_UNPIN, REFSLAB_PIN_NS, 1, c->ns),
		    -EPERM);
	CHILD_CHECK(rs_pin_ns(fd, REFSLAB_IOC_PIN, REFSLAB_PIN_NS, 1, c->ns),
		    -EPERM);
	return 0;
}

static int has_value(const uint64_t *v, int n, uint64_t want)
{
	for (int i = 0; i < n; i++)
		if (v[i] == want)
			return 1;
	return 0;
}

TEST_F_TIMEOUT(ns, admin_unpins_an_orphaned_namespace, 60)
{
	struct orphan_case *c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	long long live = stat_read("objects_live");
	uint64_t nss[256], ids[16];
	int status, n;
	char byte;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, c);
	ASSERT_EQ(0, pipe(c->ready));
	ASSERT_EQ(0, pipe(c->go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(orphan_child(c));
	close(c->ready[1]);
	close(c->go[0]);
	/* Its namespace's number, taken while it still has a process. */
	if (read(c->ready[0], &byte, 1) == 1)
		c->ns = ns_ino(pid, "ipc");
	EXPECT_EQ(1, write(c->go[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_CHILD(WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	ASSERT_NE(0, c->ns);
	if (c->ns == ns_ino(0, "ipc"))
		SKIP(return, "no IPC namespace for the child");
	EXPECT_EQ(ORPHAN_PINS, stat_read("objects_live") - live);
	EXPECT_EQ(ORPHAN_PINS, stat_read("pinned_objects") - self->pinned);

	/* Root finds the namespace... */
	n = list_all(self->fd, REFSLAB_LIST_NAMESPACES, 0, nss, 256, 0);
	EXPECT_TRUE(has_value(nss, n, c->ns))
		TH_LOG("namespace %llu not among %d listed",
		       (unsigned long long)c->ns, n);
	for (int i = 1; i < n; i++) {
		EXPECT_LT(nss[i - 1], nss[i]);
	}
	ASSERT_EQ(1, rs_list(self->fd, REFSLAB_LIST_NAMESPACES, 0, c->ns - 1,
			     nss, 1));
	EXPECT_EQ(c->ns, nss[0]);
	/* ...and its pins, paged one at a time as well. */
	ASSERT_EQ(ORPHAN_PINS, list_all(self->fd, REFSLAB_LIST_NS, c->ns, ids,
					16, 0));
	for (int i = 0; i < ORPHAN_PINS; i++) {
		EXPECT_EQ(i + 1, ids[i]);
	}
	EXPECT_EQ(ORPHAN_PINS, list_all(self->fd, REFSLAB_LIST_NS, c->ns, ids,
					16, 1));

	/* Nobody else may, and malformed calls say so. */
	EXPECT_CHILD(run_child(orphan_stranger, c));
	EXPECT_EQ(-EINVAL, rs_list(self->fd, REFSLAB_LIST_ALL, c->ns, 0, ids,
				   16));
	EXPECT_EQ(-EINVAL, rs_list(self->fd, 0, c->ns, 0, ids, 16));
	EXPECT_EQ(-EINVAL, rs_list(self->fd, REFSLAB_LIST_NAMESPACES, c->ns, 0,
				   ids, 16));
	EXPECT_EQ(-EINVAL, rs_pin_ns(self->fd, REFSLAB_IOC_UNPIN, 0, 1, c->ns));
	EXPECT_EQ(-ENOENT, rs_list(self->fd, REFSLAB_LIST_NS, 1, 0, ids, 16));
	EXPECT_EQ(-ENOENT, rs_pin_ns(self->fd, REFSLAB_IOC_UNPIN,
				     REFSLAB_PIN_NS, 1, 1));
	EXPECT_EQ(-EEXIST, rs_pin_ns(self->fd, REFSLAB_IOC_PIN, REFSLAB_PIN_NS,
				     1, c->ns));
	EXPECT_EQ(ORPHAN_PINS, stat_read("pinned_objects") - self->pinned);

	/* Root unpins them: the objects go, and the namespace with them. */
	for (int i = 0; i < ORPHAN_PINS; i++) {
		EXPECT_EQ(0, rs_pin_ns(self->fd, REFSLAB_IOC_UNPIN,
				       REFSLAB_PIN_NS, i + 1, c->ns));
		EXPECT_EQ(-ENOENT, rs_pin_ns(self->fd, REFSLAB_IOC_UNPIN,
					     REFSLAB_PIN_NS, i + 1, c->ns));
	}
	EXPECT_EQ(live, stat_read("objects_live"));
	EXPECT_EQ(self->pinned, stat_read("pinned_objects"));
	n = list_all(self->fd, REFSLAB_LIST_NAMESPACES, 0, nss, 256, 0);
	EXPECT_FALSE(has_value(nss, n, c->ns));
	EXPECT_EQ(0, wait_reclaimed());
	close(c->ready[0]);
	close(c->go[1]);
	munmap(c, sizeof(*c));
}

/* --- Quotas up the user-namespace chain --------------------------------- */

#define USERNS_MAX_OBJECTS	10
#define USERNS_MAX_PINS		3
#define USERNS_PER_UID		2	/* objects each mapped uid tries */

struct userns_case {
	int ready[2], go[2];	/* child -> parent, parent -> child */
	int created, owners, refused, pinned, pin_refused;
	uint64_t userns;
};

/*
 * Uid 1000 in a user namespace of its own, where root (the parent) mapped
 * uids 0-63 as newuidmap does: objects and pins as many of those uids as
 * will, each within its own limit and all of them within uid 1000's.
 */
static int userns_child(void *arg)
{
	struct userns_case *c = arg;
	uint32_t handles[NS_MAP_COUNT * USERNS_PER_UID];
	uint64_t ids[NS_MAP_COUNT * USERNS_PER_UID];
	uid_t owner[NS_MAP_COUNT * USERNS_PER_UID];
	struct refslab_info info;
	int fd, ret, last = -1;
	char byte;

	close(c->ready[0]);
	close(c->go[1]);
	fd = open(DEV, O_RDWR);
	if (fd < 0 || setgroups(0, NULL) ||
	    setresgid(NS_MAPPER_UID, NS_MAPPER_UID, NS_MAPPER_UID) ||
	    setresuid(NS_MAPPER_UID, NS_MAPPER_UID, NS_MAPPER_UID))
		return 100;
	if (unshare(CLONE_NEWUSER))
		return 42;	/* no unprivileged user namespaces: skip */
	CHILD_CHECK(write(c->ready[1], "r", 1), 1);
	CHILD_CHECK(read(c->go[0], &byte, 1), 1);
	setfsgid(0);
	CHILD_CHECK(setfsgid(-1), 0);

	for (uid_t u = 0; u < NS_MAP_COUNT; u++) {
		setfsuid(u);
		CHILD_CHECK(setfsuid(-1), u);
		for (int k = 0; k < USERNS_PER_UID; k++) {
			ret = rs_create(fd, 8, NULL, 0, &handles[c->created],
					&ids[c->created]);
			if (ret) {
				CHILD_CHECK(ret, -EDQUOT);
				c->refused++;
				break;
			}
			CHILD_CHECK(rs_info(fd, handles[c->created], &info), 0);
			CHILD_CHECK(info.uid, u);
			owner[c->created] = u;
			c->owners += last != (int)u;
			last = u;
			c->created++;
		}
	}
	/* Pins, each by its object's owner. */
	for (int i = 0; i < c->created; i++) {
		setfsuid(owner[i]);
		ret = rs_pin(fd, REFSLAB_IOC_PIN, ids[i]);
		if (ret) {
			CHILD_CHECK(ret, -EDQUOT);
			c->pin_refused++;
			continue;
		}
		c->pinned++;
	}
	/* The parent looks while they are all held. */
	CHILD_CHECK(write(c->ready[1], "h", 1), 1);
	CHILD_CHECK(read(c->go[0], &byte, 1), 1);
	for (int i = 0; i < c->created; i++) {
		setfsuid(owner[i]);
		ret = rs_pin(fd, REFSLAB_IOC_UNPIN, ids[i]);
		CHILD_CHECK(ret == 0 || ret == -ENOENT, 1);
	}
	return 0;
}

/* Uid 1000 itself, outside: creates until refused; returns how many. */
static int mapper_creates(void *arg)
{
	uint32_t handle;
	int fd, n = 0;

	(void)arg;
	if (setgroups(0, NULL) ||
	    setresgid(NS_MAPPER_UID, NS_MAPPER_UID, NS_MAPPER_UID) ||
	    setresuid(NS_MAPPER_UID, NS_MAPPER_UID, NS_MAPPER_UID))
		return 100;
	fd = open(DEV, O_RDWR);
	if (fd < 0)
		return 101;
	while (n < 50 && !rs_create(fd, 8, NULL, 0, &handle, NULL))
		n++;
	return n;
}

static int write_proc(pid_t pid, const char *file, const char *val)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	return write_file(path, val);
}

TEST_F_TIMEOUT(ns, user_namespace_cannot_multiply_quotas, 120)
{
	struct userns_case *c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char map[64], want[96], want2[96], *users;
	int status;
	char byte;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, c);
	SET_PARAM("user_max_objects", USERNS_MAX_OBJECTS);
	SET_PARAM("user_max_pins", USERNS_MAX_PINS);
	ASSERT_EQ(0, pipe(c->ready));
	ASSERT_EQ(0, pipe(c->go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(userns_child(c));
	close(c->ready[1]);
	close(c->go[0]);
	if (read(c->ready[0], &byte, 1) == 1) {
		/* As newuidmap does: root maps a range for uid 1000. */
		snprintf(map, sizeof(map), "0 %d %d\n", NS_MAP_BASE,
			 NS_MAP_COUNT);
		EXPECT_EQ(0, write_proc(pid, "setgroups", "deny"));
		EXPECT_EQ(0, write_proc(pid, "uid_map", map));
		EXPECT_EQ(0, write_proc(pid, "gid_map", map));
		c->userns = ns_ino(pid, "user");
		EXPECT_EQ(1, write(c->go[1], "g", 1));
	}
	if (read(c->ready[0], &byte, 1) == 1) {
		/* All of it is uid 1000's: it can create nothing itself. */
		EXPECT_EQ(0, run_child(mapper_creates, NULL));
		users = slurp("/sys/kernel/debug/refslab/users");
		if (users) {
			/* Usage per (user namespace, uid), every level. */
			snprintf(want, sizeof(want), "\n%llu %d %d ",
				 (unsigned long long)ns_ino(0, "user"),
				 NS_MAPPER_UID, USERNS_MAX_OBJECTS);
			EXPECT_NE(NULL, strstr(users, want))
				TH_LOG("no '%s' in users: %s", want + 1, users);
			/* Its uid 0: as a uid there, or as the kernel's. */
			snprintf(want, sizeof(want), "\n%llu 0 %d ",
				 (unsigned long long)c->userns,
				 USERNS_PER_UID);
			snprintf(want2, sizeof(want2), "\n%llu %d %d ",
				 (unsigned long long)c->userns, NS_MAP_BASE,
				 USERNS_PER_UID);
			EXPECT_TRUE(strstr(users, want) || strstr(users, want2))
				TH_LOG("no '%s' in users: %s", want + 1, users);
			free(users);
		}
		EXPECT_EQ(1, write(c->go[1], "g", 1));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 42)
		SKIP(return, "uid %d cannot create a user namespace",
		     NS_MAPPER_UID);
	EXPECT_CHILD(WEXITSTATUS(status));
	TH_LOG("64 mapped uids: %d objects held by %d of them, %d refused; %d pins, %d refused",
	       c->created, c->owners, c->refused, c->pinned, c->pin_refused);
	EXPECT_EQ(USERNS_MAX_OBJECTS, c->created);
	EXPECT_EQ(USERNS_MAX_OBJECTS / USERNS_PER_UID, c->owners);
	EXPECT_EQ(NS_MAP_COUNT - c->owners, c->refused);
	EXPECT_EQ(USERNS_MAX_PINS, c->pinned);
	EXPECT_EQ(c->created - USERNS_MAX_PINS, c->pin_refused);
	/* Everything was given back with the namespace's objects. */
	EXPECT_EQ(USERNS_MAX_OBJECTS, run_child(mapper_creates, NULL));
	close(c->ready[0]);
	close(c->go[1]);
	munmap(c, sizeof(*c));
}

/* --- A watch storm ------------------------------------------------------ */

struct listener {
	int fd;
	int index;
	bool reads;		/* reads while events arrive */
	uint32_t watches;
	uint64_t id, start_ns;
	/* results */
	uint32_t reclaimed, lost, overflows, bad, dups;
	uint64_t done_ns;	/* when every watch was accounted for */
	uint8_t *seen;		/* one byte per watch */
};

/* Account for the records in @buf[0..@n); 1 once all watches are. */
static int account(struct listener *l, const uint8_t *buf, ssize_t n)
{
	const struct refslab_event *ev;
	uint64_t w;

	for (ssize_t off = 0; off < n; off += ev->len) {
		ev = (const void *)(buf + off);
		if (ev->len != sizeof(*ev)) {
			l->bad++;
			break;
		}
		if (ev->type == REFSLAB_EVENT_OVERFLOW) {
			l->overflows++;
			l->lost += ev->count;
			l->bad += ev->id || ev->cookie || !ev->count;
			continue;
		}
		w = ev->cookie & 0xffffffffULL;
		if (ev->type != REFSLAB_EVENT_RECLAIMED || ev->id != l->id ||
		    ev->count != 1 || ev->cookie >> 32 != (uint64_t)l->index ||
		    w >= l->watches) {
			l->bad++;
			continue;
		}
		l->dups += l->seen[w]++ != 0;
		l->reclaimed++;
	}
	if (l->reclaimed + l->lost >= l->watches && !l->done_ns)
		l->done_ns = now_ns();
	return l->reclaimed + l->lost >= l->watches;
}

/* A listener that reads as events arrive, for up to 120 s. */
static void *reader(void *arg)
{
	struct listener *l = arg;
	struct pollfd pfd = { .fd = l->fd, .events = POLLIN };
	uint8_t buf[64 * sizeof(struct refslab_event)];
	uint64_t deadline = now_ns() + 120000000000ULL;
	ssize_t n;

	while (now_ns() < deadline) {
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = read(l->fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EAGAIN)
				continue;
			l->bad++;
			break;
		}
		if (account(l, buf, n))
			break;
	}
	return NULL;
}

/* Read whatever is queued (the file is non-blocking). */
static void drain(struct listener *l)
{
	uint8_t buf[64 * sizeof(struct refslab_event)];
	ssize_t n;

	while ((n = read(l->fd, buf, sizeof(buf))) > 0)
		account(l, buf, n);
	if (n < 0 && errno != EAGAIN)
		l->bad++;
}

TEST_F_TIMEOUT(ns, watch_storm, 300)
{
	const unsigned int files = slow_kernel() ? 8 : 16;
	const unsigned int per_file = slow_kernel() ? 512 : 4096;
	const unsigned int total = files * per_file;
	long long watches0 = stat_read("watches_live");
	long long delivered0 = stat_read("events_delivered");
	long long dropped0 = stat_read("events_dropped");
	uint64_t t0, t_setup, t_put, t_queued, slowest = 0;
	struct listener *l = calloc(files, sizeof(*l));
	pthread_t *threads = calloc(files, sizeof(*threads));
	unsigned int got;
	uint32_t handle;
	uint64_t id;
	int err;

	ASSERT_NE(NULL, l);
	ASSERT_NE(NULL, threads);
	ASSERT_LE(0, watches0);
	/* Root's watches: the user limit refuses, then the privileged one. */
	SET_PARAM("user_max_watches", total);
	SET_PARAM("priv_max_watches", total);
	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &handle, &id));

	t0 = now_ns();
	for (unsigned int f = 0; f < files; f++) {
		l[f] = (struct listener){
			.index = f, .reads = f % 2 == 0, .watches = per_file,
			.id = id, .seen = calloc(per_file, 1),
		};
		ASSERT_NE(NULL, l[f].seen);
		l[f].fd = open(DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		ASSERT_LE(0, l[f].fd);
		got = subscribe_many(l[f].fd, 0, id, (uint64_t)f << 32,
				     per_file, &err);
		ASSERT_EQ(per_file, got) TH_LOG("file %u: errno %d", f, -err);
	}
	t_setup = now_ns() - t0;
	/* The quota is full now. */
	EXPECT_EQ(-EDQUOT, rs_subscribe_id(l[0].fd, id, 0));
	EXPECT_EQ(-EDQUOT, rs_subscribe(self->fd, handle));
	EXPECT_EQ(total, stat_read("watches_live") - watches0);

	for (unsigned int f = 0; f < files; f++) {
		if (!l[f].reads)
			continue;
		ASSERT_EQ(0, pthread_create(&threads[f], NULL, reader, &l[f]));
	}

	/* The final put, then every watch turns into an event or a loss. */
	t0 = now_ns();
	ASSERT_EQ(0, rs_put(self->fd, handle, 1, NULL));
	t_put = now_ns() - t0;
	for (int i = 0; i < 120000; i++) {
		if (stat_read("watches_live") == watches0)
			break;
		usleep(1000);
	}
	t_queued = now_ns() - t0;
	EXPECT_EQ(watches0, stat_read("watches_live"));
	EXPECT_EQ(total, stat_read("events_delivered") - delivered0 +
			 stat_read("events_dropped") - dropped0);

	for (unsigned int f = 0; f < files; f++) {
		if (l[f].reads) {
			pthread_join(threads[f], NULL);
			if (l[f].done_ns && l[f].done_ns - t0 > slowest)
				slowest = l[f].done_ns - t0;
		} else {
			drain(&l[f]);
		}
	}
	ksft_print_msg("watch storm: %u files x %u watches on one object (the quota), set up in %.1f ms\n",
		       files, per_file, t_setup / 1e6);
	ksft_print_msg("watch storm: final PUT %.3f ms; every watch queued or counted lost %.1f ms after it; slowest reading listener done %.1f ms after it\n",
		       t_put / 1e6, t_queued / 1e6, slowest / 1e6);

	for (unsigned int f = 0; f < files; f++) {
		struct listener *x = &l[f];

		EXPECT_EQ(0, x->bad) TH_LOG("listener %u: malformed records", f);
		EXPECT_EQ(0, x->dups) TH_LOG("listener %u: cookie twice", f);
		EXPECT_EQ(per_file, x->reclaimed + x->lost)
			TH_LOG("listener %u: %u events, %u lost", f,
			       x->reclaimed, x->lost);
		if (!x->reads && per_file > REFSLAB_EVENTS_MAX) {
			/* It never read: a full queue, then one overflow. */
			EXPECT_EQ(1, x->overflows) TH_LOG("listener %u", f);
			EXPECT_EQ(REFSLAB_EVENTS_MAX, x->reclaimed)
				TH_LOG("listener %u", f);
		}
		if (x->lost) {
			EXPECT_LE(1, x->overflows) TH_LOG("listener %u", f);
		}
		if (f == 0)
			TH_LOG("a reading listener: %u events, %u lost in %u overflow records",
			       x->reclaimed, x->lost, x->overflows);
	}
	for (unsigned int f = 0; f < files; f++) {
		close(l[f].fd);
		free(l[f].seen);
	}
	free(l);
	free(threads);
	EXPECT_EQ(watches0, wait_stat("watches_live", watches0));
}

TEST_HARNESS_MAIN

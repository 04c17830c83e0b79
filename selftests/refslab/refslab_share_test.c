// SPDX-License-Identifier: GPL-2.0
/*
 * refslab kselftest: sharing between processes (export/import over fork,
 * exec and SCM_RIGHTS, open by id with permissions), pins, release
 * notifications (read, poll, epoll, overflow) and batches.  Permission
 * tests change credentials for real in child processes, so the test must
 * run as root.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define REFSLAB_SELFTEST_SHARE_HELPERS
#include "refslab_selftest.h"

/* Users and groups the tests switch to; nobody else uses them in the VM. */
#define OWNER_UID	3000
#define GROUP_GID	3000
#define MEMBER_UID	3001
#define OTHER_UID	3002

static int rs_setattr(int fd, uint32_t handle, uint32_t flags, uint32_t mode,
		      uint32_t uid, uint32_t gid)
{
	struct refslab_setattr a = {
		.size = sizeof(a), .flags = flags, .handle = handle,
		.mode = mode, .uid = uid, .gid = gid,
	};

	return rs_ioctl(fd, REFSLAB_IOC_SETATTR, &a);
}

/* Become @uid with primary group @gid and the given supplementary group. */
static int become(uid_t uid, gid_t gid, gid_t supplementary)
{
	gid_t groups[1] = { supplementary };

	if (setgroups(supplementary ? 1 : 0, groups) || setgid(gid) ||
	    setuid(uid))
		return -1;
	return 0;
}

FIXTURE(share) {
	int fd;
	struct baseline base;
	long long reclaimed;
	struct saved_params params;
};

FIXTURE_SETUP(share)
{
	baseline_take(&self->base);
	self->reclaimed = stat_read("objects_reclaimed");
	child_report_map();
	self->fd = open_dev(_metadata);
}

FIXTURE_TEARDOWN(share)
{
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_EQ(0, params_restore(&self->params));
	EXPECT_BASELINE(&self->base);
}

/* A whole event record of the current size, with nothing unknown in it. */
static int event_well_formed(const struct refslab_event *ev)
{
	if (ev->len != sizeof(*ev) || ev->__reserved)
		return 0;
	if (ev->type == REFSLAB_EVENT_RECLAIMED)
		return ev->count == 1;
	return ev->type == REFSLAB_EVENT_OVERFLOW && !ev->id && !ev->cookie &&
	       ev->count;
}

/* --- EXPORT and IMPORT ------------------------------------------------------ */

TEST_F(share, export_import_same_process)
{
	struct refslab_info info;
	uint32_t handle, h2, h3;
	int objfd;

	ASSERT_EQ(0, rs_create(self->fd, 16, "exported", 8, &handle, NULL));
	ASSERT_EQ(0, rs_export(self->fd, handle, 0, 0, &objfd));
	EXPECT_EQ(FD_CLOEXEC, fcntl(objfd, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(0, rs_info(self->fd, handle, &info));
	EXPECT_EQ(2, info.object_refs);

	/* Every import is a handle of its own, no de-duplication. */
	ASSERT_EQ(0, rs_import(self->fd, objfd, &h2));
	ASSERT_EQ(0, rs_import(self->fd, objfd, &h3));
	EXPECT_NE(h2, h3);
	EXPECT_NE(handle, h2);
	ASSERT_EQ(0, rs_info(self->fd, h3, &info));
	EXPECT_EQ(4, info.object_refs);
	EXPECT_EQ(1, info.handle_refs);
	EXPECT_EQ(REFSLAB_RIGHTS_ALL, info.rights);

	ASSERT_EQ(0, rs_put(self->fd, handle, 1, NULL));
	ASSERT_EQ(0, rs_put(self->fd, h2, 1, NULL));
	ASSERT_EQ(0, rs_put(self->fd, h3, 1, NULL));
	/* The file alone keeps the object. */
	EXPECT_EQ(1, stat_read("objects_live") - self->base.val[0]);
	close(objfd);
	EXPECT_EQ(0, wait_stat("objects_live", self->base.val[0]) -
		  self->base.val[0]);
}

TEST_F(share, export_rights)
{
	uint8_t buf[4] = { 0 };
	struct refslab_info info;
	uint32_t handle, ro;
	int objfd;

	ASSERT_EQ(0, rs_create(self->fd, 4, NULL, 0, &handle, NULL));
	ASSERT_EQ(0, rs_export(self->fd, handle, REFSLAB_EXPORT_RIGHTS,
			       REFSLAB_RIGHT_READ, &objfd));
	ASSERT_EQ(0, rs_import(self->fd, objfd, &ro));
	close(objfd);
	ASSERT_EQ(0, rs_info(self->fd, ro, &info));
	EXPECT_EQ(REFSLAB_RIGHT_READ, info.rights);
	EXPECT_EQ(0, rs_read(self->fd, ro, 0, 4, buf, NULL));
	EXPECT_EQ(-EACCES, rs_write(self->fd, ro, 0, 4, buf, NULL));
	/* A read-only handle cannot export more than it has. */
	EXPECT_EQ(-EACCES, rs_export(self->fd, ro, REFSLAB_EXPORT_RIGHTS,
				     REFSLAB_RIGHTS_ALL, &objfd));
	/* DUP keeps the rights. */
	ASSERT_EQ(0, rs_dup(self->fd, ro, &handle));
	ASSERT_EQ(0, rs_info(self->fd, handle, &info));
	EXPECT_EQ(REFSLAB_RIGHT_READ, info.rights);
}

TEST_F(share, export_import_errors)
{
	uint32_t handle, out;
	int objfd, null_fd;

	ASSERT_EQ(0, rs_create(self->fd, 4, NULL, 0, &handle, NULL));
	EXPECT_EQ(-ENOENT, rs_export(self->fd, handle + 1000, 0, 0, &objfd));
	EXPECT_EQ(-EINVAL, rs_export(self->fd, handle, REFSLAB_EXPORT_RIGHTS, 0,
				     &objfd));
	EXPECT_EQ(-EINVAL, rs_export(self->fd, handle, REFSLAB_EXPORT_RIGHTS,
				     4, &objfd));
	EXPECT_EQ(-EINVAL, rs_export(self->fd, handle, REFSLAB_EXPORT_RIGHTS,
				     REFSLAB_RIGHT_READ | 8, &objfd));
	EXPECT_EQ(-EINVAL, rs_export(self->fd, handle, REFSLAB_EXPORT_RIGHTS,
				     1U << 31, &objfd));
	EXPECT_EQ(-EINVAL, rs_export(self->fd, handle, 0, REFSLAB_RIGHT_READ,
				     &objfd));
	EXPECT_EQ(-EINVAL, rs_export(self->fd, handle, 1U << 30, 0, &objfd));

	EXPECT_EQ(-EBADF, rs_import(self->fd, -1, &out));
	EXPECT_EQ(-EBADF, rs_import(self->fd, 100000, &out));
	null_fd = open("/dev/null", O_RDONLY);
	ASSERT_LE(0, null_fd);
	EXPECT_EQ(-EBADF, rs_import(self->fd, null_fd, &out));
	close(null_fd);
	/* The device is not an object file either. */
	EXPECT_EQ(-EBADF, rs_import(self->fd, self->fd, &out));
	EXPECT_EQ(1, stat_read("handles_live") - self->base.val[1]);
}

TEST_F(share, export_answer_lost_leaves_nothing)
{
	long psz = sysconf(_SC_PAGESIZE);
	struct refslab_export *e;
	uint32_t handle;
	int fds_before, fds_after, probe;

	ASSERT_EQ(0, rs_create(self->fd, 4, NULL, 0, &handle, NULL));
	e = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	ASSERT_NE(MAP_FAILED, e);
	*e = (struct refslab_export){ .size = sizeof(*e), .handle = handle };
	ASSERT_EQ(0, mprotect(e, psz, PROT_READ));
	fds_before = dup(0);
	close(fds_before);
	EXPECT_EQ(-EFAULT, rs_ioctl(self->fd, REFSLAB_IOC_EXPORT, e));
	probe = dup(0);
	fds_after = probe;
	close(probe);
	/* No descriptor was installed, and no reference was left behind. */
	EXPECT_EQ(fds_before, fds_after);
	EXPECT_EQ(1, wait_stat("references_live", self->base.val[2] + 1) -
		  self->base.val[2]);
	munmap(e, psz);
}

TEST_F(share, fdinfo_of_exported_file)
{
	char path[64], buf[512] = "", want[64];
	uint32_t handle;
	uint64_t id;
	int objfd, f;

	ASSERT_EQ(0, rs_create(self->fd, 77, NULL, 0, &handle, &id));
	ASSERT_EQ(0, rs_export(self->fd, handle, REFSLAB_EXPORT_RIGHTS,
			       REFSLAB_RIGHT_READ, &objfd));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", objfd);
	f = open(path, O_RDONLY);
	ASSERT_LE(0, f);
	ASSERT_LT(0, read(f, buf, sizeof(buf) - 1));
	close(f);
	snprintf(want, sizeof(want), "refslab-id:\t%llu\n",
		 (unsigned long long)id);
	EXPECT_NE(NULL, strstr(buf, want)) TH_LOG("fdinfo: %s", buf);
	EXPECT_NE(NULL, strstr(buf, "refslab-size:\t77\n"));
	EXPECT_NE(NULL, strstr(buf, "refslab-references:\t2\n"));
	EXPECT_NE(NULL, strstr(buf, "refslab-rights:\tr-\n"));
	close(objfd);
}

/* --- The file a handle keeps from its last EXPORT ------------------------ */

/* The value of @key in /proc/self/fdinfo/@fd, or -1. */
static long long fdinfo_value(int fd, const char *key)
{
	char path[64], buf[1024] = "", *p;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY);
	if (f < 0)
		return -1;
	if (read(f, buf, sizeof(buf) - 1) < 0)
		buf[0] = 0;
	close(f);
	p = strstr(buf, key);
	return p ? atoll(p + strlen(key)) : -1;
}

/* Whether two descriptors are one open file: status flags are shared. */
static int same_open_file(int a, int b)
{
	int fa = fcntl(a, F_GETFL), fb = fcntl(b, F_GETFL), same;

	if (fa < 0 || fb < 0 || (fa & O_NONBLOCK) != (fb & O_NONBLOCK))
		return 0;
	if (fcntl(a, F_SETFL, fa ^ O_NONBLOCK))
		return -1;
	same = (fcntl(b, F_GETFL) & O_NONBLOCK) != (fb & O_NONBLOCK);
	if (fcntl(a, F_SETFL, fa))
		return -1;
	return same;
}

/*
 * Two EXPORTs of one handle with the same rights: two descriptors of one
 * file, which holds one reference; each descriptor has its own close-on-
 * exec flag; each IMPORT is still a handle of its own.
 */
TEST_F(share, export_twice_shares_one_file)
{
	long long files = stat_read("object_files");
	long long reused = stat_read("exports_reused");
	struct refslab_info info;
	uint32_t handle, h1, h2;
	int fd1, fd2, fd3;

	ASSERT_EQ(0, rs_create(self->fd, 8, "kept", 5, &handle, NULL));
	EXPECT_EQ(0, fdinfo_value(self->fd, "refslab-exports-kept:\t"));
	ASSERT_EQ(0, rs_export(self->fd, handle, 0, 0, &fd1));
	EXPECT_EQ(files + 1, stat_read("object_files"));
	EXPECT_EQ(reused, stat_read("exports_reused"));
	EXPECT_EQ(1, fdinfo_value(self->fd, "refslab-exports-kept:\t"));

	ASSERT_EQ(0, rs_export(self->fd, handle, 0, 0, &fd2));
	EXPECT_NE(fd1, fd2);
	EXPECT_EQ(1, same_open_file(fd1, fd2));
	EXPECT_EQ(files + 1, stat_read("object_files"));
	EXPECT_EQ(reused + 1, stat_read("exports_reused"));
	ASSERT_EQ(0, rs_info(self->fd, handle, &info));
	EXPECT_EQ(2, info.object_refs);		/* the handle, the one file */
	EXPECT_EQ(2, fdinfo_value(fd2, "refslab-references:\t"));

	/* Close-on-exec belongs to the descriptor, not to the file. */
	ASSERT_EQ(0, rs_export(self->fd, handle, REFSLAB_EXPORT_KEEP_ON_EXEC, 0,
			       &fd3));
	EXPECT_EQ(1, same_open_file(fd1, fd3));
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd1, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(0, fcntl(fd3, F_GETFD) & FD_CLOEXEC);

	ASSERT_EQ(0, rs_import(self->fd, fd1, &h1));
	ASSERT_EQ(0, rs_import(self->fd, fd2, &h2));
	EXPECT_NE(h1, h2);
	ASSERT_EQ(0, rs_info(self->fd, h2, &info));
	EXPECT_EQ(4, info.object_refs);
	EXPECT_EQ(REFSLAB_RIGHTS_ALL, info.rights);
	ASSERT_EQ(0, rs_put(self->fd, h1, 1, NULL));
	ASSERT_EQ(0, rs_put(self->fd, h2, 1, NULL));
	close(fd1);
	close(fd2);
	close(fd3);
	ASSERT_EQ(0, rs_put(self->fd, handle, 1, NULL));
	EXPECT_EQ(files, stat_read("object_files"));
	EXPECT_EQ(0, fdinfo_value(self->fd, "refslab-exports-kept:\t"));
}


/*
 * A handle with no rights (OPEN by id asking for none) exports files with
 * none: the first is kept like any other, and the second EXPORT reuses
 * it.  A kept file of no rights is not the same as no kept file.
 */
TEST_F(share, export_no_rights_kept)
{
	long long reused = stat_read("exports_reused");
	uint32_t handle, bare;
	struct refslab_info info;
	uint64_t id;
	int fd1, fd2;

	ASSERT_EQ(0, rs_create(self->fd, 8, "bare", 5, &handle, &id));
	ASSERT_EQ(0, rs_open(self->fd, id, 0, &bare));
	ASSERT_EQ(0, rs_info(self->fd, bare, &info));
	EXPECT_EQ(0, info.rights);

	ASSERT_EQ(0, rs_export(self->fd, bare, 0, 0, &fd1));
	EXPECT_EQ(1, fdinfo_value(self->fd, "refslab-exports-kept:\t"));
	EXPECT_EQ(reused, stat_read("exports_reused"));
	ASSERT_EQ(0, rs_export(self->fd, bare, 0, 0, &fd2));
	EXPECT_EQ(1, same_open_file(fd1, fd2));
	EXPECT_EQ(reused + 1, stat_read("exports_reused"));
	/* The handle with all rights has none kept: a file of its own. */
	close(fd2);
	ASSERT_EQ(0, rs_export(self->fd, handle, 0, 0, &fd2));
	EXPECT_EQ(0, same_open_file(fd1, fd2));
	EXPECT_EQ(2, fdinfo_value(self->fd, "refslab-exports-kept:\t"));

	close(fd1);
	close(fd2);
	ASSERT_EQ(0, rs_put(self->fd, bare, 1, NULL));
	ASSERT_EQ(0, rs_put(self->fd, handle, 1, NULL));
	EXPECT_EQ(0, fdinfo_value(self->fd, "refslab-exports-kept:\t"));
}


/*
 * One object subscribed to on @fd was reclaimed since objects_reclaimed
 * read @before, exactly once, and @fd was told exactly once, with a
 * well-formed record.
 */
#define EXPECT_RECLAIMED_ONCE(fd, before) do {				\
	struct refslab_event __ev;					\
	ASSERT_EQ(1, read_event(fd, &__ev, 5000));			\
	EXPECT_EQ(REFSLAB_EVENT_RECLAIMED, __ev.type);			\
	EXPECT_EQ(1, __ev.count);					\
	EXPECT_TRUE(event_well_formed(&__ev));				\
	EXPECT_EQ(0, read_event(fd, &__ev, 200));			\
	EXPECT_EQ(0, wait_reclaimed());					\
	EXPECT_EQ(1, stat_read("objects_reclaimed") - (before));	\
} while (0)

FIXTURE(export_order) {
	int fd;
	struct baseline base;
	long long reclaimed;
};

FIXTURE_VARIANT(export_order) {
	bool first_closed_first;
};

FIXTURE_VARIANT_ADD(export_order, first_closed_first) {
	.first_closed_first = true,
};

FIXTURE_VARIANT_ADD(export_order, second_closed_first) {
	.first_closed_first = false,
};

FIXTURE_SETUP(export_order)
{
	baseline_take(&self->base);
	self->reclaimed = stat_read("objects_reclaimed");
	self->fd = open_dev(_metadata);
}

FIXTURE_TEARDOWN(export_order)
{
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_BASELINE(&self->base);
}

/*
 * Two exported descriptors closed in either order: the handle keeps the
 * file, and its reference, until the handle goes; an EXPORT after both
 * were closed gets that file again; the object is reclaimed once, when
 * the handle's last put drops it.
 */
TEST_F(export_order, close_in_either_order)
{
	long long files = self->base.val[5];
	long long reused = stat_read("exports_reused");
	struct refslab_info info;
	uint32_t handle;
	int fd1, fd2, fd3;

	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &handle, NULL));
	ASSERT_EQ(0, rs_subscribe(self->fd, handle));
	ASSERT_EQ(0, rs_export(self->fd, handle, 0, 0, &fd1));
	ASSERT_EQ(0, rs_export(self->fd, handle, 0, 0, &fd2));
	close(variant->first_closed_first ? fd1 : fd2);
	EXPECT_EQ(files + 1, stat_read("object_files"));
	close(variant->first_closed_first ? fd2 : fd1);
	/* No descriptor left: the handle still keeps the file. */
	EXPECT_EQ(files + 1, stat_read("object_files"));
	ASSERT_EQ(0, rs_info(self->fd, handle, &info));
	EXPECT_EQ(2, info.object_refs);
	EXPECT_EQ(1, fdinfo_value(self->fd, "refslab-exports-kept:\t"));

	/* EXPORT after the file's descriptors were all closed: that file. */
	ASSERT_EQ(0, rs_export(self->fd, handle, 0, 0, &fd3));
	EXPECT_EQ(files + 1, stat_read("object_files"));
	EXPECT_EQ(reused + 2, stat_read("exports_reused"));
	close(fd3);

	ASSERT_EQ(0, rs_put(self->fd, handle, 1, NULL));
	EXPECT_EQ(files, stat_read("object_files"));
	EXPECT_EQ(0, fdinfo_value(self->fd, "refslab-exports-kept:\t"));
	EXPECT_RECLAIMED_ONCE(self->fd, self->reclaimed);
}

/*
 * The handle put while its export is still open: the handle drops the
 * file it kept, the descriptor keeps file and object, IMPORT still works,
 * and the object is reclaimed once, when its last holder goes.
 */
TEST_F(share, handle_put_while_export_open)
{
	long long files = self->base.val[5];
	struct refslab_event ev;
	uint32_t handle, again;
	char data[8] = "";
	int objfd;

	ASSERT_EQ(0, rs_create(self->fd, 8, "still", 6, &handle, NULL));
	ASSERT_EQ(0, rs_subscribe(self->fd, handle));
	ASSERT_EQ(0, rs_export(self->fd, handle, 0, 0, &objfd));
	ASSERT_EQ(0, rs_put(self->fd, handle, 1, NULL));
	EXPECT_EQ(0, fdinfo_value(self->fd, "refslab-exports-kept:\t"));
	EXPECT_EQ(files + 1, stat_read("object_files"));
	EXPECT_EQ(1, stat_read("objects_live") - self->base.val[0]);
	EXPECT_EQ(1, fdinfo_value(objfd, "refslab-references:\t"));
	EXPECT_EQ(0, read_event(self->fd, &ev, 200));	/* still alive */

	ASSERT_EQ(0, rs_import(self->fd, objfd, &again));
	ASSERT_EQ(0, rs_read(self->fd, again, 0, 6, data, NULL));
	EXPECT_STREQ("still", data);
	close(objfd);
	EXPECT_EQ(files, stat_read("object_files"));
	EXPECT_EQ(1, stat_read("objects_live") - self->base.val[0]);
	ASSERT_EQ(0, rs_put(self->fd, again, 1, NULL));
	EXPECT_RECLAIMED_ONCE(self->fd, self->reclaimed);
}

/*
 * Rights decide which file is reused: an EXPORT with fewer rights never
 * gets the fuller file the handle keeps, but a file of its own, which the
 * handle keeps instead; a later full EXPORT makes a new full file again.
 */
TEST_F(share, export_fewer_rights_get_their_own_file)
{
	long long files = self->base.val[5];
	long long reused = stat_read("exports_reused");
	uint8_t buf[4] = { 0 };
	uint32_t handle, ro, rw;
	int full, ro1, ro2, full2;

	ASSERT_EQ(0, rs_create(self->fd, 4, NULL, 0, &handle, NULL));
	ASSERT_EQ(0, rs_export(self->fd, handle, 0, 0, &full));
	ASSERT_EQ(0, rs_export(self->fd, handle, REFSLAB_EXPORT_RIGHTS,
			       REFSLAB_RIGHT_READ, &ro1));
	EXPECT_EQ(files + 2, stat_read("object_files"));
	EXPECT_EQ(reused, stat_read("exports_reused"));
	EXPECT_EQ(0, same_open_file(full, ro1));
	ASSERT_EQ(0, rs_import(self->fd, ro1, &ro));
	EXPECT_EQ(-EACCES, rs_write(self->fd, ro, 0, 4, buf, NULL));
	ASSERT_EQ(0, rs_put(self->fd, ro, 1, NULL));

	/* The read-only file is the kept one now. */
	ASSERT_EQ(0, rs_export(self->fd, handle, REFSLAB_EXPORT_RIGHTS,
			       REFSLAB_RIGHT_READ, &ro2));
	EXPECT_EQ(1, same_open_file(ro1, ro2));
	EXPECT_EQ(reused + 1, stat_read("exports_reused"));
	/* Naming all the handle's rights is the same as naming none. */
	ASSERT_EQ(0, rs_export(self->fd, handle, REFSLAB_EXPORT_RIGHTS,
			       REFSLAB_RIGHTS_ALL, &full2));
	EXPECT_EQ(0, same_open_file(full, full2));
	EXPECT_EQ(0, same_open_file(ro1, full2));
	EXPECT_EQ(files + 3, stat_read("object_files"));
	ASSERT_EQ(0, rs_import(self->fd, full2, &rw));
	EXPECT_EQ(0, rs_write(self->fd, rw, 0, 4, buf, NULL));
	ASSERT_EQ(0, rs_put(self->fd, rw, 1, NULL));

	/* ro1 and ro2 were the file no longer kept: closing them frees it. */
	close(ro1);
	close(ro2);
	EXPECT_EQ(files + 2, stat_read("object_files"));
	close(full);
	close(full2);
	EXPECT_EQ(files + 1, stat_read("object_files"));
	ASSERT_EQ(0, rs_put(self->fd, handle, 1, NULL));
	EXPECT_EQ(files, stat_read("object_files"));
}

/* Closing the device file drops the files its handles kept. */
TEST_F(share, device_close_drops_kept_files)
{
	long long files = self->base.val[5];
	uint32_t handle, dup;
	int fd, objfd;

	fd = open(DEV, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, rs_create(fd, 8, NULL, 0, &handle, NULL));
	ASSERT_EQ(0, rs_dup(fd, handle, &dup));
	ASSERT_EQ(0, rs_export(fd, handle, 0, 0, &objfd));
	close(objfd);
	ASSERT_EQ(0, rs_export(fd, dup, 0, 0, &objfd));
	close(objfd);
	EXPECT_EQ(2, fdinfo_value(fd, "refslab-exports-kept:\t"));
	EXPECT_EQ(files + 2, stat_read("object_files"));
	close(fd);
	EXPECT_EQ(files, wait_stat("object_files", files));
	EXPECT_EQ(self->base.val[0], wait_stat("objects_live",
					       self->base.val[0]));
}

struct export_race {
	int fd;
	uint32_t handle;		/* kept, exported by both threads */
	_Atomic uint32_t dup;		/* made and put again and again */
	_Atomic int stop;
	_Atomic int errors;
};

/* Export the shared handle and the current DUP, and close, until told. */
static void *export_racer(void *arg)
{
	struct export_race *r = arg;
	int objfd, ret;

	while (!r->stop) {
		if (rs_export(r->fd, r->handle, 0, 0, &objfd))
			r->errors++;
		else
			close(objfd);
		ret = rs_export(r->fd, r->dup, REFSLAB_EXPORT_RIGHTS,
				REFSLAB_RIGHT_READ, &objfd);
		if (!ret)
			close(objfd);
		else if (ret != -ENOENT)
			r->errors++;
	}
	return NULL;
}

/*
 * EXPORTs of one handle from two threads, and of a handle another thread
 * puts meanwhile: every EXPORT works (or finds the handle gone), and
 * every file and reference comes back (the fixture's teardown).
 */
TEST_F_TIMEOUT(share, export_races_with_export_and_put, 120)
{
	struct export_race r = { .fd = self->fd };
	pthread_t t[2];
	uint32_t dup;
	int objfd;

	/* Handle 0 is never one: ENOENT until the first DUP is set. */
	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &r.handle, NULL));
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, export_racer, &r));
	for (int i = 0; i < 3000; i++) {
		ASSERT_EQ(0, rs_dup(self->fd, r.handle, &dup));
		ASSERT_EQ(0, rs_export(self->fd, dup, 0, 0, &objfd));
		close(objfd);
		r.dup = dup;
		ASSERT_EQ(0, rs_put(self->fd, dup, 1, NULL));
	}
	r.stop = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	EXPECT_EQ(0, r.errors);
	ASSERT_EQ(0, rs_put(self->fd, r.handle, 1, NULL));
	EXPECT_EQ(self->base.val[5], stat_read("object_files"));
}

/* A creates, exports, sends by SCM_RIGHTS and exits; B imports and reads. */
TEST_F(share, scm_rights_between_processes)
{
	char data[32] = "";
	uint32_t handle;
	int sv[2], objfd, status;
	pid_t a;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	a = fork();
	ASSERT_LE(0, a);
	if (a == 0) {
		int fd = open(DEV, O_RDWR), efd;
		uint32_t h;

		if (fd < 0 || rs_create(fd, 32, "hello from A", 13, &h, NULL) ||
		    rs_export(fd, h, 0, 0, &efd) || send_fd(sv[1], efd))
			_exit(1);
		_exit(0);	/* everything A holds is dropped here */
	}
	ASSERT_EQ(a, waitpid(a, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* Only the file in flight holds the object now. */
	EXPECT_EQ(1, stat_read("objects_live") - self->base.val[0]);

	objfd = recv_fd(sv[0]);
	ASSERT_LE(0, objfd);
	ASSERT_EQ(0, rs_import(self->fd, objfd, &handle));
	ASSERT_EQ(0, rs_subscribe(self->fd, handle));
	ASSERT_EQ(0, rs_read(self->fd, handle, 0, 32, data, NULL));
	EXPECT_STREQ("hello from A", data);
	close(objfd);
	ASSERT_EQ(0, rs_put(self->fd, handle, 1, NULL));

	EXPECT_RECLAIMED_ONCE(self->fd, self->reclaimed);
	close(sv[0]);
	close(sv[1]);
}

TEST_F(share, fd_in_flight_closed_unreceived)
{
	uint32_t handle;
	int sv[2], objfd;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &handle, NULL));
	ASSERT_EQ(0, rs_export(self->fd, handle, 0, 0, &objfd));
	ASSERT_EQ(0, send_fd(sv[0], objfd));
	close(objfd);
	ASSERT_EQ(0, rs_put(self->fd, handle, 1, NULL));
	EXPECT_EQ(1, stat_read("objects_live") - self->base.val[0]);
	/* Nobody ever receives it: closing the sockets drops it. */
	close(sv[0]);
	close(sv[1]);
	EXPECT_EQ(self->base.val[0], wait_stat("objects_live",
					       self->base.val[0]));
}

TEST_F(share, fork_shares_the_handle_table)
{
	struct refslab_info info;
	uint32_t handle;
	pid_t pid;
	int status;

	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &handle, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(rs_put(self->fd, handle, 1, NULL) ? 1 : 0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(-ENOENT, rs_info(self->fd, handle, &info));
}

/* Run by the re-executed test binary: see main(). */
static int exec_check(int dropped, int kept)
{
	char data[8] = "";
	uint32_t handle;
	int fd;

	if (fcntl(dropped, F_GETFD) != -1 || errno != EBADF)
		return 10;
	fd = open(DEV, O_RDWR);
	if (fd < 0)
		return 11;
	if (rs_import(fd, kept, &handle))
		return 12;
	if (rs_read(fd, handle, 0, 5, data, NULL) || strcmp(data, "exec"))
		return 13;
	return 0;
}

TEST_F(share, exec_drops_cloexec_object_files)
{
	char a1[16], a2[16];
	uint32_t handle;
	int dropped, kept, status;
	pid_t pid;

	ASSERT_EQ(0, rs_create(self->fd, 8, "exec", 5, &handle, NULL));
	ASSERT_EQ(0, rs_export(self->fd, handle, 0, 0, &dropped));
	ASSERT_EQ(0, rs_export(self->fd, handle, REFSLAB_EXPORT_KEEP_ON_EXEC, 0,
			       &kept));
	EXPECT_EQ(0, fcntl(kept, F_GETFD) & FD_CLOEXEC);
	snprintf(a1, sizeof(a1), "%d", dropped);
	snprintf(a2, sizeof(a2), "%d", kept);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		execl("/proc/self/exe", "refslab_share_test", "--exec-check",
		      a1, a2, (char *)NULL);
		_exit(99);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(dropped);
	close(kept);
}

/* --- OPEN by id and permissions ------------------------------------------- */

struct open_case {
	uint64_t id;
	uid_t uid;
	gid_t gid;
	gid_t supplementary;
	uint32_t rights;
	int expect;
};

static int open_child(void *arg)
{
	struct open_case *c = arg;
	uint32_t handle;
	int fd, ret;

	if (c->uid && become(c->uid, c->gid, c->supplementary))
		return 100;
	fd = open(DEV, O_RDWR);
	if (fd < 0)
		return 101;
	ret = rs_open(fd, c->id, c->rights, &handle);
	return ret == c->expect ? 0 : 1;
}

TEST_F_TIMEOUT(share, open_permission_matrix, 120)
{
	static const unsigned int modes[] = {
		0600, 0640, 0604, 0460, 0000, 0222, 0444, 0777, 0060, 0006,
	};
	static const uint32_t rights[] = {
		REFSLAB_RIGHT_READ, REFSLAB_RIGHT_WRITE, REFSLAB_RIGHTS_ALL, 0,
	};
	/* owner, group member, other, root */
	static const struct { uid_t uid; gid_t gid, sup; int shift; } who[] = {
		{ OWNER_UID, 3999, 0, 6 },
		{ MEMBER_UID, MEMBER_UID, GROUP_GID, 3 },
		{ OTHER_UID, OTHER_UID, 0, 0 },
		{ 0, 0, 0, -1 },
	};
	unsigned int checked = 0;
	uint32_t handle;
	uint64_t id;

	for (unsigned int m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &handle, &id));
		ASSERT_EQ(0, rs_setattr(self->fd, handle,
					REFSLAB_SETATTR_ALL, modes[m],
					OWNER_UID, GROUP_GID));
		for (unsigned int w = 0; w < 4; w++) {
			for (unsigned int r = 0; r < 4; r++) {
				unsigned int bits, need = 0;
				struct open_case c = {
					.id = id, .uid = who[w].uid,
					.gid = who[w].gid,
					.supplementary = who[w].sup,
					.rights = rights[r],
				};

				if (rights[r] & REFSLAB_RIGHT_READ)
					need |= 4;
				if (rights[r] & REFSLAB_RIGHT_WRITE)
					need |= 2;
				bits = who[w].shift < 0 ? 7 :
				       (modes[m] >> who[w].shift) & 7;
				c.expect = (bits & need) == need ? 0 : -EACCES;
				/* No rights: the owner (and root) only. */
				if (!rights[r])
					c.expect = w == 0 || w == 3 ? 0 : -EACCES;
				EXPECT_EQ(0, run_child(open_child, &c))
					TH_LOG("mode %04o who %u rights %u: want %d",
					       modes[m], w, rights[r], c.expect);
				checked++;
			}
		}
		ASSERT_EQ(0, rs_put(self->fd, handle, 1, NULL));
	}
	EXPECT_EQ(160, checked);
}

TEST_F(share, open_handle_carries_rights)
{
	uint8_t buf[4] = { 1, 2, 3, 4 };
	struct refslab_info info;
	uint32_t handle, ro, wo;
	uint64_t id;

	ASSERT_EQ(0, rs_create(self->fd, 4, NULL, 0, &handle, &id));
	ASSERT_EQ(0, rs_open(self->fd, id, REFSLAB_RIGHT_READ, &ro));
	ASSERT_EQ(0, rs_open(self->fd, id, REFSLAB_RIGHT_WRITE, &wo));
	EXPECT_EQ(-EACCES, rs_write(self->fd, ro, 0, 4, buf, NULL));
	EXPECT_EQ(0, rs_read(self->fd, ro, 0, 4, buf, NULL));
	EXPECT_EQ(-EACCES, rs_read(self->fd, wo, 0, 4, buf, NULL));
	EXPECT_EQ(0, rs_write(self->fd, wo, 0, 4, buf, NULL));
	ASSERT_EQ(0, rs_info(self->fd, wo, &info));
	EXPECT_EQ(REFSLAB_RIGHT_WRITE, info.rights);
	EXPECT_EQ(3, info.object_refs);

	EXPECT_EQ(-EINVAL, rs_open(self->fd, id, 4, NULL));
	EXPECT_EQ(-ENOENT, rs_open(self->fd, 0, REFSLAB_RIGHT_READ, NULL));
	EXPECT_EQ(-ENOENT, rs_open(self->fd, id + 1000000, REFSLAB_RIGHT_READ,
				   NULL));
	/* A released object cannot be opened again. */
	ASSERT_EQ(0, rs_put(self->fd, handle, 1, NULL));
	ASSERT_EQ(0, rs_put(self->fd, ro, 1, NULL));
	ASSERT_EQ(0, rs_put(self->fd, wo, 1, NULL));
	EXPECT_EQ(-ENOENT, rs_open(self->fd, id, REFSLAB_RIGHT_READ, NULL));
}

/* --- SETATTR ------------------------------------------------------------- */

struct attr_case {
	int fd;
	uint32_t handle;
	uid_t uid;
	uint32_t flags, mode, new_uid, new_gid;
	int expect;
};

static int setattr_child(void *arg)
{
	struct attr_case *c = arg;

	/* The parent's file, and so its handle, is shared across fork. */
	if (become(c->uid, c->uid, GROUP_GID))
		return 100;
	return rs_setattr(c->fd, c->handle, c->flags, c->mode, c->new_uid,
			  c->new_gid) == c->expect ? 0 : 1;
}

TEST_F(share, setattr_like_chmod_and_chown)
{
	struct refslab_info info;
	struct attr_case c;
	uint32_t handle;

	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &handle, NULL));
	ASSERT_EQ(0, rs_setattr(self->fd, handle, REFSLAB_SETATTR_ALL, 0644,
				OWNER_UID, 4000));

	c = (struct attr_case){ self->fd, handle, OWNER_UID, REFSLAB_SETATTR_MODE, 0640, 0, 0, 0 };
	EXPECT_EQ(0, run_child(setattr_child, &c));	/* owner chmod */
	c = (struct attr_case){ self->fd, handle, OTHER_UID, REFSLAB_SETATTR_MODE, 0666, 0, 0, -EPERM };
	EXPECT_EQ(0, run_child(setattr_child, &c));	/* stranger chmod */
	c = (struct attr_case){ self->fd, handle, OWNER_UID, REFSLAB_SETATTR_UID, 0, OTHER_UID, 0, -EPERM };
	EXPECT_EQ(0, run_child(setattr_child, &c));	/* give away */
	c = (struct attr_case){ self->fd, handle, OWNER_UID, REFSLAB_SETATTR_GID, 0, 0, GROUP_GID, 0 };
	EXPECT_EQ(0, run_child(setattr_child, &c));	/* chgrp to own group */
	c = (struct attr_case){ self->fd, handle, OWNER_UID, REFSLAB_SETATTR_GID, 0, 0, 4001, -EPERM };
	EXPECT_EQ(0, run_child(setattr_child, &c));	/* chgrp elsewhere */

	ASSERT_EQ(0, rs_info(self->fd, handle, &info));
	EXPECT_EQ(0640, info.mode);
	EXPECT_EQ(OWNER_UID, info.uid);
	EXPECT_EQ(GROUP_GID, info.gid);

	/* Root changes the owner. */
	ASSERT_EQ(0, rs_setattr(self->fd, handle, REFSLAB_SETATTR_UID, 0,
				OTHER_UID, 0));
	ASSERT_EQ(0, rs_info(self->fd, handle, &info));
	EXPECT_EQ(OTHER_UID, info.uid);

	EXPECT_EQ(-EINVAL, rs_setattr(self->fd, handle, 0, 0, 0, 0));
	EXPECT_EQ(-EINVAL, rs_setattr(self->fd, handle, REFSLAB_SETATTR_MODE,
				      01777, 0, 0));
	EXPECT_EQ(-EINVAL, rs_setattr(self->fd, handle, REFSLAB_SETATTR_UID, 0,
				      (uint32_t)-1, 0));
	EXPECT_EQ(-EINVAL, rs_setattr(self->fd, handle, REFSLAB_SETATTR_MODE,
				      0600, 5, 0));
	EXPECT_EQ(-EINVAL, rs_setattr(self->fd, handle, 1U << 9, 0, 0, 0));
	EXPECT_EQ(0, rs_put(self->fd, handle, 1, NULL));
}

/* Keep only the capabilities in @keep (a mask of CAP_* bits). */
static int caps_only(uint64_t keep)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };

	data[0].effective = data[0].permitted = (uint32_t)keep;
	data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
	return syscall(SYS_capset, &hdr, data);
}

/*
 * A user who is not the owner, with CAP_FOWNER but not CAP_CHOWN, in the
 * object's would-be group: chmod yes, chgrp no (chown(2) rules: a group
 * change needs the owner, or CAP_CHOWN).
 */
static int fowner_child(void *arg)
{
	struct attr_case *c = arg;
	gid_t groups[1] = { GROUP_GID };
	struct refslab_info info;

	if (prctl(PR_SET_KEEPCAPS, 1) || setgroups(1, groups) ||
	    setresgid(MEMBER_UID, MEMBER_UID, MEMBER_UID) ||
	    setresuid(MEMBER_UID, MEMBER_UID, MEMBER_UID) ||
	    caps_only(1ULL << CAP_FOWNER))
		return 100;
	CHILD_CHECK(rs_setattr(c->fd, c->handle, REFSLAB_SETATTR_GID, 0, 0,
			       GROUP_GID), -EPERM);
	CHILD_CHECK(rs_setattr(c->fd, c->handle, REFSLAB_SETATTR_UID, 0,
			       MEMBER_UID, 0), -EPERM);
	CHILD_CHECK(rs_setattr(c->fd, c->handle, REFSLAB_SETATTR_MODE, 0604,
			       0, 0), 0);
	CHILD_CHECK(rs_info(c->fd, c->handle, &info), 0);
	/* Even the group it already has: as chown(2), only for the owner. */
	CHILD_CHECK(rs_setattr(c->fd, c->handle, REFSLAB_SETATTR_GID, 0, 0,
			       info.gid), -EPERM);
	return 0;
}

TEST_F(share, chgrp_needs_the_owner_or_cap_chown)
{
	struct refslab_info info;
	struct attr_case c;
	uint32_t handle;

	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &handle, NULL));
	ASSERT_EQ(0, rs_setattr(self->fd, handle, REFSLAB_SETATTR_ALL, 0600,
				OWNER_UID, 4000));
	c = (struct attr_case){ .fd = self->fd, .handle = handle };
	EXPECT_CHILD(run_child(fowner_child, &c));
	ASSERT_EQ(0, rs_info(self->fd, handle, &info));
	EXPECT_EQ(4000, info.gid);
	EXPECT_EQ(OWNER_UID, info.uid);
	EXPECT_EQ(0604, info.mode);

	/* The owner, without any capability, to one of its groups. */
	c = (struct attr_case){ self->fd, handle, OWNER_UID, REFSLAB_SETATTR_GID, 0, 0, GROUP_GID, 0 };
	EXPECT_EQ(0, run_child(setattr_child, &c));
	ASSERT_EQ(0, rs_info(self->fd, handle, &info));
	EXPECT_EQ(GROUP_GID, info.gid);
	EXPECT_EQ(0, rs_put(self->fd, handle, 1, NULL));
}

/*
 * An owner change moves the charge whole: at the global limit it still
 * succeeds, the object count does not change.
 */
TEST_F(share, chown_at_max_objects)
{
	struct refslab_info info;
	uint32_t handle, h2;
	long long live;

	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &handle, NULL));
	live = stat_read("objects_live");
	SET_PARAM("max_objects", live);
	EXPECT_EQ(-EDQUOT, rs_create(self->fd, 8, NULL, 0, &h2, NULL));
	EXPECT_EQ(0, rs_setattr(self->fd, handle, REFSLAB_SETATTR_UID, 0,
				OWNER_UID, 0));
	ASSERT_EQ(0, rs_info(self->fd, handle, &info));
	EXPECT_EQ(OWNER_UID, info.uid);
	EXPECT_EQ(0, rs_setattr(self->fd, handle, REFSLAB_SETATTR_UID |
				REFSLAB_SETATTR_GID, 0, 0, OTHER_UID));
	EXPECT_EQ(live, stat_read("objects_live"));
	EXPECT_EQ(-EDQUOT, rs_create(self->fd, 8, NULL, 0, &h2, NULL));
	EXPECT_EQ(0, rs_put(self->fd, handle, 1, NULL));
}

static int create_one_child(void *arg)
{
	uid_t uid = *(uid_t *)arg;
	uint32_t handle;
	int fd, ret;

	if (become(uid, uid, 0))
		return 100;
	fd = open(DEV, O_RDWR);
	if (fd < 0)
		return 101;
	ret = rs_create(fd, 8, NULL, 0, &handle, NULL);
	return ret == 0 ? 0 : ret == -EDQUOT ? 2 : 1;
}

TEST_F(share, chown_moves_the_quota_charge)
{
	long long saved = param_read("user_max_objects");
	uid_t uid = 3005;
	uint32_t handle;
	char val[32];

	ASSERT_EQ(0, param_write("user_max_objects", "1"));
	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &handle, NULL));
	ASSERT_EQ(0, rs_setattr(self->fd, handle, REFSLAB_SETATTR_UID, 0, uid,
				0));
	EXPECT_EQ(2, run_child(create_one_child, &uid));	/* EDQUOT */
	ASSERT_EQ(0, rs_put(self->fd, handle, 1, NULL));
	EXPECT_EQ(0, run_child(create_one_child, &uid));
	snprintf(val, sizeof(val), "%lld", saved);
	ASSERT_EQ(0, param_write("user_max_objects", val));
}

/* --- PIN ------------------------------------------------------------------- */

static int pin_creator_child(void *arg)
{
	uint64_t *id = arg;
	uint32_t handle;
	int fd;

	if (become(OWNER_UID, OWNER_UID, 0))
		return 100;
	fd = open(DEV, O_RDWR);
	if (fd < 0 || rs_create(fd, 16, "pinned", 7, &handle, id))
		return 101;
	if (rs_pin(fd, REFSLAB_IOC_PIN, *id))
		return 102;
	if (rs_pin(fd, REFSLAB_IOC_PIN, *id) != -EEXIST)
		return 103;
	return 0;	/* exits: the pin alone keeps the object */
}

struct unpin_case {
	uint64_t id;
	uid_t uid;
	int expect;
	unsigned long cmd;	/* 0: UNPIN */
};

static int unpin_child(void *arg)
{
	struct unpin_case *c = arg;
	int fd;

	if (become(c->uid, c->uid, 0))
		return 100;
	fd = open(DEV, O_RDWR);
	if (fd < 0)
		return 101;
	CHILD_CHECK(rs_pin(fd, c->cmd ? c->cmd : REFSLAB_IOC_UNPIN, c->id),
		    c->expect);
	return 0;
}

static int list_has(int fd, uint64_t id)
{
	uint64_t ids[4];
	struct refslab_list l = {
		.size = sizeof(l), .ids = (uintptr_t)ids, .count = 4,
		.after = id - 1,
	};

	if (rs_ioctl(fd, REFSLAB_IOC_LIST_PINNED, &l))
		return -1;
	return l.count > 0 && ids[0] == id;
}

TEST_F(share, pinned_object_outlives_its_creator)
{
	uint64_t *id = mmap(NULL, sizeof(*id), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct refslab_event ev;
	struct unpin_case c;
	char data[16] = "";
	uint32_t handle;

	ASSERT_NE(MAP_FAILED, id);
	ASSERT_EQ(0, run_child(pin_creator_child, id));
	EXPECT_EQ(1, stat_read("objects_live") - self->base.val[0]);
	EXPECT_EQ(1, list_has(self->fd, *id));

	ASSERT_EQ(0, rs_open(self->fd, *id, REFSLAB_RIGHT_READ, &handle));
	ASSERT_EQ(0, rs_read(self->fd, handle, 0, 7, data, NULL));
	EXPECT_STREQ("pinned", data);
	ASSERT_EQ(0, rs_subscribe(self->fd, handle));
	ASSERT_EQ(0, rs_put(self->fd, handle, 1, NULL));

	c = (struct unpin_case){ *id, OTHER_UID, -EPERM, 0 };
	EXPECT_CHILD(run_child(unpin_child, &c));
	EXPECT_EQ(0, read_event(self->fd, &ev, 300));	/* still alive */
	c = (struct unpin_case){ *id, OWNER_UID, 0, 0 };
	EXPECT_CHILD(run_child(unpin_child, &c));
	c = (struct unpin_case){ *id, OWNER_UID, -ENOENT, 0 };
	EXPECT_CHILD(run_child(unpin_child, &c));

	ASSERT_EQ(1, read_event(self->fd, &ev, 5000));
	EXPECT_EQ(*id, ev.id);
	EXPECT_EQ(REFSLAB_EVENT_RECLAIMED, ev.type);
	EXPECT_EQ(0, list_has(self->fd, *id));
	munmap(id, sizeof(*id));
}

TEST_F(share, pin_quota_and_listing)
{
	uint64_t ids[5], got[8];
	struct refslab_list l;
	uint32_t handle;
	int i;

	/* Root's limit is the privileged one once the user one refuses. */
	SET_PARAM("user_max_pins", 3);
	SET_PARAM("priv_max_pins", 3);
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &handle, &ids[i]));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, rs_pin(self->fd, REFSLAB_IOC_PIN, ids[i]));
	EXPECT_EQ(-EDQUOT, rs_pin(self->fd, REFSLAB_IOC_PIN, ids[3]));
	EXPECT_EQ(-ENOENT, rs_pin(self->fd, REFSLAB_IOC_UNPIN, ids[4]));
	EXPECT_EQ(-ENOENT, rs_pin(self->fd, REFSLAB_IOC_PIN, 0));

	/* Page through the list two at a time. */
	l = (struct refslab_list){ .size = sizeof(l), .ids = (uintptr_t)got,
				   .count = 2, .after = ids[0] - 1 };
	ASSERT_EQ(0, rs_ioctl(self->fd, REFSLAB_IOC_LIST_PINNED, &l));
	ASSERT_EQ(2, l.count);
	EXPECT_EQ(ids[0], got[0]);
	EXPECT_EQ(ids[1], got[1]);
	l.after = got[1];
	l.count = 8;
	ASSERT_EQ(0, rs_ioctl(self->fd, REFSLAB_IOC_LIST_PINNED, &l));
	EXPECT_EQ(ids[2], got[0]);
	l.ids = 8;
	l.after = ids[0] - 1;
	EXPECT_EQ(-EFAULT, rs_ioctl(self->fd, REFSLAB_IOC_LIST_PINNED, &l));

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, rs_pin(self->fd, REFSLAB_IOC_UNPIN, ids[i]));
}

/* Ownership is checked before EEXIST: a stranger gets EPERM either way. */
TEST_F(share, pin_by_non_owner_is_eperm)
{
	struct refslab_create cr = {
		.size = sizeof(cr), .flags = REFSLAB_CREATE_MODE,
		.payload_size = 8, .mode = 0666,
	};
	struct unpin_case c;

	ASSERT_EQ(0, rs_ioctl(self->fd, REFSLAB_IOC_CREATE, &cr));
	c = (struct unpin_case){ cr.id, OTHER_UID, -EPERM, REFSLAB_IOC_PIN };
	EXPECT_CHILD(run_child(unpin_child, &c));
	ASSERT_EQ(0, rs_pin(self->fd, REFSLAB_IOC_PIN, cr.id));
	EXPECT_CHILD(run_child(unpin_child, &c));	/* pinned: not EEXIST */
	c.cmd = 0;
	EXPECT_CHILD(run_child(unpin_child, &c));	/* nor may it unpin */
	EXPECT_EQ(-EEXIST, rs_pin(self->fd, REFSLAB_IOC_PIN, cr.id));
	EXPECT_EQ(0, rs_pin(self->fd, REFSLAB_IOC_UNPIN, cr.id));
}

/* Run @n operations @cmd on the arguments at @args (@stride bytes apart). */
static int batch_all(int fd, uint32_t cmd, void *args, size_t stride,
		     unsigned int n)
{
	struct refslab_batch_op *ops = calloc(n, sizeof(*ops));
	uint32_t done = 0;
	int ret;

	if (!ops)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++)
		ops[i] = (struct refslab_batch_op){
			.cmd = cmd, .arg = (uintptr_t)args + i * stride,
		};
	ret = rs_batch(fd, 0, ops, n, &done);
	if (!ret && done != n)
		ret = ops[done ? done - 1 : 0].result ?: -EIO;
	free(ops);
	return ret;
}

/*
 * LIST_PINNED has no cap: it fills what was asked, and pages with @after
 * through any number of pins; a short page is the last.
 */
TEST_F_TIMEOUT(share, list_pinned_pages_past_512, 120)
{
	const unsigned int n = 600, pages[] = { 100, 128, 600 };
	struct refslab_create *cr = calloc(n, sizeof(*cr));
	struct refslab_pin *pin = calloc(n, sizeof(*pin));
	uint64_t *got = calloc(1024, sizeof(*got)), after;
	int fd2 = open(DEV, O_RDWR), ret;
	unsigned int total;

	ASSERT_NE(NULL, cr);
	ASSERT_NE(NULL, pin);
	ASSERT_NE(NULL, got);
	ASSERT_LE(0, fd2);
	/* Root pins against priv_max_pins once user_max_pins refuses. */
	if (param_read("user_max_pins") < 2 * n)
		SET_PARAM("user_max_pins", 2 * n);
	if (param_read("priv_max_pins") < 2 * n)
		SET_PARAM("priv_max_pins", 2 * n);
	for (unsigned int i = 0; i < n; i++)
		cr[i] = (struct refslab_create){ .size = sizeof(cr[i]),
						 .payload_size = 8 };
	ASSERT_EQ(0, batch_all(fd2, REFSLAB_CMD_CREATE, cr, sizeof(*cr), n));
	for (unsigned int i = 0; i < n; i++) {
		ASSERT_LT(i ? cr[i - 1].id : 0, cr[i].id);
		pin[i] = (struct refslab_pin){ .size = sizeof(pin[i]),
					       .id = cr[i].id };
	}
	ASSERT_EQ(0, batch_all(fd2, REFSLAB_CMD_PIN, pin, sizeof(*pin), n));
	close(fd2);	/* the pins alone hold them now */
	EXPECT_EQ(n, stat_read("objects_live") - self->base.val[0]);

	/* One call for more than there are: all of them, in order. */
	ret = rs_list(self->fd, 0, 0, cr[0].id - 1, got, 1024);
	EXPECT_EQ(n, ret);
	for (unsigned int i = 0; i < n && i < (unsigned int)ret; i++) {
		ASSERT_EQ(cr[i].id, got[i]) TH_LOG("entry %u", i);
	}

	for (unsigned int p = 0; p < sizeof(pages) / sizeof(pages[0]); p++) {
		unsigned int calls = 0;

		total = 0;
		after = cr[0].id - 1;
		do {
			ret = rs_list(self->fd, 0, 0, after, got, pages[p]);
			ASSERT_LE(0, ret);
			ASSERT_GE(pages[p], ret);
			for (int i = 0; i < ret; i++) {
				ASSERT_GT(n, total) TH_LOG("too many");
				ASSERT_EQ(cr[total].id, got[i])
					TH_LOG("page of %u, entry %u", pages[p],
					       total);
				total++;
			}
			if (ret)
				after = got[ret - 1];
			calls++;
		} while ((unsigned int)ret == pages[p]);
		EXPECT_EQ(n, total) TH_LOG("pages of %u", pages[p]);
		/* Every full page, then one short one (maybe empty). */
		EXPECT_EQ(n / pages[p] + 1, calls) TH_LOG("pages of %u", pages[p]);
	}

	ASSERT_EQ(0, batch_all(self->fd, REFSLAB_CMD_UNPIN, pin, sizeof(*pin),
			       n));
	EXPECT_EQ(0, rs_list(self->fd, 0, 0, cr[0].id - 1, got, 1024));
	free(cr);
	free(pin);
	free(got);
}

/* --- Release notifications -------------------------------------------------- */

TEST_F(share, poll_and_read)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	struct refslab_event ev[2];
	uint32_t handle, copy;
	uint64_t id;
	int flags;

	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &handle, &id));
	ASSERT_EQ(0, rs_subscribe(self->fd, handle));
	ASSERT_EQ(0, rs_subscribe(self->fd, handle));	/* two events */
	ASSERT_EQ(0, rs_dup(self->fd, handle, &copy));
	ASSERT_EQ(0, rs_put(self->fd, handle, 1, NULL));
	usleep(100000);
	EXPECT_EQ(0, poll(&pfd, 1, 0));		/* the copy keeps it */

	flags = fcntl(self->fd, F_GETFL);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, flags | O_NONBLOCK));
	EXPECT_EQ(-1, read(self->fd, ev, sizeof(ev)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-1, read(self->fd, ev, sizeof(ev[0]) - 1));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, flags));

	ASSERT_EQ(0, rs_put(self->fd, copy, 1, NULL));
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	EXPECT_TRUE(pfd.revents & POLLIN);
	/* Both records, in one read, and a partial record is never split. */
	for (int got = 0; got < 2;) {
		ssize_t n = read(self->fd, &ev[got],
				 (2 - got) * sizeof(ev[0]) + 5);

		ASSERT_LT(0, n);
		ASSERT_EQ(0, n % sizeof(ev[0]));
		got += n / sizeof(ev[0]);
	}
	EXPECT_EQ(id, ev[0].id);
	EXPECT_EQ(id, ev[1].id);
	EXPECT_EQ(0, poll(&pfd, 1, 100));
}

struct delayed_put {
	int fd;
	uint32_t handle;
};

static void *put_later(void *arg)
{
	struct delayed_put *d = arg;

	usleep(200000);
	rs_put(d->fd, d->handle, 1, NULL);
	return NULL;
}

TEST_F(share, blocking_read_and_epoll)
{
	struct delayed_put d = { .fd = self->fd };
	struct epoll_event eev = { .events = EPOLLIN }, out;
	struct refslab_event ev;
	pthread_t thread;
	uint64_t id;
	int ep;

	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &d.handle, &id));
	ASSERT_EQ(0, rs_subscribe(self->fd, d.handle));
	ASSERT_EQ(0, pthread_create(&thread, NULL, put_later, &d));
	/* Blocks until the other thread's put leads to reclamation. */
	ASSERT_EQ(sizeof(ev), read(self->fd, &ev, sizeof(ev)));
	EXPECT_EQ(id, ev.id);
	pthread_join(thread, NULL);

	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->fd, &eev));
	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &d.handle, &id));
	ASSERT_EQ(0, rs_subscribe(self->fd, d.handle));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 100));
	ASSERT_EQ(0, pthread_create(&thread, NULL, put_later, &d));
	EXPECT_EQ(1, epoll_wait(ep, &out, 1, 5000));
	pthread_join(thread, NULL);
	ASSERT_EQ(sizeof(ev), read(self->fd, &ev, sizeof(ev)));
	EXPECT_EQ(id, ev.id);
	close(ep);
}

TEST_F(share, queue_overflow_is_reported)
{
	const unsigned int n = REFSLAB_EVENTS_MAX + 44;
	unsigned int reclaimed = 0, lost = 0, overflows = 0;
	uint32_t *handles = calloc(n, sizeof(*handles));
	long long queued = stat_read("events_delivered");
	long long dropped = stat_read("events_dropped");
	struct refslab_event ev[32];

	ASSERT_NE(NULL, handles);
	for (unsigned int i = 0; i < n; i++) {
		ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &handles[i], NULL));
		ASSERT_EQ(0, rs_subscribe(self->fd, handles[i]));
	}
	for (unsigned int i = 0; i < n; i++)
		ASSERT_EQ(0, rs_put(self->fd, handles[i], 1, NULL));
	EXPECT_EQ(0, wait_reclaimed());
	/* Let the last reclamation callbacks finish delivering. */
	for (int i = 0; i < 500; i++) {
		if (stat_read("events_delivered") - queued +
		    stat_read("events_dropped") - dropped >= n)
			break;
		usleep(10000);
	}
	EXPECT_EQ(REFSLAB_EVENTS_MAX, stat_read("events_delivered") - queued);
	EXPECT_EQ(44, stat_read("events_dropped") - dropped);

	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
	for (;;) {
		ssize_t got = read(self->fd, ev, sizeof(ev));

		if (got < 0) {
			ASSERT_EQ(EAGAIN, errno);
			break;
		}
		for (unsigned int i = 0; i < got / sizeof(ev[0]); i++) {
			ASSERT_TRUE(event_well_formed(&ev[i]));
			if (ev[i].type == REFSLAB_EVENT_RECLAIMED) {
				reclaimed++;
			} else {
				ASSERT_EQ(REFSLAB_EVENT_OVERFLOW, ev[i].type);
				overflows++;
				lost += ev[i].count;
			}
		}
	}
	EXPECT_EQ(REFSLAB_EVENTS_MAX, reclaimed);
	EXPECT_EQ(1, overflows);
	EXPECT_EQ(44, lost);
	free(handles);
}

TEST_F(share, close_cancels_subscriptions)
{
	int fd2 = open(DEV, O_RDWR);
	uint32_t handle, h2;
	uint64_t id;

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &handle, &id));
	ASSERT_EQ(0, rs_open(fd2, id, REFSLAB_RIGHT_READ, &h2));
	ASSERT_EQ(0, rs_subscribe(fd2, h2));
	close(fd2);	/* the watch goes with the file */
	ASSERT_EQ(0, rs_put(self->fd, handle, 1, NULL));
	EXPECT_EQ(0, wait_reclaimed());
}

/*
 * The watch quota is the user's: one user's watches over all its files
 * stop at user_max_watches (EDQUOT), another user is not affected, and a
 * watch is given back when its file is closed or its event is queued.
 */
#define WATCH_UID	3020
#define WATCH_OTHER_UID	3021
#define WATCH_QUOTA	100

struct watch_case {
	uint64_t id;
	long long watches0;	/* watches_live before */
	int ready[2], go[2];	/* child -> parent, parent -> child */
};

static int watch_quota_child(void *arg)
{
	struct watch_case *c = arg;
	struct refslab_create cr = {
		.size = sizeof(cr), .flags = REFSLAB_CREATE_MODE,
		.payload_size = 8, .mode = 0644,
	};
	struct refslab_event ev;
	int fdh, f1, f2, err;
	char byte;

	close(c->ready[0]);
	close(c->go[1]);
	if (become(WATCH_UID, WATCH_UID, 0))
		return 100;
	fdh = open(DEV, O_RDWR);
	f1 = open(DEV, O_RDWR);
	f2 = open(DEV, O_RDWR);
	CHILD_CHECK(fdh >= 0 && f1 >= 0 && f2 >= 0, 1);
	CHILD_CHECK(rs_ioctl(fdh, REFSLAB_IOC_CREATE, &cr), 0);
	c->id = cr.id;

	/* The quota, then EDQUOT, in one file... */
	CHILD_CHECK(subscribe_many(f1, 0, cr.id, 0, WATCH_QUOTA + 5, &err),
		    WATCH_QUOTA);
	CHILD_CHECK(err, -EDQUOT);
	CHILD_CHECK(stat_read("watches_live") - c->watches0, WATCH_QUOTA);
	/* ...and in every other file of the same user. */
	CHILD_CHECK(rs_subscribe_id(f2, cr.id, 1), -EDQUOT);
	CHILD_CHECK(rs_subscribe(fdh, cr.handle), -EDQUOT);

	/* The parent shows that another user still may. */
	CHILD_CHECK(write(c->ready[1], "r", 1), 1);
	CHILD_CHECK(read(c->go[0], &byte, 1), 1);

	/* Closing the file gives its watches back. */
	close(f1);
	CHILD_CHECK(wait_stat("watches_live", c->watches0), c->watches0);
	CHILD_CHECK(subscribe_many(f2, 0, cr.id, 1000, WATCH_QUOTA + 5, &err),
		    WATCH_QUOTA);
	CHILD_CHECK(err, -EDQUOT);

	/* So does each event: the object goes, its events are queued. */
	CHILD_CHECK(rs_put(fdh, cr.handle, 1, NULL), 0);
	for (int i = 0; i < WATCH_QUOTA; i++) {
		CHILD_CHECK(read_event(f2, &ev, 5000), 1);
		CHILD_CHECK(ev.type, REFSLAB_EVENT_RECLAIMED);
		CHILD_CHECK(ev.id, cr.id);
		CHILD_CHECK(ev.cookie >= 1000 && ev.cookie < 1000 + WATCH_QUOTA,
			    1);
	}
	CHILD_CHECK(wait_stat("watches_live", c->watches0), c->watches0);
	CHILD_CHECK(rs_ioctl(fdh, REFSLAB_IOC_CREATE, &cr), 0);
	CHILD_CHECK(subscribe_many(fdh, cr.handle, 0, 0, WATCH_QUOTA, &err),
		    WATCH_QUOTA);
	CHILD_CHECK(err, 0);
	return 0;	/* exit closes the files: the teardown checks the rest */
}

static int watch_other_user_child(void *arg)
{
	struct watch_case *c = arg;
	int fd;

	if (become(WATCH_OTHER_UID, WATCH_OTHER_UID, 0))
		return 100;
	fd = open(DEV, O_RDWR);
	CHILD_CHECK(fd >= 0, 1);
	CHILD_CHECK(rs_subscribe_id(fd, c->id, 2), 0);
	return 0;
}

TEST_F_TIMEOUT(share, watch_quota_is_per_user, 120)
{
	struct watch_case *c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int status;
	char byte;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, c);
	SET_PARAM("user_max_watches", WATCH_QUOTA);
	ASSERT_EQ(0, pipe(c->ready));
	ASSERT_EQ(0, pipe(c->go));
	c->watches0 = stat_read("watches_live");
	ASSERT_LE(0, c->watches0);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(watch_quota_child(c));
	close(c->ready[1]);
	close(c->go[0]);
	if (read(c->ready[0], &byte, 1) == 1)
		EXPECT_CHILD(run_child(watch_other_user_child, c));
	EXPECT_EQ(1, write(c->go[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_CHILD(WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	close(c->ready[0]);
	close(c->go[1]);
	munmap(c, sizeof(*c));
}

/* --- Event records, cookies and SUBSCRIBE by id ------------------------------ */

TEST_F(share, event_record_carries_the_cookie)
{
	const uint64_t c1 = 0x1122334455667788ULL, c2 = 42;
	struct refslab_event ev[3];
	struct timespec t0, t1;
	uint64_t id, lo, hi;
	uint32_t handle;

	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &handle, &id));
	ASSERT_EQ(0, clock_gettime(CLOCK_MONOTONIC, &t0));
	ASSERT_EQ(0, rs_subscribe_full(self->fd, 0, handle, 0, c1));
	ASSERT_EQ(0, rs_subscribe_id(self->fd, id, c2));
	ASSERT_EQ(0, rs_put(self->fd, handle, 1, NULL));
	ASSERT_EQ(1, read_event(self->fd, &ev[0], 5000));
	ASSERT_EQ(1, read_event(self->fd, &ev[1], 5000));
	ASSERT_EQ(0, clock_gettime(CLOCK_MONOTONIC, &t1));
	EXPECT_EQ(0, read_event(self->fd, &ev[2], 200));	/* two, no more */

	lo = t0.tv_sec * 1000000000ULL + t0.tv_nsec;
	hi = t1.tv_sec * 1000000000ULL + t1.tv_nsec;
	for (int i = 0; i < 2; i++) {
		EXPECT_EQ(sizeof(struct refslab_event), ev[i].len);
		EXPECT_EQ(REFSLAB_EVENT_RECLAIMED, ev[i].type);
		EXPECT_EQ(id, ev[i].id);
		EXPECT_EQ(1, ev[i].count);
		EXPECT_EQ(0, ev[i].__reserved);
		EXPECT_LE(lo, ev[i].time_ns);
		EXPECT_GE(hi, ev[i].time_ns);
	}
	/* Each watch's own cookie, in either order. */
	EXPECT_TRUE((ev[0].cookie == c1 && ev[1].cookie == c2) ||
		    (ev[0].cookie == c2 && ev[1].cookie == c1))
		TH_LOG("cookies %#llx and %#llx",
		       (unsigned long long)ev[0].cookie,
		       (unsigned long long)ev[1].cookie);
}

static int subscribe_child(void *arg)
{
	struct open_case *c = arg;
	int fd;

	if (c->uid && become(c->uid, c->gid, c->supplementary))
		return 100;
	fd = open(DEV, O_RDWR);
	CHILD_CHECK(fd >= 0, 1);
	CHILD_CHECK(rs_subscribe_id(fd, c->id, 5), c->expect);
	return 0;
}

TEST_F(share, subscribe_by_id)
{
	struct refslab_subscribe sub;
	struct refslab_event ev;
	struct open_case c;
	uint32_t handle;
	uint64_t id;

	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &handle, &id));
	EXPECT_EQ(-ENOENT, rs_subscribe_id(self->fd, id + 1000000, 0));
	EXPECT_EQ(-ENOENT, rs_subscribe_id(self->fd, 0, 0));
	/* Either a handle or an id, never both. */
	EXPECT_EQ(-EINVAL, rs_subscribe_full(self->fd, REFSLAB_SUBSCRIBE_ID,
					     handle, id, 0));
	EXPECT_EQ(-EINVAL, rs_subscribe_full(self->fd, 0, handle, id, 0));
	EXPECT_EQ(-EINVAL, rs_subscribe_full(self->fd, 1U << 1, handle, 0, 0));
	EXPECT_EQ(-EINVAL, rs_subscribe_full(self->fd, 1U << 31, handle, 0, 0));
	sub = (struct refslab_subscribe){ .size = sizeof(sub), .handle = handle,
					  .__reserved = 1 };
	EXPECT_EQ(-EINVAL, rs_ioctl(self->fd, REFSLAB_IOC_SUBSCRIBE, &sub));
	EXPECT_EQ(0, stat_read("watches_live") - self->base.settled[0]);

	/* Others by the mode, as OPEN for reading; the owner whatever it is. */
	ASSERT_EQ(0, rs_setattr(self->fd, handle, REFSLAB_SETATTR_ALL, 0640,
				OWNER_UID, GROUP_GID));
	c = (struct open_case){ id, OWNER_UID, OWNER_UID, 0, 0, 0 };
	EXPECT_CHILD(run_child(subscribe_child, &c));
	c = (struct open_case){ id, MEMBER_UID, MEMBER_UID, GROUP_GID, 0, 0 };
	EXPECT_CHILD(run_child(subscribe_child, &c));
	c = (struct open_case){ id, OTHER_UID, OTHER_UID, 0, 0, -EACCES };
	EXPECT_CHILD(run_child(subscribe_child, &c));
	ASSERT_EQ(0, rs_setattr(self->fd, handle, REFSLAB_SETATTR_MODE, 0, 0,
				0));
	c = (struct open_case){ id, OWNER_UID, OWNER_UID, 0, 0, 0 };
	EXPECT_CHILD(run_child(subscribe_child, &c));
	c = (struct open_case){ id, MEMBER_UID, MEMBER_UID, GROUP_GID, 0,
				-EACCES };
	EXPECT_CHILD(run_child(subscribe_child, &c));

	/* Root (CAP_FOWNER) watches by id; the event names the object. */
	ASSERT_EQ(0, rs_subscribe_id(self->fd, id, 77));
	ASSERT_EQ(0, rs_put(self->fd, handle, 1, NULL));
	ASSERT_EQ(1, read_event(self->fd, &ev, 5000));
	EXPECT_EQ(id, ev.id);
	EXPECT_EQ(77, ev.cookie);
	EXPECT_TRUE(event_well_formed(&ev));
	EXPECT_EQ(-ENOENT, rs_subscribe_id(self->fd, id, 0));	/* gone */
}

/* --- BATCH ------------------------------------------------------------------- */

TEST_F(share, batch_runs_each_operation)
{
	struct refslab_create c[3];
	struct refslab_info info = { .size = sizeof(info) };
	struct refslab_batch_op ops[4];
	uint32_t done;

	for (int i = 0; i < 3; i++) {
		c[i] = (struct refslab_create){ .size = sizeof(c[i]),
						.payload_size = 8 + i };
		ops[i] = (struct refslab_batch_op){ .cmd = REFSLAB_CMD_CREATE,
						    .arg = (uintptr_t)&c[i] };
	}
	ASSERT_EQ(0, rs_batch(self->fd, 0, ops, 3, &done));
	EXPECT_EQ(3, done);
	info.handle = c[2].handle;
	ops[3] = (struct refslab_batch_op){ .cmd = REFSLAB_CMD_INFO,
					    .arg = (uintptr_t)&info };
	ASSERT_EQ(0, rs_batch(self->fd, 0, &ops[3], 1, &done));
	EXPECT_EQ(0, ops[3].result);
	EXPECT_EQ(10, info.payload_size);
	EXPECT_EQ(c[2].id, info.id);
	EXPECT_EQ(3, stat_read("objects_live") - self->base.val[0]);
}

TEST_F(share, batch_stops_or_continues)
{
	struct refslab_create c1 = { .size = sizeof(c1), .payload_size = 8 };
	struct refslab_create c2 = { .size = sizeof(c2), .payload_size = 8 };
	struct refslab_ref bad = { .size = sizeof(bad), .handle = 99999,
				   .count = 1 };
	struct refslab_batch_op ops[3] = {
		{ .cmd = REFSLAB_CMD_CREATE, .arg = (uintptr_t)&c1 },
		{ .cmd = REFSLAB_CMD_GET, .arg = (uintptr_t)&bad },
		{ .cmd = REFSLAB_CMD_CREATE, .arg = (uintptr_t)&c2 },
	};
	uint32_t done;

	ASSERT_EQ(0, rs_batch(self->fd, 0, ops, 3, &done));
	EXPECT_EQ(2, done);
	EXPECT_EQ(0, ops[0].result);
	EXPECT_EQ(-ENOENT, ops[1].result);
	EXPECT_EQ(1, stat_read("objects_live") - self->base.val[0]);

	ops[2].result = 12345;
	ASSERT_EQ(0, rs_batch(self->fd, REFSLAB_BATCH_CONTINUE, ops, 3, &done));
	EXPECT_EQ(3, done);
	EXPECT_EQ(-ENOENT, ops[1].result);
	EXPECT_EQ(0, ops[2].result);
	EXPECT_EQ(3, stat_read("objects_live") - self->base.val[0]);
}

TEST_F(share, batch_errors)
{
	struct refslab_batch nested = { .size = sizeof(nested), .count = 1 };
	struct refslab_version v = { .size = sizeof(v) };
	struct refslab_batch_op ops[3] = {
		{ .cmd = REFSLAB_CMD_BATCH, .arg = (uintptr_t)&nested },
		{ .cmd = 0x7f, .arg = (uintptr_t)&v },
		{ .cmd = REFSLAB_CMD_VERSION, .arg = 8 },
	};
	uint32_t done;

	nested.ops = (uintptr_t)ops;
	ASSERT_EQ(0, rs_batch(self->fd, REFSLAB_BATCH_CONTINUE, ops, 3, &done));
	EXPECT_EQ(-EINVAL, ops[0].result);
	EXPECT_EQ(-ENOTTY, ops[1].result);
	EXPECT_EQ(-EFAULT, ops[2].result);

	EXPECT_EQ(-EINVAL, rs_batch(self->fd, 0, ops, 0, &done));
	EXPECT_EQ(-EINVAL, rs_batch(self->fd, 0, ops, REFSLAB_BATCH_MAX + 1,
				    &done));
	EXPECT_EQ(-EINVAL, rs_batch(self->fd, 1U << 5, ops, 1, &done));
	EXPECT_EQ(-EFAULT, rs_batch(self->fd, 0, NULL, 1, &done));
	EXPECT_EQ(-EFAULT, rs_batch(self->fd, 0, (void *)8, 1, &done));
}

TEST_F(share, batch_nested_does_not_run)
{
	struct refslab_create c = { .size = sizeof(c), .payload_size = 8 };
	struct refslab_batch_op inner = { .cmd = REFSLAB_CMD_CREATE,
					  .arg = (uintptr_t)&c };
	struct refslab_batch nested = { .size = sizeof(nested),
					.ops = (uintptr_t)&inner, .count = 1 };
	struct refslab_batch_op op = { .cmd = REFSLAB_CMD_BATCH,
				       .arg = (uintptr_t)&nested };
	uint32_t done;

	ASSERT_EQ(0, rs_batch(self->fd, 0, &op, 1, &done));
	EXPECT_EQ(1, done);
	EXPECT_EQ(-EINVAL, op.result);
	EXPECT_EQ(0, inner.result);
	EXPECT_EQ(0, c.handle);
	EXPECT_EQ(0, stat_read("objects_live") - self->base.val[0]);
}

#define INLINE_OP(c) .cmd = REFSLAB_CMD_##c, .flags = REFSLAB_BATCH_OP_INLINE

/*
 * A file holds at most REFSLAB_FILE_HANDLES_MAX handles: one more is
 * ENOSPC and changes nothing (a run of CREATEs makes what fits), and a
 * handle put makes room again.  2^21 DUPs in BATCHes of inline records:
 * not on the slow debug and KCSAN kernels.
 */
TEST_F(share, handles_per_file_cap)
{
	struct refslab_batch_op *ops, creates[5];
	uint32_t h, extra, n = 1, done;
	long long live;
	int fd;

	if (slow_kernel())
		SKIP(return, "2^21 handles: too slow on the debug and KCSAN kernels");
	ops = calloc(REFSLAB_BATCH_MAX, sizeof(*ops));
	ASSERT_NE(NULL, ops);
	fd = open_dev(_metadata);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, rs_create(fd, 8, NULL, 0, &h, NULL));
	/* DUPs up to three short of the cap, then a run of five CREATEs. */
	while (n < REFSLAB_FILE_HANDLES_MAX - 3) {
		uint32_t count = REFSLAB_FILE_HANDLES_MAX - 3 - n;

		if (count > REFSLAB_BATCH_MAX)
			count = REFSLAB_BATCH_MAX;
		for (uint32_t i = 0; i < count; i++)
			ops[i] = (struct refslab_batch_op){ INLINE_OP(DUP),
				.dup = { .handle = h } };
		ASSERT_EQ(0, rs_batch(fd, 0, ops, count, &done));
		ASSERT_EQ(count, done);
		ASSERT_EQ(0, ops[count - 1].result);
		n += count;
	}
	for (uint32_t i = 0; i < 5; i++)
		creates[i] = (struct refslab_batch_op){ INLINE_OP(CREATE),
			.create = { .payload_size = 8 } };
	ASSERT_EQ(0, rs_batch(fd, REFSLAB_BATCH_CONTINUE, creates, 5, &done));
	ASSERT_EQ(5, done);
	for (uint32_t i = 0; i < 5; i++)
		EXPECT_EQ(i < 3 ? 0 : -ENOSPC, creates[i].result);
	live = stat_read("handles_live");
	EXPECT_EQ(-ENOSPC, rs_dup(fd, h, &extra));
	EXPECT_EQ(-ENOSPC, rs_create(fd, 8, NULL, 0, &extra, NULL));
	EXPECT_EQ(live, stat_read("handles_live"));
	/* One handle goes: there is room for one again. */
	ASSERT_EQ(0, rs_put(fd, ops[0].dup.new_handle, 1, NULL));
	EXPECT_EQ(0, rs_dup(fd, h, &extra));
	EXPECT_EQ(-ENOSPC, rs_dup(fd, h, &extra));
	free(ops);
	/* Closing drops them all. */
	EXPECT_EQ(0, close(fd));
}

/* Each inline form runs as its single ioctl and answers in its record. */
TEST_F(share, batch_inline_forms)
{
	static const char data[4] = "abc";
	struct refslab_batch_op ops[6] = {
		{ INLINE_OP(CREATE), .create = { .payload_size = 16,
			.data = (uintptr_t)data, .data_len = sizeof(data) } },
		{ INLINE_OP(CREATE), .flags = REFSLAB_BATCH_OP_INLINE |
			REFSLAB_BATCH_OP_MODE, .create = { .payload_size = 8,
						     .mode = 0640 } },
	};
	struct refslab_info info;
	char buf[4];
	uint32_t done;

	ASSERT_EQ(0, rs_batch(self->fd, 0, ops, 2, &done));
	ASSERT_EQ(2, done);
	ASSERT_EQ(0, ops[0].result);
	ASSERT_EQ(0, ops[1].result);
	ASSERT_NE(0, ops[0].create.handle);
	ASSERT_EQ(0, rs_info(self->fd, ops[0].create.handle, &info));
	EXPECT_EQ(ops[0].create.id, info.id);
	EXPECT_EQ(0600, info.mode);
	ASSERT_EQ(0, rs_read(self->fd, ops[0].create.handle, 0, 4, buf, NULL));
	EXPECT_EQ(0, memcmp(buf, data, 4));
	ASSERT_EQ(0, rs_info(self->fd, ops[1].create.handle, &info));
	EXPECT_EQ(0640, info.mode);
	EXPECT_EQ(8, info.payload_size);

	ops[2] = (struct refslab_batch_op){ INLINE_OP(GET),
		.ref = { .handle = ops[0].create.handle, .count = 3 } };
	ops[3] = (struct refslab_batch_op){ INLINE_OP(PUT),
		.ref = { .handle = ops[0].create.handle, .count = 2 } };
	ops[4] = (struct refslab_batch_op){ INLINE_OP(DUP),
		.dup = { .handle = ops[0].create.handle } };
	ops[5] = (struct refslab_batch_op){ INLINE_OP(OPEN),
		.open = { .id = ops[1].create.id, .rights = REFSLAB_RIGHT_READ } };
	ASSERT_EQ(0, rs_batch(self->fd, 0, &ops[2], 4, &done));
	ASSERT_EQ(4, done);
	for (int i = 2; i < 6; i++)
		EXPECT_EQ(0, ops[i].result);
	EXPECT_EQ(4, ops[2].ref.refs);
	EXPECT_EQ(2, ops[3].ref.refs);
	ASSERT_EQ(0, rs_info(self->fd, ops[4].dup.new_handle, &info));
	EXPECT_EQ(ops[0].create.id, info.id);
	EXPECT_EQ(3, info.object_refs);
	ASSERT_EQ(0, rs_info(self->fd, ops[5].open.handle, &info));
	EXPECT_EQ(ops[1].create.id, info.id);
	EXPECT_EQ(REFSLAB_RIGHT_READ, info.rights);
	EXPECT_EQ(2, stat_read("objects_live") - self->base.val[0]);
}

#define CREATE_RUN	40

/*
 * Runs of inline CREATEs, of one payload size and mode or of several,
 * with data or without, make one object per record, each as its ioctl
 * would: its own handle, a new id, its size, mode and data.  A run of
 * PUTs then releases them all, and every one is reclaimed.
 */
TEST_F(share, batch_create_runs_make_each_record_its_object)
{
	struct refslab_batch_op ops[CREATE_RUN];
	struct refslab_info info;
	uint64_t data[CREATE_RUN], got, want;
	uint32_t done;
	int i, j;

	for (i = 0; i < CREATE_RUN; i++) {
		data[i] = 0x1000 + i;
		ops[i] = (struct refslab_batch_op){ INLINE_OP(CREATE),
			.create = { .payload_size = 16 } };
		if (i >= 20 && i < 25) {
			ops[i].create.data = (uintptr_t)&data[i];
			ops[i].create.data_len = sizeof(data[i]);
		}
		if (i >= 25 && i < 28)
			ops[i].create.payload_size = 300;
		if (i == 27 || i == 28) {
			ops[i].flags |= REFSLAB_BATCH_OP_MODE;
			ops[i].create.mode = 0640;
		}
	}
	ASSERT_EQ(0, rs_batch(self->fd, 0, ops, CREATE_RUN, &done));
	ASSERT_EQ(CREATE_RUN, done);
	for (i = 0; i < CREATE_RUN; i++) {
		ASSERT_EQ(0, ops[i].result) TH_LOG("record %d", i);
		for (j = 0; j < i; j++) {
			EXPECT_NE(ops[j].create.handle, ops[i].create.handle);
			EXPECT_LT(ops[j].create.id, ops[i].create.id);
		}
		ASSERT_EQ(0, rs_info(self->fd, ops[i].create.handle, &info));
		EXPECT_EQ(ops[i].create.id, info.id);
		EXPECT_EQ(ops[i].create.payload_size, info.payload_size);
		EXPECT_EQ(i == 27 || i == 28 ? 0640 : 0600, info.mode);
		EXPECT_EQ(1, info.object_refs);
		ASSERT_EQ(0, rs_read(self->fd, ops[i].create.handle, 0,
				     sizeof(got), &got, NULL));
		want = i >= 20 && i < 25 ? data[i] : 0;
		EXPECT_EQ(want, got) TH_LOG("record %d", i);
	}
	EXPECT_EQ(CREATE_RUN, stat_read("objects_live") - self->base.val[0]);

	for (i = 0; i < CREATE_RUN; i++)
		ops[i] = (struct refslab_batch_op){ INLINE_OP(PUT),
			.ref = { .handle = ops[i].create.handle, .count = 1 } };
	ASSERT_EQ(0, rs_batch(self->fd, 0, ops, CREATE_RUN, &done));
	ASSERT_EQ(CREATE_RUN, done);
	for (i = 0; i < CREATE_RUN; i++) {
		EXPECT_EQ(0, ops[i].result);
		EXPECT_EQ(-ENOENT, rs_info(self->fd, ops[i].ref.handle, &info));
	}
	EXPECT_EQ(0, stat_read("objects_live") - self->base.val[0]);
	EXPECT_EQ(0, wait_reclaimed());
	EXPECT_EQ(CREATE_RUN, stat_read("objects_reclaimed") - self->reclaimed);
}

/*
 * A CREATE of a run whose data cannot be read fails with EFAULT, alone:
 * the records before it have their objects, and the batch stops there,
 * or, with REFSLAB_BATCH_CONTINUE, goes on with the next.
 */
TEST_F(share, batch_create_run_fails_one_record_at_unreadable_data)
{
	struct refslab_batch_op ops[6];
	uint64_t data = 7, got;
	uint32_t done;
	int i, cont;

	for (cont = 0; cont < 2; cont++) {
		for (i = 0; i < 6; i++)
			ops[i] = (struct refslab_batch_op){ INLINE_OP(CREATE),
				.result = 99, .create = { .payload_size = 8,
					.data = (uintptr_t)&data,
					.data_len = sizeof(data) } };
		ops[3].create.data = 8;	/* unmapped */
		ASSERT_EQ(0, rs_batch(self->fd,
				      cont ? REFSLAB_BATCH_CONTINUE : 0, ops, 6,
				      &done));
		ASSERT_EQ(cont ? 6 : 4, done);
		EXPECT_EQ(-EFAULT, ops[3].result);
		EXPECT_EQ(0, ops[3].create.handle);
		EXPECT_EQ(0, ops[3].create.id);
		for (i = 0; i < 6; i++) {
			if (i == 3)
				continue;
			if (!cont && i > 3) {
				EXPECT_EQ(99, ops[i].result);
				EXPECT_EQ(0, ops[i].create.handle);
				continue;
			}
			ASSERT_EQ(0, ops[i].result) TH_LOG("record %d", i);
			ASSERT_EQ(0, rs_read(self->fd, ops[i].create.handle, 0,
					     sizeof(got), &got, NULL));
			EXPECT_EQ(data, got);
			EXPECT_EQ(0, rs_put(self->fd, ops[i].create.handle, 1,
					    NULL));
		}
		EXPECT_EQ(0, stat_read("objects_live") - self->base.val[0]);
	}
}

/*
 * At the object limit a run of CREATEs makes what fits, and every record
 * after that fails with EDQUOT, as the ioctl would.
 */
TEST_F(share, batch_create_run_at_the_quota)
{
	struct refslab_batch_op ops[12];
	uint32_t done;
	long long live;
	int i;

	live = stat_read("objects_live");
	SET_PARAM("max_objects", live + 5);
	for (i = 0; i < 12; i++)
		ops[i] = (struct refslab_batch_op){ INLINE_OP(CREATE),
			.create = { .payload_size = 8 } };
	ASSERT_EQ(0, rs_batch(self->fd, REFSLAB_BATCH_CONTINUE, ops, 12,
			      &done));
	ASSERT_EQ(12, done);
	for (i = 0; i < 12; i++)
		EXPECT_EQ(i < 5 ? 0 : -EDQUOT, ops[i].result)
			TH_LOG("record %d", i);
	EXPECT_EQ(live + 5, stat_read("objects_live"));
	for (i = 0; i < 5; i++)
		EXPECT_EQ(0, rs_put(self->fd, ops[i].create.handle, 1, NULL));
}

/*
 * A run of PUTs that ends many handles releases their objects together,
 * and still hands each its due: a kept export file is dropped with its
 * handle, an object that is watched is reclaimed and its watcher told,
 * and an object another handle holds stays.
 */
TEST_F(share, batch_put_run_releases_together)
{
	struct refslab_batch_op ops[20];
	struct refslab_info info;
	struct refslab_event ev;
	int efd, watcher;
	uint32_t h[20], other, done;
	uint64_t id[20];
	int i;

	for (i = 0; i < 20; i++)
		ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &h[i], &id[i]));
	ASSERT_EQ(0, rs_export(self->fd, h[4], 0, 0, &efd));
	close(efd);
	EXPECT_EQ(1, fdinfo_value(self->fd, "refslab-exports-kept:\t"));
	ASSERT_EQ(0, rs_dup(self->fd, h[9], &other));
	watcher = open_dev(_metadata);
	ASSERT_EQ(0, rs_subscribe_id(watcher, id[13], 0));
	for (i = 0; i < 20; i++)
		ops[i] = (struct refslab_batch_op){ INLINE_OP(PUT),
			.ref = { .handle = h[i], .count = 1 } };
	ASSERT_EQ(0, rs_batch(self->fd, 0, ops, 20, &done));
	ASSERT_EQ(20, done);
	for (i = 0; i < 20; i++)
		EXPECT_EQ(0, ops[i].result);
	EXPECT_EQ(0, fdinfo_value(self->fd, "refslab-exports-kept:\t"));
	EXPECT_EQ(1, stat_read("objects_live") - self->base.val[0]);
	ASSERT_EQ(0, rs_info(self->fd, other, &info));
	EXPECT_EQ(1, info.object_refs);
	ASSERT_EQ(1, read_event(watcher, &ev, 5000));
	EXPECT_EQ(REFSLAB_EVENT_RECLAIMED, ev.type);
	EXPECT_EQ(id[13], ev.id);
	EXPECT_TRUE(event_well_formed(&ev));
	EXPECT_EQ(0, read_event(watcher, &ev, 200));
	EXPECT_EQ(0, wait_reclaimed());
	EXPECT_EQ(19, stat_read("objects_reclaimed") - self->reclaimed);
	EXPECT_EQ(0, rs_put(self->fd, other, 1, NULL));
	close(watcher);
}

/* Inline records are checked like the ioctls' structures, byte for byte. */
TEST_F(share, batch_inline_errors)
{
	struct refslab_info info = { .size = sizeof(info) };
	struct refslab_batch_op ops[9];
	uint32_t h, done;
	int i;

	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &h, NULL));
	info.handle = h;
	ops[0] = (struct refslab_batch_op){ INLINE_OP(INFO) };
	ops[1] = (struct refslab_batch_op){ INLINE_OP(GET),
					    .ref = { .handle = h } };
	ops[2] = (struct refslab_batch_op){ INLINE_OP(GET),
		.ref = { .handle = h, .count = 1, .__reserved = 1 } };
	ops[3] = (struct refslab_batch_op){ INLINE_OP(PUT),
					    .ref = { .handle = h, .count = 1 } };
	ops[3].__size[31] = 1;
	ops[4] = (struct refslab_batch_op){ .cmd = REFSLAB_CMD_GET,
		.flags = REFSLAB_BATCH_OP_INLINE | REFSLAB_BATCH_OP_MODE,
		.ref = { .handle = h, .count = 1 } };
	ops[5] = (struct refslab_batch_op){ .cmd = REFSLAB_CMD_GET,
		.flags = 1U << 7, .ref = { .handle = h, .count = 1 } };
	ops[6] = (struct refslab_batch_op){ .cmd = REFSLAB_CMD_INFO,
					    .arg = (uintptr_t)&info };
	ops[6].__size[8] = 1;
	ops[7] = (struct refslab_batch_op){ INLINE_OP(CREATE),
		.create = { .payload_size = REFSLAB_PAYLOAD_MAX + 1 } };
	ops[8] = (struct refslab_batch_op){ INLINE_OP(PUT),
					    .ref = { .handle = h, .count = 2 } };
	ASSERT_EQ(0, rs_batch(self->fd, REFSLAB_BATCH_CONTINUE, ops, 9, &done));
	ASSERT_EQ(9, done);
	for (i = 0; i < 9; i++)
		EXPECT_EQ(-EINVAL, ops[i].result) {
			TH_LOG("operation %d", i);
		}
	EXPECT_EQ(0, ops[8].ref.refs);
	ASSERT_EQ(0, rs_info(self->fd, h, &info));
	EXPECT_EQ(1, info.handle_refs);
	EXPECT_EQ(1, stat_read("objects_live") - self->base.val[0]);
}

/*
 * Runs of inline GETs and PUTs stop where a record fails (without
 * REFSLAB_BATCH_CONTINUE), mix with other operations, and give each
 * record the single ioctl's errno.  Only a record's result and, when that
 * is 0, its outputs are written: its inputs stay as the caller wrote them.
 */
TEST_F(share, batch_ref_runs_stop_mix_and_keep_inputs)
{
	struct refslab_info info = { .size = sizeof(info) };
	struct refslab_batch_op ops[7], was[7];
	uint32_t h, done;
	int i;

	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &h, NULL));
	info.handle = h;
	ops[0] = (struct refslab_batch_op){ INLINE_OP(GET),
		.ref = { .handle = h, .count = 2, .refs = 777 } };
	ops[1] = (struct refslab_batch_op){ INLINE_OP(GET),
		.ref = { .handle = h ^ (1U << 31), .count = 1, .refs = 777 } };
	ops[2] = (struct refslab_batch_op){ INLINE_OP(GET),
		.ref = { .handle = h, .count = 1, .refs = 777 } };
	ops[2].result = 555;
	memcpy(was, ops, sizeof(ops));
	ASSERT_EQ(0, rs_batch(self->fd, 0, ops, 3, &done));
	EXPECT_EQ(2, done);
	EXPECT_EQ(0, ops[0].result);
	EXPECT_EQ(3, ops[0].ref.refs);
	EXPECT_EQ(-ENOENT, ops[1].result);
	EXPECT_EQ(777, ops[1].ref.refs);
	/* The record after the failed one did not run, nor was it written. */
	EXPECT_EQ(0, memcmp(&ops[2], &was[2], sizeof(ops[2])));
	for (i = 0; i < 2; i++) {
		ops[i].result = was[i].result;
		ops[i].ref.refs = was[i].ref.refs;
		EXPECT_EQ(0, memcmp(&ops[i], &was[i], sizeof(ops[i]))) {
			TH_LOG("record %d changed beyond result and refs", i);
		}
	}
	ASSERT_EQ(0, rs_info(self->fd, h, &info));
	EXPECT_EQ(3, info.handle_refs);

	/* Refs 3: every kind of failure, and a pointer record between. */
	ops[0] = (struct refslab_batch_op){ INLINE_OP(GET),
		.ref = { .handle = h, .count = REFSLAB_HANDLE_REFS_MAX + 1 } };
	ops[1] = (struct refslab_batch_op){ INLINE_OP(PUT),
		.ref = { .handle = h, .count = 1 } };
	ops[2] = (struct refslab_batch_op){ .cmd = REFSLAB_CMD_INFO,
					    .arg = (uintptr_t)&info };
	ops[3] = (struct refslab_batch_op){ INLINE_OP(PUT),
		.ref = { .handle = h, .count = 3, .refs = 777 } };
	ops[4] = (struct refslab_batch_op){ INLINE_OP(GET),
		.ref = { .handle = h, .count = 0 } };
	ops[5] = (struct refslab_batch_op){ INLINE_OP(GET),
		.ref = { .handle = h, .count = 4 } };
	ops[6] = (struct refslab_batch_op){ INLINE_OP(PUT),
		.ref = { .handle = h, .count = 6 } };
	ASSERT_EQ(0, rs_batch(self->fd, REFSLAB_BATCH_CONTINUE, ops, 7, &done));
	EXPECT_EQ(7, done);
	EXPECT_EQ(-EOVERFLOW, ops[0].result);
	EXPECT_EQ(0, ops[1].result);
	EXPECT_EQ(2, ops[1].ref.refs);
	EXPECT_EQ(0, ops[2].result);
	EXPECT_EQ(2, info.handle_refs);
	EXPECT_EQ(-EINVAL, ops[3].result);
	EXPECT_EQ(777, ops[3].ref.refs);
	EXPECT_EQ(-EINVAL, ops[4].result);
	EXPECT_EQ(0, ops[5].result);
	EXPECT_EQ(6, ops[5].ref.refs);
	/* The last PUT ends the handle; the object goes with it. */
	EXPECT_EQ(0, ops[6].result);
	EXPECT_EQ(0, ops[6].ref.refs);
	EXPECT_EQ(-ENOENT, rs_info(self->fd, h, &info));
	EXPECT_EQ(0, stat_read("objects_live") - self->base.val[0]);
}

/*
 * Records are read and written back 64 at a time, each run only once it
 * is known to be writable: a run on a read-only page does not run, and
 * neither does one whose last record only ends on it.
 */
TEST_F(share, batch_runs_stop_at_a_read_only_page)
{
	long psz = sysconf(_SC_PAGESIZE);
	const size_t run = 64 * sizeof(struct refslab_batch_op);
	struct refslab_batch_op *ops;
	struct refslab_info info;
	uint32_t h, done;
	char *map;

	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &h, NULL));
	map = mmap(NULL, 2 * psz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);

	/* The first run fills the end of the writable page exactly. */
	ops = (struct refslab_batch_op *)(map + psz - run);
	for (int i = 0; i < 100; i++)
		ops[i] = (struct refslab_batch_op){ INLINE_OP(GET),
			.ref = { .handle = h, .count = 1 } };
	ASSERT_EQ(0, mprotect(map + psz, psz, PROT_READ));
	ASSERT_EQ(0, rs_batch(self->fd, 0, ops, 100, &done));
	EXPECT_EQ(64, done);
	EXPECT_EQ(0, ops[63].result);
	EXPECT_EQ(65, ops[63].ref.refs);
	ASSERT_EQ(0, rs_info(self->fd, h, &info));
	EXPECT_EQ(65, info.handle_refs);

	/* Moved by 8 bytes, the first run's last record ends on that page. */
	ASSERT_EQ(0, mprotect(map + psz, psz, PROT_READ | PROT_WRITE));
	ops = (struct refslab_batch_op *)(map + psz - run + 8);
	for (int i = 0; i < 64; i++)
		ops[i] = (struct refslab_batch_op){ INLINE_OP(GET),
			.ref = { .handle = h, .count = 1 } };
	ASSERT_EQ(0, mprotect(map + psz, psz, PROT_READ));
	EXPECT_EQ(-EFAULT, rs_batch(self->fd, 0, ops, 64, &done));
	ASSERT_EQ(0, rs_info(self->fd, h, &info));
	EXPECT_EQ(65, info.handle_refs);
	munmap(map, 2 * psz);
}

/* The first operation's result cannot be written: the ioctl fails. */
TEST_F(share, batch_first_result_not_writable)
{
	long psz = sysconf(_SC_PAGESIZE);
	struct refslab_version v = { .size = sizeof(v) };
	struct refslab_batch_op *ops;
	uint32_t done;

	ops = mmap(NULL, psz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ops);
	ops[0] = (struct refslab_batch_op){ .cmd = REFSLAB_CMD_VERSION,
					    .arg = (uintptr_t)&v };
	ops[1] = ops[0];
	ASSERT_EQ(0, mprotect(ops, psz, PROT_READ));
	EXPECT_EQ(-EFAULT, rs_batch(self->fd, 0, ops, 2, &done));
	EXPECT_EQ(-EFAULT, rs_batch(self->fd, REFSLAB_BATCH_CONTINUE, ops, 2,
				    &done));
	munmap(ops, psz);
}

/* --- BATCH of reference changes (REFSLAB_BATCH_REFS) ------------------------ */

static int rs_changes(int fd, uint32_t flags, struct refslab_ref_change *rc,
		      uint32_t count, uint32_t *done)
{
	return rs_batch(fd, REFSLAB_BATCH_REFS | flags, (void *)rc, count,
			done);
}

/*
 * Each record is a GET (delta > 0) or a PUT (delta < 0) with the single
 * ioctl's checks and errnos; a failed one gives refs 0; only result and
 * refs are written.
 */
TEST_F(share, batch_refs_run_as_get_and_put)
{
	struct refslab_ref_change rc[9], was[9];
	struct refslab_info info;
	long long gets, puts;
	uint32_t h, h2, done;
	int i;

	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &h, NULL));
	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &h2, NULL));
	gets = stat_read("gets");
	puts = stat_read("puts");
	rc[0] = (struct refslab_ref_change){ .handle = h, .delta = 3 };
	rc[1] = (struct refslab_ref_change){ .handle = h, .delta = -2 };
	rc[2] = (struct refslab_ref_change){ .handle = h, .delta = 0 };
	rc[3] = (struct refslab_ref_change){ .handle = h ^ (1U << 31),
					     .delta = 1 };
	rc[4] = (struct refslab_ref_change){ .handle = h,
		.delta = REFSLAB_HANDLE_REFS_MAX + 1 };
	rc[5] = (struct refslab_ref_change){ .handle = h, .delta = INT32_MIN };
	rc[6] = (struct refslab_ref_change){ .handle = h, .delta = -3 };
	rc[7] = (struct refslab_ref_change){ .handle = h2, .delta = -1 };
	rc[8] = (struct refslab_ref_change){ .handle = h2, .delta = -1 };
	for (i = 0; i < 9; i++) {
		rc[i].result = 555;
		rc[i].refs = 777;
	}
	memcpy(was, rc, sizeof(rc));
	ASSERT_EQ(0, rs_changes(self->fd, REFSLAB_BATCH_CONTINUE, rc, 9,
				&done));
	EXPECT_EQ(9, done);
	EXPECT_EQ(0, rc[0].result);
	EXPECT_EQ(4, rc[0].refs);
	EXPECT_EQ(0, rc[1].result);
	EXPECT_EQ(2, rc[1].refs);
	EXPECT_EQ(-EINVAL, rc[2].result);
	EXPECT_EQ(-ENOENT, rc[3].result);
	EXPECT_EQ(-EOVERFLOW, rc[4].result);
	EXPECT_EQ(-EINVAL, rc[5].result);
	EXPECT_EQ(-EINVAL, rc[6].result);
	for (i = 2; i < 7; i++)
		EXPECT_EQ(0, rc[i].refs) {
			TH_LOG("failed record %d has references", i);
		}
	/* The PUT that ends a handle gives 0; the handle is gone after it. */
	EXPECT_EQ(0, rc[7].result);
	EXPECT_EQ(0, rc[7].refs);
	EXPECT_EQ(-ENOENT, rc[8].result);
	for (i = 0; i < 9; i++)
		EXPECT_EQ(0, memcmp(&rc[i], &was[i], 8)) {
			TH_LOG("record %d's inputs changed", i);
		}
	EXPECT_EQ(-ENOENT, rs_info(self->fd, h2, &info));
	ASSERT_EQ(0, rs_info(self->fd, h, &info));
	EXPECT_EQ(2, info.handle_refs);
	EXPECT_EQ(3, stat_read("gets") - gets);
	EXPECT_EQ(3, stat_read("puts") - puts);
	EXPECT_EQ(1, stat_read("objects_live") - self->base.val[0]);
}

/* Without REFSLAB_BATCH_CONTINUE the batch ends at the record that fails. */
TEST_F(share, batch_refs_stop_at_a_failure)
{
	struct refslab_ref_change rc[3], was[3];
	struct refslab_info info;
	uint32_t h, done;

	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &h, NULL));
	rc[0] = (struct refslab_ref_change){ .handle = h, .delta = 2 };
	rc[1] = (struct refslab_ref_change){ .handle = h, .delta = -100,
					     .refs = 777 };
	rc[2] = (struct refslab_ref_change){ .handle = h, .delta = -1,
					     .result = 555, .refs = 777 };
	memcpy(was, rc, sizeof(rc));
	ASSERT_EQ(0, rs_changes(self->fd, 0, rc, 3, &done));
	EXPECT_EQ(2, done);
	EXPECT_EQ(0, rc[0].result);
	EXPECT_EQ(3, rc[0].refs);
	EXPECT_EQ(-EINVAL, rc[1].result);
	EXPECT_EQ(0, rc[1].refs);
	EXPECT_EQ(0, memcmp(&rc[2], &was[2], sizeof(rc[2])));
	ASSERT_EQ(0, rs_info(self->fd, h, &info));
	EXPECT_EQ(3, info.handle_refs);
	/* The same array again, as it is: its inputs did not change. */
	ASSERT_EQ(0, rs_changes(self->fd, 0, rc, 3, &done));
	EXPECT_EQ(2, done);
	EXPECT_EQ(5, rc[0].refs);
}

/* More records than a run: every one runs, in order. */
TEST_F(share, batch_refs_across_runs)
{
	const uint32_t n = 300;
	struct refslab_ref_change *rc;
	struct refslab_info info;
	uint32_t h, done, i;

	rc = calloc(n, sizeof(*rc));
	ASSERT_NE(NULL, rc);
	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &h, NULL));
	for (i = 0; i < n; i++)
		rc[i] = (struct refslab_ref_change){ .handle = h, .delta = 1 };
	ASSERT_EQ(0, rs_changes(self->fd, 0, rc, n, &done));
	EXPECT_EQ(n, done);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, rc[i].result);
		ASSERT_EQ(i + 2, rc[i].refs);
	}
	for (i = 0; i < n; i++)
		rc[i].delta = -1;
	rc[n - 1].delta = -2;
	ASSERT_EQ(0, rs_changes(self->fd, 0, rc, n, &done));
	EXPECT_EQ(n, done);
	EXPECT_EQ(2, rc[n - 2].refs);
	EXPECT_EQ(0, rc[n - 1].refs);
	EXPECT_EQ(-ENOENT, rs_info(self->fd, h, &info));
	EXPECT_EQ(0, stat_read("objects_live") - self->base.val[0]);
	free(rc);
}

/*
 * Records are read and answered 128 at a time, each run only once it is
 * known to be writable, as for BATCH's general records.
 */
TEST_F(share, batch_refs_stop_at_a_read_only_page)
{
	long psz = sysconf(_SC_PAGESIZE);
	const size_t run = 128 * sizeof(struct refslab_ref_change);
	struct refslab_ref_change *rc;
	struct refslab_info info;
	uint32_t h, done;
	char *map;

	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &h, NULL));
	map = mmap(NULL, 2 * psz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);

	/* The first run fills the end of the writable page exactly. */
	rc = (struct refslab_ref_change *)(map + psz - run);
	for (int i = 0; i < 200; i++)
		rc[i] = (struct refslab_ref_change){ .handle = h, .delta = 1 };
	ASSERT_EQ(0, mprotect(map + psz, psz, PROT_READ));
	ASSERT_EQ(0, rs_changes(self->fd, 0, rc, 200, &done));
	EXPECT_EQ(128, done);
	EXPECT_EQ(129, rc[127].refs);
	ASSERT_EQ(0, rs_info(self->fd, h, &info));
	EXPECT_EQ(129, info.handle_refs);

	/* Moved by 8 bytes, the first run's last record ends on that page. */
	ASSERT_EQ(0, mprotect(map + psz, psz, PROT_READ | PROT_WRITE));
	rc = (struct refslab_ref_change *)(map + psz - run + 8);
	for (int i = 0; i < 128; i++)
		rc[i] = (struct refslab_ref_change){ .handle = h, .delta = 1 };
	ASSERT_EQ(0, mprotect(map + psz, psz, PROT_READ));
	EXPECT_EQ(-EFAULT, rs_changes(self->fd, 0, rc, 128, &done));
	ASSERT_EQ(0, rs_info(self->fd, h, &info));
	EXPECT_EQ(129, info.handle_refs);
	munmap(map, 2 * psz);
}

TEST_F(share, batch_refs_errors)
{
	struct refslab_ref_change rc = { .delta = 1 };
	uint32_t h, done;

	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &h, NULL));
	rc.handle = h;
	EXPECT_EQ(-EINVAL, rs_changes(self->fd, 0, &rc, 0, &done));
	EXPECT_EQ(-EINVAL, rs_changes(self->fd, 0, &rc, REFSLAB_BATCH_MAX + 1,
				      &done));
	EXPECT_EQ(-EINVAL, rs_changes(self->fd, 1U << 5, &rc, 1, &done));
	EXPECT_EQ(-EFAULT, rs_changes(self->fd, 0, NULL, 1, &done));
	EXPECT_EQ(-EFAULT, rs_changes(self->fd, 0, (void *)8, 1, &done));
	/* Not user memory at all: refused before a record is read. */
	EXPECT_EQ(-EFAULT, rs_changes(self->fd, 0, (void *)-4096L, 1, &done));
	/* None of them ran. */
	ASSERT_EQ(0, rs_changes(self->fd, 0, &rc, 1, &done));
	EXPECT_EQ(1, done);
	EXPECT_EQ(2, rc.refs);
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--exec-check"))
		return exec_check(atoi(argv[2]), atoi(argv[3]));
	return test_harness_run(argc, argv);
}

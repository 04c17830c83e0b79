// SPDX-License-Identifier: GPL-2.0
/*
 * librefslab tests: every library function, against the real module, for
 * what it returns on success and which -errno on failure.  An operation the
 * loaded module does not implement yet (-ENOTTY) SKIPs its test instead of
 * passing it.  Each fixture's teardown closes the device and checks that
 * the live-object counter came back to its value before the test, so a
 * test that leaks an object fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <refslab.h>

#include "kselftest_harness.h"

#define NOBODY		65534
#define NO_SUCH_ID	(1ULL << 62)

/* SKIP the test when the module answers ENOTTY (not implemented yet). */
#define SKIP_IF_NOTTY(ret, what) do {					\
	if ((ret) == -ENOTTY)						\
		SKIP(return, "%s: not implemented by the loaded module", what); \
} while (0)

static int64_t live_objects(void)
{
	int64_t v = -1;

	return refslab_stat_read("objects_live", &v) ? -1 : v;
}

/* How in_child() runs its function. */
#define CHILD_NOBODY	(1 << 0)	/* as uid and gid NOBODY */
#define CHILD_NEWIPC	(1 << 1)	/* in a new IPC namespace */

/*
 * Run @fn(@arg) in a child (@how: CHILD_* bits) with a refslab file of
 * its own; return what it returned (0 or -errno), or -ECHILD if the child
 * could not run it.
 */
static int in_child(int how, int (*fn)(int fd, void *arg), void *arg)
{
	int status, fd, ret;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -ECHILD;
	if (!pid) {
		if ((how & CHILD_NEWIPC) && unshare(CLONE_NEWIPC))
			_exit(255);
		if ((how & CHILD_NOBODY) &&
		    (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY)))
			_exit(255);
		fd = refslab_open(NULL, 0);
		if (fd < 0)
			_exit(254);
		ret = fn(fd, arg);
		_exit(ret > 0 ? 0 : -ret);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) >= 254)
		return -ECHILD;
	return -WEXITSTATUS(status);
}

static int as_nobody(int (*fn)(int fd, void *arg), void *arg)
{
	return in_child(CHILD_NOBODY, fn, arg);
}

FIXTURE(lib) {
	int fd;
	int64_t live0;
};

FIXTURE_SETUP(lib)
{
	self->fd = -1;
	if (access(REFSLAB_DEVICE, F_OK))
		SKIP(return, "%s is missing: refslab module not loaded", REFSLAB_DEVICE);
	self->live0 = live_objects();
	ASSERT_LE(0, self->live0);
	self->fd = refslab_open(NULL, 0);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(lib)
{
	if (self->fd >= 0)
		EXPECT_EQ(0, refslab_close(self->fd));
	/* Release is synchronous with the last put; reclaim is not. */
	EXPECT_EQ(self->live0, live_objects());
}

static uint32_t new_object(struct __test_metadata *_metadata, int fd,
			   uint32_t size, const char *data, uint64_t *id)
{
	uint32_t h = 0;

	ASSERT_EQ(0, refslab_create(fd, size, REFSLAB_MODE_DEFAULT, data,
				    data ? strlen(data) : 0, &h, id));
	ASSERT_NE(0, h);
	return h;
}

/* ---------------------------------------------------------------------- */

TEST_F(lib, open_close)
{
	int fd;

	fd = refslab_open(NULL, O_NONBLOCK);
	ASSERT_LE(0, fd);
	EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(0, refslab_close(fd));
	EXPECT_EQ(-EBADF, refslab_close(fd));
	EXPECT_EQ(-ENOENT, refslab_open("/dev/refslab-does-not-exist", 0));
	fd = refslab_open(REFSLAB_DEVICE, O_WRONLY);	/* still O_RDWR */
	ASSERT_LE(0, fd);
	EXPECT_EQ(O_RDWR, fcntl(fd, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(0, refslab_close(fd));
}

TEST_F(lib, version)
{
	struct refslab_version v;
	int null_fd;

	memset(&v, 0xff, sizeof(v));
	ASSERT_EQ(0, refslab_version(self->fd, &v));
	EXPECT_EQ(sizeof(v), v.size);
	EXPECT_EQ(REFSLAB_ABI_MAJOR, v.abi_major);
	EXPECT_TRUE(v.features & REFSLAB_FEATURE_CORE);
	/* The tests below use namespaces without asking again. */
	EXPECT_TRUE(v.features & REFSLAB_FEATURE_NS);
	EXPECT_EQ(REFSLAB_PAYLOAD_MAX, v.payload_max);
	EXPECT_EQ(REFSLAB_HANDLE_REFS_MAX, v.handle_refs_max);
	EXPECT_EQ(REFSLAB_OBJECT_REFS_MAX, v.object_refs_max);
	EXPECT_LT(0, v.nr_classes);
	EXPECT_EQ(REFSLAB_FILE_HANDLES_MAX, v.file_handles_max);
	EXPECT_EQ(REFSLAB_BATCH_MAX, v.batch_max);
	EXPECT_EQ(-EINVAL, refslab_version(self->fd, NULL));

	null_fd = open("/dev/null", O_RDWR);
	ASSERT_LE(0, null_fd);
	EXPECT_EQ(-ENOTTY, refslab_version(null_fd, &v));
	close(null_fd);
	EXPECT_EQ(-EBADF, refslab_version(-1, &v));
}

TEST_F(lib, create_and_info)
{
	struct refslab_info info;
	char buf[100];
	uint64_t id = 0, id2 = 0;
	uint32_t h, h2;
	int i;

	h = new_object(_metadata, self->fd, 100, "hello", &id);
	EXPECT_NE(0, id);
	EXPECT_EQ(self->live0 + 1, live_objects());

	memset(&info, 0xff, sizeof(info));
	ASSERT_EQ(0, refslab_info(self->fd, h, &info));
	EXPECT_EQ(sizeof(info), info.size);
	EXPECT_EQ(id, info.id);
	EXPECT_EQ(100, info.payload_size);
	EXPECT_LE(100, info.capacity);
	EXPECT_EQ(0600, info.mode);
	EXPECT_EQ(getuid(), info.uid);
	EXPECT_EQ(getgid(), info.gid);
	EXPECT_EQ(1, info.handle_refs);
	EXPECT_EQ(1, info.object_refs);
	EXPECT_EQ(REFSLAB_RIGHTS_ALL, info.rights);
	EXPECT_EQ(0, info.state);	/* not pinned, of this namespace */
	EXPECT_EQ(0, info.generation);
	EXPECT_LT(0, info.ctime_ns);

	ASSERT_EQ(0, refslab_read(self->fd, h, 0, buf, sizeof(buf), NULL));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	for (i = 5; i < 100; i++)
		ASSERT_EQ(0, buf[i]);

	/* No data, an explicit mode, no id wanted. */
	ASSERT_EQ(0, refslab_create(self->fd, REFSLAB_PAYLOAD_MAX, 0640, NULL, 0,
				    &h2, NULL));
	ASSERT_EQ(0, refslab_info(self->fd, h2, &info));
	EXPECT_EQ(0640, info.mode);
	EXPECT_EQ(REFSLAB_PAYLOAD_MAX, info.payload_size);
	ASSERT_EQ(0, refslab_create(self->fd, 1, 0, NULL, 0, &h2, &id2));
	EXPECT_LT(id, id2);
	ASSERT_EQ(0, refslab_info(self->fd, h2, &info));
	EXPECT_EQ(0, info.mode);

	EXPECT_EQ(-ENOENT, refslab_info(self->fd, 0, &info));
	EXPECT_EQ(-ENOENT, refslab_info(self->fd, 0xdeadbeef, &info));
	EXPECT_EQ(-EINVAL, refslab_info(self->fd, h, NULL));
}

TEST_F(lib, create_errors)
{
	uint32_t h = 0;
	int null_fd;

	EXPECT_EQ(-EINVAL, refslab_create(self->fd, 0, REFSLAB_MODE_DEFAULT,
					  NULL, 0, &h, NULL));
	EXPECT_EQ(-EINVAL, refslab_create(self->fd, REFSLAB_PAYLOAD_MAX + 1,
					  REFSLAB_MODE_DEFAULT, NULL, 0, &h, NULL));
	EXPECT_EQ(-EINVAL, refslab_create(self->fd, 4, REFSLAB_MODE_DEFAULT,
					  "hello", 5, &h, NULL));
	EXPECT_EQ(-EINVAL, refslab_create(self->fd, 8, 01000, NULL, 0, &h, NULL));
	EXPECT_EQ(-EINVAL, refslab_create(self->fd, 8, -5, NULL, 0, &h, NULL));
	EXPECT_EQ(-EINVAL, refslab_create(self->fd, 8, REFSLAB_MODE_DEFAULT,
					  NULL, 3, &h, NULL));
	EXPECT_EQ(-EINVAL, refslab_create(self->fd, 8, REFSLAB_MODE_DEFAULT,
					  NULL, 0, NULL, NULL));
	EXPECT_EQ(-EFAULT, refslab_create(self->fd, 8, REFSLAB_MODE_DEFAULT,
					  (void *)8, 4, &h, NULL));
	null_fd = open("/dev/null", O_RDONLY);
	EXPECT_EQ(-ENOTTY, refslab_create(null_fd, 8, REFSLAB_MODE_DEFAULT,
					  NULL, 0, &h, NULL));
	close(null_fd);
	EXPECT_EQ(0, h);
	EXPECT_EQ(self->live0, live_objects());
}

TEST_F(lib, get_put)
{
	uint32_t h = new_object(_metadata, self->fd, 16, NULL, NULL);

	EXPECT_EQ(3, refslab_get(self->fd, h, 2));
	EXPECT_EQ(2, refslab_put(self->fd, h, 1));
	EXPECT_EQ(-EINVAL, refslab_put(self->fd, h, 3));
	EXPECT_EQ(-EINVAL, refslab_get(self->fd, h, 0));
	EXPECT_EQ(-EINVAL, refslab_put(self->fd, h, 0));
	EXPECT_EQ(-EOVERFLOW, refslab_get(self->fd, h, REFSLAB_HANDLE_REFS_MAX));
	EXPECT_EQ(-ENOENT, refslab_get(self->fd, h + 1000, 1));
	EXPECT_EQ(0, refslab_put(self->fd, h, 2));
	/* The handle is gone, and with it the object. */
	EXPECT_EQ(-ENOENT, refslab_put(self->fd, h, 1));
	EXPECT_EQ(-ENOENT, refslab_get(self->fd, h, 1));
	EXPECT_EQ(self->live0, live_objects());
}

TEST_F(lib, dup)
{
	struct refslab_info a, b;
	uint32_t h, h2 = 0;
	char buf[3];

	h = new_object(_metadata, self->fd, 16, "abc", NULL);
	ASSERT_EQ(0, refslab_dup(self->fd, h, &h2));
	EXPECT_NE(h, h2);
	ASSERT_EQ(0, refslab_info(self->fd, h, &a));
	ASSERT_EQ(0, refslab_info(self->fd, h2, &b));
	EXPECT_EQ(a.id, b.id);
	EXPECT_EQ(2, b.object_refs);
	EXPECT_EQ(1, b.handle_refs);
	EXPECT_EQ(0, refslab_put(self->fd, h, 1));
	ASSERT_EQ(0, refslab_read(self->fd, h2, 0, buf, 3, NULL));
	EXPECT_EQ(0, memcmp(buf, "abc", 3));
	EXPECT_EQ(-ENOENT, refslab_dup(self->fd, h, &h2));
	EXPECT_EQ(-EINVAL, refslab_dup(self->fd, h2, NULL));
}

TEST_F(lib, read_write)
{
	uint64_t gen = 99;
	char buf[8];
	uint32_t h;

	h = new_object(_metadata, self->fd, 16, NULL, NULL);
	ASSERT_EQ(0, refslab_write(self->fd, h, 10, "abc", 3, &gen));
	EXPECT_EQ(1, gen);
	ASSERT_EQ(0, refslab_write(self->fd, h, 0, "xy", 2, NULL));
	ASSERT_EQ(0, refslab_read(self->fd, h, 9, buf, 5, &gen));
	EXPECT_EQ(2, gen);
	EXPECT_EQ(0, memcmp(buf, "\0abc\0", 5));
	ASSERT_EQ(0, refslab_read(self->fd, h, 0, buf, 2, NULL));
	EXPECT_EQ(0, memcmp(buf, "xy", 2));

	EXPECT_EQ(-EINVAL, refslab_write(self->fd, h, 14, "abc", 3, NULL));
	EXPECT_EQ(-EINVAL, refslab_read(self->fd, h, 16, buf, 1, NULL));
	EXPECT_EQ(-EINVAL, refslab_read(self->fd, h, 0, buf, 0, NULL));
	EXPECT_EQ(-EFAULT, refslab_read(self->fd, h, 0, (void *)8, 4, NULL));
	EXPECT_EQ(-EFAULT, refslab_write(self->fd, h, 0, (void *)8, 4, NULL));
	EXPECT_EQ(-ENOENT, refslab_read(self->fd, h + 1000, 0, buf, 1, NULL));
	EXPECT_EQ(-ENOENT, refslab_write(self->fd, h + 1000, 0, buf, 1, NULL));
	/* Failed writes did not count. */
	ASSERT_EQ(0, refslab_read(self->fd, h, 0, buf, 1, &gen));
	EXPECT_EQ(2, gen);
}

TEST_F(lib, write_if_generation)
{
	uint64_t gen = 0, now = 0;
	char buf[4];
	uint32_t h;

	h = new_object(_metadata, self->fd, 4, "aaaa", NULL);
	ASSERT_EQ(0, refslab_write_if(self->fd, h, 0, "bb", 2, 0, &gen));
	EXPECT_EQ(1, gen);
	EXPECT_EQ(-ESTALE, refslab_write_if(self->fd, h, 0, "cc", 2, 0, &now));
	EXPECT_EQ(1, now);
	ASSERT_EQ(0, refslab_read(self->fd, h, 0, buf, 4, NULL));
	EXPECT_EQ(0, memcmp(buf, "bbaa", 4));
	ASSERT_EQ(0, refslab_write_if(self->fd, h, 2, "dd", 2, now, &gen));
	EXPECT_EQ(2, gen);
	EXPECT_EQ(-EINVAL, refslab_write_if(self->fd, h, 3, "dd", 2, gen, NULL));
}

TEST_F(lib, export_import)
{
	struct refslab_info a, b;
	uint32_t h, h2 = 0, h3;
	int efd, efd2, ret, null_fd, fd2;
	uint64_t id;

	h = new_object(_metadata, self->fd, 8, "shared", &id);
	efd = refslab_export(self->fd, h, 0, 0);
	SKIP_IF_NOTTY(efd, "EXPORT");
	ASSERT_LE(0, efd);
	EXPECT_TRUE(fcntl(efd, F_GETFD) & FD_CLOEXEC);

	/* Another file imports it; the handle is a new one with both rights. */
	fd2 = refslab_open(NULL, 0);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, refslab_import(fd2, efd, &h2));
	ASSERT_EQ(0, refslab_info(self->fd, h, &a));
	ASSERT_EQ(0, refslab_info(fd2, h2, &b));
	EXPECT_EQ(a.id, b.id);
	EXPECT_EQ(REFSLAB_RIGHTS_ALL, b.rights);
	EXPECT_EQ(3, b.object_refs);	/* h, the exported file, h2 */

	/* A read-only export gives read-only handles. */
	efd2 = refslab_export(self->fd, h, REFSLAB_EXPORT_KEEP_ON_EXEC,
			      REFSLAB_RIGHT_READ);
	ASSERT_LE(0, efd2);
	EXPECT_FALSE(fcntl(efd2, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(0, refslab_import(fd2, efd2, &h3));
	ASSERT_EQ(0, refslab_info(fd2, h3, &b));
	EXPECT_EQ(REFSLAB_RIGHT_READ, b.rights);
	EXPECT_EQ(-EACCES, refslab_write(fd2, h3, 0, "x", 1, NULL));
	EXPECT_EQ(-EACCES, refslab_export(fd2, h3, 0, REFSLAB_RIGHT_WRITE));

	/* The object outlives the exporter's handle while the file lives. */
	EXPECT_EQ(0, refslab_put(self->fd, h, 1));
	EXPECT_EQ(0, refslab_close(fd2));
	ASSERT_EQ(0, refslab_import(self->fd, efd, &h));
	ASSERT_EQ(0, refslab_info(self->fd, h, &a));
	EXPECT_EQ(id, a.id);

	null_fd = open("/dev/null", O_RDONLY);
	EXPECT_EQ(-EBADF, refslab_import(self->fd, null_fd, &h3));
	EXPECT_EQ(-EBADF, refslab_import(self->fd, self->fd, &h3));
	close(null_fd);
	EXPECT_EQ(-EBADF, refslab_import(self->fd, -1, &h3));
	EXPECT_EQ(-EINVAL, refslab_import(self->fd, efd, NULL));
	EXPECT_EQ(-ENOENT, refslab_export(self->fd, h + 1000, 0, 0));
	ret = refslab_export(self->fd, h, 0x80, 0);
	EXPECT_EQ(-EINVAL, ret);
	/* The rights flag with no right, or with an unknown one. */
	EXPECT_EQ(-EINVAL, refslab_export(self->fd, h, REFSLAB_EXPORT_RIGHTS, 0));
	EXPECT_EQ(-EINVAL, refslab_export(self->fd, h, 0, 1U << 2));
	EXPECT_EQ(0, close(efd));
	EXPECT_EQ(0, close(efd2));
}

static int try_open_read(int fd, void *arg)
{
	uint32_t h;

	return refslab_open_by_id(fd, *(uint64_t *)arg, REFSLAB_RIGHT_READ, &h);
}

static int try_open_write(int fd, void *arg)
{
	uint32_t h;

	return refslab_open_by_id(fd, *(uint64_t *)arg, REFSLAB_RIGHT_WRITE, &h);
}

TEST_F(lib, open_by_id)
{
	struct refslab_info info;
	uint32_t h, h2 = 0;
	uint64_t id;
	int ret;

	h = new_object(_metadata, self->fd, 8, "byid", &id);
	ret = refslab_open_by_id(self->fd, id, REFSLAB_RIGHT_READ, &h2);
	SKIP_IF_NOTTY(ret, "OPEN");
	ASSERT_EQ(0, ret);
	EXPECT_NE(h, h2);
	ASSERT_EQ(0, refslab_info(self->fd, h2, &info));
	EXPECT_EQ(id, info.id);
	EXPECT_EQ(REFSLAB_RIGHT_READ, info.rights);
	EXPECT_EQ(-EACCES, refslab_write(self->fd, h2, 0, "x", 1, NULL));

	EXPECT_EQ(-ENOENT, refslab_open_by_id(self->fd, NO_SUCH_ID,
					      REFSLAB_RIGHT_READ, &h2));
	/* No rights: a handle for INFO and SETATTR, for the owner only. */
	ASSERT_EQ(0, refslab_open_by_id(self->fd, id, 0, &h2));
	ASSERT_EQ(0, refslab_info(self->fd, h2, &info));
	EXPECT_EQ(0, info.rights);
	EXPECT_EQ(-EACCES, refslab_read(self->fd, h2, 0, &id, 1, NULL));
	ASSERT_EQ(0, refslab_put(self->fd, h2, 1));
	EXPECT_EQ(-EINVAL, refslab_open_by_id(self->fd, id, 4, &h2));
	EXPECT_EQ(-EINVAL, refslab_open_by_id(self->fd, id, REFSLAB_RIGHT_READ, NULL));

	/* 0600 owned by root: nobody may not; 0604: nobody may read only. */
	EXPECT_EQ(-EACCES, as_nobody(try_open_read, &id));
	ret = refslab_setattr(self->fd, h, REFSLAB_SETATTR_MODE, 0604, 0, 0);
	SKIP_IF_NOTTY(ret, "SETATTR");
	ASSERT_EQ(0, ret);
	EXPECT_EQ(0, as_nobody(try_open_read, &id));
	EXPECT_EQ(-EACCES, as_nobody(try_open_write, &id));
}

static int try_chmod(int fd, void *arg)
{
	uint64_t id = *(uint64_t *)arg;
	uint32_t h;
	int ret;

	ret = refslab_open_by_id(fd, id, REFSLAB_RIGHT_READ, &h);
	if (ret)
		return ret == -EPERM ? -EIO : ret;
	return refslab_setattr(fd, h, REFSLAB_SETATTR_MODE, 0777, 0, 0);
}

TEST_F(lib, setattr)
{
	struct refslab_info info;
	uint64_t id;
	uint32_t h;
	int ret;

	h = new_object(_metadata, self->fd, 8, NULL, &id);
	ret = refslab_setattr(self->fd, h, REFSLAB_SETATTR_MODE, 0644, 0, 0);
	SKIP_IF_NOTTY(ret, "SETATTR");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, refslab_info(self->fd, h, &info));
	EXPECT_EQ(0644, info.mode);

	/* A non-owner may open it (0644) but not chmod it. */
	EXPECT_EQ(-EPERM, as_nobody(try_chmod, &id));

	EXPECT_EQ(-EINVAL, refslab_setattr(self->fd, h, REFSLAB_SETATTR_MODE,
					   01000, 0, 0));
	EXPECT_EQ(-EINVAL, refslab_setattr(self->fd, h, 0x80, 0, 0, 0));
	EXPECT_EQ(-ENOENT, refslab_setattr(self->fd, h + 1000,
					   REFSLAB_SETATTR_MODE, 0600, 0, 0));

	/* Root may give it away. */
	ASSERT_EQ(0, refslab_setattr(self->fd, h,
				     REFSLAB_SETATTR_UID | REFSLAB_SETATTR_GID,
				     0, NOBODY, NOBODY));
	ASSERT_EQ(0, refslab_info(self->fd, h, &info));
	EXPECT_EQ(NOBODY, info.uid);
	EXPECT_EQ(NOBODY, info.gid);
	EXPECT_EQ(0644, info.mode);
}

static int try_pin(int fd, void *arg)
{
	return refslab_pin(fd, *(uint64_t *)arg);
}

TEST_F(lib, pin_unpin_list)
{
	struct refslab_info info;
	uint64_t id, ids[4], all[64];
	uint32_t h;
	int fd2, ret, n, i;
	bool found = false;

	h = new_object(_metadata, self->fd, 8, "pinned", &id);
	ret = refslab_pin(self->fd, id);
	SKIP_IF_NOTTY(ret, "PIN");
	ASSERT_EQ(0, ret);
	memset(&info, 0xff, sizeof(info));
	ASSERT_EQ(0, refslab_info(self->fd, h, &info));
	EXPECT_EQ(REFSLAB_INFO_PINNED, info.state);
	EXPECT_EQ(2, info.object_refs);	/* the handle and the pin */
	EXPECT_EQ(-EEXIST, refslab_pin(self->fd, id));
	EXPECT_EQ(-EPERM, as_nobody(try_pin, &id));
	EXPECT_EQ(-ENOENT, refslab_pin(self->fd, NO_SUCH_ID));

	n = refslab_list_pinned(self->fd, 0, all, 64);
	ASSERT_LE(1, n);
	for (i = 0; i < n; i++) {
		found |= all[i] == id;
		if (i)
			EXPECT_LT(all[i - 1], all[i]);
	}
	EXPECT_TRUE(found);
	n = refslab_list_pinned(self->fd, id - 1, ids, 1);
	ASSERT_EQ(1, n);
	EXPECT_EQ(id, ids[0]);
	EXPECT_EQ(0, refslab_list_pinned(self->fd, UINT64_MAX - 1, ids, 4));
	EXPECT_EQ(-EINVAL, refslab_list_pinned(self->fd, 0, ids, 0));
	EXPECT_EQ(-EFAULT, refslab_list_pinned(self->fd, 0, (uint64_t *)8, 4));

	/* The pin keeps it alive with no handle anywhere. */
	EXPECT_EQ(0, refslab_put(self->fd, h, 1));
	fd2 = refslab_open(NULL, 0);
	ASSERT_LE(0, fd2);
	ret = refslab_open_by_id(fd2, id, REFSLAB_RIGHT_READ, &h);
	if (ret != -ENOTTY)
		EXPECT_EQ(0, ret);
	EXPECT_EQ(self->live0 + 1, live_objects());

	/* Unpinned while a handle holds it: the state says so. */
	EXPECT_EQ(0, refslab_unpin(self->fd, id));
	if (!ret) {
		ASSERT_EQ(0, refslab_info(fd2, h, &info));
		EXPECT_EQ(0, info.state);
	}
	EXPECT_EQ(0, refslab_close(fd2));
	EXPECT_EQ(-ENOENT, refslab_unpin(self->fd, id));
	EXPECT_EQ(self->live0, live_objects());
}

/*
 * Pin @n new objects (their handles put: the pins hold them), ids into
 * @ids in increasing order.
 */
static void pin_many(struct __test_metadata *_metadata, int fd, uint64_t *ids,
		     int n)
{
	uint32_t h;
	int i;

	for (i = 0; i < n; i++) {
		h = new_object(_metadata, fd, 8, NULL, &ids[i]);
		ASSERT_EQ(0, refslab_pin(fd, ids[i]));
		ASSERT_EQ(0, refslab_put(fd, h, 1));
		if (i)
			ASSERT_LT(ids[i - 1], ids[i]);
	}
}

static void unpin_many(struct __test_metadata *_metadata, int fd,
		       const uint64_t *ids, int n)
{
	int i;

	for (i = 0; i < n; i++)
		EXPECT_EQ(0, refslab_unpin(fd, ids[i]));
}

/*
 * Page through the pins of the caller's namespace @max at a time, as the
 * header says: until an answer is short of @max.  Returns how many of
 * @mine (increasing) were seen, each once, in order; -1 on an error.
 */
static int page_pins(int fd, uint32_t max, const uint64_t *mine, int n,
		     int *calls)
{
	uint64_t page[128], after = 0, last = 0;
	int got, i, seen = 0;

	*calls = 0;
	do {
		got = refslab_list_pinned(fd, after, page, max);
		if (got < 0 || (uint32_t)got > max)
			return -1;
		(*calls)++;
		for (i = 0; i < got; i++) {
			if (page[i] <= last)
				return -1;	/* not increasing across pages */
			last = page[i];
			if (seen < n && page[i] == mine[seen])
				seen++;
		}
		if (got)
			after = page[got - 1];
	} while ((uint32_t)got == max);
	return seen;
}

/* More pins than one call returns, and more than the old cap of 512. */
#define MANY_PINS 600
#define ROOM (MANY_PINS + 1024)

TEST_F(lib, pinned_paging)
{
	uint64_t *ids, *all;
	int calls, n, i, j;

	ids = calloc(MANY_PINS, sizeof(*ids));
	all = calloc(ROOM, sizeof(*all));
	ASSERT_NE(NULL, ids);
	ASSERT_NE(NULL, all);
	pin_many(_metadata, self->fd, ids, MANY_PINS);

	/* 7 at a time: every page full but the last. */
	EXPECT_EQ(MANY_PINS, page_pins(self->fd, 7, ids, MANY_PINS, &calls));
	EXPECT_LE(MANY_PINS / 7 + 1, calls);

	/* One call with room for all: filled past 512, the end in sight. */
	n = refslab_list_pinned(self->fd, 0, all, ROOM);
	EXPECT_LE(MANY_PINS, n);
	EXPECT_GT(ROOM, n);
	for (i = 0, j = 0; i < n && j < MANY_PINS; i++)
		if (all[i] == ids[j])
			j++;
	EXPECT_EQ(MANY_PINS, j);

	/* Starting after our last one: none of ours. */
	n = refslab_list_pinned(self->fd, ids[MANY_PINS - 1], all, 64);
	ASSERT_LE(0, n);
	for (i = 0; i < n; i++)
		EXPECT_LT(ids[MANY_PINS - 1], all[i]);

	unpin_many(_metadata, self->fd, ids, MANY_PINS);
	EXPECT_EQ(0, page_pins(self->fd, 7, ids, MANY_PINS, &calls));
	free(ids);
	free(all);
}

TEST_F(lib, list_flags)
{
	uint64_t v[4], ns;

	ASSERT_EQ(0, refslab_ns_self(&ns));
	EXPECT_EQ(-EINVAL, refslab_list(self->fd, 0x80, 0, 0, v, 4));
	EXPECT_EQ(-EINVAL, refslab_list(self->fd, REFSLAB_LIST_ALL, ns, 0, v, 4));
	/* A namespace without the flag that says to use it. */
	EXPECT_EQ(-EINVAL, refslab_list(self->fd, 0, ns, 0, v, 4));
	EXPECT_EQ(-EINVAL, refslab_list(self->fd, REFSLAB_LIST_NAMESPACES, ns, 0, v, 4));
	EXPECT_EQ(-EINVAL, refslab_list(self->fd, 0, 0, 0, v, 0));
	EXPECT_EQ(-EINVAL, refslab_list_namespaces(self->fd, 0, v, 0));
}

static bool has_value(const uint64_t *v, int n, uint64_t want)
{
	int i;

	for (i = 0; i < n; i++)
		if (v[i] == want)
			return true;
	return false;
}

struct ns_id {
	uint64_t ns;
	uint64_t id;
};

static int try_list_namespaces(int fd, void *arg)
{
	uint64_t v[4];
	int n;

	(void)arg;
	n = refslab_list_namespaces(fd, 0, v, 4);
	return n < 0 ? n : 0;
}

static int try_list_pinned_ns(int fd, void *arg)
{
	const struct ns_id *x = arg;
	uint64_t v[4];
	int n;

	n = refslab_list_pinned_ns(fd, x->ns, 0, v, 4);
	return n < 0 ? n : 0;
}

static int try_unpin_ns(int fd, void *arg)
{
	const struct ns_id *x = arg;

	return refslab_unpin_ns(fd, x->ns, x->id);
}

TEST_F(lib, namespace_pins)
{
	struct ns_id x;
	uint64_t v[64], after = 0, id;
	bool found = false;
	uint32_t h;
	int n;

	ASSERT_EQ(0, refslab_ns_self(&x.ns));
	EXPECT_NE(0, x.ns);
	h = new_object(_metadata, self->fd, 8, NULL, &id);
	x.id = id;
	ASSERT_EQ(0, refslab_pin(self->fd, id));
	ASSERT_EQ(0, refslab_put(self->fd, h, 1));

	/* Our namespace holds a pin, so it is listed; page to find it. */
	do {
		n = refslab_list_namespaces(self->fd, after, v, 2);
		ASSERT_LE(0, n);
		found |= has_value(v, n, x.ns);
		if (n)
			after = v[n - 1];
	} while (n == 2);
	EXPECT_TRUE(found);
	n = refslab_list_pinned_ns(self->fd, x.ns, id - 1, v, 1);
	ASSERT_EQ(1, n);
	EXPECT_EQ(id, v[0]);
	n = refslab_list_pinned_ns(self->fd, x.ns, id, v, 64);
	ASSERT_LE(0, n);
	while (n--)
		EXPECT_LT(id, v[n]);

	/* Only the initial namespace's administrator. */
	EXPECT_EQ(-EPERM, as_nobody(try_list_namespaces, NULL));
	EXPECT_EQ(-EPERM, as_nobody(try_list_pinned_ns, &x));
	EXPECT_EQ(-EPERM, as_nobody(try_unpin_ns, &x));

	/* Unpin and pin again by namespace. */
	EXPECT_EQ(0, refslab_unpin_ns(self->fd, x.ns, id));
	EXPECT_EQ(self->live0, live_objects());
	EXPECT_EQ(-ENOENT, refslab_unpin_ns(self->fd, x.ns, id));
	h = new_object(_metadata, self->fd, 8, NULL, &id);
	ASSERT_EQ(0, refslab_pin_ns(self->fd, x.ns, id));
	EXPECT_EQ(-EEXIST, refslab_pin_ns(self->fd, x.ns, id));
	ASSERT_EQ(0, refslab_put(self->fd, h, 1));
	EXPECT_EQ(self->live0 + 1, live_objects());
	EXPECT_EQ(0, refslab_unpin(self->fd, id));

	/* A namespace number that names no namespace with objects. */
	EXPECT_EQ(-ENOENT, refslab_unpin_ns(self->fd, 1, id));
	EXPECT_EQ(-ENOENT, refslab_pin_ns(self->fd, 1, id));
	EXPECT_EQ(-ENOENT, refslab_list_pinned_ns(self->fd, 1, 0, v, 4));
}

/* In a new IPC namespace: the parent's object, reached through a file. */
struct foreign {
	int objfd;
	uint64_t id;
	uint64_t parent_ns;
};

static int foreign_child(int fd, void *arg)
{
	const struct foreign *f = arg;
	struct refslab_info info;
	uint64_t ns, id;
	uint32_t h;
	int ret;

	ret = refslab_ns_self(&ns);
	if (ret)
		return ret;
	if (ns == f->parent_ns)
		return -EPROTO;			/* unshare() did nothing */
	ret = refslab_import(fd, f->objfd, &h);
	if (ret)
		return ret;
	memset(&info, 0xff, sizeof(info));
	ret = refslab_info(fd, h, &info);
	if (ret)
		return ret;
	if (info.id != 0 || info.state != (REFSLAB_INFO_FOREIGN | REFSLAB_INFO_PINNED))
		return -EBADMSG;		/* its id leaked, or no state */
	if (refslab_subscribe_id(fd, f->id, 1) != -ENOENT ||
	    refslab_open_by_id(fd, f->id, REFSLAB_RIGHT_READ, &h) != -ENOENT)
		return -EEXIST;			/* the parent's id works here */
	/* Ids start again here. */
	ret = refslab_create(fd, 8, REFSLAB_MODE_DEFAULT, NULL, 0, &h, &id);
	if (ret)
		return ret;
	return id == 1 ? 0 : -ERANGE;
}

TEST_F(lib, foreign_object)
{
	struct foreign f;
	uint32_t h;

	h = new_object(_metadata, self->fd, 8, "far", &f.id);
	ASSERT_EQ(0, refslab_pin(self->fd, f.id));
	ASSERT_EQ(0, refslab_ns_self(&f.parent_ns));
	f.objfd = refslab_export(self->fd, h, 0, 0);
	ASSERT_LE(0, f.objfd);
	EXPECT_EQ(0, in_child(CHILD_NEWIPC, foreign_child, &f));
	EXPECT_EQ(0, close(f.objfd));
	EXPECT_EQ(0, refslab_unpin(self->fd, f.id));
}

TEST_F(lib, subscribe_and_events)
{
	struct refslab_event ev[4];
	uint64_t id;
	uint32_t h;
	int ret, nbfd;

	h = new_object(_metadata, self->fd, 8, NULL, &id);
	ret = refslab_subscribe(self->fd, h);
	SKIP_IF_NOTTY(ret, "SUBSCRIBE");
	ASSERT_EQ(0, ret);
	EXPECT_EQ(-ENOENT, refslab_subscribe(self->fd, h + 1000));
	EXPECT_EQ(-EINVAL, refslab_read_events(self->fd, ev, 0, 0));
	EXPECT_EQ(-EINVAL, refslab_read_events(self->fd, NULL, 1, 0));

	/* Nothing yet: not waiting gives EAGAIN, waiting a little too. */
	EXPECT_EQ(-EAGAIN, refslab_read_events(self->fd, ev, 4, 0));
	EXPECT_EQ(-EAGAIN, refslab_read_events(self->fd, ev, 4, 50));

	/* The last put releases it; the event follows its grace period. */
	EXPECT_EQ(0, refslab_put(self->fd, h, 1));
	memset(ev, 0xff, sizeof(ev));
	ret = refslab_read_events(self->fd, ev, 4, 10000);
	ASSERT_EQ(1, ret);
	EXPECT_EQ(sizeof(struct refslab_event), ev[0].len);
	EXPECT_EQ(REFSLAB_EVENT_RECLAIMED, ev[0].type);
	EXPECT_EQ(id, ev[0].id);
	EXPECT_EQ(0, ev[0].cookie);	/* refslab_subscribe(): cookie 0 */
	EXPECT_EQ(1, ev[0].count);
	EXPECT_EQ(0, ev[0].__reserved);
	EXPECT_LT(0, ev[0].time_ns);

	/* Blocking read, on a second object; and O_NONBLOCK when empty. */
	h = new_object(_metadata, self->fd, 8, NULL, &id);
	ASSERT_EQ(0, refslab_subscribe(self->fd, h));
	EXPECT_EQ(0, refslab_put(self->fd, h, 1));
	ASSERT_EQ(1, refslab_read_events(self->fd, ev, 4, -1));
	EXPECT_EQ(id, ev[0].id);

	nbfd = refslab_open(NULL, O_NONBLOCK);
	ASSERT_LE(0, nbfd);
	EXPECT_EQ(-EAGAIN, refslab_read_events(nbfd, ev, 4, -1));
	EXPECT_EQ(0, refslab_close(nbfd));
}

static int try_subscribe_id(int fd, void *arg)
{
	return refslab_subscribe_id(fd, *(uint64_t *)arg, 7);
}

#define COOKIE_A	0x0123456789abcdefULL
#define COOKIE_B	0xfedcba9876543210ULL

/* Each watch's cookie comes back in its own event. */
TEST_F(lib, subscribe_cookies)
{
	struct refslab_event ev[4];
	bool seen_a = false, seen_b = false;
	uint64_t id;
	uint32_t h;
	int n, i, got = 0;

	h = new_object(_metadata, self->fd, 8, NULL, &id);
	ASSERT_EQ(0, refslab_subscribe_cookie(self->fd, h, COOKIE_A));
	ASSERT_EQ(0, refslab_subscribe_id(self->fd, id, COOKIE_B));
	EXPECT_EQ(-ENOENT, refslab_subscribe_cookie(self->fd, h + 1000, 1));
	EXPECT_EQ(-ENOENT, refslab_subscribe_id(self->fd, NO_SUCH_ID, 1));
	/* By id: 0600 and owned by root, so nobody may not watch it. */
	EXPECT_EQ(-EACCES, as_nobody(try_subscribe_id, &id));
	EXPECT_EQ(-EAGAIN, refslab_read_events(self->fd, ev, 4, 0));

	EXPECT_EQ(0, refslab_put(self->fd, h, 1));
	while (got < 2) {
		memset(ev, 0xff, sizeof(ev));
		n = refslab_read_events(self->fd, ev, 4, 10000);
		ASSERT_LT(0, n);
		for (i = 0; i < n; i++, got++) {
			EXPECT_EQ(sizeof(struct refslab_event), ev[i].len);
			EXPECT_EQ(REFSLAB_EVENT_RECLAIMED, ev[i].type);
			EXPECT_EQ(id, ev[i].id);
			EXPECT_EQ(1, ev[i].count);
			seen_a |= ev[i].cookie == COOKIE_A;
			seen_b |= ev[i].cookie == COOKIE_B;
		}
	}
	EXPECT_EQ(2, got);
	EXPECT_TRUE(seen_a);
	EXPECT_TRUE(seen_b);
	EXPECT_EQ(-EAGAIN, refslab_read_events(self->fd, ev, 4, 50));
}

/*
 * More watches on one object than the queue holds: the events that fit,
 * then one overflow record (id and cookie 0) counting the rest.
 */
#define OVERFLOW_WATCHES (REFSLAB_EVENTS_MAX + 44)

/* Events queued or dropped so far, over all files; -1 if unreadable. */
static int64_t events_settled(void)
{
	int64_t queued, dropped;

	if (refslab_stat_read("events_delivered", &queued) ||
	    refslab_stat_read("events_dropped", &dropped))
		return -1;
	return queued + dropped;
}

TEST_F(lib, events_overflow)
{
	struct refslab_event ev[64];
	int n, i, reclaimed = 0, lost = 0, overflows = 0;
	bool cookies_ok = true;
	int64_t settled;
	uint32_t h;
	uint64_t id;

	h = new_object(_metadata, self->fd, 8, NULL, &id);
	for (i = 0; i < OVERFLOW_WATCHES; i++)
		ASSERT_EQ(0, refslab_subscribe_cookie(self->fd, h, 1000 + i));
	settled = events_settled();
	ASSERT_LE(0, settled);
	EXPECT_EQ(0, refslab_put(self->fd, h, 1));
	/*
	 * Nothing is read until every event is queued or dropped (10 s at
	 * most): a reader draining the queue meanwhile could keep it from
	 * ever filling.
	 */
	for (i = 0; i < 1000; i++) {
		if (events_settled() - settled >= OVERFLOW_WATCHES)
			break;
		usleep(10000);
	}
	while (reclaimed + lost < OVERFLOW_WATCHES) {
		n = refslab_read_events(self->fd, ev, 64, 10000);
		ASSERT_LT(0, n);
		for (i = 0; i < n; i++) {
			ASSERT_EQ(sizeof(struct refslab_event), ev[i].len);
			if (ev[i].type == REFSLAB_EVENT_OVERFLOW) {
				EXPECT_EQ(0, ev[i].id);
				EXPECT_EQ(0, ev[i].cookie);
				EXPECT_LT(0, ev[i].count);
				lost += (int)ev[i].count;
				overflows++;
				continue;
			}
			ASSERT_EQ(REFSLAB_EVENT_RECLAIMED, ev[i].type);
			EXPECT_EQ(id, ev[i].id);
			cookies_ok &= ev[i].cookie >= 1000 &&
				      ev[i].cookie < 1000 + OVERFLOW_WATCHES;
			reclaimed++;
		}
	}
	EXPECT_EQ(OVERFLOW_WATCHES, reclaimed + lost);
	EXPECT_LE(1, overflows);
	EXPECT_LE(OVERFLOW_WATCHES - REFSLAB_EVENTS_MAX, lost);
	EXPECT_TRUE(cookies_ok);
}

/*
 * refslab_read_events() steps by each record's len, whatever fd gives the
 * bytes: a pipe plays a newer module whose records are longer.
 */
struct long_event {
	struct refslab_event ev;
	uint64_t appended;
};

static int events_from_pipe(const void *bytes, size_t len,
			    struct refslab_event *ev, unsigned int max)
{
	int p[2], ret;

	if (pipe(p))
		return -errno;
	ret = write(p[1], bytes, len) == (ssize_t)len ? 0 : -EIO;
	close(p[1]);
	if (!ret)
		ret = refslab_read_events(p[0], ev, max, 1000);
	close(p[0]);
	return ret;
}

TEST(read_events_by_len)
{
	struct refslab_event ev[4], plain = {
		.len = sizeof(plain), .type = REFSLAB_EVENT_RECLAIMED,
		.id = 2, .cookie = 22, .count = 1,
	};
	struct long_event longer = {
		.ev = { .len = sizeof(longer), .type = 99, .id = 1,
			.cookie = 11, .count = 1 },
		.appended = ~0ULL,
	};
	unsigned char buf[sizeof(longer) + sizeof(plain)];
	struct refslab_event shorter = plain;

	memcpy(buf, &longer, sizeof(longer));
	memcpy(buf + sizeof(longer), &plain, sizeof(plain));
	memset(ev, 0, sizeof(ev));
	ASSERT_EQ(2, events_from_pipe(buf, sizeof(buf), ev, 4));
	/* The longer record: its own len, an unknown type, handed on. */
	EXPECT_EQ(sizeof(longer), ev[0].len);
	EXPECT_EQ(99, ev[0].type);
	EXPECT_EQ(1, ev[0].id);
	EXPECT_EQ(11, ev[0].cookie);
	EXPECT_EQ(sizeof(plain), ev[1].len);
	EXPECT_EQ(REFSLAB_EVENT_RECLAIMED, ev[1].type);
	EXPECT_EQ(2, ev[1].id);
	EXPECT_EQ(22, ev[1].cookie);

	/* A record shorter than the struct, or cut, is not the ABI. */
	shorter.len = 16;
	EXPECT_EQ(-EIO, events_from_pipe(&shorter, sizeof(shorter), ev, 4));
	EXPECT_EQ(-EIO, events_from_pipe(&longer, sizeof(plain), ev, 4));
	EXPECT_EQ(-EIO, events_from_pipe(&plain, sizeof(plain) - 8, ev, 4));
}

TEST(ns_self)
{
	uint64_t ns = 0;
	struct stat st;

	ASSERT_EQ(0, stat("/proc/self/ns/ipc", &st));
	ASSERT_EQ(0, refslab_ns_self(&ns));
	EXPECT_EQ((uint64_t)st.st_ino, ns);
	EXPECT_EQ(-EINVAL, refslab_ns_self(NULL));
}

TEST_F(lib, batch)
{
	struct refslab_batchbuf *b = NULL;
	union refslab_batch_arg *a;
	struct refslab_batch_op raw;
	struct refslab_ref ref;
	char out[4] = "";
	uint64_t id;
	uint32_t h;
	int ret, i;

	h = new_object(_metadata, self->fd, 8, "batch", &id);
	EXPECT_EQ(-EINVAL, refslab_batchbuf_new(0, &b));
	EXPECT_EQ(-EINVAL, refslab_batchbuf_new(REFSLAB_BATCH_MAX + 1, &b));
	ASSERT_EQ(0, refslab_batchbuf_new(8, &b));
	EXPECT_EQ(-EINVAL, refslab_batchbuf_run(self->fd, b, 0));

	EXPECT_EQ(0, refslab_batchbuf_add_get(b, h, 2));
	EXPECT_EQ(1, refslab_batchbuf_add_info(b, h));
	EXPECT_EQ(2, refslab_batchbuf_add_write(b, h, 0, "BA", 2));
	EXPECT_EQ(3, refslab_batchbuf_add_read(b, h, 0, out, 4));
	EXPECT_EQ(4, refslab_batchbuf_add_put(b, h, 2));
	EXPECT_EQ(5, refslab_batchbuf_add_put(b, h + 1000, 1));
	EXPECT_EQ(6, refslab_batchbuf_add_create(b, 16, 0640, "new", 3));
	EXPECT_EQ(7, refslab_batchbuf_add_open(b, id, REFSLAB_RIGHT_READ));
	EXPECT_EQ(-ENOSPC, refslab_batchbuf_add_get(b, h, 1));
	EXPECT_EQ(8, refslab_batchbuf_count(b));

	ret = refslab_batchbuf_run(self->fd, b, REFSLAB_BATCH_CONTINUE);
	SKIP_IF_NOTTY(ret, "BATCH");
	ASSERT_EQ(8, ret);
	for (i = 0; i < 8; i++)
		if (i != 5)
			EXPECT_EQ(0, refslab_batchbuf_result(b, i));
	EXPECT_EQ(-ENOENT, refslab_batchbuf_result(b, 5));
	EXPECT_EQ(-EINVAL, refslab_batchbuf_result(b, 8));
	EXPECT_EQ(NULL, refslab_batchbuf_arg(b, 8));
	a = refslab_batchbuf_arg(b, 0);
	EXPECT_EQ(3, a->ref.refs);
	a = refslab_batchbuf_arg(b, 1);
	EXPECT_EQ(id, a->info.id);
	EXPECT_EQ(3, a->info.handle_refs);
	EXPECT_EQ(0, memcmp(out, "BAtc", 4));
	a = refslab_batchbuf_arg(b, 6);
	EXPECT_NE(0, a->create.handle);
	EXPECT_EQ(0, refslab_put(self->fd, a->create.handle, 1));
	a = refslab_batchbuf_arg(b, 7);
	EXPECT_EQ(0, refslab_put(self->fd, a->open.handle, 1));

	/* Without CONTINUE the batch stops at the failure. */
	refslab_batchbuf_reset(b);
	EXPECT_EQ(0, refslab_batchbuf_count(b));
	EXPECT_EQ(0, refslab_batchbuf_add_get(b, h, 1));
	EXPECT_EQ(1, refslab_batchbuf_add_put(b, h + 1000, 1));
	EXPECT_EQ(2, refslab_batchbuf_add_put(b, h, 1));
	ASSERT_EQ(2, refslab_batchbuf_run(self->fd, b, 0));
	EXPECT_EQ(-ENOENT, refslab_batchbuf_result(b, 1));
	EXPECT_EQ(1, refslab_put(self->fd, h, 1));	/* held 2: get ran, put not */

	/* A ready-made argument, and what the builder refuses. */
	refslab_batchbuf_reset(b);
	ref = (struct refslab_ref){ .handle = h, .count = 1 };
	EXPECT_EQ(0, refslab_batchbuf_add(b, REFSLAB_CMD_GET, &ref, sizeof(ref)));
	EXPECT_EQ(-EINVAL, refslab_batchbuf_add(b, REFSLAB_CMD_BATCH, &ref, sizeof(ref)));
	EXPECT_EQ(-EINVAL, refslab_batchbuf_add(b, REFSLAB_CMD_GET, &ref, 4));
	EXPECT_EQ(-EINVAL, refslab_batchbuf_add(b, REFSLAB_CMD_GET, NULL, 8));
	EXPECT_EQ(-EINVAL, refslab_batchbuf_add_create(b, 8, -7, NULL, 0));
	ASSERT_EQ(1, refslab_batchbuf_run(self->fd, b, 0));
	EXPECT_EQ(2, refslab_batchbuf_arg(b, 0)->ref.refs);
	refslab_batchbuf_free(b);
	refslab_batchbuf_free(NULL);

	/* The raw call. */
	EXPECT_EQ(-EINVAL, refslab_batch(self->fd, &raw, 0, 0));
	EXPECT_EQ(-EINVAL, refslab_batch(self->fd, &raw, 1, 0x80));
	EXPECT_EQ(-EFAULT, refslab_batch(self->fd, (void *)8, 1, 0));
	/* Reference changes have their own call and record type. */
	EXPECT_EQ(-EINVAL, refslab_batch(self->fd, &raw, 1, REFSLAB_BATCH_REFS));
	EXPECT_EQ(0, refslab_put(self->fd, h, 2));
}

TEST_F(lib, batch_refs)
{
	struct refslab_ref_change rc[3];
	uint32_t h;

	h = new_object(_metadata, self->fd, 8, NULL, NULL);
	rc[0] = (struct refslab_ref_change){ .handle = h, .delta = 2 };
	rc[1] = (struct refslab_ref_change){ .handle = h + 1000, .delta = 1 };
	rc[2] = (struct refslab_ref_change){ .handle = h, .delta = -1 };
	ASSERT_EQ(3, refslab_batch_refs(self->fd, rc, 3,
					REFSLAB_BATCH_CONTINUE));
	EXPECT_EQ(0, rc[0].result);
	EXPECT_EQ(3, rc[0].refs);
	EXPECT_EQ(-ENOENT, rc[1].result);
	EXPECT_EQ(0, rc[2].result);
	EXPECT_EQ(2, rc[2].refs);
	/* Without CONTINUE it stops at the failure; the flag is added. */
	ASSERT_EQ(2, refslab_batch_refs(self->fd, rc, 3, 0));
	EXPECT_EQ(4, rc[0].refs);
	EXPECT_EQ(-EINVAL, refslab_batch_refs(self->fd, rc, 0, 0));
	EXPECT_EQ(-EINVAL, refslab_batch_refs(self->fd, rc, 1, 0x80));
	EXPECT_EQ(-EFAULT, refslab_batch_refs(self->fd, (void *)8, 1, 0));
	EXPECT_EQ(0, refslab_put(self->fd, h, 4));
}

TEST_F(lib, stats_and_params)
{
	struct refslab_params p;
	struct refslab_stats st;
	int64_t v, limit;
	uint32_t h, h2;

	ASSERT_EQ(0, refslab_stats_read(&st));
	EXPECT_NE(0, st.version[0]);
	EXPECT_EQ(self->live0, st.objects_live);
	EXPECT_LE(st.objects_released, st.objects_created);
	EXPECT_LE(0, st.reclaim_pending);
	EXPECT_LE(1, st.open_files);
	EXPECT_LE(0, st.quota_denials);

	h = new_object(_metadata, self->fd, 100, NULL, NULL);
	ASSERT_EQ(0, refslab_stat_read("objects_live", &v));
	EXPECT_EQ(self->live0 + 1, v);
	ASSERT_EQ(0, refslab_stats_read(&st));
	EXPECT_LE(100, st.payload_bytes);
	EXPECT_LE(1, st.handles_live);
	EXPECT_EQ(-ENOENT, refslab_stat_read("no_such_counter", &v));
	EXPECT_EQ(-EINVAL, refslab_stat_read("../kernel/refslab/objects_live", &v));
	EXPECT_EQ(-EINVAL, refslab_stat_read("/etc/passwd", &v));
	EXPECT_EQ(-EINVAL, refslab_stat_read("version", &v));	/* not a number */
	EXPECT_EQ(-EINVAL, refslab_stat_read("objects_live", NULL));
	EXPECT_EQ(-EINVAL, refslab_stats_read(NULL));

	ASSERT_EQ(0, refslab_params_read(&p));
	EXPECT_LT(0, p.max_objects);
	EXPECT_LT(0, p.user_max_objects);
	EXPECT_LT(0, p.user_max_bytes);
	EXPECT_LE(p.user_max_objects, p.priv_max_objects);
	EXPECT_EQ(-ENOENT, refslab_param_read("no_such_param", &v));
	EXPECT_EQ(-EINVAL, refslab_param_read("../parameters/max_objects", &v));
	EXPECT_EQ(-EINVAL, refslab_param_write("max_objects", -1));

	/* The global limit, one above what is live now: EDQUOT after one. */
	ASSERT_EQ(0, refslab_param_read("max_objects", &limit));
	ASSERT_EQ(0, refslab_stat_read("objects_live", &v));
	ASSERT_EQ(0, refslab_param_write("max_objects", v + 1));
	ASSERT_EQ(0, refslab_param_read("max_objects", &v));
	EXPECT_EQ(self->live0 + 2, v);
	EXPECT_EQ(0, refslab_create(self->fd, 8, REFSLAB_MODE_DEFAULT, NULL, 0,
				    &h2, NULL));
	EXPECT_EQ(-EDQUOT, refslab_create(self->fd, 8, REFSLAB_MODE_DEFAULT,
					  NULL, 0, &h2, NULL));
	ASSERT_EQ(0, refslab_param_write("max_objects", limit));
	EXPECT_EQ(0, refslab_put(self->fd, h2, 1));
	EXPECT_EQ(0, refslab_put(self->fd, h, 1));
}

TEST(strerror_messages)
{
	EXPECT_NE(NULL, strstr(refslab_strerror(ESTALE), "generation"));
	EXPECT_NE(NULL, strstr(refslab_strerror(-ESTALE), "generation"));
	EXPECT_NE(NULL, strstr(refslab_strerror(-EDQUOT), "quota"));
	EXPECT_NE(NULL, strstr(refslab_strerror(-EOVERFLOW), "reference"));
	EXPECT_NE(NULL, strstr(refslab_strerror(-EACCES), "EACCES"));
	EXPECT_NE(NULL, strstr(refslab_strerror(-ENOTTY), "not supported"));
	EXPECT_STREQ("success", refslab_strerror(0));
	EXPECT_NE(NULL, refslab_strerror(-9999));
	EXPECT_STREQ("EBADF", refslab_errno_name(-EBADF));
	EXPECT_STREQ("EEXIST", refslab_errno_name(EEXIST));
	EXPECT_STREQ("E?", refslab_errno_name(-9999));
	/* Namespaces, the watch quota and EXPORT's descriptor errors. */
	EXPECT_NE(NULL, strstr(refslab_strerror(-ENOENT), "IPC namespace"));
	EXPECT_NE(NULL, strstr(refslab_strerror(-EPERM), "CAP_SYS_ADMIN"));
	EXPECT_NE(NULL, strstr(refslab_strerror(-EDQUOT), "watch"));
	EXPECT_NE(NULL, strstr(refslab_strerror(-ENOSPC), "handle table"));
	EXPECT_NE(NULL, strstr(refslab_strerror(-EMFILE), "(EMFILE)"));
	EXPECT_NE(NULL, strstr(refslab_strerror(-ENFILE), "(ENFILE)"));
	EXPECT_STREQ("ENFILE", refslab_errno_name(-ENFILE));
}

/* Threads share one file: each creates, writes, reads and puts its own. */
struct worker {
	int fd;
	int failures;
	int seed;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	char in[32], out[32];
	uint32_t h;
	int i;

	for (i = 0; i < 200; i++) {
		snprintf(in, sizeof(in), "w%d-%d", w->seed, i);
		if (refslab_create(w->fd, sizeof(in), REFSLAB_MODE_DEFAULT, NULL, 0,
				   &h, NULL) ||
		    refslab_write(w->fd, h, 0, in, sizeof(in), NULL) ||
		    refslab_get(w->fd, h, 1) != 2 ||
		    refslab_read(w->fd, h, 0, out, sizeof(out), NULL) ||
		    memcmp(in, out, sizeof(in)) ||
		    refslab_put(w->fd, h, 2) != 0)
			w->failures++;
	}
	return NULL;
}

TEST_F(lib, threads)
{
	struct worker w[4];
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++) {
		w[i] = (struct worker){ .fd = self->fd, .seed = i };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, worker_run, &w[i]));
	}
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		EXPECT_EQ(0, w[i].failures);
	}
}

TEST_HARNESS_MAIN

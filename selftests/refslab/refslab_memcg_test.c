// SPDX-License-Identifier: GPL-2.0
/*
 * refslab kselftest: memory accounting.  Objects are charged to the
 * creator's memory cgroup (cgroup v2): creating N objects raises the
 * cgroup's slab usage by about N times the slab object size, and under a
 * memory.max limit CREATE fails with ENOMEM instead of the OOM killer
 * stepping in.  Skips without cgroup v2 and its memory controller.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "refslab_selftest.h"

#define CGROOT		"/sys/fs/cgroup"

/* A "key value" line of a cgroup file such as memory.stat. */
static long long cg_keyed(const char *cg, const char *file, const char *key)
{
	char path[256], buf[8192] = "", *p;
	size_t klen = strlen(key);
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, klen) && p[klen] == ' ')
			return strtoll(p + klen + 1, NULL, 10);
	return -1;
}

static long long cg_value(const char *cg, const char *file)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	return read_long(path);
}

FIXTURE(memcg) {
	int fd;
	struct baseline base;
	char cg[128];
};

FIXTURE_SETUP(memcg)
{
	char path[192];
	struct stat st;

	baseline_take(&self->base);
	self->fd = open_dev(_metadata);
	if (self->fd < 0)
		return;
	if (stat(CGROOT "/cgroup.controllers", &st))
		SKIP(return, "no cgroup v2 at " CGROOT);
	write_file(CGROOT "/cgroup.subtree_control", "+memory");
	snprintf(self->cg, sizeof(self->cg), CGROOT "/refslab_test_%d",
		 getpid());
	ASSERT_EQ(0, mkdir(self->cg, 0755));
	snprintf(path, sizeof(path), "%s/memory.max", self->cg);
	if (stat(path, &st)) {
		rmdir(self->cg);
		SKIP(return, "no memory controller");
	}
}

FIXTURE_TEARDOWN(memcg)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->cg[0])
		rmdir(self->cg);
	EXPECT_BASELINE(&self->base);
}

/* Run @fn in a child process that lives in cgroup @cg. */
static int in_cgroup(const char *cg, int (*fn)(const char *cg))
{
	char path[192], pid[16];
	int status;
	pid_t child = fork();

	if (child == 0) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
		snprintf(pid, sizeof(pid), "%d", getpid());
		if (write_file(path, pid))
			_exit(100);
		_exit(fn(cg));
	}
	if (child < 0 || waitpid(child, &status, 0) != child)
		return -1;
	if (WIFSIGNALED(status))
		return 200 + WTERMSIG(status);	/* e.g. an OOM kill */
	return WEXITSTATUS(status);
}

#define CHARGED_OBJECTS	2000

/*
 * memory.stat is flushed lazily: up to a charge batch (64 pages) per CPU
 * may not be in it yet when it is read.
 */
static long long stat_slack(void)
{
	return 64LL * 4096 * sysconf(_SC_NPROCESSORS_CONF);
}

static int charge_child(const char *cg)
{
	long long before, after, size = stat_read("classes/4096/object_size");
	int fd = open(DEV, O_RDWR);
	uint32_t handle;

	if (fd < 0 || size <= 0)
		return 10;
	before = cg_keyed(cg, "memory.stat", "slab");
	for (int i = 0; i < CHARGED_OBJECTS; i++)
		if (rs_create(fd, 4096, NULL, 0, &handle, NULL))
			return 11;
	after = cg_keyed(cg, "memory.stat", "slab");
	if (before < 0 || after < 0)
		return 12;
	printf("# %d objects of %lld bytes: slab charge +%lld bytes\n",
	       CHARGED_OBJECTS, size, after - before);
	/*
	 * About N x object size: the objects and a little bookkeeping, less
	 * what the lazy flush of memory.stat may not show yet.
	 */
	if (after - before < CHARGED_OBJECTS * size * 9 / 10 - stat_slack())
		return 13;
	if (after - before > CHARGED_OBJECTS * size * 3 / 2 + (1 << 20))
		return 14;
	return 0;
}

TEST_F(memcg, objects_are_charged_to_the_creator)
{
	EXPECT_EQ(0, in_cgroup(self->cg, charge_child));
}

/* Shared with the parent, and touched before the limit is set. */
static int *limit_result;

/* Fault in a good stretch of stack, so later calls need no new pages. */
static void __attribute__((noinline)) touch_stack(void)
{
	volatile char pad[256 << 10];

	memset((char *)pad, 1, sizeof(pad));
}

/*
 * Fill the cgroup up to memory.max with objects.  Once it is full, any
 * new page this process touched would be charged and could invoke the
 * OOM killer, which is not what is under test: so everything the loop
 * needs is touched beforehand, and after the loop the child only exits.
 */
static int limit_child(const char *cg)
{
	char path[192], val[32];
	uint32_t handle;
	int fd = open(DEV, O_RDWR), i, ret = 0;

	if (fd < 0)
		return 10;
	touch_stack();
	close(-1);		/* errno's page */
	limit_result[0] = limit_result[1] = 0;
	snprintf(path, sizeof(path), "%s/memory.max", cg);
	snprintf(val, sizeof(val), "%lld",
		 cg_value(cg, "memory.current") + (2 << 20));
	if (write_file(path, val))
		return 11;
	for (i = 0; i < 100000; i++) {
		ret = rs_create(fd, 4096, NULL, 0, &handle, NULL);
		if (ret)
			break;
	}
	limit_result[0] = -ret;
	limit_result[1] = i;
	return 0;
}

TEST_F(memcg, memory_max_fails_create_cleanly)
{
	limit_result = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, limit_result);
	limit_result[0] = 1;

	EXPECT_EQ(0, in_cgroup(self->cg, limit_child));
	EXPECT_EQ(ENOMEM, limit_result[0]);
	EXPECT_LT(100, limit_result[1]);
	EXPECT_EQ(0, cg_keyed(self->cg, "memory.events", "oom_kill"));
	TH_LOG("CREATE failed with errno %d after %d objects",
	       limit_result[0], limit_result[1]);
	EXPECT_EQ(0, wait_reclaimed());
	munmap(limit_result, 4096);
}

TEST_HARNESS_MAIN

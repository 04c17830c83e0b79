/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the refslab selftests: thin ioctl wrappers that return
 * 0 or -errno, sysfs and module parameter access, and the counter baseline
 * every fixture checks in its teardown.
 */
#ifndef REFSLAB_SELFTEST_H
#define REFSLAB_SELFTEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/refslab.h>

#include "kselftest_harness.h"

#define DEV		"/dev/refslab"
#define SYSFS		"/sys/kernel/refslab/"
#define PARAMS		"/sys/module/refslab/parameters/"

/* ---------------------------------------------------------------------- */
/* Small helpers: each returns 0 or -errno, like librefslab.             */

static inline int rs_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int rs_create(int fd, uint32_t size, const void *data, uint32_t len,
		     uint32_t *handle, uint64_t *id)
{
	struct refslab_create c = {
		.size = sizeof(c),
		.payload_size = size,
		.data = (uintptr_t)data,
		.data_len = len,
	};
	int ret = rs_ioctl(fd, REFSLAB_IOC_CREATE, &c);

	if (!ret) {
		*handle = c.handle;
		if (id)
			*id = c.id;
	}
	return ret;
}

static inline int rs_ref(int fd, unsigned long cmd, uint32_t handle, uint32_t count,
		  uint32_t *refs)
{
	struct refslab_ref r = {
		.size = sizeof(r),
		.handle = handle,
		.count = count,
	};
	int ret = rs_ioctl(fd, cmd, &r);

	if (!ret && refs)
		*refs = r.refs;
	return ret;
}

static inline int rs_get(int fd, uint32_t handle, uint32_t count, uint32_t *refs)
{
	return rs_ref(fd, REFSLAB_IOC_GET, handle, count, refs);
}

static inline int rs_put(int fd, uint32_t handle, uint32_t count, uint32_t *refs)
{
	return rs_ref(fd, REFSLAB_IOC_PUT, handle, count, refs);
}

static inline int rs_dup(int fd, uint32_t handle, uint32_t *new_handle)
{
	struct refslab_dup d = { .size = sizeof(d), .handle = handle };
	int ret = rs_ioctl(fd, REFSLAB_IOC_DUP, &d);

	if (!ret)
		*new_handle = d.new_handle;
	return ret;
}

static inline int rs_info(int fd, uint32_t handle, struct refslab_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->handle = handle;
	return rs_ioctl(fd, REFSLAB_IOC_INFO, info);
}

static inline int rs_rw(int fd, unsigned long cmd, uint32_t handle, uint32_t flags,
		 uint32_t offset, uint32_t length, void *buf, uint64_t *gen)
{
	struct refslab_rw rw = {
		.size = sizeof(rw),
		.flags = flags,
		.handle = handle,
		.offset = offset,
		.length = length,
		.buf = (uintptr_t)buf,
		.generation = gen ? *gen : 0,
	};
	int ret = rs_ioctl(fd, cmd, &rw);

	if ((!ret || ret == -ESTALE) && gen)
		*gen = rw.generation;
	return ret;
}

static inline int rs_read(int fd, uint32_t handle, uint32_t offset, uint32_t length,
		   void *buf, uint64_t *gen)
{
	return rs_rw(fd, REFSLAB_IOC_READ, handle, 0, offset, length, buf, gen);
}

static inline int rs_write(int fd, uint32_t handle, uint32_t offset, uint32_t length,
		    const void *buf, uint64_t *gen)
{
	return rs_rw(fd, REFSLAB_IOC_WRITE, handle, 0, offset, length,
		     (void *)buf, gen);
}

static inline long long read_long(const char *path)
{
	char buf[64] = "";
	long long val = -1;
	int fd = open(path, O_RDONLY);

	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) > 0)
			val = strtoll(buf, NULL, 10);
		close(fd);
	}
	return val;
}

static inline long long stat_read(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), SYSFS "%s", name);
	return read_long(path);
}

/* Write a module parameter; returns 0 or -errno. */
static inline int param_write(const char *name, const char *val)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static inline long long param_read(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), PARAMS "%s", name);
	return read_long(path);
}

/* The figures that must be back to their baseline after every test. */
static const char *const balanced[] = {
	"objects_live", "handles_live", "references_live", "payload_bytes",
	"open_files",
};

#define NR_BALANCED (sizeof(balanced) / sizeof(balanced[0]))

struct baseline {
	long long val[NR_BALANCED];
};

static inline void baseline_take(struct baseline *b)
{
	unsigned int i;

	for (i = 0; i < NR_BALANCED; i++)
		b->val[i] = stat_read(balanced[i]);
}

/* Wait up to 10 s for released objects to be reclaimed (RCU). */
static inline long long wait_reclaimed(void)
{
	long long pending = -1;
	int i;

	for (i = 0; i < 1000; i++) {
		pending = stat_read("reclaim_pending");
		if (pending == 0)
			break;
		usleep(10000);
	}
	return pending;
}

#define EXPECT_BASELINE(b) do {						\
	struct baseline __now;						\
	unsigned int __i;						\
	baseline_take(&__now);						\
	for (__i = 0; __i < NR_BALANCED; __i++) {			\
		EXPECT_EQ((b)->val[__i], __now.val[__i])		\
			TH_LOG("%s not back to baseline", balanced[__i]); \
	}								\
	EXPECT_EQ(0, wait_reclaimed());					\
} while (0)

static inline int open_dev(struct __test_metadata *_metadata)
{
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT)
		SKIP(return -1, DEV " not present (is refslab loaded?)");
	ASSERT_LE(0, fd);
	return fd;
}

#endif /* REFSLAB_SELFTEST_H */

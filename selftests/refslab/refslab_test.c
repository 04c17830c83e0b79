// SPDX-License-Identifier: GPL-2.0
/*
 * refslab kselftest: the ioctl ABI and the object/handle/reference
 * semantics, seen from userspace.  Every fixture's teardown closes the
 * device and checks that the module's counters came back to where they
 * were, so a test that leaks an object, a handle or a reference fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REFSLAB_SELFTEST_SHARE_HELPERS
#include "refslab_selftest.h"

/* ---------------------------------------------------------------------- */

FIXTURE(refslab) {
	int fd;
	struct baseline base;
};

FIXTURE_SETUP(refslab)
{
	baseline_take(&self->base);
	self->fd = open_dev(_metadata);
}

FIXTURE_TEARDOWN(refslab)
{
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_BASELINE(&self->base);
}

/* --- VERSION ------------------------------------------------------------ */

TEST_F(refslab, version)
{
	struct refslab_version v = { .size = sizeof(v) };
	char buf[32] = "";
	int fd;

	ASSERT_EQ(0, rs_ioctl(self->fd, REFSLAB_IOC_VERSION, &v));
	EXPECT_EQ(REFSLAB_ABI_MAJOR, v.abi_major);
	EXPECT_EQ(REFSLAB_ABI_MINOR, v.abi_minor);
	EXPECT_TRUE(v.features & REFSLAB_FEATURE_CORE);
	EXPECT_TRUE(v.features & REFSLAB_FEATURE_NS);
	EXPECT_EQ(REFSLAB_PAYLOAD_MAX, v.payload_max);
	EXPECT_EQ(REFSLAB_HANDLE_REFS_MAX, v.handle_refs_max);
	EXPECT_EQ(REFSLAB_OBJECT_REFS_MAX, v.object_refs_max);
	EXPECT_EQ(4, v.nr_classes);
	EXPECT_EQ(REFSLAB_FILE_HANDLES_MAX, v.file_handles_max);
	EXPECT_EQ(REFSLAB_BATCH_MAX, v.batch_max);

	fd = open(SYSFS "version", O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_LT(0, read(fd, buf, sizeof(buf) - 1));
	close(fd);
	EXPECT_EQ('1', buf[0]);
	EXPECT_NE(NULL, strchr(buf, '\n'));
}

TEST_F(refslab, version_flags_must_be_zero)
{
	struct refslab_version v = { .size = sizeof(v), .flags = 1 };

	EXPECT_EQ(-EINVAL, rs_ioctl(self->fd, REFSLAB_IOC_VERSION, &v));
	v.flags = 1U << 31;
	EXPECT_EQ(-EINVAL, rs_ioctl(self->fd, REFSLAB_IOC_VERSION, &v));
}

TEST_F(refslab, unknown_commands)
{
	struct refslab_version v = { .size = sizeof(v) };

	EXPECT_EQ(-ENOTTY, rs_ioctl(self->fd, _IO(REFSLAB_IOCTL_TYPE, 0x7f), &v));
	EXPECT_EQ(-ENOTTY, rs_ioctl(self->fd, _IO(REFSLAB_IOCTL_TYPE, 0xff), &v));
	EXPECT_EQ(-ENOTTY, rs_ioctl(self->fd, _IO('x', REFSLAB_CMD_VERSION), &v));
	/* Right number, wrong direction/size bits: a different command. */
	EXPECT_EQ(-ENOTTY, rs_ioctl(self->fd,
				    _IOWR(REFSLAB_IOCTL_TYPE, REFSLAB_CMD_VERSION,
					  struct refslab_version), &v));
}

/* --- Size, tail and pointer rules, for every command ---------------------- */

FIXTURE(abi) {
	int fd;
	uint32_t handle;
	uint64_t id;
	struct baseline base;
	uint8_t *page;		/* two pages, the second one unmapped */
};

FIXTURE_VARIANT(abi) {
	unsigned long cmd;
	uint32_t size;		/* current struct size */
	uint32_t min_size;	/* first version's size */
	int has_reserved;	/* a __reserved __u32 at reserved_off */
	uint32_t reserved_off;
	int no_output;		/* writes nothing back */
};

#define ABI_VARIANT_OUT(_name, _cmd, _struct, _last, _res, _resoff, _noout) \
	FIXTURE_VARIANT_ADD(abi, _name) {				\
		.cmd = _cmd,						\
		.size = sizeof(struct _struct),				\
		.min_size = offsetof(struct _struct, _last) +		\
			sizeof(((struct _struct *)0)->_last),		\
		.has_reserved = _res,					\
		.reserved_off = _resoff,				\
		.no_output = _noout,					\
	}

#define ABI_VARIANT(_name, _cmd, _struct, _last, _res, _resoff)		\
	ABI_VARIANT_OUT(_name, _cmd, _struct, _last, _res, _resoff, 0)

ABI_VARIANT(version, REFSLAB_IOC_VERSION, refslab_version, nr_classes, 0, 0);
ABI_VARIANT(create, REFSLAB_IOC_CREATE, refslab_create, id, 0, 0);
ABI_VARIANT(get, REFSLAB_IOC_GET, refslab_ref, __reserved, 1,
	    offsetof(struct refslab_ref, __reserved));
ABI_VARIANT(put, REFSLAB_IOC_PUT, refslab_ref, __reserved, 1,
	    offsetof(struct refslab_ref, __reserved));
ABI_VARIANT(dup, REFSLAB_IOC_DUP, refslab_dup, new_handle, 0, 0);
ABI_VARIANT(info, REFSLAB_IOC_INFO, refslab_info, ctime_ns, 0, 0);
ABI_VARIANT(read, REFSLAB_IOC_READ, refslab_rw, generation, 1,
	    offsetof(struct refslab_rw, __reserved));
ABI_VARIANT(write, REFSLAB_IOC_WRITE, refslab_rw, generation, 1,
	    offsetof(struct refslab_rw, __reserved));
/*
 * Structures that grew after their first version: the first version (up
 * to the field named) is still accepted, the rest reading as zero.
 */
ABI_VARIANT_OUT(pin, REFSLAB_IOC_PIN, refslab_pin, id, 0, 0, 1);
ABI_VARIANT(list_pinned, REFSLAB_IOC_LIST_PINNED, refslab_list, after, 1,
	    offsetof(struct refslab_list, __reserved));
ABI_VARIANT_OUT(subscribe, REFSLAB_IOC_SUBSCRIBE, refslab_subscribe,
		__reserved, 1, offsetof(struct refslab_subscribe, __reserved), 1);

FIXTURE_SETUP(abi)
{
	long psz = sysconf(_SC_PAGESIZE);

	baseline_take(&self->base);
	self->fd = open_dev(_metadata);
	if (self->fd < 0)
		return;
	ASSERT_EQ(0, rs_create(self->fd, 64, NULL, 0, &self->handle, &self->id));
	self->page = mmap(NULL, 2 * psz, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->page);
	ASSERT_EQ(0, munmap(self->page + psz, psz));
}

FIXTURE_TEARDOWN(abi)
{
	if (self->fd >= 0)
		close(self->fd);
	munmap(self->page, sysconf(_SC_PAGESIZE));
	EXPECT_BASELINE(&self->base);
}

/* A valid argument for the variant's command, in @buf. */
static void abi_fill(const FIXTURE_VARIANT(abi) *variant, uint32_t handle,
		     uint64_t id, void *buf, uint32_t size)
{
	static uint64_t ids[4];
	static uint8_t data[8];

	memset(buf, 0, size);
	if (variant->cmd == REFSLAB_IOC_CREATE) {
		struct refslab_create *c = buf;

		c->payload_size = 8;
	} else if (variant->cmd == REFSLAB_IOC_GET ||
		   variant->cmd == REFSLAB_IOC_PUT) {
		struct refslab_ref *r = buf;

		r->handle = handle;
		r->count = 1;
	} else if (variant->cmd == REFSLAB_IOC_DUP) {
		((struct refslab_dup *)buf)->handle = handle;
	} else if (variant->cmd == REFSLAB_IOC_INFO) {
		((struct refslab_info *)buf)->handle = handle;
	} else if (variant->cmd == REFSLAB_IOC_READ ||
		   variant->cmd == REFSLAB_IOC_WRITE) {
		struct refslab_rw *rw = buf;

		rw->handle = handle;
		rw->length = sizeof(data);
		rw->buf = (uintptr_t)data;
	} else if (variant->cmd == REFSLAB_IOC_PIN) {
		((struct refslab_pin *)buf)->id = id;
	} else if (variant->cmd == REFSLAB_IOC_LIST_PINNED) {
		struct refslab_list *l = buf;

		l->ids = (uintptr_t)ids;
		l->count = 4;
	} else if (variant->cmd == REFSLAB_IOC_SUBSCRIBE) {
		struct refslab_subscribe *sub = buf;

		sub->handle = handle;
		if (size >= offsetof(struct refslab_subscribe, cookie) + 8)
			sub->cookie = 99;
	}
	*(uint32_t *)buf = size;
}

/* Undo what a successful call of the variant's command did. */
static void abi_undo(struct __test_metadata *_metadata,
		     FIXTURE_DATA(abi) *self,
		     const FIXTURE_VARIANT(abi) *variant, void *buf)
{
	if (variant->cmd == REFSLAB_IOC_CREATE) {
		ASSERT_EQ(0, rs_put(self->fd,
				    ((struct refslab_create *)buf)->handle, 1,
				    NULL));
	} else if (variant->cmd == REFSLAB_IOC_GET) {
		ASSERT_EQ(0, rs_put(self->fd, self->handle, 1, NULL));
	} else if (variant->cmd == REFSLAB_IOC_PUT) {
		ASSERT_EQ(0, rs_create(self->fd, 64, NULL, 0, &self->handle,
				       NULL));
	} else if (variant->cmd == REFSLAB_IOC_DUP) {
		ASSERT_EQ(0, rs_put(self->fd,
				    ((struct refslab_dup *)buf)->new_handle, 1,
				    NULL));
	} else if (variant->cmd == REFSLAB_IOC_PIN) {
		ASSERT_EQ(0, rs_pin(self->fd, REFSLAB_IOC_UNPIN, self->id));
	}
	/* A watch stays until the fixture's file is closed. */
}

TEST_F(abi, valid_call)
{
	uint8_t buf[256];

	abi_fill(variant, self->handle, self->id, buf, variant->size);
	ASSERT_EQ(0, rs_ioctl(self->fd, variant->cmd, buf));
	abi_undo(_metadata, self, variant, buf);
}

TEST_F(abi, first_version_size)
{
	uint8_t buf[256];

	if (variant->min_size == variant->size)
		SKIP(return, "the structure has one version");
	memset(buf, 0, sizeof(buf));
	abi_fill(variant, self->handle, self->id, buf, variant->min_size);
	ASSERT_EQ(0, rs_ioctl(self->fd, variant->cmd, buf));
	abi_undo(_metadata, self, variant, buf);
	/* Nothing is written past what the caller said it knows. */
	for (unsigned int i = variant->min_size; i < variant->size; i++) {
		ASSERT_EQ(0, buf[i]);
	}
}

TEST_F(abi, size_too_small)
{
	uint8_t buf[256];

	abi_fill(variant, self->handle, self->id, buf, variant->min_size - 1);
	EXPECT_EQ(-EINVAL, rs_ioctl(self->fd, variant->cmd, buf));
	abi_fill(variant, self->handle, self->id, buf, 0);
	EXPECT_EQ(-EINVAL, rs_ioctl(self->fd, variant->cmd, buf));
	abi_fill(variant, self->handle, self->id, buf, 4);
	EXPECT_EQ(-EINVAL, rs_ioctl(self->fd, variant->cmd, buf));
}

TEST_F(abi, larger_struct_zero_tail)
{
	uint8_t buf[256];

	abi_fill(variant, self->handle, self->id, buf, variant->size + 64);
	ASSERT_EQ(0, rs_ioctl(self->fd, variant->cmd, buf));
	abi_undo(_metadata, self, variant, buf);
	/* The kernel writes nothing past what it knows. */
	for (unsigned int i = variant->size; i < variant->size + 64; i++) {
		ASSERT_EQ(0, buf[i]);
	}
}

TEST_F(abi, larger_struct_nonzero_tail)
{
	uint8_t buf[256];

	abi_fill(variant, self->handle, self->id, buf, variant->size + 16);
	buf[variant->size + 15] = 1;
	EXPECT_EQ(-E2BIG, rs_ioctl(self->fd, variant->cmd, buf));
	abi_fill(variant, self->handle, self->id, buf, variant->size + 8);
	buf[variant->size] = 0x80;
	EXPECT_EQ(-E2BIG, rs_ioctl(self->fd, variant->cmd, buf));
}

TEST_F(abi, bad_pointer)
{
	long psz = sysconf(_SC_PAGESIZE);
	uint8_t *edge = self->page + psz - variant->size / 2;

	EXPECT_EQ(-EFAULT, rs_ioctl(self->fd, variant->cmd, NULL));
	EXPECT_EQ(-EFAULT, rs_ioctl(self->fd, variant->cmd, (void *)1));
	EXPECT_EQ(-EFAULT, rs_ioctl(self->fd, variant->cmd,
				    (void *)0xffff800000000000ULL));
	/* Straddling the end of a mapping. */
	*(uint32_t *)edge = variant->size;
	EXPECT_EQ(-EFAULT, rs_ioctl(self->fd, variant->cmd, edge));
}

TEST_F(abi, read_only_argument)
{
	uint8_t *page = self->page;
	long psz = sysconf(_SC_PAGESIZE);
	struct refslab_info before, after;
	int ret;

	if (variant->no_output)
		SKIP(return, "the command writes nothing back");
	ASSERT_EQ(0, rs_info(self->fd, self->handle, &before));
	abi_fill(variant, self->handle, self->id, page, variant->size);
	ASSERT_EQ(0, mprotect(page, psz, PROT_READ));
	ret = rs_ioctl(self->fd, variant->cmd, page);
	ASSERT_EQ(0, mprotect(page, psz, PROT_READ | PROT_WRITE));
	/* Every command answers before it takes effect: no effect here. */
	EXPECT_EQ(-EFAULT, ret);
	ASSERT_EQ(0, rs_info(self->fd, self->handle, &after));
	EXPECT_EQ(before.object_refs, after.object_refs);
	EXPECT_EQ(before.handle_refs, after.handle_refs);
	EXPECT_EQ(before.generation, after.generation);
}

TEST_F(abi, unknown_flag)
{
	uint8_t buf[256];

	abi_fill(variant, self->handle, self->id, buf, variant->size);
	((uint32_t *)buf)[1] = 1U << 31;
	EXPECT_EQ(-EINVAL, rs_ioctl(self->fd, variant->cmd, buf));
	((uint32_t *)buf)[1] = 1U << 7;
	EXPECT_EQ(-EINVAL, rs_ioctl(self->fd, variant->cmd, buf));
}

TEST_F(abi, reserved_must_be_zero)
{
	uint8_t buf[256];

	if (!variant->has_reserved)
		SKIP(return, "no reserved field");
	abi_fill(variant, self->handle, self->id, buf, variant->size);
	*(uint32_t *)(buf + variant->reserved_off) = 1;
	EXPECT_EQ(-EINVAL, rs_ioctl(self->fd, variant->cmd, buf));
}

/* --- CREATE --------------------------------------------------------------- */

TEST_F(refslab, create_and_info)
{
	struct refslab_info info;
	struct timespec now;
	uint32_t handle;
	uint64_t id;

	ASSERT_EQ(0, rs_create(self->fd, 100, NULL, 0, &handle, &id));
	EXPECT_NE(0, handle);
	EXPECT_NE(0, id);
	ASSERT_EQ(0, rs_info(self->fd, handle, &info));
	clock_gettime(CLOCK_REALTIME, &now);
	EXPECT_EQ(id, info.id);
	EXPECT_EQ(100, info.payload_size);
	EXPECT_EQ(256, info.capacity);
	EXPECT_EQ(0600, info.mode);
	EXPECT_EQ(geteuid(), info.uid);
	EXPECT_EQ(getegid(), info.gid);
	EXPECT_EQ(1, info.object_refs);
	EXPECT_EQ(1, info.handle_refs);
	EXPECT_EQ(REFSLAB_RIGHTS_ALL, info.rights);
	EXPECT_EQ(0, info.generation);
	EXPECT_GE((uint64_t)now.tv_sec * 1000000000ULL + now.tv_nsec,
		  info.ctime_ns);
	EXPECT_LT((uint64_t)(now.tv_sec - 60) * 1000000000ULL, info.ctime_ns);
	EXPECT_EQ(1, stat_read("objects_live") - self->base.val[0]);
	EXPECT_EQ(0, rs_put(self->fd, handle, 1, NULL));
}

TEST_F(refslab, create_size_classes)
{
	static const uint32_t sizes[] = { 1, 64, 65, 256, 257, 1024, 1025, 4096 };
	static const uint32_t caps[] = { 64, 64, 256, 256, 1024, 1024, 4096, 4096 };
	struct refslab_info info;
	uint32_t handle;

	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ASSERT_EQ(0, rs_create(self->fd, sizes[i], NULL, 0, &handle,
				       NULL));
		ASSERT_EQ(0, rs_info(self->fd, handle, &info));
		EXPECT_EQ(sizes[i], info.payload_size);
		EXPECT_EQ(caps[i], info.capacity);
		ASSERT_EQ(0, rs_put(self->fd, handle, 1, NULL));
	}
}

TEST_F(refslab, create_bad_sizes)
{
	uint8_t data[16] = { 0 };
	uint32_t handle;

	EXPECT_EQ(-EINVAL, rs_create(self->fd, 0, NULL, 0, &handle, NULL));
	EXPECT_EQ(-EINVAL, rs_create(self->fd, REFSLAB_PAYLOAD_MAX + 1, NULL, 0,
				     &handle, NULL));
	EXPECT_EQ(-EINVAL, rs_create(self->fd, UINT32_MAX, NULL, 0, &handle,
				     NULL));
	EXPECT_EQ(-EINVAL, rs_create(self->fd, 8, data, 9, &handle, NULL));
	EXPECT_EQ(-EINVAL, rs_create(self->fd, 8, NULL, 4, &handle, NULL));
	EXPECT_EQ(-EFAULT, rs_create(self->fd, 8, (void *)8, 4, &handle, NULL));
	EXPECT_EQ(0, stat_read("objects_live") - self->base.val[0]);
}

TEST_F(refslab, create_with_data_rest_zero)
{
	uint8_t out[64], data[10];
	uint32_t handle;
	uint64_t gen = 0;

	for (unsigned int i = 0; i < sizeof(data); i++)
		data[i] = 0xa0 + i;
	ASSERT_EQ(0, rs_create(self->fd, 64, data, sizeof(data), &handle, NULL));
	memset(out, 0xff, sizeof(out));
	ASSERT_EQ(0, rs_read(self->fd, handle, 0, 64, out, &gen));
	EXPECT_EQ(0, memcmp(out, data, sizeof(data)));
	for (unsigned int i = sizeof(data); i < 64; i++) {
		ASSERT_EQ(0, out[i]) {
			TH_LOG("byte %u not zero", i);
		}
	}
	EXPECT_EQ(0, gen);
	EXPECT_EQ(0, rs_put(self->fd, handle, 1, NULL));
}

TEST_F(refslab, create_mode)
{
	struct refslab_create c = {
		.size = sizeof(c),
		.flags = REFSLAB_CREATE_MODE,
		.payload_size = 8,
		.mode = 0640,
	};
	struct refslab_info info;

	ASSERT_EQ(0, rs_ioctl(self->fd, REFSLAB_IOC_CREATE, &c));
	ASSERT_EQ(0, rs_info(self->fd, c.handle, &info));
	EXPECT_EQ(0640, info.mode);
	EXPECT_EQ(0, rs_put(self->fd, c.handle, 1, NULL));

	c.mode = 01000;
	EXPECT_EQ(-EINVAL, rs_ioctl(self->fd, REFSLAB_IOC_CREATE, &c));
	c.mode = 0;
	ASSERT_EQ(0, rs_ioctl(self->fd, REFSLAB_IOC_CREATE, &c));
	ASSERT_EQ(0, rs_info(self->fd, c.handle, &info));
	EXPECT_EQ(0, info.mode);
	EXPECT_EQ(0, rs_put(self->fd, c.handle, 1, NULL));

	/* A mode without the flag is a non-zero unused field. */
	c.flags = 0;
	c.mode = 0600;
	EXPECT_EQ(-EINVAL, rs_ioctl(self->fd, REFSLAB_IOC_CREATE, &c));
}

TEST_F(refslab, ids_and_handles_not_reused)
{
	uint32_t h1, h2;
	uint64_t id1, id2;

	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &h1, &id1));
	ASSERT_EQ(0, rs_put(self->fd, h1, 1, NULL));
	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &h2, &id2));
	EXPECT_NE(h1, h2);
	EXPECT_GT(id2, id1);
	/* The stale handle reaches nothing, not the new object. */
	EXPECT_EQ(-ENOENT, rs_get(self->fd, h1, 1, NULL));
	EXPECT_EQ(0, rs_put(self->fd, h2, 1, NULL));
}

TEST_F(refslab, create_answer_lost_leaves_nothing)
{
	long psz = sysconf(_SC_PAGESIZE);
	struct refslab_create *c;
	uint32_t handle, before_handles = stat_read("handles_live");

	c = mmap(NULL, psz, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, c);
	*c = (struct refslab_create){ .size = sizeof(*c), .payload_size = 8 };
	ASSERT_EQ(0, mprotect(c, psz, PROT_READ));
	EXPECT_EQ(-EFAULT, rs_ioctl(self->fd, REFSLAB_IOC_CREATE, c));
	munmap(c, psz);
	EXPECT_EQ(0, stat_read("objects_live") - self->base.val[0]);
	EXPECT_EQ(before_handles, stat_read("handles_live"));
	/* The reserved handle number went back; the table still works. */
	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &handle, NULL));
	EXPECT_EQ(0, rs_put(self->fd, handle, 1, NULL));
}

/* --- GET, PUT, DUP --------------------------------------------------------- */

TEST_F(refslab, get_put_counts)
{
	struct refslab_info info;
	uint32_t handle, refs;

	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &handle, NULL));
	ASSERT_EQ(0, rs_get(self->fd, handle, 4, &refs));
	EXPECT_EQ(5, refs);
	ASSERT_EQ(0, rs_info(self->fd, handle, &info));
	EXPECT_EQ(5, info.object_refs);
	EXPECT_EQ(5, info.handle_refs);
	EXPECT_EQ(5, stat_read("references_live") - self->base.val[2]);

	ASSERT_EQ(0, rs_put(self->fd, handle, 3, &refs));
	EXPECT_EQ(2, refs);
	EXPECT_EQ(-EINVAL, rs_put(self->fd, handle, 3, &refs));
	EXPECT_EQ(-EINVAL, rs_put(self->fd, handle, 0, &refs));
	EXPECT_EQ(-EINVAL, rs_get(self->fd, handle, 0, &refs));
	ASSERT_EQ(0, rs_put(self->fd, handle, 2, &refs));
	EXPECT_EQ(0, refs);
}

TEST_F(refslab, stale_and_unknown_handles)
{
	uint8_t buf[8] = { 0 };
	struct refslab_info info;
	uint32_t handle, other;

	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &handle, NULL));
	ASSERT_EQ(0, rs_put(self->fd, handle, 1, NULL));
	EXPECT_EQ(-ENOENT, rs_get(self->fd, handle, 1, NULL));
	EXPECT_EQ(-ENOENT, rs_put(self->fd, handle, 1, NULL));
	EXPECT_EQ(-ENOENT, rs_dup(self->fd, handle, &other));
	EXPECT_EQ(-ENOENT, rs_info(self->fd, handle, &info));
	EXPECT_EQ(-ENOENT, rs_read(self->fd, handle, 0, 8, buf, NULL));
	EXPECT_EQ(-ENOENT, rs_write(self->fd, handle, 0, 8, buf, NULL));
	EXPECT_EQ(-ENOENT, rs_get(self->fd, 0, 1, NULL));
	EXPECT_EQ(-ENOENT, rs_info(self->fd, 0xdeadbeef, &info));
	EXPECT_EQ(-ENOENT, rs_put(self->fd, UINT32_MAX, 1, NULL));
}

TEST_F(refslab, handles_are_per_file)
{
	int fd2 = open(DEV, O_RDWR | O_CLOEXEC);
	struct refslab_info info;
	uint32_t handle;

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &handle, NULL));
	EXPECT_EQ(-ENOENT, rs_info(fd2, handle, &info));
	EXPECT_EQ(-ENOENT, rs_put(fd2, handle, 1, NULL));
	close(fd2);
	EXPECT_EQ(0, rs_put(self->fd, handle, 1, NULL));
}

TEST_F(refslab, dup)
{
	struct refslab_info info;
	uint8_t buf[4] = { 1, 2, 3, 4 }, out[4];
	uint32_t handle, copy;

	ASSERT_EQ(0, rs_create(self->fd, 4, buf, 4, &handle, NULL));
	ASSERT_EQ(0, rs_get(self->fd, handle, 2, NULL));
	ASSERT_EQ(0, rs_dup(self->fd, handle, &copy));
	EXPECT_NE(handle, copy);
	ASSERT_EQ(0, rs_info(self->fd, copy, &info));
	EXPECT_EQ(4, info.object_refs);
	EXPECT_EQ(1, info.handle_refs);
	EXPECT_EQ(REFSLAB_RIGHTS_ALL, info.rights);

	/* The copy keeps the object alive on its own. */
	ASSERT_EQ(0, rs_put(self->fd, handle, 3, NULL));
	ASSERT_EQ(0, rs_read(self->fd, copy, 0, 4, out, NULL));
	EXPECT_EQ(0, memcmp(buf, out, 4));
	EXPECT_EQ(1, stat_read("objects_live") - self->base.val[0]);
	ASSERT_EQ(0, rs_put(self->fd, copy, 1, NULL));
}

TEST_F(refslab, handle_reference_cap)
{
	uint32_t handle, refs;

	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &handle, NULL));
	EXPECT_EQ(-EOVERFLOW, rs_get(self->fd, handle, REFSLAB_HANDLE_REFS_MAX,
				     &refs));
	EXPECT_EQ(-EOVERFLOW, rs_get(self->fd, handle, UINT32_MAX, &refs));
	ASSERT_EQ(0, rs_get(self->fd, handle, REFSLAB_HANDLE_REFS_MAX - 1,
			    &refs));
	EXPECT_EQ(REFSLAB_HANDLE_REFS_MAX, refs);
	EXPECT_EQ(-EOVERFLOW, rs_get(self->fd, handle, 1, &refs));
	EXPECT_EQ(0, rs_put(self->fd, handle, REFSLAB_HANDLE_REFS_MAX, &refs));
}

TEST_F(refslab, object_reference_cap)
{
	struct refslab_info info;
	uint32_t handle, copy, refs;
	unsigned int handles = 1;
	int ret = 0;

	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &handle, NULL));
	/* Fill handles until the object's cap stops us. */
	while (handles < 64) {
		ret = rs_get(self->fd, handle, REFSLAB_HANDLE_REFS_MAX - 1,
			     &refs);
		if (ret)
			break;
		ret = rs_dup(self->fd, handle, &copy);
		if (ret)
			break;
		handle = copy;
		handles++;
	}
	EXPECT_EQ(-EOVERFLOW, ret);
	ASSERT_EQ(0, rs_info(self->fd, handle, &info));
	EXPECT_LE(info.object_refs, REFSLAB_OBJECT_REFS_MAX);
	EXPECT_GT(info.object_refs,
		  REFSLAB_OBJECT_REFS_MAX - REFSLAB_HANDLE_REFS_MAX);
	/* Topping up to exactly the cap works, one more does not. */
	if (info.object_refs < REFSLAB_OBJECT_REFS_MAX)
		ASSERT_EQ(0, rs_get(self->fd, handle,
				    REFSLAB_OBJECT_REFS_MAX - info.object_refs,
				    NULL));
	ASSERT_EQ(0, rs_info(self->fd, handle, &info));
	EXPECT_EQ(REFSLAB_OBJECT_REFS_MAX, info.object_refs);
	EXPECT_EQ(-EOVERFLOW, rs_get(self->fd, handle, 1, NULL));
	EXPECT_EQ(-EOVERFLOW, rs_dup(self->fd, handle, &copy));
	/* Closing the file drops them all (checked by the teardown). */
}

/*
 * Bring the object of @first (holding 1 reference) to @held references,
 * over @first and as many DUPs of it as REFSLAB_HANDLE_REFS_MAX needs;
 * the handles go to @h, the last one holding the remainder.  Returns how
 * many handles there are.
 */
static int fill_refs(struct __test_metadata *_metadata, int fd,
		     uint32_t first, uint32_t held, uint32_t *h, int max)
{
	uint32_t have = 1, refs = 1, room, k;
	int n = 1;

	h[0] = first;
	while (have < held) {
		room = REFSLAB_HANDLE_REFS_MAX - refs;
		k = held - have < room ? held - have : room;
		if (k) {
			ASSERT_EQ(0, rs_get(fd, h[n - 1], k, &refs));
			have += k;
			continue;
		}
		ASSERT_GT(max, n);
		ASSERT_EQ(0, rs_dup(fd, h[n - 1], &h[n]));
		n++;
		refs = 1;
		have++;
	}
	return n;
}

/* INFO's object_refs, once it reads @want (a closed file's put may lag). */
static uint32_t wait_object_refs(int fd, uint32_t handle, uint32_t want)
{
	struct refslab_info info = { 0 };

	for (int i = 0; i < 500; i++) {
		if (rs_info(fd, handle, &info) || info.object_refs == want)
			break;
		usleep(10000);
	}
	return info.object_refs;
}

/*
 * The object cap counts held references (handles, exported files, pins),
 * not the transient one of the operation: at REFSLAB_OBJECT_REFS_MAX - 1
 * held, every operation that adds one lasting reference succeeds; at the
 * cap, each gives EOVERFLOW.
 */
TEST_F_TIMEOUT(refslab, object_cap_counts_held_references, 60)
{
	const uint32_t max = REFSLAB_OBJECT_REFS_MAX;
	uint32_t h[24], extra, imp, spare;
	int n, objfd, objfd2, spare_fd;
	uint64_t id;

	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &h[0], &id));
	n = fill_refs(_metadata, self->fd, h[0], max - 1, h, 24);
	ASSERT_EQ(max - 1, wait_object_refs(self->fd, h[0], max - 1));

	/* DUP at the cap minus one, then every kind of reference at the cap. */
	ASSERT_EQ(0, rs_dup(self->fd, h[0], &extra));
	ASSERT_EQ(max, wait_object_refs(self->fd, h[0], max));
	EXPECT_EQ(-EOVERFLOW, rs_dup(self->fd, h[0], &spare));
	EXPECT_EQ(-EOVERFLOW, rs_get(self->fd, extra, 1, NULL));
	EXPECT_EQ(-EOVERFLOW, rs_export(self->fd, h[0], 0, 0, &objfd));
	EXPECT_EQ(-EOVERFLOW, rs_open(self->fd, id, REFSLAB_RIGHT_READ, &spare));
	EXPECT_EQ(-EOVERFLOW, rs_pin(self->fd, REFSLAB_IOC_PIN, id));
	ASSERT_EQ(0, rs_put(self->fd, extra, 1, NULL));

	/*
	 * EXPORT at the cap minus one, from a handle of its own (a handle
	 * keeps the file it exported, and its reference, until it goes);
	 * IMPORT of it at the cap: refused.
	 */
	ASSERT_EQ(0, rs_put(self->fd, h[n - 1], 1, NULL));
	ASSERT_EQ(0, rs_dup(self->fd, h[0], &extra));
	ASSERT_EQ(0, rs_export(self->fd, extra, 0, 0, &objfd));
	EXPECT_EQ(max, wait_object_refs(self->fd, h[0], max));
	EXPECT_EQ(-EOVERFLOW, rs_import(self->fd, objfd, &imp));
	/* EXPORT again at the cap: the kept file, no new reference. */
	ASSERT_EQ(0, rs_export(self->fd, extra, 0, 0, &objfd2));
	EXPECT_EQ(max, wait_object_refs(self->fd, h[0], max));
	/* Fewer rights need a file, and a reference, of their own. */
	EXPECT_EQ(-EOVERFLOW, rs_export(self->fd, extra, REFSLAB_EXPORT_RIGHTS,
					REFSLAB_RIGHT_READ, &spare_fd));
	close(objfd);
	close(objfd2);
	EXPECT_EQ(max, wait_object_refs(self->fd, h[0], max));
	/* The handle's last put drops the file it kept. */
	ASSERT_EQ(0, rs_put(self->fd, extra, 1, NULL));
	ASSERT_EQ(max - 2, wait_object_refs(self->fd, h[0], max - 2));
	ASSERT_EQ(0, rs_get(self->fd, h[n - 1], 1, NULL));

	/* OPEN by id at the cap minus one. */
	ASSERT_EQ(0, rs_open(self->fd, id, REFSLAB_RIGHT_READ, &extra));
	EXPECT_EQ(-EOVERFLOW, rs_open(self->fd, id, REFSLAB_RIGHT_READ, &spare));
	ASSERT_EQ(0, rs_put(self->fd, extra, 1, NULL));

	/* IMPORT at the cap minus one (the exported file holds one). */
	ASSERT_EQ(0, rs_put(self->fd, h[n - 1], 2, NULL));
	ASSERT_EQ(0, rs_dup(self->fd, h[0], &extra));
	ASSERT_EQ(0, rs_export(self->fd, extra, 0, 0, &objfd2));
	ASSERT_EQ(max - 1, wait_object_refs(self->fd, h[0], max - 1));
	ASSERT_EQ(0, rs_import(self->fd, objfd2, &imp));
	EXPECT_EQ(-EOVERFLOW, rs_import(self->fd, objfd2, &spare));
	ASSERT_EQ(0, rs_put(self->fd, imp, 1, NULL));
	close(objfd2);
	ASSERT_EQ(0, rs_put(self->fd, extra, 1, NULL));
	ASSERT_EQ(max - 3, wait_object_refs(self->fd, h[0], max - 3));
	ASSERT_EQ(0, rs_get(self->fd, h[n - 1], 2, NULL));

	/* PIN at the cap minus one. */
	ASSERT_EQ(0, rs_pin(self->fd, REFSLAB_IOC_PIN, id));
	EXPECT_EQ(max, wait_object_refs(self->fd, h[0], max));
	EXPECT_EQ(-EOVERFLOW, rs_get(self->fd, h[n - 1], 1, NULL));
	ASSERT_EQ(0, rs_pin(self->fd, REFSLAB_IOC_UNPIN, id));
	EXPECT_EQ(max - 1, wait_object_refs(self->fd, h[0], max - 1));
	/* Closing the file drops them all (checked by the teardown). */
}

struct inflight_ctx {
	int fd;
	uint32_t handle;
	volatile int stop;
	unsigned long ops;
};

static void *info_read_loop(void *arg)
{
	struct inflight_ctx *ctx = arg;
	struct refslab_info info;
	uint8_t buf[8];

	while (!ctx->stop) {
		rs_info(ctx->fd, ctx->handle, &info);
		rs_read(ctx->fd, ctx->handle, 0, sizeof(buf), buf, NULL);
		__atomic_add_fetch(&ctx->ops, 2, __ATOMIC_RELAXED);
	}
	return NULL;
}

/*
 * GET of one reference at REFSLAB_OBJECT_REFS_MAX - 1 held succeeds
 * every time, also while other threads' INFO and READ hold transient
 * references to the object.
 */
TEST_F_TIMEOUT(refslab, get_at_cap_with_reads_in_flight, 120)
{
	const int tries = debug_kernel() ? 400 : 2000;
	struct inflight_ctx ctx = { .fd = self->fd };
	int n, failed = 0, last_error = 0;
	pthread_t readers[3];
	uint32_t h[24];

	ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &h[0], NULL));
	n = fill_refs(_metadata, self->fd, h[0], REFSLAB_OBJECT_REFS_MAX - 1,
		      h, 24);
	ctx.handle = h[0];
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, pthread_create(&readers[i], NULL, info_read_loop,
					    &ctx));
	for (int i = 0; i < tries; i++) {
		int ret = rs_get(self->fd, h[n - 1], 1, NULL);

		if (ret) {
			failed++;
			last_error = ret;
			continue;
		}
		if (rs_put(self->fd, h[n - 1], 1, NULL))
			failed++;
	}
	ctx.stop = 1;
	for (int i = 0; i < 3; i++)
		pthread_join(readers[i], NULL);
	EXPECT_EQ(0, failed) TH_LOG("%d of %d GETs failed, the last with %d",
				   failed, tries, last_error);
	EXPECT_LT(0, ctx.ops);
	TH_LOG("%d GETs at the cap minus one against %lu INFO and READ calls",
	       tries, ctx.ops);
}

/* --- READ, WRITE ------------------------------------------------------------ */

TEST_F(refslab, write_read)
{
	uint8_t data[32], out[32] = { 0 };
	uint32_t handle;
	uint64_t gen = 0;

	for (unsigned int i = 0; i < sizeof(data); i++)
		data[i] = i * 7;
	ASSERT_EQ(0, rs_create(self->fd, 48, NULL, 0, &handle, NULL));
	ASSERT_EQ(0, rs_write(self->fd, handle, 16, 32, data, &gen));
	EXPECT_EQ(1, gen);
	ASSERT_EQ(0, rs_read(self->fd, handle, 16, 32, out, &gen));
	EXPECT_EQ(1, gen);
	EXPECT_EQ(0, memcmp(data, out, 32));
	ASSERT_EQ(0, rs_write(self->fd, handle, 47, 1, data, &gen));
	EXPECT_EQ(2, gen);
	ASSERT_EQ(0, rs_read(self->fd, handle, 47, 1, out, NULL));
	EXPECT_EQ(data[0], out[0]);
	EXPECT_EQ(0, rs_put(self->fd, handle, 1, NULL));
}

TEST_F(refslab, write_read_largest)
{
	uint8_t *data = malloc(REFSLAB_PAYLOAD_MAX);
	uint8_t *out = calloc(1, REFSLAB_PAYLOAD_MAX);
	uint32_t handle;

	ASSERT_NE(NULL, data);
	ASSERT_NE(NULL, out);
	for (unsigned int i = 0; i < REFSLAB_PAYLOAD_MAX; i++)
		data[i] = i ^ (i >> 8);
	ASSERT_EQ(0, rs_create(self->fd, REFSLAB_PAYLOAD_MAX, NULL, 0, &handle,
			       NULL));
	ASSERT_EQ(0, rs_write(self->fd, handle, 0, REFSLAB_PAYLOAD_MAX, data,
			      NULL));
	ASSERT_EQ(0, rs_read(self->fd, handle, 0, REFSLAB_PAYLOAD_MAX, out,
			     NULL));
	EXPECT_EQ(0, memcmp(data, out, REFSLAB_PAYLOAD_MAX));
	EXPECT_EQ(0, rs_put(self->fd, handle, 1, NULL));
	free(data);
	free(out);
}

TEST_F(refslab, read_write_bad_ranges)
{
	uint8_t buf[64] = { 0 };
	uint32_t handle;
	uint64_t gen = 0;

	ASSERT_EQ(0, rs_create(self->fd, 40, NULL, 0, &handle, NULL));
	EXPECT_EQ(-EINVAL, rs_read(self->fd, handle, 0, 41, buf, NULL));
	EXPECT_EQ(-EINVAL, rs_read(self->fd, handle, 40, 1, buf, NULL));
	EXPECT_EQ(-EINVAL, rs_read(self->fd, handle, 39, 2, buf, NULL));
	EXPECT_EQ(-EINVAL, rs_read(self->fd, handle, 0, 0, buf, NULL));
	EXPECT_EQ(-EINVAL, rs_read(self->fd, handle, UINT32_MAX, 2, buf, NULL));
	EXPECT_EQ(-EINVAL, rs_read(self->fd, handle, 1, UINT32_MAX, buf, NULL));
	EXPECT_EQ(-EINVAL, rs_write(self->fd, handle, 0, 41, buf, NULL));
	EXPECT_EQ(-EINVAL, rs_write(self->fd, handle, 10, 31, buf, NULL));
	EXPECT_EQ(-EINVAL, rs_write(self->fd, handle, 0, 0, buf, NULL));
	EXPECT_EQ(-EINVAL, rs_write(self->fd, handle, 0,
				    REFSLAB_PAYLOAD_MAX + 1, buf, NULL));
	ASSERT_EQ(0, rs_read(self->fd, handle, 0, 1, buf, &gen));
	EXPECT_EQ(0, gen);	/* nothing was written */
	EXPECT_EQ(0, rs_put(self->fd, handle, 1, NULL));
}

TEST_F(refslab, read_write_bad_buffers)
{
	uint32_t handle;
	uint64_t gen = 0;

	ASSERT_EQ(0, rs_create(self->fd, 4096, NULL, 0, &handle, NULL));
	EXPECT_EQ(-EFAULT, rs_read(self->fd, handle, 0, 8, NULL, NULL));
	EXPECT_EQ(-EFAULT, rs_read(self->fd, handle, 0, 4096, (void *)8, NULL));
	EXPECT_EQ(-EFAULT, rs_write(self->fd, handle, 0, 8, NULL, NULL));
	EXPECT_EQ(-EFAULT, rs_write(self->fd, handle, 0, 4096, (void *)8, NULL));
	/* A write from a read-only (text) page is fine. */
	ASSERT_EQ(0, rs_write(self->fd, handle, 0, 16, (void *)rs_ioctl, &gen));
	EXPECT_EQ(1, gen);
	/* A read into read-only memory fails. */
	EXPECT_EQ(-EFAULT, rs_read(self->fd, handle, 0, 16, (void *)rs_ioctl,
				   NULL));
	EXPECT_EQ(0, rs_put(self->fd, handle, 1, NULL));
}

TEST_F(refslab, conditional_write)
{
	uint8_t a[4] = { 1, 1, 1, 1 }, b[4] = { 2, 2, 2, 2 }, out[4];
	struct refslab_rw rw;
	uint32_t handle;
	uint64_t gen = 0;

	ASSERT_EQ(0, rs_create(self->fd, 4, NULL, 0, &handle, NULL));
	gen = 0;
	ASSERT_EQ(0, rs_rw(self->fd, REFSLAB_IOC_WRITE, handle,
			   REFSLAB_WRITE_IF_GENERATION, 0, 4, a, &gen));
	EXPECT_EQ(1, gen);

	/* Someone else's view is now stale. */
	gen = 0;
	EXPECT_EQ(-ESTALE, rs_rw(self->fd, REFSLAB_IOC_WRITE, handle,
				 REFSLAB_WRITE_IF_GENERATION, 0, 4, b, &gen));
	EXPECT_EQ(1, gen);	/* told the current generation */
	ASSERT_EQ(0, rs_read(self->fd, handle, 0, 4, out, NULL));
	EXPECT_EQ(0, memcmp(a, out, 4));

	/* Retrying with it succeeds. */
	ASSERT_EQ(0, rs_rw(self->fd, REFSLAB_IOC_WRITE, handle,
			   REFSLAB_WRITE_IF_GENERATION, 0, 4, b, &gen));
	EXPECT_EQ(2, gen);

	/* The generation is ignored without the flag. */
	rw = (struct refslab_rw){
		.size = sizeof(rw), .handle = handle, .length = 4,
		.buf = (uintptr_t)a, .generation = 12345,
	};
	ASSERT_EQ(0, rs_ioctl(self->fd, REFSLAB_IOC_WRITE, &rw));
	EXPECT_EQ(3, rw.generation);
	EXPECT_EQ(-EINVAL, rs_rw(self->fd, REFSLAB_IOC_READ, handle,
				 REFSLAB_WRITE_IF_GENERATION, 0, 4, out, NULL));
	EXPECT_EQ(0, rs_put(self->fd, handle, 1, NULL));
}

/* --- Lifetimes across close and exit --------------------------------------- */

TEST_F(refslab, close_releases_everything)
{
	int fd2 = open(DEV, O_RDWR | O_CLOEXEC);
	uint32_t handle, copy;

	ASSERT_LE(0, fd2);
	for (int i = 0; i < 20; i++) {
		ASSERT_EQ(0, rs_create(fd2, 1 + i * 100, NULL, 0, &handle, NULL));
		ASSERT_EQ(0, rs_get(fd2, handle, 1 + i, NULL));
		ASSERT_EQ(0, rs_dup(fd2, handle, &copy));
	}
	EXPECT_EQ(20, stat_read("objects_live") - self->base.val[0]);
	EXPECT_EQ(40, stat_read("handles_live") - self->base.val[1]);
	close(fd2);
	EXPECT_EQ(0, stat_read("objects_live") - self->base.val[0]);
	EXPECT_EQ(0, stat_read("handles_live") - self->base.val[1]);
	EXPECT_EQ(0, stat_read("references_live") - self->base.val[2]);
}

TEST_F(refslab, killed_holder_releases_everything)
{
	int pipefd[2];
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = open(DEV, O_RDWR);
		uint32_t handle;

		for (int i = 0; i < 50; i++)
			if (rs_create(fd, 64, NULL, 0, &handle, NULL) ||
			    rs_get(fd, handle, 3, NULL))
				_exit(1);
		if (write(pipefd[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	EXPECT_EQ(50, stat_read("objects_live") - self->base.val[0]);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pipefd[0]);
	close(pipefd[1]);
	EXPECT_EQ(0, stat_read("objects_live") - self->base.val[0]);
	EXPECT_EQ(0, stat_read("references_live") - self->base.val[2]);
}

/* --- Quotas and the global limit ---------------------------------------------- */

FIXTURE(quota) {
	int fd;
	struct baseline base;
	long long saved[3];
};

static const char *const quota_params[] = {
	"user_max_objects", "user_max_bytes", "max_objects",
};

FIXTURE_SETUP(quota)
{
	baseline_take(&self->base);
	self->fd = open_dev(_metadata);
	if (self->fd < 0)
		return;
	for (int i = 0; i < 3; i++) {
		self->saved[i] = param_read(quota_params[i]);
		ASSERT_LE(0, self->saved[i]);
	}
}

FIXTURE_TEARDOWN(quota)
{
	char val[32];

	if (self->fd >= 0)
		close(self->fd);
	for (int i = 0; i < 3; i++) {
		snprintf(val, sizeof(val), "%lld", self->saved[i]);
		EXPECT_EQ(0, param_write(quota_params[i], val));
	}
	EXPECT_BASELINE(&self->base);
}

/* Run @fn as an unprivileged user in a child; returns its exit status. */
static int as_user(uid_t uid, int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (setgid(uid) || setuid(uid))
			_exit(100);
		_exit(fn(arg));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Create until EDQUOT: exactly 5 objects, then room for one more after a put. */
static int quota_objects_child(void *arg)
{
	int fd = open(DEV, O_RDWR);
	uint32_t handles[8];
	int i, ret;

	(void)arg;
	if (fd < 0)
		return 10;
	for (i = 0; i < 8; i++) {
		ret = rs_create(fd, 8, NULL, 0, &handles[i], NULL);
		if (ret)
			break;
	}
	if (i != 5 || ret != -EDQUOT)
		return 11;
	if (rs_put(fd, handles[0], 1, NULL))
		return 12;
	if (rs_create(fd, 8, NULL, 0, &handles[0], NULL))
		return 13;
	if (rs_create(fd, 8, NULL, 0, &handles[5], NULL) != -EDQUOT)
		return 14;
	return 0;
}

TEST_F(quota, user_object_quota)
{
	long long denials = stat_read("quota_denials");
	uint32_t handle;

	ASSERT_EQ(0, param_write("user_max_objects", "5"));
	EXPECT_EQ(5, param_read("user_max_objects"));
	EXPECT_EQ(0, as_user(4001, quota_objects_child, NULL));
	EXPECT_EQ(2, stat_read("quota_denials") - denials);
	/* Another user is not affected by the first one's usage... */
	EXPECT_EQ(0, as_user(4002, quota_objects_child, NULL));
	/* ...and neither is a privileged one. */
	for (int i = 0; i < 6; i++)
		ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &handle, NULL));
}

static int quota_bytes_child(void *arg)
{
	int fd = open(DEV, O_RDWR);
	uint32_t h1, h2;

	(void)arg;
	if (fd < 0)
		return 10;
	if (rs_create(fd, 1001, NULL, 0, &h1, NULL) != -EDQUOT)
		return 11;
	if (rs_create(fd, 600, NULL, 0, &h1, NULL))
		return 12;
	if (rs_create(fd, 401, NULL, 0, &h2, NULL) != -EDQUOT)
		return 13;
	if (rs_create(fd, 400, NULL, 0, &h2, NULL))
		return 14;
	if (rs_put(fd, h1, 1, NULL))
		return 15;
	if (rs_create(fd, 600, NULL, 0, &h1, NULL))
		return 16;
	return 0;
}

TEST_F(quota, user_byte_quota)
{
	ASSERT_EQ(0, param_write("user_max_bytes", "1000"));
	EXPECT_EQ(0, as_user(4003, quota_bytes_child, NULL));
}

TEST_F(quota, global_limit)
{
	long long live = stat_read("objects_live");
	char val[32];
	uint32_t h[4];

	snprintf(val, sizeof(val), "%lld", live + 3);
	ASSERT_EQ(0, param_write("max_objects", val));
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, rs_create(self->fd, 8, NULL, 0, &h[i], NULL));
	EXPECT_EQ(-EDQUOT, rs_create(self->fd, 8, NULL, 0, &h[3], NULL));
	ASSERT_EQ(0, rs_put(self->fd, h[1], 1, NULL));
	/* Room comes back at release, without waiting for reclamation. */
	EXPECT_EQ(0, rs_create(self->fd, 8, NULL, 0, &h[1], NULL));
	EXPECT_EQ(-EDQUOT, rs_create(self->fd, 8, NULL, 0, &h[3], NULL));
}

TEST_F(quota, parameters_validated)
{
	long long before = param_read("max_objects");

	EXPECT_EQ(-EINVAL, param_write("max_objects", "many"));
	EXPECT_EQ(-EINVAL, param_write("max_objects", "-1"));
	EXPECT_EQ(-EINVAL, param_write("max_objects", "99999999999"));
	EXPECT_EQ(-EINVAL, param_write("max_objects", "67108865"));
	EXPECT_EQ(-EINVAL, param_write("user_max_objects", "1x"));
	EXPECT_EQ(-EINVAL, param_write("user_max_bytes", "4294967296"));
	EXPECT_EQ(-EINVAL, param_write("priv_max_bytes", "\n"));
	EXPECT_EQ(before, param_read("max_objects"));
	EXPECT_EQ(0, param_write("max_objects", "67108864"));
	EXPECT_EQ(67108864, param_read("max_objects"));
}

/* --- Concurrency ------------------------------------------------------------ */

#define RACE_SIZE	256

struct torn_ctx {
	int fd;
	uint32_t handle;
	volatile int stop;
	struct timespec deadline;
	unsigned long reads, torn, mismatched;
};

static int past(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec ||
	       (now.tv_sec == deadline->tv_sec &&
		now.tv_nsec >= deadline->tv_nsec);
}

static void *torn_writer(void *arg)
{
	struct torn_ctx *ctx = arg;
	uint8_t buf[RACE_SIZE];
	uint64_t gen = 0;

	for (unsigned int i = 1; !ctx->stop; i++) {
		/* Written byte value is the low byte of the new generation. */
		memset(buf, (uint8_t)i, sizeof(buf));
		if (rs_write(ctx->fd, ctx->handle, 0, RACE_SIZE, buf, &gen))
			break;
	}
	return NULL;
}

/* Up to 20000 reads, for at most 10 seconds: slow kernels do fewer. */
static void *torn_reader(void *arg)
{
	struct torn_ctx *ctx = arg;
	uint8_t buf[RACE_SIZE];
	uint64_t gen = 0;

	for (int n = 0; n < 20000 && !past(&ctx->deadline); n++) {
		if (rs_read(ctx->fd, ctx->handle, 0, RACE_SIZE, buf, &gen))
			break;
		for (int i = 1; i < RACE_SIZE; i++) {
			if (buf[i] != buf[0]) {
				__atomic_add_fetch(&ctx->torn, 1, __ATOMIC_RELAXED);
				break;
			}
		}
		if (buf[0] != (uint8_t)gen)
			__atomic_add_fetch(&ctx->mismatched, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&ctx->reads, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

TEST_F_TIMEOUT(refslab, readers_never_see_torn_writes, 60)
{
	struct torn_ctx ctx = { .fd = self->fd };
	pthread_t writer, readers[3];
	uint64_t gen;

	clock_gettime(CLOCK_MONOTONIC, &ctx.deadline);
	ctx.deadline.tv_sec += 10;
	ASSERT_EQ(0, rs_create(self->fd, RACE_SIZE, NULL, 0, &ctx.handle, NULL));
	ASSERT_EQ(0, pthread_create(&writer, NULL, torn_writer, &ctx));
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, pthread_create(&readers[i], NULL, torn_reader, &ctx));
	for (int i = 0; i < 3; i++)
		pthread_join(readers[i], NULL);
	ctx.stop = 1;
	pthread_join(writer, NULL);
	ASSERT_EQ(0, rs_read(self->fd, ctx.handle, 0, 1, &gen, &gen));
	EXPECT_LT(100, ctx.reads);
	EXPECT_LT(10, gen);	/* the writer really raced the readers */
	EXPECT_EQ(0, ctx.torn);
	EXPECT_EQ(0, ctx.mismatched);
	TH_LOG("%lu reads against %llu writes", ctx.reads,
	       (unsigned long long)gen);
	EXPECT_EQ(0, rs_put(self->fd, ctx.handle, 1, NULL));
}

#define RACE_THREADS	8
#define RACE_HANDLES	16

struct race_ctx {
	int fd;
	unsigned int seed;
	unsigned long ops, unexpected;
	int last_error;
};

/*
 * Random GET, PUT, DUP, INFO, READ, WRITE and CREATE on handle numbers
 * shared by every thread, some of them stale, while the main thread closes
 * the file under them.  Only the errors of the contract may come back.
 */
static void *race_thread(void *arg)
{
	struct race_ctx *ctx = arg;
	unsigned int seed = ctx->seed;
	struct refslab_info info;
	uint8_t buf[16] = { 0 };
	uint32_t h, out;
	int ret;

	for (int n = 0; n < 4000; n++) {
		h = 1 + rand_r(&seed) % (RACE_HANDLES * 3);
		switch (rand_r(&seed) % 8) {
		case 0:
			ret = rs_get(ctx->fd, h, 1 + rand_r(&seed) % 3, NULL);
			break;
		case 1:
		case 2:
			ret = rs_put(ctx->fd, h, 1 + rand_r(&seed) % 2, NULL);
			break;
		case 3:
			ret = rs_dup(ctx->fd, h, &out);
			break;
		case 4:
			ret = rs_info(ctx->fd, h, &info);
			break;
		case 5:
			ret = rs_read(ctx->fd, h, 0, sizeof(buf), buf, NULL);
			break;
		case 6:
			ret = rs_write(ctx->fd, h, 0, sizeof(buf), buf, NULL);
			break;
		default:
			ret = rs_create(ctx->fd, sizeof(buf), NULL, 0, &out, NULL);
			break;
		}
		if (ret && ret != -ENOENT && ret != -EINVAL && ret != -EBADF &&
		    ret != -EOVERFLOW) {
			ctx->unexpected++;
			ctx->last_error = ret;
		}
		ctx->ops++;
		if (ret == -EBADF)
			break;
	}
	return NULL;
}

TEST_F_TIMEOUT(refslab, threads_race_on_shared_handles, 120)
{
	struct race_ctx ctx[RACE_THREADS];
	pthread_t threads[RACE_THREADS];
	unsigned long ops = 0;
	uint32_t handle;

	for (int round = 0; round < 10; round++) {
		int fd = open(DEV, O_RDWR | O_CLOEXEC);

		ASSERT_LE(0, fd);
		for (int i = 0; i < RACE_HANDLES; i++)
			ASSERT_EQ(0, rs_create(fd, 16, NULL, 0, &handle, NULL));
		for (int i = 0; i < RACE_THREADS; i++) {
			ctx[i] = (struct race_ctx){ .fd = fd, .seed = round * 100 + i };
			ASSERT_EQ(0, pthread_create(&threads[i], NULL,
						    race_thread, &ctx[i]));
		}
		/* Close under the running ioctls in half of the rounds. */
		if (round & 1) {
			usleep(1000 * (round + 1));
			close(fd);
		}
		for (int i = 0; i < RACE_THREADS; i++) {
			pthread_join(threads[i], NULL);
			EXPECT_EQ(0, ctx[i].unexpected)
				TH_LOG("unexpected error %d", ctx[i].last_error);
			ops += ctx[i].ops;
		}
		if (!(round & 1))
			close(fd);
		EXPECT_EQ(0, stat_read("handles_live") - self->base.val[1]);
	}
	EXPECT_LT(10000, ops);
	TH_LOG("%lu operations", ops);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * pkgconfig-example: a program built the way a user of an installed
 * librefslab builds one,
 *
 *	cc -o pkgconfig-example pkgconfig-example.c \
 *		$(pkg-config --cflags --libs refslab)
 *
 * against the shared library.  vm/install-test.sh builds it from the
 * tree `make install DESTDIR=...` left; it runs where the module is
 * loaded (the test VM), with that tree's librefslab.so.1.
 *
 * It opens /dev/refslab, asks the module what it supports, creates an
 * object, writes its payload and reads it back, drops the object and
 * says what it did at every step.  Exit status 0 only if every step
 * worked; otherwise the failing step and its error on stderr, status 1.
 */
#include <stdio.h>
#include <string.h>

/* Both installed headers: the library's, and the uapi one it includes. */
#include <linux/refslab.h>
#include <refslab.h>

#define OBJECT_SIZE	64

static int fail(const char *step, int err)
{
	fprintf(stderr, "pkgconfig-example: %s failed: %s\n", step,
		refslab_strerror(err));
	return 1;
}

int main(void)
{
	static const char msg[] = "written through an installed librefslab";
	struct refslab_version ver;
	char buf[sizeof(msg)];
	uint64_t id, wgen, rgen;
	uint32_t handle;
	int fd, ret;

	printf("pkgconfig-example: librefslab %s, uapi ABI %d.%d\n",
	       REFSLAB_LIB_VERSION, REFSLAB_ABI_MAJOR, REFSLAB_ABI_MINOR);

	fd = refslab_open(NULL, 0);
	if (fd < 0)
		return fail("open " REFSLAB_DEVICE, fd);
	printf("open: %s is fd %d\n", REFSLAB_DEVICE, fd);

	ret = refslab_version(fd, &ver);
	if (ret)
		return fail("version", ret);
	printf("version: module ABI %u.%u, features %#llx, payload max %u bytes, %u size classes\n",
	       ver.abi_major, ver.abi_minor,
	       (unsigned long long)ver.features, ver.payload_max,
	       ver.nr_classes);
	if (ver.abi_major != REFSLAB_ABI_MAJOR) {
		fprintf(stderr, "pkgconfig-example: module ABI %u, this program knows %d\n",
			ver.abi_major, REFSLAB_ABI_MAJOR);
		return 1;
	}

	ret = refslab_create(fd, OBJECT_SIZE, REFSLAB_MODE_DEFAULT, NULL, 0,
			     &handle, &id);
	if (ret)
		return fail("create", ret);
	printf("create: object %llu, %d bytes, handle %u\n",
	       (unsigned long long)id, OBJECT_SIZE, handle);

	ret = refslab_write(fd, handle, 0, msg, sizeof(msg), &wgen);
	if (ret)
		return fail("write", ret);
	printf("write: %zu bytes at offset 0, generation %llu\n", sizeof(msg),
	       (unsigned long long)wgen);

	memset(buf, 0, sizeof(buf));
	ret = refslab_read(fd, handle, 0, buf, sizeof(buf), &rgen);
	if (ret)
		return fail("read", ret);
	if (memcmp(buf, msg, sizeof(msg)) || rgen != wgen) {
		fprintf(stderr, "pkgconfig-example: read back \"%.*s\" generation %llu, wrote \"%s\" generation %llu\n",
			(int)sizeof(buf), buf, (unsigned long long)rgen, msg,
			(unsigned long long)wgen);
		return 1;
	}
	printf("read: \"%s\", generation %llu\n", buf,
	       (unsigned long long)rgen);

	ret = refslab_put(fd, handle, 1);
	if (ret < 0)
		return fail("put", ret);
	if (ret) {
		fprintf(stderr, "pkgconfig-example: handle %u still holds %d references\n",
			handle, ret);
		return 1;
	}
	printf("put: handle %u gone, object %llu released\n", handle,
	       (unsigned long long)id);

	ret = refslab_close(fd);
	if (ret)
		return fail("close", ret);
	printf("pkgconfig-example: ok\n");
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * refslab_bench: refslab operations, each checked (the return value and
 * the fields the kernel writes back): a benchmark that times failing calls
 * measures nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "bench.h"

int rs_create(int fd, uint32_t *handle)
{
	struct refslab_create c = {
		.size = sizeof(c),
		.payload_size = PAYLOAD,
	};

	if (ioctl(fd, REFSLAB_IOC_CREATE, &c)) {
		error_msg("CREATE: %s", strerror(errno));
		return -1;
	}
	if (!c.handle) {
		error_msg("CREATE returned handle 0");
		return -1;
	}
	*handle = c.handle;
	return 0;
}

int rs_ref(int fd, unsigned long cmd, uint32_t handle, uint32_t expect)
{
	struct refslab_ref r = {
		.size = sizeof(r),
		.handle = handle,
		.count = 1,
	};

	if (ioctl(fd, cmd, &r)) {
		error_msg("%s handle %u: %s",
			  cmd == REFSLAB_IOC_GET ? "GET" : "PUT", handle,
			  strerror(errno));
		return -1;
	}
	if (expect != UINT32_MAX && r.refs != expect) {
		error_msg("%s handle %u: refs %u, expected %u",
			  cmd == REFSLAB_IOC_GET ? "GET" : "PUT", handle,
			  r.refs, expect);
		return -1;
	}
	return 0;
}

int rs_put(int fd, uint32_t handle, uint32_t expect)
{
	return rs_ref(fd, REFSLAB_IOC_PUT, handle, expect);
}

int rs_dup(int fd, uint32_t handle, uint32_t *new_handle)
{
	struct refslab_dup d = { .size = sizeof(d), .handle = handle };

	if (ioctl(fd, REFSLAB_IOC_DUP, &d)) {
		error_msg("DUP: %s", strerror(errno));
		return -1;
	}
	*new_handle = d.new_handle;
	return 0;
}

int rs_info(int fd, uint32_t handle, struct refslab_info *in)
{
	*in = (struct refslab_info){ .size = sizeof(*in), .handle = handle };
	if (ioctl(fd, REFSLAB_IOC_INFO, in)) {
		error_msg("INFO: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * EXPORT: a file carrying @rights (REFSLAB_EXPORT_RIGHTS), or the
 * handle's own rights when @rights is 0.
 */
int rs_export_rights(int fd, uint32_t handle, uint32_t rights, int *objfd)
{
	struct refslab_export e = {
		.size = sizeof(e), .flags = rights ? REFSLAB_EXPORT_RIGHTS : 0,
		.handle = handle, .rights = rights,
	};

	if (ioctl(fd, REFSLAB_IOC_EXPORT, &e) || e.fd < 0) {
		error_msg("EXPORT handle %u rights %u: %s", handle, rights,
			  strerror(errno));
		return -1;
	}
	*objfd = e.fd;
	return 0;
}

int rs_export(int fd, uint32_t handle, int *objfd)
{
	return rs_export_rights(fd, handle, 0, objfd);
}

int rs_import(int fd, int objfd, uint32_t *handle)
{
	struct refslab_import im = { .size = sizeof(im), .fd = objfd };

	if (ioctl(fd, REFSLAB_IOC_IMPORT, &im) || !im.handle) {
		error_msg("IMPORT fd %d: %s", objfd, strerror(errno));
		return -1;
	}
	*handle = im.handle;
	return 0;
}

int rs_open(int fd, uint64_t id, uint32_t *handle)
{
	struct refslab_open o = {
		.size = sizeof(o),
		.id = id,
		.rights = REFSLAB_RIGHTS_ALL,
	};

	if (ioctl(fd, REFSLAB_IOC_OPEN, &o) || !o.handle) {
		error_msg("OPEN id %llu: %s", (unsigned long long)id,
			  strerror(errno));
		return -1;
	}
	*handle = o.handle;
	return 0;
}

/*
 * The BATCH ABI lives here and in batch.c only (batch.c builds the
 * operations): the rest of the benchmark calls batch_run() and
 * batch_create_n().
 *
 * Run the batch @b and check that every operation ran and succeeded. */
int batch_run(int fd, struct batch *b, const char *what)
{
	struct refslab_batch req = {
		.size = sizeof(req),
		.ops = (uintptr_t)b->ops,
		.count = b->count,
	};
	unsigned int i;

	if (ioctl(fd, REFSLAB_IOC_BATCH, &req)) {
		error_msg("BATCH of %u %s: %s", b->count, what,
			  strerror(errno));
		return -1;
	}
	for (i = 0; i < req.done; i++) {
		if (b->ops[i].result) {
			error_msg("BATCH of %u %s: operation %u: %s", b->count,
				  what, i, strerror(-b->ops[i].result));
			return -1;
		}
	}
	if (req.done != b->count) {
		error_msg("BATCH of %u %s: done %u", b->count, what, req.done);
		return -1;
	}
	return 0;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * librefslab: a builder for REFSLAB_IOC_BATCH.
 *
 * The buffer owns two parallel arrays: the operations the kernel reads and
 * one argument structure per operation.  GET, PUT, CREATE and OPEN go
 * inline in their operation record (the fast form, which the kernel reads
 * in bulk); every other operation's @arg points at its argument structure.
 * After a run the inline outputs are copied into the argument structures
 * too, so refslab_batchbuf_arg() reads the same for both forms.  Both
 * arrays are allocated once, at their full size, so the pointers stay
 * valid however many operations are added.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "refslab.h"

struct refslab_batchbuf {
	unsigned int max;
	unsigned int count;
	struct refslab_batch_op *ops;
	union refslab_batch_arg *args;
};

int refslab_batchbuf_new(unsigned int max, struct refslab_batchbuf **bufp)
{
	struct refslab_batchbuf *buf;

	if (!bufp || !max || max > REFSLAB_BATCH_MAX)
		return -EINVAL;
	buf = calloc(1, sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	buf->ops = calloc(max, sizeof(*buf->ops));
	buf->args = calloc(max, sizeof(*buf->args));
	if (!buf->ops || !buf->args) {
		refslab_batchbuf_free(buf);
		return -ENOMEM;
	}
	buf->max = max;
	*bufp = buf;
	return 0;
}

void refslab_batchbuf_free(struct refslab_batchbuf *buf)
{
	if (!buf)
		return;
	free(buf->ops);
	free(buf->args);
	free(buf);
}

void refslab_batchbuf_reset(struct refslab_batchbuf *buf)
{
	memset(buf->ops, 0, buf->count * sizeof(*buf->ops));
	memset(buf->args, 0, buf->count * sizeof(*buf->args));
	buf->count = 0;
}

unsigned int refslab_batchbuf_count(const struct refslab_batchbuf *buf)
{
	return buf->count;
}

/* Reserve the next slot: its argument zeroed, sized @len, for @cmd. */
static union refslab_batch_arg *slot(struct refslab_batchbuf *buf,
				     uint32_t cmd, size_t len, int *index)
{
	union refslab_batch_arg *arg;
	struct refslab_batch_op *op;

	if (buf->count >= buf->max) {
		*index = -ENOSPC;
		return NULL;
	}
	op = &buf->ops[buf->count];
	arg = &buf->args[buf->count];
	memset(arg, 0, sizeof(*arg));
	arg->hdr.size = (uint32_t)len;
	op->cmd = cmd;
	op->result = 0;
	op->arg = (uint64_t)(uintptr_t)arg;
	*index = (int)buf->count++;
	return arg;
}

/* Make slot @index an inline operation (its argument is kept for reading). */
static struct refslab_batch_op *make_inline(struct refslab_batchbuf *buf,
					    int index)
{
	struct refslab_batch_op *op = &buf->ops[index];

	op->flags = REFSLAB_BATCH_OP_INLINE;
	op->arg = 0;
	return op;
}

int refslab_batchbuf_add(struct refslab_batchbuf *buf, uint32_t cmd,
			 const void *arg, size_t len)
{
	union refslab_batch_arg *a;
	int index;

	if (!arg || cmd == REFSLAB_CMD_BATCH || len < sizeof(a->hdr) ||
	    len > sizeof(*a))
		return -EINVAL;
	a = slot(buf, cmd, len, &index);
	if (!a)
		return index;
	memcpy(a, arg, len);
	a->hdr.size = (uint32_t)len;
	return index;
}

int refslab_batchbuf_add_create(struct refslab_batchbuf *buf, uint32_t size,
				int mode, const void *data, uint32_t len)
{
	struct refslab_batch_op *op;
	union refslab_batch_arg *a;
	int index;

	if ((!data && len) || (mode != REFSLAB_MODE_DEFAULT && mode < 0))
		return -EINVAL;
	a = slot(buf, REFSLAB_CMD_CREATE, sizeof(a->create), &index);
	if (!a)
		return index;
	a->create.payload_size = size;
	a->create.data = (uint64_t)(uintptr_t)data;
	a->create.data_len = len;
	if (mode != REFSLAB_MODE_DEFAULT) {
		a->create.flags = REFSLAB_CREATE_MODE;
		a->create.mode = (uint32_t)mode;
	}
	op = make_inline(buf, index);
	if (mode != REFSLAB_MODE_DEFAULT)
		op->flags |= REFSLAB_BATCH_OP_MODE;
	op->create.payload_size = size;
	op->create.mode = a->create.mode;
	op->create.data = a->create.data;
	op->create.data_len = len;
	return index;
}

static int add_ref(struct refslab_batchbuf *buf, uint32_t cmd,
		   uint32_t handle, uint32_t count)
{
	union refslab_batch_arg *a;
	int index;

	struct refslab_batch_op *op;

	a = slot(buf, cmd, sizeof(a->ref), &index);
	if (!a)
		return index;
	a->ref.handle = handle;
	a->ref.count = count;
	op = make_inline(buf, index);
	op->ref.handle = handle;
	op->ref.count = count;
	return index;
}

int refslab_batchbuf_add_get(struct refslab_batchbuf *buf, uint32_t handle,
			     uint32_t count)
{
	return add_ref(buf, REFSLAB_CMD_GET, handle, count);
}

int refslab_batchbuf_add_put(struct refslab_batchbuf *buf, uint32_t handle,
			     uint32_t count)
{
	return add_ref(buf, REFSLAB_CMD_PUT, handle, count);
}

int refslab_batchbuf_add_info(struct refslab_batchbuf *buf, uint32_t handle)
{
	union refslab_batch_arg *a;
	int index;

	a = slot(buf, REFSLAB_CMD_INFO, sizeof(a->info), &index);
	if (!a)
		return index;
	a->info.handle = handle;
	return index;
}

static int add_rw(struct refslab_batchbuf *buf, uint32_t cmd,
		  uint32_t handle, uint32_t offset, const void *p,
		  uint32_t len)
{
	union refslab_batch_arg *a;
	int index;

	a = slot(buf, cmd, sizeof(a->rw), &index);
	if (!a)
		return index;
	a->rw.handle = handle;
	a->rw.offset = offset;
	a->rw.length = len;
	a->rw.buf = (uint64_t)(uintptr_t)p;
	return index;
}

int refslab_batchbuf_add_read(struct refslab_batchbuf *buf, uint32_t handle,
			      uint32_t offset, void *dst, uint32_t len)
{
	return add_rw(buf, REFSLAB_CMD_READ, handle, offset, dst, len);
}

int refslab_batchbuf_add_write(struct refslab_batchbuf *buf, uint32_t handle,
			       uint32_t offset, const void *src, uint32_t len)
{
	return add_rw(buf, REFSLAB_CMD_WRITE, handle, offset, src, len);
}

int refslab_batchbuf_add_open(struct refslab_batchbuf *buf, uint64_t id,
			      uint32_t rights)
{
	struct refslab_batch_op *op;
	union refslab_batch_arg *a;
	int index;

	a = slot(buf, REFSLAB_CMD_OPEN, sizeof(a->open), &index);
	if (!a)
		return index;
	a->open.id = id;
	a->open.rights = rights;
	op = make_inline(buf, index);
	op->open.id = id;
	op->open.rights = rights;
	return index;
}

/* The outputs of an inline operation that ran, into its argument. */
static void copy_outputs(const struct refslab_batch_op *op,
			 union refslab_batch_arg *a)
{
	switch (op->cmd) {
	case REFSLAB_CMD_GET:
	case REFSLAB_CMD_PUT:
		a->ref.refs = op->ref.refs;
		break;
	case REFSLAB_CMD_CREATE:
		a->create.handle = op->create.handle;
		a->create.id = op->create.id;
		break;
	case REFSLAB_CMD_OPEN:
		a->open.handle = op->open.handle;
		break;
	}
}

int refslab_batchbuf_run(int fd, struct refslab_batchbuf *buf, uint32_t flags)
{
	unsigned int i;
	int ran;

	if (!buf->count)
		return -EINVAL;
	for (i = 0; i < buf->count; i++)
		buf->ops[i].result = 0;
	ran = refslab_batch(fd, buf->ops, buf->count, flags);
	for (i = 0; ran > 0 && i < (unsigned int)ran; i++)
		if (buf->ops[i].flags & REFSLAB_BATCH_OP_INLINE &&
		    !buf->ops[i].result)
			copy_outputs(&buf->ops[i], &buf->args[i]);
	return ran;
}

int refslab_batchbuf_result(const struct refslab_batchbuf *buf,
			    unsigned int index)
{
	if (index >= buf->count)
		return -EINVAL;
	return buf->ops[index].result;
}

union refslab_batch_arg *refslab_batchbuf_arg(struct refslab_batchbuf *buf,
					      unsigned int index)
{
	return index < buf->count ? &buf->args[index] : NULL;
}

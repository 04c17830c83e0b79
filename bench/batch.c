// SPDX-License-Identifier: GPL-2.0
/*
 * refslab_bench: BATCH of 1, 8, 32 and 128 operations (VERSION, GET and
 * PUT, CREATE and PUT, and GET and PUT as REFSLAB_BATCH_REFS records),
 * timed per operation, and the BATCH of CREATEs that fills the live
 * section: with batch_run() in ops.c, the only users of the BATCH ABI.
 * GET, PUT and CREATE go inline in their records, as librefslab sends
 * them; VERSION, which has no inline form, by pointer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "bench.h"

/* Batched: b1 = B creates, b2 = B puts of what b1 created. */
int loop_batch_create_put(void *p, uint64_t n)
{
	struct ctx *c = p;
	unsigned int i, k = c->b1.count;

	while (n--) {
		if (batch_run(c->fd, &c->b1, "creates"))
			return -1;
		for (i = 0; i < k; i++)
			c->b2.ops[i].ref.handle = c->b1.ops[i].create.handle;
		if (batch_run(c->fd, &c->b2, "puts"))
			return -1;
		for (i = 0; i < k; i++)
			if (c->b2.ops[i].ref.refs) {
				error_msg("batched PUT left %u refs",
					  c->b2.ops[i].ref.refs);
				return -1;
			}
	}
	return 0;
}

/* Batched: b1 = B VERSION operations. */
static int loop_batch_version(void *p, uint64_t n)
{
	struct ctx *c = p;

	while (n--)
		if (batch_run(c->fd, &c->b1, "versions"))
			return -1;
	return 0;
}

/* Batched: b1 = B gets of one handle, b2 = B puts of it. */
int loop_batch_get_put(void *p, uint64_t n)
{
	struct ctx *c = p;
	unsigned int k = c->b1.count;

	while (n--) {
		if (batch_run(c->fd, &c->b1, "gets"))
			return -1;
		if (c->b1.ops[k - 1].ref.refs != k + 1) {
			error_msg("batched GET: refs %u, expected %u",
				  c->b1.ops[k - 1].ref.refs, k + 1);
			return -1;
		}
		if (batch_run(c->fd, &c->b2, "puts"))
			return -1;
		if (c->b2.ops[k - 1].ref.refs != 1) {
			error_msg("batched PUT: refs %u, expected 1",
				  c->b2.ops[k - 1].ref.refs);
			return -1;
		}
	}
	return 0;
}

/*
 * The records of REFSLAB_BATCH_REFS batches: [0] = gets of one handle,
 * [1] = puts of it.
 */
static struct refslab_ref_change changes[2][REFSLAB_BATCH_MAX];

/* A REFSLAB_BATCH_REFS batch of the @k records of @rc, all checked. */
static int changes_run(int fd, struct refslab_ref_change *rc, unsigned int k,
		       const char *what)
{
	struct refslab_batch req = {
		.size = sizeof(req),
		.flags = REFSLAB_BATCH_REFS,
		.ops = (uintptr_t)rc,
		.count = k,
	};
	unsigned int i;

	if (ioctl(fd, REFSLAB_IOC_BATCH, &req)) {
		error_msg("BATCH of %u %s: %s", k, what, strerror(errno));
		return -1;
	}
	for (i = 0; i < req.done; i++)
		if (rc[i].result) {
			error_msg("BATCH of %u %s: record %u: %s", k, what, i,
				  strerror(-rc[i].result));
			return -1;
		}
	if (req.done != k) {
		error_msg("BATCH of %u %s: done %u", k, what, req.done);
		return -1;
	}
	return 0;
}

/* Batched in 16-byte records: B gets of one handle, then B puts of it. */
int loop_batch_refs(void *p, uint64_t n)
{
	struct ctx *c = p;
	unsigned int k = c->b1.count;

	while (n--) {
		if (changes_run(c->fd, changes[0], k, "gets"))
			return -1;
		if (changes[0][k - 1].refs != k + 1) {
			error_msg("batched GET: refs %u, expected %u",
				  changes[0][k - 1].refs, k + 1);
			return -1;
		}
		if (changes_run(c->fd, changes[1], k, "puts"))
			return -1;
		if (changes[1][k - 1].refs != 1) {
			error_msg("batched PUT: refs %u, expected 1",
				  changes[1][k - 1].refs);
			return -1;
		}
	}
	return 0;
}

void setup_batch_refs(struct ctx *c, unsigned int k)
{
	unsigned int i;

	for (i = 0; i < 2 * k; i++)
		changes[i / k][i % k] = (struct refslab_ref_change){
			.handle = c->handle,
			.delta = i < k ? 1 : -1,
		};
	c->b1 = (struct batch){ NULL, k };
}

static struct refslab_batch_op batch_ops[2][REFSLAB_BATCH_MAX];

void setup_batch_create_put(struct ctx *c, unsigned int k)
{
	unsigned int i;

	for (i = 0; i < k; i++) {
		batch_ops[0][i] = (struct refslab_batch_op){
			.cmd = REFSLAB_CMD_CREATE,
			.flags = REFSLAB_BATCH_OP_INLINE,
			.create = { .payload_size = PAYLOAD },
		};
		batch_ops[1][i] = (struct refslab_batch_op){
			.cmd = REFSLAB_CMD_PUT,
			.flags = REFSLAB_BATCH_OP_INLINE,
			.ref = { .count = 1 },
		};
	}
	c->b1 = (struct batch){ batch_ops[0], k };
	c->b2 = (struct batch){ batch_ops[1], k };
}

void setup_batch_get_put(struct ctx *c, unsigned int k)
{
	unsigned int i;

	for (i = 0; i < 2 * k; i++)
		batch_ops[i / k][i % k] = (struct refslab_batch_op){
			.cmd = i < k ? REFSLAB_CMD_GET : REFSLAB_CMD_PUT,
			.flags = REFSLAB_BATCH_OP_INLINE,
			.ref = { .handle = c->handle, .count = 1 },
		};
	c->b1 = (struct batch){ batch_ops[0], k };
	c->b2 = (struct batch){ batch_ops[1], k };
}

static struct refslab_version batch_versions[REFSLAB_BATCH_MAX];

static void setup_batch_version(struct ctx *c, unsigned int k)
{
	unsigned int i;

	for (i = 0; i < k; i++) {
		batch_versions[i] = (struct refslab_version){
			.size = sizeof(batch_versions[i]),
		};
		batch_ops[0][i] = (struct refslab_batch_op){
			.cmd = REFSLAB_CMD_VERSION,
			.arg = (uintptr_t)&batch_versions[i],
		};
	}
	c->b1 = (struct batch){ batch_ops[0], k };
}

static const unsigned int batch_sizes[] = { 1, 8, 32, 128 };
#define NR_BATCH_SIZES	(sizeof(batch_sizes) / sizeof(batch_sizes[0]))

/* --gate: the batches of 128 that the performance gate holds. */
void bench_batch_hot(struct ctx *c)
{
	setup_batch_version(c, 128);
	measure("batch", "version", 128, loop_batch_version, c, 128);
	setup_batch_get_put(c, 128);
	measure("batch", "get+put", 128, loop_batch_get_put, c, 2.0 * 128);
	setup_batch_refs(c, 128);
	measure("batch", "refs", 128, loop_batch_refs, c, 2.0 * 128);
	setup_batch_create_put(c, 128);
	measure("batch", "create+put", 128, loop_batch_create_put, c,
		2.0 * 128);
}

/* On the file and object of the single operations (@c). */
void bench_batch(struct ctx *c)
{
	unsigned int i;

	for (i = 0; i < NR_BATCH_SIZES; i++) {
		setup_batch_create_put(c, batch_sizes[i]);
		measure("batch", "create+put", batch_sizes[i],
			loop_batch_create_put, c, 2.0 * batch_sizes[i]);
	}
	for (i = 0; i < NR_BATCH_SIZES; i++) {
		setup_batch_version(c, batch_sizes[i]);
		measure("batch", "version", batch_sizes[i],
			loop_batch_version, c, batch_sizes[i]);
	}
	for (i = 0; i < NR_BATCH_SIZES; i++) {
		setup_batch_get_put(c, batch_sizes[i]);
		measure("batch", "get+put", batch_sizes[i],
			loop_batch_get_put, c, 2.0 * batch_sizes[i]);
	}
	for (i = 0; i < NR_BATCH_SIZES; i++) {
		setup_batch_refs(c, batch_sizes[i]);
		measure("batch", "refs", batch_sizes[i], loop_batch_refs, c,
			2.0 * batch_sizes[i]);
	}
}

/*
 * Create @n objects on @fd in BATCHes of REFSLAB_BATCH_MAX CREATEs, their
 * handles into @handles; returns how many were made, and if fewer than
 * @n, why in @why.
 */
long batch_create_n(int fd, uint32_t *handles, long n, char *why,
		    size_t whylen)
{
	struct refslab_batch req;
	struct ctx c = { 0 };
	long made = 0;
	unsigned int k, i;

	setup_batch_create_put(&c, REFSLAB_BATCH_MAX);
	while (made < n) {
		k = n - made < REFSLAB_BATCH_MAX ? n - made : REFSLAB_BATCH_MAX;
		req = (struct refslab_batch){
			.size = sizeof(req),
			.ops = (uintptr_t)c.b1.ops,
			.count = k,
		};
		if (ioctl(fd, REFSLAB_IOC_BATCH, &req)) {
			snprintf(why, whylen, "BATCH: %s", strerror(errno));
			break;
		}
		for (i = 0; i < req.done && !c.b1.ops[i].result; i++)
			handles[made++] = c.b1.ops[i].create.handle;
		if (i < k) {
			snprintf(why, whylen, "CREATE: %s",
				 i < req.done ?
				 strerror(-c.b1.ops[i].result) :
				 "batch stopped");
			break;
		}
	}
	return made;
}

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _REFSLAB_BATCH_H
#define _REFSLAB_BATCH_H

/*
 * The checks of a BATCH record's form (struct refslab_batch_op), shared by
 * the device, which runs a batch, and the handle tables, which run its
 * in-record GETs and PUTs a run at a time.
 */
#include <linux/build_bug.h>
#include <linux/types.h>
#include <uapi/linux/refslab.h>

/*
 * The bytes of an in-record form after its fields must be 0.  Every form
 * is a whole number of words, so the check is one compare per word.
 */
static_assert(sizeof(struct refslab_batch_ref) % sizeof(u64) == 0);
static_assert(sizeof(struct refslab_batch_create) % sizeof(u64) == 0);
static_assert(sizeof(struct refslab_batch_dup) % sizeof(u64) == 0);
static_assert(sizeof(struct refslab_batch_open) % sizeof(u64) == 0);

static inline bool refslab_batch_tail_clear(const struct refslab_batch_op *op,
					    size_t len)
{
	const u64 *word = (const u64 *)op->__size;
	size_t i;

	for (i = len / sizeof(u64); i < sizeof(op->__size) / sizeof(u64); i++)
		if (word[i])
			return false;
	return true;
}

/* Is @op a GET or PUT with its arguments in the record? */
static inline bool refslab_batch_is_ref(const struct refslab_batch_op *op)
{
	return (op->cmd == REFSLAB_CMD_GET || op->cmd == REFSLAB_CMD_PUT) &&
	       op->flags & REFSLAB_BATCH_OP_INLINE;
}

/*
 * Is the in-record GET or PUT @op well formed: no flag but
 * REFSLAB_BATCH_OP_INLINE, and nothing in its reserved bytes?
 */
static inline bool refslab_batch_ref_clean(const struct refslab_batch_op *op)
{
	return op->flags == REFSLAB_BATCH_OP_INLINE && !op->ref.__reserved &&
	       refslab_batch_tail_clear(op, sizeof(op->ref));
}

#endif /* _REFSLAB_BATCH_H */

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _REFSLAB_DEV_H
#define _REFSLAB_DEV_H

#include <linux/atomic.h>

#include "handle.h"

struct refslab_notifier;
struct refslab_ns;

/**
 * struct refslab_file - the state of one open /dev/refslab
 * @handles: the file's handle table
 * @notifier: the file's queue of release events
 * @created: objects created through this file, for fdinfo
 * @ns: the state of the first IPC namespace a command needed one in
 *	through this file, with a reference, set once; NULL until then
 * @batch_buf: the run buffer of the file's last BATCH, kept for the next
 *	one (a BATCH takes it, or allocates one if another has it); NULL
 *	until a BATCH is made
 */
struct refslab_file {
	struct refslab_handle_table handles;
	struct refslab_notifier *notifier;
	atomic_long_t created;
	struct refslab_ns *ns;
	void *batch_buf;
};

int refslab_dev_init(void);
void refslab_dev_exit(void);

#endif /* _REFSLAB_DEV_H */

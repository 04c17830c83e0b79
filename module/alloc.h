/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _REFSLAB_ALLOC_H
#define _REFSLAB_ALLOC_H

#include <linux/gfp.h>

/*
 * Allocations made on behalf of userspace: charged to the caller's memory
 * cgroup, and failing with ENOMEM (reported to the caller, so quietly)
 * rather than invoking the OOM killer when the cgroup or the system runs
 * out of memory.
 */
#define REFSLAB_GFP	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

#endif /* _REFSLAB_ALLOC_H */

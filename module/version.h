/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _REFSLAB_VERSION_H
#define _REFSLAB_VERSION_H

/* Release of the module, shown by modinfo and /sys/kernel/refslab/version. */
#define REFSLAB_VERSION	"1.0.0"

#endif /* _REFSLAB_VERSION_H */

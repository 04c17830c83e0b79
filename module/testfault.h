/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _REFSLAB_TESTFAULT_H
#define _REFSLAB_TESTFAULT_H

#include <linux/types.h>

/*
 * The seam of the rig's self-test (vm/rigtest.sh): faults that prove a
 * leak, a warning, a failed KUnit case, a skipped put, a data race or a
 * slower GET fails a run.
 * Only a build with REFSLAB_FAULT=<fault> defines REFSLAB_TEST_FAULT and
 * links testfault.c; every other build gets these no-ops, and no
 * production file tests for the fault build itself.
 */
#ifdef REFSLAB_TEST_FAULT
void refslab_fault_at_init(void);
bool refslab_fault_skip_put(void);
void refslab_fault_race(void);
void refslab_fault_slow(void);
#else
static inline void refslab_fault_at_init(void) { }
static inline bool refslab_fault_skip_put(void) { return false; }
static inline void refslab_fault_race(void) { }
static inline void refslab_fault_slow(void) { }
#endif

#endif /* _REFSLAB_TESTFAULT_H */

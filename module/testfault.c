// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only faults for the rig's self-test, linked only into a module
 * built with REFSLAB_FAULT=leak|warn|kunit|skipput|race|slow (never a
 * normal build): each must fail a run for its own reason (race: a KCSAN
 * run; slow: the stock 6.12 performance gate; the others: a debug run).
 * The kunit fault is a
 * failing case of its own, in tests/testfault_kunit.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bug.h>
#include <linux/printk.h>
#include <linux/slab.h>

#include "testfault.h"

/**
 * refslab_fault_at_init() - the faults of module load
 *
 * leak: a kmalloc that nothing frees, for kmemleak to report.  warn: a
 * WARN, for the console check.
 *
 * Context: process context, module init, once everything is up.
 */
void refslab_fault_at_init(void)
{
#ifdef REFSLAB_TEST_FAULT_LEAK
	void *leak = kmalloc(64, GFP_KERNEL);

	pr_info("test fault: leaking %p\n", leak);
#endif
#ifdef REFSLAB_TEST_FAULT_WARN
	WARN(1, "refslab: test fault: deliberate warning\n");
#endif
}

/**
 * refslab_fault_skip_put() - whether an error path skips its put
 *
 * skipput: the error path of a new handle (DUP, IMPORT, OPEN) keeps the
 * reference it should drop, for the fail-nth sweep to catch.
 *
 * Context: any context.
 * Return: true in the skipput build, false otherwise.
 */
bool refslab_fault_skip_put(void)
{
#ifdef REFSLAB_TEST_FAULT_SKIPPUT
	pr_info_once("test fault: skipping a put on an error path\n");
	return true;
#else
	return false;
#endif
}

#ifdef REFSLAB_TEST_FAULT_RACE
/* Commands seen, counted with no lock and no marked access: the race. */
static unsigned long refslab_fault_race_count;
#endif

/**
 * refslab_fault_race() - a data race on every command
 *
 * race: a plain, unlocked read-modify-write of a counter shared by every
 * CPU, run by each ioctl and batched operation, for KCSAN to report when
 * two tasks issue commands at once (the race stress does).
 *
 * Context: process context, any CPU, no lock held.
 */
void refslab_fault_race(void)
{
#ifdef REFSLAB_TEST_FAULT_RACE
	unsigned int i;

	/*
	 * Eight racing updates a command, not one: KCSAN watches one access
	 * in many, and on a slow machine the stress issues few commands.
	 */
	for (i = 0; i < 8; i++) {
		refslab_fault_race_count++;
		barrier();
	}
	pr_info_once("test fault: racing on an unlocked counter\n");
#endif
}

/**
 * refslab_fault_slow() - extra work on the GET path
 *
 * slow: every GET runs a loop of a fixed number of iterations (about 400
 * instructions), for the performance gate (vm/perfgate.sh) to catch.
 *
 * Context: any context.
 */
void refslab_fault_slow(void)
{
#ifdef REFSLAB_TEST_FAULT_SLOW
	unsigned int i;

	for (i = 0; i < 200; i++)
		barrier();
#endif
}

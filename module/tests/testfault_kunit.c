// SPDX-License-Identifier: GPL-2.0
/*
 * The rig's kunit fault (REFSLAB_FAULT=kunit, never a normal build): a
 * suite whose one case fails, linked into refslab_kunit.ko to prove that
 * a failed case fails the run.
 */
#include <kunit/test.h>

static void refslab_fault_deliberate(struct kunit *test)
{
	KUNIT_EXPECT_EQ_MSG(test, 1, 2, "deliberate failure (REFSLAB_FAULT=kunit)");
}

static struct kunit_case refslab_fault_cases[] = {
	KUNIT_CASE(refslab_fault_deliberate),
	{}
};

static struct kunit_suite refslab_fault_suite = {
	.name = "refslab_fault",
	.test_cases = refslab_fault_cases,
};

kunit_test_suites(&refslab_fault_suite);

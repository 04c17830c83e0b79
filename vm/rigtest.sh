#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The rig's self-test: proves that a run FAILS when the module is broken.
# Without it a green run means nothing.
#
# For each fault of the test-only switch REFSLAB_FAULT (never in a normal
# build), the module is built with it and the debug kernel is booted with
# the short guest sequence the fault targets (load, KUnit for the kunit
# and warn faults, refslab_failnth_test for skipput, unload, kmemleak scan
# for all but kunit; the dmesg and console splat checks always).  The run
# must fail, and for the right reason:
#   leak     the module leaks a kmalloc at load: kmemleak must report it
#   warn     the module hits a WARN at load: the console must show WARNING:
#            (panic_on_warn kills the guest before it can claim success)
#   kunit    a suite of one failing case (refslab_fault): the rig must
#            see the case "not ok", and kunit.py parse must count it failed
#   skipput  an error path of DUP/IMPORT/OPEN skips one object put: the
#            fault-injection sweep (refslab_failnth_test) must report a
#            "not ok" (the reference or counters not back where they were)
#   slow     every GET runs about 400 more instructions: the performance
#            gate (stock 6.12 under icount, `vm/run.sh stock612 --mode
#            perfgate`, not the debug kernel) must find get+put more than
#            5 % over its budget in bench/budget.txt
# Each fault is one TAP test: ok when the run failed for that reason.
# Ends with RESULT rigtest passed=N failed=N skipped=0.
#
# Usage: vm/rigtest.sh [fault...]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

faults=("$@")
((${#faults[@]})) || faults=(leak warn kunit skipput slow)
n=0 passed=0 failed=0

expect() {
	case $1 in
	leak) echo '^fail: (rig.*kmemleak|splat .*kmemleak:.*suspected memory leak)' ;;
	warn) echo '^fail: splat .*WARNING:' ;;
	kunit) echo '^fail: kunit refslab_fault: .*not ok'
		echo '^fail: host kunit\.py parse refslab_fault: .*failed: 1' ;;
	skipput) echo '^fail: selftest [^ ]*refslab_failnth_test: not ok' ;;
	slow) echo '^fail: host perfgate single/get\+put: .* over budget' ;;
	*) die "unknown fault '$1' (leak, warn, kunit, skipput, slow)" ;;
	esac
}

# The kernel and mode of a fault's run.
fault_run() {
	case $1 in
	slow) echo "stock612 perfgate" ;;
	*) echo "debug rigtest" ;;
	esac
}

echo "== rigtest: every injected fault must fail its run =="
# Build (or find) the kernel once, not three times in parallel.
"$REFSLAB_TOP/vm/kernel.sh" debug >/dev/null || die "no debug kernel"
# The runs are independent and mostly wait (boot, kmemleak's age limit):
# they run side by side, and are judged in order.
declare -A pid
for fault in "${faults[@]}"; do
	expect "$fault" >/dev/null
	read -r kernel mode < <(fault_run "$fault")
	(
		t0=$SECONDS rc=0
		"$REFSLAB_TOP/vm/run.sh" "$kernel" --mode "$mode" --fault "$fault" \
			>"$REFSLAB_BUILD/rigtest-$fault.log" 2>&1 || rc=$?
		echo $((SECONDS - t0)) >"$REFSLAB_BUILD/rigtest-$fault.time"
		exit $rc
	) &
	pid[$fault]=$!
done
for fault in "${faults[@]}"; do
	pattern=$(expect "$fault")
	log=$REFSLAB_BUILD/rigtest-$fault.log
	read -r kernel mode < <(fault_run "$fault")
	summary=$REFSLAB_BUILD/$kernel-fault-$fault/$mode/summary
	n=$((n + 1))
	rc=0
	wait "${pid[$fault]}" || rc=$?
	took=$(cat "$REFSLAB_BUILD/rigtest-$fault.time" 2>/dev/null || echo "?")
	caught=1
	while read -r p; do
		grep -qE "$p" "$summary" 2>/dev/null || caught=0
	done <<<"$pattern"
	if ((rc == 1 && caught)); then
		passed=$((passed + 1))
		echo "    ok $n - REFSLAB_FAULT=$fault fails the run (${took}s)"
		while read -r p; do
			grep -E "$p" "$summary" | head -n 3
		done <<<"$pattern" | sed 's/^/    #   caught: /'
	else
		failed=$((failed + 1))
		case $rc in
		0) why="the run PASSED" ;;
		1) why="the run failed, but not because of the fault" ;;
		*) why="rig error (status $rc): the fault was never tested" ;;
		esac
		echo "    not ok $n - REFSLAB_FAULT=$fault: $why (${took}s, log: $log)"
		tail -n 30 "$log" | sed 's/^/    #   /'
	fi
done
echo "    1..$n"
echo "RESULT rigtest passed=$passed failed=$failed skipped=0"
((failed == 0))

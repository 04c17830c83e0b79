#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The rig's self-test: proves that a run FAILS when the module is broken.
# Without it a green run means nothing.
#
# For each fault of the test-only switch REFSLAB_FAULT (never in a normal
# build), the module is built with it and the debug kernel (for race: the
# kcsan kernel) is booted with the short guest sequence the fault targets
# (load, KUnit for the kunit and warn faults, refslab_failnth_test for
# skipput, refslab_stress for race, unload, kmemleak scan for all but kunit
# where there is kmemleak; the dmesg and console splat checks always).
# The run must fail, and for the right reason:
#   leak     the module leaks a kmalloc at load: kmemleak must report it
#   warn     the module hits a WARN at load: the console must show WARNING:
#            (panic_on_warn kills the guest before it can claim success)
#   kunit    a suite of one failing case (refslab_fault): the rig must
#            see the case "not ok", and kunit.py parse must count it failed
#   skipput  an error path of DUP/IMPORT/OPEN skips one object put: the
#            fault-injection sweep (refslab_failnth_test) must report a
#            "not ok" (the reference or counters not back where they were)
#   race     every command does a plain, unlocked increment of a shared
#            counter: KCSAN must report the data race (BUG: KCSAN:) in the
#            console under the race stress
#   slow     every GET runs about 400 more instructions: the performance
#            gate (stock 6.12 under icount, `vm/run.sh stock612 --mode
#            perfgate`, not the debug kernel) must find get+put more than
#            5 % over its budget in bench/budget.txt
# Each fault is one TAP test: ok when the run failed for that reason.
# Then the coverage gate (vm/coverage.py) on the gcov data of the last
# debug test run (build/debug/test/gcda.tar.gz; skipped without one) must
# fail twice: with the data of the largest object file left out, as if
# the tests that reach it were gone, and with a threshold just above the
# coverage measured.
# Ends with RESULT rigtest passed=N failed=N skipped=0.
#
# Usage: vm/rigtest.sh [fault...]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

faults=("$@")
((${#faults[@]})) || faults=(leak warn kunit skipput race slow)
n=0 passed=0 failed=0 skipped=0

expect() {
	case $1 in
	leak) echo '^fail: (rig.*kmemleak|splat .*kmemleak:.*suspected memory leak)' ;;
	warn) echo '^fail: splat .*WARNING:' ;;
	kunit) echo '^fail: kunit refslab_fault: .*not ok'
		echo '^fail: host kunit\.py parse refslab_fault: .*failed: 1' ;;
	skipput) echo '^fail: selftest [^ ]*refslab_failnth_test: not ok' ;;
	race) echo '^fail: splat .*BUG: KCSAN: data-race in .*refslab_fault_race' ;;
	slow) echo '^fail: host perfgate single/get\+put: .* over budget' ;;
	*) die "unknown fault '$1' (leak, warn, kunit, skipput, race, slow)" ;;
	esac
}

# The kernel and mode of a fault's run: only KCSAN sees a data race, and
# only the performance gate (stock 6.12 under icount) a slowdown.
fault_run() {
	case $1 in
	race) echo "kcsan rigtest" ;;
	slow) echo "stock612 perfgate" ;;
	*) echo "debug rigtest" ;;
	esac
}

echo "== rigtest: every injected fault must fail its run =="
# Build (or find) each kernel once, not once per fault in parallel.
declare -A kernels=()
for fault in "${faults[@]}"; do
	read -r kernel mode < <(fault_run "$fault")
	kernels[$kernel]=1
done
for kernel in "${!kernels[@]}"; do
	"$REFSLAB_TOP/vm/kernel.sh" "$kernel" >/dev/null || die "no $kernel kernel"
done
kinfo=$("$REFSLAB_TOP/vm/kernel.sh" debug) || die "no debug kernel"
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
	# A guest that reported nothing at all never loaded the module: the
	# kernel died booting (seen once under QEMU TCG, an early interrupt
	# with six VMs side by side).  That run tested nothing; run it again,
	# once, alone.
	if ((rc == 1 && !caught)) &&
		[[ ! -s $REFSLAB_BUILD/$kernel-fault-$fault/$mode/results.tap ]]; then
		echo "    # REFSLAB_FAULT=$fault: the guest reported nothing; once more"
		t0=$SECONDS rc=0
		"$REFSLAB_TOP/vm/run.sh" "$kernel" --mode "$mode" --fault "$fault" \
			>"$log" 2>&1 || rc=$?
		took=$((SECONDS - t0))
		caught=1
		while read -r p; do
			grep -qE "$p" "$summary" 2>/dev/null || caught=0
		done <<<"$pattern"
	fi
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

# coverage_fails <what> <coverage.py args...>: one TAP test, ok when the
# gate fails its line-coverage check (status 1, "not ok - line coverage").
coverage_fails() {
	local what=$1 rc=0 out=$REFSLAB_BUILD/rigtest-coverage
	shift
	n=$((n + 1))
	mkdir -p "$out"
	python3 "$REFSLAB_TOP/vm/coverage.py" --build "$covbuild" \
		--kdir "$(sed -n 's/^kdir=//p' <<<"$kinfo")" --gcda "$gcda" \
		--out "$out" "$@" >"$out/log" 2>&1 || rc=$?
	if ((rc == 1)) && grep -q '^not ok - line coverage' "$out/log"; then
		passed=$((passed + 1))
		echo "    ok $n - coverage gate fails $what"
		grep '^not ok - line coverage' "$out/log" | sed 's/^/    #   caught: /'
	else
		failed=$((failed + 1))
		echo "    not ok $n - coverage gate $what: status $rc, not a failed line check"
		tail -n 20 "$out/log" | sed 's/^/    #   /'
	fi
}

gcda=$REFSLAB_BUILD/debug/test/gcda.tar.gz
covbuild=$REFSLAB_BUILD/debug/src-coverage
if [[ -s $gcda && -d $covbuild/module ]]; then
	largest=$(tar -tvzf "$gcda" | awk '$NF ~ /\.gcda$/ { print $3, $NF }' |
		sort -n | tail -n 1 | sed 's|.*/||')
	coverage_fails "without the data of $largest" --drop "$largest"
	# The figure the whole data gives: its summary, from a run at 0.
	python3 "$REFSLAB_TOP/vm/coverage.py" --build "$covbuild" --gcda "$gcda" \
		--out "$REFSLAB_BUILD/rigtest-coverage/all" --lines-min 0 \
		>/dev/null 2>&1 || true
	measured=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print("%.2f" % (100.0 * d["lines_run"] / d["lines"] + 0.01))' \
		"$REFSLAB_BUILD/rigtest-coverage/all/summary.json") ||
		measured=100.01
	coverage_fails "at a threshold of $measured%, just above the coverage measured" \
		--lines-min "$measured"
else
	n=$((n + 1))
	echo "    ok $n - coverage gate # SKIP no $gcda: run vm/run.sh debug first"
	skipped=$((skipped + 1))
fi

echo "    1..$n"
echo "RESULT rigtest passed=$passed failed=$failed skipped=$skipped"
((failed == 0))

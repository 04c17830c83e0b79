#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: set-up, host builds and lint gates, `make install` and
# DKMS (vm/install-test.sh), the VM test runs on Debian's stock 6.1 and
# 6.12 kernels, on its PREEMPT_RT 6.12 kernel (rt), on the debug kernel and
# on the KCSAN kernel, the demo (vm/demo-check.sh), the in-tree build and
# the kernel's kselftest runner (vm/intree.sh), the rig's self-test and the
# performance gate (instruction counts under icount against
# bench/budget.txt), then the figures (vm/figures.sh).  Every step prints
# its TAP and one line
#   RESULT <step> passed=N failed=N skipped=N
# which are added up here; a step that dies without one counts as one
# failure.  The last line of output is
#   N passed, N failed, N skipped
# and the exit status is non-zero if anything failed.
#
# Usage: vm/check.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

passed=0 failed=0 skipped=0
out=$(mktemp -d)
lanes=()
cleanup() {
	local pid
	for pid in "${lanes[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	rm -rf "$out"
}
trap cleanup EXIT

total() {
	echo
	echo "$passed passed, $failed failed, $skipped skipped"
}

# run <name> <command...>: run a step into $out/<name>.{log,rc,time}.
run() {
	local name=$1 start=$SECONDS rc=0
	shift
	"$@" >"$out/$name.log" 2>&1 || rc=$?
	echo "$rc" >"$out/$name.rc"
	echo "$((SECONDS - start))" >"$out/$name.time"
	echo "#### $name finished (status $rc, $((SECONDS - start))s)"
}

# report <name>: show a step's output and add up its RESULT lines; a step
# that ended without one counts as one failure.
# await <name>: until step <name> of the other lane has finished (at most
# 30 minutes).
await() {
	local i=0
	while [[ ! -e $out/$1.rc ]] && ((i++ < 360)); do
		sleep 5
	done
}

report() {
	local name=$1 rc p f s found=0
	rc=$(cat "$out/$name.rc" 2>/dev/null || echo "never ran")
	echo
	echo "#### $name ($(cat "$out/$name.time" 2>/dev/null || echo ?)s)"
	cat "$out/$name.log" 2>/dev/null || true
	while read -r _ _ p f s; do
		found=1
		passed=$((passed + ${p#passed=}))
		failed=$((failed + ${f#failed=}))
		skipped=$((skipped + ${s#skipped=}))
	done < <(grep -E '^RESULT [^ ]+ passed=[0-9]+ failed=[0-9]+ skipped=[0-9]+$' \
		"$out/$name.log" 2>/dev/null)
	if ((!found)); then
		echo "check: $name ended (status $rc) without a RESULT line"
		failed=$((failed + 1))
	elif [[ $rc != 0 ]] && ! grep -qE '^RESULT .* failed=[1-9]' "$out/$name.log"; then
		echo "check: $name exited with status $rc"
		failed=$((failed + 1))
	fi
}

start=$SECONDS
echo "#### setup"
if ! "$REFSLAB_TOP/vm/setup.sh"; then
	echo "check: set-up failed"
	failed=1
	total
	exit 1
fi
# Kernels first, one at a time: a cold cache builds the debug kernel here
# with every core, before the runs below share them.
echo "#### kernels"
for kernel in stock61 stock612 rt debug kcsan; do
	if ! "$REFSLAB_TOP/vm/kernel.sh" "$kernel" >/dev/null; then
		echo "check: no $kernel kernel"
		failed=1
		total
		exit 1
	fi
done
kernels_time=$((SECONDS - start))
echo "#### kernels ready after ${kernels_time}s"

# Two lanes side by side, each mostly keeping one core busy (a VM runs
# its vCPUs on one host thread), balanced by the steps' measured times
# (README.md).  The stock 6.12 run needs the staging tree of the install
# step.  The in-tree run's kselftest runner runs the same programs on the
# same kernel as the debug run, which has the stress and fuzz figures:
# there they run 5 s and 10 s instead of 15 s and 30 s.  The kcsan run is
# there for the race stress: its fuzzer runs 10 s.  The rig's self-test
# feeds the coverage gate the debug run's data: it waits for that run.
# The outputs are shown whole, in a fixed order, once all have finished.
echo "#### running: lint, install, vm stock61, vm stock612, demo, vm rt, intree, rigtest | vm debug, vm kcsan, perfgate"
(
	run lint "$REFSLAB_TOP/vm/lint.sh"
	run install "$REFSLAB_TOP/vm/install-test.sh"
	run vm-stock61 "$REFSLAB_TOP/vm/run.sh" stock61
	REFSLAB_REQUIRE_INSTALLED=1 run vm-stock612 "$REFSLAB_TOP/vm/run.sh" stock612
	run demo "$REFSLAB_TOP/vm/demo-check.sh"
	run vm-rt "$REFSLAB_TOP/vm/run.sh" rt
	REFSLAB_STRESS_SECONDS=5 REFSLAB_FUZZ_SECONDS=10 \
		run intree "$REFSLAB_TOP/vm/intree.sh"
	await vm-debug
	run rigtest "$REFSLAB_TOP/vm/rigtest.sh"
) &
lanes+=($!)
(
	run vm-debug "$REFSLAB_TOP/vm/run.sh" debug
	REFSLAB_FUZZ_SECONDS=10 run vm-kcsan "$REFSLAB_TOP/vm/run.sh" kcsan
	run perfgate "$REFSLAB_TOP/vm/run.sh" stock612 --mode perfgate
) &
lanes+=($!)
wait "${lanes[@]}" || true
lanes=()

steps=(lint install vm-stock61 vm-stock612 demo vm-rt intree rigtest vm-debug vm-kcsan perfgate)
for name in "${steps[@]}"; do
	report "$name"
done
echo
"$REFSLAB_TOP/vm/figures.sh" stock61 stock612 rt debug kcsan || true
echo
times=
for name in "${steps[@]}"; do
	times+=" $name $(cat "$out/$name.time" 2>/dev/null || echo ?)s"
done
echo "#### step times: set-up and kernels ${kernels_time}s,$times"
echo "#### make check took $((SECONDS - start))s"
total
((failed == 0))

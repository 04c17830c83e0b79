#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: set-up, host builds and lint gates, the VM test runs on
# Debian's stock 6.1 and 6.12 kernels and on the debug kernel, and the
# rig's self-test.  Every step prints its TAP and one line
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
tmp=$(mktemp)
cleanup() { rm -f "$tmp"; }
trap cleanup EXIT

total() {
	echo
	echo "$passed passed, $failed failed, $skipped skipped"
}

# step <name> <command...>: run a step, show its output, add its counts.
step() {
	local name=$1 rc=0 start=$SECONDS p f s found=0
	shift
	echo
	echo "#### $name"
	"$@" 2>&1 | tee "$tmp" || rc=$?
	while read -r _ _ p f s; do
		found=1
		passed=$((passed + ${p#passed=}))
		failed=$((failed + ${f#failed=}))
		skipped=$((skipped + ${s#skipped=}))
	done < <(grep -E '^RESULT [^ ]+ passed=[0-9]+ failed=[0-9]+ skipped=[0-9]+$' "$tmp")
	if ((!found)); then
		echo "check: $name ended (status $rc) without a RESULT line"
		failed=$((failed + 1))
	elif ((rc != 0)) && ! grep -qE '^RESULT .* failed=[1-9]' "$tmp"; then
		echo "check: $name exited with status $rc"
		failed=$((failed + 1))
	fi
	echo "#### $name: $((SECONDS - start))s"
}

start=$SECONDS
echo "#### setup"
if ! "$REFSLAB_TOP/vm/setup.sh"; then
	echo "check: set-up failed"
	failed=1
	total
	exit 1
fi
step lint "$REFSLAB_TOP/vm/lint.sh"
for kernel in stock61 stock612 debug; do
	step "vm $kernel" "$REFSLAB_TOP/vm/run.sh" "$kernel"
done
step rigtest "$REFSLAB_TOP/vm/rigtest.sh"
echo
echo "#### make check took $((SECONDS - start))s"
total
((failed == 0))

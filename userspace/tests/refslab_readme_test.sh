#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash disable=SC2317
#
# The README's examples, run as they are printed, for busybox sh inside
# the test VM.  The userspace Makefile extracts the blocks marked
# "<!-- tested: readme-cli -->" and "<!-- tested: readme-lib -->" from
# README.md into readme-cli.sh and readme-lib.c beside this script and
# compiles the C one (readme-lib, static).
#
# Proves: the CLI block runs under `sh -e` and every comment in it tells
# the truth (the object's info, "hello", generation 1, the refused
# compare-and-swap, "HELLO" read back by the child through fd 3, the
# reclamation after unpin, the counters); the C program runs and prints
# what it says it does (its object, generation 1, ESTALE, HELLO, two
# references); neither leaves an object, a pin or a handle behind.
#
# Output: TAP on stdout.  Exit: 0 all passed, 1 a test failed, 4
# (kselftest skip) if /dev/refslab is missing.

here=$(cd "$(dirname "$0")" && pwd)
# The example calls plain `refslabctl`: the one built beside this test.
PATH=$here:$PATH
export PATH
SYS=/sys/kernel/refslab

T=$(mktemp -d /tmp/refslab_readme_test.XXXXXX) || exit 1
pinned0=

# An example that failed half-way may leave its object pinned.
cleanup() {
	local p
	if [ -c /dev/refslab ]; then
		for p in $(refslabctl pinned 2>/dev/null); do
			case " $pinned0 " in
			*" $p "*) ;;
			*) refslabctl unpin "$p" >/dev/null 2>&1 ;;
			esac
		done
	fi
	rm -rf "$T"
}
trap cleanup EXIT

n=0
failed=0
pass() { n=$((n + 1)); echo "ok $n $1"; }
fail() {
	n=$((n + 1))
	failed=1
	echo "not ok $n $1"
	awk '{ print "#   stdout: " $0 }' "$out" | head -n 30
	awk '{ print "#   stderr: " $0 }' "$err" | head -n 10
}
# t DESCRIPTION CONDITION...: one test; the condition is a command.
t() {
	local desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}
has() { grep -qE -e "$1" "$out"; }
err_has() { grep -qE -e "$1" "$err"; }

echo "TAP version 13"
if [ ! -c /dev/refslab ]; then
	echo "1..0 # SKIP /dev/refslab missing (module not loaded)"
	exit 4
fi
pinned0=$(refslabctl pinned | tr '\n' ' ')
live0=$(cat "$SYS/objects_live")
handles0=$(cat "$SYS/handles_live")

# ---- the CLI block --------------------------------------------------------
out=$T/cli.out
err=$T/cli.err
echo "# README CLI example:"
sed 's/^/#   | /' "$here/readme-cli.sh"
sh -e "$here/readme-cli.sh" >"$out" 2>"$err" </dev/null
rc=$?
t "CLI example: runs to the end under sh -e" [ $rc = 0 ]
id=$(sed -n 's/^id  *\([0-9][0-9]*\)$/\1/p' "$out")
cli_info() {
	[ -n "$id" ] && has "^mode +0644$" && has "^generation +0$" &&
		has "^references +1 "
}
t "CLI example: info shows the new object, mode 0644, generation 0, the pin's reference" cli_info
t "CLI example: read prints hello" has "^hello$"
t "CLI example: write prints the new generation, 1" has "^1$"
cli_stale() {
	has "^stale: not written$" && err_has "\(ESTALE\)"
}
t "CLI example: write --if-generation 0 is refused (ESTALE) and says so" cli_stale
t "CLI example: the child reads HELLO through fd 3 (the stale write wrote nothing)" \
	has "^HELLO$"
t "CLI example: unpin --wait reports object $id reclaimed" \
	has "^object $id reclaimed at [0-9]+\.[0-9]+ "
cli_stats() {
	has "^counter +value$" && has "^objects_live +$live0$" &&
		has "^reclaim_pending +[0-9]+$"
}
t "CLI example: stats shows objects_live back at $live0, and reclaim_pending" cli_stats
cli_gone() {
	! refslabctl pinned | grep -qx "$id" &&
		[ "$(cat "$SYS/objects_live")" = "$live0" ] &&
		[ "$(cat "$SYS/handles_live")" = "$handles0" ]
}
t "CLI example: leaves no object, pin or handle behind" cli_gone

# ---- the C block ----------------------------------------------------------
out=$T/lib.out
err=$T/lib.err
"$here/readme-lib" >"$out" 2>"$err" </dev/null
rc=$?
t "C example: exits 0" [ $rc = 0 ]
t "C example: creates an object" has "^object [1-9][0-9]* created$"
t "C example: the write makes generation 1" has "^written: generation 1$"
t "C example: the compare-and-swap on generation 0 fails with ESTALE" \
	has "^write if generation 0: .*\(ESTALE\)$"
t "C example: reads HELLO back" has "^payload: HELLO$"
t "C example: two handles, two references" has "^references: 2$"
lib_gone() {
	[ "$(cat "$SYS/objects_live")" = "$live0" ] &&
		[ "$(cat "$SYS/handles_live")" = "$handles0" ]
}
t "C example: closing the device released the object" lib_gone

echo "1..$n"
exit $failed

#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# /init of the refslab test VM (busybox initramfs built by vm/run.sh).
#
# The kernel console (ttyS0) is only the kernel's: the host scans it for
# splats.  Results go through a separate channel, the second serial port
# ttyS1, as TAP with section markers the host parses:
#
#   # refslab-section: <rig|selftest|kunit> <name>
#   # refslab-exit: <exit status of the selftest binary>
#
# The very last line is "REFSLAB-RESULT: success", written only after every
# check (the kmemleak scan included) has passed; anything else, including a
# guest that dies or hangs before reaching it, fails the run.
#
# No `set -e`: each failure is reported as a TAP line and the run goes on to
# the end, where it powers off.  If this script itself dies, the kernel
# panics ("Attempted to kill init"), QEMU exits, and the missing success
# line fails the run all the same.

/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
grep -qw tracefs /proc/filesystems &&
	mount -t tracefs tracefs /sys/kernel/tracing
grep -qw cgroup2 /proc/filesystems &&
	mount -t cgroup2 cgroup2 /sys/fs/cgroup

# MODE (test, demo or rigtest), KERNEL and FAULT, written by vm/run.sh.
# shellcheck source=/dev/null
. /etc/refslab.conf
# Tests may scale their work down on the (slow) debug kernel.
export REFSLAB_KERNEL="$KERNEL"

KMEMLEAK=/sys/kernel/debug/kmemleak
# Kernel splats, the same list the host applies to the console log.
# shellcheck source=/dev/null
. /etc/refslab-splats.conf

# Drop leaks from boot so that only ours are reported at the end.
[ -e $KMEMLEAK ] && echo clear >$KMEMLEAK

# The result channel, raw so that lines end in "\n" only.
stty -F /dev/ttyS1 raw -echo 2>/dev/null
exec 3>/dev/ttyS1

failed=0
n=0

out() { echo "$*" >&3; }
section() { out "# refslab-section: $*"; }

# tap <status> <description> [file with diagnostics]: one rig TAP line,
# "ok" when the status is 0; returns the status.
tap() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		out "ok $n $2"
	else
		out "not ok $n $2"
		failed=1
		if [ -n "${3:-}" ]; then
			sed 's/^/# /' "$3" >&3
		fi
	fi
	return "$1"
}

# check <description> <command...>: run a command, one TAP line for it.
check() {
	local desc="$1"
	shift
	"$@" >/tmp/check.out 2>&1 3>&-
	tap $? "$desc" /tmp/check.out
}

load() { insmod /refslab/refslab.ko && [ -c /dev/refslab ]; }

# Every selftest binary, its TAP and exit status to the result channel.
run_selftests() {
	local prog rc t0
	[ -e /selftests/list ] || return 0
	while read -r prog; do
		section selftest "$prog"
		t0=$(date +%s)
		timeout 600 "/selftests/$prog" </dev/null >/tmp/st.out 2>&1 3>&-
		rc=$?
		cat /tmp/st.out >&3
		out "# $prog took $(($(date +%s) - t0)) s in this VM"
		out "# refslab-exit: $rc"
		if [ $rc != 0 ] && [ $rc != 4 ]; then
			failed=1
		fi
		grep -q '^not ok' /tmp/st.out && failed=1
	done </selftests/list
	section rig
}

# Load the KUnit module (its suites run at load), copy every refslab_*
# suite's KTAP results, unload it.
run_kunit() {
	local f suite found=1 t0
	[ -e /refslab/refslab_kunit.ko ] || return 0
	t0=$(date +%s)
	check "insmod refslab_kunit.ko" insmod /refslab/refslab_kunit.ko ||
		return 0
	out "# KUnit suites took $(($(date +%s) - t0)) s in this VM"
	for f in /sys/kernel/debug/kunit/refslab*/results; do
		[ -e "$f" ] || continue
		found=0
		suite=${f%/results}
		suite=${suite##*/}
		section kunit "$suite"
		cat "$f" >/tmp/kunit.out
		cat /tmp/kunit.out >&3
		grep -q 'not ok' /tmp/kunit.out && failed=1
	done
	section rig
	tap $found "KUnit suites refslab_* reported results"
	check "rmmod refslab_kunit" rmmod refslab_kunit
}

cycles() {
	local i=0
	while [ $i -lt 50 ]; do
		load || { echo "insmod $i failed"; return 1; }
		rmmod refslab || { echo "rmmod $i failed"; return 1; }
		i=$((i + 1))
	done
}

# kmemleak only reports objects older than 5 s, and deferred frees may
# still be in flight: wait, scan, wait, scan again, then read the report.
leak_scan() {
	[ -e $KMEMLEAK ] || return 0
	sleep 6
	# A disabled kmemleak refuses the scan (and reports nothing).
	if ! { echo scan >$KMEMLEAK && sleep 2 && echo scan >$KMEMLEAK; } \
		2>/tmp/leaks; then
		tap 1 "kmemleak scans" /tmp/leaks
		return
	fi
	cat $KMEMLEAK >/tmp/leaks
	! [ -s /tmp/leaks ]
	tap $? "kmemleak reports no leak" /tmp/leaks
}

# The host scans the console too; this catches a splat even if the
# console lost it, before success is claimed.
dmesg_scan() {
	dmesg | grep -E "$SPLATS" >/tmp/splats
	! [ -s /tmp/splats ]
	tap $? "kernel log has no splat" /tmp/splats
}

if [ "$MODE" != demo ]; then
	out "TAP version 13"
	out "# refslab $MODE on $KERNEL: Linux $(uname -r)"
	section rig
fi

case $MODE in
test)
	check "insmod refslab.ko creates /dev/refslab" load
	run_selftests
	run_kunit
	check "rmmod refslab" rmmod refslab
	check "50 insmod/rmmod cycles" cycles
	leak_scan
	dmesg_scan
	;;
rigtest)
	# vm/rigtest.sh: a module built with REFSLAB_FAULT=$FAULT; only the
	# part of the sequence that the fault targets, to keep it short.
	check "insmod refslab.ko creates /dev/refslab" load
	[ "$FAULT" = leak ] || run_kunit
	check "rmmod refslab" rmmod refslab
	[ "$FAULT" = kunit ] || leak_scan
	dmesg_scan
	;;
demo)
	# shellcheck source=vm/guest-demo.sh
	. /demo.sh
	;;
*)
	tap 1 "unknown mode '$MODE'"
	;;
esac

[ "$MODE" = demo ] || out "1..$n"
if [ $failed = 0 ]; then
	out "REFSLAB-RESULT: success"
else
	out "REFSLAB-RESULT: failure"
fi
# Test programs never get descriptor 3, so this closes the port's last
# descriptor, which waits until everything written has been sent.
exec 3>&-
sync
reboot -f

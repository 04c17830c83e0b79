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
#   # refslab-section: <rig|selftest|ksft|kunit> <name>
#   # refslab-exit: <exit status of the selftest binary or runner>
#
# and blocks of base64 (a .tar.gz) between "# refslab-gcov-begin" and
# "# refslab-gcov-end" (the module's gcov data), "# refslab-corpus-begin"
# and "# refslab-corpus-end" (the fuzz corpus), for the host to keep.
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

# MODE (test, demo, rigtest, stress, fuzz, bench, perfgate or intree),
# KERNEL, FAULT, CYCLES, PROG_TIMEOUT, BENCH_ARGS and INSTALLED, written
# by vm/run.sh.
# shellcheck source=/dev/null
. /etc/refslab.conf
# Tests may scale their work down on the (slow) debug kernel.
export REFSLAB_KERNEL="$KERNEL"
# Settings for the test programs passed on from the host's environment
# (REFSLAB_STRESS_SECONDS, REFSLAB_FUZZ_ITERS, ...): export lines.
# shellcheck source=/dev/null
[ -e /etc/refslab.env ] && . /etc/refslab.env
# The fuzz corpus the host put in (runs of a KCOV-instrumented module).
if [ -d /fuzz-corpus ]; then
	export REFSLAB_FUZZ_CORPUS=/fuzz-corpus REFSLAB_FUZZ_REQUIRE_KCOV=1
fi

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
		timeout "$PROG_TIMEOUT" "/selftests/$prog" </dev/null \
			>/tmp/st.out 2>&1 3>&-
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

loaded() { grep -q '^refslab ' /proc/modules; }

# The modules listed in /drm/order, in that order, then /dev/dri/card0.
load_drm() {
	local m i=0
	while read -r m; do
		insmod "/drm/$m.ko" || return 1
	done </drm/order
	while [ ! -c /dev/dri/card0 ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -c /dev/dri/card0 ]
}

# The kernel's own kselftest runner over the refslab selftests, as in a
# kernel tree: `make -C tools/testing/selftests TARGETS=refslab run_tests`.
# The programs were built on the host (vm/intree.sh) and make finds them up
# to date.  The runner needs a POSIX shell that parses nested subshells,
# which busybox's does not: /bin/sh is dash while it runs.
run_ksft_runner() {
	local rc t0
	section ksft run_tests
	t0=$(date +%s)
	ln -sf /usr/bin/dash /bin/sh
	(cd /linux && PATH=/usr/bin:/bin timeout $((2 * PROG_TIMEOUT)) \
		make -C tools/testing/selftests \
		TARGETS=refslab summary=1 run_tests) </dev/null >/tmp/ksft.out 2>&1 3>&-
	rc=$?
	ln -sf busybox /bin/sh
	cat /tmp/ksft.out >&3
	# summary=1: each program's output is in /tmp/<program>; a failed
	# one's is shown, as the run's only account of why it failed.
	sed -n 's/^not ok [0-9]* selftests: refslab: \([a-z_]*\).*/\1/p' \
		/tmp/ksft.out | while read -r prog; do
		[ -f "/tmp/$prog" ] && sed 's/^/# /' "/tmp/$prog" >&3
	done
	out "# the kselftest runner took $(($(date +%s) - t0)) s in this VM"
	out "# refslab-exit: $rc"
	[ $rc = 0 ] || failed=1
	grep -q '^not ok' /tmp/ksft.out && failed=1
	section rig
}

# `make install`'s staging tree is laid over / (vm/install-test.sh): make
# its library findable as make install does (ldconfig), then run the
# program built against the installed pkg-config file and shared library.
installed_example() {
	local ex=/opt/refslab-example/pkgconfig-example rc
	echo /usr/local/lib >/etc/ld.so.conf
	/sbin/ldconfig || return 1
	/sbin/ldconfig -p | grep 'librefslab\.so\.1 ' || return 1
	"$ex" >/tmp/example.out 2>&1
	rc=$?
	cat /tmp/example.out
	[ $rc = 0 ] && [ "$(tail -n 1 /tmp/example.out)" = "pkgconfig-example: ok" ]
}

# An in-tree module carries no out-of-tree taint (O).
intree_module() {
	local taint
	taint=$(cat /sys/module/refslab/taint)
	echo "taint: '$taint'"
	case $taint in *O*) return 1 ;; esac
}

# busy <dev|objfd>: with only that file holding the module, rmmod must
# fail and leave it loaded (guest-holder runs rmmod while it holds it).
busy() {
	guest-holder busy "$1" rmmod refslab && loaded
}

# Read every file refslab shows (sysfs, debugfs, module parameters) over
# and over until /tmp/stop-reading appears, and count the reads that
# found the module there, into /tmp/reads.  Run beside the load/unload
# cycles, so that files are read while init builds what they read and
# while exit tears it down.
read_loop() {
	local n=0 f
	while [ ! -e /tmp/stop-reading ]; do
		for f in /sys/kernel/refslab/* /sys/kernel/refslab/*/* \
			/sys/kernel/refslab/classes/*/* \
			/sys/kernel/debug/refslab/* \
			/sys/module/refslab/parameters/*; do
			[ -f "$f" ] && cat "$f" >/dev/null 2>&1 && n=$((n + 1))
		done
	done
	echo "$n" >/tmp/reads
}

# $CYCLES times: load, create a few hundred objects and close the device
# (so that they wait for their grace period), unload at once, while
# read_loop reads every file the module shows.  Each unload must succeed
# (exit waits with rcu_barrier()); a slab cache destroyed with objects
# left in it, or a file read while what it shows was not there, would
# show in the splat scans.  Writes how many unloads had objects pending,
# and how many files were read, to /tmp/cycles.note.
cycles() {
	local i=0 p busy=0 max=0 reader rc=0
	rm -f /tmp/stop-reading /tmp/reads
	read_loop &
	reader=$!
	while [ $i -lt "$CYCLES" ]; do
		load || { echo "cycle $i: insmod failed"; rc=1; break; }
		if ! guest-holder cycle 300 >/tmp/cycle.out 2>&1; then
			cat /tmp/cycle.out
			echo "cycle $i: unload failed"
			rc=1
			break
		fi
		p=$(sed -n 's/^pending=//p' /tmp/cycle.out)
		p=${p:-0}
		[ "$p" -gt 0 ] && busy=$((busy + 1))
		[ "$p" -gt "$max" ] && max=$p
		! loaded || { echo "cycle $i: refslab still loaded"; rc=1; break; }
		i=$((i + 1))
	done
	touch /tmp/stop-reading
	wait $reader
	echo "objects pending reclamation at $busy of $CYCLES unloads" \
		"(at most $max); $(cat /tmp/reads) sysfs, debugfs and" \
		"parameter files read meanwhile" >/tmp/cycles.note
	[ $rc = 0 ] || return 1
	# Unloading with nothing pending proves nothing about rcu_barrier(),
	# and a reader that never found the files tested nothing.
	if [ $busy -eq 0 ] || [ "$(cat /tmp/reads)" -eq 0 ]; then
		cat /tmp/cycles.note
		return 1
	fi
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

# send_tgz <name> <dir>: the files of <dir> as a base64 .tar.gz between
# "# refslab-<name>-begin" and "# refslab-<name>-end".
send_tgz() {
	out "# refslab-$1-begin"
	tar -C "$2" -czf - . | base64 >&3
	out "# refslab-$1-end"
}

# The gcov data of a module built with REFSLAB_COVERAGE=1, to the host.
# It outlives the module (gcov_persist), adding up over every load.
# debugfs files have no size, which tar would copy: copy them with cat
# first.
gcov_send() {
	local d=/sys/kernel/debug/gcov f rel files
	[ -d $d ] || return 0
	rm -rf /tmp/gcov
	mkdir -p /tmp/gcov
	find $d -name '*.gcda' >/tmp/gcda.list
	while read -r f; do
		rel=${f#"$d"}
		mkdir -p "/tmp/gcov${rel%/*}"
		cat "$f" >"/tmp/gcov$rel" || return 1
	done </tmp/gcda.list
	files=$(grep -c . /tmp/gcda.list)
	[ "$files" -gt 0 ] || return 0
	send_tgz gcov /tmp/gcov
	out "# gcov data of $files object files sent"
}

# The host scans the console too; this catches a splat even if the
# console lost it, before success is claimed.
dmesg_scan() {
	dmesg | awk -f /etc/splat-filter.awk | grep -E "$SPLATS" >/tmp/splats
	! [ -s /tmp/splats ]
	tap $? "kernel log has no splat" /tmp/splats
}

if [ "$MODE" != demo ]; then
	out "TAP version 13"
	out "# refslab $MODE on $KERNEL: Linux $(uname -r), $(nproc) CPUs"
	section rig
fi

case $MODE in
test)
	check "insmod refslab.ko creates /dev/refslab" load
	run_selftests
	run_kunit
	if [ "${INSTALLED:-0}" = 1 ]; then
		check "a program built with pkg-config against the installed librefslab.so.1 runs" \
			installed_example
	elif [ "$KERNEL" = stock612 ]; then
		tap 0 "installed librefslab # SKIP no staging tree: run vm/install-test.sh first"
	fi
	if [ -x /bench/refslab_bench ]; then
		t0=$(date +%s)
		check "refslab_bench --smoke" /bench/refslab_bench --smoke
		out "# refslab_bench --smoke took $(($(date +%s) - t0)) s in this VM"
	fi
	check "rmmod refslab fails while a /dev/refslab file is open" busy dev
	check "rmmod refslab fails while only an exported object file is open" \
		busy objfd
	check "rmmod refslab succeeds once those files are closed" rmmod refslab
	t0=$(date +%s)
	check "$CYCLES cycles: insmod, 300 objects (30 pinned), close, rmmod at once, every sysfs, debugfs and parameter file read meanwhile" cycles
	out "# $(cat /tmp/cycles.note 2>/dev/null)"
	out "# the cycles took $(($(date +%s) - t0)) s in this VM"
	# On the debug kernel only, for its KASAN, kmemleak and coverage: the
	# kcsan kernel has the filter too, but its lane has no time for it.
	if [ "$KERNEL" = debug ] &&
		[ -e /sys/kernel/debug/failslab/require-start ]; then
		t0=$(date +%s)
		check "module init unwinds from each of its allocations failing (init sweep)" \
			guest-holder init-sweep /refslab/refslab.ko
		out "# $(grep '^init sweep:' /tmp/check.out), $(($(date +%s) - t0)) s in this VM"
	else
		tap 0 "init sweep # SKIP not the debug kernel, or no failslab stack trace filter"
	fi
	# (not through check, which closes the result channel)
	gcov_send >/tmp/gcov.out 2>&1
	tap $? "gcov data sent to the host" /tmp/gcov.out
	leak_scan
	dmesg_scan
	;;
rigtest)
	# vm/rigtest.sh: a module built with REFSLAB_FAULT=$FAULT; only the
	# part of the sequence that the fault targets, to keep it short (the
	# selftests list holds only what the fault needs, if anything).
	check "insmod refslab.ko creates /dev/refslab" load
	run_selftests
	case $FAULT in
	leak | skipput) ;;
	*) run_kunit ;;
	esac
	check "rmmod refslab" rmmod refslab
	[ "$FAULT" = kunit ] || leak_scan
	dmesg_scan
	;;
stress)
	# `make stress`: the stress and fuzz programs only, as long as the
	# host asked (REFSLAB_STRESS_SECONDS, REFSLAB_FUZZ_ITERS, ...).
	check "insmod refslab.ko creates /dev/refslab" load
	run_selftests
	check "rmmod refslab" rmmod refslab
	leak_scan
	dmesg_scan
	;;
fuzz)
	# `make fuzz`: refslab_fuzz alone, from the corpus and as long as
	# the host asked; the corpus it ends with goes back to the host.
	check "insmod refslab.ko creates /dev/refslab" load
	run_selftests
	send_tgz corpus /fuzz-corpus
	check "rmmod refslab" rmmod refslab
	leak_scan
	dmesg_scan
	;;
intree)
	# vm/intree.sh: the modules built inside the kernel tree, the
	# kernel's own kselftest runner, KUnit, then the leak and splat scans.
	check "insmod refslab.ko (built in the kernel tree) creates /dev/refslab" load
	check "refslab is an in-tree module (not tainted O)" intree_module
	run_ksft_runner
	run_kunit
	check "rmmod refslab" rmmod refslab
	# No leak scan: kmemleak is off here (vm/run.sh).
	dmesg_scan
	;;
bench)
	# `make bench`: the benchmark's table streams to the host as it is
	# printed; its JSON follows between two markers for the host to keep.
	# The peers' DRM modules (vgem and its dependencies) first, if any.
	check "insmod refslab.ko creates /dev/refslab" load
	[ ! -e /drm/order ] || check "insmod vgem and the DRM modules it needs" load_drm
	section bench refslab_bench
	# shellcheck disable=SC2086 # BENCH_ARGS is a list of words
	/bench/refslab_bench --json /tmp/bench.json $BENCH_ARGS \
		</dev/null >&3 2>&1 3>&-
	rc=$?
	out "# refslab-json-begin"
	cat /tmp/bench.json >&3 2>/dev/null
	out ""
	out "# refslab-json-end"
	section rig
	tap $rc "refslab_bench ran (exit status $rc)"
	[ -s /tmp/bench.json ]
	tap $? "refslab_bench wrote its JSON"
	check "rmmod refslab" rmmod refslab
	dmesg_scan
	;;
perfgate)
	# The performance gate (`make check`): the hot operations'
	# instruction counts, "# refslab-gate: OP N" lines the host compares
	# with bench/budget.txt.
	check "insmod refslab.ko creates /dev/refslab" load
	# shellcheck disable=SC2086 # BENCH_ARGS is a list of words
	/bench/refslab_bench --gate $BENCH_ARGS </dev/null >/tmp/gate.out 2>&1 3>&-
	rc=$?
	cat /tmp/gate.out >&3
	tap $rc "refslab_bench --gate ran (exit status $rc)" /tmp/gate.out
	check "rmmod refslab" rmmod refslab
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

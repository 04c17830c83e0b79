#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot one kernel in QEMU (TCG) with the refslab module and its tests, and
# judge the run.
#
# Usage: vm/run.sh <stock61|stock612|rt|debug|kcsan>
#                  [--mode test|demo|rigtest|stress|fuzz|bench|perfgate|intree]
#                  [--smp N] [--fault leak|warn|kunit|skipput|race|slow]
#                  [--icount on|off] [--timeout SECONDS] [-- BENCHMARK ARGS...]
#
# Modes: test (everything, `make check`), demo (`make demo`), rigtest (a
# fault-injected module, vm/rigtest.sh), stress (only refslab_stress and
# refslab_fuzz, `make stress`), fuzz (debug kernel only: refslab_fuzz
# guided by KCOV from the corpus in $REFSLAB_CACHE/fuzz-corpus, which the
# corpus it ends with replaces, `make fuzz`), bench (refslab_bench, `make bench`),
# intree (debug kernel only: the modules built inside the kernel tree and
# the kernel's own kselftest runner, prepared by vm/intree.sh), perfgate
# (`make check`'s performance gate: refslab_bench --gate, its instruction
# counts against bench/budget.txt, see vm/perfgate.sh).
# --smp: vCPUs (default 4 for the stock612, rt and kcsan test runs and for
# stress, 1 for perfgate, else 2).
# --icount: QEMU -icount shift=0,sleep=off (one guest ns per guest
# instruction) and nokaslr, for deterministic counts; default on in bench
# and perfgate modes, off in the others.
#
# Kernels: Debian's stock 6.1 and 6.12, rt (Debian's PREEMPT_RT 6.12), and
# two built from linux-source-6.12 by vm/kernel.sh: debug (KASAN, lockdep,
# kmemleak, ...) and kcsan (the data-race detector KCSAN and lockdep).
#
# The module is built for that kernel in build/<kernel>[-fault-F]/module
# (a copy of Kbuild, module/ and uapi/), the kselftests and the userspace
# tests in build/tests-*, the benchmark in build/bench-bin, and all go into
# a busybox initramfs whose /init is vm/guest-init.sh, with
# vm/guest-holder.c (static) as /bin/guest-holder.  The userspace tests
# test userspace, not the kernel: they run on stock612 only.
#
# Test programs get, besides REFSLAB_KERNEL, every REFSLAB_STRESS_*,
# REFSLAB_FUZZ_* and REFSLAB_BENCH_* variable of the host's environment.
#
# In bench mode the benchmark's table streams to the terminal, its JSON is
# saved to build/bench/<kernel>.json and bench/plot.py draws
# build/bench/<kernel>.svg from it; on stock612 the kernel's own vgem and
# the DRM modules it needs are loaded first (its GEM rows are peers).
# On the debug kernel, the test and fuzz runs build the module with
# REFSLAB_COVERAGE=1 (gcov and KCOV, in build/debug/src-coverage): the
# test run ends with the gcov data of the whole suite, which
# vm/coverage.py turns into line and branch coverage of module/ (TAP
# lines here, reports in build/coverage/), failing the run below its
# threshold; refslab_fuzz starts from the fuzz corpus in both runs.
# The whole kernel console is saved to build/.../<mode>/console.log; the
# guest reports TAP through a second serial port into results.tap.
#
# The run FAILS on: QEMU timeout or error; no "REFSLAB-RESULT: success" as
# the last result line; any "not ok" (selftest, KUnit case or suite, rig
# check); a selftest that exits neither 0 nor 4 or reports fewer tests than
# it planned; any kernel splat in the console log.
#
# Prints the TAP as it arrives, then the host's own checks, then one line
#   RESULT <kernel> passed=N failed=N skipped=N
# (also written to build/.../<mode>/summary with one "fail: ..." line per
# failure).  Exit status: 0 pass, 1 the run failed, 2 the rig could not
# build or boot (counted as one failure in RESULT).
#
# REFSLAB_BOOT_ARGS: more kernel parameters (e.g. rcu_nocbs=all).
# REFSLAB_SRC_TOP (default: this repository) is where Kbuild, module/,
# uapi/, selftests/refslab/ and userspace/ are taken from.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
	sed -n 's/^# \{0,1\}//; 6,9p' "$0" >&2
	exit 2
}

kernel=${1:-}
case $kernel in
stock61 | stock612 | rt | debug | kcsan) ;;
*) usage ;;
esac
shift
mode="test"
fault=
icount=
vm_timeout=
smp=
bench_args=()
while (($#)); do
	case $1 in
	--mode) mode=${2:-}; shift 2 || usage ;;
	--fault) fault=${2:-}; shift 2 || usage ;;
	--icount) icount=${2:-}; shift 2 || usage ;;
	--timeout) vm_timeout=${2:-}; shift 2 || usage ;;
	--smp) smp=${2:-}; shift 2 || usage ;;
	--) shift; bench_args=("$@"); break ;;
	*) usage ;;
	esac
done
case $mode in
test | demo | rigtest | stress | bench | perfgate) ;;
intree | fuzz) [[ $kernel == debug ]] || usage ;;
*) usage ;;
esac
case $fault in
'' | leak | warn | kunit | skipput | race | slow) ;;
*) usage ;;
esac
[[ -z $smp || $smp =~ ^[1-9][0-9]?$ ]] || usage
if [[ -z $icount ]]; then
	[[ $mode == bench || $mode == perfgate ]] && icount=on || icount=off
fi
[[ $icount == on || $icount == off ]] || usage
# The benchmark labels its figures instructions under icount.
[[ $icount == off || ($mode != bench && $mode != perfgate) ]] ||
	bench_args=(--icount "${bench_args[@]}")
if [[ -z $smp ]]; then
	# Issue 7: the race stress runs with 4 vCPUs; so do the test runs
	# of the kernels that look for races (rt, kcsan).
	if [[ $mode == stress || ($mode == test &&
		($kernel == stock612 || $kernel == rt || $kernel == kcsan)) ]]; then
		smp=4
	elif [[ $mode == perfgate ]]; then
		# Under icount the other vCPU's instructions advance the same
		# clock: the gate's counts come from a VM with only one.
		smp=1
	else
		smp=2
	fi
fi

# What the test programs get from the host's environment: a word of
# letters, digits and . , : / = _ - (it goes into a shell file).
env_lines=
while IFS='=' read -r name val; do
	[[ $val =~ ^[A-Za-z0-9.,:/=_-]*$ ]] ||
		{ echo "vm: error: $name: unsupported characters" >&2; exit 2; }
	env_lines+="export $name='$val'"$'\n'
done < <(env | grep -E '^REFSLAB_(STRESS|FUZZ|BENCH)_[A-Z0-9_]*=' | sort)
for word in "${bench_args[@]}"; do
	[[ $word =~ ^[A-Za-z0-9.,:/=_+@-]*$ ]] ||
		{ echo "vm: error: benchmark argument '$word': unsupported characters" >&2; exit 2; }
done

# How long one test program may take in the guest: stress and fuzz get
# the time they were asked for, and more.
env_secs() {
	local v
	v=$(env | sed -n "s/^$1=\([0-9]*\)$/\1/p")
	echo "${v:-0}"
}
long=$(($(env_secs REFSLAB_STRESS_SECONDS) + $(env_secs REFSLAB_FUZZ_SECONDS)))
prog_timeout=$((600 + long))
# Under KASAN or KCSAN and lockdep, TCG is slow: generous, but finite.
if [[ -z $vm_timeout ]]; then
	[[ $kernel == debug || $kernel == kcsan ]] && vm_timeout=1200 || vm_timeout=600
	# The full benchmark (1 000 000 live objects), slower under icount.
	[[ $mode != bench ]] || vm_timeout=2400
	vm_timeout=$((vm_timeout + 2 * long))
fi

# Issue 15: the debug kernel's test run stresses and fuzzes for longer
# than the programs' defaults (15 s and 30 s), unless told otherwise.
if [[ $mode == test && $kernel == debug ]]; then
	for v in REFSLAB_STRESS_SECONDS=45 REFSLAB_FUZZ_SECONDS=45; do
		(($(env_secs "${v%%=*}") > 0)) ||
			env_lines+="export ${v%%=*}='${v#*=}'"$'\n'
	done
fi

# Coverage (gcov, KCOV) of the module on the debug kernel, in the runs
# that use it; the fuzz corpus they start from.
coverage=
[[ $kernel == debug && -z $fault && ($mode == test || $mode == fuzz) ]] &&
	coverage=1
corpus=${REFSLAB_CORPUS:-$REFSLAB_CACHE/fuzz-corpus}

src_top=${REFSLAB_SRC_TOP:-$REFSLAB_TOP}
tag=$kernel${fault:+-fault-$fault}
bdir=$REFSLAB_BUILD/$tag
rdir=$bdir/$mode
judged=0
qemu_pid=
stream_pid=

cleanup() {
	local rc=$?
	[[ -n $qemu_pid ]] && kill "$qemu_pid" 2>/dev/null
	[[ -n $stream_pid ]] && kill "$stream_pid" 2>/dev/null
	if ((!judged)); then
		echo "RESULT $tag passed=0 failed=1 skipped=0"
		((rc == 0)) && rc=2
	fi
	exit "$rc"
}
trap cleanup EXIT

# A rig error (no kernel, a failed build): exit 2, counted as one failure.
die() {
	echo "vm: error: $*" >&2
	exit 2
}

# 1. The kernel and its module build directory.
kinfo=$("$REFSLAB_TOP/vm/kernel.sh" "$kernel") || die "no $kernel kernel"
image=$(sed -n 's/^image=//p' <<<"$kinfo")
kdir=$(sed -n 's/^kdir=//p' <<<"$kinfo")
[[ -f $image && -d $kdir ]] || die "vm/kernel.sh $kernel gave no image/kdir"

# 2. The module, built for this kernel in a copy of the sources (in
# intree mode: built inside the kernel tree by vm/intree.sh).
if [[ $mode == intree ]]; then
	intree=$REFSLAB_BUILD/intree
	kodir=$intree/ko
	[[ -d $intree/root/linux ]] || die "no $intree/root: run vm/intree.sh"
else
	log "building the module for $kernel${fault:+ with REFSLAB_FAULT=$fault}"
	kodir=$bdir/src${coverage:+-coverage}
	build_module "$src_top" "$kodir" "$kdir" \
		${fault:+"REFSLAB_FAULT=$fault"} ${coverage:+REFSLAB_COVERAGE=1} ||
		die "cannot build the module"
fi
mapfile -t kos < <(find "$kodir" -name 'refslab*.ko' | sort)
((${#kos[@]})) || die "no refslab*.ko in $kodir"
# A kernel with KUnit must get the KUnit module, or its tests silently vanish.
if grep -qx 'CONFIG_KUNIT=y' "$kdir/.config" 2>/dev/null &&
	[[ " ${kos[*]##*/} " != *" refslab_kunit.ko "* ]]; then
	die "$kernel has CONFIG_KUNIT=y but no refslab_kunit.ko was built"
fi

# 3. Test programs (static, kernel independent): the kselftests and the
# userspace tests, each set built into its own dir under build/ and copied
# whole (helpers included) to /selftests/<set>/ in the guest, which runs
# the programs listed in /selftests/list in order.  refslabctl goes into
# /bin.  Runs side by side may build them at the same time: hence the locks.
stage=$rdir/initramfs
rm -rf "$rdir"
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,etc,refslab,selftests}
# intree: the selftests part of the kernel tree, make and dash.
[[ $mode != intree ]] || cp -a "$intree/root/." "$stage/"
: >"$stage/selftests/list"

# add_tests <set> <source dir> <build target> <list target> [program...]
# With programs named, only those are run.
add_tests() {
	local set=$1 dir=$2 target=$3 list=$4 ksft p
	shift 4
	local -a only=("$@")
	local outdir=$REFSLAB_BUILD/tests-$set
	local -a progs=()
	ksft=$(source_tree)/tools/testing/selftests
	mkdir -p "$outdir"
	locked "$set" make -s -C "$dir" "$target" OUTPUT="$outdir" \
		KSFT_DIR="$ksft" >&2 || die "$set tests: build failed"
	mapfile -t progs < <(make -s -C "$dir" "$list")
	((${#progs[@]})) || die "$set tests: '$list' lists no programs"
	locked "$set" cp -r "$outdir" "$stage/selftests/$set"
	if ((${#only[@]})); then
		for p in "${only[@]}"; do
			[[ " ${progs[*]} " == *" $p "* ]] ||
				die "$set tests: '$list' does not list $p"
		done
		progs=("${only[@]}")
	fi
	for p in "${progs[@]}"; do
		[[ -x $stage/selftests/$set/$p ]] || die "$set tests: $p was not built"
		echo "$set/$p" >>"$stage/selftests/list"
	done
}

selftests=$src_top/selftests/refslab
case $mode in
test)
	if [[ -d $selftests && $kernel == kcsan ]]; then
		# Not the fault-injection sweeps on kcsan: they run one thread,
		# which gives KCSAN no race to see; they run on debug, under
		# KASAN and kmemleak.
		mapfile -t progs < <(make -s -C "$selftests" print-progs |
			grep -vx refslab_failnth_test)
		add_tests selftests "$selftests" all print-progs "${progs[@]}"
	elif [[ -d $selftests ]]; then
		add_tests selftests "$selftests" all print-progs
	fi
	;;
stress)
	[[ -d $selftests ]] || die "no selftests/refslab for the stress run"
	add_tests selftests "$selftests" all print-progs \
		refslab_stress refslab_fuzz
	;;
fuzz)
	[[ -d $selftests ]] || die "no selftests/refslab for the fuzz run"
	add_tests selftests "$selftests" all print-progs refslab_fuzz
	;;
rigtest)
	# The put skipped on an error path is for the fault-injection sweep
	# to find, the data race for KCSAN under the race stress.
	[[ $fault != skipput ]] ||
		add_tests selftests "$selftests" all print-progs \
			refslab_failnth_test
	[[ $fault != race ]] ||
		add_tests selftests "$selftests" all print-progs refslab_stress
	;;
esac

# The benchmark: its own run (bench mode) and a smoke run in the stock612
# test run.
if [[ $mode == bench || $mode == perfgate ||
	($mode == test && $kernel == stock612) ]]; then
	bench_err=
	if [[ ! -e $src_top/bench/Makefile ]]; then
		bench_err="no bench/Makefile"
	elif ! locked bench make -s -C "$src_top/bench" \
		OUTPUT="$REFSLAB_BUILD/bench-bin" >"$rdir/bench-build.log" 2>&1; then
		bench_err="bench build failed: $(tail -n 3 "$rdir/bench-build.log")"
	elif [[ ! -x $REFSLAB_BUILD/bench-bin/refslab_bench ]]; then
		bench_err="make -C bench built no refslab_bench"
	else
		mkdir -p "$stage/bench"
		locked bench cp -r "$REFSLAB_BUILD/bench-bin/." "$stage/bench/"
	fi
	# The benchmark's own run needs it; the test run goes on without it
	# and counts the missing smoke run as a failure.
	[[ -z $bench_err || $mode == test ]] || die "$bench_err"
fi

# bench: the peers' DRM modules, vgem and what it depends on (modinfo's
# depends=, recursively), from the stock kernel image, decompressed for
# busybox insmod; /drm/order lists them dependencies first.
if [[ $mode == bench && $kernel == stock612 ]]; then
	mods=$(dirname "$(dirname "$image")")/lib/modules/$(kernel_release "$kernel")
	mkdir -p "$stage/drm"
	: >"$stage/drm/order"
	stage_module() {
		local name=$1 ko dep
		[[ -e $stage/drm/$name.ko ]] && return 0
		ko=$(find "$mods/kernel" -name "$name.ko.xz" | head -n 1)
		[[ -n $ko ]] || die "no $name.ko.xz under $mods"
		for dep in $(/sbin/modinfo -F depends "$ko" | tr , ' '); do
			stage_module "$dep"
		done
		xz -dc "$ko" >"$stage/drm/$name.ko"
		echo "$name" >>"$stage/drm/order"
	}
	stage_module vgem
fi

# The lifecycle checks' helper, static for the busybox initramfs.
if [[ $mode == test ]]; then
	hdir=$REFSLAB_BUILD/guest-holder
	mkdir -p "$hdir"
	locked guest-holder gcc -static -O2 -Wall -Wextra -Werror \
		-I"$src_top/uapi" -o "$hdir/guest-holder" \
		"$REFSLAB_TOP/vm/guest-holder.c" || die "guest-holder: build failed"
	locked guest-holder cp "$hdir/guest-holder" "$stage/bin/"
fi

if [[ $mode != rigtest && $mode != stress && $mode != intree &&
	-d $src_top/userspace ]]; then
	locked userspace make -s -C "$src_top/userspace" >&2 ||
		die "userspace build failed"
	ctl=$src_top/userspace/cli/refslabctl
	if [[ -x $ctl ]]; then
		locked userspace cp "$ctl" "$stage/bin/"
	fi
	if [[ $mode == test && $kernel == stock612 ]] &&
		make -s -C "$src_top/userspace" -n print-tests >/dev/null 2>&1; then
		add_tests userspace "$src_top/userspace" tests print-tests
	fi
fi

# The installed library (vm/install-test.sh): on stock612, in test mode,
# its staging tree goes over the guest's / and a program built against
# its pkg-config file runs there, with the dynamic loader, libc and
# ldconfig of the host.  REFSLAB_REQUIRE_INSTALLED=1 (make check) makes a
# missing staging tree an error instead of a skip.
installed=0
itest=$REFSLAB_BUILD/install-test
if [[ $mode == test && $kernel == stock612 ]]; then
	if [[ -d $itest/destdir && -x $itest/pkgconfig-example ]]; then
		cp -a "$itest/destdir/." "$stage/"
		mkdir -p "$stage/opt/refslab-example" "$stage/sbin"
		cp "$itest/pkgconfig-example" "$stage/opt/refslab-example/"
		cp /sbin/ldconfig "$stage/sbin/"
		stage_libs "$stage" "$itest/pkgconfig-example"
		installed=1
	elif [[ ${REFSLAB_REQUIRE_INSTALLED:-0} == 1 ]]; then
		die "no $itest/destdir and pkgconfig-example: run vm/install-test.sh first"
	fi
fi

# 4. The initramfs.
cp /bin/busybox "$stage/bin/busybox"
install -m 755 "$REFSLAB_TOP/vm/guest-init.sh" "$stage/init"
install -m 644 "$REFSLAB_TOP/vm/guest-demo.sh" "$stage/demo.sh"
install -m 644 "$REFSLAB_TOP/vm/splat-filter.awk" "$stage/etc/splat-filter.awk"
cp "${kos[@]}" "$stage/refslab/"
if [[ -n $coverage ]]; then
	mkdir -p "$stage/fuzz-corpus"
	[[ ! -d $corpus ]] || cp -r "$corpus/." "$stage/fuzz-corpus/"
fi
# Load/unload cycles with objects pending (issue 7): 100 on Debian's stock
# 6.12 kernel (0.5-0.6 s each), 50 on its 6.1 (whose lane of make check is
# the longer, and which runs the same module code); 30 on its PREEMPT_RT kernel,
# which gives RT's locking the same races of init and exit with the file
# readers in a third of the time; 15 on debug (about 2.3 s each), where
# the init sweep of vm/guest-holder.c loads and unloads the module some
# 340 times more; 10 on kcsan (3.5 s each), whose run is there for the
# race stress.
case $kernel in
stock612) cycles=100 ;;
stock61) cycles=50 ;;
rt) cycles=30 ;;
debug) cycles=15 ;;
*) cycles=10 ;;
esac
printf "MODE=%s\nKERNEL=%s\nFAULT=%s\nCYCLES=%s\nPROG_TIMEOUT=%s\nBENCH_ARGS='%s'\nINSTALLED=%s\n" \
	"$mode" "$kernel" "$fault" "$cycles" "$prog_timeout" "${bench_args[*]}" \
	"$installed" >"$stage/etc/refslab.conf"
printf '%s' "$env_lines" >"$stage/etc/refslab.env"
# The in-tree run boots with kmemleak off (below): its "detector
# disabled" is asked for there, not a splat.
[[ $mode != intree ]] || SPLAT_RE=${SPLAT_RE/detector disabled|/}
printf "SPLATS='%s'\n" "$SPLAT_RE" >"$stage/etc/refslab-splats.conf"
((EUID == 0)) && mknod -m 600 "$stage/dev/console" c 5 1
(cd "$stage" && find . -print0 | sort -z |
	cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$rdir/initramfs.cpio.gz"

# 5. Boot.  ttyS0 is the kernel console, ttyS1 the result channel.
# panic_on_warn stops a run at its first warning.  Not on the kcsan
# kernel: KCSAN would panic on a race of the core kernel's own too, which
# the splat scan leaves out (vm/splat-filter.awk); there a WARN fails the
# run through the scan instead.
cmdline="console=ttyS0 panic=-1 oops=panic slab_nomerge"
[[ $kernel == kcsan ]] || cmdline+=" panic_on_warn=1"
# kmemleak on debug, but not in the in-tree run: the debug run scans the
# same code for leaks, and tracking every allocation is a good part of
# what the in-tree run's kselftest runner would wait for.
if [[ $kernel == debug ]]; then
	[[ $mode == intree ]] && cmdline+=" kmemleak=off" || cmdline+=" kmemleak=on"
fi
# KCSAN under TCG: QEMU runs one vCPU at a time (thread=single, above), so
# the other vCPUs never run while a watchpoint waits, and KCSAN sees a race
# only between tasks of one vCPU, when the watching task is preempted: for
# that its interrupts stay on while it watches (interrupt_watcher), and it
# watches 2 ms instead of 80 us (udelay_task), about one tick of the guest.
# With the defaults an unlocked counter bumped by every command passed the
# race stress unseen (vm/rigtest.sh race).
[[ $kernel == kcsan ]] &&
	cmdline+=" kcsan.interrupt_watcher=1 kcsan.udelay_task=2000"
icount_args=()
if [[ $icount == on ]]; then
	icount_args=(-icount "shift=0,sleep=off")
	cmdline+=" nokaslr"
fi
# More kernel parameters from the host, e.g. REFSLAB_BOOT_ARGS=rcu_nocbs=all
# to measure what they change: words of letters, digits and . , : = _ -
if [[ -n ${REFSLAB_BOOT_ARGS:-} ]]; then
	[[ $REFSLAB_BOOT_ARGS =~ ^[A-Za-z0-9.,:=_\ -]*$ ]] ||
		die "REFSLAB_BOOT_ARGS: unsupported characters"
	cmdline+=" $REFSLAB_BOOT_ARGS"
fi
console=$rdir/console.log
results=$rdir/results.raw
log "booting $kernel ($(basename "$image"), mode $mode, $smp vCPUs, icount $icount, timeout ${vm_timeout}s); console: $console"
: >"$results"
start=$SECONDS
# One host thread runs every vCPU in turn (thread=single): multi-threaded
# TCG lets a vCPU run stale code while another patches it (static keys,
# tracepoints), which shows up as a spurious int3 Oops in the guest.
timeout -k 10 "$vm_timeout" qemu-system-x86_64 \
	-nodefaults -display none -no-reboot \
	-accel tcg,thread=single -cpu max -smp "$smp" -m 2048 "${icount_args[@]}" \
	-kernel "$image" -initrd "$rdir/initramfs.cpio.gz" -append "$cmdline" \
	-serial "file:$console" -serial "file:$results" \
	</dev/null 2>"$rdir/qemu.stderr" &
qemu_pid=$!

# Show the result channel live: TAP indented, the demo and the
# benchmark's table as they are (the JSON goes to a file, below).
if [[ $mode == demo ]]; then
	filter='s/\r$//; /^REFSLAB-RESULT: /d'
elif [[ $mode == bench || $mode == perfgate ]]; then
	filter='s/\r$//; /^# refslab-json-begin/,/^# refslab-json-end/d; /^# refslab-section: /d; /^REFSLAB-RESULT: /d'
else
	echo "== $tag: TAP (result channel) =="
	filter='s/\r$//; /^# refslab-\(gcov\|corpus\)-begin/,/^# refslab-\(gcov\|corpus\)-end/d; s/^/    /'
fi
tail -n +1 -F --pid="$qemu_pid" "$results" 2>/dev/null | sed -u "$filter" &
stream_pid=$!

qemu_rc=0
wait "$qemu_pid" || qemu_rc=$?
qemu_pid=
wait "$stream_pid" || true
stream_pid=
elapsed=$((SECONDS - start))

# 6. Judge.
tr -d '\r' <"$results" >"$rdir/results.tap"
summary=$rdir/summary
# shellcheck disable=SC2016
counts=$(awk '
function fail(what) { failed++; print "fail: " what > "/dev/stderr" }
function where() { return sec (name == "" ? "" : " " name) }
function endsec() {
	if (sec == "selftest") {
		if (!exit_seen)
			fail("selftest " name " did not finish")
		else if (status != 0 && status != 4 && !notok)
			fail("selftest " name " exited " status " with no failing test")
		if (exit_seen && plan >= 0 && plan != lines)
			fail("selftest " name " planned " plan " tests, reported " lines)
	} else if (sec == "ksft") {
		if (!exit_seen)
			fail("kselftest runner did not finish")
		else if (status != 0)
			fail("kselftest runner: make exited " status)
		if (plan <= 0)
			fail("kselftest runner: no plan")
		else if (plan != lines)
			fail("kselftest runner planned " plan " tests, reported " lines)
	} else if (sec == "kunit") {
		if (suite_notok && !notok)
			fail("kunit " name ": suite failed outside its cases")
		if (!lines)
			fail("kunit " name ": no test cases")
	}
	notok = lines = exit_seen = suite_notok = 0
	plan = -1
}
function count(line) {
	lines++
	if (tolower(line) ~ /#[ \t]*skip/) {
		skipped++
	} else if (line ~ /^[ \t]*not ok/) {
		notok++
		fail(where() ": " line)
	} else {
		passed++
	}
}
BEGIN { sec = "rig"; plan = -1 }
/^# refslab-section: / { endsec(); sec = $3; name = $4; next }
/^# refslab-exit: / { status = $3 + 0; exit_seen = 1; next }
(sec == "selftest" || sec == "ksft") && /^1\.\.[0-9]+/ { plan = substr($1, 4) + 0 }
(sec == "selftest" || sec == "ksft" || sec == "rig") && /^(not )?ok( |$)/ { count($0) }
sec == "kunit" && /^    (not )?ok( |$)/ { count($0) }
sec == "kunit" && /^not ok/ { suite_notok = 1 }
END { endsec(); printf "%d %d %d\n", passed, failed, skipped }
' "$rdir/results.tap" 2>"$summary")
read -r passed failed skipped <<<"$counts"

host_fail() {
	echo "    not ok - $*"
	echo "fail: host $*" >>"$summary"
	failed=$((failed + 1))
}

# KUnit's own parser (tools/testing/kunit/kunit.py parse) reads each
# suite's KTAP too, as the kernel's CI would; its verdict counts beside the
# rig's: a suite it cannot parse, or whose tests it finds failed, fails the
# run, and so does a count of cases other than the rig's.
kunit_parse() {
	local kunit_py i=0 suite ktap parsed cases ran
	grep -q '^# refslab-section: kunit ' "$rdir/results.tap" || return 0
	kunit_py=$(source_tree)/tools/testing/kunit/kunit.py
	while read -r suite; do
		i=$((i + 1))
		ktap=$rdir/kunit-$i-$suite.ktap
		parsed=${ktap%.ktap}.parsed
		awk -v n="$i" '/^# refslab-section: /{ on = ($3 == "kunit" && ++k == n); next }
			on' "$rdir/results.tap" >"$ktap"
		cases=$(grep -cE '^    (not )?ok [0-9]' "$ktap" || true)
		if ! python3 "$kunit_py" parse <"$ktap" >"$parsed" 2>&1; then
			host_fail "kunit.py parse $suite: $(grep -v '^\[..:..:..\] =*$' "$parsed" |
				sed 's/^\[..:..:..\] //' | grep -E 'FAILED|ERROR|Testing complete' |
				tr '\n' ' ')"
			continue
		fi
		ran=$(sed -n 's/.*Testing complete\. Ran \([0-9]*\) tests.*/\1/p' "$parsed")
		if [[ $ran != "$cases" ]]; then
			host_fail "kunit.py parse $suite: ran ${ran:-?} tests, the rig counted $cases"
		else
			echo "    ok - kunit.py parse $suite: $(sed -n 's/.*Testing complete\. //p' "$parsed")"
			passed=$((passed + 1))
		fi
	done < <(awk '/^# refslab-section: kunit /{ print $4 }' "$rdir/results.tap")
}

echo "== $tag: host checks (${elapsed}s) =="
if ((qemu_rc == 124 || qemu_rc == 137)); then
	host_fail "VM timed out after ${vm_timeout}s"
elif ((qemu_rc != 0)); then
	host_fail "QEMU exited with status $qemu_rc: $(tail -n 3 "$rdir/qemu.stderr")"
fi
last=$(grep -v '^[[:space:]]*$' "$rdir/results.tap" | tail -n 1 || true)
[[ $last == "REFSLAB-RESULT: success" ]] ||
	host_fail "guest did not report success as its last line (got: ${last:-nothing})"
# Reports that are expected and not refslab's (KCSAN's of races wholly
# within the core kernel, the slab allocator's for the init sweep's
# injected failures) are listed, not counted: vm/splat-filter.awk.
: >"$rdir/splats.listed"
awk -v listed="$rdir/splats.listed" -f "$REFSLAB_TOP/vm/splat-filter.awk" \
	"$console" >"$rdir/console.scanned"
sort "$rdir/splats.listed" | uniq -c |
	sed 's/^ *\([0-9]*\) \(.*\)/    # not counted (x\1), \2/'
if grep -naE "$SPLAT_RE" "$rdir/console.scanned" | tr -d '\r' >"$rdir/splats"; then
	host_fail "console log has no kernel splat ($(wc -l <"$rdir/splats") lines):"
	head -n 60 "$rdir/splats" | sed 's/^/    #   /'
	sed 's/^/fail: splat /' "$rdir/splats" >>"$summary"
else
	echo "    ok - console log has no kernel splat"
	passed=$((passed + 1))
fi
kunit_parse
grep '^fail: ' "$summary" | grep -v '^fail: host\|^fail: splat' |
	sed 's/^/    # /' || true

[[ -z ${bench_err:-} ]] || host_fail "no refslab_bench --smoke: $bench_err"

# The benchmark's JSON, and its plot.
if [[ $mode == bench ]]; then
	bout=$REFSLAB_BUILD/bench
	mkdir -p "$bout"
	sed -n '/^# refslab-json-begin/,/^# refslab-json-end/{/^# refslab-json-/d; p}' \
		"$rdir/results.tap" >"$bout/$kernel.json"
	if ! python3 -m json.tool "$bout/$kernel.json" >/dev/null 2>"$rdir/json.err"; then
		host_fail "no valid JSON from the benchmark: $(head -n 1 "$rdir/json.err")"
	elif [[ ! -e $src_top/bench/plot.py ]]; then
		host_fail "no bench/plot.py to plot $bout/$kernel.json"
	elif ! python3 "$src_top/bench/plot.py" "$bout/$kernel.json" \
		-o "$bout/$kernel.svg" >"$rdir/plot.log" 2>&1; then
		host_fail "bench/plot.py failed: $(tail -n 3 "$rdir/plot.log")"
	else
		echo "    ok - benchmark results: $bout/$kernel.json, plot: $bout/$kernel.svg"
		passed=$((passed + 1))
	fi
fi

# Coverage of the whole suite (the test run on the debug kernel): the
# guest's gcov data beside the build's notes files, read by gcov.
if [[ -n $coverage && $mode == test ]]; then
	if ! sed -n '/^# refslab-gcov-begin/,/^# refslab-gcov-end/{/^# refslab-gcov-/d; p}' \
		"$rdir/results.tap" | base64 -d >"$rdir/gcda.tar.gz" 2>/dev/null ||
		! [[ -s $rdir/gcda.tar.gz ]]; then
		host_fail "no gcov data from the guest"
	else
		cov_rc=0
		python3 "$REFSLAB_TOP/vm/coverage.py" --build "$kodir" --kdir "$kdir" \
			--gcda "$rdir/gcda.tar.gz" --out "$REFSLAB_BUILD/coverage" \
			>"$rdir/coverage.out" 2>&1 || cov_rc=$?
		while IFS= read -r line; do
			case $line in
			"ok "*) passed=$((passed + 1)); echo "    $line" ;;
			"not ok "*) host_fail "${line#not ok - }" ;;
			*) echo "    $line" ;;
			esac
		done <"$rdir/coverage.out"
		((cov_rc < 2)) || host_fail "vm/coverage.py failed (status $cov_rc)"
	fi
fi

# The fuzz run's corpus replaces the cache's (a failed run's too: what
# found a failure is worth starting from).
if [[ $mode == fuzz ]]; then
	sed -n '/^# refslab-corpus-begin/,/^# refslab-corpus-end/{/^# refslab-corpus-/d; p}' \
		"$rdir/results.tap" | base64 -d >"$rdir/corpus.tar.gz" 2>/dev/null || true
	if [[ ${REFSLAB_FUZZ_GUIDE:-1} == 0 ]]; then
		echo "    # unguided run: the corpus in $corpus stays as it was"
	elif [[ -s $rdir/corpus.tar.gz ]] && mkdir -p "$rdir/corpus" &&
		tar -C "$rdir/corpus" -xzf "$rdir/corpus.tar.gz"; then
		rm -rf "$corpus.new"
		mkdir -p "$corpus.new"
		cp -r "$rdir/corpus/." "$corpus.new/"
		rm -rf "$corpus"
		mv "$corpus.new" "$corpus"
		echo "    ok - corpus of $(find "$corpus" -type f | wc -l) sequences kept in $corpus"
		passed=$((passed + 1))
	else
		host_fail "no fuzz corpus from the guest"
	fi
fi

# The performance gate: each hot operation's instructions against its
# budget (vm/perfgate.sh judges; one TAP line each).
if [[ $mode == perfgate ]]; then
	gate_out=$rdir/gate.tap
	"$REFSLAB_TOP/vm/perfgate.sh" "$rdir/results.tap" \
		"$src_top/bench/budget.txt" >"$gate_out" 2>&1 || true
	sed 's/^/    /' "$gate_out"
	while read -r line; do
		case $line in
		"ok "*) passed=$((passed + 1)) ;;
		"not ok "*)
			failed=$((failed + 1))
			echo "fail: host perfgate ${line#not ok - perfgate }" >>"$summary"
			;;
		esac
	done <"$gate_out"
fi

echo "passed=$passed failed=$failed skipped=$skipped" >>"$summary"
judged=1
echo "RESULT $tag passed=$passed failed=$failed skipped=$skipped"
((failed == 0)) || exit 1

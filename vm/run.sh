#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot one kernel in QEMU (TCG) with the refslab module and its tests, and
# judge the run.
#
# Usage: vm/run.sh <stock61|stock612|debug> [--mode test|demo|rigtest]
#                  [--fault leak|warn|kunit] [--timeout SECONDS]
#
# The module is built for that kernel in build/<kernel>[-fault-F]/module
# (a copy of Kbuild, module/ and uapi/), the kselftests and the userspace
# tests in build/tests-*, and all go into a busybox initramfs whose /init
# is vm/guest-init.sh.
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
# REFSLAB_SRC_TOP (default: this repository) is where Kbuild, module/,
# uapi/, selftests/refslab/ and userspace/ are taken from.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
	sed -n 's/^# \{0,1\}//; 6,7p' "$0" >&2
	exit 2
}

kernel=${1:-}
[[ $kernel == stock61 || $kernel == stock612 || $kernel == debug ]] || usage
shift
mode="test"
fault=
vm_timeout=
while (($#)); do
	case $1 in
	--mode) mode=${2:-}; shift 2 || usage ;;
	--fault) fault=${2:-}; shift 2 || usage ;;
	--timeout) vm_timeout=${2:-}; shift 2 || usage ;;
	*) usage ;;
	esac
done
[[ $mode == test || $mode == demo || $mode == rigtest ]] || usage
[[ -z $fault || $fault == leak || $fault == warn || $fault == kunit ]] || usage
# Under KASAN and lockdep, TCG is slow: generous, but finite.
if [[ -z $vm_timeout ]]; then
	[[ $kernel == debug ]] && vm_timeout=1200 || vm_timeout=600
fi

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

# 2. The module, built for this kernel in a copy of the sources.
log "building the module for $kernel${fault:+ with REFSLAB_FAULT=$fault}"
build_module "$src_top" "$bdir/src" "$kdir" \
	${fault:+"REFSLAB_FAULT=$fault"} || die "cannot build the module"
mapfile -t kos < <(find "$bdir/src" -name 'refslab*.ko' | sort)
((${#kos[@]})) || die "the module build produced no refslab*.ko"
# A kernel with KUnit must get the KUnit module, or its tests silently vanish.
if grep -qx 'CONFIG_KUNIT=y' "$kdir/.config" 2>/dev/null &&
	[[ ! -e $bdir/src/module/refslab_kunit.ko ]]; then
	die "$kernel has CONFIG_KUNIT=y but no module/refslab_kunit.ko was built"
fi

# 3. Test programs (static, kernel independent): the kselftests and the
# userspace tests, each set built into its own dir under build/ and copied
# whole (helpers included) to /selftests/<set>/ in the guest, which runs
# the programs listed in /selftests/list in order.  refslabctl goes into
# /bin.  Runs side by side may build them at the same time: hence the locks.
stage=$rdir/initramfs
rm -rf "$rdir"
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,etc,refslab,selftests}
: >"$stage/selftests/list"

# add_tests <set> <source dir> <build target> <list target>
add_tests() {
	local set=$1 dir=$2 target=$3 list=$4 ksft p
	local outdir=$REFSLAB_BUILD/tests-$set
	local -a progs=()
	ksft=$(source_tree)/tools/testing/selftests
	mkdir -p "$outdir"
	locked "$set" make -s -C "$dir" "$target" OUTPUT="$outdir" \
		KSFT_DIR="$ksft" >&2 || die "$set tests: build failed"
	mapfile -t progs < <(make -s -C "$dir" "$list")
	((${#progs[@]})) || die "$set tests: '$list' lists no programs"
	locked "$set" cp -r "$outdir" "$stage/selftests/$set"
	for p in "${progs[@]}"; do
		[[ -x $stage/selftests/$set/$p ]] || die "$set tests: $p was not built"
		echo "$set/$p" >>"$stage/selftests/list"
	done
}

if [[ $mode == test && -d $src_top/selftests/refslab ]]; then
	add_tests selftests "$src_top/selftests/refslab" all print-progs
fi
if [[ $mode != rigtest && -d $src_top/userspace ]]; then
	locked userspace make -s -C "$src_top/userspace" >&2 ||
		die "userspace build failed"
	ctl=$src_top/userspace/cli/refslabctl
	if [[ -x $ctl ]]; then
		locked userspace cp "$ctl" "$stage/bin/"
	fi
	if [[ $mode == test ]] &&
		make -s -C "$src_top/userspace" -n print-tests >/dev/null 2>&1; then
		add_tests userspace "$src_top/userspace" tests print-tests
	fi
fi

# 4. The initramfs.
cp /bin/busybox "$stage/bin/busybox"
install -m 755 "$REFSLAB_TOP/vm/guest-init.sh" "$stage/init"
install -m 644 "$REFSLAB_TOP/vm/guest-demo.sh" "$stage/demo.sh"
cp "${kos[@]}" "$stage/refslab/"
printf 'MODE=%s\nKERNEL=%s\nFAULT=%s\n' "$mode" "$kernel" "$fault" \
	>"$stage/etc/refslab.conf"
printf "SPLATS='%s'\n" "$SPLAT_RE" >"$stage/etc/refslab-splats.conf"
((EUID == 0)) && mknod -m 600 "$stage/dev/console" c 5 1
(cd "$stage" && find . -print0 | sort -z |
	cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$rdir/initramfs.cpio.gz"

# 5. Boot.  ttyS0 is the kernel console, ttyS1 the result channel.
cmdline="console=ttyS0 panic=-1 panic_on_warn=1 oops=panic slab_nomerge"
[[ $kernel == debug ]] && cmdline+=" kmemleak=on"
console=$rdir/console.log
results=$rdir/results.raw
log "booting $kernel ($(basename "$image"), mode $mode, timeout ${vm_timeout}s); console: $console"
: >"$results"
start=$SECONDS
timeout -k 10 "$vm_timeout" qemu-system-x86_64 \
	-nodefaults -display none -no-reboot \
	-accel tcg -cpu max -smp 2 -m 2048 \
	-kernel "$image" -initrd "$rdir/initramfs.cpio.gz" -append "$cmdline" \
	-serial "file:$console" -serial "file:$results" \
	</dev/null 2>"$rdir/qemu.stderr" &
qemu_pid=$!

# Show the result channel live: TAP indented, the demo as it is.
if [[ $mode == demo ]]; then
	filter='s/\r$//; /^REFSLAB-RESULT: /d'
else
	echo "== $tag: TAP (result channel) =="
	filter='s/\r$//; s/^/    /'
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
sec == "selftest" && /^1\.\.[0-9]+/ { plan = substr($1, 4) + 0 }
(sec == "selftest" || sec == "rig") && /^(not )?ok( |$)/ { count($0) }
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

echo "== $tag: host checks (${elapsed}s) =="
if ((qemu_rc == 124 || qemu_rc == 137)); then
	host_fail "VM timed out after ${vm_timeout}s"
elif ((qemu_rc != 0)); then
	host_fail "QEMU exited with status $qemu_rc: $(tail -n 3 "$rdir/qemu.stderr")"
fi
last=$(grep -v '^[[:space:]]*$' "$rdir/results.tap" | tail -n 1 || true)
[[ $last == "REFSLAB-RESULT: success" ]] ||
	host_fail "guest did not report success as its last line (got: ${last:-nothing})"
if grep -naE "$SPLAT_RE" "$console" | tr -d '\r' >"$rdir/splats"; then
	host_fail "console log has no kernel splat ($(wc -l <"$rdir/splats") lines):"
	head -n 60 "$rdir/splats" | sed 's/^/    #   /'
	sed 's/^/fail: splat /' "$rdir/splats" >>"$summary"
else
	echo "    ok - console log has no kernel splat"
	passed=$((passed + 1))
fi
grep '^fail: ' "$summary" | grep -v '^fail: host\|^fail: splat' |
	sed 's/^/    # /' || true

echo "passed=$passed failed=$failed skipped=$skipped" >>"$summary"
judged=1
echo "RESULT $tag passed=$passed failed=$failed skipped=$skipped"
((failed == 0)) || exit 1

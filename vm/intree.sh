#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# refslab as part of the kernel tree (issue 9): the module, its uapi
# header, its documentation and its selftests are put where they would sit
# in linux-source-6.12, the module is configured through its Kconfig and
# built by the kernel's own build, and the selftests are built by the
# kernel's selftests Makefile.  Then the debug kernel is booted with the
# in-tree build of the module loaded, and the guest runs the kernel's own
#
#   make -C tools/testing/selftests TARGETS=refslab run_tests
#
# (the kselftest runner, TAP), then the in-tree KUnit module, the kmemleak
# and splat scans (vm/run.sh debug --mode intree).
#
# Where the files go in the tree:
#   module/ (but its Makefile wrapper)  drivers/misc/refslab/
#   uapi/linux/refslab.h                include/uapi/linux/refslab.h
#   Documentation/refslab.rst           Documentation/misc-devices/refslab.rst
#   Documentation/ABI/testing/...       Documentation/ABI/testing/...
#   selftests/refslab/                  tools/testing/selftests/refslab/
# plus one line each in drivers/misc/Kconfig, drivers/misc/Makefile and
# Documentation/misc-devices/index.rst.
#
# The tree is a hard-linked copy of the unpacked source (files the build
# changes are replaced, never written through a link) in
# $REFSLAB_CACHE/intree/<debug kernel key>/, with its object tree beside
# it, configured as the debug kernel plus CONFIG_REFSLAB=m and
# CONFIG_REFSLAB_KUNIT_TEST=m.  Only `modules_prepare` is built there (once
# per key), not the kernel: modpost reads the debug kernel's own vmlinux.o
# for the symbols the module uses, so the module loads into that kernel.
#
# Host checks, one TAP line each:
#   kconfig   CONFIG_REFSLAB=m is accepted; CONFIG_REFSLAB_KUNIT_TEST
#             follows KUNIT_ALL_TESTS by default (m with it, off without)
#   build     the in-tree build (W=1, sparse C=1) gives refslab.ko and
#             refslab_kunit.ko with no warning, both marked "intree: Y"
#   kunit-off with CONFIG_REFSLAB_KUNIT_TEST unset no KUnit object is built
#   headers   `make headers` installs <linux/refslab.h>
#   selftests the kernel's selftests Makefile builds every program
# Then the VM run's own TAP.  Ends with RESULT lines for both.
#
# Usage: vm/intree.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

top=${REFSLAB_SRC_TOP:-$REFSLAB_TOP}
out=$REFSLAB_BUILD/intree
finish() {
	tap_result intree-build
}

# install_file <src> <dst>: put a copy of <src> at <dst> unless it is
# already there, as a new file (never through a hard link), keeping the
# time stamp of an unchanged file so that nothing rebuilds for nothing.
install_file() {
	if ! cmp -s "$1" "$2"; then
		mkdir -p "$(dirname "$2")"
		cp "$1" "$2.tmp.$$"
		mv -f "$2.tmp.$$" "$2"
	fi
}

# sync_dir <src dir> <dst dir> <find predicate...>: make the files of <dst>
# that the predicate selects the same as those of <src>: copy what differs,
# remove what <src> no longer has.
sync_dir() {
	local src=$1 dst=$2 f
	shift 2
	mkdir -p "$dst"
	while read -r f; do
		install_file "$src/$f" "$dst/$f"
	done < <(cd "$src" && find . -type f "$@" | sed 's#^\./##')
	while read -r f; do
		[[ -e $src/$f ]] || rm -f "$dst/$f"
	done < <(cd "$dst" && find . -type f "$@" | sed 's#^\./##')
}

echo "== intree: refslab inside linux-source-6.12 =="
"$REFSLAB_TOP/vm/kernel.sh" debug >/dev/null || die "no debug kernel"
src=$(source_tree)
dbg=$(debug_build_dir)
[[ -e $dbg/vmlinux.o ]] || die "the debug kernel build has no vmlinux.o"
ws=$REFSLAB_CACHE/intree/$(basename "$dbg")
linux=$ws/linux
obj=$ws/obj
rm -rf "$out"
mkdir -p "$out" "$REFSLAB_CACHE/intree"
exec 8>"$REFSLAB_CACHE/intree/.lock"
flock 8
trap finish EXIT
trap 'not_ok "vm/intree.sh stopped at line $LINENO"' ERR

# 1. The tree: a hard-linked copy of the source, made once.
if [[ ! -e $linux/.refslab-linked ]]; then
	log "linking a copy of $src into $linux"
	rm -rf "$ws"
	mkdir -p "$ws"
	cp -al "$src" "$linux.tmp"
	mv "$linux.tmp" "$linux"
	touch "$linux/.refslab-linked"
fi

# 2. refslab's files where they belong, and its two lines in drivers/misc.
# The module's sources (not module/Makefile, the out-of-tree wrapper).
sync_dir "$top/module" "$linux/drivers/misc/refslab" \
	\( -name '*.[ch]' -o -name Kbuild -o -name Kconfig \) ! -name '*.mod.c'
install_file "$top/uapi/linux/refslab.h" "$linux/include/uapi/linux/refslab.h"
install_file "$top/Documentation/refslab.rst" \
	"$linux/Documentation/misc-devices/refslab.rst"
install_file "$top/Documentation/ABI/testing/sysfs-kernel-refslab" \
	"$linux/Documentation/ABI/testing/sysfs-kernel-refslab"
sync_dir "$top/selftests/refslab" "$linux/tools/testing/selftests/refslab" \
	\( -name '*.[ch]' -o -name Makefile -o -name config -o -name settings \)
awk '
	/^endmenu/ { last = NR }
	{ line[NR] = $0 }
	END {
		for (i = 1; i <= NR; i++) {
			if (i == last)
				print "source \"drivers/misc/refslab/Kconfig\""
			print line[i]
		}
	}' "$src/drivers/misc/Kconfig" >"$out/Kconfig"
install_file "$out/Kconfig" "$linux/drivers/misc/Kconfig"
{ cat "$src/drivers/misc/Makefile"; echo "obj-\$(CONFIG_REFSLAB)		+= refslab/"; } \
	>"$out/Makefile"
install_file "$out/Makefile" "$linux/drivers/misc/Makefile"
# The document in the misc-devices table of contents, in its sorted place.
awk '
	!done && /^   [a-z0-9_-]+$/ && $1 > "refslab" { print "   refslab"; done = 1 }
	{ print }
	END { if (!done) exit 1 }' "$src/Documentation/misc-devices/index.rst" \
	>"$out/index.rst"
install_file "$out/index.rst" "$linux/Documentation/misc-devices/index.rst"

jobs=$(($(nproc) + 1))
kmake() {
	make -C "$linux" O="$obj" "$@"
}

# 3. Kconfig: the debug kernel's configuration plus refslab.  First the
# default of the KUnit option, in a scratch configuration.
mkdir -p "$obj"
cp "$dbg/.config" "$obj/.config.kunit-all"
"$linux/scripts/config" --file "$obj/.config.kunit-all" -m KUNIT_ALL_TESTS \
	-m REFSLAB
cp "$dbg/.config" "$obj/.config.kunit-none"
"$linux/scripts/config" --file "$obj/.config.kunit-none" -d KUNIT_ALL_TESTS \
	-m REFSLAB
if kmake KCONFIG_CONFIG=.config.kunit-all olddefconfig >"$out/kconfig.log" 2>&1 &&
	kmake KCONFIG_CONFIG=.config.kunit-none olddefconfig >>"$out/kconfig.log" 2>&1 &&
	grep -qx 'CONFIG_REFSLAB=m' "$obj/.config.kunit-all" &&
	grep -qx 'CONFIG_REFSLAB_KUNIT_TEST=m' "$obj/.config.kunit-all" &&
	grep -qx '# CONFIG_REFSLAB_KUNIT_TEST is not set' "$obj/.config.kunit-none"; then
	ok "kconfig: CONFIG_REFSLAB=m; CONFIG_REFSLAB_KUNIT_TEST defaults to KUNIT_ALL_TESTS"
else
	grep REFSLAB "$obj"/.config.kunit-* >>"$out/kconfig.log" || true
	not_ok "kconfig: drivers/misc/refslab/Kconfig" "$out/kconfig.log"
	exit 1
fi

# The build's own configuration differs from the debug kernel's by the two
# refslab options only.
if [[ ! -e $obj/.config.base ]] || ! cmp -s "$dbg/.config" "$obj/.config.base"; then
	cp "$dbg/.config" "$obj/.config.base"
	cp "$dbg/.config" "$obj/.config"
fi
"$linux/scripts/config" --file "$obj/.config" -m REFSLAB -m REFSLAB_KUNIT_TEST
log "in-tree: modules_prepare in $obj (a few minutes the first time)"
if ! { kmake olddefconfig && kmake -j"$jobs" modules_prepare; } \
	>"$out/prepare.log" 2>&1; then
	not_ok "in-tree build: modules_prepare failed" "$out/prepare.log"
	exit 1
fi
extra=$(diff <(grep '^CONFIG_' "$dbg/.config") <(grep '^CONFIG_' "$obj/.config") |
	sed -n 's/^> //p' | sort | tr '\n' ' ' || true)
if [[ $extra != "CONFIG_REFSLAB=m CONFIG_REFSLAB_KUNIT_TEST=m " ]]; then
	echo "options beyond the debug kernel's: $extra" >"$out/config.diff"
	not_ok "in-tree configuration is the debug kernel's plus refslab" \
		"$out/config.diff"
	exit 1
fi

# 4. The module, by the kernel's build, with the debug kernel's vmlinux.o
# for modpost.
install_file "$dbg/vmlinux.o" "$obj/vmlinux.o"
kos=(drivers/misc/refslab/refslab.ko drivers/misc/refslab/refslab_kunit.ko)
rm -f "${kos[@]/#/$obj/}"
if ! kmake -j"$jobs" W=1 C=1 "${kos[@]}" >"$out/build.log" 2>&1; then
	not_ok "in-tree build of drivers/misc/refslab failed" "$out/build.log"
	exit 1
fi
mkdir -p "$out/ko"
bad=
for ko in "${kos[@]}"; do
	if [[ ! -e $obj/$ko ]]; then
		bad+=" $ko missing;"
	elif [[ $(modinfo -F intree "$obj/$ko") != Y ]]; then
		bad+=" $ko not marked intree;"
	else
		cp "$obj/$ko" "$out/ko/"
	fi
done
if grep -iE '(warning|error):' "$out/build.log" >"$out/build.found"; then
	not_ok "in-tree build (W=1, C=1): warnings" "$out/build.found"
elif ! grep -q '^  CHECK ' "$out/build.log"; then
	not_ok "in-tree build: sparse did not run" "$out/build.log"
elif [[ -n $bad ]]; then
	echo "$bad" >"$out/build.found"
	not_ok "in-tree build:$bad" "$out/build.found"
else
	ok "in-tree build (W=1, sparse): drivers/misc/refslab/{refslab,refslab_kunit}.ko, intree: Y"
fi

# With CONFIG_REFSLAB_KUNIT_TEST unset, Kconfig alone decides: the
# directory builds no KUnit object (in a copy of the object tree).
off=$out/obj-kunit-off
cp -a "$obj" "$off"
"$linux/scripts/config" --file "$off/.config" -d REFSLAB_KUNIT_TEST
rm -rf "$off/drivers/misc/refslab"
if make -C "$linux" O="$off" olddefconfig >"$out/kunit-off.log" 2>&1 &&
	make -C "$linux" O="$off" -j"$jobs" drivers/misc/refslab/ \
		>>"$out/kunit-off.log" 2>&1 &&
	[[ -e $off/drivers/misc/refslab/object.o ]] &&
	[[ ! -e $off/drivers/misc/refslab/tests/refslab_kunit.o ]]; then
	ok "CONFIG_REFSLAB_KUNIT_TEST unset: drivers/misc/refslab/ builds no KUnit object"
else
	find "$off/drivers/misc/refslab" -name '*.o' >>"$out/kunit-off.log" 2>&1 || true
	not_ok "CONFIG_REFSLAB_KUNIT_TEST unset: the KUnit test is built anyway" \
		"$out/kunit-off.log"
fi
rm -rf "$off"

# 5. The uapi header, installed by the kernel's `make headers` (which
# drops the _UAPI prefix of the include guard).
if kmake headers >"$out/headers.log" 2>&1 &&
	sed 's/_UAPI_LINUX_REFSLAB_H/_LINUX_REFSLAB_H/' "$top/uapi/linux/refslab.h" |
	cmp -s - "$obj/usr/include/linux/refslab.h"; then
	ok "make headers installs <linux/refslab.h>"
else
	not_ok "make headers does not install <linux/refslab.h>" "$out/headers.log"
fi

# 6. The selftests, by the kernel's selftests Makefile (in the source
# directory, as a plain `make -C tools/testing/selftests` does), against
# the headers just installed.  The guest then finds them up to date.
ksft=$linux/tools/testing/selftests
mapfile -t progs < <(make -s -C "$top/selftests/refslab" print-progs)
# The programs are built against the installed header, which their
# Makefile does not list: one older than the header (a uapi change since
# the cached tree built it) would keep the old structures.  Then all of
# them are built again.
for p in "${progs[@]}"; do
	if [[ $obj/usr/include/linux/refslab.h -nt $ksft/refslab/$p ]]; then
		log "the uapi header changed since the selftests were built: rebuilding them"
		make -s -C "$ksft" TARGETS=refslab clean >"$out/selftests-clean.log" 2>&1 || true
		break
	fi
done
if make -C "$ksft" TARGETS=refslab KHDR_INCLUDES="-isystem $obj/usr/include" \
	>"$out/selftests.log" 2>&1; then
	missing=()
	for p in "${progs[@]}"; do
		[[ -x $ksft/refslab/$p ]] || missing+=("$p")
	done
	if ((${#missing[@]})); then
		not_ok "selftests Makefile did not build: ${missing[*]}" "$out/selftests.log"
	elif grep -iE '(warning|error):' "$out/selftests.log" >"$out/selftests.found"; then
		not_ok "selftests build: warnings" "$out/selftests.found"
	else
		ok "make -C tools/testing/selftests TARGETS=refslab builds ${#progs[@]} programs"
	fi
else
	not_ok "make -C tools/testing/selftests TARGETS=refslab failed" "$out/selftests.log"
fi

# 7. What the guest needs for the kernel's runner: the selftests part of
# the tree (time stamps kept, so make sees it up to date), GNU make, dash
# (the runner needs a POSIX shell; busybox's cannot parse it) and
# coreutils' readlink (the selftests Makefile uses -e), with their shared
# libraries.
guest=$out/root
mkdir -p "$guest/linux/scripts" "$guest/linux/tools/testing/selftests" \
	"$guest/linux/Documentation/ABI/testing"
cp -a "$linux/scripts/subarch.include" "$guest/linux/scripts/"
cp -a "$linux/Documentation/ABI/testing/sysfs-kernel-refslab" \
	"$guest/linux/Documentation/ABI/testing/"
(cd "$ksft" && cp -a --parents Makefile lib.mk kselftest.h \
	kselftest_harness.h kselftest refslab "$guest/linux/tools/testing/selftests/")
cp -L --parents /usr/bin/make /usr/bin/dash /usr/bin/readlink "$guest/"
stage_libs "$guest" /usr/bin/make /usr/bin/dash /usr/bin/readlink
trap - EXIT
finish

# 8. The VM.
((failed == 0)) || exit 1
exec "$REFSLAB_TOP/vm/run.sh" debug --mode intree

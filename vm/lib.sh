# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared settings for the refslab VM rig.  Sourced, never run.
#
# Everything large (kernel images, the unpacked kernel source, the debug
# kernel build) lives in $REFSLAB_CACHE, outside the repository, under names
# keyed by version and configuration, so a second run reuses it.

REFSLAB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REFSLAB_CACHE=${REFSLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/refslab}
REFSLAB_BUILD=${REFSLAB_BUILD:-$REFSLAB_TOP/build}

die() {
	echo "vm: error: $*" >&2
	exit 1
}

log() {
	echo "vm: $*" >&2
}

# TAP of a host step, indented under the step's header: ok <what>,
# not_ok <what> [file of diagnostics], skip <what> <why>, then
# tap_result <step> for the plan and the RESULT line vm/check.sh adds up.
n=0 passed=0 failed=0 skipped=0

ok() {
	n=$((n + 1)) passed=$((passed + 1))
	echo "    ok $n - $1"
}

not_ok() {
	n=$((n + 1)) failed=$((failed + 1))
	echo "    not ok $n - $1"
	[[ -z ${2:-} ]] || head -n 40 "$2" | sed 's/^/    #   /'
}

skip() {
	n=$((n + 1)) skipped=$((skipped + 1))
	echo "    ok $n - $1 # SKIP $2"
}

tap_result() {
	echo "    1..$n"
	echo "RESULT $1 passed=$passed failed=$failed skipped=$skipped"
}

# Debian version string of the installed linux-source-6.12 package.
source_version() {
	dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null ||
		die "linux-source-6.12 is not installed (run vm/setup.sh)"
}

# The unpacked kernel source tree (for the debug kernel, checkpatch,
# kernel-doc and the kselftest harness header), unpacked once per version.
source_tree() {
	local ver dir
	ver=$(source_version)
	dir=$REFSLAB_CACHE/src/linux-source-6.12_$ver
	mkdir -p "$REFSLAB_CACHE/src"
	(
		flock 9
		if [[ ! -e $dir/.refslab-unpacked ]]; then
			log "unpacking linux-source-6.12 $ver into $dir"
			rm -rf "$dir"
			mkdir -p "$dir"
			tar -xJf /usr/src/linux-source-6.12.tar.xz -C "$dir" \
				--strip-components=1
			touch "$dir/.refslab-unpacked"
		fi
	) 9>"$REFSLAB_CACHE/src/.lock"
	echo "$dir"
}

# Kernel release of Debian's stock 6.1 kernel (from the headers meta package).
stock61_release() {
	dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
		grep -o 'linux-headers-6\.1\.[^ ,]*-amd64' | head -n 1 |
		sed 's/^linux-headers-//' || true
}

# Kernel release of the newest installed stock 6.12 kernel headers.
stock612_release() {
	dpkg-query -W -f='${Package} ${Status}\n' 'linux-headers-6.12.*+deb12-amd64' 2>/dev/null |
		awk '$NF == "installed" { print $1 }' |
		sed 's/^linux-headers-//' | sort -V | tail -n 1 || true
}

# Kernel release of Debian's PREEMPT_RT 6.12 kernel: the rt flavour of
# the installed stock 6.12 headers' version (vm/setup.sh installs it).
rt_release() {
	local rel
	rel=$(stock612_release)
	[[ -z $rel ]] || echo "${rel%-amd64}-rt-amd64"
}

# Release name of a kernel alias: stock61, stock612, rt, debug or kcsan.
kernel_release() {
	case $1 in
	stock61) stock61_release ;;
	stock612) stock612_release ;;
	rt) rt_release ;;
	debug) echo "6.12-refslab-debug" ;;
	kcsan) echo "6.12-refslab-kcsan" ;;
	*) die "unknown kernel '$1' (stock61, stock612, rt, debug, kcsan)" ;;
	esac
}

# Configuration fragments of a kernel built from linux-source-6.12, merged
# in this order onto tinyconfig (a later fragment overrides an earlier one).
kernel_fragments() {
	case $1 in
	debug) echo "$REFSLAB_TOP/vm/debug.config" ;;
	kcsan) echo "$REFSLAB_TOP/vm/debug.config $REFSLAB_TOP/vm/kcsan.config" ;;
	*) die "kernel '$1' is not built from source (debug, kcsan)" ;;
	esac
}

# Cache directory of a kernel built from source (debug or kcsan), keyed by
# the source version and by the hash of its configuration fragments.
built_kernel_dir() {
	local key frags
	read -ra frags <<<"$(kernel_fragments "$1")"
	key=$( (source_version; cat "${frags[@]}") | sha256sum | cut -c1-12)
	echo "$REFSLAB_CACHE/kernel/$1-6.12_$(source_version)-$key"
}

debug_build_dir() {
	built_kernel_dir debug
}

# stage_libs <root> <program...>: copy the shared libraries the host's
# dynamic loader finds for each program (the loader itself included)
# under <root>, at their own paths, for a guest without them.  The
# program's own librefslab is not copied: it comes from the install.
stage_libs() {
	local root=$1 prog lib
	shift
	for prog in "$@"; do
		while read -r lib; do
			cp -L --parents "$lib" "$root/"
		done < <(ldd "$prog" | grep -oE '/[^ ]+\.so[^ ]*' | grep -v librefslab)
	done
}

# locked <name> <command...>: run a command (not a function) under an
# exclusive lock, for the builds that runs side by side share (the in-tree
# userspace build, build/selftests).
locked() {
	local name=$1
	shift
	mkdir -p "$REFSLAB_BUILD"
	flock "$REFSLAB_BUILD/.$name.lock" "$@"
}

# Kernel splats that fail a run wherever they appear in the console log
# (extended regular expression; the guest applies it to dmesg as well).
# kmemleak disabling itself is in the list: it would make the leak scan
# pass without looking.  "Slab cache still has objects" is a plain
# pr_err() on some kernels, not a WARN: listed on its own.
# shellcheck disable=SC2034
SPLAT_RE='BUG:|WARNING:|KASAN|UBSAN|possible recursive locking|circular locking dependency|INFO: |inconsistent lock state|suspicious RCU usage|refcount_t:|kmemleak:.*suspected memory leak|kmemleak: .*(detector disabled|pool empty|Cannot allocate)|Call Trace|Kernel panic|Oops|general protection fault|Unable to handle|soft lockup|detected stall|Slab cache still has objects'

# What a kernel build leaves beside the sources (an in-place
# `make -C module`), as tar exclusions.
KBUILD_PRODUCTS=(
	--exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c'
	--exclude='.*.cmd' --exclude='*.a' --exclude='modules.order'
	--exclude='Module.symvers' --exclude='.*.d' --exclude='*.dwo'
)

# copy_sources <top> <dir> <path...>: the paths (files or directories of
# the tree <top>) into <dir>, without kernel build products.
copy_sources() {
	local top=$1 dir=$2
	shift 2
	tar -C "$top" -cf - "${KBUILD_PRODUCTS[@]}" "$@" | tar -C "$dir" -xf -
}

# Copy the module sources (Kbuild, module/, uapi/; no build products) from
# the tree <top> into <dir> and build them there against <kdir>; skipped
# when neither the sources, <kdir> nor the make arguments changed since the
# last successful build in <dir>.  The repository itself stays clean.  The
# make output is kept in <dir>/build.log; on failure it is printed and the
# function returns 1.
# Usage: build_module <top> <dir> <kdir> [make args...]
build_module() {
	local top=$1 dir=$2 kdir=$3 stamp
	shift 3
	local -a srcs=()
	[[ -e $top/Kbuild ]] && srcs+=(Kbuild)
	[[ -d $top/module ]] && srcs+=(module)
	[[ -d $top/uapi ]] && srcs+=(uapi)
	[[ -e $top/Kbuild && -d $top/module ]] || {
		log "no Kbuild and module/ in $top"
		return 1
	}
	stamp=$( {
		tar -C "$top" -cf - --sort=name --mtime=@0 --owner=0 --group=0 \
			--numeric-owner "${KBUILD_PRODUCTS[@]}" "${srcs[@]}"
		echo "$kdir $*"
	} | sha256sum | cut -c1-16)
	if [[ -e $dir/.stamp && $(<"$dir/.stamp") == "$stamp" ]]; then
		return 0
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
	copy_sources "$top" "$dir" "${srcs[@]}"
	if ! make -C "$kdir" M="$dir" "$@" >"$dir/build.log" 2>&1; then
		cat "$dir/build.log" >&2
		log "module build failed against $kdir"
		return 1
	fi
	echo "$stamp" >"$dir/.stamp"
}

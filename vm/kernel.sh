#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Provide a kernel for the VM rig and print two lines:
#   image=<path to bzImage>
#   kdir=<path to build tree for out-of-tree modules>
#
# Usage: vm/kernel.sh stock61|stock612|rt|debug|kcsan
#
# Stock kernels (stock61, stock612 and rt, Debian's PREEMPT_RT 6.12) are
# Debian's own images, fetched with `apt-get download` and unpacked with
# `dpkg -x` (never installed), matched to the installed headers.  The
# debug kernel is built from linux-source-6.12 with vm/debug.config on top
# of tinyconfig, the kcsan kernel with vm/debug.config then vm/kcsan.config
# (KCSAN instead of KASAN and kmemleak).  All are cached in $REFSLAB_CACHE.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

stock_kernel() {
	local rel=$1 dir
	[[ -n $rel ]] || die "stock kernel headers are not installed (run vm/setup.sh)"
	[[ -d /lib/modules/$rel/build ]] || die "no headers for $rel"
	dir=$REFSLAB_CACHE/kernel/stock-$rel
	if [[ ! -e $dir/.refslab-unpacked ]]; then
		log "fetching linux-image-$rel-unsigned"
		rm -rf "$dir"
		mkdir -p "$dir/deb"
		(cd "$dir/deb" && apt-get download -q "linux-image-$rel-unsigned" >&2)
		dpkg -x "$dir"/deb/*.deb "$dir/root"
		rm -rf "$dir/deb"
		touch "$dir/.refslab-unpacked"
	fi
	echo "image=$dir/root/boot/vmlinuz-$rel"
	echo "kdir=/lib/modules/$rel/build"
}

# Every "CONFIG_X=y" (or =N) of the fragments must have that value in the
# final .config, and every "CONFIG_X=n" must be off: merge_config.sh
# silently drops options whose dependencies are missing.  An option set by
# several fragments is checked at its effective value, the last one's.
check_config() {
	local config=$1 missing=0 opt val
	shift
	local -A want=()
	while IFS='=' read -r opt val; do
		want[$opt]=$val
	done < <(grep -hE '^CONFIG_[A-Z0-9_]+=([yn]|[0-9]+)$' "$@")
	for opt in "${!want[@]}"; do
		val=${want[$opt]}
		case $val in
		n) ! grep -q "^$opt=" "$config" || { log "not off: $opt"; missing=1; } ;;
		*) grep -qx "$opt=$val" "$config" || { log "missing: $opt=$val"; missing=1; } ;;
		esac
	done
	((missing == 0)) || die "$config lacks options of $*"
}

# built_kernel debug|kcsan: the kernel built from linux-source-6.12 with
# its fragments (vm/lib.sh kernel_fragments) merged onto tinyconfig.
built_kernel() {
	local name=$1 out src jobs t0
	local -a frags
	read -ra frags <<<"$(kernel_fragments "$name")"
	out=$(built_kernel_dir "$name")
	if [[ ! -e $out/.refslab-complete ]]; then
		src=$(source_tree)
		jobs=$(($(nproc) + 1))
		t0=$SECONDS
		log "building the $name kernel in $out (about 10 minutes on 2 cores)"
		rm -rf "$out"
		mkdir -p "$out"
		make -s -C "$src" O="$out" tinyconfig >&2
		"$src/scripts/kconfig/merge_config.sh" -m -O "$out" \
			"$out/.config" "${frags[@]}" >&2
		make -s -C "$src" O="$out" olddefconfig >&2
		check_config "$out/.config" "${frags[@]}"
		make -s -C "$src" O="$out" -j"$jobs" bzImage modules_prepare >&2
		# Module.symvers, without which modpost rejects every symbol.
		make -s -C "$src" O="$out" -j"$jobs" modules >&2
		touch "$out/.refslab-complete"
		log "built the $name kernel in $((SECONDS - t0)) s"
	fi
	check_config "$out/.config" "${frags[@]}"
	echo "image=$out/arch/x86/boot/bzImage"
	echo "kdir=$out"
}

# One kernel fetch or build at a time: runs side by side share the cache.
mkdir -p "$REFSLAB_CACHE/kernel"
exec 9>"$REFSLAB_CACHE/kernel/.lock"
flock 9

case ${1:-} in
stock61 | stock612 | rt) stock_kernel "$(kernel_release "$1")" ;;
debug | kcsan) built_kernel "$1" ;;
*) die "usage: $0 stock61|stock612|rt|debug|kcsan" ;;
esac

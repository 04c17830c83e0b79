#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host builds and lint gates; each gate is one TAP test:
#   checkpatch   scripts/checkpatch.pl --strict on every .c/.h of module/
#                and uapi/: no ERROR, WARNING or CHECK
#   kbuild-*     the module built with sparse (C=2) and W=1 against each
#                stock kernel's headers: no "warning:" or "error:" line
#   userspace    `make -C userspace` from scratch with -Wall -Wextra
#                -Werror on its compile lines, and no warning
#   scripts      shellcheck of the rig's own scripts
# A gate whose input does not exist yet is skipped.  Ends with
#   RESULT lint passed=N failed=N skipped=N
# and exits non-zero if a gate failed.
#
# Usage: vm/lint.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

top=${REFSLAB_SRC_TOP:-$REFSLAB_TOP}
out=$REFSLAB_BUILD/lint
mkdir -p "$out"
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

# checkpatch applies some rules by in-tree path (a uapi header may not use
# BIT(), for example), so the files are checked where they would sit in a
# kernel tree: uapi/ as include/uapi/, module/ as drivers/misc/refslab/.
# Its messages are mapped back to the repository's paths.
gate_checkpatch() {
	local tree=$out/checkpatch-tree
	local -a files=()
	rm -rf "$tree"
	mkdir -p "$tree/include" "$tree/drivers/misc"
	[[ -d $top/uapi ]] && cp -r "$top/uapi" "$tree/include/uapi"
	[[ -d $top/module ]] && cp -r "$top/module" "$tree/drivers/misc/refslab"
	mapfile -t files < <(cd "$tree" && find include drivers \
		-name '*.[ch]' ! -name '*.mod.c' | sort)
	if ((${#files[@]} == 0)); then
		skip "checkpatch --strict" "no .c/.h in module/ or uapi/"
		return
	fi
	# checkpatch exits non-zero on errors and warnings; CHECKs are judged
	# from its output.
	local rc=0
	(cd "$tree" && "$(source_tree)/scripts/checkpatch.pl" --strict --no-tree \
		--show-types -f "${files[@]}") >"$out/checkpatch.raw" 2>&1 || rc=$?
	sed -e 's#include/uapi/#uapi/#g' -e 's#drivers/misc/refslab/#module/#g' \
		"$out/checkpatch.raw" >"$out/checkpatch.log"
	if ((rc == 0)) && ! grep -qE '^(ERROR|WARNING|CHECK):' "$out/checkpatch.log"; then
		ok "checkpatch --strict (${#files[@]} files)"
	else
		grep -E -A3 '^(ERROR|WARNING|CHECK):' "$out/checkpatch.log" \
			>"$out/checkpatch.found" || cp "$out/checkpatch.log" "$out/checkpatch.found"
		not_ok "checkpatch --strict" "$out/checkpatch.found"
	fi
}

gate_kbuild() {
	local kernel=$1 rel dir
	rel=$(kernel_release "$kernel")
	if [[ ! -e $top/Kbuild || ! -d $top/module ]]; then
		skip "kbuild-$kernel C=2 W=1" "no Kbuild or module/"
		return
	fi
	if [[ -z $rel || ! -d /lib/modules/$rel/build ]]; then
		not_ok "kbuild-$kernel: no headers (run vm/setup.sh)"
		return
	fi
	dir=$out/kbuild-$kernel
	if ! build_module "$top" "$dir" "/lib/modules/$rel/build" C=2 W=1 \
		2>/dev/null; then
		not_ok "kbuild-$kernel $rel C=2 W=1: build failed" "$dir/build.log"
	elif grep -iE '(warning|error):' "$dir/build.log" >"$dir/found"; then
		not_ok "kbuild-$kernel $rel C=2 W=1: warnings" "$dir/found"
	elif ! grep -q '^  CHECK ' "$dir/build.log"; then
		not_ok "kbuild-$kernel $rel C=2 W=1: sparse did not run" "$dir/build.log"
	else
		ok "kbuild-$kernel $rel C=2 W=1 (sparse, W=1)"
	fi
}

gate_userspace() {
	local flag
	if [[ ! -d $top/userspace ]]; then
		skip "userspace -Wall -Wextra -Werror" "no userspace/"
		return
	fi
	# VM runs may build userspace at the same time: share their lock.
	if ! locked userspace make -C "$top/userspace" -B \
		>"$out/userspace.log" 2>&1; then
		not_ok "userspace build failed" "$out/userspace.log"
		return
	fi
	if grep -iE '(warning|error):' "$out/userspace.log" >"$out/userspace.found"; then
		not_ok "userspace build warnings" "$out/userspace.found"
		return
	fi
	# The flags must be on every compile line, not merely hoped for.
	make -n -B -C "$top/userspace" 2>&1 |
		grep -E '(^|[ /])(cc|gcc|clang)( |$)' |
		grep -E '\.c( |$)' >"$out/userspace.cc" || true
	if [[ ! -s $out/userspace.cc ]]; then
		not_ok "userspace: no compiler command seen in make -n" "$out/userspace.log"
		return
	fi
	for flag in -Wall -Wextra -Werror; do
		if grep -v -e " $flag\( \|$\)" "$out/userspace.cc" >"$out/userspace.noflag"; then
			not_ok "userspace: compile lines without $flag" "$out/userspace.noflag"
			return
		fi
	done
	ok "userspace -Wall -Wextra -Werror ($(wc -l <"$out/userspace.cc") compile lines)"
}

gate_shellcheck() {
	if shellcheck -x "$REFSLAB_TOP"/vm/*.sh "$REFSLAB_TOP/.ci/run" \
		>"$out/shellcheck.log" 2>&1; then
		ok "shellcheck vm/ .ci/run"
	else
		not_ok "shellcheck vm/ .ci/run" "$out/shellcheck.log"
	fi
}

echo "== lint: host builds and gates =="
gate_checkpatch
gate_kbuild stock61
gate_kbuild stock612
gate_userspace
gate_shellcheck
echo "    1..$n"
echo "RESULT lint passed=$passed failed=$failed skipped=$skipped"
((failed == 0))

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host builds and lint gates; each gate is one TAP test:
#   checkpatch   scripts/checkpatch.pl --strict on every .c/.h of module/
#                and uapi/: no ERROR, WARNING or CHECK
#   kbuild-*     the module built with sparse (C=2) and W=1 against each
#                stock kernel's headers (stock61, stock612, and rt: the
#                PREEMPT_RT 6.12): no "warning:" or "error:" line
#   userspace    `make -C userspace` from scratch with -Wall -Wextra
#                -Werror on its compile lines, and no warning
#   shell        shellcheck -x of every shell script in the tree
#   kernel-doc   scripts/kernel-doc -Wall on module/ and uapi/: silent
#   rst          every Documentation/*.rst parses with docutils, its
#                kernel-doc directives expanded (vm/doccheck.py)
#   help         `make help` names every target of the Makefile, one
#                line each
#   includes     no include cycle among module/*.c and *.h (X.c and X.h
#                one node), and stats (the counters) includes no other
#                refslab header (vm/includecheck.py); a self-test shows
#                that a tree with a cycle fails
#   splat-filter vm/splat-filter.awk (host awk and busybox awk) on a
#                made-up kernel log: the reports that are not refslab's
#                (a core kernel race, the init sweep's cache dump) are
#                blanked and listed, the others kept, line numbers unchanged
#   coccinelle   the kernel's Coccinelle scripts (make coccicheck
#                MODE=report, one run per scripts/coccinelle/**/*.cocci) on
#                a copy of the module: no report, unless a comment at the
#                spot (on the line or the three above it) says
#                "coccinelle: <script>: <why>"; a self-test shows that an
#                unanswered report fails and an answered one passes
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

# The tree's files: git's (tracked and not ignored) in a checkout, else
# every file but build output.
tree_files() {
	if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$top" ls-files -co --exclude-standard | sed 's#^#./#'
	else
		(cd "$top" && find . -path ./build -prune -o -path ./.git -prune \
			-o -type f -print)
	fi
}

# Every shell script of the tree: *.sh files and files whose first line
# names a shell.
gate_shellcheck() {
	local -a scripts=()
	mapfile -t scripts < <(tree_files | sort | while read -r f; do
		[[ -f $top/$f ]] || continue
		case $f in
		*.sh) echo "$f" ;;
		*) head -c 64 "$top/$f" 2>/dev/null | head -n 1 |
			grep -qE '^#!.*(/|env )(ba|da|busybox )?sh( |$)' && echo "$f" ;;
		esac
	done)
	if ((${#scripts[@]} == 0)); then
		not_ok "shellcheck: no shell scripts found"
	elif (cd "$top" && shellcheck -x "${scripts[@]}") >"$out/shellcheck.log" 2>&1; then
		ok "shellcheck (${#scripts[@]} scripts: ${scripts[*]#./})"
	else
		not_ok "shellcheck" "$out/shellcheck.log"
	fi
}

# scripts/kernel-doc -Wall on every source of the module and the uapi
# header: no warning, no error.
gate_kerneldoc() {
	local -a files=()
	mapfile -t files < <(cd "$top" && find module uapi -name '*.[ch]' \
		! -name '*.mod.c' 2>/dev/null | sort)
	if ((${#files[@]} == 0)); then
		skip "kernel-doc -Wall" "no module/ or uapi/ sources"
		return
	fi
	if (cd "$top" && "$(source_tree)/scripts/kernel-doc" -none -Wall \
		"${files[@]}") >"$out/kernel-doc.log" 2>&1 &&
		[[ ! -s $out/kernel-doc.log ]]; then
		ok "kernel-doc -Wall (${#files[@]} files)"
	else
		not_ok "kernel-doc -Wall" "$out/kernel-doc.log"
	fi
}

# Every .rst file parses with Debian's docutils without a warning, with
# its kernel-doc directives expanded by scripts/kernel-doc (vm/doccheck.py).
gate_rst() {
	local -a files=()
	mapfile -t files < <(cd "$top" && find Documentation -name '*.rst' \
		2>/dev/null | sort)
	if ((${#files[@]} == 0)); then
		skip "rst parse" "no .rst files"
		return
	fi
	if (cd "$top" && /usr/bin/python3 "$REFSLAB_TOP/vm/doccheck.py" \
		--kernel-doc "$(source_tree)/scripts/kernel-doc" \
		--map include/uapi/=uapi/ --map drivers/misc/refslab/=module/ \
		"${files[@]}") >"$out/rst.log" 2>&1; then
		ok "rst parse with docutils, kernel-doc expanded (${files[*]})"
	else
		not_ok "rst parse" "$out/rst.log"
	fi
}

# `make help` names every target of the top-level Makefile's .PHONY list,
# one line each.
gate_help() {
	local t help missing=() targets=()
	help=$(make -s -C "$top" help 2>&1) || {
		not_ok "make help failed"
		return
	}
	mapfile -t targets < <(sed -n '/^\.PHONY:/,/[^\\]$/p' "$top/Makefile" |
		sed 's/^\.PHONY://; s/\\$//' | tr -s ' \t' '\n' | grep .)
	for t in "${targets[@]}"; do
		[[ $t == all ]] && continue
		grep -qE "^make $t( |$)" <<<"$help" || missing+=("$t")
	done
	printf '%s\n' "$help" >"$out/help.log"
	if ((${#missing[@]})); then
		not_ok "make help lacks: ${missing[*]}" "$out/help.log"
	elif grep -vE '^make (\[all\]|[a-z-]+) ' "$out/help.log" >"$out/help.other"; then
		not_ok "make help: lines that are not one target's" "$out/help.other"
	else
		ok "make help lists every target, one line each (${#targets[@]} targets)"
	fi
}

# No include cycle in module/: the counters are the lowest layer, and
# every other file sits above all it includes.  The check is shown to
# fail once, on a copy of module/ given a cycle (stats.h including
# object.h, as it once did).
gate_includes() {
	local check=$REFSLAB_TOP/vm/includecheck.py tree=$out/includes-cycle
	if [[ ! -d $top/module ]]; then
		skip "includes: no cycle in module/" "no module/"
		return
	fi
	if /usr/bin/python3 "$check" "$top/module" --bottom stats \
		>"$out/includes.log" 2>&1; then
		ok "includes: no cycle in module/, stats at the bottom ($(grep -c '^layer' "$out/includes.log") layers)"
	else
		not_ok "includes: cycle or layering broken in module/" "$out/includes.log"
	fi
	rm -rf "$tree"
	cp -r "$top/module" "$tree"
	sed -i '0,/^#include </s//#include "object.h"\n&/' "$tree/stats.h"
	if /usr/bin/python3 "$check" "$tree" --bottom stats \
		>"$out/includes-selftest.log" 2>&1; then
		not_ok "includes self-test: a tree with a cycle passed" "$out/includes-selftest.log"
	elif grep -q '^include cycle: .*stats' "$out/includes-selftest.log" &&
		grep -q '^stats is the lowest layer but includes: object.h' \
			"$out/includes-selftest.log"; then
		ok "includes self-test: stats.h including object.h fails (cycle and layering)"
	else
		not_ok "includes self-test: failed, but not for the cycle" "$out/includes-selftest.log"
	fi
}

# The splat scan's filter (vm/splat-filter.awk), through both awks that
# run it, on a made-up log: core kernel races (the timekeeper, as a CI
# kcsan run once reported it, and jiffies read by memcg reclaim under a
# CREATE, with refslab frames far down the stack, as a kcsan run did) and
# the init sweep's cache dump are blanked and listed; a race with a
# refslab frame at the top, one in a kernel helper called right from
# refslab, the same cache dump from a plain insmod and a warning are kept;
# the line count is the log's.
gate_splat_filter() {
	local filter=$REFSLAB_TOP/vm/splat-filter.awk log=$out/splat-filter.log
	local sep='==================================================================' awk_cmd
	local dump='__kmem_cache_create_args(refslab_64) failed with error -12'
	cat >"$log" <<-EOF
		[    1.000000] refslab: loaded
		[  207.789000] $sep
		[  207.789803] BUG: KCSAN: data-race in timekeeping_advance / timekeeping_cycles_to_ns
		[  207.789810]
		[  207.789820] write to 0xffffffff82a1c0d8 of 8 bytes by interrupt on cpu 1:
		[  207.789830]  timekeeping_advance+0x3c1/0x7a0
		[  207.789840] CPU: 1 UID: 0 PID: 71 Comm: refslab_stress Not tainted 6.12.57
		[  207.789850] $sep
		[  208.000000] between
		[  209.100000] $sep
		[  209.100100] BUG: KCSAN: data-race in refslab_ioctl / refslab_ioctl
		[  209.100200]  refslab_fault_race+0x10/0x20 [refslab]
		[  209.100300] $sep
		[  209.200000] $sep
		[  209.200100] BUG: KCSAN: data-race in mem_cgroup_flush_stats_ratelimited / tick_do_update_jiffies64
		[  209.200200] write to 0xffffffff81a0b200 of 8 bytes by interrupt on cpu 0:
		[  209.200210]  tick_do_update_jiffies64+0x132/0x1a2
		[  209.200220]  tick_nohz_handler+0x48/0x150
		[  209.200230] read to 0xffffffff81a0b200 of 8 bytes by task 883 on cpu 0:
		[  209.200240]  mem_cgroup_flush_stats_ratelimited+0x28/0x43
		[  209.200250]  shrink_node+0xb0/0xa1c
		[  209.200260]  try_charge_memcg+0x279/0x57a
		[  209.200270]  obj_cgroup_charge+0x97/0x113
		[  209.200280]  kmem_cache_alloc_noprof+0x140/0x182
		[  209.200290]  refslab_object_alloc+0x124/0x32e [refslab]
		[  209.200300] $sep
		[  209.300000] $sep
		[  209.300100] BUG: KCSAN: data-race in xas_store / xas_load
		[  209.300200] write to 0xff11000001234560 of 8 bytes by task 90 on cpu 1:
		[  209.300210]  xas_store+0x52/0x6a0
		[  209.300220]  refslab_handle_put+0x90/0x120 [refslab]
		[  209.300300] $sep
		[  210.000000] $dump
		[  210.000001] CPU: 0 UID: 0 PID: 90 Comm: guest-holder Not tainted 6.12.57
		[  210.000002] Call Trace:
		[  210.000003]  <TASK>
		[  210.000004]  dump_stack_lvl+0x5d/0x80
		[  210.000005]  </TASK>
		[  211.000000] $dump
		[  211.000001] CPU: 0 UID: 0 PID: 91 Comm: insmod Not tainted 6.12.57
		[  211.000002] Call Trace:
		[  211.000003]  <TASK>
		[  211.000005]  </TASK>
		[  212.000000] WARNING: CPU: 0 PID: 1 at x.c:1 f+0x1/0x2
	EOF
	for awk_cmd in awk "busybox awk"; do
		rm -f "$out/splat-filter.listed"
		if ! $awk_cmd -v listed="$out/splat-filter.listed" -f "$filter" "$log" \
			>"$out/splat-filter.out" 2>&1 </dev/null; then
			not_ok "splat-filter ($awk_cmd): failed to run" "$out/splat-filter.out"
			continue
		fi
		if [[ $(wc -l <"$out/splat-filter.out") == "$(wc -l <"$log")" ]] &&
			! grep -q 'timekeeping\|guest-holder' "$out/splat-filter.out" &&
			grep -q 'BUG: KCSAN: data-race in refslab_ioctl' "$out/splat-filter.out" &&
			grep -q 'BUG: KCSAN: data-race in xas_store' "$out/splat-filter.out" &&
			! grep -q 'mem_cgroup' "$out/splat-filter.out" &&
			grep -q 'Comm: insmod' "$out/splat-filter.out" &&
			[[ $(grep -c 'Call Trace' "$out/splat-filter.out") == 1 ]] &&
			grep -q 'WARNING: CPU' "$out/splat-filter.out" &&
			[[ $(cat "$out/splat-filter.listed") == "core kernel race: BUG: KCSAN: data-race in timekeeping_advance / timekeeping_cycles_to_ns
core kernel race: BUG: KCSAN: data-race in mem_cgroup_flush_stats_ratelimited / tick_do_update_jiffies64
init sweep: $dump" ]]; then
			ok "splat-filter ($awk_cmd): core kernel races (one with refslab frames deep below) and the init sweep's cache dump are listed and blanked, refslab's races (one in a helper it called) and the rest kept"
		else
			not_ok "splat-filter ($awk_cmd): wrong output" "$out/splat-filter.out"
		fi
	done
}

# The kernel's Coccinelle scripts over a copy of the module, one
# `make coccicheck MODE=report` per script so that each report names its
# script.  Two scripts are written in OCaml, for which Debian's coccinelle
# needs an OCaml compiler the rig does not install: null/badzero.cocci
# (0 compared with a pointer; sparse's "Using plain integer as NULL
# pointer" in the kbuild gates catches the same) and
# api/check_bq27xxx_data.cocci (one driver's tables).  They are named as
# not run.
# Usage: cocci_run <tree> <log> <unanswered> [script...]
cocci_run() {
	local tree=$1 log=$2 open=$3 src c file line rest
	shift 3
	src=$(source_tree)
	: >"$log"
	: >"$open"
	: >"$log.one.all"
	for c in "$@"; do
		if ! make -s -C "$src" coccicheck MODE=report M="$tree" \
			COCCI="$src/$c" >"$log.one" 2>&1; then
			{ echo "make coccicheck COCCI=$c failed:"; cat "$log.one"; } >>"$open"
			continue
		fi
		cat "$log.one" >>"$log.one.all"
		grep "^$tree/" "$log.one" | sed "s#^#${c#scripts/coccinelle/}: #" >>"$log" || true
	done
	# A report is answered by a comment at its spot.
	while IFS=: read -r c file line rest; do
		file=${file# }
		if ! sed -n "$((line > 3 ? line - 3 : 1)),${line}p" "$file" |
			grep -q "coccinelle: ${c%.cocci}"; then
			echo "${file#"$tree"/}:$line:$rest ($c)" >>"$open"
		fi
	done <"$log"
}

gate_coccinelle() {
	local src tree c
	local -a scripts=() ocaml=()
	if [[ ! -d $top/module ]]; then
		skip "coccinelle" "no module/"
		return
	fi
	if ! command -v spatch >/dev/null; then
		not_ok "coccinelle: no spatch (run vm/setup.sh)"
		return
	fi
	src=$(source_tree)
	while read -r c; do
		if grep -q '^@[^@]*:ocaml' "$src/$c"; then
			ocaml+=("${c#scripts/coccinelle/}")
		else
			scripts+=("$c")
		fi
	done < <(cd "$src" && find scripts/coccinelle -name '*.cocci' | sort)
	# Outside any git checkout: spatch takes a checkout's files from git,
	# which ignores build/.
	tree=$(mktemp -d /tmp/refslab-cocci.XXXXXX)
	cp -r "$top/Kbuild" "$top/module" "$top/uapi" "$tree/"
	cocci_run "$tree" "$out/coccinelle.log" "$out/coccinelle.open" "${scripts[@]}"
	if [[ -s $out/coccinelle.open ]]; then
		not_ok "coccinelle: unanswered reports" "$out/coccinelle.open"
	elif ! grep -q '^[1-9][0-9]* files match' "$out/coccinelle.log.one.all"; then
		not_ok "coccinelle: no script looked at any file" "$out/coccinelle.log.one.all"
	else
		ok "coccinelle: ${#scripts[@]} scripts, $(wc -l <"$out/coccinelle.log") reports, all answered (not run, OCaml: ${ocaml[*]})"
	fi

	# Self-test: a NULL check before kfree() is reported by
	# free/ifnullfree.cocci; unanswered it fails, answered it passes.
	c=scripts/coccinelle/free/ifnullfree.cocci
	printf '\n%s\n%s\n{\n\tif (p)\n\t\tkfree(p);\n}\n' \
		'void refslab_cocci_selftest(void *p);' \
		'void refslab_cocci_selftest(void *p)' >>"$tree/module/stats.c"
	cocci_run "$tree" "$out/cocci-selftest.log" "$out/cocci-selftest.open" "$c"
	if ! grep -q 'stats.c:.*NULL check before some freeing' "$out/cocci-selftest.open"; then
		not_ok "coccinelle self-test: an unanswered report passed" "$out/cocci-selftest.log"
		rm -rf "$tree"
		return
	fi
	sed -i 's#^\tif (p)$#\t/* coccinelle: free/ifnullfree: the self-test'"'"'s own report */\n&#' \
		"$tree/module/stats.c"
	cocci_run "$tree" "$out/cocci-selftest.log" "$out/cocci-selftest.open" "$c"
	if [[ -s $out/cocci-selftest.open ]] || [[ ! -s $out/cocci-selftest.log ]]; then
		not_ok "coccinelle self-test: an answered report failed or none was made" \
			"$out/cocci-selftest.open"
	else
		ok "coccinelle self-test: an unanswered report fails, an answered one passes"
	fi
	rm -rf "$tree"
}

echo "== lint: host builds and gates =="
gate_checkpatch
gate_kbuild stock61
gate_kbuild stock612
gate_kbuild rt
gate_userspace
gate_shellcheck
gate_kerneldoc
gate_rst
gate_help
gate_includes
gate_splat_filter
gate_coccinelle
tap_result lint
((failed == 0))

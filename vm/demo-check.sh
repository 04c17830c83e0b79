#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo, checked: runs `vm/run.sh stock612 --mode demo` (what `make
# demo` shows) and checks the facts its output states, not only that it
# exited 0: that create printed an id and the other processes used that
# id; that alice's open by id was refused with EACCES and, after chmod,
# granted with the read right; that the process that imported the
# exported fd read the bytes root wrote; that after SIGKILL the holder's
# handle and 3 references were gone from the counters; that the unpinned
# object was reported reclaimed; that the storm's objects were seen live,
# waited for reclamation (reclaim_pending_peak) and were all reclaimed by
# the last sample; that the final table shows nothing
# pending, live or held; and that the guest and vm/run.sh both judged the
# run a success.  The steps are those of vm/guest-demo.sh: keep the two
# in step.
#
# Output as vm/lint.sh: indented TAP, then one line
#   RESULT demo passed=N failed=N skipped=N
# Exit status: 0 when every check passed, 1 otherwise.  The demo's whole
# output is kept in build/demo-check/demo.log.
#
# Usage: vm/demo-check.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

kernel=stock612
out=$REFSLAB_BUILD/demo-check
log=$out/demo.log
tap=$REFSLAB_BUILD/$kernel/demo/results.tap
mkdir -p "$out"
n=0 passed=0 failed=0 skipped=0

# check <description> <function>: one TAP line; what the function printed
# becomes diagnostics when it fails.  It runs in this shell, so that what
# one check learns (the id, the holder's pid) the next ones can use.
check() {
	local desc=$1
	shift
	n=$((n + 1))
	if "$@" >"$out/why" 2>&1; then
		passed=$((passed + 1))
		echo "    ok $n - $desc"
	else
		failed=$((failed + 1))
		echo "    not ok $n - $desc"
		head -n 20 "$out/why" | sed 's/^/    #   /'
	fi
}

rc=0
"$REFSLAB_TOP/vm/run.sh" "$kernel" --mode demo >"$log" 2>&1 || rc=$?
mapfile -t lines <"$log"

# at <exact line>: the index of the first line that is exactly that, from
# index $from on (default 0); fails if there is none.
from=0
at() {
	local i
	for ((i = from; i < ${#lines[@]}; i++)); do
		if [[ ${lines[i]} == "$1" ]]; then
			echo "$i"
			return 0
		fi
	done
	echo "no line '$1' in the demo's output" >&2
	return 1
}

# The lines after a shown command (up to the next blank line or command):
# its output.
output_of() {
	local i j
	i=$(at "  \$ $1") || return 1
	for ((j = i + 1; j < ${#lines[@]}; j++)); do
		[[ -n ${lines[j]} && ${lines[j]} != "  \$ "* ]] || break
		echo "${lines[j]#    }"
	done
}

# value <table> <counter>: a counter from a `refslabctl stats` table.
value() {
	awk -v c="$2" '$1 == c && $2 ~ /^-?[0-9]+$/ { print $2; found = 1 }
		END { exit !found }' <<<"$1" || {
		echo "no counter $2 in:"
		echo "$1"
		return 1
	}
}

# has <text> <regex>...: every regex (grep -E) matches a line of the text.
has() {
	local text=$1 re
	shift
	for re in "$@"; do
		grep -qE -- "$re" <<<"$text" || {
			echo "no line matching '$re' in:"
			echo "$text"
			return 1
		}
	done
}

id=
holder=

ran() {
	((rc == 0)) || echo "vm/run.sh exited $rc"
	grep -qx "RESULT $kernel passed=[0-9]* failed=0 skipped=[0-9]*" "$log" ||
		{ echo "vm/run.sh's RESULT line: $(grep '^RESULT ' "$log" || echo none)"; return 1; }
	((rc == 0))
}

guest_success() {
	local last
	last=$(grep -v '^[[:space:]]*$' "$tap" 2>/dev/null | tail -n 1)
	[[ $last == "REFSLAB-RESULT: success" ]] ||
		{ echo "last line of $tap: ${last:-nothing}"; return 1; }
	grep -qx 'Demo finished: every step did what it said.' "$log" ||
		{ echo "no 'Demo finished' line"; return 1; }
	! grep -q 'this step failed' "$log" ||
		{ grep 'this step failed' "$log"; return 1; }
}

created() {
	local o
	o=$(output_of "refslabctl create 64 --data hello --pin") || return 1
	[[ $o =~ ^[1-9][0-9]*$ ]] || { echo "create printed: $o"; return 1; }
	id=$o
}

# The object's mode and owner before alice tries it.
info_shown() {
	local o
	[[ -n $id ]] || { echo "no id"; return 1; }
	o=$(output_of "refslabctl info $id") || return 1
	has "$o" "^id +$id$" "^mode +0600$" "^owner +0 \(root\)$" "^references +1 "
}

denied() {
	local o
	o=$(output_of "su alice -c 'refslabctl open $id'") || return 1
	has "$o" "^refslabctl: open object $id: permission denied.*\(EACCES\)" \
		"^\(exit status 1: refused"
}

# The write's bytes come back from the process that imported the fd.
imported() {
	local w r
	w=$(output_of "refslabctl write $id --data 'hello, alice' --if-generation 0") || return 1
	[[ $w == 1 ]] || { echo "write printed '$w', not generation 1"; return 1; }
	r=$(output_of "refslabctl export $id --fd 3 -- su alice -c 'refslabctl read --fd 3 --length 12'") ||
		return 1
	[[ $r == "hello, alice" ]] || { echo "the importing process read '$r'"; return 1; }
}

granted() {
	local o
	o=$(output_of "su alice -c 'refslabctl open $id' | grep -E '^(id|rights) '") || return 1
	has "$o" "^id +$id$" "^rights +read " || return 1
	[[ $(grep -c "^  \$ su alice -c 'refslabctl open $id'" "$log") == 2 ]] ||
		{ echo "alice did not try the same id twice"; return 1; }
}

# The holder took 3 references, and SIGKILL gave back its handle and
# exactly those.
killed() {
	local o i before after h1 h2 r1 r2
	o=$(output_of "refslabctl hold $id --refs 3 &") || return 1
	[[ $o =~ ^holding\ object\ $id:\ 3\ references\ in\ one\ handle\ \(pid\ ([0-9]+)\)$ ]] ||
		{ echo "hold printed: $o"; return 1; }
	holder=${BASH_REMATCH[1]}
	i=$(at "  \$ refslabctl hold $id --refs 3 &") || return 1
	from=$i
	before=$(output_of "refslabctl stats handles_live references_live") || return 1
	i=$(at "  \$ kill -KILL $holder") || return 1
	from=$i
	o=$(output_of "kill -KILL $holder")
	[[ $o == "(pid $holder was killed by signal 9, SIGKILL)" ]] ||
		{ echo "after kill: $o"; return 1; }
	after=$(output_of "refslabctl stats handles_live references_live") || return 1
	from=0
	h1=$(value "$before" handles_live) && r1=$(value "$before" references_live) &&
		h2=$(value "$after" handles_live) && r2=$(value "$after" references_live) ||
		return 1
	echo "handles_live $h1 -> $h2, references_live $r1 -> $r2"
	((h1 - h2 == 1 && r1 - r2 == 3 && h2 == 0 && r2 == 1))
}

reclaimed() {
	local o
	o=$(output_of "refslabctl unpin $id --wait --timeout 10") || return 1
	[[ $o =~ ^object\ $id\ reclaimed\ at\ [0-9]+\.[0-9]{9}\ \(CLOCK_MONOTONIC\)$ ]] ||
		{ echo "unpin --wait printed: $o"; return 1; }
}

# The storm's 20000 objects: seen live, released, waiting (the peak), and
# every one reclaimed by the last sample.
storm_drained() {
	local o last peak count
	o=$(output_of "refslabctl stats objects_live reclaim_pending   # every 0.1 s") ||
		return 1
	has "$o" "^after [0-9]+\.[0-9] s: objects_live [1-9][0-9]*, reclaim_pending [0-9]+$" ||
		return 1
	last=$(tail -n 1 <<<"$o")
	[[ $last =~ ^after\ [0-9]+\.[0-9]\ s:\ objects_live\ 0,\ reclaim_pending\ 0$ ]] ||
		{ echo "last sample: $last"; return 1; }
	o=$(output_of "refslabctl stats reclaim_pending_peak reclaim_latency/count reclaim_latency/mean_ns reclaim_latency/max_ns") ||
		return 1
	peak=$(value "$o" reclaim_pending_peak) && count=$(value "$o" reclaim_latency/count) ||
		return 1
	echo "reclaim_pending_peak $peak, reclaim_latency/count $count"
	((peak >= 1 && peak <= 20000 && count >= 20000))
}

final_table() {
	local t c v created
	t=$(output_of "refslabctl stats objects_created objects_released objects_reclaimed reclaim_pending objects_live handles_live references_live") ||
		return 1
	[[ $(head -n 1 <<<"$t") =~ ^counter\ +value$ ]] || { echo "$t"; return 1; }
	[[ $(wc -l <<<"$t") == 8 ]] || { echo "not 7 counters:"; echo "$t"; return 1; }
	created=$(value "$t" objects_created) || return 1
	((created >= 1)) || { echo "objects_created $created"; return 1; }
	for c in objects_released objects_reclaimed; do
		v=$(value "$t" $c) || return 1
		((v == created)) || { echo "$c $v, objects_created $created"; return 1; }
	done
	for c in reclaim_pending objects_live handles_live references_live; do
		v=$(value "$t" $c) || return 1
		((v == 0)) || { echo "$c $v, not 0"; return 1; }
	done
}

check "vm/run.sh $kernel --mode demo passed (exit 0, RESULT failed=0)" ran
check "the guest reported success; no step failed" guest_success
check "create printed the new object's id" created
check "info shows that id, mode 0600, owner root, 1 reference (the pin)" info_shown
check "alice's open of that id was refused: EACCES, exit status 1" denied
check "the process that imported the exported fd read the bytes root wrote" imported
check "after chmod 0644 alice opened the same id, with the read right" granted
check "after SIGKILL the holder's handle and 3 references were gone" killed
check "unpin --wait reported the object reclaimed" reclaimed
check "20000 objects released at once: some waited (the peak), all were reclaimed" storm_drained
check "final table: all released and reclaimed, reclaim_pending 0, nothing held" final_table

secs=$(sed -n "s/^== $kernel: host checks (\([0-9]*\)s) ==$/\1/p" "$log")
echo "    # the demo VM ran ${secs:-?} s; $(wc -l <"$log") lines of output in $log"
echo "    1..$n"
echo "RESULT demo passed=$passed failed=$failed skipped=$skipped"
((failed == 0))

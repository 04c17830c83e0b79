#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Judge the performance gate: the instruction counts a perfgate run
# measured (`vm/run.sh stock612 --mode perfgate`, lines
# "# refslab-gate: OP N" of its results.tap) against the budget file
# (bench/budget.txt: "OP INSTRUCTIONS" lines, # comments).  Prints one TAP
# line per budgeted operation:
#   ok - perfgate OP: N instructions, budget B (+x.x %)
#   not ok - perfgate OP: N instructions, x.x % over budget B
# An operation FAILS if it is more than 5 % over its budget, or was not
# measured at all; an operation measured without a budget fails too (give
# it one).  Figures far under budget pass, with a note to lower it.
#
# Usage: vm/perfgate.sh <results.tap> <budget.txt>
# Exit status: 0 if every line is ok, 1 otherwise, 2 on a usage error.
set -euo pipefail

(($# == 2)) || { sed -n 's/^# \{0,1\}//; 15p' "$0" >&2; exit 2; }
results=$1 budget=$2
[[ -r $results && -r $budget ]] || { echo "perfgate: cannot read $results or $budget" >&2; exit 2; }

awk -v tol=5 '
FNR == NR {
	if ($0 ~ /^[ \t]*(#|$)/)
		next
	budget[$1] = $2 + 0
	order[++n] = $1
	next
}
/^# refslab-gate: / { got[$3] = $4 + 0; seen[++m] = $3 }
END {
	bad = 0
	for (i = 1; i <= n; i++) {
		op = order[i]
		b = budget[op]
		if (!(op in got)) {
			printf "not ok - perfgate %s: not measured (budget %d)\n", op, b
			bad = 1
			continue
		}
		pct = b > 0 ? 100 * (got[op] - b) / b : 0
		if (pct > tol) {
			printf "not ok - perfgate %s: %.1f instructions, %.1f %% over budget %d\n", op, got[op], pct, b
			bad = 1
		} else {
			printf "ok - perfgate %s: %.1f instructions, budget %d (%+.1f %%)%s\n", op, got[op], b, pct, pct < -10 ? "; lower the budget" : ""
		}
	}
	for (i = 1; i <= m; i++)
		if (!(seen[i] in budget)) {
			printf "not ok - perfgate %s: %.1f instructions and no budget in the budget file\n", seen[i], got[seen[i]]
			bad = 1
		}
	if (!n && !m) {
		print "not ok - perfgate: no budgets and no measurements"
		bad = 1
	}
	exit bad
}
' "$budget" "$results"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The figures of issue 7, from what the VM test runs saved (nothing is run
# again): for each kernel, the operations, threads and seconds of
# refslab_stress, the iterations and seed of refslab_fuzz, the
# fault-injection points per operation of refslab_failnth_test, and the
# leaks (kmemleak) and kernel splats found.  `make check` prints this block
# at its end; it can be printed again at any time.
#
# Usage: vm/figures.sh [--mode test|stress] [kernel...]
#        (default: test, stock61 stock612 rt debug kcsan)
# Reads build/<kernel>/<mode>/results.tap and build/<kernel>/<mode>/splats.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

mode="test"
if [[ ${1:-} == --mode ]]; then
	mode=${2:-}
	shift 2 || die "usage: $0 [--mode test|stress] [kernel...]"
fi
kernels=("$@")
((${#kernels[@]})) || kernels=(stock61 stock612 rt debug kcsan)

echo "== figures (from build/<kernel>/$mode/results.tap; 0 leaks and 0 splats expected) =="
for kernel in "${kernels[@]}"; do
	dir=$REFSLAB_BUILD/$kernel/$mode
	tap=$dir/results.tap
	if [[ ! -s $tap ]]; then
		printf '%-9s no results (%s)\n' "$kernel" "$tap"
		continue
	fi
	if [[ -e $dir/splats ]]; then
		splats=$(grep -c . "$dir/splats" || true)
	else
		splats="? (the run was not judged)"
	fi
	# shellcheck disable=SC2016
	awk -v kernel="$kernel" -v splats="$splats" '
	function field(re,    s) {
		if (!match($0, re))
			return "?"
		s = substr($0, RSTART, RLENGTH)
		match(s, /[0-9]+/)
		return substr(s, RSTART, RLENGTH)
	}
	/^# stress: [0-9]+ processes/ {
		procs = $3; workers = field("x [0-9]+ worker"); cpus = field("[0-9]+ CPUs$")
		closers = $0 ~ /1 closer thread each/ ? 1 : 0
	}
	/^# stress: [0-9.]+ s, [0-9]+ operations/ { st_secs = $3; st_ops = $5 }
	/^# fuzz: seed .*iterations in/ {
		fz_seed = $4; sub(/,$/, "", fz_seed)
		fz_iters = $5; fz_secs = $8; fz_threads = $11
		fz_stop = $0 ~ /time limit/ ? ", stopped by its time limit" : ""
	}
	/^# failnth [a-z_]+ points=[0-9]+$/ {
		n = $4; sub(/^points=/, "", n)
		fi_list = fi_list (fi_ops ? ", " : "") $3 " " n
		fi_ops++; fi_points += n
	}
	/^# refslab-section: selftest .*refslab_failnth_test/ { fi_ran = 1 }
	fi_ran && /^ok .*# SKIP/ { fi_skip = 1 }
	/^(not )?ok [0-9]+ kmemleak/ { leak_line = $0; inleak = ($1 == "not") }
	inleak && /unreferenced object/ { leaks++ }
	!/^#/ && !/unreferenced object/ && !/^(not )?ok [0-9]+ kmemleak/ { inleak = 0 }
	END {
		pad = sprintf("%-9s ", "")
		if (st_ops != "")
			printf "%-9s stress: %s operations, %d processes x (%s workers + %d closer) = %d threads, %s CPUs, %s s\n",
				kernel, st_ops, procs, workers, closers,
				procs * (workers + closers), cpus, st_secs
		else
			printf "%-9s stress: no figures in the TAP\n", kernel
		if (fz_iters != "")
			printf "%sfuzz: %s iterations, %s threads, seed %s, %s s%s\n",
				pad, fz_iters, fz_threads, fz_seed, fz_secs, fz_stop
		else
			printf "%sfuzz: no figures in the TAP\n", pad
		if (fi_ops)
			printf "%sfault injection: %d points over %d operations (%s)\n",
				pad, fi_points, fi_ops, fi_list
		else if (fi_ran && fi_skip)
			printf "%sfault injection: skipped (no failslab on this kernel)\n", pad
		else if (fi_ran)
			printf "%sfault injection: no figures in the TAP\n", pad
		else
			printf "%sfault injection: not part of this run\n", pad
		if (leak_line == "")
			found = "not scanned (no kmemleak on this kernel)"
		else if (leak_line ~ /^not ok/ && !leaks)
			found = "? (the kmemleak scan failed)"
		else
			found = leaks + 0
		printf "%sleaks: %s, splats: %s\n", pad, found, splats
	}' "$tap"
done

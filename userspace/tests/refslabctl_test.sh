#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash disable=SC2317,SC2162
#
# refslabctl CLI test, for busybox sh inside the test VM (and, for the
# usage part, any POSIX shell on a machine without the module).
#
# Proves: every subcommand does what its --help says against the real
# module; --json output parses back (with sed/grep only: no jq in the
# guest) to the values sysfs and the other subcommands report; errors name
# the object, the operation and the errno meaning, with the mode and owner
# for permission errors; exit status 0 on success, 1 when an operation
# fails, 2 for bad usage.  Commands the loaded module does not implement
# yet (see `refslabctl version`) are SKIPped, not passed.
#
# Output: TAP on stdout.  Exit: 0 all passed or skipped, 1 a test failed,
# 4 (kselftest skip) if refslabctl itself is missing.
#
# Environment: REFSLABCTL (default: refslabctl next to this script, else in
# PATH), REFSLAB_RUNAS (default: refslab_runas next to this script),
# REFSLAB_MAN (default: ../cli/refslabctl.8 from this script, if there: the
# man page every option of every --help must be in).

here=$(dirname "$0")
CTL=${REFSLABCTL:-}
if [ -z "$CTL" ]; then
	if [ -x "$here/refslabctl" ]; then
		CTL=$here/refslabctl
	else
		CTL=$(command -v refslabctl 2>/dev/null)
	fi
fi
RUNAS=${REFSLAB_RUNAS:-$here/refslab_runas}
MAN=${REFSLAB_MAN:-$here/../cli/refslabctl.8}
NOBODY=65534
COMMANDS="version create open read write info pin unpin pinned chmod chown
	hold export stats objects users wait"

T=$(mktemp -d /tmp/refslabctl_test.XXXXXX) || exit 1
made_passwd=
pins=
nspins=

cleanup() {
	local p
	for id in $pins; do
		"$CTL" unpin "$id" >/dev/null 2>&1
	done
	# NS:ID, pinned in an IPC namespace that has no process left.
	for p in $nspins; do
		"$CTL" unpin "${p#*:}" --ns "${p%%:*}" >/dev/null 2>&1
	done
	[ -s "$T/many" ] && xargs -n 1 "$CTL" unpin <"$T/many" >/dev/null 2>&1
	[ -n "$made_passwd" ] && rm -f /etc/passwd /etc/group
	rm -rf "$T"
}
trap cleanup EXIT

n=0
failed=0

echo "TAP version 13"
if [ -z "$CTL" ] || [ ! -x "$CTL" ]; then
	echo "1..0 # SKIP refslabctl not found"
	exit 4
fi
echo "# refslabctl: $CTL"

# Diagnostics for a failed test: the last command and its output.
diag() {
	echo "#   command: $last"
	echo "#   exit status: $rc"
	# awk ends every line, even a last one without a newline.
	awk '{ print "#   stdout: " $0 }' "$T/out" | head -n 20
	awk '{ print "#   stderr: " $0 }' "$T/err" | head -n 20
}

pass() { n=$((n + 1)); echo "ok $n $1"; }
fail() { n=$((n + 1)); failed=1; echo "not ok $n $1"; diag; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
# verdict DESC: pass DESC if the command just before succeeded, else fail it.
verdict() {
	if [ $? = 0 ]; then
		pass "$1"
	else
		fail "$1"
	fi
}

# run ARGS...: run refslabctl, keep stdout, stderr and the exit status.
run() {
	last="refslabctl $*"
	"$CTL" "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
}

# run_in FILE ARGS...: the same, with FILE as standard input.
run_in() {
	local input=$1
	shift
	last="refslabctl $* <$input"
	"$CTL" "$@" >"$T/out" 2>"$T/err" <"$input"
	rc=$?
}

# run_as UID GID ARGS...: the same, as another user.
run_as() {
	local uid=$1 gid=$2
	shift 2
	last="(uid $uid gid $gid) refslabctl $*"
	"$RUNAS" "$uid" "$gid" "$CTL" "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
}

out_has() { grep -q -e "$1" "$T/out"; }
err_has() { grep -q -e "$1" "$T/err"; }
out_is() { [ "$(cat "$T/out")" = "$1" ]; }

# usage_error DESC NEEDLE ARGS...: exit 2 and NEEDLE in stderr.
usage_error() {
	local desc=$1 needle=$2
	shift 2
	run "$@"
	if [ "$rc" = 2 ] && err_has "$needle" && err_has "--help"; then
		pass "usage: $desc"
	else
		fail "usage: $desc"
	fi
}

# json_field FILE KEY: the value of "KEY": on its own line (quotes kept).
json_field() {
	sed -n "s/^ *\"$2\": \(.*\)$/\1/p" "$1" | sed 's/,$//' | head -n 1
}

# prom_check FILE: FILE is the Prometheus text exposition format as
# refslabctl writes it: every line a "# HELP NAME TEXT", a "# TYPE NAME
# TYPE" or a sample "NAME[{LABEL="VALUE",...}] NUMBER", names matching
# [a-zA-Z_:][a-zA-Z0-9_:]*; each family's HELP and TYPE once, before its
# samples, which are together; counters (and only they) named *_total; at
# least one sample.  Says what is wrong on "# " lines, status 1.
prom_check() {
	awk '
	function bad(why) { printf "# %s line %d: %s: %s\n", FILENAME, NR, why, $0; err = 1 }
	BEGIN {
		name = "^[a-zA-Z_:][a-zA-Z0-9_:]*$"
		lv = "\"([^\"\\\\]|\\\\.)*\""
		lab = "[a-zA-Z_][a-zA-Z0-9_]*=" lv
		labels = "^[{](" lab "(," lab ")*)?[}]"
		num = "^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$"
	}
	/^# (HELP|TYPE) / {
		n = $3
		if (n !~ name) { bad("invalid metric name"); next }
		if (n in seen) bad($2 " after the samples of " n)
		if ($2 == "HELP") {
			if (n in help) bad("a second HELP")
			help[n] = 1
		} else {
			if (n in type) bad("a second TYPE")
			if (NF != 4 || $4 !~ /^(counter|gauge|untyped|histogram|summary)$/)
				bad("no such type")
			if (($4 == "counter") != (n ~ /_total$/))
				bad("counters, and only they, end in _total")
			type[n] = 1
		}
		fam = n
		next
	}
	{
		if (!match($0, /^[a-zA-Z_:][a-zA-Z0-9_:]*/)) { bad("not HELP, TYPE or a sample"); next }
		n = substr($0, 1, RLENGTH)
		rest = substr($0, RLENGTH + 1)
		if (substr(rest, 1, 1) == "{") {
			if (!match(rest, labels)) { bad("invalid labels"); next }
			rest = substr(rest, RLENGTH + 1)
		}
		if (rest !~ /^ [^ ]+$/) { bad("not one value after the name"); next }
		v = substr(rest, 2)
		if (v !~ num && v !~ /^([-+]Inf|NaN)$/) bad("the value is no number")
		if (!(n in help) || !(n in type)) bad("a sample before its HELP and TYPE")
		else if (n != fam) bad("a sample apart from its family")
		seen[n] = 1
		samples++
	}
	END {
		if (!samples) { print "# " FILENAME ": no sample"; err = 1 }
		exit err
	}' "$1"
}

# -------------------------------------------------------------------------
# Usage: no module needed.

run
if [ "$rc" = 2 ] && err_has "missing command"; then
	pass "no command: exit 2, says so"
else
	fail "no command: exit 2, says so"
fi
run --help
ok=0
[ "$rc" = 0 ] && out_has "SYNOPSIS" && out_has "EXIT STATUS" && ok=1
for cmd in $COMMANDS; do
	out_has "^    $cmd " || ok=0
done
if [ $ok = 1 ]; then
	pass "--help lists every command, man-page style"
else
	fail "--help lists every command, man-page style"
fi

for cmd in $COMMANDS; do
	run "$cmd" --help
	if [ "$rc" = 0 ] && out_has "refslabctl $cmd" && out_has "^SYNOPSIS" &&
		out_has "^DESCRIPTION" && out_has "^EXIT STATUS" && out_has "^EXAMPLES"; then
		pass "$cmd --help: synopsis, description, exit status, examples"
	else
		fail "$cmd --help: synopsis, description, exit status, examples"
	fi
done
run help create
if [ "$rc" = 0 ] && out_has "refslabctl create SIZE"; then
	pass "help CMD is CMD --help"
else
	fail "help CMD is CMD --help"
fi

# The namespace options: each in its command's synopsis and OPTIONS.
for pair in pin:ns unpin:ns pinned:namespaces pinned:ns; do
	cmd=${pair%%:*}
	opt=${pair#*:}
	run "$cmd" --help
	[ "$rc" = 0 ] && out_has "^    refslabctl $cmd .*--$opt" &&
		out_has "^    --$opt "
	verdict "$cmd --help: --$opt in the synopsis and the options"
done
run info --help
[ "$rc" = 0 ] && out_has "foreign: object" && out_has "pinned and foreign"
verdict "info --help: the state and its JSON members"
run wait --help
[ "$rc" = 0 ] && out_has "cookie" && out_has "overflow"
verdict "wait --help: the cookie and the overflow"
# Every option of every --help has its entry in the man page.
if [ -f "$MAN" ]; then
	ok=1
	for cmd in $COMMANDS; do
		"$CTL" "$cmd" --help | sed -n '/^OPTIONS/,/^[A-Z]/p' |
			sed -n 's/^    \(--[a-z-]*\).*/\1/p' >"$T/opts"
		while read opt; do
			grep -qF -- "$(echo "$opt" | sed 's/-/\\-/g')" "$MAN" || {
				echo "# $MAN lacks $cmd $opt"
				ok=0
			}
		done <"$T/opts"
	done
	last="every --help option in $MAN"
	[ $ok = 1 ] && grep -q 'pinned\\fP \[\\fB\\-\\-json\\fP\] \[\\fB\\-\\-namespaces' "$MAN"
	verdict "man page: every option of every command's --help"
else
	skip "man page: every option of every command's --help" "no $MAN"
fi

# prom_check itself, on exposition texts that are right and wrong: the
# stats --format prometheus test below can fail.
printf '%s\n' '# HELP refslab_gets_total t' '# TYPE refslab_gets_total counter' \
	'refslab_gets_total 3' '# HELP refslab_c x' '# TYPE refslab_c gauge' \
	'refslab_c{class="64"} 1' 'refslab_c{class="256",a="q\"\\"} 2.5e3' >"$T/prom.good"
ok=1
last="prom_check $T/prom.good"
prom_check "$T/prom.good" || ok=0
for wrong in 'refslab_x 1' '# HELP refslab_x t|refslab_x 1' \
	'# TYPE refslab_x gauge|refslab_x 1' \
	'# HELP 9x t|# TYPE 9x gauge|9x 1' \
	'# HELP refslab_x t|# TYPE refslab_x gauge|refslab_x one' \
	'# HELP refslab_x t|# TYPE refslab_x gauge|refslab_x{class=64} 1' \
	'# HELP refslab_x t|# TYPE refslab_x gauge|refslab_x' \
	'# HELP refslab_x t|# TYPE refslab_x counter|refslab_x 1' \
	'# HELP refslab_x_total t|# TYPE refslab_x_total gauge|refslab_x_total 1' \
	'# HELP refslab_x t|# TYPE refslab_x gauge|refslab_x 1||' \
	'# HELP refslab_x t|# TYPE refslab_x gauge|refslab_x 1|# a comment' \
	'# HELP a t|# TYPE a gauge|a 1|# HELP b t|# TYPE b gauge|b 1|a 2' \
	'# HELP a t|# TYPE a gauge|a 1|# TYPE a gauge' ''; do
	echo "$wrong" | tr '|' '\n' >"$T/prom.bad"
	if prom_check "$T/prom.bad" >/dev/null; then
		echo "# prom_check took: $wrong"
		ok=0
	fi
done
[ $ok = 1 ]
verdict "prom_check: takes a right exposition text, refuses each wrong one"
usage_error "stats --format unknown" "invalid format 'xml'" stats --format xml
usage_error "stats --format prometheus --watch" "not with --watch" stats --format prometheus --watch 1
usage_error "stats --json --format prometheus" "exclude each other" stats --json --format prometheus

usage_error "unknown command" "unknown command 'frob'" frob
usage_error "unknown global option" "unknown option '--frob'" --frob version
usage_error "create without SIZE" "missing operand: SIZE" create
usage_error "create size 0" "invalid size '0'" create 0
usage_error "create size too large" "invalid size '4097'" create 4097
usage_error "create size not a number" "invalid size 'big'" create big
usage_error "create unknown option" "unknown option '--bogus'" create 8 --bogus
usage_error "create --data without argument" "option '--data' needs an argument" create 8 --data
usage_error "create two data sources" "exclude each other" create 8 --data a --stdin
usage_error "create bad mode" "invalid mode '0999'" create 8 --mode 0999
usage_error "create extra operand" "unexpected operand '9'" create 8 9
usage_error "read id 0" "invalid object id '0'" read 0
usage_error "read id not a number" "invalid object id 'x1'" read x1
usage_error "read --length 0" "invalid length '0'" read 1 --length 0
usage_error "read offset too large" "invalid offset" read 1 --offset 4096
usage_error "write without data" "exactly one of" write 1
usage_error "write bad generation" "invalid generation '-1'" write 1 --data a --if-generation -1
usage_error "info without ID" "missing operand: ID" info
usage_error "chmod without MODE" "missing operand: ID MODE" chmod 1
usage_error "chmod bad mode" "invalid mode 'rw'" chmod 1 rw
usage_error "chown unknown user" "unknown user 'no-such-user-x'" chown 1 no-such-user-x
usage_error "chown unknown group" "unknown group 'no-such-group-x'" chown 1 0:no-such-group-x
usage_error "chown empty owner" "invalid owner ':'" chown 1 :
usage_error "stats --count without --watch" "needs --watch" stats --count 2
usage_error "stats --watch 0" "invalid interval '0'" stats --watch 0
usage_error "pinned takes no operand" "unexpected operand '5'" pinned 5
usage_error "wait bad timeout" "invalid timeout 'soon'" wait 1 --timeout soon
usage_error "unpin --timeout without --wait" "needs --wait" unpin 1 --timeout 3
usage_error "info with both ID and --fd" "not both" info 1 --fd 3
usage_error "read --fd not a number" "invalid file descriptor 'x'" read --fd x
usage_error "read without ID or --fd" "missing operand: ID (or --fd N)" read
usage_error "hold --refs 0" "invalid reference count '0'" hold 1 --refs 0
usage_error "hold without ID" "missing operand: ID" hold
usage_error "export without COMMAND" "missing operand: COMMAND" export 1
usage_error "export --fd below 3" "invalid file descriptor '2'" export 1 --fd 2 -- true
usage_error "pinned --namespaces with --ns" "exclude each other" pinned --namespaces --ns 5
usage_error "pinned --ns not a namespace" "invalid namespace 'x'" pinned --ns x
usage_error "pinned --ns 0" "invalid namespace '0'" pinned --ns 0
usage_error "unpin --ns without its argument" "option '--ns' needs an argument" unpin 1 --ns
usage_error "unpin --ns with --wait" "cannot watch an object of another IPC namespace" unpin 1 --ns 5 --wait
usage_error "pin --ns not a namespace" "invalid namespace 'self'" pin 1 --ns self
: >"$T/not-a-namespace"
run pinned --ns "$T/not-a-namespace"
[ "$rc" = 1 ] && err_has "$T/not-a-namespace is not an IPC namespace file"
verdict "pinned --ns FILE that is no namespace: exit 1, says so"

if [ ! -c /dev/refslab ]; then
	run create 8
	if [ "$rc" = 1 ] && err_has "cannot open /dev/refslab" && err_has "module loaded"; then
		pass "no module: create fails with exit 1 and a hint"
	else
		fail "no module: create fails with exit 1 and a hint"
	fi
	run stats
	if [ "$rc" = 1 ] && err_has "/sys/kernel/refslab"; then
		pass "no module: stats fails with exit 1"
	else
		fail "no module: stats fails with exit 1"
	fi
	echo "# /dev/refslab missing: the module tests did not run"
	echo "1..$n"
	exit $failed
fi

# -------------------------------------------------------------------------
# With the module.

run version
if [ "$rc" = 0 ] && out_has "ABI 1\." && out_has "core"; then
	pass "version: ABI and features"
else
	fail "version: ABI and features"
fi
run version --json
cp "$T/out" "$T/version.json"
if [ "$rc" = 0 ] && [ "$(json_field "$T/version.json" abi_major)" = 1 ] &&
	[ "$(json_field "$T/version.json" payload_max)" = 4096 ] &&
	[ "$(json_field "$T/version.json" file_handles_max)" = 2097152 ] &&
	[ "$(json_field "$T/version.json" batch_max)" = 1024 ] &&
	grep -q '"features": \[.*"core"' "$T/version.json"; then
	pass "version --json: abi_major 1, payload_max 4096, file_handles_max 2097152, batch_max 1024, core feature"
else
	fail "version --json: abi_major 1, payload_max 4096, file_handles_max 2097152, batch_max 1024, core feature"
fi
has() { grep -q "\"features\": \[.*\"$1\"" "$T/version.json"; }
has ns
verdict "version --json: the ns feature (ids per IPC namespace)"
# This process's IPC namespace, by inode number, as the module names it.
myns=$(readlink /proc/self/ns/ipc | tr -dc 0-9)

# stats: every sysfs file, table and JSON agreeing with sysfs.  A counter
# may still settle while refslabctl reads (namespaces_live drops once a
# finished test's namespaces are freed): its value must be the one sysfs
# had just before the run, or just after.
# sysfs_before: every file's value, as "NAME VALUE" lines, into $T/before.
sysfs_before() {
	(cd /sys/kernel/refslab && find . -type f | sed 's|^\./||' |
		while read f; do echo "$f $(cat "$f")"; done) >"$T/before"
}
# sysfs_values NAME: its value before the run, then its value now.
sysfs_values() {
	grep -F "$1 " "$T/before" | while read f v; do
		[ "$f" = "$1" ] && echo "$v"
	done
	cat "/sys/kernel/refslab/$1"
}
live0=$(cat /sys/kernel/refslab/objects_live)
sysfs_before
run stats
cp "$T/out" "$T/stats.txt"
ok=1
[ "$rc" = 0 ] && out_has "^counter  *value$" || ok=0
for f in $(cd /sys/kernel/refslab && find . -type f | sed 's|^\./||'); do
	sysfs_values "$f" >"$T/values"
	while read v; do
		grep -q "^$f  *$v$" "$T/stats.txt" && break
	done <"$T/values" || {
		echo "# stats table lacks $f"
		ok=0
	}
done
if [ $ok = 1 ]; then
	pass "stats: an aligned table of every file in /sys/kernel/refslab"
else
	fail "stats: an aligned table of every file in /sys/kernel/refslab"
fi
sysfs_before
run stats --json
cp "$T/out" "$T/stats.json"
ok=1
[ "$rc" = 0 ] && [ "$(head -n 1 "$T/stats.json")" = "{" ] &&
	[ "$(tail -n 1 "$T/stats.json")" = "}" ] || ok=0
for f in /sys/kernel/refslab/*; do
	[ -f "$f" ] || continue
	name=${f##*/}
	got=$(json_field "$T/stats.json" "$name")
	sysfs_values "$name" >"$T/values"
	while read want; do
		case $want in
		'' | *[!0-9-]*) want="\"$want\"" ;;
		esac
		[ "$got" = "$want" ] && break
	done <"$T/values" || {
		echo "# stats --json: $name is '$got', sysfs '$(tr '\n' ' ' <"$T/values")'"
		ok=0
	}
done
if [ $ok = 1 ]; then
	pass "stats --json: every counter parses back to its sysfs value"
else
	fail "stats --json: every counter parses back to its sysfs value"
fi
run stats --watch 1 --count 2
if [ "$rc" = 0 ] && [ "$(grep -c '^-- ' "$T/out")" = 2 ] &&
	[ "$(grep -c '^counter ' "$T/out")" = 2 ]; then
	pass "stats --watch 1 --count 2: two samples"
else
	fail "stats --watch 1 --count 2: two samples"
fi
run stats --json --watch 1 --count 2
if [ "$rc" = 0 ] && [ "$(wc -l <"$T/out")" = 2 ] &&
	[ "$(grep -c '^{.*"objects_live": *[0-9][0-9]*.*}$' "$T/out")" = 2 ]; then
	pass "stats --json --watch: one JSON object per line"
else
	fail "stats --json --watch: one JSON object per line"
fi
run stats handles_live references_live
if [ "$rc" = 0 ] && [ "$(wc -l <"$T/out")" = 3 ] &&
	out_has "^handles_live  *$(cat /sys/kernel/refslab/handles_live)$" &&
	out_has "^references_live  *$(cat /sys/kernel/refslab/references_live)$"; then
	pass "stats COUNTER...: only those counters, with their sysfs values"
else
	fail "stats COUNTER...: only those counters, with their sysfs values"
fi
run stats classes/64
if [ "$rc" = 0 ] && [ "$(grep -vc '^classes/64/' "$T/out")" = 1 ] &&
	[ "$(grep -c '^classes/64/' "$T/out")" = "$(find /sys/kernel/refslab/classes/64 -type f | wc -l)" ]; then
	pass "stats DIR: every file below the directory, nothing else"
else
	fail "stats DIR: every file below the directory, nothing else"
fi
run stats --json reclaim_pending
if [ "$rc" = 0 ] &&
	[ "$(json_field "$T/out" reclaim_pending)" = "$(cat /sys/kernel/refslab/reclaim_pending)" ] &&
	[ "$(wc -l <"$T/out")" = 3 ]; then
	pass "stats --json COUNTER: one member"
else
	fail "stats --json COUNTER: one member"
fi
run stats handles_live no_such_counter
if [ "$rc" = 1 ] && err_has "no counter 'no_such_counter'"; then
	pass "stats with an unknown counter: exit 1, names it"
else
	fail "stats with an unknown counter: exit 1, names it"
fi
# stats --format prometheus: the exposition parses (prom_check), and every
# file under /sys/kernel/refslab has its sample: the path's components
# joined by _, "classes/N/" as the label class="N", _total on counters; a
# value that is no number (the version) as the label of an _info gauge.
run stats --format prometheus
cp "$T/out" "$T/stats.prom"
ok=1
[ "$rc" = 0 ] && [ ! -s "$T/err" ] && prom_check "$T/stats.prom" || ok=0
for f in $(cd /sys/kernel/refslab && find . -type f | sed 's|^\./||'); do
	case $f in
	classes/*/*)
		class=${f#classes/}
		name=refslab_class_$(echo "${f#classes/*/}" | tr / _)
		label="class=\"${class%%/*}\","
		;;
	*)
		name=refslab_$(echo "$f" | tr / _)
		label=
		;;
	esac
	# The labels of a number: none, or "{class="N"}".
	labels=
	[ -n "$label" ] && labels="[{]${label%,}[}]"

	case $(cat "/sys/kernel/refslab/$f") in
	'' | *[!0-9-]*)
		want="${name}_info[{]$label${f##*/}=\"[^\"]*\"[}] 1"
		;;
	*)
		want="${name}(_total)?$labels -?[0-9]+"
		;;
	esac
	grep -Eq "^$want$" "$T/stats.prom" || {
		echo "# stats --format prometheus: no sample for $f (/^$want$/)"
		ok=0
	}
done
if [ $ok = 1 ]; then
	pass "stats --format prometheus: parses, a sample for every file in /sys/kernel/refslab"
else
	fail "stats --format prometheus: parses, a sample for every file in /sys/kernel/refslab"
fi
grep -q '^# TYPE refslab_objects_created_total counter$' "$T/stats.prom" &&
	grep -q '^# TYPE refslab_objects_live gauge$' "$T/stats.prom" &&
	[ "$(grep -c '^# TYPE refslab_class_objects_live gauge$' "$T/stats.prom")" = 1 ] &&
	[ "$(grep -c '^refslab_class_objects_live{class="[0-9]*"} ' "$T/stats.prom")" = \
		"$(find /sys/kernel/refslab/classes -name objects_live | wc -l)" ]
verdict "stats --format prometheus: counters _total, live values gauges, one family per class counter"

# create without --pin: the object dies with refslabctl.
run create 64 --data hello
id=$(cat "$T/out")
if [ "$rc" = 0 ] && [ "$id" -gt 0 ] 2>/dev/null; then
	pass "create: prints a numeric id"
else
	fail "create: prints a numeric id"
fi
if [ "$(cat /sys/kernel/refslab/objects_live)" = "$live0" ]; then
	pass "create without --pin: the object is gone when refslabctl exits"
else
	fail "create without --pin: the object is gone when refslabctl exits"
fi
# create --count: that many distinct ids, all released together at exit.
created0=$(cat /sys/kernel/refslab/objects_created)
run create 64 --count 50
if [ "$rc" = 0 ] && [ "$(wc -l <"$T/out")" = 50 ] &&
	[ "$(sort -u "$T/out" | grep -c '^[1-9][0-9]*$')" = 50 ] &&
	[ "$(cat /sys/kernel/refslab/objects_created)" = $((created0 + 50)) ] &&
	[ "$(cat /sys/kernel/refslab/objects_live)" = "$live0" ]; then
	pass "create --count 50: 50 distinct ids, 50 objects created, none left"
else
	fail "create --count 50: 50 distinct ids, 50 objects created, none left"
fi
usage_error "create --count 0" "invalid count '0'" create 8 --count 0
usage_error "create --count not a number" "invalid count 'many'" create 8 --count many
printf 'x%.0s' $(seq 1 65) >"$T/big"
run_in "$T/big" create 64 --stdin
if [ "$rc" = 1 ] && err_has "more than the 64 bytes"; then
	pass "create: more data than SIZE fails (exit 1)"
else
	fail "create: more data than SIZE fails (exit 1)"
fi
run create 64 --file "$T/no-such-file"
if [ "$rc" = 1 ] && err_has "no-such-file"; then
	pass "create --file missing: exit 1, names the file"
else
	fail "create --file missing: exit 1, names the file"
fi

# objects and users, from debugfs: the module's columns, as it gives them.
for what in objects users; do
	run "$what"
	if [ -e "/sys/kernel/debug/refslab/$what" ]; then
		[ "$rc" = 0 ] && [ -s "$T/out" ] &&
			[ "$(head -n 1 "$T/out" | tr -s ' ')" = \
				"$(head -n 1 "/sys/kernel/debug/refslab/$what" | tr -s ' ')" ]
		verdict "$what: the debugfs table, its header as the module's"
	else
		if [ "$rc" = 1 ] && err_has "not available"; then
			pass "$what: 'not available' (exit 1) without the debugfs file"
		else
			fail "$what: 'not available' (exit 1) without the debugfs file"
		fi
	fi
done

# Operations by id need OPEN (the share feature).
if ! has share; then
	run info 1
	if [ "$rc" = 1 ] && err_has "info object 1" && err_has "ENOTTY"; then
		pass "by-id commands fail cleanly while OPEN is missing (exit 1, ENOTTY)"
	else
		fail "by-id commands fail cleanly while OPEN is missing (exit 1, ENOTTY)"
	fi
	for t in open read write info chmod chown wait "permission errors"; do
		skip "$t by id" "module lacks the share feature (OPEN)"
	done
fi
if ! has pin; then
	run create 8 --pin
	if [ "$rc" = 1 ] && err_has "pin new object" && err_has "ENOTTY"; then
		pass "create --pin fails cleanly while PIN is missing (exit 1)"
	else
		fail "create --pin fails cleanly while PIN is missing (exit 1)"
	fi
	if [ "$(cat /sys/kernel/refslab/objects_live)" = "$live0" ]; then
		pass "a create --pin that failed leaves no object"
	else
		fail "a create --pin that failed leaves no object"
	fi
	skip "pin, unpin, pinned" "module lacks the pin feature"
fi

if has pin; then
	run create 64 --data hello --mode 0644 --pin
	id=$(cat "$T/out")
	pins="$pins $id"
	if [ "$rc" = 0 ] && [ "$(cat /sys/kernel/refslab/objects_live)" = $((live0 + 1)) ]; then
		pass "create --pin: prints the id, object outlives refslabctl"
	else
		fail "create --pin: prints the id, object outlives refslabctl"
	fi
	run pinned
	if [ "$rc" = 0 ] && out_has "^$id$"; then
		pass "pinned: lists the id"
	else
		fail "pinned: lists the id"
	fi
	run pinned --json
	if [ "$rc" = 0 ] && grep -qE "^\[(.*, )?$id(, .*)?\]$" "$T/out"; then
		pass "pinned --json: an array holding the id"
	else
		fail "pinned --json: an array holding the id"
	fi

	# The administrator's view: the namespaces holding pins, and theirs.
	run pinned --namespaces
	[ "$rc" = 0 ] && out_has "^$myns$"
	verdict "pinned --namespaces: lists this IPC namespace ($myns)"
	run pinned --namespaces --json
	[ "$rc" = 0 ] && grep -qE "^\[(.*, )?$myns(, .*)?\]$" "$T/out"
	verdict "pinned --namespaces --json: an array holding it"
	run pinned --ns "$myns"
	[ "$rc" = 0 ] && out_has "^$id$"
	verdict "pinned --ns NS: lists the id"
	run pinned --ns /proc/self/ns/ipc
	[ "$rc" = 0 ] && out_has "^$id$"
	verdict "pinned --ns /proc/self/ns/ipc: the same, by the namespace file"
	run pinned --ns 1
	[ "$rc" = 1 ] && err_has "IPC namespace 1" && err_has "ENOENT"
	verdict "pinned --ns of no such namespace: exit 1, ENOENT"
	if [ -x "$RUNAS" ]; then
		run_as $NOBODY $NOBODY pinned --namespaces
		[ "$rc" = 1 ] && err_has "EPERM" && err_has "CAP_SYS_ADMIN"
		verdict "pinned --namespaces as a user: exit 1, EPERM, needs CAP_SYS_ADMIN"
		run_as $NOBODY $NOBODY unpin "$id" --ns "$myns"
		[ "$rc" = 1 ] && err_has "unpin object $id in IPC namespace $myns" &&
			err_has "EPERM"
		verdict "unpin --ns as a user: exit 1, EPERM"
	else
		skip "--ns and --namespaces as a user" "no refslab_runas helper"
	fi
	run create 8 --pin
	nid=$(cat "$T/out")
	pins="$pins $nid"
	run unpin "$nid" --ns "$myns"
	rc1=$rc
	run pinned
	[ "$rc1" = 0 ] && ! out_has "^$nid$"
	verdict "unpin ID --ns NS: unpinned"
	run unpin "$nid" --ns "$myns"
	[ "$rc" = 1 ] && err_has "no such namespace or object, or it is not pinned"
	verdict "unpin --ns of an object gone: exit 1, says so"

	# Pins left by a container (a new IPC namespace) whose processes are
	# all gone: listed, and unpinned, by the administrator.
	if command -v unshare >/dev/null 2>&1 &&
		unshare -i true 2>/dev/null; then
		last="unshare -i sh -c 'readlink /proc/self/ns/ipc; refslabctl create 8 --pin'"
		# shellcheck disable=SC2016 # $1 is the inner shell's
		unshare -i sh -c 'readlink /proc/self/ns/ipc; "$1" create 8 --pin' \
			sh "$CTL" >"$T/out" 2>"$T/err"
		rc=$?
		cns=$(head -n 1 "$T/out" | tr -dc 0-9)
		cid=$(sed -n 2p "$T/out")
		[ -n "$cns" ] && [ -n "$cid" ] && nspins="$nspins $cns:$cid"
		[ "$rc" = 0 ] && [ "$cid" = 1 ] && [ "$cns" != "$myns" ]
		verdict "create --pin in a new IPC namespace: id 1 there"
		run pinned --namespaces
		[ "$rc" = 0 ] && out_has "^$cns$" && out_has "^$myns$"
		verdict "pinned --namespaces: the emptied namespace is listed too"
		run pinned --ns "$cns"
		[ "$rc" = 0 ] && out_is "$cid"
		verdict "pinned --ns: the emptied namespace's pin"
		run pinned
		[ "$rc" = 0 ] && { [ "$cid" = "$id" ] || ! out_has "^$cid$"; }
		verdict "pinned: not the other namespace's pins"
		run unpin "$cid" --ns "$cns"
		rc1=$rc
		run pinned --namespaces
		if [ "$rc1" = 0 ] && ! out_has "^$cns$"; then
			nspins=
			pass "unpin --ns: its last pin gone, the namespace is no longer listed"
		else
			fail "unpin --ns: its last pin gone, the namespace is no longer listed"
		fi
	else
		skip "pins of an emptied IPC namespace" "no unshare -i"
	fi

	# More pins than one page of `pinned` (256).
	run create 8 --count 260 --pin
	cp "$T/out" "$T/many"
	run pinned
	[ "$rc" = 0 ] && [ "$(grep -cxFf "$T/many" "$T/out")" = 260 ] &&
		sort -n -c "$T/out" 2>/dev/null
	verdict "pinned: all of 260 new pins (more than a page), in order"
	run pinned --json
	[ "$rc" = 0 ] && [ "$(tr -d '[] ' <"$T/out" | tr , '\n' | grep -cxFf "$T/many")" = 260 ]
	verdict "pinned --json: all of them"
	xargs -n 1 "$CTL" unpin <"$T/many"
	: >"$T/many"
	run pin "$id"
	if [ "$rc" = 1 ] && err_has "pin object $id" && err_has "already pinned"; then
		pass "pin twice: exit 1, says already pinned"
	else
		fail "pin twice: exit 1, says already pinned"
	fi
	run pin 999999999
	if [ "$rc" = 1 ] && err_has "pin object 999999999" && err_has "ENOENT"; then
		pass "pin unknown id: exit 1, ENOENT"
	else
		fail "pin unknown id: exit 1, ENOENT"
	fi
fi

if has pin && has share; then
	run info "$id"
	if [ "$rc" = 0 ] && out_has "^id  *$id$" && out_has "^size  *64 bytes" &&
		out_has "^mode  *0644$" && out_has "^owner  *0"; then
		pass "info: id, size, mode, owner"
	else
		fail "info: id, size, mode, owner"
	fi
	run info "$id" --json
	cp "$T/out" "$T/info.json"
	if [ "$rc" = 0 ] && [ "$(json_field "$T/info.json" id)" = "$id" ] &&
		[ "$(json_field "$T/info.json" size)" = 64 ] &&
		[ "$(json_field "$T/info.json" mode)" = '"0644"' ] &&
		[ "$(json_field "$T/info.json" uid)" = "$(id -u)" ] &&
		[ "$(json_field "$T/info.json" generation)" = 0 ] &&
		[ "$(json_field "$T/info.json" refs)" = 1 ]; then
		pass "info --json: parses back (id, size, mode, uid, generation, refs)"
	else
		fail "info --json: parses back (id, size, mode, uid, generation, refs)"
	fi
	run info "$id"
	[ "$rc" = 0 ] && out_has "^state  *pinned$"
	verdict "info: state pinned"
	[ "$(json_field "$T/info.json" pinned)" = true ] &&
		[ "$(json_field "$T/info.json" foreign)" = false ]
	verdict "info --json: pinned true, foreign false"
	if [ -e /sys/kernel/debug/refslab/objects ]; then
		run objects
		[ "$rc" = 0 ] && awk -v id="$id" -v ns="$myns" '
			NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
			col["ns"] && $col["id"] == id && $col["ns"] == ns { found = 1 }
			END { exit !found }' "$T/out"
		verdict "objects: the object's row, with this IPC namespace in ns"
	else
		skip "objects: the object's row" "no debugfs"
	fi
	run open "$id" --read --write
	if [ "$rc" = 0 ] && out_has "^rights  *read,write"; then
		pass "open --read --write: granted, prints info"
	else
		fail "open --read --write: granted, prints info"
	fi
	run open "$id"
	if [ "$rc" = 0 ] && out_has "^rights  *read "; then
		pass "open: read by default"
	else
		fail "open: read by default"
	fi

	run read "$id" --length 5
	if [ "$rc" = 0 ] && out_is hello; then
		pass "read --length 5: the bytes written by create"
	else
		fail "read --length 5: the bytes written by create"
	fi
	run read "$id"
	if [ "$rc" = 0 ] && [ "$(wc -c <"$T/out")" = 64 ] && [ "$(head -c 5 "$T/out")" = hello ]; then
		pass "read: the whole 64-byte payload"
	else
		fail "read: the whole 64-byte payload"
	fi
	run read "$id" --offset 1 --length 4
	if [ "$rc" = 0 ] && out_is ello; then
		pass "read --offset 1 --length 4"
	else
		fail "read --offset 1 --length 4"
	fi
	run read "$id" --length 5 --hex
	if [ "$rc" = 0 ] && out_has "68 65 6c 6c 6f" && out_has "|hello|"; then
		pass "read --hex: a hex dump"
	else
		fail "read --hex: a hex dump"
	fi
	run read "$id" --offset 60 --length 5
	if [ "$rc" = 1 ] && err_has "read object $id" && err_has "64-byte payload"; then
		pass "read past the payload: exit 1, names object and sizes"
	else
		fail "read past the payload: exit 1, names object and sizes"
	fi

	run write "$id" --data HELLO
	if [ "$rc" = 0 ] && out_is 1; then
		pass "write: prints the new generation"
	else
		fail "write: prints the new generation"
	fi
	run read "$id" --length 5
	if out_is HELLO; then
		pass "write: read sees it"
	else
		fail "write: read sees it"
	fi
	run write "$id" --data zz --if-generation 0
	if [ "$rc" = 1 ] && err_has "write object $id" && err_has "ESTALE" && err_has "now 1"; then
		pass "write --if-generation stale: exit 1, ESTALE, current generation"
	else
		fail "write --if-generation stale: exit 1, ESTALE, current generation"
	fi
	run read "$id" --length 5
	if out_is HELLO; then
		pass "stale write changed nothing"
	else
		fail "stale write changed nothing"
	fi
	run write "$id" --data J --offset 4 --if-generation 1
	if [ "$rc" = 0 ] && out_is 2; then
		pass "write --if-generation current: done, generation 2"
	else
		fail "write --if-generation current: done, generation 2"
	fi
	printf 'from-stdin' >"$T/in"
	run_in "$T/in" write "$id" --stdin
	run read "$id" --length 10
	if out_is from-stdin; then
		pass "write --stdin"
	else
		fail "write --stdin"
	fi
	run write "$id" --file "$T/in" --offset 20
	run read "$id" --offset 20 --length 10
	if out_is from-stdin; then
		pass "write --file --offset"
	else
		fail "write --file --offset"
	fi
	run write "$id" --file "$T/big"
	if [ "$rc" = 1 ] && err_has "more than"; then
		pass "write more than the payload: exit 1"
	else
		fail "write more than the payload: exit 1"
	fi

	run_in "$T/in" create 16 --stdin --pin
	id2=$(cat "$T/out")
	pins="$pins $id2"
	run read "$id2" --length 10
	if out_is from-stdin; then
		pass "create --stdin"
	else
		fail "create --stdin"
	fi
	run create 16 --file "$T/in" --pin
	id3=$(cat "$T/out")
	pins="$pins $id3"
	run read "$id3" --length 10
	if out_is from-stdin; then
		pass "create --file"
	else
		fail "create --file"
	fi

	# Permissions: mode 0600 keeps nobody out; 0640 lets group 0 read.
	run chmod "$id" 0600
	run info "$id" --json
	if [ "$(json_field "$T/out" mode)" = '"0600"' ]; then
		pass "chmod: info shows the new mode"
	else
		fail "chmod: info shows the new mode"
	fi
	if [ -x "$RUNAS" ]; then
		run_as $NOBODY $NOBODY open "$id"
		if [ "$rc" = 1 ] && err_has "open object $id" && err_has "EACCES" &&
			{ err_has "mode 0600" || err_has "cannot be read"; }; then
			pass "open denied: exit 1, EACCES, says mode/owner or that they are unreadable"
		else
			fail "open denied: exit 1, EACCES, says mode/owner or that they are unreadable"
		fi
		run chmod "$id" 0640
		run_as $NOBODY 0 write "$id" --data no
		if [ "$rc" = 1 ] && err_has "write object $id" && err_has "EACCES" &&
			err_has "mode 0640" && err_has "owner 0"; then
			pass "write denied: exit 1, EACCES with mode 0640 and owner 0"
		else
			fail "write denied: exit 1, EACCES with mode 0640 and owner 0"
		fi
		run_as $NOBODY 0 read "$id" --length 10
		if [ "$rc" = 0 ] && out_is from-stdin; then
			pass "read allowed to the group"
		else
			fail "read allowed to the group"
		fi
		run_as $NOBODY 0 chmod "$id" 0666
		if [ "$rc" = 1 ] && err_has "chmod object $id" && err_has "EPERM" && err_has "owner 0"; then
			pass "chmod by a non-owner: exit 1, EPERM with mode and owner"
		else
			fail "chmod by a non-owner: exit 1, EPERM with mode and owner"
		fi
	else
		skip "permission errors" "no refslab_runas helper"
	fi

	# chown: numbers, then names from /etc/passwd and /etc/group.
	run chown "$id2" $NOBODY:$NOBODY
	run info "$id2" --json
	if [ "$(json_field "$T/out" uid)" = $NOBODY ] &&
		[ "$(json_field "$T/out" gid)" = $NOBODY ]; then
		pass "chown UID:GID"
	else
		fail "chown UID:GID"
	fi
	if [ ! -e /etc/passwd ]; then
		made_passwd=1
		echo "root:x:0:0:root:/root:/bin/sh" >/etc/passwd
		echo "rsuser:x:4242:4343::/:/bin/false" >>/etc/passwd
		echo "root:x:0:" >/etc/group
		echo "rsgroup:x:4343:" >>/etc/group
	fi
	if grep -q '^rsuser:' /etc/passwd; then
		run chown "$id2" rsuser:
		run info "$id2" --json
		if [ "$(json_field "$T/out" uid)" = 4242 ] &&
			[ "$(json_field "$T/out" gid)" = 4343 ]; then
			pass "chown USER: (name, login group)"
		else
			fail "chown USER: (name, login group)"
		fi
		run info "$id2"
		if out_has "^owner  *4242 (rsuser)$"; then
			pass "info names the owner"
		else
			fail "info names the owner"
		fi
	else
		skip "chown by name" "cannot add a test user to an existing /etc/passwd"
	fi
	run chown "$id2" root:root
	run info "$id2" --json
	if [ "$rc" = 0 ] && [ "$(json_field "$T/out" uid)" = 0 ] &&
		[ "$(json_field "$T/out" gid)" = 0 ]; then
		pass "chown root:root (names)"
	else
		fail "chown root:root (names)"
	fi

	# export hands the object to a child as a file descriptor; read,
	# write, info and hold take it with --fd.  A mode 0600 object: the
	# file is the permission.
	run create 32 --data shared --pin
	sid=$(cat "$T/out")
	pins="$pins $sid"
	run export "$sid" -- "$CTL" read --fd 3 --length 6
	if [ "$rc" = 0 ] && out_is shared; then
		pass "export: the child reads the object through fd 3"
	else
		fail "export: the child reads the object through fd 3"
	fi
	if [ -x "$RUNAS" ]; then
		run export "$sid" -- "$RUNAS" $NOBODY $NOBODY "$CTL" read --fd 3 --length 6
		if [ "$rc" = 0 ] && out_is shared; then
			pass "export: another user reads a mode 0600 object through the fd"
		else
			fail "export: another user reads a mode 0600 object through the fd"
		fi
	else
		skip "export to another user" "no refslab_runas helper"
	fi
	run export "$sid" --fd 5 -- "$CTL" info --fd 5 --json
	if [ "$rc" = 0 ] && [ "$(json_field "$T/out" id)" = "$sid" ] &&
		[ "$(json_field "$T/out" refs)" = 2 ] &&
		[ "$(json_field "$T/out" rights)" = '"read"' ]; then
		pass "export --fd 5, info --fd 5: same id, pin + file = 2 refs, read right"
	else
		fail "export --fd 5, info --fd 5: same id, pin + file = 2 refs, read right"
	fi
	if command -v unshare >/dev/null 2>&1 && unshare -i true 2>/dev/null; then
		run export "$sid" -- unshare -i "$CTL" info --fd 3
		[ "$rc" = 0 ] && out_has "^id  *0 (hidden" &&
			out_has "^state  *pinned, foreign: object of another IPC namespace (id hidden)$"
		verdict "info --fd in another IPC namespace: id hidden, state foreign"
		run export "$sid" -- unshare -i "$CTL" info --fd 3 --json
		[ "$rc" = 0 ] && [ "$(json_field "$T/out" id)" = 0 ] &&
			[ "$(json_field "$T/out" foreign)" = true ] &&
			[ "$(json_field "$T/out" pinned)" = true ]
		verdict "info --fd --json in another IPC namespace: id 0, foreign true"
		run export "$sid" -- unshare -i "$CTL" read --fd 3 --length 6
		[ "$rc" = 0 ] && out_is shared
		verdict "read --fd in another IPC namespace: the file still works"
	else
		skip "an object file in another IPC namespace" "no unshare -i"
	fi
	run export "$sid" -- "$CTL" write --fd 3 --data x
	if [ "$rc" = 1 ] && err_has "write object $sid" && err_has "EACCES"; then
		pass "export: the file carries the read right only by default"
	else
		fail "export: the file carries the read right only by default"
	fi
	run export "$sid" --read --write -- "$CTL" write --fd 3 --data SH
	gen=$(cat "$T/out")
	run read "$sid" --length 6
	if [ "$gen" = 1 ] && out_is SHared; then
		pass "export --read --write: the child writes through the fd"
	else
		fail "export --read --write: the child writes through the fd"
	fi
	run export "$sid" -- sh -c 'exit 7'
	if [ "$rc" = 7 ]; then
		pass "export exits with the command's status"
	else
		fail "export exits with the command's status"
	fi
	run export "$sid" -- /no/such/command
	if [ "$rc" = 127 ] && err_has "cannot run /no/such/command"; then
		pass "export of a missing command: exit 127, names it"
	else
		fail "export of a missing command: exit 127, names it"
	fi
	run read --fd 0
	if [ "$rc" = 1 ] && err_has "EBADF"; then
		pass "read --fd of a file that is not a refslab object: exit 1, EBADF"
	else
		fail "read --fd of a file that is not a refslab object: exit 1, EBADF"
	fi
	run read --fd 9
	if [ "$rc" = 1 ] && err_has "file descriptor 9 is not open"; then
		pass "read --fd of a closed descriptor: exit 1, says so"
	else
		fail "read --fd of a closed descriptor: exit 1, says so"
	fi
	if [ "$(cat /sys/kernel/refslab/open_files)" = 0 ]; then
		pass "no object or device file outlives the exported command"
	else
		fail "no object or device file outlives the exported command"
	fi

	# hold keeps a handle with N references until it is killed; SIGKILL
	# releases them all the same.
	refs0=$(cat /sys/kernel/refslab/references_live)
	handles0=$(cat /sys/kernel/refslab/handles_live)
	"$CTL" hold "$sid" --refs 3 >"$T/hold.out" 2>"$T/hold.err" </dev/null &
	holder=$!
	i=0
	while [ ! -s "$T/hold.out" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	cp "$T/hold.out" "$T/out"
	cp "$T/hold.err" "$T/err"
	last="refslabctl hold $sid --refs 3 &"
	rc=running
	if out_is "holding object $sid: 3 references in one handle (pid $holder)" &&
		[ "$(cat /sys/kernel/refslab/references_live)" = $((refs0 + 3)) ] &&
		[ "$(cat /sys/kernel/refslab/handles_live)" = $((handles0 + 1)) ]; then
		pass "hold --refs 3: says so, one more handle, 3 more references"
	else
		fail "hold --refs 3: says so, one more handle, 3 more references"
	fi
	kill -KILL $holder
	wait $holder
	rc=$?
	if [ "$rc" = 137 ] && [ "$(cat /sys/kernel/refslab/references_live)" = "$refs0" ] &&
		[ "$(cat /sys/kernel/refslab/handles_live)" = "$handles0" ]; then
		pass "hold killed by SIGKILL: its handle and references are gone"
	else
		fail "hold killed by SIGKILL: its handle and references are gone"
	fi
	run hold "$sid" --timeout 1
	if [ "$rc" = 0 ] && out_has "^holding object $sid: 1 reference in one handle"; then
		pass "hold --timeout 1: holds, then exits 0"
	else
		fail "hold --timeout 1: holds, then exits 0"
	fi
	run export "$sid" -- "$CTL" hold --fd 3 --refs 2 --timeout 1
	if [ "$rc" = 0 ] && out_has "^holding object $sid: 2 references"; then
		pass "hold --fd: holds the object of an exported file"
	else
		fail "hold --fd: holds the object of an exported file"
	fi
	run hold 999999999 --timeout 1
	if [ "$rc" = 1 ] && err_has "hold object 999999999" && err_has "ENOENT"; then
		pass "hold unknown id: exit 1, ENOENT"
	else
		fail "hold unknown id: exit 1, ENOENT"
	fi

	# Errors for an object that does not exist name it and the operation.
	for op in info read; do
		run "$op" 999999999
		if [ "$rc" = 1 ] && err_has "$op object 999999999" && err_has "ENOENT"; then
			pass "$op unknown id: exit 1, names the object and ENOENT"
		else
			fail "$op unknown id: exit 1, names the object and ENOENT"
		fi
	done
fi

if has pin && has share && has notify; then
	run wait 999999999 --timeout 2
	if [ "$rc" = 1 ] && err_has "ENOENT"; then
		pass "wait unknown id: exit 1, ENOENT"
	else
		fail "wait unknown id: exit 1, ENOENT"
	fi
	run wait "$id3" --timeout 1
	if [ "$rc" = 1 ] && err_has "not reclaimed within 1"; then
		pass "wait on a pinned object times out: exit 1"
	else
		fail "wait on a pinned object times out: exit 1"
	fi
	"$CTL" wait "$id3" --timeout 30 >"$T/wait.out" 2>"$T/wait.err" &
	waiter=$!
	sleep 1
	run unpin "$id3"
	wait $waiter
	wrc=$?
	cp "$T/wait.out" "$T/out"
	cp "$T/wait.err" "$T/err"
	rc=$wrc
	last="refslabctl wait $id3 (then unpin)"
	if [ "$wrc" = 0 ] && out_has "object $id3 reclaimed"; then
		pass "wait: returns once the object is reclaimed after unpin"
	else
		fail "wait: returns once the object is reclaimed after unpin"
	fi
	run create 8 --pin
	w=$(cat "$T/out")
	pins="$pins $w"
	run unpin "$w" --wait --timeout 10
	if [ "$rc" = 0 ] && out_has "^object $w reclaimed at "; then
		pass "unpin --wait: returns once the object is reclaimed"
	else
		fail "unpin --wait: returns once the object is reclaimed"
	fi
	run unpin "$w" --wait --timeout 1
	if [ "$rc" = 1 ] && err_has "not pinned"; then
		pass "unpin --wait of an object gone: exit 1, says not pinned"
	else
		fail "unpin --wait of an object gone: exit 1, says not pinned"
	fi
	run create 8 --pin
	w=$(cat "$T/out")
	pins="$pins $w"
	"$CTL" hold "$w" --timeout 4 >/dev/null 2>&1 </dev/null &
	holder=$!
	i=0
	while [ "$(cat /sys/kernel/refslab/handles_live)" = 0 ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	run unpin "$w" --wait --timeout 1
	if [ "$rc" = 1 ] && err_has "unpin object $w: not reclaimed within 1 s"; then
		pass "unpin --wait while another holds it: times out (exit 1)"
	else
		fail "unpin --wait while another holds it: times out (exit 1)"
	fi
	run info "$w" --json
	[ "$rc" = 0 ] && [ "$(json_field "$T/out" pinned)" = false ]
	verdict "info --json of a held object no longer pinned: pinned false"
	wait $holder
	run pinned
	if [ "$rc" = 0 ] && ! out_has "^$w$" &&
		[ "$(cat /sys/kernel/refslab/handles_live)" = 0 ]; then
		pass "the timed-out unpin --wait still unpinned; the holder let go"
	else
		fail "the timed-out unpin --wait still unpinned; the holder let go"
	fi
else
	skip "wait" "module lacks share, pin or notify"
fi

if has pin; then
	for p in $pins; do
		run unpin "$p"
	done
	run unpin "$id"
	if [ "$rc" = 1 ] && err_has "not pinned"; then
		pass "unpin twice: exit 1, says not pinned"
	else
		fail "unpin twice: exit 1, says not pinned"
	fi
	pins=
	run pinned
	if [ "$rc" = 0 ] && ! out_has "^$id$"; then
		pass "unpinned objects leave the list"
	else
		fail "unpinned objects leave the list"
	fi
fi
if [ "$(cat /sys/kernel/refslab/objects_live)" = "$live0" ]; then
	pass "every object is released at the end"
else
	fail "every object is released at the end"
fi

echo "1..$n"
exit $failed

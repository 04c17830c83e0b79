# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash disable=SC2034
#
# The demo, sourced by vm/guest-init.sh inside the VM (`make demo`).  What
# it prints goes to the user's terminal; the kernel console goes to a log.
#
# The story: root creates and pins an object; alice, another user, is
# refused it by id, then gets it as a file descriptor, then by id once the
# mode allows; a holder is killed with SIGKILL and its references go; the
# unpinned object is reclaimed; the counters end where they started.
# Every number shown comes from the module (refslabctl's output or sysfs).
# `say` narrates; `show` runs a command and shows it with its output; a
# command that fails (or, for `refused`, one that succeeds) fails the demo.
# vm/demo-check.sh checks the facts in this output: keep the two in step.

# say LINE...: a blank line, then the narration, one argument per line.
say() {
	local line
	out ""
	for line in "$@"; do
		out "$line"
	done
}

# Standard output and error of the last command, indented, every line
# ended (a payload read back has no newline of its own).
indent() { awk '{ print "    " $0 }' "$1" >&3; }

# run_cmd <0: must succeed | 1: must fail> <as shown> <command...>
run_cmd() {
	local want=$1 shown=$2 rc
	shift 2
	out "  \$ $shown"
	"$@" >/tmp/demo.out 2>&1 3>&-
	rc=$?
	indent /tmp/demo.out
	if [ "$want" = 0 ] && [ $rc != 0 ]; then
		out "    (exit status $rc: this step failed)"
		failed=1
	elif [ "$want" = 1 ] && [ $rc = 0 ]; then
		out "    (exit status 0, but this had to be refused: this step failed)"
		failed=1
	elif [ "$want" = 1 ]; then
		out "    (exit status $rc: refused, as it should be)"
	fi
}

show() { run_cmd 0 "$*" "$@"; }
# A command line for sh -c, shown as it is (quotes, su -c ...).
show_sh() { run_cmd 0 "$1" sh -c "$1"; }
refused_sh() { run_cmd 1 "$1" sh -c "$1"; }

# wait_line FILE: until a background command has printed its first line.
wait_line() {
	local i=0
	while [ ! -s "$1" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -s "$1" ]
}

# counter NAME: one counter's value, as refslabctl reads it from sysfs.
counter() {
	refslabctl stats --json "$1" 3>&- | sed -n "s/.*\"$1\": *\([0-9]*\).*/\1/p"
}

# storm N: one refslabctl creates N objects and exits, in the background,
# its output (the ids) read only after 2 s: it fills the pipe and waits
# with the objects it made, so that the samples see them live however
# fast the rest goes.  Meanwhile objects_live and reclaim_pending are read
# every 0.1 s and shown when they change, until the storm is over and
# nothing is pending (30 s at most).
storm() {
	local i=0 pid live pending line last='' done=0
	out "  \$ refslabctl create 256 --count $1 | (sleep 2; cat >/dev/null) &"
	out "  \$ refslabctl stats objects_live reclaim_pending   # every 0.1 s"
	rm -f /tmp/storm.rc
	{
		refslabctl create 256 --count "$1" 2>/tmp/storm.err 3>&-
		echo $? >/tmp/storm.rc
	} | (sleep 2; cat >/dev/null) 3>&- &
	pid=$!
	while :; do
		[ $done = 1 ] || kill -0 "$pid" 2>/dev/null || done=1
		live=$(counter objects_live)
		pending=$(counter reclaim_pending)
		line="objects_live ${live:-?}, reclaim_pending ${pending:-?}"
		[ "$line" = "$last" ] ||
			out "    after $((i / 10)).$((i % 10)) s: $line"
		last=$line
		[ $done = 1 ] && [ "$live" = 0 ] && [ "$pending" = 0 ] && break
		if [ $i -ge 300 ]; then
			out "    (the objects were not all reclaimed: this step failed)"
			failed=1
			break
		fi
		sleep 0.1
		i=$((i + 1))
	done
	wait "$pid"
	[ "$(cat /tmp/storm.rc 2>/dev/null)" = 0 ] ||
		{ indent /tmp/storm.err; failed=1; }
}

# A user to share with.  busybox su (run by root) needs no password.
echo "root:x:0:0:root:/:/bin/sh" >/etc/passwd
echo "alice:x:1000:1000:alice:/tmp:/bin/sh" >>/etc/passwd
echo "root:x:0:" >/etc/group
echo "alice:x:1000:" >>/etc/group

out "refslab demo on Linux $(uname -r) (Debian's stock kernel) under QEMU"

say "Load the module: it adds the device /dev/refslab and counters in /sys/kernel/refslab/."
show insmod /refslab/refslab.ko

say "root creates an object of 64 bytes that starts with \"hello\", and pins it so that it" \
	"outlives the command. refslabctl prints the object's id."
run_cmd 0 "refslabctl create 64 --data hello --pin" \
	refslabctl create 64 --data hello --pin
id=$(cat /tmp/demo.out)
case $id in
'' | *[!0-9]*) failed=1 id=0 ;;
esac

say "Like a file, it has an owner and a mode: 0600 lets only root in." \
	"The pin is its one reference."
show refslabctl info "$id"

say "alice, another user, opens object $id by its id. The module checks the mode and refuses:"
refused_sh "su alice -c 'refslabctl open $id'"

say "root writes new bytes (write prints the new generation: each write adds one)." \
	"Then export runs a child process with the object as fd 3: alice's refslabctl imports" \
	"the fd and reads. Holding the fd is the permission; the mode is not checked."
run_cmd 0 "refslabctl write $id --data 'hello, alice' --if-generation 0" \
	refslabctl write "$id" --data "hello, alice" --if-generation 0
show_sh "refslabctl export $id --fd 3 -- su alice -c 'refslabctl read --fd 3 --length 12'"

say "root lets everyone read (mode 0644); now alice's open by id succeeds, read right only:"
show refslabctl chmod "$id" 0644
show_sh "su alice -c 'refslabctl open $id' | grep -E '^(id|rights) '"

say "A holder: this refslabctl opens object $id, takes 3 references and sleeps until killed."
out "  \$ refslabctl hold $id --refs 3 &"
refslabctl hold "$id" --refs 3 >/tmp/hold.out 2>&1 3>&- &
holder=$!
wait_line /tmp/hold.out && grep -q '^holding object' /tmp/hold.out || failed=1
indent /tmp/hold.out
show refslabctl stats handles_live references_live

say "Kill it with SIGKILL. It cannot clean up, but the kernel closes its /dev/refslab file," \
	"which drops its handle and the 3 references; the pin's reference remains."
show kill -KILL "$holder"
wait "$holder"
rc=$?
if [ $rc = 137 ]; then
	out "    (pid $holder was killed by signal 9, SIGKILL)"
else
	out "    (pid $holder ended with status $rc, not by SIGKILL: this step failed)"
	failed=1
fi
show refslabctl stats handles_live references_live

say "Unpin: that was the last reference. The object is released at once, and reclaimed" \
	"(its memory freed) after an RCU grace period; --wait waits for the module's event."
show refslabctl unpin "$id" --wait --timeout 10

say "Reclamation is deferred. In the background, one refslabctl creates 20000 objects and" \
	"exits (its output is read only after 2 s: until then it waits with what it made):" \
	"closing its file releases them all, but their memory is freed only after an RCU" \
	"grace period. reclaim_pending counts the released objects still waiting:"
show_sh "echo 0 >/sys/kernel/refslab/reclaim_pending_peak"
storm 20000

say "reclaim_pending_peak: the most that waited at once; reclaim_latency/: the time from" \
	"release to reclaim, in nanoseconds."
show refslabctl stats reclaim_pending_peak reclaim_latency/count reclaim_latency/mean_ns \
	reclaim_latency/max_ns

say "At the end, every object created was released and reclaimed, none is pending" \
	"reclamation (reclaim_pending), and no handle or reference is left:"
show refslabctl stats objects_created objects_released objects_reclaimed \
	reclaim_pending objects_live handles_live references_live

say "Unload the module (rmmod refuses while a refslab file is open):"
show rmmod refslab
if [ "$failed" = 0 ]; then
	out "Demo finished: every step did what it said."
else
	out "Demo FAILED: a step above did not do what it said."
fi

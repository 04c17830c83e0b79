# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash disable=SC2034
#
# The demo, sourced by vm/guest-init.sh inside the VM (`make demo`).  What
# it prints goes to the user's terminal; the kernel console goes to a log.
# `say` narrates, `show` runs a command and shows it with its output; a
# failing command fails the demo.  Add a step here as each feature lands.

say() { out ""; out "$*"; }

show() {
	out "  \$ $*"
	"$@" >/tmp/demo.out 2>&1 3>&-
	local rc=$?
	sed 's/^/    /' /tmp/demo.out >&3
	if [ $rc != 0 ]; then
		out "    (exit status $rc)"
		failed=1
	fi
}

say "refslab demo: Linux $(uname -r), Debian's stock kernel, under QEMU."
say "Load the module; it registers the misc device /dev/refslab:"
show insmod /refslab/refslab.ko
show ls -l /dev/refslab
say "Its version and counters are in sysfs, one value per file:"
show cat /sys/kernel/refslab/version
show ls /sys/kernel/refslab
if [ -x /bin/refslabctl ]; then
	say "refslabctl talks to the module through the ioctl interface:"
	show refslabctl version
	show refslabctl stats
fi
say "Unload it again:"
show rmmod refslab
say "Demo finished."

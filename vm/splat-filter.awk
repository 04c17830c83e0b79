# The kernel log with the reports that are expected, and not refslab's,
# blanked out line for line (the output's line numbers are the log's), for
# the splat scan to read.  POSIX awk: the host's awk, and busybox awk in
# the guest.
#
# Usage: awk [-v listed=<file>] -f vm/splat-filter.awk <log>
#
# Appends a line per report blanked to <file>: "core kernel race: " or
# "init sweep: ", then the report's first line.  Two kinds are blanked:
#
# - A KCSAN report whose racing functions (its title) are not a refslab
#   module's ("[refslab]", "[refslab_kunit]") and whose access stacks have
#   no frame of one among their first NEAR frames.  The kcsan kernel
#   watches with interrupts on and for 2 ms (vm/run.sh), which also shows
#   races among the core kernel's own accesses, such as the timekeeper's
#   fields read under their seqcount from an interrupt, or jiffies read
#   by memcg reclaim that a CREATE's allocation entered: Debian's
#   kernel's, not refslab's to fix or annotate, even with refslab's
#   frames far down the stack.  A race of refslab's code, or of a kernel
#   helper refslab calls on its own data (an xarray's, a list's), has a
#   refslab frame at or near the top of a stack, and is kept.  The
#   report runs from its "BUG: KCSAN:" line to the next line of "=".
#
# - The slab allocator's stack dump for a refslab size-class cache it
#   could not create, while the init sweep (vm/guest-holder.c
#   init-sweep, "Comm: guest-holder") fails each allocation of the
#   module's init in turn: the core kernel's answer to an injected
#   failure.  It runs from "<function>(refslab_<n>) failed with error
#   -<errno>" to the dump's "</TASK>".  The same dump made by any other
#   task (a plain insmod) is kept.
#
# A report cut off (by the end of the log, by another report, or after 100
# lines without its end) is kept: what it says is unknown.

# How many frames from the top of an access stack count as refslab's.
BEGIN { NEAR = 5 }

function flush(keep,    i, what) {
	if (!kind)
		return
	if (!keep && kind == "kcsan" && !near)
		what = "core kernel race: "
	else if (!keep && kind == "cache" && buf ~ /Comm: guest-holder /)
		what = "init sweep: "
	else
		keep = 1
	if (keep) {
		printf "%s", buf
	} else {
		for (i = 0; i < lines; i++)
			print ""
		if (listed != "")
			print what title >>listed
	}
	kind = ""
	buf = ""
	lines = 0
}

function begin(k) {
	flush(1)
	kind = k
	title = bare
	buf = $0 "\n"
	lines = 1
	near = bare ~ /\[refslab(_kunit)?\]/
	depth = 0
}

{
	bare = $0
	sub(/\r$/, "", bare)
	sub(/^\[ *[0-9]+\.[0-9]+\] /, "", bare)
}

bare ~ /^BUG: KCSAN: / {
	begin("kcsan")
	next
}

bare ~ /^[a-z_]*kmem_cache_create[a-z_]*\(refslab_[0-9]+\) failed with error -[0-9]+$/ {
	begin("cache")
	next
}

kind {
	buf = buf $0 "\n"
	lines++
	# A KCSAN report's access: "read to 0x...", "write (marked) to ...",
	# "race at unknown origin, with read to ...", then its stack.
	if (kind == "kcsan" && bare ~ /^(read|write|race at unknown origin).* to 0x[0-9a-f]+ /)
		depth = 0
	else if (kind == "kcsan" && bare ~ /^ +[A-Za-z0-9_.]+\+0x[0-9a-f]+\/0x[0-9a-f]+/ &&
		 ++depth <= NEAR && bare ~ /\[refslab(_kunit)?\]/)
		near = 1
	if ((kind == "kcsan" && bare ~ /^=+$/) ||
	    (kind == "cache" && bare ~ /^ *<\/TASK>$/))
		flush(0)
	else if (lines >= 100)
		flush(1)
	next
}

{ print }

END { flush(1) }

# SPDX-License-Identifier: GPL-2.0
#
# Print one tested example of the README: the fenced block that follows
# the line "<!-- tested: NAME -->", without its fences.  Fails (exit 1,
# message on stderr) unless that marker is there exactly once, right
# before an opening fence, and the block is closed.
#
# Usage: awk -v name=NAME -f readme-extract.awk README.md

function bad(msg) {
	printf "readme-extract: %s: %s\n", FILENAME, msg > "/dev/stderr"
	failed = 1
	exit 1
}

$0 == "<!-- tested: " name " -->" {
	if (++marks > 1)
		bad("marker '" name "' appears more than once")
	fence = FNR + 1
	next
}
FNR == fence {
	if ($0 !~ /^```[A-Za-z0-9]*$/)
		bad("marker '" name "' is not followed by an opening ``` fence")
	inside = 1
	next
}
inside && /^```[ \t]*$/ {
	inside = 0
	closed = 1
	next
}
inside {
	print
}
END {
	if (failed)
		exit 1
	if (!marks)
		bad("no marker '<!-- tested: " name " -->'")
	if (!closed)
		bad("the block after marker '" name "' is not closed")
}

// SPDX-License-Identifier: GPL-2.0
/*
 * refslab_runas: run a command as another user, for the CLI test (busybox
 * has no numeric su).
 *
 * Usage: refslab_runas UID GID COMMAND [ARG...]
 */
#define _GNU_SOURCE
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char *end;
	unsigned long uid, gid;

	if (argc < 4) {
		fprintf(stderr, "usage: refslab_runas UID GID COMMAND [ARG...]\n");
		return 2;
	}
	uid = strtoul(argv[1], &end, 10);
	if (*end)
		return 2;
	gid = strtoul(argv[2], &end, 10);
	if (*end)
		return 2;
	if (setgroups(0, NULL) || setgid((gid_t)gid) || setuid((uid_t)uid)) {
		perror("refslab_runas");
		return 125;
	}
	execvp(argv[3], argv + 3);
	perror("refslab_runas: exec");
	return 127;
}

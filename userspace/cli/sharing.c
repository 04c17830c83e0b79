// SPDX-License-Identifier: GPL-2.0
/*
 * refslabctl's sharing commands: hold (references kept in a running
 * process) and export (an object handed to a command as a file
 * descriptor).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "refslabctl.h"

/* ---------------------------------------------------------------------- */
/* hold and export                                                         */

static int do_hold(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "refs", required_argument, NULL, 'n' },
		{ "write", no_argument, NULL, 'w' },
		{ "fd", required_argument, NULL, 'F' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t rights = REFSLAB_RIGHT_READ, refs = 1, h;
	struct target t = { .objfd = -1 };
	struct timespec left;
	uint64_t timeout = 0;
	int fd, opt, ret;

	while ((opt = getopt_long(argc, argv, ":n:wF:t:", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			refs = (uint32_t)arg_positive(c, "reference count", optarg,
						      UINT32_MAX, "at least 1");
			break;
		case 'w':
			rights |= REFSLAB_RIGHT_WRITE;
			break;
		case 'F':
			t.objfd = arg_fd(c, optarg, 0);
			break;
		case 't':
			timeout = arg_u64(c, "timeout", optarg, INT_MAX);
			break;
		default:
			bad_option(c, argv, opt);
		}
	}
	target_operands(c, argc, argv, &t);

	fd = dev_open(c);
	h = target_open(fd, "hold", &t, rights, false);
	if (refs > 1) {
		ret = refslab_get(fd, h, refs - 1);
		if (ret < 0)
			obj_fail(fd, "hold", t.id, ret);
	}
	/* Scripts wait for this line: the references are held from here on. */
	printf("holding object %" PRIu64 ": %" PRIu32 " reference%s in one handle (pid %d)\n",
	       t.id, refs, refs == 1 ? "" : "s", (int)getpid());
	fflush(stdout);
	if (!timeout)
		for (;;)
			pause();
	left.tv_sec = (time_t)timeout;
	left.tv_nsec = 0;
	while (nanosleep(&left, &left) && errno == EINTR)
		;
	refslab_close(fd);
	return 0;
}

const struct command cmd_hold = {
	.name = "hold",
	.run = do_hold,
	.summary = "hold references to an object until killed",
	.help =
"NAME\n"
"    refslabctl hold - keep references to an object in a running process\n\n"
"SYNOPSIS\n"
"    refslabctl hold (ID | --fd N) [--refs N] [--write] [--timeout SECONDS]\n\n"
"DESCRIPTION\n"
"    Opens object ID (read right; with --write, read and write), or imports\n"
"    the object file descriptor N, and makes that handle hold N references.\n"
"    Then prints one line, \"holding object ID: N references in one handle\n"
"    (pid P)\", and sleeps: until SECONDS have passed, or until a signal\n"
"    ends it.  However refslabctl ends, SIGKILL included, the kernel drops\n"
"    the references when it closes the process's files: a holder that\n"
"    crashes cannot leak them.\n\n"
"OPTIONS\n"
"    --refs N            hold N references (default 1)\n"
"    --write             ask for the write right as well\n"
"    --fd N              hold the object of file descriptor N, made by\n"
"                        `export` or received over a socket, instead of ID\n"
"    --timeout SECONDS   exit (status 0) after SECONDS; default: never\n\n"
EXIT_STATUS_HELP "\n"
"EXAMPLES\n"
"    refslabctl hold 42 --refs 3 & sleep 1; kill -KILL $!\n"
"    refslabctl hold 42 --timeout 60\n",
};

static int do_export(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "read", no_argument, NULL, 'r' },
		{ "write", no_argument, NULL, 'w' },
		{ "fd", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t rights = 0, h;
	int fd, objfd, child_fd = 3, opt, status;
	uint64_t id;
	pid_t pid;

	while ((opt = getopt_long(argc, argv, ":rwF:", opts, NULL)) != -1) {
		switch (opt) {
		case 'r': rights |= REFSLAB_RIGHT_READ; break;
		case 'w': rights |= REFSLAB_RIGHT_WRITE; break;
		case 'F': child_fd = arg_fd(c, optarg, 3); break;
		default: bad_option(c, argv, opt);
		}
	}
	if (argc - optind < 1)
		usage_error(c, "missing operand: ID");
	id = arg_id(c, argv[optind]);
	if (argc - optind < 2)
		usage_error(c, "missing operand: COMMAND");
	if (!rights)
		rights = REFSLAB_RIGHT_READ;

	fd = dev_open(c);
	h = obj_open(fd, "export", id, rights, false);
	objfd = refslab_export(fd, h, REFSLAB_EXPORT_KEEP_ON_EXEC, 0);
	if (objfd < 0)
		obj_fail(fd, "export", id, objfd);
	/* From here on the object file is refslabctl's only reference. */
	refslab_close(fd);

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("export object %" PRIu64 ": fork: %s", id, strerror(errno));
	if (!pid) {
		/* dup2() leaves the new descriptor open across exec. */
		if (objfd != child_fd) {
			if (dup2(objfd, child_fd) < 0) {
				fprintf(stderr, "refslabctl: export object %" PRIu64
					": descriptor %d: %s\n", id, child_fd, strerror(errno));
				_exit(126);
			}
			close(objfd);
		}
		execvp(argv[optind + 1], argv + optind + 1);
		fprintf(stderr, "refslabctl: export object %" PRIu64 ": cannot run %s: %s\n",
			id, argv[optind + 1], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(objfd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("export object %" PRIu64 ": waitpid: %s", id, strerror(errno));
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

const struct command cmd_export = {
	.name = "export",
	.run = do_export,
	.summary = "run a command with an object as a file descriptor",
	.help =
"NAME\n"
"    refslabctl export - hand an object to a command as a file descriptor\n\n"
"SYNOPSIS\n"
"    refslabctl export ID [--read] [--write] [--fd N] -- COMMAND [ARG...]\n\n"
"DESCRIPTION\n"
"    Opens object ID with the rights asked for (read if none is given),\n"
"    exports it as an object file (REFSLAB_IOC_EXPORT) with those rights,\n"
"    and runs COMMAND in a child process with that file as descriptor N\n"
"    (default 3).  refslabctl drops its own handle first, so the file is\n"
"    the only reference it passes on; it waits for COMMAND and exits with\n"
"    COMMAND's status.\n\n"
"    The file is a capability: whoever holds it can import it (`read --fd N`,\n"
"    `info --fd N`, `hold --fd N`, or refslab_import()) with its rights, whatever\n"
"    the object's mode and owner, even as another user.  It holds one\n"
"    reference until the last process that has it open closes it.\n\n"
"OPTIONS\n"
"    --read    the file carries the read right\n"
"    --write   the file carries the write right\n"
"    --fd N    the descriptor number in COMMAND, 3 or more (default 3)\n\n"
"EXIT STATUS\n"
"    COMMAND's exit status (128 + the signal if a signal ended it); 1 the\n"
"    export failed; 2 usage error; 126 COMMAND could not be run; 127\n"
"    COMMAND was not found.\n\n"
"EXAMPLES\n"
"    refslabctl export 42 -- refslabctl read --fd 3\n"
"    refslabctl export 42 --read --write --fd 5 -- sh -c 'refslabctl write --fd 5 --data hi'\n",
};

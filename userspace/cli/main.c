// SPDX-License-Identifier: GPL-2.0
/*
 * refslabctl: create, share, inspect and watch refslab objects from a
 * shell.  Every subcommand opens /dev/refslab afresh, so an object it
 * creates lives only as long as the command unless it is pinned, and every
 * operation on an existing object first opens it by id (REFSLAB_IOC_OPEN)
 * with the rights the operation needs.
 *
 * This file: the command table, the common options, the top-level help
 * and the messages every command exits with.  The commands live by
 * family: objects.c (create, open, read, write, info), sharing.c (hold,
 * export), pins.c (pin, unpin, pinned, chmod, chown), stats.c (version,
 * stats, objects, users) and wait.c; common.c and output.c hold what
 * they share.
 *
 * Exit status: 0 success, 1 the operation failed, 2 usage error.
 *
 * Linked statically (with librefslab.a) so that it runs in a busybox
 * initramfs.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refslabctl.h"

/* In the order `refslabctl --help` lists them. */
static const struct command *const commands[] = {
	&cmd_version, &cmd_create, &cmd_open, &cmd_read, &cmd_write, &cmd_info,
	&cmd_pin, &cmd_unpin, &cmd_pinned, &cmd_chmod, &cmd_chown,
	&cmd_hold, &cmd_export, &cmd_stats, &cmd_objects, &cmd_users,
	&cmd_wait, NULL,
};

/* ---------------------------------------------------------------------- */
/* Messages and exits                                                      */

void __attribute__((format(printf, 2, 3), noreturn))
usage_error(const struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "refslabctl%s%s: ", c->cmd ? " " : "",
		c->cmd ? c->cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'refslabctl %s%s--help' for more information.\n",
		c->cmd ? c->cmd : "", c->cmd ? " " : "");
	exit(EXIT_USAGE);
}

void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list ap;

	fputs("refslabctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_FAIL);
}

/* Report an unknown option or a missing argument as getopt saw it. */
void __attribute__((noreturn))
bad_option(const struct ctx *c, char **argv, int opt)
{
	const char *arg = argv[optind - 1];

	if (opt == ':')
		usage_error(c, "option '%s' needs an argument", arg);
	if (optopt && optopt != '?')
		usage_error(c, "unknown option '-%c'", optopt);
	usage_error(c, "unknown option '%s'", arg);
}


/* ---------------------------------------------------------------------- */
/* Help                                                                    */

static const char main_help[] =
"NAME\n"
"    refslabctl - create, share and inspect refslab kernel objects\n"
"\n"
"SYNOPSIS\n"
"    refslabctl [--device PATH] COMMAND [OPTIONS] [ARGS]\n"
"    refslabctl COMMAND --help\n"
"    refslabctl --help | --version\n"
"\n"
"DESCRIPTION\n"
"    refslab gives userspace kernel-owned, reference-counted objects through\n"
"    /dev/refslab.  refslabctl drives it from a shell: every command opens the\n"
"    device afresh and closes it when it exits, dropping every reference it\n"
"    took.  Commands on an existing object open it by its id with the rights\n"
"    they need (read for read/info, write for write), checked against the\n"
"    object's owner, group and mode like a file's.\n"
"\n"
"    Ids name objects within one IPC namespace, as SysV IPC ids do: the\n"
"    caller's (a container has ids of its own).  An object reaches another\n"
"    namespace only as a file descriptor (`export`, `--fd`).\n"
"\n"
"    An object lives while anything holds a reference to it.  An object that\n"
"    `refslabctl create` makes is therefore gone when refslabctl exits,\n"
"    unless it is created with --pin (or pinned by another holder first).\n"
"    `refslabctl hold` keeps references in a process that runs until it is\n"
"    killed; `refslabctl export` hands an object to another command as a\n"
"    file descriptor, which read, write, info and hold take with --fd.\n"
"\n"
"COMMANDS\n"
"%s"
"\n"
"OPTIONS\n"
"    --device PATH   use PATH instead of " REFSLAB_DEVICE "\n"
"    -h, --help      show this help, or a command's with COMMAND --help\n"
"    -V, --version   show refslabctl's version\n"
"\n"
"EXIT STATUS\n"
"    0  success\n"
"    1  the operation failed (the message names the object, the operation\n"
"       and why; for a permission error also the object's mode and owner)\n"
"    2  usage error\n"
"\n"
"EXAMPLES\n"
"    id=$(refslabctl create 64 --data hello --mode 0644 --pin)\n"
"    refslabctl read $id\n"
"    refslabctl info $id --json\n"
"    refslabctl unpin $id\n"
"    refslabctl stats --watch 1 --count 5\n"
"\n"
"SEE ALSO\n"
"    refslabctl(8), <refslab.h>, /sys/kernel/refslab/\n";

static void print_main_help(FILE *f)
{
	char list[2048];
	size_t off = 0;
	const struct command *const *cmd;

	for (cmd = commands; *cmd; cmd++)
		off += (size_t)snprintf(list + off, sizeof(list) - off,
					"    %-9s %s\n", (*cmd)->name, (*cmd)->summary);
	fprintf(f, main_help, list);
}

static bool want_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	}
	return false;
}

static const struct command *find_command(const char *name)
{
	const struct command *const *cmd;

	for (cmd = commands; *cmd; cmd++)
		if (!strcmp((*cmd)->name, name))
			return *cmd;
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctx c = { 0 };
	const struct command *cmd;
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'D':
			c.device = optarg;
			break;
		case 'h':
			print_main_help(stdout);
			return 0;
		case 'V':
			printf("refslabctl %s\n", REFSLAB_LIB_VERSION);
			return 0;
		default:
			bad_option(&c, argv, opt);
		}
	}
	if (optind >= argc)
		usage_error(&c, "missing command");
	if (!strcmp(argv[optind], "help")) {
		if (optind + 1 >= argc) {
			print_main_help(stdout);
			return 0;
		}
		cmd = find_command(argv[optind + 1]);
		if (!cmd)
			usage_error(&c, "unknown command '%s'", argv[optind + 1]);
		fputs(cmd->help, stdout);
		return 0;
	}
	cmd = find_command(argv[optind]);
	if (!cmd)
		usage_error(&c, "unknown command '%s'", argv[optind]);
	c.cmd = cmd->name;
	argc -= optind;
	argv += optind;
	if (want_help(argc, argv)) {
		fputs(cmd->help, stdout);
		return 0;
	}
	optind = 0;	/* re-initialise getopt for the command's options */
	return cmd->run(&c, argc, argv);
}

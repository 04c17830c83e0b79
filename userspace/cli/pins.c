// SPDX-License-Identifier: GPL-2.0
/*
 * refslabctl's pin and attribute commands: pin, unpin, pinned, chmod and chown.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refslabctl.h"

/* ---------------------------------------------------------------------- */
/* pin, unpin, pinned                                                      */

/* PIN (@pin) or UNPIN of object @id of IPC namespace @ns. */
static void pin_in_ns(int fd, bool pin, uint64_t ns, uint64_t id)
{
	char what[128];
	int ret;

	snprintf(what, sizeof(what), "%s object %" PRIu64 " in IPC namespace %" PRIu64,
		 pin ? "pin" : "unpin", id, ns);
	need_ns(fd, what);
	ret = pin ? refslab_pin_ns(fd, ns, id) : refslab_unpin_ns(fd, ns, id);
	if (ret == -ENOENT)
		die("%s: no such namespace or object%s (ENOENT)", what,
		    pin ? "" : ", or it is not pinned");
	if (ret)
		ns_fail(what, ret);
}

static int do_pin(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ns", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t id, ns = 0;
	int fd, opt, ret;

	while ((opt = getopt_long(argc, argv, ":N:", opts, NULL)) != -1) {
		if (opt == 'N')
			ns = arg_ns(c, optarg);
		else
			bad_option(c, argv, opt);
	}
	want_operands(c, argc, argv, 1, "ID");
	id = arg_id(c, argv[optind]);

	fd = dev_open(c);
	if (ns) {
		pin_in_ns(fd, true, ns, id);
	} else {
		ret = refslab_pin(fd, id);
		if (ret)
			obj_fail(fd, "pin", id, ret);
	}
	refslab_close(fd);
	return 0;
}

const struct command cmd_pin = {
	.name = "pin",
	.run = do_pin,
	.summary = "keep an object alive without holders",
	.help =
"NAME\n"
"    refslabctl pin - pin an object\n\n"
"SYNOPSIS\n"
"    refslabctl pin ID [--ns NS]\n\n"
"DESCRIPTION\n"
"    Makes the module hold a reference to object ID until `unpin`, so it\n"
"    outlives every process.  Only the owner (or CAP_FOWNER) may pin; a\n"
"    pin counts against the owner's quota.  ID is an id of the caller's\n"
"    IPC namespace unless --ns names another.\n\n"
"OPTIONS\n"
"    --ns NS   ID is in the IPC namespace NS: its inode number (as\n"
"              `pinned --namespaces` lists it, or `stat -L -c %i\n"
"              /proc/PID/ns/ipc` prints it) or a namespace file such as\n"
"              /proc/PID/ns/ipc.  Needs CAP_SYS_ADMIN in the initial user\n"
"              namespace.\n\n"
EXIT_STATUS_HELP "\n"
"EXAMPLES\n"
"    refslabctl pin 42\n"
"    refslabctl pin 3 --ns /proc/1234/ns/ipc\n",
};

static void __attribute__((noreturn)) unpin_fail(int fd, uint64_t id, int err)
{
	if (err == -ENOENT)
		die("unpin object %" PRIu64 ": no such object, or it is not pinned (ENOENT)", id);
	obj_fail(fd, "unpin", id, err);
}

static int do_unpin(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "wait", no_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ "ns", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t id, timeout = 0, ns = 0, cookie = 0;
	bool wait = false, have_timeout = false;
	int fd, opt, ret;
	uint32_t h;

	while ((opt = getopt_long(argc, argv, ":wt:N:", opts, NULL)) != -1) {
		switch (opt) {
		case 'w':
			wait = true;
			break;
		case 't':
			timeout = arg_u64(c, "timeout", optarg, INT_MAX / 1000);
			have_timeout = true;
			break;
		case 'N':
			ns = arg_ns(c, optarg);
			break;
		default:
			bad_option(c, argv, opt);
		}
	}
	want_operands(c, argc, argv, 1, "ID");
	id = arg_id(c, argv[optind]);
	if (have_timeout && !wait)
		usage_error(c, "--timeout needs --wait");
	if (ns && wait)
		usage_error(c, "--wait cannot watch an object of another IPC namespace (--ns)");

	fd = dev_open(c);
	if (ns) {
		pin_in_ns(fd, false, ns, id);
		refslab_close(fd);
		return 0;
	}
	if (wait) {
		/*
		 * Subscribe before the pin goes, or the object could be
		 * reclaimed before anyone listens.  A handle with no rights
		 * is enough: unpinning needs the same owner or CAP_FOWNER.
		 */
		ret = refslab_open_by_id(fd, id, 0, &h);
		if (ret)
			unpin_fail(fd, id, ret);
		cookie = watch_and_put(fd, "unpin", id, h);
	}
	ret = refslab_unpin(fd, id);
	if (ret)
		unpin_fail(fd, id, ret);
	if (wait)
		return wait_reclaimed(fd, "unpin", id, cookie, timeout);
	refslab_close(fd);
	return 0;
}

const struct command cmd_unpin = {
	.name = "unpin",
	.run = do_unpin,
	.summary = "drop an object's pin",
	.help =
"NAME\n"
"    refslabctl unpin - unpin an object\n\n"
"SYNOPSIS\n"
"    refslabctl unpin ID [--wait [--timeout SECONDS]]\n"
"    refslabctl unpin ID --ns NS\n\n"
"DESCRIPTION\n"
"    Drops the pin of object ID; if nothing else holds it, it is released\n"
"    at once and reclaimed (its memory freed) after an RCU grace period.\n"
"    ID is an id of the caller's IPC namespace unless --ns names another.\n\n"
"OPTIONS\n"
"    --wait              then block until the module reports the object\n"
"                        reclaimed, and print the event as `wait` does\n"
"                        (it subscribes before unpinning, so no event is\n"
"                        missed); if others still hold the object, that is\n"
"                        when the last of them lets go\n"
"    --timeout SECONDS   with --wait, give up after SECONDS (exit status 1)\n"
"    --ns NS             ID is in the IPC namespace NS (an inode number from\n"
"                        `pinned --namespaces`, or a file such as\n"
"                        /proc/PID/ns/ipc): how the administrator frees the\n"
"                        pins a container left behind.  Needs CAP_SYS_ADMIN\n"
"                        in the initial user namespace; not with --wait\n\n"
EXIT_STATUS_HELP "\n"
"EXAMPLES\n"
"    refslabctl unpin 42\n"
"    refslabctl unpin 42 --wait --timeout 10\n"
"    refslabctl unpin 3 --ns 4026532281\n",
};

/* Values one LIST_PINNED call asks for; refslabctl pages through the rest. */
#define PINNED_PAGE 256

static int do_pinned(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "namespaces", no_argument, NULL, 'a' },
		{ "ns", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t ids[PINNED_PAGE], after = 0, total = 0, ns = 0;
	uint32_t flags = 0;
	bool json = false;
	char what[96];
	int fd, opt, n, i;

	while ((opt = getopt_long(argc, argv, ":jaN:", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'a':
			flags |= REFSLAB_LIST_NAMESPACES;
			break;
		case 'N':
			ns = arg_ns(c, optarg);
			flags |= REFSLAB_LIST_NS;
			break;
		default:
			bad_option(c, argv, opt);
		}
	}
	want_operands(c, argc, argv, 0, "");
	if (flags == REFSLAB_LIST_ALL)
		usage_error(c, "--namespaces and --ns exclude each other");
	if (flags & REFSLAB_LIST_NS)
		snprintf(what, sizeof(what),
			 "list pinned objects of IPC namespace %" PRIu64, ns);
	else
		snprintf(what, sizeof(what), "list %s",
			 flags ? "IPC namespaces holding pins" : "pinned objects");

	fd = dev_open(c);
	if (flags)
		need_ns(fd, what);
	if (json)
		printf("[");
	/* The module fills the whole page unless the list ends there. */
	do {
		n = refslab_list(fd, flags, ns, after, ids, PINNED_PAGE);
		if (n == -ENOTTY)
			die("%s: %s; the loaded module does not implement pins yet",
			    what, refslab_strerror(n));
		if (n < 0)
			ns_fail(what, n);
		for (i = 0; i < n; i++) {
			if (json)
				printf("%s%" PRIu64, total ? ", " : "", ids[i]);
			else
				printf("%" PRIu64 "\n", ids[i]);
			total++;
		}
		if (n)
			after = ids[n - 1];
	} while (n == PINNED_PAGE);
	if (json)
		printf("]\n");
	refslab_close(fd);
	return 0;
}

const struct command cmd_pinned = {
	.name = "pinned",
	.run = do_pinned,
	.summary = "list pinned objects",
	.help =
"NAME\n"
"    refslabctl pinned - list pinned objects\n\n"
"SYNOPSIS\n"
"    refslabctl pinned [--json] [--namespaces | --ns NS]\n\n"
"DESCRIPTION\n"
"    Prints the id of every pinned object of the caller's IPC namespace,\n"
"    one per line, in increasing order, however many there are (it asks\n"
"    the module for them a page at a time).\n\n"
"OPTIONS\n"
"    --json         one JSON array of ids (or of namespaces)\n"
"    --namespaces   instead, the IPC namespaces that hold pins, by inode\n"
"                   number, including those no process is left in\n"
"    --ns NS        instead, the pinned objects of the IPC namespace NS (an\n"
"                   inode number, or a file such as /proc/PID/ns/ipc)\n"
"    --namespaces and --ns need CAP_SYS_ADMIN in the initial user namespace.\n\n"
EXIT_STATUS_HELP "\n"
"EXAMPLES\n"
"    refslabctl pinned | xargs -n 1 refslabctl unpin\n"
"    for ns in $(refslabctl pinned --namespaces); do\n"
"        refslabctl pinned --ns $ns | xargs -n 1 refslabctl unpin --ns $ns\n"
"    done\n",
};

/* ---------------------------------------------------------------------- */
/* chmod, chown                                                            */

static int do_chmod(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = { { NULL, 0, NULL, 0 } };
	int fd, opt, ret;
	uint32_t mode, h;
	uint64_t id;

	while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1)
		bad_option(c, argv, opt);
	want_operands(c, argc, argv, 2, "ID MODE");
	id = arg_id(c, argv[optind]);
	mode = arg_mode(c, argv[optind + 1]);

	fd = dev_open(c);
	h = obj_open(fd, "chmod", id, REFSLAB_RIGHT_READ, true);
	ret = refslab_setattr(fd, h, REFSLAB_SETATTR_MODE, mode, 0, 0);
	if (ret)
		obj_fail(fd, "chmod", id, ret);
	refslab_close(fd);
	return 0;
}

const struct command cmd_chmod = {
	.name = "chmod",
	.run = do_chmod,
	.summary = "change an object's mode",
	.help =
"NAME\n"
"    refslabctl chmod - change an object's permission bits\n\n"
"SYNOPSIS\n"
"    refslabctl chmod ID MODE\n\n"
"DESCRIPTION\n"
"    Sets the mode of object ID to MODE (octal, 0 to 0777), as chmod(1).\n"
"    Only the owner (or CAP_FOWNER) may; refslabctl must also be able to\n"
"    open the object with at least one right.\n\n"
EXIT_STATUS_HELP "\n"
"EXAMPLES\n"
"    refslabctl chmod 42 0640\n",
};

static int do_chown(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = { { NULL, 0, NULL, 0 } };
	uint32_t uid = 0, gid = 0, login_gid, mask = 0, h;
	char *spec, *colon, *user, *group = NULL;
	int fd, opt, ret;
	uint64_t id;

	while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1)
		bad_option(c, argv, opt);
	want_operands(c, argc, argv, 2, "ID USER[:GROUP]");
	id = arg_id(c, argv[optind]);
	spec = strdup(argv[optind + 1]);
	if (!spec)
		die("chown: out of memory");
	user = spec;
	colon = strchr(spec, ':');
	if (colon) {
		*colon = '\0';
		group = colon + 1;
	}
	if (!*user && (!group || !*group))
		usage_error(c, "invalid owner '%s' (expected USER, USER:GROUP or :GROUP)",
			    argv[optind + 1]);
	if (*user) {
		if (!lookup_user(user, &uid, &login_gid))
			usage_error(c, "unknown user '%s'", user);
		mask |= REFSLAB_SETATTR_UID;
	}
	if (group && *group) {
		if (!lookup_group(group, &gid))
			usage_error(c, "unknown group '%s'", group);
		mask |= REFSLAB_SETATTR_GID;
	} else if (group) {
		/* "USER:": the user's login group, as chown(1). */
		if (login_gid == UINT32_MAX)
			usage_error(c, "user '%s' has no login group in " PASSWD_FILE, user);
		gid = login_gid;
		mask |= REFSLAB_SETATTR_GID;
	}

	fd = dev_open(c);
	h = obj_open(fd, "chown", id, REFSLAB_RIGHT_READ, true);
	ret = refslab_setattr(fd, h, mask, 0, uid, gid);
	if (ret)
		obj_fail(fd, "chown", id, ret);
	refslab_close(fd);
	return 0;
}

const struct command cmd_chown = {
	.name = "chown",
	.run = do_chown,
	.summary = "change an object's owner and group",
	.help =
"NAME\n"
"    refslabctl chown - change an object's owner and group\n\n"
"SYNOPSIS\n"
"    refslabctl chown ID USER[:GROUP]\n"
"    refslabctl chown ID :GROUP\n\n"
"DESCRIPTION\n"
"    Sets the owner and/or group of object ID, as chown(1).  USER and GROUP\n"
"    are names (from /etc/passwd and /etc/group) or numbers; \"USER:\" means\n"
"    USER's login group.  Changing the owner needs CAP_CHOWN and charges the\n"
"    new owner's quota.\n\n"
EXIT_STATUS_HELP "\n"
"EXAMPLES\n"
"    refslabctl chown 42 alice:staff\n"
"    refslabctl chown 42 :1000\n",
};

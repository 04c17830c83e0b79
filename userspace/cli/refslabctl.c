// SPDX-License-Identifier: GPL-2.0
/*
 * refslabctl: create, share, inspect and watch refslab objects from a
 * shell.  Every subcommand opens /dev/refslab afresh, so an object it
 * creates lives only as long as the command unless it is pinned, and every
 * operation on an existing object first opens it by id (REFSLAB_IOC_OPEN)
 * with the rights the operation needs.
 *
 * Exit status: 0 success, 1 the operation failed, 2 usage error.
 *
 * Linked statically (with librefslab.a) so that it runs in a busybox
 * initramfs.  User and group names are looked up in /etc/passwd and
 * /etc/group directly (fgetpwent/fgetgrent): a static binary cannot load
 * the NSS modules getpwnam() would need.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <pwd.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <refslab.h>

#define EXIT_FAIL	1
#define EXIT_USAGE	2

#define PASSWD_FILE	"/etc/passwd"
#define GROUP_FILE	"/etc/group"

/* Per-invocation settings; main() owns them, subcommands read them. */
struct ctx {
	const char *device;
	const char *cmd;
};

/* ---------------------------------------------------------------------- */
/* Messages and exits                                                      */

static void __attribute__((format(printf, 2, 3), noreturn))
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

static void __attribute__((format(printf, 1, 2), noreturn))
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

/* ---------------------------------------------------------------------- */
/* Argument parsing                                                        */

static bool parse_u64(const char *s, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

static uint64_t arg_u64(const struct ctx *c, const char *what, const char *s,
			uint64_t max)
{
	uint64_t v;

	if (!parse_u64(s, &v) || v > max)
		usage_error(c, "invalid %s '%s' (expected a number from 0 to %" PRIu64 ")",
			    what, s, max);
	return v;
}

static uint64_t arg_id(const struct ctx *c, const char *s)
{
	uint64_t id;

	if (!parse_u64(s, &id) || !id)
		usage_error(c, "invalid object id '%s' (expected a positive number)", s);
	return id;
}

static uint32_t arg_mode(const struct ctx *c, const char *s)
{
	unsigned long m;
	char *end;

	errno = 0;
	m = strtoul(s, &end, 8);
	if (!*s || *s == '-' || *s == '+' || errno || *end || m > 0777)
		usage_error(c, "invalid mode '%s' (expected octal, 0 to 0777)", s);
	return (uint32_t)m;
}

/*
 * An IPC namespace (--ns): its inode number, or the path of a namespace
 * file such as /proc/PID/ns/ipc, whose inode number it is.
 */
static uint64_t arg_ns(const struct ctx *c, const char *s)
{
	struct stat st;
	uint64_t v;
	int fd, type;

	if (parse_u64(s, &v) && v)
		return v;
	if (*s != '/')
		usage_error(c, "invalid namespace '%s' (expected the inode number of an IPC namespace, or a path such as /proc/PID/ns/ipc)",
			    s);
	fd = open(s, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("%s: cannot open %s: %s", c->cmd, s, strerror(errno));
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type != CLONE_NEWIPC || fstat(fd, &st))
		die("%s: %s is not an IPC namespace file", c->cmd, s);
	close(fd);
	return (uint64_t)st.st_ino;
}

/* Report an unknown option or a missing argument as getopt saw it. */
static void __attribute__((noreturn))
bad_option(const struct ctx *c, char **argv, int opt)
{
	const char *arg = argv[optind - 1];

	if (opt == ':')
		usage_error(c, "option '%s' needs an argument", arg);
	if (optopt && optopt != '?')
		usage_error(c, "unknown option '-%c'", optopt);
	usage_error(c, "unknown option '%s'", arg);
}

/* Require exactly @n operands after the options. */
static void want_operands(const struct ctx *c, int argc, char **argv, int n,
			  const char *names)
{
	int have = argc - optind;

	if (have < n)
		usage_error(c, "missing operand: %s", names);
	if (have > n)
		usage_error(c, "unexpected operand '%s'", argv[optind + n]);
}

/* ---------------------------------------------------------------------- */
/* Users and groups, from the files themselves                             */

static bool user_name(uid_t uid, char *buf, size_t size)
{
	struct passwd *pw;
	bool found = false;
	FILE *f;

	f = fopen(PASSWD_FILE, "re");
	if (!f)
		return false;
	while ((pw = fgetpwent(f)))
		if (pw->pw_uid == uid) {
			snprintf(buf, size, "%s", pw->pw_name);
			found = true;
			break;
		}
	fclose(f);
	return found;
}

static bool group_name(gid_t gid, char *buf, size_t size)
{
	struct group *gr;
	bool found = false;
	FILE *f;

	f = fopen(GROUP_FILE, "re");
	if (!f)
		return false;
	while ((gr = fgetgrent(f)))
		if (gr->gr_gid == gid) {
			snprintf(buf, size, "%s", gr->gr_name);
			found = true;
			break;
		}
	fclose(f);
	return found;
}

/* @name is numeric or a user name; the user's primary group in @gid. */
static bool lookup_user(const char *name, uint32_t *uid, uint32_t *gid)
{
	struct passwd *pw;
	bool found = false;
	uint64_t v;
	FILE *f;

	if (parse_u64(name, &v) && v < UINT32_MAX) {
		*uid = (uint32_t)v;
		*gid = UINT32_MAX;
		f = fopen(PASSWD_FILE, "re");
		if (f) {
			while ((pw = fgetpwent(f)))
				if (pw->pw_uid == *uid) {
					*gid = pw->pw_gid;
					break;
				}
			fclose(f);
		}
		return true;
	}
	f = fopen(PASSWD_FILE, "re");
	if (!f)
		return false;
	while ((pw = fgetpwent(f)))
		if (!strcmp(pw->pw_name, name)) {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
			found = true;
			break;
		}
	fclose(f);
	return found;
}

static bool lookup_group(const char *name, uint32_t *gid)
{
	struct group *gr;
	bool found = false;
	uint64_t v;
	FILE *f;

	if (parse_u64(name, &v) && v < UINT32_MAX) {
		*gid = (uint32_t)v;
		return true;
	}
	f = fopen(GROUP_FILE, "re");
	if (!f)
		return false;
	while ((gr = fgetgrent(f)))
		if (!strcmp(gr->gr_name, name)) {
			*gid = gr->gr_gid;
			found = true;
			break;
		}
	fclose(f);
	return found;
}

/* "1000 (alice)" or "1000" */
static const char *fmt_id(char *buf, size_t size, uint32_t id, bool is_user)
{
	char name[128];
	bool ok = is_user ? user_name(id, name, sizeof(name)) :
			    group_name(id, name, sizeof(name));

	if (ok)
		snprintf(buf, size, "%" PRIu32 " (%s)", id, name);
	else
		snprintf(buf, size, "%" PRIu32, id);
	return buf;
}

/* ---------------------------------------------------------------------- */
/* The device and objects                                                  */

static int dev_open(const struct ctx *c)
{
	int fd = refslab_open(c->device, 0);

	if (fd == -ENOENT || fd == -ENODEV || fd == -ENXIO)
		die("cannot open %s: %s (is the refslab module loaded?)",
		    c->device ? c->device : REFSLAB_DEVICE, strerror(-fd));
	if (fd < 0)
		die("cannot open %s: %s", c->device ? c->device : REFSLAB_DEVICE,
		    strerror(-fd));
	return fd;
}

static const char *rights_str(uint32_t rights)
{
	switch (rights & REFSLAB_RIGHTS_ALL) {
	case REFSLAB_RIGHT_READ:
		return "read";
	case REFSLAB_RIGHT_WRITE:
		return "write";
	case REFSLAB_RIGHTS_ALL:
		return "read,write";
	default:
		return "none";
	}
}

/*
 * Find the object's mode and owner for an error message, when refslabctl
 * cannot open it with the rights it wanted: with whichever single right
 * is granted, else from the debugfs dump.  Writes a sentence to @buf.
 */
static bool debugfs_owner(uint64_t id, char *buf, size_t size);

static void describe_owner(int fd, uint64_t id, char *buf, size_t size)
{
	static const uint32_t tries[] = { REFSLAB_RIGHT_READ, REFSLAB_RIGHT_WRITE };
	struct refslab_info info;
	char u[160], g[160];
	uint32_t h;
	size_t i;

	for (i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		if (refslab_open_by_id(fd, id, tries[i], &h))
			continue;
		if (!refslab_info(fd, h, &info)) {
			refslab_put(fd, h, 1);
			snprintf(buf, size, "object %" PRIu64 " has mode %04o, owner %s, group %s",
				 id, info.mode, fmt_id(u, sizeof(u), info.uid, true),
				 fmt_id(g, sizeof(g), info.gid, false));
			return;
		}
		refslab_put(fd, h, 1);
	}
	if (debugfs_owner(id, buf, size))
		return;
	snprintf(buf, size,
		 "its mode and owner cannot be read by this user (no right on the object, no access to %s/objects)",
		 REFSLAB_DEBUGFS_DIR);
}

/* "refslabctl: <op> object <id>: <meaning>[; <owner>]", exit 1. */
static void __attribute__((noreturn))
obj_fail(int fd, const char *op, uint64_t id, int err)
{
	char extra[512] = "";

	if ((err == -EACCES || err == -EPERM) && fd >= 0)
		describe_owner(fd, id, extra, sizeof(extra));
	if (err == -ENOTTY)
		snprintf(extra, sizeof(extra),
			 "the loaded module does not implement this yet");
	fprintf(stderr, "refslabctl: %s object %" PRIu64 ": %s%s%s\n", op, id,
		refslab_strerror(err), *extra ? "; " : "", extra);
	exit(EXIT_FAIL);
}

/* Commands that name another IPC namespace need a module that has them. */
static void need_ns(int fd, const char *what)
{
	struct refslab_version v;

	if (refslab_version(fd, &v) || !(v.features & REFSLAB_FEATURE_NS))
		die("%s: the loaded module does not support IPC namespaces (no ns feature)",
		    what);
}

/* "refslabctl: <what>: <meaning>[; <hint>]", exit 1, for --ns and --namespaces. */
static void __attribute__((noreturn)) ns_fail(const char *what, int err)
{
	die("%s: %s%s", what, refslab_strerror(err),
	    err == -EPERM ?
	    "; naming an IPC namespace needs CAP_SYS_ADMIN in the initial user namespace" : "");
}

/*
 * Open object @id with @rights.  With @any, one right suffices: read is
 * tried first, then write (for operations such as chmod that need only a
 * handle).
 */
static uint32_t obj_open(int fd, const char *op, uint64_t id, uint32_t rights,
			 bool any)
{
	uint32_t h;
	int ret;

	ret = refslab_open_by_id(fd, id, rights, &h);
	if (ret == -EACCES && any)
		ret = refslab_open_by_id(fd, id, REFSLAB_RIGHT_WRITE, &h);
	if (ret)
		obj_fail(fd, op, id, ret);
	return h;
}

/*
 * The object a command works on: named by its id, or (--fd N) an object
 * file descriptor that EXPORT made and this process inherited or received.
 */
struct target {
	uint64_t id;	/* 0 until known, with --fd */
	int objfd;	/* -1: by id */
};

static int arg_fd(const struct ctx *c, const char *s, int min)
{
	uint64_t v;

	if (!parse_u64(s, &v) || v < (uint64_t)min || v > INT_MAX)
		usage_error(c, "invalid file descriptor '%s' (expected a number from %d)",
			    s, min);
	return (int)v;
}

/* The operands after the options: ID, unless --fd named the object. */
static void target_operands(const struct ctx *c, int argc, char **argv,
			    struct target *t)
{
	if (t->objfd >= 0) {
		if (argc - optind > 0)
			usage_error(c, "give an ID or --fd, not both ('%s')",
				    argv[optind]);
		return;
	}
	want_operands(c, argc, argv, 1, "ID (or --fd N)");
	t->id = arg_id(c, argv[optind]);
}

/*
 * A handle to the target: opened by id with @rights (@any as for
 * obj_open()), or imported from the object file descriptor, with the
 * rights that file carries; then @t->id is the object's.
 */
static uint32_t target_open(int fd, const char *op, struct target *t,
			    uint32_t rights, bool any)
{
	struct refslab_info info;
	uint32_t h;
	int ret;

	if (t->objfd < 0)
		return obj_open(fd, op, t->id, rights, any);
	ret = refslab_import(fd, t->objfd, &h);
	if (ret == -EBADF && fcntl(t->objfd, F_GETFD) < 0)
		die("%s: file descriptor %d is not open", op, t->objfd);
	if (ret)
		die("%s: import file descriptor %d: %s", op, t->objfd,
		    refslab_strerror(ret));
	ret = refslab_info(fd, h, &info);
	if (ret)
		die("%s: object of file descriptor %d: %s", op, t->objfd,
		    refslab_strerror(ret));
	t->id = info.id;
	return h;
}

/* ---------------------------------------------------------------------- */
/* Input data                                                              */

struct input {
	const char *data;
	const char *file;
	bool use_stdin;
};

static int input_count(const struct input *in)
{
	return !!in->data + !!in->file + in->use_stdin;
}

/* Read all of @fd into @buf (at most @max bytes; more is an error). */
static ssize_t read_all(int fd, unsigned char *buf, size_t max)
{
	size_t len = 0;
	ssize_t n;
	unsigned char extra;

	while (len < max) {
		n = read(fd, buf + len, max - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return (ssize_t)len;
		len += (size_t)n;
	}
	do {
		n = read(fd, &extra, 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n ? -EFBIG : (ssize_t)len;
}

static size_t input_read(const struct input *in, unsigned char *buf,
			 size_t max, const char *op)
{
	ssize_t n;
	int fd;

	if (in->data) {
		n = (ssize_t)strlen(in->data);
		if ((size_t)n > max)
			die("%s: --data is %zd bytes, more than the %zu that fit", op, n, max);
		memcpy(buf, in->data, (size_t)n);
		return (size_t)n;
	}
	if (in->file) {
		fd = open(in->file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die("%s: cannot open %s: %s", op, in->file, strerror(errno));
	} else {
		fd = STDIN_FILENO;
	}
	n = read_all(fd, buf, max);
	if (in->file)
		close(fd);
	if (n == -EFBIG)
		die("%s: %s holds more than the %zu bytes that fit", op,
		    in->file ? in->file : "standard input", max);
	if (n < 0)
		die("%s: cannot read %s: %s", op, in->file ? in->file : "standard input",
		    strerror((int)-n));
	return (size_t)n;
}

/* ---------------------------------------------------------------------- */
/* JSON output                                                             */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", f);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* An integer as JSON when it is one, else a string. */
static void json_value(FILE *f, const char *v)
{
	char *end;

	errno = 0;
	if (*v && (isdigit((unsigned char)*v) || (*v == '-' && v[1]))) {
		(void)strtoll(v, &end, 10);
		if (!errno && !*end && !(v[0] == '0' && v[1]) &&
		    !(v[0] == '-' && v[1] == '0')) {
			fputs(v, f);
			return;
		}
	}
	json_str(f, v);
}

/* ---------------------------------------------------------------------- */
/* Help                                                                    */

struct command {
	const char *name;
	int (*run)(struct ctx *c, int argc, char **argv);
	const char *summary;
	const char *help;
};

static const struct command commands[];

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
	const struct command *cmd;

	for (cmd = commands; cmd->name; cmd++)
		off += (size_t)snprintf(list + off, sizeof(list) - off,
					"    %-9s %s\n", cmd->name, cmd->summary);
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

/* ---------------------------------------------------------------------- */
/* version                                                                 */

static const struct {
	uint64_t bit;
	const char *name;
} features[] = {
	{ REFSLAB_FEATURE_CORE, "core" },
	{ REFSLAB_FEATURE_SHARE, "share" },
	{ REFSLAB_FEATURE_PIN, "pin" },
	{ REFSLAB_FEATURE_NOTIFY, "notify" },
	{ REFSLAB_FEATURE_BATCH, "batch" },
	{ REFSLAB_FEATURE_NS, "ns" },
};

#define NR_FEATURES (sizeof(features) / sizeof(features[0]))

static int cmd_version(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct refslab_stats st;
	struct refslab_version v;
	bool json = false, first = true;
	const char *modver;
	int fd, opt, ret;
	size_t i;

	while ((opt = getopt_long(argc, argv, ":j", opts, NULL)) != -1) {
		if (opt == 'j')
			json = true;
		else
			bad_option(c, argv, opt);
	}
	want_operands(c, argc, argv, 0, "");

	fd = dev_open(c);
	ret = refslab_version(fd, &v);
	if (ret)
		die("version: %s", refslab_strerror(ret));
	refslab_close(fd);
	modver = refslab_stats_read(&st) ? "" : st.version;

	if (json) {
		printf("{\n  \"refslabctl\": \"%s\",\n", REFSLAB_LIB_VERSION);
		printf("  \"module\": ");
		json_str(stdout, modver);
		printf(",\n  \"abi_major\": %u,\n  \"abi_minor\": %u,\n",
		       v.abi_major, v.abi_minor);
		printf("  \"features\": [");
		for (i = 0; i < NR_FEATURES; i++)
			if (v.features & features[i].bit) {
				printf("%s\"%s\"", first ? "" : ", ", features[i].name);
				first = false;
			}
		printf("],\n  \"payload_max\": %u,\n  \"handle_refs_max\": %u,\n",
		       v.payload_max, v.handle_refs_max);
		printf("  \"object_refs_max\": %u,\n  \"nr_classes\": %u\n}\n",
		       v.object_refs_max, v.nr_classes);
		return 0;
	}
	printf("refslabctl %s (librefslab %s)\n", REFSLAB_LIB_VERSION,
	       REFSLAB_LIB_VERSION);
	printf("module     %s, ABI %u.%u\n", *modver ? modver : "(version unknown)",
	       v.abi_major, v.abi_minor);
	printf("features  ");
	for (i = 0; i < NR_FEATURES; i++)
		if (v.features & features[i].bit)
			printf(" %s", features[i].name);
	printf("\nlimits     payload %u bytes, %u refs per handle, %u refs per object, %u size classes\n",
	       v.payload_max, v.handle_refs_max, v.object_refs_max, v.nr_classes);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* create                                                                  */

static int cmd_create(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "file", required_argument, NULL, 'f' },
		{ "stdin", no_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "pin", no_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned char buf[REFSLAB_PAYLOAD_MAX];
	struct input in = { 0 };
	int mode = REFSLAB_MODE_DEFAULT, fd, opt, ret;
	bool pin = false;
	uint32_t size, h;
	uint64_t id, i, count = 1;
	size_t len = 0;

	while ((opt = getopt_long(argc, argv, ":d:f:sm:pn:", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': in.data = optarg; break;
		case 'f': in.file = optarg; break;
		case 's': in.use_stdin = true; break;
		case 'm': mode = (int)arg_mode(c, optarg); break;
		case 'p': pin = true; break;
		case 'n':
			count = arg_u64(c, "count", optarg, UINT32_MAX);
			if (!count)
				usage_error(c, "invalid count '0' (at least one object)");
			break;
		default: bad_option(c, argv, opt);
		}
	}
	want_operands(c, argc, argv, 1, "SIZE");
	size = (uint32_t)arg_u64(c, "size", argv[optind], REFSLAB_PAYLOAD_MAX);
	if (!size)
		usage_error(c, "invalid size '0' (an object holds 1 to %d bytes)",
			    REFSLAB_PAYLOAD_MAX);
	if (input_count(&in) > 1)
		usage_error(c, "--data, --file and --stdin exclude each other");
	if (input_count(&in))
		len = input_read(&in, buf, size, "create");

	fd = dev_open(c);
	for (i = 0; i < count; i++) {
		ret = refslab_create(fd, size, mode, len ? buf : NULL, len, &h, &id);
		if (ret)
			die("create object of %" PRIu32 " bytes%s: %s", size,
			    count > 1 ? " (after creating some: see the ids printed)" : "",
			    refslab_strerror(ret));
		if (pin) {
			ret = refslab_pin(fd, id);
			if (ret)
				die("pin new object %" PRIu64 ": %s%s", id, refslab_strerror(ret),
				    ret == -ENOTTY ? "; the loaded module does not implement pins yet" : "");
		}
		printf("%" PRIu64 "\n", id);
	}
	refslab_close(fd);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* info and open                                                           */

/* INFO's @state in words, for the "state" line. */
static const char *state_str(uint32_t state, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s",
		 state & REFSLAB_INFO_PINNED ? "pinned" : "not pinned",
		 state & REFSLAB_INFO_FOREIGN ? ", " : "",
		 state & REFSLAB_INFO_FOREIGN ?
		 "foreign: object of another IPC namespace (id hidden)" : "");
	return buf;
}

static void print_info(const struct refslab_info *i, bool json)
{
	char u[160], g[160], when[64], st[128];
	bool foreign = i->state & REFSLAB_INFO_FOREIGN;
	time_t secs = (time_t)(i->ctime_ns / 1000000000ULL);
	struct tm tm;
	/* Not counting refslabctl's own handle. */
	uint32_t refs = i->object_refs - i->handle_refs;

	if (gmtime_r(&secs, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(when, sizeof(when), "?");

	if (json) {
		printf("{\n  \"id\": %" PRIu64 ",\n", (uint64_t)i->id);
		printf("  \"size\": %u,\n  \"capacity\": %u,\n", i->payload_size,
		       i->capacity);
		printf("  \"mode\": \"%04o\",\n  \"uid\": %u,\n  \"gid\": %u,\n",
		       i->mode, i->uid, i->gid);
		printf("  \"generation\": %" PRIu64 ",\n", (uint64_t)i->generation);
		printf("  \"refs\": %u,\n", refs);
		printf("  \"rights\": \"%s\",\n", rights_str(i->rights));
		printf("  \"pinned\": %s,\n  \"foreign\": %s,\n",
		       i->state & REFSLAB_INFO_PINNED ? "true" : "false",
		       foreign ? "true" : "false");
		printf("  \"ctime_ns\": %" PRIu64 "\n}\n", (uint64_t)i->ctime_ns);
		return;
	}
	printf("id          %" PRIu64 "%s\n", (uint64_t)i->id,
	       foreign ? " (hidden: the id names it only in its own IPC namespace)" : "");
	printf("size        %u bytes (size class %u)\n", i->payload_size,
	       i->capacity);
	printf("mode        %04o\n", i->mode);
	printf("owner       %s\n", fmt_id(u, sizeof(u), i->uid, true));
	printf("group       %s\n", fmt_id(g, sizeof(g), i->gid, false));
	printf("generation  %" PRIu64 "\n", (uint64_t)i->generation);
	printf("references  %u (held by others, not counting refslabctl's own)\n",
	       refs);
	printf("rights      %s (granted to refslabctl)\n", rights_str(i->rights));
	printf("created     %s\n", when);
	printf("state       %s\n", state_str(i->state, st, sizeof(st)));
}

static int cmd_info(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "fd", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct target t = { .objfd = -1 };
	struct refslab_info info;
	bool json = false;
	int fd, opt, ret;
	uint32_t h;

	while ((opt = getopt_long(argc, argv, ":jF:", opts, NULL)) != -1) {
		if (opt == 'j')
			json = true;
		else if (opt == 'F')
			t.objfd = arg_fd(c, optarg, 0);
		else
			bad_option(c, argv, opt);
	}
	target_operands(c, argc, argv, &t);

	fd = dev_open(c);
	h = target_open(fd, "info", &t, REFSLAB_RIGHT_READ, true);
	ret = refslab_info(fd, h, &info);
	if (ret)
		obj_fail(fd, "info", t.id, ret);
	print_info(&info, json);
	refslab_close(fd);
	return 0;
}

static int cmd_open(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "read", no_argument, NULL, 'r' },
		{ "write", no_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct refslab_info info;
	uint32_t rights = 0, h;
	bool json = false;
	int fd, opt, ret;
	uint64_t id;

	while ((opt = getopt_long(argc, argv, ":rwj", opts, NULL)) != -1) {
		switch (opt) {
		case 'r': rights |= REFSLAB_RIGHT_READ; break;
		case 'w': rights |= REFSLAB_RIGHT_WRITE; break;
		case 'j': json = true; break;
		default: bad_option(c, argv, opt);
		}
	}
	want_operands(c, argc, argv, 1, "ID");
	id = arg_id(c, argv[optind]);
	if (!rights)
		rights = REFSLAB_RIGHT_READ;

	fd = dev_open(c);
	h = obj_open(fd, "open", id, rights, false);
	ret = refslab_info(fd, h, &info);
	if (ret)
		obj_fail(fd, "open", id, ret);
	print_info(&info, json);
	refslab_close(fd);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* read and write                                                          */

static void hexdump(const unsigned char *p, size_t len, uint32_t base)
{
	size_t i, j;

	for (i = 0; i < len; i += 16) {
		printf("%08zx ", base + i);
		for (j = 0; j < 16; j++) {
			if (j == 8)
				putchar(' ');
			if (i + j < len)
				printf(" %02x", p[i + j]);
			else
				printf("   ");
		}
		printf("  |");
		for (j = 0; j < 16 && i + j < len; j++)
			putchar(p[i + j] >= 0x20 && p[i + j] < 0x7f ? p[i + j] : '.');
		printf("|\n");
	}
}

static int cmd_read(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "offset", required_argument, NULL, 'o' },
		{ "length", required_argument, NULL, 'l' },
		{ "hex", no_argument, NULL, 'x' },
		{ "fd", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned char buf[REFSLAB_PAYLOAD_MAX];
	uint32_t offset = 0, length = 0, h;
	struct target t = { .objfd = -1 };
	struct refslab_info info;
	bool hex = false, have_len = false;
	int fd, opt, ret;
	uint64_t id;

	while ((opt = getopt_long(argc, argv, ":o:l:xF:", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			offset = (uint32_t)arg_u64(c, "offset", optarg, REFSLAB_PAYLOAD_MAX - 1);
			break;
		case 'l':
			length = (uint32_t)arg_u64(c, "length", optarg, REFSLAB_PAYLOAD_MAX);
			if (!length)
				usage_error(c, "invalid length '0' (at least 1 byte)");
			have_len = true;
			break;
		case 'x':
			hex = true;
			break;
		case 'F':
			t.objfd = arg_fd(c, optarg, 0);
			break;
		default:
			bad_option(c, argv, opt);
		}
	}
	target_operands(c, argc, argv, &t);

	fd = dev_open(c);
	h = target_open(fd, "read", &t, REFSLAB_RIGHT_READ, false);
	id = t.id;
	ret = refslab_info(fd, h, &info);
	if (ret)
		obj_fail(fd, "read", id, ret);
	if (offset >= info.payload_size)
		die("read object %" PRIu64 ": offset %u is past its %u-byte payload",
		    id, offset, info.payload_size);
	if (!have_len)
		length = info.payload_size - offset;
	if (length > info.payload_size - offset)
		die("read object %" PRIu64 ": %u bytes at offset %u pass its %u-byte payload",
		    id, length, offset, info.payload_size);
	ret = refslab_read(fd, h, offset, buf, length, NULL);
	if (ret)
		obj_fail(fd, "read", id, ret);
	if (hex)
		hexdump(buf, length, offset);
	else if (fwrite(buf, 1, length, stdout) != length)
		die("read object %" PRIu64 ": cannot write to standard output", id);
	refslab_close(fd);
	return 0;
}

static int cmd_write(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "offset", required_argument, NULL, 'o' },
		{ "data", required_argument, NULL, 'd' },
		{ "file", required_argument, NULL, 'f' },
		{ "stdin", no_argument, NULL, 's' },
		{ "if-generation", required_argument, NULL, 'g' },
		{ "fd", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned char buf[REFSLAB_PAYLOAD_MAX];
	uint64_t id, expected = 0, gen = 0;
	struct target t = { .objfd = -1 };
	struct refslab_info info;
	struct input in = { 0 };
	bool cond = false;
	uint32_t offset = 0, h;
	int fd, opt, ret;
	size_t len;

	while ((opt = getopt_long(argc, argv, ":o:d:f:sg:F:", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			offset = (uint32_t)arg_u64(c, "offset", optarg, REFSLAB_PAYLOAD_MAX - 1);
			break;
		case 'd': in.data = optarg; break;
		case 'f': in.file = optarg; break;
		case 's': in.use_stdin = true; break;
		case 'g':
			expected = arg_u64(c, "generation", optarg, UINT64_MAX);
			cond = true;
			break;
		case 'F':
			t.objfd = arg_fd(c, optarg, 0);
			break;
		default:
			bad_option(c, argv, opt);
		}
	}
	target_operands(c, argc, argv, &t);
	if (input_count(&in) != 1)
		usage_error(c, "give exactly one of --data, --file and --stdin");

	fd = dev_open(c);
	h = target_open(fd, "write", &t, REFSLAB_RIGHT_WRITE, false);
	id = t.id;
	ret = refslab_info(fd, h, &info);
	if (ret)
		obj_fail(fd, "write", id, ret);
	if (offset >= info.payload_size)
		die("write object %" PRIu64 ": offset %u is past its %u-byte payload",
		    id, offset, info.payload_size);
	len = input_read(&in, buf, info.payload_size - offset, "write");
	if (!len)
		die("write object %" PRIu64 ": no data to write", id);
	if (cond)
		ret = refslab_write_if(fd, h, offset, buf, (uint32_t)len, expected, &gen);
	else
		ret = refslab_write(fd, h, offset, buf, (uint32_t)len, &gen);
	if (ret == -ESTALE) {
		fprintf(stderr, "refslabctl: write object %" PRIu64 ": %s; expected generation %"
			PRIu64 ", it is now %" PRIu64 "\n", id, refslab_strerror(ret),
			expected, gen);
		exit(EXIT_FAIL);
	}
	if (ret)
		obj_fail(fd, "write", id, ret);
	printf("%" PRIu64 "\n", gen);
	refslab_close(fd);
	return 0;
}

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

static int cmd_pin(struct ctx *c, int argc, char **argv)
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

static void __attribute__((noreturn)) unpin_fail(int fd, uint64_t id, int err)
{
	if (err == -ENOENT)
		die("unpin object %" PRIu64 ": no such object, or it is not pinned (ENOENT)", id);
	obj_fail(fd, "unpin", id, err);
}

static uint64_t watch_and_put(int fd, const char *op, uint64_t id, uint32_t h);
static int wait_reclaimed(int fd, const char *op, uint64_t id, uint64_t cookie,
			  uint64_t timeout);

static int cmd_unpin(struct ctx *c, int argc, char **argv)
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

/* Values one LIST_PINNED call asks for; refslabctl pages through the rest. */
#define PINNED_PAGE 256

static int cmd_pinned(struct ctx *c, int argc, char **argv)
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

/* ---------------------------------------------------------------------- */
/* chmod, chown                                                            */

static int cmd_chmod(struct ctx *c, int argc, char **argv)
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

static int cmd_chown(struct ctx *c, int argc, char **argv)
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

/* ---------------------------------------------------------------------- */
/* stats                                                                   */

struct stat_entry {
	char name[256];
	char value[128];
};

struct stat_list {
	struct stat_entry *e;
	size_t n, cap;
};

static int name_cmp(const void *a, const void *b)
{
	const struct stat_entry *x = a, *y = b;
	bool xs = strchr(x->name, '/'), ys = strchr(y->name, '/');

	/* Top-level files first, then subdirectories, each by name. */
	if (xs != ys)
		return xs ? 1 : -1;
	return strverscmp(x->name, y->name);
}

static void stats_walk(struct stat_list *l, const char *dir, const char *prefix)
{
	char path[PATH_MAX], name[256], buf[128];
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int fd;
	ssize_t n;

	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		snprintf(name, sizeof(name), "%s%s", prefix, de->d_name);
		if (stat(path, &sb))
			continue;
		if (S_ISDIR(sb.st_mode)) {
			char sub[300];

			snprintf(sub, sizeof(sub), "%s/", name);
			stats_walk(l, path, sub);
			continue;
		}
		if (!S_ISREG(sb.st_mode))
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			snprintf(buf, sizeof(buf), "(unreadable: %s)", strerror(errno));
		} else {
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (n < 0) {
				snprintf(buf, sizeof(buf), "(unreadable: %s)", strerror(errno));
			} else {
				buf[n] = '\0';
				buf[strcspn(buf, "\n")] = '\0';
			}
		}
		if (l->n == l->cap) {
			size_t cap = l->cap ? 2 * l->cap : 32;
			struct stat_entry *e = realloc(l->e, cap * sizeof(*e));

			if (!e)
				die("stats: out of memory");
			l->e = e;
			l->cap = cap;
		}
		snprintf(l->e[l->n].name, sizeof(l->e[l->n].name), "%s", name);
		snprintf(l->e[l->n].value, sizeof(l->e[l->n].value), "%s", buf);
		l->n++;
	}
	closedir(d);
}

static void stats_collect(struct stat_list *l)
{
	l->n = 0;
	if (access(REFSLAB_SYSFS_DIR, F_OK))
		die("stats: %s: %s (is the refslab module loaded?)",
		    REFSLAB_SYSFS_DIR, strerror(errno));
	stats_walk(l, REFSLAB_SYSFS_DIR, "");
	qsort(l->e, l->n, sizeof(*l->e), name_cmp);
}

/* Does @name (e.g. "classes/64/objects_live") fall under @sel ("classes")? */
static bool stat_selected(const char *name, const char *sel)
{
	size_t n = strlen(sel);

	while (n && sel[n - 1] == '/')
		n--;
	return n && !strncmp(name, sel, n) && (!name[n] || name[n] == '/');
}

/*
 * Keep only the entries that one of @sel names (a file, or a directory for
 * all below it), in their order; a name that matches nothing is an error.
 */
static void stats_select(struct stat_list *l, char **sel, int nsel)
{
	size_t i, kept = 0;
	int j;

	for (j = 0; j < nsel; j++) {
		for (i = 0; i < l->n; i++)
			if (stat_selected(l->e[i].name, sel[j]))
				break;
		if (i == l->n)
			die("stats: no counter '%s' in %s", sel[j], REFSLAB_SYSFS_DIR);
	}
	for (i = 0; i < l->n; i++)
		for (j = 0; j < nsel; j++)
			if (stat_selected(l->e[i].name, sel[j])) {
				l->e[kept++] = l->e[i];
				break;
			}
	l->n = kept;
}

static const char *find_value(const struct stat_list *l, const char *name)
{
	size_t i;

	for (i = 0; l && i < l->n; i++)
		if (!strcmp(l->e[i].name, name))
			return l->e[i].value;
	return NULL;
}

static bool is_int(const char *s, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 10);
	return *s && !errno && !*end;
}

static void stats_table(const struct stat_list *l, const struct stat_list *prev)
{
	size_t i, nw = 7, vw = 5;
	long long v, pv;
	const char *p;

	for (i = 0; i < l->n; i++) {
		if (strlen(l->e[i].name) > nw)
			nw = strlen(l->e[i].name);
		if (strlen(l->e[i].value) > vw)
			vw = strlen(l->e[i].value);
	}
	printf("%-*s  %*s%s\n", (int)nw, "counter", (int)vw, "value",
	       prev ? "  change" : "");
	for (i = 0; i < l->n; i++) {
		printf("%-*s  %*s", (int)nw, l->e[i].name, (int)vw, l->e[i].value);
		p = find_value(prev, l->e[i].name);
		if (p && is_int(p, &pv) && is_int(l->e[i].value, &v) && v != pv)
			printf("  %+lld", v - pv);
		putchar('\n');
	}
}

/*
 * JSON: top-level files as members, each subdirectory as a nested object
 * ("classes/64/objects" becomes {"classes": {"64": {"objects": N}}}).
 * Pretty, one member per line, unless @compact.
 */
static void stats_json(const struct stat_list *l, bool compact)
{
	const char *nl = compact ? "" : "\n";
	char open_path[256] = "";
	size_t i, depth = 0, k;
	bool first = true;

	printf("{%s", nl);
	for (i = 0; i < l->n; i++) {
		const char *name = l->e[i].name;
		const char *leaf = strrchr(name, '/');
		size_t dirlen = leaf ? (size_t)(leaf - name) : 0;
		size_t common = 0, j;

		leaf = leaf ? leaf + 1 : name;
		/* Close directories that this entry is not inside. */
		while (depth) {
			size_t ol = strlen(open_path);

			if (dirlen >= ol && !strncmp(name, open_path, ol) &&
			    (name[ol] == '/' || dirlen == ol))
				break;
			printf("%s", nl);
			for (k = 0; !compact && k < depth; k++)
				printf("  ");
			printf("}");
			first = false;
			depth--;
			{
				char *s = strrchr(open_path, '/');

				if (s)
					*s = '\0';
				else
					open_path[0] = '\0';
			}
		}
		common = strlen(open_path);
		/* Open the directories between the open one and this entry. */
		j = common ? common + 1 : 0;
		while (j < dirlen) {
			size_t e = j;

			while (e < dirlen && name[e] != '/')
				e++;
			printf("%s%s", first ? "" : ",", first ? "" : nl);
			for (k = 0; !compact && k <= depth; k++)
				printf("  ");
			printf("\"%.*s\": {%s", (int)(e - j), name + j, nl);
			depth++;
			snprintf(open_path, sizeof(open_path), "%.*s", (int)e, name);
			first = true;
			j = e + 1;
		}
		printf("%s%s", first ? "" : ",", first ? "" : nl);
		for (k = 0; !compact && k <= depth; k++)
			printf("  ");
		json_str(stdout, leaf);
		printf(": ");
		json_value(stdout, l->e[i].value);
		first = false;
	}
	while (depth) {
		printf("%s", nl);
		for (k = 0; !compact && k < depth; k++)
			printf("  ");
		printf("}");
		depth--;
	}
	printf("%s}\n", nl);
}

static int cmd_stats(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "watch", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct stat_list cur = { 0 }, prev = { 0 }, tmp;
	uint64_t watch = 0, count = 0, i;
	bool json = false, have_count = false;
	int opt;

	while ((opt = getopt_long(argc, argv, ":jw:n:", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'w':
			watch = arg_u64(c, "interval", optarg, 86400);
			if (!watch)
				usage_error(c, "invalid interval '0' (at least 1 second)");
			break;
		case 'n':
			count = arg_u64(c, "count", optarg, UINT32_MAX);
			if (!count)
				usage_error(c, "invalid count '0' (at least 1)");
			have_count = true;
			break;
		default:
			bad_option(c, argv, opt);
		}
	}
	if (have_count && !watch)
		usage_error(c, "--count needs --watch");
	if (!watch)
		count = 1;

	for (i = 0; !count || i < count; i++) {
		if (i)
			sleep((unsigned int)watch);
		stats_collect(&cur);
		if (optind < argc)
			stats_select(&cur, argv + optind, argc - optind);
		if (json) {
			stats_json(&cur, watch != 0);
		} else {
			if (watch) {
				char when[64];
				time_t now = time(NULL);
				struct tm tm;

				localtime_r(&now, &tm);
				strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
				printf("%s-- %s\n", i ? "\n" : "", when);
			}
			stats_table(&cur, i ? &prev : NULL);
		}
		fflush(stdout);
		tmp = prev;
		prev = cur;
		cur = tmp;
	}
	free(cur.e);
	free(prev.e);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* objects and users (debugfs)                                             */

#define MAX_COLS 16

static int split_fields(char *line, char **f)
{
	int n = 0;
	char *save, *tok;

	for (tok = strtok_r(line, " \t", &save); tok && n < MAX_COLS;
	     tok = strtok_r(NULL, " \t", &save))
		f[n++] = tok;
	return n;
}

/*
 * Look object @id up in the debugfs dump: its header names the columns
 * ("id", "ns", "mode", "uid", "gid"); the row whose id matches, in the
 * caller's IPC namespace (ids repeat across namespaces), gives them.
 */
static bool debugfs_owner(uint64_t id, char *buf, size_t size)
{
	int icol = -1, ncol = -1, mcol = -1, ucol = -1, gcol = -1, n, i;
	char line[1024], *f[MAX_COLS];
	bool header = true, found = false;
	uint64_t v, own_ns = 0, ns;
	FILE *fp;

	fp = fopen(REFSLAB_DEBUGFS_DIR "/objects", "re");
	if (!fp)
		return false;
	if (refslab_ns_self(&own_ns))
		own_ns = 0;	/* no /proc: the first row with the id */
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\n")] = '\0';
		n = split_fields(line[0] == '#' ? line + 1 : line, f);
		if (header) {
			for (i = 0; i < n; i++) {
				if (!strcmp(f[i], "id"))
					icol = i;
				else if (!strcmp(f[i], "ns"))
					ncol = i;
				else if (!strcmp(f[i], "mode"))
					mcol = i;
				else if (!strcmp(f[i], "uid"))
					ucol = i;
				else if (!strcmp(f[i], "gid"))
					gcol = i;
			}
			header = false;
			if (icol < 0 || mcol < 0 || ucol < 0 || gcol < 0)
				break;
			continue;
		}
		if (ncol >= 0 && own_ns &&
		    (n <= ncol || !parse_u64(f[ncol], &ns) || ns != own_ns))
			continue;
		if (n > icol && n > mcol && n > ucol && n > gcol &&
		    parse_u64(f[icol], &v) && v == id) {
			snprintf(buf, size,
				 "object %" PRIu64 " has mode %s, owner uid %s, group gid %s (from debugfs)",
				 id, f[mcol], f[ucol], f[gcol]);
			found = true;
			break;
		}
	}
	fclose(fp);
	return found;
}

static int debugfs_table(struct ctx *c, int argc, char **argv, const char *file)
{
	static const struct option opts[] = { { NULL, 0, NULL, 0 } };
	char path[PATH_MAX], **lines = NULL, *line = NULL, *f[MAX_COLS];
	size_t w[MAX_COLS] = { 0 }, cap = 0, nlines = 0, i;
	int opt, n, j;
	FILE *fp;

	while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1)
		bad_option(c, argv, opt);
	want_operands(c, argc, argv, 0, "");

	snprintf(path, sizeof(path), "%s/%s", REFSLAB_DEBUGFS_DIR, file);
	fp = fopen(path, "re");
	if (!fp)
		die("%s: %s is not available (%s): debugfs must be mounted on "
		    "/sys/kernel/debug and the loaded module must provide it",
		    c->cmd, path, strerror(errno));
	while (getline(&line, &cap, fp) > 0) {
		char *copy;

		line[strcspn(line, "\n")] = '\0';
		lines = realloc(lines, (nlines + 1) * sizeof(*lines));
		copy = strdup(line);
		if (!lines || !copy)
			die("%s: out of memory", c->cmd);
		lines[nlines++] = copy;
		n = split_fields(line, f);
		for (j = 0; j < n; j++)
			if (strlen(f[j]) > w[j])
				w[j] = strlen(f[j]);
	}
	free(line);
	fclose(fp);
	for (i = 0; i < nlines; i++) {
		n = split_fields(lines[i], f);
		for (j = 0; j < n; j++)
			printf("%-*s%s", j == n - 1 ? 0 : (int)w[j], f[j],
			       j == n - 1 ? "" : "  ");
		putchar('\n');
		free(lines[i]);
	}
	free(lines);
	return 0;
}

static int cmd_objects(struct ctx *c, int argc, char **argv)
{
	return debugfs_table(c, argc, argv, "objects");
}

static int cmd_users(struct ctx *c, int argc, char **argv)
{
	return debugfs_table(c, argc, argv, "users");
}

/* ---------------------------------------------------------------------- */
/* hold and export                                                         */

static int cmd_hold(struct ctx *c, int argc, char **argv)
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
			refs = (uint32_t)arg_u64(c, "reference count", optarg, UINT32_MAX);
			if (!refs)
				usage_error(c, "invalid reference count '0' (at least 1)");
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

static int cmd_export(struct ctx *c, int argc, char **argv)
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

/* ---------------------------------------------------------------------- */
/* wait, and unpin --wait                                                  */

/*
 * Subscribe to the reclamation of handle @h's object, then drop @h: the
 * watcher's own reference must not keep the object alive.  The watch
 * carries a cookie of this process's own, which the event brings back.
 */
static uint64_t watch_and_put(int fd, const char *op, uint64_t id, uint32_t h)
{
	struct timespec now;
	uint64_t cookie;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &now);
	cookie = ((uint64_t)getpid() << 32 ^ (uint64_t)now.tv_sec << 20 ^
		  (uint64_t)now.tv_nsec) | 1;
	ret = refslab_subscribe_cookie(fd, h, cookie);
	if (!ret)
		ret = refslab_put(fd, h, 1);
	if (ret < 0)
		obj_fail(fd, op, id, ret);
	return cookie;
}

/*
 * Block until the reclamation event of object @id, subscribed to on @fd
 * with @cookie, arrives (or @timeout seconds pass, if not 0), print it and
 * close @fd.  Records are told apart by their type; any other record than
 * this watch's event or an overflow is skipped.
 */
static int wait_reclaimed(int fd, const char *op, uint64_t id, uint64_t cookie,
			  uint64_t timeout)
{
	struct refslab_event ev[16];
	struct timespec start, now;
	int n, i, ret, ms = -1;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (timeout) {
			long long left;

			clock_gettime(CLOCK_MONOTONIC, &now);
			left = (long long)timeout * 1000 -
			       ((now.tv_sec - start.tv_sec) * 1000LL +
				(now.tv_nsec - start.tv_nsec) / 1000000);
			if (left <= 0)
				left = 0;
			ms = (int)left;
		}
		n = refslab_read_events(fd, ev, 16, ms);
		if (n == -EAGAIN)
			die("%s object %" PRIu64 ": not reclaimed within %" PRIu64 " s",
			    op, id, timeout);
		if (n == -EINTR)
			continue;
		if (n < 0)
			obj_fail(fd, op, id, n);
		for (i = 0; i < n; i++) {
			if (ev[i].type == REFSLAB_EVENT_RECLAIMED && ev[i].id == id &&
			    ev[i].cookie == cookie) {
				printf("object %" PRIu64 " reclaimed at %" PRIu64 ".%09" PRIu64
				       " (CLOCK_MONOTONIC)\n", id,
				       (uint64_t)(ev[i].time_ns / 1000000000ULL),
				       (uint64_t)(ev[i].time_ns % 1000000000ULL));
				refslab_close(fd);
				return 0;
			}
			if (ev[i].type != REFSLAB_EVENT_OVERFLOW)
				continue;
			fprintf(stderr, "refslabctl: %s object %" PRIu64
				": event queue overflow: %u event%s lost (REFSLAB_EVENT_OVERFLOW)\n",
				op, id, ev[i].count, ev[i].count == 1 ? "" : "s");
			/*
			 * This watch's event may be among them: watch again by
			 * id.  No such object any more means it was.
			 */
			ret = refslab_subscribe_id(fd, id, cookie);
			if (ret == -ENOENT) {
				printf("object %" PRIu64 " reclaimed (time unknown: its event was lost in the overflow)\n",
				       id);
				refslab_close(fd);
				return 0;
			}
		}
	}
}

static int cmd_wait(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t id, timeout = 0, cookie;
	int fd, opt;
	uint32_t h;

	while ((opt = getopt_long(argc, argv, ":t:", opts, NULL)) != -1) {
		if (opt == 't')
			timeout = arg_u64(c, "timeout", optarg, INT_MAX / 1000);
		else
			bad_option(c, argv, opt);
	}
	want_operands(c, argc, argv, 1, "ID");
	id = arg_id(c, argv[optind]);

	fd = dev_open(c);
	h = obj_open(fd, "wait for", id, REFSLAB_RIGHT_READ, true);
	cookie = watch_and_put(fd, "wait for", id, h);
	return wait_reclaimed(fd, "wait for", id, cookie, timeout);
}

/* ---------------------------------------------------------------------- */
/* Command table and help texts                                            */

#define EXIT_STATUS_HELP \
"EXIT STATUS\n" \
"    0 success; 1 the operation failed; 2 usage error.\n"

static const struct command commands[] = {
	{ "version", cmd_version, "show the module's ABI version, features and limits",
"NAME\n"
"    refslabctl version - what the loaded module supports\n\n"
"SYNOPSIS\n"
"    refslabctl version [--json]\n\n"
"DESCRIPTION\n"
"    Asks the module (REFSLAB_IOC_VERSION) for its ABI version, the features\n"
"    it implements (core, share, pin, notify, batch; ns: ids per IPC\n"
"    namespace) and its limits, and prints them with refslabctl's own\n"
"    version.\n\n"
"OPTIONS\n"
"    --json    print one JSON object\n\n"
EXIT_STATUS_HELP "\n"
"EXAMPLES\n"
"    refslabctl version --json\n" },
	{ "create", cmd_create, "create an object and print its id",
"NAME\n"
"    refslabctl create - create an object\n\n"
"SYNOPSIS\n"
"    refslabctl create SIZE [--data STR | --file PATH | --stdin]\n"
"                           [--mode OCTAL] [--pin] [--count N]\n\n"
"DESCRIPTION\n"
"    Creates an object with a SIZE-byte payload (1 to 4096), owned by the\n"
"    caller, and prints its id.  The payload starts as the given data, the\n"
"    rest zero.\n\n"
"    Without --pin the object dies when refslabctl exits: refslabctl's own\n"
"    reference is the only one, and closing the device drops it.  Use --pin\n"
"    to keep the object until `refslabctl unpin ID`.\n\n"
"    With --count N, creates N such objects through one open file and\n"
"    prints their ids, one per line.  Without --pin they are all released\n"
"    together when refslabctl exits: a load of deferred reclamation.\n\n"
"OPTIONS\n"
"    --data STR     initial payload: the bytes of STR\n"
"    --file PATH    initial payload: the contents of PATH\n"
"    --stdin        initial payload: standard input\n"
"                   (data longer than SIZE is an error)\n"
"    --mode OCTAL   permission bits, as a file's (default 0600)\n"
"    --pin          pin the object so that it outlives refslabctl\n"
"    --count N      create N objects (default 1)\n\n"
EXIT_STATUS_HELP "\n"
"EXAMPLES\n"
"    id=$(refslabctl create 64 --data hello --mode 0644 --pin)\n"
"    echo config | refslabctl create 256 --stdin --pin\n"
"    refslabctl create 64 --count 10000 >/dev/null\n" },
	{ "open", cmd_open, "open an object by id, check access, print its info",
"NAME\n"
"    refslabctl open - check access to an object\n\n"
"SYNOPSIS\n"
"    refslabctl open ID [--read] [--write] [--json]\n\n"
"DESCRIPTION\n"
"    Opens object ID with the rights asked for (read if none is given), as\n"
"    another process would, and prints its information.  Fails with a\n"
"    permission error naming the object's mode and owner if the caller may\n"
"    not have those rights.\n\n"
"OPTIONS\n"
"    --read    ask for the read right\n"
"    --write   ask for the write right\n"
"    --json    print the information as JSON (as `info --json`)\n\n"
EXIT_STATUS_HELP "\n"
"EXAMPLES\n"
"    refslabctl open 42 --read --write\n" },
	{ "read", cmd_read, "print an object's payload",
"NAME\n"
"    refslabctl read - read an object's payload\n\n"
"SYNOPSIS\n"
"    refslabctl read (ID | --fd N) [--offset N] [--length N] [--hex]\n\n"
"DESCRIPTION\n"
"    Opens object ID for reading and writes its payload bytes to standard\n"
"    output, unchanged (not followed by a newline).  The bytes are never a\n"
"    mix of two writes.\n\n"
"OPTIONS\n"
"    --offset N   start at byte N (default 0)\n"
"    --length N   read N bytes (default: to the end of the payload)\n"
"    --hex        print a hex dump instead of the raw bytes\n"
"    --fd N       read the object of file descriptor N (made by `export`)\n"
"                 instead of opening ID: no mode check, the file's rights\n\n"
EXIT_STATUS_HELP "\n"
"EXAMPLES\n"
"    refslabctl read 42 --length 5\n"
"    refslabctl read 42 --hex\n"
"    refslabctl export 42 -- refslabctl read --fd 3\n" },
	{ "write", cmd_write, "write bytes into an object's payload",
"NAME\n"
"    refslabctl write - write into an object's payload\n\n"
"SYNOPSIS\n"
"    refslabctl write (ID | --fd N) [--offset N]\n"
"                     (--data STR | --file PATH | --stdin) [--if-generation G]\n\n"
"DESCRIPTION\n"
"    Opens object ID for writing and replaces the payload bytes from offset\n"
"    N with the data, atomically.  Prints the object's generation after the\n"
"    write (each write adds one).  With --if-generation, writes only if the\n"
"    generation is still G (compare-and-swap); otherwise nothing is written\n"
"    and the exit status is 1.\n\n"
"OPTIONS\n"
"    --offset N          write at byte N (default 0)\n"
"    --data STR          the bytes of STR\n"
"    --file PATH         the contents of PATH\n"
"    --stdin             standard input\n"
"    --if-generation G   write only if the generation is G\n"
"    --fd N              write to the object of file descriptor N (made by\n"
"                        `export --write`) instead of opening ID\n\n"
EXIT_STATUS_HELP "\n"
"EXAMPLES\n"
"    gen=$(refslabctl info 42 --json | sed -n 's/.*\"generation\": \\([0-9]*\\).*/\\1/p')\n"
"    refslabctl write 42 --data new --if-generation \"$gen\"\n" },
	{ "info", cmd_info, "describe an object",
"NAME\n"
"    refslabctl info - describe an object\n\n"
"SYNOPSIS\n"
"    refslabctl info (ID | --fd N) [--json]\n\n"
"DESCRIPTION\n"
"    Opens object ID (read right, or write if read is not granted) and\n"
"    prints its id, size, size class, mode, owner, group, generation,\n"
"    references, creation time and state.  \"references\" counts every\n"
"    holder but refslabctl itself (pins, handles, exported files).\n\n"
"    The state is \"pinned\" or \"not pinned\", followed by \"foreign: object\n"
"    of another IPC namespace (id hidden)\" for an object that came from\n"
"    another namespace through --fd: its id names it only there, so the\n"
"    module reports id 0.\n\n"
"OPTIONS\n"
"    --json    one JSON object: id, size, capacity, mode (octal string),\n"
"              uid, gid, generation, refs, rights, pinned and foreign\n"
"              (true or false), ctime_ns\n"
"    --fd N    describe the object of file descriptor N (made by `export`)\n"
"              instead of opening ID\n\n"
EXIT_STATUS_HELP "\n"
"EXAMPLES\n"
"    refslabctl info 42\n" },
	{ "pin", cmd_pin, "keep an object alive without holders",
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
"    refslabctl pin 3 --ns /proc/1234/ns/ipc\n" },
	{ "unpin", cmd_unpin, "drop an object's pin",
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
"    refslabctl unpin 3 --ns 4026532281\n" },
	{ "pinned", cmd_pinned, "list pinned objects",
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
"    done\n" },
	{ "chmod", cmd_chmod, "change an object's mode",
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
"    refslabctl chmod 42 0640\n" },
	{ "chown", cmd_chown, "change an object's owner and group",
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
"    refslabctl chown 42 :1000\n" },
	{ "hold", cmd_hold, "hold references to an object until killed",
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
"    refslabctl hold 42 --timeout 60\n" },
	{ "export", cmd_export, "run a command with an object as a file descriptor",
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
"    refslabctl export 42 --read --write --fd 5 -- sh -c 'refslabctl write --fd 5 --data hi'\n" },
	{ "stats", cmd_stats, "show the module's counters",
"NAME\n"
"    refslabctl stats - show the module's counters\n\n"
"SYNOPSIS\n"
"    refslabctl stats [--json] [--watch SECONDS [--count N]] [COUNTER...]\n\n"
"DESCRIPTION\n"
"    Prints every file under /sys/kernel/refslab/ (subdirectories included,\n"
"    as DIR/NAME) as an aligned table.  With --watch, prints it again every\n"
"    SECONDS, with a column showing how each counter changed.\n\n"
"    With COUNTER operands, only those: each names a file (\"reclaim_pending\",\n"
"    \"classes/64/objects_live\") or a directory, for every file below it\n"
"    (\"classes/64\").  They are shown in the usual order; one that names\n"
"    nothing is an error (exit status 1).\n\n"
"OPTIONS\n"
"    --json              one JSON object; subdirectories become nested\n"
"                        objects.  With --watch, one object per line.\n"
"    --watch SECONDS     repeat every SECONDS until interrupted\n"
"    --count N           with --watch, stop after N samples\n\n"
EXIT_STATUS_HELP "\n"
"EXAMPLES\n"
"    refslabctl stats\n"
"    refslabctl stats --watch 1 --count 10\n"
"    refslabctl stats --json | grep reclaim_pending\n"
"    refslabctl stats handles_live references_live reclaim_latency\n" },
	{ "objects", cmd_objects, "list live objects (debugfs)",
"NAME\n"
"    refslabctl objects - list every live object\n\n"
"SYNOPSIS\n"
"    refslabctl objects\n\n"
"DESCRIPTION\n"
"    Prints " REFSLAB_DEBUGFS_DIR "/objects as an aligned table: every\n"
"    object of every IPC namespace, with its id, ns (the inode number of\n"
"    its IPC namespace: ids repeat across namespaces), size, refs, uid,\n"
"    gid, mode, pinned and age_ms, as the module lists them.  Needs\n"
"    debugfs mounted and read access to it (usually root).\n\n"
EXIT_STATUS_HELP "    1 also when the debugfs file is not available.\n\n"
"EXAMPLES\n"
"    refslabctl objects\n" },
	{ "users", cmd_users, "show per-user usage (debugfs)",
"NAME\n"
"    refslabctl users - show each user's objects, bytes, pins and watches\n\n"
"SYNOPSIS\n"
"    refslabctl users\n\n"
"DESCRIPTION\n"
"    Prints " REFSLAB_DEBUGFS_DIR "/users as an aligned table: one line per\n"
"    user charged, in each user namespace (userns, its inode number; an\n"
"    object made inside a user namespace is charged there and to the\n"
"    namespace's owner above it), with its objects, bytes, pins and\n"
"    watches, as the module lists them.  Needs debugfs mounted and read\n"
"    access to it (usually root).\n\n"
EXIT_STATUS_HELP "    1 also when the debugfs file is not available.\n\n"
"EXAMPLES\n"
"    refslabctl users\n" },
	{ "wait", cmd_wait, "wait until an object is reclaimed",
"NAME\n"
"    refslabctl wait - wait for an object to be reclaimed\n\n"
"SYNOPSIS\n"
"    refslabctl wait ID [--timeout SECONDS]\n\n"
"DESCRIPTION\n"
"    Opens object ID, subscribes to its release, drops its own reference,\n"
"    and blocks until the module reports the object reclaimed (its memory\n"
"    freed after its last reference went); then prints the event.  The\n"
"    watch carries a cookie of refslabctl's own: only the record with\n"
"    that cookie and the id counts; records of other types are skipped.\n\n"
"    If the module reports an overflow (events lost because the queue was\n"
"    full), refslabctl says so on standard error with the number lost,\n"
"    and watches the object again by id; if it is gone, its event was\n"
"    among those lost, and refslabctl prints that it was reclaimed at a\n"
"    time unknown.\n\n"
"OPTIONS\n"
"    --timeout SECONDS   give up after SECONDS (exit status 1)\n\n"
EXIT_STATUS_HELP "\n"
"EXAMPLES\n"
"    refslabctl wait 42 & refslabctl unpin 42; wait\n" },
	{ NULL, NULL, NULL, NULL },
};

static const struct command *find_command(const char *name)
{
	const struct command *cmd;

	for (cmd = commands; cmd->name; cmd++)
		if (!strcmp(cmd->name, name))
			return cmd;
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

// SPDX-License-Identifier: GPL-2.0
/*
 * refslabctl: what the commands share.  Arguments, user and group names
 * (looked up in /etc/passwd and /etc/group directly, with fgetpwent and
 * fgetgrent: a static binary cannot load the NSS modules getpwnam() would
 * need), the device, opening objects and the errors about them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "refslabctl.h"

/* ---------------------------------------------------------------------- */
/* Argument parsing                                                        */

bool parse_u64(const char *s, uint64_t *v)
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

uint64_t arg_u64(const struct ctx *c, const char *what, const char *s,
			uint64_t max)
{
	uint64_t v;

	if (!parse_u64(s, &v) || v > max)
		usage_error(c, "invalid %s '%s' (expected a number from 0 to %" PRIu64 ")",
			    what, s, max);
	return v;
}

uint64_t arg_id(const struct ctx *c, const char *s)
{
	uint64_t id;

	if (!parse_u64(s, &id) || !id)
		usage_error(c, "invalid object id '%s' (expected a positive number)", s);
	return id;
}

uint32_t arg_mode(const struct ctx *c, const char *s)
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
uint64_t arg_ns(const struct ctx *c, const char *s)
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

/* Require exactly @n operands after the options. */
void want_operands(const struct ctx *c, int argc, char **argv, int n,
			  const char *names)
{
	int have = argc - optind;

	if (have < n)
		usage_error(c, "missing operand: %s", names);
	if (have > n)
		usage_error(c, "unexpected operand '%s'", argv[optind + n]);
}

/* A number from 1 to @max; 0 is refused with "(@least)". */
uint64_t arg_positive(const struct ctx *c, const char *what, const char *s,
		      uint64_t max, const char *least)
{
	uint64_t v = arg_u64(c, what, s, max);

	if (!v)
		usage_error(c, "invalid %s '0' (%s)", what, least);
	return v;
}

int arg_fd(const struct ctx *c, const char *s, int min)
{
	uint64_t v;

	if (!parse_u64(s, &v) || v < (uint64_t)min || v > INT_MAX)
		usage_error(c, "invalid file descriptor '%s' (expected a number from %d)",
			    s, min);
	return (int)v;
}

/* ---------------------------------------------------------------------- */
/* Users and groups, from the files themselves                             */

/* An entry of /etc/passwd or /etc/group: what refslabctl needs of it. */
struct ident {
	char name[128];
	uint32_t id;
	uint32_t gid;	/* a user's login group */
};

/* The user named @name, or with uid @id if @name is NULL, into @out. */
static bool find_user(const char *name, uint32_t id, struct ident *out)
{
	struct passwd *pw;
	bool found = false;
	FILE *f = fopen(PASSWD_FILE, "re");

	if (!f)
		return false;
	while (!found && (pw = fgetpwent(f)))
		if (name ? !strcmp(pw->pw_name, name) : pw->pw_uid == id) {
			snprintf(out->name, sizeof(out->name), "%s", pw->pw_name);
			out->id = pw->pw_uid;
			out->gid = pw->pw_gid;
			found = true;
		}
	fclose(f);
	return found;
}

/* The group named @name, or with gid @id if @name is NULL, into @out. */
static bool find_group(const char *name, uint32_t id, struct ident *out)
{
	struct group *gr;
	bool found = false;
	FILE *f = fopen(GROUP_FILE, "re");

	if (!f)
		return false;
	while (!found && (gr = fgetgrent(f)))
		if (name ? !strcmp(gr->gr_name, name) : gr->gr_gid == id) {
			snprintf(out->name, sizeof(out->name), "%s", gr->gr_name);
			out->id = out->gid = gr->gr_gid;
			found = true;
		}
	fclose(f);
	return found;
}

/*
 * @name is numeric or a user name; the user's login group in @gid
 * (UINT32_MAX for a number that is no user of /etc/passwd).
 */
bool lookup_user(const char *name, uint32_t *uid, uint32_t *gid)
{
	struct ident u;
	uint64_t v;

	if (parse_u64(name, &v) && v < UINT32_MAX) {
		*uid = (uint32_t)v;
		*gid = find_user(NULL, *uid, &u) ? u.gid : UINT32_MAX;
		return true;
	}
	if (!find_user(name, 0, &u))
		return false;
	*uid = u.id;
	*gid = u.gid;
	return true;
}

bool lookup_group(const char *name, uint32_t *gid)
{
	struct ident g;
	uint64_t v;

	if (parse_u64(name, &v) && v < UINT32_MAX) {
		*gid = (uint32_t)v;
		return true;
	}
	if (!find_group(name, 0, &g))
		return false;
	*gid = g.id;
	return true;
}

/* "1000 (alice)" or "1000" */
const char *fmt_id(char *buf, size_t size, uint32_t id, bool is_user)
{
	struct ident e;
	bool ok = is_user ? find_user(NULL, id, &e) : find_group(NULL, id, &e);

	if (ok)
		snprintf(buf, size, "%" PRIu32 " (%s)", id, e.name);
	else
		snprintf(buf, size, "%" PRIu32, id);
	return buf;
}

/* ---------------------------------------------------------------------- */
/* The device and objects                                                  */

int dev_open(const struct ctx *c)
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

const char *rights_str(uint32_t rights)
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
void __attribute__((noreturn))
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
void need_ns(int fd, const char *what)
{
	struct refslab_version v;

	if (refslab_version(fd, &v) || !(v.features & REFSLAB_FEATURE_NS))
		die("%s: the loaded module does not support IPC namespaces (no ns feature)",
		    what);
}

/* "refslabctl: <what>: <meaning>[; <hint>]", exit 1, for --ns and --namespaces. */
void __attribute__((noreturn)) ns_fail(const char *what, int err)
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
uint32_t obj_open(int fd, const char *op, uint64_t id, uint32_t rights,
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
/* The operands after the options: ID, unless --fd named the object. */
void target_operands(const struct ctx *c, int argc, char **argv,
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
uint32_t target_open(int fd, const char *op, struct target *t,
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
/* debugfs dumps                                                           */

/* The blank-separated fields of a debugfs dump's @line, at most MAX_COLS. */
int split_fields(char *line, char **f)
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

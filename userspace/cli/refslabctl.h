/* SPDX-License-Identifier: GPL-2.0 */
/*
 * refslabctl's internal interface: what main.c, the helpers in common.c
 * and output.c (prometheus.c for stats), and the command files (objects.c, sharing.c, pins.c,
 * stats.c, wait.c) share.  Each command file defines the struct command
 * of its commands, help text included, next to the code; main.c lists
 * them in the order `refslabctl --help` shows.
 */
#ifndef REFSLABCTL_H
#define REFSLABCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <refslab.h>

#define EXIT_FAIL	1
#define EXIT_USAGE	2

#define PASSWD_FILE	"/etc/passwd"
#define GROUP_FILE	"/etc/group"

/* The EXIT STATUS section most commands' help ends with. */
#define EXIT_STATUS_HELP \
"EXIT STATUS\n" \
"    0 success; 1 the operation failed; 2 usage error.\n"

/* Per-invocation settings; main() owns them, subcommands read them. */
struct ctx {
	const char *device;
	const char *cmd;
};

struct command {
	const char *name;
	int (*run)(struct ctx *c, int argc, char **argv);
	const char *summary;
	const char *help;
};

/* The commands, each defined next to its code. */
extern const struct command cmd_create, cmd_open, cmd_read, cmd_write,
	cmd_info;					/* objects.c */
extern const struct command cmd_hold, cmd_export;	/* sharing.c */
extern const struct command cmd_pin, cmd_unpin, cmd_pinned, cmd_chmod,
	cmd_chown;					/* pins.c */
extern const struct command cmd_version, cmd_stats, cmd_objects,
	cmd_users;					/* stats.c */
extern const struct command cmd_wait;			/* wait.c */

/* main.c: messages and exits */
void __attribute__((format(printf, 2, 3), noreturn))
usage_error(const struct ctx *c, const char *fmt, ...);
void __attribute__((format(printf, 1, 2), noreturn)) die(const char *fmt, ...);
void __attribute__((noreturn)) bad_option(const struct ctx *c, char **argv, int opt);

/* common.c: arguments */
bool parse_u64(const char *s, uint64_t *v);
uint64_t arg_u64(const struct ctx *c, const char *what, const char *s, uint64_t max);
uint64_t arg_id(const struct ctx *c, const char *s);
uint32_t arg_mode(const struct ctx *c, const char *s);
uint64_t arg_ns(const struct ctx *c, const char *s);
int arg_fd(const struct ctx *c, const char *s, int min);
void want_operands(const struct ctx *c, int argc, char **argv, int n,
		   const char *names);
uint64_t arg_positive(const struct ctx *c, const char *what, const char *s,
		      uint64_t max, const char *least);

/* common.c: users and groups */
bool lookup_user(const char *name, uint32_t *uid, uint32_t *gid);
bool lookup_group(const char *name, uint32_t *gid);
const char *fmt_id(char *buf, size_t size, uint32_t id, bool is_user);

/* common.c: the device and objects */
int dev_open(const struct ctx *c);
const char *rights_str(uint32_t rights);
void __attribute__((noreturn)) obj_fail(int fd, const char *op, uint64_t id, int err);
void need_ns(int fd, const char *what);
void __attribute__((noreturn)) ns_fail(const char *what, int err);
uint32_t obj_open(int fd, const char *op, uint64_t id, uint32_t rights, bool any);

/*
 * The object a command works on: named by its id, or (--fd N) an object
 * file descriptor that EXPORT made and this process inherited or received.
 */
struct target {
	uint64_t id;	/* 0 until known, with --fd */
	int objfd;	/* -1: by id */
};

void target_operands(const struct ctx *c, int argc, char **argv, struct target *t);
uint32_t target_open(int fd, const char *op, struct target *t, uint32_t rights,
		     bool any);

/* common.c: debugfs dumps */
#define MAX_COLS 16
int split_fields(char *line, char **f);

/* output.c: JSON and tables */
void json_str(FILE *f, const char *s);
void json_value(FILE *f, const char *v);

/* A NAME=VALUE pair, such as a sysfs file's path below its root and value. */
struct stat_entry {
	char name[256];
	char value[128];
};

void json_tree(const struct stat_entry *ent, size_t n, bool compact);
void table_print(char **lines, size_t n);

/* prometheus.c: stats --format prometheus */
void prom_write(const struct stat_entry *e, size_t n);

/* wait.c, also for unpin --wait */
uint64_t watch_and_put(int fd, const char *op, uint64_t id, uint32_t h);
int wait_reclaimed(int fd, const char *op, uint64_t id, uint64_t cookie,
		   uint64_t timeout);

#endif /* REFSLABCTL_H */

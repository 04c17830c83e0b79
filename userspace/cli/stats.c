// SPDX-License-Identifier: GPL-2.0
/*
 * refslabctl's counters and listings: version, stats (a table, JSON or
 * the Prometheus text format of /sys/kernel/refslab/), objects and users
 * (the debugfs dumps).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "refslabctl.h"

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

static int do_version(struct ctx *c, int argc, char **argv)
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
		printf("  \"object_refs_max\": %u,\n  \"nr_classes\": %u,\n",
		       v.object_refs_max, v.nr_classes);
		printf("  \"file_handles_max\": %u,\n  \"batch_max\": %u\n}\n",
		       v.file_handles_max, v.batch_max);
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
	printf("           %u handles per open file, %u operations per batch\n",
	       v.file_handles_max, v.batch_max);
	return 0;
}

const struct command cmd_version = {
	.name = "version",
	.run = do_version,
	.summary = "show the module's ABI version, features and limits",
	.help =
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
"    refslabctl version --json\n",
};

/* ---------------------------------------------------------------------- */
/* stats                                                                   */

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

/* --format: the names, in the order of the FMT_ values. */
enum { FMT_TABLE, FMT_JSON, FMT_PROMETHEUS };
static const char *const formats[] = { "table", "json", "prometheus" };

static int arg_format(const struct ctx *c, const char *s)
{
	int i;

	for (i = 0; i < (int)(sizeof(formats) / sizeof(formats[0])); i++)
		if (!strcmp(s, formats[i]))
			return i;
	usage_error(c, "invalid format '%s' (expected table, json or prometheus)", s);
}

static int do_stats(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'f' },
		{ "watch", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct stat_list cur = { 0 }, prev = { 0 }, tmp;
	uint64_t watch = 0, count = 0, i;
	bool have_count = false;
	int opt, fmt = -1;
	bool json = false;

	while ((opt = getopt_long(argc, argv, ":jf:w:n:", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'f':
			fmt = arg_format(c, optarg);
			break;
		case 'w':
			watch = arg_positive(c, "interval", optarg, 86400,
					     "at least 1 second");
			break;
		case 'n':
			count = arg_positive(c, "count", optarg, UINT32_MAX,
					     "at least 1");
			have_count = true;
			break;
		default:
			bad_option(c, argv, opt);
		}
	}
	if (have_count && !watch)
		usage_error(c, "--count needs --watch");
	if (json && fmt >= 0 && fmt != FMT_JSON)
		usage_error(c, "--json and --format %s exclude each other",
			    formats[fmt]);
	if (fmt < 0)
		fmt = json ? FMT_JSON : FMT_TABLE;
	if (fmt == FMT_PROMETHEUS && watch)
		usage_error(c, "--format prometheus prints one sample, not with --watch");
	if (!watch)
		count = 1;

	for (i = 0; !count || i < count; i++) {
		if (i)
			sleep((unsigned int)watch);
		stats_collect(&cur);
		if (optind < argc)
			stats_select(&cur, argv + optind, argc - optind);
		if (fmt == FMT_PROMETHEUS) {
			prom_write(cur.e, cur.n);
		} else if (fmt == FMT_JSON) {
			json_tree(cur.e, cur.n, watch != 0);
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

const struct command cmd_stats = {
	.name = "stats",
	.run = do_stats,
	.summary = "show the module's counters",
	.help =
"NAME\n"
"    refslabctl stats - show the module's counters\n\n"
"SYNOPSIS\n"
"    refslabctl stats [--json | --format FORMAT] [--watch SECONDS [--count N]]\n"
"                     [COUNTER...]\n\n"
"DESCRIPTION\n"
"    Prints every file under /sys/kernel/refslab/ (subdirectories included,\n"
"    as DIR/NAME) as an aligned table.  With --watch, prints it again every\n"
"    SECONDS, with a column showing how each counter changed.\n\n"
"    With COUNTER operands, only those: each names a file (\"reclaim_pending\",\n"
"    \"classes/64/objects_live\") or a directory, for every file below it\n"
"    (\"classes/64\").  They are shown in the usual order; one that names\n"
"    nothing is an error (exit status 1).\n\n"
"    --format prometheus prints the Prometheus text exposition format, for\n"
"    node_exporter's textfile collector (see refslabctl(8)): every file is a\n"
"    sample named refslab_ and its path (\"reclaim_latency/max_ns\" is\n"
"    refslab_reclaim_latency_max_ns), with # HELP (its sysfs path) and\n"
"    # TYPE.  Counters that only grow are typed counter and end in _total\n"
"    (refslab_gets_total); every other file is a gauge.  A numbered\n"
"    directory is a label: \"classes/64/objects_live\" is\n"
"    refslab_class_objects_live{class=\"64\"}.  A value that is no number\n"
"    is a label of an _info gauge of 1: refslab_version_info{version=\"...\"}.\n\n"
"OPTIONS\n"
"    --json              one JSON object; subdirectories become nested\n"
"                        objects.  With --watch, one object per line.\n"
"    --format FORMAT     table (the default), json (as --json) or\n"
"                        prometheus (not with --watch)\n"
"    --watch SECONDS     repeat every SECONDS until interrupted\n"
"    --count N           with --watch, stop after N samples\n\n"
EXIT_STATUS_HELP "\n"
"EXAMPLES\n"
"    refslabctl stats\n"
"    refslabctl stats --watch 1 --count 10\n"
"    refslabctl stats --json | grep reclaim_pending\n"
"    refslabctl stats handles_live references_live reclaim_latency\n"
"    refslabctl stats --format prometheus >refslab.prom.tmp &&\n"
"        mv refslab.prom.tmp refslab.prom\n",
};

/* ---------------------------------------------------------------------- */
/* objects and users (debugfs)                                             */

static int debugfs_table(struct ctx *c, int argc, char **argv, const char *file)
{
	static const struct option opts[] = { { NULL, 0, NULL, 0 } };
	char path[PATH_MAX], **lines = NULL, *line = NULL, *copy;
	size_t cap = 0, nlines = 0, i;
	int opt;
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
		line[strcspn(line, "\n")] = '\0';
		lines = realloc(lines, (nlines + 1) * sizeof(*lines));
		copy = strdup(line);
		if (!lines || !copy)
			die("%s: out of memory", c->cmd);
		lines[nlines++] = copy;
	}
	free(line);
	fclose(fp);
	table_print(lines, nlines);
	for (i = 0; i < nlines; i++)
		free(lines[i]);
	free(lines);
	return 0;
}

static int do_objects(struct ctx *c, int argc, char **argv)
{
	return debugfs_table(c, argc, argv, "objects");
}

const struct command cmd_objects = {
	.name = "objects",
	.run = do_objects,
	.summary = "list live objects (debugfs)",
	.help =
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
"    refslabctl objects\n",
};

static int do_users(struct ctx *c, int argc, char **argv)
{
	return debugfs_table(c, argc, argv, "users");
}

const struct command cmd_users = {
	.name = "users",
	.run = do_users,
	.summary = "show per-user usage (debugfs)",
	.help =
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
"    refslabctl users\n",
};

// SPDX-License-Identifier: GPL-2.0
/*
 * `refslabctl stats --format prometheus`: the files of /sys/kernel/refslab/
 * in the Prometheus text exposition format (version 0.0.4), which
 * node_exporter's textfile collector serves as it is.
 *
 * Nothing here names a counter but the table of monotonic ones: every
 * file found is one sample, so a counter the module adds appears without
 * a change here.  A file's path below /sys/kernel/refslab/ gives its
 * metric:
 *
 *  - "refslab_" and the path's components joined by '_' make the name
 *    ("reclaim_latency/max_ns" is refslab_reclaim_latency_max_ns), any
 *    character a metric name may not hold becoming '_';
 *  - a directory named by a number is a label, named after the directory
 *    above it ("classes" names the label "class", any other its own
 *    name): "classes/64/objects_live" is refslab_class_objects_live
 *    {class="64"}, one metric family for every class;
 *  - a file in the table of monotonic counters below is a counter, with
 *    the conventional "_total" suffix (refslab_gets_total); every other
 *    file is a gauge, under its own name;
 *  - a value that is no number (the module's version) becomes a label of
 *    a gauge of value 1 with "_info" added: refslab_version_info
 *    {version="1.0.0"} 1.
 *
 * Samples of one family follow its # HELP and # TYPE lines together, in
 * the order of `stats` (classes by capacity).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refslabctl.h"

/*
 * The files that only ever grow (until the module is reloaded, or a
 * measurement is restarted, which Prometheus treats as a counter reset).
 * Patterns of fnmatch(3) over the path, "*" standing for a numbered
 * directory.  Peaks and maxima are gauges: they may be reset to 0.
 */
static const char *const monotonic[] = {
	"objects_created",
	"objects_released",
	"objects_reclaimed",
	"reclaim_throttles",
	"gets",
	"puts",
	"quota_denials",
	"events_delivered",
	"events_dropped",
	"reclaim_latency/count",
	"reclaim_latency/lt_*",
	"reclaim_latency/ge_*",
	"classes/*/objects_created",
	"classes/*/objects_reclaimed",
};

/* A numbered directory below @dir is a label of this name. */
static const struct {
	const char *dir;
	const char *label;
} label_names[] = {
	{ "classes", "class" },
};

struct prom_sample {
	char name[256];		/* the family's name, _total or _info added */
	char help[320];		/* the sysfs path, numbered directories as <label> */
	char labels[320];	/* label="value",... without the braces */
	const char *value;	/* the number; "1" for an _info gauge */
	bool counter;
	bool info;		/* an _info gauge */
	bool done;		/* printed with its family */
};

static bool all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return n > 0;
}

/* A number as the exposition format takes it (Go's ParseFloat). */
static bool is_number(const char *s)
{
	char *end;
	double d;

	if (!*s || isspace((unsigned char)*s) || strpbrk(s, "xX"))
		return false;	/* strtod() would take hex, ParseFloat not */
	d = strtod(s, &end);
	return !*end && isfinite(d);
}

/* Append @n bytes of @s to @buf, each not [a-zA-Z0-9_] as '_'. */
static void put_name(char *buf, size_t size, const char *s, size_t n)
{
	size_t len = strlen(buf), i;

	for (i = 0; i < n && len + 1 < size; i++) {
		unsigned char ch = (unsigned char)s[i];

		buf[len++] = isalnum(ch) || ch == '_' ? (char)ch : '_';
	}
	buf[len] = '\0';
}

/* Append label="value" to @buf, the value escaped as the format says. */
static void put_label(char *buf, size_t size, const char *label, size_t ln,
		      const char *value, size_t vn)
{
	size_t len = strlen(buf), i;

	if (len && len + 1 < size)
		buf[len++] = ',';
	buf[len] = '\0';
	put_name(buf, size, label, ln);
	len = strlen(buf);
	if (len + 2 < size) {
		buf[len++] = '=';
		buf[len++] = '"';
	}
	for (i = 0; i < vn && len + 3 < size; i++) {
		char ch = value[i];

		if (ch == '\\' || ch == '"' || ch == '\n') {
			buf[len++] = '\\';
			ch = ch == '\n' ? 'n' : ch;
		}
		buf[len++] = ch;
	}
	if (len + 1 < size)
		buf[len++] = '"';
	buf[len] = '\0';
}

static const char *label_name(const char *dir, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(label_names) / sizeof(label_names[0]); i++)
		if (strlen(label_names[i].dir) == n &&
		    !strncmp(label_names[i].dir, dir, n))
			return label_names[i].label;
	return NULL;
}

/* The metric of sysfs file @e, as the comment at the top says. */
static void prom_map(const struct stat_entry *e, struct prom_sample *s)
{
	char pattern[256] = "";
	const char *p = e->name, *prev = NULL, *label;
	size_t n, prev_n = 0, ln, i;

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "refslab");
	snprintf(s->help, sizeof(s->help), "%s", REFSLAB_SYSFS_DIR);
	for (;; p += n + 1) {
		n = strcspn(p, "/");
		if (p[n] == '/' && prev && all_digits(p, n)) {
			/* A numbered directory: a label, not a name component. */
			label = label_name(prev, prev_n);
			ln = label ? strlen(label) : prev_n;
			if (label) {
				/* "classes" gave "refslab_classes": make it "_class". */
				s->name[strlen(s->name) - prev_n] = '\0';
				put_name(s->name, sizeof(s->name), label, ln);
			} else {
				label = prev;
			}
			put_label(s->labels, sizeof(s->labels), label, ln, p, n);
			strncat(pattern, "*/", sizeof(pattern) - strlen(pattern) - 1);
			snprintf(s->help + strlen(s->help), sizeof(s->help) - strlen(s->help),
				 "/<%.*s>", (int)ln, label);
			prev = NULL;
		} else {
			put_name(s->name, sizeof(s->name), "_", 1);
			put_name(s->name, sizeof(s->name), p, n);
			snprintf(pattern + strlen(pattern), sizeof(pattern) - strlen(pattern),
				 "%.*s%s", (int)n, p, p[n] == '/' ? "/" : "");
			snprintf(s->help + strlen(s->help), sizeof(s->help) - strlen(s->help),
				 "/%.*s", (int)n, p);
			prev = p;
			prev_n = n;
		}
		if (p[n] != '/')
			break;
	}
	if (!is_number(e->value)) {
		/* The leaf's name (prev, prev_n) labels the value. */
		put_label(s->labels, sizeof(s->labels), prev, prev_n, e->value,
			  strlen(e->value));
		put_name(s->name, sizeof(s->name), "_info", 5);
		s->value = "1";
		s->info = true;
		return;
	}
	s->value = e->value;
	for (i = 0; i < sizeof(monotonic) / sizeof(monotonic[0]); i++)
		if (!fnmatch(monotonic[i], pattern, FNM_PATHNAME)) {
			s->counter = true;
			put_name(s->name, sizeof(s->name), "_total", 6);
			break;
		}
}

static void prom_sample_print(const struct prom_sample *s)
{
	printf("%s%s%s%s %s\n", s->name, *s->labels ? "{" : "", s->labels,
	       *s->labels ? "}" : "", s->value);
}

/*
 * Print @n sysfs files (@e, in `stats` order) as Prometheus samples.  A
 * file that could not be read has no sample; stderr names it.
 */
void prom_write(const struct stat_entry *e, size_t n)
{
	struct prom_sample *s = calloc(n ? n : 1, sizeof(*s));
	size_t i, j;

	if (!s)
		die("stats: out of memory");
	for (i = 0; i < n; i++) {
		prom_map(&e[i], &s[i]);
		if (!strncmp(e[i].value, "(unreadable", 11)) {
			fprintf(stderr, "refslabctl: stats: %s/%s %s\n",
				REFSLAB_SYSFS_DIR, e[i].name, e[i].value);
			s[i].done = true;
		}
	}
	for (i = 0; i < n; i++) {
		if (s[i].done)
			continue;
		printf("# HELP %s %s%s\n", s[i].name, s[i].help,
		       s[i].info ? " (its value as a label)" : "");
		printf("# TYPE %s %s\n", s[i].name,
		       s[i].counter ? "counter" : "gauge");
		for (j = i; j < n; j++)
			if (!s[j].done && !strcmp(s[j].name, s[i].name)) {
				prom_sample_print(&s[j]);
				s[j].done = true;
			}
	}
	free(s);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * refslabctl's output helpers: a JSON writer (strings, values that are
 * numbers when they look like one, and a tree of NAME/VALUE pairs whose
 * names are paths) and an aligned table of blank-separated columns.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refslabctl.h"


void json_str(FILE *f, const char *s)
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
void json_value(FILE *f, const char *v)
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

/*
 * JSON: top-level files as members, each subdirectory as a nested object
 * ("classes/64/objects" becomes {"classes": {"64": {"objects": N}}}).
 * Pretty, one member per line, unless @compact.
 */
void json_tree(const struct stat_entry *ent, size_t n, bool compact)
{
	const char *nl = compact ? "" : "\n";
	char open_path[256] = "";
	size_t i, depth = 0, k;
	bool first = true;

	printf("{%s", nl);
	for (i = 0; i < n; i++) {
		const char *name = ent[i].name;
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
		json_value(stdout, ent[i].value);
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

/*
 * @lines as a table: each blank-separated field padded to its column's
 * widest, two spaces between columns, the last field of a line unpadded.
 * Splits the lines in place.
 */
void table_print(char **lines, size_t n)
{
	size_t w[MAX_COLS] = { 0 }, i, len;
	char *f[MAX_COLS];
	const char *p;
	int nf, j;

	for (i = 0; i < n; i++)
		for (p = lines[i], j = 0; j < MAX_COLS; j++, p += len) {
			p += strspn(p, " \t");
			if (!*p)
				break;
			len = strcspn(p, " \t");
			if (len > w[j])
				w[j] = len;
		}
	for (i = 0; i < n; i++) {
		nf = split_fields(lines[i], f);
		for (j = 0; j < nf; j++)
			printf("%-*s%s", j == nf - 1 ? 0 : (int)w[j], f[j],
			       j == nf - 1 ? "" : "  ");
		putchar('\n');
	}
}

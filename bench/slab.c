// SPDX-License-Identifier: GPL-2.0
/*
 * refslab_bench: slab bytes per object, per size class, from
 * /sys/kernel/refslab/classes and /sys/kernel/slab.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

struct slab_row slab_rows[MAX_CLASSES];
int nr_slab_rows;

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

void bench_slab(void)
{
	long caps[MAX_CLASSES];
	int n = 0, i;
	struct dirent *de;
	char path[320];
	DIR *d;

	d = opendir(SYSFS "/classes");
	if (!d) {
		error_msg("cannot open " SYSFS "/classes: %s", strerror(errno));
		return;
	}
	while ((de = readdir(d)) && n < MAX_CLASSES)
		if (de->d_name[0] >= '0' && de->d_name[0] <= '9')
			caps[n++] = atol(de->d_name);
	closedir(d);
	qsort(caps, n, sizeof(caps[0]), cmp_long);

	for (i = 0; i < n; i++) {
		struct slab_row *s = &slab_rows[nr_slab_rows++];

		s->capacity = caps[i];
		snprintf(path, sizeof(path), SYSFS "/classes/%ld/object_size",
			 caps[i]);
		s->object_size = read_ll(path);
		snprintf(path, sizeof(path), SLABFS "/refslab_%ld/object_size",
			 caps[i]);
		s->slab_object_size = read_ll(path);
		snprintf(path, sizeof(path), SLABFS "/refslab_%ld/slab_size",
			 caps[i]);
		s->slab_size = read_ll(path);
		snprintf(path, sizeof(path), SLABFS "/refslab_%ld/objs_per_slab",
			 caps[i]);
		s->objs_per_slab = read_ll_opt(path, false);
		snprintf(path, sizeof(path), SLABFS "/refslab_%ld/order",
			 caps[i]);
		s->order = read_ll_opt(path, false);
		s->header = s->object_size - s->capacity;
	}
}

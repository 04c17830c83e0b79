// SPDX-License-Identifier: GPL-2.0
/*
 * refslab_bench: get+put with 1 to 1 000 000 live objects in one file, of
 * one handle (hot) and of random ones (spread).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"

struct live_row live_rows[MAX_LIVE_LEVELS];
int nr_live_rows;
long long live_base;	/* objects_live before the section */

/* get+put over a sample of the live handles (mask + 1 of them). */
static int loop_get_put_spread(void *p, uint64_t n)
{
	struct ctx *c = p;
	uint64_t i;
	uint32_t h;

	for (i = 0; i < n; i++) {
		h = c->handles[i & c->mask];
		if (rs_ref(c->fd, REFSLAB_IOC_GET, h, 2) ||
		    rs_put(c->fd, h, 1))
			return -1;
	}
	return 0;
}

void bench_live(void)
{
	long max = cfg.live_levels[cfg.nr_live_levels - 1], have = 0;
	uint32_t *handles, sample[4096];
	struct ctx c = { 0 };
	struct live_row *row;
	unsigned int ns, i;
	uint64_t t0;
	int l;

	handles = calloc(max, sizeof(*handles));
	if (!handles) {
		error_msg("out of memory for %ld handles", max);
		return;
	}
	live_base = read_sysfs("objects_live");
	c.fd = open_dev();
	if (c.fd < 0) {
		free(handles);
		return;
	}
	for (l = 0; l < cfg.nr_live_levels; l++) {
		row = &live_rows[nr_live_rows++];
		row->wanted = cfg.live_levels[l];
		t0 = now_ns();
		have += batch_create_n(c.fd, handles + have,
				       row->wanted - have, row->why,
				       sizeof(row->why));
		row->fill_s = (now_ns() - t0) / 1e9;
		row->reached = have;
		row->objects_live = read_sysfs("objects_live");
		row->slab_kb = meminfo_kb("Slab");
		if (row->objects_live != live_base + have)
			error_msg("objects_live %lld, expected %lld + %ld",
				  row->objects_live, live_base, have);
		if (have < row->wanted)
			note("live objects: reached %ld of %ld (%s)", have,
			     row->wanted, row->why);
		if (!have)
			break;

		/* Same handle every time: the lookup path alone. */
		c.handle = handles[0];
		measure("live", "get+put_hot", have, loop_get_put, &c, 1);
		/* Handles drawn at random from all the live ones. */
		for (ns = 1; ns * 2 <= have && ns < 4096; ns *= 2)
			;
		for (i = 0; i < ns; i++)
			sample[i] = handles[rng() % have];
		c.handles = sample;
		c.mask = ns - 1;
		measure("live", "get+put_spread", have, loop_get_put_spread, &c,
			1);
		if (have < row->wanted)
			break;
	}
	t0 = now_ns();
	close(c.fd);
	note("closed the file holding %ld objects in %.3f s", have,
	     (now_ns() - t0) / 1e9);
	free(handles);
}

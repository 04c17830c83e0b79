// SPDX-License-Identifier: GPL-2.0
/*
 * refslabctl wait, and what unpin --wait shares with it: watching an
 * object's reclamation through the module's event queue.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "refslabctl.h"

/* ---------------------------------------------------------------------- */
/* wait, and unpin --wait                                                  */

/*
 * Subscribe to the reclamation of handle @h's object, then drop @h: the
 * watcher's own reference must not keep the object alive.  The watch
 * carries a cookie of this process's own, which the event brings back.
 */
uint64_t watch_and_put(int fd, const char *op, uint64_t id, uint32_t h)
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
int wait_reclaimed(int fd, const char *op, uint64_t id, uint64_t cookie,
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

static int do_wait(struct ctx *c, int argc, char **argv)
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

const struct command cmd_wait = {
	.name = "wait",
	.run = do_wait,
	.summary = "wait until an object is reclaimed",
	.help =
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
"    refslabctl wait 42 & refslabctl unpin 42; wait\n",
};

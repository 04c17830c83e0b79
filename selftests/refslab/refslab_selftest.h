/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the refslab selftests: thin ioctl wrappers that return
 * 0 or -errno, sysfs and module parameter access, and the counter baseline
 * every fixture checks in its teardown.
 */
#ifndef REFSLAB_SELFTEST_H
#define REFSLAB_SELFTEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/refslab.h>

#include "kselftest_harness.h"

#define DEV		"/dev/refslab"
#define SYSFS		"/sys/kernel/refslab/"
#define PARAMS		"/sys/module/refslab/parameters/"

/* ---------------------------------------------------------------------- */
/* Small helpers: each returns 0 or -errno, like librefslab.             */

static inline int rs_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int rs_create(int fd, uint32_t size, const void *data, uint32_t len,
		     uint32_t *handle, uint64_t *id)
{
	struct refslab_create c = {
		.size = sizeof(c),
		.payload_size = size,
		.data = (uintptr_t)data,
		.data_len = len,
	};
	int ret = rs_ioctl(fd, REFSLAB_IOC_CREATE, &c);

	if (!ret) {
		*handle = c.handle;
		if (id)
			*id = c.id;
	}
	return ret;
}

static inline int rs_ref(int fd, unsigned long cmd, uint32_t handle, uint32_t count,
		  uint32_t *refs)
{
	struct refslab_ref r = {
		.size = sizeof(r),
		.handle = handle,
		.count = count,
	};
	int ret = rs_ioctl(fd, cmd, &r);

	if (!ret && refs)
		*refs = r.refs;
	return ret;
}

static inline int rs_get(int fd, uint32_t handle, uint32_t count, uint32_t *refs)
{
	return rs_ref(fd, REFSLAB_IOC_GET, handle, count, refs);
}

static inline int rs_put(int fd, uint32_t handle, uint32_t count, uint32_t *refs)
{
	return rs_ref(fd, REFSLAB_IOC_PUT, handle, count, refs);
}

static inline int rs_dup(int fd, uint32_t handle, uint32_t *new_handle)
{
	struct refslab_dup d = { .size = sizeof(d), .handle = handle };
	int ret = rs_ioctl(fd, REFSLAB_IOC_DUP, &d);

	if (!ret)
		*new_handle = d.new_handle;
	return ret;
}

static inline int rs_info(int fd, uint32_t handle, struct refslab_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->handle = handle;
	return rs_ioctl(fd, REFSLAB_IOC_INFO, info);
}

static inline int rs_rw(int fd, unsigned long cmd, uint32_t handle, uint32_t flags,
		 uint32_t offset, uint32_t length, void *buf, uint64_t *gen)
{
	struct refslab_rw rw = {
		.size = sizeof(rw),
		.flags = flags,
		.handle = handle,
		.offset = offset,
		.length = length,
		.buf = (uintptr_t)buf,
		.generation = gen ? *gen : 0,
	};
	int ret = rs_ioctl(fd, cmd, &rw);

	if ((!ret || ret == -ESTALE) && gen)
		*gen = rw.generation;
	return ret;
}

static inline int rs_read(int fd, uint32_t handle, uint32_t offset, uint32_t length,
		   void *buf, uint64_t *gen)
{
	return rs_rw(fd, REFSLAB_IOC_READ, handle, 0, offset, length, buf, gen);
}

static inline int rs_write(int fd, uint32_t handle, uint32_t offset, uint32_t length,
		    const void *buf, uint64_t *gen)
{
	return rs_rw(fd, REFSLAB_IOC_WRITE, handle, 0, offset, length,
		     (void *)buf, gen);
}

static inline long long read_long(const char *path)
{
	char buf[64] = "";
	long long val = -1;
	int fd = open(path, O_RDONLY);

	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) > 0)
			val = strtoll(buf, NULL, 10);
		close(fd);
	}
	return val;
}

static inline long long stat_read(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), SYSFS "%s", name);
	return read_long(path);
}

/* Write a string to a (sysfs, debugfs, cgroup) file; returns 0 or -errno. */
static inline int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* A whole (small) file as a string, to free(); NULL if it cannot be read. */
static inline char *slurp(const char *path)
{
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += n;
	buf[len] = 0;
	close(fd);
	return buf;
}

/* Write a module parameter; returns 0 or -errno. */
static inline int param_write(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), PARAMS "%s", name);
	return write_file(path, val);
}

static inline long long param_read(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), PARAMS "%s", name);
	return read_long(path);
}

/*
 * Module parameters a test changes, with their values before: restore
 * them all (in the teardown, which runs after a failed ASSERT too).
 */
#define MAX_SAVED_PARAMS	8

struct saved_params {
	unsigned int n;
	const char *name[MAX_SAVED_PARAMS];
	long long val[MAX_SAVED_PARAMS];
};

/* Remember @name's value, then set it to @val; 0 or -errno. */
static inline int param_set(struct saved_params *s, const char *name,
			    long long val)
{
	char buf[32];

	if (s->n == MAX_SAVED_PARAMS)
		return -ENOSPC;
	s->val[s->n] = param_read(name);
	if (s->val[s->n] < 0)
		return -ENOENT;
	s->name[s->n++] = name;
	snprintf(buf, sizeof(buf), "%lld", val);
	return param_write(name, buf);
}

/* Put back every saved value, last first; returns how many failed. */
static inline int params_restore(struct saved_params *s)
{
	char buf[32];
	int failed = 0;

	while (s->n) {
		s->n--;
		snprintf(buf, sizeof(buf), "%lld", s->val[s->n]);
		failed += param_write(s->name[s->n], buf) != 0;
	}
	return failed;
}

/* The rig runs the debug (KASAN, lockdep) kernel slowly: scale down there. */
static inline int debug_kernel(void)
{
	const char *k = getenv("REFSLAB_KERNEL");

	return k && !strcmp(k, "debug");
}

/* The debug and KCSAN kernels both run everything slowly. */
static inline int slow_kernel(void)
{
	const char *k = getenv("REFSLAB_KERNEL");

	return debug_kernel() || (k && !strcmp(k, "kcsan"));
}

/* Wait up to 5 s for a live counter to reach @want (deferred work may lag). */
static inline long long wait_stat(const char *name, long long want)
{
	long long val = -1;
	int i;

	for (i = 0; i < 500; i++) {
		val = stat_read(name);
		if (val == want)
			break;
		usleep(10000);
	}
	return val;
}

/* The figures that must be back to their baseline after every test. */
static const char *const balanced[] = {
	"objects_live", "handles_live", "references_live", "payload_bytes",
	"open_files", "object_files",
};

/*
 * And those that come back once deferred work has run: watches are
 * uncharged when their event is queued (from a workqueue) or their file
 * is closed, and queued events go with their file.
 */
static const char *const settled[] = {
	"watches_live", "events_pending",
};

#define NR_BALANCED (sizeof(balanced) / sizeof(balanced[0]))
#define NR_SETTLED (sizeof(settled) / sizeof(settled[0]))

struct baseline {
	long long val[NR_BALANCED];
	long long settled[NR_SETTLED];
};

static inline void baseline_take(struct baseline *b)
{
	unsigned int i;

	for (i = 0; i < NR_BALANCED; i++)
		b->val[i] = stat_read(balanced[i]);
	for (i = 0; i < NR_SETTLED; i++)
		b->settled[i] = stat_read(settled[i]);
}

/* Wait up to 10 s for released objects to be reclaimed (RCU). */
static inline long long wait_reclaimed(void)
{
	long long pending = -1;
	int i;

	for (i = 0; i < 1000; i++) {
		pending = stat_read("reclaim_pending");
		if (pending == 0)
			break;
		usleep(10000);
	}
	return pending;
}

#define EXPECT_BASELINE(b) do {						\
	struct baseline __now;						\
	unsigned int __i;						\
	baseline_take(&__now);						\
	for (__i = 0; __i < NR_BALANCED; __i++) {			\
		EXPECT_EQ((b)->val[__i], __now.val[__i])		\
			TH_LOG("%s not back to baseline", balanced[__i]); \
	}								\
	EXPECT_EQ(0, wait_reclaimed());					\
	for (__i = 0; __i < NR_SETTLED; __i++) {			\
		EXPECT_EQ((b)->settled[__i],				\
			  wait_stat(settled[__i], (b)->settled[__i]))	\
			TH_LOG("%s not back to baseline", settled[__i]); \
	}								\
} while (0)

static inline int open_dev(struct __test_metadata *_metadata)
{
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT)
		SKIP(return -1, DEV " not present (is refslab loaded?)");
	ASSERT_LE(0, fd);
	return fd;
}

/* ---------------------------------------------------------------------- */
/*
 * Sharing helpers (export/import/open/pin/subscribe/batch, SCM_RIGHTS) and
 * the wider end-of-run balance (pins, slab caches), for the tests that need
 * them in more than one file.  A file opts in by defining
 * REFSLAB_SELFTEST_SHARE_HELPERS before including this header, so a file
 * that still carries its own copies keeps building.
 */
#ifdef REFSLAB_SELFTEST_SHARE_HELPERS
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

static inline int rs_export(int fd, uint32_t handle, uint32_t flags,
			    uint32_t rights, int *out)
{
	struct refslab_export e = {
		.size = sizeof(e), .flags = flags, .handle = handle,
		.rights = rights,
	};
	int ret = rs_ioctl(fd, REFSLAB_IOC_EXPORT, &e);

	if (!ret)
		*out = e.fd;
	return ret;
}

static inline int rs_import(int fd, int objfd, uint32_t *handle)
{
	struct refslab_import im = { .size = sizeof(im), .fd = objfd };
	int ret = rs_ioctl(fd, REFSLAB_IOC_IMPORT, &im);

	if (!ret)
		*handle = im.handle;
	return ret;
}

static inline int rs_open(int fd, uint64_t id, uint32_t rights,
			  uint32_t *handle)
{
	struct refslab_open o = { .size = sizeof(o), .id = id, .rights = rights };
	int ret = rs_ioctl(fd, REFSLAB_IOC_OPEN, &o);

	if (!ret && handle)
		*handle = o.handle;
	return ret;
}

/* PIN or UNPIN (@cmd) of @id, in IPC namespace @ns with REFSLAB_PIN_NS. */
static inline int rs_pin_ns(int fd, unsigned long cmd, uint32_t flags,
			    uint64_t id, uint64_t ns)
{
	struct refslab_pin p = {
		.size = sizeof(p), .flags = flags, .id = id, .ns = ns,
	};

	return rs_ioctl(fd, cmd, &p);
}

static inline int rs_pin(int fd, unsigned long cmd, uint64_t id)
{
	return rs_pin_ns(fd, cmd, 0, id, 0);
}

static inline int rs_subscribe_full(int fd, uint32_t flags, uint32_t handle,
				    uint64_t id, uint64_t cookie)
{
	struct refslab_subscribe s = {
		.size = sizeof(s), .flags = flags, .handle = handle, .id = id,
		.cookie = cookie,
	};

	return rs_ioctl(fd, REFSLAB_IOC_SUBSCRIBE, &s);
}

static inline int rs_subscribe(int fd, uint32_t handle)
{
	return rs_subscribe_full(fd, 0, handle, 0, 0);
}

/* Watch the object @id of the caller's IPC namespace. */
static inline int rs_subscribe_id(int fd, uint64_t id, uint64_t cookie)
{
	return rs_subscribe_full(fd, REFSLAB_SUBSCRIBE_ID, 0, id, cookie);
}

/*
 * One LIST_PINNED call: up to @count values greater than @after into @ids.
 * Returns how many it wrote, or -errno.
 */
static inline int rs_list(int fd, uint32_t flags, uint64_t ns, uint64_t after,
			  uint64_t *ids, uint32_t count)
{
	struct refslab_list l = {
		.size = sizeof(l), .flags = flags, .ids = (uintptr_t)ids,
		.count = count, .after = after, .ns = ns,
	};
	int ret = rs_ioctl(fd, REFSLAB_IOC_LIST_PINNED, &l);

	return ret ? ret : (int)l.count;
}

static inline int rs_batch(int fd, uint32_t flags, struct refslab_batch_op *ops,
			   uint32_t count, uint32_t *done)
{
	struct refslab_batch b = {
		.size = sizeof(b), .flags = flags, .ops = (uintptr_t)ops,
		.count = count,
	};
	int ret = rs_ioctl(fd, REFSLAB_IOC_BATCH, &b);

	if (!ret && done)
		*done = b.done;
	return ret;
}

/*
 * @n SUBSCRIBEs in BATCHes, by @handle, or by @id if it is not 0, with
 * cookies @cookie, @cookie + 1, ...; returns how many succeeded before the
 * first failure, whose errno goes to *@err (0 if none).
 */
static inline unsigned int subscribe_many(int fd, uint32_t handle, uint64_t id,
					  uint64_t cookie, unsigned int n,
					  int *err)
{
	struct refslab_subscribe *sub = calloc(REFSLAB_BATCH_MAX, sizeof(*sub));
	struct refslab_batch_op *ops = calloc(REFSLAB_BATCH_MAX, sizeof(*ops));
	unsigned int ok = 0, k, i;
	uint32_t done = 0;

	*err = sub && ops ? 0 : -ENOMEM;
	while (!*err && ok < n) {
		k = n - ok < REFSLAB_BATCH_MAX ? n - ok : REFSLAB_BATCH_MAX;
		for (i = 0; i < k; i++) {
			sub[i] = (struct refslab_subscribe){
				.size = sizeof(sub[i]),
				.flags = id ? REFSLAB_SUBSCRIBE_ID : 0,
				.handle = handle, .id = id,
				.cookie = cookie + ok + i,
			};
			ops[i] = (struct refslab_batch_op){
				.cmd = REFSLAB_CMD_SUBSCRIBE,
				.arg = (uintptr_t)&sub[i],
			};
		}
		*err = rs_batch(fd, 0, ops, k, &done);
		for (i = 0; !*err && i < done; i++) {
			if (ops[i].result) {
				*err = ops[i].result;
				break;
			}
		}
		ok += i;
		if (!*err && !done)
			*err = -EIO;	/* no progress: not the contract */
	}
	free(sub);
	free(ops);
	return ok;
}

/* Read one event, waiting up to @ms; returns 1, 0 on timeout, or -errno. */
static inline int read_event(int fd, struct refslab_event *ev, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, ms) <= 0)
		return 0;
	n = read(fd, ev, sizeof(*ev));
	if (n < 0)
		return -errno;
	return n == sizeof(*ev);
}

/*
 * Set a module parameter for this test only, in a fixture with a struct
 * saved_params @params whose teardown calls params_restore().
 */
#define SET_PARAM(name, val) do {					\
	int __ret = param_set(&self->params, name, val);		\
	if (__ret == -EACCES || __ret == -EPERM)			\
		SKIP(return, "cannot write " PARAMS "%s", name);	\
	ASSERT_EQ(0, __ret) TH_LOG("writing %s", name);		\
} while (0)

/* Send one fd over a unix socket; 0 or -errno. */
static inline int send_fd(int sock, int fd)
{
	char buf[CMSG_SPACE(sizeof(int))] = { 0 }, byte = 'F';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = buf, .msg_controllen = sizeof(buf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

/* Receive one fd sent by send_fd(); the fd, or -1 (errno set if it failed). */
static inline int recv_fd(int sock)
{
	char buf[CMSG_SPACE(sizeof(int))] = { 0 }, byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = buf, .msg_controllen = sizeof(buf),
	};
	struct cmsghdr *cmsg;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

/*
 * Objects in use in a slab cache: the first number of its objects file,
 * after "shrink" has flushed the per-CPU slabs, which the count otherwise
 * reports as fully used.  -1 if the cache has no sysfs directory.
 */
static inline long long slab_cache_objects(const char *cache)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", cache);
	fd = open(path, O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0) {
			close(fd);
			return -1;
		}
		close(fd);
	}
	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/objects", cache);
	return read_long(path);
}

/*
 * Everything a long run must give back: the live counters (the balanced
 * ones, pinned_objects, pending watches and queued events) and the objects
 * in use in each size class's slab cache.
 */
static const char *const run_counters[] = {
	"objects_live", "handles_live", "references_live", "pinned_objects",
	"open_files", "object_files", "payload_bytes", "watches_live",
	"events_pending",
};
static const char *const run_caches[] = {
	"refslab_64", "refslab_256", "refslab_1024", "refslab_4096",
};

#define NR_RUN_COUNTERS	(sizeof(run_counters) / sizeof(run_counters[0]))
#define NR_RUN_CACHES	(sizeof(run_caches) / sizeof(run_caches[0]))

struct run_balance {
	long long counter[NR_RUN_COUNTERS];
	long long cache[NR_RUN_CACHES];
};

static inline void run_balance_take(struct run_balance *b)
{
	unsigned int i;

	for (i = 0; i < NR_RUN_COUNTERS; i++)
		b->counter[i] = stat_read(run_counters[i]);
	for (i = 0; i < NR_RUN_CACHES; i++)
		b->cache[i] = slab_cache_objects(run_caches[i]);
}

/*
 * Wait up to @ms for every figure to come back to @base (released files
 * are put by deferred fput, objects reclaimed after a grace period); fill
 * @now with the last reading.  Returns the number of figures still off.
 */
static inline int run_balance_wait(const struct run_balance *base,
				   struct run_balance *now, int ms)
{
	unsigned int i;
	int off;

	for (;;) {
		wait_reclaimed();
		run_balance_take(now);
		off = 0;
		for (i = 0; i < NR_RUN_COUNTERS; i++)
			off += now->counter[i] != base->counter[i];
		for (i = 0; i < NR_RUN_CACHES; i++)
			off += now->cache[i] != base->cache[i];
		if (!off || ms <= 0)
			return off;
		usleep(50000);
		ms -= 50;
	}
}

/*
 * Values LIST_PINNED gives (@flags, @ns as in struct refslab_list), in
 * increasing order, paged @page at a time (0: as many as fit); returns
 * how many (at most @max).  A page with fewer than asked is the last.
 */
static inline unsigned int list_all(int fd, uint32_t flags, uint64_t ns,
				    uint64_t *ids, unsigned int max,
				    unsigned int page)
{
	unsigned int n = 0, want;
	uint64_t after = 0;
	int got;

	while (n < max) {
		want = page && page < max - n ? page : max - n;
		got = rs_list(fd, flags, ns, after, ids + n, want);
		if (got <= 0)
			break;
		n += got;
		after = ids[n - 1];
		if ((unsigned int)got < want)
			break;
	}
	return n;
}

/* Ids pinned now in the caller's namespace; returns how many (at most @max). */
static inline unsigned int pinned_ids(int fd, uint64_t *ids, unsigned int max)
{
	return list_all(fd, 0, 0, ids, max, 0);
}

/* Inode number of a namespace ("ipc", "user") of @pid (0: this process). */
static inline uint64_t ns_ino(pid_t pid, const char *type)
{
	char path[64];
	struct stat st;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, type);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/%s", type);
	return stat(path, &st) ? 0 : st.st_ino;
}

/*
 * Checks in a child process, which must not use the harness's ASSERT (its
 * longjmp would run the fixture's teardown in the child): CHILD_CHECK
 * returns 1 from the function at the first mismatch and records where in
 * memory shared with the parent, whose EXPECT_CHILD() then reports it.
 */
struct child_report {
	int line;
	long long got, want;
};

static struct child_report *child_report;

static inline void child_report_map(void)
{
	if (!child_report)
		child_report = mmap(NULL, sizeof(*child_report),
				    PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (child_report != MAP_FAILED)
		memset(child_report, 0, sizeof(*child_report));
}

#define CHILD_CHECK(_got, _want) do {					\
	long long __got = (_got), __want = (_want);			\
	if (__got != __want) {						\
		if (child_report && child_report != MAP_FAILED &&	\
		    !child_report->line)				\
			*child_report = (struct child_report){		\
				__LINE__, __got, __want };		\
		return 1;						\
	}								\
} while (0)

/* @status of a child that used CHILD_CHECK must be 0. */
#define EXPECT_CHILD(_status) do {					\
	int __status = (_status);					\
	struct child_report __r = { 0 };				\
	if (child_report && child_report != MAP_FAILED) {		\
		__r = *child_report;					\
		memset(child_report, 0, sizeof(*child_report));		\
	}								\
	EXPECT_EQ(0, __status)						\
		TH_LOG("child: status %d, check at line %d: got %lld, want %lld", \
		       __status, __r.line, __r.got, __r.want);		\
} while (0)

/* Run @fn in a child process; its exit status, or -1. */
static inline int run_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(arg));
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}
#endif /* REFSLAB_SELFTEST_SHARE_HELPERS */

#endif /* REFSLAB_SELFTEST_H */

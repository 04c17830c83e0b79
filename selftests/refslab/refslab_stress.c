// SPDX-License-Identifier: GPL-2.0
/*
 * refslab kselftest: race stress in the manner of IGT's gem_close_race.
 *
 * Several processes (half of them unprivileged when run as root), each with
 * several worker threads sharing one /dev/refslab file, do random create,
 * get, put, dup, info, read, write, export, import, open by id, pin, unpin,
 * subscribe, read() of events and batches, on private objects and on
 * objects shared by id and by exported fds passed around a ring of unix
 * sockets.  In every process a closer thread, and now and then a worker,
 * closes the shared device file under running ioctls and opens a new one;
 * handles that were put, or that died with a closed file, are kept in a
 * history and used again on purpose; now and then a worker forks a child
 * that leaves objects, handles and exported fds for exit() to clean up.
 *
 * Every result is checked against the errno contract of
 * <linux/refslab.h> for the situation the operation was in: an operation
 * on a handle this thread owns must succeed, a handle that was put in the
 * same file must give ENOENT, and so on.  Anything else is a failure,
 * logged with the operation, the handle and the errno.
 *
 * At the end, with every file closed and reclamation drained, the live
 * counters and the objects in use in each size class's slab cache must be
 * back to their values before the run.
 *
 * Length: REFSLAB_STRESS_SECONDS=N or --seconds N (a time limit),
 * REFSLAB_STRESS_OPS=N or --ops N (an operation budget over all workers).  By default the run stops at
 * 300000 operations or 15 seconds, whichever comes first, so that it fits
 * a slow VM.  --procs N and --threads N set the number of worker processes
 * and of worker threads in each.
 */
#define _GNU_SOURCE
#define REFSLAB_SELFTEST_SHARE_HELPERS
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "refslab_selftest.h"

/* The unprivileged worker processes run as this user and group. */
#define STRESS_UID	3100
#define STRESS_GID	3100

#define DEFAULT_OPS	300000L
#define DEFAULT_SECONDS	15L

/* Device files live in [DEV_FD_BASE, +DEV_FD_SLOTS), used in turn. */
#define DEV_FD_BASE	600
#define DEV_FD_SLOTS	64

#define MAX_PRIVATE	48	/* handles a worker tracks */
#define MAX_OBJFDS	6	/* exported fds a worker keeps */
#define HISTORY		256	/* dead handles kept for reuse */
#define NR_HOT		16	/* handles shared by a process's workers */
#define NR_IDS		64	/* ids shared between processes */
#define NR_PINS		32	/* pins being held */
#define MAX_PROCS	64
#define MAX_THREADS	64
#define MAX_LOGGED	40	/* failures printed */

static long opt_ops = -1, opt_seconds = -1;
static int opt_procs, opt_threads = 4;

/* --- What is counted ------------------------------------------------------- */

enum op_kind {
	K_CREATE, K_GET, K_PUT, K_DUP, K_INFO, K_READ, K_WRITE, K_EXPORT,
	K_IMPORT, K_OPEN, K_PIN, K_UNPIN, K_SUBSCRIBE, K_BATCH, K_EVENTS,
	K_SEND, K_RECV, K_REOPEN, K_FORK_EXIT, K_STALE, K_HOT, NR_KINDS
};

static const char *const kind_name[NR_KINDS] = {
	"create", "get", "put", "dup", "info", "read", "write", "export",
	"import", "open", "pin", "unpin", "subscribe", "batch", "read()",
	"send fd", "recv fd", "close+reopen", "fork+exit", "(stale handle)",
	"(hot handle)",
};

#define MAX_ERRNO	256

struct shared {
	atomic_long ops_left;
	atomic_int done;
	uint64_t deadline_ns;
	/* (id << 16) | (mode << 1) | owner is unprivileged */
	_Atomic uint64_t ids[NR_IDS];
	_Atomic uint64_t pins[NR_PINS];
	atomic_ulong ops[NR_KINDS];
	atomic_ulong errs[MAX_ERRNO];
	atomic_ulong failures;
	atomic_ulong logged;
	atomic_ulong reopens_async;	/* by the closer threads */
	atomic_ulong stale_uses;
	atomic_ulong torn_checks;
};

static struct shared *sh;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* --- Processes and threads ------------------------------------------------- */

struct proc {
	int index;
	bool unpriv;
	/* (generation << 32) | fd of the current device file */
	_Atomic uint64_t dev;
	pthread_mutex_t reopen_lock;
	unsigned int next_slot;
	int sock_out, sock_in;
	_Atomic uint64_t hot[NR_HOT];	/* (generation << 32) | handle */
	atomic_int workers_left;
};

struct handle_ent {
	uint32_t h, refs, rights, size;
	uint64_t id;
};

struct objfd {
	int fd;
	uint32_t rights;
};

struct thr {
	struct proc *p;
	int index;
	uint64_t rng;
	uint32_t gen;		/* file generation the table belongs to */
	uint64_t d;		/* dev word at the start of the operation */
	struct handle_ent hs[MAX_PRIVATE];
	int nh;
	struct {
		uint32_t h, gen;
	} hist[HISTORY];
	unsigned int nhist;
	struct objfd ofd[MAX_OBJFDS];
	int nofd;
	uint8_t buf[REFSLAB_PAYLOAD_MAX];
};

static uint64_t rnd(struct thr *t)
{
	uint64_t x = t->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	t->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static uint32_t rn(struct thr *t, uint32_t n)
{
	return n ? rnd(t) % n : 0;
}

static int dev_fd(uint64_t d)
{
	return (int)(uint32_t)d;
}

static uint32_t dev_gen(uint64_t d)
{
	return d >> 32;
}

/* --- The contract check ---------------------------------------------------- */

/* Allowed outcomes: bit 0 is success, the others errnos, mapped below. */
static const int errno_bits[] = {
	0, EINVAL, E2BIG, EFAULT, ENOENT, EACCES, EPERM, EBADF, EEXIST,
	EAGAIN, EDQUOT, EOVERFLOW, ENOMEM, ESTALE, ENOTTY,
};

static uint32_t M(int e)
{
	for (unsigned int i = 0; i < sizeof(errno_bits) / sizeof(errno_bits[0]); i++)
		if (errno_bits[i] == e)
			return 1U << i;
	return 1U << 31;
}

#define OK	M(0)

static void describe_mask(uint32_t mask, char *out, size_t len)
{
	size_t n = 0;

	out[0] = 0;
	for (unsigned int i = 0; i < sizeof(errno_bits) / sizeof(errno_bits[0]); i++) {
		if (!(mask & (1U << i)))
			continue;
		n += snprintf(out + n, len - n, "%s%s", n ? "|" : "",
			      i ? strerrorname_np(errno_bits[i]) : "0");
		if (n >= len)
			break;
	}
}

static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 1)
		n = sizeof(line) - 1;
	if (write(STDOUT_FILENO, line, n) < 0)
		return;
}

static void failure(struct thr *t, const char *what, uint32_t handle,
		    int ret, const char *detail)
{
	atomic_fetch_add(&sh->failures, 1);
	if (atomic_fetch_add(&sh->logged, 1) >= MAX_LOGGED)
		return;
	say("# FAIL proc %d%s thread %d: %s handle %u: got %s (%d): %s\n",
	    t->p->index, t->p->unpriv ? " (uid " "3100)" : "", t->index, what,
	    handle, ret ? strerrorname_np(-ret) : "success", ret, detail);
}

/*
 * Has the device file this operation started with been closed since?  If
 * so, the operation may have found its fd closed: EBADF.
 */
static bool dev_changed(struct thr *t)
{
	return atomic_load(&t->p->dev) != t->d;
}

/* One operation done: counted, and taken from the budget. */
static void count_op(enum op_kind kind)
{
	atomic_fetch_add_explicit(&sh->ops[kind], 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&sh->ops_left, 1, memory_order_relaxed);
}

/*
 * Count the outcome of one operation and check it against @allowed.  EBADF
 * is allowed too when the device file was closed under the operation.
 * Returns @ret.
 */
static int check(struct thr *t, enum op_kind kind, const char *what,
		 uint32_t handle, int ret, uint32_t allowed)
{
	char detail[160];

	count_op(kind);
	if (ret < 0 && -ret < MAX_ERRNO)
		atomic_fetch_add_explicit(&sh->errs[-ret], 1,
					  memory_order_relaxed);
	if (ret == -EBADF && dev_changed(t))
		return ret;
	if (M(-ret) & allowed)
		return ret;
	strcpy(detail, "the contract allows ");
	describe_mask(allowed, detail + strlen(detail),
		      sizeof(detail) - strlen(detail));
	failure(t, what, handle, ret, detail);
	return ret;
}

/* --- The device file: close it under running ioctls, open a new one --------- */

static int reopen(struct proc *p)
{
	uint64_t old;
	int fd, slot, ret = 0;

	pthread_mutex_lock(&p->reopen_lock);
	fd = open(DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	slot = DEV_FD_BASE + p->next_slot++ % DEV_FD_SLOTS;
	if (dup3(fd, slot, O_CLOEXEC) < 0) {
		ret = -errno;
		close(fd);
		goto out;
	}
	close(fd);
	old = atomic_load(&p->dev);
	atomic_store(&p->dev, ((uint64_t)(dev_gen(old) + 1) << 32) | slot);
	if (old)
		close(dev_fd(old));
out:
	pthread_mutex_unlock(&p->reopen_lock);
	return ret;
}

/* --- A worker's own handles ------------------------------------------------- */

static void hist_add(struct thr *t, uint32_t h, uint32_t gen)
{
	t->hist[t->nhist % HISTORY].h = h;
	t->hist[t->nhist % HISTORY].gen = gen;
	t->nhist++;
}

/* Start an operation: note the device file; forget handles of a closed one. */
static int begin(struct thr *t)
{
	t->d = atomic_load(&t->p->dev);
	if (dev_gen(t->d) != t->gen) {
		for (int i = 0; i < t->nh; i++)
			hist_add(t, t->hs[i].h, t->gen);
		t->nh = 0;
		t->gen = dev_gen(t->d);
	}
	return dev_fd(t->d);
}

static struct handle_ent *add_handle(struct thr *t, uint32_t h, uint32_t rights,
				     uint32_t size, uint64_t id)
{
	struct handle_ent *e;

	if (t->nh == MAX_PRIVATE)
		return NULL;
	e = &t->hs[t->nh++];
	*e = (struct handle_ent){ .h = h, .refs = 1, .rights = rights,
				  .size = size, .id = id };
	return e;
}

static void drop_handle(struct thr *t, struct handle_ent *e)
{
	hist_add(t, e->h, t->gen);
	*e = t->hs[--t->nh];
}

static struct handle_ent *pick(struct thr *t)
{
	return t->nh ? &t->hs[rn(t, t->nh)] : NULL;
}

static void close_objfd(struct thr *t, int i)
{
	close(t->ofd[i].fd);
	t->ofd[i] = t->ofd[--t->nofd];
}

static void keep_objfd(struct thr *t, int fd, uint32_t rights)
{
	if (t->nofd == MAX_OBJFDS)
		close_objfd(t, rn(t, MAX_OBJFDS));
	t->ofd[t->nofd].fd = fd;
	t->ofd[t->nofd].rights = rights;
	t->nofd++;
}

/* A payload is written whole with one byte value: a read must see one. */
static void check_uniform(struct thr *t, struct handle_ent *e)
{
	atomic_fetch_add_explicit(&sh->torn_checks, 1, memory_order_relaxed);
	for (uint32_t i = 1; i < e->size; i++) {
		if (t->buf[i] != t->buf[0]) {
			char detail[96];

			snprintf(detail, sizeof(detail),
				 "torn read: byte %u is %#x, byte 0 is %#x (id %llu)",
				 i, t->buf[i], t->buf[0],
				 (unsigned long long)e->id);
			failure(t, "READ", e->h, 0, detail);
			return;
		}
	}
}

/* --- Operations ------------------------------------------------------------ */

static void op_create(struct thr *t)
{
	static const uint32_t modes[] = { 0600, 0644, 0666, 0640, 0604 };
	struct refslab_create c = { .size = sizeof(c) };
	uint32_t size;
	int fd, ret;

	if (t->nh == MAX_PRIVATE)
		return;
	fd = begin(t);
	size = rn(t, 4) ? 1 + rn(t, 300) : 1 + rn(t, REFSLAB_PAYLOAD_MAX);
	c.payload_size = size;
	if (rn(t, 2)) {
		c.flags = REFSLAB_CREATE_MODE;
		c.mode = modes[rn(t, 5)];
	}
	if (rn(t, 2)) {
		memset(t->buf, (int)rnd(t), size);
		c.data = (uintptr_t)t->buf;
		c.data_len = size;
	}
	ret = check(t, K_CREATE, "CREATE", 0,
		    rs_ioctl(fd, REFSLAB_IOC_CREATE, &c), OK);
	if (ret)
		return;
	add_handle(t, c.handle, REFSLAB_RIGHTS_ALL, size, c.id);
	/* Share some: others open them by id and pin them. */
	if (!rn(t, 3))
		atomic_store(&sh->ids[rn(t, NR_IDS)],
			     c.id << 16 |
			     (c.flags ? c.mode : 0600) << 1 | t->p->unpriv);
}

static void op_get(struct thr *t)
{
	struct handle_ent *e;
	uint32_t count, refs = 0;
	int fd = begin(t);

	e = pick(t);
	if (!e || e->refs > 1000)
		return;
	count = 1 + rn(t, 3);
	if (check(t, K_GET, "GET", e->h, rs_get(fd, e->h, count, &refs), OK))
		return;
	e->refs += count;
	if (refs != e->refs) {
		failure(t, "GET", e->h, 0, "refs out of step with the gets");
		e->refs = refs;
	}
}

static void op_put(struct thr *t)
{
	struct handle_ent *e;
	uint32_t count, refs = 0;
	int fd = begin(t);

	e = pick(t);
	if (!e)
		return;
	/* Mostly all of them, so that handles come and go. */
	count = rn(t, 3) ? e->refs : 1 + rn(t, e->refs);
	if (check(t, K_PUT, "PUT", e->h, rs_put(fd, e->h, count, &refs), OK))
		return;
	e->refs -= count;
	if (refs != e->refs)
		failure(t, "PUT", e->h, 0, "refs out of step with the puts");
	if (!e->refs)
		drop_handle(t, e);
}

static void op_dup(struct thr *t)
{
	struct handle_ent *e, copy;
	uint32_t nh = 0;
	int fd = begin(t);

	e = pick(t);
	if (!e || t->nh == MAX_PRIVATE)
		return;
	copy = *e;
	if (check(t, K_DUP, "DUP", e->h, rs_dup(fd, e->h, &nh), OK))
		return;
	add_handle(t, nh, copy.rights, copy.size, copy.id);
}

static void op_info(struct thr *t)
{
	struct refslab_info info;
	struct handle_ent *e;
	int fd = begin(t);

	e = pick(t);
	if (!e)
		return;
	if (check(t, K_INFO, "INFO", e->h, rs_info(fd, e->h, &info), OK))
		return;
	if (info.handle_refs != e->refs || info.rights != e->rights ||
	    info.id != e->id || info.payload_size != e->size ||
	    info.object_refs < info.handle_refs)
		failure(t, "INFO", e->h, 0, "answer does not match the handle");
}

static void op_read(struct thr *t)
{
	struct handle_ent *e;
	uint64_t gen = 0;
	int fd = begin(t), ret;

	e = pick(t);
	if (!e)
		return;
	ret = check(t, K_READ, "READ", e->h,
		    rs_read(fd, e->h, 0, e->size, t->buf, &gen),
		    e->rights & REFSLAB_RIGHT_READ ? OK : M(EACCES));
	if (!ret)
		check_uniform(t, e);
}

static void op_write(struct thr *t)
{
	struct handle_ent *e;
	uint64_t gen = 0;
	uint32_t flags = 0, allowed;
	int fd = begin(t), ret;

	e = pick(t);
	if (!e)
		return;
	if (!rn(t, 4)) {
		struct refslab_info info;

		/* Conditional on a generation that may be stale already. */
		ret = check(t, K_INFO, "INFO", e->h, rs_info(fd, e->h, &info),
			    OK);
		if (ret)
			return;
		gen = info.generation;
		flags = REFSLAB_WRITE_IF_GENERATION;
	}
	memset(t->buf, (int)rnd(t), e->size);
	allowed = e->rights & REFSLAB_RIGHT_WRITE ? OK : M(EACCES);
	if (flags && (e->rights & REFSLAB_RIGHT_WRITE))
		allowed |= M(ESTALE);
	check(t, K_WRITE, "WRITE", e->h,
	      rs_rw(fd, REFSLAB_IOC_WRITE, e->h, flags, 0, e->size, t->buf,
		    &gen), allowed);
}

static void op_export(struct thr *t)
{
	struct handle_ent *e;
	uint32_t flags = 0, rights;
	int fd = begin(t), objfd = -1;

	e = pick(t);
	if (!e)
		return;
	rights = e->rights;
	if (rn(t, 2) && e->rights) {
		/* A non-empty subset of the handle's rights. */
		do {
			rights = e->rights & (1 + rn(t, 3));
		} while (!rights);
		flags |= REFSLAB_EXPORT_RIGHTS;
	}
	if (!rn(t, 4))
		flags |= REFSLAB_EXPORT_KEEP_ON_EXEC;
	if (check(t, K_EXPORT, "EXPORT", e->h,
		  rs_export(fd, e->h, flags,
			    flags & REFSLAB_EXPORT_RIGHTS ? rights : 0,
			    &objfd), OK))
		return;
	if (rn(t, 2)) {
		/*
		 * To the next process: its queue may be full (EAGAIN), and
		 * at the end of the run it may be gone.
		 */
		int ret = send_fd(t->p->sock_out, objfd);

		if ((ret == -ECONNREFUSED || ret == -ECONNRESET ||
		     ret == -EPIPE) && atomic_load(&sh->done))
			ret = -EAGAIN;
		check(t, K_SEND, "sendmsg(SCM_RIGHTS)", e->h, ret,
		      OK | M(EAGAIN));
		close(objfd);
	} else {
		keep_objfd(t, objfd, rights);
	}
}

static void import_fd(struct thr *t, int objfd, uint32_t rights)
{
	struct refslab_info info;
	uint32_t h = 0;
	int fd = begin(t);

	if (t->nh == MAX_PRIVATE)
		return;
	if (check(t, K_IMPORT, "IMPORT", 0, rs_import(fd, objfd, &h), OK))
		return;
	/* Learn the object's size and rights, and check them. */
	if (check(t, K_INFO, "INFO", h, rs_info(fd, h, &info), OK))
		return;
	if (rights && info.rights != rights)
		failure(t, "IMPORT", h, 0, "rights differ from the exported file's");
	if (info.handle_refs != 1)
		failure(t, "IMPORT", h, 0, "a new handle must hold one reference");
	add_handle(t, h, info.rights, info.payload_size, info.id);
}

static void op_import(struct thr *t)
{
	int i;

	if (!t->nofd)
		return;
	i = rn(t, t->nofd);
	import_fd(t, t->ofd[i].fd, t->ofd[i].rights);
	if (rn(t, 2))
		close_objfd(t, i);
}

static void op_recv(struct thr *t)
{
	int objfd;

	objfd = recv_fd(t->p->sock_in);
	check(t, K_RECV, "recvmsg(SCM_RIGHTS)", 0, objfd >= 0 ? 0 : -errno,
	      OK | M(EAGAIN));
	if (objfd < 0)
		return;
	if (rn(t, 2)) {
		import_fd(t, objfd, 0);
		close(objfd);
	} else {
		keep_objfd(t, objfd, 0);
	}
}

/* May this process open an object with this packed id entry for @rights? */
static bool may_open(struct thr *t, uint64_t ent, uint32_t rights)
{
	uint32_t mode = (ent >> 1) & 0777, need = 0, bits;
	bool owner = t->p->unpriv == (ent & 1);

	if (!t->p->unpriv)
		return true;	/* CAP_DAC_OVERRIDE, CAP_FOWNER */
	if (!rights)
		return owner;
	bits = owner ? mode >> 6 : mode;	/* never in the other's group */
	if (rights & REFSLAB_RIGHT_READ)
		need |= 04;
	if (rights & REFSLAB_RIGHT_WRITE)
		need |= 02;
	return (bits & need) == need;
}

static void op_open(struct thr *t)
{
	struct refslab_info info;
	uint32_t rights, h = 0;
	uint64_t ent;
	int fd = begin(t);

	ent = atomic_load(&sh->ids[rn(t, NR_IDS)]);
	if (!ent || t->nh == MAX_PRIVATE)
		return;
	rights = rn(t, 4);
	/* The object may be gone already: ENOENT. */
	if (check(t, K_OPEN, "OPEN", 0, rs_open(fd, ent >> 16, rights, &h),
		  M(ENOENT) | (may_open(t, ent, rights) ? OK : M(EACCES))))
		return;
	if (check(t, K_INFO, "INFO", h, rs_info(fd, h, &info), OK))
		return;
	if (info.rights != rights || info.id != ent >> 16)
		failure(t, "OPEN", h, 0, "handle has other rights or object");
	add_handle(t, h, rights, info.payload_size, info.id);
}

static bool may_pin(struct thr *t, uint64_t ent)
{
	return !t->p->unpriv || (ent & 1);
}

static void op_pin(struct thr *t)
{
	uint64_t ent, zero = 0;
	int fd = begin(t), ret;

	ent = atomic_load(&sh->ids[rn(t, NR_IDS)]);
	if (!ent)
		return;
	ret = check(t, K_PIN, "PIN", 0, rs_pin(fd, REFSLAB_IOC_PIN, ent >> 16),
		    M(ENOENT) | (may_pin(t, ent) ? OK | M(EEXIST) : M(EPERM)));
	if (ret)
		return;
	for (int i = 0; i < NR_PINS; i++)
		if (atomic_compare_exchange_strong(&sh->pins[i], &zero, ent))
			return;
		else
			zero = 0;
	/* No room to remember it: unpin at once. */
	check(t, K_UNPIN, "UNPIN", 0, rs_pin(fd, REFSLAB_IOC_UNPIN, ent >> 16),
	      OK);
}

static void op_unpin(struct thr *t)
{
	int slot = rn(t, NR_PINS), fd = begin(t), ret;
	uint64_t ent, zero = 0;

	ent = atomic_exchange(&sh->pins[slot], 0);
	if (!ent)
		return;
	/* The pin keeps the object: ENOENT would be a lost pin. */
	ret = check(t, K_UNPIN, "UNPIN", 0,
		    rs_pin(fd, REFSLAB_IOC_UNPIN, ent >> 16),
		    may_pin(t, ent) ? OK : M(EPERM));
	if (!ret || ret != -EPERM)
		return;
	/* Not ours to unpin: put it back for someone who may. */
	for (int i = 0; i < NR_PINS; i++)
		if (atomic_compare_exchange_strong(&sh->pins[i], &zero, ent))
			return;
		else
			zero = 0;
	/* Lost track of it; the parent unpins whatever is left. */
}

/*
 * Cookies: the object's id mixed with a constant where the subscriber knows
 * the id, COOKIE_ANY where it does not; every event must carry one or the
 * other (or 0, from the fork children).  The watch quota may refuse
 * (EDQUOT): watches last until their object goes, and the unprivileged
 * processes share one user's quota.
 */
#define COOKIE_MIX	0x5a5a0000a5a50000ULL
#define COOKIE_ANY	0xc00c1e0000000001ULL

static void op_subscribe(struct thr *t)
{
	struct handle_ent *e;
	uint64_t ent;
	int fd = begin(t);

	if (rn(t, 2)) {
		e = pick(t);
		if (e)
			check(t, K_SUBSCRIBE, "SUBSCRIBE", e->h,
			      rs_subscribe_full(fd, 0, e->h, 0,
						e->id ^ COOKIE_MIX),
			      OK | M(EDQUOT));
		return;
	}
	/* By id: the owner, or who may open it for reading. */
	ent = atomic_load(&sh->ids[rn(t, NR_IDS)]);
	if (!ent)
		return;
	check(t, K_SUBSCRIBE, "SUBSCRIBE by id", 0,
	      rs_subscribe_id(fd, ent >> 16, (ent >> 16) ^ COOKIE_MIX),
	      M(ENOENT) | M(EDQUOT) |
	      (may_pin(t, ent) || may_open(t, ent, REFSLAB_RIGHT_READ) ?
	       OK : M(EACCES)));
}

static void op_events(struct thr *t)
{
	static const size_t sizes[] = { 1, 39, 40, 41, 79, 80, 240, 1000,
					sizeof(struct refslab_event) * 16 };
	size_t len = sizes[rn(t, sizeof(sizes) / sizeof(sizes[0]))];
	const struct refslab_event *ev;
	int fd = begin(t);
	ssize_t n, off;

	n = read(fd, t->buf, len);
	if (check(t, K_EVENTS, "read()", 0, n < 0 ? -errno : 0,
		  len < sizeof(*ev) ? M(EINVAL) : OK | M(EAGAIN)))
		return;
	if (n % sizeof(*ev) || !n || (size_t)n > len) {
		failure(t, "read()", 0, 0, "not a whole number of records");
		return;
	}
	/* Step by each record's length, as a reader must. */
	for (off = 0; off < n; off += ev->len) {
		ev = (const void *)(t->buf + off);
		if (ev->len != sizeof(*ev) || ev->__reserved)
			break;
		if (ev->type == REFSLAB_EVENT_RECLAIMED ? ev->id &&
		    ev->count == 1 && (ev->cookie == (ev->id ^ COOKIE_MIX) ||
				       ev->cookie == COOKIE_ANY || !ev->cookie) :
		    ev->type == REFSLAB_EVENT_OVERFLOW && !ev->id &&
		    !ev->cookie && ev->count)
			continue;
		break;
	}
	if (off != n)
		failure(t, "read()", 0, 0, "malformed event record");
}

/*
 * A batch: creates, an INFO, a GET and a PUT on one of this worker's
 * handles, and a PUT of a dead handle in the middle, which stops the batch
 * unless it is told to continue.
 */
static void op_batch(struct thr *t)
{
	struct refslab_create c[2] = {
		{ .size = sizeof(c[0]), .payload_size = 1 + rn(t, 64) },
		{ .size = sizeof(c[1]), .payload_size = 1 + rn(t, 1024) },
	};
	struct refslab_info info = { .size = sizeof(info) };
	struct refslab_ref put = { .size = sizeof(put), .count = 1 };
	struct refslab_ref dead = { .size = sizeof(dead), .count = 1 };
	struct refslab_batch_op ops[6];
	int expect[6], n = 0, stop = -1, want_done;
	uint32_t flags = rn(t, 2) ? REFSLAB_BATCH_CONTINUE : 0, done = 0;
	struct handle_ent *e;
	int fd, ret;

	if (t->nh > MAX_PRIVATE - 2)
		return;
	fd = begin(t);
	e = pick(t);
	ops[n] = (struct refslab_batch_op){
			.cmd = REFSLAB_CMD_CREATE, .result = 99, .arg = (uintptr_t)&c[0] };
	expect[n++] = 0;
	if (e) {
		info.handle = put.handle = e->h;
		ops[n] = (struct refslab_batch_op){
			.cmd = REFSLAB_CMD_INFO, .result = 99, .arg = (uintptr_t)&info };
		expect[n++] = 0;
		/* GET inline, PUT by pointer: both forms of an operation. */
		ops[n] = (struct refslab_batch_op){
			.cmd = REFSLAB_CMD_GET, .flags = REFSLAB_BATCH_OP_INLINE,
			.result = 99, .ref = { .handle = e->h, .count = 1 } };
		expect[n++] = 0;
		ops[n] = (struct refslab_batch_op){
			.cmd = REFSLAB_CMD_PUT, .result = 99, .arg = (uintptr_t)&put };
		expect[n++] = 0;
	}
	if (rn(t, 2)) {
		/* Handle 0 is never valid; a dead one never comes back. */
		dead.handle = 0;
		for (unsigned int i = 0; i < 4 && t->nhist; i++) {
			unsigned int k = (t->nhist - 1 - rn(t, HISTORY)) % HISTORY;

			if (k < t->nhist && t->hist[k].gen == t->gen) {
				dead.handle = t->hist[k].h;
				break;
			}
		}
		ops[n] = (struct refslab_batch_op){
			.cmd = REFSLAB_CMD_PUT, .flags = REFSLAB_BATCH_OP_INLINE,
			.result = 99, .ref = { .handle = dead.handle, .count = 1 } };
		if (!flags)
			stop = n;
		expect[n++] = -ENOENT;
	}
	ops[n] = (struct refslab_batch_op){
			.cmd = REFSLAB_CMD_CREATE, .result = 99, .arg = (uintptr_t)&c[1] };
	expect[n++] = 0;

	ret = check(t, K_BATCH, "BATCH", 0, rs_batch(fd, flags, ops, n, &done),
		    OK);
	if (ret)
		return;
	want_done = stop >= 0 ? stop + 1 : n;
	if ((int)done != want_done)
		failure(t, "BATCH", 0, 0, "done is not the operations run");
	for (int i = 0; i < want_done && i < (int)done; i++) {
		if (ops[i].result != expect[i]) {
			char detail[96];

			snprintf(detail, sizeof(detail),
				 "operation %d (cmd %u) gave %d, want %d", i,
				 ops[i].cmd, ops[i].result, expect[i]);
			failure(t, "BATCH", 0, ops[i].result, detail);
		}
	}
	for (int i = want_done; i < n; i++)
		if (ops[i].result != 99)
			failure(t, "BATCH", 0, 0, "an operation not run has a result");
	if (!ops[0].result)
		add_handle(t, c[0].handle, REFSLAB_RIGHTS_ALL,
			   c[0].payload_size, c[0].id);
	if ((int)done == n && !ops[n - 1].result)
		add_handle(t, c[1].handle, REFSLAB_RIGHTS_ALL,
			   c[1].payload_size, c[1].id);
	if (e && n > 3 && !ops[1].result &&
	    (info.handle_refs != e->refs || info.id != e->id))
		failure(t, "BATCH", e->h, 0, "INFO answer does not match");
}

/*
 * The process's hot handles: any worker may look them up, take a reference
 * and give it back, or put the base reference (once).  Lookups race the
 * final put: ENOENT is allowed, but a PUT after a GET that succeeded must
 * succeed too, as must the put of the base reference.
 */
static void op_hot(struct thr *t)
{
	struct proc *p = t->p;
	int slot = rn(t, NR_HOT), fd = begin(t);
	uint64_t ent = atomic_load(&p->hot[slot]), want;
	uint32_t h = (uint32_t)ent, refs = 0;
	struct refslab_info info;

	if (!ent || (ent >> 32) != t->gen) {
		struct refslab_create c = { .size = sizeof(c),
					    .payload_size = 1 + rn(t, 200) };

		/* Fill the slot with a new handle. */
		if (check(t, K_CREATE, "CREATE", 0,
			  rs_ioctl(fd, REFSLAB_IOC_CREATE, &c), OK))
			return;
		want = (uint64_t)t->gen << 32 | c.handle;
		if (!atomic_compare_exchange_strong(&p->hot[slot], &ent, want))
			check(t, K_PUT, "PUT", c.handle,
			      rs_put(fd, c.handle, 1, NULL), OK);
		return;
	}
	count_op(K_HOT);
	switch (rn(t, 4)) {
	case 0:
		check(t, K_INFO, "INFO (hot)", h, rs_info(fd, h, &info),
		      OK | M(ENOENT));
		break;
	case 1:
		check(t, K_READ, "READ (hot)", h,
		      rs_read(fd, h, 0, 1, t->buf, NULL), OK | M(ENOENT));
		break;
	case 2:
		if (check(t, K_GET, "GET (hot)", h, rs_get(fd, h, 1, &refs),
			  OK | M(ENOENT)))
			break;
		if (refs < 2)
			failure(t, "GET (hot)", h, 0, "fewer than 2 refs after GET");
		sched_yield();
		check(t, K_PUT, "PUT (hot, after GET)", h,
		      rs_put(fd, h, 1, NULL), OK);
		break;
	case 3:
		/* Put the base reference; only the one who empties the slot. */
		if (!atomic_compare_exchange_strong(&p->hot[slot], &ent, 0))
			break;
		check(t, K_PUT, "PUT (hot, base)", h, rs_put(fd, h, 1, NULL),
		      OK);
		break;
	}
}

/*
 * Use a dead handle again.  One put in this same file must give ENOENT
 * whatever the operation; one from a closed file is just a number in the
 * new file, which may belong to another worker: only operations that
 * leave other workers' handles as they were.
 */
static void op_stale(struct thr *t)
{
	unsigned int k;
	uint32_t h, nh = 0, refs = 0;
	bool same;
	int fd = begin(t), objfd = -1, ret;
	struct refslab_info info;

	if (!t->nhist)
		return;
	k = (t->nhist - 1 - rn(t, HISTORY)) % HISTORY;
	if (k >= t->nhist)
		k = (t->nhist - 1) % HISTORY;
	h = t->hist[k].h;
	same = t->hist[k].gen == t->gen;
	atomic_fetch_add_explicit(&sh->stale_uses, 1, memory_order_relaxed);
	count_op(K_STALE);

	if (same) {
		switch (rn(t, 7)) {
		case 0:
			check(t, K_GET, "GET (stale)", h, rs_get(fd, h, 1, &refs),
			      M(ENOENT));
			break;
		case 1:
			check(t, K_PUT, "PUT (stale)", h, rs_put(fd, h, 1, &refs),
			      M(ENOENT));
			break;
		case 2:
			check(t, K_INFO, "INFO (stale)", h, rs_info(fd, h, &info),
			      M(ENOENT));
			break;
		case 3:
			check(t, K_READ, "READ (stale)", h,
			      rs_read(fd, h, 0, 1, t->buf, NULL), M(ENOENT));
			break;
		case 4:
			ret = check(t, K_DUP, "DUP (stale)", h, rs_dup(fd, h, &nh),
				    M(ENOENT));
			if (!ret)
				hist_add(t, nh, t->gen);
			break;
		case 5:
			ret = check(t, K_EXPORT, "EXPORT (stale)", h,
				    rs_export(fd, h, 0, 0, &objfd), M(ENOENT));
			if (!ret)
				close(objfd);
			break;
		case 6:
			check(t, K_SUBSCRIBE, "SUBSCRIBE (stale)", h,
			      rs_subscribe(fd, h), M(ENOENT));
			break;
		}
		return;
	}
	switch (rn(t, 5)) {
	case 0:
		check(t, K_INFO, "INFO (old file's handle)", h,
		      rs_info(fd, h, &info), OK | M(ENOENT));
		break;
	case 1:
		check(t, K_READ, "READ (old file's handle)", h,
		      rs_read(fd, h, 0, 1, t->buf, NULL),
		      OK | M(ENOENT) | M(EACCES));
		break;
	case 2:
		if (check(t, K_DUP, "DUP (old file's handle)", h,
			  rs_dup(fd, h, &nh), OK | M(ENOENT)))
			break;
		if (check(t, K_INFO, "INFO", nh, rs_info(fd, nh, &info), OK))
			break;
		if (!add_handle(t, nh, info.rights, info.payload_size, info.id))
			check(t, K_PUT, "PUT", nh, rs_put(fd, nh, 1, NULL), OK);
		break;
	case 3:
		ret = check(t, K_EXPORT, "EXPORT (old file's handle)", h,
			    rs_export(fd, h, 0, 0, &objfd), OK | M(ENOENT));
		if (!ret)
			close(objfd);
		break;
	case 4:
		check(t, K_SUBSCRIBE, "SUBSCRIBE (old file's handle)", h,
		      rs_subscribe_full(fd, 0, h, 0, COOKIE_ANY),
		      OK | M(ENOENT) | M(EDQUOT));
		break;
	}
}

/* Handles that do not exist in any file: 0, and numbers never reached. */
static void op_bogus(struct thr *t)
{
	uint32_t h = rn(t, 2) ? 0 : 0x80000000U | (uint32_t)rnd(t);
	struct refslab_info info;
	uint32_t refs;
	int fd = begin(t);

	switch (rn(t, 3)) {
	case 0:
		check(t, K_GET, "GET (no such handle)", h,
		      rs_get(fd, h, 1, &refs), M(ENOENT));
		break;
	case 1:
		check(t, K_PUT, "PUT (no such handle)", h,
		      rs_put(fd, h, 1, &refs), M(ENOENT));
		break;
	case 2:
		check(t, K_INFO, "INFO (no such handle)", h,
		      rs_info(fd, h, &info), M(ENOENT));
		break;
	}
}

static void op_reopen(struct thr *t)
{
	int ret = reopen(t->p);

	check(t, K_REOPEN, "close+open /dev/refslab", 0, ret, OK);
}

/*
 * A child that leaves everything for exit() to clean up: objects in a file
 * of its own, a handle in the file it shares with its parent's threads
 * (which must not disturb them: a dup of nothing of theirs), exported fds,
 * and subscriptions.  Only async-signal-safe calls after fork().
 */
static void op_fork_exit(struct thr *t)
{
	int status, fd;
	pid_t pid;

	begin(t);
	pid = fork();
	if (pid == 0) {
		struct refslab_create c = { .size = sizeof(c),
					    .payload_size = 100 };
		uint32_t h;
		int objfd;

		fd = open(DEV, O_RDWR);
		for (int i = 0; fd >= 0 && i < 8; i++) {
			c.payload_size = 1 + i * 500;
			if (ioctl(fd, REFSLAB_IOC_CREATE, &c))
				_exit(10);
			if (i & 1 && rs_dup(fd, c.handle, &h))
				_exit(11);
			if (i & 2 && rs_export(fd, c.handle, 0, 0, &objfd))
				_exit(12);
			if (i & 4 && rs_subscribe(fd, c.handle) &&
			    errno != EDQUOT)
				_exit(13);
		}
		/* In the shared file: a handle that dies with it. */
		fd = dev_fd(t->d);
		c.payload_size = 8;
		ioctl(fd, REFSLAB_IOC_CREATE, &c);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		check(t, K_FORK_EXIT, "fork", 0, -errno, OK);
		return;
	}
	check(t, K_FORK_EXIT, "child", 0,
	      WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EPROTO, OK);
}

/* --- Workers --------------------------------------------------------------- */

struct weight {
	void (*fn)(struct thr *t);
	unsigned int w;
};

static const struct weight weights[] = {
	{ op_create, 120 }, { op_get, 70 }, { op_put, 120 }, { op_dup, 50 },
	{ op_info, 50 }, { op_read, 50 }, { op_write, 50 }, { op_export, 50 },
	{ op_import, 30 }, { op_recv, 50 }, { op_open, 60 }, { op_pin, 15 },
	{ op_unpin, 15 }, { op_subscribe, 20 }, { op_events, 15 },
	{ op_batch, 25 }, { op_hot, 90 }, { op_stale, 60 }, { op_bogus, 15 },
	{ op_reopen, 2 }, { op_fork_exit, 1 },
};

static bool keep_going(void)
{
	if (atomic_load_explicit(&sh->done, memory_order_relaxed))
		return false;
	/* The budget is of operations counted, not of attempts. */
	if (atomic_load_explicit(&sh->ops_left, memory_order_relaxed) <= 0 ||
	    now_ns() > sh->deadline_ns) {
		atomic_store(&sh->done, 1);
		return false;
	}
	return true;
}

static void *worker(void *arg)
{
	struct thr *t = arg;
	unsigned int total = 0;

	for (unsigned int i = 0; i < sizeof(weights) / sizeof(weights[0]); i++)
		total += weights[i].w;
	t->gen = dev_gen(atomic_load(&t->p->dev));
	while (keep_going()) {
		unsigned int r = rn(t, total), i = 0;

		while (r >= weights[i].w)
			r -= weights[i++].w;
		weights[i].fn(t);
	}
	while (t->nofd)
		close_objfd(t, 0);
	atomic_fetch_sub(&t->p->workers_left, 1);
	return NULL;
}

/* gem_close_race's timer: close the shared file every 1 to 151 ms. */
static void *closer(void *arg)
{
	struct proc *p = arg;
	uint64_t rng = 0x9e3779b97f4a7c15ULL * (p->index + 1);

	while (atomic_load(&p->workers_left) > 0) {
		struct timespec ts = { 0, 1000000L };

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		ts.tv_nsec += (long)(rng % 150) * 1000000L;
		nanosleep(&ts, NULL);
		if (atomic_load(&p->workers_left) <= 0)
			break;
		if (reopen(p))
			atomic_fetch_add(&sh->failures, 1);
		else
			atomic_fetch_add(&sh->reopens_async, 1);
	}
	return NULL;
}

static int run_proc(struct proc *p, int nthreads, uint64_t seed)
{
	pthread_t tids[MAX_THREADS], ctid;
	struct thr *thr;
	gid_t gid = STRESS_GID;

	if (p->unpriv &&
	    (setgroups(1, &gid) || setgid(STRESS_GID) || setuid(STRESS_UID))) {
		say("# proc %d: cannot become uid %d: %s\n", p->index,
		    STRESS_UID, strerror(errno));
		return 1;
	}
	pthread_mutex_init(&p->reopen_lock, NULL);
	if (reopen(p)) {
		say("# proc %d: cannot open " DEV ": %s\n", p->index,
		    strerror(errno));
		return 1;
	}
	thr = calloc(nthreads, sizeof(*thr));
	if (!thr)
		return 1;
	atomic_store(&p->workers_left, nthreads);
	for (int i = 0; i < nthreads; i++) {
		thr[i].p = p;
		thr[i].index = i;
		thr[i].rng = seed ^ (0x9e3779b97f4a7c15ULL * (p->index * 64 + i + 1));
		if (pthread_create(&tids[i], NULL, worker, &thr[i]))
			return 1;
	}
	if (pthread_create(&ctid, NULL, closer, p))
		return 1;
	for (int i = 0; i < nthreads; i++)
		pthread_join(tids[i], NULL);
	pthread_join(ctid, NULL);
	close(dev_fd(atomic_load(&p->dev)));
	return 0;
}

/* --- The test -------------------------------------------------------------- */

TEST(stress)
{
	int ncpus = sysconf(_SC_NPROCESSORS_ONLN), nprocs, nthreads, status;
	int socks[MAX_PROCS][2], fd, bad_exit = 0, unpriv = 0;
	static struct proc procs[MAX_PROCS];
	uint64_t base_pins[256], pins[256];
	unsigned int nbase, npins, stray = 0;
	struct run_balance base, now;
	long ops_budget, seconds;
	pid_t pids[MAX_PROCS];
	uint64_t seed, t0;
	unsigned long sum;
	double elapsed;

	fd = open(DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		SKIP(return, DEV " not present (is refslab loaded?)");
	ASSERT_LE(0, fd);

	if (ncpus < 1)
		ncpus = 1;
	nprocs = opt_procs ? opt_procs : (ncpus < 2 ? 2 : ncpus);
	nthreads = opt_threads;
	ASSERT_GE(MAX_PROCS, nprocs);
	ASSERT_GE(MAX_THREADS, nthreads);
	ASSERT_LE(2, nprocs);
	seconds = opt_seconds;
	ops_budget = opt_ops;
	if (seconds < 0 && ops_budget < 0) {
		seconds = DEFAULT_SECONDS;
		ops_budget = DEFAULT_OPS;
	} else if (seconds < 0) {
		seconds = 3600;
	} else if (ops_budget < 0) {
		ops_budget = LONG_MAX;
	}

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	atomic_store(&sh->ops_left, ops_budget);
	seed = now_ns();

	/* Settle what earlier tests left in flight, then the baseline. */
	close(fd);
	ASSERT_EQ(0, wait_reclaimed());
	run_balance_take(&base);
	fd = open(DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	nbase = pinned_ids(fd, base_pins, 256);

	for (int i = 0; i < nprocs; i++)
		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK |
					SOCK_CLOEXEC, 0, socks[i]));

	t0 = now_ns();
	sh->deadline_ns = t0 + seconds * 1000000000ULL;
	for (int i = 0; i < nprocs; i++) {
		struct proc *p = &procs[i];

		p->index = i;
		p->unpriv = geteuid() == 0 && (i & 1);
		unpriv += p->unpriv;
		p->sock_out = socks[i][0];
		p->sock_in = socks[(i + nprocs - 1) % nprocs][1];
		fflush(stdout);
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			close(fd);
			for (int j = 0; j < nprocs; j++) {
				if (socks[j][0] != p->sock_out)
					close(socks[j][0]);
				if (socks[j][1] != p->sock_in)
					close(socks[j][1]);
			}
			_exit(run_proc(p, nthreads, seed));
		}
	}
	for (int i = 0; i < nprocs; i++) {
		close(socks[i][0]);
		close(socks[i][1]);
	}
	for (int i = 0; i < nprocs; i++) {
		if (waitpid(pids[i], &status, 0) != pids[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status)) {
			bad_exit++;
			TH_LOG("worker process %d ended with status %#x", i,
			       status);
		}
	}
	elapsed = (now_ns() - t0) / 1e9;

	/* Pins outlive every process: give back the ones still held. */
	for (int i = 0; i < NR_PINS; i++) {
		uint64_t ent = atomic_exchange(&sh->pins[i], 0);

		if (!ent)
			continue;
		EXPECT_EQ(0, rs_pin(fd, REFSLAB_IOC_UNPIN, ent >> 16))
			TH_LOG("unpin of id %llu",
			       (unsigned long long)(ent >> 16));
	}
	/* Any others: pins whose bookkeeping a worker had to drop. */
	npins = pinned_ids(fd, pins, 256);
	for (unsigned int i = 0; i < npins; i++) {
		bool old = false;

		for (unsigned int j = 0; j < nbase; j++)
			old |= pins[i] == base_pins[j];
		if (old)
			continue;
		stray++;
		EXPECT_EQ(0, rs_pin(fd, REFSLAB_IOC_UNPIN, pins[i]));
	}
	close(fd);

	EXPECT_EQ(0, run_balance_wait(&base, &now, 10000));
	for (unsigned int i = 0; i < NR_RUN_COUNTERS; i++) {
		EXPECT_EQ(base.counter[i], now.counter[i])
			TH_LOG("%s: %lld before the run, %lld after",
			       run_counters[i], base.counter[i], now.counter[i]);
	}
	for (unsigned int i = 0; i < NR_RUN_CACHES; i++) {
		EXPECT_EQ(base.cache[i], now.cache[i])
			TH_LOG("slab cache %s: %lld objects in use before the run, %lld after",
			       run_caches[i], base.cache[i], now.cache[i]);
	}

	/* The figures. */
	sum = 0;
	for (int k = 0; k < NR_KINDS; k++)
		sum += sh->ops[k];
	printf("# stress: %d processes (%d unprivileged) x %d worker threads + 1 closer thread each, %d CPUs\n",
	       nprocs, unpriv, nthreads, ncpus);
	printf("# stress: %.1f s, %lu operations (%.0f/s), limits: %ld s, %ld operations\n",
	       elapsed, sum, sum / elapsed, seconds,
	       ops_budget == LONG_MAX ? -1L : ops_budget);
	for (int k = 0; k < NR_KINDS; k++)
		printf("# stress:   %-16s %lu\n", kind_name[k], sh->ops[k]);
	printf("# stress: device file closed asynchronously %lu times; dead handles reused %lu times; payloads checked for torn reads %lu times\n",
	       sh->reopens_async, sh->stale_uses, sh->torn_checks);
	for (int e = 1; e < MAX_ERRNO; e++)
		if (sh->errs[e])
			printf("# stress:   errno %-10s %lu\n",
			       strerrorname_np(e), sh->errs[e]);
	printf("# stress: pins left by lost bookkeeping %u; contract violations %lu\n",
	       stray, sh->failures);
	fflush(stdout);

	EXPECT_EQ(0, bad_exit);
	EXPECT_EQ(0, sh->failures) TH_LOG("see the FAIL lines above");
	munmap(sh, sizeof(*sh));
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--seconds N] [--ops N] [--procs N] [--threads N] [harness options]\n"
		"  REFSLAB_STRESS_SECONDS=N and REFSLAB_STRESS_OPS=N in the environment\n"
		"  are --seconds N and --ops N.\n"
		"  Default: %ld operations or %ld s, whichever comes first.\n",
		prog, DEFAULT_OPS, DEFAULT_SECONDS);
	exit(KSFT_FAIL);
}

int main(int argc, char **argv)
{
	const char *env = getenv("REFSLAB_STRESS_SECONDS");
	int n = 1;

	if (env && *env)
		opt_seconds = strtol(env, NULL, 0);
	env = getenv("REFSLAB_STRESS_OPS");
	if (env && *env)
		opt_ops = strtol(env, NULL, 0);
	/* Our options first; what follows is the harness's. */
	for (int i = 1; i < argc; i++) {
		long *dst = NULL;
		long val;

		if (!strcmp(argv[i], "--seconds"))
			dst = &opt_seconds;
		else if (!strcmp(argv[i], "--ops"))
			dst = &opt_ops;
		if (dst || !strcmp(argv[i], "--procs") ||
		    !strcmp(argv[i], "--threads")) {
			if (i + 1 >= argc)
				usage(argv[0]);
			val = strtol(argv[++i], NULL, 0);
			if (val <= 0)
				usage(argv[0]);
			if (dst)
				*dst = val;
			else if (!strcmp(argv[i - 1], "--procs"))
				opt_procs = val;
			else
				opt_threads = val;
			continue;
		}
		argv[n++] = argv[i];
	}
	argv[n] = NULL;
	/* The harness kills a test after its timeout: the run, plus slack. */
	_stress_object.timeout = (opt_seconds > 0 ? opt_seconds :
				  opt_ops > 0 ? 3600 : DEFAULT_SECONDS) + 120;
	return test_harness_run(n, argv);
}

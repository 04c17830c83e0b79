// SPDX-License-Identifier: GPL-2.0
/*
 * refslab kselftest: a structure-aware, seeded ioctl fuzzer.
 *
 * Each iteration builds one call from the ABI's own structures and varies
 * what the errno contract of <linux/refslab.h> speaks of: the command
 * (valid, unknown, wrong type, direction or size bits), the structure size
 * (exact, smaller, larger with a zero or non-zero tail, huge, 0), flags and
 * reserved fields, handles (valid, put, 0, random), ids (valid, stale,
 * random), IPC namespace numbers (this one, the unprivileged process's,
 * 0, random), cookies, offsets, lengths and counts at their edges (a
 * LIST_PINNED of any count), and pointers (NULL,
 * unmapped, kernel, straddling a page end, read-only, overlapping the
 * argument itself); also BATCH arrays made by the same generator, and
 * read() of the event queue with odd sizes.
 *
 * Every result must be success or an errno the contract lists for that
 * command; where the call is malformed in one known way (a size below the
 * first version, an unknown flag, a pointer that cannot be read) it must be
 * exactly the errno for it.  The kernel log is checked by the rig.  At the
 * end, every file closed and reclamation drained, the counters and slab
 * caches must be back at their baseline.
 *
 * Several threads run, each its own random stream and its own device file;
 * the last runs unprivileged in a process of its own when the test runs as
 * root, in an IPC namespace of its own (ids of its own, which the root
 * threads reach only with REFSLAB_PIN_NS and REFSLAB_LIST_NS).  The seed is printed, and in every failure, with the thread and the
 * iteration.  To repeat a run: REFSLAB_FUZZ_SEED=<seed> (or --seed); to
 * replay a single thread's stream alone: --only <thread>.
 *
 *   REFSLAB_FUZZ_ITERS / --iters N	iterations over all threads
 *   REFSLAB_FUZZ_SECONDS / --seconds N	time limit (a safety net)
 *   --threads N			number of threads
 *
 * Coverage guidance: with KCOV (/sys/kernel/debug/kcov) each thread traces
 * the program counters its calls reach (KCOV_TRACE_PC, task context only),
 * keeps those inside refslab's text (its address and size in
 * /proc/modules) and counts edges, hashes of two consecutive PCs, in a map
 * all threads share.  Guided, the fuzzer runs operation sequences: a
 * sequence is a list of up to SEQ_MAX operation seeds, each seeding the
 * random stream of one iteration, on a device file opened for it.  A
 * sequence that reached a new edge is kept in the corpus (up to its last
 * operation that did); new sequences are mostly mutations of kept ones (an
 * operation replaced, inserted, deleted, repeated, a splice of two), some
 * fresh.  Operations act on what earlier ones left (handles, ids, fds), so
 * a sequence replays only approximately.  The edges and PCs found are
 * printed as the run goes and at its end.  Without KCOV, or with
 * guidance off, it is the random fuzzer; KCOV still counts the edges.
 *
 *   REFSLAB_FUZZ_CORPUS / --corpus DIR	corpus to start from, new
 *					sequences written there at the end
 *   REFSLAB_FUZZ_GUIDE=0 / --no-guide	random, even with KCOV
 *   REFSLAB_FUZZ_REQUIRE_KCOV=1		fail if KCOV finds no PC of
 *					refslab (an uninstrumented module)
 */
#define _GNU_SOURCE
#define REFSLAB_SELFTEST_SHARE_HELPERS
#include <dirent.h>
#include <linux/kcov.h>
#include <stddef.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "refslab_selftest.h"

#define FUZZ_UID	3200
#define FUZZ_GID	3200

#define DEFAULT_ITERS	300000UL
#define DEFAULT_SECONDS	30L

#define POOL		64
#define FD_POOL		16
#define MAX_LOGGED	30
#define PAGE		4096UL

#define KERNEL_PTR	0xffff888000000000ULL
#define NONCANON_PTR	0x8000000000000000ULL

static uint64_t opt_seed;
static bool opt_seed_set;
static unsigned long opt_iters = DEFAULT_ITERS;
static long opt_seconds = DEFAULT_SECONDS;
static int opt_threads = 4, opt_only = -1;
static const char *opt_corpus;
static bool opt_guide = true, opt_require_kcov;

/* --- Counting -------------------------------------------------------------- */

#define NR_CMDS		(REFSLAB_CMD_BATCH + 1)
enum {
	C_UNKNOWN_NR = NR_CMDS, C_WRONG_BITS, C_OTHER_TYPE, C_READ,
	C_BATCH_OP, C_BATCH_REFS, NR_COUNTED
};

static const char *const cmd_name[NR_COUNTED] = {
	"VERSION", "CREATE", "GET", "PUT", "DUP", "INFO", "READ", "WRITE",
	"EXPORT", "IMPORT", "OPEN", "SETATTR", "PIN", "UNPIN", "LIST_PINNED",
	"SUBSCRIBE", "BATCH", "unknown command", "wrong dir/size bits",
	"other ioctl type", "read()", "(operations in batches)",
	"(BATCH_REFS records)",
};

#define MAX_ERRNO	256

struct shared {
	atomic_ulong iters;
	atomic_ulong calls[NR_COUNTED];
	atomic_ulong ok[NR_COUNTED];
	atomic_ulong ns[NR_COUNTED];	/* time in the call, top level only */
	atomic_ulong errs[MAX_ERRNO];
	atomic_ulong exact;	/* outcomes predicted exactly */
	atomic_ulong failures;
	atomic_ulong logged;
	atomic_int timed_out;
	/* IPC namespaces: the root threads', the unprivileged process's */
	_Atomic uint64_t ipc_ns[2];
};

static struct shared *sh;
static uint64_t base_seed, deadline_ns;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* --- Per-thread state ------------------------------------------------------ */

/*
 * Memory each thread builds its calls in.  The guard pages are never
 * mapped, so a structure put just before one can be read exactly up to it.
 *
 *   scratch: RW, structures and buffers for normal calls
 *   edge:    RW page, then guard1
 *   ro:      read-only page, then guard2
 */
struct mem {
	uint8_t *scratch;	/* SCRATCH bytes */
	uint8_t *edge, *guard1, *ro, *guard2;
	uint8_t *ro_alias;	/* a writable mapping of the read-only page */
	size_t used;
	bool edge_used, ro_used;
};

#define SCRATCH		(1024 * 1024)

struct thr {
	int index;
	bool unpriv;
	uint64_t rng;
	unsigned long iter;
	uint64_t start_ns;
	int fd;
	int pipefd[2];
	uint32_t handles[POOL], stale[POOL];
	uint64_t ids[POOL];
	unsigned int nh, nstale, nids;
	int fds[FD_POOL];
	unsigned int nfds;
	uint32_t last_handle;
	struct mem m;
	uint8_t *valid_buf;	/* 2 pages in scratch, for READ/WRITE */
	uint64_t *list_buf;	/* LIST_BUF ids, then a guard page */
	uint64_t ns;		/* this thread's IPC namespace */
	uint64_t mrng;		/* the mutator's random stream */
	uint64_t *cover;	/* KCOV's trace, or NULL */
	int kcov_fd;
};

/* Room for any LIST_PINNED answer a run can give (lazily backed). */
#define LIST_BUF	(1UL << 20)

static uint64_t splitmix(uint64_t *state)
{
	/* splitmix64: every thread's stream depends only on the seed. */
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd(struct thr *t)
{
	return splitmix(&t->rng);
}

static uint32_t rn(struct thr *t, uint32_t n)
{
	return n ? rnd(t) % n : 0;
}

static bool chance(struct thr *t, unsigned int percent)
{
	return rn(t, 100) < percent;
}

/* --- Allowed outcomes ------------------------------------------------------- */

static const int errno_bits[] = {
	0, EINVAL, E2BIG, EFAULT, ENOENT, EACCES, EPERM, EBADF, EEXIST,
	EAGAIN, EDQUOT, EOVERFLOW, ENOMEM, ESTALE, ENOTTY, ENOSPC,
};

#define NR_BITS	(sizeof(errno_bits) / sizeof(errno_bits[0]))

static uint32_t M(int e)
{
	for (unsigned int i = 0; i < NR_BITS; i++)
		if (errno_bits[i] == e)
			return 1U << i;
	return 1U << 31;
}

#define OK	M(0)
#define STRUCT_ERRS	(M(EINVAL) | M(E2BIG) | M(EFAULT))

/* What the contract lets each command answer, beyond a bad structure. */
static uint32_t contract(unsigned int nr, bool unpriv)
{
	uint32_t m = OK | STRUCT_ERRS;

	switch (nr) {
	case REFSLAB_CMD_VERSION:
		break;
	case REFSLAB_CMD_CREATE:
		/* ENOSPC, here and below: the file's handles are at the cap. */
		m |= M(EDQUOT) | M(ENOMEM) | M(ENOSPC);
		break;
	case REFSLAB_CMD_GET:
		m |= M(ENOENT) | M(EOVERFLOW);
		break;
	case REFSLAB_CMD_PUT:
	case REFSLAB_CMD_INFO:
		m |= M(ENOENT);
		break;
	case REFSLAB_CMD_DUP:
		m |= M(ENOENT) | M(EOVERFLOW) | M(ENOMEM) | M(ENOSPC);
		break;
	case REFSLAB_CMD_READ:
		m |= M(ENOENT) | M(EACCES) | M(ENOMEM);
		break;
	case REFSLAB_CMD_WRITE:
		m |= M(ENOENT) | M(EACCES) | M(ESTALE) | M(ENOMEM);
		break;
	case REFSLAB_CMD_EXPORT:
		m |= M(ENOENT) | M(EACCES) | M(EOVERFLOW) | M(ENOMEM);
		break;
	case REFSLAB_CMD_IMPORT:
		m |= M(EBADF) | M(EOVERFLOW) | M(ENOMEM) | M(ENOSPC);
		break;
	case REFSLAB_CMD_OPEN:
		/* Root has CAP_DAC_OVERRIDE and CAP_FOWNER: never EACCES. */
		m |= M(ENOENT) | M(EOVERFLOW) | M(ENOMEM) | M(ENOSPC);
		if (unpriv)
			m |= M(EACCES);
		break;
	case REFSLAB_CMD_SETATTR:
		m |= M(ENOENT) | M(EDQUOT);
		if (unpriv)
			m |= M(EPERM);
		break;
	case REFSLAB_CMD_PIN:
		/* EPERM also for REFSLAB_PIN_NS without CAP_SYS_ADMIN. */
		m |= M(ENOENT) | M(EEXIST) | M(EDQUOT) | M(EOVERFLOW);
		if (unpriv)
			m |= M(EPERM);
		break;
	case REFSLAB_CMD_UNPIN:
		m |= M(ENOENT);
		if (unpriv)
			m |= M(EPERM);
		break;
	case REFSLAB_CMD_LIST_PINNED:
		/* ENOENT: a namespace number naming none (REFSLAB_LIST_NS). */
		m |= M(ENOMEM) | M(ENOENT);
		if (unpriv)
			m |= M(EPERM);
		break;
	case REFSLAB_CMD_SUBSCRIBE:
		/* By id the mode decides (EACCES); watches are a quota. */
		m |= M(ENOENT) | M(ENOMEM) | M(EDQUOT);
		if (unpriv)
			m |= M(EACCES);
		break;
	case REFSLAB_CMD_BATCH:
		break;
	default:
		m = M(ENOTTY);
	}
	return m;
}

static void describe_mask(uint32_t mask, char *out, size_t len)
{
	size_t n = 0;

	out[0] = 0;
	for (unsigned int i = 0; i < NR_BITS && n < len; i++)
		if (mask & (1U << i))
			n += snprintf(out + n, len - n, "%s%s", n ? "|" : "",
				      i ? strerrorname_np(errno_bits[i]) : "0");
}

static void say(const char *fmt, ...)
{
	char line[1024];
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

/* --- Where things are put ---------------------------------------------------- */

enum place {
	P_NORMAL, P_END, P_STRADDLE, P_RO, P_NULL, P_UNMAPPED, P_KERNEL,
	P_NONCANON, P_OVERLAP, NR_PLACES
};

static const char *const place_name[NR_PLACES] = {
	"normal", "at page end", "straddling page end", "read-only",
	"NULL", "unmapped", "kernel address", "non-canonical", "overlapping",
};

static void *scratch_alloc(struct thr *t, size_t len)
{
	void *p;

	len = (len + 63) & ~63UL;
	/* Reset every iteration; a BATCH_MAX batch uses a quarter of it. */
	if (t->m.used + len > SCRATCH - 2 * PAGE)
		t->m.used = 0;
	p = t->m.scratch + 2 * PAGE + t->m.used;
	t->m.used += len;
	return p;
}

/*
 * Write into the read-only page through its writable alias: no mprotect(),
 * whose TLB shootdowns across the threads cost a lot in an emulated VM.
 */
static void ro_write(struct thr *t, void *dst, const void *src, size_t len)
{
	memcpy(t->m.ro_alias + ((uint8_t *)dst - t->m.ro), src, len);
}

/*
 * Put @len bytes from @src somewhere per @pl; return the address to pass
 * and in *@readable how many bytes from it can be read (0: none).
 */
static uint8_t *place_bytes(struct thr *t, enum place pl, const void *src,
			    size_t len, size_t *readable, void *overlap)
{
	uint8_t *p;
	size_t k;

	switch (pl) {
	case P_END:
		if (!t->m.edge_used && len <= PAGE) {
			t->m.edge_used = true;
			p = t->m.guard1 - len;
			memcpy(p, src, len);
			*readable = len;
			return p;
		}
		break;
	case P_STRADDLE:
		if (!t->m.edge_used && len > 1) {
			t->m.edge_used = true;
			k = 1 + rn(t, len - 1 < PAGE ? len - 1 : PAGE);
			p = t->m.guard1 - k;
			memcpy(p, src, k);
			*readable = k;
			return p;
		}
		break;
	case P_RO:
		if (!t->m.ro_used && len <= PAGE) {
			t->m.ro_used = true;
			ro_write(t, t->m.ro, src, len);
			*readable = PAGE;
			return t->m.ro;
		}
		break;
	case P_NULL:
		*readable = 0;
		return NULL;
	case P_UNMAPPED:
		*readable = 0;
		return t->m.guard2 + rn(t, 64) * 8;
	case P_KERNEL:
		*readable = 0;
		return (uint8_t *)(uintptr_t)KERNEL_PTR;
	case P_NONCANON:
		*readable = 0;
		return (uint8_t *)(uintptr_t)NONCANON_PTR;
	case P_OVERLAP:
		if (overlap) {
			*readable = 64;	/* not meaningful */
			return overlap;
		}
		break;
	default:
		break;
	}
	p = scratch_alloc(t, len + 64);
	memcpy(p, src, len);
	memset(p + len, 0, 64);
	*readable = SIZE_MAX;
	return p;
}

static enum place pick_place(struct thr *t, bool for_buffer)
{
	static const enum place weird[] = {
		P_END, P_STRADDLE, P_RO, P_NULL, P_UNMAPPED, P_KERNEL,
		P_NONCANON, P_OVERLAP,
	};

	if (chance(t, 80))
		return P_NORMAL;
	return weird[rn(t, for_buffer ? 8 : 7)];
}

/*
 * A user buffer for data: valid, or one of the bad kinds.  Overlapping the
 * argument only with @arg set (single calls: a READ into its own argument
 * may write well past it, over whatever a batch keeps there).
 */
static uint64_t pick_buffer(struct thr *t, void *arg, size_t need,
			    enum place *pl)
{
	size_t readable;

	*pl = pick_place(t, arg != NULL);
	switch (*pl) {
	case P_NORMAL:
		return (uintptr_t)t->valid_buf;
	case P_END:
		/* Exactly @need bytes before the guard page. */
		if (!t->m.edge_used && need && need <= PAGE) {
			t->m.edge_used = true;
			return (uintptr_t)(t->m.guard1 - need);
		}
		*pl = P_NORMAL;
		return (uintptr_t)t->valid_buf;
	case P_STRADDLE:
		if (!t->m.edge_used && need > 1) {
			t->m.edge_used = true;
			return (uintptr_t)(t->m.guard1 - 1 -
					   rn(t, need - 1 < PAGE ? need - 1 : PAGE));
		}
		*pl = P_NORMAL;
		return (uintptr_t)t->valid_buf;
	case P_RO:
		if (!t->m.ro_used) {
			t->m.ro_used = true;
			return (uintptr_t)t->m.ro;
		}
		*pl = P_NORMAL;
		return (uintptr_t)t->valid_buf;
	case P_OVERLAP:
		/* Filled in with the argument's address once it is placed. */
		return (uintptr_t)arg;
	default:
		return (uintptr_t)place_bytes(t, *pl, NULL, 0, &readable, NULL);
	}
}

/* --- Values ------------------------------------------------------------------ */

static uint32_t pick_handle(struct thr *t)
{
	switch (rn(t, 20)) {
	case 0 ... 9:
		if (t->nh)
			return t->handles[rn(t, t->nh)];
		return t->last_handle;
	case 10 ... 12:
		if (t->nstale)
			return t->stale[rn(t, t->nstale)];
		return 0;
	case 13:
		return 0;
	case 14:
		return UINT32_MAX;
	case 15:
		return t->last_handle + 1;
	case 16 ... 17:
		return 1 + rn(t, 8);
	default:
		return (uint32_t)rnd(t);
	}
}

static uint64_t pick_id(struct thr *t)
{
	switch (rn(t, 12)) {
	case 0 ... 6:
		if (t->nids)
			return t->ids[rn(t, t->nids)];
		return 1;
	case 7:
		return 0;
	case 8:
		return UINT64_MAX;
	case 9:
		return 1 + rn(t, 16);
	case 10:
		return t->nids ? t->ids[t->nids - 1] + 1 + rn(t, 4) : 2;
	default:
		return rnd(t);
	}
}

/* An IPC namespace number for REFSLAB_PIN_NS or REFSLAB_LIST_NS. */
static uint64_t pick_ns(struct thr *t)
{
	switch (rn(t, 10)) {
	case 0 ... 4:
		return t->ns;
	case 5 ... 6:
		return atomic_load(&sh->ipc_ns[rn(t, 2)]);
	case 7:
		return 0;
	case 8:
		return t->ns + 1 + rn(t, 4);
	default:
		return rnd(t);
	}
}

/* A value for a field that must be 0 without its flag (then: bad). */
static uint64_t pick_zero64(struct thr *t, bool *bad)
{
	if (chance(t, 5)) {
		*bad = true;
		return 1 + rn(t, 1000);
	}
	return 0;
}

static uint32_t pick_count(struct thr *t, bool *bad)
{
	switch (rn(t, 10)) {
	case 0:
		*bad = true;
		return 0;
	case 1 ... 4:
		return 1;
	case 5:
		return 2 + rn(t, 5);
	case 6:
		return REFSLAB_HANDLE_REFS_MAX;
	case 7:
		return REFSLAB_HANDLE_REFS_MAX + 1;
	case 8:
		return UINT32_MAX;
	default:
		return (uint32_t)rnd(t);
	}
}

static uint32_t pick_size_val(struct thr *t, bool *bad)
{
	static const uint32_t edges[] = { 1, 63, 64, 65, 255, 256, 257, 1023,
					  1024, 1025, 4095, 4096 };

	switch (rn(t, 10)) {
	case 0:
		*bad = true;
		return rn(t, 2) ? 0 : (rn(t, 2) ? 4097 : UINT32_MAX);
	case 1 ... 5:
		return edges[rn(t, sizeof(edges) / sizeof(edges[0]))];
	default:
		return 1 + rn(t, REFSLAB_PAYLOAD_MAX);
	}
}

/* Offset and length of READ/WRITE, at and around every edge. */
static void pick_range(struct thr *t, uint32_t *off, uint32_t *len, bool *bad)
{
	static const uint32_t offs[] = { 0, 0, 0, 1, 63, 64, 255, 4095, 4096,
					 4097, 0x80000000U, UINT32_MAX };
	static const uint32_t lens[] = { 1, 1, 8, 64, 65, 256, 4095, 4096,
					 0, 4097, 0x80000000U, UINT32_MAX };

	*off = offs[rn(t, sizeof(offs) / sizeof(offs[0]))];
	*len = lens[rn(t, sizeof(lens) / sizeof(lens[0]))];
	if (chance(t, 5))
		*len = (uint32_t)-*off;	/* offset + length wraps to 0 */
	if (!*len || *len > REFSLAB_PAYLOAD_MAX ||
	    *off > REFSLAB_PAYLOAD_MAX - *len)
		*bad = true;
}

/* An unknown flag bit: any bit not in @valid. */
static uint32_t bad_flag(struct thr *t, uint32_t valid)
{
	uint32_t f;

	do {
		f = 1U << rn(t, 32);
	} while (f & valid);
	return f | (valid & (uint32_t)rnd(t));
}

static uint32_t pick_flags(struct thr *t, uint32_t valid, bool *bad)
{
	if (chance(t, 8)) {
		*bad = true;
		return bad_flag(t, valid);
	}
	return valid & (uint32_t)rnd(t);
}

/* Reserved fields: mostly zero. */
static uint32_t pick_reserved(struct thr *t, bool *bad)
{
	if (chance(t, 5)) {
		*bad = true;
		return 1U << rn(t, 32);
	}
	return 0;
}

/* Output fields: ignored on input, so anything. */
static uint32_t garbage32(struct thr *t)
{
	return chance(t, 50) ? 0 : (uint32_t)rnd(t);
}

static int pick_fd(struct thr *t)
{
	switch (rn(t, 10)) {
	case 0 ... 5:
		if (t->nfds)
			return t->fds[rn(t, t->nfds)];
		return t->fd;
	case 6:
		return t->fd;
	case 7:
		return t->pipefd[rn(t, 2)];
	case 8:
		return -1 - (int)rn(t, 2);
	default:
		return rn(t, 1024);
	}
}

/* --- One call ---------------------------------------------------------------- */

union refslab_any {
	struct refslab_version version;
	struct refslab_create create;
	struct refslab_ref ref;
	struct refslab_dup dup;
	struct refslab_info info;
	struct refslab_rw rw;
	struct refslab_export export;
	struct refslab_import import;
	struct refslab_open open;
	struct refslab_setattr setattr;
	struct refslab_pin pin;
	struct refslab_list list;
	struct refslab_subscribe subscribe;
	struct refslab_batch batch;
	uint8_t bytes[64];
};

/*
 * Each command's structure: its size now, and its first version's (up to
 * the member named), below which it is EINVAL.
 */
#define SIZES(_struct, _last) {						\
	sizeof(struct _struct),						\
	offsetof(struct _struct, _last) + sizeof(((struct _struct *)0)->_last) \
}

static const struct {
	uint32_t now, first;
} ksizes[NR_CMDS] = {
	SIZES(refslab_version, nr_classes), SIZES(refslab_create, id),
	SIZES(refslab_ref, __reserved), SIZES(refslab_ref, __reserved),
	SIZES(refslab_dup, new_handle), SIZES(refslab_info, ctime_ns),
	SIZES(refslab_rw, generation), SIZES(refslab_rw, generation),
	SIZES(refslab_export, __reserved), SIZES(refslab_import, handle),
	SIZES(refslab_open, handle), SIZES(refslab_setattr, gid),
	SIZES(refslab_pin, id), SIZES(refslab_pin, id),
	SIZES(refslab_list, after), SIZES(refslab_subscribe, __reserved),
	SIZES(refslab_batch, done),
};

/* A generated call: the command, its argument, and what it may give. */
struct call {
	unsigned int nr;
	enum place place;
	uint8_t *arg;		/* as passed */
	size_t readable;
	uint32_t usize, ksize, kmin;
	bool tail_nonzero, bad_field;
	uint32_t allowed;	/* contract, or exactly predicted */
	bool exact;
	int overlap_off;	/* buffer field to point at the argument, or -1 */
	union refslab_any v;	/* the structure as built */
	char note[96];		/* buffer placements etc. */
};

/*
 * What the dispatcher answers before the command runs: a mask of exactly
 * the possible results, or 0 if the command itself runs.
 */
static uint32_t dispatcher(const struct call *c)
{
	size_t r = c->readable;

	if (r < 4)
		return M(EFAULT);
	if (c->usize < c->kmin)		/* every command's first version */
		return M(EINVAL);
	if (c->usize > c->ksize) {
		if (r <= c->ksize)
			return M(EFAULT);
		if (c->tail_nonzero)	/* huge sizes may fail access_ok */
			return M(E2BIG) | (c->usize > 2 * PAGE ? M(EFAULT) : 0);
		if (r < c->usize)
			return M(EFAULT);
	}
	if (r < (c->usize < c->ksize ? c->usize : c->ksize))
		return M(EFAULT);
	return 0;
}

static void gen_call(struct thr *t, struct call *c, unsigned int nr, int depth);

/* Fill c->v for command @nr; set c->bad_field for an always-invalid field. */
static void gen_fields(struct thr *t, struct call *c, int depth)
{
	union refslab_any *v = &c->v;
	bool *bad = &c->bad_field;
	/* Single calls only may point a buffer at their own argument. */
	void *ovl = depth ? NULL : (void *)1;
	enum place bpl;
	uint32_t size;

	memset(v, 0, sizeof(*v));
	c->note[0] = 0;
	c->overlap_off = -1;
	switch (c->nr) {
	case REFSLAB_CMD_VERSION:
		v->version.flags = pick_flags(t, 0, bad);
		v->version.abi_major = garbage32(t);
		v->version.nr_classes = garbage32(t);
		break;
	case REFSLAB_CMD_CREATE:
		v->create.flags = pick_flags(t, REFSLAB_CREATE_ALL, bad);
		if (v->create.flags & REFSLAB_CREATE_MODE) {
			v->create.mode = chance(t, 90) ? rn(t, 01000) :
				(*bad = true, 01000 | (uint32_t)rnd(t));
		} else if (chance(t, 5)) {
			v->create.mode = 1 + rn(t, 0777);
			*bad = true;
		}
		v->create.payload_size = size = pick_size_val(t, bad);
		if (chance(t, 60)) {
			v->create.data = pick_buffer(t, ovl, size, &bpl);
			if (bpl == P_OVERLAP)
				c->overlap_off = offsetof(struct refslab_create, data);
			v->create.data_len = chance(t, 70) ? size :
				chance(t, 50) ? rn(t, size + 1) :
				(*bad = true, chance(t, 50) ? size + 1 : UINT32_MAX);
			if (v->create.data_len > size)
				*bad = true;
			if (!v->create.data && v->create.data_len)
				*bad = true;
			snprintf(c->note, sizeof(c->note), "data %s len %u",
				 place_name[bpl], v->create.data_len);
		} else if (chance(t, 10)) {
			v->create.data_len = 1 + rn(t, 16);	/* no data */
			*bad = true;
		}
		if (size > REFSLAB_PAYLOAD_MAX || !size)
			*bad = true;
		v->create.handle = 0;	/* output; 0 tells if one was made */
		v->create.id = rnd(t);
		break;
	case REFSLAB_CMD_GET:
	case REFSLAB_CMD_PUT:
		v->ref.flags = pick_flags(t, 0, bad);
		v->ref.handle = pick_handle(t);
		/* PUT mostly one, so that handles also go away. */
		v->ref.count = c->nr == REFSLAB_CMD_PUT && chance(t, 60) ? 1 :
			       pick_count(t, bad);
		v->ref.refs = UINT32_MAX;	/* output */
		v->ref.__reserved = pick_reserved(t, bad);
		break;
	case REFSLAB_CMD_DUP:
		v->dup.flags = pick_flags(t, 0, bad);
		v->dup.handle = pick_handle(t);
		v->dup.new_handle = 0;
		break;
	case REFSLAB_CMD_INFO:
		v->info.flags = pick_flags(t, 0, bad);
		v->info.handle = pick_handle(t);
		v->info.payload_size = garbage32(t);
		v->info.id = rnd(t);
		v->info.state = garbage32(t);	/* output */
		break;
	case REFSLAB_CMD_READ:
	case REFSLAB_CMD_WRITE:
		v->rw.flags = pick_flags(t, c->nr == REFSLAB_CMD_WRITE ?
					 REFSLAB_WRITE_ALL : 0, bad);
		v->rw.handle = pick_handle(t);
		pick_range(t, &v->rw.offset, &v->rw.length, bad);
		v->rw.__reserved = pick_reserved(t, bad);
		v->rw.buf = pick_buffer(t, ovl, v->rw.length, &bpl);
		if (bpl == P_OVERLAP)
			c->overlap_off = offsetof(struct refslab_rw, buf);
		v->rw.generation = chance(t, 50) ? rn(t, 4) : rnd(t);
		snprintf(c->note, sizeof(c->note), "buf %s off %u len %u",
			 place_name[bpl], v->rw.offset, v->rw.length);
		break;
	case REFSLAB_CMD_EXPORT:
		v->export.flags = pick_flags(t, REFSLAB_EXPORT_ALL, bad);
		if (v->export.flags & REFSLAB_EXPORT_RIGHTS) {
			v->export.rights = rn(t, 5);
			if (!v->export.rights || v->export.rights > 3)
				*bad = true;
		} else if (chance(t, 5)) {
			v->export.rights = 1 + rn(t, 3);
			*bad = true;
		}
		v->export.handle = pick_handle(t);
		v->export.fd = -1;	/* output; -1 tells if one was made */
		v->export.__reserved = pick_reserved(t, bad);
		break;
	case REFSLAB_CMD_IMPORT:
		v->import.flags = pick_flags(t, 0, bad);
		v->import.fd = pick_fd(t);
		v->import.handle = 0;
		break;
	case REFSLAB_CMD_OPEN:
		v->open.flags = pick_flags(t, 0, bad);
		v->open.id = pick_id(t);
		v->open.rights = chance(t, 90) ? rn(t, 4) : (*bad = true, 4 + rn(t, 100));
		v->open.handle = 0;
		break;
	case REFSLAB_CMD_SETATTR: {
		static const uint32_t uids[] = { 0, 0, FUZZ_UID, 3201, 65534 };

		v->setattr.flags = pick_flags(t, REFSLAB_SETATTR_ALL, bad);
		if (!v->setattr.flags)
			*bad = true;
		v->setattr.handle = pick_handle(t);
		if (v->setattr.flags & REFSLAB_SETATTR_MODE)
			v->setattr.mode = chance(t, 90) ? rn(t, 01000) :
				(*bad = true, 01000 + rn(t, 1000));
		else if (chance(t, 5))
			v->setattr.mode = (*bad = true, 1 + rn(t, 0777));
		if (v->setattr.flags & REFSLAB_SETATTR_UID)
			v->setattr.uid = chance(t, 95) ? uids[rn(t, 5)] :
				(*bad = true, UINT32_MAX);
		else if (chance(t, 5))
			v->setattr.uid = (*bad = true, 1 + rn(t, 100));
		if (v->setattr.flags & REFSLAB_SETATTR_GID)
			v->setattr.gid = chance(t, 95) ? uids[rn(t, 5)] :
				(*bad = true, UINT32_MAX);
		else if (chance(t, 5))
			v->setattr.gid = (*bad = true, 1 + rn(t, 100));
		break;
	}
	case REFSLAB_CMD_PIN:
	case REFSLAB_CMD_UNPIN:
		v->pin.flags = pick_flags(t, REFSLAB_PIN_ALL, bad);
		v->pin.id = pick_id(t);
		v->pin.ns = v->pin.flags & REFSLAB_PIN_NS ? pick_ns(t) :
			    pick_zero64(t, bad);
		snprintf(c->note, sizeof(c->note), "id %llu ns %llu",
			 (unsigned long long)v->pin.id,
			 (unsigned long long)v->pin.ns);
		break;
	case REFSLAB_CMD_LIST_PINNED: {
		static const uint32_t counts[] = { 0, 1, 2, 16, 512, 513, 1024,
						   100000, UINT32_MAX };

		v->list.flags = pick_flags(t, REFSLAB_LIST_ALL, bad);
		if ((v->list.flags & REFSLAB_LIST_ALL) == REFSLAB_LIST_ALL)
			*bad = true;	/* at most one */
		v->list.ns = v->list.flags & REFSLAB_LIST_NS ? pick_ns(t) :
			     pick_zero64(t, bad);
		v->list.count = counts[rn(t, sizeof(counts) / sizeof(counts[0]))];
		v->list.__reserved = pick_reserved(t, bad);
		v->list.ids = pick_buffer(t, ovl, 8 * (v->list.count < 512 ?
					  v->list.count : 512), &bpl);
		/* Any count: a normal buffer holds every answer. */
		if (bpl == P_NORMAL)
			v->list.ids = (uintptr_t)t->list_buf;
		if (bpl == P_OVERLAP)
			c->overlap_off = offsetof(struct refslab_list, ids);
		v->list.after = chance(t, 50) ? 0 : chance(t, 50) ? pick_id(t) :
				UINT64_MAX;
		snprintf(c->note, sizeof(c->note), "ids %s count %u ns %llu",
			 place_name[bpl], v->list.count,
			 (unsigned long long)v->list.ns);
		break;
	}
	case REFSLAB_CMD_SUBSCRIBE:
		v->subscribe.flags = pick_flags(t, REFSLAB_SUBSCRIBE_ALL, bad);
		if (v->subscribe.flags & REFSLAB_SUBSCRIBE_ID) {
			/* A handle as well as an id: bad. */
			v->subscribe.handle = chance(t, 90) ? 0 :
					      pick_handle(t);
			if (v->subscribe.handle)
				*bad = true;
			v->subscribe.id = pick_id(t);
		} else {
			v->subscribe.handle = pick_handle(t);
			v->subscribe.id = pick_zero64(t, bad);
		}
		v->subscribe.__reserved = pick_reserved(t, bad);
		v->subscribe.cookie = rnd(t);
		break;
	case REFSLAB_CMD_BATCH:
		/* Filled by gen_batch(); here only for a nested one. */
		v->batch.count = 1;
		v->batch.ops = (uintptr_t)t->m.scratch;
		break;
	default:
		/* Unknown command in a batch: any bytes. */
		for (unsigned int i = 0; i < sizeof(v->bytes); i++)
			v->bytes[i] = rnd(t);
		v->version.size = 16;
		break;
	}
	(void)depth;
}

/*
 * Lay the structure out per its size variant and placement; work out
 * what may come back.
 */
static void finish_call(struct thr *t, struct call *c, bool for_batch)
{
	uint8_t bytes[PAGE];
	enum place want;
	uint32_t pre;
	size_t len;

	c->ksize = c->nr < NR_CMDS ? ksizes[c->nr].now : 16;
	c->kmin = c->nr < NR_CMDS ? ksizes[c->nr].first : 16;
	switch (rn(t, 20)) {
	case 0:
		c->usize = 0;
		break;
	case 1:
		c->usize = c->ksize - 1;
		break;
	case 2:
		c->usize = 4 + rn(t, c->ksize - 4);	/* smaller */
		break;
	case 3:
		c->usize = c->ksize + 8 * (1 + rn(t, 8));	/* zero tail */
		break;
	case 4:
		c->usize = c->ksize + 1 + rn(t, 64);	/* non-zero tail */
		c->tail_nonzero = true;
		break;
	case 5:
		c->usize = chance(t, 50) ? UINT32_MAX : 0x10000 + rn(t, 1 << 20);
		c->tail_nonzero = chance(t, 30);
		break;
	case 6:
		c->usize = c->kmin;	/* an older program's structure */
		break;
	default:
		c->usize = c->ksize;
	}
	want = for_batch && chance(t, 70) ? P_NORMAL : pick_place(t, false);
	/* A tail longer than the slack after a normal argument needs an end. */
	if (want == P_NORMAL && c->usize > c->ksize + 64)
		want = P_END;
	if (((want == P_END || want == P_STRADDLE) && t->m.edge_used) ||
	    (want == P_RO && t->m.ro_used)) {
		want = P_NORMAL;
		if (c->usize > c->ksize + 64) {
			c->usize = c->ksize;
			c->tail_nonzero = false;
		}
	}
	c->v.version.size = c->usize;

	/* The structure, then its tail as far as it is laid out. */
	len = c->usize > c->ksize ? c->usize : c->ksize;
	if (len > PAGE)
		len = PAGE;
	memset(bytes, 0, len);
	memcpy(bytes, &c->v, c->ksize);
	if (c->tail_nonzero && len > c->ksize)
		bytes[c->ksize] = 0x5a;
	c->arg = place_bytes(t, want, bytes, len, &c->readable, NULL);
	c->place = want;
	if (want == P_NORMAL)
		c->readable = len + 64;	/* then 64 zero bytes */

	/* A buffer that is the argument itself. */
	if (c->overlap_off >= 0 && (want == P_NORMAL || want == P_END ||
				    want == P_RO) &&
	    c->overlap_off + 8 <= (int)len) {
		uint64_t self = (uintptr_t)c->arg;

		if (want == P_RO)
			ro_write(t, c->arg + c->overlap_off, &self, 8);
		else
			memcpy(c->arg + c->overlap_off, &self, 8);
		memcpy((uint8_t *)&c->v + c->overlap_off, &self, 8);
	}

	if (c->nr >= NR_CMDS) {
		c->allowed = M(ENOTTY);
		c->exact = true;
		return;
	}
	pre = dispatcher(c);
	if (pre) {
		c->allowed = pre;
		c->exact = true;
	} else if (c->bad_field && c->usize >= c->ksize) {
		c->allowed = M(EINVAL);
		c->exact = true;
	} else {
		/*
		 * The kernel reads a cut structure's missing fields as zero,
		 * which may make a bad field good or a good one bad.
		 */
		c->allowed = contract(c->nr, t->unpriv);
		c->exact = false;
	}
}

static void gen_call(struct thr *t, struct call *c, unsigned int nr, int depth)
{
	memset(c, 0, sizeof(*c));
	c->nr = nr;
	gen_fields(t, c, depth);
	finish_call(t, c, depth > 0);
}

/* --- Bookkeeping from the answers ------------------------------------------- */

static void pool_add(uint32_t *pool, unsigned int *n, uint32_t h,
		     struct thr *t)
{
	if (*n < POOL)
		pool[(*n)++] = h;
	else
		pool[rn(t, POOL)] = h;
}

static void add_fd(struct thr *t, int fd)
{
	if (t->nfds == FD_POOL) {
		unsigned int i = rn(t, FD_POOL);

		close(t->fds[i]);
		t->fds[i] = fd;
		return;
	}
	t->fds[t->nfds++] = fd;
}

/*
 * Learn new handles, ids and fds from a call's answer.  Only from
 * structures that were wholly writable: a partly written answer may hold
 * numbers that mean nothing.
 */
static void learn(struct thr *t, struct call *c)
{
	union refslab_any *v;

	if ((c->place != P_NORMAL && c->place != P_END) || c->usize < c->ksize)
		return;
	v = (union refslab_any *)c->arg;
	switch (c->nr) {
	case REFSLAB_CMD_CREATE:
		if (v->create.handle) {
			t->last_handle = v->create.handle;
			pool_add(t->handles, &t->nh, v->create.handle, t);
			if (t->nids < POOL)
				t->ids[t->nids++] = v->create.id;
			else
				t->ids[rn(t, POOL)] = v->create.id;
		}
		break;
	case REFSLAB_CMD_DUP:
		if (v->dup.new_handle)
			pool_add(t->handles, &t->nh, v->dup.new_handle, t);
		break;
	case REFSLAB_CMD_IMPORT:
		if (v->import.handle)
			pool_add(t->handles, &t->nh, v->import.handle, t);
		break;
	case REFSLAB_CMD_OPEN:
		if (v->open.handle)
			pool_add(t->handles, &t->nh, v->open.handle, t);
		break;
	case REFSLAB_CMD_EXPORT:
		if (v->export.fd != -1)
			add_fd(t, v->export.fd);
		break;
	case REFSLAB_CMD_PUT:
		if (v->ref.refs == 0) {
			for (unsigned int i = 0; i < t->nh; i++)
				if (t->handles[i] == v->ref.handle)
					t->handles[i] = t->handles[--t->nh];
			pool_add(t->stale, &t->nstale, v->ref.handle, t);
		}
		break;
	}
}

/* --- Running and judging ----------------------------------------------------- */

static void failure(struct thr *t, const char *what, const struct call *c,
		    long ret, const char *why)
{
	char hex[3 * 64 + 1] = "", allowed[160];
	size_t n = c ? (c->ksize < 64 ? c->ksize : 64) : 0;

	atomic_fetch_add(&sh->failures, 1);
	if (atomic_fetch_add(&sh->logged, 1) >= MAX_LOGGED)
		return;
	for (size_t i = 0; i < n; i++)
		sprintf(hex + 3 * i, "%02x ", ((const uint8_t *)&c->v)[i]);
	describe_mask(c ? c->allowed : 0, allowed, sizeof(allowed));
	say("# FAIL seed=%#llx thread=%d%s iteration=%lu: %s: got %s (%ld), %s %s\n",
	    (unsigned long long)base_seed, t->index,
	    t->unpriv ? " (unprivileged)" : "", t->iter, what,
	    ret ? strerrorname_np(-ret) : "success", ret,
	    c && c->exact ? "expected exactly" : "the contract allows",
	    c ? allowed : why);
	if (c)
		say("#   cmd %u size %u (kernel %u)%s, argument %s%s, %s; struct: %s\n",
		    c->nr, c->usize, c->ksize,
		    c->tail_nonzero ? " non-zero tail" : "",
		    place_name[c->place], c->bad_field ? ", an invalid field" : "",
		    c->note[0] ? c->note : "-", hex);
	if (why && c)
		say("#   %s\n", why);
}

static void tally(int idx, long ret)
{
	atomic_fetch_add_explicit(&sh->calls[idx], 1, memory_order_relaxed);
	if (!ret)
		atomic_fetch_add_explicit(&sh->ok[idx], 1, memory_order_relaxed);
	else if (-ret < MAX_ERRNO)
		atomic_fetch_add_explicit(&sh->errs[-ret], 1,
					  memory_order_relaxed);
}

static void judge(struct thr *t, const struct call *c, long ret,
		  const char *what)
{
	if (M(-ret) & c->allowed) {
		if (c->exact)
			atomic_fetch_add_explicit(&sh->exact, 1,
						  memory_order_relaxed);
		return;
	}
	failure(t, what, c, ret, NULL);
}

static long do_ioctl(int fd, unsigned long cmd, void *arg)
{
	uint64_t t0 = now_ns();
	long ret = ioctl(fd, cmd, arg) ? -errno : 0;
	unsigned int nr = _IOC_NR(cmd);

	if (cmd != _IO(REFSLAB_IOCTL_TYPE, nr))
		nr = _IOC_TYPE(cmd) == REFSLAB_IOCTL_TYPE ? C_WRONG_BITS :
		     C_OTHER_TYPE;
	else if (nr >= NR_CMDS)
		nr = C_UNKNOWN_NR;
	atomic_fetch_add_explicit(&sh->ns[nr], now_ns() - t0,
				  memory_order_relaxed);
	return ret;
}

static unsigned int pick_nr(struct thr *t, bool in_batch)
{
	/* Weights: the sharing commands and batches less often. */
	static const uint8_t w[NR_CMDS] = {
		2, 14, 8, 8, 5, 6, 7, 7, 5, 5, 5, 4, 3, 3, 2, 3, 4,
	};
	unsigned int total = 0, r, i;

	for (i = 0; i < NR_CMDS; i++)
		total += w[i];
	/* A batch record's command is 16 bits wide: unknown ones above BATCH. */
	if (in_batch && chance(t, 5))
		return chance(t, 50) ? REFSLAB_CMD_BATCH + 1 + rn(t, 200) :
			REFSLAB_CMD_BATCH + 1 +
			rn(t, UINT16_MAX - REFSLAB_CMD_BATCH);
	r = rn(t, total);
	for (i = 0; r >= w[i]; i++)
		r -= w[i];
	return i;
}

static void one_single(struct thr *t)
{
	struct call c;
	long ret;
	unsigned int nr;

	do {
		nr = pick_nr(t, false);
	} while (nr == REFSLAB_CMD_BATCH);
	gen_call(t, &c, nr, 0);
	ret = do_ioctl(t->fd, _IO(REFSLAB_IOCTL_TYPE, nr), c.arg);
	tally(nr, ret);
	judge(t, &c, ret, cmd_name[nr]);
	if (!ret)
		learn(t, &c);
	/* A few answers can be checked further. */
	if (!ret && nr == REFSLAB_CMD_VERSION && c.place == P_NORMAL) {
		struct refslab_version *v = (void *)c.arg;

		if (v->abi_major != REFSLAB_ABI_MAJOR ||
		    v->payload_max != REFSLAB_PAYLOAD_MAX)
			failure(t, "VERSION", &c, ret, "wrong answer");
		/* The bounds added last (the structure ends with them), when asked. */
		if (c.usize >= sizeof(struct refslab_version) &&
		    (v->file_handles_max != REFSLAB_FILE_HANDLES_MAX ||
		     v->batch_max != REFSLAB_BATCH_MAX))
			failure(t, "VERSION", &c, ret, "wrong bounds");
	}
	if (!ret && nr == REFSLAB_CMD_LIST_PINNED && c.place == P_NORMAL &&
	    c.usize >= c.ksize) {
		struct refslab_list *l = (void *)c.arg;
		uint64_t prev = c.v.list.after;

		if (l->count > c.v.list.count)
			failure(t, "LIST_PINNED", &c, ret,
				"count out is more than asked");
		/* Increasing values past @after, in the normal buffer. */
		for (uint32_t i = 0; c.v.list.ids == (uintptr_t)t->list_buf &&
		     i < l->count && i < LIST_BUF; i++) {
			if (t->list_buf[i] <= prev) {
				failure(t, "LIST_PINNED", &c, ret,
					"values not increasing past @after");
				break;
			}
			prev = t->list_buf[i];
		}
	}
	if (!ret && nr == REFSLAB_CMD_INFO && c.place == P_NORMAL &&
	    c.usize >= c.ksize) {
		struct refslab_info *info = (void *)c.arg;

		if (info->state & ~(REFSLAB_INFO_PINNED | REFSLAB_INFO_FOREIGN) ||
		    (info->state & REFSLAB_INFO_FOREIGN && info->id) ||
		    (!(info->state & REFSLAB_INFO_FOREIGN) && !info->id))
			failure(t, "INFO", &c, ret, "state and id disagree");
	}
}

#define BATCH_CAP	REFSLAB_BATCH_MAX

/*
 * Half the GETs and PUTs whose structure a record can carry (this
 * version's size, no flags, a normal place) go in the record instead,
 * with the same expectation; one in eight of those with a bad form (a
 * flag or a tail byte the form does not have: EINVAL).  Returns whether
 * @op is now in-record.
 */
static bool inline_ref(struct thr *t, struct call *c,
		       struct refslab_batch_op *op)
{
	const struct refslab_ref *r = &c->v.ref;

	if ((c->nr != REFSLAB_CMD_GET && c->nr != REFSLAB_CMD_PUT) ||
	    c->place != P_NORMAL || c->usize != c->ksize || r->flags ||
	    chance(t, 50))
		return false;
	*op = (struct refslab_batch_op){
		.cmd = c->nr,
		.flags = REFSLAB_BATCH_OP_INLINE,
		.result = 12345,
		.ref = {
			.handle = r->handle,
			.count = r->count,
			.refs = garbage32(t),	/* output */
			.__reserved = r->__reserved,
		},
	};
	switch (rn(t, 16)) {
	case 0:
		op->flags |= chance(t, 50) ? REFSLAB_BATCH_OP_MODE :
			     1U << (2 + rn(t, 14));
		break;
	case 1:
		op->__size[sizeof(op->ref) + rn(t, sizeof(op->__size) -
					      sizeof(op->ref))] = 1 + rn(t, 255);
		break;
	default:
		return true;
	}
	c->allowed = M(EINVAL);
	c->exact = true;
	return true;
}

/* A BATCH of calls made by the same generator. */
static void one_batch(struct thr *t, struct call *calls)
{
	struct refslab_batch_op *ops;
	uint32_t count, n, done;
	struct refslab_batch *b;
	bool bad = false;
	struct call bc;
	enum place opl;
	long ret;

	switch (rn(t, 16)) {
	case 0:
		count = 0;
		bad = true;
		break;
	case 1:
		count = BATCH_CAP;
		break;
	case 2:
		count = BATCH_CAP + 1;
		bad = true;
		break;
	case 3:
		count = UINT32_MAX;
		bad = true;
		break;
	default:
		count = 1 + rn(t, 8);
	}
	n = count > BATCH_CAP ? 8 : count;	/* operations built */
	ops = scratch_alloc(t, BATCH_CAP * sizeof(*ops) + 64);
	for (uint32_t i = 0; i < n; i++) {
		struct call *c = &calls[i];

		gen_call(t, c, pick_nr(t, true), 1);
		if (c->nr == REFSLAB_CMD_BATCH) {
			/* Refused before its argument is read. */
			c->allowed = M(EINVAL);
			c->exact = true;
		}
		ops[i] = (struct refslab_batch_op){
			.cmd = c->nr,
			.result = 12345,
			.arg = (uintptr_t)c->arg,
		};
		inline_ref(t, c, &ops[i]);
	}

	memset(&bc, 0, sizeof(bc));
	bc.nr = REFSLAB_CMD_BATCH;
	bc.overlap_off = -1;
	/* REFSLAB_BATCH_REFS records are one_batch_refs()'s. */
	bc.v.batch.flags = pick_flags(t, REFSLAB_BATCH_ALL, &bad) &
			   ~REFSLAB_BATCH_REFS;
	bc.v.batch.count = count;
	bc.v.batch.done = garbage32(t);
	bc.bad_field = bad;

	/* Where the array is. */
	opl = pick_place(t, true);
	switch (opl) {
	case P_STRADDLE:
		if (!t->m.edge_used && n > 1) {
			/* Operation k crosses into the guard page. */
			uint32_t k = rn(t, n);
			size_t off = k * sizeof(*ops) + 1 + rn(t, sizeof(*ops) - 1);

			t->m.edge_used = true;
			memcpy(t->m.guard1 - off, ops, off);
			ops = (void *)(t->m.guard1 - off);
			break;
		}
		opl = P_NORMAL;
		break;
	case P_RO:
		if (!t->m.ro_used && n * sizeof(*ops) <= PAGE) {
			t->m.ro_used = true;
			ro_write(t, t->m.ro, ops, n * sizeof(*ops));
			ops = (void *)t->m.ro;
			break;
		}
		opl = P_NORMAL;
		break;
	case P_NULL:
		ops = NULL;
		break;
	case P_UNMAPPED:
		ops = (void *)t->m.guard2;
		break;
	case P_KERNEL:
		ops = (void *)(uintptr_t)KERNEL_PTR;
		break;
	case P_NONCANON:
		ops = (void *)(uintptr_t)NONCANON_PTR;
		break;
	case P_OVERLAP:
		/* The array is the batch structure itself: see below. */
		break;
	default:
		opl = P_NORMAL;
		break;
	}
	bc.v.batch.ops = (uintptr_t)ops;
	finish_call(t, &bc, false);
	if (opl == P_OVERLAP) {
		if (bc.place == P_NORMAL || bc.place == P_END) {
			b = (void *)bc.arg;
			b->ops = (uintptr_t)b;
			bc.v.batch.ops = b->ops;
		} else {
			opl = P_NORMAL;	/* the argument is not there anyway */
		}
	}
	snprintf(bc.note, sizeof(bc.note), "flags %#x count %u, ops %s",
		 bc.v.batch.flags, count, place_name[opl]);
	if (!bc.exact) {
		/* The structure is fine: what the array gives. */
		switch (opl) {
		case P_NORMAL:
			break;	/* the contract's set */
		case P_OVERLAP:
		case P_STRADDLE:
			/* Runs until it faults, or stops before. */
			bc.allowed = OK | M(EFAULT);
			break;
		default:
			/* Unreadable, or op 0 runs and its result faults. */
			bc.allowed = M(EFAULT);
			bc.exact = true;
			break;
		}
	}

	ret = do_ioctl(t->fd, REFSLAB_IOC_BATCH, bc.arg);
	tally(REFSLAB_CMD_BATCH, ret);
	judge(t, &bc, ret, "BATCH");

	/* Each operation's result, when all of it can be read back. */
	if (!ret && opl == P_NORMAL &&
	    (bc.place == P_NORMAL || bc.place == P_END)) {
		b = (void *)bc.arg;
		done = b->done;
		if (done > n)
			failure(t, "BATCH", &bc, ret, "done is past the operations");
		for (uint32_t i = 0; i < n && i < done; i++) {
			char what[80];
			int r = ops[i].result;

			tally(C_BATCH_OP, r);
			snprintf(what, sizeof(what), "BATCH operation %u of %u (%s)",
				 i, done, calls[i].nr < NR_CMDS ?
				 cmd_name[calls[i].nr] : "unknown command");
			judge(t, &calls[i], r, what);
			if (ops[i].flags & REFSLAB_BATCH_OP_INLINE &&
			    (ops[i].ref.handle != calls[i].v.ref.handle ||
			     ops[i].ref.count != calls[i].v.ref.count))
				failure(t, "BATCH", &bc, ret,
					"an in-record GET or PUT's inputs changed");
			/* Its output where learn() reads the structure's. */
			if (ops[i].flags & REFSLAB_BATCH_OP_INLINE && !r)
				((struct refslab_ref *)calls[i].arg)->refs =
					ops[i].ref.refs;
			if (r && !(bc.v.batch.flags & REFSLAB_BATCH_CONTINUE) &&
			    i + 1 != done)
				failure(t, "BATCH", &bc, ret,
					"went on after a failure without BATCH_CONTINUE");
		}
		if (done < n && (bc.v.batch.flags & REFSLAB_BATCH_CONTINUE))
			failure(t, "BATCH", &bc, ret,
				"stopped early with BATCH_CONTINUE");
		if (done < n && done && !ops[done - 1].result)
			failure(t, "BATCH", &bc, ret,
				"stopped after an operation that succeeded");
		for (uint32_t i = done; i < n; i++)
			if (ops[i].result != 12345)
				failure(t, "BATCH", &bc, ret,
					"an operation not run has a result");
	}
	for (uint32_t i = 0; i < n; i++)
		learn(t, &calls[i]);
}

/* A GET's or PUT's delta: mostly small, at times at or past a bound. */
static int32_t pick_delta(struct thr *t)
{
	switch (rn(t, 16)) {
	case 0:
		return 0;
	case 1:
		return INT32_MIN;
	case 2:
		return REFSLAB_HANDLE_REFS_MAX + 1;
	case 3:
		return (int32_t)rnd(t);
	case 4 ... 9:
		return 1 + rn(t, 3);
	default:
		return -1 - (int32_t)rn(t, 2);
	}
}

/*
 * BATCH with REFSLAB_BATCH_REFS, from a readable and writable array:
 * each record is a GET or a PUT with the single ioctl's errnos, only its
 * outputs are written, and records from done on are not touched.
 */
static void one_batch_refs(struct thr *t)
{
	const uint32_t cap = 300;	/* more than two runs of 128 */
	struct refslab_ref_change *rc, *was;
	uint32_t n = 1 + rn(t, chance(t, 10) ? cap : 8);
	bool cont = chance(t, 50);
	struct refslab_batch b = {
		.size = sizeof(b),
		.flags = REFSLAB_BATCH_REFS | (cont ? REFSLAB_BATCH_CONTINUE : 0),
		.count = n,
		.done = garbage32(t),
	};
	struct call c = { .nr = REFSLAB_CMD_BATCH };
	long ret;

	rc = scratch_alloc(t, 2 * cap * sizeof(*rc));
	was = rc + cap;
	for (uint32_t i = 0; i < n; i++)
		rc[i] = (struct refslab_ref_change){
			.handle = pick_handle(t),
			.delta = pick_delta(t),
			.result = 12345,
			.refs = garbage32(t),
		};
	memcpy(was, rc, n * sizeof(*rc));
	b.ops = (uintptr_t)rc;
	snprintf(c.note, sizeof(c.note), "REFS, %u records%s", n,
		 cont ? ", CONTINUE" : "");
	c.allowed = OK;
	ret = do_ioctl(t->fd, REFSLAB_IOC_BATCH, &b);
	tally(REFSLAB_CMD_BATCH, ret);
	judge(t, &c, ret, "BATCH of reference changes");
	if (ret)
		return;
	if (b.done > n || (cont && b.done != n) || !b.done)
		failure(t, "BATCH of reference changes", &c, ret,
			"done is not what ran");
	for (uint32_t i = 0; i < n && i < b.done; i++) {
		int32_t d = rc[i].delta;
		int r = rc[i].result;

		/* As GET and PUT: the count, then the handle, then the caps. */
		if (!d)
			c.allowed = M(EINVAL);
		else if (d > (int32_t)REFSLAB_HANDLE_REFS_MAX)
			c.allowed = M(EOVERFLOW);
		else if (d > 0)
			c.allowed = M(ENOENT) | M(EOVERFLOW) | OK;
		else if (d == INT32_MIN)
			c.allowed = M(ENOENT) | M(EINVAL);
		else
			c.allowed = M(ENOENT) | M(EINVAL) | OK;
		tally(C_BATCH_REFS, r);
		judge(t, &c, r, "BATCH_REFS record");
		if (rc[i].handle != was[i].handle || d != was[i].delta)
			failure(t, "BATCH of reference changes", &c, r,
				"a record's inputs changed");
		if (r && rc[i].refs)
			failure(t, "BATCH of reference changes", &c, r,
				"a failed record has references");
		if (r && !cont && i + 1 != b.done)
			failure(t, "BATCH of reference changes", &c, r,
				"went on after a failure without BATCH_CONTINUE");
		if (!r && d < 0 && !rc[i].refs) {
			for (unsigned int k = 0; k < t->nh; k++)
				if (t->handles[k] == rc[i].handle)
					t->handles[k] = t->handles[--t->nh];
			pool_add(t->stale, &t->nstale, rc[i].handle, t);
		}
	}
	if (b.done < n && !rc[b.done - 1].result)
		failure(t, "BATCH of reference changes", &c, ret,
			"stopped after a record that succeeded");
	for (uint32_t i = b.done; i < n; i++)
		if (memcmp(&rc[i], &was[i], sizeof(*rc)))
			failure(t, "BATCH of reference changes", &c, ret,
				"a record not run was written");
}

/* read() of the event queue: odd sizes, bad buffers. */
static void one_read(struct thr *t)
{
	static const size_t sizes[] = { 0, 1, 39, 40, 41, 79, 80, 100, 4095,
					4096, 1 << 20 };
	struct call c;
	size_t len = sizes[rn(t, sizeof(sizes) / sizeof(sizes[0]))];
	enum place pl;
	uint64_t buf, t0;
	ssize_t n;
	long ret;

	memset(&c, 0, sizeof(c));
	buf = pick_buffer(t, NULL, len, &pl);
	if (len > 2 * PAGE && pl == P_NORMAL)
		len = 2 * PAGE;
	t0 = now_ns();
	n = read(t->fd, (void *)(uintptr_t)buf, len);
	ret = n < 0 ? -errno : 0;
	atomic_fetch_add_explicit(&sh->ns[C_READ], now_ns() - t0,
				  memory_order_relaxed);
	/* read(2) refuses a buffer outside user space before the driver. */
	if ((pl == P_KERNEL || pl == P_NONCANON) && len) {
		c.allowed = M(EFAULT);
		c.exact = true;
	} else if (len < sizeof(struct refslab_event)) {
		c.allowed = M(EINVAL) | (len ? 0 : M(EFAULT));
		c.exact = true;
	} else {
		c.allowed = OK | M(EAGAIN) | M(EFAULT);
	}
	c.place = pl;
	snprintf(c.note, sizeof(c.note), "read(%zu) into %s", len,
		 place_name[pl]);
	tally(C_READ, ret);
	judge(t, &c, ret, "read()");
	if (n > 0 && (n % sizeof(struct refslab_event) || (size_t)n > len)) {
		failure(t, "read()", &c, n, "not a whole number of records");
		return;
	}
	/* Records where they can be read back: step by @len. */
	for (ssize_t off = 0; n > 0 && pl == P_NORMAL && off < n;) {
		const struct refslab_event *ev = (void *)(uintptr_t)(buf + off);

		if (ev->len != sizeof(*ev) ||
		    (ev->type != REFSLAB_EVENT_RECLAIMED &&
		     ev->type != REFSLAB_EVENT_OVERFLOW) || !ev->count ||
		    (ev->type == REFSLAB_EVENT_OVERFLOW &&
		     (ev->id || ev->cookie))) {
			failure(t, "read()", &c, n, "malformed event record");
			break;
		}
		off += ev->len;
	}
}

/* Commands the driver must not know: all ENOTTY. */
static void one_bad_cmd(struct thr *t, int kind)
{
	static const uint8_t vfs_types[] = { 0x00, 'T', 'X', 'f', 0x94, 0x15,
					     REFSLAB_IOCTL_TYPE };
	unsigned long cmd;
	uint8_t arg[256] = { 0 };
	unsigned int dir, size, type, nr;
	struct call c;
	long ret;
	bool vfs;

	memset(&c, 0, sizeof(c));
	c.allowed = M(ENOTTY);
	c.exact = true;
	*(uint32_t *)arg = sizeof(struct refslab_version);
	switch (kind) {
	case C_UNKNOWN_NR:
		nr = REFSLAB_CMD_BATCH + 1 + rn(t, 0xff - REFSLAB_CMD_BATCH);
		cmd = _IO(REFSLAB_IOCTL_TYPE, nr);
		break;
	case C_WRONG_BITS:
		nr = rn(t, NR_CMDS + 2);
		do {
			dir = rn(t, 4);
			size = chance(t, 50) ? rn(t, 1 << 14) :
			       nr < NR_CMDS ? ksizes[nr].now : 8;
		} while (!dir && !size);
		cmd = _IOC(dir, REFSLAB_IOCTL_TYPE, nr, size);
		break;
	default:
		do {
			type = rn(t, 256);
			vfs = false;
			for (unsigned int i = 0; i < sizeof(vfs_types); i++)
				vfs |= type == vfs_types[i];
		} while (vfs);
		cmd = _IOC(rn(t, 4), type, rn(t, 256), rn(t, 64));
		break;
	}
	snprintf(c.note, sizeof(c.note), "cmd %#lx", cmd);
	ret = do_ioctl(t->fd, cmd, arg);
	tally(kind, ret);
	judge(t, &c, ret, cmd_name[kind]);
}

/* A new device file: every handle of the old one gone with it. */
static void reopen(struct thr *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = open(DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	t->nh = t->nstale = 0;
	t->last_handle = 0;
}

static int map_mem(struct thr *t)
{
	uint8_t *base = mmap(NULL, SCRATCH + 4 * PAGE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int mfd;

	if (base == MAP_FAILED)
		return -1;
	t->m.scratch = base;
	t->m.edge = base + SCRATCH;
	t->m.guard1 = t->m.edge + PAGE;
	t->m.ro = t->m.guard1 + PAGE;
	t->m.guard2 = t->m.ro + PAGE;
	t->valid_buf = base;	/* the first 2 pages of scratch */
	if (mprotect(t->m.guard1, PAGE, PROT_NONE) ||
	    mprotect(t->m.guard2, PAGE, PROT_NONE))
		return -1;
	/* The read-only page and a writable view of it, one memfd page. */
	mfd = memfd_create("refslab_fuzz_ro", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, PAGE) ||
	    mmap(t->m.ro, PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, mfd, 0) ==
	    MAP_FAILED)
		return -1;
	t->m.ro_alias = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
			     mfd, 0);
	close(mfd);
	if (t->m.ro_alias == MAP_FAILED)
		return -1;
	t->list_buf = mmap(NULL, LIST_BUF * 8 + PAGE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (t->list_buf == MAP_FAILED)
		return -1;
	return mprotect((uint8_t *)t->list_buf + LIST_BUF * 8, PAGE, PROT_NONE);
}

/* --- Coverage guidance ---------------------------------------------------- */

#define KCOV_PATH	"/sys/kernel/debug/kcov"
#define COVER_WORDS	(1UL << 16)	/* PCs one call can report, + 1 */
#define EDGE_BITS	20
#define EDGE_WORDS	((1UL << EDGE_BITS) / 64)
#define SEQ_MAX		16
#define CORPUS_MAX	8192

struct seq {
	uint32_t len;
	uint64_t op[SEQ_MAX];
};

/* Shared by every thread and the unprivileged process. */
struct guide {
	uint64_t text_lo, text_hi;	/* refslab's text */
	atomic_ulong edges, pcs, kept, traced;
	atomic_flag lock;		/* writers of the corpus */
	atomic_uint nseq;		/* entries [0, nseq) are written */
	unsigned int loaded;		/* entries read from the corpus dir */
	atomic_ulong next_report_ns;
	uint64_t report_ns;
	atomic_ulong edge_map[EDGE_WORDS];
	struct seq corpus[CORPUS_MAX];
	atomic_ulong pc_map[];		/* a bit per byte of the text */
};

static struct guide *g;
static size_t guide_size;

/* KCOV files opened and mapped for this process's threads, in advance. */
static struct {
	int fd;
	uint64_t *cover;
} kcov_pool[64];
static int kcov_pool_n;
static atomic_int kcov_pool_next;

static bool kcov_present(void)
{
	return g && g->text_hi > g->text_lo;
}

/*
 * refslab's text from /proc/modules (root only: others read address 0):
 * its base address and the module's size, an upper bound of the text's.
 * Only refslab is built with KCOV_INSTRUMENT, so no other PC can fall in
 * there; .text of /sys/module/refslab/sections must lie inside.
 */
static int module_text(uint64_t *lo, uint64_t *hi)
{
	unsigned long long base = 0, text = 0;
	unsigned long size = 0;
	char line[512], name[64];
	FILE *f = fopen("/proc/modules", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %lu %*s %*s %*s %llx", name, &size,
			   &base) == 3 && !strcmp(name, "refslab"))
			break;
		base = 0;
	}
	fclose(f);
	f = fopen("/sys/module/refslab/sections/.text", "r");
	if (!f)
		return -1;
	if (fscanf(f, "%llx", &text) != 1)
		text = 0;
	fclose(f);
	if (!base || !size || text < base || text >= base + size)
		return -1;
	*lo = base;
	*hi = base + size;
	return 0;
}

/* Map the shared state; KCOV is used if it opens and the text is known. */
static void guide_init(void)
{
	uint64_t lo = 0, hi = 0;
	int fd = open(KCOV_PATH, O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		if (module_text(&lo, &hi))
			say("# fuzz: kcov: cannot tell refslab's text from /proc/modules\n");
	}
	guide_size = sizeof(*g) + ((hi - lo) / 64 + 1) * sizeof(uint64_t);
	g = mmap(NULL, guide_size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (g == MAP_FAILED) {
		g = NULL;
		return;
	}
	g->text_lo = lo;
	g->text_hi = hi;
	atomic_flag_clear(&g->lock);
	g->report_ns = (opt_seconds / 20 < 5 ? 5 : opt_seconds / 20) * 1000000000ULL;
}

/* Open and map @nr KCOV files (as root, before a process drops it). */
static void kcov_prepare(int nr)
{
	if (!kcov_present())
		return;
	for (; kcov_pool_n < nr; kcov_pool_n++) {
		int fd = open(KCOV_PATH, O_RDWR | O_CLOEXEC);
		void *m;

		if (fd < 0 || ioctl(fd, KCOV_INIT_TRACE, COVER_WORDS)) {
			say("# fuzz: kcov: %s\n", strerror(errno));
			break;
		}
		m = mmap(NULL, COVER_WORDS * sizeof(uint64_t),
			 PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED) {
			close(fd);
			break;
		}
		kcov_pool[kcov_pool_n].fd = fd;
		kcov_pool[kcov_pool_n].cover = m;
	}
}

/* Trace this thread's calls from here on, if KCOV is there. */
static void kcov_start(struct thr *t)
{
	int i = atomic_fetch_add(&kcov_pool_next, 1);

	t->cover = NULL;
	if (i >= kcov_pool_n ||
	    ioctl(kcov_pool[i].fd, KCOV_ENABLE, KCOV_TRACE_PC))
		return;
	t->cover = kcov_pool[i].cover;
	t->kcov_fd = kcov_pool[i].fd;
}

static bool test_and_set(atomic_ulong *map, uint64_t bit)
{
	unsigned long mask = 1UL << (bit % 64);

	if (atomic_load_explicit(&map[bit / 64], memory_order_relaxed) & mask)
		return true;
	return atomic_fetch_or(&map[bit / 64], mask) & mask;
}

static void cover_reset(struct thr *t)
{
	if (t->cover)
		__atomic_store_n(&t->cover[0], 0, __ATOMIC_RELAXED);
}

/* The edges and PCs of refslab the last call reached; returns the new. */
static unsigned int cover_collect(struct thr *t)
{
	uint64_t n, prev = 0, pc, h;
	unsigned int fresh = 0;

	if (!t->cover)
		return 0;
	n = __atomic_load_n(&t->cover[0], __ATOMIC_RELAXED);
	if (n >= COVER_WORDS)
		n = COVER_WORDS - 1;
	for (uint64_t i = 1; i <= n; i++) {
		pc = t->cover[i];
		if (pc < g->text_lo || pc >= g->text_hi)
			continue;
		atomic_fetch_add_explicit(&g->traced, 1, memory_order_relaxed);
		if (!test_and_set(g->pc_map, pc - g->text_lo))
			atomic_fetch_add(&g->pcs, 1);
		h = (prev * 0x9e3779b97f4a7c15ULL) ^ pc;
		h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ULL;
		if (!test_and_set(g->edge_map, h >> (64 - EDGE_BITS))) {
			atomic_fetch_add(&g->edges, 1);
			fresh++;
		}
		prev = pc;
	}
	return fresh;
}

static void report(bool last)
{
	unsigned long now = now_ns(), next = atomic_load(&g->next_report_ns);

	if (!kcov_present())
		return;
	if (!last && (now < next ||
		      !atomic_compare_exchange_strong(&g->next_report_ns, &next,
						      now + g->report_ns)))
		return;
	say("# fuzz: kcov: %6.1f s %9lu iterations %5lu edges %5lu PCs, corpus %u%s\n",
	    (now - (deadline_ns - opt_seconds * 1000000000ULL)) / 1e9,
	    atomic_load(&sh->iters), atomic_load(&g->edges),
	    atomic_load(&g->pcs), atomic_load(&g->nseq),
	    last ? " (end)" : "");
}

static void corpus_add(const struct seq *q)
{
	unsigned int n;

	while (atomic_flag_test_and_set(&g->lock))
		;
	n = atomic_load(&g->nseq);
	if (n < CORPUS_MAX) {
		g->corpus[n] = *q;
		atomic_store(&g->nseq, n + 1);
		atomic_fetch_add(&g->kept, 1);
	}
	atomic_flag_clear(&g->lock);
}

static uint32_t mrn(struct thr *t, uint32_t n)
{
	return n ? splitmix(&t->mrng) % n : 0;
}

/* The next sequence: fresh, or one to three mutations of a kept one. */
static void next_seq(struct thr *t, struct seq *q)
{
	unsigned int n = atomic_load(&g->nseq), k, i;
	const struct seq *other;

	if (!n || mrn(t, 100) < 10) {
		q->len = 1 + mrn(t, SEQ_MAX);
		for (i = 0; i < q->len; i++)
			q->op[i] = splitmix(&t->mrng);
		return;
	}
	*q = g->corpus[mrn(t, n)];
	for (k = 1 + mrn(t, 3); k; k--) {
		i = mrn(t, q->len);
		switch (mrn(t, 6)) {
		case 0:		/* replace */
			q->op[i] = splitmix(&t->mrng);
			break;
		case 1:		/* insert */
			if (q->len == SEQ_MAX)
				break;
			memmove(&q->op[i + 1], &q->op[i],
				(q->len - i) * sizeof(q->op[0]));
			q->op[i] = splitmix(&t->mrng);
			q->len++;
			break;
		case 2:		/* delete */
			if (q->len == 1)
				break;
			memmove(&q->op[i], &q->op[i + 1],
				(q->len - i - 1) * sizeof(q->op[0]));
			q->len--;
			break;
		case 3:		/* repeat */
			if (q->len == SEQ_MAX)
				break;
			memmove(&q->op[i + 1], &q->op[i],
				(q->len - i) * sizeof(q->op[0]));
			q->len++;
			break;
		case 4:		/* splice: this one's head, another's tail */
			other = &g->corpus[mrn(t, n)];
			for (unsigned int j = mrn(t, other->len);
			     j < other->len && i + 1 < SEQ_MAX; j++)
				q->op[++i] = other->op[j];
			q->len = i + 1;
			break;
		default:	/* append */
			while (q->len < SEQ_MAX && mrn(t, 2))
				q->op[q->len++] = splitmix(&t->mrng);
			break;
		}
	}
}

/* Corpus files: one operation seed a line, in hex. */
static void corpus_load(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct seq q;
	DIR *d = opendir(dir);
	FILE *f;

	if (!d)
		return;
	while ((de = readdir(d)) && g->nseq < CORPUS_MAX) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		q.len = 0;
		while (q.len < SEQ_MAX &&
		       fscanf(f, "%" SCNx64, &q.op[q.len]) == 1)
			q.len++;
		fclose(f);
		if (q.len)
			g->corpus[g->nseq++] = q;
	}
	closedir(d);
	g->loaded = g->nseq;
}

/* The new sequences into @dir, each a file named by its hash. */
static unsigned int corpus_save(const char *dir)
{
	unsigned int saved = 0;
	char path[PATH_MAX];
	FILE *f;

	for (unsigned int i = g->loaded; i < atomic_load(&g->nseq); i++) {
		const struct seq *q = &g->corpus[i];
		uint64_t h = q->len;

		for (unsigned int j = 0; j < q->len; j++)
			h = splitmix(&h) ^ q->op[j];
		snprintf(path, sizeof(path), "%s/%016" PRIx64, dir, h);
		f = fopen(path, "w");
		if (!f)
			continue;
		for (unsigned int j = 0; j < q->len; j++)
			fprintf(f, "%016" PRIx64 "\n", q->op[j]);
		saved += !fclose(f);
	}
	return saved;
}

/* One iteration from the thread's random stream; false: stop. */
static bool one_iteration(struct thr *t, struct call *calls)
{
	unsigned int r = rn(t, 1000);

	t->m.edge_used = t->m.ro_used = false;
	t->m.used = 0;
	atomic_fetch_add_explicit(&sh->iters, 1, memory_order_relaxed);
	cover_reset(t);
	if (r < 30)
		one_bad_cmd(t, C_UNKNOWN_NR);
	else if (r < 60)
		one_bad_cmd(t, C_WRONG_BITS);
	else if (r < 80)
		one_bad_cmd(t, C_OTHER_TYPE);
	else if (r < 110)
		one_read(t);
	else if (r < 160)
		one_batch(t, calls);
	else if (r < 170)
		one_batch_refs(t);
	else if (r < 171 || t->nh >= POOL)
		reopen(t);
	else
		one_single(t);
	if (t->fd < 0) {
		say("# thread %d: cannot reopen " DEV ": %s\n",
		    t->index, strerror(errno));
		atomic_fetch_add(&sh->failures, 1);
		return false;
	}
	return true;
}

static bool time_up(void)
{
	if (now_ns() <= deadline_ns)
		return false;
	atomic_store(&sh->timed_out, 1);
	return true;
}

static void random_loop(struct thr *t, struct call *calls, unsigned long iters)
{
	for (t->iter = 0; t->iter < iters; t->iter++) {
		if (!(t->iter & 63) && time_up())
			break;
		if (!one_iteration(t, calls))
			break;
		cover_collect(t);
		if (!(t->iter & 63))
			report(false);
	}
}

/*
 * Sequences of operations, each from its own seed, on a new device file;
 * a sequence that reached a new edge is kept up to the operation that did.
 */
static void guided_loop(struct thr *t, struct call *calls, unsigned long iters)
{
	unsigned int i, kept_to;
	struct seq q;

	t->mrng = t->rng ^ 0x6a09e667f3bcc909ULL;
	for (t->iter = 0; t->iter < iters;) {
		if (time_up())
			break;
		next_seq(t, &q);
		reopen(t);
		kept_to = 0;
		for (i = 0; i < q.len && t->iter < iters; i++, t->iter++) {
			t->rng = q.op[i];
			if (!one_iteration(t, calls))
				return;
			if (cover_collect(t))
				kept_to = i + 1;
		}
		if (kept_to) {
			q.len = kept_to;
			corpus_add(&q);
		}
		report(false);
	}
}

static void *fuzz_thread(void *arg)
{
	struct thr *t = arg;
	unsigned long iters = opt_iters / (opt_only >= 0 ? 1 : opt_threads);
	struct call *calls = calloc(BATCH_CAP, sizeof(*calls));

	t->rng = base_seed ^ (0xd1b54a32d192ed03ULL * (t->index + 1));
	t->start_ns = now_ns();
	t->ns = ns_ino(0, "ipc");
	t->fd = -1;
	reopen(t);
	if (t->fd < 0 || map_mem(t) || pipe2(t->pipefd, O_CLOEXEC) || !calls) {
		say("# thread %d: set-up failed: %s\n", t->index, strerror(errno));
		atomic_fetch_add(&sh->failures, 1);
		return NULL;
	}
	kcov_start(t);
	if (t->cover && opt_guide)
		guided_loop(t, calls, iters);
	else
		random_loop(t, calls, iters);
	if (t->cover)
		ioctl(t->kcov_fd, KCOV_DISABLE, 0);
	say("# fuzz: thread %d%s: %lu iterations in %.1f s\n", t->index,
	    t->unpriv ? " (unprivileged)" : "", t->iter,
	    (now_ns() - t->start_ns) / 1e9);
	for (unsigned int i = 0; i < t->nfds; i++)
		close(t->fds[i]);
	close(t->fd);
	close(t->pipefd[0]);
	close(t->pipefd[1]);
	free(calls);
	return NULL;
}

/*
 * Close every refslab object file of this process: a batch that faulted
 * part way may have exported files whose numbers never reached us.
 */
static unsigned int close_stray_objfiles(void)
{
	unsigned int n = 0;
	struct dirent *de;
	char path[64], link[64];
	DIR *d = opendir("/proc/self/fd");
	ssize_t len;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);

		if (de->d_name[0] == '.' || fd == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = 0;
		if (!strcmp(link, "anon_inode:[refslab]")) {
			close(fd);
			n++;
		}
	}
	closedir(d);
	return n;
}

/*
 * The unprivileged process: an IPC namespace of its own (while still
 * root, if the kernel has them), then the unprivileged user.
 */
static int become_fuzz_user(void)
{
	gid_t gid = FUZZ_GID;

	if (!unshare(CLONE_NEWIPC))
		atomic_store(&sh->ipc_ns[1], ns_ino(0, "ipc"));
	return setgroups(1, &gid) || setgid(FUZZ_GID) || setuid(FUZZ_UID);
}

/*
 * Unpin what the run left pinned in namespace @ns (0: the caller's),
 * sparing the @nbase values of @base; returns how many, or -1.
 */
static int unpin_new(int fd, uint64_t ns, const uint64_t *base,
		     unsigned int nbase)
{
	uint64_t *pins = malloc(LIST_BUF * sizeof(*pins));
	uint32_t flags = ns ? REFSLAB_PIN_NS : 0;
	unsigned int npins, dropped = 0;

	if (!pins)
		return -1;
	npins = list_all(fd, ns ? REFSLAB_LIST_NS : 0, ns, pins, LIST_BUF, 0);
	for (unsigned int i = 0; i < npins; i++) {
		bool old = false;

		for (unsigned int j = 0; j < nbase; j++)
			old |= pins[i] == base[j];
		if (old)
			continue;
		if (rs_pin_ns(fd, REFSLAB_IOC_UNPIN, flags, pins[i], ns))
			dropped = -1U;
		else if (dropped != -1U)
			dropped++;
	}
	free(pins);
	return (int)dropped;
}

static unsigned int run_threads(int first, int nr, bool unpriv)
{
	pthread_t tids[64];
	struct thr *thr = calloc(nr, sizeof(*thr));

	kcov_prepare(nr);
	for (int i = 0; i < nr; i++) {
		thr[i].index = first + i;
		thr[i].unpriv = unpriv;
		pthread_create(&tids[i], NULL, fuzz_thread, &thr[i]);
	}
	for (int i = 0; i < nr; i++)
		pthread_join(tids[i], NULL);
	free(thr);
	return close_stray_objfiles();
}

TEST(fuzz)
{
	uint64_t *base_pins = malloc(LIST_BUF * sizeof(*base_pins)), t0, child_ns;
	unsigned int nbase, stray_files;
	int stray_pins = 0, stray_child = 0;
	struct run_balance base, now;
	int fd, status, root_threads, unpriv_threads = 0;
	unsigned long total;
	pid_t child = -1;
	double elapsed;

	fd = open(DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		SKIP(return, DEV " not present (is refslab loaded?)");
	ASSERT_LE(0, fd);
	ASSERT_GE(64, opt_threads);
	close(fd);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	ASSERT_NE(NULL, base_pins);
	sh->ipc_ns[0] = sh->ipc_ns[1] = ns_ino(0, "ipc");

	ASSERT_EQ(0, wait_reclaimed());
	run_balance_take(&base);
	fd = open(DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	nbase = pinned_ids(fd, base_pins, LIST_BUF);

	guide_init();
	ASSERT_NE(NULL, g);
	if (kcov_present() && opt_guide && opt_corpus)
		corpus_load(opt_corpus);
	if (kcov_present())
		printf("# fuzz: kcov: refslab's text at %#llx-%#llx; %s, corpus of %u sequences from %s\n",
		       (unsigned long long)g->text_lo,
		       (unsigned long long)g->text_hi,
		       opt_guide ? "guided" : "random (--no-guide)", g->nseq,
		       opt_guide && opt_corpus ? opt_corpus : "nowhere");
	else
		printf("# fuzz: no KCOV: random\n");

	printf("# fuzz: seed %#llx (REFSLAB_FUZZ_SEED=%#llx to repeat)\n",
	       (unsigned long long)base_seed, (unsigned long long)base_seed);
	fflush(stdout);
	t0 = now_ns();
	deadline_ns = t0 + opt_seconds * 1000000000ULL;

	root_threads = opt_threads;
	if (opt_only >= 0) {
		/* Replay one thread's stream, as it ran. */
		bool unpriv = geteuid() == 0 && opt_threads > 1 &&
			      opt_only == opt_threads - 1;

		root_threads = 0;
		child = fork();
		ASSERT_LE(0, child);
		if (!child) {
			kcov_prepare(1);
			if (unpriv && become_fuzz_user())
				_exit(1);
			run_threads(opt_only, 1, unpriv);
			_exit(0);
		}
	} else if (geteuid() == 0 && opt_threads > 1) {
		/* The last thread runs as an unprivileged user. */
		unpriv_threads = 1;
		root_threads = opt_threads - 1;
		child = fork();
		ASSERT_LE(0, child);
		if (!child) {
			kcov_prepare(1);
			if (become_fuzz_user())
				_exit(1);
			run_threads(root_threads, 1, true);
			_exit(0);
		}
	}
	stray_files = root_threads ? run_threads(0, root_threads, false) : 0;
	if (child > 0) {
		ASSERT_EQ(child, waitpid(child, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("fuzzing child ended with status %#x", status);
	}
	elapsed = (now_ns() - t0) / 1e9;

	/*
	 * Pins outlive every file: drop the ones the run made, here and in
	 * the unprivileged process's namespace, which is gone but for them.
	 */
	stray_pins = unpin_new(fd, 0, base_pins, nbase);
	EXPECT_LE(0, stray_pins);
	child_ns = atomic_load(&sh->ipc_ns[1]);
	if (child_ns != sh->ipc_ns[0]) {
		stray_child = unpin_new(fd, child_ns, NULL, 0);
		EXPECT_LE(0, stray_child) TH_LOG("unpinning in namespace %llu",
						 (unsigned long long)child_ns);
	}
	close(fd);
	free(base_pins);

	EXPECT_EQ(0, run_balance_wait(&base, &now, 10000));
	for (unsigned int i = 0; i < NR_RUN_COUNTERS; i++) {
		EXPECT_EQ(base.counter[i], now.counter[i])
			TH_LOG("%s: %lld before the run, %lld after (seed %#llx)",
			       run_counters[i], base.counter[i], now.counter[i],
			       (unsigned long long)base_seed);
	}
	for (unsigned int i = 0; i < NR_RUN_CACHES; i++) {
		EXPECT_EQ(base.cache[i], now.cache[i])
			TH_LOG("slab cache %s: %lld objects in use before the run, %lld after (seed %#llx)",
			       run_caches[i], base.cache[i], now.cache[i],
			       (unsigned long long)base_seed);
	}

	total = 0;
	for (int i = 0; i < NR_COUNTED; i++)
		total += sh->calls[i];
	printf("# fuzz: seed %#llx, %lu iterations in %.1f s by %d threads (%d unprivileged)%s\n",
	       (unsigned long long)base_seed, sh->iters, elapsed,
	       opt_only >= 0 ? 1 : opt_threads, unpriv_threads,
	       sh->timed_out ? ", stopped by the time limit" : "");
	printf("# fuzz: %lu calls, %lu of them with an exactly predicted result\n",
	       total, sh->exact);
	for (int i = 0; i < NR_COUNTED; i++)
		printf("# fuzz:   %-24s %8lu calls, %8lu succeeded, %6.2f s in the calls\n",
		       cmd_name[i], sh->calls[i], sh->ok[i], sh->ns[i] / 1e9);
	/* (operations in batches: their time is in BATCH's) */
	for (int e = 1; e < MAX_ERRNO; e++)
		if (sh->errs[e])
			printf("# fuzz:   errno %-10s %lu\n", strerrorname_np(e),
			       sh->errs[e]);
	printf("# fuzz: pins unpinned at the end %d (%d in the unprivileged process's IPC namespace%s); exported files found open %u; contract violations %lu\n",
	       stray_pins, stray_child,
	       child_ns != sh->ipc_ns[0] ? "" : ": none, it shares this one",
	       stray_files, sh->failures);
	fflush(stdout);
	EXPECT_EQ(0, sh->failures)
		TH_LOG("see the FAIL lines above; seed %#llx",
		       (unsigned long long)base_seed);

	if (kcov_present()) {
		unsigned int saved = 0;

		report(true);
		if (opt_guide && opt_corpus)
			saved = corpus_save(opt_corpus);
		printf("# fuzz: kcov: %lu edges, %lu PCs of refslab reached (%lu PCs traced), %s; corpus %u sequences: %u read, %lu new, %u written to %s\n",
		       atomic_load(&g->edges), atomic_load(&g->pcs),
		       atomic_load(&g->traced),
		       opt_guide ? "guided" : "random", atomic_load(&g->nseq),
		       g->loaded, atomic_load(&g->kept), saved,
		       opt_corpus && opt_guide ? opt_corpus : "nowhere");
	}
	if (opt_require_kcov)
		EXPECT_LT(0, g->edges)
			TH_LOG("KCOV traced no PC in refslab's text (REFSLAB_FUZZ_REQUIRE_KCOV=1)");
	fflush(stdout);
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--seed N] [--iters N] [--seconds N] [--threads N] [--only K]\n"
		"       [--corpus DIR] [--no-guide] [harness options]\n"
		"  REFSLAB_FUZZ_SEED, REFSLAB_FUZZ_ITERS, REFSLAB_FUZZ_SECONDS,\n"
		"  REFSLAB_FUZZ_CORPUS and REFSLAB_FUZZ_GUIDE=0 in the environment are\n"
		"  --seed, --iters, --seconds, --corpus and --no-guide.  Default: %lu\n"
		"  iterations, at most %ld s, 4 threads (the last unprivileged).\n",
		prog, DEFAULT_ITERS, DEFAULT_SECONDS);
	exit(KSFT_FAIL);
}

int main(int argc, char **argv)
{
	const char *env;
	int n = 1;

	if ((env = getenv("REFSLAB_FUZZ_SEED")) && *env) {
		opt_seed = strtoull(env, NULL, 0);
		opt_seed_set = true;
	}
	if ((env = getenv("REFSLAB_FUZZ_ITERS")) && *env)
		opt_iters = strtoul(env, NULL, 0);
	if ((env = getenv("REFSLAB_FUZZ_SECONDS")) && *env)
		opt_seconds = strtol(env, NULL, 0);
	env = getenv("REFSLAB_FUZZ_CORPUS");
	if (env && *env)
		opt_corpus = env;
	env = getenv("REFSLAB_FUZZ_GUIDE");
	opt_guide = !env || strcmp(env, "0");
	env = getenv("REFSLAB_FUZZ_REQUIRE_KCOV");
	opt_require_kcov = env && !strcmp(env, "1");
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];

		if (!strcmp(o, "--no-guide")) {
			opt_guide = false;
			continue;
		}
		if (strcmp(o, "--seed") && strcmp(o, "--iters") &&
		    strcmp(o, "--seconds") && strcmp(o, "--threads") &&
		    strcmp(o, "--only") && strcmp(o, "--corpus")) {
			argv[n++] = argv[i];
			continue;
		}
		if (i + 1 >= argc)
			usage(argv[0]);
		env = argv[++i];
		if (!strcmp(o, "--seed")) {
			opt_seed = strtoull(env, NULL, 0);
			opt_seed_set = true;
		} else if (!strcmp(o, "--iters")) {
			opt_iters = strtoul(env, NULL, 0);
		} else if (!strcmp(o, "--seconds")) {
			opt_seconds = strtol(env, NULL, 0);
		} else if (!strcmp(o, "--corpus")) {
			opt_corpus = env;
		} else if (!strcmp(o, "--threads")) {
			opt_threads = atoi(env);
		} else {
			opt_only = atoi(env);
		}
	}
	argv[n] = NULL;
	if (opt_threads < 1 || opt_seconds < 1 || !opt_iters)
		usage(argv[0]);
	base_seed = opt_seed_set ? opt_seed : now_ns() ^ ((uint64_t)getpid() << 32);
	_fuzz_object.timeout = opt_seconds + 120;
	return test_harness_run(n, argv);
}

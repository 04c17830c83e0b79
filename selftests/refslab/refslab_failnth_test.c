// SPDX-License-Identifier: GPL-2.0
/*
 * refslab kselftest: systematic fault injection.  For every operation,
 * fail the 1st, 2nd, 3rd, ... allocation or user copy inside the call (via
 * /proc/thread-self/fail-nth, with failslab and fail_usercopy) until the
 * call runs without reaching the injected fault.  At every point the call
 * must fail cleanly (ENOMEM, EFAULT) or succeed, and a failed call must
 * leave the handle table, the object's references and every counter as
 * they were.  Needs a kernel with CONFIG_FAULT_INJECTION (the debug
 * kernel); skips elsewhere.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <poll.h>

#define REFSLAB_SELFTEST_SHARE_HELPERS
#include "refslab_selftest.h"

#define FAILNTH		"/proc/thread-self/fail-nth"
#define MAX_POINTS	500

/* What an operation works on; set up fresh before each injection. */
struct ctx {
	int fd;			/* the device, holding @handle */
	uint32_t handle;	/* to an object of 100 bytes */
	uint64_t id;
	int objfd;		/* an exported file of the object */
	int newfd;		/* a file the operation made, or -1 */
	uint32_t new_handle;	/* a handle the operation made, or 0 */
	uint8_t buf[4096];
};

struct op {
	const char *name;
	/* Before the fault is armed, for state only this operation needs. */
	int (*prepare)(struct ctx *c);
	int (*run)(struct ctx *c);
	/* Undo a successful run, leaving the context as setup made it. */
	void (*undo)(struct ctx *c);
};

static void undo_new_handle(struct ctx *c)
{
	rs_put(c->fd, c->new_handle, 1, NULL);
}

static void undo_newfd(struct ctx *c)
{
	close(c->newfd);
}

static int op_open(struct ctx *c)
{
	c->newfd = open(DEV, O_RDWR);
	return c->newfd < 0 ? -errno : 0;
}

/* A file holding a handle of its own, to close under injection. */
static int prepare_close(struct ctx *c)
{
	uint32_t h;

	c->newfd = open(DEV, O_RDWR);
	if (c->newfd < 0)
		return -errno;
	return rs_open(c->newfd, c->id, REFSLAB_RIGHT_READ, &h);
}

static int op_close(struct ctx *c)
{
	return close(c->newfd) ? -errno : 0;
}

/*
 * A CREATE whose id is the first of a new leaf of the namespace's id
 * registry, so that reserving its slot must allocate an xarray node: ids
 * grow by one, a leaf holds 64 of them (XA_CHUNK_SIZE), and publishing an
 * object keeps the next id's slot only within its own leaf.  Objects are
 * created and put until the last id given out is one below a multiple of
 * 64.
 */
static int prepare_create_leaf(struct ctx *c)
{
	uint64_t id = c->id;
	uint32_t h;
	int ret;

	/* At least once: ids may have been given out since c->id. */
	do {
		ret = rs_create(c->fd, 8, NULL, 0, &h, &id);
		if (!ret)
			ret = rs_put(c->fd, h, 1, NULL);
		if (ret)
			return ret;
	} while ((id + 1) % 64);
	return 0;
}

static int op_create(struct ctx *c)
{
	return rs_create(c->fd, 200, "initial", 8, &c->new_handle, NULL);
}

static int op_get(struct ctx *c)
{
	return rs_get(c->fd, c->handle, 2, NULL);
}

static void undo_get(struct ctx *c)
{
	rs_put(c->fd, c->handle, 2, NULL);
}

static int op_put(struct ctx *c)
{
	return rs_put(c->fd, c->handle, 1, NULL);
}

static void undo_put(struct ctx *c)
{
	rs_get(c->fd, c->handle, 1, NULL);
}

static int op_dup(struct ctx *c)
{
	return rs_dup(c->fd, c->handle, &c->new_handle);
}

static int op_info(struct ctx *c)
{
	struct refslab_info info;

	return rs_info(c->fd, c->handle, &info);
}

static int op_read(struct ctx *c)
{
	return rs_read(c->fd, c->handle, 0, 100, c->buf, NULL);
}

static int op_write(struct ctx *c)
{
	return rs_write(c->fd, c->handle, 0, 100, c->buf, NULL);
}

static int op_export(struct ctx *c)
{
	struct refslab_export e = { .size = sizeof(e), .handle = c->handle };
	int ret = rs_ioctl(c->fd, REFSLAB_IOC_EXPORT, &e);

	if (!ret)
		c->newfd = e.fd;
	return ret;
}

/*
 * EXPORT with fewer rights than the file the handle keeps (ctx_setup()'s):
 * a new file, so its allocations are swept too.
 */
static int op_export_new(struct ctx *c)
{
	struct refslab_export e = {
		.size = sizeof(e), .flags = REFSLAB_EXPORT_RIGHTS,
		.handle = c->handle, .rights = REFSLAB_RIGHT_READ,
	};
	int ret = rs_ioctl(c->fd, REFSLAB_IOC_EXPORT, &e);

	if (!ret)
		c->newfd = e.fd;
	return ret;
}

static int op_import(struct ctx *c)
{
	struct refslab_import im = { .size = sizeof(im), .fd = c->objfd };
	int ret = rs_ioctl(c->fd, REFSLAB_IOC_IMPORT, &im);

	if (!ret)
		c->new_handle = im.handle;
	return ret;
}

/*
 * The first handle of a new file, whose table makes its directory and
 * first page of slots then.  The file is the operation's: closed again if
 * the handle could not be made.
 */
static int op_first_handle(struct ctx *c)
{
	uint32_t h;
	int ret;

	c->newfd = open(DEV, O_RDWR);
	if (c->newfd < 0)
		return -errno;
	ret = rs_open(c->newfd, c->id, REFSLAB_RIGHT_READ, &h);
	if (ret)
		close(c->newfd);
	return ret;
}

static int op_open_by_id(struct ctx *c)
{
	return rs_open(c->fd, c->id, REFSLAB_RIGHTS_ALL, &c->new_handle);
}

static int op_setattr(struct ctx *c)
{
	struct refslab_setattr a = {
		.size = sizeof(a), .handle = c->handle,
		.flags = REFSLAB_SETATTR_UID | REFSLAB_SETATTR_MODE,
		.uid = 4242, .mode = 0640,
	};

	return rs_ioctl(c->fd, REFSLAB_IOC_SETATTR, &a);
}

static void undo_setattr(struct ctx *c)
{
	struct refslab_setattr a = {
		.size = sizeof(a), .handle = c->handle,
		.flags = REFSLAB_SETATTR_UID | REFSLAB_SETATTR_MODE,
		.uid = 0, .mode = 0600,
	};

	rs_ioctl(c->fd, REFSLAB_IOC_SETATTR, &a);
}

static int op_pin(struct ctx *c)
{
	struct refslab_pin p = { .size = sizeof(p), .id = c->id };

	return rs_ioctl(c->fd, REFSLAB_IOC_PIN, &p);
}

static void undo_pin(struct ctx *c)
{
	struct refslab_pin p = { .size = sizeof(p), .id = c->id };

	rs_ioctl(c->fd, REFSLAB_IOC_UNPIN, &p);
}

static int op_list_pinned(struct ctx *c)
{
	uint64_t ids[8];
	struct refslab_list l = {
		.size = sizeof(l), .ids = (uintptr_t)ids, .count = 8,
	};

	return rs_ioctl(c->fd, REFSLAB_IOC_LIST_PINNED, &l);
}

static int op_subscribe(struct ctx *c)
{
	struct refslab_subscribe s = { .size = sizeof(s), .handle = c->handle };

	return rs_ioctl(c->fd, REFSLAB_IOC_SUBSCRIBE, &s);
}

static int op_subscribe_id(struct ctx *c)
{
	return rs_subscribe_id(c->fd, c->id, 1);
}

/* This IPC namespace's inode number, read before faults are armed. */
static uint64_t list_ns_ino;

/* The namespaces holding pins, with this one's (the object is pinned). */
static int prepare_list_namespaces(struct ctx *c)
{
	list_ns_ino = ns_ino(0, "ipc");
	if (!list_ns_ino)
		return -ENOENT;
	return rs_pin(c->fd, REFSLAB_IOC_PIN, c->id);
}

static int op_list_namespaces(struct ctx *c)
{
	uint64_t ns[8];
	int ret = rs_list(c->fd, REFSLAB_LIST_NAMESPACES, 0, 0, ns, 8);

	if (ret < 0)
		return ret;
	ret = rs_list(c->fd, REFSLAB_LIST_NS, list_ns_ino, 0, ns, 8);
	return ret < 0 ? ret : 0;
}

/* Undoes whatever part of the batch ran, so it acts as one operation. */
static int op_batch(struct ctx *c)
{
	struct refslab_ref r = { .size = sizeof(r), .handle = c->handle,
				 .count = 1 };
	/* One inline operation and one by pointer: both forms are swept. */
	struct refslab_batch_op ops[2] = {
		{ .cmd = REFSLAB_CMD_CREATE, .flags = REFSLAB_BATCH_OP_INLINE,
		  .create = { .payload_size = 50 } },
		{ .cmd = REFSLAB_CMD_GET, .arg = (uintptr_t)&r },
	};
	struct refslab_batch b = {
		.size = sizeof(b), .ops = (uintptr_t)ops, .count = 2,
	};
	int ret = rs_ioctl(c->fd, REFSLAB_IOC_BATCH, &b);

	if (ret)
		return ret;
	if (b.done > 0 && ops[0].result == 0)
		rs_put(c->fd, ops[0].create.handle, 1, NULL);
	if (b.done > 1 && ops[1].result == 0)
		rs_put(c->fd, c->handle, 1, NULL);
	if (b.done < 2)
		return b.done && ops[0].result ? ops[0].result : -ENOMEM;
	return ops[0].result ? ops[0].result : ops[1].result;
}

/*
 * A run of four inline CREATEs, one with data, made together, its first
 * id the first of a new leaf (prepare_create_leaf()): the run's registry
 * walk must allocate the node on its way.  Whatever part ran is undone.
 */
static int op_batch_create_leaf(struct ctx *c)
{
	static const char data[8] = "initial";
	struct refslab_batch_op ops[4];
	struct refslab_batch b = {
		.size = sizeof(b), .ops = (uintptr_t)ops, .count = 4,
	};
	int ret, i;

	for (i = 0; i < 4; i++)
		ops[i] = (struct refslab_batch_op){
			.cmd = REFSLAB_CMD_CREATE,
			.flags = REFSLAB_BATCH_OP_INLINE,
			.create = { .payload_size = 8 },
		};
	ops[2].create.data = (uintptr_t)data;
	ops[2].create.data_len = sizeof(data);
	ret = rs_ioctl(c->fd, REFSLAB_IOC_BATCH, &b);
	if (ret)
		return ret;
	for (i = 0; i < (int)b.done; i++) {
		if (ops[i].result)
			return ops[i].result;
		rs_put(c->fd, ops[i].create.handle, 1, NULL);
	}
	return b.done < 4 ? -ENOMEM : 0;
}

/* A GET and a PUT as reference changes: both ran, or the GET is undone. */
static int op_batch_refs(struct ctx *c)
{
	struct refslab_ref_change rc[2] = {
		{ .handle = c->handle, .delta = 1 },
		{ .handle = c->handle, .delta = -1 },
	};
	struct refslab_batch b = {
		.size = sizeof(b), .flags = REFSLAB_BATCH_REFS,
		.ops = (uintptr_t)rc, .count = 2,
	};
	int ret = rs_ioctl(c->fd, REFSLAB_IOC_BATCH, &b);

	if (ret)
		return ret;
	if (b.done == 1 && rc[0].result == 0)
		rs_put(c->fd, c->handle, 1, NULL);
	if (b.done < 2)
		return b.done && rc[0].result ? rc[0].result : -EFAULT;
	return rc[0].result ? rc[0].result : rc[1].result;
}

static const struct op ops[] = {
	{ "open", NULL, op_open, undo_newfd },
	{ "close", prepare_close, op_close, NULL },
	{ "create", NULL, op_create, undo_new_handle },
	{ "get", NULL, op_get, undo_get },
	{ "put", NULL, op_put, undo_put },
	{ "dup", NULL, op_dup, undo_new_handle },
	{ "info", NULL, op_info, NULL },
	{ "read", NULL, op_read, NULL },
	{ "write", NULL, op_write, NULL },
	{ "export", NULL, op_export, undo_newfd },
	{ "import", NULL, op_import, undo_new_handle },
	{ "open_by_id", NULL, op_open_by_id, undo_new_handle },
	{ "setattr", NULL, op_setattr, undo_setattr },
	{ "pin", NULL, op_pin, undo_pin },
	{ "list_pinned", NULL, op_list_pinned, NULL },
	{ "subscribe", NULL, op_subscribe, NULL },
	{ "batch", NULL, op_batch, NULL },
	{ "subscribe_id", NULL, op_subscribe_id, NULL },
	{ "list_namespaces", prepare_list_namespaces, op_list_namespaces,
	  NULL },
	{ "create_leaf", prepare_create_leaf, op_create, undo_new_handle },
	{ "export_new", NULL, op_export_new, undo_newfd },
	{ "first_handle", NULL, op_first_handle, undo_newfd },
	{ "batch_refs", NULL, op_batch_refs, NULL },
	{ "batch_create_leaf", prepare_create_leaf, op_batch_create_leaf,
	  NULL },
};

/* Everything a failed call must leave exactly as it was. */
#define NR_STATE_COUNTERS	7

struct state {
	long long counters[NR_STATE_COUNTERS];
	long long fds;
	uint32_t object_refs, handle_refs;
	char fdinfo[256];
};

static const char *const state_counters[NR_STATE_COUNTERS] = {
	"objects_live", "handles_live", "references_live", "payload_bytes",
	"pinned_objects", "open_files", "object_files",
};

static long long count_fds(void)
{
	struct dirent *de;
	long long n = 0;
	DIR *d = opendir("/proc/self/fd");

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n++;
	closedir(d);
	return n;
}

/*
 * The handle table as fdinfo shows it: its handles and references lines
 * (not the count of objects ever created, which a batch whose first part
 * ran and was undone legitimately moves).
 */
static void read_fdinfo(int fd, char *out, size_t len)
{
	char path[64], buf[512] = "", *end;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY);
	if (f >= 0) {
		if (read(f, buf, sizeof(buf) - 1) < 0)
			buf[0] = 0;
		close(f);
	}
	end = strstr(buf, "refslab-objects-created:");
	if (end)
		*end = 0;
	end = strstr(buf, "refslab-handles:");
	snprintf(out, len, "%s", end ? end : "");
}

static void state_take(struct ctx *c, struct state *s)
{
	struct refslab_info info;

	for (int i = 0; i < NR_STATE_COUNTERS; i++)
		s->counters[i] = stat_read(state_counters[i]);
	s->fds = count_fds();
	s->object_refs = s->handle_refs = 0;
	if (!rs_info(c->fd, c->handle, &info)) {
		s->object_refs = info.object_refs;
		s->handle_refs = info.handle_refs;
	}
	read_fdinfo(c->fd, s->fdinfo, sizeof(s->fdinfo));
}

FIXTURE(failnth) {
	struct baseline base;
	int failnth;
	struct ctx c;
};

FIXTURE_VARIANT(failnth) {
	const struct op *op;
};

#define FAILNTH_VARIANT(_i, _name) \
	FIXTURE_VARIANT_ADD(failnth, _name) { .op = &ops[_i] }

FAILNTH_VARIANT(0, open);
FAILNTH_VARIANT(1, close);
FAILNTH_VARIANT(2, create);
FAILNTH_VARIANT(3, get);
FAILNTH_VARIANT(4, put);
FAILNTH_VARIANT(5, dup);
FAILNTH_VARIANT(6, info);
FAILNTH_VARIANT(7, read);
FAILNTH_VARIANT(8, write);
FAILNTH_VARIANT(9, export);
FAILNTH_VARIANT(10, import);
FAILNTH_VARIANT(11, open_by_id);
FAILNTH_VARIANT(12, setattr);
FAILNTH_VARIANT(13, pin);
FAILNTH_VARIANT(14, list_pinned);
FAILNTH_VARIANT(15, subscribe);
FAILNTH_VARIANT(16, batch);
FAILNTH_VARIANT(17, subscribe_id);
FAILNTH_VARIANT(18, list_namespaces);
FAILNTH_VARIANT(19, create_leaf);
FAILNTH_VARIANT(20, export_new);
FAILNTH_VARIANT(21, first_handle);
FAILNTH_VARIANT(22, batch_refs);
FAILNTH_VARIANT(23, batch_create_leaf);

FIXTURE_SETUP(failnth)
{
	baseline_take(&self->base);
	self->c.fd = open_dev(_metadata);
	if (self->c.fd < 0)
		return;
	self->failnth = open(FAILNTH, O_RDWR);
	if (self->failnth < 0)
		SKIP(return, "no " FAILNTH " (kernel without fault injection)");
	/* Count GFP_KERNEL allocations, and inject silently. */
	if (write_file("/sys/kernel/debug/failslab/ignore-gfp-wait", "N") ||
	    write_file("/sys/kernel/debug/failslab/verbose", "0"))
		SKIP(return, "no failslab in debugfs");
	write_file("/sys/kernel/debug/fail_usercopy/verbose", "0");
}

FIXTURE_TEARDOWN(failnth)
{
	if (self->c.fd >= 0)
		close(self->c.fd);
	EXPECT_BASELINE(&self->base);
}

static void ctx_setup(struct __test_metadata *_metadata, struct ctx *c)
{
	struct refslab_export e = { .size = sizeof(e) };

	ASSERT_EQ(0, rs_create(c->fd, 100, NULL, 0, &c->handle, &c->id));
	e.handle = c->handle;
	ASSERT_EQ(0, rs_ioctl(c->fd, REFSLAB_IOC_EXPORT, &e));
	c->objfd = e.fd;
	c->newfd = -1;
	c->new_handle = 0;
}

static void ctx_teardown(struct ctx *c)
{
	close(c->objfd);
	rs_pin(c->fd, REFSLAB_IOC_UNPIN, c->id);	/* if it was pinned */
	rs_put(c->fd, c->handle, 1, NULL);
}

/* Arm fail-nth; returns how many faults were left unused (0: one hit). */
static int failnth_arm(int fd, int n)
{
	char val[16];

	snprintf(val, sizeof(val), "%d", n);
	return pwrite(fd, val, strlen(val), 0) < 0 ? -errno : 0;
}

/*
 * Disarm fail-nth and say how many fault points were left unused: 0 if
 * the operation reached the armed one.  Reading and writing the file copy
 * to and from userspace, which are fault points too: if the armed fault
 * is still pending, it fires there, as EFAULT, and the operation did not
 * reach it.
 */
static int failnth_disarm(int fd)
{
	char val[16] = "";
	int left;

	if (pread(fd, val, sizeof(val) - 1, 0) < 0) {
		if (errno != EFAULT)
			return -1;
		left = 1;
	} else {
		left = atoi(val);
	}
	if (pwrite(fd, "0", 1, 0) < 0) {
		if (errno != EFAULT || pwrite(fd, "0", 1, 0) < 0)
			return -1;
		left = 1;
	}
	return left;
}

TEST_F_TIMEOUT(failnth, sweep, 600)
{
	const struct op *op = variant->op;
	struct state before, after;
	int n, ret, left = 0, failed = 0, succeeded = 0;

	for (n = 1; n <= MAX_POINTS; n++) {
		ctx_setup(_metadata, &self->c);
		if (op->prepare)
			ASSERT_EQ(0, op->prepare(&self->c));
		state_take(&self->c, &before);

		ASSERT_EQ(0, failnth_arm(self->failnth, n));
		ret = op->run(&self->c);
		left = failnth_disarm(self->failnth);
		ASSERT_LE(0, left);

		if (left) {
			/* Ran to the end without reaching fault n: done. */
			ASSERT_EQ(0, ret) TH_LOG("%s without a fault: %d",
						 op->name, ret);
			if (op->undo)
				op->undo(&self->c);
			ctx_teardown(&self->c);
			break;
		}
		if (ret) {
			ASSERT_TRUE(ret == -ENOMEM || ret == -EFAULT)
				TH_LOG("%s, fault %d: errno %d", op->name, n, -ret);
			state_take(&self->c, &after);
			for (int i = 0; i < NR_STATE_COUNTERS; i++) {
				EXPECT_EQ(before.counters[i], after.counters[i])
					TH_LOG("%s, fault %d: %s changed", op->name,
					       n, state_counters[i]);
			}
			EXPECT_EQ(before.fds, after.fds)
				TH_LOG("%s, fault %d: descriptors", op->name, n);
			EXPECT_EQ(before.object_refs, after.object_refs)
				TH_LOG("%s, fault %d: object references",
				       op->name, n);
			EXPECT_EQ(before.handle_refs, after.handle_refs)
				TH_LOG("%s, fault %d: handle references",
				       op->name, n);
			EXPECT_STREQ(before.fdinfo, after.fdinfo)
				TH_LOG("%s, fault %d: handle table", op->name, n);
			failed++;
		} else {
			/* The fault was absorbed: the call worked anyway. */
			if (op->undo)
				op->undo(&self->c);
			succeeded++;
		}
		ctx_teardown(&self->c);
		if (_metadata->exit_code)
			break;
	}
	EXPECT_NE(0, left) TH_LOG("%s: no success within %d faults", op->name,
				  MAX_POINTS);
	TH_LOG("%s: %d injection points (%d failed cleanly, %d absorbed)",
	       op->name, n - 1, failed, succeeded);
	ksft_print_msg("failnth %s points=%d\n", op->name, n - 1);
}

#define FAILSLAB	"/sys/kernel/debug/failslab/"

/*
 * A function's text from /proc/kallsyms: its address, and the lowest
 * address of any other symbol above it.  0 if absent or hidden (addresses
 * read as 0 without CAP_SYSLOG).
 */
static unsigned long kallsyms_range(const char *sym, unsigned long *end)
{
	unsigned long addr = 0, a, above = ~0UL;
	char line[256], name[128], type;
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return 0;
	while (!addr && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx %c %127s", &a, &type, name) == 3 &&
		    !strcmp(name, sym))
			addr = a;
	rewind(f);
	while (addr && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx", &a) == 1 && a > addr && a < above)
			above = a;
	fclose(f);
	*end = above;
	return addr;
}

static int write_ulong(const char *path, unsigned long val)
{
	char v[32];

	snprintf(v, sizeof(v), "%#lx", val);
	return write_file(path, v);
}

/*
 * The registry's node allocation failing for good (object.c, err_free).
 * xa_insert() allocates a node without sleeping under its lock and, when
 * that fails, once more with the caller's flags: only two failures in a
 * row fail the insert, which fail-nth cannot give.  failslab can: for
 * this task only (task-filter, make-it-fail), and only for allocations
 * with __xa_insert() on the stack (its stack trace filter).
 *
 * A CREATE's slot is usually the one that publishing the object before it
 * kept; the first id of a leaf (prepare_create_leaf()) reserves its own,
 * allocating the leaf, and fails.
 */
TEST(registry_node_fails_twice)
{
	struct ctx c = { .newfd = -1 };
	struct state before, after;
	unsigned long start, end;
	struct baseline base;
	uint32_t h;
	int ret;

	baseline_take(&base);
	start = kallsyms_range("__xa_insert", &end);
	if (access(FAILSLAB "require-start", W_OK) || !start)
		SKIP(return, "no failslab stack trace filter, or no __xa_insert in /proc/kallsyms");
	c.fd = open_dev(_metadata);
	ASSERT_LE(0, c.fd);
	ctx_setup(_metadata, &c);
	/*
	 * The handle table inserts into its xarray only for a new slot; once
	 * more than 64 freed slots wait, a new handle reuses one.  So the
	 * failures below hit the registry only.
	 */
	for (int i = 0; i < 65; i++) {
		ASSERT_EQ(0, rs_create(c.fd, 8, NULL, 0, &h, NULL));
		ASSERT_EQ(0, rs_put(c.fd, h, 1, NULL));
	}
	ASSERT_EQ(0, prepare_create_leaf(&c));

	ASSERT_EQ(0, write_file(FAILSLAB "ignore-gfp-wait", "N"));
	ASSERT_EQ(0, write_file(FAILSLAB "verbose", "0"));
	ASSERT_EQ(0, write_file(FAILSLAB "stacktrace-depth", "32"));
	ASSERT_EQ(0, write_ulong(FAILSLAB "require-start", start));
	ASSERT_EQ(0, write_ulong(FAILSLAB "require-end", end));
	ASSERT_EQ(0, write_file(FAILSLAB "task-filter", "Y"));
	ASSERT_EQ(0, write_file(FAILSLAB "times", "2"));
	ASSERT_EQ(0, write_file(FAILSLAB "probability", "100"));
	ASSERT_EQ(0, write_file("/proc/thread-self/make-it-fail", "1"));
	state_take(&c, &before);
	ret = rs_create(c.fd, 8, NULL, 0, &c.new_handle, NULL);
	write_file("/proc/thread-self/make-it-fail", "0");
	write_file(FAILSLAB "probability", "0");
	write_file(FAILSLAB "task-filter", "N");
	write_ulong(FAILSLAB "require-start", 0);
	write_ulong(FAILSLAB "require-end", ~0UL);

	/* Both failures spent on the new leaf: the try and the retry. */
	EXPECT_EQ(-ENOMEM, ret);
	EXPECT_EQ(0, read_long(FAILSLAB "times"));
	write_file(FAILSLAB "times", "1");
	state_take(&c, &after);
	for (int i = 0; i < 6; i++) {
		EXPECT_EQ(before.counters[i], after.counters[i])
			TH_LOG("%s changed", state_counters[i]);
	}
	EXPECT_STREQ(before.fdinfo, after.fdinfo);
	if (!ret)
		undo_new_handle(&c);
	ctx_teardown(&c);
	close(c.fd);
	EXPECT_BASELINE(&base);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * refslab_bench: the peers, what a user would pick instead of a refslab
 * object, each measured beside the refslab row it compares with (single.c
 * calls them in that order): DRM GEM through vgem, user keys, memfd.  The
 * comparisons (refslab / peer) are listed at the end of this file.
 *
 * vgem needs its modules loaded (vm/run.sh does it in bench mode); without
 * /dev/dri/card0 of driver vgem the GEM rows are left out, with a note.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

/*
 * The few DRM uapi structures and commands used here (include/uapi/drm/
 * drm.h and drm_mode.h): the host has no libdrm headers, and these are a
 * stable ABI.
 */
struct gem_close { uint32_t handle, pad; };
struct gem_flink { uint32_t handle, name; };
struct gem_open { uint32_t name, handle; uint64_t size; };
struct prime_handle { uint32_t handle, flags; int32_t fd; };
struct create_dumb {
	uint32_t height, width, bpp, flags;
	uint32_t handle, pitch;
	uint64_t size;
};
struct drm_version_arg {
	int major, minor, patchlevel;
	size_t name_len;
	char *name;
	size_t date_len;
	char *date;
	size_t desc_len;
	char *desc;
};

#define DRM_BASE		'd'
#define DRM_VERSION_IOC		_IOWR(DRM_BASE, 0x00, struct drm_version_arg)
#define GEM_CLOSE		_IOW(DRM_BASE, 0x09, struct gem_close)
#define GEM_FLINK		_IOWR(DRM_BASE, 0x0a, struct gem_flink)
#define GEM_OPEN		_IOWR(DRM_BASE, 0x0b, struct gem_open)
#define PRIME_HANDLE_TO_FD	_IOWR(DRM_BASE, 0x2d, struct prime_handle)
#define PRIME_FD_TO_HANDLE	_IOWR(DRM_BASE, 0x2e, struct prime_handle)
#define MODE_CREATE_DUMB	_IOWR(DRM_BASE, 0xB2, struct create_dumb)

#define DRM_CARD	"/dev/dri/card0"

struct peer_ctx {
	int card, card2;	/* two files of the vgem device */
	uint32_t bo, name;	/* a 64-byte dumb buffer, its flink name */
	int memfd;
	int32_t key;
	uint8_t buf[PAYLOAD];
};

static int gem_close(int card, uint32_t handle)
{
	struct gem_close c = { .handle = handle };

	if (ioctl(card, GEM_CLOSE, &c)) {
		error_msg("GEM_CLOSE %u: %s", handle, strerror(errno));
		return -1;
	}
	return 0;
}

/* A dumb buffer of 64 bytes (16 x 1 pixels of 32 bits). */
static int gem_create(int card, uint32_t *handle)
{
	struct create_dumb d = { .height = 1, .width = 16, .bpp = 32 };

	if (ioctl(card, MODE_CREATE_DUMB, &d) || !d.handle) {
		error_msg("MODE_CREATE_DUMB: %s", strerror(errno));
		return -1;
	}
	*handle = d.handle;
	return 0;
}

static int gem_export(int card, uint32_t handle, int *fd)
{
	struct prime_handle p = {
		.handle = handle,
		.flags = O_CLOEXEC | O_RDWR,
		.fd = -1,
	};

	if (ioctl(card, PRIME_HANDLE_TO_FD, &p) || p.fd < 0) {
		error_msg("PRIME_HANDLE_TO_FD: %s", strerror(errno));
		return -1;
	}
	*fd = p.fd;
	return 0;
}

static int loop_gem_create(void *p, uint64_t n)
{
	struct peer_ctx *c = p;
	uint32_t h;

	while (n--)
		if (gem_create(c->card, &h) || gem_close(c->card, h))
			return -1;
	return 0;
}

static int loop_gem_export(void *p, uint64_t n)
{
	struct peer_ctx *c = p;
	int fd;

	while (n--) {
		if (gem_export(c->card, c->bo, &fd))
			return -1;
		if (close(fd)) {
			error_msg("close of a dma-buf: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* To a dma-buf, into the second file, closed there, the fd closed. */
static int loop_gem_export_import(void *p, uint64_t n)
{
	struct peer_ctx *c = p;
	struct prime_handle im;
	int fd;

	while (n--) {
		if (gem_export(c->card, c->bo, &fd))
			return -1;
		im = (struct prime_handle){ .fd = fd };
		if (ioctl(c->card2, PRIME_FD_TO_HANDLE, &im) || !im.handle) {
			error_msg("PRIME_FD_TO_HANDLE: %s", strerror(errno));
			return -1;
		}
		if (gem_close(c->card2, im.handle) || close(fd))
			return -1;
	}
	return 0;
}

/* GEM_OPEN of the flink name in the second file, then GEM_CLOSE. */
static int loop_gem_open(void *p, uint64_t n)
{
	struct peer_ctx *c = p;
	struct gem_open o;

	while (n--) {
		o = (struct gem_open){ .name = c->name };
		if (ioctl(c->card2, GEM_OPEN, &o) || !o.handle) {
			error_msg("GEM_OPEN %u: %s", c->name, strerror(errno));
			return -1;
		}
		if (gem_close(c->card2, o.handle))
			return -1;
	}
	return 0;
}

static long keyctl(long cmd, long a, long b, long c)
{
	return syscall(SYS_keyctl, cmd, a, b, c, 0L);
}

/*
 * A user key of PAYLOAD bytes in the process keyring.  An add_key of a
 * description the keyring already holds updates that key instead: the
 * add+unlink loop and the key read and updated use different ones.
 */
static int32_t add_user_key(const char *desc, const void *payload)
{
	return syscall(SYS_add_key, "user", desc, payload, (size_t)PAYLOAD,
		       KEY_SPEC_PROCESS_KEYRING);
}

static int loop_key_add(void *p, uint64_t n)
{
	struct peer_ctx *c = p;
	int32_t k;

	while (n--) {
		k = add_user_key("refslab-bench-new", c->buf);
		if (k < 0 || keyctl(KEYCTL_UNLINK, k, KEY_SPEC_PROCESS_KEYRING,
				    0)) {
			error_msg("add_key/unlink: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int loop_key_read(void *p, uint64_t n)
{
	struct peer_ctx *c = p;

	while (n--)
		if (keyctl(KEYCTL_READ, c->key, (long)c->buf, PAYLOAD) !=
		    PAYLOAD) {
			error_msg("KEYCTL_READ: %s", strerror(errno));
			return -1;
		}
	return 0;
}

static int loop_key_update(void *p, uint64_t n)
{
	struct peer_ctx *c = p;

	while (n--)
		if (keyctl(KEYCTL_UPDATE, c->key, (long)c->buf, PAYLOAD)) {
			error_msg("KEYCTL_UPDATE: %s", strerror(errno));
			return -1;
		}
	return 0;
}

static int loop_memfd_create(void *p, uint64_t n)
{
	int fd;

	(void)p;
	while (n--) {
		fd = memfd_create("refslab-bench", MFD_CLOEXEC);
		if (fd < 0 || close(fd)) {
			error_msg("memfd_create/close: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int loop_memfd_pread(void *p, uint64_t n)
{
	struct peer_ctx *c = p;

	while (n--)
		if (pread(c->memfd, c->buf, PAYLOAD, 0) != PAYLOAD) {
			error_msg("memfd pread: %s", strerror(errno));
			return -1;
		}
	return 0;
}

static int loop_memfd_pwrite(void *p, uint64_t n)
{
	struct peer_ctx *c = p;

	while (n--)
		if (pwrite(c->memfd, c->buf, PAYLOAD, 0) != PAYLOAD) {
			error_msg("memfd pwrite: %s", strerror(errno));
			return -1;
		}
	return 0;
}

static struct peer_ctx pc = { .card = -1, .card2 = -1,
			      .memfd = -1, .key = -1 };

/* Whether DRM_CARD is vgem's. */
static bool is_vgem(int card)
{
	char name[16] = "";
	struct drm_version_arg v = {
		.name_len = sizeof(name) - 1,
		.name = name,
	};

	return !ioctl(card, DRM_VERSION_IOC, &v) && !strcmp(name, "vgem");
}

static void gem_setup(void)
{
	struct gem_flink fl = { 0 };

	pc.card = open(DRM_CARD, O_RDWR | O_CLOEXEC);
	pc.card2 = open(DRM_CARD, O_RDWR | O_CLOEXEC);
	if (pc.card < 0 || pc.card2 < 0 || !is_vgem(pc.card)) {
		note("no vgem at %s (%s): the GEM peers are left out", DRM_CARD,
		     pc.card < 0 ? strerror(errno) : "another driver");
		goto fail;
	}
	if (gem_create(pc.card, &pc.bo))
		goto fail;
	fl.handle = pc.bo;
	if (ioctl(pc.card, GEM_FLINK, &fl) || !fl.name) {
		error_msg("GEM_FLINK: %s", strerror(errno));
		goto fail;
	}
	pc.name = fl.name;
	return;
fail:
	if (pc.card >= 0)
		close(pc.card);
	if (pc.card2 >= 0)
		close(pc.card2);
	pc.card = pc.card2 = -1;
}

/* Open what the peers need (once: --trace may ask again). */
void peers_setup(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	memset(pc.buf, 0x5a, sizeof(pc.buf));
	gem_setup();
	pc.key = add_user_key("refslab-bench", pc.buf);
	if (pc.key < 0)
		error_msg("add_key: %s", strerror(errno));
	pc.memfd = memfd_create("refslab-bench", MFD_CLOEXEC);
	if (pc.memfd < 0 || ftruncate(pc.memfd, 4096) ||
	    pwrite(pc.memfd, pc.buf, PAYLOAD, 0) != PAYLOAD)
		error_msg("memfd: %s", strerror(errno));
}

void peers_teardown(void)
{
	if (pc.card >= 0) {
		gem_close(pc.card, pc.bo);
		close(pc.card);
		close(pc.card2);
	}
	if (pc.key >= 0)
		keyctl(KEYCTL_UNLINK, pc.key, KEY_SPEC_PROCESS_KEYRING, 0);
	if (pc.memfd >= 0)
		close(pc.memfd);
	pc.card = pc.card2 = pc.memfd = pc.key = -1;
}

/* The peers of one kind of refslab operation, measured right after it. */
void bench_peers(enum peer_kind kind)
{
	switch (kind) {
	case PEER_CREATE:
		measure("peer", "memfd_create+close", 0, loop_memfd_create,
			&pc, 1);
		if (pc.key >= 0)
			measure("peer", "add_key+unlink", 0, loop_key_add, &pc,
				1);
		if (pc.card >= 0)
			measure("peer", "gem_dumb_create+close", 0,
				loop_gem_create, &pc, 1);
		break;
	case PEER_READ:
		if (pc.memfd >= 0)
			measure("peer", "memfd_pread64", 0, loop_memfd_pread,
				&pc, 1);
		if (pc.key >= 0)
			measure("peer", "keyctl_read64", 0, loop_key_read, &pc,
				1);
		break;
	case PEER_WRITE:
		if (pc.memfd >= 0)
			measure("peer", "memfd_pwrite64", 0, loop_memfd_pwrite,
				&pc, 1);
		if (pc.key >= 0)
			measure("peer", "keyctl_update64", 0, loop_key_update,
				&pc, 1);
		break;
	case PEER_EXPORT:
		if (pc.card >= 0)
			measure("peer", "gem_prime_export+close", 0,
				loop_gem_export, &pc, 1);
		break;
	case PEER_EXPORT_IMPORT:
		if (pc.card >= 0)
			measure("peer", "gem_prime_export+import", 0,
				loop_gem_export_import, &pc, 1);
		break;
	case PEER_OPEN:
		if (pc.card >= 0)
			measure("peer", "gem_flink_open+close", 0,
				loop_gem_open, &pc, 1);
		break;
	}
}

/* --trace: the loop of the peer @name, its context in *@ctx; or NULL. */
loop_fn peer_loop(const char *name, void **ctx)
{
	static const struct {
		const char *name;
		loop_fn fn;
	} loops[] = {
		{ "memfd_create+close", loop_memfd_create },
		{ "add_key+unlink", loop_key_add },
		{ "gem_dumb_create+close", loop_gem_create },
		{ "memfd_pread64", loop_memfd_pread },
		{ "keyctl_read64", loop_key_read },
		{ "memfd_pwrite64", loop_memfd_pwrite },
		{ "keyctl_update64", loop_key_update },
		{ "gem_prime_export+close", loop_gem_export },
		{ "gem_prime_export+import", loop_gem_export_import },
		{ "gem_flink_open+close", loop_gem_open },
	};
	unsigned int i;

	*ctx = &pc;
	for (i = 0; i < sizeof(loops) / sizeof(loops[0]); i++)
		if (!strcmp(loops[i].name, name))
			return loops[i].fn;
	return NULL;
}

/* Each refslab row and what it is compared with (refslab / peer). */
const struct comparison comparisons[] = {
	{ "single", "get+put", 0, "baseline", "dup+close" },
	{ "batch", "get+put", 128, "baseline", "dup+close" },
	{ "batch", "refs", 128, "baseline", "dup+close" },
	{ "single", "export+close", 0, "peer", "gem_prime_export+close" },
	{ "single", "export+import", 0, "peer", "gem_prime_export+import" },
	{ "single", "open_id+put", 0, "peer", "gem_flink_open+close" },
	{ "single", "create+put", 0, "baseline", "eventfd+close" },
	{ "single", "create+put", 0, "peer", "add_key+unlink" },
	{ "single", "create+put", 0, "peer", "memfd_create+close" },
	{ "single", "create+put", 0, "peer", "gem_dumb_create+close" },
	{ "single", "read64", 0, "peer", "memfd_pread64" },
	{ "single", "read64", 0, "peer", "keyctl_read64" },
	{ "single", "write64", 0, "peer", "memfd_pwrite64" },
	{ "single", "write64", 0, "peer", "keyctl_update64" },
};
const int nr_comparisons = sizeof(comparisons) / sizeof(comparisons[0]);

/* refslab / peer of comparison @i (x null over x null), or -1. */
double comparison_ratio(int i)
{
	const struct comparison *c = &comparisons[i];
	double a = xnull_of(c->group, c->name, c->param);
	double b = xnull_of(c->peer_group, c->peer_name, 0);

	return a > 0 && b > 0 ? a / b : -1;
}

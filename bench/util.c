// SPDX-License-Identifier: GPL-2.0
/*
 * refslab_bench: errors and notes, sysfs and /proc reads, the device, a
 * random number generator, and waiting for reclamation to catch up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

void error_msg(const char *fmt, ...)
{
	va_list ap;

	errors++;
	fprintf(stderr, "refslab_bench: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void note(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "refslab_bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
/* Read one integer from a sysfs file; -1 (and an error) if unreadable. */
long long read_ll_opt(const char *path, bool required)
{
	char buf[64];
	long long v;
	FILE *f;

	f = fopen(path, "r");
	if (!f) {
		if (required)
			error_msg("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (!fgets(buf, sizeof(buf), f) || sscanf(buf, "%lld", &v) != 1) {
		if (required)
			error_msg("cannot parse %s", path);
		v = -1;
	}
	fclose(f);
	return v;
}

long long read_ll(const char *path)
{
	return read_ll_opt(path, true);
}

long long read_sysfs(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), SYSFS "/%s", name);
	return read_ll(path);
}

int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len = strlen(val);

	if (fd < 0) {
		error_msg("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (write(fd, val, len) != len) {
		error_msg("cannot write '%s' to %s: %s", val, path,
			  strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* A kB figure of /proc/meminfo, or -1. */
long long meminfo_kb(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			sscanf(line + klen + 1, "%lld", &v);
			break;
		}
	}
	fclose(f);
	return v;
}

int open_dev(void)
{
	int fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		error_msg("open %s: %s", DEV_PATH, strerror(errno));
	return fd;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

/* Wait until at most @limit objects wait for reclamation; seconds taken. */
double wait_pending(long long limit, double timeout_s)
{
	uint64_t t0 = now_ns();
	long long p;

	for (;;) {
		p = read_sysfs("reclaim_pending");
		if (p < 0 || p <= limit || (now_ns() - t0) / 1e9 > timeout_s)
			break;
		usleep(2000);
	}
	return (now_ns() - t0) / 1e9;
}

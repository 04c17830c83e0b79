// SPDX-License-Identifier: GPL-2.0
/*
 * refslab_bench: errors and notes, sysfs and /proc reads, the device, a
 * random number generator, and waiting for reclamation to catch up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
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

/*
 * What explains a figure beyond the operation itself: context switches
 * (/proc/stat ctxt, all CPUs), RCU softirqs (/proc/softirqs RCU, all CPUs)
 * and wake-ups of the RCU grace-period kthread (its voluntary and
 * involuntary switches in /proc/<pid>/status: it sleeps again after each
 * wake-up).  Each is -1 if it cannot be read.
 */
static int gp_pid = -2;	/* -2: not looked for yet, -1: none */

static int find_gp_kthread(void)
{
	static const char *const names[] = { "rcu_preempt", "rcu_sched" };
	char path[300], comm[32];
	struct dirent *de;
	unsigned int i;
	int pid = -1;
	DIR *d;
	FILE *f;

	d = opendir("/proc");
	if (!d)
		return -1;
	while (pid < 0 && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f)) {
			comm[strcspn(comm, "\n")] = 0;
			for (i = 0; i < 2; i++)
				if (!strcmp(comm, names[i]))
					pid = atoi(de->d_name);
		}
		fclose(f);
	}
	closedir(d);
	return pid;
}

/* The value of the line "@key N" of @path, or -1. */
static long long keyed_ll(const char *path, const char *key)
{
	size_t klen = strlen(key);
	long long v = -1, x;
	char line[256];
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) &&
		    sscanf(line + klen, " %lld", &x) == 1) {
			v = v < 0 ? x : v + x;
		}
	}
	fclose(f);
	return v;
}

/* The sum of the per-CPU counts on the "RCU:" line of /proc/softirqs. */
static long long rcu_softirqs(void)
{
	char line[1024], *p, *end;
	long long v = -1;
	FILE *f = fopen("/proc/softirqs", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = line + strspn(line, " ");
		if (strncmp(p, "RCU:", 4))
			continue;
		v = 0;
		for (p += 4;; p = end) {
			long long x = strtoll(p, &end, 10);

			if (end == p)
				break;
			v += x;
		}
	}
	fclose(f);
	return v;
}

void sched_counts(struct sched_counts *c)
{
	char path[64];
	long long a, b;

	if (gp_pid == -2)
		gp_pid = find_gp_kthread();
	c->ctxt = keyed_ll("/proc/stat", "ctxt");
	c->rcu_softirq = rcu_softirqs();
	c->gp_wakes = -1;
	if (gp_pid > 0) {
		snprintf(path, sizeof(path), "/proc/%d/status", gp_pid);
		a = keyed_ll(path, "voluntary_ctxt_switches:");
		b = keyed_ll(path, "nonvoluntary_ctxt_switches:");
		if (a >= 0 && b >= 0)
			c->gp_wakes = a + b;
	}
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * librefslab: the module's counters (/sys/kernel/refslab/, one value per
 * file), its parameters (/sys/module/refslab/parameters/), and the caller's
 * IPC namespace as procfs names it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "refslab.h"

/* Read a small file into @buf, without its trailing newline. */
static int read_small(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do {
		n = read(fd, buf, size - 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

static int parse_i64(const char *s, int64_t *value)
{
	char *end;
	long long v;

	if (!*s)
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*value = v;
	return 0;
}

/* Build "<dir>/<name>", refusing names that climb out of @dir. */
static int path_in(char *path, size_t size, const char *dir, const char *name)
{
	const char *p;
	int n;

	if (!name || !*name || name[0] == '/')
		return -EINVAL;
	for (p = name; (p = strstr(p, "..")); p += 2)
		if ((p == name || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return -EINVAL;
	n = snprintf(path, size, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

static int read_i64(const char *dir, const char *name, int64_t *value)
{
	char path[512], buf[64];
	int ret;

	if (!value)
		return -EINVAL;
	ret = path_in(path, sizeof(path), dir, name);
	if (!ret)
		ret = read_small(path, buf, sizeof(buf));
	if (!ret)
		ret = parse_i64(buf, value);
	return ret;
}

int refslab_stat_read(const char *name, int64_t *value)
{
	return read_i64(REFSLAB_SYSFS_DIR, name, value);
}

#define STAT(field) { #field, offsetof(struct refslab_stats, field) }

static const struct {
	const char *name;
	size_t offset;
} stat_fields[] = {
	STAT(objects_live),
	STAT(objects_created),
	STAT(objects_released),
	STAT(objects_reclaimed),
	STAT(reclaim_pending),
	STAT(references_live),
	STAT(gets),
	STAT(puts),
	STAT(handles_live),
	STAT(open_files),
	STAT(payload_bytes),
	STAT(quota_denials),
};

int refslab_stats_read(struct refslab_stats *stats)
{
	struct refslab_stats st;
	size_t i;
	int ret;

	if (!stats)
		return -EINVAL;
	memset(&st, 0, sizeof(st));
	ret = read_small(REFSLAB_SYSFS_DIR "/version", st.version,
			 sizeof(st.version));
	if (ret == -ENOENT && access(REFSLAB_SYSFS_DIR, F_OK) == 0)
		ret = 0;
	if (ret)
		return ret;
	for (i = 0; i < sizeof(stat_fields) / sizeof(stat_fields[0]); i++) {
		int64_t *v = (int64_t *)((char *)&st + stat_fields[i].offset);

		ret = refslab_stat_read(stat_fields[i].name, v);
		if (ret == -ENOENT)
			*v = -1;
		else if (ret)
			return ret;
	}
	*stats = st;
	return 0;
}

int refslab_param_read(const char *name, int64_t *value)
{
	if (name && strchr(name, '/'))
		return -EINVAL;
	return read_i64(REFSLAB_PARAMS_DIR, name, value);
}

int refslab_param_write(const char *name, int64_t value)
{
	char path[512], buf[32];
	ssize_t n;
	int fd, len, ret;

	if (!name || strchr(name, '/'))
		return -EINVAL;
	ret = path_in(path, sizeof(path), REFSLAB_PARAMS_DIR, name);
	if (ret)
		return ret;
	len = snprintf(buf, sizeof(buf), "%" PRId64 "\n", value);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, (size_t)len);
	ret = n < 0 ? -errno : n != len ? -EIO : 0;
	close(fd);
	return ret;
}

#define PARAM(field) { #field, offsetof(struct refslab_params, field) }

static const struct {
	const char *name;
	size_t offset;
} param_fields[] = {
	PARAM(max_objects),
	PARAM(user_max_objects),
	PARAM(user_max_bytes),
	PARAM(priv_max_objects),
	PARAM(priv_max_bytes),
};

int refslab_params_read(struct refslab_params *params)
{
	struct refslab_params p;
	size_t i;
	int ret;

	if (!params)
		return -EINVAL;
	if (access(REFSLAB_PARAMS_DIR, F_OK))
		return -errno;
	for (i = 0; i < sizeof(param_fields) / sizeof(param_fields[0]); i++) {
		int64_t *v = (int64_t *)((char *)&p + param_fields[i].offset);

		ret = refslab_param_read(param_fields[i].name, v);
		if (ret == -ENOENT)
			*v = -1;
		else if (ret)
			return ret;
	}
	*params = p;
	return 0;
}

int refslab_ns_self(uint64_t *ns)
{
	struct stat st;

	if (!ns)
		return -EINVAL;
	/* A thread that called unshare() has a namespace of its own. */
	if (stat("/proc/thread-self/ns/ipc", &st) &&
	    stat("/proc/self/ns/ipc", &st))
		return -errno;
	*ns = (uint64_t)st.st_ino;
	return 0;
}

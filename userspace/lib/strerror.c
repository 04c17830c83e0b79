// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * librefslab: what each errno of the refslab errno contract means.
 * Constant tables only, so safe from any thread.
 */
#include <errno.h>

#include "refslab.h"

static const struct {
	int err;
	const char *name;
	const char *msg;
} errors[] = {
	{ ENOTTY, "ENOTTY",
	  "operation not supported by the loaded refslab module, or not a refslab device (ENOTTY)" },
	{ EINVAL, "EINVAL",
	  "invalid argument: unknown flag, bad size, offset, length, mode or count (EINVAL)" },
	{ E2BIG, "E2BIG",
	  "argument structure larger than the module knows, with a non-zero tail (E2BIG)" },
	{ EFAULT, "EFAULT", "bad user memory address (EFAULT)" },
	{ ENOENT, "ENOENT",
	  "no such object, handle or namespace: unknown, put, closed or reclaimed, or an id of another IPC namespace (ENOENT)" },
	{ EACCES, "EACCES",
	  "permission denied by the object's mode, or the handle lacks the right (EACCES)" },
	{ EPERM, "EPERM",
	  "operation not permitted: only the object's owner or a privileged user may do it; another IPC namespace needs CAP_SYS_ADMIN (EPERM)" },
	{ EBADF, "EBADF", "not a refslab object file descriptor (EBADF)" },
	{ EEXIST, "EEXIST", "object is already pinned (EEXIST)" },
	{ EAGAIN, "EAGAIN", "no event queued yet (EAGAIN)" },
	{ EDQUOT, "EDQUOT",
	  "quota exceeded: the user's object, byte, pin or watch quota, or the global object limit (EDQUOT)" },
	{ EOVERFLOW, "EOVERFLOW",
	  "reference limit of the handle or the object reached (EOVERFLOW)" },
	{ ENOMEM, "ENOMEM", "out of kernel memory (ENOMEM)" },
	{ ESTALE, "ESTALE",
	  "object changed since the expected generation; nothing was written (ESTALE)" },
	{ ENOSPC, "ENOSPC",
	  "no room: the file's handle table or the batch buffer is full (ENOSPC)" },
	{ EMFILE, "EMFILE",
	  "no free file descriptor in this process for the exported object (EMFILE)" },
	{ ENFILE, "ENFILE",
	  "no free file in the system for the exported object (ENFILE)" },
	{ EINTR, "EINTR", "interrupted by a signal (EINTR)" },
	{ EIO, "EIO", "unexpected answer from the module (EIO)" },
	{ ENODEV, "ENODEV", "refslab device not available (ENODEV)" },
	{ ENXIO, "ENXIO", "refslab device not available (ENXIO)" },
	{ ENAMETOOLONG, "ENAMETOOLONG", "name too long (ENAMETOOLONG)" },
	{ ERANGE, "ERANGE", "value out of range (ERANGE)" },
	{ ETIMEDOUT, "ETIMEDOUT", "timed out (ETIMEDOUT)" },
};

static int find(int err)
{
	unsigned int i;

	if (err < 0)
		err = -err;
	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		if (errors[i].err == err)
			return (int)i;
	return -1;
}

const char *refslab_strerror(int err)
{
	int i;

	if (!err)
		return "success";
	i = find(err);
	return i < 0 ? "unexpected error (not in the refslab errno contract)" :
		errors[i].msg;
}

const char *refslab_errno_name(int err)
{
	int i = find(err);

	return i < 0 ? "E?" : errors[i].name;
}

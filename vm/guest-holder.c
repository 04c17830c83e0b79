// SPDX-License-Identifier: GPL-2.0
/*
 * guest-holder: the lifecycle checks of the refslab test VM (issue 7,
 * item 4), run by vm/guest-init.sh.  Built static by vm/run.sh into the
 * initramfs as /bin/guest-holder.
 *
 *   guest-holder cycle N
 *	Open /dev/refslab, create N objects of every size class (a third
 *	of them also duplicated, another third also exported and the file
 *	closed again), close the device so that every object waits for its
 *	RCU grace period, and unload refslab at once with delete_module(2).
 *	The unload must succeed: the module's exit waits for the pending
 *	frees (rcu_barrier()) before it destroys its slab caches.  Prints
 *	"pending=P" (reclaim_pending just before the unload) and exits 0
 *	when the unload succeeded.
 *
 *   guest-holder busy dev|objfd COMMAND [ARG...]
 *	Hold a reference to the module, run COMMAND (typically
 *	`rmmod refslab`), which must FAIL, then let go.  "dev" holds an open
 *	/dev/refslab with an object in it; "objfd" holds only a file
 *	exported from an object (the device file is closed first).  Exits 0
 *	when the files were set up and COMMAND failed.
 *
 * Exit status 0 on success, 1 on a failed expectation, 2 on misuse.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/refslab.h>

#define DEVICE		"/dev/refslab"
#define PENDING		"/sys/kernel/refslab/reclaim_pending"

static int create(int fd, unsigned int size, unsigned int *handle)
{
	struct refslab_create c = {
		.size = sizeof(c),
		.payload_size = size,
	};

	if (ioctl(fd, REFSLAB_IOC_CREATE, &c))
		return -errno;
	*handle = c.handle;
	return 0;
}

static int export(int fd, unsigned int handle)
{
	struct refslab_export e = {
		.size = sizeof(e),
		.handle = handle,
	};

	if (ioctl(fd, REFSLAB_IOC_EXPORT, &e))
		return -errno;
	return e.fd;
}

static int dup_handle(int fd, unsigned int handle)
{
	struct refslab_dup d = {
		.size = sizeof(d),
		.handle = handle,
	};

	return ioctl(fd, REFSLAB_IOC_DUP, &d) ? -errno : 0;
}

static long read_long(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 10) : -1;
}

static int cycle(int n)
{
	unsigned int handle = 0;
	long pending;
	int fd, i, ret, efd;

	fd = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("open " DEVICE);
		return 1;
	}
	for (i = 0; i < n; i++) {
		/* Sizes spread over every class, 1 to REFSLAB_PAYLOAD_MAX. */
		ret = create(fd, 1 + (i * 97) % REFSLAB_PAYLOAD_MAX, &handle);
		if (!ret && i % 3 == 1)
			ret = dup_handle(fd, handle);
		if (!ret && i % 3 == 2) {
			efd = export(fd, handle);
			ret = efd < 0 ? efd : close(efd);
		}
		if (ret) {
			fprintf(stderr, "object %d: %s\n", i, strerror(-ret));
			return 1;
		}
	}
	close(fd);
	pending = read_long(PENDING);
	/*
	 * The reader beside the cycles holds the module for as long as it
	 * has one of its debugfs files open: busy (EAGAIN) is worth another
	 * try, for a second at most; nothing of this program holds it.
	 */
	for (i = 0; syscall(SYS_delete_module, "refslab", O_NONBLOCK); i++) {
		if (errno != EAGAIN || i == 100) {
			fprintf(stderr, "unload with %ld objects pending: %s\n",
				pending, strerror(errno));
			return 1;
		}
		usleep(10000);
	}
	printf("pending=%ld\n", pending);
	return 0;
}

static int busy(const char *what, char **argv)
{
	unsigned int handle = 0;
	int fd, efd = -1, status;
	pid_t pid;

	fd = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0 || create(fd, 64, &handle)) {
		perror("open " DEVICE " and create");
		return 1;
	}
	if (!strcmp(what, "objfd")) {
		efd = export(fd, handle);
		if (efd < 0) {
			fprintf(stderr, "export: %s\n", strerror(-efd));
			return 1;
		}
		/* Only the object's file holds the module from here on. */
		close(fd);
		fd = -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (!pid) {
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0) {
		perror("waitpid");
		return 1;
	}
	if (fd >= 0)
		close(fd);
	if (efd >= 0)
		close(efd);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		fprintf(stderr, "%s succeeded while the %s file was open\n",
			argv[0], what);
		return 1;
	}
	printf("%s failed (status %#x) while the %s file was open\n",
	       argv[0], status, what);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "cycle"))
		return cycle(atoi(argv[2]));
	if (argc >= 4 && !strcmp(argv[1], "busy") &&
	    (!strcmp(argv[2], "dev") || !strcmp(argv[2], "objfd")))
		return busy(argv[2], argv + 3);
	fprintf(stderr, "usage: %s cycle N | busy dev|objfd COMMAND [ARG...]\n",
		argv[0]);
	return 2;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * guest-holder: the lifecycle checks of the refslab test VM (issue 7,
 * item 4), run by vm/guest-init.sh.  Built static by vm/run.sh into the
 * initramfs as /bin/guest-holder.
 *
 *   guest-holder cycle N
 *	Open /dev/refslab, create N objects of every size class (a third
 *	of them also duplicated, another third also exported and the file
 *	closed again, every tenth also pinned), close the device so that
 *	every object but the pinned waits for its RCU grace period, and
 *	unload refslab at once with delete_module(2).  The unload must
 *	succeed (pins hold no file, so not the module): the module's exit
 *	drops the pins and waits for the pending frees (rcu_barrier())
 *	before it destroys its slab caches.  Prints
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
 *   guest-holder init-sweep MODULE.ko
 *	Load the module (not loaded yet) once per allocation its init
 *	function makes, failing the Nth of them (N = 1, 2, ...) through
 *	failslab and the task's fail-nth, until a load reaches no armed
 *	fault.  The stack trace filters of failslab and fail_usercopy
 *	limit the count to calls made with a module's code on the stack,
 *	so that load_module()'s own come not in (see sweep_filters()).  A
 *	load that failed must leave no /sys/module entry; one that absorbed
 *	its fault is unloaded again.  Prints the points and how they ended, and
 *	exits 0 if every load behaved and the last one succeeded (the
 *	module is left unloaded, the filter off).  The kernel's log, with
 *	kmemleak, tells the rest: the host's splat scan reads it.
 *
 * Exit status 0 on success, 1 on a failed expectation, 2 on misuse.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
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
#define FAILSLAB	"/sys/kernel/debug/failslab/"
#define SWEEP_MAX	1000

static int create(int fd, unsigned int size, unsigned int *handle,
		  unsigned long long *id)
{
	struct refslab_create c = {
		.size = sizeof(c),
		.payload_size = size,
	};

	if (ioctl(fd, REFSLAB_IOC_CREATE, &c))
		return -errno;
	*handle = c.handle;
	if (id)
		*id = c.id;
	return 0;
}

static int pin(int fd, unsigned long long id)
{
	struct refslab_pin p = {
		.size = sizeof(p),
		.id = id,
	};

	return ioctl(fd, REFSLAB_IOC_PIN, &p) ? -errno : 0;
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
	unsigned long long id = 0;
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
		ret = create(fd, 1 + (i * 97) % REFSLAB_PAYLOAD_MAX, &handle,
			     &id);
		if (!ret && i % 3 == 1)
			ret = dup_handle(fd, handle);
		if (!ret && i % 10 == 0)
			ret = pin(fd, id);
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
	if (fd < 0 || create(fd, 64, &handle, NULL)) {
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

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

/*
 * The address of a symbol of /proc/kallsyms, and in *next the lowest
 * address above it of any other symbol (its end, for a function).
 */
static unsigned long kallsyms_addr(const char *sym, unsigned long *next)
{
	unsigned long addr = 0, a, above = ~0UL;
	char line[256], name[128], type;
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx %c %127s", &a, &type, name) == 3 &&
		    !strcmp(name, sym) && !addr)
			addr = a;
	}
	rewind(f);
	while (addr && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx", &a) == 1 && a > addr && a < above)
			above = a;
	}
	fclose(f);
	if (next)
		*next = above;
	return addr;
}

/* One fault attribute's stack trace filter (dir ends with a slash). */
static int fault_filter(const char *dir, unsigned long req_start,
			unsigned long req_end, unsigned long rej_start,
			unsigned long rej_end)
{
	const char *knob[] = {
		"require-start", "require-end", "reject-start", "reject-end",
	};
	unsigned long val[] = { req_start, req_end, rej_start, rej_end };
	char path[128], v[32];
	unsigned int i;
	int ret = 0;

	for (i = 0; i < 4 && !ret; i++) {
		snprintf(path, sizeof(path), "%s%s", dir, knob[i]);
		snprintf(v, sizeof(v), "%#lx", val[i]);
		ret = write_str(path, v);
	}
	return ret;
}

/*
 * The filters of the sweep, or (off) none: failslab and fail_usercopy,
 * which fail-nth counts together, both count only calls with module code
 * on the stack (from the end of the kernel image up: only modules are
 * there), and none under the slab allocator's sysfs_slab_add(): in 6.12
 * its error path frees a cache whose kobject it only deleted, not put,
 * and so leaks the kobject's name (kmemleak reported it the first time
 * the sweep ran), a core kernel bug of no concern to refslab's unwind.
 */
static int sweep_filters(bool on)
{
	static const char *const dirs[] = {
		FAILSLAB, "/sys/kernel/debug/fail_usercopy/",
	};
	unsigned long start = 0, rej = 0, rej_end = 0;
	unsigned int i;
	int ret = 0;

	if (on) {
		start = kallsyms_addr("_end", NULL);
		rej = kallsyms_addr("sysfs_slab_add", &rej_end);
		if (!start || !rej) {
			fprintf(stderr, "no _end or sysfs_slab_add in /proc/kallsyms\n");
			return -1;
		}
	}
	for (i = 0; i < 2 && !ret; i++)
		ret = fault_filter(dirs[i], start, ~0UL, rej, rej_end);
	return ret;
}

static int module_present(void)
{
	return access("/sys/module/refslab", F_OK) == 0;
}

static int init_sweep(const char *ko)
{
	int n, ko_fd, nth_fd, ret, status = 0, failed = 0, absorbed = 0;
	char left[16];
	ssize_t len;

	if (module_present()) {
		fprintf(stderr, "refslab is loaded already\n");
		return 1;
	}
	if (write_str(FAILSLAB "ignore-gfp-wait", "N") ||
	    write_str(FAILSLAB "verbose", "0") ||
	    write_str(FAILSLAB "stacktrace-depth", "32") ||
	    write_str("/sys/kernel/debug/fail_usercopy/verbose", "0") ||
	    write_str("/sys/kernel/debug/fail_usercopy/stacktrace-depth", "32") ||
	    sweep_filters(true)) {
		fprintf(stderr, "cannot set up " FAILSLAB " (%s)\n",
			strerror(errno));
		return 1;
	}
	nth_fd = open("/proc/self/fail-nth", O_RDWR | O_CLOEXEC);
	if (nth_fd < 0) {
		perror("/proc/self/fail-nth");
		return 1;
	}
	for (n = 1; n <= SWEEP_MAX; n++) {
		ko_fd = open(ko, O_RDONLY | O_CLOEXEC);
		if (ko_fd < 0) {
			perror(ko);
			status = 1;
			break;
		}
		snprintf(left, sizeof(left), "%d", n);
		if (pwrite(nth_fd, left, strlen(left), 0) < 0) {
			perror("arm fail-nth");
			status = 1;
			break;
		}
		ret = syscall(SYS_finit_module, ko_fd, "", 0) ? errno : 0;
		len = pread(nth_fd, left, sizeof(left) - 1, 0);
		left[len > 0 ? len : 0] = '\0';
		pwrite(nth_fd, "0", 1, 0);
		close(ko_fd);
		if (len <= 0) {
			perror("read fail-nth");
			status = 1;
			break;
		}
		if (atoi(left)) {
			/* No allocation N: the load ran to its end. */
			if (ret) {
				fprintf(stderr, "load without a fault: %s\n",
					strerror(ret));
				status = 1;
			}
			break;
		}
		if (ret) {
			failed++;
			if (ret != ENOMEM) {
				fprintf(stderr, "fault %d: load failed with %s, not ENOMEM\n",
					n, strerror(ret));
				status = 1;
			}
			if (module_present()) {
				fprintf(stderr, "fault %d: a failed load left /sys/module/refslab\n",
					n);
				status = 1;
				break;
			}
			continue;
		}
		absorbed++;
		if (syscall(SYS_delete_module, "refslab", O_NONBLOCK)) {
			fprintf(stderr, "fault %d: unload: %s\n", n,
				strerror(errno));
			status = 1;
			break;
		}
	}
	close(nth_fd);
	if (n > SWEEP_MAX) {
		fprintf(stderr, "a fault at each of %d allocations, and more\n",
			SWEEP_MAX);
		status = 1;
	}
	if (!status && syscall(SYS_delete_module, "refslab", O_NONBLOCK)) {
		fprintf(stderr, "unload after the sweep: %s\n", strerror(errno));
		status = 1;
	}
	if (sweep_filters(false))
		status = 1;
	printf("init sweep: %d points (%d failed the load with ENOMEM, %d absorbed)\n",
	       n - 1, failed, absorbed);
	return status;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "cycle"))
		return cycle(atoi(argv[2]));
	if (argc >= 4 && !strcmp(argv[1], "busy") &&
	    (!strcmp(argv[2], "dev") || !strcmp(argv[2], "objfd")))
		return busy(argv[2], argv + 3);
	if (argc == 3 && !strcmp(argv[1], "init-sweep"))
		return init_sweep(argv[2]);
	fprintf(stderr, "usage: %s cycle N | busy dev|objfd COMMAND [ARG...] | init-sweep MODULE.ko\n",
		argv[0]);
	return 2;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * refslabctl's object commands: create, info, open, read and write.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "refslabctl.h"

/* ---------------------------------------------------------------------- */
/* Input data                                                              */

struct input {
	const char *data;
	const char *file;
	bool use_stdin;
};

static int input_count(const struct input *in)
{
	return !!in->data + !!in->file + in->use_stdin;
}

/* Read all of @fd into @buf (at most @max bytes; more is an error). */
static ssize_t read_all(int fd, unsigned char *buf, size_t max)
{
	size_t len = 0;
	ssize_t n;
	unsigned char extra;

	while (len < max) {
		n = read(fd, buf + len, max - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return (ssize_t)len;
		len += (size_t)n;
	}
	do {
		n = read(fd, &extra, 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n ? -EFBIG : (ssize_t)len;
}

static size_t input_read(const struct input *in, unsigned char *buf,
			 size_t max, const char *op)
{
	ssize_t n;
	int fd;

	if (in->data) {
		n = (ssize_t)strlen(in->data);
		if ((size_t)n > max)
			die("%s: --data is %zd bytes, more than the %zu that fit", op, n, max);
		memcpy(buf, in->data, (size_t)n);
		return (size_t)n;
	}
	if (in->file) {
		fd = open(in->file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die("%s: cannot open %s: %s", op, in->file, strerror(errno));
	} else {
		fd = STDIN_FILENO;
	}
	n = read_all(fd, buf, max);
	if (in->file)
		close(fd);
	if (n == -EFBIG)
		die("%s: %s holds more than the %zu bytes that fit", op,
		    in->file ? in->file : "standard input", max);
	if (n < 0)
		die("%s: cannot read %s: %s", op, in->file ? in->file : "standard input",
		    strerror((int)-n));
	return (size_t)n;
}

/* ---------------------------------------------------------------------- */
/* create                                                                  */

static int do_create(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "file", required_argument, NULL, 'f' },
		{ "stdin", no_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "pin", no_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned char buf[REFSLAB_PAYLOAD_MAX];
	struct input in = { 0 };
	int mode = REFSLAB_MODE_DEFAULT, fd, opt, ret;
	bool pin = false;
	uint32_t size, h;
	uint64_t id, i, count = 1;
	size_t len = 0;

	while ((opt = getopt_long(argc, argv, ":d:f:sm:pn:", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': in.data = optarg; break;
		case 'f': in.file = optarg; break;
		case 's': in.use_stdin = true; break;
		case 'm': mode = (int)arg_mode(c, optarg); break;
		case 'p': pin = true; break;
		case 'n':
			count = arg_positive(c, "count", optarg, UINT32_MAX,
					     "at least one object");
			break;
		default: bad_option(c, argv, opt);
		}
	}
	want_operands(c, argc, argv, 1, "SIZE");
	size = (uint32_t)arg_u64(c, "size", argv[optind], REFSLAB_PAYLOAD_MAX);
	if (!size)
		usage_error(c, "invalid size '0' (an object holds 1 to %d bytes)",
			    REFSLAB_PAYLOAD_MAX);
	if (input_count(&in) > 1)
		usage_error(c, "--data, --file and --stdin exclude each other");
	if (input_count(&in))
		len = input_read(&in, buf, size, "create");

	fd = dev_open(c);
	for (i = 0; i < count; i++) {
		ret = refslab_create(fd, size, mode, len ? buf : NULL, len, &h, &id);
		if (ret)
			die("create object of %" PRIu32 " bytes%s: %s", size,
			    count > 1 ? " (after creating some: see the ids printed)" : "",
			    refslab_strerror(ret));
		if (pin) {
			ret = refslab_pin(fd, id);
			if (ret)
				die("pin new object %" PRIu64 ": %s%s", id, refslab_strerror(ret),
				    ret == -ENOTTY ? "; the loaded module does not implement pins yet" : "");
		}
		printf("%" PRIu64 "\n", id);
	}
	refslab_close(fd);
	return 0;
}

const struct command cmd_create = {
	.name = "create",
	.run = do_create,
	.summary = "create an object and print its id",
	.help =
"NAME\n"
"    refslabctl create - create an object\n\n"
"SYNOPSIS\n"
"    refslabctl create SIZE [--data STR | --file PATH | --stdin]\n"
"                           [--mode OCTAL] [--pin] [--count N]\n\n"
"DESCRIPTION\n"
"    Creates an object with a SIZE-byte payload (1 to 4096), owned by the\n"
"    caller, and prints its id.  The payload starts as the given data, the\n"
"    rest zero.\n\n"
"    Without --pin the object dies when refslabctl exits: refslabctl's own\n"
"    reference is the only one, and closing the device drops it.  Use --pin\n"
"    to keep the object until `refslabctl unpin ID`.\n\n"
"    With --count N, creates N such objects through one open file and\n"
"    prints their ids, one per line.  Without --pin they are all released\n"
"    together when refslabctl exits: a load of deferred reclamation.\n\n"
"OPTIONS\n"
"    --data STR     initial payload: the bytes of STR\n"
"    --file PATH    initial payload: the contents of PATH\n"
"    --stdin        initial payload: standard input\n"
"                   (data longer than SIZE is an error)\n"
"    --mode OCTAL   permission bits, as a file's (default 0600)\n"
"    --pin          pin the object so that it outlives refslabctl\n"
"    --count N      create N objects (default 1)\n\n"
EXIT_STATUS_HELP "\n"
"EXAMPLES\n"
"    id=$(refslabctl create 64 --data hello --mode 0644 --pin)\n"
"    echo config | refslabctl create 256 --stdin --pin\n"
"    refslabctl create 64 --count 10000 >/dev/null\n",
};

/* ---------------------------------------------------------------------- */
/* info and open                                                           */

/* INFO's @state in words, for the "state" line. */
static const char *state_str(uint32_t state, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s",
		 state & REFSLAB_INFO_PINNED ? "pinned" : "not pinned",
		 state & REFSLAB_INFO_FOREIGN ? ", " : "",
		 state & REFSLAB_INFO_FOREIGN ?
		 "foreign: object of another IPC namespace (id hidden)" : "");
	return buf;
}

static void print_info(const struct refslab_info *i, bool json)
{
	char u[160], g[160], when[64], st[128];
	bool foreign = i->state & REFSLAB_INFO_FOREIGN;
	time_t secs = (time_t)(i->ctime_ns / 1000000000ULL);
	struct tm tm;
	/* Not counting refslabctl's own handle. */
	uint32_t refs = i->object_refs - i->handle_refs;

	if (gmtime_r(&secs, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(when, sizeof(when), "?");

	if (json) {
		printf("{\n  \"id\": %" PRIu64 ",\n", (uint64_t)i->id);
		printf("  \"size\": %u,\n  \"capacity\": %u,\n", i->payload_size,
		       i->capacity);
		printf("  \"mode\": \"%04o\",\n  \"uid\": %u,\n  \"gid\": %u,\n",
		       i->mode, i->uid, i->gid);
		printf("  \"generation\": %" PRIu64 ",\n", (uint64_t)i->generation);
		printf("  \"refs\": %u,\n", refs);
		printf("  \"rights\": \"%s\",\n", rights_str(i->rights));
		printf("  \"pinned\": %s,\n  \"foreign\": %s,\n",
		       i->state & REFSLAB_INFO_PINNED ? "true" : "false",
		       foreign ? "true" : "false");
		printf("  \"ctime_ns\": %" PRIu64 "\n}\n", (uint64_t)i->ctime_ns);
		return;
	}
	printf("id          %" PRIu64 "%s\n", (uint64_t)i->id,
	       foreign ? " (hidden: the id names it only in its own IPC namespace)" : "");
	printf("size        %u bytes (size class %u)\n", i->payload_size,
	       i->capacity);
	printf("mode        %04o\n", i->mode);
	printf("owner       %s\n", fmt_id(u, sizeof(u), i->uid, true));
	printf("group       %s\n", fmt_id(g, sizeof(g), i->gid, false));
	printf("generation  %" PRIu64 "\n", (uint64_t)i->generation);
	printf("references  %u (held by others, not counting refslabctl's own)\n",
	       refs);
	printf("rights      %s (granted to refslabctl)\n", rights_str(i->rights));
	printf("created     %s\n", when);
	printf("state       %s\n", state_str(i->state, st, sizeof(st)));
}

/*
 * Open the target as target_open() does and read its INFO into @info;
 * returns the handle.  Any failure ends refslabctl, naming @op.
 */
static uint32_t target_info(int fd, const char *op, struct target *t,
			    uint32_t rights, bool any, struct refslab_info *info)
{
	uint32_t h = target_open(fd, op, t, rights, any);
	int ret = refslab_info(fd, h, info);

	if (ret)
		obj_fail(fd, op, t->id, ret);
	return h;
}

/* info and open: the target's information, as text or JSON. */
static int show_info(const struct ctx *c, struct target *t, uint32_t rights,
		     bool any, bool json)
{
	struct refslab_info info;
	int fd = dev_open(c);

	target_info(fd, c->cmd, t, rights, any, &info);
	print_info(&info, json);
	refslab_close(fd);
	return 0;
}

static int do_info(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "fd", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct target t = { .objfd = -1 };
	bool json = false;
	int opt;

	while ((opt = getopt_long(argc, argv, ":jF:", opts, NULL)) != -1) {
		if (opt == 'j')
			json = true;
		else if (opt == 'F')
			t.objfd = arg_fd(c, optarg, 0);
		else
			bad_option(c, argv, opt);
	}
	target_operands(c, argc, argv, &t);
	return show_info(c, &t, REFSLAB_RIGHT_READ, true, json);
}

const struct command cmd_info = {
	.name = "info",
	.run = do_info,
	.summary = "describe an object",
	.help =
"NAME\n"
"    refslabctl info - describe an object\n\n"
"SYNOPSIS\n"
"    refslabctl info (ID | --fd N) [--json]\n\n"
"DESCRIPTION\n"
"    Opens object ID (read right, or write if read is not granted) and\n"
"    prints its id, size, size class, mode, owner, group, generation,\n"
"    references, creation time and state.  \"references\" counts every\n"
"    holder but refslabctl itself (pins, handles, exported files).\n\n"
"    The state is \"pinned\" or \"not pinned\", followed by \"foreign: object\n"
"    of another IPC namespace (id hidden)\" for an object that came from\n"
"    another namespace through --fd: its id names it only there, so the\n"
"    module reports id 0.\n\n"
"OPTIONS\n"
"    --json    one JSON object: id, size, capacity, mode (octal string),\n"
"              uid, gid, generation, refs, rights, pinned and foreign\n"
"              (true or false), ctime_ns\n"
"    --fd N    describe the object of file descriptor N (made by `export`)\n"
"              instead of opening ID\n\n"
EXIT_STATUS_HELP "\n"
"EXAMPLES\n"
"    refslabctl info 42\n",
};

static int do_open(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "read", no_argument, NULL, 'r' },
		{ "write", no_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct target t = { .objfd = -1 };
	uint32_t rights = 0;
	bool json = false;
	int opt;

	while ((opt = getopt_long(argc, argv, ":rwj", opts, NULL)) != -1) {
		switch (opt) {
		case 'r': rights |= REFSLAB_RIGHT_READ; break;
		case 'w': rights |= REFSLAB_RIGHT_WRITE; break;
		case 'j': json = true; break;
		default: bad_option(c, argv, opt);
		}
	}
	want_operands(c, argc, argv, 1, "ID");
	t.id = arg_id(c, argv[optind]);
	return show_info(c, &t, rights ? rights : REFSLAB_RIGHT_READ, false, json);
}

const struct command cmd_open = {
	.name = "open",
	.run = do_open,
	.summary = "open an object by id, check access, print its info",
	.help =
"NAME\n"
"    refslabctl open - check access to an object\n\n"
"SYNOPSIS\n"
"    refslabctl open ID [--read] [--write] [--json]\n\n"
"DESCRIPTION\n"
"    Opens object ID with the rights asked for (read if none is given), as\n"
"    another process would, and prints its information.  Fails with a\n"
"    permission error naming the object's mode and owner if the caller may\n"
"    not have those rights.\n\n"
"OPTIONS\n"
"    --read    ask for the read right\n"
"    --write   ask for the write right\n"
"    --json    print the information as JSON (as `info --json`)\n\n"
EXIT_STATUS_HELP "\n"
"EXAMPLES\n"
"    refslabctl open 42 --read --write\n",
};

/* ---------------------------------------------------------------------- */
/* read and write                                                          */

/*
 * The target opened with @rights for reading or writing its payload from
 * @offset (@op names which), its INFO in @info; returns the handle.
 */
static uint32_t payload_open(int fd, const char *op, struct target *t,
			     uint32_t rights, uint32_t offset,
			     struct refslab_info *info)
{
	uint32_t h = target_info(fd, op, t, rights, false, info);

	if (offset >= info->payload_size)
		die("%s object %" PRIu64 ": offset %u is past its %u-byte payload",
		    op, t->id, offset, info->payload_size);
	return h;
}

static void hexdump(const unsigned char *p, size_t len, uint32_t base)
{
	size_t i, j;

	for (i = 0; i < len; i += 16) {
		printf("%08zx ", base + i);
		for (j = 0; j < 16; j++) {
			if (j == 8)
				putchar(' ');
			if (i + j < len)
				printf(" %02x", p[i + j]);
			else
				printf("   ");
		}
		printf("  |");
		for (j = 0; j < 16 && i + j < len; j++)
			putchar(p[i + j] >= 0x20 && p[i + j] < 0x7f ? p[i + j] : '.');
		printf("|\n");
	}
}

static int do_read(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "offset", required_argument, NULL, 'o' },
		{ "length", required_argument, NULL, 'l' },
		{ "hex", no_argument, NULL, 'x' },
		{ "fd", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned char buf[REFSLAB_PAYLOAD_MAX];
	uint32_t offset = 0, length = 0, h;
	struct target t = { .objfd = -1 };
	struct refslab_info info;
	bool hex = false, have_len = false;
	int fd, opt, ret;
	uint64_t id;

	while ((opt = getopt_long(argc, argv, ":o:l:xF:", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			offset = (uint32_t)arg_u64(c, "offset", optarg, REFSLAB_PAYLOAD_MAX - 1);
			break;
		case 'l':
			length = (uint32_t)arg_positive(c, "length", optarg,
							REFSLAB_PAYLOAD_MAX,
							"at least 1 byte");
			have_len = true;
			break;
		case 'x':
			hex = true;
			break;
		case 'F':
			t.objfd = arg_fd(c, optarg, 0);
			break;
		default:
			bad_option(c, argv, opt);
		}
	}
	target_operands(c, argc, argv, &t);

	fd = dev_open(c);
	h = payload_open(fd, "read", &t, REFSLAB_RIGHT_READ, offset, &info);
	id = t.id;
	if (!have_len)
		length = info.payload_size - offset;
	if (length > info.payload_size - offset)
		die("read object %" PRIu64 ": %u bytes at offset %u pass its %u-byte payload",
		    id, length, offset, info.payload_size);
	ret = refslab_read(fd, h, offset, buf, length, NULL);
	if (ret)
		obj_fail(fd, "read", id, ret);
	if (hex)
		hexdump(buf, length, offset);
	else if (fwrite(buf, 1, length, stdout) != length)
		die("read object %" PRIu64 ": cannot write to standard output", id);
	refslab_close(fd);
	return 0;
}

const struct command cmd_read = {
	.name = "read",
	.run = do_read,
	.summary = "print an object's payload",
	.help =
"NAME\n"
"    refslabctl read - read an object's payload\n\n"
"SYNOPSIS\n"
"    refslabctl read (ID | --fd N) [--offset N] [--length N] [--hex]\n\n"
"DESCRIPTION\n"
"    Opens object ID for reading and writes its payload bytes to standard\n"
"    output, unchanged (not followed by a newline).  The bytes are never a\n"
"    mix of two writes.\n\n"
"OPTIONS\n"
"    --offset N   start at byte N (default 0)\n"
"    --length N   read N bytes (default: to the end of the payload)\n"
"    --hex        print a hex dump instead of the raw bytes\n"
"    --fd N       read the object of file descriptor N (made by `export`)\n"
"                 instead of opening ID: no mode check, the file's rights\n\n"
EXIT_STATUS_HELP "\n"
"EXAMPLES\n"
"    refslabctl read 42 --length 5\n"
"    refslabctl read 42 --hex\n"
"    refslabctl export 42 -- refslabctl read --fd 3\n",
};

static int do_write(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "offset", required_argument, NULL, 'o' },
		{ "data", required_argument, NULL, 'd' },
		{ "file", required_argument, NULL, 'f' },
		{ "stdin", no_argument, NULL, 's' },
		{ "if-generation", required_argument, NULL, 'g' },
		{ "fd", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned char buf[REFSLAB_PAYLOAD_MAX];
	uint64_t id, expected = 0, gen = 0;
	struct target t = { .objfd = -1 };
	struct refslab_info info;
	struct input in = { 0 };
	bool cond = false;
	uint32_t offset = 0, h;
	int fd, opt, ret;
	size_t len;

	while ((opt = getopt_long(argc, argv, ":o:d:f:sg:F:", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			offset = (uint32_t)arg_u64(c, "offset", optarg, REFSLAB_PAYLOAD_MAX - 1);
			break;
		case 'd': in.data = optarg; break;
		case 'f': in.file = optarg; break;
		case 's': in.use_stdin = true; break;
		case 'g':
			expected = arg_u64(c, "generation", optarg, UINT64_MAX);
			cond = true;
			break;
		case 'F':
			t.objfd = arg_fd(c, optarg, 0);
			break;
		default:
			bad_option(c, argv, opt);
		}
	}
	target_operands(c, argc, argv, &t);
	if (input_count(&in) != 1)
		usage_error(c, "give exactly one of --data, --file and --stdin");

	fd = dev_open(c);
	h = payload_open(fd, "write", &t, REFSLAB_RIGHT_WRITE, offset, &info);
	id = t.id;
	len = input_read(&in, buf, info.payload_size - offset, "write");
	if (!len)
		die("write object %" PRIu64 ": no data to write", id);
	if (cond)
		ret = refslab_write_if(fd, h, offset, buf, (uint32_t)len, expected, &gen);
	else
		ret = refslab_write(fd, h, offset, buf, (uint32_t)len, &gen);
	if (ret == -ESTALE) {
		fprintf(stderr, "refslabctl: write object %" PRIu64 ": %s; expected generation %"
			PRIu64 ", it is now %" PRIu64 "\n", id, refslab_strerror(ret),
			expected, gen);
		exit(EXIT_FAIL);
	}
	if (ret)
		obj_fail(fd, "write", id, ret);
	printf("%" PRIu64 "\n", gen);
	refslab_close(fd);
	return 0;
}

const struct command cmd_write = {
	.name = "write",
	.run = do_write,
	.summary = "write bytes into an object's payload",
	.help =
"NAME\n"
"    refslabctl write - write into an object's payload\n\n"
"SYNOPSIS\n"
"    refslabctl write (ID | --fd N) [--offset N]\n"
"                     (--data STR | --file PATH | --stdin) [--if-generation G]\n\n"
"DESCRIPTION\n"
"    Opens object ID for writing and replaces the payload bytes from offset\n"
"    N with the data, atomically.  Prints the object's generation after the\n"
"    write (each write adds one).  With --if-generation, writes only if the\n"
"    generation is still G (compare-and-swap); otherwise nothing is written\n"
"    and the exit status is 1.\n\n"
"OPTIONS\n"
"    --offset N          write at byte N (default 0)\n"
"    --data STR          the bytes of STR\n"
"    --file PATH         the contents of PATH\n"
"    --stdin             standard input\n"
"    --if-generation G   write only if the generation is G\n"
"    --fd N              write to the object of file descriptor N (made by\n"
"                        `export --write`) instead of opening ID\n\n"
EXIT_STATUS_HELP "\n"
"EXAMPLES\n"
"    gen=$(refslabctl info 42 --json | sed -n 's/.*\"generation\": \\([0-9]*\\).*/\\1/p')\n"
"    refslabctl write 42 --data new --if-generation \"$gen\"\n",
};

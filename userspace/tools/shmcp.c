// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * shmcp: copy a file from one process to another through a shmipc
 * segment, with a channel (shmipc_chan_*) in it.
 *
 *   shmcp send [-k KEY] [-s SIZE] FILE
 *   shmcp recv [-k KEY] [-s SIZE] FILE
 *
 * Either side may start first. Whichever creates the segment (IPC_EXCL
 * decides, so exactly one does) lays the channel out in it; the other
 * waits, a bounded time, for the channel to appear. The receiver removes
 * the segment once it has the whole file; a side that fails after opening
 * its end removes it too, so a transfer leaves no segment behind unless
 * both sides die. A side whose peer is killed says so and exits 1, in
 * about the time the channel takes to notice (100 ms).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shmcp.h"

#define DEFAULT_KEY	0x73686370	/* "shcp" */
#define DEFAULT_SIZE	(4ul << 20)
#define OPEN_WAIT_MS	5000	/* for the creator to lay the channel out */
#define PROGRESS_MS	250

static const char *prog = "shmcp";

struct side {
	bool sending;
	key_t key;
	size_t size;
	const char *file;
	int fd;
	int shmid;
	void *mem;
	shmipc_chan_t ch;
	bool opened;
	struct timespec start, last;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s send [-k KEY] [-s SIZE] FILE\n"
		"       %s recv [-k KEY] [-s SIZE] FILE\n"
		"Copy FILE (- for stdin or stdout) from a sender to a receiver through a\n"
		"shmipc segment of key KEY (default 0x%x) and SIZE bytes (default %lu,\n"
		"the sizes of both sides should agree), started in either order.\n",
		prog, prog, DEFAULT_KEY, DEFAULT_SIZE);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double secs_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* The progress line, rewritten in place at most every PROGRESS_MS. */
static void show_progress(struct side *s, uint64_t bytes, bool last)
{
	struct timespec now;
	double t;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!last && secs_between(&s->last, &now) * 1000 < PROGRESS_MS)
		return;
	s->last = now;
	t = secs_between(&s->start, &now);
	fprintf(stderr, "\r\033[K%s: %s %.1f MiB, %.1f MiB/s", prog,
		s->sending ? "sent" : "received", (double)bytes / 1048576,
		t > 0 ? (double)bytes / 1048576 / t : 0.0);
	if (last)
		fputc('\n', stderr);
}

static void progress(const struct shmcp_xfer *x)
{
	show_progress(x->arg, x->bytes, false);
}

static void parse(struct side *s, int argc, char **argv)
{
	char *end;
	int opt;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		exit(0);
	}
	if (argc < 2 || (strcmp(argv[1], "send") && strcmp(argv[1], "recv"))) {
		usage(stderr);
		exit(2);
	}
	s->sending = !strcmp(argv[1], "send");
	s->key = DEFAULT_KEY;
	s->size = DEFAULT_SIZE;
	argc--;
	argv++;
	while ((opt = getopt(argc, argv, "hk:s:")) != -1) {
		switch (opt) {
		case 'k':
			errno = 0;
			s->key = (key_t)strtol(optarg, &end, 0);
			if (errno || *end || end == optarg || s->key == IPC_PRIVATE)
				die("bad key: %s", optarg);
			break;
		case 's':
			errno = 0;
			s->size = strtoul(optarg, &end, 0);
			if (errno || *end || end == optarg ||
			    s->size < SHMIPC_CHAN_HDR_SIZE + 4096)
				die("bad size: %s (at least %d)", optarg,
				    SHMIPC_CHAN_HDR_SIZE + 4096);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		exit(2);
	}
	s->file = argv[optind];
}

static void open_file(struct side *s)
{
	if (!strcmp(s->file, "-")) {
		s->fd = s->sending ? STDIN_FILENO : STDOUT_FILENO;
		return;
	}
	s->fd = s->sending ? open(s->file, O_RDONLY | O_CLOEXEC)
			   : open(s->file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (s->fd < 0)
		die("%s: %s", s->file, strerror(errno));
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Creates the segment and lays the channel out, or finds it: true if created. */
static bool get_segment(struct side *s)
{
	struct shmid_ds ds;
	bool created = false;

	for (int tries = 0; !created; tries++) {
		s->shmid = shmipc_get(s->key, s->size, IPC_CREAT | IPC_EXCL | 0600);
		if (s->shmid >= 0) {
			created = true;
			break;
		}
		if (errno != EEXIST)
			die("key 0x%x: %s", (unsigned int)s->key, strerror(errno));
		s->shmid = shmipc_get(s->key, 0, 0);
		if (s->shmid >= 0)
			break;
		/* Removed between the two calls: the last transfer just ended. */
		if (errno != ENOENT || tries == 100)
			die("key 0x%x: %s", (unsigned int)s->key, strerror(errno));
	}
	s->mem = shmipc_at(s->shmid, NULL, 0);
	if (s->mem == (void *)-1)
		die("attaching key 0x%x: %s", (unsigned int)s->key, strerror(errno));
	if (shmipc_ctl(s->shmid, IPC_STAT, &ds) < 0)
		die("key 0x%x: %s", (unsigned int)s->key, strerror(errno));
	s->size = ds.shm_segsz;
	if (created && shmipc_chan_init(s->mem, s->size) < 0) {
		shmipc_ctl(s->shmid, IPC_RMID, NULL);
		die("key 0x%x: %s", (unsigned int)s->key, strerror(errno));
	}
	return created;
}

static void open_end(struct side *s, bool created)
{
	int end = s->sending ? SHMIPC_CHAN_SENDER : SHMIPC_CHAN_RECEIVER;
	const char *name = s->sending ? "sender" : "receiver";

	/* EINVAL: the creator has not laid the channel out yet. */
	for (int waited = 0; shmipc_chan_open(s->mem, s->size, end, &s->ch) < 0; waited += 10) {
		if (errno == EBUSY)
			die("key 0x%x has a %s already, or is left from a failed "
			    "transfer (shmipcrm -M 0x%x removes it)",
			    (unsigned int)s->key, name, (unsigned int)s->key);
		if (errno != EINVAL || created || waited >= OPEN_WAIT_MS)
			die("key 0x%x: not a shmcp channel: %s", (unsigned int)s->key,
			    strerror(errno));
		msleep(10);
	}
	s->opened = true;
}

/* The one-line reason a transfer failed. */
static void report(struct side *s, const struct shmcp_xfer *x, int err)
{
	const char *peer = s->sending ? "receiver" : "sender";

	if (strcmp(x->what, "channel"))
		fprintf(stderr, "%s: %s %s: %s\n", prog, x->what, s->file, strerror(err));
	else if (err == ECONNRESET)
		fprintf(stderr, "%s: the %s died\n", prog, peer);
	else if (err == EPIPE && s->sending)
		fprintf(stderr, "%s: the receiver quit\n", prog);
	else if (err == EPIPE)
		fprintf(stderr, "%s: the sender quit before the end of the file\n", prog);
	else
		fprintf(stderr, "%s: %s\n", prog, strerror(err));
}

int main(int argc, char **argv)
{
	struct side s = { 0 };
	struct shmcp_xfer x = { 0 };
	bool tty = isatty(STDERR_FILENO);
	int ret, err;

	/* A write to a closed pipe is an error to report, not a death. */
	signal(SIGPIPE, SIG_IGN);
	parse(&s, argc, argv);
	open_file(&s);
	open_end(&s, get_segment(&s));

	x.fd = s.fd;
	x.arg = &s;
	x.progress = tty ? progress : NULL;
	clock_gettime(CLOCK_MONOTONIC, &s.start);
	s.last = s.start;
	ret = s.sending ? shmcp_send(&s.ch, &x) : shmcp_recv(&s.ch, &x);
	err = errno;
	if (tty)
		show_progress(&s, x.bytes, true);

	shmipc_chan_close(&s.ch);
	/*
	 * The receiver is the last one out after a transfer; after a failure,
	 * the side that fails knows the channel is dead, and removes it.
	 */
	if (ret < 0 || !s.sending)
		shmipc_ctl(s.shmid, IPC_RMID, NULL);
	shmipc_dt(s.mem);
	if (ret < 0) {
		report(&s, &x, err);
		return 1;
	}
	if (!s.sending && s.fd != STDOUT_FILENO && close(s.fd) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, s.file, strerror(errno));
		return 1;
	}
	return 0;
}

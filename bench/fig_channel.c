// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_bench figure 9: throughput of a stream of messages from one
 * process to another, at 64 B, 4 KiB and 1 MiB a message; time per MiB
 * delivered, and MB/s.
 *
 * The receiving child is forked in setup and stopped in teardown. Before
 * each run the parent tells it, through a control pipe, how many
 * messages to expect; the clock starts, the parent sends n messages, and
 * stops the clock when the child's acknowledgement comes back on a
 * second pipe, saying that all n arrived and how many bytes they held
 * (checked). So a run times n messages end to end, the last one received
 * included, plus one pipe hop (the ack) per run; the count is written
 * before the clock starts.
 *
 *   shmipc chan     shmipc_chan_send() of a buffer, shmipc_chan_recv()
 *                   into one: a copy in, a copy out
 *   shmipc 0-copy   shmipc_chan_reserve(), the sender writing the whole
 *                   message in place, _commit(); shmipc_chan_peek(), the
 *                   receiver summing the whole message in place, _release()
 *   pipe pair       write() of each message, read() of each (looping
 *                   until the message is whole: a pipe has no boundaries)
 *   unix socket     likewise on a SOCK_STREAM socket pair
 *   memcpy          one process copying each message between two buffers
 *                   already faulted in: the ceiling, as figure 11
 *
 * The channel is in a shmipc segment of 4 MiB + 4 KiB (a ring of a bit
 * over 4 MiB: the largest message is half the ring, less 8 bytes), all
 * of it touched by both processes in setup so that no fault is timed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <shmipc.h>

#include "bench.h"

#define MIB		(1UL << 20)
#define CHAN_SEG	(4 * MIB + PAGE)

/* A channel row's kind: its arg. */
enum { K_CHAN, K_ZCOPY, K_PIPE, K_SOCKET };

/* The message size, for every row of the table being measured. */
static size_t msg_size;

/* What the child says: after starting (bytes 0) and after each run. */
struct ack {
	int64_t bytes;		/* received in the run; -1: failed */
	int64_t err;		/* its errno when failed */
	uint64_t sum;		/* of the data (0-copy), so that it is read */
};

/*
 * The row's state: ctx->fds[0] the data stream's sending end (pipe,
 * socket), [1] the control pipe's write end, [2] the ack pipe's read end;
 * ctx->addr the segment, ctx->aux the parent's buffer.
 */
struct chan_state {
	shmipc_chan_t ch;
	int open;		/* ch is open */
	char *buf;		/* the sender's message */
};

static int fail(struct bench_ctx *ctx, const char *why)
{
	ctx->why = why;
	return -1;
}

static int kind_of(const struct bench_ctx *ctx)
{
	return *(const int *)ctx->arg;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= w;
	}
	return 0;
}

/* 0, or -1: an error (errno) or end of file (errno 0) before len bytes. */
static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t r = read(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!r)
				errno = 0;
			return -1;
		}
		p += r;
		len -= r;
	}
	return 0;
}

/* Reads every 8-byte word of a message, so that a 0-copy receive reads it. */
static uint64_t sum_words(const void *p, size_t len)
{
	const uint64_t *w = p;
	uint64_t s = 0;
	size_t i;

	for (i = 0; i < len / 8; i++)
		s += w[i];
	return s;
}

/* One run's worth of messages on the child's side; returns bytes or -1. */
static int64_t child_receive(int kind, shmipc_chan_t *ch, int in, char *buf,
			     long n, uint64_t *sum)
{
	int64_t bytes = 0;
	const void *p;
	size_t len;
	ssize_t r;

	while (n--) {
		switch (kind) {
		case K_CHAN:
			r = shmipc_chan_recv(ch, buf, msg_size, 0);
			if (r < 0)
				return -1;
			bytes += r;
			break;
		case K_ZCOPY:
			if (shmipc_chan_peek(ch, &p, &len, 0))
				return -1;
			*sum += sum_words(p, len);
			bytes += len;
			if (shmipc_chan_release(ch))
				return -1;
			break;
		default:
			if (read_all(in, buf, msg_size)) {
				if (!errno)
					errno = EPIPE;
				return -1;
			}
			bytes += msg_size;
			break;
		}
	}
	return bytes;
}

/*
 * The child: opens its end, says so, then per run reads n from the
 * control pipe, receives n messages and acknowledges. The control pipe's
 * end of file (the parent's teardown, or its death) ends it.
 */
static void __attribute__((noreturn))
child(int kind, void *mem, int in, int ctl, int ackfd)
{
	struct ack ack = { 0 };
	shmipc_chan_t ch = { 0 };
	char *buf;
	long n;

	buf = malloc(msg_size);
	if (!buf)
		ack.bytes = -1, ack.err = ENOMEM;
	else
		memset(buf, 0, msg_size);
	if (mem && !ack.bytes) {
		touch_pages_read(mem, CHAN_SEG);
		if (shmipc_chan_open(mem, CHAN_SEG, SHMIPC_CHAN_RECEIVER, &ch))
			ack.bytes = -1, ack.err = errno;
	}
	if (write_all(ackfd, &ack, sizeof(ack)) || ack.bytes < 0)
		_exit(1);
	while (!read_all(ctl, &n, sizeof(n))) {
		ack.sum = 0;
		ack.bytes = child_receive(kind, &ch, in, buf, n, &ack.sum);
		ack.err = ack.bytes < 0 ? errno : 0;
		if (write_all(ackfd, &ack, sizeof(ack)))
			_exit(1);
	}
	_exit(0);
}

/* Waits for the child's ack; 0 if it says `bytes`, else -1 with errno. */
static int wait_ack(struct bench_ctx *ctx, int64_t bytes, const char *what)
{
	struct ack ack;

	if (read_all(ctx->fds[2], &ack, sizeof(ack))) {
		if (!errno)
			errno = ECHILD;
		return fail(ctx, "child's ack");
	}
	if (ack.bytes < 0) {
		errno = (int)ack.err;
		return fail(ctx, what);
	}
	if (ack.bytes != bytes) {
		errno = EPROTO;
		return fail(ctx, "child's byte count");
	}
	return 0;
}

/* Makes the data path the kind needs; fds[0] and, for the child, *in. */
static int make_path(struct bench_ctx *ctx, int kind, int *in)
{
	int sv[2];

	switch (kind) {
	case K_CHAN:
	case K_ZCOPY:
		ctx->id = shmipc_get(IPC_PRIVATE, CHAN_SEG, IPC_CREAT | 0600);
		if (ctx->id < 0)
			return fail(ctx, "shmipc_get");
		ctx->addr = shmipc_at(ctx->id, NULL, 0);
		if (ctx->addr == (void *)-1) {
			ctx->addr = NULL;
			shmipc_ctl(ctx->id, IPC_RMID, NULL);
			return fail(ctx, "shmipc_at");
		}
		/* Removed now: freed when both processes have detached. */
		shmipc_ctl(ctx->id, IPC_RMID, NULL);
		touch_pages_write(ctx->addr, CHAN_SEG);
		if (shmipc_chan_init(ctx->addr, CHAN_SEG))
			return fail(ctx, "shmipc_chan_init");
		return 0;
	case K_PIPE:
		if (pipe(sv))
			return fail(ctx, "pipe");
		break;
	default:
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
			return fail(ctx, "socketpair");
		break;
	}
	/* A pipe's write end is [1]; either end of a socket pair will do. */
	ctx->fds[0] = sv[1];
	*in = sv[0];
	return 0;
}

static int chan_setup(struct bench_ctx *ctx, long n)
{
	int kind = kind_of(ctx), in = -1, ctl[2], ack[2];
	struct chan_state *st;

	(void)n;
	st = calloc(1, sizeof(*st));
	if (!st)
		return fail(ctx, "calloc");
	ctx->aux = st;
	st->buf = malloc(msg_size);
	if (!st->buf)
		return fail(ctx, "malloc");
	memset(st->buf, 'm', msg_size);
	if (make_path(ctx, kind, &in))
		return -1;
	if (pipe(ctl)) {
		if (in >= 0)
			close(in);
		return fail(ctx, "pipe");
	}
	ctx->fds[1] = ctl[1];
	if (pipe(ack)) {
		if (in >= 0)
			close(in);
		close(ctl[0]);
		return fail(ctx, "pipe");
	}
	ctx->fds[2] = ack[0];
	ctx->pid = fork();
	if (ctx->pid == 0) {
		/* Only the child's ends: the parent's would hide end of file. */
		if (ctx->fds[0] >= 0)
			close(ctx->fds[0]);
		close(ctl[1]);
		close(ack[0]);
		child(kind, ctx->addr, in, ctl[0], ack[1]);
	}
	if (in >= 0)
		close(in);
	close(ctl[0]);
	close(ack[1]);
	if (ctx->pid < 0)
		return fail(ctx, "fork");
	/* The child has touched the ring and opened its end. */
	if (wait_ack(ctx, 0, "child: shmipc_chan_open"))
		return -1;
	if (ctx->addr &&
	    shmipc_chan_open(ctx->addr, CHAN_SEG, SHMIPC_CHAN_SENDER, &st->ch))
		return fail(ctx, "shmipc_chan_open");
	st->open = !!ctx->addr;
	return 0;
}

static int send_one(struct bench_ctx *ctx, struct chan_state *st, long i)
{
	void *p;

	switch (kind_of(ctx)) {
	case K_CHAN:
		if (shmipc_chan_send(&st->ch, st->buf, msg_size, 0))
			return fail(ctx, "shmipc_chan_send");
		return 0;
	case K_ZCOPY:
		if (shmipc_chan_reserve(&st->ch, msg_size, &p, 0))
			return fail(ctx, "shmipc_chan_reserve");
		memset(p, (int)(i & 0xff), msg_size);
		if (shmipc_chan_commit(&st->ch, msg_size))
			return fail(ctx, "shmipc_chan_commit");
		return 0;
	default:
		if (write_all(ctx->fds[0], st->buf, msg_size))
			return fail(ctx, "write");
		return 0;
	}
}

static int64_t chan_run(struct bench_ctx *ctx, long n)
{
	struct chan_state *st = ctx->aux;
	int64_t t0;
	long i;

	/* The count goes ahead of the clock: the child then waits in recv. */
	if (write_all(ctx->fds[1], &n, sizeof(n)))
		return fail(ctx, "write to the child");
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		if (send_one(ctx, st, i))
			return -1;
	}
	if (wait_ack(ctx, (int64_t)n * (int64_t)msg_size, "child: receive"))
		return -1;
	return now_ns() - t0;
}

/*
 * Closing the data path ends a child stuck in a receive (EPIPE, or end
 * of file), closing the control pipe one waiting for a count.
 */
static void chan_teardown(struct bench_ctx *ctx)
{
	struct chan_state *st = ctx->aux;
	int i;

	if (st && st->open)
		shmipc_chan_close(&st->ch);
	for (i = 0; i < 3; i++) {
		if (ctx->fds[i] >= 0)
			close(ctx->fds[i]);
	}
	if (ctx->pid > 0)
		waitpid(ctx->pid, NULL, 0);
	if (ctx->addr)
		shmipc_dt(ctx->addr);
	if (st)
		free(st->buf);
	free(st);
}

static const int kinds[] = { K_CHAN, K_ZCOPY, K_PIPE, K_SOCKET };

static const struct bench_row rows[] = {
	{ "shmipc chan", chan_setup, chan_run, chan_teardown, &kinds[0] },
	{ "shmipc 0-copy", chan_setup, chan_run, chan_teardown, &kinds[1] },
	{ "pipe pair", chan_setup, chan_run, chan_teardown, &kinds[2] },
	{ "unix socket", chan_setup, chan_run, chan_teardown, &kinds[3] },
	/* fig_memcpy.c's row, copying msg_size bytes. */
	{ "memcpy", copy_setup, copy_run, copy_teardown, &msg_size },
};
#define NROWS ((int)(sizeof(rows) / sizeof(rows[0])))

int fig_channel(void)
{
	/* About 1, 16 and 16 MiB a run (quick: 64 KiB, 1 and 4 MiB). */
	static const struct {
		const char *id, *name;
		size_t size;
		long n, quick_n;
	} sizes[] = {
		{ "9a", "64 B", 64, 16384, 1024 },
		{ "9b", "4 KiB", 4096, 4096, 256 },
		{ "9c", "1 MiB", MIB, 16, 4 },
	};
	struct bench_result res[NROWS];
	char title[128];
	int s, i, bad = 0;

	for (s = 0; s < 3; s++) {
		long n = opts.quick ? sizes[s].quick_n : sizes[s].n;

		msg_size = sizes[s].size;
		bench_measure(rows, NROWS, n, (double)n * msg_size / MIB, res);
		snprintf(title, sizeof(title),
			 "%s. channel throughput between two processes, %s messages",
			 sizes[s].id, sizes[s].name);
		bad += bench_print(title, "per MiB", rows, NROWS, res);
		for (i = 0; i < NROWS; i++) {
			if (!res[i].failed && bench_median(&res[i]) > 0)
				printf("  %-14s %9.0f MB/s (median)\n", rows[i].name,
				       MIB * 1e3 / bench_median(&res[i]));
		}
	}
	return bad;
}

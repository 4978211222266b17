// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_bench figure 7: ping-pong between two processes. The parent
 * wakes the child, the child wakes the parent: one round trip, two
 * wake-ups and two sleeps. The child is forked in setup and stopped in
 * teardown, so that only round trips are timed.
 *
 * shmipc_sem_t lives in a shmipc segment, POSIX sem_t (sem_init with
 * pshared) in a shared anonymous mapping; the pipe pair and the unix
 * socket pair carry one byte each way.
 */
#define _GNU_SOURCE
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <shmipc.h>

#include "bench.h"

static int fail(struct bench_ctx *ctx, const char *why)
{
	ctx->why = why;
	return -1;
}

static void reap(struct bench_ctx *ctx)
{
	if (ctx->pid > 0)
		waitpid(ctx->pid, NULL, 0);
}

/* shmipc_sem_t: ping and pong in a segment, and a flag that ends the child. */
struct shmipc_pp {
	shmipc_sem_t ping, pong;
	volatile int stop;
};

static int shmipc_setup(struct bench_ctx *ctx, long n)
{
	struct shmipc_pp *pp;

	(void)n;
	ctx->id = shmipc_get(IPC_PRIVATE, PAGE, IPC_CREAT | 0600);
	if (ctx->id < 0)
		return fail(ctx, "shmipc_get");
	pp = shmipc_at(ctx->id, NULL, 0);
	if (pp == (void *)-1) {
		shmipc_ctl(ctx->id, IPC_RMID, NULL);
		return fail(ctx, "shmipc_at");
	}
	/* Removed now: freed when both processes have detached. */
	shmipc_ctl(ctx->id, IPC_RMID, NULL);
	ctx->addr = pp;
	ctx->pid = fork();
	if (ctx->pid < 0)
		return fail(ctx, "fork");
	if (ctx->pid == 0) {
		for (;;) {
			if (shmipc_sem_wait(&pp->ping))
				_exit(1);
			if (pp->stop)
				_exit(0);
			shmipc_sem_post(&pp->pong);
		}
	}
	return 0;
}

static int64_t shmipc_run(struct bench_ctx *ctx, long n)
{
	struct shmipc_pp *pp = ctx->addr;
	int64_t t0 = now_ns();

	while (n--) {
		if (shmipc_sem_post(&pp->ping) || shmipc_sem_wait(&pp->pong))
			return fail(ctx, "shmipc_sem");
	}
	return now_ns() - t0;
}

static void shmipc_teardown(struct bench_ctx *ctx)
{
	struct shmipc_pp *pp = ctx->addr;

	if (ctx->pid > 0) {
		pp->stop = 1;
		shmipc_sem_post(&pp->ping);
	}
	reap(ctx);
	shmipc_dt(pp);
}

/* POSIX sem_t, the same dance. */
struct posix_pp {
	sem_t ping, pong;
	volatile int stop;
};

static int posix_setup(struct bench_ctx *ctx, long n)
{
	struct posix_pp *pp;

	(void)n;
	pp = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		  -1, 0);
	if (pp == MAP_FAILED)
		return fail(ctx, "mmap");
	ctx->addr = pp;
	if (sem_init(&pp->ping, 1, 0) || sem_init(&pp->pong, 1, 0))
		return fail(ctx, "sem_init");
	ctx->pid = fork();
	if (ctx->pid < 0)
		return fail(ctx, "fork");
	if (ctx->pid == 0) {
		for (;;) {
			if (sem_wait(&pp->ping))
				_exit(1);
			if (pp->stop)
				_exit(0);
			sem_post(&pp->pong);
		}
	}
	return 0;
}

static int64_t posix_run(struct bench_ctx *ctx, long n)
{
	struct posix_pp *pp = ctx->addr;
	int64_t t0 = now_ns();

	while (n--) {
		if (sem_post(&pp->ping) || sem_wait(&pp->pong))
			return fail(ctx, "sem_post/sem_wait");
	}
	return now_ns() - t0;
}

static void posix_teardown(struct bench_ctx *ctx)
{
	struct posix_pp *pp = ctx->addr;

	if (!pp)
		return;
	if (ctx->pid > 0) {
		pp->stop = 1;
		sem_post(&pp->ping);
	}
	reap(ctx);
	munmap(pp, PAGE);
}

/*
 * Byte streams: fds[0] is the parent's end to write, fds[1] to read;
 * the child echoes each byte and exits at end of file. The pipe pair is
 * figure 8's reference row too (bench.h).
 */
static void echo_child(int in, int out)
{
	char c;

	while (read(in, &c, 1) == 1) {
		if (write(out, &c, 1) != 1)
			_exit(1);
	}
	_exit(0);
}

static int stream_fork(struct bench_ctx *ctx, int child_in, int child_out)
{
	ctx->pid = fork();
	if (ctx->pid < 0)
		return fail(ctx, "fork");
	if (ctx->pid == 0) {
		close(ctx->fds[0]);
		close(ctx->fds[1]);
		echo_child(child_in, child_out);
	}
	close(child_in);
	if (child_out != child_in)
		close(child_out);
	return 0;
}

int pingpong_pipe_setup(struct bench_ctx *ctx, long n)
{
	int down[2], up[2];

	(void)n;
	if (pipe(down))
		return fail(ctx, "pipe");
	if (pipe(up)) {
		close(down[0]);
		close(down[1]);
		return fail(ctx, "pipe");
	}
	ctx->fds[0] = down[1];
	ctx->fds[1] = up[0];
	return stream_fork(ctx, down[0], up[1]);
}

static int socket_setup(struct bench_ctx *ctx, long n)
{
	int sv[2];

	(void)n;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return fail(ctx, "socketpair");
	ctx->fds[0] = sv[0];
	ctx->fds[1] = dup(sv[0]);
	return stream_fork(ctx, sv[1], sv[1]);
}

int64_t pingpong_stream_run(struct bench_ctx *ctx, long n)
{
	int64_t t0 = now_ns();
	char c = 'x';

	while (n--) {
		if (write(ctx->fds[0], &c, 1) != 1 || read(ctx->fds[1], &c, 1) != 1)
			return fail(ctx, "write/read");
	}
	return now_ns() - t0;
}

void pingpong_stream_teardown(struct bench_ctx *ctx)
{
	/* A socket's end of file needs every descriptor of it closed. */
	close(ctx->fds[0]);
	close(ctx->fds[1]);
	reap(ctx);
}

int fig_pingpong(void)
{
	static const struct bench_row rows[] = {
		{ "shmipc_sem", shmipc_setup, shmipc_run, shmipc_teardown, NULL },
		{ "posix sem_t", posix_setup, posix_run, posix_teardown, NULL },
		{ "pipe pair", pingpong_pipe_setup, pingpong_stream_run,
		  pingpong_stream_teardown, NULL },
		{ "unix socket", socket_setup, pingpong_stream_run,
		  pingpong_stream_teardown, NULL },
	};
	struct bench_result res[4];
	long n = opts.quick ? 20 : 100;

	bench_measure(rows, 4, n, n, res);
	return bench_print("7. semaphore ping-pong between two processes",
			   "per round trip", rows, 4, res);
}

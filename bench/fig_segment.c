// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_bench figures 1-4 and 6: a segment's life, attach and detach,
 * page faults, and two processes attaching at once; the same code for
 * each of the four systems, through its struct seg_ops (systems.c).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../userspace/include/shmipc.h"

#include "bench.h"

#define SMALL	PAGE
#define BIG	(64UL << 20)

static const struct seg_ops *ops_of(const struct bench_ctx *ctx)
{
	return ctx->arg;
}

/* Four rows, one per system, of the same three functions. */
#define SEG_ROWS(setup, run, teardown) {				\
	{ "shmipc", setup, run, teardown, &seg_shmipc },		\
	{ "sysv", setup, run, teardown, &seg_sysv },			\
	{ "posix-shm", setup, run, teardown, &seg_posix },		\
	{ "memfd", setup, run, teardown, &seg_memfd },			\
}

static int table(const char *title, const char *unit,
		 const struct bench_row *rows, long n, double units)
{
	struct bench_result res[SEG_SYSTEMS];

	bench_measure(rows, SEG_SYSTEMS, n, units, res);
	return bench_print(title, unit, rows, SEG_SYSTEMS, res);
}

/* 1. create + attach + touch one page + detach + remove, n times. */
static int64_t cycle_run(struct bench_ctx *ctx, long n)
{
	const struct seg_ops *s = ops_of(ctx);
	int64_t t0 = now_ns();
	char *p;

	while (n--) {
		if (s->create(ctx, SMALL) < 0)
			return -1;
		p = s->attach(ctx);
		if (!p) {
			s->remove(ctx);
			return -1;
		}
		p[0] = 1;
		if (s->detach(ctx, p) < 0 || s->remove(ctx) < 0)
			return -1;
	}
	return now_ns() - t0;
}

int fig_cycle(void)
{
	static const struct bench_row rows[] = SEG_ROWS(NULL, cycle_run, NULL);
	long n = opts.quick ? 20 : 100;

	return table("1. cycle: create, attach, touch a 4 KiB page, detach, remove",
		     "per cycle", rows, n, n);
}

/* 2. attach + detach of one existing 4 KiB segment, n times. */
static int small_setup(struct bench_ctx *ctx, long n)
{
	(void)n;
	return ops_of(ctx)->create(ctx, SMALL);
}

static void seg_teardown(struct bench_ctx *ctx)
{
	ops_of(ctx)->remove(ctx);
}

static int64_t attach_run(struct bench_ctx *ctx, long n)
{
	const struct seg_ops *s = ops_of(ctx);
	int64_t t0 = now_ns();
	void *p;

	while (n--) {
		p = s->attach(ctx);
		if (!p || s->detach(ctx, p) < 0)
			return -1;
	}
	return now_ns() - t0;
}

int fig_attach(void)
{
	static const struct bench_row rows[] =
		SEG_ROWS(small_setup, attach_run, seg_teardown);
	long n = opts.quick ? 50 : 500;

	return table("2. attach + detach of an existing 4 KiB segment",
		     "per pair", rows, n, n);
}

/*
 * 2b. The same with a watcher of the namespace that a thread of its own
 * reads as fast as events come (each attach and detach is one), against
 * SysV and against shmipc unwatched. The attachers list is kept in every
 * row of shmipc's, watched or not.
 */
static void *drain_events(void *arg)
{
	struct bench_ctx *ctx = arg;
	char buf[64 * 48];
	struct pollfd p[2] = {
		{ .fd = ctx->fds[0], .events = POLLIN },
		{ .fd = ctx->fds[1], .events = POLLIN },
	};

	while (poll(p, 2, -1) >= 0 && !p[1].revents)
		while (read(ctx->fds[0], buf, sizeof(buf)) > 0)
			;
	return NULL;
}

static int watched_setup(struct bench_ctx *ctx, long n)
{
	int stop[2];

	ctx->fds[0] = ctx->fds[1] = ctx->fds[2] = -1;
	ctx->aux = NULL;
	if (small_setup(ctx, n))
		return -1;
	ctx->fds[0] = shmipc_watch_all(0, O_NONBLOCK | O_CLOEXEC);
	if (ctx->fds[0] < 0 || pipe(stop)) {
		ctx->why = "a watcher";
		return -1;
	}
	ctx->fds[1] = stop[0];
	ctx->fds[2] = stop[1];
	ctx->aux = malloc(sizeof(pthread_t));
	if (!ctx->aux || pthread_create(ctx->aux, NULL, drain_events, ctx)) {
		ctx->why = "the watcher's reader";
		return -1;
	}
	return 0;
}

static void watched_teardown(struct bench_ctx *ctx)
{
	if (ctx->aux) {
		if (write(ctx->fds[2], "", 1) == 1)
			pthread_join(*(pthread_t *)ctx->aux, NULL);
		free(ctx->aux);
		ctx->aux = NULL;
	}
	close(ctx->fds[0]);
	close(ctx->fds[1]);
	close(ctx->fds[2]);
	seg_teardown(ctx);
}

int fig_attach_watched(void)
{
	static const struct bench_row rows[] = {
		{ "shmipc+watch", watched_setup, attach_run, watched_teardown,
		  &seg_shmipc },
		{ "sysv", small_setup, attach_run, seg_teardown, &seg_sysv },
		{ "shmipc", small_setup, attach_run, seg_teardown, &seg_shmipc },
	};
	struct bench_result res[3];
	long n = opts.quick ? 50 : 500;

	bench_measure(rows, 3, n, n, res);
	return bench_print("2b. attach + detach of an existing 4 KiB segment, a watcher reading its events",
			   "per pair", rows, 3, res);
}

/*
 * 3. First touch: one byte written to each page of a new segment, each a
 * fault that allocates and clears a page. Only the writes are timed.
 */
static size_t big_size(void)
{
	return opts.quick ? 4UL << 20 : BIG;
}

static int big_setup(struct bench_ctx *ctx, long n)
{
	const struct seg_ops *s = ops_of(ctx);

	(void)n;
	if (s->create(ctx, big_size()) < 0)
		return -1;
	ctx->addr = s->attach(ctx);
	if (!ctx->addr) {
		s->remove(ctx);
		return -1;
	}
	return 0;
}

static void big_teardown(struct bench_ctx *ctx)
{
	const struct seg_ops *s = ops_of(ctx);

	s->detach(ctx, ctx->addr);
	s->remove(ctx);
}

static int64_t write_run(struct bench_ctx *ctx, long n)
{
	int64_t t0 = now_ns();

	(void)n;
	touch_pages_write(ctx->addr, ctx->size);
	return now_ns() - t0;
}

int fig_first_touch(void)
{
	static const struct bench_row rows[] =
		SEG_ROWS(big_setup, write_run, big_teardown);
	char title[96];

	snprintf(title, sizeof(title),
		 "3. first-touch fault of a new %zu MiB segment (a byte written a page)",
		 big_size() >> 20);
	return table(title, "per page", rows, 1, big_size() / PAGE);
}

/*
 * 4. Re-fault: the segment's pages exist (written once), the attachment
 * that wrote them is gone, and a new attachment reads (or writes) one
 * byte a page: faults that only map pages already there. Each system's
 * segment is made and populated once for the figure, not once per
 * repetition: under TCG, making 64 MiB of pages costs several times
 * what is measured. A repetition attaches it, touches every page (the
 * timed part) and detaches it.
 */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

struct held {
	const struct seg_ops *ops;
	struct bench_ctx seg;
};

static struct held held[SEG_SYSTEMS];

/* One call where the kernel has it (5.14), rather than a trap a page. */
static int hold_populated(struct held *h, const struct seg_ops *ops)
{
	h->ops = ops;
	h->seg = (struct bench_ctx){ .id = -1, .fd = -1, .arg = ops };
	if (big_setup(&h->seg, 1) < 0)
		return -1;
	if (madvise(h->seg.addr, h->seg.size, MADV_POPULATE_WRITE))
		touch_pages_write(h->seg.addr, h->seg.size);
	if (ops->detach(&h->seg, h->seg.addr) < 0) {
		ops->remove(&h->seg);
		return -1;
	}
	return 0;
}

static int reattach_setup(struct bench_ctx *ctx, long n)
{
	struct held *h = (struct held *)ctx->arg;

	(void)n;
	if (!h->ops) {
		ctx->why = "making the populated segment";
		return -1;
	}
	ctx->size = h->seg.size;
	ctx->addr = h->ops->attach(&h->seg);
	if (!ctx->addr) {
		ctx->why = h->seg.why;
		return -1;
	}
	return 0;
}

static void reattach_teardown(struct bench_ctx *ctx)
{
	struct held *h = (struct held *)ctx->arg;

	h->ops->detach(&h->seg, ctx->addr);
}

static unsigned long sink;

static int64_t read_run(struct bench_ctx *ctx, long n)
{
	int64_t t0 = now_ns();

	(void)n;
	sink += touch_pages_read(ctx->addr, ctx->size);
	return now_ns() - t0;
}

#define HELD_ROWS(run) {						\
	{ "shmipc", reattach_setup, run, reattach_teardown, &held[0] },	\
	{ "sysv", reattach_setup, run, reattach_teardown, &held[1] },	\
	{ "posix-shm", reattach_setup, run, reattach_teardown, &held[2] }, \
	{ "memfd", reattach_setup, run, reattach_teardown, &held[3] },	\
}

int fig_refault(void)
{
	static const struct bench_row reads[] = HELD_ROWS(read_run);
	static const struct bench_row writes[] = HELD_ROWS(write_run);
	char title[96];
	int i, bad;

	for (i = 0; i < SEG_SYSTEMS; i++) {
		/* A system that fails here fails its rows (no ops). */
		if (hold_populated(&held[i], seg_systems[i]) < 0)
			held[i].ops = NULL;
	}
	snprintf(title, sizeof(title),
		 "4a. re-fault of a populated %zu MiB segment after detach + attach: read",
		 big_size() >> 20);
	bad = table(title, "per page", reads, 1, big_size() / PAGE);
	snprintf(title, sizeof(title),
		 "4b. re-fault of a populated %zu MiB segment after detach + attach: write",
		 big_size() >> 20);
	bad += table(title, "per page", writes, 1, big_size() / PAGE);
	for (i = 0; i < SEG_SYSTEMS; i++) {
		if (held[i].ops)
			held[i].ops->remove(&held[i].seg);
	}
	return bad;
}

/*
 * 6. Two processes, each attaching and detaching a segment of its own n
 * times, started together: the time per attach + detach of the pair, from
 * the first start to the last end (CLOCK_MONOTONIC is the same in both).
 */
struct parallel {
	struct bench_ctx seg[2];
	int64_t start[2], end[2];	/* in a shared page: the children write */
	int failed;
};

static int parallel_setup(struct bench_ctx *ctx, long n)
{
	const struct seg_ops *s = ops_of(ctx);
	struct parallel *par;
	int i;

	(void)n;
	par = mmap(NULL, sizeof(*par), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (par == MAP_FAILED) {
		ctx->why = "mmap";
		return -1;
	}
	for (i = 0; i < 2; i++) {
		par->seg[i] = *ctx;
		if (s->create(&par->seg[i], SMALL) < 0) {
			ctx->why = par->seg[i].why;
			if (i)
				s->remove(&par->seg[0]);
			munmap(par, sizeof(*par));
			return -1;
		}
	}
	ctx->aux = par;
	return 0;
}

static void parallel_teardown(struct bench_ctx *ctx)
{
	struct parallel *par = ctx->aux;

	ops_of(ctx)->remove(&par->seg[0]);
	ops_of(ctx)->remove(&par->seg[1]);
	munmap(par, sizeof(*par));
}

static void parallel_child(struct parallel *par, int i, int go, long n)
{
	const struct seg_ops *s = par->seg[i].arg;
	char c;
	void *p;

	if (read(go, &c, 1) != 1)
		_exit(1);
	par->start[i] = now_ns();
	while (n--) {
		p = s->attach(&par->seg[i]);
		if (!p || s->detach(&par->seg[i], p) < 0) {
			par->failed = 1;
			_exit(1);
		}
	}
	par->end[i] = now_ns();
	_exit(0);
}

static int64_t parallel_run(struct bench_ctx *ctx, long n)
{
	struct parallel *par = ctx->aux;
	int go[2], i, status, ok = 1;
	pid_t pid[2];

	if (pipe(go)) {
		ctx->why = "pipe";
		return -1;
	}
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			close(go[1]);
			parallel_child(par, i, go[0], n);
		}
	}
	close(go[0]);
	/* Both wait on the pipe: the two bytes start them together. */
	if (write(go[1], "gg", 2) != 2)
		ok = 0;
	close(go[1]);
	for (i = 0; i < 2; i++) {
		if (pid[i] < 0 || waitpid(pid[i], &status, 0) < 0 ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			ok = 0;
	}
	if (!ok || par->failed) {
		ctx->why = "a child's attach or detach";
		return -1;
	}
	return (par->end[0] > par->end[1] ? par->end[0] : par->end[1]) -
	       (par->start[0] < par->start[1] ? par->start[0] : par->start[1]);
}

int fig_parallel(void)
{
	static const struct bench_row rows[] =
		SEG_ROWS(parallel_setup, parallel_run, parallel_teardown);
	long n = opts.quick ? 50 : 200;

	return table("6. attach + detach of distinct 4 KiB segments, 2 processes at once"
		     " (wall time / all pairs)", "per pair", rows, n, 2.0 * n);
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shmipc_bench: what the figures share.
 *
 * A figure is a table of rows, one per system (shmipc, SysV, POSIX shm,
 * memfd, pipe, ...). A row is {name, setup, run, teardown}: setup makes
 * what the measured operation needs (a segment, a child process), run
 * does the operation n times and returns the nanoseconds it took,
 * teardown undoes setup. The runner (run.c) calls every row of a figure
 * once per repetition, the rows interleaved, so that a machine that slows
 * down for a while slows every system alike, and compares shmipc with
 * each other row within each repetition (paired ratios).
 *
 * A figure whose code is not written yet (shmipc_bench.c's table lists
 * it without a function) is printed as "not built yet", never with
 * numbers.
 */
#ifndef SHMIPC_BENCH_H
#define SHMIPC_BENCH_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_MAX_REPS	101
#define PAGE		4096UL

/* A row's state between setup and teardown: whatever its system needs. */
struct bench_ctx {
	int id;			/* SysV or shmipc id */
	int fd;			/* POSIX shm or memfd descriptor */
	size_t size;
	void *addr;		/* an attachment kept over setup..teardown */
	void *aux;		/* anything else (shared page, buffers) */
	int pid;		/* a child process */
	int fds[4];		/* pipes and sockets */
	char name[64];		/* POSIX shm name */
	const void *arg;	/* the row's arg, set before setup */
	const char *why;	/* on failure: the call that failed (errno) */
};

struct bench_row {
	const char *name;
	/* 0, or -1 with errno set and ctx->why naming the failed call. */
	int (*setup)(struct bench_ctx *ctx, long n);
	/* Returns the nanoseconds n operations took, or -1 on failure. */
	int64_t (*run)(struct bench_ctx *ctx, long n);
	void (*teardown)(struct bench_ctx *ctx);
	const void *arg;	/* what the row's functions need: its system's
				 * struct seg_ops, struct lookup_sys, ... */
};

/* One row's results over the repetitions, filled in by bench_measure(). */
struct bench_result {
	double per_op[BENCH_MAX_REPS];	/* ns per operation (or per unit) */
	int reps;
	int failed;
	char why[96];
};

struct bench_opts {
	int reps;
	int quick;
};

extern struct bench_opts opts;

/* Figures: each prints its own tables; returns the number of failures. */
int fig_cycle(void);
int fig_attach(void);
int fig_attach_watched(void);
int fig_first_touch(void);
int fig_refault(void);
int fig_lookup(void);
int fig_parallel(void);
int fig_pingpong(void);
int fig_mutex(void);
int fig_channel(void);
int fig_shmcp(void);
int fig_memcpy(void);

/* fig_pingpong.c's pipe pair, one byte each way: figure 8 reuses the row. */
int pingpong_pipe_setup(struct bench_ctx *ctx, long n);
int64_t pingpong_stream_run(struct bench_ctx *ctx, long n);
void pingpong_stream_teardown(struct bench_ctx *ctx);

/*
 * fig_memcpy.c's ceiling, n copies between two buffers faulted in by
 * setup, in one process: figures 9 and 10 reuse the row. Its arg points
 * to the size of a copy (a size_t), read by setup: a pointer, because
 * figure 9's rows are const and its message size changes between tables.
 */
int copy_setup(struct bench_ctx *ctx, long n);
int64_t copy_run(struct bench_ctx *ctx, long n);
void copy_teardown(struct bench_ctx *ctx);

/* run.c: measure rows and print one table. */
int64_t now_ns(void);
void bench_measure(const struct bench_row *rows, int nrows, long n,
		   double units, struct bench_result *res);
/* Prints the table; "unit" names what one operation is ("op", "page"). */
int bench_print(const char *title, const char *unit,
		const struct bench_row *rows, int nrows,
		const struct bench_result *res);
/* The median of a row's repetitions (0 if none ran). */
double bench_median(const struct bench_result *r);
void bench_fail(struct bench_result *res, const char *what);

/* systems.c: making, attaching and removing a segment of each system. */
struct seg_ops {
	const char *name;
	int (*create)(struct bench_ctx *ctx, size_t size);
	void *(*attach)(struct bench_ctx *ctx);
	int (*detach)(struct bench_ctx *ctx, void *addr);
	int (*remove)(struct bench_ctx *ctx);
};

extern const struct seg_ops seg_shmipc, seg_sysv, seg_posix, seg_memfd;
/* The four systems that have segments, in the order tables print them. */
extern const struct seg_ops *const seg_systems[4];
#define SEG_SYSTEMS 4

/* Reading and writing one byte of each page, kept from being optimised out. */
void touch_pages_write(volatile char *p, size_t size);
unsigned long touch_pages_read(const volatile char *p, size_t size);

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_bench: the memcpy ceiling. Copying 1 MiB between two buffers
 * already faulted in is the most any way of moving data through memory
 * can do on this machine; a channel's throughput is judged against it.
 *
 * Figures 9 and 10 put the same row next to theirs, copying their own
 * message or file size: one copy loop, so that the three ceilings differ
 * only in size.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define COPY	(1UL << 20)

int copy_setup(struct bench_ctx *ctx, long n)
{
	(void)n;
	ctx->size = *(const size_t *)ctx->arg;
	ctx->addr = malloc(ctx->size);
	ctx->aux = malloc(ctx->size);
	if (!ctx->addr || !ctx->aux) {
		/* The runner calls no teardown after a failed setup. */
		copy_teardown(ctx);
		ctx->why = "malloc";
		return -1;
	}
	memset(ctx->addr, 1, ctx->size);
	memset(ctx->aux, 2, ctx->size);
	return 0;
}

int64_t copy_run(struct bench_ctx *ctx, long n)
{
	int64_t t0 = now_ns();
	long i;

	for (i = 0; i < n; i++) {
		memcpy(i % 2 ? ctx->addr : ctx->aux, i % 2 ? ctx->aux : ctx->addr,
		       ctx->size);
		/* The copy must happen: the buffers escape to the compiler. */
		__asm__ volatile("" : : "r"(ctx->addr), "r"(ctx->aux) : "memory");
	}
	return now_ns() - t0;
}

void copy_teardown(struct bench_ctx *ctx)
{
	free(ctx->addr);
	free(ctx->aux);
}

int fig_memcpy(void)
{
	static const size_t size = COPY;
	static const struct bench_row rows[] = {
		{ "memcpy", copy_setup, copy_run, copy_teardown, &size },
	};
	struct bench_result res[1];
	long n = opts.quick ? 4 : 50;
	int bad;

	bench_measure(rows, 1, n, n, res);
	bad = bench_print("11. memcpy ceiling: 1 MiB between two faulted-in buffers",
			  "per MiB", rows, 1, res);
	/* Bytes per ns are GB/s. */
	if (!bad)
		printf("  %-14s %11.2f GB/s (median)\n", "memcpy",
		       COPY / bench_median(&res[0]));
	return bad;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_bench: running a figure's rows and printing its table.
 *
 * Every repetition runs every row once; the row that goes first rotates
 * from one repetition to the next, so that none always runs on a cold
 * (or warm) machine. A row that fails once is reported as failed and not
 * run again: a number from the repetitions that worked would hide it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void bench_fail(struct bench_result *res, const char *what)
{
	res->failed = 1;
	snprintf(res->why, sizeof(res->why), "%s: %s", what, strerror(errno));
}

static void run_row(const struct bench_row *row, long n, double units,
		    struct bench_result *res)
{
	struct bench_ctx ctx = { .id = -1, .fd = -1, .pid = -1,
				 .fds = { -1, -1, -1, -1 }, .arg = row->arg };
	int64_t ns;

	if (row->setup && row->setup(&ctx, n) < 0) {
		bench_fail(res, ctx.why ? ctx.why : "setup");
		return;
	}
	ns = row->run(&ctx, n);
	if (ns < 0)
		bench_fail(res, ctx.why ? ctx.why : "run");
	else
		res->per_op[res->reps++] = (double)ns / units;
	if (row->teardown)
		row->teardown(&ctx);
}

/*
 * Runs each row opts.reps times, n operations a time, and records the
 * nanoseconds per unit (units: what n operations amount to, n itself
 * unless an operation is several units, such as pages).
 */
void bench_measure(const struct bench_row *rows, int nrows, long n,
		   double units, struct bench_result *res)
{
	int rep, k, i;

	memset(res, 0, sizeof(*res) * nrows);
	for (rep = 0; rep < opts.reps; rep++) {
		for (k = 0; k < nrows; k++) {
			i = (rep + k) % nrows;
			if (!res[i].failed)
				run_row(&rows[i], n, units, &res[i]);
		}
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A time in ns, printed with a unit that keeps three or four digits. */
static const char *fmt_ns(char *buf, size_t len, double ns)
{
	if (ns < 10000)
		snprintf(buf, len, "%.0f ns", ns);
	else if (ns < 10000000)
		snprintf(buf, len, "%.1f us", ns / 1000);
	else
		snprintf(buf, len, "%.1f ms", ns / 1000000);
	return buf;
}

/*
 * shmipc's time over the other row's, repetition by repetition (the two
 * ran back to back), and the median of those ratios: below 1 shmipc is
 * faster. Both rows have the same number of repetitions unless one failed.
 */
static double paired_ratio(const struct bench_result *a,
			   const struct bench_result *b)
{
	double r[BENCH_MAX_REPS];
	int i, n = a->reps < b->reps ? a->reps : b->reps;

	for (i = 0; i < n; i++)
		r[i] = b->per_op[i] > 0 ? a->per_op[i] / b->per_op[i] : 0;
	return n ? median(r, n) : 0;
}

/*
 * Prints one table: per row the median time per unit, its spread
 * (min..max), and shmipc's paired ratio to it when row 0 is shmipc's.
 * Returns how many rows failed or measured no time at all.
 */
double bench_median(const struct bench_result *r)
{
	double v[BENCH_MAX_REPS];

	memcpy(v, r->per_op, sizeof(double) * r->reps);
	return r->reps ? median(v, r->reps) : 0;
}

int bench_print(const char *title, const char *unit,
		const struct bench_row *rows, int nrows,
		const struct bench_result *res)
{
	int i, bad = 0, ratios = !strncmp(rows[0].name, "shmipc", 6);
	char a[32], b[32], c[32];

	printf("\n%s\n", title);
	printf("  %-14s %14s   ", "system", unit);
	printf(ratios ? "%-24s shmipc/system\n" : "%s\n", "min .. max");
	for (i = 0; i < nrows; i++) {
		double v[BENCH_MAX_REPS], med;
		const struct bench_result *r = &res[i];

		if (r->failed || !r->reps) {
			printf("  %-14s FAILED: %s\n", rows[i].name,
			       r->failed ? r->why : "no repetition ran");
			bad++;
			continue;
		}
		memcpy(v, r->per_op, sizeof(double) * r->reps);
		med = median(v, r->reps);
		if (med <= 0) {
			printf("  %-14s FAILED: measured no time\n", rows[i].name);
			bad++;
			continue;
		}
		snprintf(c, sizeof(c), "%s .. ", fmt_ns(a, sizeof(a), v[0]));
		strncat(c, fmt_ns(b, sizeof(b), v[r->reps - 1]),
			sizeof(c) - strlen(c) - 1);
		printf("  %-14s %14s   ", rows[i].name, fmt_ns(a, sizeof(a), med));
		if (ratios && i > 0 && !res[0].failed)
			printf("%-24s %.2f\n", c, paired_ratio(&res[0], r));
		else
			printf("%s\n", c);
	}
	return bad;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_bench: the benchmark every change to shmipc is judged by.
 *
 * Each figure measures one operation on shmipc and, interleaved within
 * each repetition, on the kernel's own SysV shm, POSIX shm, memfd and,
 * where they apply, pipes and unix sockets; it prints per system the
 * median time per operation over the repetitions, their spread, and
 * shmipc's time over the system's, paired by repetition (median of the
 * ratios: below 1, shmipc is faster).
 *
 *   shmipc_bench [-r REPS] [-q] [-f FIGURE]
 *
 * -q is the smoke run of `make check`: small counts, a few seconds, and
 * a non-zero exit if any system failed or a figure measured no time.
 * Needs root (it raises kernel.shmmni for figure 5) and the module loaded.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"

struct bench_opts opts = { .reps = 11 };

/* A figure without a function is planned but not built yet. */
struct figure {
	const char *id, *name, *what;
	int (*run)(void);
};

static const struct figure figures[] = {
	{ "1", "cycle", "create, attach, touch, detach, remove", fig_cycle },
	{ "2", "attach", "attach + detach of an existing segment", fig_attach },
	{ "2b", "attach-watched", "attach + detach with a watcher reading", fig_attach_watched },
	{ "3", "first-touch", "first-touch faults of a new 64 MiB segment",
	  fig_first_touch },
	{ "4", "refault", "re-faults of a populated 64 MiB segment", fig_refault },
	{ "5", "lookup", "lookup of a key among N segments; slab per segment",
	  fig_lookup },
	{ "6", "parallel", "attach + detach from 2 processes at once", fig_parallel },
	{ "7", "pingpong", "semaphore ping-pong between 2 processes", fig_pingpong },
	{ "8", "mutex", "robust mutex ping-pong", fig_mutex },
	{ "9", "channel", "channel throughput at 64 B, 4 KiB, 1 MiB", fig_channel },
	{ "10", "shmcp", "shmcp vs cat through a pipe", fig_shmcp },
	{ "11", "memcpy", "memcpy ceiling, 1 MiB buffers", fig_memcpy },
};
#define NFIGURES ((int)(sizeof(figures) / sizeof(figures[0])))

static void usage(FILE *out)
{
	int i;

	fprintf(out, "usage: shmipc_bench [-r REPS] [-q] [-f FIGURE]\n"
		"  -r REPS    repetitions, systems interleaved in each (default 11, max %d)\n"
		"  -q         smoke run: tiny counts; fails if any system failed\n"
		"  -f FIGURE  run one figure, by number or name:\n", BENCH_MAX_REPS);
	for (i = 0; i < NFIGURES; i++)
		fprintf(out, "     %2s %-12s %s%s\n", figures[i].id, figures[i].name,
			figures[i].what, figures[i].run ? "" : " (not built yet)");
}

/* The machine, as the guest sees it: what the numbers were taken on. */
static void print_machine(void)
{
	char line[256], model[256] = "unknown";
	struct utsname u;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			snprintf(model, sizeof(model), "%s", strchr(line, ':') + 2);
			model[strcspn(model, "\n")] = 0;
			break;
		}
	}
	if (f)
		fclose(f);
	uname(&u);
	printf("shmipc_bench: kernel %s %s, %ld CPUs (%s)\n", u.release, u.machine,
	       sysconf(_SC_NPROCESSORS_ONLN), model);
	printf("%d repetitions%s, systems interleaved in each; times are medians"
	       " per operation;\nshmipc/system is the median of the per-repetition"
	       " ratios (below 1: shmipc faster)\n",
	       opts.reps, opts.quick ? " (quick smoke run: small counts)" : "");
}

/* Each figure's wall time too: what `make bench`'s time budget is spent on. */
static int run_figure(const struct figure *fig)
{
	int64_t t0 = now_ns();
	int bad;

	if (!fig->run) {
		printf("\n%s. %s: not built yet\n", fig->id, fig->what);
		return 0;
	}
	bad = fig->run();
	printf("  (figure %s: %.1f s)\n", fig->id, (now_ns() - t0) / 1e9);
	return bad;
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	int c, i, bad = 0, found = 0, reps_given = 0;

	while ((c = getopt(argc, argv, "r:qf:h")) != -1) {
		switch (c) {
		case 'r':
			opts.reps = atoi(optarg);
			reps_given = 1;
			break;
		case 'q':
			opts.quick = 1;
			break;
		case 'f':
			only = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || opts.reps < 1 || opts.reps > BENCH_MAX_REPS) {
		usage(stderr);
		return 2;
	}
	if (opts.quick && !reps_given)
		opts.reps = 3;
	/* Tables come out whole even when stdout is a pipe or a serial port. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* A child that died makes a write fail, its row FAILED: not our death. */
	signal(SIGPIPE, SIG_IGN);
	print_machine();
	for (i = 0; i < NFIGURES; i++) {
		if (only && strcmp(only, figures[i].id) && strcmp(only, figures[i].name))
			continue;
		found = 1;
		bad += run_figure(&figures[i]);
	}
	if (!found) {
		fprintf(stderr, "shmipc_bench: no figure %s\n", only);
		usage(stderr);
		return 2;
	}
	if (bad) {
		printf("\nshmipc_bench: %d failure%s (see FAILED and not reached above)\n",
		       bad, bad == 1 ? "" : "s");
		return 1;
	}
	printf("\nshmipc_bench: every figure measured\n");
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_bench figure 5: looking up an existing key while N segments
 * exist (shmipc_get(key, 0, 0), shmget(key, 0, 0), shm_open of a name
 * and close; memfd has no names), for N = 10, 1000, 10000, 100000, and
 * the slab memory each segment costs.
 *
 * The segments are made system by system (not interleaved), so that the
 * growth of /proc/meminfo's Slab over one system's creations is that
 * system's; the lookups are then measured interleaved as everywhere.
 * SysV and shmipc stop at kernel.shmmni, whose maximum is 32768 unless
 * the kernel was booted with ipcmni_extend (make bench boots it so), and
 * shmipc at its module's shmmni cap: a level a system cannot reach is
 * reported as such, with the error that stopped it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#include <shmipc.h>

#include "bench.h"

#define KEY_BASE	0x5b000000
#define SHMMNI		"/proc/sys/kernel/shmmni"
#define MOD_SHMMNI	"/sys/module/shmipc/parameters/shmmni"

struct lookup_sys {
	const char *name;
	int (*create)(long i);
	int (*lookup)(long i);
	int (*remove)(long i);
	const char *call;	/* what create calls, for the report */
	long count;		/* segments made so far */
	int stopped;		/* creating failed: count is all there will be */
	char why[96];
};

static void shm_name(char *buf, size_t len, long i)
{
	snprintf(buf, len, "/shmipc-bench-lookup-%d-%ld", (int)getpid(), i);
}

static int shmipc_create_key(long i)
{
	return shmipc_get(KEY_BASE + i, PAGE, IPC_CREAT | IPC_EXCL | 0600) < 0 ? -1 : 0;
}

static int shmipc_lookup_key(long i)
{
	return shmipc_get(KEY_BASE + i, 0, 0) < 0 ? -1 : 0;
}

static int shmipc_remove_key(long i)
{
	int id = shmipc_get(KEY_BASE + i, 0, 0);

	return id < 0 ? -1 : shmipc_ctl(id, IPC_RMID, NULL);
}

static int sysv_create_key(long i)
{
	return shmget(KEY_BASE + i, PAGE, IPC_CREAT | IPC_EXCL | 0600) < 0 ? -1 : 0;
}

static int sysv_lookup_key(long i)
{
	return shmget(KEY_BASE + i, 0, 0) < 0 ? -1 : 0;
}

static int sysv_remove_key(long i)
{
	int id = shmget(KEY_BASE + i, 0, 0);

	return id < 0 ? -1 : shmctl(id, IPC_RMID, NULL);
}

static int posix_create_name(long i)
{
	char name[64];
	int fd, ret;

	shm_name(name, sizeof(name), i);
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	ret = ftruncate(fd, PAGE);
	close(fd);
	return ret;
}

/* A lookup that keeps no descriptor: open and close, as a program would. */
static int posix_lookup_name(long i)
{
	char name[64];
	int fd;

	shm_name(name, sizeof(name), i);
	fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	return close(fd);
}

static int posix_remove_name(long i)
{
	char name[64];

	shm_name(name, sizeof(name), i);
	return shm_unlink(name);
}

static struct lookup_sys systems[] = {
	{ "shmipc", shmipc_create_key, shmipc_lookup_key, shmipc_remove_key,
	  "shmipc_get", 0, 0, "" },
	{ "sysv", sysv_create_key, sysv_lookup_key, sysv_remove_key,
	  "shmget", 0, 0, "" },
	{ "posix-shm", posix_create_name, posix_lookup_name, posix_remove_name,
	  "shm_open", 0, 0, "" },
};
#define NSYS ((int)(sizeof(systems) / sizeof(systems[0])))

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -1;
	fprintf(f, "%ld\n", v);
	ret = fclose(f);
	return ret ? -1 : 0;
}

/* Slab (reclaimable and not) in bytes, from /proc/meminfo. */
static long slab_bytes(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

/*
 * Make system s's segments up to n; stops at the first failure and
 * keeps its reason. Prints the slab bytes per segment made, when enough
 * were made for the count to mean something (slab pages come whole).
 */
static void grow(struct lookup_sys *s, long n)
{
	long before = slab_bytes(), from = s->count;

	while (!s->stopped && s->count < n) {
		if (s->create(s->count) < 0) {
			s->stopped = 1;
			snprintf(s->why, sizeof(s->why), "%s: %s", s->call,
				 strerror(errno));
			break;
		}
		s->count++;
	}
	if (s->count - from >= 1000 && before >= 0)
		printf("  %-14s slab: %ld bytes per segment over the %ld made for this level\n",
		       s->name, (slab_bytes() - before) / (s->count - from),
		       s->count - from);
}

static int64_t lookup_run(struct bench_ctx *ctx, long n)
{
	const struct lookup_sys *s = ctx->arg;
	int64_t t0 = now_ns();
	long j;

	/* Keys spread over all that exist, not one kept hot in a cache. */
	for (j = 0; j < n; j++) {
		if (s->lookup((j * 7919) % s->count) < 0) {
			ctx->why = "lookup";
			return -1;
		}
	}
	return now_ns() - t0;
}

/*
 * Raise kernel.shmmni as far as the kernel lets it go, up to want (never
 * lower it), and the module's cap with it.
 */
static long raise_shmmni(long want)
{
	if (read_long(SHMMNI) < want && write_long(SHMMNI, want) < 0)
		write_long(SHMMNI, 32768);
	if (read_long(MOD_SHMMNI) < want)
		write_long(MOD_SHMMNI, want);
	return read_long(SHMMNI);
}

static int level(long n)
{
	struct bench_row rows[NSYS];
	struct bench_result res[NSYS];
	int i, nrows = 0, bad = 0;
	char title[96];

	snprintf(title, sizeof(title),
		 "5. lookup of an existing key, N = %ld segments present", n);
	printf("\n%s: making them\n", title);
	for (i = 0; i < NSYS; i++) {
		grow(&systems[i], n);
		if (systems[i].count < n) {
			printf("  %-14s not reached: %ld made, then %s\n",
			       systems[i].name, systems[i].count, systems[i].why);
			/* A smoke run's levels are small: all must be reached. */
			bad += opts.quick;
			continue;
		}
		rows[nrows++] = (struct bench_row){ systems[i].name, NULL,
			lookup_run, NULL, &systems[i] };
	}
	printf("  %-14s n/a: a memfd has no name to look up\n", "memfd");
	if (!nrows)
		return bad;
	bench_measure(rows, nrows, opts.quick ? 20 : 1000,
		      opts.quick ? 20 : 1000, res);
	return bad + bench_print(title, "per lookup", rows, nrows, res);
}

int fig_lookup(void)
{
	/* 32768: the most either reaches without ipcmni_extend. */
	static const long full[] = { 10, 1000, 10000, 32768, 100000 };
	static const long quick[] = { 10, 100 };
	const long *levels = opts.quick ? quick : full;
	int nlevels = opts.quick ? 2 : 5, i, bad = 0;
	long old_mni = read_long(SHMMNI), old_mod = read_long(MOD_SHMMNI);
	long j;

	printf("\nkernel.shmmni %ld -> %ld, shmipc's shmmni cap %ld -> %ld\n",
	       old_mni, raise_shmmni(levels[nlevels - 1]), old_mod,
	       read_long(MOD_SHMMNI));
	for (i = 0; i < nlevels; i++)
		bad += level(levels[i]);
	for (i = 0; i < NSYS; i++) {
		for (j = 0; j < systems[i].count; j++) {
			if (systems[i].remove(j) < 0) {
				printf("  %s: removing segment %ld failed: %s\n",
				       systems[i].name, j, strerror(errno));
				bad++;
				break;
			}
		}
		systems[i].count = 0;
		systems[i].stopped = 0;
	}
	if (old_mni > 0)
		write_long(SHMMNI, old_mni);
	if (old_mod > 0)
		write_long(MOD_SHMMNI, old_mod);
	return bad;
}

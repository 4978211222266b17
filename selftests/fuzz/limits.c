// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_fuzz: the namespace's limits (kernel.shmmax, shmall, shmmni,
 * shm_rmid_forced and shm_next_id) changed while the other threads make,
 * attach, lock and remove segments. As root the fuzzer has an IPC
 * namespace of its own (main.c), so these settings are its own; nobody
 * may not change them (EACCES). A setting is mostly put back to its
 * default, so that segments keep coming; shmmax is only ever lowered,
 * so a size the model calls too large (shmmax) stays EINVAL.
 */
#include <limits.h>

#include "fuzz.h"

enum { L_SHMMAX, L_SHMALL, L_SHMMNI, L_RMID_FORCED, L_NEXT_ID, L_NR };

static const char *const limit_names[L_NR] = {
	"shmmax", "shmall", "shmmni", "shm_rmid_forced", "shm_next_id",
};

/* What each read at the start: the namespace's defaults; -2: no such. */
#define L_ABSENT	(-2)
static long long limit_defaults[L_NR];

static int limit_open(int l, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", limit_names[l]);
	return open(path, flags | O_CLOEXEC);
}

void limits_init(void)
{
	char buf[32];
	ssize_t n;
	int l, fd;

	for (l = 0; l < L_NR; l++) {
		fd = limit_open(l, O_RDONLY);
		/* shm_next_id needs CONFIG_CHECKPOINT_RESTORE. */
		if (fd < 0) {
			limit_defaults[l] = L_ABSENT;
			continue;
		}
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		limit_defaults[l] = strtoll(buf, NULL, 10);
	}
}

/* A value that restricts: low limits, forced removal, an id to take. */
static long long limit_value(struct fthr *t, int l)
{
	switch (l) {
	case L_SHMMAX:
		return (long long)rnd_range(&t->rnd, 1, 64 * pg);
	case L_SHMALL:
		return (long long)rnd_range(&t->rnd, 0, 4096);
	case L_SHMMNI:
		return (long long)rnd_range(&t->rnd, 0, 64);
	case L_RMID_FORCED:
		return 1;
	default:
		/* An index near the start or anywhere, with any sequence. */
		return rnd_chance(&t->rnd, 50) ? (long long)rnd_below(&t->rnd, 64) :
		       (long long)rnd_below(&t->rnd, (uint64_t)INT_MAX + 1);
	}
}

void op_limits(struct fthr *t)
{
	int l = (int)rnd_below(&t->rnd, L_NR), fd, rc = -1;
	long long v = limit_defaults[l];
	char buf[32];

	if (v == L_ABSENT)
		return;
	/* shm_next_id is put back by the create that takes it. */
	if (l == L_NEXT_ID || rnd_chance(&t->rnd, 25))
		v = limit_value(t, l);
	snprintf(buf, sizeof(buf), "%lld", v);
	fd = limit_open(l, O_WRONLY);
	if (fd >= 0) {
		rc = write(fd, buf, strlen(buf)) == (ssize_t)strlen(buf) ? 0 : -1;
		close(fd);
	}
	tally(t, F_LIMITS, rc, t->unpriv ? E_ACCES : E_NONE, "kernel.%s = %s",
	      limit_names[l], buf);
	if (!rc && t->unpriv)
		violation(t, F_LIMITS, "nobody set kernel.%s", limit_names[l]);
}

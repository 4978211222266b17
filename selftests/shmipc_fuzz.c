// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_fuzz: random calls at /dev/shmipc from several threads at once.
 *
 *   shmipc_fuzz [-s SEED] [-n CALLS] [-T THREADS] [-x OP,...]
 *
 * ioctl command numbers around ours (every size, direction, number and
 * magic variation, random words), random struct contents (flags, sizes
 * 0 and huge, negative keys, ids negative, huge and stale, reserved and
 * pad fields), hostile argument pointers (NULL, kernel addresses,
 * misaligned, a struct straddling into a PROT_NONE page, memory another
 * thread unmaps meanwhile), and mmap of the device with random offsets,
 * lengths, flags and protections, then mprotect, munmap, mremap and
 * madvise on what it got. As root, one more process does the same as
 * nobody, for the EACCES and EPERM paths.
 *
 * Every result must be success or an errno the ABI documents for that
 * call; where the arguments decide the outcome (unknown command, bad
 * pointer, bad flags, nonzero reserved field, MAP_PRIVATE, a read-only
 * attachment made writable) only that outcome is allowed. Anything else
 * is a violation, printed at the end. Exit 0 only when there was none.
 *
 * Safety of the fuzzer itself: everything it maps at a fixed address
 * (MAP_FIXED, SHM_REMAP, mremap targets) lies in per-thread scratch
 * regions at addresses mmap(NULL) never picks, and SHM_REMAP is only used
 * for segments whose size STAT showed to be small, so no call can clobber
 * the program's own memory. Memory that other threads unmap meanwhile
 * holds records whose every field, read in any mix, is harmless.
 *
 * When a mapping of ours vanishes, the recent map/unmap/detach events over
 * its range are printed (explain()): they name the call that took it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/ucontext.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shmipc.h"
#include "shmipc_rand.h"

#define KSFT_SKIP		4

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif
#ifndef MAP_SYNC
#define MAP_SYNC		0x80000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif

/* Fixed regions, far below where mmap(NULL) places anything. */
#define SCRATCH_BASE		0x234500000000UL	/* + thread * stride */
#define SCRATCH_STRIDE		(64UL << 20)
#define SCRATCH_SIZE		(32UL << 20)		/* last page: a hole */
#define SCRATCH_USE		(16UL << 20)		/* where fixed maps start */
#define VSCRATCH_BASE		0x234000000000UL	/* for victim records */
#define VSCRATCH_SIZE		(64UL << 20)
#define VICTIM_BASE		0x233f00000000UL
#define VICTIM_PAGES		16

#define MAX_MAPS		24
#define MAX_IDS			32
#define MAX_STALE		16
#define RECENT			256
#define IDLOG_MAX		(1 << 18)
#define SMALL_SEG		(8UL << 20)	/* largest segment we SHM_REMAP */
#define MAX_VICTIM_AT		200		/* attachments we cannot find */

#define POISON			0x5a5a5a5a5a5a5a5aULL

enum fop {
	F_RANDCMD, F_VERSION, F_GET, F_CTL, F_AT, F_DT, F_HOSTILE, F_VICTIM_IOCTL,
	F_MMAP, F_MPROTECT, F_MUNMAP, F_MREMAP, F_MADVISE, F_TOUCH, F_CHURN,
	F_CLEANUP, F_NR
};

static const char *const fop_names[F_NR] = {
	"ioctl_random", "ioctl_version", "ioctl_get", "ioctl_ctl", "ioctl_at",
	"ioctl_dt", "ioctl_hostile", "ioctl_victim", "mmap", "mprotect",
	"munmap", "mremap", "madvise", "touch", "victim_churn", "cleanup",
};

static unsigned int fop_weights[F_NR] = {
	[F_RANDCMD] = 12, [F_VERSION] = 2, [F_GET] = 16, [F_CTL] = 14,
	[F_AT] = 10, [F_DT] = 8, [F_HOSTILE] = 8, [F_VICTIM_IOCTL] = 5,
	[F_MMAP] = 8, [F_MPROTECT] = 4, [F_MUNMAP] = 4, [F_MREMAP] = 3,
	[F_MADVISE] = 4, [F_TOUCH] = 3, [F_CHURN] = 2,
};

/* The errno values the ABI (and the mm calls' man pages) document. */
static const int E_RANDCMD[] = { ENOTTY, 0 };
static const int E_FAULT[] = { EFAULT, 0 };
static const int E_INVAL[] = { EINVAL, 0 };
static const int E_ACCES[] = { EACCES, 0 };
static const int E_NONE[] = { 0 };
static const int E_GET[] = { EFAULT, EINVAL, ENOENT, EEXIST, EACCES, ENOSPC, ENOMEM, 0 };
static const int E_CTL[] = { EFAULT, EINVAL, EACCES, EPERM, EIDRM, 0 };
static const int E_AT[] = { EFAULT, EINVAL, EACCES, ENOMEM, EIDRM, EPERM, EINTR, 0 };
static const int E_DT[] = { EFAULT, EINVAL, EINTR, 0 };
static const int E_MMAP[] = { EINVAL, EACCES, ENOMEM, EPERM, EAGAIN, EOVERFLOW,
			      EOPNOTSUPP, EEXIST, EIDRM, 0 };
static const int E_MPROTECT[] = { EACCES, EINVAL, ENOMEM, 0 };
static const int E_MREMAP[] = { EFAULT, EINVAL, ENOMEM, EAGAIN, 0 };
static const int E_MADVISE[] = { EINVAL, EACCES, ENOMEM, EFAULT, EPERM, EAGAIN, EIO,
				 EBUSY, EINTR, EHWPOISON, 0 };

static const int *const cmd_errnos[] = { E_FAULT, E_GET, E_CTL, E_AT, E_DT };

struct map {
	char *addr;
	size_t len;
	int id;
	bool ro;
	bool outside;	/* placed by the kernel: only this thread touches it */
	bool dt_ok;	/* addr is where an attachment starts (offset 0) */
	bool grown;	/* not a segment mapping any more, or never was */
	bool prot_changed;	/* mprotect took place: faults may be right */
	int prot;
};

struct idinfo {
	int id;
	uint64_t size;	/* bytes, when STAT told us; else 0 */
};

struct fthr {
	int idx;
	bool unpriv;
	struct rnd rnd;
	char *scratch;
	char *buf;		/* a read-write page, then a PROT_NONE page */
	struct map maps[MAX_MAPS];
	int nmaps;
	struct idinfo ids[MAX_IDS];
	int nids;
	int stale[MAX_STALE];
	int nstale;
	int victim_at;
	uint64_t calls;
	struct op_count cnt[F_NR];
};

struct shared {
	int recent[RECENT];		/* ids any thread got lately */
	uint32_t recent_n;
	uint64_t nlog;
	int idlog[IDLOG_MAX];
};

static struct {
	uint64_t seed;
	uint64_t calls;
	int threads;
} cfg = { .calls = 1000000, .threads = 4 };

static size_t pg;
static int fd_rw, fd_ro;
static int32_t key_base;
static uint64_t shmmax = ~0ULL - (1ULL << 24);	/* SHMMAX unless told */
static struct report *rep;
static struct shared *sh;
/* volatile: the stores around a probed access must not be optimized away */
static __thread sigjmp_buf *volatile probe_jb;
static __thread int probe_code;		/* si_code of the last probed fault */

/* ---- faults ------------------------------------------------------------ */

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	char msg[128];
	int n;

	if (probe_jb) {
		probe_code = si->si_code;
		siglongjmp(*probe_jb, sig);
	}
	/* A real crash of the fuzzer: say where, then fault again and die. */
	n = snprintf(msg, sizeof(msg), "shmipc_fuzz: signal %d at %p, ip %#llx\n", sig,
		     si->si_addr, (unsigned long long)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP]);
	if (write(2, msg, (size_t)n) < 0)
		n = 0;
	signal(sig, SIG_DFL);
}

/* Read (and write) one byte; returns 0, or the signal it raised. */
static int probe(char *p, bool write)
{
	sigjmp_buf jb;
	int sig = sigsetjmp(jb, 1);

	if (sig) {
		probe_jb = NULL;
		return sig;
	}
	probe_jb = &jb;
	if (write)
		*(volatile char *)p = (char)(*(volatile char *)p + 1);
	else
		(void)*(volatile char *)p;
	probe_jb = NULL;
	return 0;
}

/* What /proc/self/maps says about @addr, for a violation's message. */
static void maps_describe(const void *addr, char *out, size_t size)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long from, to, a = (unsigned long)(uintptr_t)addr;
	char line[300];

	snprintf(out, size, "unmapped");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &from, &to) == 2 && from <= a && a < to) {
			line[strcspn(line, "\n")] = 0;
			line[size - 1 < sizeof(line) ? size - 1 : sizeof(line) - 1] = 0;
			memcpy(out, line, strlen(line) + 1);
			break;
		}
	fclose(f);
}

/* ---- accounting -------------------------------------------------------- */

static bool __attribute__((format(printf, 5, 6)))
tally(struct fthr *t, enum fop op, long rc, const int *allowed,
      const char *fmt, ...)
{
	int err = errno, counted = op_count_call(&t->cnt[op], rc, err, allowed);
	char ctx[180];
	va_list ap;

	if (counted >= 0)
		return counted;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	report_violation(rep, op, "%s t%d %s: %s (%s)", t->unpriv ? "nobody" : "root",
			 t->idx, fop_names[op], errno_name(err), ctx);
	return false;
}

static void __attribute__((format(printf, 3, 4)))
violation(struct fthr *t, enum fop op, const char *fmt, ...)
{
	char ctx[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	report_violation(rep, op, "%s t%d %s: %s", t->unpriv ? "nobody" : "root",
			 t->idx, fop_names[op], ctx);
}

/* ---- ids --------------------------------------------------------------- */

static int ctl_raw(int id, uint32_t cmd, struct shmipc_ds *ds)
{
	struct shmipc_ctl c = { .id = id, .cmd = cmd };
	int rc = ioctl(fd_rw, SHMIPC_IOC_CTL, &c);

	if (ds)
		*ds = c.u.ds;
	return rc;
}

static void stale_add(struct fthr *t, int id)
{
	t->stale[t->nstale++ % MAX_STALE] = id;
	if (t->nstale >= 2 * MAX_STALE)
		t->nstale -= MAX_STALE;
}

static void id_forget(struct fthr *t, int id)
{
	int i;

	for (i = 0; i < t->nids; i++)
		if (t->ids[i].id == id) {
			t->ids[i] = t->ids[--t->nids];
			return;
		}
}

static void rmid(struct fthr *t, int id)
{
	tally(t, F_CLEANUP, ctl_raw(id, SHMIPC_IPC_RMID, NULL), E_CTL, "rmid id %d", id);
	stale_add(t, id);
	id_forget(t, id);
}

/* Every id a GET returns joins the pool; the oldest is removed to make room. */
static void id_got(struct fthr *t, int id)
{
	uint64_t n;
	int i;

	for (i = 0; i < t->nids; i++)
		if (t->ids[i].id == id)
			return;
	if (t->nids == MAX_IDS) {
		int old = t->ids[0].id;

		t->ids[0] = t->ids[--t->nids];
		rmid(t, old);
	}
	t->ids[t->nids].id = id;
	t->ids[t->nids].size = 0;
	t->nids++;
	n = __atomic_fetch_add(&sh->nlog, 1, __ATOMIC_RELAXED);
	if (n < IDLOG_MAX)
		sh->idlog[n] = id;
	n = __atomic_fetch_add(&sh->recent_n, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&sh->recent[n % RECENT], id, __ATOMIC_RELAXED);
}

static struct idinfo *id_info(struct fthr *t, int id)
{
	int i;

	for (i = 0; i < t->nids; i++)
		if (t->ids[i].id == id)
			return &t->ids[i];
	return NULL;
}

/* An id to use: ours, another thread's, stale, or any number at all. */
static int pick_id(struct fthr *t)
{
	unsigned int r = (unsigned int)rnd_below(&t->rnd, 100);

	if (r < 50 && t->nids)
		return t->ids[rnd_below(&t->rnd, (uint64_t)t->nids)].id;
	if (r < 62)
		return __atomic_load_n(&sh->recent[rnd_below(&t->rnd, RECENT)],
				       __ATOMIC_RELAXED);
	if (r < 72 && t->nstale)
		return t->stale[rnd_below(&t->rnd, t->nstale < MAX_STALE ?
					  (uint64_t)t->nstale : MAX_STALE)];
	if (r < 82)
		return (int)rnd_below(&t->rnd, 0x40000);
	if (r < 87)
		return -(int)rnd_range(&t->rnd, 1, 5);
	if (r < 90)
		return rnd_chance(&t->rnd, 50) ? INT32_MAX : INT32_MIN;
	return (int)(uint32_t)rnd_next(&t->rnd);
}

/* The size of @id's segment if it is small enough to SHM_REMAP, else 0. */
static uint64_t small_size(struct fthr *t, int id)
{
	struct shmipc_ds ds;

	if (ctl_raw(id, SHMIPC_IPC_STAT, &ds) || ds.segsz > SMALL_SEG)
		return 0;
	if (id_info(t, id))
		id_info(t, id)->size = ds.segsz;
	return ds.segsz;
}

/* ---- maps -------------------------------------------------------------- */

static bool in_scratch(const struct fthr *t, const char *p, size_t len)
{
	return p >= t->scratch && p + len <= t->scratch + SCRATCH_SIZE;
}

static char *scratch_addr(struct fthr *t)
{
	return t->scratch + rnd_below(&t->rnd, SCRATCH_USE / pg) * pg;
}

static void map_drop(struct fthr *t, int i)
{
	t->maps[i] = t->maps[--t->nmaps];
}

static void map_unmap(struct fthr *t, int i)
{
	struct map *m = &t->maps[i];

	int rc = munmap(m->addr, m->len);

	event(t->idx, "munmap", m->addr, m->len, rc);
	tally(t, F_MUNMAP, rc, E_INVAL, "%p+%zu", (void *)m->addr, m->len);
	map_drop(t, i);
}

static int map_add(struct fthr *t, char *addr, size_t len, int id, int prot)
{
	struct map *m;

	if (t->nmaps == MAX_MAPS)
		map_unmap(t, 0);
	m = &t->maps[t->nmaps];
	event(t->idx, "add", addr, len, id);
	m->addr = addr;
	m->len = len;
	m->id = id;
	m->prot = prot;
	m->ro = !(prot & PROT_WRITE);
	m->prot_changed = false;
	m->outside = !in_scratch(t, addr, len);
	m->dt_ok = true;
	m->grown = false;
	return t->nmaps++;
}

/* A fresh attachment: readable; writable exactly when it should be. */
static void check_fresh(struct fthr *t, enum fop op, int i, bool none)
{
	struct map *m = &t->maps[i];
	int sig;

	if (m->len > (64UL << 20))
		return;		/* a huge NORESERVE segment: do not populate */
	if (!none && (sig = probe(m->addr, false))) {
		violation(t, op, "id %d: read at %p raised signal %d", m->id,
			  (void *)m->addr, sig);
		explain(m->addr, m->len);
	}
	if (!m->ro) {
		if (!none && (sig = probe(m->addr + m->len - 1, true)))
			violation(t, op, "id %d: write at %p raised signal %d", m->id,
				  (void *)(m->addr + m->len - 1), sig);
		return;
	}
	if (!probe(m->addr, true))
		violation(t, op, "id %d: wrote to a read-only attachment at %p",
			  m->id, (void *)m->addr);
	/* Read-only for good: mprotect cannot make it writable. */
	if (tally(t, F_MPROTECT, mprotect(m->addr, pg, PROT_READ | PROT_WRITE), E_ACCES,
		  "id %d: PROT_WRITE on a read-only attachment", m->id)) {
		violation(t, F_MPROTECT, "id %d: read-only attachment %p made writable",
			  m->id, (void *)m->addr);
		mprotect(m->addr, pg, PROT_READ);
	}
}

/* ---- argument pointers ------------------------------------------------- */

enum ptrkind { P_OWN, P_STRADDLE, P_HOSTILE, P_VICTIM };

static char *own_slot(struct fthr *t, size_t size, bool misalign)
{
	return t->buf + 256 + (misalign ? rnd_range(&t->rnd, 1, 7) : 0) +
	       rnd_below(&t->rnd, (pg - 512 - size) / 8) * 8;
}

/* Addresses no call may read or write. */
static void *hostile_ptr(struct fthr *t, size_t size)
{
	switch (rnd_below(&t->rnd, 10)) {
	case 0: return NULL;
	case 1: return (void *)(uintptr_t)rnd_range(&t->rnd, 1, 0xffff);
	case 2: return (void *)0xffff888000000000UL;
	case 3: return (void *)0xffffffff81000000UL;
	case 4: return (void *)(uintptr_t)(rnd_next(&t->rnd) | (1ULL << 63));
	case 5: return (void *)-1L;
	case 6: return (void *)(uintptr_t)-(intptr_t)pg;
	case 7: return t->buf + pg + rnd_below(&t->rnd, pg - size);	/* PROT_NONE */
	case 8: return t->scratch + SCRATCH_SIZE - pg + rnd_below(&t->rnd, pg - size); /* hole */
	default: return t->buf + pg - size + rnd_range(&t->rnd, 1, size - 1);
	}
}

static void *victim_ptr(struct fthr *t)
{
	return (char *)VICTIM_BASE + rnd_below(&t->rnd, VICTIM_PAGES) * pg +
	       rnd_below(&t->rnd, pg / 64) * 64;
}

/*
 * A record in memory other threads unmap: read as any of our structs, in
 * any mix of old and new words, nothing in it can map over memory (never
 * SHM_REMAP, never IPC_CREAT) nor create a segment (key 0 never, as the
 * id word is never 0 in a record). Word 0 is id | flags << 32, word 1 an
 * address in VSCRATCH or 0, the rest reserved (zero) or junk.
 */
static void victim_record(struct fthr *t, uint64_t *w)
{
	static const uint32_t flags[] = { 0, SHMIPC_SHM_RDONLY, SHMIPC_SHM_RND,
		SHMIPC_SHM_EXEC, SHMIPC_SHM_RDONLY | SHMIPC_SHM_RND, 0x80000000 };
	int id = pick_id(t);
	int i;

	if (!id)
		id = 1;
	w[0] = (uint32_t)id | (uint64_t)flags[rnd_below(&t->rnd, ARRAY_SIZE(flags))] << 32;
	w[1] = rnd_chance(&t->rnd, 50) ? 0 :
	       VSCRATCH_BASE + rnd_below(&t->rnd, 64) * pg * 16 +
	       (rnd_chance(&t->rnd, 20) ? rnd_below(&t->rnd, pg) : 0);
	for (i = 2; i < 8; i++)
		w[i] = rnd_chance(&t->rnd, 90) ? 0 : rnd_next(&t->rnd);
}

static void op_churn(struct fthr *t)
{
	char *page = (char *)VICTIM_BASE + rnd_below(&t->rnd, VICTIM_PAGES) * pg;
	unsigned int r = (unsigned int)rnd_below(&t->rnd, 10);
	uint64_t w[8];
	size_t i;
	int k;

	if (r < 4) {
		if (!tally(t, F_CHURN, mmap(page, pg, PROT_READ | PROT_WRITE,
					    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
				       MAP_FAILED ? -1 : 0, E_NONE, "victim %p", (void *)page))
			return;
		/* Another thread may take the page away while we fill it. */
		for (i = 0; i < pg; i += 64) {
			sigjmp_buf jb;

			victim_record(t, w);
			if (sigsetjmp(jb, 1)) {
				probe_jb = NULL;
				break;
			}
			probe_jb = &jb;
			for (k = 0; k < 8; k++)
				__atomic_store_n((uint64_t *)(page + i) + k, w[k],
						 __ATOMIC_RELAXED);
			probe_jb = NULL;
		}
	} else if (r < 6) {
		tally(t, F_CHURN, mmap(page, pg, PROT_NONE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
				  MAP_FAILED ? -1 : 0, E_NONE, "victim none %p", (void *)page);
	} else if (r < 8) {
		tally(t, F_CHURN, munmap(page, pg), E_NONE, "victim unmap %p", (void *)page);
	} else {
		tally(t, F_CHURN, mprotect(page, pg, rnd_chance(&t->rnd, 50) ? PROT_READ :
					   PROT_READ | PROT_WRITE),
		      E_MPROTECT, "victim mprotect %p", (void *)page);
	}
}

/* ---- struct contents --------------------------------------------------- */

static uint64_t rnd_size(struct fthr *t)
{
	static const uint64_t huge[] = { 1ULL << 40, 1ULL << 47, ~0ULL, ~0ULL - 4095,
		1ULL << 63, (1ULL << 63) - 1, (1ULL << 63) - 4096, (1ULL << 62) + 1,
		0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL };
	unsigned int r = (unsigned int)rnd_below(&t->rnd, 100);

	if (r < 5)
		return 0;
	if (r < 35)
		return rnd_range(&t->rnd, 1, pg);
	if (r < 75)
		return rnd_range(&t->rnd, 1, 64 << 10);
	if (r < 88)
		return rnd_range(&t->rnd, 1, 1 << 20);
	if (r < 90)
		return rnd_range(&t->rnd, 1, 4 << 20);
	if (r < 93)
		return huge[rnd_below(&t->rnd, ARRAY_SIZE(huge))];
	return shmmax + rnd_below(&t->rnd, 3) - 1;
}

static int32_t rnd_key(struct fthr *t)
{
	unsigned int r = (unsigned int)rnd_below(&t->rnd, 100);

	if (r < 65)
		return key_base + (int32_t)rnd_below(&t->rnd, 64);
	if (r < 82)
		return SHMIPC_IPC_PRIVATE;
	if (r < 92)
		return (int32_t)(uint32_t)rnd_next(&t->rnd);
	return rnd_chance(&t->rnd, 50) ? -1 : INT32_MIN;
}

static uint32_t rnd_get_flags(struct fthr *t)
{
	uint32_t f = (uint32_t)rnd_below(&t->rnd, 01000);
	unsigned int r = (unsigned int)rnd_below(&t->rnd, 100);

	if (rnd_chance(&t->rnd, 60))
		f |= SHMIPC_IPC_CREAT;
	if (rnd_chance(&t->rnd, 15))
		f |= SHMIPC_IPC_EXCL;
	if (rnd_chance(&t->rnd, 20))
		f |= SHMIPC_SHM_NORESERVE;
	if (r < 5)
		f |= SHMIPC_SHM_HUGETLB;
	else if (r < 10)
		f |= 1U << rnd_below(&t->rnd, 32);
	else if (r < 12)
		f = (uint32_t)rnd_next(&t->rnd);
	return f;
}

static void rnd_reserved(struct fthr *t, __u64 *r, int n)
{
	int i;

	for (i = 0; i < n; i++)
		r[i] = 0;
	if (rnd_chance(&t->rnd, 5))
		r[rnd_below(&t->rnd, (uint64_t)n)] = rnd_chance(&t->rnd, 50) ? 1 : rnd_next(&t->rnd);
}

/* ---- our ioctls with our own memory ------------------------------------ */

static void op_version(struct fthr *t)
{
	struct shmipc_version *v = (void *)own_slot(t, sizeof(*v), rnd_chance(&t->rnd, 20));

	memset(v, 0x5a, sizeof(*v));
	if (!tally(t, F_VERSION, ioctl(fd_rw, SHMIPC_IOC_VERSION, v), E_NONE, "own buffer"))
		return;
	if (v->abi_version != SHMIPC_ABI_VERSION || v->pad || v->reserved[0] ||
	    v->reserved[1] || v->features != 0xf)
		violation(t, F_VERSION, "abi %u pad %u features %#llx reserved %#llx %#llx",
			  v->abi_version, v->pad, (unsigned long long)v->features,
			  (unsigned long long)v->reserved[0], (unsigned long long)v->reserved[1]);
}

/*
 * One attach of a huge segment before it goes: it must fail (ENOMEM: no
 * room) or map all of it, never "succeed" without mapping anything.
 */
static void at_huge(struct fthr *t, int id, uint64_t size)
{
	struct shmipc_at a = { .id = id, .size = POISON };
	uint64_t want = (size + pg - 1) & ~(uint64_t)(pg - 1);
	int rc = ioctl(fd_rw, SHMIPC_IOC_AT, &a);

	if (!tally(t, F_AT, rc, E_AT, "huge id %d size %#llx", id, (unsigned long long)size))
		return;
	if (rc != 0 || !a.addr || a.size != want) {
		violation(t, F_AT, "id %d of size %#llx: attach returned %d, addr %#llx size %#llx (want size %#llx)",
			  id, (unsigned long long)size, rc, (unsigned long long)a.addr,
			  (unsigned long long)a.size, (unsigned long long)want);
		return;
	}
	event(t->idx, "at-huge", (void *)(uintptr_t)a.addr, a.size, rc);
	munmap((void *)(uintptr_t)a.addr, (size_t)a.size);
}

static void op_get(struct fthr *t)
{
	struct shmipc_get *g = (void *)own_slot(t, sizeof(*g), rnd_chance(&t->rnd, 20));
	struct shmipc_get copy = { 0 };
	bool bad;
	int id;

	copy.key = rnd_key(t);
	copy.flags = rnd_get_flags(t);
	copy.size = rnd_size(t);
	rnd_reserved(t, copy.reserved, 2);
	memcpy(g, &copy, sizeof(copy));
	bad = (copy.flags & ~SHMIPC_GET_FLAGS) || copy.reserved[0] || copy.reserved[1] ||
	      (copy.key == SHMIPC_IPC_PRIVATE && (!copy.size || copy.size > shmmax));
	id = ioctl(t->unpriv && rnd_chance(&t->rnd, 10) ? fd_ro : fd_rw, SHMIPC_IOC_GET, g);
	if (!tally(t, F_GET, id, bad ? E_INVAL : E_GET,
		   "key %#x flags %#o size %#llx reserved %#llx %#llx", (unsigned int)copy.key,
		   copy.flags, (unsigned long long)copy.size,
		   (unsigned long long)copy.reserved[0], (unsigned long long)copy.reserved[1]))
		return;
	if (bad)
		violation(t, F_GET, "key %#x flags %#o size %#llx: id %d, want EINVAL",
			  (unsigned int)copy.key, copy.flags, (unsigned long long)copy.size, id);
	if (memcmp(g, &copy, sizeof(copy)))
		violation(t, F_GET, "the kernel wrote into the _IOW struct");
	id_got(t, id);
	/* A segment of more than a few MiB goes at once (NORESERVE made it). */
	if (copy.size > SMALL_SEG) {
		at_huge(t, id, copy.size);
		rmid(t, id);
	}
}

static void check_ds(struct fthr *t, int id, const struct shmipc_ds *ds)
{
	struct idinfo *info = id_info(t, id);
	int i;

	if (ds->perm.pad || (ds->perm.mode & ~(0777U | SHMIPC_SHM_DEST)) || !ds->segsz ||
	    ds->perm.seq != (uint32_t)id >> 15 ||
	    ((ds->perm.mode & SHMIPC_SHM_DEST) && ds->perm.key))
		violation(t, F_CTL, "id %d: stat key %#x mode %#o seq %u pad %u segsz %llu",
			  id, (unsigned int)ds->perm.key, ds->perm.mode, ds->perm.seq,
			  ds->perm.pad, (unsigned long long)ds->segsz);
	for (i = 0; i < 4; i++)
		if (ds->reserved[i])
			violation(t, F_CTL, "id %d: stat reserved[%d] = %#llx", id, i,
				  (unsigned long long)ds->reserved[i]);
	if (info)
		info->size = ds->segsz;
}

static void op_ctl(struct fthr *t)
{
	static const uint32_t cmds[] = { SHMIPC_IPC_RMID, SHMIPC_IPC_SET, SHMIPC_IPC_STAT,
		SHMIPC_IPC_STAT, SHMIPC_IPC_STAT, SHMIPC_IPC_SET, SHMIPC_IPC_INFO,
		SHMIPC_SHM_LOCK, SHMIPC_SHM_UNLOCK, SHMIPC_SHM_STAT, SHMIPC_SHM_INFO,
		SHMIPC_SHM_STAT_ANY };
	struct shmipc_ctl *c = (void *)own_slot(t, sizeof(*c), rnd_chance(&t->rnd, 20));
	struct shmipc_ctl copy;
	bool bad;

	memset(&copy, 0x5a, sizeof(copy));
	copy.id = pick_id(t);
	copy.cmd = rnd_chance(&t->rnd, 95) ? cmds[rnd_below(&t->rnd, ARRAY_SIZE(cmds))] :
		   (uint32_t)rnd_next(&t->rnd);
	/* RMID is common enough through the pool's turnover. */
	if (copy.cmd == SHMIPC_IPC_RMID && rnd_chance(&t->rnd, 50))
		copy.cmd = SHMIPC_IPC_STAT;
	rnd_reserved(t, copy.reserved, 2);
	if (copy.cmd == SHMIPC_IPC_SET) {
		unsigned int r = (unsigned int)rnd_below(&t->rnd, 4);

		copy.u.ds.perm.uid = r == 0 ? 65534 : r == 1 ? (uint32_t)rnd_next(&t->rnd) : geteuid();
		r = (unsigned int)rnd_below(&t->rnd, 4);
		copy.u.ds.perm.gid = r == 0 ? 65534 : r == 1 ? (uint32_t)-1 : getegid();
		copy.u.ds.perm.mode = (uint32_t)rnd_below(&t->rnd, 1 << 16);
		rnd_reserved(t, copy.u.ds.reserved, 4);
	}
	memcpy(c, &copy, sizeof(copy));
	bad = copy.reserved[0] || copy.reserved[1] || copy.cmd > SHMIPC_IPC_STAT ||
	      copy.id < 0 || (copy.cmd == SHMIPC_IPC_SET &&
			      (copy.u.ds.reserved[0] || copy.u.ds.reserved[1] ||
			       copy.u.ds.reserved[2] || copy.u.ds.reserved[3]));
	if (!tally(t, F_CTL, ioctl(fd_rw, SHMIPC_IOC_CTL, c), bad ? E_INVAL : E_CTL,
		   "id %d cmd %u reserved %#llx %#llx", copy.id, copy.cmd,
		   (unsigned long long)copy.reserved[0], (unsigned long long)copy.reserved[1]))
		return;
	if (bad)
		violation(t, F_CTL, "id %d cmd %u succeeded, want EINVAL", copy.id, copy.cmd);
	/* Only u is copied out, and only by IPC_STAT. */
	if (memcmp(c, &copy, offsetof(struct shmipc_ctl, u)) ||
	    (copy.cmd != SHMIPC_IPC_STAT && memcmp(c, &copy, sizeof(copy))))
		violation(t, F_CTL, "id %d cmd %u: the kernel wrote where it should not",
			  copy.id, copy.cmd);
	if (copy.cmd == SHMIPC_IPC_STAT)
		check_ds(t, copy.id, &c->u.ds);
	if (copy.cmd == SHMIPC_IPC_RMID) {
		stale_add(t, copy.id);
		id_forget(t, copy.id);
	}
}

static uint64_t rnd_at_addr(struct fthr *t, uint32_t *flags, int id)
{
	unsigned int r = (unsigned int)rnd_below(&t->rnd, 100);
	uint64_t addr;

	if (r < 60)
		return rnd_chance(&t->rnd, 5) ? rnd_below(&t->rnd, pg) : 0;
	if (r < 85) {
		addr = (uint64_t)(uintptr_t)scratch_addr(t);
		if (rnd_chance(&t->rnd, 20))
			addr += rnd_range(&t->rnd, 1, pg - 1);
		/* Replace what is there only for a segment we know is small. */
		if ((*flags & SHMIPC_SHM_REMAP) && !small_size(t, id))
			*flags &= ~SHMIPC_SHM_REMAP;
		return addr;
	}
	/* Nothing at a place we do not own is ever replaced. */
	*flags &= ~SHMIPC_SHM_REMAP;
	switch (rnd_below(&t->rnd, 5)) {
	case 0: return 0xffff888000000000ULL;
	case 1: return rnd_next(&t->rnd) | (1ULL << 63);
	case 2: return 0x7ffffffff000ULL;
	case 3: return ~0ULL;
	default: return rnd_next(&t->rnd) | (1ULL << 63) | 1;
	}
}

static void op_at(struct fthr *t)
{
	struct shmipc_at *a = (void *)own_slot(t, sizeof(*a), rnd_chance(&t->rnd, 20));
	struct shmipc_at copy;
	uint64_t want;
	bool bad, ro;
	int fd = rnd_chance(&t->rnd, 10) ? fd_ro : fd_rw, i;

	memset(&copy, 0, sizeof(copy));
	copy.id = pick_id(t);
	copy.flags = (uint32_t)rnd_below(&t->rnd, 16) << 12;	/* RDONLY RND REMAP EXEC */
	if (rnd_chance(&t->rnd, 8))
		copy.flags |= 1U << rnd_below(&t->rnd, 32);
	copy.addr = rnd_at_addr(t, &copy.flags, copy.id);
	copy.size = POISON;
	rnd_reserved(t, copy.reserved, 2);
	memcpy(a, &copy, sizeof(copy));
	want = copy.addr;
	if ((want & (pg - 1)) && (copy.flags & SHMIPC_SHM_RND))
		want &= ~(uint64_t)(pg - 1);
	bad = (copy.flags & ~SHMIPC_AT_FLAGS) || copy.reserved[0] || copy.reserved[1] ||
	      copy.id < 0 || ((copy.addr & (pg - 1)) && !(copy.flags & SHMIPC_SHM_RND)) ||
	      (!want && (copy.flags & SHMIPC_SHM_REMAP)) || want >= (1ULL << 63);
	if (!tally(t, F_AT, ioctl(fd, SHMIPC_IOC_AT, a), bad ? E_INVAL : E_AT,
		   "id %d flags %#o addr %#llx", copy.id, copy.flags,
		   (unsigned long long)copy.addr))
		return;
	if (bad)
		violation(t, F_AT, "id %d flags %#o addr %#llx: attached, want EINVAL",
			  copy.id, copy.flags, (unsigned long long)copy.addr);
	if (!a->addr || (a->addr & (pg - 1)) || !a->size || (a->size & (pg - 1)) ||
	    a->size == POISON || (want && a->addr != want) || a->id != copy.id ||
	    a->flags != copy.flags || a->reserved[0] || a->reserved[1]) {
		violation(t, F_AT, "id %d flags %#o addr %#llx: returned 0 with addr %#llx size %#llx",
			  copy.id, copy.flags, (unsigned long long)copy.addr,
			  (unsigned long long)a->addr, (unsigned long long)a->size);
		if (!a->addr || a->size == POISON || (a->addr & (pg - 1)))
			return;
	}
	ro = copy.flags & SHMIPC_SHM_RDONLY;
	i = map_add(t, (char *)(uintptr_t)a->addr, (size_t)a->size, copy.id,
		    PROT_READ | (ro ? 0 : PROT_WRITE));
	check_fresh(t, F_AT, i, false);
}

static void op_dt(struct fthr *t)
{
	struct shmipc_dt *d = (void *)own_slot(t, sizeof(*d), rnd_chance(&t->rnd, 20));
	struct shmipc_dt copy = { 0 };
	unsigned int r = (unsigned int)rnd_below(&t->rnd, 100);
	uint64_t end = 0;	/* must_ok: where the attachment ends */
	int i = -1, j, c;
	bool must_ok = false, not_att = false;

	if (r < 55 && t->nmaps) {
		i = (int)rnd_below(&t->rnd, (uint64_t)t->nmaps);
		copy.addr = (uint64_t)(uintptr_t)t->maps[i].addr;
		must_ok = t->maps[i].outside && t->maps[i].dt_ok && !t->maps[i].grown;
	} else if (r < 65 && t->nmaps &&
		   t->maps[i = (int)rnd_below(&t->rnd, (uint64_t)t->nmaps)].len > pg) {
		/*
		 * Inside one of ours. As SysV's, shmdt() then detaches the
		 * first piece above whose offset is its distance from the
		 * address, if there is one: success is no violation.
		 */
		copy.addr = (uint64_t)(uintptr_t)t->maps[i].addr + pg;
		i = -1;
	} else if (r < 80) {
		i = -1;
		copy.addr = (uint64_t)(uintptr_t)scratch_addr(t);
	} else {
		copy.addr = (uint64_t)(uintptr_t)hostile_ptr(t, 8);
		not_att = copy.addr >= (1ULL << 47);
	}
	rnd_reserved(t, copy.reserved, 2);
	memcpy(d, &copy, sizeof(copy));
	if (copy.reserved[0] || copy.reserved[1] || (copy.addr & (pg - 1)) || not_att) {
		int rc = ioctl(fd_rw, SHMIPC_IOC_DT, d);

		event(t->idx, "dt", (void *)(uintptr_t)copy.addr, pg, rc);
		if (tally(t, F_DT, rc, E_INVAL,
			  "addr %#llx is no attachment, or reserved set",
			  (unsigned long long)copy.addr))
			violation(t, F_DT, "addr %#llx: detached, want EINVAL",
				  (unsigned long long)copy.addr);
		return;
	}
	c = ioctl(fd_rw, SHMIPC_IOC_DT, d);
	event(t->idx, "dt", (void *)(uintptr_t)copy.addr, pg, c);
	if (!tally(t, F_DT, c, must_ok ? E_NONE : E_DT,
		   "addr %#llx", (unsigned long long)copy.addr)) {
		if (must_ok) {
			char where[160];

			maps_describe((void *)(uintptr_t)copy.addr, where, sizeof(where));
			violation(t, F_DT, "map %p+%zu id %d prot %#x: maps: %s",
				  (void *)t->maps[i].addr, t->maps[i].len, t->maps[i].id,
				  t->maps[i].prot, where);
			explain(t->maps[i].addr, t->maps[i].len);
			map_drop(t, i);
		}
		return;
	}
	if (must_ok)
		end = copy.addr + t->maps[i].len;
	for (j = t->nmaps - 1; j >= 0; j--)
		if ((uint64_t)(uintptr_t)t->maps[j].addr == copy.addr)
			map_drop(t, j);
	/*
	 * One attachment went. SysV's shmdt() takes, from where one of ours
	 * starts, that one's pieces up to its size above and nothing else: our
	 * other maps there, placed by the kernel, are ours alone and must
	 * still be there. One that is not was taken by the detach: say so, and
	 * forget it rather than unmap its range later. Any other map that went
	 * was taken by a shmdt() of another address, which detaches the first
	 * piece of any attachment above it whose offset is its distance from
	 * that address (another thread's too): forget it.
	 */
	for (j = t->nmaps - 1; j >= 0; j--) {
		uint64_t at = (uint64_t)(uintptr_t)t->maps[j].addr;
		unsigned char v;

		if (!t->maps[j].outside || t->maps[j].grown ||
		    mincore(t->maps[j].addr, pg, &v) == 0)
			continue;
		if (at >= copy.addr && at < end)
			violation(t, F_DT, "shmdt(%#llx) also detached map %p+%zu (id %d, prot %#x)",
				  (unsigned long long)copy.addr, (void *)t->maps[j].addr,
				  t->maps[j].len, t->maps[j].id, t->maps[j].prot);
		map_drop(t, j);
	}
}

/* ---- ioctls with other commands or other memory ------------------------ */

static const uint32_t our_cmds[] = { SHMIPC_IOC_VERSION, SHMIPC_IOC_GET, SHMIPC_IOC_CTL,
				     SHMIPC_IOC_AT, SHMIPC_IOC_DT };
static const size_t our_sizes[] = { sizeof(struct shmipc_version), sizeof(struct shmipc_get),
				    sizeof(struct shmipc_ctl), sizeof(struct shmipc_at),
				    sizeof(struct shmipc_dt) };

/*
 * Type bytes the VFS itself answers before the driver sees the command
 * (FIOCLEX, FIONBIO, FIGETBSZ, FS_IOC_*, FIFREEZE, FICLONE...): not ours
 * to fuzz, and some of them change the file or the file system.
 */
static bool vfs_type(uint32_t cmd)
{
	switch (_IOC_TYPE(cmd)) {
	case 0x00: case 0x12: case 0x15: case 0x54: case 0x58: case 0x66: case 0x94:
		return true;
	}
	return false;
}

static unsigned long rnd_cmd(struct fthr *t)
{
	uint32_t c = our_cmds[rnd_below(&t->rnd, ARRAY_SIZE(our_cmds))];
	unsigned long full;

	switch (rnd_below(&t->rnd, 9)) {
	case 0:
		c = (c & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
		    (uint32_t)rnd_below(&t->rnd, _IOC_SIZEMASK + 1) << _IOC_SIZESHIFT;
		break;
	case 1:
		c += (uint32_t)((int)rnd_range(&t->rnd, 0, 16) - 8) << _IOC_SIZESHIFT;
		break;
	case 2:
		c = (c & ~(_IOC_DIRMASK << _IOC_DIRSHIFT)) |
		    (uint32_t)rnd_below(&t->rnd, 4) << _IOC_DIRSHIFT;
		break;
	case 3:
		c = (c & ~0xffU) | (uint32_t)rnd_below(&t->rnd, 256);
		break;
	case 4:
		c = (c & ~0xff00U) | (uint32_t)rnd_below(&t->rnd, 256) << 8;
		break;
	case 5:
		c ^= 1U << rnd_below(&t->rnd, 32);
		break;
	case 6:
		c = (uint32_t)rnd_next(&t->rnd);
		break;
	case 7:
		/* High bits the kernel drops: the low word decides. */
		full = rnd_next(&t->rnd) << 32 | c;
		if (vfs_type((uint32_t)full))
			full = (full & ~0xff00UL) | SHMIPC_IOC_MAGIC << 8;
		return full;
	default:
		c = (c & ~0xffU) | (uint32_t)rnd_range(&t->rnd, 5, 16);
		break;
	}
	if (vfs_type(c))
		c = (c & ~0xff00U) | SHMIPC_IOC_MAGIC << 8;
	return c;
}

static int our_cmd_index(uint32_t cmd)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(our_cmds); i++)
		if (our_cmds[i] == cmd)
			return (int)i;
	return -1;
}

static void *any_ptr(struct fthr *t)
{
	switch (rnd_below(&t->rnd, 4)) {
	case 0: return own_slot(t, 256, rnd_chance(&t->rnd, 30));
	case 1: return victim_ptr(t);
	default: return hostile_ptr(t, 64);
	}
}

/*
 * An unknown command is ENOTTY whatever the pointer; one of ours by
 * accident (a random word can be one) is judged as that command. Our own
 * buffer holds junk then, so an attach may really happen somewhere: the
 * junk has no SHM_REMAP bit set, and the final scan unmaps what it made.
 */
static void op_randcmd(struct fthr *t)
{
	unsigned long cmd = rnd_cmd(t);
	int k = our_cmd_index((uint32_t)cmd);
	void *p = any_ptr(t);
	bool own = (char *)p >= t->buf && (char *)p <= t->buf + pg - 256;
	long rc;

	if (k < 0) {
		if (tally(t, F_RANDCMD, ioctl(fd_rw, cmd, p), E_RANDCMD, "cmd %#lx", cmd))
			violation(t, F_RANDCMD, "unknown cmd %#lx succeeded", cmd);
		return;
	}
	if (own) {
		memset(p, 0, 256);	/* no junk flags: no SHM_REMAP */
		if (k == 2)
			((struct shmipc_ctl *)p)->cmd = SHMIPC_IPC_STAT;
	}
	rc = ioctl(fd_rw, cmd, p);
	if (!tally(t, F_RANDCMD, rc, cmd_errnos[k], "cmd %#lx (ours)", cmd))
		return;
	if (k == 1)
		id_got(t, (int)rc);
	/* An attachment through our own memory: we know where it went. */
	if (k == 3 && own && ((struct shmipc_at *)p)->addr && ((struct shmipc_at *)p)->size &&
	    ((struct shmipc_at *)p)->size != POISON) {
		struct shmipc_at *a = p;

		map_add(t, (char *)(uintptr_t)a->addr, (size_t)a->size, a->id,
			PROT_READ | PROT_WRITE);
	}
}

/* Our commands with pointers no call may use: EFAULT and nothing else. */
static void op_hostile(struct fthr *t)
{
	int k = (int)rnd_below(&t->rnd, ARRAY_SIZE(our_cmds));
	void *p = hostile_ptr(t, our_sizes[k]);
	long rc = ioctl(fd_rw, our_cmds[k], p);

	if (tally(t, F_HOSTILE, rc, E_FAULT, "cmd %#x ptr %p", our_cmds[k], p))
		violation(t, F_HOSTILE, "cmd %#x ptr %p: succeeded, want EFAULT",
			  our_cmds[k], p);
}

/* Our commands on memory other threads replace and unmap meanwhile. */
static void op_victim_ioctl(struct fthr *t)
{
	int k = (int)rnd_below(&t->rnd, ARRAY_SIZE(our_cmds));
	long rc;

	/* Attachments made here cannot be found again: keep them few. */
	if (k == 3 && t->victim_at >= MAX_VICTIM_AT)
		k = 2;
	rc = ioctl(fd_rw, our_cmds[k], victim_ptr(t));
	if (!tally(t, F_VICTIM_IOCTL, rc, cmd_errnos[k], "cmd %#x", our_cmds[k]))
		return;
	if (k == 1)
		id_got(t, (int)rc);
	if (k == 3)
		t->victim_at++;
}

/* ---- mm calls on the device -------------------------------------------- */

static size_t rnd_len(struct fthr *t, int id)
{
	struct idinfo *info = id_info(t, id);
	unsigned int r = (unsigned int)rnd_below(&t->rnd, 100);

	if (r < 3)
		return 0;
	if (r < 50 && info && info->size)
		return rnd_range(&t->rnd, 1, (info->size + pg - 1) & ~(pg - 1));
	if (r < 85)
		return rnd_range(&t->rnd, 1, 64 << 10);
	if (r < 93)
		return rnd_range(&t->rnd, 1, 1024) * pg;
	switch (rnd_below(&t->rnd, 4)) {
	case 0: return 1UL << 40;
	case 1: return ~0UL;
	case 2: return 1UL << 47;
	default: return (size_t)rnd_next(&t->rnd);
	}
}

static void op_mmap(struct fthr *t)
{
	int id = pick_id(t), prot, flags, fd = rnd_chance(&t->rnd, 10) ? fd_ro : fd_rw, i;
	size_t len = rnd_len(t, id);
	unsigned int r = (unsigned int)rnd_below(&t->rnd, 100);
	uint64_t off = SHMIPC_MMAP_OFFSET(id, pg);
	bool must_fail = false;
	char *want = NULL;
	void *p;

	if (r < 80)
		flags = MAP_SHARED;
	else if (r < 88)
		flags = MAP_PRIVATE, must_fail = true;
	else if (r < 96)
		flags = MAP_SHARED_VALIDATE;
	else
		flags = 0, must_fail = true;
	prot = (int)rnd_below(&t->rnd, 8);
	if (rnd_chance(&t->rnd, 2))
		prot |= rnd_chance(&t->rnd, 50) ? PROT_GROWSDOWN : 0x10;
	if (rnd_chance(&t->rnd, 10) && len <= (4UL << 20))
		flags |= MAP_POPULATE;
	if (rnd_chance(&t->rnd, 3) && len <= (1UL << 20))
		flags |= MAP_LOCKED;
	if (rnd_chance(&t->rnd, 5))
		flags |= MAP_NORESERVE;
	if (rnd_chance(&t->rnd, 2))
		flags |= MAP_32BIT;
	if (rnd_chance(&t->rnd, 2))
		flags |= MAP_HUGETLB, must_fail = true;
	if (rnd_chance(&t->rnd, 2)) {
		flags |= MAP_SYNC;	/* no DAX here: refused when validated */
		if ((flags & MAP_TYPE) == MAP_SHARED_VALIDATE)
			must_fail = true;
	}
	if (rnd_chance(&t->rnd, 2))
		flags |= MAP_GROWSDOWN, must_fail = true;	/* never for files */
	r = (unsigned int)rnd_below(&t->rnd, 100);
	if (r < 20 && len <= (8UL << 20)) {
		want = scratch_addr(t);
		flags |= rnd_chance(&t->rnd, 80) ? MAP_FIXED : MAP_FIXED_NOREPLACE;
		if (rnd_chance(&t->rnd, 5))
			want += rnd_range(&t->rnd, 1, pg - 1), must_fail = true;
	} else if (r < 30) {
		want = scratch_addr(t);	/* a hint only */
	}
	r = (unsigned int)rnd_below(&t->rnd, 100);
	if (r < 5)
		off += rnd_range(&t->rnd, 1, pg - 1), must_fail = true;
	else if (r < 12)
		off = rnd_next(&t->rnd) & ~(uint64_t)(pg - 1);
	else if (r < 15)
		off = 0;
	if (!len)
		must_fail = true;
	p = mmap(want, len, prot, flags, fd, (off_t)off);
	if (!tally(t, F_MMAP, p == MAP_FAILED ? -1 : 0, E_MMAP,
		   "id %d len %#zx prot %#x flags %#x off %#llx", id, len, prot, flags,
		   (unsigned long long)off))
		return;
	if (must_fail)
		violation(t, F_MMAP, "id %d len %#zx prot %#x flags %#x off %#llx: mapped at %p, want failure",
			  id, len, prot, flags, (unsigned long long)off, p);
	if (want && (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && p != want)
		violation(t, F_MMAP, "MAP_FIXED at %p mapped at %p", (void *)want, p);
	i = map_add(t, p, (len + pg - 1) & ~(pg - 1), (int)(off / pg), prot);
	/* Without PROT_WRITE at mmap, never writable later. */
	if (!(prot & PROT_WRITE)) {
		struct map *m = &t->maps[i];

		if (mprotect(m->addr, pg, PROT_READ | PROT_WRITE) == 0)
			violation(t, F_MPROTECT, "id %d: mmap without PROT_WRITE, then mprotect(PROT_WRITE) succeeded",
				  m->id);
		else if (errno != EACCES)
			violation(t, F_MPROTECT, "id %d: mprotect(PROT_WRITE) of a read-only mapping: %s, want EACCES",
				  m->id, errno_name(errno));
		t->cnt[F_MPROTECT].calls++;
		return;
	}
	if (prot & PROT_READ)
		check_fresh(t, F_MMAP, i, false);
}

/* A page range [*from, *from + *len) inside map @i. */
static void sub_range(struct fthr *t, int i, char **from, size_t *len)
{
	struct map *m = &t->maps[i];
	size_t pages = m->len / pg, a = rnd_below(&t->rnd, pages);

	*from = m->addr + a * pg;
	*len = rnd_range(&t->rnd, 1, pages - a) * pg;
}

static void op_mprotect(struct fthr *t)
{
	int i, prot = (int)rnd_below(&t->rnd, 8);
	size_t len;
	char *from;

	if (!t->nmaps)
		return op_mmap(t);
	i = (int)rnd_below(&t->rnd, (uint64_t)t->nmaps);
	sub_range(t, i, &from, &len);
	if (rnd_chance(&t->rnd, 3))
		prot |= PROT_GROWSDOWN;
	if (!tally(t, F_MPROTECT, mprotect(from, len, prot), E_MPROTECT, "%p+%zu prot %#x",
		   (void *)from, len, prot))
		return;
	t->maps[i].prot_changed = true;
	if (t->maps[i].ro && (prot & PROT_WRITE) && t->maps[i].outside && !t->maps[i].grown)
		violation(t, F_MPROTECT, "id %d: read-only attachment %p made writable",
			  t->maps[i].id, (void *)from);
}

static void op_munmap(struct fthr *t)
{
	struct map *m;
	size_t len;
	char *from;
	int i;

	if (!t->nmaps)
		return op_mmap(t);
	i = (int)rnd_below(&t->rnd, (uint64_t)t->nmaps);
	m = &t->maps[i];
	if (!m->outside) {
		/* In scratch anything goes; the map is forgotten. */
		sub_range(t, i, &from, &len);
		event(t->idx, "munmap", from, len, 0);
		tally(t, F_MUNMAP, munmap(from, len), E_INVAL, "%p+%zu", (void *)from, len);
		map_drop(t, i);
		return;
	}
	/* Elsewhere cut only the ends, so that no hole of ours is left. */
	if (m->len < 2 * pg || rnd_chance(&t->rnd, 40))
		return map_unmap(t, i);
	len = rnd_range(&t->rnd, 1, m->len / pg - 1) * pg;
	if (rnd_chance(&t->rnd, 50)) {
		event(t->idx, "munmap", m->addr + m->len - len, len, 0);
		if (tally(t, F_MUNMAP, munmap(m->addr + m->len - len, len), E_NONE, "tail"))
			m->len -= len;
	} else if (event(t->idx, "munmap", m->addr, len, 0),
		   tally(t, F_MUNMAP, munmap(m->addr, len), E_NONE, "head")) {
		m->addr += len;
		m->len -= len;
		m->dt_ok = false;
	}
}

static void op_mremap(struct fthr *t)
{
	unsigned int r = (unsigned int)rnd_below(&t->rnd, 100);
	size_t new_len;
	int flags = 0, i;
	char *target = NULL;
	struct map *m;
	void *p;

	if (!t->nmaps)
		return op_mmap(t);
	i = (int)rnd_below(&t->rnd, (uint64_t)t->nmaps);
	m = &t->maps[i];
	new_len = r < 30 ? m->len : r < 55 && m->len > pg ? m->len - pg :
		  r < 85 ? m->len + pg * rnd_range(&t->rnd, 1, 16) : m->len * 2;
	r = (unsigned int)rnd_below(&t->rnd, 100);
	if (r < 30) {
		flags = MREMAP_MAYMOVE;
	} else if (r < 70 && new_len <= (8UL << 20)) {
		flags = MREMAP_MAYMOVE | MREMAP_FIXED;
		target = scratch_addr(t);
	} else if (r < 78) {
		flags = MREMAP_MAYMOVE | MREMAP_DONTUNMAP;
		new_len = m->len;
	}
	p = mremap(m->addr, m->len, new_len, flags, target);
	event(t->idx, "mremap-old", m->addr, m->len, p == MAP_FAILED ? -1 : 0);
	if (p != MAP_FAILED)
		event(t->idx, "mremap-new", p, new_len, flags);
	if (!tally(t, F_MREMAP, p == MAP_FAILED ? -1 : 0, E_MREMAP, "%p+%zu -> %zu flags %d",
		   (void *)m->addr, m->len, new_len, flags)) {
		/*
		 * A shrinking move unmaps the tail before it checks the rest
		 * (mremap_to), so even a failure may have cut it: keep only
		 * what is surely ours, and expect nothing of it any more.
		 */
		if (new_len < m->len && (flags & MREMAP_FIXED)) {
			m->len = new_len;
			m->grown = true;
		}
		return;
	}
	if (flags & MREMAP_DONTUNMAP) {
		/* The old range stays, empty: ours as before, a new one too. */
		m->grown = true;
		i = map_add(t, p, new_len, m->id, m->prot);
		t->maps[i].grown = true;
		return;
	}
	/* Grown, or come out of scratch where it may have been anything. */
	if (new_len > m->len || (!m->outside && !in_scratch(t, p, new_len)))
		m->grown = true;
	m->addr = p;
	m->len = new_len;
	m->outside = !in_scratch(t, p, new_len);
}

static void op_madvise(struct fthr *t)
{
	static const int advice[] = { MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL,
		MADV_WILLNEED, MADV_DONTNEED, MADV_FREE, MADV_REMOVE, MADV_DONTFORK,
		MADV_DOFORK, MADV_MERGEABLE, MADV_UNMERGEABLE, MADV_HUGEPAGE,
		MADV_NOHUGEPAGE, MADV_DONTDUMP, MADV_DODUMP, MADV_WIPEONFORK,
		MADV_KEEPONFORK, 20 /* COLD */, 21 /* PAGEOUT */,
		22 /* POPULATE_READ */, 23 /* POPULATE_WRITE */,
		24 /* DONTNEED_LOCKED */, 25 /* COLLAPSE */, 77 /* unknown */ };
	int adv = advice[rnd_below(&t->rnd, ARRAY_SIZE(advice))], i;
	size_t len;
	char *from;

	if (!t->nmaps)
		return op_mmap(t);
	i = (int)rnd_below(&t->rnd, (uint64_t)t->nmaps);
	sub_range(t, i, &from, &len);
	if (len > (1UL << 20))
		len = 1UL << 20;
	tally(t, F_MADVISE, madvise(from, len, adv), E_MADVISE, "%p+%zu advice %d",
	      (void *)from, len, adv);
}

static void op_touch(struct fthr *t)
{
	struct map *m;
	char *p;
	int i, sig;
	bool w;

	if (!t->nmaps)
		return op_at(t);
	i = (int)rnd_below(&t->rnd, (uint64_t)t->nmaps);
	m = &t->maps[i];
	if (m->len > (64UL << 20))
		return;
	p = m->addr + rnd_below(&t->rnd, m->len);
	w = !m->ro && rnd_chance(&t->rnd, 50);
	sig = probe(p, w);
	t->cnt[F_TOUCH].calls++;
	if (!sig) {
		t->cnt[F_TOUCH].ok++;
		return;
	}
	t->cnt[F_TOUCH].err[EFAULT]++;
	/* Where only this thread changed anything, access as mapped works. */
	if (m->outside && !m->grown && !m->prot_changed && (m->prot & PROT_READ)) {
		char where[160];

		maps_describe(p, where, sizeof(where));
		violation(t, F_TOUCH, "id %d: %s at %p (map %p+%zu prot %#x) raised signal %d code %d; maps: %s",
			  m->id, w ? "write" : "read", (void *)p, (void *)m->addr, m->len,
			  m->prot, sig, probe_code, where);
		explain(m->addr, m->len);
	}
}

/* ---- threads ----------------------------------------------------------- */

static void run(struct fthr *t, enum fop op)
{
	switch (op) {
	case F_RANDCMD: op_randcmd(t); break;
	case F_VERSION: op_version(t); break;
	case F_GET: op_get(t); break;
	case F_CTL: op_ctl(t); break;
	case F_AT: op_at(t); break;
	case F_DT: op_dt(t); break;
	case F_HOSTILE: op_hostile(t); break;
	case F_VICTIM_IOCTL: op_victim_ioctl(t); break;
	case F_MMAP: op_mmap(t); break;
	case F_MPROTECT: op_mprotect(t); break;
	case F_MUNMAP: op_munmap(t); break;
	case F_MREMAP: op_mremap(t); break;
	case F_MADVISE: op_madvise(t); break;
	case F_TOUCH: op_touch(t); break;
	case F_CHURN: op_churn(t); break;
	default: break;
	}
}

static void *thread_main(void *arg)
{
	struct fthr *t = arg;
	int i;

	t->scratch = mmap((void *)(SCRATCH_BASE + (uintptr_t)t->idx * SCRATCH_STRIDE),
			  SCRATCH_SIZE - pg, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
	t->buf = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->scratch == MAP_FAILED || t->buf == MAP_FAILED ||
	    mprotect(t->buf + pg, pg, PROT_NONE)) {
		perror("thread setup");
		exit(2);
	}
	while (t->calls > 0) {
		run(t, (enum fop)rnd_weighted(&t->rnd, fop_weights, F_NR));
		t->calls--;
	}
	while (t->nmaps)
		map_unmap(t, t->nmaps - 1);
	munmap(t->scratch, SCRATCH_SIZE);
	while (t->nids)
		rmid(t, t->ids[t->nids - 1].id);
	for (i = 0; i < F_NR; i++)
		op_count_add(&rep->ops[i], &t->cnt[i]);
	return NULL;
}

static bool maps_line_is_segment(const char *line)
{
	const char *p = strstr(line, " /shmipc");

	return p && strspn(p + 8, "0123456789abcdef") == 8;
}

/* Unmap every segment mapping still in the address space; returns how many. */
static int unmap_leftovers(void)
{
	unsigned long from[256], to[256];
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0, i;

	if (!f)
		return 0;
	while (n < 256 && fgets(line, sizeof(line), f))
		if (maps_line_is_segment(line) &&
		    sscanf(line, "%lx-%lx", &from[n], &to[n]) == 2)
			n++;
	fclose(f);
	for (i = 0; i < n; i++)
		munmap((void *)from[i], to[i] - from[i]);
	return n;
}

/* All threads of one process, @calls between them; returns leftovers unmapped. */
static int fuzz_process(uint64_t calls, int nthreads, int first_idx, bool unpriv)
{
	struct fthr *thr = calloc((size_t)nthreads, sizeof(*thr));
	pthread_t *tid = calloc((size_t)nthreads, sizeof(*tid));
	struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO | SA_NODEFER };
	int i, n, total = 0;

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	/* The victim pages: shared by all threads, replaced by all. */
	if (mmap((void *)VICTIM_BASE, VICTIM_PAGES * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == MAP_FAILED) {
		perror("mmap victim");
		exit(2);
	}
	for (i = 0; i < nthreads; i++) {
		thr[i].idx = first_idx + i;
		thr[i].unpriv = unpriv;
		thr[i].calls = calls / (uint64_t)nthreads + (i < (int)(calls % (uint64_t)nthreads));
		rnd_seed(&thr[i].rnd, cfg.seed, (uint64_t)thr[i].idx + 1);
		if (pthread_create(&tid[i], NULL, thread_main, &thr[i])) {
			fprintf(stderr, "pthread_create failed\n");
			exit(2);
		}
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(tid[i], NULL);
	munmap((void *)VICTIM_BASE, VICTIM_PAGES * pg);
	munmap((void *)VSCRATCH_BASE, VSCRATCH_SIZE);
	/* Attachments made through victim memory: their addresses were lost. */
	while ((n = unmap_leftovers()) > 0)
		total += n;
	free(thr);
	free(tid);
	return total;
}

/* As root: one process more, as nobody, for the permission paths. */
static pid_t start_unprivileged(uint64_t calls)
{
	pid_t pid;

	if (geteuid() != 0)
		return 0;
	pid = fork();
	if (pid)
		return pid;
	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534)) {
		perror("dropping privileges");
		_exit(2);
	}
	fuzz_process(calls, 1, cfg.threads, true);
	_exit(0);
}

/* ---- the end: nothing of ours may be left ------------------------------ */

static void cleanup(uint64_t *left)
{
	struct op_count *c = &rep->ops[F_CLEANUP];
	uint64_t n = sh->nlog < IDLOG_MAX ? sh->nlog : IDLOG_MAX, i;
	struct shmipc_get g = { 0 };
	struct shmipc_ds ds;
	int k, id, tries;

	*left = 0;
	for (i = 0; i < n; i++) {
		c->calls++;
		if (ctl_raw(sh->idlog[i], SHMIPC_IPC_RMID, NULL) == 0) {
			c->ok++;
			(*left)++;
		}
	}
	for (k = 0; k < 64; k++) {
		for (tries = 0; tries < 4; tries++) {
			g.key = key_base + k;
			c->calls++;
			id = ioctl(fd_rw, SHMIPC_IOC_GET, &g);
			if (id < 0)
				break;
			c->ok++;
			(*left)++;
			ctl_raw(id, SHMIPC_IPC_RMID, NULL);
		}
		if (ioctl(fd_rw, SHMIPC_IOC_GET, &g) >= 0 || errno != ENOENT)
			report_violation(rep, F_CLEANUP, "cleanup: key %#x still there",
					 (unsigned int)g.key);
	}
	for (i = 0; i < n; i++) {
		c->calls++;
		if (ctl_raw(sh->idlog[i], SHMIPC_IPC_STAT, &ds) == 0 || errno != EINVAL)
			report_violation(rep, F_CLEANUP,
					 "cleanup: id %d still there after removal (nattch %llu mode %#o)",
					 sh->idlog[i], (unsigned long long)ds.nattch, ds.perm.mode);
		else
			c->ok++;
	}
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-s SEED] [-n CALLS] [-T THREADS] [-x OP,...]\n"
		"  -s SEED     random seed (default: from the clock; printed)\n"
		"  -n CALLS    calls in all (default 1000000)\n"
		"  -T THREADS  threads (default 4); as root one more process runs as nobody\n"
		"  -x OP,...   leave these operations out (names as in the summary)\n",
		prog);
	exit(2);
}

/* -x: leave out what does not matter for a reproducer, or a known bug. */
static void exclude_ops(char *list, const char *prog)
{
	const char *bad = ops_exclude(list, fop_names, F_NR, fop_weights);

	if (bad) {
		fprintf(stderr, "%s: no operation %s\n", prog, bad);
		usage(prog);
	}
}

static void read_shmmax(void)
{
	FILE *f = fopen("/sys/module/shmipc/parameters/shmmax", "r");
	unsigned long long v;

	if (!f)
		return;
	if (fscanf(f, "%llu", &v) == 1)
		shmmax = v;
	fclose(f);
}

int main(int argc, char **argv)
{
	struct shmipc_version v = { 0 };
	uint64_t start, left, unpriv_calls;
	bool seeded = false;
	int c, leftovers, rc;
	pid_t child;
	double secs;

	while ((c = getopt(argc, argv, "s:n:T:x:h")) != -1) {
		switch (c) {
		case 'x': exclude_ops(optarg, argv[0]); break;
		case 's': cfg.seed = strtoull(optarg, NULL, 0); seeded = true; break;
		case 'n': cfg.calls = strtoull(optarg, NULL, 0); break;
		case 'T': cfg.threads = atoi(optarg); break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc || cfg.threads < 1 || cfg.threads > 64)
		usage(argv[0]);
	if (!seeded)
		cfg.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);
	setvbuf(stdout, NULL, _IOLBF, 0);
	pg = (size_t)sysconf(_SC_PAGESIZE);
	key_base = 0x4b000000 + (int32_t)((cfg.seed * 2654435761ULL) & 0xffff) * 256;
	read_shmmax();

	fd_rw = open(SHMIPC_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd_rw < 0) {
		printf("shmipc_fuzz: SKIP: open %s: %s\n", SHMIPC_DEVICE, strerror(errno));
		return KSFT_SKIP;
	}
	fd_ro = open(SHMIPC_DEVICE, O_RDONLY | O_CLOEXEC);
	if (fd_ro < 0 || ioctl(fd_rw, SHMIPC_IOC_VERSION, &v) ||
	    v.abi_version != SHMIPC_ABI_VERSION) {
		printf("shmipc_fuzz: FAIL: device setup: abi %u (%s)\n", v.abi_version,
		       strerror(errno));
		return 1;
	}
	rep = shared_alloc(sizeof(*rep));
	sh = shared_alloc(sizeof(*sh));
	printf("shmipc_fuzz: seed %#llx, %llu calls, %d threads%s, keys from %#x\n",
	       (unsigned long long)cfg.seed, (unsigned long long)cfg.calls, cfg.threads,
	       geteuid() == 0 ? " + 1 as nobody" : "", (unsigned int)key_base);

	start = now_ns();
	unpriv_calls = geteuid() == 0 ? cfg.calls / (uint64_t)(cfg.threads + 1) : 0;
	child = start_unprivileged(unpriv_calls);
	leftovers = fuzz_process(cfg.calls - unpriv_calls, cfg.threads, 0, false);
	if (child > 0) {
		int status;

		waitpid(child, &status, 0);
		rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (rc)
			report_violation(rep, F_CLEANUP, "unprivileged process ended with %d", rc);
	}
	secs = (double)(now_ns() - start) / 1e9;
	cleanup(&left);

	report_print(rep, fop_names, F_NR, secs);
	printf("shmipc_fuzz: %.1f s, %.0f calls/s, %llu ids seen, %d lost attachments unmapped, %llu segments removed at the end, %llu violations: %s\n",
	       secs, (double)cfg.calls / secs, (unsigned long long)sh->nlog, leftovers,
	       (unsigned long long)left, (unsigned long long)rep->violations,
	       rep->violations ? "FAIL" : "PASS");
	return rep->violations ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_stress: P processes x T threads doing random shmipc operations on
 * a small key space, so that they collide: get (create, exclusive,
 * private, lookup), IPC_STAT, IPC_SET, IPC_RMID, attach by ioctl and by
 * mmap (read-write and read-only, at kernel-chosen and fixed addresses),
 * detach, partial munmap, mprotect, mremap, and children that fork while
 * attached, check that a read-only attachment faults, detach in a copied
 * address space, or unshare the IPC namespace.
 *
 *   shmipc_stress [-s SEED] [-n OPS | -t SECONDS] [-p PROCS] [-T THREADS]
 *                 [-k KEYS] [-m] [-x OP,...]
 *
 * Every call either succeeds or fails with an errno its race allows (the
 * per-op lists below); anything else is a violation. What can be checked is
 * checked: every segment has a fixed size per key, so sizes and STAT are
 * exact; each thread owns a 128-byte slot at the start of every segment
 * and writes a (writer, key, id, value) record into it under a sequence
 * lock, and every reader of any attachment checks every slot it can see,
 * so a peer's write is read back by the others, and the rest of a segment
 * must stay zero. Fixed-address attachments live in per-thread scratch
 * regions at addresses the kernel never picks for mmap(NULL), so that what
 * a detach left mapped can be checked with mincore().
 *
 * At the end every segment is removed, the key space and the ids seen must
 * be empty, and with -m Shmem in /proc/meminfo must come back to within 64
 * pages of where it started. Exit 0 only when every check held.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/ucontext.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shmipc.h"
#include "shmipc_rand.h"

#define KSFT_SKIP		4

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

/* Per thread: attachments, remembered ids, private segments. */
#define MAX_ATT			8
#define MAX_KNOWN		16
#define MAX_PRIV		6

/*
 * Scratch: per thread NR_SLOTS regions of SLOT_SPAN bytes, reserved
 * PROT_NONE at a fixed address far below where mmap(NULL) places things,
 * so that nobody else's mapping ever lands in a hole we leave there.
 */
#define SCRATCH_BASE		0x234500000000UL
#define SCRATCH_STRIDE		(32UL << 20)
#define NR_SLOTS		12
#define SLOT_SPAN		(1UL << 20)

/* Segments: a 128-byte record per writer thread at the start. */
#define REC_BYTES		128
#define REC_WORDS		(REC_BYTES / 8)
#define REC_MAGIC		0x73686d6970637374ULL
#define PRIV_EXTRA_MAX		(192UL << 10)

/* Child exit codes: anything else was already reported, or is a crash. */
#define CHILD_OK		0
#define CHILD_FAILED		1
#define CHILD_SKIP		3

#define IDLOG_MAX		65536

enum op {
	OP_GET_CREAT, OP_GET_CREAT0, OP_GET_EXCL, OP_GET_PRIVATE,
	OP_GET_LOOKUP, OP_GET_TOOBIG, OP_STAT, OP_SET, OP_RMID, OP_AT_RW,
	OP_AT_RO, OP_AT_FIXED, OP_MMAP_RW, OP_MMAP_RO, OP_MPROTECT_RO,
	OP_MPROTECT_SPLIT, OP_DT, OP_MUNMAP_PART, OP_REMAP_HEAD,
	OP_MREMAP_MOVE, OP_MREMAP_GROW, OP_WRITE, OP_VERIFY, OP_FORK_TOUCH,
	OP_FORK_SEGV, OP_FORK_DT, OP_UNSHARE, OP_CLEANUP, OP_NR
};

static const char *const op_names[OP_NR] = {
	"get_creat", "get_creat_size0", "get_excl", "get_private",
	"get_lookup", "get_toobig", "stat", "set", "rmid", "at_rw",
	"at_ro", "at_fixed", "mmap_rw", "mmap_ro", "mprotect_ro",
	"mprotect_split", "dt", "munmap_part", "remap_head",
	"mremap_move", "mremap_grow", "write", "verify", "fork_touch",
	"fork_segv", "fork_dt", "unshare", "cleanup",
};

/* How often each operation is drawn, per thousand or so. */
static unsigned int op_weights[OP_NR] = {
	[OP_GET_CREAT] = 80, [OP_GET_CREAT0] = 10, [OP_GET_EXCL] = 30,
	[OP_GET_PRIVATE] = 20, [OP_GET_LOOKUP] = 40, [OP_GET_TOOBIG] = 10,
	[OP_STAT] = 70, [OP_SET] = 30, [OP_RMID] = 40, [OP_AT_RW] = 60,
	[OP_AT_RO] = 30, [OP_AT_FIXED] = 35, [OP_MMAP_RW] = 40,
	[OP_MMAP_RO] = 20, [OP_MPROTECT_RO] = 15, [OP_MPROTECT_SPLIT] = 15,
	[OP_DT] = 110, [OP_MUNMAP_PART] = 30, [OP_REMAP_HEAD] = 15,
	[OP_MREMAP_MOVE] = 20, [OP_MREMAP_GROW] = 15, [OP_WRITE] = 120,
	[OP_VERIFY] = 100, [OP_FORK_TOUCH] = 8, [OP_FORK_SEGV] = 4,
	[OP_FORK_DT] = 4, [OP_UNSHARE] = 4,
};

/*
 * What each failure may be, given the races: ids go stale when another
 * thread removes the segment (EINVAL; EIDRM as SysV allows); nothing may
 * fail on a segment this thread holds attached, since it lives until the
 * last detach. Every thread has the same uid and never takes the owner's
 * rwx away, so EACCES and EPERM are never right; nor is ENOSPC or ENOMEM
 * at these sizes.
 */
static const int E_NONE[] = { 0 };
static const int E_EXIST[] = { EEXIST, 0 };
static const int E_NOENT[] = { ENOENT, 0 };
static const int E_NOENT_INVAL[] = { ENOENT, EINVAL, 0 };
static const int E_INVAL[] = { EINVAL, 0 };
static const int E_STALE[] = { EINVAL, EIDRM, 0 };
static const int E_ACCES[] = { EACCES, 0 };
/*
 * mremap grows an attachment as it grows a SysV one; in place only where
 * the pages after it are free (ENOMEM otherwise).
 */
static const int E_GROW[] = { ENOMEM, 0 };

struct seginfo {
	int id;
	int32_t key;		/* at creation; 0 for private */
	size_t segsz;
	bool fresh;		/* private, never attached: must read as zeros */
};

struct att {
	char *addr;		/* first mapped byte */
	size_t off;		/* segment offset of addr (head unmapped) */
	size_t len;		/* bytes mapped from addr */
	size_t hole_off;	/* an unmapped page range inside, from addr */
	size_t hole_len;
	struct seginfo seg;
	int slot;		/* scratch slot, or -1 where the kernel chose */
	bool ro;
	bool tail_cut;		/* the pages after addr + len are unmapped */
	bool split;		/* several VMAs, which never merge (vm_ops->close) */
	bool gone;		/* unmapped behind our back (reported): forget it */
};

struct thr {
	int proc, idx, gidx;
	int fd;
	struct rnd rnd;
	char *scratch;
	bool slot_used[NR_SLOTS];
	struct att att[MAX_ATT];
	int natt;
	struct seginfo known[MAX_KNOWN];
	int nknown, known_next;
	struct seginfo priv[MAX_PRIV];
	int npriv;
	uint64_t value;
	uint64_t ops_done;
	struct op_count cnt[OP_NR];
};

struct idlog {
	uint64_t n;
	struct {
		int id;
		int32_t key;
	} e[IDLOG_MAX];
};

static struct {
	uint64_t seed;
	uint64_t ops;
	double secs;
	int procs, threads, keys;
	bool meminfo;
} cfg = { .ops = 0, .procs = 2, .threads = 2, .keys = 8 };

static size_t pg;
static int nrecs;		/* records at the start of every segment */
static int32_t key_base;
static uid_t my_uid;
static gid_t my_gid;
static uint64_t deadline;	/* -t: CLOCK_MONOTONIC ns; 0 with -n */
static struct report *rep;
static struct idlog *idlog;
/* Where a fault during an operation returns to (see on_crash). */
static __thread sigjmp_buf *volatile op_jb;
static __thread void *fault_addr;

/* ---- small helpers ---------------------------------------------------- */

static size_t round_pg(size_t n)
{
	return (n + pg - 1) & ~(pg - 1);
}

static int32_t key_of(int k)
{
	return key_base + k;
}

/* Every segment of a key has the same size: lookups and STAT are exact. */
static size_t canon_size(int k)
{
	return round_pg((size_t)nrecs * REC_BYTES) + (size_t)(k % 4) * pg +
	       ((k & 1) ? 123 : 0);
}

static int sys_get(int fd, int32_t key, uint32_t flags, uint64_t size)
{
	struct shmipc_get g = { .key = key, .flags = flags, .size = size };

	return ioctl(fd, SHMIPC_IOC_GET, &g);
}

static int sys_ctl(int fd, int id, uint32_t cmd, struct shmipc_ds *ds)
{
	struct shmipc_ctl c = { .id = id, .cmd = cmd };
	int rc;

	if (ds && cmd == SHMIPC_IPC_SET)
		c.u.ds = *ds;
	rc = ioctl(fd, SHMIPC_IOC_CTL, &c);
	if (ds && cmd == SHMIPC_IPC_STAT)
		*ds = c.u.ds;
	return rc;
}

static int sys_at(int fd, int id, uint32_t flags, uint64_t *addr,
		  uint64_t *size)
{
	struct shmipc_at a = { .id = id, .flags = flags, .addr = *addr };
	int rc = ioctl(fd, SHMIPC_IOC_AT, &a);

	*addr = a.addr;
	*size = a.size;
	return rc;
}

static int sys_dt(int fd, const void *addr)
{
	struct shmipc_dt d = { .addr = (uint64_t)(uintptr_t)addr };

	return ioctl(fd, SHMIPC_IOC_DT, &d);
}

static char *slot_addr(struct thr *t, int slot)
{
	return t->scratch + (size_t)slot * SLOT_SPAN;
}

/* Put the PROT_NONE placeholder back over a scratch slot. */
static void slot_refill(struct thr *t, int slot)
{
	event(t->gidx, "refill", slot_addr(t, slot), SLOT_SPAN, slot);
	if (mmap(slot_addr(t, slot), SLOT_SPAN, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
		 -1, 0) == MAP_FAILED) {
		perror("mmap scratch slot");
		exit(2);
	}
}

static int slot_take(struct thr *t)
{
	int i, s = (int)rnd_below(&t->rnd, NR_SLOTS);

	for (i = 0; i < NR_SLOTS; i++, s = (s + 1) % NR_SLOTS)
		if (!t->slot_used[s]) {
			t->slot_used[s] = true;
			return s;
		}
	return -1;
}

static void slot_put(struct thr *t, int slot)
{
	slot_refill(t, slot);
	t->slot_used[slot] = false;
}

/* Is no page of [addr, addr + len) mapped? */
static bool range_unmapped(const char *addr, size_t len)
{
	unsigned char v;
	size_t off;

	for (off = 0; off < len; off += pg)
		if (mincore((void *)(addr + off), pg, &v) == 0 || errno != ENOMEM)
			return false;
	return true;
}

/* Is the page at @addr (page-aligned) mapped? */
static bool page_mapped(const char *addr)
{
	unsigned char v;

	return mincore((void *)((uintptr_t)addr & ~(pg - 1)), pg, &v) == 0;
}

/* ---- accounting ------------------------------------------------------- */

static void violation(struct thr *t, enum op op, const char *fmt, ...)
{
	char ctx[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	report_violation(rep, op, "p%d.t%d %s: %s", t->proc, t->idx,
			 op_names[op], ctx);
}

/*
 * Count a call of @op that returned @rc (-1 with errno on failure, read
 * here first thing); a failure outside @allowed is a violation, described
 * by @fmt. Returns whether the call succeeded.
 */
static bool __attribute__((format(printf, 5, 6)))
tally(struct thr *t, enum op op, long rc, const int *allowed,
      const char *fmt, ...)
{
	int err = errno, counted = op_count_call(&t->cnt[op], rc, err, allowed);
	char ctx[160];
	va_list ap;

	if (counted >= 0)
		return counted;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	violation(t, op, "unexpected %s (%s)", errno_name(err), ctx);
	return false;
}

/* As tally(), for a call that must fail: success is the violation. */
static bool __attribute__((format(printf, 5, 6)))
tally_fail(struct thr *t, enum op op, long rc, const int *allowed,
	   const char *fmt, ...)
{
	int err = errno;
	char ctx[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	if (rc >= 0) {
		t->cnt[op].calls++;
		violation(t, op, "succeeded but must fail (%s)", ctx);
		return true;
	}
	if (op_count_call(&t->cnt[op], rc, err, allowed) == 0)
		return false;
	violation(t, op, "unexpected %s (%s)", errno_name(err), ctx);
	return false;
}

static void idlog_add(int id, int32_t key)
{
	uint64_t i = __atomic_fetch_add(&idlog->n, 1, __ATOMIC_RELAXED);

	if (i < IDLOG_MAX) {
		idlog->e[i].id = id;
		idlog->e[i].key = key;
	}
}

static void remember(struct thr *t, const struct seginfo *s)
{
	int i;

	for (i = 0; i < t->nknown; i++)
		if (t->known[i].id == s->id)
			return;
	idlog_add(s->id, s->key);
	t->known[t->known_next] = *s;
	t->known_next = (t->known_next + 1) % MAX_KNOWN;
	if (t->nknown < MAX_KNOWN)
		t->nknown++;
}

static int attached(const struct thr *t, int id)
{
	int i, n = 0;

	for (i = 0; i < t->natt; i++)
		n += t->att[i].seg.id == id;
	return n;
}

static struct seginfo *priv_of(struct thr *t, int id)
{
	int i;

	for (i = 0; i < t->npriv; i++)
		if (t->priv[i].id == id)
			return &t->priv[i];
	return NULL;
}

/* A segment to operate on: attached, private, or remembered (maybe stale). */
static bool pick_seg(struct thr *t, struct seginfo *s)
{
	unsigned int r = (unsigned int)rnd_below(&t->rnd, 100);

	if (r < 45 && t->natt) {
		*s = t->att[rnd_below(&t->rnd, (uint64_t)t->natt)].seg;
		return true;
	}
	if (r < 65 && t->npriv) {
		*s = t->priv[rnd_below(&t->rnd, (uint64_t)t->npriv)];
		return true;
	}
	if (t->nknown) {
		*s = t->known[rnd_below(&t->rnd, (uint64_t)t->nknown)];
		return true;
	}
	return false;
}

/* ---- segment contents ------------------------------------------------- */

static uint64_t rec_mix(uint64_t a, uint64_t b)
{
	uint64_t x = a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL);

	return rnd_splitmix(&x);
}

static void rec_fill(uint64_t *w, int writer, int32_t key, int id,
		     uint64_t value)
{
	int i;

	w[1] = REC_MAGIC;
	w[2] = (uint64_t)writer;
	w[3] = (uint32_t)key;
	w[4] = (uint32_t)id;
	w[5] = value;
	for (i = 6; i < REC_WORDS; i++)
		w[i] = rec_mix(w[2] ^ (w[3] << 20) ^ (w[4] << 40), value + (uint64_t)i);
}

/* Sequence lock: odd while a write is in progress. Returns false if odd. */
static bool rec_write(uint64_t *rec, const uint64_t *w)
{
	uint64_t s = __atomic_load_n(&rec[0], __ATOMIC_RELAXED);
	int i;

	if (s & 1)
		return false;
	__atomic_store_n(&rec[0], s + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	for (i = 1; i < REC_WORDS; i++)
		__atomic_store_n(&rec[i], w[i], __ATOMIC_RELAXED);
	__atomic_store_n(&rec[0], s + 2, __ATOMIC_RELEASE);
	return true;
}

/* A consistent copy of @rec: 1, or 0 never written, or -1 kept changing. */
static int rec_read(const uint64_t *rec, uint64_t *w)
{
	int tries, i;

	for (tries = 0; tries < 1000; tries++) {
		uint64_t s1 = __atomic_load_n(&rec[0], __ATOMIC_ACQUIRE), s2;

		if (s1 & 1) {
			sched_yield();
			continue;
		}
		for (i = 1; i < REC_WORDS; i++)
			w[i] = __atomic_load_n(&rec[i], __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&rec[0], __ATOMIC_RELAXED);
		if (s1 == s2) {
			w[0] = s1;
			return s1 ? 1 : 0;
		}
	}
	return -1;
}

/* Where segment offset [off, off + len) is mapped in @a, or NULL. */
static char *seg_ptr(const struct att *a, size_t off, size_t len)
{
	size_t rel;

	if (off < a->off || off + len > a->off + a->len)
		return NULL;
	rel = off - a->off;
	if (a->hole_len && rel + len > a->hole_off &&
	    rel < a->hole_off + a->hole_len)
		return NULL;
	return a->addr + rel;
}

/* Check record @i as read through @a. Returns false on a violation. */
static bool rec_check(struct thr *t, enum op op, const struct att *a, int i,
		      uint64_t *value)
{
	uint64_t w[REC_WORDS], want[REC_WORDS];
	const uint64_t *rec = (const uint64_t *)seg_ptr(a, (size_t)i * REC_BYTES,
							 REC_BYTES);
	int j, r;

	if (!rec)
		return true;
	r = rec_read(rec, w);
	if (r < 0)
		return true;	/* a busy writer, not an error */
	if (r == 0) {
		for (j = 1; j < REC_WORDS; j++)
			if (w[j]) {
				violation(t, op, "id %d record %d: sequence 0 but word %d is %#" PRIx64,
					  a->seg.id, i, j, w[j]);
				return false;
			}
		return true;
	}
	rec_fill(want, i, a->seg.key, a->seg.id, w[5]);
	for (j = 1; j < REC_WORDS; j++)
		if (w[j] != want[j]) {
			violation(t, op, "id %d key %#x record %d word %d: %#" PRIx64 " want %#" PRIx64 " (magic %#" PRIx64 " writer %" PRIu64 " key %#" PRIx64 " id %" PRIu64 ")",
				  a->seg.id, (unsigned int)a->seg.key, i, j, w[j], want[j],
				  w[1], w[2], w[3], w[4]);
			return false;
		}
	if (value)
		*value = w[5];
	return true;
}

/* Bytes of the segment past the records are never written: all zero. */
static bool zero_check(struct thr *t, enum op op, const struct att *a,
		       size_t from, size_t to)
{
	size_t off;

	for (off = from; off < to; off += 64) {
		size_t n = to - off < 64 ? to - off : 64;
		const unsigned char *p = (const unsigned char *)seg_ptr(a, off, n);
		size_t k;

		if (!p)
			continue;
		for (k = 0; k < n; k++)
			if (p[k]) {
				violation(t, op, "id %d key %#x: byte at offset %zu is %#x, want 0",
					  a->seg.id, (unsigned int)a->seg.key, off + k, p[k]);
				return false;
			}
	}
	return true;
}

/* All records, and a sample of the rest of the segment (all of it if small). */
static bool verify_att(struct thr *t, enum op op, const struct att *a)
{
	size_t start = (size_t)nrecs * REC_BYTES, end = round_pg(a->seg.segsz);
	int i;

	for (i = 0; i < nrecs; i++)
		if (!rec_check(t, op, a, i, NULL))
			return false;
	if (end - start <= 4 * pg)
		return zero_check(t, op, a, start, end);
	if (!zero_check(t, op, a, start, start + 256))
		return false;
	if (!zero_check(t, op, a, end - 256, end))
		return false;
	start += rnd_below(&t->rnd, end - start - 256) & ~(size_t)63;
	return zero_check(t, op, a, start, start + 256);
}

/* Write this thread's record through @a, read it back through all we hold. */
static bool write_rec(struct thr *t, enum op op, struct att *a, uint64_t value)
{
	uint64_t w[REC_WORDS], got;
	uint64_t *rec = (uint64_t *)seg_ptr(a, (size_t)t->gidx * REC_BYTES,
					    REC_BYTES);
	int i;

	if (!rec || a->ro)
		return true;
	rec_fill(w, t->gidx, a->seg.key, a->seg.id, value);
	if (!rec_write(rec, w)) {
		violation(t, op, "id %d: own record %d left odd", a->seg.id, t->gidx);
		return false;
	}
	for (i = 0; i < t->natt; i++) {
		struct att *b = &t->att[i];

		if (b->seg.id != a->seg.id ||
		    !seg_ptr(b, (size_t)t->gidx * REC_BYTES, REC_BYTES))
			continue;
		got = ~value;
		if (!rec_check(t, op, b, t->gidx, &got))
			return false;
		if (got != value) {
			violation(t, op, "id %d: wrote %#" PRIx64 " at %p, read %#" PRIx64 " at %p",
				  a->seg.id, value, (void *)a->addr, got, (void *)b->addr);
			explain(b->addr, b->len);
			explain(a->addr, a->len);
			b->gone = true;
			return false;
		}
	}
	return true;
}

/* ---- operations ------------------------------------------------------- */

static int pick_att(struct thr *t, bool (*fit)(const struct att *))
{
	int i, start;

	if (!t->natt)
		return -1;
	start = (int)rnd_below(&t->rnd, (uint64_t)t->natt);
	for (i = 0; i < t->natt; i++) {
		int j = (start + i) % t->natt;

		if (!fit || fit(&t->att[j]))
			return j;
	}
	return -1;
}

static void att_drop(struct thr *t, int i)
{
	if (t->att[i].slot >= 0)
		slot_put(t, t->att[i].slot);
	t->att[i] = t->att[--t->natt];
}

static struct att *att_add(struct thr *t, char *addr, size_t len,
			   const struct seginfo *s, int slot, bool ro)
{
	struct att *a = &t->att[t->natt++];
	struct seginfo *p = priv_of(t, s->id);

	event(t->gidx, "add", addr, len, s->id);
	memset(a, 0, sizeof(*a));
	a->addr = addr;
	a->len = len;
	a->seg = *s;
	a->seg.fresh = false;
	a->slot = slot;
	a->ro = ro;
	/* Nobody but this thread knows a private id: it starts zeroed. */
	if (p && p->fresh) {
		p->fresh = false;
		zero_check(t, OP_VERIFY, a, 0, len);
	}
	return a;
}

/* Everything about a segment STAT can tell, given what we know of it. */
static void check_ds(struct thr *t, enum op op, const struct seginfo *s,
		     const struct shmipc_ds *ds)
{
	unsigned int mode = ds->perm.mode;
	int i;

	if (ds->perm.uid != my_uid || ds->perm.cuid != my_uid ||
	    ds->perm.gid != my_gid || ds->perm.cgid != my_gid)
		violation(t, op, "id %d: uid %u cuid %u gid %u cgid %u", s->id,
			  ds->perm.uid, ds->perm.cuid, ds->perm.gid, ds->perm.cgid);
	if ((mode & 0700) != 0700 || (mode & ~(0777U | SHMIPC_SHM_DEST)))
		violation(t, op, "id %d: mode %#o", s->id, mode);
	if ((mode & SHMIPC_SHM_DEST) ? ds->perm.key != 0 : ds->perm.key != s->key)
		violation(t, op, "id %d: key %#x mode %#o, created with key %#x",
			  s->id, (unsigned int)ds->perm.key, mode, (unsigned int)s->key);
	if (ds->segsz != s->segsz)
		violation(t, op, "id %d: segsz %llu want %zu", s->id,
			  (unsigned long long)ds->segsz, s->segsz);
	if (ds->perm.seq != (uint32_t)s->id >> 15)
		violation(t, op, "id %d: seq %u", s->id, ds->perm.seq);
	if (ds->nattch < (uint64_t)attached(t, s->id))
		violation(t, op, "id %d: nattch %llu but this thread holds %d",
			  s->id, (unsigned long long)ds->nattch, attached(t, s->id));
	if (ds->cpid <= 0 || ds->ctime <= 0)
		violation(t, op, "id %d: cpid %d ctime %lld", s->id, ds->cpid,
			  (long long)ds->ctime);
	if (ds->perm.pad)
		violation(t, op, "id %d: perm.pad %#x", s->id, ds->perm.pad);
	for (i = 0; i < 4; i++)
		if (ds->reserved[i])
			violation(t, op, "id %d: reserved[%d] %#llx", s->id, i,
				  (unsigned long long)ds->reserved[i]);
}

static void op_rmid_seg(struct thr *t, const struct seginfo *s);

static void op_get(struct thr *t, enum op op)
{
	int k = (int)rnd_below(&t->rnd, (uint64_t)cfg.keys);
	struct seginfo s = { .key = key_of(k), .segsz = canon_size(k) };
	uint32_t mode = 0700 | (uint32_t)rnd_below(&t->rnd, 0100);
	uint64_t size;
	int id;

	if (rnd_chance(&t->rnd, 10))
		mode |= SHMIPC_SHM_NORESERVE;
	switch (op) {
	case OP_GET_CREAT:
		id = sys_get(t->fd, s.key, SHMIPC_IPC_CREAT | mode, s.segsz);
		if (!tally(t, op, id, E_NONE, "key %#x size %zu", (unsigned int)s.key, s.segsz))
			return;
		break;
	case OP_GET_CREAT0:
		id = sys_get(t->fd, s.key, SHMIPC_IPC_CREAT | mode, 0);
		if (!tally(t, op, id, E_INVAL, "key %#x size 0", (unsigned int)s.key))
			return;
		break;
	case OP_GET_EXCL:
		id = sys_get(t->fd, s.key, SHMIPC_IPC_CREAT | SHMIPC_IPC_EXCL | mode,
			     s.segsz);
		if (!tally(t, op, id, E_EXIST, "key %#x", (unsigned int)s.key))
			return;
		break;
	case OP_GET_LOOKUP:
		/* The owner has rwx: any nine bits asked for are granted. */
		size = rnd_below(&t->rnd, s.segsz + 1);
		id = sys_get(t->fd, s.key, (uint32_t)rnd_below(&t->rnd, 01000), size);
		if (!tally(t, op, id, E_NOENT, "key %#x size %llu", (unsigned int)s.key,
			   (unsigned long long)size))
			return;
		break;
	case OP_GET_TOOBIG:
		size = s.segsz + 1 + rnd_below(&t->rnd, pg);
		id = sys_get(t->fd, s.key, 0, size);
		if (tally_fail(t, op, id, E_NOENT_INVAL, "key %#x size %llu > %zu",
			       (unsigned int)s.key, (unsigned long long)size, s.segsz))
			op_rmid_seg(t, &(struct seginfo){ .id = id });
		return;
	default: /* OP_GET_PRIVATE */
		if (t->npriv == MAX_PRIV)
			op_rmid_seg(t, &t->priv[0]);
		s.key = SHMIPC_IPC_PRIVATE;
		s.segsz = round_pg((size_t)nrecs * REC_BYTES) +
			  rnd_below(&t->rnd, PRIV_EXTRA_MAX);
		if (rnd_chance(&t->rnd, 30))
			mode |= SHMIPC_IPC_CREAT | SHMIPC_IPC_EXCL;
		id = sys_get(t->fd, SHMIPC_IPC_PRIVATE, mode, s.segsz);
		if (!tally(t, op, id, E_NONE, "size %zu", s.segsz))
			return;
		s.id = id;
		s.fresh = true;
		t->priv[t->npriv++] = s;
		remember(t, &s);
		return;
	}
	s.id = id;
	remember(t, &s);
}

static void op_stat(struct thr *t)
{
	struct shmipc_ds ds;
	struct seginfo s;
	int held;

	if (!pick_seg(t, &s))
		return op_get(t, OP_GET_CREAT);
	held = attached(t, s.id) || priv_of(t, s.id);
	memset(&ds, 0xa5, sizeof(ds));
	if (tally(t, OP_STAT, sys_ctl(t->fd, s.id, SHMIPC_IPC_STAT, &ds),
		  held ? E_NONE : E_STALE, "id %d held %d", s.id, held))
		check_ds(t, OP_STAT, &s, &ds);
}

static void op_set(struct thr *t)
{
	struct shmipc_ds ds;
	struct seginfo s;
	int held;

	if (!pick_seg(t, &s))
		return op_get(t, OP_GET_CREAT);
	held = attached(t, s.id) || priv_of(t, s.id);
	/* Fields IPC_SET ignores get junk: it must not take them. */
	memset(&ds, 0, sizeof(ds));
	ds.perm.key = (int32_t)rnd_next(&t->rnd);
	ds.perm.cuid = (uint32_t)rnd_next(&t->rnd);
	ds.perm.seq = (uint32_t)rnd_next(&t->rnd);
	ds.segsz = rnd_next(&t->rnd);
	ds.nattch = rnd_next(&t->rnd);
	ds.perm.uid = my_uid;
	ds.perm.gid = my_gid;
	ds.perm.mode = 0700 | (uint32_t)rnd_below(&t->rnd, 0100) |
		       (rnd_chance(&t->rnd, 20) ? SHMIPC_SHM_DEST : 0);
	tally(t, OP_SET, sys_ctl(t->fd, s.id, SHMIPC_IPC_SET, &ds),
	      held ? E_NONE : E_STALE, "id %d held %d", s.id, held);
}

static void op_rmid_seg(struct thr *t, const struct seginfo *s)
{
	struct seginfo *p = priv_of(t, s->id);
	int held = attached(t, s->id), id;
	struct shmipc_ds ds;
	struct seginfo copy = *s;

	/* Only this thread knows its private ids: they cannot be stale. */
	if (!tally(t, OP_RMID, sys_ctl(t->fd, s->id, SHMIPC_IPC_RMID, NULL),
		   held || p ? E_NONE : E_STALE, "id %d held %d", s->id, held))
		return;
	if (p)
		*p = t->priv[--t->npriv];
	if (held) {
		/* Attached: still there, marked for destruction, key gone. */
		if (tally(t, OP_STAT, sys_ctl(t->fd, copy.id, SHMIPC_IPC_STAT, &ds),
			  E_NONE, "id %d after rmid, held %d", copy.id, held)) {
			if (!(ds.perm.mode & SHMIPC_SHM_DEST) || ds.perm.key)
				violation(t, OP_RMID, "id %d removed while attached: mode %#o key %#x",
					  copy.id, ds.perm.mode, (unsigned int)ds.perm.key);
			check_ds(t, OP_STAT, &copy, &ds);
		}
	}
	if (copy.key != SHMIPC_IPC_PRIVATE) {
		/* The key is free at once: never again the removed id. */
		id = sys_get(t->fd, copy.key, 0, 0);
		if (tally(t, OP_GET_LOOKUP, id, E_NOENT, "key %#x after rmid",
			  (unsigned int)copy.key) && id == copy.id)
			violation(t, OP_RMID, "key %#x still finds removed id %d",
				  (unsigned int)copy.key, id);
	}
}

static void op_rmid(struct thr *t)
{
	struct seginfo s;

	if (!pick_seg(t, &s))
		return op_get(t, OP_GET_CREAT);
	op_rmid_seg(t, &s);
}

static bool att_whole(const struct att *a)
{
	return !a->off && !a->hole_len;
}

/* mremap works on one VMA. */
static bool att_one_vma(const struct att *a)
{
	return att_whole(a) && !a->split;
}

/*
 * A detach at @start takes one attachment: every other one this thread
 * holds (nobody else unmaps them) must still be mapped.
 */
static void others_intact(struct thr *t, int self, const char *start)
{
	int j;

	for (j = 0; j < t->natt; j++)
		if (j != self && !page_mapped(t->att[j].addr)) {
			violation(t, OP_DT, "id %d: detaching at %p also unmapped attachment %p+%zu of id %d",
				  t->att[self].seg.id, (void *)start, (void *)t->att[j].addr,
				  t->att[j].len, t->att[j].seg.id);
			explain(t->att[j].addr, t->att[j].len);
			t->att[j].gone = true;
		}
}

static void drop_gone(struct thr *t)
{
	int j;

	for (j = t->natt - 1; j >= 0; j--)
		if (t->att[j].gone)
			att_drop(t, j);
}

/*
 * shmdt, and what the detach left. Where the first page is gone (only in
 * our own scratch slot, where nothing else is mapped in the hole), a piece
 * is not where an attachment starts, but the start still names it: as
 * SysV's shmdt(), ours takes the first piece above the address whose
 * offset is its distance from it, and the rest of that attachment.
 */
static void detach_att(struct thr *t, int i)
{
	struct att *a = &t->att[i];
	char *start = a->addr - a->off;

	if (a->off) {
		int rc;

		tally_fail(t, OP_DT, sys_dt(t->fd, a->addr), E_INVAL,
			   "id %d: piece at offset %zu", a->seg.id, a->off);
		rc = sys_dt(t->fd, start);
		event(t->gidx, "dt", start, a->off + a->len, rc);
		if (!tally(t, OP_DT, rc, E_NONE, "id %d: unmapped start %p",
			   a->seg.id, (void *)start))
			munmap(a->addr, a->len);	/* in our scratch slot */
		else if (!range_unmapped(a->addr, a->len))
			violation(t, OP_DT, "id %d: shmdt(%p) left pages of [%p, +%zu) mapped",
				  a->seg.id, (void *)start, (void *)a->addr, a->len);
	} else {
		int rc = sys_dt(t->fd, a->addr);

		event(t->gidx, "dt", a->addr, a->len, rc);
		if (!tally(t, OP_DT, rc, E_NONE, "id %d at %p len %zu", a->seg.id,
			   (void *)a->addr, a->len)) {
			explain(a->addr, a->len);
			/*
			 * Not ours any more: a range the kernel chose may hold
			 * someone else's mapping by now. Only scratch is
			 * cleared (slot_put does).
			 */
		}
		if (a->slot >= 0 && !range_unmapped(a->addr, a->len))
			violation(t, OP_DT, "id %d: shmdt left pages of [%p, +%zu) mapped",
				  a->seg.id, (void *)a->addr, a->len);
		/* Only attachment pages go: the placeholder after them stays. */
		if (a->slot >= 0 && !a->tail_cut && !page_mapped(a->addr + a->len))
			violation(t, OP_DT, "id %d: shmdt of %zu bytes unmapped the page after them",
				  a->seg.id, a->len);
	}
	others_intact(t, i, start);
	att_drop(t, i);
	drop_gone(t);
}

static void op_dt(struct thr *t)
{
	int i = pick_att(t, NULL);

	if (i >= 0)
		detach_att(t, i);
}

static void op_attach(struct thr *t, enum op op)
{
	bool ro = op == OP_AT_RO || (op == OP_AT_FIXED && rnd_chance(&t->rnd, 30));
	uint32_t flags = ro ? SHMIPC_SHM_RDONLY : 0;
	uint64_t addr = 0, size = 0;
	struct seginfo s;
	int held, slot = -1;
	bool ok;

	if (t->natt == MAX_ATT)
		return op_dt(t);
	if (!pick_seg(t, &s))
		return op_get(t, OP_GET_CREAT);
	held = attached(t, s.id) || priv_of(t, s.id);
	if (rnd_chance(&t->rnd, 5))
		flags |= SHMIPC_SHM_EXEC;
	if (op == OP_AT_FIXED) {
		slot = slot_take(t);
		if (slot < 0)
			return op_dt(t);
		/* The placeholder is there: without SHM_REMAP, EINVAL. */
		addr = (uint64_t)(uintptr_t)slot_addr(t, slot);
		if (rnd_chance(&t->rnd, 20) &&
		    tally_fail(t, op, sys_at(t->fd, s.id, flags, &addr, &size),
			       E_INVAL, "id %d over a mapping without SHM_REMAP", s.id))
			munmap((void *)(uintptr_t)addr, size);
		addr = (uint64_t)(uintptr_t)slot_addr(t, slot);
		flags |= SHMIPC_SHM_REMAP;
		if (rnd_chance(&t->rnd, 30)) {
			addr += rnd_range(&t->rnd, 1, pg - 1);
			flags |= SHMIPC_SHM_RND;
		}
	}
	ok = tally(t, op, sys_at(t->fd, s.id, flags, &addr, &size),
		   held ? E_NONE : E_STALE, "id %d flags %#o held %d", s.id, flags, held);
	if (!ok) {
		/* A failed MAP_FIXED may have unmapped the placeholder. */
		if (slot >= 0)
			slot_put(t, slot);
		return;
	}
	if (size != round_pg(s.segsz) || (addr & (pg - 1)) ||
	    (slot >= 0 && addr != (uint64_t)(uintptr_t)slot_addr(t, slot)))
		violation(t, op, "id %d: attached %#llx size %llu, want size %zu%s",
			  s.id, (unsigned long long)addr, (unsigned long long)size,
			  round_pg(s.segsz), slot >= 0 ? " at the slot" : "");
	att_add(t, (char *)(uintptr_t)addr, round_pg(s.segsz), &s, slot, ro);
}

static void op_mmap(struct thr *t, enum op op)
{
	bool ro = op == OP_MMAP_RO;
	int prot = PROT_READ | (ro ? 0 : PROT_WRITE), held, slot = -1;
	int flags = MAP_SHARED;
	struct seginfo s;
	size_t pages, len;
	char *want = NULL;
	void *p;

	if (t->natt == MAX_ATT)
		return op_dt(t);
	if (!pick_seg(t, &s))
		return op_get(t, OP_GET_CREAT);
	held = attached(t, s.id) || priv_of(t, s.id);
	pages = round_pg(s.segsz) / pg;
	len = rnd_chance(&t->rnd, 70) ? pages * pg :
	      rnd_range(&t->rnd, 1, pages) * pg;
	if (rnd_chance(&t->rnd, 5)) {
		/* Longer than the segment, or private: refused. */
		bool priv = rnd_chance(&t->rnd, 50);

		p = mmap(NULL, priv ? len : (pages + 1) * pg, prot,
			 priv ? MAP_PRIVATE : MAP_SHARED, t->fd,
			 (off_t)SHMIPC_MMAP_OFFSET(s.id, pg));
		if (tally_fail(t, op, p == MAP_FAILED ? -1 : 0, E_INVAL,
			       "id %d %s", s.id, priv ? "MAP_PRIVATE" : "one page too long"))
			munmap(p, priv ? len : (pages + 1) * pg);
		return;
	}
	if (rnd_chance(&t->rnd, 30) && (slot = slot_take(t)) >= 0) {
		want = slot_addr(t, slot);
		flags |= MAP_FIXED;
	}
	p = mmap(want, len, prot, flags, t->fd, (off_t)SHMIPC_MMAP_OFFSET(s.id, pg));
	if (!tally(t, op, p == MAP_FAILED ? -1 : 0, held ? E_NONE : E_STALE,
		   "id %d len %zu held %d", s.id, len, held)) {
		if (slot >= 0)
			slot_put(t, slot);
		return;
	}
	att_add(t, p, len, &s, slot, ro);
}

static bool fit_ro(const struct att *a)
{
	return a->ro;
}

static bool fit_rw_whole3(const struct att *a)
{
	return !a->ro && att_whole(a) && a->len >= 3 * pg;
}

static void op_mprotect_ro(struct thr *t)
{
	int i = pick_att(t, fit_ro);
	struct att *a;

	if (i < 0)
		return op_attach(t, OP_AT_RO);
	a = &t->att[i];
	if (tally_fail(t, OP_MPROTECT_RO, mprotect(a->addr, pg, PROT_READ | PROT_WRITE),
		       E_ACCES, "id %d read-only at %p", a->seg.id, (void *)a->addr))
		mprotect(a->addr, pg, PROT_READ);
}

/* Split a VMA in three and join it again: nattch must follow. */
static void op_mprotect_split(struct thr *t)
{
	int i = pick_att(t, fit_rw_whole3);
	struct att *a;

	if (i < 0)
		return;
	a = &t->att[i];
	tally(t, OP_MPROTECT_SPLIT, mprotect(a->addr + pg, pg, PROT_READ), E_NONE,
	      "id %d", a->seg.id);
	a->split = true;
	tally(t, OP_MPROTECT_SPLIT, mprotect(a->addr, a->len, PROT_READ | PROT_WRITE),
	      E_NONE, "id %d back", a->seg.id);
	write_rec(t, OP_MPROTECT_SPLIT, a, ++t->value);
}

static bool fit_partable(const struct att *a)
{
	return !a->hole_len && a->len >= 2 * pg;
}

static void op_munmap_part(struct thr *t)
{
	int i = pick_att(t, fit_partable), how;
	size_t pages, n;
	struct att *a;

	if (i < 0)
		return;
	a = &t->att[i];
	pages = a->len / pg;
	/* Head and middle cuts leave holes: only in our own scratch. */
	how = a->slot >= 0 ? (int)rnd_below(&t->rnd, 3) : 0;
	if (how == 2 && pages < 3)
		how = 0;
	switch (how) {
	case 0: /* tail */
		n = rnd_range(&t->rnd, 1, pages - 1);
		event(t->gidx, "munmap", a->addr + a->len - n * pg, n * pg, 0);
		if (tally(t, OP_MUNMAP_PART, munmap(a->addr + a->len - n * pg, n * pg),
			  E_NONE, "id %d tail %zu pages", a->seg.id, n)) {
			a->len -= n * pg;
			a->tail_cut = true;
		}
		break;
	case 1: /* head */
		event(t->gidx, "munmap", a->addr, pg, 0);
		if (tally(t, OP_MUNMAP_PART, munmap(a->addr, pg), E_NONE,
			  "id %d head", a->seg.id)) {
			a->addr += pg;
			a->off += pg;
			a->len -= pg;
		}
		break;
	default: /* a page in the middle: two VMAs from now on */
		n = rnd_range(&t->rnd, 1, pages - 2);
		event(t->gidx, "munmap", a->addr + n * pg, pg, 0);
		if (tally(t, OP_MUNMAP_PART, munmap(a->addr + n * pg, pg), E_NONE,
			  "id %d page %zu", a->seg.id, n)) {
			a->hole_off = n * pg;
			a->hole_len = pg;
		}
		break;
	}
}

static bool fit_head_gone(const struct att *a)
{
	return a->slot >= 0 && a->off == pg && !a->hole_len;
}

/*
 * A new attachment of the same segment in the hole the first page left,
 * right where the old one started: offsets line up with the old pieces,
 * but it is another attachment, and shmdt() of it must leave the old one
 * alone, as SysV's does (each shmat is its own file there).
 */
static void op_remap_head(struct thr *t)
{
	int i = pick_att(t, fit_head_gone);
	struct att *a;
	char *p;

	if (i < 0)
		return op_munmap_part(t);
	a = &t->att[i];
	p = mmap(a->addr - pg, pg, PROT_READ | (a->ro ? 0 : PROT_WRITE),
		 MAP_SHARED | MAP_FIXED, t->fd, (off_t)SHMIPC_MMAP_OFFSET(a->seg.id, pg));
	if (!tally(t, OP_REMAP_HEAD, p == MAP_FAILED ? -1 : 0, E_NONE,
		   "id %d at %p", a->seg.id, (void *)(a->addr - pg)))
		return;
	event(t->gidx, "remap", p, pg, a->seg.id);
	if (!tally(t, OP_DT, sys_dt(t->fd, p), E_NONE, "id %d new attachment at %p",
		   a->seg.id, (void *)p))
		munmap(p, pg);	/* in our scratch slot */
	event(t->gidx, "dt", p, pg, 0);
	if (page_mapped(p))
		violation(t, OP_REMAP_HEAD, "id %d: shmdt(%p) left it mapped", a->seg.id,
			  (void *)p);
	if (!page_mapped(a->addr)) {
		violation(t, OP_REMAP_HEAD, "id %d: shmdt(%p) of a one-page attachment also detached the older attachment of the segment at %p",
			  a->seg.id, (void *)p, (void *)a->addr);
		att_drop(t, i);
	} else {
		verify_att(t, OP_REMAP_HEAD, a);
	}
}

static bool fit_whole(const struct att *a)
{
	return att_one_vma(a);
}

static void op_mremap_move(struct thr *t)
{
	int i = pick_att(t, fit_whole), slot;
	struct att *a;
	void *p;

	if (i < 0)
		return;
	a = &t->att[i];
	if (rnd_chance(&t->rnd, 25) && a->len >= 2 * pg) {
		/* Shrinking in place is allowed. */
		p = mremap(a->addr, a->len, a->len - pg, MREMAP_MAYMOVE);
		event(t->gidx, "mremap-shrink", a->addr, a->len, p == MAP_FAILED ? -1 : 0);
		if (tally(t, OP_MREMAP_MOVE, p == MAP_FAILED ? -1 : 0, E_NONE,
			  "id %d shrink", a->seg.id)) {
			if (p != a->addr)
				violation(t, OP_MREMAP_MOVE, "id %d: shrink moved %p to %p",
					  a->seg.id, (void *)a->addr, p);
			a->addr = p;
			a->len -= pg;
			a->tail_cut = true;
		}
		return;
	}
	slot = slot_take(t);
	if (slot < 0)
		return;
	p = mremap(a->addr, a->len, a->len, MREMAP_MAYMOVE | MREMAP_FIXED,
		   slot_addr(t, slot));
	event(t->gidx, "mremap-from", a->addr, a->len, p == MAP_FAILED ? -1 : 0);
	if (!tally(t, OP_MREMAP_MOVE, p == MAP_FAILED ? -1 : 0, E_NONE,
		   "id %d to slot %d", a->seg.id, slot)) {
		slot_put(t, slot);
		return;
	}
	if (a->slot >= 0)
		slot_put(t, a->slot);
	a->addr = p;
	a->slot = slot;
	a->tail_cut = false;	/* the new slot's placeholder follows */
	verify_att(t, OP_MREMAP_MOVE, a);
}

static void op_mremap_grow(struct thr *t)
{
	int i = pick_att(t, fit_whole);
	bool may_move = rnd_chance(&t->rnd, 50);
	struct att *a;
	void *p;

	if (i < 0)
		return;
	a = &t->att[i];
	p = mremap(a->addr, a->len, a->len + pg, may_move ? MREMAP_MAYMOVE : 0);
	event(t->gidx, "mremap-grow", a->addr, a->len, p == MAP_FAILED ? -1 : 0);
	if (tally(t, OP_MREMAP_GROW, p == MAP_FAILED ? -1 : 0, E_GROW,
		  "id %d len %zu%s", a->seg.id, a->len,
		  may_move ? " MREMAP_MAYMOVE" : "")) {
		/* It grew: give it all back, wherever it went. */
		munmap(p, a->len + pg);
		if (a->slot >= 0)
			slot_put(t, a->slot);
		t->att[i] = t->att[--t->natt];
	}
}

static bool fit_rw_rec(const struct att *a)
{
	return !a->ro;
}

/*
 * Is @a still mapped at both ends? Only this thread unmaps its attachments,
 * so one that vanished was taken by someone else's detach: report it and
 * forget it, rather than die touching it.
 */
static bool att_alive(struct thr *t, enum op op, struct att *a)
{
	if (page_mapped(a->addr) && page_mapped(a->addr + a->len - pg))
		return true;
	violation(t, op, "id %d: attachment %p+%zu vanished (unmapped by someone else)",
		  a->seg.id, (void *)a->addr, a->len);
	explain(a->addr, a->len);
	a->gone = true;
	return false;
}

static void op_write(struct thr *t)
{
	int i = pick_att(t, fit_rw_rec);

	if (i < 0)
		return op_attach(t, OP_AT_RW);
	if (!att_alive(t, OP_WRITE, &t->att[i]))
		return;
	t->cnt[OP_WRITE].calls++;
	if (write_rec(t, OP_WRITE, &t->att[i], ++t->value))
		t->cnt[OP_WRITE].ok++;
}

static void op_verify(struct thr *t)
{
	int i = pick_att(t, NULL);

	if (i < 0)
		return op_attach(t, OP_AT_RO);
	if (!att_alive(t, OP_VERIFY, &t->att[i]))
		return;
	t->cnt[OP_VERIFY].calls++;
	if (verify_att(t, OP_VERIFY, &t->att[i]))
		t->cnt[OP_VERIFY].ok++;
}

/* ---- children --------------------------------------------------------- */

static void child_init(void)
{
	struct rlimit no_core = { 0, 0 };

	setrlimit(RLIMIT_CORE, &no_core);
	signal(SIGSEGV, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
}

/* Wait for a child; returns its exit code, or -signal. */
static int reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1000;
	if (WIFSIGNALED(status))
		return -WTERMSIG(status);
	return WEXITSTATUS(status);
}

static void check_child(struct thr *t, enum op op, int rc, const char *what)
{
	t->cnt[op].calls++;
	if (rc == CHILD_OK || rc == CHILD_FAILED) {
		t->cnt[op].ok += rc == CHILD_OK;
		return;
	}
	if (rc == CHILD_SKIP) {
		t->cnt[op].err[EPERM]++;
		return;
	}
	violation(t, op, "%s child %s %d", what, rc < 0 ? "killed by signal" : "exited",
		  rc < 0 ? -rc : rc);
}

/* A child writes through the inherited attachment and exits attached. */
static void op_fork_touch(struct thr *t)
{
	int i = pick_att(t, fit_rw_rec), rc;
	uint64_t value = ++t->value | (1ULL << 63), got = 0;
	struct att *a;
	pid_t pid;

	if (i < 0)
		return;
	a = &t->att[i];
	if (!seg_ptr(a, (size_t)t->gidx * REC_BYTES, REC_BYTES) ||
	    !att_alive(t, OP_FORK_TOUCH, a))
		return;
	pid = fork();
	if (pid < 0) {
		tally(t, OP_FORK_TOUCH, -1, E_NONE, "fork");
		return;
	}
	if (!pid) {
		uint64_t addr = 0, size;

		child_init();
		if (!write_rec(t, OP_FORK_TOUCH, a, value))
			_exit(CHILD_FAILED);
		/* One more attachment of its own, also left for exit. */
		if (!tally(t, OP_AT_RW, sys_at(t->fd, a->seg.id, 0, &addr, &size),
			   E_NONE, "child, id %d", a->seg.id))
			_exit(CHILD_FAILED);
		_exit(CHILD_OK);
	}
	rc = reap(pid);
	check_child(t, OP_FORK_TOUCH, rc, "writing");
	if (rc == CHILD_OK && rec_check(t, OP_FORK_TOUCH, a, t->gidx, &got) &&
	    got != value)
		violation(t, OP_FORK_TOUCH, "id %d: child wrote %#" PRIx64 ", parent reads %#" PRIx64,
			  a->seg.id, value, got);
}

/* A write to a read-only attachment must kill the writer with SIGSEGV. */
static void op_fork_segv(struct thr *t)
{
	int i = pick_att(t, fit_ro), rc;
	struct att *a;
	pid_t pid;

	if (i < 0)
		return op_attach(t, OP_AT_RO);
	a = &t->att[i];
	pid = fork();
	if (pid < 0) {
		tally(t, OP_FORK_SEGV, -1, E_NONE, "fork");
		return;
	}
	if (!pid) {
		child_init();
		*(volatile char *)(a->addr + a->len - 1) = 1;
		violation(t, OP_FORK_SEGV, "id %d: wrote to read-only %p",
			  a->seg.id, (void *)a->addr);
		_exit(CHILD_FAILED);
	}
	rc = reap(pid);
	t->cnt[OP_FORK_SEGV].calls++;
	if (rc == -SIGSEGV)
		t->cnt[OP_FORK_SEGV].ok++;
	else if (rc != CHILD_FAILED)
		violation(t, OP_FORK_SEGV, "id %d: writer ended with %d, want SIGSEGV",
			  a->seg.id, rc);
}

/* A child detaches everything it inherited; the parent's stay intact. */
static void op_fork_dt(struct thr *t)
{
	int rc;
	pid_t pid;

	if (!t->natt)
		return;
	pid = fork();
	if (pid < 0) {
		tally(t, OP_FORK_DT, -1, E_NONE, "fork");
		return;
	}
	if (!pid) {
		uint64_t before = rep->violations;

		child_init();
		while (t->natt)
			detach_att(t, 0);
		_exit(rep->violations == before ? CHILD_OK : CHILD_FAILED);
	}
	rc = reap(pid);
	check_child(t, OP_FORK_DT, rc, "detaching");
	for (int i = 0; i < t->natt; i++)
		verify_att(t, OP_FORK_DT, &t->att[i]);
}

/* In a new IPC namespace: nothing of ours is visible; a segment of its own. */
static void child_unshare(struct thr *t)
{
	int k = (int)rnd_below(&t->rnd, (uint64_t)cfg.keys), fd = t->fd, i, id;
	struct seginfo s = { .key = key_of(k), .segsz = canon_size(k) };
	uint64_t addr = 0, size = 0;
	struct shmipc_ds ds;
	struct att *a;

	child_init();
	if (unshare(CLONE_NEWIPC))
		_exit(errno == EPERM ? CHILD_SKIP : CHILD_FAILED);
	/* A new open, or the inherited file that cached the old namespace. */
	if (rnd_chance(&t->rnd, 50)) {
		fd = open(SHMIPC_DEVICE, O_RDWR | O_CLOEXEC);
		if (!tally(t, OP_UNSHARE, fd, E_NONE, "open in new namespace"))
			_exit(CHILD_FAILED);
	}
	for (i = 0; i < t->natt && i < 2; i++) {
		tally_fail(t, OP_UNSHARE, sys_ctl(fd, t->att[i].seg.id, SHMIPC_IPC_STAT, &ds),
			   E_INVAL, "stat of id %d of the parent namespace", t->att[i].seg.id);
		tally_fail(t, OP_UNSHARE, sys_ctl(fd, t->att[i].seg.id, SHMIPC_IPC_RMID, NULL),
			   E_INVAL, "rmid of id %d of the parent namespace", t->att[i].seg.id);
	}
	tally_fail(t, OP_UNSHARE, sys_get(fd, s.key, 0, 0), E_NOENT,
		   "key %#x in a new namespace", (unsigned int)s.key);
	id = sys_get(fd, s.key, SHMIPC_IPC_CREAT | SHMIPC_IPC_EXCL | 0700, s.segsz);
	if (!tally(t, OP_UNSHARE, id, E_NONE, "create key %#x in new namespace",
		   (unsigned int)s.key))
		_exit(CHILD_FAILED);
	s.id = id;
	if (!tally(t, OP_UNSHARE, sys_at(fd, id, 0, &addr, &size), E_NONE,
		   "attach id %d in new namespace", id))
		_exit(CHILD_FAILED);
	/* The parent's attachments came along and still work. */
	for (i = 0; i < t->natt; i++)
		verify_att(t, OP_UNSHARE, &t->att[i]);
	t->natt = 0;
	a = att_add(t, (char *)(uintptr_t)addr, (size_t)size, &s, -1, false);
	zero_check(t, OP_UNSHARE, a, 0, a->len);
	write_rec(t, OP_UNSHARE, a, 42);
	if (tally(t, OP_UNSHARE, sys_ctl(fd, id, SHMIPC_IPC_STAT, &ds), E_NONE,
		  "stat id %d in new namespace", id))
		check_ds(t, OP_UNSHARE, &s, &ds);
	/* Leave some to the namespace's death and to exit. */
	tally(t, OP_UNSHARE, sys_get(fd, SHMIPC_IPC_PRIVATE, 0700, pg), E_NONE,
	      "private in new namespace");
	if (rnd_chance(&t->rnd, 50))
		tally(t, OP_UNSHARE, sys_ctl(fd, id, SHMIPC_IPC_RMID, NULL), E_NONE,
		      "rmid id %d in new namespace", id);
	if (rnd_chance(&t->rnd, 50))
		tally(t, OP_UNSHARE, sys_dt(fd, a->addr), E_NONE, "dt in new namespace");
	_exit(CHILD_OK);
}

static void op_unshare(struct thr *t)
{
	pid_t pid = fork();

	if (pid < 0) {
		tally(t, OP_UNSHARE, -1, E_NONE, "fork");
		return;
	}
	if (!pid)
		child_unshare(t);
	check_child(t, OP_UNSHARE, reap(pid), "unshare");
}

/* ---- threads and processes -------------------------------------------- */

static bool thread_done(struct thr *t)
{
	if (deadline)
		return (t->ops_done & 15) == 0 && now_ns() >= deadline;
	return t->ops_done >= cfg.ops / (uint64_t)(cfg.procs * cfg.threads) +
				(uint64_t)(t->gidx < (int)(cfg.ops % (uint64_t)(cfg.procs * cfg.threads)));
}

static void run_op(struct thr *t, enum op op)
{
	switch (op) {
	case OP_GET_CREAT: case OP_GET_CREAT0: case OP_GET_EXCL:
	case OP_GET_PRIVATE: case OP_GET_LOOKUP: case OP_GET_TOOBIG:
		op_get(t, op);
		break;
	case OP_STAT: op_stat(t); break;
	case OP_SET: op_set(t); break;
	case OP_RMID: op_rmid(t); break;
	case OP_AT_RW: case OP_AT_RO: case OP_AT_FIXED:
		op_attach(t, op);
		break;
	case OP_MMAP_RW: case OP_MMAP_RO:
		op_mmap(t, op);
		break;
	case OP_MPROTECT_RO: op_mprotect_ro(t); break;
	case OP_MPROTECT_SPLIT: op_mprotect_split(t); break;
	case OP_DT: op_dt(t); break;
	case OP_MUNMAP_PART: op_munmap_part(t); break;
	case OP_REMAP_HEAD: op_remap_head(t); break;
	case OP_MREMAP_MOVE: op_mremap_move(t); break;
	case OP_MREMAP_GROW: op_mremap_grow(t); break;
	case OP_WRITE: op_write(t); break;
	case OP_VERIFY: op_verify(t); break;
	case OP_FORK_TOUCH: op_fork_touch(t); break;
	case OP_FORK_SEGV: op_fork_segv(t); break;
	case OP_FORK_DT: op_fork_dt(t); break;
	case OP_UNSHARE: op_unshare(t); break;
	default: break;
	}
}

/* Which attachment a fault hit: it was unmapped under us. */
static void fault_seen(struct thr *t, enum op op, int sig)
{
	char *addr = fault_addr;
	int i;

	for (i = 0; i < t->natt; i++) {
		struct att *a = &t->att[i];

		if (addr >= a->addr && addr < a->addr + a->len) {
			violation(t, op, "signal %d at %p in attachment %p+%zu of id %d: unmapped under us",
				  sig, (void *)addr, (void *)a->addr, a->len, a->seg.id);
			explain(a->addr, a->len);
			a->gone = true;
			return;
		}
	}
	violation(t, op, "signal %d at %p, in no attachment of ours", sig, (void *)addr);
	explain((void *)((uintptr_t)addr & ~(pg - 1)), pg);
}

static void run_guarded(struct thr *t, enum op op)
{
	sigjmp_buf jb;
	int sig = sigsetjmp(jb, 1);

	if (sig) {
		op_jb = NULL;
		fault_seen(t, op, sig);
		return;
	}
	op_jb = &jb;
	run_op(t, op);
	op_jb = NULL;
}

static void *thread_main(void *arg)
{
	struct thr *t = arg;
	int i;

	t->scratch = mmap((void *)(SCRATCH_BASE + (uintptr_t)t->gidx * SCRATCH_STRIDE),
			  NR_SLOTS * SLOT_SPAN, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE,
			  -1, 0);
	if (t->scratch == MAP_FAILED) {
		perror("mmap scratch");
		exit(2);
	}
	while (!thread_done(t)) {
		drop_gone(t);
		run_guarded(t, (enum op)rnd_weighted(&t->rnd, op_weights, OP_NR));
		t->ops_done++;
	}
	/* Leave nothing behind: every attachment, every private segment. */
	while (t->natt)
		detach_att(t, 0);
	while (t->npriv)
		op_rmid_seg(t, &t->priv[0]);
	munmap(t->scratch, NR_SLOTS * SLOT_SPAN);
	for (i = 0; i < OP_NR; i++)
		op_count_add(&rep->ops[i], &t->cnt[i]);
	return NULL;
}

/* Mappings of shmipc segments show as their shmem file, /shmipcKKKKKKKK. */
static bool maps_line_is_segment(const char *line)
{
	const char *p = strstr(line, " /shmipc");

	return p && strspn(p + 8, "0123456789abcdef") == 8;
}

static int leaked_mappings(int proc)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (maps_line_is_segment(line)) {
			line[strcspn(line, "\n")] = 0;
			report_violation(rep, OP_CLEANUP, "p%d: still mapped after cleanup: %s",
					 proc, line);
			n++;
		}
	fclose(f);
	return n;
}

/*
 * A fault during an operation goes back to its start (run_guarded), to be
 * reported as the attachment it hit; anywhere else it is a crash of the
 * program itself, said where before dying. (op_jb is volatile: the stores
 * around an operation must not be optimized away.)
 */

static void on_crash(int sig, siginfo_t *si, void *uc)
{
	char msg[128];
	int n;

	if (op_jb) {
		fault_addr = si->si_addr;
		siglongjmp(*op_jb, sig);
	}
	n = snprintf(msg, sizeof(msg), "shmipc_stress: signal %d at %p, ip %#llx\n", sig,
			 si->si_addr,
			 (unsigned long long)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP]);

	if (write(2, msg, (size_t)n) < 0)
		n = 0;
	/* Dying anyway: what touched that page lately may tell why. */
	explain((void *)((uintptr_t)si->si_addr & ~(pg - 1)), pg);
	fflush(stdout);
	signal(sig, SIG_DFL);
}

static void worker(int proc)
{
	struct sigaction sa = { .sa_sigaction = on_crash, .sa_flags = SA_SIGINFO };
	struct thr *thr = calloc((size_t)cfg.threads, sizeof(*thr));
	pthread_t *tid = calloc((size_t)cfg.threads, sizeof(*tid));
	int fd = open(SHMIPC_DEVICE, O_RDWR | O_CLOEXEC), i;

	if (!thr || !tid || fd < 0) {
		perror("worker setup");
		exit(2);
	}
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	for (i = 0; i < cfg.threads; i++) {
		struct thr *t = &thr[i];

		t->proc = proc;
		t->idx = i;
		t->gidx = proc * cfg.threads + i;
		t->fd = fd;
		rnd_seed(&t->rnd, cfg.seed, (uint64_t)t->gidx + 1);
		if (pthread_create(&tid[i], NULL, thread_main, t)) {
			fprintf(stderr, "pthread_create failed\n");
			exit(2);
		}
	}
	for (i = 0; i < cfg.threads; i++)
		pthread_join(tid[i], NULL);
	leaked_mappings(proc);
	close(fd);
	exit(0);
}

/* ---- the parent ------------------------------------------------------- */

static long shmem_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Shmem: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

static void final_violation(const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report_violation(rep, OP_CLEANUP, "cleanup: %s", msg);
}

/*
 * Remove every segment: all keys, then every id ever seen. Before that,
 * every private segment must already be gone: its creator removed it and
 * every process that mapped it has exited.
 */
static void cleanup(int fd)
{
	struct op_count *c = &rep->ops[OP_CLEANUP];
	uint64_t n = idlog->n < IDLOG_MAX ? idlog->n : IDLOG_MAX, i;
	struct shmipc_ds ds;
	int k, id, tries;

	for (i = 0; i < n; i++) {
		if (idlog->e[i].key != SHMIPC_IPC_PRIVATE)
			continue;
		c->calls++;
		/* (An id may have come back for a keyed segment after a wrap.) */
		if (sys_ctl(fd, idlog->e[i].id, SHMIPC_IPC_STAT, &ds) == 0 && !ds.perm.key)
			final_violation("private id %d outlived its creator (nattch %llu mode %#o)",
					idlog->e[i].id, (unsigned long long)ds.nattch,
					ds.perm.mode);
		else if (sys_ctl(fd, idlog->e[i].id, SHMIPC_IPC_STAT, &ds) && errno != EINVAL)
			final_violation("stat private id %d: %s", idlog->e[i].id,
					errno_name(errno));
		else
			c->ok++;
	}
	for (k = 0; k < cfg.keys; k++) {
		for (tries = 0; tries < 4; tries++) {
			c->calls++;
			id = sys_get(fd, key_of(k), 0, 0);
			if (id < 0) {
				if (errno != ENOENT)
					final_violation("lookup key %#x: %s",
							(unsigned int)key_of(k), errno_name(errno));
				else
					c->ok++;
				break;
			}
			c->ok++;
			c->calls++;
			if (sys_ctl(fd, id, SHMIPC_IPC_RMID, NULL))
				final_violation("rmid id %d of key %#x: %s", id,
						(unsigned int)key_of(k), errno_name(errno));
			else
				c->ok++;
		}
	}
	for (i = 0; i < n; i++)
		sys_ctl(fd, idlog->e[i].id, SHMIPC_IPC_RMID, NULL);
	/* Nothing may be left: no key, no id. */
	for (k = 0; k < cfg.keys; k++) {
		c->calls++;
		if (sys_get(fd, key_of(k), 0, 0) >= 0 || errno != ENOENT)
			final_violation("key %#x still there after cleanup",
					(unsigned int)key_of(k));
		else
			c->ok++;
	}
	for (i = 0; i < n; i++) {
		c->calls++;
		if (sys_ctl(fd, idlog->e[i].id, SHMIPC_IPC_STAT, &ds) == 0 || errno != EINVAL)
			final_violation("id %d still there after cleanup (nattch %llu)",
					idlog->e[i].id, (unsigned long long)ds.nattch);
		else
			c->ok++;
	}
}

/*
 * Frees are asynchronous (the namespace reaper runs once a second, fput
 * may be deferred): wait up to 5 s for Shmem to come all the way back;
 * within 64 pages of where it started passes.
 */
static bool shmem_came_back(long before)
{
	long slack = (long)(64 * pg / 1024), now = -1;
	uint64_t start = now_ns();
	int i;

	for (i = 0; i < 50; i++) {
		now = shmem_kb();
		if (now >= 0 && now <= before)
			break;
		usleep(100000);
	}
	printf("Shmem: %ld kB before, %ld kB after cleanup (%+ld kB, %.1f s later; %ld kB allowed)\n",
	       before, now, now - before, (double)(now_ns() - start) / 1e9, slack);
	return now >= 0 && now <= before + slack;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-s SEED] [-n OPS | -t SECONDS] [-p PROCS] [-T THREADS] [-k KEYS] [-m]\n"
		"       [-x OP,...]\n"
		"  -s SEED     random seed (default: from the clock; printed)\n"
		"  -n OPS      operations in all (default 20000)\n"
		"  -t SECONDS  run for this long instead\n"
		"  -p PROCS    processes (default 2)\n"
		"  -T THREADS  threads per process (default 2)\n"
		"  -k KEYS     keys shared by all (default 8, at most 200)\n"
		"  -m          check Shmem in /proc/meminfo comes back after cleanup\n"
		"  -x OP,...   leave these operations out (names as in the summary)\n",
		prog);
	exit(2);
}

/* -x: leave out what does not matter for a reproducer, or a known bug. */
static void exclude_ops(char *list, const char *prog)
{
	const char *bad = ops_exclude(list, op_names, OP_CLEANUP, op_weights);

	if (bad) {
		fprintf(stderr, "%s: no operation %s\n", prog, bad);
		usage(prog);
	}
}

static void parse_args(int argc, char **argv)
{
	bool seeded = false;
	int c;

	while ((c = getopt(argc, argv, "s:n:t:p:T:k:mx:h")) != -1) {
		switch (c) {
		case 'x': exclude_ops(optarg, argv[0]); break;
		case 's': cfg.seed = strtoull(optarg, NULL, 0); seeded = true; break;
		case 'n': cfg.ops = strtoull(optarg, NULL, 0); break;
		case 't': cfg.secs = strtod(optarg, NULL); break;
		case 'p': cfg.procs = atoi(optarg); break;
		case 'T': cfg.threads = atoi(optarg); break;
		case 'k': cfg.keys = atoi(optarg); break;
		case 'm': cfg.meminfo = true; break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc || cfg.procs < 1 || cfg.threads < 1 ||
	    cfg.procs * cfg.threads > 256 || cfg.keys < 1 || cfg.keys > 200 ||
	    cfg.secs < 0 || (cfg.ops && cfg.secs > 0))
		usage(argv[0]);
	if (!cfg.ops && cfg.secs <= 0)
		cfg.ops = 20000;
	if (!seeded)
		cfg.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);
}

int main(int argc, char **argv)
{
	struct shmipc_version v = { 0 };
	long shmem_before = 0;
	uint64_t start, end;
	int fd, p, rc;
	double secs;
	pid_t *pids;

	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	pg = (size_t)sysconf(_SC_PAGESIZE);
	nrecs = cfg.procs * cfg.threads;
	my_uid = geteuid();
	my_gid = getegid();
	key_base = 0x5d000000 + (int32_t)((cfg.seed * 2654435761ULL) & 0xffff) * 256;

	fd = open(SHMIPC_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("shmipc_stress: SKIP: open %s: %s\n", SHMIPC_DEVICE, strerror(errno));
		return KSFT_SKIP;
	}
	if (ioctl(fd, SHMIPC_IOC_VERSION, &v) || v.abi_version != SHMIPC_ABI_VERSION) {
		printf("shmipc_stress: FAIL: SHMIPC_IOC_VERSION: abi %u (%s)\n",
		       v.abi_version, strerror(errno));
		return 1;
	}
	rep = shared_alloc(sizeof(*rep));
	idlog = shared_alloc(sizeof(*idlog));
	printf("shmipc_stress: seed %#llx, %s %g, %d procs x %d threads, %d keys from %#x\n",
	       (unsigned long long)cfg.seed, cfg.ops ? "ops" : "seconds",
	       cfg.ops ? (double)cfg.ops : cfg.secs, cfg.procs, cfg.threads, cfg.keys,
	       (unsigned int)key_base);
	if (cfg.meminfo)
		shmem_before = shmem_kb();

	pids = calloc((size_t)cfg.procs, sizeof(*pids));
	start = now_ns();
	if (cfg.secs > 0)
		deadline = start + (uint64_t)(cfg.secs * 1e9);
	for (p = 0; p < cfg.procs; p++) {
		pids[p] = fork();
		if (pids[p] < 0) {
			perror("fork");
			return 2;
		}
		if (!pids[p])
			worker(p);
	}
	for (p = 0; p < cfg.procs; p++) {
		rc = reap(pids[p]);
		if (rc)
			final_violation("worker %d %s %d", p,
					rc < 0 ? "killed by signal" : "exited with", rc < 0 ? -rc : rc);
	}
	end = now_ns();
	secs = (double)(end - start) / 1e9;

	cleanup(fd);
	close(fd);
	if (cfg.meminfo && !shmem_came_back(shmem_before))
		final_violation("Shmem did not come back within 64 pages");

	report_print(rep, op_names, OP_NR, secs);
	printf("shmipc_stress: %.1f s, %llu ids seen, %llu violations: %s\n", secs,
	       (unsigned long long)idlog->n, (unsigned long long)rep->violations,
	       rep->violations ? "FAIL" : "PASS");
	return rep->violations ? 1 : 0;
}

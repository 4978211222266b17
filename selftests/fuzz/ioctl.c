// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_fuzz: the device calls: ids, argument pointers, struct contents,
 * and our ioctls with good, random and hostile arguments.
 */
#include <sys/uio.h>

#include "fuzz.h"

/* ---- ids --------------------------------------------------------------- */

int ctl_raw(int id, uint32_t cmd, struct shmipc_ds *ds)
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

void rmid(struct fthr *t, int id)
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

struct idinfo *id_info(struct fthr *t, int id)
{
	int i;

	for (i = 0; i < t->nids; i++)
		if (t->ids[i].id == id)
			return &t->ids[i];
	return NULL;
}

/* An id to use: ours, another thread's, stale, or any number at all. */
int pick_id(struct fthr *t)
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


/* ---- argument pointers ------------------------------------------------- */

enum ptrkind { P_OWN, P_STRADDLE, P_HOSTILE, P_VICTIM };

static char *own_slot(struct fthr *t, size_t size, bool misalign)
{
	return t->buf + 256 + (misalign ? rnd_range(&t->rnd, 1, 7) : 0) +
	       rnd_below(&t->rnd, (pg - 512 - size) / 8) * 8;
}

/* Addresses no call may read or write. */
void *hostile_ptr(struct fthr *t, size_t size)
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

void op_churn(struct fthr *t)
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

/* Every feature this module has: a bit more or less is a violation. */
#define FEATURES_ALL	(SHMIPC_FEATURE_GET | SHMIPC_FEATURE_CTL | SHMIPC_FEATURE_AT | \
			 SHMIPC_FEATURE_DT | SHMIPC_FEATURE_INFO | SHMIPC_FEATURE_LOCK | \
			 SHMIPC_FEATURE_LIFETIME | SHMIPC_FEATURE_ATTACHERS | \
			 SHMIPC_FEATURE_WATCH)
/* Only where the kernel has huge pages. */
#define FEATURES_MAYBE	SHMIPC_FEATURE_HUGETLB

void op_version(struct fthr *t)
{
	struct shmipc_version *v = (void *)own_slot(t, sizeof(*v), rnd_chance(&t->rnd, 20));

	memset(v, 0x5a, sizeof(*v));
	if (!tally(t, F_VERSION, ioctl(fd_rw, SHMIPC_IOC_VERSION, v), E_NONE, "own buffer"))
		return;
	if (v->abi_version != SHMIPC_ABI_VERSION || v->pad || v->reserved[0] ||
	    v->reserved[1] || (v->features & ~FEATURES_MAYBE) != FEATURES_ALL)
		violation(t, F_VERSION, "abi %u pad %u features %#llx reserved %#llx %#llx",
			  v->abi_version, v->pad, (unsigned long long)v->features,
			  (unsigned long long)v->reserved[0], (unsigned long long)v->reserved[1]);
}

/*
 * One attach of a huge segment before it goes: it must fail (ENOMEM: no
 * room) or map all of it, never "succeed" without mapping anything.
 */
static void at_huge(struct fthr *t, int id, uint64_t size, uint64_t page)
{
	struct shmipc_at a = { .id = id, .size = POISON };
	uint64_t want = (size + page - 1) & ~(page - 1);
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

/*
 * A lifetime and ttl: mostly none, else a valid one whose ttl is short
 * enough to end within the run, else junk.
 */
static void rnd_lifetime(struct fthr *t, struct shmipc_get *g)
{
	unsigned int r = (unsigned int)rnd_below(&t->rnd, 100);

	g->lifetime = 0;
	g->ttl = 0;
	if (r < 60)
		return;
	if (r < 90) {
		g->lifetime = 1 + (uint32_t)rnd_below(&t->rnd, SHMIPC_LIFE_MAX);
		if (g->lifetime == SHMIPC_LIFE_TTL)
			g->ttl = 1 + (uint32_t)rnd_below(&t->rnd, 2);
		return;
	}
	g->lifetime = r < 95 ? (uint32_t)rnd_below(&t->rnd, 8) : (uint32_t)rnd_next(&t->rnd);
	g->ttl = rnd_chance(&t->rnd, 50) ? (uint32_t)rnd_below(&t->rnd, 3) : (uint32_t)rnd_next(&t->rnd);
}

static bool lifetime_bad(const struct shmipc_get *g)
{
	if (g->lifetime > SHMIPC_LIFE_MAX)
		return true;
	if (g->lifetime == SHMIPC_LIFE_TTL)
		return !g->ttl || g->ttl > SHMIPC_TTL_MAX;
	return g->ttl != 0;
}

void op_get(struct fthr *t)
{
	struct shmipc_get *g = (void *)own_slot(t, sizeof(*g), rnd_chance(&t->rnd, 20));
	struct shmipc_get copy = { 0 };
	bool bad;
	int id;

	copy.key = rnd_key(t);
	copy.flags = rnd_get_flags(t);
	copy.size = rnd_size(t);
	/*
	 * A huge segment may have no pool behind it (SHM_NORESERVE), and a
	 * touch of it SIGBUS: made private, no other thread finds it, and
	 * this one attaches it untouched and removes it at once.
	 */
	if ((copy.flags & SHMIPC_SHM_HUGETLB) && (copy.flags & SHMIPC_IPC_CREAT))
		copy.key = SHMIPC_IPC_PRIVATE;
	rnd_lifetime(t, &copy);
	rnd_reserved(t, copy.reserved, 1);
	memcpy(g, &copy, sizeof(copy));
	bad = (copy.flags & ~SHMIPC_GET_FLAGS) || copy.reserved[0] || lifetime_bad(&copy) ||
	      (!(copy.flags & SHMIPC_SHM_HUGETLB) && copy.flags >> SHMIPC_SHM_HUGE_SHIFT) ||
	      (copy.key == SHMIPC_IPC_PRIVATE && (!copy.size || copy.size > shmmax));
	id = ioctl(t->unpriv && rnd_chance(&t->rnd, 10) ? fd_ro : fd_rw, SHMIPC_IOC_GET, g);
	if (!tally(t, F_GET, id, bad ? E_INVAL : E_GET,
		   "key %#x flags %#o size %#llx lifetime %u ttl %u reserved %#llx",
		   (unsigned int)copy.key, copy.flags, (unsigned long long)copy.size,
		   copy.lifetime, copy.ttl, (unsigned long long)copy.reserved[0]))
		return;
	if (bad)
		violation(t, F_GET, "key %#x flags %#o size %#llx: id %d, want EINVAL",
			  (unsigned int)copy.key, copy.flags, (unsigned long long)copy.size, id);
	if (memcmp(g, &copy, sizeof(copy)))
		violation(t, F_GET, "the kernel wrote into the _IOW struct");
	id_got(t, id);
	/* A segment of more than a few MiB goes at once (NORESERVE made it). */
	if (copy.key == SHMIPC_IPC_PRIVATE && (copy.flags & SHMIPC_SHM_HUGETLB)) {
		unsigned int log = copy.flags >> SHMIPC_SHM_HUGE_SHIFT;

		/* The default huge page is x86-64's 2 MiB. */
		at_huge(t, id, copy.size, log ? 1ULL << log : 2ULL << 20);
		rmid(t, id);
	} else if (copy.size > SMALL_SEG) {
		at_huge(t, id, copy.size, pg);
		rmid(t, id);
	}
}

static void check_ds(struct fthr *t, int id, const struct shmipc_ds *ds)
{
	struct idinfo *info = id_info(t, id);
	int i;

	if (ds->perm.pad || (ds->perm.mode & ~(0777U | SHMIPC_SHM_DEST | SHMIPC_SHM_LOCKED)) || !ds->segsz ||
	    ds->perm.seq != (uint32_t)id >> 15 ||
	    ((ds->perm.mode & SHMIPC_SHM_DEST) && ds->perm.key))
		violation(t, F_CTL, "id %d: stat key %#x mode %#o seq %u pad %u segsz %llu",
			  id, (unsigned int)ds->perm.key, ds->perm.mode, ds->perm.seq,
			  ds->perm.pad, (unsigned long long)ds->segsz);
	for (i = 0; i < 2; i++)
		if (ds->reserved[i])
			violation(t, F_CTL, "id %d: stat reserved[%d] = %#llx", id, i,
				  (unsigned long long)ds->reserved[i]);
	if (ds->lifetime > SHMIPC_LIFE_MAX || ds->expires_ms < -1 ||
	    (ds->lifetime == SHMIPC_LIFE_TTL) != (ds->ttl != 0) ||
	    ds->expires_ms > (int64_t)ds->ttl * 1000 ||
	    (ds->expires_ms > 0 && ds->nattch))
		violation(t, F_CTL, "id %d: stat lifetime %u ttl %u expires_ms %lld nattch %llu",
			  id, ds->lifetime, ds->ttl, (long long)ds->expires_ms,
			  (unsigned long long)ds->nattch);
	if (info)
		info->size = ds->segsz;
}

/* The shmctl commands the module answers. */
static bool ctl_cmd_known(uint32_t cmd)
{
	switch (cmd) {
	case SHMIPC_IPC_RMID:
	case SHMIPC_IPC_SET:
	case SHMIPC_IPC_STAT:
	case SHMIPC_IPC_INFO:
	case SHMIPC_SHM_STAT:
	case SHMIPC_SHM_INFO:
	case SHMIPC_SHM_STAT_ANY:
	case SHMIPC_SHM_LOCK:
	case SHMIPC_SHM_UNLOCK:
		return true;
	default:
		return false;
	}
}

void op_ctl(struct fthr *t)
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
		/* What IPC_SET ignores, as a STAT's output passed back. */
		copy.u.ds.lifetime = (uint32_t)rnd_next(&t->rnd);
		copy.u.ds.expires_ms = (int64_t)rnd_next(&t->rnd);
		rnd_reserved(t, copy.u.ds.reserved, 2);
	}
	memcpy(c, &copy, sizeof(copy));
	bad = copy.reserved[0] || copy.reserved[1] || !ctl_cmd_known(copy.cmd) ||
	      copy.id < 0 || (copy.cmd == SHMIPC_IPC_SET &&
			      (copy.u.ds.reserved[0] || copy.u.ds.reserved[1]));
	if (!tally(t, F_CTL, ioctl(fd_rw, SHMIPC_IOC_CTL, c), bad ? E_INVAL : E_CTL,
		   "id %d cmd %u reserved %#llx %#llx", copy.id, copy.cmd,
		   (unsigned long long)copy.reserved[0], (unsigned long long)copy.reserved[1]))
		return;
	if (bad)
		violation(t, F_CTL, "id %d cmd %u succeeded, want EINVAL", copy.id, copy.cmd);
	/* Only u is copied out, and only by the commands that fill it. */
	if (memcmp(c, &copy, offsetof(struct shmipc_ctl, u)) ||
	    ((copy.cmd == SHMIPC_IPC_SET || copy.cmd == SHMIPC_IPC_RMID ||
	      copy.cmd == SHMIPC_SHM_LOCK || copy.cmd == SHMIPC_SHM_UNLOCK) &&
	     memcmp(c, &copy, sizeof(copy))))
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

void op_at(struct fthr *t)
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
	t->maps[i].seg_size = a->size;
	check_fresh(t, F_AT, i, false);
}

/*
 * After a shmdt(@addr) that succeeded, forget the maps it took: ours only,
 * or every thread's when it searched upward from an address of no
 * attachment of ours (@all, under mm_lock for writing).
 *
 * SysV's shmdt() takes, from where one of ours starts, that one's pieces up
 * to @end and nothing else: our other maps there, placed by the kernel, are
 * ours alone and must still be there. From any other address it takes the
 * first piece above whose offset is its distance from the address, and
 * that attachment's pieces above: never anything below the address.
 */
static void forget_taken(struct fthr *t, uint64_t addr, uint64_t end, bool all)
{
	struct fthr *o = all ? fthreads : t;
	struct fthr *last = all ? fthreads + nfthreads : t + 1;
	int j;

	for (; o < last; o++) {
		for (j = o->nmaps - 1; j >= 0; j--) {
			struct map *m = &o->maps[j];
			uint64_t at = (uint64_t)(uintptr_t)m->addr;

			if (range_is_mapped(m->addr, m->len))
				continue;
			if (m->outside && !m->grown && o == t && at >= addr && at < end)
				violation(t, F_DT, "shmdt(%#llx) also detached map %p+%zu (id %d, prot %#x)",
					  (unsigned long long)addr, (void *)m->addr, m->len,
					  m->id, m->prot);
			if (m->outside && !m->grown && at < addr &&
			    !range_is_mapped(m->addr, addr - at < m->len ? addr - at : m->len))
				violation(t, F_DT, "shmdt(%#llx) detached below itself: t%d's map %p+%zu (id %d)",
					  (unsigned long long)addr, o->idx, (void *)m->addr,
					  m->len, m->id);
			map_drop(o, j);
		}
	}
}

/* A shmdt() the ABI refuses: reserved bits, unaligned or no user address. */
static void dt_refused(struct fthr *t, struct shmipc_dt *d)
{
	struct shmipc_dt copy = *d;
	int rc = ioctl(fd_rw, SHMIPC_IOC_DT, d);

	event(t->idx, "dt", (void *)(uintptr_t)copy.addr, pg, rc);
	if (tally(t, F_DT, rc, E_INVAL, "addr %#llx is no attachment, or reserved set",
		  (unsigned long long)copy.addr))
		violation(t, F_DT, "addr %#llx: detached, want EINVAL",
			  (unsigned long long)copy.addr);
}

/*
 * shmdt(@d->addr); @i is the map of ours that starts there and must detach,
 * or -1 when the address may be anything.
 */
static void dt_call(struct fthr *t, struct shmipc_dt *d, int i)
{
	struct shmipc_dt copy = *d;
	uint64_t end = 0;	/* must_ok: where the attachment ends */
	bool must_ok = i >= 0;
	int j, c;

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
	forget_taken(t, copy.addr, end, !must_ok);
}

void op_dt(struct fthr *t)
{
	struct shmipc_dt *d = (void *)own_slot(t, sizeof(*d), rnd_chance(&t->rnd, 20));
	struct shmipc_dt copy = { 0 };
	unsigned int r = (unsigned int)rnd_below(&t->rnd, 100);
	bool must_ok = false, not_att = false;
	int i = -1;

	/* Other threads change our maps only under the write lock. */
	pthread_rwlock_rdlock(&mm_lock);
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
		not_att = copy.addr >= (1ULL << 47);	/* no user address */
	}
	rnd_reserved(t, copy.reserved, 2);
	memcpy(d, &copy, sizeof(copy));
	if (copy.reserved[0] || copy.reserved[1] || (copy.addr & (pg - 1)) || not_att) {
		dt_refused(t, d);
	} else if (must_ok) {
		dt_call(t, d, i);
	} else {
		pthread_rwlock_unlock(&mm_lock);
		pthread_rwlock_wrlock(&mm_lock);
		dt_call(t, d, -1);
	}
	pthread_rwlock_unlock(&mm_lock);
}


/*
 * Who has an id attached, into a buffer of any size, ours or not: the
 * entries are well formed, say no more than there are, and add up to no
 * more than nattch (attaches in progress count there, not here).
 */
void op_attachers(struct fthr *t)
{
	struct shmipc_attachers *a = (void *)own_slot(t, sizeof(*a), rnd_chance(&t->rnd, 20));
	static __thread struct shmipc_attacher buf[8];
	struct shmipc_attachers copy = { .id = pick_id(t) };
	unsigned int r = (unsigned int)rnd_below(&t->rnd, 100);
	uint64_t sum = 0;
	uint32_t i, n;
	bool bad;
	long rc;

	memset(buf, 0x5a, sizeof(buf));
	if (r < 70) {
		copy.count = (uint32_t)rnd_below(&t->rnd, ARRAY_SIZE(buf) + 1);
		copy.buf = (uintptr_t)buf;
	} else if (r < 80) {
		copy.count = 0;
	} else if (r < 90) {
		copy.count = (uint32_t)rnd_next(&t->rnd);
		copy.buf = (uintptr_t)hostile_ptr(t, 32);
	} else {
		copy.count = (uint32_t)rnd_below(&t->rnd, 4);
		copy.buf = (uintptr_t)victim_ptr(t);
	}
	copy.reserved = rnd_chance(&t->rnd, 5) ? rnd_next(&t->rnd) : 0;
	memcpy(a, &copy, sizeof(copy));
	bad = copy.reserved || copy.id < 0;
	rc = ioctl(fd_rw, SHMIPC_IOC_ATTACHERS, a);
	if (!tally(t, F_ATTACHERS, rc, bad ? E_INVAL : E_ATTACHERS,
		   "id %d count %u buf %#llx", copy.id, copy.count, (unsigned long long)copy.buf))
		return;
	if (bad)
		violation(t, F_ATTACHERS, "id %d reserved %#llx: succeeded, want EINVAL",
			  copy.id, (unsigned long long)copy.reserved);
	if (copy.buf != (uintptr_t)buf)
		return;
	n = a->count < copy.count ? a->count : copy.count;
	for (i = 0; i < n; i++) {
		if (!buf[i].nattch || buf[i].reserved || buf[i].pid < 0 ||
		    (buf[i].flags & ~(uint32_t)(SHMIPC_ATTACHER_RDONLY | SHMIPC_ATTACHER_OTHERS)) ||
		    ((buf[i].flags & SHMIPC_ATTACHER_OTHERS) && (buf[i].pid || i != a->count - 1)))
			violation(t, F_ATTACHERS, "id %d entry %u of %u: pid %d flags %#x nattch %llu",
				  copy.id, i, a->count, buf[i].pid, buf[i].flags,
				  (unsigned long long)buf[i].nattch);
		sum += buf[i].nattch;
	}
	for (; i < ARRAY_SIZE(buf); i++)
		if (buf[i].pid != (int32_t)0x5a5a5a5a)
			violation(t, F_ATTACHERS, "id %d: entry %u written past %u", copy.id, i, n);
	if (sum > a->nattch)
		violation(t, F_ATTACHERS, "id %d: entries add up to %llu, nattch %llu",
			  copy.id, (unsigned long long)sum, (unsigned long long)a->nattch);
}

/* A watch's arguments: mostly valid, sometimes one thing wrong. */
static void rnd_watch(struct fthr *t, struct shmipc_watch *w)
{
	*w = (struct shmipc_watch){ .scope = (uint32_t)rnd_below(&t->rnd, 3) };
	if (w->scope == SHMIPC_WATCH_KEY)
		w->key = rnd_key(t) ?: 1;
	else if (w->scope == SHMIPC_WATCH_ID)
		w->id = pick_id(t);
	w->events = rnd_chance(&t->rnd, 50) ? 0 :
		    (uint32_t)rnd_below(&t->rnd, SHMIPC_EV_ALL + 1) & SHMIPC_EV_ALL;
	w->flags = SHMIPC_WATCH_NONBLOCK | SHMIPC_WATCH_CLOEXEC;
	switch (rnd_below(&t->rnd, 40)) {
	case 0: w->scope = (uint32_t)rnd_next(&t->rnd); break;
	case 1: w->events = (uint32_t)rnd_next(&t->rnd); break;
	case 2: w->flags = (uint32_t)rnd_next(&t->rnd); break;
	case 3: w->pad = 1; break;
	case 4: w->reserved[rnd_below(&t->rnd, 2)] = rnd_next(&t->rnd); break;
	case 5: w->key = SHMIPC_IPC_PRIVATE; break;
	case 6: w->id = -1 - (int32_t)rnd_below(&t->rnd, 4); break;
	}
}

static bool watch_bad(const struct shmipc_watch *w)
{
	if (w->pad || w->reserved[0] || w->reserved[1] ||
	    (w->flags & ~SHMIPC_WATCH_FLAGS) || (w->events & ~SHMIPC_EV_ALL))
		return true;
	switch (w->scope) {
	case SHMIPC_WATCH_NS: return w->key || w->id;
	case SHMIPC_WATCH_KEY: return !w->key || w->id;
	case SHMIPC_WATCH_ID: return w->id < 0 || w->key;
	default: return true;
	}
}

/*
 * A watcher per thread, made with random arguments and left to fill up
 * (its ring overflows: nobody reads it often), then read in random
 * amounts: every record well formed, an overflow record's count nonzero.
 */
void op_watch(struct fthr *t)
{
	struct shmipc_event *ev = (void *)t->buf;
	struct shmipc_watch copy;
	size_t len;
	ssize_t n;
	long rc;

	if (t->watch_fd < 0 || rnd_chance(&t->rnd, 10)) {
		struct shmipc_watch *w = (void *)own_slot(t, sizeof(*w), rnd_chance(&t->rnd, 20));

		rnd_watch(t, &copy);
		memcpy(w, &copy, sizeof(copy));
		rc = ioctl(fd_rw, SHMIPC_IOC_WATCH, w);
		if (!tally(t, F_WATCH, rc, watch_bad(&copy) ? E_INVAL : E_WATCH,
			   "scope %u key %#x id %d events %#x flags %#x", copy.scope,
			   (unsigned int)copy.key, copy.id, copy.events, copy.flags))
			return;
		if (watch_bad(&copy))
			violation(t, F_WATCH, "scope %u key %#x id %d events %#x flags %#x pad %u: fd %ld, want EINVAL",
				  copy.scope, (unsigned int)copy.key, copy.id, copy.events,
				  copy.flags, copy.pad, rc);
		if (t->watch_fd >= 0)
			close(t->watch_fd);
		t->watch_fd = (int)rc;
		/* A descriptor made blocking waits for nobody here. */
		fcntl(t->watch_fd, F_SETFL, O_NONBLOCK);
		return;
	}
	/* Up to a page of records, or less than one (EINVAL). */
	len = rnd_chance(&t->rnd, 5) ? rnd_below(&t->rnd, sizeof(*ev)) :
	      sizeof(*ev) * (1 + rnd_below(&t->rnd, pg / sizeof(*ev)));
	n = read(t->watch_fd, ev, len);
	if (n < 0) {
		if ((errno == EINVAL) != (len < sizeof(*ev)) || (errno != EINVAL && errno != EAGAIN))
			violation(t, F_WATCH, "read of %zu: %s", len, strerror(errno));
		return;
	}
	if (n % sizeof(*ev) || (size_t)n > len)
		violation(t, F_WATCH, "read of %zu gave %zd bytes", len, n);
	for (size_t i = 0; i < (size_t)n / sizeof(*ev); i++) {
		const struct shmipc_event *e = &ev[i];

		if (!e->type || e->type > SHMIPC_EV_MAX || e->pad || e->reserved || e->pid < 0 ||
		    (e->type == SHMIPC_EV_OVERFLOW && (!e->count || e->id || e->key)) ||
		    (e->type != SHMIPC_EV_OVERFLOW && e->id < 0) || e->time_ns <= 0)
			violation(t, F_WATCH, "record %zu: type %u flags %#x id %d key %#x pid %d count %llu",
				  i, e->type, e->flags, e->id, (unsigned int)e->key, e->pid,
				  (unsigned long long)e->count);
	}
}

/* ---- ioctls with other commands or other memory ------------------------ */

static const uint32_t our_cmds[] = { SHMIPC_IOC_VERSION, SHMIPC_IOC_GET, SHMIPC_IOC_CTL,
				     SHMIPC_IOC_AT, SHMIPC_IOC_DT, SHMIPC_IOC_ATTACHERS,
				     SHMIPC_IOC_WATCH };
static const size_t our_sizes[] = { sizeof(struct shmipc_version), sizeof(struct shmipc_get),
				    sizeof(struct shmipc_ctl), sizeof(struct shmipc_at),
				    sizeof(struct shmipc_dt), sizeof(struct shmipc_attachers),
				    sizeof(struct shmipc_watch) };

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
		c = (c & ~0xffU) | (uint32_t)rnd_range(&t->rnd, 7, 16);
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
 * An attach or detach through memory another thread may have changed or
 * unmapped since: read back what the kernel saw, if it is still there, for
 * the event log (explain()). Such an attachment is not ours to track.
 */
static void note_untracked(struct fthr *t, int k, const void *p)
{
	union {
		struct shmipc_at at;
		struct shmipc_dt dt;
	} u;
	size_t n = k == 3 ? sizeof(u.at) : sizeof(u.dt.addr);
	struct iovec l = { &u, n }, r = { (void *)p, n };

	if ((k != 3 && k != 4) || process_vm_readv(getpid(), &l, 1, &r, 1, 0) != (ssize_t)n)
		return;
	if (k == 3)
		event(t->idx, "at-untracked", (void *)(uintptr_t)u.at.addr, u.at.size, u.at.id);
	else
		event(t->idx, "dt-untracked", (void *)(uintptr_t)u.dt.addr, pg, 0);
}

/*
 * An unknown command is ENOTTY whatever the pointer; one of ours by
 * accident (a random word can be one) is judged as that command. Our own
 * buffer holds junk then, so an attach may really happen somewhere: the
 * junk has no SHM_REMAP bit set, and the final scan unmaps what it made.
 */
void op_randcmd(struct fthr *t)
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
	if (k == 6)
		close((int)rc);	/* a watcher's descriptor */
	if (!own)
		note_untracked(t, k, p);
	/* An attachment through our own memory: we know where it went. */
	if (k == 3 && own && ((struct shmipc_at *)p)->addr && ((struct shmipc_at *)p)->size &&
	    ((struct shmipc_at *)p)->size != POISON) {
		struct shmipc_at *a = p;

		map_add(t, (char *)(uintptr_t)a->addr, (size_t)a->size, a->id,
			PROT_READ | PROT_WRITE);
	}
}

/* Our commands with pointers no call may use: EFAULT and nothing else. */
void op_hostile(struct fthr *t)
{
	int k = (int)rnd_below(&t->rnd, ARRAY_SIZE(our_cmds));
	void *p = hostile_ptr(t, our_sizes[k]);
	long rc = ioctl(fd_rw, our_cmds[k], p);

	if (tally(t, F_HOSTILE, rc, E_FAULT, "cmd %#x ptr %p", our_cmds[k], p))
		violation(t, F_HOSTILE, "cmd %#x ptr %p: succeeded, want EFAULT",
			  our_cmds[k], p);
}

/* Our commands on memory other threads replace and unmap meanwhile. */
void op_victim_ioctl(struct fthr *t)
{
	int k = (int)rnd_below(&t->rnd, ARRAY_SIZE(our_cmds));
	void *p;
	long rc;

	/* Attachments made here cannot be found again: keep them few. */
	if (k == 3 && t->victim_at >= MAX_VICTIM_AT)
		k = 2;
	p = victim_ptr(t);
	rc = ioctl(fd_rw, our_cmds[k], p);
	if (!tally(t, F_VICTIM_IOCTL, rc, cmd_errnos[k], "cmd %#x", our_cmds[k]))
		return;
	if (k == 1)
		id_got(t, (int)rc);
	if (k == 6)
		close((int)rc);	/* a watcher's descriptor */
	if (k == 3)
		t->victim_at++;
	note_untracked(t, k, p);
}

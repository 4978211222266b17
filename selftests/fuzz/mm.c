// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_fuzz: the maps each thread keeps, and the mm calls on them.
 */
#include "fuzz.h"

/* ---- maps -------------------------------------------------------------- */

bool in_scratch(const struct fthr *t, const char *p, size_t len)
{
	return p >= t->scratch && p + len <= t->scratch + SCRATCH_SIZE;
}

char *scratch_addr(struct fthr *t)
{
	return t->scratch + rnd_below(&t->rnd, SCRATCH_USE / pg) * pg;
}

void map_drop(struct fthr *t, int i)
{
	t->maps[i] = t->maps[--t->nmaps];
}

bool range_is_mapped(const char *addr, size_t len)
{
	return msync((void *)addr, len, MS_ASYNC) == 0 || errno != ENOMEM;
}

void map_unmap(struct fthr *t, int i)
{
	struct map *m = &t->maps[i];

	int rc = munmap(m->addr, m->len);

	event(t->idx, "munmap", m->addr, m->len, rc);
	tally(t, F_MUNMAP, rc, E_INVAL, "%p+%zu", (void *)m->addr, m->len);
	map_drop(t, i);
}

int map_add(struct fthr *t, char *addr, size_t len, int id, int prot)
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
	m->ro_sure = m->ro && m->outside;
	m->seg_size = 0;
	return t->nmaps++;
}

/* A fresh attachment: readable; writable exactly when it should be. */
void check_fresh(struct fthr *t, enum fop op, int i, bool none)
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

void op_mmap(struct fthr *t)
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
void sub_range(struct fthr *t, int i, char **from, size_t *len)
{
	struct map *m = &t->maps[i];
	size_t pages = m->len / pg, a = rnd_below(&t->rnd, pages);

	*from = m->addr + a * pg;
	*len = rnd_range(&t->rnd, 1, pages - a) * pg;
}

void op_mprotect(struct fthr *t)
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

void op_munmap(struct fthr *t)
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

void op_mremap(struct fthr *t)
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
	/*
	 * Growth is allowed as on SysV; past the segment's end a read raises
	 * SIGBUS, or SIGSEGV where another thread got there first: its
	 * mprotect() or remap at random addresses, or its shmdt() of an
	 * address below, which searches upward as SysV's does. The SIGBUS
	 * alone is checked single-threaded by mm_syscalls_test.
	 */
	if (new_len > m->len && m->outside && !m->grown && m->dt_ok && !(flags & MREMAP_DONTUNMAP) &&
	    m->seg_size) {
		size_t end = m->seg_size;
		int sig;

		if (end < new_len && end < (64UL << 20) && (m->prot & PROT_READ) &&
		    (sig = probe((char *)p + end, false)) != SIGBUS && sig != SIGSEGV)
			violation(t, F_MREMAP, "id %d: grown from %zu to %zu bytes, past its end (%zu) a read gave signal %d, want SIGBUS",
				  m->id, m->len, new_len, end, sig);
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
	/* In scratch, anything of ours may land over it from now on. */
	if (!m->outside)
		m->ro_sure = false;
}

void op_madvise(struct fthr *t)
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
	if (len > POPULATE_MAX)
		len = POPULATE_MAX;
	tally(t, F_MADVISE, madvise(from, len, adv), E_MADVISE, "%p+%zu advice %d",
	      (void *)from, len, adv);
}

void op_touch(struct fthr *t)
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

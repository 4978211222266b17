// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_stress: the operations on segments and attachments.
 */
#include "stress.h"

/* ---- operations ------------------------------------------------------- */

int pick_att(struct thr *t, bool (*fit)(const struct att *))
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

void att_drop(struct thr *t, int i)
{
	if (t->att[i].slot >= 0)
		slot_put(t, t->att[i].slot);
	t->att[i] = t->att[--t->natt];
}

struct att *att_add(struct thr *t, char *addr, size_t len,
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
	ino_note(t, a);
	/* Nobody but this thread knows a private id: it starts zeroed. */
	if (p && p->fresh) {
		p->fresh = false;
		zero_check(t, OP_VERIFY, a, 0, len);
	}
	return a;
}

/* Everything about a segment STAT can tell, given what we know of it. */
void check_ds(struct thr *t, enum op op, const struct seginfo *s,
	      const struct shmipc_ds *ds)
{
	unsigned int mode = ds->perm.mode;
	int i;

	if (ds->perm.uid != my_uid || ds->perm.cuid != my_uid ||
	    ds->perm.gid != my_gid || ds->perm.cgid != my_gid)
		violation(t, op, "id %d: uid %u cuid %u gid %u cgid %u", s->id,
			  ds->perm.uid, ds->perm.cuid, ds->perm.gid, ds->perm.cgid);
	if ((mode & 0700) != 0700 || (mode & ~(0777U | SHMIPC_SHM_DEST | SHMIPC_SHM_LOCKED)))
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
	/* The stress program makes no segment with a lifetime. */
	if (ds->lifetime || ds->ttl || ds->expires_ms != -1)
		violation(t, op, "id %d: lifetime %u ttl %u expires_ms %lld", s->id,
			  ds->lifetime, ds->ttl, (long long)ds->expires_ms);
	for (i = 0; i < (int)ARRAY_SIZE(ds->reserved); i++)
		if (ds->reserved[i])
			violation(t, op, "id %d: reserved[%d] %#llx", s->id, i,
				  (unsigned long long)ds->reserved[i]);
}


void op_get(struct thr *t, enum op op)
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

/*
 * SHM_STAT or SHM_STAT_ANY of a segment's index: while we hold it, that
 * is its id and its state; otherwise the index may be free, or another's.
 */
static void stat_index(struct thr *t, const struct seginfo *s, int held)
{
	struct shmipc_ctl c = { .id = s->id & 0x7fff };
	int rc;

	c.cmd = rnd_chance(&t->rnd, 50) ? SHMIPC_SHM_STAT : SHMIPC_SHM_STAT_ANY;
	rc = ioctl(t->fd, SHMIPC_IOC_CTL, &c);
	if (!tally(t, OP_STAT, rc, held ? E_NONE : E_STAT_INDEX, "index of id %d cmd %u held %d",
		   s->id, c.cmd, held))
		return;
	if (held && rc != s->id)
		violation(t, OP_STAT, "cmd %u of index %d: id %d, want %d", c.cmd, c.id, rc,
			  s->id);
	if (rc == s->id)
		check_ds(t, OP_STAT, s, &c.u.ds);
}

/*
 * IPC_INFO or SHM_INFO: the highest index in use, and with SHM_INFO the
 * count of segments and their pages, cover a segment we hold.
 */
static void stat_info(struct thr *t, const struct seginfo *s, int held)
{
	struct shmipc_ctl c = { .id = 0 };
	uint64_t pages = (s->segsz + pg - 1) / pg;
	int rc;

	c.cmd = rnd_chance(&t->rnd, 50) ? SHMIPC_IPC_INFO : SHMIPC_SHM_INFO;
	rc = ioctl(t->fd, SHMIPC_IOC_CTL, &c);
	if (!tally(t, OP_STAT, rc, E_NONE, "cmd %u", c.cmd) || !held)
		return;
	if (rc < (s->id & 0x7fff))
		violation(t, OP_STAT, "cmd %u: highest index %d, below id %d's", c.cmd, rc,
			  s->id);
	if (c.cmd == SHMIPC_SHM_INFO && (c.u.info.used_ids < 1 || c.u.info.shm_tot < pages))
		violation(t, OP_STAT, "SHM_INFO: used_ids %llu shm_tot %llu with id %d held",
			  (unsigned long long)c.u.info.used_ids,
			  (unsigned long long)c.u.info.shm_tot, s->id);
	if (c.cmd == SHMIPC_IPC_INFO && (c.u.info.shmmax < s->segsz || !c.u.info.shmmni))
		violation(t, OP_STAT, "IPC_INFO: shmmax %llu shmmni %llu",
			  (unsigned long long)c.u.info.shmmax,
			  (unsigned long long)c.u.info.shmmni);
}

void op_stat(struct thr *t)
{
	unsigned int r = (unsigned int)rnd_below(&t->rnd, 10);
	struct shmipc_ds ds;
	struct seginfo s;
	int held;

	if (!pick_seg(t, &s))
		return op_get(t, OP_GET_CREAT);
	held = attached(t, s.id) || priv_of(t, s.id);
	if (r < 3)
		return stat_index(t, &s, held);
	if (r < 5)
		return stat_info(t, &s, held);
	memset(&ds, 0xa5, sizeof(ds));
	if (tally(t, OP_STAT, sys_ctl(t->fd, s.id, SHMIPC_IPC_STAT, &ds),
		  held ? E_NONE : E_STALE, "id %d held %d", s.id, held))
		check_ds(t, OP_STAT, &s, &ds);
}

void op_set(struct thr *t)
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

/*
 * SHM_LOCK or SHM_UNLOCK, now and then: whatever the other threads do to
 * the segment meanwhile, it must go on as before, and its end (IPC_RMID,
 * the last detach) must return the charge. Without CAP_IPC_LOCK (not
 * root), locking may go past RLIMIT_MEMLOCK: ENOMEM.
 */
void op_lock(struct thr *t)
{
	static const int E_LOCK_HELD[] = { ENOMEM, 0 };
	static const int E_LOCK_STALE[] = { EINVAL, EIDRM, ENOMEM, 0 };
	uint32_t cmd = rnd_chance(&t->rnd, 50) ? SHMIPC_SHM_LOCK : SHMIPC_SHM_UNLOCK;
	struct seginfo s;
	int held;

	if (!pick_seg(t, &s))
		return op_get(t, OP_GET_CREAT);
	held = attached(t, s.id) || priv_of(t, s.id);
	if (cmd == SHMIPC_SHM_LOCK && my_uid != 0)
		tally(t, OP_LOCK, sys_ctl(t->fd, s.id, cmd, NULL),
		      held ? E_LOCK_HELD : E_LOCK_STALE, "id %d lock held %d", s.id, held);
	else
		tally(t, OP_LOCK, sys_ctl(t->fd, s.id, cmd, NULL),
		      held ? E_NONE : E_STALE, "id %d cmd %u held %d", s.id, cmd, held);
}

void op_rmid_seg(struct thr *t, const struct seginfo *s)
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

void op_rmid(struct thr *t)
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
bool att_one_vma(const struct att *a)
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

void drop_gone(struct thr *t)
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
void detach_att(struct thr *t, int i)
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

void op_dt(struct thr *t)
{
	int i = pick_att(t, NULL);

	if (i >= 0)
		detach_att(t, i);
}

void op_attach(struct thr *t, enum op op)
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

void op_mmap(struct thr *t, enum op op)
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

bool fit_ro(const struct att *a)
{
	return a->ro;
}

static bool fit_rw_whole3(const struct att *a)
{
	return !a->ro && att_whole(a) && a->len >= 3 * pg;
}

void op_mprotect_ro(struct thr *t)
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
void op_mprotect_split(struct thr *t)
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

void op_munmap_part(struct thr *t)
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
void op_remap_head(struct thr *t)
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

void op_mremap_move(struct thr *t)
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

/*
 * Growth: refused while attachments are VM_DONTEXPAND (EFAULT); where it
 * is allowed, as on SysV, the pages inside the segment read as before and
 * a page past its end raises SIGBUS, and never maps anything.
 */
void op_mremap_grow(struct thr *t)
{
	int i = pick_att(t, fit_whole), sig;
	bool may_move = rnd_chance(&t->rnd, 50);
	size_t seglen, len;
	struct att *a, v;
	char *p;

	if (i < 0)
		return;
	a = &t->att[i];
	seglen = round_pg(a->seg.segsz);
	len = a->len + pg;
	p = mremap(a->addr, a->len, len, may_move ? MREMAP_MAYMOVE : 0);
	event(t->gidx, "mremap-grow", a->addr, a->len, p == MAP_FAILED ? -1 : 0);
	if (!tally(t, OP_MREMAP_GROW, p == MAP_FAILED ? -1 : 0, E_GROW,
		   "id %d len %zu%s", a->seg.id, a->len,
		   may_move ? " MREMAP_MAYMOVE" : ""))
		return;
	/* It grew: check it, then give it all back, wherever it went. */
	event(t->gidx, "mremap-grown", p, len, 0);
	v = *a;
	v.addr = p;
	v.len = len < seglen ? len : seglen;
	sig = probe_access(p + len - pg, false);
	if (len <= seglen && sig)
		violation(t, OP_MREMAP_GROW, "id %d: grown to %zu of %zu bytes, reading the new page raised signal %d",
			  a->seg.id, len, seglen, sig);
	else if (len > seglen && sig != SIGBUS)
		violation(t, OP_MREMAP_GROW, "id %d: grown past its end (%zu of %zu bytes), reading there gave signal %d, want SIGBUS",
			  a->seg.id, len, seglen, sig);
	verify_att(t, OP_MREMAP_GROW, &v);
	/* Moved out of a slot, or grown into free space: either way ours. */
	munmap(p, len);
	att_drop(t, i);
	check_nattch(t, OP_MREMAP_GROW, v.seg.id, 0);
}

bool fit_rw_rec(const struct att *a)
{
	return !a->ro;
}

/*
 * Is @a still mapped at both ends? Only this thread unmaps its attachments,
 * so one that vanished was taken by someone else's detach: report it and
 * forget it, rather than die touching it.
 */
bool att_alive(struct thr *t, enum op op, struct att *a)
{
	if (page_mapped(a->addr) && page_mapped(a->addr + a->len - pg))
		return true;
	violation(t, op, "id %d: attachment %p+%zu vanished (unmapped by someone else)",
		  a->seg.id, (void *)a->addr, a->len);
	explain(a->addr, a->len);
	a->gone = true;
	return false;
}

void op_write(struct thr *t)
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

void op_verify(struct thr *t)
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

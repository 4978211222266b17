// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_stress: what the program knows and checks: scratch slots, the
 * report, the ids it remembers, and the records in every segment.
 */
#include "stress.h"

/* ---- small helpers ---------------------------------------------------- */

size_t round_pg(size_t n)
{
	return (n + pg - 1) & ~(pg - 1);
}

int32_t key_of(int k)
{
	return key_base + k;
}

/* Every segment of a key has the same size: lookups and STAT are exact. */
size_t canon_size(int k)
{
	return round_pg((size_t)nrecs * REC_BYTES) + (size_t)(k % 4) * pg +
	       ((k & 1) ? 123 : 0);
}

int sys_get(int fd, int32_t key, uint32_t flags, uint64_t size)
{
	struct shmipc_get g = { .key = key, .flags = flags, .size = size };

	return ioctl(fd, SHMIPC_IOC_GET, &g);
}

int sys_ctl(int fd, int id, uint32_t cmd, struct shmipc_ds *ds)
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

int sys_at(int fd, int id, uint32_t flags, uint64_t *addr,
	   uint64_t *size)
{
	struct shmipc_at a = { .id = id, .flags = flags, .addr = *addr };
	int rc = ioctl(fd, SHMIPC_IOC_AT, &a);

	*addr = a.addr;
	*size = a.size;
	return rc;
}

int sys_dt(int fd, const void *addr)
{
	struct shmipc_dt d = { .addr = (uint64_t)(uintptr_t)addr };

	return ioctl(fd, SHMIPC_IOC_DT, &d);
}

char *slot_addr(struct thr *t, int slot)
{
	return t->scratch + (size_t)slot * SLOT_SPAN;
}

/* Put the PROT_NONE placeholder back over a scratch slot. */
void slot_refill(struct thr *t, int slot)
{
	event(t->gidx, "refill", slot_addr(t, slot), SLOT_SPAN, slot);
	if (mmap(slot_addr(t, slot), SLOT_SPAN, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
		 -1, 0) == MAP_FAILED) {
		perror("mmap scratch slot");
		exit(2);
	}
}

int slot_take(struct thr *t)
{
	int i, s = (int)rnd_below(&t->rnd, NR_SLOTS);

	for (i = 0; i < NR_SLOTS; i++, s = (s + 1) % NR_SLOTS)
		if (!t->slot_used[s]) {
			t->slot_used[s] = true;
			return s;
		}
	return -1;
}

void slot_put(struct thr *t, int slot)
{
	slot_refill(t, slot);
	t->slot_used[slot] = false;
}

/* Is no page of [addr, addr + len) mapped? */
bool range_unmapped(const char *addr, size_t len)
{
	unsigned char v;
	size_t off;

	for (off = 0; off < len; off += pg)
		if (mincore((void *)(addr + off), pg, &v) == 0 || errno != ENOMEM)
			return false;
	return true;
}

/* Is the page at @addr (page-aligned) mapped? */
bool page_mapped(const char *addr)
{
	unsigned char v;

	return mincore((void *)((uintptr_t)addr & ~(pg - 1)), pg, &v) == 0;
}

/* ---- accounting ------------------------------------------------------- */

void violation(struct thr *t, enum op op, const char *fmt, ...)
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
bool __attribute__((format(printf, 5, 6)))
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
bool __attribute__((format(printf, 5, 6)))
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

void remember(struct thr *t, const struct seginfo *s)
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

int attached(const struct thr *t, int id)
{
	int i, n = 0;

	for (i = 0; i < t->natt; i++)
		n += t->att[i].seg.id == id;
	return n;
}

struct seginfo *priv_of(struct thr *t, int id)
{
	int i;

	for (i = 0; i < t->npriv; i++)
		if (t->priv[i].id == id)
			return &t->priv[i];
	return NULL;
}

/* A segment to operate on: attached, private, or remembered (maybe stale). */
bool pick_seg(struct thr *t, struct seginfo *s)
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

void rec_fill(uint64_t *w, int writer, int32_t key, int id,
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
char *seg_ptr(const struct att *a, size_t off, size_t len)
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
bool rec_check(struct thr *t, enum op op, const struct att *a, int i,
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
bool zero_check(struct thr *t, enum op op, const struct att *a,
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
bool verify_att(struct thr *t, enum op op, const struct att *a)
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
bool write_rec(struct thr *t, enum op op, struct att *a, uint64_t value)
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

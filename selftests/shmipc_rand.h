/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What shmipc_stress and shmipc_fuzz share: a seeded random generator
 * (xoshiro256**, one stream per thread, so a seed names a run), and a
 * report that lives in shared memory, so that threads and forked children
 * count calls and log violations into one place that the parent prints.
 */
#ifndef SHMIPC_RAND_H
#define SHMIPC_RAND_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

struct rnd {
	uint64_t s[4];
};

static inline uint64_t rnd_splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Stream @stream of run @seed: threads get different, repeatable streams. */
static inline void rnd_seed(struct rnd *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL);
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = rnd_splitmix(&x);
}

static inline uint64_t rnd_rotl(uint64_t v, int k)
{
	return (v << k) | (v >> (64 - k));
}

static inline uint64_t rnd_next(struct rnd *r)
{
	uint64_t *s = r->s;
	uint64_t out = rnd_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rnd_rotl(s[3], 45);
	return out;
}

/* 0 .. n-1 (the modulo bias is irrelevant here). */
static inline uint64_t rnd_below(struct rnd *r, uint64_t n)
{
	return n ? rnd_next(r) % n : 0;
}

/* lo .. hi, both included. */
static inline uint64_t rnd_range(struct rnd *r, uint64_t lo, uint64_t hi)
{
	return lo + rnd_below(r, hi - lo + 1);
}

static inline bool rnd_chance(struct rnd *r, unsigned int percent)
{
	return rnd_below(r, 100) < percent;
}

/* An index into @weights, drawn in proportion to the weights. */
static inline unsigned int rnd_weighted(struct rnd *r, const unsigned int *weights,
					unsigned int n)
{
	uint64_t total = 0, x;
	unsigned int i;

	for (i = 0; i < n; i++)
		total += weights[i];
	x = rnd_below(r, total);
	for (i = 0; i < n; i++) {
		if (x < weights[i])
			return i;
		x -= weights[i];
	}
	return n - 1;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Zero-terminated lists of the errno values an operation may fail with. */
static inline bool errno_in(int err, const int *allowed)
{
	for (; *allowed; allowed++)
		if (*allowed == err)
			return true;
	return false;
}

static inline const char *errno_name(int err)
{
	const char *name = err ? strerrorname_np(err) : "0";

	return name ? name : "E?";
}

/*
 * Who mapped and unmapped what, lately: when a mapping vanishes under a
 * thread, the events that touched its range tell who took it. Threads of
 * one process record; explain() prints the last ones over a range.
 */
#define EVENTS		(1 << 14)

struct event {
	uint64_t seq;
	uint64_t addr, len;
	long rc;
	int thread;
	char what[16];
};

/*
 * One log per program, though the program is several files: the one that
 * defines SHMIPC_EVENTS_HERE before including this holds it.
 */
#ifdef SHMIPC_EVENTS_HERE
struct event events[EVENTS];
uint64_t nevents;
int explained;
#else
extern struct event events[EVENTS];
extern uint64_t nevents;
extern int explained;
#endif

static inline void event(int thread, const char *what, const void *addr, uint64_t len,
			 long rc)
{
	uint64_t n = __atomic_fetch_add(&nevents, 1, __ATOMIC_RELAXED);
	struct event *e = &events[n % EVENTS];

	e->seq = n;
	e->addr = (uint64_t)(uintptr_t)addr;
	e->len = len;
	e->rc = rc;
	e->thread = thread;
	snprintf(e->what, sizeof(e->what), "%s", what);
}

/* Print the last 40 recent events that overlap [addr, addr + len), 5 times a run. */
static inline void explain(const void *addr, uint64_t len)
{
	uint64_t a = (uint64_t)(uintptr_t)addr, n = nevents, i;
	uint64_t first = n > EVENTS ? n - EVENTS : 0, shown = 0;

	if (__atomic_fetch_add(&explained, 1, __ATOMIC_RELAXED) >= 5)
		return;
	for (i = n; i > first && shown < 40; i--) {
		struct event e = events[(i - 1) % EVENTS];

		if (e.seq == i - 1 && e.addr < a + len && e.addr + (e.len ? e.len : 1) > a)
			shown++;
	}
	first = i;
	printf("events touching %#llx+%#llx (newest last):\n", (unsigned long long)a,
	       (unsigned long long)len);
	for (i = first; i < n; i++) {
		struct event e = events[i % EVENTS];

		if (e.seq != i || e.addr >= a + len || e.addr + (e.len ? e.len : 1) <= a)
			continue;
		printf("  #%llu t%d %s %#llx+%#llx -> %ld\n", (unsigned long long)e.seq,
		       e.thread, e.what, (unsigned long long)e.addr, (unsigned long long)e.len,
		       e.rc);
	}
}

/*
 * Counters of one kind of operation. Threads count into a private copy
 * and add it to the shared one when they finish.
 */
#define REPORT_ERRNO_SLOTS	160
#define REPORT_MAX_OPS		48
#define REPORT_MSGS		64
#define REPORT_MSGS_PER_OP	8	/* so that one kind cannot hide the others */
#define REPORT_MSG_LEN		256

struct op_count {
	uint64_t calls;
	uint64_t ok;
	uint64_t err[REPORT_ERRNO_SLOTS];	/* failures that were allowed */
};

struct report {
	uint64_t violations;
	uint64_t viol_by_op[REPORT_MAX_OPS];
	uint64_t nmsgs;			/* kept, at most REPORT_MSGS */
	uint64_t dropped;		/* not kept */
	char msgs[REPORT_MSGS][REPORT_MSG_LEN];
	struct op_count ops[REPORT_MAX_OPS];
};

/*
 * Counts one call that returned @rc with errno @err: 1 when it succeeded,
 * 0 when it failed with an errno in @allowed, -1 when the failure is a
 * violation, for the caller to describe.
 */
static inline int op_count_call(struct op_count *c, long rc, int err,
				const int *allowed)
{
	c->calls++;
	if (rc >= 0) {
		c->ok++;
		return 1;
	}
	if (!errno_in(err, allowed))
		return -1;
	if (err < REPORT_ERRNO_SLOTS)
		c->err[err]++;
	return 0;
}

/*
 * -x OP,...: leave the named operations out (weight 0), so that a
 * reproducer keeps only what matters. Returns NULL, or the first name in
 * @list that is not one of the @n in @names.
 */
static inline const char *ops_exclude(char *list, const char *const *names,
				      unsigned int n, unsigned int *weights)
{
	char *name, *save = NULL;
	unsigned int op;

	for (name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		for (op = 0; op < n; op++)
			if (!strcmp(name, names[op]))
				break;
		if (op == n)
			return name;
		weights[op] = 0;
	}
	return NULL;
}

/* Shared, zeroed and touched, so that it no longer moves Shmem later. */
static inline void *shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap shared");
		exit(1);
	}
	memset(p, 0, size);
	return p;
}

static inline void op_count_add(struct op_count *to, const struct op_count *from)
{
	int i;

	__atomic_add_fetch(&to->calls, from->calls, __ATOMIC_RELAXED);
	__atomic_add_fetch(&to->ok, from->ok, __ATOMIC_RELAXED);
	for (i = 0; i < REPORT_ERRNO_SLOTS; i++)
		if (from->err[i])
			__atomic_add_fetch(&to->err[i], from->err[i],
					   __ATOMIC_RELAXED);
}

/* Safe enough in a forked child of a threaded parent: no locks, no malloc. */
static inline void report_violation(struct report *rep, unsigned int op,
				    const char *fmt, ...)
{
	uint64_t idx;
	va_list ap;

	__atomic_add_fetch(&rep->violations, 1, __ATOMIC_RELAXED);
	if (op < REPORT_MAX_OPS &&
	    __atomic_add_fetch(&rep->viol_by_op[op], 1, __ATOMIC_RELAXED) > REPORT_MSGS_PER_OP) {
		__atomic_add_fetch(&rep->dropped, 1, __ATOMIC_RELAXED);
		return;
	}
	idx = __atomic_fetch_add(&rep->nmsgs, 1, __ATOMIC_RELAXED);
	if (idx >= REPORT_MSGS) {
		__atomic_add_fetch(&rep->dropped, 1, __ATOMIC_RELAXED);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(rep->msgs[idx], REPORT_MSG_LEN, fmt, ap);
	va_end(ap);
}

/* The table at the end of a run: one line per operation kind. */
static inline void report_print(const struct report *rep, const char *const *names,
				unsigned int nops, double seconds)
{
	uint64_t calls = 0, ok = 0, i;
	unsigned int op;
	int e;

	printf("%-16s %10s %10s %8s %10s  %s\n", "op", "calls", "ok", "viol",
	       "calls/s", "allowed failures");
	for (op = 0; op < nops; op++) {
		const struct op_count *c = &rep->ops[op];
		char errs[200] = "";
		size_t len = 0;

		if (!c->calls && !rep->viol_by_op[op])
			continue;
		for (e = 0; e < REPORT_ERRNO_SLOTS && len < sizeof(errs) - 32; e++)
			if (c->err[e])
				len += (size_t)snprintf(errs + len, sizeof(errs) - len,
						"%s%s:%llu", len ? " " : "",
						errno_name(e),
						(unsigned long long)c->err[e]);
		printf("%-16s %10llu %10llu %8llu %10.0f  %s\n", names[op],
		       (unsigned long long)c->calls, (unsigned long long)c->ok,
		       (unsigned long long)rep->viol_by_op[op],
		       seconds > 0 ? (double)c->calls / seconds : 0.0, errs);
		calls += c->calls;
		ok += c->ok;
	}
	printf("%-16s %10llu %10llu %8llu %10.0f\n", "total",
	       (unsigned long long)calls, (unsigned long long)ok,
	       (unsigned long long)rep->violations,
	       seconds > 0 ? (double)calls / seconds : 0.0);
	for (i = 0; i < rep->nmsgs && i < REPORT_MSGS; i++)
		printf("VIOLATION: %s\n", rep->msgs[i]);
	if (rep->dropped)
		printf("VIOLATION: ... and %llu more (at most %d shown per op)\n",
		       (unsigned long long)rep->dropped, REPORT_MSGS_PER_OP);
}

#endif /* SHMIPC_RAND_H */

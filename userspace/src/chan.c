// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libshmipc: single-producer single-consumer message channels in shared
 * memory.
 *
 * The region holds a header (struct chan_hdr, SHMIPC_CHAN_HDR_SIZE bytes)
 * and a ring of `cap` bytes. The ring holds records, each an 8-byte
 * record header (length, type) and the payload rounded up to 8 bytes. A
 * record never wraps: when the next one does not fit before the ring's
 * end, the sender fills the rest with a SKIP record, which the receiver
 * steps over. A record is at most half the ring (a message at most
 * cap / 2 - 8 bytes), so that it fits in an empty ring wherever the ring
 * ends: the skip then takes less than half. Were larger ones allowed, a
 * sender would have to wait for the receiver to step over the skip even
 * with nothing else in the ring, and a thread that sends and receives in
 * turn would wait for itself.
 *
 * head (the sender's) and tail (the receiver's) count bytes modulo 2 * cap:
 * head == tail is empty, head - tail == cap full, and the offset in the
 * ring is the index modulo cap (one compare, since cap need not be a power
 * of two). They are 32-bit words, the same for i386 and x86-64 processes,
 * as is every field of the header; cap is at most 1 GiB so that 2 * cap
 * fits. Each index is written by one end only, and sits on a cache line
 * of that end's, apart from the other's.
 *
 * Waiting. A receiver with nothing to read sleeps on data_seq, a sender
 * without room on space_seq: shared (not _PRIVATE) futexes, as sem.c
 * explains, so that another process or another mapping is woken. The
 * sleeper announces itself in data_waiting (space_waiting), then reads
 * the seq word, then checks once more for data (room) and for the other
 * end's state, and only then calls FUTEX_WAIT with the seq it read. The
 * other end publishes head (tail), then reads the waiting word, and only
 * if it is set bumps the seq and calls FUTEX_WAKE. All four accesses are
 * sequentially consistent, so either the publisher sees the announcement
 * and wakes (FUTEX_WAIT then finds the seq changed, or is woken), or the
 * sleeper's check, which comes after its announcement, sees what was
 * published: no wake-up is lost, and when nobody sleeps the fast path is
 * a few atomic instructions and no system call.
 *
 * Before it announces itself, a waiter spins for up to SPIN_NS, if
 * another CPU may be running the other end: a record or room that comes
 * within that time costs neither end a system call, where a sleep costs
 * the waiter a FUTEX_WAIT and the other end a FUTEX_WAKE. On one CPU a
 * spin would only hold the other end off it.
 *
 * Closing bumps both seq words and wakes both, after setting the end's
 * status, so a sleeper wakes at once: its FUTEX_WAIT finds the seq
 * changed or is woken.
 *
 * Death. Each end holds, from open to close, a robust process-shared
 * mutex in the header (alive[end]). A dying thread's robust mutexes are
 * marked by the kernel, so the other end's pthread_mutex_trylock() answers
 * EOWNERDEAD. A sleeper never sleeps longer than LIVENESS_MS, and tries
 * the other end's mutex each time it wakes, so a dead end is noticed in
 * about that long. Nothing else can be waited on: the dying process can
 * wake nobody. The mutex belongs to the opening thread, hence the rule
 * that an end belongs to that thread; and its layout differs between
 * i386 and x86-64, hence a fixed 64-byte slot and the `abi` check.
 *
 * A receiver is told that the sender closed or died only when the ring is
 * empty: every message committed before is delivered first.
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define CHAN_MAGIC	0x6e616863u	/* "chan" in little-endian bytes */
#define CHAN_VERSION	1u
#define CAP_MIN		64u
#define CAP_MAX		(1u << 30)
#define REC_HDR		8u
#define MSG_MAX(cap)	((cap) / 2 - REC_HDR)
#define LIVENESS_MS	100
#define NSEC_PER_SEC	1000000000L
#define SPIN_NS		50000L

/* Record types. 0 is no type, so that a zeroed ring is not read as data. */
enum { REC_MSG = 1, REC_SKIP = 2 };

/* An end's status, status[end - 1] in the header. */
enum {
	END_NEW,	/* never opened */
	END_OPENING,	/* being opened: its mutex is not held yet */
	END_OPEN,
	END_CLOSED,
	END_DIED,	/* its owner died while it was open */
};

/* The handle's _state. */
enum { CH_IDLE, CH_RESERVED, CH_PEEKED };

/* A mutex in a fixed slot, so that the header's layout does not depend on it. */
union alive_slot {
	pthread_mutex_t mutex;
	unsigned char slot[64];
};

struct chan_hdr {
	/* Written by init (magic last), read by everyone; status rarely. */
	uint32_t magic;
	uint32_t version;
	uint32_t cap;
	uint32_t abi;		/* which pthread_mutex_t layout: see abi_tag() */
	uint32_t status[2];	/* per end, END_* */
	uint32_t pad0[10];

	/* The sender's line. */
	uint32_t head;
	uint32_t data_seq;	/* futex: the receiver sleeps on it */
	uint32_t space_waiting;	/* the sender is about to sleep, or asleep */
	uint32_t pad1[13];

	/* The receiver's line. */
	uint32_t tail;
	uint32_t space_seq;	/* futex: the sender sleeps on it */
	uint32_t data_waiting;	/* the receiver is about to sleep, or asleep */
	uint32_t pad2[13];

	union alive_slot alive[2];
	unsigned char reserved[SHMIPC_CHAN_HDR_SIZE - 320];
};

struct rec_hdr {
	uint32_t len;
	uint32_t type;
};

_Static_assert(sizeof(union alive_slot) == 64, "a mutex fits its slot");
_Static_assert(offsetof(struct chan_hdr, head) == 64, "the sender's line");
_Static_assert(offsetof(struct chan_hdr, tail) == 128, "the receiver's line");
_Static_assert(offsetof(struct chan_hdr, alive) == 192, "the mutexes' lines");
_Static_assert(sizeof(struct chan_hdr) == SHMIPC_CHAN_HDR_SIZE, "header layout is ABI");

/*
 * What makes two processes' mutexes compatible: the size of the mutex
 * and of a pointer (i386: 24 and 4; x86-64: 40 and 8).
 */
static uint32_t abi_tag(void)
{
	return (uint32_t)sizeof(pthread_mutex_t) << 8 | (uint32_t)sizeof(void *);
}

static int fail(int err)
{
	errno = err;
	return -1;
}

/* futex(2), returning 0 or the error number and leaving errno alone. */
static int futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *timeout)
{
	int saved_errno = errno;
	int err = 0;

	if (syscall(SYS_futex, uaddr, op, val, timeout, NULL, 0) < 0)
		err = errno;
	errno = saved_errno;
	return err;
}

static void wake(uint32_t *seq)
{
	__atomic_fetch_add(seq, 1, __ATOMIC_SEQ_CST);
	futex(seq, FUTEX_WAKE, 1, NULL);
}

static struct chan_hdr *hdr_of(const shmipc_chan_t *ch)
{
	return ch->_hdr;
}

static unsigned char *ring_of(const shmipc_chan_t *ch)
{
	return (unsigned char *)ch->_hdr + SHMIPC_CHAN_HDR_SIZE;
}

/* Index arithmetic modulo 2 * cap (see the top of the file). */
static uint32_t used(const shmipc_chan_t *ch, uint32_t head, uint32_t tail)
{
	return head >= tail ? head - tail : head + 2 * ch->_cap - tail;
}

static uint32_t offset(const shmipc_chan_t *ch, uint32_t idx)
{
	return idx >= ch->_cap ? idx - ch->_cap : idx;
}

static uint32_t advance(const shmipc_chan_t *ch, uint32_t idx, uint32_t n)
{
	idx += n;
	return idx >= 2 * ch->_cap ? idx - 2 * ch->_cap : idx;
}

static uint32_t rec_size(size_t len)
{
	return REC_HDR + (((uint32_t)len + 7) & ~7u);
}

/* The handle is open as end (0: either), and in state. */
static bool usable(const shmipc_chan_t *ch, unsigned int end, unsigned int state)
{
	return ch && ch->_hdr && (end == 0 || ch->_end == end) && ch->_state == state;
}

static void wake_both(struct chan_hdr *h)
{
	wake(&h->data_seq);
	wake(&h->space_seq);
}

/*
 * The state of end: END_NEW or END_OPENING (not there yet: wait for it),
 * END_OPEN, END_CLOSED or END_DIED. An open end whose mutex answers
 * EOWNERDEAD is marked END_DIED here, for good; the mutex is made
 * consistent and unlocked, since nobody will lock it again.
 */
static uint32_t end_state(struct chan_hdr *h, int end)
{
	uint32_t *status = &h->status[end - 1];
	pthread_mutex_t *m = &h->alive[end - 1].mutex;
	uint32_t st = __atomic_load_n(status, __ATOMIC_SEQ_CST);
	uint32_t open = END_OPEN;
	int err;

	if (st != END_OPEN)
		return st;
	err = pthread_mutex_trylock(m);
	if (err == EBUSY)
		return END_OPEN;
	if (err == EOWNERDEAD) {
		__atomic_compare_exchange_n(status, &open, END_DIED, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		pthread_mutex_consistent(m);
		pthread_mutex_unlock(m);
		wake_both(h);
	} else if (err == 0) {
		/*
		 * Free while marked open: the end closed between our two
		 * looks (close marks, then unlocks). Give it back.
		 */
		pthread_mutex_unlock(m);
	}
	return __atomic_load_n(status, __ATOMIC_SEQ_CST);
}

/* The errno that an end's state stands for; 0 if it may yet act. */
static int gone_errno(uint32_t st)
{
	switch (st) {
	case END_CLOSED:
		return EPIPE;
	case END_DIED:
		return ECONNRESET;
	default:
		return 0;
	}
}

/* As gone_errno(), after asking the other end's mutex whether it lives. */
static int peer_gone(struct chan_hdr *h, int peer)
{
	return gone_errno(end_state(h, peer));
}

/* As gone_errno(), from the status word alone: no atomic write, for fast paths. */
static int peer_left(struct chan_hdr *h, int peer)
{
	return gone_errno(__atomic_load_n(&h->status[peer - 1], __ATOMIC_SEQ_CST));
}

/* May the other end be running on another CPU while this one waits? */
static bool many_cpus(void)
{
	static int online;	/* 0: not asked yet */
	int n = __atomic_load_n(&online, __ATOMIC_RELAXED);

	if (!n) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		n = cpus > 1 ? 2 : 1;
		__atomic_store_n(&online, n, __ATOMIC_RELAXED);
	}
	return n > 1;
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield" ::: "memory");
#endif
}

static long long elapsed_ns(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - since->tv_sec) * NSEC_PER_SEC +
	       (now.tv_nsec - since->tv_nsec);
}

/* Spins up to SPIN_NS (see the top of the file): true once ready(). */
static bool spin_on(shmipc_chan_t *ch, bool (*ready)(shmipc_chan_t *))
{
	struct timespec start;
	unsigned int i;

	if (!many_cpus())
		return false;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (i = 1;; i++) {
		if (ready(ch))
			return true;
		cpu_relax();
		/* The clock costs more than a look: read it now and then. */
		if (i % 32 == 0 && elapsed_ns(&start) >= SPIN_NS)
			return false;
	}
}

/*
 * Sleep on *seq (announced in *waiting) until woken, the slice of
 * LIVENESS_MS ends, or abs_timeout (CLOCK_REALTIME; NULL: none) passes,
 * after a spin where that may spare the sleep. ready() is the caller's
 * last look, made after the announcement (see the top of the file).
 * Returns 0 (look again), ETIMEDOUT or EINTR.
 */
static int sleep_on(shmipc_chan_t *ch, uint32_t *seq, uint32_t *waiting,
		    bool (*ready)(shmipc_chan_t *), const struct timespec *abs_timeout)
{
	struct timespec slice = { 0, LIVENESS_MS * 1000000L };
	uint32_t val;
	int err = 0;

	if (abs_timeout) {
		struct timespec now;
		long long left;

		clock_gettime(CLOCK_REALTIME, &now);
		left = (long long)(abs_timeout->tv_sec - now.tv_sec) * NSEC_PER_SEC +
		       (abs_timeout->tv_nsec - now.tv_nsec);
		if (left <= 0)
			return ETIMEDOUT;
		if (left < slice.tv_nsec)
			slice.tv_nsec = (long)left;
	}
	if (spin_on(ch, ready))
		return 0;

	__atomic_store_n(waiting, 1, __ATOMIC_SEQ_CST);
	val = __atomic_load_n(seq, __ATOMIC_SEQ_CST);
	if (!ready(ch))
		err = futex(seq, FUTEX_WAIT, val, &slice);
	__atomic_store_n(waiting, 0, __ATOMIC_SEQ_CST);

	/* EAGAIN: the seq moved; ETIMEDOUT: the slice ended. Look again. */
	return err == EINTR ? EINTR : 0;
}

/* ---- init, open, close ---------------------------------------------- */

static uint32_t cap_for(size_t size)
{
	size_t cap = size - SHMIPC_CHAN_HDR_SIZE;

	if (cap > CAP_MAX)
		cap = CAP_MAX;
	return (uint32_t)cap & ~(CAP_MIN - 1);
}

static bool region_bad(const void *mem, size_t size)
{
	return !mem || ((uintptr_t)mem & 7) || size < SHMIPC_CHAN_HDR_SIZE + CAP_MIN;
}

int shmipc_chan_init(void *mem, size_t size)
{
	struct chan_hdr *h = mem;
	int err;

	if (region_bad(mem, size))
		return fail(EINVAL);

	/* A late opener sees no magic until the rest is in place. */
	__atomic_store_n(&h->magic, 0, __ATOMIC_SEQ_CST);
	memset((char *)h + sizeof(h->magic), 0, sizeof(*h) - sizeof(h->magic));
	h->version = CHAN_VERSION;
	h->cap = cap_for(size);
	h->abi = abi_tag();
	for (int i = 0; i < 2; i++) {
		err = libshmipc_robust_mutex_init(&h->alive[i].mutex,
						  PTHREAD_MUTEX_DEFAULT);
		if (err)
			return fail(err);
	}
	__atomic_store_n(&h->magic, CHAN_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

/* The header is a channel this process can open, in a region of size. */
static int check_hdr(const struct chan_hdr *h, size_t size)
{
	uint32_t cap;

	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != CHAN_MAGIC ||
	    h->version != CHAN_VERSION)
		return EINVAL;
	cap = h->cap;
	if (cap < CAP_MIN || cap > CAP_MAX || cap % CAP_MIN ||
	    cap > size - SHMIPC_CHAN_HDR_SIZE)
		return EINVAL;
	if (h->abi != abi_tag())
		return EPROTO;
	return 0;
}

int shmipc_chan_open(void *mem, size_t size, int end, shmipc_chan_t *ch)
{
	struct chan_hdr *h = mem;
	uint32_t *status;
	uint32_t expect = END_NEW;
	int err;

	if (region_bad(mem, size) || !ch ||
	    (end != SHMIPC_CHAN_SENDER && end != SHMIPC_CHAN_RECEIVER))
		return fail(EINVAL);
	err = check_hdr(h, size);
	if (err)
		return fail(err);

	/*
	 * Claim the end, then take its mutex, then say it is open: the
	 * other end tries the mutex only of an END_OPEN end, so it never
	 * holds it in the way of this lock.
	 */
	status = &h->status[end - 1];
	if (!__atomic_compare_exchange_n(status, &expect, END_OPENING, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return fail(EBUSY);
	err = pthread_mutex_trylock(&h->alive[end - 1].mutex);
	if (err) {
		/* Only a scribbled header gets here. */
		__atomic_store_n(status, END_NEW, __ATOMIC_SEQ_CST);
		return fail(err == EBUSY || err == EOWNERDEAD ? EBUSY : EINVAL);
	}
	__atomic_store_n(status, END_OPEN, __ATOMIC_SEQ_CST);

	*ch = (shmipc_chan_t){
		._hdr = h,
		._end = (unsigned int)end,
		._cap = h->cap,
		._state = CH_IDLE,
	};
	if (end == SHMIPC_CHAN_SENDER) {
		ch->_pos = __atomic_load_n(&h->head, __ATOMIC_SEQ_CST);
		ch->_peer = __atomic_load_n(&h->tail, __ATOMIC_SEQ_CST);
	} else {
		ch->_pos = __atomic_load_n(&h->tail, __ATOMIC_SEQ_CST);
		ch->_peer = __atomic_load_n(&h->head, __ATOMIC_SEQ_CST);
	}
	return 0;
}

int shmipc_chan_close(shmipc_chan_t *ch)
{
	struct chan_hdr *h;

	if (!ch || !ch->_hdr)
		return fail(EINVAL);
	h = hdr_of(ch);

	/*
	 * Marked closed before the mutex is let go (end_state() relies on
	 * it). Unlocking fails with EPERM in a thread other than the
	 * opener; the end is closed all the same, and the mutex is left to
	 * that thread's exit.
	 */
	__atomic_store_n(&h->status[ch->_end - 1], END_CLOSED, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&h->alive[ch->_end - 1].mutex);
	wake_both(h);
	ch->_hdr = NULL;
	ch->_end = 0;
	return 0;
}

ssize_t shmipc_chan_msgmax(const shmipc_chan_t *ch)
{
	if (!ch || !ch->_hdr)
		return fail(EINVAL);
	return (ssize_t)MSG_MAX(ch->_cap);
}

/* ---- the sender ------------------------------------------------------ */

/* Bytes free in the ring, from the tail as last read. */
static uint32_t room(shmipc_chan_t *ch)
{
	return ch->_cap - used(ch, ch->_pos, ch->_peer);
}

/* Bytes needed now for a record of need bytes: a skip first, if it won't fit. */
static uint32_t room_wanted(shmipc_chan_t *ch, uint32_t need)
{
	uint32_t to_end = ch->_cap - offset(ch, ch->_pos);

	return need <= to_end ? need : to_end;
}

static void publish_head(shmipc_chan_t *ch)
{
	struct chan_hdr *h = hdr_of(ch);

	__atomic_store_n(&h->head, ch->_pos, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&h->data_waiting, __ATOMIC_SEQ_CST))
		wake(&h->data_seq);
}

/* Reads the tail again: 0, or EBADMSG if it is not one the receiver could have. */
static int read_tail(shmipc_chan_t *ch)
{
	uint32_t tail = __atomic_load_n(&hdr_of(ch)->tail, __ATOMIC_SEQ_CST);

	if (tail >= 2 * ch->_cap || used(ch, ch->_pos, tail) > ch->_cap)
		return EBADMSG;
	ch->_peer = tail;
	return 0;
}

/* For sleep_on(): the record the sender waits to place now fits. */
static bool has_room(shmipc_chan_t *ch)
{
	return read_tail(ch) || room(ch) >= room_wanted(ch, ch->_pending) ||
	       peer_left(hdr_of(ch), SHMIPC_CHAN_RECEIVER);
}

/*
 * Room for a record of need bytes at the sender's position, with a skip
 * record published first if it would not fit before the ring's end.
 * Returns 0, or an errno.
 */
static int make_room(shmipc_chan_t *ch, uint32_t need, int flags,
		     const struct timespec *abs_timeout)
{
	struct chan_hdr *h = hdr_of(ch);
	int err;

	for (;;) {
		uint32_t want = room_wanted(ch, need);

		err = peer_left(h, SHMIPC_CHAN_RECEIVER);
		if (err)
			return err;
		if (room(ch) < want) {
			err = read_tail(ch);
			if (err)
				return err;
		}
		if (room(ch) >= want) {
			struct rec_hdr *skip;

			if (want == need)
				return 0;
			skip = (struct rec_hdr *)(ring_of(ch) + offset(ch, ch->_pos));
			skip->len = want - REC_HDR;
			skip->type = REC_SKIP;
			ch->_pos = advance(ch, ch->_pos, want);
			publish_head(ch);
			continue;
		}
		/* About to wait or give up: is the receiver still alive? */
		err = peer_gone(h, SHMIPC_CHAN_RECEIVER);
		if (err)
			return err;
		if (flags & SHMIPC_CHAN_NONBLOCK)
			return EAGAIN;
		ch->_pending = need;	/* for has_room() */
		err = sleep_on(ch, &h->space_seq, &h->space_waiting, has_room, abs_timeout);
		ch->_pending = 0;
		if (err)
			return err;
	}
}

static int check_flags(int flags)
{
	return flags & ~SHMIPC_CHAN_NONBLOCK ? EINVAL : 0;
}

static int reserve(shmipc_chan_t *ch, size_t len, void **ptr, int flags,
		   const struct timespec *abs_timeout)
{
	int err;

	if (!usable(ch, SHMIPC_CHAN_SENDER, CH_IDLE) || !ptr || check_flags(flags))
		return EINVAL;
	if (len > MSG_MAX(ch->_cap))
		return EMSGSIZE;
	if (abs_timeout && (abs_timeout->tv_nsec < 0 || abs_timeout->tv_nsec >= NSEC_PER_SEC))
		return EINVAL;
	err = make_room(ch, rec_size(len), flags, abs_timeout);
	if (err)
		return err;
	*ptr = ring_of(ch) + offset(ch, ch->_pos) + REC_HDR;
	ch->_state = CH_RESERVED;
	ch->_pending = (unsigned int)len;
	return 0;
}

int shmipc_chan_reserve(shmipc_chan_t *ch, size_t len, void **ptr, int flags)
{
	int err = reserve(ch, len, ptr, flags, NULL);

	return err ? fail(err) : 0;
}

int shmipc_chan_commit(shmipc_chan_t *ch, size_t len)
{
	struct rec_hdr *rec;

	if (!usable(ch, SHMIPC_CHAN_SENDER, CH_RESERVED) || len > ch->_pending)
		return fail(EINVAL);
	rec = (struct rec_hdr *)(ring_of(ch) + offset(ch, ch->_pos));
	rec->len = (uint32_t)len;
	rec->type = REC_MSG;
	ch->_pos = advance(ch, ch->_pos, rec_size(len));
	ch->_state = CH_IDLE;
	ch->_pending = 0;
	publish_head(ch);
	return 0;
}

int shmipc_chan_timedsend(shmipc_chan_t *ch, const void *buf, size_t len, int flags,
			  const struct timespec *abs_timeout)
{
	void *ptr;
	int err;

	if (!abs_timeout || (!buf && len))
		return fail(EINVAL);
	err = reserve(ch, len, &ptr, flags, abs_timeout);
	if (err)
		return fail(err);
	if (len)
		memcpy(ptr, buf, len);
	return shmipc_chan_commit(ch, len);
}

int shmipc_chan_send(shmipc_chan_t *ch, const void *buf, size_t len, int flags)
{
	void *ptr;
	int err;

	if (!buf && len)
		return fail(EINVAL);
	err = reserve(ch, len, &ptr, flags, NULL);
	if (err)
		return fail(err);
	if (len)
		memcpy(ptr, buf, len);
	return shmipc_chan_commit(ch, len);
}

/* ---- the receiver ---------------------------------------------------- */

/* Reads the head again: 0, or EBADMSG if it is not one the sender could have. */
static int read_head(shmipc_chan_t *ch)
{
	uint32_t head = __atomic_load_n(&hdr_of(ch)->head, __ATOMIC_SEQ_CST);

	if (head >= 2 * ch->_cap || used(ch, head, ch->_pos) > ch->_cap)
		return EBADMSG;
	ch->_peer = head;
	return 0;
}

/* For sleep_on(): there is a record, or the sender is no longer there. */
static bool has_data(shmipc_chan_t *ch)
{
	return read_head(ch) || ch->_peer != ch->_pos ||
	       peer_left(hdr_of(ch), SHMIPC_CHAN_SENDER);
}

static void publish_tail(shmipc_chan_t *ch)
{
	struct chan_hdr *h = hdr_of(ch);

	__atomic_store_n(&h->tail, ch->_pos, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&h->space_waiting, __ATOMIC_SEQ_CST))
		wake(&h->space_seq);
}

/*
 * The next message's record, skips stepped over; waits for one unless
 * NONBLOCK. Returns 0 with *recp and its length *lenp (read once: the
 * ring is the sender's to scribble on), or an errno.
 */
static int next_msg(shmipc_chan_t *ch, struct rec_hdr **recp, uint32_t *lenp, int flags,
		    const struct timespec *abs_timeout)
{
	struct chan_hdr *h = hdr_of(ch);
	int err;

	for (;;) {
		struct rec_hdr *rec;
		uint32_t off, avail, size, len, type;

		if (ch->_peer == ch->_pos) {
			err = read_head(ch);
			if (err)
				return err;
		}
		if (ch->_peer == ch->_pos) {
			err = peer_gone(h, SHMIPC_CHAN_SENDER);
			if (err) {
				/* What was committed before the close is delivered first. */
				if (read_head(ch) == 0 && ch->_peer != ch->_pos)
					continue;
				return err;
			}
			if (flags & SHMIPC_CHAN_NONBLOCK)
				return EAGAIN;
			err = sleep_on(ch, &h->data_seq, &h->data_waiting, has_data, abs_timeout);
			if (err)
				return err;
			continue;
		}

		/*
		 * The sender wrote the record before publishing the head we
		 * read (a sequentially consistent load, so an acquire).
		 */
		off = offset(ch, ch->_pos);
		rec = (struct rec_hdr *)(ring_of(ch) + off);
		len = __atomic_load_n(&rec->len, __ATOMIC_RELAXED);
		type = __atomic_load_n(&rec->type, __ATOMIC_RELAXED);
		avail = used(ch, ch->_peer, ch->_pos);
		if (avail < REC_HDR || len > ch->_cap - off - REC_HDR)
			return EBADMSG;
		size = rec_size(len);
		if (size > avail || (type != REC_MSG && type != REC_SKIP))
			return EBADMSG;
		if (type == REC_MSG) {
			*recp = rec;
			*lenp = len;
			return 0;
		}
		ch->_pos = advance(ch, ch->_pos, size);
		publish_tail(ch);
	}
}

static int peek(shmipc_chan_t *ch, struct rec_hdr **recp, uint32_t *lenp, int flags,
		const struct timespec *abs_timeout)
{
	int err;

	if (!usable(ch, SHMIPC_CHAN_RECEIVER, CH_IDLE) || check_flags(flags))
		return EINVAL;
	if (abs_timeout && (abs_timeout->tv_nsec < 0 || abs_timeout->tv_nsec >= NSEC_PER_SEC))
		return EINVAL;
	err = next_msg(ch, recp, lenp, flags, abs_timeout);
	if (err)
		return err;
	ch->_state = CH_PEEKED;
	ch->_pending = rec_size(*lenp);
	return 0;
}

int shmipc_chan_peek(shmipc_chan_t *ch, const void **ptr, size_t *len, int flags)
{
	struct rec_hdr *rec;
	uint32_t n;
	int err;

	if (!ptr || !len)
		return fail(EINVAL);
	err = peek(ch, &rec, &n, flags, NULL);
	if (err)
		return fail(err);
	*ptr = rec + 1;
	*len = n;
	return 0;
}

int shmipc_chan_release(shmipc_chan_t *ch)
{
	if (!usable(ch, SHMIPC_CHAN_RECEIVER, CH_PEEKED))
		return fail(EINVAL);
	ch->_pos = advance(ch, ch->_pos, ch->_pending);
	ch->_state = CH_IDLE;
	ch->_pending = 0;
	publish_tail(ch);
	return 0;
}

static ssize_t recv_copy(shmipc_chan_t *ch, void *buf, size_t cap, int flags,
			 const struct timespec *abs_timeout)
{
	struct rec_hdr *rec;
	uint32_t len;
	int err;

	if (!buf && cap)
		return fail(EINVAL);
	err = peek(ch, &rec, &len, flags, abs_timeout);
	if (err)
		return fail(err);
	if (len > cap) {
		/* Left in place, for a call with a larger buffer. */
		ch->_state = CH_IDLE;
		ch->_pending = 0;
		return fail(EMSGSIZE);
	}
	if (len)
		memcpy(buf, rec + 1, len);
	shmipc_chan_release(ch);
	return len;
}

ssize_t shmipc_chan_recv(shmipc_chan_t *ch, void *buf, size_t cap, int flags)
{
	return recv_copy(ch, buf, cap, flags, NULL);
}

ssize_t shmipc_chan_timedrecv(shmipc_chan_t *ch, void *buf, size_t cap, int flags,
			      const struct timespec *abs_timeout)
{
	if (!abs_timeout)
		return fail(EINVAL);
	return recv_copy(ch, buf, cap, flags, abs_timeout);
}

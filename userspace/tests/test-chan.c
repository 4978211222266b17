// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * shmipc_chan_*: layout and argument errors, message boundaries and order,
 * wraparound, blocking between processes with the region mapped at
 * different addresses, the zero-copy calls, close and peer death, and a
 * long random transfer; then shmcp's transfer loop (tools/shmcp-xfer.c)
 * over a channel between two processes. No module needed: channels live
 * in any MAP_SHARED memory.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../include/shmipc.h"
#include "../tools/shmcp.h"
#include "harness.h"

#define HDR	SHMIPC_CHAN_HDR_SIZE

/* size bytes of zero-filled memory shared with children forked later. */
static void *region(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The byte at position i of message n: both ends compute it. */
static unsigned char pattern(unsigned long n, size_t i)
{
	return (unsigned char)(n * 131 + i * 7 + (i >> 8));
}

static void fill(unsigned char *buf, size_t len, unsigned long n)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern(n, i);
}

static bool matches(const unsigned char *buf, size_t len, unsigned long n)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != pattern(n, i))
			return false;
	return true;
}

/* xorshift64: the same sequence in both processes. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Runs fn in a child process; its exit status is fn's result. */
static pid_t spawn(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid == 0) {
		fflush(stdout);
		_exit(fn(arg) ? 1 : 0);
	}
	return pid;
}

static int exit_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* A region of size with a channel in it, and both ends open on it. */
static int setup(size_t size, void **mem, shmipc_chan_t *tx, shmipc_chan_t *rx)
{
	*mem = region(size);
	CHECK(*mem);
	CHECK_OK(shmipc_chan_init(*mem, size));
	if (tx)
		CHECK_OK(shmipc_chan_open(*mem, size, SHMIPC_CHAN_SENDER, tx));
	if (rx)
		CHECK_OK(shmipc_chan_open(*mem, size, SHMIPC_CHAN_RECEIVER, rx));
	return 0;
}

/* ---- layout and arguments ---------------------------------------------- */

static int init_refuses_bad_regions(void)
{
	void *mem = region(2 * HDR);

	CHECK(mem);
	CHECK_FAILS(shmipc_chan_init(NULL, 2 * HDR), -1, EINVAL);
	CHECK_FAILS(shmipc_chan_init((char *)mem + 4, 2 * HDR - 4), -1, EINVAL);
	/* The header and a ring of 64 bytes at least. */
	CHECK_FAILS(shmipc_chan_init(mem, HDR + 63), -1, EINVAL);
	CHECK_OK(shmipc_chan_init(mem, HDR + 64));
	return 0;
}

static int open_of_zero_filled_region_is_einval(void)
{
	void *mem = region(2 * HDR);
	shmipc_chan_t ch;

	CHECK(mem);
	/* As a late opener finds a new segment before its creator inits it. */
	CHECK_FAILS(shmipc_chan_open(mem, 2 * HDR, SHMIPC_CHAN_RECEIVER, &ch), -1, EINVAL);
	CHECK_FAILS(shmipc_chan_open(mem, 2 * HDR, SHMIPC_CHAN_SENDER, &ch), -1, EINVAL);
	memset(mem, 0xa5, 2 * HDR);
	CHECK_FAILS(shmipc_chan_open(mem, 2 * HDR, SHMIPC_CHAN_SENDER, &ch), -1, EINVAL);
	return 0;
}

static int open_refuses_bad_arguments(void)
{
	void *mem = region(2 * HDR);
	shmipc_chan_t ch;

	CHECK(mem);
	CHECK_OK(shmipc_chan_init(mem, 2 * HDR));
	CHECK_FAILS(shmipc_chan_open(mem, 2 * HDR, 0, &ch), -1, EINVAL);
	CHECK_FAILS(shmipc_chan_open(mem, 2 * HDR, 3, &ch), -1, EINVAL);
	CHECK_FAILS(shmipc_chan_open(mem, 2 * HDR, SHMIPC_CHAN_SENDER, NULL), -1, EINVAL);
	CHECK_FAILS(shmipc_chan_open(NULL, 2 * HDR, SHMIPC_CHAN_SENDER, &ch), -1, EINVAL);
	/* A region smaller than the one the channel was laid out in. */
	CHECK_FAILS(shmipc_chan_open(mem, HDR + 64, SHMIPC_CHAN_SENDER, &ch), -1, EINVAL);
	/* None of that took the end. */
	CHECK_OK(shmipc_chan_open(mem, 2 * HDR, SHMIPC_CHAN_SENDER, &ch));
	return 0;
}

static int second_sender_or_receiver_is_ebusy(void)
{
	shmipc_chan_t tx, rx, again;
	void *mem;

	if (setup(2 * HDR, &mem, &tx, &rx))
		return 1;
	CHECK_FAILS(shmipc_chan_open(mem, 2 * HDR, SHMIPC_CHAN_SENDER, &again), -1, EBUSY);
	CHECK_FAILS(shmipc_chan_open(mem, 2 * HDR, SHMIPC_CHAN_RECEIVER, &again), -1, EBUSY);
	/* Each end is opened once per init, closed or not. */
	CHECK_OK(shmipc_chan_close(&tx));
	CHECK_FAILS(shmipc_chan_open(mem, 2 * HDR, SHMIPC_CHAN_SENDER, &again), -1, EBUSY);
	CHECK_OK(shmipc_chan_close(&rx));
	CHECK_OK(shmipc_chan_init(mem, 2 * HDR));
	CHECK_OK(shmipc_chan_open(mem, 2 * HDR, SHMIPC_CHAN_SENDER, &again));
	return 0;
}

static int message_above_msgmax_is_emsgsize(void)
{
	size_t size = HDR + 4096 + 60;	/* the capacity rounds down to 4096 */
	const size_t max = 4096 / 2 - 8;
	static unsigned char buf[8192];
	shmipc_chan_t tx, rx;
	void *mem, *ptr;

	if (setup(size, &mem, &tx, &rx))
		return 1;
	CHECK(shmipc_chan_msgmax(&tx) == (ssize_t)max);
	CHECK(shmipc_chan_msgmax(&rx) == (ssize_t)max);
	CHECK_FAILS(shmipc_chan_send(&tx, buf, max + 1, 0), -1, EMSGSIZE);
	CHECK_FAILS(shmipc_chan_reserve(&tx, max + 1, &ptr, 0), -1, EMSGSIZE);
	CHECK_FAILS(shmipc_chan_send(&tx, buf, 4096, 0), -1, EMSGSIZE);
	/*
	 * The largest fits an empty ring wherever the ring's end falls, in
	 * one thread, without waiting: from every 8-byte offset.
	 */
	for (size_t off = 0; off < 4096; off += 8) {
		if (off) {
			CHECK_OK(shmipc_chan_send(&tx, buf, 0, SHMIPC_CHAN_NONBLOCK));
			CHECK(shmipc_chan_recv(&rx, buf, sizeof(buf), SHMIPC_CHAN_NONBLOCK) == 0);
		}
		fill(buf, max, off);
		CHECK_OK(shmipc_chan_send(&tx, buf, max, SHMIPC_CHAN_NONBLOCK));
		memset(buf, 0, sizeof(buf));
		CHECK(shmipc_chan_recv(&rx, buf, sizeof(buf), SHMIPC_CHAN_NONBLOCK) == (ssize_t)max);
		CHECK(matches(buf, max, off));
	}
	return 0;
}

static int nonblocking_on_empty_or_full_is_eagain(void)
{
	unsigned char buf[64] = { 0 };
	shmipc_chan_t tx, rx;
	const void *ptr;
	size_t len;
	void *mem;
	int sent = 0;

	if (setup(HDR + 1024, &mem, &tx, &rx))
		return 1;
	CHECK_FAILS(shmipc_chan_recv(&rx, buf, sizeof(buf), SHMIPC_CHAN_NONBLOCK), -1, EAGAIN);
	CHECK_FAILS(shmipc_chan_peek(&rx, &ptr, &len, SHMIPC_CHAN_NONBLOCK), -1, EAGAIN);
	/* 64-byte records (56 + 8): 16 fill the 1024 bytes. */
	while (shmipc_chan_send(&tx, buf, 56, SHMIPC_CHAN_NONBLOCK) == 0)
		sent++;
	CHECK(errno == EAGAIN);
	CHECK(sent == 16);
	CHECK(shmipc_chan_recv(&rx, buf, sizeof(buf), SHMIPC_CHAN_NONBLOCK) == 56);
	CHECK_OK(shmipc_chan_send(&tx, buf, 56, SHMIPC_CHAN_NONBLOCK));
	CHECK_FAILS(shmipc_chan_send(&tx, buf, 0, SHMIPC_CHAN_NONBLOCK), -1, EAGAIN);
	CHECK_FAILS(shmipc_chan_send(&tx, buf, 0, 0x2), -1, EINVAL);
	return 0;
}

static int short_buffer_is_emsgsize_and_keeps_the_message(void)
{
	unsigned char buf[100];
	shmipc_chan_t tx, rx;
	void *mem;

	if (setup(2 * HDR, &mem, &tx, &rx))
		return 1;
	fill(buf, 100, 7);
	CHECK_OK(shmipc_chan_send(&tx, buf, 100, 0));
	memset(buf, 0, sizeof(buf));
	CHECK_FAILS(shmipc_chan_recv(&rx, buf, 99, 0), -1, EMSGSIZE);
	CHECK_FAILS(shmipc_chan_recv(&rx, NULL, 0, 0), -1, EMSGSIZE);
	CHECK(shmipc_chan_recv(&rx, buf, 100, 0) == 100);
	CHECK(matches(buf, 100, 7));
	return 0;
}

static int calls_out_of_turn_are_einval(void)
{
	unsigned char buf[16] = { 0 };
	shmipc_chan_t tx, rx, unopened = { 0 };
	const void *cptr;
	void *mem, *ptr;
	size_t len;

	if (setup(2 * HDR, &mem, &tx, &rx))
		return 1;
	/* Each end's calls on the other end. */
	CHECK_FAILS(shmipc_chan_send(&rx, buf, 1, 0), -1, EINVAL);
	CHECK_FAILS(shmipc_chan_reserve(&rx, 1, &ptr, 0), -1, EINVAL);
	CHECK_FAILS(shmipc_chan_recv(&tx, buf, 16, SHMIPC_CHAN_NONBLOCK), -1, EINVAL);
	CHECK_FAILS(shmipc_chan_peek(&tx, &cptr, &len, SHMIPC_CHAN_NONBLOCK), -1, EINVAL);
	/* Commit and release with nothing reserved or peeked. */
	CHECK_FAILS(shmipc_chan_commit(&tx, 0), -1, EINVAL);
	CHECK_FAILS(shmipc_chan_release(&rx), -1, EINVAL);
	/* A second reservation, a send during one, a commit past it. */
	CHECK_OK(shmipc_chan_reserve(&tx, 8, &ptr, 0));
	CHECK_FAILS(shmipc_chan_reserve(&tx, 8, &ptr, 0), -1, EINVAL);
	CHECK_FAILS(shmipc_chan_send(&tx, buf, 1, 0), -1, EINVAL);
	CHECK_FAILS(shmipc_chan_commit(&tx, 9), -1, EINVAL);
	CHECK_OK(shmipc_chan_commit(&tx, 8));
	/* A receive during a peek. */
	CHECK_OK(shmipc_chan_send(&tx, buf, 1, 0));
	CHECK_OK(shmipc_chan_peek(&rx, &cptr, &len, 0));
	CHECK(len == 8);
	CHECK_FAILS(shmipc_chan_recv(&rx, buf, 16, 0), -1, EINVAL);
	CHECK_OK(shmipc_chan_release(&rx));
	CHECK_FAILS(shmipc_chan_release(&rx), -1, EINVAL);
	/* NULL where a pointer is needed; handles never opened or closed. */
	CHECK_FAILS(shmipc_chan_send(&tx, NULL, 1, 0), -1, EINVAL);
	CHECK_FAILS(shmipc_chan_peek(&rx, NULL, &len, 0), -1, EINVAL);
	CHECK_FAILS(shmipc_chan_send(&unopened, buf, 1, 0), -1, EINVAL);
	CHECK_FAILS(shmipc_chan_close(&unopened), -1, EINVAL);
	CHECK_FAILS(shmipc_chan_msgmax(NULL), -1, EINVAL);
	CHECK_OK(shmipc_chan_close(&tx));
	CHECK_FAILS(shmipc_chan_send(&tx, buf, 1, 0), -1, EINVAL);
	CHECK_FAILS(shmipc_chan_close(&tx), -1, EINVAL);
	return 0;
}

static int success_keeps_errno(void)
{
	unsigned char buf[16] = { 0 };
	shmipc_chan_t tx, rx;
	void *mem;

	if (setup(2 * HDR, &mem, &tx, &rx))
		return 1;
	errno = ENOTTY;
	CHECK(shmipc_chan_send(&tx, buf, 5, 0) == 0 && errno == ENOTTY);
	CHECK(shmipc_chan_recv(&rx, buf, 16, 0) == 5 && errno == ENOTTY);
	CHECK(shmipc_chan_close(&tx) == 0 && errno == ENOTTY);
	return 0;
}

/* ---- messages ----------------------------------------------------------- */

static int boundaries_and_order_are_kept(void)
{
	static const size_t sizes[] = { 0, 1, 0, 7, 8, 9, 0, 100, 3, 0 };
	unsigned char buf[128];
	shmipc_chan_t tx, rx;
	void *mem;

	if (setup(HDR + 4096, &mem, &tx, &rx))
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		fill(buf, sizes[i], i);
		CHECK_OK(shmipc_chan_send(&tx, buf, sizes[i], SHMIPC_CHAN_NONBLOCK));
	}
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		memset(buf, 0xff, sizeof(buf));
		CHECK(shmipc_chan_recv(&rx, buf, sizeof(buf), SHMIPC_CHAN_NONBLOCK) ==
		      (ssize_t)sizes[i]);
		CHECK(matches(buf, sizes[i], i));
	}
	CHECK_FAILS(shmipc_chan_recv(&rx, buf, sizeof(buf), SHMIPC_CHAN_NONBLOCK), -1, EAGAIN);
	return 0;
}

/*
 * Sizes that land records everywhere against the ring's end, one to three
 * in flight at a time, for hundreds of laps of a 16 KiB ring.
 */
static int wraparound_with_awkward_sizes_keeps_every_byte(void)
{
	const size_t cap = 16384, max = cap / 2 - 8;
	const size_t sizes[] = { 1, 4095, 4097, max, 0, 4096, 9, max - 1, 4095, 4097, 5000, 7 };
	unsigned char *buf = malloc(cap);
	unsigned long sent = 0, got = 0, sum_in = 0, sum_out = 0;
	shmipc_chan_t tx, rx;
	void *mem;

	CHECK(buf);
	if (setup(HDR + cap, &mem, &tx, &rx))
		return 1;
	CHECK(shmipc_chan_msgmax(&tx) == (ssize_t)max);
	while (got < 4000) {
		/* Send until full (or three are waiting), then take one or two. */
		for (int k = 0; k < 3; k++) {
			size_t len = sizes[sent % ARRAY_SIZE(sizes)];

			fill(buf, len, sent);
			if (shmipc_chan_send(&tx, buf, len, SHMIPC_CHAN_NONBLOCK) < 0) {
				CHECK(errno == EAGAIN);
				break;
			}
			for (size_t i = 0; i < len; i++)
				sum_in += buf[i];
			sent++;
		}
		for (int k = 0; k < 1 + (int)(got % 2) && got < sent; k++) {
			ssize_t n = shmipc_chan_recv(&rx, buf, cap, SHMIPC_CHAN_NONBLOCK);

			CHECK(n == (ssize_t)sizes[got % ARRAY_SIZE(sizes)]);
			CHECK(matches(buf, (size_t)n, got));
			for (ssize_t i = 0; i < n; i++)
				sum_out += buf[i];
			got++;
		}
	}
	while (got < sent) {
		ssize_t n = shmipc_chan_recv(&rx, buf, cap, SHMIPC_CHAN_NONBLOCK);

		CHECK(n == (ssize_t)sizes[got % ARRAY_SIZE(sizes)]);
		for (ssize_t i = 0; i < n; i++)
			sum_out += buf[i];
		got++;
	}
	CHECK(sum_in == sum_out);
	/* Hundreds of laps: the sizes average about 3.9 KiB. */
	CHECK(got * 3900 / cap > 500);
	free(buf);
	return 0;
}

static int zero_copy_commit_of_less_than_reserved(void)
{
	shmipc_chan_t tx, rx;
	const void *in;
	void *mem, *out;
	size_t len;

	if (setup(HDR + 4096, &mem, &tx, &rx))
		return 1;
	CHECK_OK(shmipc_chan_reserve(&tx, 1000, &out, 0));
	CHECK((char *)out > (char *)mem && (char *)out + 1000 <= (char *)mem + HDR + 4096);
	fill(out, 1000, 1);
	CHECK_OK(shmipc_chan_commit(&tx, 300));
	CHECK_OK(shmipc_chan_reserve(&tx, 50, &out, 0));
	CHECK_OK(shmipc_chan_commit(&tx, 0));

	CHECK_OK(shmipc_chan_peek(&rx, &in, &len, 0));
	CHECK(len == 300);
	CHECK(matches(in, 300, 1));
	/* In place: the bytes are in the region, where the sender wrote them. */
	CHECK((const char *)in > (char *)mem && (const char *)in < (char *)mem + HDR + 4096);
	CHECK_OK(shmipc_chan_release(&rx));
	CHECK_OK(shmipc_chan_peek(&rx, &in, &len, 0));
	CHECK(len == 0);
	CHECK_OK(shmipc_chan_release(&rx));
	CHECK_FAILS(shmipc_chan_peek(&rx, &in, &len, SHMIPC_CHAN_NONBLOCK), -1, EAGAIN);
	/* The room a commit left unused is used by the next message. */
	for (int i = 0; i < 100; i++) {
		CHECK_OK(shmipc_chan_reserve(&tx, 2040, &out, SHMIPC_CHAN_NONBLOCK));
		fill(out, 16, i);
		CHECK_OK(shmipc_chan_commit(&tx, 16));
		CHECK_OK(shmipc_chan_peek(&rx, &in, &len, SHMIPC_CHAN_NONBLOCK));
		CHECK(len == 16 && matches(in, 16, i));
		CHECK_OK(shmipc_chan_release(&rx));
	}
	return 0;
}

static int timed_calls_time_out(void)
{
	unsigned char buf[64] = { 0 };
	struct timespec start, ts, bad = harness_in_ms(200);
	shmipc_chan_t tx, rx;
	void *mem;
	long ms;

	if (setup(HDR + 64, &mem, &tx, &rx))
		return 1;
	bad.tv_nsec = 1000000000;
	CHECK_FAILS(shmipc_chan_timedrecv(&rx, buf, 64, 0, &bad), -1, EINVAL);
	CHECK_FAILS(shmipc_chan_timedrecv(&rx, buf, 64, 0, NULL), -1, EINVAL);
	/* The deadline from now: setting up may be slow on a debug kernel. */
	ts = harness_in_ms(200);
	clock_gettime(CLOCK_MONOTONIC, &start);
	CHECK_FAILS(shmipc_chan_timedrecv(&rx, buf, 64, 0, &ts), -1, ETIMEDOUT);
	ms = harness_ms_since(&start);
	NOTE("a receive of 200 ms timed out after %ld ms", ms);
	/* Never early; late only by what a stalled VM may add. */
	CHECK(ms >= 150 && ms < 5000);

	/* Two records of 32 bytes fill the 64. */
	ts = harness_in_ms(200);
	CHECK_OK(shmipc_chan_timedsend(&tx, buf, 24, 0, &ts));
	CHECK_OK(shmipc_chan_timedsend(&tx, buf, 24, 0, &ts));
	ts = harness_in_ms(250);
	clock_gettime(CLOCK_MONOTONIC, &start);
	CHECK_FAILS(shmipc_chan_timedsend(&tx, buf, 1, 0, &ts), -1, ETIMEDOUT);
	ms = harness_ms_since(&start);
	NOTE("a send of 250 ms timed out after %ld ms", ms);
	CHECK(ms >= 200 && ms < 5000);
	CHECK(shmipc_chan_timedrecv(&rx, buf, 64, 0, &ts) == 24);
	return 0;
}

/* ---- two processes ------------------------------------------------------ */

struct peer {
	int fd;			/* a memfd to map afresh, or -1: use mem */
	void *mem;
	size_t size;
	unsigned long count;	/* messages */
	size_t cap;		/* of the ring, for message sizes */
	long die_after_ms;	/* raise(SIGKILL) then; 0: never */
	int ready[2];		/* a pipe: one byte once the end is open */
};

static void *peer_mem(struct peer *p)
{
	void *m;

	if (p->fd < 0)
		return p->mem;
	/* A mapping of its own, at another address, as another attach would be. */
	m = mmap(NULL, p->size, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd, 0);
	return m == MAP_FAILED ? NULL : m;
}

static void say_ready(struct peer *p)
{
	char c = 1;

	if (write(p->ready[1], &c, 1) != 1)
		_exit(3);
}

static int wait_ready(struct peer *p)
{
	char c;

	return read(p->ready[0], &c, 1) == 1 ? 0 : -1;
}

/* Sends count messages of sizes 0 .. cap/2, blocking whenever full. */
static int sender_child(void *arg)
{
	struct peer *p = arg;
	unsigned char *buf = malloc(p->cap);
	void *mem = peer_mem(p);
	shmipc_chan_t tx;

	CHECK(buf && mem && mem != p->mem);
	CHECK_OK(shmipc_chan_open(mem, p->size, SHMIPC_CHAN_SENDER, &tx));
	say_ready(p);
	for (unsigned long n = 0; n < p->count; n++) {
		size_t len = (n * 37) % (p->cap / 2 - 8);

		fill(buf, len, n);
		CHECK_OK(shmipc_chan_send(&tx, buf, len, 0));
	}
	CHECK_OK(shmipc_chan_close(&tx));
	return 0;
}

static int blocking_between_processes_at_different_addresses(void)
{
	struct peer p = { .size = HDR + 4096, .count = 20000, .cap = 4096 };
	unsigned char buf[4096];
	shmipc_chan_t rx;
	pid_t pid;

	p.fd = memfd_create("shmipc-chan-test", MFD_CLOEXEC);
	CHECK(p.fd >= 0 && ftruncate(p.fd, (off_t)p.size) == 0);
	p.mem = mmap(NULL, p.size, PROT_READ | PROT_WRITE, MAP_SHARED, p.fd, 0);
	CHECK(p.mem != MAP_FAILED && pipe(p.ready) == 0);
	CHECK_OK(shmipc_chan_init(p.mem, p.size));
	CHECK_OK(shmipc_chan_open(p.mem, p.size, SHMIPC_CHAN_RECEIVER, &rx));
	pid = spawn(sender_child, &p);
	CHECK(pid > 0);
	for (unsigned long n = 0; n < p.count; n++) {
		ssize_t len = shmipc_chan_recv(&rx, buf, sizeof(buf), 0);

		CHECK(len == (ssize_t)((n * 37) % (p.cap / 2 - 8)));
		CHECK(matches(buf, (size_t)len, n));
		/* Now and then a slow receiver, so that the sender blocks too. */
		if (n % 5000 == 0)
			harness_msleep(20);
	}
	CHECK_FAILS(shmipc_chan_recv(&rx, buf, sizeof(buf), 0), -1, EPIPE);
	CHECK(exit_status(pid) == 0);
	return 0;
}

/* A receiver that reads count messages, then closes (or dies). */
static int receiver_child(void *arg)
{
	struct peer *p = arg;
	unsigned char *buf = malloc(p->cap);
	shmipc_chan_t rx;

	CHECK(buf);
	CHECK_OK(shmipc_chan_open(p->mem, p->size, SHMIPC_CHAN_RECEIVER, &rx));
	say_ready(p);
	for (unsigned long n = 0; n < p->count; n++)
		CHECK(shmipc_chan_recv(&rx, buf, p->cap, 0) >= 0);
	if (p->die_after_ms) {
		harness_msleep(p->die_after_ms);
		raise(SIGKILL);
	}
	CHECK_OK(shmipc_chan_close(&rx));
	return 0;
}

static int receiver_drains_everything_then_gets_epipe(void)
{
	unsigned char buf[64];
	shmipc_chan_t tx, rx;
	void *mem;

	if (setup(HDR + 4096, &mem, &tx, &rx))
		return 1;
	for (int i = 0; i < 10; i++) {
		fill(buf, (size_t)i, i);
		CHECK_OK(shmipc_chan_send(&tx, buf, (size_t)i, 0));
	}
	CHECK_OK(shmipc_chan_close(&tx));
	for (int i = 0; i < 10; i++) {
		CHECK(shmipc_chan_recv(&rx, buf, sizeof(buf), 0) == i);
		CHECK(matches(buf, (size_t)i, i));
	}
	CHECK_FAILS(shmipc_chan_recv(&rx, buf, sizeof(buf), 0), -1, EPIPE);
	CHECK_FAILS(shmipc_chan_recv(&rx, buf, sizeof(buf), SHMIPC_CHAN_NONBLOCK), -1, EPIPE);
	return 0;
}

static int sender_gets_epipe_once_receiver_closed(void)
{
	unsigned char buf[64] = { 0 };
	struct peer p = { .fd = -1, .size = HDR + 256, .cap = 256, .count = 1 };
	struct timespec start;
	shmipc_chan_t tx;
	pid_t pid;

	p.mem = region(p.size);
	CHECK(p.mem && pipe(p.ready) == 0);
	CHECK_OK(shmipc_chan_init(p.mem, p.size));
	CHECK_OK(shmipc_chan_open(p.mem, p.size, SHMIPC_CHAN_SENDER, &tx));
	pid = spawn(receiver_child, &p);
	CHECK(pid > 0 && wait_ready(&p) == 0);
	/* The receiver takes one and closes; the sender blocks on a full ring. */
	CHECK_OK(shmipc_chan_send(&tx, buf, 1, 0));
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (shmipc_chan_send(&tx, buf, 56, 0) < 0)
			break;
	}
	CHECK(errno == EPIPE);
	CHECK(exit_status(pid) == 0);
	CHECK(harness_ms_since(&start) < 2000);
	CHECK_FAILS(shmipc_chan_send(&tx, buf, 1, SHMIPC_CHAN_NONBLOCK), -1, EPIPE);
	return 0;
}

static int killed_receiver_wakes_blocked_sender_with_econnreset(void)
{
	unsigned char buf[64] = { 0 };
	struct peer p = { .fd = -1, .size = HDR + 256, .cap = 256, .count = 1,
			  .die_after_ms = 300 };
	struct timespec start;
	shmipc_chan_t tx;
	pid_t pid;
	int ret;

	p.mem = region(p.size);
	CHECK(p.mem && pipe(p.ready) == 0);
	CHECK_OK(shmipc_chan_init(p.mem, p.size));
	CHECK_OK(shmipc_chan_open(p.mem, p.size, SHMIPC_CHAN_SENDER, &tx));
	pid = spawn(receiver_child, &p);
	CHECK(pid > 0 && wait_ready(&p) == 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	CHECK_OK(shmipc_chan_send(&tx, buf, 1, 0));
	/* Fill the ring: the last send blocks until the receiver is dead. */
	do
		ret = shmipc_chan_send(&tx, buf, 56, 0);
	while (ret == 0);
	CHECK(errno == ECONNRESET);
	NOTE("sender told after %ld ms", harness_ms_since(&start));
	CHECK(harness_ms_since(&start) >= 250 && harness_ms_since(&start) < 2000);
	CHECK(exit_status(pid) == 128 + SIGKILL);
	CHECK_FAILS(shmipc_chan_send(&tx, buf, 1, SHMIPC_CHAN_NONBLOCK), -1, ECONNRESET);
	return 0;
}

/* A sender that sends count messages, then dies after die_after_ms. */
static int dying_sender_child(void *arg)
{
	struct peer *p = arg;
	unsigned char buf[64];
	shmipc_chan_t tx;

	CHECK_OK(shmipc_chan_open(p->mem, p->size, SHMIPC_CHAN_SENDER, &tx));
	for (unsigned long n = 0; n < p->count; n++) {
		fill(buf, 10, n);
		CHECK_OK(shmipc_chan_send(&tx, buf, 10, 0));
	}
	say_ready(p);
	harness_msleep(p->die_after_ms);
	raise(SIGKILL);
	return 1;
}

static int killed_sender_wakes_blocked_receiver_with_econnreset(void)
{
	struct peer p = { .fd = -1, .size = HDR + 4096, .count = 0, .die_after_ms = 300 };
	unsigned char buf[64];
	struct timespec start;
	shmipc_chan_t rx;
	pid_t pid;

	p.mem = region(p.size);
	CHECK(p.mem && pipe(p.ready) == 0);
	CHECK_OK(shmipc_chan_init(p.mem, p.size));
	CHECK_OK(shmipc_chan_open(p.mem, p.size, SHMIPC_CHAN_RECEIVER, &rx));
	pid = spawn(dying_sender_child, &p);
	CHECK(pid > 0 && wait_ready(&p) == 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	CHECK_FAILS(shmipc_chan_recv(&rx, buf, sizeof(buf), 0), -1, ECONNRESET);
	NOTE("receiver told after %ld ms", harness_ms_since(&start));
	CHECK(harness_ms_since(&start) >= 250 && harness_ms_since(&start) < 2000);
	CHECK(exit_status(pid) == 128 + SIGKILL);
	return 0;
}

static int dead_senders_messages_come_before_econnreset(void)
{
	struct peer p = { .fd = -1, .size = HDR + 4096, .count = 5, .die_after_ms = 1 };
	unsigned char buf[64];
	shmipc_chan_t rx;
	pid_t pid;

	p.mem = region(p.size);
	CHECK(p.mem && pipe(p.ready) == 0);
	CHECK_OK(shmipc_chan_init(p.mem, p.size));
	CHECK_OK(shmipc_chan_open(p.mem, p.size, SHMIPC_CHAN_RECEIVER, &rx));
	pid = spawn(dying_sender_child, &p);
	CHECK(pid > 0);
	/* Dead before the receiver ever looks. */
	CHECK(exit_status(pid) == 128 + SIGKILL);
	for (unsigned long n = 0; n < p.count; n++) {
		CHECK(shmipc_chan_recv(&rx, buf, sizeof(buf), SHMIPC_CHAN_NONBLOCK) == 10);
		CHECK(matches(buf, 10, n));
	}
	CHECK_FAILS(shmipc_chan_recv(&rx, buf, sizeof(buf), SHMIPC_CHAN_NONBLOCK), -1, ECONNRESET);
	CHECK_FAILS(shmipc_chan_recv(&rx, buf, sizeof(buf), 0), -1, ECONNRESET);
	return 0;
}

static int receiver_waits_for_a_sender_not_yet_there(void)
{
	struct peer p = { .fd = -1, .size = HDR + 4096, .count = 1, .die_after_ms = 1 };
	unsigned char buf[64];
	shmipc_chan_t rx;
	struct timespec ts = harness_in_ms(400);
	pid_t pid;

	p.mem = region(p.size);
	CHECK(p.mem && pipe(p.ready) == 0);
	CHECK_OK(shmipc_chan_init(p.mem, p.size));
	CHECK_OK(shmipc_chan_open(p.mem, p.size, SHMIPC_CHAN_RECEIVER, &rx));
	/* No sender yet: not an error, just nothing to read. */
	CHECK_FAILS(shmipc_chan_recv(&rx, buf, sizeof(buf), SHMIPC_CHAN_NONBLOCK), -1, EAGAIN);
	CHECK_FAILS(shmipc_chan_timedrecv(&rx, buf, sizeof(buf), 0, &ts), -1, ETIMEDOUT);
	pid = spawn(dying_sender_child, &p);
	CHECK(pid > 0);
	CHECK(shmipc_chan_recv(&rx, buf, sizeof(buf), 0) == 10);
	CHECK_FAILS(shmipc_chan_recv(&rx, buf, sizeof(buf), 0), -1, ECONNRESET);
	CHECK(exit_status(pid) == 128 + SIGKILL);
	return 0;
}

/* ---- a long random transfer ---------------------------------------------- */

#define RANDOM_TOTAL	(48ul << 20)
#define RANDOM_SEED	0x9e3779b97f4a7c15ull

/* Half small messages, half up to max: the same sizes on both sides. */
static size_t rand_len(uint64_t *s, size_t max)
{
	uint64_t r = next_rand(s);

	return r & 1 ? (r >> 1) % (max + 1) : (r >> 1) % 300;
}

/* Random sizes up to msgmax, filled from one stream of random bytes. */
static int random_sender(void *arg)
{
	struct peer *p = arg;
	uint64_t sizes = RANDOM_SEED, bytes = RANDOM_SEED ^ 1;
	size_t total = 0;
	shmipc_chan_t tx;
	ssize_t max;

	CHECK_OK(shmipc_chan_open(p->mem, p->size, SHMIPC_CHAN_SENDER, &tx));
	max = shmipc_chan_msgmax(&tx);
	while (total < RANDOM_TOTAL) {
		size_t len = rand_len(&sizes, (size_t)max);
		unsigned char *out;
		void *ptr;

		/* Half through the zero-copy calls, reserving more than used. */
		if (total & 1) {
			size_t more = len + 1000 < (size_t)max ? len + 1000 : (size_t)max;

			CHECK_OK(shmipc_chan_reserve(&tx, more, &ptr, 0));
			out = ptr;
		} else {
			out = malloc(len + 1);
			CHECK(out);
		}
		for (size_t i = 0; i < len; i++)
			out[i] = (unsigned char)next_rand(&bytes);
		if (total & 1) {
			CHECK_OK(shmipc_chan_commit(&tx, len));
		} else {
			CHECK_OK(shmipc_chan_send(&tx, out, len, 0));
			free(out);
		}
		total += len + 1;	/* + 1: the parity of total changes */
	}
	CHECK_OK(shmipc_chan_close(&tx));
	return 0;
}

static int random_sizes_tens_of_mib_arrive_byte_exact(void)
{
	struct peer p = { .fd = -1, .size = HDR + (256 << 10) };
	uint64_t sizes = RANDOM_SEED, bytes = RANDOM_SEED ^ 1;
	size_t total = 0, msgs = 0;
	unsigned char *buf;
	shmipc_chan_t rx;
	pid_t pid;

	p.mem = region(p.size);
	buf = malloc(p.size);
	CHECK(p.mem && buf);
	CHECK_OK(shmipc_chan_init(p.mem, p.size));
	CHECK_OK(shmipc_chan_open(p.mem, p.size, SHMIPC_CHAN_RECEIVER, &rx));
	pid = spawn(random_sender, &p);
	CHECK(pid > 0);
	for (;;) {
		const void *in;
		size_t len, want;
		ssize_t n;

		/* Half in place, half copied out. */
		if (msgs & 1) {
			if (shmipc_chan_peek(&rx, &in, &len, 0) < 0)
				break;
		} else {
			n = shmipc_chan_recv(&rx, buf, p.size, 0);
			if (n < 0)
				break;
			in = buf;
			len = (size_t)n;
		}
		want = rand_len(&sizes, (size_t)shmipc_chan_msgmax(&rx));
		CHECK(len == want);
		for (size_t i = 0; i < len; i++)
			if (((const unsigned char *)in)[i] != (unsigned char)next_rand(&bytes)) {
				NOTE("message %zu differs at byte %zu", msgs, i);
				return 1;
			}
		if (msgs & 1)
			CHECK_OK(shmipc_chan_release(&rx));
		total += len + 1;
		msgs++;
	}
	CHECK(errno == EPIPE);
	CHECK(total >= RANDOM_TOTAL);
	NOTE("%zu messages, %zu MiB", msgs, total >> 20);
	CHECK(exit_status(pid) == 0);
	return 0;
}

/* ---- shmcp's transfer loop ------------------------------------------------ */

struct copy {
	void *mem;
	size_t size;
	int fd;			/* the file to send */
};

/* The sender, and how far the receiver lets it get before killing it. */
static pid_t copy_sender;
static uint64_t copy_kill_at;

static void kill_sender_at(const struct shmcp_xfer *x)
{
	if (copy_kill_at && x->bytes >= copy_kill_at) {
		kill(copy_sender, SIGKILL);
		copy_kill_at = 0;
	}
}

static int shmcp_sender_child(void *arg)
{
	struct copy *c = arg;
	struct shmcp_xfer x = { .fd = c->fd };
	shmipc_chan_t tx;

	CHECK_OK(shmipc_chan_open(c->mem, c->size, SHMIPC_CHAN_SENDER, &tx));
	if (shmcp_send(&tx, &x) < 0) {
		NOTE("shmcp_send: %s: %s", x.what, strerror(errno));
		return 1;
	}
	return 0;
}

/* Copies len random bytes through shmcp_send and shmcp_recv; compares. */
static int shmcp_copies(size_t len, size_t chan_size, long kill_after, int want_errno)
{
	char in_path[] = "/tmp/shmcp-test-in-XXXXXX", out_path[] = "/tmp/shmcp-test-out-XXXXXX";
	int in = mkstemp(in_path), out = mkstemp(out_path);
	struct copy c = { .size = chan_size };
	struct shmcp_xfer x = { .progress = kill_sender_at };
	unsigned char *data = malloc(len + 1), *back = malloc(len + 1);
	uint64_t r = RANDOM_SEED;
	shmipc_chan_t rx;
	struct stat st;
	int ret, err;
	pid_t pid;

	CHECK(in >= 0 && out >= 0 && data && back);
	unlink(in_path);
	unlink(out_path);
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)next_rand(&r);
	CHECK(write(in, data, len) == (ssize_t)len && lseek(in, 0, SEEK_SET) == 0);

	c.mem = region(chan_size);
	c.fd = in;
	CHECK(c.mem);
	CHECK_OK(shmipc_chan_init(c.mem, chan_size));
	CHECK_OK(shmipc_chan_open(c.mem, chan_size, SHMIPC_CHAN_RECEIVER, &rx));
	pid = spawn(shmcp_sender_child, &c);
	CHECK(pid > 0);
	copy_sender = pid;
	copy_kill_at = kill_after > 0 ? (uint64_t)kill_after : 0;
	x.fd = out;
	ret = shmcp_recv(&rx, &x);
	err = errno;
	if (want_errno) {
		CHECK(ret == -1 && err == want_errno);
		CHECK(strcmp(x.what, "channel") == 0);
		CHECK(exit_status(pid) == 128 + SIGKILL);
		CHECK(x.bytes >= (uint64_t)kill_after && x.bytes < len);
		return 0;
	}
	if (ret < 0)
		NOTE("shmcp_recv: %s: %s", x.what, strerror(err));
	CHECK(ret == 0);
	CHECK(exit_status(pid) == 0);
	CHECK(x.bytes == len);
	CHECK(fstat(out, &st) == 0 && (size_t)st.st_size == len);
	CHECK(pread(out, back, len + 1, 0) == (ssize_t)len);
	CHECK(memcmp(data, back, len) == 0);
	free(data);
	free(back);
	return 0;
}

static int shmcp_copies_empty_file(void)
{
	return shmcp_copies(0, HDR + 65536, -1, 0);
}

static int shmcp_copies_one_byte(void)
{
	return shmcp_copies(1, HDR + 65536, -1, 0);
}

static int shmcp_copies_a_page_and_either_side(void)
{
	return shmcp_copies(4095, HDR + 4096, -1, 0) || shmcp_copies(4096, HDR + 4096, -1, 0) ||
	       shmcp_copies(4097, HDR + 4096, -1, 0);
}

static int shmcp_copies_tens_of_mib(void)
{
	return shmcp_copies((40 << 20) + 12345, HDR + (4 << 20), -1, 0);
}

static int shmcp_receiver_reports_a_killed_sender(void)
{
	return shmcp_copies(8 << 20, HDR + (1 << 20), 3 << 20, ECONNRESET);
}

static const struct harness_test tests[] = {
	TEST(init_refuses_bad_regions),
	TEST(open_of_zero_filled_region_is_einval),
	TEST(open_refuses_bad_arguments),
	TEST(second_sender_or_receiver_is_ebusy),
	TEST(message_above_msgmax_is_emsgsize),
	TEST(nonblocking_on_empty_or_full_is_eagain),
	TEST(short_buffer_is_emsgsize_and_keeps_the_message),
	TEST(calls_out_of_turn_are_einval),
	TEST(success_keeps_errno),
	TEST(boundaries_and_order_are_kept),
	TEST(wraparound_with_awkward_sizes_keeps_every_byte),
	TEST(zero_copy_commit_of_less_than_reserved),
	TEST(timed_calls_time_out),
	TEST_SLOW(blocking_between_processes_at_different_addresses, 60),
	TEST(receiver_drains_everything_then_gets_epipe),
	TEST(sender_gets_epipe_once_receiver_closed),
	TEST(killed_receiver_wakes_blocked_sender_with_econnreset),
	TEST(killed_sender_wakes_blocked_receiver_with_econnreset),
	TEST(dead_senders_messages_come_before_econnreset),
	TEST(receiver_waits_for_a_sender_not_yet_there),
	TEST_SLOW(random_sizes_tens_of_mib_arrive_byte_exact, 120),
	TEST(shmcp_copies_empty_file),
	TEST(shmcp_copies_one_byte),
	TEST(shmcp_copies_a_page_and_either_side),
	TEST_SLOW(shmcp_copies_tens_of_mib, 120),
	TEST(shmcp_receiver_reports_a_killed_sender),
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, tests, ARRAY_SIZE(tests));
}

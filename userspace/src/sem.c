// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libshmipc: process-shared counting semaphores on futex(2).
 *
 * A semaphore is two 32-bit words in shared memory. _value holds the
 * count in its low 31 bits and, in bit 31, SEM_WAITERS: "a waiter may be
 * asleep, the next post must wake one". _nwaiters counts the waiters that
 * are in the slow path of a wait; only waiters touch it.
 *
 * A waiter takes a unit by compare-and-swap while the count is above
 * zero; otherwise it sets SEM_WAITERS and sleeps on the _value futex,
 * which the kernel lets it do only while _value still reads "count 0,
 * SEM_WAITERS set". A post adds a unit and clears SEM_WAITERS in one
 * compare-and-swap, and wakes one sleeper if the flag was set. So:
 *
 * - An uncontended post or wait is one atomic instruction on one word
 *   and no system call.
 *
 * - A post touches the semaphore's memory once, in the compare-and-swap
 *   that makes the unit available. A waiter may take that unit, return,
 *   and unmap or reuse the memory at once (the pattern of glibc bug
 *   12674): the poster's FUTEX_WAKE then names an address, which the
 *   kernel looks up and finds unmapped (EFAULT, ignored) or finds to be
 *   other memory (a spurious wake-up there, which futex users allow).
 *
 * - No wake-up is lost. A sleeper sleeps only on a _value that has
 *   SEM_WAITERS set; the post that clears the flag wakes one sleeper.
 *   The others were asleep before that post, so the one woken passes
 *   the duty on: when it has taken its unit and _nwaiters says others
 *   remain, it sets SEM_WAITERS again, and wakes one of them at once if
 *   units are left (posts made in between saw no flag and woke nobody).
 *   A woken waiter that finds no unit sets the flag and sleeps again.
 *
 * - A waiter killed in its sleep costs little. It leaves SEM_WAITERS
 *   set, so the next post makes one useless FUTEX_WAKE and clears the
 *   flag; posts after it make no system call. Its count stays in
 *   _nwaiters, which only makes a woken waiter pass the duty on when it
 *   need not: one more FUTEX_WAKE per wait that had to sleep, never one
 *   per post. (With a count of waiters read by posts, as before, a dead
 *   waiter made every later post a system call.)
 *
 * All accesses are sequentially consistent.
 *
 * The futex calls are the shared ones, never FUTEX_*_PRIVATE: a private
 * futex is keyed by (address space, address), which would not match a
 * waiter in another process, nor one that attached the segment at another
 * address. The shared ones are keyed by the page under the address.
 *
 * The public header declares the words as plain unsigned ints (C++ and
 * C89 users include it), so they are accessed with the compiler's
 * __atomic builtins, which are defined on plain objects.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

_Static_assert(sizeof(shmipc_sem_t) == 8, "shmipc_sem_t layout is ABI");
_Static_assert(SHMIPC_SEM_VALUE_MAX <= 0x7fffffff,
	       "the value must fit in the int of shmipc_sem_getvalue()");

#define NSEC_PER_SEC	1000000000L

/* The bits of _value: the count, and the flag that a waiter may sleep. */
#define SEM_COUNT	0x7fffffffu
#define SEM_WAITERS	0x80000000u
_Static_assert(SHMIPC_SEM_VALUE_MAX == SEM_COUNT,
	       "every count fits below SEM_WAITERS");

/*
 * futex(2), returning 0 or the error number and leaving errno alone, so
 * that the successful paths keep the caller's errno.
 */
static int futex(unsigned int *uaddr, int op, unsigned int val,
		 const struct timespec *timeout, unsigned int val3)
{
	int saved_errno = errno;
	int err = 0;

	if (syscall(SYS_futex, uaddr, op, val, timeout, NULL, val3) < 0)
		err = errno;
	errno = saved_errno;
	return err;
}

/*
 * Sleep while *uaddr is val, until a wake-up, a signal, or abs_timeout on
 * CLOCK_REALTIME passes (NULL: no timeout). FUTEX_WAIT takes a relative
 * timeout on CLOCK_MONOTONIC; FUTEX_WAIT_BITSET with FUTEX_CLOCK_REALTIME
 * takes the absolute realtime deadline as is, so the wait follows clock
 * changes as sem_timedwait() does, and needs no clock reading here.
 */
static int futex_wait(unsigned int *uaddr, unsigned int val,
		      const struct timespec *abs_timeout)
{
	if (!abs_timeout)
		return futex(uaddr, FUTEX_WAIT, val, NULL, 0);
	return futex(uaddr, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, val,
		     abs_timeout, FUTEX_BITSET_MATCH_ANY);
}

static void futex_wake_one(unsigned int *uaddr)
{
	/* Cannot fail on a word we just wrote; nothing to report if it did. */
	futex(uaddr, FUTEX_WAKE, 1, NULL, 0);
}

/* NULL, or not aligned for a futex word (the kernel would say EINVAL). */
static bool sem_bad(const shmipc_sem_t *sem)
{
	return !sem || ((uintptr_t)sem & (_Alignof(unsigned int) - 1));
}

static int fail(int err)
{
	errno = err;
	return -1;
}

static unsigned int count_of(unsigned int value)
{
	return value & SEM_COUNT;
}

static bool try_decrement(shmipc_sem_t *sem)
{
	unsigned int value = __atomic_load_n(&sem->_value, __ATOMIC_SEQ_CST);

	/* The decrement keeps SEM_WAITERS as it is. */
	while (count_of(value) > 0) {
		if (__atomic_compare_exchange_n(&sem->_value, &value, value - 1,
						true, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return true;
	}
	return false;
}

/*
 * Take a unit, or set SEM_WAITERS and sleep until a post: 0 when a unit
 * was taken, else the error that ended the wait. *woken tells whether a
 * FUTEX_WAKE ended a sleep of ours, and so whether the post that sent it
 * cleared SEM_WAITERS with other sleepers still asleep.
 */
static int take_or_sleep(shmipc_sem_t *sem, const struct timespec *abs_timeout,
			 bool *woken)
{
	unsigned int value = __atomic_load_n(&sem->_value, __ATOMIC_SEQ_CST);
	int err;

	for (;;) {
		if (count_of(value) > 0) {
			if (__atomic_compare_exchange_n(&sem->_value, &value,
							value - 1, true,
							__ATOMIC_SEQ_CST,
							__ATOMIC_SEQ_CST))
				return 0;
			continue;
		}
		if (!(value & SEM_WAITERS)) {
			if (!__atomic_compare_exchange_n(&sem->_value, &value,
							 value | SEM_WAITERS,
							 true, __ATOMIC_SEQ_CST,
							 __ATOMIC_SEQ_CST))
				continue;
			value |= SEM_WAITERS;
		}
		/*
		 * 0: woken, or spurious. EAGAIN: _value changed before the
		 * kernel queued us. Either way, look again. EINTR, ETIMEDOUT
		 * and the rest end the wait.
		 */
		err = futex_wait(&sem->_value, value, abs_timeout);
		if (err && err != EAGAIN)
			return err;
		if (!err)
			*woken = true;
		value = __atomic_load_n(&sem->_value, __ATOMIC_SEQ_CST);
	}
}

static int wait_slow(shmipc_sem_t *sem, const struct timespec *abs_timeout)
{
	bool woken = false;
	unsigned int others;
	int err;

	__atomic_fetch_add(&sem->_nwaiters, 1, __ATOMIC_SEQ_CST);
	err = take_or_sleep(sem, abs_timeout, &woken);
	others = __atomic_sub_fetch(&sem->_nwaiters, 1, __ATOMIC_SEQ_CST);

	/*
	 * A wake-up is only ever consumed by a wait that then returns 0 (the
	 * kernel reports a woken waiter as woken even if its timeout or a
	 * signal came too), so only a successful waiter passes the duty of
	 * the cleared SEM_WAITERS on to the waiters still registered.
	 */
	if (!err && woken && others > 0 &&
	    count_of(__atomic_fetch_or(&sem->_value, SEM_WAITERS,
				       __ATOMIC_SEQ_CST)) > 0)
		futex_wake_one(&sem->_value);

	return err ? fail(err) : 0;
}

int shmipc_sem_init(shmipc_sem_t *sem, unsigned int value)
{
	if (sem_bad(sem) || value > SHMIPC_SEM_VALUE_MAX)
		return fail(EINVAL);

	__atomic_store_n(&sem->_nwaiters, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sem->_value, value, __ATOMIC_SEQ_CST);
	return 0;
}

int shmipc_sem_trywait(shmipc_sem_t *sem)
{
	if (sem_bad(sem))
		return fail(EINVAL);
	return try_decrement(sem) ? 0 : fail(EAGAIN);
}

int shmipc_sem_wait(shmipc_sem_t *sem)
{
	if (sem_bad(sem))
		return fail(EINVAL);
	if (try_decrement(sem))
		return 0;
	return wait_slow(sem, NULL);
}

int shmipc_sem_timedwait(shmipc_sem_t *sem, const struct timespec *abs_timeout)
{
	if (sem_bad(sem) || !abs_timeout)
		return fail(EINVAL);
	/* Checked before the fast path, as glibc does: a bad call fails always. */
	if (abs_timeout->tv_nsec < 0 || abs_timeout->tv_nsec >= NSEC_PER_SEC)
		return fail(EINVAL);
	if (try_decrement(sem))
		return 0;
	/* A deadline before 1970 has passed; the kernel would call it EINVAL. */
	if (abs_timeout->tv_sec < 0)
		return fail(ETIMEDOUT);
	return wait_slow(sem, abs_timeout);
}

int shmipc_sem_post(shmipc_sem_t *sem)
{
	unsigned int value;

	if (sem_bad(sem))
		return fail(EINVAL);

	/*
	 * One compare-and-swap adds the unit and clears SEM_WAITERS; after
	 * it, *sem may be gone (see the head of this file), so the wake-up
	 * uses only its address and what the swap returned.
	 */
	value = __atomic_load_n(&sem->_value, __ATOMIC_SEQ_CST);
	do {
		if (count_of(value) >= SHMIPC_SEM_VALUE_MAX)
			return fail(EOVERFLOW);
	} while (!__atomic_compare_exchange_n(&sem->_value, &value,
					      count_of(value) + 1, true,
					      __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST));

	if (value & SEM_WAITERS)
		futex_wake_one(&sem->_value);
	return 0;
}

int shmipc_sem_getvalue(const shmipc_sem_t *sem, int *sval)
{
	if (sem_bad(sem) || !sval)
		return fail(EINVAL);
	*sval = (int)count_of(__atomic_load_n(&sem->_value, __ATOMIC_SEQ_CST));
	return 0;
}

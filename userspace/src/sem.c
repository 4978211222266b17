// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libshmipc: process-shared counting semaphores on futex(2).
 *
 * A semaphore is two 32-bit words in shared memory: the value, and the
 * number of threads that are about to sleep or asleep on it. A waiter
 * takes a unit by compare-and-swap while the value is above zero, and
 * otherwise counts itself in _nwaiters and sleeps on the value's futex
 * until the value stops being zero. A poster adds a unit and wakes one
 * sleeper only when _nwaiters says there may be one, so an uncontended
 * post or wait is a single atomic instruction and no system call.
 *
 * No wake-up is lost: the waiter increments _nwaiters before reading the
 * value, the poster increments the value before reading _nwaiters (all
 * sequentially consistent), so at least one of them sees the other; and
 * FUTEX_WAIT sleeps only if the value is still 0 when the kernel looks.
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
 * Sleep while *uaddr is 0, until a wake-up, a signal, or abs_timeout on
 * CLOCK_REALTIME passes (NULL: no timeout). FUTEX_WAIT takes a relative
 * timeout on CLOCK_MONOTONIC; FUTEX_WAIT_BITSET with FUTEX_CLOCK_REALTIME
 * takes the absolute realtime deadline as is, so the wait follows clock
 * changes as sem_timedwait() does, and needs no clock reading here.
 */
static int futex_wait_zero(unsigned int *uaddr, const struct timespec *abs_timeout)
{
	if (!abs_timeout)
		return futex(uaddr, FUTEX_WAIT, 0, NULL, 0);
	return futex(uaddr, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0,
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

static bool try_decrement(shmipc_sem_t *sem)
{
	unsigned int value = __atomic_load_n(&sem->_value, __ATOMIC_SEQ_CST);

	while (value > 0) {
		if (__atomic_compare_exchange_n(&sem->_value, &value, value - 1,
						true, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return true;
	}
	return false;
}

static int wait_slow(shmipc_sem_t *sem, const struct timespec *abs_timeout)
{
	int err = 0;

	__atomic_fetch_add(&sem->_nwaiters, 1, __ATOMIC_SEQ_CST);
	while (!try_decrement(sem)) {
		err = futex_wait_zero(&sem->_value, abs_timeout);
		/*
		 * 0: woken, or spurious. EAGAIN: the value was no longer 0.
		 * Either way, try again. EINTR, ETIMEDOUT and the rest end
		 * the wait.
		 */
		if (err && err != EAGAIN)
			break;
		err = 0;
	}
	__atomic_fetch_sub(&sem->_nwaiters, 1, __ATOMIC_SEQ_CST);

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

	value = __atomic_load_n(&sem->_value, __ATOMIC_SEQ_CST);
	do {
		if (value >= SHMIPC_SEM_VALUE_MAX)
			return fail(EOVERFLOW);
	} while (!__atomic_compare_exchange_n(&sem->_value, &value, value + 1,
					      true, __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST));

	if (__atomic_load_n(&sem->_nwaiters, __ATOMIC_SEQ_CST) > 0)
		futex_wake_one(&sem->_value);
	return 0;
}

int shmipc_sem_getvalue(const shmipc_sem_t *sem, int *sval)
{
	if (sem_bad(sem) || !sval)
		return fail(EINVAL);
	*sval = (int)__atomic_load_n(&sem->_value, __ATOMIC_SEQ_CST);
	return 0;
}

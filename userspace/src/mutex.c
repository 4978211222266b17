// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libshmipc: a process-shared mutex that survives its owner's death.
 *
 * It is glibc's robust, process-shared, error-checking pthread mutex in
 * a slot of fixed size. Robustness needs the kernel's robust futex list:
 * each thread registers one list head with set_robust_list(2), and at the
 * thread's death the kernel walks that list and marks each mutex on it
 * FUTEX_OWNER_DIED, waking a waiter. A thread has a single list head, and
 * glibc owns it, so a mutex of our own could only be robust by imitating
 * glibc's private mutex layout; wrapping the real thing is the honest way.
 *
 * The slot is 64 bytes and 8-aligned on every ABI, so a structure that
 * holds one has the same layout in i386 and x86-64 programs; the
 * pthread_mutex_t inside does not (24 and 40 bytes, fields in another
 * order), so the slot's last word records the ABI that initialised it and
 * a process of the other ABI is refused with EINVAL rather than allowed
 * to corrupt it. The same word tells an initialised mutex from zeroes: a
 * zero-filled pthread_mutex_t is a valid mutex, but neither robust nor
 * process-shared, and would lock "fine" until its owner died.
 *
 * Like the pthread calls they mirror, these return an error number and
 * leave errno alone.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "internal.h"

/* "SHMX" and the pointer size of the ABI that initialised the mutex. */
#define MUTEX_MAGIC	(0x53484d58u ^ (unsigned int)sizeof(void *))

/*
 * What a locker must know of an owner's death, kept beside the mutex
 * (written by the owner alone): glibc marks a mutex not recoverable, but
 * its trylock then leaves the lock word taken, so that a later timedlock
 * says EDEADLK; the state here answers ENOTRECOVERABLE, always.
 */
enum mutex_state {
	MUTEX_SOUND,
	MUTEX_INCONSISTENT,	/* locked with EOWNERDEAD, not yet repaired */
	MUTEX_NOTRECOVERABLE,	/* unlocked unrepaired: dead for good */
};

struct mutex_slot {
	pthread_mutex_t m;
	unsigned char pad[sizeof(shmipc_mutex_t) - sizeof(pthread_mutex_t) -
			  2 * sizeof(unsigned int)];
	unsigned int state;
	unsigned int magic;
};

_Static_assert(sizeof(shmipc_mutex_t) == 64, "shmipc_mutex_t layout is ABI");
_Static_assert(_Alignof(shmipc_mutex_t) == 8, "shmipc_mutex_t layout is ABI");
_Static_assert(sizeof(struct mutex_slot) == sizeof(shmipc_mutex_t),
	       "the pthread mutex and the magic fit in the slot");
_Static_assert(_Alignof(pthread_mutex_t) <= _Alignof(shmipc_mutex_t),
	       "the slot is aligned for a pthread mutex");

/* The pthread mutex in an initialised slot of this ABI, or NULL. */
static pthread_mutex_t *mutex_of(shmipc_mutex_t *mutex)
{
	struct mutex_slot *slot = (struct mutex_slot *)mutex;

	if (!mutex || ((uintptr_t)mutex & (_Alignof(shmipc_mutex_t) - 1)))
		return NULL;
	if (__atomic_load_n(&slot->magic, __ATOMIC_ACQUIRE) != MUTEX_MAGIC)
		return NULL;
	return &slot->m;
}

/*
 * A robust, process-shared pthread mutex of @type at @m: what
 * shmipc_mutex_t wraps, and what each end of a channel holds while open.
 * Returns 0 or an error number.
 */
int libshmipc_robust_mutex_init(pthread_mutex_t *m, int type)
{
	pthread_mutexattr_t attr;
	int err;

	err = pthread_mutexattr_init(&attr);
	if (err)
		return err;
	err = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	if (!err)
		err = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	if (!err)
		err = pthread_mutexattr_settype(&attr, type);
	if (!err)
		err = pthread_mutex_init(m, &attr);
	pthread_mutexattr_destroy(&attr);
	return err;
}

int shmipc_mutex_init(shmipc_mutex_t *mutex)
{
	struct mutex_slot *slot = (struct mutex_slot *)mutex;
	int err;

	if (!mutex || ((uintptr_t)mutex & (_Alignof(shmipc_mutex_t) - 1)))
		return EINVAL;
	__atomic_store_n(&slot->magic, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&slot->state, MUTEX_SOUND, __ATOMIC_RELAXED);
	err = libshmipc_robust_mutex_init(&slot->m, PTHREAD_MUTEX_ERRORCHECK);
	if (err)
		return err;
	/* Published last: a locker that sees the magic sees the mutex. */
	__atomic_store_n(&slot->magic, MUTEX_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

static struct mutex_slot *slot_of(pthread_mutex_t *m)
{
	return (struct mutex_slot *)m;
}

/* After a lock call that may have taken the mutex: track its state. */
static int locked(pthread_mutex_t *m, int err)
{
	if (err == EOWNERDEAD)
		__atomic_store_n(&slot_of(m)->state, MUTEX_INCONSISTENT,
				 __ATOMIC_RELAXED);
	return err;
}

static bool lost(pthread_mutex_t *m)
{
	return __atomic_load_n(&slot_of(m)->state, __ATOMIC_RELAXED) ==
	       MUTEX_NOTRECOVERABLE;
}

int shmipc_mutex_lock(shmipc_mutex_t *mutex)
{
	pthread_mutex_t *m = mutex_of(mutex);

	if (!m)
		return EINVAL;
	if (lost(m))
		return ENOTRECOVERABLE;
	return locked(m, pthread_mutex_lock(m));
}

int shmipc_mutex_trylock(shmipc_mutex_t *mutex)
{
	pthread_mutex_t *m = mutex_of(mutex);

	if (!m)
		return EINVAL;
	if (lost(m))
		return ENOTRECOVERABLE;
	return locked(m, pthread_mutex_trylock(m));
}

int shmipc_mutex_timedlock(shmipc_mutex_t *mutex,
			   const struct timespec *abs_timeout)
{
	pthread_mutex_t *m = mutex_of(mutex);

	/* Checked on every call, as shmipc_sem_timedwait() does. */
	if (!m || !abs_timeout || abs_timeout->tv_nsec < 0 ||
	    abs_timeout->tv_nsec >= 1000000000L)
		return EINVAL;
	if (lost(m))
		return ENOTRECOVERABLE;
	return locked(m, pthread_mutex_timedlock(m, abs_timeout));
}

int shmipc_mutex_unlock(shmipc_mutex_t *mutex)
{
	pthread_mutex_t *m = mutex_of(mutex);
	unsigned int state;
	int err;

	if (!m)
		return EINVAL;
	state = __atomic_load_n(&slot_of(m)->state, __ATOMIC_RELAXED);
	err = pthread_mutex_unlock(m);
	/* Only the owner's unlock succeeds; the state is its to change. */
	if (!err && state == MUTEX_INCONSISTENT)
		__atomic_store_n(&slot_of(m)->state, MUTEX_NOTRECOVERABLE,
				 __ATOMIC_RELAXED);
	return err;
}

int shmipc_mutex_consistent(shmipc_mutex_t *mutex)
{
	pthread_mutex_t *m = mutex_of(mutex);
	int err;

	if (!m)
		return EINVAL;
	err = pthread_mutex_consistent(m);
	if (!err)
		__atomic_store_n(&slot_of(m)->state, MUTEX_SOUND,
				 __ATOMIC_RELAXED);
	return err;
}

int shmipc_mutex_destroy(shmipc_mutex_t *mutex)
{
	struct mutex_slot *slot = (struct mutex_slot *)mutex;
	pthread_mutex_t *m = mutex_of(mutex);
	int err;

	if (!m)
		return EINVAL;
	/*
	 * glibc destroys a locked robust mutex without a word; refuse it,
	 * as POSIX allows, so that a destroy racing a user fails visibly.
	 * A mutex whose owner died is not in use: take it and let it go.
	 */
	err = lost(m) ? ENOTRECOVERABLE : pthread_mutex_trylock(m);
	if (err == EDEADLK)
		return EBUSY;
	if (err == 0 || err == EOWNERDEAD)
		pthread_mutex_unlock(m);
	else if (err != ENOTRECOVERABLE)
		return err;
	__atomic_store_n(&slot->magic, 0, __ATOMIC_RELEASE);
	return pthread_mutex_destroy(m);
}

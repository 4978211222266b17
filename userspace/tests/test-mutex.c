// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * shmipc_mutex_t: errors, exclusion between processes at different
 * addresses of the same memory, and the death of an owner (thread exit,
 * SIGKILL while others wait, SIGKILL with nobody waiting). No module
 * needed: the mutex lives in any shared memory.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../include/shmipc.h"
#include "harness.h"

/* A mutex and a counter in memory shared with children forked later. */
struct shared {
	shmipc_mutex_t mutex;
	shmipc_sem_t held;	/* posted by a child once it holds the mutex */
	unsigned long counter;
};

static struct shared *shared_new(void)
{
	struct shared *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (s == MAP_FAILED || shmipc_mutex_init(&s->mutex) != 0)
		return NULL;
	return s;
}

/* A child that takes the mutex, says so, and waits to be killed. */
static pid_t child_holding(struct shared *s)
{
	struct timespec ts;
	pid_t pid = fork();

	if (pid == 0) {
		if (shmipc_mutex_lock(&s->mutex) != 0)
			_exit(1);
		shmipc_sem_post(&s->held);
		pause();
		_exit(0);
	}
	ts = harness_in_ms(5000);
	if (pid > 0 && shmipc_sem_timedwait(&s->held, &ts) != 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

static bool killed(pid_t pid)
{
	int status;

	return kill(pid, SIGKILL) == 0 && waitpid(pid, &status, 0) == pid &&
	       WIFSIGNALED(status);
}

/* Single thread: the errors */

static int lock_relock_unlock(void)
{
	struct shared *s = shared_new();

	CHECK(s);
	CHECK(shmipc_mutex_lock(&s->mutex) == 0);
	CHECK(shmipc_mutex_lock(&s->mutex) == EDEADLK);
	/* glibc's error-checking trylock says so too, where POSIX says EBUSY. */
	CHECK(shmipc_mutex_trylock(&s->mutex) == EDEADLK);
	CHECK(shmipc_mutex_destroy(&s->mutex) == EBUSY);
	CHECK(shmipc_mutex_consistent(&s->mutex) == EINVAL);
	CHECK(shmipc_mutex_unlock(&s->mutex) == 0);
	CHECK(shmipc_mutex_unlock(&s->mutex) == EPERM);
	CHECK(shmipc_mutex_trylock(&s->mutex) == 0);
	CHECK(shmipc_mutex_unlock(&s->mutex) == 0);
	CHECK(shmipc_mutex_destroy(&s->mutex) == 0);
	CHECK(shmipc_mutex_lock(&s->mutex) == EINVAL);
	return 0;
}

static int uninitialised_null_or_misaligned_is_einval(void)
{
	struct shared *s = shared_new();
	shmipc_mutex_t zero = { { 0 } };
	struct timespec ts = harness_in_ms(10);

	CHECK(s);
	CHECK(shmipc_mutex_lock(&zero) == EINVAL);
	CHECK(shmipc_mutex_trylock(&zero) == EINVAL);
	CHECK(shmipc_mutex_unlock(&zero) == EINVAL);
	CHECK(shmipc_mutex_init(NULL) == EINVAL);
	CHECK(shmipc_mutex_lock(NULL) == EINVAL);
	CHECK(shmipc_mutex_init((shmipc_mutex_t *)((char *)s + 4)) == EINVAL);
	CHECK(shmipc_mutex_timedlock(&s->mutex, NULL) == EINVAL);
	ts.tv_nsec = 1000000000;
	CHECK(shmipc_mutex_timedlock(&s->mutex, &ts) == EINVAL);
	errno = EDOM;
	CHECK(shmipc_mutex_lock(&s->mutex) == 0);
	CHECK(shmipc_mutex_trylock(&s->mutex) == EDEADLK);
	CHECK(shmipc_mutex_unlock(&s->mutex) == 0);
	CHECK(errno == EDOM);
	return 0;
}

static int timedlock_times_out_while_held(void)
{
	struct shared *s = shared_new();
	struct timespec start, ts;
	pid_t pid;

	CHECK(s);
	pid = child_holding(s);
	CHECK(pid > 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	ts = harness_in_ms(200);
	CHECK(shmipc_mutex_timedlock(&s->mutex, &ts) == ETIMEDOUT);
	CHECK(harness_ms_since(&start) >= 190);
	CHECK(shmipc_mutex_trylock(&s->mutex) == EBUSY);
	CHECK(killed(pid));
	return 0;
}

/* Exclusion */

#define ROUNDS	100000

/* Two processes, each through its own mapping of a memfd, count to 2N. */
static int processes_at_other_addresses_exclude_each_other(void)
{
	int fd = memfd_create("mutex", 0);
	struct shared *mine, *theirs;
	int status;
	pid_t pid;

	CHECK(fd >= 0);
	CHECK(ftruncate(fd, 4096) == 0);
	mine = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	theirs = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(mine != MAP_FAILED && theirs != MAP_FAILED && mine != theirs);
	CHECK(shmipc_mutex_init(&mine->mutex) == 0);
	pid = fork();
	CHECK(pid >= 0);
	for (int i = 0; i < ROUNDS; i++) {
		struct shared *s = pid == 0 ? theirs : mine;

		if (shmipc_mutex_lock(&s->mutex) != 0)
			_exit(2);
		/* Not atomic: only the mutex keeps the increments apart. */
		s->counter = *(volatile unsigned long *)&s->counter + 1;
		shmipc_mutex_unlock(&s->mutex);
	}
	if (pid == 0)
		_exit(0);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(mine->counter == 2 * ROUNDS);
	return 0;
}

/* Owner death */

static int killed_owner_gives_next_locker_eownerdead(void)
{
	struct shared *s = shared_new();
	pid_t pid;

	CHECK(s);
	pid = child_holding(s);
	CHECK(pid > 0);
	CHECK(killed(pid));
	CHECK(shmipc_mutex_lock(&s->mutex) == EOWNERDEAD);
	CHECK(shmipc_mutex_consistent(&s->mutex) == 0);
	CHECK(shmipc_mutex_unlock(&s->mutex) == 0);
	/* Repaired: an ordinary mutex again. */
	CHECK(shmipc_mutex_trylock(&s->mutex) == 0);
	CHECK(shmipc_mutex_unlock(&s->mutex) == 0);
	return 0;
}

struct locker {
	struct shared *s;
	int ret, consistent, unlock;
	atomic_bool done;
};

/* Locks, repairs if need be, unlocks: the owner must do all three. */
static void *lock_thread(void *arg)
{
	struct locker *l = arg;

	l->ret = shmipc_mutex_lock(&l->s->mutex);
	l->consistent = l->ret == EOWNERDEAD ?
			shmipc_mutex_consistent(&l->s->mutex) : -1;
	l->unlock = shmipc_mutex_unlock(&l->s->mutex);
	atomic_store(&l->done, true);
	return NULL;
}

/* A locker asleep on the mutex is woken by the owner's death. */
static int owner_killed_while_others_wait_wakes_one(void)
{
	struct shared *s = shared_new();
	struct locker l = { .s = s };
	struct timespec start;
	pthread_t thread;
	pid_t pid;

	CHECK(s);
	pid = child_holding(s);
	CHECK(pid > 0);
	CHECK(pthread_create(&thread, NULL, lock_thread, &l) == 0);
	usleep(100000);
	CHECK(!atomic_load(&l.done));
	clock_gettime(CLOCK_MONOTONIC, &start);
	CHECK(killed(pid));
	for (int i = 0; i < 200 && !atomic_load(&l.done); i++)
		usleep(10000);
	CHECK(atomic_load(&l.done));
	NOTE("woken %ld ms after the kill", harness_ms_since(&start));
	pthread_join(thread, NULL);
	CHECK(l.ret == EOWNERDEAD);
	CHECK(l.consistent == 0);
	CHECK(l.unlock == 0);
	CHECK(shmipc_mutex_trylock(&s->mutex) == 0);
	CHECK(shmipc_mutex_unlock(&s->mutex) == 0);
	return 0;
}

static void *lock_and_exit(void *arg)
{
	struct shared *s = arg;

	return (void *)(intptr_t)shmipc_mutex_lock(&s->mutex);
}

/* A thread that exits holding the mutex dies as its owner. */
static int owner_thread_exit_gives_eownerdead(void)
{
	struct shared *s = shared_new();
	pthread_t thread;
	void *ret;

	CHECK(s);
	CHECK(pthread_create(&thread, NULL, lock_and_exit, s) == 0);
	pthread_join(thread, &ret);
	CHECK(ret == NULL);
	CHECK(shmipc_mutex_lock(&s->mutex) == EOWNERDEAD);
	CHECK(shmipc_mutex_consistent(&s->mutex) == 0);
	CHECK(shmipc_mutex_unlock(&s->mutex) == 0);
	return 0;
}

/* Unlocked without repair, the mutex is lost to everyone, for good. */
static int unlock_without_consistent_is_notrecoverable(void)
{
	struct shared *s = shared_new();
	struct timespec ts = harness_in_ms(100);
	pid_t pid;

	CHECK(s);
	pid = child_holding(s);
	CHECK(pid > 0);
	CHECK(killed(pid));
	CHECK(shmipc_mutex_trylock(&s->mutex) == EOWNERDEAD);
	CHECK(shmipc_mutex_unlock(&s->mutex) == 0);
	CHECK(shmipc_mutex_lock(&s->mutex) == ENOTRECOVERABLE);
	CHECK(shmipc_mutex_trylock(&s->mutex) == ENOTRECOVERABLE);
	CHECK(shmipc_mutex_timedlock(&s->mutex, &ts) == ENOTRECOVERABLE);
	/* Destroy and initialise again is the way back. */
	CHECK(shmipc_mutex_destroy(&s->mutex) == 0);
	CHECK(shmipc_mutex_init(&s->mutex) == 0);
	CHECK(shmipc_mutex_lock(&s->mutex) == 0);
	CHECK(shmipc_mutex_unlock(&s->mutex) == 0);
	return 0;
}

static const struct harness_test tests[] = {
	TEST(lock_relock_unlock),
	TEST(uninitialised_null_or_misaligned_is_einval),
	TEST(timedlock_times_out_while_held),
	TEST_SLOW(processes_at_other_addresses_exclude_each_other, 120),
	TEST(killed_owner_gives_next_locker_eownerdead),
	TEST(owner_killed_while_others_wait_wakes_one),
	TEST(owner_thread_exit_gives_eownerdead),
	TEST(unlock_without_consistent_is_notrecoverable),
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, tests, ARRAY_SIZE(tests));
}

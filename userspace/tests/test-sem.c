// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * shmipc_sem_t: counts, errors and blocking, between threads, between
 * processes over MAP_SHARED memory, and between two mappings of the same
 * memory at different addresses. No module needed: the semaphores live in
 * any shared memory.
 */
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../include/shmipc.h"
#include "harness.h"

/* A page of memory shared with children forked later. */
static void *shared_page(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int value_of(shmipc_sem_t *sem)
{
	int v = -1;

	shmipc_sem_getvalue(sem, &v);
	return v;
}

/* Single thread: values and errors */

static int init_sets_value(void)
{
	shmipc_sem_t sem;
	int v;

	CHECK_OK(shmipc_sem_init(&sem, 3));
	CHECK_OK(shmipc_sem_getvalue(&sem, &v));
	CHECK(v == 3);
	CHECK_OK(shmipc_sem_init(&sem, SHMIPC_SEM_VALUE_MAX));
	CHECK(value_of(&sem) == SHMIPC_SEM_VALUE_MAX);
	return 0;
}

static int init_above_max_is_einval(void)
{
	shmipc_sem_t sem = SHMIPC_SEM_INITIALIZER(5);

	CHECK_FAILS(shmipc_sem_init(&sem, (unsigned int)SHMIPC_SEM_VALUE_MAX + 1), -1, EINVAL);
	CHECK_FAILS(shmipc_sem_init(&sem, UINT_MAX), -1, EINVAL);
	CHECK(value_of(&sem) == 5);
	return 0;
}

static int zero_filled_is_value_zero(void)
{
	shmipc_sem_t sem;

	memset(&sem, 0, sizeof(sem));
	CHECK(value_of(&sem) == 0);
	CHECK_FAILS(shmipc_sem_trywait(&sem), -1, EAGAIN);
	CHECK_OK(shmipc_sem_post(&sem));
	CHECK_OK(shmipc_sem_trywait(&sem));
	return 0;
}

static int null_or_misaligned_is_einval(void)
{
	_Alignas(8) unsigned char raw[sizeof(shmipc_sem_t) + 8] = { 0 };
	shmipc_sem_t *odd = (shmipc_sem_t *)(void *)(raw + 1);
	struct timespec ts = harness_in_ms(10);
	shmipc_sem_t sem = SHMIPC_SEM_INITIALIZER(1);
	int v;

	CHECK_FAILS(shmipc_sem_init(NULL, 0), -1, EINVAL);
	CHECK_FAILS(shmipc_sem_wait(NULL), -1, EINVAL);
	CHECK_FAILS(shmipc_sem_trywait(NULL), -1, EINVAL);
	CHECK_FAILS(shmipc_sem_timedwait(NULL, &ts), -1, EINVAL);
	CHECK_FAILS(shmipc_sem_post(NULL), -1, EINVAL);
	CHECK_FAILS(shmipc_sem_getvalue(NULL, &v), -1, EINVAL);
	CHECK_FAILS(shmipc_sem_getvalue(&sem, NULL), -1, EINVAL);
	CHECK_FAILS(shmipc_sem_timedwait(&sem, NULL), -1, EINVAL);

	CHECK_FAILS(shmipc_sem_init(odd, 0), -1, EINVAL);
	CHECK_FAILS(shmipc_sem_wait(odd), -1, EINVAL);
	CHECK_FAILS(shmipc_sem_trywait(odd), -1, EINVAL);
	CHECK_FAILS(shmipc_sem_timedwait(odd, &ts), -1, EINVAL);
	CHECK_FAILS(shmipc_sem_post(odd), -1, EINVAL);
	CHECK_FAILS(shmipc_sem_getvalue(odd, &v), -1, EINVAL);
	CHECK(value_of(&sem) == 1);
	return 0;
}

static int trywait_on_zero_is_eagain(void)
{
	shmipc_sem_t sem = SHMIPC_SEM_INITIALIZER(0);

	CHECK_FAILS(shmipc_sem_trywait(&sem), -1, EAGAIN);
	CHECK(value_of(&sem) == 0);
	return 0;
}

static int posts_and_waits_count(void)
{
	shmipc_sem_t sem;

	CHECK_OK(shmipc_sem_init(&sem, 0));
	for (int i = 1; i <= 5; i++) {
		CHECK_OK(shmipc_sem_post(&sem));
		CHECK(value_of(&sem) == i);
	}
	CHECK_OK(shmipc_sem_wait(&sem));
	for (int i = 3; i >= 0; i--) {
		CHECK_OK(shmipc_sem_trywait(&sem));
		CHECK(value_of(&sem) == i);
	}
	CHECK_FAILS(shmipc_sem_trywait(&sem), -1, EAGAIN);
	return 0;
}

static int post_at_max_is_eoverflow(void)
{
	shmipc_sem_t sem;

	CHECK_OK(shmipc_sem_init(&sem, SHMIPC_SEM_VALUE_MAX - 1));
	CHECK_OK(shmipc_sem_post(&sem));
	CHECK_FAILS(shmipc_sem_post(&sem), -1, EOVERFLOW);
	CHECK(value_of(&sem) == SHMIPC_SEM_VALUE_MAX);
	CHECK_OK(shmipc_sem_trywait(&sem));
	CHECK_OK(shmipc_sem_post(&sem));
	return 0;
}

static int timedwait_bad_nanoseconds_is_einval(void)
{
	shmipc_sem_t sem = SHMIPC_SEM_INITIALIZER(0);
	struct timespec ts = harness_in_ms(1000);

	ts.tv_nsec = -1;
	CHECK_FAILS(shmipc_sem_timedwait(&sem, &ts), -1, EINVAL);
	ts.tv_nsec = 1000000000;
	CHECK_FAILS(shmipc_sem_timedwait(&sem, &ts), -1, EINVAL);
	ts.tv_nsec = LONG_MAX;
	CHECK_FAILS(shmipc_sem_timedwait(&sem, &ts), -1, EINVAL);

	/* Checked before anything else: a bad call does not take a unit. */
	CHECK_OK(shmipc_sem_post(&sem));
	CHECK_FAILS(shmipc_sem_timedwait(&sem, &ts), -1, EINVAL);
	CHECK(value_of(&sem) == 1);
	return 0;
}

static int timedwait_past_deadline_is_etimedout(void)
{
	shmipc_sem_t sem = SHMIPC_SEM_INITIALIZER(0);
	struct timespec past = harness_in_ms(-1500), before_1970 = { -5, 0 }, zero = { 0, 0 };

	CHECK_FAILS(shmipc_sem_timedwait(&sem, &past), -1, ETIMEDOUT);
	CHECK_FAILS(shmipc_sem_timedwait(&sem, &before_1970), -1, ETIMEDOUT);
	CHECK_FAILS(shmipc_sem_timedwait(&sem, &zero), -1, ETIMEDOUT);

	/* A passed deadline still takes a unit that is there. */
	CHECK_OK(shmipc_sem_post(&sem));
	CHECK_OK(shmipc_sem_timedwait(&sem, &past));
	CHECK(value_of(&sem) == 0);
	return 0;
}

static int timedwait_sleeps_until_deadline(void)
{
	shmipc_sem_t sem = SHMIPC_SEM_INITIALIZER(0);
	struct timespec deadline = harness_in_ms(200), start;
	long took;

	clock_gettime(CLOCK_MONOTONIC, &start);
	CHECK_FAILS(shmipc_sem_timedwait(&sem, &deadline), -1, ETIMEDOUT);
	took = harness_ms_since(&start);
	NOTE("timed out after %ld ms", took);
	CHECK(took >= 190 && took < 5000);
	return 0;
}

static int success_keeps_errno(void)
{
	shmipc_sem_t sem = SHMIPC_SEM_INITIALIZER(0);
	struct timespec ts = harness_in_ms(1000);
	int v;

	errno = EDOM;
	CHECK(shmipc_sem_init(&sem, 2) == 0);
	CHECK(shmipc_sem_post(&sem) == 0);
	CHECK(shmipc_sem_wait(&sem) == 0);
	CHECK(shmipc_sem_trywait(&sem) == 0);
	CHECK(shmipc_sem_timedwait(&sem, &ts) == 0);
	CHECK(shmipc_sem_getvalue(&sem, &v) == 0);
	CHECK(errno == EDOM);
	return 0;
}

/* Threads */

struct waiter {
	shmipc_sem_t *sem;
	bool timed;
	long timeout_ms;
	int ret;
	int err;
	atomic_bool done;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	struct timespec ts = harness_in_ms(w->timeout_ms);

	errno = EDOM;
	w->ret = w->timed ? shmipc_sem_timedwait(w->sem, &ts) : shmipc_sem_wait(w->sem);
	w->err = errno;
	atomic_store(&w->done, true);
	return NULL;
}

static int post_wakes_a_sleeping_thread(bool timed)
{
	shmipc_sem_t sem = SHMIPC_SEM_INITIALIZER(0);
	struct waiter w = { .sem = &sem, .timed = timed, .timeout_ms = 10000 };
	pthread_t thread;

	CHECK(pthread_create(&thread, NULL, wait_thread, &w) == 0);
	harness_msleep(100);	/* let it fall asleep in the kernel */
	CHECK(!atomic_load(&w.done));
	CHECK_OK(shmipc_sem_post(&sem));
	pthread_join(thread, NULL);
	CHECK(w.ret == 0);
	CHECK(w.err == EDOM);	/* errno untouched on success, slow path too */
	CHECK(value_of(&sem) == 0);
	return 0;
}

static int post_wakes_thread_in_wait(void)
{
	return post_wakes_a_sleeping_thread(false);
}

static int post_wakes_thread_in_timedwait(void)
{
	return post_wakes_a_sleeping_thread(true);
}

#define MUTEX_THREADS	4
#define MUTEX_ROUNDS	100000

static shmipc_sem_t mutex_sem;
static long counter;	/* plain: the semaphore is its only guard */

static void *mutex_thread(void *arg)
{
	(void)arg;
	for (int i = 0; i < MUTEX_ROUNDS; i++) {
		if (shmipc_sem_wait(&mutex_sem) < 0)
			abort();
		counter++;
		if (shmipc_sem_post(&mutex_sem) < 0)
			abort();
	}
	return NULL;
}

static int threads_exclude_each_other_as_mutex(void)
{
	pthread_t threads[MUTEX_THREADS];

	CHECK_OK(shmipc_sem_init(&mutex_sem, 1));
	for (int i = 0; i < MUTEX_THREADS; i++)
		CHECK(pthread_create(&threads[i], NULL, mutex_thread, NULL) == 0);
	for (int i = 0; i < MUTEX_THREADS; i++)
		pthread_join(threads[i], NULL);
	CHECK(counter == (long)MUTEX_THREADS * MUTEX_ROUNDS);
	CHECK(value_of(&mutex_sem) == 1);
	return 0;
}

#define PC_THREADS	4
#define PC_UNITS	50000

static shmipc_sem_t pc_sem;

static void *producer(void *arg)
{
	(void)arg;
	for (int i = 0; i < PC_UNITS; i++)
		if (shmipc_sem_post(&pc_sem) < 0)
			abort();
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	for (int i = 0; i < PC_UNITS; i++) {
		if (i % 2) {
			if (shmipc_sem_wait(&pc_sem) < 0)
				abort();
		} else {
			struct timespec ts = harness_in_ms(20000);

			if (shmipc_sem_timedwait(&pc_sem, &ts) < 0)
				abort();
		}
	}
	return NULL;
}

static int producers_and_consumers_lose_no_unit(void)
{
	pthread_t prod[PC_THREADS], cons[PC_THREADS];

	CHECK_OK(shmipc_sem_init(&pc_sem, 0));
	for (int i = 0; i < PC_THREADS; i++)
		CHECK(pthread_create(&cons[i], NULL, consumer, NULL) == 0);
	for (int i = 0; i < PC_THREADS; i++)
		CHECK(pthread_create(&prod[i], NULL, producer, NULL) == 0);
	for (int i = 0; i < PC_THREADS; i++) {
		pthread_join(prod[i], NULL);
		pthread_join(cons[i], NULL);
	}
	CHECK(value_of(&pc_sem) == 0);
	return 0;
}

/*
 * A burst of posts while many threads sleep wakes every one of them: the
 * first post clears the "waiters" flag and wakes one, the posts after it
 * see no flag, and it is the woken waiters that must wake the rest.
 */
#define BURST_THREADS	8

static int burst_of_posts_wakes_every_sleeper(void)
{
	shmipc_sem_t sem = SHMIPC_SEM_INITIALIZER(0);
	struct waiter w[BURST_THREADS];
	pthread_t thread[BURST_THREADS];

	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < BURST_THREADS; i++) {
			w[i] = (struct waiter){ .sem = &sem, .timed = true,
						.timeout_ms = 5000 };
			CHECK(pthread_create(&thread[i], NULL, wait_thread, &w[i]) == 0);
		}
		harness_msleep(50);	/* all asleep in the kernel */
		for (int i = 0; i < BURST_THREADS; i++)
			CHECK_OK(shmipc_sem_post(&sem));
		for (int i = 0; i < BURST_THREADS; i++) {
			pthread_join(thread[i], NULL);
			if (w[i].ret != 0)
				NOTE("round %d: waiter %d: %s", round, i, strerror(w[i].err));
			CHECK(w[i].ret == 0);
		}
		CHECK(value_of(&sem) == 0);
	}
	return 0;
}

/* Signals */

static void on_signal(int sig)
{
	(void)sig;
}

/*
 * Signal the waiter until it returns; signalling again covers a signal
 * that lands before the waiter has gone to sleep in the kernel.
 */
static int signal_until_done(struct waiter *w, pthread_t thread)
{
	for (int i = 0; i < 100 && !atomic_load(&w->done); i++) {
		harness_msleep(20);
		pthread_kill(thread, SIGUSR1);
	}
	return atomic_load(&w->done) ? 0 : -1;
}

static int signal_interrupts(bool timed)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	shmipc_sem_t sem = SHMIPC_SEM_INITIALIZER(0);
	struct waiter w = { .sem = &sem, .timed = timed, .timeout_ms = 20000 };
	pthread_t thread;

	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
	CHECK(pthread_create(&thread, NULL, wait_thread, &w) == 0);
	harness_msleep(50);
	if (signal_until_done(&w, thread) < 0) {
		shmipc_sem_post(&sem);
		pthread_join(thread, NULL);
		NOTE("the wait went on through signals");
		return 1;
	}
	pthread_join(thread, NULL);
	CHECK(w.ret == -1);
	CHECK(w.err == EINTR);
	CHECK(value_of(&sem) == 0);
	return 0;
}

static int signal_interrupts_wait_with_eintr(void)
{
	return signal_interrupts(false);
}

static int signal_interrupts_timedwait_with_eintr(void)
{
	return signal_interrupts(true);
}

static int sa_restart_wait_goes_on_through_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	shmipc_sem_t sem = SHMIPC_SEM_INITIALIZER(0);
	struct waiter w = { .sem = &sem, .timeout_ms = 20000 };
	pthread_t thread;

	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
	CHECK(pthread_create(&thread, NULL, wait_thread, &w) == 0);
	for (int i = 0; i < 10; i++) {
		harness_msleep(20);
		pthread_kill(thread, SIGUSR1);
	}
	harness_msleep(20);
	CHECK(!atomic_load(&w.done));
	CHECK_OK(shmipc_sem_post(&sem));
	pthread_join(thread, NULL);
	CHECK(w.ret == 0);
	return 0;
}

/* Processes */

#define PING_PONGS	50000

struct pingpong {
	shmipc_sem_t ping;
	shmipc_sem_t pong;
	unsigned long ball;	/* passed back and forth, checked each time */
};

/* The child: answer each ping with a pong, ball + 1. Exit 0 if all went well. */
static void pong_child(struct pingpong *pp, bool timed)
{
	for (unsigned long i = 0; i < PING_PONGS; i++) {
		struct timespec ts = harness_in_ms(20000);
		int ret = timed ? shmipc_sem_timedwait(&pp->ping, &ts)
				: shmipc_sem_wait(&pp->ping);

		if (ret < 0 || pp->ball != 2 * i + 1)
			_exit(1);
		pp->ball++;
		if (shmipc_sem_post(&pp->pong) < 0)
			_exit(1);
	}
	_exit(0);
}

static int ping_pong(bool timed)
{
	struct pingpong *pp = shared_page();
	struct timespec start;
	int status;
	pid_t pid;

	CHECK(pp);
	CHECK_OK(shmipc_sem_init(&pp->ping, 0));
	CHECK_OK(shmipc_sem_init(&pp->pong, 0));
	clock_gettime(CLOCK_MONOTONIC, &start);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		pong_child(pp, timed);

	for (unsigned long i = 0; i < PING_PONGS; i++) {
		struct timespec ts = harness_in_ms(20000);

		pp->ball++;
		CHECK_OK(shmipc_sem_post(&pp->ping));
		if (timed)
			CHECK_OK(shmipc_sem_timedwait(&pp->pong, &ts));
		else
			CHECK_OK(shmipc_sem_wait(&pp->pong));
		CHECK(pp->ball == 2 * i + 2);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	NOTE("%d round trips in %ld ms", PING_PONGS, harness_ms_since(&start));
	CHECK(value_of(&pp->ping) == 0 && value_of(&pp->pong) == 0);
	return 0;
}

static int processes_ping_pong_with_wait(void)
{
	return ping_pong(false);
}

static int processes_ping_pong_with_timedwait(void)
{
	return ping_pong(true);
}

/*
 * One memfd mapped at two addresses: a waiter asleep on one address must be
 * woken by a post through the other. A private futex would miss the wake
 * (keyed by address) and time out.
 */
static int post_through_other_mapping_wakes_thread(void)
{
	int fd = memfd_create("shmipc-test", MFD_CLOEXEC);
	shmipc_sem_t *a, *b;
	struct waiter w = { .timed = true, .timeout_ms = 3000 };
	pthread_t thread;

	CHECK(fd >= 0);
	CHECK(ftruncate(fd, 4096) == 0);
	a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	b = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(a != MAP_FAILED && b != MAP_FAILED && a != b);
	CHECK_OK(shmipc_sem_init(a, 0));
	CHECK(value_of(b) == 0);

	w.sem = a;
	CHECK(pthread_create(&thread, NULL, wait_thread, &w) == 0);
	harness_msleep(100);
	CHECK_OK(shmipc_sem_post(b));
	pthread_join(thread, NULL);
	CHECK(w.ret == 0);
	return 0;
}

static int post_from_other_process_and_mapping_wakes_waiter(void)
{
	int fd = memfd_create("shmipc-test", MFD_CLOEXEC);
	shmipc_sem_t *mine;
	int status;
	pid_t pid;

	CHECK(fd >= 0);
	CHECK(ftruncate(fd, 4096) == 0);
	mine = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(mine != MAP_FAILED);
	CHECK_OK(shmipc_sem_init(mine, 0));

	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* A mapping of its own, placed elsewhere, as another attach would be. */
		shmipc_sem_t *theirs = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					    MAP_SHARED, fd, 0);
		struct timespec ts = harness_in_ms(3000);

		_exit(theirs != MAP_FAILED && shmipc_sem_timedwait(theirs, &ts) == 0 ? 0 : 1);
	}
	harness_msleep(100);
	CHECK_OK(shmipc_sem_post(mine));
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return 0;
}

/* A child waits on a new semaphore in a shared page and is killed asleep. */
static shmipc_sem_t *sem_of_killed_waiter(void)
{
	shmipc_sem_t *sem = shared_page();
	int status;
	pid_t pid;

	if (!sem || shmipc_sem_init(sem, 0) < 0)
		return NULL;
	pid = fork();
	if (pid < 0)
		return NULL;
	if (pid == 0)
		_exit(shmipc_sem_wait(sem) == 0 ? 0 : 1);
	harness_msleep(100);
	if (kill(pid, SIGKILL) < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFSIGNALED(status))
		return NULL;
	return sem;
}

/* A waiter killed in its sleep leaves the semaphore usable. */
static int killed_waiter_leaves_semaphore_usable(void)
{
	shmipc_sem_t *sem = sem_of_killed_waiter();

	CHECK(sem);
	CHECK_OK(shmipc_sem_post(sem));
	CHECK(value_of(sem) == 1);
	CHECK_OK(shmipc_sem_wait(sem));
	CHECK_FAILS(shmipc_sem_trywait(sem), -1, EAGAIN);
	return 0;
}

/*
 * The post touches only the word that makes the unit available. The
 * semaphore is put at the end of a page, its second word on the next
 * page, and the poster makes that page inaccessible in its own address
 * space while a child (whose mapping is still whole) sleeps on it: a post
 * that read or wrote past the first word would fault.
 */
static int post_touches_only_the_first_word(void)
{
	char *base = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	shmipc_sem_t *sem = (shmipc_sem_t *)(base + 4096 - sizeof(unsigned int));
	int status;
	pid_t pid;

	CHECK(base != MAP_FAILED);
	CHECK_OK(shmipc_sem_init(sem, 0));
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct timespec ts = harness_in_ms(5000);

		_exit(shmipc_sem_timedwait(sem, &ts) == 0 ? 0 : 1);
	}
	harness_msleep(100);	/* asleep: the post has someone to wake */
	CHECK(mprotect(base + 4096, 4096, PROT_NONE) == 0);
	CHECK_OK(shmipc_sem_post(sem));
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* And with nobody waiting. */
	CHECK_OK(shmipc_sem_post(sem));
	CHECK_OK(shmipc_sem_trywait((shmipc_sem_t *)sem));
	return 0;
}

/*
 * A waiter killed in its sleep costs later posts no system call, beyond
 * at most the first: futex(2) is trapped by a seccomp filter and counted.
 */
static volatile sig_atomic_t futex_calls;

static void count_futex(int sig)
{
	(void)sig;
	futex_calls++;
}

static int trap_futex(void)
{
#if defined(__x86_64__)
	const unsigned int arch = AUDIT_ARCH_X86_64;
#elif defined(__i386__)
	const unsigned int arch = AUDIT_ARCH_I386;
#else
	const unsigned int arch = 0;
#endif
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_futex, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { ARRAY_SIZE(code), code };
	struct sigaction sa = { .sa_handler = count_futex };

	if (!arch || sigaction(SIGSYS, &sa, NULL) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

static int killed_waiter_costs_later_posts_no_system_call(void)
{
	shmipc_sem_t *sem = sem_of_killed_waiter();

	CHECK(sem);
	if (trap_futex() < 0)
		return harness_skip("no seccomp filter here");
	for (int i = 0; i < 1000; i++) {
		CHECK_OK(shmipc_sem_post(sem));
		CHECK_OK(shmipc_sem_trywait(sem));
	}
	if (futex_calls > 1)
		NOTE("1000 posts made %d futex calls", (int)futex_calls);
	CHECK(futex_calls <= 1);
	return 0;
}

static const struct harness_test tests[] = {
	TEST(init_sets_value),
	TEST(init_above_max_is_einval),
	TEST(zero_filled_is_value_zero),
	TEST(null_or_misaligned_is_einval),
	TEST(trywait_on_zero_is_eagain),
	TEST(posts_and_waits_count),
	TEST(post_at_max_is_eoverflow),
	TEST(timedwait_bad_nanoseconds_is_einval),
	TEST(timedwait_past_deadline_is_etimedout),
	TEST(timedwait_sleeps_until_deadline),
	TEST(success_keeps_errno),
	TEST(post_wakes_thread_in_wait),
	TEST(post_wakes_thread_in_timedwait),
	TEST_SLOW(threads_exclude_each_other_as_mutex, 120),
	TEST_SLOW(producers_and_consumers_lose_no_unit, 120),
	TEST(signal_interrupts_wait_with_eintr),
	TEST(signal_interrupts_timedwait_with_eintr),
	TEST(sa_restart_wait_goes_on_through_signals),
	TEST_SLOW(processes_ping_pong_with_wait, 120),
	TEST_SLOW(processes_ping_pong_with_timedwait, 120),
	TEST(post_through_other_mapping_wakes_thread),
	TEST(post_from_other_process_and_mapping_wakes_waiter),
	TEST(killed_waiter_leaves_semaphore_usable),
	TEST_SLOW(burst_of_posts_wakes_every_sleeper, 60),
	TEST(post_touches_only_the_first_word),
	TEST(killed_waiter_costs_later_posts_no_system_call),
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, tests, ARRAY_SIZE(tests));
}

// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_bench figure 8: robust mutex ping-pong between two processes,
 * figure 7's dance done with mutexes. The child is forked in setup and
 * stopped in teardown, so that only round trips are timed.
 *
 * A mutex can only be unlocked by its owner (these are error-checking),
 * so it cannot be posted like a semaphore; the two processes pass three
 * mutexes m[0..2] around instead. The parent holds two of them, the
 * child one, and the child waits to lock one the parent holds:
 *
 *   parent, step k:  unlock(m[k % 3]);      lock(m[(k + 2) % 3]);
 *   child,  step k:  lock(m[k % 3]);        unlock(m[(k + 2) % 3]);
 *
 * starting with the parent holding m[0] and m[1], the child m[2] and
 * waiting for m[0]. The parent's unlock hands m[0] to the sleeping child;
 * the child's unlock hands m[2] to the parent, which was asleep on it
 * (nothing spins: glibc's robust mutexes sleep in the kernel at once);
 * the child then sleeps on m[1], which the parent holds until its next
 * step. One parent step is one round trip, two handoffs of a contended
 * lock to a sleeping process in another address space, and it ends with
 * everything as it began, shifted by one: n steps time n round trips,
 * nothing left half done.
 *
 * shmipc_mutex_t lives in a shmipc segment; the plain pthread_mutex_t
 * (robust, process-shared, error-checking: what shmipc_mutex_t wraps) in
 * a shared anonymous mapping; figure 7's pipe pair is the reference.
 *
 * Teardown sets the stop flag and unlocks whatever the parent holds: the
 * child, asleep on one of those, wakes, sees the flag and exits. A child
 * that dies makes the parent's next lock fail (EOWNERDEAD), and a parent
 * that dies does the same to the child: neither waits for ever.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <shmipc.h>

#include "bench.h"

static int fail(struct bench_ctx *ctx, const char *why)
{
	ctx->why = why;
	return -1;
}

/* How a system locks and unlocks its mutex number i: 0 or an error number. */
struct mutex_sys {
	int (*lock)(void *pp, int i);
	int (*unlock)(void *pp, int i);
};

/* What the two processes share, in either kind of memory. */
struct mutex_pp {
	union {
		shmipc_mutex_t shmipc[3];
		pthread_mutex_t pthread[3];
	} m;
	atomic_int stop;
	long step;		/* the parent's next step (only it uses this) */
};

static int shmipc_lock(void *pp, int i)
{
	return shmipc_mutex_lock(&((struct mutex_pp *)pp)->m.shmipc[i]);
}

static int shmipc_unlock(void *pp, int i)
{
	return shmipc_mutex_unlock(&((struct mutex_pp *)pp)->m.shmipc[i]);
}

static int pthread_lock(void *pp, int i)
{
	return pthread_mutex_lock(&((struct mutex_pp *)pp)->m.pthread[i]);
}

static int pthread_unlock(void *pp, int i)
{
	return pthread_mutex_unlock(&((struct mutex_pp *)pp)->m.pthread[i]);
}

static const struct mutex_sys sys_shmipc = { shmipc_lock, shmipc_unlock };
static const struct mutex_sys sys_pthread = { pthread_lock, pthread_unlock };

/* The child's side: m[2] is its own, then steps until told to stop. */
static void __attribute__((noreturn))
child(const struct mutex_sys *sys, struct mutex_pp *pp, int ready)
{
	long k;
	char c = sys->lock(pp, 2) ? 'E' : 'R';

	if (write(ready, &c, 1) != 1 || c != 'R')
		_exit(1);
	close(ready);
	for (k = 0;; k++) {
		if (sys->lock(pp, k % 3))
			_exit(1);	/* the parent died holding it */
		if (atomic_load(&pp->stop))
			_exit(0);
		if (sys->unlock(pp, (k + 2) % 3))
			_exit(1);
	}
}

/*
 * The parent takes m[0] and m[1] before the fork, the child m[2] after
 * it; setup returns once the child has it (else the parent's first lock
 * of m[2] would not wait for the child).
 */
static int start(struct bench_ctx *ctx, struct mutex_pp *pp)
{
	const struct mutex_sys *sys = ctx->arg;
	int ready[2], err;
	char c;

	if ((err = sys->lock(pp, 0)) || (err = sys->lock(pp, 1))) {
		errno = err;
		return fail(ctx, "mutex lock");
	}
	pp->step = 0;
	if (pipe(ready))
		return fail(ctx, "pipe");
	ctx->pid = fork();
	if (ctx->pid < 0) {
		close(ready[0]);
		close(ready[1]);
		return fail(ctx, "fork");
	}
	if (ctx->pid == 0) {
		close(ready[0]);
		child(sys, pp, ready[1]);
	}
	close(ready[1]);
	err = read(ready[0], &c, 1) == 1 && c == 'R';
	close(ready[0]);
	if (!err) {
		errno = EPROTO;
		return fail(ctx, "child: mutex lock");
	}
	return 0;
}

static int mutex_init_pthread(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;
	int err;

	if ((err = pthread_mutexattr_init(&a)))
		return err;
	if (!(err = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED)) &&
	    !(err = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST)) &&
	    !(err = pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK)))
		err = pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
	return err;
}

static int shmipc_setup(struct bench_ctx *ctx, long n)
{
	struct mutex_pp *pp;
	int i, err;

	(void)n;
	ctx->id = shmipc_get(IPC_PRIVATE, PAGE, IPC_CREAT | 0600);
	if (ctx->id < 0)
		return fail(ctx, "shmipc_get");
	pp = shmipc_at(ctx->id, NULL, 0);
	if (pp == (void *)-1) {
		shmipc_ctl(ctx->id, IPC_RMID, NULL);
		return fail(ctx, "shmipc_at");
	}
	/* Removed now: freed when both processes have detached. */
	shmipc_ctl(ctx->id, IPC_RMID, NULL);
	ctx->addr = pp;
	for (i = 0; i < 3; i++) {
		if ((err = shmipc_mutex_init(&pp->m.shmipc[i]))) {
			errno = err;
			return fail(ctx, "shmipc_mutex_init");
		}
	}
	return start(ctx, pp);
}

static int pthread_setup(struct bench_ctx *ctx, long n)
{
	struct mutex_pp *pp;
	int i, err;

	(void)n;
	pp = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		  -1, 0);
	if (pp == MAP_FAILED)
		return fail(ctx, "mmap");
	ctx->addr = pp;
	for (i = 0; i < 3; i++) {
		if ((err = mutex_init_pthread(&pp->m.pthread[i]))) {
			errno = err;
			return fail(ctx, "pthread_mutex_init");
		}
	}
	return start(ctx, pp);
}

static int64_t mutex_run(struct bench_ctx *ctx, long n)
{
	const struct mutex_sys *sys = ctx->arg;
	struct mutex_pp *pp = ctx->addr;
	long k = pp->step;
	int64_t t0 = now_ns();
	int err;

	for (; n--; k++) {
		if ((err = sys->unlock(pp, k % 3)) || (err = sys->lock(pp, (k + 2) % 3))) {
			pp->step = k;
			errno = err;
			return fail(ctx, "mutex unlock/lock");
		}
	}
	pp->step = k;
	return now_ns() - t0;
}

/* Stops the child: the flag, then every mutex the parent may hold. */
static void stop_child(struct bench_ctx *ctx)
{
	const struct mutex_sys *sys = ctx->arg;
	struct mutex_pp *pp = ctx->addr;
	int i;

	if (ctx->pid <= 0)
		return;
	atomic_store(&pp->stop, 1);
	/* EPERM from the one the child holds: harmless. */
	for (i = 0; i < 3; i++)
		sys->unlock(pp, i);
	waitpid(ctx->pid, NULL, 0);
}

static void shmipc_teardown(struct bench_ctx *ctx)
{
	if (!ctx->addr)
		return;
	stop_child(ctx);
	shmipc_dt(ctx->addr);
}

static void pthread_teardown(struct bench_ctx *ctx)
{
	if (!ctx->addr)
		return;
	stop_child(ctx);
	munmap(ctx->addr, PAGE);
}

int fig_mutex(void)
{
	static const struct bench_row rows[] = {
		{ "shmipc_mutex", shmipc_setup, mutex_run, shmipc_teardown, &sys_shmipc },
		{ "pthread robust", pthread_setup, mutex_run, pthread_teardown,
		  &sys_pthread },
		{ "pipe pair", pingpong_pipe_setup, pingpong_stream_run,
		  pingpong_stream_teardown, NULL },
	};
	struct bench_result res[3];
	long n = opts.quick ? 20 : 100;

	bench_measure(rows, 3, n, n, res);
	return bench_print("8. robust mutex ping-pong between two processes"
			   " (3 mutexes handed over)", "per round trip", rows, 3, res);
}

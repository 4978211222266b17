// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_stress: the operations that fork: children that touch, fault,
 * detach or unshare while attached.
 */
#include "stress.h"

/* ---- children --------------------------------------------------------- */

void child_init(void)
{
	struct rlimit no_core = { 0, 0 };

	setrlimit(RLIMIT_CORE, &no_core);
	signal(SIGSEGV, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
}

/* Wait for a child; returns its exit code, or -signal. */
int reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1000;
	if (WIFSIGNALED(status))
		return -WTERMSIG(status);
	return WEXITSTATUS(status);
}

void check_child(struct thr *t, enum op op, int rc, const char *what)
{
	t->cnt[op].calls++;
	if (rc == CHILD_OK || rc == CHILD_FAILED) {
		t->cnt[op].ok += rc == CHILD_OK;
		return;
	}
	if (rc == CHILD_SKIP) {
		t->cnt[op].err[EPERM]++;
		return;
	}
	violation(t, op, "%s child %s %d", what, rc < 0 ? "killed by signal" : "exited",
		  rc < 0 ? -rc : rc);
}

/* A child writes through the inherited attachment and exits attached. */
void op_fork_touch(struct thr *t)
{
	int i = pick_att(t, fit_rw_rec), rc;
	uint64_t value = ++t->value | (1ULL << 63), got = 0;
	struct att *a;
	pid_t pid;

	if (i < 0)
		return;
	a = &t->att[i];
	if (!seg_ptr(a, (size_t)t->gidx * REC_BYTES, REC_BYTES) ||
	    !att_alive(t, OP_FORK_TOUCH, a))
		return;
	pid = fork();
	if (pid < 0) {
		tally(t, OP_FORK_TOUCH, -1, E_NONE, "fork");
		return;
	}
	if (!pid) {
		uint64_t addr = 0, size;

		child_init();
		if (!write_rec(t, OP_FORK_TOUCH, a, value))
			_exit(CHILD_FAILED);
		/* One more attachment of its own, also left for exit. */
		if (!tally(t, OP_AT_RW, sys_at(t->fd, a->seg.id, 0, &addr, &size),
			   E_NONE, "child, id %d", a->seg.id))
			_exit(CHILD_FAILED);
		_exit(CHILD_OK);
	}
	rc = reap(pid);
	check_child(t, OP_FORK_TOUCH, rc, "writing");
	if (rc == CHILD_OK && rec_check(t, OP_FORK_TOUCH, a, t->gidx, &got) &&
	    got != value)
		violation(t, OP_FORK_TOUCH, "id %d: child wrote %#" PRIx64 ", parent reads %#" PRIx64,
			  a->seg.id, value, got);
}

/* A write to a read-only attachment must kill the writer with SIGSEGV. */
void op_fork_segv(struct thr *t)
{
	int i = pick_att(t, fit_ro), rc;
	struct att *a;
	pid_t pid;

	if (i < 0)
		return op_attach(t, OP_AT_RO);
	a = &t->att[i];
	pid = fork();
	if (pid < 0) {
		tally(t, OP_FORK_SEGV, -1, E_NONE, "fork");
		return;
	}
	if (!pid) {
		child_init();
		*(volatile char *)(a->addr + a->len - 1) = 1;
		violation(t, OP_FORK_SEGV, "id %d: wrote to read-only %p",
			  a->seg.id, (void *)a->addr);
		_exit(CHILD_FAILED);
	}
	rc = reap(pid);
	t->cnt[OP_FORK_SEGV].calls++;
	if (rc == -SIGSEGV)
		t->cnt[OP_FORK_SEGV].ok++;
	else if (rc != CHILD_FAILED)
		violation(t, OP_FORK_SEGV, "id %d: writer ended with %d, want SIGSEGV",
			  a->seg.id, rc);
}

/* A child detaches everything it inherited; the parent's stay intact. */
void op_fork_dt(struct thr *t)
{
	int rc;
	pid_t pid;

	if (!t->natt)
		return;
	pid = fork();
	if (pid < 0) {
		tally(t, OP_FORK_DT, -1, E_NONE, "fork");
		return;
	}
	if (!pid) {
		uint64_t before = rep->violations;

		child_init();
		while (t->natt)
			detach_att(t, 0);
		_exit(rep->violations == before ? CHILD_OK : CHILD_FAILED);
	}
	rc = reap(pid);
	check_child(t, OP_FORK_DT, rc, "detaching");
	for (int i = 0; i < t->natt; i++)
		verify_att(t, OP_FORK_DT, &t->att[i]);
}

/* In a new IPC namespace: nothing of ours is visible; a segment of its own. */
static void child_unshare(struct thr *t)
{
	int k = (int)rnd_below(&t->rnd, (uint64_t)cfg.keys), fd = t->fd, i, id;
	struct seginfo s = { .key = key_of(k), .segsz = canon_size(k) };
	uint64_t addr = 0, size = 0;
	struct shmipc_ds ds;
	struct att *a;

	child_init();
	if (unshare(CLONE_NEWIPC))
		_exit(errno == EPERM ? CHILD_SKIP : CHILD_FAILED);
	/* A new open, or the inherited file that cached the old namespace. */
	if (rnd_chance(&t->rnd, 50)) {
		fd = open(SHMIPC_DEVICE, O_RDWR | O_CLOEXEC);
		if (!tally(t, OP_UNSHARE, fd, E_NONE, "open in new namespace"))
			_exit(CHILD_FAILED);
	}
	for (i = 0; i < t->natt && i < 2; i++) {
		tally_fail(t, OP_UNSHARE, sys_ctl(fd, t->att[i].seg.id, SHMIPC_IPC_STAT, &ds),
			   E_INVAL, "stat of id %d of the parent namespace", t->att[i].seg.id);
		tally_fail(t, OP_UNSHARE, sys_ctl(fd, t->att[i].seg.id, SHMIPC_IPC_RMID, NULL),
			   E_INVAL, "rmid of id %d of the parent namespace", t->att[i].seg.id);
	}
	tally_fail(t, OP_UNSHARE, sys_get(fd, s.key, 0, 0), E_NOENT,
		   "key %#x in a new namespace", (unsigned int)s.key);
	id = sys_get(fd, s.key, SHMIPC_IPC_CREAT | SHMIPC_IPC_EXCL | 0700, s.segsz);
	if (!tally(t, OP_UNSHARE, id, E_NONE, "create key %#x in new namespace",
		   (unsigned int)s.key))
		_exit(CHILD_FAILED);
	s.id = id;
	if (!tally(t, OP_UNSHARE, sys_at(fd, id, 0, &addr, &size), E_NONE,
		   "attach id %d in new namespace", id))
		_exit(CHILD_FAILED);
	/* The parent's attachments came along and still work. */
	for (i = 0; i < t->natt; i++)
		verify_att(t, OP_UNSHARE, &t->att[i]);
	t->natt = 0;
	a = att_add(t, (char *)(uintptr_t)addr, (size_t)size, &s, -1, false);
	zero_check(t, OP_UNSHARE, a, 0, a->len);
	write_rec(t, OP_UNSHARE, a, 42);
	if (tally(t, OP_UNSHARE, sys_ctl(fd, id, SHMIPC_IPC_STAT, &ds), E_NONE,
		  "stat id %d in new namespace", id))
		check_ds(t, OP_UNSHARE, &s, &ds);
	/* Leave some to the namespace's death and to exit. */
	tally(t, OP_UNSHARE, sys_get(fd, SHMIPC_IPC_PRIVATE, 0700, pg), E_NONE,
	      "private in new namespace");
	if (rnd_chance(&t->rnd, 50))
		tally(t, OP_UNSHARE, sys_ctl(fd, id, SHMIPC_IPC_RMID, NULL), E_NONE,
		      "rmid id %d in new namespace", id);
	if (rnd_chance(&t->rnd, 50))
		tally(t, OP_UNSHARE, sys_dt(fd, a->addr), E_NONE, "dt in new namespace");
	_exit(CHILD_OK);
}

void op_unshare(struct thr *t)
{
	pid_t pid = fork();

	if (pid < 0) {
		tally(t, OP_UNSHARE, -1, E_NONE, "fork");
		return;
	}
	if (!pid)
		child_unshare(t);
	check_child(t, OP_UNSHARE, reap(pid), "unshare");
}

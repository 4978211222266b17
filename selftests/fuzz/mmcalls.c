// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_fuzz: the other mm calls a user can aim at an attachment, with
 * random addresses (in the maps, and around those in our scratch),
 * lengths, flags, advice, policies and page offsets: remap_file_pages,
 * mlock and mlockall, msync, mbind and set_mempolicy, process_vm_readv
 * and _writev, /proc/self/mem, vmsplice and read() from pipes, O_DIRECT,
 * and fork after fork advice.
 *
 * remap_file_pages once turned a read-only attachment writable. So every
 * call that writes into memory is aimed at read-only maps too, and one
 * that reports bytes written there is a violation; ro_probe stores into
 * read-only maps under sigsetjmp and mprotect()s them writable: both must
 * fail. "Read-only" is only trusted for maps the kernel placed and no
 * other call of ours can have replaced (ro_sure).
 *
 * Nothing here touches memory that is not the thread's own: addresses
 * outside scratch are always inside one of its maps.
 */
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "fuzz.h"

#define TMPFS_MAGIC_		0x01021994
#define BIG			(64UL << 10)

static const int E_RFP[] = { EINVAL, ENOMEM, EPERM, EACCES, EFAULT, EAGAIN, EOVERFLOW, 0 };
static const int E_LOCK[] = { EINVAL, ENOMEM, EPERM, EAGAIN, EFAULT, 0 };
static const int E_MSYNC[] = { EINVAL, ENOMEM, EBUSY, EIO, 0 };
static const int E_MBIND[] = { ENOSYS, EINVAL, EIO, ENOMEM, EPERM, EFAULT, EXDEV, 0 };
static const int E_COPY[] = { EFAULT, EINVAL, ENOMEM, EPERM, ESRCH, EIO, EACCES,
			      EAGAIN, 0 };

/* Room for the biggest copy a call here makes, aligned for O_DIRECT. */
static __thread char big[BIG] __attribute__((aligned(4096)));

void mmcalls_init(struct fthr *t)
{
	static const char *const dirs[] = { "/dev/shm", "/tmp", "/run" };
	struct statfs sf;
	char path[96];
	unsigned int i;

	t->memfd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	t->dfd = -1;
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (statfs(dirs[i], &sf) || sf.f_type != TMPFS_MAGIC_)
			continue;
		snprintf(path, sizeof(path), "%s/shmipc-fuzz-%d-%d", dirs[i],
			 (int)getpid(), t->idx);
		/* No O_DIRECT on tmpfs before 6.6 (EINVAL): the op is skipped. */
		t->dfd = open(path, O_RDWR | O_CREAT | O_EXCL | O_DIRECT | O_CLOEXEC, 0600);
		if (t->dfd >= 0) {
			unlink(path);
			if (ftruncate(t->dfd, (off_t)BIG)) {
				close(t->dfd);
				t->dfd = -1;
			}
		}
		break;
	}
}

void mmcalls_fini(struct fthr *t)
{
	if (t->memfd >= 0)
		close(t->memfd);
	if (t->dfd >= 0)
		close(t->dfd);
}

/*
 * An address and length to aim at: a page range of a map, sometimes
 * misaligned; around a map in our scratch (the neighbours are ours);
 * or a place nothing is. *mi is the map, or -1.
 */
static char *rnd_target(struct fthr *t, size_t *len, int *mi)
{
	unsigned int r = (unsigned int)rnd_below(&t->rnd, 100);
	char *from;
	int i;

	*mi = -1;
	if (!t->nmaps || r >= 92) {
		*len = rnd_range(&t->rnd, 1, 16) * pg;
		switch (rnd_below(&t->rnd, 4)) {
		case 0: return t->scratch + SCRATCH_SIZE - pg;		/* the hole */
		case 1: return (char *)0xffff888000000000UL;
		case 2: return NULL;
		default: return scratch_addr(t);
		}
	}
	i = (int)rnd_below(&t->rnd, (uint64_t)t->nmaps);
	sub_range(t, i, &from, len);
	if (r < 70) {
		*mi = i;
	} else if (r < 80) {
		size_t off = rnd_range(&t->rnd, 1, pg - 1);

		/* Misaligned, and never past the map's end. */
		from += off;
		*len -= off;
		*mi = i;
	} else if (!t->maps[i].outside) {
		/* A few pages either side, still in our scratch. */
		size_t before = rnd_below(&t->rnd, 4) * pg;

		if (in_scratch(t, from - before, *len + before + 4 * pg)) {
			from -= before;
			*len += before + rnd_below(&t->rnd, 4) * pg;
		}
	} else {
		*mi = i;
	}
	return from;
}

/* Does [p, p + len) lie in a map no write may land in? */
static bool in_ro(struct fthr *t, int mi, const char *p, size_t len)
{
	const struct map *m;

	if (mi < 0)
		return false;
	m = &t->maps[mi];
	return m->ro_sure && p >= m->addr && p + len <= m->addr + m->len;
}

/* A call wrote @n bytes at @p: never into a read-only map. */
static void wrote(struct fthr *t, enum fop op, int mi, char *p, long n, const char *how)
{
	if (n > 0 && in_ro(t, mi, p, (size_t)n))
		violation(t, op, "id %d: %s wrote %ld bytes into read-only map %p+%zu at %p",
			  t->maps[mi].id, how, n, (void *)t->maps[mi].addr, t->maps[mi].len,
			  (void *)p);
}

/*
 * A read-only map found writable at @p: say what /proc/self/maps has
 * there, and which of our calls mapped and unmapped over it lately.
 */
static void ro_violation(struct fthr *t, enum fop op, struct map *m, char *p,
			 const char *what)
{
	char where[160];

	maps_describe(p, where, sizeof(where));
	violation(t, op, "id %d: read-only map %p+%zu at %p: %s; maps: %s", m->id,
		  (void *)m->addr, m->len, (void *)p, what, where);
	explain(m->addr, m->len);
}

/* A read-only map stays so: a store faults, PROT_WRITE is refused. */
static void ro_check(struct fthr *t, enum fop op, struct map *m, char *p)
{
	unsigned char v;

	if (mincore((void *)((uintptr_t)p & ~(pg - 1)), pg, &v))
		return;
	if (!probe(p, true)) {
		ro_violation(t, op, m, p, "a store did not fault");
		return;
	}
	p = (char *)((uintptr_t)p & ~(pg - 1));
	if (mprotect(p, pg, PROT_READ | PROT_WRITE) == 0) {
		ro_violation(t, op, m, p, "mprotect(PROT_WRITE) succeeded");
		mprotect(p, pg, m->prot);
	} else if (errno != EACCES) {
		violation(t, op, "id %d: mprotect(PROT_WRITE) of read-only map: %s, want EACCES",
			  m->id, errno_name(errno));
	}
}

void op_rfp(struct fthr *t)
{
	size_t len, pgoff;
	int mi, prot = 0, flags = 0;
	char *p = rnd_target(t, &len, &mi);
	long rc;

	if (rnd_chance(&t->rnd, 5))
		prot = (int)rnd_range(&t->rnd, 1, 7);		/* must be 0 */
	if (rnd_chance(&t->rnd, 10))
		flags = rnd_chance(&t->rnd, 50) ? MAP_NONBLOCK : (int)rnd_next(&t->rnd);
	switch (rnd_below(&t->rnd, 5)) {
	case 0: pgoff = 0; break;
	case 1: pgoff = rnd_below(&t->rnd, 16); break;
	case 2: pgoff = mi >= 0 ? (size_t)t->maps[mi].id : 1; break;	/* the mmap offset */
	case 3: pgoff = rnd_below(&t->rnd, 1 << 20); break;
	default: pgoff = (size_t)rnd_next(&t->rnd) >> rnd_below(&t->rnd, 64); break;
	}
	rc = remap_file_pages(p, len, prot, pgoff, flags);
	event(t->idx, "rfp", p, len, rc);
	if (!tally(t, F_RFP, rc, E_RFP, "%p+%zu prot %#x pgoff %#zx flags %#x", (void *)p,
		   len, prot, pgoff, flags)) {
		/*
		 * As SysV's, a remap of a removed segment's last attachment
		 * unmaps it, then finds the segment gone (EINVAL): a hole,
		 * which the next mmap() of any thread may get. We run alone
		 * (mm_lock held for writing), so what is left is still ours:
		 * unmap it all before anyone can map into the hole.
		 */
		if (mi >= 0 && !range_is_mapped(p, len))
			map_unmap(t, mi);
		return;
	}
	if (prot)
		violation(t, F_RFP, "prot %#x succeeded, want EINVAL", prot);
	if (mi < 0)
		return;
	/* A new mapping: its pages and shmdt are the kernel's business now. */
	t->maps[mi].grown = true;
	if (in_ro(t, mi, p, len))
		ro_check(t, F_RFP, &t->maps[mi], p);
}

void op_mlock(struct fthr *t)
{
	size_t len;
	int mi;
	char *p = rnd_target(t, &len, &mi);

	/*
	 * mlock() populates, and the pages stay in the segment after the
	 * munlock(): bounded as madvise is, or one lock of a big segment
	 * fills the VM's memory and the OOM killer ends the run.
	 */
	if (len > POPULATE_MAX)
		len = POPULATE_MAX;
	switch (rnd_below(&t->rnd, 6)) {
	case 0:
		tally(t, F_MLOCK, mlock(p, len), E_LOCK, "mlock %p+%zu", (void *)p, len);
		break;
	case 1: {
		unsigned int f = rnd_chance(&t->rnd, 80) ? 1 : (unsigned int)rnd_next(&t->rnd);

		tally(t, F_MLOCK, syscall(SYS_mlock2, p, len, f), E_LOCK, "mlock2 %p+%zu flags %#x",
		      (void *)p, len, f);
		break;
	}
	case 2: {
		/* Never MCL_FUTURE without MCL_ONFAULT: huge maps would fill. */
		int f = (int)rnd_below(&t->rnd, 8) | MCL_ONFAULT;

		if (rnd_chance(&t->rnd, 5))
			f = (int)rnd_next(&t->rnd) & ~MCL_FUTURE;
		tally(t, F_MLOCK, mlockall(f), E_LOCK, "mlockall %#x", f);
		tally(t, F_MLOCK, munlockall(), E_NONE, "munlockall");
		return;
	}
	default:
		break;
	}
	tally(t, F_MLOCK, munlock(p, len), E_LOCK, "munlock %p+%zu", (void *)p, len);
}

void op_msync(struct fthr *t)
{
	size_t len;
	int mi, f = (int)rnd_below(&t->rnd, 8);
	char *p = rnd_target(t, &len, &mi);

	if (rnd_chance(&t->rnd, 5))
		f = (int)rnd_next(&t->rnd);
	tally(t, F_MSYNC, msync(p, len, f), E_MSYNC, "%p+%zu flags %#x", (void *)p, len, f);
}

void op_mbind(struct fthr *t)
{
	unsigned long mask[16];
	unsigned long maxnode = rnd_chance(&t->rnd, 50) ? 64 : rnd_below(&t->rnd, 1025);
	int mode = (int)rnd_below(&t->rnd, 8), mi, i;
	unsigned int flags = (unsigned int)rnd_below(&t->rnd, 8);
	size_t len;
	char *p = rnd_target(t, &len, &mi);

	for (i = 0; i < 16; i++)
		mask[i] = rnd_chance(&t->rnd, 70) ? 1 : rnd_next(&t->rnd);
	if (rnd_chance(&t->rnd, 10))
		mode |= 1 << (13 + rnd_below(&t->rnd, 3));	/* mode flags */
	tally(t, F_MBIND, syscall(SYS_mbind, p, len, mode, rnd_chance(&t->rnd, 10) ? NULL : mask,
				  maxnode, flags),
	      E_MBIND, "%p+%zu mode %#x maxnode %lu flags %#x", (void *)p, len, mode, maxnode,
	      flags);
	if (rnd_chance(&t->rnd, 20)) {
		tally(t, F_MBIND, syscall(SYS_set_mempolicy, mode, mask, maxnode), E_MBIND,
		      "set_mempolicy %#x", mode);
		syscall(SYS_set_mempolicy, 0, NULL, 0UL);
	}
}

/* process_vm_readv/writev on ourselves, with a second piece sometimes. */
void op_pvm(struct fthr *t)
{
	struct iovec l = { big, 0 }, r[2];
	size_t len;
	int mi, nr = 1;
	char *p = rnd_target(t, &len, &mi);
	bool w = rnd_chance(&t->rnd, 50);
	long rc;

	len = len < BIG ? len : BIG;
	l.iov_len = len;
	r[0].iov_base = p;
	r[0].iov_len = len;
	if (rnd_chance(&t->rnd, 10)) {
		r[1].iov_base = hostile_ptr(t, 8);
		r[1].iov_len = rnd_range(&t->rnd, 1, pg);
		nr = 2;
	}
	if (w) {
		memset(big, 0x5a, len);
		rc = process_vm_writev(getpid(), &l, 1, r, nr, 0);
	} else {
		rc = process_vm_readv(getpid(), &l, 1, r, nr, 0);
	}
	if (tally(t, F_PVM, rc, E_COPY, "%s %p+%zu", w ? "writev" : "readv", (void *)p, len) && w)
		wrote(t, F_PVM, mi, p, rc, "process_vm_writev");
}

void op_procmem(struct fthr *t)
{
	size_t len;
	int mi;
	char *p = rnd_target(t, &len, &mi);
	bool w = rnd_chance(&t->rnd, 50);
	long rc;

	if (t->memfd < 0)
		return;
	len = len < BIG ? len : BIG;
	if (w) {
		memset(big, 0x5a, len);
		rc = pwrite(t->memfd, big, len, (off_t)(uintptr_t)p);
	} else {
		rc = pread(t->memfd, big, len, (off_t)(uintptr_t)p);
	}
	if (tally(t, F_PROCMEM, rc, E_COPY, "%s %p+%zu", w ? "write" : "read", (void *)p, len) &&
	    w)
		wrote(t, F_PROCMEM, mi, p, rc, "/proc/self/mem");
}

/* Into a pipe from memory (vmsplice), and out of one into memory. */
void op_vmsplice(struct fthr *t)
{
	size_t len;
	int mi, fds[2];
	char *p = rnd_target(t, &len, &mi);
	struct iovec iov;
	long rc;

	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK))
		return;
	len = len < BIG ? len : BIG;
	iov.iov_base = p;
	iov.iov_len = len;
	switch (rnd_below(&t->rnd, 3)) {
	case 0:
		rc = vmsplice(fds[1], &iov, 1, rnd_chance(&t->rnd, 30) ? SPLICE_F_GIFT : 0);
		if (tally(t, F_VMSPLICE, rc, E_COPY, "to pipe %p+%zu", (void *)p, len) && rc > 0 &&
		    read(fds[0], big, (size_t)rc) != rc)
			violation(t, F_VMSPLICE, "pipe gave back less than vmsplice put in");
		break;
	case 1:
		memset(big, 0x5a, len);
		if (write(fds[1], big, len) <= 0)
			break;
		rc = vmsplice(fds[0], &iov, 1, 0);
		if (tally(t, F_VMSPLICE, rc, E_COPY, "from pipe %p+%zu", (void *)p, len))
			wrote(t, F_VMSPLICE, mi, p, rc, "vmsplice from a pipe");
		break;
	default:
		memset(big, 0x5a, len);
		if (write(fds[1], big, len) <= 0)
			break;
		rc = read(fds[0], p, len);
		if (tally(t, F_VMSPLICE, rc, E_COPY, "read() %p+%zu", (void *)p, len))
			wrote(t, F_VMSPLICE, mi, p, rc, "read() from a pipe");
		break;
	}
	close(fds[0]);
	close(fds[1]);
}

/* O_DIRECT: pages pinned for reading (write to the file) or writing. */
void op_odirect(struct fthr *t)
{
	size_t len;
	int mi;
	char *p = rnd_target(t, &len, &mi);
	bool w = rnd_chance(&t->rnd, 50);
	long rc;

	if (t->dfd < 0)
		return;
	len = len < BIG ? len : BIG;
	if (w) {
		rc = pwrite(t->dfd, p, len, 0);
	} else {
		memset(big, 0x5a, BIG);
		if (pwrite(t->dfd, big, BIG, 0) != (long)BIG)
			return;
		rc = pread(t->dfd, p, len, 0);
	}
	if (tally(t, F_ODIRECT, rc, E_COPY, "%s %p+%zu", w ? "write from" : "read into",
		  (void *)p, len) && !w)
		wrote(t, F_ODIRECT, mi, p, rc, "O_DIRECT read");
}

/*
 * Fork advice on a piece of a map, then fork: the child touches every map
 * it has, stores into the read-only ones (which must fault) and exits;
 * an alarm ends it if anything hangs.
 */
void op_fork(struct fthr *t)
{
	static const int advice[] = { MADV_DONTFORK, MADV_DOFORK, MADV_WIPEONFORK,
				      MADV_KEEPONFORK };
	int adv = advice[rnd_below(&t->rnd, ARRAY_SIZE(advice))], mi, status, i;
	size_t len;
	char *p = rnd_target(t, &len, &mi);
	pid_t pid;

	tally(t, F_FORK, madvise(p, len, adv), E_MADVISE, "%p+%zu advice %d", (void *)p, len,
	      adv);
	pid = fork();
	if (!pid) {
		alarm(10);
		for (i = 0; i < t->nmaps; i++) {
			struct map *m = &t->maps[i];
			unsigned char v;

			if (m->len > (64UL << 20) || mincore(m->addr, pg, &v))
				continue;
			probe(m->addr, false);
			if (m->ro_sure && !probe(m->addr, true))
				ro_violation(t, F_FORK, m, m->addr, "in a child, a store did not fault");
		}
		_exit(0);
	}
	if (pid < 0) {
		tally(t, F_FORK, -1, E_NONE, "fork");
		return;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		violation(t, F_FORK, "child ended with status %#x", status);
	madvise(p, len, MADV_DOFORK);
}

void op_roprobe(struct fthr *t)
{
	int i, start;

	if (!t->nmaps)
		return;
	start = (int)rnd_below(&t->rnd, (uint64_t)t->nmaps);
	for (i = 0; i < t->nmaps; i++) {
		struct map *m = &t->maps[(start + i) % t->nmaps];

		if (!m->ro_sure || m->len > (64UL << 20))
			continue;
		t->cnt[F_ROPROBE].calls++;
		t->cnt[F_ROPROBE].ok++;
		ro_check(t, F_ROPROBE, m, m->addr + rnd_below(&t->rnd, m->len));
		return;
	}
}

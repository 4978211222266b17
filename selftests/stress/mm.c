// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_stress: every mm system call a user can aim at an attachment.
 *
 * A security review found remap_file_pages() going around the module: on
 * a read-only attachment it gave a mapping mprotect() could make
 * writable, and it dropped nattch while the memory stayed mapped. So each
 * call here is followed by the checks that would have caught that:
 *
 *   - nattch, as IPC_STAT reports it, equals the VMAs that map the
 *     segment: at once for private segments (only their creating thread
 *     knows the id, so only its process maps them, and forks are held off
 *     meanwhile by fork_lock), and for every segment in every process at
 *     the end (checkpoint(), when all threads are paused);
 *   - nothing is written through a read-only attachment, by any path
 *     (op_ro_write tries them all) and the segment's bytes past the
 *     records, which nobody writes, stay zero;
 *   - the contents read through whatever the call left mapped are the
 *     segment's, and what is gone stays gone.
 *
 * Segments are identified in /proc/PID/maps by the file they map (dev and
 * inode), learnt from our own attachments, not by the file's name: the
 * name is the module's business and may change.
 */
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "stress.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT		1
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT		4
#endif
#define ADV_COLD		20
#define ADV_PAGEOUT		21
#define ADV_POPULATE_READ	22
#define ADV_POPULATE_WRITE	23
#define ADV_DONTNEED_LOCKED	24
#define ADV_COLLAPSE		25
#define TMPFS_MAGIC_		0x01021994
#define MPOL_MF_STRICT_		1
#define MPOL_MF_MOVE_		2

/*
 * Forks copy every VMA of the process, and so every thread's private
 * attachments: a thread that counts them against nattch holds this for
 * writing, and every fork (child.c too) holds it for reading until its
 * child is gone.
 */
pthread_rwlock_t fork_lock = PTHREAD_RWLOCK_INITIALIZER;

static const int E_MADV[] = { EINVAL, EAGAIN, ENOMEM, EBUSY, 0 };
static const int E_POPW_RO[] = { EINVAL, EFAULT, ENOMEM, EPERM, EACCES, 0 };
static const int E_LOCK[] = { ENOMEM, EPERM, EAGAIN, 0 };
static const int E_MBIND[] = { ENOSYS, EINVAL, EIO, ENOMEM, EPERM, 0 };
static const int E_MSYNC[] = { EBUSY, 0 };
static const int E_RFP[] = { EINVAL, ENOMEM, EACCES, EPERM, 0 };
static const int E_DONTUNMAP[] = { EINVAL, 0 };
static const int E_FORCE_RO[] = { EIO, EFAULT, EPERM, EACCES, 0 };
static const int E_PROT[] = { EACCES, 0 };
/* MADV_REMOVE checks VM_LOCKED (EINVAL) before the write access (EACCES). */
static const int E_PROT_LOCKED[] = { EACCES, EINVAL, 0 };

/*
 * mlockall() windows of this process (op_mlock): every VMA of every
 * thread is VM_LOCKED from mlockall until munlockall. A window began
 * before mlockall is called, ended after munlockall returns.
 */
static uint64_t mlockall_began, mlockall_ended;

/* Before a call: what later tells whether a window overlapped it. */
static uint64_t lock_mark(void)
{
	return __atomic_load_n(&mlockall_ended, __ATOMIC_SEQ_CST);
}

/* After it: did a window begin before it returned, and not end before it began? */
static bool lock_overlapped(uint64_t mark)
{
	return __atomic_load_n(&mlockall_began, __ATOMIC_SEQ_CST) > mark;
}

/*
 * What MADV_REMOVE through a read-only attachment may give, as SysV's:
 * EACCES, or EINVAL where the VMA was VM_LOCKED (another thread's
 * mlockall meanwhile).
 */
static const int *e_remove_ro(uint64_t mark)
{
	return lock_overlapped(mark) ? E_PROT_LOCKED : E_PROT;
}

/* O_DIRECT wants an aligned buffer; one page of it per thread. */
static __thread char dbuf[65536] __attribute__((aligned(4096)));

/* ---- /proc/PID/maps ---------------------------------------------------- */

struct vma {
	unsigned long start, end, dev, ino;
};

/* The file-backed VMAs of @pid (0: self), at most @max; returns how many. */
static int read_vmas(pid_t pid, struct vma *v, int max)
{
	char path[64], line[512], perms[8];
	unsigned long pgoff, maj, mnr;
	FILE *f;
	int n = 0;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/maps");
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (n < max && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s %lx %lx:%lx %lu", &v[n].start, &v[n].end,
			   perms, &pgoff, &maj, &mnr, &v[n].ino) != 7 || !v[n].ino)
			continue;
		v[n].dev = maj << 20 | mnr;
		n++;
	}
	fclose(f);
	return n;
}

#define MAX_VMAS	1024
#define MAX_ATTACHERS	64
#define MAX_FILES	8

struct fileset {
	int n;
	unsigned long dev[MAX_FILES], ino[MAX_FILES];
};

static void fileset_add(struct fileset *fs, unsigned long dev, unsigned long ino)
{
	int i;

	for (i = 0; i < fs->n; i++)
		if (fs->dev[i] == dev && fs->ino[i] == ino)
			return;
	if (fs->n < MAX_FILES) {
		fs->dev[fs->n] = dev;
		fs->ino[fs->n++] = ino;
	}
}

static bool fileset_has(const struct fileset *fs, unsigned long dev, unsigned long ino)
{
	int i;

	for (i = 0; i < fs->n; i++)
		if (fs->dev[i] == dev && fs->ino[i] == ino)
			return true;
	return false;
}

/* Log the file @a maps, for checkpoint(): once per id and thread. */
void ino_note(struct thr *t, const struct att *a)
{
	static __thread struct vma v[MAX_VMAS];
	int i, n;
	uint64_t k;

	for (i = 0; i < t->nnoted; i++)
		if (t->noted[i] == a->seg.id)
			return;
	n = read_vmas(0, v, MAX_VMAS);
	for (i = 0; i < n; i++) {
		if ((uintptr_t)a->addr < v[i].start || (uintptr_t)a->addr >= v[i].end)
			continue;
		k = __atomic_fetch_add(&inolog->n, 1, __ATOMIC_RELAXED);
		if (k < INOLOG_MAX) {
			inolog->e[k].dev = v[i].dev;
			inolog->e[k].ino = v[i].ino;
			__atomic_store_n(&inolog->e[k].id, a->seg.id, __ATOMIC_RELEASE);
		}
		break;
	}
	t->noted[t->nnoted++ % 64] = a->seg.id;
	if (t->nnoted >= 128)
		t->nnoted -= 64;
}

/*
 * The attachers of @id, as SHMIPC_IOC_ATTACHERS lists them, summed: all
 * of them (*@all), those of process @pid (*@of_pid), and the segment's
 * nattch of the same moment (*@nattch); the entries stay in att_buf, how
 * many in att_n. Entries must be well formed. Returns 0, or -1 with errno.
 */
static __thread struct shmipc_attacher att_buf[MAX_ATTACHERS];
static __thread uint32_t att_n;

static int attachers_sum(struct thr *t, int id, pid_t pid, uint64_t *all,
			 uint64_t *of_pid, uint64_t *nattch)
{
	struct shmipc_attachers a = {
		.id = id, .count = MAX_ATTACHERS, .buf = (uintptr_t)att_buf,
	};
	uint32_t i;

	if (ioctl(t->fd, SHMIPC_IOC_ATTACHERS, &a))
		return -1;
	*all = *of_pid = 0;
	*nattch = a.nattch;
	att_n = 0;
	if (a.count > MAX_ATTACHERS) {
		violation(t, OP_NATTCH, "id %d: %u attachers listed", id, a.count);
		return 0;
	}
	att_n = a.count;
	for (i = 0; i < a.count; i++) {
		const struct shmipc_attacher *e = &att_buf[i];

		if (!e->nattch || e->reserved ||
		    (e->flags & ~(uint32_t)SHMIPC_ATTACHER_RDONLY) || e->pid <= 0)
			violation(t, OP_NATTCH, "id %d: attacher %u of %u: pid %d flags %#x nattch %llu",
				  id, i, a.count, e->pid, e->flags,
				  (unsigned long long)e->nattch);
		*all += e->nattch;
		if (e->pid == pid)
			*of_pid += e->nattch;
	}
	return 0;
}

/*
 * Private segments: nattch must be exactly the VMAs of this process (and
 * of @peer, a child this thread holds paused) that map the files our
 * attachments of @id map, and the attachers list must say so, process by
 * process. Skipped while another thread has a child.
 */
/* The list of a private @id: @own VMAs here, @peers in @peer, no more. */
static void check_attachers(struct thr *t, enum op op, int id, int own,
			    pid_t peer, int peers)
{
	uint64_t all, mine, theirs = 0, nattch;

	t->cnt[OP_NATTCH].calls++;
	if (attachers_sum(t, id, getpid(), &all, &mine, &nattch) ||
	    (peer && attachers_sum(t, id, peer, &all, &theirs, &nattch))) {
		if (own + peers)
			violation(t, OP_NATTCH, "after %s: id %d has no attachers list (%s) but %d VMAs map it",
				  op_names[op], id, errno_name(errno), own + peers);
		else
			t->cnt[OP_NATTCH].ok++;
		return;
	}
	if (all != nattch || mine != (uint64_t)own || theirs != (uint64_t)peers)
		violation(t, OP_NATTCH, "after %s: id %d lists %llu attachments (%llu ours, %llu the child's), nattch %llu; %d and %d VMAs map it",
			  op_names[op], id, (unsigned long long)all,
			  (unsigned long long)mine, (unsigned long long)theirs,
			  (unsigned long long)nattch, own, peers);
	else
		t->cnt[OP_NATTCH].ok++;
}

void check_nattch(struct thr *t, enum op op, int id, pid_t peer)
{
	static __thread struct vma v[MAX_VMAS];
	struct fileset fs = { 0 };
	struct shmipc_ds ds;
	int i, j, n, count = 0, own, tries;
	bool mine = peer != 0;
	bool private = false;

	for (i = 0; i < t->natt; i++)
		if (t->att[i].seg.id == id && t->att[i].seg.key == SHMIPC_IPC_PRIVATE)
			private = true;
	if (!private && priv_of(t, id))
		private = true;
	if (!private)
		return;
	/* With a child of our own, fork_lock is ours already. */
	for (tries = 0; !mine && tries < 20; tries++) {
		if (!pthread_rwlock_trywrlock(&fork_lock))
			break;
		usleep(500);
	}
	if (!mine && tries == 20)
		return;
	n = read_vmas(0, v, MAX_VMAS);
	for (i = 0; i < t->natt; i++) {
		const struct att *a = &t->att[i];

		if (a->seg.id != id)
			continue;
		for (j = 0; j < n; j++)
			if (v[j].start < (uintptr_t)(a->addr + a->len) &&
			    v[j].end > (uintptr_t)a->addr)
				fileset_add(&fs, v[j].dev, v[j].ino);
	}
	for (j = 0; j < n; j++)
		count += fileset_has(&fs, v[j].dev, v[j].ino);
	own = count;
	if (peer) {
		n = read_vmas(peer, v, MAX_VMAS);
		for (j = 0; j < n; j++)
			count += fileset_has(&fs, v[j].dev, v[j].ino);
	}
	check_attachers(t, op, id, own, peer, count - own);
	t->cnt[OP_NATTCH].calls++;
	if (sys_ctl(t->fd, id, SHMIPC_IPC_STAT, &ds)) {
		if (count)
			violation(t, OP_NATTCH, "after %s: id %d is gone (%s) but %d VMAs map it",
				  op_names[op], id, errno_name(errno), count);
		else
			t->cnt[OP_NATTCH].ok++;
	} else if (ds.nattch != (uint64_t)count) {
		violation(t, OP_NATTCH, "after %s: id %d has nattch %llu but %d VMAs map it%s",
			  op_names[op], id, (unsigned long long)ds.nattch, count,
			  peer ? " (with a child's)" : "");
	} else {
		t->cnt[OP_NATTCH].ok++;
	}
	if (!mine)
		pthread_rwlock_unlock(&fork_lock);
}

/* ---- the end: nattch against the VMAs of every process ----------------- */

static bool wait_count(uint32_t *ctr, uint32_t want, int secs)
{
	uint64_t end = now_ns() + (uint64_t)secs * 1000000000ULL;

	while (__atomic_load_n(ctr, __ATOMIC_ACQUIRE) < want)
		if (now_ns() > end)
			return false;
		else
			usleep(1000);
	return true;
}

/*
 * At the checkpoint, with everyone paused: the list of @id adds up to its
 * nattch, and each of its processes is a worker.
 */
static void check_checkpoint_attachers(struct thr *t, int id)
{
	uint64_t all, none, nattch;
	int p;

	t->cnt[OP_NATTCH].calls++;
	if (attachers_sum(t, id, 0, &all, &none, &nattch)) {
		t->cnt[OP_NATTCH].ok++;	/* gone: the IPC_STAT check says more */
		return;
	}
	if (all != nattch) {
		violation(t, OP_NATTCH, "checkpoint: id %d lists %llu attachments, nattch %llu",
			  id, (unsigned long long)all, (unsigned long long)nattch);
		return;
	}
	for (uint32_t i = 0; i < att_n; i++) {
		for (p = 0; p < cfg.procs; p++)
			if (att_buf[i].pid == inolog->pids[p])
				break;
		if (p == cfg.procs) {
			violation(t, OP_NATTCH, "checkpoint: id %d lists pid %d, no worker",
				  id, att_buf[i].pid);
			return;
		}
	}
	t->cnt[OP_NATTCH].ok++;
}

/*
 * Every thread of every worker comes here at the end, before it detaches
 * anything, and waits; no child is alive then. The first thread counts,
 * for each segment ever attached, the VMAs of all workers that map its
 * file, and compares with IPC_STAT: equal while it exists (SHM_DEST or
 * not), none once it is gone. A thread that never comes (a crashed
 * worker, already reported) holds nobody up for more than a minute.
 */
void checkpoint(struct thr *t)
{
	uint32_t all = (uint32_t)(cfg.procs * cfg.threads);
	static struct vma v[MAX_VMAS];
	uint64_t n, i, j;
	struct shmipc_ds ds;
	int p, k, m;

	__atomic_add_fetch(&inolog->arrived, 1, __ATOMIC_ACQ_REL);
	if (t->gidx) {
		wait_count(&inolog->released, 1, 120);
		return;
	}
	if (!wait_count(&inolog->arrived, all, 60)) {
		violation(t, OP_NATTCH, "checkpoint: %u of %u threads came",
			  __atomic_load_n(&inolog->arrived, __ATOMIC_ACQUIRE), all);
		goto out;
	}
	n = inolog->n < INOLOG_MAX ? inolog->n : INOLOG_MAX;
	/* The VMAs of each file: counted in the log's entries, first of each. */
	{
		static uint32_t count[INOLOG_MAX];

		memset(count, 0, sizeof(count));
		for (p = 0; p < cfg.procs; p++) {
			m = read_vmas(inolog->pids[p], v, MAX_VMAS);
			for (k = 0; k < m; k++)
				for (i = 0; i < n; i++)
					if (inolog->e[i].dev == v[k].dev &&
					    inolog->e[i].ino == v[k].ino) {
						count[i]++;
						break;
					}
		}
		for (i = 0; i < n; i++) {
			int id = inolog->e[i].id;
			uint64_t vmas = 0;
			bool first = true, live;

			for (j = 0; j < i; j++)
				if (inolog->e[j].id == id)
					first = false;
			if (!first)
				continue;
			/* Every file the id was seen mapping, each once. */
			for (j = i; j < n; j++) {
				uint64_t f;
				bool dup = false;

				if (inolog->e[j].id != id)
					continue;
				for (f = i; f < j; f++)
					if (inolog->e[f].id == id &&
					    inolog->e[f].dev == inolog->e[j].dev &&
					    inolog->e[f].ino == inolog->e[j].ino)
						dup = true;
				if (dup)
					continue;
				for (f = 0; f < n; f++)
					if (inolog->e[f].dev == inolog->e[j].dev &&
					    inolog->e[f].ino == inolog->e[j].ino) {
						vmas += count[f];
						break;
					}
			}
			check_checkpoint_attachers(t, id);
			t->cnt[OP_NATTCH].calls++;
			live = sys_ctl(t->fd, id, SHMIPC_IPC_STAT, &ds) == 0;
			if (live && ds.nattch != vmas)
				violation(t, OP_NATTCH, "checkpoint: id %d (mode %#o) has nattch %llu but %llu VMAs of all processes map it",
					  id, ds.perm.mode, (unsigned long long)ds.nattch,
					  (unsigned long long)vmas);
			else if (!live && vmas)
				violation(t, OP_NATTCH, "checkpoint: id %d is gone (%s) but %llu VMAs still map it",
					  id, errno_name(errno), (unsigned long long)vmas);
			else
				t->cnt[OP_NATTCH].ok++;
		}
	}
out:
	__atomic_store_n(&inolog->released, 1, __ATOMIC_RELEASE);
}

/* ---- helpers ------------------------------------------------------------ */

/* Read (or write a 0 to) @p: 0, or the signal it raised. */
int probe_access(char *p, bool write)
{
	sigjmp_buf jb, *volatile saved = op_jb;
	volatile int sig;

	sig = sigsetjmp(jb, 1);
	if (!sig) {
		op_jb = &jb;
		if (write)
			*(volatile char *)p = 0;
		else
			(void)*(volatile char *)p;
	}
	op_jb = saved;
	return sig;
}

void mm_thread_init(struct thr *t)
{
	static const char *const dirs[] = { "/dev/shm", "/tmp", "/run" };
	char path[96];
	struct statfs sf;
	unsigned int i;

	t->memfd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	t->dfd = -1;
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (statfs(dirs[i], &sf) || sf.f_type != TMPFS_MAGIC_)
			continue;
		snprintf(path, sizeof(path), "%s/shmipc-stress-%d-%d", dirs[i],
			 (int)getpid(), t->idx);
		/* tmpfs before 6.6 has no O_DIRECT (EINVAL): no such op then. */
		t->dfd = open(path, O_RDWR | O_CREAT | O_EXCL | O_DIRECT | O_CLOEXEC, 0600);
		if (t->dfd >= 0) {
			unlink(path);
			if (ftruncate(t->dfd, (off_t)(3 * pg))) {
				close(t->dfd);
				t->dfd = -1;
			}
		}
		break;
	}
}

void mm_thread_fini(struct thr *t)
{
	if (t->memfd >= 0)
		close(t->memfd);
	if (t->dfd >= 0)
		close(t->dfd);
}

static bool fit_any(const struct att *a)
{
	return !a->gone;
}

static bool fit_nohole(const struct att *a)
{
	return !a->hole_len;
}

static bool fit_ro_nohole(const struct att *a)
{
	return a->ro && !a->hole_len;
}

/* A random page range inside @a, clear of its hole: [*from, *from + *len). */
static void piece(struct thr *t, const struct att *a, char **from, size_t *len)
{
	size_t pages = a->len / pg, s = rnd_below(&t->rnd, pages), n;

	n = rnd_range(&t->rnd, 1, pages - s);
	if (a->hole_len) {
		size_t hs = a->hole_off / pg, he = (a->hole_off + a->hole_len) / pg;

		if (s >= hs && s < he)
			s = he < pages ? he : 0;
		if (s < hs && s + n > hs)
			n = hs - s;
		if (s + n > pages)
			n = pages - s;
		if (!n)
			n = 1;
	}
	*from = a->addr + s * pg;
	*len = n * pg;
}

/* The segment offset, and its address in @a, of a byte nobody writes. */
static char *zero_byte(struct thr *t, const struct att *a, size_t *off)
{
	size_t from = (size_t)nrecs * REC_BYTES, to = round_pg(a->seg.segsz);
	int tries;

	for (tries = 0; tries < 8; tries++) {
		char *p;

		*off = from + rnd_below(&t->rnd, to - from);
		p = seg_ptr(a, *off, 1);
		if (p)
			return p;
	}
	return NULL;
}

/* A whole page past the records, in @a: its address, or NULL. */
static char *zero_page(struct thr *t, const struct att *a)
{
	size_t first = round_pg((size_t)nrecs * REC_BYTES) / pg;
	size_t last = round_pg(a->seg.segsz) / pg, pgi;

	if (first >= last)
		return NULL;
	pgi = rnd_range(&t->rnd, first, last - 1);
	return seg_ptr(a, pgi * pg, pg);
}

/* After a call on @a: what it maps reads as the segment, nattch agrees. */
static void after(struct thr *t, enum op op, struct att *a)
{
	int id = a->seg.id;

	if (att_alive(t, op, a))
		verify_att(t, op, a);
	check_nattch(t, op, id, 0);
}

/* Forget @a after unmapping all it maps; nattch must follow. */
static void unmap_att(struct thr *t, int i)
{
	struct att *a = &t->att[i];
	int id = a->seg.id;

	event(t->gidx, "munmap-all", a->addr, a->len, 0);
	munmap(a->addr, a->len);
	att_drop(t, i);
	check_nattch(t, OP_MUNMAP_PIECE, id, 0);
}

/* ---- the calls ----------------------------------------------------------- */

/* The VMA (file) that maps the first page of @a now, if any. */
static bool att_file(const struct att *a, struct vma *out)
{
	static __thread struct vma v[MAX_VMAS];
	int j, n = read_vmas(0, v, MAX_VMAS);

	for (j = 0; j < n; j++)
		if ((uintptr_t)a->addr >= v[j].start && (uintptr_t)a->addr < v[j].end) {
			*out = v[j];
			return true;
		}
	return false;
}

/*
 * remap_file_pages() is an munmap of the range, then an mmap of the VMA's
 * file over it. Where the range held every VMA left of a segment marked
 * for destruction, the munmap takes nattch to 0 and destroys it; the mmap
 * then finds it gone (SysV's shm_mmap: EINVAL) and the call fails (EINVAL;
 * ENOMEM measured too, for SysV and shmipc alike, on 6.1 and 6.12),
 * leaving a hole. SysV does just that. Is that what happened to
 * @a (failed with @err, @file its VMA before)? Then it must be exactly
 * that, and @a is forgotten at once: where the kernel chose the address,
 * others may map into the hole by now.
 */
static bool rfp_destroyed(struct thr *t, int i, char *from, size_t len, int err,
			  const struct vma *file)
{
	static __thread struct vma v[MAX_VMAS];
	struct att *a = &t->att[i];
	struct shmipc_ds ds;
	int id = a->seg.id, j, n;

	/* Held by @a before the call: alive unless the call destroyed it. */
	if (!sys_ctl(t->fd, id, SHMIPC_IPC_STAT, &ds))
		return false;
	t->cnt[OP_RFP].calls++;
	if (errno != EINVAL && errno != EIDRM)
		violation(t, OP_RFP, "id %d: IPC_STAT after a failed remap_file_pages: %s",
			  id, errno_name(errno));
	else if (from != a->addr || len != a->len)
		violation(t, OP_RFP, "id %d: remap_file_pages(%p+%zu) of part of attachment %p+%zu failed (%s) and destroyed the segment",
			  id, (void *)from, len, (void *)a->addr, a->len, errno_name(err));
	else if (err != EINVAL && err != ENOMEM)
		violation(t, OP_RFP, "id %d: remap_file_pages destroyed the segment and failed with %s, want EINVAL or ENOMEM (as SysV)",
			  id, errno_name(err));
	else if (a->slot >= 0 && !range_unmapped(from, len))
		violation(t, OP_RFP, "id %d: remap_file_pages destroyed the segment but left pages of %p+%zu mapped",
			  id, (void *)from, len);
	else
		t->cnt[OP_RFP].ok++;
	/* Nothing may map the destroyed segment's file any more. */
	n = file ? read_vmas(0, v, MAX_VMAS) : 0;
	for (j = 0; j < n; j++)
		if (v[j].dev == file->dev && v[j].ino == file->ino)
			violation(t, OP_RFP, "id %d: destroyed by remap_file_pages, but %#lx-%#lx still maps it",
				  id, v[j].start, v[j].end);
	event(t->gidx, "rfp-destroyed", from, len, id);
	att_drop(t, i);
	check_nattch(t, OP_RFP, id, 0);
	return true;
}

/*
 * remap_file_pages on all or part of an attachment, at page offset 0 or
 * another. It may fail; when it works the pages must be those of the
 * segment at that offset, nattch must still count the VMA, and a
 * read-only attachment must stay read-only (mprotect refuses PROT_WRITE,
 * a write faults).
 */
void op_rfp(struct thr *t)
{
	int i = pick_att(t, fit_nohole), sig, err;
	struct vma file;
	bool have_file;
	size_t len, pages, pgoff, segpages, zoff;
	struct att *a, v;
	char *from, *zp;
	long rc;

	if (i < 0)
		return op_attach(t, rnd_chance(&t->rnd, 50) ? OP_AT_RO : OP_AT_RW);
	a = &t->att[i];
	segpages = round_pg(a->seg.segsz) / pg;
	if (rnd_chance(&t->rnd, 40)) {
		from = a->addr;
		len = a->len;
	} else {
		piece(t, a, &from, &len);
	}
	pages = len / pg;
	switch (rnd_below(&t->rnd, 4)) {
	case 0: pgoff = 0; break;
	case 1: pgoff = (a->off + (size_t)(from - a->addr)) / pg; break;	/* as it is */
	case 2: pgoff = rnd_below(&t->rnd, segpages - (pages < segpages ? pages : segpages) + 1); break;
	default: pgoff = segpages + rnd_below(&t->rnd, 4); break;		/* past the end */
	}
	have_file = att_file(a, &file);
	rc = remap_file_pages(from, len, 0, pgoff, 0);
	err = errno;
	event(t->gidx, "rfp", from, len, rc);
	if (!tally(t, OP_RFP, rc, E_RFP, "id %d %s %p+%zu pgoff %zu", a->seg.id,
		   a->ro ? "ro" : "rw", (void *)from, len, pgoff)) {
		if (rfp_destroyed(t, i, from, len, err, have_file ? &file : NULL))
			return;
		return after(t, OP_RFP, a);
	}
	/* A new mapping there now: shmdt need not know it; maybe a new VMA. */
	a->remapped = true;
	if (len < a->len)
		a->split = true;
	check_nattch(t, OP_RFP, a->seg.id, 0);
	/* What is at [from, from + len) now: the segment from pgoff on. */
	memset(&v, 0, sizeof(v));
	v.addr = from;
	v.off = pgoff * pg;
	v.len = len;
	v.seg = a->seg;
	v.ro = a->ro;
	if (a->ro) {
		t->cnt[OP_RO_WRITE].calls++;
		rc = mprotect(from, len, PROT_READ | PROT_WRITE);
		if (rc == 0) {
			violation(t, OP_RO_WRITE, "id %d: remap_file_pages(%p, %zu, pgoff %zu) of a read-only attachment, then mprotect(PROT_WRITE) succeeded",
				  a->seg.id, (void *)from, len, pgoff);
			/* A zero over a zero: whether it faults is what tells. */
			zp = pgoff + pages <= segpages ? zero_byte(t, &v, &zoff) : NULL;
			sig = zp ? probe_access(zp, true) : -1;
			if (!sig)
				violation(t, OP_RO_WRITE, "id %d: a write through the read-only attachment landed at %p",
					  a->seg.id, (void *)zp);
			mprotect(from, len, PROT_READ);
		} else if (errno == EACCES) {
			t->cnt[OP_RO_WRITE].ok++;
		} else {
			violation(t, OP_RO_WRITE, "id %d: mprotect(PROT_WRITE) after remap_file_pages: %s, want EACCES",
				  a->seg.id, errno_name(errno));
		}
		zp = pgoff + pages <= segpages ? zero_byte(t, &v, &zoff) : NULL;
		if (zp && probe_access(zp, true) != SIGSEGV)
			violation(t, OP_RO_WRITE, "id %d: after remap_file_pages a write to the read-only attachment at %p did not fault",
				  a->seg.id, (void *)zp);
	}
	/* The pages there are the segment's from pgoff on (if it has them). */
	if (pgoff + pages <= segpages)
		verify_att(t, OP_RFP, &v);
	/* Same layout as before: keep it; else its pages lie anyhow now. */
	if (pgoff * pg == a->off + (size_t)(from - a->addr))
		return after(t, OP_RFP, a);
	unmap_att(t, i);
}

/* Any protection on any piece; PROT_WRITE only where mapped writable. */
void op_mprotect_any(struct thr *t)
{
	static const int prots[] = { PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE,
				     PROT_READ | PROT_EXEC, PROT_WRITE };
	int i = pick_att(t, fit_any), prot = prots[rnd_below(&t->rnd, ARRAY_SIZE(prots))];
	int back;
	struct att *a;
	size_t len;
	char *from;
	long rc;

	if (i < 0)
		return;
	a = &t->att[i];
	back = PROT_READ | (a->ro ? 0 : PROT_WRITE);
	piece(t, a, &from, &len);
	rc = mprotect(from, len, prot);
	if (a->ro && (prot & PROT_WRITE))
		tally_fail(t, OP_MPROTECT_ANY, rc, E_PROT, "id %d ro %p+%zu prot %#x",
			   a->seg.id, (void *)from, len, prot);
	else
		tally(t, OP_MPROTECT_ANY, rc, (prot & PROT_EXEC) ? E_PROT : E_NONE,
		      "id %d %p+%zu prot %#x", a->seg.id, (void *)from, len, prot);
	if (len < a->len)
		a->split = true;
	tally(t, OP_MPROTECT_ANY, mprotect(from, len, back), E_NONE, "id %d back", a->seg.id);
	after(t, OP_MPROTECT_ANY, a);
}

/*
 * MREMAP_DONTUNMAP: refused on VM_DONTEXPAND (EINVAL); where it works,
 * both ranges map the segment (the old one refaults from the file), and
 * nattch counts both.
 */
void op_mremap_dontunmap(struct thr *t)
{
	int i = pick_att(t, att_one_vma), slot;
	struct att *a, v;
	void *p;

	if (i < 0)
		return;
	a = &t->att[i];
	slot = t->natt < MAX_ATT ? slot_take(t) : -1;
	if (slot < 0)
		return;
	p = mremap(a->addr, a->len, a->len, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP,
		   slot_addr(t, slot));
	event(t->gidx, "mremap-dontunmap", a->addr, a->len, p == MAP_FAILED ? -1 : 0);
	if (!tally(t, OP_MREMAP_DONTUNMAP, p == MAP_FAILED ? -1 : 0, E_DONTUNMAP,
		   "id %d %p+%zu to slot %d", a->seg.id, (void *)a->addr, a->len, slot)) {
		slot_put(t, slot);
		return after(t, OP_MREMAP_DONTUNMAP, a);
	}
	/* Two attachments' worth now: track the copy until checked. */
	v = *a;
	v.addr = p;
	v.slot = slot;
	t->slot_used[slot] = true;
	t->att[t->natt++] = v;
	check_nattch(t, OP_MREMAP_DONTUNMAP, a->seg.id, 0);
	verify_att(t, OP_MREMAP_DONTUNMAP, &t->att[t->natt - 1]);
	verify_att(t, OP_MREMAP_DONTUNMAP, a);
	unmap_att(t, t->natt - 1);
	unmap_att(t, i);
}

/* munmap of any piece: head, tail, a middle run of pages, or all. */
void op_munmap_piece(struct thr *t)
{
	int i = pick_att(t, fit_nohole);
	size_t pages, s, n;
	struct att *a;

	if (i < 0)
		return;
	a = &t->att[i];
	pages = a->len / pg;
	s = rnd_below(&t->rnd, pages);
	n = rnd_range(&t->rnd, 1, pages - s);
	/* Holes and cut heads only in our scratch, where nobody maps. */
	if (a->slot < 0)
		s = pages - n;
	if (s == 0 && n == pages)
		return unmap_att(t, i);
	event(t->gidx, "munmap", a->addr + s * pg, n * pg, 0);
	if (!tally(t, OP_MUNMAP_PIECE, munmap(a->addr + s * pg, n * pg), E_NONE,
		   "id %d pages %zu+%zu of %zu", a->seg.id, s, n, pages))
		return;
	if (s + n == pages) {
		a->len -= n * pg;
		a->tail_cut = true;
	} else if (!s) {
		a->addr += n * pg;
		a->off += n * pg;
		a->len -= n * pg;
	} else {
		a->hole_off = s * pg;
		a->hole_len = n * pg;
	}
	after(t, OP_MUNMAP_PIECE, a);
}

/*
 * Every advice on a piece. MADV_REMOVE punches a hole in the segment's
 * file: only where nobody writes (past the records), and never through a
 * read-only attachment. Fork advice is undone at once (fork_madvise
 * checks what a child gets).
 */
void op_madvise(struct thr *t)
{
	static const int advice[] = { MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL,
		MADV_WILLNEED, MADV_DONTNEED, MADV_REMOVE, MADV_FREE, ADV_PAGEOUT,
		ADV_COLD, MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_DONTFORK, MADV_DOFORK,
		MADV_HUGEPAGE, MADV_NOHUGEPAGE, ADV_COLLAPSE, ADV_POPULATE_READ,
		ADV_POPULATE_WRITE, ADV_DONTNEED_LOCKED, MADV_MERGEABLE,
		MADV_UNMERGEABLE, MADV_DONTDUMP, MADV_DODUMP };
	int i = pick_att(t, fit_any), adv = advice[rnd_below(&t->rnd, ARRAY_SIZE(advice))];
	uint64_t mark;
	struct att *a;
	size_t len;
	char *from;
	long rc;

	if (i < 0)
		return;
	a = &t->att[i];
	piece(t, a, &from, &len);
	if (adv == MADV_REMOVE) {
		from = zero_page(t, a);
		len = pg;
		if (!from)
			return;
	}
	mark = lock_mark();
	rc = madvise(from, len, adv);
	event(t->gidx, "madvise", from, len, adv);
	if (a->ro && (adv == MADV_REMOVE || adv == ADV_POPULATE_WRITE))
		tally_fail(t, OP_MADVISE, rc, adv == MADV_REMOVE ? e_remove_ro(mark) : E_POPW_RO,
			   "id %d: advice %d on a read-only attachment", a->seg.id, adv);
	else
		tally(t, OP_MADVISE, rc, E_MADV, "id %d %p+%zu advice %d", a->seg.id,
		      (void *)from, len, adv);
	if (adv == MADV_DONTFORK || adv == MADV_WIPEONFORK)
		madvise(from, len, adv == MADV_DONTFORK ? MADV_DOFORK : MADV_KEEPONFORK);
	/* New flags on a piece split its VMA, for good (no merging back). */
	if (len < a->len)
		a->split = true;
	after(t, OP_MADVISE, a);
}

/* mlock, mlock2(MLOCK_ONFAULT), munlock, mlockall, munlockall. */
void op_mlock(struct thr *t)
{
	int i = pick_att(t, fit_any);
	struct att *a;
	size_t len;
	char *from;

	if (i < 0)
		return;
	a = &t->att[i];
	piece(t, a, &from, &len);
	switch (rnd_below(&t->rnd, 4)) {
	case 0:
		tally(t, OP_MLOCK, mlock(from, len), E_LOCK, "id %d %p+%zu", a->seg.id,
		      (void *)from, len);
		break;
	case 1:
		tally(t, OP_MLOCK, syscall(SYS_mlock2, from, len, MLOCK_ONFAULT), E_LOCK,
		      "id %d mlock2 ONFAULT %p+%zu", a->seg.id, (void *)from, len);
		break;
	case 2:
		/* The whole process, briefly: what is mapped now, on fault. */
		__atomic_add_fetch(&mlockall_began, 1, __ATOMIC_SEQ_CST);
		tally(t, OP_MLOCK, mlockall(MCL_CURRENT | MCL_ONFAULT), E_LOCK, "mlockall");
		if (!a->ro)
			write_rec(t, OP_MLOCK, a, ++t->value);
		tally(t, OP_MLOCK, munlockall(), E_NONE, "munlockall");
		__atomic_add_fetch(&mlockall_ended, 1, __ATOMIC_SEQ_CST);
		break;
	default:
		break;
	}
	tally(t, OP_MLOCK, munlock(from, len), E_NONE, "id %d munlock", a->seg.id);
	if (len < a->len)
		a->split = true;
	after(t, OP_MLOCK, a);
}

/* NUMA policy on a piece and on the thread (one node: policy is all it is). */
void op_mbind(struct thr *t)
{
	static const int modes[] = { 0, 1, 2, 3, 4 };	/* DEFAULT .. LOCAL */
	static const unsigned int flags[] = { 0, MPOL_MF_STRICT_, MPOL_MF_MOVE_,
					      MPOL_MF_STRICT_ | MPOL_MF_MOVE_ };
	int i = pick_att(t, fit_any), mode = modes[rnd_below(&t->rnd, ARRAY_SIZE(modes))];
	unsigned long mask = 1;
	bool nomask = mode == 0 || mode == 4;
	struct att *a;
	size_t len;
	char *from;

	if (i < 0)
		return;
	a = &t->att[i];
	piece(t, a, &from, &len);
	tally(t, OP_MBIND, syscall(SYS_mbind, from, len, mode, nomask ? NULL : &mask,
				   nomask ? 0UL : 64UL,
				   flags[rnd_below(&t->rnd, ARRAY_SIZE(flags))]),
	      E_MBIND, "id %d %p+%zu mode %d", a->seg.id, (void *)from, len, mode);
	if (rnd_chance(&t->rnd, 30)) {
		tally(t, OP_MBIND, syscall(SYS_set_mempolicy, mode, nomask ? NULL : &mask,
					   nomask ? 0UL : 64UL), E_MBIND, "set_mempolicy %d", mode);
		verify_att(t, OP_MBIND, a);
		syscall(SYS_set_mempolicy, 0, NULL, 0UL);
	}
	syscall(SYS_mbind, from, len, 0, NULL, 0UL, 0U);
	if (len < a->len)
		a->split = true;
	after(t, OP_MBIND, a);
}

void op_msync(struct thr *t)
{
	static const int flags[] = { MS_ASYNC, MS_SYNC, MS_INVALIDATE,
				     MS_ASYNC | MS_INVALIDATE, MS_SYNC | MS_INVALIDATE };
	int i = pick_att(t, fit_any), f = flags[rnd_below(&t->rnd, ARRAY_SIZE(flags))];
	struct att *a;
	size_t len;
	char *from;

	if (i < 0)
		return;
	a = &t->att[i];
	piece(t, a, &from, &len);
	tally(t, OP_MSYNC, msync(from, len, f), E_MSYNC, "id %d %p+%zu flags %#x",
	      a->seg.id, (void *)from, len, f);
	if (rnd_chance(&t->rnd, 10))
		tally_fail(t, OP_MSYNC, msync(from, len, MS_ASYNC | MS_SYNC), E_INVAL,
			   "id %d MS_ASYNC|MS_SYNC", a->seg.id);
	after(t, OP_MSYNC, a);
}

/*
 * A record written by another path than a store: the sequence word by
 * hand (odd while the words go in, as rec_write does), the words by
 * @put. Then it must read back as written, through every attachment.
 */
static void rec_write_by(struct thr *t, enum op op, struct att *a, const char *how,
			 long (*put)(struct thr *t, char *dst, const void *src, size_t n,
				     pid_t peer), pid_t peer)
{
	uint64_t w[REC_WORDS], got = 0, *rec, s;
	uint64_t value = ++t->value;
	long rc;

	rec = (uint64_t *)seg_ptr(a, (size_t)t->gidx * REC_BYTES, REC_BYTES);
	if (!rec)
		return;
	rec_fill(w, t->gidx, a->seg.key, a->seg.id, value);
	s = __atomic_load_n(&rec[0], __ATOMIC_RELAXED);
	if (s & 1)
		return;
	__atomic_store_n(&rec[0], s + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	rc = put(t, (char *)(rec + 1), w + 1, REC_BYTES - 8, peer);
	__atomic_store_n(&rec[0], s + 2, __ATOMIC_RELEASE);
	if (!tally(t, op, rc < 0 ? -1 : 0, E_NONE, "id %d: %s of own record", a->seg.id, how))
		return;
	if (rc != REC_BYTES - 8)
		violation(t, op, "id %d: %s wrote %ld of %d bytes", a->seg.id, how, rc,
			  REC_BYTES - 8);
	if (rec_check(t, op, a, t->gidx, &got) && rc == REC_BYTES - 8 && got != value)
		violation(t, op, "id %d: %s wrote %#" PRIx64 ", read back %#" PRIx64,
			  a->seg.id, how, value, got);
}

static long put_pvm(struct thr *t, char *dst, const void *src, size_t n, pid_t peer)
{
	struct iovec l = { (void *)src, n }, r = { dst, n };

	return process_vm_writev(peer ? peer : getpid(), &l, 1, &r, 1, 0);
}

static long put_mem(struct thr *t, char *dst, const void *src, size_t n, pid_t peer)
{
	return pwrite(t->memfd, src, n, (off_t)(uintptr_t)dst);
}

/* Through a pipe, into memory: vmsplice from the read end. */
static long put_vmsplice(struct thr *t, char *dst, const void *src, size_t n, pid_t peer)
{
	struct iovec iov = { dst, n };
	int p[2];
	long rc;

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK))
		return -1;
	rc = write(p[1], src, n);
	if (rc == (long)n)
		rc = vmsplice(p[0], &iov, 1, 0);
	close(p[0]);
	close(p[1]);
	return rc;
}

/*
 * A write that must not land: @put into the read-only @a at a byte past
 * the records. It must fail, and the byte stay zero.
 */
static void ro_put(struct thr *t, struct att *a, const char *how,
		   long (*put)(struct thr *t, char *dst, const void *src, size_t n,
			       pid_t peer), pid_t peer)
{
	static const char bytes[8] = "\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a";
	size_t off;
	char *p = zero_byte(t, a, &off);
	long rc;

	if (!p)
		return;
	rc = put(t, p, bytes, 1, peer);
	if (rc > 0) {
		t->cnt[OP_RO_WRITE].calls++;
		violation(t, OP_RO_WRITE, "id %d: %s wrote through a read-only attachment at %p (offset %zu)",
			  a->seg.id, how, (void *)p, off);
	} else {
		tally_fail(t, OP_RO_WRITE, rc < 0 ? -1 : 0, E_FORCE_RO,
			   "id %d: %s into a read-only attachment", a->seg.id, how);
	}
	if (*(volatile char *)p)
		violation(t, OP_RO_WRITE, "id %d: byte at offset %zu is %#x after %s into a read-only attachment",
			  a->seg.id, off, (unsigned char)*p, how);
}

static long put_read(struct thr *t, char *dst, const void *src, size_t n, pid_t peer)
{
	int p[2];
	long rc;

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK))
		return -1;
	rc = write(p[1], src, n);
	if (rc == (long)n)
		rc = read(p[0], dst, n);
	close(p[0]);
	close(p[1]);
	return rc;
}

/* O_DIRECT read of a page of 0x5a bytes (file page 2) over @dst's page. */
static long put_odirect(struct thr *t, char *dst, const void *src, size_t n, pid_t peer)
{
	return pread(t->dfd, (void *)((uintptr_t)dst & ~(pg - 1)), pg, (off_t)(2 * pg));
}

/* The peer: a child paused until told, with the parent's attachments. */
static pid_t peer_start(int *go)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (!pid) {
		close(p[1]);
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		alarm(30);
		if (read(p[0], &c, 1) < 0)
			_exit(CHILD_FAILED);
		_exit(CHILD_OK);
	}
	close(p[0]);
	*go = p[1];
	return pid;
}

/*
 * The child waits for a byte, not for the pipe's end: children of other
 * threads forked meanwhile hold copies of the write end.
 */
static void peer_end(struct thr *t, enum op op, pid_t pid, int go)
{
	char c = 'g';

	if (write(go, &c, 1) != 1)
		kill(pid, SIGKILL);
	close(go);
	check_child(t, op, reap(pid), "peer");
}

/* process_vm_readv/writev on ourselves, or on a paused child. */
void op_process_vm(struct thr *t)
{
	int i = pick_att(t, fit_any), go = -1;
	uint64_t w[REC_WORDS], mine[REC_WORDS];
	struct iovec l = { w, REC_BYTES }, r;
	pid_t peer = 0;
	struct att *a;
	char *rec;

	if (i < 0)
		return;
	a = &t->att[i];
	if (!att_alive(t, OP_PROCESS_VM, a))
		return;
	if (rnd_chance(&t->rnd, 30)) {
		pthread_rwlock_rdlock(&fork_lock);
		peer = peer_start(&go);
		if (peer < 0) {
			pthread_rwlock_unlock(&fork_lock);
			tally(t, OP_PROCESS_VM, -1, E_NONE, "fork");
			return;
		}
	}
	rec = seg_ptr(a, (size_t)t->gidx * REC_BYTES, REC_BYTES);
	if (rec) {
		/* Our own record: only we write it, so both reads agree. */
		r.iov_base = rec;
		r.iov_len = REC_BYTES;
		memcpy(mine, rec, REC_BYTES);
		if (tally(t, OP_PROCESS_VM,
			  process_vm_readv(peer ? peer : getpid(), &l, 1, &r, 1, 0) ==
			  REC_BYTES ? 0 : -1, E_NONE, "id %d readv", a->seg.id) &&
		    memcmp(w, mine, REC_BYTES))
			violation(t, OP_PROCESS_VM, "id %d: process_vm_readv of own record differs from a load",
				  a->seg.id);
		if (!a->ro)
			rec_write_by(t, OP_PROCESS_VM, a, "process_vm_writev", put_pvm, peer);
	}
	if (a->ro)
		ro_put(t, a, "process_vm_writev", put_pvm, peer);
	if (peer) {
		peer_end(t, OP_PROCESS_VM, peer, go);
		pthread_rwlock_unlock(&fork_lock);
	}
	after(t, OP_PROCESS_VM, a);
}

/* Writes through /proc/self/mem (FOLL_FORCE): only where mapped writable. */
void op_proc_mem(struct thr *t)
{
	int i = pick_att(t, fit_any);
	struct att *a;

	if (i < 0 || t->memfd < 0)
		return;
	a = &t->att[i];
	if (!att_alive(t, OP_PROC_MEM, a))
		return;
	if (a->ro)
		ro_put(t, a, "/proc/self/mem", put_mem, 0);
	else
		rec_write_by(t, OP_PROC_MEM, a, "/proc/self/mem", put_mem, 0);
	after(t, OP_PROC_MEM, a);
}

/*
 * O_DIRECT on a tmpfs file: a write from the attachment (its pages
 * pinned for reading) must carry our record; a read into it lands only
 * where it is writable (zeros over a page of zeros), never into a
 * read-only attachment (0x5a bytes, which would show).
 */
void op_o_direct(struct thr *t)
{
	int i = pick_att(t, fit_any);
	char *buf = dbuf;
	struct att *a, v;
	char *rec, *zp;
	long rc;

	if (i < 0 || t->dfd < 0 || pg > sizeof(dbuf))
		return;
	a = &t->att[i];
	if (!att_alive(t, OP_O_DIRECT, a))
		return;
	rec = seg_ptr(a, (size_t)t->gidx * REC_BYTES, REC_BYTES);
	if (rec) {
		char *page = (char *)((uintptr_t)rec & ~(pg - 1));

		rc = pwrite(t->dfd, page, pg, 0);
		if (tally(t, OP_O_DIRECT, rc == (long)pg ? 0 : -1, E_NONE,
			  "id %d: O_DIRECT write from the attachment", a->seg.id) &&
		    pread(t->dfd, buf, pg, 0) == (long)pg) {
			memset(&v, 0, sizeof(v));
			v.addr = buf;
			v.off = (size_t)(page - a->addr) + a->off;
			v.len = pg;
			v.seg = a->seg;
			rec_check(t, OP_O_DIRECT, &v, t->gidx, NULL);
		}
	}
	if (a->ro) {
		memset(buf, 0x5a, pg);
		if (pwrite(t->dfd, buf, pg, (off_t)(2 * pg)) == (long)pg)
			ro_put(t, a, "O_DIRECT read", put_odirect, 0);
	} else if ((zp = zero_page(t, a))) {
		tally(t, OP_O_DIRECT, pread(t->dfd, zp, pg, (off_t)pg) == (long)pg ? 0 : -1,
		      E_NONE, "id %d: O_DIRECT read into the attachment", a->seg.id);
	}
	after(t, OP_O_DIRECT, a);
}

/*
 * vmsplice of a piece into a pipe (the pages go by reference), then
 * splice to a second pipe and read: the bytes are the segment's. Into
 * memory from a pipe: our record where writable, nothing where not.
 */
void op_vmsplice(struct thr *t)
{
	int i = pick_att(t, fit_any), p[2], q[2];
	static __thread char buf[2][REC_BYTES];
	struct att *a;
	struct iovec iov;
	char *rec;
	long rc;

	if (i < 0)
		return;
	a = &t->att[i];
	if (!att_alive(t, OP_VMSPLICE, a))
		return;
	rec = seg_ptr(a, (size_t)t->gidx * REC_BYTES, REC_BYTES);
	if (rec && !pipe2(p, O_CLOEXEC | O_NONBLOCK)) {
		if (!pipe2(q, O_CLOEXEC | O_NONBLOCK)) {
			iov.iov_base = rec;
			iov.iov_len = REC_BYTES;
			memcpy(buf[0], rec, REC_BYTES);
			rc = vmsplice(p[1], &iov, 1, rnd_chance(&t->rnd, 30) ? SPLICE_F_GIFT : 0);
			if (tally(t, OP_VMSPLICE, rc == REC_BYTES ? 0 : -1, E_NONE,
				  "id %d vmsplice", a->seg.id)) {
				rc = splice(p[0], NULL, q[1], NULL, REC_BYTES, SPLICE_F_NONBLOCK);
				if (tally(t, OP_VMSPLICE, rc == REC_BYTES ? 0 : -1, E_NONE,
					  "id %d splice", a->seg.id) &&
				    (read(q[0], buf[1], REC_BYTES) != REC_BYTES ||
				     memcmp(buf[0], buf[1], REC_BYTES)))
					violation(t, OP_VMSPLICE, "id %d: own record read back from the pipe differs",
						  a->seg.id);
			}
			close(q[0]);
			close(q[1]);
		}
		close(p[0]);
		close(p[1]);
	}
	if (a->ro)
		ro_put(t, a, "vmsplice from a pipe", put_vmsplice, 0);
	else if (rec)
		rec_write_by(t, OP_VMSPLICE, a, "vmsplice from a pipe", put_vmsplice, 0);
	after(t, OP_VMSPLICE, a);
}

/*
 * Fork advice, then fork: the child has the attachment or not as told
 * and reads it right; while it lives nattch counts its VMAs too; after
 * it exits they are gone.
 */
void op_fork_madvise(struct thr *t)
{
	static const int advice[] = { MADV_DONTFORK, MADV_DOFORK, MADV_WIPEONFORK,
				      MADV_KEEPONFORK };
	int i = pick_att(t, fit_nohole), adv = advice[rnd_below(&t->rnd, ARRAY_SIZE(advice))];
	int tries, p[2], q[2];
	bool dontfork;
	struct att *a;
	char c = 0;
	pid_t pid;

	if (i < 0)
		return;
	a = &t->att[i];
	dontfork = tally(t, OP_FORK_MADVISE, madvise(a->addr, a->len, adv), E_MADV,
			 "id %d advice %d", a->seg.id, adv) && adv == MADV_DONTFORK;
	for (tries = 0; tries < 100; tries++) {
		if (!pthread_rwlock_trywrlock(&fork_lock))
			break;
		usleep(500);
	}
	if (tries == 100 || pipe2(p, O_CLOEXEC)) {
		if (tries < 100)
			pthread_rwlock_unlock(&fork_lock);
		goto undo;
	}
	if (pipe2(q, O_CLOEXEC)) {
		close(p[0]);
		close(p[1]);
		pthread_rwlock_unlock(&fork_lock);
		goto undo;
	}
	pid = fork();
	if (!pid) {
		uint64_t before = rep->violations;

		child_init();
		alarm(30);
		close(p[0]);
		close(q[1]);
		if (page_mapped(a->addr) == dontfork)
			violation(t, OP_FORK_MADVISE, "id %d: after advice %d the child %s the attachment",
				  a->seg.id, adv, dontfork ? "has" : "lacks");
		else if (!dontfork)
			verify_att(t, OP_FORK_MADVISE, a);
		c = rep->violations == before ? 'k' : 'f';
		if (write(p[1], &c, 1) != 1 || read(q[0], &c, 1) < 0)
			_exit(CHILD_FAILED);
		_exit(rep->violations == before ? CHILD_OK : CHILD_FAILED);
	}
	close(p[1]);
	close(q[0]);
	if (pid > 0 && read(p[0], &c, 1) == 1)
		check_nattch(t, OP_FORK_MADVISE, a->seg.id, pid);
	/* A byte, not EOF: other threads' children hold q[1] too. */
	if (pid > 0 && write(q[1], &c, 1) != 1)
		kill(pid, SIGKILL);
	close(p[0]);
	close(q[1]);
	if (pid > 0)
		check_child(t, OP_FORK_MADVISE, reap(pid), "fork advice");
	else
		tally(t, OP_FORK_MADVISE, -1, E_NONE, "fork");
	pthread_rwlock_unlock(&fork_lock);
undo:
	madvise(a->addr, a->len, MADV_DOFORK);
	madvise(a->addr, a->len, MADV_KEEPONFORK);
	after(t, OP_FORK_MADVISE, a);
}

/*
 * Every way there is to write into memory, aimed at a read-only
 * attachment: each must fail, and the segment's zero bytes stay zero.
 * (remap_file_pages then mprotect is op_rfp's; a plain store is
 * fork_segv's.)
 */
void op_ro_write(struct thr *t)
{
	int i = pick_att(t, fit_ro_nohole);
	struct att *a;
	size_t off;
	char *zp;

	if (i < 0)
		return op_attach(t, OP_AT_RO);
	a = &t->att[i];
	if (!att_alive(t, OP_RO_WRITE, a))
		return;
	tally_fail(t, OP_RO_WRITE, mprotect(a->addr, a->len, PROT_READ | PROT_WRITE), E_PROT,
		   "id %d: mprotect(PROT_WRITE) of a read-only attachment", a->seg.id);
	mprotect(a->addr, a->len, PROT_READ);
	if (t->memfd >= 0)
		ro_put(t, a, "/proc/self/mem", put_mem, 0);
	ro_put(t, a, "process_vm_writev", put_pvm, 0);
	ro_put(t, a, "read() from a pipe", put_read, 0);
	ro_put(t, a, "vmsplice from a pipe", put_vmsplice, 0);
	if (t->dfd >= 0 && pg <= sizeof(dbuf)) {
		memset(dbuf, 0x5a, pg);
		if (pwrite(t->dfd, dbuf, pg, (off_t)(2 * pg)) == (long)pg)
			ro_put(t, a, "O_DIRECT read", put_odirect, 0);
	}
	zp = zero_page(t, a);
	if (zp) {
		uint64_t mark = lock_mark();
		int rc = madvise(zp, pg, MADV_REMOVE);

		tally_fail(t, OP_RO_WRITE, rc, e_remove_ro(mark),
			   "id %d: MADV_REMOVE through a read-only attachment", a->seg.id);
	}
	tally_fail(t, OP_RO_WRITE, madvise(a->addr, a->len, ADV_POPULATE_WRITE), E_POPW_RO,
		   "id %d: MADV_POPULATE_WRITE of a read-only attachment", a->seg.id);
	zp = zero_byte(t, a, &off);
	if (zp && probe_access(zp, true) != SIGSEGV)
		violation(t, OP_RO_WRITE, "id %d: a store to the read-only attachment at %p did not fault",
			  a->seg.id, (void *)zp);
	after(t, OP_RO_WRITE, a);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The memory-management system calls on an attachment, with the kernel's
 * own System V shm as the oracle (issue 11). Each test runs the same steps
 * twice: through shmget/shmat/shmdt/shmctl, then through the library (and,
 * where a test says "raw", a plain mmap of the device). Every step notes
 * what it saw under a label, and the test then requires shmipc's notes to
 * equal SysV's, label by label. Where SysV's answer is also the one the
 * test is about, it is checked on the SysV run too, so that a kernel whose
 * shm behaves otherwise shows up as a broken oracle, not as a shmipc bug.
 *
 * The notes live in shared memory, so that children (who drop privileges,
 * change personality or fork with MADV_DONTFORK) note into the same list.
 */
#include <limits.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "shmipc_test.h"
#include "kselftest_harness.h"

/* Advice and flags a libc may not know yet, with their UAPI values. */
#ifndef MADV_COLD
#define MADV_COLD		20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE		25
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif

/* <numaif.h> is libnuma's: the few values needed, from the UAPI. */
#define MPOL_DEFAULT		0
#define MPOL_PREFERRED		1
#define MPOL_F_ADDR		(1 << 1)

#define THP_SHMEM	"/sys/kernel/mm/transparent_hugepage/shmem_enabled"
#define MODULE_REFCNT	"/sys/module/shmipc/refcnt"

/* --- The two implementations, behind one table. --- */

struct shm_api {
	const char *name;
	bool sysv;
	int (*get)(key_t key, size_t size, int shmflg);
	void *(*at)(int shmid, const void *shmaddr, int shmflg);
	int (*dt)(const void *shmaddr);
	int (*ctl)(int shmid, int cmd, struct shmid_ds *buf);
};

static const struct shm_api sysv_api = {
	.name = "SysV", .sysv = true,
	.get = shmget, .at = shmat, .dt = shmdt, .ctl = shmctl,
};

static const struct shm_api shmipc_api = {
	.name = "shmipc", .sysv = false,
	.get = shmipc_get, .at = shmipc_at, .dt = shmipc_dt, .ctl = shmipc_ctl,
};

/* --- What a run saw: labelled values, compared between the runs. --- */

struct note {
	char label[56];
	long val;
};

/* One run's page of shared memory: children note into it too. */
struct run_state {
	unsigned int n;
	struct note notes[96];
	struct seg_list segs;		/* removed in teardown */
	char why[200];			/* why the run could not go on */
	void *addr;			/* a child's attachment, for its parent */
};

struct run {
	const struct shm_api *api;
	struct run_state *st;
	int fd;				/* the device, for the raw steps */
	size_t page;
	int variant;			/* for bodies that take one */
};

static void note(struct run *r, const char *label, long val)
{
	struct run_state *st = r->st;

	if (st->n >= ARRAY_SIZE(st->notes))
		return;
	snprintf(st->notes[st->n].label, sizeof(st->notes[0].label), "%s",
		 label);
	st->notes[st->n].val = val;
	st->n++;
}

/*
 * Notes what @call returned, as -1 or 0 for a pointer or length (the
 * value itself differs between runs), and its errno under "<label> errno"
 * (0 when it succeeded).
 */
#define NOTE_CALL(r, label, call) ({					\
	long r_;							\
	int e_;								\
	char l_[64];							\
	errno = 0;							\
	r_ = (long)(intptr_t)(call);					\
	e_ = r_ == -1 ? errno : 0;					\
	note((r), (label), r_ == -1 ? -1L : 0L);			\
	snprintf(l_, sizeof(l_), "%s errno", (label));			\
	note((r), l_, e_);						\
	errno = e_;							\
	r_;								\
})

/* The same, but keeps a positive result (a count, a flag). */
#define NOTE_RET(r, label, call) ({					\
	long r_;							\
	int e_;								\
	char l_[64];							\
	errno = 0;							\
	r_ = (long)(call);						\
	e_ = r_ == -1 ? errno : 0;					\
	note((r), (label), r_);						\
	snprintf(l_, sizeof(l_), "%s errno", (label));			\
	note((r), l_, e_);						\
	errno = e_;							\
	r_;								\
})

/* What a run noted under @label; LONG_MIN if it never got there. */
static long noted(const struct run_state *st, const char *label)
{
	unsigned int i;

	for (i = 0; i < st->n; i++)
		if (!strcmp(st->notes[i].label, label))
			return st->notes[i].val;
	return LONG_MIN;
}

static bool is_errno_label(const char *label)
{
	size_t n = strlen(label);

	return n > 5 && !strcmp(label + n - 5, "errno");
}

/* In a run: a step both implementations must get through, or give up. */
#define SETUP(r, cond) do {						\
	if (!(cond)) {							\
		snprintf((r)->st->why, sizeof((r)->st->why),		\
			 "line %d: %s (errno %d: %s)", __LINE__, #cond,	\
			 errno, strerror(errno));			\
		return -1;						\
	}								\
} while (0)

static int new_seg(struct run *r, key_t key, size_t size, int flags)
{
	return seg_track(&r->st->segs, r->api->get(key, size, flags));
}

static long nattch(struct run *r, int id)
{
	struct shmid_ds ds;

	if (r->api->ctl(id, IPC_STAT, &ds) < 0)
		return -1;
	return (long)ds.shm_nattch;
}

/* Is anything mapped at @addr? */
static bool mapped(const void *addr)
{
	unsigned char vec;

	return mincore((void *)((uintptr_t)addr & ~(uintptr_t)(page_size() - 1)),
		       1, &vec) == 0;
}

/* A "Field:" of the smaps entry of the mapping holding @addr, in kB. */
static long smaps_kb(const void *addr, const char *field)
{
	unsigned long start, end;
	char line[512], fmt[64];
	bool in = false;
	long kb = -1, v;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	snprintf(fmt, sizeof(fmt), "%s %%ld kB", field);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			if (in)
				break;
			in = start <= (uintptr_t)addr && (uintptr_t)addr < end;
			continue;
		}
		if (in && sscanf(line, fmt, &v) == 1)
			kb = v;
	}
	fclose(f);
	return kb;
}

/* --- The fixture: one state page per implementation. --- */

FIXTURE(mm) {
	int fd;
	size_t page;
	struct run_state *st[2];	/* [0] SysV, [1] shmipc */
	char thp_saved[32];		/* shmem_enabled to restore, or "" */
};

FIXTURE_SETUP(mm)
{
	void *p;

	self->fd = -1;
	self->page = page_size();
	self->thp_saved[0] = '\0';
	p = mmap(NULL, 2 * sizeof(struct run_state), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	self->st[0] = p;
	self->st[1] = self->st[0] + 1;
	OPEN_DEVICE_OR_SKIP(self->fd);
}

FIXTURE_TEARDOWN(mm)
{
	struct run_state *sv = self->st[0];
	unsigned int i;

	/* A THP setting left changed would change every later test. */
	if (self->thp_saved[0])
		write_file(THP_SHMEM, self->thp_saved);
	if (!sv)
		return;
	for (i = 0; i < sv->segs.n; i++)
		shmctl(sv->segs.ids[i], IPC_RMID, NULL);
	seg_cleanup(self->fd, &self->st[1]->segs);
	if (self->fd >= 0)
		close(self->fd);
	munmap(sv, 2 * sizeof(struct run_state));
}

typedef int (*body_fn)(struct run *r);

static void run_init(FIXTURE_DATA(mm) *self, struct run *r, bool sysv,
		     int variant)
{
	r->api = sysv ? &sysv_api : &shmipc_api;
	r->st = self->st[sysv ? 0 : 1];
	r->fd = self->fd;
	r->page = self->page;
	r->variant = variant;
}

/*
 * Every note of the SysV run must be among shmipc's, with the same value.
 * Labels say what was looked at; errno values are printed as names.
 */
static void compare(struct __test_metadata *_metadata,
		    const struct run_state *sv, const struct run_state *ip)
{
	unsigned int i;
	long a, b;

	for (i = 0; i < sv->n; i++) {
		const char *label = sv->notes[i].label;

		a = sv->notes[i].val;
		b = noted(ip, label);
		if (b == LONG_MIN) {
			EXPECT_NE(LONG_MIN, b)
				TH_LOG("%s: SysV %ld, shmipc never got there",
				       label, a);
		} else if (is_errno_label(label)) {
			EXPECT_EQ(a, b) TH_LOG("%s: SysV %s, shmipc %s", label,
					       a ? strerror((int)a) : "none",
					       b ? strerror((int)b) : "none");
		} else {
			EXPECT_EQ(a, b) TH_LOG("%s: SysV %ld, shmipc %ld",
					       label, a, b);
		}
	}
}

/* With MM_SYSCALLS_NOTES set in the environment, every note is printed. */
static void dump_notes(const struct run_state *st, const char *name)
{
	unsigned int i;

	if (!getenv("MM_SYSCALLS_NOTES"))
		return;
	for (i = 0; i < st->n; i++)
		fprintf(stderr, "# %s: %s = %ld\n", name, st->notes[i].label,
			st->notes[i].val);
}

/*
 * Runs @body through SysV, then through shmipc, and compares. A run that
 * cannot get through a step both must pass fails the test at once.
 */
#define RUN_BOTH(body, variant) do {					\
	struct run r_;							\
	run_init(self, &r_, true, (variant));				\
	ASSERT_EQ(0, body(&r_)) TH_LOG("SysV run: %s", r_.st->why);	\
	run_init(self, &r_, false, (variant));				\
	ASSERT_EQ(0, body(&r_)) TH_LOG("shmipc run: %s", r_.st->why);	\
	dump_notes(self->st[0], sysv_api.name);				\
	dump_notes(self->st[1], shmipc_api.name);			\
	compare(_metadata, self->st[0], self->st[1]);			\
} while (0)

/* A check of the oracle itself: SysV noted @want under @label. */
#define EXPECT_SYSV(want, label)					\
	EXPECT_EQ((long)(want), noted(self->st[0], (label)))		\
		TH_LOG("the kernel's own SysV shm: %s is %ld, expected %ld", \
		       (label), noted(self->st[0], (label)), (long)(want))

/* A key: IPC_PRIVATE for SysV, and one of this test's for shmipc. */
static key_t key_of(struct run *r, unsigned int n)
{
	return r->api->sysv ? IPC_PRIVATE : test_key(n);
}

/* --- 1. remap_file_pages() must not make a read-only attachment writable. --- */

#define PATTERN	'P'

struct rdonly_args {
	struct run *r;
	int id;
};

static int rdonly_remap_child(void *arg)
{
	struct rdonly_args *a = arg;
	struct run *r = a->r;
	size_t page = r->page;
	char *p;
	int fd;

	CHILD_CHECK(become(OTHER_UID, OTHER_GID, 0) == 0);
	/* Dropping root made us undumpable: /proc/self/mem would be root's. */
	CHILD_CHECK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0);
	if (r->variant) {	/* raw: a read-only plain mmap of the device */
		p = mmap_segment(r->fd, a->id, page, PROT_READ);
		CHILD_CHECK(p != MAP_FAILED);
	} else {
		p = r->api->at(a->id, NULL, SHM_RDONLY);
		CHILD_CHECK(p != (void *)-1);
	}
	NOTE_CALL(r, "remap_file_pages", remap_file_pages(p, page, 0, 0, 0));
	NOTE_CALL(r, "mprotect rw after remap",
		  mprotect(p, page, PROT_READ | PROT_WRITE));
	/* ptrace's way in: a forced write, which a shared mapping refuses. */
	fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	CHILD_CHECK(fd >= 0);
	NOTE_CALL(r, "pwrite /proc/self/mem",
		  pwrite(fd, "X", 1, (off_t)(uintptr_t)p));
	close(fd);
	return 0;
}

static int rdonly_remap(struct run *r)
{
	struct rdonly_args a = { .r = r };
	char *w;
	size_t i;

	a.id = new_seg(r, key_of(r, 1), r->page, IPC_CREAT | 0644);
	SETUP(r, a.id >= 0);
	w = r->api->at(a.id, NULL, 0);
	SETUP(r, w != (void *)-1);
	memset(w, PATTERN, r->page);
	note(r, "child", run_child(rdonly_remap_child, &a));
	for (i = 0; i < r->page && w[i] == PATTERN; i++)
		;
	note(r, "owner's pattern intact", i == r->page);
	SETUP(r, r->api->dt(w) == 0);
	return 0;
}

TEST_F(mm, rdonly_attach_stays_readonly_after_remap_file_pages)
{
	RUN_BOTH(rdonly_remap, 0);
	EXPECT_SYSV(0, "child");
	EXPECT_SYSV(-1, "mprotect rw after remap");
	EXPECT_SYSV(EACCES, "mprotect rw after remap errno");
	EXPECT_SYSV(-1, "pwrite /proc/self/mem");
	EXPECT_SYSV(1, "owner's pattern intact");
}

/*
 * The same through a plain read-only mmap of the device, which has no SysV
 * counterpart. Its VMA stays VM_SHARED (the device was opened read-write),
 * so remap_file_pages() goes through, and must map the attachment's
 * read-only file again: still not writable by any means.
 */
TEST_F(mm, raw_rdonly_mmap_stays_readonly_after_remap_file_pages)
{
	const struct run_state *st = self->st[1];
	struct run r;

	run_init(self, &r, false, 1);
	ASSERT_EQ(0, rdonly_remap(&r)) TH_LOG("%s", r.st->why);
	dump_notes(st, shmipc_api.name);
	EXPECT_EQ(0, noted(st, "child"));
	EXPECT_EQ(0, noted(st, "remap_file_pages"));
	EXPECT_EQ(-1, noted(st, "mprotect rw after remap"));
	EXPECT_EQ(EACCES, noted(st, "mprotect rw after remap errno"));
	EXPECT_EQ(-1, noted(st, "pwrite /proc/self/mem"));
	EXPECT_EQ(1, noted(st, "owner's pattern intact"));
}

/* --- 2. A page remapped by remap_file_pages() is still attached. --- */

static int remap_nattch(struct run *r)
{
	struct shmid_ds ds = { 0 };
	char *p;
	int id;

	id = new_seg(r, IPC_PRIVATE, r->page, IPC_CREAT | 0600);
	SETUP(r, id >= 0);
	p = r->api->at(id, NULL, 0);
	SETUP(r, p != (void *)-1);
	p[0] = 'r';
	NOTE_CALL(r, "remap_file_pages", remap_file_pages(p, r->page, 0, 0, 0));
	note(r, "contents after remap", p[0]);
	note(r, "nattch after remap", nattch(r, id));
	NOTE_CALL(r, "IPC_RMID", r->api->ctl(id, IPC_RMID, NULL));
	/* Attached still: removal waits for the detach. */
	NOTE_CALL(r, "IPC_STAT after RMID", r->api->ctl(id, IPC_STAT, &ds));
	note(r, "SHM_DEST after RMID", !!(ds.shm_perm.mode & SHM_DEST));
	NOTE_CALL(r, "detach", r->api->dt(p));
	NOTE_CALL(r, "IPC_STAT after detach", r->api->ctl(id, IPC_STAT, &ds));
	munmap(p, r->page);	/* in case the detach failed */
	return 0;
}

TEST_F(mm, remap_file_pages_keeps_nattch)
{
	RUN_BOTH(remap_nattch, 0);
	EXPECT_SYSV(0, "remap_file_pages");
	EXPECT_SYSV(1, "nattch after remap");
	EXPECT_SYSV(0, "IPC_STAT after RMID");
	EXPECT_SYSV(1, "SHM_DEST after RMID");
	EXPECT_SYSV(0, "detach");
	EXPECT_SYSV(EINVAL, "IPC_STAT after detach errno");
}

/* --- 3. mlock() and friends lock an attachment's pages. --- */

#define LOCK_LEN	(1024 * 1024)

struct lock_args {
	struct run *r;
	int id;
};

static int mlockall_child(void *arg)
{
	struct lock_args *a = arg;
	char *p = a->r->api->at(a->id, NULL, 0);

	CHILD_CHECK(p != (void *)-1);
	NOTE_CALL(a->r, "mlockall", mlockall(MCL_CURRENT));
	note(a->r, "mlockall: Locked kB", smaps_kb(p, "Locked:"));
	munlockall();
	return 0;
}

static int mlock_body(struct run *r)
{
	struct lock_args a = { .r = r };
	char *p;

	a.id = new_seg(r, IPC_PRIVATE, LOCK_LEN, IPC_CREAT | 0600);
	SETUP(r, a.id >= 0);
	p = r->api->at(a.id, NULL, 0);
	SETUP(r, p != (void *)-1);
	NOTE_CALL(r, "mlock", mlock(p, LOCK_LEN));
	/* Locked is a proportional figure: this is the only mapping. */
	note(r, "mlock: Locked kB", smaps_kb(p, "Locked:"));
	munlock(p, LOCK_LEN);
	SETUP(r, r->api->dt(p) == 0);
	note(r, "mlockall child", run_child(mlockall_child, &a));
	if (r->api->sysv)
		return 0;

	/* Raw: the device mapped with MAP_LOCKED. SysV's figure is mlock's. */
	p = mmap(NULL, LOCK_LEN, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_LOCKED, r->fd,
		 (off_t)SHMIPC_MMAP_OFFSET(a.id, r->page));
	SETUP(r, p != MAP_FAILED);
	note(r, "MAP_LOCKED: Locked kB", smaps_kb(p, "Locked:"));
	munmap(p, LOCK_LEN);
	return 0;
}

TEST_F(mm, mlock_locks_an_attachment)
{
	RUN_BOTH(mlock_body, 0);
	EXPECT_SYSV(0, "mlock");
	EXPECT_SYSV(LOCK_LEN >> 10, "mlock: Locked kB");
	EXPECT_SYSV(0, "mlockall child");
	EXPECT_SYSV(LOCK_LEN >> 10, "mlockall: Locked kB");
	EXPECT_EQ((long)(LOCK_LEN >> 10),
		  noted(self->st[1], "MAP_LOCKED: Locked kB"))
		TH_LOG("raw mmap with MAP_LOCKED: Locked %ld kB",
		       noted(self->st[1], "MAP_LOCKED: Locked kB"));
}

/* --- 4. Transparent huge pages follow shmem_enabled, as SysV's do. --- */

#define THP_LEN		(8UL << 20)

enum { THP_ALWAYS, THP_ADVISE_MADVISED, THP_COLLAPSE };

/* Saves shmem_enabled (the bracketed choice) once, then sets @mode. */
static int thp_set(FIXTURE_DATA(mm) *self, const char *mode)
{
	char buf[256], *lb, *rb;
	FILE *f;

	if (!self->thp_saved[0]) {
		f = fopen(THP_SHMEM, "r");
		if (!f)
			return -1;
		lb = fgets(buf, sizeof(buf), f);
		fclose(f);
		if (!lb)
			return -1;
		lb = strchr(buf, '[');
		rb = lb ? strchr(lb, ']') : NULL;
		if (!rb || rb - lb - 1 >= (long)sizeof(self->thp_saved))
			return -1;
		*rb = '\0';
		snprintf(self->thp_saved, sizeof(self->thp_saved), "%s", lb + 1);
	}
	return write_file(THP_SHMEM, mode);
}

static int thp_body(struct run *r)
{
	char *p;
	int id;

	id = new_seg(r, IPC_PRIVATE, THP_LEN, IPC_CREAT | 0600);
	SETUP(r, id >= 0);
	/* Where the kernel likes: it may pick an address huge pages fit. */
	p = r->api->at(id, NULL, 0);
	SETUP(r, p != (void *)-1);
	if (r->variant == THP_ADVISE_MADVISED)
		NOTE_CALL(r, "MADV_HUGEPAGE", madvise(p, THP_LEN, MADV_HUGEPAGE));
	touch_pages(p, THP_LEN);
	note(r, "ShmemPmdMapped kB", smaps_kb(p, "ShmemPmdMapped:"));
	if (r->variant == THP_COLLAPSE) {
		NOTE_CALL(r, "MADV_COLLAPSE", madvise(p, THP_LEN, MADV_COLLAPSE));
		note(r, "ShmemPmdMapped kB after collapse",
		     smaps_kb(p, "ShmemPmdMapped:"));
	}
	/* Free the huge pages before the other run wants its own. */
	SETUP(r, r->api->dt(p) == 0);
	SETUP(r, r->api->ctl(id, IPC_RMID, NULL) == 0);
	return 0;
}

#define THP_SET_OR_SKIP(mode) do {					\
	if (access(THP_SHMEM, W_OK))					\
		SKIP(return, "%s: %s", THP_SHMEM, strerror(errno));	\
	ASSERT_EQ(0, thp_set(self, (mode)))				\
		TH_LOG("setting %s to %s: %s", THP_SHMEM, (mode),	\
		       strerror(errno));				\
} while (0)

TEST_F(mm, thp_follows_shmem_enabled_always)
{
	THP_SET_OR_SKIP("always");
	RUN_BOTH(thp_body, THP_ALWAYS);
	EXPECT_SYSV(THP_LEN >> 10, "ShmemPmdMapped kB");
}

TEST_F(mm, thp_follows_madv_hugepage_when_shmem_enabled_is_advise)
{
	THP_SET_OR_SKIP("advise");
	RUN_BOTH(thp_body, THP_ADVISE_MADVISED);
	EXPECT_SYSV(0, "MADV_HUGEPAGE");
	EXPECT_SYSV(THP_LEN >> 10, "ShmemPmdMapped kB");
}

TEST_F(mm, madv_collapse_matches_sysv)
{
	THP_SET_OR_SKIP("advise");
	RUN_BOTH(thp_body, THP_COLLAPSE);
	/* Small pages when touched: nobody asked for huge ones. */
	EXPECT_SYSV(0, "ShmemPmdMapped kB");
}

/* --- 5. A NUMA policy is the segment's, seen by every attachment. --- */

static long sys_mbind(void *addr, unsigned long len, int mode,
		      const unsigned long *nodemask, unsigned long maxnode)
{
	return syscall(SYS_mbind, addr, len, mode, nodemask, maxnode, 0);
}

static long policy_at(void *addr)
{
	int mode = -1;

	if (syscall(SYS_get_mempolicy, &mode, NULL, 0UL, addr, MPOL_F_ADDR))
		return -1;
	return mode;
}

static int numa_body(struct run *r)
{
	unsigned long node0 = 1;
	char *a, *b;
	int id;

	id = new_seg(r, IPC_PRIVATE, 4 * r->page, IPC_CREAT | 0600);
	SETUP(r, id >= 0);
	a = r->api->at(id, NULL, 0);
	SETUP(r, a != (void *)-1);
	b = r->api->at(id, NULL, 0);
	SETUP(r, b != (void *)-1);
	NOTE_CALL(r, "mbind first", sys_mbind(a, 4 * r->page, MPOL_PREFERRED,
					      &node0, 8 * sizeof(node0)));
	NOTE_RET(r, "policy of first", policy_at(a));
	NOTE_RET(r, "policy of second", policy_at(b));
	SETUP(r, r->api->dt(b) == 0);
	SETUP(r, r->api->dt(a) == 0);
	return 0;
}

TEST_F(mm, numa_policy_is_shared_between_attachers)
{
	if (syscall(SYS_get_mempolicy, NULL, NULL, 0UL, NULL, 0UL) &&
	    errno == ENOSYS)
		SKIP(return, "no NUMA in this kernel");
	RUN_BOTH(numa_body, 0);
	EXPECT_SYSV(0, "mbind first");
	EXPECT_SYSV(MPOL_PREFERRED, "policy of first");
	EXPECT_SYSV(MPOL_PREFERRED, "policy of second");
}

/* --- 6. An attachment pins the module (shmipc only). --- */

static long module_refcnt(void)
{
	FILE *f = fopen(MODULE_REFCNT, "r");
	long n = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

TEST_F(mm, module_pinned_by_an_attachment)
{
	long idle, held, now;
	char *m;
	int fd, id, i;

	if (access(MODULE_REFCNT, R_OK))
		SKIP(return, "%s: %s", MODULE_REFCNT, strerror(errno));
	/* The library opens its descriptor on first use: before "idle". */
	id = seg_track(&self->st[1]->segs,
		       shmipc_get(IPC_PRIVATE, self->page, IPC_CREAT | 0600));
	ASSERT_LE(0, id);
	idle = module_refcnt();
	ASSERT_LE(0, idle);

	fd = open(SHMIPC_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	m = mmap_segment(fd, id, self->page, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, m);
	close(fd);
	/* Only the mapping is left to hold the module. */
	held = module_refcnt();
	EXPECT_LT(idle, held) TH_LOG("refcnt %ld idle, %ld attached", idle,
				     held);

	ASSERT_EQ(0, munmap(m, self->page));
	/* The file's last reference may be dropped by a deferred fput. */
	for (i = 0, now = module_refcnt(); i < 20 && now != idle; i++) {
		usleep(50 * 1000);
		now = module_refcnt();
	}
	EXPECT_EQ(idle, now);
}

/* --- 7. READ_IMPLIES_EXEC does not turn a read-only attach into exec. --- */

static int read_implies_exec_child(void *arg)
{
	struct run *r = arg;
	char *p;
	int id;

	/* The owner of the segment, but not root: no CAP_IPC_OWNER. */
	CHILD_CHECK(become(OTHER_UID, OTHER_GID, 0) == 0);
	id = new_seg(r, IPC_PRIVATE, r->page, IPC_CREAT | 0600);
	CHILD_CHECK(id >= 0);
	CHILD_CHECK(personality(PER_LINUX | READ_IMPLIES_EXEC) != -1);
	NOTE_CALL(r, "attach SHM_RDONLY", p = r->api->at(id, NULL, SHM_RDONLY));
	if (p != (void *)-1)
		r->api->dt(p);
	r->api->ctl(id, IPC_RMID, NULL);
	return 0;
}

static int read_implies_exec(struct run *r)
{
	note(r, "child", run_child(read_implies_exec_child, r));
	return 0;
}

TEST_F(mm, read_implies_exec_rdonly_attach)
{
	RUN_BOTH(read_implies_exec, 0);
	EXPECT_SYSV(0, "child");
	EXPECT_SYSV(0, "attach SHM_RDONLY");
}

/* --- 8. shmdt() of an address whose first page was unmapped. --- */

static int dt_after_munmap_head(struct run *r)
{
	size_t page = r->page;
	char *p;
	int id;

	id = new_seg(r, IPC_PRIVATE, 3 * page, IPC_CREAT | 0600);
	SETUP(r, id >= 0);
	p = r->api->at(id, NULL, 0);
	SETUP(r, p != (void *)-1);
	SETUP(r, munmap(p, page) == 0);
	note(r, "nattch after munmap", nattch(r, id));
	/* The rest starts a page in: one page into the segment, too. */
	NOTE_CALL(r, "detach at the unmapped start", r->api->dt(p));
	note(r, "second page mapped", mapped(p + page));
	note(r, "third page mapped", mapped(p + 2 * page));
	note(r, "nattch after detach", nattch(r, id));
	munmap(p + page, 2 * page);
	return 0;
}

TEST_F(mm, shmdt_after_munmap_of_first_page)
{
	RUN_BOTH(dt_after_munmap_head, 0);
	EXPECT_SYSV(0, "detach at the unmapped start");
	EXPECT_SYSV(0, "second page mapped");
	EXPECT_SYSV(0, "third page mapped");
	EXPECT_SYSV(0, "nattch after detach");
}

/* --- 9. mremap() may grow an attachment; past the segment is SIGBUS. --- */

static int touch_byte(void *arg)
{
	*(volatile char *)arg = 1;
	return 0;
}

static int mremap_grow(struct run *r)
{
	size_t page = r->page;
	char *p, *q;
	int id;

	id = new_seg(r, IPC_PRIVATE, page, IPC_CREAT | 0600);
	SETUP(r, id >= 0);
	p = r->api->at(id, NULL, 0);
	SETUP(r, p != (void *)-1);
	NOTE_CALL(r, "mremap to 3 pages",
		  q = mremap(p, page, 3 * page, MREMAP_MAYMOVE));
	note(r, "nattch after mremap", nattch(r, id));
	if (q == MAP_FAILED) {
		/* Past p is not ours: nothing more to try. */
		NOTE_CALL(r, "detach", r->api->dt(p));
		munmap(p, page);
		return 0;
	}
	note(r, "touch inside the segment", run_child(touch_byte, q));
	note(r, "touch past the segment", run_child(touch_byte, q + page));
	NOTE_CALL(r, "detach", r->api->dt(q));
	munmap(q, 3 * page);
	return 0;
}

TEST_F(mm, mremap_growth_allowed_sigbus_past_end)
{
	RUN_BOTH(mremap_grow, 0);
	EXPECT_SYSV(0, "mremap to 3 pages");
	EXPECT_SYSV(1, "nattch after mremap");
	EXPECT_SYSV(0, "touch inside the segment");
	EXPECT_SYSV(128 + SIGBUS, "touch past the segment");
}

/* --- 10. MREMAP_DONTUNMAP of an attachment, and what nattch says. --- */

static int mremap_dontunmap(struct run *r)
{
	size_t len = 2 * r->page;
	char *p, *q;
	int id;

	id = new_seg(r, IPC_PRIVATE, len, IPC_CREAT | 0600);
	SETUP(r, id >= 0);
	p = r->api->at(id, NULL, 0);
	SETUP(r, p != (void *)-1);
	p[0] = 'd';
	NOTE_CALL(r, "mremap DONTUNMAP",
		  q = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_DONTUNMAP));
	note(r, "nattch after mremap", nattch(r, id));
	if (q != MAP_FAILED) {
		note(r, "contents at the new place", q[0]);
		note(r, "contents at the old place", p[0]);
		NOTE_CALL(r, "detach new", r->api->dt(q));
		munmap(q, len);
	}
	NOTE_CALL(r, "detach old", r->api->dt(p));
	munmap(p, len);
	note(r, "nattch at the end", nattch(r, id));
	return 0;
}

/*
 * The kernel refuses MREMAP_DONTUNMAP of a SysV attachment (EINVAL on 6.1
 * and 6.12: it is for private mappings): the attachment stays where it is
 * and counts once.
 */
TEST_F(mm, mremap_dontunmap_matches_sysv)
{
	RUN_BOTH(mremap_dontunmap, 0);
	EXPECT_SYSV(-1, "mremap DONTUNMAP");
	EXPECT_SYSV(EINVAL, "mremap DONTUNMAP errno");
	EXPECT_SYSV(1, "nattch after mremap");
	EXPECT_SYSV(0, "nattch at the end");
}

/* --- 11. msync() on an attachment. --- */

static int msync_body(struct run *r)
{
	size_t len = 4 * r->page;
	char *p;
	int id;

	id = new_seg(r, IPC_PRIVATE, len, IPC_CREAT | 0600);
	SETUP(r, id >= 0);
	p = r->api->at(id, NULL, 0);
	SETUP(r, p != (void *)-1);
	touch_pages(p, len);
	NOTE_CALL(r, "MS_SYNC", msync(p, len, MS_SYNC));
	NOTE_CALL(r, "MS_ASYNC", msync(p, len, MS_ASYNC));
	NOTE_CALL(r, "MS_INVALIDATE", msync(p, len, MS_INVALIDATE));
	SETUP(r, r->api->dt(p) == 0);
	return 0;
}

TEST_F(mm, msync_sync_on_attachment)
{
	RUN_BOTH(msync_body, 0);
	EXPECT_SYSV(0, "MS_SYNC");
	EXPECT_SYSV(0, "MS_ASYNC");
}

/* --- 12. MADV_REMOVE through one attachment frees the page for all. --- */

static int madv_remove(struct run *r)
{
	char *a, *b;
	int id;

	id = new_seg(r, IPC_PRIVATE, 2 * r->page, IPC_CREAT | 0600);
	SETUP(r, id >= 0);
	a = r->api->at(id, NULL, 0);
	SETUP(r, a != (void *)-1);
	b = r->api->at(id, NULL, 0);
	SETUP(r, b != (void *)-1);
	a[0] = 'w';
	a[r->page] = 'k';
	NOTE_CALL(r, "MADV_REMOVE", madvise(b, r->page, MADV_REMOVE));
	note(r, "first page through the other", a[0]);
	note(r, "second page through the other", a[r->page]);
	SETUP(r, r->api->dt(b) == 0);
	SETUP(r, r->api->dt(a) == 0);
	return 0;
}

TEST_F(mm, madvise_remove_punches_hole)
{
	RUN_BOTH(madv_remove, 0);
	EXPECT_SYSV(0, "MADV_REMOVE");
	EXPECT_SYSV(0, "first page through the other");
	EXPECT_SYSV('k', "second page through the other");
}

/* --- 13. Every advice answers as it does on SysV's attachments. --- */

#define ADVICE(x)	{ #x, x }
static const struct {
	const char *name;
	int advice;
} advices[] = {
	ADVICE(MADV_NORMAL), ADVICE(MADV_RANDOM), ADVICE(MADV_SEQUENTIAL),
	ADVICE(MADV_WILLNEED), ADVICE(MADV_DONTNEED), ADVICE(MADV_FREE),
	ADVICE(MADV_REMOVE), ADVICE(MADV_DONTFORK), ADVICE(MADV_DOFORK),
	ADVICE(MADV_MERGEABLE), ADVICE(MADV_UNMERGEABLE),
	ADVICE(MADV_HUGEPAGE), ADVICE(MADV_NOHUGEPAGE), ADVICE(MADV_DONTDUMP),
	ADVICE(MADV_DODUMP), ADVICE(MADV_WIPEONFORK), ADVICE(MADV_KEEPONFORK),
	ADVICE(MADV_COLD), ADVICE(MADV_PAGEOUT), ADVICE(MADV_POPULATE_READ),
	ADVICE(MADV_POPULATE_WRITE), ADVICE(MADV_COLLAPSE),
};

static int every_advice(struct run *r)
{
	size_t len = 4 * r->page;
	volatile char sum = 0;
	char label[56];
	unsigned int i;
	int id, ro;
	char *p;

	id = new_seg(r, IPC_PRIVATE, len, IPC_CREAT | 0600);
	SETUP(r, id >= 0);
	p = r->api->at(id, NULL, 0);
	SETUP(r, p != (void *)-1);
	touch_pages(p, len);
	SETUP(r, r->api->dt(p) == 0);

	for (i = 0; i < ARRAY_SIZE(advices); i++) {
		for (ro = 0; ro < 2; ro++) {
			/* A fresh attachment: no advice given before. */
			p = r->api->at(id, NULL, ro ? SHM_RDONLY : 0);
			SETUP(r, p != (void *)-1);
			sum += p[0];
			snprintf(label, sizeof(label), "%s %s",
				 advices[i].name, ro ? "read-only" : "read-write");
			NOTE_CALL(r, label, madvise(p, len, advices[i].advice));
			SETUP(r, r->api->dt(p) == 0);
		}
	}
	return 0;
}

TEST_F(mm, madvise_every_advice_matches_sysv)
{
	RUN_BOTH(every_advice, 0);
	EXPECT_SYSV(0, "MADV_DONTNEED read-write");
	EXPECT_SYSV(0, "MADV_REMOVE read-write");
	EXPECT_SYSV(EACCES, "MADV_REMOVE read-only errno");
}

/* --- 14. MADV_DONTFORK: the child has no attachment, and no count. --- */

struct fork_args {
	struct run *r;
	int id;
	char *p;
};

static int dontfork_child(void *arg)
{
	struct fork_args *a = arg;

	note(a->r, "mapped in the child", mapped(a->p));
	note(a->r, "nattch in the child", nattch(a->r, a->id));
	return 0;
}

static int dontfork(struct run *r)
{
	struct fork_args a = { .r = r };

	a.id = new_seg(r, IPC_PRIVATE, 2 * r->page, IPC_CREAT | 0600);
	SETUP(r, a.id >= 0);
	a.p = r->api->at(a.id, NULL, 0);
	SETUP(r, a.p != (void *)-1);
	NOTE_CALL(r, "MADV_DONTFORK", madvise(a.p, 2 * r->page, MADV_DONTFORK));
	note(r, "child", run_child(dontfork_child, &a));
	note(r, "nattch in the parent", nattch(r, a.id));
	NOTE_CALL(r, "detach", r->api->dt(a.p));
	note(r, "nattch at the end", nattch(r, a.id));
	return 0;
}

TEST_F(mm, fork_with_dontfork_and_nattch)
{
	RUN_BOTH(dontfork, 0);
	EXPECT_SYSV(0, "mapped in the child");
	EXPECT_SYSV(1, "nattch in the child");
	EXPECT_SYSV(1, "nattch in the parent");
	EXPECT_SYSV(0, "nattch at the end");
}

/* --- 15. Another process cannot write into a read-only attachment. --- */

static int vm_writev_body(struct run *r)
{
	int to_child[2], to_parent[2], status;
	struct iovec local, remote;
	char *w, c = 'X';
	pid_t pid;
	int id;

	id = new_seg(r, IPC_PRIVATE, r->page, IPC_CREAT | 0600);
	SETUP(r, id >= 0);
	w = r->api->at(id, NULL, 0);
	SETUP(r, w != (void *)-1);
	w[0] = PATTERN;
	SETUP(r, pipe(to_child) == 0 && pipe(to_parent) == 0);
	fflush(NULL);
	pid = fork();
	SETUP(r, pid >= 0);
	if (pid == 0) {
		char *p = r->api->at(id, NULL, SHM_RDONLY);

		r->st->addr = p;
		/* Tell the parent where, and stay until it has tried. */
		if (write(to_parent[1], "a", 1) != 1 ||
		    read(to_child[0], &c, 1) != 1)
			_exit(2);
		_exit(p == (void *)-1 ? 1 : 0);
	}
	SETUP(r, read(to_parent[0], &c, 1) == 1);
	local.iov_base = &c;
	local.iov_len = 1;
	remote.iov_base = r->st->addr;
	remote.iov_len = 1;
	NOTE_CALL(r, "process_vm_writev",
		  process_vm_writev(pid, &local, 1, &remote, 1, 0));
	SETUP(r, write(to_child[1], "b", 1) == 1);
	SETUP(r, waitpid(pid, &status, 0) == pid);
	note(r, "child", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	note(r, "contents", w[0]);
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
	SETUP(r, r->api->dt(w) == 0);
	return 0;
}

TEST_F(mm, process_vm_writev_into_rdonly_attachment_fails)
{
	RUN_BOTH(vm_writev_body, 0);
	EXPECT_SYSV(0, "child");
	EXPECT_SYSV(-1, "process_vm_writev");
	EXPECT_SYSV(PATTERN, "contents");
}

TEST_HARNESS_MAIN

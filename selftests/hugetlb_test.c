// SPDX-License-Identifier: GPL-2.0
/*
 * shmget()'s SHM_HUGETLB, against the kernel's own SysV shm: who may make
 * a huge segment (CAP_IPC_LOCK or vm.hugetlb_shm_group), ENOMEM when the
 * pool cannot reserve it, the SHM_HUGE_* sizes, what the pool's counters
 * show through a segment's life, and what every mm call does to an
 * attachment of huge pages.
 *
 * Every case runs through SysV and through shmipc, each in a child that
 * unshares its IPC namespace, and what each saw must be equal. The pool
 * (vm.nr_hugepages) and vm.hugetlb_shm_group are global: the fixture sets
 * them for each case and restores them after, and each run removes what it
 * made, so that the pool is whole again before the other run starts.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "shmipc_test.h"
#include "kselftest_harness.h"
#include "oracle.h"

#define HPAGE		(2UL << 20)
#define POOL		4

#ifndef SHM_HUGE_SHIFT
#define SHM_HUGE_SHIFT	26
#endif
#ifndef SHM_HUGE_2MB
#define SHM_HUGE_2MB	(21 << SHM_HUGE_SHIFT)
#define SHM_HUGE_1GB	(30 << SHM_HUGE_SHIFT)
#endif

static long read_long(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t len;

	if (fd < 0)
		return -1;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return len > 0 ? strtol(buf, NULL, 10) : -1;
}

static int write_long(const char *path, long val)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -1;
	snprintf(buf, sizeof(buf), "%ld", val);
	ret = write(fd, buf, strlen(buf)) < 0 ? -1 : 0;
	close(fd);
	return ret;
}

#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"
#define SHM_GROUP	"/proc/sys/vm/hugetlb_shm_group"

/* The pool's free and reserved pages, as one number to compare. */
static long pool_state(void)
{
	return meminfo("HugePages_Free") * 100 + meminfo("HugePages_Rsvd");
}

/* KernelPageSize of the mapping at @addr in /proc/self/smaps, in kB. */
static long kernel_page_kb(void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	unsigned long start, end, want = (unsigned long)addr;
	char line[256];
	bool in = false;
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			in = start <= want && want < end;
			continue;
		}
		if (in && sscanf(line, "KernelPageSize: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* The module's SHMIPC_FEATURE_* bits, or 0. */
static unsigned long long shmipc_features(int fd)
{
	struct shmipc_version v = { 0 };

	return ioctl(fd, SHMIPC_IOC_VERSION, &v) ? 0 : v.features;
}

static long result(long r)
{
	return r < 0 ? -errno : r;
}

static int huge_seg(const struct api *a, size_t size, int flags)
{
	return a->get(IPC_PRIVATE, size, IPC_CREAT | SHM_HUGETLB | 0600 | flags);
}

FIXTURE(hugetlb) {
	int fd;
	long nr, group;
};

FIXTURE_SETUP(hugetlb)
{
	self->fd = -1;
	self->nr = -1;
	OPEN_DEVICE_OR_SKIP(self->fd);
	if (getuid() != 0)
		SKIP(return, "needs root, for the pool and another user");
	if (!(shmipc_features(self->fd) & SHMIPC_FEATURE_HUGETLB))
		SKIP(return, "the module offers no SHM_HUGETLB here");
	self->nr = read_long(NR_HUGEPAGES);
	self->group = read_long(SHM_GROUP);
	if (self->nr < 0 || self->group < 0 ||
	    read_long("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages") < 0)
		SKIP(return, "no 2 MiB huge pages");
	ORACLE_SETUP();
	ASSERT_EQ(0, write_long(NR_HUGEPAGES, POOL));
	if (read_long(NR_HUGEPAGES) != POOL)
		SKIP(return, "cannot make a pool of %d huge pages", POOL);
}

FIXTURE_TEARDOWN(hugetlb)
{
	if (self->nr >= 0) {
		/* Every page came back: none is in use or reserved. */
		EXPECT_EQ(POOL * 100, pool_state());
		write_long(NR_HUGEPAGES, self->nr);
		write_long(SHM_GROUP, self->group);
	}
	if (self->fd >= 0)
		close(self->fd);
}

/* No pool: ENOMEM, unless SHM_NORESERVE; then a fault has no page. */
static int no_pool_body(int which, const struct api *a, void *arg)
{
	int id;

	see(which, result(huge_seg(a, HPAGE, 0)));
	id = huge_seg(a, HPAGE, SHM_NORESERVE);
	see(which, id >= 0);
	if (id >= 0)
		CHILD_CHECK(a->ctl(id, IPC_RMID, NULL) == 0);
	/* Bigger than the pool, whatever is free. */
	CHILD_CHECK(write_long(NR_HUGEPAGES, POOL) == 0);
	see(which, result(huge_seg(a, (POOL + 1) * HPAGE, 0)));
	CHILD_CHECK(write_long(NR_HUGEPAGES, 0) == 0);
	return 0;
}

TEST_F(hugetlb, no_pool_is_enomem_unless_noreserve)
{
	ASSERT_EQ(0, write_long(NR_HUGEPAGES, 0));
	RUN_BOTH(no_pool_body, NULL);
	EXPECT_EQ(-ENOMEM, seen->v[0][0]);
	EXPECT_EQ(1, seen->v[0][1]);
	EXPECT_EQ(-ENOMEM, seen->v[0][2]);
	write_long(NR_HUGEPAGES, POOL);
}

/*
 * A segment of one and a half huge pages: shm_segsz stays as asked, two
 * pages are reserved at shmget() and taken at the first touch, a second
 * segment the rest of the pool cannot hold is ENOMEM, and IPC_RMID with
 * the last detach gives every page back.
 */
static int accounting_body(int which, const struct api *a, void *arg)
{
	struct shmid_ds ds;
	char *p;
	int id;

	id = huge_seg(a, HPAGE + HPAGE / 2, 0);
	CHILD_CHECK(id >= 0);
	CHILD_CHECK(a->ctl(id, IPC_STAT, &ds) == 0);
	see(which, ds.shm_segsz);
	see(which, ds.shm_perm.mode);
	see(which, pool_state());
	see(which, result(huge_seg(a, 3 * HPAGE, 0)));
	p = a->at(id, NULL, 0);
	CHILD_CHECK(p != (void *)-1);
	see(which, ((unsigned long)p & (HPAGE - 1)) == 0);
	see(which, pool_state());
	p[0] = 1;
	p[2 * HPAGE - 1] = 2;
	see(which, pool_state());
	see(which, kernel_page_kb(p));
	CHILD_CHECK(a->ctl(id, IPC_RMID, NULL) == 0);
	see(which, pool_state());
	CHILD_CHECK(a->dt(p) == 0);
	see(which, pool_state());
	return 0;
}

TEST_F(hugetlb, pages_reserved_at_shmget_and_back_after_rmid)
{
	RUN_BOTH(accounting_body, NULL);
	EXPECT_EQ((long)(HPAGE + HPAGE / 2), seen->v[0][0]);
	EXPECT_EQ(0600, seen->v[0][1]);
	EXPECT_EQ(POOL * 100 + 2, seen->v[0][2]);
	EXPECT_EQ(-ENOMEM, seen->v[0][3]);
	EXPECT_EQ(1, seen->v[0][4]);
	EXPECT_EQ((POOL - 2) * 100, seen->v[0][6]);
	EXPECT_EQ(2048, seen->v[0][7]);
	EXPECT_EQ(POOL * 100, seen->v[0][9]);
}

static int nobody_get(int which, const struct api *a, void *arg)
{
	int id = huge_seg(a, HPAGE, 0);

	see(which, id >= 0 ? 0 : -errno);
	if (id >= 0)
		CHILD_CHECK(a->ctl(id, IPC_RMID, NULL) == 0);
	return 0;
}

/*
 * Without CAP_IPC_LOCK and outside vm.hugetlb_shm_group: EPERM, whatever
 * RLIMIT_MEMLOCK allows (the kernel only warns that the rlimit path is
 * obsolete). In the group: allowed.
 */
static int group_body(int which, const struct api *a, void *arg)
{
	CHILD_CHECK(write_long(SHM_GROUP, 0) == 0);
	as_nobody(nobody_get, which, a, 0, 0);
	as_nobody(nobody_get, which, a, 0, RLIM_INFINITY);
	CHILD_CHECK(write_long(SHM_GROUP, GROUP_GID) == 0);
	as_nobody(nobody_get, which, a, GROUP_GID, 0);
	as_nobody(nobody_get, which, a, 0, RLIM_INFINITY);
	return 0;
}

TEST_F(hugetlb, eperm_outside_hugetlb_shm_group)
{
	RUN_BOTH(group_body, NULL);
	EXPECT_EQ(-EPERM, seen->v[0][0]);
	EXPECT_EQ(-EPERM, seen->v[0][1]);
	EXPECT_EQ(0, seen->v[0][2]);
	EXPECT_EQ(-EPERM, seen->v[0][3]);
}

/* The SHM_HUGE_* sizes: 2 MiB and the default work, others as SysV says. */
static int sizes_body(int which, const struct api *a, void *arg)
{
	const int logs[] = { 0, 21, 30, 12, 22, 25, 63 };
	unsigned int i;
	int id;

	for (i = 0; i < ARRAY_SIZE(logs); i++) {
		id = huge_seg(a, HPAGE, logs[i] << SHM_HUGE_SHIFT);
		see(which, id >= 0 ? 0 : -errno);
		if (id >= 0)
			CHILD_CHECK(a->ctl(id, IPC_RMID, NULL) == 0);
	}
	/* Size bits without SHM_HUGETLB are ignored. */
	id = a->get(IPC_PRIVATE, 4096, IPC_CREAT | 0600 | SHM_HUGE_1GB);
	see(which, id >= 0 ? 0 : -errno);
	if (id >= 0)
		CHILD_CHECK(a->ctl(id, IPC_RMID, NULL) == 0);
	return 0;
}

TEST_F(hugetlb, shm_huge_sizes)
{
	RUN_BOTH(sizes_body, NULL);
	EXPECT_EQ(0, seen->v[0][0]);
	EXPECT_EQ(0, seen->v[0][1]);
	EXPECT_EQ(-EINVAL, seen->v[0][3]);
	EXPECT_EQ(-EINVAL, seen->v[0][6]);
	EXPECT_EQ(0, seen->v[0][7]);
}

/* Attach, write, fork: the child sees and writes, nattch counts it. */
static int fork_body(int which, const struct api *a, void *arg)
{
	int id = huge_seg(a, 2 * HPAGE, 0), status;
	char *p;
	pid_t pid;

	CHILD_CHECK(id >= 0);
	p = a->at(id, NULL, 0);
	CHILD_CHECK(p != (void *)-1);
	memset(p, 'a', 2 * HPAGE);
	pid = fork();
	CHILD_CHECK(pid >= 0);
	if (pid == 0) {
		if (p[HPAGE + 5] != 'a' || api_nattch(a, id) != 2)
			_exit(1);
		p[HPAGE + 5] = 'b';
		_exit(0);
	}
	CHILD_CHECK(waitpid(pid, &status, 0) == pid);
	see(which, status);
	see(which, p[HPAGE + 5]);
	see(which, api_nattch(a, id));
	CHILD_CHECK(a->dt(p) == 0);
	see(which, api_nattch(a, id));
	CHILD_CHECK(a->ctl(id, IPC_RMID, NULL) == 0);
	return 0;
}

TEST_F(hugetlb, attach_write_fork_read)
{
	RUN_BOTH(fork_body, NULL);
	EXPECT_EQ(0, seen->v[0][0]);
	EXPECT_EQ('b', seen->v[0][1]);
	EXPECT_EQ(1, seen->v[0][2]);
	EXPECT_EQ(0, seen->v[0][3]);
}

/* A free, huge-page-aligned range of @len bytes. */
static char *huge_free_range(size_t len)
{
	char *p = mmap(NULL, len + HPAGE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, len + HPAGE);
	return (char *)(((unsigned long)p + HPAGE - 1) & ~(HPAGE - 1));
}

/* shmat() at an address aligned to SHMLBA but not to the huge page. */
static int unaligned_at_body(int which, const struct api *a, void *arg)
{
	int id = huge_seg(a, HPAGE, 0);
	char *where = huge_free_range(2 * HPAGE), *p;

	CHILD_CHECK(id >= 0 && where);
	p = a->at(id, where + 4096, 0);
	see(which, p == (void *)-1 ? -errno : 0);
	p = a->at(id, where + 4096 + 1, SHM_RND);
	see(which, p == (void *)-1 ? -errno : 0);
	p = a->at(id, where, 0);
	see(which, p == where);
	see(which, api_nattch(a, id));
	CHILD_CHECK(a->dt(where) == 0);
	CHILD_CHECK(a->ctl(id, IPC_RMID, NULL) == 0);
	return 0;
}

TEST_F(hugetlb, shmat_at_unaligned_address_is_einval)
{
	RUN_BOTH(unaligned_at_body, NULL);
	EXPECT_EQ(-EINVAL, seen->v[0][0]);
	EXPECT_EQ(-EINVAL, seen->v[0][1]);
	EXPECT_EQ(1, seen->v[0][2]);
}

/*
 * munmap, mprotect and mremap at addresses or lengths that split a huge
 * page; madvise, mlock and /proc/self/mem on an attachment.
 */
static int mm_calls_body(int which, const struct api *a, void *arg)
{
	int id = huge_seg(a, 3 * HPAGE, 0), fd;
	char *p, *q, c = 'm';

	CHILD_CHECK(id >= 0);
	p = a->at(id, NULL, 0);
	CHILD_CHECK(p != (void *)-1);
	p[0] = 'x';
	see(which, result(munmap(p + 4096, 4096)));
	see(which, result(munmap(p + HPAGE, 4096)));
	see(which, result(mprotect(p + 4096, HPAGE, PROT_READ)));
	see(which, result(mprotect(p + 2 * HPAGE, HPAGE, PROT_READ)));
	see(which, api_nattch(a, id));
	q = mremap(p, HPAGE, 2 * HPAGE, MREMAP_MAYMOVE);
	see(which, q == MAP_FAILED ? -errno : 0);
	q = mremap(p, HPAGE + 4096, HPAGE + 4096, MREMAP_MAYMOVE);
	see(which, q == MAP_FAILED ? -errno : 0);
	see(which, result(madvise(p, HPAGE, MADV_DONTNEED)));
	see(which, result(madvise(p + 4096, 4096, MADV_DONTNEED)));
	see(which, result(madvise(p, HPAGE, MADV_HUGEPAGE)));
	see(which, result(mlock(p, HPAGE)));
	see(which, result(munlock(p, HPAGE)));
	see(which, result(mlock(p + 4096, 4096)));
	see(which, result(munlock(p, HPAGE)));
	fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	CHILD_CHECK(fd >= 0);
	see(which, pwrite(fd, &c, 1, (off_t)(unsigned long)(p + 7)));
	see(which, p[7]);
	c = 0;
	see(which, pread(fd, &c, 1, (off_t)(unsigned long)p));
	see(which, c);
	close(fd);
	/* The last two pages as one split piece, then munmap of the middle. */
	see(which, result(munmap(p + HPAGE, HPAGE)));
	see(which, api_nattch(a, id));
	CHILD_CHECK(a->dt(p) == 0);
	see(which, api_nattch(a, id));
	CHILD_CHECK(a->ctl(id, IPC_RMID, NULL) == 0);
	return 0;
}

TEST_F(hugetlb, mm_calls_on_an_attachment)
{
	RUN_BOTH(mm_calls_body, NULL);
	EXPECT_EQ(-EINVAL, seen->v[0][0]);
	EXPECT_EQ(-EINVAL, seen->v[0][1]);
	EXPECT_EQ(0, seen->v[0][3]);
	/*
	 * Three pieces: the mprotect split off the last page, and the
	 * refused munmap at p + HPAGE had split there before its end was
	 * found unaligned, as the kernel does with SysV's own.
	 */
	EXPECT_EQ(3, seen->v[0][4]);
	EXPECT_EQ('m', seen->v[0][15]);
	EXPECT_EQ('x', seen->v[0][17]);
}
/*
 * A read-only attachment's mprotect, SHM_LOCK and SHM_INFO, msync,
 * MADV_REMOVE, remap_file_pages, a shrinking mremap, and a child that
 * exits attached.
 */
static int more_mm_body(int which, const struct api *a, void *arg)
{
	int id = huge_seg(a, 2 * HPAGE, 0), status;
	struct shm_info info;
	struct shmid_ds ds;
	char *p, *q;
	pid_t pid;

	CHILD_CHECK(id >= 0);
	p = a->at(id, NULL, 0);
	CHILD_CHECK(p != (void *)-1);
	memset(p, 'r', 2 * HPAGE);
	q = a->at(id, NULL, SHM_RDONLY);
	CHILD_CHECK(q != (void *)-1);
	see(which, result(mprotect(q, HPAGE, PROT_READ | PROT_WRITE)));
	see(which, q[HPAGE]);
	CHILD_CHECK(a->dt(q) == 0);
	see(which, ctl_result(a, id, SHM_LOCK, NULL));
	CHILD_CHECK(a->ctl(id, IPC_STAT, &ds) == 0);
	see(which, ds.shm_perm.mode);
	see(which, ctl_result(a, id, SHM_UNLOCK, NULL));
	CHILD_CHECK(a->ctl(0, SHM_INFO, (struct shmid_ds *)&info) >= 0);
	/*
	 * Some pages resident: 7.2's SysV counts a huge segment's 512 times
	 * over (its page cache counts base pages, and it multiplies them by
	 * the huge page's again), where shmipc counts each once.
	 */
	see(which, info.shm_rss > 0);
	see(which, info.shm_swp);
	see(which, info.shm_tot);
	see(which, result(msync(p, HPAGE, MS_SYNC)));
	see(which, result(madvise(p, HPAGE, MADV_REMOVE)));
	see(which, pool_state());
	/* The second page, mapped over the first. */
	p[HPAGE] = 's';
	see(which, result(syscall(SYS_remap_file_pages, p, HPAGE, 0,
				  HPAGE / 4096, 0)));
	see(which, p[0]);
	see(which, api_nattch(a, id));
	q = mremap(p, 2 * HPAGE, HPAGE, 0);
	see(which, q == MAP_FAILED ? -errno : 0);
	see(which, api_nattch(a, id));
	fflush(NULL);
	pid = fork();
	CHILD_CHECK(pid >= 0);
	if (pid == 0)
		_exit(p[0] == 's' ? 0 : 1);
	CHILD_CHECK(waitpid(pid, &status, 0) == pid);
	see(which, status);
	see(which, api_nattch(a, id));
	/* An offset off the huge page: the old mapping goes, none comes. */
	see(which, result(syscall(SYS_remap_file_pages, p, HPAGE, 0, 1, 0)));
	see(which, api_nattch(a, id));
	see(which, result(a->dt(p)));
	CHILD_CHECK(a->ctl(id, IPC_RMID, NULL) == 0);
	return 0;
}

TEST_F(hugetlb, remap_remove_lock_info_rdonly_shrink)
{
	RUN_BOTH(more_mm_body, NULL);
	EXPECT_EQ(-EACCES, seen->v[0][0]);
	EXPECT_EQ(0, seen->v[0][2]);
	EXPECT_EQ(0600, seen->v[0][3]);
	EXPECT_EQ('s', seen->v[0][12]);
	EXPECT_EQ(0, seen->v[0][16]);
}

/*
 * SHM_NORESERVE with no pool: shmget and shmat succeed, and the first
 * touch raises SIGBUS.
 */
static int noreserve_body(int which, const struct api *a, void *arg)
{
	int id, status;
	char *p;
	pid_t pid;

	CHILD_CHECK(write_long(NR_HUGEPAGES, 0) == 0);
	id = huge_seg(a, HPAGE, SHM_NORESERVE);
	CHILD_CHECK(id >= 0);
	p = a->at(id, NULL, 0);
	CHILD_CHECK(p != (void *)-1);
	see(which, pool_state());
	fflush(NULL);
	pid = fork();
	CHILD_CHECK(pid >= 0);
	if (pid == 0) {
		p[0] = 1;
		_exit(0);
	}
	CHILD_CHECK(waitpid(pid, &status, 0) == pid);
	see(which, WIFSIGNALED(status) ? WTERMSIG(status) : -1);
	CHILD_CHECK(a->dt(p) == 0);
	CHILD_CHECK(a->ctl(id, IPC_RMID, NULL) == 0);
	CHILD_CHECK(write_long(NR_HUGEPAGES, POOL) == 0);
	return 0;
}

TEST_F(hugetlb, noreserve_without_pool_sigbus_at_touch)
{
	RUN_BOTH(noreserve_body, NULL);
	EXPECT_EQ(0, seen->v[0][0]);
	EXPECT_EQ(SIGBUS, seen->v[0][1]);
}

/* mlockall(MCL_FUTURE): shmget reserves and allocates nothing more. */
static int mlockall_body(int which, const struct api *a, void *arg)
{
	int id;

	CHILD_CHECK(mlockall(MCL_FUTURE) == 0);
	id = huge_seg(a, HPAGE, 0);
	CHILD_CHECK(id >= 0);
	see(which, pool_state());
	CHILD_CHECK(a->ctl(id, IPC_RMID, NULL) == 0);
	munlockall();
	return 0;
}

TEST_F(hugetlb, shmget_under_mlockall_allocates_nothing)
{
	RUN_BOTH(mlockall_body, NULL);
	EXPECT_EQ(POOL * 100 + 1, seen->v[0][0]);
}

/*
 * A plain mmap of the device (shmipc's own way to attach): the length
 * must be a multiple of the huge page, as hugetlbfs asks of an mmap of
 * its file, and the mapping is aligned and huge.
 */
TEST_F(hugetlb, plain_mmap_of_the_device_takes_whole_huge_pages)
{
	int id = shmipc_get(IPC_PRIVATE, HPAGE, IPC_CREAT | SHM_HUGETLB | 0600);
	char *p;

	ASSERT_LE(0, id);
	EXPECT_EQ(MAP_FAILED, mmap_segment(self->fd, id, 4096,
					   PROT_READ | PROT_WRITE));
	EXPECT_EQ(EINVAL, errno);
	p = mmap_segment(self->fd, id, HPAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0UL, (unsigned long)p & (HPAGE - 1));
	p[HPAGE - 1] = 1;
	EXPECT_EQ(2048, kernel_page_kb(p));
	EXPECT_EQ(1, nattch_of(id));
	EXPECT_EQ(0, munmap(p, HPAGE));
	EXPECT_EQ(0, shmipc_ctl(id, IPC_RMID, NULL));
}

TEST_HARNESS_MAIN

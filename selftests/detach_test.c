// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_dt(), as shmdt(): only the start of an attachment detaches, and a
 * detach updates nattch, dtime and lpid.
 */
#include "shmipc_test.h"
#include "kselftest_harness.h"

FIXTURE(detach) {
	int fd;
	size_t page;
	struct seg_list segs;
	int id;			/* a segment of four pages */
	char *p;		/* attached here */
};

FIXTURE_SETUP(detach)
{
	self->fd = -1;
	self->page = page_size();
	OPEN_DEVICE_OR_SKIP(self->fd);
	self->id = seg_track(&self->segs, shmipc_get(IPC_PRIVATE,
						     4 * self->page,
						     IPC_CREAT | 0600));
	ASSERT_LE(0, self->id);
	self->p = shmipc_at(self->id, NULL, 0);
	ASSERT_NE((void *)-1, self->p);
}

FIXTURE_TEARDOWN(detach)
{
	seg_cleanup(self->fd, &self->segs);
	if (self->fd >= 0)
		close(self->fd);
}

/* Is anything mapped at @addr? */
static bool mapped(const void *addr)
{
	unsigned char vec;

	return mincore((void *)((uintptr_t)addr & ~(uintptr_t)(page_size() - 1)),
		       1, &vec) == 0;
}

TEST_F(detach, start_of_attachment_detaches)
{
	ASSERT_EQ(1L, nattch_of(self->id));
	EXPECT_EQ(0, shmipc_dt(self->p));
	EXPECT_EQ(0L, nattch_of(self->id));
	EXPECT_FALSE(mapped(self->p));
	EXPECT_FALSE(mapped(self->p + 3 * self->page));
}

TEST_F(detach, address_inside_attachment_is_einval)
{
	EXPECT_ERRNO(EINVAL, shmipc_dt(self->p + self->page));
	EXPECT_ERRNO(EINVAL, shmipc_dt(self->p + 3 * self->page));
	EXPECT_ERRNO(EINVAL, shmipc_dt(self->p + 1));
	EXPECT_EQ(1L, nattch_of(self->id));
	EXPECT_TRUE(mapped(self->p + self->page));
	self->p[0] = 1;
}

TEST_F(detach, other_mapping_is_einval)
{
	char *anon = mmap(NULL, self->page, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, anon);
	EXPECT_ERRNO(EINVAL, shmipc_dt(anon));
	EXPECT_TRUE(mapped(anon));
	munmap(anon, self->page);
}

TEST_F(detach, null_is_einval)
{
	EXPECT_ERRNO(EINVAL, shmipc_dt(NULL));
	EXPECT_EQ(1L, nattch_of(self->id));
}

TEST_F(detach, unmapped_address_is_einval)
{
	char *hole = free_range(self->page);

	ASSERT_NE(NULL, hole);
	EXPECT_ERRNO(EINVAL, shmipc_dt(hole));
}

TEST_F(detach, second_detach_is_einval)
{
	ASSERT_EQ(0, shmipc_dt(self->p));
	EXPECT_ERRNO(EINVAL, shmipc_dt(self->p));
	EXPECT_EQ(0L, nattch_of(self->id));
}

TEST_F(detach, detaches_only_the_attachment_named)
{
	char *q = shmipc_at(self->id, NULL, 0);

	ASSERT_NE((void *)-1, q);
	EXPECT_EQ(2L, nattch_of(self->id));
	EXPECT_EQ(0, shmipc_dt(q));
	EXPECT_EQ(1L, nattch_of(self->id));
	EXPECT_TRUE(mapped(self->p));
	self->p[0] = 1;
}

TEST_F(detach, mmap_attachment_detaches)
{
	char *m = mmap_segment(self->fd, self->id, 4 * self->page,
			       PROT_READ | PROT_WRITE);

	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(2L, nattch_of(self->id));
	EXPECT_EQ(0, shmipc_dt(m));
	EXPECT_EQ(1L, nattch_of(self->id));
	EXPECT_FALSE(mapped(m));
}

TEST_F(detach, detach_unmaps_every_piece_left)
{
	/* After a hole is punched, shmdt() still takes the whole attachment. */
	ASSERT_EQ(0, munmap(self->p + self->page, self->page));
	ASSERT_EQ(2L, nattch_of(self->id));
	EXPECT_EQ(0, shmipc_dt(self->p));
	EXPECT_EQ(0L, nattch_of(self->id));
	EXPECT_FALSE(mapped(self->p));
	EXPECT_FALSE(mapped(self->p + 2 * self->page));
	EXPECT_FALSE(mapped(self->p + 3 * self->page));
}

TEST_F(detach, piece_left_by_munmap_of_the_start_is_not_a_start)
{
	/* It begins a mapping, but one a page into the segment. */
	ASSERT_EQ(0, munmap(self->p, self->page));
	EXPECT_ERRNO(EINVAL, shmipc_dt(self->p + self->page));
	EXPECT_EQ(1L, nattch_of(self->id));
	EXPECT_TRUE(mapped(self->p + self->page));
	munmap(self->p + self->page, 3 * self->page);
	EXPECT_EQ(0L, nattch_of(self->id));
}

/*
 * Two attachments of one segment, the second where the first began: the
 * first lost its head page to munmap, the second was cut to one page and
 * moved into the hole by mremap. SysV tells them apart (each shmat() has
 * a file of its own), so shmdt() of the second leaves the first alone.
 * The kernel's own segments are run through the same steps first, so the
 * test shows the rule it holds shmipc to. Returns 0 when the first
 * attachment is intact.
 */
static int detach_of_moved_head(size_t page, bool sysv)
{
	int id = sysv ? shmget(IPC_PRIVATE, 4 * page, IPC_CREAT | 0600) :
			shmipc_get(IPC_PRIVATE, 4 * page, IPC_CREAT | 0600);
	char *a, *b = (void *)-1;
	int ret = -1;

	if (id < 0)
		return -1;
	a = sysv ? shmat(id, NULL, 0) : shmipc_at(id, NULL, 0);
	if (a != (void *)-1)
		b = sysv ? shmat(id, NULL, 0) : shmipc_at(id, NULL, 0);
	if (a == (void *)-1 || b == (void *)-1)
		goto out;
	a[page] = 1;
	if (munmap(a, page) || munmap(b + page, 3 * page) ||
	    mremap(b, page, page, MREMAP_MAYMOVE | MREMAP_FIXED, a) != a)
		goto out;
	if (sysv ? shmdt(a) : shmipc_dt(a))
		goto out;
	ret = mapped(a) || !mapped(a + page) || !mapped(a + 3 * page) ||
	      a[page] != 1 || (!sysv && nattch_of(id) != 1);
	munmap(a + page, 3 * page);
out:
	if (sysv)
		shmctl(id, IPC_RMID, NULL);
	else
		shmipc_ctl(id, IPC_RMID, NULL);
	return ret;
}

TEST_F(detach, detach_leaves_another_attachment_in_its_range_alone)
{
	ASSERT_EQ(0, detach_of_moved_head(self->page, true))
		TH_LOG("the kernel's own SysV shm does not behave as expected");
	EXPECT_EQ(0, detach_of_moved_head(self->page, false));
}

TEST_F(detach, raw_detach_matches_the_library)
{
	EXPECT_ERRNO(EINVAL, raw_dt(self->fd, self->p + self->page));
	EXPECT_EQ(0, raw_dt(self->fd, self->p));
	EXPECT_EQ(0L, nattch_of(self->id));
	EXPECT_ERRNO(EINVAL, raw_dt(self->fd, self->p));
}

struct dt_args {
	int id;
	char *p;
};

static int detach_in_child(void *arg)
{
	struct dt_args *a = arg;

	/* Both child and parent hold the attachment; the child drops its own. */
	CHILD_CHECK(nattch_of(a->id) == 2);
	CHILD_CHECK(shmipc_dt(a->p) == 0);
	CHILD_CHECK(nattch_of(a->id) == 1);
	return 0;
}

TEST_F(detach, detach_sets_dtime_and_lpid)
{
	struct dt_args a = { .id = self->id, .p = self->p };
	struct shmid_ds before, after;
	time_t t0, t1;
	pid_t pid;
	int status;

	ASSERT_EQ(0, shmipc_ctl(self->id, IPC_STAT, &before));
	EXPECT_EQ(0, before.shm_dtime);
	EXPECT_EQ(getpid(), before.shm_lpid);

	wait_next_second();
	t0 = time(NULL);
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(detach_in_child(&a));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	t1 = time(NULL);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	ASSERT_EQ(0, shmipc_ctl(self->id, IPC_STAT, &after));
	EXPECT_EQ(1UL, after.shm_nattch);
	/* The last to attach or detach was the child. */
	EXPECT_EQ(pid, after.shm_lpid);
	EXPECT_LE(t0, after.shm_dtime);
	EXPECT_GE(t1, after.shm_dtime);

	wait_next_second();
	ASSERT_EQ(0, shmipc_dt(self->p));
	ASSERT_EQ(0, shmipc_ctl(self->id, IPC_STAT, &after));
	EXPECT_EQ(0UL, after.shm_nattch);
	EXPECT_EQ(getpid(), after.shm_lpid);
	EXPECT_LT(t1, after.shm_dtime);
}

TEST_HARNESS_MAIN

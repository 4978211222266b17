// SPDX-License-Identifier: GPL-2.0
/*
 * IPC_STAT, as shmctl(): who made the segment, who touched it last, when,
 * and how often it is attached; the library's struct shmid_ds and the
 * module's struct shmipc_ds agree field by field.
 */
#include <limits.h>

#include "shmipc_test.h"
#include "kselftest_harness.h"

#define CREATOR_UID	1001
#define CREATOR_GID	1002

FIXTURE(stat) {
	int fd;
	size_t page;
	struct seg_list segs;
};

FIXTURE_SETUP(stat)
{
	self->fd = -1;
	self->page = page_size();
	OPEN_DEVICE_OR_SKIP(self->fd);
}

FIXTURE_TEARDOWN(stat)
{
	seg_cleanup(self->fd, &self->segs);
	if (self->fd >= 0)
		close(self->fd);
}

struct make_args {
	key_t key;
	size_t size;
	bool other_user;
};

static int make_in_child(void *arg)
{
	const struct make_args *a = arg;

	if (a->other_user)
		CHILD_CHECK(become(CREATOR_UID, CREATOR_GID, 0) == 0);
	CHILD_CHECK(shmipc_get(a->key, a->size,
			       IPC_CREAT | IPC_EXCL | 0640) >= 0);
	return 0;
}

TEST_F(stat, reports_how_the_segment_was_made)
{
	struct make_args a = {
		.key = test_key(0), .size = 3 * self->page + 5,
		.other_user = geteuid() == 0,
	};
	uid_t uid = a.other_user ? CREATOR_UID : geteuid();
	gid_t gid = a.other_user ? CREATOR_GID : getegid();
	struct shmid_ds ds;
	time_t t0, t1;
	pid_t pid;
	int id, status;

	t0 = time(NULL);
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(make_in_child(&a));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	t1 = time(NULL);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	id = seg_track(&self->segs, shmipc_get(a.key, 0, 0));
	ASSERT_LE(0, id);
	ASSERT_EQ(0, shmipc_ctl(id, IPC_STAT, &ds));
	EXPECT_EQ(a.key, ds.shm_perm.__key);
	EXPECT_EQ(uid, ds.shm_perm.uid);
	EXPECT_EQ(gid, ds.shm_perm.gid);
	EXPECT_EQ(uid, ds.shm_perm.cuid);
	EXPECT_EQ(gid, ds.shm_perm.cgid);
	EXPECT_EQ(0640U, ds.shm_perm.mode);
	EXPECT_EQ(a.size, ds.shm_segsz);
	/* The creator, though it is gone; nobody attached yet. */
	EXPECT_EQ(pid, ds.shm_cpid);
	EXPECT_EQ(0, ds.shm_lpid);
	EXPECT_EQ(0UL, ds.shm_nattch);
	EXPECT_EQ(0, ds.shm_atime);
	EXPECT_EQ(0, ds.shm_dtime);
	EXPECT_LE(t0, ds.shm_ctime);
	EXPECT_GE(t1, ds.shm_ctime);
}

struct holder_args {
	int id;
	int attached[2];	/* child -> parent */
	int release[2];		/* parent -> child */
};

static int attach_and_hold(void *arg)
{
	struct holder_args *a = arg;
	char c;

	close(a->attached[0]);
	close(a->release[1]);
	CHILD_CHECK(shmipc_at(a->id, NULL, SHM_RDONLY) != (void *)-1);
	CHILD_CHECK(write(a->attached[1], "a", 1) == 1);
	CHILD_CHECK(read(a->release[0], &c, 1) == 1);
	/* Exit detaches. */
	return 0;
}

TEST_F(stat, attach_and_detach_set_times_and_last_pid)
{
	struct holder_args a;
	struct shmid_ds made, ds;
	time_t t0, t1, t2;
	pid_t pid;
	char c;
	int status;

	a.id = seg_track(&self->segs, shmipc_get(IPC_PRIVATE, self->page,
						 IPC_CREAT | 0600));
	ASSERT_LE(0, a.id);
	ASSERT_EQ(0, shmipc_ctl(a.id, IPC_STAT, &made));
	ASSERT_EQ(0, pipe(a.attached));
	ASSERT_EQ(0, pipe(a.release));

	wait_next_second();
	t0 = time(NULL);
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(attach_and_hold(&a));
	close(a.attached[1]);
	close(a.release[0]);
	ASSERT_EQ(1, read(a.attached[0], &c, 1));
	t1 = time(NULL);

	ASSERT_EQ(0, shmipc_ctl(a.id, IPC_STAT, &ds));
	EXPECT_EQ(1UL, ds.shm_nattch);
	EXPECT_EQ(pid, ds.shm_lpid);
	EXPECT_LE(t0, ds.shm_atime);
	EXPECT_GE(t1, ds.shm_atime);
	EXPECT_EQ(0, ds.shm_dtime);
	EXPECT_EQ(getpid(), ds.shm_cpid);
	EXPECT_EQ(made.shm_ctime, ds.shm_ctime);

	wait_next_second();
	ASSERT_EQ(1, write(a.release[1], "r", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	t2 = time(NULL);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	ASSERT_EQ(0, shmipc_ctl(a.id, IPC_STAT, &ds));
	EXPECT_EQ(0UL, ds.shm_nattch);
	EXPECT_EQ(pid, ds.shm_lpid);
	EXPECT_LT(t1, ds.shm_dtime);
	EXPECT_GE(t2, ds.shm_dtime);
	EXPECT_GE(t1, ds.shm_atime);
	/* Nothing here changed the segment itself. */
	EXPECT_EQ(made.shm_ctime, ds.shm_ctime);
	EXPECT_EQ(made.shm_perm.mode, ds.shm_perm.mode);
}

TEST_F(stat, atime_moves_forward_with_each_attach)
{
	struct shmid_ds first, second;
	char *p, *q;
	int id = seg_track(&self->segs, shmipc_get(IPC_PRIVATE, self->page,
						   IPC_CREAT | 0600));

	ASSERT_LE(0, id);
	p = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, p);
	ASSERT_EQ(0, shmipc_ctl(id, IPC_STAT, &first));
	EXPECT_NE(0, first.shm_atime);
	EXPECT_EQ(getpid(), first.shm_lpid);
	wait_next_second();
	q = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, q);
	ASSERT_EQ(0, shmipc_ctl(id, IPC_STAT, &second));
	EXPECT_LT(first.shm_atime, second.shm_atime);
	EXPECT_EQ(2UL, second.shm_nattch);
	EXPECT_EQ(0, shmipc_dt(p));
	EXPECT_EQ(0, shmipc_dt(q));
}

TEST_F(stat, library_and_ioctl_agree)
{
	struct shmipc_ds raw;
	struct shmid_ds ds;
	char *p;
	int id = seg_track(&self->segs, shmipc_get(test_key(0), 5 * self->page + 3,
						   IPC_CREAT | 0604));

	ASSERT_LE(0, id);
	p = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, p);
	ASSERT_EQ(0, shmipc_ctl(id, IPC_STAT, &ds));
	ASSERT_EQ(0, raw_stat(self->fd, id, &raw));
	EXPECT_EQ(raw.perm.key, ds.shm_perm.__key);
	EXPECT_EQ(raw.perm.uid, ds.shm_perm.uid);
	EXPECT_EQ(raw.perm.gid, ds.shm_perm.gid);
	EXPECT_EQ(raw.perm.cuid, ds.shm_perm.cuid);
	EXPECT_EQ(raw.perm.cgid, ds.shm_perm.cgid);
	EXPECT_EQ(raw.perm.mode, ds.shm_perm.mode);
	EXPECT_EQ(raw.perm.seq, (__u32)ds.shm_perm.__seq);
	EXPECT_EQ(raw.segsz, ds.shm_segsz);
	EXPECT_EQ(raw.atime, ds.shm_atime);
	EXPECT_EQ(raw.dtime, ds.shm_dtime);
	EXPECT_EQ(raw.ctime, ds.shm_ctime);
	EXPECT_EQ(raw.cpid, ds.shm_cpid);
	EXPECT_EQ(raw.lpid, ds.shm_lpid);
	EXPECT_EQ(raw.nattch, ds.shm_nattch);
	/* And with what was asked for. */
	EXPECT_EQ(test_key(0), raw.perm.key);
	EXPECT_EQ(0604U, raw.perm.mode);
	EXPECT_EQ((__u64)(5 * self->page + 3), raw.segsz);
	EXPECT_EQ(1ULL, raw.nattch);
	EXPECT_EQ(0, shmipc_dt(p));
}

TEST_F(stat, bad_id_is_einval)
{
	struct shmid_ds ds;

	EXPECT_ERRNO(EINVAL, shmipc_ctl(-1, IPC_STAT, &ds));
	EXPECT_ERRNO(EINVAL, shmipc_ctl(INT_MAX, IPC_STAT, &ds));
}

TEST_F(stat, null_buffer_is_efault)
{
	int id = seg_track(&self->segs, shmipc_get(IPC_PRIVATE, self->page,
						   IPC_CREAT | 0600));

	ASSERT_LE(0, id);
	EXPECT_ERRNO(EFAULT, shmipc_ctl(id, IPC_STAT, NULL));
	EXPECT_ERRNO(EFAULT, shmipc_ctl(id, IPC_SET, NULL));
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * shmctl()'s SHM_LOCK and SHM_UNLOCK, against the kernel's own SysV shm:
 * who may lock and unlock, SHM_LOCKED in the mode, the charge against
 * RLIMIT_MEMLOCK and when it comes back, and that a locked segment's pages
 * really are unevictable.
 *
 * Every case runs through SysV and through shmipc, each in a child that
 * unshares its IPC namespace, and what each saw (results, errno, modes)
 * must be equal. The two count their locked pages apart (a user may lock
 * RLIMIT_MEMLOCK in each), so one run's charges never meet the other's.
 * Cases for an unprivileged user become nobody in a child of their own,
 * with the RLIMIT_MEMLOCK they ask for. Every run unlocks and removes
 * what it made itself: a namespace's segments are freed (and their
 * charge returned) later than it exits.
 */
#include <limits.h>
#include <sys/resource.h>

#include "shmipc_test.h"
#include "kselftest_harness.h"
#include "oracle.h"

/* The segment's mode as IPC_STAT shows it, or -errno. */
static long mode_of(const struct api *a, int id)
{
	struct shmid_ds ds;

	if (a->ctl(id, IPC_STAT, &ds) < 0)
		return -errno;
	return ds.shm_perm.mode;
}

static int new_seg(const struct api *a, size_t pages, int mode)
{
	return a->get(IPC_PRIVATE, pages * page_size(), IPC_CREAT | mode);
}

FIXTURE(lock) {
	int fd;
};

FIXTURE_SETUP(lock)
{
	self->fd = -1;
	OPEN_DEVICE_OR_SKIP(self->fd);
	if (getuid() != 0)
		SKIP(return, "needs root, to become another user");
	ORACLE_SETUP();
}

FIXTURE_TEARDOWN(lock)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* The owner locks and unlocks; IPC_STAT shows SHM_LOCKED in between. */
static int owner_body(int which, const struct api *a, void *arg)
{
	int id = new_seg(a, 4, 0640);

	CHILD_CHECK(id >= 0);
	see(which, mode_of(a, id));
	see(which, ctl_result(a, id, SHM_LOCK, NULL));
	see(which, mode_of(a, id));
	see(which, ctl_result(a, id, SHM_UNLOCK, NULL));
	see(which, mode_of(a, id));
	CHILD_CHECK(a->ctl(id, IPC_RMID, NULL) == 0);
	return 0;
}

TEST_F(lock, owner_locks_and_unlocks_and_stat_shows_shm_locked)
{
	RUN_BOTH(owner_body, NULL);
	EXPECT_EQ(0640, seen->v[0][0]);
	EXPECT_EQ(0, seen->v[0][1]);
	EXPECT_EQ(SHM_LOCKED | 0640, seen->v[0][2]);
	EXPECT_EQ(0, seen->v[0][3]);
	EXPECT_EQ(0640, seen->v[0][4]);
}

/*
 * Locking twice charges once, unlocking an unlocked segment is a success:
 * nobody with a limit of exactly four pages locks its four-page segment
 * twice, and has no room left for one page more.
 */
static int twice_nobody(int which, const struct api *a, void *arg)
{
	int id = new_seg(a, 4, 0600), one = new_seg(a, 1, 0600);

	CHILD_CHECK(id >= 0 && one >= 0);
	see(which, ctl_result(a, id, SHM_UNLOCK, NULL));
	see(which, mode_of(a, id));
	see(which, ctl_result(a, id, SHM_LOCK, NULL));
	see(which, ctl_result(a, id, SHM_LOCK, NULL));
	see(which, mode_of(a, id));
	see(which, ctl_result(a, one, SHM_LOCK, NULL));
	see(which, ctl_result(a, id, SHM_UNLOCK, NULL));
	see(which, ctl_result(a, id, SHM_UNLOCK, NULL));
	see(which, mode_of(a, id));
	see(which, ctl_result(a, one, SHM_LOCK, NULL));
	see(which, ctl_result(a, one, SHM_UNLOCK, NULL));
	CHILD_CHECK(a->ctl(id, IPC_RMID, NULL) == 0);
	CHILD_CHECK(a->ctl(one, IPC_RMID, NULL) == 0);
	return 0;
}

static int twice_body(int which, const struct api *a, void *arg)
{
	return as_nobody(twice_nobody, which, a, 0, 4 * page_size());
}

TEST_F(lock, lock_twice_charges_once_and_unlock_of_unlocked_succeeds)
{
	RUN_BOTH(twice_body, NULL);
	EXPECT_EQ(0, seen->v[0][0]);
	EXPECT_EQ(0, seen->v[0][3]);
	EXPECT_EQ(SHM_LOCKED | 0600, seen->v[0][4]);
	EXPECT_EQ(-ENOMEM, seen->v[0][5]);
	EXPECT_EQ(0, seen->v[0][7]);
	EXPECT_EQ(0, seen->v[0][9]);
}

/* No such id: EINVAL for both commands, whoever asks. */
static int bad_id_body(int which, const struct api *a, void *arg)
{
	int gone = new_seg(a, 1, 0600);
	const int cmds[] = { SHM_LOCK, SHM_UNLOCK };
	unsigned int i;

	CHILD_CHECK(gone >= 0);
	CHILD_CHECK(a->ctl(gone, IPC_RMID, NULL) == 0);
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		see(which, ctl_result(a, gone, cmds[i], NULL));
		see(which, ctl_result(a, -1, cmds[i], NULL));
		see(which, ctl_result(a, INT_MAX, cmds[i], NULL));
	}
	return 0;
}

TEST_F(lock, bad_id_is_einval)
{
	unsigned int i;

	RUN_BOTH(bad_id_body, NULL);
	for (i = 0; i < seen->n[0]; i++)
		EXPECT_EQ(-EINVAL, seen->v[0][i]);
}

/*
 * A removed segment is still there while attached: it locks and unlocks,
 * and shows SHM_DEST with SHM_LOCKED. Once the last detach frees it, its
 * id is EINVAL.
 */
static int removed_body(int which, const struct api *a, void *arg)
{
	int id = new_seg(a, 2, 0600);
	void *p;

	CHILD_CHECK(id >= 0);
	p = a->at(id, NULL, 0);
	CHILD_CHECK(p != (void *)-1);
	CHILD_CHECK(a->ctl(id, IPC_RMID, NULL) == 0);
	see(which, ctl_result(a, id, SHM_LOCK, NULL));
	see(which, mode_of(a, id));
	see(which, ctl_result(a, id, SHM_UNLOCK, NULL));
	see(which, mode_of(a, id));
	see(which, ctl_result(a, id, SHM_LOCK, NULL));
	CHILD_CHECK(a->dt(p) == 0);
	see(which, ctl_result(a, id, SHM_LOCK, NULL));
	see(which, ctl_result(a, id, SHM_UNLOCK, NULL));
	return 0;
}

TEST_F(lock, removed_segment_locks_until_freed_then_einval)
{
	RUN_BOTH(removed_body, NULL);
	EXPECT_EQ(0, seen->v[0][0]);
	EXPECT_EQ(SHM_DEST | SHM_LOCKED | 0600, seen->v[0][1]);
	EXPECT_EQ(SHM_DEST | 0600, seen->v[0][3]);
	EXPECT_EQ(-EINVAL, seen->v[0][5]);
	EXPECT_EQ(-EINVAL, seen->v[0][6]);
}

/*
 * Neither owner nor creator: EPERM for both commands, even with read and
 * write permission, even to unlock an unlocked segment. The owner (by
 * IPC_SET) may, without being the creator.
 */
static int shared_id = -1;

static int other_nobody(int which, const struct api *a, void *arg)
{
	see(which, ctl_result(a, shared_id, SHM_LOCK, NULL));
	see(which, ctl_result(a, shared_id, SHM_UNLOCK, NULL));
	return 0;
}

static int other_body(int which, const struct api *a, void *arg)
{
	struct shmid_ds ds;

	shared_id = new_seg(a, 1, 0666);
	CHILD_CHECK(shared_id >= 0);
	CHILD_CHECK(as_nobody(other_nobody, which, a, 0, 1 << 20) == 0);
	CHILD_CHECK(a->ctl(shared_id, SHM_LOCK, NULL) == 0);
	CHILD_CHECK(as_nobody(other_nobody, which, a, 0, 1 << 20) == 0);
	see(which, mode_of(a, shared_id));
	/* nobody owns it now: unlock (root's charge goes), lock, unlock. */
	CHILD_CHECK(a->ctl(shared_id, IPC_STAT, &ds) == 0);
	ds.shm_perm.uid = OTHER_UID;
	CHILD_CHECK(a->ctl(shared_id, IPC_SET, &ds) == 0);
	CHILD_CHECK(as_nobody(other_nobody, which, a, 0, 1 << 20) == 0);
	see(which, mode_of(a, shared_id));
	CHILD_CHECK(a->ctl(shared_id, IPC_RMID, NULL) == 0);
	return 0;
}

TEST_F(lock, neither_owner_nor_creator_is_eperm)
{
	RUN_BOTH(other_body, NULL);
	EXPECT_EQ(-EPERM, seen->v[0][0]);
	EXPECT_EQ(-EPERM, seen->v[0][1]);
	EXPECT_EQ(-EPERM, seen->v[0][2]);
	EXPECT_EQ(-EPERM, seen->v[0][3]);
	EXPECT_EQ(SHM_LOCKED | 0666, seen->v[0][4]);
	EXPECT_EQ(0, seen->v[0][5]);
	EXPECT_EQ(0, seen->v[0][6]);
	EXPECT_EQ(0666, seen->v[0][7]);
}

/*
 * An RLIMIT_MEMLOCK of 0 forbids SHM_LOCK to an unprivileged owner (EPERM,
 * not ENOMEM), but not SHM_UNLOCK.
 */
static int zero_nobody(int which, const struct api *a, void *arg)
{
	int id = new_seg(a, 1, 0600);

	CHILD_CHECK(id >= 0);
	see(which, ctl_result(a, id, SHM_LOCK, NULL));
	see(which, mode_of(a, id));
	see(which, ctl_result(a, id, SHM_UNLOCK, NULL));
	CHILD_CHECK(a->ctl(id, IPC_RMID, NULL) == 0);
	return 0;
}

static int zero_body(int which, const struct api *a, void *arg)
{
	return as_nobody(zero_nobody, which, a, 0, 0);
}

TEST_F(lock, memlock_limit_zero_is_eperm_to_lock)
{
	RUN_BOTH(zero_body, NULL);
	EXPECT_EQ(-EPERM, seen->v[0][0]);
	EXPECT_EQ(0600, seen->v[0][1]);
	EXPECT_EQ(0, seen->v[0][2]);
}

/*
 * The charge: nobody with RLIMIT_MEMLOCK of 16 pages locks segments of 10,
 * 10 and 6 pages. Past the limit is ENOMEM; the pages come back at
 * SHM_UNLOCK, and at the segment's end (IPC_RMID, or the last detach of
 * a removed one), not before.
 */
static int charge_nobody(int which, const struct api *a, void *arg)
{
	int a10 = new_seg(a, 10, 0600), b10 = new_seg(a, 10, 0600);
	int c6 = new_seg(a, 6, 0600), d10 = new_seg(a, 10, 0600);
	void *p;

	CHILD_CHECK(a10 >= 0 && b10 >= 0 && c6 >= 0 && d10 >= 0);
	see(which, ctl_result(a, a10, SHM_LOCK, NULL));	/* 10 */
	see(which, ctl_result(a, b10, SHM_LOCK, NULL));	/* 20: ENOMEM */
	see(which, mode_of(a, b10));
	see(which, ctl_result(a, c6, SHM_LOCK, NULL));	/* 16: the limit */
	see(which, ctl_result(a, c6, SHM_UNLOCK, NULL));
	see(which, ctl_result(a, a10, SHM_UNLOCK, NULL));	/* 0 */
	see(which, ctl_result(a, b10, SHM_LOCK, NULL));	/* 10 */
	see(which, ctl_result(a, a10, SHM_LOCK, NULL));	/* ENOMEM */
	CHILD_CHECK(a->ctl(b10, IPC_RMID, NULL) == 0);	/* 0 */
	see(which, ctl_result(a, a10, SHM_LOCK, NULL));	/* 10 */
	p = a->at(a10, NULL, 0);
	CHILD_CHECK(p != (void *)-1);
	CHILD_CHECK(a->ctl(a10, IPC_RMID, NULL) == 0);	/* still 10 */
	see(which, ctl_result(a, d10, SHM_LOCK, NULL));	/* ENOMEM */
	CHILD_CHECK(a->dt(p) == 0);			/* 0 */
	see(which, ctl_result(a, d10, SHM_LOCK, NULL));	/* 10 */
	see(which, ctl_result(a, d10, SHM_UNLOCK, NULL));
	CHILD_CHECK(a->ctl(c6, IPC_RMID, NULL) == 0);
	CHILD_CHECK(a->ctl(d10, IPC_RMID, NULL) == 0);
	return 0;
}

static int charge_body(int which, const struct api *a, void *arg)
{
	return as_nobody(charge_nobody, which, a, 0, 16 * page_size());
}

TEST_F(lock, charge_is_held_to_rlimit_memlock_and_comes_back)
{
	static const long want[] = {
		0, -ENOMEM, 0600, 0, 0, 0, 0, -ENOMEM, 0, -ENOMEM, 0, 0,
	};
	unsigned int i;

	RUN_BOTH(charge_body, NULL);
	ASSERT_EQ(ARRAY_SIZE(want), seen->n[0]);
	for (i = 0; i < ARRAY_SIZE(want); i++)
		EXPECT_EQ(want[i], seen->v[0][i]) TH_LOG("value %u", i);
}

/* --- Unevictable pages --- */

#define UNEVICT_SEG_KB	(8 << 10)
/*
 * Pages reach the LRU lists through per-CPU batches (up to 31 on each of
 * the VM's CPUs), and other activity may move the count a little.
 */
#define UNEVICT_SLACK_KB	1024

/* Polls up to a second for Unevictable to be back near @base. */
static long unevictable_settles(long base)
{
	long now = meminfo("Unevictable");
	int i;

	for (i = 0; i < 20 && now - base > UNEVICT_SLACK_KB; i++) {
		usleep(50 * 1000);
		now = meminfo("Unevictable");
	}
	return now;
}

/*
 * Pages touched while the segment is locked go to the unevictable list;
 * SHM_UNLOCK moves them back.
 */
static int unevictable_body(int which, const struct api *a, void *arg)
{
	size_t len = (size_t)UNEVICT_SEG_KB << 10;
	long base, locked, unlocked;
	char *p;
	int id;

	id = a->get(IPC_PRIVATE, len, IPC_CREAT | 0600);
	CHILD_CHECK(id >= 0);
	p = a->at(id, NULL, 0);
	CHILD_CHECK(p != (void *)-1);
	base = meminfo("Unevictable");
	CHILD_CHECK(base >= 0);
	CHILD_CHECK(a->ctl(id, SHM_LOCK, NULL) == 0);
	touch_pages(p, len);
	locked = meminfo("Unevictable");
	CHILD_CHECK(a->ctl(id, SHM_UNLOCK, NULL) == 0);
	unlocked = unevictable_settles(base);
	fprintf(stderr, "# %s: Unevictable %ld kB, locked %+ld kB, unlocked %+ld kB\n",
		a->name, base, locked - base, unlocked - base);
	see(which, locked - base >= UNEVICT_SEG_KB - UNEVICT_SLACK_KB);
	see(which, locked - base <= UNEVICT_SEG_KB + UNEVICT_SLACK_KB);
	see(which, unlocked - base <= UNEVICT_SLACK_KB);
	CHILD_CHECK(a->dt(p) == 0);
	CHILD_CHECK(a->ctl(id, IPC_RMID, NULL) == 0);
	return 0;
}

TEST_F(lock, locked_pages_are_unevictable_until_unlocked)
{
	RUN_BOTH(unevictable_body, NULL);
	EXPECT_EQ(1, seen->v[0][0]);
	EXPECT_EQ(1, seen->v[0][1]);
	EXPECT_EQ(1, seen->v[0][2]);
}

/*
 * Lock, unlock and IPC_RMID racing from two processes leak no charge.
 * Both work on the segment of one key, made again whenever it was
 * removed: never more than one exists, so nobody, whose limit is one
 * segment, must never see ENOMEM, during the race or after it.
 */
#define RACE_KEY	0x10c4
#define RACE_ROUNDS	1500

static int race_rounds(const struct api *a, int child)
{
	static const int cmds[] = { SHM_LOCK, SHM_UNLOCK, SHM_LOCK, IPC_RMID };
	size_t size = 4 * page_size();
	int i, id;

	for (i = 0; i < RACE_ROUNDS; i++) {
		id = a->get(RACE_KEY, size, IPC_CREAT | 0600);
		CHILD_CHECK(id >= 0);
		/*
		 * The other removed it meanwhile: EINVAL, or EIDRM from SysV
		 * when it finds the segment half destroyed.
		 */
		if (a->ctl(id, cmds[(i + child) % 4], NULL) < 0)
			CHILD_CHECK(errno == EINVAL || errno == EIDRM);
	}
	return 0;
}

static int race_nobody(int which, const struct api *a, void *arg)
{
	int id, status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	CHILD_CHECK(pid >= 0);
	if (pid == 0)
		_exit(race_rounds(a, 1));
	CHILD_CHECK(race_rounds(a, 0) == 0);
	CHILD_CHECK(waitpid(pid, &status, 0) == pid);
	CHILD_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	id = a->get(RACE_KEY, 4 * page_size(), IPC_CREAT | 0600);
	CHILD_CHECK(id >= 0);
	CHILD_CHECK(a->ctl(id, IPC_RMID, NULL) == 0);
	id = new_seg(a, 4, 0600);
	CHILD_CHECK(id >= 0);
	see(which, ctl_result(a, id, SHM_LOCK, NULL));
	CHILD_CHECK(a->ctl(id, IPC_RMID, NULL) == 0);
	return 0;
}

static int race_body(int which, const struct api *a, void *arg)
{
	return as_nobody(race_nobody, which, a, 0, 4 * page_size());
}

TEST_F(lock, racing_lock_unlock_and_rmid_leak_no_charge)
{
	RUN_BOTH(race_body, NULL);
	EXPECT_EQ(0, seen->v[0][0]);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * What the segment table reports, against the kernel's own SysV shm: the
 * shmctl() commands IPC_INFO, SHM_INFO, SHM_STAT and SHM_STAT_ANY, and
 * the sequence numbers of ids (limits_test.c has the limits).
 *
 * Every test runs in a child that unshares its IPC namespace, so that both
 * tables start empty and their answers (indices, ids, counts) must be
 * equal.
 */
#include <limits.h>

#include "shmipc_test.h"
#include "kselftest_harness.h"
#include "oracle.h"

FIXTURE(info) {
	int fd;
	size_t page;
};

FIXTURE_SETUP(info)
{
	self->fd = -1;
	self->page = page_size();
	OPEN_DEVICE_OR_SKIP(self->fd);
	ORACLE_SETUP();
}

FIXTURE_TEARDOWN(info)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* IPC_INFO: the limits, and the highest index in use as it changes. */
static int ipc_info_body(int which, const struct api *a, void *arg)
{
	struct shminfo si;
	int ids[3], i;

	see(which, ctl_result(a, 0, IPC_INFO, &si));	/* empty: 0 */
	for (i = 0; i < 3; i++) {
		ids[i] = a->get(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
		CHILD_CHECK(ids[i] >= 0);
	}
	memset(&si, 0xa5, sizeof(si));
	see(which, ctl_result(a, 0, IPC_INFO, &si));	/* 2 */
	see(which, si.shmmin);
	see(which, si.shmmni);
	see(which, si.shmseg);
	see(which, si.shmmax == ULONG_MAX - (1UL << 24));	/* SHMMAX */
	CHILD_CHECK(a->ctl(ids[2], IPC_RMID, NULL) == 0);
	see(which, ctl_result(a, 0, IPC_INFO, &si));	/* 1 */
	CHILD_CHECK(a->ctl(ids[0], IPC_RMID, NULL) == 0);
	see(which, ctl_result(a, 0, IPC_INFO, &si));	/* still 1 */
	see(which, ctl_result(a, -1, IPC_INFO, &si));	/* EINVAL */
	CHILD_CHECK(a->ctl(ids[1], IPC_RMID, NULL) == 0);
	see(which, ctl_result(a, 0, IPC_INFO, &si));	/* 0 again */
	return 0;
}

TEST_F(info, ipc_info_returns_limits_and_highest_index)
{
	RUN_BOTH(ipc_info_body, NULL);
	EXPECT_EQ(2, seen->v[0][1]);
	EXPECT_EQ(1, seen->v[0][6]);
}

/*
 * The highest index as segments go in a scattered order, down to none:
 * each removal of the highest one has to find the next highest, however
 * far below it is.
 */
#define SCATTER	200

static int highest_index_body(int which, const struct api *a, void *arg)
{
	struct shminfo si;
	int ids[SCATTER], i, k;

	for (i = 0; i < SCATTER; i++) {
		ids[i] = a->get(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
		CHILD_CHECK(ids[i] >= 0);
	}
	/* 73 is prime to SCATTER: every index once, far apart. */
	for (i = 0; i < SCATTER; i++) {
		k = (i * 73 + 199) % SCATTER;
		CHILD_CHECK(a->ctl(ids[k], IPC_RMID, NULL) == 0);
		see(which, ctl_result(a, 0, IPC_INFO, &si));
	}
	return 0;
}

TEST_F(info, the_highest_index_follows_removals_in_any_order)
{
	RUN_BOTH(highest_index_body, NULL);
	EXPECT_EQ(SCATTER, (int)seen->n[0]);
	EXPECT_EQ(0, seen->v[0][SCATTER - 1]);
}

/* SHM_INFO: ids in use, pages in all, pages resident. */
static int shm_info_body(int which, const struct api *a, void *arg)
{
	size_t page = page_size();
	struct shm_info info;
	char *p;
	int id1, id2;

	id1 = a->get(IPC_PRIVATE, 10 * page, IPC_CREAT | 0600);
	id2 = a->get(IPC_PRIVATE, 3 * page + 1, IPC_CREAT | 0600);
	CHILD_CHECK(id1 >= 0 && id2 >= 0);
	p = a->at(id1, NULL, 0);
	CHILD_CHECK(p != (void *)-1);
	touch_pages(p, 6 * page);
	memset(&info, 0xa5, sizeof(info));
	see(which, ctl_result(a, 0, SHM_INFO, (struct shmid_ds *)(void *)&info));
	see(which, info.used_ids);
	see(which, info.shm_tot);
	see(which, info.shm_rss);
	see(which, info.shm_swp);
	see(which, info.swap_attempts);
	see(which, info.swap_successes);
	CHILD_CHECK(a->dt(p) == 0);
	CHILD_CHECK(a->ctl(id1, IPC_RMID, NULL) == 0);
	see(which, ctl_result(a, 0, SHM_INFO, (struct shmid_ds *)(void *)&info));
	see(which, info.used_ids);
	see(which, info.shm_tot);
	see(which, info.shm_rss);
	CHILD_CHECK(a->ctl(id2, IPC_RMID, NULL) == 0);
	return 0;
}

TEST_F(info, shm_info_counts_ids_and_pages)
{
	RUN_BOTH(shm_info_body, NULL);
	EXPECT_EQ(2, seen->v[0][1]);	/* used_ids */
	EXPECT_EQ(14, seen->v[0][2]);	/* shm_tot: 10 + 4 pages */
	EXPECT_EQ(6, seen->v[0][3]);	/* shm_rss: the touched pages */
}

/*
 * SHM_STAT walks the table by index, as ipcs does: the id at each index
 * in use, EINVAL at the others; read permission needed, but not by
 * SHM_STAT_ANY.
 */
static int shm_stat_walk(int which, const struct api *a)
{
	struct shmid_ds ds;
	struct shm_info info;
	int max, idx;

	max = a->ctl(0, SHM_INFO, (struct shmid_ds *)(void *)&info);
	CHILD_CHECK(max >= 0);
	see(which, max);
	for (idx = 0; idx <= max + 1; idx++) {
		memset(&ds, 0, sizeof(ds));
		see(which, ctl_result(a, idx, SHM_STAT, &ds));
		see(which, (long)ds.shm_segsz);
		see(which, ctl_result(a, idx, SHM_STAT_ANY, &ds));
	}
	return 0;
}

static int shm_stat_body(int which, const struct api *a, void *arg)
{
	int ids[4], i;

	for (i = 0; i < 4; i++) {
		ids[i] = a->get(IPC_PRIVATE, 4096 * (i + 1), IPC_CREAT |
				(i == 2 ? 0600 : 0644));
		CHILD_CHECK(ids[i] >= 0);
	}
	CHILD_CHECK(a->ctl(ids[1], IPC_RMID, NULL) == 0);
	shm_stat_walk(which, a);
	/* The same walk by somebody else: 0600 hides one from SHM_STAT. */
	fflush(NULL);
	if (fork() == 0) {
		if (become(OTHER_UID, OTHER_GID, 0))
			_exit(3);
		_exit(shm_stat_walk(which, a));
	}
	CHILD_CHECK(wait(&i) > 0 && WIFEXITED(i) && WEXITSTATUS(i) == 0);
	return 0;
}

TEST_F(info, shm_stat_walks_the_table_by_index)
{
	RUN_BOTH(shm_stat_body, NULL);
	EXPECT_EQ(3, seen->v[0][0]);		/* highest index */
	EXPECT_EQ(0, seen->v[0][1]);		/* index 0 is id 0 */
	EXPECT_EQ(-EINVAL, seen->v[0][4]);	/* index 1 was removed */
}

/*
 * Ids: a removed segment's id comes back only when the sequence wraps,
 * which advances when the index allocation comes round (ipc/util.c).
 */
#define CYCLES	3000	/* dozens of times round the index cycle (64) */

static int id_cycle_body(int which, const struct api *a, void *arg)
{
	int first = -1, id, i, repeats = 0, last = -1;

	for (i = 0; i < CYCLES; i++) {
		id = a->get(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
		CHILD_CHECK(id >= 0);
		CHILD_CHECK(a->ctl(id, IPC_RMID, NULL) == 0);
		if (i == 0)
			first = id;
		else if (id == first)
			repeats++;
		if (i % 100 == 0 || (i >= 62 && i <= 66))
			see(which, id);
		last = id;
	}
	see(which, repeats);
	see(which, last);
	return 0;
}

TEST_F_TIMEOUT(info, ids_do_not_come_back_for_a_long_time, 300)
{
	RUN_BOTH(id_cycle_body, NULL);
	EXPECT_EQ(0, seen->v[0][seen->n[0] - 2]);	/* no repeat */
}

TEST_HARNESS_MAIN

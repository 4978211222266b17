// SPDX-License-Identifier: GPL-2.0
/*
 * The limits of a namespace, against the kernel's own SysV shm: shmipc
 * follows the kernel.shm* settings of the caller's IPC namespace (shmmax,
 * shmall, shmmni, shm_rmid_forced, shm_next_id), set by its root or a
 * container's, with the errno SysV gives, in its order. The module's
 * parameters are caps on top of them, tested apart.
 *
 * Every oracle test runs each body in a child that unshares its IPC
 * namespace, so both start from the namespace defaults and empty tables.
 */
#include <limits.h>
#include <sys/prctl.h>

#include "shmipc_test.h"
#include "kselftest_harness.h"
#include "oracle.h"

#define PG	4096UL
/* Larger than memory, and than shmall below, on 64 and 32 bits. */
#define HUGE	((size_t)1 << (sizeof(size_t) == 8 ? 40 : 30))

static long get_result(const struct api *a, size_t size)
{
	int id = a->get(IPC_PRIVATE, size, IPC_CREAT | 0600);

	return id < 0 ? -errno : 0;
}

FIXTURE(limits) {
	int fd;
};

FIXTURE_SETUP(limits)
{
	self->fd = -1;
	OPEN_DEVICE_OR_SKIP(self->fd);
	ORACLE_SETUP();
}

FIXTURE_TEARDOWN(limits)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* kernel.shmmax: EINVAL above it, and IPC_INFO reports it. */
static int shmmax_body(int which, const struct api *a, void *arg)
{
	struct shminfo si;

	CHILD_CHECK(write_sysctl("shmmax", 8192) == 0);
	see(which, get_result(a, 8193));
	see(which, get_result(a, 8192));
	see(which, get_result(a, 0));
	CHILD_CHECK(a->ctl(0, IPC_INFO, (struct shmid_ds *)&si) >= 0);
	see(which, (long)si.shmmax);
	/* Raised again: applies to the next shmget at once. */
	CHILD_CHECK(write_sysctl("shmmax", 1UL << 20) == 0);
	see(which, get_result(a, 8193));
	see(which, get_result(a, (1UL << 20) + 1));
	return 0;
}

TEST_F(limits, shmmax_of_the_namespace)
{
	RUN_BOTH(shmmax_body, NULL);
	EXPECT_EQ(-EINVAL, seen->v[0][0]);
	EXPECT_EQ(0, seen->v[0][1]);
	EXPECT_EQ(8192, seen->v[0][3]);
	EXPECT_EQ(0, seen->v[0][4]);
}

/*
 * kernel.shmall and kernel.shmmni: ENOSPC. shmall is checked before the
 * memory is committed, so a segment larger than memory and than shmall is
 * ENOSPC, not ENOMEM; shmmni when the segment is entered.
 */
static int shmall_shmmni_body(int which, const struct api *a, void *arg)
{
	struct shminfo si;
	int i;

	CHILD_CHECK(write_sysctl("shmall", 1000) == 0);
	CHILD_CHECK(write_sysctl("shmmni", 3) == 0);
	see(which, get_result(a, HUGE));
	see(which, get_result(a, 1001 * PG));
	see(which, get_result(a, 1000 * PG));
	see(which, get_result(a, PG));		/* shmall full */
	CHILD_CHECK(a->ctl(0, IPC_INFO, (struct shmid_ds *)&si) >= 0);
	see(which, (long)si.shmall);
	see(which, si.shmmni);
	see(which, si.shmseg);
	CHILD_CHECK(write_sysctl("shmall", 10000) == 0);
	for (i = 0; i < 3; i++)
		see(which, get_result(a, PG));	/* the third: shmmni */
	/* Lowered under what is in use: what exists stays, nothing new. */
	CHILD_CHECK(write_sysctl("shmmni", 1) == 0);
	see(which, get_result(a, PG));
	CHILD_CHECK(write_sysctl("shmmni", 0) == 0);
	see(which, get_result(a, PG));
	return 0;
}

TEST_F(limits, shmall_and_shmmni_of_the_namespace)
{
	RUN_BOTH(shmall_shmmni_body, NULL);
	EXPECT_EQ(-ENOSPC, seen->v[0][0]);
	EXPECT_EQ(-ENOSPC, seen->v[0][1]);
	EXPECT_EQ(0, seen->v[0][2]);
	EXPECT_EQ(-ENOSPC, seen->v[0][3]);
	EXPECT_EQ(3, seen->v[0][5]);
	EXPECT_EQ(-ENOSPC, seen->v[0][9]);
}

struct api_which {
	struct api a;
	int which;
};

/* A child namespace starts from the defaults; its change stays its own. */
static int per_namespace_child(void *arg)
{
	const struct api_which *aw = arg;

	CHILD_CHECK(unshare(CLONE_NEWIPC) == 0);
	see(aw->which, get_result(&aw->a, 8193));
	CHILD_CHECK(write_sysctl("shmmax", 4096) == 0);
	see(aw->which, get_result(&aw->a, 4097));
	return 0;
}

static int per_namespace_body(int which, const struct api *a, void *arg)
{
	struct api_which aw = { *a, which };

	CHILD_CHECK(write_sysctl("shmmax", 8192) == 0);
	see(which, get_result(a, 8193));
	CHILD_CHECK(run_child(per_namespace_child, &aw) == 0);
	see(which, get_result(a, 8193));
	see(which, get_result(a, 4097));
	return 0;
}

TEST_F(limits, each_namespace_has_its_own)
{
	RUN_BOTH(per_namespace_body, NULL);
	EXPECT_EQ(-EINVAL, seen->v[0][0]);
	EXPECT_EQ(0, seen->v[0][1]);
	EXPECT_EQ(-EINVAL, seen->v[0][2]);
	EXPECT_EQ(-EINVAL, seen->v[0][3]);
	EXPECT_EQ(0, seen->v[0][4]);
}

/*
 * A container's root: an unprivileged user that made a user namespace and
 * an IPC namespace owned by it may set the latter's limits, and both SysV
 * and shmipc then follow them.
 */
static int container_body(int which, const struct api *a, void *arg)
{
	char map[32];
	int fd;

	CHILD_CHECK(become(65534, 65534, 0) == 0);
	/* Changed credentials leave /proc/self to root unless made dumpable. */
	CHILD_CHECK(prctl(PR_SET_DUMPABLE, 1) == 0);
	if (unshare(CLONE_NEWUSER | CLONE_NEWIPC)) {
		see(which, -errno);
		return 0;
	}
	snprintf(map, sizeof(map), "0 65534 1");
	fd = open("/proc/self/uid_map", O_WRONLY | O_CLOEXEC);
	CHILD_CHECK(fd >= 0 && write(fd, map, strlen(map)) > 0);
	close(fd);
	see(which, write_sysctl("shmmax", 8192) == 0 ? 0 : -errno);
	see(which, get_result(a, 8193));
	see(which, get_result(a, 8192));
	return 0;
}

TEST_F(limits, a_containers_root_sets_them)
{
	RUN_BOTH(container_body, NULL);
	if (seen->n[0] == 1)
		SKIP(return, "no unprivileged user namespaces: %s",
		     strerror((int)-seen->v[0][0]));
	EXPECT_EQ(0, seen->v[0][0]);
	EXPECT_EQ(-EINVAL, seen->v[0][1]);
	EXPECT_EQ(0, seen->v[0][2]);
}

/* kernel.shm_next_id as it reads now: -1 once a create has taken it. */
static long next_id_now(void)
{
	char buf[32] = "";
	ssize_t n;
	int fd;

	fd = open("/proc/sys/kernel/shm_next_id", O_RDONLY | O_CLOEXEC);
	CHILD_CHECK(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	CHILD_CHECK(n > 0);
	return strtol(buf, NULL, 10);
}

/*
 * The id of index @idx and sequence @seq in the kernel's layout, which the
 * module's ipcmni parameter states: 15 bits of index, 24 under
 * ipcmni_extend. Set by the test before its children start.
 */
static int idx_bits = 15;
#define ID(seq, idx)	((seq) << idx_bits | (idx))

static void read_idx_bits(struct __test_metadata *_metadata)
{
	char buf[32];

	ASSERT_EQ(0, read_param("ipcmni", buf, sizeof(buf)));
	idx_bits = __builtin_ctzl(strtoul(buf, NULL, 10));
	ASSERT_TRUE(idx_bits == 15 || idx_bits == 24) TH_LOG("ipcmni %s", buf);
}

/*
 * kernel.shm_next_id, as checkpoint/restore tools use it: the next create
 * gets that id (its index, or the first free one above, and its sequence)
 * and sets it back to -1; a create refused before that leaves it set.
 */
static int next_id_body(int which, const struct api *a, void *arg)
{
	int id, taken;

	see(which, next_id_now());				/* -1 */
	CHILD_CHECK(write_sysctl("shm_next_id", ID(7, 42)) == 0);
	see(which, get_result(a, 0));				/* EINVAL */
	see(which, next_id_now());				/* still set */
	taken = a->get(IPC_PRIVATE, PG, IPC_CREAT | 0600);
	see(which, taken);					/* ID(7, 42) */
	see(which, next_id_now());				/* -1 */
	/* Then the usual allocation again, from the start of the table. */
	see(which, a->get(IPC_PRIVATE, PG, IPC_CREAT | 0600));
	/* A taken index: the first free one above, with the asked sequence. */
	CHILD_CHECK(write_sysctl("shm_next_id", ID(3, 42)) == 0);
	id = a->get(0x6e0000 + which, PG, IPC_CREAT | 0600);
	see(which, id);						/* ID(3, 43) */
	see(which, a->get(0x6e0000 + which, PG, 0600) == id);	/* its key */
	/* The id works: stat, attach, remove, and the stale one does not. */
	see(which, ctl_result(a, id, IPC_STAT, &(struct shmid_ds){ 0 }));
	see(which, ctl_result(a, taken, IPC_RMID, NULL));
	see(which, ctl_result(a, taken, IPC_STAT, &(struct shmid_ds){ 0 }));
	CHILD_CHECK(write_sysctl("shm_next_id", ID(5, 42)) == 0);
	see(which, a->get(IPC_PRIVATE, PG, IPC_CREAT | 0600));	/* ID(5, 42) */
	/* Index 42 again, with sequence 5: the id of sequence 7 is stale. */
	see(which, ctl_result(a, ID(7, 42), IPC_STAT, &(struct shmid_ds){ 0 }));
	return 0;
}

TEST_F(limits, shm_next_id_of_the_namespace)
{
	/* Only kernels with CONFIG_CHECKPOINT_RESTORE have it (not the debug one). */
	if (access("/proc/sys/kernel/shm_next_id", F_OK))
		SKIP(return, "no kernel.shm_next_id: CONFIG_CHECKPOINT_RESTORE is off");
	read_idx_bits(_metadata);
	RUN_BOTH(next_id_body, NULL);
	EXPECT_EQ(-1, seen->v[0][0]);
	EXPECT_EQ(-EINVAL, seen->v[0][1]);
	EXPECT_EQ(ID(7, 42), seen->v[0][2]);
	EXPECT_EQ(ID(7, 42), seen->v[0][3]);
	EXPECT_EQ(-1, seen->v[0][4]);
	EXPECT_EQ(ID(3, 43), seen->v[0][6]);
	EXPECT_EQ(1, seen->v[0][7]);
	EXPECT_EQ(0, seen->v[0][8]);
	EXPECT_EQ(0, seen->v[0][9]);
	EXPECT_EQ(-EINVAL, seen->v[0][10]);
	EXPECT_EQ(ID(5, 42), seen->v[0][11]);
	EXPECT_EQ(-EINVAL, seen->v[0][12]);
}

/*
 * kernel.shm_rmid_forced: every segment goes at its last detach, as if
 * removed, its key with it; one never attached stays.
 */
static int rmid_forced_body(int which, const struct api *a, void *arg)
{
	key_t key = 0x5e1f0000 + which;
	int kid, again, never, twice, before;
	void *p, *q, *r;
	pid_t child;
	int status;

	before = a->get(IPC_PRIVATE, PG, IPC_CREAT | 0600);
	CHILD_CHECK(before >= 0);
	r = a->at(before, NULL, 0);
	CHILD_CHECK(r != (void *)-1);
	CHILD_CHECK(write_sysctl("shm_rmid_forced", 1) == 0);

	kid = a->get(key, PG, IPC_CREAT | 0600);
	CHILD_CHECK(kid >= 0);
	p = a->at(kid, NULL, 0);
	CHILD_CHECK(p != (void *)-1);
	see(which, api_nattch(a, kid));		/* 1 */
	CHILD_CHECK(a->dt(p) == 0);
	see(which, api_nattch(a, kid));		/* gone */
	see(which, a->get(key, PG, 0600) < 0 ? -errno : 0);	/* key too */

	never = a->get(IPC_PRIVATE, PG, IPC_CREAT | 0600);
	CHILD_CHECK(never >= 0);
	see(which, api_nattch(a, never));		/* stays, 0 */

	twice = a->get(IPC_PRIVATE, PG, IPC_CREAT | 0600);
	CHILD_CHECK(twice >= 0);
	p = a->at(twice, NULL, 0);
	q = a->at(twice, NULL, SHM_RDONLY);
	CHILD_CHECK(p != (void *)-1 && q != (void *)-1);
	CHILD_CHECK(a->dt(p) == 0);
	see(which, api_nattch(a, twice));		/* 1 */
	/* A child inherits the attachment: the last detach is at its exit. */
	fflush(NULL);
	child = fork();
	CHILD_CHECK(child >= 0);
	if (child == 0) {
		usleep(100000);
		_exit(0);
	}
	CHILD_CHECK(a->dt(q) == 0);
	see(which, api_nattch(a, twice));		/* 1: the child's */
	CHILD_CHECK(waitpid(child, &status, 0) == child);
	see(which, api_nattch(a, twice));		/* gone */

	/* Attached before the setting: goes at its detach all the same. */
	CHILD_CHECK(a->dt(r) == 0);
	see(which, api_nattch(a, before));

	/* And back to 0: segments stay again. */
	CHILD_CHECK(write_sysctl("shm_rmid_forced", 0) == 0);
	again = a->get(IPC_PRIVATE, PG, IPC_CREAT | 0600);
	CHILD_CHECK(again >= 0);
	p = a->at(again, NULL, 0);
	CHILD_CHECK(p != (void *)-1 && a->dt(p) == 0);
	see(which, api_nattch(a, again));		/* 0 */
	return 0;
}

TEST_F(limits, shm_rmid_forced_removes_at_the_last_detach)
{
	RUN_BOTH(rmid_forced_body, NULL);
	EXPECT_EQ(1, seen->v[0][0]);
	EXPECT_EQ(-EINVAL, seen->v[0][1]);
	EXPECT_EQ(-ENOENT, seen->v[0][2]);
	EXPECT_EQ(0, seen->v[0][3]);
	EXPECT_EQ(1, seen->v[0][4]);
	EXPECT_EQ(1, seen->v[0][5]);
	EXPECT_EQ(-EINVAL, seen->v[0][6]);
	EXPECT_EQ(-EINVAL, seen->v[0][7]);
	EXPECT_EQ(0, seen->v[0][8]);
}

/*
 * Ids: the index cycles through a range set by how many segments are in
 * use, at least the kernel's minimum cycle (64, or 4096 under
 * ipcmni_extend), whatever kernel.shmmni says; then the sequence moves
 * on, above 15 bits of index (24 under ipcmni_extend).
 */
static int id_cycle_body(int which, const struct api *a, void *arg)
{
	int i, id;

	CHILD_CHECK(write_sysctl("shmmni", 4) == 0);
	for (i = 0; i < 70; i++) {
		id = a->get(IPC_PRIVATE, PG, IPC_CREAT | 0600);
		see(which, id < 0 ? -errno : id);
		if (id >= 0)
			CHILD_CHECK(a->ctl(id, IPC_RMID, NULL) == 0);
	}
	return 0;
}

TEST_F(limits, ids_cycle_as_the_kernels_whatever_shmmni)
{
	read_idx_bits(_metadata);
	RUN_BOTH(id_cycle_body, NULL);
	EXPECT_EQ(3, seen->v[0][3]);
	EXPECT_EQ(63, seen->v[0][63]);
	/* The module follows the kernel's layout and minimum cycle. */
	EXPECT_EQ(idx_bits == 24 ? 64 : ID(1, 0), seen->v[0][64]);
	TH_LOG("the 65th id: %ld, %d bits of index", seen->v[0][64], idx_bits);
}

/*
 * Beyond 32768 segments in a namespace, where the kernel allows it: booted
 * with ipcmni_extend, kernel.shmmni goes up to 1 << 24. Elsewhere the
 * sysctl refuses and both see that.
 */
#define BEYOND	32770

static int beyond_32768_body(int which, const struct api *a, void *arg)
{
	int i, id, made = 0, err = 0;

	if (write_sysctl("shmmni", BEYOND)) {
		see(which, -errno);
		return 0;
	}
	see(which, 0);
	for (i = 0; i <= BEYOND; i++) {
		id = a->get(IPC_PRIVATE, PG, IPC_CREAT | 0600);
		if (id < 0) {
			err = errno;
			break;
		}
		made++;
	}
	see(which, made);
	see(which, -err);
	return 0;
}

TEST_F_TIMEOUT(limits, shmmni_beyond_32768_with_ipcmni_extend, 240)
{
	RUN_BOTH(beyond_32768_body, NULL);
	if (seen->v[0][0]) {
		EXPECT_EQ(-EINVAL, seen->v[0][0]);
		SKIP(return, "kernel.shmmni stops at 32768: booted without ipcmni_extend");
	}
	EXPECT_EQ(BEYOND, seen->v[0][1]);
	EXPECT_EQ(-ENOSPC, seen->v[0][2]);
}

/* The module's parameters cap every namespace's settings. */
FIXTURE(caps) {
	char shmmax[32];
};

FIXTURE_SETUP(caps)
{
	int fd;

	self->shmmax[0] = '\0';
	OPEN_DEVICE_OR_SKIP(fd);
	close(fd);
	if (geteuid() != 0)
		SKIP(return, "changing module parameters needs root");
	ASSERT_EQ(0, read_param("shmmax", self->shmmax, sizeof(self->shmmax)));
	/* Unlimited by default: the namespace's settings alone decide. */
	ASSERT_EQ(0, strcmp(self->shmmax, "18446744073709551615\n"))
		TH_LOG("shmmax cap: %s", self->shmmax);
}

FIXTURE_TEARDOWN(caps)
{
	if (self->shmmax[0])
		write_param("shmmax", self->shmmax);
}

TEST_F(caps, the_lower_of_cap_and_namespace_applies)
{
	struct shminfo si;
	int id;

	ASSERT_EQ(0, set_param("shmmax", 3 * PG));
	id = shmipc_get(IPC_PRIVATE, 3 * PG + 1, IPC_CREAT | 0600);
	EXPECT_EQ(-1, id);
	EXPECT_EQ(EINVAL, errno);
	ASSERT_LE(0, shmipc_ctl(0, IPC_INFO, (struct shmid_ds *)&si));
	EXPECT_EQ(3 * PG, si.shmmax);
	id = shmipc_get(IPC_PRIVATE, 3 * PG, IPC_CREAT | 0600);
	ASSERT_LE(0, id);
	EXPECT_EQ(0, shmipc_ctl(id, IPC_RMID, NULL));
}

TEST_HARNESS_MAIN

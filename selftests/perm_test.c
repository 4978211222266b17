// SPDX-License-Identifier: GPL-2.0
/*
 * Who may do what to a segment: the owner, group and other bits as SysV's
 * ipcperms() applies them, IPC_SET and IPC_RMID for the owner and creator
 * only, and root's privilege. The test runs as root and forks children
 * that become other users for real.
 */
#include "shmipc_test.h"
#include "kselftest_harness.h"

#define UID_A	1001
#define UID_B	1002
#define UID_C	1003

/* One operation a child tries as some user. */
enum op {
	OP_CREATE,	/* shmipc_get(key, page, IPC_CREAT | IPC_EXCL | 0600) */
	OP_GET_RW,	/* lookup asking for read and write (0600) */
	OP_GET_RO,	/* lookup asking for read (0400) */
	OP_GET_NONE,	/* lookup asking for nothing (0) */
	OP_AT_RW,	/* shmipc_at, then write */
	OP_AT_RO,	/* shmipc_at SHM_RDONLY, then read */
	OP_AT_EXEC,	/* shmipc_at SHM_RDONLY | SHM_EXEC */
	OP_MMAP_RW,	/* mmap of the device, opened by the child */
	OP_MMAP_RO,
	OP_UPGRADE,	/* read-only attach (must work), then mprotect RW */
	OP_STAT,
	OP_SET,		/* IPC_SET to set_uid, set_gid, set_mode */
	OP_RMID,
	OP_STAT_INHERITED,	/* raw IPC_STAT on the fd root opened */
	OP_AT_INHERITED,	/* raw attach on the fd root opened */
};

static const char *const op_names[] = {
	"create", "get rw", "get ro", "get none", "at rw", "at ro", "at exec",
	"mmap rw", "mmap ro", "upgrade", "stat", "set", "rmid",
	"stat on inherited fd", "at on inherited fd",
};

struct try {
	uid_t uid;
	gid_t gid;
	gid_t extra_gid;	/* a supplementary group, or 0 */
	enum op op;
	key_t key;
	int id;
	int want;		/* 0: must succeed; else the errno */
	int fd;			/* root's descriptor */
	size_t page;
	uid_t set_uid;
	gid_t set_gid;
	mode_t set_mode;
};

/* Runs t->op; returns whether it failed, with errno set. */
static bool perform(const struct try *t)
{
	struct shmid_ds ds;
	volatile char *p;
	int fd;

	switch (t->op) {
	case OP_CREATE:
		return shmipc_get(t->key, t->page,
				  IPC_CREAT | IPC_EXCL | 0600) < 0;
	case OP_GET_RW:
		return shmipc_get(t->key, 0, 0600) != t->id;
	case OP_GET_RO:
		return shmipc_get(t->key, 0, 0400) != t->id;
	case OP_GET_NONE:
		return shmipc_get(t->key, 0, 0) != t->id;
	case OP_AT_RW:
	case OP_AT_RO:
	case OP_AT_EXEC:
		p = shmipc_at(t->id, NULL,
			      t->op == OP_AT_RW ? 0 :
			      t->op == OP_AT_RO ? SHM_RDONLY :
			      SHM_RDONLY | SHM_EXEC);
		if (p == (void *)-1)
			return true;
		if (t->op == OP_AT_RW)
			p[0] = p[0];
		else
			(void)p[0];
		return shmipc_dt((void *)p) < 0;
	case OP_MMAP_RW:
	case OP_MMAP_RO:
		fd = open(SHMIPC_DEVICE, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return true;
		p = mmap_segment(fd, t->id, t->page, t->op == OP_MMAP_RW ?
				 PROT_READ | PROT_WRITE : PROT_READ);
		if (p == MAP_FAILED)
			return true;
		(void)p[0];
		return munmap((void *)p, t->page) < 0;
	case OP_UPGRADE:
		p = shmipc_at(t->id, NULL, SHM_RDONLY);
		if (p == (void *)-1) {
			errno = ENOTRECOVERABLE;	/* not the failure asked about */
			return true;
		}
		return mprotect((void *)p, t->page, PROT_READ | PROT_WRITE) < 0;
	case OP_STAT:
		return shmipc_ctl(t->id, IPC_STAT, &ds) < 0;
	case OP_SET:
		memset(&ds, 0, sizeof(ds));
		ds.shm_perm.uid = t->set_uid;
		ds.shm_perm.gid = t->set_gid;
		ds.shm_perm.mode = t->set_mode;
		return shmipc_ctl(t->id, IPC_SET, &ds) < 0;
	case OP_RMID:
		return shmipc_ctl(t->id, IPC_RMID, NULL) < 0;
	case OP_STAT_INHERITED:
		return raw_stat(t->fd, t->id, &(struct shmipc_ds){ 0 }) < 0;
	case OP_AT_INHERITED:
		return raw_at(t->fd, t->id, NULL, 0, NULL) == MAP_FAILED;
	}
	errno = EINVAL;
	return true;
}

static int try_op(void *arg)
{
	const struct try *t = arg;
	bool failed;
	int err;

	CHILD_CHECK(become(t->uid, t->gid, t->extra_gid) == 0);
	errno = 0;
	failed = perform(t);
	err = errno;
	if (failed != (t->want != 0) || (failed && err != t->want)) {
		fprintf(stderr, "# %s as uid %u gid %u (+%u): %s, want %s\n",
			op_names[t->op], t->uid, t->gid, t->extra_gid,
			failed ? strerror(err) : "success",
			t->want ? strerror(t->want) : "success");
		return 1;
	}
	return 0;
}

FIXTURE(perm) {
	int fd;
	size_t page;
	struct seg_list segs;
};

FIXTURE_SETUP(perm)
{
	self->fd = -1;
	self->page = page_size();
	OPEN_DEVICE_OR_SKIP(self->fd);
	if (geteuid() != 0)
		SKIP(return, "acting as other users needs root");
}

FIXTURE_TEARDOWN(perm)
{
	seg_cleanup(self->fd, &self->segs);
	if (self->fd >= 0)
		close(self->fd);
}

/* As root: a segment on key @n with @mode, removed by the teardown. */
static int make_seg(FIXTURE_DATA(perm) *self, unsigned int n, int mode)
{
	return seg_track(&self->segs, shmipc_get(test_key(n), self->page,
						 IPC_CREAT | IPC_EXCL | mode));
}

/* As root: IPC_SET. */
static int set_perm(int id, uid_t uid, gid_t gid, mode_t mode)
{
	struct shmid_ds ds = { 0 };

	ds.shm_perm.uid = uid;
	ds.shm_perm.gid = gid;
	ds.shm_perm.mode = mode;
	return shmipc_ctl(id, IPC_SET, &ds);
}

/* Has @uid/@gid (+@extra) try @op on segment @id (key @n): 0 if as @want. */
static int try_as(FIXTURE_DATA(perm) *self, uid_t uid, gid_t gid,
		  gid_t extra, enum op op, int id, int want)
{
	struct try t = {
		.uid = uid, .gid = gid, .extra_gid = extra, .op = op,
		.key = test_key(0), .id = id, .want = want, .fd = self->fd,
		.page = self->page,
	};

	return run_child(try_op, &t);
}

static int try_set_as(FIXTURE_DATA(perm) *self, uid_t uid, int id,
		      uid_t set_uid, mode_t set_mode, int want)
{
	struct try t = {
		.uid = uid, .gid = uid, .op = OP_SET, .id = id, .want = want,
		.fd = self->fd, .page = self->page,
		.set_uid = set_uid, .set_gid = set_uid, .set_mode = set_mode,
	};

	return run_child(try_op, &t);
}

#define STRANGER	OTHER_UID, OTHER_GID, 0

TEST_F(perm, stranger_lookup_asking_for_access_is_eacces)
{
	int id = make_seg(self, 0, 0600);

	ASSERT_LE(0, id);
	EXPECT_EQ(0, try_as(self, STRANGER, OP_GET_RW, id, EACCES));
	EXPECT_EQ(0, try_as(self, STRANGER, OP_GET_RO, id, EACCES));
}

TEST_F(perm, stranger_lookup_asking_for_nothing_succeeds)
{
	/* ipcperms() checks only the access a lookup asks for. */
	int id = make_seg(self, 0, 0600);

	ASSERT_LE(0, id);
	EXPECT_EQ(0, try_as(self, STRANGER, OP_GET_NONE, id, 0));
}

TEST_F(perm, stranger_attach_is_eacces)
{
	int id = make_seg(self, 0, 0600);

	ASSERT_LE(0, id);
	EXPECT_EQ(0, try_as(self, STRANGER, OP_AT_RW, id, EACCES));
	EXPECT_EQ(0, try_as(self, STRANGER, OP_AT_RO, id, EACCES));
	EXPECT_EQ(0, try_as(self, STRANGER, OP_MMAP_RW, id, EACCES));
	EXPECT_EQ(0, try_as(self, STRANGER, OP_MMAP_RO, id, EACCES));
	EXPECT_EQ(0L, nattch_of(id));
}

TEST_F(perm, stranger_stat_is_eacces)
{
	int id = make_seg(self, 0, 0600);

	ASSERT_LE(0, id);
	EXPECT_EQ(0, try_as(self, STRANGER, OP_STAT, id, EACCES));
}

TEST_F(perm, stranger_rmid_is_eperm)
{
	struct shmid_ds ds;
	int id = make_seg(self, 0, 0666);

	ASSERT_LE(0, id);
	/* Even with every permission bit set. */
	EXPECT_EQ(0, try_as(self, STRANGER, OP_RMID, id, EPERM));
	ASSERT_EQ(0, shmipc_ctl(id, IPC_STAT, &ds));
	EXPECT_EQ(0666U, ds.shm_perm.mode);
	EXPECT_EQ(id, shmipc_get(test_key(0), 0, 0));
}

TEST_F(perm, stranger_set_is_eperm)
{
	struct shmid_ds ds;
	int id = make_seg(self, 0, 0666);

	ASSERT_LE(0, id);
	EXPECT_EQ(0, try_set_as(self, OTHER_UID, id, OTHER_UID, 0600, EPERM));
	ASSERT_EQ(0, shmipc_ctl(id, IPC_STAT, &ds));
	EXPECT_EQ(0U, ds.shm_perm.uid);
	EXPECT_EQ(0666U, ds.shm_perm.mode);
}

TEST_F(perm, group_bits_apply_to_the_group)
{
	int id = make_seg(self, 0, 0640);

	ASSERT_LE(0, id);
	ASSERT_EQ(0, set_perm(id, 0, GROUP_GID, 0640));
	EXPECT_EQ(0, try_as(self, OTHER_UID, GROUP_GID, 0, OP_GET_RO, id, 0));
	EXPECT_EQ(0, try_as(self, OTHER_UID, GROUP_GID, 0, OP_AT_RO, id, 0));
	EXPECT_EQ(0, try_as(self, OTHER_UID, GROUP_GID, 0, OP_STAT, id, 0));
	EXPECT_EQ(0, try_as(self, OTHER_UID, GROUP_GID, 0, OP_GET_RW, id,
			    EACCES));
	EXPECT_EQ(0, try_as(self, OTHER_UID, GROUP_GID, 0, OP_AT_RW, id,
			    EACCES));
	/* Outside the group: the other bits, none. */
	EXPECT_EQ(0, try_as(self, STRANGER, OP_AT_RO, id, EACCES));
}

TEST_F(perm, supplementary_group_gets_group_bits)
{
	int id = make_seg(self, 0, 0660);

	ASSERT_LE(0, id);
	ASSERT_EQ(0, set_perm(id, 0, GROUP_GID, 0660));
	EXPECT_EQ(0, try_as(self, OTHER_UID, OTHER_GID, GROUP_GID, OP_AT_RW,
			    id, 0));
}

TEST_F(perm, other_bits_apply_to_everyone_else)
{
	int id = make_seg(self, 0, 0604);

	ASSERT_LE(0, id);
	EXPECT_EQ(0, try_as(self, STRANGER, OP_GET_RO, id, 0));
	EXPECT_EQ(0, try_as(self, STRANGER, OP_AT_RO, id, 0));
	EXPECT_EQ(0, try_as(self, STRANGER, OP_MMAP_RO, id, 0));
	EXPECT_EQ(0, try_as(self, STRANGER, OP_STAT, id, 0));
	EXPECT_EQ(0, try_as(self, STRANGER, OP_GET_RW, id, EACCES));
	EXPECT_EQ(0, try_as(self, STRANGER, OP_AT_RW, id, EACCES));
	EXPECT_EQ(0, try_as(self, STRANGER, OP_MMAP_RW, id, EACCES));
}

TEST_F(perm, read_only_access_cannot_be_upgraded)
{
	int id = make_seg(self, 0, 0644);

	ASSERT_LE(0, id);
	EXPECT_EQ(0, try_as(self, STRANGER, OP_UPGRADE, id, EACCES));
}

TEST_F(perm, owner_gets_owner_bits_only)
{
	/* The owner is not also "other": 0066 shuts out only the owner. */
	int id = make_seg(self, 0, 0066);

	ASSERT_LE(0, id);
	ASSERT_EQ(0, set_perm(id, OTHER_UID, 0, 0066));
	EXPECT_EQ(0, try_as(self, STRANGER, OP_AT_RO, id, EACCES));
	EXPECT_EQ(0, try_as(self, UID_A, UID_A, 0, OP_AT_RW, id, 0));
}

TEST_F(perm, exec_attach_needs_execute_permission)
{
	int ro = make_seg(self, 0, 0604);
	int rx = make_seg(self, 1, 0605);
	void *p;

	ASSERT_LE(0, ro);
	ASSERT_LE(0, rx);
	/* Where /dev is noexec nobody can map the device executable. */
	p = shmipc_at(rx, NULL, SHM_RDONLY | SHM_EXEC);
	if (p == (void *)-1 && errno == EPERM)
		SKIP(return, "executable mappings of %s refused: noexec /dev?",
		     SHMIPC_DEVICE);
	ASSERT_NE((void *)-1, p);
	ASSERT_EQ(0, shmipc_dt(p));
	EXPECT_EQ(0, try_as(self, STRANGER, OP_AT_EXEC, ro, EACCES));
	EXPECT_EQ(0, try_as(self, STRANGER, OP_AT_EXEC, rx, 0));
}

TEST_F(perm, set_changes_owner_group_and_mode)
{
	struct shmid_ds before, after;
	time_t t0, t1;
	int id = make_seg(self, 0, 0600);

	ASSERT_LE(0, id);
	ASSERT_EQ(0, shmipc_ctl(id, IPC_STAT, &before));
	wait_next_second();
	t0 = time(NULL);
	ASSERT_EQ(0, set_perm(id, UID_A, UID_B, 0640));
	t1 = time(NULL);
	ASSERT_EQ(0, shmipc_ctl(id, IPC_STAT, &after));
	EXPECT_EQ((uid_t)UID_A, after.shm_perm.uid);
	EXPECT_EQ((gid_t)UID_B, after.shm_perm.gid);
	EXPECT_EQ(0640U, after.shm_perm.mode);
	/* The creator stays. */
	EXPECT_EQ(0U, after.shm_perm.cuid);
	EXPECT_EQ(0U, after.shm_perm.cgid);
	/* ctime is the time of the last change. */
	EXPECT_LT(before.shm_ctime, after.shm_ctime);
	EXPECT_LE(t0, after.shm_ctime);
	EXPECT_GE(t1, after.shm_ctime);
}

TEST_F(perm, set_keeps_only_the_permission_bits)
{
	struct shmid_ds ds;
	int id = make_seg(self, 0, 0600);

	ASSERT_LE(0, id);
	ASSERT_EQ(0, set_perm(id, 0, 0, 0777 | SHM_DEST | SHM_LOCKED | 0170000));
	ASSERT_EQ(0, shmipc_ctl(id, IPC_STAT, &ds));
	EXPECT_EQ(0777U, ds.shm_perm.mode);
	/* Not marked removed: the key still finds it. */
	EXPECT_EQ(id, shmipc_get(test_key(0), 0, 0));
}

TEST_F(perm, set_ignores_the_other_fields)
{
	struct shmid_ds before, ds, after;
	int id = make_seg(self, 0, 0600);

	ASSERT_LE(0, id);
	ASSERT_EQ(0, shmipc_ctl(id, IPC_STAT, &before));
	ds = before;
	ds.shm_perm.mode = 0644;
	ds.shm_perm.__key = 1234;
	ds.shm_perm.cuid = UID_C;
	ds.shm_perm.cgid = UID_C;
	ds.shm_segsz = 1;
	ds.shm_cpid = 1;
	ds.shm_lpid = 1;
	ds.shm_nattch = 99;
	ds.shm_atime = 12345;
	ASSERT_EQ(0, shmipc_ctl(id, IPC_SET, &ds));
	ASSERT_EQ(0, shmipc_ctl(id, IPC_STAT, &after));
	EXPECT_EQ(0644U, after.shm_perm.mode);
	EXPECT_EQ(before.shm_perm.__key, after.shm_perm.__key);
	EXPECT_EQ(before.shm_perm.cuid, after.shm_perm.cuid);
	EXPECT_EQ(before.shm_perm.cgid, after.shm_perm.cgid);
	EXPECT_EQ(before.shm_segsz, after.shm_segsz);
	EXPECT_EQ(before.shm_cpid, after.shm_cpid);
	EXPECT_EQ(before.shm_lpid, after.shm_lpid);
	EXPECT_EQ(before.shm_nattch, after.shm_nattch);
	EXPECT_EQ(before.shm_atime, after.shm_atime);
}

TEST_F(perm, set_to_an_invalid_uid_is_einval)
{
	struct shmid_ds ds;
	int id = make_seg(self, 0, 0600);

	ASSERT_LE(0, id);
	EXPECT_ERRNO(EINVAL, set_perm(id, (uid_t)-1, 0, 0644));
	EXPECT_ERRNO(EINVAL, set_perm(id, 0, (gid_t)-1, 0644));
	ASSERT_EQ(0, shmipc_ctl(id, IPC_STAT, &ds));
	EXPECT_EQ(0600U, ds.shm_perm.mode);
}

TEST_F(perm, new_owner_may_set_and_rmid)
{
	int id = make_seg(self, 0, 0600);

	ASSERT_LE(0, id);
	ASSERT_EQ(0, set_perm(id, OTHER_UID, OTHER_GID, 0600));
	EXPECT_EQ(0, try_set_as(self, OTHER_UID, id, OTHER_UID, 0640, 0));
	EXPECT_EQ(0, try_as(self, STRANGER, OP_RMID, id, 0));
	EXPECT_ERRNO(EINVAL, nattch_of(id));
}

TEST_F(perm, creator_keeps_control_after_giving_ownership_away)
{
	struct try create = {
		.uid = UID_A, .gid = UID_A, .op = OP_CREATE,
		.key = test_key(0), .page = self->page,
	};
	struct shmid_ds ds;
	int id;

	ASSERT_EQ(0, run_child(try_op, &create));
	id = seg_track(&self->segs, shmipc_get(test_key(0), 0, 0));
	ASSERT_LE(0, id);
	/* A gives the segment to B, then changes it again as its creator. */
	EXPECT_EQ(0, try_set_as(self, UID_A, id, UID_B, 0600, 0));
	EXPECT_EQ(0, try_set_as(self, UID_A, id, UID_B, 0640, 0));
	/* B is the owner now; C is neither. */
	EXPECT_EQ(0, try_set_as(self, UID_B, id, UID_B, 0644, 0));
	EXPECT_EQ(0, try_set_as(self, UID_C, id, UID_C, 0666, EPERM));
	ASSERT_EQ(0, shmipc_ctl(id, IPC_STAT, &ds));
	EXPECT_EQ((uid_t)UID_B, ds.shm_perm.uid);
	EXPECT_EQ((uid_t)UID_A, ds.shm_perm.cuid);
	EXPECT_EQ(0644U, ds.shm_perm.mode);
	EXPECT_EQ(0, try_as(self, UID_C, UID_C, 0, OP_RMID, id, EPERM));
	EXPECT_EQ(0, try_as(self, UID_A, UID_A, 0, OP_RMID, id, 0));
}

TEST_F(perm, checks_the_caller_not_the_opener_of_the_device)
{
	/* A descriptor root opened carries no rights to another user. */
	int id = make_seg(self, 0, 0600);

	ASSERT_LE(0, id);
	EXPECT_EQ(0, try_as(self, STRANGER, OP_STAT_INHERITED, id, EACCES));
	EXPECT_EQ(0, try_as(self, STRANGER, OP_AT_INHERITED, id, EACCES));
	EXPECT_EQ(0L, nattch_of(id));
}

TEST_F(perm, root_needs_no_permission_bits)
{
	struct try create = {
		.uid = UID_A, .gid = UID_A, .op = OP_CREATE,
		.key = test_key(0), .page = self->page,
	};
	struct shmid_ds ds;
	char *p;
	int id;

	ASSERT_EQ(0, run_child(try_op, &create));
	id = seg_track(&self->segs, shmipc_get(test_key(0), 0, 0));
	ASSERT_LE(0, id);
	EXPECT_EQ(0, try_set_as(self, UID_A, id, UID_A, 0, 0));
	EXPECT_EQ(id, shmipc_get(test_key(0), 0, 0600));
	ASSERT_EQ(0, shmipc_ctl(id, IPC_STAT, &ds));
	EXPECT_EQ(0U, ds.shm_perm.mode);
	p = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, p);
	p[0] = 1;
	EXPECT_EQ(0, shmipc_dt(p));
}

TEST_HARNESS_MAIN

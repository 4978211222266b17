// SPDX-License-Identifier: GPL-2.0
/*
 * IPC_RMID: the key is free at once, the segment lives on (SHM_DEST, key 0)
 * while anything has it attached and goes at the last detach, and an id
 * that outlived its segment never reaches another one.
 */
#include <limits.h>

#include "shmipc_test.h"
#include "kselftest_harness.h"

FIXTURE(rmid) {
	int fd;
	size_t page;
	struct seg_list segs;
};

FIXTURE_SETUP(rmid)
{
	self->fd = -1;
	self->page = page_size();
	OPEN_DEVICE_OR_SKIP(self->fd);
}

FIXTURE_TEARDOWN(rmid)
{
	seg_cleanup(self->fd, &self->segs);
	if (self->fd >= 0)
		close(self->fd);
}

static int new_key_seg(FIXTURE_DATA(rmid) *self, unsigned int n, size_t size)
{
	return seg_track(&self->segs, shmipc_get(test_key(n), size,
						 IPC_CREAT | IPC_EXCL | 0600));
}

TEST_F(rmid, rmid_while_attached_defers_free)
{
	struct shmid_ds ds;
	char *p;
	int id = new_key_seg(self, 0, 2 * self->page);

	ASSERT_LE(0, id);
	p = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, p);
	memset(p, 'r', 2 * self->page);
	ASSERT_EQ(0, shmipc_ctl(id, IPC_RMID, NULL));

	/* Still there: marked, keyless, attached once. */
	ASSERT_EQ(0, shmipc_ctl(id, IPC_STAT, &ds));
	EXPECT_EQ((unsigned int)SHM_DEST, ds.shm_perm.mode & SHM_DEST);
	EXPECT_EQ(0600U, ds.shm_perm.mode & 0777);
	EXPECT_EQ(IPC_PRIVATE, ds.shm_perm.__key);
	EXPECT_EQ(1UL, ds.shm_nattch);
	EXPECT_EQ(2 * self->page, ds.shm_segsz);

	/* The memory is intact and still writable. */
	EXPECT_EQ('r', p[0]);
	EXPECT_EQ('r', p[2 * self->page - 1]);
	p[1] = 'w';
	EXPECT_EQ('w', p[1]);

	/* The last detach destroys it. */
	EXPECT_EQ(0, shmipc_dt(p));
	EXPECT_ERRNO(EINVAL, shmipc_ctl(id, IPC_STAT, &ds));
	EXPECT_ERRNO(EINVAL, shmipc_at(id, NULL, 0));
	EXPECT_ERRNO(EINVAL, shmipc_ctl(id, IPC_RMID, NULL));
}

TEST_F(rmid, rmid_frees_the_key_at_once)
{
	char *old, *new;
	int id, id2;

	id = new_key_seg(self, 0, self->page);
	ASSERT_LE(0, id);
	old = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, old);
	old[0] = 'o';
	ASSERT_EQ(0, shmipc_ctl(id, IPC_RMID, NULL));

	EXPECT_ERRNO(ENOENT, shmipc_get(test_key(0), 0, 0));
	id2 = new_key_seg(self, 0, self->page);
	ASSERT_LE(0, id2);
	EXPECT_NE(id, id2);
	EXPECT_EQ(id2, shmipc_get(test_key(0), 0, 0));

	/* Two segments: the new one starts empty and is not the old one. */
	new = shmipc_at(id2, NULL, 0);
	ASSERT_NE((void *)-1, new);
	EXPECT_EQ(0, new[0]);
	new[0] = 'n';
	EXPECT_EQ('o', old[0]);
	EXPECT_EQ(0, shmipc_dt(old));
	EXPECT_EQ(0, shmipc_dt(new));
	EXPECT_EQ(0L, nattch_of(id2));
}

TEST_F(rmid, removed_segment_can_be_attached_while_attached)
{
	struct shmid_ds ds;
	char *p, *q, *m;
	int id = new_key_seg(self, 0, self->page);

	ASSERT_LE(0, id);
	p = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, p);
	p[0] = 'p';
	ASSERT_EQ(0, shmipc_ctl(id, IPC_RMID, NULL));

	/* Linux lets the old id be attached until the segment is gone. */
	q = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, q);
	EXPECT_EQ('p', q[0]);
	m = mmap_segment(self->fd, id, self->page, PROT_READ);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ('p', m[0]);
	EXPECT_EQ(3L, nattch_of(id));

	EXPECT_EQ(0, shmipc_dt(p));
	EXPECT_EQ(0, munmap(m, self->page));
	ASSERT_EQ(0, shmipc_ctl(id, IPC_STAT, &ds));
	EXPECT_EQ(1UL, ds.shm_nattch);
	EXPECT_EQ(0, shmipc_dt(q));
	EXPECT_ERRNO(EINVAL, shmipc_ctl(id, IPC_STAT, &ds));
}

TEST_F(rmid, rmid_again_while_attached_changes_nothing)
{
	char *p;
	int id = new_key_seg(self, 0, self->page);

	ASSERT_LE(0, id);
	p = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, p);
	ASSERT_EQ(0, shmipc_ctl(id, IPC_RMID, NULL));
	EXPECT_EQ(0, shmipc_ctl(id, IPC_RMID, NULL));
	EXPECT_EQ(1L, nattch_of(id));
	p[0] = 1;
	EXPECT_EQ(0, shmipc_dt(p));
	EXPECT_ERRNO(EINVAL, nattch_of(id));
}

TEST_F(rmid, rmid_of_unattached_segment_removes_it_at_once)
{
	struct shmid_ds ds;
	int id = new_key_seg(self, 0, self->page);

	ASSERT_LE(0, id);
	ASSERT_EQ(0, shmipc_ctl(id, IPC_RMID, NULL));
	EXPECT_ERRNO(EINVAL, shmipc_ctl(id, IPC_STAT, &ds));
	EXPECT_ERRNO(EINVAL, shmipc_at(id, NULL, 0));
	EXPECT_EQ(MAP_FAILED, mmap_segment(self->fd, id, self->page, PROT_READ));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_ERRNO(ENOENT, shmipc_get(test_key(0), 0, 0));
	EXPECT_ERRNO(EINVAL, shmipc_ctl(id, IPC_RMID, NULL));
}

TEST_F(rmid, bad_id_is_einval)
{
	EXPECT_ERRNO(EINVAL, shmipc_ctl(-1, IPC_RMID, NULL));
	EXPECT_ERRNO(EINVAL, shmipc_ctl(INT_MAX, IPC_RMID, NULL));
}

struct last_args {
	int id;
	char *p;
	int go[2];		/* parent -> child: removed and detached */
};

static int last_holder(void *arg)
{
	struct last_args *a = arg;
	char c;

	close(a->go[1]);
	CHILD_CHECK(read(a->go[0], &c, 1) == 1);
	/* The parent removed and detached: only this attachment is left. */
	CHILD_CHECK(nattch_of(a->id) == 1);
	CHILD_CHECK(a->p[0] == 'L');
	a->p[0] = 'M';
	CHILD_CHECK(a->p[0] == 'M');
	return 0;
}

TEST_F(rmid, last_detach_in_another_process_destroys)
{
	struct last_args a = { .id = new_key_seg(self, 0, self->page) };
	pid_t pid;
	int status;

	ASSERT_LE(0, a.id);
	a.p = shmipc_at(a.id, NULL, 0);
	ASSERT_NE((void *)-1, a.p);
	a.p[0] = 'L';
	ASSERT_EQ(0, pipe(a.go));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(last_holder(&a));
	close(a.go[0]);

	EXPECT_EQ(2L, nattch_of(a.id));
	EXPECT_EQ(0, shmipc_ctl(a.id, IPC_RMID, NULL));
	EXPECT_EQ(0, shmipc_dt(a.p));
	EXPECT_EQ(1L, nattch_of(a.id));
	ASSERT_EQ(1, write(a.go[1], "g", 1));
	close(a.go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The child's exit was the last detach. */
	EXPECT_ERRNO(EINVAL, nattch_of(a.id));
}

static int remove_and_exit(void *arg)
{
	int id = *(int *)arg;
	char *p = shmipc_at(id, NULL, 0);

	CHILD_CHECK(p != (void *)-1);
	CHILD_CHECK(shmipc_ctl(id, IPC_RMID, NULL) == 0);
	CHILD_CHECK(nattch_of(id) == 1);
	/* No shmipc_dt(): exit detaches. */
	return 0;
}

TEST_F(rmid, exit_of_last_holder_destroys)
{
	int id = new_key_seg(self, 0, self->page);

	ASSERT_LE(0, id);
	EXPECT_EQ(0, run_child(remove_and_exit, &id));
	EXPECT_ERRNO(EINVAL, nattch_of(id));
}

TEST_F(rmid, removed_segment_memory_is_freed_at_last_detach)
{
	const size_t len = 16 << 20;
	long base, full, freed;
	char *p;
	int id = new_key_seg(self, 0, len);

	ASSERT_LE(0, id);
	base = shmem_kb();
	ASSERT_LE(0, base) TH_LOG("no Shmem: in /proc/meminfo");
	p = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, p);
	touch_pages(p, len);
	full = shmem_kb();
	/* The pages are shared memory (12 of the 16 MiB, for some slack). */
	ASSERT_LE(base + (12 << 10), full);

	ASSERT_EQ(0, shmipc_ctl(id, IPC_RMID, NULL));
	/* Still attached: nothing is freed. */
	EXPECT_LE(base + (12 << 10), shmem_kb());
	ASSERT_EQ(0, shmipc_dt(p));
	freed = wait_shmem_at_most(full - (12 << 10), 5);
	EXPECT_GE(full - (12 << 10), freed)
		TH_LOG("Shmem %ld kB before, %ld kB touched, %ld kB after",
		       base, full, freed);
}

/*
 * Stale ids. Slots of the id table are handed out in turn, so an old id
 * shares its slot with a newer segment only once the table has wrapped:
 * shrink the table (shmmni) to make that happen at once, in an IPC
 * namespace of the test's own, which starts empty.
 */
#define SLOTS	4
#define ROUNDS	32

FIXTURE(reuse) {
	int fd;
	size_t page;
	char saved[32];
	bool changed;
};

FIXTURE_SETUP(reuse)
{
	self->fd = -1;
	self->page = page_size();
	OPEN_DEVICE_OR_SKIP(self->fd);
	if (geteuid() != 0)
		SKIP(return, "changing module parameters needs root");
	if (read_param("shmmni", self->saved, sizeof(self->saved)) < 0)
		SKIP(return, PARAM_DIR "shmmni: %s", strerror(errno));
	if (unshare_probe() < 0)
		SKIP(return, "no IPC namespaces: %s", strerror(errno));
	self->changed = true;
	ASSERT_EQ(0, set_param("shmmni", SLOTS));
}

FIXTURE_TEARDOWN(reuse)
{
	if (self->changed)
		write_param("shmmni", self->saved);
	if (self->fd >= 0)
		close(self->fd);
}

struct reuse_args {
	int fd;
	key_t key;
	size_t page;
};

/* Every use of @old fails, and none of them touches the live segment. */
static int check_stale(const struct reuse_args *a, int old, int live)
{
	struct shmid_ds ds;

	CHILD_CHECK(old != live);
	CHILD_CHECK_ERR(shmipc_ctl(old, IPC_STAT, &ds), EINVAL);
	CHILD_CHECK(shmipc_at(old, NULL, 0) == (void *)-1 && errno == EINVAL);
	CHILD_CHECK(mmap_segment(a->fd, old, a->page, PROT_READ) == MAP_FAILED &&
		    errno == EINVAL);
	memset(&ds, 0, sizeof(ds));
	ds.shm_perm.mode = 0666;
	CHILD_CHECK_ERR(shmipc_ctl(old, IPC_SET, &ds), EINVAL);
	CHILD_CHECK_ERR(shmipc_ctl(old, IPC_RMID, NULL), EINVAL);
	CHILD_CHECK(shmipc_ctl(live, IPC_STAT, &ds) == 0);
	CHILD_CHECK(ds.shm_nattch == 0 && ds.shm_perm.mode == 0600);
	return 0;
}

static int churn(void *arg)
{
	const struct reuse_args *a = arg;
	int old[2 * ROUNDS];
	unsigned int n = 0, i, k, r;

	CHILD_CHECK(unshare(CLONE_NEWIPC) == 0);
	for (r = 0; r < ROUNDS; r++) {
		int ids[2] = {
			shmipc_get(a->key, a->page, IPC_CREAT | IPC_EXCL | 0600),
			shmipc_get(IPC_PRIVATE, a->page, IPC_CREAT | 0600),
		};

		for (k = 0; k < 2; k++) {
			CHILD_CHECK(ids[k] >= 0);
			for (i = 0; i < n; i++)
				if (check_stale(a, old[i], ids[k]))
					return 1;
		}
		for (k = 0; k < 2; k++) {
			CHILD_CHECK(shmipc_ctl(ids[k], IPC_RMID, NULL) == 0);
			old[n++] = ids[k];
		}
	}
	return 0;
}

TEST_F(reuse, stale_ids_never_reach_a_newer_segment)
{
	struct reuse_args a = {
		.fd = self->fd, .key = test_key(0), .page = self->page,
	};

	EXPECT_EQ(0, run_child(churn, &a));
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_get(), as shmget(): creating, finding by key, IPC_PRIVATE, sizes,
 * and the limits (shmmax, shmmni, shmall) the module's parameters set.
 */
#include "shmipc_test.h"
#include "kselftest_harness.h"

FIXTURE(get) {
	int fd;
	size_t page;
	struct seg_list segs;
};

FIXTURE_SETUP(get)
{
	self->fd = -1;
	self->page = page_size();
	OPEN_DEVICE_OR_SKIP(self->fd);
}

FIXTURE_TEARDOWN(get)
{
	seg_cleanup(self->fd, &self->segs);
	if (self->fd >= 0)
		close(self->fd);
}

/* shmipc_get(), with the segment removed by the teardown. */
static int get_tracked(FIXTURE_DATA(get) *self, key_t key, size_t size,
		       int flags)
{
	return seg_track(&self->segs, shmipc_get(key, size, flags));
}

static bool all_zero(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

TEST_F(get, create_returns_an_id)
{
	struct shmid_ds ds;
	int id = get_tracked(self, test_key(0), self->page, IPC_CREAT | 0600);

	ASSERT_LE(0, id);
	ASSERT_EQ(0, shmipc_ctl(id, IPC_STAT, &ds));
	EXPECT_EQ(test_key(0), ds.shm_perm.__key);
	EXPECT_EQ(self->page, ds.shm_segsz);
}

TEST_F(get, lookup_by_key_returns_the_same_id)
{
	key_t key = test_key(0);
	int id = get_tracked(self, key, self->page, IPC_CREAT | 0600);

	ASSERT_LE(0, id);
	EXPECT_EQ(id, shmipc_get(key, 0, 0));
	EXPECT_EQ(id, shmipc_get(key, self->page, 0600));
}

TEST_F(get, creat_on_existing_key_returns_it)
{
	key_t key = test_key(0);
	int id = get_tracked(self, key, self->page, IPC_CREAT | 0600);

	ASSERT_LE(0, id);
	EXPECT_EQ(id, shmipc_get(key, self->page, IPC_CREAT | 0600));
}

TEST_F(get, creat_excl_on_existing_key_is_eexist)
{
	key_t key = test_key(0);
	int id = get_tracked(self, key, self->page, IPC_CREAT | 0600);

	ASSERT_LE(0, id);
	EXPECT_ERRNO(EEXIST, shmipc_get(key, self->page,
					IPC_CREAT | IPC_EXCL | 0600));
	/* Even with a size that would be wrong for a lookup. */
	EXPECT_ERRNO(EEXIST, shmipc_get(key, 2 * self->page,
					IPC_CREAT | IPC_EXCL | 0600));
}

TEST_F(get, excl_without_creat_is_a_plain_lookup)
{
	key_t key = test_key(0);
	int id = get_tracked(self, key, self->page, IPC_CREAT | 0600);

	ASSERT_LE(0, id);
	EXPECT_EQ(id, shmipc_get(key, 0, IPC_EXCL | 0600));
}

TEST_F(get, missing_key_without_creat_is_enoent)
{
	EXPECT_ERRNO(ENOENT, shmipc_get(test_key(0), 0, 0));
	EXPECT_ERRNO(ENOENT, shmipc_get(test_key(0), self->page, 0600));
	EXPECT_ERRNO(ENOENT, shmipc_get(test_key(0), self->page, IPC_EXCL));
}

TEST_F(get, private_key_always_makes_a_new_segment)
{
	/* With IPC_CREAT, IPC_EXCL, or neither: it never looks anything up. */
	static const int flags[] = {
		IPC_CREAT | 0600, IPC_CREAT | IPC_EXCL | 0600, 0600, 0600,
	};
	int ids[4];
	char *p[4];
	unsigned int i, j;

	for (i = 0; i < 4; i++) {
		ids[i] = get_tracked(self, IPC_PRIVATE, self->page, flags[i]);
		ASSERT_LE(0, ids[i]);
		for (j = 0; j < i; j++)
			EXPECT_NE(ids[j], ids[i]);
	}
	/* Distinct memory, too. */
	for (i = 0; i < 4; i++) {
		p[i] = shmipc_at(ids[i], NULL, 0);
		ASSERT_NE((void *)-1, p[i]);
		p[i][0] = (char)(i + 1);
	}
	for (i = 0; i < 4; i++) {
		EXPECT_EQ((char)(i + 1), p[i][0]);
		EXPECT_EQ(0, shmipc_dt(p[i]));
	}
}

TEST_F(get, private_segment_has_key_zero)
{
	struct shmid_ds ds;
	int id = get_tracked(self, IPC_PRIVATE, self->page, IPC_CREAT | 0600);

	ASSERT_LE(0, id);
	ASSERT_EQ(0, shmipc_ctl(id, IPC_STAT, &ds));
	EXPECT_EQ(IPC_PRIVATE, ds.shm_perm.__key);
}

TEST_F(get, negative_key_is_an_ordinary_key)
{
	key_t key = (key_t)((unsigned int)test_key(0) | 0x80000000u);
	struct shmid_ds ds;
	int id = get_tracked(self, key, self->page, IPC_CREAT | IPC_EXCL | 0600);

	ASSERT_LE(0, id);
	ASSERT_GT(0, key);
	EXPECT_EQ(id, shmipc_get(key, 0, 0));
	ASSERT_EQ(0, shmipc_ctl(id, IPC_STAT, &ds));
	EXPECT_EQ(key, ds.shm_perm.__key);
	/* And it is not the positive key with the same low bits. */
	EXPECT_ERRNO(ENOENT, shmipc_get(test_key(0), 0, 0));
}

TEST_F(get, keys_name_distinct_segments)
{
	int a = get_tracked(self, test_key(0), self->page, IPC_CREAT | 0600);
	int b = get_tracked(self, test_key(1), self->page, IPC_CREAT | 0600);

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	EXPECT_NE(a, b);
	EXPECT_EQ(a, shmipc_get(test_key(0), 0, 0));
	EXPECT_EQ(b, shmipc_get(test_key(1), 0, 0));
}

TEST_F(get, create_with_size_zero_is_einval)
{
	EXPECT_ERRNO(EINVAL, shmipc_get(test_key(0), 0, IPC_CREAT | 0600));
	EXPECT_ERRNO(EINVAL, shmipc_get(IPC_PRIVATE, 0, IPC_CREAT | 0600));
	EXPECT_ERRNO(ENOENT, shmipc_get(test_key(0), 0, 0));
}

TEST_F(get, create_larger_than_any_limit_is_einval)
{
	/*
	 * Above every possible shmmax, SysV's default (ULONG_MAX - 2^24)
	 * included; the second also wraps to 0 when rounded up to pages.
	 */
	size_t sizes[] = { SIZE_MAX, SIZE_MAX - self->page + 2 };
	unsigned int i;

	if (sizeof(size_t) < 8)
		SKIP(return, "no 32-bit size is above SysV's default shmmax");

	for (i = 0; i < 2; i++) {
		EXPECT_ERRNO(EINVAL, shmipc_get(test_key(0), sizes[i],
						IPC_CREAT | 0600));
		EXPECT_ERRNO(EINVAL, shmipc_get(IPC_PRIVATE, sizes[i],
						IPC_CREAT | 0600));
	}
	EXPECT_ERRNO(ENOENT, shmipc_get(test_key(0), 0, 0));
}

TEST_F(get, lookup_larger_than_segment_is_einval)
{
	/* Against the exact size asked for, not the size in pages. */
	key_t key = test_key(0);
	int id = get_tracked(self, key, 100, IPC_CREAT | 0600);

	ASSERT_LE(0, id);
	EXPECT_ERRNO(EINVAL, shmipc_get(key, 101, 0600));
	EXPECT_ERRNO(EINVAL, shmipc_get(key, self->page, 0600));
	EXPECT_ERRNO(EINVAL, shmipc_get(key, 101, IPC_CREAT | 0600));
}

TEST_F(get, lookup_up_to_segment_size_succeeds)
{
	key_t key = test_key(0);
	int id = get_tracked(self, key, 100, IPC_CREAT | 0600);

	ASSERT_LE(0, id);
	EXPECT_EQ(id, shmipc_get(key, 0, 0600));
	EXPECT_EQ(id, shmipc_get(key, 1, 0600));
	EXPECT_EQ(id, shmipc_get(key, 100, 0600));
}

TEST_F(get, segsz_is_exact_and_mapping_is_page_rounded)
{
	struct shmid_ds ds;
	uint64_t mapped = 0;
	char *p;
	int id = get_tracked(self, IPC_PRIVATE, self->page + 1,
			     IPC_CREAT | 0600);

	ASSERT_LE(0, id);
	ASSERT_EQ(0, shmipc_ctl(id, IPC_STAT, &ds));
	EXPECT_EQ(self->page + 1, ds.shm_segsz);

	p = raw_at(self->fd, id, NULL, 0, &mapped);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ((uint64_t)(2 * self->page), mapped);
	/* The whole last page is there, past the byte asked for. */
	p[2 * self->page - 1] = 'z';
	ASSERT_EQ(0, shmipc_dt(p));

	p = shmipc_at(id, NULL, SHM_RDONLY);
	ASSERT_NE((void *)-1, p);
	EXPECT_EQ('z', p[2 * self->page - 1]);
	EXPECT_EQ(0, shmipc_dt(p));
}

TEST_F(get, one_byte_segment_maps_one_page)
{
	uint64_t mapped = 0;
	char *p;
	int id = get_tracked(self, IPC_PRIVATE, 1, IPC_CREAT | 0600);

	ASSERT_LE(0, id);
	p = raw_at(self->fd, id, NULL, 0, &mapped);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ((uint64_t)self->page, mapped);
	p[self->page - 1] = 1;
	EXPECT_EQ(0, shmipc_dt(p));
}

TEST_F(get, new_segment_reads_as_zeroes)
{
	size_t len = 16 * self->page;
	char *p;
	int id = get_tracked(self, IPC_PRIVATE, len, IPC_CREAT | 0600);

	ASSERT_LE(0, id);
	p = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, p);
	EXPECT_TRUE(all_zero(p, len));
	EXPECT_EQ(0, shmipc_dt(p));
}

TEST_F(get, recreated_key_gets_fresh_memory)
{
	size_t len = 4 * self->page;
	key_t key = test_key(0);
	char *p;
	int id, id2;

	id = get_tracked(self, key, len, IPC_CREAT | 0600);
	ASSERT_LE(0, id);
	p = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, p);
	memset(p, 0xaa, len);
	ASSERT_EQ(0, shmipc_dt(p));
	ASSERT_EQ(0, shmipc_ctl(id, IPC_RMID, NULL));

	id2 = get_tracked(self, key, len, IPC_CREAT | IPC_EXCL | 0600);
	ASSERT_LE(0, id2);
	p = shmipc_at(id2, NULL, 0);
	ASSERT_NE((void *)-1, p);
	EXPECT_TRUE(all_zero(p, len));
	EXPECT_EQ(0, shmipc_dt(p));
}

TEST_F(get, mode_is_the_low_nine_bits_of_flags)
{
	struct shmid_ds ds;
	int id = get_tracked(self, test_key(0), self->page,
			     IPC_CREAT | IPC_EXCL | SHM_NORESERVE | 0751);

	ASSERT_LE(0, id);
	ASSERT_EQ(0, shmipc_ctl(id, IPC_STAT, &ds));
	EXPECT_EQ(0751U, ds.shm_perm.mode);
}

/*
 * Limits, through the module's writable parameters. They are global, so
 * each test saves and restores them, and counts segments in an IPC
 * namespace of its own, which starts empty.
 */
static const char *const limit_names[] = { "shmmax", "shmall", "shmmni" };

FIXTURE(limits) {
	int fd;
	size_t page;
	struct seg_list segs;
	char saved[3][32];
	bool changed;
};

FIXTURE_SETUP(limits)
{
	unsigned int i;

	self->fd = -1;
	self->page = page_size();
	OPEN_DEVICE_OR_SKIP(self->fd);
	if (geteuid() != 0)
		SKIP(return, "changing module parameters needs root");
	for (i = 0; i < 3; i++)
		if (read_param(limit_names[i], self->saved[i],
			       sizeof(self->saved[i])) < 0)
			SKIP(return, PARAM_DIR "%s: %s", limit_names[i],
			     strerror(errno));
	self->changed = true;
}

FIXTURE_TEARDOWN(limits)
{
	unsigned int i;

	if (self->changed)
		for (i = 0; i < 3; i++)
			write_param(limit_names[i], self->saved[i]);
	seg_cleanup(self->fd, &self->segs);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(limits, size_above_shmmax_is_einval)
{
	size_t max = 4 * self->page;

	ASSERT_EQ(0, set_param("shmmax", max));
	EXPECT_ERRNO(EINVAL, shmipc_get(test_key(0), max + 1, IPC_CREAT | 0600));
	EXPECT_ERRNO(EINVAL, shmipc_get(IPC_PRIVATE, max + 1, IPC_CREAT | 0600));
	EXPECT_LE(0, seg_track(&self->segs,
			       shmipc_get(test_key(0), max, IPC_CREAT | 0600)));
}

struct limit_args {
	size_t page;
	unsigned int n;		/* the limit: segments, or pages */
};

static int fill_to_shmmni(void *arg)
{
	const struct limit_args *a = arg;
	unsigned int i;
	int first = -1, id;

	CHILD_CHECK(unshare(CLONE_NEWIPC) == 0);
	for (i = 0; i < a->n; i++) {
		id = shmipc_get(IPC_PRIVATE, a->page, IPC_CREAT | 0600);
		CHILD_CHECK(id >= 0);
		if (first < 0)
			first = id;
	}
	CHILD_CHECK_ERR(shmipc_get(IPC_PRIVATE, a->page, IPC_CREAT | 0600),
			ENOSPC);
	/* A removed segment makes room. */
	CHILD_CHECK(shmipc_ctl(first, IPC_RMID, NULL) == 0);
	CHILD_CHECK(shmipc_get(IPC_PRIVATE, a->page, IPC_CREAT | 0600) >= 0);
	/* The namespace, and its segments, die with this process. */
	return 0;
}

TEST_F(limits, segments_beyond_shmmni_are_enospc)
{
	struct limit_args a = { .page = self->page, .n = 8 };

	ASSERT_EQ(0, set_param("shmmni", a.n));
	if (unshare_probe() < 0)
		SKIP(return, "no IPC namespaces: %s", strerror(errno));
	EXPECT_EQ(0, run_child(fill_to_shmmni, &a));
}

static int fill_to_shmall(void *arg)
{
	const struct limit_args *a = arg;
	int big, id;

	CHILD_CHECK(unshare(CLONE_NEWIPC) == 0);
	/* One page more than allowed, even in an empty namespace. */
	CHILD_CHECK_ERR(shmipc_get(IPC_PRIVATE, (a->n + 1) * a->page,
				   IPC_CREAT | 0600), ENOSPC);
	/* Pages are counted rounded up: n - 1 pages and a byte is n. */
	big = shmipc_get(IPC_PRIVATE, (a->n - 1) * a->page + 1,
			 IPC_CREAT | 0600);
	CHILD_CHECK(big >= 0);
	CHILD_CHECK_ERR(shmipc_get(IPC_PRIVATE, 1, IPC_CREAT | 0600), ENOSPC);
	CHILD_CHECK(shmipc_ctl(big, IPC_RMID, NULL) == 0);
	id = shmipc_get(IPC_PRIVATE, a->page, IPC_CREAT | 0600);
	CHILD_CHECK(id >= 0);
	return 0;
}

TEST_F(limits, pages_beyond_shmall_are_enospc)
{
	struct limit_args a = { .page = self->page, .n = 16 };

	ASSERT_EQ(0, set_param("shmall", a.n));
	if (unshare_probe() < 0)
		SKIP(return, "no IPC namespaces: %s", strerror(errno));
	EXPECT_EQ(0, run_child(fill_to_shmall, &a));
}

TEST_HARNESS_MAIN

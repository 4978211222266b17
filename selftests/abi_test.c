// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl ABI of uapi/shmipc.h, probed with raw ioctls and mmap: layout,
 * command numbers, bad pointers, flag masks, reserved fields, and what the
 * mmap entry refuses. Each call gets exactly one thing wrong and the rest
 * of its input right, so the error can only come from that one thing.
 */
#include <limits.h>
#include <stddef.h>

#include "shmipc_test.h"
#include "kselftest_harness.h"

/* The layout is the ABI: no implicit padding, sizes multiples of 8. */
_Static_assert(sizeof(struct shmipc_version) == 32, "shmipc_version");
_Static_assert(sizeof(struct shmipc_get) == 32, "shmipc_get");
_Static_assert(sizeof(struct shmipc_perm) == 32, "shmipc_perm");
_Static_assert(sizeof(struct shmipc_ds) == 112, "shmipc_ds");
_Static_assert(offsetof(struct shmipc_ds, nattch) == 72, "shmipc_ds.nattch");
_Static_assert(sizeof(struct shmipc_info) == 112, "shmipc_info");
_Static_assert(sizeof(struct shmipc_ctl) == 136, "shmipc_ctl");
_Static_assert(offsetof(struct shmipc_ctl, u) == 24, "shmipc_ctl.u");
_Static_assert(sizeof(struct shmipc_at) == 40, "shmipc_at");
_Static_assert(sizeof(struct shmipc_dt) == 24, "shmipc_dt");

/* Callers pass their shmget()/shmat()/shmctl() arguments unchanged. */
_Static_assert(SHMIPC_IPC_CREAT == IPC_CREAT && SHMIPC_IPC_EXCL == IPC_EXCL &&
	       SHMIPC_SHM_HUGETLB == SHM_HUGETLB &&
	       SHMIPC_SHM_NORESERVE == SHM_NORESERVE, "get flags");
_Static_assert(SHMIPC_SHM_RDONLY == SHM_RDONLY && SHMIPC_SHM_RND == SHM_RND &&
	       SHMIPC_SHM_REMAP == SHM_REMAP && SHMIPC_SHM_EXEC == SHM_EXEC,
	       "attach flags");
_Static_assert(SHMIPC_IPC_RMID == IPC_RMID && SHMIPC_IPC_SET == IPC_SET &&
	       SHMIPC_IPC_STAT == IPC_STAT && SHMIPC_SHM_DEST == SHM_DEST,
	       "commands");

static const unsigned long our_cmds[] = {
	SHMIPC_IOC_VERSION, SHMIPC_IOC_GET, SHMIPC_IOC_CTL, SHMIPC_IOC_AT,
	SHMIPC_IOC_DT,
};

FIXTURE(abi) {
	int fd;
	size_t page;
	struct seg_list segs;
	/*
	 * Argument for ioctls that must not be decoded at all: every field
	 * is invalid (id and key -1, all flags and reserved bits set), so a
	 * command that is wrongly decoded fails with EINVAL, not ENOTTY, and
	 * changes nothing.
	 */
	unsigned char junk[256];
};

FIXTURE_SETUP(abi)
{
	self->fd = -1;
	self->page = page_size();
	memset(self->junk, 0xff, sizeof(self->junk));
	OPEN_DEVICE_OR_SKIP(self->fd);
}

FIXTURE_TEARDOWN(abi)
{
	seg_cleanup(self->fd, &self->segs);
	if (self->fd >= 0)
		close(self->fd);
}

/* A new private segment of @size bytes, removed by the teardown. */
static int new_seg(FIXTURE_DATA(abi) *self, size_t size)
{
	return seg_track(&self->segs, raw_get(self->fd, IPC_PRIVATE, size,
					      IPC_CREAT | 0600));
}

/* An id that was valid once: its segment has been removed. */
static int removed_id(FIXTURE_DATA(abi) *self)
{
	int id = raw_get(self->fd, IPC_PRIVATE, self->page, IPC_CREAT | 0600);

	if (id >= 0 && raw_rmid(self->fd, id) < 0)
		return -1;
	return id;
}

/* ioctl @cmd must be refused as unknown: it is not ours. */
static void expect_enotty(struct __test_metadata *_metadata,
			  FIXTURE_DATA(abi) *self, unsigned long cmd)
{
	int ret, err;

	errno = 0;
	ret = ioctl(self->fd, cmd, self->junk);
	err = errno;
	EXPECT_EQ(-1, ret) TH_LOG("ioctl %#lx accepted", cmd);
	EXPECT_EQ(ENOTTY, err) TH_LOG("ioctl %#lx: %s", cmd, strerror(err));
}

static long nattch_raw(int fd, int id)
{
	struct shmipc_ds ds;

	return raw_stat(fd, id, &ds) < 0 ? -1 : (long)ds.nattch;
}

TEST_F(abi, version_reports_abi_2_and_its_features)
{
	const __u64 all = SHMIPC_FEATURE_GET | SHMIPC_FEATURE_CTL |
			  SHMIPC_FEATURE_AT | SHMIPC_FEATURE_DT |
			  SHMIPC_FEATURE_INFO | SHMIPC_FEATURE_LOCK;
	struct shmipc_version v;

	memset(&v, 0xa5, sizeof(v));
	ASSERT_EQ(0, ioctl(self->fd, SHMIPC_IOC_VERSION, &v));
	/* 2: the ioctl magic moved off 0xB7, which others have. */
	EXPECT_EQ(2U, v.abi_version);
	EXPECT_EQ((__u32)SHMIPC_ABI_VERSION, v.abi_version);
	EXPECT_EQ(0U, v.pad);
	EXPECT_EQ(all, v.features & all);
	EXPECT_EQ(0ULL, v.reserved[0]);
	EXPECT_EQ(0ULL, v.reserved[1]);
}

TEST_F(abi, get_returns_the_id)
{
	const struct shmipc_get orig = {
		.key = IPC_PRIVATE, .flags = IPC_CREAT | 0600,
		.size = self->page,
	};
	struct shmipc_get g = orig;
	struct shmipc_ds ds;
	int id;

	id = seg_track(&self->segs, ioctl(self->fd, SHMIPC_IOC_GET, &g));
	ASSERT_LE(0, id);
	EXPECT_EQ(0, raw_stat(self->fd, id, &ds));
	/* An input-only struct: nothing is written back. */
	EXPECT_EQ(0, memcmp(&orig, &g, sizeof(g)));
}

TEST_F(abi, unknown_command_numbers_are_enotty)
{
	static const unsigned int nrs[] = { 0x05, 0x06, 0x10, 0x80, 0xff };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(nrs); i++) {
		unsigned long forms[] = {
			_IO(SHMIPC_IOC_MAGIC, nrs[i]),
			_IOR(SHMIPC_IOC_MAGIC, nrs[i], struct shmipc_get),
			_IOW(SHMIPC_IOC_MAGIC, nrs[i], struct shmipc_get),
			_IOWR(SHMIPC_IOC_MAGIC, nrs[i], struct shmipc_ctl),
		};
		unsigned int j;

		for (j = 0; j < ARRAY_SIZE(forms); j++)
			expect_enotty(_metadata, self, forms[j]);
	}
}

TEST_F(abi, other_magic_is_enotty)
{
	static const unsigned int magics[] = {
		SHMIPC_IOC_MAGIC - 1, SHMIPC_IOC_MAGIC + 1, 0,
	};
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(our_cmds); i++) {
		unsigned long cmd = our_cmds[i];

		for (j = 0; j < ARRAY_SIZE(magics); j++) {
			unsigned long other = _IOC(_IOC_DIR(cmd), magics[j],
						   _IOC_NR(cmd), _IOC_SIZE(cmd));

			expect_enotty(_metadata, self, other);
		}
	}
}

TEST_F(abi, other_struct_size_is_enotty)
{
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(our_cmds); i++) {
		unsigned long cmd = our_cmds[i];
		unsigned int size = _IOC_SIZE(cmd);
		unsigned int sizes[] = { 0, size - 8, size + 8, size * 2 };

		for (j = 0; j < ARRAY_SIZE(sizes); j++) {
			unsigned long other = _IOC(_IOC_DIR(cmd), SHMIPC_IOC_MAGIC,
						   _IOC_NR(cmd), sizes[j]);

			expect_enotty(_metadata, self, other);
		}
	}
}

TEST_F(abi, other_direction_is_enotty)
{
	static const unsigned int dirs[] = {
		_IOC_NONE, _IOC_READ, _IOC_WRITE, _IOC_READ | _IOC_WRITE,
	};
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(our_cmds); i++) {
		unsigned long cmd = our_cmds[i];

		for (j = 0; j < ARRAY_SIZE(dirs); j++) {
			unsigned long other;

			if (dirs[j] == _IOC_DIR(cmd))
				continue;
			other = _IOC(dirs[j], SHMIPC_IOC_MAGIC, _IOC_NR(cmd),
				     _IOC_SIZE(cmd));
			expect_enotty(_metadata, self, other);
		}
	}
}

/* --- SHMIPC_IOC_GET --- */

TEST_F(abi, get_with_unknown_flag_bit_is_einval)
{
	const unsigned int known = SHMIPC_GET_FLAGS;
	key_t key = test_key(0);
	unsigned int bit;

	for (bit = 0; bit < 32; bit++) {
		unsigned int flag = 1U << bit;

		if (flag & known)
			continue;
		EXPECT_ERRNO(EINVAL, raw_get(self->fd, key, self->page,
					     IPC_CREAT | IPC_EXCL | 0600 | flag));
	}
	/* None of them made a segment. */
	EXPECT_ERRNO(ENOENT, raw_get(self->fd, key, 0, 0));
}

TEST_F(abi, lookup_with_unknown_flag_bit_is_einval)
{
	key_t key = test_key(0);
	int id;

	id = raw_get(self->fd, key, self->page, IPC_CREAT | 0600);
	ASSERT_LE(0, id);
	seg_track(&self->segs, id);
	EXPECT_ERRNO(EINVAL, raw_get(self->fd, key, 0, 1U << 31));
	EXPECT_ERRNO(EINVAL, raw_get(self->fd, key, 0, 1U << 20));
	EXPECT_EQ(id, raw_get(self->fd, key, 0, 0));
}

/* SHM_HUGE_* size bits mean something only with SHM_HUGETLB. */
TEST_F(abi, get_with_huge_size_bits_without_hugetlb_is_einval)
{
	key_t key = test_key(0);

	EXPECT_ERRNO(EINVAL, raw_get(self->fd, key, self->page,
				     IPC_CREAT | 0600 | SHMIPC_SHM_HUGE_2MB));
	EXPECT_ERRNO(ENOENT, raw_get(self->fd, key, 0, 0));
}

TEST_F(abi, get_with_noreserve_is_accepted)
{
	int id = raw_get(self->fd, IPC_PRIVATE, self->page,
			 IPC_CREAT | 0600 | SHMIPC_SHM_NORESERVE);

	seg_track(&self->segs, id);
	EXPECT_LE(0, id);
}

TEST_F(abi, get_with_nonzero_reserved_is_einval)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(((struct shmipc_get *)0)->reserved); i++) {
		struct shmipc_get g = {
			.key = test_key(0), .flags = IPC_CREAT | 0600,
			.size = self->page,
		};

		g.reserved[i] = 1;
		EXPECT_ERRNO(EINVAL, ioctl(self->fd, SHMIPC_IOC_GET, &g));
	}
	EXPECT_ERRNO(ENOENT, raw_get(self->fd, test_key(0), 0, 0));
}

/* --- SHMIPC_IOC_CTL --- */

TEST_F(abi, ctl_with_unknown_command_is_einval)
{
	/* Includes IPC_STAT | IPC_64, which glibc passes to shmctl(2). */
	static const unsigned int cmds[] = {
		4, 5, 10, 16, 0x100 | IPC_STAT, 0x7fffffff, 0x80000000u,
		0xffffffff,
	};
	unsigned int i;
	int id = new_seg(self, self->page);

	ASSERT_LE(0, id);
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		struct shmipc_ctl c = { .id = id, .cmd = cmds[i] };

		EXPECT_ERRNO(EINVAL, ioctl(self->fd, SHMIPC_IOC_CTL, &c));
	}
	EXPECT_EQ(0L, nattch_raw(self->fd, id));
}

/* SHM_LOCK and SHM_UNLOCK ignore u, as shmctl() ignores buf for them. */
TEST_F(abi, ctl_lock_and_unlock_neither_read_nor_write_u)
{
	static const unsigned int cmds[] = {
		SHMIPC_SHM_LOCK, SHMIPC_SHM_LOCK, SHMIPC_SHM_UNLOCK,
		SHMIPC_SHM_UNLOCK,
	};
	unsigned char junk[sizeof(((struct shmipc_ctl *)0)->u)];
	unsigned int i;
	int id = new_seg(self, self->page);

	ASSERT_LE(0, id);
	memset(junk, 0xa5, sizeof(junk));
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		struct shmipc_ctl c = { .id = id, .cmd = cmds[i] };

		memcpy(&c.u, junk, sizeof(junk));
		EXPECT_EQ(0, ioctl(self->fd, SHMIPC_IOC_CTL, &c));
		EXPECT_EQ(0, memcmp(&c.u, junk, sizeof(junk)));
	}
}

TEST_F(abi, ctl_with_nonzero_reserved_is_einval)
{
	static const unsigned int cmds[] = {
		SHMIPC_IPC_STAT, SHMIPC_IPC_SET, SHMIPC_IPC_RMID,
	};
	struct shmipc_ds ds;
	unsigned int i, j;
	int id = new_seg(self, self->page);

	ASSERT_LE(0, id);
	ASSERT_EQ(0, raw_stat(self->fd, id, &ds));
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		for (j = 0; j < 2; j++) {
			struct shmipc_ctl c = { .id = id, .cmd = cmds[i] };

			c.u.ds = ds;
			c.u.ds.perm.mode = 0644;
			c.reserved[j] = 1;
			EXPECT_ERRNO(EINVAL, ioctl(self->fd, SHMIPC_IOC_CTL, &c));
		}
	}
	/* Neither removed nor changed. */
	ASSERT_EQ(0, raw_stat(self->fd, id, &ds));
	EXPECT_EQ(0600U, ds.perm.mode);
}

TEST_F(abi, set_with_nonzero_ds_reserved_is_einval)
{
	struct shmipc_ds ds;
	unsigned int i;
	int id = new_seg(self, self->page);

	ASSERT_LE(0, id);
	for (i = 0; i < ARRAY_SIZE(ds.reserved); i++) {
		ASSERT_EQ(0, raw_stat(self->fd, id, &ds));
		ds.perm.mode = 0644;
		ds.reserved[i] = 1;
		EXPECT_ERRNO(EINVAL, raw_ctl(self->fd, id, SHMIPC_IPC_SET, &ds));
	}
	ASSERT_EQ(0, raw_stat(self->fd, id, &ds));
	EXPECT_EQ(0600U, ds.perm.mode);
}

TEST_F(abi, set_with_nonzero_perm_pad_is_einval)
{
	struct shmipc_ds ds;
	int id = new_seg(self, self->page);

	ASSERT_LE(0, id);
	ASSERT_EQ(0, raw_stat(self->fd, id, &ds));
	ds.perm.mode = 0644;
	ds.perm.pad = 1;
	EXPECT_ERRNO(EINVAL, raw_ctl(self->fd, id, SHMIPC_IPC_SET, &ds));
	ASSERT_EQ(0, raw_stat(self->fd, id, &ds));
	EXPECT_EQ(0600U, ds.perm.mode);
}

TEST_F(abi, abi_1_magic_is_enotty)
{
	/* ABI 1 used 0xB7, which remoteproc and nsfs have: no longer ours. */
	struct shmipc_get g = { .key = IPC_PRIVATE, .flags = IPC_CREAT | 0600,
				.size = 4096 };

	EXPECT_EQ(0xBE, (int)_IOC_TYPE(SHMIPC_IOC_GET));
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IOW(0xB7, 0x01,
						  struct shmipc_get), &g));
}

TEST_F(abi, stat_zeroes_every_reserved_field_and_pad)
{
	struct shmipc_ctl c;
	unsigned int i;
	int id = new_seg(self, self->page);

	ASSERT_LE(0, id);
	memset(&c, 0xa5, sizeof(c));
	c.id = id;
	c.cmd = SHMIPC_IPC_STAT;
	memset(c.reserved, 0, sizeof(c.reserved));
	ASSERT_EQ(0, ioctl(self->fd, SHMIPC_IOC_CTL, &c));
	EXPECT_EQ(0U, c.u.ds.perm.pad);
	for (i = 0; i < ARRAY_SIZE(c.u.ds.reserved); i++)
		EXPECT_EQ(0ULL, c.u.ds.reserved[i]);
	EXPECT_EQ((__u64)self->page, c.u.ds.segsz);
}

TEST_F(abi, ctl_with_bad_id_is_einval)
{
	static const unsigned int cmds[] = {
		SHMIPC_IPC_STAT, SHMIPC_IPC_SET, SHMIPC_IPC_RMID,
	};
	int ids[] = { -1, INT_MAX, INT_MIN, removed_id(self) };
	unsigned int i, j;

	ASSERT_LE(0, ids[3]);
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		for (j = 0; j < ARRAY_SIZE(ids); j++) {
			struct shmipc_ctl c = { .id = ids[j], .cmd = cmds[i] };

			c.u.ds.perm.mode = 0600;
			EXPECT_ERRNO(EINVAL, ioctl(self->fd, SHMIPC_IOC_CTL, &c));
		}
	}
}

/* --- SHMIPC_IOC_AT and SHMIPC_IOC_DT --- */

TEST_F(abi, at_with_unknown_flag_bit_is_einval)
{
	unsigned int bit;
	int id = new_seg(self, self->page);

	ASSERT_LE(0, id);
	for (bit = 0; bit < 32; bit++) {
		unsigned int flag = 1U << bit;

		if (flag & SHMIPC_AT_FLAGS)
			continue;
		EXPECT_EQ(MAP_FAILED, raw_at(self->fd, id, NULL, flag, NULL))
			TH_LOG("flag %#x accepted", flag);
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ(0L, nattch_raw(self->fd, id));
}

TEST_F(abi, at_with_nonzero_reserved_is_einval)
{
	unsigned int i;
	int id = new_seg(self, self->page);

	ASSERT_LE(0, id);
	for (i = 0; i < ARRAY_SIZE(((struct shmipc_at *)0)->reserved); i++) {
		struct shmipc_at a = { .id = id };

		a.reserved[i] = 1;
		EXPECT_ERRNO(EINVAL, ioctl(self->fd, SHMIPC_IOC_AT, &a));
	}
	EXPECT_EQ(0L, nattch_raw(self->fd, id));
}

TEST_F(abi, at_reports_address_and_page_rounded_size)
{
	struct shmipc_at a = { .size = 7 };
	int id = new_seg(self, self->page + 1);

	ASSERT_LE(0, id);
	a.id = id;
	ASSERT_EQ(0, ioctl(self->fd, SHMIPC_IOC_AT, &a));
	EXPECT_NE(0ULL, a.addr);
	EXPECT_EQ(0ULL, a.addr % self->page);
	EXPECT_EQ((__u64)(2 * self->page), a.size);
	EXPECT_EQ(1L, nattch_raw(self->fd, id));
	EXPECT_EQ(0, raw_dt(self->fd, (void *)(uintptr_t)a.addr));
	EXPECT_EQ(0L, nattch_raw(self->fd, id));
}

TEST_F(abi, at_with_bad_id_is_einval)
{
	int ids[] = { -1, INT_MAX, INT_MIN, removed_id(self) };
	unsigned int i;

	ASSERT_LE(0, ids[3]);
	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		EXPECT_EQ(MAP_FAILED, raw_at(self->fd, ids[i], NULL, 0, NULL))
			TH_LOG("id %d attached", ids[i]);
		EXPECT_EQ(EINVAL, errno);
	}
}

TEST_F(abi, dt_with_nonzero_reserved_is_einval)
{
	unsigned int i;
	char *p;
	int id = new_seg(self, self->page);

	ASSERT_LE(0, id);
	p = raw_at(self->fd, id, NULL, 0, NULL);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < ARRAY_SIZE(((struct shmipc_dt *)0)->reserved); i++) {
		struct shmipc_dt d = { .addr = (uintptr_t)p };

		d.reserved[i] = 1;
		EXPECT_ERRNO(EINVAL, ioctl(self->fd, SHMIPC_IOC_DT, &d));
	}
	/* Still attached and usable. */
	EXPECT_EQ(1L, nattch_raw(self->fd, id));
	p[0] = 1;
	EXPECT_EQ(0, raw_dt(self->fd, p));
}

/* --- mmap of the device --- */

TEST_F(abi, mmap_private_is_einval)
{
	int id = new_seg(self, self->page);

	ASSERT_LE(0, id);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->page, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE, self->fd,
				   SHMIPC_MMAP_OFFSET(id, self->page)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->page, PROT_READ, MAP_PRIVATE,
				   self->fd, SHMIPC_MMAP_OFFSET(id, self->page)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0L, nattch_raw(self->fd, id));
}

TEST_F(abi, mmap_longer_than_segment_is_einval)
{
	int id = new_seg(self, self->page + 1);
	void *p;

	ASSERT_LE(0, id);
	/* The segment rounded up to pages may be mapped... */
	p = mmap_segment(self->fd, id, 2 * self->page, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, munmap(p, 2 * self->page));
	/* ...and not a page more. */
	EXPECT_EQ(MAP_FAILED, mmap_segment(self->fd, id, 3 * self->page,
					   PROT_READ | PROT_WRITE));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0L, nattch_raw(self->fd, id));
}

TEST_F(abi, mmap_shorter_than_segment_attaches)
{
	int id = new_seg(self, 4 * self->page);
	char *p;

	ASSERT_LE(0, id);
	p = mmap_segment(self->fd, id, self->page, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(1L, nattch_raw(self->fd, id));
	p[self->page - 1] = 1;
	EXPECT_EQ(0, munmap(p, self->page));
	EXPECT_EQ(0L, nattch_raw(self->fd, id));
}

TEST_F(abi, mmap_of_bad_id_is_einval)
{
	int ids[] = { INT_MAX, removed_id(self) };
	unsigned int i;

	ASSERT_LE(0, ids[1]);
	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		EXPECT_EQ(MAP_FAILED, mmap_segment(self->fd, ids[i], self->page,
						   PROT_READ))
			TH_LOG("id %d mapped", ids[i]);
		EXPECT_EQ(EINVAL, errno);
	}
	/* An offset beyond any id. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->page, PROT_READ, MAP_SHARED,
				   self->fd, (off_t)1 << 44));
	EXPECT_EQ(EINVAL, errno);
}

/* --- Bad argument pointers, for every command --- */

FIXTURE(bad_pointer) {
	int fd;
	size_t page;
	struct seg_list segs;
	int id;
	char *attached;		/* an attachment of id, for DT */
	char *hole;		/* an unmapped page... */
	char *edge;		/* ...right after a mapped one */
	unsigned char valid[256];	/* a good argument for the command */
};

FIXTURE_VARIANT(bad_pointer) {
	unsigned long cmd;
};

FIXTURE_VARIANT_ADD(bad_pointer, version) { .cmd = SHMIPC_IOC_VERSION };
FIXTURE_VARIANT_ADD(bad_pointer, get) { .cmd = SHMIPC_IOC_GET };
FIXTURE_VARIANT_ADD(bad_pointer, ctl) { .cmd = SHMIPC_IOC_CTL };
FIXTURE_VARIANT_ADD(bad_pointer, at) { .cmd = SHMIPC_IOC_AT };
FIXTURE_VARIANT_ADD(bad_pointer, dt) { .cmd = SHMIPC_IOC_DT };

FIXTURE_SETUP(bad_pointer)
{
	char *two;

	self->fd = -1;
	self->page = page_size();
	OPEN_DEVICE_OR_SKIP(self->fd);
	self->id = seg_track(&self->segs, raw_get(self->fd, IPC_PRIVATE,
						  self->page, IPC_CREAT | 0600));
	ASSERT_LE(0, self->id);
	self->attached = raw_at(self->fd, self->id, NULL, 0, NULL);
	ASSERT_NE(MAP_FAILED, self->attached);

	two = mmap(NULL, 2 * self->page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, munmap(two + self->page, self->page));
	self->edge = two + self->page;
	self->hole = self->edge;

	memset(self->valid, 0, sizeof(self->valid));
	switch (variant->cmd) {
	case SHMIPC_IOC_GET: {
		/* Would make a segment on key 1 if it were decoded. */
		struct shmipc_get *g = (void *)self->valid;

		g->key = test_key(1);
		g->flags = IPC_CREAT | IPC_EXCL | 0600;
		g->size = self->page;
		break;
	}
	case SHMIPC_IOC_CTL: {
		struct shmipc_ctl *c = (void *)self->valid;

		c->id = self->id;
		c->cmd = SHMIPC_IPC_STAT;
		break;
	}
	case SHMIPC_IOC_AT:
		((struct shmipc_at *)(void *)self->valid)->id = self->id;
		break;
	case SHMIPC_IOC_DT:
		((struct shmipc_dt *)(void *)self->valid)->addr =
			(uintptr_t)self->attached;
		break;
	}
}

FIXTURE_TEARDOWN(bad_pointer)
{
	seg_cleanup(self->fd, &self->segs);
	if (self->fd >= 0)
		close(self->fd);
}

/* A refused call left everything as it was. */
static void expect_no_side_effect(struct __test_metadata *_metadata,
				  FIXTURE_DATA(bad_pointer) *self)
{
	struct shmipc_ds ds;

	EXPECT_ERRNO(ENOENT, raw_get(self->fd, test_key(1), 0, 0));
	ASSERT_EQ(0, raw_stat(self->fd, self->id, &ds));
	EXPECT_EQ(1ULL, ds.nattch);
}

TEST_F(bad_pointer, null_argument_is_efault)
{
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, variant->cmd, NULL));
	expect_no_side_effect(_metadata, self);
}

TEST_F(bad_pointer, unmapped_argument_is_efault)
{
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, variant->cmd, self->hole));
	expect_no_side_effect(_metadata, self);
}

TEST_F(bad_pointer, argument_running_into_unmapped_page_is_efault)
{
	size_t size = _IOC_SIZE(variant->cmd);
	char *arg = self->edge - (size - 8);

	/* All but its last 8 bytes are mapped, and valid. */
	memcpy(arg, self->valid, size - 8);
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, variant->cmd, arg));
	expect_no_side_effect(_metadata, self);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * What the memory manager thinks an attachment is, from /proc/self/smaps:
 * a shared mapping of ordinary pages (counted in Rss as they are touched,
 * shared between the processes that map them), never a raw PFN or I/O
 * mapping, and, read-only, unable ever to become writable.
 */
#include "shmipc_test.h"
#include "kselftest_harness.h"

#define PAGES	16

struct smaps {
	char perms[5];
	long rss, shared_clean, shared_dirty, private_clean, private_dirty;
	char vmflags[256];
};

/* The smaps entry of the mapping that starts at @addr: 0, or -1. */
static int read_smaps(const void *addr, struct smaps *s)
{
	unsigned long start, end;
	char line[512], perms[5];
	bool in = false, found = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	memset(s, 0, sizeof(*s));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) == 3) {
			if (in)
				break;
			in = start == (uintptr_t)addr;
			if (in) {
				found = true;
				memcpy(s->perms, perms, sizeof(perms));
			}
			continue;
		}
		if (!in)
			continue;
		sscanf(line, "Rss: %ld kB", &s->rss);
		sscanf(line, "Shared_Clean: %ld kB", &s->shared_clean);
		sscanf(line, "Shared_Dirty: %ld kB", &s->shared_dirty);
		sscanf(line, "Private_Clean: %ld kB", &s->private_clean);
		sscanf(line, "Private_Dirty: %ld kB", &s->private_dirty);
		if (!strncmp(line, "VmFlags:", 8))
			snprintf(s->vmflags, sizeof(s->vmflags), "%s", line + 8);
	}
	fclose(f);
	return found ? 0 : -1;
}

/* Is two-letter @flag among the VmFlags? */
static bool has_flag(const struct smaps *s, const char *flag)
{
	char copy[sizeof(s->vmflags)], *tok, *save;

	memcpy(copy, s->vmflags, sizeof(copy));
	for (tok = strtok_r(copy, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save))
		if (!strcmp(tok, flag))
			return true;
	return false;
}

FIXTURE(smaps) {
	int fd;
	size_t page;
	size_t len;
	struct seg_list segs;
	int id;
};

FIXTURE_SETUP(smaps)
{
	self->fd = -1;
	self->page = page_size();
	self->len = PAGES * self->page;
	OPEN_DEVICE_OR_SKIP(self->fd);
	if (access("/proc/self/smaps", R_OK))
		SKIP(return, "/proc/self/smaps: %s", strerror(errno));
	self->id = seg_track(&self->segs, shmipc_get(IPC_PRIVATE, self->len,
						     IPC_CREAT | 0600));
	ASSERT_LE(0, self->id);
}

FIXTURE_TEARDOWN(smaps)
{
	seg_cleanup(self->fd, &self->segs);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(smaps, attachment_is_a_shared_mapping_of_ordinary_pages)
{
	struct smaps s;
	char *p = shmipc_at(self->id, NULL, 0);

	ASSERT_NE((void *)-1, p);
	ASSERT_EQ(0, read_smaps(p, &s));
	EXPECT_STREQ("rw-s", s.perms);
	EXPECT_TRUE(has_flag(&s, "sh")) TH_LOG("VmFlags:%s", s.vmflags);
	EXPECT_TRUE(has_flag(&s, "mw")) TH_LOG("VmFlags:%s", s.vmflags);
	/* Not VM_PFNMAP, VM_IO or VM_MIXEDMAP: real, refcounted pages. */
	EXPECT_FALSE(has_flag(&s, "pf")) TH_LOG("VmFlags:%s", s.vmflags);
	EXPECT_FALSE(has_flag(&s, "io")) TH_LOG("VmFlags:%s", s.vmflags);
	EXPECT_FALSE(has_flag(&s, "mm")) TH_LOG("VmFlags:%s", s.vmflags);
	/* Not VM_DONTCOPY: fork() must inherit it. */
	EXPECT_FALSE(has_flag(&s, "dc")) TH_LOG("VmFlags:%s", s.vmflags);
	EXPECT_EQ(0, shmipc_dt(p));
}

TEST_F(smaps, touched_pages_count_in_rss)
{
	const long len_kb = (long)(self->len >> 10);
	struct smaps before, after;
	char *p = shmipc_at(self->id, NULL, 0);

	ASSERT_NE((void *)-1, p);
	ASSERT_EQ(0, read_smaps(p, &before));
	/* A new segment has no pages yet. */
	EXPECT_GT(len_kb, before.rss);
	touch_pages(p, self->len);
	ASSERT_EQ(0, read_smaps(p, &after));
	EXPECT_LE(len_kb, after.rss);
	EXPECT_LE(len_kb, after.shared_dirty + after.private_dirty)
		TH_LOG("Shared_Dirty %ld kB, Private_Dirty %ld kB",
		       after.shared_dirty, after.private_dirty);
	EXPECT_EQ(0, shmipc_dt(p));
}

struct share_args {
	char *p;
	size_t len;
};

static int map_and_measure(void *arg)
{
	const struct share_args *a = arg;
	long len_kb = (long)(a->len >> 10);
	volatile char sum = 0;
	struct smaps s;
	size_t i;

	for (i = 0; i < a->len; i += page_size())
		sum += a->p[i];
	CHILD_CHECK(sum == PAGES);
	CHILD_CHECK(read_smaps(a->p, &s) == 0);
	/* The parent maps these very pages: they are shared, not copies. */
	if (s.shared_clean + s.shared_dirty < len_kb) {
		fprintf(stderr, "# Shared_Clean %ld kB + Shared_Dirty %ld kB < %ld kB (Rss %ld kB)\n",
			s.shared_clean, s.shared_dirty, len_kb, s.rss);
		return 1;
	}
	return 0;
}

TEST_F(smaps, pages_mapped_by_two_processes_are_shared)
{
	struct share_args a = { .len = self->len };

	a.p = shmipc_at(self->id, NULL, 0);
	ASSERT_NE((void *)-1, a.p);
	touch_pages(a.p, self->len);
	EXPECT_EQ(0, run_child(map_and_measure, &a));
	EXPECT_EQ(0, shmipc_dt(a.p));
}

TEST_F(smaps, read_only_attachment_has_no_way_to_write)
{
	struct smaps s;
	char *ro = shmipc_at(self->id, NULL, SHM_RDONLY);
	char *m;

	ASSERT_NE((void *)-1, ro);
	ASSERT_EQ(0, read_smaps(ro, &s));
	EXPECT_STREQ("r--s", s.perms);
	EXPECT_FALSE(has_flag(&s, "wr")) TH_LOG("VmFlags:%s", s.vmflags);
	/* No VM_MAYWRITE: mprotect() can never add write. */
	EXPECT_FALSE(has_flag(&s, "mw")) TH_LOG("VmFlags:%s", s.vmflags);
	EXPECT_EQ(0, shmipc_dt(ro));

	m = mmap_segment(self->fd, self->id, self->len, PROT_READ);
	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, read_smaps(m, &s));
	EXPECT_FALSE(has_flag(&s, "mw")) TH_LOG("VmFlags:%s", s.vmflags);
	EXPECT_EQ(0, munmap(m, self->len));
}

TEST_F(smaps, detached_attachment_is_gone_from_smaps)
{
	struct smaps s;
	char *p = shmipc_at(self->id, NULL, 0);

	ASSERT_NE((void *)-1, p);
	ASSERT_EQ(0, read_smaps(p, &s));
	ASSERT_EQ(0, shmipc_dt(p));
	EXPECT_EQ(-1, read_smaps(p, &s));
}

TEST_HARNESS_MAIN

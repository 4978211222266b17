// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_at() and mmap of the device, as shmat(): sharing between
 * processes, fork, exec and exit, read-only attachments, the address rules
 * (SHM_RND, SHM_REMAP, overlaps), and nattch across every way a mapping
 * is copied, split, moved or dropped.
 */
#include <limits.h>

#include "shmipc_test.h"
#include "kselftest_harness.h"

/*
 * The test re-executes itself as a second program that knows only what
 * its environment tells it: a key (PEER_KEY) or an id and the nattch it
 * must see (NATTCH_CHECK, "id:n"). The constructor runs it before the
 * harness starts.
 */
#define PEER_KEY_ENV		"SHMIPC_TEST_PEER_KEY"
#define NATTCH_CHECK_ENV	"SHMIPC_TEST_NATTCH_CHECK"

enum { W_HELLO, W_PEER_SEEN, W_GO, W_DONE };
#define HELLO		0x68656c6cU
#define PEER_SEEN	0x70656572U
#define GO		0x676f2121U
#define DONE		0x646f6e65U

/* Waits up to 10 s for *@w to read @v. */
static bool wait_word(volatile uint32_t *w, uint32_t v)
{
	int i;

	for (i = 0; i < 10 * 1000; i++) {
		if (__atomic_load_n(w, __ATOMIC_ACQUIRE) == v)
			return true;
		usleep(1000);
	}
	return false;
}

static int peer(key_t key)
{
	volatile uint32_t *w;
	int id;

	id = shmipc_get(key, 0, 0600);
	if (id < 0)
		return 10;
	w = shmipc_at(id, NULL, 0);
	if ((void *)w == (void *)-1)
		return 11;
	if (w[W_HELLO] != HELLO)
		return 12;
	__atomic_store_n(&w[W_PEER_SEEN], PEER_SEEN, __ATOMIC_RELEASE);
	if (!wait_word(&w[W_GO], GO))
		return 13;
	__atomic_store_n(&w[W_DONE], DONE, __ATOMIC_RELEASE);
	return 0;
}

static void __attribute__((constructor)) second_program(void)
{
	const char *key = getenv(PEER_KEY_ENV);
	const char *check = getenv(NATTCH_CHECK_ENV);
	int id;
	long n;

	if (key)
		_exit(peer((key_t)strtol(key, NULL, 0)));
	if (check) {
		if (sscanf(check, "%d:%ld", &id, &n) != 2)
			_exit(20);
		_exit(nattch_of(id) == n ? 0 : 21);
	}
}

/* Forks and runs this program again with @env; returns the child's pid. */
static pid_t spawn_self(const char *env)
{
	char *argv[] = { "attach_test", NULL };
	char *envp[] = { (char *)env, NULL };
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execve("/proc/self/exe", argv, envp);
		_exit(127);
	}
	return pid;
}

static int wait_exit(pid_t pid)
{
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

FIXTURE(attach) {
	int fd;
	size_t page;
	struct seg_list segs;
};

FIXTURE_SETUP(attach)
{
	self->fd = -1;
	self->page = page_size();
	OPEN_DEVICE_OR_SKIP(self->fd);
}

FIXTURE_TEARDOWN(attach)
{
	seg_cleanup(self->fd, &self->segs);
	if (self->fd >= 0)
		close(self->fd);
}

static int new_seg(FIXTURE_DATA(attach) *self, size_t pages)
{
	return seg_track(&self->segs, shmipc_get(IPC_PRIVATE,
						 pages * self->page,
						 IPC_CREAT | 0600));
}

/* An SHMLBA-aligned address with @len bytes free after it. */
static char *free_aligned(size_t len)
{
	char *p = free_range(len + SHMLBA);

	if (!p)
		return NULL;
	return (char *)(((uintptr_t)p + SHMLBA - 1) & ~(uintptr_t)(SHMLBA - 1));
}

/* The permissions column of /proc/self/maps for the mapping at @addr. */
static int maps_perms(const void *addr, char perms[5])
{
	unsigned long start, end;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) == 3 &&
		    start == (uintptr_t)addr) {
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

TEST_F(attach, unrelated_processes_see_each_others_writes)
{
	volatile uint32_t *w;
	char env[64];
	bool seen;
	pid_t pid;
	key_t key = test_key(0);
	int id;

	id = seg_track(&self->segs, shmipc_get(key, self->page,
					       IPC_CREAT | 0600));
	ASSERT_LE(0, id);
	w = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, (void *)w);
	w[W_HELLO] = HELLO;

	snprintf(env, sizeof(env), PEER_KEY_ENV "=%d", key);
	pid = spawn_self(env);
	ASSERT_LT(0, pid);
	seen = wait_word(&w[W_PEER_SEEN], PEER_SEEN);
	if (!seen)
		kill(pid, SIGKILL);
	/* The peer is attached and waiting: two attachments. */
	EXPECT_EQ(2L, nattch_of(id));
	__atomic_store_n(&w[W_GO], GO, __ATOMIC_RELEASE);
	EXPECT_EQ(0, wait_exit(pid));
	EXPECT_TRUE(seen);
	EXPECT_EQ(DONE, w[W_DONE]);
	/* Its exit dropped its attachment. */
	EXPECT_EQ(1L, nattch_of(id));
	EXPECT_EQ(0, shmipc_dt((void *)w));
}

struct shared {
	int id;
	volatile char *p;
	size_t page;
};

static int child_of_attached(void *arg)
{
	struct shared *s = arg;

	CHILD_CHECK(s->p[0] == 'p');
	s->p[1] = 'c';
	CHILD_CHECK(nattch_of(s->id) == 2);
	return 0;
}

TEST_F(attach, fork_shares_the_attachment_and_nattch_follows)
{
	struct shared s = { .id = new_seg(self, 1) };

	ASSERT_LE(0, s.id);
	s.p = shmipc_at(s.id, NULL, 0);
	ASSERT_NE((void *)-1, (void *)s.p);
	s.p[0] = 'p';
	EXPECT_EQ(1L, nattch_of(s.id));
	EXPECT_EQ(0, run_child(child_of_attached, &s));
	EXPECT_EQ('c', s.p[1]);
	EXPECT_EQ(1L, nattch_of(s.id));
	EXPECT_EQ(0, shmipc_dt((void *)s.p));
	EXPECT_EQ(0L, nattch_of(s.id));
}

static int child_detaches(void *arg)
{
	struct shared *s = arg;

	CHILD_CHECK(shmipc_dt((void *)s->p) == 0);
	CHILD_CHECK(nattch_of(s->id) == 1);
	return 0;
}

TEST_F(attach, detach_in_child_leaves_parent_attached)
{
	struct shared s = { .id = new_seg(self, 1) };

	ASSERT_LE(0, s.id);
	s.p = shmipc_at(s.id, NULL, 0);
	ASSERT_NE((void *)-1, (void *)s.p);
	EXPECT_EQ(0, run_child(child_detaches, &s));
	EXPECT_EQ(1L, nattch_of(s.id));
	s.p[0] = 1;
	EXPECT_EQ(0, shmipc_dt((void *)s.p));
}

static int child_attaches_and_exits(void *arg)
{
	struct shared *s = arg;

	CHILD_CHECK(shmipc_at(s->id, NULL, 0) != (void *)-1);
	CHILD_CHECK(nattch_of(s->id) == 1);
	return 0;
}

TEST_F(attach, exit_drops_the_attachment)
{
	struct shared s = { .id = new_seg(self, 1) };

	ASSERT_LE(0, s.id);
	EXPECT_EQ(0, run_child(child_attaches_and_exits, &s));
	EXPECT_EQ(0L, nattch_of(s.id));
}

TEST_F(attach, exec_drops_the_attachment)
{
	char env[64];
	void *p;
	int id = new_seg(self, 1);

	ASSERT_LE(0, id);
	p = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, p);
	/* The child inherits it (2), its new program has it no more (1). */
	snprintf(env, sizeof(env), NATTCH_CHECK_ENV "=%d:1", id);
	EXPECT_EQ(0, wait_exit(spawn_self(env)));
	EXPECT_EQ(1L, nattch_of(id));
	EXPECT_EQ(0, shmipc_dt(p));
}

static int write_first_byte(void *arg)
{
	*(volatile char *)arg = 1;
	return 0;
}

TEST_F(attach, write_to_read_only_attachment_is_sigsegv)
{
	char *ro, *rw;
	int id = new_seg(self, 1);

	ASSERT_LE(0, id);
	rw = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, rw);
	rw[0] = 'x';
	ro = shmipc_at(id, NULL, SHM_RDONLY);
	ASSERT_NE((void *)-1, ro);
	/* It reads what the writable attachment wrote... */
	EXPECT_EQ('x', ro[0]);
	/* ...and writing through it kills the writer. */
	EXPECT_EQ(128 + SIGSEGV, run_child(write_first_byte, ro));
	EXPECT_EQ('x', rw[0]);
	EXPECT_EQ(0, shmipc_dt(ro));
	EXPECT_EQ(0, shmipc_dt(rw));
}

TEST_F(attach, read_only_attachment_cannot_be_made_writable)
{
	char *ro;
	int id = new_seg(self, 1);

	ASSERT_LE(0, id);
	ro = shmipc_at(id, NULL, SHM_RDONLY);
	ASSERT_NE((void *)-1, ro);
	EXPECT_ERRNO(EACCES, mprotect(ro, self->page, PROT_READ | PROT_WRITE));
	EXPECT_EQ(128 + SIGSEGV, run_child(write_first_byte, ro));
	EXPECT_EQ(0, shmipc_dt(ro));
}

TEST_F(attach, read_only_mmap_cannot_be_made_writable)
{
	char *ro;
	int id = new_seg(self, 1);

	ASSERT_LE(0, id);
	ro = mmap_segment(self->fd, id, self->page, PROT_READ);
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_ERRNO(EACCES, mprotect(ro, self->page, PROT_READ | PROT_WRITE));
	EXPECT_EQ(128 + SIGSEGV, run_child(write_first_byte, ro));
	EXPECT_EQ(0, munmap(ro, self->page));
}

TEST_F(attach, exec_flag_maps_executable)
{
	char perms[5];
	char *p, *x;
	int id = new_seg(self, 1);

	ASSERT_LE(0, id);
	p = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, p);
	ASSERT_EQ(0, maps_perms(p, perms));
	EXPECT_STREQ("rw-s", perms);

	x = shmipc_at(id, NULL, SHM_EXEC);
	if (x == (void *)-1 && errno == EPERM)
		SKIP(return, "executable mappings of %s refused: noexec /dev?",
		     SHMIPC_DEVICE);
	ASSERT_NE((void *)-1, x);
	ASSERT_EQ(0, maps_perms(x, perms));
	EXPECT_STREQ("rwxs", perms);
	EXPECT_EQ(0, shmipc_dt(x));
	EXPECT_EQ(0, shmipc_dt(p));
}

TEST_F(attach, fixed_address_is_used)
{
	char *where = free_aligned(self->page);
	int id = new_seg(self, 1);

	ASSERT_LE(0, id);
	ASSERT_NE(NULL, where);
	EXPECT_EQ(where, shmipc_at(id, where, 0));
	EXPECT_EQ(0, shmipc_dt(where));
}

TEST_F(attach, rnd_rounds_the_address_down)
{
	char *where = free_aligned(2 * SHMLBA);
	int id = new_seg(self, 1);

	ASSERT_LE(0, id);
	ASSERT_NE(NULL, where);
	EXPECT_EQ(where + SHMLBA, shmipc_at(id, where + SHMLBA + 123, SHM_RND));
	EXPECT_EQ(0, shmipc_dt(where + SHMLBA));
}

TEST_F(attach, unaligned_address_without_rnd_is_einval)
{
	char *where = free_aligned(2 * SHMLBA);
	int id = new_seg(self, 1);

	ASSERT_LE(0, id);
	ASSERT_NE(NULL, where);
	EXPECT_ERRNO(EINVAL, shmipc_at(id, where + 123, 0));
	EXPECT_ERRNO(EINVAL, shmipc_at(id, where + SHMLBA / 2, 0));
	EXPECT_EQ(0L, nattch_of(id));
}

TEST_F(attach, address_over_a_mapping_is_einval)
{
	char *where = free_aligned(2 * self->page);
	char *anon;
	int id = new_seg(self, 2);

	ASSERT_LE(0, id);
	ASSERT_NE(NULL, where);
	/* Over all of the mapping, or over just its second page. */
	anon = mmap(where + self->page, self->page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(where + self->page, anon);
	anon[0] = 'a';
	EXPECT_ERRNO(EINVAL, shmipc_at(id, where, 0));
	EXPECT_ERRNO(EINVAL, shmipc_at(id, where + self->page, 0));
	EXPECT_EQ('a', anon[0]);
	EXPECT_EQ(0L, nattch_of(id));
	munmap(anon, self->page);
}

TEST_F(attach, address_over_an_attachment_is_einval)
{
	char *where = free_aligned(self->page);
	int a = new_seg(self, 1);
	int b = new_seg(self, 1);

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_NE(NULL, where);
	ASSERT_EQ(where, shmipc_at(a, where, 0));
	EXPECT_ERRNO(EINVAL, shmipc_at(b, where, 0));
	EXPECT_EQ(0L, nattch_of(b));
	EXPECT_EQ(1L, nattch_of(a));
	EXPECT_EQ(0, shmipc_dt(where));
}

TEST_F(attach, remap_replaces_what_is_mapped)
{
	char *where, *anon, *other;
	int id = new_seg(self, 2);

	ASSERT_LE(0, id);
	other = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, other);
	other[self->page] = 's';
	/* Chosen after the mmap above, which might have taken the same hole. */
	where = free_aligned(2 * self->page);
	ASSERT_NE(NULL, where);
	anon = mmap(where + self->page, self->page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(where + self->page, anon);
	anon[0] = 'a';

	ASSERT_EQ(where, shmipc_at(id, where, SHM_REMAP));
	/* The anonymous page is gone: the segment shows through. */
	EXPECT_EQ('s', where[self->page]);
	EXPECT_EQ(2L, nattch_of(id));
	EXPECT_EQ(0, shmipc_dt(where));
	EXPECT_EQ(0, shmipc_dt(other));
}

TEST_F(attach, remap_without_address_is_einval)
{
	int id = new_seg(self, 1);

	ASSERT_LE(0, id);
	EXPECT_ERRNO(EINVAL, shmipc_at(id, NULL, SHM_REMAP));
	EXPECT_EQ(0L, nattch_of(id));
}

TEST_F(attach, bad_id_is_einval)
{
	int gone = new_seg(self, 1);

	ASSERT_LE(0, gone);
	ASSERT_EQ(0, shmipc_ctl(gone, IPC_RMID, NULL));
	EXPECT_ERRNO(EINVAL, shmipc_at(-1, NULL, 0));
	EXPECT_ERRNO(EINVAL, shmipc_at(INT_MAX, NULL, 0));
	EXPECT_ERRNO(EINVAL, shmipc_at(gone, NULL, 0));
}

TEST_F(attach, each_attachment_counts)
{
	char *a, *b;
	int id = new_seg(self, 1);

	ASSERT_LE(0, id);
	a = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, a);
	b = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, b);
	EXPECT_NE(a, b);
	EXPECT_EQ(2L, nattch_of(id));
	a[0] = 'q';
	EXPECT_EQ('q', b[0]);
	EXPECT_EQ(0, shmipc_dt(a));
	EXPECT_EQ(1L, nattch_of(id));
	EXPECT_EQ(0, shmipc_dt(b));
	EXPECT_EQ(0L, nattch_of(id));
}

TEST_F(attach, mmap_of_the_device_is_an_attachment)
{
	char *m, *a;
	int id = new_seg(self, 2);

	ASSERT_LE(0, id);
	m = mmap_segment(self->fd, id, 2 * self->page, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(1L, nattch_of(id));
	a = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, a);
	m[self->page] = 'm';
	EXPECT_EQ('m', a[self->page]);
	EXPECT_EQ(0, munmap(m, 2 * self->page));
	EXPECT_EQ(1L, nattch_of(id));
	EXPECT_EQ(0, shmipc_dt(a));
}

TEST_F(attach, partial_munmap_splits_and_nattch_follows)
{
	/* As SysV: nattch counts mappings, and a hole makes two of one. */
	char *p;
	int id = new_seg(self, 4);

	ASSERT_LE(0, id);
	p = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, p);
	EXPECT_EQ(1L, nattch_of(id));
	ASSERT_EQ(0, munmap(p + self->page, self->page));	/* [0] [2 3] */
	EXPECT_EQ(2L, nattch_of(id));
	ASSERT_EQ(0, munmap(p + 3 * self->page, self->page));	/* [0] [2] */
	EXPECT_EQ(2L, nattch_of(id));
	p[2 * self->page] = 'k';
	ASSERT_EQ(0, munmap(p, self->page));			/* [2] */
	EXPECT_EQ(1L, nattch_of(id));
	ASSERT_EQ(0, munmap(p + 2 * self->page, self->page));
	EXPECT_EQ(0L, nattch_of(id));

	/* The segment lives on, contents and all. */
	p = shmipc_at(id, NULL, SHM_RDONLY);
	ASSERT_NE((void *)-1, p);
	EXPECT_EQ('k', p[2 * self->page]);
	EXPECT_EQ(0, shmipc_dt(p));
}

/*
 * SHM_NORESERVE lets a segment be larger than an address space; attaching
 * it is ENOMEM, as for the kernel's own segments (checked first, so the
 * test shows the rule it holds shmipc to). The largest size a shmem file
 * takes, 2^63 - 1 bytes, is 2^63 bytes of pages: one past what a signed
 * 64-bit length holds.
 */
TEST_F(attach, segment_larger_than_the_address_space_is_enomem)
{
	const size_t huge = (size_t)LLONG_MAX;
	int id;

	id = shmget(IPC_PRIVATE, huge, IPC_CREAT | SHM_NORESERVE | 0600);
	if (id < 0)
		SKIP(return, "the kernel's shmget of 2^63 - 1 bytes: %s",
		     strerror(errno));
	EXPECT_ERRNO(ENOMEM, shmat(id, NULL, 0));
	shmctl(id, IPC_RMID, NULL);

	id = shmipc_get(IPC_PRIVATE, huge, IPC_CREAT | SHM_NORESERVE | 0600);
	ASSERT_LE(0, id) TH_LOG("shmipc_get: %s", strerror(errno));
	EXPECT_ERRNO(ENOMEM, shmipc_at(id, NULL, 0));
	EXPECT_ERRNO(ENOMEM, raw_at(self->fd, id, NULL, 0, NULL));
	EXPECT_EQ(0L, nattch_of(id));
	EXPECT_EQ(0, shmipc_ctl(id, IPC_RMID, NULL));
}

TEST_F(attach, mremap_move_keeps_one_attachment)
{
	char *p, *to, *moved;
	int id = new_seg(self, 2);

	ASSERT_LE(0, id);
	p = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, p);
	p[self->page] = 'v';
	to = free_aligned(2 * self->page);
	ASSERT_NE(NULL, to);
	moved = mremap(p, 2 * self->page, 2 * self->page,
		       MREMAP_MAYMOVE | MREMAP_FIXED, to);
	ASSERT_EQ(to, moved);
	EXPECT_EQ(1L, nattch_of(id));
	EXPECT_EQ('v', moved[self->page]);
	/* Still an attachment, detachable where it now is. */
	EXPECT_EQ(0, shmipc_dt(moved));
	EXPECT_EQ(0L, nattch_of(id));
}

TEST_F(attach, contents_outlive_every_attachment)
{
	char *p;
	int id = new_seg(self, 1);

	ASSERT_LE(0, id);
	p = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, p);
	snprintf(p, self->page, "still here");
	ASSERT_EQ(0, shmipc_dt(p));
	EXPECT_EQ(0L, nattch_of(id));
	p = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, p);
	EXPECT_STREQ("still here", p);
	EXPECT_EQ(0, shmipc_dt(p));
}

TEST_F(attach, madvise_dontneed_keeps_the_contents)
{
	/* Shared memory: dropping the page tables loses nothing. */
	char *p;
	int id = new_seg(self, 4);

	ASSERT_LE(0, id);
	p = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, p);
	memset(p, 'd', 4 * self->page);
	ASSERT_EQ(0, madvise(p, 4 * self->page, MADV_DONTNEED));
	EXPECT_EQ('d', p[0]);
	EXPECT_EQ('d', p[4 * self->page - 1]);
	EXPECT_EQ(0, shmipc_dt(p));
}

TEST_HARNESS_MAIN

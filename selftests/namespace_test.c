// SPDX-License-Identifier: GPL-2.0
/*
 * Segments belong to the IPC namespace of the caller, as SysV segments do:
 * keys and ids of one namespace mean nothing in another, whatever
 * namespace the device was opened in, and a namespace's segments (and
 * their memory) go when the namespace does, not before.
 */
#include <sched.h>

#include "shmipc_test.h"
#include "kselftest_harness.h"

#define BIG	(16UL << 20)	/* bytes, to see in Shmem: */
#define SLACK	(4UL << 10)	/* kB of it that other activity may hide */

FIXTURE(ns) {
	int fd;
	size_t page;
	struct seg_list segs;
};

FIXTURE_SETUP(ns)
{
	self->fd = -1;
	self->page = page_size();
	OPEN_DEVICE_OR_SKIP(self->fd);
	if (unshare_probe() < 0)
		SKIP(return, "unshare(CLONE_NEWIPC): %s", strerror(errno));
}

FIXTURE_TEARDOWN(ns)
{
	seg_cleanup(self->fd, &self->segs);
	if (self->fd >= 0)
		close(self->fd);
}

struct ns_args {
	int fd;			/* opened in the parent's namespace */
	key_t key;
	int parent_id;
	size_t size;		/* of the segment the child makes */
	int ready[2];		/* child -> parent */
	int release[2];		/* parent -> child */
	bool detach;		/* detach before exiting */
};

static int look_from_new_namespace(void *arg)
{
	const struct ns_args *a = arg;
	struct shmipc_ds ds;
	char *p;
	int id;

	CHILD_CHECK(unshare(CLONE_NEWIPC) == 0);
	/* The parent's key and id are unknown here... */
	CHILD_CHECK_ERR(shmipc_get(a->key, 0, 0), ENOENT);
	CHILD_CHECK_ERR(shmipc_ctl(a->parent_id, IPC_STAT, &(struct shmid_ds){ 0 }),
			EINVAL);
	CHILD_CHECK(shmipc_at(a->parent_id, NULL, 0) == (void *)-1);
	CHILD_CHECK(errno == EINVAL);
	/* ...through a descriptor opened in the parent's namespace too. */
	CHILD_CHECK_ERR(raw_get(a->fd, a->key, 0, 0), ENOENT);
	CHILD_CHECK_ERR(raw_stat(a->fd, a->parent_id, &ds), EINVAL);
	CHILD_CHECK(mmap_segment(a->fd, a->parent_id, a->size, PROT_READ) ==
		    MAP_FAILED);
	CHILD_CHECK(errno == EINVAL);

	/* The same key makes a segment of this namespace's own. */
	id = shmipc_get(a->key, a->size, IPC_CREAT | IPC_EXCL | 0600);
	CHILD_CHECK(id >= 0);
	p = shmipc_at(id, NULL, 0);
	CHILD_CHECK(p != (void *)-1);
	CHILD_CHECK(p[0] == 0);
	p[0] = 'c';
	return 0;
}

TEST_F(ns, parent_segments_are_invisible_in_a_new_namespace)
{
	struct ns_args a = {
		.fd = self->fd, .key = test_key(0), .size = self->page,
	};
	char *p;

	a.parent_id = shmipc_get(a.key, self->page, IPC_CREAT | IPC_EXCL | 0600);
	seg_track(&self->segs, a.parent_id);
	ASSERT_LE(0, a.parent_id);
	p = shmipc_at(a.parent_id, NULL, 0);
	ASSERT_NE((void *)-1, p);
	p[0] = 'p';

	EXPECT_EQ(0, run_child(look_from_new_namespace, &a));
	/* Ours is untouched. */
	EXPECT_EQ(a.parent_id, shmipc_get(a.key, 0, 0));
	EXPECT_EQ('p', p[0]);
	EXPECT_EQ(1L, nattch_of(a.parent_id));
	EXPECT_EQ(0, shmipc_dt(p));
}

static int make_in_new_namespace(void *arg)
{
	struct ns_args *a = arg;
	char c, *p;
	int id;

	close(a->ready[0]);
	close(a->release[1]);
	CHILD_CHECK(unshare(CLONE_NEWIPC) == 0);
	id = shmipc_get(a->key, a->size, IPC_CREAT | IPC_EXCL | 0600);
	CHILD_CHECK(id >= 0);
	p = shmipc_at(id, NULL, 0);
	CHILD_CHECK(p != (void *)-1);
	touch_pages(p, a->size);
	if (a->detach)
		CHILD_CHECK(shmipc_dt(p) == 0);
	CHILD_CHECK(write(a->ready[1], "r", 1) == 1);
	CHILD_CHECK(read(a->release[0], &c, 1) == 1);
	/* No IPC_RMID: only the namespace's end can free it. */
	return 0;
}

/* Starts make_in_new_namespace() and waits until it has made its segment. */
static pid_t start_maker(struct ns_args *a)
{
	pid_t pid;
	char c;

	if (pipe(a->ready) || pipe(a->release))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(make_in_new_namespace(a));
	close(a->ready[1]);
	close(a->release[0]);
	if (pid > 0 && read(a->ready[0], &c, 1) != 1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

static int finish_maker(struct ns_args *a, pid_t pid)
{
	int status;

	if (write(a->release[1], "g", 1) != 1)
		return -1;
	close(a->release[1]);
	close(a->ready[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST_F(ns, child_segments_are_invisible_in_the_parent)
{
	struct ns_args a = { .key = test_key(1), .size = self->page };
	pid_t pid;

	pid = start_maker(&a);
	ASSERT_LT(0, pid);
	EXPECT_ERRNO(ENOENT, shmipc_get(a.key, 0, 0));
	EXPECT_ERRNO(ENOENT, raw_get(self->fd, a.key, 0, 0));
	EXPECT_EQ(0, finish_maker(&a, pid));
	EXPECT_ERRNO(ENOENT, shmipc_get(a.key, 0, 0));
}

/*
 * A child makes and touches BIG bytes in a namespace of its own and exits,
 * attached or not: the namespace dies with it, and Shmem must fall back.
 */
static void check_freed_with_namespace(struct __test_metadata *_metadata,
				       FIXTURE_DATA(ns) *self, bool detach)
{
	struct ns_args a = {
		.key = test_key(2), .size = BIG, .detach = detach,
	};
	long base, full, after;
	pid_t pid;

	base = shmem_kb();
	ASSERT_LE(0, base) TH_LOG("no Shmem: in /proc/meminfo");
	pid = start_maker(&a);
	ASSERT_LT(0, pid);
	full = shmem_kb();
	ASSERT_EQ(0, finish_maker(&a, pid));
	/* Sanity: the measure sees the segment. */
	ASSERT_LE(base + (long)(BIG >> 10) - (long)SLACK, full)
		TH_LOG("Shmem %ld kB before, %ld kB with the segment", base, full);
	after = wait_shmem_at_most(full - (long)(BIG >> 10) + (long)SLACK, 10);
	EXPECT_GE(full - (long)(BIG >> 10) + (long)SLACK, after)
		TH_LOG("Shmem %ld kB before, %ld kB with the segment, %ld kB 10 s after the namespace ended",
		       base, full, after);
}

TEST_F_TIMEOUT(ns, namespace_end_frees_detached_segments, 60)
{
	check_freed_with_namespace(_metadata, self, true);
}

TEST_F_TIMEOUT(ns, namespace_end_frees_segments_attached_at_exit, 60)
{
	check_freed_with_namespace(_metadata, self, false);
}

struct enter_args {
	int nsfd;
	key_t key;
};

static int enter_and_find(void *arg)
{
	const struct enter_args *a = arg;
	char *p;
	int id;

	CHILD_CHECK(setns(a->nsfd, CLONE_NEWIPC) == 0);
	id = shmipc_get(a->key, 0, 0);
	CHILD_CHECK(id >= 0);
	p = shmipc_at(id, NULL, SHM_RDONLY);
	CHILD_CHECK(p != (void *)-1);
	/* make_in_new_namespace() wrote 1 to its first page. */
	CHILD_CHECK(p[0] == 1);
	return 0;
}

TEST_F_TIMEOUT(ns, namespace_held_open_keeps_its_segments, 60)
{
	/*
	 * No task is left in the namespace, but an nsfs file holds it: its
	 * segments must stay until that file is closed.
	 */
	struct ns_args a = { .key = test_key(3), .size = BIG, .detach = true };
	struct enter_args e = { .key = a.key };
	long full, after;
	char path[64];
	pid_t pid;

	pid = start_maker(&a);
	ASSERT_LT(0, pid);
	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", pid);
	e.nsfd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, e.nsfd) TH_LOG("%s: %s", path, strerror(errno));
	full = shmem_kb();
	ASSERT_EQ(0, finish_maker(&a, pid));

	/* Longer than the module takes to notice a namespace has ended. */
	sleep(3);
	EXPECT_EQ(0, run_child(enter_and_find, &e));

	close(e.nsfd);
	after = wait_shmem_at_most(full - (long)(BIG >> 10) + (long)SLACK, 10);
	EXPECT_GE(full - (long)(BIG >> 10) + (long)SLACK, after)
		TH_LOG("Shmem %ld kB with the segment, %ld kB 10 s after the last holder closed",
		       full, after);
}

TEST_HARNESS_MAIN

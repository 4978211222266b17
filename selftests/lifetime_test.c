// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetimes: a segment made with one goes by itself, as an IPC_RMID
 * would remove it, and only while nothing is attached. creator is tried
 * with every way a process ends (exit, a signal, SIGKILL, the OOM killer,
 * exec, and the exit of its threads but not of all of them); last-detach
 * and ttl with the ways an attachment comes and goes.
 */
#include <pthread.h>

#include "shmipc_test.h"
#include "kselftest_harness.h"

DEFINE_SLEEPER();

/* How long an ended lifetime may take to show (an exec: the scan's 100 ms). */
#define GONE_WITHIN_MS	3000


/* Is @id gone (IPC_STAT: EINVAL)? */
static bool seg_gone(int fd, int id)
{
	struct shmipc_ds ds;

	return raw_stat(fd, id, &ds) < 0 && errno == EINVAL;
}

/* Polls until @id is gone: the milliseconds it took, or -1 past @ms. */
static long wait_gone(int fd, int id, long ms)
{
	long start = mono_ms();

	while (!seg_gone(fd, id)) {
		if (mono_ms() - start > ms)
			return -1;
		usleep(5000);
	}
	return mono_ms() - start;
}

FIXTURE(lifetime) {
	int fd;
	size_t page;
	struct seg_list segs;
};

FIXTURE_SETUP(lifetime)
{
	struct shmipc_version v = { 0 };

	self->fd = -1;
	self->page = page_size();
	OPEN_DEVICE_OR_SKIP(self->fd);
	ASSERT_EQ(0, ioctl(self->fd, SHMIPC_IOC_VERSION, &v));
	ASSERT_NE(0ULL, v.features & SHMIPC_FEATURE_LIFETIME);
}

FIXTURE_TEARDOWN(lifetime)
{
	seg_cleanup(self->fd, &self->segs);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(lifetime, bad_lifetimes_are_refused)
{
	struct shmipc_get arg = { .key = IPC_PRIVATE, .flags = 0600,
				  .size = self->page, .reserved = { 1 } };

	EXPECT_ERRNO(EINVAL, raw_get_lifetime(self->fd, IPC_PRIVATE, self->page, 0600,
				      SHMIPC_LIFE_MAX + 1, 0));
	EXPECT_ERRNO(EINVAL, raw_get_lifetime(self->fd, IPC_PRIVATE, self->page, 0600,
				      ~0U, 0));
	/* A ttl belongs to the ttl lifetime alone, and is 1 s to a year. */
	EXPECT_ERRNO(EINVAL, raw_get_lifetime(self->fd, IPC_PRIVATE, self->page, 0600,
				      SHMIPC_LIFE_PERSIST, 5));
	EXPECT_ERRNO(EINVAL, raw_get_lifetime(self->fd, IPC_PRIVATE, self->page, 0600,
				      SHMIPC_LIFE_CREATOR, 5));
	EXPECT_ERRNO(EINVAL, raw_get_lifetime(self->fd, IPC_PRIVATE, self->page, 0600,
				      SHMIPC_LIFE_TTL, 0));
	EXPECT_ERRNO(EINVAL, raw_get_lifetime(self->fd, IPC_PRIVATE, self->page, 0600,
				      SHMIPC_LIFE_TTL, SHMIPC_TTL_MAX + 1));
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, SHMIPC_IOC_GET, &arg));
	/* Checked on a lookup too, as the flags are. */
	EXPECT_ERRNO(EINVAL, raw_get_lifetime(self->fd, test_key(0), 0, 0,
				      SHMIPC_LIFE_TTL, 0));
	/* The largest ttl is taken. */
	EXPECT_LE(0, seg_track(&self->segs,
			       raw_get_lifetime(self->fd, IPC_PRIVATE, self->page, 0600,
					SHMIPC_LIFE_TTL, SHMIPC_TTL_MAX)));
}

TEST_F(lifetime, stat_and_listing_show_the_lifetime)
{
	static const char *const names[] = {
		"persist", "creator", "last-detach", "ttl",
	};
	unsigned int life;
	struct shmipc_ds ds;
	char line[256], name[32];
	int id[4], key, lid;
	unsigned int ttl;
	long long exp;
	FILE *f;

	for (life = 0; life <= SHMIPC_LIFE_MAX; life++) {
		id[life] = seg_track(&self->segs,
				     raw_get_lifetime(self->fd, test_key(life),
					      self->page, IPC_CREAT | 0600,
					      life, life == SHMIPC_LIFE_TTL ?
					      100 : 0));
		ASSERT_LE(0, id[life]);
		ASSERT_EQ(0, raw_stat(self->fd, id[life], &ds));
		EXPECT_EQ(life, ds.lifetime);
		EXPECT_EQ(life == SHMIPC_LIFE_TTL ? 100U : 0U, ds.ttl);
		if (life == SHMIPC_LIFE_TTL) {
			EXPECT_LT(95000, ds.expires_ms);
			EXPECT_GE(100000, ds.expires_ms);
		} else {
			EXPECT_EQ(-1, ds.expires_ms);
		}
		EXPECT_EQ(0ULL, ds.reserved[0] | ds.reserved[1]);
	}

	/* /proc/shmipc/lifetime: key, id, lifetime, ttl, expires_ms. */
	f = fopen("/proc/shmipc/lifetime", "re");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(line, sizeof(line), f));
	EXPECT_EQ(0, strncmp(line, "       key      shmid lifetime", 30));
	life = 0;
	while (fgets(line, sizeof(line), f)) {
		ASSERT_EQ(5, sscanf(line, "%d %d %31s %u %lld", &key, &lid,
				    name, &ttl, &exp)) TH_LOG("%s", line);
		for (unsigned int i = 0; i < ARRAY_SIZE(id); i++) {
			if (lid != id[i])
				continue;
			EXPECT_EQ(test_key(i), key);
			EXPECT_STREQ(names[i], name);
			EXPECT_EQ(i == SHMIPC_LIFE_TTL ? 100U : 0U, ttl);
			if (i != SHMIPC_LIFE_TTL)
				EXPECT_EQ(-1, exp);
			life++;
		}
	}
	fclose(f);
	EXPECT_EQ(4U, life);

	/* The library's view. */
	for (unsigned int i = 0; i < ARRAY_SIZE(id); i++) {
		struct shmipc_lifetime lt;

		ASSERT_EQ(0, shmipc_stat_lifetime(id[i], &lt));
		EXPECT_EQ(i, lt.policy);
		if (i == SHMIPC_LIFE_TTL)
			EXPECT_LT(0, lt.expires_ms);
	}
}

TEST_F(lifetime, an_existing_key_keeps_its_own_lifetime)
{
	struct shmipc_ds ds;
	int id = seg_track(&self->segs, raw_get(self->fd, test_key(0),
						self->page, IPC_CREAT | 0600));

	ASSERT_LE(0, id);
	EXPECT_EQ(id, raw_get_lifetime(self->fd, test_key(0), 0, IPC_CREAT | 0600,
			       SHMIPC_LIFE_LAST_DETACH, 0));
	ASSERT_EQ(0, raw_stat(self->fd, id, &ds));
	EXPECT_EQ((unsigned int)SHMIPC_LIFE_PERSIST, ds.lifetime);
}

TEST_F(lifetime, ipc_rmid_ends_every_lifetime)
{
	for (unsigned int life = 0; life <= SHMIPC_LIFE_MAX; life++) {
		int id = raw_get_lifetime(self->fd, test_key(life), self->page,
				  IPC_CREAT | 0600, life,
				  life == SHMIPC_LIFE_TTL ? 60 : 0);

		ASSERT_LE(0, id);
		EXPECT_EQ(0, raw_rmid(self->fd, id));
		EXPECT_TRUE(seg_gone(self->fd, id));
		EXPECT_ERRNO(ENOENT, raw_get(self->fd, test_key(life), 0, 0));
	}
}

/* --- creator --- */

enum ending { EXIT, SIGNAL, KILL, OOM_KILL, EXEC, LEADER_FIRST };

struct creator {
	int fd;
	key_t key;
	unsigned int lifetime;
	enum ending how;
	int pipe[2];
};

static void *thread_lingers(void *arg)
{
	usleep(400 * 1000);
	return NULL;
}

/*
 * The creator: makes the segment, says its id on the pipe, and waits to
 * be killed, or for SIGUSR1 to end as asked.
 */
static int creator_child(void *arg)
{
	struct creator *c = arg;
	pthread_t thread;
	sigset_t usr1;
	int id, sig;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	CHILD_CHECK(sigprocmask(SIG_BLOCK, &usr1, NULL) == 0);
	id = raw_get_lifetime(c->fd, c->key, page_size(), IPC_CREAT | IPC_EXCL | 0600,
		      c->lifetime, 0);
	CHILD_CHECK(id >= 0);
	CHILD_CHECK(write(c->pipe[1], &id, sizeof(id)) == sizeof(id));
	CHILD_CHECK(sigwait(&usr1, &sig) == 0);
	switch (c->how) {
	case EXIT:
		return 0;
	case EXEC:
		setenv(SLEEPER_ENV, "1", 1);
		execl("/proc/self/exe", "lifetime_test", (char *)NULL);
		return 1;
	case LEADER_FIRST:
		/* The leader goes; the process lives on in its thread. */
		CHILD_CHECK(pthread_create(&thread, NULL, thread_lingers,
					   NULL) == 0);
		pthread_exit(NULL);
	default:
		return 1;
	}
}

/* Starts the creator; returns its pid and sets *@id. */
static pid_t start_creator(struct creator *c, int *id)
{
	pid_t pid;

	if (pipe(c->pipe) < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(creator_child(c));
	close(c->pipe[1]);
	if (read(c->pipe[0], id, sizeof(*id)) != sizeof(*id))
		*id = -1;
	close(c->pipe[0]);
	return pid;
}

static int oom_score_adj(pid_t pid, const char *val)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
	return write_file(path, val);
}

/* Ends the creator @pid as @how says, from here; 0 or -1. */
static int end_creator(pid_t pid, enum ending how)
{
	int fd, ret;

	switch (how) {
	case SIGNAL:
		return kill(pid, SIGTERM);
	case KILL:
		return kill(pid, SIGKILL);
	case EXIT:
	case EXEC:
	case LEADER_FIRST:
		return kill(pid, SIGUSR1);
	case OOM_KILL:
		/* The OOM killer's choice, as sysrq-f makes it run. */
		if (oom_score_adj(pid, "1000") < 0)
			return -1;
		fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		ret = write(fd, "f", 1) == 1 ? 0 : -1;
		close(fd);
		return ret;
	}
	return -1;
}

/* How the creator's end shows to its parent. */
static bool ended_as(int status, enum ending how)
{
	switch (how) {
	case SIGNAL:
		return WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM;
	case KILL:
	case OOM_KILL:
		return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	default:
		return WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
}

static void creator_ends(struct __test_metadata *_metadata,
			 FIXTURE_DATA(lifetime) *self, enum ending how)
{
	struct creator c = {
		.fd = self->fd, .key = test_key(0),
		.lifetime = SHMIPC_LIFE_CREATOR, .how = how,
	};
	struct shmipc_ds ds;
	int id, status;
	long took;
	pid_t pid;

	if (how == OOM_KILL && access("/proc/sysrq-trigger", W_OK))
		SKIP(return, "no /proc/sysrq-trigger to write to");
	pid = start_creator(&c, &id);
	ASSERT_LT(0, pid);
	ASSERT_LE(0, seg_track(&self->segs, id));
	ASSERT_EQ(0, raw_stat(self->fd, id, &ds));
	EXPECT_EQ(pid, ds.cpid);
	/* Alive, and an exec that has not happened yet: there it stays. */
	usleep(200 * 1000);
	EXPECT_FALSE(seg_gone(self->fd, id));
	ASSERT_EQ(0, end_creator(pid, how));
	if (how == EXEC) {
		/* Still running, another program now. */
		took = wait_gone(self->fd, id, GONE_WITHIN_MS);
		EXPECT_EQ(0, kill(pid, 0));
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
	} else {
		/* Not reaped first: a zombie has exited as much as it will. */
		if (how == LEADER_FIRST) {
			usleep(200 * 1000);
			EXPECT_FALSE(seg_gone(self->fd, id))
				TH_LOG("gone while a thread of its creator ran");
		}
		took = wait_gone(self->fd, id, GONE_WITHIN_MS);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(ended_as(status, how)) TH_LOG("status %#x", status);
	}
	EXPECT_LE(0, took) TH_LOG("still there %d ms after its creator went",
				  GONE_WITHIN_MS);
	TH_LOG("gone %ld ms after its creator ended", took);
	/* The key is free at once, as after IPC_RMID. */
	EXPECT_ERRNO(ENOENT, raw_get(self->fd, test_key(0), 0, 0));
}

TEST_F(lifetime, creator_exit)
{
	creator_ends(_metadata, self, EXIT);
}

TEST_F(lifetime, creator_killed_by_a_signal)
{
	creator_ends(_metadata, self, SIGNAL);
}

TEST_F(lifetime, creator_killed_by_sigkill)
{
	creator_ends(_metadata, self, KILL);
}

TEST_F(lifetime, creator_killed_by_the_oom_killer)
{
	creator_ends(_metadata, self, OOM_KILL);
}

TEST_F(lifetime, creator_execs_another_program)
{
	creator_ends(_metadata, self, EXEC);
}

TEST_F(lifetime, creator_is_the_whole_process_not_its_first_thread)
{
	creator_ends(_metadata, self, LEADER_FIRST);
}

TEST_F(lifetime, persist_outlives_its_creator)
{
	struct creator c = {
		.fd = self->fd, .key = test_key(0),
		.lifetime = SHMIPC_LIFE_PERSIST, .how = EXIT,
	};
	int id, status;
	pid_t pid = start_creator(&c, &id);

	ASSERT_LT(0, pid);
	ASSERT_LE(0, seg_track(&self->segs, id));
	ASSERT_EQ(0, end_creator(pid, EXIT));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	usleep(300 * 1000);
	EXPECT_FALSE(seg_gone(self->fd, id));
}

TEST_F(lifetime, creator_gone_waits_for_the_last_detach)
{
	struct creator c = {
		.fd = self->fd, .key = test_key(0),
		.lifetime = SHMIPC_LIFE_CREATOR, .how = KILL,
	};
	struct shmipc_ds ds;
	int id, status;
	char *p, *q;
	pid_t pid;

	pid = start_creator(&c, &id);
	ASSERT_LT(0, pid);
	ASSERT_LE(0, seg_track(&self->segs, id));
	p = raw_at(self->fd, id, NULL, 0, NULL);
	ASSERT_NE(MAP_FAILED, p);
	q = mmap_segment(self->fd, id, self->page, PROT_READ);
	ASSERT_NE(MAP_FAILED, q);
	p[0] = 'x';
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	usleep(300 * 1000);

	/* Attached: it stays, findable by its key, and says it waits. */
	ASSERT_EQ(0, raw_stat(self->fd, id, &ds));
	EXPECT_EQ(2ULL, ds.nattch);
	EXPECT_EQ(0, ds.expires_ms);
	EXPECT_EQ(0U, ds.perm.mode & SHMIPC_SHM_DEST);
	EXPECT_EQ(id, raw_get(self->fd, test_key(0), 0, 0));
	EXPECT_EQ('x', q[0]);

	/* The last detach, whichever way it comes, ends it there and then. */
	EXPECT_EQ(0, raw_dt(self->fd, p));
	EXPECT_FALSE(seg_gone(self->fd, id));
	EXPECT_EQ(0, munmap(q, self->page));
	EXPECT_TRUE(seg_gone(self->fd, id));
	EXPECT_ERRNO(ENOENT, raw_get(self->fd, test_key(0), 0, 0));
}

/* Many creators: each one's going takes its own segments and no other's. */
TEST_F(lifetime, each_creator_takes_only_its_own_segments)
{
	struct creator c[3];
	int id[3][2], status;
	pid_t pid[3];

	for (int i = 0; i < 3; i++) {
		c[i] = (struct creator){
			.fd = self->fd, .key = test_key(i),
			.lifetime = SHMIPC_LIFE_CREATOR, .how = KILL,
		};
		pid[i] = start_creator(&c[i], &id[i][0]);
		ASSERT_LT(0, pid[i]);
		ASSERT_LE(0, seg_track(&self->segs, id[i][0]));
	}
	/* And three of this process's own, which lives on. */
	for (int i = 0; i < 3; i++) {
		id[i][1] = seg_track(&self->segs,
				     raw_get_lifetime(self->fd, test_key(8 + i),
					      self->page, IPC_CREAT | 0600,
					      SHMIPC_LIFE_CREATOR, 0));
		ASSERT_LE(0, id[i][1]);
	}
	ASSERT_EQ(0, kill(pid[1], SIGKILL));
	ASSERT_EQ(pid[1], waitpid(pid[1], &status, 0));
	EXPECT_LE(0, wait_gone(self->fd, id[1][0], GONE_WITHIN_MS));
	usleep(200 * 1000);
	EXPECT_FALSE(seg_gone(self->fd, id[0][0]));
	EXPECT_FALSE(seg_gone(self->fd, id[2][0]));
	for (int i = 0; i < 3; i++)
		EXPECT_FALSE(seg_gone(self->fd, id[i][1]));
	for (int i = 0; i < 3; i += 2) {
		ASSERT_EQ(0, kill(pid[i], SIGKILL));
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		EXPECT_LE(0, wait_gone(self->fd, id[i][0], GONE_WITHIN_MS));
	}
}

/* The creator's namespace dies with it: both ends meet without harm. */
static int creator_in_own_namespace(void *arg)
{
	char *p;
	int fd, id;

	CHILD_CHECK(unshare(CLONE_NEWIPC) == 0);
	fd = open(SHMIPC_DEVICE, O_RDWR | O_CLOEXEC);
	CHILD_CHECK(fd >= 0);
	for (int i = 0; i < 4; i++) {
		id = raw_get_lifetime(fd, IPC_PRIVATE, 1 << 20, 0600,
			      i % 2 ? SHMIPC_LIFE_CREATOR : SHMIPC_LIFE_TTL,
			      i % 2 ? 0 : 1);
		CHILD_CHECK(id >= 0);
	}
	/* One stays attached, into the namespace's end. */
	p = raw_at(fd, id, NULL, 0, NULL);
	CHILD_CHECK(p != MAP_FAILED);
	memset(p, 1, 1 << 20);
	return 0;
}

TEST_F(lifetime, creator_and_its_namespace_end_together)
{
	long before = shmem_kb();

	if (unshare_probe() < 0)
		SKIP(return, "cannot make an IPC namespace: %s",
		     strerror(errno));
	for (int i = 0; i < 8; i++)
		ASSERT_EQ(0, run_child(creator_in_own_namespace, NULL));
	/* The reaper runs each second; everything is freed after it. */
	EXPECT_GE(before + 256, wait_shmem_at_most(before + 256, 5));
}

/* --- last-detach --- */

static int detach_in_child(void *arg)
{
	return shmipc_dt(arg) == 0 ? 0 : 1;
}

TEST_F(lifetime, last_detach_ends_at_the_first_fall_to_zero)
{
	int id = seg_track(&self->segs,
			   raw_get_lifetime(self->fd, test_key(0), 2 * self->page,
				    IPC_CREAT | 0600, SHMIPC_LIFE_LAST_DETACH,
				    0));
	char *p, *busy;

	ASSERT_LE(0, id);
	/* Never attached: it waits, however long. */
	usleep(200 * 1000);
	EXPECT_FALSE(seg_gone(self->fd, id));

	/* A failed attach pins it and lets go: that is no attach. */
	busy = mmap(NULL, self->page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, busy);
	EXPECT_ERRNO(EINVAL, shmipc_at(id, busy, 0));
	munmap(busy, self->page);
	EXPECT_FALSE(seg_gone(self->fd, id));

	/* A fork's copy and a split count; their ends do not end it. */
	p = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, p);
	EXPECT_EQ(0, run_child(detach_in_child, p));
	EXPECT_EQ(0, mprotect(p, self->page, PROT_READ));
	EXPECT_EQ(2L, nattch_of(id));
	EXPECT_EQ(0, munmap(p, self->page));
	EXPECT_FALSE(seg_gone(self->fd, id));
	EXPECT_EQ(id, raw_get(self->fd, test_key(0), 0, 0));
	/* The last piece goes: so does the segment, and its key. */
	EXPECT_EQ(0, munmap(p + self->page, self->page));
	EXPECT_TRUE(seg_gone(self->fd, id));
	EXPECT_ERRNO(ENOENT, raw_get(self->fd, test_key(0), 0, 0));
}

static int attach_and_exit(void *arg)
{
	int *id = arg;

	return shmipc_at(*id, NULL, 0) == (void *)-1;
}

TEST_F(lifetime, last_detach_by_mremap_munmap_and_exit)
{
	int id = raw_get_lifetime(self->fd, IPC_PRIVATE, self->page, 0600,
			  SHMIPC_LIFE_LAST_DETACH, 0);
	char *p, *moved, *dst;

	ASSERT_LE(0, seg_track(&self->segs, id));
	p = mmap_segment(self->fd, id, self->page, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	/* Moving an attachment is not detaching it. */
	dst = mmap(NULL, self->page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	ASSERT_NE(MAP_FAILED, dst);
	moved = mremap(p, self->page, self->page, MREMAP_MAYMOVE | MREMAP_FIXED,
		       dst);
	ASSERT_EQ(dst, moved);
	EXPECT_EQ(1L, nattch_of(id));
	ASSERT_EQ(0, munmap(moved, self->page));
	EXPECT_TRUE(seg_gone(self->fd, id));

	/* An attachment that ends with its process's exit. */
	id = raw_get_lifetime(self->fd, IPC_PRIVATE, self->page, 0600,
		      SHMIPC_LIFE_LAST_DETACH, 0);
	ASSERT_LE(0, seg_track(&self->segs, id));
	EXPECT_EQ(0, run_child(attach_and_exit, &id));
	EXPECT_TRUE(seg_gone(self->fd, id));
}

/* --- ttl --- */

TEST_F(lifetime, ttl_counts_from_creation_and_from_each_last_detach)
{
	int id = seg_track(&self->segs,
			   raw_get_lifetime(self->fd, test_key(0), self->page,
				    IPC_CREAT | 0600, SHMIPC_LIFE_TTL, 1));
	int idle = seg_track(&self->segs,
			     raw_get_lifetime(self->fd, test_key(1), self->page,
				      IPC_CREAT | 0600, SHMIPC_LIFE_TTL, 1));
	struct shmipc_ds ds;
	long start = mono_ms(), took;
	char *p;

	ASSERT_LE(0, id);
	ASSERT_LE(0, idle);
	p = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, p);
	ASSERT_EQ(0, raw_stat(self->fd, id, &ds));
	EXPECT_EQ(-1, ds.expires_ms);

	/* Never attached: it goes a second after its creation. */
	took = wait_gone(self->fd, idle, GONE_WITHIN_MS);
	EXPECT_LE(0, took);
	EXPECT_LE(950, mono_ms() - start);
	EXPECT_ERRNO(ENOENT, raw_get(self->fd, test_key(1), 0, 0));

	/* Attached past its ttl: it stays. */
	usleep(1200 * 1000);
	EXPECT_FALSE(seg_gone(self->fd, id));
	EXPECT_EQ(0, shmipc_dt(p));
	ASSERT_EQ(0, raw_stat(self->fd, id, &ds));
	EXPECT_LT(800, ds.expires_ms);
	EXPECT_GE(1000, ds.expires_ms);

	/* An attach within the ttl starts it again at the next detach. */
	usleep(600 * 1000);
	p = shmipc_at(id, NULL, SHM_RDONLY);
	ASSERT_NE((void *)-1, p);
	EXPECT_EQ(0, shmipc_dt(p));
	start = mono_ms();
	usleep(600 * 1000);
	EXPECT_FALSE(seg_gone(self->fd, id));
	took = wait_gone(self->fd, id, GONE_WITHIN_MS);
	EXPECT_LE(0, took);
	EXPECT_LE(950, mono_ms() - start);
	TH_LOG("gone %ld ms after its last detach (ttl 1 s)",
	       mono_ms() - start);
	EXPECT_ERRNO(ENOENT, raw_get(self->fd, test_key(0), 0, 0));
}

TEST_F(lifetime, an_ended_lifetime_frees_the_memory)
{
	long before = shmem_kb();
	int id = raw_get_lifetime(self->fd, IPC_PRIVATE, 4 << 20, 0600,
			  SHMIPC_LIFE_LAST_DETACH, 0);
	char *p;

	ASSERT_LE(0, seg_track(&self->segs, id));
	p = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, p);
	memset(p, 1, 4 << 20);
	EXPECT_LE(before + 4000, shmem_kb());
	EXPECT_EQ(0, shmipc_dt(p));
	EXPECT_GE(before + 64, wait_shmem_at_most(before + 64, 5));
}

/* --- the library --- */

TEST_F(lifetime, library_calls)
{
	struct shmipc_lifetime lt = { .policy = SHMIPC_LIFETIME_TTL, .ttl = 30 };
	struct shmipc_lifetime out;
	int id;

	id = seg_track(&self->segs,
		       shmipc_get_lifetime(IPC_PRIVATE, self->page, 0600, &lt));
	ASSERT_LE(0, id);
	ASSERT_EQ(0, shmipc_stat_lifetime(id, &out));
	EXPECT_EQ((unsigned int)SHMIPC_LIFETIME_TTL, out.policy);
	EXPECT_EQ(30U, out.ttl);
	EXPECT_LT(25000, out.expires_ms);
	id = seg_track(&self->segs,
		       shmipc_get_lifetime(IPC_PRIVATE, self->page, 0600, NULL));
	ASSERT_LE(0, id);
	ASSERT_EQ(0, shmipc_stat_lifetime(id, &out));
	EXPECT_EQ((unsigned int)SHMIPC_LIFETIME_PERSIST, out.policy);
	EXPECT_EQ(-1, out.expires_ms);
	lt.ttl = 0;
	EXPECT_ERRNO(EINVAL, shmipc_get_lifetime(IPC_PRIVATE, self->page,
						 0600, &lt));
	EXPECT_ERRNO(EFAULT, shmipc_get_lifetime(IPC_PRIVATE, self->page, 0600,
						 (void *)1));
	EXPECT_ERRNO(EINVAL, shmipc_stat_lifetime(-1, &out));
	EXPECT_ERRNO(EFAULT, shmipc_stat_lifetime(id, (void *)1));
}

TEST_HARNESS_MAIN

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's own SysV shm as the oracle: a test body runs twice, once on
 * SysV's calls and once on shmipc's, each in a fresh IPC namespace of its
 * own so that both tables start empty, and records what it sees; the test
 * then asks that both saw the same. Include after kselftest_harness.h.
 */
#ifndef SHMIPC_ORACLE_H
#define SHMIPC_ORACLE_H

#include <sys/resource.h>

/* One kind of shared memory: the kernel's SysV, or shmipc. */
struct api {
	const char *name;
	int (*get)(key_t key, size_t size, int shmflg);
	int (*ctl)(int shmid, int cmd, struct shmid_ds *buf);
	void *(*at)(int shmid, const void *shmaddr, int shmflg);
	int (*dt)(const void *shmaddr);
};

static const struct api apis[] = {
	{ "SysV", shmget, shmctl, shmat, shmdt },
	{ "shmipc", shmipc_get, shmipc_ctl, shmipc_at, shmipc_dt },
};

/* What a body saw, for the parent to compare: in shared memory. */
#define MAX_VALS	512

struct seen {
	long v[2][MAX_VALS];
	unsigned int n[2];
};

static struct seen *seen;

static inline void see(int which, long v)
{
	if (seen->n[which] < MAX_VALS)
		seen->v[which][seen->n[which]++] = v;
}

/* A shmctl() result: the value, or -errno. */
static inline long ctl_result(const struct api *a, int id, int cmd, void *buf)
{
	int r = a->ctl(id, cmd, buf);

	return r < 0 ? -errno : r;
}

static inline int write_sysctl(const char *name, unsigned long val)
{
	char path[64], buf[32];
	int fd, ret;

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", name);
	snprintf(buf, sizeof(buf), "%lu", val);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = write(fd, buf, strlen(buf)) < 0 ? -1 : 0;
	close(fd);
	return ret;
}

typedef int (*body_fn)(int which, const struct api *a, void *arg);

struct ns_run {
	body_fn body;
	void *arg;
};

/* Both runs, each in a fresh IPC namespace of its own. */
static inline int ns_child(void *arg)
{
	struct ns_run *run = arg;
	int which, status;
	pid_t pid;

	for (which = 0; which < 2; which++) {
		fflush(NULL);
		pid = fork();
		CHILD_CHECK(pid >= 0);
		if (pid == 0) {
			if (unshare(CLONE_NEWIPC))
				_exit(2);
			_exit(run->body(which, &apis[which], run->arg));
		}
		CHILD_CHECK(waitpid(pid, &status, 0) == pid);
		CHILD_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	return 0;
}

/* The state of @id: nattch, or -errno when it is gone. */
static inline long api_nattch(const struct api *a, int id)
{
	struct shmid_ds ds;

	if (a->ctl(id, IPC_STAT, &ds) < 0)
		return -errno;
	return (long)ds.shm_nattch;
}

/*
 * In a run: @fn as nobody, also in group @extra if not 0, with an
 * RLIMIT_MEMLOCK of @memlock bytes, in a child. Returns 0 if it went
 * through to the end.
 */
static inline int as_nobody(body_fn fn, int which, const struct api *a,
			    gid_t extra, rlim_t memlock)
{
	struct rlimit rl = { memlock, memlock };
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	CHILD_CHECK(pid >= 0);
	if (pid == 0) {
		if (setrlimit(RLIMIT_MEMLOCK, &rl) ||
		    become(OTHER_UID, OTHER_GID, extra))
			_exit(3);
		_exit(fn(which, a, NULL));
	}
	CHILD_CHECK(waitpid(pid, &status, 0) == pid);
	CHILD_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return 0;
}

/* Runs @body through SysV and shmipc; everything seen must be equal. */
#define RUN_BOTH(body, arg) do {					\
	struct ns_run run_ = { (body), (arg) };				\
	unsigned int i_;						\
	ASSERT_EQ(0, run_child(ns_child, &run_));			\
	ASSERT_EQ(seen->n[0], seen->n[1]);				\
	ASSERT_LT(0U, seen->n[0]);					\
	for (i_ = 0; i_ < seen->n[0]; i_++)				\
		EXPECT_EQ(seen->v[0][i_], seen->v[1][i_])		\
			TH_LOG("value %u: SysV %ld, shmipc %ld", i_,	\
			       seen->v[0][i_], seen->v[1][i_]);		\
} while (0)

/* Sets up seen; a fixture's setup calls it (skips without namespaces). */
#define ORACLE_SETUP() do {						\
	if (unshare_probe() < 0)					\
		SKIP(return, "unshare(CLONE_NEWIPC): %s", strerror(errno)); \
	seen = mmap(NULL, sizeof(*seen), PROT_READ | PROT_WRITE,	\
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);			\
	ASSERT_NE(MAP_FAILED, seen);					\
	memset(seen, 0, sizeof(*seen));					\
} while (0)

#endif /* SHMIPC_ORACLE_H */

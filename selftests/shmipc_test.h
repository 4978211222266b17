/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the shmipc selftests share: the device fixture, raw ioctl wrappers
 * that fail like the system calls they stand for (-1 and errno), keys no
 * other test uses, and child processes that report through their exit
 * status.
 *
 * Include it before kselftest_harness.h.
 */
#ifndef SHMIPC_TEST_H
#define SHMIPC_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Both headers are called shmipc.h (their guards differ): the ioctl ABI
 * through -I uapi, as the module and the library include it, and the
 * library's public header by its path.
 */
#include <shmipc.h>
#include "../userspace/include/shmipc.h"

/* An unprivileged user and groups for permission tests (nobody/nogroup). */
#define OTHER_UID	65534
#define OTHER_GID	65534
#define GROUP_GID	4242

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static inline size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static inline bool device_missing(int err)
{
	/* No node, or a node whose driver is gone. */
	return err == ENOENT || err == ENODEV || err == ENXIO;
}

/*
 * For FIXTURE_SETUP: open the device into @fd, or SKIP when the module is
 * not loaded. Any other failure to open is a failure.
 */
#define OPEN_DEVICE_OR_SKIP(fd) do {					\
	(fd) = open(SHMIPC_DEVICE, O_RDWR | O_CLOEXEC);			\
	if ((fd) < 0 && device_missing(errno))				\
		SKIP(return, "%s: %s (is the shmipc module loaded?)",	\
		     SHMIPC_DEVICE, strerror(errno));			\
	ASSERT_LE(0, (fd)) TH_LOG("open %s: %s", SHMIPC_DEVICE,	\
				  strerror(errno));			\
} while (0)

/*
 * A key no other test uses. Tests run one at a time, each in a process of
 * its own, so the pid tells them apart and @n tells one test's keys apart.
 * Children must get their keys from the test process, not call this.
 */
static inline key_t test_key(unsigned int n)
{
	return (key_t)(0x5e000000u | ((unsigned int)getpid() & 0xffffu) << 8 |
		       (n & 0xffu));
}

#define TEST_KEYS	16

/*
 * @call must fail: return -1 (or (void *)-1) with errno @err. errno is
 * read before the harness can print anything.
 */
#define __CHECK_ERRNO(err, call, kind) do {				\
	long r_;							\
	int e_;								\
	errno = 0;							\
	r_ = (long)(intptr_t)(call);					\
	e_ = errno;							\
	kind##_EQ(-1L, r_) TH_LOG("%s should fail with %s", #call,	\
				  strerror(err));			\
	kind##_EQ((err), e_) TH_LOG("%s: got %s, want %s", #call,	\
				    strerror(e_), strerror(err));	\
} while (0)
#define EXPECT_ERRNO(err, call)	__CHECK_ERRNO(err, call, EXPECT)
#define ASSERT_ERRNO(err, call)	__CHECK_ERRNO(err, call, ASSERT)

/* --- Raw ioctls, for what the library hides or fills in. --- */

/* shmget() through SHMIPC_IOC_GET, which returns the id. */
static inline int raw_get(int fd, key_t key, uint64_t size, unsigned int flags)
{
	struct shmipc_get arg = { .key = key, .flags = flags, .size = size };

	return ioctl(fd, SHMIPC_IOC_GET, &arg);
}

/* shmctl() through SHMIPC_IOC_CTL; @ds may be NULL for IPC_RMID. */
static inline int raw_ctl(int fd, int id, unsigned int cmd,
			  struct shmipc_ds *ds)
{
	struct shmipc_ctl arg = { .id = id, .cmd = cmd };

	if (ds)
		arg.u.ds = *ds;
	if (ioctl(fd, SHMIPC_IOC_CTL, &arg) < 0)
		return -1;
	if (ds)
		*ds = arg.u.ds;
	return 0;
}

/* shmget() with a lifetime (shmipc's own): SHMIPC_IOC_GET's new fields. */
static inline int raw_get_lifetime(int fd, key_t key, uint64_t size,
				   unsigned int flags, unsigned int lifetime,
				   unsigned int ttl)
{
	struct shmipc_get arg = {
		.key = key, .flags = flags, .size = size,
		.lifetime = lifetime, .ttl = ttl,
	};

	return ioctl(fd, SHMIPC_IOC_GET, &arg);
}

static inline int raw_stat(int fd, int id, struct shmipc_ds *ds)
{
	memset(ds, 0, sizeof(*ds));
	return raw_ctl(fd, id, SHMIPC_IPC_STAT, ds);
}

static inline int raw_rmid(int fd, int id)
{
	return raw_ctl(fd, id, SHMIPC_IPC_RMID, NULL);
}

/* shmat() through SHMIPC_IOC_AT: the address, or MAP_FAILED. */
static inline void *raw_at(int fd, int id, void *addr, unsigned int flags,
			   uint64_t *size)
{
	struct shmipc_at arg = {
		.id = id, .flags = flags, .addr = (uintptr_t)addr,
	};

	if (ioctl(fd, SHMIPC_IOC_AT, &arg) < 0)
		return MAP_FAILED;
	if (size)
		*size = arg.size;
	return (void *)(uintptr_t)arg.addr;
}

static inline int raw_dt(int fd, const void *addr)
{
	struct shmipc_dt arg = { .addr = (uintptr_t)addr };

	return ioctl(fd, SHMIPC_IOC_DT, &arg) < 0 ? -1 : 0;
}

/* Attach by a plain mmap of the device. */
static inline void *mmap_segment(int fd, int id, size_t len, int prot)
{
	return mmap(NULL, len, prot, MAP_SHARED, fd,
		    (off_t)SHMIPC_MMAP_OFFSET(id, page_size()));
}

/* Through the library: the number of attachments, or -1. */
static inline long nattch_of(int id)
{
	struct shmid_ds ds;

	if (shmipc_ctl(id, IPC_STAT, &ds) < 0)
		return -1;
	return (long)ds.shm_nattch;
}

/* --- Cleanup: segments a test made, removed whatever the outcome. --- */

struct seg_list {
	int ids[64];
	unsigned int n;
};

/* Remembers @id for seg_cleanup(); returns it, so calls can be wrapped. */
static inline int seg_track(struct seg_list *l, int id)
{
	if (id >= 0 && l->n < ARRAY_SIZE(l->ids))
		l->ids[l->n++] = id;
	return id;
}

/*
 * For FIXTURE_TEARDOWN, which runs in the test's process: removes the
 * tracked segments and whatever still sits on this test's keys. Errors
 * are expected (most are gone already) and ignored.
 */
static inline void seg_cleanup(int fd, struct seg_list *l)
{
	unsigned int i;
	int id;

	if (fd < 0)
		return;
	for (i = 0; i < l->n; i++)
		raw_rmid(fd, l->ids[i]);
	for (i = 0; i < TEST_KEYS; i++) {
		id = raw_get(fd, test_key(i), 0, 0);
		if (id >= 0)
			raw_rmid(fd, id);
	}
	l->n = 0;
}

/* Milliseconds of CLOCK_MONOTONIC, for how long something took. */
static inline long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- Children. --- */

/*
 * A test that has a child exec "another program" execs itself with
 * SHMIPC_TEST_SLEEPER set in its environment: before the harness starts,
 * it sleeps, and dies with its parent's kill or after 30 s.
 */
#define SLEEPER_ENV	"SHMIPC_TEST_SLEEPER"

#define DEFINE_SLEEPER()						\
__attribute__((constructor)) static void sleeper(void)			\
{									\
	if (getenv(SLEEPER_ENV)) {					\
		sleep(30);						\
		_exit(0);						\
	}								\
}

/*
 * In a child function: on failure say where and why, and return 1, which
 * becomes the child's exit status. Children do not use ASSERT_*: those
 * unwind into the harness of the process that forked them.
 */
#define CHILD_CHECK(cond) do {						\
	if (!(cond)) {							\
		int err_ = errno;					\
		fprintf(stderr, "# %s:%d: in child %d: failed: %s "	\
			"(errno %d: %s)\n", __FILE__, __LINE__,		\
			(int)getpid(), #cond, err_, strerror(err_));	\
		fflush(stderr);						\
		return 1;						\
	}								\
} while (0)

/* In a child: @call must return -1 with errno @err. */
#define CHILD_CHECK_ERR(call, err) do {					\
	long r_;							\
	int e_;								\
	errno = 0;							\
	r_ = (long)(intptr_t)(call);					\
	e_ = errno;							\
	if (r_ != -1 || e_ != (err)) {					\
		fprintf(stderr, "# %s:%d: in child %d: %s returned "	\
			"%ld (%s), want -1 (%s)\n", __FILE__, __LINE__,	\
			(int)getpid(), #call, r_,			\
			r_ == -1 ? strerror(e_) : "no error",		\
			strerror(err));					\
		fflush(stderr);						\
		return 1;						\
	}								\
} while (0)

typedef int (*child_fn)(void *arg);

/*
 * Runs @fn(@arg) in a child and waits for it. Returns its exit status,
 * 128 + the signal that killed it, or -1 when it could not be run.
 */
static inline int run_child(child_fn fn, void *arg)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/*
 * Drops root for good: no supplementary groups but @extra_gid (if not 0),
 * then the group, then the user. Returns 0 or -1.
 */
static inline int become(uid_t uid, gid_t gid, gid_t extra_gid)
{
	gid_t groups[1] = { extra_gid };

	if (setgroups(extra_gid ? 1 : 0, groups) < 0)
		return -1;
	if (setresgid(gid, gid, gid) < 0)
		return -1;
	return setresuid(uid, uid, uid);
}

/*
 * Can this process make IPC namespaces (root, CONFIG_IPC_NS)? Tries in a
 * child. Returns 0, or -1 with the errno of unshare().
 */
static inline int unshare_probe(void)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(unshare(CLONE_NEWIPC) < 0 ? errno : 0);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
		errno = ECHILD;
		return -1;
	}
	if (WEXITSTATUS(status)) {
		errno = WEXITSTATUS(status);
		return -1;
	}
	return 0;
}

/*
 * --- Module parameters (shmmax, shmall, shmmni): global, so a test that
 * changes one saves it first and restores it in its teardown. ---
 */

#define PARAM_DIR	"/sys/module/shmipc/parameters/"

/* Reads parameter @name as text (with its newline); 0 or -1. */
static inline int read_param(const char *name, char *buf, size_t len)
{
	char path[128];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	return ok ? 0 : -1;
}

/* Writes all of @val to @path (a /proc, /sys or debugfs setting); 0 or -1. */
static inline int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len = (ssize_t)strlen(val);
	bool ok;

	if (fd < 0)
		return -1;
	ok = write(fd, val, (size_t)len) == len;
	close(fd);
	return ok ? 0 : -1;
}

static inline int write_param(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	return write_file(path, val);
}

static inline int set_param(const char *name, unsigned long val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lu", val);
	return write_param(name, buf);
}

/* --- Memory. --- */

/* A line of /proc/meminfo ("Shmem", "HugePages_Free"): its number, or -1. */
static inline long meminfo(const char *name)
{
	FILE *f = fopen("/proc/meminfo", "re");
	size_t len = strlen(name);
	char line[128];
	long val = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':') {
			val = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return val;
}

/* Shared memory in use system-wide, in kB (Shmem: in /proc/meminfo). */
static inline long shmem_kb(void)
{
	return meminfo("Shmem");
}

/*
 * Polls for up to @secs seconds until Shmem is at most @kb. Freeing may
 * lag: the last reference to the pages can be dropped by a worker.
 * Returns the last value read.
 */
static inline long wait_shmem_at_most(long kb, int secs)
{
	long now = shmem_kb();
	int i;

	for (i = 0; i < secs * 20 && now > kb; i++) {
		usleep(50 * 1000);
		now = shmem_kb();
	}
	return now;
}

/* Writes every page of @p, so that each is allocated. */
static inline void touch_pages(char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += page_size())
		p[i] = 1;
}

/* --- Time and addresses. --- */

/*
 * Segment times are whole seconds of the real-time clock: to see one move,
 * start just after a tick.
 */
static inline void wait_next_second(void)
{
	time_t now = time(NULL);

	while (time(NULL) == now)
		usleep(10 * 1000);
}

/* An address where @len bytes are free right now (nothing maps them). */
static inline char *free_range(size_t len)
{
	void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, len);
	return p;
}

#endif /* SHMIPC_TEST_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * Segment events (SHMIPC_IOC_WATCH): a descriptor that read() gives
 * struct shmipc_event records from, for one key, one id or the whole IPC
 * namespace. Each record is checked field by field, in the order the
 * operations were done: CREATED at creation, ATTACHED and DETACHED per
 * VMA with nattch after them (a fork's copy and a split count), SET at
 * IPC_SET, REMOVED at IPC_RMID or a lifetime's end, DESTROYED when the
 * memory goes. Also the event mask, the opener's permission judged at
 * each event, the overflow record and its arithmetic, read()'s whole
 * records, poll and epoll, the watch_queue and max_watchers parameters,
 * IPC namespaces, and the library's shmipc_watch_*(),
 * shmipc_read_event() and shmipc_wait_key().
 *
 * Watchers are non-blocking unless a test waits on purpose, so that a
 * missing record is a failure (EAGAIN), not a hang.
 */
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/prctl.h>

#include "shmipc_test.h"
#include "kselftest_harness.h"

#define REC		sizeof(struct shmipc_event)
#define QUEUE_PARAM	"watch_queue"
#define MAX_PARAM	"max_watchers"

/* struct want: a field not to compare. */
#define ANY_PID		INT_MIN
#define ANY_COUNT	UINT64_MAX

/* Slack between the module's clock reads and this process's (ns). */
#define TIME_SLACK_NS	2000000LL
#define MAX_RECS	128

#define NB		(SHMIPC_WATCH_NONBLOCK | SHMIPC_WATCH_CLOEXEC)
#define EVBIT(type)	(1U << (type))

/* When the test began, for every record's time_ns. */
static int64_t test_start_ns;

static int64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static const char *ev_name(uint32_t type)
{
	static const char *const names[] = {
		"0?", "CREATED", "ATTACHED", "DETACHED", "SET", "REMOVED",
		"DESTROYED", "OVERFLOW",
	};

	return type < ARRAY_SIZE(names) ? names[type] : "unknown";
}

/* --- Watches. --- */

/* SHMIPC_IOC_WATCH: the new descriptor, or -1 with errno. */
static int raw_watch(int fd, uint32_t scope, key_t key, int id,
		     uint32_t events, uint32_t flags)
{
	struct shmipc_watch w = {
		.scope = scope, .key = key, .id = id, .events = events,
		.flags = flags,
	};

	return ioctl(fd, SHMIPC_IOC_WATCH, &w);
}

static int watch_ns(int fd)
{
	return raw_watch(fd, SHMIPC_WATCH_NS, 0, 0, 0, NB);
}

static int watch_key(int fd, key_t key)
{
	return raw_watch(fd, SHMIPC_WATCH_KEY, key, 0, 0, NB);
}

static int watch_id(int fd, int id)
{
	return raw_watch(fd, SHMIPC_WATCH_ID, 0, id, 0, NB);
}

/* IPC_SET of the nine mode bits, owner and group kept. 0 or -1. */
static int set_mode(int fd, int id, unsigned int mode)
{
	struct shmipc_ds ds;

	if (raw_stat(fd, id, &ds) < 0)
		return -1;
	ds.perm.mode = mode;
	return raw_ctl(fd, id, SHMIPC_IPC_SET, &ds);
}


/* --- Records. --- */

/* What the next record must be. A field left out of NEXT() must be 0. */
struct want {
	uint32_t type;
	uint32_t flags;
	int id;
	key_t key;
	pid_t pid;		/* or ANY_PID */
	uint64_t count;		/* or ANY_COUNT */
	int64_t after, before;	/* time_ns bounds, if after is not 0 */
};

static bool in_ids(int id, const int *ids, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/*
 * The next record of non-blocking @wfd into @e: 0, or -1 with errno
 * (EAGAIN: none). With @n_only, records of other ids than @only's are
 * skipped (an OVERFLOW record never is): a namespace watch may see other
 * segments than the test's.
 */
static int read_rec(int wfd, struct shmipc_event *e, const int *only,
		    unsigned int n_only)
{
	ssize_t got;

	for (;;) {
		memset(e, 0xa5, sizeof(*e));
		got = read(wfd, e, sizeof(*e));
		if (got < 0)
			return -1;
		if (got != (ssize_t)sizeof(*e)) {
			errno = EIO;
			return -1;
		}
		if (!n_only || e->type == SHMIPC_EV_OVERFLOW ||
		    in_ids(e->id, only, n_only))
			return 0;
	}
}

/* Is @e what @w says, and sane (zero pad and reserved, a time of now)? */
static bool rec_matches(const struct shmipc_event *e, const struct want *w)
{
	if (e->type != w->type || e->flags != w->flags || e->id != w->id ||
	    e->key != w->key || e->pad || e->reserved)
		return false;
	if (w->pid != ANY_PID && e->pid != w->pid)
		return false;
	if (w->count != ANY_COUNT && e->count != w->count)
		return false;
	if (e->time_ns < test_start_ns - TIME_SLACK_NS ||
	    e->time_ns > real_ns() + TIME_SLACK_NS)
		return false;
	if (w->after && (e->time_ns < w->after - TIME_SLACK_NS ||
			 e->time_ns > w->before + TIME_SLACK_NS))
		return false;
	return true;
}

static void log_rec(struct __test_metadata *_metadata, const char *what,
		    const struct shmipc_event *e)
{
	TH_LOG("  %s: %s (%u) flags %#x id %d key %#x pid %d pad %#x "
	       "count %llu time_ns %lld reserved %#llx", what,
	       ev_name(e->type), e->type, e->flags, e->id, (unsigned int)e->key,
	       e->pid, e->pad, (unsigned long long)e->count,
	       (long long)e->time_ns, (unsigned long long)e->reserved);
}

static void log_want(struct __test_metadata *_metadata, const struct want *w)
{
	char pid[16] = "any", count[24] = "any";

	if (w->pid != ANY_PID)
		snprintf(pid, sizeof(pid), "%d", w->pid);
	if (w->count != ANY_COUNT)
		snprintf(count, sizeof(count), "%llu",
			 (unsigned long long)w->count);
	TH_LOG("  want: %s (%u) flags %#x id %d key %#x pid %s count %s "
	       "time_ns in [%lld, %lld] (test began %lld)", ev_name(w->type),
	       w->type, w->flags, w->id, (unsigned int)w->key, pid, count,
	       (long long)w->after, (long long)w->before,
	       (long long)test_start_ns);
}

static void next_is(struct __test_metadata *_metadata, int line, int wfd,
		    const int *only, unsigned int n_only, const struct want *w)
{
	struct shmipc_event e;

	if (read_rec(wfd, &e, only, n_only) < 0) {
		int err = errno;

		EXPECT_EQ(0, err) {
			TH_LOG("line %d: watcher %d: no record (%s)", line,
			       wfd, strerror(err));
			log_want(_metadata, w);
		}
		return;
	}
	EXPECT_TRUE(rec_matches(&e, w)) {
		TH_LOG("line %d: watcher %d: not the record wanted", line, wfd);
		log_rec(_metadata, "got ", &e);
		log_want(_metadata, w);
	}
}

static void none_left(struct __test_metadata *_metadata, int line, int wfd,
		      const int *only, unsigned int n_only)
{
	struct shmipc_event e;
	int err;

	errno = 0;
	if (read_rec(wfd, &e, only, n_only) == 0) {
		EXPECT_TRUE(false) {
			TH_LOG("line %d: watcher %d: a record too many", line,
			       wfd);
			log_rec(_metadata, "got ", &e);
		}
		return;
	}
	err = errno;
	EXPECT_EQ(EAGAIN, err)
		TH_LOG("line %d: watcher %d: %s, want EAGAIN", line, wfd,
		       strerror(err));
}

/* The next record of @wfd must be the one described (designated fields). */
#define NEXT(wfd, ...) \
	next_is(_metadata, __LINE__, (wfd), NULL, 0, \
		&(struct want){ __VA_ARGS__ })
/* The same, skipping records of ids not among @only[0..n). */
#define NEXT_OF(wfd, only, n, ...) \
	next_is(_metadata, __LINE__, (wfd), (only), (n), \
		&(struct want){ __VA_ARGS__ })
/* Nothing more waits on @wfd (of those ids). */
#define NONE_LEFT(wfd)		none_left(_metadata, __LINE__, (wfd), NULL, 0)
#define NONE_LEFT_OF(wfd, only, n) \
	none_left(_metadata, __LINE__, (wfd), (only), (n))

/*
 * Every record waiting on non-blocking @wfd into @r (at most @room): how
 * many, or -1 with errno.
 */
static int collect(int wfd, struct shmipc_event *r, unsigned int room)
{
	unsigned int n = 0;
	ssize_t got;

	for (;;) {
		if (n == room) {
			errno = E2BIG;
			return -1;
		}
		got = read(wfd, &r[n], (room - n) * REC);
		if (got < 0)
			return errno == EAGAIN ? (int)n : -1;
		if (got == 0 || got % REC) {
			errno = EIO;
			return -1;
		}
		n += (unsigned int)(got / REC);
	}
}

/*
 * Are the types of @id's records among @r[0..n), in order, @want[0..nw)?
 * If not, says what they are in @why.
 */
static bool seq_is(const struct shmipc_event *r, unsigned int n, int id,
		   const uint32_t *want, unsigned int nw, char *why,
		   size_t len)
{
	unsigned int i, k = 0;
	bool ok = true;
	int off;

	for (i = 0; i < n; i++) {
		if (r[i].id != id || r[i].type == SHMIPC_EV_OVERFLOW)
			continue;
		if (k >= nw || r[i].type != want[k])
			ok = false;
		k++;
	}
	if (k != nw)
		ok = false;
	if (ok)
		return true;
	off = snprintf(why, len, "segment %d: records", id);
	for (i = 0; i < n && off > 0 && (size_t)off < len; i++)
		if (r[i].id == id || r[i].type == SHMIPC_EV_OVERFLOW)
			off += snprintf(why + off, len - (size_t)off, " %s",
					ev_name(r[i].type));
	for (k = 0; k < nw && off > 0 && (size_t)off < len; k++)
		off += snprintf(why + off, len - (size_t)off, "%s%s",
				k ? " " : "; want ", ev_name(want[k]));
	if (!nw && off > 0 && (size_t)off < len)
		snprintf(why + off, len - (size_t)off, "; want none");
	return false;
}

#define SEQ(...)	(const uint32_t[]){ __VA_ARGS__ }, \
			ARRAY_SIZE(((const uint32_t[]){ __VA_ARGS__ }))
#define NO_SEQ		NULL, 0

/* In a child: @id's records must be of those types, in that order. */
#define CHILD_SEQ(r, n, id, ...) do {					\
	char why_[512];							\
	if (!seq_is((r), (unsigned int)(n), (id), __VA_ARGS__, why_,	\
		    sizeof(why_))) {					\
		fprintf(stderr, "# %s:%d: in child %d: %s\n", __FILE__,	\
			__LINE__, (int)getpid(), why_);			\
		return 1;						\
	}								\
} while (0)

/* --- Children that run beside the test. --- */

/* Forks a child running @fn(@arg), which dies with this process. */
static pid_t spawn(child_fn fn, void *arg)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(fn(arg));
	}
	return pid;
}

/* Reaps @pid: its exit status, 128 + the signal that killed it, or -1. */
static int reap(pid_t pid)
{
	int status;

	if (pid <= 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int just_exit(void *arg)
{
	return 0;
}

struct later {
	int fd;
	key_t key;
	int id;
	unsigned int delay_ms;
};

/* Sleeps, then makes a segment on the key. */
static int create_later(void *arg)
{
	const struct later *l = arg;

	usleep(l->delay_ms * 1000);
	CHILD_CHECK(raw_get(l->fd, l->key, page_size(),
			    IPC_CREAT | IPC_EXCL | 0600) >= 0);
	return 0;
}

/* Sleeps, then IPC_SETs the segment. */
static int set_later(void *arg)
{
	const struct later *l = arg;

	usleep(l->delay_ms * 1000);
	CHILD_CHECK(set_mode(l->fd, l->id, 0600) == 0);
	return 0;
}

struct dt_arg {
	int fd;
	void *addr;
};

/* Detaches the copy of the attachment it was forked with. */
static int detach_and_exit(void *arg)
{
	const struct dt_arg *a = arg;

	CHILD_CHECK(raw_dt(a->fd, a->addr) == 0);
	return 0;
}

static void on_alarm(int sig)
{
}

/* A SIGALRM that interrupts a blocking read (no SA_RESTART). */
static void arm_alarm(unsigned int secs)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(secs);
}

/* --- The fixture. --- */

FIXTURE(events) {
	int fd;
	size_t page;
	pid_t me;
	struct seg_list segs;
	char saved_queue[32];	/* watch_queue, to restore */
	char saved_max[32];	/* max_watchers, to restore */
	bool restore_queue, restore_max;
};

FIXTURE_SETUP(events)
{
	struct shmipc_version v = { 0 };

	self->fd = -1;
	self->page = page_size();
	self->me = getpid();
	self->restore_queue = false;
	self->restore_max = false;
	test_start_ns = real_ns();
	/* A child that failed early must not kill the test at a write. */
	signal(SIGPIPE, SIG_IGN);
	OPEN_DEVICE_OR_SKIP(self->fd);
	ASSERT_EQ(0, ioctl(self->fd, SHMIPC_IOC_VERSION, &v));
	ASSERT_NE(0ULL, v.features & SHMIPC_FEATURE_WATCH)
		TH_LOG("features %#llx", (unsigned long long)v.features);
}

FIXTURE_TEARDOWN(events)
{
	if (self->restore_queue &&
	    write_param(QUEUE_PARAM, self->saved_queue) < 0)
		TH_LOG("could not restore %s to %s", QUEUE_PARAM,
		       self->saved_queue);
	if (self->restore_max &&
	    write_param(MAX_PARAM, self->saved_max) < 0)
		TH_LOG("could not restore %s to %s", MAX_PARAM,
		       self->saved_max);
	seg_cleanup(self->fd, &self->segs);
	if (self->fd >= 0)
		close(self->fd);
}

/* A new segment of @size bytes on @key (or private), for the teardown. */
static int new_seg(FIXTURE_DATA(events) *self, key_t key, size_t size,
		   int mode)
{
	return seg_track(&self->segs, raw_get(self->fd, key, size,
					      IPC_CREAT | IPC_EXCL | mode));
}

/* Saves parameter @name for the teardown and sets it; SKIPs without root. */
#define SET_PARAM_OR_SKIP(name, saved, flag, val) do {			\
	if (geteuid() != 0)						\
		SKIP(return, "setting %s needs root", name);		\
	if (read_param(name, self->saved, sizeof(self->saved)))	\
		SKIP(return, "no %s: %s", PARAM_DIR name,		\
		     strerror(errno));					\
	self->flag = true;						\
	ASSERT_EQ(0, set_param(name, val))				\
		TH_LOG("%s=%lu: %s", name, (unsigned long)(val),	\
		       strerror(errno));				\
} while (0)

/* --- 1. The ABI. --- */

TEST_F(events, abi)
{
	struct shmipc_version v = { 0 };

	EXPECT_EQ(40U, sizeof(struct shmipc_watch));
	EXPECT_EQ(48U, sizeof(struct shmipc_event));
	EXPECT_EQ(0U, offsetof(struct shmipc_watch, scope));
	EXPECT_EQ(4U, offsetof(struct shmipc_watch, key));
	EXPECT_EQ(8U, offsetof(struct shmipc_watch, id));
	EXPECT_EQ(12U, offsetof(struct shmipc_watch, events));
	EXPECT_EQ(16U, offsetof(struct shmipc_watch, flags));
	EXPECT_EQ(20U, offsetof(struct shmipc_watch, pad));
	EXPECT_EQ(24U, offsetof(struct shmipc_watch, reserved));
	EXPECT_EQ(0U, offsetof(struct shmipc_event, type));
	EXPECT_EQ(4U, offsetof(struct shmipc_event, flags));
	EXPECT_EQ(8U, offsetof(struct shmipc_event, id));
	EXPECT_EQ(12U, offsetof(struct shmipc_event, key));
	EXPECT_EQ(16U, offsetof(struct shmipc_event, pid));
	EXPECT_EQ(20U, offsetof(struct shmipc_event, pad));
	EXPECT_EQ(24U, offsetof(struct shmipc_event, count));
	EXPECT_EQ(32U, offsetof(struct shmipc_event, time_ns));
	EXPECT_EQ(40U, offsetof(struct shmipc_event, reserved));

	EXPECT_EQ(0x06U, _IOC_NR(SHMIPC_IOC_WATCH));
	EXPECT_EQ((unsigned int)SHMIPC_IOC_MAGIC, _IOC_TYPE(SHMIPC_IOC_WATCH));
	EXPECT_EQ(sizeof(struct shmipc_watch), _IOC_SIZE(SHMIPC_IOC_WATCH));
	EXPECT_EQ((unsigned int)_IOC_WRITE, _IOC_DIR(SHMIPC_IOC_WATCH));

	EXPECT_EQ(0, SHMIPC_WATCH_NS);
	EXPECT_EQ(1, SHMIPC_WATCH_KEY);
	EXPECT_EQ(2, SHMIPC_WATCH_ID);
	EXPECT_EQ(0x3, SHMIPC_WATCH_FLAGS);
	EXPECT_EQ(0xfeU, SHMIPC_EV_ALL);
	EXPECT_EQ(7, SHMIPC_EV_OVERFLOW);
	EXPECT_EQ(SHMIPC_EV_OVERFLOW, SHMIPC_EV_MAX);
	EXPECT_EQ(0x2, SHMIPC_EV_LIFETIME);
	EXPECT_EQ(0x4, SHMIPC_EV_FORK);

	/* The library's names are the ABI's values. */
	EXPECT_EQ(SHMIPC_EV_CREATED, SHMIPC_EVENT_CREATED);
	EXPECT_EQ(SHMIPC_EV_ATTACHED, SHMIPC_EVENT_ATTACHED);
	EXPECT_EQ(SHMIPC_EV_DETACHED, SHMIPC_EVENT_DETACHED);
	EXPECT_EQ(SHMIPC_EV_SET, SHMIPC_EVENT_SET);
	EXPECT_EQ(SHMIPC_EV_REMOVED, SHMIPC_EVENT_REMOVED);
	EXPECT_EQ(SHMIPC_EV_DESTROYED, SHMIPC_EVENT_DESTROYED);
	EXPECT_EQ(SHMIPC_EV_OVERFLOW, SHMIPC_EVENT_OVERFLOW);
	EXPECT_EQ(SHMIPC_ATTACHER_RDONLY, SHMIPC_EVENT_RDONLY);
	EXPECT_EQ(SHMIPC_EV_LIFETIME, SHMIPC_EVENT_LIFETIME);
	EXPECT_EQ(SHMIPC_EV_FORK, SHMIPC_EVENT_FORK);
	EXPECT_EQ(EVBIT(SHMIPC_EV_SET), SHMIPC_EVENT_MASK(SHMIPC_EVENT_SET));

	ASSERT_EQ(0, ioctl(self->fd, SHMIPC_IOC_VERSION, &v));
	EXPECT_EQ(0x200ULL, SHMIPC_FEATURE_WATCH);
	EXPECT_NE(0ULL, v.features & SHMIPC_FEATURE_WATCH);
}

/* --- 2. Bad arguments. --- */

TEST_F(events, bad_arguments)
{
	const struct shmipc_watch ok = { .scope = SHMIPC_WATCH_NS };
	struct shmipc_watch w;
	char *none, *edge;
	int wfd;

#define BAD(field_assignments) do {					\
	int r_, e_;							\
	w = ok;								\
	field_assignments;						\
	errno = 0;							\
	r_ = ioctl(self->fd, SHMIPC_IOC_WATCH, &w);			\
	e_ = errno;							\
	EXPECT_EQ(-1, r_) TH_LOG("%s: should fail with EINVAL",	\
				 #field_assignments);			\
	EXPECT_EQ(EINVAL, e_) TH_LOG("%s: got %s, want EINVAL",	\
				     #field_assignments, strerror(e_));	\
	if (r_ >= 0)							\
		close(r_);						\
} while (0)

	/* Unknown scopes. */
	BAD(w.scope = 3);
	BAD(w.scope = ~0U);
	/* A key watch of IPC_PRIVATE, or with an id. */
	BAD((w.scope = SHMIPC_WATCH_KEY, w.key = IPC_PRIVATE));
	BAD((w.scope = SHMIPC_WATCH_KEY, w.key = test_key(0), w.id = 1));
	/* An id watch of a negative id, or with a key. */
	BAD((w.scope = SHMIPC_WATCH_ID, w.id = -1));
	BAD((w.scope = SHMIPC_WATCH_ID, w.id = INT_MIN));
	BAD((w.scope = SHMIPC_WATCH_ID, w.id = 1, w.key = test_key(0)));
	/* A namespace watch with a key or an id. */
	BAD(w.key = test_key(0));
	BAD(w.id = 1);
	/* Event bits: bit 0 is no event, past OVERFLOW none is. */
	BAD(w.events = 1);
	BAD(w.events = EVBIT(SHMIPC_EV_MAX + 1));
	BAD(w.events = SHMIPC_EV_ALL | 0x80000000U);
	/* Flags. */
	BAD(w.flags = 0x4);
	BAD(w.flags = SHMIPC_WATCH_FLAGS | 0x80000000U);
	/* Pad and reserved. */
	BAD(w.pad = 1);
	BAD(w.reserved[0] = 1);
	BAD(w.reserved[1] = 1ULL << 63);
#undef BAD

	/* A bad pointer, or a struct that runs into unmapped memory. */
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, SHMIPC_IOC_WATCH, NULL));
	none = mmap(NULL, 2 * self->page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	ASSERT_EQ(0, mprotect(none + self->page, self->page, PROT_NONE));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, SHMIPC_IOC_WATCH,
				   none + self->page));
	edge = none + self->page - sizeof(w) / 2;
	memset(edge, 0, sizeof(w) / 2);
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, SHMIPC_IOC_WATCH, edge));
	munmap(none, 2 * self->page);

	/*
	 * Good ones: a key or an id nobody has (yet), every event bit, the
	 * overflow bit alone, both flags.
	 */
	wfd = raw_watch(self->fd, SHMIPC_WATCH_NS, 0, 0, 0, 0);
	EXPECT_LE(0, wfd);
	close(wfd);
	wfd = raw_watch(self->fd, SHMIPC_WATCH_KEY, test_key(1), 0, 0, NB);
	EXPECT_LE(0, wfd);
	close(wfd);
	wfd = raw_watch(self->fd, SHMIPC_WATCH_ID, 0, INT_MAX, 0, NB);
	EXPECT_LE(0, wfd);
	close(wfd);
	wfd = raw_watch(self->fd, SHMIPC_WATCH_ID, 0, 0, SHMIPC_EV_ALL, NB);
	EXPECT_LE(0, wfd);
	close(wfd);
	wfd = raw_watch(self->fd, SHMIPC_WATCH_NS, 0, 0,
			EVBIT(SHMIPC_EV_OVERFLOW), NB);
	EXPECT_LE(0, wfd);

	/* A watcher is no device: no ioctl, no write. */
	if (wfd >= 0) {
		w = ok;
		EXPECT_ERRNO(ENOTTY, ioctl(wfd, SHMIPC_IOC_WATCH, &w));
		EXPECT_ERRNO(EBADF, write(wfd, &w, sizeof(w)));
		close(wfd);
	}
}

TEST_F(events, descriptor_flags)
{
	char link[64], target[128];
	ssize_t n;
	int wfd;

	wfd = raw_watch(self->fd, SHMIPC_WATCH_NS, 0, 0, 0, 0);
	ASSERT_LE(0, wfd);
	EXPECT_EQ(O_RDONLY, fcntl(wfd, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(0, fcntl(wfd, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(0, fcntl(wfd, F_GETFD) & FD_CLOEXEC);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", wfd);
	n = readlink(link, target, sizeof(target) - 1);
	ASSERT_LT(0, n);
	target[n] = '\0';
	EXPECT_STREQ("anon_inode:[shmipc-watch]", target);
	close(wfd);

	wfd = raw_watch(self->fd, SHMIPC_WATCH_NS, 0, 0, 0,
			SHMIPC_WATCH_NONBLOCK);
	ASSERT_LE(0, wfd);
	EXPECT_EQ(O_NONBLOCK, fcntl(wfd, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(0, fcntl(wfd, F_GETFD) & FD_CLOEXEC);
	close(wfd);

	wfd = raw_watch(self->fd, SHMIPC_WATCH_NS, 0, 0, 0,
			SHMIPC_WATCH_CLOEXEC);
	ASSERT_LE(0, wfd);
	EXPECT_EQ(0, fcntl(wfd, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(FD_CLOEXEC, fcntl(wfd, F_GETFD) & FD_CLOEXEC);
	close(wfd);
}

/* --- 3. A segment's life, in order. --- */

TEST_F(events, lifecycle_in_order)
{
	const key_t key = test_key(0);
	const pid_t me = self->me;
	struct shmipc_ds ds;
	char *rw, *ro;
	int ws[2], id, i;
	int64_t t0;

	ws[0] = watch_key(self->fd, key);
	ASSERT_LE(0, ws[0]);

	t0 = real_ns();
	id = new_seg(self, key, self->page, 0600);
	ASSERT_LE(0, id);
	NEXT(ws[0], .type = SHMIPC_EV_CREATED, .id = id, .key = key,
	     .pid = me, .after = t0, .before = real_ns());
	NONE_LEFT(ws[0]);
	ws[1] = watch_id(self->fd, id);
	ASSERT_LE(0, ws[1]);

	/*
	 * count is nattch after the attach, as IPC_STAT shows it once
	 * shmat() has returned.
	 */
	t0 = real_ns();
	rw = raw_at(self->fd, id, NULL, 0, NULL);
	ASSERT_NE(MAP_FAILED, rw);
	EXPECT_EQ(1L, nattch_of(id));
	for (i = 0; i < 2; i++)
		NEXT(ws[i], .type = SHMIPC_EV_ATTACHED, .id = id, .key = key,
		     .pid = me, .count = 1, .after = t0, .before = real_ns());

	t0 = real_ns();
	ro = raw_at(self->fd, id, NULL, SHM_RDONLY, NULL);
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(2L, nattch_of(id));
	for (i = 0; i < 2; i++)
		NEXT(ws[i], .type = SHMIPC_EV_ATTACHED, .id = id, .key = key,
		     .pid = me, .flags = SHMIPC_ATTACHER_RDONLY, .count = 2,
		     .after = t0, .before = real_ns());

	t0 = real_ns();
	ASSERT_EQ(0, raw_dt(self->fd, ro));
	for (i = 0; i < 2; i++)
		NEXT(ws[i], .type = SHMIPC_EV_DETACHED, .id = id, .key = key,
		     .pid = me, .flags = SHMIPC_ATTACHER_RDONLY, .count = 1,
		     .after = t0, .before = real_ns());

	t0 = real_ns();
	ASSERT_EQ(0, set_mode(self->fd, id, 0640));
	for (i = 0; i < 2; i++)
		NEXT(ws[i], .type = SHMIPC_EV_SET, .id = id, .key = key,
		     .pid = me, .after = t0, .before = real_ns());

	/* Removed while attached: REMOVED now, DESTROYED at the detach. */
	t0 = real_ns();
	ASSERT_EQ(0, raw_rmid(self->fd, id));
	for (i = 0; i < 2; i++)
		NEXT(ws[i], .type = SHMIPC_EV_REMOVED, .id = id, .key = key,
		     .pid = me, .after = t0, .before = real_ns());
	for (i = 0; i < 2; i++)
		NONE_LEFT(ws[i]);
	ASSERT_EQ(0, raw_stat(self->fd, id, &ds));
	EXPECT_EQ((unsigned int)SHMIPC_SHM_DEST,
		  ds.perm.mode & SHMIPC_SHM_DEST);

	t0 = real_ns();
	ASSERT_EQ(0, raw_dt(self->fd, rw));
	for (i = 0; i < 2; i++) {
		NEXT(ws[i], .type = SHMIPC_EV_DETACHED, .id = id, .key = key,
		     .pid = me, .count = 0, .after = t0, .before = real_ns());
		NEXT(ws[i], .type = SHMIPC_EV_DESTROYED, .id = id, .key = key,
		     .pid = 0, .after = t0, .before = real_ns());
		NONE_LEFT(ws[i]);
	}
	EXPECT_ERRNO(EINVAL, raw_stat(self->fd, id, &ds));

	/* Removed with nothing attached: both at once. */
	t0 = real_ns();
	id = new_seg(self, key, self->page, 0600);
	ASSERT_LE(0, id);
	NEXT(ws[0], .type = SHMIPC_EV_CREATED, .id = id, .key = key,
	     .pid = me, .after = t0, .before = real_ns());
	t0 = real_ns();
	ASSERT_EQ(0, raw_rmid(self->fd, id));
	NEXT(ws[0], .type = SHMIPC_EV_REMOVED, .id = id, .key = key,
	     .pid = me, .after = t0, .before = real_ns());
	NEXT(ws[0], .type = SHMIPC_EV_DESTROYED, .id = id, .key = key,
	     .pid = 0, .after = t0, .before = real_ns());
	NONE_LEFT(ws[0]);
	/* The id watch is of the first segment alone. */
	NONE_LEFT(ws[1]);
	close(ws[0]);
	close(ws[1]);
}

/*
 * ATTACHED's count for each way of attaching, against IPC_STAT's nattch
 * right after: shmat() and a plain mmap of the device hold nattch up by
 * one while they map (a pin); the record must not count the pin.
 */
TEST_F(events, attached_count_is_nattch_after)
{
	int id = new_seg(self, IPC_PRIVATE, self->page, 0600);
	char *a, *b, *c;
	int wfd;

	ASSERT_LE(0, id);
	wfd = watch_id(self->fd, id);
	ASSERT_LE(0, wfd);

	a = raw_at(self->fd, id, NULL, 0, NULL);
	ASSERT_NE(MAP_FAILED, a);
	EXPECT_EQ(1L, nattch_of(id));
	NEXT(wfd, .type = SHMIPC_EV_ATTACHED, .id = id, .pid = self->me,
	     .count = 1);
	b = raw_at(self->fd, id, NULL, SHM_RDONLY, NULL);
	ASSERT_NE(MAP_FAILED, b);
	EXPECT_EQ(2L, nattch_of(id));
	NEXT(wfd, .type = SHMIPC_EV_ATTACHED, .id = id, .pid = self->me,
	     .flags = SHMIPC_ATTACHER_RDONLY, .count = 2);
	c = mmap_segment(self->fd, id, self->page, PROT_READ);
	ASSERT_NE(MAP_FAILED, c);
	EXPECT_EQ(3L, nattch_of(id));
	NEXT(wfd, .type = SHMIPC_EV_ATTACHED, .id = id, .pid = self->me,
	     .flags = SHMIPC_ATTACHER_RDONLY, .count = 3);
	EXPECT_EQ(0, munmap(c, self->page));
	NEXT(wfd, .type = SHMIPC_EV_DETACHED, .id = id, .pid = self->me,
	     .flags = SHMIPC_ATTACHER_RDONLY, .count = 2);
	EXPECT_EQ(0, raw_dt(self->fd, b));
	NEXT(wfd, .type = SHMIPC_EV_DETACHED, .id = id, .pid = self->me,
	     .flags = SHMIPC_ATTACHER_RDONLY, .count = 1);
	EXPECT_EQ(0, raw_dt(self->fd, a));
	NEXT(wfd, .type = SHMIPC_EV_DETACHED, .id = id, .pid = self->me,
	     .count = 0);
	/* A failed attach (the address is taken) is no attach. */
	a = mmap(NULL, self->page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	ASSERT_NE(MAP_FAILED, a);
	EXPECT_ERRNO(EINVAL, (long)(intptr_t)raw_at(self->fd, id, a, 0, NULL));
	munmap(a, self->page);
	NONE_LEFT(wfd);
	close(wfd);
}

/* --- 4. Fork copies, exits and splits. --- */

TEST_F(events, fork_copy_exit_and_split_count_as_vmas)
{
	int id = new_seg(self, IPC_PRIVATE, 2 * self->page, 0600);
	pid_t kid;
	char *p;
	int wfd;

	ASSERT_LE(0, id);
	wfd = watch_id(self->fd, id);
	ASSERT_LE(0, wfd);

	p = raw_at(self->fd, id, NULL, 0, NULL);
	ASSERT_NE(MAP_FAILED, p);
	/* Its count is attached_count_is_nattch_after's business. */
	NEXT(wfd, .type = SHMIPC_EV_ATTACHED, .id = id, .pid = self->me,
	     .count = ANY_COUNT);

	/* The child's copy comes at the fork, goes at its exit. */
	kid = spawn(just_exit, NULL);
	ASSERT_LT(0, kid);
	ASSERT_EQ(0, reap(kid));
	NEXT(wfd, .type = SHMIPC_EV_ATTACHED, .id = id, .pid = ANY_PID,
	     .flags = SHMIPC_EV_FORK, .count = 2);
	NEXT(wfd, .type = SHMIPC_EV_DETACHED, .id = id, .pid = ANY_PID,
	     .count = 1);
	NONE_LEFT(wfd);

	/* An mprotect of part of it splits the VMA: one attachment more. */
	ASSERT_EQ(0, mprotect(p, self->page, PROT_READ));
	EXPECT_EQ(2L, nattch_of(id));
	NEXT(wfd, .type = SHMIPC_EV_ATTACHED, .id = id, .pid = self->me,
	     .count = 2);
	NONE_LEFT(wfd);
	/* Both pieces go: two detaches. */
	ASSERT_EQ(0, munmap(p, 2 * self->page));
	NEXT(wfd, .type = SHMIPC_EV_DETACHED, .id = id, .pid = self->me,
	     .count = 1);
	NEXT(wfd, .type = SHMIPC_EV_DETACHED, .id = id, .pid = self->me,
	     .count = 0);
	NONE_LEFT(wfd);

	/* A read-only attachment's copy is read-only too. */
	p = raw_at(self->fd, id, NULL, SHM_RDONLY, NULL);
	ASSERT_NE(MAP_FAILED, p);
	NEXT(wfd, .type = SHMIPC_EV_ATTACHED, .id = id, .pid = self->me,
	     .flags = SHMIPC_ATTACHER_RDONLY, .count = ANY_COUNT);
	kid = spawn(just_exit, NULL);
	ASSERT_LT(0, kid);
	ASSERT_EQ(0, reap(kid));
	NEXT(wfd, .type = SHMIPC_EV_ATTACHED, .id = id, .pid = ANY_PID,
	     .flags = SHMIPC_ATTACHER_RDONLY | SHMIPC_EV_FORK, .count = 2);
	NEXT(wfd, .type = SHMIPC_EV_DETACHED, .id = id, .pid = ANY_PID,
	     .flags = SHMIPC_ATTACHER_RDONLY, .count = 1);
	ASSERT_EQ(0, raw_dt(self->fd, p));
	NEXT(wfd, .type = SHMIPC_EV_DETACHED, .id = id, .pid = self->me,
	     .flags = SHMIPC_ATTACHER_RDONLY, .count = 0);
	NONE_LEFT(wfd);
	close(wfd);
}

/*
 * The pids of the records above: the forking parent's for the copy its
 * fork made (the child has no pid yet then; SHMIPC_EV_FORK says so), the
 * child's for its explicit detach and for the detach its exit made.
 */
TEST_F(events, fork_copy_names_the_parent_and_exit_the_child)
{
	int id = new_seg(self, IPC_PRIVATE, self->page, 0600);
	struct dt_arg a = { .fd = self->fd };
	pid_t kid;
	int wfd;

	ASSERT_LE(0, id);
	wfd = watch_id(self->fd, id);
	ASSERT_LE(0, wfd);
	a.addr = raw_at(self->fd, id, NULL, 0, NULL);
	ASSERT_NE(MAP_FAILED, a.addr);
	NEXT(wfd, .type = SHMIPC_EV_ATTACHED, .id = id, .pid = self->me,
	     .count = ANY_COUNT);

	/* A child that detaches its copy itself. */
	kid = spawn(detach_and_exit, &a);
	ASSERT_LT(0, kid);
	ASSERT_EQ(0, reap(kid));
	NEXT(wfd, .type = SHMIPC_EV_ATTACHED, .id = id, .pid = self->me,
	     .flags = SHMIPC_EV_FORK, .count = 2);
	NEXT(wfd, .type = SHMIPC_EV_DETACHED, .id = id, .pid = kid,
	     .count = 1);

	/* A child whose exit detaches it. */
	kid = spawn(just_exit, NULL);
	ASSERT_LT(0, kid);
	ASSERT_EQ(0, reap(kid));
	NEXT(wfd, .type = SHMIPC_EV_ATTACHED, .id = id, .pid = self->me,
	     .flags = SHMIPC_EV_FORK, .count = 2);
	NEXT(wfd, .type = SHMIPC_EV_DETACHED, .id = id, .pid = kid,
	     .count = 1);

	ASSERT_EQ(0, raw_dt(self->fd, a.addr));
	NEXT(wfd, .type = SHMIPC_EV_DETACHED, .id = id, .pid = self->me,
	     .count = 0);
	NONE_LEFT(wfd);
	close(wfd);
}

/* --- 5. The event mask. --- */

TEST_F(events, event_mask)
{
	const key_t key = test_key(0);
	int wk, wd, wall, wset, id;
	char *p;

	/* Before the creation: creations and removals of the key. */
	wk = raw_watch(self->fd, SHMIPC_WATCH_KEY, key, 0,
		       EVBIT(SHMIPC_EV_CREATED) | EVBIT(SHMIPC_EV_REMOVED), NB);
	ASSERT_LE(0, wk);
	id = new_seg(self, key, self->page, 0600);
	ASSERT_LE(0, id);
	wd = raw_watch(self->fd, SHMIPC_WATCH_ID, 0, id,
		       EVBIT(SHMIPC_EV_DESTROYED), NB);
	ASSERT_LE(0, wd);
	wall = raw_watch(self->fd, SHMIPC_WATCH_ID, 0, id, SHMIPC_EV_ALL, NB);
	ASSERT_LE(0, wall);
	wset = raw_watch(self->fd, SHMIPC_WATCH_ID, 0, id,
			 EVBIT(SHMIPC_EV_SET) | EVBIT(SHMIPC_EV_DETACHED), NB);
	ASSERT_LE(0, wset);

	p = raw_at(self->fd, id, NULL, 0, NULL);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, raw_dt(self->fd, p));
	ASSERT_EQ(0, set_mode(self->fd, id, 0644));
	ASSERT_EQ(0, raw_rmid(self->fd, id));

	/* DESTROYED alone. */
	NEXT(wd, .type = SHMIPC_EV_DESTROYED, .id = id, .key = key);
	NONE_LEFT(wd);
	NEXT(wk, .type = SHMIPC_EV_CREATED, .id = id, .key = key,
	     .pid = self->me);
	NEXT(wk, .type = SHMIPC_EV_REMOVED, .id = id, .key = key,
	     .pid = self->me);
	NONE_LEFT(wk);
	NEXT(wset, .type = SHMIPC_EV_DETACHED, .id = id, .key = key,
	     .pid = self->me, .count = 0);
	NEXT(wset, .type = SHMIPC_EV_SET, .id = id, .key = key,
	     .pid = self->me);
	NONE_LEFT(wset);
	/* SHMIPC_EV_ALL is every event, as 0 is. */
	NEXT(wall, .type = SHMIPC_EV_ATTACHED, .id = id, .key = key,
	     .pid = self->me, .count = ANY_COUNT);
	NEXT(wall, .type = SHMIPC_EV_DETACHED, .id = id, .key = key,
	     .pid = self->me, .count = 0);
	NEXT(wall, .type = SHMIPC_EV_SET, .id = id, .key = key,
	     .pid = self->me);
	NEXT(wall, .type = SHMIPC_EV_REMOVED, .id = id, .key = key,
	     .pid = self->me);
	NEXT(wall, .type = SHMIPC_EV_DESTROYED, .id = id, .key = key);
	NONE_LEFT(wall);
	close(wk);
	close(wd);
	close(wall);
	close(wset);
}

/* --- 6. Scopes. --- */

TEST_F(events, scopes)
{
	const key_t key = test_key(0), other_key = test_key(1);
	const pid_t me = self->me;
	int wn, wk, wi, a, b, c, d, ids[4];
	char *pa, *pc;

	wn = watch_ns(self->fd);
	ASSERT_LE(0, wn);
	wk = watch_key(self->fd, key);
	ASSERT_LE(0, wk);

	a = new_seg(self, key, self->page, 0600);
	ASSERT_LE(0, a);
	wi = watch_id(self->fd, a);
	ASSERT_LE(0, wi);
	c = new_seg(self, IPC_PRIVATE, self->page, 0600);
	ASSERT_LE(0, c);
	d = new_seg(self, other_key, self->page, 0600);
	ASSERT_LE(0, d);
	pa = raw_at(self->fd, a, NULL, 0, NULL);
	ASSERT_NE(MAP_FAILED, pa);
	pc = raw_at(self->fd, c, NULL, 0, NULL);
	ASSERT_NE(MAP_FAILED, pc);
	ASSERT_EQ(0, raw_dt(self->fd, pc));
	/* a removed while attached: its key is free for b at once. */
	ASSERT_EQ(0, raw_rmid(self->fd, a));
	b = new_seg(self, key, self->page, 0600);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, raw_dt(self->fd, pa));
	ASSERT_EQ(0, raw_rmid(self->fd, b));
	ASSERT_EQ(0, raw_rmid(self->fd, c));
	ASSERT_EQ(0, raw_rmid(self->fd, d));
	ids[0] = a;
	ids[1] = b;
	ids[2] = c;
	ids[3] = d;

	/* The namespace: everything, in the order it was done. */
	NEXT_OF(wn, ids, 4, .type = SHMIPC_EV_CREATED, .id = a, .key = key,
		.pid = me);
	NEXT_OF(wn, ids, 4, .type = SHMIPC_EV_CREATED, .id = c,
		.key = IPC_PRIVATE, .pid = me);
	NEXT_OF(wn, ids, 4, .type = SHMIPC_EV_CREATED, .id = d,
		.key = other_key, .pid = me);
	NEXT_OF(wn, ids, 4, .type = SHMIPC_EV_ATTACHED, .id = a, .key = key,
		.pid = me, .count = ANY_COUNT);
	NEXT_OF(wn, ids, 4, .type = SHMIPC_EV_ATTACHED, .id = c,
		.key = IPC_PRIVATE, .pid = me, .count = ANY_COUNT);
	NEXT_OF(wn, ids, 4, .type = SHMIPC_EV_DETACHED, .id = c,
		.key = IPC_PRIVATE, .pid = me, .count = 0);
	NEXT_OF(wn, ids, 4, .type = SHMIPC_EV_REMOVED, .id = a, .key = key,
		.pid = me);
	NEXT_OF(wn, ids, 4, .type = SHMIPC_EV_CREATED, .id = b, .key = key,
		.pid = me);
	NEXT_OF(wn, ids, 4, .type = SHMIPC_EV_DETACHED, .id = a, .key = key,
		.pid = me, .count = 0);
	NEXT_OF(wn, ids, 4, .type = SHMIPC_EV_DESTROYED, .id = a, .key = key);
	NEXT_OF(wn, ids, 4, .type = SHMIPC_EV_REMOVED, .id = b, .key = key,
		.pid = me);
	NEXT_OF(wn, ids, 4, .type = SHMIPC_EV_DESTROYED, .id = b, .key = key);
	NEXT_OF(wn, ids, 4, .type = SHMIPC_EV_REMOVED, .id = c,
		.key = IPC_PRIVATE, .pid = me);
	NEXT_OF(wn, ids, 4, .type = SHMIPC_EV_DESTROYED, .id = c,
		.key = IPC_PRIVATE);
	NEXT_OF(wn, ids, 4, .type = SHMIPC_EV_REMOVED, .id = d,
		.key = other_key, .pid = me);
	NEXT_OF(wn, ids, 4, .type = SHMIPC_EV_DESTROYED, .id = d,
		.key = other_key);
	NONE_LEFT_OF(wn, ids, 4);

	/*
	 * The key: both segments made with it, a's records after its
	 * IPC_RMID included (the key they carry is the one it was made with).
	 */
	NEXT(wk, .type = SHMIPC_EV_CREATED, .id = a, .key = key, .pid = me);
	NEXT(wk, .type = SHMIPC_EV_ATTACHED, .id = a, .key = key, .pid = me,
	     .count = ANY_COUNT);
	NEXT(wk, .type = SHMIPC_EV_REMOVED, .id = a, .key = key, .pid = me);
	NEXT(wk, .type = SHMIPC_EV_CREATED, .id = b, .key = key, .pid = me);
	NEXT(wk, .type = SHMIPC_EV_DETACHED, .id = a, .key = key, .pid = me,
	     .count = 0);
	NEXT(wk, .type = SHMIPC_EV_DESTROYED, .id = a, .key = key);
	NEXT(wk, .type = SHMIPC_EV_REMOVED, .id = b, .key = key, .pid = me);
	NEXT(wk, .type = SHMIPC_EV_DESTROYED, .id = b, .key = key);
	NONE_LEFT(wk);

	/* The id: a alone, not b of the same key. */
	NEXT(wi, .type = SHMIPC_EV_ATTACHED, .id = a, .key = key, .pid = me,
	     .count = ANY_COUNT);
	NEXT(wi, .type = SHMIPC_EV_REMOVED, .id = a, .key = key, .pid = me);
	NEXT(wi, .type = SHMIPC_EV_DETACHED, .id = a, .key = key, .pid = me,
	     .count = 0);
	NEXT(wi, .type = SHMIPC_EV_DESTROYED, .id = a, .key = key);
	NONE_LEFT(wi);
	close(wn);
	close(wk);
	close(wi);
}

/* --- 7. Permission, judged with the opener's credentials. --- */

/*
 * Segments the parent makes for the watcher child: 0600; 0644; 0600 made
 * 0644 by IPC_SET; 0644 made 0600 by IPC_SET.
 */
#define PERM_SEGS	4

struct perm_arg {
	int fd;
	int ready[2];		/* child -> parent: watching */
	int go[2];		/* parent -> child: the ids, all done */
	key_t keys[PERM_SEGS];
};

static int perm_watcher(void *arg)
{
	struct perm_arg *a = arg;
	static struct shmipc_event r[MAX_RECS];
	int ids[PERM_SEGS], wroot, wother, dev, n, i;
	pid_t parent = getppid();
	char c = 1;

	close(a->ready[0]);
	close(a->go[1]);
	/* Opened as root: it sees what root may see, whoever reads it. */
	wroot = watch_ns(a->fd);
	CHILD_CHECK(wroot >= 0);
	CHILD_CHECK(become(OTHER_UID, OTHER_GID, 0) == 0);
	dev = open(SHMIPC_DEVICE, O_RDWR | O_CLOEXEC);
	CHILD_CHECK(dev >= 0);
	wother = watch_ns(dev);
	CHILD_CHECK(wother >= 0);
	CHILD_CHECK(write(a->ready[1], &c, 1) == 1);
	CHILD_CHECK(read(a->go[0], ids, sizeof(ids)) == (ssize_t)sizeof(ids));

	n = collect(wother, r, MAX_RECS);
	CHILD_CHECK(n >= 0);
	/* 0600: nothing. */
	CHILD_SEQ(r, n, ids[0], NO_SEQ);
	/* 0644: everything. */
	CHILD_SEQ(r, n, ids[1], SEQ(SHMIPC_EV_CREATED, SHMIPC_EV_ATTACHED,
				    SHMIPC_EV_DETACHED, SHMIPC_EV_REMOVED,
				    SHMIPC_EV_DESTROYED));
	/* 0600 then 0644: from the IPC_SET on. */
	CHILD_SEQ(r, n, ids[2], SEQ(SHMIPC_EV_SET, SHMIPC_EV_ATTACHED,
				    SHMIPC_EV_DETACHED, SHMIPC_EV_REMOVED,
				    SHMIPC_EV_DESTROYED));
	/* 0644 then 0600: until the IPC_SET, which it no longer sees. */
	CHILD_SEQ(r, n, ids[3], SEQ(SHMIPC_EV_CREATED, SHMIPC_EV_ATTACHED,
				    SHMIPC_EV_DETACHED));
	for (i = 0; i < n; i++) {
		if (r[i].id != ids[1])
			continue;
		CHILD_CHECK(r[i].key == a->keys[1]);
		CHILD_CHECK(r[i].pid == (r[i].type == SHMIPC_EV_DESTROYED ?
					 0 : parent));
	}

	n = collect(wroot, r, MAX_RECS);
	CHILD_CHECK(n >= 0);
	CHILD_SEQ(r, n, ids[0], SEQ(SHMIPC_EV_CREATED, SHMIPC_EV_ATTACHED,
				    SHMIPC_EV_DETACHED, SHMIPC_EV_REMOVED,
				    SHMIPC_EV_DESTROYED));
	CHILD_SEQ(r, n, ids[1], SEQ(SHMIPC_EV_CREATED, SHMIPC_EV_ATTACHED,
				    SHMIPC_EV_DETACHED, SHMIPC_EV_REMOVED,
				    SHMIPC_EV_DESTROYED));
	CHILD_SEQ(r, n, ids[2], SEQ(SHMIPC_EV_CREATED, SHMIPC_EV_ATTACHED,
				    SHMIPC_EV_DETACHED, SHMIPC_EV_SET,
				    SHMIPC_EV_ATTACHED, SHMIPC_EV_DETACHED,
				    SHMIPC_EV_REMOVED, SHMIPC_EV_DESTROYED));
	CHILD_SEQ(r, n, ids[3], SEQ(SHMIPC_EV_CREATED, SHMIPC_EV_ATTACHED,
				    SHMIPC_EV_DETACHED, SHMIPC_EV_SET,
				    SHMIPC_EV_ATTACHED, SHMIPC_EV_DETACHED,
				    SHMIPC_EV_REMOVED, SHMIPC_EV_DESTROYED));
	return 0;
}

/* Attaches @id and detaches it: one ATTACHED, one DETACHED. */
static int attach_detach(int fd, int id)
{
	char *p = raw_at(fd, id, NULL, SHM_RDONLY, NULL);

	if (p == MAP_FAILED)
		return -1;
	return raw_dt(fd, p);
}

TEST_F(events, permission_of_the_opener)
{
	static const unsigned int modes[PERM_SEGS] = {
		0600, 0644, 0600, 0644,
	};
	struct perm_arg a = { .fd = self->fd };
	int ids[PERM_SEGS], i;
	pid_t kid;
	char c;

	if (geteuid() != 0)
		SKIP(return, "acting as another user needs root");
	for (i = 0; i < PERM_SEGS; i++)
		a.keys[i] = test_key((unsigned int)i);
	ASSERT_EQ(0, pipe2(a.ready, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(a.go, O_CLOEXEC));
	kid = spawn(perm_watcher, &a);
	ASSERT_LT(0, kid);
	close(a.ready[1]);
	close(a.go[0]);
	EXPECT_EQ(1, read(a.ready[0], &c, 1)) {
		close(a.go[1]);
		EXPECT_EQ(0, reap(kid));
		return;
	}

	for (i = 0; i < PERM_SEGS; i++) {
		ids[i] = new_seg(self, a.keys[i], self->page, (int)modes[i]);
		ASSERT_LE(0, ids[i]);
		ASSERT_EQ(0, attach_detach(self->fd, ids[i]));
	}
	ASSERT_EQ(0, set_mode(self->fd, ids[2], 0644));
	ASSERT_EQ(0, set_mode(self->fd, ids[3], 0600));
	ASSERT_EQ(0, attach_detach(self->fd, ids[2]));
	ASSERT_EQ(0, attach_detach(self->fd, ids[3]));
	for (i = 0; i < PERM_SEGS; i++)
		ASSERT_EQ(0, raw_rmid(self->fd, ids[i]));

	EXPECT_EQ((ssize_t)sizeof(ids), write(a.go[1], ids, sizeof(ids)));
	close(a.go[1]);
	close(a.ready[0]);
	EXPECT_EQ(0, reap(kid));
}

/* --- 8. Overflow. --- */

TEST_F(events, overflow_counts_what_was_dropped)
{
	const pid_t me = self->me;
	struct pollfd pfd;
	struct shmipc_event r[8];
	int id, wfd, i;
	int64_t t0;
	char *p;

	/* watch_queue is 2 to 65536. */
	SET_PARAM_OR_SKIP(QUEUE_PARAM, saved_queue, restore_queue, 4);
	EXPECT_EQ(-1, set_param(QUEUE_PARAM, 1));
	EXPECT_EQ(-1, set_param(QUEUE_PARAM, 65537));
	ASSERT_EQ(0, set_param(QUEUE_PARAM, 4));

	id = new_seg(self, IPC_PRIVATE, self->page, 0600);
	ASSERT_LE(0, id);
	wfd = watch_id(self->fd, id);
	ASSERT_LE(0, wfd);
	pfd = (struct pollfd){ .fd = wfd, .events = POLLIN };

	/*
	 * 10 events, none read: the ring keeps the first 4 (all of it: the
	 * room for an overflow record is wanted only once one is owed),
	 * and 6 are dropped.
	 */
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, attach_detach(self->fd, id));

	/*
	 * One read: the first record. Then one more event finds 1 free
	 * slot, not the 2 that an owed overflow record and it need: the
	 * 7th dropped.
	 */
	ASSERT_EQ((ssize_t)REC, read(wfd, r, REC));
	EXPECT_EQ((uint32_t)SHMIPC_EV_ATTACHED, r[0].type);
	EXPECT_EQ(id, r[0].id);
	p = raw_at(self->fd, id, NULL, 0, NULL);
	ASSERT_NE(MAP_FAILED, p);
	/* Another read: 2 free, the next event goes behind an OVERFLOW of 7. */
	ASSERT_EQ((ssize_t)REC, read(wfd, r, REC));
	EXPECT_EQ((uint32_t)SHMIPC_EV_DETACHED, r[0].type);
	t0 = real_ns();
	ASSERT_EQ(0, raw_dt(self->fd, p));

	/* 4 records: the 3rd and 4th kept, OVERFLOW 7, the last event. */
	ASSERT_EQ((ssize_t)(4 * REC), read(wfd, r, sizeof(r)));
	EXPECT_TRUE(rec_matches(&r[0], &(struct want){
		.type = SHMIPC_EV_ATTACHED, .flags = SHMIPC_ATTACHER_RDONLY,
		.id = id, .pid = me, .count = ANY_COUNT }))
		log_rec(_metadata, "r[0]", &r[0]);
	EXPECT_TRUE(rec_matches(&r[1], &(struct want){
		.type = SHMIPC_EV_DETACHED, .flags = SHMIPC_ATTACHER_RDONLY,
		.id = id, .pid = me, .count = 0 }))
		log_rec(_metadata, "r[1]", &r[1]);
	EXPECT_TRUE(rec_matches(&r[2], &(struct want){
		.type = SHMIPC_EV_OVERFLOW, .count = 7, .after = t0,
		.before = real_ns() }))
		log_rec(_metadata, "r[2]", &r[2]);
	EXPECT_TRUE(rec_matches(&r[3], &(struct want){
		.type = SHMIPC_EV_DETACHED, .id = id, .pid = me, .count = 0,
		.after = t0, .before = real_ns() }))
		log_rec(_metadata, "r[3]", &r[3]);
	/* 12 events: 5 delivered, 7 counted. */
	NONE_LEFT(wfd);
	EXPECT_EQ(0, poll(&pfd, 1, 0));

	/*
	 * Into an empty ring, 6 events: 4 kept, 2 dropped. Once the 4 are
	 * read, the count is read on its own, and still makes the
	 * descriptor readable.
	 */
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, attach_detach(self->fd, id));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ((ssize_t)REC, read(wfd, r, REC));
		EXPECT_EQ((uint32_t)(i % 2 ? SHMIPC_EV_DETACHED :
				     SHMIPC_EV_ATTACHED), r[0].type);
		EXPECT_EQ(id, r[0].id);
	}
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN, pfd.revents);
	/* Made up at the read: its time is the read's. */
	t0 = real_ns();
	ASSERT_EQ(0, read_rec(wfd, &r[0], NULL, 0));
	EXPECT_TRUE(rec_matches(&r[0], &(struct want){
		.type = SHMIPC_EV_OVERFLOW, .count = 2, .after = t0,
		.before = real_ns() }))
		log_rec(_metadata, "the lone overflow", &r[0]);
	NONE_LEFT(wfd);
	EXPECT_EQ(0, poll(&pfd, 1, 0));

	/* Drained: events come as ever, with no overflow record. */
	ASSERT_EQ(0, attach_detach(self->fd, id));
	NEXT(wfd, .type = SHMIPC_EV_ATTACHED, .flags = SHMIPC_ATTACHER_RDONLY,
	     .id = id, .pid = me, .count = ANY_COUNT);
	NEXT(wfd, .type = SHMIPC_EV_DETACHED, .flags = SHMIPC_ATTACHER_RDONLY,
	     .id = id, .pid = me, .count = 0);
	NONE_LEFT(wfd);
	close(wfd);
}

/* --- 9. read(), poll(), epoll. --- */

TEST_F(events, read_gives_whole_records)
{
	struct shmipc_event r[10];
	int id, wfd, wb;

	id = new_seg(self, IPC_PRIVATE, self->page, 0600);
	ASSERT_LE(0, id);
	wfd = watch_id(self->fd, id);
	ASSERT_LE(0, wfd);

	/* Smaller than a record: EINVAL, with or without records waiting. */
	EXPECT_ERRNO(EINVAL, read(wfd, r, REC - 1));
	EXPECT_ERRNO(EINVAL, read(wfd, r, 0));
	EXPECT_ERRNO(EAGAIN, read(wfd, r, REC));

	/* 5 records. */
	ASSERT_EQ(0, attach_detach(self->fd, id));
	ASSERT_EQ(0, attach_detach(self->fd, id));
	ASSERT_EQ(0, set_mode(self->fd, id, 0640));
	EXPECT_ERRNO(EINVAL, read(wfd, r, REC - 1));
	EXPECT_ERRNO(EINVAL, read(wfd, r, 1));
	/* Room for 3 and a half: 3. */
	memset(r, 0xa5, sizeof(r));
	EXPECT_EQ((ssize_t)(3 * REC), read(wfd, r, 3 * REC + REC / 2));
	EXPECT_EQ((uint32_t)SHMIPC_EV_ATTACHED, r[0].type);
	EXPECT_EQ((uint32_t)SHMIPC_EV_DETACHED, r[1].type);
	EXPECT_EQ((uint32_t)SHMIPC_EV_ATTACHED, r[2].type);
	/* Nothing written past them. */
	EXPECT_EQ(0xa5a5a5a5U, r[3].type);
	/* Room for 10: the 2 there are. */
	EXPECT_EQ((ssize_t)(2 * REC), read(wfd, r, sizeof(r)));
	EXPECT_EQ((uint32_t)SHMIPC_EV_DETACHED, r[0].type);
	EXPECT_EQ((uint32_t)SHMIPC_EV_SET, r[1].type);
	EXPECT_EQ(id, r[1].id);
	EXPECT_ERRNO(EAGAIN, read(wfd, r, sizeof(r)));
	close(wfd);

	/* A blocking watcher made non-blocking later. */
	wb = raw_watch(self->fd, SHMIPC_WATCH_ID, 0, id, 0, 0);
	ASSERT_LE(0, wb);
	ASSERT_EQ(0, fcntl(wb, F_SETFL, fcntl(wb, F_GETFL) | O_NONBLOCK));
	EXPECT_ERRNO(EAGAIN, read(wb, r, REC));
	/* Records that wait are read whether it blocks or not. */
	ASSERT_EQ(0, set_mode(self->fd, id, 0600));
	ASSERT_EQ(0, fcntl(wb, F_SETFL, fcntl(wb, F_GETFL) & ~O_NONBLOCK));
	EXPECT_EQ((ssize_t)REC, read(wb, r, sizeof(r)));
	EXPECT_EQ((uint32_t)SHMIPC_EV_SET, r[0].type);
	close(wb);
}

TEST_F(events, blocking_read_wakes_at_the_event)
{
	struct later l = { .fd = self->fd, .key = test_key(0),
			   .delay_ms = 200 };
	struct shmipc_event e;
	long start, took;
	ssize_t n;
	pid_t kid;
	int wb, id;

	wb = raw_watch(self->fd, SHMIPC_WATCH_KEY, l.key, 0, 0,
		       SHMIPC_WATCH_CLOEXEC);
	ASSERT_LE(0, wb);
	/* From before the fork: the child sleeps 200 ms at least after it. */
	start = mono_ms();
	kid = spawn(create_later, &l);
	ASSERT_LT(0, kid);
	/* A hang is a failure, not a timeout: the alarm interrupts it. */
	arm_alarm(20);
	n = read(wb, &e, sizeof(e));
	took = mono_ms() - start;
	alarm(0);
	ASSERT_EQ((ssize_t)REC, n) TH_LOG("read: %s", strerror(errno));
	EXPECT_LE(200, took);
	EXPECT_EQ(0, reap(kid));
	id = raw_get(self->fd, l.key, 0, 0);
	ASSERT_LE(0, seg_track(&self->segs, id));
	EXPECT_TRUE(rec_matches(&e, &(struct want){
		.type = SHMIPC_EV_CREATED, .id = id, .key = l.key,
		.pid = kid }))
		log_rec(_metadata, "got", &e);
	close(wb);
}

TEST_F(events, poll_and_epoll_report_a_waiting_record)
{
	struct later l = { .fd = self->fd, .delay_ms = 200 };
	struct epoll_event ev = { .events = EPOLLIN }, out[4];
	struct shmipc_event e;
	struct pollfd pfd;
	long start, took;
	int wfd, ep;
	pid_t kid;

	l.id = new_seg(self, IPC_PRIVATE, self->page, 0600);
	ASSERT_LE(0, l.id);
	wfd = watch_id(self->fd, l.id);
	ASSERT_LE(0, wfd);
	pfd = (struct pollfd){ .fd = wfd, .events = POLLIN };

	/* poll: nothing, then a record, then nothing once it is read. */
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(0, pfd.revents);
	ASSERT_EQ(0, set_mode(self->fd, l.id, 0640));
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN, pfd.revents);
	/* Still there: poll takes nothing. */
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ((ssize_t)REC, read(wfd, &e, sizeof(e)));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(0, pfd.revents);

	/* A poll that waits is woken by the event. */
	start = mono_ms();
	kid = spawn(set_later, &l);
	ASSERT_LT(0, kid);
	EXPECT_EQ(1, poll(&pfd, 1, 20000));
	took = mono_ms() - start;
	EXPECT_EQ(POLLIN, pfd.revents);
	EXPECT_LE(200, took);
	EXPECT_EQ(0, reap(kid));
	NEXT(wfd, .type = SHMIPC_EV_SET, .id = l.id, .pid = kid);
	NONE_LEFT(wfd);

	/* epoll: the same. */
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ev.data.fd = wfd;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, wfd, &ev));
	EXPECT_EQ(0, epoll_wait(ep, out, 4, 0));
	ASSERT_EQ(0, set_mode(self->fd, l.id, 0600));
	ASSERT_EQ(1, epoll_wait(ep, out, 4, 0));
	EXPECT_EQ((uint32_t)EPOLLIN, out[0].events);
	EXPECT_EQ(wfd, out[0].data.fd);
	EXPECT_EQ((ssize_t)REC, read(wfd, &e, sizeof(e)));
	EXPECT_EQ(0, epoll_wait(ep, out, 4, 0));
	start = mono_ms();
	kid = spawn(set_later, &l);
	ASSERT_LT(0, kid);
	EXPECT_EQ(1, epoll_wait(ep, out, 4, 20000));
	took = mono_ms() - start;
	EXPECT_LE(200, took);
	EXPECT_EQ(0, reap(kid));
	NEXT(wfd, .type = SHMIPC_EV_SET, .id = l.id, .pid = kid);
	EXPECT_EQ(0, epoll_wait(ep, out, 4, 0));
	close(ep);
	close(wfd);
}

TEST_F(events, read_fault_keeps_the_record)
{
	const pid_t me = self->me;
	void *volatile nowhere = NULL;
	int id, wfd;
	char *buf, *p;

	id = new_seg(self, IPC_PRIVATE, self->page, 0600);
	ASSERT_LE(0, id);
	wfd = watch_id(self->fd, id);
	ASSERT_LE(0, wfd);
	ASSERT_EQ(0, set_mode(self->fd, id, 0640));
	p = raw_at(self->fd, id, NULL, 0, NULL);
	ASSERT_NE(MAP_FAILED, p);

	/* Two pages, the second unreadable and unwritable. */
	buf = mmap(NULL, 2 * self->page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, mprotect(buf + self->page, self->page, PROT_NONE));

	/* Nowhere to put the first record: EFAULT, and nothing taken. */
	EXPECT_ERRNO(EFAULT, read(wfd, nowhere, REC));
	EXPECT_ERRNO(EFAULT, read(wfd, buf + self->page, REC));
	EXPECT_ERRNO(EFAULT, read(wfd, buf + self->page, 4 * REC));
	/* Room for the first and not the second: the first alone. */
	EXPECT_EQ((ssize_t)REC, read(wfd, buf + self->page - REC, 2 * REC));
	EXPECT_TRUE(rec_matches((struct shmipc_event *)(buf + self->page - REC),
				&(struct want){ .type = SHMIPC_EV_SET,
						.id = id, .pid = me }))
		log_rec(_metadata, "got",
			(struct shmipc_event *)(buf + self->page - REC));
	/* The second was not lost either. */
	NEXT(wfd, .type = SHMIPC_EV_ATTACHED, .id = id, .pid = me,
	     .count = ANY_COUNT);
	NONE_LEFT(wfd);
	munmap(buf, 2 * self->page);
	EXPECT_EQ(0, raw_dt(self->fd, p));
	close(wfd);
}

/* --- 10. max_watchers. --- */

static int other_user_watches(void *arg)
{
	int dev, w1, w2;

	CHILD_CHECK(become(OTHER_UID, OTHER_GID, 0) == 0);
	dev = open(SHMIPC_DEVICE, O_RDWR | O_CLOEXEC);
	CHILD_CHECK(dev >= 0);
	/* Root's two do not count against this user. */
	w1 = watch_ns(dev);
	CHILD_CHECK(w1 >= 0);
	w2 = watch_ns(dev);
	CHILD_CHECK(w2 >= 0);
	CHILD_CHECK_ERR(watch_ns(dev), EMFILE);
	return 0;
}

TEST_F(events, max_watchers_per_user)
{
	int w[3], d;
	char val[32];

	SET_PARAM_OR_SKIP(MAX_PARAM, saved_max, restore_max, 2);
	w[0] = watch_ns(self->fd);
	ASSERT_LE(0, w[0]);
	w[1] = watch_key(self->fd, test_key(0));
	ASSERT_LE(0, w[1]);
	EXPECT_ERRNO(EMFILE, watch_id(self->fd, 0));
	EXPECT_ERRNO(EMFILE, shmipc_watch_all(0, 0));
	/* A bad request is refused as such, not counted. */
	EXPECT_ERRNO(EINVAL, raw_watch(self->fd, 9, 0, 0, 0, 0));
	/* Another user has a count of its own. */
	EXPECT_EQ(0, run_child(other_user_watches, NULL));

	/* One closed: one more may open. */
	EXPECT_EQ(0, close(w[0]));
	w[2] = watch_id(self->fd, 0);
	ASSERT_LE(0, w[2]);
	EXPECT_ERRNO(EMFILE, watch_ns(self->fd));

	/* A watcher goes at its last descriptor's close, not before. */
	d = dup(w[1]);
	ASSERT_LE(0, d);
	EXPECT_EQ(0, close(w[1]));
	EXPECT_ERRNO(EMFILE, watch_ns(self->fd));
	EXPECT_EQ(0, close(d));
	w[1] = watch_ns(self->fd);
	EXPECT_LE(0, w[1]);
	close(w[1]);
	close(w[2]);

	/* 0: none at all. */
	ASSERT_EQ(0, set_param(MAX_PARAM, 0));
	EXPECT_ERRNO(EMFILE, watch_ns(self->fd));

	/* Its range: 0 to 65536. */
	EXPECT_EQ(-1, set_param(MAX_PARAM, 65537));
	EXPECT_EQ(0, set_param(MAX_PARAM, 65536));
	ASSERT_EQ(0, read_param(MAX_PARAM, val, sizeof(val)));
	EXPECT_EQ(65536L, strtol(val, NULL, 10));
}

/* --- 11. Closing frees. --- */

TEST_F(events, close_frees_the_watcher)
{
	int id = new_seg(self, test_key(0), self->page, 0600);
	int i, wfd;

	ASSERT_LE(0, id);
	/*
	 * More than max_watchers' default of 128: a close that did not
	 * give the count back would end in EMFILE. Some with records
	 * waiting. kmemleak sees to the memory.
	 */
	for (i = 0; i < 1000; i++) {
		switch (i % 3) {
		case 0:
			wfd = watch_ns(self->fd);
			break;
		case 1:
			wfd = watch_key(self->fd, test_key(0));
			break;
		default:
			wfd = watch_id(self->fd, id);
			break;
		}
		ASSERT_LE(0, wfd) TH_LOG("watch %d: %s", i, strerror(errno));
		if (i % 50 == 0)
			ASSERT_EQ(0, attach_detach(self->fd, id));
		ASSERT_EQ(0, close(wfd));
	}
	/* Still working, and told nothing of what came before it. */
	wfd = watch_id(self->fd, id);
	ASSERT_LE(0, wfd);
	NONE_LEFT(wfd);
	ASSERT_EQ(0, raw_rmid(self->fd, id));
	NEXT(wfd, .type = SHMIPC_EV_REMOVED, .id = id, .key = test_key(0),
	     .pid = self->me);
	NEXT(wfd, .type = SHMIPC_EV_DESTROYED, .id = id, .key = test_key(0));
	NONE_LEFT(wfd);
	close(wfd);
}

/* --- 12. Removal by a lifetime. --- */

TEST_F(events, lifetime_removal_has_no_pid)
{
	const key_t key = test_key(0), ttl_key = test_key(1);
	const pid_t me = self->me;
	struct pollfd pfd;
	long start, took;
	int wk, wt, id;
	int64_t t0;
	char *p;

	wk = watch_key(self->fd, key);
	ASSERT_LE(0, wk);
	id = seg_track(&self->segs,
		       raw_get_lifetime(self->fd, key, self->page,
				IPC_CREAT | IPC_EXCL | 0600,
				SHMIPC_LIFE_LAST_DETACH, 0));
	ASSERT_LE(0, id);
	NEXT(wk, .type = SHMIPC_EV_CREATED, .id = id, .key = key, .pid = me);
	p = raw_at(self->fd, id, NULL, 0, NULL);
	ASSERT_NE(MAP_FAILED, p);
	NEXT(wk, .type = SHMIPC_EV_ATTACHED, .id = id, .key = key, .pid = me,
	     .count = ANY_COUNT);
	/* The last detach ends it: nobody removed it, so pid 0. */
	t0 = real_ns();
	ASSERT_EQ(0, raw_dt(self->fd, p));
	NEXT(wk, .type = SHMIPC_EV_DETACHED, .id = id, .key = key, .pid = me,
	     .count = 0, .after = t0, .before = real_ns());
	NEXT(wk, .type = SHMIPC_EV_REMOVED, .id = id, .key = key, .pid = 0,
	     .flags = SHMIPC_EV_LIFETIME, .after = t0, .before = real_ns());
	NEXT(wk, .type = SHMIPC_EV_DESTROYED, .id = id, .key = key, .pid = 0,
	     .after = t0, .before = real_ns());
	NONE_LEFT(wk);
	EXPECT_ERRNO(ENOENT, raw_get(self->fd, key, 0, 0));
	close(wk);

	/* A ttl's end, from the module's worker: the same records. */
	wt = watch_key(self->fd, ttl_key);
	ASSERT_LE(0, wt);
	start = mono_ms();
	id = seg_track(&self->segs,
		       raw_get_lifetime(self->fd, ttl_key, self->page,
				IPC_CREAT | IPC_EXCL | 0600,
				SHMIPC_LIFE_TTL, 1));
	ASSERT_LE(0, id);
	NEXT(wt, .type = SHMIPC_EV_CREATED, .id = id, .key = ttl_key,
	     .pid = me);
	/*
	 * The worker queues REMOVED, then DESTROYED: the reader may be
	 * woken between the two, so each is waited for.
	 */
	pfd = (struct pollfd){ .fd = wt, .events = POLLIN };
	EXPECT_EQ(1, poll(&pfd, 1, 20000));
	took = mono_ms() - start;
	EXPECT_LE(900, took);
	NEXT(wt, .type = SHMIPC_EV_REMOVED, .id = id, .key = ttl_key,
	     .pid = 0, .flags = SHMIPC_EV_LIFETIME);
	EXPECT_EQ(1, poll(&pfd, 1, 5000));
	NEXT(wt, .type = SHMIPC_EV_DESTROYED, .id = id, .key = ttl_key,
	     .pid = 0);
	NONE_LEFT(wt);
	close(wt);
}

/* --- 13. The library. --- */

TEST_F(events, library_watch_and_read)
{
	const key_t key = test_key(0);
	struct shmipc_event_info ev;
	int w, wa, wi, id;
	int64_t t0;
	char *rw, *ro;

	w = shmipc_watch_key(key, 0, O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, w) TH_LOG("shmipc_watch_key: %s", strerror(errno));
	EXPECT_EQ(O_NONBLOCK, fcntl(w, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(FD_CLOEXEC, fcntl(w, F_GETFD) & FD_CLOEXEC);
	EXPECT_ERRNO(EAGAIN, shmipc_read_event(w, &ev));

	t0 = real_ns();
	id = seg_track(&self->segs, shmipc_get(key, self->page,
					       IPC_CREAT | IPC_EXCL | 0600));
	ASSERT_LE(0, id);
	memset(&ev, 0xa5, sizeof(ev));
	ASSERT_EQ(0, shmipc_read_event(w, &ev));
	EXPECT_EQ((unsigned int)SHMIPC_EVENT_CREATED, ev.type);
	EXPECT_EQ(0U, ev.flags);
	EXPECT_EQ(id, ev.shmid);
	EXPECT_EQ(key, ev.key);
	EXPECT_EQ(self->me, ev.pid);
	EXPECT_EQ(0LL, ev.count);
	EXPECT_LE(t0 - TIME_SLACK_NS, ev.time_ns);
	EXPECT_GE(real_ns() + TIME_SLACK_NS, ev.time_ns);

	/* An id watch made now, of detaches only. */
	wi = shmipc_watch_id(id, SHMIPC_EVENT_MASK(SHMIPC_EVENT_DETACHED),
			     O_NONBLOCK);
	ASSERT_LE(0, wi);
	EXPECT_EQ(0, fcntl(wi, F_GETFD) & FD_CLOEXEC);

	rw = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, rw);
	ro = shmipc_at(id, NULL, SHM_RDONLY);
	ASSERT_NE((void *)-1, ro);
	ASSERT_EQ(0, shmipc_read_event(w, &ev));
	EXPECT_EQ((unsigned int)SHMIPC_EVENT_ATTACHED, ev.type);
	EXPECT_EQ(0U, ev.flags);
	ASSERT_EQ(0, shmipc_read_event(w, &ev));
	EXPECT_EQ((unsigned int)SHMIPC_EVENT_ATTACHED, ev.type);
	EXPECT_EQ((unsigned int)SHMIPC_EVENT_RDONLY, ev.flags);

	ASSERT_EQ(0, shmipc_dt(ro));
	ASSERT_EQ(0, shmipc_read_event(w, &ev));
	EXPECT_EQ((unsigned int)SHMIPC_EVENT_DETACHED, ev.type);
	EXPECT_EQ((unsigned int)SHMIPC_EVENT_RDONLY, ev.flags);
	EXPECT_EQ(1LL, ev.count);
	EXPECT_EQ(id, ev.shmid);
	EXPECT_EQ(self->me, ev.pid);
	ASSERT_EQ(0, shmipc_read_event(wi, &ev));
	EXPECT_EQ((unsigned int)SHMIPC_EVENT_DETACHED, ev.type);
	EXPECT_EQ(1LL, ev.count);

	ASSERT_EQ(0, shmipc_ctl(id, IPC_RMID, NULL));
	ASSERT_EQ(0, shmipc_read_event(w, &ev));
	EXPECT_EQ((unsigned int)SHMIPC_EVENT_REMOVED, ev.type);
	EXPECT_EQ(0U, ev.flags);
	EXPECT_EQ(key, ev.key);
	EXPECT_EQ(self->me, ev.pid);
	ASSERT_EQ(0, shmipc_dt(rw));
	ASSERT_EQ(0, shmipc_read_event(w, &ev));
	EXPECT_EQ((unsigned int)SHMIPC_EVENT_DETACHED, ev.type);
	EXPECT_EQ(0U, ev.flags);
	EXPECT_EQ(0LL, ev.count);
	ASSERT_EQ(0, shmipc_read_event(w, &ev));
	EXPECT_EQ((unsigned int)SHMIPC_EVENT_DESTROYED, ev.type);
	EXPECT_EQ(id, ev.shmid);
	EXPECT_EQ(key, ev.key);
	EXPECT_EQ(0, ev.pid);
	EXPECT_ERRNO(EAGAIN, shmipc_read_event(w, &ev));
	ASSERT_EQ(0, shmipc_read_event(wi, &ev));
	EXPECT_EQ((unsigned int)SHMIPC_EVENT_DETACHED, ev.type);
	EXPECT_EQ(0LL, ev.count);
	EXPECT_ERRNO(EAGAIN, shmipc_read_event(wi, &ev));
	close(w);
	close(wi);

	/* The whole namespace, with nothing going on. */
	wa = shmipc_watch_all(0, O_NONBLOCK);
	ASSERT_LE(0, wa);
	EXPECT_ERRNO(EAGAIN, shmipc_read_event(wa, &ev));
	close(wa);

	/* What is refused. */
	EXPECT_ERRNO(EINVAL, shmipc_watch_key(IPC_PRIVATE, 0, 0));
	EXPECT_ERRNO(EINVAL, shmipc_watch_id(-1, 0, 0));
	EXPECT_ERRNO(EINVAL, shmipc_watch_all(SHMIPC_EVENT_MASK(0), 0));
	EXPECT_ERRNO(EINVAL, shmipc_watch_all(
		SHMIPC_EVENT_MASK(SHMIPC_EVENT_OVERFLOW + 1), 0));
	EXPECT_ERRNO(EINVAL, shmipc_watch_all(0, O_APPEND));
}

TEST_F(events, library_wait_key)
{
	struct later l = { .fd = self->fd, .key = test_key(1),
			   .delay_ms = 300 };
	const key_t none = test_key(2);
	long start, took;
	int id, got;
	pid_t kid;

	/* A key that has its segment: at once. */
	id = seg_track(&self->segs, shmipc_get(test_key(0), self->page,
					       IPC_CREAT | IPC_EXCL | 0600));
	ASSERT_LE(0, id);
	start = mono_ms();
	EXPECT_EQ(id, shmipc_wait_key(test_key(0), 5000));
	EXPECT_EQ(id, shmipc_wait_key(test_key(0), 0));
	EXPECT_EQ(id, shmipc_wait_key(test_key(0), -1));
	took = mono_ms() - start;
	EXPECT_GT(1000, took);

	/* A key a child makes 300 ms from now. */
	start = mono_ms();
	kid = spawn(create_later, &l);
	ASSERT_LT(0, kid);
	got = shmipc_wait_key(l.key, 20000);
	took = mono_ms() - start;
	EXPECT_EQ(0, reap(kid));
	id = seg_track(&self->segs, raw_get(self->fd, l.key, 0, 0));
	ASSERT_LE(0, id);
	EXPECT_EQ(id, got) TH_LOG("shmipc_wait_key: %s", strerror(errno));
	EXPECT_LE(250, took);
	EXPECT_GT(20000, took);

	/* A key nobody makes: ETIMEDOUT at the timeout. */
	start = mono_ms();
	EXPECT_ERRNO(ETIMEDOUT, shmipc_wait_key(none, 200));
	took = mono_ms() - start;
	EXPECT_LE(190, took);
	EXPECT_GT(5000, took);
	EXPECT_ERRNO(ETIMEDOUT, shmipc_wait_key(none, 0));

	EXPECT_ERRNO(EINVAL, shmipc_wait_key(IPC_PRIVATE, 100));
}

/* --- 14. IPC namespaces. --- */

struct ns_arg {
	int fd;			/* the parent's device descriptor */
	int ready[2];		/* child -> parent */
	int go[2];		/* parent -> child: the parent's id, all done */
	key_t parent_key, child_key;
};

static int ns_watcher(void *arg)
{
	struct ns_arg *a = arg;
	struct shmipc_event e;
	int wold, wnew, wkey, dev, id, parent_id;
	char c = 1;

	close(a->ready[0]);
	close(a->go[1]);
	/* Made before the unshare: of the parent's namespace, for good. */
	wold = watch_ns(a->fd);
	CHILD_CHECK(wold >= 0);
	CHILD_CHECK(unshare(CLONE_NEWIPC) == 0);
	dev = open(SHMIPC_DEVICE, O_RDWR | O_CLOEXEC);
	CHILD_CHECK(dev >= 0);
	wnew = watch_ns(dev);
	CHILD_CHECK(wnew >= 0);
	/* The parent's key, in this namespace. */
	wkey = watch_key(dev, a->parent_key);
	CHILD_CHECK(wkey >= 0);

	/* This namespace's own segment: seen by its watcher alone. */
	id = raw_get(dev, a->child_key, page_size(), IPC_CREAT | 0600);
	CHILD_CHECK(id >= 0);
	CHILD_CHECK(read_rec(wnew, &e, NULL, 0) == 0);
	CHILD_CHECK(e.type == SHMIPC_EV_CREATED && e.id == id &&
		    e.key == a->child_key && e.pid == getpid());
	CHILD_CHECK(raw_rmid(dev, id) == 0);
	CHILD_CHECK(read_rec(wnew, &e, NULL, 0) == 0);
	CHILD_CHECK(e.type == SHMIPC_EV_REMOVED && e.id == id);
	CHILD_CHECK(read_rec(wnew, &e, NULL, 0) == 0);
	CHILD_CHECK(e.type == SHMIPC_EV_DESTROYED && e.id == id);

	CHILD_CHECK(write(a->ready[1], &c, 1) == 1);
	CHILD_CHECK(read(a->go[0], &parent_id, sizeof(parent_id)) ==
		    (ssize_t)sizeof(parent_id));

	/* Nothing of the parent's namespace here... */
	CHILD_CHECK_ERR(read_rec(wnew, &e, NULL, 0), EAGAIN);
	CHILD_CHECK_ERR(read_rec(wkey, &e, NULL, 0), EAGAIN);
	/* ...but all of it on the watcher made there. */
	CHILD_CHECK(read_rec(wold, &e, &parent_id, 1) == 0);
	CHILD_CHECK(e.type == SHMIPC_EV_CREATED && e.key == a->parent_key);
	CHILD_CHECK(read_rec(wold, &e, &parent_id, 1) == 0);
	CHILD_CHECK(e.type == SHMIPC_EV_REMOVED && e.key == a->parent_key);
	CHILD_CHECK(read_rec(wold, &e, &parent_id, 1) == 0);
	CHILD_CHECK(e.type == SHMIPC_EV_DESTROYED && e.key == a->parent_key);
	/* And nothing of this one's there. */
	while (read_rec(wold, &e, NULL, 0) == 0)
		CHILD_CHECK(e.key != a->child_key);
	CHILD_CHECK(errno == EAGAIN);
	return 0;
}

TEST_F(events, namespace_apart)
{
	struct ns_arg a = {
		.fd = self->fd, .parent_key = test_key(0),
		.child_key = test_key(1),
	};
	static struct shmipc_event r[MAX_RECS];
	int wn, id, n, i;
	pid_t kid;
	char c;

	if (unshare_probe() < 0)
		SKIP(return, "unshare(CLONE_NEWIPC): %s", strerror(errno));
	wn = watch_ns(self->fd);
	ASSERT_LE(0, wn);
	ASSERT_EQ(0, pipe2(a.ready, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(a.go, O_CLOEXEC));
	kid = spawn(ns_watcher, &a);
	ASSERT_LT(0, kid);
	close(a.ready[1]);
	close(a.go[0]);
	EXPECT_EQ(1, read(a.ready[0], &c, 1)) {
		close(a.go[1]);
		EXPECT_EQ(0, reap(kid));
		return;
	}
	id = new_seg(self, a.parent_key, self->page, 0600);
	ASSERT_LE(0, id);
	ASSERT_EQ(0, raw_rmid(self->fd, id));
	EXPECT_EQ((ssize_t)sizeof(id), write(a.go[1], &id, sizeof(id)));
	close(a.go[1]);
	close(a.ready[0]);
	EXPECT_EQ(0, reap(kid));

	/* Here: this namespace's segment, nothing of the child's. */
	n = collect(wn, r, MAX_RECS);
	ASSERT_LE(0, n) TH_LOG("read: %s", strerror(errno));
	for (i = 0; i < n; i++)
		EXPECT_NE(a.child_key, r[i].key)
			log_rec(_metadata, "of the child's namespace", &r[i]);
	{
		char why[512];

		EXPECT_TRUE(seq_is(r, (unsigned int)n, id,
				   SEQ(SHMIPC_EV_CREATED, SHMIPC_EV_REMOVED,
				       SHMIPC_EV_DESTROYED), why, sizeof(why)))
			TH_LOG("%s", why);
	}
	close(wn);
}

TEST_HARNESS_MAIN

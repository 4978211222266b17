// SPDX-License-Identifier: GPL-2.0
/*
 * SHMIPC_IOC_ATTACHERS: who has a segment attached. One entry per process
 * and access (read-only or read-write), whose nattch counts that
 * process's VMAs of the segment as the segment's nattch counts them: a
 * fork's copy, an mprotect or munmap split, an mremap and a
 * remap_file_pages are followed, and an exit or an exec takes them all.
 * Past the max_attachers parameter, the rest are one OTHERS entry. The
 * entries always add up to the segment's nattch (nothing attaches
 * concurrently here). Also /proc/shmipc/attachers and the library's
 * shmipc_attachers().
 */
#include <limits.h>
#include <pthread.h>
#include <sys/prctl.h>

#include "shmipc_test.h"
#include "kselftest_harness.h"

DEFINE_SLEEPER();

#define MAX_PARAM	"max_attachers"
#define LISTING		"/proc/shmipc/attachers"
/* How long an exec's dropping of the old mm may take to show. */
#define GONE_WITHIN_MS	3000
#define MAX_ENTRIES	64
#define POISON		0xa5


/* --- The ioctl, and what a listing must look like. --- */

/* The ioctl: the number of entries there are, or -1 with errno. */
static int raw_attachers(int fd, int id, void *buf, unsigned int count,
			 uint64_t *nattch)
{
	struct shmipc_attachers arg = {
		.id = id, .count = count, .buf = (uintptr_t)buf,
	};

	if (ioctl(fd, SHMIPC_IOC_ATTACHERS, &arg) < 0)
		return -1;
	if (nattch)
		*nattch = arg.nattch;
	return (int)arg.count;
}

/* A segment's list, or /proc/shmipc/attachers's lines for it. */
struct snap {
	unsigned int n;
	uint64_t nattch;	/* the ioctl's out nattch (a listing: the sum) */
	struct shmipc_attacher e[MAX_ENTRIES];
};

/*
 * The list of @id into @s: 0, or -1 with errno. The buffer is poisoned
 * first, so that a field the module did not write shows.
 */
static int fetch(int fd, int id, struct snap *s)
{
	int n;

	memset(s, POISON, sizeof(*s));
	n = raw_attachers(fd, id, s->e, MAX_ENTRIES, &s->nattch);
	if (n < 0)
		return -1;
	if (n > MAX_ENTRIES) {
		errno = E2BIG;
		return -1;
	}
	s->n = (unsigned int)n;
	return 0;
}

static bool is_others(const struct shmipc_attacher *e)
{
	return e->flags & SHMIPC_ATTACHER_OTHERS;
}

/*
 * What every list must be: known flags only, zero reserved, no empty
 * entry, at most one OTHERS entry, last, with pid 0; one entry per
 * visible process and access; sane times; and the entries add up to the
 * segment's nattch. Returns true, or false with the reason in @why.
 */
static bool snap_sane(const struct snap *s, char *why, size_t len)
{
	time_t now = time(NULL);
	uint64_t sum = 0;
	unsigned int i, j;

	for (i = 0; i < s->n; i++) {
		const struct shmipc_attacher *e = &s->e[i];

		sum += e->nattch;
		if (e->flags & ~(SHMIPC_ATTACHER_RDONLY |
				 SHMIPC_ATTACHER_OTHERS)) {
			snprintf(why, len, "entry %u: unknown flags %#x", i,
				 e->flags);
			return false;
		}
		if (e->reserved) {
			snprintf(why, len, "entry %u: reserved %#llx", i,
				 (unsigned long long)e->reserved);
			return false;
		}
		if (!e->nattch) {
			snprintf(why, len, "entry %u: nattch 0", i);
			return false;
		}
		if (e->pid < 0) {
			snprintf(why, len, "entry %u: pid %d", i, e->pid);
			return false;
		}
		if (is_others(e)) {
			if (i != s->n - 1 || e->pid != 0 ||
			    e->flags != SHMIPC_ATTACHER_OTHERS) {
				snprintf(why, len, "entry %u: OTHERS (pid %d, "
					 "flags %#x) not the last with pid 0",
					 i, e->pid, e->flags);
				return false;
			}
			continue;
		}
		if (e->atime <= 0 || e->atime > (int64_t)now + 1) {
			snprintf(why, len, "entry %u: atime %lld, now %lld", i,
				 (long long)e->atime, (long long)now);
			return false;
		}
		for (j = 0; j < i && e->pid; j++)
			if (s->e[j].pid == e->pid && s->e[j].flags == e->flags) {
				snprintf(why, len, "entries %u and %u: both "
					 "pid %d flags %#x", j, i, e->pid,
					 e->flags);
				return false;
			}
	}
	if (sum != s->nattch) {
		snprintf(why, len, "entries add up to %llu, nattch %llu",
			 (unsigned long long)sum,
			 (unsigned long long)s->nattch);
		return false;
	}
	return true;
}

/* The entry of process @pid for access @rdonly, or NULL. */
static const struct shmipc_attacher *find(const struct snap *s, pid_t pid,
					  bool rdonly)
{
	for (unsigned int i = 0; i < s->n; i++)
		if (!is_others(&s->e[i]) && s->e[i].pid == pid &&
		    !(s->e[i].flags & SHMIPC_ATTACHER_RDONLY) == !rdonly)
			return &s->e[i];
	return NULL;
}

/* That entry's nattch, 0 without one. */
static uint64_t nattch_in(const struct snap *s, pid_t pid, bool rdonly)
{
	const struct shmipc_attacher *e = find(s, pid, rdonly);

	return e ? e->nattch : 0;
}

static uint64_t others_in(const struct snap *s)
{
	return s->n && is_others(&s->e[s->n - 1]) ? s->e[s->n - 1].nattch : 0;
}

/* Entries of processes not visible here (pid 0), OTHERS aside. */
static unsigned int invisible(const struct snap *s)
{
	unsigned int i, n = 0;

	for (i = 0; i < s->n; i++)
		n += !is_others(&s->e[i]) && !s->e[i].pid;
	return n;
}

static bool same_entry(const struct shmipc_attacher *a,
		       const struct shmipc_attacher *b)
{
	return a->pid == b->pid && a->flags == b->flags &&
	       a->nattch == b->nattch &&
	       (is_others(a) || a->atime == b->atime);
}

/* Are @a's entries @b's, in any order? */
static bool same_entries(const struct snap *a, const struct snap *b)
{
	bool used[MAX_ENTRIES] = { false };
	unsigned int i, j;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++) {
		for (j = 0; j < b->n; j++)
			if (!used[j] && same_entry(&a->e[i], &b->e[j]))
				break;
		if (j == b->n)
			return false;
		used[j] = true;
	}
	return true;
}

/* Is every byte of @p POISON? */
static bool untouched(const void *p, size_t len)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < len; i++)
		if (c[i] != POISON)
			return false;
	return true;
}

static void log_snap(struct __test_metadata *_metadata, const char *what,
		     const struct snap *s)
{
	TH_LOG("%s: %u entries, nattch %llu", what, s->n,
	       (unsigned long long)s->nattch);
	for (unsigned int i = 0; i < s->n && i < MAX_ENTRIES; i++)
		TH_LOG("  pid %d flags %#x nattch %llu atime %lld reserved %#llx",
		       s->e[i].pid, s->e[i].flags,
		       (unsigned long long)s->e[i].nattch,
		       (long long)s->e[i].atime,
		       (unsigned long long)s->e[i].reserved);
}

/*
 * The list of @id, which must be sane and agree with IPC_STAT's nattch
 * (nothing attaches meanwhile in these tests).
 */
static void snap_checked(struct __test_metadata *_metadata, int fd, int id,
			 struct snap *s)
{
	struct shmipc_ds ds;
	char why[160] = "";
	bool sane;

	ASSERT_EQ(0, fetch(fd, id, s))
		TH_LOG("SHMIPC_IOC_ATTACHERS of %d: %s", id, strerror(errno));
	sane = snap_sane(s, why, sizeof(why));
	EXPECT_TRUE(sane) TH_LOG("segment %d: %s", id, why);
	ASSERT_EQ(0, raw_stat(fd, id, &ds));
	EXPECT_EQ(ds.nattch, s->nattch);
	if (!sane || ds.nattch != s->nattch)
		log_snap(_metadata, "the list", s);
}

#define SNAP(s, id)	snap_checked(_metadata, self->fd, (id), (s))

/* --- /proc/shmipc/attachers --- */

/*
 * The listing's lines for segment @id into @l (nattch: their sum), the
 * header into @header. 0, or -1 with errno (EPROTO: a line that does not
 * parse, copied into @header).
 */
static int read_listing(int id, struct snap *l, char *header, size_t hlen)
{
	char line[256], mode[16];
	unsigned long long nattch;
	long long atime;
	int sid, pid;
	FILE *f;

	memset(l, 0, sizeof(*l));
	f = fopen(LISTING, "re");
	if (!f)
		return -1;
	if (!fgets(header, (int)hlen, f)) {
		fclose(f);
		errno = ENODATA;
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct shmipc_attacher *e;

		if (sscanf(line, "%d %d %15s %llu %lld", &sid, &pid, mode,
			   &nattch, &atime) != 5)
			goto bad;
		if (sid != id)
			continue;
		if (l->n == MAX_ENTRIES) {
			fclose(f);
			errno = E2BIG;
			return -1;
		}
		e = &l->e[l->n++];
		e->pid = pid;
		e->nattch = nattch;
		e->atime = atime;
		if (!strcmp(mode, "rw"))
			e->flags = 0;
		else if (!strcmp(mode, "ro"))
			e->flags = SHMIPC_ATTACHER_RDONLY;
		else if (!strcmp(mode, "others"))
			e->flags = SHMIPC_ATTACHER_OTHERS;
		else
			goto bad;
		l->nattch += nattch;
	}
	fclose(f);
	return 0;
bad:
	snprintf(header, hlen, "%s", line);
	fclose(f);
	errno = EPROTO;
	return -1;
}

/* The listing's lines for @id must be the ioctl's entries. */
static void listing_matches(struct __test_metadata *_metadata, int fd, int id)
{
	struct snap s, l;
	char header[256];

	snap_checked(_metadata, fd, id, &s);
	ASSERT_EQ(0, read_listing(id, &l, header, sizeof(header)))
		TH_LOG("%s: %s%s%s", LISTING, strerror(errno),
		       errno == EPROTO ? ": " : "",
		       errno == EPROTO ? header : "");
	EXPECT_NE(NULL, strstr(header, "pid")) TH_LOG("header: %s", header);
	EXPECT_NE(NULL, strstr(header, "nattch")) TH_LOG("header: %s", header);
	EXPECT_TRUE(same_entries(&s, &l)) {
		log_snap(_metadata, "the ioctl", &s);
		log_snap(_metadata, LISTING, &l);
	}
	EXPECT_EQ(s.nattch, l.nattch);
}

/* --- Children that stay, attached, until told to go. --- */

struct kid {
	pid_t pid;
	int go;		/* write end: a byte says what to do; EOF: exit */
};

#define KID_QUIT	'q'
#define KID_EXEC	'e'

typedef int (*kid_fn)(void *arg);

/*
 * Forks a child that runs @fn(@arg) (if not NULL: a fork alone copies
 * this process's attachments), reports its result and waits: it exits at
 * KID_QUIT or EOF, and at KID_EXEC runs this program again, which then
 * sleeps. It dies with this process, whatever becomes of the test.
 * Returns what @fn returned (0: fine), or -1.
 */
static int start_kid(struct kid *k, kid_fn fn, void *arg)
{
	int ready[2], go[2];
	char c;

	k->pid = -1;
	k->go = -1;
	if (pipe2(ready, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(go, O_CLOEXEC) < 0) {
		close(ready[0]);
		close(ready[1]);
		return -1;
	}
	fflush(NULL);
	k->pid = fork();
	if (k->pid == 0) {
		close(ready[0]);
		close(go[1]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		c = fn ? (char)fn(arg) : 0;
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		if (read(go[0], &c, 1) == 1 && c == KID_EXEC) {
			setenv(SLEEPER_ENV, "1", 1);
			execl("/proc/self/exe", "attachers_test", (char *)NULL);
			_exit(1);
		}
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	if (k->pid < 0) {
		close(ready[0]);
		close(go[1]);
		return -1;
	}
	k->go = go[1];
	if (read(ready[0], &c, 1) != 1)
		c = -1;
	close(ready[0]);
	return c;
}

/* Tells @k to exit and reaps it: its exit status (0), or -1. */
static int stop_kid(struct kid *k)
{
	char c = KID_QUIT;
	int status;

	if (k->pid <= 0)
		return -1;
	if (k->go >= 0) {
		if (write(k->go, &c, 1) != 1)
			kill(k->pid, SIGKILL);
		close(k->go);
		k->go = -1;
	}
	if (waitpid(k->pid, &status, 0) != k->pid)
		return -1;
	k->pid = -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) :
				   128 + WTERMSIG(status);
}

/* A kid's attachments of its own: @rw read-write, @ro read-only. */
struct at_arg {
	int fd;
	int id;
	unsigned int rw, ro;
};

static int attach_kid(void *arg)
{
	const struct at_arg *a = arg;
	unsigned int i;

	for (i = 0; i < a->rw; i++)
		CHILD_CHECK(raw_at(a->fd, a->id, NULL, 0, NULL) != MAP_FAILED);
	for (i = 0; i < a->ro; i++)
		CHILD_CHECK(raw_at(a->fd, a->id, NULL, SHM_RDONLY, NULL) !=
			    MAP_FAILED);
	return 0;
}

/* --- The fixture. --- */

FIXTURE(attachers) {
	int fd;
	size_t page;
	struct seg_list segs;
	char saved_max[32];	/* max_attachers, to restore */
	bool restore_max;
};

FIXTURE_SETUP(attachers)
{
	struct shmipc_version v = { 0 };

	self->fd = -1;
	self->page = page_size();
	self->restore_max = false;
	OPEN_DEVICE_OR_SKIP(self->fd);
	ASSERT_EQ(0, ioctl(self->fd, SHMIPC_IOC_VERSION, &v));
	ASSERT_NE(0ULL, v.features & SHMIPC_FEATURE_ATTACHERS)
		TH_LOG("features %#llx", (unsigned long long)v.features);
}

FIXTURE_TEARDOWN(attachers)
{
	if (self->restore_max &&
	    write_param(MAX_PARAM, self->saved_max) < 0)
		TH_LOG("could not restore %s to %s", MAX_PARAM,
		       self->saved_max);
	seg_cleanup(self->fd, &self->segs);
	if (self->fd >= 0)
		close(self->fd);
}

/* A new segment of @size bytes, removed by the teardown. */
static int new_seg(FIXTURE_DATA(attachers) *self, size_t size, int mode)
{
	return seg_track(&self->segs, raw_get(self->fd, IPC_PRIVATE, size,
					      IPC_CREAT | mode));
}

/* Waits until time(NULL) is past @t: what is made next is a later second. */
static void wait_past(int64_t t)
{
	while ((int64_t)time(NULL) <= t)
		usleep(10 * 1000);
}

/* --- The ABI. --- */

TEST_F(attachers, abi_layout)
{
	EXPECT_EQ(32U, sizeof(struct shmipc_attacher));
	EXPECT_EQ(32U, sizeof(struct shmipc_attachers));
	EXPECT_EQ(0x05U, _IOC_NR(SHMIPC_IOC_ATTACHERS));
	EXPECT_EQ((unsigned int)SHMIPC_IOC_MAGIC,
		  _IOC_TYPE(SHMIPC_IOC_ATTACHERS));
	EXPECT_EQ(sizeof(struct shmipc_attachers),
		  _IOC_SIZE(SHMIPC_IOC_ATTACHERS));
	EXPECT_EQ((unsigned int)(_IOC_READ | _IOC_WRITE),
		  _IOC_DIR(SHMIPC_IOC_ATTACHERS));
	EXPECT_EQ(SHMIPC_ATTACHER_RDONLY, SHMIPC_ATTACHED_RDONLY);
	EXPECT_EQ(SHMIPC_ATTACHER_OTHERS, SHMIPC_ATTACHED_OTHERS);
}

/* --- 1. Nothing attached. --- */

TEST_F(attachers, empty_segment_has_no_entries)
{
	struct shmipc_attachers arg;
	struct shmipc_attacher buf[4];
	uint64_t nattch = 1;
	char *p;
	int id = new_seg(self, self->page, 0600);

	ASSERT_LE(0, id);
	/* The ioctl returns 0, not the count. */
	arg = (struct shmipc_attachers){ .id = id, .count = 0, .buf = 0 };
	EXPECT_EQ(0, ioctl(self->fd, SHMIPC_IOC_ATTACHERS, &arg));
	EXPECT_EQ(0U, arg.count);
	EXPECT_EQ(0ULL, arg.nattch);

	/* Room given and none used: the buffer is not written. */
	memset(buf, POISON, sizeof(buf));
	EXPECT_EQ(0, raw_attachers(self->fd, id, buf, ARRAY_SIZE(buf),
				   &nattch));
	EXPECT_EQ(0ULL, nattch);
	EXPECT_TRUE(untouched(buf, sizeof(buf)));

	/* count 0 and no buffer: just how many there are. */
	p = raw_at(self->fd, id, NULL, 0, NULL);
	ASSERT_NE(MAP_FAILED, p);
	arg = (struct shmipc_attachers){ .id = id, .count = 0, .buf = 0 };
	EXPECT_EQ(0, ioctl(self->fd, SHMIPC_IOC_ATTACHERS, &arg));
	EXPECT_EQ(1U, arg.count);
	EXPECT_EQ(1ULL, arg.nattch);
	EXPECT_EQ(0, raw_dt(self->fd, p));
	EXPECT_EQ(0, raw_attachers(self->fd, id, NULL, 0, &nattch));
	EXPECT_EQ(0ULL, nattch);
}

/* --- 2. This process's own attachments. --- */

TEST_F(attachers, own_attachments_one_entry_per_access)
{
	const struct shmipc_attacher *e;
	int64_t rw_atime, ro_atime;
	char *p, *q, *m, *r;
	time_t t0, t1;
	struct snap s;
	int id = new_seg(self, self->page, 0600);

	ASSERT_LE(0, id);
	t0 = time(NULL);
	p = raw_at(self->fd, id, NULL, 0, NULL);
	ASSERT_NE(MAP_FAILED, p);
	t1 = time(NULL);
	SNAP(&s, id);
	ASSERT_EQ(1U, s.n);
	EXPECT_EQ(1ULL, s.nattch);
	e = &s.e[0];
	EXPECT_EQ(getpid(), e->pid);
	EXPECT_EQ(0U, e->flags);
	EXPECT_EQ(1ULL, e->nattch);
	EXPECT_LE((int64_t)t0 - 1, e->atime);
	EXPECT_GE((int64_t)t1 + 1, e->atime);
	rw_atime = e->atime;

	/* Read-only is another entry, made later. */
	wait_past(rw_atime);
	q = raw_at(self->fd, id, NULL, SHM_RDONLY, NULL);
	ASSERT_NE(MAP_FAILED, q);
	SNAP(&s, id);
	EXPECT_EQ(2U, s.n);
	EXPECT_EQ(2ULL, s.nattch);
	e = find(&s, getpid(), true);
	ASSERT_NE(NULL, e);
	EXPECT_EQ((unsigned int)SHMIPC_ATTACHER_RDONLY, e->flags);
	EXPECT_EQ(1ULL, e->nattch);
	EXPECT_LT(rw_atime, e->atime);
	ro_atime = e->atime;
	e = find(&s, getpid(), false);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(1ULL, e->nattch);
	EXPECT_EQ(rw_atime, e->atime);

	/*
	 * A plain mmap of the device counts in the entry of its access; an
	 * entry keeps the time of its first attachment.
	 */
	wait_past(ro_atime);
	m = mmap_segment(self->fd, id, self->page, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, m);
	SNAP(&s, id);
	EXPECT_EQ(2U, s.n);
	EXPECT_EQ(3ULL, s.nattch);
	EXPECT_EQ(2ULL, nattch_in(&s, getpid(), false));
	EXPECT_EQ(1ULL, nattch_in(&s, getpid(), true));
	e = find(&s, getpid(), false);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(rw_atime, e->atime);
	r = mmap_segment(self->fd, id, self->page, PROT_READ);
	ASSERT_NE(MAP_FAILED, r);
	SNAP(&s, id);
	EXPECT_EQ(2U, s.n);
	EXPECT_EQ(4ULL, s.nattch);
	EXPECT_EQ(2ULL, nattch_in(&s, getpid(), true));
	e = find(&s, getpid(), true);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(ro_atime, e->atime);

	/* An entry stays until its last attachment goes. */
	EXPECT_EQ(0, raw_dt(self->fd, q));
	SNAP(&s, id);
	EXPECT_EQ(2U, s.n);
	EXPECT_EQ(1ULL, nattch_in(&s, getpid(), true));
	EXPECT_EQ(0, munmap(r, self->page));
	SNAP(&s, id);
	EXPECT_EQ(1U, s.n);
	EXPECT_EQ(NULL, find(&s, getpid(), true));
	EXPECT_EQ(2ULL, nattch_in(&s, getpid(), false));
	EXPECT_EQ(0, raw_dt(self->fd, p));
	EXPECT_EQ(0, munmap(m, self->page));
	SNAP(&s, id);
	EXPECT_EQ(0U, s.n);
	EXPECT_EQ(0ULL, s.nattch);
}

TEST_F(attachers, segments_are_listed_apart)
{
	struct snap s;
	int a = new_seg(self, self->page, 0600);
	int b = new_seg(self, 2 * self->page, 0600);

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_NE(MAP_FAILED, raw_at(self->fd, a, NULL, 0, NULL));
	ASSERT_NE(MAP_FAILED, raw_at(self->fd, b, NULL, SHM_RDONLY, NULL));
	ASSERT_NE(MAP_FAILED, mmap_segment(self->fd, b, self->page, PROT_READ));
	SNAP(&s, a);
	EXPECT_EQ(1U, s.n);
	EXPECT_EQ(1ULL, nattch_in(&s, getpid(), false));
	SNAP(&s, b);
	EXPECT_EQ(1U, s.n);
	EXPECT_EQ(2ULL, nattch_in(&s, getpid(), true));
}

static void *thread_attaches(void *arg)
{
	struct at_arg *a = arg;

	if (raw_at(a->fd, a->id, NULL, 0, NULL) == MAP_FAILED ||
	    raw_at(a->fd, a->id, NULL, SHM_RDONLY, NULL) == MAP_FAILED)
		a->rw = 0;
	return NULL;
}

/* The entry is the process's (its tgid), whichever thread attached. */
TEST_F(attachers, threads_share_their_process_entry)
{
	struct at_arg a = { .fd = self->fd, .rw = 1 };
	pthread_t thread;
	struct snap s;

	a.id = new_seg(self, self->page, 0600);
	ASSERT_LE(0, a.id);
	ASSERT_NE(MAP_FAILED, raw_at(self->fd, a.id, NULL, 0, NULL));
	ASSERT_EQ(0, pthread_create(&thread, NULL, thread_attaches, &a));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	ASSERT_EQ(1U, a.rw) TH_LOG("the thread could not attach");
	/* The thread is gone; its attachments are the process's still. */
	SNAP(&s, a.id);
	EXPECT_EQ(2U, s.n);
	EXPECT_EQ(2ULL, nattch_in(&s, getpid(), false));
	EXPECT_EQ(1ULL, nattch_in(&s, getpid(), true));
}

/* --- 3. fork and exec. --- */

/* In a fork's child: its own entries and its parent's, as it sees them. */
struct view_arg {
	int fd, id;
	pid_t parent;
	uint64_t rw, ro;	/* each process's */
};

static int kid_sees_both(void *arg)
{
	const struct view_arg *a = arg;
	char why[160];
	struct snap s;

	CHILD_CHECK(fetch(a->fd, a->id, &s) == 0);
	CHILD_CHECK(snap_sane(&s, why, sizeof(why)) ||
		    !fprintf(stderr, "# %s\n", why));
	CHILD_CHECK(nattch_in(&s, getpid(), false) == a->rw);
	CHILD_CHECK(nattch_in(&s, getpid(), true) == a->ro);
	CHILD_CHECK(nattch_in(&s, a->parent, false) == a->rw);
	CHILD_CHECK(nattch_in(&s, a->parent, true) == a->ro);
	return 0;
}

TEST_F(attachers, fork_child_has_an_entry_of_its_own)
{
	struct view_arg a = {
		.fd = self->fd, .parent = getpid(), .rw = 2, .ro = 1,
	};
	struct shmipc_attacher mine_rw, mine_ro;
	const struct shmipc_attacher *e;
	struct snap s;
	struct kid k;

	a.id = new_seg(self, self->page, 0600);
	ASSERT_LE(0, a.id);
	ASSERT_NE(MAP_FAILED, raw_at(self->fd, a.id, NULL, 0, NULL));
	ASSERT_NE(MAP_FAILED, raw_at(self->fd, a.id, NULL, 0, NULL));
	ASSERT_NE(MAP_FAILED, raw_at(self->fd, a.id, NULL, SHM_RDONLY, NULL));
	SNAP(&s, a.id);
	ASSERT_EQ(2U, s.n);
	ASSERT_NE(NULL, find(&s, getpid(), false));
	ASSERT_NE(NULL, find(&s, getpid(), true));
	mine_rw = *find(&s, getpid(), false);
	mine_ro = *find(&s, getpid(), true);

	/* The child's entries are made by the fork, a second later. */
	wait_past(mine_rw.atime > mine_ro.atime ? mine_rw.atime : mine_ro.atime);
	ASSERT_EQ(0, start_kid(&k, kid_sees_both, &a));
	SNAP(&s, a.id);
	EXPECT_EQ(4U, s.n);
	EXPECT_EQ(6ULL, s.nattch);
	e = find(&s, k.pid, false);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(2ULL, e->nattch);
	EXPECT_EQ(0U, e->flags);
	EXPECT_LT(mine_rw.atime, e->atime);
	e = find(&s, k.pid, true);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(1ULL, e->nattch);
	EXPECT_LT(mine_ro.atime, e->atime);
	/* The parent's are as they were. */
	ASSERT_NE(NULL, find(&s, getpid(), false));
	ASSERT_NE(NULL, find(&s, getpid(), true));
	EXPECT_TRUE(same_entry(&mine_rw, find(&s, getpid(), false)));
	EXPECT_TRUE(same_entry(&mine_ro, find(&s, getpid(), true)));

	/* The child exits: its entries go, the parent's stay. */
	EXPECT_EQ(0, stop_kid(&k));
	SNAP(&s, a.id);
	EXPECT_EQ(2U, s.n);
	EXPECT_EQ(3ULL, s.nattch);
	ASSERT_NE(NULL, find(&s, getpid(), false));
	ASSERT_NE(NULL, find(&s, getpid(), true));
	EXPECT_TRUE(same_entry(&mine_rw, find(&s, getpid(), false)));
	EXPECT_TRUE(same_entry(&mine_ro, find(&s, getpid(), true)));
}

TEST_F(attachers, dontfork_attachment_is_not_inherited)
{
	struct snap s;
	struct kid k;
	char *q;
	int id = new_seg(self, self->page, 0600);

	ASSERT_LE(0, id);
	ASSERT_NE(MAP_FAILED, raw_at(self->fd, id, NULL, 0, NULL));
	q = raw_at(self->fd, id, NULL, SHM_RDONLY, NULL);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0, madvise(q, self->page, MADV_DONTFORK));
	ASSERT_EQ(0, start_kid(&k, NULL, NULL));
	SNAP(&s, id);
	EXPECT_EQ(3U, s.n);
	EXPECT_EQ(1ULL, nattch_in(&s, k.pid, false));
	EXPECT_EQ(NULL, find(&s, k.pid, true));
	EXPECT_EQ(1ULL, nattch_in(&s, getpid(), true));
	EXPECT_EQ(0, stop_kid(&k));
}

TEST_F(attachers, exec_drops_the_childs_entry)
{
	struct snap s;
	long start;
	struct kid k;
	int status;
	int id = new_seg(self, self->page, 0600);

	ASSERT_LE(0, id);
	ASSERT_NE(MAP_FAILED, raw_at(self->fd, id, NULL, 0, NULL));
	ASSERT_NE(MAP_FAILED, raw_at(self->fd, id, NULL, SHM_RDONLY, NULL));
	ASSERT_EQ(0, start_kid(&k, NULL, NULL));
	SNAP(&s, id);
	EXPECT_EQ(4U, s.n);
	EXPECT_EQ(1ULL, nattch_in(&s, k.pid, false));
	EXPECT_EQ(1ULL, nattch_in(&s, k.pid, true));

	ASSERT_EQ(1, write(k.go, (char[]){ KID_EXEC }, 1));
	start = mono_ms();
	do {
		usleep(5 * 1000);
		SNAP(&s, id);
	} while (s.n > 2 && mono_ms() - start < GONE_WITHIN_MS);
	EXPECT_EQ(2U, s.n) TH_LOG("the exec'd child's entries stay");
	EXPECT_EQ(NULL, find(&s, k.pid, false));
	EXPECT_EQ(NULL, find(&s, k.pid, true));
	EXPECT_EQ(1ULL, nattch_in(&s, getpid(), false));
	EXPECT_EQ(1ULL, nattch_in(&s, getpid(), true));
	EXPECT_EQ(2ULL, s.nattch);
	/* Running still, another program: it was the exec, not an exit. */
	EXPECT_EQ(0, waitpid(k.pid, &status, WNOHANG))
		TH_LOG("the child did not exec: status %#x", status);
	kill(k.pid, SIGKILL);
	waitpid(k.pid, &status, 0);
	close(k.go);
}

/* --- 4. Splits and moves. --- */

TEST_F(attachers, mprotect_split_counts_each_piece)
{
	const struct shmipc_attacher *e;
	int64_t atime;
	struct snap s;
	char *p;
	int id = new_seg(self, 4 * self->page, 0600);

	ASSERT_LE(0, id);
	p = raw_at(self->fd, id, NULL, 0, NULL);
	ASSERT_NE(MAP_FAILED, p);
	SNAP(&s, id);
	ASSERT_EQ(1U, s.n);
	atime = s.e[0].atime;

	/* Three VMAs, of a read-write attachment still. */
	ASSERT_EQ(0, mprotect(p + self->page, self->page, PROT_READ));
	SNAP(&s, id);
	EXPECT_EQ(1U, s.n);
	EXPECT_EQ(3ULL, s.nattch);
	e = find(&s, getpid(), false);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(3ULL, e->nattch);
	EXPECT_EQ(atime, e->atime);
	EXPECT_EQ(NULL, find(&s, getpid(), true));

	/* Back to read-write: merged or not, the counts agree. */
	ASSERT_EQ(0, mprotect(p + self->page, self->page,
			      PROT_READ | PROT_WRITE));
	SNAP(&s, id);
	EXPECT_EQ(1U, s.n);
	EXPECT_LE(1ULL, nattch_in(&s, getpid(), false));
	EXPECT_GE(3ULL, nattch_in(&s, getpid(), false));

	/* A read-only attachment split by PROT_NONE: its entry counts three. */
	ASSERT_EQ(0, munmap(p, 4 * self->page));
	SNAP(&s, id);
	EXPECT_EQ(0U, s.n);
	EXPECT_EQ(0ULL, s.nattch);
	p = raw_at(self->fd, id, NULL, SHM_RDONLY, NULL);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, mprotect(p + 2 * self->page, self->page, PROT_NONE));
	SNAP(&s, id);
	EXPECT_EQ(1U, s.n);
	EXPECT_EQ(3ULL, nattch_in(&s, getpid(), true));
	ASSERT_EQ(0, munmap(p, 4 * self->page));
	SNAP(&s, id);
	EXPECT_EQ(0U, s.n);
	EXPECT_EQ(0ULL, s.nattch);
}

TEST_F(attachers, munmap_pieces_count_until_the_last)
{
	const size_t pg = self->page;
	int64_t atime;
	struct snap s;
	char *p;
	int id = new_seg(self, 4 * pg, 0600);

	ASSERT_LE(0, id);
	p = raw_at(self->fd, id, NULL, 0, NULL);
	ASSERT_NE(MAP_FAILED, p);
	SNAP(&s, id);
	ASSERT_EQ(1U, s.n);
	atime = s.e[0].atime;

	/* A hole: two pieces. */
	ASSERT_EQ(0, munmap(p + pg, pg));
	SNAP(&s, id);
	EXPECT_EQ(1U, s.n);
	EXPECT_EQ(2ULL, nattch_in(&s, getpid(), false));
	/* The tail shrinks: still two. */
	ASSERT_EQ(0, munmap(p + 3 * pg, pg));
	SNAP(&s, id);
	EXPECT_EQ(2ULL, nattch_in(&s, getpid(), false));
	/* One piece goes, then the other, and the entry with it. */
	ASSERT_EQ(0, munmap(p, pg));
	SNAP(&s, id);
	EXPECT_EQ(1U, s.n);
	EXPECT_EQ(1ULL, nattch_in(&s, getpid(), false));
	ASSERT_NE(NULL, find(&s, getpid(), false));
	EXPECT_EQ(atime, find(&s, getpid(), false)->atime);
	ASSERT_EQ(0, munmap(p + 2 * pg, pg));
	SNAP(&s, id);
	EXPECT_EQ(0U, s.n);
	EXPECT_EQ(0ULL, s.nattch);
}

TEST_F(attachers, mremap_keeps_the_count)
{
	const size_t pg = self->page;
	char *p, *q, *r, *dst;
	int64_t atime;
	struct snap s;
	int id = new_seg(self, 2 * pg, 0600);

	ASSERT_LE(0, id);
	p = raw_at(self->fd, id, NULL, 0, NULL);
	ASSERT_NE(MAP_FAILED, p);
	SNAP(&s, id);
	ASSERT_EQ(1U, s.n);
	atime = s.e[0].atime;

	/* Moved whole, to a reserved place: the same attachment. */
	dst = mmap(NULL, 2 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst);
	q = mremap(p, 2 * pg, 2 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ASSERT_EQ(dst, q);
	SNAP(&s, id);
	EXPECT_EQ(1U, s.n);
	EXPECT_EQ(1ULL, s.nattch);
	EXPECT_EQ(1ULL, nattch_in(&s, getpid(), false));
	ASSERT_NE(NULL, find(&s, getpid(), false));
	EXPECT_EQ(atime, find(&s, getpid(), false)->atime);

	/* Half of it moved: two pieces, as nattch counts them. */
	dst = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst);
	r = mremap(q, pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ASSERT_EQ(dst, r);
	SNAP(&s, id);
	EXPECT_EQ(1U, s.n);
	EXPECT_EQ(2ULL, nattch_in(&s, getpid(), false));

	/* Grown, in place or moved: still one attachment. */
	r = mremap(r, pg, 2 * pg, MREMAP_MAYMOVE);
	ASSERT_NE(MAP_FAILED, r);
	SNAP(&s, id);
	EXPECT_EQ(2ULL, nattch_in(&s, getpid(), false));

	ASSERT_EQ(0, munmap(q + pg, pg));
	ASSERT_EQ(0, munmap(r, 2 * pg));
	SNAP(&s, id);
	EXPECT_EQ(0U, s.n);
	EXPECT_EQ(0ULL, s.nattch);
}

TEST_F(attachers, remap_file_pages_keeps_entries_and_access)
{
	const size_t pg = self->page;
	struct snap s;
	char *p, *q;
	int a = new_seg(self, pg, 0600);
	int b = new_seg(self, 2 * pg, 0600);

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);

	/*
	 * A read-only shmat() maps a read-only file, which loses VM_SHARED,
	 * so remap_file_pages() refuses it, as SysV's; a read-only plain
	 * mmap of the device keeps VM_SHARED and is remapped. Either way it
	 * stays read-only, and one.
	 */
	q = raw_at(self->fd, a, NULL, SHM_RDONLY, NULL);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_ERRNO(EINVAL, remap_file_pages(q, pg, 0, 0, 0));
	ASSERT_EQ(0, munmap(q, pg));
	q = mmap_segment(self->fd, a, pg, PROT_READ);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0, remap_file_pages(q, pg, 0, 0, 0))
		TH_LOG("remap_file_pages: %s", strerror(errno));
	SNAP(&s, a);
	EXPECT_EQ(1U, s.n);
	EXPECT_EQ(1ULL, s.nattch);
	EXPECT_EQ(1ULL, nattch_in(&s, getpid(), true));
	EXPECT_EQ(NULL, find(&s, getpid(), false));

	/* A page of a read-write one remapped to the other page. */
	p = raw_at(self->fd, b, NULL, 0, NULL);
	ASSERT_NE(MAP_FAILED, p);
	p[pg] = 'x';
	ASSERT_EQ(0, remap_file_pages(p, pg, 0, 1, 0))
		TH_LOG("remap_file_pages: %s", strerror(errno));
	EXPECT_EQ('x', p[0]);
	SNAP(&s, b);
	EXPECT_EQ(1U, s.n);
	EXPECT_LE(1ULL, nattch_in(&s, getpid(), false));
	EXPECT_EQ(NULL, find(&s, getpid(), true));

	/* Whatever pieces it made, unmapping the range takes them all. */
	ASSERT_EQ(0, munmap(p, 2 * pg));
	SNAP(&s, b);
	EXPECT_EQ(0U, s.n);
	EXPECT_EQ(0ULL, s.nattch);
	ASSERT_EQ(0, munmap(q, pg));
	SNAP(&s, a);
	EXPECT_EQ(0U, s.n);
	EXPECT_EQ(0ULL, s.nattch);
}

/* --- 5. Detach, exit, kill. --- */

TEST_F(attachers, detach_exit_and_kill_remove_entries)
{
	struct at_arg a = { .fd = self->fd, .rw = 1, .ro = 1 };
	struct snap s;
	struct kid k;
	int status;
	char *p, *q;

	a.id = new_seg(self, self->page, 0600);
	ASSERT_LE(0, a.id);
	p = raw_at(self->fd, a.id, NULL, 0, NULL);
	ASSERT_NE(MAP_FAILED, p);
	q = raw_at(self->fd, a.id, NULL, 0, NULL);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_EQ(0, raw_dt(self->fd, p));
	SNAP(&s, a.id);
	EXPECT_EQ(1U, s.n);
	EXPECT_EQ(1ULL, nattch_in(&s, getpid(), false));
	EXPECT_EQ(0, shmipc_dt(q));
	SNAP(&s, a.id);
	EXPECT_EQ(0U, s.n);
	EXPECT_EQ(0ULL, s.nattch);

	/* A child's own attachments go with its exit... */
	ASSERT_EQ(0, start_kid(&k, attach_kid, &a));
	SNAP(&s, a.id);
	EXPECT_EQ(2U, s.n);
	EXPECT_EQ(1ULL, nattch_in(&s, k.pid, false));
	EXPECT_EQ(1ULL, nattch_in(&s, k.pid, true));
	EXPECT_EQ(0, stop_kid(&k));
	SNAP(&s, a.id);
	EXPECT_EQ(0U, s.n);
	EXPECT_EQ(0ULL, s.nattch);

	/* ...and with its death by SIGKILL. */
	ASSERT_EQ(0, start_kid(&k, attach_kid, &a));
	SNAP(&s, a.id);
	EXPECT_EQ(2U, s.n);
	ASSERT_EQ(0, kill(k.pid, SIGKILL));
	ASSERT_EQ(k.pid, waitpid(k.pid, &status, 0));
	close(k.go);
	SNAP(&s, a.id);
	EXPECT_EQ(0U, s.n);
	EXPECT_EQ(0ULL, s.nattch);
}

TEST_F(attachers, removed_segment_lists_until_its_last_detach)
{
	struct snap s;
	char *p;
	int id = new_seg(self, self->page, 0600);

	ASSERT_LE(0, id);
	p = raw_at(self->fd, id, NULL, 0, NULL);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, raw_rmid(self->fd, id));
	SNAP(&s, id);
	EXPECT_EQ(1U, s.n);
	EXPECT_EQ(1ULL, nattch_in(&s, getpid(), false));
	EXPECT_EQ(0, raw_dt(self->fd, p));
	EXPECT_ERRNO(EINVAL, raw_attachers(self->fd, id, NULL, 0, NULL));
}

/* --- 6. Less room than entries. --- */

TEST_F(attachers, short_buffer_gets_the_first_entries_and_the_count)
{
	static const unsigned int rooms[] = { 0, 1, 2, 3, 4, 6 };
	struct shmipc_attacher buf[8];
	struct snap all;
	uint64_t nattch;
	struct kid k;
	int id = new_seg(self, self->page, 0600);

	ASSERT_LE(0, id);
	ASSERT_NE(MAP_FAILED, raw_at(self->fd, id, NULL, 0, NULL));
	ASSERT_NE(MAP_FAILED, raw_at(self->fd, id, NULL, SHM_RDONLY, NULL));
	ASSERT_EQ(0, start_kid(&k, NULL, NULL));
	SNAP(&all, id);
	ASSERT_EQ(4U, all.n);

	for (unsigned int r = 0; r < ARRAY_SIZE(rooms); r++) {
		unsigned int room = rooms[r], written = room < 4 ? room : 4;
		bool used[4] = { false };

		memset(buf, POISON, sizeof(buf));
		nattch = 0;
		EXPECT_EQ(4, raw_attachers(self->fd, id, buf, room, &nattch))
			TH_LOG("room %u", room);
		EXPECT_EQ(4ULL, nattch);
		for (unsigned int i = 0; i < written; i++) {
			unsigned int j;

			for (j = 0; j < all.n; j++)
				if (!used[j] && same_entry(&all.e[j], &buf[i]))
					break;
			EXPECT_GT(all.n, j)
				TH_LOG("room %u: entry %u (pid %d flags %#x "
				       "nattch %llu) is not in the list",
				       room, i, buf[i].pid, buf[i].flags,
				       (unsigned long long)buf[i].nattch);
			if (j < all.n)
				used[j] = true;
			EXPECT_EQ(0ULL, buf[i].reserved);
		}
		EXPECT_TRUE(untouched(buf + written,
				      sizeof(buf) - written * sizeof(buf[0])))
			TH_LOG("room %u: written past %u entries", room,
			       written);
	}

	/* No buffer, no room: the count alone. */
	EXPECT_EQ(4, raw_attachers(self->fd, id, NULL, 0, &nattch));
	/* Room is only room: a count far past the entries is no burden. */
	memset(buf, POISON, sizeof(buf));
	EXPECT_EQ(4, raw_attachers(self->fd, id, buf, UINT_MAX, &nattch))
		TH_LOG("count UINT_MAX: %s", strerror(errno));
	EXPECT_TRUE(untouched(buf + 4, sizeof(buf) - 4 * sizeof(buf[0])));
	EXPECT_EQ(0, stop_kid(&k));
}

/* --- 7. Errors. --- */

TEST_F(attachers, bad_ids_reserved_and_pointers)
{
	struct shmipc_attachers arg;
	struct shmipc_attacher buf[4];
	void *ro_page;
	int gone = new_seg(self, self->page, 0600);
	int empty = new_seg(self, self->page, 0600);
	int id = new_seg(self, self->page, 0600);

	ASSERT_LE(0, gone);
	ASSERT_LE(0, empty);
	ASSERT_LE(0, id);
	ASSERT_NE(MAP_FAILED, raw_at(self->fd, id, NULL, 0, NULL));

	/* No such segment. */
	EXPECT_ERRNO(EINVAL, raw_attachers(self->fd, -1, buf, 4, NULL));
	EXPECT_ERRNO(EINVAL, raw_attachers(self->fd, INT_MIN, NULL, 0, NULL));
	EXPECT_ERRNO(EINVAL, raw_attachers(self->fd, INT_MAX, buf, 4, NULL));
	ASSERT_EQ(0, raw_rmid(self->fd, gone));
	EXPECT_ERRNO(EINVAL, raw_attachers(self->fd, gone, buf, 4, NULL));

	/* Nonzero reserved. */
	arg = (struct shmipc_attachers){
		.id = id, .count = 4, .buf = (uintptr_t)buf, .reserved = 1,
	};
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, SHMIPC_IOC_ATTACHERS, &arg));
	arg.reserved = 1ULL << 63;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, SHMIPC_IOC_ATTACHERS, &arg));

	/* A buffer that cannot take the entries. */
	EXPECT_ERRNO(EFAULT, raw_attachers(self->fd, id, (void *)1, 4, NULL));
	EXPECT_ERRNO(EFAULT, raw_attachers(self->fd, id, NULL, 4, NULL));
	/* An argument that cannot be read, or written back. */
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, SHMIPC_IOC_ATTACHERS, (void *)1));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, SHMIPC_IOC_ATTACHERS, NULL));
	ro_page = mmap(NULL, self->page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro_page);
	*(struct shmipc_attachers *)ro_page =
		(struct shmipc_attachers){ .id = id };
	ASSERT_EQ(0, mprotect(ro_page, self->page, PROT_READ));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, SHMIPC_IOC_ATTACHERS, ro_page));
	munmap(ro_page, self->page);

	/* Nothing to write: the buffer is not looked at. */
	EXPECT_EQ(1, raw_attachers(self->fd, id, (void *)1, 0, NULL));
	EXPECT_EQ(0, raw_attachers(self->fd, empty, (void *)1, 4, NULL));
}

struct perm_arg {
	int fd;
	int closed, open;	/* 0600 and 0644, root's, both attached */
	pid_t parent;
};

static int other_user_queries(void *arg)
{
	const struct perm_arg *a = arg;
	struct shmipc_attacher buf[4];
	char why[160];
	struct snap s;

	CHILD_CHECK(become(OTHER_UID, OTHER_GID, 0) == 0);
	CHILD_CHECK_ERR(raw_attachers(a->fd, a->closed, buf, 4, NULL), EACCES);
	CHILD_CHECK_ERR(raw_attachers(a->fd, a->closed, NULL, 0, NULL), EACCES);
	/* Read permission for others: allowed, and whole. */
	CHILD_CHECK(fetch(a->fd, a->open, &s) == 0);
	CHILD_CHECK(snap_sane(&s, why, sizeof(why)) ||
		    !fprintf(stderr, "# %s\n", why));
	CHILD_CHECK(s.n == 2);
	CHILD_CHECK(nattch_in(&s, a->parent, false) == 1);
	/* run_child's fork copied the parent's attachment. */
	CHILD_CHECK(nattch_in(&s, getpid(), false) == 1);
	return 0;
}

TEST_F(attachers, permission_is_ipc_stats)
{
	struct perm_arg a = { .fd = self->fd, .parent = getpid() };
	struct snap s;
	int none;

	if (geteuid() != 0)
		SKIP(return, "acting as another user needs root");
	a.closed = new_seg(self, self->page, 0600);
	a.open = new_seg(self, self->page, 0644);
	none = new_seg(self, self->page, 0000);
	ASSERT_LE(0, a.closed);
	ASSERT_LE(0, a.open);
	ASSERT_LE(0, none);
	ASSERT_NE(MAP_FAILED, raw_at(self->fd, a.closed, NULL, 0, NULL));
	ASSERT_NE(MAP_FAILED, raw_at(self->fd, a.open, NULL, 0, NULL));
	EXPECT_EQ(0, run_child(other_user_queries, &a));
	/* CAP_IPC_OWNER reads whatever the mode. */
	SNAP(&s, none);
	EXPECT_EQ(0U, s.n);
}

/* --- 8. max_attachers. --- */

TEST_F(attachers, past_max_attachers_the_rest_are_others)
{
	struct at_arg a = { .fd = self->fd, .rw = 1 };
	struct kid k[6];
	char val[32];
	struct snap s;
	unsigned int i;
	int id1, id2;

	for (i = 0; i < ARRAY_SIZE(k); i++)
		k[i].pid = -1;
	if (geteuid() != 0)
		SKIP(return, "setting %s needs root", MAX_PARAM);
	if (read_param(MAX_PARAM, self->saved_max, sizeof(self->saved_max)))
		SKIP(return, "no %s: %s", PARAM_DIR MAX_PARAM,
		     strerror(errno));
	self->restore_max = true;
	ASSERT_EQ(0, set_param(MAX_PARAM, 2));
	id1 = a.id = new_seg(self, self->page, 0600);
	ASSERT_LE(0, id1);

	/* Four processes attach, one after the other: two are listed. */
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, start_kid(&k[i], attach_kid, &a));
	SNAP(&s, a.id);
	ASSERT_EQ(3U, s.n);
	EXPECT_EQ(4ULL, s.nattch);
	EXPECT_EQ(1ULL, nattch_in(&s, k[0].pid, false));
	EXPECT_EQ(1ULL, nattch_in(&s, k[1].pid, false));
	EXPECT_EQ(0U, s.e[0].flags);
	EXPECT_EQ(0U, s.e[1].flags);
	EXPECT_EQ((unsigned int)SHMIPC_ATTACHER_OTHERS, s.e[2].flags);
	EXPECT_EQ(0, s.e[2].pid);
	EXPECT_EQ(2ULL, s.e[2].nattch);
	listing_matches(_metadata, self->fd, a.id);

	/* A listed one goes: the next to come is listed again. */
	EXPECT_EQ(0, stop_kid(&k[0]));
	SNAP(&s, a.id);
	EXPECT_EQ(2U, s.n);
	EXPECT_EQ(3ULL, s.nattch);
	EXPECT_EQ(2ULL, others_in(&s));
	ASSERT_EQ(0, start_kid(&k[4], attach_kid, &a));
	SNAP(&s, a.id);
	EXPECT_EQ(3U, s.n);
	EXPECT_EQ(4ULL, s.nattch);
	EXPECT_EQ(1ULL, nattch_in(&s, k[4].pid, false));
	EXPECT_EQ(2ULL, others_in(&s));
	/* One of the others goes: OTHERS counts one less. */
	EXPECT_EQ(0, stop_kid(&k[2]));
	SNAP(&s, a.id);
	EXPECT_EQ(3ULL, s.nattch);
	EXPECT_EQ(1ULL, others_in(&s));

	/*
	 * 0: nobody is listed, everything is OTHERS. (The child first: a
	 * fork would copy this process's attachment too.)
	 */
	ASSERT_EQ(0, set_param(MAX_PARAM, 0));
	id2 = new_seg(self, self->page, 0600);
	ASSERT_LE(0, id2);
	a.id = id2;
	a.ro = 1;
	ASSERT_EQ(0, start_kid(&k[5], attach_kid, &a));
	ASSERT_NE(MAP_FAILED, raw_at(self->fd, id2, NULL, 0, NULL));
	SNAP(&s, id2);
	ASSERT_EQ(1U, s.n);
	EXPECT_EQ((unsigned int)SHMIPC_ATTACHER_OTHERS, s.e[0].flags);
	EXPECT_EQ(0, s.e[0].pid);
	EXPECT_EQ(3ULL, s.e[0].nattch);
	listing_matches(_metadata, self->fd, id2);

	/* The children gone: nothing left of theirs, in OTHERS neither. */
	for (i = 0; i < ARRAY_SIZE(k); i++)
		if (k[i].pid > 0)
			EXPECT_EQ(0, stop_kid(&k[i]));
	SNAP(&s, id1);
	EXPECT_EQ(0U, s.n);
	EXPECT_EQ(0ULL, s.nattch);
	SNAP(&s, id2);
	EXPECT_EQ(1U, s.n);		/* this process's own, in OTHERS */
	EXPECT_EQ(1ULL, others_in(&s));

	/* Its range: 0 to 65536. */
	EXPECT_EQ(-1, set_param(MAX_PARAM, 65537));
	EXPECT_EQ(0, set_param(MAX_PARAM, 65536));
	ASSERT_EQ(0, read_param(MAX_PARAM, val, sizeof(val)));
	EXPECT_EQ(65536L, strtol(val, NULL, 10));
}

/* --- 9. pid namespaces. --- */

struct ns_arg {
	int fd, id;
};

/* Pid 1 of a new namespace, with its parent's attachment and one more. */
static int grandchild_in_ns(void *arg)
{
	const struct ns_arg *a = arg;
	char why[160];
	struct snap s;

	CHILD_CHECK(getpid() == 1);
	CHILD_CHECK(raw_at(a->fd, a->id, NULL, SHM_RDONLY, NULL) != MAP_FAILED);
	CHILD_CHECK(fetch(a->fd, a->id, &s) == 0);
	CHILD_CHECK(snap_sane(&s, why, sizeof(why)) ||
		    !fprintf(stderr, "# %s\n", why));
	CHILD_CHECK(s.n == 4);
	CHILD_CHECK(nattch_in(&s, 1, false) == 1);
	CHILD_CHECK(nattch_in(&s, 1, true) == 1);
	/* The test and its child are outside: pid 0, and not OTHERS. */
	CHILD_CHECK(invisible(&s) == 2);
	CHILD_CHECK(nattch_in(&s, 0, false) == 1);
	CHILD_CHECK(others_in(&s) == 0);
	return 0;
}

static int pidns_child(void *arg)
{
	const struct ns_arg *a = arg;
	char why[160];
	struct snap s;
	struct kid g;

	if (unshare(CLONE_NEWPID) < 0)
		return KSFT_SKIP;
	CHILD_CHECK(start_kid(&g, grandchild_in_ns, arg) == 0);
	/* From outside its namespace, the grandchild has its outer pid. */
	CHILD_CHECK(fetch(a->fd, a->id, &s) == 0);
	CHILD_CHECK(snap_sane(&s, why, sizeof(why)) ||
		    !fprintf(stderr, "# %s\n", why));
	CHILD_CHECK(s.n == 4);
	CHILD_CHECK(nattch_in(&s, g.pid, false) == 1);
	CHILD_CHECK(nattch_in(&s, g.pid, true) == 1);
	CHILD_CHECK(nattch_in(&s, getpid(), false) == 1);
	CHILD_CHECK(nattch_in(&s, getppid(), false) == 1);
	CHILD_CHECK(invisible(&s) == 0);
	CHILD_CHECK(stop_kid(&g) == 0);
	CHILD_CHECK(fetch(a->fd, a->id, &s) == 0);
	CHILD_CHECK(s.n == 2);
	return 0;
}

TEST_F(attachers, pids_are_the_callers_namespace)
{
	struct ns_arg a = { .fd = self->fd };
	struct snap s;
	int rc;

	a.id = new_seg(self, self->page, 0600);
	ASSERT_LE(0, a.id);
	ASSERT_NE(MAP_FAILED, raw_at(self->fd, a.id, NULL, 0, NULL));
	rc = run_child(pidns_child, &a);
	if (rc == KSFT_SKIP)
		SKIP(return, "cannot make a pid namespace");
	EXPECT_EQ(0, rc);
	SNAP(&s, a.id);
	EXPECT_EQ(1U, s.n);
	EXPECT_EQ(1ULL, nattch_in(&s, getpid(), false));
}

/* --- 10. /proc/shmipc/attachers --- */

struct listing_arg {
	int closed, open;	/* 0600 and 0644, root's, both attached */
};

static int other_user_reads_listing(void *arg)
{
	const struct listing_arg *a = arg;
	char header[256];
	struct snap l;

	CHILD_CHECK(become(OTHER_UID, OTHER_GID, 0) == 0);
	CHILD_CHECK(read_listing(a->closed, &l, header, sizeof(header)) == 0);
	CHILD_CHECK(l.n == 0);
	CHILD_CHECK(read_listing(a->open, &l, header, sizeof(header)) == 0);
	/* The parent's, and run_child's copy of it. */
	CHILD_CHECK(l.n == 2);
	CHILD_CHECK(l.nattch == 2);
	return 0;
}

TEST_F(attachers, proc_listing_matches_the_ioctl)
{
	struct listing_arg la;
	char header[256];
	struct snap l;
	struct kid k;
	int id = new_seg(self, 2 * self->page, 0600);
	int empty = new_seg(self, self->page, 0600);
	char *p;

	ASSERT_LE(0, id);
	ASSERT_LE(0, empty);
	p = raw_at(self->fd, id, NULL, 0, NULL);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, mprotect(p, self->page, PROT_READ));
	ASSERT_NE(MAP_FAILED, raw_at(self->fd, id, NULL, SHM_RDONLY, NULL));
	ASSERT_EQ(0, start_kid(&k, NULL, NULL));
	listing_matches(_metadata, self->fd, id);
	ASSERT_EQ(0, read_listing(id, &l, header, sizeof(header)));
	EXPECT_EQ(4U, l.n);
	EXPECT_EQ(6ULL, l.nattch);
	ASSERT_EQ(0, read_listing(empty, &l, header, sizeof(header)));
	EXPECT_EQ(0U, l.n);
	EXPECT_EQ(0, stop_kid(&k));
	listing_matches(_metadata, self->fd, id);

	/* Only the segments the reader could IPC_STAT. */
	if (geteuid() != 0)
		SKIP(return, "acting as another user needs root");
	la.closed = id;
	la.open = new_seg(self, self->page, 0644);
	ASSERT_LE(0, la.open);
	ASSERT_NE(MAP_FAILED, raw_at(self->fd, la.open, NULL, 0, NULL));
	EXPECT_EQ(0, run_child(other_user_reads_listing, &la));
}

/* --- 11. The library. --- */

static bool info_is(const struct shmipc_attacher_info *i,
		    const struct shmipc_attacher *e)
{
	return i->pid == e->pid && i->flags == e->flags &&
	       i->nattch == e->nattch && i->atime == e->atime;
}

TEST_F(attachers, library_call)
{
	struct shmipc_attacher_info buf[8];
	struct snap s;
	struct kid k;
	char *p, *q;
	int id = new_seg(self, self->page, 0600);

	ASSERT_LE(0, id);
	EXPECT_EQ(0, shmipc_attachers(id, NULL, 0));
	memset(buf, POISON, sizeof(buf));
	EXPECT_EQ(0, shmipc_attachers(id, buf, ARRAY_SIZE(buf)));
	EXPECT_TRUE(untouched(buf, sizeof(buf)));

	p = shmipc_at(id, NULL, 0);
	ASSERT_NE((void *)-1, p);
	q = shmipc_at(id, NULL, SHM_RDONLY);
	ASSERT_NE((void *)-1, q);
	ASSERT_EQ(0, start_kid(&k, NULL, NULL));
	SNAP(&s, id);
	ASSERT_EQ(4U, s.n);

	EXPECT_EQ(4, shmipc_attachers(id, NULL, 0));
	for (unsigned int room = 1; room <= ARRAY_SIZE(buf); room += 3) {
		unsigned int written = room < 4 ? room : 4;
		bool used[4] = { false };

		memset(buf, POISON, sizeof(buf));
		EXPECT_EQ(4, shmipc_attachers(id, buf, room))
			TH_LOG("room %u: %s", room, strerror(errno));
		for (unsigned int i = 0; i < written; i++) {
			unsigned int j;

			for (j = 0; j < s.n; j++)
				if (!used[j] && info_is(&buf[i], &s.e[j]))
					break;
			EXPECT_GT(s.n, j)
				TH_LOG("room %u: entry %u (pid %d flags %#x "
				       "nattch %lu) is not in the list", room,
				       i, (int)buf[i].pid, buf[i].flags,
				       buf[i].nattch);
			if (j < s.n)
				used[j] = true;
		}
		EXPECT_TRUE(untouched(buf + written,
				      sizeof(buf) - written * sizeof(buf[0])))
			TH_LOG("room %u: written past %u entries", room,
			       written);
	}

	EXPECT_ERRNO(EINVAL, shmipc_attachers(-1, buf, ARRAY_SIZE(buf)));
	EXPECT_ERRNO(EFAULT, shmipc_attachers(id, (void *)1, 4));
	EXPECT_EQ(0, stop_kid(&k));
	EXPECT_EQ(2, shmipc_attachers(id, buf, ARRAY_SIZE(buf)));
	EXPECT_EQ(0, shmipc_dt(p));
	EXPECT_EQ(0, shmipc_dt(q));
	EXPECT_EQ(0, shmipc_attachers(id, buf, ARRAY_SIZE(buf)));
	EXPECT_EQ(0, shmipc_ctl(id, IPC_RMID, NULL));
	EXPECT_ERRNO(EINVAL, shmipc_attachers(id, buf, ARRAY_SIZE(buf)));
}

TEST_HARNESS_MAIN

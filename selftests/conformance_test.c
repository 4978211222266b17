// SPDX-License-Identifier: GPL-2.0
/*
 * The differential conformance suite: rows of shmget(), shmat(), shmdt()
 * and shmctl() calls, each run twice, once on the kernel's own SysV shm
 * and once on shmipc, and their outcomes compared: the return value (ids
 * as they are, addresses as success), errno, and what IPC_STAT shows of
 * the segments afterwards.
 *
 * The rows are the product of each call's arguments over the cases the
 * man pages name: keys that exist or not, sizes below, at and above a
 * segment's, every flag and mode, ids good, stale, negative and out of
 * range, addresses aligned or not, free or taken, every command with a
 * good buffer, NULL, one no access reaches and a read-only one. The rows
 * of a call run in a fresh IPC namespace, each row from an empty table on
 * which root makes the same segments: A (key KA, 2 pages, mode 0600), B
 * (key KB, 1 page, 0644) and C (private, 2 pages, 0666, attached once),
 * and the id of a fourth, removed.
 * The suite runs as root and as an unprivileged uid (the segments stay
 * root's), and `make check` runs it as an i386 program too. README lists
 * the rows that differ on purpose; none do today.
 *
 * SHMIPC_CONFORMANCE_SAMPLE=K/N runs only the rows whose number is K
 * modulo N: the debug kernel, where each row's fork costs a hundred times
 * what it costs elsewhere, runs a different quarter each time, while the
 * stock kernels run every row.
 */
#include <limits.h>

#include "shmipc_test.h"
#include "kselftest_harness.h"
#include "oracle.h"

#define PG		4096UL
#define KA		0x0c0f0001
#define KB		0x0c0f0002
#define KN		0x0c0f0003	/* no segment has it */

enum call { GET, AT, DT, CTL };

struct row {
	enum call call;
	int a, b, c, d;		/* the call's argument cases, see run_row() */
};

/* What a row did, compared between the two runs. */
struct outcome {
	long ret;		/* -errno, or the id / 0 for success */
	long after[12];		/* IPC_STAT of A, B, C and of a new segment */
};

#define MAX_ROWS	1536

struct results {
	struct outcome o[2][MAX_ROWS];
};

static struct row rows[MAX_ROWS];
static unsigned int nrows;
static unsigned int sample_k, sample_n = 1;	/* rows i with i % n == k */
static struct results *res;

/* ---- the cases -------------------------------------------------------- */

static const key_t get_keys[] = { IPC_PRIVATE, KA, KB, KN };
static const char *const get_key_names[] = { "PRIVATE", "KA", "KB", "KN" };
static const size_t get_sizes[] = { 0, 1, PG, 2 * PG, 3 * PG, SIZE_MAX };
/* The pool is as the VM boots, empty: SHM_HUGETLB is ENOMEM, or EPERM. */
static const int get_flags[] = { 0, IPC_CREAT, IPC_CREAT | IPC_EXCL, IPC_EXCL,
				 IPC_CREAT | SHM_HUGETLB,
				 IPC_CREAT | SHM_HUGETLB | SHM_NORESERVE | (21 << 26) };
static const int get_modes[] = { 0600, 0400, 0, 0777 };

enum { ID_A, ID_B, ID_C, ID_STALE, ID_NEG, ID_HUGE, ID_IDX, ID_NR };
static const char *const id_names[] = { "A", "B", "C", "stale", "-1", "INT_MAX", "index" };

enum { AD_NULL, AD_FREE, AD_FREE_ODD, AD_TAKEN, AD_TAKEN_ODD, AD_NR };
static const int at_flags[] = { 0, SHM_RDONLY, SHM_RND, SHM_REMAP, SHM_EXEC,
				SHM_RDONLY | SHM_RND, SHM_RND | SHM_REMAP, 0x10000000 };

enum { DT_START, DT_SECOND_PAGE, DT_ODD, DT_NULL, DT_UNMAPPED, DT_HEADLESS, DT_NR };

static const int ctl_cmds[] = { IPC_STAT, IPC_SET, IPC_RMID, IPC_INFO, SHM_INFO,
				SHM_STAT, SHM_STAT_ANY, SHM_LOCK, SHM_UNLOCK, 99, -1 };

/* shmctl()'s buffer: good, NULL, a page no access reaches, a read-only one. */
enum { BUF_GOOD, BUF_NULL, BUF_NONE, BUF_RO, BUF_NR };
static const char *const buf_names[] = { "buf", "NULL", "PROT_NONE", "read-only" };
static char *bad_pages;		/* BUF_NONE's page, then BUF_RO's */

/*
 * The buffers a row may pass. i386's glibc converts struct shmid_ds in
 * user space for every command, so its own shmctl() faults (SIGSEGV) on
 * a bad buffer where the kernel would say EFAULT: no oracle there.
 */
static unsigned int ctl_bufs(void)
{
	return sizeof(long) == 8 ? BUF_NR : BUF_NONE;
}

static void add(enum call call, int a, int b, int c, int d)
{
	if (nrows < MAX_ROWS)
		rows[nrows++] = (struct row){ call, a, b, c, d };
}

static void make_rows(void)
{
	unsigned int a, b, c, d;

	nrows = 0;
	for (a = 0; a < ARRAY_SIZE(get_keys); a++)
		for (b = 0; b < ARRAY_SIZE(get_sizes); b++)
			for (c = 0; c < ARRAY_SIZE(get_flags); c++)
				for (d = 0; d < ARRAY_SIZE(get_modes); d++)
					add(GET, a, b, c, d);
	for (a = 0; a < ID_NR; a++)
		for (b = 0; b < AD_NR; b++)
			for (c = 0; c < ARRAY_SIZE(at_flags); c++)
				add(AT, a, b, c, 0);
	for (a = 0; a < DT_NR; a++)
		add(DT, a, 0, 0, 0);
	for (a = 0; a < ID_NR; a++)
		for (b = 0; b < ARRAY_SIZE(ctl_cmds); b++)
			for (c = 0; c < ctl_bufs(); c++)
				add(CTL, a, b, c, 0);
}

static void describe(const struct row *r, char *buf, size_t size)
{
	switch (r->call) {
	case GET:
		snprintf(buf, size, "shmget(%s, %zu, %#o | %#o)", get_key_names[r->a],
			 get_sizes[r->b], get_flags[r->c], get_modes[r->d]);
		break;
	case AT:
		snprintf(buf, size, "shmat(%s, addr case %d, %#o)", id_names[r->a], r->b,
			 at_flags[r->c]);
		break;
	case DT:
		snprintf(buf, size, "shmdt(case %d)", r->a);
		break;
	case CTL:
		snprintf(buf, size, "shmctl(%s, %d, %s)", id_names[r->a], ctl_cmds[r->b],
			 buf_names[r->c]);
		break;
	}
}

/* ---- one row ---------------------------------------------------------- */

struct world {
	int a, b, c, stale;
	char *c_at;		/* C's attachment */
};

static int make_world(const struct api *api, struct world *w)
{
	w->a = api->get(KA, 2 * PG, IPC_CREAT | 0600);
	w->b = api->get(KB, PG, IPC_CREAT | 0644);
	w->c = api->get(IPC_PRIVATE, 2 * PG, IPC_CREAT | 0666);
	w->stale = api->get(IPC_PRIVATE, PG, IPC_CREAT | 0600);
	if (w->a < 0 || w->b < 0 || w->c < 0 || w->stale < 0)
		return -1;
	if (api->ctl(w->stale, IPC_RMID, NULL))
		return -1;
	w->c_at = api->at(w->c, NULL, 0);
	return w->c_at == (void *)-1 ? -1 : 0;
}

static int pick_id(const struct world *w, int which)
{
	switch (which) {
	case ID_A: return w->a;
	case ID_B: return w->b;
	case ID_C: return w->c;
	case ID_STALE: return w->stale;
	case ID_NEG: return -1;
	case ID_HUGE: return INT_MAX;
	default: return w->b % 32768;	/* B's index, as SHM_STAT takes */
	}
}

/* An address: NULL, free, taken by an anonymous map, or not aligned. */
static char *pick_addr(int which)
{
	char *p = mmap(NULL, 4 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return (char *)-1;
	switch (which) {
	case AD_NULL:
		munmap(p, 4 * PG);
		return NULL;
	case AD_FREE:
		munmap(p, 4 * PG);
		return p;
	case AD_FREE_ODD:
		munmap(p, 4 * PG);
		return p + 100;
	case AD_TAKEN:
		return p;
	default:
		return p + 100;
	}
}

static long result(long r)
{
	return r == -1 ? -errno : r;
}

static long do_get(const struct api *api, const struct row *r)
{
	return result(api->get(get_keys[r->a], get_sizes[r->b],
			       get_flags[r->c] | get_modes[r->d]));
}

static long do_at(const struct api *api, const struct row *r, const struct world *w)
{
	char *addr = pick_addr(r->b);
	void *p;

	if (addr == (char *)-1)
		return -1000;
	p = api->at(pick_id(w, r->a), addr, at_flags[r->c]);
	return p == (void *)-1 ? -errno : 0;
}

static long do_dt(const struct api *api, const struct row *r, const struct world *w)
{
	char *p = api->at(w->c, NULL, 0);

	if (p == (void *)-1)
		return -1000;
	switch (r->a) {
	case DT_START:
		return result(api->dt(p));
	case DT_SECOND_PAGE:
		return result(api->dt(p + PG));
	case DT_ODD:
		return result(api->dt(p + 1));
	case DT_NULL:
		return result(api->dt(NULL));
	case DT_UNMAPPED:
		munmap(p, 2 * PG);
		return result(api->dt(p));
	default:	/* the first page unmapped: the second piece goes */
		munmap(p, PG);
		return result(api->dt(p));
	}
}

static struct shmid_ds *ctl_buf(const struct row *r, struct shmid_ds *good)
{
	switch (r->c) {
	case BUF_GOOD: return good;
	case BUF_NULL: return NULL;
	case BUF_NONE: return (struct shmid_ds *)(void *)bad_pages;
	default: return (struct shmid_ds *)(void *)(bad_pages + PG);
	}
}

static long do_ctl(const struct api *api, const struct row *r, const struct world *w)
{
	union {
		struct shmid_ds ds;
		struct shminfo info;
		struct shm_info shm_info;
	} u;
	int cmd = ctl_cmds[r->b];
	int id = pick_id(w, r->a);
	long ret;

	memset(&u, 0, sizeof(u));
	if (cmd == IPC_SET) {
		if (api->ctl(w->b, IPC_STAT, &u.ds))
			return -1000;
		u.ds.shm_perm.mode = 0640;
	}
	ret = result(api->ctl(id, cmd, ctl_buf(r, &u.ds)));
	if (r->c != BUF_GOOD)
		return ret;
	/* The STATs' answers: size and mode, as a check on the copy out. */
	if (ret >= 0 && (cmd == IPC_STAT || cmd == SHM_STAT || cmd == SHM_STAT_ANY))
		ret = ret * 1000000 + (long)u.ds.shm_segsz + (long)(u.ds.shm_perm.mode & 0777);
	if (ret >= 0 && cmd == IPC_INFO)
		ret = ret * 1000000 + (long)u.info.shmmni;
	if (ret >= 0 && cmd == SHM_INFO)
		ret = ret * 1000000 + u.shm_info.used_ids * 1000 + (long)u.shm_info.shm_tot;
	return ret;
}

/* IPC_STAT of @id as root sees it: mode, size and nattch; or -errno. */
static void stat_into(const struct api *api, int id, long *out)
{
	struct shmid_ds ds;

	if (api->ctl(id, IPC_STAT, &ds)) {
		out[0] = -errno;
		out[1] = out[2] = 0;
		return;
	}
	out[0] = ds.shm_perm.mode;
	out[1] = (long)ds.shm_segsz;
	out[2] = (long)ds.shm_nattch;
}

struct body_arg {
	bool unpriv;
	unsigned int first, last;
};

/* Row @r on an empty table; @w gets the segments it made, to clear. */
static int run_row(int which, const struct api *api, const struct row *r, bool unpriv,
		   struct world *w)
{
	struct outcome *o = &res->o[which][r - rows];
	long ret = 0;
	pid_t pid;
	int status;

	if (make_world(api, w))
		return 1;
	/* The call, as root or as nobody, in a child sharing the namespace. */
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		if (unpriv && become(OTHER_UID, OTHER_GID, 0))
			_exit(2);
		switch (r->call) {
		case GET: ret = do_get(api, r); break;
		case AT: ret = do_at(api, r, w); break;
		case DT: ret = do_dt(api, r, w); break;
		case CTL: ret = do_ctl(api, r, w); break;
		}
		o->ret = ret;
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return 1;
	/* What is left, as root sees it (the child's attachments are gone). */
	stat_into(api, w->a, &o->after[0]);
	stat_into(api, w->b, &o->after[3]);
	stat_into(api, w->c, &o->after[6]);
	if (r->call == GET && o->ret >= 0 && o->ret != w->a && o->ret != w->b)
		stat_into(api, (int)o->ret, &o->after[9]);
	return 0;
}

/*
 * Back to an empty table between rows: the attachment made here goes, and
 * every segment is removed, found by index as ipcs finds them. The table's
 * ids move on alike in SysV and shmipc (info_test proves it), so a fresh
 * namespace per row is not needed, and would cost most of the time.
 */
static void clear_world(const struct api *api, const struct world *w)
{
	struct shm_info info;
	struct shmid_ds ds;
	int idx, max, id;

	if (w->c_at && w->c_at != (void *)-1)
		api->dt(w->c_at);
	max = api->ctl(0, SHM_INFO, (struct shmid_ds *)&info);
	for (idx = 0; idx <= max; idx++) {
		id = api->ctl(idx, SHM_STAT_ANY, &ds);
		if (id >= 0)
			api->ctl(id, IPC_RMID, NULL);
	}
}

static int rows_body(int which, const struct api *api, void *arg)
{
	const struct body_arg *ba = arg;
	struct world w;
	unsigned int i;

	for (i = ba->first; i < ba->last; i++) {
		if (i % sample_n != sample_k)
			continue;
		memset(&w, 0, sizeof(w));
		if (run_row(which, api, &rows[i], ba->unpriv, &w))
			res->o[which][i].ret = -2000;	/* the row could not run */
		clear_world(api, &w);
	}
	see(which, 0);
	return 0;
}

/* ---- the tests -------------------------------------------------------- */

FIXTURE(conformance) {
	int fd;
};

FIXTURE_SETUP(conformance)
{
	const char *sample;

	self->fd = -1;
	OPEN_DEVICE_OR_SKIP(self->fd);
	if (geteuid() != 0)
		SKIP(return, "the rows run as root and as another uid");
	ORACLE_SETUP();
	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, res);
	bad_pages = mmap(NULL, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bad_pages);
	ASSERT_EQ(0, mprotect(bad_pages, PG, PROT_NONE));
	make_rows();
	sample = getenv("SHMIPC_CONFORMANCE_SAMPLE");
	if (sample)
		ASSERT_EQ(2, sscanf(sample, "%u/%u", &sample_k, &sample_n));
	ASSERT_LT(sample_k, sample_n);
}

FIXTURE_TEARDOWN(conformance)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* Runs the rows of @call; returns how many differ, logging each. */
static unsigned int run_rows(struct __test_metadata *_metadata, enum call call, bool unpriv)
{
	struct body_arg ba = { unpriv, 0, 0 };
	unsigned int i, j, differ = 0, n = 0;
	char what[96];

	while (ba.first < nrows && rows[ba.first].call != call)
		ba.first++;
	for (ba.last = ba.first; ba.last < nrows && rows[ba.last].call == call; ba.last++)
		;
	memset(res, 0, sizeof(*res));
	RUN_BOTH(rows_body, &ba);
	for (i = ba.first; i < ba.last; i++) {
		const struct outcome *s = &res->o[0][i], *m = &res->o[1][i];
		bool same = s->ret == m->ret && s->ret != -2000;

		if (i % sample_n != sample_k)
			continue;
		n++;
		for (j = 0; j < ARRAY_SIZE(s->after); j++)
			same = same && s->after[j] == m->after[j];
		if (same)
			continue;
		differ++;
		describe(&rows[i], what, sizeof(what));
		TH_LOG("%s as %s: SysV %ld, shmipc %ld", what, unpriv ? "nobody" : "root",
		       s->ret, m->ret);
		for (j = 0; j < ARRAY_SIZE(s->after); j++)
			if (s->after[j] != m->after[j])
				TH_LOG("  after, %c's %s: SysV %ld, shmipc %ld", "ABCN"[j / 3],
				       (const char *[]){ "mode", "size", "nattch" }[j % 3],
				       s->after[j], m->after[j]);
	}
	if (sample_n > 1)
		ksft_print_msg("%u rows (those %u modulo %u), %u differ\n", n,
			       sample_k, sample_n, differ);
	else
		ksft_print_msg("%u rows, %u differ\n", n, differ);
	return differ;
}

#define CONFORMANCE_TEST(name, call)					\
	TEST_F_TIMEOUT(conformance, name##_as_root, 600)		\
	{								\
		EXPECT_EQ(0U, run_rows(_metadata, call, false));	\
	}								\
	TEST_F_TIMEOUT(conformance, name##_as_nobody, 600)		\
	{								\
		EXPECT_EQ(0U, run_rows(_metadata, call, true));		\
	}

CONFORMANCE_TEST(shmget, GET)
CONFORMANCE_TEST(shmat, AT)
CONFORMANCE_TEST(shmdt, DT)
CONFORMANCE_TEST(shmctl, CTL)

TEST_HARNESS_MAIN

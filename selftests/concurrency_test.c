// SPDX-License-Identifier: GPL-2.0
/*
 * Many processes (and threads) creating, finding, attaching, writing,
 * detaching and removing segments on a few keys at once, for a few
 * seconds. Every call must succeed, or fail only as the race it lost
 * allows; an attached segment is always the right one and always whole;
 * and afterwards nothing is left attached or behind.
 */
#include <pthread.h>

#include "shmipc_test.h"
#include "kselftest_harness.h"

#define NKEYS		8
#define NWORKERS	6
#define SECONDS		3

/* The first page of every keyed segment: who it is, and one slot each. */
struct header {
	uint32_t key;			/* stamped by whoever attaches first */
	uint32_t pad;
	uint64_t slot[NWORKERS];	/* each worker writes only its own */
};

struct worker {
	unsigned int index;
	key_t keys[NKEYS];
	size_t page;
	bool may_fork;			/* processes yes, threads no */
	unsigned long rounds;		/* out */
};

/* Sizes differ per key, but never for one key, so lookups always fit. */
static size_t key_size(const struct worker *w, unsigned int k)
{
	return (k % 3 + 1) * w->page;
}

#define FAIL(what, err) do {						\
	fprintf(stderr, "# worker %u: %s failed: %s (line %d)\n",	\
		w->index, what, strerror(err), __LINE__);		\
	return 1;							\
} while (0)

/* Checks an attachment of key @k's segment @id at @p. */
static int use_attachment(struct worker *w, unsigned int k, int id, char *p,
			  uint64_t round)
{
	struct header *h = (struct header *)p;
	size_t size = key_size(w, k);
	uint32_t none = 0;
	struct shmid_ds ds;

	/* The segment of this key, not another one's. */
	if (!__atomic_compare_exchange_n(&h->key, &none, (uint32_t)w->keys[k],
					 false, __ATOMIC_SEQ_CST,
					 __ATOMIC_SEQ_CST) &&
	    none != (uint32_t)w->keys[k]) {
		fprintf(stderr, "# worker %u: segment %d of key %#x stamped %#x\n",
			w->index, id, w->keys[k], none);
		return 1;
	}
	__atomic_store_n(&h->slot[w->index], round, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&h->slot[w->index], __ATOMIC_SEQ_CST) != round) {
		fprintf(stderr, "# worker %u: own slot overwritten\n", w->index);
		return 1;
	}
	/* The whole segment is mapped. */
	p[size - 1] = (char)round;

	/* Attached, it cannot go away: IPC_STAT must work. */
	if (shmipc_ctl(id, IPC_STAT, &ds) < 0)
		FAIL("IPC_STAT while attached", errno);
	if (ds.shm_segsz != size || ds.shm_nattch < 1 ||
	    (ds.shm_perm.__key != w->keys[k] &&
	     !(ds.shm_perm.__key == IPC_PRIVATE &&
	       (ds.shm_perm.mode & SHM_DEST)))) {
		fprintf(stderr, "# worker %u: segment %d: key %#x size %zu nattch %lu mode %#o\n",
			w->index, id, ds.shm_perm.__key, (size_t)ds.shm_segsz,
			(unsigned long)ds.shm_nattch, ds.shm_perm.mode);
		return 1;
	}
	return 0;
}

/* A child that inherits the attachment, writes through it and exits. */
static int fork_through(struct worker *w, char *p)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		FAIL("fork", errno);
	if (pid == 0) {
		p[sizeof(struct header)] = 'f';
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		FAIL("child", ECHILD);
	return 0;
}

/* A private segment removed while attached: freed at the detach. */
static int private_round(struct worker *w)
{
	struct shmid_ds ds;
	char *p;
	int id;

	id = shmipc_get(IPC_PRIVATE, w->page, IPC_CREAT | 0600);
	if (id < 0)
		FAIL("private get", errno);
	p = shmipc_at(id, NULL, 0);
	if (p == (void *)-1)
		FAIL("private attach", errno);
	p[0] = 1;
	if (shmipc_ctl(id, IPC_RMID, NULL) < 0)
		FAIL("private rmid", errno);
	if (shmipc_dt(p) < 0)
		FAIL("private detach", errno);
	if (shmipc_ctl(id, IPC_STAT, &ds) == 0 || errno != EINVAL)
		FAIL("stat of a destroyed segment", errno ? errno : EEXIST);
	return 0;
}

/* The errors a lost race may give: the id went between lookup and use. */
static bool stale_id_error(int err)
{
	return err == EINVAL || err == EIDRM;
}

static int work(struct worker *w)
{
	unsigned int seed = 0x5eed0000u + w->index;
	time_t end = time(NULL) + SECONDS;
	uint64_t round;

	for (round = 1; time(NULL) < end; round++) {
		unsigned int k = rand_r(&seed) % NKEYS;
		unsigned int how = rand_r(&seed) % 10;
		int flags = how < 6 ? IPC_CREAT | 0600 :
			    how < 8 ? IPC_CREAT | IPC_EXCL | 0600 : 0600;
		char *p;
		int id;

		if (round % 16 == 0 && private_round(w))
			return 1;

		id = shmipc_get(w->keys[k], key_size(w, k), flags);
		if (id < 0) {
			int err = errno;

			if ((flags & IPC_EXCL) && err == EEXIST)
				continue;
			if (!(flags & IPC_CREAT) && err == ENOENT)
				continue;
			FAIL("get", err);
		}

		p = shmipc_at(id, NULL, 0);
		if (p == (void *)-1) {
			if (!stale_id_error(errno))
				FAIL("attach", errno);
		} else {
			if (use_attachment(w, k, id, p, round))
				return 1;
			if (w->may_fork && round % 32 == 0 &&
			    fork_through(w, p))
				return 1;
			if (shmipc_dt(p) < 0)
				FAIL("detach", errno);
		}

		if (rand_r(&seed) % 4 == 0 &&
		    shmipc_ctl(id, IPC_RMID, NULL) < 0 && !stale_id_error(errno))
			FAIL("rmid", errno);
		w->rounds++;
	}
	return 0;
}

static void *work_thread(void *arg)
{
	return (void *)(intptr_t)work(arg);
}

FIXTURE(concurrency) {
	int fd;
	size_t page;
	struct seg_list segs;
	struct worker w[NWORKERS];
};

FIXTURE_SETUP(concurrency)
{
	unsigned int i, k;

	self->fd = -1;
	self->page = page_size();
	OPEN_DEVICE_OR_SKIP(self->fd);
	for (i = 0; i < NWORKERS; i++) {
		self->w[i].index = i;
		self->w[i].page = self->page;
		for (k = 0; k < NKEYS; k++)
			self->w[i].keys[k] = test_key(k);
	}
}

FIXTURE_TEARDOWN(concurrency)
{
	seg_cleanup(self->fd, &self->segs);
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * After the workers: every keyed segment left is whole, unattached and
 * removable, and then nothing answers to the keys.
 */
static void expect_clean_end(struct __test_metadata *_metadata,
			     FIXTURE_DATA(concurrency) *self)
{
	struct shmid_ds ds;
	unsigned int k;
	int id;

	for (k = 0; k < NKEYS; k++) {
		id = shmipc_get(test_key(k), 0, 0);
		if (id < 0) {
			EXPECT_EQ(ENOENT, errno);
			continue;
		}
		ASSERT_EQ(0, shmipc_ctl(id, IPC_STAT, &ds));
		EXPECT_EQ(0UL, ds.shm_nattch) TH_LOG("key %u", k);
		EXPECT_EQ(0U, ds.shm_perm.mode & SHM_DEST);
		EXPECT_EQ(key_size(&self->w[0], k), ds.shm_segsz);
		EXPECT_EQ(0, shmipc_ctl(id, IPC_RMID, NULL));
		EXPECT_ERRNO(EINVAL, shmipc_ctl(id, IPC_STAT, &ds));
		EXPECT_ERRNO(ENOENT, shmipc_get(test_key(k), 0, 0));
	}
}

TEST_F_TIMEOUT(concurrency, processes_race_on_a_few_keys, 120)
{
	pid_t pids[NWORKERS];
	unsigned int i;
	int status;

	fflush(NULL);
	for (i = 0; i < NWORKERS; i++) {
		self->w[i].may_fork = true;
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0)
			_exit(work(&self->w[i]));
	}
	for (i = 0; i < NWORKERS; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("worker %u: status %#x", i, status);
	}
	expect_clean_end(_metadata, self);
}

TEST_F_TIMEOUT(concurrency, threads_race_on_a_few_keys, 120)
{
	pthread_t threads[NWORKERS];
	unsigned long rounds = 0;
	unsigned int i;
	void *ret;

	for (i = 0; i < NWORKERS; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, work_thread,
					    &self->w[i]));
	for (i = 0; i < NWORKERS; i++) {
		ASSERT_EQ(0, pthread_join(threads[i], &ret));
		EXPECT_EQ(NULL, ret) TH_LOG("thread %u failed", i);
		rounds += self->w[i].rounds;
	}
	EXPECT_LT(0UL, rounds);
	TH_LOG("%lu rounds", rounds);
	expect_clean_end(_metadata, self);
}

#define RACE_ROUNDS	40
#define RACE_ATTACHES	300

/*
 * One racer: attaches segment @id and detaches it, over and over, until
 * the attach fails because the segment is gone, or it has seen the
 * segment removed a few times (so that the racers leave it, and its last
 * detach races the attaches of the others). While attached, the segment
 * is whole, writable and its IPC_STAT works; once gone, it stays gone.
 * Returns 0, or 1 after saying what went wrong.
 */
static int race_attach(struct worker *w, int id, size_t size)
{
	unsigned int n, removed = 0;
	struct header *h;
	struct shmid_ds ds;

	for (n = 0; n < RACE_ATTACHES && removed < 3; n++) {
		h = shmipc_at(id, NULL, 0);
		if (h == (void *)-1) {
			if (errno != EINVAL)
				FAIL("attach", errno);
			if (shmipc_at(id, NULL, 0) != (void *)-1 ||
			    errno != EINVAL)
				FAIL("attach after the segment went", EEXIST);
			return 0;
		}
		__atomic_add_fetch(&h->slot[w->index], 1, __ATOMIC_SEQ_CST);
		((char *)h)[size - 1] = (char)n;
		if (shmipc_ctl(id, IPC_STAT, &ds) < 0)
			FAIL("IPC_STAT while attached", errno);
		if (ds.shm_nattch < 1 || ds.shm_segsz != size) {
			fprintf(stderr, "# worker %u: segment %d: nattch %lu size %zu\n",
				w->index, id, (unsigned long)ds.shm_nattch,
				(size_t)ds.shm_segsz);
			return 1;
		}
		if (shmipc_dt(h) < 0)
			FAIL("detach", errno);
		removed += !!(ds.shm_perm.mode & SHM_DEST);
	}
	return 0;
}

/*
 * Processes attach and detach one segment by id while its owner removes
 * it, in rounds. Attach and detach count under the segment's own lock
 * and find it under RCU, while IPC_RMID and the last detach decide its
 * end under the namespace's lock: no attach may succeed on a segment
 * that was destroyed, none may be lost, and each segment is destroyed
 * once its last racer is gone.
 */
TEST_F_TIMEOUT(concurrency, attachers_race_the_removal_of_one_segment, 240)
{
	size_t size = 3 * self->page;
	unsigned int seed = 0x7ace, round, i;
	struct shm_info before, after;
	pid_t pids[NWORKERS];
	struct shmid_ds ds;
	int id, status;

	ASSERT_LE(0, shmipc_ctl(0, SHM_INFO, (struct shmid_ds *)&before));
	for (round = 0; round < RACE_ROUNDS; round++) {
		id = seg_track(&self->segs,
			       shmipc_get(IPC_PRIVATE, size, IPC_CREAT | 0600));
		ASSERT_LE(0, id);
		fflush(NULL);
		for (i = 0; i < NWORKERS; i++) {
			pids[i] = fork();
			ASSERT_LE(0, pids[i]);
			if (pids[i] == 0)
				_exit(race_attach(&self->w[i], id, size));
		}
		usleep(rand_r(&seed) % 20000);
		ASSERT_EQ(0, shmipc_ctl(id, IPC_RMID, NULL));
		for (i = 0; i < NWORKERS; i++) {
			ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
			EXPECT_TRUE(WIFEXITED(status) &&
				    WEXITSTATUS(status) == 0)
				TH_LOG("round %u, worker %u: status %#x",
				       round, i, status);
		}
		/* Removed and, with every racer gone, destroyed. */
		EXPECT_ERRNO(EINVAL, shmipc_ctl(id, IPC_STAT, &ds));
		EXPECT_EQ((void *)-1, shmipc_at(id, NULL, 0));
		if (_metadata->exit_code)
			break;
	}
	ASSERT_LE(0, shmipc_ctl(0, SHM_INFO, (struct shmid_ds *)&after));
	EXPECT_EQ(before.used_ids, after.used_ids);
	EXPECT_EQ(before.shm_tot, after.shm_tot);
}

TEST_HARNESS_MAIN

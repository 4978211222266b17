// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/shmipc/shm against /proc/sysvipc/shm: the same segments, made the
 * same way in fresh IPC namespaces, must be listed alike, column for
 * column and character for character, but for the times, which must agree
 * in being set or not.
 */
#include <time.h>

#include "shmipc_test.h"
#include "kselftest_harness.h"
#include "oracle.h"

static const char *const listings[] = { "/proc/sysvipc/shm", "/proc/shmipc/shm" };

#define PG		4096UL
#define PID_COLS	(1U << 4 | 1U << 5)			/* cpid, lpid */
#define TIME_COLS	(1U << 11 | 1U << 12 | 1U << 13)	/* atime, dtime, ctime */

/* The whole listing of @which, read @chunk bytes at a time. */
static ssize_t read_listing(int which, char *buf, size_t size, size_t chunk)
{
	int fd = open(listings[which], O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (len < size - 1 &&
	       (n = read(fd, buf + len, chunk < size - 1 - len ? chunk : size - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

/*
 * Records each line: for each column, where it ends and its value (for a
 * time, whether it is set and not in the future; for a pid, whether it is
 * the caller's).
 */
static void see_listing(int which, const char *buf)
{
	const char *line = buf, *p;
	time_t now = time(NULL);

	while (*line) {
		unsigned int col = 0;
		const char *eol = strchr(line, '\n');

		if (!eol)
			eol = line + strlen(line);
		see(which, eol - line);
		for (p = line; p < eol; col++) {
			char *end;
			long long v;

			while (p < eol && *p == ' ')
				p++;
			if (p == eol)
				break;
			v = strtoll(p, &end, 10);
			if (end == p)	/* the header's words */
				end = (char *)p + strcspn(p, " \n");
			see(which, end - line);
			if (line != buf && (TIME_COLS & 1U << col))
				see(which, v ? (v <= now && v > now - 600) : -1);
			else if (line != buf && (PID_COLS & 1U << col))
				see(which, v == getpid() ? 1 : v ? 2 : 0);
			else if (line != buf)
				see(which, v);
			p = end;
		}
		line = *eol ? eol + 1 : eol;
	}
}

static int listing_body(int which, const struct api *a, void *arg)
{
	static char whole[8192], bits[8192];
	struct shmid_ds ds;
	int keyed, priv, gone;
	char *p, *q;
	pid_t pid;
	int status;

	keyed = a->get(0x1157ab1e, 5000, IPC_CREAT | 0640);
	priv = a->get(IPC_PRIVATE, 4 * PG, IPC_CREAT | 0604);
	gone = a->get(0x600e, PG, IPC_CREAT | 0600);
	CHILD_CHECK(keyed >= 0 && priv >= 0 && gone >= 0);
	p = a->at(priv, NULL, 0);
	q = a->at(gone, NULL, SHM_RDONLY);
	CHILD_CHECK(p != (void *)-1 && q != (void *)-1);
	memset(p, 1, 2 * PG);			/* rss: two pages */
	CHILD_CHECK(a->ctl(gone, IPC_RMID, NULL) == 0);	/* key 0, SHM_DEST */
	CHILD_CHECK(a->ctl(keyed, IPC_STAT, &ds) == 0);
	ds.shm_perm.uid = 65534;
	ds.shm_perm.mode = 0444;
	CHILD_CHECK(a->ctl(keyed, IPC_SET, &ds) == 0);

	CHILD_CHECK(read_listing(which, whole, sizeof(whole), sizeof(whole)) > 0);
	see_listing(which, whole);
	/* Read a few bytes at a time, the same text. */
	CHILD_CHECK(read_listing(which, bits, sizeof(bits), 7) > 0);
	see(which, strcmp(whole, bits));

	/* Anyone reads it, whatever the segments' modes. */
	fflush(NULL);
	pid = fork();
	CHILD_CHECK(pid >= 0);
	if (pid == 0) {
		if (become(65534, 65534, 0))
			_exit(2);
		_exit(read_listing(which, bits, sizeof(bits), 4096) > 0 &&
		      strcmp(whole, bits) == 0 ? 0 : 3);
	}
	CHILD_CHECK(waitpid(pid, &status, 0) == pid);
	see(which, WIFEXITED(status) ? WEXITSTATUS(status) : -1);

	/* Removed: gone from the list at once, or at the last detach. */
	CHILD_CHECK(a->ctl(keyed, IPC_RMID, NULL) == 0);
	CHILD_CHECK(a->dt(q) == 0);
	CHILD_CHECK(read_listing(which, whole, sizeof(whole), sizeof(whole)) > 0);
	see_listing(which, whole);
	CHILD_CHECK(a->dt(p) == 0 && a->ctl(priv, IPC_RMID, NULL) == 0);
	CHILD_CHECK(read_listing(which, whole, sizeof(whole), sizeof(whole)) > 0);
	see_listing(which, whole);
	return 0;
}

FIXTURE(listing) {
	int fd;
};

FIXTURE_SETUP(listing)
{
	self->fd = -1;
	OPEN_DEVICE_OR_SKIP(self->fd);
	ORACLE_SETUP();
	if (access(listings[0], R_OK))
		SKIP(return, "no %s: %s", listings[0], strerror(errno));
}

FIXTURE_TEARDOWN(listing)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(listing, lists_as_proc_sysvipc_shm)
{
	RUN_BOTH(listing_body, NULL);
	/* The header's length: the same layout. */
	EXPECT_EQ(169, seen->v[0][0]);
}

/* A namespace lists only its own segments. */
static int own_ns_child(void *arg)
{
	static char buf[4096];
	int id;

	CHILD_CHECK(unshare(CLONE_NEWIPC) == 0);
	id = shmipc_get(*(key_t *)arg, PG, IPC_CREAT | 0600);
	CHILD_CHECK(id >= 0);
	CHILD_CHECK(read_listing(1, buf, sizeof(buf), sizeof(buf)) > 0);
	/* The header and one line. */
	CHILD_CHECK(strchr(strchr(buf, '\n') + 1, '\n') &&
		    !*(strchr(strchr(buf, '\n') + 1, '\n') + 1));
	return 0;
}

TEST_F(listing, each_namespace_lists_its_own)
{
	static char buf[65536];
	key_t key = 0x0e5c4e1d;
	char want[32];

	ASSERT_EQ(0, run_child(own_ns_child, &key));
	ASSERT_LT(0, read_listing(1, buf, sizeof(buf), sizeof(buf)));
	snprintf(want, sizeof(want), "%10d ", key);
	/* Not in this namespace's listing. */
	EXPECT_EQ(NULL, strstr(buf, want)) TH_LOG("%s", buf);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_fuzz: /proc/shmipc/shm, read in random pieces (and seeked back)
 * while the other threads make, attach and remove segments. Whatever the
 * timing, it must read as whole lines of sixteen numbers under the
 * header, each id once, in increasing index order.
 */
#include "fuzz.h"

#define LISTING		"/proc/shmipc/shm"
#define HEADER_LEN	169	/* as /proc/sysvipc/shm's, without the newline */
#define LISTING_MAX	(1 << 20)

static __thread char *text;

/* Checks @len bytes of listing; returns a complaint or NULL. */
static const char *listing_bad(char *buf, size_t len)
{
	char *line = buf, *eol;
	long last_idx = -1;

	if (!len || buf[len - 1] != '\n')
		return "not whole lines";
	buf[len - 1] = '\0';
	eol = strchr(line, '\n');
	if ((eol ? (size_t)(eol - line) : strlen(line)) != HEADER_LEN ||
	    strncmp(line, "       key      shmid perms", 26))
		return "bad header";
	while (eol) {
		long long v[16];
		int fields = 0, used = 0;

		line = eol + 1;
		eol = strchr(line, '\n');
		if (eol)
			*eol = '\0';
		fields = sscanf(line, "%lld %lld %llo %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld%n",
				&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
				&v[8], &v[9], &v[10], &v[11], &v[12], &v[13], &v[14],
				&v[15], &used);
		if (fields != 16 || line[used])
			return "a line without its sixteen numbers";
		if ((v[1] & 0x7fff) <= last_idx)
			return "indices out of order, or an id twice";
		last_idx = v[1] & 0x7fff;
		if (v[3] < 1 || (uint64_t)v[3] > shmmax)
			return "a size out of range";
	}
	return NULL;
}

void op_listing(struct fthr *t)
{
	int fd = open(LISTING, O_RDONLY | O_CLOEXEC);
	size_t len = 0, chunk = rnd_chance(&t->rnd, 50) ? 1 + rnd_below(&t->rnd, 300) : 65536;
	const char *bad;
	ssize_t n;

	t->cnt[F_LISTING].calls++;
	if (fd < 0) {
		violation(t, F_LISTING, "open %s: %s", LISTING, errno_name(errno));
		return;
	}
	if (!text)
		text = malloc(LISTING_MAX);
	/* Read a little, seek back to the start: the same listing again. */
	if (rnd_chance(&t->rnd, 20) && read(fd, text, chunk) > 0 &&
	    lseek(fd, 0, SEEK_SET) != 0)
		violation(t, F_LISTING, "lseek to 0: %s", errno_name(errno));
	while (text && len < LISTING_MAX &&
	       (n = read(fd, text + len, chunk < LISTING_MAX - len ? chunk : LISTING_MAX - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (!text || len == LISTING_MAX)
		return;
	/*
	 * Pieces are read at different times: a line may be of a segment
	 * gone by the next, but every line must be whole and in order.
	 */
	bad = listing_bad(text, len);
	if (bad)
		violation(t, F_LISTING, "%s (read %zu bytes at a time)", bad, chunk);
	else
		t->cnt[F_LISTING].ok++;
}

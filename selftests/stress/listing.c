// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_stress: /proc/shmipc/shm while segments come and go. Every
 * segment this thread holds attached lives until its last detach, so the
 * listing must show it, with its size and at least one attachment.
 */
#include "stress.h"

#define LISTING_MAX	(4 << 20)

static __thread char *text;

/* @a's line in the listing, or NULL. */
static const char *listed(const char *buf, const struct att *a)
{
	const char *line;
	int id;

	for (line = strchr(buf, '\n'); line; line = strchr(line + 1, '\n'))
		if (sscanf(line + 1, "%*d %d", &id) == 1 && id == a->seg.id)
			return line + 1;
	return NULL;
}

void op_listing(struct thr *t)
{
	int fd = open("/proc/shmipc/shm", O_RDONLY | O_CLOEXEC), i;
	size_t len = 0;
	ssize_t n;

	t->cnt[OP_LISTING].calls++;
	if (!text)
		text = malloc(LISTING_MAX);
	if (fd < 0 || !text) {
		violation(t, OP_LISTING, "open /proc/shmipc/shm: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	while (len < LISTING_MAX - 1 &&
	       (n = read(fd, text + len, LISTING_MAX - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	text[len] = '\0';
	for (i = 0; i < t->natt; i++) {
		const struct att *a = &t->att[i];
		unsigned long long size, nattch;
		const char *line;

		if (a->gone)
			continue;
		line = listed(text, a);
		if (!line) {
			violation(t, OP_LISTING, "id %d, attached here, not listed", a->seg.id);
			continue;
		}
		if (sscanf(line, "%*d %*d %*o %llu %*u %*u %llu", &size, &nattch) != 2 ||
		    size != a->seg.segsz || nattch < 1)
			violation(t, OP_LISTING, "id %d (%zu bytes, attached here) listed as: %.80s",
				  a->seg.id, a->seg.segsz, line);
	}
	t->cnt[OP_LISTING].ok++;
}

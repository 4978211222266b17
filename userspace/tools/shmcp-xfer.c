// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * shmcp's transfer loops: see shmcp.h. Both copy once: the sender read()s
 * the file straight into a reserved message in the ring, the receiver
 * write()s it from the ring in place, so the bytes cross no buffer of
 * ours.
 */
#include <errno.h>
#include <unistd.h>

#include "shmcp.h"

#define CHUNK_DEFAULT	(1u << 20)

static int fail(struct shmcp_xfer *x, const char *what)
{
	x->what = what;
	return -1;
}

/*
 * A message's worth: at most a quarter of the largest message, so that a
 * few are in flight at once and the two ends work in parallel.
 */
static size_t chunk_for(shmipc_chan_t *ch, const struct shmcp_xfer *x)
{
	size_t max = (size_t)shmipc_chan_msgmax(ch);
	size_t chunk = x->chunk ? x->chunk : CHUNK_DEFAULT;

	if (chunk > max / 4)
		chunk = max / 4 ? max / 4 : max;
	return chunk ? chunk : 1;
}

/* Fills buf from fd up to len bytes or the end of the file: the count, or -1. */
static ssize_t read_full(int fd, unsigned char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static int write_full(int fd, const unsigned char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int shmcp_send(shmipc_chan_t *tx, struct shmcp_xfer *x)
{
	size_t chunk = chunk_for(tx, x);

	x->bytes = 0;
	for (;;) {
		void *ptr;
		ssize_t n;

		if (shmipc_chan_reserve(tx, chunk, &ptr, 0) < 0)
			return fail(x, "channel");
		/* The reservation dies with the caller's close on failure. */
		n = read_full(x->fd, ptr, chunk);
		if (n < 0)
			return fail(x, "read");
		/* A message of 0 bytes says the file ended. */
		if (shmipc_chan_commit(tx, (size_t)n) < 0)
			return fail(x, "channel");
		x->bytes += (uint64_t)n;
		if (x->progress)
			x->progress(x);
		if (n == 0)
			return 0;
	}
}

int shmcp_recv(shmipc_chan_t *rx, struct shmcp_xfer *x)
{
	x->bytes = 0;
	for (;;) {
		const void *ptr;
		size_t len;

		if (shmipc_chan_peek(rx, &ptr, &len, 0) < 0)
			return fail(x, "channel");
		if (len == 0) {
			shmipc_chan_release(rx);
			return 0;
		}
		if (write_full(x->fd, ptr, len) < 0)
			return fail(x, "write");
		shmipc_chan_release(rx);
		x->bytes += len;
		if (x->progress)
			x->progress(x);
	}
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shmcp's transfer loops (shmcp-xfer.c), apart from the tool's segment
 * handling (shmcp.c) so that the host tests can run them over a channel
 * in anonymous shared memory.
 *
 * On the channel, a file is its bytes in messages of 1 byte or more, in
 * order, then one message of 0 bytes: the end of the file. A receiver
 * that is told EPIPE or ECONNRESET before that message got less than the
 * whole file.
 */
#ifndef SHMCP_H
#define SHMCP_H

#include <stddef.h>
#include <stdint.h>

#include "../include/shmipc.h"

struct shmcp_xfer {
	int fd;			/* the file to read (send) or write (receive) */
	size_t chunk;		/* the largest message; 0: 1 MiB, or less to fit */
	/* Called after each message, if set; bytes is up to date. */
	void (*progress)(const struct shmcp_xfer *x);
	void *arg;		/* the progress function's */
	/* Out. */
	uint64_t bytes;		/* bytes of the file sent or received so far */
	const char *what;	/* on failure: "read", "write" or "channel" */
};

/*
 * Sends the rest of x->fd, then the end-of-file message, on tx (which the
 * caller closes). Returns 0, or -1 with errno and x->what: the errno of
 * read(2), or of shmipc_chan_reserve() (EPIPE: the receiver closed;
 * ECONNRESET: it died).
 */
int shmcp_send(shmipc_chan_t *tx, struct shmcp_xfer *x);

/*
 * Writes what arrives on rx to x->fd, up to the end-of-file message.
 * Returns 0, or -1 with errno and x->what: the errno of write(2), or of
 * shmipc_chan_peek() (EPIPE: the sender closed before the end of the
 * file; ECONNRESET: it died).
 */
int shmcp_recv(shmipc_chan_t *rx, struct shmcp_xfer *x);

#endif /* SHMCP_H */

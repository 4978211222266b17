// SPDX-License-Identifier: MIT
/*
 * shmipc-demo-server: the receiving half of the classic client/server copy
 * over System V style shared memory. It creates a keyed segment holding
 * two semaphores and a buffer, and writes out each chunk that
 * shmipc-demo-client, an unrelated process, puts in the buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "demo.h"

static const char *prog = "shmipc-demo-server";

static void usage(FILE *to)
{
	fprintf(to,
		"Usage: %s [-f] [-t SECONDS] KEY OUT\n"
		"\n"
		"Create the shared memory segment for KEY, receive what shmipc-demo-client\n"
		"sends through it and write it to OUT ('-' for standard output), then\n"
		"compare byte counts and CRC-32 checksums with the client. Exits 0 only\n"
		"if they match.\n"
		"\n"
		"  KEY         a number other than 0 (decimal, 0x hex or 0 octal), or the\n"
		"              path of an existing file, made a key by ftok(KEY, 'S');\n"
		"              give the client the same KEY\n"
		"  -f          replace a segment left for KEY by an earlier server\n"
		"  -t SECONDS  give up when the client is silent that long (default %d)\n"
		"  -h, --help  show this help\n"
		"\n"
		"Example:\n"
		"  shmipc-demo-server /etc/hostname copy & shmipc-demo-client /etc/hostname file\n"
		"  shmipc-demo-server 0x5eed out & shmipc-demo-client -n 10000000 0x5eed\n",
		prog, DEMO_TIMEOUT);
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The segment for key, new, of the channel's size, for this user only. */
static int create_segment(key_t key, bool replace)
{
	const int flags = IPC_CREAT | IPC_EXCL | 0600;
	int id = shmipc_get(key, sizeof(struct demo_channel), flags);
	int err;

	if (id < 0 && errno == EEXIST && replace) {
		int old = shmipc_get(key, 0, 0);

		if (old >= 0 && shmipc_ctl(old, IPC_RMID, NULL) == 0)
			id = shmipc_get(key, sizeof(struct demo_channel), flags);
	}
	if (id >= 0)
		return id;

	err = errno;	/* fprintf() may change errno */
	fprintf(stderr, "%s: shmipc_get: %s\n", prog, strerror(err));
	if (err == ENOSYS)
		fprintf(stderr, "%s: is the shmipc module loaded?\n", prog);
	else if (err == EEXIST)
		fprintf(stderr, "%s: a server for this key is running, or one died: -f replaces its segment\n",
			prog);
	return -1;
}

/* Chunks until the empty one that ends the stream. */
static int receive(struct demo_channel *ch, int out, int seconds,
		   uint64_t *bytes, uint32_t *crc)
{
	for (;;) {
		uint64_t len;

		if (demo_wait(prog, &ch->full, seconds, "data from the client") < 0)
			return -1;
		len = ch->len;
		if (len == 0)
			return 0;
		if (len > DEMO_CHUNK) {
			fprintf(stderr, "%s: chunk of %" PRIu64 " bytes: the client is confused\n",
				prog, len);
			return -1;
		}
		if (write_all(out, ch->buf, len) < 0) {
			fprintf(stderr, "%s: write: %s\n", prog, strerror(errno));
			return -1;
		}
		*crc = demo_crc32(*crc, ch->buf, len);
		*bytes += len;
		shmipc_sem_post(&ch->empty);
	}
}

static int serve(int id, int out, int seconds, FILE *msg)
{
	struct demo_channel *ch = shmipc_at(id, NULL, 0);
	uint64_t bytes = 0;
	uint32_t crc = 0;
	bool match;

	if (ch == (void *)-1) {
		fprintf(stderr, "%s: shmipc_at: %s\n", prog, strerror(errno));
		return -1;
	}

	/* The new segment is zero-filled: both semaphores are at 0. */
	ch->magic = DEMO_MAGIC;
	ch->version = DEMO_VERSION;
	shmipc_sem_post(&ch->empty);	/* the buffer is the client's */

	if (receive(ch, out, seconds, &bytes, &crc) < 0) {
		shmipc_dt(ch);
		return -1;
	}

	/* Answer the end of the stream with what arrived. */
	ch->server_bytes = bytes;
	ch->server_crc = crc;
	match = ch->client_bytes == bytes && ch->client_crc == crc;
	shmipc_sem_post(&ch->empty);

	fprintf(msg, "%s: received %" PRIu64 " bytes, crc32 %08" PRIx32 "\n",
		prog, bytes, crc);
	fprintf(msg, "%s: client sent %" PRIu64 " bytes, crc32 %08" PRIx32 ": %s\n",
		prog, ch->client_bytes, ch->client_crc, match ? "match" : "MISMATCH");
	shmipc_dt(ch);
	return match ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int seconds = DEMO_TIMEOUT;
	bool replace = false;
	int opt, id, out, ret;
	FILE *msg = stdout;
	key_t key;

	while ((opt = getopt_long(argc, argv, "ft:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			replace = true;
			break;
		case 't':
			if (demo_parse_seconds(prog, optarg, &seconds) < 0)
				return 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 2) {
		usage(stderr);
		return 2;
	}
	if (demo_parse_key(prog, argv[optind], &key) < 0)
		return 2;

	if (strcmp(argv[optind + 1], "-") == 0) {
		out = STDOUT_FILENO;
		msg = stderr;	/* keep the data stream clean */
	} else {
		out = open(argv[optind + 1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (out < 0) {
			fprintf(stderr, "%s: %s: %s\n", prog, argv[optind + 1], strerror(errno));
			return 1;
		}
	}

	id = create_segment(key, replace);
	if (id < 0)
		return 1;
	ret = serve(id, out, seconds, msg);

	/*
	 * Remove the segment whatever happened: its key is free at once, and
	 * its memory goes when the client, if still attached, detaches.
	 */
	if (shmipc_ctl(id, IPC_RMID, NULL) < 0) {
		fprintf(stderr, "%s: shmipc_ctl(IPC_RMID): %s\n", prog, strerror(errno));
		ret = -1;
	}
	if (out != STDOUT_FILENO && close(out) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, argv[optind + 1], strerror(errno));
		ret = -1;
	}
	return ret < 0 ? 1 : 0;
}

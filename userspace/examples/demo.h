/* SPDX-License-Identifier: MIT */
/*
 * What shmipc-demo-server and shmipc-demo-client share: the layout of the
 * segment between them, and small helpers.
 */
#ifndef SHMIPC_DEMO_H
#define SHMIPC_DEMO_H

#include <stdint.h>
#include <time.h>

#include <shmipc.h>

#define DEMO_MAGIC	0x73686d64u	/* "shmd": the server set the segment up */
#define DEMO_VERSION	1u
#define DEMO_CHUNK	(64 * 1024)
#define DEMO_TIMEOUT	30		/* seconds, default for -t */

/*
 * The segment. Both semaphores start at 0, which is what a new segment
 * holds, so the client may wait on them before the server has done
 * anything. The buffer goes back and forth: the server posts `empty` when
 * the client may fill it, the client posts `full` when it holds a chunk.
 * A chunk of length 0 ends the stream and carries the client's count and
 * checksum; the server answers with its own and a last post of `empty`.
 */
struct demo_channel {
	shmipc_sem_t empty;
	shmipc_sem_t full;
	uint32_t magic;
	uint32_t version;
	uint64_t len;
	uint64_t client_bytes;
	uint64_t server_bytes;
	uint32_t client_crc;
	uint32_t server_crc;
	unsigned char buf[DEMO_CHUNK];
};

/*
 * KEY on the command line: a number (decimal, 0x hex or 0 octal, not 0,
 * which is IPC_PRIVATE), or else the path of an existing file, made into a
 * key by ftok(path, 'S'). Returns 0, or -1 with a message on stderr.
 */
int demo_parse_key(const char *prog, const char *arg, key_t *key);

/* Seconds as a number > 0 for -t. Returns 0, or -1 with a message. */
int demo_parse_seconds(const char *prog, const char *arg, int *seconds);

/* CLOCK_REALTIME now plus seconds, for shmipc_sem_timedwait(). */
struct timespec demo_deadline(int seconds);

/*
 * shmipc_sem_timedwait() until the deadline, going on after signals.
 * Returns 0, or -1 with a message naming what was awaited.
 */
int demo_wait(const char *prog, shmipc_sem_t *sem, int seconds, const char *what);

/* CRC-32 (IEEE 802.3, as zlib's crc32()): pass 0 to start. */
uint32_t demo_crc32(uint32_t crc, const void *data, size_t len);

#endif /* SHMIPC_DEMO_H */

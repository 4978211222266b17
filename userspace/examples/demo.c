// SPDX-License-Identifier: MIT
/*
 * Helpers shared by shmipc-demo-server and shmipc-demo-client.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"

int demo_parse_key(const char *prog, const char *arg, key_t *key)
{
	char *end;
	long long num;

	errno = 0;
	num = strtoll(arg, &end, 0);
	if (*arg && !*end && !errno) {
		/* Keys are 32 bits: accept them written signed or unsigned. */
		if (num == 0 || num < INT_MIN || num > (long long)UINT_MAX) {
			fprintf(stderr, "%s: key %s: not a 32-bit key other than 0 (IPC_PRIVATE)\n",
				prog, arg);
			return -1;
		}
		*key = (key_t)(int)(unsigned int)num;
		return 0;
	}

	*key = ftok(arg, 'S');
	if (*key == (key_t)-1) {
		fprintf(stderr, "%s: key %s: ftok: %s\n", prog, arg, strerror(errno));
		return -1;
	}
	return 0;
}

int demo_parse_seconds(const char *prog, const char *arg, int *seconds)
{
	char *end;
	long num;

	errno = 0;
	num = strtol(arg, &end, 10);
	if (!*arg || *end || errno || num <= 0 || num > INT_MAX / 2) {
		fprintf(stderr, "%s: -t %s: not a number of seconds\n", prog, arg);
		return -1;
	}
	*seconds = (int)num;
	return 0;
}

struct timespec demo_deadline(int seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += seconds;
	return ts;
}

int demo_wait(const char *prog, shmipc_sem_t *sem, int seconds, const char *what)
{
	struct timespec deadline = demo_deadline(seconds);

	while (shmipc_sem_timedwait(sem, &deadline) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == ETIMEDOUT)
			fprintf(stderr, "%s: no %s within %d s\n", prog, what, seconds);
		else
			fprintf(stderr, "%s: waiting for %s: %s\n", prog, what, strerror(errno));
		return -1;
	}
	return 0;
}

uint32_t demo_crc32(uint32_t crc, const void *data, size_t len)
{
	static uint32_t table[256];
	const unsigned char *p = data;

	/* Built on first use; both programs are single-threaded. */
	if (!table[1]) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	}

	crc = ~crc;
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

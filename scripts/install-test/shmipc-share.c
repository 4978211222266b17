// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc-share: the install test's user of libshmipc, built inside the
 * test root against the installed libshmipc-dev with
 * `pkg-config --cflags --libs shmipc` (scripts/check-install).
 *
 *   shmipc-share fork KEY      make a segment by KEY, write to it; a forked
 *                              child finds it by KEY, checks and answers;
 *                              the parent checks the answer and removes it
 *   shmipc-share create KEY    make a segment by KEY (mode 0666), write
 *                              the pattern of KEY into it, leave it there
 *   shmipc-share read KEY      find the segment by KEY, check the pattern
 *   shmipc-share hold KEY      attach by KEY, say "attached", and stay
 *                              attached until a line (or EOF) on stdin;
 *                              then check the pattern again and detach
 *   shmipc-share rm KEY        IPC_RMID the segment of KEY
 *
 * Prints one line and exits 0 on success, 1 on any failure.
 */
#include <errno.h>
#include <shmipc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SEG_SIZE 65536

static int fail(const char *what)
{
	printf("shmipc-share: %s: %s\n", what, strerror(errno));
	return 1;
}

/* The pattern depends on the key and on each byte's place in the segment. */
static void fill(unsigned char *p, key_t key)
{
	size_t i;

	for (i = 0; i < SEG_SIZE; i++)
		p[i] = (unsigned char)(key * 31 + i * 7 + i / 4096);
}

static int intact(const unsigned char *p, key_t key)
{
	size_t i;

	for (i = 0; i < SEG_SIZE; i++)
		if (p[i] != (unsigned char)(key * 31 + i * 7 + i / 4096))
			return 0;
	return 1;
}

static unsigned char *attach(key_t key, int flags)
{
	int id = shmipc_get(key, 0, 0);
	void *p;

	if (id < 0)
		return NULL;
	p = shmipc_at(id, NULL, flags);
	return p == (void *)-1 ? NULL : p;
}

static int do_create(key_t key)
{
	int id = shmipc_get(key, SEG_SIZE, IPC_CREAT | IPC_EXCL | 0666);
	unsigned char *p;

	if (id < 0)
		return fail("shmipc_get");
	p = shmipc_at(id, NULL, 0);
	if (p == (void *)-1)
		return fail("shmipc_at");
	fill(p, key);
	if (shmipc_dt(p))
		return fail("shmipc_dt");
	printf("created key %#x id %d\n", (unsigned int)key, id);
	return 0;
}

static int do_read(key_t key)
{
	unsigned char *p = attach(key, SHM_RDONLY);

	if (!p)
		return fail("attach by key");
	if (!intact(p, key)) {
		printf("shmipc-share: key %#x: wrong contents\n", (unsigned int)key);
		return 1;
	}
	shmipc_dt(p);
	printf("read key %#x: contents as written\n", (unsigned int)key);
	return 0;
}

static int do_hold(key_t key)
{
	unsigned char *p = attach(key, 0);
	char line[64];

	if (!p)
		return fail("attach by key");
	printf("attached\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin) && ferror(stdin))
		return fail("stdin");
	if (!intact(p, key)) {
		printf("shmipc-share: held key %#x: contents changed\n", (unsigned int)key);
		return 1;
	}
	if (shmipc_dt(p))
		return fail("shmipc_dt");
	printf("held key %#x: contents intact\n", (unsigned int)key);
	return 0;
}

static int do_rm(key_t key)
{
	int id = shmipc_get(key, 0, 0);

	if (id < 0 || shmipc_ctl(id, IPC_RMID, NULL))
		return fail("IPC_RMID");
	printf("removed key %#x\n", (unsigned int)key);
	return 0;
}

/* The child answers by writing the complement of the first page. */
static int child(key_t key)
{
	unsigned char *p = attach(key, 0);
	size_t i;

	if (!p || !intact(p, key))
		return 1;
	for (i = 0; i < 4096; i++)
		p[i] = (unsigned char)~p[i];
	return shmipc_dt(p) ? 1 : 0;
}

static int do_fork(key_t key)
{
	unsigned char *p;
	int id, status;
	size_t i;
	pid_t pid;

	if (do_create(key))
		return 1;
	pid = fork();
	if (pid < 0)
		return fail("fork");
	if (pid == 0)
		_exit(child(key));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		printf("shmipc-share: the child failed (status %#x)\n", status);
		return 1;
	}
	p = attach(key, 0);
	if (!p)
		return fail("attach by key");
	for (i = 0; i < 4096; i++) {
		if (p[i] != (unsigned char)~(key * 31 + i * 7)) {
			printf("shmipc-share: no answer from the child at byte %zu\n", i);
			return 1;
		}
	}
	id = shmipc_get(key, 0, 0);
	if (shmipc_dt(p) || id < 0 || shmipc_ctl(id, IPC_RMID, NULL))
		return fail("detach and remove");
	printf("fork key %#x: the child's answer arrived\n", (unsigned int)key);
	return 0;
}

int main(int argc, char **argv)
{
	key_t key;

	if (argc != 3) {
		fprintf(stderr, "usage: shmipc-share fork|create|read|hold|rm KEY\n");
		return 2;
	}
	key = (key_t)strtol(argv[2], NULL, 0);
	if (!strcmp(argv[1], "fork"))
		return do_fork(key);
	if (!strcmp(argv[1], "create"))
		return do_create(key);
	if (!strcmp(argv[1], "read"))
		return do_read(key);
	if (!strcmp(argv[1], "hold"))
		return do_hold(key);
	if (!strcmp(argv[1], "rm"))
		return do_rm(key);
	fprintf(stderr, "shmipc-share: unknown command %s\n", argv[1]);
	return 2;
}

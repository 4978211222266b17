// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * An ordinary System V shared memory program that knows nothing of
 * shmipc: plain shmget/shmat/shmdt/shmctl from <sys/shm.h>, built without
 * libshmipc's headers or library. tests/test-preload.sh and the VM run it
 * under LD_PRELOAD=libshmipc-preload.so to show where its calls go.
 *
 *   sysv-app roundtrip     create, attach, write, stat, detach, remove
 *   sysv-app create KEY    create KEY, write a message into it, print the
 *                          attachment's line of /proc/self/maps, detach
 *                          and leave it
 *   sysv-app read KEY      print KEY's message, then remove it
 *   sysv-app info          shmctl(0, IPC_INFO): its result and errno
 *   sysv-app hold KEY      create an IPC_PRIVATE segment and KEY, attach
 *                          both, print "held PRIVATE_ID KEY_ID" and wait
 *                          to be killed
 *
 * Exits 0 on success, 1 with a message on stderr otherwise.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <unistd.h>

#define MESSAGE	"written by sysv-app"

static int fail(const char *what)
{
	fprintf(stderr, "sysv-app: %s: %s\n", what, strerror(errno));
	return 1;
}

static void print_maps_line(const void *addr)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strtoull(line, NULL, 16) == (uintptr_t)addr)
			printf("maps: %s", line);
	}
	fclose(f);
}

static int roundtrip(void)
{
	struct shmid_ds ds;
	int id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
	char *p;

	if (id < 0)
		return fail("shmget");
	p = shmat(id, NULL, 0);
	if (p == (void *)-1)
		return fail("shmat");
	strcpy(p, MESSAGE);
	if (shmctl(id, IPC_STAT, &ds) < 0)
		return fail("shmctl IPC_STAT");
	printf("segsz %zu nattch %lu\n", (size_t)ds.shm_segsz, (unsigned long)ds.shm_nattch);
	if (shmdt(p) < 0)
		return fail("shmdt");
	if (shmctl(id, IPC_RMID, NULL) < 0)
		return fail("shmctl IPC_RMID");
	printf("roundtrip ok\n");
	return 0;
}

static int create(key_t key)
{
	int id = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
	char *p;

	if (id < 0)
		return fail("shmget");
	p = shmat(id, NULL, 0);
	if (p == (void *)-1)
		return fail("shmat");
	strcpy(p, MESSAGE);
	print_maps_line(p);
	if (shmdt(p) < 0)
		return fail("shmdt");
	printf("created id %d\n", id);
	return 0;
}

static int read_and_remove(key_t key)
{
	int id = shmget(key, 0, 0);
	char *p;

	if (id < 0)
		return fail("shmget");
	p = shmat(id, NULL, SHM_RDONLY);
	if (p == (void *)-1)
		return fail("shmat");
	printf("read: %s\n", p);
	if (shmdt(p) < 0)
		return fail("shmdt");
	if (shmctl(id, IPC_RMID, NULL) < 0)
		return fail("shmctl IPC_RMID");
	return 0;
}

static int info(void)
{
	struct shminfo si;
	int ret = shmctl(0, IPC_INFO, (struct shmid_ds *)(void *)&si);

	printf("info: %d %s\n", ret, ret < 0 ? strerror(errno) : "ok");
	return 0;
}

static int hold(key_t key)
{
	int priv = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	int keyed = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);

	if (priv < 0 || keyed < 0)
		return fail("shmget");
	if (shmat(priv, NULL, 0) == (void *)-1 ||
	    shmat(keyed, NULL, 0) == (void *)-1)
		return fail("shmat");
	printf("held %d %d\n", priv, keyed);
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "roundtrip") == 0)
		return roundtrip();
	if (argc == 3 && strcmp(argv[1], "create") == 0)
		return create((key_t)strtol(argv[2], NULL, 0));
	if (argc == 3 && strcmp(argv[1], "read") == 0)
		return read_and_remove((key_t)strtol(argv[2], NULL, 0));
	if (argc == 2 && strcmp(argv[1], "info") == 0)
		return info();
	if (argc == 3 && strcmp(argv[1], "hold") == 0)
		return hold((key_t)strtol(argv[2], NULL, 0));
	fprintf(stderr, "usage: sysv-app roundtrip | create KEY | read KEY | info | hold KEY\n");
	return 2;
}

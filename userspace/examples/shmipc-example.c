// SPDX-License-Identifier: MIT
/*
 * shmipc-example: the life of a segment, to copy from.
 *
 * The calls are shmget(), shmat(), shmdt() and shmctl() renamed: same
 * arguments, flags, structs and errors. Build it against the installed
 * library with:
 *   cc shmipc-example.c $(pkg-config --cflags --libs shmipc)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <shmipc.h>

int main(void)
{
	struct shmid_ds ds;
	char *mem;
	int id;

	/* A new segment of one page that only this user may read and write. */
	id = shmipc_get(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	if (id < 0) {
		int err = errno;	/* perror() may change errno */

		perror("shmipc_get");
		if (err == ENOSYS)
			fprintf(stderr, "is the shmipc module loaded?\n");
		return 1;
	}

	mem = shmipc_at(id, NULL, 0);
	if (mem == (void *)-1) {
		perror("shmipc_at");
		shmipc_ctl(id, IPC_RMID, NULL);
		return 1;
	}

	/* Any process that attaches this id sees the same bytes. */
	strcpy(mem, "hello from shared memory");

	if (shmipc_ctl(id, IPC_STAT, &ds) == 0)
		printf("segment %d: %zu bytes, mode %03o, %lu attached\n", id,
		       (size_t)ds.shm_segsz, (unsigned int)ds.shm_perm.mode & 0777,
		       (unsigned long)ds.shm_nattch);

	/*
	 * Remove it while still attached: the memory stays until the last
	 * detach (the shmipc_dt() below), and is freed then even if this
	 * program dies before reaching it.
	 */
	if (shmipc_ctl(id, IPC_RMID, NULL) < 0)
		perror("shmipc_ctl(IPC_RMID)");
	printf("%s\n", mem);

	if (shmipc_dt(mem) < 0) {
		perror("shmipc_dt");
		return 1;
	}
	return 0;
}

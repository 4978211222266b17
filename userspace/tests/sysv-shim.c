// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * shmipc_get/at/dt/ctl on the kernel's own System V shared memory, for
 * running the examples end to end on a host without the module: the
 * examples are linked with this file ahead of libshmipc.a, which then
 * contributes only the semaphores. Since the library promises shmget()'s
 * behaviour, the examples must work the same on either.
 */
#include <sys/shm.h>

#include "../include/shmipc.h"

int shmipc_get(key_t key, size_t size, int shmflg)
{
	return shmget(key, size, shmflg);
}

void *shmipc_at(int shmid, const void *shmaddr, int shmflg)
{
	return shmat(shmid, shmaddr, shmflg);
}

int shmipc_dt(const void *shmaddr)
{
	return shmdt(shmaddr);
}

int shmipc_ctl(int shmid, int cmd, struct shmid_ds *buf)
{
	return shmctl(shmid, cmd, buf);
}

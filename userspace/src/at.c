// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libshmipc: shmipc_at() and shmipc_dt(), as shmat() and shmdt().
 */
#include <stdint.h>

#include "internal.h"

/* shmat() ignores flag bits it does not know; the module refuses them. */
#define AT_SHMFLG_MASK	SHMIPC_AT_FLAGS

_Static_assert(SHM_RDONLY == SHMIPC_SHM_RDONLY, "SHM_RDONLY differs from the ABI");
_Static_assert(SHM_RND == SHMIPC_SHM_RND, "SHM_RND differs from the ABI");
_Static_assert(SHM_REMAP == SHMIPC_SHM_REMAP, "SHM_REMAP differs from the ABI");
_Static_assert(SHM_EXEC == SHMIPC_SHM_EXEC, "SHM_EXEC differs from the ABI");

void *shmipc_at(int shmid, const void *shmaddr, int shmflg)
{
	struct shmipc_at at = {
		.id = shmid,
		.flags = (__u32)shmflg & AT_SHMFLG_MASK,
		.addr = (uintptr_t)shmaddr,
	};

	if (libshmipc_ioctl(SHMIPC_IOC_AT, &at) < 0)
		return (void *)-1;
	return (void *)(uintptr_t)at.addr;
}

int shmipc_dt(const void *shmaddr)
{
	struct shmipc_dt dt = {
		.addr = (uintptr_t)shmaddr,
	};

	if (libshmipc_ioctl(SHMIPC_IOC_DT, &dt) < 0)
		return -1;
	return 0;
}

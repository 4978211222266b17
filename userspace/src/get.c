// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libshmipc: shmipc_get(), as shmget().
 */
#include "internal.h"

/*
 * The bits of shmflg that shmget() interprets. shmget() ignores all
 * others (SHM_HUGE_* size bits without SHM_HUGETLB, stray bits in old
 * programs), while the module refuses unknown bits: drop them here so
 * that programs behave as they do with shmget().
 */
#define GET_SHMFLG_MASK	(SHMIPC_MODE_MASK | SHMIPC_IPC_CREAT | \
			 SHMIPC_IPC_EXCL | SHMIPC_SHM_HUGETLB | \
			 SHMIPC_SHM_NORESERVE)
#define GET_SHMFLG_HUGE	((__u32)SHMIPC_SHM_HUGE_MASK << SHMIPC_SHM_HUGE_SHIFT)

_Static_assert(IPC_CREAT == SHMIPC_IPC_CREAT, "IPC_CREAT differs from the ABI");
_Static_assert(IPC_EXCL == SHMIPC_IPC_EXCL, "IPC_EXCL differs from the ABI");
_Static_assert(IPC_PRIVATE == SHMIPC_IPC_PRIVATE, "IPC_PRIVATE differs from the ABI");
_Static_assert(SHM_HUGETLB == SHMIPC_SHM_HUGETLB, "SHM_HUGETLB differs from the ABI");
_Static_assert(SHM_NORESERVE == SHMIPC_SHM_NORESERVE, "SHM_NORESERVE differs from the ABI");
_Static_assert(sizeof(key_t) == sizeof(__s32), "key_t is not 32 bits");

void libshmipc_get_args(struct shmipc_get *get, key_t key, size_t size,
			int shmflg)
{
	*get = (struct shmipc_get){
		.key = key,
		.flags = (__u32)shmflg & GET_SHMFLG_MASK,
		.size = size,
	};
	/* The page size, where shmget() reads it. */
	if (shmflg & SHM_HUGETLB)
		get->flags |= (__u32)shmflg & GET_SHMFLG_HUGE;
}

int shmipc_get(key_t key, size_t size, int shmflg)
{
	struct shmipc_get get;

	libshmipc_get_args(&get, key, size, shmflg);
	/* The ioctl returns the id itself, or -1 with errno. */
	return libshmipc_ioctl(SHMIPC_IOC_GET, &get);
}

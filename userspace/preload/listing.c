// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The listing that goes with the calls: a preloaded process whose SysV
 * calls go to shmipc reads /proc/shmipc/shm where it asks for
 * /proc/sysvipc/shm, so that util-linux's ipcs (which reads that file
 * with fopen() when it can, and shmctl() otherwise) lists the segments its
 * shmctl() and ipcrm's reach. Only a read-only fopen() of that one path
 * is turned; everything else goes to libc's fopen() untouched.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "route.h"

#define SYSV_LISTING	"/proc/sysvipc/shm"
#define SHMIPC_LISTING	"/proc/shmipc/shm"

FILE *fopen(const char *path, const char *mode)
{
	static FILE *(*libc_fopen)(const char *, const char *);
	FILE *(*real)(const char *, const char *) =
		__atomic_load_n(&libc_fopen, __ATOMIC_ACQUIRE);

	if (!real) {
		/* Found once; a race only finds the same address twice. */
		*(void **)&real = dlsym(RTLD_NEXT, "fopen");
		if (!real) {
			errno = ENOSYS;
			return NULL;
		}
		__atomic_store_n(&libc_fopen, real, __ATOMIC_RELEASE);
	}
	if (path && mode && mode[0] == 'r' && !strchr(mode, '+') &&
	    strcmp(path, SYSV_LISTING) == 0 && preload_route() == SHMIPC)
		path = SHMIPC_LISTING;
	return real(path, mode);
}

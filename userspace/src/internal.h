/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libshmipc: what the source files share, and nothing the public header
 * needs. The ABI header from the repository's uapi/ folder is private to
 * the library: users of <shmipc.h> only see the SysV types.
 */
#ifndef LIBSHMIPC_INTERNAL_H
#define LIBSHMIPC_INTERNAL_H

#include <pthread.h>

/*
 * Both headers are called shmipc.h: the public one is reached by its path,
 * the ABI one through -I<repo>/uapi. Their guards differ.
 */
#include "../include/shmipc.h"
#include <shmipc.h>

/*
 * Internal functions are hidden so that they stay out of the shared
 * library's dynamic symbol table (the version script would let them
 * through if their names started with shmipc_) and are called without a
 * PLT hop. They are named libshmipc_* so that they cannot clash with a
 * user's symbols when the static library is linked in.
 */
#define LIBSHMIPC_HIDDEN __attribute__((visibility("hidden")))

/*
 * The descriptor of /dev/shmipc, opened on first use and kept
 * (close-on-exec); checked on every use to still be that file, and
 * opened again if the program closed it or reused its number (device.c).
 * Returns it, or -1 with errno: ENOSYS when the device does not exist,
 * open(2)'s errno otherwise.
 */
LIBSHMIPC_HIDDEN int libshmipc_device_fd(void);

/*
 * ioctl() on the device, with -1 and errno on failure. Successful calls
 * leave errno untouched, like a system call that succeeds.
 */
LIBSHMIPC_HIDDEN int libshmipc_ioctl(unsigned long request, void *arg);

/*
 * Copies @len bytes to or from the caller's memory: 0, or -1 with errno
 * EFAULT where the kernel's copy would fault (usercopy.c).
 */
LIBSHMIPC_HIDDEN int libshmipc_copy_out(void *to, const void *from, size_t len);
LIBSHMIPC_HIDDEN int libshmipc_copy_in(void *to, const void *from, size_t len);

/* The SHMIPC_IOC_GET arguments of shmget(key, size, shmflg) (get.c). */
LIBSHMIPC_HIDDEN void libshmipc_get_args(struct shmipc_get *get, key_t key,
					 size_t size, int shmflg);

/*
 * A lifetime as text: "persist", "creator", "last-detach" or "ttl=N"
 * (N seconds, decimal). Returns 0, or -1 with errno EINVAL (lifetime.c).
 */
LIBSHMIPC_HIDDEN int libshmipc_lifetime_parse(const char *text,
					      struct shmipc_lifetime *lifetime);

/* A robust, process-shared pthread mutex of a type (mutex.c). */
LIBSHMIPC_HIDDEN int libshmipc_robust_mutex_init(pthread_mutex_t *m, int type);

#endif /* LIBSHMIPC_INTERNAL_H */

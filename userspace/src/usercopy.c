// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libshmipc: the caller's struct, read and written as the kernel would.
 *
 * shmctl() given a buffer it may not write (or, for IPC_SET, read) fails
 * with EFAULT: the kernel's copy_to_user() and copy_from_user() catch the
 * fault. A plain memcpy() here would raise SIGSEGV instead. So the copy is
 * made by process_vm_writev()/process_vm_readv() on our own process, which
 * take the same faults and report them as EFAULT. Where a seccomp filter
 * or an old kernel refuses them (ENOSYS, EPERM), memcpy() it is.
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"

typedef ssize_t (*vm_copy_fn)(pid_t, const struct iovec *, unsigned long,
			      const struct iovec *, unsigned long, unsigned long);

static int copy(vm_copy_fn fn, void *local, void *remote, size_t len)
{
	struct iovec l = { local, len }, r = { remote, len };
	int saved = errno;
	ssize_t n = fn(getpid(), &l, 1, &r, 1, 0);

	if (n == (ssize_t)len) {
		errno = saved;
		return 0;
	}
	if (n < 0 && (errno == ENOSYS || errno == EPERM)) {
		errno = saved;
		return 1;	/* no such copy here: the caller's memcpy() */
	}
	errno = EFAULT;		/* a fault, or only part of it copied */
	return -1;
}

int libshmipc_copy_out(void *to, const void *from, size_t len)
{
	int ret = copy(process_vm_writev, (void *)from, to, len);

	if (ret > 0)
		memcpy(to, from, len);
	return ret < 0 ? -1 : 0;
}

int libshmipc_copy_in(void *to, const void *from, size_t len)
{
	int ret = copy(process_vm_readv, to, (void *)from, len);

	if (ret > 0)
		memcpy(to, from, len);
	return ret < 0 ? -1 : 0;
}

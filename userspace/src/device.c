// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libshmipc: the descriptor of /dev/shmipc.
 *
 * One descriptor serves the whole process: opened by the first call that
 * needs it, kept open (close-on-exec) until exit and inherited by fork(),
 * like the system calls it stands in for. Opening lazily costs nothing to
 * programs that link the library but never use it, and a failed open is
 * retried by the next call, so a process that started before the module
 * was loaded picks it up later.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

/* -1 until an open succeeds, then that descriptor for good. */
static atomic_int device_fd = -1;

static int open_device(void)
{
	int fd = open(SHMIPC_DEVICE, O_RDWR | O_CLOEXEC);

	/*
	 * No device node, or a node without a driver behind it: the module
	 * is not loaded, which to the caller is a missing system call.
	 * Anything else (EACCES, EMFILE, ...) is a real error of its own.
	 */
	if (fd < 0 && (errno == ENOENT || errno == ENXIO || errno == ENODEV))
		errno = ENOSYS;
	return fd;
}

int libshmipc_device_fd(void)
{
	int fd = atomic_load(&device_fd);
	int unset = -1;

	if (fd >= 0)
		return fd;

	fd = open_device();
	if (fd < 0)
		return -1;

	/*
	 * Threads that race here may each open the device; the first to
	 * publish its descriptor wins and the others close theirs, so the
	 * process never holds more than one.
	 */
	if (atomic_compare_exchange_strong(&device_fd, &unset, fd))
		return fd;

	int saved_errno = errno;

	close(fd);
	errno = saved_errno;
	return unset;
}

int libshmipc_ioctl(unsigned long request, void *arg)
{
	int fd = libshmipc_device_fd();

	if (fd < 0)
		return -1;
	return ioctl(fd, request, arg);
}

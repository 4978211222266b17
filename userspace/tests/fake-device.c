// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The fake /dev/shmipc: see fake-device.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <shmipc.h>	/* the ABI, for SHMIPC_DEVICE */

#include "fake-device.h"

int __real_open(const char *path, int flags, ...);
int __real_close(int fd);
int __real_ioctl(int fd, unsigned long request, ...);

int fake_open_errno;
unsigned int fake_open_delay_us;
atomic_int fake_open_calls;
atomic_int fake_open_fds;
atomic_int fake_open_flags;
int (*fake_ioctl)(unsigned long request, void *arg);
atomic_int fake_ioctl_calls;
unsigned long fake_last_request;
unsigned char fake_last_arg[512];

/* Which descriptors are the fake device's. */
static atomic_bool is_fake[1024];

static bool fake_fd(int fd)
{
	return fd >= 0 && fd < (int)(sizeof(is_fake) / sizeof(is_fake[0])) && is_fake[fd];
}

int __wrap_open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	int fd;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (strcmp(path, SHMIPC_DEVICE) != 0)
		return __real_open(path, flags, mode);

	atomic_fetch_add(&fake_open_calls, 1);
	fake_open_flags = flags;
	if (fake_open_delay_us)
		usleep(fake_open_delay_us);
	if (fake_open_errno) {
		errno = fake_open_errno;
		return -1;
	}
	fd = __real_open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0 && fd < (int)(sizeof(is_fake) / sizeof(is_fake[0]))) {
		is_fake[fd] = true;
		atomic_fetch_add(&fake_open_fds, 1);
	}
	return fd;
}

int __wrap_close(int fd)
{
	if (fake_fd(fd)) {
		is_fake[fd] = false;
		atomic_fetch_sub(&fake_open_fds, 1);
	}
	return __real_close(fd);
}

int __wrap_ioctl(int fd, unsigned long request, ...)
{
	void *arg;
	va_list ap;
	int ret;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!fake_fd(fd))
		return __real_ioctl(fd, request, arg);

	atomic_fetch_add(&fake_ioctl_calls, 1);
	fake_last_request = request;
	memset(fake_last_arg, 0, sizeof(fake_last_arg));
	if (_IOC_SIZE(request) <= sizeof(fake_last_arg))
		memcpy(fake_last_arg, arg, _IOC_SIZE(request));

	ret = fake_ioctl ? fake_ioctl(request, arg) : -ENOTTY;
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return ret;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The fake /dev/shmipc: see fake-device.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <shmipc.h>	/* the ABI, for SHMIPC_DEVICE */

#include "fake-device.h"

int __real_open(const char *path, int flags, ...);
int __real_close(int fd);
int __real_ioctl(int fd, unsigned long request, ...);
int __real_fstat(int fd, struct stat *st);

int fake_open_errno;
unsigned int fake_open_delay_us;
atomic_int fake_open_calls;
atomic_int fake_open_fds;
atomic_int fake_open_flags;
int (*fake_ioctl)(unsigned long request, void *arg);
atomic_int fake_ioctl_calls;
unsigned long fake_last_request;
unsigned char fake_last_arg[512];
atomic_int fake_foreign_ioctl_calls;
atomic_int fake_fstat_calls;

/* Which descriptors the fake open handed out. */
#define MAX_FDS	1024
static atomic_bool is_fake[MAX_FDS];

/* The device node, a memfd made by the first open, and its inode. */
static pthread_once_t node_once = PTHREAD_ONCE_INIT;
static int node_fd = -1;
static unsigned long long node_ino;

static void make_node(void)
{
	struct stat st;

	node_fd = memfd_create("fake-shmipc", MFD_CLOEXEC);
	if (node_fd >= 0 && __real_fstat(node_fd, &st) == 0)
		node_ino = st.st_ino;
}

/* Still the fake device: handed out, and not replaced by dup2() since. */
static bool fake_fd(int fd)
{
	struct stat st;

	if (fd < 0 || fd >= MAX_FDS || !is_fake[fd])
		return false;
	return __real_fstat(fd, &st) == 0 && st.st_ino == node_ino;
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
	pthread_once(&node_once, make_node);
	if (node_fd < 0) {
		errno = EIO;
		return -1;
	}
	/* A new open file of the same inode, as open(2) of a node gives. */
	char node_path[64];

	snprintf(node_path, sizeof(node_path), "/proc/self/fd/%d", node_fd);
	fd = __real_open(node_path, O_RDWR | O_CLOEXEC);
	if (fd >= 0 && fd < MAX_FDS) {
		is_fake[fd] = true;
		atomic_fetch_add(&fake_open_fds, 1);
	}
	return fd;
}

int __wrap_close(int fd)
{
	if (fd >= 0 && fd < MAX_FDS && is_fake[fd]) {
		is_fake[fd] = false;
		atomic_fetch_sub(&fake_open_fds, 1);
	}
	return __real_close(fd);
}

int __wrap_fstat(int fd, struct stat *st)
{
	atomic_fetch_add(&fake_fstat_calls, 1);
	return __real_fstat(fd, st);
}

int __wrap_ioctl(int fd, unsigned long request, ...)
{
	void *arg;
	va_list ap;
	int ret;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!fake_fd(fd)) {
		atomic_fetch_add(&fake_foreign_ioctl_calls, 1);
		return __real_ioctl(fd, request, arg);
	}

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

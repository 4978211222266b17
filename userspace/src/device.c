// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libshmipc: the descriptor of /dev/shmipc.
 *
 * One descriptor serves the whole process: opened by the first call that
 * needs it, kept open (close-on-exec) and inherited by fork(), like the
 * system calls it stands in for. Opening lazily costs nothing to
 * programs that link the library but never use it, and a failed open is
 * retried by the next call, so a process that started before the module
 * was loaded picks it up later.
 *
 * The descriptor is the program's as much as ours: a daemon that closes
 * every descriptor (close_range(), a loop of close()) takes it away, and
 * the next open() may reuse its number for an unrelated file. A call then
 * fails with EBADF (nothing at the number), or reaches the other file.
 * Our request numbers are made to fail there: their type byte, 0xBE, is
 * no other driver's in the kernel's registry of ioctl numbers
 * (Documentation/userspace-api/ioctl/ioctl-number.rst), and each number
 * also encodes its direction and argument size, so a driver that does
 * not know it refuses it (ENOTTY, from older drivers EINVAL) and does
 * nothing. So the library makes the call first and checks afterwards, and
 * only when it failed: one fstat() then tells whether the number still
 * names the file we opened (same device number, inode and st_rdev). If
 * it does, the error is the module's answer; if not, the number is
 * forgotten, the device opened again and the call made on it. A call
 * that succeeds costs its one ioctl, as shmget() costs its one system
 * call: checking before every call, as the library first did, added a
 * system call to each, and made a lookup cost twice SysV's or more (ten
 * times on 6.1, whose fstat() through glibc resolves an empty path).
 *
 * What this gives up: a file at our old number whose driver acts on
 * request numbers it does not own (one that looked at the low byte
 * alone) would act on the call. Drivers are meant to refuse them; the
 * kernel's numbering exists so that they can.
 *
 * When the check fails the number is simply forgotten, never closed: it
 * belongs to whoever holds it now. The next open takes its place.
 *
 * What this cannot tell apart: another descriptor of /dev/shmipc itself
 * at the same number (the same inode). The module treats all its
 * descriptors alike, so the calls still reach it and do what they
 * should. And a program that closes the descriptor in one thread while
 * another thread is inside a call races with that call, as with any
 * library's files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/*
 * The descriptor and a count of the descriptors published before it, in
 * one word, so that a thread replacing a stale number can tell whether
 * another thread got there first even when the new open reused the very
 * number that went stale (a plain compare-and-swap of the number would
 * take that good descriptor for the stale one, and leak it). The
 * descriptor is -1 until an open succeeds.
 *
 * Beside it, what fstat() said of it at the open. The identity is stored
 * before the state is published (release) and read after it (acquire),
 * so a reader sees the identity of the descriptor it loaded or of a newer
 * one, which can fail the check (and send it down the slow path, which
 * looks again) but never make a foreign file pass.
 */
static _Atomic unsigned long long device_state = (unsigned int)-1;
static _Atomic unsigned long long device_dev;
static _Atomic unsigned long long device_ino;
static _Atomic unsigned long long device_rdev;

static int state_fd(unsigned long long state)
{
	return (int)(unsigned int)state;
}

static unsigned long long next_state(unsigned long long state, int fd)
{
	return ((state >> 32) + 1) << 32 | (unsigned int)fd;
}

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

/* Whether fd still names the file that device_fd was opened on. */
static bool still_ours(int fd)
{
	struct stat st;
	int saved_errno = errno;

	if (fstat(fd, &st) < 0) {
		/* EBADF: closed. Successful calls keep errno, so restore it. */
		errno = saved_errno;
		return false;
	}
	return st.st_ino == atomic_load_explicit(&device_ino, memory_order_relaxed) &&
	       st.st_dev == atomic_load_explicit(&device_dev, memory_order_relaxed) &&
	       st.st_rdev == atomic_load_explicit(&device_rdev, memory_order_relaxed);
}

/* close() that keeps errno, for error paths and lost races. */
static void close_quietly(int fd)
{
	int saved_errno = errno;

	close(fd);
	errno = saved_errno;
}

/*
 * Open the device and make it the process's descriptor in place of the
 * one in state, which failed the check (or is -1).
 */
static int replace_device(unsigned long long state)
{
	for (;;) {
		struct stat st;
		int fd = open_device();

		if (fd < 0)
			return -1;
		if (fstat(fd, &st) < 0) {
			close_quietly(fd);
			return -1;
		}

		/*
		 * Threads that race here may each open the device; the first
		 * to publish its descriptor wins and the others close theirs,
		 * so the process never holds more than one. Racers store the
		 * same identity, that of the one device node: the module
		 * cannot be unloaded while a descriptor is open. (Were the
		 * node replaced between two racers' opens, a check would
		 * fail and cost one more open, never a foreign ioctl.)
		 */
		atomic_store_explicit(&device_dev, st.st_dev, memory_order_relaxed);
		atomic_store_explicit(&device_ino, st.st_ino, memory_order_relaxed);
		atomic_store_explicit(&device_rdev, st.st_rdev, memory_order_relaxed);
		if (atomic_compare_exchange_strong_explicit(&device_state, &state,
							    next_state(state, fd),
							    memory_order_release,
							    memory_order_acquire))
			return fd;

		close_quietly(fd);
		if (state_fd(state) >= 0 && still_ours(state_fd(state)))
			return state_fd(state);
		/* The winner's is gone already (closed meanwhile): again. */
	}
}

int libshmipc_device_fd(void)
{
	unsigned long long state = atomic_load_explicit(&device_state, memory_order_acquire);
	int fd = state_fd(state);

	if (fd >= 0 && still_ours(fd))
		return fd;
	return replace_device(state);
}

/*
 * The call on our descriptor, checked only when it fails (see the top of
 * the file): a failure on a number that is no longer ours is the other
 * file's answer, and the call is made again on a new descriptor, with
 * errno as the caller left it.
 */
int libshmipc_ioctl(unsigned long request, void *arg)
{
	unsigned long long state = atomic_load_explicit(&device_state, memory_order_acquire);
	int fd = state_fd(state), saved_errno = errno, ret;

	if (fd >= 0) {
		ret = ioctl(fd, request, arg);
		if (ret >= 0 || still_ours(fd))
			return ret;
		errno = saved_errno;
	}
	fd = replace_device(state);
	if (fd < 0)
		return -1;
	return ioctl(fd, request, arg);
}

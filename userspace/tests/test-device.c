// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * How the library opens /dev/shmipc: errors mapped to ENOSYS or passed
 * through, failures retried, one descriptor per process even under a
 * race, a descriptor the program closed or reused opened again (and the
 * reused number's file left alone). Runs against the fake device
 * (fake-device.h).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../include/shmipc.h"
#include "fake-device.h"
#include "harness.h"

/* Internal to the library, reachable because we link libshmipc.a. */
int libshmipc_device_fd(void);

static int answer_ok(unsigned long request, void *arg)
{
	(void)request;
	(void)arg;
	return 0;
}

static int open_error_is(int open_errno, int want)
{
	fake_open_errno = open_errno;
	CHECK_FAILS(shmipc_get(IPC_PRIVATE, 4096, IPC_CREAT | 0600), -1, want);
	CHECK_FAILS(shmipc_at(0, NULL, 0), -1, want);
	CHECK_FAILS(shmipc_dt((void *)4096), -1, want);
	CHECK_FAILS(shmipc_ctl(0, IPC_RMID, NULL), -1, want);
	CHECK(fake_ioctl_calls == 0);
	return 0;
}

static int missing_device_node_is_enosys(void)
{
	return open_error_is(ENOENT, ENOSYS);
}

static int device_node_without_driver_is_enosys(void)
{
	return open_error_is(ENXIO, ENOSYS) || open_error_is(ENODEV, ENOSYS);
}

static int permission_denied_passes_through(void)
{
	return open_error_is(EACCES, EACCES);
}

static int descriptor_limit_passes_through(void)
{
	return open_error_is(EMFILE, EMFILE) || open_error_is(ENFILE, ENFILE);
}

static int opens_read_write_close_on_exec(void)
{
	fake_ioctl = answer_ok;
	CHECK(shmipc_get(1, 1, 0) == 0);
	CHECK(fake_open_calls == 1);
	CHECK((fake_open_flags & O_ACCMODE) == O_RDWR);
	CHECK(fake_open_flags & O_CLOEXEC);
	return 0;
}

static int failed_open_is_retried_by_next_call(void)
{
	fake_ioctl = answer_ok;
	fake_open_errno = ENOENT;
	CHECK_FAILS(shmipc_get(1, 1, 0), -1, ENOSYS);
	CHECK_FAILS(shmipc_get(1, 1, 0), -1, ENOSYS);
	CHECK(fake_open_calls == 2);

	/* The module is loaded now. */
	fake_open_errno = 0;
	CHECK(shmipc_get(1, 1, 0) == 0);
	CHECK(fake_open_calls == 3);
	CHECK(fake_ioctl_calls == 1);
	return 0;
}

static int device_is_opened_once(void)
{
	int fd;

	fake_ioctl = answer_ok;
	fd = libshmipc_device_fd();
	CHECK(fd >= 0);
	for (int i = 0; i < 100; i++) {
		CHECK(shmipc_get(1, 1, 0) == 0);
		CHECK(shmipc_ctl(0, IPC_RMID, NULL) == 0);
		CHECK(libshmipc_device_fd() == fd);
	}
	CHECK(fake_open_calls == 1);
	CHECK(fake_open_fds == 1);
	CHECK(fcntl(fd, F_GETFD) == FD_CLOEXEC);
	return 0;
}

#define RACERS 16

static pthread_barrier_t start;

static void *race_first_use(void *out)
{
	pthread_barrier_wait(&start);
	*(int *)out = libshmipc_device_fd();
	return NULL;
}

static int racing_first_use_keeps_one_descriptor(void)
{
	pthread_t threads[RACERS];
	int fds[RACERS];

	/* A slow open makes every thread find the descriptor unset. */
	fake_open_delay_us = 20000;
	pthread_barrier_init(&start, NULL, RACERS);
	for (int i = 0; i < RACERS; i++)
		CHECK(pthread_create(&threads[i], NULL, race_first_use, &fds[i]) == 0);
	for (int i = 0; i < RACERS; i++)
		pthread_join(threads[i], NULL);

	for (int i = 0; i < RACERS; i++)
		CHECK(fds[i] == fds[0] && fds[i] >= 0);
	NOTE("%d threads opened the device", (int)fake_open_calls);
	CHECK(fake_open_calls > 1);	/* or the race did not happen */
	CHECK(fake_open_fds == 1);	/* the losers closed theirs */
	CHECK(fcntl(fds[0], F_GETFD) >= 0);
	return 0;
}

static int closed_descriptor_is_opened_again(void)
{
	int fd;

	fake_ioctl = answer_ok;
	fd = libshmipc_device_fd();
	CHECK(fd >= 0);
	/* A daemon closing everything it did not open itself. */
	CHECK_OK(close(fd));
	errno = EDOM;
	CHECK(shmipc_get(1, 1, 0) == 0);
	CHECK(errno == EDOM);	/* the failed check leaves no trace */
	CHECK(fake_open_calls == 2);
	CHECK(fake_ioctl_calls == 1);
	CHECK(fake_open_fds == 1);
	CHECK(shmipc_ctl(0, IPC_RMID, NULL) == 0);
	CHECK(fake_open_calls == 2);	/* and the new one is kept */
	/* The first call went to the closed number, and failed there. */
	CHECK(fake_foreign_ioctl_calls == 1);
	return 0;
}

static int reused_number_is_left_to_its_new_file(void)
{
	int fd, other;
	struct stat before, after;

	fake_ioctl = answer_ok;
	fd = libshmipc_device_fd();
	CHECK(fd >= 0);
	/* The program closes our descriptor and another file takes its number. */
	other = open("/dev/zero", O_RDONLY);
	CHECK(other >= 0);
	CHECK(dup2(other, fd) == fd);
	CHECK_OK(close(other));
	CHECK_OK(fstat(fd, &before));

	CHECK(shmipc_get(1, 1, 0) == 0);
	/* /dev/zero refused the one call it got (ENOTTY); the new descriptor got it again. */
	CHECK(fake_foreign_ioctl_calls == 1);
	CHECK(fake_ioctl_calls == 1);
	CHECK(fake_open_calls == 2);
	CHECK(libshmipc_device_fd() != fd);
	/* The library did not close what is now the program's file. */
	CHECK_OK(fstat(fd, &after));
	CHECK(after.st_ino == before.st_ino && after.st_rdev == before.st_rdev);
	return 0;
}

static void *race_reopen(void *out)
{
	pthread_barrier_wait(&start);
	*(int *)out = shmipc_get(1, 1, 0) == 0 ? libshmipc_device_fd() : -1;
	return NULL;
}

static int racing_reopen_keeps_one_descriptor(void)
{
	pthread_t threads[RACERS];
	int fds[RACERS];

	fake_ioctl = answer_ok;
	CHECK(libshmipc_device_fd() >= 0);
	CHECK_OK(close(libshmipc_device_fd()));
	fake_open_delay_us = 20000;
	pthread_barrier_init(&start, NULL, RACERS);
	for (int i = 0; i < RACERS; i++)
		CHECK(pthread_create(&threads[i], NULL, race_reopen, &fds[i]) == 0);
	for (int i = 0; i < RACERS; i++)
		pthread_join(threads[i], NULL);

	for (int i = 0; i < RACERS; i++)
		CHECK(fds[i] == fds[0] && fds[i] >= 0);
	NOTE("%d threads opened the device again", (int)fake_open_calls - 1);
	CHECK(fake_open_fds == 1);
	/* Each thread's first call at most went to the closed number. */
	CHECK(fake_foreign_ioctl_calls >= 1 && fake_foreign_ioctl_calls <= RACERS);
	return 0;
}

static int answer_einval(unsigned long request, void *arg)
{
	(void)request;
	(void)arg;
	return -EINVAL;
}

/* A call that succeeds is its one ioctl: no check of the descriptor. */
static int success_costs_one_ioctl(void)
{
	int before;

	fake_ioctl = answer_ok;
	CHECK(shmipc_get(1, 1, 0) == 0);	/* the first opens the device */
	before = fake_fstat_calls;
	for (int i = 0; i < 100; i++)
		CHECK(shmipc_get(1, 1, 0) == 0);
	CHECK(fake_ioctl_calls == 101);
	CHECK(fake_fstat_calls == before);
	return 0;
}

/* The module's own error: checked once, the descriptor kept, no retry. */
static int module_error_is_returned_once(void)
{
	fake_ioctl = answer_einval;
	CHECK_FAILS(shmipc_get(1, 1, 0), -1, EINVAL);
	CHECK_FAILS(shmipc_ctl(0, IPC_RMID, NULL), -1, EINVAL);
	CHECK(fake_ioctl_calls == 2);
	CHECK(fake_open_calls == 1);
	CHECK(fake_foreign_ioctl_calls == 0);
	return 0;
}

static int success_keeps_errno_including_first_open(void)
{
	fake_ioctl = answer_ok;
	errno = EDOM;
	CHECK(shmipc_get(1, 1, 0) == 0);
	CHECK(errno == EDOM);
	return 0;
}

static const struct harness_test tests[] = {
	TEST(missing_device_node_is_enosys),
	TEST(device_node_without_driver_is_enosys),
	TEST(permission_denied_passes_through),
	TEST(descriptor_limit_passes_through),
	TEST(opens_read_write_close_on_exec),
	TEST(failed_open_is_retried_by_next_call),
	TEST(device_is_opened_once),
	TEST(racing_first_use_keeps_one_descriptor),
	TEST(closed_descriptor_is_opened_again),
	TEST(reused_number_is_left_to_its_new_file),
	TEST(racing_reopen_keeps_one_descriptor),
	TEST(success_keeps_errno_including_first_open),
	TEST(success_costs_one_ioctl),
	TEST(module_error_is_returned_once),
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, tests, ARRAY_SIZE(tests));
}

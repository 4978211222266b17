// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The shared library on a system without the module: every call fails
 * with ENOSYS, whatever its arguments, without crashing or leaking a
 * descriptor, and works again unchanged once the module appears.
 */
#include <dirent.h>
#include <pthread.h>
#include <unistd.h>

#include "../include/shmipc.h"
#include "harness.h"

#define DEVICE "/dev/shmipc"

static int need_no_device(void)
{
	if (access(DEVICE, F_OK) == 0)
		return harness_skip(DEVICE " exists: the module is loaded");
	return 0;
}

static int open_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *d;
	int n = 0;

	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		n++;
	closedir(dir);
	return n;
}

static int get_is_enosys(void)
{
	need_no_device();
	CHECK_FAILS(shmipc_get(IPC_PRIVATE, 4096, IPC_CREAT | 0600), -1, ENOSYS);
	CHECK_FAILS(shmipc_get(0x5eed, 0, 0), -1, ENOSYS);
	CHECK_FAILS(shmipc_get(-1, (size_t)-1, -1), -1, ENOSYS);
	return 0;
}

static int at_is_enosys_with_minus_one_pointer(void)
{
	need_no_device();
	CHECK_FAILS(shmipc_at(0, NULL, 0), -1, ENOSYS);
	CHECK_FAILS(shmipc_at(-1, (void *)1, -1), -1, ENOSYS);
	CHECK(shmipc_at(0, NULL, SHM_RDONLY) == (void *)-1);
	return 0;
}

static int dt_is_enosys(void)
{
	need_no_device();
	CHECK_FAILS(shmipc_dt(NULL), -1, ENOSYS);
	CHECK_FAILS(shmipc_dt((void *)1), -1, ENOSYS);
	return 0;
}

static int ctl_is_enosys_for_every_command(void)
{
	static const int cmds[] = {
		IPC_STAT, IPC_SET, IPC_RMID, IPC_INFO, SHM_INFO, SHM_STAT,
		SHM_STAT_ANY, SHM_LOCK, SHM_UNLOCK, 99, -1,
	};
	struct shmid_ds ds = { 0 };

	need_no_device();
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		CHECK_FAILS(shmipc_ctl(0, cmds[i], &ds), -1, ENOSYS);
		/* Not EFAULT: without the module there is no system call. */
		CHECK_FAILS(shmipc_ctl(0, cmds[i], NULL), -1, ENOSYS);
	}
	return 0;
}

static int failing_calls_leak_no_descriptor(void)
{
	int before;

	need_no_device();
	before = open_fds();
	for (int i = 0; i < 1000; i++) {
		shmipc_get(1, 1, 0);
		shmipc_at(1, NULL, 0);
	}
	CHECK(open_fds() == before);
	return 0;
}

static void *call_all(void *failed)
{
	for (int i = 0; i < 1000; i++) {
		if (shmipc_get(1, 1, 0) != -1 || errno != ENOSYS ||
		    shmipc_ctl(1, IPC_RMID, NULL) != -1 || errno != ENOSYS)
			*(int *)failed = 1;
	}
	return NULL;
}

static int threads_all_get_enosys(void)
{
	pthread_t threads[8];
	int failed[8] = { 0 };

	need_no_device();
	for (int i = 0; i < 8; i++)
		CHECK(pthread_create(&threads[i], NULL, call_all, &failed[i]) == 0);
	for (int i = 0; i < 8; i++) {
		pthread_join(threads[i], NULL);
		CHECK(!failed[i]);
	}
	return 0;
}

static const struct harness_test tests[] = {
	TEST(get_is_enosys),
	TEST(at_is_enosys_with_minus_one_pointer),
	TEST(dt_is_enosys),
	TEST(ctl_is_enosys_for_every_command),
	TEST(failing_calls_leak_no_descriptor),
	TEST(threads_all_get_enosys),
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, tests, ARRAY_SIZE(tests));
}

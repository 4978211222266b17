// SPDX-License-Identifier: GPL-2.0
/*
 * The module's own lifetime: it cannot be unloaded while a segment is
 * attached (the VMA holds it, not the device file), and unloading frees
 * every segment left. These tests unload and load the module again, so
 * they need root and the module file the VM harness puts in place
 * (SHMIPC_KO, default /opt/shmipc/shmipc.ko); they skip without it.
 */
#include <sys/syscall.h>

#include "shmipc_test.h"
#include "kselftest_harness.h"

#define SEG_SIZE	(8UL << 20)

static const char *module_file(void)
{
	const char *ko = getenv("SHMIPC_KO");

	return ko ? ko : "/opt/shmipc/shmipc.ko";
}

static int unload(void)
{
	return syscall(SYS_delete_module, "shmipc", O_NONBLOCK);
}

static int load(void)
{
	int fd = open(module_file(), O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	return ret;
}

FIXTURE(lifetime) {
	int fd;
};

FIXTURE_SETUP(lifetime)
{
	self->fd = -1;
	if (geteuid() != 0)
		SKIP(return, "needs root to unload the module");
	if (access(module_file(), R_OK))
		SKIP(return, "no module file %s to load again", module_file());
	OPEN_DEVICE_OR_SKIP(self->fd);
}

FIXTURE_TEARDOWN(lifetime)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(lifetime, rmmod_refused_while_attached)
{
	int id = raw_get(self->fd, IPC_PRIVATE, page_size(), 0600);
	char *p;

	ASSERT_LE(0, id);
	p = raw_at(self->fd, id, NULL, 0, NULL);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, raw_rmid(self->fd, id));
	/* Only the attachment is left to hold the module. */
	close(self->fd);
	self->fd = -1;
	p[0] = 1;

	EXPECT_ERRNO(EWOULDBLOCK, unload());
	p[1] = 2;
	EXPECT_EQ(1, p[0]);
	ASSERT_EQ(0, munmap(p, page_size()));
}

TEST_F(lifetime, unload_frees_remaining_segments)
{
	key_t key = test_key(0);
	long before, after;
	char *p;
	int id;

	before = shmem_kb();
	id = raw_get(self->fd, key, SEG_SIZE, IPC_CREAT | IPC_EXCL | 0600);
	ASSERT_LE(0, id);
	p = raw_at(self->fd, id, NULL, 0, NULL);
	ASSERT_NE(MAP_FAILED, p);
	touch_pages(p, SEG_SIZE);
	ASSERT_EQ(0, raw_dt(self->fd, p));
	EXPECT_LE(before + (long)(SEG_SIZE >> 10) / 2, shmem_kb());
	close(self->fd);
	self->fd = -1;

	ASSERT_EQ(0, unload()) TH_LOG("rmmod: %s", strerror(errno));
	after = wait_shmem_at_most(before + 256, 10);
	ASSERT_EQ(0, load()) TH_LOG("insmod %s: %s", module_file(),
				    strerror(errno));
	EXPECT_GE(before + 256, after) TH_LOG("Shmem %ld kB, was %ld kB",
					     after, before);

	/* A new module instance: the old key is gone. */
	self->fd = open(SHMIPC_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	EXPECT_ERRNO(ENOENT, raw_get(self->fd, key, 0, 0));
}

/*
 * Segments whose lifetimes have not ended (a ttl counting, a creator
 * watched, one waiting for its last detach) go with the module: no work
 * or watch outlives it.
 */
TEST_F(lifetime, unload_ends_pending_lifetimes)
{
	static const unsigned int lifetimes[] = {
		SHMIPC_LIFE_TTL, SHMIPC_LIFE_CREATOR, SHMIPC_LIFE_LAST_DETACH,
	};
	long before = shmem_kb();

	for (unsigned int i = 0; i < ARRAY_SIZE(lifetimes); i++) {
		struct shmipc_get arg = {
			.key = IPC_PRIVATE, .flags = 0600, .size = SEG_SIZE,
			.lifetime = lifetimes[i],
			.ttl = lifetimes[i] == SHMIPC_LIFE_TTL ? 60 : 0,
		};
		int id = ioctl(self->fd, SHMIPC_IOC_GET, &arg);
		char *p;

		ASSERT_LE(0, id);
		if (lifetimes[i] == SHMIPC_LIFE_LAST_DETACH)
			continue;
		/* Attached and detached: the ttl counts from now. */
		p = raw_at(self->fd, id, NULL, 0, NULL);
		ASSERT_NE(MAP_FAILED, p);
		touch_pages(p, SEG_SIZE);
		ASSERT_EQ(0, raw_dt(self->fd, p));
	}
	close(self->fd);
	self->fd = -1;

	ASSERT_EQ(0, unload()) TH_LOG("rmmod: %s", strerror(errno));
	EXPECT_GE(before + 256, wait_shmem_at_most(before + 256, 10));
	ASSERT_EQ(0, load()) TH_LOG("insmod %s: %s", module_file(),
				    strerror(errno));
	/* This process made creator segments in the old instance: no trace. */
	self->fd = open(SHMIPC_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_bench: a segment of each system, made, attached, detached and
 * removed the way a program using that system would.
 *
 * shmipc and SysV: a private segment by id. POSIX shm: a name in
 * /dev/shm, opened, sized and kept open while the segment lives (its
 * attach is an mmap of that descriptor); memfd: the same without a name.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#include <shmipc.h>

#include "bench.h"

static int fail(struct bench_ctx *ctx, const char *why)
{
	ctx->why = why;
	return -1;
}

static void *fail_ptr(struct bench_ctx *ctx, const char *why)
{
	ctx->why = why;
	return NULL;
}

static int shmipc_create(struct bench_ctx *ctx, size_t size)
{
	ctx->size = size;
	ctx->id = shmipc_get(IPC_PRIVATE, size, IPC_CREAT | 0600);
	return ctx->id < 0 ? fail(ctx, "shmipc_get") : 0;
}

static void *shmipc_attach(struct bench_ctx *ctx)
{
	void *p = shmipc_at(ctx->id, NULL, 0);

	return p == (void *)-1 ? fail_ptr(ctx, "shmipc_at") : p;
}

static int shmipc_detach(struct bench_ctx *ctx, void *addr)
{
	return shmipc_dt(addr) ? fail(ctx, "shmipc_dt") : 0;
}

static int shmipc_remove(struct bench_ctx *ctx)
{
	return shmipc_ctl(ctx->id, IPC_RMID, NULL) ? fail(ctx, "shmipc_ctl") : 0;
}

static int sysv_create(struct bench_ctx *ctx, size_t size)
{
	ctx->size = size;
	ctx->id = shmget(IPC_PRIVATE, size, IPC_CREAT | 0600);
	return ctx->id < 0 ? fail(ctx, "shmget") : 0;
}

static void *sysv_attach(struct bench_ctx *ctx)
{
	void *p = shmat(ctx->id, NULL, 0);

	return p == (void *)-1 ? fail_ptr(ctx, "shmat") : p;
}

static int sysv_detach(struct bench_ctx *ctx, void *addr)
{
	return shmdt(addr) ? fail(ctx, "shmdt") : 0;
}

static int sysv_remove(struct bench_ctx *ctx)
{
	return shmctl(ctx->id, IPC_RMID, NULL) ? fail(ctx, "shmctl") : 0;
}

/* Names unique within the run: the pid, and a counter. */
static int posix_create(struct bench_ctx *ctx, size_t size)
{
	static unsigned long serial;

	ctx->size = size;
	snprintf(ctx->name, sizeof(ctx->name), "/shmipc-bench-%d-%lu",
		 (int)getpid(), serial++);
	ctx->fd = shm_open(ctx->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (ctx->fd < 0)
		return fail(ctx, "shm_open");
	if (ftruncate(ctx->fd, size)) {
		close(ctx->fd);
		shm_unlink(ctx->name);
		return fail(ctx, "ftruncate");
	}
	return 0;
}

static void *fd_attach(struct bench_ctx *ctx)
{
	void *p = mmap(NULL, ctx->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       ctx->fd, 0);

	return p == MAP_FAILED ? fail_ptr(ctx, "mmap") : p;
}

static int fd_detach(struct bench_ctx *ctx, void *addr)
{
	return munmap(addr, ctx->size) ? fail(ctx, "munmap") : 0;
}

static int posix_remove(struct bench_ctx *ctx)
{
	close(ctx->fd);
	return shm_unlink(ctx->name) ? fail(ctx, "shm_unlink") : 0;
}

static int memfd_make(struct bench_ctx *ctx, size_t size)
{
	ctx->size = size;
	ctx->fd = memfd_create("shmipc-bench", MFD_CLOEXEC);
	if (ctx->fd < 0)
		return fail(ctx, "memfd_create");
	if (ftruncate(ctx->fd, size)) {
		close(ctx->fd);
		return fail(ctx, "ftruncate");
	}
	return 0;
}

static int memfd_remove(struct bench_ctx *ctx)
{
	return close(ctx->fd) ? fail(ctx, "close") : 0;
}

const struct seg_ops seg_shmipc = {
	"shmipc", shmipc_create, shmipc_attach, shmipc_detach, shmipc_remove
};
const struct seg_ops seg_sysv = {
	"sysv", sysv_create, sysv_attach, sysv_detach, sysv_remove
};
const struct seg_ops seg_posix = {
	"posix-shm", posix_create, fd_attach, fd_detach, posix_remove
};
const struct seg_ops seg_memfd = {
	"memfd", memfd_make, fd_attach, fd_detach, memfd_remove
};
const struct seg_ops *const seg_systems[SEG_SYSTEMS] = {
	&seg_shmipc, &seg_sysv, &seg_posix, &seg_memfd
};

/*
 * Through volatile pointers, so that the compiler does every access the
 * figure is about (each one a fault).
 */
void touch_pages_write(volatile char *p, size_t size)
{
	size_t off;

	for (off = 0; off < size; off += PAGE)
		p[off] = 1;
}

unsigned long touch_pages_read(const volatile char *p, size_t size)
{
	unsigned long sum = 0;
	size_t off;

	for (off = 0; off < size; off += PAGE)
		sum += p[off];
	return sum;
}

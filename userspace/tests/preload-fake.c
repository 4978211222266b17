// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A fake module behind the fake device, linked into a test build of
 * libshmipc-preload.so (tests/libshmipc-preload-fake.so) so that an
 * unmodified program run under it talks to the fake device. Each ioctl
 * that reaches it is written as one line to the file named by
 * SHMIPC_FAKE_LOG ("GET key size", "AT id", "DT", "CTL id cmd"), for
 * tests/test-preload.sh to read. SHMIPC_FAKE_NO_DEVICE=1 makes the device
 * missing (open fails with ENOENT, as without the module).
 *
 * It keeps one segment, id 7, backed by anonymous shared memory: enough
 * for sysv-app's calls, and its mappings are told from SysV's in
 * /proc/self/maps.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <shmipc.h>	/* the ABI */

#include "fake-device.h"

#define ID	7

static __u64 seg_size;
static unsigned int nattch;

__attribute__((format(printf, 1, 2)))
static void log_line(const char *fmt, ...)
{
	const char *path = getenv("SHMIPC_FAKE_LOG");
	char line[128];
	va_list ap;
	int fd, len;

	if (!path)
		return;
	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* open() here is the fake device's wrapper, which passes it on. */
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)len) != len)
		(void)0;	/* the test sees a missing line */
	close(fd);
}

static int module(unsigned long request, void *arg)
{
	switch (request) {
	case SHMIPC_IOC_GET: {
		struct shmipc_get *get = arg;

		log_line("GET %d %llu\n", get->key, (unsigned long long)get->size);
		if (!seg_size)
			seg_size = get->size;
		return ID;
	}
	case SHMIPC_IOC_AT: {
		struct shmipc_at *at = arg;
		void *p;

		log_line("AT %d\n", at->id);
		if (at->id != ID)
			return -EINVAL;
		p = mmap(NULL, seg_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return -ENOMEM;
		at->addr = (__u64)(unsigned long)p;
		at->size = seg_size;
		nattch++;
		return 0;
	}
	case SHMIPC_IOC_DT: {
		struct shmipc_dt *dt = arg;

		log_line("DT\n");
		if (munmap((void *)(unsigned long)dt->addr, seg_size) < 0)
			return -EINVAL;
		nattch--;
		return 0;
	}
	case SHMIPC_IOC_CTL: {
		struct shmipc_ctl *ctl = arg;

		log_line("CTL %d %u\n", ctl->id, ctl->cmd);
		if (ctl->id != ID && ctl->cmd != SHMIPC_IPC_INFO)
			return -EINVAL;
		switch (ctl->cmd) {
		case SHMIPC_IPC_STAT:
			memset(&ctl->u.ds, 0, sizeof(ctl->u.ds));
			ctl->u.ds.segsz = seg_size;
			ctl->u.ds.nattch = nattch;
			ctl->u.ds.perm.mode = 0600;
			return 0;
		case SHMIPC_IPC_RMID:
			return 0;
		default:	/* what the module does not support yet */
			return -EINVAL;
		}
	}
	default:
		return -ENOTTY;
	}
}

__attribute__((constructor)) static void install_fake_module(void)
{
	const char *missing = getenv("SHMIPC_FAKE_NO_DEVICE");

	fake_ioctl = module;
	if (missing && strcmp(missing, "1") == 0)
		fake_open_errno = ENOENT;
}

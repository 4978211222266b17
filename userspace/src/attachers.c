// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libshmipc: shmipc_attachers(), the list SHMIPC_IOC_ATTACHERS gives,
 * converted entry by entry to the caller's types.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "internal.h"

_Static_assert(SHMIPC_ATTACHED_RDONLY == SHMIPC_ATTACHER_RDONLY, "flag differs from the ABI");
_Static_assert(SHMIPC_ATTACHED_OTHERS == SHMIPC_ATTACHER_OTHERS, "flag differs from the ABI");

int shmipc_attachers(int shmid, struct shmipc_attacher_info *buf,
		     unsigned int count)
{
	struct shmipc_attachers args = { .id = shmid, .count = count };
	struct shmipc_attacher *raw = NULL;
	unsigned int n;
	int ret = -1;

	if (count) {
		raw = calloc(count, sizeof(*raw));
		if (!raw)
			return -1;
		args.buf = (uintptr_t)raw;
	}
	if (libshmipc_ioctl(SHMIPC_IOC_ATTACHERS, &args) < 0)
		goto out;
	n = args.count < count ? args.count : count;
	for (unsigned int i = 0; i < n; i++) {
		struct shmipc_attacher_info info = {
			.pid = raw[i].pid,
			.flags = raw[i].flags,
			.nattch = (unsigned long)raw[i].nattch,
			.atime = (time_t)raw[i].atime,
		};

		if (libshmipc_copy_out(&buf[i], &info, sizeof(info)))
			goto out;
	}
	ret = args.count > INT32_MAX ? INT32_MAX : (int)args.count;
out:
	free(raw);
	return ret;
}

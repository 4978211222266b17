// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libshmipc: lifetimes, shmipc's own beside the SysV calls.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

_Static_assert(SHMIPC_LIFETIME_PERSIST == SHMIPC_LIFE_PERSIST, "lifetime differs from the ABI");
_Static_assert(SHMIPC_LIFETIME_CREATOR == SHMIPC_LIFE_CREATOR, "lifetime differs from the ABI");
_Static_assert(SHMIPC_LIFETIME_LAST_DETACH == SHMIPC_LIFE_LAST_DETACH, "lifetime differs from the ABI");
_Static_assert(SHMIPC_LIFETIME_TTL == SHMIPC_LIFE_TTL, "lifetime differs from the ABI");

int shmipc_get_lifetime(key_t key, size_t size, int shmflg,
			const struct shmipc_lifetime *lifetime)
{
	struct shmipc_lifetime in = { 0 };
	struct shmipc_get get;

	if (lifetime && libshmipc_copy_in(&in, lifetime, sizeof(in)))
		return -1;
	libshmipc_get_args(&get, key, size, shmflg);
	get.lifetime = in.policy;
	get.ttl = in.ttl;
	return libshmipc_ioctl(SHMIPC_IOC_GET, &get);
}

int shmipc_stat_lifetime(int shmid, struct shmipc_lifetime *lifetime)
{
	struct shmipc_ctl ctl = { .id = shmid, .cmd = SHMIPC_IPC_STAT };
	struct shmipc_lifetime out = { 0 };

	if (libshmipc_ioctl(SHMIPC_IOC_CTL, &ctl) < 0)
		return -1;
	out.policy = ctl.u.ds.lifetime;
	out.ttl = ctl.u.ds.ttl;
	/* A module older than lifetimes leaves the fields zero: persist. */
	out.expires_ms = out.policy ? ctl.u.ds.expires_ms : -1;
	return libshmipc_copy_out(lifetime, &out, sizeof(out));
}

int libshmipc_lifetime_parse(const char *text, struct shmipc_lifetime *lifetime)
{
	static const char *const names[] = {
		[SHMIPC_LIFETIME_PERSIST] = "persist",
		[SHMIPC_LIFETIME_CREATOR] = "creator",
		[SHMIPC_LIFETIME_LAST_DETACH] = "last-detach",
	};
	unsigned long ttl;
	char *end;

	*lifetime = (struct shmipc_lifetime){ .expires_ms = -1 };
	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(text, names[i]) == 0) {
			lifetime->policy = i;
			return 0;
		}
	}
	/* ttl=N: decimal digits only, no sign, no spaces, at most a year. */
	if (strncmp(text, "ttl=", 4) == 0 && text[4] >= '0' && text[4] <= '9') {
		errno = 0;
		ttl = strtoul(text + 4, &end, 10);
		if (!*end && !errno && ttl >= 1 && ttl <= SHMIPC_TTL_MAX) {
			lifetime->policy = SHMIPC_LIFETIME_TTL;
			lifetime->ttl = (unsigned int)ttl;
			return 0;
		}
	}
	errno = EINVAL;
	return -1;
}

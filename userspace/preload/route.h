/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where a preloaded process's SysV calls go (preload.c). */
#ifndef SHMIPC_PRELOAD_ROUTE_H
#define SHMIPC_PRELOAD_ROUTE_H

enum route {
	UNDECIDED,
	SHMIPC,
	SYSV,
};

/*
 * Decided at the first call and kept; UNDECIDED (with errno) while the
 * device cannot be opened for a reason other than a missing module.
 */
enum route preload_route(void);

#endif

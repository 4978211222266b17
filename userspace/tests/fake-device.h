/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A stand-in for /dev/shmipc and its module, for host tests of what the
 * library sends and how it reads the answers. Test programs are linked
 * with -Wl,--wrap=open,--wrap=close,--wrap=ioctl,--wrap=fstat against
 * libshmipc.a, so the library's open(), close(), ioctl() and fstat()
 * calls land here; calls on other files go to the real ones.
 */
#ifndef SHMIPC_TEST_FAKE_DEVICE_H
#define SHMIPC_TEST_FAKE_DEVICE_H

#include <stdatomic.h>

/*
 * open(SHMIPC_DEVICE) fails with this errno when nonzero; otherwise it
 * succeeds, after fake_open_delay_us, with a new open of one memfd that
 * stands for the device node: every open shares its inode, as opens of
 * a real device node do, and a number reused by another file (dup2 onto
 * it) is told apart from the fake device by its inode.
 */
extern int fake_open_errno;
extern unsigned int fake_open_delay_us;
extern atomic_int fake_open_calls;	/* open(SHMIPC_DEVICE) calls, failed ones too */
extern atomic_int fake_open_fds;	/* descriptors it handed out, minus those closed */
extern atomic_int fake_open_flags;		/* flags of the last open(SHMIPC_DEVICE) */

/*
 * The module: gets each ioctl on a descriptor from the fake open, after
 * the argument was copied into fake_last_arg. Returns the ioctl's result,
 * or -errno. Unset: -ENOTTY, like /dev/null.
 */
extern int (*fake_ioctl)(unsigned long request, void *arg);
extern atomic_int fake_ioctl_calls;
extern unsigned long fake_last_request;
extern unsigned char fake_last_arg[512];	/* the argument as the library passed it */

/*
 * ioctl() calls on descriptors that are not the fake device's (passed on
 * to the real ioctl): only a call made on a number the program has
 * closed or given to another file, which then fails there.
 */
extern atomic_int fake_foreign_ioctl_calls;

/* fstat() calls, of any descriptor: the library's identity checks. */
extern atomic_int fake_fstat_calls;

#endif /* SHMIPC_TEST_FAKE_DEVICE_H */

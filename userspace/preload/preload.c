// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libshmipc-preload.so: shmget, shmat, shmdt and shmctl for unmodified
 * programs, on shmipc.
 *
 *   LD_PRELOAD=/usr/local/lib/libshmipc-preload.so ./program
 *
 * The four functions here come before libc's in the program's symbol
 * lookup, so a dynamically linked program's calls land in libshmipc
 * (linked in statically, so that this file needs nothing but libc and
 * the loader does not have to find libshmipc.so). Statically linked
 * programs, and programs that make the system calls themselves, are not
 * reached.
 *
 * Where the calls go is decided once per process, at its first call, and
 * kept for the life of the process (children of fork() inherit it; a
 * program started by exec decides afresh):
 *   - SHMIPC_PRELOAD=off: the kernel's own System V shared memory;
 *   - SHMIPC_PRELOAD=on: shmipc, and ENOSYS from every call if the
 *     module is not loaded;
 *   - otherwise: shmipc if /dev/shmipc opens, the kernel's SysV if the
 *     module is not loaded (the library's ENOSYS). Any other failure to
 *     open it (EMFILE, EACCES, ...) is the call's error and decides
 *     nothing: the next call tries again.
 * Deciding per call would be wrong: an id is a number in one of two
 * unrelated id spaces, and a SysV id handed to shmipc (or the reverse)
 * names another segment or none. For the same reason nothing is ever
 * passed on to the kernel's SysV once shmipc is chosen: a shmctl command
 * the module does not know fails as shmipc_ctl() fails it (EINVAL), and
 * SHM_LOCK counts against shmipc's own RLIMIT_MEMLOCK charge. A program
 * on shmipc does not see the kernel's SysV segments, and programs on SysV
 * do not see its segments; listing.c gives tools the listing that goes
 * with the calls.
 *
 * The kernel's SysV is reached by the raw system calls rather than by
 * dlsym(RTLD_NEXT, ...): no lookup that could fail or find this library
 * again, no state. That is only right where libc's struct shmid_ds is
 * the kernel's and shmctl takes its command as is (no IPC_64 bit): true
 * of x86-64, the one architecture this is built for.
 *
 * SHMIPC_LIFETIME gives the segments a program on shmipc creates a
 * lifetime (see shmipc_get_lifetime(3)), so that, say, a fuzzer killed
 * between its shmget() and its IPC_RMID leaves nothing behind:
 *   SHMIPC_LIFETIME=POLICY[,private]
 * POLICY is persist, creator, last-detach or ttl=SECONDS; with ",private"
 * only IPC_PRIVATE segments get it, and keyed ones persist. A value that
 * does not parse fails every shmget() that creates on shmipc with EINVAL
 * rather than leave segments a lifetime that was not asked for. The
 * variable is read once, at the first shmget().
 *
 * glibc defines one version of each of these symbols on x86-64
 * (GLIBC_2.2.5). The ones here carry no version (libshmipc-preload.map
 * names no version node), and an unversioned definition satisfies a
 * reference to any version, so programs bind to them whatever glibc they
 * were linked against (tests/test-preload.sh checks with LD_DEBUG).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../src/internal.h"
#include "route.h"

#if !defined(__x86_64__) || !defined(__LP64__)
#error "libshmipc-preload: the raw SysV system calls are right on x86-64 only (see above)"
#endif

static atomic_int route = UNDECIDED;

/*
 * Where this process's calls go; UNDECIDED (with errno) when the device
 * could not be opened for a reason other than a missing module.
 */
enum route preload_route(void)
{
	enum route r = atomic_load_explicit(&route, memory_order_acquire);
	const char *env;
	int unset = UNDECIDED;

	if (r != UNDECIDED)
		return r;

	env = getenv("SHMIPC_PRELOAD");
	if (env && strcmp(env, "off") == 0)
		r = SYSV;
	else if (env && strcmp(env, "on") == 0)
		r = SHMIPC;
	else if (libshmipc_device_fd() >= 0)
		r = SHMIPC;
	else if (errno == ENOSYS)
		r = SYSV;
	else
		return UNDECIDED;

	/*
	 * Threads deciding at once may disagree if the module is loaded
	 * between their looks: the first to store its decision makes it
	 * for all.
	 */
	if (!atomic_compare_exchange_strong_explicit(&route, &unset, r,
						     memory_order_acq_rel,
						     memory_order_acquire))
		r = unset;
	return r;
}

/* SHMIPC_LIFETIME, parsed once. */
static struct shmipc_lifetime env_lifetime;
static int env_lifetime_valid, env_lifetime_private_only;
static pthread_once_t env_lifetime_once = PTHREAD_ONCE_INIT;

static void parse_env_lifetime(void)
{
	static const char suffix[] = ",private";
	const char *env = getenv("SHMIPC_LIFETIME");
	char policy[32];
	size_t len;

	env_lifetime_valid = 1;
	if (!env)
		return;
	len = strlen(env);
	if (len > sizeof(suffix) - 1 &&
	    strcmp(env + len - (sizeof(suffix) - 1), suffix) == 0) {
		env_lifetime_private_only = 1;
		len -= sizeof(suffix) - 1;
	}
	if (len >= sizeof(policy)) {
		env_lifetime_valid = 0;
		return;
	}
	memcpy(policy, env, len);
	policy[len] = '\0';
	env_lifetime_valid = libshmipc_lifetime_parse(policy, &env_lifetime) == 0;
}

static int preload_shmget(key_t key, size_t size, int shmflg)
{
	pthread_once(&env_lifetime_once, parse_env_lifetime);
	if (env_lifetime_private_only && key != IPC_PRIVATE)
		return shmipc_get(key, size, shmflg);
	if (!env_lifetime_valid) {
		/* Only a call that may create is refused. */
		if (key == IPC_PRIVATE || (shmflg & IPC_CREAT)) {
			errno = EINVAL;
			return -1;
		}
		return shmipc_get(key, size, shmflg);
	}
	return shmipc_get_lifetime(key, size, shmflg, &env_lifetime);
}

int shmget(key_t key, size_t size, int shmflg)
{
	switch (preload_route()) {
	case SHMIPC:
		return preload_shmget(key, size, shmflg);
	case SYSV:
		return syscall(SYS_shmget, key, size, shmflg);
	default:
		return -1;
	}
}

void *shmat(int shmid, const void *shmaddr, int shmflg)
{
	switch (preload_route()) {
	case SHMIPC:
		return shmipc_at(shmid, shmaddr, shmflg);
	case SYSV:
		/* The address comes back as the system call's long result. */
		return (void *)syscall(SYS_shmat, shmid, shmaddr, shmflg);
	default:
		return (void *)-1;
	}
}

int shmdt(const void *shmaddr)
{
	switch (preload_route()) {
	case SHMIPC:
		return shmipc_dt(shmaddr);
	case SYSV:
		return syscall(SYS_shmdt, shmaddr);
	default:
		return -1;
	}
}

int shmctl(int shmid, int cmd, struct shmid_ds *buf)
{
	switch (preload_route()) {
	case SHMIPC:
		return shmipc_ctl(shmid, cmd, buf);
	case SYSV:
		return syscall(SYS_shmctl, shmid, cmd, buf);
	default:
		return -1;
	}
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the files of shmipc_fuzz share (main.c says what the program does).
 */
#ifndef SHMIPC_FUZZ_H
#define SHMIPC_FUZZ_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/ucontext.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shmipc.h"
#include "../shmipc_rand.h"

#define KSFT_SKIP		4

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif
#ifndef MAP_SYNC
#define MAP_SYNC		0x80000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif

/* Fixed regions, far below where mmap(NULL) places anything. */
#define SCRATCH_BASE		0x234500000000UL	/* + thread * stride */
#define SCRATCH_STRIDE		(64UL << 20)
#define SCRATCH_SIZE		(32UL << 20)		/* last page: a hole */
#define SCRATCH_USE		(16UL << 20)		/* where fixed maps start */
#define VSCRATCH_BASE		0x234000000000UL	/* for victim records */
#define VSCRATCH_SIZE		(64UL << 20)
#define VICTIM_BASE		0x233f00000000UL
#define VICTIM_PAGES		16

#define MAX_MAPS		24
#define MAX_IDS			32
#define MAX_STALE		16
#define RECENT			256
#define IDLOG_MAX		(1 << 18)
#define SMALL_SEG		(8UL << 20)	/* largest segment we SHM_REMAP */
#define MAX_VICTIM_AT		200		/* attachments we cannot find */
#define POPULATE_MAX		(1UL << 20)	/* bytes one call may fault in */

#define POISON			0x5a5a5a5a5a5a5a5aULL

enum fop {
	F_RANDCMD, F_VERSION, F_GET, F_CTL, F_AT, F_DT, F_HOSTILE, F_VICTIM_IOCTL,
	F_MMAP, F_MPROTECT, F_MUNMAP, F_MREMAP, F_MADVISE, F_TOUCH, F_CHURN,
	/* mmcalls.c: the other mm calls a user can aim at an attachment */
	F_RFP, F_MLOCK, F_MSYNC, F_MBIND, F_PVM, F_PROCMEM, F_VMSPLICE,
	F_ODIRECT, F_FORK, F_ROPROBE,
	F_LISTING,	/* listing.c: /proc/shmipc/shm read as segments come and go */
	F_LIMITS,	/* limits.c: the namespace's kernel.shm* settings changed */
	F_ATTACHERS,	/* SHMIPC_IOC_ATTACHERS with every kind of buffer */
	F_WATCH,	/* SHMIPC_IOC_WATCH, and reads of what it reports */
	F_CLEANUP, F_NR
};

static const char *const fop_names[F_NR] = {
	"ioctl_random", "ioctl_version", "ioctl_get", "ioctl_ctl", "ioctl_at",
	"ioctl_dt", "ioctl_hostile", "ioctl_victim", "mmap", "mprotect",
	"munmap", "mremap", "madvise", "touch", "victim_churn",
	"remap_file_pages", "mlock", "msync", "mbind", "process_vm", "proc_mem",
	"vmsplice", "o_direct", "fork_madvise", "ro_probe", "listing", "limits",
	"ioctl_attachers", "ioctl_watch", "cleanup",
};

/* The errno values the ABI (and the mm calls' man pages) document. */
static const int E_RANDCMD[] = { ENOTTY, 0 };
static const int E_FAULT[] = { EFAULT, 0 };
static const int E_INVAL[] = { EINVAL, 0 };
static const int E_ACCES[] = { EACCES, 0 };
static const int E_NONE[] = { 0 };
/* EPERM: SHM_HUGETLB outside vm.hugetlb_shm_group. */
static const int E_GET[] = { EFAULT, EINVAL, ENOENT, EEXIST, EACCES, ENOSPC, ENOMEM, EPERM, 0 };
/* ENOMEM: SHM_LOCK past RLIMIT_MEMLOCK, or its charge not allocated. */
static const int E_CTL[] = { EFAULT, EINVAL, EACCES, EPERM, EIDRM, ENOMEM, 0 };
static const int E_AT[] = { EFAULT, EINVAL, EACCES, ENOMEM, EIDRM, EPERM, EINTR, 0 };
static const int E_DT[] = { EFAULT, EINVAL, EINTR, 0 };
static const int E_ATTACHERS[] = { EFAULT, EINVAL, EACCES, ENOMEM, 0 };
static const int E_WATCH[] = { EFAULT, EINVAL, EMFILE, ENFILE, ENOMEM, 0 };
static const int E_MMAP[] = { EINVAL, EACCES, ENOMEM, EPERM, EAGAIN, EOVERFLOW,
			      EOPNOTSUPP, EEXIST, EIDRM, 0 };
static const int E_MPROTECT[] = { EACCES, EINVAL, ENOMEM, 0 };
static const int E_MREMAP[] = { EFAULT, EINVAL, ENOMEM, EAGAIN, 0 };
static const int E_MADVISE[] = { EINVAL, EACCES, ENOMEM, EFAULT, EPERM, EAGAIN, EIO,
				 EBUSY, EINTR, EHWPOISON, 0 };

static const int *const cmd_errnos[] = { E_FAULT, E_GET, E_CTL, E_AT, E_DT, E_ATTACHERS,
					 E_WATCH };

struct map {
	char *addr;
	size_t len;
	int id;
	bool ro;
	bool outside;	/* placed by the kernel: only this thread touches it */
	bool dt_ok;	/* addr is where an attachment starts (offset 0) */
	bool grown;	/* not a segment mapping any more, or never was */
	bool prot_changed;	/* mprotect took place: faults may be right */
	bool ro_sure;	/* read-only and only ever ours: no write may land */
	int prot;
	/*
	 * Bytes the segment maps, as the attach said; 0 when not known. An
	 * id's size can change: kernel.shm_next_id gives a removed id again.
	 */
	uint64_t seg_size;
};

struct idinfo {
	int id;
	uint64_t size;	/* bytes, when STAT told us; else 0 */
};

struct fthr {
	int idx;
	bool unpriv;
	struct rnd rnd;
	char *scratch;
	char *buf;		/* a read-write page, then a PROT_NONE page */
	struct map maps[MAX_MAPS];
	int nmaps;
	struct idinfo ids[MAX_IDS];
	int nids;
	int stale[MAX_STALE];
	int nstale;
	int victim_at;
	uint64_t calls;
	struct op_count cnt[F_NR];
	int memfd;		/* /proc/self/mem, or -1 */
	int dfd;		/* an O_DIRECT file on tmpfs, or -1 */
	int watch_fd;		/* a watcher left to fill up, or -1 */
};

struct shared {
	int recent[RECENT];		/* ids any thread got lately */
	uint32_t recent_n;
	uint64_t nlog;
	int idlog[IDLOG_MAX];
};

struct cfg {
	uint64_t seed;
	uint64_t calls;
	int threads;
};

/* Defined in main.c. */
extern struct cfg cfg;
/*
 * A shmdt() anywhere but at the start of one of the caller's attachments
 * searches upward, as SysV's does, and may take another thread's map. Such
 * a detach holds mm_lock for writing and, done, forgets every thread's map
 * it took. remap_file_pages(), which may leave a hole in a map (op_rfp),
 * holds it for writing too. Every other call holds it for reading, so no
 * thread ever acts on a map that is gone and whose address the kernel may
 * have given to another.
 */
extern pthread_rwlock_t mm_lock;
extern struct fthr *fthreads;		/* this process's threads */
extern int nfthreads;
extern unsigned int fop_weights[F_NR];
extern size_t pg;
extern int fd_rw, fd_ro;
extern int32_t key_base;
extern uint64_t shmmax;		/* SHMMAX unless told */
extern struct report *rep;
extern struct shared *sh;
/* volatile: the stores around a probed access must not be optimized away */
extern __thread sigjmp_buf *volatile probe_jb;
extern __thread int probe_code;		/* si_code of the last probed fault */

/* main.c */
int probe(char *p, bool write);
void maps_describe(const void *addr, char *out, size_t size);
bool __attribute__((format(printf, 5, 6)))
tally(struct fthr *t, enum fop op, long rc, const int *allowed,
      const char *fmt, ...);
void __attribute__((format(printf, 3, 4)))
violation(struct fthr *t, enum fop op, const char *fmt, ...);

/* ioctl.c */
int ctl_raw(int id, uint32_t cmd, struct shmipc_ds *ds);
void rmid(struct fthr *t, int id);
struct idinfo *id_info(struct fthr *t, int id);
int pick_id(struct fthr *t);
void op_churn(struct fthr *t);
void op_version(struct fthr *t);
void op_get(struct fthr *t);
void op_ctl(struct fthr *t);
void op_at(struct fthr *t);
void op_dt(struct fthr *t);
void op_randcmd(struct fthr *t);
void op_hostile(struct fthr *t);
void op_victim_ioctl(struct fthr *t);

/* ioctl.c, for mmcalls.c */
void *hostile_ptr(struct fthr *t, size_t size);

/* mmcalls.c */
void mmcalls_init(struct fthr *t);
void mmcalls_fini(struct fthr *t);
void op_rfp(struct fthr *t);
void op_mlock(struct fthr *t);
void op_msync(struct fthr *t);
void op_mbind(struct fthr *t);
void op_pvm(struct fthr *t);
void op_procmem(struct fthr *t);
void op_vmsplice(struct fthr *t);
void op_odirect(struct fthr *t);
void op_fork(struct fthr *t);
void op_roprobe(struct fthr *t);

/* listing.c */
void op_listing(struct fthr *t);

/* limits.c */
void limits_init(void);
void op_limits(struct fthr *t);
void op_attachers(struct fthr *t);
void op_watch(struct fthr *t);

/* mm.c */
void sub_range(struct fthr *t, int i, char **from, size_t *len);
bool in_scratch(const struct fthr *t, const char *p, size_t len);
char *scratch_addr(struct fthr *t);
void map_drop(struct fthr *t, int i);
void map_unmap(struct fthr *t, int i);
/* Whether all of [@addr, @addr + @len) is mapped. */
bool range_is_mapped(const char *addr, size_t len);
int map_add(struct fthr *t, char *addr, size_t len, int id, int prot);
void check_fresh(struct fthr *t, enum fop op, int i, bool none);
void op_mmap(struct fthr *t);
void op_mprotect(struct fthr *t);
void op_munmap(struct fthr *t);
void op_mremap(struct fthr *t);
void op_madvise(struct fthr *t);
void op_touch(struct fthr *t);

#endif /* SHMIPC_FUZZ_H */

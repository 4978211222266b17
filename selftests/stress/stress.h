/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the files of shmipc_stress share (main.c says what the program does).
 */
#ifndef SHMIPC_STRESS_H
#define SHMIPC_STRESS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/ucontext.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shmipc.h"
#include "../shmipc_rand.h"

#define KSFT_SKIP		4

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

/* Per thread: attachments, remembered ids, private segments. */
#define MAX_ATT			8
#define MAX_KNOWN		16
#define MAX_PRIV		6

/*
 * Scratch: per thread NR_SLOTS regions of SLOT_SPAN bytes, reserved
 * PROT_NONE at a fixed address far below where mmap(NULL) places things,
 * so that nobody else's mapping ever lands in a hole we leave there.
 */
#define SCRATCH_BASE		0x234500000000UL
#define SCRATCH_STRIDE		(32UL << 20)
#define NR_SLOTS		12
#define SLOT_SPAN		(1UL << 20)

/* Segments: a 128-byte record per writer thread at the start. */
#define REC_BYTES		128
#define REC_WORDS		(REC_BYTES / 8)
#define REC_MAGIC		0x73686d6970637374ULL
#define PRIV_EXTRA_MAX		(192UL << 10)

/* Child exit codes: anything else was already reported, or is a crash. */
#define CHILD_OK		0
#define CHILD_FAILED		1
#define CHILD_SKIP		3

#define IDLOG_MAX		65536

enum op {
	OP_GET_CREAT, OP_GET_CREAT0, OP_GET_EXCL, OP_GET_PRIVATE,
	OP_GET_LOOKUP, OP_GET_TOOBIG, OP_STAT, OP_SET, OP_LOCK, OP_RMID, OP_AT_RW,
	OP_AT_RO, OP_AT_FIXED, OP_MMAP_RW, OP_MMAP_RO, OP_MPROTECT_RO,
	OP_MPROTECT_SPLIT, OP_DT, OP_MUNMAP_PART, OP_REMAP_HEAD,
	OP_MREMAP_MOVE, OP_MREMAP_GROW, OP_WRITE, OP_VERIFY, OP_FORK_TOUCH,
	OP_FORK_SEGV, OP_FORK_DT, OP_UNSHARE,
	/* mm.c: every mm call a user can aim at an attachment */
	OP_RFP, OP_MPROTECT_ANY, OP_MREMAP_DONTUNMAP, OP_MUNMAP_PIECE,
	OP_MADVISE, OP_MLOCK, OP_MBIND, OP_MSYNC, OP_PROCESS_VM, OP_PROC_MEM,
	OP_O_DIRECT, OP_VMSPLICE, OP_FORK_MADVISE, OP_RO_WRITE, OP_NATTCH,
	OP_LISTING,	/* listing.c */
	OP_CLEANUP, OP_NR
};

static const char *const op_names[OP_NR] = {
	"get_creat", "get_creat_size0", "get_excl", "get_private",
	"get_lookup", "get_toobig", "stat", "set", "lock", "rmid", "at_rw",
	"at_ro", "at_fixed", "mmap_rw", "mmap_ro", "mprotect_ro",
	"mprotect_split", "dt", "munmap_part", "remap_head",
	"mremap_move", "mremap_grow", "write", "verify", "fork_touch",
	"fork_segv", "fork_dt", "unshare",
	"remap_file_pages", "mprotect_any", "mremap_dontunmap", "munmap_piece",
	"madvise", "mlock", "mbind", "msync", "process_vm", "proc_mem",
	"o_direct", "vmsplice", "fork_madvise", "ro_write", "nattch",
	"listing", "cleanup",
};


/*
 * What each failure may be, given the races: ids go stale when another
 * thread removes the segment (EINVAL; EIDRM as SysV allows); nothing may
 * fail on a segment this thread holds attached, since it lives until the
 * last detach. Every thread has the same uid and never takes the owner's
 * rwx away, so EACCES and EPERM are never right; nor is ENOSPC or ENOMEM
 * at these sizes.
 */
static const int E_NONE[] = { 0 };
static const int E_EXIST[] = { EEXIST, 0 };
static const int E_NOENT[] = { ENOENT, 0 };
static const int E_NOENT_INVAL[] = { ENOENT, EINVAL, 0 };
static const int E_INVAL[] = { EINVAL, 0 };
static const int E_STALE[] = { EINVAL, EIDRM, 0 };
/* SHM_STAT of an index not ours: free, or another user's without read. */
static const int E_STAT_INDEX[] = { EINVAL, EIDRM, EACCES, 0 };
static const int E_ACCES[] = { EACCES, 0 };
/*
 * mremap grows an attachment as it grows a SysV one; in place only where
 * the pages after it are free (ENOMEM otherwise).
 */
static const int E_GROW[] = { ENOMEM, 0 };

struct seginfo {
	int id;
	int32_t key;		/* at creation; 0 for private */
	size_t segsz;
	bool fresh;		/* private, never attached: must read as zeros */
};

struct att {
	char *addr;		/* first mapped byte */
	size_t off;		/* segment offset of addr (head unmapped) */
	size_t len;		/* bytes mapped from addr */
	size_t hole_off;	/* an unmapped page range inside, from addr */
	size_t hole_len;
	struct seginfo seg;
	int slot;		/* scratch slot, or -1 where the kernel chose */
	bool ro;
	bool tail_cut;		/* the pages after addr + len are unmapped */
	bool split;		/* several VMAs, which never merge (vm_ops->close) */
	bool gone;		/* unmapped behind our back (reported): forget it */
	bool remapped;		/* remap_file_pages'd (in place): shmdt takes it */
};

struct thr {
	int proc, idx, gidx;
	int fd;
	struct rnd rnd;
	char *scratch;
	bool slot_used[NR_SLOTS];
	struct att att[MAX_ATT];
	int natt;
	struct seginfo known[MAX_KNOWN];
	int nknown, known_next;
	struct seginfo priv[MAX_PRIV];
	int npriv;
	uint64_t value;
	uint64_t ops_done;
	struct op_count cnt[OP_NR];
	int memfd;		/* /proc/self/mem, or -1 */
	int dfd;		/* an O_DIRECT file on tmpfs, or -1 */
	int noted[64];		/* ids whose inode this thread logged */
	int nnoted;
};

struct idlog {
	uint64_t n;
	struct {
		int id;
		int32_t key;
	} e[IDLOG_MAX];
};

struct cfg {
	uint64_t seed;
	uint64_t ops;
	double secs;
	int procs, threads, keys;
	bool meminfo;
};

/*
 * The files that map each segment, as /proc/PID/maps shows them (dev and
 * inode), logged at attach; and where all threads meet at the end, so
 * that nattch can be compared with the VMAs of every process at once.
 */
#define INOLOG_MAX		16384

struct inolog {
	uint64_t n;
	struct {
		int id;
		unsigned long dev, ino;
	} e[INOLOG_MAX];
	uint32_t arrived, released;
	pid_t pids[256];
};

/* Defined in main.c. */
extern struct inolog *inolog;
extern struct cfg cfg;
extern unsigned int op_weights[OP_NR];
extern size_t pg;
extern int nrecs;		/* records at the start of every segment */
extern int32_t key_base;
extern uid_t my_uid;
extern gid_t my_gid;
extern uint64_t deadline;	/* -t: CLOCK_MONOTONIC ns; 0 with -n */
extern struct report *rep;
extern struct idlog *idlog;
/* Where a fault during an operation returns to (see on_crash). */
extern __thread sigjmp_buf *volatile op_jb;
extern __thread void *fault_addr;

/* mm.c */
extern pthread_rwlock_t fork_lock;
void mm_thread_init(struct thr *t);
void mm_thread_fini(struct thr *t);
void ino_note(struct thr *t, const struct att *a);
void checkpoint(struct thr *t);
int probe_access(char *p, bool write);
void op_rfp(struct thr *t);
void op_mprotect_any(struct thr *t);
void op_mremap_dontunmap(struct thr *t);
void op_munmap_piece(struct thr *t);
void op_madvise(struct thr *t);
void op_mlock(struct thr *t);
void op_mbind(struct thr *t);
void op_msync(struct thr *t);
void op_process_vm(struct thr *t);
void op_proc_mem(struct thr *t);
void op_o_direct(struct thr *t);
void op_vmsplice(struct thr *t);
void op_fork_madvise(struct thr *t);
void op_ro_write(struct thr *t);
void op_listing(struct thr *t);
void check_nattch(struct thr *t, enum op op, int id, pid_t peer);

/* track.c */
size_t round_pg(size_t n);
int32_t key_of(int k);
size_t canon_size(int k);
int sys_get(int fd, int32_t key, uint32_t flags, uint64_t size);
int sys_ctl(int fd, int id, uint32_t cmd, struct shmipc_ds *ds);
int sys_at(int fd, int id, uint32_t flags, uint64_t *addr,
	   uint64_t *size);
int sys_dt(int fd, const void *addr);
char *slot_addr(struct thr *t, int slot);
int slot_take(struct thr *t);
void slot_put(struct thr *t, int slot);
void slot_refill(struct thr *t, int slot);
bool range_unmapped(const char *addr, size_t len);
bool page_mapped(const char *addr);
void __attribute__((format(printf, 3, 4)))
violation(struct thr *t, enum op op, const char *fmt, ...);
bool __attribute__((format(printf, 5, 6)))
tally(struct thr *t, enum op op, long rc, const int *allowed,
      const char *fmt, ...);
bool __attribute__((format(printf, 5, 6)))
tally_fail(struct thr *t, enum op op, long rc, const int *allowed,
	   const char *fmt, ...);
void remember(struct thr *t, const struct seginfo *s);
int attached(const struct thr *t, int id);
struct seginfo *priv_of(struct thr *t, int id);
bool pick_seg(struct thr *t, struct seginfo *s);
char *seg_ptr(const struct att *a, size_t off, size_t len);
void rec_fill(uint64_t *w, int writer, int32_t key, int id, uint64_t value);
bool rec_check(struct thr *t, enum op op, const struct att *a, int i,
	       uint64_t *value);
bool zero_check(struct thr *t, enum op op, const struct att *a,
		size_t from, size_t to);
bool verify_att(struct thr *t, enum op op, const struct att *a);
bool write_rec(struct thr *t, enum op op, struct att *a, uint64_t value);

/* ops.c */
int pick_att(struct thr *t, bool (*fit)(const struct att *));
void att_drop(struct thr *t, int i);
bool att_one_vma(const struct att *a);
struct att *att_add(struct thr *t, char *addr, size_t len,
		    const struct seginfo *s, int slot, bool ro);
void check_ds(struct thr *t, enum op op, const struct seginfo *s,
	      const struct shmipc_ds *ds);
void op_get(struct thr *t, enum op op);
void op_stat(struct thr *t);
void op_set(struct thr *t);
void op_lock(struct thr *t);
void op_rmid_seg(struct thr *t, const struct seginfo *s);
void op_rmid(struct thr *t);
void drop_gone(struct thr *t);
void detach_att(struct thr *t, int i);
void op_dt(struct thr *t);
void op_attach(struct thr *t, enum op op);
void op_mmap(struct thr *t, enum op op);
bool fit_ro(const struct att *a);
void op_mprotect_ro(struct thr *t);
void op_mprotect_split(struct thr *t);
void op_munmap_part(struct thr *t);
void op_remap_head(struct thr *t);
void op_mremap_move(struct thr *t);
void op_mremap_grow(struct thr *t);
bool fit_rw_rec(const struct att *a);
bool att_alive(struct thr *t, enum op op, struct att *a);
void op_write(struct thr *t);
void op_verify(struct thr *t);

/* child.c */
void child_init(void);
void check_child(struct thr *t, enum op op, int rc, const char *what);
int reap(pid_t pid);
void op_fork_touch(struct thr *t);
void op_fork_segv(struct thr *t);
void op_fork_dt(struct thr *t);
void op_unshare(struct thr *t);

#endif /* SHMIPC_STRESS_H */

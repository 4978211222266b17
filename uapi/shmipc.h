/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * shmipc: System V style shared memory through /dev/shmipc.
 *
 * The ioctl ABI, shared by the kernel module and user space. Every struct
 * has fixed-width fields, natural alignment, explicit padding and a size
 * that is a multiple of 8, so 32-bit and 64-bit callers see one layout.
 * Every reserved field and every pad must be zero on input (EINVAL
 * otherwise), so that later versions can give them a meaning. Flag words
 * are checked against the published masks below: an unknown bit is EINVAL.
 *
 * The flag, mode and command values are those of <sys/ipc.h> and
 * <sys/shm.h>, so a caller may pass its shmget()/shmat()/shmctl()
 * arguments unchanged.
 */
#ifndef _UAPI_SHMIPC_H
#define _UAPI_SHMIPC_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define SHMIPC_DEVICE		"/dev/shmipc"
#define SHMIPC_ABI_VERSION	2

/* Segment flags (SHMIPC_IOC_GET.flags): the low nine bits are the mode. */
#define SHMIPC_MODE_MASK	00777
#define SHMIPC_IPC_CREAT	00001000
#define SHMIPC_IPC_EXCL		00002000
#define SHMIPC_SHM_HUGETLB	00004000	/* if SHMIPC_FEATURE_HUGETLB */
#define SHMIPC_SHM_NORESERVE	00010000
/*
 * With SHMIPC_SHM_HUGETLB, bits 26-31 are log2 of the huge page size, 0 for
 * the default one, as shmget()'s SHM_HUGE_*; without it they must be 0.
 */
#define SHMIPC_SHM_HUGE_SHIFT	26
#define SHMIPC_SHM_HUGE_MASK	0x3f
#define SHMIPC_SHM_HUGE_2MB	(21U << SHMIPC_SHM_HUGE_SHIFT)
#define SHMIPC_SHM_HUGE_1GB	(30U << SHMIPC_SHM_HUGE_SHIFT)
#define SHMIPC_GET_FLAGS	(SHMIPC_MODE_MASK | SHMIPC_IPC_CREAT | \
				 SHMIPC_IPC_EXCL | SHMIPC_SHM_HUGETLB | \
				 SHMIPC_SHM_NORESERVE | \
				 ((__u32)SHMIPC_SHM_HUGE_MASK << \
				  SHMIPC_SHM_HUGE_SHIFT))

/* Attach flags (SHMIPC_IOC_AT.flags). */
#define SHMIPC_SHM_RDONLY	00010000
#define SHMIPC_SHM_RND		00020000
#define SHMIPC_SHM_REMAP	00040000
#define SHMIPC_SHM_EXEC		00100000
#define SHMIPC_AT_FLAGS		(SHMIPC_SHM_RDONLY | SHMIPC_SHM_RND | \
				 SHMIPC_SHM_REMAP | SHMIPC_SHM_EXEC)

/* Control commands (SHMIPC_IOC_CTL.cmd). */
#define SHMIPC_IPC_RMID		0
#define SHMIPC_IPC_SET		1
#define SHMIPC_IPC_STAT		2
#define SHMIPC_IPC_INFO		3	/* u.info: limits; returns max index */
#define SHMIPC_SHM_LOCK		11	/* pages unevictable; see below */
#define SHMIPC_SHM_UNLOCK	12	/* undoes SHM_LOCK */
#define SHMIPC_SHM_STAT		13	/* id is an index; returns the id */
#define SHMIPC_SHM_INFO		14	/* u.info: usage; returns max index */
#define SHMIPC_SHM_STAT_ANY	15	/* SHM_STAT without read permission */

/* Status bits in shmipc_perm.mode above the nine permission bits. */
#define SHMIPC_SHM_DEST		01000	/* removed, freed at the last detach */
#define SHMIPC_SHM_LOCKED	02000	/* by SHM_LOCK, until SHM_UNLOCK */

#define SHMIPC_IPC_PRIVATE	0

/* SHMIPC_IOC_VERSION: what this module speaks. */
struct shmipc_version {
	__u32 abi_version;	/* out: SHMIPC_ABI_VERSION */
	__u32 pad;
	__u64 features;		/* out: SHMIPC_FEATURE_* bits */
	__u64 reserved[2];	/* out: zero */
};

#define SHMIPC_FEATURE_GET	0x1ULL
#define SHMIPC_FEATURE_CTL	0x2ULL	/* IPC_STAT, IPC_SET, IPC_RMID */
#define SHMIPC_FEATURE_AT	0x4ULL
#define SHMIPC_FEATURE_DT	0x8ULL
#define SHMIPC_FEATURE_INFO	0x10ULL	/* IPC_INFO, SHM_INFO, SHM_STAT(_ANY) */
#define SHMIPC_FEATURE_LOCK	0x20ULL	/* SHM_LOCK, SHM_UNLOCK */
#define SHMIPC_FEATURE_HUGETLB	0x40ULL	/* SHM_HUGETLB, SHM_HUGE_* */
#define SHMIPC_FEATURE_LIFETIME	0x80ULL	/* shmipc_get.lifetime, shmipc_ds's */
#define SHMIPC_FEATURE_ATTACHERS 0x100ULL /* SHMIPC_IOC_ATTACHERS */
#define SHMIPC_FEATURE_WATCH	0x200ULL /* SHMIPC_IOC_WATCH */

/*
 * Lifetimes (SHMIPC_IOC_GET.lifetime): how a segment is destroyed when
 * nobody removes it. Each destroys it as an IPC_RMID would, and only
 * while nothing is attached: the key is free at once, the memory freed.
 * IPC_RMID works on every segment whatever its lifetime.
 *   PERSIST      until IPC_RMID, as SysV's (the default)
 *   CREATOR      once the creating process has exited (by any means) or
 *                executed another program, and nothing is attached: at
 *                that moment, or at the last detach after it
 *   LAST_DETACH  at the first detach that leaves nothing attached, once
 *                something was attached
 *   TTL          once nothing has been attached for ttl seconds, counted
 *                from creation and from each last detach
 */
#define SHMIPC_LIFE_PERSIST	0
#define SHMIPC_LIFE_CREATOR	1
#define SHMIPC_LIFE_LAST_DETACH	2
#define SHMIPC_LIFE_TTL		3
#define SHMIPC_LIFE_MAX		SHMIPC_LIFE_TTL

/*
 * SHMIPC_IOC_GET: shmget(key, size, flags). The ioctl returns the segment's
 * id (>= 0), so a created segment's id can never be lost on the way out.
 * lifetime and ttl apply to a segment this call creates; a lookup of an
 * existing key checks them (EINVAL) and ignores them, as shmget() does a
 * mode. ttl is 1 to SHMIPC_TTL_MAX with SHMIPC_LIFE_TTL, else 0.
 */
struct shmipc_get {
	__s32 key;		/* in: key, or SHMIPC_IPC_PRIVATE */
	__u32 flags;		/* in: SHMIPC_GET_FLAGS */
	__u64 size;		/* in: bytes; 0 looks up an existing key */
	__u32 lifetime;		/* in: SHMIPC_LIFE_* (0: persist) */
	__u32 ttl;		/* in: seconds, for SHMIPC_LIFE_TTL */
	__u64 reserved[1];	/* in: zero */
};

#define SHMIPC_TTL_MAX		(366U * 24 * 3600)	/* a year */

struct shmipc_perm {
	__s32 key;
	__u32 uid;		/* owner; IPC_SET may change it */
	__u32 gid;		/* group; IPC_SET may change it */
	__u32 cuid;		/* creator */
	__u32 cgid;
	__u32 mode;		/* nine permission bits (IPC_SET), SHM_DEST, SHM_LOCKED */
	__u32 seq;
	__u32 pad;
};

/* A segment's state, as struct shmid_ds. */
struct shmipc_ds {
	struct shmipc_perm perm;
	__u64 segsz;		/* bytes */
	__s64 atime;		/* last attach, seconds since the epoch */
	__s64 dtime;		/* last detach */
	__s64 ctime;		/* creation or last IPC_SET */
	__s32 cpid;		/* creator */
	__s32 lpid;		/* last attach or detach */
	__u64 nattch;		/* current attachments */
	__u32 lifetime;		/* SHMIPC_LIFE_* */
	__u32 ttl;		/* seconds, for SHMIPC_LIFE_TTL */
	/*
	 * Milliseconds before a lifetime destroys it, if nothing attaches
	 * meanwhile: a TTL countdown, or 0 for a segment whose lifetime
	 * has ended and that waits for its last detach; else -1.
	 */
	__s64 expires_ms;
	__u64 reserved[2];	/* zero (IPC_SET: must be zero) */
};

/* Limits and usage, as struct shminfo and struct shm_info (IPC_INFO, SHM_INFO). */
struct shmipc_info {
	__u64 shmmax;
	__u64 shmmin;
	__u64 shmmni;
	__u64 shmseg;
	__u64 shmall;
	__u64 used_ids;
	__u64 shm_tot;		/* pages */
	__u64 shm_rss;
	__u64 shm_swp;
	__u64 reserved[5];
};

/*
 * SHMIPC_IOC_CTL: shmctl(id, cmd, buf). IPC_STAT, SHM_STAT and
 * SHM_STAT_ANY fill u.ds; IPC_INFO fills u.info's shmmax, shmmin, shmmni,
 * shmseg and shmall, SHM_INFO its used_ids, shm_tot, shm_rss and shm_swp
 * (pages), the rest zero. IPC_SET reads
 * u.ds.perm.uid, .gid and the nine bits of .mode and ignores the other
 * fields (lifetime, ttl and expires_ms among them) but u.ds.perm.pad and
 * u.ds.reserved, which must be zero. The
 * ioctl returns what shmctl() returns: 0, an id (SHM_STAT, SHM_STAT_ANY)
 * or the highest index in use (IPC_INFO, SHM_INFO).
 *
 * SHM_LOCK and SHM_UNLOCK neither read nor write u. SHM_LOCK makes the
 * segment's pages unevictable, sets SHMIPC_SHM_LOCKED in its mode and
 * charges its size to the caller's real uid against RLIMIT_MEMLOCK
 * (ENOMEM past it, unless CAP_IPC_LOCK); SHM_UNLOCK, or the segment's
 * destruction, undoes all three. Either is allowed with CAP_IPC_LOCK in
 * the namespace's user namespace, otherwise to the owner or creator only
 * (EPERM), and SHM_LOCK only with a nonzero RLIMIT_MEMLOCK (EPERM). Locking
 * a locked segment, or unlocking an unlocked one, succeeds and changes
 * nothing. The charge is counted apart from SysV shm's.
 */
struct shmipc_ctl {
	__s32 id;		/* in */
	__u32 cmd;		/* in: SHMIPC_IPC_* / SHMIPC_SHM_* */
	__u64 reserved[2];	/* in: zero */
	union {
		struct shmipc_ds ds;
		struct shmipc_info info;
	} u;
};

/*
 * SHMIPC_IOC_AT: shmat(id, addr, flags). Maps the whole segment by an mmap
 * of the device on the caller's behalf; returns the address in addr.
 */
struct shmipc_at {
	__s32 id;		/* in */
	__u32 flags;		/* in: SHMIPC_AT_FLAGS */
	__u64 addr;		/* in: wanted address or 0; out: attached address */
	__u64 size;		/* out: bytes mapped (segsz rounded up to pages) */
	__u64 reserved[2];	/* in: zero */
};

/* SHMIPC_IOC_DT: shmdt(addr). */
struct shmipc_dt {
	__u64 addr;		/* in: start of an attachment */
	__u64 reserved[2];	/* in: zero */
};

/*
 * SHMIPC_IOC_ATTACHERS: who has a segment attached, as IPC_STAT tells how
 * many (the same permission: read, or CAP_IPC_OWNER). One entry per
 * process and access (read-only or read-write) with the number of its
 * attachments: nattch counts VMAs, so a fork's copy, a split by mprotect
 * or munmap and a remap_file_pages() count as they do in nattch. An
 * entry's pid is the process's in the caller's pid namespace, 0 if it
 * has none there. Past the module's max_attachers entries per segment,
 * further attachments are counted in one last entry with
 * SHMIPC_ATTACHER_OTHERS and pid 0. The entries' nattch add up to the
 * segment's nattch, less the attaches in progress (shmat() holds nattch
 * up while it maps, as SysV's does), all read at one moment.
 *
 * count is in: the room in buf, in entries (buf may be 0 with count 0);
 * out: the entries there are. The first min(in, out) are written.
 */
struct shmipc_attacher {
	__s32 pid;		/* the process, in the caller's pid namespace */
	__u32 flags;		/* SHMIPC_ATTACHER_* */
	__u64 nattch;		/* its attachments */
	__s64 atime;		/* the first of them, seconds since the epoch */
	__u64 reserved;		/* zero */
};

#define SHMIPC_ATTACHER_RDONLY	0x1	/* attached read-only */
#define SHMIPC_ATTACHER_OTHERS	0x2	/* every attachment not listed */

struct shmipc_attachers {
	__s32 id;		/* in */
	__u32 count;		/* in: room in buf; out: entries there are */
	__u64 buf;		/* in: struct shmipc_attacher[count], or 0 */
	__u64 nattch;		/* out: the segment's nattch */
	__u64 reserved;		/* in: zero */
};

/*
 * SHMIPC_IOC_WATCH: a new descriptor (the ioctl's result) from which
 * read() returns struct shmipc_event records of the segments of one key,
 * one id or the whole IPC namespace of the caller, as they happen; poll,
 * select and epoll report it readable while a record waits. A watcher is
 * told only of segments its opener may read (the permission IPC_STAT
 * needs, judged at each event with the opener's credentials), and only of
 * the event types in its mask (0: all). Records queue up to the module's
 * watch_queue parameter per watcher; past that they are dropped, and the
 * reader gets one SHMIPC_EV_OVERFLOW record, where they would have been,
 * whose count says how many. read() returns whole records (EINVAL for a
 * buffer smaller than one) and blocks for the first unless the descriptor
 * is non-blocking (SHMIPC_WATCH_NONBLOCK, or O_NONBLOCK set later). Each
 * user has at most the module's max_watchers descriptors open (EMFILE).
 * Closing the descriptor frees it all.
 */
#define SHMIPC_WATCH_NS		0	/* every segment of the namespace */
#define SHMIPC_WATCH_KEY	1	/* those made with key (not private) */
#define SHMIPC_WATCH_ID		2	/* the segment id */

#define SHMIPC_WATCH_NONBLOCK	0x1	/* O_NONBLOCK */
#define SHMIPC_WATCH_CLOEXEC	0x2	/* O_CLOEXEC */
#define SHMIPC_WATCH_FLAGS	(SHMIPC_WATCH_NONBLOCK | SHMIPC_WATCH_CLOEXEC)

struct shmipc_watch {
	__u32 scope;		/* in: SHMIPC_WATCH_NS, _KEY or _ID */
	__s32 key;		/* in: for SHMIPC_WATCH_KEY; else 0 */
	__s32 id;		/* in: for SHMIPC_WATCH_ID; else 0 */
	__u32 events;		/* in: 1 << SHMIPC_EV_* bits; 0: all */
	__u32 flags;		/* in: SHMIPC_WATCH_FLAGS */
	__u32 pad;		/* in: zero */
	__u64 reserved[2];	/* in: zero */
};

/*
 * Event types. pid is the process that acted, in the reader's pid
 * namespace (0 if none there or none did: a lifetime, the last detach
 * that destroys).
 *   CREATED    a segment was made (pid: its creator)
 *   ATTACHED   an attachment (a VMA: a fork's copy and a split count, as
 *              in nattch); flags SHMIPC_ATTACHER_RDONLY if read-only;
 *              count: the segment's attachments after it (nattch but
 *              for attaches in progress); pid: the process it is in, but
 *              for a fork's copy (SHMIPC_EV_FORK), made before the child
 *              has a pid: the forking process
 *   DETACHED   an attachment went; flags and count as ATTACHED; pid: the
 *              process it was in (an exiting one's, by its exit)
 *   SET        IPC_SET changed it
 *   REMOVED    IPC_RMID (pid: its caller), or the end of its lifetime
 *              (flags SHMIPC_EV_LIFETIME): its key is free
 *   DESTROYED  it is gone, its memory freed
 *   OVERFLOW   count records were dropped here (id, key and pid 0)
 * key is the key the segment was made with, whatever IPC_RMID did since.
 */
#define SHMIPC_EV_CREATED	1
#define SHMIPC_EV_ATTACHED	2
#define SHMIPC_EV_DETACHED	3
#define SHMIPC_EV_SET		4
#define SHMIPC_EV_REMOVED	5
#define SHMIPC_EV_DESTROYED	6
#define SHMIPC_EV_OVERFLOW	7
#define SHMIPC_EV_MAX		SHMIPC_EV_OVERFLOW
#define SHMIPC_EV_ALL		(((1U << (SHMIPC_EV_MAX + 1)) - 1) & ~1U)

#define SHMIPC_EV_LIFETIME	0x2	/* REMOVED by a lifetime's end */
#define SHMIPC_EV_FORK		0x4	/* ATTACHED: a fork's copy */

struct shmipc_event {
	__u32 type;		/* SHMIPC_EV_* */
	__u32 flags;
	__s32 id;
	__s32 key;
	__s32 pid;
	__u32 pad;		/* zero */
	__u64 count;
	__s64 time_ns;		/* CLOCK_REALTIME */
	__u64 reserved;		/* zero */
};

/*
 * Attaching by a plain mmap of the device is the operation SHMIPC_IOC_AT
 * performs for the caller: mmap(addr, length, prot, MAP_SHARED, fd,
 * SHMIPC_MMAP_OFFSET(id, page_size)) with 0 < length <= the segment's size
 * rounded up to pages. PROT_WRITE asks the segment's write permission and
 * PROT_EXEC its execute permission (not when READ_IMPLIES_EXEC only
 * implies it). Without PROT_WRITE the attachment is read-only for good:
 * no mprotect or remap_file_pages can make it writable. MAP_PRIVATE is
 * refused (EINVAL). The attachment is then what SHMIPC_IOC_AT makes: the
 * mapping of a file whose offset 0 is the segment's first byte.
 */
#define SHMIPC_MMAP_OFFSET(id, page_size) \
	((__u64)(__u32)(id) * (__u64)(page_size))

/*
 * 0xBE is free in Documentation/userspace-api/ioctl/ioctl-number.rst.
 * ABI version 1 used 0xB7, which remoteproc and nsfs have.
 */
#define SHMIPC_IOC_MAGIC	0xBE
#define SHMIPC_IOC_VERSION	_IOR(SHMIPC_IOC_MAGIC, 0x00, struct shmipc_version)
#define SHMIPC_IOC_GET		_IOW(SHMIPC_IOC_MAGIC, 0x01, struct shmipc_get)
#define SHMIPC_IOC_CTL		_IOWR(SHMIPC_IOC_MAGIC, 0x02, struct shmipc_ctl)
#define SHMIPC_IOC_AT		_IOWR(SHMIPC_IOC_MAGIC, 0x03, struct shmipc_at)
#define SHMIPC_IOC_DT		_IOW(SHMIPC_IOC_MAGIC, 0x04, struct shmipc_dt)
#define SHMIPC_IOC_ATTACHERS	_IOWR(SHMIPC_IOC_MAGIC, 0x05, struct shmipc_attachers)
#define SHMIPC_IOC_WATCH	_IOW(SHMIPC_IOC_MAGIC, 0x06, struct shmipc_watch)

#endif /* _UAPI_SHMIPC_H */

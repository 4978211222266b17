/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libshmipc: System V style shared memory through /dev/shmipc.
 *
 * shmipc_get(), shmipc_at(), shmipc_dt() and shmipc_ctl() take the
 * arguments, flags and structs of shmget(), shmat(), shmdt() and shmctl()
 * from <sys/ipc.h> and <sys/shm.h>, and report errors the same way: -1
 * (shmipc_at: (void *)-1) with errno set. A SysV program ports by renaming
 * those four calls. The first call opens /dev/shmipc; if the shmipc module
 * is not loaded, every call fails with ENOSYS, as a missing system call
 * would.
 *
 * shmipc_sem_t is a process-shared counting semaphore meant to live inside
 * a segment, with the calls and errors of sem_init(), sem_wait() and the
 * rest of <semaphore.h>. It works between threads and processes, and
 * between different attachments (addresses) of the same segment.
 *
 * shmipc_mutex_t is a process-shared mutex that survives its owner's death:
 * the next locker gets EOWNERDEAD, as with a robust pthread mutex.
 *
 * shmipc_chan_t is one end of a single-producer single-consumer message
 * channel laid out in a segment (or any MAP_SHARED memory): blocking,
 * non-blocking and timed sends and receives, a zero-copy form, and a
 * closed or dead peer reported rather than waited on.
 *
 * Nothing in this library prints or exits, and a successful call leaves
 * errno as it was.
 */
#ifndef SHMIPC_H
#define SHMIPC_H

#include <sys/types.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Declared here so that strict C89/C99 users need not have <time.h> define it. */
struct timespec;

/*
 * shmipc_get - get the id of a segment by key, creating it if asked
 *
 * As shmget(key, size, shmflg). key IPC_PRIVATE always creates a new
 * segment. IPC_CREAT creates the segment for key if there is none, with
 * the permission bits in the low nine bits of shmflg; IPC_CREAT|IPC_EXCL
 * fails if one exists. size is the size in bytes of a new segment; when
 * looking up an existing one it may be 0 or at most the segment's size.
 * Bits of shmflg that shmget() does not interpret are ignored, as shmget()
 * ignores them; SHM_NORESERVE is accepted. SHM_HUGETLB makes a segment of
 * huge pages, their size picked by SHM_HUGE_2MB, SHM_HUGE_1GB (or 0: the
 * default one), as shmget() does.
 *
 * Returns the segment id (>= 0), or -1 with errno:
 *   EACCES   the segment exists and the caller lacks the permissions asked
 *            for in the low nine bits of shmflg
 *   EEXIST   IPC_CREAT|IPC_EXCL and the key exists
 *   EINVAL   size below the minimum or above the maximum of a new segment,
 *            or above the size of the existing one; SHM_HUGETLB with a
 *            huge page size the kernel does not have
 *   ENOENT   no segment for key and no IPC_CREAT
 *   ENOMEM   out of memory; SHM_HUGETLB without SHM_NORESERVE and the
 *            huge page pool cannot reserve the segment
 *   EPERM    SHM_HUGETLB by a caller without CAP_IPC_LOCK and outside
 *            vm.hugetlb_shm_group
 *   ENOSPC   the limit on segments or on shared memory pages is reached
 *   ENOSYS   /dev/shmipc does not exist (the shmipc module is not loaded)
 *   and any error of open(2) on /dev/shmipc other than "no such device"
 *   (EACCES, EMFILE, ENFILE, ...).
 */
int shmipc_get(key_t key, size_t size, int shmflg);

/*
 * shmipc_at - attach a segment to the caller's address space
 *
 * As shmat(shmid, shmaddr, shmflg). shmaddr NULL lets the kernel choose the
 * address; otherwise it must be a multiple of SHMLBA, or is rounded down to
 * one with SHM_RND. SHM_RDONLY attaches read-only, SHM_EXEC adds execute
 * permission, SHM_REMAP replaces whatever is mapped at shmaddr. Other bits
 * of shmflg are ignored. The attachment is inherited across fork() and
 * dropped by exec and exit.
 *
 * Returns the address of the attachment, or (void *)-1 with errno:
 *   EACCES   the caller lacks read (or, without SHM_RDONLY, write)
 *            permission on the segment
 *   EINVAL   no segment with this id; shmaddr not aligned (without
 *            SHM_RND) or overlapping a mapping (without SHM_REMAP);
 *            SHM_REMAP with a NULL shmaddr
 *   ENOMEM   no room in the address space
 *   ENOSYS, open(2) errors: as shmipc_get().
 */
void *shmipc_at(int shmid, const void *shmaddr, int shmflg);

/*
 * shmipc_dt - detach a segment
 *
 * As shmdt(shmaddr): unmaps the attachment that starts at shmaddr. A
 * segment removed with IPC_RMID is freed at its last detach.
 *
 * Returns 0, or -1 with errno:
 *   EINVAL   shmaddr is not the start of an attachment
 *   ENOSYS, open(2) errors: as shmipc_get().
 */
int shmipc_dt(const void *shmaddr);

/*
 * shmipc_ctl - query, change or remove a segment
 *
 * As shmctl(shmid, cmd, buf). Commands:
 *   IPC_STAT  copy the segment's state into *buf (needs read permission)
 *   IPC_SET   set the owner's uid and gid and the nine permission bits of
 *             the mode from buf->shm_perm; other fields are ignored (caller
 *             must be the owner or creator, or privileged)
 *   IPC_RMID  remove the segment: its key is free at once, its memory is
 *             freed at the last detach, and until then IPC_STAT shows
 *             SHM_DEST in the mode and key IPC_PRIVATE; buf is ignored
 *   SHM_LOCK  keep the segment's pages in memory (unevictable) and show
 *             SHM_LOCKED in the mode; its size is charged to the caller's
 *             real uid against RLIMIT_MEMLOCK until SHM_UNLOCK or the
 *             segment is freed. shmipc counts this apart from SysV shm's
 *             locks. Locking a locked segment does nothing; buf is ignored
 *   SHM_UNLOCK undo SHM_LOCK, returning the charge; buf is ignored
 *   IPC_INFO  the limits, into the struct shminfo buf points to
 *   SHM_INFO  the namespace's usage, into the struct shm_info buf points to
 *   SHM_STAT, SHM_STAT_ANY  as IPC_STAT, but shmid is an index into the
 *             table; SHM_STAT_ANY needs no read permission
 * Other commands are refused with EINVAL.
 *
 * Returns 0 for IPC_STAT, IPC_SET, IPC_RMID, SHM_LOCK and SHM_UNLOCK; the
 * highest index in use for IPC_INFO and SHM_INFO; the segment's id for
 * SHM_STAT and SHM_STAT_ANY. Or -1 with errno:
 *   EACCES   IPC_STAT or SHM_STAT without read permission
 *   EFAULT   buf is NULL, or memory the caller may not write (IPC_SET:
 *            read), for a command that uses it
 *   EINVAL   no segment with this id; unknown or unsupported cmd; IPC_SET
 *            with a uid or gid that does not exist in the caller's user
 *            namespace
 *   ENOMEM   SHM_LOCK past RLIMIT_MEMLOCK without CAP_IPC_LOCK
 *   EPERM    IPC_SET or IPC_RMID by a process that is neither the owner
 *            nor the creator and lacks CAP_SYS_ADMIN; SHM_LOCK or
 *            SHM_UNLOCK by one that is neither and lacks CAP_IPC_LOCK, or
 *            SHM_LOCK without it and with an RLIMIT_MEMLOCK of 0
 *   ENOSYS, open(2) errors: as shmipc_get().
 */
int shmipc_ctl(int shmid, int cmd, struct shmid_ds *buf);

/*
 * Lifetimes: how a segment goes when nobody removes it (shmipc's, beyond
 * SysV). A lifetime ends as IPC_RMID would end it (the key is free at
 * once), but only while nothing is attached; IPC_RMID still works on
 * every segment.
 *   SHMIPC_LIFETIME_PERSIST      until IPC_RMID, as SysV's (the default)
 *   SHMIPC_LIFETIME_CREATOR      once the creating process has exited (by
 *                                any means: exit, a signal, SIGKILL, the
 *                                OOM killer) or executed another program,
 *                                and nothing is attached: at that moment
 *                                or at the last detach after it. An exit
 *                                is seen at once, an exec within 100 ms.
 *   SHMIPC_LIFETIME_LAST_DETACH  at the first detach that leaves nothing
 *                                attached, once something was attached
 *   SHMIPC_LIFETIME_TTL          once nothing has been attached for ttl
 *                                seconds (1 to a year), counted from
 *                                creation and from each last detach
 */
#define SHMIPC_LIFETIME_PERSIST		0
#define SHMIPC_LIFETIME_CREATOR		1
#define SHMIPC_LIFETIME_LAST_DETACH	2
#define SHMIPC_LIFETIME_TTL		3

/* long long, which strict C89 lacks but every compiler of it here has. */
#ifdef __GNUC__
#define SHMIPC_LONG_LONG	__extension__ long long
#else
#define SHMIPC_LONG_LONG	long long
#endif

struct shmipc_lifetime {
	unsigned int policy;	/* SHMIPC_LIFETIME_* */
	unsigned int ttl;	/* seconds, for SHMIPC_LIFETIME_TTL; else 0 */
	/*
	 * shmipc_stat_lifetime() only: milliseconds before the lifetime
	 * destroys the segment if nothing attaches meanwhile (a ttl
	 * countdown), 0 when the lifetime has ended and the segment waits
	 * for its last detach, else -1.
	 */
	SHMIPC_LONG_LONG expires_ms;
};

/*
 * shmipc_get_lifetime - shmipc_get(), giving a segment it creates a lifetime
 *
 * As shmipc_get(key, size, shmflg); a segment this call creates gets the
 * policy and ttl of *lifetime (expires_ms is ignored). Looking up an
 * existing key ignores them, as it ignores the mode bits. lifetime NULL
 * is SHMIPC_LIFETIME_PERSIST.
 *
 * Returns the segment id, or -1 with errno as shmipc_get(), and:
 *   EINVAL   an unknown policy; a ttl of 0 or above a year with
 *            SHMIPC_LIFETIME_TTL, or not 0 without it; a module older
 *            than lifetimes
 *   EFAULT   lifetime is not readable memory
 */
int shmipc_get_lifetime(key_t key, size_t size, int shmflg,
			const struct shmipc_lifetime *lifetime);

/*
 * shmipc_stat_lifetime - a segment's lifetime, as IPC_STAT gives its state
 *
 * Fills *lifetime. Returns 0, or -1 with errno as shmipc_ctl(IPC_STAT).
 */
int shmipc_stat_lifetime(int shmid, struct shmipc_lifetime *lifetime);

/*
 * shmipc_attachers - who has a segment attached
 *
 * Fills buf with up to count entries, one per process and access (read-
 * only or read-write) that has shmid attached: its pid (in the caller's
 * pid namespace; 0 if it has none there), SHMIPC_ATTACHED_RDONLY for
 * read-only attachments, how many attachments it has (counted as
 * shm_nattch counts them: a fork's copy, or an attachment split by
 * mprotect() or a partial munmap(), is one more) and the time of its
 * first. The module lists at most its max_attachers parameter's processes
 * per segment; the attachments of the rest are in one last entry with
 * SHMIPC_ATTACHED_OTHERS and pid 0. The entries' nattch add up to the
 * segment's shm_nattch, but for shmipc_at() calls in progress. Needs the
 * permission IPC_STAT needs.
 *
 * Returns the number of entries there are (more than count: call again
 * with a larger buf), or -1 with errno:
 *   EACCES   the caller lacks read permission on the segment
 *   EFAULT   buf is not writable for the entries to be written
 *   EINVAL   no segment with this id
 *   ENOMEM   out of memory
 *   ENOTTY   a module older than this call
 *   ENOSYS, open(2) errors: as shmipc_get().
 */
#define SHMIPC_ATTACHED_RDONLY	0x1
#define SHMIPC_ATTACHED_OTHERS	0x2

struct shmipc_attacher_info {
	pid_t pid;
	unsigned int flags;	/* SHMIPC_ATTACHED_* */
	unsigned long nattch;
	time_t atime;
};

int shmipc_attachers(int shmid, struct shmipc_attacher_info *buf,
		     unsigned int count);

/*
 * Segment events: a descriptor that poll(), select() and epoll report
 * readable while an event waits, and shmipc_read_event() reads.
 *
 * shmipc_watch_key(), shmipc_watch_id() and shmipc_watch_all() watch the
 * segments made with key, the segment shmid, or every segment of the
 * caller's IPC namespace. events is a mask of SHMIPC_EVENT_MASK(type)
 * bits, 0 for all; flags may hold O_NONBLOCK and O_CLOEXEC. A watcher is
 * told only of segments the caller may read (as IPC_STAT), judged with
 * its credentials of the moment it called. Close the descriptor to stop.
 * Return the descriptor, or -1 with errno:
 *   EINVAL   an unknown event bit or flag; shmipc_watch_key() of
 *            IPC_PRIVATE; a negative shmid
 *   EMFILE   the user has the module's max_watchers descriptors open,
 *            or the process its RLIMIT_NOFILE
 *   ENOMEM   out of memory
 *   ENOTTY   a module older than watches
 *   ENOSYS, open(2) errors: as shmipc_get().
 *
 * shmipc_read_event() reads the next event from fd into *event, waiting
 * for one unless fd is non-blocking. Returns 0, or -1 with read(2)'s
 * errno (EAGAIN: none waits).
 *
 * Events: type is one of
 *   SHMIPC_EVENT_CREATED    a segment was made (pid: its creator)
 *   SHMIPC_EVENT_ATTACHED   an attachment came (count: attachments after;
 *                           flags SHMIPC_EVENT_RDONLY if read-only; a
 *                           fork's copy or a split counts, as in nattch;
 *                           a fork's copy has SHMIPC_EVENT_FORK and the
 *                           forking process's pid: the child has none yet)
 *   SHMIPC_EVENT_DETACHED   an attachment went (flags and count as above)
 *   SHMIPC_EVENT_SET        IPC_SET changed it
 *   SHMIPC_EVENT_REMOVED    IPC_RMID, or the end of its lifetime (flags
 *                           SHMIPC_EVENT_LIFETIME): its key is free
 *   SHMIPC_EVENT_DESTROYED  it is gone, its memory freed
 *   SHMIPC_EVENT_OVERFLOW   the watcher's queue was full: count events
 *                           were dropped here
 * pid is the process that acted, in the caller's pid namespace (0 if
 * none did, or it has no pid there); key the key the segment was made
 * with; time_ns the time of the event (CLOCK_REALTIME).
 *
 * shmipc_wait_key() returns the id of key's segment, waiting up to
 * timeout_ms milliseconds (-1: for ever) for it to be made if there is
 * none. It waits for a segment the caller may read; one it may not is
 * seen only once the timeout passes. Returns the id, or -1 with errno:
 * ETIMEDOUT, EINTR (a signal), EINVAL (key IPC_PRIVATE), or those of
 * shmipc_watch_key() and shmipc_get().
 */
#define SHMIPC_EVENT_CREATED	1
#define SHMIPC_EVENT_ATTACHED	2
#define SHMIPC_EVENT_DETACHED	3
#define SHMIPC_EVENT_SET	4
#define SHMIPC_EVENT_REMOVED	5
#define SHMIPC_EVENT_DESTROYED	6
#define SHMIPC_EVENT_OVERFLOW	7
#define SHMIPC_EVENT_MASK(type)	(1U << (type))

#define SHMIPC_EVENT_RDONLY	0x1
#define SHMIPC_EVENT_LIFETIME	0x2
#define SHMIPC_EVENT_FORK	0x4

struct shmipc_event_info {
	unsigned int type;	/* SHMIPC_EVENT_* */
	unsigned int flags;	/* SHMIPC_EVENT_RDONLY, _LIFETIME, _FORK */
	int shmid;
	key_t key;
	pid_t pid;
	SHMIPC_LONG_LONG count;
	SHMIPC_LONG_LONG time_ns;
};

int shmipc_watch_key(key_t key, unsigned int events, int flags);
int shmipc_watch_id(int shmid, unsigned int events, int flags);
int shmipc_watch_all(unsigned int events, int flags);
int shmipc_read_event(int fd, struct shmipc_event_info *event);
int shmipc_wait_key(key_t key, int timeout_ms);

/*
 * Process-shared semaphores.
 *
 * Place a shmipc_sem_t in a segment (or any MAP_SHARED memory) and every
 * thread and process that maps that memory can use it, each through its
 * own address. The members are private: use only the functions below.
 * A zero-filled shmipc_sem_t, as in a newly created segment, is a valid
 * semaphore of value 0, so a server may create a segment and post to
 * semaphores in it while a client is already waiting on them.
 *
 * The layout is part of the ABI (it is shared between processes that may
 * use different builds of the library) and will not change within
 * SHMIPC_1.0. Blocking uses futex(2) on the value, in its shared
 * (not _PRIVATE) form.
 */
typedef struct shmipc_sem {
	unsigned int _value;	/* private: the count, and a "waiters" flag */
	unsigned int _nwaiters;	/* private: threads in a blocking wait */
} shmipc_sem_t;

/* The largest value a semaphore holds, as SEM_VALUE_MAX. */
#define SHMIPC_SEM_VALUE_MAX		0x7fffffff

/* Static initialiser: shmipc_sem_t s = SHMIPC_SEM_INITIALIZER(1); */
#define SHMIPC_SEM_INITIALIZER(value)	{ (value), 0 }

/*
 * shmipc_sem_init - initialise a semaphore to value
 *
 * As sem_init(sem, 1, value). Initialising a semaphore that other threads
 * are waiting on is undefined, as for sem_init().
 *
 * Returns 0, or -1 with errno:
 *   EINVAL   sem is NULL or not aligned to 4 bytes, or value exceeds
 *            SHMIPC_SEM_VALUE_MAX
 */
int shmipc_sem_init(shmipc_sem_t *sem, unsigned int value);

/*
 * shmipc_sem_wait - decrement a semaphore, blocking while it is zero
 *
 * As sem_wait(sem). A signal handler that interrupts the wait ends it with
 * EINTR unless it was installed with SA_RESTART, in which case the wait
 * goes on. Unlike sem_wait(), it is not a cancellation point: a deferred
 * pthread_cancel() takes effect at the caller's next cancellation point
 * after the wait returns (use shmipc_sem_timedwait() and
 * pthread_testcancel() in a loop to bound that). A thread cancelled
 * asynchronously or a process killed in the wait leaves the semaphore
 * sound, and costs at most one system call in a later post.
 *
 * Returns 0, or -1 with errno:
 *   EINTR    interrupted by a signal handler
 *   EINVAL   sem is NULL or not aligned to 4 bytes
 */
int shmipc_sem_wait(shmipc_sem_t *sem);

/*
 * shmipc_sem_trywait - decrement a semaphore if it is above zero
 *
 * As sem_trywait(sem): never blocks.
 *
 * Returns 0, or -1 with errno:
 *   EAGAIN   the value is zero
 *   EINVAL   sem is NULL or not aligned to 4 bytes
 */
int shmipc_sem_trywait(shmipc_sem_t *sem);

/*
 * shmipc_sem_timedwait - decrement a semaphore, blocking at most until a time
 *
 * As sem_timedwait(sem, abs_timeout): abs_timeout is an absolute time of
 * CLOCK_REALTIME (clock_gettime(CLOCK_REALTIME) plus a delay), so the wait
 * follows changes of the system clock. abs_timeout is checked on every
 * call, as glibc does, even when the semaphore could be decremented at
 * once; a deadline that has passed (tv_sec below 0 included) still
 * decrements a semaphore that is above zero.
 *
 * Returns 0, or -1 with errno:
 *   EINTR      interrupted by a signal handler
 *   EINVAL     sem or abs_timeout is NULL, sem is not aligned to 4 bytes,
 *              or abs_timeout->tv_nsec is below 0 or above 999999999
 *   ETIMEDOUT  abs_timeout passed before the semaphore could be decremented
 */
int shmipc_sem_timedwait(shmipc_sem_t *sem, const struct timespec *abs_timeout);

/*
 * shmipc_sem_post - increment a semaphore, waking one waiter if any
 *
 * As sem_post(sem). Async-signal-safe. The post touches *sem only in the
 * atomic instruction that makes the unit available: a waiter that takes
 * it may unmap the memory at once, before the poster returns.
 *
 * Returns 0, or -1 with errno:
 *   EINVAL     sem is NULL or not aligned to 4 bytes
 *   EOVERFLOW  the value is already SHMIPC_SEM_VALUE_MAX
 */
int shmipc_sem_post(shmipc_sem_t *sem);

/*
 * shmipc_sem_getvalue - read a semaphore's value
 *
 * As sem_getvalue(sem, sval): stores the current value (never negative)
 * in *sval. The value may have changed by the time the caller looks at it.
 *
 * Returns 0, or -1 with errno:
 *   EINVAL   sem or sval is NULL, or sem is not aligned to 4 bytes
 */
int shmipc_sem_getvalue(const shmipc_sem_t *sem, int *sval);

/*
 * A process-shared mutex that survives its owner's death.
 *
 * Place a shmipc_mutex_t in a segment and initialise it once with
 * shmipc_mutex_init(); every thread of every process that maps it may then
 * lock it. If the owner dies (its thread exits, the process is killed)
 * holding it, the next locker gets the lock with EOWNERDEAD, repairs the
 * data the lock protects and calls shmipc_mutex_consistent(), or unlocks
 * at once, which makes the mutex ENOTRECOVERABLE for everyone.
 *
 * It is glibc's robust, process-shared, error-checking pthread mutex
 * (relocking gives EDEADLK, unlocking another's lock EPERM) in a 64-byte,
 * 8-aligned slot, the same size on i386 and x86-64; the mutex inside
 * differs between them, so all its users must be of the ABI that
 * initialised it (others get EINVAL). All zeroes is not an initialised
 * mutex (EINVAL).
 *
 * As the pthread calls they mirror, these return 0 or an error number,
 * and leave errno alone:
 *   EINVAL           mutex is NULL, not 8-aligned, not initialised, or
 *                    initialised by a program of the other ABI;
 *                    abs_timeout is NULL or its tv_nsec is out of range
 *                    (checked on every call, as for the semaphores)
 *   EOWNERDEAD       (lock, trylock, timedlock) the lock is the caller's,
 *                    but its previous owner died holding it
 *   ENOTRECOVERABLE  (lock, trylock, timedlock) an owner died and the
 *                    next one unlocked without shmipc_mutex_consistent()
 *   EDEADLK          (lock, trylock, timedlock) the caller holds it
 *                    already (glibc's trylock too, where POSIX has EBUSY)
 *   EBUSY            (trylock) held by another; (destroy) held by anyone
 *   ETIMEDOUT        (timedlock) abs_timeout, on CLOCK_REALTIME, passed
 *   EPERM            (unlock) the caller does not hold it
 *   EINVAL           (consistent) the caller did not get it with EOWNERDEAD
 */
typedef struct shmipc_mutex {
	unsigned char _opaque[64];	/* private */
} __attribute__((aligned(8))) shmipc_mutex_t;

int shmipc_mutex_init(shmipc_mutex_t *mutex);
int shmipc_mutex_lock(shmipc_mutex_t *mutex);
int shmipc_mutex_trylock(shmipc_mutex_t *mutex);
int shmipc_mutex_timedlock(shmipc_mutex_t *mutex,
			   const struct timespec *abs_timeout);
int shmipc_mutex_unlock(shmipc_mutex_t *mutex);
int shmipc_mutex_consistent(shmipc_mutex_t *mutex);
int shmipc_mutex_destroy(shmipc_mutex_t *mutex);

/* ---- Channels (src/chan.c) ------------------------------------------- */

/*
 * Single-producer single-consumer message channels.
 *
 * shmipc_chan_init() lays a channel out in a region of MAP_SHARED memory
 * (a segment, or any shared mapping): a header of SHMIPC_CHAN_HDR_SIZE
 * bytes, then a ring of messages. One thread opens the sending end and
 * one the receiving end, each with shmipc_chan_open() into a
 * shmipc_chan_t of its own (in its own memory, not the region), and they
 * pass variable-length messages, each one whole, in order; a message of
 * 0 bytes is a message like any other.
 *
 * The ring's capacity is the region's size minus SHMIPC_CHAN_HDR_SIZE,
 * rounded down to a multiple of 64 and at most 1 GiB; the largest
 * message is half the capacity minus 8 (shmipc_chan_msgmax()), and fits
 * whenever the ring is empty. A send copies
 * the message into the ring once and a receive copies it out once;
 * shmipc_chan_reserve()/_commit() and shmipc_chan_peek()/_release() copy
 * nothing. No call makes a system call unless one end has to sleep.
 *
 * An end belongs to the thread that opened it: if that thread or its
 * process dies with the end open, the other end is told (ECONNRESET)
 * within about 100 ms, once it has received what was sent before.
 * Closing an end is told as EPIPE. Each end of a channel is opened once:
 * init the region again for another conversation. Both ends must run the
 * same ABI (both 64-bit or both 32-bit): the header holds a process-shared
 * robust pthread mutex per end, whose layout differs between them.
 *
 * The man page shmipc_chan_init(3) has the details; in short, each call
 * returns 0 (receives: the message's length), or -1 with errno:
 *   EINVAL     a bad argument; an unopened or closed handle; a call out of
 *              turn (commit without reserve, a second reserve, ...);
 *              shmipc_chan_open() on a region that holds no channel (yet)
 *   EBUSY      shmipc_chan_open() of an end that is or was open
 *   EPROTO     shmipc_chan_open() by a process of another ABI
 *   EMSGSIZE   a message above shmipc_chan_msgmax(); a receive buffer
 *              shorter than the message (which stays in the channel)
 *   EAGAIN     SHMIPC_CHAN_NONBLOCK and no room, or no message
 *   ETIMEDOUT  the timed calls' deadline (CLOCK_REALTIME) passed
 *   EINTR      a signal handler interrupted a wait
 *   EPIPE      the other end was closed (a receiver gets it only after
 *              every message sent before the close)
 *   ECONNRESET the other end's owner died (likewise, after its messages)
 *   EBADMSG    the ring holds something no sender wrote: memory scribbled
 */
typedef struct shmipc_chan {
	void *_hdr;		/* private: the channel's header, in this mapping */
	unsigned int _end;	/* private: SHMIPC_CHAN_SENDER or _RECEIVER; 0: closed */
	unsigned int _cap;	/* private: the ring's capacity */
	unsigned int _pos;	/* private: this end's index */
	unsigned int _peer;	/* private: the other end's index, as last read */
	unsigned int _state;	/* private: idle, reserved or peeked */
	unsigned int _pending;	/* private: bytes reserved, or of the record peeked */
} shmipc_chan_t;

/* The bytes of a region that are not ring. */
#define SHMIPC_CHAN_HDR_SIZE	512
/* shmipc_chan_open()'s end. */
#define SHMIPC_CHAN_SENDER	1
#define SHMIPC_CHAN_RECEIVER	2
/* flags: fail with EAGAIN rather than wait. */
#define SHMIPC_CHAN_NONBLOCK	0x1

/* Lays out an empty channel in mem (size bytes, 8-byte aligned). */
int shmipc_chan_init(void *mem, size_t size);
/* Opens one end of the channel in mem into *ch. */
int shmipc_chan_open(void *mem, size_t size, int end, shmipc_chan_t *ch);
/* Closes this end: the other one sees EPIPE; *ch is unusable after. */
int shmipc_chan_close(shmipc_chan_t *ch);
/* The largest message, in bytes. */
ssize_t shmipc_chan_msgmax(const shmipc_chan_t *ch);

/* Copies a message of len bytes in; waits for room unless NONBLOCK. */
int shmipc_chan_send(shmipc_chan_t *ch, const void *buf, size_t len, int flags);
int shmipc_chan_timedsend(shmipc_chan_t *ch, const void *buf, size_t len, int flags,
			  const struct timespec *abs_timeout);
/* Copies the next message out into buf (cap bytes); returns its length. */
ssize_t shmipc_chan_recv(shmipc_chan_t *ch, void *buf, size_t cap, int flags);
ssize_t shmipc_chan_timedrecv(shmipc_chan_t *ch, void *buf, size_t cap, int flags,
			      const struct timespec *abs_timeout);

/* Room for a message of up to len bytes, at *ptr, in the ring itself. */
int shmipc_chan_reserve(shmipc_chan_t *ch, size_t len, void **ptr, int flags);
/* Sends the first len bytes (at most what was reserved) of the reservation. */
int shmipc_chan_commit(shmipc_chan_t *ch, size_t len);
/* The next message, in place: *ptr and *len, until shmipc_chan_release(). */
int shmipc_chan_peek(shmipc_chan_t *ch, const void **ptr, size_t *len, int flags);
/* Drops the message that shmipc_chan_peek() gave. */
int shmipc_chan_release(shmipc_chan_t *ch);

/* ---- end of channels ------------------------------------------------- */

#ifdef __cplusplus
}
#endif

#endif /* SHMIPC_H */

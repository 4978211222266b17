/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shmipc: what the module's files share.
 *
 * Objects and their references:
 *
 *  struct shmipc_ns   one per IPC namespace that has used the device. Held by
 *                     the namespace list while the IPC namespace lives, by
 *                     each of its segments, by open device files (a cache of
 *                     the opener's namespace) and by callers for the length
 *                     of one operation.
 *  struct shmipc_seg  one segment. Held by its namespace's id table until it
 *                     is destroyed, by each attachment's file (mapping.c)
 *                     and by callers for the length of one operation.
 *  attachment file    one per attachment, as each SysV shmat() makes one:
 *                     a struct file of shmipc's own on the segment's shmem
 *                     inode. Held by every VMA that maps it; it holds the
 *                     segment and the module. shmipc_seg.nattch counts the
 *                     VMAs of all of them, plus pins: a shmat() in progress
 *                     holds the segment's nattch up, as SysV's does.
 *
 * Locking: shmipc_ns.lock (a mutex) protects the namespace's tables and the
 * state of every segment in it, but for what attaching changes: nattch,
 * atime, dtime, lpid and the dead flag are under the segment's own
 * spinlock, taken inside ns->lock where both are held. Attach, the VMA's
 * open and close and every detach but the one that takes nattch to 0 take
 * only that spinlock; a segment is found by id or key under RCU (segments
 * are freed after a grace period) and held with kref_get_unless_zero().
 * ns->lock is taken inside mmap_lock (mmap and the vm_ops open/close run
 * under it), so no code may touch user memory or take mmap_lock while
 * holding it: ioctls copy in before locking and copy out after unlocking.
 * lock.c's table of pages locked per user has a mutex of its own, taken
 * inside ns->lock.
 */
#ifndef _SHMIPC_INTERNAL_H
#define _SHMIPC_INTERNAL_H

#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>

#include <shmipc.h>

struct file;
struct ipc_namespace;
struct pid;
struct shmipc_life;
struct pid_namespace;
struct user_namespace;

/*
 * Ids carry a sequence number above the table index, as SysV ids do, so an
 * id that outlives its segment never reaches a newer one at the same index.
 * The split is the kernel's (limits.c): 15 bits of index, or 24 on a kernel
 * booted with ipcmni_extend, whose kernel.shmmni may then exceed 32768.
 */
#define SHMIPC_IDX_BITS_MAX	24
extern unsigned int shmipc_idx_bits __read_mostly;

static inline u32 shmipc_idx_max(void)
{
	return (1U << shmipc_idx_bits) - 1;
}

static inline u32 shmipc_id_idx(int id)
{
	return (u32)id & shmipc_idx_max();
}

static inline u32 shmipc_id_seq(int id)
{
	return (u32)id >> shmipc_idx_bits;
}

struct shmipc_ns {
	struct kref ref;
	struct list_head node;		/* on the namespace list while alive */
	struct ipc_namespace *ipc_ns;	/* referenced while alive */
	bool dead;			/* its IPC namespace has gone */

	struct mutex lock;		/* tables and segments, see above */
	struct xarray ids;		/* index -> segment, until destroyed */
	struct rhashtable keys;		/* key -> segment, until IPC_RMID */
	u32 next_idx;			/* cyclic index allocation */
	int last_idx;			/* the last index allocated, or -1 */
	int max_idx;			/* the highest index in use, or -1 */
	u32 seq;			/* of the ids being made */
	unsigned int nr_segs;
	unsigned long nr_pages;		/* sum over segments, for shmall */

	spinlock_t watch_lock;		/* watchers (events.c) */
	struct list_head watchers;
	unsigned int nr_watchers;	/* read without the lock */
};

/*
 * Laid out to fit kmalloc-192, as it did before the attachers list came:
 * slab per segment is one of the figures shmipc is measured by.
 */
struct shmipc_seg {
	struct kref ref;
	s32 ckey;			/* the key it was made with; constant */
	struct shmipc_ns *ns;
	struct file *file;		/* the shmem or hugetlbfs file */
	/* The vm_ops its file's mmap gives, which ours stand in front of. */
	const struct vm_operations_struct *vm_ops;

	/*
	 * Set before the segment is stored in the id table, where lookups
	 * under RCU find it, and constant from then on.
	 */
	int id;
	u32 seq;

	/* All below under ns->lock; read without it under RCU. */
	s32 key;			/* IPC_PRIVATE once removed */
	kuid_t lock_uid;		/* charged for SHM_LOCK, while locked */
	struct rhash_head key_node;	/* in ns->keys while keyed */
	kuid_t uid, cuid;
	kgid_t gid, cgid;
	size_t size;			/* bytes, as asked */
	time64_t ctime;
	struct pid *cpid;
	struct shmipc_life *life;	/* NULL: persist, as SysV's */

	spinlock_t lock;		/* what attaching changes (below) */
	umode_t mode;			/* ns->lock: bits | SHM_DEST | LOCKED */
	bool dead;			/* destroyed: no attach may count */
	bool attached;			/* by a VMA, ever */
	unsigned int nr_attachers;	/* entries on attachers */
	unsigned int pins;		/* of nattch: attaches in progress */
	u32 others;			/* VMAs on no entry */
	unsigned long nattch;		/* VMAs mapping it, and pins */
	struct hlist_head attachers;	/* of its VMAs, by mm (attachers.c) */
	struct shmipc_attacher_ent *ent_cache;	/* the last one freed */
	time64_t atime, dtime;
	struct pid *lpid;

	struct rcu_head rcu;		/* freed after lookups under RCU */
};

/* limits.c: the namespace's kernel.shm* settings, within the module's caps */
void shmipc_ids_init(void);
u32 shmipc_seq_max(void);
unsigned int shmipc_min_cycle(void);
unsigned long shmipc_ns_shmmax(const struct shmipc_ns *ns);
unsigned long shmipc_ns_shmall(const struct shmipc_ns *ns);
unsigned int shmipc_ns_shmmni(const struct shmipc_ns *ns);
bool shmipc_ns_rmid_forced(const struct shmipc_ns *ns);
int shmipc_ns_take_next_id(struct shmipc_ns *ns);

/* namespace.c */
void shmipc_ns_exit(void);
struct shmipc_ns *shmipc_ns_current(void);
struct shmipc_ns *shmipc_ns_of_caller(struct file *file);
void shmipc_ns_done(struct file *file, struct shmipc_ns *ns);
void shmipc_ns_put(struct shmipc_ns *ns);

/* segment.c */
extern const struct rhashtable_params shmipc_key_params;
int shmipc_seg_get(struct shmipc_ns *ns, const struct shmipc_get *args);
int shmipc_seg_ctl(struct shmipc_ns *ns, struct shmipc_ctl *args);
struct shmipc_seg *shmipc_seg_find(struct shmipc_ns *ns, int id);
struct shmipc_seg *shmipc_seg_lookup(struct shmipc_ns *ns, int id);
bool shmipc_seg_may(struct shmipc_ns *ns, struct shmipc_seg *seg,
		    umode_t want);
struct shmipc_seg *shmipc_seg_hold(struct shmipc_seg *seg);
void shmipc_seg_put(struct shmipc_seg *seg);
struct shmipc_seg *shmipc_seg_pin(struct shmipc_ns *ns, int id, umode_t want);
void shmipc_seg_unpin(struct shmipc_seg *seg);
int shmipc_seg_attach(struct shmipc_seg *seg, struct vm_area_struct *vma);
void shmipc_seg_detach(struct shmipc_seg *seg, struct vm_area_struct *vma);
void shmipc_seg_expire(struct shmipc_seg *seg);
void shmipc_ns_clear(struct shmipc_ns *ns);

/* lifetime.c */
int shmipc_life_init(void);
void shmipc_life_exit(void);
int shmipc_life_check(const struct shmipc_get *args);
int shmipc_life_alloc(struct shmipc_seg *seg, const struct shmipc_get *args);
void shmipc_life_free(struct shmipc_seg *seg);
void shmipc_life_start(struct shmipc_seg *seg);
void shmipc_life_idle(struct shmipc_seg *seg);
void shmipc_life_stop(struct shmipc_seg *seg);
void shmipc_life_fill_ds(struct shmipc_seg *seg, struct shmipc_ds *ds);
const char *shmipc_life_name(const struct shmipc_seg *seg);

/* attachers.c */
struct shmipc_attacher_ent;
struct shmipc_attacher_ent *shmipc_attacher_alloc(void);
void shmipc_attacher_free(struct shmipc_attacher_ent *ent);
bool shmipc_attacher_ready(struct shmipc_seg *seg,
			   const struct vm_area_struct *vma);
void shmipc_attacher_add(struct shmipc_seg *seg, struct vm_area_struct *vma,
			 struct shmipc_attacher_ent **spare);
struct shmipc_attacher_ent *shmipc_attacher_del(struct shmipc_seg *seg,
						struct vm_area_struct *vma);
long shmipc_ioctl_attachers(struct file *dev,
			    struct shmipc_attachers __user *uarg);
bool shmipc_vma_rdonly(const struct vm_area_struct *vma);
pid_t shmipc_mm_pid(struct mm_struct *mm, struct pid_namespace *pid_ns);
struct seq_file;
void shmipc_attachers_show(struct seq_file *m, struct shmipc_ns *ns,
			   struct shmipc_seg *seg, struct pid_namespace *pid_ns);

/* events.c */
void shmipc_notify(struct shmipc_seg *seg, u32 type, u32 flags, u64 count,
		   struct mm_struct *mm);
long shmipc_ioctl_watch(struct file *dev, struct shmipc_watch __user *uarg);
void shmipc_events_exit(void);

/* listing.c */
int shmipc_listing_init(void);
void shmipc_listing_exit(void);

/* info.c */
void shmipc_seg_fill_ds(struct shmipc_seg *seg, struct shmipc_ds *ds,
			struct user_namespace *user_ns,
			struct pid_namespace *pid_ns);
void shmipc_seg_usage(struct shmipc_seg *seg, u64 *rss, u64 *swp);
int shmipc_seg_stat(struct shmipc_ns *ns, struct shmipc_ctl *args);
int shmipc_ns_info(struct shmipc_ns *ns, struct shmipc_ctl *args);

/* lock.c */
int shmipc_seg_lock(struct shmipc_ns *ns, const struct shmipc_ctl *args);
void shmipc_seg_unlock(struct shmipc_seg *seg);
void shmipc_lock_exit(void);

/* The name of its shmem file and of its attachments' files. */
#define SHMIPC_SEG_NAME_LEN	16

static inline void shmipc_seg_name(const struct shmipc_seg *seg,
				   char name[SHMIPC_SEG_NAME_LEN])
{
	snprintf(name, SHMIPC_SEG_NAME_LEN, "shmipc%08x", (u32)seg->ckey);
}

static inline unsigned long shmipc_seg_pages(const struct shmipc_seg *seg)
{
	return DIV_ROUND_UP(seg->size, PAGE_SIZE);
}

/* Bytes an attachment maps: the size rounded up to the file's pages. */
static inline size_t shmipc_seg_map_size(const struct shmipc_seg *seg)
{
	return round_up(seg->size, i_blocksize(file_inode(seg->file)));
}

/* hugetlb.c */
void shmipc_huge_init(void);
void shmipc_huge_exit(void);
bool shmipc_huge_available(void);
struct file *shmipc_huge_file(size_t size, u32 flags);
bool shmipc_seg_huge(const struct shmipc_seg *seg);

/* mapping.c */
struct file *shmipc_att_file(struct shmipc_seg *seg, bool rdonly);
int shmipc_att_mmap(struct file *file, struct vm_area_struct *vma);
struct shmipc_seg *shmipc_vma_seg(const struct vm_area_struct *vma);
unsigned long shmipc_seg_unmapped_area(struct shmipc_seg *seg,
				       unsigned long addr, unsigned long len,
				       unsigned long pgoff, unsigned long flags);

/* attach.c */
int shmipc_mmap(struct file *dev, struct vm_area_struct *vma);
unsigned long shmipc_get_unmapped_area(struct file *dev, unsigned long addr,
				       unsigned long len, unsigned long pgoff,
				       unsigned long flags);
long shmipc_ioctl_at(struct file *dev, struct shmipc_at __user *uarg);
long shmipc_ioctl_dt(struct shmipc_dt __user *uarg);

#endif /* _SHMIPC_INTERNAL_H */

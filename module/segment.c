// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc: the segment table of a namespace, with the semantics of SysV
 * shmget() and shmctl(): keys, ids, permissions, limits and lifetime.
 *
 * A segment is in the id table from creation until it is destroyed, and in
 * the key table (unless private) until IPC_RMID. IPC_RMID of an attached
 * segment frees the key at once and marks it SHMIPC_SHM_DEST; the last
 * detach destroys it.
 */
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/ipc.h>
#include <linux/ipc_namespace.h>
#include <linux/pid.h>
#include <linux/radix-tree.h>
#include <linux/rhashtable.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/stat.h>
#include <linux/timekeeping.h>

#include "compat.h"
#include "internal.h"

/*
 * The segment and its resources; its namespace reference is the caller's.
 * Lookups under RCU may still be reading it: its memory waits for them.
 */
static void shmipc_seg_free(struct shmipc_seg *seg)
{
	fput(seg->file);
	put_pid(seg->cpid);
	put_pid(seg->lpid);
	WARN_ON_ONCE(!hlist_empty(&seg->attachers) || seg->others);
	shmipc_attacher_free(seg->ent_cache);
	shmipc_life_free(seg);
	kfree_rcu(seg, rcu);
}

static void shmipc_seg_release(struct kref *ref)
{
	struct shmipc_seg *seg = container_of(ref, struct shmipc_seg, ref);
	struct shmipc_ns *ns = seg->ns;

	shmipc_seg_free(seg);
	shmipc_ns_put(ns);
}

/* Another reference on @seg, for a caller that holds one. */
struct shmipc_seg *shmipc_seg_hold(struct shmipc_seg *seg)
{
	kref_get(&seg->ref);
	return seg;
}

void shmipc_seg_put(struct shmipc_seg *seg)
{
	kref_put(&seg->ref, shmipc_seg_release);
}

/*
 * The segment the id table holds for @id, index and sequence, or NULL.
 * Called with ns->lock held or under RCU.
 */
static struct shmipc_seg *shmipc_seg_at(struct shmipc_ns *ns, int id)
{
	struct shmipc_seg *seg;

	if (id < 0)
		return NULL;
	seg = xa_load(&ns->ids, shmipc_id_idx(id));
	if (!seg || seg->seq != shmipc_id_seq(id))
		return NULL;
	return seg;
}

/* Called with ns->lock held. Returns the segment or ERR_PTR(-EINVAL). */
struct shmipc_seg *shmipc_seg_find(struct shmipc_ns *ns, int id)
{
	struct shmipc_seg *seg;

	lockdep_assert_held(&ns->lock);
	seg = shmipc_seg_at(ns, id);
	return seg ?: ERR_PTR(-EINVAL);
}

/*
 * May the caller access @seg for @want (0444, 0222, 0111 bits, or the
 * mode bits of a lookup)? The rule of SysV's ipcperms(). Called with
 * ns->lock held or, as SysV's shmat() checks, under RCU, by a caller
 * living in @ns.
 */
bool shmipc_seg_may(struct shmipc_ns *ns, struct shmipc_seg *seg,
		    umode_t want)
{
	kuid_t euid = current_euid();
	int requested = (want >> 6) | (want >> 3) | want;
	int granted = READ_ONCE(seg->mode);

	RCU_LOCKDEP_WARN(!rcu_read_lock_held() && !lockdep_is_held(&ns->lock),
			 "a segment's mode read without ns->lock or RCU");
	if (uid_eq(euid, seg->cuid) || uid_eq(euid, seg->uid))
		granted >>= 6;
	else if (in_group_p(seg->cgid) || in_group_p(seg->gid))
		granted >>= 3;
	if (!(requested & ~granted & 0007))
		return true;
	return ns_capable(ns->ipc_ns->user_ns, CAP_IPC_OWNER);
}

/* IPC_SET and IPC_RMID: the owner, the creator, or CAP_SYS_ADMIN. */
static bool shmipc_seg_may_change(struct shmipc_ns *ns,
				  struct shmipc_seg *seg)
{
	kuid_t euid = current_euid();

	if (uid_eq(euid, seg->cuid) || uid_eq(euid, seg->uid))
		return true;
	return ns_capable(ns->ipc_ns->user_ns, CAP_SYS_ADMIN);
}

/*
 * An attach or detach now, by current: sets @when and lpid. Called with
 * seg->lock held; returns the old lpid, for the caller to put after it.
 */
static struct pid *shmipc_seg_touch(struct shmipc_seg *seg, time64_t *when)
{
	struct pid *old = seg->lpid;

	lockdep_assert_held(&seg->lock);
	*when = ktime_get_real_seconds();
	seg->lpid = get_pid(task_tgid(current));
	return old;
}

/*
 * Keys in a hash table, as ipc/util.c keeps them: a lookup costs the same
 * with ten segments as with thirty thousand, and a segment costs its
 * rhash_head and a share of the buckets, where a radix tree over sparse
 * 32-bit keys cost a chain of nodes each.
 */
const struct rhashtable_params shmipc_key_params = {
	.key_len		= sizeof_field(struct shmipc_seg, key),
	.key_offset		= offsetof(struct shmipc_seg, key),
	.head_offset		= offsetof(struct shmipc_seg, key_node),
	.automatic_shrinking	= true,
};

/*
 * The segment of @key, or NULL. Called with ns->lock held, under which
 * keys are added and removed, so the segment stays in the table after
 * the lookup's own RCU section ends.
 */
static struct shmipc_seg *shmipc_key_find(struct shmipc_ns *ns, s32 key)
{
	lockdep_assert_held(&ns->lock);
	return rhashtable_lookup_fast(&ns->keys, &key, shmipc_key_params);
}

/*
 * Is nothing attached to @seg, and no attach in progress? Then it is dead
 * from now on: no attach can count on it again, and the caller destroys
 * it. Called with ns->lock held; false for a segment already dead.
 */
static bool shmipc_seg_kill_unused(struct shmipc_seg *seg)
{
	bool unused;

	lockdep_assert_held(&seg->ns->lock);
	spin_lock(&seg->lock);
	unused = !seg->nattch && !seg->dead;
	if (unused)
		seg->dead = true;
	spin_unlock(&seg->lock);
	return unused;
}

/*
 * The highest index in use below @end, or -1: a binary search over
 * xa_find() (the first index in use at or above a point), as
 * ipc_search_maxidx() does over the idr, so that removing the highest
 * segment costs a few lookups, not one per index below it. Called with
 * ns->lock held.
 */
static int shmipc_ns_highest_idx(struct shmipc_ns *ns, unsigned long end)
{
	unsigned long lo = 0, hi = end, mid, idx = 0;

	if (!end || !xa_find(&ns->ids, &idx, end - 1, XA_PRESENT))
		return -1;
	/* An index in use is in [lo, hi), and none is above hi. */
	lo = idx;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		idx = mid;
		if (xa_find(&ns->ids, &idx, end - 1, XA_PRESENT))
			lo = idx;
		else
			hi = mid;
	}
	return (int)lo;
}

/*
 * A dead segment leaves the tables. Called with ns->lock held. Drops the
 * id table's reference.
 */
static void shmipc_seg_destroy(struct shmipc_seg *seg)
{
	struct shmipc_ns *ns = seg->ns;

	int idx = shmipc_id_idx(seg->id);

	lockdep_assert_held(&ns->lock);
	WARN_ON_ONCE(!seg->dead);
	xa_erase(&ns->ids, idx);
	/* The highest index in use, which IPC_INFO and SHM_INFO return. */
	if (idx == ns->max_idx)
		ns->max_idx = shmipc_ns_highest_idx(ns, idx);
	ns->nr_segs--;
	ns->nr_pages -= shmipc_seg_pages(seg);
	/* As shm_destroy(): a locked segment's charge goes with it. */
	shmipc_seg_unlock(seg);
	shmipc_life_stop(seg);
	shmipc_notify(seg, SHMIPC_EV_DESTROYED, 0, 0, NULL);
	shmipc_seg_put(seg);
}

/*
 * What IPC_RMID does first: the key is free from now on, and the segment
 * marked SHM_DEST. @flags says why, to watchers (SHMIPC_EV_LIFETIME).
 * Called with ns->lock held, on a segment not yet removed.
 */
static void shmipc_seg_unkey(struct shmipc_seg *seg, u32 flags)
{
	struct shmipc_ns *ns = seg->ns;

	lockdep_assert_held(&ns->lock);
	shmipc_notify(seg, SHMIPC_EV_REMOVED, flags, 0, NULL);
	if (seg->key != SHMIPC_IPC_PRIVATE) {
		rhashtable_remove_fast(&ns->keys, &seg->key_node,
				       shmipc_key_params);
		WRITE_ONCE(seg->key, SHMIPC_IPC_PRIVATE);
	}
	WRITE_ONCE(seg->mode, seg->mode | SHMIPC_SHM_DEST);
}

/* IPC_RMID. Called with ns->lock held. */
static void shmipc_seg_remove(struct shmipc_seg *seg)
{
	lockdep_assert_held(&seg->ns->lock);
	if (seg->mode & SHMIPC_SHM_DEST)
		return;
	shmipc_seg_unkey(seg, 0);
	if (shmipc_seg_kill_unused(seg))
		shmipc_seg_destroy(seg);
}

/*
 * The end of a lifetime (lifetime.c): as IPC_RMID, but only if nothing
 * is attached, and then at once; else nothing changes, and the next time
 * nattch falls to 0 the lifetime is asked again. Called with ns->lock
 * held.
 */
void shmipc_seg_expire(struct shmipc_seg *seg)
{
	lockdep_assert_held(&seg->ns->lock);
	if (seg->mode & SHMIPC_SHM_DEST || !shmipc_seg_kill_unused(seg))
		return;
	shmipc_seg_unkey(seg, SHMIPC_EV_LIFETIME);
	shmipc_seg_destroy(seg);
}

/*
 * nattch of @seg fell to 0: destroy it if it was removed, or remove it
 * under kernel.shm_rmid_forced, as SysV's; else its lifetime says what
 * happens. An attach may have come in
 * since, which shmipc_seg_kill_unused() sees. The caller holds another
 * reference on @seg (a VMA's file, a pin's), so the segment outlives the
 * lock it is destroyed under.
 */
static void shmipc_seg_last_drop(struct shmipc_seg *seg)
{
	struct shmipc_ns *ns = seg->ns;

	mutex_lock(&ns->lock);
	if (seg->mode & SHMIPC_SHM_DEST) {
		if (shmipc_seg_kill_unused(seg))
			shmipc_seg_destroy(seg);
	} else if (shmipc_ns_rmid_forced(ns)) {
		shmipc_seg_remove(seg);
	} else if (seg->life) {
		shmipc_life_idle(seg);
	}
	mutex_unlock(&ns->lock);
}

/*
 * Drops one of @seg's attachments, @vma (setting dtime and lpid), or with
 * @vma NULL one of its pins. Only the one that takes nattch to 0 takes
 * ns->lock.
 */
static void shmipc_seg_drop(struct shmipc_seg *seg, struct vm_area_struct *vma)
{
	struct shmipc_attacher_ent *ent = NULL;
	unsigned long nattch, vmas;
	struct pid *old = NULL;

	spin_lock(&seg->lock);
	if (vma) {
		old = shmipc_seg_touch(seg, &seg->dtime);
		ent = shmipc_attacher_del(seg, vma);
	} else {
		seg->pins--;
	}
	nattch = --seg->nattch;
	vmas = nattch - seg->pins;
	spin_unlock(&seg->lock);
	put_pid(old);
	shmipc_attacher_free(ent);
	if (vma)
		shmipc_notify(seg, SHMIPC_EV_DETACHED, shmipc_vma_rdonly(vma) ?
			      SHMIPC_ATTACHER_RDONLY : 0, vmas, vma->vm_mm);
	if (!nattch)
		shmipc_seg_last_drop(seg);
}

/*
 * The segment @id, referenced, if it is in the id table and the caller may
 * access it for @want (0: no check); else ERR_PTR(-EINVAL or -EACCES).
 * Under RCU, as SysV's shmat() looks up, without ns->lock: the segment
 * may be dead already, which a reference does not prevent.
 */
static struct shmipc_seg *shmipc_seg_get_rcu(struct shmipc_ns *ns, int id,
					     umode_t want)
{
	struct shmipc_seg *seg;

	rcu_read_lock();
	seg = shmipc_seg_at(ns, id);
	if (!seg)
		seg = ERR_PTR(-EINVAL);
	else if (want && !shmipc_seg_may(ns, seg, want))
		seg = ERR_PTR(-EACCES);
	else if (!kref_get_unless_zero(&seg->ref))
		seg = ERR_PTR(-EINVAL);
	rcu_read_unlock();
	return seg;
}

/* The segment @id, held by a reference, or an ERR_PTR. */
struct shmipc_seg *shmipc_seg_lookup(struct shmipc_ns *ns, int id)
{
	return shmipc_seg_get_rcu(ns, id, 0);
}

/*
 * shmat()'s lookup: the segment @id, if the caller may access it for @want
 * (0444, 0222, 0111 bits), pinned while it is being mapped: a reference,
 * and one on nattch so that an IPC_RMID meanwhile cannot destroy it, as
 * SysV's shmat() does. A pin changes neither atime nor lpid.
 */
struct shmipc_seg *shmipc_seg_pin(struct shmipc_ns *ns, int id, umode_t want)
{
	struct shmipc_seg *seg = shmipc_seg_get_rcu(ns, id, want);
	bool dead;

	if (IS_ERR(seg))
		return seg;
	spin_lock(&seg->lock);
	dead = seg->dead;
	if (!dead) {
		seg->nattch++;
		seg->pins++;
	}
	spin_unlock(&seg->lock);
	if (dead) {
		shmipc_seg_put(seg);
		return ERR_PTR(-EINVAL);
	}
	return seg;
}

void shmipc_seg_unpin(struct shmipc_seg *seg)
{
	shmipc_seg_drop(seg, NULL);
	shmipc_seg_put(seg);
}

/*
 * A new VMA of @seg, @vma, unless the segment has been destroyed (-EINVAL,
 * as SysV's shm_mmap() gives): a MAP_FIXED mmap of an attachment's file,
 * as remap_file_pages() makes, closes the VMAs it replaces first, and the
 * last close of a removed segment destroys it.
 */
int shmipc_seg_attach(struct shmipc_seg *seg, struct vm_area_struct *vma)
{
	struct shmipc_attacher_ent *spare = NULL;
	unsigned long vmas = 0;
	struct pid *old = NULL;
	u32 flags;

	spin_lock(&seg->lock);
	if (!seg->dead && !shmipc_attacher_ready(seg, vma)) {
		spin_unlock(&seg->lock);
		spare = shmipc_attacher_alloc();
		spin_lock(&seg->lock);
	}
	if (!seg->dead) {
		vmas = ++seg->nattch - seg->pins;
		seg->attached = true;
		old = shmipc_seg_touch(seg, &seg->atime);
		shmipc_attacher_add(seg, vma, &spare);
	}
	spin_unlock(&seg->lock);
	put_pid(old);
	shmipc_attacher_free(spare);
	if (!vmas)
		return -EINVAL;
	flags = shmipc_vma_rdonly(vma) ? SHMIPC_ATTACHER_RDONLY : 0;
	/* A VMA made in another mm than current's: fork copies the parent's. */
	if (vma->vm_mm != current->mm)
		flags |= SHMIPC_EV_FORK;
	shmipc_notify(seg, SHMIPC_EV_ATTACHED, flags, vmas, vma->vm_mm);
	return 0;
}

/*
 * A VMA of @seg, @vma, went away; it may run in any task's context (the
 * last mmput), so everything comes from @seg and @vma, nothing from
 * current. The VMA's file holds the segment.
 */
void shmipc_seg_detach(struct shmipc_seg *seg, struct vm_area_struct *vma)
{
	shmipc_seg_drop(seg, vma);
}

/* shmget() on an existing key, in the order SysV checks. */
static int shmipc_seg_reuse(struct shmipc_ns *ns, struct shmipc_seg *seg,
			    const struct shmipc_get *args)
{
	const u32 excl = SHMIPC_IPC_CREAT | SHMIPC_IPC_EXCL;

	if ((args->flags & excl) == excl)
		return -EEXIST;
	if (args->size > seg->size)
		return -EINVAL;
	if (!shmipc_seg_may(ns, seg, args->flags & 0777))
		return -EACCES;
	return seg->id;
}

static struct shmipc_seg *shmipc_seg_alloc(const struct shmipc_get *args)
{
	char name[SHMIPC_SEG_NAME_LEN];
	vm_flags_t acct = 0;
	struct shmipc_seg *seg;
	int err;

	seg = kzalloc(sizeof(*seg), GFP_KERNEL_ACCOUNT);
	if (!seg)
		return ERR_PTR(-ENOMEM);
	if (args->flags & SHMIPC_SHM_NORESERVE)
		acct = VM_NORESERVE;
	seg->ckey = args->key;
	shmipc_seg_name(seg, name);
	if (args->flags & SHMIPC_SHM_HUGETLB)
		seg->file = shmipc_huge_file(args->size, args->flags);
	else
		seg->file = shmipc_shmem_file(name, args->size, acct);
	if (IS_ERR(seg->file)) {
		err = PTR_ERR(seg->file);
		kfree(seg);
		return ERR_PTR(err);
	}
	err = shmipc_life_alloc(seg, args);
	if (err) {
		fput(seg->file);
		kfree(seg);
		return ERR_PTR(err);
	}
	kref_init(&seg->ref);
	seg->key = args->key;
	seg->size = args->size;
	seg->mode = args->flags & 0777;
	seg->uid = current_euid();
	seg->cuid = seg->uid;
	seg->gid = current_egid();
	seg->cgid = seg->gid;
	seg->cpid = get_pid(task_tgid(current));
	seg->ctime = ktime_get_real_seconds();
	spin_lock_init(&seg->lock);
	INIT_HLIST_HEAD(&seg->attachers);
	return seg;
}

/* Do @pages more fit in shmall beside the pages @ns uses? */
static bool shmipc_ns_fits(struct shmipc_ns *ns, unsigned long pages)
{
	unsigned long used = READ_ONCE(ns->nr_pages);

	return used + pages >= used && used + pages <= shmipc_ns_shmall(ns);
}

/*
 * As ipc/util.c, indices cycle through a range kept just larger than what
 * is in use (half as large again, at least the kernel's minimum cycle),
 * within the whole index space, whatever kernel.shmmni says: so the table
 * stays dense and ids match SysV's one for one.
 */
static unsigned int shmipc_ns_cycle(struct shmipc_ns *ns)
{
	return min(max(ns->nr_segs * 3 / 2, shmipc_min_cycle()),
		   shmipc_idx_max() + 1);
}

/*
 * Enter a new segment into the tables. Called with ns->lock held; returns
 * its id, or -EAGAIN when its key was taken while it was being made.
 * Lookups under RCU find a segment by its index: its index is reserved
 * first and it is stored there last, once its id and key are set, so that
 * no lookup ever sees it half made.
 */
static int shmipc_seg_publish(struct shmipc_ns *ns, struct shmipc_seg *seg)
{
	unsigned long pages = shmipc_seg_pages(seg);
	unsigned int mni = shmipc_ns_shmmni(ns);
	int next_id, err;
	u32 idx, seq;

	lockdep_assert_held(&ns->lock);
	if (seg->key != SHMIPC_IPC_PRIVATE && shmipc_key_find(ns, seg->key))
		return -EAGAIN;
	if (ns->nr_segs >= mni || !shmipc_ns_fits(ns, pages))
		return -ENOSPC;
	next_id = shmipc_ns_take_next_id(ns);
	if (next_id >= 0)
		/* As ipc/util.c: the first free index from the asked one. */
		err = xa_alloc(&ns->ids, &idx, NULL,
			       XA_LIMIT(shmipc_id_idx(next_id), shmipc_idx_max()),
			       GFP_KERNEL);
	else
		err = xa_alloc_cyclic(&ns->ids, &idx, NULL,
				      XA_LIMIT(0, shmipc_ns_cycle(ns) - 1),
				      &ns->next_idx, GFP_KERNEL);
	if (err < 0)
		return err == -EBUSY ? -ENOSPC : err;
	/*
	 * As ipc/util.c: the sequence moves on when the cyclic allocation
	 * comes round to an index at or below the last one, so a stale id
	 * comes back only after the sequence has wrapped too. An asked id
	 * brings its own sequence and leaves the cycle as it was.
	 */
	if (next_id >= 0) {
		seq = shmipc_id_seq(next_id);
	} else {
		seq = ns->seq;
		if ((int)idx <= ns->last_idx)
			seq = seq < shmipc_seq_max() ? seq + 1 : 0;
	}
	seg->seq = seq;
	seg->id = (int)(seq << shmipc_idx_bits | idx);
	seg->ns = ns;
	if (seg->key != SHMIPC_IPC_PRIVATE) {
		err = rhashtable_insert_fast(&ns->keys, &seg->key_node,
					     shmipc_key_params);
		if (err) {
			xa_erase(&ns->ids, idx);
			/* -EBUSY: no room for now, which shmget calls ENOMEM. */
			return -ENOMEM;
		}
	}
	/* The reserved slot takes it without allocating. */
	WARN_ON_ONCE(xa_is_err(xa_store(&ns->ids, idx, seg, GFP_KERNEL)));
	if (next_id < 0) {
		ns->seq = seq;
		ns->last_idx = idx;
	}
	ns->max_idx = max_t(int, ns->max_idx, idx);
	kref_get(&ns->ref);
	ns->nr_segs++;
	ns->nr_pages += pages;
	shmipc_life_start(seg);
	shmipc_notify(seg, SHMIPC_EV_CREATED, 0, 0, NULL);
	return seg->id;
}

/*
 * The shmem file is made without ns->lock held (it allocates and may
 * sleep at length); the key is checked again when the segment is entered.
 */
static int shmipc_seg_create(struct shmipc_ns *ns,
			     const struct shmipc_get *args)
{
	struct shmipc_seg *seg;
	int ret;

	unsigned long pages = (args->size + PAGE_SIZE - 1) >> PAGE_SHIFT;

	if (args->size < 1 || args->size > shmipc_ns_shmmax(ns))
		return -EINVAL;
	/*
	 * SysV's order: a size whose pages overflow, then shmall, before the
	 * file and its memory commit are made (ENOSPC before ENOMEM); the
	 * segment count only when the segment is entered.
	 */
	if (pages << PAGE_SHIFT < args->size || !shmipc_ns_fits(ns, pages))
		return -ENOSPC;
	seg = shmipc_seg_alloc(args);
	if (IS_ERR(seg))
		return PTR_ERR(seg);
	mutex_lock(&ns->lock);
	ret = shmipc_seg_publish(ns, seg);
	mutex_unlock(&ns->lock);
	if (ret < 0)
		shmipc_seg_free(seg);
	return ret;
}

/*
 * shmget() of a key that exists, as the common case runs: without
 * ns->lock, under RCU. A segment is entered in the key table before its
 * index holds it, and its key becomes IPC_PRIVATE after IPC_RMID: either
 * way the caller takes the locked path. True when *@ret is the answer.
 */
static bool shmipc_seg_get_existing(struct shmipc_ns *ns,
				    const struct shmipc_get *args, int *ret)
{
	struct shmipc_seg *seg;
	bool found = false;

	rcu_read_lock();
	seg = rhashtable_lookup(&ns->keys, &args->key, shmipc_key_params);
	if (seg && READ_ONCE(seg->key) == args->key &&
	    xa_load(&ns->ids, shmipc_id_idx(seg->id)) == seg) {
		*ret = shmipc_seg_reuse(ns, seg, args);
		found = true;
	}
	rcu_read_unlock();
	return found;
}

/* SHMIPC_IOC_GET: shmget(). Returns the id or -errno. */
int shmipc_seg_get(struct shmipc_ns *ns, const struct shmipc_get *args)
{
	struct shmipc_seg *seg;
	int ret;

	if (args->key == SHMIPC_IPC_PRIVATE)
		return shmipc_seg_create(ns, args);
	if (shmipc_seg_get_existing(ns, args, &ret))
		return ret;
	do {
		mutex_lock(&ns->lock);
		seg = shmipc_key_find(ns, args->key);
		if (seg)
			ret = shmipc_seg_reuse(ns, seg, args);
		mutex_unlock(&ns->lock);
		if (seg)
			return ret;
		if (!(args->flags & SHMIPC_IPC_CREAT))
			return -ENOENT;
		ret = shmipc_seg_create(ns, args);
	} while (ret == -EAGAIN);
	return ret;
}

static int shmipc_seg_set(struct shmipc_ns *ns, const struct shmipc_ctl *args)
{
	const struct shmipc_ds *ds = &args->u.ds;
	struct user_namespace *user_ns = current_user_ns();
	kuid_t uid = make_kuid(user_ns, ds->perm.uid);
	kgid_t gid = make_kgid(user_ns, ds->perm.gid);
	struct shmipc_seg *seg;
	int ret = 0;

	if (ds->perm.pad || memchr_inv(ds->reserved, 0, sizeof(ds->reserved)))
		return -EINVAL;
	mutex_lock(&ns->lock);
	seg = shmipc_seg_find(ns, args->id);
	if (IS_ERR(seg)) {
		ret = PTR_ERR(seg);
	} else if (!shmipc_seg_may_change(ns, seg)) {
		ret = -EPERM;
	} else if (!uid_valid(uid) || !gid_valid(gid)) {
		ret = -EINVAL;
	} else {
		seg->uid = uid;
		seg->gid = gid;
		WRITE_ONCE(seg->mode, (seg->mode & ~0777) |
				      (ds->perm.mode & 0777));
		seg->ctime = ktime_get_real_seconds();
		shmipc_notify(seg, SHMIPC_EV_SET, 0, 0, NULL);
	}
	mutex_unlock(&ns->lock);
	return ret;
}

static int shmipc_seg_rmid(struct shmipc_ns *ns, int id)
{
	struct shmipc_seg *seg;
	int ret = 0;

	mutex_lock(&ns->lock);
	seg = shmipc_seg_find(ns, id);
	if (IS_ERR(seg))
		ret = PTR_ERR(seg);
	else if (!shmipc_seg_may_change(ns, seg))
		ret = -EPERM;
	else
		shmipc_seg_remove(seg);
	mutex_unlock(&ns->lock);
	return ret;
}

/* SHMIPC_IOC_CTL: shmctl(). Fills args->u for the caller to copy out. */
int shmipc_seg_ctl(struct shmipc_ns *ns, struct shmipc_ctl *args)
{
	/* shmctl() refuses a negative id whatever the command. */
	if (args->id < 0)
		return -EINVAL;
	switch (args->cmd) {
	case SHMIPC_IPC_STAT:
	case SHMIPC_SHM_STAT:
	case SHMIPC_SHM_STAT_ANY:
		return shmipc_seg_stat(ns, args);
	case SHMIPC_IPC_INFO:
	case SHMIPC_SHM_INFO:
		return shmipc_ns_info(ns, args);
	case SHMIPC_IPC_SET:
		return shmipc_seg_set(ns, args);
	case SHMIPC_IPC_RMID:
		return shmipc_seg_rmid(ns, args->id);
	case SHMIPC_SHM_LOCK:
	case SHMIPC_SHM_UNLOCK:
		return shmipc_seg_lock(ns, args);
	default:
		return -EINVAL;
	}
}

/* The namespace is gone (or the module is): remove every segment. */
void shmipc_ns_clear(struct shmipc_ns *ns)
{
	struct shmipc_seg *seg;
	unsigned long idx;

	mutex_lock(&ns->lock);
	xa_for_each(&ns->ids, idx, seg)
		shmipc_seg_remove(seg);
	mutex_unlock(&ns->lock);
}

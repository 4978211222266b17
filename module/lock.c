// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc: shmctl()'s SHM_LOCK and SHM_UNLOCK, with the semantics of
 * ipc/shm.c's shmctl_do_lock() and mm/shmem.c's shmem_lock().
 *
 * A locked segment's pages are unevictable: its shmem mapping is marked so,
 * and pages added to it stay off the evictable LRU lists. SHM_UNLOCK clears
 * the mark and moves the pages back, as shmem_unlock_mapping() does.
 *
 * The charge: SHM_LOCK charges the segment's pages to the caller's real
 * uid against RLIMIT_MEMLOCK, and the charge stays with that user until
 * SHM_UNLOCK or the segment's destruction, whoever does them. SysV keeps
 * this count in the user's ucounts through helpers that modules cannot
 * call, so shmipc keeps its own: apart from SysV's, a user may lock up to
 * RLIMIT_MEMLOCK in each.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/ipc_namespace.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/swap.h>
#include <linux/user_namespace.h>
#include <linux/xarray.h>

#include "compat.h"
#include "internal.h"

/*
 * Pages locked per user: kuid -> a value entry holding the count. Users
 * with nothing locked have no entry, so the table is empty when no
 * segment is locked.
 */
static DEFINE_XARRAY(shmipc_locked);
static DEFINE_MUTEX(shmipc_locked_lock);	/* read-modify-write of a count */

/*
 * Charge @pages to @uid, as user_shm_lock(): refused (-ENOMEM) past the
 * caller's RLIMIT_MEMLOCK unless it has CAP_IPC_LOCK, or when the table
 * cannot grow.
 */
static int shmipc_lock_charge(kuid_t uid, unsigned long pages)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK);
	unsigned long locked = 0;
	void *entry;
	int err = -ENOMEM;

	if (limit != RLIM_INFINITY)
		limit >>= PAGE_SHIFT;
	mutex_lock(&shmipc_locked_lock);
	entry = xa_load(&shmipc_locked, __kuid_val(uid));
	if (entry)
		locked = xa_to_value(entry);
	/* A value entry holds at most LONG_MAX. */
	if (check_add_overflow(locked, pages, &locked) || locked > LONG_MAX)
		goto unlock;
	if (locked > limit && !capable(CAP_IPC_LOCK))
		goto unlock;
	entry = xa_store(&shmipc_locked, __kuid_val(uid), xa_mk_value(locked),
			 GFP_KERNEL_ACCOUNT);
	err = xa_err(entry);
unlock:
	mutex_unlock(&shmipc_locked_lock);
	return err;
}

static void shmipc_lock_uncharge(kuid_t uid, unsigned long pages)
{
	unsigned long locked;
	void *entry;

	mutex_lock(&shmipc_locked_lock);
	entry = xa_load(&shmipc_locked, __kuid_val(uid));
	locked = entry ? xa_to_value(entry) : 0;
	if (WARN_ON_ONCE(locked < pages))
		pages = locked;
	/* Replacing an entry allocates nothing: this cannot fail. */
	if (locked == pages)
		xa_erase(&shmipc_locked, __kuid_val(uid));
	else
		xa_store(&shmipc_locked, __kuid_val(uid),
			 xa_mk_value(locked - pages), GFP_KERNEL);
	mutex_unlock(&shmipc_locked_lock);
}

/*
 * Undo a SHM_LOCK: the charge goes back to whoever was charged, new pages
 * are evictable again. The pages already on the unevictable list are the
 * caller's to move back (shmipc_lock_release_pages()), outside ns->lock.
 * Called with ns->lock held, by SHM_UNLOCK and when the segment is
 * destroyed.
 */
void shmipc_seg_unlock(struct shmipc_seg *seg)
{
	lockdep_assert_held(&seg->ns->lock);
	if (!(seg->mode & SHMIPC_SHM_LOCKED))
		return;
	shmipc_lock_uncharge(seg->lock_uid, shmipc_seg_pages(seg));
	WRITE_ONCE(seg->mode, seg->mode & ~SHMIPC_SHM_LOCKED);
	mapping_clear_unevictable(seg->file->f_mapping);
}

/*
 * Back to the evictable LRU lists, the pages SHM_LOCK kept off them, as
 * shmem_unlock_mapping() does (it is not exported). Stops if the segment
 * is locked again meanwhile.
 */
static void shmipc_lock_release_pages(struct address_space *mapping)
{
	struct folio_batch fbatch;
	pgoff_t index = 0;

	folio_batch_init(&fbatch);
	while (!mapping_unevictable(mapping) &&
	       filemap_get_folios(mapping, &index, ~0UL, &fbatch)) {
		check_move_unevictable_folios(&fbatch);
		folio_batch_release(&fbatch);
		cond_resched();
	}
}

/*
 * Who may lock and unlock, in shmctl_do_lock()'s order: anyone with
 * CAP_IPC_LOCK in the namespace's user namespace; otherwise the owner or
 * the creator, and to lock, only with a nonzero RLIMIT_MEMLOCK. No read
 * or write permission is asked. Called with ns->lock held.
 */
static int shmipc_seg_may_lock(struct shmipc_ns *ns, struct shmipc_seg *seg,
			       bool lock)
{
	kuid_t euid = current_euid();

	lockdep_assert_held(&ns->lock);
	if (ns_capable(ns->ipc_ns->user_ns, CAP_IPC_LOCK))
		return 0;
	if (!uid_eq(euid, seg->uid) && !uid_eq(euid, seg->cuid))
		return -EPERM;
	if (lock && !rlimit(RLIMIT_MEMLOCK))
		return -EPERM;
	return 0;
}

/* SHM_LOCK of a segment not locked yet. Called with ns->lock held. */
static int shmipc_seg_do_lock(struct shmipc_seg *seg)
{
	/* SysV charges the caller's ucounts: those of its real uid. */
	kuid_t uid = current_uid();
	int err;

	lockdep_assert_held(&seg->ns->lock);
	err = shmipc_lock_charge(uid, shmipc_seg_pages(seg));
	if (err)
		return err;
	seg->lock_uid = uid;
	WRITE_ONCE(seg->mode, seg->mode | SHMIPC_SHM_LOCKED);
	mapping_set_unevictable(seg->file->f_mapping);
	return 0;
}

/* SHMIPC_IOC_CTL's SHM_LOCK and SHM_UNLOCK. Returns 0 or -errno. */
int shmipc_seg_lock(struct shmipc_ns *ns, const struct shmipc_ctl *args)
{
	bool lock = args->cmd == SHMIPC_SHM_LOCK;
	struct shmipc_seg *seg;
	int err;

	mutex_lock(&ns->lock);
	seg = shmipc_seg_find(ns, args->id);
	if (IS_ERR(seg)) {
		err = PTR_ERR(seg);
		goto unlock;
	}
	err = shmipc_seg_may_lock(ns, seg, lock);
	/*
	 * Locking a locked segment, or unlocking an unlocked one: done. As
	 * shmctl_do_lock(), huge pages, never evictable, are left as they
	 * are, and SHM_LOCKED never shows on them.
	 */
	if (err || lock == !!(seg->mode & SHMIPC_SHM_LOCKED) ||
	    shmipc_seg_huge(seg))
		goto unlock;
	if (lock) {
		err = shmipc_seg_do_lock(seg);
		goto unlock;
	}
	shmipc_seg_unlock(seg);
	/* The walk may be long: hold the segment, not the lock. */
	shmipc_seg_hold(seg);
	mutex_unlock(&ns->lock);
	shmipc_lock_release_pages(seg->file->f_mapping);
	shmipc_seg_put(seg);
	return 0;
unlock:
	mutex_unlock(&ns->lock);
	return err;
}

/* Module exit: every segment is gone, and every charge with it. */
void shmipc_lock_exit(void)
{
	WARN_ON_ONCE(!xa_empty(&shmipc_locked));
	xa_destroy(&shmipc_locked);
}

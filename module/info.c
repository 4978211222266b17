// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc: what segments and namespaces report, with the semantics of
 * SysV shmctl()'s IPC_STAT, SHM_STAT, SHM_STAT_ANY, IPC_INFO and SHM_INFO.
 *
 * Each fills the caller's zeroed struct under ns->lock (and what attaching
 * changes under the segment's lock); the ioctl copies it out after the
 * locks are dropped (device.c).
 */
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/shmem_fs.h>
#include <linux/string.h>
#include <uapi/linux/shm.h>

#include "compat.h"
#include "internal.h"

/* @seg as IPC_STAT tells it to a task of @user_ns and @pid_ns. */
void shmipc_seg_fill_ds(struct shmipc_seg *seg, struct shmipc_ds *ds,
			struct user_namespace *user_ns,
			struct pid_namespace *pid_ns)
{
	ds->perm.key = seg->key;
	ds->perm.uid = from_kuid_munged(user_ns, seg->uid);
	ds->perm.gid = from_kgid_munged(user_ns, seg->gid);
	ds->perm.cuid = from_kuid_munged(user_ns, seg->cuid);
	ds->perm.cgid = from_kgid_munged(user_ns, seg->cgid);
	ds->perm.mode = seg->mode;
	ds->perm.seq = seg->seq;
	ds->segsz = seg->size;
	ds->ctime = seg->ctime;
	ds->cpid = pid_nr_ns(seg->cpid, pid_ns);
	spin_lock(&seg->lock);
	ds->atime = seg->atime;
	ds->dtime = seg->dtime;
	ds->lpid = pid_nr_ns(seg->lpid, pid_ns);
	ds->nattch = seg->nattch;
	spin_unlock(&seg->lock);
	shmipc_life_fill_ds(seg, ds);
}

/*
 * IPC_STAT names a segment by id; SHM_STAT and SHM_STAT_ANY by index in
 * the table (ipcs walks it up to what SHM_INFO returns), and return the
 * segment's id. SHM_STAT_ANY asks no read permission.
 */
int shmipc_seg_stat(struct shmipc_ns *ns, struct shmipc_ctl *args)
{
	struct shmipc_seg *seg;
	int ret = 0;

	memset(&args->u, 0, sizeof(args->u));
	mutex_lock(&ns->lock);
	if (args->cmd == SHMIPC_IPC_STAT) {
		seg = shmipc_seg_find(ns, args->id);
	} else {
		/* As ipc/util.c, the index is what is below the sequence. */
		seg = xa_load(&ns->ids, shmipc_id_idx(args->id));
		if (!seg)
			seg = ERR_PTR(-EINVAL);
	}
	if (IS_ERR(seg)) {
		ret = PTR_ERR(seg);
		goto unlock;
	}
	if (args->cmd != SHMIPC_SHM_STAT_ANY && !shmipc_seg_may(ns, seg, 0444)) {
		ret = -EACCES;
		goto unlock;
	}
	shmipc_seg_fill_ds(seg, &args->u.ds, current_user_ns(),
			   task_active_pid_ns(current));
	if (args->cmd != SHMIPC_IPC_STAT)
		ret = seg->id;
unlock:
	mutex_unlock(&ns->lock);
	return ret;
}

/* Adds @seg's pages in memory and in swap, as SysV's shm_add_rss_swap(). */
void shmipc_seg_usage(struct shmipc_seg *seg, u64 *rss, u64 *swp)
{
	struct inode *inode = file_inode(seg->file);

	/* Huge pages are never swapped, and the inode is no shmem one. */
	if (shmipc_seg_huge(seg)) {
		*rss += shmipc_huge_nrpages(inode);
		return;
	}
	*rss += READ_ONCE(inode->i_mapping->nrpages);
	*swp += READ_ONCE(SHMEM_I(inode)->swapped);
}

/*
 * IPC_INFO (the limits, as struct shminfo) and SHM_INFO (the usage, as
 * struct shm_info). Both return the highest index in use, 0 if none.
 */
int shmipc_ns_info(struct shmipc_ns *ns, struct shmipc_ctl *args)
{
	struct shmipc_info *info = &args->u.info;
	struct shmipc_seg *seg;
	unsigned long idx;
	int ret;

	memset(&args->u, 0, sizeof(args->u));
	if (args->cmd == SHMIPC_IPC_INFO) {
		info->shmmax = shmipc_ns_shmmax(ns);
		info->shmmin = SHMMIN;
		info->shmmni = shmipc_ns_shmmni(ns);
		info->shmseg = info->shmmni;
		info->shmall = shmipc_ns_shmall(ns);
	}
	mutex_lock(&ns->lock);
	if (args->cmd == SHMIPC_SHM_INFO) {
		info->used_ids = ns->nr_segs;
		info->shm_tot = ns->nr_pages;
		xa_for_each(&ns->ids, idx, seg)
			shmipc_seg_usage(seg, &info->shm_rss, &info->shm_swp);
	}
	ret = max(ns->max_idx, 0);
	mutex_unlock(&ns->lock);
	return ret;
}

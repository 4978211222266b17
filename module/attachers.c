// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc: who has a segment attached (SHMIPC_IOC_ATTACHERS).
 *
 * nattch counts VMAs, so the list counts VMAs too, by the mm they are in
 * and by their access: an entry per (mm, read-only or not), made by the
 * first VMA of the pair and freed with its last. A VMA is counted where
 * the VMA is, not where the task that made it is: fork's copies are
 * opened by the parent, and a VMA may be closed by whichever task drops
 * the mm last. The process shown for an mm is the one the mm belongs to
 * when asked (mm->owner, which the memory controller keeps). An entry's
 * mm stays valid while the entry lives: exit_mmap() closes every VMA
 * before the mm goes.
 *
 * Entries are bounded by max_attachers per segment and charged to the
 * memory cgroup of the task that attaches; attachments past the bound,
 * or whose entry could not be allocated, are counted in the segment's
 * "others", so the entries always add up to nattch (less pins, which are
 * attaches in progress). A VMA's entry is taken out before "others" is:
 * an mm's VMAs are in its entry, in "others", or split between them, so
 * "others" is never taken below zero.
 *
 * Everything here is under the segment's spinlock; allocations are made
 * before it is taken and freed after it is dropped. The entry an mm's
 * last VMA frees is kept in the segment for the next new one, so that a
 * process attaching and detaching over and over allocates nothing.
 */
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "internal.h"

struct shmipc_attacher_ent {
	struct hlist_node node;		/* on seg->attachers */
	struct mm_struct *mm;
	bool rdonly;
	unsigned long nattch;		/* its VMAs */
	time64_t atime;			/* when it was made */
};

#define SHMIPC_MAX_ATTACHERS_LIMIT	65536

static unsigned int shmipc_max_attachers = 1024;

static int shmipc_max_attachers_set(const char *val,
				    const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, SHMIPC_MAX_ATTACHERS_LIMIT);
}

static const struct kernel_param_ops shmipc_max_attachers_ops = {
	.set = shmipc_max_attachers_set,
	.get = param_get_uint,
};

module_param_cb(max_attachers, &shmipc_max_attachers_ops,
		&shmipc_max_attachers, 0644);
MODULE_PARM_DESC(max_attachers,
		 "Processes listed per segment (0-65536); the rest are counted together");

bool shmipc_vma_rdonly(const struct vm_area_struct *vma)
{
	return !(vma->vm_file->f_mode & FMODE_WRITE);
}

/* A new entry for an attach to come, or NULL: then it counts in others. */
struct shmipc_attacher_ent *shmipc_attacher_alloc(void)
{
	return kmalloc(sizeof(struct shmipc_attacher_ent), GFP_KERNEL_ACCOUNT);
}

void shmipc_attacher_free(struct shmipc_attacher_ent *ent)
{
	kfree(ent);
}

static struct shmipc_attacher_ent *
shmipc_attacher_find(struct shmipc_seg *seg, const struct vm_area_struct *vma)
{
	bool rdonly = shmipc_vma_rdonly(vma);
	struct shmipc_attacher_ent *ent;

	hlist_for_each_entry(ent, &seg->attachers, node)
		if (ent->mm == vma->vm_mm && ent->rdonly == rdonly)
			return ent;
	return NULL;
}

/*
 * Can @vma be counted without a new allocation: in its entry, in the
 * kept one, or in others? Called with seg->lock held.
 */
bool shmipc_attacher_ready(struct shmipc_seg *seg,
			   const struct vm_area_struct *vma)
{
	lockdep_assert_held(&seg->lock);
	return seg->ent_cache ||
	       seg->nr_attachers >= READ_ONCE(shmipc_max_attachers) ||
	       shmipc_attacher_find(seg, vma);
}

/*
 * Counts @vma, a new VMA of @seg, in its entry; takes *@spare for a new
 * one (setting it NULL). Called with seg->lock held.
 */
void shmipc_attacher_add(struct shmipc_seg *seg, struct vm_area_struct *vma,
			 struct shmipc_attacher_ent **spare)
{
	struct shmipc_attacher_ent *ent = shmipc_attacher_find(seg, vma);

	lockdep_assert_held(&seg->lock);
	if (ent) {
		ent->nattch++;
		return;
	}
	if (seg->nr_attachers >= READ_ONCE(shmipc_max_attachers) ||
	    (!seg->ent_cache && !*spare)) {
		seg->others++;
		return;
	}
	if (seg->ent_cache) {
		ent = seg->ent_cache;
		seg->ent_cache = NULL;
	} else {
		ent = *spare;
		*spare = NULL;
	}
	ent->mm = vma->vm_mm;
	ent->rdonly = shmipc_vma_rdonly(vma);
	ent->nattch = 1;
	ent->atime = ktime_get_real_seconds();
	hlist_add_head(&ent->node, &seg->attachers);
	seg->nr_attachers++;
}

/*
 * @vma of @seg goes. Returns its entry if that was its last VMA, for the
 * caller to free after dropping seg->lock, which it holds.
 */
struct shmipc_attacher_ent *shmipc_attacher_del(struct shmipc_seg *seg,
						struct vm_area_struct *vma)
{
	struct shmipc_attacher_ent *ent = shmipc_attacher_find(seg, vma);

	lockdep_assert_held(&seg->lock);
	if (!ent) {
		if (!WARN_ON_ONCE(!seg->others))
			seg->others--;
		return NULL;
	}
	if (--ent->nattch)
		return NULL;
	hlist_del(&ent->node);
	seg->nr_attachers--;
	if (!seg->ent_cache) {
		seg->ent_cache = ent;
		return NULL;
	}
	return ent;
}

/* The process @mm belongs to, in @pid_ns: 0 if none there (or known). */
pid_t shmipc_mm_pid(struct mm_struct *mm, struct pid_namespace *pid_ns)
{
	pid_t nr = 0;
#ifdef CONFIG_MEMCG
	struct task_struct *owner;

	rcu_read_lock();
	owner = rcu_dereference(mm->owner);
	if (owner)
		nr = task_tgid_nr_ns(owner, pid_ns);
	rcu_read_unlock();
#endif
	return nr;
}

/*
 * Fills up to @room entries of @seg's list into @out, as seen from
 * @pid_ns; returns how many there are. Sets *@nattch. Called with
 * seg->lock held.
 */
static u32 shmipc_attachers_fill(struct shmipc_seg *seg,
				 struct shmipc_attacher *out, u32 room,
				 struct pid_namespace *pid_ns, u64 *nattch)
{
	struct shmipc_attacher_ent *ent;
	u32 n = 0;

	lockdep_assert_held(&seg->lock);
	hlist_for_each_entry(ent, &seg->attachers, node) {
		if (n < room) {
			out[n].pid = shmipc_mm_pid(ent->mm, pid_ns);
			out[n].flags = ent->rdonly ? SHMIPC_ATTACHER_RDONLY : 0;
			out[n].nattch = ent->nattch;
			out[n].atime = ent->atime;
		}
		n++;
	}
	if (seg->others) {
		if (n < room) {
			out[n].flags = SHMIPC_ATTACHER_OTHERS;
			out[n].nattch = seg->others;
		}
		n++;
	}
	*nattch = seg->nattch;
	return n;
}

/*
 * The list of @id for the caller, into @out (room for @room): under
 * ns->lock, with the permission IPC_STAT asks. Returns the count or
 * -errno.
 */
static long shmipc_attachers_get(struct shmipc_ns *ns, int id,
				 struct shmipc_attacher *out, u32 room,
				 u64 *nattch)
{
	struct pid_namespace *pid_ns = task_active_pid_ns(current);
	struct shmipc_seg *seg;
	long ret;

	mutex_lock(&ns->lock);
	seg = shmipc_seg_find(ns, id);
	if (IS_ERR(seg)) {
		ret = PTR_ERR(seg);
	} else if (!shmipc_seg_may(ns, seg, 0444)) {
		ret = -EACCES;
	} else {
		spin_lock(&seg->lock);
		ret = shmipc_attachers_fill(seg, out, room, pid_ns, nattch);
		spin_unlock(&seg->lock);
	}
	mutex_unlock(&ns->lock);
	return ret;
}

/* SHMIPC_IOC_ATTACHERS */
long shmipc_ioctl_attachers(struct file *dev,
			    struct shmipc_attachers __user *uarg)
{
	struct shmipc_attacher *out = NULL;
	struct shmipc_attachers args;
	struct shmipc_ns *ns;
	u32 room;
	long ret;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.reserved || args.id < 0)
		return -EINVAL;
	/* No segment has more entries than this: room past it is unused. */
	room = min(args.count, SHMIPC_MAX_ATTACHERS_LIMIT + 1U);
	if (room) {
		out = kvcalloc(room, sizeof(*out), GFP_KERNEL_ACCOUNT);
		if (!out)
			return -ENOMEM;
	}
	ns = shmipc_ns_of_caller(dev);
	if (IS_ERR(ns)) {
		ret = PTR_ERR(ns);
		goto out;
	}
	ret = shmipc_attachers_get(ns, args.id, out, room, &args.nattch);
	shmipc_ns_done(dev, ns);
	if (ret < 0)
		goto out;
	args.count = ret;
	ret = 0;
	if (copy_to_user(u64_to_user_ptr(args.buf), out,
			 min(room, args.count) * sizeof(*out)) ||
	    copy_to_user(uarg, &args, sizeof(args)))
		ret = -EFAULT;
out:
	kvfree(out);
	return ret;
}

/*
 * /proc/shmipc/attachers: @seg's entries, if the reader could IPC_STAT
 * it. Called with ns->lock held.
 */
void shmipc_attachers_show(struct seq_file *m, struct shmipc_ns *ns,
			   struct shmipc_seg *seg, struct pid_namespace *pid_ns)
{
	struct shmipc_attacher_ent *ent;

	if (!shmipc_seg_may(ns, seg, 0444))
		return;
	spin_lock(&seg->lock);
	hlist_for_each_entry(ent, &seg->attachers, node)
		seq_printf(m, "%10d %10d %-6s %10lu %10lld\n", seg->id,
			   shmipc_mm_pid(ent->mm, pid_ns),
			   ent->rdonly ? "ro" : "rw", ent->nattch,
			   (long long)ent->atime);
	if (seg->others)
		seq_printf(m, "%10d %10d %-6s %10u %10d\n", seg->id, 0,
			   "others", seg->others, 0);
	spin_unlock(&seg->lock);
}

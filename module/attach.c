// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc: attach and detach, with the semantics of SysV shmat() and shmdt().
 *
 * An attachment is an mmap of the device whose offset names the segment.
 * The mmap handler checks access, then turns the VMA into a mapping of the
 * segment's shmem file (vma_set_file) and lets shmem set it up, so the
 * pages are ordinary shmem pages: swappable, charged to a memory cgroup,
 * counted as shared memory. shmipc's vm_ops sit on top of shmem's to count
 * attachments (open and close run for fork, split, mremap and unmap) and
 * pass faults, fault-around included, straight to shmem.
 */
#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/refcount.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/shmparam.h>

#include "compat.h"
#include "internal.h"

/*
 * One attachment: what one shmat() or mmap() of the device made. Its VMAs
 * point to it: one at first, more once it is split (mprotect, munmap of a
 * middle part), copies in a child after fork, a new one after mremap. SysV
 * tells attachments apart by the struct file each shmat() makes; shmdt()
 * unmaps the pieces of the attachment it names and no other, even where
 * another attachment of the same segment lies in its range.
 */
struct shmipc_att {
	struct shmipc_seg *seg;
	const struct vm_operations_struct *shmem_vm_ops;
	refcount_t vmas;		/* VMAs, in every mm, that point here */
	u64 serial;			/* never reused: see shmipc_detach() */
};

static atomic64_t shmipc_att_serial = ATOMIC64_INIT(0);

/* A VMA copied by fork, split or mremap: nattch counts VMAs, as SysV's. */
static void shmipc_vm_open(struct vm_area_struct *vma)
{
	struct shmipc_att *att = vma->vm_private_data;

	refcount_inc(&att->vmas);
	shmipc_seg_attach(att->seg);
	__module_get(THIS_MODULE);
}

/*
 * The VMA holds the module: its vm_ops live in module text, and once the
 * VMA maps the shmem file nothing else pins the module for it.
 */
static void shmipc_vm_close(struct vm_area_struct *vma)
{
	struct shmipc_att *att = vma->vm_private_data;

	shmipc_seg_detach(att->seg);
	if (refcount_dec_and_test(&att->vmas))
		kfree(att);
	module_put(THIS_MODULE);
}

static vm_fault_t shmipc_vm_fault(struct vm_fault *vmf)
{
	const struct shmipc_att *att = vmf->vma->vm_private_data;

	return att->shmem_vm_ops->fault(vmf);
}

/* Fault-around, which SysV shm mappings go without. */
static vm_fault_t shmipc_vm_map_pages(struct vm_fault *vmf,
				      pgoff_t start_pgoff, pgoff_t end_pgoff)
{
	const struct shmipc_att *att = vmf->vma->vm_private_data;

	if (!att->shmem_vm_ops->map_pages)
		return 0;
	return att->shmem_vm_ops->map_pages(vmf, start_pgoff, end_pgoff);
}

static const struct vm_operations_struct shmipc_vm_ops = {
	.open = shmipc_vm_open,
	.close = shmipc_vm_close,
	.fault = shmipc_vm_fault,
	.map_pages = shmipc_vm_map_pages,
};

/* Finds, checks and counts the attachment; returns the segment, held. */
static struct shmipc_seg *shmipc_mmap_lookup(struct file *file,
					     struct vm_area_struct *vma)
{
	umode_t want = 0444;
	struct shmipc_seg *seg;
	struct shmipc_ns *ns;

	if (vma->vm_flags & VM_WRITE)
		want |= 0222;
	if (vma->vm_flags & VM_EXEC)
		want |= 0111;

	ns = shmipc_ns_of_caller(file);
	if (IS_ERR(ns))
		return ERR_CAST(ns);
	mutex_lock(&ns->lock);
	seg = shmipc_seg_find(ns, (int)vma->vm_pgoff);
	if (IS_ERR(seg))
		goto unlock;
	if (vma_pages(vma) > shmipc_seg_pages(seg))
		seg = ERR_PTR(-EINVAL);
	else if (!shmipc_seg_may(ns, seg, want))
		seg = ERR_PTR(-EACCES);
	else
		shmipc_seg_attach_locked(seg);
unlock:
	mutex_unlock(&ns->lock);
	shmipc_ns_put(ns);
	return seg;
}

/* Called with mmap_lock held for writing. */
int shmipc_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct shmipc_att *att;
	struct shmipc_seg *seg;
	int err;

	/* A segment is shared memory: a private copy is not an attachment. */
	if (!(vma->vm_flags & VM_MAYSHARE) || vma->vm_pgoff > INT_MAX)
		return -EINVAL;
	att = kmalloc(sizeof(*att), GFP_KERNEL_ACCOUNT);
	if (!att)
		return -ENOMEM;
	seg = shmipc_mmap_lookup(file, vma);
	if (IS_ERR(seg)) {
		err = PTR_ERR(seg);
		goto err_att;
	}

	/* Read-only stays read-only; and the size is fixed: no mremap growth. */
	if (!(vma->vm_flags & VM_WRITE))
		shmipc_vm_flags_clear(vma, VM_MAYWRITE);
	shmipc_vm_flags_set(vma, VM_DONTEXPAND);

	vma_set_file(vma, seg->file);
	vma->vm_pgoff = 0;
	err = shmipc_file_mmap(seg->file, vma);
	if (err)
		goto err_detach;
	att->seg = seg;
	att->shmem_vm_ops = vma->vm_ops;
	refcount_set(&att->vmas, 1);
	att->serial = atomic64_inc_return(&shmipc_att_serial);
	vma->vm_private_data = att;
	vma->vm_ops = &shmipc_vm_ops;
	__module_get(THIS_MODULE);
	return 0;

err_detach:
	shmipc_seg_detach(seg);
err_att:
	kfree(att);
	return err;
}

/*
 * The bytes an attachment of @id maps, in @size. A segment may be larger
 * than any address space (SHM_NORESERVE): vm_mmap() refuses it (ENOMEM).
 */
static int shmipc_attach_size(struct file *file, int id, unsigned long *size)
{
	struct shmipc_seg *seg;
	struct shmipc_ns *ns;
	int ret = 0;

	ns = shmipc_ns_of_caller(file);
	if (IS_ERR(ns))
		return PTR_ERR(ns);
	mutex_lock(&ns->lock);
	seg = shmipc_seg_find(ns, id);
	if (IS_ERR(seg))
		ret = PTR_ERR(seg);
	else
		*size = shmipc_seg_pages(seg) << PAGE_SHIFT;
	mutex_unlock(&ns->lock);
	shmipc_ns_put(ns);
	return ret;
}

/* shmat()'s address rules: returns the mmap flags for @at->addr. */
static int shmipc_attach_where(struct shmipc_at *at, unsigned long *flags)
{
	bool remap = at->flags & SHMIPC_SHM_REMAP;

	*flags = MAP_SHARED;
	if (at->addr & (SHMLBA - 1)) {
		if (!(at->flags & SHMIPC_SHM_RND))
			return -EINVAL;
		at->addr &= ~(u64)(SHMLBA - 1);
	}
	if (!at->addr)
		return remap ? -EINVAL : 0;
	if (at->addr > TASK_SIZE)
		return -EINVAL;
	*flags |= remap ? MAP_FIXED : MAP_FIXED_NOREPLACE;
	return 0;
}

/* SHMIPC_IOC_AT: shmat(), as an mmap of the device on the caller's behalf. */
long shmipc_ioctl_at(struct file *file, struct shmipc_at __user *uarg)
{
	unsigned long prot = PROT_READ, flags, addr, size;
	struct shmipc_at at;
	int err;

	if (copy_from_user(&at, uarg, sizeof(at)))
		return -EFAULT;
	if ((at.flags & ~SHMIPC_AT_FLAGS) ||
	    memchr_inv(at.reserved, 0, sizeof(at.reserved)))
		return -EINVAL;
	err = shmipc_attach_where(&at, &flags);
	if (err)
		return err;
	if (!(at.flags & SHMIPC_SHM_RDONLY))
		prot |= PROT_WRITE;
	if (at.flags & SHMIPC_SHM_EXEC)
		prot |= PROT_EXEC;

	err = shmipc_attach_size(file, at.id, &size);
	if (err)
		return err;
	addr = vm_mmap(file, at.addr, size, prot, flags,
		       (unsigned long)at.id << PAGE_SHIFT);
	if (IS_ERR_VALUE(addr))
		return addr == -EEXIST ? -EINVAL : (long)addr;

	at.addr = addr;
	at.size = size;
	if (copy_to_user(uarg, &at, sizeof(at))) {
		vm_munmap(addr, size);
		return -EFAULT;
	}
	return 0;
}

/*
 * Is @vma a piece of the attachment that began at @start? Called with
 * mmap_lock held, which keeps @vma, and so its attachment, alive.
 */
static bool shmipc_vma_of(struct vm_area_struct *vma, u64 serial,
			  unsigned long start)
{
	const struct shmipc_att *att = vma->vm_private_data;

	return vma->vm_ops == &shmipc_vm_ops && att->serial == serial &&
	       vma->vm_pgoff == (vma->vm_start - start) >> PAGE_SHIFT;
}

/*
 * The next piece, at or above @from and below @end, of the attachment
 * @serial at @start: after partial munmaps it may be several VMAs. Sets
 * [*from, *to), empty at @end when no piece is left.
 */
static int shmipc_next_piece(struct mm_struct *mm, u64 serial,
			     unsigned long start, unsigned long end,
			     unsigned long *from, unsigned long *to)
{
	struct vm_area_struct *vma;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	for (vma = find_vma(mm, *from); vma && vma->vm_start < end;
	     vma = find_vma(mm, vma->vm_end)) {
		if (shmipc_vma_of(vma, serial, start))
			break;
	}
	if (vma && vma->vm_start < end) {
		*from = vma->vm_start;
		*to = min(vma->vm_end, end);
	} else {
		*from = end;
		*to = end;
	}
	mmap_read_unlock(mm);
	return 0;
}

/*
 * shmdt(): @start must be where an attachment begins; every piece of that
 * attachment is unmapped. vm_munmap() takes mmap_lock itself, so the lock
 * is dropped between pieces: the attachment is then known by its serial
 * number alone, which no later attachment can have, and its memory is
 * read only under the lock, from a VMA that holds it.
 */
static long shmipc_detach(unsigned long start)
{
	struct mm_struct *mm = current->mm;
	const struct shmipc_att *att;
	struct vm_area_struct *vma;
	unsigned long from, to, end;
	u64 serial;
	int err;

	if (offset_in_page(start))
		return -EINVAL;
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	vma = vma_lookup(mm, start);
	att = vma && vma->vm_ops == &shmipc_vm_ops ? vma->vm_private_data : NULL;
	if (!att || vma->vm_start != start || vma->vm_pgoff) {
		mmap_read_unlock(mm);
		return -EINVAL;
	}
	serial = att->serial;
	end = start + (shmipc_seg_pages(att->seg) << PAGE_SHIFT);
	mmap_read_unlock(mm);

	for (from = start; from < end; from = to) {
		err = shmipc_next_piece(mm, serial, start, end, &from, &to);
		if (err)
			return err;
		if (from < to) {
			err = vm_munmap(from, to - from);
			if (err)
				return err;
		}
	}
	return 0;
}

/* SHMIPC_IOC_DT */
long shmipc_ioctl_dt(struct shmipc_dt __user *uarg)
{
	struct shmipc_dt dt;

	if (copy_from_user(&dt, uarg, sizeof(dt)))
		return -EFAULT;
	if (memchr_inv(dt.reserved, 0, sizeof(dt.reserved)))
		return -EINVAL;
	return shmipc_detach(dt.addr);
}

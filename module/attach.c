// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc: attach and detach, with the semantics of SysV shmat() and shmdt().
 *
 * An attachment is a mapping of a file made for it (mapping.c). shmat()
 * (SHMIPC_IOC_AT) makes the file and maps it as SysV's shmat() does; a
 * plain mmap of the device, whose offset names the segment, makes the file
 * and moves the new VMA onto it. Either way access is checked once, at
 * attach, against what the attachment asks for, and the file's open mode
 * keeps a read-only attachment read-only from then on.
 */
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/personality.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/shmparam.h>

#include "compat.h"
#include "internal.h"

/* The segment @id of the caller's namespace, pinned for an attach. */
static struct shmipc_seg *shmipc_attach_pin(struct file *dev, int id,
					    umode_t want)
{
	struct shmipc_seg *seg;
	struct shmipc_ns *ns;

	ns = shmipc_ns_of_caller(dev);
	if (IS_ERR(ns))
		return ERR_CAST(ns);
	seg = shmipc_seg_pin(ns, id, want);
	shmipc_ns_done(dev, ns);
	return seg;
}

/*
 * The access a plain mmap of the device asks for. Execute permission is
 * asked only for a PROT_EXEC that READ_IMPLIES_EXEC did not add, since
 * shmat() asks it only for SHM_EXEC.
 */
static umode_t shmipc_mmap_want(const struct vm_area_struct *vma)
{
	umode_t want = 0444;

	if (vma->vm_flags & VM_WRITE)
		want |= 0222;
	if ((vma->vm_flags & VM_EXEC) &&
	    !(current->personality & READ_IMPLIES_EXEC))
		want |= 0111;
	return want;
}

/*
 * A plain mmap of the device: the offset names the segment. The VMA is
 * moved onto a new attachment file, and mapped from the segment's start.
 * Called with mmap_lock held for writing.
 */
int shmipc_mmap(struct file *dev, struct vm_area_struct *vma)
{
	bool rdonly = !(vma->vm_flags & VM_WRITE);
	struct shmipc_seg *seg;
	struct file *file;
	int err;

	/* A segment is shared memory: a private copy is not an attachment. */
	if (!(vma->vm_flags & VM_MAYSHARE) || vma->vm_pgoff > INT_MAX)
		return -EINVAL;
	seg = shmipc_attach_pin(dev, (int)vma->vm_pgoff, shmipc_mmap_want(vma));
	if (IS_ERR(seg))
		return PTR_ERR(seg);
	if (vma_pages(vma) > shmipc_seg_map_size(seg) >> PAGE_SHIFT) {
		err = -EINVAL;
		goto unpin;
	}
	file = shmipc_att_file(seg, rdonly);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto unpin;
	}
	/* As do_mmap() would have made it for a read-only file. */
	if (rdonly)
		shmipc_vm_flags_clear(vma, VM_MAYWRITE);
	vma_set_file(vma, file);
	fput(file);
	vma->vm_pgoff = 0;
	err = shmipc_att_mmap(vma->vm_file, vma);
unpin:
	shmipc_seg_unpin(seg);
	return err;
}

/*
 * Where a plain mmap of the device lands: where shmem would put the
 * segment (aligned for its huge pages). The mmap handler checks the rest.
 */
unsigned long shmipc_get_unmapped_area(struct file *dev, unsigned long addr,
				       unsigned long len, unsigned long pgoff,
				       unsigned long flags)
{
	struct shmipc_seg *seg;
	struct shmipc_ns *ns;

	if (pgoff > INT_MAX)
		return -EINVAL;
	ns = shmipc_ns_of_caller(dev);
	if (IS_ERR(ns))
		return PTR_ERR(ns);
	seg = shmipc_seg_lookup(ns, (int)pgoff);
	shmipc_ns_done(dev, ns);
	if (IS_ERR(seg))
		return PTR_ERR(seg);
	addr = shmipc_seg_unmapped_area(seg, addr, len, 0, flags);
	shmipc_seg_put(seg);
	return addr;
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

/*
 * Maps the whole of @seg, which the caller has pinned, at @at->addr (0:
 * anywhere) and sets it and @at->size. Returns 0 or -errno.
 */
static int shmipc_attach_map(struct shmipc_seg *seg, struct shmipc_at *at,
			     unsigned long flags)
{
	bool rdonly = at->flags & SHMIPC_SHM_RDONLY;
	unsigned long prot = PROT_READ, addr, size;
	struct file *file;

	if (!rdonly)
		prot |= PROT_WRITE;
	if (at->flags & SHMIPC_SHM_EXEC)
		prot |= PROT_EXEC;
	/* A SHM_NORESERVE segment may be larger than any address space. */
	size = shmipc_seg_map_size(seg);
	file = shmipc_att_file(seg, rdonly);
	if (IS_ERR(file))
		return PTR_ERR(file);
	addr = vm_mmap(file, at->addr, size, prot, flags, 0);
	fput(file);
	if (IS_ERR_VALUE(addr))
		return addr == -EEXIST ? -EINVAL : (long)addr;
	at->addr = addr;
	at->size = size;
	return 0;
}

/* SHMIPC_IOC_AT: shmat(), as an mmap of a new attachment file. */
long shmipc_ioctl_at(struct file *dev, struct shmipc_at __user *uarg)
{
	struct shmipc_seg *seg;
	struct shmipc_at at;
	unsigned long flags;
	umode_t want = 0444;
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
		want |= 0222;
	if (at.flags & SHMIPC_SHM_EXEC)
		want |= 0111;

	seg = shmipc_attach_pin(dev, at.id, want);
	if (IS_ERR(seg))
		return PTR_ERR(seg);
	err = shmipc_attach_map(seg, &at, flags);
	shmipc_seg_unpin(seg);
	if (err)
		return err;
	if (copy_to_user(uarg, &at, sizeof(at))) {
		vm_munmap(at.addr, at.size);
		return -EFAULT;
	}
	return 0;
}

/*
 * Is @vma a piece of an attachment that began at @addr: a VMA of an
 * attachment file whose offset is its distance from @addr? And, if @file
 * is given, of that attachment? Called with mmap_lock held.
 */
static bool shmipc_piece_of(const struct vm_area_struct *vma,
			    unsigned long addr, const struct file *file)
{
	if (!shmipc_vma_seg(vma) || (file && vma->vm_file != file))
		return false;
	return (vma->vm_start - addr) >> PAGE_SHIFT == vma->vm_pgoff;
}

/*
 * The first piece at or above @addr, of any attachment (@file NULL) or of
 * the one whose file is @file, ending at most @limit bytes above @addr.
 * Sets [*start, *end) and, for @file NULL, takes a reference on the
 * piece's file in *found and sets *size to its segment's size in bytes.
 * Returns 0, -ENOENT when there is none, or -EINTR.
 */
static int shmipc_next_piece(unsigned long addr, unsigned long from,
			     unsigned long limit, const struct file *file,
			     struct file **found, unsigned long *size,
			     unsigned long *start, unsigned long *end)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	int ret = -ENOENT;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	for (vma = find_vma(mm, from); vma; vma = find_vma(mm, vma->vm_end)) {
		if (vma->vm_end - addr > limit)
			break;
		if (!shmipc_piece_of(vma, addr, file))
			continue;
		if (!file) {
			*found = get_file(vma->vm_file);
			*size = shmipc_seg_map_size(shmipc_vma_seg(vma));
		}
		*start = vma->vm_start;
		*end = vma->vm_end;
		ret = 0;
		break;
	}
	mmap_read_unlock(mm);
	return ret;
}

/*
 * shmdt(), as SysV's: the first piece of an attachment found at or above
 * @addr (after munmaps and mprotects an attachment may be in pieces, each
 * at its own offset from the start) gives the attachment and its size;
 * that piece and every other piece of the same attachment that ends
 * within that size above @addr are unmapped. Attachments are told apart
 * by their files, which no other attachment shares; the reference held on
 * it keeps the file unique while mmap_lock is dropped between pieces
 * (vm_munmap() takes it itself).
 */
static long shmipc_detach(unsigned long addr)
{
	unsigned long start, end, size;
	struct file *file;
	int err;

	if (offset_in_page(addr))
		return -EINVAL;
	err = shmipc_next_piece(addr, addr, ULONG_MAX, NULL, &file, &size,
				&start, &end);
	if (err)
		return err == -ENOENT ? -EINVAL : err;
	do {
		err = vm_munmap(start, end - start);
		/* A piece that spans the whole attachment is all of it. */
		if (err || (start == addr && end - start >= size))
			break;
		err = shmipc_next_piece(addr, end, size, file, NULL, NULL,
					&start, &end);
	} while (!err);
	fput(file);
	return err == -ENOENT ? 0 : err;
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

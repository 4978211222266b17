// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc: the file an attachment maps, and the VMAs that map it.
 *
 * Every attachment maps a file of shmipc's own, made for it alone, as each
 * SysV shmat() makes one: a new dentry of the segment's shmem or hugetlbfs
 * inode on the segment's own mount (alloc_file_pseudo), so that the file's
 * mapping is the segment's pages while its file_operations are shmipc's,
 * and it is opened read-only when the attachment is. Whatever the mm does
 * later with an attachment's VMA comes back here: remap_file_pages() and
 * any other mmap of vma->vm_file call shmipc_att_mmap(), which counts the
 * new VMA, and a read-only file can never be mapped writable. Faults,
 * fault-around, get_unmapped_area (THP or huge page alignment), the VMA's
 * open and close, split and page size, NUMA policy, fsync (msync) and
 * fallocate (MADV_REMOVE) are passed to the segment's file and its vm_ops.
 *
 * The file holds a reference on the segment, and through f_op->owner one
 * on the module: the VMAs that map it hold both, and the core drops the
 * module only after our release has returned.
 */
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mempolicy.h>
#include <linux/mm.h>
#include <linux/module.h>

#include "compat.h"
#include "internal.h"

static const struct vm_operations_struct shmipc_vm_ops;

static struct shmipc_seg *shmipc_att_seg(const struct file *file)
{
	return file->private_data;
}

/*
 * The vm_ops the segment's own file (shmem or hugetlbfs) gives its VMAs,
 * which ours stand in front of. They are kept in the segment, as SysV
 * keeps them in its per-attachment data: vm_private_data is the backing
 * file's own (hugetlb keeps its VMA lock there).
 */
const struct vm_operations_struct *
shmipc_vma_inner_ops(const struct vm_area_struct *vma)
{
	return READ_ONCE(shmipc_att_seg(vma->vm_file)->vm_ops);
}

/*
 * A VMA copied by fork, split or mremap: nattch counts VMAs, as SysV's.
 * hugetlb's open gives the copy a VMA lock of its own.
 */
static void shmipc_vm_open(struct vm_area_struct *vma)
{
	const struct vm_operations_struct *ops = shmipc_vma_inner_ops(vma);

	/* Cannot fail: the VMA it is copied from holds the segment. */
	shmipc_seg_attach(shmipc_att_seg(vma->vm_file), vma);
	if (ops->open)
		ops->open(vma);
}

static void shmipc_vm_close(struct vm_area_struct *vma)
{
	const struct vm_operations_struct *ops = shmipc_vma_inner_ops(vma);

	if (ops->close)
		ops->close(vma);
	shmipc_seg_detach(shmipc_att_seg(vma->vm_file), vma);
}

static vm_fault_t shmipc_vm_fault(struct vm_fault *vmf)
{
	return shmipc_vma_inner_ops(vmf->vma)->fault(vmf);
}

/* Fault-around, which SysV shm mappings go without. */
static vm_fault_t shmipc_vm_map_pages(struct vm_fault *vmf,
				      pgoff_t start_pgoff, pgoff_t end_pgoff)
{
	const struct vm_operations_struct *ops = shmipc_vma_inner_ops(vmf->vma);

	if (!ops->map_pages)
		return 0;
	return ops->map_pages(vmf, start_pgoff, end_pgoff);
}

static int shmipc_vm_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	const struct vm_operations_struct *ops = shmipc_vma_inner_ops(vma);

	return ops->may_split ? ops->may_split(vma, addr) : 0;
}

static unsigned long shmipc_vm_pagesize(struct vm_area_struct *vma)
{
	const struct vm_operations_struct *ops = shmipc_vma_inner_ops(vma);

	return ops->pagesize ? ops->pagesize(vma) : PAGE_SIZE;
}

#ifdef CONFIG_NUMA
/* The policy is the segment's, shared by every attacher, as SysV's is. */
static int shmipc_vm_set_policy(struct vm_area_struct *vma,
				struct mempolicy *pol)
{
	const struct vm_operations_struct *ops = shmipc_vma_inner_ops(vma);

	return ops->set_policy ? ops->set_policy(vma, pol) : 0;
}

/* shmipc_vm_get_policy() is in compat.h: its signature varies. */
#endif

static const struct vm_operations_struct shmipc_vm_ops = {
	.open = shmipc_vm_open,
	.close = shmipc_vm_close,
	.fault = shmipc_vm_fault,
	.map_pages = shmipc_vm_map_pages,
	.may_split = shmipc_vm_may_split,
	.pagesize = shmipc_vm_pagesize,
#ifdef CONFIG_NUMA
	.set_policy = shmipc_vm_set_policy,
	.get_policy = shmipc_vm_get_policy,
#endif
};

/* The segment an attachment's VMA maps, or NULL for any other VMA. */
struct shmipc_seg *shmipc_vma_seg(const struct vm_area_struct *vma)
{
	if (vma->vm_ops != &shmipc_vm_ops)
		return NULL;
	return shmipc_att_seg(vma->vm_file);
}

/*
 * The segment's own file's mmap on @vma. A huge segment's pages were
 * reserved at shmget() (or, with SHM_NORESERVE, are not to be): as SysV's
 * S_PRIVATE inode does, the mapping reserves none, and the VMA's flags
 * stay as SysV's would be.
 */
static int shmipc_seg_file_mmap(struct shmipc_seg *seg,
				struct vm_area_struct *vma)
{
	bool noreserve = shmipc_seg_huge(seg) &&
			 !(vma->vm_flags & VM_NORESERVE);
	int err;

	if (noreserve)
		shmipc_vm_flags_set(vma, VM_NORESERVE);
	err = shmipc_file_mmap(seg->file, vma);
	if (noreserve)
		shmipc_vm_flags_clear(vma, VM_NORESERVE);
	return err;
}

/*
 * An mmap of an attachment's file: the first, by SHMIPC_IOC_AT or a plain
 * mmap of the device, or a later one by remap_file_pages() on an existing
 * attachment, which may have closed the attachment's last VMA just before.
 * shmem sets the VMA up (its checks, flags and vm_ops), then our vm_ops
 * stand in front of its. Called with mmap_lock held for writing.
 */
int shmipc_att_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct shmipc_seg *seg = shmipc_att_seg(file);
	int err;

	err = shmipc_seg_attach(seg, vma);
	if (err)
		return err;
	err = shmipc_seg_file_mmap(seg, vma);
	/*
	 * Where shmem has only mmap_prepare, a kernel's compat layer may have
	 * pointed the VMA at the file it was called for: ours it stays (and
	 * its access is what the attachers list counts the VMA by).
	 */
	if (vma->vm_file != file)
		vma_set_file(vma, file);
	if (err) {
		shmipc_seg_detach(seg, vma);
		return err;
	}
	WRITE_ONCE(seg->vm_ops, vma->vm_ops);
	vma->vm_ops = &shmipc_vm_ops;
	return 0;
}

static int shmipc_att_release(struct inode *inode, struct file *file)
{
	shmipc_seg_put(shmipc_att_seg(file));
	return 0;
}

/*
 * Where shmem would place a mapping of @seg at @pgoff: aligned for its huge
 * pages. shmem has a get_unmapped_area on every kernel with an MMU.
 */
unsigned long shmipc_seg_unmapped_area(struct shmipc_seg *seg,
				       unsigned long addr, unsigned long len,
				       unsigned long pgoff, unsigned long flags)
{
	struct file *shm = seg->file;

	return shm->f_op->get_unmapped_area(shm, addr, len, pgoff, flags);
}

static unsigned long shmipc_att_get_unmapped_area(struct file *file,
						  unsigned long addr,
						  unsigned long len,
						  unsigned long pgoff,
						  unsigned long flags)
{
	return shmipc_seg_unmapped_area(shmipc_att_seg(file), addr, len, pgoff,
					flags);
}

/* msync(MS_SYNC) of an attachment. */
static int shmipc_att_fsync(struct file *file, loff_t start, loff_t end,
			    int datasync)
{
	struct file *shm = shmipc_att_seg(file)->file;

	if (!shm->f_op->fsync)
		return -EINVAL;
	return shm->f_op->fsync(shm, start, end, datasync);
}

/* madvise(MADV_REMOVE) of an attachment punches a hole in the segment. */
static long shmipc_att_fallocate(struct file *file, int mode, loff_t offset,
				 loff_t len)
{
	struct file *shm = shmipc_att_seg(file)->file;

	if (!shm->f_op->fallocate)
		return -EOPNOTSUPP;
	return shm->f_op->fallocate(shm, mode, offset, len);
}

static const struct file_operations shmipc_att_fops = {
	.owner = THIS_MODULE,
	.mmap = shmipc_att_mmap,
	.release = shmipc_att_release,
	.get_unmapped_area = shmipc_att_get_unmapped_area,
	.fsync = shmipc_att_fsync,
	.fallocate = shmipc_att_fallocate,
};

/*
 * A huge segment's attachments: where the mm tells hugetlb files by a flag
 * of their file_operations (is_file_hugepages()), ours carry it, as SysV's
 * shm_file_operations_huge do, so that mmap and its accounting treat them
 * as hugetlbfs files. Before, the mm knows them by VM_HUGETLB alone.
 */
static const struct file_operations shmipc_att_huge_fops = {
	.owner = THIS_MODULE,
	.mmap = shmipc_att_mmap,
	.release = shmipc_att_release,
	.get_unmapped_area = shmipc_att_get_unmapped_area,
	.fsync = shmipc_att_fsync,
	.fallocate = shmipc_att_fallocate,
#ifdef FOP_HUGE_PAGES
	.fop_flags = FOP_HUGE_PAGES,
#endif
};

/*
 * The file of a new attachment of @seg, which the caller holds (pinned).
 * It has the segment's name, which /proc/PID/maps shows.
 */
struct file *shmipc_att_file(struct shmipc_seg *seg, bool rdonly)
{
	struct inode *inode = file_inode(seg->file);
	char name[SHMIPC_SEG_NAME_LEN];
	struct file *file;

	/* alloc_file_pseudo() takes both on success; __fput() drops them. */
	ihold(inode);
	__module_get(THIS_MODULE);
	shmipc_seg_name(seg, name);
	file = alloc_file_pseudo(inode, seg->file->f_path.mnt, name,
				 rdonly ? O_RDONLY : O_RDWR,
				 shmipc_seg_huge(seg) ? &shmipc_att_huge_fops :
							&shmipc_att_fops);
	if (IS_ERR(file)) {
		module_put(THIS_MODULE);
		iput(inode);
		return file;
	}
	file->private_data = shmipc_seg_hold(seg);
	return file;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shmipc: every difference between the kernels we build for, and nothing
 * else. Shapes of APIs are chosen by version; what a kernel exports is
 * probed in its Module.symvers by Kbuild (SHMIPC_HAVE_*), since an export
 * cannot be seen from the headers.
 */
#ifndef _SHMIPC_COMPAT_H
#define _SHMIPC_COMPAT_H

#include <linux/fs.h>
#include <linux/ipc_namespace.h>
#include <linux/mm.h>
#include <linux/proc_ns.h>
#include <linux/shmem_fs.h>
#include <linux/version.h>

/* struct folio_batch moved from pagevec.h to a header of its own. */
#ifdef SHMIPC_HAVE_FOLIO_BATCH_H
#include <linux/folio_batch.h>
#else
#include <linux/pagevec.h>
#endif

#define SHMIPC_KERNEL_AT_LEAST(major, minor) \
	(KERNEL_VERSION(major, minor, 0) <= LINUX_VERSION_CODE)

/* vm_flags became read-only behind accessors in 6.3. */
static inline void shmipc_vm_flags_set(struct vm_area_struct *vma,
				       vm_flags_t flags)
{
#if SHMIPC_KERNEL_AT_LEAST(6, 3)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

static inline void shmipc_vm_flags_clear(struct vm_area_struct *vma,
					 vm_flags_t flags)
{
#if SHMIPC_KERNEL_AT_LEAST(6, 3)
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

/*
 * Run the shmem file's own mmap on a VMA. Newer kernels give shmem an
 * mmap_prepare instead of an mmap, which only vfs_mmap() knows to call.
 */
static inline int shmipc_file_mmap(struct file *file,
				   struct vm_area_struct *vma)
{
#ifdef SHMIPC_HAVE_VFS_MMAP
	return vfs_mmap(file, vma);
#else
	return call_mmap(file, vma);
#endif
}

/* mapping.c: the vm_ops of the segment's own file, behind ours. */
const struct vm_operations_struct *
shmipc_vma_inner_ops(const struct vm_area_struct *vma);

#ifdef CONFIG_NUMA
/*
 * An attachment's get_policy (mapping.c): the segment's policy, from
 * its file's vm_ops. The hook gained an interleave index in 6.7.
 */
#if SHMIPC_KERNEL_AT_LEAST(6, 7)
static inline struct mempolicy *
shmipc_vm_get_policy(struct vm_area_struct *vma, unsigned long addr,
		     pgoff_t *ilx)
{
	const struct vm_operations_struct *ops = shmipc_vma_inner_ops(vma);

	if (!ops->get_policy)
		return vma->vm_policy;
	return ops->get_policy(vma, addr, ilx);
}
#else
static inline struct mempolicy *
shmipc_vm_get_policy(struct vm_area_struct *vma, unsigned long addr)
{
	const struct vm_operations_struct *ops = shmipc_vma_inner_ops(vma);

	if (!ops->get_policy)
		return vma->vm_policy;
	return ops->get_policy(vma, addr);
}
#endif
#endif

/*
 * The pages of a huge segment's file, in base pages, as SysV's SHM_INFO
 * and /proc/sysvipc/shm count them: a hugetlbfs file's page cache counts
 * base pages since 6.7, and one per huge page before.
 */
static inline unsigned long shmipc_huge_nrpages(struct inode *inode)
{
	unsigned long nr = READ_ONCE(inode->i_mapping->nrpages);

#if SHMIPC_KERNEL_AT_LEAST(6, 7)
	return nr;
#else
	return nr << (inode->i_blkbits - PAGE_SHIFT);
#endif
}

/*
 * The backing file. Where it is exported, the kernel-internal variant keeps
 * the file out of LSM checks and accounting of user files, as SysV shm does.
 */
static inline struct file *shmipc_shmem_file(const char *name, loff_t size,
					     vm_flags_t vm_flags)
{
#ifdef SHMIPC_HAVE_VMA_FLAGS_T
	vma_flags_t flags = legacy_to_vma_flags(vm_flags);
#else
	unsigned long flags = vm_flags;
#endif

#ifdef SHMIPC_HAVE_SHMEM_KERNEL_FILE_SETUP
	return shmem_kernel_file_setup(name, size, flags);
#else
	return shmem_file_setup(name, size, flags);
#endif
}

/*
 * A namespace's users hold references on it; shmipc holds one too, so that
 * the namespace's address stays its identity. It is "in use" while anyone
 * but shmipc holds one. Not for the initial namespace, which since
 * ns_ref_read() is not counted at all.
 */
static inline bool shmipc_ipc_ns_in_use(struct ipc_namespace *ns)
{
#ifdef ns_ref_read
	return ns_ref_read(ns) > 1;
#else
	return refcount_read(&ns->ns.count) > 1;
#endif
}

/*
 * Where put_ipc_ns() is not exported (6.1), drop the reference through the
 * namespace's own nsfs operations, the path nsfs itself takes when a
 * /proc/PID/ns/ipc file goes away: ops->put is put_ipc_ns() for every IPC
 * namespace, the initial one included.
 */
static inline void shmipc_put_ipc_ns(struct ipc_namespace *ns)
{
#if defined(SHMIPC_HAVE_PUT_IPC_NS) || !IS_ENABLED(CONFIG_IPC_NS)
	put_ipc_ns(ns);
#else
	ns->ns.ops->put(&ns->ns);
#endif
}

/*
 * The upper bound (extra2) that @ipc_ns's sysctl table puts on the sysctl
 * whose value is *@data, or -1. Each IPC namespace has its own copy of the
 * kernel's ipc table, pointed at its fields; from 6.6 its header counts
 * its entries, before an empty entry ends it.
 */
static inline int shmipc_ipc_sysctl_max(struct ipc_namespace *ipc_ns,
					const int *data)
{
#ifdef CONFIG_SYSCTL
	struct ctl_table_header *head = ipc_ns->ipc_sysctls;
	const struct ctl_table *t;
	int i;

	if (!head)
		return -1;
	t = head->ctl_table;
#if SHMIPC_KERNEL_AT_LEAST(6, 6)
	for (i = 0; i < head->ctl_table_size; i++, t++) {
#else
	for (i = 0; t->procname; i++, t++) {
#endif
		if (t->data == data && t->extra2)
			return *(const int *)t->extra2;
	}
#endif
	return -1;
}

#endif /* _SHMIPC_COMPAT_H */

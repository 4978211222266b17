// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc: SHM_HUGETLB segments, on hugetlbfs pages.
 *
 * SysV makes such a segment with hugetlb_file_setup(), which modules cannot
 * call. shmipc makes the same file from what is exported: hugetlbfs mounts
 * of its own, one per huge page size, made at load and reachable by no
 * path, and on one of them an unlinked file (O_TMPFILE) per segment, its
 * size the segment's rounded up to the huge page size.
 *
 * hugetlbfs keeps the reservation a shared mapping makes with the file,
 * not with the mapping, until the file is truncated or freed. So a mapping
 * of the whole file made and unmade at shmget() reserves the segment's
 * pages as hugetlb_file_setup() does: HugePages_Rsvd grows, ENOMEM when
 * the pool cannot hold them, nothing with SHM_NORESERVE. Attachments then
 * map with VM_NORESERVE, as SysV's S_PRIVATE inode makes them.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pgtable.h>
#include <linux/string.h>

#include "compat.h"
#include "internal.h"

/* The default huge page size's mount first, then the PMD and PUD ones. */
static struct vfsmount *shmipc_huge_mnts[3];

/* vm.hugetlb_shm_group, which the kernel does not export, on a proc of ours */
static struct file *shmipc_shm_group_file;

/*
 * get_fs_type()'s reference is one on the filesystem's module, which
 * put_filesystem() (not exported) drops; a mount holds its own.
 */
static void shmipc_put_fs_type(struct file_system_type *type)
{
	module_put(type->owner);
}

static struct vfsmount *shmipc_huge_mount(struct file_system_type *type,
					  unsigned int shift)
{
	/* Anyone may make files at the root: segments are checked by shmipc. */
	char opts[48] = "mode=01777";

	if (shift)
		snprintf(opts, sizeof(opts), "mode=01777,pagesize=%lu",
			 1UL << shift);
	return vfs_kern_mount(type, SB_KERNMOUNT, "shmipc", opts);
}

/* A mount per size hugetlbfs knows; none is no error, only no SHM_HUGETLB. */
static void shmipc_huge_mount_all(void)
{
	static const unsigned int shifts[] = { PMD_SHIFT, PUD_SHIFT };
	struct file_system_type *type = get_fs_type("hugetlbfs");
	struct vfsmount *mnt;
	unsigned int i, slot = 0;

	if (!type)
		return;
	for (i = 0; i <= ARRAY_SIZE(shifts); i++) {
		unsigned int shift = i ? shifts[i - 1] : 0;

		/* The default size has its mount already. */
		if (i && shmipc_huge_mnts[0] &&
		    shmipc_huge_mnts[0]->mnt_sb->s_blocksize_bits == shift)
			continue;
		mnt = shmipc_huge_mount(type, shift);
		if (!IS_ERR(mnt))
			shmipc_huge_mnts[slot++] = mnt;
		else if (!i)
			break;	/* no huge pages at all */
	}
	shmipc_put_fs_type(type);
}

static void shmipc_shm_group_open(void)
{
	struct file_system_type *type = get_fs_type("proc");
	struct vfsmount *mnt;
	struct file *file;
	struct path root;

	if (!type)
		return;
	mnt = vfs_kern_mount(type, SB_KERNMOUNT, "shmipc", NULL);
	shmipc_put_fs_type(type);
	if (IS_ERR(mnt))
		return;
	root = (struct path){ .mnt = mnt, .dentry = mnt->mnt_root };
	file = file_open_root(&root, "sys/vm/hugetlb_shm_group", O_RDONLY, 0);
	if (!IS_ERR(file))
		shmipc_shm_group_file = file;
	/* The file holds the mount while it is open. */
	mntput(mnt);
}

void shmipc_huge_init(void)
{
	shmipc_huge_mount_all();
	if (shmipc_huge_mnts[0])
		shmipc_shm_group_open();
}

void shmipc_huge_exit(void)
{
	unsigned int i;

	if (shmipc_shm_group_file)
		fput(shmipc_shm_group_file);
	for (i = 0; i < ARRAY_SIZE(shmipc_huge_mnts); i++)
		if (shmipc_huge_mnts[i])
			mntput(shmipc_huge_mnts[i]);
}

/* Does the module offer SHM_HUGETLB at all? */
bool shmipc_huge_available(void)
{
	return shmipc_huge_mnts[0];
}

/*
 * The mount for SHM_HUGE_* bits @log as hstate_sizelog() reads them: 0 is
 * the default size, anything else must be one hugetlbfs has. NULL if none.
 */
static struct vfsmount *shmipc_huge_mnt(unsigned int log)
{
	unsigned int i;

	if (!log)
		return shmipc_huge_mnts[0];
	for (i = 0; i < ARRAY_SIZE(shmipc_huge_mnts); i++)
		if (shmipc_huge_mnts[i] &&
		    shmipc_huge_mnts[i]->mnt_sb->s_blocksize_bits == log)
			return shmipc_huge_mnts[i];
	return NULL;
}

/* Is the caller in vm.hugetlb_shm_group, read now, as SysV reads it? */
static bool shmipc_huge_in_group(void)
{
	char buf[24] = "";
	loff_t pos = 0;
	ssize_t len;
	int gid;

	if (!shmipc_shm_group_file)
		return false;
	len = kernel_read(shmipc_shm_group_file, buf, sizeof(buf) - 1, &pos);
	if (len <= 0 || kstrtoint(strim(buf), 10, &gid))
		return false;
	return in_group_p(make_kgid(&init_user_ns, gid));
}

/* hugetlb_file_setup()'s rule for SHM_HUGETLB, its rlimit warning aside. */
static bool shmipc_huge_may(void)
{
	return capable(CAP_IPC_LOCK) || shmipc_huge_in_group();
}

/*
 * Reserve the huge pages of @file, of @size bytes, as hugetlb_file_setup()
 * does: a shared mapping of it all reserves them for the file (and only
 * reserves: no page is allocated), and the reservation stays when the
 * mapping goes. The mapping is in the caller's address space for as long
 * as the call. PROT_NONE, so that nothing populates it, not even
 * mlockall(MCL_FUTURE).
 */
static int shmipc_huge_reserve(struct file *file, size_t size)
{
	unsigned long addr;

	addr = vm_mmap(file, 0, size, PROT_NONE, MAP_SHARED, 0);
	if (IS_ERR_VALUE(addr))
		return (long)addr;
	vm_munmap(addr, size);
	return 0;
}

/*
 * The file of a new SHM_HUGETLB segment of @size bytes, with @flags as
 * shmget() was given them: errors in newseg()'s order, EINVAL for a size
 * hugetlbfs does not have, EPERM for a caller neither CAP_IPC_LOCK nor
 * in vm.hugetlb_shm_group, ENOMEM when the pool cannot reserve it.
 */
struct file *shmipc_huge_file(size_t size, u32 flags)
{
	unsigned int log = (flags >> SHMIPC_SHM_HUGE_SHIFT) &
			   SHMIPC_SHM_HUGE_MASK;
	struct vfsmount *mnt = shmipc_huge_mnt(log);
	struct inode *inode;
	struct path root;
	struct file *file;
	size_t hugesize;
	int err;

	if (!mnt)
		return ERR_PTR(-EINVAL);
	hugesize = round_up(size, mnt->mnt_sb->s_blocksize);
	if (hugesize < size)
		return ERR_PTR(-ENOMEM);
	if (!shmipc_huge_may())
		return ERR_PTR(-EPERM);
	root = (struct path){ .mnt = mnt, .dentry = mnt->mnt_root };
	file = file_open_root(&root, ".", O_TMPFILE | O_RDWR | O_LARGEFILE,
			      0600);
	if (IS_ERR(file))
		return file;
	/* As hugetlb_file_setup(): the size is set, not grown into. */
	inode = file_inode(file);
	inode_lock(inode);
	i_size_write(inode, hugesize);
	inode_unlock(inode);
	if (!(flags & SHMIPC_SHM_NORESERVE)) {
		err = shmipc_huge_reserve(file, hugesize);
		if (err) {
			fput(file);
			return ERR_PTR(err);
		}
	}
	return file;
}

/* Is @seg on huge pages? */
bool shmipc_seg_huge(const struct shmipc_seg *seg)
{
	return seg->file->f_path.mnt->mnt_sb->s_magic == HUGETLBFS_MAGIC;
}

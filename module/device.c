// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc: the /dev/shmipc misc device, its ioctl entry and the module.
 *
 * The device is open to everyone (0666): access is decided per segment,
 * against its owner, group and mode, as SysV does. Each ioctl helper copies
 * its struct in once, refuses unknown flags and nonzero reserved fields,
 * and copies out only after every lock is dropped.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "internal.h"

static long shmipc_ioctl_version(struct shmipc_version __user *uarg)
{
	struct shmipc_version v = {
		.abi_version = SHMIPC_ABI_VERSION,
		.features = SHMIPC_FEATURE_GET | SHMIPC_FEATURE_CTL |
			    SHMIPC_FEATURE_AT | SHMIPC_FEATURE_DT |
			    SHMIPC_FEATURE_INFO | SHMIPC_FEATURE_LOCK |
			    SHMIPC_FEATURE_LIFETIME | SHMIPC_FEATURE_ATTACHERS |
			    SHMIPC_FEATURE_WATCH,
	};

	if (shmipc_huge_available())
		v.features |= SHMIPC_FEATURE_HUGETLB;

	return copy_to_user(uarg, &v, sizeof(v)) ? -EFAULT : 0;
}

/* Returns the id: nothing to copy out, so a made segment is never lost. */
static long shmipc_ioctl_get(struct file *file, struct shmipc_get __user *uarg)
{
	struct shmipc_get args;
	struct shmipc_ns *ns;
	long ret;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if ((args.flags & ~SHMIPC_GET_FLAGS) ||
	    memchr_inv(args.reserved, 0, sizeof(args.reserved)))
		return -EINVAL;
	/* A huge page size means nothing without SHM_HUGETLB. */
	if (!(args.flags & SHMIPC_SHM_HUGETLB) &&
	    args.flags >> SHMIPC_SHM_HUGE_SHIFT)
		return -EINVAL;
	ret = shmipc_life_check(&args);
	if (ret)
		return ret;
	ns = shmipc_ns_of_caller(file);
	if (IS_ERR(ns))
		return PTR_ERR(ns);
	ret = shmipc_seg_get(ns, &args);
	shmipc_ns_done(file, ns);
	return ret;
}

/* The commands that fill args.u; the others leave the caller's copy be. */
static bool shmipc_ctl_fills(u32 cmd)
{
	switch (cmd) {
	case SHMIPC_IPC_STAT:
	case SHMIPC_SHM_STAT:
	case SHMIPC_SHM_STAT_ANY:
	case SHMIPC_IPC_INFO:
	case SHMIPC_SHM_INFO:
		return true;
	default:
		return false;
	}
}

static long shmipc_ioctl_ctl(struct file *file, struct shmipc_ctl __user *uarg)
{
	struct shmipc_ctl args;
	struct shmipc_ns *ns;
	long ret;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (memchr_inv(args.reserved, 0, sizeof(args.reserved)))
		return -EINVAL;
	ns = shmipc_ns_of_caller(file);
	if (IS_ERR(ns))
		return PTR_ERR(ns);
	ret = shmipc_seg_ctl(ns, &args);
	shmipc_ns_done(file, ns);
	if (ret < 0 || !shmipc_ctl_fills(args.cmd))
		return ret;
	return copy_to_user(&uarg->u, &args.u, sizeof(args.u)) ? -EFAULT : ret;
}

static long shmipc_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case SHMIPC_IOC_VERSION:
		return shmipc_ioctl_version(uarg);
	case SHMIPC_IOC_GET:
		return shmipc_ioctl_get(file, uarg);
	case SHMIPC_IOC_CTL:
		return shmipc_ioctl_ctl(file, uarg);
	case SHMIPC_IOC_AT:
		return shmipc_ioctl_at(file, uarg);
	case SHMIPC_IOC_DT:
		return shmipc_ioctl_dt(uarg);
	case SHMIPC_IOC_ATTACHERS:
		return shmipc_ioctl_attachers(file, uarg);
	case SHMIPC_IOC_WATCH:
		return shmipc_ioctl_watch(file, uarg);
	default:
		return -ENOTTY;
	}
}

/*
 * The file caches the opener's namespace, so that the common case, a
 * process using the device in the namespace it opened it in, finds its
 * namespace without a search.
 */
static int shmipc_open(struct inode *inode, struct file *file)
{
	struct shmipc_ns *ns = shmipc_ns_current();

	if (IS_ERR(ns))
		return PTR_ERR(ns);
	file->private_data = ns;
	return nonseekable_open(inode, file);
}

static int shmipc_release(struct inode *inode, struct file *file)
{
	shmipc_ns_put(file->private_data);
	return 0;
}

static const struct file_operations shmipc_fops = {
	.owner = THIS_MODULE,
	.open = shmipc_open,
	.release = shmipc_release,
	.unlocked_ioctl = shmipc_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = shmipc_mmap,
	.get_unmapped_area = shmipc_get_unmapped_area,
};

static struct miscdevice shmipc_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "shmipc",
	.fops = &shmipc_fops,
	.mode = 0666,
};

static int __init shmipc_init(void)
{
	int err;

	shmipc_ids_init();
	err = shmipc_life_init();
	if (err)
		return err;
	err = shmipc_listing_init();
	if (err)
		goto life;
	shmipc_huge_init();
	err = misc_register(&shmipc_misc);
	if (err)
		goto huge;
	return 0;
huge:
	shmipc_huge_exit();
	shmipc_listing_exit();
life:
	shmipc_life_exit();
	return err;
}

/* The listing first: its open files hold namespaces, released at its removal. */
static void __exit shmipc_exit(void)
{
	misc_deregister(&shmipc_misc);
	shmipc_listing_exit();
	shmipc_ns_exit();
	shmipc_life_exit();
	shmipc_events_exit();
	shmipc_huge_exit();
	shmipc_lock_exit();
}

module_init(shmipc_init);
module_exit(shmipc_exit);

MODULE_DESCRIPTION("System V style shared memory through /dev/shmipc");
MODULE_AUTHOR("shmipc developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(SHMIPC_VERSION);

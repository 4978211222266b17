// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc: /proc/shmipc/shm, the segments of the opener's IPC namespace in
 * the layout of /proc/sysvipc/shm, for ipcs-like tools and for finding a
 * leaked IPC_PRIVATE segment. What shmipc adds to each is in files of
 * their own, since ipcs reads that one with a fixed format:
 * /proc/shmipc/lifetime, and /proc/shmipc/attachers, which lists those
 * of the segments the reader may IPC_STAT.
 *
 * As /proc/sysvipc/shm, the namespaces are the opener's (IPC at open, user
 * and pid of the file's opener), every segment is listed whatever its mode,
 * and a removed segment still attached shows with key 0 and SHM_DEST.
 * Segments are walked by index under ns->lock, which seq_file drops
 * (->stop) before it copies anything to user space.
 */
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "internal.h"

#define SHMIPC_LIST_HEADER \
	"       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n"
#define SHMIPC_LIFE_HEADER \
	"       key      shmid lifetime           ttl   expires_ms\n"
#define SHMIPC_ATTACHERS_HEADER \
	"     shmid        pid mode       nattch      atime\n"

struct shmipc_listing {
	struct shmipc_ns *ns;
	struct pid_namespace *pid_ns;
};

static struct proc_dir_entry *shmipc_proc_dir;

/* The first segment at index *@pos - 1 or above; *@pos past it. */
static void *shmipc_list_seek(struct shmipc_listing *l, loff_t *pos)
{
	unsigned long idx = *pos - 1;
	struct shmipc_seg *seg;

	if (*pos < 1 || idx > shmipc_idx_max())
		return NULL;
	seg = xa_find(&l->ns->ids, &idx, shmipc_idx_max(), XA_PRESENT);
	if (seg)
		*pos = idx + 1;
	return seg;
}

static void *shmipc_list_start(struct seq_file *m, loff_t *pos)
{
	struct shmipc_listing *l = m->private;

	mutex_lock(&l->ns->lock);
	return *pos ? shmipc_list_seek(l, pos) : SEQ_START_TOKEN;
}

static void *shmipc_list_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return shmipc_list_seek(m->private, pos);
}

static void shmipc_list_stop(struct seq_file *m, void *v)
{
	struct shmipc_listing *l = m->private;

	mutex_unlock(&l->ns->lock);
}

static int shmipc_list_show(struct seq_file *m, void *v)
{
	struct shmipc_listing *l = m->private;
	struct shmipc_ds ds = { 0 };
	u64 rss = 0, swp = 0;

	if (v == SEQ_START_TOKEN) {
		seq_puts(m, SHMIPC_LIST_HEADER);
		return 0;
	}
	shmipc_seg_fill_ds(v, &ds, seq_user_ns(m), l->pid_ns);
	shmipc_seg_usage(v, &rss, &swp);
	seq_printf(m, "%10d %10d  %4o %21llu %5u %5u  %5llu %5u %5u %5u %5u %10llu %10llu %10llu %21llu %21llu\n",
		   ds.perm.key, ((struct shmipc_seg *)v)->id, ds.perm.mode,
		   ds.segsz, (unsigned int)ds.cpid, (unsigned int)ds.lpid,
		   ds.nattch, ds.perm.uid, ds.perm.gid, ds.perm.cuid, ds.perm.cgid,
		   (u64)ds.atime, (u64)ds.dtime, (u64)ds.ctime,
		   rss << PAGE_SHIFT, swp << PAGE_SHIFT);
	return 0;
}

static const struct seq_operations shmipc_list_ops = {
	.start = shmipc_list_start,
	.next = shmipc_list_next,
	.stop = shmipc_list_stop,
	.show = shmipc_list_show,
};

/* ttl in seconds; expires_ms as IPC_STAT gives it, -1 when not counting. */
static int shmipc_life_show(struct seq_file *m, void *v)
{
	struct shmipc_listing *l = m->private;
	struct shmipc_ds ds = { 0 };

	if (v == SEQ_START_TOKEN) {
		seq_puts(m, SHMIPC_LIFE_HEADER);
		return 0;
	}
	shmipc_seg_fill_ds(v, &ds, seq_user_ns(m), l->pid_ns);
	seq_printf(m, "%10d %10d %-11s %10u %12lld\n", ds.perm.key,
		   ((struct shmipc_seg *)v)->id, shmipc_life_name(v), ds.ttl,
		   ds.expires_ms);
	return 0;
}

static const struct seq_operations shmipc_life_ops = {
	.start = shmipc_list_start,
	.next = shmipc_list_next,
	.stop = shmipc_list_stop,
	.show = shmipc_life_show,
};

/* Each attacher of the segment: pid, rw, ro or others, nattch, atime. */
static int shmipc_attachers_list_show(struct seq_file *m, void *v)
{
	struct shmipc_listing *l = m->private;

	if (v == SEQ_START_TOKEN)
		seq_puts(m, SHMIPC_ATTACHERS_HEADER);
	else
		shmipc_attachers_show(m, l->ns, v, l->pid_ns);
	return 0;
}

static const struct seq_operations shmipc_attachers_ops = {
	.start = shmipc_list_start,
	.next = shmipc_list_next,
	.stop = shmipc_list_stop,
	.show = shmipc_attachers_list_show,
};

static int shmipc_list_open(struct inode *inode, struct file *file)
{
	struct shmipc_listing *l;
	struct shmipc_ns *ns;

	ns = shmipc_ns_current();
	if (IS_ERR(ns))
		return PTR_ERR(ns);
	l = __seq_open_private(file, pde_data(inode), sizeof(*l));
	if (!l) {
		shmipc_ns_put(ns);
		return -ENOMEM;
	}
	l->ns = ns;
	l->pid_ns = get_pid_ns(task_active_pid_ns(current));
	return 0;
}

static int shmipc_list_release(struct inode *inode, struct file *file)
{
	struct shmipc_listing *l = ((struct seq_file *)file->private_data)->private;

	put_pid_ns(l->pid_ns);
	shmipc_ns_put(l->ns);
	return seq_release_private(inode, file);
}

static const struct proc_ops shmipc_list_proc_ops = {
	.proc_open = shmipc_list_open,
	.proc_read_iter = seq_read_iter,
	.proc_lseek = seq_lseek,
	.proc_release = shmipc_list_release,
};

int shmipc_listing_init(void)
{
	shmipc_proc_dir = proc_mkdir("shmipc", NULL);
	if (!shmipc_proc_dir)
		return -ENOMEM;
	if (!proc_create_data("shm", 0444, shmipc_proc_dir,
			      &shmipc_list_proc_ops, (void *)&shmipc_list_ops) ||
	    !proc_create_data("lifetime", 0444, shmipc_proc_dir,
			      &shmipc_list_proc_ops, (void *)&shmipc_life_ops) ||
	    !proc_create_data("attachers", 0444, shmipc_proc_dir,
			      &shmipc_list_proc_ops,
			      (void *)&shmipc_attachers_ops)) {
		proc_remove(shmipc_proc_dir);
		return -ENOMEM;
	}
	return 0;
}

void shmipc_listing_exit(void)
{
	proc_remove(shmipc_proc_dir);
}

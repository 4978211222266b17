// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc: watchers, pollable descriptors of segment events
 * (SHMIPC_IOC_WATCH).
 *
 * A watcher is an anonymous file with a ring of struct shmipc_event
 * records, on its namespace's list of watchers. Segment code calls
 * shmipc_notify() where something happens: it costs one read of a count
 * while nobody watches the namespace, and otherwise a walk of the list
 * under the namespace's watch_lock, a spinlock, so that it may be called
 * wherever segments change (under ns->lock, in a VMA's open or close,
 * from the lifetimes' work), but never under seg->lock. Each watcher
 * judges the event by its opener's credentials, kept from the open, as
 * IPC_STAT would judge the opener; the opener's CAP_IPC_OWNER is judged
 * once, at the open.
 *
 * A full ring drops records and counts them; the count goes to the
 * reader as one SHMIPC_EV_OVERFLOW record where they would have been:
 * pushed ahead of the next record that finds room, or read on its own
 * once the ring is empty. Readers take records under read_lock, a mutex,
 * so that a record whose copy to user space fails stays for the next
 * read, and two readers never get the same one.
 *
 * Rings are charged to the opener's memory cgroup and bounded by
 * watch_queue records; each user may have max_watchers open.
 */
#include <linux/anon_inodes.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ipc_namespace.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "internal.h"

struct shmipc_watcher {
	struct list_head node;		/* on ns->watchers */
	struct shmipc_ns *ns;		/* referenced */
	const struct cred *cred;	/* the opener's */
	bool owner_cap;			/* the opener's CAP_IPC_OWNER */
	struct pid_namespace *pid_ns;	/* the opener's, for pids */
	u32 scope, events;
	s32 key, id;

	struct mutex read_lock;		/* readers, one at a time */
	wait_queue_head_t wq;
	spinlock_t lock;		/* the ring and lost */
	u32 head, len, size;
	u64 lost;			/* dropped since the last record */
	struct shmipc_event ring[];
};

static unsigned int shmipc_watch_queue = 256;
static unsigned int shmipc_max_watchers = 128;

static int shmipc_watch_queue_set(const char *val,
				  const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 2, 65536);
}

static const struct kernel_param_ops shmipc_watch_queue_ops = {
	.set = shmipc_watch_queue_set,
	.get = param_get_uint,
};

module_param_cb(watch_queue, &shmipc_watch_queue_ops, &shmipc_watch_queue,
		0644);
MODULE_PARM_DESC(watch_queue,
		 "Event records a new watcher queues before it drops (2-65536)");

static int shmipc_max_watchers_set(const char *val,
				   const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, 65536);
}

static const struct kernel_param_ops shmipc_max_watchers_ops = {
	.set = shmipc_max_watchers_set,
	.get = param_get_uint,
};

module_param_cb(max_watchers, &shmipc_max_watchers_ops, &shmipc_max_watchers,
		0644);
MODULE_PARM_DESC(max_watchers, "Watchers each user may have open (0-65536)");

/* Watchers open per user: uid -> count, as an xarray value. */
static DEFINE_MUTEX(shmipc_watchers_lock);
static DEFINE_XARRAY(shmipc_watchers_per_uid);

static int shmipc_watcher_charge(kuid_t uid)
{
	unsigned long idx = __kuid_val(uid), n;
	int err = 0;

	mutex_lock(&shmipc_watchers_lock);
	n = xa_to_value(xa_load(&shmipc_watchers_per_uid, idx) ?:
			xa_mk_value(0));
	if (n >= READ_ONCE(shmipc_max_watchers))
		err = -EMFILE;
	else
		err = xa_err(xa_store(&shmipc_watchers_per_uid, idx,
				      xa_mk_value(n + 1), GFP_KERNEL_ACCOUNT));
	mutex_unlock(&shmipc_watchers_lock);
	return err;
}

static void shmipc_watcher_uncharge(kuid_t uid)
{
	unsigned long idx = __kuid_val(uid), n;

	mutex_lock(&shmipc_watchers_lock);
	n = xa_to_value(xa_load(&shmipc_watchers_per_uid, idx));
	if (n > 1)
		/* Replaces a present entry: allocates nothing. */
		xa_store(&shmipc_watchers_per_uid, idx, xa_mk_value(n - 1),
			 GFP_KERNEL);
	else
		xa_erase(&shmipc_watchers_per_uid, idx);
	mutex_unlock(&shmipc_watchers_lock);
}

/* @gid among @cred's groups, as groups_search() (not exported) finds it. */
static bool shmipc_cred_in_group(const struct cred *cred, kgid_t gid)
{
	const struct group_info *gi = cred->group_info;
	int lo = 0, hi = gi->ngroups;

	if (gid_eq(cred->egid, gid))
		return true;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (gid_gt(gid, gi->gid[mid]))
			lo = mid + 1;
		else if (gid_lt(gid, gi->gid[mid]))
			hi = mid;
		else
			return true;
	}
	return false;
}

/* Could the watcher's opener IPC_STAT @seg? shmipc_seg_may()'s rule. */
static bool shmipc_watcher_may(const struct shmipc_watcher *w,
			       const struct shmipc_seg *seg)
{
	const struct cred *c = w->cred;
	int granted = READ_ONCE(seg->mode);

	if (w->owner_cap)
		return true;
	if (uid_eq(c->euid, seg->cuid) || uid_eq(c->euid, seg->uid))
		granted >>= 6;
	else if (shmipc_cred_in_group(c, seg->cgid) ||
		 shmipc_cred_in_group(c, seg->gid))
		granted >>= 3;
	return granted & 04;
}

static bool shmipc_watcher_wants(const struct shmipc_watcher *w,
				 const struct shmipc_seg *seg, u32 type)
{
	if (!(w->events & (1U << type)))
		return false;
	if (w->scope == SHMIPC_WATCH_ID && seg->id != w->id)
		return false;
	if (w->scope == SHMIPC_WATCH_KEY && seg->ckey != w->key)
		return false;
	return shmipc_watcher_may(w, seg);
}

/* Appends @ev, or counts it lost. Called with w->lock held. */
static void shmipc_watcher_push(struct shmipc_watcher *w,
				const struct shmipc_event *ev)
{
	struct shmipc_event *slot;

	if (w->size - w->len < (w->lost ? 2 : 1)) {
		w->lost++;
		return;
	}
	if (w->lost) {
		slot = &w->ring[(w->head + w->len++) % w->size];
		*slot = (struct shmipc_event){
			.type = SHMIPC_EV_OVERFLOW,
			.count = w->lost,
			.time_ns = ev->time_ns,
		};
		w->lost = 0;
	}
	w->ring[(w->head + w->len++) % w->size] = *ev;
}

/*
 * Tells the watchers of @seg's namespace that @type happened to it: by
 * the process of @mm if given (or, where that has no pid, current: the
 * forking parent of a child not yet given one, a task exiting after its
 * mm lost its owner), else by current for the types a caller makes
 * happen, else by nobody. Never called with seg->lock held.
 */
void shmipc_notify(struct shmipc_seg *seg, u32 type, u32 flags, u64 count,
		   struct mm_struct *mm)
{
	struct shmipc_ns *ns = seg->ns;
	struct shmipc_event ev = {
		.type = type, .flags = flags, .id = seg->id, .key = seg->ckey,
		.count = count,
	};
	/*
	 * A kernel thread (the reaper of a dead namespace, a worker that
	 * drops an mm last) is nobody.
	 */
	bool user = !(current->flags & PF_KTHREAD);
	bool by_current = type == SHMIPC_EV_CREATED || type == SHMIPC_EV_SET ||
			  (type == SHMIPC_EV_REMOVED &&
			   !(flags & SHMIPC_EV_LIFETIME));
	struct shmipc_watcher *w;

	if (!READ_ONCE(ns->nr_watchers))
		return;
	ev.time_ns = ktime_get_real_ns();
	spin_lock(&ns->watch_lock);
	list_for_each_entry(w, &ns->watchers, node) {
		if (!shmipc_watcher_wants(w, seg, type))
			continue;
		if (mm)
			ev.pid = shmipc_mm_pid(mm, w->pid_ns);
		if (user && (mm ? !ev.pid : by_current))
			ev.pid = task_tgid_nr_ns(current, w->pid_ns);
		spin_lock(&w->lock);
		shmipc_watcher_push(w, &ev);
		spin_unlock(&w->lock);
		wake_up_interruptible_poll(&w->wq, EPOLLIN | EPOLLRDNORM);
	}
	spin_unlock(&ns->watch_lock);
}

/* The next record, without taking it; false if there is none. */
static bool shmipc_watcher_peek(struct shmipc_watcher *w,
				struct shmipc_event *ev, u64 *lost)
{
	bool any = true;

	spin_lock(&w->lock);
	*lost = 0;
	if (w->len) {
		*ev = w->ring[w->head];
	} else if (w->lost) {
		*lost = w->lost;
		*ev = (struct shmipc_event){
			.type = SHMIPC_EV_OVERFLOW,
			.count = w->lost,
			.time_ns = ktime_get_real_ns(),
		};
	} else {
		any = false;
	}
	spin_unlock(&w->lock);
	return any;
}

/* Takes the record peeked at: from the ring, or @lost of the count. */
static void shmipc_watcher_pop(struct shmipc_watcher *w, u64 lost)
{
	spin_lock(&w->lock);
	if (lost) {
		w->lost -= lost;
	} else {
		w->head = (w->head + 1) % w->size;
		w->len--;
	}
	spin_unlock(&w->lock);
}

static bool shmipc_watcher_ready(struct shmipc_watcher *w)
{
	bool ready;

	spin_lock(&w->lock);
	ready = w->len || w->lost;
	spin_unlock(&w->lock);
	return ready;
}

static ssize_t shmipc_watch_read(struct file *file, char __user *buf,
				 size_t count, loff_t *ppos)
{
	struct shmipc_watcher *w = file->private_data;
	struct shmipc_event ev;
	size_t done = 0;
	ssize_t err;
	u64 lost;

	if (count < sizeof(ev))
		return -EINVAL;
	if (mutex_lock_interruptible(&w->read_lock))
		return -ERESTARTSYS;
	while (done + sizeof(ev) <= count) {
		if (!shmipc_watcher_peek(w, &ev, &lost)) {
			if (done)
				break;
			if (file->f_flags & O_NONBLOCK) {
				err = -EAGAIN;
				goto out;
			}
			mutex_unlock(&w->read_lock);
			if (wait_event_interruptible(w->wq,
						     shmipc_watcher_ready(w)))
				return -ERESTARTSYS;
			if (mutex_lock_interruptible(&w->read_lock))
				return -ERESTARTSYS;
			continue;
		}
		if (copy_to_user(buf + done, &ev, sizeof(ev))) {
			if (!done) {
				err = -EFAULT;
				goto out;
			}
			break;
		}
		shmipc_watcher_pop(w, lost);
		done += sizeof(ev);
	}
	err = done;
out:
	mutex_unlock(&w->read_lock);
	return err;
}

static __poll_t shmipc_watch_poll(struct file *file, poll_table *pt)
{
	struct shmipc_watcher *w = file->private_data;

	poll_wait(file, &w->wq, pt);
	return shmipc_watcher_ready(w) ? EPOLLIN | EPOLLRDNORM : 0;
}

static void shmipc_watcher_free(struct shmipc_watcher *w)
{
	put_pid_ns(w->pid_ns);
	put_cred(w->cred);
	shmipc_ns_put(w->ns);
	kvfree(w);
}

/* Off its namespace's list, uncharged and freed. */
static void shmipc_watcher_end(struct shmipc_watcher *w)
{
	struct shmipc_ns *ns = w->ns;

	spin_lock(&ns->watch_lock);
	list_del(&w->node);
	WRITE_ONCE(ns->nr_watchers, ns->nr_watchers - 1);
	spin_unlock(&ns->watch_lock);
	shmipc_watcher_uncharge(w->cred->euid);
	shmipc_watcher_free(w);
}

static int shmipc_watch_release(struct inode *inode, struct file *file)
{
	shmipc_watcher_end(file->private_data);
	return 0;
}

static const struct file_operations shmipc_watch_fops = {
	.owner = THIS_MODULE,
	.read = shmipc_watch_read,
	.poll = shmipc_watch_poll,
	.release = shmipc_watch_release,
	.llseek = noop_llseek,
};

static int shmipc_watch_check(const struct shmipc_watch *args)
{
	if (args->pad || memchr_inv(args->reserved, 0, sizeof(args->reserved)) ||
	    (args->flags & ~SHMIPC_WATCH_FLAGS) ||
	    (args->events & ~SHMIPC_EV_ALL))
		return -EINVAL;
	switch (args->scope) {
	case SHMIPC_WATCH_NS:
		return args->key || args->id ? -EINVAL : 0;
	case SHMIPC_WATCH_KEY:
		return args->key == SHMIPC_IPC_PRIVATE || args->id ? -EINVAL : 0;
	case SHMIPC_WATCH_ID:
		return args->id < 0 || args->key ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

static struct shmipc_watcher *shmipc_watcher_alloc(struct shmipc_ns *ns,
						   const struct shmipc_watch *args)
{
	u32 size = READ_ONCE(shmipc_watch_queue);
	struct shmipc_watcher *w;

	w = kvzalloc(struct_size(w, ring, size), GFP_KERNEL_ACCOUNT);
	if (!w)
		return NULL;
	w->size = size;
	w->scope = args->scope;
	w->key = args->key;
	w->id = args->id;
	w->events = args->events ?: SHMIPC_EV_ALL;
	w->cred = get_current_cred();
	w->owner_cap = ns_capable(ns->ipc_ns->user_ns, CAP_IPC_OWNER);
	w->pid_ns = get_pid_ns(task_active_pid_ns(current));
	kref_get(&ns->ref);
	w->ns = ns;
	mutex_init(&w->read_lock);
	init_waitqueue_head(&w->wq);
	spin_lock_init(&w->lock);
	return w;
}

/* SHMIPC_IOC_WATCH: returns the new descriptor. */
long shmipc_ioctl_watch(struct file *dev, struct shmipc_watch __user *uarg)
{
	struct shmipc_watcher *w;
	struct shmipc_watch args;
	struct shmipc_ns *ns;
	int flags = O_RDONLY, fd;
	long err;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	err = shmipc_watch_check(&args);
	if (err)
		return err;
	if (args.flags & SHMIPC_WATCH_NONBLOCK)
		flags |= O_NONBLOCK;
	if (args.flags & SHMIPC_WATCH_CLOEXEC)
		flags |= O_CLOEXEC;
	err = shmipc_watcher_charge(current_euid());
	if (err)
		return err;
	ns = shmipc_ns_of_caller(dev);
	if (IS_ERR(ns)) {
		err = PTR_ERR(ns);
		goto uncharge;
	}
	w = shmipc_watcher_alloc(ns, &args);
	shmipc_ns_done(dev, ns);
	if (!w) {
		err = -ENOMEM;
		goto uncharge;
	}
	spin_lock(&w->ns->watch_lock);
	list_add_tail(&w->node, &w->ns->watchers);
	WRITE_ONCE(w->ns->nr_watchers, w->ns->nr_watchers + 1);
	spin_unlock(&w->ns->watch_lock);
	/* From here shmipc_watcher_end() undoes it all. */
	fd = anon_inode_getfd("[shmipc-watch]", &shmipc_watch_fops, w, flags);
	if (fd < 0)
		shmipc_watcher_end(w);
	return fd;
uncharge:
	shmipc_watcher_uncharge(current_euid());
	return err;
}

void shmipc_events_exit(void)
{
	xa_destroy(&shmipc_watchers_per_uid);
}

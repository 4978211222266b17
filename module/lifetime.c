// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc: lifetimes, how a segment goes when nobody removes it.
 *
 * A segment made with a lifetime other than persist carries a struct
 * shmipc_life, charged to its creator's memory cgroup. Each lifetime ends
 * in shmipc_seg_expire(), an IPC_RMID that happens only while nothing is
 * attached; when something is, the next time nattch falls to 0
 * (shmipc_life_idle()) asks again.
 *
 * last-detach needs nothing but that moment. ttl is a delayed work, armed
 * at creation and at each fall of nattch to 0, which holds a reference on
 * the segment while it is queued.
 *
 * creator needs to know when a process has gone, and the kernel tells
 * modules nothing of exits or execs. What it has is the struct pid's
 * wait_pidfd queue, which pidfd_poll() waits on: it is woken when a
 * thread group has exited, whatever ended it (exit, a fatal signal,
 * SIGKILL, the OOM killer), and add_wait_queue() is exported. Each
 * creating process is watched once, however many segments it made (a
 * struct shmipc_creator), by an entry on that queue whose wake-up queues
 * the scan below at once. An exec wakes nobody: the scan also runs every
 * SHMIPC_CREATOR_SCAN while any process is watched, and takes a process
 * whose self_exec_id has moved on since it made its segments for gone.
 * So an exit is seen as soon as the workqueue runs, an exec within
 * SHMIPC_CREATOR_SCAN.
 *
 * Locking: shmipc_creators_lock (a mutex) protects the table of watched
 * processes, their lists of segments and each life's creator pointer. It
 * is taken inside ns->lock, never the other way round: the scan lets it
 * go before it takes a segment's ns->lock. A segment leaves its creator's
 * list under both before its id table's reference is dropped, so the
 * scan may take a reference on any segment it finds on a list.
 */
#include <linux/hashtable.h>
#include <linux/jiffies.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "internal.h"

#define SHMIPC_CREATOR_SCAN	(HZ / 10)

/* A process that made segments with lifetime creator. */
struct shmipc_creator {
	struct hlist_node node;		/* in shmipc_creators while watched */
	struct list_head gone_node;	/* on the scan's list once gone */
	struct pid *pid;		/* its thread group */
	u64 exec_id;			/* the program it ran: self_exec_id */
	struct wait_queue_entry wait;	/* on pid->wait_pidfd while watched */
	struct list_head segs;		/* the lives of its segments */
};

struct shmipc_life {
	struct shmipc_seg *seg;
	u32 policy;			/* SHMIPC_LIFE_* */
	u32 ttl;			/* seconds */
	bool ended;			/* creator: gone; waits for nattch 0 */
	unsigned long expires;		/* ttl: jiffies, while nattch is 0 */
	struct delayed_work ttl_work;
	struct shmipc_creator *creator;	/* until it goes */
	struct list_head creator_node;	/* on creator->segs */
	struct shmipc_creator *spare;	/* made at create, if none watched */
};

static struct workqueue_struct *shmipc_life_wq;
static DEFINE_MUTEX(shmipc_creators_lock);
static DEFINE_HASHTABLE(shmipc_creators, 6);

static void shmipc_creator_scan_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(shmipc_creator_scan, shmipc_creator_scan_fn);

static const char *const shmipc_life_names[] = {
	[SHMIPC_LIFE_PERSIST] = "persist",
	[SHMIPC_LIFE_CREATOR] = "creator",
	[SHMIPC_LIFE_LAST_DETACH] = "last-detach",
	[SHMIPC_LIFE_TTL] = "ttl",
};

/* SHMIPC_IOC_GET's lifetime and ttl: -EINVAL unless they make sense. */
int shmipc_life_check(const struct shmipc_get *args)
{
	if (args->lifetime > SHMIPC_LIFE_MAX)
		return -EINVAL;
	if (args->lifetime == SHMIPC_LIFE_TTL)
		return args->ttl && args->ttl <= SHMIPC_TTL_MAX ? 0 : -EINVAL;
	return args->ttl ? -EINVAL : 0;
}

const char *shmipc_life_name(const struct shmipc_seg *seg)
{
	return shmipc_life_names[seg->life ? seg->life->policy :
					     SHMIPC_LIFE_PERSIST];
}

static void shmipc_ttl_fn(struct work_struct *work);

/*
 * The life of a segment being made, with everything it may need once it
 * is published, which cannot fail: a watch on its creator comes ready.
 */
int shmipc_life_alloc(struct shmipc_seg *seg, const struct shmipc_get *args)
{
	struct shmipc_life *life;

	if (args->lifetime == SHMIPC_LIFE_PERSIST)
		return 0;
	life = kzalloc(sizeof(*life), GFP_KERNEL_ACCOUNT);
	if (!life)
		return -ENOMEM;
	if (args->lifetime == SHMIPC_LIFE_CREATOR) {
		life->spare = kzalloc(sizeof(*life->spare), GFP_KERNEL_ACCOUNT);
		if (!life->spare) {
			kfree(life);
			return -ENOMEM;
		}
	}
	life->seg = seg;
	life->policy = args->lifetime;
	life->ttl = args->ttl;
	INIT_DELAYED_WORK(&life->ttl_work, shmipc_ttl_fn);
	INIT_LIST_HEAD(&life->creator_node);
	seg->life = life;
	return 0;
}

/* With the segment's memory: no work of its life is queued any more. */
void shmipc_life_free(struct shmipc_seg *seg)
{
	if (!seg->life)
		return;
	kfree(seg->life->spare);
	kfree(seg->life);
}

/* ttl: the countdown starts again from now. Called with ns->lock held. */
static void shmipc_ttl_arm(struct shmipc_seg *seg)
{
	struct shmipc_life *life = seg->life;
	unsigned long delay = (unsigned long)life->ttl * HZ;

	lockdep_assert_held(&seg->ns->lock);
	WRITE_ONCE(life->expires, jiffies + delay);
	/* A work newly queued holds the segment; a pending one already does. */
	if (!mod_delayed_work(shmipc_life_wq, &life->ttl_work, delay))
		shmipc_seg_hold(seg);
}

static void shmipc_ttl_fn(struct work_struct *work)
{
	struct shmipc_life *life = container_of(to_delayed_work(work),
						struct shmipc_life, ttl_work);
	struct shmipc_seg *seg = life->seg;
	struct shmipc_ns *ns = seg->ns;

	mutex_lock(&ns->lock);
	/* An attach and detach since moved the end, and queued us again. */
	if (time_after_eq(jiffies, READ_ONCE(life->expires)))
		shmipc_seg_expire(seg);
	mutex_unlock(&ns->lock);
	shmipc_seg_put(seg);
}

/*
 * Has the process gone: its thread group exited (as thread_group_exited(),
 * which 6.12 does not export), or it runs another program?
 */
static bool shmipc_creator_gone(const struct shmipc_creator *c)
{
	struct task_struct *task;
	bool gone;

	rcu_read_lock();
	task = pid_task(c->pid, PIDTYPE_PID);
	gone = !task ||
	       (READ_ONCE(task->exit_state) && thread_group_empty(task)) ||
	       READ_ONCE(task->self_exec_id) != c->exec_id;
	rcu_read_unlock();
	return gone;
}

/*
 * A wake-up of the creator's wait_pidfd: its thread group may have exited.
 * Called in the exiting task, with the queue's lock held and interrupts
 * off: the scan does the rest.
 */
static int shmipc_creator_wake(struct wait_queue_entry *wait,
			       unsigned int mode, int sync, void *key)
{
	mod_delayed_work(shmipc_life_wq, &shmipc_creator_scan, 0);
	return 0;
}

static struct shmipc_creator *shmipc_creator_find(struct pid *pid,
						  u64 exec_id)
{
	struct shmipc_creator *c;

	lockdep_assert_held(&shmipc_creators_lock);
	hash_for_each_possible(shmipc_creators, c, node, (unsigned long)pid)
		if (c->pid == pid && c->exec_id == exec_id)
			return c;
	return NULL;
}

/* Stops watching @c; the caller frees it. */
static void shmipc_creator_unwatch(struct shmipc_creator *c)
{
	lockdep_assert_held(&shmipc_creators_lock);
	hash_del(&c->node);
	/* Waits for a wake-up running on the entry to return. */
	remove_wait_queue(&c->pid->wait_pidfd, &c->wait);
}

static void shmipc_creator_free(struct shmipc_creator *c)
{
	put_pid(c->pid);
	kfree(c);
}

/*
 * The segment joins its creator, current, watched from now on if it was
 * not already. Called with ns->lock held.
 */
static void shmipc_creator_join(struct shmipc_life *life)
{
	struct pid *pid = task_tgid(current);
	u64 exec_id = READ_ONCE(current->self_exec_id);
	struct shmipc_creator *c;

	mutex_lock(&shmipc_creators_lock);
	c = shmipc_creator_find(pid, exec_id);
	if (!c) {
		c = life->spare;
		life->spare = NULL;
		c->pid = get_pid(pid);
		c->exec_id = exec_id;
		INIT_LIST_HEAD(&c->segs);
		init_waitqueue_func_entry(&c->wait, shmipc_creator_wake);
		add_wait_queue(&pid->wait_pidfd, &c->wait);
		hash_add(shmipc_creators, &c->node, (unsigned long)pid);
		queue_delayed_work(shmipc_life_wq, &shmipc_creator_scan,
				   SHMIPC_CREATOR_SCAN);
	}
	list_add(&life->creator_node, &c->segs);
	life->creator = c;
	mutex_unlock(&shmipc_creators_lock);
	kfree(life->spare);
	life->spare = NULL;
}

/*
 * The segment leaves its creator's list, and the creator is watched no
 * more once it has no segment left, unless the scan has it already.
 * Called with ns->lock held.
 */
static void shmipc_creator_leave(struct shmipc_life *life)
{
	struct shmipc_creator *c;

	mutex_lock(&shmipc_creators_lock);
	c = life->creator;
	if (c) {
		list_del_init(&life->creator_node);
		life->creator = NULL;
		if (list_empty(&c->segs) && !hlist_unhashed(&c->node)) {
			shmipc_creator_unwatch(c);
			shmipc_creator_free(c);
		}
	}
	mutex_unlock(&shmipc_creators_lock);
}

/* @c has gone: each of its segments ends, now or at its last detach. */
static void shmipc_creator_end(struct shmipc_creator *c)
{
	struct shmipc_life *life;
	struct shmipc_seg *seg;

	mutex_lock(&shmipc_creators_lock);
	while ((life = list_first_entry_or_null(&c->segs, struct shmipc_life,
						creator_node))) {
		list_del_init(&life->creator_node);
		life->creator = NULL;
		seg = shmipc_seg_hold(life->seg);
		mutex_unlock(&shmipc_creators_lock);

		mutex_lock(&seg->ns->lock);
		life->ended = true;
		shmipc_seg_expire(seg);
		mutex_unlock(&seg->ns->lock);
		shmipc_seg_put(seg);

		mutex_lock(&shmipc_creators_lock);
	}
	mutex_unlock(&shmipc_creators_lock);
	shmipc_creator_free(c);
}

static void shmipc_creator_scan_fn(struct work_struct *work)
{
	struct shmipc_creator *c, *tmp;
	struct hlist_node *next;
	LIST_HEAD(gone);
	int bkt;

	mutex_lock(&shmipc_creators_lock);
	hash_for_each_safe(shmipc_creators, bkt, next, c, node) {
		if (!shmipc_creator_gone(c))
			continue;
		shmipc_creator_unwatch(c);
		list_add(&c->gone_node, &gone);
	}
	mutex_unlock(&shmipc_creators_lock);

	list_for_each_entry_safe(c, tmp, &gone, gone_node)
		shmipc_creator_end(c);

	mutex_lock(&shmipc_creators_lock);
	if (!hash_empty(shmipc_creators))
		queue_delayed_work(shmipc_life_wq, &shmipc_creator_scan,
				   SHMIPC_CREATOR_SCAN);
	mutex_unlock(&shmipc_creators_lock);
}

/* The segment is published: its lifetime starts. Called with ns->lock held. */
void shmipc_life_start(struct shmipc_seg *seg)
{
	if (!seg->life)
		return;
	if (seg->life->policy == SHMIPC_LIFE_TTL)
		shmipc_ttl_arm(seg);
	else if (seg->life->policy == SHMIPC_LIFE_CREATOR)
		shmipc_creator_join(seg->life);
}

/* nattch fell to 0, and nothing removed the segment. Called with ns->lock held. */
void shmipc_life_idle(struct shmipc_seg *seg)
{
	struct shmipc_life *life = seg->life;

	switch (life->policy) {
	case SHMIPC_LIFE_CREATOR:
		if (life->ended)
			shmipc_seg_expire(seg);
		break;
	case SHMIPC_LIFE_LAST_DETACH:
		if (READ_ONCE(seg->attached))
			shmipc_seg_expire(seg);
		break;
	case SHMIPC_LIFE_TTL:
		shmipc_ttl_arm(seg);
		break;
	}
}

/*
 * The segment is destroyed: nothing of its life may act on it any more.
 * Called with ns->lock held and the id table's reference still on it.
 */
void shmipc_life_stop(struct shmipc_seg *seg)
{
	struct shmipc_life *life = seg->life;

	if (!life)
		return;
	if (life->policy == SHMIPC_LIFE_CREATOR)
		shmipc_creator_leave(life);
	/* A work that runs already finds the segment destroyed. */
	if (cancel_delayed_work(&life->ttl_work))
		shmipc_seg_put(seg);
}

/* IPC_STAT's view of the lifetime; ds->nattch is filled. */
void shmipc_life_fill_ds(struct shmipc_seg *seg, struct shmipc_ds *ds)
{
	struct shmipc_life *life = seg->life;
	long left;

	ds->expires_ms = -1;
	if (!life)
		return;
	ds->lifetime = life->policy;
	ds->ttl = life->ttl;
	if (life->ended) {
		ds->expires_ms = 0;
	} else if (life->policy == SHMIPC_LIFE_TTL && !ds->nattch &&
		   !(seg->mode & SHMIPC_SHM_DEST)) {
		left = (long)(READ_ONCE(life->expires) - jiffies);
		ds->expires_ms = left > 0 ? jiffies_to_msecs(left) : 0;
	}
}

int shmipc_life_init(void)
{
	/* Not bound to a CPU: nothing here is per CPU. */
	shmipc_life_wq = alloc_workqueue("shmipc_life", WQ_UNBOUND, 0);
	return shmipc_life_wq ? 0 : -ENOMEM;
}

/* Every segment is destroyed: no process is watched, no work queued. */
void shmipc_life_exit(void)
{
	cancel_delayed_work_sync(&shmipc_creator_scan);
	destroy_workqueue(shmipc_life_wq);
}

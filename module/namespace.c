// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc: one view per IPC namespace.
 *
 * Keys, ids and segments belong to the IPC namespace of the caller, as SysV
 * segments do. The kernel tells modules nothing when a namespace dies, so
 * shmipc keeps a reference on every namespace that used it and a reaper
 * looks, once a second, for namespaces in which that reference is the only
 * one left: no task, nsfs file or mount can reach such a namespace again.
 * Its segments are then removed as IPC_RMID would (the attached ones at
 * their last detach) and the reference is dropped, which frees it. The
 * initial namespace never dies: while it is the only one, the reaper
 * sleeps.
 */
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/nsproxy.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "internal.h"

#define SHMIPC_REAP_INTERVAL	HZ

static LIST_HEAD(shmipc_namespaces);
static unsigned int shmipc_nr_mortal;	/* on the list, initial one aside */
static DEFINE_MUTEX(shmipc_namespaces_lock);

static void shmipc_reap_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(shmipc_reap_work, shmipc_reap_fn);

/* init_ipc_ns itself is not exported everywhere; init_task's view of it is. */
static bool shmipc_ns_mortal(const struct shmipc_ns *ns)
{
	return ns->ipc_ns != init_task.nsproxy->ipc_ns;
}

static void shmipc_ns_release(struct kref *ref)
{
	struct shmipc_ns *ns = container_of(ref, struct shmipc_ns, ref);

	WARN_ON_ONCE(ns->nr_segs || ns->nr_watchers);
	xa_destroy(&ns->ids);
	rhashtable_destroy(&ns->keys);
	mutex_destroy(&ns->lock);
	kfree(ns);
}

void shmipc_ns_put(struct shmipc_ns *ns)
{
	kref_put(&ns->ref, shmipc_ns_release);
}

static struct shmipc_ns *shmipc_ns_alloc(struct ipc_namespace *ipc_ns)
{
	struct shmipc_ns *ns;

	ns = kzalloc(sizeof(*ns), GFP_KERNEL);
	if (!ns)
		return NULL;
	if (rhashtable_init(&ns->keys, &shmipc_key_params)) {
		kfree(ns);
		return NULL;
	}
	kref_init(&ns->ref);
	INIT_LIST_HEAD(&ns->node);
	mutex_init(&ns->lock);
	xa_init_flags(&ns->ids, XA_FLAGS_ALLOC);
	spin_lock_init(&ns->watch_lock);
	INIT_LIST_HEAD(&ns->watchers);
	ns->last_idx = -1;
	ns->max_idx = -1;
	ns->ipc_ns = get_ipc_ns(ipc_ns);
	return ns;
}

/*
 * The caller's namespace, referenced. Callers are live tasks, whose nsproxy
 * holds their IPC namespace, so it cannot die under us.
 */
struct shmipc_ns *shmipc_ns_current(void)
{
	struct ipc_namespace *ipc_ns = current->nsproxy->ipc_ns;
	struct shmipc_ns *ns;

	mutex_lock(&shmipc_namespaces_lock);
	list_for_each_entry(ns, &shmipc_namespaces, node) {
		if (ns->ipc_ns == ipc_ns) {
			kref_get(&ns->ref);
			goto out;
		}
	}
	ns = shmipc_ns_alloc(ipc_ns);
	if (!ns) {
		ns = ERR_PTR(-ENOMEM);
		goto out;
	}
	/* The list's reference, and the caller's. */
	kref_get(&ns->ref);
	list_add(&ns->node, &shmipc_namespaces);
	if (shmipc_ns_mortal(ns) && !shmipc_nr_mortal++)
		schedule_delayed_work(&shmipc_reap_work, SHMIPC_REAP_INTERVAL);
out:
	mutex_unlock(&shmipc_namespaces_lock);
	return ns;
}

static bool shmipc_ns_alive(struct shmipc_ns *ns)
{
	/* Pairs with the release in shmipc_ns_collect(). */
	return !smp_load_acquire(&ns->dead);
}

/*
 * The namespace for an operation on @file, until shmipc_ns_done(): the one
 * the file was opened in when the caller is still there (no list walk),
 * lent on the file's own reference, which the file holds for as long as
 * the call runs; else the caller's own, referenced. A dead namespace's
 * address may belong to a new namespace by now, so a cached entry is
 * trusted only while it is alive.
 */
struct shmipc_ns *shmipc_ns_of_caller(struct file *file)
{
	struct shmipc_ns *ns = file->private_data;

	if (ns && ns->ipc_ns == current->nsproxy->ipc_ns && shmipc_ns_alive(ns))
		return ns;
	return shmipc_ns_current();
}

/* The end of an operation on @file in @ns, from shmipc_ns_of_caller(). */
void shmipc_ns_done(struct file *file, struct shmipc_ns *ns)
{
	if (ns != file->private_data)
		shmipc_ns_put(ns);
}

/* Takes namespaces nobody else can reach off the list onto @dead. */
static void shmipc_ns_collect(struct list_head *dead, bool all)
{
	struct shmipc_ns *ns, *tmp;

	mutex_lock(&shmipc_namespaces_lock);
	list_for_each_entry_safe(ns, tmp, &shmipc_namespaces, node) {
		if (!all && (!shmipc_ns_mortal(ns) ||
			     shmipc_ipc_ns_in_use(ns->ipc_ns)))
			continue;
		/* Published before the namespace can be freed and reused. */
		smp_store_release(&ns->dead, true);
		list_move(&ns->node, dead);
		if (shmipc_ns_mortal(ns))
			shmipc_nr_mortal--;
	}
	mutex_unlock(&shmipc_namespaces_lock);
}

static void shmipc_ns_bury(struct list_head *dead)
{
	struct shmipc_ns *ns, *tmp;

	list_for_each_entry_safe(ns, tmp, dead, node) {
		list_del_init(&ns->node);
		shmipc_ns_clear(ns);
		shmipc_put_ipc_ns(ns->ipc_ns);
		shmipc_ns_put(ns);
	}
}

static void shmipc_reap_fn(struct work_struct *work)
{
	LIST_HEAD(dead);

	shmipc_ns_collect(&dead, false);
	shmipc_ns_bury(&dead);

	mutex_lock(&shmipc_namespaces_lock);
	if (shmipc_nr_mortal)
		schedule_delayed_work(&shmipc_reap_work, SHMIPC_REAP_INTERVAL);
	mutex_unlock(&shmipc_namespaces_lock);
}

/*
 * Module unload: no device file and no attachment file is open (each
 * holds a module reference), so every segment goes now.
 */
void shmipc_ns_exit(void)
{
	LIST_HEAD(dead);

	cancel_delayed_work_sync(&shmipc_reap_work);
	shmipc_ns_collect(&dead, true);
	shmipc_ns_bury(&dead);
}

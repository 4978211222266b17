// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc: the limits of a namespace.
 *
 * They are the kernel's own settings for SysV shm in the caller's IPC
 * namespace (kernel.shmmax, kernel.shmall, kernel.shmmni,
 * kernel.shm_rmid_forced and kernel.shm_next_id), which administrators,
 * container runtimes and checkpoint/restore tools set
 * for each container: shmipc reads them where the kernel keeps them, at
 * each use, so a change applies at once as it does for SysV. The module's
 * parameters are machine-wide caps on top, unlimited by default.
 */
#include <linux/ipc_namespace.h>
#include <linux/moduleparam.h>
#include <linux/nsproxy.h>
#include <linux/radix-tree.h>
#include <linux/sched/task.h>

#include "compat.h"
#include "internal.h"

/*
 * The id layout and the bound on kernel.shmmni are the kernel's: SysV ids
 * have 15 bits of index and kernel.shmmni goes up to 32768, or 24 bits and
 * 1 << 24 on a kernel booted with ipcmni_extend, whose index cycle is then
 * at least 4096 long (ipc/util.h). A module cannot read that boot
 * parameter, but each IPC namespace's sysctl table states its value: the
 * bound it puts on kernel.shmmni. Read once, at load, from the initial
 * namespace's, since ids made since must keep their layout.
 */
unsigned int shmipc_idx_bits __read_mostly = 15;

void __init shmipc_ids_init(void)
{
	struct ipc_namespace *ipc_ns = init_task.nsproxy->ipc_ns;

	if (shmipc_ipc_sysctl_max(ipc_ns, &ipc_ns->shm_ctlmni) ==
	    1 << SHMIPC_IDX_BITS_MAX)
		shmipc_idx_bits = SHMIPC_IDX_BITS_MAX;
}

/* The largest sequence number an id can carry. */
u32 shmipc_seq_max(void)
{
	return INT_MAX >> shmipc_idx_bits;
}

/* The shortest cycle of indices (shmipc_ns_cycle()), as ipc/util.h's. */
unsigned int shmipc_min_cycle(void)
{
	if (shmipc_idx_bits == SHMIPC_IDX_BITS_MAX)
		return RADIX_TREE_MAP_SIZE * RADIX_TREE_MAP_SIZE;
	return RADIX_TREE_MAP_SIZE;
}

/* The ipcmni parameter shows the layout; it is the kernel's to choose. */
static int shmipc_set_ipcmni(const char *val, const struct kernel_param *kp)
{
	return -EPERM;
}

static int shmipc_get_ipcmni(char *buffer, const struct kernel_param *kp)
{
	return scnprintf(buffer, PAGE_SIZE, "%u\n", shmipc_idx_max() + 1);
}

static const struct kernel_param_ops shmipc_ipcmni_ops = {
	.set = shmipc_set_ipcmni,
	.get = shmipc_get_ipcmni,
};

module_param_cb(ipcmni, &shmipc_ipcmni_ops, NULL, 0444);
__MODULE_PARM_TYPE(ipcmni, "uint");
MODULE_PARM_DESC(ipcmni, "Index space of ids, as the kernel's: 32768, or 16777216 with ipcmni_extend (read-only)");

static unsigned long shmipc_shmmax_cap = ULONG_MAX;
module_param_named(shmmax, shmipc_shmmax_cap, ulong, 0644);
MODULE_PARM_DESC(shmmax, "Cap on kernel.shmmax of every namespace, in bytes");

static unsigned long shmipc_shmall_cap = ULONG_MAX;
module_param_named(shmall, shmipc_shmall_cap, ulong, 0644);
MODULE_PARM_DESC(shmall, "Cap on kernel.shmall of every namespace, in pages");

/* At most as many segments as the largest index space has indices. */
static int shmipc_set_shmmni(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, 1U << SHMIPC_IDX_BITS_MAX);
}

static const struct kernel_param_ops shmipc_shmmni_ops = {
	.set = shmipc_set_shmmni,
	.get = param_get_uint,
};

static unsigned int shmipc_shmmni_cap = 1U << SHMIPC_IDX_BITS_MAX;
module_param_cb(shmmni, &shmipc_shmmni_ops, &shmipc_shmmni_cap, 0644);
__MODULE_PARM_TYPE(shmmni, "uint");
MODULE_PARM_DESC(shmmni, "Cap on kernel.shmmni of every namespace, in segments, 1 to 16777216");

/*
 * The callers below run on behalf of a task of @ns's namespace, whose
 * nsproxy holds it, or under ns->lock (shmipc_ns_rmid_forced()).
 */
unsigned long shmipc_ns_shmmax(const struct shmipc_ns *ns)
{
	return min_t(unsigned long, READ_ONCE(ns->ipc_ns->shm_ctlmax),
		     READ_ONCE(shmipc_shmmax_cap));
}

unsigned long shmipc_ns_shmall(const struct shmipc_ns *ns)
{
	return min_t(unsigned long, READ_ONCE(ns->ipc_ns->shm_ctlall),
		     READ_ONCE(shmipc_shmall_cap));
}

/* As ipc_addid(): never more than the index space holds. */
unsigned int shmipc_ns_shmmni(const struct shmipc_ns *ns)
{
	int mni = READ_ONCE(ns->ipc_ns->shm_ctlmni);

	return min3(mni > 0 ? (unsigned int)mni : 0,
		    READ_ONCE(shmipc_shmmni_cap), shmipc_idx_max() + 1);
}

/*
 * kernel.shm_rmid_forced: a segment goes at its last detach, removed or
 * not. Its other half, removing at exit the segments a task made and never
 * attached, needs a hook on task exit that modules do not have (README).
 *
 * A dead namespace's ipc_namespace may be freed, but only after
 * shmipc_ns_clear() has taken ns->lock, so under that lock, a namespace
 * not yet seen dead still has it.
 */
bool shmipc_ns_rmid_forced(const struct shmipc_ns *ns)
{
	lockdep_assert_held(&ns->lock);
	return !READ_ONCE(ns->dead) && READ_ONCE(ns->ipc_ns->shm_rmid_forced);
}

/*
 * kernel.shm_next_id: the id the next segment of the namespace is to get,
 * set by checkpoint/restore tools before they make it again; -1 when unset.
 * It is one-shot: whichever create comes next, SysV's or shmipc's, takes it
 * and sets it back to -1, under the lock the kernel keeps it with. That is
 * the rwsem of the namespace's SysV shm ids, the third of ipc_ns->ids[]
 * (IPC_SHM_IDS, private to ipc/util.h).
 */
#define SHMIPC_SYSV_SHM_IDS	2

int shmipc_ns_take_next_id(struct shmipc_ns *ns)
{
#ifdef CONFIG_CHECKPOINT_RESTORE
	struct ipc_ids *ids = &ns->ipc_ns->ids[SHMIPC_SYSV_SHM_IDS];
	int id;

	if (READ_ONCE(ids->next_id) < 0)
		return -1;		/* the usual case: no lock taken */
	down_write(&ids->rwsem);
	id = ids->next_id;
	ids->next_id = -1;
	up_write(&ids->rwsem);
	return id;
#else
	return -1;
#endif
}

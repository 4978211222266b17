// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libshmipc: shmipc_ctl(), as shmctl().
 *
 * The module speaks fixed-layout structs (struct shmipc_ds, struct
 * shmipc_info); callers hold libc's struct shmid_ds, struct shminfo and
 * struct shm_info, whose layout depends on the architecture and on
 * _TIME_BITS. This file converts between them, field by field.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "internal.h"

_Static_assert(IPC_RMID == SHMIPC_IPC_RMID, "IPC_RMID differs from the ABI");
_Static_assert(IPC_SET == SHMIPC_IPC_SET, "IPC_SET differs from the ABI");
_Static_assert(IPC_STAT == SHMIPC_IPC_STAT, "IPC_STAT differs from the ABI");
_Static_assert(IPC_INFO == SHMIPC_IPC_INFO, "IPC_INFO differs from the ABI");
_Static_assert(SHM_LOCK == SHMIPC_SHM_LOCK, "SHM_LOCK differs from the ABI");
_Static_assert(SHM_UNLOCK == SHMIPC_SHM_UNLOCK, "SHM_UNLOCK differs from the ABI");
_Static_assert(SHM_STAT == SHMIPC_SHM_STAT, "SHM_STAT differs from the ABI");
_Static_assert(SHM_INFO == SHMIPC_SHM_INFO, "SHM_INFO differs from the ABI");
_Static_assert(SHM_STAT_ANY == SHMIPC_SHM_STAT_ANY, "SHM_STAT_ANY differs from the ABI");
_Static_assert(SHM_DEST == SHMIPC_SHM_DEST, "SHM_DEST differs from the ABI");
_Static_assert(SHM_LOCKED == SHMIPC_SHM_LOCKED, "SHM_LOCKED differs from the ABI");

static void ds_from_shmid_ds(struct shmipc_ds *ds, const struct shmid_ds *buf)
{
	ds->perm.key = buf->shm_perm.__key;
	ds->perm.uid = buf->shm_perm.uid;
	ds->perm.gid = buf->shm_perm.gid;
	ds->perm.cuid = buf->shm_perm.cuid;
	ds->perm.cgid = buf->shm_perm.cgid;
	ds->perm.mode = buf->shm_perm.mode;
	ds->perm.seq = buf->shm_perm.__seq;
	ds->segsz = buf->shm_segsz;
	ds->atime = buf->shm_atime;
	ds->dtime = buf->shm_dtime;
	ds->ctime = buf->shm_ctime;
	ds->cpid = buf->shm_cpid;
	ds->lpid = buf->shm_lpid;
	ds->nattch = buf->shm_nattch;
}

static void shmid_ds_from_ds(struct shmid_ds *buf, const struct shmipc_ds *ds)
{
	/* Zero libc's reserved and padding fields, as the kernel does. */
	memset(buf, 0, sizeof(*buf));
	buf->shm_perm.__key = ds->perm.key;
	buf->shm_perm.uid = ds->perm.uid;
	buf->shm_perm.gid = ds->perm.gid;
	buf->shm_perm.cuid = ds->perm.cuid;
	buf->shm_perm.cgid = ds->perm.cgid;
	buf->shm_perm.mode = ds->perm.mode;
	buf->shm_perm.__seq = ds->perm.seq;
	buf->shm_segsz = ds->segsz;
	buf->shm_atime = ds->atime;
	buf->shm_dtime = ds->dtime;
	buf->shm_ctime = ds->ctime;
	buf->shm_cpid = ds->cpid;
	buf->shm_lpid = ds->lpid;
	buf->shm_nattch = ds->nattch;
}

static void shminfo_from_info(struct shminfo *out, const struct shmipc_info *info)
{
	memset(out, 0, sizeof(*out));
	/* As the kernel's compat shmctl(): a 32-bit caller sees at most INT_MAX. */
	if (sizeof(out->shmmax) < sizeof(info->shmmax) && info->shmmax > INT_MAX)
		out->shmmax = INT_MAX;
	else
		out->shmmax = info->shmmax;
	out->shmmin = info->shmmin;
	out->shmmni = info->shmmni;
	out->shmseg = info->shmseg;
	out->shmall = info->shmall;
}

static void shm_info_from_info(struct shm_info *out, const struct shmipc_info *info)
{
	memset(out, 0, sizeof(*out));
	out->used_ids = info->used_ids;
	out->shm_tot = info->shm_tot;
	out->shm_rss = info->shm_rss;
	out->shm_swp = info->shm_swp;
}

/*
 * The commands that copy out: ask the module first, so that a bad id or a
 * missing permission is reported before a NULL buf, in the kernel's order
 * (it checks the segment, then copies to user memory).
 */
static int ctl_copy_out(struct shmipc_ctl *ctl, struct shmid_ds *buf)
{
	union {
		struct shmid_ds ds;
		struct shminfo info;
		struct shm_info shm_info;
	} out;
	int ret = libshmipc_ioctl(SHMIPC_IOC_CTL, ctl);
	size_t len;

	if (ret < 0)
		return -1;
	if (!buf) {
		errno = EFAULT;
		return -1;
	}

	/* Built here, then copied as the kernel copies: EFAULT, not SIGSEGV. */
	switch (ctl->cmd) {
	case IPC_INFO:
		/* shmctl(2): for IPC_INFO, buf really points to a struct shminfo. */
		shminfo_from_info(&out.info, &ctl->u.info);
		len = sizeof(out.info);
		break;
	case SHM_INFO:
		shm_info_from_info(&out.shm_info, &ctl->u.info);
		len = sizeof(out.shm_info);
		break;
	case IPC_STAT:
		ret = 0;
		/* fall through */
	default:	/* SHM_STAT, SHM_STAT_ANY: the result is the segment's id */
		shmid_ds_from_ds(&out.ds, &ctl->u.ds);
		len = sizeof(out.ds);
		break;
	}
	return libshmipc_copy_out(buf, &out, len) ? -1 : ret;
}

int shmipc_ctl(int shmid, int cmd, struct shmid_ds *buf)
{
	struct shmid_ds in;
	struct shmipc_ctl ctl = {
		.id = shmid,
		.cmd = (__u32)cmd,
	};

	switch (cmd) {
	case IPC_STAT:
	case IPC_INFO:
	case SHM_INFO:
	case SHM_STAT:
	case SHM_STAT_ANY:
		return ctl_copy_out(&ctl, buf);
	case IPC_SET:
		/*
		 * The kernel refuses a negative id, then reads buf before it
		 * looks the segment up: EFAULT comes before the rest.
		 */
		if (libshmipc_device_fd() < 0)
			return -1;
		if (shmid < 0) {
			errno = EINVAL;
			return -1;
		}
		if (!buf || libshmipc_copy_in(&in, buf, sizeof(in)))
			goto efault;
		ds_from_shmid_ds(&ctl.u.ds, &in);
		return libshmipc_ioctl(SHMIPC_IOC_CTL, &ctl) < 0 ? -1 : 0;
	case IPC_RMID:
	case SHM_LOCK:
	case SHM_UNLOCK:
		/* buf is ignored, as shmctl() ignores it. */
		return libshmipc_ioctl(SHMIPC_IOC_CTL, &ctl) < 0 ? -1 : 0;
	default:
		/* Commands unknown here: the module decides (EINVAL). */
		return libshmipc_ioctl(SHMIPC_IOC_CTL, &ctl);
	}
efault:
	errno = EFAULT;
	return -1;
}

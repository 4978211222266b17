// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What shmipc_get/at/dt/ctl send to the module and how they read its
 * answers: flag masks, field-by-field conversion of the structs, reserved
 * fields left zero, NULL buffers, errno. Runs against the fake device
 * (fake-device.h); the module's own behaviour is tested in the VM.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* The public header, the ABI (-I uapi), and libshmipc_lifetime_parse(). */
#include "../src/internal.h"

#include "fake-device.h"
#include "harness.h"

static const struct shmipc_get *last_get = (void *)fake_last_arg;
static const struct shmipc_at *last_at = (void *)fake_last_arg;
static const struct shmipc_dt *last_dt = (void *)fake_last_arg;
static const struct shmipc_ctl *last_ctl = (void *)fake_last_arg;
static const struct shmipc_watch *last_watch = (void *)fake_last_arg;

static bool all_zero(const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/* The module's answers. */

static int answer_error;	/* nonzero: fail every ioctl with it */
static long long answer_ret;	/* the ioctl's return value */

static int module(unsigned long request, void *arg)
{
	if (answer_error)
		return -answer_error;

	switch (request) {
	case SHMIPC_IOC_GET:
		return 4242;	/* the id is the ioctl's result */
	case SHMIPC_IOC_WATCH:
		return 77;	/* so is the watcher's descriptor */
	case SHMIPC_IOC_ATTACHERS: {
		/* Three entries: a reader, a writer, the others. */
		static const struct shmipc_attacher three[] = {
			{ .pid = 301, .flags = SHMIPC_ATTACHER_RDONLY, .nattch = 2, .atime = 1700000301 },
			{ .pid = 302, .nattch = 1, .atime = 1700000302 },
			{ .flags = SHMIPC_ATTACHER_OTHERS, .nattch = 7 },
		};
		struct shmipc_attachers *a = arg;

		memcpy((void *)(uintptr_t)a->buf, three,
		       (a->count < 3 ? a->count : 3) * sizeof(three[0]));
		a->count = 3;
		a->nattch = 10;
		break;
	}
	case SHMIPC_IOC_AT:
		((struct shmipc_at *)arg)->addr = 0x7f1234560000ull;
		((struct shmipc_at *)arg)->size = 8192;
		break;
	case SHMIPC_IOC_CTL: {
		struct shmipc_ctl *ctl = arg;

		/* Every field distinct, so that a swap shows. */
		ctl->u.ds.perm.key = 0x10001;
		ctl->u.ds.perm.uid = 1002;
		ctl->u.ds.perm.gid = 1003;
		ctl->u.ds.perm.cuid = 1004;
		ctl->u.ds.perm.cgid = 1005;
		ctl->u.ds.perm.mode = SHM_DEST | 0640;
		ctl->u.ds.perm.seq = 7;
		ctl->u.ds.segsz = 1000008;
		ctl->u.ds.atime = 1700000009;
		ctl->u.ds.dtime = 1700000010;
		ctl->u.ds.ctime = 1700000011;
		ctl->u.ds.cpid = 1012;
		ctl->u.ds.lpid = 1013;
		ctl->u.ds.nattch = 14;
		ctl->u.ds.lifetime = SHMIPC_LIFE_TTL;
		ctl->u.ds.ttl = 15;
		ctl->u.ds.expires_ms = 16000;
		if (ctl->cmd == IPC_INFO || ctl->cmd == SHM_INFO) {
			memset(&ctl->u.info, 0, sizeof(ctl->u.info));
			ctl->u.info.shmmax = 2001;
			ctl->u.info.shmmin = 2002;
			ctl->u.info.shmmni = 2003;
			ctl->u.info.shmseg = 2004;
			ctl->u.info.shmall = 2005;
			ctl->u.info.used_ids = 2006;
			ctl->u.info.shm_tot = 2007;
			ctl->u.info.shm_rss = 2008;
			ctl->u.info.shm_swp = 2009;
		}
		break;
	}
	}
	return (int)answer_ret;
}

static void setup(void)
{
	fake_ioctl = module;
}

/* shmipc_get */

static int get_passes_key_size_and_flags(void)
{
	setup();
	CHECK(shmipc_get(0x5eed, 8192, IPC_CREAT | IPC_EXCL | 0640) == 4242);
	CHECK(fake_last_request == SHMIPC_IOC_GET);
	CHECK(last_get->key == 0x5eed);
	CHECK(last_get->size == 8192);
	CHECK(last_get->flags == (IPC_CREAT | IPC_EXCL | 0640));
	CHECK(all_zero(last_get->reserved, sizeof(last_get->reserved)));
	return 0;
}

static int get_passes_negative_key_and_huge_size(void)
{
	setup();
	CHECK(shmipc_get(-5, SIZE_MAX, 0) == 4242);
	CHECK(last_get->key == -5);
	CHECK(last_get->size == (uint64_t)SIZE_MAX);
	return 0;
}

static int get_drops_flags_shmget_ignores(void)
{
	const int huge_2mb = 21 << 26;	/* SHM_HUGE_2MB, meaningless without SHM_HUGETLB */

	setup();
	CHECK(shmipc_get(1, 1, INT_MIN | huge_2mb | 0400000 | IPC_CREAT | 0600) == 4242);
	CHECK(last_get->flags == (IPC_CREAT | 0600));
	return 0;
}

static int get_keeps_hugetlb_and_noreserve_for_the_module(void)
{
	setup();
	CHECK(shmipc_get(1, 1, SHM_HUGETLB | SHM_NORESERVE) == 4242);
	CHECK(last_get->flags == (SHM_HUGETLB | SHM_NORESERVE));
	/* With SHM_HUGETLB, the size bits are the page size. */
	CHECK(shmipc_get(1, 1, SHM_HUGETLB | (30 << 26) | 0600) == 4242);
	CHECK(last_get->flags == (SHM_HUGETLB | (30U << 26) | 0600));
	return 0;
}

static int get_reports_module_errno(void)
{
	setup();
	answer_error = EEXIST;
	CHECK_FAILS(shmipc_get(1, 1, IPC_CREAT | IPC_EXCL), -1, EEXIST);
	answer_error = ENOSPC;
	CHECK_FAILS(shmipc_get(1, 1, IPC_CREAT), -1, ENOSPC);
	return 0;
}

/* shmipc_at, shmipc_dt */

static int at_passes_id_address_and_flags(void)
{
	void *want = (void *)0x7f0000200000ull;

	setup();
	CHECK(shmipc_at(77, want, SHM_RDONLY | SHM_RND) == (void *)0x7f1234560000ull);
	CHECK(fake_last_request == SHMIPC_IOC_AT);
	CHECK(last_at->id == 77);
	CHECK(last_at->addr == (uintptr_t)want);
	CHECK(last_at->flags == (SHM_RDONLY | SHM_RND));
	CHECK(last_at->size == 0);
	CHECK(all_zero(last_at->reserved, sizeof(last_at->reserved)));
	return 0;
}

static int at_drops_flags_shmat_ignores(void)
{
	const int all = SHM_RDONLY | SHM_RND | SHM_REMAP | SHM_EXEC;

	setup();
	CHECK(shmipc_at(1, NULL, -1) != (void *)-1);
	CHECK(last_at->flags == (unsigned int)all);
	CHECK(shmipc_at(1, NULL, IPC_CREAT | 0777 | SHM_EXEC) != (void *)-1);
	CHECK(last_at->flags == SHM_EXEC);
	return 0;
}

static int at_failure_is_minus_one_pointer(void)
{
	setup();
	answer_error = EACCES;
	CHECK_FAILS(shmipc_at(1, NULL, 0), -1, EACCES);
	CHECK(shmipc_at(1, NULL, 0) == (void *)-1);
	return 0;
}

static int dt_passes_address(void)
{
	setup();
	CHECK(shmipc_dt((void *)0x7f1234560000ull) == 0);
	CHECK(fake_last_request == SHMIPC_IOC_DT);
	CHECK(last_dt->addr == 0x7f1234560000ull);
	CHECK(all_zero(last_dt->reserved, sizeof(last_dt->reserved)));
	answer_error = EINVAL;
	CHECK_FAILS(shmipc_dt((void *)1), -1, EINVAL);
	return 0;
}

/* shmipc_ctl */

static int ctl_stat_converts_every_field(void)
{
	struct shmid_ds ds, want;

	setup();
	memset(&ds, 0xa5, sizeof(ds));	/* libc's reserved fields must come back zero */
	CHECK(shmipc_ctl(31, IPC_STAT, &ds) == 0);
	CHECK(fake_last_request == SHMIPC_IOC_CTL);
	CHECK(last_ctl->id == 31);
	CHECK(last_ctl->cmd == IPC_STAT);
	CHECK(all_zero(last_ctl->reserved, sizeof(last_ctl->reserved)));
	CHECK(all_zero(&last_ctl->u, sizeof(last_ctl->u)));

	memset(&want, 0, sizeof(want));
	want.shm_perm.__key = 0x10001;
	want.shm_perm.uid = 1002;
	want.shm_perm.gid = 1003;
	want.shm_perm.cuid = 1004;
	want.shm_perm.cgid = 1005;
	want.shm_perm.mode = SHM_DEST | 0640;
	want.shm_perm.__seq = 7;
	want.shm_segsz = 1000008;
	want.shm_atime = 1700000009;
	want.shm_dtime = 1700000010;
	want.shm_ctime = 1700000011;
	want.shm_cpid = 1012;
	want.shm_lpid = 1013;
	want.shm_nattch = 14;
	CHECK(memcmp(&ds, &want, sizeof(ds)) == 0);
	return 0;
}

static int ctl_stat_checks_segment_before_null_buf(void)
{
	setup();
	CHECK_FAILS(shmipc_ctl(31, IPC_STAT, NULL), -1, EFAULT);
	CHECK(fake_ioctl_calls == 1);
	answer_error = EINVAL;
	CHECK_FAILS(shmipc_ctl(-1, IPC_STAT, NULL), -1, EINVAL);
	answer_error = EACCES;
	CHECK_FAILS(shmipc_ctl(31, IPC_STAT, NULL), -1, EACCES);
	return 0;
}

static int ctl_set_converts_every_field(void)
{
	struct shmid_ds ds;

	setup();
	memset(&ds, 0xa5, sizeof(ds));
	ds.shm_perm.__key = 0x20001;
	ds.shm_perm.uid = 3002;
	ds.shm_perm.gid = 3003;
	ds.shm_perm.cuid = 3004;
	ds.shm_perm.cgid = 3005;
	ds.shm_perm.mode = 0604;
	ds.shm_perm.__seq = 9;
	ds.shm_segsz = 3008;
	ds.shm_atime = 3009;
	ds.shm_dtime = 3010;
	ds.shm_ctime = 3011;
	ds.shm_cpid = 3012;
	ds.shm_lpid = 3013;
	ds.shm_nattch = 3014;
	CHECK(shmipc_ctl(32, IPC_SET, &ds) == 0);
	CHECK(last_ctl->id == 32);
	CHECK(last_ctl->cmd == IPC_SET);
	CHECK(last_ctl->u.ds.perm.key == 0x20001);
	CHECK(last_ctl->u.ds.perm.uid == 3002);
	CHECK(last_ctl->u.ds.perm.gid == 3003);
	CHECK(last_ctl->u.ds.perm.cuid == 3004);
	CHECK(last_ctl->u.ds.perm.cgid == 3005);
	CHECK(last_ctl->u.ds.perm.mode == 0604);
	CHECK(last_ctl->u.ds.perm.seq == 9);
	CHECK(last_ctl->u.ds.perm.pad == 0);
	CHECK(last_ctl->u.ds.segsz == 3008);
	CHECK(last_ctl->u.ds.atime == 3009);
	CHECK(last_ctl->u.ds.dtime == 3010);
	CHECK(last_ctl->u.ds.ctime == 3011);
	CHECK(last_ctl->u.ds.cpid == 3012);
	CHECK(last_ctl->u.ds.lpid == 3013);
	CHECK(last_ctl->u.ds.nattch == 3014);
	CHECK(all_zero(last_ctl->u.ds.reserved, sizeof(last_ctl->u.ds.reserved)));
	CHECK(all_zero(last_ctl->reserved, sizeof(last_ctl->reserved)));
	return 0;
}

static int ctl_set_null_buf_is_efault_before_the_module(void)
{
	setup();
	CHECK_FAILS(shmipc_ctl(32, IPC_SET, NULL), -1, EFAULT);
	CHECK(fake_ioctl_calls == 0);
	return 0;
}

static int ctl_set_reports_module_errno(void)
{
	struct shmid_ds ds = { 0 };

	setup();
	answer_error = EPERM;
	CHECK_FAILS(shmipc_ctl(32, IPC_SET, &ds), -1, EPERM);
	return 0;
}

static int ctl_rmid_ignores_buf(void)
{
	setup();
	/* An invalid pointer: reading it would crash the test. */
	CHECK(shmipc_ctl(33, IPC_RMID, (struct shmid_ds *)16) == 0);
	CHECK(last_ctl->id == 33);
	CHECK(last_ctl->cmd == IPC_RMID);
	CHECK(all_zero(&last_ctl->u, sizeof(last_ctl->u)));
	answer_error = EPERM;
	CHECK_FAILS(shmipc_ctl(33, IPC_RMID, NULL), -1, EPERM);
	return 0;
}

static int ctl_lock_and_unlock_ignore_buf(void)
{
	static const int cmds[] = { SHM_LOCK, SHM_UNLOCK };

	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		setup();
		answer_error = 0;
		answer_ret = 7;	/* shmctl() returns 0 for both, whatever */
		CHECK(shmipc_ctl(35, cmds[i], (struct shmid_ds *)16) == 0);
		CHECK(last_ctl->id == 35);
		CHECK(last_ctl->cmd == (uint32_t)cmds[i]);
		CHECK(all_zero(&last_ctl->u, sizeof(last_ctl->u)));
		answer_error = ENOMEM;
		CHECK_FAILS(shmipc_ctl(35, cmds[i], NULL), -1, ENOMEM);
	}
	return 0;
}

static int ctl_passes_other_commands_to_the_module(void)
{
	static const int cmds[] = { 4, 10, 16, 99, -1, INT_MAX };

	setup();
	answer_error = EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		CHECK_FAILS(shmipc_ctl(34, cmds[i], (struct shmid_ds *)16), -1, EINVAL);
		CHECK(last_ctl->cmd == (uint32_t)cmds[i]);
		CHECK(last_ctl->id == 34);
	}
	return 0;
}

static int ctl_ipc_info_converts_to_shminfo(void)
{
	struct shminfo info;

	setup();
	answer_ret = 5;	/* IPC_INFO returns the highest index in use */
	memset(&info, 0xa5, sizeof(info));
	CHECK(shmipc_ctl(0, IPC_INFO, (struct shmid_ds *)(void *)&info) == 5);
	CHECK(last_ctl->cmd == IPC_INFO);
	CHECK(info.shmmax == 2001 && info.shmmin == 2002 && info.shmmni == 2003);
	CHECK(info.shmseg == 2004 && info.shmall == 2005);
	CHECK(info.__glibc_reserved1 == 0 && info.__glibc_reserved4 == 0);
	return 0;
}

static int ctl_shm_info_converts_to_shm_info(void)
{
	struct shm_info info;

	setup();
	answer_ret = 6;
	memset(&info, 0xa5, sizeof(info));
	CHECK(shmipc_ctl(0, SHM_INFO, (struct shmid_ds *)(void *)&info) == 6);
	CHECK(info.used_ids == 2006 && info.shm_tot == 2007);
	CHECK(info.shm_rss == 2008 && info.shm_swp == 2009);
	CHECK(info.swap_attempts == 0 && info.swap_successes == 0);
	CHECK_FAILS(shmipc_ctl(0, SHM_INFO, NULL), -1, EFAULT);
	return 0;
}

static int ctl_shm_stat_returns_the_id(void)
{
	struct shmid_ds ds;

	setup();
	answer_ret = 65538;	/* SHM_STAT takes an index, returns the id */
	CHECK(shmipc_ctl(2, SHM_STAT, &ds) == 65538);
	CHECK(last_ctl->id == 2);
	CHECK(ds.shm_nattch == 14 && ds.shm_perm.uid == 1002);
	CHECK(shmipc_ctl(2, SHM_STAT_ANY, &ds) == 65538);
	CHECK(last_ctl->cmd == SHM_STAT_ANY);
	return 0;
}

/* shmipc_get_lifetime, shmipc_stat_lifetime and the parser of SHMIPC_LIFETIME */

static int get_lifetime_passes_policy_and_ttl(void)
{
	const struct shmipc_lifetime lt = {
		.policy = SHMIPC_LIFETIME_TTL, .ttl = 77, .expires_ms = 5,
	};

	setup();
	CHECK(shmipc_get_lifetime(0x5eed, 8192, INT_MIN | IPC_CREAT | 0600, &lt) == 4242);
	CHECK(fake_last_request == SHMIPC_IOC_GET);
	CHECK(last_get->key == 0x5eed && last_get->size == 8192);
	CHECK(last_get->flags == (IPC_CREAT | 0600));
	CHECK(last_get->lifetime == SHMIPC_LIFE_TTL && last_get->ttl == 77);
	CHECK(all_zero(last_get->reserved, sizeof(last_get->reserved)));
	/* NULL: persist, as shmipc_get(). */
	CHECK(shmipc_get_lifetime(1, 1, 0, NULL) == 4242);
	CHECK(last_get->lifetime == 0 && last_get->ttl == 0);
	CHECK_FAILS(shmipc_get_lifetime(1, 1, 0, (void *)8), -1, EFAULT);
	return 0;
}

static int stat_lifetime_reads_ipc_stat(void)
{
	struct shmipc_lifetime lt = { 0 };

	setup();
	CHECK(shmipc_stat_lifetime(9, &lt) == 0);
	CHECK(last_ctl->id == 9 && last_ctl->cmd == IPC_STAT);
	CHECK(lt.policy == SHMIPC_LIFETIME_TTL && lt.ttl == 15);
	CHECK(lt.expires_ms == 16000);
	CHECK_FAILS(shmipc_stat_lifetime(9, (void *)8), -1, EFAULT);
	answer_error = EACCES;
	CHECK_FAILS(shmipc_stat_lifetime(9, &lt), -1, EACCES);
	return 0;
}

static int lifetime_text_parses(void)
{
	static const char *const bad[] = {
		"", "Creator", "creator ", "ttl", "ttl=", "ttl=0", "ttl=-1",
		"ttl=+5", "ttl= 5", "ttl=5s", "ttl=31622401",
		"ttl=99999999999999999999", "forever",
	};
	struct shmipc_lifetime lt;

	CHECK(libshmipc_lifetime_parse("persist", &lt) == 0 && lt.policy == SHMIPC_LIFETIME_PERSIST);
	CHECK(libshmipc_lifetime_parse("creator", &lt) == 0 && lt.policy == SHMIPC_LIFETIME_CREATOR);
	CHECK(libshmipc_lifetime_parse("last-detach", &lt) == 0 &&
	      lt.policy == SHMIPC_LIFETIME_LAST_DETACH && lt.ttl == 0);
	CHECK(libshmipc_lifetime_parse("ttl=1", &lt) == 0 &&
	      lt.policy == SHMIPC_LIFETIME_TTL && lt.ttl == 1);
	CHECK(libshmipc_lifetime_parse("ttl=31622400", &lt) == 0 && lt.ttl == 31622400);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK_FAILS(libshmipc_lifetime_parse(bad[i], &lt), -1, EINVAL);
	return 0;
}

static int attachers_converts_each_entry(void)
{
	struct shmipc_attacher_info buf[4];

	setup();
	memset(buf, 0x5a, sizeof(buf));
	CHECK(shmipc_attachers(12, buf, 4) == 3);
	CHECK(fake_last_request == SHMIPC_IOC_ATTACHERS);
	CHECK(buf[0].pid == 301 && buf[0].flags == SHMIPC_ATTACHED_RDONLY &&
	      buf[0].nattch == 2 && buf[0].atime == 1700000301);
	CHECK(buf[1].pid == 302 && buf[1].flags == 0 && buf[1].nattch == 1);
	CHECK(buf[2].pid == 0 && buf[2].flags == SHMIPC_ATTACHED_OTHERS && buf[2].nattch == 7);
	/* Past what there is, nothing is written. */
	CHECK(buf[3].pid == 0x5a5a5a5a);
	return 0;
}

static int attachers_short_buffer_says_how_many(void)
{
	struct shmipc_attacher_info buf[2];

	setup();
	memset(buf, 0x5a, sizeof(buf));
	CHECK(shmipc_attachers(12, buf, 1) == 3);
	CHECK(buf[0].pid == 301 && buf[1].pid == 0x5a5a5a5a);
	CHECK(shmipc_attachers(12, NULL, 0) == 3);
	CHECK_FAILS(shmipc_attachers(12, (void *)8, 2), -1, EFAULT);
	answer_error = EACCES;
	CHECK_FAILS(shmipc_attachers(12, buf, 2), -1, EACCES);
	return 0;
}

static int watch_calls_fill_scope_and_flags(void)
{
	setup();
	CHECK(shmipc_watch_key(0x5eed, SHMIPC_EVENT_MASK(SHMIPC_EVENT_CREATED),
			       O_NONBLOCK | O_CLOEXEC) == 77);
	CHECK(fake_last_request == SHMIPC_IOC_WATCH);
	CHECK(last_watch->scope == SHMIPC_WATCH_KEY && last_watch->key == 0x5eed &&
	      last_watch->id == 0 && last_watch->events == 1U << SHMIPC_EV_CREATED);
	CHECK(last_watch->flags == (SHMIPC_WATCH_NONBLOCK | SHMIPC_WATCH_CLOEXEC));
	CHECK(!last_watch->pad && all_zero(last_watch->reserved, sizeof(last_watch->reserved)));
	CHECK(shmipc_watch_id(9, 0, 0) == 77);
	CHECK(last_watch->scope == SHMIPC_WATCH_ID && last_watch->id == 9 &&
	      last_watch->key == 0 && last_watch->flags == 0);
	CHECK(shmipc_watch_all(0, O_CLOEXEC) == 77);
	CHECK(last_watch->scope == SHMIPC_WATCH_NS && last_watch->flags == SHMIPC_WATCH_CLOEXEC);
	/* Flags other than those two are the library's to refuse. */
	CHECK_FAILS(shmipc_watch_all(0, O_RDWR), -1, EINVAL);
	return 0;
}

static int read_event_converts_a_record(void)
{
	const struct shmipc_event rec = {
		.type = SHMIPC_EV_ATTACHED, .flags = SHMIPC_EV_FORK | SHMIPC_ATTACHER_RDONLY,
		.id = 65536, .key = -5, .pid = 321, .count = 3, .time_ns = 1700000000123456789LL,
	};
	struct shmipc_event_info ev;
	int p[2];

	CHECK(pipe(p) == 0);
	CHECK(write(p[1], &rec, sizeof(rec)) == sizeof(rec));
	CHECK(shmipc_read_event(p[0], &ev) == 0);
	CHECK(ev.type == SHMIPC_EVENT_ATTACHED &&
	      ev.flags == (SHMIPC_EVENT_FORK | SHMIPC_EVENT_RDONLY));
	CHECK(ev.shmid == 65536 && ev.key == -5 && ev.pid == 321 && ev.count == 3 &&
	      ev.time_ns == 1700000000123456789LL);
	/* A bad buffer fails before the record is taken. */
	CHECK(write(p[1], &rec, sizeof(rec)) == sizeof(rec));
	CHECK_FAILS(shmipc_read_event(p[0], (void *)8), -1, EFAULT);
	CHECK(shmipc_read_event(p[0], &ev) == 0 && ev.pid == 321);
	/* Anything but a whole record is no event. */
	CHECK(write(p[1], &rec, 8) == 8);
	close(p[1]);
	CHECK_FAILS(shmipc_read_event(p[0], &ev), -1, EIO);
	close(p[0]);
	return 0;
}

static int success_keeps_errno(void)
{
	struct shmid_ds ds = { 0 };
	void *addr;

	setup();
	errno = EDOM;
	CHECK(shmipc_get(1, 1, 0) == 4242);
	addr = shmipc_at(1, NULL, 0);
	CHECK(addr != (void *)-1);
	CHECK(shmipc_ctl(1, IPC_STAT, &ds) == 0);
	CHECK(shmipc_ctl(1, IPC_SET, &ds) == 0);
	CHECK(shmipc_ctl(1, IPC_RMID, NULL) == 0);
	CHECK(shmipc_dt(addr) == 0);
	CHECK(errno == EDOM);
	return 0;
}

static const struct harness_test tests[] = {
	TEST(get_passes_key_size_and_flags),
	TEST(get_passes_negative_key_and_huge_size),
	TEST(get_drops_flags_shmget_ignores),
	TEST(get_keeps_hugetlb_and_noreserve_for_the_module),
	TEST(get_reports_module_errno),
	TEST(at_passes_id_address_and_flags),
	TEST(at_drops_flags_shmat_ignores),
	TEST(at_failure_is_minus_one_pointer),
	TEST(dt_passes_address),
	TEST(ctl_stat_converts_every_field),
	TEST(ctl_stat_checks_segment_before_null_buf),
	TEST(ctl_set_converts_every_field),
	TEST(ctl_set_null_buf_is_efault_before_the_module),
	TEST(ctl_set_reports_module_errno),
	TEST(ctl_rmid_ignores_buf),
	TEST(ctl_lock_and_unlock_ignore_buf),
	TEST(ctl_passes_other_commands_to_the_module),
	TEST(ctl_ipc_info_converts_to_shminfo),
	TEST(ctl_shm_info_converts_to_shm_info),
	TEST(ctl_shm_stat_returns_the_id),
	TEST(get_lifetime_passes_policy_and_ttl),
	TEST(stat_lifetime_reads_ipc_stat),
	TEST(lifetime_text_parses),
	TEST(attachers_converts_each_entry),
	TEST(attachers_short_buffer_says_how_many),
	TEST(watch_calls_fill_scope_and_flags),
	TEST(read_event_converts_a_record),
	TEST(success_keeps_errno),
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, tests, ARRAY_SIZE(tests));
}

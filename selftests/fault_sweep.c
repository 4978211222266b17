// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation-failure sweep: every operation of /dev/shmipc that allocates
 * memory or copies from or to user space, run again and again with
 * /proc/thread-self/fail-nth set to 1, 2, 3, ... The kernel then fails the
 * nth fault point the thread passes (a slab or page allocation, a copy
 * from or to user space), until the operation completes without reaching
 * it. At every n the operation must succeed or fail with an errno it may
 * return, the kernel log must stay free of splats, and nothing half-made
 * may be left: a failed create leaves no key, no id and no count behind; a
 * failed attach or detach leaves nattch and /proc/self/maps as they were.
 *
 * fail-nth counts every fault point of the thread, the debug kernel's own
 * (kmemleak's and KASAN's bookkeeping) included: where one of those fails,
 * the kernel carries on and the call succeeds ("recovered").
 *
 * Needs root and a kernel with fault injection (FAILSLAB, FAIL_PAGE_ALLOC,
 * FAULT_INJECTION_USERCOPY, FAULT_INJECTION_DEBUG_FS); skips elsewhere.
 * Runs in an IPC namespace of its own, so it knows every segment there.
 * One TAP test per operation.
 */
#include <sys/mount.h>

#include "shmipc_test.h"
#include "kselftest.h"

#define DEBUGFS		"/sys/kernel/debug"
#define MAX_POINTS	5000	/* a call that never completes is a failure */
/*
 * Shmem may drift this much from other activity. Less than one of
 * ns_teardown's segments (256 pages, touched), so that a namespace that
 * is never reaped shows.
 */
#define SLACK_KB	64

/*
 * Ids are index | sequence << bits, where 1 << bits is the module's
 * ipcmni parameter: 15 bits, or 24 under ipcmni_extend (module/limits.c).
 */
#define IDX_BITS	w.idx_bits
#define IDX_MASK	((1 << IDX_BITS) - 1)

static struct {
	int fd;			/* /dev/shmipc, opened in our namespace */
	int nth;		/* /proc/thread-self/fail-nth of this thread */
	int kmsg;		/* /dev/kmsg, read from where we started */
	size_t page;
	size_t seg_size;	/* bytes asked for: not a whole number of pages */
	size_t seg_len;		/* bytes an attachment maps */
	int last_id;		/* newest id made in our namespace */
	int idx_bits;		/* of an id */
	key_t key;
	char shmmni[32], shmall[32];	/* the module's limits, to restore */
} w = { .fd = -1, .nth = -1, .kmsg = -1, .last_id = -1 };

/* --- Fault injection ---------------------------------------------------- */

/*
 * fail-nth takes precedence over the attributes' probability, interval
 * and times (lib/fault-inject.c): with probability 0, only the nth point
 * of this thread fails. The filters still apply, so let them pass
 * GFP_KERNEL allocations (ignore-gfp-wait) and single pages (min-order).
 * ignore-gfp-highmem stays on: user pages are allocated on page faults,
 * outside the call under test. verbose 0: no stack dump per fault.
 */
static struct knob {
	const char *path, *value;
	char saved[32];
	bool set;
} knobs[] = {
	{ .path = DEBUGFS "/failslab/probability", .value = "0" },
	{ .path = DEBUGFS "/failslab/ignore-gfp-wait", .value = "N" },
	{ .path = DEBUGFS "/failslab/verbose", .value = "0" },
	{ .path = DEBUGFS "/fail_page_alloc/probability", .value = "0" },
	{ .path = DEBUGFS "/fail_page_alloc/ignore-gfp-wait", .value = "N" },
	{ .path = DEBUGFS "/fail_page_alloc/min-order", .value = "0" },
	{ .path = DEBUGFS "/fail_page_alloc/verbose", .value = "0" },
	{ .path = DEBUGFS "/fail_usercopy/probability", .value = "0" },
	{ .path = DEBUGFS "/fail_usercopy/verbose", .value = "0" },
};

static int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t len;

	if (fd < 0)
		return -1;
	len = read(fd, buf, size - 1);
	close(fd);
	if (len < 0)
		return -1;
	buf[len] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static void knobs_restore(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		if (knobs[i].set)
			write_file(knobs[i].path, knobs[i].saved);
}

static const char *knobs_set(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		if (read_file(knobs[i].path, knobs[i].saved,
			      sizeof(knobs[i].saved)))
			return "no fault-injection attributes in debugfs";
		if (write_file(knobs[i].path, knobs[i].value))
			return "cannot write the fault-injection attributes";
		knobs[i].set = true;
	}
	atexit(knobs_restore);
	return NULL;
}

static int nth_open(void)
{
	return open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
}

/* Fails the nth fault point from now on. */
static void nth_arm(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(fd, buf, len, 0) != len)
		ksft_exit_fail_msg("arming fail-nth: %s\n", strerror(errno));
}

/*
 * Disarms; returns whether the armed point was reached (and failed). The
 * read's own copy to user space is a fault point too: the value is taken
 * before it, and the copy fails (EFAULT) exactly when one point was left,
 * i.e. when the call stopped short of the armed one.
 */
static bool nth_reached(int fd)
{
	char buf[16] = "";
	ssize_t len;
	bool reached;

	len = pread(fd, buf, sizeof(buf) - 1, 0);
	if (len < 0 && errno == EFAULT)
		reached = false;
	else if (len > 0)
		reached = strtoul(buf, NULL, 10) == 0;
	else
		ksft_exit_fail_msg("reading fail-nth: %s\n", strerror(errno));
	/* Its copy from user space may use up what is left: 0 either way. */
	pwrite(fd, "0", 1, 0);
	len = pread(fd, buf, sizeof(buf) - 1, 0);
	if (len < 1 || buf[0] != '0')
		ksft_exit_fail_msg("fail-nth did not go back to 0\n");
	return reached;
}

/* --- The kernel log ----------------------------------------------------- */

/*
 * What the checkers of the debug kernel print when they find something
 * (lockdep's reports are WARNING:, BUG: or INFO: lines). Stack frames are
 * not looked at: a failed allocation dumps one, naming any function.
 */
static const char *const splat_words[] = {
	"BUG:", "kernel BUG", "WARNING:", "Oops", "KASAN", "KFENCE", "UBSAN",
	"ODEBUG", "list_add corruption", "list_del corruption",
	"INFO: task", "soft lockup", "non-static key",
	"locking correctness validator", "refcount_t", "Kernel panic",
	"Kernel memory leak detector disabled", "Bad page", "Bad rss",
};

/* Prints the splats logged since the last call; returns how many. */
static int kmsg_splats(void)
{
	char rec[2048];
	const char *msg;
	unsigned int i;
	ssize_t len;
	int found = 0;

	for (;;) {
		len = read(w.kmsg, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE)
			continue;	/* records were overwritten: go on */
		if (len <= 0)
			break;
		rec[len] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		if (*msg == ' ')
			continue;	/* a stack frame */
		for (i = 0; i < ARRAY_SIZE(splat_words); i++) {
			if (strstr(msg, splat_words[i])) {
				ksft_print_msg("kernel: %.*s\n",
					       (int)strcspn(msg, "\n"), msg);
				found++;
				break;
			}
		}
	}
	return found;
}

/* --- The namespace's state ---------------------------------------------- */

static int new_seg(key_t key, size_t size)
{
	int id = raw_get(w.fd, key, size, IPC_CREAT | IPC_EXCL | 0600);

	if (id >= 0)
		w.last_id = id;
	return id;
}

#define BAD(...) do {							\
	ksft_print_msg(__VA_ARGS__);					\
	return -1;							\
} while (0)

/*
 * Is our namespace empty, counts included? Seen through the limits: with
 * shmmni at 1 exactly one segment can be made, with shmall at 1 exactly
 * one page. A count or table entry left by a failed operation makes the
 * first fail; a count dropped twice lets the second through.
 */
static int check_empty(void)
{
	int a, b, ea, eb;

	if (set_param("shmmni", 1))
		BAD("cannot set shmmni: %s\n", strerror(errno));
	a = new_seg(IPC_PRIVATE, 1);
	ea = errno;
	b = new_seg(IPC_PRIVATE, 1);
	eb = errno;
	raw_rmid(w.fd, a);
	raw_rmid(w.fd, b);
	write_param("shmmni", w.shmmni);
	if (a < 0)
		BAD("namespace not empty: no segment under shmmni=1: %s\n",
		    strerror(ea));
	if (b >= 0 || eb != ENOSPC)
		BAD("second segment under shmmni=1: %s, want ENOSPC\n",
		    b >= 0 ? "made" : strerror(eb));

	if (set_param("shmall", 1))
		BAD("cannot set shmall: %s\n", strerror(errno));
	a = new_seg(IPC_PRIVATE, w.page);
	ea = errno;
	raw_rmid(w.fd, a);
	b = new_seg(IPC_PRIVATE, w.page + 1);
	eb = errno;
	raw_rmid(w.fd, b);
	write_param("shmall", w.shmall);
	if (a < 0)
		BAD("pages left over: no page under shmall=1: %s\n", strerror(ea));
	if (b >= 0 || eb != ENOSPC)
		BAD("two pages under shmall=1: %s, want ENOSPC\n",
		    b >= 0 ? "made" : strerror(eb));
	return 0;
}

/* After a failed create: no id next to the newest one answers. */
static int check_no_new_id(void)
{
	int idx = w.last_id & IDX_MASK, seq = w.last_id >> IDX_BITS;
	int k, s, id, seqs[2] = { 0, seq + 1 };
	struct shmipc_ds ds;

	for (k = 1; k <= 4; k++) {
		for (s = 0; s < 2; s++) {
			id = seqs[s] << IDX_BITS | ((idx + k) & IDX_MASK);
			if (raw_stat(w.fd, id, &ds) == 0)
				BAD("a failed create left id %d\n", id);
		}
	}
	return 0;
}

static int check_no_key(key_t key)
{
	errno = 0;
	if (raw_get(w.fd, key, 0, 0) >= 0 || errno != ENOENT)
		BAD("key %#x: lookup gives %s, want ENOENT\n", (unsigned int)key,
		    errno ? strerror(errno) : "a segment");
	return 0;
}

/*
 * The segment's nattch, as its attachers list gives it, or -1 if it is
 * gone. Whatever failed, the list must add up to it (an entry that could
 * not be allocated is counted with the others): -2 when it does not.
 */
static long nattch(int id)
{
	struct shmipc_attacher buf[16];
	struct shmipc_attachers a = {
		.id = id, .count = ARRAY_SIZE(buf), .buf = (uintptr_t)buf,
	};
	uint64_t sum = 0;
	uint32_t i;

	if (ioctl(w.fd, SHMIPC_IOC_ATTACHERS, &a))
		return -1;
	for (i = 0; i < a.count && i < ARRAY_SIZE(buf); i++)
		sum += buf[i].nattch;
	if (a.count > ARRAY_SIZE(buf) || sum != a.nattch) {
		fprintf(stderr, "# id %d: %u attachers add up to %llu, nattch %llu\n",
			id, a.count, (unsigned long long)sum,
			(unsigned long long)a.nattch);
		return -2;
	}
	return (long)a.nattch;
}

/* /proc/self/maps, but for the stack, whose size may change. */
static size_t read_maps(char *buf, size_t size)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	char *line, *end;
	ssize_t r;

	if (fd < 0)
		ksft_exit_fail_msg("/proc/self/maps: %s\n", strerror(errno));
	while (len < size - 1 && (r = read(fd, buf + len, size - 1 - len)) > 0)
		len += r;
	close(fd);
	buf[len] = '\0';
	line = strstr(buf, "[stack]");
	if (line) {
		while (line > buf && line[-1] != '\n')
			line--;
		end = strchr(line, '\n');
		end = end ? end + 1 : line + strlen(line);
		memmove(line, end, strlen(end) + 1);
	}
	return strlen(buf);
}

static char maps_before[65536], maps_after[65536];

static void snap_maps(void)
{
	read_maps(maps_before, sizeof(maps_before));
}

static int check_maps_same(void)
{
	read_maps(maps_after, sizeof(maps_after));
	if (strcmp(maps_before, maps_after))
		BAD("mappings changed:\n# before:\n%s# after:\n%s", maps_before,
		    maps_after);
	return 0;
}

static bool mapped_at(const void *addr)
{
	char key[32];

	read_maps(maps_after, sizeof(maps_after));
	snprintf(key, sizeof(key), "%lx-", (unsigned long)addr);
	return strstr(maps_after, key);
}

/*
 * Counted in /proc/self/maps: the mappings of a segment's shmem file (its
 * path is /shmipcKEY). The operation's segment is the only one mapped.
 */
static long count_vmas(void)
{
	const char *p;
	long n = 0;

	read_maps(maps_after, sizeof(maps_after));
	for (p = maps_after; (p = strstr(p, " /shmipc")); p++)
		n++;
	return n;
}

/* --- The operations ----------------------------------------------------- */

/* One run of an operation: its segment, and the state before the call. */
struct step {
	int id;
	key_t key;
	char *addr;		/* its attachment */
	char *to;		/* a second one, or where it moves */
	struct shmipc_ds ds;
};

/* How a new namespace is first used. */
enum ns_first {
	NS_OPEN,	/* open the device, make a segment, attach it */
	NS_GET,		/* the same through a descriptor opened in ours */
	NS_CTL,		/* IPC_STAT through that descriptor */
	NS_AT,		/* SHMIPC_IOC_AT through it */
	NS_MMAP,	/* a plain mmap of it */
};

struct op {
	const char *name;
	int want;			/* errno when nothing fails, or 0 */
	const int *errnos;		/* clean failures, 0-terminated */
	int (*prepare)(struct step *s);	/* unarmed: 0 or -1 */
	long (*call)(struct step *s);	/* armed: -1 and errno on failure */
	int (*verify)(struct step *s, long ret); /* unarmed: 0 or -1 */
	int (*run)(const struct op *op, unsigned int n, long *ret, int *err,
		   bool *reached);	/* instead of the above: children */
	enum ns_first first;		/* for run_ns */
};

static const int enomem[] = { ENOMEM, 0 };
static const int efault[] = { EFAULT, 0 };
static const int get_errs[] = { ENOMEM, ENOSPC, EFAULT, 0 };
static const int at_errs[] = { ENOMEM, EFAULT, EINTR, 0 };
static const int ioctl_errs[] = { ENOMEM, EFAULT, 0 };
static const int read_errs[] = { ENOMEM, EFAULT, 0 };	/* fail_usercopy too */
/* anon_inode_getfd() fails a file it cannot allocate with ENFILE. */
static const int watch_errs[] = { ENOMEM, EFAULT, ENFILE, 0 };

static int prep_seg(struct step *s)
{
	s->key = w.key++;
	s->id = new_seg(s->key, w.seg_size);
	if (s->id < 0)
		BAD("making a segment: %s\n", strerror(errno));
	return 0;
}

static int prep_attached(struct step *s)
{
	if (prep_seg(s))
		return -1;
	s->addr = raw_at(w.fd, s->id, NULL, 0, NULL);
	if (s->addr == MAP_FAILED)
		BAD("attaching: %s\n", strerror(errno));
	return 0;
}

/* Attached, then split in three by a read-only middle page. */
static int prep_split(struct step *s)
{
	if (prep_attached(s))
		return -1;
	if (mprotect(s->addr + w.page, w.page, PROT_READ))
		BAD("mprotect: %s\n", strerror(errno));
	return 0;
}

static void clean_seg(struct step *s)
{
	if (s->addr && s->addr != MAP_FAILED)
		munmap(s->addr, w.seg_len);
	if (s->to)
		munmap(s->to, w.seg_len);
	if (s->id >= 0)
		raw_rmid(w.fd, s->id);
}

/* create: a keyed or a private segment. */
static long call_create_keyed(struct step *s)
{
	return raw_get(w.fd, s->key, w.seg_size, IPC_CREAT | IPC_EXCL | 0600);
}

static long call_create_private(struct step *s)
{
	return raw_get(w.fd, IPC_PRIVATE, w.seg_size, IPC_CREAT | 0600);
}

static int prep_key(struct step *s)
{
	s->key = w.key++;
	return 0;
}

/* create with a lifetime, whose state is allocated beside the segment. */
static long create_with_lifetime(struct step *s, unsigned int lifetime,
				 unsigned int ttl)
{
	struct shmipc_get arg = {
		.key = s->key, .flags = IPC_CREAT | IPC_EXCL | 0600,
		.size = w.seg_size, .lifetime = lifetime, .ttl = ttl,
	};

	return ioctl(w.fd, SHMIPC_IOC_GET, &arg);
}

static long call_create_creator(struct step *s)
{
	return create_with_lifetime(s, SHMIPC_LIFE_CREATOR, 0);
}

static long call_create_ttl(struct step *s)
{
	return create_with_lifetime(s, SHMIPC_LIFE_TTL, 600);
}

static int verify_create(struct step *s, long ret);

static int verify_create_lifetime(struct step *s, long ret, unsigned int want)
{
	struct shmipc_ds ds;

	if (verify_create(s, ret))
		return -1;
	if (ret < 0)
		return 0;
	if (raw_stat(w.fd, s->id, &ds) || ds.lifetime != want)
		BAD("made id %d with lifetime %u, not %u\n", s->id,
		    ds.lifetime, want);
	return 0;
}

static int verify_create_creator(struct step *s, long ret)
{
	return verify_create_lifetime(s, ret, SHMIPC_LIFE_CREATOR);
}

static int verify_create_ttl(struct step *s, long ret)
{
	return verify_create_lifetime(s, ret, SHMIPC_LIFE_TTL);
}

static int verify_create(struct step *s, long ret)
{
	struct shmipc_ds ds;

	if (ret < 0)
		return check_no_new_id() ||
		       (s->key != IPC_PRIVATE && check_no_key(s->key)) ? -1 : 0;
	s->id = (int)ret;
	w.last_id = s->id;
	if (raw_stat(w.fd, s->id, &ds))
		BAD("made id %d, which IPC_STAT does not find\n", s->id);
	if (ds.segsz != w.seg_size || ds.nattch || (ds.perm.mode & 0777) != 0600)
		BAD("made a segment of %llu bytes, nattch %llu, mode %o\n",
		    (unsigned long long)ds.segsz, (unsigned long long)ds.nattch,
		    ds.perm.mode);
	if (s->key != IPC_PRIVATE && raw_get(w.fd, s->key, 0, 0) != s->id)
		BAD("made id %d, which its key does not find\n", s->id);
	return 0;
}

/* Those that must leave the segment as it was when they fail. */
static int verify_unchanged(struct step *s)
{
	struct shmipc_ds ds;

	if (raw_stat(w.fd, s->id, &ds))
		BAD("segment %d gone: %s\n", s->id, strerror(errno));
	if (ds.perm.mode != s->ds.perm.mode || ds.perm.key != s->ds.perm.key ||
	    ds.perm.uid != s->ds.perm.uid || ds.nattch != s->ds.nattch ||
	    ds.ctime != s->ds.ctime)
		BAD("segment %d changed: mode %o->%o key %#x->%#x nattch %llu->%llu\n",
		    s->id, s->ds.perm.mode, ds.perm.mode, s->ds.perm.key,
		    ds.perm.key, (unsigned long long)s->ds.nattch,
		    (unsigned long long)ds.nattch);
	if (s->ds.perm.key && raw_get(w.fd, s->ds.perm.key, 0, 0) != s->id)
		BAD("key %#x no longer finds segment %d\n", s->ds.perm.key, s->id);
	return check_maps_same();
}

static int prep_seg_snap(struct step *s)
{
	if (prep_seg(s) || raw_stat(w.fd, s->id, &s->ds))
		return -1;
	snap_maps();
	return 0;
}

static int prep_attached_snap(struct step *s)
{
	if (prep_attached(s) || raw_stat(w.fd, s->id, &s->ds))
		return -1;
	snap_maps();
	return 0;
}

static int prep_split_snap(struct step *s)
{
	if (prep_split(s) || raw_stat(w.fd, s->id, &s->ds))
		return -1;
	snap_maps();
	return 0;
}

/* lookup of an existing key */
static long call_lookup(struct step *s)
{
	return raw_get(w.fd, s->key, 0, 0);
}

static int verify_lookup(struct step *s, long ret)
{
	if (ret >= 0 && ret != s->id)
		BAD("lookup gave id %ld, want %d\n", ret, s->id);
	return verify_unchanged(s);
}

/* IPC_STAT */
static long call_stat(struct step *s)
{
	struct shmipc_ds ds;

	return raw_stat(w.fd, s->id, &ds);
}

static int verify_same(struct step *s, long ret)
{
	return verify_unchanged(s);
}

/*
 * A watcher of the whole namespace: its charge, ring and file are
 * allocated. Made, it must report the next creation; failed, it must
 * have left nothing behind, not even a charge against max_watchers,
 * which a second watcher after it shows.
 */
static long call_watch(struct step *s)
{
	struct shmipc_watch arg = {
		.scope = SHMIPC_WATCH_NS, .flags = SHMIPC_WATCH_NONBLOCK,
	};

	return ioctl(w.fd, SHMIPC_IOC_WATCH, &arg);
}

static int verify_watch(struct step *s, long ret)
{
	struct shmipc_event ev;
	long fd = ret;

	if (fd < 0)
		fd = call_watch(s);
	if (fd < 0)
		BAD("no watcher after a failed one: %s\n", strerror(errno));
	s->key = w.key++;
	s->id = new_seg(s->key, w.seg_size);
	if (s->id < 0 || read((int)fd, &ev, sizeof(ev)) != sizeof(ev) ||
	    ev.type != SHMIPC_EV_CREATED || ev.id != s->id) {
		close((int)fd);
		BAD("the watcher did not report creating %d\n", s->id);
	}
	close((int)fd);
	return 0;
}

/* The attachers list of an attached segment: its buffer is allocated. */
static long call_attachers(struct step *s)
{
	struct shmipc_attacher buf[4];
	struct shmipc_attachers a = {
		.id = s->id, .count = ARRAY_SIZE(buf), .buf = (uintptr_t)buf,
	};
	long ret = ioctl(w.fd, SHMIPC_IOC_ATTACHERS, &a);

	if (ret == 0 && (a.count != 1 || buf[0].pid != getpid() ||
			 buf[0].nattch != 1)) {
		fprintf(stderr, "# attachers: %u, pid %d nattch %llu\n",
			a.count, buf[0].pid, (unsigned long long)buf[0].nattch);
		errno = EPROTO;
		return -1;
	}
	return ret;
}

/* IPC_SET: mode 0600 -> 0640 */
static long call_set(struct step *s)
{
	struct shmipc_ds ds = s->ds;

	ds.perm.mode = 0640;
	memset(ds.reserved, 0, sizeof(ds.reserved));
	return raw_ctl(w.fd, s->id, SHMIPC_IPC_SET, &ds);
}

static int prep_set(struct step *s)
{
	if (prep_seg_snap(s))
		return -1;
	/* ctime has a resolution of seconds: see that it does not move. */
	wait_next_second();
	return 0;
}

static int verify_set(struct step *s, long ret)
{
	struct shmipc_ds ds;

	if (ret < 0)
		return verify_unchanged(s);
	if (raw_stat(w.fd, s->id, &ds) || (ds.perm.mode & 0777) != 0640)
		BAD("IPC_SET succeeded, mode is %o\n", ds.perm.mode);
	return 0;
}

/* IPC_RMID, with and without an attachment */
static long call_rmid(struct step *s)
{
	return raw_rmid(w.fd, s->id);
}

static int verify_rmid(struct step *s, long ret)
{
	struct shmipc_ds ds;

	if (ret < 0)
		return verify_unchanged(s);
	if (check_no_key(s->key))
		return -1;
	if (!s->addr) {
		if (raw_stat(w.fd, s->id, &ds) == 0)
			BAD("segment %d still there after IPC_RMID\n", s->id);
		s->id = -1;
		return 0;
	}
	if (raw_stat(w.fd, s->id, &ds) || !(ds.perm.mode & SHMIPC_SHM_DEST) ||
	    ds.perm.key != IPC_PRIVATE || ds.nattch != 1)
		BAD("attached segment after IPC_RMID: mode %o key %#x nattch %llu\n",
		    ds.perm.mode, ds.perm.key, (unsigned long long)ds.nattch);
	return 0;
}

/* SHM_LOCK and SHM_UNLOCK, and IPC_RMID of a locked segment */
static long call_lock(struct step *s)
{
	return raw_ctl(w.fd, s->id, SHMIPC_SHM_LOCK, NULL);
}

static long call_unlock(struct step *s)
{
	return raw_ctl(w.fd, s->id, SHMIPC_SHM_UNLOCK, NULL);
}

static int prep_locked_snap(struct step *s)
{
	if (prep_seg(s))
		return -1;
	if (raw_ctl(w.fd, s->id, SHMIPC_SHM_LOCK, NULL))
		BAD("SHM_LOCK: %s\n", strerror(errno));
	if (raw_stat(w.fd, s->id, &s->ds))
		return -1;
	snap_maps();
	return 0;
}

/* Locked after SHM_LOCK, unlocked after SHM_UNLOCK; as it was if failed. */
static int verify_lock(struct step *s, long ret)
{
	bool was = s->ds.perm.mode & SHMIPC_SHM_LOCKED;
	struct shmipc_ds ds;

	if (ret < 0)
		return verify_unchanged(s);
	if (raw_stat(w.fd, s->id, &ds))
		BAD("segment %d gone: %s\n", s->id, strerror(errno));
	if (!(ds.perm.mode & SHMIPC_SHM_LOCKED) == !was)
		BAD("segment %d: mode %o after %s\n", s->id, ds.perm.mode,
		    was ? "SHM_UNLOCK" : "SHM_LOCK");
	return 0;
}

/*
 * SHM_LOCK charges the caller's real uid. Root's charge may need no
 * allocation (an xarray keeps index 0 without a node), so lock with
 * another real uid, keeping euid 0 and its capabilities.
 */
static int prep_lock(struct step *s)
{
	if (prep_seg_snap(s))
		return -1;
	if (setresuid(OTHER_UID, 0, 0))
		BAD("setresuid: %s\n", strerror(errno));
	return 0;
}

static int verify_lock_other(struct step *s, long ret)
{
	if (setresuid(0, 0, 0))
		BAD("setresuid back: %s\n", strerror(errno));
	return verify_lock(s, ret);
}

/* attach: SHMIPC_IOC_AT and a plain mmap */
static long call_at(struct step *s)
{
	s->addr = raw_at(w.fd, s->id, NULL, 0, NULL);
	return s->addr == MAP_FAILED ? -1 : 0;
}

static long call_mmap(struct step *s)
{
	s->addr = mmap_segment(w.fd, s->id, w.seg_len, PROT_READ | PROT_WRITE);
	return s->addr == MAP_FAILED ? -1 : 0;
}

static int verify_attach(struct step *s, long ret)
{
	if (ret < 0)
		return verify_unchanged(s);
	if (nattch(s->id) != (long)s->ds.nattch + 1)
		BAD("attached: nattch %ld, want %llu\n", nattch(s->id),
		    (unsigned long long)s->ds.nattch + 1);
	if (!mapped_at(s->addr))
		BAD("attached at %p, which /proc/self/maps lacks\n", s->addr);
	return 0;
}

/* detach: SHMIPC_IOC_DT, munmap, and SHMIPC_IOC_DT of a split attachment */
static long call_dt(struct step *s)
{
	return raw_dt(w.fd, s->addr);
}

static long call_munmap(struct step *s)
{
	return munmap(s->addr, w.seg_len);
}

static int verify_detach(struct step *s, long ret)
{
	if (ret < 0)
		return verify_unchanged(s);
	if (nattch(s->id) != 0)
		BAD("detached: nattch %ld, want 0\n", nattch(s->id));
	if (mapped_at(s->addr))
		BAD("detached, but %p is still mapped\n", s->addr);
	s->addr = NULL;
	return 0;
}

/*
 * An attachment with holes, one of them mapped by something else: detach
 * unmaps what is left of the attachment, and only that.
 */
static int prep_holed(struct step *s)
{
	if (prep_attached(s))
		return -1;
	s->to = s->addr + w.page;
	if (munmap(s->to, w.page) || munmap(s->addr + 3 * w.page, w.page) ||
	    mmap(s->to, w.page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
		 MAP_FIXED, -1, 0) != s->to)
		BAD("making holes: %s\n", strerror(errno));
	s->to = NULL;		/* unmapped with the rest by clean_seg */
	if (raw_stat(w.fd, s->id, &s->ds))
		return -1;
	snap_maps();
	return 0;
}

static int verify_holed(struct step *s, long ret)
{
	char *foreign = s->addr + w.page;

	if (ret < 0)
		return verify_unchanged(s);
	if (nattch(s->id) != 0 || count_vmas())
		BAD("detached: nattch %ld, %ld mappings left\n", nattch(s->id),
		    count_vmas());
	if (!mapped_at(foreign))
		BAD("detach unmapped %p, which was not the segment's\n", foreign);
	return 0;
}

/* Splitting and moving an attachment: vm_ops open and close. */
static long call_mprotect(struct step *s)
{
	return mprotect(s->addr + w.page, w.page, PROT_READ);
}

static long call_munmap_head(struct step *s)
{
	return munmap(s->addr, w.page);
}

static long call_mremap(struct step *s)
{
	void *p = mremap(s->addr, w.seg_len, w.seg_len,
			 MREMAP_MAYMOVE | MREMAP_FIXED, s->to);

	return p == MAP_FAILED ? -1 : 0;
}

static int prep_mremap(struct step *s)
{
	/*
	 * A free place to move to: were it mapped, the move would unmap it
	 * first, and a move failing after that changes the mappings anyway.
	 */
	if (prep_attached_snap(s))
		return -1;
	s->to = free_range(w.seg_len);
	if (!s->to)
		BAD("mmap: %s\n", strerror(errno));
	return 0;
}

/*
 * Splitting an attachment may fail half-way (mprotect splits twice, and
 * keeps the first split when the second fails): whatever the outcome,
 * nattch must count the pieces.
 */
static int verify_split(struct step *s, long ret, long want)
{
	long vmas = count_vmas();

	if (nattch(s->id) != vmas)
		BAD("nattch %ld, but %ld mappings\n", nattch(s->id), vmas);
	if (ret == 0 && vmas != want)
		BAD("%ld mappings, want %ld\n", vmas, want);
	return 0;
}

static int verify_mprotect(struct step *s, long ret)
{
	return verify_split(s, ret, 3);
}

static int verify_munmap_head(struct step *s, long ret)
{
	return verify_split(s, ret, 1);
}

static int verify_mremap(struct step *s, long ret)
{
	if (ret < 0)
		return verify_unchanged(s);
	if (!mapped_at(s->to))
		BAD("moved to %p, which /proc/self/maps lacks\n", s->to);
	s->addr = NULL;
	return verify_split(s, ret, 1);
}

/*
 * remap_file_pages() on an attachment maps its file again: the new VMA is
 * counted (shmipc_att_mmap), the page it replaces is not any more.
 */
static long call_remap(struct step *s)
{
	return remap_file_pages(s->addr, w.page, 0, 1, 0);
}

static int verify_remap(struct step *s, long ret)
{
	return verify_split(s, ret, 2);
}

/* mremap growing an attachment, moving it if need be. */
static long call_mremap_grow(struct step *s)
{
	void *p = mremap(s->addr, w.seg_len, w.seg_len + w.page,
			 MREMAP_MAYMOVE);

	if (p == MAP_FAILED)
		return -1;
	s->addr = p;
	return 0;
}

static int verify_mremap_grow(struct step *s, long ret)
{
	if (ret < 0)
		return verify_unchanged(s);
	munmap(s->addr + w.seg_len, w.page);	/* clean_seg unmaps the rest */
	return verify_split(s, ret, 1);
}

/* shmdt() of an attachment whose first page was unmapped. */
static int prep_headless(struct step *s)
{
	if (prep_attached(s) || munmap(s->addr, w.page) ||
	    raw_stat(w.fd, s->id, &s->ds))
		return -1;
	snap_maps();
	return 0;
}

static int verify_headless(struct step *s, long ret)
{
	if (ret < 0)
		return verify_unchanged(s);
	if (nattch(s->id) != 0 || count_vmas())
		BAD("detached: nattch %ld, %ld mappings left\n", nattch(s->id),
		    count_vmas());
	s->addr = NULL;
	return 0;
}

/* fork of a process holding a split attachment and a plain one */
static int prep_fork(struct step *s)
{
	if (prep_split(s))
		return -1;
	s->to = mmap_segment(w.fd, s->id, w.seg_len, PROT_READ);
	if (s->to == MAP_FAILED)
		BAD("mmap: %s\n", strerror(errno));
	if (raw_stat(w.fd, s->id, &s->ds))
		return -1;
	snap_maps();
	return 0;
}

static long call_fork(struct step *s)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	return pid;
}

static int verify_fork(struct step *s, long ret)
{
	int status;

	if (ret > 0 && (waitpid((pid_t)ret, &status, 0) != ret ||
			!WIFEXITED(status) || WEXITSTATUS(status)))
		BAD("child of fork did not exit cleanly\n");
	return verify_unchanged(s);
}

/* SHMIPC_IOC_VERSION copies out */
static long call_version(struct step *s)
{
	struct shmipc_version v;

	return ioctl(w.fd, SHMIPC_IOC_VERSION, &v);
}

/* /proc/shmipc/shm: opened and read to the end */
static long call_listing(struct step *s)
{
	char buf[1024];
	ssize_t n;
	int fd = open("/proc/shmipc/shm", O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	err = errno;
	close(fd);
	errno = err;
	return n < 0 ? -1 : 0;
}

/* Unarmed, the listing has the segment, and nothing else changed. */
static int verify_listing(struct step *s, long ret)
{
	static char buf[65536];
	char want[32];
	ssize_t n;
	int fd = open("/proc/shmipc/shm", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	snprintf(want, sizeof(want), " %10d ", s->id);
	if (!strstr(buf, want))
		BAD("segment %d not listed:\n%s", s->id, buf);
	return verify_same(s, ret);
}

static int prep_none(struct step *s)
{
	return 0;
}

static int verify_none(struct step *s, long ret)
{
	return 0;
}

/* --- Operations in a new IPC namespace, run by a child ------------------ */

/* What a child tells about its step, through memory shared with us. */
static struct child_report {
	long ret;
	int err;
	bool reached;
	bool clean;
} *report;

/*
 * In a new namespace, its first use, which allocates the module's state
 * for it, with the nth point armed. Nothing is there: a lookup by id fails
 * with EINVAL. Then checks the namespace through a descriptor of its own.
 */
static int ns_child(unsigned int n, enum ns_first first)
{
	struct child_report *r = report;
	int nth, fd = w.fd, id = -1;
	struct shmipc_ds ds;
	char *p = MAP_FAILED;

	if (unshare(CLONE_NEWIPC))
		BAD("unshare: %s\n", strerror(errno));
	nth = nth_open();
	if (nth < 0)
		BAD("fail-nth: %s\n", strerror(errno));
	w.last_id = -1;
	snap_maps();

	nth_arm(nth, n);
	switch (first) {
	case NS_OPEN:
		fd = open(SHMIPC_DEVICE, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			break;
		/* fall through */
	case NS_GET:
		id = raw_get(fd, IPC_PRIVATE, w.seg_size, 0600);
		if (id >= 0)
			p = raw_at(fd, id, NULL, 0, NULL);
		r->ret = p == MAP_FAILED ? -1 : 0;
		break;
	case NS_CTL:
		r->ret = raw_stat(fd, 0, &ds);
		break;
	case NS_AT:
		p = raw_at(fd, 0, NULL, 0, NULL);
		r->ret = p == MAP_FAILED ? -1 : 0;
		break;
	case NS_MMAP:
		p = mmap_segment(fd, 0, w.page, PROT_READ);
		r->ret = p == MAP_FAILED ? -1 : 0;
		break;
	}
	r->err = errno;
	r->reached = nth_reached(nth);

	if (fd < 0 || first != NS_OPEN)
		fd = open(SHMIPC_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		BAD("open after the step: %s\n", strerror(errno));
	w.fd = fd;
	if (id >= 0) {
		w.last_id = id;
		if (nattch(id) != (p == MAP_FAILED ? 0 : 1))
			BAD("segment %d: nattch %ld after the step\n", id,
			    nattch(id));
		if (p != MAP_FAILED && munmap(p, w.seg_len))
			BAD("munmap: %s\n", strerror(errno));
		raw_rmid(fd, id);
	} else if (p != MAP_FAILED) {
		BAD("attached to a segment of an empty namespace\n");
	}
	if (check_maps_same() || check_empty())
		return -1;
	r->clean = true;
	return 0;
}

static int run_in_child(unsigned int n, enum ns_first first, long *ret,
			int *err, bool *reached)
{
	int status;
	pid_t pid;

	memset(report, 0, sizeof(*report));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		BAD("fork: %s\n", strerror(errno));
	if (pid == 0) {
		ns_child(n, first);
		fflush(NULL);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		BAD("child died: status %#x\n", status);
	*ret = report->ret;
	*err = report->err;
	*reached = report->reached;
	return report->clean ? 0 : -1;
}

static int run_ns(const struct op *op, unsigned int n, long *ret, int *err,
		  bool *reached)
{
	return run_in_child(n, op->first, ret, err, reached);
}

/*
 * Namespace teardown: a child in a new namespace holding an attached
 * segment exits with the nth point of its exit armed. We read its
 * fail-nth while it is a zombie. Its segment must be gone by the time the
 * module's reaper has run (see run_ops: Shmem is checked at the end).
 */
static int run_ns_exit(const struct op *op, unsigned int n, long *ret,
		       int *err, bool *reached)
{
	char path[64], buf[16] = "";
	siginfo_t info;
	int fd, status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		BAD("fork: %s\n", strerror(errno));
	if (pid == 0) {
		int id, nth;
		char *p;

		if (unshare(CLONE_NEWIPC))
			_exit(1);
		fd = open(SHMIPC_DEVICE, O_RDWR | O_CLOEXEC);
		id = raw_get(fd, IPC_PRIVATE, 256 * w.page, 0600);
		p = raw_at(fd, id, NULL, 0, NULL);
		nth = nth_open();
		if (fd < 0 || id < 0 || p == MAP_FAILED || nth < 0)
			_exit(1);
		touch_pages(p, 256 * w.page);
		nth_arm(nth, n);
		_exit(0);
	}
	if (waitid(P_PID, pid, &info, WEXITED | WNOWAIT))
		BAD("waitid: %s\n", strerror(errno));
	snprintf(path, sizeof(path), "/proc/%d/fail-nth", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
		BAD("%s: %s\n", path, strerror(errno));
	close(fd);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		BAD("child failed to set up: status %#x\n", status);
	*reached = strtoul(buf, NULL, 10) == 0;
	*ret = 0;
	*err = 0;
	return 0;
}

/*
 * Every operation swept, in order: PLAIN ones in this process, NS ones in
 * a child that enters a new IPC namespace first.
 */
#define PLAIN(name_, errs_, prepare_, call_, verify_) {			\
	.name = name_, .errnos = errs_, .prepare = prepare_,		\
	.call = call_, .verify = verify_,				\
}

#define NS(name_, want_, errs_, first_) {				\
	.name = name_, .want = want_, .errnos = errs_, .run = run_ns,	\
	.first = first_,						\
}

static const struct op ops[] = {
	PLAIN("create_private", get_errs, prep_none, call_create_private,
	      verify_create),
	PLAIN("create_keyed", get_errs, prep_key, call_create_keyed,
	      verify_create),
	PLAIN("create_creator", get_errs, prep_key, call_create_creator,
	      verify_create_creator),
	PLAIN("create_ttl", get_errs, prep_key, call_create_ttl,
	      verify_create_ttl),
	PLAIN("lookup", efault, prep_seg_snap, call_lookup, verify_lookup),
	PLAIN("ipc_stat", efault, prep_seg_snap, call_stat, verify_same),
	PLAIN("attachers", ioctl_errs, prep_attached_snap, call_attachers,
	      verify_same),
	PLAIN("watch", watch_errs, prep_none, call_watch, verify_watch),
	PLAIN("ipc_set", efault, prep_set, call_set, verify_set),
	PLAIN("ipc_rmid", efault, prep_seg_snap, call_rmid, verify_rmid),
	PLAIN("ipc_rmid_attached", efault, prep_attached_snap, call_rmid,
	      verify_rmid),
	PLAIN("ipc_rmid_locked", efault, prep_locked_snap, call_rmid,
	      verify_rmid),
	PLAIN("shm_lock", ioctl_errs, prep_lock, call_lock, verify_lock_other),
	PLAIN("shm_unlock", efault, prep_locked_snap, call_unlock,
	      verify_lock),
	PLAIN("attach_ioctl", at_errs, prep_seg_snap, call_at, verify_attach),
	PLAIN("attach_mmap", enomem, prep_seg_snap, call_mmap, verify_attach),
	PLAIN("detach_ioctl", at_errs, prep_attached_snap, call_dt,
	      verify_detach),
	PLAIN("detach_munmap", enomem, prep_attached_snap, call_munmap,
	      verify_detach),
	PLAIN("detach_ioctl_split", at_errs, prep_split_snap, call_dt,
	      verify_detach),
	PLAIN("detach_ioctl_holed", at_errs, prep_holed, call_dt,
	      verify_holed),
	PLAIN("split_mprotect", enomem, prep_attached_snap, call_mprotect,
	      verify_mprotect),
	PLAIN("split_munmap", enomem, prep_attached_snap, call_munmap_head,
	      verify_munmap_head),
	PLAIN("detach_ioctl_headless", at_errs, prep_headless, call_dt,
	      verify_headless),
	PLAIN("mremap_move", enomem, prep_mremap, call_mremap, verify_mremap),
	PLAIN("mremap_grow", enomem, prep_attached_snap, call_mremap_grow,
	      verify_mremap_grow),
	PLAIN("remap_file_pages", enomem, prep_attached_snap, call_remap,
	      verify_remap),
	PLAIN("fork_attached", enomem, prep_fork, call_fork, verify_fork),
	PLAIN("version", efault, prep_none, call_version, verify_none),
	PLAIN("listing", read_errs, prep_seg_snap, call_listing, verify_listing),
	NS("ns_first_open", 0, get_errs, NS_OPEN),
	NS("ns_first_get", 0, get_errs, NS_GET),
	NS("ns_first_stat", EINVAL, ioctl_errs, NS_CTL),
	NS("ns_first_attach", EINVAL, ioctl_errs, NS_AT),
	NS("ns_first_mmap", EINVAL, enomem, NS_MMAP),
	{ .name = "ns_teardown", .errnos = enomem, .run = run_ns_exit },
};

/* --- The sweep ---------------------------------------------------------- */

struct tally {
	unsigned int points;
	unsigned int enomem, enospc, efault, other;
	unsigned int recovered;		/* the fault was absorbed */
};

/* "N points (N ENOMEM, ..., N recovered)", zeros left out. */
static void describe(const struct tally *t, char *buf, size_t size)
{
	const struct { unsigned int n; const char *what; } parts[] = {
		{ t->enomem, "ENOMEM" }, { t->enospc, "ENOSPC" },
		{ t->efault, "EFAULT" }, { t->other, "other" },
		{ t->recovered, "recovered" },
	};
	size_t len = snprintf(buf, size, "%u point%s", t->points,
			      t->points == 1 ? "" : "s");
	const char *sep = " (";
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(parts) && len < size; i++) {
		if (!parts[i].n)
			continue;
		len += snprintf(buf + len, size - len, "%s%u %s", sep,
				parts[i].n, parts[i].what);
		sep = ", ";
	}
	if (*sep == ',' && len < size)
		snprintf(buf + len, size - len, ")");
}

static bool allowed(const struct op *op, int err)
{
	const int *e;

	for (e = op->errnos; *e; e++)
		if (*e == err)
			return true;
	return false;
}

static int run_plain(const struct op *op, unsigned int n, long *ret,
		     int *err, bool *reached)
{
	struct step s = { .id = -1 };
	int bad;

	if (op->prepare(&s)) {
		clean_seg(&s);
		return -1;
	}
	fflush(NULL);
	nth_arm(w.nth, n);
	errno = 0;
	*ret = op->call(&s);
	*err = errno;
	*reached = nth_reached(w.nth);
	bad = op->verify(&s, *ret);
	clean_seg(&s);
	return bad;
}

/* One step at n; returns -1 when it found something wrong. */
static int step(const struct op *op, unsigned int n, struct tally *t,
		bool *reached)
{
	long ret;
	int err, bad;

	bad = (op->run ? op->run : run_plain)(op, n, &ret, &err, reached);
	if (n == 0)
		*reached = false;	/* fail-nth reads 0 when never armed */
	err = ret < 0 ? err : 0;
	if (err != op->want && !*reached) {
		ksft_print_msg("%s: n=%u: got %s without a fault, want %s\n",
			       op->name, n, err ? strerror(err) : "success",
			       op->want ? strerror(op->want) : "success");
		bad = -1;
	}
	if (err != op->want && *reached && !allowed(op, err)) {
		ksft_print_msg("%s: n=%u: failed with %s\n", op->name, n,
			       strerror(err));
		bad = -1;
	}
	if (!op->run && check_empty())
		bad = -1;
	if (kmsg_splats()) {
		ksft_print_msg("%s: n=%u: the kernel log has errors\n",
			       op->name, n);
		bad = -1;
	}
	if (bad)
		ksft_print_msg("%s: n=%u: not clean\n", op->name, n);
	if (!*reached)
		return bad;
	t->points++;
	if (err == op->want)
		t->recovered++;
	else if (err == ENOMEM)
		t->enomem++;
	else if (err == ENOSPC)
		t->enospc++;
	else if (err == EFAULT)
		t->efault++;
	else
		t->other++;
	return bad;
}

static void sweep(const struct op *op)
{
	struct tally t = { 0 };
	unsigned int n, bad = 0;
	bool reached = true;
	char what[128];

	/* Once without a fault: it must work, and its pages get touched. */
	if (step(op, 0, &t, &reached)) {
		ksft_test_result_fail("%s: fails without a fault\n", op->name);
		return;
	}
	reached = true;
	for (n = 1; n <= MAX_POINTS && reached; n++)
		if (step(op, n, &t, &reached))
			bad++;
	if (reached) {
		ksft_test_result_fail("%s: still reaching point %u\n", op->name,
				      MAX_POINTS);
		return;
	}
	describe(&t, what, sizeof(what));
	if (bad)
		ksft_test_result_fail("%s: %s, %u not clean\n", op->name, what,
				      bad);
	else
		ksft_test_result_pass("%s: %s, all clean\n", op->name, what);
}

/* The namespace ops leave their segments to the reaper: they must go. */
static void check_reaped(long shmem_before)
{
	long now = wait_shmem_at_most(shmem_before + SLACK_KB, 20);

	if (now > shmem_before + SLACK_KB)
		ksft_test_result_fail("ns_reaped: Shmem %ld kB, was %ld kB\n",
				      now, shmem_before);
	else
		ksft_test_result_pass("ns_reaped: Shmem %ld kB, was %ld kB\n",
				      now, shmem_before);
}

/* Returns why the sweep cannot run here, or NULL. */
static const char *setup(void)
{
	const char *why;
	char buf[32];

	if (access("/proc/thread-self/fail-nth", F_OK))
		return "no /proc/thread-self/fail-nth (kernel without CONFIG_FAULT_INJECTION)";
	if (geteuid() != 0)
		return "needs root for the fault-injection attributes";
	if (access(DEBUGFS "/failslab", F_OK))
		mount("debugfs", DEBUGFS, "debugfs", 0, NULL);
	w.fd = open(SHMIPC_DEVICE, O_RDWR | O_CLOEXEC);
	if (w.fd < 0)
		return "cannot open " SHMIPC_DEVICE " (is the module loaded?)";
	close(w.fd);
	if (unshare(CLONE_NEWIPC))
		return "cannot make an IPC namespace";
	w.fd = open(SHMIPC_DEVICE, O_RDWR | O_CLOEXEC);
	w.nth = nth_open();
	w.kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (w.fd < 0 || w.nth < 0 || w.kmsg < 0)
		return "cannot open the device, fail-nth or /dev/kmsg";
	lseek(w.kmsg, 0, SEEK_END);
	if (read_param("shmmni", w.shmmni, sizeof(w.shmmni)) ||
	    read_param("shmall", w.shmall, sizeof(w.shmall)) ||
	    read_param("ipcmni", buf, sizeof(buf)))
		return "cannot read the module's parameters";
	w.idx_bits = __builtin_ctzl(strtoul(buf, NULL, 10));
	why = knobs_set();
	if (why)
		return why;
	w.page = page_size();
	w.seg_size = 3 * w.page + 1;
	w.seg_len = 4 * w.page;
	w.key = (key_t)(0x5f000000u | ((unsigned int)getpid() & 0xffffu) << 8);
	report = mmap(NULL, sizeof(*report), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (report == MAP_FAILED)
		return "cannot map the children's report";
	return NULL;
}

/* Does injection work at all? One copy and one allocation, failed. */
static void self_test(void)
{
	struct shmipc_version v;
	int fd;

	nth_arm(w.nth, 1);
	errno = 0;
	if (ioctl(w.fd, SHMIPC_IOC_VERSION, &v) != -1 || errno != EFAULT ||
	    !nth_reached(w.nth))
		ksft_exit_fail_msg("fail-nth=1 did not fail a copy to user space\n");
	nth_arm(w.nth, 1);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 || errno != ENOMEM || !nth_reached(w.nth))
		ksft_exit_fail_msg("fail-nth=1 did not fail an allocation: %s\n",
				   fd >= 0 ? "open succeeded" : strerror(errno));
}

int main(void)
{
	const char *why;
	long shmem;
	unsigned int i;

	ksft_print_header();
	why = setup();
	if (why) {
		ksft_set_plan(1);
		ksft_test_result_skip("fault_sweep: %s\n", why);
		ksft_finished();
	}
	ksft_set_plan(ARRAY_SIZE(ops) + 1);
	self_test();
	if (check_empty())
		ksft_exit_fail_msg("the new namespace is not empty\n");
	shmem = shmem_kb();
	for (i = 0; i < ARRAY_SIZE(ops); i++)
		sweep(&ops[i]);
	check_reaped(shmem);
	ksft_finished();
}

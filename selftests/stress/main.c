// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_stress: P processes x T threads doing random shmipc operations on
 * a small key space, so that they collide: get (create, exclusive,
 * private, lookup), IPC_STAT, IPC_SET, IPC_RMID, attach by ioctl and by
 * mmap (read-write and read-only, at kernel-chosen and fixed addresses),
 * detach, partial munmap, mprotect, mremap, and children that fork while
 * attached, check that a read-only attachment faults, detach in a copied
 * address space, or unshare the IPC namespace; and every other mm call a
 * user can aim at an attachment (mm.c says which, and what it checks:
 * nattch against the VMAs of every process, no write through a read-only
 * attachment by any path).
 *
 *   shmipc_stress [-s SEED] [-n OPS | -t SECONDS] [-p PROCS] [-T THREADS]
 *                 [-k KEYS] [-m] [-x OP,...]
 *
 * Every call either succeeds or fails with an errno its race allows (the
 * per-op lists below); anything else is a violation. What can be checked is
 * checked: every segment has a fixed size per key, so sizes and STAT are
 * exact; each thread owns a 128-byte slot at the start of every segment
 * and writes a (writer, key, id, value) record into it under a sequence
 * lock, and every reader of any attachment checks every slot it can see,
 * so a peer's write is read back by the others, and the rest of a segment
 * must stay zero. Fixed-address attachments live in per-thread scratch
 * regions at addresses the kernel never picks for mmap(NULL), so that what
 * a detach left mapped can be checked with mincore().
 *
 * At the end every segment is removed, the key space and the ids seen must
 * be empty, and with -m Shmem in /proc/meminfo must come back to within 64
 * pages of where it started. Exit 0 only when every check held.
 */
#define SHMIPC_EVENTS_HERE
#include "stress.h"

struct cfg cfg = { .ops = 0, .procs = 2, .threads = 2, .keys = 8 };
/* How often each operation is drawn, per thousand or so. */
unsigned int op_weights[OP_NR] = {
	[OP_GET_CREAT] = 80, [OP_GET_CREAT0] = 10, [OP_GET_EXCL] = 30,
	[OP_GET_PRIVATE] = 20, [OP_GET_LOOKUP] = 40, [OP_GET_TOOBIG] = 10,
	[OP_STAT] = 70, [OP_SET] = 30, [OP_LOCK] = 8, [OP_RMID] = 40,
	[OP_AT_RW] = 60,
	[OP_AT_RO] = 30, [OP_AT_FIXED] = 35, [OP_MMAP_RW] = 40,
	[OP_MMAP_RO] = 20, [OP_MPROTECT_RO] = 15, [OP_MPROTECT_SPLIT] = 15,
	[OP_DT] = 110, [OP_MUNMAP_PART] = 30, [OP_REMAP_HEAD] = 15,
	[OP_MREMAP_MOVE] = 20, [OP_MREMAP_GROW] = 15, [OP_WRITE] = 120,
	[OP_VERIFY] = 100, [OP_FORK_TOUCH] = 8, [OP_FORK_SEGV] = 4,
	[OP_FORK_DT] = 4, [OP_UNSHARE] = 4,
	[OP_RFP] = 12, [OP_MPROTECT_ANY] = 12, [OP_MREMAP_DONTUNMAP] = 6,
	[OP_MUNMAP_PIECE] = 12, [OP_MADVISE] = 25, [OP_MLOCK] = 8,
	[OP_MBIND] = 6, [OP_MSYNC] = 8, [OP_PROCESS_VM] = 10, [OP_PROC_MEM] = 8,
	[OP_O_DIRECT] = 8, [OP_VMSPLICE] = 8, [OP_FORK_MADVISE] = 5,
	[OP_RO_WRITE] = 12, [OP_LISTING] = 4,
};

size_t pg;
int nrecs;
int32_t key_base;
uid_t my_uid;
gid_t my_gid;
uint64_t deadline;
struct report *rep;
struct idlog *idlog;
struct inolog *inolog;
__thread sigjmp_buf *volatile op_jb;
__thread void *fault_addr;

/* ---- threads and processes -------------------------------------------- */

static bool thread_done(struct thr *t)
{
	if (deadline)
		return (t->ops_done & 15) == 0 && now_ns() >= deadline;
	return t->ops_done >= cfg.ops / (uint64_t)(cfg.procs * cfg.threads) +
				(uint64_t)(t->gidx < (int)(cfg.ops % (uint64_t)(cfg.procs * cfg.threads)));
}

static void run_op(struct thr *t, enum op op)
{
	switch (op) {
	case OP_GET_CREAT: case OP_GET_CREAT0: case OP_GET_EXCL:
	case OP_GET_PRIVATE: case OP_GET_LOOKUP: case OP_GET_TOOBIG:
		op_get(t, op);
		break;
	case OP_STAT: op_stat(t); break;
	case OP_SET: op_set(t); break;
	case OP_LOCK: op_lock(t); break;
	case OP_RMID: op_rmid(t); break;
	case OP_AT_RW: case OP_AT_RO: case OP_AT_FIXED:
		op_attach(t, op);
		break;
	case OP_MMAP_RW: case OP_MMAP_RO:
		op_mmap(t, op);
		break;
	case OP_MPROTECT_RO: op_mprotect_ro(t); break;
	case OP_MPROTECT_SPLIT: op_mprotect_split(t); break;
	case OP_DT: op_dt(t); break;
	case OP_MUNMAP_PART: op_munmap_part(t); break;
	case OP_REMAP_HEAD: op_remap_head(t); break;
	case OP_MREMAP_MOVE: op_mremap_move(t); break;
	case OP_MREMAP_GROW: op_mremap_grow(t); break;
	case OP_WRITE: op_write(t); break;
	case OP_VERIFY: op_verify(t); break;
	/* Forks hold fork_lock (mm.c) while their child lives. */
	case OP_FORK_TOUCH: case OP_FORK_SEGV: case OP_FORK_DT: case OP_UNSHARE:
		pthread_rwlock_rdlock(&fork_lock);
		if (op == OP_FORK_TOUCH)
			op_fork_touch(t);
		else if (op == OP_FORK_SEGV)
			op_fork_segv(t);
		else if (op == OP_FORK_DT)
			op_fork_dt(t);
		else
			op_unshare(t);
		pthread_rwlock_unlock(&fork_lock);
		break;
	case OP_RFP: op_rfp(t); break;
	case OP_MPROTECT_ANY: op_mprotect_any(t); break;
	case OP_MREMAP_DONTUNMAP: op_mremap_dontunmap(t); break;
	case OP_MUNMAP_PIECE: op_munmap_piece(t); break;
	case OP_MADVISE: op_madvise(t); break;
	case OP_MLOCK: op_mlock(t); break;
	case OP_MBIND: op_mbind(t); break;
	case OP_MSYNC: op_msync(t); break;
	case OP_PROCESS_VM: op_process_vm(t); break;
	case OP_PROC_MEM: op_proc_mem(t); break;
	case OP_O_DIRECT: op_o_direct(t); break;
	case OP_VMSPLICE: op_vmsplice(t); break;
	case OP_FORK_MADVISE: op_fork_madvise(t); break;
	case OP_RO_WRITE: op_ro_write(t); break;
	case OP_LISTING: op_listing(t); break;
	default: break;
	}
}

/* Which attachment a fault hit: it was unmapped under us. */
static void fault_seen(struct thr *t, enum op op, int sig)
{
	char *addr = fault_addr;
	int i;

	for (i = 0; i < t->natt; i++) {
		struct att *a = &t->att[i];

		if (addr >= a->addr && addr < a->addr + a->len) {
			violation(t, op, "signal %d at %p in attachment %p+%zu of id %d: unmapped under us",
				  sig, (void *)addr, (void *)a->addr, a->len, a->seg.id);
			explain(a->addr, a->len);
			a->gone = true;
			return;
		}
	}
	violation(t, op, "signal %d at %p, in no attachment of ours", sig, (void *)addr);
	explain((void *)((uintptr_t)addr & ~(pg - 1)), pg);
}

static void run_guarded(struct thr *t, enum op op)
{
	sigjmp_buf jb;
	int sig = sigsetjmp(jb, 1);

	if (sig) {
		op_jb = NULL;
		fault_seen(t, op, sig);
		return;
	}
	op_jb = &jb;
	run_op(t, op);
	op_jb = NULL;
}

static void *thread_main(void *arg)
{
	struct thr *t = arg;
	int i;

	t->scratch = mmap((void *)(SCRATCH_BASE + (uintptr_t)t->gidx * SCRATCH_STRIDE),
			  NR_SLOTS * SLOT_SPAN, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE,
			  -1, 0);
	if (t->scratch == MAP_FAILED) {
		perror("mmap scratch");
		exit(2);
	}
	mm_thread_init(t);
	while (!thread_done(t)) {
		drop_gone(t);
		run_guarded(t, (enum op)rnd_weighted(&t->rnd, op_weights, OP_NR));
		t->ops_done++;
	}
	/* All still attached, all paused: nattch against every process's VMAs. */
	checkpoint(t);
	mm_thread_fini(t);
	/* Leave nothing behind: every attachment, every private segment. */
	while (t->natt)
		detach_att(t, 0);
	while (t->npriv)
		op_rmid_seg(t, &t->priv[0]);
	munmap(t->scratch, NR_SLOTS * SLOT_SPAN);
	for (i = 0; i < OP_NR; i++)
		op_count_add(&rep->ops[i], &t->cnt[i]);
	return NULL;
}

/* Mappings of shmipc segments show as their shmem file, /shmipcKKKKKKKK. */
static bool maps_line_is_segment(const char *line)
{
	const char *p = strstr(line, " /shmipc");

	return p && strspn(p + 8, "0123456789abcdef") == 8;
}

static int leaked_mappings(int proc)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (maps_line_is_segment(line)) {
			line[strcspn(line, "\n")] = 0;
			report_violation(rep, OP_CLEANUP, "p%d: still mapped after cleanup: %s",
					 proc, line);
			n++;
		}
	fclose(f);
	return n;
}

/*
 * A fault during an operation goes back to its start (run_guarded), to be
 * reported as the attachment it hit; anywhere else it is a crash of the
 * program itself, said where before dying. (op_jb is volatile: the stores
 * around an operation must not be optimized away.)
 */

static void on_crash(int sig, siginfo_t *si, void *uc)
{
	char msg[128];
	int n;

	if (op_jb) {
		fault_addr = si->si_addr;
		siglongjmp(*op_jb, sig);
	}
	n = snprintf(msg, sizeof(msg), "shmipc_stress: signal %d at %p, ip %#llx\n", sig,
			 si->si_addr,
			 (unsigned long long)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP]);

	if (write(2, msg, (size_t)n) < 0)
		n = 0;
	/* Dying anyway: what touched that page lately may tell why. */
	explain((void *)((uintptr_t)si->si_addr & ~(pg - 1)), pg);
	fflush(stdout);
	signal(sig, SIG_DFL);
}

static void worker(int proc)
{
	struct sigaction sa = { .sa_sigaction = on_crash, .sa_flags = SA_SIGINFO };
	struct thr *thr = calloc((size_t)cfg.threads, sizeof(*thr));
	pthread_t *tid = calloc((size_t)cfg.threads, sizeof(*tid));
	int fd = open(SHMIPC_DEVICE, O_RDWR | O_CLOEXEC), i;

	if (!thr || !tid || fd < 0) {
		perror("worker setup");
		exit(2);
	}
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	inolog->pids[proc] = getpid();
	for (i = 0; i < cfg.threads; i++) {
		struct thr *t = &thr[i];

		t->proc = proc;
		t->idx = i;
		t->gidx = proc * cfg.threads + i;
		t->fd = fd;
		rnd_seed(&t->rnd, cfg.seed, (uint64_t)t->gidx + 1);
		if (pthread_create(&tid[i], NULL, thread_main, t)) {
			fprintf(stderr, "pthread_create failed\n");
			exit(2);
		}
	}
	for (i = 0; i < cfg.threads; i++)
		pthread_join(tid[i], NULL);
	leaked_mappings(proc);
	close(fd);
	exit(0);
}

/* ---- the parent ------------------------------------------------------- */

static long shmem_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Shmem: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

static void final_violation(const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report_violation(rep, OP_CLEANUP, "cleanup: %s", msg);
}

/*
 * Remove every segment: all keys, then every id ever seen. Before that,
 * every private segment must already be gone: its creator removed it and
 * every process that mapped it has exited.
 */
static void cleanup(int fd)
{
	struct op_count *c = &rep->ops[OP_CLEANUP];
	uint64_t n = idlog->n < IDLOG_MAX ? idlog->n : IDLOG_MAX, i;
	struct shmipc_ds ds;
	int k, id, tries;

	for (i = 0; i < n; i++) {
		if (idlog->e[i].key != SHMIPC_IPC_PRIVATE)
			continue;
		c->calls++;
		/* (An id may have come back for a keyed segment after a wrap.) */
		if (sys_ctl(fd, idlog->e[i].id, SHMIPC_IPC_STAT, &ds) == 0 && !ds.perm.key)
			final_violation("private id %d outlived its creator (nattch %llu mode %#o)",
					idlog->e[i].id, (unsigned long long)ds.nattch,
					ds.perm.mode);
		else if (sys_ctl(fd, idlog->e[i].id, SHMIPC_IPC_STAT, &ds) && errno != EINVAL)
			final_violation("stat private id %d: %s", idlog->e[i].id,
					errno_name(errno));
		else
			c->ok++;
	}
	for (k = 0; k < cfg.keys; k++) {
		for (tries = 0; tries < 4; tries++) {
			c->calls++;
			id = sys_get(fd, key_of(k), 0, 0);
			if (id < 0) {
				if (errno != ENOENT)
					final_violation("lookup key %#x: %s",
							(unsigned int)key_of(k), errno_name(errno));
				else
					c->ok++;
				break;
			}
			c->ok++;
			c->calls++;
			if (sys_ctl(fd, id, SHMIPC_IPC_RMID, NULL))
				final_violation("rmid id %d of key %#x: %s", id,
						(unsigned int)key_of(k), errno_name(errno));
			else
				c->ok++;
		}
	}
	for (i = 0; i < n; i++)
		sys_ctl(fd, idlog->e[i].id, SHMIPC_IPC_RMID, NULL);
	/* Nothing may be left: no key, no id. */
	for (k = 0; k < cfg.keys; k++) {
		c->calls++;
		if (sys_get(fd, key_of(k), 0, 0) >= 0 || errno != ENOENT)
			final_violation("key %#x still there after cleanup",
					(unsigned int)key_of(k));
		else
			c->ok++;
	}
	for (i = 0; i < n; i++) {
		c->calls++;
		if (sys_ctl(fd, idlog->e[i].id, SHMIPC_IPC_STAT, &ds) == 0 || errno != EINVAL)
			final_violation("id %d still there after cleanup (nattch %llu)",
					idlog->e[i].id, (unsigned long long)ds.nattch);
		else
			c->ok++;
	}
}

/*
 * Frees are asynchronous (the namespace reaper runs once a second, fput
 * may be deferred): wait up to 5 s for Shmem to come all the way back;
 * within 64 pages of where it started passes.
 */
static bool shmem_came_back(long before)
{
	long slack = (long)(64 * pg / 1024), now = -1;
	uint64_t start = now_ns();
	int i;

	for (i = 0; i < 50; i++) {
		now = shmem_kb();
		if (now >= 0 && now <= before)
			break;
		usleep(100000);
	}
	printf("Shmem: %ld kB before, %ld kB after cleanup (%+ld kB, %.1f s later; %ld kB allowed)\n",
	       before, now, now - before, (double)(now_ns() - start) / 1e9, slack);
	return now >= 0 && now <= before + slack;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-s SEED] [-n OPS | -t SECONDS] [-p PROCS] [-T THREADS] [-k KEYS] [-m]\n"
		"       [-x OP,...]\n"
		"  -s SEED     random seed (default: from the clock; printed)\n"
		"  -n OPS      operations in all (default 20000)\n"
		"  -t SECONDS  run for this long instead\n"
		"  -p PROCS    processes (default 2)\n"
		"  -T THREADS  threads per process (default 2)\n"
		"  -k KEYS     keys shared by all (default 8, at most 200)\n"
		"  -m          check Shmem in /proc/meminfo comes back after cleanup\n"
		"  -x OP,...   leave these operations out (names as in the summary)\n",
		prog);
	exit(2);
}

/* -x: leave out what does not matter for a reproducer, or a known bug. */
static void exclude_ops(char *list, const char *prog)
{
	const char *bad = ops_exclude(list, op_names, OP_CLEANUP, op_weights);

	if (bad) {
		fprintf(stderr, "%s: no operation %s\n", prog, bad);
		usage(prog);
	}
}

static void parse_args(int argc, char **argv)
{
	bool seeded = false;
	int c;

	while ((c = getopt(argc, argv, "s:n:t:p:T:k:mx:h")) != -1) {
		switch (c) {
		case 'x': exclude_ops(optarg, argv[0]); break;
		case 's': cfg.seed = strtoull(optarg, NULL, 0); seeded = true; break;
		case 'n': cfg.ops = strtoull(optarg, NULL, 0); break;
		case 't': cfg.secs = strtod(optarg, NULL); break;
		case 'p': cfg.procs = atoi(optarg); break;
		case 'T': cfg.threads = atoi(optarg); break;
		case 'k': cfg.keys = atoi(optarg); break;
		case 'm': cfg.meminfo = true; break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc || cfg.procs < 1 || cfg.threads < 1 ||
	    cfg.procs * cfg.threads > 256 || cfg.keys < 1 || cfg.keys > 200 ||
	    cfg.secs < 0 || (cfg.ops && cfg.secs > 0))
		usage(argv[0]);
	if (!cfg.ops && cfg.secs <= 0)
		cfg.ops = 20000;
	if (!seeded)
		cfg.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);
}

int main(int argc, char **argv)
{
	struct shmipc_version v = { 0 };
	long shmem_before = 0;
	uint64_t start, end;
	int fd, p, rc;
	double secs;
	pid_t *pids;

	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	pg = (size_t)sysconf(_SC_PAGESIZE);
	nrecs = cfg.procs * cfg.threads;
	my_uid = geteuid();
	my_gid = getegid();
	key_base = 0x5d000000 + (int32_t)((cfg.seed * 2654435761ULL) & 0xffff) * 256;

	fd = open(SHMIPC_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("shmipc_stress: SKIP: open %s: %s\n", SHMIPC_DEVICE, strerror(errno));
		return KSFT_SKIP;
	}
	if (ioctl(fd, SHMIPC_IOC_VERSION, &v) || v.abi_version != SHMIPC_ABI_VERSION) {
		printf("shmipc_stress: FAIL: SHMIPC_IOC_VERSION: abi %u (%s)\n",
		       v.abi_version, strerror(errno));
		return 1;
	}
	rep = shared_alloc(sizeof(*rep));
	idlog = shared_alloc(sizeof(*idlog));
	inolog = shared_alloc(sizeof(*inolog));
	printf("shmipc_stress: seed %#llx, %s %g, %d procs x %d threads, %d keys from %#x\n",
	       (unsigned long long)cfg.seed, cfg.ops ? "ops" : "seconds",
	       cfg.ops ? (double)cfg.ops : cfg.secs, cfg.procs, cfg.threads, cfg.keys,
	       (unsigned int)key_base);
	if (cfg.meminfo)
		shmem_before = shmem_kb();

	pids = calloc((size_t)cfg.procs, sizeof(*pids));
	start = now_ns();
	if (cfg.secs > 0)
		deadline = start + (uint64_t)(cfg.secs * 1e9);
	for (p = 0; p < cfg.procs; p++) {
		pids[p] = fork();
		if (pids[p] < 0) {
			perror("fork");
			return 2;
		}
		if (!pids[p])
			worker(p);
	}
	for (p = 0; p < cfg.procs; p++) {
		rc = reap(pids[p]);
		if (rc)
			final_violation("worker %d %s %d", p,
					rc < 0 ? "killed by signal" : "exited with", rc < 0 ? -rc : rc);
	}
	end = now_ns();
	secs = (double)(end - start) / 1e9;

	cleanup(fd);
	close(fd);
	if (cfg.meminfo && !shmem_came_back(shmem_before))
		final_violation("Shmem did not come back within 64 pages");

	report_print(rep, op_names, OP_NR, secs);
	printf("shmipc_stress: %.1f s, %llu ids seen, %llu violations: %s\n", secs,
	       (unsigned long long)idlog->n, (unsigned long long)rep->violations,
	       rep->violations ? "FAIL" : "PASS");
	return rep->violations ? 1 : 0;
}

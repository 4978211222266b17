// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_fuzz: random calls at /dev/shmipc from several threads at once.
 *
 *   shmipc_fuzz [-s SEED] [-n CALLS] [-T THREADS] [-x OP,...]
 *
 * ioctl command numbers around ours (every size, direction, number and
 * magic variation, random words), random struct contents (flags, sizes
 * 0 and huge, negative keys, ids negative, huge and stale, reserved and
 * pad fields), hostile argument pointers (NULL, kernel addresses,
 * misaligned, a struct straddling into a PROT_NONE page, memory another
 * thread unmaps meanwhile), and mmap of the device with random offsets,
 * lengths, flags and protections, then mprotect, munmap, mremap and
 * madvise on what it got, and every other mm call with random arguments
 * (mmcalls.c), and the namespace's kernel.shm* limits changed meanwhile
 * (limits.c). As root the fuzzer works in an IPC namespace of its own, and
 * one more process does the same as nobody, for the EACCES and EPERM paths.
 *
 * Every result must be success or an errno the ABI documents for that
 * call; where the arguments decide the outcome (unknown command, bad
 * pointer, bad flags, nonzero reserved field, MAP_PRIVATE, a read-only
 * attachment made writable) only that outcome is allowed. Anything else
 * is a violation, printed at the end. Exit 0 only when there was none.
 *
 * Safety of the fuzzer itself: everything it maps at a fixed address
 * (MAP_FIXED, SHM_REMAP, mremap targets) lies in per-thread scratch
 * regions at addresses mmap(NULL) never picks, and SHM_REMAP is only used
 * for segments whose size STAT showed to be small, so no call can clobber
 * the program's own memory. Memory that other threads unmap meanwhile
 * holds records whose every field, read in any mix, is harmless.
 *
 * When a mapping of ours vanishes, the recent map/unmap/detach events over
 * its range are printed (explain()): they name the call that took it.
 */
#define SHMIPC_EVENTS_HERE
#include "fuzz.h"

struct cfg cfg = { .calls = 1000000, .threads = 4 };
unsigned int fop_weights[F_NR] = {
	[F_RANDCMD] = 12, [F_VERSION] = 2, [F_GET] = 16, [F_CTL] = 14,
	[F_AT] = 10, [F_DT] = 8, [F_HOSTILE] = 8, [F_VICTIM_IOCTL] = 5,
	[F_MMAP] = 8, [F_MPROTECT] = 4, [F_MUNMAP] = 4, [F_MREMAP] = 3,
	[F_MADVISE] = 6, [F_TOUCH] = 3, [F_CHURN] = 2,
	[F_RFP] = 4, [F_MLOCK] = 3, [F_MSYNC] = 2, [F_MBIND] = 2, [F_PVM] = 3,
	[F_PROCMEM] = 3, [F_VMSPLICE] = 3, [F_ODIRECT] = 2, [F_FORK] = 1,
	[F_ROPROBE] = 3, [F_LISTING] = 2, [F_LIMITS] = 1, [F_ATTACHERS] = 4,
	[F_WATCH] = 4,
};

size_t pg;
int fd_rw, fd_ro;
int32_t key_base;
uint64_t shmmax = ~0ULL - (1ULL << 24);
struct report *rep;
struct shared *sh;
__thread sigjmp_buf *volatile probe_jb;
__thread int probe_code;

/* ---- faults ------------------------------------------------------------ */

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	char msg[128];
	int n;

	if (probe_jb) {
		probe_code = si->si_code;
		siglongjmp(*probe_jb, sig);
	}
	/* A real crash of the fuzzer: say where, then fault again and die. */
	n = snprintf(msg, sizeof(msg), "shmipc_fuzz: signal %d at %p, ip %#llx\n", sig,
		     si->si_addr, (unsigned long long)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP]);
	if (write(2, msg, (size_t)n) < 0)
		n = 0;
	signal(sig, SIG_DFL);
}

/* Read (and write) one byte; returns 0, or the signal it raised. */
int probe(char *p, bool write)
{
	sigjmp_buf jb;
	int sig = sigsetjmp(jb, 1);

	if (sig) {
		probe_jb = NULL;
		return sig;
	}
	probe_jb = &jb;
	if (write)
		*(volatile char *)p = (char)(*(volatile char *)p + 1);
	else
		(void)*(volatile char *)p;
	probe_jb = NULL;
	return 0;
}

/* What /proc/self/maps says about @addr, for a violation's message. */
void maps_describe(const void *addr, char *out, size_t size)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long from, to, a = (unsigned long)(uintptr_t)addr;
	char line[300];

	snprintf(out, size, "unmapped");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &from, &to) == 2 && from <= a && a < to) {
			line[strcspn(line, "\n")] = 0;
			line[size - 1 < sizeof(line) ? size - 1 : sizeof(line) - 1] = 0;
			memcpy(out, line, strlen(line) + 1);
			break;
		}
	fclose(f);
}

/* ---- accounting -------------------------------------------------------- */

bool __attribute__((format(printf, 5, 6)))
tally(struct fthr *t, enum fop op, long rc, const int *allowed,
      const char *fmt, ...)
{
	int err = errno, counted = op_count_call(&t->cnt[op], rc, err, allowed);
	char ctx[180];
	va_list ap;

	if (counted >= 0)
		return counted;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	report_violation(rep, op, "%s t%d %s: %s (%s)", t->unpriv ? "nobody" : "root",
			 t->idx, fop_names[op], errno_name(err), ctx);
	return false;
}

void __attribute__((format(printf, 3, 4)))
violation(struct fthr *t, enum fop op, const char *fmt, ...)
{
	char ctx[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	report_violation(rep, op, "%s t%d %s: %s", t->unpriv ? "nobody" : "root",
			 t->idx, fop_names[op], ctx);
}


/* ---- threads ----------------------------------------------------------- */

pthread_rwlock_t mm_lock = PTHREAD_RWLOCK_INITIALIZER;
struct fthr *fthreads;
int nfthreads;

static void run(struct fthr *t, enum fop op)
{
	switch (op) {
	case F_RANDCMD: op_randcmd(t); break;
	case F_VERSION: op_version(t); break;
	case F_GET: op_get(t); break;
	case F_CTL: op_ctl(t); break;
	case F_AT: op_at(t); break;
	case F_HOSTILE: op_hostile(t); break;
	case F_VICTIM_IOCTL: op_victim_ioctl(t); break;
	case F_MMAP: op_mmap(t); break;
	case F_MPROTECT: op_mprotect(t); break;
	case F_MUNMAP: op_munmap(t); break;
	case F_MREMAP: op_mremap(t); break;
	case F_MADVISE: op_madvise(t); break;
	case F_TOUCH: op_touch(t); break;
	case F_CHURN: op_churn(t); break;
	case F_RFP: op_rfp(t); break;
	case F_MLOCK: op_mlock(t); break;
	case F_MSYNC: op_msync(t); break;
	case F_MBIND: op_mbind(t); break;
	case F_PVM: op_pvm(t); break;
	case F_PROCMEM: op_procmem(t); break;
	case F_VMSPLICE: op_vmsplice(t); break;
	case F_ODIRECT: op_odirect(t); break;
	case F_FORK: op_fork(t); break;
	case F_ROPROBE: op_roprobe(t); break;
	case F_LISTING: op_listing(t); break;
	case F_LIMITS: op_limits(t); break;
	case F_ATTACHERS: op_attachers(t); break;
	case F_WATCH: op_watch(t); break;
	default: break;
	}
}

static void *thread_main(void *arg)
{
	struct fthr *t = arg;
	int i;

	t->scratch = mmap((void *)(SCRATCH_BASE + (uintptr_t)t->idx * SCRATCH_STRIDE),
			  SCRATCH_SIZE - pg, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
	t->buf = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->scratch == MAP_FAILED || t->buf == MAP_FAILED ||
	    mprotect(t->buf + pg, pg, PROT_NONE)) {
		perror("thread setup");
		exit(2);
	}
	mmcalls_init(t);
	t->watch_fd = -1;
	while (t->calls > 0) {
		enum fop op = (enum fop)rnd_weighted(&t->rnd, fop_weights, F_NR);

		if (op == F_DT) {
			op_dt(t);	/* takes mm_lock as its address asks */
		} else {
			if (op == F_RFP)
				pthread_rwlock_wrlock(&mm_lock);
			else
				pthread_rwlock_rdlock(&mm_lock);
			run(t, op);
			pthread_rwlock_unlock(&mm_lock);
		}
		t->calls--;
	}
	mmcalls_fini(t);
	while (t->nmaps)
		map_unmap(t, t->nmaps - 1);
	munmap(t->scratch, SCRATCH_SIZE);
	while (t->nids)
		rmid(t, t->ids[t->nids - 1].id);
	for (i = 0; i < F_NR; i++)
		op_count_add(&rep->ops[i], &t->cnt[i]);
	return NULL;
}

static bool maps_line_is_segment(const char *line)
{
	const char *p = strstr(line, " /shmipc");

	return p && strspn(p + 8, "0123456789abcdef") == 8;
}

/* Unmap every segment mapping still in the address space; returns how many. */
static int unmap_leftovers(void)
{
	unsigned long from[256], to[256];
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0, i;

	if (!f)
		return 0;
	while (n < 256 && fgets(line, sizeof(line), f))
		if (maps_line_is_segment(line) &&
		    sscanf(line, "%lx-%lx", &from[n], &to[n]) == 2)
			n++;
	fclose(f);
	for (i = 0; i < n; i++)
		munmap((void *)from[i], to[i] - from[i]);
	return n;
}

/* All threads of one process, @calls between them; returns leftovers unmapped. */
static int fuzz_process(uint64_t calls, int nthreads, int first_idx, bool unpriv)
{
	struct fthr *thr = calloc((size_t)nthreads, sizeof(*thr));
	pthread_t *tid = calloc((size_t)nthreads, sizeof(*tid));
	struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO | SA_NODEFER };
	int i, n, total = 0;

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	fthreads = thr;
	nfthreads = nthreads;
	/* The victim pages: shared by all threads, replaced by all. */
	if (mmap((void *)VICTIM_BASE, VICTIM_PAGES * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == MAP_FAILED) {
		perror("mmap victim");
		exit(2);
	}
	for (i = 0; i < nthreads; i++) {
		thr[i].idx = first_idx + i;
		thr[i].unpriv = unpriv;
		thr[i].calls = calls / (uint64_t)nthreads + (i < (int)(calls % (uint64_t)nthreads));
		rnd_seed(&thr[i].rnd, cfg.seed, (uint64_t)thr[i].idx + 1);
		if (pthread_create(&tid[i], NULL, thread_main, &thr[i])) {
			fprintf(stderr, "pthread_create failed\n");
			exit(2);
		}
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(tid[i], NULL);
	munmap((void *)VICTIM_BASE, VICTIM_PAGES * pg);
	munmap((void *)VSCRATCH_BASE, VSCRATCH_SIZE);
	/* Attachments made through victim memory: their addresses were lost. */
	while ((n = unmap_leftovers()) > 0)
		total += n;
	free(thr);
	free(tid);
	return total;
}

/* As root: one process more, as nobody, for the permission paths. */
static pid_t start_unprivileged(uint64_t calls)
{
	pid_t pid;

	if (geteuid() != 0)
		return 0;
	pid = fork();
	if (pid)
		return pid;
	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534)) {
		perror("dropping privileges");
		_exit(2);
	}
	fuzz_process(calls, 1, cfg.threads, true);
	_exit(0);
}

/* ---- the end: nothing of ours may be left ------------------------------ */

static void cleanup(uint64_t *left)
{
	struct op_count *c = &rep->ops[F_CLEANUP];
	uint64_t n = sh->nlog < IDLOG_MAX ? sh->nlog : IDLOG_MAX, i;
	struct shmipc_get g = { 0 };
	struct shmipc_ds ds;
	int k, id, tries;

	*left = 0;
	for (i = 0; i < n; i++) {
		c->calls++;
		if (ctl_raw(sh->idlog[i], SHMIPC_IPC_RMID, NULL) == 0) {
			c->ok++;
			(*left)++;
		}
	}
	for (k = 0; k < 64; k++) {
		for (tries = 0; tries < 4; tries++) {
			g.key = key_base + k;
			c->calls++;
			id = ioctl(fd_rw, SHMIPC_IOC_GET, &g);
			if (id < 0)
				break;
			c->ok++;
			(*left)++;
			ctl_raw(id, SHMIPC_IPC_RMID, NULL);
		}
		if (ioctl(fd_rw, SHMIPC_IOC_GET, &g) >= 0 || errno != ENOENT)
			report_violation(rep, F_CLEANUP, "cleanup: key %#x still there",
					 (unsigned int)g.key);
	}
	for (i = 0; i < n; i++) {
		c->calls++;
		if (ctl_raw(sh->idlog[i], SHMIPC_IPC_STAT, &ds) == 0 || errno != EINVAL)
			report_violation(rep, F_CLEANUP,
					 "cleanup: id %d still there after removal (nattch %llu mode %#o)",
					 sh->idlog[i], (unsigned long long)ds.nattch, ds.perm.mode);
		else
			c->ok++;
	}
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-s SEED] [-n CALLS] [-T THREADS] [-x OP,...]\n"
		"  -s SEED     random seed (default: from the clock; printed)\n"
		"  -n CALLS    calls in all (default 1000000)\n"
		"  -T THREADS  threads (default 4); as root one more process runs as nobody\n"
		"  -x OP,...   leave these operations out (names as in the summary)\n",
		prog);
	exit(2);
}

/* -x: leave out what does not matter for a reproducer, or a known bug. */
static void exclude_ops(char *list, const char *prog)
{
	const char *bad = ops_exclude(list, fop_names, F_NR, fop_weights);

	if (bad) {
		fprintf(stderr, "%s: no operation %s\n", prog, bad);
		usage(prog);
	}
}

static void read_shmmax(void)
{
	FILE *f = fopen("/sys/module/shmipc/parameters/shmmax", "r");
	unsigned long long v;

	if (!f)
		return;
	if (fscanf(f, "%llu", &v) == 1)
		shmmax = v;
	fclose(f);
}

int main(int argc, char **argv)
{
	struct shmipc_version v = { 0 };
	uint64_t start, left, unpriv_calls;
	bool seeded = false;
	int c, leftovers, rc;
	pid_t child;
	double secs;

	while ((c = getopt(argc, argv, "s:n:T:x:h")) != -1) {
		switch (c) {
		case 'x': exclude_ops(optarg, argv[0]); break;
		case 's': cfg.seed = strtoull(optarg, NULL, 0); seeded = true; break;
		case 'n': cfg.calls = strtoull(optarg, NULL, 0); break;
		case 'T': cfg.threads = atoi(optarg); break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc || cfg.threads < 1 || cfg.threads > 64)
		usage(argv[0]);
	if (!seeded)
		cfg.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);
	setvbuf(stdout, NULL, _IOLBF, 0);
	pg = (size_t)sysconf(_SC_PAGESIZE);
	key_base = 0x4b000000 + (int32_t)((cfg.seed * 2654435761ULL) & 0xffff) * 256;
	read_shmmax();
	/*
	 * As root, a namespace of our own: its limits are ours to change
	 * (limits.c), and the nobody process shares it.
	 */
	if (geteuid() == 0 && unshare(CLONE_NEWIPC)) {
		printf("shmipc_fuzz: FAIL: unshare(CLONE_NEWIPC): %s\n", strerror(errno));
		return 1;
	}
	limits_init();

	fd_rw = open(SHMIPC_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd_rw < 0) {
		printf("shmipc_fuzz: SKIP: open %s: %s\n", SHMIPC_DEVICE, strerror(errno));
		return KSFT_SKIP;
	}
	fd_ro = open(SHMIPC_DEVICE, O_RDONLY | O_CLOEXEC);
	if (fd_ro < 0 || ioctl(fd_rw, SHMIPC_IOC_VERSION, &v) ||
	    v.abi_version != SHMIPC_ABI_VERSION) {
		printf("shmipc_fuzz: FAIL: device setup: abi %u (%s)\n", v.abi_version,
		       strerror(errno));
		return 1;
	}
	rep = shared_alloc(sizeof(*rep));
	sh = shared_alloc(sizeof(*sh));
	printf("shmipc_fuzz: seed %#llx, %llu calls, %d threads%s, keys from %#x\n",
	       (unsigned long long)cfg.seed, (unsigned long long)cfg.calls, cfg.threads,
	       geteuid() == 0 ? " + 1 as nobody" : "", (unsigned int)key_base);

	start = now_ns();
	unpriv_calls = geteuid() == 0 ? cfg.calls / (uint64_t)(cfg.threads + 1) : 0;
	child = start_unprivileged(unpriv_calls);
	leftovers = fuzz_process(cfg.calls - unpriv_calls, cfg.threads, 0, false);
	if (child > 0) {
		int status;

		waitpid(child, &status, 0);
		rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (rc)
			report_violation(rep, F_CLEANUP, "unprivileged process ended with %d", rc);
	}
	secs = (double)(now_ns() - start) / 1e9;
	cleanup(&left);

	report_print(rep, fop_names, F_NR, secs);
	printf("shmipc_fuzz: %.1f s, %.0f calls/s, %llu ids seen, %d lost attachments unmapped, %llu segments removed at the end, %llu violations: %s\n",
	       secs, (double)cfg.calls / secs, (unsigned long long)sh->nlog, leftovers,
	       (unsigned long long)left, (unsigned long long)rep->violations,
	       rep->violations ? "FAIL" : "PASS");
	return rep->violations ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * shmipc_bench figure 10: copying a file from one process to another
 * with the tools a user would reach for, timed whole: from starting the
 * two processes to both having exited, the copy on disk (tmpfs, in /tmp).
 *
 *   shmipc (shmcp)  `shmcp recv -k KEY OUT` and `shmcp send -k KEY IN`,
 *                   started together (shmcp's default 4 MiB segment)
 *   cat | cat       `cat IN | cat > OUT`: two processes and a pipe
 *   memcpy          the same number of bytes copied between two buffers
 *                   already faulted in, in one process: the ceiling
 *
 * The tools are found on PATH (in the VM, /opt/shmipc/bin has shmcp) and
 * started with posix_spawnp(); a tool that is not on PATH fails its row
 * and says so. The file is 32 MiB (quick: 4 MiB), made once per figure:
 * big enough that start-up is a few percent of a copy, small enough that
 * the figure takes half a minute a kernel under TCG;
 * each copy writes a new OUT (the last one is removed first), whose size
 * is checked. A tool's stderr goes to a file whose first line is the
 * row's reason if it fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define MIB	(1UL << 20)

extern char **environ;

static size_t file_size;
static char in_path[64], out_path[64], err_path[64];
static char why_buf[96];
static unsigned int key_seq;

static int fail(struct bench_ctx *ctx, const char *why)
{
	ctx->why = why;
	return -1;
}

/* 1 if an executable `name` is in a directory of PATH. */
static int on_path(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	char file[512];

	for (p = path ? path : "/usr/bin:/bin"; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		/* An empty entry is the current directory. */
		if (end == p)
			snprintf(file, sizeof(file), "./%s", name);
		else
			snprintf(file, sizeof(file), "%.*s/%s", (int)(end - p), p, name);
		if (!access(file, X_OK))
			return 1;
	}
	return 0;
}

static int need_tool(struct bench_ctx *ctx, const char *name)
{
	if (on_path(name))
		return 0;
	snprintf(why_buf, sizeof(why_buf), "%s is not on PATH", name);
	errno = ENOENT;
	return fail(ctx, why_buf);
}

/* Starts argv with stdin in_fd and stdout out_fd (-1: as ours), stderr the file. */
static pid_t spawn(char *const argv[], int in_fd, int out_fd)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t dfl;
	pid_t pid;
	int err;

	if ((err = posix_spawnattr_init(&attr))) {
		errno = err;
		return -1;
	}
	/* main() ignores SIGPIPE; the tools get it back, as from a shell. */
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
	if ((err = posix_spawn_file_actions_init(&fa))) {
		posix_spawnattr_destroy(&attr);
		errno = err;
		return -1;
	}
	if (in_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO);
	if (out_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err_path,
					 O_WRONLY | O_CREAT | O_APPEND, 0600);
	err = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (err) {
		errno = err;
		return -1;
	}
	return pid;
}

/* Waits for pid; 0 if it exited 0, else -1 with why_buf saying how. */
static int reap(pid_t pid, const char *what, int *bad)
{
	char line[80] = "";
	int status;
	FILE *f;

	if (waitpid(pid, &status, 0) < 0)
		status = -1;
	if (status == 0 || *bad)
		return status ? -1 : 0;
	*bad = 1;
	f = fopen(err_path, "r");
	if (f) {
		if (fgets(line, sizeof(line), f))
			line[strcspn(line, "\n")] = 0;
		fclose(f);
	}
	if (WIFEXITED(status))
		snprintf(why_buf, sizeof(why_buf), "%s exited %d (%s)", what,
			 WEXITSTATUS(status), line);
	else
		snprintf(why_buf, sizeof(why_buf), "%s killed by signal %d", what,
			 WIFSIGNALED(status) ? WTERMSIG(status) : -1);
	errno = ECHILD;
	return -1;
}

/* The copy must be whole. */
static int check_out(struct bench_ctx *ctx)
{
	struct stat st;

	if (stat(out_path, &st))
		return fail(ctx, "stat of the copy");
	if ((size_t)st.st_size != file_size) {
		errno = EIO;
		snprintf(why_buf, sizeof(why_buf), "the copy has %lld bytes of %zu",
			 (long long)st.st_size, file_size);
		return fail(ctx, why_buf);
	}
	return 0;
}

static int tool_setup(struct bench_ctx *ctx, long n)
{
	(void)n;
	unlink(out_path);
	unlink(err_path);
	return need_tool(ctx, ctx->arg);
}

static void tool_teardown(struct bench_ctx *ctx)
{
	(void)ctx;
	unlink(out_path);
	unlink(err_path);
}

static int64_t shmcp_run(struct bench_ctx *ctx, long n)
{
	int64_t t0 = now_ns();
	char key[16];

	while (n--) {
		char *recv_argv[] = { "shmcp", "recv", "-k", key, out_path, NULL };
		char *send_argv[] = { "shmcp", "send", "-k", key, in_path, NULL };
		pid_t r, s;
		int bad = 0;

		/* A key of its own per copy: never one a failed copy left. */
		snprintf(key, sizeof(key), "0x%x", 0x62000000u |
			 ((unsigned int)getpid() & 0xffff) << 8 | (key_seq++ & 0xff));
		r = spawn(recv_argv, -1, -1);
		if (r < 0)
			return fail(ctx, "posix_spawnp shmcp");
		s = spawn(send_argv, -1, -1);
		if (s < 0) {
			kill(r, SIGTERM);
			waitpid(r, NULL, 0);
			return fail(ctx, "posix_spawnp shmcp");
		}
		if ((reap(s, "shmcp send", &bad) | reap(r, "shmcp recv", &bad)) < 0)
			return fail(ctx, why_buf);
		if (check_out(ctx))
			return -1;
	}
	return now_ns() - t0;
}

static int64_t cat_run(struct bench_ctx *ctx, long n)
{
	int64_t t0 = now_ns();

	while (n--) {
		char *in_argv[] = { "cat", in_path, NULL };
		char *out_argv[] = { "cat", NULL };
		int p[2], out, bad = 0;
		pid_t a, b;

		out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (out < 0)
			return fail(ctx, "open of the copy");
		if (pipe2(p, O_CLOEXEC)) {
			close(out);
			return fail(ctx, "pipe");
		}
		a = spawn(in_argv, -1, p[1]);
		b = a < 0 ? -1 : spawn(out_argv, p[0], out);
		close(p[0]);
		close(p[1]);
		close(out);
		if (a < 0 || b < 0) {
			if (a > 0)
				waitpid(a, NULL, 0);
			return fail(ctx, "posix_spawnp cat");
		}
		if ((reap(a, "cat IN", &bad) | reap(b, "cat > OUT", &bad)) < 0)
			return fail(ctx, why_buf);
		if (check_out(ctx))
			return -1;
	}
	return now_ns() - t0;
}

/* The input: file_size bytes of a pattern that is not all one byte. */
static int make_input(void)
{
	unsigned char *buf = malloc(MIB);
	size_t i, done;
	int fd, ok = 1;

	if (!buf)
		return -1;
	for (i = 0; i < MIB; i++)
		buf[i] = (unsigned char)(i * 2654435761u >> 13);
	fd = open(in_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(buf);
		return -1;
	}
	for (done = 0; ok && done < file_size; done += MIB)
		ok = write(fd, buf, MIB) == (ssize_t)MIB;
	free(buf);
	if (close(fd) || !ok) {
		unlink(in_path);
		return -1;
	}
	return 0;
}

int fig_shmcp(void)
{
	static const struct bench_row rows[] = {
		{ "shmipc (shmcp)", tool_setup, shmcp_run, tool_teardown, "shmcp" },
		{ "cat | cat", tool_setup, cat_run, tool_teardown, "cat" },
		/* fig_memcpy.c's row, copying file_size bytes. */
		{ "memcpy", copy_setup, copy_run, copy_teardown, &file_size },
	};
	struct bench_result res[3];
	char title[96];
	int i, bad;

	file_size = (opts.quick ? 4 : 32) * MIB;
	snprintf(in_path, sizeof(in_path), "/tmp/shmipc_bench.%d.in", (int)getpid());
	snprintf(out_path, sizeof(out_path), "/tmp/shmipc_bench.%d.out", (int)getpid());
	snprintf(err_path, sizeof(err_path), "/tmp/shmipc_bench.%d.err", (int)getpid());
	snprintf(title, sizeof(title),
		 "10. copy of a %zu MiB file to another process: shmcp vs cat | cat",
		 file_size / MIB);
	if (make_input()) {
		printf("\n%s\n  FAILED: making %s: %s\n", title, in_path, strerror(errno));
		return 1;
	}
	bench_measure(rows, 3, 1, 1, res);
	unlink(in_path);
	bad = bench_print(title, "per copy", rows, 3, res);
	for (i = 0; i < 3; i++) {
		if (!res[i].failed && bench_median(&res[i]) > 0)
			printf("  %-14s %9.0f MB/s (median)\n", rows[i].name,
			       file_size * 1e3 / bench_median(&res[i]));
	}
	return bad;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The host test harness: see harness.h.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define DEFAULT_TIMEOUT	30
#define EXIT_SKIP	77

/* Shared with the test's child process, which writes its skip reason here. */
static char *skip_reason;
static const char *current;

int harness_skip(const char *reason)
{
	snprintf(skip_reason, 256, "%s", reason);
	fflush(stdout);
	_exit(EXIT_SKIP);
}

struct timespec harness_in_ms(long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	} else if (ts.tv_nsec < 0) {
		ts.tv_sec--;
		ts.tv_nsec += 1000000000;
	}
	return ts;
}

long harness_ms_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 +
	       (now.tv_nsec - start->tv_nsec) / 1000000;
}

void harness_msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void harness_note(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("# %s: %s:%d: ", current, file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static bool selected(int argc, char **argv, const char *name)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return true;
	return false;
}

/* Runs one test in a child; returns true if it passed or was skipped. */
static bool run_one(const struct harness_test *t)
{
	int status;
	pid_t pid;

	current = t->name;
	skip_reason[0] = '\0';
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("# %s: fork: %s\nnot ok %s\n", t->name, strerror(errno), t->name);
		return false;
	}
	if (pid == 0) {
		alarm(t->timeout ? t->timeout : DEFAULT_TIMEOUT);
		exit(t->fn() ? EXIT_FAILURE : EXIT_SUCCESS);
	}

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			printf("# %s: waitpid: %s\nnot ok %s\n", t->name, strerror(errno), t->name);
			return false;
		}
	}

	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_SUCCESS) {
		printf("ok %s\n", t->name);
		return true;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_SKIP) {
		printf("ok %s # SKIP %s\n", t->name, skip_reason);
		return true;
	}
	if (WIFSIGNALED(status))
		printf("# %s: killed by signal %d (%s)%s\n", t->name, WTERMSIG(status),
		       strsignal(WTERMSIG(status)),
		       WTERMSIG(status) == SIGALRM ? ": timed out" : "");
	printf("not ok %s\n", t->name);
	return false;
}

int harness_main(int argc, char **argv, const struct harness_test *tests, size_t count)
{
	bool all_passed = true;

	skip_reason = mmap(NULL, 256, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (skip_reason == MAP_FAILED) {
		perror("mmap");
		return 2;
	}

	for (size_t i = 0; i < count; i++)
		if (selected(argc, argv, tests[i].name) && !run_one(&tests[i]))
			all_passed = false;
	fflush(stdout);
	return all_passed ? 0 : 1;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small test harness for the host tests: each test runs in a child
 * process of its own, under a time limit, so that a crash or a hang fails
 * that test alone, and library state (the cached device descriptor) starts
 * fresh in every test.
 *
 * It prints one line per test, "ok NAME", "not ok NAME" or
 * "ok NAME # SKIP reason", with "# " lines of detail before a failure;
 * tests/run.sh numbers them and counts. The exit status is 1 if any test
 * failed.
 */
#ifndef SHMIPC_TEST_HARNESS_H
#define SHMIPC_TEST_HARNESS_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct harness_test {
	const char *name;
	int (*fn)(void);	/* 0: pass; nonzero: fail; or harness_skip() */
	unsigned int timeout;	/* seconds; 0: the default (30) */
};

#define TEST(fn)		{ #fn, fn, 0 }
#define TEST_SLOW(fn, secs)	{ #fn, fn, secs }

/* Runs the tests named in argv (all if none); returns the exit status. */
int harness_main(int argc, char **argv, const struct harness_test *tests, size_t count);

/* Marks the running test skipped; return its result from the test. */
int harness_skip(const char *reason) __attribute__((noreturn));

/* Prints "# file:line: message" for the running test. */
void harness_note(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define NOTE(...)	harness_note(__FILE__, __LINE__, __VA_ARGS__)

/* Fail the test unless cond holds. */
#define CHECK(cond) do {						\
	if (!(cond)) {							\
		NOTE("check failed: %s", #cond);			\
		return 1;						\
	}								\
} while (0)

/* Fail the test unless expr is the failure value fail with errno err. */
#define CHECK_FAILS(expr, fail, err) do {				\
	errno = 0;							\
	long long check_ret_ = (long long)(intptr_t)(expr);	\
	int check_errno_ = errno;					\
	if (check_ret_ != (long long)(fail) || check_errno_ != (err)) {	\
		NOTE("%s: returned %lld errno %d (%s), wanted %lld errno %d (%s)", \
		     #expr, check_ret_, check_errno_,			\
		     strerror(check_errno_), (long long)(fail), (err),	\
		     strerror(err));					\
		return 1;						\
	}								\
} while (0)

/* Fail the test unless expr returns 0. */
#define CHECK_OK(expr) do {						\
	errno = 0;							\
	long long check_ret_ = (long long)(intptr_t)(expr);	\
	if (check_ret_ != 0) {						\
		NOTE("%s: returned %lld errno %d (%s), wanted 0", #expr, \
		     check_ret_, errno, strerror(errno));		\
		return 1;						\
	}								\
} while (0)

struct timespec;

/* The CLOCK_REALTIME time ms milliseconds from now: a deadline for *timed*(). */
struct timespec harness_in_ms(long ms);

/* Milliseconds on CLOCK_MONOTONIC since *start. */
long harness_ms_since(const struct timespec *start);

/* Sleeps ms milliseconds, through signals. */
void harness_msleep(long ms);

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#endif /* SHMIPC_TEST_HARNESS_H */

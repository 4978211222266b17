// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libshmipc: watches of segment events, and waiting for a key.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

_Static_assert(SHMIPC_EVENT_CREATED == SHMIPC_EV_CREATED, "event differs from the ABI");
_Static_assert(SHMIPC_EVENT_ATTACHED == SHMIPC_EV_ATTACHED, "event differs from the ABI");
_Static_assert(SHMIPC_EVENT_DETACHED == SHMIPC_EV_DETACHED, "event differs from the ABI");
_Static_assert(SHMIPC_EVENT_SET == SHMIPC_EV_SET, "event differs from the ABI");
_Static_assert(SHMIPC_EVENT_REMOVED == SHMIPC_EV_REMOVED, "event differs from the ABI");
_Static_assert(SHMIPC_EVENT_DESTROYED == SHMIPC_EV_DESTROYED, "event differs from the ABI");
_Static_assert(SHMIPC_EVENT_OVERFLOW == SHMIPC_EV_OVERFLOW, "event differs from the ABI");
_Static_assert(SHMIPC_EVENT_RDONLY == SHMIPC_ATTACHER_RDONLY, "flag differs from the ABI");
_Static_assert(SHMIPC_EVENT_LIFETIME == SHMIPC_EV_LIFETIME, "flag differs from the ABI");
_Static_assert(SHMIPC_EVENT_FORK == SHMIPC_EV_FORK, "flag differs from the ABI");

static int watch(__u32 scope, key_t key, int shmid, unsigned int events, int flags)
{
	struct shmipc_watch w = {
		.scope = scope, .key = key, .id = shmid, .events = events,
	};

	if (flags & ~(O_NONBLOCK | O_CLOEXEC)) {
		errno = EINVAL;
		return -1;
	}
	if (flags & O_NONBLOCK)
		w.flags |= SHMIPC_WATCH_NONBLOCK;
	if (flags & O_CLOEXEC)
		w.flags |= SHMIPC_WATCH_CLOEXEC;
	/* The ioctl's result is the new descriptor. */
	return libshmipc_ioctl(SHMIPC_IOC_WATCH, &w);
}

int shmipc_watch_key(key_t key, unsigned int events, int flags)
{
	return watch(SHMIPC_WATCH_KEY, key, 0, events, flags);
}

int shmipc_watch_id(int shmid, unsigned int events, int flags)
{
	return watch(SHMIPC_WATCH_ID, 0, shmid, events, flags);
}

int shmipc_watch_all(unsigned int events, int flags)
{
	return watch(SHMIPC_WATCH_NS, 0, 0, events, flags);
}

int shmipc_read_event(int fd, struct shmipc_event_info *event)
{
	struct shmipc_event_info out = { 0 };
	struct shmipc_event rec;
	ssize_t n;

	/* EFAULT before the record is taken, which would lose it. */
	if (libshmipc_copy_out(event, &out, sizeof(out)))
		return -1;
	n = read(fd, &rec, sizeof(rec));
	if (n < 0)
		return -1;
	if (n != sizeof(rec)) {
		errno = EIO;
		return -1;
	}
	out = (struct shmipc_event_info){
		.type = rec.type,
		.flags = rec.flags,
		.shmid = rec.id,
		.key = rec.key,
		.pid = rec.pid,
		.count = (long long)rec.count,
		.time_ns = rec.time_ns,
	};
	return libshmipc_copy_out(event, &out, sizeof(out));
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The watch is made before the key is looked up, so a segment made in
 * between is seen either way.
 */
int shmipc_wait_key(key_t key, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	struct shmipc_event_info ev;
	int fd, id, err, saved_errno = errno, left;
	struct pollfd p;

	fd = shmipc_watch_key(key, SHMIPC_EVENT_MASK(SHMIPC_EVENT_CREATED),
			      O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (;;) {
		id = shmipc_get(key, 0, 0);
		if (id >= 0 || errno != ENOENT)
			break;
		left = timeout_ms < 0 ? -1 : (int)(deadline - now_ms());
		if (timeout_ms >= 0 && left <= 0) {
			errno = ETIMEDOUT;
			break;
		}
		p = (struct pollfd){ .fd = fd, .events = POLLIN };
		if (poll(&p, 1, left) < 0)
			break;
		/* Whatever came (the creation, or an overflow): look again. */
		while (shmipc_read_event(fd, &ev) == 0)
			;
	}
	err = errno;
	close(fd);
	errno = id >= 0 ? saved_errno : err;
	return id;
}

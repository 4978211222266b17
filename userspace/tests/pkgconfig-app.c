// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A user's program, built by tests/test-install.sh against the installed
 * library through pkg-config only. Exits 0 if the calls behave: a segment
 * or ENOSYS (no module on the build host), and a working semaphore.
 */
#include <errno.h>
#include <stdio.h>

#include <shmipc.h>

int main(void)
{
	shmipc_sem_t sem;
	int id, value;

	id = shmipc_get(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	if (id >= 0)
		shmipc_ctl(id, IPC_RMID, NULL);
	else if (errno != ENOSYS)
		return 1;

	if (shmipc_sem_init(&sem, 1) || shmipc_sem_trywait(&sem) ||
	    shmipc_sem_post(&sem) || shmipc_sem_getvalue(&sem, &value) || value != 1)
		return 1;
	printf("linked and ran: %s\n", id >= 0 ? "module present" : "ENOSYS, no module");
	return 0;
}

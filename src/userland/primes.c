/*
 * The concurrent prime sieve: a chain of environments, each holding one
 * prime and passing on over IPC the numbers it does not divide. A stage is
 * forked when the first number gets through it. A 0 at the end of the
 * stream travels down the chain and ends every stage.
 */
#include <lib.h>

#define LAST 100

static void sieve(void)
{
	envid_t from;
	int p = ipc_recv(&from, 0, 0);
	if (p == 0)
		return;
	cprintf("%d\n", p);
	envid_t next = -1;
	for (;;) {
		int n = ipc_recv(&from, 0, 0);
		if (n == 0) {
			if (next > 0)
				ipc_send(next, 0, 0, 0);
			return;
		}
		if (n % p == 0)
			continue;
		if (next < 0) {
			next = fork();
			if (next < 0)
				panic("fork: %e", next);
			if (next == 0) {
				sieve();
				return;
			}
		}
		ipc_send(next, n, 0, 0);
	}
}

void umain(int argc, char **argv)
{
	envid_t first = fork();
	if (first < 0)
		panic("fork: %e", first);
	if (first == 0) {
		sieve();
		return;
	}
	for (int i = 2; i <= LAST; i++)
		ipc_send(first, i, 0, 0);
	ipc_send(first, 0, 0, 0);
}

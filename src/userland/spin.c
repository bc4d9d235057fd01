/* A child that spins forever: preemption must still let the parent run, and the parent kills it. */
#include <lib.h>

void umain(int argc, char **argv)
{
	cprintf("I am the parent.  Forking the child...\n");
	envid_t child = fork();
	if (child == 0) {
		cprintf("I am the child.  Spinning...\n");
		for (;;)
			;
	}
	cprintf("I am the parent.  Running the child...\n");
	for (int i = 0; i < 8; i++)
		sys_yield();
	cprintf("I am the parent.  Killing the child...\n");
	sys_env_destroy(child);
}

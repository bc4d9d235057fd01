/* A page-fault upcall without an exception stack: the kernel destroys us. */
#include <lib.h>

void _pgfault_upcall(void);

void umain(int argc, char **argv)
{
	sys_env_set_pgfault_upcall(0, (void *) _pgfault_upcall);
	*(volatile int *) 0 = 0;
}

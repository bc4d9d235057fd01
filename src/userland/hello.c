/* The first program: print, and show which environment we are. */
#include <lib.h>

void umain(int argc, char **argv)
{
	cprintf("hello, world\n");
	cprintf("i am environment %08x\n", thisenv->env_id);
}

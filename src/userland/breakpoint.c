/* A breakpoint trap from user mode: reported, and the environment destroyed. */
#include <lib.h>

void umain(int argc, char **argv)
{
	asm volatile("int $3");
}

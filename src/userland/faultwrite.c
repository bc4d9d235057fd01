/* Write to address 0, which is never mapped: the kernel destroys us. */
#include <lib.h>

void umain(int argc, char **argv)
{
	*(volatile unsigned *) 0 = 0;
}

/* Write kernel memory: mapped, but not for users. */
#include <lib.h>

void umain(int argc, char **argv)
{
	*(volatile unsigned *) 0xf0100000 = 0;
}

/* Ask the kernel to print kernel memory: sys_cputs must check the pointer and destroy us. */
#include <lib.h>

void umain(int argc, char **argv)
{
	sys_cputs((char *) 0xf010000c, 100);
}

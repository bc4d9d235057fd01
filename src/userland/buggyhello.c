/* Hand the kernel a pointer to unmapped memory: sys_cputs must refuse it and destroy us. */
#include <lib.h>

void umain(int argc, char **argv)
{
	sys_cputs((char *) 1, 1);
}

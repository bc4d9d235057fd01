/* sync: make the file server write every changed block to the disk. */
#include <lib.h>

void umain(int argc, char **argv)
{
	int r = sync();
	if (r < 0)
		printf("sync: %e\n", r);
}

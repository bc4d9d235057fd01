/* lsfd: list this environment's open file descriptors. */
#include <lib.h>

void umain(int argc, char **argv)
{
	struct Stat st;
	for (int i = 0; i < MAXFD; i++) {
		if (fstat(i, &st) < 0)
			continue;
		printf("fd %d: name %s isdir %d size %d dev %s\n", i, st.st_name, st.st_isdir, st.st_size, st.st_dev->dev_name);
	}
}

/* rm file...: remove files and empty directories. */
#include <lib.h>

void umain(int argc, char **argv)
{
	if (argc < 2) {
		printf("usage: rm file...\n");
		return;
	}
	for (int i = 1; i < argc; i++) {
		int r = remove(argv[i]);
		if (r < 0)
			printf("rm: %s: %e\n", argv[i], r);
	}
}

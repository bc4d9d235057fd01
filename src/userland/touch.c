/* touch file...: create empty files that do not exist yet. */
#include <lib.h>

void umain(int argc, char **argv)
{
	if (argc < 2) {
		printf("usage: touch file...\n");
		return;
	}
	for (int i = 1; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY | O_CREAT);
		if (fd < 0)
			printf("touch: %s: %e\n", argv[i], fd);
		else
			close(fd);
	}
}

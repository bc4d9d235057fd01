/* mkdir [-p] dir...: make directories (-p: with their parents, and no error if they exist). */
#include <lib.h>

static int mkdir_p(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		int r = mkdir(path);
		*p = '/';
		if (r < 0 && r != -E_FILE_EXISTS)
			return r;
	}
	int r = mkdir(path);
	return r == -E_FILE_EXISTS ? 0 : r;
}

void umain(int argc, char **argv)
{
	int i = 1;
	bool pflag = false;
	if (argc > 1 && strcmp(argv[1], "-p") == 0) {
		pflag = true;
		i++;
	}
	if (i >= argc) {
		printf("usage: mkdir [-p] dir...\n");
		return;
	}
	for (; i < argc; i++) {
		int r = pflag ? mkdir_p(argv[i]) : mkdir(argv[i]);
		if (r < 0)
			printf("mkdir: %s: %e\n", argv[i], r);
	}
}

/* mv from to: rename a file or directory, possibly into another directory. */
#include <lib.h>

void umain(int argc, char **argv)
{
	if (argc != 3) {
		printf("usage: mv from to\n");
		return;
	}
	char to[MAXPATHLEN];
	strlcpy(to, argv[2], sizeof(to));
	/* mv file dir: into the directory, under the same name. */
	struct Stat st;
	if (stat(argv[2], &st) == 0 && st.st_isdir) {
		const char *base = argv[1];
		for (const char *p = argv[1]; *p; p++)
			if (*p == '/' && p[1])
				base = p + 1;
		snprintf(to, sizeof(to), "%s/%s", argv[2], base);
	}
	int r = rename(argv[1], to);
	if (r < 0)
		printf("mv: %s to %s: %e\n", argv[1], to, r);
}

/* cat [file...]: copy the files (or standard input) to standard output. */
#include <lib.h>

static char buf[8192];

static void cat(int f, const char *s)
{
	long n;
	int r;
	while ((n = read(f, buf, sizeof(buf))) > 0)
		if ((r = write(1, buf, n)) != n) {
			printf("cat: write error copying %s: %e\n", s, r);
			exit();
		}
	if (n < 0)
		printf("cat: error reading %s: %e\n", s, n);
}

void umain(int argc, char **argv)
{
	binaryname = "cat";
	if (argc == 1) {
		cat(0, "<stdin>");
		return;
	}
	for (int i = 1; i < argc; i++) {
		int f = open(argv[i], O_RDONLY);
		if (f < 0) {
			printf("cat: %s: %e\n", argv[i], f);
			continue;
		}
		cat(f, argv[i]);
		close(f);
	}
}

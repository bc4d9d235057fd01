/* num [file...]: copy to standard output with each line numbered. */
#include <lib.h>

static int line;
static bool bol = true;

static void num(int f, const char *s)
{
	char c;
	long n;
	while ((n = read(f, &c, 1)) > 0) {
		if (bol) {
			printf("%5d ", ++line);
			bol = false;
		}
		if (write(1, &c, 1) != 1) {
			printf("num: write error copying %s\n", s);
			exit();
		}
		if (c == '\n')
			bol = true;
	}
	if (n < 0)
		printf("num: error reading %s: %e\n", s, n);
}

void umain(int argc, char **argv)
{
	if (argc == 1) {
		num(0, "<stdin>");
		return;
	}
	for (int i = 1; i < argc; i++) {
		int f = open(argv[i], O_RDONLY);
		if (f < 0) {
			printf("num: %s: %e\n", argv[i], f);
			continue;
		}
		num(f, argv[i]);
		close(f);
	}
}

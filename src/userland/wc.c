/* wc [file...]: count lines, words and bytes. */
#include <lib.h>

static char buf[4096];

static int wc(int fd, const char *name, bool show)
{
	int lines = 0, words = 0, bytes = 0, n;
	bool inword = false;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (int i = 0; i < n; i++) {
			char c = buf[i];
			bytes++;
			if (c == '\n')
				lines++;
			if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
				inword = false;
			} else if (!inword) {
				inword = true;
				words++;
			}
		}
	}
	if (n < 0) {
		printf("wc: reading %s: %e\n", name, n);
		return n;
	}
	printf("%7d %7d %7d", lines, words, bytes);
	if (show)
		printf(" %s", name);
	printf("\n");
	return 0;
}

void umain(int argc, char **argv)
{
	if (argc == 1) {
		wc(0, "", false);
		return;
	}
	for (int i = 1; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY);
		if (fd < 0) {
			printf("wc: %s: %e\n", argv[i], fd);
			continue;
		}
		wc(fd, argv[i], true);
		close(fd);
	}
}

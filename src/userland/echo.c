/* echo [-n] word...: print the words, separated by spaces; -n leaves out the newline. */
#include <lib.h>

static void put(const char *s, size_t n)
{
	ssize_t r = write(1, s, n);
	if (r != (ssize_t) n) {
		/* Standard output may be the file that failed: say so on the console. */
		cprintf("echo: write error: %e\n", r < 0 ? r : -E_NO_DISK);
		exit();
	}
}

void umain(int argc, char **argv)
{
	int i = 1;
	bool nflag = false;
	if (argc > 1 && strcmp(argv[1], "-n") == 0) {
		nflag = true;
		i++;
	}
	for (; i < argc; i++) {
		if (i > 1 + nflag)
			put(" ", 1);
		put(argv[i], strlen(argv[i]));
	}
	if (!nflag)
		put("\n", 1);
}

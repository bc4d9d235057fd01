/* Read a line from the console (fd 0) with echo and backspace, for the shell. */
#include <lib.h>

#define BUFLEN 1024
static char buf[BUFLEN];

/* NULL at the end of the input (ctrl-d, or a closed file), before any character. */
char *readline(const char *prompt)
{
	if (prompt)
		printf("%s", prompt);
	int i = 0;
	bool echo = iscons(0) > 0;
	for (;;) {
		int c = getchar();
		if (c < 0 || (c == 0 && !echo)) {
			if (c != -E_EOF && c != 0)
				printf("read error: %e\n", c);
			if (i == 0)
				return NULL;
			buf[i] = 0;
			return buf;
		}
		if ((c == '\b' || c == 0x7f) && i > 0) {
			if (echo)
				printf("\b \b");
			i--;
		} else if (c >= ' ' && i < BUFLEN - 1) {
			if (echo)
				cputchar(c);
			buf[i++] = c;
		} else if (c == '\n' || c == '\r') {
			if (echo)
				cputchar('\n');
			buf[i] = 0;
			return buf;
		}
	}
}

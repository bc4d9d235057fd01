/* Read a line from the console with echo and backspace, for the kernel monitor. */
#include <stdio.h>
#include "defs.h"

#define BUFLEN 1024
static char buf[BUFLEN];

char *readline(const char *prompt)
{
	int i = 0;
	if (prompt)
		cprintf("%s", prompt);
	for (;;) {
		int c = getchar();
		if (c < 0)
			return NULL;
		if ((c == '\b' || c == 0x7f) && i > 0) {
			cputchar('\b');
			i--;
		} else if (c >= ' ' && i < BUFLEN - 1) {
			cputchar(c);
			buf[i++] = c;
		} else if (c == '\n' || c == '\r') {
			cputchar('\n');
			buf[i] = 0;
			return buf;
		}
	}
}

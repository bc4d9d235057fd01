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

/*
 * Passwords. Like Unix getpass, which reads the terminal rather than
 * stdin, these read the kernel console itself (sys_cgetc), so the file
 * server, which has no descriptors, asks with the same code as a program.
 * Nothing typed is echoed; backspace deletes, a newline ends the line.
 */

/* Zeroes the compiler may not drop: a password should not outlive its use. */
void password_wipe(char *buf, size_t size)
{
	volatile char *p = buf;
	while (size--)
		*p++ = 0;
}

/* Show `prompt` and read one line without echo into buf (NUL-terminated); returns its length. */
int getpassword(const char *prompt, char *buf, size_t size)
{
	size_t n = 0;
	cprintf("%s", prompt);
	for (;;) {
		int c;
		while ((c = sys_cgetc()) == 0)
			sys_yield();
		if (c == '\n' || c == '\r' || c == 0x04 || c < 0)
			break;
		if (c == '\b' || c == 0x7f) {
			if (n > 0)
				n--;
		} else if (c >= ' ' && n + 1 < size) {
			buf[n++] = c;
		}
	}
	buf[n] = 0;
	cprintf("\n");
	return n;
}

/* A new password: asked twice until the two agree and it is not empty. */
int getnewpassword(char *buf, size_t size)
{
	char again[PASSWORD_MAX];
	for (;;) {
		int n = getpassword("New password for the disk: ", buf, size);
		if (n == 0) {
			cprintf("%s: an empty password is not allowed; try again\n", binaryname);
			continue;
		}
		int m = getpassword("New password again: ", again, sizeof again);
		bool same = m == n && memcmp(buf, again, n) == 0;
		password_wipe(again, sizeof again);
		if (same)
			return n;
		cprintf("%s: the two passwords differ; try again\n", binaryname);
		password_wipe(buf, size);
	}
}

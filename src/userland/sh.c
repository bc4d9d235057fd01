/*
 * sh: the shell. A command line is words, with
 *   < file     standard input from file
 *   > file     standard output to file (truncated)
 *   >> file    standard output appended to file
 *   a | b      a's output into b's input
 *   cmd &      run in the background: the prompt comes back at once
 *   a ; b      one after the other
 * and "quoted words". A command without a '/' runs /bin/NAME. Built in:
 * exit, and `cd`-less absolute paths (there is no current directory).
 *
 *   sh [-x] [script]   -x prints each command before running it; with a
 *                      script, commands come from that file (no prompt).
 */
#include <lib.h>

#define BUFSIZ 1024
#define MAXARGS 16
#define WHITESPACE " \t\r\n"
#define SYMBOLS "<|>&;()"

static bool debug;
static bool echocmds;

/*
 * Take the next token from the string being parsed (gettoken(s, 0) starts
 * on s). Returns 0 at the end, 'w' for a word (in *p1..*p2), or the symbol
 * character; '>' followed by '>' is returned as 'A' (append).
 */
static char *np1, *np2;
static int nc;

static int _gettoken(char *s, char **p1, char **p2)
{
	*p1 = 0;
	*p2 = 0;
	if (s == 0)
		return 0;
	while (*s && strchr(WHITESPACE, *s))
		*s++ = 0;
	if (*s == 0)
		return 0;
	if (*s == '"') {
		*s++ = 0;
		*p1 = s;
		while (*s && *s != '"')
			s++;
		if (*s == '"')
			*s++ = 0;
		*p2 = s;
		return 'w';
	}
	if (strchr(SYMBOLS, *s)) {
		int t = *s;
		*p1 = s;
		*s++ = 0;
		if (t == '>' && *s == '>') {
			*s++ = 0;
			t = 'A';
		}
		*p2 = s;
		return t;
	}
	*p1 = s;
	while (*s && !strchr(WHITESPACE SYMBOLS "\"", *s))
		s++;
	*p2 = s;
	return 'w';
}

static int gettoken(char *s, char **p1)
{
	if (s) {
		nc = _gettoken(s, &np1, &np2);
		return 0;
	}
	int c = nc;
	*p1 = np1;
	nc = _gettoken(np2, &np1, &np2);
	return c;
}

static void redirect(int fdnum, const char *path, int mode)
{
	int fd = open(path, mode);
	if (fd < 0) {
		printf("sh: open %s: %e\n", path, fd);
		exit();
	}
	if (fd != fdnum) {
		dup(fd, fdnum);
		close(fd);
	}
}

/*
 * Run one command (up to ';', '&' or the end) in this environment, which
 * is a child of the shell: it sets up redirections and pipes, spawns the
 * program and waits for it.
 */
static void runcmd(char *s)
{
	char *argv[MAXARGS], *t;
	int argc, c, p[2], r, pipe_child = 0;

	gettoken(s, 0);
again:
	argc = 0;
	for (;;) {
		switch ((c = gettoken(0, &t))) {
		case 'w':
			if (argc == MAXARGS - 1) {
				printf("sh: too many arguments\n");
				exit();
			}
			argv[argc++] = t;
			break;
		case '<':
			if (gettoken(0, &t) != 'w') {
				printf("sh: syntax error: < not followed by a word\n");
				exit();
			}
			redirect(0, t, O_RDONLY);
			break;
		case '>':
		case 'A':
			if (gettoken(0, &t) != 'w') {
				printf("sh: syntax error: > not followed by a word\n");
				exit();
			}
			redirect(1, t, O_WRONLY | O_CREAT | (c == 'A' ? O_APPEND : O_TRUNC));
			break;
		case '|':
			if ((r = pipe(p)) < 0) {
				printf("sh: pipe: %e\n", r);
				exit();
			}
			if ((r = fork()) < 0) {
				printf("sh: fork: %e\n", r);
				exit();
			}
			if (r == 0) {
				/* The right-hand side reads the pipe. */
				if (p[0] != 0) {
					dup(p[0], 0);
					close(p[0]);
				}
				close(p[1]);
				goto again;
			}
			pipe_child = r;
			if (p[1] != 1) {
				dup(p[1], 1);
				close(p[1]);
			}
			close(p[0]);
			goto runit;
		case 0:
			goto runit;
		default:
			printf("sh: syntax error: unexpected %c\n", c);
			exit();
		}
	}

runit:
	if (argc == 0) {
		if (debug)
			printf("EMPTY COMMAND\n");
		exit();
	}
	argv[argc] = 0;

	char path[MAXPATHLEN];
	if (strchr(argv[0], '/') == 0) {
		strcpy(path, "/bin/");
		strlcpy(path + 5, argv[0], sizeof(path) - 5);
	} else {
		strlcpy(path, argv[0], sizeof(path));
	}
	if (echocmds) {
		printf("#");
		for (int i = 0; argv[i]; i++)
			printf(" %s", argv[i]);
		printf("\n");
	}
	if ((r = spawn(path, (const char **) argv)) < 0)
		printf("sh: %s: %e\n", argv[0], r);
	close_all();
	if (r >= 0)
		wait(r);
	if (pipe_child)
		wait(pipe_child);
	exit();
}

/*
 * Split a line into commands at ';' and '&' (outside quotes). Each runs
 * in a forked child of the shell; the shell waits for it unless it ended
 * in '&'.
 */
static void runline(char *buf)
{
	while (*buf) {
		char *s = buf;
		bool quoted = false;
		while (*s && (quoted || (*s != ';' && *s != '&'))) {
			if (*s == '"')
				quoted = !quoted;
			s++;
		}
		char sep = *s;
		if (*s)
			*s++ = 0;

		char *p = buf;
		while (*p && strchr(WHITESPACE, *p))
			p++;
		if (*p == 0 || *p == '#') {
			buf = s;
			continue;
		}
		if (strncmp(p, "exit", 4) == 0 && (p[4] == 0 || strchr(WHITESPACE, p[4])))
			exit();

		int r = fork();
		if (r < 0) {
			printf("sh: fork: %e\n", r);
			return;
		}
		if (r == 0)
			runcmd(p);
		if (sep == '&')
			printf("[%08x]\n", r);
		else
			wait(r);
		buf = s;
	}
}

static void usage(void)
{
	printf("usage: sh [-x] [command-file]\n");
	exit();
}

void umain(int argc, char **argv)
{
	struct Argstate args;
	argstart(&argc, argv, &args);
	int c;
	while ((c = argnext(&args)) >= 0) {
		switch (c) {
		case 'd':
			debug = true;
			break;
		case 'x':
			echocmds = true;
			break;
		default:
			usage();
		}
	}
	if (argc > 2)
		usage();
	bool interactive = true;
	if (argc == 2) {
		close(0);
		int r = open(argv[1], O_RDONLY);
		if (r < 0) {
			printf("sh: open %s: %e\n", argv[1], r);
			exit();
		}
		if (r != 0) {
			printf("sh: script opened as fd %d, not 0\n", r);
			exit();
		}
		interactive = false;
	} else {
		interactive = iscons(0) > 0;
	}
	for (;;) {
		char *buf = readline(interactive ? "$ " : NULL);
		if (buf == NULL)
			exit();	/* end of input */
		runline(buf);
	}
}

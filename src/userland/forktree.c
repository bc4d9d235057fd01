/* Fork a binary tree of environments three levels deep, each named by its path. */
#include <lib.h>

#define DEPTH 3

static void forkchild(const char *cur, char branch);

static void forktree(const char *cur)
{
	cprintf("%04x: I am '%s'\n", sys_getenvid(), cur);
	forkchild(cur, '0');
	forkchild(cur, '1');
}

static void forkchild(const char *cur, char branch)
{
	char nxt[DEPTH + 1];
	if (strlen(cur) >= DEPTH)
		return;
	snprintf(nxt, DEPTH + 1, "%s%c", cur, branch);
	if (fork() == 0) {
		forktree(nxt);
		exit();
	}
}

void umain(int argc, char **argv)
{
	forktree("");
}

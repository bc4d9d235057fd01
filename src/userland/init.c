/*
 * init: the first user environment. It opens the console as fds 0 and 1
 * and runs the shell on it; when the shell exits, init exits too, and with
 * only the file server left (waiting for requests) the kernel monitor takes
 * the console.
 */
#include <lib.h>

void umain(int argc, char **argv)
{
	int r;
	close(0);
	if ((r = opencons()) < 0)
		panic("opencons: %e", r);
	if (r != 0)
		panic("first opencons used fd %d", r);
	if ((r = dup(0, 1)) < 0)
		panic("dup: %e", r);
	/* Print nothing before the file server has answered: its boot messages come first, on any machine. */
	if ((r = spawnl("/bin/sh", "sh", (char *) 0)) < 0) {
		printf("init: spawn sh: %e\n", r);
		return;
	}
	wait(r);
	printf("init: sh exited\n");
}

/*
 * The console as a device: reads poll the kernel's console (sys_cgetc),
 * writes go out with sys_cputs. init opens it as fds 0 and 1; everyone else
 * inherits them.
 */
#include <lib.h>

void cputchar(int ch)
{
	char c = ch;
	sys_cputs(&c, 1);	/* not through fd 1: works before any fd exists */
}

int getchar(void)
{
	unsigned char c;
	int r = read(0, &c, 1);
	if (r < 0)
		return r;
	if (r < 1)
		return -E_EOF;
	return c;
}

int iscons(int fdnum)
{
	struct Fd *fd;
	int r = fd_lookup(fdnum, &fd);
	if (r < 0)
		return r;
	return fd->fd_dev_id == devcons.dev_id;
}

int opencons(void)
{
	struct Fd *fd;
	int r;
	if ((r = fd_alloc(&fd)) < 0)
		return r;
	if ((r = sys_page_alloc(0, fd, PTE_P | PTE_U | PTE_W | PTE_SHARE)) < 0)
		return r;
	fd->fd_dev_id = devcons.dev_id;
	fd->fd_omode = O_RDWR;
	return fd2num(fd);
}

/* At least one character: wait for the first, then take what is already typed. */
static ssize_t devcons_read(struct Fd *fd, void *vbuf, size_t n)
{
	if (n == 0)
		return 0;
	int c;
	while ((c = sys_cgetc()) == 0)
		sys_yield();
	if (c < 0)
		return c;
	if (c == 0x04)	/* ctrl-d: end of file */
		return 0;
	*(char *) vbuf = c;
	return 1;
}

static ssize_t devcons_write(struct Fd *fd, const void *vbuf, size_t n)
{
	char buf[128];
	size_t tot;
	for (tot = 0; tot < n; tot += sizeof(buf)) {
		size_t m = MIN(n - tot, sizeof(buf));
		memmove(buf, (const char *) vbuf + tot, m);
		sys_cputs(buf, m);
	}
	return n;
}

static int devcons_stat(struct Fd *fd, struct Stat *stat)
{
	strcpy(stat->st_name, "<cons>");
	return 0;
}

struct Dev devcons = {
	.dev_id = 'c',
	.dev_name = "cons",
	.dev_read = devcons_read,
	.dev_write = devcons_write,
	.dev_stat = devcons_stat,
};

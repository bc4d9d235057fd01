/*
 * Pipes: a page-sized ring buffer shared by the two ends (each end's fd
 * data page maps it). The reader waits while it is empty, the writer while
 * it is full; an end knows the other has closed when the buffer page has no
 * mappings but its own ends': pageref(fd) == pageref(buffer).
 */
#include <lib.h>

#define PIPEBUFSIZ (PGSIZE - 2 * sizeof(off_t))

struct Pipe {
	off_t p_rpos;		/* read position */
	off_t p_wpos;		/* write position */
	uint8_t p_buf[PIPEBUFSIZ];
};

int pipe(int pfd[2])
{
	int r;
	struct Fd *fd0, *fd1;
	void *va;
	if ((r = fd_alloc(&fd0)) < 0 || (r = sys_page_alloc(0, fd0, PTE_P | PTE_W | PTE_U | PTE_SHARE)) < 0)
		goto err;
	if ((r = fd_alloc(&fd1)) < 0 || (r = sys_page_alloc(0, fd1, PTE_P | PTE_W | PTE_U | PTE_SHARE)) < 0)
		goto err1;
	va = fd2data(fd0);
	if ((r = sys_page_alloc(0, va, PTE_P | PTE_W | PTE_U | PTE_SHARE)) < 0)
		goto err2;
	if ((r = sys_page_map(0, va, 0, fd2data(fd1), PTE_P | PTE_W | PTE_U | PTE_SHARE)) < 0)
		goto err3;
	fd0->fd_dev_id = devpipe.dev_id;
	fd0->fd_omode = O_RDONLY;
	fd1->fd_dev_id = devpipe.dev_id;
	fd1->fd_omode = O_WRONLY;
	pfd[0] = fd2num(fd0);
	pfd[1] = fd2num(fd1);
	return 0;
err3:
	sys_page_unmap(0, va);
err2:
	sys_page_unmap(0, fd1);
err1:
	sys_page_unmap(0, fd0);
err:
	return r;
}

static int _pipeisclosed(struct Fd *fd, struct Pipe *p)
{
	/*
	 * Re-read until no context switch happened in between (env_runs
	 * unchanged). Look ourselves up once: finding thisenv is a system call,
	 * and every return from the kernel counts as a run.
	 */
	const volatile struct Env *self = thisenv;
	for (;;) {
		int n = self->env_runs;
		int ret = pageref(fd) == pageref(p);
		if (n == self->env_runs)
			return ret;
	}
}

int pipeisclosed(int fdnum)
{
	struct Fd *fd;
	int r = fd_lookup(fdnum, &fd);
	if (r < 0)
		return r;
	return _pipeisclosed(fd, (struct Pipe *) fd2data(fd));
}

static ssize_t devpipe_read(struct Fd *fd, void *vbuf, size_t n)
{
	struct Pipe *p = (struct Pipe *) fd2data(fd);
	uint8_t *buf = vbuf;
	size_t i;
	for (i = 0; i < n; i++) {
		while (p->p_rpos == p->p_wpos) {
			if (i > 0)
				return i;	/* what there is */
			if (_pipeisclosed(fd, p))
				return 0;
			sys_yield();
		}
		buf[i] = p->p_buf[p->p_rpos % PIPEBUFSIZ];
		p->p_rpos++;
	}
	return i;
}

static ssize_t devpipe_write(struct Fd *fd, const void *vbuf, size_t n)
{
	struct Pipe *p = (struct Pipe *) fd2data(fd);
	const uint8_t *buf = vbuf;
	size_t i;
	for (i = 0; i < n; i++) {
		while (p->p_wpos >= p->p_rpos + PIPEBUFSIZ) {
			if (_pipeisclosed(fd, p))
				return i ? (ssize_t) i : 0;
			sys_yield();
		}
		p->p_buf[p->p_wpos % PIPEBUFSIZ] = buf[i];
		p->p_wpos++;
	}
	return i;
}

static int devpipe_stat(struct Fd *fd, struct Stat *stat)
{
	struct Pipe *p = (struct Pipe *) fd2data(fd);
	strcpy(stat->st_name, "<pipe>");
	stat->st_size = p->p_wpos - p->p_rpos;
	return 0;
}

static int devpipe_close(struct Fd *fd)
{
	/* Unmap the buffer before the fd page (fd_close does that), so the other end never sees pageref(fd) == pageref(buffer) too early. */
	sys_page_unmap(0, fd2data(fd));
	return 0;
}

struct Dev devpipe = {
	.dev_id = 'p',
	.dev_name = "pipe",
	.dev_read = devpipe_read,
	.dev_write = devpipe_write,
	.dev_close = devpipe_close,
	.dev_stat = devpipe_stat,
};

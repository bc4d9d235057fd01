/*
 * The file descriptor layer. Descriptor i is the page INDEX2FD(i); a page
 * that is not mapped is a free descriptor. Each struct Fd names its device,
 * and the calls below dispatch to it.
 */
#include <lib.h>

int fd2num(struct Fd *fd)
{
	return ((uintptr_t) fd - FDTABLE) / PGSIZE;
}

char *fd2data(struct Fd *fd)
{
	return INDEX2DATA(fd2num(fd));
}

/* The lowest free descriptor (not yet mapped: the caller maps its page). */
int fd_alloc(struct Fd **fd_store)
{
	for (int i = 0; i < MAXFD; i++) {
		struct Fd *fd = INDEX2FD(i);
		if (!(uvpd[PDX(fd)] & PTE_P) || !(uvpt[PGNUM(fd)] & PTE_P)) {
			*fd_store = fd;
			return 0;
		}
	}
	*fd_store = 0;
	return -E_MAX_OPEN;
}

int fd_lookup(int fdnum, struct Fd **fd_store)
{
	if (fdnum < 0 || fdnum >= MAXFD)
		return -E_INVAL;
	struct Fd *fd = INDEX2FD(fdnum);
	if (!(uvpd[PDX(fd)] & PTE_P) || !(uvpt[PGNUM(fd)] & PTE_P))
		return -E_INVAL;
	*fd_store = fd;
	return 0;
}

/* Close fd: the device's close, then unmap the page. With must_exist, a stale fd is an error. */
int fd_close(struct Fd *fd, bool must_exist)
{
	struct Fd *fd2;
	int r;
	if ((r = fd_lookup(fd2num(fd), &fd2)) < 0 || fd != fd2)
		return must_exist ? r : 0;
	struct Dev *dev;
	if ((r = dev_lookup(fd->fd_dev_id, &dev)) >= 0)
		r = dev->dev_close ? dev->dev_close(fd) : 0;
	sys_page_unmap(0, fd);
	return r;
}

static struct Dev *devtab[] = { &devfile, &devpipe, &devcons, 0 };

int dev_lookup(int dev_id, struct Dev **dev)
{
	for (int i = 0; devtab[i]; i++)
		if (devtab[i]->dev_id == dev_id) {
			*dev = devtab[i];
			return 0;
		}
	*dev = 0;
	return -E_INVAL;
}

int close(int fdnum)
{
	struct Fd *fd;
	int r = fd_lookup(fdnum, &fd);
	if (r < 0)
		return r;
	return fd_close(fd, 1);
}

void close_all(void)
{
	for (int i = 0; i < MAXFD; i++)
		close(i);
}

/* Make newfdnum a duplicate of oldfdnum (closing newfdnum first): both share the Fd page, and its offset. */
int dup(int oldfdnum, int newfdnum)
{
	struct Fd *oldfd, *newfd;
	int r;
	if ((r = fd_lookup(oldfdnum, &oldfd)) < 0)
		return r;
	if (newfdnum < 0 || newfdnum >= MAXFD)
		return -E_INVAL;
	if (oldfdnum == newfdnum)
		return newfdnum;
	close(newfdnum);
	newfd = INDEX2FD(newfdnum);
	char *ova = fd2data(oldfd), *nva = fd2data(newfd);
	if ((uvpd[PDX(ova)] & PTE_P) && (uvpt[PGNUM(ova)] & PTE_P))
		if ((r = sys_page_map(0, ova, 0, nva, uvpt[PGNUM(ova)] & PTE_SYSCALL)) < 0)
			goto err;
	if ((r = sys_page_map(0, oldfd, 0, newfd, uvpt[PGNUM(oldfd)] & PTE_SYSCALL)) < 0)
		goto err;
	return newfdnum;
err:
	sys_page_unmap(0, newfd);
	sys_page_unmap(0, nva);
	return r;
}

static int fd_dev(int fdnum, struct Fd **fd, struct Dev **dev)
{
	int r;
	if ((r = fd_lookup(fdnum, fd)) < 0 || (r = dev_lookup((*fd)->fd_dev_id, dev)) < 0)
		return r;
	return 0;
}

ssize_t read(int fdnum, void *buf, size_t n)
{
	struct Fd *fd;
	struct Dev *dev;
	int r;
	if ((r = fd_dev(fdnum, &fd, &dev)) < 0)
		return r;
	if ((fd->fd_omode & O_ACCMODE) == O_WRONLY)
		return -E_INVAL;
	if (!dev->dev_read)
		return -E_NOT_SUPP;
	return dev->dev_read(fd, buf, n);
}

/* Read exactly n bytes, or up to the end of the file. */
ssize_t readn(int fdnum, void *buf, size_t n)
{
	size_t tot;
	for (tot = 0; tot < n;) {
		int m = read(fdnum, (char *) buf + tot, n - tot);
		if (m < 0)
			return m;
		if (m == 0)
			break;
		tot += m;
	}
	return tot;
}

ssize_t write(int fdnum, const void *buf, size_t n)
{
	struct Fd *fd;
	struct Dev *dev;
	int r;
	if ((r = fd_dev(fdnum, &fd, &dev)) < 0)
		return r;
	if ((fd->fd_omode & O_ACCMODE) == O_RDONLY)
		return -E_INVAL;
	if (!dev->dev_write)
		return -E_NOT_SUPP;
	return dev->dev_write(fd, buf, n);
}

int seek(int fdnum, off_t offset)
{
	struct Fd *fd;
	int r;
	if ((r = fd_lookup(fdnum, &fd)) < 0)
		return r;
	if (offset < 0)
		return -E_INVAL;
	fd->fd_offset = offset;
	return 0;
}

int ftruncate(int fdnum, off_t newsize)
{
	struct Fd *fd;
	struct Dev *dev;
	int r;
	if ((r = fd_dev(fdnum, &fd, &dev)) < 0)
		return r;
	if ((fd->fd_omode & O_ACCMODE) == O_RDONLY)
		return -E_INVAL;
	if (!dev->dev_trunc)
		return -E_NOT_SUPP;
	return dev->dev_trunc(fd, newsize);
}

int fstat(int fdnum, struct Stat *stat)
{
	struct Fd *fd;
	struct Dev *dev;
	int r;
	if ((r = fd_dev(fdnum, &fd, &dev)) < 0)
		return r;
	if (!dev->dev_stat)
		return -E_NOT_SUPP;
	memset(stat, 0, sizeof(*stat));
	stat->st_dev = dev;
	return dev->dev_stat(fd, stat);
}

int stat(const char *path, struct Stat *stat)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return fd;
	int r = fstat(fd, stat);
	close(fd);
	return r;
}

/* Files: the client side of the file server's protocol (src/include/fs.h). */
#include <lib.h>

static union Fsipc fsipcbuf __attribute__((aligned(PGSIZE)));

/* Send one request (in fsipcbuf) to the file server and wait for its answer. */
static int fsipc(unsigned type, void *dstva)
{
	static envid_t fsenv;
	if (fsenv == 0)
		fsenv = ipc_find_env(ENV_TYPE_FS);
	if (fsenv == 0)
		return -E_NOT_SUPP;
	/* A server that stopped (no file system) would never answer. */
	const volatile struct Env *e = &envs[ENVX(fsenv)];
	if (e->env_id != fsenv || e->env_status == ENV_FREE || e->env_status == ENV_DYING)
		return -E_NOT_SUPP;
	/* Not ipc_send, which panics: the server may stop while we wait (a wrong disk password). */
	for (;;) {
		int r = sys_ipc_try_send(fsenv, type, &fsipcbuf, PTE_P | PTE_W | PTE_U);
		if (r == 0)
			break;
		if (r != -E_IPC_NOT_RECV)
			return -E_NOT_SUPP;
		sys_yield();
	}
	for (;;) {
		envid_t from;
		int r = ipc_recv(&from, dstva, NULL);
		if (from == fsenv)
			return r;
		/* A message from someone else while we wait for the server: not ours, drop it. */
	}
}

static int copy_path(char *dst, const char *path)
{
	if (strnlen(path, MAXPATHLEN) >= MAXPATHLEN)
		return -E_NAME_TOO_LONG;
	strcpy(dst, path);
	return 0;
}

int open(const char *path, int mode)
{
	struct Fd *fd;
	int r;
	if ((r = copy_path(fsipcbuf.open.req_path, path)) < 0)
		return r;
	if ((r = fd_alloc(&fd)) < 0)
		return r;
	if ((r = copy_path(fsipcbuf.open.req_path, path)) < 0)
		return r;
	fsipcbuf.open.req_omode = mode;
	if ((r = fsipc(FSREQ_OPEN, fd)) < 0) {
		fd_close(fd, 0);
		return r;
	}
	return fd2num(fd);
}

int mkdir(const char *path)
{
	int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_MKDIR);
	if (fd < 0)
		return fd;
	return close(fd);
}

static int devfile_flush(struct Fd *fd)
{
	fsipcbuf.flush.req_fileid = fd->fd_file.id;
	return fsipc(FSREQ_FLUSH, NULL);
}

static ssize_t devfile_read(struct Fd *fd, void *buf, size_t n)
{
	size_t tot = 0;
	while (tot < n) {
		size_t want = MIN(n - tot, (size_t) PGSIZE);
		fsipcbuf.read.req_fileid = fd->fd_file.id;
		fsipcbuf.read.req_n = want;
		int r = fsipc(FSREQ_READ, NULL);
		if (r < 0)
			return tot ? (ssize_t) tot : r;
		memmove((char *) buf + tot, fsipcbuf.readRet.ret_buf, r);
		tot += r;
		if ((size_t) r < want)
			break;	/* short read: the end of the file */
	}
	return tot;
}

static ssize_t devfile_write(struct Fd *fd, const void *buf, size_t n)
{
	size_t tot = 0;
	while (tot < n) {
		size_t m = MIN(n - tot, sizeof(fsipcbuf.write.req_buf));
		fsipcbuf.write.req_fileid = fd->fd_file.id;
		fsipcbuf.write.req_n = m;
		memmove(fsipcbuf.write.req_buf, (const char *) buf + tot, m);
		int r = fsipc(FSREQ_WRITE, NULL);
		if (r < 0)
			return tot ? (ssize_t) tot : r;
		tot += r;
	}
	return tot;
}

static int devfile_stat(struct Fd *fd, struct Stat *st)
{
	fsipcbuf.stat.req_fileid = fd->fd_file.id;
	int r = fsipc(FSREQ_STAT, NULL);
	if (r < 0)
		return r;
	strlcpy(st->st_name, fsipcbuf.statRet.ret_name, MAXNAMELEN);
	st->st_size = fsipcbuf.statRet.ret_size;
	st->st_isdir = fsipcbuf.statRet.ret_isdir;
	return 0;
}

static int devfile_trunc(struct Fd *fd, off_t newsize)
{
	fsipcbuf.set_size.req_fileid = fd->fd_file.id;
	fsipcbuf.set_size.req_size = newsize;
	return fsipc(FSREQ_SET_SIZE, NULL);
}

static int devfile_close(struct Fd *fd)
{
	/* Our page reference is dropped by fd_close; the server frees the slot when it sees pageref 1. */
	return devfile_flush(fd);
}

struct Dev devfile = {
	.dev_id = 'f',
	.dev_name = "file",
	.dev_read = devfile_read,
	.dev_write = devfile_write,
	.dev_close = devfile_close,
	.dev_stat = devfile_stat,
	.dev_trunc = devfile_trunc,
};

int remove(const char *path)
{
	int r;
	if ((r = copy_path(fsipcbuf.remove.req_path, path)) < 0)
		return r;
	return fsipc(FSREQ_REMOVE, NULL);
}

int rename(const char *from, const char *to)
{
	int r;
	if ((r = copy_path(fsipcbuf.rename.req_from, from)) < 0 || (r = copy_path(fsipcbuf.rename.req_to, to)) < 0)
		return r;
	return fsipc(FSREQ_RENAME, NULL);
}

int sync(void)
{
	return fsipc(FSREQ_SYNC, NULL);
}

int statfs(struct Fsret_statfs *st)
{
	int r = fsipc(FSREQ_STATFS, NULL);
	if (r < 0)
		return r;
	*st = fsipcbuf.statfsRet;
	return 0;
}

/* Ask the file server to encrypt its plain disk in place under this password. */
int encrypt_disk(const char *password, size_t len)
{
	if (len == 0 || len > FS_PASSWORD_MAX)
		return -E_INVAL;
	fsipcbuf.encrypt.req_len = len;
	memcpy(fsipcbuf.encrypt.req_password, password, len);
	int r = fsipc(FSREQ_ENCRYPT, NULL);
	password_wipe((char *) &fsipcbuf, sizeof fsipcbuf);
	return r;
}

/* Change the encrypted disk's password: -E_BAD_PASSWORD when `old` is not it. */
int change_disk_password(const char *old, size_t oldlen, const char *new, size_t newlen)
{
	if (oldlen > FS_PASSWORD_MAX || newlen == 0 || newlen > FS_PASSWORD_MAX)
		return -E_INVAL;
	fsipcbuf.passwd.req_oldlen = oldlen;
	fsipcbuf.passwd.req_newlen = newlen;
	memcpy(fsipcbuf.passwd.req_old, old, oldlen);
	memcpy(fsipcbuf.passwd.req_new, new, newlen);
	int r = fsipc(FSREQ_PASSWD, NULL);
	password_wipe((char *) &fsipcbuf, sizeof fsipcbuf);
	return r;
}

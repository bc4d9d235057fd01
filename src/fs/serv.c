/*
 * The file server: requests arrive by IPC (src/include/fs.h), one at a time.
 *
 * An open file is an OpenFile slot here and a struct Fd page shared with the
 * client; the Fd holds the offset, which both sides see. A slot is free
 * again when nobody but the server maps its Fd page (pageref 1). File ids
 * carry a generation so a stale id is refused.
 */
#include "fs.h"
#include "crypt.h"

#define MAXOPEN 1024
#define FILEVA 0xD0000000	/* the Fd pages of open files */

struct OpenFile {
	uint32_t o_fileid;
	struct File *o_file;
	int o_mode;
	struct Fd *o_fd;
};

static struct OpenFile opentab[MAXOPEN];

/* Request page: a client's union Fsipc arrives here. */
static union Fsipc *fsreq = (union Fsipc *) 0x0ffff000;

void serve_init(void)
{
	uintptr_t va = FILEVA;
	for (int i = 0; i < MAXOPEN; i++) {
		opentab[i].o_fileid = i;
		opentab[i].o_fd = (struct Fd *) va;
		va += PGSIZE;
	}
}

static int openfile_alloc(struct OpenFile **o)
{
	for (int i = 0; i < MAXOPEN; i++) {
		switch (pageref(opentab[i].o_fd)) {
		case 0: {
			int r = sys_page_alloc(0, opentab[i].o_fd, PTE_P | PTE_U | PTE_W);
			if (r < 0)
				return r;
		}
			/* fall through */
		case 1:
			opentab[i].o_fileid += MAXOPEN;
			*o = &opentab[i];
			memset(opentab[i].o_fd, 0, PGSIZE);
			return opentab[i].o_fileid;
		}
	}
	return -E_MAX_OPEN;
}

static int openfile_lookup(envid_t envid, uint32_t fileid, struct OpenFile **po)
{
	struct OpenFile *o = &opentab[fileid % MAXOPEN];
	if (pageref(o->o_fd) <= 1 || o->o_fileid != fileid)
		return -E_INVAL;
	*po = o;
	return 0;
}

/* A path from a client: it must end in NUL within the buffer. */
static bool path_ok(const char *path)
{
	return strnlen(path, MAXPATHLEN) < MAXPATHLEN;
}

static int serve_open(envid_t envid, struct Fsreq_open *req, void **pg_store, int *perm_store)
{
	if (!path_ok(req->req_path))
		return -E_NAME_TOO_LONG;
	int mode = req->req_omode;
	if ((mode & O_ACCMODE) == O_ACCMODE || (mode & ~(O_ACCMODE | O_CREAT | O_TRUNC | O_EXCL | O_MKDIR | O_APPEND)))
		return -E_INVAL;

	struct OpenFile *o;
	int r;
	if ((r = openfile_alloc(&o)) < 0)
		return r;
	struct File *f;
	if (mode & O_CREAT) {
		r = file_create(req->req_path, (mode & O_MKDIR) ? FTYPE_DIR : FTYPE_REG, &f);
		if (r == -E_FILE_EXISTS && !(mode & O_EXCL))
			r = file_open(req->req_path, &f);
	} else {
		r = file_open(req->req_path, &f);
	}
	if (r < 0)
		return r;
	if (f->f_type == FTYPE_DIR && (mode & O_ACCMODE) != O_RDONLY)
		return -E_IS_DIR;
	if ((mode & O_TRUNC) && (mode & O_ACCMODE) != O_RDONLY) {
		if ((r = file_set_size(f, 0)) < 0)
			return r;
	}
	o->o_file = f;
	o->o_mode = mode;
	o->o_fd->fd_file.id = o->o_fileid;
	o->o_fd->fd_omode = mode & (O_ACCMODE | O_APPEND);
	o->o_fd->fd_dev_id = devfile.dev_id;
	*pg_store = o->o_fd;
	*perm_store = PTE_P | PTE_U | PTE_W | PTE_SHARE;
	return 0;
}

static int serve_set_size(envid_t envid, struct Fsreq_set_size *req)
{
	struct OpenFile *o;
	int r = openfile_lookup(envid, req->req_fileid, &o);
	if (r < 0)
		return r;
	if ((o->o_mode & O_ACCMODE) == O_RDONLY)
		return -E_INVAL;
	return file_set_size(o->o_file, req->req_size);
}

static int serve_read(envid_t envid, union Fsipc *ipc)
{
	struct Fsreq_read *req = &ipc->read;
	struct OpenFile *o;
	int r = openfile_lookup(envid, req->req_fileid, &o);
	if (r < 0)
		return r;
	if ((o->o_mode & O_ACCMODE) == O_WRONLY)
		return -E_INVAL;
	size_t n = MIN(req->req_n, (size_t) PGSIZE);
	r = file_read(o->o_file, ipc->readRet.ret_buf, n, o->o_fd->fd_offset);
	if (r > 0)
		o->o_fd->fd_offset += r;
	return r;
}

static int serve_write(envid_t envid, struct Fsreq_write *req)
{
	struct OpenFile *o;
	int r = openfile_lookup(envid, req->req_fileid, &o);
	if (r < 0)
		return r;
	if ((o->o_mode & O_ACCMODE) == O_RDONLY)
		return -E_INVAL;
	size_t n = MIN(req->req_n, sizeof(req->req_buf));
	if (o->o_mode & O_APPEND)
		o->o_fd->fd_offset = o->o_file->f_size;
	r = file_write(o->o_file, req->req_buf, n, o->o_fd->fd_offset);
	if (r > 0)
		o->o_fd->fd_offset += r;
	return r;
}

static int serve_stat(envid_t envid, union Fsipc *ipc)
{
	struct OpenFile *o;
	int r = openfile_lookup(envid, ipc->stat.req_fileid, &o);
	if (r < 0)
		return r;
	struct Fsret_stat *ret = &ipc->statRet;
	strlcpy(ret->ret_name, o->o_file->f_name, MAXNAMELEN);
	ret->ret_size = o->o_file->f_size;
	ret->ret_isdir = o->o_file->f_type == FTYPE_DIR;
	return 0;
}

static int serve_flush(envid_t envid, struct Fsreq_flush *req)
{
	struct OpenFile *o;
	int r = openfile_lookup(envid, req->req_fileid, &o);
	if (r < 0)
		return r;
	file_flush(o->o_file);
	return 0;
}

static int serve_remove(envid_t envid, struct Fsreq_remove *req)
{
	if (!path_ok(req->req_path))
		return -E_NAME_TOO_LONG;
	int r = file_remove(req->req_path);
	if (r == 0)
		fs_sync();
	return r;
}

static int serve_rename(envid_t envid, struct Fsreq_rename *req)
{
	if (!path_ok(req->req_from) || !path_ok(req->req_to))
		return -E_NAME_TOO_LONG;
	int r = file_rename(req->req_from, req->req_to);
	if (r == 0)
		fs_sync();
	return r;
}

static int serve_sync(envid_t envid)
{
	fs_sync();
	return 0;
}

static int serve_statfs(envid_t envid, union Fsipc *ipc)
{
	ipc->statfsRet.ret_nblocks = super->s_nblocks;
	ipc->statfsRet.ret_nfree = fs_nfree();
	ipc->statfsRet.ret_cached = bc_cached;
	ipc->statfsRet.ret_evictions = bc_evictions;
	ipc->statfsRet.ret_encrypted = disk_is_encrypted();
	return 0;
}

/* The `encrypt` program: write back every dirty block, then convert the disk in place. */
static int serve_encrypt(envid_t envid, struct Fsreq_encrypt *req)
{
	int r = -E_INVAL;
	if (req->req_len > 0 && req->req_len <= FS_PASSWORD_MAX && !disk_is_encrypted()) {
		fs_sync();
		r = disk_encrypt(req->req_password, req->req_len, super->s_nblocks, CRYPT_DEFAULT_ITERATIONS);
		/* -E_NOT_SUPP: no RDRAND, nothing written. Anything else left the disk half converted. */
		if (r < 0 && r != -E_NOT_SUPP)
			panic("serve_encrypt: the disk is half encrypted after %e; it cannot be served (the next boot resumes the conversion)", r);
	}
	password_wipe((char *) req, sizeof *req);
	return r;
}

/* The `passwd` program. */
static int serve_passwd(envid_t envid, struct Fsreq_passwd *req)
{
	int r = -E_INVAL;
	if (req->req_oldlen <= FS_PASSWORD_MAX && req->req_newlen > 0 && req->req_newlen <= FS_PASSWORD_MAX)
		r = disk_change_password(req->req_old, req->req_oldlen, req->req_new, req->req_newlen);
	password_wipe((char *) req, sizeof *req);
	return r;
}

/*
 * Answer a client. It may not be receiving yet (preempted between its send
 * and its receive), so retry for a while; one that died, or never listens,
 * loses its answer and the server goes on.
 */
static void reply(envid_t whom, int r, void *pg, int perm)
{
	for (int tries = 0; tries < 1000; tries++) {
		int e = sys_ipc_try_send(whom, r, pg ? pg : (void *) UTOP, pg ? perm : 0);
		if (e != -E_IPC_NOT_RECV)
			return;
		sys_yield();
	}
}

static void serve(void)
{
	for (;;) {
		int perm = 0;
		envid_t whom;
		uint32_t req = ipc_recv(&whom, fsreq, &perm);
		if (!(perm & PTE_P)) {
			reply(whom, -E_INVAL, NULL, 0);	/* no request page */
			continue;
		}
		void *pg = NULL;
		int r;
		switch (req) {
		case FSREQ_OPEN:
			r = serve_open(whom, &fsreq->open, &pg, &perm);
			break;
		case FSREQ_SET_SIZE:
			r = serve_set_size(whom, &fsreq->set_size);
			break;
		case FSREQ_READ:
			r = serve_read(whom, fsreq);
			break;
		case FSREQ_WRITE:
			r = serve_write(whom, &fsreq->write);
			break;
		case FSREQ_STAT:
			r = serve_stat(whom, fsreq);
			break;
		case FSREQ_FLUSH:
			r = serve_flush(whom, &fsreq->flush);
			break;
		case FSREQ_REMOVE:
			r = serve_remove(whom, &fsreq->remove);
			break;
		case FSREQ_SYNC:
			r = serve_sync(whom);
			break;
		case FSREQ_RENAME:
			r = serve_rename(whom, &fsreq->rename);
			break;
		case FSREQ_STATFS:
			r = serve_statfs(whom, fsreq);
			break;
		case FSREQ_ENCRYPT:
			r = serve_encrypt(whom, &fsreq->encrypt);
			break;
		case FSREQ_PASSWD:
			r = serve_passwd(whom, &fsreq->passwd);
			break;
		default:
			r = -E_INVAL;
			break;
		}
		reply(whom, r, pg, perm);
		sys_page_unmap(0, fsreq);
	}
}

void umain(int argc, char **argv)
{
	binaryname = "fs";
	cprintf("FS is running\n");
	serve_init();
	if (fs_init() < 0) {
		cprintf("fs: the file server stops\n");
		return;
	}
	cprintf("FS: %d blocks of %d bytes\n", super->s_nblocks, BLKSIZE);
	serve();
}

/*
 * fsabuse: send the file server malformed requests (stale and made-up file
 * ids, paths with no NUL, unknown request numbers, sizes out of range, a
 * request with no page) and check that each gets an error code and that
 * the server still works afterwards.
 */
#include <lib.h>

static union Fsipc req __attribute__((aligned(PGSIZE)));
static char reply[PGSIZE] __attribute__((aligned(PGSIZE)));

static int ask(envid_t fs, unsigned type, bool with_page)
{
	ipc_send(fs, type, with_page ? &req : NULL, PTE_P | PTE_U | PTE_W);
	return ipc_recv(NULL, reply, NULL);
}

static void expect_error(const char *what, int r)
{
	if (r >= 0)
		printf("fsabuse: %s: accepted (%d)!\n", what, r);
	else
		printf("fsabuse: %s: %e\n", what, r);
}

void umain(int argc, char **argv)
{
	envid_t fs = ipc_find_env(ENV_TYPE_FS);
	if (!fs) {
		printf("fsabuse: no file server\n");
		return;
	}
	memset(&req, 0, sizeof(req));
	req.read.req_fileid = 12345;
	req.read.req_n = 100;
	expect_error("read of a made-up file id", ask(fs, FSREQ_READ, true));
	req.write.req_fileid = -1;
	req.write.req_n = 0xFFFFFFFF;
	expect_error("write with a negative id and a huge size", ask(fs, FSREQ_WRITE, true));
	memset(req.open.req_path, 'a', MAXPATHLEN);
	req.open.req_omode = O_RDONLY;
	expect_error("open of a path with no NUL", ask(fs, FSREQ_OPEN, true));
	strcpy(req.open.req_path, "/README");
	req.open.req_omode = 0x7fffffff;
	expect_error("open with bad mode bits", ask(fs, FSREQ_OPEN, true));
	memset(req.rename.req_from, 'b', sizeof(req.rename.req_from) + sizeof(req.rename.req_to));
	expect_error("rename with no NULs", ask(fs, FSREQ_RENAME, true));
	expect_error("request number 999", ask(fs, 999, true));
	expect_error("request number 0", ask(fs, 0, true));
	expect_error("a request with no page", ask(fs, FSREQ_STAT, false));

	/* A real file, then its id used after close (stale), and a bad size. */
	int fd = open("/README", O_RDONLY);
	if (fd < 0) {
		printf("fsabuse: open /README: %e\n", fd);
		return;
	}
	struct Fd *f = INDEX2FD(fd);
	int id = f->fd_file.id;
	req.set_size.req_fileid = id;
	req.set_size.req_size = -5;
	expect_error("truncate of a read-only file", ask(fs, FSREQ_SET_SIZE, true));
	close(fd);
	req.stat.req_fileid = id;
	expect_error("stat of a closed file's id", ask(fs, FSREQ_STAT, true));

	fd = open("/abuse", O_RDWR | O_CREAT | O_TRUNC);
	if (fd < 0) {
		printf("fsabuse: create /abuse: %e\n", fd);
		return;
	}
	req.set_size.req_fileid = INDEX2FD(fd)->fd_file.id;
	req.set_size.req_size = MAXFILESIZE + 1;
	expect_error("truncate past the largest file", ask(fs, FSREQ_SET_SIZE, true));
	req.set_size.req_size = -1;
	expect_error("truncate to a negative size", ask(fs, FSREQ_SET_SIZE, true));
	close(fd);
	remove("/abuse");

	struct Stat st;
	int r = stat("/README", &st);
	if (r < 0)
		printf("fsabuse: the file server no longer works: %e\n", r);
	else
		printf("fsabuse: the file server still works: /README is %d bytes\n", st.st_size);
}

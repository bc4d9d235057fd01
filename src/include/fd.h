/*
 * File descriptors in the user library (JOS lab 5): each open descriptor is
 * a page of struct Fd in the FDTABLE region, and its device (file, console,
 * pipe) implements the operations. The Fd pages are PTE_SHARE, so fork and
 * spawn hand them to children as they are, offset and all.
 */
#ifndef JOS86_FD_H
#define JOS86_FD_H

#include <types.h>
#include <fs.h>

struct Fd;
struct Stat;
struct Dev;

struct Dev {
	int dev_id;
	const char *dev_name;
	ssize_t (*dev_read)(struct Fd *fd, void *buf, size_t len);
	ssize_t (*dev_write)(struct Fd *fd, const void *buf, size_t len);
	int (*dev_close)(struct Fd *fd);
	int (*dev_stat)(struct Fd *fd, struct Stat *stat);
	int (*dev_trunc)(struct Fd *fd, off_t length);
};

struct FdFile {
	int id;		/* the file server's open-file id */
};

struct Fd {
	int fd_dev_id;
	off_t fd_offset;
	int fd_omode;
	union {
		struct FdFile fd_file;
	};
};

struct Stat {
	char st_name[MAXNAMELEN];
	off_t st_size;
	int st_isdir;
	struct Dev *st_dev;
};

#define MAXFD 32
#define FDTABLE 0xD0000000	/* one page per descriptor */
#define INDEX2FD(i) ((struct Fd *) (FDTABLE + (i) * PGSIZE))
#define FILEDATA (FDTABLE + MAXFD * PGSIZE)	/* one page per descriptor for its device's data (a pipe's buffer) */
#define INDEX2DATA(i) ((char *) (FILEDATA + (i) * PGSIZE))

char *fd2data(struct Fd *fd);
int fd2num(struct Fd *fd);
int fd_alloc(struct Fd **fd_store);
int fd_close(struct Fd *fd, bool must_exist);
int fd_lookup(int fdnum, struct Fd **fd_store);
int dev_lookup(int devid, struct Dev **dev_store);

extern struct Dev devcons;
extern struct Dev devfile;
extern struct Dev devpipe;

#endif

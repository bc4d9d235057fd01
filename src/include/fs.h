/*
 * The file server's protocol: what a client sends it over IPC.
 *
 * A client sends a request number as the IPC value and the page holding a
 * union Fsipc; the server answers with a result code (>= 0 or -E_*) and, for
 * an open, the page of the new struct Fd, shared with the client
 * (PTE_SHARE). The file server is the only environment of type ENV_TYPE_FS.
 *
 * Every request is checked: a bad file id, a size out of range or a path
 * without a terminating NUL gets an error code, never a crash.
 */
#ifndef JOS86_FS_H
#define JOS86_FS_H

#include <types.h>
#include <mmu.h>
#include "../fs/format.h"

/* File open modes (the low two bits are the access mode). */
#define O_RDONLY	0x0000
#define O_WRONLY	0x0001
#define O_RDWR		0x0002
#define O_ACCMODE	0x0003
#define O_CREAT		0x0100	/* create if it does not exist */
#define O_TRUNC		0x0200	/* truncate to zero length */
#define O_EXCL		0x0400	/* with O_CREAT: fail if it exists */
#define O_MKDIR		0x0800	/* with O_CREAT: create a directory */
#define O_APPEND	0x1000	/* every write goes to the end */

/* The longest password a request carries. */
#define FS_PASSWORD_MAX 256

enum {
	FSREQ_OPEN = 1,
	FSREQ_SET_SIZE,
	FSREQ_READ,	/* reply: the data in the request page */
	FSREQ_WRITE,
	FSREQ_STAT,	/* reply: struct Fsret_stat in the request page */
	FSREQ_FLUSH,
	FSREQ_REMOVE,
	FSREQ_SYNC,
	FSREQ_RENAME,
	FSREQ_STATFS,	/* reply: struct Fsret_statfs */
	FSREQ_ENCRYPT,	/* encrypt the plain disk in place, now (src/fs/CRYPT.md) */
	FSREQ_PASSWD,	/* change the encrypted disk's password (re-wraps its key) */
	NFSREQ
};

union Fsipc {
	struct Fsreq_open {
		char req_path[MAXPATHLEN];
		int req_omode;
	} open;
	struct Fsreq_set_size {
		int req_fileid;
		off_t req_size;
	} set_size;
	struct Fsreq_read {
		int req_fileid;
		size_t req_n;
	} read;
	struct Fsret_read {
		char ret_buf[PGSIZE];
	} readRet;
	struct Fsreq_write {
		int req_fileid;
		size_t req_n;
		char req_buf[PGSIZE - (sizeof(int) + sizeof(size_t))];
	} write;
	struct Fsreq_stat {
		int req_fileid;
	} stat;
	struct Fsret_stat {
		char ret_name[MAXNAMELEN];
		off_t ret_size;
		int ret_isdir;
	} statRet;
	struct Fsreq_flush {
		int req_fileid;
	} flush;
	struct Fsreq_remove {
		char req_path[MAXPATHLEN];
	} remove;
	struct Fsreq_rename {
		char req_from[MAXPATHLEN];
		char req_to[MAXPATHLEN];
	} rename;
	struct Fsret_statfs {
		uint32_t ret_nblocks;
		uint32_t ret_nfree;
		uint32_t ret_cached;	/* blocks in the server's cache now */
		uint32_t ret_evictions;	/* blocks dropped from the cache to make room, since boot */
		int ret_encrypted;	/* the disk is encrypted (src/fs/CRYPT.md) */
	} statfsRet;
	/* Passwords travel as bytes with a length (at most FS_PASSWORD_MAX); the server wipes them after use. */
	struct Fsreq_encrypt {
		uint32_t req_len;
		char req_password[FS_PASSWORD_MAX];
	} encrypt;
	struct Fsreq_passwd {
		uint32_t req_oldlen;
		uint32_t req_newlen;
		char req_old[FS_PASSWORD_MAX];
		char req_new[FS_PASSWORD_MAX];
	} passwd;
	char _pad[PGSIZE];	/* the union is exactly one page */
};

#endif

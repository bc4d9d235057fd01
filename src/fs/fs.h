/*
 * The file server's internal interfaces, bottom to top:
 *   ide.c   the IDE disk (primary channel, slave drive), PIO, polled
 *   disk.c  whole blocks to and from the disk, and the disk's encryption
 *           (src/fs/CRYPT.md): unlock at mount, XTS on every block, conversion
 *   bc.c    the block cache: the disk mapped at DISKMAP, a page per block,
 *           faulted in on demand, written back when dirty, evicted when clean
 *   fs.c    the file system of FORMAT.md: bitmap, files, directories, paths
 *   serv.c  the IPC server loop
 */
#ifndef JOS86_FS_FS_H
#define JOS86_FS_FS_H

#include <lib.h>

/* The whole disk is mapped here, block b at DISKMAP + b * BLKSIZE. */
#define DISKMAP 0x10000000
#define DISKSIZE 0xC0000000

/* The disk the file system lives on: the primary channel's slave (QEMU's -hdb, index=1). */
#define FS_DISKNO 1

/* ide.c */
int ide_probe(int diskno, uint32_t *nsectors);
int ide_read(uint32_t secno, void *dst, size_t nsecs);
int ide_write(uint32_t secno, const void *src, size_t nsecs);

/* disk.c */
int disk_init(uint32_t disk_nblocks);
int disk_read_block(uint32_t blockno, void *dst);
int disk_write_block(uint32_t blockno, const void *src);
bool disk_is_encrypted(void);
int disk_encrypt(const char *password, size_t len, uint32_t nblocks, uint32_t iterations);
int disk_change_password(const char *old, size_t oldlen, const char *new, size_t newlen);

/* bc.c */
extern uint32_t bc_nblocks;	/* blocks on the disk, from ide_probe until the superblock is read */
void bc_init(void);
void *diskaddr(uint32_t blockno);
bool va_is_mapped(void *va);
bool va_is_dirty(void *va);
void flush_block(void *addr);
int bc_reserve(void);
extern uint32_t bc_cached, bc_evictions;

/* fs.c */
extern struct Super *super;
extern uint32_t *bitmap;
int fs_init(void);
int file_get_block(struct File *f, uint32_t filebno, char **blk);
int file_create(const char *path, int type, struct File **f);
int file_open(const char *path, struct File **f);
ssize_t file_read(struct File *f, void *buf, size_t count, off_t offset);
int file_write(struct File *f, const void *buf, size_t count, off_t offset);
int file_set_size(struct File *f, off_t newsize);
void file_flush(struct File *f);
int file_remove(const char *path);
int file_rename(const char *from, const char *to);
void fs_sync(void);
uint32_t fs_nfree(void);
bool block_is_free(uint32_t blockno);
int alloc_block(void);
void free_block(uint32_t blockno);

/* serv.c */
void serve_init(void);

#endif

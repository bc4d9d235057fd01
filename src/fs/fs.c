/*
 * The file system of FORMAT.md on top of the block cache: the free-block
 * bitmap, files of direct and indirect blocks, directories of File records,
 * and paths resolved from the root at any depth.
 *
 * Block numbers read from the disk are checked before use, so a corrupt
 * disk gives -E_BAD_FS, not a fault in the server. The rules fsck checks
 * hold after every operation: no holes (a file grows by zero-filled
 * blocks), pointers past the size are zero, a removed entry is all zeros.
 */
#include "fs.h"

struct Super *super;
uint32_t *bitmap;	/* the bitmap blocks, mapped contiguously after the superblock */

/* ---- blocks ---- */

static bool valid_data_block(uint32_t b)
{
	return b >= FS_FIRST_DATA_BLOCK(super->s_nblocks) && b < super->s_nblocks;
}

bool block_is_free(uint32_t blockno)
{
	if (!super || blockno >= super->s_nblocks)
		return false;
	return (bitmap[blockno / 32] & (1U << (blockno % 32))) != 0;
}

void free_block(uint32_t blockno)
{
	if (!valid_data_block(blockno))
		return;
	bitmap[blockno / 32] |= 1U << (blockno % 32);
}

/* Find a free block, mark it used and write that bitmap block back, so a crash never hands it out twice. */
int alloc_block(void)
{
	uint32_t n = super->s_nblocks;
	for (uint32_t w = FS_FIRST_DATA_BLOCK(n) / 32; w < (n + 31) / 32; w++) {
		if (bitmap[w] == 0)
			continue;
		for (uint32_t bit = 0; bit < 32; bit++) {
			uint32_t b = w * 32 + bit;
			if (b < n && b >= FS_FIRST_DATA_BLOCK(n) && (bitmap[w] & (1U << bit))) {
				bitmap[w] &= ~(1U << bit);
				flush_block(&bitmap[w]);
				return b;
			}
		}
	}
	return -E_NO_DISK;
}

uint32_t fs_nfree(void)
{
	uint32_t nfree = 0;
	for (uint32_t b = FS_FIRST_DATA_BLOCK(super->s_nblocks); b < super->s_nblocks; b++)
		if (block_is_free(b))
			nfree++;
	return nfree;
}

/* ---- set-up ---- */

int fs_init(void)
{
	uint32_t nsectors;
	int r;
	if ((r = ide_probe(FS_DISKNO, &nsectors)) < 0) {
		cprintf("fs: no disk at IDE %d (give one with --hdb)\n", FS_DISKNO);
		return -E_BAD_FS;
	}
	bc_nblocks = nsectors / BLKSECTS;
	if (bc_nblocks < 3) {
		cprintf("fs: the disk is too small (%d sectors)\n", nsectors);
		return -E_BAD_FS;
	}
	/* Before any block is cached: an encrypted disk is unlocked here, or a requested conversion run. */
	if ((r = disk_init(bc_nblocks)) < 0)
		return r;
	bc_init();
	super = diskaddr(FS_SUPER_BLOCK);
	if (super->s_magic != FS_MAGIC) {
		cprintf("fs: no jos86 file system on the disk (bad superblock magic %08x)\n", super->s_magic);
		return -E_BAD_FS;
	}
	if (super->s_version != FS_VERSION) {
		cprintf("fs: file system version %d, this server reads version %d\n", super->s_version, FS_VERSION);
		return -E_BAD_FS;
	}
	if (super->s_nblocks > bc_nblocks || super->s_nblocks > FS_MAX_NBLOCKS ||
	    super->s_nblocks <= FS_FIRST_DATA_BLOCK(super->s_nblocks)) {
		cprintf("fs: the superblock says %d blocks, the disk has %d\n", super->s_nblocks, bc_nblocks);
		return -E_BAD_FS;
	}
	bc_nblocks = super->s_nblocks;
	bitmap = diskaddr(FS_BITMAP_BLOCK);
	/* Touch every bitmap block now: they are pinned from here on. */
	for (uint32_t i = 0; i < FS_NBITMAP(super->s_nblocks); i++)
		(void) *(volatile uint32_t *) ((char *) bitmap + i * BLKSIZE);
	if (super->s_root.f_type != FTYPE_DIR) {
		cprintf("fs: the root is not a directory\n");
		return -E_BAD_FS;
	}
	return 0;
}

/* ---- files ---- */

/*
 * Find the slot holding the disk block number of file block filebno: in the
 * File record or in its indirect block (allocated, zeroed, when alloc).
 */
static int file_block_walk(struct File *f, uint32_t filebno, uint32_t **ppdiskbno, bool alloc)
{
	if (filebno < NDIRECT) {
		*ppdiskbno = &f->f_direct[filebno];
		return 0;
	}
	if (filebno >= NDIRECT + NINDIRECT)
		return -E_INVAL;
	if (f->f_indirect == 0) {
		if (!alloc)
			return -E_NOT_FOUND;
		int r = alloc_block();
		if (r < 0)
			return r;
		memset(diskaddr(r), 0, BLKSIZE);
		f->f_indirect = r;
	} else if (!valid_data_block(f->f_indirect)) {
		return -E_BAD_FS;
	}
	*ppdiskbno = (uint32_t *) diskaddr(f->f_indirect) + (filebno - NDIRECT);
	return 0;
}

/* The address of file block filebno in the cache, allocating (zeroed) if needed. */
int file_get_block(struct File *f, uint32_t filebno, char **blk)
{
	uint32_t *pdiskbno;
	int r = file_block_walk(f, filebno, &pdiskbno, true);
	if (r < 0)
		return r;
	if (*pdiskbno == 0) {
		if ((r = alloc_block()) < 0)
			return r;
		memset(diskaddr(r), 0, BLKSIZE);
		*pdiskbno = r;
	} else if (!valid_data_block(*pdiskbno)) {
		return -E_BAD_FS;
	}
	*blk = diskaddr(*pdiskbno);
	return 0;
}

static uint32_t nblocks_for(off_t size)
{
	return ((uint32_t) size + BLKSIZE - 1) / BLKSIZE;
}

static void file_free_block(struct File *f, uint32_t filebno)
{
	uint32_t *pdiskbno;
	if (file_block_walk(f, filebno, &pdiskbno, false) < 0)
		return;
	if (*pdiskbno) {
		free_block(*pdiskbno);
		*pdiskbno = 0;
	}
}

/* Shrink or grow a file. Growing allocates zeroed blocks: the format has no holes. */
int file_set_size(struct File *f, off_t newsize)
{
	if (newsize < 0 || newsize > MAXFILESIZE)
		return -E_INVAL;
	uint32_t oldn = nblocks_for(f->f_size), newn = nblocks_for(newsize);
	if (newsize > f->f_size && f->f_size % BLKSIZE) {
		/* What follows the old end must read as zeros. */
		char *blk;
		if (file_get_block(f, f->f_size / BLKSIZE, &blk) == 0)
			memset(blk + f->f_size % BLKSIZE, 0, BLKSIZE - f->f_size % BLKSIZE);
	}
	if (newn > oldn) {
		for (uint32_t i = oldn; i < newn; i++) {
			char *blk;
			int r = file_get_block(f, i, &blk);
			if (r < 0) {
				/* Out of space: give back what this call took and keep the old size. */
				for (uint32_t j = oldn; j < i; j++)
					file_free_block(f, j);
				if (oldn <= NDIRECT && f->f_indirect) {
					free_block(f->f_indirect);
					f->f_indirect = 0;
				}
				return r;
			}
		}
	} else {
		for (uint32_t i = newn; i < oldn; i++)
			file_free_block(f, i);
		if (newn <= NDIRECT && f->f_indirect) {
			free_block(f->f_indirect);
			f->f_indirect = 0;
		}
	}
	/* Bytes past the end of the last block read as zero when the file grows again. */
	if (newsize < f->f_size && newsize % BLKSIZE) {
		char *blk;
		if (file_get_block(f, newsize / BLKSIZE, &blk) == 0)
			memset(blk + newsize % BLKSIZE, 0, BLKSIZE - newsize % BLKSIZE);
	}
	f->f_size = newsize;
	flush_block(f);
	return 0;
}

ssize_t file_read(struct File *f, void *buf, size_t count, off_t offset)
{
	if (offset < 0)
		return -E_INVAL;
	if (offset >= f->f_size)
		return 0;
	count = MIN(count, (size_t) (f->f_size - offset));
	for (off_t pos = offset; pos < offset + (off_t) count;) {
		char *blk;
		int r = file_get_block(f, pos / BLKSIZE, &blk);
		if (r < 0)
			return r;
		int bn = MIN(BLKSIZE - pos % BLKSIZE, offset + count - pos);
		memmove(buf, blk + pos % BLKSIZE, bn);
		pos += bn;
		buf += bn;
	}
	return count;
}

int file_write(struct File *f, const void *buf, size_t count, off_t offset)
{
	if (offset < 0 || offset > MAXFILESIZE || count > (size_t) (MAXFILESIZE - offset))
		return -E_NO_DISK;
	int r;
	if (offset + (off_t) count > f->f_size)
		if ((r = file_set_size(f, offset + count)) < 0)
			return r;
	for (off_t pos = offset; pos < offset + (off_t) count;) {
		char *blk;
		if ((r = file_get_block(f, pos / BLKSIZE, &blk)) < 0)
			return r;
		int bn = MIN(BLKSIZE - pos % BLKSIZE, offset + count - pos);
		memmove(blk + pos % BLKSIZE, buf, bn);
		pos += bn;
		buf += bn;
	}
	return count;
}

/* Write back a file's blocks, its indirect block and the block holding its record. */
void file_flush(struct File *f)
{
	for (uint32_t i = 0; i < nblocks_for(f->f_size); i++) {
		uint32_t *pdiskbno;
		if (file_block_walk(f, i, &pdiskbno, false) < 0 || *pdiskbno == 0 || !valid_data_block(*pdiskbno))
			continue;
		flush_block(diskaddr(*pdiskbno));
	}
	flush_block(f);
	if (f->f_indirect && valid_data_block(f->f_indirect))
		flush_block(diskaddr(f->f_indirect));
}

/* ---- directories and paths ---- */

static int dir_lookup(struct File *dir, const char *name, struct File **file)
{
	if (dir->f_type != FTYPE_DIR)
		return -E_NOT_DIR;
	uint32_t nblock = dir->f_size / BLKSIZE;
	for (uint32_t i = 0; i < nblock; i++) {
		char *blk;
		int r = file_get_block(dir, i, &blk);
		if (r < 0)
			return r;
		struct File *f = (struct File *) blk;
		for (uint32_t j = 0; j < BLKFILES; j++)
			if (f[j].f_name[0] && strncmp(f[j].f_name, name, MAXNAMELEN) == 0) {
				*file = &f[j];
				return 0;
			}
	}
	return -E_NOT_FOUND;
}

/* A free entry in dir: the first with an empty name, or a new zeroed block. */
static int dir_alloc_file(struct File *dir, struct File **file)
{
	uint32_t nblock = dir->f_size / BLKSIZE;
	for (uint32_t i = 0; i < nblock; i++) {
		char *blk;
		int r = file_get_block(dir, i, &blk);
		if (r < 0)
			return r;
		struct File *f = (struct File *) blk;
		for (uint32_t j = 0; j < BLKFILES; j++)
			if (f[j].f_name[0] == '\0') {
				*file = &f[j];
				return 0;
			}
	}
	int r = file_set_size(dir, dir->f_size + BLKSIZE);
	if (r < 0)
		return r;
	char *blk;
	if ((r = file_get_block(dir, nblock, &blk)) < 0)
		return r;
	*file = (struct File *) blk;
	return 0;
}

static const char *skip_slash(const char *p)
{
	while (*p == '/')
		p++;
	return p;
}

/*
 * Resolve path. On success *pf is the file and *pdir its directory. When
 * only the last element is missing, -E_NOT_FOUND with *pdir set and that
 * element copied to lastelem (so the caller can create it).
 */
static int walk_path(const char *path, struct File **pdir, struct File **pf, char *lastelem)
{
	if (strnlen(path, MAXPATHLEN) >= MAXPATHLEN)
		return -E_NAME_TOO_LONG;
	path = skip_slash(path);
	struct File *f = &super->s_root, *dir = NULL;
	char name[MAXNAMELEN];
	name[0] = 0;
	if (pdir)
		*pdir = NULL;
	*pf = NULL;
	while (*path != '\0') {
		dir = f;
		const char *p = path;
		while (*path != '/' && *path != '\0')
			path++;
		if (path - p >= MAXNAMELEN)
			return -E_NAME_TOO_LONG;
		memmove(name, p, path - p);
		name[path - p] = '\0';
		path = skip_slash(path);
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			return -E_BAD_PATH;
		if (dir->f_type != FTYPE_DIR)
			return -E_NOT_DIR;
		int r = dir_lookup(dir, name, &f);
		if (r < 0) {
			if (r == -E_NOT_FOUND && *path == '\0') {
				if (pdir)
					*pdir = dir;
				if (lastelem)
					strcpy(lastelem, name);
			}
			return r;
		}
	}
	if (pdir)
		*pdir = dir;
	*pf = f;
	return 0;
}

int file_create(const char *path, int type, struct File **pf)
{
	char name[MAXNAMELEN];
	struct File *dir, *f;
	int r = walk_path(path, &dir, &f, name);
	if (r == 0)
		return -E_FILE_EXISTS;
	if (r != -E_NOT_FOUND || dir == NULL)
		return r;
	if ((r = dir_alloc_file(dir, &f)) < 0)
		return r;
	memset(f, 0, sizeof(*f));
	strcpy(f->f_name, name);
	f->f_type = type;
	*pf = f;
	file_flush(dir);
	return 0;
}

int file_open(const char *path, struct File **pf)
{
	return walk_path(path, NULL, pf, NULL);
}

static bool dir_is_empty(struct File *dir)
{
	for (uint32_t i = 0; i < dir->f_size / BLKSIZE; i++) {
		char *blk;
		if (file_get_block(dir, i, &blk) < 0)
			return false;
		struct File *f = (struct File *) blk;
		for (uint32_t j = 0; j < BLKFILES; j++)
			if (f[j].f_name[0])
				return false;
	}
	return true;
}

/* Remove a file, or an empty directory: free its blocks, zero its record. */
int file_remove(const char *path)
{
	struct File *f;
	int r = walk_path(path, NULL, &f, NULL);
	if (r < 0)
		return r;
	if (f == &super->s_root)
		return -E_BAD_PATH;
	if (f->f_type == FTYPE_DIR && !dir_is_empty(f))
		return -E_NOT_EMPTY;
	file_set_size(f, 0);
	memset(f, 0, sizeof(*f));
	flush_block(f);
	return 0;
}

/*
 * Move from to to, possibly into another directory. An existing regular
 * file at to is replaced by a regular file; a directory cannot move into
 * itself.
 */
int file_rename(const char *from, const char *to)
{
	struct File *src, *dst, *dstdir;
	char name[MAXNAMELEN];
	int r = walk_path(from, NULL, &src, NULL);
	if (r < 0)
		return r;
	if (src == &super->s_root)
		return -E_BAD_PATH;
	/* Refuse "a" -> "a/b" (and deeper): it would cut the directory off the tree. */
	const char *f = skip_slash(from), *t = skip_slash(to);
	size_t flen = strlen(f);
	while (flen > 0 && f[flen - 1] == '/')
		flen--;
	if (strncmp(f, t, flen) == 0 && (t[flen] == '/' || t[flen] == '\0'))
		return t[flen] == '\0' ? 0 : -E_INVAL;
	r = walk_path(to, &dstdir, &dst, name);
	if (r == 0) {
		if (dst == &super->s_root || dst->f_type == FTYPE_DIR || src->f_type == FTYPE_DIR)
			return -E_FILE_EXISTS;
		strcpy(name, dst->f_name);
		file_set_size(dst, 0);
		memset(dst, 0, sizeof(*dst));
	} else if (r != -E_NOT_FOUND || dstdir == NULL) {
		return r;
	} else if ((r = dir_alloc_file(dstdir, &dst)) < 0) {
		return r;
	}
	/* dir_alloc_file may have grown the directory; src still points at its (cached) record. */
	struct File moved = *src;
	memset(moved.f_name, 0, MAXNAMELEN);
	strcpy(moved.f_name, name);
	memset(src, 0, sizeof(*src));
	*dst = moved;
	flush_block(dst);
	flush_block(src);
	file_flush(dstdir);
	return 0;
}

/* Write back every dirty block. */
void fs_sync(void)
{
	for (uint32_t b = 1; b < super->s_nblocks; b++) {
		void *va = diskaddr(b);
		if (va_is_mapped(va))
			flush_block(va);
	}
}

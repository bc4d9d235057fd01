// The on-disk format of the jos86 file system, shared by the guest file
// server (src/fs) and the host image tool (src/host/fsimage.ts).
//
// src/fs/FORMAT.md is the full description: every field, its offset, the
// limits, and the rules the file server must keep so that the host fsck
// finds a clean image. This header restates it as C so the compiler checks
// the sizes; keep the two (and the constants in src/host/fsimage.ts) in step.
//
// All multi-byte fields are little-endian, the i386's native order, so the
// guest reads them straight from its block cache.
//
// The includer provides uint8_t, uint32_t and int32_t (JOS's inc/types.h,
// or <stdint.h> on the host).

#ifndef JOS86_FS_FORMAT_H
#define JOS86_FS_FORMAT_H

// ---- Blocks --------------------------------------------------------------
// A block is one page, so the block cache maps one block per page.
#define BLKSIZE		4096
#define BLKBITSIZE	(BLKSIZE * 8)	// blocks described by one bitmap block
#define SECTSIZE	512		// IDE sector
#define BLKSECTS	(BLKSIZE / SECTSIZE)

// Fixed block numbers.
#define FS_HEADER_BLOCK	0	// boot/header block: never read or written by
				// the file system; zero on a plain disk, the
				// clear-text encryption header (issue 7) on an
				// encrypted one
#define FS_SUPER_BLOCK	1	// struct Super
#define FS_BITMAP_BLOCK	2	// first free-block bitmap block

// Number of bitmap blocks for a disk of n blocks.
#define FS_NBITMAP(n)	(((n) + BLKBITSIZE - 1) / BLKBITSIZE)
// First block a file may own: everything below is header, super and bitmap.
#define FS_FIRST_DATA_BLOCK(n)	(FS_BITMAP_BLOCK + FS_NBITMAP(n))

// Largest disk: the file server maps the whole disk into a 3 GiB window of
// its address space (as JOS does at DISKMAP), one page per block.
#define FS_MAX_NBLOCKS	(0xC0000000 / BLKSIZE)

// ---- Files ---------------------------------------------------------------
#define MAXNAMELEN	128	// bytes in File.f_name, NUL included: 127 usable
#define MAXPATHLEN	1024	// longest path, NUL included, a client may send
#define NDIRECT		10	// block pointers held in the File record
#define NINDIRECT	(BLKSIZE / 4)	// pointers in the indirect block
#define MAXFILESIZE	((NDIRECT + NINDIRECT) * BLKSIZE)	// 4235264 bytes

// File.f_type
#define FTYPE_REG	0	// regular file
#define FTYPE_DIR	1	// directory: its blocks are arrays of File

// One file's metadata: a directory entry, or the root in the superblock.
//
// Block pointers: file block i (bytes i*BLKSIZE ...) lives in disk block
// f_direct[i] for i < NDIRECT, and in entry i - NDIRECT of the indirect block
// f_indirect otherwise. Block number 0 means "none" (block 0 is never a file
// block). Exactly the first ceil(f_size / BLKSIZE) file blocks are allocated,
// no holes, and every pointer past them is 0; f_indirect is 0 unless the file
// has more than NDIRECT blocks.
//
// A directory entry whose f_name[0] is '\0' is free; the file server zeroes
// the whole record when it removes a file.
struct File {
	char f_name[MAXNAMELEN];	// 0: NUL-terminated, no '/'
	int32_t f_size;			// 128: bytes; a directory's is a
					//      multiple of BLKSIZE
	uint32_t f_type;		// 132: FTYPE_REG or FTYPE_DIR
	uint32_t f_direct[NDIRECT];	// 136: file blocks 0..NDIRECT-1
	uint32_t f_indirect;		// 176: block of NINDIRECT pointers
	uint8_t f_pad[256 - MAXNAMELEN - 4 - 4 - 4 * NDIRECT - 4];	// 180: written 0
};

#define BLKFILES	(BLKSIZE / sizeof(struct File))	// 16 entries per block

// ---- Superblock (block 1) ------------------------------------------------
#define FS_MAGIC	0x4636384A	// the bytes "J86F" on disk
#define FS_VERSION	1

struct Super {
	uint32_t s_magic;		// 0: FS_MAGIC
	uint32_t s_version;		// 4: FS_VERSION
	uint32_t s_nblocks;		// 8: blocks on the disk, header included
	uint8_t s_reserved[244];	// 12: zero
	struct File s_root;		// 256: the root directory, named "/"
};
// The rest of block 1, from byte sizeof(struct Super), is zero.

// ---- Free-block bitmap (blocks 2 .. 2 + FS_NBITMAP(s_nblocks) - 1) --------
// Bit b % 32 of 32-bit word b / 32 (equivalently bit b % 8 of byte b / 8)
// describes block b: 1 = free, 0 = in use. The header, super and bitmap
// blocks are always 0, and so are the bits past s_nblocks in the last
// bitmap block, so an allocator scanning for a 1 never hands them out.

_Static_assert(sizeof(struct File) == 256, "struct File must be 256 bytes");
_Static_assert(BLKSIZE % sizeof(struct File) == 0, "Files must tile a block");
_Static_assert(sizeof(struct Super) == 512, "struct Super must be 512 bytes");
_Static_assert(sizeof(struct Super) <= BLKSIZE, "Super must fit in a block");
_Static_assert(MAXFILESIZE == 4235264, "MAXFILESIZE is documented in FORMAT.md");
// Every field is naturally aligned, so no packing attribute is needed (and
// none is used, so &f->f_direct[i] is an ordinary uint32_t *); these pin the
// offsets FORMAT.md documents.
_Static_assert(__builtin_offsetof(struct File, f_size) == 128, "f_size offset");
_Static_assert(__builtin_offsetof(struct File, f_type) == 132, "f_type offset");
_Static_assert(__builtin_offsetof(struct File, f_direct) == 136, "f_direct offset");
_Static_assert(__builtin_offsetof(struct File, f_indirect) == 176, "f_indirect offset");
_Static_assert(__builtin_offsetof(struct Super, s_nblocks) == 8, "s_nblocks offset");
_Static_assert(__builtin_offsetof(struct Super, s_root) == 256, "s_root offset");

#endif // JOS86_FS_FORMAT_H

/*
 * Whole blocks to and from the disk. The block cache calls only these two,
 * so a layer that transforms blocks on their way (disk encryption) lives
 * here and nothing above it changes.
 */
#include "fs.h"

int disk_read_block(uint32_t blockno, void *dst)
{
	return ide_read(blockno * BLKSECTS, dst, BLKSECTS);
}

int disk_write_block(uint32_t blockno, const void *src)
{
	return ide_write(blockno * BLKSECTS, src, BLKSECTS);
}

/*
 * The block cache. The disk appears at DISKMAP, block b at
 * DISKMAP + b * BLKSIZE; touching a block that is not there faults, and the
 * fault handler reads it in. The page-table dirty bit (set by the MMU on
 * the first write, visible through uvpt) says which blocks to write back;
 * remapping a page onto itself clears its accessed and dirty bits.
 *
 * At most BC_MAXBLOCKS blocks stay in memory. To make room, a clock hand
 * walks the disk's blocks: a block used since the last pass (accessed bit)
 * gets a second chance, a dirty one is written back first, and a clean one
 * that was not used is unmapped. The superblock and bitmap stay pinned:
 * the file system keeps pointers to them. The same happens when the kernel
 * runs out of pages for a new block.
 */
#include "fs.h"

#define BC_MAXBLOCKS 512	/* 2 MiB of cached blocks */

uint32_t bc_nblocks;
uint32_t bc_cached;	/* blocks mapped now */
uint32_t bc_evictions;	/* blocks dropped to make room, since boot */
static uint32_t clock_hand;

void *diskaddr(uint32_t blockno)
{
	if (blockno == 0 || (bc_nblocks && blockno >= bc_nblocks))
		panic("bad block number %08x in diskaddr", blockno);
	return (char *) (DISKMAP + blockno * BLKSIZE);
}

bool va_is_mapped(void *va)
{
	return (uvpd[PDX(va)] & PTE_P) && (uvpt[PGNUM(va)] & PTE_P);
}

bool va_is_dirty(void *va)
{
	return (uvpt[PGNUM(va)] & PTE_D) != 0;
}

static bool pinned(uint32_t blockno)
{
	return blockno < FS_BITMAP_BLOCK + FS_NBITMAP(bc_nblocks);
}

/* Write the block holding addr back to the disk if it is dirty, and mark it clean. */
void flush_block(void *addr)
{
	uint32_t blockno = ((uint32_t) addr - DISKMAP) / BLKSIZE;
	if ((uint32_t) addr < DISKMAP || (uint32_t) addr >= DISKMAP + DISKSIZE)
		panic("flush_block of bad va %08x", addr);
	addr = ROUNDDOWN(addr, BLKSIZE);
	if (!va_is_mapped(addr) || !va_is_dirty(addr))
		return;
	int r;
	if ((r = disk_write_block(blockno, addr)) < 0)
		panic("flush_block: writing block %d: %e", blockno, r);
	if ((r = sys_page_map(0, addr, 0, addr, uvpt[PGNUM(addr)] & PTE_SYSCALL)) < 0)
		panic("flush_block: sys_page_map: %e", r);
}

/* Drop one block from the cache: returns 0, or -E_NO_MEM when every cached block is pinned. */
static int bc_evict_one(void)
{
	if (bc_nblocks == 0)
		return -E_NO_MEM;
	/* Two full turns: the first may only clear accessed bits and write back. */
	for (uint32_t step = 0; step < 2 * bc_nblocks; step++) {
		uint32_t b = clock_hand;
		clock_hand = (clock_hand + 1) % bc_nblocks;
		if (pinned(b))
			continue;
		void *va = (char *) (DISKMAP + b * BLKSIZE);
		if (!va_is_mapped(va))
			continue;
		pte_t pte = uvpt[PGNUM(va)];
		if (pte & PTE_D) {
			flush_block(va);	/* clears accessed and dirty: a candidate next turn */
			continue;
		}
		if (pte & PTE_A) {
			sys_page_map(0, va, 0, va, pte & PTE_SYSCALL);	/* second chance */
			continue;
		}
		sys_page_unmap(0, va);
		bc_cached--;
		bc_evictions++;
		return 0;
	}
	return -E_NO_MEM;
}

/* Make room for one more block. */
int bc_reserve(void)
{
	while (bc_cached >= BC_MAXBLOCKS)
		if (bc_evict_one() < 0)
			return -E_NO_MEM;
	return 0;
}

static void bc_pgfault(struct UTrapframe *utf)
{
	void *addr = (void *) utf->utf_fault_va;
	uint32_t blockno = ((uint32_t) addr - DISKMAP) / BLKSIZE;
	if ((uint32_t) addr < DISKMAP || (uint32_t) addr >= DISKMAP + DISKSIZE)
		panic("page fault in the file server: va %08x ip %08x err %04x", addr, utf->utf_eip, utf->utf_err);
	if (bc_nblocks && blockno >= bc_nblocks)
		panic("reading non-existent block %08x", blockno);

	addr = ROUNDDOWN(addr, BLKSIZE);
	int r;
	bc_reserve();
	while ((r = sys_page_alloc(0, addr, PTE_P | PTE_U | PTE_W)) == -E_NO_MEM)
		if (bc_evict_one() < 0)
			break;
	if (r < 0)
		panic("in bc_pgfault, sys_page_alloc: %e", r);
	if ((r = disk_read_block(blockno, addr)) < 0)
		panic("in bc_pgfault, reading block %d: %e", blockno, r);
	/* Fresh from the disk: clean. */
	if ((r = sys_page_map(0, addr, 0, addr, uvpt[PGNUM(addr)] & PTE_SYSCALL)) < 0)
		panic("in bc_pgfault, sys_page_map: %e", r);
	bc_cached++;
}

void bc_init(void)
{
	set_pgfault_handler(bc_pgfault);
}

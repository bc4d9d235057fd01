/*
 * Boot loader, second half: read the kernel, an ELF image starting at disk
 * sector 1, into memory at its program headers' physical addresses and
 * jump to its entry point. Disk reads use the IDE controller's PIO
 * registers (primary channel, master, LBA28), polling its status.
 */
#include <types.h>
#include <x86.h>
#include <elf.h>

#define SECTSIZE 512
#define ELFHDR ((struct Elf *) 0x10000)	/* scratch space for the ELF header */

#define IDE_DATA 0x1F0
#define IDE_STATUS 0x1F7
#define IDE_BSY 0x80
#define IDE_DRDY 0x40

static void wait_disk(void)
{
	while ((inb(IDE_STATUS) & (IDE_BSY | IDE_DRDY)) != IDE_DRDY)
		;
}

static void read_sector(void *dst, uint32_t lba)
{
	wait_disk();
	outb(0x1F2, 1);
	outb(0x1F3, lba);
	outb(0x1F4, lba >> 8);
	outb(0x1F5, lba >> 16);
	outb(0x1F6, (lba >> 24) | 0xE0);
	outb(0x1F7, 0x20);	/* READ SECTORS */
	wait_disk();
	insl(IDE_DATA, dst, SECTSIZE / 4);
}

/* Read `count` bytes at kernel-image `offset` to physical address `pa`, whole sectors at a time. */
static void read_segment(uint32_t pa, uint32_t count, uint32_t offset)
{
	uint32_t end = pa + count;
	pa -= offset % SECTSIZE;
	uint32_t lba = offset / SECTSIZE + 1;
	for (; pa < end; pa += SECTSIZE, lba++)
		read_sector((void *) pa, lba);
}

void bootmain(void)
{
	read_segment((uint32_t) ELFHDR, SECTSIZE * 8, 0);
	if (ELFHDR->e_magic != ELF_MAGIC)
		return;
	struct Proghdr *ph = (struct Proghdr *) ((uint8_t *) ELFHDR + ELFHDR->e_phoff);
	for (struct Proghdr *eph = ph + ELFHDR->e_phnum; ph < eph; ph++) {
		read_segment(ph->p_pa, ph->p_filesz, ph->p_offset);
		for (uint8_t *p = (uint8_t *) ph->p_pa + ph->p_filesz; p < (uint8_t *) ph->p_pa + ph->p_memsz; p++)
			*p = 0;
	}
	((void (*)(void)) ELFHDR->e_entry)();
}

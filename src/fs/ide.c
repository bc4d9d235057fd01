/*
 * A minimal ATA driver: PIO, polled, LBA28, on the primary channel
 * (ports 0x1F0-0x1F7, control 0x3F6). Only the file server runs it; it has
 * I/O privilege (IOPL 3) for that. Interrupts stay off at the drive (nIEN).
 *
 * ATA/ATAPI-6: status bits BSY, DRDY, DF, DRQ, ERR; commands READ SECTORS
 * (0x20), WRITE SECTORS (0x30), IDENTIFY DEVICE (0xEC).
 */
#include <x86.h>
#include "fs.h"

#define IDE_DATA	0x1F0
#define IDE_ERROR	0x1F1
#define IDE_NSECT	0x1F2
#define IDE_LBA0	0x1F3
#define IDE_LBA1	0x1F4
#define IDE_LBA2	0x1F5
#define IDE_DRIVE	0x1F6
#define IDE_STATUS	0x1F7	/* read */
#define IDE_CMD		0x1F7	/* write */
#define IDE_CTRL	0x3F6

#define ST_BSY	0x80
#define ST_DRDY	0x40
#define ST_DF	0x20
#define ST_DRQ	0x08
#define ST_ERR	0x01

#define CTRL_NIEN 0x02

#define CMD_READ	0x20
#define CMD_WRITE	0x30
#define CMD_IDENTIFY	0xEC

static int diskno = FS_DISKNO;

/* Wait until the drive is not busy; with check, fail on an error or fault. */
static int ide_wait_ready(bool check)
{
	int r;
	for (int i = 0; i < 1000000; i++) {
		r = inb(IDE_STATUS);
		if ((r & (ST_BSY | ST_DRDY)) == ST_DRDY) {
			if (check && (r & (ST_DF | ST_ERR)))
				return -E_INVAL;
			return 0;
		}
	}
	return -E_INVAL;
}

static void ide_select(uint32_t secno, size_t nsecs)
{
	outb(IDE_CTRL, CTRL_NIEN);
	outb(IDE_NSECT, nsecs);
	outb(IDE_LBA0, secno & 0xFF);
	outb(IDE_LBA1, (secno >> 8) & 0xFF);
	outb(IDE_LBA2, (secno >> 16) & 0xFF);
	outb(IDE_DRIVE, 0xE0 | ((diskno & 1) << 4) | ((secno >> 24) & 0x0F));
}

/* Is there a disk diskno? Its size from IDENTIFY (words 60-61: LBA28 sectors). */
int ide_probe(int disk, uint32_t *nsectors)
{
	diskno = disk;
	outb(IDE_DRIVE, 0xE0 | ((disk & 1) << 4));
	uint8_t st = inb(IDE_STATUS);
	if (st == 0 || st == 0xFF)
		return -E_NOT_FOUND;
	if (ide_wait_ready(0) < 0)
		return -E_NOT_FOUND;
	outb(IDE_CTRL, CTRL_NIEN);
	outb(IDE_CMD, CMD_IDENTIFY);
	int i;
	for (i = 0; i < 100000; i++) {
		st = inb(IDE_STATUS);
		if (st & ST_ERR)
			return -E_NOT_FOUND;
		if (!(st & ST_BSY) && (st & ST_DRQ))
			break;
	}
	if (i == 100000)
		return -E_NOT_FOUND;
	uint16_t id[256];
	insl(IDE_DATA, id, 128);
	*nsectors = id[60] | ((uint32_t) id[61] << 16);
	return 0;
}

int ide_read(uint32_t secno, void *dst, size_t nsecs)
{
	assert(nsecs <= 256);
	int r;
	if ((r = ide_wait_ready(0)) < 0)
		return r;
	ide_select(secno, nsecs);
	outb(IDE_CMD, CMD_READ);
	for (; nsecs > 0; nsecs--, dst += SECTSIZE) {
		if ((r = ide_wait_ready(1)) < 0)
			return r;
		insl(IDE_DATA, dst, SECTSIZE / 4);
	}
	return 0;
}

int ide_write(uint32_t secno, const void *src, size_t nsecs)
{
	assert(nsecs <= 256);
	int r;
	if ((r = ide_wait_ready(0)) < 0)
		return r;
	ide_select(secno, nsecs);
	outb(IDE_CMD, CMD_WRITE);
	for (; nsecs > 0; nsecs--, src += SECTSIZE) {
		if ((r = ide_wait_ready(1)) < 0)
			return r;
		outsl(IDE_DATA, src, SECTSIZE / 4);
	}
	return ide_wait_ready(1);
}

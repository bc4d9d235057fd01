/*
 * Whole blocks to and from the disk, and the disk's encryption
 * (src/fs/CRYPT.md). The block cache calls only disk_read_block and
 * disk_write_block, so this is the one layer that knows whether the disk
 * is encrypted; nothing above it changes.
 *
 * disk_init runs at mount, before the superblock is read, and looks at the
 * first sector of block 0:
 *   - no header: a plain disk, served as it is;
 *   - a request (CRYPT_STATE_REQUESTED, written by `jos86 fs encrypt
 *     --at-boot`): ask for a new password twice and encrypt the disk in
 *     place, then serve it;
 *   - a header: ask for the password, up to UNLOCK_TRIES times, and finish
 *     a conversion an earlier boot left half done; after the last wrong try
 *     the server stops, having written nothing;
 *   - anything unsound: say so and stop, writing nothing.
 * On an encrypted disk every block but 0 is AES-256-XTS with the block
 * number as the tweak: decrypted in place after a read, encrypted in a
 * bounce buffer before a write, so the cached page stays plain. Block 0 is
 * written only as the header sector, and only by the conversion and passwd.
 */
#include <x86.h>
#include "fs.h"
#include "crypt.h"
#include "crypto/crypto.h"

#define UNLOCK_TRIES 3

static bool encrypted;			/* every block but 0 is ciphertext */
static struct CryptHeader header;	/* block 0's first sector, of an encrypted disk */
static struct xts disk_key;		/* the master key, expanded */
static uint8_t bounce[BLKSIZE];		/* a block on its way to the disk, encrypted */
/* A conversion step: CRYPT_CONVERT_BATCH blocks, read plain, written encrypted. */
static uint8_t batch[CRYPT_CONVERT_BATCH * BLKSIZE];

int disk_read_block(uint32_t blockno, void *dst)
{
	if (encrypted && blockno == FS_HEADER_BLOCK) {
		memset(dst, 0, BLKSIZE);	/* the file system sees block 0 as zeros */
		return 0;
	}
	int r = ide_read(blockno * BLKSECTS, dst, BLKSECTS);
	if (r < 0 || !encrypted)
		return r;
	xts_decrypt(&disk_key, blockno, dst, BLKSIZE);
	return 0;
}

int disk_write_block(uint32_t blockno, const void *src)
{
	if (!encrypted)
		return ide_write(blockno * BLKSECTS, src, BLKSECTS);
	if (blockno == FS_HEADER_BLOCK)
		return -E_INVAL;	/* the header is not the file system's to write */
	memcpy(bounce, src, BLKSIZE);
	xts_encrypt(&disk_key, blockno, bounce, BLKSIZE);
	return ide_write(blockno * BLKSECTS, bounce, BLKSECTS);
}

bool disk_is_encrypted(void)
{
	return encrypted;
}

/* The header is one sector: each write of it lands whole or not at all. */
static int write_header(const struct CryptHeader *h)
{
	int r = ide_write(FS_HEADER_BLOCK * BLKSECTS, h, 1);
	if (r < 0)
		cprintf("fs: writing the encryption header: %e\n", r);
	return r;
}

/* ---- randomness: RDRAND, for keys and salts ---- */

static bool have_rdrand(void)
{
	uint32_t ecx;
	cpuid(1, NULL, NULL, &ecx, NULL);
	return (ecx & CPUID1_ECX_RDRAND) != 0;
}

/* Fill buf from RDRAND; false if it kept failing (Intel suggests 10 retries). */
static bool random_bytes(uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i += 4) {
		uint32_t v;
		int tries = 0;
		while (!rdrand32(&v))
			if (++tries == 10)
				return false;
		memcpy(buf + i, &v, MIN(len - i, (size_t) 4));
	}
	return true;
}

/* ---- in-place conversion (CRYPT.md, "Converting a plain disk in place") ---- */

static void show_progress(uint32_t done, uint32_t total, int *shown)
{
	int percent = (uint64_t) done * 100 / total;
	if (percent / 10 == *shown / 10 && percent != 100)
		return;
	*shown = percent;
	cprintf("fs: encrypting the disk: %d%%\n", percent);
}

/*
 * Encrypt blocks header.ch_convert_next .. nblocks-1, a step at a time:
 * read the step's blocks, encrypt those still plain (after an interruption
 * some of the recorded step may be ciphertext already, which its digests
 * tell), record the step in the header, write the header, then the
 * blocks. Last, the header in state ready. disk_key holds the master key.
 */
static int convert(void)
{
	uint32_t nblocks = header.ch_nblocks;
	int shown = -10, r;
	for (uint32_t first = header.ch_convert_next; first < nblocks;) {
		uint32_t count = MIN((uint32_t) CRYPT_CONVERT_BATCH, nblocks - first);
		if ((r = ide_read(first * BLKSECTS, batch, count * BLKSECTS)) < 0)
			goto failed;
		for (uint32_t i = 0; i < count; i++) {
			uint8_t *block = batch + i * BLKSIZE;
			if (!crypt_block_is_encrypted(&header, first + i, block))
				xts_encrypt(&disk_key, first + i, block, BLKSIZE);
		}
		crypt_convert_step(&header, first, count, batch);
		if ((r = write_header(&header)) < 0)
			return r;
		if ((r = ide_write(first * BLKSECTS, batch, count * BLKSECTS)) < 0)
			goto failed;
		first += count;
		show_progress(first - 1, nblocks - 1, &shown);
	}
	crypt_convert_done(&header);
	if ((r = write_header(&header)) < 0)
		return r;
	encrypted = true;
	return 0;
failed:
	cprintf("fs: disk error while encrypting: %e; the next boot resumes\n", r);
	return r;
}

/*
 * Encrypt the plain disk of nblocks blocks under a new random master key
 * wrapped by `password`. The boot-time request and the `encrypt` program
 * (FSREQ_ENCRYPT) both come here; the caller has written back every dirty
 * block, so the disk holds the whole file system.
 */
int disk_encrypt(const char *password, size_t len, uint32_t nblocks, uint32_t iterations)
{
	uint8_t master[CRYPT_KEY_SIZE], salt[CRYPT_SALT_SIZE];
	if (encrypted)
		return -E_INVAL;
	if (!have_rdrand()) {
		cprintf("fs: cannot encrypt: this CPU has no RDRAND (CPUID.1:ECX bit 30) to make a key with\n");
		return -E_NOT_SUPP;
	}
	do {
		if (!random_bytes(master, sizeof master) || !random_bytes(salt, sizeof salt)) {
			cprintf("fs: cannot encrypt: RDRAND gives no random numbers\n");
			return -E_NOT_SUPP;
		}
	} while (memcmp(master, master + XTS_KEY_SIZE / 2, XTS_KEY_SIZE / 2) == 0);
	cprintf("fs: encrypting the disk in place (%d blocks); an interrupted run resumes at the next boot\n", nblocks);
	crypt_header_init(&header, nblocks, iterations, master, salt, password, len);
	crypt_convert_step(&header, 1, 0, NULL);
	xts_init(&disk_key, master);
	crypto_wipe(master, sizeof master);
	int r = write_header(&header);
	if (r == 0)
		r = convert();
	if (r == 0)
		cprintf("fs: the disk is encrypted\n");
	return r;
}

/* ---- at mount ---- */

/* A disk that asks to be encrypted: check it holds a file system, ask for a password, convert. */
static int convert_requested(uint32_t disk_nblocks)
{
	char password[PASSWORD_MAX];
	struct Super *s = (struct Super *) bounce;
	cprintf("fs: the disk asks to be encrypted at this boot (jos86 fs encrypt --at-boot)\n");
	int r = ide_read(FS_SUPER_BLOCK * BLKSECTS, bounce, BLKSECTS);
	if (r < 0 || s->s_magic != FS_MAGIC || s->s_nblocks > disk_nblocks || s->s_nblocks != header.ch_nblocks) {
		cprintf("fs: but it holds no file system of the size the request gives; nothing is done\n");
		return -E_BAD_FS;
	}
	if (!have_rdrand()) {
		cprintf("fs: cannot encrypt: this CPU has no RDRAND (CPUID.1:ECX bit 30); the disk is served plain and the request stays\n");
		return 0;
	}
	int len = getnewpassword(password, sizeof password);
	r = disk_encrypt(password, len, s->s_nblocks, header.ch_iterations);
	password_wipe(password, sizeof password);
	return r;
}

/* Ask for the password up to UNLOCK_TRIES times; nothing is written here. */
static int unlock(void)
{
	char password[PASSWORD_MAX];
	uint8_t master[CRYPT_KEY_SIZE];
	for (int try = 0; try < UNLOCK_TRIES; try++) {
		int len = getpassword("Password for the disk: ", password, sizeof password);
		int r = crypt_unlock(&header, password, len, master);
		password_wipe(password, sizeof password);
		if (r == CRYPT_OK) {
			xts_init(&disk_key, master);
			crypto_wipe(master, sizeof master);
			return 0;
		}
		cprintf("fs: wrong password\n");
	}
	cprintf("fs: %d wrong passwords; nothing was written to the disk\n", UNLOCK_TRIES);
	return -E_BAD_PASSWORD;
}

/* Look at block 0 and make the disk readable: see the comment at the top. */
int disk_init(uint32_t disk_nblocks)
{
	int r = ide_read(FS_HEADER_BLOCK * BLKSECTS, &header, 1);
	if (r < 0) {
		cprintf("fs: reading block 0: %e\n", r);
		return r;
	}
	switch (crypt_header_check(&header)) {
	case CRYPT_E_NOT_ENCRYPTED:
		return 0;
	case CRYPT_REQUESTED:
		return convert_requested(disk_nblocks);
	case CRYPT_OK:
		break;
	case CRYPT_E_UNSUPPORTED:
		cprintf("fs: the disk's encryption header (version %d, cipher %d, key derivation %d) is of a kind this server does not read; nothing is written\n",
			header.ch_version, header.ch_cipher, header.ch_kdf);
		return -E_BAD_FS;
	default:
		cprintf("fs: the disk's encryption header is corrupt; nothing is written (jos86 fs on the host says more)\n");
		return -E_BAD_FS;
	}
	if (header.ch_nblocks > disk_nblocks) {
		cprintf("fs: the encryption header says %d blocks, the disk has %d; nothing is written\n", header.ch_nblocks, disk_nblocks);
		return -E_BAD_FS;
	}
	if ((r = unlock()) < 0)
		return r;
	if (header.ch_state == CRYPT_STATE_CONVERTING) {
		cprintf("fs: resuming the interrupted encryption of the disk at block %d\n", header.ch_convert_next);
		if ((r = convert()) < 0)
			return r;
		cprintf("fs: the disk is encrypted\n");
		return 0;
	}
	encrypted = true;
	return 0;
}

/* passwd: wrap the master key under a new password. Only block 0's header sector is written. */
int disk_change_password(const char *old, size_t oldlen, const char *new, size_t newlen)
{
	uint8_t master[CRYPT_KEY_SIZE], salt[CRYPT_SALT_SIZE];
	if (!encrypted)
		return -E_NOT_SUPP;
	if (crypt_unlock(&header, old, oldlen, master) != CRYPT_OK)
		return -E_BAD_PASSWORD;
	int r = -E_NOT_SUPP;
	if (have_rdrand() && random_bytes(salt, sizeof salt)) {
		struct CryptHeader updated = header;
		crypt_rewrap(&updated, master, salt, new, newlen);
		if ((r = write_header(&updated)) == 0)
			header = updated;
	}
	crypto_wipe(master, sizeof master);
	return r;
}

// Host driver for the encrypted-disk header code (src/fs/crypt.c), so
// crypt-format.test.ts can have the guest's C read what the host tool
// writes and the other way round. One command per run:
//   layout                                 sizes, offsets and constants of crypt.h
//   unlock IMAGE PASSWORD                  check + unlock; prints the result code, the
//                                          master key and block 1 decrypted (hex)
//   init OUT NBLOCKS ITERATIONS MASTER SALT PASSWORD   write a new 512-byte header
//   rewrap HEADER MASTER SALT PASSWORD     re-wrap the key in a header file
//   blocks IMAGE                           one digit per block: is it ciphertext?
// MASTER and SALT are hex.

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "format.h"
#include "crypt.h"
#include "crypto/crypto.h"

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	*len = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *bytes = malloc(*len + 1);
	if (fread(bytes, 1, *len, f) != *len)
		exit(2);
	fclose(f);
	return bytes;
}

static void write_file(const char *path, const void *bytes, size_t len)
{
	FILE *f = fopen(path, "wb");
	fwrite(bytes, 1, len, f);
	fclose(f);
}

static void unhex(const char *hex, uint8_t *out, size_t len)
{
	for (size_t k = 0; k < len; k++) {
		unsigned value;
		sscanf(hex + 2 * k, "%2x", &value);
		out[k] = (uint8_t) value;
	}
}

static void print_hex(const uint8_t *bytes, size_t len)
{
	for (size_t k = 0; k < len; k++)
		printf("%02x", bytes[k]);
	printf("\n");
}

#define SHOW(name, value) printf("%s %lu\n", name, (unsigned long) (value))

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "layout") == 0) {
		SHOW("CRYPT_HEADER_SIZE", sizeof(struct CryptHeader));
		SHOW("CH_MAGIC", offsetof(struct CryptHeader, ch_magic));
		SHOW("CH_VERSION", offsetof(struct CryptHeader, ch_version));
		SHOW("CH_CIPHER", offsetof(struct CryptHeader, ch_cipher));
		SHOW("CH_KDF", offsetof(struct CryptHeader, ch_kdf));
		SHOW("CH_ITERATIONS", offsetof(struct CryptHeader, ch_iterations));
		SHOW("CH_SALT", offsetof(struct CryptHeader, ch_salt));
		SHOW("CH_WRAPPED_KEY", offsetof(struct CryptHeader, ch_wrapped_key));
		SHOW("CH_KEY_CHECK", offsetof(struct CryptHeader, ch_key_check));
		SHOW("CH_NBLOCKS", offsetof(struct CryptHeader, ch_nblocks));
		SHOW("CH_STATE", offsetof(struct CryptHeader, ch_state));
		SHOW("CH_CONVERT_NEXT", offsetof(struct CryptHeader, ch_convert_next));
		SHOW("CH_CONVERT_COUNT", offsetof(struct CryptHeader, ch_convert_count));
		SHOW("CH_CONVERT_DIGEST", offsetof(struct CryptHeader, ch_convert_digest));
		SHOW("CH_RESERVED", offsetof(struct CryptHeader, ch_reserved));
		SHOW("CH_CHECKSUM", offsetof(struct CryptHeader, ch_checksum));
		SHOW("CRYPT_VERSION", CRYPT_VERSION);
		SHOW("CRYPT_CIPHER_AES256_XTS", CRYPT_CIPHER_AES256_XTS);
		SHOW("CRYPT_KDF_PBKDF2_SHA256", CRYPT_KDF_PBKDF2_SHA256);
		SHOW("CRYPT_SALT_SIZE", CRYPT_SALT_SIZE);
		SHOW("CRYPT_KEY_SIZE", CRYPT_KEY_SIZE);
		SHOW("CRYPT_KEK_SIZE", CRYPT_KEK_SIZE);
		SHOW("CRYPT_CHECK_SIZE", CRYPT_CHECK_SIZE);
		SHOW("CRYPT_CHECKSUM_SIZE", CRYPT_CHECKSUM_SIZE);
		SHOW("CRYPT_DEFAULT_ITERATIONS", CRYPT_DEFAULT_ITERATIONS);
		SHOW("CRYPT_STATE_READY", CRYPT_STATE_READY);
		SHOW("CRYPT_STATE_CONVERTING", CRYPT_STATE_CONVERTING);
		SHOW("CRYPT_CONVERT_BATCH", CRYPT_CONVERT_BATCH);
		SHOW("CRYPT_DIGEST_SIZE", CRYPT_DIGEST_SIZE);
		printf("CRYPT_MAGIC %s\n", CRYPT_MAGIC);
		printf("CRYPT_KEY_CHECK_TEXT %s\n", CRYPT_KEY_CHECK_TEXT);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "unlock") == 0) {
		size_t len;
		uint8_t *image = read_file(argv[2], &len);
		const struct CryptHeader *h = (const struct CryptHeader *) image;
		uint8_t master[CRYPT_KEY_SIZE];
		int r = crypt_header_check(h);
		if (r == CRYPT_OK)
			r = crypt_unlock(h, argv[3], strlen(argv[3]), master);
		printf("%d\n", r);
		if (r != CRYPT_OK)
			return 0;
		print_hex(master, sizeof master);
		static struct xts xts;
		xts_init(&xts, master);
		uint8_t *super = image + FS_SUPER_BLOCK * BLKSIZE;
		if (crypt_block_is_encrypted(h, FS_SUPER_BLOCK, super))
			xts_decrypt(&xts, FS_SUPER_BLOCK, super, BLKSIZE);
		print_hex(super, BLKSIZE);
		return 0;
	}
	if (argc == 8 && strcmp(argv[1], "init") == 0) {
		struct CryptHeader h;
		uint8_t master[CRYPT_KEY_SIZE], salt[CRYPT_SALT_SIZE];
		unhex(argv[5], master, sizeof master);
		unhex(argv[6], salt, sizeof salt);
		crypt_header_init(&h, strtoul(argv[3], NULL, 10), strtoul(argv[4], NULL, 10), master, salt, argv[7], strlen(argv[7]));
		write_file(argv[2], &h, sizeof h);
		return 0;
	}
	if (argc == 6 && strcmp(argv[1], "rewrap") == 0) {
		size_t len;
		struct CryptHeader *h = (struct CryptHeader *) read_file(argv[2], &len);
		uint8_t master[CRYPT_KEY_SIZE], salt[CRYPT_SALT_SIZE];
		unhex(argv[3], master, sizeof master);
		unhex(argv[4], salt, sizeof salt);
		crypt_rewrap(h, master, salt, argv[5], strlen(argv[5]));
		write_file(argv[2], h, sizeof *h);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "blocks") == 0) {
		size_t len;
		uint8_t *image = read_file(argv[2], &len);
		const struct CryptHeader *h = (const struct CryptHeader *) image;
		printf("%d\n", crypt_header_check(h));
		for (uint32_t b = 0; b < h->ch_nblocks; b++)
			putchar(crypt_block_is_encrypted(h, b, image + (size_t) b * BLKSIZE) ? '1' : '0');
		printf("\n");
		return 0;
	}
	fprintf(stderr, "usage: see the comment at the top of crypt-driver.c\n");
	return 2;
}

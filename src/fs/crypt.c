// The encrypted disk's header (src/fs/CRYPT.md, struct in crypt.h), for the
// file server: check it, unlock the master key with a password, make a new
// one, re-wrap the key under a new password, and follow an in-place
// conversion's progress. The block cache does the rest with xts_encrypt and
// xts_decrypt, unit = block number, BLKSIZE bytes.
//
// The key-encryption key is PBKDF2-HMAC-SHA256(password, ch_salt,
// ch_iterations) cut to 64 bytes, itself an XTS key; the master key is
// stored XTS-encrypted under it as data unit 0. A password is right when
// the unwrapped key's HMAC-SHA256 of CRYPT_KEY_CHECK_TEXT is ch_key_check.

#include <types.h>
#include <string.h>
#include "format.h"
#include "crypt.h"
#include "crypto/crypto.h"

void crypt_header_seal(struct CryptHeader *h)
{
	sha256(h, offsetof(struct CryptHeader, ch_checksum), h->ch_checksum);
}

int crypt_header_check(const struct CryptHeader *h)
{
	uint8_t checksum[CRYPT_CHECKSUM_SIZE];
	if (memcmp(h->ch_magic, CRYPT_MAGIC, CRYPT_MAGIC_SIZE) != 0)
		return CRYPT_E_NOT_ENCRYPTED;
	sha256(h, offsetof(struct CryptHeader, ch_checksum), checksum);
	if (memcmp(checksum, h->ch_checksum, sizeof checksum) != 0)
		return CRYPT_E_CORRUPT;
	if (h->ch_version != CRYPT_VERSION || h->ch_cipher != CRYPT_CIPHER_AES256_XTS ||
	    h->ch_kdf != CRYPT_KDF_PBKDF2_SHA256)
		return CRYPT_E_UNSUPPORTED;
	if (h->ch_iterations < CRYPT_MIN_ITERATIONS || h->ch_nblocks < 2)
		return CRYPT_E_CORRUPT;
	if (h->ch_state == CRYPT_STATE_CONVERTING) {
		if (h->ch_convert_next < 1 || h->ch_convert_count > CRYPT_CONVERT_BATCH ||
		    h->ch_convert_next + h->ch_convert_count > h->ch_nblocks)
			return CRYPT_E_CORRUPT;
	} else if (h->ch_state == CRYPT_STATE_REQUESTED) {
		return CRYPT_REQUESTED;
	} else if (h->ch_state != CRYPT_STATE_READY) {
		return CRYPT_E_CORRUPT;
	}
	return CRYPT_OK;
}

static void key_check(const uint8_t master[CRYPT_KEY_SIZE], uint8_t check[CRYPT_CHECK_SIZE])
{
	hmac_sha256(master, CRYPT_KEY_SIZE, CRYPT_KEY_CHECK_TEXT, sizeof CRYPT_KEY_CHECK_TEXT - 1, check);
}

// The XTS context of the key-encryption key (static: a user stack is a page).
static struct xts *kek_for(const struct CryptHeader *h, const void *password, size_t passwordlen)
{
	static struct xts kek;
	uint8_t derived[CRYPT_KEK_SIZE];
	pbkdf2_hmac_sha256(password, passwordlen, h->ch_salt, CRYPT_SALT_SIZE, h->ch_iterations, derived, sizeof derived);
	xts_init(&kek, derived);
	crypto_wipe(derived, sizeof derived);
	return &kek;
}

int crypt_unlock(const struct CryptHeader *h, const void *password, size_t passwordlen, uint8_t master[CRYPT_KEY_SIZE])
{
	uint8_t key[CRYPT_KEY_SIZE], check[CRYPT_CHECK_SIZE];
	struct xts *kek = kek_for(h, password, passwordlen);
	memcpy(key, h->ch_wrapped_key, sizeof key);
	xts_decrypt(kek, 0, key, sizeof key);
	crypto_wipe(kek, sizeof *kek);
	key_check(key, check);
	int r = memcmp(check, h->ch_key_check, sizeof check) == 0 ? CRYPT_OK : CRYPT_E_PASSWORD;
	if (r == CRYPT_OK)
		memcpy(master, key, sizeof key);
	crypto_wipe(key, sizeof key);
	return r;
}

void crypt_rewrap(struct CryptHeader *h, const uint8_t master[CRYPT_KEY_SIZE], const uint8_t salt[CRYPT_SALT_SIZE],
		  const void *password, size_t passwordlen)
{
	memcpy(h->ch_salt, salt, CRYPT_SALT_SIZE);
	struct xts *kek = kek_for(h, password, passwordlen);
	memcpy(h->ch_wrapped_key, master, CRYPT_KEY_SIZE);
	xts_encrypt(kek, 0, h->ch_wrapped_key, CRYPT_KEY_SIZE);
	crypto_wipe(kek, sizeof *kek);
	crypt_header_seal(h);
}

void crypt_header_init(struct CryptHeader *h, uint32_t nblocks, uint32_t iterations,
		       const uint8_t master[CRYPT_KEY_SIZE], const uint8_t salt[CRYPT_SALT_SIZE],
		       const void *password, size_t passwordlen)
{
	memset(h, 0, sizeof *h);
	memcpy(h->ch_magic, CRYPT_MAGIC, CRYPT_MAGIC_SIZE);
	h->ch_version = CRYPT_VERSION;
	h->ch_cipher = CRYPT_CIPHER_AES256_XTS;
	h->ch_kdf = CRYPT_KDF_PBKDF2_SHA256;
	h->ch_iterations = iterations;
	h->ch_nblocks = nblocks;
	h->ch_state = CRYPT_STATE_READY;
	key_check(master, h->ch_key_check);
	crypt_rewrap(h, master, salt, password, passwordlen);
}

bool crypt_block_is_encrypted(const struct CryptHeader *h, uint32_t blockno, const uint8_t *block)
{
	uint8_t digest[SHA256_SIZE];
	if (blockno == FS_HEADER_BLOCK)
		return false;
	if (h->ch_state == CRYPT_STATE_READY || blockno < h->ch_convert_next)
		return true;
	uint32_t slot = blockno - h->ch_convert_next;
	if (slot >= h->ch_convert_count)
		return false;
	sha256(block, BLKSIZE, digest);
	return memcmp(digest, h->ch_convert_digest[slot], CRYPT_DIGEST_SIZE) == 0;
}

void crypt_convert_step(struct CryptHeader *h, uint32_t first, uint32_t count, const uint8_t *ciphertexts)
{
	uint8_t digest[SHA256_SIZE];
	h->ch_state = CRYPT_STATE_CONVERTING;
	h->ch_convert_next = first;
	h->ch_convert_count = count;
	memset(h->ch_convert_digest, 0, sizeof h->ch_convert_digest);
	for (uint32_t i = 0; i < count; i++) {
		sha256(ciphertexts + i * BLKSIZE, BLKSIZE, digest);
		memcpy(h->ch_convert_digest[i], digest, CRYPT_DIGEST_SIZE);
	}
	crypt_header_seal(h);
}

void crypt_convert_done(struct CryptHeader *h)
{
	h->ch_state = CRYPT_STATE_READY;
	h->ch_convert_next = 0;
	h->ch_convert_count = 0;
	memset(h->ch_convert_digest, 0, sizeof h->ch_convert_digest);
	crypt_header_seal(h);
}

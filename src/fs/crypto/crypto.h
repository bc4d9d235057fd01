// Cryptography for the encrypted disk (issue 7): AES-256, AES-256-XTS,
// SHA-256, HMAC-SHA256 and PBKDF2-HMAC-SHA256, in freestanding C for the
// file server. Prototypes grouped by the file in src/fs/crypto/ that
// defines them. src/fs/CRYPT.md says how the disk uses them.
//
// Every function is pure computation on caller memory: no allocation, no
// global state beyond AES's tables (built on first use, never changed
// after), nothing that fails. Byte strings are byte strings: the AES block,
// keys and digests are in the byte order the standards print them in.
//
// The includer provides uint8_t, uint32_t, uint64_t and size_t (JOS's
// types.h, or <stdint.h> and <stddef.h> on the host), as for format.h.

#ifndef JOS86_FS_CRYPTO_H
#define JOS86_FS_CRYPTO_H

// ---- aes.c: AES-256 (FIPS 197) ---------------------------------------------
#define AES_BLOCK_SIZE		16
#define AES256_KEY_SIZE		32
#define AES256_ROUNDS		14

// The expanded key: round keys for encryption, and the "equivalent inverse
// cipher" round keys (FIPS 197 5.3.5) for decryption.
struct aes256 {
	uint32_t enc[4 * (AES256_ROUNDS + 1)];
	uint32_t dec[4 * (AES256_ROUNDS + 1)];
};

void aes256_init(struct aes256 *aes, const uint8_t key[AES256_KEY_SIZE]);
// One 16-byte block; in and out may be the same buffer.
void aes256_encrypt(const struct aes256 *aes, const uint8_t in[AES_BLOCK_SIZE], uint8_t out[AES_BLOCK_SIZE]);
void aes256_decrypt(const struct aes256 *aes, const uint8_t in[AES_BLOCK_SIZE], uint8_t out[AES_BLOCK_SIZE]);

// ---- xts.c: AES-256-XTS (IEEE 1619-2007) -----------------------------------
// The 64-byte XTS key is two AES-256 keys: bytes 0..31 encrypt the data
// (Key1), bytes 32..63 encrypt the tweak (Key2).
#define XTS_KEY_SIZE		(2 * AES256_KEY_SIZE)

struct xts {
	struct aes256 data;
	struct aes256 tweak;
};

void xts_init(struct xts *xts, const uint8_t key[XTS_KEY_SIZE]);
// Encrypt or decrypt one data unit of `len` bytes in place. `unit` is the
// data-unit sequence number; the tweak is its 128-bit little-endian
// encoding (the high 64 bits zero). `len` must be a positive multiple of 16
// (no ciphertext stealing: the disk's unit is a 4096-byte block, and the
// key wrap is 64 bytes). The disk passes the file-system block number as
// `unit` and BLKSIZE as `len`.
void xts_encrypt(const struct xts *xts, uint64_t unit, uint8_t *buf, size_t len);
void xts_decrypt(const struct xts *xts, uint64_t unit, uint8_t *buf, size_t len);

// ---- sha256.c: SHA-256 (FIPS 180-4) ----------------------------------------
#define SHA256_SIZE		32
#define SHA256_BLOCK_SIZE	64

struct sha256 {
	uint32_t state[8];
	uint64_t length;		// bytes hashed so far
	uint8_t block[SHA256_BLOCK_SIZE];	// the partial block
	uint32_t used;			// bytes in `block`
};

void sha256_init(struct sha256 *sha);
void sha256_update(struct sha256 *sha, const void *data, size_t len);
void sha256_final(struct sha256 *sha, uint8_t digest[SHA256_SIZE]);
void sha256(const void *data, size_t len, uint8_t digest[SHA256_SIZE]);

// ---- hmac.c: HMAC-SHA256 (RFC 2104) and PBKDF2-HMAC-SHA256 (RFC 8018) -------
struct hmac_sha256 {
	struct sha256 inner;		// keyed with key ^ ipad, then the message
	struct sha256 outer;		// keyed with key ^ opad
};

void hmac_sha256_init(struct hmac_sha256 *hmac, const void *key, size_t keylen);
void hmac_sha256_update(struct hmac_sha256 *hmac, const void *data, size_t len);
void hmac_sha256_final(struct hmac_sha256 *hmac, uint8_t mac[SHA256_SIZE]);
void hmac_sha256(const void *key, size_t keylen, const void *data, size_t len, uint8_t mac[SHA256_SIZE]);
// Derive `outlen` bytes from a password and salt with `iterations` rounds
// (each round of each 32-byte output block costs two SHA-256 compressions).
void pbkdf2_hmac_sha256(const void *password, size_t passwordlen, const void *salt, size_t saltlen,
			uint32_t iterations, uint8_t *out, size_t outlen);

// Forget a key: zeroes that the compiler may not remove as dead stores.
void crypto_wipe(void *buf, size_t len);

#endif // JOS86_FS_CRYPTO_H

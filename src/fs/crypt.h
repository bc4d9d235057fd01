// The on-disk format of an encrypted jos86 disk (issue 7), shared by the
// guest file server and the host image tool (src/host/fs/crypt.ts).
//
// src/fs/CRYPT.md is the full description: the header, how the master key
// is wrapped, how a block is encrypted, and how an in-place conversion of a
// plain disk records its progress. This header restates it as C so the
// compiler checks the layout; keep the two (and crypt.ts) in step.
//
// All multi-byte integers are little-endian. The includer provides
// uint8_t, uint32_t, size_t and bool (JOS's types.h, or <stdint.h>,
// <stddef.h> and <stdbool.h> on the host).

#ifndef JOS86_FS_CRYPT_H
#define JOS86_FS_CRYPT_H

// ---- Block 0: the clear-text header (first 512 bytes; the rest of block 0 is zero)
#define CRYPT_MAGIC		"J86CRYPT"	// 8 bytes, no NUL on disk
#define CRYPT_MAGIC_SIZE	8
#define CRYPT_VERSION		1
#define CRYPT_CIPHER_AES256_XTS	1	// AES-256-XTS, 4096-byte data units, unit = block number
#define CRYPT_KDF_PBKDF2_SHA256	1	// PBKDF2-HMAC-SHA256

#define CRYPT_SALT_SIZE		32
#define CRYPT_KEY_SIZE		64	// master key: XTS Key1 (data) || Key2 (tweak)
#define CRYPT_KEK_SIZE		64	// key-encryption key from PBKDF2, also an XTS key
#define CRYPT_CHECK_SIZE	32
#define CRYPT_CHECKSUM_SIZE	32
#define CRYPT_KEY_CHECK_TEXT	"jos86 key check"	// HMAC message, 15 bytes, no NUL

// PBKDF2 iterations given to a new header (CRYPT.md explains the choice);
// the count is stored in the header, so it can change per disk.
#define CRYPT_DEFAULT_ITERATIONS	1000
#define CRYPT_MIN_ITERATIONS		1

// ch_state
#define CRYPT_STATE_READY	0	// every block but 0 is encrypted
#define CRYPT_STATE_CONVERTING	1	// in-place encryption of a plain disk under way
#define CRYPT_STATE_REQUESTED	2	// a PLAIN disk asking to be encrypted at the next boot:
					// no keys yet (salt, wrapped key and key check are zero),
					// every other block is plain; CRYPT.md "Encrypt at boot"

// Blocks encrypted per step of a conversion, each with its digest in the header.
#define CRYPT_CONVERT_BATCH	32
#define CRYPT_DIGEST_SIZE	8	// first bytes of SHA-256 of a converted block's ciphertext

// The header is one 512-byte sector, so writing it is a single sector
// write: a conversion step's progress is recorded all at once or not at all.
struct CryptHeader {
	uint8_t ch_magic[CRYPT_MAGIC_SIZE];	// 0: "J86CRYPT"
	uint32_t ch_version;			// 8: CRYPT_VERSION
	uint32_t ch_cipher;			// 12: CRYPT_CIPHER_AES256_XTS
	uint32_t ch_kdf;			// 16: CRYPT_KDF_PBKDF2_SHA256
	uint32_t ch_iterations;			// 20: PBKDF2 iteration count
	uint8_t ch_salt[CRYPT_SALT_SIZE];	// 24: PBKDF2 salt, random
	uint8_t ch_wrapped_key[CRYPT_KEY_SIZE];	// 56: master key, XTS-encrypted under the KEK, unit 0
	uint8_t ch_key_check[CRYPT_CHECK_SIZE];	// 120: HMAC-SHA256(master key, CRYPT_KEY_CHECK_TEXT)
	uint32_t ch_nblocks;			// 152: blocks on the disk, block 0 included
	uint32_t ch_state;			// 156: CRYPT_STATE_*
	uint32_t ch_convert_next;		// 160: converting: blocks 1 .. next-1 are encrypted
	uint32_t ch_convert_count;		// 164: converting: blocks next .. next+count-1 are
						//      being written (see ch_convert_digest);
						//      blocks from next+count on are plain
	uint8_t ch_convert_digest[CRYPT_CONVERT_BATCH][CRYPT_DIGEST_SIZE];
						// 168: for block next+i: SHA-256 of its
						//      ciphertext, first 8 bytes; a block whose
						//      bytes hash to this is already encrypted
	uint8_t ch_reserved[56];		// 424: zero
	uint8_t ch_checksum[CRYPT_CHECKSUM_SIZE];	// 480: SHA-256 of bytes 0..479
};

_Static_assert(sizeof(struct CryptHeader) == 512, "struct CryptHeader is one sector");
_Static_assert(__builtin_offsetof(struct CryptHeader, ch_iterations) == 20, "ch_iterations offset");
_Static_assert(__builtin_offsetof(struct CryptHeader, ch_salt) == 24, "ch_salt offset");
_Static_assert(__builtin_offsetof(struct CryptHeader, ch_wrapped_key) == 56, "ch_wrapped_key offset");
_Static_assert(__builtin_offsetof(struct CryptHeader, ch_key_check) == 120, "ch_key_check offset");
_Static_assert(__builtin_offsetof(struct CryptHeader, ch_nblocks) == 152, "ch_nblocks offset");
_Static_assert(__builtin_offsetof(struct CryptHeader, ch_convert_digest) == 168, "ch_convert_digest offset");
_Static_assert(__builtin_offsetof(struct CryptHeader, ch_checksum) == 480, "ch_checksum offset");

// ---- crypt.c: the header, for the file server -----------------------------
// Results of crypt_header_check and crypt_unlock.
#define CRYPT_REQUESTED		1	// a sound request to encrypt a plain disk (CRYPT_STATE_REQUESTED)
#define CRYPT_OK		0	// an encrypted disk (ready or converting); the password is right
#define CRYPT_E_NOT_ENCRYPTED	(-1)	// no CRYPT_MAGIC: a plain disk
#define CRYPT_E_CORRUPT		(-2)	// bad checksum or impossible fields
#define CRYPT_E_UNSUPPORTED	(-3)	// another version, cipher or KDF
#define CRYPT_E_PASSWORD	(-4)	// the password does not unwrap the key

// Check magic, checksum, version, algorithms and the conversion fields.
// CRYPT_OK for an encrypted disk, CRYPT_REQUESTED for a plain one that
// asks to be encrypted, CRYPT_E_NOT_ENCRYPTED for a plain one without.
int crypt_header_check(const struct CryptHeader *h);
// Derive the KEK from the password, unwrap the master key and verify it
// against ch_key_check; the key is written to `master` only when right.
int crypt_unlock(const struct CryptHeader *h, const void *password, size_t passwordlen,
		 uint8_t master[CRYPT_KEY_SIZE]);
// A fresh header (state ready) for a disk of nblocks blocks: the caller
// supplies the random master key and salt. The checksum is set.
void crypt_header_init(struct CryptHeader *h, uint32_t nblocks, uint32_t iterations,
		       const uint8_t master[CRYPT_KEY_SIZE], const uint8_t salt[CRYPT_SALT_SIZE],
		       const void *password, size_t passwordlen);
// Wrap the master key under a new password and salt (`passwd`); the
// iteration count stays, and so does everything else. The checksum is set.
void crypt_rewrap(struct CryptHeader *h, const uint8_t master[CRYPT_KEY_SIZE], const uint8_t salt[CRYPT_SALT_SIZE],
		  const void *password, size_t passwordlen);
// Recompute ch_checksum after changing fields (a conversion's progress).
void crypt_header_seal(struct CryptHeader *h);
// Is this block, as read from the disk, ciphertext? Always for blocks
// 1.. when ready; while converting, by the progress fields and digests.
bool crypt_block_is_encrypted(const struct CryptHeader *h, uint32_t blockno, const uint8_t *block);
// Record a conversion step: blocks first .. first+count-1 are about to be
// written with these ciphertexts (count * BLKSIZE bytes). Seals the header.
// A conversion starts with crypt_header_init then crypt_convert_step(h, 1,
// 0, NULL) (nothing encrypted yet), written before any data block.
void crypt_convert_step(struct CryptHeader *h, uint32_t first, uint32_t count, const uint8_t *ciphertexts);
// The last step is written: back to state ready. Seals the header.
void crypt_convert_done(struct CryptHeader *h);

#endif // JOS86_FS_CRYPT_H

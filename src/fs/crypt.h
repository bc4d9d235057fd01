// The on-disk format of an encrypted jos86 disk (issue 7), shared by the
// guest file server and the host image tool (src/host/fs/crypt.ts).
//
// src/fs/CRYPT.md is the full description: the header, how the master key
// is wrapped, how a block is encrypted, and how an in-place conversion of a
// plain disk records its progress. This header restates it as C so the
// compiler checks the layout; keep the two (and crypt.ts) in step.
//
// All multi-byte integers are little-endian. The includer provides
// uint8_t and uint32_t (JOS's types.h, or <stdint.h> on the host).

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

#endif // JOS86_FS_CRYPT_H

// AES-256-XTS (IEEE 1619-2007 section 5), for data units that are a whole
// number of 16-byte blocks.
//
// For data unit number i: T = AES-enc(Key2, i as 16 little-endian bytes);
// block j of the unit is C_j = AES(Key1, P_j ^ T_j) ^ T_j with T_0 = T and
// T_{j+1} = T_j * x in GF(2^128), the field element stored little-endian
// (byte 0 least significant) and reduced by x^128 + x^7 + x^2 + x + 1.
// Decryption runs AES-dec(Key1) in the middle and still AES-enc for the tweak.
//
// A unit shorter than 16 bytes, or a partial last block (which IEEE 1619
// handles with ciphertext stealing), never occurs on the disk, so the
// length must be a multiple of 16; anything past the last whole block is
// left alone.

#include <types.h>
#include <string.h>
#include "crypto.h"

void xts_init(struct xts *xts, const uint8_t key[XTS_KEY_SIZE])
{
	aes256_init(&xts->data, key);
	aes256_init(&xts->tweak, key + AES256_KEY_SIZE);
}

// The tweak is kept as four 32-bit words, which on the i386 (little-endian,
// like the host the tests run on) are its 16 bytes in order; the data is
// XORed a word at a time through a may_alias, unaligned type, so a block
// costs 8 word operations instead of 32 byte ones.
typedef uint32_t __attribute__((may_alias, aligned(1))) word_t;

// T = T * x: shift the 128-bit little-endian number left by one, and fold
// the bit shifted out of the top back in as x^7 + x^2 + x + 1 = 0x87.
static inline void tweak_times_x(uint32_t t[4])
{
	uint32_t carry = t[3] >> 31;
	t[3] = (t[3] << 1) | (t[2] >> 31);
	t[2] = (t[2] << 1) | (t[1] >> 31);
	t[1] = (t[1] << 1) | (t[0] >> 31);
	t[0] = (t[0] << 1) ^ (carry ? 0x87 : 0);
}

static void first_tweak(const struct xts *xts, uint64_t unit, uint32_t t[4])
{
	t[0] = (uint32_t) unit;
	t[1] = (uint32_t) (unit >> 32);
	t[2] = t[3] = 0;
	aes256_encrypt(&xts->tweak, (uint8_t *) t, (uint8_t *) t);
}

static inline void xor_block(uint8_t *dst, const uint32_t t[4])
{
	word_t *d = (word_t *) dst;
	d[0] ^= t[0], d[1] ^= t[1], d[2] ^= t[2], d[3] ^= t[3];
}

// Both directions: the tweak always goes through AES encryption under Key2;
// `cipher` (encrypt or decrypt under Key1) is applied to each masked block.
static void xts_crypt(const struct xts *xts, uint64_t unit, uint8_t *buf, size_t len,
		      void (*cipher)(const struct aes256 *, const uint8_t *, uint8_t *))
{
	uint32_t t[4];
	first_tweak(xts, unit, t);
	for (size_t at = 0; at + AES_BLOCK_SIZE <= len; at += AES_BLOCK_SIZE) {
		xor_block(buf + at, t);
		cipher(&xts->data, buf + at, buf + at);
		xor_block(buf + at, t);
		tweak_times_x(t);
	}
	crypto_wipe(t, sizeof t);
}

void xts_encrypt(const struct xts *xts, uint64_t unit, uint8_t *buf, size_t len)
{
	xts_crypt(xts, unit, buf, len, aes256_encrypt);
}

void xts_decrypt(const struct xts *xts, uint64_t unit, uint8_t *buf, size_t len)
{
	xts_crypt(xts, unit, buf, len, aes256_decrypt);
}

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

// T = T * x: shift the 128-bit little-endian number left by one, and fold
// the bit shifted out of the top back in as x^7 + x^2 + x + 1 = 0x87.
static void tweak_times_x(uint8_t t[AES_BLOCK_SIZE])
{
	uint8_t carry = 0;
	for (int k = 0; k < AES_BLOCK_SIZE; k++) {
		uint8_t next = t[k] >> 7;
		t[k] = (uint8_t) ((t[k] << 1) | carry);
		carry = next;
	}
	if (carry)
		t[0] ^= 0x87;
}

static void first_tweak(const struct xts *xts, uint64_t unit, uint8_t t[AES_BLOCK_SIZE])
{
	for (int k = 0; k < AES_BLOCK_SIZE; k++)
		t[k] = k < 8 ? (uint8_t) (unit >> (8 * k)) : 0;
	aes256_encrypt(&xts->tweak, t, t);
}

static void xor_block(uint8_t *dst, const uint8_t *src)
{
	for (int k = 0; k < AES_BLOCK_SIZE; k++)
		dst[k] ^= src[k];
}

void xts_encrypt(const struct xts *xts, uint64_t unit, uint8_t *buf, size_t len)
{
	uint8_t t[AES_BLOCK_SIZE];
	first_tweak(xts, unit, t);
	for (size_t at = 0; at + AES_BLOCK_SIZE <= len; at += AES_BLOCK_SIZE) {
		xor_block(buf + at, t);
		aes256_encrypt(&xts->data, buf + at, buf + at);
		xor_block(buf + at, t);
		tweak_times_x(t);
	}
	crypto_wipe(t, sizeof t);
}

void xts_decrypt(const struct xts *xts, uint64_t unit, uint8_t *buf, size_t len)
{
	uint8_t t[AES_BLOCK_SIZE];
	first_tweak(xts, unit, t);
	for (size_t at = 0; at + AES_BLOCK_SIZE <= len; at += AES_BLOCK_SIZE) {
		xor_block(buf + at, t);
		aes256_decrypt(&xts->data, buf + at, buf + at);
		xor_block(buf + at, t);
		tweak_times_x(t);
	}
	crypto_wipe(t, sizeof t);
}

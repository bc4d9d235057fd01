// SHA-256 (FIPS 180-4 sections 4.1.2, 4.2.2, 5.1.1, 6.2).
//
// Incremental: sha256_update buffers a partial 64-byte block and compresses
// each whole one; sha256_final pads with 0x80, zeros and the message length
// in bits as a big-endian 64-bit number. Words are big-endian throughout.

#include <types.h>
#include <string.h>
#include "crypto.h"

// The first 32 bits of the fractional parts of the cube roots of the first
// 64 primes (FIPS 180-4 4.2.2).
static const uint32_t round_constants[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

// The first 32 bits of the fractional parts of the square roots of the
// first 8 primes (FIPS 180-4 5.3.3).
static const uint32_t initial_state[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static inline uint32_t ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void compress(uint32_t state[8], const uint8_t block[SHA256_BLOCK_SIZE])
{
	uint32_t w[64];
	for (int t = 0; t < 16; t++)
		w[t] = ((uint32_t) block[4 * t] << 24) | ((uint32_t) block[4 * t + 1] << 16) |
		       ((uint32_t) block[4 * t + 2] << 8) | block[4 * t + 3];
	for (int t = 16; t < 64; t++) {
		uint32_t s0 = ror(w[t - 15], 7) ^ ror(w[t - 15], 18) ^ (w[t - 15] >> 3);
		uint32_t s1 = ror(w[t - 2], 17) ^ ror(w[t - 2], 19) ^ (w[t - 2] >> 10);
		w[t] = w[t - 16] + s0 + w[t - 7] + s1;
	}
	uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
	uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
	for (int t = 0; t < 64; t++) {
		uint32_t sum1 = ror(e, 6) ^ ror(e, 11) ^ ror(e, 25);
		uint32_t choose = (e & f) ^ (~e & g);
		uint32_t t1 = h + sum1 + choose + round_constants[t] + w[t];
		uint32_t sum0 = ror(a, 2) ^ ror(a, 13) ^ ror(a, 22);
		uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
		uint32_t t2 = sum0 + majority;
		h = g, g = f, f = e, e = d + t1;
		d = c, c = b, b = a, a = t1 + t2;
	}
	state[0] += a, state[1] += b, state[2] += c, state[3] += d;
	state[4] += e, state[5] += f, state[6] += g, state[7] += h;
}

void sha256_init(struct sha256 *sha)
{
	memcpy(sha->state, initial_state, sizeof sha->state);
	sha->length = 0;
	sha->used = 0;
}

void sha256_update(struct sha256 *sha, const void *data, size_t len)
{
	const uint8_t *p = data;
	sha->length += len;
	if (sha->used) {
		size_t take = MIN(len, (size_t) SHA256_BLOCK_SIZE - sha->used);
		memcpy(sha->block + sha->used, p, take);
		sha->used += take, p += take, len -= take;
		if (sha->used < SHA256_BLOCK_SIZE)
			return;
		compress(sha->state, sha->block);
		sha->used = 0;
	}
	for (; len >= SHA256_BLOCK_SIZE; p += SHA256_BLOCK_SIZE, len -= SHA256_BLOCK_SIZE)
		compress(sha->state, p);
	memcpy(sha->block, p, len);
	sha->used = len;
}

void sha256_final(struct sha256 *sha, uint8_t digest[SHA256_SIZE])
{
	uint64_t bits = sha->length * 8;
	sha->block[sha->used++] = 0x80;
	if (sha->used > SHA256_BLOCK_SIZE - 8) {
		memset(sha->block + sha->used, 0, SHA256_BLOCK_SIZE - sha->used);
		compress(sha->state, sha->block);
		sha->used = 0;
	}
	memset(sha->block + sha->used, 0, SHA256_BLOCK_SIZE - 8 - sha->used);
	for (int k = 0; k < 8; k++)
		sha->block[SHA256_BLOCK_SIZE - 1 - k] = (uint8_t) (bits >> (8 * k));
	compress(sha->state, sha->block);
	for (int k = 0; k < 8; k++) {
		digest[4 * k] = (uint8_t) (sha->state[k] >> 24);
		digest[4 * k + 1] = (uint8_t) (sha->state[k] >> 16);
		digest[4 * k + 2] = (uint8_t) (sha->state[k] >> 8);
		digest[4 * k + 3] = (uint8_t) sha->state[k];
	}
	crypto_wipe(sha, sizeof *sha);
}

void sha256(const void *data, size_t len, uint8_t digest[SHA256_SIZE])
{
	struct sha256 sha;
	sha256_init(&sha);
	sha256_update(&sha, data, len);
	sha256_final(&sha, digest);
}

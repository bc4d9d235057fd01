// AES-256 (FIPS 197), table-driven.
//
// The state is four 32-bit columns, each loaded big-endian from the block
// (byte 4c is the top byte of column c), so a round is, per output column,
// four table lookups and four XORs: the table Te[k][x] holds column
// MixColumns(SubBytes(x) in row k), which folds SubBytes, ShiftRows (by the
// choice of which input column feeds row k) and MixColumns into one step.
// Decryption uses the "equivalent inverse cipher" of FIPS 197 section 5.3.5:
// the same shape with tables Td built from InvSubBytes and InvMixColumns,
// and round keys 1..13 passed through InvMixColumns.
//
// The S-box is not typed in: it is computed on first use from its
// definition (FIPS 197 5.1.1), the multiplicative inverse in GF(2^8) modulo
// x^8 + x^4 + x^3 + x + 1 followed by the affine map, so there is no table
// of magic numbers to get wrong. The tables take 8.5 KiB and are written
// once; after that every function only reads them.

#include <types.h>
#include <string.h>
#include "crypto.h"

static uint8_t sbox[256], inv_sbox[256];
static uint32_t te[4][256], td[4][256];
static bool tables_ready;

// Multiply by x (that is, 2) in GF(2^8).
static uint8_t xtime(uint8_t a)
{
	return (uint8_t) ((a << 1) ^ ((a & 0x80) ? 0x1B : 0));
}

static uint8_t gf_mul(uint8_t a, uint8_t b)
{
	uint8_t product = 0;
	for (; b; b >>= 1, a = xtime(a))
		if (b & 1)
			product ^= a;
	return product;
}

static uint32_t ror8(uint32_t w)
{
	return (w >> 8) | (w << 24);
}

static inline uint32_t column(uint8_t r0, uint8_t r1, uint8_t r2, uint8_t r3)
{
	return ((uint32_t) r0 << 24) | ((uint32_t) r1 << 16) | ((uint32_t) r2 << 8) | r3;
}

static void build_tables(void)
{
	// Walk the powers of the generator 3: p = 3^i, and q = 3^-i tracks its
	// inverse (q is multiplied by 3^-1 = 0xF6 each step), so inv(p) = q.
	uint8_t p = 1, q = 1;
	do {
		p = (uint8_t) (p ^ xtime(p));		// p *= 3
		q = gf_mul(q, 0xF6);			// q *= 3^-1
		uint8_t s = q ^ (uint8_t) ((q << 1) | (q >> 7)) ^ (uint8_t) ((q << 2) | (q >> 6)) ^
			    (uint8_t) ((q << 3) | (q >> 5)) ^ (uint8_t) ((q << 4) | (q >> 4)) ^ 0x63;
		sbox[p] = s;
	} while (p != 1);
	sbox[0] = 0x63;		// 0 has no inverse; FIPS 197 maps it to 0
	for (int x = 0; x < 256; x++)
		inv_sbox[sbox[x]] = (uint8_t) x;

	for (int x = 0; x < 256; x++) {
		uint8_t s = sbox[x], i = inv_sbox[x];
		uint32_t e = column(xtime(s), s, s, (uint8_t) (xtime(s) ^ s));
		uint32_t d = column(gf_mul(i, 14), gf_mul(i, 9), gf_mul(i, 13), gf_mul(i, 11));
		for (int k = 0; k < 4; k++) {
			te[k][x] = e;
			td[k][x] = d;
			e = ror8(e);
			d = ror8(d);
		}
	}
	tables_ready = true;
}

static inline uint32_t load_be32(const uint8_t *p)
{
	return column(p[0], p[1], p[2], p[3]);
}

static inline void store_be32(uint8_t *p, uint32_t w)
{
	p[0] = (uint8_t) (w >> 24);
	p[1] = (uint8_t) (w >> 16);
	p[2] = (uint8_t) (w >> 8);
	p[3] = (uint8_t) w;
}

static uint32_t sub_word(uint32_t w)
{
	return column(sbox[w >> 24], sbox[(w >> 16) & 0xFF], sbox[(w >> 8) & 0xFF], sbox[w & 0xFF]);
}

// InvMixColumns of one column: Td[k][sbox[b]] is InvMixColumns of b in row k,
// since Td already applies InvSubBytes.
static uint32_t inv_mix_column(uint32_t w)
{
	return td[0][sbox[w >> 24]] ^ td[1][sbox[(w >> 16) & 0xFF]] ^ td[2][sbox[(w >> 8) & 0xFF]] ^
	       td[3][sbox[w & 0xFF]];
}

// Key expansion for Nk = 8 words, Nr = 14 rounds (FIPS 197 5.2).
void aes256_init(struct aes256 *aes, const uint8_t key[AES256_KEY_SIZE])
{
	if (!tables_ready)
		build_tables();
	uint32_t *w = aes->enc;
	uint8_t rcon = 1;
	for (int i = 0; i < 8; i++)
		w[i] = load_be32(key + 4 * i);
	for (int i = 8; i < 4 * (AES256_ROUNDS + 1); i++) {
		uint32_t t = w[i - 1];
		if (i % 8 == 0) {
			t = sub_word((t << 8) | (t >> 24)) ^ ((uint32_t) rcon << 24);
			rcon = xtime(rcon);
		} else if (i % 8 == 4) {
			t = sub_word(t);
		}
		w[i] = w[i - 8] ^ t;
	}
	// Decryption round r uses encryption round key Nr - r, through
	// InvMixColumns except for the first and last.
	for (int r = 0; r <= AES256_ROUNDS; r++) {
		for (int c = 0; c < 4; c++) {
			uint32_t k = aes->enc[4 * (AES256_ROUNDS - r) + c];
			aes->dec[4 * r + c] = (r == 0 || r == AES256_ROUNDS) ? k : inv_mix_column(k);
		}
	}
}

void aes256_encrypt(const struct aes256 *aes, const uint8_t in[AES_BLOCK_SIZE], uint8_t out[AES_BLOCK_SIZE])
{
	const uint32_t *rk = aes->enc;
	uint32_t s0 = load_be32(in) ^ rk[0], s1 = load_be32(in + 4) ^ rk[1];
	uint32_t s2 = load_be32(in + 8) ^ rk[2], s3 = load_be32(in + 12) ^ rk[3];
	for (int round = 1; round < AES256_ROUNDS; round++) {
		rk += 4;
		// ShiftRows: row k of output column c comes from input column c + k.
		uint32_t t0 = te[0][s0 >> 24] ^ te[1][(s1 >> 16) & 0xFF] ^ te[2][(s2 >> 8) & 0xFF] ^ te[3][s3 & 0xFF] ^ rk[0];
		uint32_t t1 = te[0][s1 >> 24] ^ te[1][(s2 >> 16) & 0xFF] ^ te[2][(s3 >> 8) & 0xFF] ^ te[3][s0 & 0xFF] ^ rk[1];
		uint32_t t2 = te[0][s2 >> 24] ^ te[1][(s3 >> 16) & 0xFF] ^ te[2][(s0 >> 8) & 0xFF] ^ te[3][s1 & 0xFF] ^ rk[2];
		uint32_t t3 = te[0][s3 >> 24] ^ te[1][(s0 >> 16) & 0xFF] ^ te[2][(s1 >> 8) & 0xFF] ^ te[3][s2 & 0xFF] ^ rk[3];
		s0 = t0, s1 = t1, s2 = t2, s3 = t3;
	}
	// The last round has no MixColumns: SubBytes and ShiftRows only.
	rk += 4;
	store_be32(out, column(sbox[s0 >> 24], sbox[(s1 >> 16) & 0xFF], sbox[(s2 >> 8) & 0xFF], sbox[s3 & 0xFF]) ^ rk[0]);
	store_be32(out + 4, column(sbox[s1 >> 24], sbox[(s2 >> 16) & 0xFF], sbox[(s3 >> 8) & 0xFF], sbox[s0 & 0xFF]) ^ rk[1]);
	store_be32(out + 8, column(sbox[s2 >> 24], sbox[(s3 >> 16) & 0xFF], sbox[(s0 >> 8) & 0xFF], sbox[s1 & 0xFF]) ^ rk[2]);
	store_be32(out + 12, column(sbox[s3 >> 24], sbox[(s0 >> 16) & 0xFF], sbox[(s1 >> 8) & 0xFF], sbox[s2 & 0xFF]) ^ rk[3]);
}

void aes256_decrypt(const struct aes256 *aes, const uint8_t in[AES_BLOCK_SIZE], uint8_t out[AES_BLOCK_SIZE])
{
	const uint32_t *rk = aes->dec;
	uint32_t s0 = load_be32(in) ^ rk[0], s1 = load_be32(in + 4) ^ rk[1];
	uint32_t s2 = load_be32(in + 8) ^ rk[2], s3 = load_be32(in + 12) ^ rk[3];
	for (int round = 1; round < AES256_ROUNDS; round++) {
		rk += 4;
		// InvShiftRows: row k of output column c comes from input column c - k.
		uint32_t t0 = td[0][s0 >> 24] ^ td[1][(s3 >> 16) & 0xFF] ^ td[2][(s2 >> 8) & 0xFF] ^ td[3][s1 & 0xFF] ^ rk[0];
		uint32_t t1 = td[0][s1 >> 24] ^ td[1][(s0 >> 16) & 0xFF] ^ td[2][(s3 >> 8) & 0xFF] ^ td[3][s2 & 0xFF] ^ rk[1];
		uint32_t t2 = td[0][s2 >> 24] ^ td[1][(s1 >> 16) & 0xFF] ^ td[2][(s0 >> 8) & 0xFF] ^ td[3][s3 & 0xFF] ^ rk[2];
		uint32_t t3 = td[0][s3 >> 24] ^ td[1][(s2 >> 16) & 0xFF] ^ td[2][(s1 >> 8) & 0xFF] ^ td[3][s0 & 0xFF] ^ rk[3];
		s0 = t0, s1 = t1, s2 = t2, s3 = t3;
	}
	rk += 4;
	store_be32(out, column(inv_sbox[s0 >> 24], inv_sbox[(s3 >> 16) & 0xFF], inv_sbox[(s2 >> 8) & 0xFF], inv_sbox[s1 & 0xFF]) ^ rk[0]);
	store_be32(out + 4, column(inv_sbox[s1 >> 24], inv_sbox[(s0 >> 16) & 0xFF], inv_sbox[(s3 >> 8) & 0xFF], inv_sbox[s2 & 0xFF]) ^ rk[1]);
	store_be32(out + 8, column(inv_sbox[s2 >> 24], inv_sbox[(s1 >> 16) & 0xFF], inv_sbox[(s0 >> 8) & 0xFF], inv_sbox[s3 & 0xFF]) ^ rk[2]);
	store_be32(out + 12, column(inv_sbox[s3 >> 24], inv_sbox[(s2 >> 16) & 0xFF], inv_sbox[(s1 >> 8) & 0xFF], inv_sbox[s0 & 0xFF]) ^ rk[3]);
}

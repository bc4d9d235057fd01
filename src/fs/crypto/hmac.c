// HMAC-SHA256 (RFC 2104, FIPS 198-1) and PBKDF2-HMAC-SHA256 (RFC 8018
// section 5.2), plus crypto_wipe.
//
// HMAC(K, m) = H((K0 ^ opad) || H((K0 ^ ipad) || m)), K0 being the key
// zero-padded to 64 bytes (or its SHA-256 digest, padded, when longer).
// hmac_sha256_init hashes the two padded keys once; PBKDF2 keeps that
// keyed pair and copies it for each of its many MACs, so an iteration costs
// two SHA-256 compressions rather than four.

#include <types.h>
#include <string.h>
#include "crypto.h"

#define IPAD 0x36
#define OPAD 0x5C

void crypto_wipe(void *buf, size_t len)
{
	volatile uint8_t *p = buf;
	while (len--)
		*p++ = 0;
}

void hmac_sha256_init(struct hmac_sha256 *hmac, const void *key, size_t keylen)
{
	uint8_t k0[SHA256_BLOCK_SIZE], pad[SHA256_BLOCK_SIZE];
	memset(k0, 0, sizeof k0);
	if (keylen > SHA256_BLOCK_SIZE)
		sha256(key, keylen, k0);
	else
		memcpy(k0, key, keylen);
	for (int k = 0; k < SHA256_BLOCK_SIZE; k++)
		pad[k] = k0[k] ^ IPAD;
	sha256_init(&hmac->inner);
	sha256_update(&hmac->inner, pad, sizeof pad);
	for (int k = 0; k < SHA256_BLOCK_SIZE; k++)
		pad[k] = k0[k] ^ OPAD;
	sha256_init(&hmac->outer);
	sha256_update(&hmac->outer, pad, sizeof pad);
	crypto_wipe(k0, sizeof k0);
	crypto_wipe(pad, sizeof pad);
}

void hmac_sha256_update(struct hmac_sha256 *hmac, const void *data, size_t len)
{
	sha256_update(&hmac->inner, data, len);
}

void hmac_sha256_final(struct hmac_sha256 *hmac, uint8_t mac[SHA256_SIZE])
{
	uint8_t inner[SHA256_SIZE];
	sha256_final(&hmac->inner, inner);
	sha256_update(&hmac->outer, inner, sizeof inner);
	sha256_final(&hmac->outer, mac);
	crypto_wipe(inner, sizeof inner);
}

void hmac_sha256(const void *key, size_t keylen, const void *data, size_t len, uint8_t mac[SHA256_SIZE])
{
	struct hmac_sha256 hmac;
	hmac_sha256_init(&hmac, key, keylen);
	hmac_sha256_update(&hmac, data, len);
	hmac_sha256_final(&hmac, mac);
}

// T_i = U_1 ^ U_2 ^ ... ^ U_c, U_1 = HMAC(P, S || INT(i)), U_j = HMAC(P, U_{j-1});
// the output is T_1 || T_2 || ... cut to outlen bytes.
void pbkdf2_hmac_sha256(const void *password, size_t passwordlen, const void *salt, size_t saltlen,
			uint32_t iterations, uint8_t *out, size_t outlen)
{
	struct hmac_sha256 keyed, mac;
	uint8_t u[SHA256_SIZE], t[SHA256_SIZE], index[4];
	hmac_sha256_init(&keyed, password, passwordlen);
	for (uint32_t i = 1; outlen > 0; i++) {
		index[0] = (uint8_t) (i >> 24);
		index[1] = (uint8_t) (i >> 16);
		index[2] = (uint8_t) (i >> 8);
		index[3] = (uint8_t) i;
		mac = keyed;
		hmac_sha256_update(&mac, salt, saltlen);
		hmac_sha256_update(&mac, index, sizeof index);
		hmac_sha256_final(&mac, u);
		memcpy(t, u, sizeof t);
		for (uint32_t j = 1; j < iterations; j++) {
			mac = keyed;
			hmac_sha256_update(&mac, u, sizeof u);
			hmac_sha256_final(&mac, u);
			for (int k = 0; k < SHA256_SIZE; k++)
				t[k] ^= u[k];
		}
		size_t take = MIN(outlen, (size_t) SHA256_SIZE);
		memcpy(out, t, take);
		out += take, outlen -= take;
	}
	crypto_wipe(&keyed, sizeof keyed);
	crypto_wipe(u, sizeof u);
	crypto_wipe(t, sizeof t);
}

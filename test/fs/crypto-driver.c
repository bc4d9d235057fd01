// Host driver for the guest cryptography (src/fs/crypto): reads one request
// per line on stdin, answers one line of hex on stdout. crypto.test.ts
// builds it with gcc -m32, linking the crypto objects compiled with the
// guest's own CFLAGS, and sends published vectors and random inputs.
//
// Requests (every argument hex, except the decimal numbers marked N):
//   aes-enc KEY BLOCK        aes-dec KEY BLOCK
//   xts-enc KEY UNIT DATA    xts-dec KEY UNIT DATA   (UNIT: hex, up to 64 bits)
//   sha256 DATA              sha256-split DATA N     (fed in pieces of N bytes)
//   sha256-a N               (N bytes of 'a')
//   hmac KEY DATA            pbkdf2 PASSWORD SALT N-ITERATIONS N-LENGTH
// "-" stands for an empty hex string.

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "crypto.h"

static uint8_t *unhex(const char *hex, size_t *len)
{
	if (strcmp(hex, "-") == 0)
		hex = "";
	size_t n = strlen(hex) / 2;
	uint8_t *bytes = malloc(n + 1);
	for (size_t k = 0; k < n; k++) {
		unsigned value;
		sscanf(hex + 2 * k, "%2x", &value);
		bytes[k] = (uint8_t) value;
	}
	*len = n;
	return bytes;
}

static void print_hex(const uint8_t *bytes, size_t len)
{
	for (size_t k = 0; k < len; k++)
		printf("%02x", bytes[k]);
	printf("\n");
}

int main(void)
{
	static char line[1 << 22];
	while (fgets(line, sizeof line, stdin)) {
		char *words[6] = { 0 };
		int count = 0;
		for (char *word = strtok(line, " \n"); word && count < 6; word = strtok(NULL, " \n"))
			words[count++] = word;
		if (count == 0)
			continue;
		const char *op = words[0];
		size_t alen = 0, blen = 0;
		uint8_t *a = count > 1 ? unhex(words[1], &alen) : NULL;
		if (strcmp(op, "aes-enc") == 0 || strcmp(op, "aes-dec") == 0) {
			struct aes256 aes;
			uint8_t *block = unhex(words[2], &blen);
			aes256_init(&aes, a);
			if (op[4] == 'e')
				aes256_encrypt(&aes, block, block);
			else
				aes256_decrypt(&aes, block, block);
			print_hex(block, AES_BLOCK_SIZE);
			free(block);
		} else if (strcmp(op, "xts-enc") == 0 || strcmp(op, "xts-dec") == 0) {
			struct xts xts;
			uint64_t unit = strtoull(words[2], NULL, 16);
			uint8_t *data = unhex(words[3], &blen);
			xts_init(&xts, a);
			if (op[4] == 'e')
				xts_encrypt(&xts, unit, data, blen);
			else
				xts_decrypt(&xts, unit, data, blen);
			print_hex(data, blen);
			free(data);
		} else if (strcmp(op, "sha256") == 0) {
			uint8_t digest[SHA256_SIZE];
			sha256(a, alen, digest);
			print_hex(digest, sizeof digest);
		} else if (strcmp(op, "sha256-split") == 0) {
			struct sha256 sha;
			uint8_t digest[SHA256_SIZE];
			size_t piece = strtoul(words[2], NULL, 10);
			sha256_init(&sha);
			for (size_t at = 0; at < alen; at += piece)
				sha256_update(&sha, a + at, alen - at < piece ? alen - at : piece);
			sha256_final(&sha, digest);
			print_hex(digest, sizeof digest);
		} else if (strcmp(op, "sha256-a") == 0) {
			size_t n = strtoul(words[1], NULL, 10);
			uint8_t *as = malloc(n + 1);
			uint8_t digest[SHA256_SIZE];
			memset(as, 'a', n);
			sha256(as, n, digest);
			print_hex(digest, sizeof digest);
			free(as);
		} else if (strcmp(op, "hmac") == 0) {
			uint8_t mac[SHA256_SIZE];
			uint8_t *data = unhex(words[2], &blen);
			hmac_sha256(a, alen, data, blen, mac);
			print_hex(mac, sizeof mac);
			free(data);
		} else if (strcmp(op, "pbkdf2") == 0) {
			uint8_t *salt = unhex(words[2], &blen);
			uint32_t iterations = strtoul(words[3], NULL, 10);
			size_t outlen = strtoul(words[4], NULL, 10);
			uint8_t *out = malloc(outlen + 1);
			pbkdf2_hmac_sha256(a, alen, salt, blen, iterations, out, outlen);
			print_hex(out, outlen);
			free(out);
			free(salt);
		} else {
			printf("unknown request %s\n", op);
		}
		free(a);
		fflush(stdout);
	}
	return 0;
}

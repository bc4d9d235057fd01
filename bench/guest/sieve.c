// sieve.c: phase "sieve" — the sieve of Eratosthenes over the odd numbers
// below 2^21, as a bitmap of 128 KiB, repeated. Measures tight integer loops
// with shifts, byte loads and read-modify-write stores: the bread and butter
// of an interpreter's ALU and memory fast paths.

#include "bench.h"

#define SIEVE_LIMIT  (1u << 21)            // numbers below this are sieved
#define SIEVE_BITS   (SIEVE_LIMIT / 2)     // bit k stands for 2k + 1
#define SIEVE_ROUNDS SCALED(44)

static uint32_t sieve_once(uint8_t *composite)
{
	memset(composite, 0, SIEVE_BITS / 8);
	for (uint32_t k = 1; ; k++) {
		uint32_t p = 2 * k + 1;
		if (p * p >= SIEVE_LIMIT)
			break;
		if (composite[k >> 3] & (1u << (k & 7)))
			continue;
		// Odd multiples of p from p*p: index (p*p - 1)/2, stepping by p.
		for (uint32_t m = (p * p) >> 1; m < SIEVE_BITS; m += p)
			composite[m >> 3] |= (uint8_t)(1u << (m & 7));
	}
	uint32_t primes = 1;                    // 2 is prime and not in the map
	for (uint32_t k = 1; k < SIEVE_BITS; k++)
		if (!(composite[k >> 3] & (1u << (k & 7))))
			primes++;
	return primes;
}

uint32_t phase_sieve(void)
{
	uint8_t *composite = (uint8_t *)SIEVE_ADDR;
	uint32_t checksum = 0;
	for (uint32_t round = 0; round < SIEVE_ROUNDS; round++)
		checksum = checksum * 31 + sieve_once(composite);
	return fold_words((const uint32_t *)composite, SIEVE_BITS / 32, checksum);
}

// lib.c: the freestanding helpers the payload needs. gcc may emit calls to
// memset/memcpy on its own, so they must exist; build.ts compiles with
// -fno-tree-loop-distribute-patterns so these loops are not turned back into
// calls to themselves.

#include "bench.h"

void *memset(void *dst, int c, uint32_t n)
{
	uint8_t *d = dst;
	while (n--)
		*d++ = (uint8_t)c;
	return dst;
}

void *memcpy(void *dst, const void *src, uint32_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	while (n--)
		*d++ = *s++;
	return dst;
}

// FNV-1a over 32-bit words: a cheap, order-sensitive digest for checksums.
uint32_t fold_words(const uint32_t *words, uint32_t count, uint32_t hash)
{
	for (uint32_t i = 0; i < count; i++)
		hash = (hash ^ words[i]) * 16777619u;
	return hash;
}

// Fill with an xorshift32 sequence, so buffers hold varied, reproducible data.
void fill_pattern(uint32_t *words, uint32_t count, uint32_t seed)
{
	uint32_t x = seed ? seed : 1;
	for (uint32_t i = 0; i < count; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		words[i] = x;
	}
}

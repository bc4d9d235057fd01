// copy.c: phase "copy" — REP MOVSD and REP MOVSB block copies between two
// 64 KiB buffers, repeated. The byte copies start at odd offsets, so a peer
// cannot take an aligned-only shortcut. Measures the string-instruction path.

#include "bench.h"

#define COPY_ROUNDS SCALED(2000)

static inline void rep_movsd(void *dst, const void *src, uint32_t dwords)
{
	__asm__ volatile("rep movsl" : "+D"(dst), "+S"(src), "+c"(dwords) : : "memory");
}

static inline void rep_movsb(void *dst, const void *src, uint32_t bytes)
{
	__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(bytes) : : "memory");
}

uint32_t phase_copy(void)
{
	uint8_t *a = (uint8_t *)BUFFER_A_ADDR;
	uint8_t *b = (uint8_t *)BUFFER_B_ADDR;
	fill_pattern((uint32_t *)a, BUFFER_SIZE / 4, 0x5EED);
	for (uint32_t round = 0; round < COPY_ROUNDS; round++) {
		rep_movsd(b, a, BUFFER_SIZE / 4);
		// Shift the data by 2 bytes each round and stamp the round number,
		// so the final contents depend on every copy having happened.
		rep_movsb(a + 3, b + 1, BUFFER_SIZE - 3);
		a[round & (BUFFER_SIZE - 1)] ^= (uint8_t)round;
	}
	return fold_words((const uint32_t *)a, BUFFER_SIZE / 4, 0x811C9DC5u);
}

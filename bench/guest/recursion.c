// recursion.c: phase "recursion" — Ackermann's function A(3, n), repeated.
// A(3, 9) = 4093 makes about 11 million calls and nests about 4096 frames
// deep, so the phase measures CALL/RET, pushes, pops and stack-relative
// addressing over a stack far larger than a cache line or a TLB entry.
// build.ts passes -fno-optimize-sibling-calls so gcc keeps the calls real.

#include "bench.h"

#define ACKERMANN_M      3
#define ACKERMANN_N      9
#define RECURSION_ROUNDS SCALED(3)

static uint32_t calls;

static __attribute__((noinline)) uint32_t ackermann(uint32_t m, uint32_t n)
{
	calls++;
	if (m == 0)
		return n + 1;
	if (n == 0)
		return ackermann(m - 1, 1);
	return ackermann(m - 1, ackermann(m, n - 1));
}

uint32_t phase_recursion(void)
{
	uint32_t checksum = 0;
	calls = 0;
	for (uint32_t round = 0; round < RECURSION_ROUNDS; round++)
		checksum = checksum * 31 + ackermann(ACKERMANN_M, ACKERMANN_N);
	return checksum ^ calls;
}

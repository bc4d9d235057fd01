// crc32.c: phase "crc32" — the table-driven CRC-32 (IEEE 802.3, reflected
// polynomial 0xEDB88320) of a 64 KiB buffer, repeated. Measures a serial
// dependency chain of byte loads, table lookups, shifts and XORs.

#include "bench.h"

#define CRC_POLYNOMIAL 0xEDB88320u
#define CRC_ROUNDS     SCALED(1400)

static uint32_t crc_table[256];

static void crc_table_init(void)
{
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;
		for (int bit = 0; bit < 8; bit++)
			c = (c & 1) ? CRC_POLYNOMIAL ^ (c >> 1) : c >> 1;
		crc_table[n] = c;
	}
}

static uint32_t crc32_update(uint32_t crc, const uint8_t *data, uint32_t length)
{
	crc = ~crc;
	for (uint32_t i = 0; i < length; i++)
		crc = crc_table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
	return ~crc;
}

uint32_t phase_crc32(void)
{
	uint8_t *data = (uint8_t *)BUFFER_A_ADDR;
	fill_pattern((uint32_t *)data, BUFFER_SIZE / 4, 0xC0FFEE);
	crc_table_init();
	uint32_t crc = 0;
	// Chaining each round's CRC into the next keeps any round from being skipped.
	for (uint32_t round = 0; round < CRC_ROUNDS; round++)
		crc = crc32_update(crc, data, BUFFER_SIZE);
	return crc;
}

// portio.c: phase "portio" — device register polling through IN/OUT, the
// way drivers poll status registers. Each iteration:
//   - latches and reads 8254 counter 0 (Intel 8254 datasheet, "Counter Latch
//     Command"), whose value depends on time and so stays out of the checksum;
//   - writes a CMOS RAM byte (MC146818A, index 0x0E) and reads it back;
//   - reads CMOS status register D (index 0x0D), whose VRT bit reads 1.
// Measures the cost of leaving the instruction stream for a device model.

#include "bench.h"
#include "x86.h"

#define PIT_COUNTER0      0x40
#define PIT_COMMAND       0x43
#define PIT_LATCH_COUNTER0 0x00
#define CMOS_INDEX        0x70
#define CMOS_DATA         0x71
#define CMOS_SCRATCH      0x0E
#define CMOS_STATUS_D     0x0D
#define PORTIO_ROUNDS     SCALED(900000)

uint32_t phase_portio(void)
{
	outb(CMOS_INDEX, CMOS_SCRATCH);
	uint8_t saved_scratch = inb(CMOS_DATA);

	uint32_t checksum = 0;
	uint32_t pit_reads = 0;
	for (uint32_t i = 0; i < PORTIO_ROUNDS; i++) {
		outb(PIT_COMMAND, PIT_LATCH_COUNTER0);
		uint32_t count = inb(PIT_COUNTER0);
		count |= (uint32_t)inb(PIT_COUNTER0) << 8;
		pit_reads += (count <= 0xFFFF);

		outb(CMOS_INDEX, CMOS_SCRATCH);
		outb(CMOS_DATA, (uint8_t)(i * 13));
		outb(CMOS_INDEX, CMOS_SCRATCH);
		uint8_t scratch = inb(CMOS_DATA);
		outb(CMOS_INDEX, CMOS_STATUS_D);
		uint8_t status_d = inb(CMOS_DATA);
		checksum = checksum * 33 + scratch + status_d;
	}

	outb(CMOS_INDEX, CMOS_SCRATCH);
	outb(CMOS_DATA, saved_scratch);
	return checksum ^ pit_reads;
}

/*
 * The MC146818 CMOS NVRAM (memory size) and the 8254 PIT, whose channel 0
 * drives preemption at 100 Hz through IRQ 0.
 */
#include <x86.h>
#include "defs.h"

#define IO_RTC 0x70
#define PIT_CHANNEL0 0x40
#define PIT_MODE 0x43
#define PIT_HZ 1193182
#define TICK_HZ 100

volatile uint32_t ticks;

unsigned mc146818_read(unsigned reg)
{
	outb(IO_RTC, reg);
	return inb(IO_RTC + 1);
}

void clock_init(void)
{
	unsigned divisor = (PIT_HZ + TICK_HZ / 2) / TICK_HZ;
	outb(PIT_MODE, 0x34);	/* channel 0, lobyte/hibyte, mode 2 (rate generator) */
	outb(PIT_CHANNEL0, divisor & 0xff);
	outb(PIT_CHANNEL0, divisor >> 8);
	irq_unmask(IRQ_TIMER);
}

// console.c: polled output on COM1 and the isa-debug-exit port.
//
// The host timestamps each phase marker as its bytes arrive, so output is
// written synchronously: wait for the transmitter holding register to be
// empty (LSR bit 5, per the NS16550A datasheet), then write the byte. The
// wait is bounded so a peer without a UART cannot hang the run.

#include "bench.h"
#include "x86.h"

#define COM1_BASE      0x3F8
#define UART_THR       0       // transmitter holding register (write)
#define UART_LSR       5       // line status register
#define LSR_THR_EMPTY  0x20
#define THR_WAIT_LIMIT 100000

// QEMU's isa-debug-exit (-device isa-debug-exit,iobase=0xf4) ends the
// emulator with status (value << 1) | 1; elsewhere the write goes nowhere.
#define DEBUG_EXIT_PORT 0xF4

void console_putc(char c)
{
	for (int i = 0; i < THR_WAIT_LIMIT; i++)
		if (inb(COM1_BASE + UART_LSR) & LSR_THR_EMPTY)
			break;
	outb(COM1_BASE + UART_THR, (uint8_t)c);
}

void console_puts(const char *s)
{
	while (*s)
		console_putc(*s++);
}

void console_put_hex(uint32_t value)
{
	static const char digits[] = "0123456789abcdef";
	console_puts("0x");
	for (int shift = 28; shift >= 0; shift -= 4)
		console_putc(digits[(value >> shift) & 0xF]);
}

void exit_emulator(uint8_t status)
{
	outb(DEBUG_EXIT_PORT, status);
	halt_forever();
}

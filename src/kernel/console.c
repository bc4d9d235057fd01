/*
 * The kernel console: output to the CGA text screen and the first serial
 * port; input, polled, from the serial port and the 8042
 * keyboard (scan-code set 1).
 */
#include <types.h>
#include <x86.h>
#include <string.h>
#include <memlayout.h>
#include "defs.h"

/* ---- 16550 UART on COM1 ---- */
#define COM1 0x3F8
#define COM_RX 0	/* receive buffer (DLAB = 0) */
#define COM_TX 0	/* transmit buffer (DLAB = 0) */
#define COM_DLL 0	/* divisor latch low (DLAB = 1) */
#define COM_DLM 1	/* divisor latch high (DLAB = 1) */
#define COM_IER 1	/* interrupt enable */
#define COM_FCR 2	/* FIFO control */
#define COM_LCR 3	/* line control */
#define COM_LCR_DLAB 0x80
#define COM_LCR_WLEN8 0x03
#define COM_MCR 4	/* modem control */
#define COM_LSR 5	/* line status */
#define COM_LSR_DATA 0x01
#define COM_LSR_TXRDY 0x20

static bool serial_exists;

static void serial_init(void)
{
	outb(COM1 + COM_FCR, 0);
	outb(COM1 + COM_LCR, COM_LCR_DLAB);
	outb(COM1 + COM_DLL, 115200 / 9600);
	outb(COM1 + COM_DLM, 0);
	outb(COM1 + COM_LCR, COM_LCR_WLEN8);
	outb(COM1 + COM_MCR, 0);
	outb(COM1 + COM_IER, 0);	/* input is polled */
	serial_exists = inb(COM1 + COM_LSR) != 0xFF;
	(void) inb(COM1 + COM_RX);
}

static void serial_putc(int c)
{
	for (int i = 0; !(inb(COM1 + COM_LSR) & COM_LSR_TXRDY) && i < 12800; i++)
		;
	outb(COM1 + COM_TX, c);
}

static int serial_getc(void)
{
	if (!serial_exists || !(inb(COM1 + COM_LSR) & COM_LSR_DATA))
		return -1;
	return inb(COM1 + COM_RX);
}

/* ---- CGA text screen ---- */
#define CRT_ROWS 25
#define CRT_COLS 80
#define CRT_SIZE (CRT_ROWS * CRT_COLS)
#define CGA_BASE 0x3D4
#define CGA_BUF 0xB8000

static uint16_t *crt_buf;
static uint16_t crt_pos;

static void cga_init(void)
{
	crt_buf = (uint16_t *) (KERNBASE + CGA_BUF);
	outb(CGA_BASE, 14);
	unsigned pos = inb(CGA_BASE + 1) << 8;
	outb(CGA_BASE, 15);
	pos |= inb(CGA_BASE + 1);
	crt_pos = pos < CRT_SIZE ? pos : 0;
}

static void cga_putc(int c)
{
	if (!(c & ~0xFF))
		c |= 0x0700;
	switch (c & 0xff) {
	case '\b':
		if (crt_pos > 0) {
			crt_pos--;
			crt_buf[crt_pos] = (c & ~0xff) | ' ';
		}
		break;
	case '\n':
		crt_pos += CRT_COLS;
		/* fall through */
	case '\r':
		crt_pos -= (crt_pos % CRT_COLS);
		break;
	case '\t':
		for (int i = 0; i < 4; i++)
			cga_putc(' ');
		break;
	default:
		crt_buf[crt_pos++] = c;
		break;
	}
	if (crt_pos >= CRT_SIZE) {
		memmove(crt_buf, crt_buf + CRT_COLS, (CRT_SIZE - CRT_COLS) * sizeof(uint16_t));
		for (int i = CRT_SIZE - CRT_COLS; i < CRT_SIZE; i++)
			crt_buf[i] = 0x0700 | ' ';
		crt_pos -= CRT_COLS;
	}
	outb(CGA_BASE, 14);
	outb(CGA_BASE + 1, crt_pos >> 8);
	outb(CGA_BASE, 15);
	outb(CGA_BASE + 1, crt_pos);
}

/* ---- 8042 keyboard, scan-code set 1 ---- */
#define KBSTATP 0x64
#define KBS_DIB 0x01
#define KBDATAP 0x60

#define SHIFT (1 << 0)
#define CTL (1 << 1)
#define ALT (1 << 2)
#define CAPSLOCK (1 << 3)
#define E0ESC (1 << 6)

static const uint8_t modifier_of[256] = {
	[0x1D] = CTL, [0x2A] = SHIFT, [0x36] = SHIFT, [0x38] = ALT,
};

/* Characters for make codes 0x00-0x39, unshifted and shifted. */
static const char plain_map[0x3A] =
	"\0\x1b" "1234567890-=\b\tqwertyuiop[]\n\0asdfghjkl;'`\0\\zxcvbnm,./\0*\0 ";
static const char shift_map[0x3A] =
	"\0\x1b" "!@#$%^&*()_+\b\tQWERTYUIOP{}\n\0ASDFGHJKL:\"~\0|ZXCVBNM<>?\0*\0 ";

static int kbd_getc(void)
{
	static unsigned shift;
	if (!(inb(KBSTATP) & KBS_DIB))
		return -1;
	uint8_t data = inb(KBDATAP);
	if (data == 0xE0) {
		shift |= E0ESC;
		return 0;
	}
	if (data & 0x80) {
		data &= 0x7F;
		shift &= ~(modifier_of[data] | E0ESC);
		return 0;
	}
	if (shift & E0ESC) {
		shift &= ~E0ESC;
		return 0;
	}
	if (data == 0x3A) {
		shift ^= CAPSLOCK;
		return 0;
	}
	shift |= modifier_of[data];
	if (data >= sizeof(plain_map))
		return 0;
	int c = (shift & SHIFT) ? shift_map[data] : plain_map[data];
	if (shift & CAPSLOCK) {
		if (c >= 'a' && c <= 'z')
			c += 'A' - 'a';
		else if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
	}
	if ((shift & CTL) && c >= '@' + 32 && c <= '_' + 32)
		c -= 'a' - 1;
	return c;
}

void cons_init(void)
{
	cga_init();
	serial_init();
}

/* Next input character, 0 if none (non-blocking). Serial line ends arrive as '\r'. */
int cons_getc(void)
{
	int c = serial_getc();
	if (c == '\r')
		c = '\n';
	if (c == 0x7F)
		c = '\b';
	if (c > 0)
		return c;
	c = kbd_getc();
	return c > 0 ? c : 0;
}

void cputchar(int c)
{
	serial_putc(c);
	cga_putc(c);
}

int getchar(void)
{
	int c;
	while ((c = cons_getc()) == 0)
		;
	return c;
}

/*
 * The 8259A interrupt controller pair: remapped so IRQ 0-15 arrive as
 * vectors 32-47 (IRQ_OFFSET), everything masked but the cascade until a
 * driver unmasks its line. Follows the 8259A datasheet's ICW1-ICW4.
 */
#include <x86.h>
#include "defs.h"

#define IO_PIC1 0x20
#define IO_PIC2 0xA0
#define IRQ_SLAVE 2

static uint16_t irq_mask = 0xFFFF & ~(1 << IRQ_SLAVE);

static void write_mask(void)
{
	outb(IO_PIC1 + 1, irq_mask);
	outb(IO_PIC2 + 1, irq_mask >> 8);
}

void pic_init(void)
{
	outb(IO_PIC1 + 1, 0xFF);
	outb(IO_PIC2 + 1, 0xFF);
	/* ICW1: edge triggered, cascade, ICW4 needed */
	outb(IO_PIC1, 0x11);
	outb(IO_PIC1 + 1, IRQ_OFFSET);		/* ICW2: vector offset */
	outb(IO_PIC1 + 1, 1 << IRQ_SLAVE);	/* ICW3: slave on IR2 */
	outb(IO_PIC1 + 1, 0x01);		/* ICW4: 8086 mode, normal EOI */
	outb(IO_PIC2, 0x11);
	outb(IO_PIC2 + 1, IRQ_OFFSET + 8);
	outb(IO_PIC2 + 1, IRQ_SLAVE);
	outb(IO_PIC2 + 1, 0x01);
	/* OCW3: reads of the command port return the IRR */
	outb(IO_PIC1, 0x0A);
	outb(IO_PIC2, 0x0A);
	write_mask();
}

void irq_unmask(int irq)
{
	irq_mask &= ~(1 << irq);
	write_mask();
}

/* Non-specific EOI, to the slave too for IRQ 8-15. */
void pic_eoi(int irq)
{
	if (irq >= 8)
		outb(IO_PIC2, 0x20);
	outb(IO_PIC1, 0x20);
}

// x86.h: inline wrappers for the few privileged or port instructions the
// benchmark payload needs, so the C phases read as plain C.

#ifndef BENCH_X86_H
#define BENCH_X86_H

#include <stdint.h>

static inline uint8_t inb(uint16_t port)
{
	uint8_t value;
	__asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

static inline void outb(uint16_t port, uint8_t value)
{
	__asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint32_t rcr0(void)
{
	uint32_t value;
	__asm__ volatile("movl %%cr0, %0" : "=r"(value));
	return value;
}

static inline void lcr0(uint32_t value)
{
	__asm__ volatile("movl %0, %%cr0" : : "r"(value) : "memory");
}

static inline void lcr3(uint32_t value)
{
	__asm__ volatile("movl %0, %%cr3" : : "r"(value) : "memory");
}

static inline void ltr(uint16_t selector)
{
	__asm__ volatile("ltr %0" : : "r"(selector));
}

// The operand of LGDT/LIDT: a 16-bit limit then a 32-bit linear base.
struct pseudo_descriptor {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed));

static inline void lidt(const struct pseudo_descriptor *descriptor)
{
	__asm__ volatile("lidt (%0)" : : "r"(descriptor) : "memory");
}

static inline __attribute__((noreturn)) void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

#endif

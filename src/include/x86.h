/* Inline wrappers for the x86 instructions C cannot express. */
#ifndef JOS86_X86_H
#define JOS86_X86_H
#include <types.h>

static inline uint8_t inb(int port) { uint8_t v; asm volatile("inb %w1,%0" : "=a"(v) : "d"(port)); return v; }
static inline uint16_t inw(int port) { uint16_t v; asm volatile("inw %w1,%0" : "=a"(v) : "d"(port)); return v; }
static inline uint32_t inl(int port) { uint32_t v; asm volatile("inl %w1,%0" : "=a"(v) : "d"(port)); return v; }
static inline void outb(int port, uint8_t v) { asm volatile("outb %0,%w1" : : "a"(v), "d"(port)); }
static inline void outw(int port, uint16_t v) { asm volatile("outw %0,%w1" : : "a"(v), "d"(port)); }
static inline void outl(int port, uint32_t v) { asm volatile("outl %0,%w1" : : "a"(v), "d"(port)); }
static inline void insl(int port, void *addr, int cnt)
{
	asm volatile("cld\n\trepne\n\tinsl" : "=D"(addr), "=c"(cnt) : "d"(port), "0"(addr), "1"(cnt) : "memory", "cc");
}
static inline void outsl(int port, const void *addr, int cnt)
{
	asm volatile("cld\n\trepne\n\toutsl" : "=S"(addr), "=c"(cnt) : "d"(port), "0"(addr), "1"(cnt) : "cc");
}
static inline void invlpg(void *addr) { asm volatile("invlpg (%0)" : : "r"(addr) : "memory"); }
static inline void lidt(void *p) { asm volatile("lidt (%0)" : : "r"(p)); }
static inline void lgdt(void *p) { asm volatile("lgdt (%0)" : : "r"(p)); }
static inline void ltr(uint16_t sel) { asm volatile("ltr %0" : : "r"(sel)); }
static inline void lcr0(uint32_t v) { asm volatile("movl %0,%%cr0" : : "r"(v)); }
static inline uint32_t rcr0(void) { uint32_t v; asm volatile("movl %%cr0,%0" : "=r"(v)); return v; }
static inline uint32_t rcr2(void) { uint32_t v; asm volatile("movl %%cr2,%0" : "=r"(v)); return v; }
static inline void lcr3(uint32_t v) { asm volatile("movl %0,%%cr3" : : "r"(v)); }
static inline uint32_t rcr3(void) { uint32_t v; asm volatile("movl %%cr3,%0" : "=r"(v)); return v; }
static inline void lcr4(uint32_t v) { asm volatile("movl %0,%%cr4" : : "r"(v)); }
static inline uint32_t rcr4(void) { uint32_t v; asm volatile("movl %%cr4,%0" : "=r"(v)); return v; }
static inline uint32_t read_eflags(void) { uint32_t v; asm volatile("pushfl; popl %0" : "=r"(v)); return v; }
static inline void write_eflags(uint32_t v) { asm volatile("pushl %0; popfl" : : "r"(v)); }
static inline uint32_t read_ebp(void) { uint32_t v; asm volatile("movl %%ebp,%0" : "=r"(v)); return v; }
static inline uint32_t xchg(volatile uint32_t *addr, uint32_t newval)
{
	uint32_t result;
	asm volatile("lock; xchgl %0, %1" : "+m"(*addr), "=a"(result) : "1"(newval) : "cc");
	return result;
}
static inline void cpuid(uint32_t leaf, uint32_t *eax, uint32_t *ebx, uint32_t *ecx, uint32_t *edx)
{
	uint32_t a, b, c, d;
	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(0));
	if (eax) *eax = a;
	if (ebx) *ebx = b;
	if (ecx) *ecx = c;
	if (edx) *edx = d;
}
#define CPUID1_ECX_RDRAND (1U << 30)
/* RDRAND: 32 random bits into *v; false when the source had none ready (CF=0). */
static inline bool rdrand32(uint32_t *v)
{
	uint8_t ok;
	asm volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok) : : "cc");
	return ok;
}
#endif

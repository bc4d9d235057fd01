// descriptors.c: the payload's GDT, TSS and IDT, and the fatal-fault report.
//
// Layouts follow the Intel SDM vol. 3A: segment descriptors (3.4.5), the
// 32-bit TSS (7.2.1) and interrupt gates (6.11). The GDT holds flat 4 GiB
// code and data segments for ring 0 and ring 3 and one TSS, whose SS0:ESP0 is
// the stack the CPU switches to when ring 3 executes INT. The IDT routes the
// 32 exception vectors to a report-and-exit handler and opens two DPL-3
// interrupt gates for the ring-3 phase.

#include "bench.h"
#include "x86.h"

// Access bytes (present, DPL, type) and the flags nibble (4 KiB granularity, 32-bit).
#define ACCESS_KERNEL_CODE 0x9A
#define ACCESS_KERNEL_DATA 0x92
#define ACCESS_USER_CODE   0xFA
#define ACCESS_USER_DATA   0xF2
#define ACCESS_TSS32       0x89   // present, DPL 0, 32-bit available TSS
#define FLAGS_4K_32BIT     0xC
#define FLAGS_BYTE_GRAN    0x0
#define FLAT_LIMIT         0xFFFFF

#define GATE_INTERRUPT_DPL0 0x8E  // present, DPL 0, 32-bit interrupt gate
#define GATE_INTERRUPT_DPL3 0xEE  // the same, callable from ring 3
#define IDT_ENTRIES         256
#define EXCEPTION_VECTORS   32

struct tss32 {
	uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2;
	uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint32_t es, cs, ss, ds, fs, gs, ldt;
	uint16_t trap;
	uint16_t iomap_base;
} __attribute__((packed));

struct gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t zero;
	uint8_t type;
	uint16_t offset_high;
} __attribute__((packed));

static uint64_t gdt[6];
static struct tss32 tss;
static struct gate idt[IDT_ENTRIES];
static uint8_t ring0_stack[4096] __attribute__((aligned(16)));

static uint64_t segment(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	return (uint64_t)(limit & 0xFFFF)
	     | (uint64_t)(base & 0xFFFFFF) << 16
	     | (uint64_t)access << 40
	     | (uint64_t)((limit >> 16) & 0xF) << 48
	     | (uint64_t)(flags & 0xF) << 52
	     | (uint64_t)(base >> 24) << 56;
}

static void set_gate(int vector, void (*handler)(void), uint8_t type)
{
	uint32_t offset = (uint32_t)handler;
	idt[vector].offset_low = offset & 0xFFFF;
	idt[vector].selector = SEL_KERNEL_CODE;
	idt[vector].zero = 0;
	idt[vector].type = type;
	idt[vector].offset_high = offset >> 16;
}

void descriptors_init(void)
{
	gdt[SEL_KERNEL_CODE / 8] = segment(0, FLAT_LIMIT, ACCESS_KERNEL_CODE, FLAGS_4K_32BIT);
	gdt[SEL_KERNEL_DATA / 8] = segment(0, FLAT_LIMIT, ACCESS_KERNEL_DATA, FLAGS_4K_32BIT);
	gdt[SEL_USER_CODE / 8] = segment(0, FLAT_LIMIT, ACCESS_USER_CODE, FLAGS_4K_32BIT);
	gdt[SEL_USER_DATA / 8] = segment(0, FLAT_LIMIT, ACCESS_USER_DATA, FLAGS_4K_32BIT);
	gdt[SEL_TSS / 8] = segment((uint32_t)&tss, sizeof(tss) - 1, ACCESS_TSS32, FLAGS_BYTE_GRAN);

	tss.ss0 = SEL_KERNEL_DATA;
	tss.esp0 = (uint32_t)(ring0_stack + sizeof(ring0_stack));
	// A bitmap offset past the TSS limit means "no I/O bitmap": ring 3 gets no ports.
	tss.iomap_base = sizeof(tss);

	struct pseudo_descriptor gdt_descriptor = { sizeof(gdt) - 1, (uint32_t)gdt };
	gdt_load(&gdt_descriptor);
	ltr(SEL_TSS);

	for (int vector = 0; vector < EXCEPTION_VECTORS; vector++)
		set_gate(vector, (void (*)(void))fault_stubs[vector], GATE_INTERRUPT_DPL0);
	set_gate(VECTOR_SYSCALL, syscall_entry, GATE_INTERRUPT_DPL3);
	set_gate(VECTOR_USER_EXIT, user_exit_entry, GATE_INTERRUPT_DPL3);
	struct pseudo_descriptor idt_descriptor = { sizeof(idt) - 1, (uint32_t)idt };
	lidt(&idt_descriptor);
}

// Any exception means a peer ran the workload wrongly: say where and stop, so
// the harness reports a failure instead of timing garbage.
void trap_fault(uint32_t vector, uint32_t error_code, uint32_t eip)
{
	console_puts("\nbench fault vector ");
	console_put_hex(vector);
	console_puts(" error ");
	console_put_hex(error_code);
	console_puts(" eip ");
	console_put_hex(eip);
	console_puts("\n");
	exit_emulator(1);
}

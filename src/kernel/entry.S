/*
 * Kernel entry. The boot loader jumps here with paging off, so the code
 * runs at its physical address until it turns paging on with entry_pgdir,
 * which maps the first 8 MiB both at 0 and at KERNBASE using two 4 MiB
 * pages. Then it switches to the boot stack and calls i386_init.
 */
#include <mmu.h>
#include <memlayout.h>

#define RELOC(x) ((x) - KERNBASE)

.text
.globl _start
_start = RELOC(entry)

.globl entry
entry:
	movl %cr4, %eax
	orl $CR4_PSE, %eax
	movl %eax, %cr4
	movl $(RELOC(entry_pgdir)), %eax
	movl %eax, %cr3
	movl %cr0, %eax
	orl $(CR0_PE | CR0_PG | CR0_WP), %eax
	movl %eax, %cr0
	mov $relocated, %eax
	jmp *%eax
relocated:
	movl $0x0, %ebp		/* ends the backtrace */
	movl $(bootstacktop), %esp
	call i386_init
spin:
	jmp spin

.data
	.p2align PGSHIFT
	.globl entry_pgdir
entry_pgdir:
	.long 0x00000000 | PTE_P | PTE_W | PTE_PS
	.long 0x00400000 | PTE_P | PTE_W | PTE_PS
	.fill (KERNBASE >> PDXSHIFT) - 2, 4, 0
	.long 0x00000000 | PTE_P | PTE_W | PTE_PS
	.long 0x00400000 | PTE_P | PTE_W | PTE_PS
	.fill NPDENTRIES - (KERNBASE >> PDXSHIFT) - 2, 4, 0

	.p2align PGSHIFT
	.globl bootstack
bootstack:
	.space KSTKSIZE
	.globl bootstacktop
bootstacktop:

/*
 * Trap entry points, one per vector the IDT uses. Each pushes a zero error
 * code when the processor does not, then the trap number, and joins
 * alltraps, which completes a struct Trapframe and calls trap().
 */
#include <mmu.h>
#include <memlayout.h>
#include <trap.h>

#define TRAPHANDLER(name, num) \
	.globl name; .type name, @function; .p2align 2; \
	name: pushl $(num); jmp alltraps

#define TRAPHANDLER_NOEC(name, num) \
	.globl name; .type name, @function; .p2align 2; \
	name: pushl $0; pushl $(num); jmp alltraps

.text
TRAPHANDLER_NOEC(trap_divide, T_DIVIDE)
TRAPHANDLER_NOEC(trap_debug, T_DEBUG)
TRAPHANDLER_NOEC(trap_nmi, T_NMI)
TRAPHANDLER_NOEC(trap_brkpt, T_BRKPT)
TRAPHANDLER_NOEC(trap_oflow, T_OFLOW)
TRAPHANDLER_NOEC(trap_bound, T_BOUND)
TRAPHANDLER_NOEC(trap_illop, T_ILLOP)
TRAPHANDLER_NOEC(trap_device, T_DEVICE)
TRAPHANDLER(trap_dblflt, T_DBLFLT)
TRAPHANDLER(trap_tss, T_TSS)
TRAPHANDLER(trap_segnp, T_SEGNP)
TRAPHANDLER(trap_stack, T_STACK)
TRAPHANDLER(trap_gpflt, T_GPFLT)
TRAPHANDLER(trap_pgflt, T_PGFLT)
TRAPHANDLER_NOEC(trap_fperr, T_FPERR)
TRAPHANDLER(trap_align, T_ALIGN)
TRAPHANDLER_NOEC(trap_mchk, T_MCHK)
TRAPHANDLER_NOEC(trap_simderr, T_SIMDERR)
TRAPHANDLER_NOEC(trap_syscall, T_SYSCALL)

/* IRQ 0-15 */
#define IRQ(n) TRAPHANDLER_NOEC(irq_##n, IRQ_OFFSET + n)
IRQ(0)
IRQ(1)
IRQ(2)
IRQ(3)
IRQ(4)
IRQ(5)
IRQ(6)
IRQ(7)
IRQ(8)
IRQ(9)
IRQ(10)
IRQ(11)
IRQ(12)
IRQ(13)
IRQ(14)
IRQ(15)

alltraps:
	pushl %ds
	pushl %es
	pushal
	movw $GD_KD, %ax
	movw %ax, %ds
	movw %ax, %es
	pushl %esp	/* the Trapframe */
	call trap
	/* trap() does not return */

.data
	.p2align 2
	.globl irq_handlers
irq_handlers:
	.long irq_0, irq_1, irq_2, irq_3, irq_4, irq_5, irq_6, irq_7
	.long irq_8, irq_9, irq_10, irq_11, irq_12, irq_13, irq_14, irq_15

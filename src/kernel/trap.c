/*
 * Traps, interrupts and the system-call gate.
 *
 * Every vector enters through trapentry.S into trap(), which copies a user
 * trap frame into the current environment and dispatches: page faults to
 * the environment's upcall (or destroy it), system calls to syscall(), the
 * timer to the scheduler, and anything else a user caused destroys that
 * user; the same thing in the kernel is a panic.
 */
#include <x86.h>
#include <mmu.h>
#include <string.h>
#include <assert.h>
#include "defs.h"

static struct Taskstate ts;
static struct Gatedesc idt[256];
static struct Pseudodesc idt_pd = { sizeof(idt) - 1, (uint32_t) idt };
static struct Trapframe *last_tf;	/* for print_trapframe's "cr2" line */

static const char *trapname(int trapno)
{
	static const char *const excnames[] = {
		"Divide error", "Debug", "Non-Maskable Interrupt", "Breakpoint",
		"Overflow", "BOUND Range Exceeded", "Invalid Opcode", "Device Not Available",
		"Double Fault", "Coprocessor Segment Overrun", "Invalid TSS", "Segment Not Present",
		"Stack Fault", "General Protection", "Page Fault", "(unknown trap)",
		"x87 FPU Floating-Point Error", "Alignment Check", "Machine-Check", "SIMD Floating-Point Exception",
	};
	if (trapno < (int) ARRAY_SIZE(excnames))
		return excnames[trapno];
	if (trapno == T_SYSCALL)
		return "System call";
	if (trapno >= IRQ_OFFSET && trapno < IRQ_OFFSET + 16)
		return "Hardware Interrupt";
	return "(unknown trap)";
}

void trap_init(void)
{
	extern void trap_divide(void), trap_debug(void), trap_nmi(void), trap_brkpt(void), trap_oflow(void),
		trap_bound(void), trap_illop(void), trap_device(void), trap_dblflt(void), trap_tss(void),
		trap_segnp(void), trap_stack(void), trap_gpflt(void), trap_pgflt(void), trap_fperr(void),
		trap_align(void), trap_mchk(void), trap_simderr(void), trap_syscall(void);
	extern uint32_t irq_handlers[];

	SETGATE(idt[T_DIVIDE], 0, GD_KT, trap_divide, 0);
	SETGATE(idt[T_DEBUG], 0, GD_KT, trap_debug, 0);
	SETGATE(idt[T_NMI], 0, GD_KT, trap_nmi, 0);
	SETGATE(idt[T_BRKPT], 0, GD_KT, trap_brkpt, 3);	/* INT3 is allowed from user mode */
	SETGATE(idt[T_OFLOW], 0, GD_KT, trap_oflow, 0);
	SETGATE(idt[T_BOUND], 0, GD_KT, trap_bound, 0);
	SETGATE(idt[T_ILLOP], 0, GD_KT, trap_illop, 0);
	SETGATE(idt[T_DEVICE], 0, GD_KT, trap_device, 0);
	SETGATE(idt[T_DBLFLT], 0, GD_KT, trap_dblflt, 0);
	SETGATE(idt[T_TSS], 0, GD_KT, trap_tss, 0);
	SETGATE(idt[T_SEGNP], 0, GD_KT, trap_segnp, 0);
	SETGATE(idt[T_STACK], 0, GD_KT, trap_stack, 0);
	SETGATE(idt[T_GPFLT], 0, GD_KT, trap_gpflt, 0);
	SETGATE(idt[T_PGFLT], 0, GD_KT, trap_pgflt, 0);
	SETGATE(idt[T_FPERR], 0, GD_KT, trap_fperr, 0);
	SETGATE(idt[T_ALIGN], 0, GD_KT, trap_align, 0);
	SETGATE(idt[T_MCHK], 0, GD_KT, trap_mchk, 0);
	SETGATE(idt[T_SIMDERR], 0, GD_KT, trap_simderr, 0);
	SETGATE(idt[T_SYSCALL], 0, GD_KT, trap_syscall, 3);
	for (int i = 0; i < 16; i++)
		SETGATE(idt[IRQ_OFFSET + i], 0, GD_KT, irq_handlers[i], 0);
	trap_init_percpu();
}

void trap_init_percpu(void)
{
	ts.ts_esp0 = KSTACKTOP;
	ts.ts_ss0 = GD_KD;
	ts.ts_iomb = sizeof(struct Taskstate);	/* no I/O bitmap: user port I/O faults */
	gdt[GD_TSS0 >> 3] = SEG16_DESC(STS_T32A, (uint32_t) (&ts), sizeof(struct Taskstate) - 1, 0);
	gdt[GD_TSS0 >> 3].sd_s = 0;
	ltr(GD_TSS0);
	lidt(&idt_pd);
}

void print_regs(struct PushRegs *regs)
{
	cprintf("  edi  0x%08x\n", regs->reg_edi);
	cprintf("  esi  0x%08x\n", regs->reg_esi);
	cprintf("  ebp  0x%08x\n", regs->reg_ebp);
	cprintf("  oesp 0x%08x\n", regs->reg_oesp);
	cprintf("  ebx  0x%08x\n", regs->reg_ebx);
	cprintf("  edx  0x%08x\n", regs->reg_edx);
	cprintf("  ecx  0x%08x\n", regs->reg_ecx);
	cprintf("  eax  0x%08x\n", regs->reg_eax);
}

void print_trapframe(struct Trapframe *tf)
{
	cprintf("TRAP frame at %p\n", tf);
	print_regs(&tf->tf_regs);
	cprintf("  es   0x----%04x\n", tf->tf_es);
	cprintf("  ds   0x----%04x\n", tf->tf_ds);
	cprintf("  trap 0x%08x %s\n", tf->tf_trapno, trapname(tf->tf_trapno));
	if (tf == last_tf && tf->tf_trapno == T_PGFLT)
		cprintf("  cr2  0x%08x\n", rcr2());
	cprintf("  err  0x%08x", tf->tf_err);
	if (tf->tf_trapno == T_PGFLT)
		cprintf(" [%s, %s, %s]\n",
			tf->tf_err & FEC_U ? "user" : "kernel",
			tf->tf_err & FEC_WR ? "write" : "read",
			tf->tf_err & FEC_PR ? "protection" : "not-present");
	else
		cprintf("\n");
	cprintf("  eip  0x%08x\n", tf->tf_eip);
	cprintf("  cs   0x----%04x\n", tf->tf_cs);
	cprintf("  flag 0x%08x\n", tf->tf_eflags);
	if ((tf->tf_cs & 3) != 0) {
		cprintf("  esp  0x%08x\n", tf->tf_esp);
		cprintf("  ss   0x----%04x\n", tf->tf_ss);
	}
}

/*
 * A page fault in user mode goes to the environment's upcall on its
 * exception stack (recursively, below the current frame, when it faults in
 * the handler). Without an upcall, or with an exception stack it cannot
 * use, the environment is destroyed. A page fault in the kernel is a bug.
 */
static void page_fault_handler(struct Trapframe *tf)
{
	uint32_t fault_va = rcr2();
	if ((tf->tf_cs & 3) == 0)
		panic("page fault in kernel mode at va %08x ip %08x", fault_va, tf->tf_eip);

	if (curenv->env_pgfault_upcall) {
		uintptr_t top = UXSTACKTOP;
		if (tf->tf_esp >= UXSTACKTOP - PGSIZE && tf->tf_esp < UXSTACKTOP)
			top = tf->tf_esp - 4;	/* one empty word below the interrupted frame */
		struct UTrapframe *utf = (struct UTrapframe *) (top - sizeof(struct UTrapframe));
		if ((uintptr_t) utf < UXSTACKTOP - PGSIZE) {
			cprintf("[%08x] user exception stack overflowed\n", curenv->env_id);
			env_destroy(curenv);
		}
		user_mem_assert(curenv, utf, sizeof(struct UTrapframe), PTE_W | PTE_U);
		utf->utf_fault_va = fault_va;
		utf->utf_err = tf->tf_err;
		utf->utf_regs = tf->tf_regs;
		utf->utf_eip = tf->tf_eip;
		utf->utf_eflags = tf->tf_eflags;
		utf->utf_esp = tf->tf_esp;
		tf->tf_eip = (uintptr_t) curenv->env_pgfault_upcall;
		tf->tf_esp = (uintptr_t) utf;
		env_run(curenv);
	}

	cprintf("[%08x] user fault va %08x ip %08x\n", curenv->env_id, fault_va, tf->tf_eip);
	print_trapframe(tf);
	env_destroy(curenv);
}

static void trap_dispatch(struct Trapframe *tf)
{
	switch (tf->tf_trapno) {
	case T_PGFLT:
		page_fault_handler(tf);
		return;
	case T_SYSCALL:
		tf->tf_regs.reg_eax = syscall(tf->tf_regs.reg_eax, tf->tf_regs.reg_edx, tf->tf_regs.reg_ecx,
					      tf->tf_regs.reg_ebx, tf->tf_regs.reg_edi, tf->tf_regs.reg_esi);
		return;
	case IRQ_OFFSET + IRQ_TIMER:
		ticks++;
		pic_eoi(IRQ_TIMER);
		sched_yield();
	case IRQ_OFFSET + IRQ_SPURIOUS:
		/* The 8259 raises IRQ 7 when a request vanished before acknowledgement; no EOI. */
		return;
	}
	if (tf->tf_trapno >= IRQ_OFFSET && tf->tf_trapno < IRQ_OFFSET + 16) {
		pic_eoi(tf->tf_trapno - IRQ_OFFSET);
		return;
	}
	print_trapframe(tf);
	if ((tf->tf_cs & 3) == 0)
		panic("unhandled trap %d (%s) in kernel", tf->tf_trapno, trapname(tf->tf_trapno));
	env_destroy(curenv);
}

void trap(struct Trapframe *tf)
{
	asm volatile("cld" ::: "cc");
	/* Interrupt gates cleared IF; the kernel runs with interrupts off. */
	assert(!(read_eflags() & FL_IF));

	if ((tf->tf_cs & 3) == 3) {
		assert(curenv);
		curenv->env_tf = *tf;
		tf = &curenv->env_tf;
	}
	last_tf = tf;
	trap_dispatch(tf);

	if (curenv && curenv->env_status == ENV_RUNNING)
		env_run(curenv);
	sched_yield();
}

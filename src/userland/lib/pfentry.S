/*
 * The page-fault upcall. The kernel starts it on the exception stack with
 * %esp at a struct UTrapframe (trap.h):
 *   0x00 fault_va, 0x04 err, 0x08 saved registers (pushal order),
 *   0x28 trap-time eip, 0x2c trap-time eflags, 0x30 trap-time esp.
 * It calls the C handler, then returns to the faulting code without the
 * kernel: it stores the trap-time eip just below the trap-time stack
 * pointer (the kernel left a spare word there when that stack is the
 * exception stack itself), restores every register and flag, switches to
 * the trap-time stack and RETs through that word.
 */
.text
.globl _pgfault_upcall
_pgfault_upcall:
	pushl %esp
	movl _pgfault_handler, %eax
	call *%eax
	addl $4, %esp

	movl 0x28(%esp), %eax		/* trap-time eip */
	movl 0x30(%esp), %ebx		/* trap-time esp */
	subl $4, %ebx
	movl %eax, (%ebx)		/* becomes the return address */
	movl %ebx, 0x30(%esp)

	addl $8, %esp			/* fault_va and err */
	popal
	addl $4, %esp			/* eip, already placed */
	popfl				/* nothing after this may touch the flags */
	popl %esp
	ret

// syscall.c: phase "syscall" — ring 3 -> ring 0 -> ring 3 round trips.
// Ring-3 code (user_syscall_loop in entry.asm) executes INT 0x30 through a
// DPL-3 interrupt gate; the CPU checks the gate's DPL, loads SS0:ESP0 from the
// TSS, pushes the five-word frame, and the handler returns with IRET, which
// checks and reloads the ring-3 CS and SS. Measures privilege-level changes,
// the work a system call costs before the kernel does anything.

#include "bench.h"

#define SYSCALL_ROUNDS SCALED(500000)

static uint8_t user_stack[4096] __attribute__((aligned(16)));

uint32_t phase_syscall(void)
{
	syscall_sum = 0;
	user_iterations = SYSCALL_ROUNDS;
	enter_user((uint32_t)user_syscall_loop, (uint32_t)(user_stack + sizeof(user_stack)));
	return syscall_sum;
}

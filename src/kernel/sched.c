/*
 * Round-robin scheduling. The timer interrupt and sys_yield come here; the
 * next runnable environment after the current one runs; a paused one never
 * does, whatever its status (envctl.c). With none runnable the kernel
 * monitor takes over (so `run` in the monitor comes back to its prompt).
 */
#include <x86.h>
#include "defs.h"

static void sched_halt(void) __attribute__((noreturn));

void sched_yield(void)
{
	int start = curenv ? ENVX(curenv->env_id) + 1 : 0;
	for (int i = 0; i < NENV; i++) {
		struct Env *e = &envs[(start + i) % NENV];
		if (e->env_status == ENV_RUNNABLE && !e->env_paused)
			env_run(e);
	}
	if (curenv && curenv->env_status == ENV_RUNNING)
		env_run(curenv);
	sched_halt();
}

/*
 * Nothing can run. On one CPU nothing can wake an environment blocked in
 * ipc_recv either, so hand the console to the monitor, on a fresh stack:
 * nothing below us will ever be returned to.
 */
static void sched_halt(void)
{
	curenv = NULL;
	lcr3(PADDR(kern_pgdir));
	cprintf("No runnable environments in the system!\n");
	asm volatile("movl $0, %%ebp\n movl %0, %%esp\n call monitor_entry\n" : : "a"(KSTACKTOP));
	__builtin_unreachable();
}

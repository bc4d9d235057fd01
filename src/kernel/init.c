/*
 * Kernel initialisation, in boot order:
 *   1. console (CGA, serial, keyboard)
 *   2. memory: page allocator and the kernel address space (pmap.c), self-checked
 *   3. environments and the GDT (env.c)
 *   4. the IDT and TSS (trap.c)
 *   5. the 8259 pair and the 8254 timer for preemption
 *   6. the first environments: the file server and init (which starts the
 *      shell); the monitor takes the console when nothing can run
 */
#include <string.h>
#include "defs.h"

/* Start one of the programs linked into the kernel (tools/progs.mjs). */
static void start_program(const char *name, enum EnvType type)
{
	const struct UserProgram *p = find_program(name);
	if (!p)
		panic("no program '%s' linked into the kernel", name);
	int r = env_create(p->start, p->end - p->start, type, name);
	if (r < 0)
		panic("cannot start %s: %e", name, r);
}

void i386_init(void)
{
	extern char edata[], bss_end[];
	memset(edata, 0, bss_end - edata);

	cons_init();
	cprintf("jos86 kernel: 6828 decimal is %o octal!\n", 6828);
	mem_init();
	env_init();
	trap_init();
	pic_init();
	clock_init();
	start_program("fs", ENV_TYPE_FS);
	start_program("init", ENV_TYPE_USER);
	sched_yield();
}

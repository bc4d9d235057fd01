/*
 * Kernel initialisation, in boot order:
 *   1. console (CGA, serial, keyboard)
 *   2. memory: page allocator and the kernel address space (pmap.c), self-checked
 *   3. environments and the GDT (env.c)
 *   4. the IDT and TSS (trap.c)
 *   5. the 8259 pair and the 8254 timer for preemption
 *   6. the monitor, which runs user programs on request
 */
#include <string.h>
#include "defs.h"

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
	monitor(NULL);
}

/*
 * User-level page-fault handling: the first call allocates the exception
 * stack and registers the assembly upcall (pfentry.S) with the kernel; the
 * upcall calls whichever C handler was set last.
 */
#include <lib.h>

extern void _pgfault_upcall(void);
void (*_pgfault_handler)(struct UTrapframe *utf);

void set_pgfault_handler(void (*handler)(struct UTrapframe *utf))
{
	if (_pgfault_handler == 0) {
		int r = sys_page_alloc(0, (void *) (UXSTACKTOP - PGSIZE), PTE_P | PTE_U | PTE_W);
		if (r < 0)
			panic("set_pgfault_handler: cannot allocate the exception stack: %e", r);
		r = sys_env_set_pgfault_upcall(0, _pgfault_upcall);
		if (r < 0)
			panic("set_pgfault_handler: cannot register the upcall: %e", r);
	}
	_pgfault_handler = handler;
}

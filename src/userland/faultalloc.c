/* A page-fault handler that maps the missing page, so the faulting code carries on. */
#include <lib.h>

static void handler(struct UTrapframe *utf)
{
	void *addr = (void *) utf->utf_fault_va;
	cprintf("fault %x\n", (uint32_t) addr);
	int r = sys_page_alloc(0, ROUNDDOWN(addr, PGSIZE), PTE_P | PTE_U | PTE_W);
	if (r < 0)
		panic("allocating at %x in page fault handler: %e", (uint32_t) addr, r);
	snprintf((char *) addr, 100, "this string was faulted in at %x", (uint32_t) addr);
}

void umain(int argc, char **argv)
{
	set_pgfault_handler(handler);
	cprintf("%s\n", (char *) 0xDeadBeef);
	cprintf("%s\n", (char *) 0xCafeBffe);
}

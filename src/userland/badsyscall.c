/*
 * System calls with bad arguments get error codes, not crashes: a page at
 * or above UTOP, a misaligned address, forbidden permission bits, an
 * environment that does not exist, an unknown call number.
 */
#include <lib.h>

void umain(int argc, char **argv)
{
	cprintf("page_alloc at UTOP: %e\n", sys_page_alloc(0, (void *) UTOP, PTE_P | PTE_U | PTE_W));
	cprintf("page_alloc misaligned: %e\n", sys_page_alloc(0, (void *) 0x400001, PTE_P | PTE_U | PTE_W));
	cprintf("page_alloc without PTE_U: %e\n", sys_page_alloc(0, (void *) 0x400000, PTE_P | PTE_W));
	cprintf("page_map from nothing: %e\n", sys_page_map(0, (void *) 0x500000, 0, (void *) 0x400000, PTE_P | PTE_U));
	cprintf("env_destroy of a stranger: %e\n", sys_env_destroy(0x7ffff3ff));
	cprintf("env_set_status to 99: %e\n", sys_env_set_status(0, 99));
	int r;
	asm volatile("int $0x30" : "=a"(r) : "a"(1000) : "memory");
	cprintf("syscall 1000: %e\n", r);
	cprintf("still alive\n");
}

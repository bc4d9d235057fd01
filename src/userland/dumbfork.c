/* fork by copying every page by hand (no copy-on-write); parent and child then take turns. */
#include <lib.h>

static void duppage(envid_t dstenv, void *addr)
{
	int r;
	if ((r = sys_page_alloc(dstenv, addr, PTE_P | PTE_U | PTE_W)) < 0)
		panic("sys_page_alloc: %e", r);
	if ((r = sys_page_map(dstenv, addr, 0, UTEMP, PTE_P | PTE_U | PTE_W)) < 0)
		panic("sys_page_map: %e", r);
	memmove(UTEMP, addr, PGSIZE);
	if ((r = sys_page_unmap(0, UTEMP)) < 0)
		panic("sys_page_unmap: %e", r);
}

static envid_t dumbfork(void)
{
	extern unsigned char end[];
	envid_t envid = sys_exofork();
	if (envid < 0)
		panic("sys_exofork: %e", envid);
	if (envid == 0)
		return 0;	/* the child: thisenv finds itself (lib.h) */
	for (uint8_t *addr = (uint8_t *) UTEXT; addr < end; addr += PGSIZE)
		duppage(envid, addr);
	/* The stack too: the page holding this local variable. */
	duppage(envid, ROUNDDOWN((void *) &envid, PGSIZE));
	int r;
	if ((r = sys_env_set_status(envid, ENV_RUNNABLE)) < 0)
		panic("sys_env_set_status: %e", r);
	return envid;
}

void umain(int argc, char **argv)
{
	envid_t who = dumbfork();
	for (int i = 0; i < (who ? 10 : 20); i++) {
		cprintf("%d: I am the %s!\n", i, who ? "parent" : "child");
		sys_yield();
	}
}

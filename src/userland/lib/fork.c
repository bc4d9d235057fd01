/*
 * fork, with copy-on-write, entirely in user space: the parent maps every
 * writable page into the child and back into itself marked PTE_COW and
 * read-only; the first write on either side faults, and the page-fault
 * handler below gives the writer a private copy.
 */
#include <lib.h>

extern void _pgfault_upcall(void);

static void cow_fault(struct UTrapframe *utf)
{
	void *addr = (void *) utf->utf_fault_va;
	if (!(utf->utf_err & FEC_WR) || !(uvpd[PDX(addr)] & PTE_P) || !(uvpt[PGNUM(addr)] & PTE_COW))
		panic("page fault at va %08x ip %08x err %x is not a write to a copy-on-write page",
		      (uint32_t) addr, utf->utf_eip, utf->utf_err);
	addr = ROUNDDOWN(addr, PGSIZE);
	int r;
	if ((r = sys_page_alloc(0, PFTEMP, PTE_P | PTE_U | PTE_W)) < 0)
		panic("cow_fault: sys_page_alloc: %e", r);
	memmove(PFTEMP, addr, PGSIZE);
	if ((r = sys_page_map(0, PFTEMP, 0, addr, PTE_P | PTE_U | PTE_W)) < 0)
		panic("cow_fault: sys_page_map: %e", r);
	if ((r = sys_page_unmap(0, PFTEMP)) < 0)
		panic("cow_fault: sys_page_unmap: %e", r);
}

/* Give the child page `pn`: shared pages as they are, writable ones copy-on-write, the rest read-only. */
static int duppage(envid_t child, unsigned pn)
{
	void *va = (void *) (pn * PGSIZE);
	pte_t pte = uvpt[pn];
	int r;
	if (pte & PTE_SHARE)
		return sys_page_map(0, va, child, va, pte & PTE_SYSCALL);
	if (pte & (PTE_W | PTE_COW)) {
		/* Child first: once we are read-only ourselves, our own copy would fault mid-way. */
		if ((r = sys_page_map(0, va, child, va, PTE_P | PTE_U | PTE_COW)) < 0)
			return r;
		return sys_page_map(0, va, 0, va, PTE_P | PTE_U | PTE_COW);
	}
	return sys_page_map(0, va, child, va, PTE_P | PTE_U);
}

envid_t fork(void)
{
	set_pgfault_handler(cow_fault);
	envid_t child = sys_exofork();
	if (child < 0)
		return child;
	if (child == 0)
		return 0;
	for (uintptr_t addr = 0; addr < USTACKTOP; addr += PGSIZE) {
		if (!(uvpd[PDX(addr)] & PTE_P)) {
			addr += PTSIZE - PGSIZE;	/* no page table: skip its 4 MiB */
			continue;
		}
		if ((uvpt[PGNUM(addr)] & (PTE_P | PTE_U)) == (PTE_P | PTE_U)) {
			int r = duppage(child, PGNUM(addr));
			if (r < 0)
				return r;
		}
	}
	int r;
	if ((r = sys_page_alloc(child, (void *) (UXSTACKTOP - PGSIZE), PTE_P | PTE_U | PTE_W)) < 0)
		return r;
	if ((r = sys_env_set_pgfault_upcall(child, _pgfault_upcall)) < 0)
		return r;
	if ((r = sys_env_set_status(child, ENV_RUNNABLE)) < 0)
		return r;
	return child;
}

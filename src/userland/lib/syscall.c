/*
 * System-call stubs. The ABI: INT 0x30 with the call number in EAX and up
 * to five arguments in EDX, ECX, EBX, EDI, ESI; the result comes back in EAX.
 */
#include <lib.h>

static int32_t syscall(int num, bool check, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t a5)
{
	int32_t ret;
	asm volatile("int %1\n"
		     : "=a"(ret)
		     : "i"(T_SYSCALL), "a"(num), "d"(a1), "c"(a2), "b"(a3), "D"(a4), "S"(a5)
		     : "cc", "memory");
	if (check && ret > 0)
		panic("syscall %d returned %d (> 0)", num, ret);
	return ret;
}

void sys_cputs(const char *s, size_t len)
{
	syscall(SYS_cputs, 0, (uint32_t) s, len, 0, 0, 0);
}

int sys_cgetc(void)
{
	return syscall(SYS_cgetc, 0, 0, 0, 0, 0, 0);
}

envid_t sys_getenvid(void)
{
	return syscall(SYS_getenvid, 0, 0, 0, 0, 0, 0);
}

int sys_env_destroy(envid_t envid)
{
	return syscall(SYS_env_destroy, 1, envid, 0, 0, 0, 0);
}

void sys_yield(void)
{
	syscall(SYS_yield, 0, 0, 0, 0, 0, 0);
}

int sys_env_set_status(envid_t envid, int status)
{
	return syscall(SYS_env_set_status, 1, envid, status, 0, 0, 0);
}

int sys_env_set_trapframe(envid_t envid, struct Trapframe *tf)
{
	return syscall(SYS_env_set_trapframe, 1, envid, (uint32_t) tf, 0, 0, 0);
}

int sys_env_set_pgfault_upcall(envid_t envid, void *upcall)
{
	return syscall(SYS_env_set_pgfault_upcall, 1, envid, (uint32_t) upcall, 0, 0, 0);
}

int sys_page_alloc(envid_t envid, void *va, int perm)
{
	return syscall(SYS_page_alloc, 1, envid, (uint32_t) va, perm, 0, 0);
}

int sys_page_map(envid_t srcenv, void *srcva, envid_t dstenv, void *dstva, int perm)
{
	return syscall(SYS_page_map, 1, srcenv, (uint32_t) srcva, dstenv, (uint32_t) dstva, perm);
}

int sys_page_unmap(envid_t envid, void *va)
{
	return syscall(SYS_page_unmap, 1, envid, (uint32_t) va, 0, 0, 0);
}

int sys_ipc_try_send(envid_t envid, uint32_t value, void *srcva, int perm)
{
	return syscall(SYS_ipc_try_send, 0, envid, value, (uint32_t) srcva, perm, 0);
}

int sys_ipc_recv(void *dstva)
{
	return syscall(SYS_ipc_recv, 1, (uint32_t) dstva, 0, 0, 0, 0);
}

unsigned sys_time(void)
{
	return syscall(SYS_time, 0, 0, 0, 0, 0, 0);
}

int sys_env_set_name(envid_t envid, const char *name)
{
	return syscall(SYS_env_set_name, 1, envid, (uint32_t) name, 0, 0, 0);
}

/* Environment control for migration. Results are written into the caller's
 * memory, which the kernel needs writable: touching it first turns a
 * copy-on-write page into a private one. */
int sys_env_pause(envid_t envid)
{
	return syscall(SYS_env_pause, 1, envid, 0, 0, 0, 0);
}

int sys_env_resume(envid_t envid)
{
	return syscall(SYS_env_resume, 1, envid, 0, 0, 0, 0);
}

int sys_env_kill(envid_t envid)
{
	return syscall(SYS_env_kill, 1, envid, 0, 0, 0, 0);
}

int sys_env_get_state(envid_t envid, struct EnvState *state)
{
	memset(state, 0, sizeof(*state));
	return syscall(SYS_env_get_state, 1, envid, (uint32_t) state, 0, 0, 0);
}

int sys_env_next_page(envid_t envid, uintptr_t va, struct EnvPage *page)
{
	memset(page, 0, sizeof(*page));
	return syscall(SYS_env_next_page, 1, envid, va, (uint32_t) page, 0, 0);
}

int sys_env_page_copy(envid_t envid, void *srcva, void *dstva)
{
	uintptr_t va = (uintptr_t) dstva;
	if (va < UTOP && (uvpd[PDX(va)] & PTE_P) && (uvpt[PGNUM(va)] & PTE_COW))
		*(volatile uint8_t *) dstva = 0;
	return syscall(SYS_env_page_copy, 1, envid, (uint32_t) srcva, (uint32_t) dstva, 0, 0);
}

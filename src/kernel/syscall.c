/*
 * System calls, exokernel style: the kernel hands out environments and
 * pages and moves them between address spaces on request; policy (fork,
 * page-fault handling) lives in the user library.
 *
 * Every pointer, environment id and permission from user space is checked.
 * A bad pointer destroys the caller (user_mem_assert); a bad argument
 * returns an error code. Nothing a user passes can make the kernel panic
 * or touch kernel memory.
 */
#include <x86.h>
#include <error.h>
#include <string.h>
#include <syscall.h>
#include <assert.h>
#include "defs.h"

static int sys_cputs(uint32_t s, uint32_t len)
{
	user_mem_assert(curenv, (const void *) s, len, PTE_U);
	cprintf("%.*s", (int) len, (const char *) s);
	return 0;
}

static int sys_cgetc(void)
{
	return cons_getc();
}

static int sys_getenvid(void)
{
	return curenv->env_id;
}

static int sys_env_destroy(uint32_t envid)
{
	struct Env *e;
	int r = envid2env(envid, &e, 1);
	if (r < 0)
		return r;
	if (e == curenv)
		cprintf("[%08x] exiting gracefully\n", curenv->env_id);
	else
		cprintf("[%08x] destroying %08x\n", curenv->env_id, e->env_id);
	env_destroy(e);
	return 0;
}

static int sys_yield(void)
{
	sched_yield();
}

/* A child with the caller's registers (but eax = 0) and an empty address space, not yet runnable. */
static int sys_exofork(void)
{
	struct Env *e;
	int r = env_alloc(&e, curenv->env_id);
	if (r < 0)
		return r;
	e->env_status = ENV_NOT_RUNNABLE;
	e->env_tf = curenv->env_tf;
	e->env_tf.tf_regs.reg_eax = 0;
	memcpy(e->env_name, curenv->env_name, ENV_NAME_LEN);
	return e->env_id;
}

static int sys_env_set_status(uint32_t envid, uint32_t status)
{
	if (status != ENV_RUNNABLE && status != ENV_NOT_RUNNABLE)
		return -E_INVAL;
	struct Env *e;
	int r = envid2env(envid, &e, 1);
	if (r < 0)
		return r;
	e->env_status = status;
	return 0;
}

/* Replace an environment's registers; it always stays in ring 3 with interrupts on and IOPL 0. */
static int sys_env_set_trapframe(uint32_t envid, uint32_t tf_va)
{
	struct Env *e;
	int r = envid2env(envid, &e, 1);
	if (r < 0)
		return r;
	user_mem_assert(curenv, (const void *) tf_va, sizeof(struct Trapframe), PTE_U);
	struct Trapframe tf = *(struct Trapframe *) tf_va;
	tf.tf_cs = GD_UT | 3;
	tf.tf_ds = tf.tf_es = tf.tf_ss = GD_UD | 3;
	tf.tf_eflags = (tf.tf_eflags | FL_IF) & ~FL_IOPL_MASK;
	e->env_tf = tf;
	return 0;
}

static int sys_env_set_pgfault_upcall(uint32_t envid, uint32_t func)
{
	struct Env *e;
	int r = envid2env(envid, &e, 1);
	if (r < 0)
		return r;
	e->env_pgfault_upcall = (void *) func;
	return 0;
}

/* A user virtual address must be below UTOP and page aligned; permissions need U|P and nothing outside PTE_SYSCALL. */
static bool bad_va(uint32_t va)
{
	return va >= UTOP || (va & (PGSIZE - 1)) != 0;
}

static bool bad_perm(uint32_t perm)
{
	return (perm & (PTE_U | PTE_P)) != (PTE_U | PTE_P) || (perm & ~PTE_SYSCALL) != 0;
}

static int sys_page_alloc(uint32_t envid, uint32_t va, uint32_t perm)
{
	struct Env *e;
	int r = envid2env(envid, &e, 1);
	if (r < 0)
		return r;
	if (bad_va(va) || bad_perm(perm))
		return -E_INVAL;
	struct PageInfo *pp = page_alloc(ALLOC_ZERO);
	if (!pp)
		return -E_NO_MEM;
	r = page_insert(e->env_pgdir, pp, (void *) va, perm);
	if (r < 0) {
		page_free(pp);
		return r;
	}
	return 0;
}

static int sys_page_map(uint32_t srcenvid, uint32_t srcva, uint32_t dstenvid, uint32_t dstva, uint32_t perm)
{
	struct Env *src, *dst;
	int r;
	if ((r = envid2env(srcenvid, &src, 1)) < 0 || (r = envid2env(dstenvid, &dst, 1)) < 0)
		return r;
	if (bad_va(srcva) || bad_va(dstva) || bad_perm(perm))
		return -E_INVAL;
	pte_t *pte;
	struct PageInfo *pp = page_lookup(src->env_pgdir, (void *) srcva, &pte);
	if (!pp)
		return -E_INVAL;
	if ((perm & PTE_W) && !(*pte & PTE_W))
		return -E_INVAL;
	return page_insert(dst->env_pgdir, pp, (void *) dstva, perm);
}

static int sys_page_unmap(uint32_t envid, uint32_t va)
{
	struct Env *e;
	int r = envid2env(envid, &e, 1);
	if (r < 0)
		return r;
	if (bad_va(va))
		return -E_INVAL;
	page_remove(e->env_pgdir, (void *) va);
	return 0;
}

/*
 * Send `value`, and the page at srcva when srcva < UTOP, to an environment
 * blocked in sys_ipc_recv. Any environment may send to any other.
 */
static int sys_ipc_try_send(uint32_t envid, uint32_t value, uint32_t srcva, uint32_t perm)
{
	struct Env *e;
	int r = envid2env(envid, &e, 0);
	if (r < 0)
		return r;
	if (!e->env_ipc_recving || e->env_paused)
		return -E_IPC_NOT_RECV;
	int granted = 0;
	if (srcva < UTOP) {
		if ((srcva & (PGSIZE - 1)) || bad_perm(perm))
			return -E_INVAL;
		pte_t *pte;
		struct PageInfo *pp = page_lookup(curenv->env_pgdir, (void *) srcva, &pte);
		if (!pp || ((perm & PTE_W) && !(*pte & PTE_W)))
			return -E_INVAL;
		if ((uintptr_t) e->env_ipc_dstva < UTOP) {
			if ((r = page_insert(e->env_pgdir, pp, e->env_ipc_dstva, perm)) < 0)
				return r;
			granted = perm;
		}
	}
	e->env_ipc_recving = 0;
	e->env_ipc_from = curenv->env_id;
	e->env_ipc_value = value;
	e->env_ipc_perm = granted;
	e->env_status = ENV_RUNNABLE;
	e->env_tf.tf_regs.reg_eax = 0;
	return 0;
}

static int sys_ipc_recv(uint32_t dstva)
{
	if (dstva < UTOP && (dstva & (PGSIZE - 1)))
		return -E_INVAL;
	curenv->env_ipc_recving = 1;
	curenv->env_ipc_dstva = (void *) dstva;
	curenv->env_status = ENV_NOT_RUNNABLE;
	sched_yield();
}

/* Timer ticks since boot (100 per second). */
static int sys_time(void)
{
	return ticks;
}

/* Name an environment (spawn names its child after the program); `ps` shows it. */
static int sys_env_set_name(uint32_t envid, uint32_t name)
{
	struct Env *e;
	int r = envid2env(envid, &e, 1);
	if (r < 0)
		return r;
	char buf[ENV_NAME_LEN];
	size_t n = 0;
	for (; n < ENV_NAME_LEN - 1; n++) {
		user_mem_assert(curenv, (const void *) (name + n), 1, PTE_U);
		buf[n] = ((const char *) name)[n];
		if (!buf[n])
			break;
	}
	buf[n] = 0;
	memcpy(e->env_name, buf, ENV_NAME_LEN);
	return 0;
}

typedef int (*syscall_fn)(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t);

static const syscall_fn syscalls[NSYSCALLS] = {
	[SYS_cputs] = (syscall_fn) sys_cputs,
	[SYS_cgetc] = (syscall_fn) sys_cgetc,
	[SYS_getenvid] = (syscall_fn) sys_getenvid,
	[SYS_env_destroy] = (syscall_fn) sys_env_destroy,
	[SYS_page_alloc] = (syscall_fn) sys_page_alloc,
	[SYS_page_map] = (syscall_fn) sys_page_map,
	[SYS_page_unmap] = (syscall_fn) sys_page_unmap,
	[SYS_exofork] = (syscall_fn) sys_exofork,
	[SYS_env_set_status] = (syscall_fn) sys_env_set_status,
	[SYS_env_set_trapframe] = (syscall_fn) sys_env_set_trapframe,
	[SYS_env_set_pgfault_upcall] = (syscall_fn) sys_env_set_pgfault_upcall,
	[SYS_yield] = (syscall_fn) sys_yield,
	[SYS_ipc_try_send] = (syscall_fn) sys_ipc_try_send,
	[SYS_ipc_recv] = (syscall_fn) sys_ipc_recv,
	[SYS_time] = (syscall_fn) sys_time,
	[SYS_env_set_name] = (syscall_fn) sys_env_set_name,
	/* process migration (issue 6): envctl.c */
	[SYS_env_pause] = (syscall_fn) sys_env_pause,
	[SYS_env_resume] = (syscall_fn) sys_env_resume,
	[SYS_env_kill] = (syscall_fn) sys_env_kill,
	[SYS_env_get_state] = (syscall_fn) sys_env_get_state,
	[SYS_env_next_page] = (syscall_fn) sys_env_next_page,
	[SYS_env_page_copy] = (syscall_fn) sys_env_page_copy,
};

int32_t syscall(uint32_t num, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t a5)
{
	if (num >= NSYSCALLS || !syscalls[num])
		return -E_INVAL;
	return syscalls[num](a1, a2, a3, a4, a5);
}

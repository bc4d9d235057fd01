/*
 * Environment control for process migration (issue 6): pause, resume and
 * kill any user environment, and read a paused one's registers, upcall,
 * address-space layout and page contents. ps, pause, resume, kill, save
 * and load (src/userland) are user programs built on these calls, in the
 * exokernel manner. Building an environment from an image needs nothing
 * new here: the loader makes a child with exofork, gives it pages
 * (page_alloc, page_map), registers (env_set_trapframe, which keeps it in
 * ring 3 with IF set and IOPL 0), an upcall, a name, and a status.
 *
 * Who may act on whom. JOS lets an environment touch only itself and its
 * children; migration tools must reach any environment from the shell, so:
 *   - any environment may pause, resume, kill or read any environment of
 *     type ENV_TYPE_USER; any other type (the file server, ENV_TYPE_FS) is
 *     refused with -E_BAD_ENV. The kernel is no environment: nothing here
 *     reads at or above UTOP.
 *   - pause refuses the caller itself (-E_INVAL): a paused caller could
 *     never run again to resume.
 *   - reading (get_state, next_page, page_copy) requires the target to be
 *     paused, else -E_NOT_PAUSED: a snapshot of a running environment would
 *     tear. On one CPU the only environment actually running is the caller.
 *   - pages are only ever copied out, into a writable page the caller
 *     already owns; nothing here maps another environment's page into the
 *     caller, so nobody gains write access to somebody else's memory.
 * A pointer argument the caller cannot use destroys the caller (as
 * everywhere in syscall.c); any other bad argument returns an error code.
 *
 * Paused means frozen. The flag is separate from env_status: the scheduler
 * skips a paused environment whatever its status, and sys_ipc_try_send
 * treats it as not receiving (the sender retries), so its registers and the
 * kernel-held IPC fields cannot change while it is being saved. Resume
 * clears only the flag: an environment blocked in ipc_recv stays blocked,
 * a runnable one runs again from where it stopped.
 */
#include <x86.h>
#include <error.h>
#include <string.h>
#include <envctl.h>
#include "defs.h"

/* Look up `envid` as a target of these calls: any user environment, paused if `need_paused`. */
static int target_env(envid_t envid, struct Env **env_store, bool need_paused)
{
	struct Env *e;
	int r = envid2env(envid, &e, 0);
	if (r < 0)
		return r;
	if (e->env_type != ENV_TYPE_USER)
		return -E_BAD_ENV;
	if (need_paused && !e->env_paused)
		return -E_NOT_PAUSED;
	*env_store = e;
	return 0;
}

static bool bad_page_va(uint32_t va)
{
	return va >= UTOP || (va & (PGSIZE - 1)) != 0;
}

int sys_env_pause(uint32_t envid)
{
	struct Env *e;
	int r = target_env(envid, &e, 0);
	if (r < 0)
		return r;
	if (e == curenv)
		return -E_INVAL;
	e->env_paused = 1;
	return 0;
}

int sys_env_resume(uint32_t envid)
{
	struct Env *e;
	int r = target_env(envid, &e, 0);
	if (r < 0)
		return r;
	e->env_paused = 0;
	return 0;
}

int sys_env_kill(uint32_t envid)
{
	struct Env *e;
	int r = target_env(envid, &e, 0);
	if (r < 0)
		return r;
	cprintf("[%08x] destroying %08x\n", curenv->env_id, e->env_id);
	env_destroy(e);
	return 0;
}

int sys_env_get_state(uint32_t envid, uint32_t state_va)
{
	struct Env *e;
	int r = target_env(envid, &e, 1);
	if (r < 0)
		return r;
	user_mem_assert(curenv, (const void *) state_va, sizeof(struct EnvState), PTE_U | PTE_W);
	struct EnvState st;
	memset(&st, 0, sizeof(st));
	st.es_tf = e->env_tf;
	st.es_pgfault_upcall = (uint32_t) e->env_pgfault_upcall;
	st.es_status = e->env_status;
	st.es_ipc_recving = e->env_ipc_recving;
	st.es_ipc_dstva = (uint32_t) e->env_ipc_dstva;
	st.es_id = e->env_id;
	st.es_parent_id = e->env_parent_id;
	st.es_runs = e->env_runs;
	memcpy(st.es_name, e->env_name, ENV_NAME_LEN);
	st.es_name[ENV_NAME_LEN - 1] = 0;
	memcpy((void *) state_va, &st, sizeof(st));
	return 0;
}

/* The first user mapping of `envid` at or after `va`, below UTOP; ep_va = UTOP when there is none. */
int sys_env_next_page(uint32_t envid, uint32_t va, uint32_t page_va)
{
	struct Env *e;
	int r = target_env(envid, &e, 1);
	if (r < 0)
		return r;
	user_mem_assert(curenv, (const void *) page_va, sizeof(struct EnvPage), PTE_U | PTE_W);
	struct EnvPage found = { UTOP, 0 };
	uintptr_t addr = va >= UTOP ? UTOP : ROUNDUP(va, PGSIZE);
	while (addr < UTOP) {
		pde_t pde = e->env_pgdir[PDX(addr)];
		if (!(pde & PTE_P)) {
			addr = ROUNDDOWN(addr, PTSIZE) + PTSIZE;
			continue;
		}
		pte_t pte = ((pte_t *) KADDR(PTE_ADDR(pde)))[PTX(addr)];
		if ((pte & (PTE_P | PTE_U)) == (PTE_P | PTE_U)) {
			found.ep_va = addr;
			found.ep_perm = pte & PTE_SYSCALL;
			break;
		}
		addr += PGSIZE;
	}
	*(struct EnvPage *) page_va = found;
	return 0;
}

/* Copy the page of `envid` at `srcva` into the caller's own writable page at `dstva`. */
int sys_env_page_copy(uint32_t envid, uint32_t srcva, uint32_t dstva)
{
	struct Env *e;
	int r = target_env(envid, &e, 1);
	if (r < 0)
		return r;
	if (bad_page_va(srcva) || bad_page_va(dstva))
		return -E_INVAL;
	pte_t *src_pte;
	struct PageInfo *src = page_lookup(e->env_pgdir, (void *) srcva, &src_pte);
	if (!src || !(*src_pte & PTE_U))
		return -E_INVAL;
	user_mem_assert(curenv, (const void *) dstva, PGSIZE, PTE_U | PTE_W);
	struct PageInfo *dst = page_lookup(curenv->env_pgdir, (void *) dstva, NULL);
	memcpy(page2kva(dst), page2kva(src), PGSIZE);
	return 0;
}

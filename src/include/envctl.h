/*
 * What the environment-control system calls (src/kernel/envctl.c) hand to
 * user space: the saved state of a paused environment and one mapping of
 * its address space. Shared by the kernel and the user library.
 */
#ifndef JOS86_ENVCTL_H
#define JOS86_ENVCTL_H

#include <types.h>
#include <trap.h>
#include <env.h>

/* sys_env_get_state: everything about a paused environment except its pages. */
struct EnvState {
	struct Trapframe es_tf;		/* registers where it stopped */
	uint32_t es_pgfault_upcall;	/* 0 when none is registered */
	uint32_t es_status;		/* ENV_RUNNABLE or ENV_NOT_RUNNABLE */
	uint32_t es_ipc_recving;	/* blocked in sys_ipc_recv */
	uint32_t es_ipc_dstva;		/* where that receive accepts a page */
	envid_t es_id;
	envid_t es_parent_id;
	uint32_t es_runs;
	char es_name[ENV_NAME_LEN];
};

/* sys_env_next_page: a mapped user page, or va == UTOP when there is none. */
struct EnvPage {
	uintptr_t ep_va;
	uint32_t ep_perm;	/* its PTE bits within PTE_SYSCALL (PTE_COW, PTE_SHARE included) */
};

#endif

/* Environments (JOS's processes), shared by the kernel and user space. */
#ifndef JOS86_ENV_H
#define JOS86_ENV_H

#include <types.h>
#include <trap.h>
#include <memlayout.h>

typedef int32_t envid_t;

/*
 * An environment id: | 0 | uniqueifier (21) | environment index (10) |.
 * The index is the slot in envs[]; the uniqueifier tells apart environments
 * that used the same slot at different times. envid 0 means "the caller".
 */
#define LOG2NENV 10
#define NENV (1 << LOG2NENV)
#define ENVX(envid) ((envid) & (NENV - 1))

enum {
	ENV_FREE = 0,
	ENV_DYING,
	ENV_RUNNABLE,
	ENV_RUNNING,
	ENV_NOT_RUNNABLE
};

enum EnvType {
	ENV_TYPE_USER = 0,
	ENV_TYPE_FS = 1,	/* the file server: the only environment with I/O privilege */
};

#define ENV_NAME_LEN 32

struct Env {
	struct Trapframe env_tf;	/* saved registers */
	struct Env *env_link;		/* next free Env */
	envid_t env_id;
	envid_t env_parent_id;
	enum EnvType env_type;
	unsigned env_status;
	uint32_t env_runs;		/* times this env has run */
	pde_t *env_pgdir;		/* kernel virtual address of its page directory */
	char env_name[ENV_NAME_LEN];	/* program it was created from */

	void *env_pgfault_upcall;	/* user page-fault entry point */

	/* IPC */
	bool env_ipc_recving;
	void *env_ipc_dstva;
	uint32_t env_ipc_value;
	envid_t env_ipc_from;
	int env_ipc_perm;

	/* process migration (issue 6): a paused environment is never scheduled and receives no IPC */
	bool env_paused;
};

#endif

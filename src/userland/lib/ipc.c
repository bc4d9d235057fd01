/* Inter-environment communication on top of sys_ipc_try_send / sys_ipc_recv. */
#include <lib.h>

/*
 * Wait for a message. With `pg` non-null, accept a page there. Returns the
 * value sent, and sets *from_env_store and *perm_store (0 on error).
 */
int32_t ipc_recv(envid_t *from_env_store, void *pg, int *perm_store)
{
	int r = sys_ipc_recv(pg ? pg : (void *) UTOP);
	if (r < 0) {
		if (from_env_store)
			*from_env_store = 0;
		if (perm_store)
			*perm_store = 0;
		return r;
	}
	if (from_env_store)
		*from_env_store = thisenv->env_ipc_from;
	if (perm_store)
		*perm_store = thisenv->env_ipc_perm;
	return thisenv->env_ipc_value;
}

/* Send `value` (and the page at `pg`, if any) to `to_env`, yielding until it is receiving. */
void ipc_send(envid_t to_env, uint32_t value, void *pg, int perm)
{
	for (;;) {
		int r = sys_ipc_try_send(to_env, value, pg ? pg : (void *) UTOP, perm);
		if (r == 0)
			return;
		if (r != -E_IPC_NOT_RECV)
			panic("ipc_send to %08x: %e", to_env, r);
		sys_yield();
	}
}

/* The first live environment of the given type, or 0. */
envid_t ipc_find_env(enum EnvType type)
{
	for (int i = 0; i < NENV; i++)
		if (envs[i].env_type == type && envs[i].env_status != ENV_FREE)
			return envs[i].env_id;
	return 0;
}

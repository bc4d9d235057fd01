/* Wait for an environment to exit (its slot freed or reused). */
#include <lib.h>

void wait(envid_t envid)
{
	if (envid == 0)
		return;
	const volatile struct Env *e = &envs[ENVX(envid)];
	while (e->env_id == envid && e->env_status != ENV_FREE)
		sys_yield();
}

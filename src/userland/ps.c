/*
 * ps: list the environments, read straight from envs[] (mapped read-only
 * at UENVS): id, parent, status (paused whatever it was doing underneath),
 * times run, type and name.
 */
#include <lib.h>

static const char *status_name(const volatile struct Env *e)
{
	if (e->env_paused)
		return "paused";
	switch (e->env_status) {
	case ENV_RUNNING:
		return "running";
	case ENV_RUNNABLE:
		return "runnable";
	case ENV_NOT_RUNNABLE:
		return e->env_ipc_recving ? "ipc-recv" : "stopped";
	case ENV_DYING:
		return "dying";
	}
	return "?";
}

void umain(int argc, char **argv)
{
	printf("   ENVID   PARENT STATUS         RUNS TYPE NAME\n");
	for (int i = 0; i < NENV; i++) {
		const volatile struct Env *e = &envs[i];
		if (e->env_status == ENV_FREE)
			continue;
		printf("%08x %08x %-9s %9u %-4s %s\n", e->env_id, e->env_parent_id, status_name(e), e->env_runs,
			e->env_type == ENV_TYPE_FS ? "fs" : "user", e->env_name);
	}
}

/* kill ENVID...: destroy user environments (any, not only one's children; never the file server). */
#include <lib.h>

void umain(int argc, char **argv)
{
	if (argc < 2) {
		printf("usage: kill ENVID...\n");
		return;
	}
	for (int i = 1; i < argc; i++) {
		envid_t env = strtol(argv[i], NULL, 16);
		int r = sys_env_kill(env);
		if (r < 0)
			printf("kill %s: %e\n", argv[i], r);
	}
}

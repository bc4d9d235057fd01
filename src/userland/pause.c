/* pause ENVID...: stop environments where they are (resume restarts them). */
#include <lib.h>

void umain(int argc, char **argv)
{
	if (argc < 2) {
		printf("usage: pause ENVID...\n");
		return;
	}
	for (int i = 1; i < argc; i++) {
		envid_t env = strtol(argv[i], NULL, 16);
		int r = sys_env_pause(env);
		if (r < 0)
			printf("pause %s: %e\n", argv[i], r);
		else
			printf("Paused %08x\n", env);
	}
}

/* resume ENVID...: let paused environments go on from where they stopped. */
#include <lib.h>

void umain(int argc, char **argv)
{
	if (argc < 2) {
		printf("usage: resume ENVID...\n");
		return;
	}
	for (int i = 1; i < argc; i++) {
		envid_t env = strtol(argv[i], NULL, 16);
		int r = sys_env_resume(env);
		if (r < 0)
			printf("resume %s: %e\n", argv[i], r);
		else
			printf("Resumed %08x\n", env);
	}
}

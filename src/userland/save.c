/*
 * save [-v] ENVID FILE: write a paused environment to FILE as a migration
 * image (docs/MIGRATION.md). A running environment is refused: pause it
 * first, so that what is saved is one moment of it. -v prints a line per
 * page saved.
 */
#include <lib.h>

static int write_fd(void *arg, const void *buf, size_t n)
{
	return write(*(int *) arg, buf, n);
}

static void usage(void)
{
	printf("usage: save [-v] ENVID FILE\n");
	exit();
}

void umain(int argc, char **argv)
{
	struct Argstate args;
	int flags = 0, c;
	argstart(&argc, argv, &args);
	while ((c = argnext(&args)) >= 0) {
		if (c == 'v')
			flags |= MIG_VERBOSE;
		else
			usage();
	}
	if (argc != 3)
		usage();
	envid_t env = strtol(argv[1], NULL, 16);
	const volatile struct Env *e = &envs[ENVX(env)];
	if (e->env_status == ENV_FREE || e->env_id != env) {
		printf("save: there is no environment %08x\n", env);
		return;
	}
	if (!e->env_paused) {
		printf("save: environment %08x is running; pause it first (pause %08x)\n", env, env);
		return;
	}
	int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC);
	if (fd < 0) {
		printf("save: cannot create %s: %e\n", argv[2], fd);
		return;
	}
	struct MigStats stats;
	int r = mig_save(env, "jos86", flags, write_fd, &fd, &stats);
	close(fd);
	if (r < 0) {
		printf("save: %s\n", mig_error());
		remove(argv[2]);
		return;
	}
	printf("Saved %08x to %s: %u pages, %u bytes, %u ticks\n", env, argv[2], stats.ms_pages, stats.ms_bytes, stats.ms_ticks);
}

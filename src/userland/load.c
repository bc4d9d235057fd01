/*
 * load [-v] [-r] FILE...: bring the environment saved in each FILE back as
 * a new environment, paused (resume starts it) unless -r. Each image is
 * checked entirely before anything is created (docs/MIGRATION.md); a
 * refused one leaves nothing behind. -v prints a line per page loaded.
 */
#include <lib.h>

static int read_fd(void *arg, void *buf, size_t n)
{
	return read(*(int *) arg, buf, n);
}

static void usage(void)
{
	printf("usage: load [-v] [-r] FILE...\n");
	exit();
}

static void load(const char *file, int flags)
{
	int fd = open(file, O_RDONLY);
	if (fd < 0) {
		printf("load: cannot open %s: %e\n", file, fd);
		return;
	}
	envid_t env;
	struct MigStats stats;
	int r = mig_load(flags, read_fd, &fd, &env, &stats);
	close(fd);
	if (r < 0) {
		printf("load: %s refused: %s\n", file, mig_error());
		return;
	}
	printf("Load succeeded. New environment is : %08x\n", env);
	if (flags & MIG_VERBOSE)
		printf("load: %u pages, %u bytes, %u ticks\n", stats.ms_pages, stats.ms_bytes, stats.ms_ticks);
}

void umain(int argc, char **argv)
{
	struct Argstate args;
	int flags = 0, c;
	argstart(&argc, argv, &args);
	while ((c = argnext(&args)) >= 0) {
		if (c == 'v')
			flags |= MIG_VERBOSE;
		else if (c == 'r')
			flags |= MIG_START;
		else
			usage();
	}
	if (argc < 2)
		usage();
	for (int i = 1; i < argc; i++)
		load(argv[i], flags);
}

/*
 * ls [-dFl] [path...]: list directories (or name files). -l adds the type
 * and size, -F marks directories with '/', -d lists a directory itself.
 */
#include <lib.h>

static bool flag_d, flag_F, flag_l;

static void ls1(const char *prefix, bool isdir, off_t size, const char *name)
{
	if (flag_l)
		printf("%c %8d ", isdir ? 'd' : '-', size);
	if (prefix) {
		const char *sep = (prefix[0] && prefix[strlen(prefix) - 1] != '/') ? "/" : "";
		printf("%s%s", prefix, sep);
	}
	printf("%s", name);
	if (flag_F && isdir)
		printf("/");
	printf("\n");
}

static int lsdir(const char *path, const char *prefix)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("ls: open %s: %e\n", path, fd);
		return fd;
	}
	struct File f;
	int n;
	while ((n = readn(fd, &f, sizeof(f))) == sizeof(f))
		if (f.f_name[0])
			ls1(prefix, f.f_type == FTYPE_DIR, f.f_size, f.f_name);
	close(fd);
	if (n < 0) {
		printf("ls: reading %s: %e\n", path, n);
		return n;
	}
	if (n > 0) {
		printf("ls: short read in directory %s\n", path);
		return -E_BAD_FS;
	}
	return 0;
}

static int ls(const char *path, const char *prefix)
{
	struct Stat st;
	int r = stat(path, &st);
	if (r < 0) {
		printf("ls: %s: %e\n", path, r);
		return r;
	}
	if (st.st_isdir && !flag_d)
		return lsdir(path, prefix);
	ls1(0, st.st_isdir, st.st_size, path);
	return 0;
}

void umain(int argc, char **argv)
{
	struct Argstate args;
	argstart(&argc, argv, &args);
	int c;
	while ((c = argnext(&args)) >= 0) {
		switch (c) {
		case 'd':
			flag_d = true;
			break;
		case 'F':
			flag_F = true;
			break;
		case 'l':
			flag_l = true;
			break;
		default:
			printf("usage: ls [-dFl] [path...]\n");
			return;
		}
	}
	if (argc == 1)
		ls("/", "");
	else
		for (int i = 1; i < argc; i++)
			ls(argv[i], argc > 2 ? argv[i] : 0);
}

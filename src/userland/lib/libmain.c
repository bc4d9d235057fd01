/* Called from entry.S: find our Env, run umain, exit. */
#include <lib.h>

const volatile struct Env *thisenv;
const char *binaryname = "<unknown>";

void libmain(int argc, char **argv)
{
	thisenv = &envs[ENVX(sys_getenvid())];
	if (argc > 0 && argv)
		binaryname = argv[0];
	umain(argc, argv);
	exit();
}

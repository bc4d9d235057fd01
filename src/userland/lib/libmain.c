/* Called from entry.S: run umain, exit. (thisenv is a lookup: lib.h.) */
#include <lib.h>

const char *binaryname = "<unknown>";

void libmain(int argc, char **argv)
{
	if (argc > 0 && argv)
		binaryname = argv[0];
	umain(argc, argv);
	exit();
}

/* Load the TSS selector into DS: a general protection fault. */
#include <lib.h>

void umain(int argc, char **argv)
{
	asm volatile("movw $0x28,%ax; movw %ax,%ds");
}

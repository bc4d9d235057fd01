/* INT 14 from user mode: the gate is not for users, so this is a general protection fault. */
#include <lib.h>

void umain(int argc, char **argv)
{
	asm volatile("int $14");
}

/* Ending a user program: the environment destroys itself. */
#include <lib.h>

void exit(void)
{
	sys_env_destroy(0);
	for (;;)
		;
}

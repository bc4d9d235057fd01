/*
 * Count on a steady beat of timer ticks, forever: `envid N counter K`
 * every 10 ticks (100 ms). Process migration moves this program around.
 */
#include <lib.h>

#define TICKS_PER_COUNT 10

void umain(int argc, char **argv)
{
	for (unsigned count = 0;; count++) {
		cprintf("envid %x counter %d\n", thisenv->env_id, count);
		unsigned start = sys_time();
		while (sys_time() - start < TICKS_PER_COUNT)
			sys_yield();
	}
}

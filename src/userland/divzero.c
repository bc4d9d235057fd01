/* Divide by zero: #DE, and the kernel destroys us. */
#include <lib.h>

/* Both volatile: gcc turns 1/x into a comparison, so the numerator must be unknown too. */
volatile int zero;
volatile int one = 1;

void umain(int argc, char **argv)
{
	zero = 0;
	cprintf("1/0 is %08x!\n", one / zero);
}

/* cprintf for the kernel, and panic/warn, on top of printfmt and the console. */
#include <types.h>
#include <stdio.h>
#include <stdarg.h>
#include <x86.h>
#include "defs.h"

static void putch(int ch, void *count)
{
	cputchar(ch);
	(*(int *) count)++;
}

int vcprintf(const char *fmt, va_list ap)
{
	int count = 0;
	vprintfmt(putch, &count, fmt, ap);
	return count;
}

int cprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int count = vcprintf(fmt, ap);
	va_end(ap);
	return count;
}

static const char *panicstr;

/* Print "kernel panic at file:line: message" and drop into the monitor for good. */
void _panic(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	if (!panicstr) {
		panicstr = fmt;
		asm volatile("cli; cld");
		va_start(ap, fmt);
		cprintf("kernel panic at %s:%d: ", file, line);
		vcprintf(fmt, ap);
		cprintf("\n");
		va_end(ap);
	}
	for (;;)
		monitor(NULL);
}

void _warn(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cprintf("kernel warning at %s:%d: ", file, line);
	vcprintf(fmt, ap);
	cprintf("\n");
	va_end(ap);
}

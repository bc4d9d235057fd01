/* Formatted output (src/lib/printfmt.c) and console I/O, for the kernel and user space. */
#ifndef JOS86_STDIO_H
#define JOS86_STDIO_H
#include <stdarg.h>

void printfmt(void (*putch)(int, void *), void *putdat, const char *fmt, ...);
void vprintfmt(void (*putch)(int, void *), void *putdat, const char *fmt, va_list);
int snprintf(char *str, int size, const char *fmt, ...);
int vsnprintf(char *str, int size, const char *fmt, va_list);

/* lib/printf.c in the kernel, userland/lib/printf.c in user space */
int cprintf(const char *fmt, ...);
int vcprintf(const char *fmt, va_list);

void cputchar(int c);
int getchar(void);
char *readline(const char *prompt);
#endif

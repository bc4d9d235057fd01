/* panic, warn and assert: invariants fail loudly with where and what. */
#ifndef JOS86_ASSERT_H
#define JOS86_ASSERT_H
#include <stdio.h>

void _warn(const char *, int, const char *, ...);
void _panic(const char *, int, const char *, ...) __attribute__((noreturn));

#define warn(...) _warn(__FILE__, __LINE__, __VA_ARGS__)
#define panic(...) _panic(__FILE__, __LINE__, __VA_ARGS__)
#define assert(x) do { if (!(x)) panic("assertion failed: %s", #x); } while (0)
#define static_assert(x) _Static_assert(x, #x)
#endif

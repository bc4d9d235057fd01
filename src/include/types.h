/* Fixed-width types and small helpers shared by the kernel and user space. */
#ifndef JOS86_TYPES_H
#define JOS86_TYPES_H

#ifndef NULL
#define NULL ((void *) 0)
#endif

typedef _Bool bool;
enum { false, true };

typedef __signed char int8_t;
typedef unsigned char uint8_t;
typedef short int16_t;
typedef unsigned short uint16_t;
typedef int int32_t;
typedef unsigned int uint32_t;
typedef long long int64_t;
typedef unsigned long long uint64_t;

typedef int32_t intptr_t;
typedef uint32_t uintptr_t;
typedef uint32_t physaddr_t;
typedef uint32_t size_t;
typedef int32_t ssize_t;
typedef int32_t off_t;

#define MIN(a, b) ({ typeof(a) _a = (a); typeof(b) _b = (b); _a <= _b ? _a : _b; })
#define MAX(a, b) ({ typeof(a) _a = (a); typeof(b) _b = (b); _a >= _b ? _a : _b; })
#define ROUNDDOWN(a, n) ({ uint32_t _a = (uint32_t) (a); (typeof(a)) (_a - _a % (n)); })
#define ROUNDUP(a, n) ({ uint32_t _n = (uint32_t) (n); (typeof(a)) (ROUNDDOWN((uint32_t) (a) + _n - 1, _n)); })
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define offsetof(type, member) ((size_t) (&((type *) 0)->member))

#endif

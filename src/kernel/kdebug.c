/*
 * Symbol lookup for backtraces. The build links the kernel twice: the
 * second time with a table of its function symbols (tools/ksyms.mjs writes
 * it from `nm` of the first link), in a section placed last so that adding
 * it moves no function.
 */
#include <types.h>
#include "defs.h"

struct KernelSymbol {
	uintptr_t address;
	const char *name;
};

extern const uint32_t ksyms_count;
extern const struct KernelSymbol ksyms_table[];

/* The function containing `addr` (the last symbol at or below it), or NULL. */
const char *symbol_for(uintptr_t addr, uintptr_t *offset)
{
	int lo = 0, hi = (int) ksyms_count - 1, found = -1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (ksyms_table[mid].address <= addr) {
			found = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	if (found < 0) {
		*offset = 0;
		return NULL;
	}
	*offset = addr - ksyms_table[found].address;
	return ksyms_table[found].name;
}

const struct UserProgram *find_program(const char *name)
{
	extern int strcmp(const char *, const char *);
	for (const struct UserProgram *p = user_programs; p->name; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

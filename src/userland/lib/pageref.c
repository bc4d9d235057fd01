/* How many mappings share the page at va (from the read-only pages[] view). */
#include <lib.h>

int pageref(void *va)
{
	if (!(uvpd[PDX(va)] & PTE_P))
		return 0;
	pte_t pte = uvpt[PGNUM(va)];
	if (!(pte & PTE_P))
		return 0;
	return pages[PGNUM(pte)].pp_ref;
}

/*
 * Physical memory management and the kernel's page tables.
 *
 * Boot order (mem_init): size memory from the CMOS NVRAM; carve the page
 * directory, the PageInfo array and the Env array out of the memory after
 * the kernel image (boot_alloc); thread every free page onto a list
 * (page_init); check the allocator; build the kernel's address space: all
 * of physical memory at KERNBASE, the kernel stack below it, and read-only
 * user views of pages[] at UPAGES, envs[] at UENVS and the page table itself
 * at UVPT; check it; and switch to it.
 */
#include <x86.h>
#include <mmu.h>
#include <error.h>
#include <string.h>
#include <assert.h>
#include "defs.h"

size_t npages;
static size_t npages_basemem;
pde_t *kern_pgdir;
struct PageInfo *pages;
static struct PageInfo *page_free_list;

/* CMOS NVRAM registers (MC146818 + PC conventions) */
#define NVRAM_BASELO 0x15	/* base memory size, KiB */
#define NVRAM_EXTLO 0x17	/* extended memory 1-16 MiB, KiB */
#define NVRAM_EXT16LO 0x34	/* extended memory above 16 MiB, 64 KiB units */

static unsigned nvram_read16(unsigned reg)
{
	return mc146818_read(reg) | (mc146818_read(reg + 1) << 8);
}

static void detect_memory(void)
{
	size_t basemem = nvram_read16(NVRAM_BASELO);
	size_t extmem = nvram_read16(NVRAM_EXTLO);
	size_t ext16mem = nvram_read16(NVRAM_EXT16LO) * 64;
	size_t totalmem;

	if (ext16mem)
		totalmem = 16 * 1024 + ext16mem;
	else if (extmem)
		totalmem = 1 * 1024 + extmem;
	else
		totalmem = basemem;
	/* Everything must fit in the KERNBASE window. */
	if (totalmem > (0xFFFFFFFF - KERNBASE + 1) / 1024)
		totalmem = (0xFFFFFFFF - KERNBASE + 1) / 1024;
	npages = totalmem / (PGSIZE / 1024);
	npages_basemem = basemem / (PGSIZE / 1024);
	cprintf("Physical memory: %uK available, base = %uK, extended = %uK\n",
		totalmem, basemem, totalmem - basemem);
}

/*
 * A simple bump allocator for boot time only, before the free list exists.
 * Returns kernel virtual addresses just past the kernel image, page aligned.
 */
static void *boot_alloc(uint32_t n)
{
	extern char end[];
	static char *nextfree;
	if (!nextfree)
		nextfree = ROUNDUP((char *) end, PGSIZE);
	char *result = nextfree;
	nextfree = ROUNDUP(nextfree + n, PGSIZE);
	/* entry_pgdir maps the first 8 MiB; boot_alloc must stay inside. */
	if ((uint32_t) nextfree > KERNBASE + 8 * 1024 * 1024)
		panic("boot_alloc: out of memory asking for %u bytes", n);
	return result;
}

/* Map [va, va+size) to [pa, pa+size) with `perm | PTE_P`. Only for static mappings above UTOP. */
static void boot_map_region(pde_t *pgdir, uintptr_t va, size_t size, physaddr_t pa, int perm)
{
	for (size_t off = 0; off < size; off += PGSIZE) {
		pte_t *pte = pgdir_walk(pgdir, (void *) (va + off), 1);
		if (!pte)
			panic("boot_map_region: out of memory");
		*pte = (pa + off) | perm | PTE_P;
	}
}

static void check_page_free_list(bool only_low_memory);
static void check_page_alloc(void);
static void check_kern_pgdir(void);
static physaddr_t check_va2pa(pde_t *pgdir, uintptr_t va);
static void check_page(void);
static void check_page_installed_pgdir(void);
static void page_init(void);

void mem_init(void)
{
	detect_memory();

	kern_pgdir = boot_alloc(PGSIZE);
	memset(kern_pgdir, 0, PGSIZE);
	/* The page directory maps itself at UVPT, so user space can read its page tables. */
	kern_pgdir[PDX(UVPT)] = PADDR(kern_pgdir) | PTE_U | PTE_P;

	pages = boot_alloc(npages * sizeof(struct PageInfo));
	memset(pages, 0, npages * sizeof(struct PageInfo));
	envs = boot_alloc(NENV * sizeof(struct Env));
	memset(envs, 0, NENV * sizeof(struct Env));

	page_init();
	check_page_free_list(1);
	check_page_alloc();
	check_page();

	boot_map_region(kern_pgdir, UPAGES, ROUNDUP(npages * sizeof(struct PageInfo), PGSIZE), PADDR(pages), PTE_U);
	boot_map_region(kern_pgdir, UENVS, ROUNDUP(NENV * sizeof(struct Env), PGSIZE), PADDR(envs), PTE_U);
	boot_map_region(kern_pgdir, KSTACKTOP - KSTKSIZE, KSTKSIZE, PADDR(bootstack), PTE_W);
	boot_map_region(kern_pgdir, KERNBASE, npages * PGSIZE, 0, PTE_W);
	check_kern_pgdir();

	lcr3(PADDR(kern_pgdir));
	check_page_free_list(0);
	uint32_t cr0 = rcr0();
	cr0 |= CR0_PE | CR0_PG | CR0_AM | CR0_WP | CR0_NE | CR0_MP;
	cr0 &= ~(CR0_TS | CR0_EM);
	lcr0(cr0);
	check_page_installed_pgdir();
}

/*
 * Thread the free pages. In use: page 0 (real-mode IDT and BIOS data), the
 * I/O hole [640K, 1M), and everything from 1M to the end of what boot_alloc
 * handed out (kernel image, page directory, pages[], envs[]).
 */
static void page_init(void)
{
	physaddr_t first_free = PADDR(boot_alloc(0));
	page_free_list = NULL;
	/* Push from the top down, so the lowest pages come off the list first:
	 * until mem_init switches page tables, only the first 8 MiB are mapped. */
	for (size_t i = npages; i-- > 0;) {
		physaddr_t pa = i * PGSIZE;
		bool used = i == 0 || (pa >= IOPHYSMEM && pa < first_free) || (i >= npages_basemem && pa < EXTPHYSMEM);
		pages[i].pp_ref = used ? 1 : 0;
		pages[i].pp_link = NULL;
		if (!used) {
			pages[i].pp_link = page_free_list;
			page_free_list = &pages[i];
		}
	}
}

struct PageInfo *page_alloc(int alloc_flags)
{
	struct PageInfo *pp = page_free_list;
	if (!pp)
		return NULL;
	page_free_list = pp->pp_link;
	pp->pp_link = NULL;
	if (alloc_flags & ALLOC_ZERO)
		memset(page2kva(pp), 0, PGSIZE);
	return pp;
}

void page_free(struct PageInfo *pp)
{
	if (pp->pp_ref != 0 || pp->pp_link != NULL)
		panic("page_free: page %08x still referenced or already free", page2pa(pp));
	pp->pp_link = page_free_list;
	page_free_list = pp;
}

void page_decref(struct PageInfo *pp)
{
	if (--pp->pp_ref == 0)
		page_free(pp);
}

/*
 * The page table entry for `va`, creating its page table when `create` is
 * set. Page tables are user-accessible and writable at the directory level;
 * the entries themselves carry the real permissions.
 */
pte_t *pgdir_walk(pde_t *pgdir, const void *va, int create)
{
	pde_t *pde = &pgdir[PDX(va)];
	if (!(*pde & PTE_P)) {
		if (!create)
			return NULL;
		struct PageInfo *pp = page_alloc(ALLOC_ZERO);
		if (!pp)
			return NULL;
		pp->pp_ref++;
		*pde = page2pa(pp) | PTE_P | PTE_W | PTE_U;
	}
	pte_t *table = KADDR(PTE_ADDR(*pde));
	return &table[PTX(va)];
}

/* Map page `pp` at `va` with `perm | PTE_P`, replacing whatever was there. */
int page_insert(pde_t *pgdir, struct PageInfo *pp, void *va, int perm)
{
	pte_t *pte = pgdir_walk(pgdir, va, 1);
	if (!pte)
		return -E_NO_MEM;
	/* Take the reference first, so re-inserting the same page at the same va cannot free it. */
	pp->pp_ref++;
	if (*pte & PTE_P)
		page_remove(pgdir, va);
	*pte = page2pa(pp) | perm | PTE_P;
	tlb_invalidate(pgdir, va);
	return 0;
}

struct PageInfo *page_lookup(pde_t *pgdir, void *va, pte_t **pte_store)
{
	pte_t *pte = pgdir_walk(pgdir, va, 0);
	if (!pte || !(*pte & PTE_P))
		return NULL;
	if (pte_store)
		*pte_store = pte;
	return pa2page(PTE_ADDR(*pte));
}

void page_remove(pde_t *pgdir, void *va)
{
	pte_t *pte;
	struct PageInfo *pp = page_lookup(pgdir, va, &pte);
	if (!pp)
		return;
	*pte = 0;
	page_decref(pp);
	tlb_invalidate(pgdir, va);
}

void tlb_invalidate(pde_t *pgdir, void *va)
{
	if (!curenv || curenv->env_pgdir == pgdir)
		invlpg(va);
}

static uintptr_t user_mem_check_addr;

/*
 * May `env` access [va, va+len) with `perm | PTE_P`? Every page must be
 * below ULIM and mapped with those permissions. On failure,
 * user_mem_check_addr is the first bad address.
 */
int user_mem_check(struct Env *env, const void *va, size_t len, int perm)
{
	uintptr_t start = (uintptr_t) va;
	uintptr_t end = start + len;
	if (end < start) {
		user_mem_check_addr = start;
		return -E_FAULT;
	}
	perm |= PTE_P;
	for (uintptr_t addr = ROUNDDOWN(start, PGSIZE); addr < end; addr += PGSIZE) {
		pte_t *pte = addr < ULIM ? pgdir_walk(env->env_pgdir, (void *) addr, 0) : NULL;
		if (!pte || (*pte & perm) != (uint32_t) perm) {
			user_mem_check_addr = addr < start ? start : addr;
			return -E_FAULT;
		}
		if (addr + PGSIZE < addr)
			break;
	}
	return 0;
}

/* Like user_mem_check, but destroys the environment on failure. */
void user_mem_assert(struct Env *env, const void *va, size_t len, int perm)
{
	if (user_mem_check(env, va, len, perm | PTE_U) < 0) {
		cprintf("[%08x] user_mem_check assertion failure for va %08x\n", env->env_id, user_mem_check_addr);
		env_destroy(env);
	}
}

/* ---- boot-time self-checks ---- */

static void check_page_free_list(bool only_low_memory)
{
	unsigned limit = only_low_memory ? 1 : NPDENTRIES;
	size_t low = 0, high = 0;
	if (!page_free_list)
		panic("check_page_free_list: the free list is empty");
	for (struct PageInfo *pp = page_free_list; pp; pp = pp->pp_link) {
		physaddr_t pa = page2pa(pp);
		assert(pp >= pages && pp < pages + npages);
		assert(pa != 0);
		assert(pa < IOPHYSMEM || pa >= EXTPHYSMEM);
		assert(pa >= PADDR(boot_alloc(0)) || pa < IOPHYSMEM);
		assert(pp->pp_ref == 0);
		if (PDX(pa) < limit)
			low++;
		else
			high++;
	}
	assert(low + high > 0);
	cprintf("check_page_free_list() succeeded!\n");
}

static void check_page_alloc(void)
{
	size_t nfree = 0;
	for (struct PageInfo *pp = page_free_list; pp; pp = pp->pp_link)
		nfree++;

	struct PageInfo *a = page_alloc(0), *b = page_alloc(0), *c = page_alloc(0);
	assert(a && b && c && a != b && b != c && a != c);
	assert(page2pa(a) < npages * PGSIZE && page2pa(c) < npages * PGSIZE);

	/* With the free list emptied, allocation fails cleanly. */
	struct PageInfo *saved = page_free_list;
	page_free_list = NULL;
	assert(!page_alloc(0));
	page_free(a);
	page_free(b);
	page_free(c);
	a = page_alloc(0);
	b = page_alloc(0);
	c = page_alloc(0);
	assert(a && b && c && !page_alloc(0));

	/* ALLOC_ZERO really zeroes. */
	memset(page2kva(a), 1, PGSIZE);
	page_free(a);
	struct PageInfo *z = page_alloc(ALLOC_ZERO);
	assert(z == a);
	for (int i = 0; i < PGSIZE; i++)
		assert(((char *) page2kva(z))[i] == 0);

	page_free_list = saved;
	page_free(z);
	page_free(b);
	page_free(c);
	for (struct PageInfo *pp = page_free_list; pp; pp = pp->pp_link)
		nfree--;
	assert(nfree == 0);
	cprintf("check_page_alloc() succeeded!\n");
}

static void check_page(void)
{
	struct PageInfo *pp0 = page_alloc(0), *pp1 = page_alloc(0), *pp2 = page_alloc(0);
	assert(pp0 && pp1 && pp2);
	struct PageInfo *saved = page_free_list;
	page_free_list = NULL;

	/* No page for a page table: insert fails and changes nothing. */
	assert(page_insert(kern_pgdir, pp1, (void *) 0x0, PTE_W) < 0);
	/* pp0 becomes the page table, pp1 the page. */
	page_free(pp0);
	assert(page_insert(kern_pgdir, pp1, (void *) 0x0, PTE_W) == 0);
	assert(PTE_ADDR(kern_pgdir[0]) == page2pa(pp0));
	assert(check_va2pa(kern_pgdir, 0x0) == page2pa(pp1));
	assert(pp1->pp_ref == 1 && pp0->pp_ref == 1);

	/* A second page in the same table needs no allocation. */
	assert(page_insert(kern_pgdir, pp2, (void *) PGSIZE, PTE_W) == 0);
	assert(check_va2pa(kern_pgdir, PGSIZE) == page2pa(pp2));
	assert(pp2->pp_ref == 1);
	assert(!page_alloc(0));

	/* Re-inserting the same page with new permissions keeps one reference. */
	assert(page_insert(kern_pgdir, pp2, (void *) PGSIZE, PTE_W | PTE_U) == 0);
	assert(pp2->pp_ref == 1);
	assert(*pgdir_walk(kern_pgdir, (void *) PGSIZE, 0) & PTE_U);
	assert(kern_pgdir[0] & PTE_U);

	/* Mapping another page over it drops the old reference. */
	assert(page_insert(kern_pgdir, pp1, (void *) PGSIZE, PTE_W) == 0);
	assert(check_va2pa(kern_pgdir, 0) == page2pa(pp1) && check_va2pa(kern_pgdir, PGSIZE) == page2pa(pp1));
	assert(pp1->pp_ref == 2 && pp2->pp_ref == 0);
	assert(page_alloc(0) == pp2);

	/* Removing both mappings frees pp1. */
	page_remove(kern_pgdir, 0x0);
	assert(check_va2pa(kern_pgdir, 0x0) == ~0u && pp1->pp_ref == 1);
	page_remove(kern_pgdir, (void *) PGSIZE);
	assert(check_va2pa(kern_pgdir, PGSIZE) == ~0u && pp1->pp_ref == 0);
	assert(page_alloc(0) == pp1);
	assert(!page_alloc(0));

	/* pgdir_walk arithmetic: release pp0 (the table for PDX 0) so the walk can take it again. */
	kern_pgdir[0] = 0;
	pp0->pp_ref = 0;
	page_free(pp0);
	pte_t *ptep = pgdir_walk(kern_pgdir, (void *) (PTSIZE + PGSIZE), 1);
	assert(ptep == (pte_t *) page2kva(pp0) + 1);
	kern_pgdir[PDX(PTSIZE)] = 0;
	pp0->pp_ref = 0;

	/* Give everything back. */
	page_free_list = saved;
	page_free(pp0);
	page_free(pp1);
	page_free(pp2);
	cprintf("check_page() succeeded!\n");
}

static physaddr_t check_va2pa(pde_t *pgdir, uintptr_t va)
{
	pde_t pde = pgdir[PDX(va)];
	if (!(pde & PTE_P))
		return ~0;
	pte_t *table = KADDR(PTE_ADDR(pde));
	if (!(table[PTX(va)] & PTE_P))
		return ~0;
	return PTE_ADDR(table[PTX(va)]);
}

static void check_kern_pgdir(void)
{
	pde_t *pgdir = kern_pgdir;
	size_t n = ROUNDUP(npages * sizeof(struct PageInfo), PGSIZE);
	for (size_t i = 0; i < n; i += PGSIZE)
		assert(check_va2pa(pgdir, UPAGES + i) == PADDR(pages) + i);
	n = ROUNDUP(NENV * sizeof(struct Env), PGSIZE);
	for (size_t i = 0; i < n; i += PGSIZE)
		assert(check_va2pa(pgdir, UENVS + i) == PADDR(envs) + i);
	for (size_t i = 0; i < npages * PGSIZE; i += PGSIZE)
		assert(check_va2pa(pgdir, KERNBASE + i) == i);
	for (size_t i = 0; i < KSTKSIZE; i += PGSIZE)
		assert(check_va2pa(pgdir, KSTACKTOP - KSTKSIZE + i) == PADDR(bootstack) + i);
	assert(check_va2pa(pgdir, KSTACKTOP - PTSIZE) == ~0u);
	for (size_t i = 0; i < NPDENTRIES; i++) {
		if (i == PDX(UVPT) || i == PDX(KSTACKTOP - 1) || i == PDX(UPAGES) || i == PDX(UENVS))
			assert(pgdir[i] & PTE_P);
		else if (i >= PDX(KERNBASE) && i < PDX(KERNBASE) + (npages * PGSIZE + PTSIZE - 1) / PTSIZE)
			assert((pgdir[i] & PTE_P) && (pgdir[i] & PTE_W));
		else if (i >= PDX(KERNBASE))
			assert(pgdir[i] == 0);
	}
	cprintf("check_kern_pgdir() succeeded!\n");
}

static void check_page_installed_pgdir(void)
{
	struct PageInfo *pp1 = page_alloc(0), *pp2 = page_alloc(0);
	assert(pp1 && pp2);
	memset(page2kva(pp1), 1, PGSIZE);
	memset(page2kva(pp2), 2, PGSIZE);
	page_insert(kern_pgdir, pp1, (void *) PGSIZE, PTE_W);
	assert(*(uint32_t *) PGSIZE == 0x01010101);
	page_insert(kern_pgdir, pp2, (void *) PGSIZE, PTE_W);
	assert(*(uint32_t *) PGSIZE == 0x02020202);
	assert(pp1->pp_ref == 0 && pp2->pp_ref == 1);
	*(uint32_t *) PGSIZE = 0x03030303U;
	assert(*(uint32_t *) page2kva(pp2) == 0x03030303U);
	page_remove(kern_pgdir, (void *) PGSIZE);
	assert(pp2->pp_ref == 0);
	/* Free the page table used for the test. */
	struct PageInfo *table = pa2page(PTE_ADDR(kern_pgdir[0]));
	kern_pgdir[0] = 0;
	table->pp_ref = 0;
	page_free(table);
	cprintf("check_page_installed_pgdir() succeeded!\n");
}

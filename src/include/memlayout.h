/*
 * The virtual memory map, shared by the kernel and user programs.
 *
 *    4 GiB ------------->  +------------------------------+
 *                          |  all of physical memory      | RW/--
 *    KERNBASE, KSTACKTOP ->+------------------------------+ 0xf0000000
 *                          |  kernel stack, guard         | RW/--  PTSIZE
 *    MMIOLIM ------------> +------------------------------+ 0xefc00000
 *                          |  memory-mapped I/O           | RW/--  PTSIZE
 *    ULIM, MMIOBASE -----> +------------------------------+ 0xef800000
 *                          |  current page table (UVPT)   | R-/R-  PTSIZE
 *    UPAGES -----------> +------------------------------+ 0xef000000
 *                          |  struct PageInfo array       | R-/R-  PTSIZE
 *    UENVS, UTOP ------->  +------------------------------+ 0xeec00000
 *    UXSTACKTOP -/         |  user exception stack        | RW/RW  PGSIZE
 *                          +------------------------------+ 0xeebff000
 *                          |  empty guard page            | --/--
 *    USTACKTOP  -------->  +------------------------------+ 0xeebfe000
 *                          |  normal user stack           | RW/RW
 *                          ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
 *    UTEXT ------------->  +------------------------------+ 0x00800000
 *    PFTEMP ------------>  |  scratch page for fork       | 0x007ff000
 *    UTEMP ------------->  +------------------------------+ 0x00400000
 *                          |  empty                       |
 *    0 ----------------->  +------------------------------+
 */
#ifndef JOS86_MEMLAYOUT_H
#define JOS86_MEMLAYOUT_H

#include <mmu.h>

/* Global descriptor numbers. */
#define GD_KT 0x08	/* kernel text */
#define GD_KD 0x10	/* kernel data */
#define GD_UT 0x18	/* user text */
#define GD_UD 0x20	/* user data */
#define GD_TSS0 0x28	/* task state segment */

#define KERNBASE 0xF0000000
#define IOPHYSMEM 0x0A0000
#define EXTPHYSMEM 0x100000
#define KSTACKTOP KERNBASE
#define KSTKSIZE (8 * PGSIZE)
#define KSTKGAP (8 * PGSIZE)
#define MMIOLIM (KSTACKTOP - PTSIZE)
#define MMIOBASE (MMIOLIM - PTSIZE)
#define ULIM (MMIOBASE)
#define UVPT (ULIM - PTSIZE)
#define UPAGES (UVPT - PTSIZE)
#define UENVS (UPAGES - PTSIZE)
#define UTOP UENVS
#define UXSTACKTOP UTOP
#define USTACKTOP (UTOP - 2 * PGSIZE)
#define UTEXT (2 * PTSIZE)
#define UTEMP ((void *) PTSIZE)
#define PFTEMP (UTEMP + PTSIZE - PGSIZE)

#ifndef __ASSEMBLER__
#include <types.h>

typedef uint32_t pte_t;
typedef uint32_t pde_t;

/* The current environment's page table and directory, read-only, through UVPT. */
extern volatile pte_t uvpt[];
extern volatile pde_t uvpd[];

/* One per physical page: how many mappings refer to it, and the free-list link. */
struct PageInfo {
	struct PageInfo *pp_link;
	uint16_t pp_ref;
};
#endif

#endif

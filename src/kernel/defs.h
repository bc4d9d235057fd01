/* Kernel-internal prototypes and globals, grouped by the file that defines them. */
#ifndef JOS86_KERNEL_DEFS_H
#define JOS86_KERNEL_DEFS_H

#include <types.h>
#include <memlayout.h>
#include <env.h>
#include <trap.h>
#include <stdio.h>
#include <assert.h>

/* entry.S */
extern pde_t entry_pgdir[];
extern char bootstack[], bootstacktop[];

/* console.c */
void cons_init(void);
int cons_getc(void);
void cputchar(int c);

/* kclock.c: the CMOS NVRAM and the 8254 timer */
unsigned mc146818_read(unsigned reg);
void clock_init(void);
extern volatile uint32_t ticks;

/* picirq.c: the 8259A pair */
void pic_init(void);
void pic_eoi(int irq);
void irq_unmask(int irq);

/* pmap.c */
extern char bootstacktop[];
extern size_t npages;
extern struct PageInfo *pages;
extern pde_t *kern_pgdir;
#define ALLOC_ZERO 1
void mem_init(void);
struct PageInfo *page_alloc(int alloc_flags);
void page_free(struct PageInfo *pp);
void page_decref(struct PageInfo *pp);
pte_t *pgdir_walk(pde_t *pgdir, const void *va, int create);
int page_insert(pde_t *pgdir, struct PageInfo *pp, void *va, int perm);
struct PageInfo *page_lookup(pde_t *pgdir, void *va, pte_t **pte_store);
void page_remove(pde_t *pgdir, void *va);
void tlb_invalidate(pde_t *pgdir, void *va);
int user_mem_check(struct Env *env, const void *va, size_t len, int perm);
void user_mem_assert(struct Env *env, const void *va, size_t len, int perm);

#define PADDR(kva) _paddr(__FILE__, __LINE__, kva)
#define KADDR(pa) _kaddr(__FILE__, __LINE__, pa)

static inline physaddr_t _paddr(const char *file, int line, void *kva)
{
	if ((uint32_t) kva < KERNBASE)
		_panic(file, line, "PADDR called with invalid kva %08lx", (unsigned long) kva);
	return (physaddr_t) kva - KERNBASE;
}

static inline void *_kaddr(const char *file, int line, physaddr_t pa)
{
	if ((pa >> PGSHIFT) >= npages)
		_panic(file, line, "KADDR called with invalid pa %08lx", (unsigned long) pa);
	return (void *) (pa + KERNBASE);
}

static inline physaddr_t page2pa(struct PageInfo *pp)
{
	return (pp - pages) << PGSHIFT;
}

static inline struct PageInfo *pa2page(physaddr_t pa)
{
	if ((pa >> PGSHIFT) >= npages)
		panic("pa2page called with invalid pa %08x", pa);
	return &pages[pa >> PGSHIFT];
}

static inline void *page2kva(struct PageInfo *pp)
{
	return KADDR(page2pa(pp));
}

/* env.c */
extern struct Env *envs;
extern struct Env *curenv;
extern struct Segdesc gdt[];
void env_init(void);
void env_init_percpu(void);
int env_alloc(struct Env **e, envid_t parent_id);
void env_free(struct Env *e);
int env_create(const uint8_t *binary, size_t size, enum EnvType type, const char *name);
void env_destroy(struct Env *e);
int envid2env(envid_t envid, struct Env **env_store, bool checkperm);
void env_run(struct Env *e) __attribute__((noreturn));
void env_pop_tf(struct Trapframe *tf) __attribute__((noreturn));

/* trap.c */
void trap_init(void);
void trap_init_percpu(void);
void print_trapframe(struct Trapframe *tf);
void print_regs(struct PushRegs *regs);

/* syscall.c */
int32_t syscall(uint32_t num, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t a5);

/* envctl.c: process migration (issue 6), entered from the syscall table */
int sys_env_pause(uint32_t envid);
int sys_env_resume(uint32_t envid);
int sys_env_kill(uint32_t envid);
int sys_env_get_state(uint32_t envid, uint32_t state_va);
int sys_env_next_page(uint32_t envid, uint32_t va, uint32_t page_va);
int sys_env_page_copy(uint32_t envid, uint32_t srcva, uint32_t dstva);

/* sched.c */
void sched_yield(void) __attribute__((noreturn));

/* monitor.c */
void monitor(struct Trapframe *tf) __attribute__((noreturn));
int mon_backtrace(int argc, char **argv, struct Trapframe *tf);

/* kdebug.c */
const char *symbol_for(uintptr_t addr, uintptr_t *offset);

/* progs.S (generated): the user programs linked into the kernel */
struct UserProgram {
	const char *name;
	const uint8_t *start;
	const uint8_t *end;
};
extern const struct UserProgram user_programs[];
const struct UserProgram *find_program(const char *name);

/* readline.c */
char *readline(const char *prompt);

#endif

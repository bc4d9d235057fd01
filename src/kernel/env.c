/*
 * Environments: allocation, address spaces, loading programs, and running
 * and destroying them.
 *
 * An environment's address space is its own page directory: above UTOP it
 * is a copy of the kernel's (so the kernel is mapped in every address
 * space), below UTOP it belongs to the environment, and UVPT maps the
 * directory itself read-only for the user.
 */
#include <x86.h>
#include <mmu.h>
#include <error.h>
#include <string.h>
#include <assert.h>
#include <elf.h>
#include "defs.h"

struct Env *envs;
struct Env *curenv;
static struct Env *env_free_list;

#define ENVGENSHIFT 12	/* above LOG2NENV */

/*
 * The GDT: kernel and user code and data segments, all flat, and a TSS
 * slot filled in by trap_init_percpu.
 */
struct Segdesc gdt[] = {
	SEG_NULL_DESC,
	[GD_KT >> 3] = SEG_DESC(STA_X | STA_R, 0x0, 0xffffffff, 0),
	[GD_KD >> 3] = SEG_DESC(STA_W, 0x0, 0xffffffff, 0),
	[GD_UT >> 3] = SEG_DESC(STA_X | STA_R, 0x0, 0xffffffff, 3),
	[GD_UD >> 3] = SEG_DESC(STA_W, 0x0, 0xffffffff, 3),
	[GD_TSS0 >> 3] = SEG_NULL_DESC,
};

static struct Pseudodesc gdt_pd = { sizeof(gdt) - 1, (uint32_t) gdt };

/* Look up an environment; with checkperm, only the caller itself or its children. */
int envid2env(envid_t envid, struct Env **env_store, bool checkperm)
{
	if (envid == 0) {
		*env_store = curenv;
		return 0;
	}
	struct Env *e = &envs[ENVX(envid)];
	if (e->env_status == ENV_FREE || e->env_id != envid) {
		*env_store = NULL;
		return -E_BAD_ENV;
	}
	if (checkperm && e != curenv && e->env_parent_id != curenv->env_id) {
		*env_store = NULL;
		return -E_BAD_ENV;
	}
	*env_store = e;
	return 0;
}

/* All environments free; the free list hands out envs[0] first. */
void env_init(void)
{
	env_free_list = NULL;
	for (int i = NENV - 1; i >= 0; i--) {
		envs[i].env_id = 0;
		envs[i].env_status = ENV_FREE;
		envs[i].env_link = env_free_list;
		env_free_list = &envs[i];
	}
	env_init_percpu();
}

void env_init_percpu(void)
{
	lgdt(&gdt_pd);
	asm volatile("movw %%ax,%%gs" : : "a"(GD_UD | 3));
	asm volatile("movw %%ax,%%fs" : : "a"(GD_UD | 3));
	asm volatile("movw %%ax,%%es" : : "a"(GD_KD));
	asm volatile("movw %%ax,%%ds" : : "a"(GD_KD));
	asm volatile("movw %%ax,%%ss" : : "a"(GD_KD));
	asm volatile("ljmp %0,$1f\n 1:\n" : : "i"(GD_KT));
	asm volatile("lldt %w0" : : "r"(0));
}

static int env_setup_vm(struct Env *e)
{
	struct PageInfo *p = page_alloc(ALLOC_ZERO);
	if (!p)
		return -E_NO_MEM;
	p->pp_ref++;
	e->env_pgdir = page2kva(p);
	memcpy(e->env_pgdir, kern_pgdir, PGSIZE);
	e->env_pgdir[PDX(UVPT)] = PADDR(e->env_pgdir) | PTE_P | PTE_U;
	return 0;
}

int env_alloc(struct Env **newenv_store, envid_t parent_id)
{
	struct Env *e = env_free_list;
	if (!e)
		return -E_NO_FREE_ENV;
	int r = env_setup_vm(e);
	if (r < 0)
		return r;

	int32_t generation = (e->env_id + (1 << ENVGENSHIFT)) & ~(NENV - 1);
	if (generation <= 0)
		generation = 1 << ENVGENSHIFT;
	e->env_id = generation | (e - envs);
	e->env_parent_id = parent_id;
	e->env_type = ENV_TYPE_USER;
	e->env_status = ENV_RUNNABLE;
	e->env_runs = 0;
	e->env_name[0] = 0;

	memset(&e->env_tf, 0, sizeof(e->env_tf));
	e->env_tf.tf_ds = GD_UD | 3;
	e->env_tf.tf_es = GD_UD | 3;
	e->env_tf.tf_ss = GD_UD | 3;
	e->env_tf.tf_esp = USTACKTOP;
	e->env_tf.tf_cs = GD_UT | 3;
	e->env_tf.tf_eflags = FL_IF;	/* user code always runs with interrupts on */

	e->env_pgfault_upcall = 0;
	e->env_ipc_recving = 0;
	e->env_paused = 0;

	env_free_list = e->env_link;
	*newenv_store = e;
	cprintf("[%08x] new env %08x\n", curenv ? curenv->env_id : 0, e->env_id);
	return 0;
}

/* Give `e` fresh writable user pages covering [va, va+len). */
static int region_alloc(struct Env *e, void *va, size_t len)
{
	uintptr_t start = ROUNDDOWN((uintptr_t) va, PGSIZE);
	uintptr_t end = ROUNDUP((uintptr_t) va + len, PGSIZE);
	for (uintptr_t addr = start; addr < end; addr += PGSIZE) {
		struct PageInfo *pp = page_alloc(ALLOC_ZERO);
		if (!pp || page_insert(e->env_pgdir, pp, (void *) addr, PTE_U | PTE_W) < 0)
			return -E_NO_MEM;
	}
	return 0;
}

/* Load an ELF program into `e`'s address space and point its registers at the entry. */
static int load_icode(struct Env *e, const uint8_t *binary, size_t size)
{
	const struct Elf *elf = (const struct Elf *) binary;
	if (size < sizeof(struct Elf) || elf->e_magic != ELF_MAGIC)
		return -E_INVAL;
	const struct Proghdr *ph = (const struct Proghdr *) (binary + elf->e_phoff);
	lcr3(PADDR(e->env_pgdir));
	int r = 0;
	for (int i = 0; i < elf->e_phnum && r == 0; i++) {
		if (ph[i].p_type != ELF_PROG_LOAD)
			continue;
		if (ph[i].p_va >= UTOP || ph[i].p_va + ph[i].p_memsz > UTOP || ph[i].p_filesz > ph[i].p_memsz) {
			r = -E_INVAL;
			break;
		}
		r = region_alloc(e, (void *) ph[i].p_va, ph[i].p_memsz);
		if (r == 0)
			memcpy((void *) ph[i].p_va, binary + ph[i].p_offset, ph[i].p_filesz);
	}
	lcr3(PADDR(kern_pgdir));
	if (r < 0)
		return r;
	e->env_tf.tf_eip = elf->e_entry;
	return region_alloc(e, (void *) (USTACKTOP - PGSIZE), PGSIZE);
}

int env_create(const uint8_t *binary, size_t size, enum EnvType type, const char *name)
{
	struct Env *e;
	int r = env_alloc(&e, 0);
	if (r < 0)
		return r;
	e->env_type = type;
	if (type == ENV_TYPE_FS)
		e->env_tf.tf_eflags |= FL_IOPL_3;	/* the file server drives the disk itself */
	strlcpy(e->env_name, name, ENV_NAME_LEN);
	r = load_icode(e, binary, size);
	if (r < 0) {
		env_free(e);
		return r;
	}
	return e->env_id;
}

void env_free(struct Env *e)
{
	if (e == curenv)
		lcr3(PADDR(kern_pgdir));
	cprintf("[%08x] free env %08x\n", curenv ? curenv->env_id : 0, e->env_id);

	/* Unmap every user page, then free the page tables and the directory. */
	for (uint32_t pdeno = 0; pdeno < PDX(UTOP); pdeno++) {
		if (!(e->env_pgdir[pdeno] & PTE_P))
			continue;
		physaddr_t pa = PTE_ADDR(e->env_pgdir[pdeno]);
		pte_t *pt = KADDR(pa);
		for (uint32_t pteno = 0; pteno < NPTENTRIES; pteno++)
			if (pt[pteno] & PTE_P)
				page_remove(e->env_pgdir, PGADDR(pdeno, pteno, 0));
		e->env_pgdir[pdeno] = 0;
		page_decref(pa2page(pa));
	}
	physaddr_t pa = PADDR(e->env_pgdir);
	e->env_pgdir = 0;
	page_decref(pa2page(pa));

	e->env_status = ENV_FREE;
	e->env_link = env_free_list;
	env_free_list = e;
}

void env_destroy(struct Env *e)
{
	env_free(e);
	if (curenv == e) {
		curenv = NULL;
		sched_yield();
	}
}

/* Restore the registers in `tf` and return to user mode with IRET. */
void env_pop_tf(struct Trapframe *tf)
{
	asm volatile(
		"\tmovl %0,%%esp\n"
		"\tpopal\n"
		"\tpopl %%es\n"
		"\tpopl %%ds\n"
		"\taddl $0x8,%%esp\n"	/* skip tf_trapno and tf_err */
		"\tiret\n"
		: : "g"(tf) : "memory");
	panic("env_pop_tf: iret returned");
}

void env_run(struct Env *e)
{
	if (curenv && curenv->env_status == ENV_RUNNING)
		curenv->env_status = ENV_RUNNABLE;
	curenv = e;
	e->env_status = ENV_RUNNING;
	e->env_runs++;
	lcr3(PADDR(e->env_pgdir));
	env_pop_tf(&e->env_tf);
}

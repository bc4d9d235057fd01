/*
 * The x86 MMU as the kernel sees it: linear-address fields, page-table
 * entry bits, control-register bits, segment descriptors and gates
 * (Intel SDM Vol. 3A, chapters 3-6).
 */
#ifndef JOS86_MMU_H
#define JOS86_MMU_H

/* A linear address: | page directory index (10) | page table index (10) | offset (12) | */
#define PDX(la) ((((uintptr_t) (la)) >> PDXSHIFT) & 0x3FF)
#define PTX(la) ((((uintptr_t) (la)) >> PTXSHIFT) & 0x3FF)
#define PGNUM(la) (((uintptr_t) (la)) >> PTXSHIFT)
#define PGOFF(la) (((uintptr_t) (la)) & 0xFFF)
#define PGADDR(d, t, o) ((void *) ((d) << PDXSHIFT | (t) << PTXSHIFT | (o)))

#define NPDENTRIES 1024
#define NPTENTRIES 1024
#define PGSIZE 4096
#define PGSHIFT 12
#define PTSIZE (PGSIZE * NPTENTRIES)	/* bytes mapped by one page directory entry */
#define PTSHIFT 22
#define PTXSHIFT 12
#define PDXSHIFT 22

/* Page table and directory entry flags. */
#define PTE_P 0x001	/* present */
#define PTE_W 0x002	/* writeable */
#define PTE_U 0x004	/* user */
#define PTE_PWT 0x008
#define PTE_PCD 0x010
#define PTE_A 0x020	/* accessed */
#define PTE_D 0x040	/* dirty */
#define PTE_PS 0x080	/* 4 MiB page */
#define PTE_G 0x100	/* global */
#define PTE_AVAIL 0xE00	/* available to software */
#define PTE_SYSCALL (PTE_AVAIL | PTE_P | PTE_W | PTE_U)	/* what sys_page_* accept */
#define PTE_ADDR(pte) ((physaddr_t) (pte) & ~0xFFF)

/* Control registers. */
#define CR0_PE 0x00000001
#define CR0_MP 0x00000002
#define CR0_EM 0x00000004
#define CR0_TS 0x00000008
#define CR0_ET 0x00000010
#define CR0_NE 0x00000020
#define CR0_WP 0x00010000
#define CR0_AM 0x00040000
#define CR0_PG 0x80000000
#define CR4_PSE 0x00000010
#define CR4_PGE 0x00000080

/* EFLAGS. */
#define FL_CF 0x00000001
#define FL_TF 0x00000100
#define FL_IF 0x00000200
#define FL_DF 0x00000400
#define FL_IOPL_MASK 0x00003000
#define FL_IOPL_3 0x00003000

/* Page fault error codes. */
#define FEC_PR 0x1	/* protection violation (else not present) */
#define FEC_WR 0x2	/* write */
#define FEC_U 0x4	/* user mode */

#ifdef __ASSEMBLER__
/* A segment descriptor in assembly. */
#define SEG_NULL .word 0, 0; .byte 0, 0, 0, 0
#define SEG(type, base, lim) \
	.word (((lim) >> 12) & 0xffff), ((base) & 0xffff); \
	.byte (((base) >> 16) & 0xff), (0x90 | (type)), (0xC0 | (((lim) >> 28) & 0xf)), (((base) >> 24) & 0xff)
#else
#include <types.h>

/* A segment descriptor. */
struct Segdesc {
	unsigned sd_lim_15_0 : 16;
	unsigned sd_base_15_0 : 16;
	unsigned sd_base_23_16 : 8;
	unsigned sd_type : 4;
	unsigned sd_s : 1;
	unsigned sd_dpl : 2;
	unsigned sd_p : 1;
	unsigned sd_lim_19_16 : 4;
	unsigned sd_avl : 1;
	unsigned sd_rsv1 : 1;
	unsigned sd_db : 1;
	unsigned sd_g : 1;
	unsigned sd_base_31_24 : 8;
};
#define SEG_NULL_DESC (struct Segdesc) { 0 }
/* A 4 GiB-granular code or data segment of the given type, base, limit and privilege. */
#define SEG_DESC(type, base, lim, dpl) (struct Segdesc) \
{ ((lim) >> 12) & 0xffff, (base) & 0xffff, ((base) >> 16) & 0xff, \
  type, 1, dpl, 1, (unsigned) (lim) >> 28, 0, 0, 1, 1, (unsigned) (base) >> 24 }
#define SEG16_DESC(type, base, lim, dpl) (struct Segdesc) \
{ (lim) & 0xffff, (base) & 0xffff, ((base) >> 16) & 0xff, \
  type, 1, dpl, 1, (unsigned) (lim) >> 16, 0, 0, 1, 0, (unsigned) (base) >> 24 }
#endif

/* Segment type bits. */
#define STA_X 0x8	/* executable */
#define STA_W 0x2	/* writeable (data) */
#define STA_R 0x2	/* readable (code) */
#define STS_T32A 0x9	/* available 32-bit TSS */
#define STS_IG32 0xE	/* 32-bit interrupt gate */
#define STS_TG32 0xF	/* 32-bit trap gate */

#ifndef __ASSEMBLER__
/* The task state segment: only the ring-0 stack and the I/O map base matter here. */
struct Taskstate {
	uint32_t ts_link;
	uintptr_t ts_esp0;
	uint16_t ts_ss0;
	uint16_t ts_padding1;
	uintptr_t ts_esp1;
	uint16_t ts_ss1;
	uint16_t ts_padding2;
	uintptr_t ts_esp2;
	uint16_t ts_ss2;
	uint16_t ts_padding3;
	physaddr_t ts_cr3;
	uintptr_t ts_eip;
	uint32_t ts_eflags;
	uint32_t ts_eax, ts_ecx, ts_edx, ts_ebx;
	uintptr_t ts_esp, ts_ebp;
	uint32_t ts_esi, ts_edi;
	uint16_t ts_es, ts_padding4, ts_cs, ts_padding5, ts_ss, ts_padding6;
	uint16_t ts_ds, ts_padding7, ts_fs, ts_padding8, ts_gs, ts_padding9;
	uint16_t ts_ldt, ts_padding10;
	uint16_t ts_t;
	uint16_t ts_iomb;
};

/* An interrupt or trap gate. */
struct Gatedesc {
	unsigned gd_off_15_0 : 16;
	unsigned gd_sel : 16;
	unsigned gd_args : 5;
	unsigned gd_rsv1 : 3;
	unsigned gd_type : 4;
	unsigned gd_s : 1;
	unsigned gd_dpl : 2;
	unsigned gd_p : 1;
	unsigned gd_off_31_16 : 16;
};

/* Fill a gate: istrap selects a trap gate (IF stays set), dpl who may INT to it. */
#define SETGATE(gate, istrap, sel, off, dpl) do { \
	(gate).gd_off_15_0 = (uint32_t) (off) & 0xffff; \
	(gate).gd_sel = (sel); \
	(gate).gd_args = 0; \
	(gate).gd_rsv1 = 0; \
	(gate).gd_type = (istrap) ? STS_TG32 : STS_IG32; \
	(gate).gd_s = 0; \
	(gate).gd_dpl = (dpl); \
	(gate).gd_p = 1; \
	(gate).gd_off_31_16 = (uint32_t) (off) >> 16; \
} while (0)

/* The operand of LGDT and LIDT. */
struct Pseudodesc {
	uint16_t pd_lim;
	uint32_t pd_base;
} __attribute__((packed));
#endif

#endif

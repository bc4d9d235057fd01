/*
 * The migration image: a saved environment as a byte stream (see
 * docs/MIGRATION.md). Little-endian, no padding; the host reader and
 * writer (src/host/migimage.ts) follow the same layout.
 *
 *   header     struct MigHeader (128 bytes)
 *   records    each a struct MigRecord (type, payload size) and its payload,
 *              in this order and no other:
 *                MIG_REC_REGS    once   struct MigRegs
 *                MIG_REC_UPCALL  once   struct MigUpcall
 *                MIG_REC_PAGE    mh_page_count times, va strictly increasing:
 *                                struct MigPage then PGSIZE bytes of contents
 *                MIG_REC_END     once   struct MigEnd
 *
 * The CRC-32 (IEEE 802.3, as zlib's) in MigEnd covers every byte of the
 * stream before the me_crc field itself. A reader stops after the end
 * record, so an image can be one message in a longer stream.
 */
#ifndef JOS86_MIGRATE_H
#define JOS86_MIGRATE_H

#include <types.h>

#define MIG_MAGIC "JOS86MIG"
#define MIG_MAGIC_LEN 8
#define MIG_VERSION 1
#define MIG_MACHINE_LEN 32
#define MIG_NAME_LEN 32
#define MIG_MAX_PAGES 16384	/* 64 MiB: more is refused as absurd */

struct MigHeader {
	char mh_magic[MIG_MAGIC_LEN];	/* MIG_MAGIC, no terminating NUL */
	uint16_t mh_version;		/* MIG_VERSION */
	uint16_t mh_header_size;	/* sizeof(struct MigHeader) */
	uint32_t mh_flags;		/* none defined: 0 */
	char mh_machine[MIG_MACHINE_LEN];	/* where it was saved, NUL-terminated and padded */
	char mh_name[MIG_NAME_LEN];	/* the environment's name, NUL-terminated and padded */
	uint32_t mh_envid;		/* its id there (positive) */
	uint32_t mh_parent_id;		/* its parent's id there (0 for none; not negative) */
	uint32_t mh_page_count;		/* MIG_REC_PAGE records that follow, at most MIG_MAX_PAGES */
	uint32_t mh_saved_at;		/* timer ticks on that machine when saved */
	uint32_t mh_runs;		/* times it had been scheduled there */
	uint32_t mh_reserved[7];	/* 0 */
} __attribute__((packed));

struct MigRecord {
	uint32_t mr_type;	/* MIG_REC_* */
	uint32_t mr_size;	/* payload bytes after this record header: fixed for each type */
} __attribute__((packed));

enum {
	MIG_REC_REGS = 1,
	MIG_REC_UPCALL = 2,
	MIG_REC_PAGE = 3,
	MIG_REC_END = 4,
};

/* The user registers where the environment stopped (a JOS trap frame without the pusha esp). */
struct MigRegs {
	uint32_t mg_edi, mg_esi, mg_ebp, mg_ebx, mg_edx, mg_ecx, mg_eax;
	uint32_t mg_es, mg_ds;
	uint32_t mg_trapno, mg_err;	/* how it last entered the kernel: informational */
	uint32_t mg_eip, mg_cs, mg_eflags, mg_esp, mg_ss;
} __attribute__((packed));

/* What it was doing, and its page-fault upcall and exception stack. */
enum {
	MIG_RUN_RUNNABLE = 0,		/* continues at mg_eip */
	MIG_RUN_IPC_RECV = 1,		/* blocked in sys_ipc_recv(mu_ipc_dstva); mg_eip follows its INT $0x30 */
	MIG_RUN_STOPPED = 2,		/* not runnable (ENV_NOT_RUNNABLE) until somebody starts it */
};

struct MigUpcall {
	uint32_t mu_pgfault_upcall;	/* 0, or the entry point below UTOP */
	uint32_t mu_xstack_top;		/* UXSTACKTOP when its exception-stack page is in the image, else 0 */
	uint32_t mu_run_state;		/* MIG_RUN_* */
	uint32_t mu_ipc_dstva;		/* MIG_RUN_IPC_RECV: page-aligned below UTOP, or UTOP for no page */
	uint32_t mu_reserved[2];	/* 0 */
} __attribute__((packed));

/* One user mapping; PGSIZE bytes of contents follow. */
struct MigPage {
	uint32_t mp_va;		/* page-aligned, below UTOP */
	uint32_t mp_perm;	/* PTE_P | PTE_U, and only PTE_W and the PTE_AVAIL bits besides
				   (PTE_SHARE 0x400 marks a page that was shared, PTE_COW 0x800 copy-on-write) */
} __attribute__((packed));

struct MigEnd {
	uint32_t me_records;	/* records before this one: 2 + mh_page_count */
	uint32_t me_crc;	/* CRC-32 of every byte before this field */
} __attribute__((packed));

#endif

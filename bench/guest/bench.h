// bench.h: the payload's physical memory map and the prototypes shared by
// its files, grouped by file.
//
// Everything lives below 640 KiB, so the run does not depend on the A20 gate
// or on how much RAM a peer gives the guest:
//
//   0x07C00  boot sector (bench/guest/boot.asm)
//   0x10000  payload: code, data, bss (at most 64 KiB, see payload.ld)
//   0x20000  page directory, then page tables for the paging phase
//   0x30000  sieve bitmap (128 KiB)
//   0x50000  copy source / CRC input (64 KiB); paging-phase frame pool
//   0x60000  copy destination (64 KiB); paging-phase frame pool
//   0x70000  kernel stack, growing down from 0x9F000 (deep recursion)

#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>

#define PAGE_DIRECTORY_ADDR 0x20000u
#define PAGE_TABLES_ADDR    0x21000u
#define SIEVE_ADDR          0x30000u
#define BUFFER_A_ADDR       0x50000u
#define BUFFER_B_ADDR       0x60000u
#define BUFFER_SIZE         0x10000u
#define STACK_TOP           0x9F000u

// Iteration counts are scaled at build time (bench/build.ts --scale) so a
// quick smoke run and a full run use the same code.
#ifndef SCALE_PERCENT
#define SCALE_PERCENT 100
#endif
#define SCALED(n) ((uint32_t)(((uint64_t)(n) * SCALE_PERCENT + 99) / 100))

// Segment selectors, fixed by descriptors.c.
#define SEL_KERNEL_CODE 0x08
#define SEL_KERNEL_DATA 0x10
#define SEL_USER_CODE   0x18
#define SEL_USER_DATA   0x20
#define SEL_TSS         0x28
#define RPL_USER        3

// Interrupt vectors used by the ring-3 phase.
#define VECTOR_SYSCALL   0x30
#define VECTOR_USER_EXIT 0x31

// console.c
void console_putc(char c);
void console_puts(const char *s);
void console_put_hex(uint32_t value);
void exit_emulator(uint8_t status) __attribute__((noreturn));

// descriptors.c
void descriptors_init(void);
void trap_fault(uint32_t vector, uint32_t error_code, uint32_t eip) __attribute__((noreturn));

// entry.asm
extern const uint32_t fault_stubs[32];
void syscall_entry(void);
void user_exit_entry(void);
void gdt_load(const void *pseudo_descriptor);
void enter_user(uint32_t eip, uint32_t esp);
void user_syscall_loop(void);
extern volatile uint32_t syscall_sum;
extern volatile uint32_t user_iterations;
extern const volatile uint32_t phase_mask;

// lib.c
void *memset(void *dst, int c, uint32_t n);
void *memcpy(void *dst, const void *src, uint32_t n);
uint32_t fold_words(const uint32_t *words, uint32_t count, uint32_t hash);
void fill_pattern(uint32_t *words, uint32_t count, uint32_t seed);

// One file per phase; each returns the checksum it prints.
uint32_t phase_sieve(void);
uint32_t phase_crc32(void);
uint32_t phase_recursion(void);
uint32_t phase_copy(void);
uint32_t phase_syscall(void);
uint32_t phase_paging(void);
uint32_t phase_portio(void);

#endif

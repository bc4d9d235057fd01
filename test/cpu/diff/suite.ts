// The fixed parameters of the differential suite, shared by the vitest file
// (test/cpu/differential.test.ts) and the command-line runner (run.ts).

export const SEED = 0x6a6f7338; // "jos8"
export const SEQUENCE_COUNT = 10000;
/** Sequences per image: one QEMU boot is amortised over this many. */
export const SEQUENCES_PER_IMAGE = 1000;

/** body.inc of the system-test image: no generated sequences, the hand-written system.asm. */
export const SYSTEM_BODY = ['SEQ_COUNT equ 0', 'section .data', 'seq_table:', 'section .text', '%include "system.asm"', ''].join('\n');

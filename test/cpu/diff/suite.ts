// The fixed parameters of the differential suite, shared by the vitest file
// (test/cpu/differential.test.ts) and the command-line runner (run.ts).

import type { ImageOptions } from './generate.ts';

export const SEED = 0x6a6f7338; // "jos8"
export const SEQUENCE_COUNT = 10000;
/** Sequences per image: one QEMU boot is amortised over this many. */
export const SEQUENCES_PER_IMAGE = 1000;

/** body.inc of the system-test image: no generated sequences, the hand-written system.asm. */
export const SYSTEM_BODY = [
  'SEQ_COUNT equ 0',
  'SEQ_PAGING equ 0',
  'SEQ_ENTRY_SELECTOR equ SEL_CODE0',
  'section .text',
  'seq16_base:',
  '%include "system.asm"',
  'section .data',
  'seq_table:',
  '',
].join('\n');

/**
 * How image `imageIndex` runs its sequences: every other one with paging on
 * (memory through the TLB), every fourth one in a 16-bit code segment (the
 * default sizes flipped, as in real-mode and 16-bit code).
 */
export function imageOptions(imageIndex: number): ImageOptions {
  return { paging: imageIndex % 2 === 1, code16: imageIndex % 4 === 2 };
}

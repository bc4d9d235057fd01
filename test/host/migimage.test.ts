// Migration images on the host (src/host/migimage.ts): the layout agrees
// with src/include/migrate.h compiled by the guest compiler, images round
// trip, the checksum is zlib's CRC-32, and every image of the mutated
// corpus is refused with a reason.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as mig from '../../src/host/migimage.ts';

const includeDir = resolve(import.meta.dirname, '../../src/include');
let workDir: string;

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'jos86-mig-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Compile a probe against migrate.h for the guest's i386 ABI, with the host's libc for printf, and run it. */
function runC(source: string): string {
  const sourcePath = join(workDir, 'probe.c');
  const binary = join(workDir, 'probe');
  writeFileSync(sourcePath, source);
  // migrate.h includes the guest's <types.h>; a stand-in keeps the guest's other headers (stdio.h) out of the way.
  writeFileSync(join(workDir, 'types.h'), 'typedef unsigned char uint8_t;\ntypedef unsigned short uint16_t;\ntypedef unsigned int uint32_t;\n');
  execFileSync('gcc', ['-m32', '-std=gnu11', '-Wall', '-Werror', '-I', workDir, '-include', join(includeDir, 'migrate.h'), sourcePath, '-o', binary]);
  return execFileSync(binary, { encoding: 'utf8' });
}

describe('src/include/migrate.h', () => {
  it('matches the TypeScript layout field for field', () => {
    const output = runC(`
#include <stdio.h>
#include <stddef.h>
#define SHOW(name, value) printf("%s %lu\\n", name, (unsigned long)(value))
int main(void) {
  SHOW("HEADER_SIZE", sizeof(struct MigHeader));
  SHOW("H_VERSION", offsetof(struct MigHeader, mh_version));
  SHOW("H_HEADER_SIZE", offsetof(struct MigHeader, mh_header_size));
  SHOW("H_FLAGS", offsetof(struct MigHeader, mh_flags));
  SHOW("H_MACHINE", offsetof(struct MigHeader, mh_machine));
  SHOW("H_NAME", offsetof(struct MigHeader, mh_name));
  SHOW("H_ENVID", offsetof(struct MigHeader, mh_envid));
  SHOW("H_PARENT_ID", offsetof(struct MigHeader, mh_parent_id));
  SHOW("H_PAGE_COUNT", offsetof(struct MigHeader, mh_page_count));
  SHOW("H_SAVED_AT", offsetof(struct MigHeader, mh_saved_at));
  SHOW("H_RUNS", offsetof(struct MigHeader, mh_runs));
  SHOW("H_RESERVED", offsetof(struct MigHeader, mh_reserved));
  SHOW("RECORD_SIZE", sizeof(struct MigRecord));
  SHOW("REGS_SIZE", sizeof(struct MigRegs));
  SHOW("REG_eip", offsetof(struct MigRegs, mg_eip));
  SHOW("REG_eflags", offsetof(struct MigRegs, mg_eflags));
  SHOW("REG_ss", offsetof(struct MigRegs, mg_ss));
  SHOW("UPCALL_SIZE", sizeof(struct MigUpcall));
  SHOW("PAGE_HEADER_SIZE", sizeof(struct MigPage));
  SHOW("END_SIZE", sizeof(struct MigEnd));
  SHOW("MIG_VERSION", MIG_VERSION);
  SHOW("MIG_MAX_PAGES", MIG_MAX_PAGES);
  SHOW("REC_REGS", MIG_REC_REGS);
  SHOW("REC_UPCALL", MIG_REC_UPCALL);
  SHOW("REC_PAGE", MIG_REC_PAGE);
  SHOW("REC_END", MIG_REC_END);
  SHOW("RUN_IPC_RECV", MIG_RUN_IPC_RECV);
  SHOW("RUN_STOPPED", MIG_RUN_STOPPED);
  printf("MAGIC %s\\n", MIG_MAGIC);
  return 0;
}
`);
    const c = Object.fromEntries(output.trim().split('\n').map((line) => line.split(' ')));
    const ts: Record<string, number | string> = {
      HEADER_SIZE: mig.HEADER_SIZE, H_VERSION: mig.H_VERSION, H_HEADER_SIZE: mig.H_HEADER_SIZE, H_FLAGS: mig.H_FLAGS,
      H_MACHINE: mig.H_MACHINE, H_NAME: mig.H_NAME, H_ENVID: mig.H_ENVID, H_PARENT_ID: mig.H_PARENT_ID,
      H_PAGE_COUNT: mig.H_PAGE_COUNT, H_SAVED_AT: mig.H_SAVED_AT, H_RUNS: mig.H_RUNS, H_RESERVED: mig.H_RESERVED,
      RECORD_SIZE: mig.RECORD_SIZE, REGS_SIZE: mig.REGS_SIZE, REG_eip: 4 * mig.REG_NAMES.indexOf('eip'),
      REG_eflags: 4 * mig.REG_NAMES.indexOf('eflags'), REG_ss: 4 * mig.REG_NAMES.indexOf('ss'), UPCALL_SIZE: mig.UPCALL_SIZE,
      PAGE_HEADER_SIZE: mig.PAGE_HEADER_SIZE, END_SIZE: mig.END_SIZE, MIG_VERSION: mig.MIG_VERSION, MIG_MAX_PAGES: mig.MIG_MAX_PAGES,
      REC_REGS: mig.REC_REGS, REC_UPCALL: mig.REC_UPCALL, REC_PAGE: mig.REC_PAGE, REC_END: mig.REC_END,
      RUN_IPC_RECV: mig.RUN_IPC_RECV, RUN_STOPPED: mig.RUN_STOPPED, MAGIC: mig.MIG_MAGIC,
    };
    for (const [name, value] of Object.entries(ts)) expect(c[name], name).toBe(String(value));
  });
});

describe('migration images on the host', () => {
  it('computes the CRC-32 zlib computes, in one piece or chained', () => {
    const bytes = new TextEncoder().encode('The quick brown fox jumps over the lazy dog');
    expect(mig.crc32(bytes)).toBe(0x414fa339);
    expect(mig.crc32(bytes)).toBe(zlibCrc32(bytes));
    expect(mig.crc32(bytes.subarray(10), mig.crc32(bytes.subarray(0, 10)))).toBe(0x414fa339);
  });

  it('encodes and decodes an image to the same fields and bytes', () => {
    const image = mig.tinyImage();
    const bytes = mig.encodeImage(image);
    expect(bytes.length).toBe(mig.HEADER_SIZE + 8 + 64 + 8 + 24 + 2 * (8 + 8 + 4096) + 8 + 8);
    const back = mig.decodeImage(bytes);
    expect(back).toEqual(image);
    expect(mig.encodeImage(back)).toEqual(bytes);
  });

  it('ignores what follows the end record, so an image can sit in a longer stream', () => {
    const bytes = mig.encodeImage(mig.tinyImage());
    const longer = new Uint8Array(bytes.length + 10);
    longer.set(bytes);
    expect(mig.decodeImage(longer).name).toBe('tiny');
  });

  it('refuses images a writer must not make', () => {
    const image = mig.tinyImage();
    image.name = 'x'.repeat(40);
    expect(() => mig.encodeImage(image)).toThrow(mig.MigImageError);
  });

  it('refuses every image of the mutated corpus, each for a reason', () => {
    const corpus = mig.mutateImage(mig.encodeImage(mig.tinyImage()));
    expect(corpus.length).toBeGreaterThan(100);
    expect(new Set(corpus.map((m) => m.name)).size).toBe(corpus.length);
    const reasons = new Map<string, string>();
    for (const m of corpus) {
      let reason = '';
      try {
        mig.decodeImage(m.bytes);
      } catch (error) {
        expect(error, m.name).toBeInstanceOf(mig.MigImageError);
        reason = (error as Error).message;
      }
      expect(reason, `${m.name} was accepted`).not.toBe('');
      reasons.set(m.name, reason);
    }
    expect(reasons.get('version-2')).toBe('image version 2; this loader reads version 1');
    expect(reasons.get('cs-kernel')).toMatch(/^code segment 0008 is not the user code segment 001b/);
    expect(reasons.get('eflags-iopl3')).toMatch(/raises IOPL/);
    expect(reasons.get('eflags-if-clear')).toMatch(/disables interrupts/);
    expect(reasons.get('eip-kernel')).toMatch(/at or above UTOP/);
    expect(reasons.get('page-va-kernel')).toMatch(/not a page-aligned address below UTOP/);
    expect(reasons.get('page-perm-pcd')).toMatch(/disallowed bits 010/);
    expect(reasons.get('page-duplicate')).toMatch(/the same page twice/);
    expect(reasons.get('page-count-huge')).toMatch(/absurd page count/);
    expect(reasons.get('truncated-0')).toMatch(/^truncated/);
    expect(reasons.get('flip-92')).toMatch(/^checksum mismatch/);
  });
});

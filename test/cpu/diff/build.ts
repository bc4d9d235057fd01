// Builds harness images for the differential CPU test: harness.asm plus a
// body (generated sequences or the hand-written system tests) assembled with
// nasm into ELF32 objects and linked at 1 MiB with GNU ld into a Multiboot
// kernel that QEMU's -kernel and jos86 both load.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DIFF_DIR = dirname(fileURLToPath(import.meta.url));
const HARNESS = join(DIFF_DIR, 'harness.asm');
const LOAD_ADDRESS = '0x100000';

export interface Image {
  elf: Uint8Array;
  /** sha256 of the ELF bytes: the key of QEMU's cached transcript. */
  sha256: string;
}

/** Throws a clear error when a tool the differential test needs is not installed. */
export function requireTool(tool: string, versionFlag: string, hint: string): void {
  try {
    execFileSync(tool, [versionFlag], { stdio: 'ignore' });
  } catch {
    throw new Error(`the differential CPU test needs \`${tool}\`, which is not installed (${hint})`);
  }
}

/** Assemble and link harness.asm around `body` (the contents of body.inc). */
export function buildImage(body: string): Image {
  const work = mkdtempSync(join(tmpdir(), 'jos86-diff-'));
  try {
    writeFileSync(join(work, 'body.inc'), body);
    const object = join(work, 'harness.o');
    const elfPath = join(work, 'harness.elf');
    // Both directories on the include path: body.inc here, system.asm beside the harness.
    run('nasm', ['-f', 'elf32', '-I', work + '/', '-I', DIFF_DIR + '/', '-o', object, HARNESS]);
    // -N: one RWX segment at exactly 1 MiB, with no ELF-header segment below it.
    run('ld', ['-m', 'elf_i386', '-N', '-Ttext=' + LOAD_ADDRESS, '--build-id=none', '--no-warn-rwx-segments', '-e', '_start', '-o', elfPath, object]);
    const elf = new Uint8Array(readFileSync(elfPath));
    return { elf, sha256: createHash('sha256').update(elf).digest('hex') };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function run(tool: string, args: string[]): void {
  try {
    execFileSync(tool, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const failure = error as { stderr?: Buffer; message: string };
    throw new Error(`${tool} failed: ${failure.stderr?.toString() || failure.message}`);
  }
}

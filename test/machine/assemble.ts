// Test helpers: assemble guest programs with nasm (and link with GNU ld) at
// test time, into a temporary directory. The demo (test/machine/demo/) is
// built three ways: a disk image (boot sector + flat payload), the same
// payload as a Multiboot a.out-kludge kernel, and a Multiboot ELF kernel.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const DEMO_DIR = join(here, 'demo');

let workDir: string | undefined;
function scratch(): string {
  workDir ??= mkdtempSync(join(tmpdir(), 'jos86-asm-'));
  return workDir;
}

let counter = 0;
/** Assemble nasm source text (`-f bin` unless told otherwise); returns the output bytes. */
export function assemble(source: string, format = 'bin', defines: string[] = []): Uint8Array {
  const base = join(scratch(), `prog${counter++}`);
  writeFileSync(`${base}.asm`, source);
  return assembleFile(`${base}.asm`, `${base}.out`, format, defines);
}

export function assembleFile(input: string, output: string, format = 'bin', defines: string[] = []): Uint8Array {
  try {
    execFileSync('nasm', ['-f', format, ...defines.map((d) => `-D${d}`), '-o', output, input], { stdio: 'pipe' });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`nasm failed on ${input}: ${stderr || (error as Error).message}`);
  }
  return new Uint8Array(readFileSync(output));
}

/** A disk image: `bootSector` (512 bytes) followed by `payload`, padded to `sectors`. */
export function diskImage(bootSector: Uint8Array, payload: Uint8Array = new Uint8Array(0), sectors = 64): Uint8Array {
  const image = new Uint8Array(Math.max(sectors * 512, 512 + payload.length));
  image.set(bootSector);
  image.set(payload, 512);
  return image;
}

export interface DemoBuild {
  disk: Uint8Array;
  diskPath: string;
  flat: Uint8Array;
  flatPath: string;
  elf: Uint8Array;
  elfPath: string;
}

let demo: DemoBuild | undefined;
/** Build the demo once per test file. */
export function buildDemo(): DemoBuild {
  if (demo) return demo;
  const dir = scratch();
  const boot = assembleFile(join(DEMO_DIR, 'boot.asm'), join(dir, 'boot.bin'));
  const flatPath = join(dir, 'demo.bin');
  const flat = assembleFile(join(DEMO_DIR, 'demo.asm'), flatPath);
  const objectPath = join(dir, 'demo.o');
  assembleFile(join(DEMO_DIR, 'demo.asm'), objectPath, 'elf32', ['ELF']);
  const elfPath = join(dir, 'demo.elf');
  // -N: one RWX segment at 1 MiB, no page-aligned ELF header segment below it.
  execFileSync('ld', ['-m', 'elf_i386', '-N', '--no-warn-rwx-segments', '-Ttext=0x100000', '-e', '_start', '-o', elfPath, objectPath], { stdio: 'pipe' });
  const disk = diskImage(boot, flat, 64);
  const diskPath = join(dir, 'demo.img');
  writeFileSync(diskPath, disk);
  demo = { disk, diskPath, flat, flatPath, elf: new Uint8Array(readFileSync(elfPath)), elfPath };
  return demo;
}

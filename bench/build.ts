// Builds the benchmark disk image: bench/guest/*.c and entry.asm become a flat
// payload linked at 0x10000, and boot.asm becomes the boot sector that loads
// it. The image is sector 0 (boot) + the payload, zero-padded to 1 MiB so
// every peer's IDE model sees an ordinary small disk.
//
// Usage: tsx bench/build.ts [--scale PERCENT] [--force]
// The result is rebuilt only when a guest source is newer than it.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));
const guestDir = join(benchDir, 'guest');
export const outDir = join(benchDir, 'out');

export const PAYLOAD_BASE = 0x10000;
const SECTOR_SIZE = 512;
const IMAGE_SIZE = 1 << 20;
/** The payload must end below 0x20000, where the paging phase puts its tables. */
const PAYLOAD_LIMIT = 0x20000 - PAYLOAD_BASE;

const CFLAGS = [
  '-m32', '-march=i686', '-O2', '-std=gnu11',
  '-ffreestanding', '-nostdlib', '-fno-pic', '-fno-pie', '-fno-stack-protector',
  // x87 and SSE are out of scope for jos86; keep gcc to the integer registers.
  '-mgeneral-regs-only',
  // Our memset/memcpy loops must not be "optimised" into calls to themselves.
  '-fno-tree-loop-distribute-patterns',
  // Keep recursion real in recursion.c (no tail calls turned into jumps).
  '-fno-optimize-sibling-calls',
  '-fcf-protection=none', '-fno-asynchronous-unwind-tables',
  '-Wall', '-Wextra', '-Werror',
];

export interface BuildOptions {
  /** Percentage of the full iteration counts (100 = the sizes in the sources). */
  scale?: number;
  force?: boolean;
  log?: (line: string) => void;
}

export function imagePath(scale = 100): string {
  return join(outDir, scale === 100 ? 'bench.img' : `bench-s${scale}.img`);
}

/** The phases in the order of the table in bench/guest/main.c; bit i of phase_mask runs the i-th. */
export const PHASE_NAMES = ['sieve', 'crc32', 'recursion', 'copy', 'syscall', 'paging', 'portio'] as const;
/** entry.asm puts this magic, then phase_mask, near the start of the payload. */
const PARAMETER_MAGIC = 'BNCH';
/** The parameters lie within the first bytes of the payload (after a short JMP). */
const PARAMETER_SEARCH_BYTES = 16;

function newestSource(): number {
  return Math.max(
    ...readdirSync(guestDir).map((name) => statSync(join(guestDir, name)).mtimeMs),
    statSync(fileURLToPath(import.meta.url)).mtimeMs,
  );
}

function run(command: string, args: string[]): void {
  execFileSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
}

/** Build (if stale) and return the path of the disk image. */
export function buildImage(options: BuildOptions = {}): string {
  const scale = options.scale ?? 100;
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`--scale must be a positive integer, got ${scale}`);
  const image = imagePath(scale);
  if (!options.force && existsSync(image) && statSync(image).mtimeMs >= newestSource()) return image;
  options.log?.(`building ${image}`);

  const objDir = join(outDir, `obj-s${scale}`);
  mkdirSync(objDir, { recursive: true });
  const objects: string[] = [];
  for (const name of readdirSync(guestDir).filter((n) => n.endsWith('.c')).sort()) {
    const object = join(objDir, name.replace(/\.c$/, '.o'));
    run('gcc', [...CFLAGS, `-DSCALE_PERCENT=${scale}`, '-c', join(guestDir, name), '-o', object]);
    objects.push(object);
  }
  const entryObject = join(objDir, 'entry.o');
  run('nasm', ['-f', 'elf32', '-o', entryObject, join(guestDir, 'entry.asm')]);

  const elf = join(objDir, 'payload.elf');
  const payloadFile = join(objDir, 'payload.bin');
  run('ld', ['-m', 'elf_i386', '-nostdlib', '--no-warn-rwx-segments', '-T', join(guestDir, 'payload.ld'), '-o', elf, entryObject, ...objects]);
  run('objcopy', ['-O', 'binary', elf, payloadFile]);
  const payload = readFileSync(payloadFile);
  if (payload.length > PAYLOAD_LIMIT) throw new Error(`payload is ${payload.length} bytes, limit ${PAYLOAD_LIMIT}`);
  const sectors = Math.ceil(payload.length / SECTOR_SIZE);

  const bootFile = join(objDir, 'boot.bin');
  run('nasm', ['-f', 'bin', `-DPAYLOAD_SECTORS=${sectors}`, `-DPAYLOAD_BASE=0x${PAYLOAD_BASE.toString(16)}`,
    '-o', bootFile, join(guestDir, 'boot.asm')]);
  const boot = readFileSync(bootFile);
  if (boot.length !== SECTOR_SIZE) throw new Error(`boot sector is ${boot.length} bytes, expected ${SECTOR_SIZE}`);

  const disk = new Uint8Array(IMAGE_SIZE);
  disk.set(boot, 0);
  disk.set(payload, SECTOR_SIZE);
  writeFileSync(image, disk);
  return image;
}

/** Bit mask for phase_mask selecting `phases` (names from PHASE_NAMES). */
export function phaseMask(phases: readonly string[]): number {
  let mask = 0;
  for (const phase of phases) {
    const index = PHASE_NAMES.indexOf(phase as (typeof PHASE_NAMES)[number]);
    if (index < 0) throw new Error(`unknown phase "${phase}"; phases are ${PHASE_NAMES.join(', ')}`);
    mask |= 1 << index;
  }
  return mask >>> 0;
}

/** Overwrite phase_mask in a disk image held in memory. */
export function patchPhaseMask(disk: Uint8Array, mask: number): void {
  const payload = disk.subarray(SECTOR_SIZE, SECTOR_SIZE + PARAMETER_SEARCH_BYTES + 8);
  const magic = new TextEncoder().encode(PARAMETER_MAGIC);
  for (let offset = 0; offset + magic.length + 4 <= payload.length; offset += 4) {
    if (magic.every((byte, i) => payload[offset + i] === byte)) {
      new DataView(payload.buffer, payload.byteOffset).setUint32(offset + magic.length, mask, true);
      return;
    }
  }
  throw new Error('the image has no phase parameters (rebuild it with bench/build.ts)');
}

/**
 * The image, or a copy of it that runs only `phases`. Returns the path to boot;
 * the full set needs no copy.
 */
export function withPhaseSelection(image: string, phases: readonly string[]): string {
  if (PHASE_NAMES.every((name) => phases.includes(name))) return image;
  const disk = new Uint8Array(readFileSync(image));
  patchPhaseMask(disk, phaseMask(phases));
  const selected = image.replace(/\.img$/, `-${phases.join('-')}.img`);
  writeFileSync(selected, disk);
  return selected;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const scaleIndex = args.indexOf('--scale');
  const scale = scaleIndex >= 0 ? Number(args[scaleIndex + 1]) : 100;
  console.log(buildImage({ scale, force: args.includes('--force'), log: console.log }));
}

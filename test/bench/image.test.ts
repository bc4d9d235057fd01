// The benchmark image: how it is built, how phases are selected in it, and
// that it really runs on QEMU (the reference peer) with one checksum per phase.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildImage, PHASE_NAMES, patchPhaseMask, phaseMask, withPhaseSelection } from '../../bench/build.ts';
import { extractPhases } from '../../bench/report.ts';
import { qemuUnavailable, runQemu } from '../../bench/runners/qemu.ts';
import { jos86Unavailable, runJos86 } from '../../bench/runners/jos86.ts';
import { runV86, v86Unavailable } from '../../bench/runners/v86.ts';

// 1% of the full workload: every phase still runs its code at least once.
const SMOKE_SCALE = 1;

describe('benchmark image', () => {
  const image = buildImage({ scale: SMOKE_SCALE });

  it('is a boot sector followed by the payload, which starts with its parameters', () => {
    const disk = readFileSync(image);
    expect(disk.length).toBe(1 << 20);
    expect(disk.readUInt16LE(510)).toBe(0xaa55);
    const magic = disk.indexOf('BNCH', 512);
    expect(magic).toBeGreaterThan(512);
    expect(magic).toBeLessThan(512 + 16);
    expect(disk.readUInt32LE(magic + 4)).toBe(0xffffffff);
  });

  it('lists the phases in the order of the table in main.c', () => {
    const main = readFileSync(new URL('../../bench/guest/main.c', import.meta.url), 'utf8');
    const order = [...main.matchAll(/\{ "(\w+)", phase_\w+ \}/g)].map((m) => m[1]);
    expect(order).toEqual([...PHASE_NAMES]);
  });

  it('selects phases with a bit mask patched into the image', () => {
    expect(phaseMask(['sieve', 'portio'])).toBe(0b1000001);
    expect(() => phaseMask(['nonsense'])).toThrow(/unknown phase/);
    const disk = new Uint8Array(readFileSync(image));
    patchPhaseMask(disk, 0x5);
    const magic = Buffer.from(disk).indexOf('BNCH', 512);
    expect(Buffer.from(disk).readUInt32LE(magic + 4)).toBe(0x5);
    expect(() => patchPhaseMask(new Uint8Array(4096), 1)).toThrow(/no phase parameters/);
  });

  it('runs every phase on QEMU and prints a checksum for each', async () => {
    const unavailable = await qemuUnavailable();
    expect(unavailable, 'QEMU is the reference peer; .ci/run installs it').toBeNull();
    const transcript = await runQemu({ image, timeoutMs: 60_000 });
    expect(transcript.outcome, transcript.message).toBe('done');
    const { phases, problems } = extractPhases(transcript.lines);
    expect(problems).toEqual([]);
    expect(phases.map((p) => p.name)).toEqual([...PHASE_NAMES]);
    for (const phase of phases) expect(phase.checksum).toMatch(/^0x[0-9a-f]{8}$/);
  }, 90_000);

  it('prints the same checksums on v86 (JIT off, after SeaBIOS) as on QEMU', async () => {
    expect(await v86Unavailable(), 'v86 is a devDependency; SeaBIOS comes from .ci/run').toBeNull();
    const [qemu, v86] = await Promise.all([
      runQemu({ image, timeoutMs: 60_000 }),
      runV86({ image, timeoutMs: 60_000, jit: false }),
    ]);
    expect(v86.outcome, v86.message).toBe('done');
    const checksums = (lines: typeof qemu.lines) => extractPhases(lines).phases.map((p) => `${p.name} ${p.checksum}`);
    expect(checksums(v86.lines)).toEqual(checksums(qemu.lines));
    expect(checksums(v86.lines)).toHaveLength(PHASE_NAMES.length);
    // v86 counts instructions, so its phases carry a count.
    for (const phase of extractPhases(v86.lines).phases) expect(phase.instructions).toBeGreaterThan(0);
  }, 90_000);

  it('prints the same checksums on jos86 (no BIOS) as on QEMU', async () => {
    expect(await jos86Unavailable()).toBeNull();
    // The phases that take jos86 a second or less at this scale; sieve and
    // recursion run ~10 M instructions even here, too slow for every test run.
    const light = withPhaseSelection(image, ['crc32', 'copy', 'syscall', 'paging', 'portio']);
    const [qemu, jos86] = await Promise.all([
      runQemu({ image: light, timeoutMs: 60_000 }),
      runJos86({ image: light, timeoutMs: 60_000 }),
    ]);
    expect(jos86.outcome, jos86.message).toBe('done');
    const checksums = (lines: typeof qemu.lines) => extractPhases(lines).phases.map((p) => `${p.name} ${p.checksum}`);
    expect(checksums(jos86.lines)).toEqual(checksums(qemu.lines));
    expect(checksums(jos86.lines)).toHaveLength(5);
    for (const phase of extractPhases(jos86.lines).phases) expect(phase.instructions).toBeGreaterThan(0);
  }, 90_000);

  it('runs only the selected phases', async () => {
    const selected = withPhaseSelection(image, ['crc32', 'paging']);
    const transcript = await runQemu({ image: selected, timeoutMs: 60_000 });
    expect(transcript.outcome, transcript.message).toBe('done');
    expect(extractPhases(transcript.lines).phases.map((p) => p.name)).toEqual(['crc32', 'paging']);
  }, 90_000);
});

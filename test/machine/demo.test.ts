// The bare-metal demo (test/machine/demo/) on jos86 and on QEMU: booted from
// a disk image and as a Multiboot kernel (ELF and a.out kludge), it prints on
// COM1 and the CGA screen, takes PIT and local-APIC timer interrupts and reads
// a line from COM1 or the keyboard. Both machines must print the same bytes.

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { MemoryBlockDevice } from '../../src/devices/ide.ts';
import { buildDemo } from './assemble.ts';
import { expectGolden, runTranscript } from '../golden-runner.ts';

const EXIT_STATUS = (0x10 << 1) | 1;
const LINE = 'hello jos86';

/** Run QEMU the way the brief's reference command does, typing `input` on its serial port. */
function qemu(args: string[], input: string): { stdout: string; status: number | null } {
  const result = spawnSync(
    'qemu-system-i386',
    ['-m', '128', '-serial', 'stdio', '-display', 'none', '-no-reboot', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', ...args],
    { input, timeout: 60_000, maxBuffer: 1 << 20 },
  );
  if (result.error) throw new Error(`cannot run qemu-system-i386: ${result.error.message}`);
  return { stdout: result.stdout.toString('latin1'), status: result.status };
}

function onJos86(machine: Parameters<typeof runTranscript>[0]['machine'], script: string) {
  const run = runTranscript({ machine, script, timeoutMs: 5_000 });
  expect(run.log).toEqual([]);
  return run;
}

describe('bare-metal demo', () => {
  const demo = buildDemo();

  it('boots from a disk image and prints what QEMU prints', () => {
    const ours = onJos86({ hda: new MemoryBlockDevice(demo.disk.slice()) }, `send ${LINE}\\n`);
    expect(ours.reason).toBe('exit');
    expect(ours.exitStatus).toBe(EXIT_STATUS);
    expect(ours.transcript).toContain('boot: disk\r\n');
    expect(ours.transcript).toContain(`got: ${LINE}\r\n`);
    const reference = qemu(['-drive', `file=${demo.diskPath},format=raw,if=ide,snapshot=on`], `${LINE}\n`);
    expect(reference.status).toBe(EXIT_STATUS);
    expect(ours.transcript).toBe(reference.stdout);
    expectGolden('demo-disk', ours.transcript);
  });

  it('boots as a Multiboot ELF kernel and prints what qemu -kernel prints', () => {
    const ours = onJos86({ kernel: demo.elf }, `send ${LINE}\\n`);
    expect(ours.exitStatus).toBe(EXIT_STATUS);
    expect(ours.transcript).toContain('boot: multiboot, mem_lower 639 KiB, mem_upper above 120 MiB: yes\r\n');
    const reference = qemu(['-kernel', demo.elfPath], `${LINE}\n`);
    expect(reference.status).toBe(EXIT_STATUS);
    expect(ours.transcript).toBe(reference.stdout);
    expectGolden('demo-multiboot', ours.transcript);
  });

  it('boots as a Multiboot a.out-kludge kernel and prints what qemu -kernel prints', () => {
    const ours = onJos86({ kernel: demo.flat }, `send ${LINE}\\n`);
    const reference = qemu(['-kernel', demo.flatPath], `${LINE}\n`);
    expect(reference.status).toBe(EXIT_STATUS);
    expect(ours.transcript).toBe(reference.stdout);
  });

  it('reads a line typed on the keyboard and leaves its text on the CGA screen', () => {
    const ours = onJos86({ hda: new MemoryBlockDevice(demo.disk.slice()) }, 'expect type a line: \nkey typed on keys\\r');
    expect(ours.transcript).toContain('type a line: typed on keys\r\ngot: typed on keys\r\n');
    expect(ours.machine.screen().lines[0].trimEnd()).toBe('Hello from the CGA screen');
  });

  it('is deterministic: the same image and input give the same bytes at the same virtual time', () => {
    const first = onJos86({ hda: new MemoryBlockDevice(demo.disk.slice()) }, `send ${LINE}\\n`);
    const second = onJos86({ hda: new MemoryBlockDevice(demo.disk.slice()) }, `send ${LINE}\\n`);
    expect(second.transcript).toBe(first.transcript);
    expect(second.virtualNs).toBe(first.virtualNs);
    expect(second.machine.cpu.instructionCount).toBe(first.machine.cpu.instructionCount);
  });
});

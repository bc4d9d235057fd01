// The Cpu's and Flags' hidden classes stay the same when their fields take
// values outside V8's small-integer range (any 32-bit address, a count past
// 2^30). A change of hidden class deoptimises every function compiled for the
// old one; it once made system calls 5x slower after 2^30 instructions (see
// WIDE in src/cpu/cpu.ts). V8's %HaveSameMap tells, in a child Node process
// with --allow-natives-syntax.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

const SCRIPT = `
import { Cpu } from '${root}src/cpu/cpu.ts';
import { IoBus } from '${root}src/devices/bus.ts';
import { PhysicalMemory } from '${root}src/mmu/physical.ts';
const make = () => new Cpu({ memory: new PhysicalMemory(1 << 20), io: new IoBus(), interrupts: { hasInterrupt: () => false, acknowledge: () => 0 } });
const fresh = make();
const used = make();
const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)');
used.instructionCount = 2 ** 31 + 5;
used.eip = 0x80001000 | 0;
used.startEip = 0x40000000;
used.startEsp = 0xbffff000 | 0;
used.cr0 = 0x80000011 | 0;
used.cr2 = 0x40000000;
used.cr3 = 0x7ffff000;
used.gdtrBase = used.idtrBase = used.ldtrBase = used.trBase = 0x40000000;
used.tscOffset = 2 ** 40;
used.flags.a = 0x40000000;
used.flags.b = 0x80000000 | 0;
used.flags.result = 0x7fffffff;
console.log(JSON.stringify({ cpu: sameMap(fresh, used), flags: sameMap(fresh.flags, used.flags) }));
`;

describe('hidden classes', () => {
  it('wide values in the CPU and flag fields keep the objects in the shape optimised code expects', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jos86-shape-'));
    const script = join(dir, 'shape.mts');
    writeFileSync(script, SCRIPT);
    const output = execFileSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', script], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(output.trim().split('\n').pop()!)).toEqual({ cpu: true, flags: true });
  });
});

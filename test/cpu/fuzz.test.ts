// No byte sequence may throw a host exception out of the CPU: random memory
// images, fixed seeds, a bounded number of instructions each.
import { describe, expect, it } from 'vitest';
import { Cpu } from '../../src/cpu/cpu.ts';
import { IoBus } from '../../src/devices/bus.ts';
import { PhysicalMemory } from '../../src/mmu/physical.ts';

function xorshift(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
}

function fuzzOnce(seed: number, mode: 'real' | 'flat'): number {
  const random = xorshift(seed);
  const memory = new PhysicalMemory(1 << 20);
  for (let i = 0; i < memory.ram.length; i += 4) {
    const value = random();
    memory.ram[i] = value;
    memory.ram[i + 1] = value >>> 8;
    memory.ram[i + 2] = value >>> 16;
    memory.ram[i + 3] = value >>> 24;
  }
  const cpu = new Cpu({ memory, io: new IoBus(), interrupts: { hasInterrupt: () => false, acknowledge: () => 0 } });
  const start = random() & 0xffff0;
  if (mode === 'flat') cpu.enterFlatProtectedMode(start);
  else cpu.enterRealMode(start >>> 4, 0);
  for (let r = 0; r < 8; r++) cpu.reg32[r] = random();
  let executed = 0;
  for (let slice = 0; slice < 20 && !cpu.shutdown; slice++) {
    executed += cpu.run(1000);
    if (cpu.halted) cpu.halted = false; // keep going past HLT
  }
  return executed;
}

describe('fuzz: random memory never throws a host exception', () => {
  it('200 real-mode and 200 protected-mode images, 20k instructions each', () => {
    let total = 0;
    for (let seed = 1; seed <= 200; seed++) {
      total += fuzzOnce(seed * 7919, 'real');
      total += fuzzOnce(seed * 104729, 'flat');
    }
    expect(total).toBeGreaterThan(1000);
  });
});

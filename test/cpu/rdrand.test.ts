// RDRAND (0F C7 /6): a value from the injected random source into a 16- or
// 32-bit register, CF = 1 and OF SF ZF AF PF cleared; the memory form is #UD.
// CPUID.1:ECX bit 30 reports it.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/cpu/random.ts';
import { FLAG_AF, FLAG_CF, FLAG_OF, FLAG_PF, FLAG_SF, FLAG_ZF } from '../../src/cpu/flags.ts';
import { assemble, machine, run32 } from './harness.ts';

const EAX = 0, ECX = 1, EDX = 2, EBX = 3;

describe('RDRAND', () => {
  it('sets CF and clears OF SF ZF AF PF', () => {
    // Start from all six set (STC and a compare that sets the rest cannot do it: POPF can).
    const m = run32('push dword 0x8d5\npopfd\nrdrand eax\npushfd\npop ebx');
    const flags = m.cpu.reg32[EBX];
    expect(flags & FLAG_CF).toBe(FLAG_CF);
    expect(flags & (FLAG_OF | FLAG_SF | FLAG_ZF | FLAG_AF | FLAG_PF)).toBe(0);
  });

  it('draws from the CPU bus source: the default seed repeats run after run', () => {
    const body = 'rdrand eax\nrdrand ecx\nrdrand edx';
    const first = run32(body).cpu.reg32;
    const second = run32(body).cpu.reg32;
    expect([first[EAX], first[ECX], first[EDX]]).toEqual([second[EAX], second[ECX], second[EDX]]);
    expect(new Set([first[EAX], first[ECX], first[EDX]]).size).toBe(3);
    const source = seededRandom(0);
    expect([first[EAX] >>> 0, first[ECX] >>> 0, first[EDX] >>> 0]).toEqual([source(), source(), source()]);
  });

  it('with a 16-bit operand size writes only the low word', () => {
    const m = run32('mov eax, 0xdead0000\nrdrand ax');
    expect(m.cpu.reg32[EAX] >>> 16).toBe(0xdead);
    expect(m.cpu.reg32[EAX] & 0xffff).toBe(seededRandom(0)() & 0xffff);
  });

  it('the memory form is #UD', () => {
    // nasm has no memory form of RDRAND: 0F C7 /6 with mod = 00, rm = EAX is 0F C7 30.
    const m = machine(assemble('bits 32\norg 0x7c00\nmov eax, 0x8000\ndb 0x0f, 0xc7, 0x30\nhlt\n'));
    const vectors: number[] = [];
    m.cpu.interruptHook = (vector) => vectors.push(vector);
    m.run(10);
    expect(vectors[0]).toBe(6);
  });

  it('is reported in CPUID.1:ECX bit 30', () => {
    const m = run32('mov eax, 1\ncpuid');
    expect((m.cpu.reg32[ECX] >>> 30) & 1).toBe(1);
  });
});

describe('seededRandom', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const fromA = Array.from({ length: 8 }, () => a());
    expect(Array.from({ length: 8 }, () => b())).toEqual(fromA);
    expect(Array.from({ length: 8 }, () => c())).not.toEqual(fromA);
    for (const value of fromA) expect(Number.isInteger(value) && value >= 0 && value < 2 ** 32).toBe(true);
  });
});

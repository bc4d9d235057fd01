// Shifts, rotates and double shifts (SDM Vol. 2B: SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD).
import { describe, expect, it } from 'vitest';
import { FLAG_CF, FLAG_OF, FLAG_ZF } from '../../src/cpu/flags.ts';
import { run32 } from './harness.ts';

describe('shifts', () => {
  it('SHL by 1 sets CF from the top bit and OF = CF xor new top', () => {
    const m = run32('mov eax, 0xc0000001\nshl eax, 1');
    expect(m.cpu.reg32[0]).toBe(0x80000002 | 0);
    expect(m.cpu.eflags & (FLAG_CF | FLAG_OF)).toBe(FLAG_CF);
  });
  it('SHR and SAR by CL', () => {
    const m = run32('mov eax, 0x80000010\nmov ebx, eax\nmov cl, 4\nshr eax, cl\nsar ebx, cl');
    expect(m.cpu.reg32[0]).toBe(0x08000001);
    expect(m.cpu.reg32[3]).toBe(0xf8000001 | 0);
  });
  it('a count of zero changes neither operand nor flags', () => {
    const m = run32('mov ecx, 0\nstc\nmov eax, 7\nshl eax, cl');
    expect(m.cpu.reg32[0]).toBe(7);
    expect(m.cpu.eflags & FLAG_CF).toBe(FLAG_CF);
  });
  it('counts are masked to 5 bits', () => {
    expect(run32('mov eax, 1\nmov cl, 33\nshl eax, cl').cpu.reg32[0]).toBe(2);
  });
  it('ROL/ROR/RCL/RCR', () => {
    const m = run32('mov al, 0x81\nrol al, 1\nmov bl, 0x81\nror bl, 1\nclc\nmov cl, 0x80\nrcl cl, 1\nstc\nmov dl, 0\nrcr dl, 1');
    expect(m.cpu.reg8[0]).toBe(0x03);
    expect(m.cpu.getReg8(3)).toBe(0xc0);
    expect(m.cpu.getReg8(1)).toBe(0x00);
    expect(m.cpu.getReg8(2)).toBe(0x80);
  });
  it('SHLD and SHRD shift in bits from the other operand', () => {
    const m = run32('mov eax, 0x12345678\nmov ebx, 0x9abcdef0\nshld eax, ebx, 8\nmov ecx, 0x12345678\nshrd ecx, ebx, 8');
    expect(m.cpu.reg32[0]).toBe(0x3456789a);
    expect(m.cpu.reg32[1]).toBe(0xf0123456 | 0);
  });
  it('SHR to zero sets ZF', () => {
    expect(run32('mov eax, 1\nshr eax, 1').cpu.eflags & (FLAG_ZF | FLAG_CF)).toBe(FLAG_ZF | FLAG_CF);
  });
});

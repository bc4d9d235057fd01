// String instructions and their REP forms, in 32- and 16-bit addressing.
import { describe, expect, it } from 'vitest';
import { FLAG_ZF } from '../../src/cpu/flags.ts';
import { run16, run32 } from './harness.ts';

describe('string instructions', () => {
  it('REP MOVSD copies ECX dwords forward and leaves ECX zero', () => {
    const m = run32(`mov edi, 0x9000
mov eax, 0x11111111
mov ecx, 4
rep stosd
mov esi, 0x9000
mov edi, 0xa000
mov ecx, 4
rep movsd`);
    expect(m.memory.read32(0xa00c)).toBe(0x11111111);
    expect(m.cpu.reg32[1]).toBe(0);
    expect(m.cpu.reg32[7]).toBe(0xa010);
  });
  it('STD makes MOVSB run backwards', () => {
    const m = run32(`mov byte [0x9000], 'a'
mov byte [0x9001], 'b'
std
mov esi, 0x9001
mov edi, 0xa001
mov ecx, 2
rep movsb
cld`);
    expect(m.memory.read16(0xa000)).toBe(0x6261);
    expect(m.cpu.reg32[6]).toBe(0x8fff);
  });
  it('REPE CMPSB stops at the first difference; REPNE SCASB finds a byte', () => {
    const m = run32(`mov dword [0x9000], 'abcd'
mov dword [0xa000], 'abxd'
mov esi, 0x9000
mov edi, 0xa000
mov ecx, 4
repe cmpsb
mov ebx, ecx
mov edi, 0x9000
mov al, 'c'
mov ecx, 4
repne scasb`);
    expect(m.cpu.reg32[3]).toBe(1);
    expect(m.cpu.reg32[7]).toBe(0x9003);
    expect(m.cpu.eflags & FLAG_ZF).toBe(FLAG_ZF);
  });
  it('F2 repeats STOS like F3 (kernels write repne insl)', () => {
    const m = run32('mov edi, 0x9000\nmov eax, 0x01020304\nmov ecx, 3\nrepne stosd');
    expect(m.memory.read32(0x9008)).toBe(0x01020304);
    expect(m.cpu.reg32[1]).toBe(0);
  });
  it('LODSW and OUTSB through the port bus', () => {
    const m = run32(`mov dword [0x9000], 'hey!'
mov esi, 0x9000
mov dx, 0xe9
mov ecx, 4
rep outsb`);
    expect(m.text()).toBe('hey!');
  });
  it('16-bit addressing uses SI, DI and CX', () => {
    const m = run16(`xor ax, ax
mov es, ax
mov di, 0x9000
mov al, 0x5a
mov cx, 3
rep stosb`);
    expect(m.memory.read8(0x9002)).toBe(0x5a);
    expect(m.cpu.reg16[14]).toBe(0x9003);
  });
  it('a long REP STOSB is interruptible and still completes', () => {
    const m = run32('mov edi, 0x100000\nmov ecx, 100000\nmov al, 7\nrep stosb');
    expect(m.memory.read8(0x100000 + 99999)).toBe(7);
    expect(m.cpu.reg32[1]).toBe(0);
  });
});

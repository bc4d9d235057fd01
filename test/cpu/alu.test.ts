// Integer arithmetic and logic: results and the flags the SDM defines for them.
import { describe, expect, it } from 'vitest';
import { FLAG_AF, FLAG_CF, FLAG_OF, FLAG_PF, FLAG_SF, FLAG_ZF } from '../../src/cpu/flags.ts';
import { run32 } from './harness.ts';

const ARITH = FLAG_CF | FLAG_PF | FLAG_AF | FLAG_ZF | FLAG_SF | FLAG_OF;
const flagsOf = (body: string) => run32(body).cpu.eflags & ARITH;

describe('ADD/SUB/ADC/SBB/CMP', () => {
  it('ADD sets CF, OF, AF, ZF, PF, SF from the result', () => {
    expect(flagsOf('mov eax, 0x7fffffff\nadd eax, 1')).toBe(FLAG_OF | FLAG_SF | FLAG_AF | FLAG_PF);
    expect(flagsOf('mov eax, 0xffffffff\nadd eax, 1')).toBe(FLAG_CF | FLAG_ZF | FLAG_AF | FLAG_PF);
    expect(flagsOf('mov al, 0x0f\nadd al, 0x01')).toBe(FLAG_AF);
  });
  it('SUB and CMP borrow', () => {
    const m = run32('mov ebx, 3\nsub ebx, 5');
    expect(m.cpu.reg32[3]).toBe(-2);
    expect(m.cpu.eflags & ARITH).toBe(FLAG_CF | FLAG_SF | FLAG_AF);
    expect(flagsOf('mov eax, 0x80000000\ncmp eax, 1')).toBe(FLAG_OF | FLAG_AF | FLAG_PF);
  });
  it('ADC and SBB chain a 64-bit add and subtract', () => {
    const m = run32('mov eax, 0xffffffff\nmov edx, 1\nadd eax, 1\nadc edx, 0\nmov esi, 0\nmov edi, 1\nsub esi, 1\nsbb edi, 0');
    expect(m.cpu.reg32[0]).toBe(0);
    expect(m.cpu.reg32[2]).toBe(2);
    expect(m.cpu.reg32[6]).toBe(-1);
    expect(m.cpu.reg32[7]).toBe(0);
  });
  it('ADC with carry in sets CF when the sum wraps exactly', () => {
    expect(flagsOf('stc\nmov al, 0xff\nadc al, 0') & FLAG_CF).toBe(FLAG_CF);
    expect(flagsOf('stc\nmov al, 0\nsbb al, 0xff') & FLAG_CF).toBe(FLAG_CF);
  });
  it('INC and DEC leave CF alone', () => {
    expect(flagsOf('stc\nmov eax, 0xffffffff\ninc eax') & (FLAG_CF | FLAG_ZF)).toBe(FLAG_CF | FLAG_ZF);
    expect(flagsOf('clc\nmov cl, 0x80\ndec cl') & (FLAG_CF | FLAG_OF)).toBe(FLAG_OF);
  });
  it('NEG sets CF unless the operand is zero', () => {
    expect(flagsOf('mov eax, 5\nneg eax') & FLAG_CF).toBe(FLAG_CF);
    expect(flagsOf('xor eax, eax\nneg eax') & (FLAG_CF | FLAG_ZF)).toBe(FLAG_ZF);
  });
});

describe('logic', () => {
  it('AND/OR/XOR/TEST clear CF and OF', () => {
    expect(flagsOf('stc\nmov eax, 0xf0\nand eax, 0x0f')).toBe(FLAG_ZF | FLAG_PF);
    expect(flagsOf('mov eax, 0x80000000\nor eax, eax')).toBe(FLAG_SF | FLAG_PF);
    const m = run32('mov eax, 0x1234\nnot eax\nxor eax, 0xffff0000');
    expect(m.cpu.reg32[0]).toBe(0x0000edcb);
  });
});

describe('BCD', () => {
  it('DAA adjusts packed BCD after an add', () => {
    const m = run32('mov al, 0x79\nadd al, 0x35\ndaa');
    expect(m.cpu.reg8[0]).toBe(0x14);
    expect(m.cpu.eflags & FLAG_CF).toBe(FLAG_CF);
  });
  it('AAM divides AL by the immediate; AAM 0 is #DE', () => {
    const m = run32('mov al, 73\naam');
    expect(m.cpu.reg16[0]).toBe(0x0703);
  });
  it('AAD folds AH into AL', () => {
    expect(run32('mov ax, 0x0703\naad').cpu.reg16[0]).toBe(73);
  });
});

describe('data movement', () => {
  it('MOVZX, MOVSX, CBW/CWDE, CDQ, BSWAP, XCHG, LEA', () => {
    const m = run32(`mov bl, 0x80
movzx eax, bl
movsx ecx, bl
mov dx, 0x8000
cwde
mov esi, 0x11223344
bswap esi
lea edi, [esi + eax*2 + 4]
xchg ecx, ebp`);
    expect(m.cpu.reg32[0]).toBe(0x80);
    expect(m.cpu.reg32[5]).toBe(-128);
    expect(m.cpu.reg32[6]).toBe(0x44332211);
    expect(m.cpu.reg32[7]).toBe(0x44332211 + 0x100 + 4);
  });
  it('CMOVcc and SETcc follow the condition codes', () => {
    const m = run32('mov eax, 1\nmov ebx, 2\ncmp eax, ebx\ncmovl ecx, ebx\ncmovg edx, ebx\nsetb dl\nsetnz dh');
    expect(m.cpu.reg32[1]).toBe(2);
    expect(m.cpu.reg16[4]).toBe(0x0101);
  });
  it('XADD and CMPXCHG, CMPXCHG8B', () => {
    const m = run32(`mov dword [0x8000], 10
mov eax, 5
lock xadd [0x8000], eax
mov ecx, 99
mov eax, 15
lock cmpxchg [0x8000], ecx
mov ebx, [0x8000]
mov dword [0x8100], 1
mov dword [0x8104], 2
mov eax, 1
mov edx, 2
mov ebx, 0xaaaa
mov ecx, 0xbbbb
cmpxchg8b [0x8100]`);
    expect(m.memory.read32(0x8000)).toBe(99);
    expect(m.memory.read32(0x8100)).toBe(0xaaaa);
    expect(m.memory.read32(0x8104)).toBe(0xbbbb);
    expect(m.cpu.eflags & FLAG_ZF).toBe(FLAG_ZF);
  });
});

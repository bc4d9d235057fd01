// MUL, IMUL (one, two and three operands), DIV and IDIV, with #DE.
import { describe, expect, it } from 'vitest';
import { FLAG_CF, FLAG_OF } from '../../src/cpu/flags.ts';
import { run32 } from './harness.ts';

/** Install an IDT whose #DE handler records the vector in EBP and halts. */
const withDivideHandler = (body: string) => `
  lgdt [gdt_descriptor]
  lidt [idt_descriptor]
  mov eax, de_handler
  mov [idt], ax
  shr eax, 16
  mov [idt + 6], ax
  mov word [idt + 2], 0x08
  mov word [idt + 4], 0x8e00
  ${body}
  jmp done
de_handler:
  mov ebp, 0xde
  hlt
gdt: dq 0, 0x00cf9a000000ffff, 0x00cf92000000ffff
gdt_descriptor: dw 23
  dd gdt
idt: times 8 db 0
idt_descriptor: dw 7
  dd idt
done:`;

describe('multiply', () => {
  it('MUL r32 gives the 64-bit product in EDX:EAX and sets CF=OF when EDX is used', () => {
    const m = run32('mov eax, 0xffffffff\nmov ebx, 0xffffffff\nmul ebx');
    expect(m.cpu.reg32[0]).toBe(1);
    expect(m.cpu.reg32[2] >>> 0).toBe(0xfffffffe);
    expect(m.cpu.eflags & (FLAG_CF | FLAG_OF)).toBe(FLAG_CF | FLAG_OF);
  });
  it('IMUL r32 is signed', () => {
    const m = run32('mov eax, -3\nmov ebx, 7\nimul ebx');
    expect(m.cpu.reg32[0]).toBe(-21);
    expect(m.cpu.reg32[2]).toBe(-1);
    expect(m.cpu.eflags & FLAG_CF).toBe(0);
  });
  it('two- and three-operand IMUL truncate and flag overflow', () => {
    const m = run32('mov eax, 0x10000\nimul eax, eax\nmov ecx, 1000\nimul edx, ecx, -5');
    expect(m.cpu.reg32[0]).toBe(0);
    expect(m.cpu.reg32[2]).toBe(-5000);
  });
  it('8- and 16-bit forms', () => {
    const m = run32('mov al, 200\nmov bl, 2\nmul bl\nmov si, ax\nmov ax, 0x8000\nmov cx, 2\nimul cx');
    expect(m.cpu.reg16[12]).toBe(400);
    expect(m.cpu.reg16[0]).toBe(0);
    expect(m.cpu.reg16[4]).toBe(0xffff);
  });
});

describe('divide', () => {
  it('DIV r32 takes EDX:EAX', () => {
    const m = run32('mov edx, 1\nmov eax, 0\nmov ebx, 3\ndiv ebx');
    expect(m.cpu.reg32[0]).toBe(0x55555555);
    expect(m.cpu.reg32[2]).toBe(1);
  });
  it('IDIV truncates toward zero', () => {
    const m = run32('mov eax, -7\ncdq\nmov ebx, 2\nidiv ebx');
    expect(m.cpu.reg32[0]).toBe(-3);
    expect(m.cpu.reg32[2]).toBe(-1);
  });
  it('divide by zero is #DE and leaves the registers as they were', () => {
    const m = run32(withDivideHandler('mov eax, 1234\nxor edx, edx\nxor ecx, ecx\ndiv ecx'));
    expect(m.cpu.reg32[5]).toBe(0xde);
    expect(m.cpu.reg32[0]).toBe(1234);
  });
  it('a quotient that does not fit is #DE', () => {
    const m = run32(withDivideHandler('mov edx, 5\nmov eax, 0\nmov ecx, 2\ndiv ecx'));
    expect(m.cpu.reg32[5]).toBe(0xde);
  });
});

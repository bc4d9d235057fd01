// Control transfers: Jcc, LOOP, CALL/RET, ENTER/LEAVE, far transfers in real mode, INT and IRET.
import { describe, expect, it } from 'vitest';
import { run16, run32 } from './harness.ts';

describe('near control flow', () => {
  it('a counted loop with Jcc, CALL and RET', () => {
    const m = run32(`xor eax, eax
mov ecx, 10
again:
call add_two
dec ecx
jnz again
jmp finish
add_two:
add eax, 2
ret
finish:`);
    expect(m.cpu.reg32[0]).toBe(20);
  });
  it('LOOPE stops when ZF clears; JECXZ', () => {
    const m = run32(`mov ecx, 5
xor ebx, ebx
top:
inc ebx
cmp ebx, 3
loopne top
xor ecx, ecx
jecxz out
mov ebx, 99
out:`);
    expect(m.cpu.reg32[3]).toBe(3);
  });
  it('ENTER builds a frame and LEAVE tears it down', () => {
    const m = run32('mov ebp, 0x1234\nmov esi, esp\nenter 16, 0\nmov edi, esp\nleave');
    expect(m.cpu.reg32[5]).toBe(0x1234);
    expect(m.cpu.reg32[4]).toBe(m.cpu.reg32[6]);
    expect(m.cpu.reg32[6] - m.cpu.reg32[7]).toBe(20);
  });
  it('RET imm16 pops its arguments', () => {
    const m = run32('mov ebx, esp\npush 1\npush 2\ncall f\njmp e\nf: ret 8\ne:');
    expect(m.cpu.reg32[4]).toBe(m.cpu.reg32[3]);
  });
});

describe('real mode', () => {
  it('INT goes through the IVT and IRET comes back', () => {
    const m = run16(`xor ax, ax
mov ds, ax
mov word [0x80*4], handler
mov word [0x80*4+2], 0
mov bx, 1
int 0x80
inc bx
jmp short done
handler:
mov bx, 41
iret
done:`);
    expect(m.cpu.reg16[6]).toBe(42);
  });
  it('a far jump reloads CS', () => {
    const m = run16('jmp 0x0700:(target - 0x7000)\ntarget:\nmov ax, cs');
    expect(m.cpu.reg16[0]).toBe(0x0700);
  });
});

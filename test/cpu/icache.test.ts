// The decoded-instruction cache (src/cpu/icache.ts) stays true to memory:
// code that rewrites itself, in the page it runs from, the very next
// instruction, an instruction that straddles two pages, by string stores, and
// writes by DMA all run the new bytes, not what was decoded before. Each
// program runs its code once before changing it, so the old form is cached.
import { describe, expect, it } from 'vitest';
import { assemble, machine, run32 } from './harness.ts';

const EAX = 0, EBX = 3;

describe('self-modifying code', () => {
  it('sees a store into an instruction it has already run (same page)', () => {
    const m = run32(`
      xor ebx, ebx
      mov ecx, 3
    again:
    patch:
      mov eax, 1
      add ebx, eax
      inc byte [patch + 1]      ; the immediate: 1, then 2, then 3
      dec ecx
      jnz again`);
    expect(m.cpu.reg32[EBX]).toBe(6);
  });

  it('sees a store into the very next instruction', () => {
    const m = run32(`
      xor eax, eax
      mov bl, 0x90              ; first pass: NOP over NOP
      mov ecx, 2
    again:
      mov [next], bl
    next:
      nop                       ; second pass: INC EAX (0x40)
      mov bl, 0x40
      dec ecx
      jnz again`);
    expect(m.cpu.reg32[EAX]).toBe(1);
  });

  it('sees a store into the part of an instruction that lies on the next page', () => {
    // MOV EAX, imm32 at 0x7FFD: the opcode and two immediate bytes on one page, two on the next.
    const m = run32(`
      xor ebx, ebx
      mov ecx, 2
      jmp straddle
      times 0x7ffd - 0x7c00 - ($ - $$) db 0xcc
    straddle:
      mov eax, 0x01010101
      add ebx, eax
      mov byte [0x8001], 0x02   ; the immediate's top byte, on the second page
      dec ecx
      jnz straddle`);
    expect(m.cpu.reg32[EBX]).toBe(0x03020202);
  });

  it('sees instructions a REP MOVSB copies over code it has run', () => {
    const m = run32(`
      xor eax, eax
      mov edx, 2
    again:
      mov esi, replacement
      mov edi, slot
      mov ecx, 4
      cld
      rep movsb                 ; second pass copies the INC EAXs over the NOPs
    slot:
      nop
      nop
      nop
      nop
      mov dword [replacement], 0x40404040
      dec edx
      jnz again
      hlt
    replacement:
      dd 0x90909090`);
    expect(m.cpu.reg32[EAX]).toBe(4);
  });
});

/** Runs MOV EAX, 1 (its immediate at 0x7C06) twice, so the second pass comes from the cache, then halts. */
const LOOP_MOV_EAX_1 = 'bits 32\norg 0x7c00\nmov ecx, 2\nagain: mov eax, 1\nloop again\nhlt\n';

describe('writes from outside the CPU', () => {
  it('a DMA write into a code page replaces the instructions decoded there', () => {
    const m = machine(assemble(LOOP_MOV_EAX_1));
    m.run();
    expect(m.cpu.reg32[EAX]).toBe(1);
    // A bus master rewrites the immediate: the CPU must run the new bytes.
    m.memory.dmaView().write(0x7c06, new Uint8Array([7, 0, 0, 0]));
    m.cpu.eip = 0x7c00;
    m.cpu.halted = false;
    m.run();
    expect(m.cpu.reg32[EAX]).toBe(7);
  });

  it('a loader writing bytes with writeBytes does the same', () => {
    const m = machine(assemble(LOOP_MOV_EAX_1));
    m.run();
    m.memory.writeBytes(0x7c00, assemble(LOOP_MOV_EAX_1.replace('mov eax, 1', 'mov eax, 9')));
    m.cpu.eip = 0x7c00;
    m.cpu.halted = false;
    m.run();
    expect(m.cpu.reg32[EAX]).toBe(9);
  });
});

describe('fused compare and branch', () => {
  const LOOP = 'bits 32\norg 0x7c00\nmov ecx, 50\nxor eax, eax\nagain: add eax, ecx\ncmp ecx, 25\njne skip\nadd eax, 1000\nskip: dec ecx\njnz again\nhlt\n';

  it('retire as two instructions, even when a run ends between them', () => {
    const whole = machine(assemble(LOOP));
    const all = whole.run();
    const stepped = machine(assemble(LOOP));
    let count = 0;
    while (!stepped.cpu.halted) count += stepped.cpu.run(1);
    expect(count).toBe(all);
    expect(stepped.cpu.reg32[EAX]).toBe(whole.cpu.reg32[EAX]);
    expect(whole.cpu.reg32[EAX]).toBe(1275 + 1000);
    // Odd slices land between the compare and its branch at some point.
    const sliced = machine(assemble(LOOP));
    let slicedCount = 0;
    while (!sliced.cpu.halted) slicedCount += sliced.cpu.run(3);
    expect(slicedCount).toBe(all);
    expect(sliced.cpu.reg32[EAX]).toBe(whole.cpu.reg32[EAX]);
  });
});

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
  it('REP MOVSD into pages mapped out of order puts each page in its own frame', () => {
    // Paging on: the first 4 MiB identity-mapped, except linear 0x200000 and 0x201000, which map
    // to frames 0x301000 and 0x300000. Both destination pages are dirty and in the TLB before the
    // copy, so the copy sees two TLB entries that are not physically contiguous.
    const m = run32(
      `mov eax, 0x10000
mov cr3, eax
mov eax, cr0
or eax, 0x80000000
mov cr0, eax
mov [0x200000], eax
mov [0x201000], eax
mov eax, [0x100000]
mov eax, [0x101000]
mov esi, 0x100000
mov edi, 0x200000
mov ecx, 2048
rep movsd
mov eax, cr0
and eax, 0x7fffffff
mov cr0, eax`,
      ({ memory }) => {
        memory.write32(0x10000, 0x11000 | 3);
        for (let page = 0; page < 1024; page++) memory.write32(0x11000 + page * 4, (page << 12) | 3);
        memory.write32(0x11000 + 0x200 * 4, 0x301000 | 3);
        memory.write32(0x11000 + 0x201 * 4, 0x300000 | 3);
        for (let i = 0; i < 2048; i++) memory.write32(0x100000 + i * 4, i);
      },
    );
    expect(m.memory.read32(0x301000)).toBe(0);
    expect(m.memory.read32(0x301ffc)).toBe(1023);
    expect(m.memory.read32(0x300000)).toBe(1024);
    expect(m.memory.read32(0x300ffc)).toBe(2047);
    expect(m.memory.read32(0x302000)).toBe(0); // nothing past the first frame
    expect(m.cpu.reg32[1]).toBe(0);
  });
  it('a REP MOVSB over several pages replaces the code it has run on one of them', () => {
    // A routine at 0x20000 (MOV EAX, 1; RET) runs, then one REP MOVSB copies 24 KiB over pages
    // 0x1E000-0x23FFF whose TLB entries are all filled, bringing MOV EAX, 2; RET to 0x20000.
    const m = run32(
      `mov eax, [0x1e000]
mov [0x1e000], eax
mov [0x1f000], eax
mov [0x21000], eax
mov [0x22000], eax
mov [0x23000], eax
call 0x20000
mov ebx, eax
mov esi, 0x40000
mov edi, 0x1e000
mov ecx, 0x6000
cld
rep movsb
call 0x20000`,
      ({ memory }) => {
        memory.writeBytes(0x20000, new Uint8Array([0xb8, 1, 0, 0, 0, 0xc3]));
        for (let i = 0; i < 0x6000; i++) memory.write8(0x40000 + i, i * 7);
        memory.writeBytes(0x42000, new Uint8Array([0xb8, 2, 0, 0, 0, 0xc3]));
      },
    );
    expect(m.cpu.reg32[3]).toBe(1);
    expect(m.cpu.reg32[0]).toBe(2);
    expect(m.memory.read8(0x1e123)).toBe((0x123 * 7) & 0xff);
    expect(m.memory.read8(0x23fff)).toBe((0x5fff * 7) & 0xff);
  });
  it('a long REP STOSB is interruptible and still completes', () => {
    const m = run32('mov edi, 0x100000\nmov ecx, 100000\nmov al, 7\nrep stosb');
    expect(m.memory.read8(0x100000 + 99999)).toBe(7);
    expect(m.cpu.reg32[1]).toBe(0);
  });
});

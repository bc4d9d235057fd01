// Protected-mode system behaviour: GDT/IDT, gates with error codes, the ring
// 3 round trip through the TSS, paging faults with CR2, triple fault,
// external interrupts and the STI shadow.
import { describe, expect, it } from 'vitest';
import { assemble, machine, run32 } from './harness.ts';

/**
 * A tiny protected-mode kernel: GDT with ring-0 and ring-3 segments and a
 * TSS, an IDT whose every vector lands in a handler that records vector,
 * error code and the faulting EIP at 0x500 and halts. `body` runs at ring 0.
 */
function kernel(body: string, extra = ''): string {
  return `
  lgdt [gdt_descriptor]
  jmp 0x08:reload
reload:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov esp, 0x90000
  ; IDT: 32 interrupt gates to stubs that push their vector.
  mov ecx, 0
.fill:
  mov eax, ecx
  shl eax, 4
  add eax, stubs
  mov [idt + ecx*8], ax
  mov word [idt + ecx*8 + 2], 0x08
  mov word [idt + ecx*8 + 4], 0xee00
  shr eax, 16
  mov [idt + ecx*8 + 6], ax
  inc ecx
  cmp ecx, 64
  jne .fill
  lidt [idt_descriptor]
  ; TSS: ring-0 stack for interrupts from ring 3.
  mov dword [tss + 4], 0x80000
  mov dword [tss + 8], 0x10
  mov word [tss + 0x66], 104
  mov eax, tss
  mov [gdt + 0x28 + 2], ax
  shr eax, 16
  mov [gdt + 0x28 + 4], al
  mov [gdt + 0x28 + 7], ah
  mov ax, 0x28
  ltr ax
  ${body}
  hlt

; One 16-byte stub per vector pushes the vector number.
stubs:
%assign v 0
%rep 64
  push strict dword v
  jmp strict near handle_trap
  times 6 db 0x90
%assign v v+1
%endrep
handle_trap:
  mov ax, 0x10                ; the interrupted code may have left DS null or a user DS
  mov ds, ax
  pop eax
  mov [0x500], eax           ; vector
  cmp eax, 8
  je .code
  cmp eax, 10
  jb .nocode
  cmp eax, 14
  ja .nocode
.code:
  pop ebx
  mov [0x504], ebx           ; error code
.nocode:
  pop ecx
  mov [0x508], ecx           ; EIP of the fault / return address
  pop ecx
  mov [0x50c], ecx           ; CS
  mov eax, cr2
  mov [0x510], eax
  hlt

${extra}

align 8
gdt:
  dq 0
  dq 0x00cf9a000000ffff      ; 0x08 ring-0 code
  dq 0x00cf92000000ffff      ; 0x10 ring-0 data
  dq 0x00cffa000000ffff      ; 0x18 ring-3 code
  dq 0x00cff2000000ffff      ; 0x20 ring-3 data
  dq 0x0000890000000067      ; 0x28 TSS (base patched)
  dq 0x0040920000000fff      ; 0x30 data, limit 0xfff bytes
gdt_end:
gdt_descriptor: dw gdt_end - gdt - 1
  dd gdt
align 8
idt: times 64*8 db 0
idt_descriptor: dw 64*8 - 1
  dd idt
tss: times 104 db 0
`;
}

function runKernel(body: string, extra = '') {
  return run32(kernel(body, extra));
}

describe('exceptions in protected mode', () => {
  it('UD2 raises #UD at the instruction', () => {
    const m = runKernel('here: ud2');
    expect(m.memory.read32(0x500)).toBe(6);
  });
  it('loading a selector beyond the GDT limit is #GP(selector)', () => {
    const m = runKernel('mov ax, 0x80\nmov ds, ax');
    expect(m.memory.read32(0x500)).toBe(13);
    expect(m.memory.read32(0x504)).toBe(0x80);
  });
  it('a read past a segment limit is #GP(0)', () => {
    const m = runKernel('mov ax, 0x30\nmov fs, ax\nmov eax, [fs:0xffe]');
    expect(m.memory.read32(0x500)).toBe(13);
    expect(m.memory.read32(0x504)).toBe(0);
  });
  it('INT3 is a trap: the saved EIP follows it', () => {
    const m = runKernel('int3\nafter:', '');
    expect(m.memory.read32(0x500)).toBe(3);
  });
  it('a not-present page is #PF with CR2 and error code 2 for a write', () => {
    const m = runKernel(`
  ; identity-map the first 4 MiB with one 4 MiB page via PSE, then unmap 4-8 MiB (absent PDE)
  mov eax, cr4
  or eax, 0x10
  mov cr4, eax
  mov dword [0x20000], 0x83     ; PDE 0: 4 MiB page, present, writable
  mov eax, 0x20000
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  mov dword [0x400010], 1`);
    expect(m.memory.read32(0x500)).toBe(14);
    expect(m.memory.read32(0x504)).toBe(2);
    expect(m.memory.read32(0x510)).toBe(0x400010);
  });
});

describe('privilege levels', () => {
  it('IRET to ring 3, then INT back through the TSS stack; ring 3 CLI is #GP(0)', () => {
    const m = runKernel(`
  push dword 0x23
  push dword 0x70000
  push dword 0x202
  push dword 0x1b
  push dword user
  iretd`, `
user:
  mov ax, 0x23
  mov ds, ax
  mov dword [0x600], 0xabcd
  cli`);
    expect(m.memory.read32(0x600)).toBe(0xabcd);
    expect(m.memory.read32(0x500)).toBe(13);
    expect(m.memory.read32(0x504)).toBe(0);
    expect(m.memory.read32(0x50c)).toBe(0x1b);
    // The handler ran on the TSS's ring-0 stack: it popped vector, error code, EIP and CS,
    // leaving EFLAGS, ESP and SS of the six-dword frame.
    expect(m.cpu.reg32[4]).toBe(0x80000 - 12);
    expect(m.cpu.cpl).toBe(0);
  });
  it('a DPL 0 gate cannot be reached by INT from ring 3: #GP(vector*8+2)', () => {
    const m = runKernel(`
  mov word [idt + 0x21*8 + 4], 0x8e00
  push dword 0x23
  push dword 0x70000
  push dword 0x202
  push dword 0x1b
  push dword user
  iretd`, `
user:
  int 0x21`);
    expect(m.memory.read32(0x500)).toBe(13);
    expect(m.memory.read32(0x504)).toBe(0x21 * 8 + 2);
  });
});

describe('interrupts and faults at the machine level', () => {
  it('an external interrupt waits for STI plus one instruction', () => {
    const m = machine(
      assemble(`bits 32\norg 0x7c00\n${kernel(`
  mov dword [0x520], after_one
  mov ebx, 0
  sti
  mov ebx, 1
after_one:
  mov ebx, 2`)}`),
    );
    m.raiseInterrupt(0x20); // pending from the start, but IF = 0 until STI
    m.run(100_000);
    expect(m.memory.read32(0x500)).toBe(0x20);
    expect(m.memory.read32(0x508)).toBe(m.memory.read32(0x520));
  });
  it('a fault with no usable IDT escalates to a triple fault and stops the CPU', () => {
    let triple = 0;
    const m = machine(assemble('bits 32\norg 0x7c00\nlidt [d]\nud2\nd: dw 0\ndd 0\n'));
    m.cpu.onTripleFault = () => triple++;
    m.run(100);
    expect(triple).toBe(1);
    expect(m.cpu.shutdown).toBe(true);
  });
  it('HLT stops run() and an interrupt wakes the CPU', () => {
    const m = machine(assemble('bits 32\norg 0x7c00\nhlt\nmov eax, 7\nhlt'));
    expect(m.run(100)).toBe(1);
    expect(m.cpu.halted).toBe(true);
    m.cpu.halted = false;
    m.run(100);
    expect(m.cpu.reg32[0]).toBe(7);
  });
});

// Hardware task switching (src/cpu/task.ts): JMP to a TSS and back, CALL
// through a task gate and IRET with NT, exceptions and external interrupts
// through IDT task gates with the error code on the new task's stack, the
// busy-bit and error-code cases of SDM Vol. 3A table 7-1, CR3 per task, a
// 16-bit TSS and the TSS debug trap.
import { describe, expect, it } from 'vitest';
import { CR0_TS } from '../../src/cpu/cpu.ts';
import { assemble, machine, type TestMachine } from './harness.ts';

const TSS_MAIN = 0x20000;
const TSS_A = 0x20100;
const TSS_B = 0x20200;
const TSS_16 = 0x20300;
const SEL_TSS_MAIN = 0x28;
const SEL_TSS_A = 0x30;
const SEL_TSS_B = 0x38;
const SEL_GATE_A = 0x40;
const SEL_TSS_SHORT = 0x48;
const SEL_TSS_16 = 0x50;
const SEL_TSS_ABSENT = 0x58;
const SEL_GATE_B_USER = 0x60;
const SEL_LDT = 0x68;

/** What the IDT's interrupt-gate stubs record: vector, error code, EIP, CS, TR. */
const TRAP = { vector: 0x500, errorCode: 0x504, eip: 0x508, cs: 0x50c, tr: 0x510 };

/**
 * A ring-0 kernel with three 32-bit TSSs (main, loaded by LTR; A and B, set
 * up by `init_tss` from EIP in EAX and ESP in EDX), a 16-bit TSS, task gates,
 * and an IDT whose 64 vectors are interrupt gates to stubs that record what
 * TRAP lists and halt. `body` runs in the main task.
 */
function taskKernel(body: string, extra = ''): string {
  return `
TSS_MAIN equ 0x${TSS_MAIN.toString(16)}
TSS_A equ 0x${TSS_A.toString(16)}
TSS_B equ 0x${TSS_B.toString(16)}
TSS_16 equ 0x${TSS_16.toString(16)}
  lgdt [gdt_descriptor]
  jmp 0x08:reload
reload:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov fs, ax
  mov gs, ax
  mov ss, ax
  mov esp, 0x90000
  mov ecx, 0
.fill:
  mov eax, ecx
  shl eax, 4
  add eax, stubs
  mov [idt + ecx*8], ax
  mov word [idt + ecx*8 + 2], 0x08
  mov word [idt + ecx*8 + 4], 0x8e00
  shr eax, 16
  mov [idt + ecx*8 + 6], ax
  inc ecx
  cmp ecx, 64
  jne .fill
  lidt [idt_descriptor]
  mov edi, TSS_MAIN
  xor eax, eax
  xor edx, edx
  call init_tss
  mov edi, TSS_A
  mov eax, task_a_body
  mov edx, 0x70000
  call init_tss
  mov edi, TSS_B
  mov eax, task_b_body
  mov edx, 0x60000
  call init_tss
  mov ax, 0x${SEL_TSS_MAIN.toString(16)}
  ltr ax
  xor eax, eax
  xor edx, edx
  ${body}
  hlt

; edi = TSS, eax = EIP, edx = ESP: a ring-0 task with flat segments, IF clear.
init_tss:
  push eax
  push edi
  mov ecx, 0x68 / 4
  xor eax, eax
  rep stosd
  pop edi
  pop eax
  mov [edi + 0x20], eax
  mov dword [edi + 0x24], 2
  mov [edi + 0x38], edx
  mov dword [edi + 0x48], 0x10
  mov dword [edi + 0x4c], 0x08
  mov dword [edi + 0x50], 0x10
  mov dword [edi + 0x54], 0x10
  mov dword [edi + 0x58], 0x10
  mov dword [edi + 0x5c], 0x10
  mov word [edi + 0x66], 0x68
  ret

; edi = IDT entry, ax = TSS selector: a DPL 0 task gate.
set_task_gate:
  mov dword [edi], 0
  mov [edi + 2], ax
  mov dword [edi + 4], 0x8500
  ret

stubs:
%assign v 0
%rep 64
  push strict dword v
  jmp strict near handle_trap
  times 6 db 0x90
%assign v v+1
%endrep
handle_trap:
  mov ax, 0x10
  mov ds, ax
  pop eax
  mov [${TRAP.vector}], eax
  cmp eax, 8
  je .code
  cmp eax, 10
  jb .nocode
  cmp eax, 14
  ja .nocode
.code:
  pop ebx
  mov [${TRAP.errorCode}], ebx
.nocode:
  pop ecx
  mov [${TRAP.eip}], ecx
  pop ecx
  mov [${TRAP.cs}], ecx
  str ax
  movzx eax, ax
  mov [${TRAP.tr}], eax
  hlt

${extra.includes('task_a_body:') ? '' : 'task_a_body: hlt'}
${extra.includes('task_b_body:') ? '' : 'task_b_body: hlt'}
${extra}

%macro SYSTEM_DESCRIPTOR 3   ; base (below 16 MiB), limit (below 64 KiB), access byte
  dw %2, (%1) & 0xffff
  db ((%1) >> 16) & 0xff, %3, 0, 0
%endmacro
%macro GATE 2                ; TSS selector, access byte
  dw 0, %1
  db 0, %2
  dw 0
%endmacro

align 8
gdt:
  dq 0
  dq 0x00cf9a000000ffff      ; 0x08 ring-0 code
  dq 0x00cf92000000ffff      ; 0x10 ring-0 data
  dq 0x00cffa000000ffff      ; 0x18 ring-3 code
  dq 0x00cff2000000ffff      ; 0x20 ring-3 data
  SYSTEM_DESCRIPTOR TSS_MAIN, 0x67, 0x89   ; 0x28
  SYSTEM_DESCRIPTOR TSS_A, 0x67, 0x89      ; 0x30
  SYSTEM_DESCRIPTOR TSS_B, 0x67, 0x89      ; 0x38
  GATE 0x30, 0x85                          ; 0x40 task gate to A
  SYSTEM_DESCRIPTOR TSS_B, 0x66, 0x89      ; 0x48 limit one byte short
  SYSTEM_DESCRIPTOR TSS_16, 0x2b, 0x81     ; 0x50 16-bit TSS
  SYSTEM_DESCRIPTOR TSS_A, 0x67, 0x09      ; 0x58 not present
  GATE 0x38, 0xe5                          ; 0x60 DPL 3 task gate to B
  SYSTEM_DESCRIPTOR ldt - $$ + 0x7c00, 0x0f, 0x82 ; 0x68 LDT
  dq 0x00cf12000000ffff      ; 0x70 data, not present
gdt_end:
gdt_descriptor: dw gdt_end - gdt - 1
  dd gdt
align 8
ldt:
  dq 0
  dq 0x00cf92000000ffff      ; 0x0c: LDT data, ring 0
align 8
idt: times 64*8 db 0
idt_descriptor: dw 64*8 - 1
  dd idt
`;
}

function runTasks(body: string, extra = '', setup?: (m: TestMachine) => void, memoryBytes = 4 << 20): TestMachine {
  const m = machine(assemble(`bits 32\norg 0x7c00\n${taskKernel(body, extra)}\nhlt\n`), 0x7c00, 'flat', memoryBytes);
  setup?.(m);
  m.run();
  return m;
}

/** The type nibble of the GDT descriptor `selector` names (the GDT as the CPU's GDTR locates it). */
function descriptorType(m: TestMachine, selector: number): number {
  return (m.memory.read32((m.cpu.gdtrBase >>> 0) + selector + 4) >>> 8) & 0xf;
}

describe('JMP to a TSS', () => {
  it('switches to the task and back, saving and restoring the registers', () => {
    const m = runTasks(
      `
  mov eax, 0x1111
  mov ebx, 0x2222
  mov esi, 0x3333
  jmp 0x30:0
back:
  mov [0x61c], eax`,
      `
task_a_body:
  mov [0x600], eax             ; 0: from task A's TSS
  mov [0x604], esp
  str ax
  mov [0x608], ax
  pushfd
  pop dword [0x60c]
  mov eax, 0xaaaa
  jmp 0x28:0
  hlt`,
    );
    expect(m.memory.read32(0x600)).toBe(0);
    expect(m.memory.read32(0x604)).toBe(0x70000);
    expect(m.memory.read32(0x608) & 0xffff).toBe(SEL_TSS_A);
    expect(m.memory.read32(0x60c) & (1 << 14)).toBe(0); // JMP does not nest
    expect(m.memory.read32(0x61c)).toBe(0x1111);
    expect(m.cpu.reg32[3]).toBe(0x2222);
    expect(m.cpu.reg32[6]).toBe(0x3333);
    expect(m.cpu.trSelector).toBe(SEL_TSS_MAIN);
    // JMP clears the old task's busy bit and sets the new one's.
    expect(descriptorType(m, SEL_TSS_MAIN)).toBe(11);
    expect(descriptorType(m, SEL_TSS_A)).toBe(9);
    // Task A's state was saved at its JMP: EAX and the EIP after the JMP.
    expect(m.memory.read32(TSS_A + 0x28)).toBe(0xaaaa);
    expect(m.memory.read32(TSS_A + 0x00)).toBe(0); // no back-link
    expect(m.cpu.cr0 & CR0_TS).toBe(CR0_TS);
  });

  it('a busy TSS is #GP(selector), and nothing is saved', () => {
    const m = runTasks('mov ecx, 0x77\njmp 0x28:0');
    expect(m.memory.read32(TRAP.vector)).toBe(13);
    expect(m.memory.read32(TRAP.errorCode)).toBe(SEL_TSS_MAIN);
    expect(m.memory.read32(TSS_MAIN + 0x2c)).toBe(0);
    expect(m.cpu.cr0 & CR0_TS).toBe(0);
  });

  it('a TSS limit below 0x67 is #TS(selector)', () => {
    const m = runTasks('jmp 0x48:0');
    expect(m.memory.read32(TRAP.vector)).toBe(10);
    expect(m.memory.read32(TRAP.errorCode)).toBe(SEL_TSS_SHORT);
    expect(m.cpu.trSelector).toBe(SEL_TSS_MAIN);
  });

  it('a not-present TSS is #NP(selector)', () => {
    const m = runTasks('jmp 0x58:0');
    expect(m.memory.read32(TRAP.vector)).toBe(11);
    expect(m.memory.read32(TRAP.errorCode)).toBe(SEL_TSS_ABSENT);
  });

  it('an RPL above the TSS DPL is #GP(selector)', () => {
    const m = runTasks('jmp 0x33:0');
    expect(m.memory.read32(TRAP.vector)).toBe(13);
    expect(m.memory.read32(TRAP.errorCode)).toBe(SEL_TSS_A);
  });

  it('a bad DS in the new TSS is #TS(DS) in the new task, after the commit', () => {
    const m = runTasks('mov dword [TSS_A + 0x54], 0x80\njmp 0x30:0');
    expect(m.memory.read32(TRAP.vector)).toBe(10);
    expect(m.memory.read32(TRAP.errorCode)).toBe(0x80);
    expect(m.memory.read32(TRAP.tr)).toBe(SEL_TSS_A);
    // The fault points at the new task's first instruction and its frame is on the new task's stack.
    expect(m.memory.read32(TRAP.eip)).toBe(m.memory.read32(TSS_A + 0x20));
    expect(m.cpu.reg32[4]).toBe(0x70000 - 4);
  });

  it('a not-present ES in the new TSS is #NP(ES); an LDT selector in the TSS is loaded', () => {
    const m = runTasks(
      `
  mov dword [TSS_A + 0x60], 0x68
  mov dword [TSS_A + 0x58], 0x0c     ; FS from the LDT
  mov dword [TSS_A + 0x48], 0x70     ; ES not present
  jmp 0x30:0`,
    );
    expect(m.memory.read32(TRAP.vector)).toBe(11);
    expect(m.memory.read32(TRAP.errorCode)).toBe(0x70);
    expect(m.cpu.ldtrSelector).toBe(SEL_LDT);
  });

  it('an LDT selector that names no LDT is #TS(LDT)', () => {
    const m = runTasks('mov dword [TSS_A + 0x60], 0x10\njmp 0x30:0');
    expect(m.memory.read32(TRAP.vector)).toBe(10);
    expect(m.memory.read32(TRAP.errorCode)).toBe(0x10);
  });
});

describe('CALL through a task gate and IRET', () => {
  it('nests: NT and back-link set, the caller stays busy, IRET returns and re-entry resumes after the IRET', () => {
    const m = runTasks(
      `
  mov ebx, 0x5555
  call 0x40:0
  pushfd
  pop dword [0x610]
  call 0x40:0
  mov [0x614], ebx`,
      `
task_a_body:
  pushfd
  pop dword [0x600]
  mov ax, [TSS_A]
  mov [0x604], ax
  movzx eax, byte [gdt + 0x28 + 5]
  mov [0x608], eax
  inc dword [0x60c]
  iretd
  jmp task_a_body`,
    );
    expect(m.memory.read32(0x600) & (1 << 14)).toBe(1 << 14); // NT in the called task
    expect(m.memory.read32(0x604) & 0xffff).toBe(SEL_TSS_MAIN); // back-link
    expect(m.memory.read32(0x608) & 0xf).toBe(11); // the caller is still busy
    expect(m.memory.read32(0x60c)).toBe(2); // entered twice
    expect(m.memory.read32(0x610) & (1 << 14)).toBe(0); // the caller's NT is clear
    expect(m.memory.read32(0x614)).toBe(0x5555);
    expect(descriptorType(m, SEL_TSS_A)).toBe(9); // IRET left the called task available
    expect(m.memory.read32(TSS_A + 0x24) & (1 << 14)).toBe(0); // and saved its EFLAGS with NT clear
    expect(m.cpu.trSelector).toBe(SEL_TSS_MAIN);
  });

  it('a task gate to a busy TSS is #GP(TSS selector)', () => {
    const m = runTasks('mov word [gdt + 0x40 + 2], 0x28\ncall 0x40:0');
    expect(m.memory.read32(TRAP.vector)).toBe(13);
    expect(m.memory.read32(TRAP.errorCode)).toBe(SEL_TSS_MAIN);
  });

  it('a task gate to a TSS selector in the LDT is #GP(TSS selector)', () => {
    const m = runTasks('mov word [gdt + 0x40 + 2], 0x34\ncall 0x40:0');
    expect(m.memory.read32(TRAP.vector)).toBe(13);
    expect(m.memory.read32(TRAP.errorCode)).toBe(0x34);
  });

  it('CALL straight to a TSS nests the same way', () => {
    const m = runTasks('call 0x30:0\nmov [0x610], eax', `
task_a_body:
  mov ax, [TSS_A]
  mov [0x600], ax
  mov eax, 0x1234
  iretd`);
    expect(m.memory.read32(0x600) & 0xffff).toBe(SEL_TSS_MAIN);
    expect(m.memory.read32(0x610)).toBe(0); // the caller's EAX, restored from its TSS
  });

  it('IRET with NT whose back-link names an available TSS is #TS(back-link)', () => {
    const m = runTasks(`
  mov word [TSS_MAIN], 0x30
  pushfd
  or dword [esp], 1 << 14
  popfd
  iretd`);
    expect(m.memory.read32(TRAP.vector)).toBe(10);
    expect(m.memory.read32(TRAP.errorCode)).toBe(SEL_TSS_A);
  });
});

describe('interrupts and exceptions through IDT task gates', () => {
  it('#GP switches to the handler task with the error code on its stack', () => {
    const m = runTasks(
      `
  lea edi, [idt + 13*8]
  mov ax, 0x38
  call set_task_gate
  mov ecx, 0xc0de
fault:
  mov ax, 0x80
  mov ds, ax`,
      `
task_b_body:
  pop eax
  mov [0x620], eax               ; error code
  mov [0x624], esp
  mov ax, [TSS_B]
  mov [0x628], ax                ; back-link
  mov eax, [TSS_MAIN + 0x20]
  mov [0x62c], eax               ; where the faulting task resumes
  mov eax, [TSS_MAIN + 0x2c]
  mov [0x630], eax               ; its ECX
  mov dword [0x634], fault
  hlt`,
    );
    expect(m.memory.read32(0x620)).toBe(0x80);
    expect(m.memory.read32(0x624)).toBe(0x60000);
    expect(m.memory.read32(0x628) & 0xffff).toBe(SEL_TSS_MAIN);
    expect(m.memory.read32(0x62c)).toBe(m.memory.read32(0x634) + 4); // the MOV DS after MOV AX
    expect(m.memory.read32(0x630)).toBe(0xc0de);
    expect(m.cpu.trSelector).toBe(SEL_TSS_B);
  });

  it('#DF through a task gate, as i386 Linux handles it, pushes error code 0', () => {
    const m = runTasks(
      `
  lea edi, [idt + 8*8]
  mov ax, 0x38
  call set_task_gate
  mov word [idt + 0*8 + 2], 0x80 ; #DE's gate names a selector past the GDT: #GP while delivering #DE
  xor ecx, ecx
  div ecx`,
      `
task_b_body:
  pop eax
  mov [0x620], eax
  mov [0x624], esp
  hlt`,
      (m) => m.memory.write32(0x620, 0xffffffff),
    );
    expect(m.memory.read32(0x620)).toBe(0);
    expect(m.memory.read32(0x624)).toBe(0x60000);
    expect(m.cpu.trSelector).toBe(SEL_TSS_B);
  });

  it('INT n through a task gate nests, and IRET returns after the INT', () => {
    const m = runTasks(
      `
  lea edi, [idt + 0x30*8]
  mov ax, 0x30
  call set_task_gate
  int 0x30
  mov [0x610], eax`,
      `
task_a_body:
  inc dword [0x600]
  mov dword [0x604], after_iret
  iretd
after_iret:`,
    );
    expect(m.memory.read32(0x600)).toBe(1);
    expect(m.memory.read32(0x610)).toBe(0x30); // the caller's EAX, restored from its TSS
    expect(m.memory.read32(TSS_A + 0x20)).toBe(m.memory.read32(0x604)); // the IRET saved the EIP after it
    expect(m.cpu.trSelector).toBe(SEL_TSS_MAIN);
  });

  it('INT n through a task gate whose TSS has a bad DS: #TS(DS) in the new task, at its first instruction', () => {
    const m = runTasks(`
  lea edi, [idt + 0x30*8]
  mov ax, 0x30
  call set_task_gate
  mov dword [TSS_A + 0x54], 0x80
  int 0x30`);
    expect(m.memory.read32(TRAP.vector)).toBe(10);
    expect(m.memory.read32(TRAP.errorCode)).toBe(0x80);
    expect(m.memory.read32(TRAP.tr)).toBe(SEL_TSS_A);
    expect(m.memory.read32(TRAP.eip)).toBe(m.memory.read32(TSS_A + 0x20));
    expect(m.cpu.reg32[4]).toBe(0x70000 - 4);
  });

  it('INT n from ring 3 obeys the task gate DPL', () => {
    const m = runTasks(
      `
  lea edi, [idt + 0x30*8]
  mov ax, 0x30
  call set_task_gate
  mov dword [TSS_MAIN + 4], 0x80000
  mov dword [TSS_MAIN + 8], 0x10
  push dword 0x23
  push dword 0x50000
  push dword 2
  push dword 0x1b
  push dword user
  iretd`,
      `
user:
  int 0x30`,
    );
    expect(m.memory.read32(TRAP.vector)).toBe(13);
    expect(m.memory.read32(TRAP.errorCode)).toBe(0x30 * 8 + 2);
  });

  it('an external interrupt through a task gate runs the task and IRET resumes the interrupted code', () => {
    const m = machine(
      assemble(`bits 32\norg 0x7c00\n${taskKernel(`
  lea edi, [idt + 0x20*8]
  mov ax, 0x30
  call set_task_gate
  mov ebx, 0
  sti
  mov ebx, 1
  mov ebx, 2
  cli`, `
task_a_body:
  mov eax, [TSS_MAIN + 0x20]
  mov [0x600], eax
  iretd`)}\nhlt\n`),
    );
    m.raiseInterrupt(0x20);
    m.run(100_000);
    expect(m.memory.read32(0x600)).not.toBe(0);
    expect(m.cpu.reg32[3]).toBe(2);
    expect(m.cpu.trSelector).toBe(SEL_TSS_MAIN);
  });

  it('an external interrupt through a task gate to a busy TSS is #GP(selector + EXT) at the interrupted instruction', () => {
    const m = machine(
      assemble(`bits 32\norg 0x7c00\n${taskKernel(`
  lea edi, [idt + 0x20*8]
  mov ax, 0x28
  call set_task_gate
  mov dword [0x640], interrupted
  sti
  nop
interrupted:
  mov ebx, 2`)}\nhlt\n`),
    );
    m.raiseInterrupt(0x20);
    m.run(100_000);
    expect(m.memory.read32(TRAP.vector)).toBe(13);
    expect(m.memory.read32(TRAP.errorCode)).toBe(SEL_TSS_MAIN | 1);
    expect(m.memory.read32(TRAP.eip)).toBe(m.memory.read32(0x640));
  });
});

describe('the new task\'s address space and formats', () => {
  it('loads CR3 from the TSS with paging on, flushing the old translations', () => {
    // Both directories identity-map 0-4 MiB; linear 4 MiB maps to physical 4 MiB for main, 8 MiB for task B.
    const m = runTasks(
      `
  mov eax, cr4
  or eax, 0x10
  mov cr4, eax
  mov dword [0x30000], 0x83
  mov dword [0x30004], 0x400083
  mov dword [0x31000], 0x83
  mov dword [0x31004], 0x800083
  mov dword [TSS_B + 0x1c], 0x31000
  mov dword [TSS_MAIN + 0x1c], 0x30000  ; main's own CR3: a switch loads it, never saves it
  mov dword [0x400000], 0x4444
  mov eax, 0x30000
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  mov eax, [0x400000]            ; main's translation is now in the TLB
  mov [0x640], eax
  jmp 0x38:0
  mov eax, [0x400000]
  mov [0x644], eax
  mov eax, cr3
  mov [0x648], eax`,
      `
task_b_body:
  mov dword [0x400000], 0xbbbb
  mov eax, cr3
  mov [0x64c], eax
  jmp 0x28:0`,
      undefined,
      16 << 20,
    );
    expect(m.memory.read32(0x640)).toBe(0x4444);
    expect(m.memory.read32(0x64c)).toBe(0x31000);
    expect(m.memory.read32(0x800000)).toBe(0xbbbb);
    expect(m.memory.read32(0x644)).toBe(0x4444);
    expect(m.memory.read32(0x648)).toBe(0x30000);
  });

  it('a 16-bit TSS: JMP saves and loads 16-bit fields and leaves the upper register halves', () => {
    const m = runTasks(
      `
  mov edi, TSS_16
  mov ecx, 0x2c
  xor al, al
  rep stosb
  mov word [TSS_16 + 0x0e], task16
  mov word [TSS_16 + 0x10], 0x0002
  mov word [TSS_16 + 0x12], 0x1616        ; AX
  mov word [TSS_16 + 0x1a], 0x7000        ; SP
  mov word [TSS_16 + 0x22], 0x10          ; ES
  mov word [TSS_16 + 0x24], 0x08          ; CS
  mov word [TSS_16 + 0x26], 0x10          ; SS
  mov word [TSS_16 + 0x28], 0x10          ; DS
  mov eax, 0xabcd0000
  jmp 0x50:0
  mov [0x614], eax`,
      `
task16:
  mov [0x600], eax
  mov [0x604], esp
  mov ax, fs
  mov [0x608], ax
  mov eax, 0x99990000 + 0x1717
  jmp 0x28:0`,
    );
    expect(m.memory.read32(0x600)).toBe(0xabcd1616);
    expect(m.memory.read32(0x604) & 0xffff).toBe(0x7000);
    expect(m.memory.read32(0x608) & 0xffff).toBe(0);
    expect(m.memory.read16(TSS_16 + 0x12)).toBe(0x1717); // AX saved as 16 bits
    expect(m.memory.read32(TSS_16 + 0x0e) & 0xffff).not.toBe(0); // IP after the JMP
    expect(m.memory.read32(0x614)).toBe(0xabcd0000);
  });

  it('the TSS debug trap flag raises #DB before the new task\'s first instruction', () => {
    const m = runTasks('mov word [TSS_A + 0x64], 1\njmp 0x30:0');
    expect(m.memory.read32(TRAP.vector)).toBe(1);
    expect(m.memory.read32(TRAP.eip)).toBe(m.memory.read32(TSS_A + 0x20));
    expect(m.memory.read32(TRAP.tr)).toBe(SEL_TSS_A);
    expect(m.cpu.dr[6] & (1 << 15)).toBe(1 << 15);
  });
});

// The allocation-free paths of src/cpu/gates.ts against the general ones in
// system.ts: the same program, run with Cpu.fastGates on and off, must pass
// through exactly the same states, instruction by instruction and at the end;
// and the fast paths must really take the common cases (and only those).
import { describe, expect, it } from 'vitest';
import { ESP } from '../../src/cpu/cpu.ts';
import { fastDeliver, fastInterruptReturn } from '../../src/cpu/gates.ts';
import { assemble, machine, type TestMachine } from './harness.ts';

const COUNT = 0x600;
const SUM = 0x604;
const GP_SKIP = 0x608;
const GP_CODES = 0x610; // two error codes
const GP_INDEX = 0x618;
const TRAP_FLAGS = 0x61c;
const DB_COUNT = 0x620;
const EXT_COUNT = 0x624;
const RING0_COUNT = 0x628;
const COUNT16 = 0x62c;
const USER_DS = 0x630;
const DONE = 0x634;
const USER_FLAGS = 0x638;

/**
 * A kernel with handlers that return by IRET: INT 0x30 (DPL 3 interrupt
 * gate), 0x31 (DPL 3 trap gate), 0x32 (ring 0), 0x33 (exit), 0x34 (a 16-bit
 * interrupt gate), #GP (skips the faulting instruction), #DB (clears TF),
 * 0x40 (an external interrupt). It runs same-ring interrupts and faults,
 * then IRETs to ring 3 with a ring-0 DS (which must become null), where it
 * makes system calls, a fault with an error code, single-steps and IRETs
 * within ring 3.
 */
const PROGRAM = `
bits 32
org 0x7c00
  lgdt [gdt_descriptor]
  jmp 0x08:reload
reload:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov esp, 0x90000
  mov eax, syscall
  mov ebx, 0x30
  mov edx, 0xee00
  call set_gate
  mov eax, trapgate
  mov ebx, 0x31
  mov edx, 0xef00
  call set_gate
  mov eax, ring0int
  mov ebx, 0x32
  mov edx, 0x8e00
  call set_gate
  mov eax, leave_user
  mov ebx, 0x33
  mov edx, 0xee00
  call set_gate
  mov eax, handler16
  mov ebx, 0x34
  mov edx, 0x8600
  call set_gate
  mov eax, gp
  mov ebx, 13
  mov edx, 0x8e00
  call set_gate
  mov eax, debug
  mov ebx, 1
  mov edx, 0x8e00
  call set_gate
  mov eax, external
  mov ebx, 0x40
  mov edx, 0x8e00
  call set_gate
  lidt [idt_descriptor]
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
  ; Ring 0: an interrupt, a 16-bit gate, and a fault with an error code, all on the same stack.
  int 0x32
  int 0x34
  mov dword [GP_SKIP], 2
  mov ax, 0x1230
  mov ds, ax                   ; #GP(0x1230), past the GDT: the handler skips these two bytes
  mov ax, 0x10
  mov ds, ax
  ; To ring 3 with IF set, keeping the ring-0 DS, which the IRET must make null.
  push dword 0x23
  push dword 0x70000
  push dword 0x202
  push dword 0x1b
  push dword user
  iretd

; set_gate: EAX handler, EBX vector, EDX the gate's type word.
set_gate:
  mov [idt + ebx*8], ax
  mov word [idt + ebx*8 + 2], 0x08
  mov [idt + ebx*8 + 4], dx
  shr eax, 16
  mov [idt + ebx*8 + 6], ax
  ret

syscall:
  inc dword [ss:COUNT]
  add [ss:SUM], eax
  iretd
trapgate:
  pushfd
  pop dword [ss:TRAP_FLAGS]
  iretd
ring0int:
  inc dword [ss:RING0_COUNT]
  iretd
handler16:
  inc dword [ss:COUNT16]
  iretw
gp:
  push eax
  push ebx
  mov ebx, [ss:GP_INDEX]
  mov eax, [esp + 8]           ; the error code
  mov [ss:GP_CODES + ebx*4], eax
  inc dword [ss:GP_INDEX]
  mov eax, [ss:GP_SKIP]
  add [esp + 12], eax          ; past the faulting instruction
  pop ebx
  pop eax
  add esp, 4                   ; drop the error code
  iretd
debug:
  inc dword [ss:DB_COUNT]
  and dword [esp + 8], ~0x100  ; clear TF in the saved EFLAGS
  iretd
external:
  inc dword [ss:EXT_COUNT]
  iretd
leave_user:
  mov dword [ss:DONE], 1
  cli
  hlt

user:
  mov eax, ds
  mov [ss:USER_DS], eax
  mov ax, 0x23
  mov ds, ax
  mov es, ax
  mov ecx, 5
.calls:
  mov eax, ecx
  int 0x30
  loop .calls
  int 0x31
  mov dword [GP_SKIP], 1
  cli                          ; #GP(0) at IOPL 0: the handler skips it
  pushfd
  or dword [esp], 0x100
  popfd                        ; TF: a #DB after the next instruction
  nop
  nop
%rep 40
  add eax, 1
%endrep
  ; IRET at ring 3 to ring 3 may not clear IF or raise IOPL.
  push dword 0x3002
  push dword 0x1b
  push dword .returned
  iretd
.returned:
  pushfd
  pop dword [USER_FLAGS]
  int 0x33

align 8
gdt:
  dq 0
  dq 0x00cf9a000000ffff      ; 0x08 ring-0 code
  dq 0x00cf92000000ffff      ; 0x10 ring-0 data
  dq 0x00cffa000000ffff      ; 0x18 ring-3 code
  dq 0x00cff2000000ffff      ; 0x20 ring-3 data
  dq 0x0000890000000067      ; 0x28 TSS (base patched)
gdt_end:
gdt_descriptor: dw gdt_end - gdt - 1
  dd gdt
align 8
idt: times 0x41*8 db 0
idt_descriptor: dw 0x41*8 - 1
  dd idt
tss: times 104 db 0
`;

const CODE = assemble(
  PROGRAM.replace(/\b(COUNT16|COUNT|SUM|GP_SKIP|GP_CODES|GP_INDEX|TRAP_FLAGS|DB_COUNT|EXT_COUNT|RING0_COUNT|USER_DS|USER_FLAGS|DONE)\b/g, (name) =>
    `0x${({ COUNT, SUM, GP_SKIP, GP_CODES, GP_INDEX, TRAP_FLAGS, DB_COUNT, EXT_COUNT, RING0_COUNT, COUNT16, USER_DS, USER_FLAGS, DONE } as Record<string, number>)[name].toString(16)}`,
  ),
);

function state(m: TestMachine): number[] {
  const cpu = m.cpu;
  return [
    cpu.eip, cpu.eflags, cpu.cpl, ...cpu.reg32,
    ...cpu.segSelector, ...cpu.segBase, ...cpu.segLimit, ...cpu.segAttributes, ...cpu.segUsable.map(Number),
  ];
}

/** The first byte offset where two memory images differ, or -1. */
function firstDifference(a: Buffer, b: Buffer): number {
  if (a.equals(b)) return -1;
  let i = 0;
  while (a[i] === b[i]) i++;
  return i;
}

/** Run the program with the fast gates on or off; an external interrupt is raised at instruction 0 and at `secondIrq`. */
function runProgram(fast: boolean, traced: boolean, secondIrq: number) {
  const m = machine(CODE);
  m.cpu.fastGates = fast;
  const trace: number[][] = [];
  if (traced) m.cpu.traceHook = () => trace.push(state(m));
  m.raiseInterrupt(0x40);
  let executed = m.run(secondIrq);
  m.raiseInterrupt(0x40);
  executed += m.run(100_000);
  const memory = Buffer.from(m.memory.ram.subarray(0, 0x100000));
  return { m, trace, executed, final: state(m), memory };
}

describe('fast interrupt and IRET paths', () => {
  // The second interrupt lands while ring 3 makes its system calls.
  const SECOND_IRQ = 140;

  it('the program does what it should with the fast paths', () => {
    const { m } = runProgram(true, false, SECOND_IRQ);
    const read = (address: number) => m.memory.read32(address);
    expect(read(DONE)).toBe(1);
    expect(read(COUNT)).toBe(5);
    expect(read(SUM)).toBe(5 + 4 + 3 + 2 + 1);
    expect(read(RING0_COUNT)).toBe(1);
    expect(read(COUNT16)).toBe(1);
    expect(read(GP_INDEX)).toBe(2);
    expect(read(GP_CODES)).toBe(0x1230); // ring 0: a selector error code on the same stack
    expect(read(GP_CODES + 4)).toBe(0); // ring 3 CLI: #GP(0) through the TSS stack
    expect(read(TRAP_FLAGS) & 0x200).toBe(0x200); // a trap gate leaves IF set
    expect(read(DB_COUNT)).toBe(1);
    expect(read(EXT_COUNT)).toBe(2);
    expect(read(USER_DS)).toBe(0); // the ring-0 DS became null on the way to ring 3
    expect(read(USER_FLAGS) & 0x3200).toBe(0x200); // IF kept, IOPL not raised by a ring-3 IRET
    expect(m.cpu.cpl).toBe(0);
    expect(m.cpu.reg32[ESP]).toBe(0x80000 - 20); // leave_user's frame on the TSS stack
  });

  it('passes through the same states as the general paths, instruction by instruction', () => {
    const fast = runProgram(true, true, SECOND_IRQ);
    const slow = runProgram(false, true, SECOND_IRQ);
    expect(fast.trace.length).toBeGreaterThan(100);
    expect(fast.trace.length).toBe(slow.trace.length);
    for (let i = 0; i < fast.trace.length; i++) {
      if (fast.trace[i].join() !== slow.trace[i].join()) expect({ step: i, state: fast.trace[i] }).toEqual({ step: i, state: slow.trace[i] });
    }
    expect(firstDifference(fast.memory, slow.memory)).toBe(-1);
  });

  it('ends in the same state as the general paths in the decoded tier, for every placement of the interrupt', () => {
    for (const secondIrq of [1, 60, 100, 139, 141, 150, 170]) {
      const fast = runProgram(true, false, secondIrq);
      const slow = runProgram(false, false, secondIrq);
      expect(fast.executed).toBe(slow.executed);
      expect(fast.final).toEqual(slow.final);
      expect(firstDifference(fast.memory, slow.memory)).toBe(-1);
    }
  });

  it('takes the common cases and declines the rest, changing nothing when it declines', () => {
    const { m } = runProgram(true, false, SECOND_IRQ);
    const cpu = m.cpu;
    // At ring 0 on the TSS stack, below leave_user's frame: return to ring 3 through a frame of our own.
    const esp = 0x7f000;
    const frame = [0x7c00, 0x1b, 0x202, 0x70000, 0x23];
    frame.forEach((value, k) => m.memory.write32(esp + 4 * k, value));
    cpu.reg32[ESP] = esp;
    expect(fastInterruptReturn(cpu)).toBe(true);
    expect([cpu.cpl, cpu.eip, cpu.reg32[ESP], cpu.segSelector[1], cpu.segSelector[2], cpu.eflags & 0x200]).toEqual([3, 0x7c00, 0x70000, 0x1b, 0x23, 0x200]);
    // INT 0x30 from ring 3 switches to the TSS stack.
    expect(fastDeliver(cpu, 0x30, -1, true)).toBe(true);
    expect([cpu.cpl, cpu.reg32[ESP], cpu.segSelector[1], cpu.segSelector[2], cpu.eflags & 0x200]).toEqual([0, 0x80000 - 20, 0x08, 0x10, 0]);
    expect([0, 1, 2, 3, 4].map((k) => m.memory.read32(0x80000 - 20 + 4 * k))).toEqual([0x7c00, 0x1b, 0x202, 0x70000, 0x23]);

    const before = state(m);
    // A 16-bit gate, a DPL 0 gate from ring 3, a vector past the IDT: the general path's business.
    expect(fastDeliver(cpu, 0x34, -1, true)).toBe(false);
    expect(fastDeliver(cpu, 0x41, -1, true)).toBe(false);
    cpu.setCpl(3);
    expect(fastDeliver(cpu, 0x32, -1, true)).toBe(false);
    cpu.setCpl(0);
    expect(state(m)).toEqual(before);
    // IRET with NT set, or as a 16-bit return, is not taken either.
    cpu.flags.set(cpu.eflags | 0x4000);
    expect(fastInterruptReturn(cpu)).toBe(false);
  });
});

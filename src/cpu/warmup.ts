// JIT priming for the decoded-instruction tier: once per process, a scratch
// CPU runs a short program with an instance of every form dispatch.ts has a
// handler for, so that each case of its switch has type feedback before V8
// optimises runDecoded. Without it, the first instruction of a kind the
// guest meets after optimisation (a new benchmark phase, a new program)
// throws the main loop back to the unoptimised tier until it is compiled
// again, which on a busy host costs a large share of a short workload.
//
// The program is machine code written out here (no assembler at run time):
// 32-bit flat code at CODE, EBX pointing at scratch data, ESP at a stack.
// Near the end it turns paging on for a few accesses, so the TLB's miss
// path (the walk, A and D bits, CR3 reloads) has feedback too, and it ends
// with REP MOVS/STOS, whose fast path is the interpreter's.

import type { InterruptController } from '../devices/bus.ts';
import { IoBus } from '../devices/bus.ts';
import { PhysicalMemory } from '../mmu/physical.ts';
import { Cpu } from './cpu.ts';

export const PRIMING_CODE = 0x1000;
const CODE = PRIMING_CODE;
const DATA = 0x6000;
/** The stack the priming program expects (ESP at the start). */
export const PRIMING_STACK_TOP = 0x8000;
const STACK_TOP = PRIMING_STACK_TOP;
/** The TSS, the ring-0 stack it names, and the ring-3 stack. */
const TSS = DATA + 0x800;
const RING0_STACK = STACK_TOP - 0x800;
const USER_STACK = STACK_TOP - 0xc00;
/** Round trips of the ring-3 system-call loop. */
export const PRIMING_SYSTEM_CALLS = 400;
const SYSTEM_CALLS = PRIMING_SYSTEM_CALLS;
/** A page boundary that memory operands straddle (both sides plain RAM). */
const STRADDLE = 0xb000;
/** Where the paging part of the program loads from and stores to (identity-mapped). */
const PAGED = 0xc000;
/**
 * Enough rounds that functions the program reaches only a few times per
 * round (the interpreter's slow paths) have been called often enough for V8
 * to allocate their feedback vectors before the last rounds.
 */
const ROUNDS = 10;

let primed = false;

/** Run the priming program once in this process (later calls return at once). */
export function primeDecodedTier(): void {
  if (primed) return;
  primed = true;
  const memory = new PhysicalMemory(64 * 1024);
  const noInterrupts: InterruptController = { hasInterrupt: () => false, acknowledge: () => 0 };
  const cpu = new Cpu({ memory, io: new IoBus(), interrupts: noInterrupts, random: () => 0 });
  memory.writeBytes(CODE, primingProgram());
  cpu.enterFlatProtectedMode(CODE);
  for (let round = 0; round < ROUNDS; round++) {
    // Every other round starts with an empty TLB, so the handlers' miss paths run too.
    if (round % 2 === 1) cpu.mmu.flushAll();
    cpu.eip = CODE;
    cpu.reg32[4] = STACK_TOP;
    cpu.halted = false;
    cpu.run(20_000);
  }
}

/** The priming program, to be loaded at CODE: every handled form once, then HLT. */
export function primingProgram(): Uint8Array {
  const bytes: number[] = [];
  const labels = new Map<string, number>();
  const fixups: { at: number; label: string; relative: boolean; add: number }[] = [];
  const emit = (...values: number[]) => bytes.push(...values);
  const dword = (value: number) => emit(value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, (value >>> 24) & 0xff);
  const label = (name: string) => labels.set(name, CODE + bytes.length);
  /** A 32-bit field holding the address of `name` (absolute, plus `add`) or its displacement from the field's end. */
  const address = (name: string, relative: boolean, add = 0) => {
    fixups.push({ at: bytes.length, label: name, relative, add });
    dword(0);
  };

  emit(0xbb); dword(DATA); // mov ebx, DATA
  emit(0xb9); dword(3); // mov ecx, 3
  emit(0xb8); dword(1); // mov eax, 1
  emit(0xc7, 0x03); address('subroutine', false); // mov dword [ebx], subroutine
  // ALU, register forms and their fused compare-and-branch forms.
  emit(0x01, 0xc8, 0x09, 0xc8, 0x21, 0xc8, 0x29, 0xc8, 0x31, 0xc8, 0x85, 0xc8, 0x39, 0xc8, 0x11, 0xc8, 0x90);
  emit(0x83, 0xc0, 0x01, 0x83, 0xc8, 0x01, 0x83, 0xe0, 0x01, 0x83, 0xe8, 0x01, 0x83, 0xf0, 0x01, 0x83, 0xf8, 0x01, 0x83, 0xd0, 0x00, 0x90);
  emit(0xa9); dword(1); emit(0x90); // test eax, 1
  emit(0x39, 0xc8, 0x75, 0x00, 0x83, 0xf8, 0x01, 0x75, 0x00, 0x85, 0xc0, 0x75, 0x00); // cmp/test + jne
  emit(0xa9); dword(1); emit(0x75, 0x00); // test eax, 1; jne
  emit(0x83, 0xe0, 0x01, 0x75, 0x00, 0x83, 0xc0, 0x01, 0x75, 0x00, 0x83, 0xe8, 0x01, 0x75, 0x00); // and/add/sub + jne
  emit(0x40, 0x75, 0x00, 0x48, 0x75, 0x00); // inc/dec eax + jne
  // ALU with memory, and the 8-bit forms.
  emit(0x01, 0x43, 0x08, 0x03, 0x43, 0x08, 0x83, 0x43, 0x08, 0x01, 0x00, 0x43, 0x08, 0x00, 0xc8, 0x02, 0x43, 0x08);
  emit(0x02, 0xc1, 0x04, 0x01, 0x80, 0x43, 0x08, 0x01, 0x80, 0x7b, 0x08, 0x01);
  emit(0x08, 0x43, 0x08, 0x39, 0x43, 0x08, 0x83, 0x7b, 0x08, 0x01, 0x38, 0x43, 0x08); // or/cmp with memory
  // MOV and LEA.
  emit(0x89, 0xc8, 0x89, 0x43, 0x08, 0x8b, 0x43, 0x08, 0xc7, 0x43, 0x08); dword(1);
  emit(0x88, 0xc8, 0x88, 0x43, 0x08, 0x8a, 0xc1, 0x8a, 0x43, 0x08, 0xc6, 0x43, 0x08, 0x01, 0xb0, 0x01, 0x8d, 0x43, 0x04);
  emit(0xa1); dword(DATA + 8); emit(0xa3); dword(DATA + 8); // mov eax, [moffs]; mov [moffs], eax
  // INC, DEC, NOT, NEG.
  emit(0x40, 0x90, 0x48, 0x90, 0xff, 0x43, 0x08, 0xfe, 0xc0, 0xfe, 0x43, 0x08, 0xf7, 0xd0, 0xf7, 0xd8);
  // Stack.
  emit(0x50, 0xff, 0x73, 0x08, 0x6a, 0x01, 0x58, 0x58, 0x58, 0x55, 0x89, 0xe5, 0xc9);
  // Control transfers.
  emit(0x89, 0xc8, 0x74, 0x00, 0xeb, 0x00); // mov; je; jmp
  emit(0xe8); address('subroutine', true); // call subroutine
  emit(0x6a, 0x00, 0xe8); address('returnImmediate', true); // push 0; call returnImmediate
  emit(0xba); address('subroutine', false); // mov edx, subroutine
  emit(0xff, 0xd2, 0xff, 0x13); // call edx; call [ebx]
  emit(0xba); address('afterJump', false); // mov edx, afterJump
  emit(0xff, 0xe2); // jmp edx
  label('afterJump');
  emit(0xc7, 0x43, 0x04); address('afterIndirectJump', false); // mov dword [ebx+4], afterIndirectJump
  emit(0xff, 0x63, 0x04); // jmp [ebx+4]
  label('afterIndirectJump');
  // Shifts and rotates.
  emit(0xc1, 0xe0, 0x01, 0xc1, 0xe8, 0x01, 0xc1, 0xf8, 0x01, 0xd3, 0xe0, 0xd3, 0xe8, 0xd3, 0xf8, 0xc1, 0x63, 0x08, 0x01);
  emit(0xc1, 0xc0, 0x01, 0xc1, 0xc8, 0x01, 0xd3, 0xc0, 0xd3, 0xc8); // rol/ror eax, 1; rol/ror eax, cl
  emit(0xc0, 0xe0, 0x01, 0xc0, 0x63, 0x08, 0x01);
  // MOVZX/MOVSX, SETcc, CMOVcc, IMUL, XCHG, CDQ, CWDE, NOPs.
  emit(0x0f, 0xb6, 0xc1, 0x0f, 0xb6, 0x43, 0x08, 0x0f, 0xb7, 0xc1, 0x0f, 0xbe, 0x43, 0x08);
  emit(0x0f, 0x94, 0xc0, 0x0f, 0x94, 0x43, 0x08, 0x0f, 0x44, 0xc1, 0x0f, 0x44, 0x43, 0x08);
  emit(0x0f, 0xaf, 0xc1, 0x0f, 0xaf, 0x43, 0x08, 0x6b, 0xc1, 0x03, 0x6b, 0x43, 0x08, 0x03);
  emit(0x87, 0xc8, 0x91, 0x99, 0x98, 0x90, 0x0f, 0x1f, 0x00);
  // Every condition after every kind of flag-setting operation, as Jcc, SETcc and CMOVcc
  // (a compare is fused with its Jcc; the others are not).
  const producers = [
    [0x39, 0xc8], // cmp eax, ecx
    [0x38, 0xc8], // cmp al, cl
    [0x85, 0xc0], // test eax, eax
    [0x83, 0xc0, 0x01], // add eax, 1
    [0x11, 0xc8], // adc eax, ecx
    [0x40], // inc eax
    [0xc1, 0xe0, 0x01], // shl eax, 1
    [0x9c, 0x9d], // pushfd; popfd: flags already computed
    [0x19, 0xc8], // sbb eax, ecx
    [0x29, 0xc8], // sub eax, ecx
    [0x66, 0x39, 0xc8], // cmp ax, cx
    [0xd1, 0xf8], // sar eax, 1
  ];
  for (const producer of producers) {
    for (let cc = 0; cc < 16; cc++) {
      emit(...producer, 0x70 + cc, 0x00); // jcc $+2
      emit(...producer, 0x0f, 0x90 + cc, 0xc0); // setcc al
      emit(...producer, 0x0f, 0x40 + cc, 0xc1); // cmovcc eax, ecx
    }
    // INC and DEC keep CF, which they take from whatever came before.
    emit(...producer, 0x40, ...producer, 0x48, ...producer, 0xff, 0x43, 0x08, ...producer, 0x75, 0x00);
  }
  // Multiplies that overflow 32 bits, signed and unsigned.
  emit(0xb8); dword(0x12345678); emit(0xb9); dword(0x76543210); // mov eax, ...; mov ecx, ...
  emit(0x0f, 0xaf, 0xc1, 0x69, 0xc1); dword(0x7fffffff); emit(0x6b, 0xc1, 0x7f, 0xf7, 0xe1, 0xf7, 0xe9); // imul r, r/imm; mul ecx; imul ecx
  // Every memory form three more times: on a page that holds code (the code-entry slow paths),
  // straddling a page boundary, and at an unaligned address. ModRM reg field in `reg`.
  const memoryForms: { opcode: number[]; reg: number; imm?: number[] }[] = [
    { opcode: [0x01], reg: 0 }, { opcode: [0x03], reg: 0 }, { opcode: [0x29], reg: 0 }, { opcode: [0x21], reg: 0 },
    { opcode: [0x39], reg: 0 }, { opcode: [0x3b], reg: 0 }, { opcode: [0x85], reg: 0 },
    { opcode: [0x83], reg: 0, imm: [1] }, { opcode: [0x83], reg: 7, imm: [1] }, { opcode: [0x81], reg: 1, imm: [1, 0, 0, 0] },
    { opcode: [0x00], reg: 0 }, { opcode: [0x02], reg: 0 }, { opcode: [0x38], reg: 0 }, { opcode: [0x80], reg: 0, imm: [1] },
    { opcode: [0x80], reg: 7, imm: [1] }, { opcode: [0xf7], reg: 0, imm: [1, 0, 0, 0] }, { opcode: [0xf6], reg: 0, imm: [1] },
    { opcode: [0x89], reg: 0 }, { opcode: [0x8b], reg: 0 }, { opcode: [0xc7], reg: 0, imm: [1, 0, 0, 0] },
    { opcode: [0x88], reg: 0 }, { opcode: [0x8a], reg: 0 }, { opcode: [0xc6], reg: 0, imm: [1] },
    { opcode: [0xff], reg: 0 }, { opcode: [0xff], reg: 1 }, { opcode: [0xfe], reg: 0 }, { opcode: [0xfe], reg: 1 },
    { opcode: [0xc1], reg: 4, imm: [1] }, { opcode: [0xd1], reg: 5 }, { opcode: [0xc0], reg: 4, imm: [1] },
    { opcode: [0x0f, 0xb6], reg: 0 }, { opcode: [0x0f, 0xb7], reg: 0 }, { opcode: [0x0f, 0xbe], reg: 0 }, { opcode: [0x0f, 0xbf], reg: 0 },
    { opcode: [0x0f, 0x94], reg: 0 }, { opcode: [0x0f, 0x44], reg: 0 }, { opcode: [0x0f, 0xaf], reg: 0 }, { opcode: [0x6b], reg: 0, imm: [3] },
    { opcode: [0xff], reg: 6 }, // push [m] (popped at once)
  ];
  emit(0xbe); dword(STRADDLE); // mov esi, STRADDLE
  for (const form of memoryForms) {
    const tail = () => {
      emit(...(form.imm ?? []));
      if (form.opcode[0] === 0xff && form.reg === 6) emit(0x58); // pop eax
    };
    emit(...form.opcode, 0x05 | (form.reg << 3)); address('scratch', false); tail(); // [scratch]
    emit(...form.opcode, 0x86 | (form.reg << 3)); dword(-2); tail(); // [esi-2]: across the boundary
    emit(...form.opcode, 0x43 | (form.reg << 3), 0x09); tail(); // [ebx+9]: unaligned
  }
  emit(0xa1); address('scratch', false); emit(0xa3); address('scratch', false); // mov eax, [moffs]; mov [moffs], eax
  emit(0xd3, 0xe8, 0xd3, 0xf8, 0xd3, 0xc8); // shr/sar/ror eax, cl
  // The compare-and-branch forms that are fused, for every condition (taken and not).
  for (const producer of [
    [0x83, 0xf8, 0x01], // cmp eax, 1
    [0xa9, 0x01, 0x00, 0x00, 0x00], // test eax, 1
    [0x83, 0xe0, 0x07], // and eax, 7
    [0x83, 0xe8, 0x01], // sub eax, 1
    [0x48], // dec eax
    [0x85, 0xc8], // test eax, ecx
  ]) {
    for (let cc = 0; cc < 16; cc++) emit(...producer, 0x70 + cc, 0x00);
  }
  // Loads, stores and stack accesses that miss the TLB (INVLPG drops the data and stack pages,
  // not the code page, so the handlers meet the misses), first with paging off, then through
  // page tables the program builds at 0x8000 (an identity map of the first 64 KiB), so the walk
  // and the accessed and dirty bits run too.
  const dropData = [0x0f, 0x01, 0x7b, 0x08]; // invlpg [ebx+8]
  const dropStack = [0x0f, 0x01, 0x3c, 0x24]; // invlpg [esp]
  const misses = () => {
    for (const access of [
      [...dropData, 0x8b, 0x43, 0x08], // mov eax, [ebx+8]
      [...dropData, 0x8a, 0x43, 0x08], // mov al, [ebx+8]
      [...dropData, 0x03, 0x43, 0x08], // add eax, [ebx+8]
      [...dropData, 0x01, 0x43, 0x08], // add [ebx+8], eax
      [...dropData, 0x0f, 0xb6, 0x43, 0x08], // movzx eax, byte [ebx+8]
      [...dropData, 0x83, 0x7b, 0x08, 0x01], // cmp dword [ebx+8], 1
      [...dropData, 0x88, 0x43, 0x08], // mov [ebx+8], al
      [...dropData, 0x89, 0x43, 0x08], // mov [ebx+8], eax
      [...dropData, 0xff, 0x43, 0x08], // inc dword [ebx+8]
      [...dropData, ...dropStack, 0xff, 0x73, 0x08], // push dword [ebx+8]
      [...dropStack, 0x58], // pop eax
      [...dropStack, 0x50], // push eax
      [...dropStack, 0x58], // pop eax
      [...dropStack, 0xe8, 0x00, 0x00, 0x00, 0x00], // call $+5
      [...dropStack, 0x58], // pop eax
    ]) {
      emit(...access);
    }
  };
  misses();
  emit(0xc7, 0x05); dword(0x8000); dword(0x9003); // page directory entry 0: the table at 0x9000
  for (let page = 0; page < 16; page++) {
    emit(0xc7, 0x05); dword(0x9000 + 4 * page); dword((page << 12) | 3); // present, writable
  }
  emit(0xb8); dword(0x8000); // mov eax, 0x8000
  emit(0x0f, 0x22, 0xd8, 0x0f, 0x20, 0xc0, 0x0d); dword(0x80000000); // mov cr3, eax; mov eax, cr0; or eax, PG
  emit(0x0f, 0x22, 0xc0); // mov cr0, eax
  misses();
  emit(0x0f, 0x20, 0xc0, 0x25); dword(0x7fffffff); emit(0x0f, 0x22, 0xc0); // paging off again
  // Port I/O (an empty bus here): IN and OUT of AL and EAX, by immediate port and by DX.
  emit(0xe4, 0x80, 0xe6, 0x80, 0xe5, 0x80, 0xe7, 0x80, 0x66, 0xba, 0x80, 0x00, 0xec, 0xee, 0xed, 0xef);
  // INT and IRETD at ring 0, through a GDT and an IDT the program builds at DATA + 0x400.
  const store = (offset: number, value: number) => {
    emit(0xc7, 0x83); dword(offset); dword(value); // mov dword [ebx + offset], value
  };
  store(0x400, 0); store(0x404, 0); // null descriptor
  store(0x408, 0x0000ffff); store(0x40c, 0x00cf9b00); // 0x08: flat 32-bit code
  store(0x410, 0x0000ffff); store(0x414, 0x00cf9300); // 0x10: flat data
  store(0x418, 0x0000ffff); store(0x41c, 0x00cffb00); // 0x18: ring-3 code
  store(0x420, 0x0000ffff); store(0x424, 0x00cff300); // 0x20: ring-3 data
  store(0x428, ((TSS & 0xffff) << 16) | 0x67); store(0x42c, ((TSS >>> 16) & 0xff) | 0x8900); // 0x28: the TSS
  store(TSS - DATA + 4, RING0_STACK); store(TSS - DATA + 8, 0x10); // its ring-0 SS:ESP
  emit(0xc7, 0x83); dword(0x500 + 0x20 * 8); address('handler', false, 0x08 << 16); // gate 0x20: 0x08:handler
  store(0x504 + 0x20 * 8, 0x00008e00); // present 32-bit interrupt gate, DPL 0
  store(0x700, 0x2f | ((DATA + 0x400) << 16)); store(0x704, (DATA + 0x400) >>> 16); // GDT pointer
  store(0x708, 0x18f | ((DATA + 0x500) << 16)); store(0x70c, (DATA + 0x500) >>> 16); // IDT pointer: 0x00-0x31
  emit(0x0f, 0x01, 0x93); dword(0x700); // lgdt [ebx + 0x700]
  emit(0x0f, 0x01, 0x9b); dword(0x708); // lidt [ebx + 0x708]
  emit(0x66, 0xb8, 0x28, 0x00, 0x0f, 0x00, 0xd8); // mov ax, 0x28; ltr ax
  emit(0xcd, 0x20); // int 0x20
  // A page fault in a decoded load (paging on again, 0x20000 unmapped): the handler skips the
  // five-byte load, so the tier's fault path runs too.
  emit(0xc7, 0x83); dword(0x500 + 14 * 8); address('pageFault', false, 0x08 << 16); // gate 14: 0x08:pageFault
  store(0x504 + 14 * 8, 0x00008e00);
  emit(0x0f, 0x20, 0xc0, 0x0d); dword(0x80000000); emit(0x0f, 0x22, 0xc0); // paging on
  emit(0x90); // nop: the interpreter runs it and maps the code page again
  emit(0xa1); dword(0x20000); // mov eax, [0x20000]: #PF
  emit(0x0f, 0x20, 0xc0, 0x25); dword(0x7fffffff); emit(0x0f, 0x22, 0xc0); // paging off
  // System calls from ring 3, as an OS makes them: IRET to a ring-3 loop of INT 0x30 through a
  // DPL 3 gate (the TSS stack switch, IRETD back to ring 3), left by INT 0x31. Enough round trips
  // that V8 compiles the paths before a guest needs them.
  emit(0xc7, 0x83); dword(0x500 + 0x30 * 8); address('userCall', false, 0x08 << 16);
  store(0x504 + 0x30 * 8, 0x0000ee00); // DPL 3 interrupt gate
  emit(0xc7, 0x83); dword(0x500 + 0x31 * 8); address('userExit', false, 0x08 << 16);
  store(0x504 + 0x31 * 8, 0x0000ee00);
  emit(0x89, 0xa3); dword(0x720); // mov [ebx + 0x720], esp
  emit(0x6a, 0x23, 0x68); dword(USER_STACK); emit(0x6a, 0x02, 0x6a, 0x1b, 0x68); address('userLoop', false); // SS ESP EFLAGS CS EIP
  emit(0xcf); // iretd to ring 3
  label('afterUser');
  // Stores to a page that holds decoded code (this one), beside the code: the code-entry path.
  emit(0x89, 0x05); address('scratch', false); // mov [scratch], eax
  emit(0x88, 0x05); address('scratch', false); // mov [scratch], al
  emit(0x01, 0x05); address('scratch', false); // add [scratch], eax
  emit(0x50, 0xbc); address('scratch', false, 4); emit(0x50); // push eax; mov esp, scratch + 4; push eax
  emit(0xbc); dword(STACK_TOP - 4); emit(0x58); // mov esp, STACK_TOP - 4; pop eax
  // Paging again (the tables at 0x8000 from above): loads and stores that walk the tables, and
  // pops and loads after CR3 reloads. The first instruction after each control-register write
  // refetches the code page through the interpreter (a NOP, or a form whose interpreter path
  // wants feedback too), so the accesses after it run in the decoded tier.
  emit(0xb8); dword(0x8000); // mov eax, 0x8000
  emit(0x0f, 0x22, 0xd8, 0x0f, 0x20, 0xc0, 0x0d, 0x00, 0x00, 0x00, 0x80, 0x0f, 0x22, 0xc0, 0x90); // mov cr3, eax; cr0 |= PG; nop
  emit(0xa1); dword(PAGED); emit(0xa3); dword(PAGED + 0x1000); // mov eax, [PAGED]; mov [PAGED + 0x1000], eax
  emit(0x01, 0x05); dword(PAGED + 0x1004); // add [PAGED + 0x1004], eax
  emit(0x50, 0x0f, 0x20, 0xd9, 0x0f, 0x22, 0xd9, 0x01, 0xc8, 0x58); // push eax; reload CR3; add eax, ecx (interpreted); pop eax
  emit(0x0f, 0x20, 0xd9, 0x0f, 0x22, 0xd9, 0xa1); dword(PAGED + 8); // reload CR3; mov eax, [PAGED + 8] (interpreted: a miss in Cpu.read32)
  emit(0xa1); dword(PAGED + 4); emit(0xa3); dword(PAGED + 0x1008); // mov eax, [PAGED + 4]; mov [PAGED + 0x1008], eax
  emit(0x39, 0xc8, 0xd1, 0xc0, 0x01, 0xc8, 0xd1, 0xc8); // cmp eax, ecx; rol eax, 1; add eax, ecx; ror eax, 1
  emit(0x0f, 0x20, 0xc0, 0x25, 0xff, 0xff, 0xff, 0x7f, 0x0f, 0x22, 0xc0); // cr0 &= ~PG
  // REP MOVS and REP STOS run in the interpreter, on its fast path for whole pages.
  emit(0xfc); // cld
  for (const opcode of [0xa5, 0xa4, 0xab, 0xaa]) {
    emit(0xbe); dword(DATA + 0x100); // mov esi, DATA + 0x100
    emit(0xbf); dword(DATA + 0x200); // mov edi, DATA + 0x200
    emit(0xb9); dword(16); // mov ecx, 16
    emit(0xf3, opcode); // rep movsd / movsb / stosd / stosb
  }
  emit(0xf4); // hlt (an instruction for the interpreter)
  label('subroutine');
  emit(0xc3); // ret
  label('returnImmediate');
  emit(0xc2, 0x04, 0x00); // ret 4
  label('handler');
  emit(0xcf); // iretd
  label('userCall');
  // As a system call handler does: save a register, update a variable (here beside code), return.
  // (Through SS: the IRET to ring 3 made DS null.)
  emit(0x52, 0x36, 0x8b, 0x15); address('scratch', false); emit(0xc1, 0xc2, 0x05, 0x31, 0xc2, 0x36, 0x89, 0x15); address('scratch', false);
  emit(0x5a, 0xcf); // pop edx; iretd
  label('userExit');
  emit(0xb8); dword(0x10); emit(0x8e, 0xd8, 0x8e, 0xc0, 0x8e, 0xe0, 0x8e, 0xe8); // DS ES FS GS = 0x10 (the IRET made them null)
  emit(0x8b, 0xa3); dword(0x720); // mov esp, [ebx + 0x720]
  emit(0xe9); address('afterUser', true);
  label('userLoop');
  emit(0xb9); dword(SYSTEM_CALLS); // mov ecx, SYSTEM_CALLS
  emit(0xcd, 0x30, 0x49, 0x75, 0xfb); // int 0x30; dec ecx; jnz back to the INT
  emit(0xcd, 0x31); // int 0x31
  label('pageFault');
  emit(0x83, 0xc4, 0x04, 0x83, 0x04, 0x24, 0x05, 0xcf); // add esp, 4; add dword [esp], 5; iretd
  label('scratch');
  dword(0);
  dword(0);

  for (const { at, label: name, relative, add } of fixups) {
    const target = labels.get(name)!;
    const value = relative ? target - (CODE + at + 4) : target + add;
    bytes[at] = value & 0xff;
    bytes[at + 1] = (value >> 8) & 0xff;
    bytes[at + 2] = (value >> 16) & 0xff;
    bytes[at + 3] = (value >>> 24) & 0xff;
  }
  return new Uint8Array(bytes);
}

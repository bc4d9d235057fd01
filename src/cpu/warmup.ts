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
const DATA = 0x2000;
const STACK_TOP = 0x3000;
const PAGE_DIRECTORY = 0x4000;
const PAGE_TABLE = 0x5000;
/** Pages the paging part of the program loads from and stores to. */
const PAGED = 0x6000;
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
    cpu.eip = CODE;
    cpu.reg32[4] = STACK_TOP;
    cpu.halted = false;
    cpu.run(10_000);
  }
}

/** The priming program, to be loaded at CODE: every handled form once, then HLT. */
export function primingProgram(): Uint8Array {
  const bytes: number[] = [];
  const labels = new Map<string, number>();
  const fixups: { at: number; label: string; relative: boolean }[] = [];
  const emit = (...values: number[]) => bytes.push(...values);
  const dword = (value: number) => emit(value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, (value >>> 24) & 0xff);
  const label = (name: string) => labels.set(name, CODE + bytes.length);
  /** A 32-bit field holding the address of `name` (absolute) or its displacement from the field's end. */
  const address = (name: string, relative: boolean) => {
    fixups.push({ at: bytes.length, label: name, relative });
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
  // Paging: identity-map the first 64 KiB (directory at PAGE_DIRECTORY, one table after it), then
  // a load and stores that walk the tables (A and D set), and pops and loads after CR3 reloads.
  // The first instruction after each control-register write refetches the code page through
  // the interpreter (a NOP, or a form whose interpreter path wants feedback too), so the
  // accesses after it run in the decoded tier.
  emit(0xc7, 0x05); dword(PAGE_DIRECTORY); dword(PAGE_TABLE | 3); // mov dword [PAGE_DIRECTORY], PAGE_TABLE | P | W
  emit(0xbf); dword(PAGE_TABLE); // mov edi, PAGE_TABLE
  emit(0xb8, 0x03, 0x00, 0x00, 0x00, 0xb9, 0x10, 0x00, 0x00, 0x00); // mov eax, 3; mov ecx, 16
  emit(0x89, 0x07, 0x05, 0x00, 0x10, 0x00, 0x00, 0x83, 0xc7, 0x04, 0x49, 0x75, 0xf3); // map: mov [edi], eax; add eax, 0x1000; add edi, 4; dec ecx; jnz map
  emit(0xb8); dword(PAGE_DIRECTORY); // mov eax, PAGE_DIRECTORY
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

  for (const { at, label: name, relative } of fixups) {
    const target = labels.get(name)!;
    const value = relative ? target - (CODE + at + 4) : target;
    bytes[at] = value & 0xff;
    bytes[at + 1] = (value >> 8) & 0xff;
    bytes[at + 2] = (value >> 16) & 0xff;
    bytes[at + 3] = (value >>> 24) & 0xff;
  }
  return new Uint8Array(bytes);
}

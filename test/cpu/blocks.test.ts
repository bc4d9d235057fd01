// The block tier (src/cpu/blocks.ts) against the record interpreter it
// compiles from (runDecoded in src/cpu/dispatch.ts): every program runs on two
// machines in lockstep, one compiling blocks at the first dispatch of a record
// (blockHot 1, or a few dispatches so that both tiers mix) and one that never
// compiles (blockHot 0x10000), in slices of seeded random sizes so that the
// budget often ends inside or just after a block. After every slice both must
// agree on the registers, EFLAGS, EIP, the instruction count and all of RAM.
//
// The programs: seeded random straight-line and looping code over the ops the
// decoded tier handles; tables of every Jcc condition after every producer the
// decoded tier fuses (fused and not) and of every shift form; faults (#PF, #GP,
// #SS) in the middle of hot blocks, logged by guest handlers; self-modifying
// code (later and earlier in the same block, another block on the page, data
// beside the code, the fused Jcc, a second linear mapping of the page); stores
// to a memory-mapped device that raises an interrupt; external interrupts
// raised at fixed instruction counts, alone and two at once behind a trap gate;
// the record store filling up while a block is compiled. Where the right
// answer is known independently (x86 semantics, checked on QEMU for the
// self-modifying programs: a store into code takes effect at the next fetch; a
// fault reports its instruction and ESP; an interrupt raised by a store is
// taken right after the store) it is checked too, and each test checks that
// blocks really compiled, ran and looped, so that it cannot pass with the
// block tier idle.
import { describe, expect, it } from 'vitest';
import { BLOCK_FAR, type BlockFunction } from '../../src/cpu/blocks.ts';
import type { Cpu } from '../../src/cpu/cpu.ts';
import { assemble, machine, type TestMachine } from './harness.ts';

// ---- Seeded randomness --------------------------------------------------------

type Random = () => number;

function xorshift(seed: number): Random {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
}

// ---- Two machines in lockstep -------------------------------------------------

const BLOCKS_OFF = 0x10000;

/** What the block functions of one machine did (counted by wrapping them as they are made). */
interface BlockStats {
  compiled: number;
  calls: number;
  /** Calls that ran more than one pass (a block looping on itself). */
  looped: number;
  /** Calls that returned before the end of a pass (a store made them stop). */
  stoppedEarly: number;
  /** Calls that a fault left. */
  faulted: number;
  /** Of those, faults after at least one whole pass. */
  faultedAfterPass: number;
}

function instrument(cpu: Cpu): BlockStats {
  const stats: BlockStats = { compiled: 0, calls: 0, looped: 0, stoppedEarly: 0, faulted: 0, faultedAfterPass: 0 };
  const cache = cpu.icache;
  const addBlock = cache.addBlock.bind(cache);
  cache.addBlock = (leader, page, block, info, ranges) => {
    stats.compiled++;
    const length = info & ~BLOCK_FAR;
    const counted: BlockFunction = (c, eip, budget) => {
      stats.calls++;
      try {
        const next = block(c, eip, budget);
        if (c.blockRetired > length) stats.looped++;
        if (c.blockRetired % length !== 0) stats.stoppedEarly++;
        return next;
      } catch (error) {
        stats.faulted++;
        if (c.blockRetired >= length) stats.faultedAfterPass++;
        throw error;
      }
    };
    addBlock(leader, page, counted, info, ranges);
  };
  return stats;
}

interface Side {
  m: TestMachine;
  stats: BlockStats;
  ram: Buffer;
}

interface LockstepOptions {
  /** blockHot of the machine with blocks (the other never compiles). */
  hot?: number;
  /** Seed of the slice sizes. */
  seed?: number;
  memoryBytes?: number;
  /** Run at most this many instructions. */
  limit?: number;
  /** Called for both machines before they start (devices, ...). */
  setup?: (m: TestMachine) => void;
  /** Instruction counts at which to raise external interrupt 0x40 on both (those after the HLT are not). */
  interruptsAt?: number[];
  /** The vectors raised each time (default 0x40 alone), in the order the controller hands them out. */
  vectors?: number[];
  /** Slice sizes: 'short' all 1..50; 'mixed' (the default) four fifths 1..50, the rest 50..1250; 'long' a third 1..50. */
  slices?: 'short' | 'mixed' | 'long';
  /** Called for the machine with blocks before each slice. */
  beforeSlice?: (m: TestMachine, slice: number) => void;
}

interface Lockstep {
  blocks: Side;
  plain: Side;
  slices: number;
  /** EIP of the plain machine when each interrupt of interruptsAt was raised (as many as were). */
  eipAtInterrupt: number[];
}

function side(code: Uint8Array, hot: number, options: LockstepOptions): Side {
  const m = machine(code, 0x7c00, 'flat', options.memoryBytes ?? 1 << 20);
  m.cpu.icache.blockHot = hot;
  const stats = instrument(m.cpu);
  options.setup?.(m);
  return { m, stats, ram: Buffer.from(m.memory.ram.buffer, m.memory.ram.byteOffset, m.memory.ram.length) };
}

const hex = (value: number): string => `0x${(value >>> 0).toString(16)}`;
const REGISTER_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];

function state(cpu: Cpu): Record<string, string | number | boolean> {
  const s: Record<string, string | number | boolean> = {};
  REGISTER_NAMES.forEach((name, n) => (s[name] = hex(cpu.reg32[n])));
  s.eflags = hex(cpu.flags.get());
  s.eip = hex(cpu.eip);
  s.instructionCount = cpu.instructionCount;
  s.cr2 = hex(cpu.cr2);
  s.halted = cpu.halted;
  return s;
}

function firstDifference(a: Buffer, b: Buffer): number {
  let i = 0;
  while (a[i] === b[i]) i++;
  return i;
}

function compareSides(blocks: Side, plain: Side, where: string): void {
  const a = state(blocks.m.cpu);
  const b = state(plain.m.cpu);
  if (JSON.stringify(a) !== JSON.stringify(b)) expect(a, `${where}: blocks (left) against the record interpreter`).toEqual(b);
  if (!blocks.ram.equals(plain.ram)) {
    const at = firstDifference(blocks.ram, plain.ram);
    expect({ at: hex(at), byte: blocks.ram[at] }, `${where}: RAM differs`).toEqual({ at: hex(at), byte: plain.ram[at] });
  }
}

/**
 * Run `code` on both machines in slices of seeded random sizes until HLT (or
 * the limit), comparing them after every slice.
 */
function lockstep(code: Uint8Array, options: LockstepOptions = {}): Lockstep {
  const blocks = side(code, options.hot ?? 1, options);
  const plain = side(code, BLOCKS_OFF, options);
  const random = xorshift(options.seed ?? 1);
  const limit = options.limit ?? 2_000_000;
  const interrupts = options.interruptsAt ?? [];
  const eipAtInterrupt: number[] = [];
  let slices = 0;
  let next = 0;
  compareSides(blocks, plain, 'at the start');
  while (!plain.m.cpu.halted && plain.m.cpu.instructionCount < limit) {
    const count = plain.m.cpu.instructionCount;
    if (next < interrupts.length && count === interrupts[next]) {
      eipAtInterrupt.push(plain.m.cpu.eip);
      for (const vector of options.vectors ?? [0x40]) {
        blocks.m.raiseInterrupt(vector);
        plain.m.raiseInterrupt(vector);
      }
      next++;
    }
    const kind = random() % 30;
    const short = options.slices === 'short' || kind < (options.slices === 'long' ? 10 : 24);
    let n = short ? 1 + (random() % 50) : kind < 27 ? 50 + (random() % 200) : 250 + (random() % 1000);
    if (next < interrupts.length) n = Math.min(n, interrupts[next] - count);
    options.beforeSlice?.(blocks.m, slices);
    const ranBlocks = blocks.m.run(n);
    const ranPlain = plain.m.run(n);
    slices++;
    const where = `slice ${slices} (run(${n}) from instruction ${count})`;
    expect(ranBlocks, `${where}: instructions run`).toBe(ranPlain);
    compareSides(blocks, plain, where);
  }
  expect(plain.m.cpu.halted, 'the program reached its HLT').toBe(true);
  return { blocks, plain, slices, eipAtInterrupt };
}

// ---- A small protected-mode kernel --------------------------------------------

/** Handler scratch: UNEXPECTED is set by any vector without a handler of its own. */
const UNEXPECTED = 0x2f00;
const FAULT_COUNT = 0x2f04;
const IRQ_COUNT = 0x2f08;
const TRAP_COUNT = 0x2f0c;
/** 32 bytes per fault: detail (CR2, or the register the handler fixed), error code, EIP, ESP, EDI, EFLAGS, vector. */
const FAULT_LOG = 0x3000;
/** 16 bytes per external interrupt: EIP pushed, EDI, ESP. */
const IRQ_LOG = 0x5000;
const PAGE_DIRECTORY = 0x10000;
const PAGE_TABLE = 0x11000;
/** Random programs' data: ESI points around DATA + 0x400, a page boundary. */
const DATA = 0x20c00;
const CALL_TABLE = DATA + 0x1300;
const COUNTER = DATA + 0x1380;
const STACK_TOP = 0x90000;
/** The TSS's ring-0 stack, for faults and interrupts from ring 3. */
const RING0_STACK_TOP = 0x80000;
/** Where programs put a table for the test to read: right after the prologue's JMP. */
const SITES = 0x7c05;

interface KernelOptions {
  /** vector -> handler label (the handler's code goes in `extra`). */
  gates?: Record<number, string>;
  paging?: boolean;
  /** Dwords placed at SITES (labels or numbers); by default the trap handler's start and end. */
  sites?: string[];
  extra?: string;
}

/**
 * Ring 0, flat segments from a GDT of our own (with ring-3 segments and a TSS
 * too), an IDT with every vector up to 0x47 on a handler that marks
 * UNEXPECTED and halts, the gates asked for (0x30 reachable from ring 3), an
 * external-interrupt handler at 0x40 that logs the EIP it interrupted, a trap
 * gate at 0x41 that only counts, and optionally paging: one page table
 * identity-mapping 4 MiB for ring 0 and 3, CR0.WP set.
 */
function kernel(body: string, options: KernelOptions = {}): string {
  const gates = { 0x40: 'irq_handler', 0x41: 'trap_handler', ...options.gates };
  const setGates = Object.entries(gates)
    .map(([vector, label]) => `  mov eax, ${label}\n  mov ebx, ${vector}\n  call set_gate`)
    .join('\n');
  const paging = options.paging
    ? `
  mov edi, ${PAGE_TABLE}
  mov eax, 7                    ; present, writable, user
  mov ecx, 1024
.pt_fill:
  mov [edi], eax
  add eax, 0x1000
  add edi, 4
  dec ecx
  jnz .pt_fill
  mov dword [${PAGE_DIRECTORY}], ${PAGE_TABLE} | 7
  mov eax, ${PAGE_DIRECTORY}
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80010000
  mov cr0, eax`
    : '';
  return `
bits 32
org 0x7c00
  jmp strict near start
sites: dd ${(options.sites ?? ['trap_handler', 'trap_handler_end']).join(', ')}
start:
  lgdt [gdt_descriptor]
  jmp 0x08:reload
reload:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov fs, ax
  mov gs, ax
  mov ss, ax
  mov esp, ${STACK_TOP}
  xor ecx, ecx
.idt_fill:
  mov eax, unexpected
  mov [idt + ecx*8], ax
  mov word [idt + ecx*8 + 2], 0x08
  mov word [idt + ecx*8 + 4], 0x8e00
  shr eax, 16
  mov [idt + ecx*8 + 6], ax
  inc ecx
  cmp ecx, 0x48
  jne .idt_fill
${setGates}
  mov word [idt + 0x41*8 + 4], 0x8f00   ; 0x41: a trap gate, IF stays set in its handler
  mov word [idt + 0x30*8 + 4], 0xee00   ; 0x30: reachable from ring 3
  lidt [idt_descriptor]
  ; A TSS with the ring-0 stack for interrupts and faults from ring 3.
  mov dword [tss + 4], ${RING0_STACK_TOP}
  mov dword [tss + 8], 0x10
  mov word [tss + 0x66], 104
  mov eax, tss
  mov [gdt + 0x38 + 2], ax
  shr eax, 16
  mov [gdt + 0x38 + 4], al
  mov [gdt + 0x38 + 7], ah
  mov ax, 0x38
  ltr ax
${paging}
  xor eax, eax
  xor ebx, ebx
  xor ecx, ecx
  xor edx, edx
  xor esi, esi
  xor edi, edi
  xor ebp, ebp
  sti
${body}
  hlt

unexpected:
  mov dword [${UNEXPECTED}], 0xdead
  cli
  hlt

; set_gate: EAX handler, EBX vector.
set_gate:
  mov [idt + ebx*8], ax
  mov word [idt + ebx*8 + 2], 0x08
  mov word [idt + ebx*8 + 4], 0x8e00
  shr eax, 16
  mov [idt + ebx*8 + 6], ax
  ret

irq_handler:
  push eax
  push ebx
  mov ebx, [${IRQ_COUNT}]
  shl ebx, 4
  mov eax, [esp + 8]
  mov [${IRQ_LOG} + ebx], eax
  mov [${IRQ_LOG} + ebx + 4], edi
  lea eax, [esp + 20]
  mov [${IRQ_LOG} + ebx + 8], eax
  inc dword [${IRQ_COUNT}]
  pop ebx
  pop eax
  iretd

; A trap gate's handler that starts with a few register-only instructions (no store: nothing in it
; makes a block stop early), so that an interrupt waiting behind this one shows where it is taken.
trap_handler:
  add eax, 0x1234
  lea ecx, [ecx + 9]
  sub eax, 0x1234
  lea ecx, [ecx - 9]
  inc dword [${TRAP_COUNT}]
  iretd
trap_handler_end:

${options.extra ?? ''}

align 8
gdt:
  dq 0
  dq 0x00cf9a000000ffff      ; 0x08 code, flat
  dq 0x00cf92000000ffff      ; 0x10 data, flat
  dq 0x004f92000000ffff      ; 0x18 data, limit 0xfffff bytes
  dq 0x004992000000ffff      ; 0x20 stack, 32-bit, limit 0x9ffff bytes
  dq 0x00cffa000000ffff      ; 0x28 ring-3 code, flat
  dq 0x00cff2000000ffff      ; 0x30 ring-3 data, flat
  dq 0x0000890000000067      ; 0x38 TSS (base patched)
gdt_end:
gdt_descriptor: dw gdt_end - gdt - 1
  dd gdt
align 8
idt: times 0x48*8 db 0
idt_descriptor: dw 0x48*8 - 1
  dd idt
tss: times 104 db 0
`;
}

function readSites(m: TestMachine, count: number): number[] {
  return Array.from({ length: count }, (_, k) => m.memory.read32(SITES + 4 * k));
}

function log(m: TestMachine, base: number, countAddress: number, words: number): number[][] {
  const count = m.memory.read32(countAddress);
  return Array.from({ length: count }, (_, k) => Array.from({ length: words }, (_, w) => m.memory.read32(base + (k * words + w) * 4)));
}

function expectNoUnexpectedVector(run: Lockstep): void {
  expect(run.plain.m.memory.read32(UNEXPECTED), 'an exception without a handler was raised').toBe(0);
}

// ---- 1. Random programs -------------------------------------------------------

const R32 = ['eax', 'ebx', 'ecx', 'edx'];
/** Registers that may be read: the pointers, the loop counter and ESP too. */
const SOURCES = ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp'];
const R16 = ['ax', 'bx', 'cx', 'dx'];
const R8 = ['al', 'bl', 'cl', 'dl', 'ah', 'bh', 'ch', 'dh'];
const CONDITIONS = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
const SHIFTS = ['shl', 'shr', 'sar', 'rol', 'ror', 'sal'];
const SPECIAL = [0, 1, 2, -1, -2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x7fffffff, -0x80000000, -0x7fffffff, 31, 32, 33];

interface Context {
  /** EBP is free for index computations (not a frame pointer). */
  ebpFree: boolean;
  /** Only ops the block tier translates, no control transfers: a body that can be one looping block. */
  pure: boolean;
}

/**
 * Random NASM code. Invariants the generated code keeps: EAX-EDX hold
 * anything; ESI points into the data area (DATA .. DATA+0x400); EDI counts
 * loops; EBP is an index (MOVZX from a byte register just before its use) or
 * a subroutine's frame pointer; the stack is balanced by each body.
 */
class Generator {
  private labels = 0;
  readonly subroutines: string[][] = [];

  constructor(private readonly random: Random) {}

  private int(n: number): number {
    return this.random() % n;
  }

  private chance(percent: number): boolean {
    return this.int(100) < percent;
  }

  private pick<T>(values: readonly T[]): T {
    return values[this.int(values.length)];
  }

  private label(): string {
    return `.L${this.labels++}`;
  }

  imm32(): number {
    return this.chance(50) ? this.pick(SPECIAL) | 0 : this.random() | 0;
  }

  private imm8(): number {
    return this.chance(50) ? this.pick([0, 1, -1, 0x7f, -0x80, 2, 8]) : (this.int(256) << 24) >> 24;
  }

  /** A memory operand (without its size): lines that set up EBP, then the operand, sometimes with a segment prefix (all flat). */
  private memory(context: Context, forLoad: boolean): { setup: string[]; operand: string } {
    const { setup, operand } = this.address(context, forLoad);
    if (!this.chance(15)) return { setup, operand };
    const prefix = this.pick(forLoad ? ['es', 'fs', 'gs', 'ss', 'ds', 'cs'] : ['es', 'fs', 'gs', 'ss', 'ds']);
    return { setup, operand: `[${prefix}:${operand.slice(1)}` };
  }

  private address(context: Context, forLoad: boolean): { setup: string[]; operand: string } {
    const disp = this.chance(70) ? this.int(0x400) : this.int(0x100) & ~3;
    const choice = this.int(forLoad ? 7 : 6);
    const index = (): string[] => [`movzx ebp, ${this.pick(R8)}`];
    if (!context.ebpFree && choice >= 1 && choice <= 3) return { setup: [], operand: `[esi + ${disp}]` };
    switch (choice) {
      case 0:
        return { setup: [], operand: `[esi + ${disp}]` };
      case 1:
        return { setup: index(), operand: `[esi + ebp*${this.pick([1, 2, 4, 8])} + ${disp}]` };
      case 2:
        return { setup: index(), operand: `[${DATA} + ebp*${this.pick([1, 2, 4])} + ${disp}]` };
      case 3:
        return { setup: index(), operand: `[ebp + esi + ${disp}]` }; // SS by default
      case 4:
        return { setup: [], operand: `[${DATA + this.int(0x800)}]` };
      case 5:
        return { setup: [], operand: `[esi - ${this.int(0x300)}]` };
      default:
        return { setup: [], operand: `[esp + ${this.int(4) * 4 + this.int(2)}]` };
    }
  }

  /** One instruction (or a few that belong together) the block tier translates, sometimes with a flags reader after it. */
  simple(context: Context, out: string[]): void {
    this.operation(context, out);
    if (this.chance(30)) {
      const r = this.pick(R32);
      const readers = [`set${this.pick(CONDITIONS)} ${this.pick(R8)}`, `cmov${this.pick(CONDITIONS)} ${r}, ${this.pick(SOURCES)}`, `adc ${r}, ${this.imm8()}`, `sbb ${r}, ${this.pick(R32)}`];
      if (!context.pure) readers.push(`pushfd\n  pop ${r}`, 'lahf');
      out.push(this.pick(readers));
    }
  }

  private operation(context: Context, out: string[]): void {
    const r = (): string => this.pick(R32);
    const s = (): string => this.pick(SOURCES);
    const r8 = (): string => this.pick(R8);
    const load = (): string => {
      const { setup, operand } = this.memory(context, true);
      out.push(...setup);
      return operand;
    };
    const store = (): string => {
      const { setup, operand } = this.memory(context, false);
      out.push(...setup);
      return operand;
    };
    switch (this.int(38)) {
      case 0: out.push(`${this.pick(ALU)} ${r()}, ${s()}`); break;
      case 1: out.push(`${this.pick(ALU)} ${r()}, ${this.imm32()}`); break;
      case 2: out.push(`${this.pick(ALU)} ${r()}, strict dword ${this.imm8()}`); break;
      case 3: { const m = load(); out.push(`${this.pick(ALU)} ${r()}, ${m}`); break; }
      case 4: { const m = store(); out.push(`${this.pick(ALU)} ${m}, ${s()}`); break; }
      case 5: { const m = store(); out.push(`${this.pick(ALU)} dword ${m}, ${this.imm32()}`); break; }
      case 6: out.push(`${this.pick(ALU)} ${r8()}, ${r8()}`); break;
      case 7: out.push(`${this.pick(ALU)} ${r8()}, ${this.imm8()}`); break;
      case 8: { const m = load(); out.push(`${this.pick(ALU)} ${r8()}, byte ${m}`); break; }
      case 9: { const m = store(); out.push(`${this.pick(ALU)} byte ${m}, ${this.pick([r8(), String(this.imm8())])}`); break; }
      case 10: out.push(this.chance(50) ? `test ${r()}, ${s()}` : `test ${r()}, ${this.imm32()}`); break;
      case 11: { const m = load(); out.push(this.chance(50) ? `test dword ${m}, ${this.imm32()}` : `test ${m}, ${s()}`); break; }
      case 12: {
        // MOV r32, r32 in both encodings (89 and 8B).
        if (this.chance(50)) out.push(`mov ${r()}, ${s()}`);
        else out.push(`db 0x8b, ${0xc0 | ([0, 3, 1, 2][this.int(4)] << 3) | this.int(8)}`);
        break;
      }
      case 13: out.push(`mov ${r()}, ${this.imm32()}`); break;
      case 14: { const m = load(); out.push(`mov ${r()}, ${m}`); break; }
      case 15: { const m = store(); out.push(this.chance(50) ? `mov ${m}, ${s()}` : `mov dword ${m}, ${this.imm32()}`); break; }
      case 16: {
        const m = this.int(4);
        if (m === 0) out.push(`mov ${r8()}, ${r8()}`);
        else if (m === 1) out.push(`mov ${r8()}, ${this.imm8()}`);
        else if (m === 2) { const a = load(); out.push(`mov ${r8()}, byte ${a}`); }
        else { const a = store(); out.push(this.chance(50) ? `mov byte ${a}, ${r8()}` : `mov byte ${a}, ${this.imm8()}`); }
        break;
      }
      case 17: {
        // MOV AL/EAX with a plain offset (A0-A3).
        const at = DATA + this.int(0x800);
        out.push(this.pick([`mov eax, [${at}]`, `mov al, [${at}]`, `mov [${at}], eax`, `mov [${at}], al`]));
        break;
      }
      case 18: {
        const index = this.pick(['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp']);
        const base = s();
        const disp = this.chance(50) ? this.imm32() : this.imm8();
        out.push(this.pick([`lea ${r()}, [${base} + ${index}*${this.pick([1, 2, 4, 8])} + ${disp}]`, `lea ${r()}, [${base} + ${disp}]`, `lea ${r()}, [${index}*${this.pick([2, 4, 8])}]`]));
        break;
      }
      case 19: out.push(`${this.pick(['inc', 'dec'])} ${this.pick([r(), r8()])}`); break;
      case 20: { const m = store(); out.push(`${this.pick(['inc', 'dec'])} ${this.pick(['byte', 'dword'])} ${m}`); break; }
      case 21: out.push(`${this.pick(['not', 'neg'])} ${r()}`); break;
      case 22: case 34: case 35: case 36: {
        // A shift or rotate by an immediate (0 and 32 included: counts are masked to 5 bits, and 0 changes nothing), by 1 or by CL.
        const count = this.pick([String(this.int(33)), '1', 'cl', String(this.int(8)), this.pick(['0', '31', '32'])]);
        out.push(`${this.pick(SHIFTS)} ${this.pick([r(), r(), r8()])}, ${count}`);
        break;
      }
      case 23: { const m = store(); out.push(`${this.pick(SHIFTS)} ${this.pick(['dword', 'byte'])} ${m}, ${this.pick(['cl', String(this.int(32)), '1'])}`); break; }
      case 24: out.push(this.pick([`movzx ${r()}, ${r8()}`, `movsx ${r()}, ${r8()}`, `movzx ${r()}, ${this.pick(R16)}`, `movsx ${r()}, ${this.pick(R16)}`])); break;
      case 25: { const m = load(); out.push(`${this.pick(['movzx', 'movsx'])} ${r()}, ${this.pick(['byte', 'word'])} ${m}`); break; }
      case 26: {
        if (this.chance(60)) out.push(`set${this.pick(CONDITIONS)} ${r8()}`);
        else { const m = store(); out.push(`set${this.pick(CONDITIONS)} byte ${m}`); }
        break;
      }
      case 27: {
        if (this.chance(60)) out.push(`cmov${this.pick(CONDITIONS)} ${r()}, ${s()}`);
        else { const m = load(); out.push(`cmov${this.pick(CONDITIONS)} ${r()}, ${m}`); }
        break;
      }
      case 28: {
        const k = this.int(4);
        if (k === 0) out.push(`imul ${r()}, ${s()}`);
        else if (k === 1) out.push(`imul ${r()}, ${s()}, ${this.pick([this.imm8(), this.imm32()])}`);
        else if (k === 2) { const m = load(); out.push(`imul ${r()}, ${m}`); }
        else { const m = load(); out.push(`imul ${r()}, dword ${m}, ${this.imm8()}`); }
        break;
      }
      case 29: out.push(`xchg ${r()}, ${r()}`); break;
      case 30: out.push(this.pick(['cdq', 'cwde', 'nop'])); break;
      case 31: {
        // PUSH and POP, balanced: push one to three things, maybe work, pop them.
        const pushes = 1 + this.int(3);
        for (let k = 0; k < pushes; k++) {
          const kind = this.int(4);
          if (kind === 0) out.push(`push ${s()}`);
          else if (kind === 1) out.push(`push ${this.imm8()}`);
          else if (kind === 2) out.push(`push strict dword ${this.imm32()}`);
          else { const m = load(); out.push(`push dword ${m}`); }
        }
        if (this.chance(50)) this.simple({ ...context }, out);
        for (let k = 0; k < pushes; k++) out.push(`pop ${r()}`);
        break;
      }
      case 32: { const m = load(); out.push(`mov ${r()}, ${m}`, `add ${r()}, ${r()}`); break; }
      default: out.push(`${this.pick(['adc', 'sbb'])} ${r()}, ${this.pick([s(), String(this.imm8())])}`); break;
    }
  }

  /** An instruction the block tier leaves to the interpreter (it ends a block). */
  private generic(out: string[]): void {
    const r = this.pick(R32);
    out.push(
      this.pick([
        `pushfd\n  pop ${r}`, 'lahf', 'sahf', `bswap ${r}`, `bt ${r}, ${this.int(32)}`, `rcl ${r}, ${this.int(4)}`, `rcr ${this.pick(R8)}, 1`,
        'stc', 'clc', 'cmc', `shld ${r}, ${this.pick(R32)}, ${this.int(32)}`, `mul ${this.pick(R32)}`, `bsf ${r}, ${this.pick(R32)}`,
      ]),
    );
  }

  /** Something that sets flags, then a Jcc on any of the 16 conditions over a few instructions. */
  private branch(context: Context, out: string[]): void {
    const r = this.pick(R32);
    const other = this.pick(SOURCES);
    const setters = [
      // Fused with the Jcc in one record.
      `cmp ${r}, ${other}`, `cmp ${r}, ${this.imm32()}`, `cmp ${r}, ${r}`, `test ${r}, ${other}`, `test ${r}, ${this.imm32()}`,
      `and ${r}, ${this.imm32()}`, `add ${r}, ${this.imm32()}`, `sub ${r}, ${this.imm32()}`, `inc ${r}`, `dec ${r}`,
      `add ${r}, ${this.imm8()}`, `sub ${r}, ${this.imm8()}`, `cmp ${r}, ${this.imm8()}`,
      // Not fused.
      `add ${r}, ${other}`, `sub ${r}, ${other}`, `or ${r}, ${this.imm32()}`, `xor ${r}, ${other}`, `cmp ${this.pick(R8)}, ${this.imm8()}`,
      `cmp ${this.pick(R8)}, ${this.pick(R8)}`, `shl ${r}, ${this.int(32)}`, `sar ${r}, cl`, `neg ${r}`, `adc ${r}, ${other}`,
      `imul ${r}, ${other}`, `cmp ${r}, [esi + ${this.int(0x400)}]`, `inc byte [esi + ${this.int(0x400)}]`, `bt ${r}, ${this.int(32)}`,
    ];
    out.push(this.pick(setters));
    // Sometimes an instruction that leaves the flags alone comes between (the Jcc reads the older flags).
    if (this.chance(20)) out.push(this.pick([`mov ${this.pick(R32)}, ${this.imm32()}`, `lea ${this.pick(R32)}, [${this.pick(SOURCES)} + 4]`, `movzx ${this.pick(R32)}, ${this.pick(R8)}`]));
    const target = this.label();
    out.push(`j${this.pick(CONDITIONS)} ${this.chance(20) ? 'near ' : ''}${target}`);
    const skipped = 1 + this.int(3);
    for (let k = 0; k < skipped; k++) this.simple(context, out);
    out.push(`${target}:`);
  }

  /** A call to a new subroutine, one of several shapes. */
  private call(out: string[]): void {
    const name = `sub${this.subroutines.length}`;
    const body: string[] = [`${name}:`];
    const args = this.int(3);
    const framed = this.chance(60);
    if (framed) body.push('push ebp', 'mov ebp, esp');
    if (framed && args > 0) body.push(`mov ${this.pick(R32)}, [ebp + 8]`, `add ${this.pick(R32)}, [ebp + ${4 + 4 * args}]`);
    const context: Context = { ebpFree: !framed, pure: false };
    const length = 2 + this.int(8);
    for (let k = 0; k < length; k++) {
      if (this.chance(15)) this.branch(context, body);
      else this.simple(context, body);
    }
    if (framed) body.push('leave');
    body.push(args > 0 ? `ret ${4 * args}` : 'ret');
    this.subroutines.push(body);
    for (let k = 0; k < args; k++) out.push(this.chance(50) ? `push ${this.pick(SOURCES)}` : `push ${this.imm8()}`);
    const how = this.int(3);
    if (how === 0) out.push(`call ${name}`);
    else if (how === 1) out.push(`mov ebp, ${name}`, 'call ebp');
    else out.push(`mov dword [${CALL_TABLE + 4 * (this.subroutines.length % 16)}], ${name}`, `call [${CALL_TABLE + 4 * (this.subroutines.length % 16)}]`);
  }

  /** A loop of `iterations` passes over a random body, closed by one of the usual counter-and-branch forms. */
  loop(iterations: number, pure: boolean, out: string[], bodyLength?: number): void {
    const context: Context = { ebpFree: true, pure };
    const top = this.label();
    const closer = this.int(11);
    out.push(`mov esi, ${DATA + this.int(0x400)}`);
    for (const r of R32) if (this.chance(50)) out.push(`mov ${r}, ${this.imm32()}`);
    if (closer === 3) out.push('xor edi, edi');
    else if (closer === 5) out.push(`lea edi, [esi - ${iterations}]`);
    else if (closer === 8) out.push(`mov dword [${COUNTER}], ${iterations}`);
    else out.push(`mov edi, ${iterations}`);
    out.push(`${top}:`);
    // Now and then a body longer than a block may be (64 records).
    const length = bodyLength ?? (pure ? (this.chance(10) ? 70 + this.int(40) : 2 + this.int(20)) : 4 + this.int(24));
    for (let k = 0; k < length; k++) {
      const roll = this.int(100);
      if (pure || roll < 70) this.simple(context, out);
      else if (roll < 85) this.branch(context, out);
      else if (roll < 93) this.generic(out);
      else this.call(out);
    }
    switch (closer) {
      case 0: out.push('dec edi', `jnz ${top}`); break;
      case 1: out.push('sub edi, 1', `jnz ${top}`); break;
      case 2: out.push('add edi, -1', `jnz ${top}`); break;
      case 3: out.push('inc edi', `cmp edi, ${iterations}`, `${this.pick(['jb', 'jne', 'jl'])} ${top}`); break;
      case 4: out.push('dec edi', 'test edi, edi', `${this.pick(['jnz', 'jg'])} ${top}`); break;
      case 5: out.push('inc edi', 'cmp edi, esi', `jne ${top}`); break;
      case 6: out.push('dec edi', `jnz near ${top}`); break;
      case 7: out.push('dec edi', 'nop', `jnz ${top}`); break; // the Jcc reads flags a record earlier
      case 8: out.push(`dec dword [${COUNTER}]`, `jnz ${top}`); break;
      case 9: out.push('sub edi, 1', 'and edi, 0xffff', `jnz ${top}`); break;
      default: out.push('dec edi', 'test edi, 0x3ff', `jnz ${top}`); break;
    }
  }
}

/** A random program: some loops (pure ones can be a single block looping on itself) and its subroutines. */
function randomProgram(seed: number): string {
  const random = xorshift(seed);
  const generator = new Generator(random);
  const body: string[] = [];
  const loops = 6 + (random() % 6);
  for (let k = 0; k < loops; k++) {
    const pure = random() % 2 === 0;
    generator.loop(20 + (random() % 250), pure, body);
  }
  const subroutines = generator.subroutines.map((lines) => lines.join('\n  ')).join('\n');
  return kernel(body.map((line) => (line.endsWith(':') ? line : `  ${line}`)).join('\n'), { extra: subroutines });
}

describe('random programs: blocks against the record interpreter', () => {
  const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

  it.each(SEEDS)('seed %i, in slices, blocks at the first dispatch and after a few', (seed) => {
    const code = assemble(randomProgram(seed));
    for (const hot of [1, 2 + (seed % 4)]) {
      const run = lockstep(code, { hot, seed: seed * 31 + hot });
      expectNoUnexpectedVector(run);
      expect(run.plain.stats.compiled, 'the plain machine compiled nothing').toBe(0);
      expect(run.blocks.stats.calls).toBeGreaterThan(50);
      expect(run.blocks.stats.looped).toBeGreaterThan(0);
    }
  });
});

// ---- 2. Faults inside blocks --------------------------------------------------

/**
 * A fault handler for `vector`: logs a FAULT_LOG entry (`detail` is CR2 or a
 * register), then `fix` makes the retried instruction go through.
 */
function faultHandler(label: string, vector: number, detail: string, fix: string): string {
  return `
${label}:
  push eax
  push ebx
  mov ebx, [${FAULT_COUNT}]
  shl ebx, 5
  mov eax, ${detail}
  mov [${FAULT_LOG} + ebx], eax
  mov eax, [esp + 8]              ; error code
  mov [${FAULT_LOG} + ebx + 4], eax
  mov eax, [esp + 12]             ; EIP of the faulting instruction
  mov [${FAULT_LOG} + ebx + 8], eax
  lea eax, [esp + 24]             ; ESP when it faulted: two saved registers, error code, EIP, CS, EFLAGS
  mov [${FAULT_LOG} + ebx + 12], eax
  mov [${FAULT_LOG} + ebx + 16], edi
  mov eax, [esp + 20]             ; EFLAGS
  mov [${FAULT_LOG} + ebx + 20], eax
  mov dword [${FAULT_LOG} + ebx + 24], ${vector}
  inc dword [${FAULT_COUNT}]
${fix}
  pop ebx
  pop eax
  add esp, 4
  iretd`;
}

interface FaultSite {
  /** Lines before the faulting instruction (flag changes, pushes). */
  before: string[];
  faulting: string;
  after: string[];
  /** Pushes in `before` that are live at the fault. */
  pushed: number;
  /** The error code, where it is certain (not for read-modify-writes). */
  errorCode?: number;
  stride?: number;
}

/** One loop per site, a straight line closed by DEC/JNZ (a block looping on itself), walking ESI (or `pointer`) through `region`. */
function faultLoops(sites: FaultSite[], pointer: string, region: (k: number) => number, iterations: number): string {
  return sites
    .map(
      (site, k) => `
  mov ${pointer}, ${region(k)}
  mov edi, ${iterations}
  xor ebx, ebx
loop${k}:
  ${site.before.join('\n  ')}
site${k}:
  ${site.faulting}
  ${site.after.join('\n  ')}
  add ${pointer}, ${site.stride ?? 0x1a4}
  dec edi
  jnz loop${k}`,
    )
    .join('\n');
}

const PF_REGION = 0x100000;
const PF_REGION_SIZE = 0x5000;

const PAGE_FAULT_SITES: FaultSite[] = [
  { before: [], faulting: 'mov eax, [esi]', after: ['add ebx, eax', 'mov [esi], ebx'], pushed: 0, errorCode: 0 },
  { before: ['push ebx', 'add ebx, edi', 'push esi'], faulting: 'add ebx, [esi + 8]', after: ['pop ecx', 'pop ecx'], pushed: 2, errorCode: 0 },
  { before: ['inc ebx', 'mov eax, edi'], faulting: 'mov [esi + 12], eax', after: ['sub ebx, eax'], pushed: 0, errorCode: 2 },
  { before: ['lea eax, [edi*4 + 1]', 'cmp eax, 77'], faulting: 'add [esi + 16], eax', after: [], pushed: 0 },
  { before: ['sub ebx, 3'], faulting: 'xor byte [esi + 21], 0x5a', after: ['adc ebx, 0'], pushed: 0 },
  { before: ['push edi', 'neg ebx'], faulting: 'inc dword [esi + 24]', after: ['pop eax'], pushed: 1 },
  { before: ['push edi'], faulting: 'push dword [esi + 28]', after: ['pop eax', 'pop ecx', 'add ebx, eax'], pushed: 1, errorCode: 0 },
  { before: ['shl ebx, 3'], faulting: 'movzx eax, byte [esi + 33]', after: ['add ebx, eax'], pushed: 0, errorCode: 0 },
  { before: ['cmp edi, 20'], faulting: 'cmovb eax, [esi + 36]', after: ['add ebx, eax'], pushed: 0, errorCode: 0 },
  { before: ['or ebx, 1'], faulting: 'imul ebx, [esi + 40]', after: [], pushed: 0, errorCode: 0 },
  { before: ['test edi, 1'], faulting: 'setnz byte [esi + 45]', after: [], pushed: 0, errorCode: 2 },
  { before: ['push esi', 'push edi', 'push ebx'], faulting: 'mov dword [esi + 48], 0x12345678', after: ['pop ebx', 'pop edi', 'pop esi'], pushed: 3, errorCode: 2 },
  // Straddles a page boundary now and then: the second page faults.
  { before: [], faulting: 'mov eax, [esi + 0xffe]', after: ['xor ebx, eax'], pushed: 0, errorCode: 0, stride: 0x1a5 },
  // A transfer at the end of the block.
  { before: ['add ebx, 1'], faulting: 'call [esi + 52]', after: [], pushed: 0, errorCode: 0 },
  { before: ['dec ebx'], faulting: 'sub dword [esi + 56], 7', after: [], pushed: 0 },
  { before: ['mov bl, 5'], faulting: 'add [esi + 61], bl', after: [], pushed: 0 },
  { before: [], faulting: 'mov [esi + 63], al', after: ['inc eax'], pushed: 0, errorCode: 2 },
  { before: ['push eax'], faulting: 'mov cl, [esi + 65]', after: ['pop eax', 'add bl, cl'], pushed: 1, errorCode: 0 },
  { before: ['mov ecx, edi'], faulting: 'sub ecx, [esi + 68]', after: ['add ebx, ecx'], pushed: 0, errorCode: 0 },
];

/** The last loop's region is present but read-only (with CR0.WP): its stores fault with error code 3. */
const WRITE_PROTECT_SITE: FaultSite = { before: ['push edi', 'inc ebx'], faulting: 'mov [esi + 4], ebx', after: ['pop edi'], pushed: 1, errorCode: 3 };
const PF_SITES = [...PAGE_FAULT_SITES, WRITE_PROTECT_SITE];
const PAGE_FAULT_PROGRAM = kernel(
  `
  ; Fill the fault region with the address of a RET (what CALL [ESI + 52] reads), then unmap it,
  ; and make the last site's region present but read-only.
  mov edi, ${PF_REGION}
  mov ecx, ${((PAGE_FAULT_SITES.length + 1) * PF_REGION_SIZE) / 4}
  mov eax, tiny_ret
  cld
  rep stosd
  mov ecx, ${PF_REGION >>> 12}
.unmap:
  and dword [${PAGE_TABLE} + ecx*4], ~1
  inc ecx
  cmp ecx, ${(PF_REGION + PAGE_FAULT_SITES.length * PF_REGION_SIZE) >>> 12}
  jne .unmap
.protect:
  and dword [${PAGE_TABLE} + ecx*4], ~2
  inc ecx
  cmp ecx, ${(PF_REGION + (PAGE_FAULT_SITES.length + 1) * PF_REGION_SIZE) >>> 12}
  jne .protect
  mov eax, cr3
  mov cr3, eax
${faultLoops(PF_SITES, 'esi', (k) => PF_REGION + k * PF_REGION_SIZE, 40)}`,
  {
    paging: true,
    gates: { 14: 'page_fault' },
    sites: PF_SITES.map((_, k) => `site${k}`),
    extra: `
tiny_ret:
  ret
${faultHandler('page_fault', 14, 'cr2', `
  mov eax, cr2
  shr eax, 12
  or dword [${PAGE_TABLE} + eax*4], 3   ; present and writable (and user, as all pages here)
  mov eax, cr2
  invlpg [eax]`)}`,
  },
);

const LIMIT_REGION = 0xfe000;
const STACK_REGION = 0x9e000;

const GP_SITES: FaultSite[] = [
  { before: [], faulting: 'mov eax, [fs:esi]', after: ['add ebx, eax'], pushed: 0, errorCode: 0 },
  { before: ['push eax', 'add eax, edi'], faulting: 'add [fs:esi + 8], eax', after: ['pop eax'], pushed: 1, errorCode: 0 },
  { before: ['inc ebx'], faulting: 'mov byte [fs:esi + 3], 7', after: [], pushed: 0, errorCode: 0 },
  { before: ['push edi', 'push ebx'], faulting: 'inc dword [fs:esi + 12]', after: ['pop ebx', 'pop edi'], pushed: 2, errorCode: 0 },
  { before: ['sub ebx, edi'], faulting: 'push dword [fs:esi + 16]', after: ['pop eax'], pushed: 0, errorCode: 0 },
  { before: [], faulting: 'movzx eax, word [fs:esi + 20]', after: ['xor ebx, eax'], pushed: 0, errorCode: 0 },
];
const SS_SITES: FaultSite[] = [
  { before: ['add ebx, 7'], faulting: 'mov eax, [ebp + 4]', after: ['add ebx, eax'], pushed: 0, errorCode: 0 },
  { before: ['push edi'], faulting: 'add [ebp + 8], ebx', after: ['pop edi'], pushed: 1, errorCode: 0 },
  { before: [], faulting: 'mov [ebp], edi', after: ['inc ebx'], pushed: 0, errorCode: 0 },
  { before: ['push ebx', 'push edi'], faulting: 'mov ecx, [ebp + 12]', after: ['pop edi', 'pop ebx', 'add ebx, ecx'], pushed: 2, errorCode: 0 },
];

/** #GP from a data segment limit (FS, limit 0xFFFFF) and #SS from the stack segment's (limit 0x9FFFF); the handlers step the pointer back. */
const LIMIT_FAULT_PROGRAM = kernel(
  `
  mov ax, 0x18
  mov fs, ax
${faultLoops(GP_SITES, 'esi', () => LIMIT_REGION, 60)}
  mov ax, 0x20
  mov ss, ax
${faultLoops(SS_SITES, 'ebp', () => STACK_REGION, 60).replace(/site(\d)/g, 'ss_site$1').replace(/loop(\d)/g, 'ss_loop$1')}
  mov ax, 0x10
  mov ss, ax`,
  {
    gates: { 13: 'general_protection', 12: 'stack_fault' },
    sites: [...GP_SITES.map((_, k) => `site${k}`), ...SS_SITES.map((_, k) => `ss_site${k}`)],
    extra: `
${faultHandler('general_protection', 13, 'esi', '  sub esi, 0x1000')}
${faultHandler('stack_fault', 12, 'ebp', '  sub ebp, 0x1000')}`,
  },
);

/** Check a fault log against the sites: each fault at a site, with its ESP and (where certain) error code. */
function checkFaultLog(entries: number[][], siteAddresses: number[], sites: FaultSite[], vectors: number[]): void {
  for (const [detail, errorCode, eip, esp, , , vector] of entries) {
    const k = siteAddresses.indexOf(eip);
    expect(k, `a fault at ${hex(eip)} (detail ${hex(detail)}), not at a site`).toBeGreaterThanOrEqual(0);
    expect(vector).toBe(vectors[k]);
    expect(hex(esp), `ESP at the fault of site ${k}`).toBe(hex(STACK_TOP - 4 * sites[k].pushed));
    if (sites[k].errorCode !== undefined) expect(errorCode, `error code of site ${k}`).toBe(sites[k].errorCode);
  }
  // Every site faulted, more than once.
  siteAddresses.forEach((address, k) => expect(entries.filter((entry) => entry[2] === address).length, `faults at site ${k}`).toBeGreaterThan(1));
}

describe('faults inside blocks', () => {
  it('#PF in the middle of hot, looping blocks: the handler sees the faulting instruction, ESP and flags; the page is mapped and the loop goes on', () => {
    const code = assemble(PAGE_FAULT_PROGRAM);
    for (const hot of [1, 3]) {
      const run = lockstep(code, { hot, seed: 77 + hot, memoryBytes: 2 << 20 });
      expectNoUnexpectedVector(run);
      const entries = log(run.plain.m, FAULT_LOG, FAULT_COUNT, 8);
      checkFaultLog(entries, readSites(run.plain.m, PF_SITES.length), PF_SITES, PF_SITES.map(() => 14));
      for (const [cr2, errorCode] of entries) {
        expect(cr2 >>> 0).toBeGreaterThanOrEqual(PF_REGION);
        expect(errorCode & 1, 'present (a protection fault) only in the read-only region').toBe(cr2 >= PF_REGION + PAGE_FAULT_SITES.length * PF_REGION_SIZE ? 1 : 0);
      }
      expect(run.blocks.stats.faulted).toBeGreaterThan(40);
      expect(run.blocks.stats.faultedAfterPass, 'faults after a block went round at least once').toBeGreaterThan(10);
    }
  });

  it('#GP (a data segment limit) and #SS (the stack segment limit) inside hot blocks', () => {
    const code = assemble(LIMIT_FAULT_PROGRAM);
    const sites = [...GP_SITES, ...SS_SITES];
    for (const hot of [1, 4]) {
      const run = lockstep(code, { hot, seed: 5 + hot, memoryBytes: 2 << 20 });
      expectNoUnexpectedVector(run);
      const entries = log(run.plain.m, FAULT_LOG, FAULT_COUNT, 8);
      checkFaultLog(entries, readSites(run.plain.m, sites.length), sites, sites.map((_, k) => (k < GP_SITES.length ? 13 : 12)));
      expect(run.blocks.stats.faulted).toBeGreaterThan(20);
      expect(run.blocks.stats.faultedAfterPass).toBeGreaterThan(5);
    }
  });
});

/**
 * The user stack starts 4 bytes into a page and each pass of the loop moves it
 * two pages less 4 bytes down: every pass starts on a page not yet present (its
 * first PUSH faults) 4 bytes further from that page's start than the last, so
 * in turn each later site is the first to reach the page below, and faults.
 */
const USER_STACK_TOP = 0x220004;
const USER_FRAME = 0x2000 - 4;
const USER_ITERATIONS = 16;

/** Pushes and calls at ring 3 on a stack whose pages are mapped only when first touched, each one deeper than the last. */
const USER_STACK_SITES: FaultSite[] = [
  { before: ['add ebx, edi'], faulting: 'push edi', after: [], pushed: 0, errorCode: 6 },
  { before: [], faulting: 'push strict dword 0x12345', after: [], pushed: 1, errorCode: 6 },
  { before: ['inc ebx'], faulting: 'push dword [user_data]', after: [], pushed: 2, errorCode: 6 },
  { before: [], faulting: 'call user_sub', after: [], pushed: 3, errorCode: 6 },
  { before: ['push 7', 'mov ebp, user_sub'], faulting: 'call ebp', after: [], pushed: 4, errorCode: 6 },
  { before: ['push 8'], faulting: 'call [user_pointer]', after: [], pushed: 5, errorCode: 6 },
  { before: ['push 9'], faulting: 'push ebx', after: ['pop eax', 'pop eax', 'pop eax', 'pop eax'], pushed: 6, errorCode: 6 },
];

const USER_STACK_PROGRAM = kernel(
  `
  mov ecx, ${((USER_STACK_TOP - USER_ITERATIONS * USER_FRAME) >>> 12) - 1}
.unmap:
  and dword [${PAGE_TABLE} + ecx*4], ~1
  inc ecx
  cmp ecx, ${(USER_STACK_TOP >>> 12) + 1}
  jne .unmap
  mov eax, cr3
  mov cr3, eax
  push dword 0x33
  push dword ${USER_STACK_TOP}
  push dword 0x202
  push dword 0x2b
  push dword user
  iretd`,
  {
    paging: true,
    gates: { 14: 'user_page_fault', 0x30: 'user_done' },
    sites: USER_STACK_SITES.map((_, k) => `user_site${k}`),
    extra: `
user:
  mov ax, 0x33
  mov ds, ax
  mov es, ax
  mov edi, ${USER_ITERATIONS}
user_loop:
${USER_STACK_SITES.map((site, k) => [...site.before, `user_site${k}:`, site.faulting, ...site.after].map((line) => (line.endsWith(':') ? line : `  ${line}`)).join('\n')).join('\n')}
  add esp, 12                     ; the three pushes that stay
  sub esp, ${USER_FRAME}
  dec edi
  jnz user_loop
  int 0x30
user_sub:
  ret
user_data: dd 0xfeed
user_pointer: dd user_sub

user_done:
  cli
  hlt

; A #PF from ring 3, on the TSS stack: log as faultHandler does, with the user ESP from the frame.
user_page_fault:
  push eax
  push ebx
  mov ebx, [${FAULT_COUNT}]
  shl ebx, 5
  mov eax, cr2
  mov [${FAULT_LOG} + ebx], eax
  mov eax, [esp + 8]
  mov [${FAULT_LOG} + ebx + 4], eax
  mov eax, [esp + 12]
  mov [${FAULT_LOG} + ebx + 8], eax
  mov eax, [esp + 24]             ; the user ESP when it faulted
  mov [${FAULT_LOG} + ebx + 12], eax
  mov [${FAULT_LOG} + ebx + 16], edi
  mov eax, [esp + 20]
  mov [${FAULT_LOG} + ebx + 20], eax
  mov dword [${FAULT_LOG} + ebx + 24], 14
  inc dword [${FAULT_COUNT}]
  mov eax, cr2
  shr eax, 12
  or dword [${PAGE_TABLE} + eax*4], 1
  mov eax, cr2
  invlpg [eax]
  pop ebx
  pop eax
  add esp, 4
  iretd`,
  },
);

describe('faults on the stack inside blocks, at ring 3', () => {
  it('a PUSH or CALL that touches a not-present stack page rolls back exactly: ESP, EIP and the count', () => {
    const code = assemble(USER_STACK_PROGRAM);
    for (const hot of [1, 2]) {
      const run = lockstep(code, { hot, seed: 31 + hot, memoryBytes: 4 << 20 });
      expectNoUnexpectedVector(run);
      expect(run.plain.m.cpu.cpl, 'ended in user_done').toBe(0);
      const entries = log(run.plain.m, FAULT_LOG, FAULT_COUNT, 8);
      const sites = readSites(run.plain.m, USER_STACK_SITES.length);
      expect(entries.length).toBe(USER_ITERATIONS + USER_STACK_SITES.length - 1);
      for (const [cr2, errorCode, eip, esp, edi] of entries) {
        const k = sites.indexOf(eip);
        expect(k, `a fault at ${hex(eip)}, not at a site`).toBeGreaterThanOrEqual(0);
        expect(errorCode, 'a user write to a page not present').toBe(6);
        const top = USER_STACK_TOP - (USER_ITERATIONS - edi) * USER_FRAME;
        expect(hex(esp), `ESP at the fault of site ${k}`).toBe(hex(top - 4 * USER_STACK_SITES[k].pushed));
        expect(cr2 >>> 12, 'the page below').toBe((esp - 4) >>> 12);
      }
      expect(new Set(entries.map(([, , eip]) => eip)).size, 'every site faulted').toBe(USER_STACK_SITES.length);
      expect(run.blocks.stats.faulted).toBeGreaterThan(5);
    }
  });
});

// ---- 3. Self-modifying code ---------------------------------------------------

/** Results of the self-modifying programs, one dword each. */
const RESULTS = 0x2e00;

const int8 = (value: number): number => (value << 24) >> 24;
const sum = (from: number, to: number, term: (n: number) => number): number => {
  let total = 0;
  for (let n = from; n <= to; n++) total = (total + term(n)) | 0;
  return total;
};

function smcRun(body: string, options: KernelOptions = {}, memoryBytes = 1 << 20): Lockstep[] {
  const code = assemble(kernel(body, options));
  return [1, 3].map((hot) => {
    const run = lockstep(code, { hot, seed: 100 + hot, memoryBytes });
    expectNoUnexpectedVector(run);
    return run;
  });
}

const result = (run: Lockstep, k: number): number => run.plain.m.memory.read32(RESULTS + 4 * k) | 0;

describe('self-modifying code', () => {
  it('a store into a later instruction of the same block takes effect when that instruction runs, in the same pass', () => {
    const runs = smcRun(`
  ; The immediate of an ADD two instructions on.
  xor ebx, ebx
  mov edi, 300
a_loop:
  mov eax, edi
  and eax, 0x3f
  mov [a_patch + 2], al
  lea ecx, [ecx + 1]
a_patch:
  add ebx, strict byte 0
  dec edi
  jnz a_loop
  mov [${RESULTS}], ebx
  ; The very next instruction, replaced whole by a dword store: ADD or SUB by turns.
  xor ebx, ebx
  mov edi, 300
b_loop:
  mov eax, edi
  and eax, 1
  mov eax, [b_forms + eax*4]
  mov [b_patch], eax
b_patch:
  add ebx, edi
  nop
  nop
  dec edi
  jnz b_loop
  mov [${RESULTS} + 4], ebx
  ; An instruction that rewrites its own immediate (read-modify-write): doubling it each pass.
  mov edi, 20
self_loop:
self:
  add dword [self + 6], strict dword 1
  dec edi
  jnz self_loop
  mov eax, [self + 6]
  mov [${RESULTS} + 8], eax
  jmp done
b_forms:
  add ebx, edi
  nop
  nop
  sub ebx, edi
  nop
  nop
done:`);
    for (const run of runs) {
      expect(result(run, 0)).toBe(sum(1, 300, (n) => n & 0x3f));
      expect(result(run, 1)).toBe(sum(1, 300, (n) => (n & 1 ? -n : n)));
      expect(result(run, 2)).toBe(1 << 20);
    }
  });

  it('a store into an instruction the looping block has already run is seen on its next pass', () => {
    const runs = smcRun(`
  xor ebx, ebx
  mov edi, 300
c_loop:
c_patch:
  add ebx, strict byte 1
  inc byte [c_patch + 2]
  dec edi
  jnz c_loop
  mov [${RESULTS}], ebx
  ; The same through an 8-bit ALU op on memory and a SETcc, records the block leaves to runColdOp.
  xor ebx, ebx
  xor edx, edx
  mov edi, 300
d_loop:
d_patch:
  sub ebx, strict byte 0
  xor byte [d_patch + 2], 0x11
  test edi, 2
  setnz byte [d_patch + 1]        ; then 0xEA or 0xEB: the ModRM of SUB EDX or SUB EBX
  or byte [d_patch + 1], 0xea
  dec edi
  jnz d_loop
  mov [${RESULTS} + 4], ebx
  mov [${RESULTS} + 8], edx`);
    let ebx = 0;
    let edx = 0;
    let immediate = 0;
    let modrm = 0xeb;
    for (let edi = 300; edi >= 1; edi--) {
      if (modrm === 0xeb) ebx = (ebx - int8(immediate)) | 0;
      else edx = (edx - int8(immediate)) | 0;
      immediate ^= 0x11;
      modrm = (edi & 2 ? 1 : 0) | 0xea;
    }
    expect(ebx !== 0 && edx !== 0).toBe(true);
    for (const run of runs) {
      expect(result(run, 0)).toBe(sum(0, 299, (k) => int8(1 + k)));
      expect([result(run, 1), result(run, 2)]).toEqual([ebx, edx]);
    }
  });

  it('a store into another block on the same page, one already compiled, and into a subroutine', () => {
    const runs = smcRun(`
  xor ebx, ebx
  mov edi, 300
e_loop:
  mov eax, edi
  and eax, 0x3f
  mov [e_other + 2], al
  cmp eax, 10
  jb e_skip
e_other:
  add ebx, strict byte 0
e_skip:
  dec edi
  jnz e_loop
  mov [${RESULTS}], ebx
  xor ebx, ebx
  mov edi, 300
f_loop:
  mov eax, edi
  and eax, 0x7f
  mov [f_sub + 1], eax
  call f_sub
  add ebx, ecx
  dec edi
  jnz f_loop
  mov [${RESULTS} + 4], ebx
  jmp done
f_sub:
  mov ecx, strict dword 0
  ret
done:`);
    for (const run of runs) {
      expect(result(run, 0)).toBe(sum(1, 300, (n) => ((n & 0x3f) >= 10 ? n & 0x3f : 0)));
      expect(result(run, 1)).toBe(sum(1, 300, (n) => n & 0x7f));
    }
  });

  it('stores to data beside code on the same page leave the looping block alone', () => {
    const runs = smcRun(`
  jmp g_start
  align 64
g_data: dd 0
  align 64
g_start:
  xor ebx, ebx
  mov edi, 3000
g_loop:
  add [g_data], edi
  mov eax, [g_data]
  xor ebx, eax
  dec edi
  jnz g_loop
  mov [${RESULTS}], ebx
  ; Data in the same 16-byte chunk as code: dropping is conservative, the result the same.
  xor ebx, ebx
  mov edi, 300
h_loop:
  add [h_data], edi
  mov eax, [h_data]
  xor ebx, eax
  dec edi
  jnz h_loop
  jmp h_done
h_data: dd 0
h_done:
  mov [${RESULTS} + 4], ebx`);
    let data = 0;
    let ebx = 0;
    for (let edi = 3000; edi >= 1; edi--) {
      data = (data + edi) | 0;
      ebx ^= data;
    }
    let data2 = 0;
    let ebx2 = 0;
    for (let edi = 300; edi >= 1; edi--) {
      data2 = (data2 + edi) | 0;
      ebx2 ^= data2;
    }
    for (const run of runs) {
      expect([result(run, 0), result(run, 1)]).toEqual([ebx, ebx2]);
      // The 3000 passes of g_loop ran in few blocks: the stores did not drop it.
      expect(run.blocks.stats.looped).toBeGreaterThan(5);
    }
    const { m, stats } = runs[0].blocks;
    expect(stats.compiled, 'blocks compiled (the data stores must not drop the loop)').toBeLessThan(60);
    expect(m.cpu.icache.drops).toBeLessThan(1000);
  });

  it('rewriting the Jcc fused into a compare drops the block that holds it', () => {
    const runs = smcRun(`
  xor ebx, ebx
  mov edi, 100
  call j_run                       ; compiles the loop, which goes round in one block
  mov [${RESULTS}], edi
  mov byte [j_jcc], 0x74           ; JNZ -> JZ: now one pass and out
  mov edi, 100
  call j_run
  mov [${RESULTS} + 4], edi
  ; Back to JNZ, but to the second instruction: one dword store over the Jcc and on past the block's end.
  mov dword [j_jcc], 0xccc30075 | (((j_middle - (j_jcc + 2)) & 0xff) << 8)
  mov edi, 100
  call j_run
  mov [${RESULTS} + 8], edi
  mov [${RESULTS} + 12], ebx
  jmp done
j_run:
j_loop:
  add ebx, edi
j_middle:
  add ebx, 1000
  dec edi
j_jcc:
  jnz j_loop
  ret
  int3
  int3
done:`);
    const ebx = sum(1, 100, (n) => n + 1000) + 100 + 1000 + 100 + 100 * 1000;
    for (const run of runs) {
      expect([result(run, 0), result(run, 1), result(run, 2), result(run, 3)]).toEqual([0, 99, 0, ebx]);
    }
  });

  it('a store through a second linear mapping of the code page (paging) is seen as a store into the code', () => {
    const alias = 0x300000;
    const runs = smcRun(
      `
  ; Linear pages 0x300 and 0x301 are a second mapping of physical pages 7 and 8 (the code).
  mov dword [${PAGE_TABLE} + 0x300*4], 0x7003
  mov dword [${PAGE_TABLE} + 0x301*4], 0x8003
  mov eax, cr3
  mov cr3, eax
  xor ebx, ebx
  mov edi, 300
k_loop:
  mov eax, edi
  and eax, 0x3f
  mov [k_patch + 2 - 0x7000 + ${alias}], al
  lea ecx, [ecx + 1]
k_patch:
  add ebx, strict byte 0
  dec edi
  jnz k_loop
  mov [${RESULTS}], ebx
  ; And into an earlier instruction of the looping block.
  xor ebx, ebx
  mov edi, 300
l_loop:
l_patch:
  add ebx, strict byte 1
  inc byte [l_patch + 2 - 0x7000 + ${alias}]
  dec edi
  jnz l_loop
  mov [${RESULTS} + 4], ebx`,
      { paging: true },
    );
    for (const run of runs) {
      expect(result(run, 0)).toBe(sum(1, 300, (n) => n & 0x3f));
      expect(result(run, 1)).toBe(sum(0, 299, (k) => int8(1 + k)));
    }
  });
});

// ---- 4. A store to a device that raises an interrupt ----------------------------

const MMIO = 0xe0000000;

interface Device {
  /** Values written to register 0, in order. */
  writes: number[];
}

/** A register block at MMIO: a write to register 0 with bit 0 set raises interrupt 0x40; register 4 reads as a counter. */
function addDevice(m: TestMachine, devices: Device[]): void {
  const device: Device = { writes: [] };
  let reads = 0;
  m.memory.addMmio(MMIO, 0x1000, {
    read: (offset) => (offset === 4 ? reads++ : 0),
    write: (offset, _size, value) => {
      if (offset !== 0) return;
      device.writes.push(value);
      if (value & 1) m.raiseInterrupt(0x40);
    },
  });
  devices.push(device);
}

/** Stores to the device's register 0, each in the middle of a looping block: the interrupt must come right after it. */
const MMIO_STORES = [
  'mov [MMIO], eax',
  'mov dword [MMIO], 1',
  'mov byte [MMIO], 1',
  'mov [MMIO], al',
  'mov [MMIO + ecx], eax',
  'or dword [MMIO], eax',
  'add [MMIO], eax',
  'inc dword [MMIO]',
  'xor byte [MMIO], al',
  'setnz byte [MMIO]',
];

const MMIO_PROGRAM = kernel(
  MMIO_STORES.map(
    (store, k) => `
  mov edi, 40
  xor ecx, ecx
mmio_loop${k}:
  mov eax, edi
  and eax, ${k === 1 || k === 2 ? 0 : 1}
  add ebx, [${MMIO} + 4]
  test edi, 1
  ${store.replace(/MMIO/g, String(MMIO))}
after${k}:
  add ebx, eax
  lea edx, [edx + ebx*2]
  dec edi
  jnz mmio_loop${k}`,
  ).join('\n'),
  { sites: MMIO_STORES.map((_, k) => `after${k}`) },
);

describe('a store to a device register that raises an interrupt', () => {
  it('is followed by the interrupt at the same instruction in both tiers: right after the store', () => {
    const code = assemble(MMIO_PROGRAM);
    for (const hot of [1, 2]) {
      const devices: Device[] = [];
      const run = lockstep(code, { hot, seed: 9 + hot, setup: (m) => addDevice(m, devices) });
      expectNoUnexpectedVector(run);
      const [withBlocks, plain] = devices;
      expect(withBlocks.writes).toEqual(plain.writes);
      const raised = plain.writes.filter((value) => value & 1).length;
      expect(raised).toBeGreaterThan(100);
      const interrupts = log(run.plain.m, IRQ_LOG, IRQ_COUNT, 4);
      expect(interrupts.length).toBe(raised);
      const after = readSites(run.plain.m, MMIO_STORES.length);
      for (const [eip, , esp] of interrupts) {
        expect(after, `interrupt at ${hex(eip)}: not right after a store to the device`).toContain(eip);
        expect(hex(esp)).toBe(hex(STACK_TOP));
      }
      // Every kind of store raised one.
      for (const [k, address] of after.entries()) expect(interrupts.some(([eip]) => eip === address), `store ${k}: ${MMIO_STORES[k]}`).toBe(true);
      expect(run.blocks.stats.stoppedEarly, 'blocks that stopped after the store').toBeGreaterThan(50);
    }
  });
});

// ---- 5. External interrupts at fixed instruction counts -------------------------

describe('external interrupts at fixed instruction counts', () => {
  it.each([3, 8, 11])('random program %i: the interrupted EIPs are the same in both tiers, and the interpreter\'s', (seed) => {
    const code = assemble(randomProgram(seed));
    const random = xorshift(seed * 7);
    const at: number[] = [];
    for (let count = 900; at.length < 60; count += 60 + (random() % 700)) at.push(count);
    for (const hot of [1, 5]) {
      const run = lockstep(code, { hot, seed: seed + hot, interruptsAt: at });
      expectNoUnexpectedVector(run);
      const taken = log(run.plain.m, IRQ_LOG, IRQ_COUNT, 4);
      expect(taken.length).toBe(run.eipAtInterrupt.length);
      expect(taken.length).toBeGreaterThan(15);
      expect(taken.map(([eip]) => hex(eip))).toEqual(run.eipAtInterrupt.map(hex));
      expect(run.blocks.stats.looped).toBeGreaterThan(0);
    }
  });
});

describe('two interrupts pending at once', () => {
  it.each([4, 9])('random program %i: the second, behind one through a trap gate, is taken at the same instruction of its handler in both tiers', (seed) => {
    // After delivering an interrupt the CPU looks for another after one instruction; a block must
    // not run in between (it did: the handler's first block ran whole, see dispatch.ts, Op.Block).
    const code = assemble(randomProgram(seed));
    const random = xorshift(seed * 13);
    const at: number[] = [];
    for (let count = 900; at.length < 40; count += 80 + (random() % 700)) at.push(count);
    for (const hot of [1, 3]) {
      const run = lockstep(code, { hot, seed: seed + hot, interruptsAt: at, vectors: [0x41, 0x40] });
      expectNoUnexpectedVector(run);
      const taken = log(run.plain.m, IRQ_LOG, IRQ_COUNT, 4);
      expect(taken.length).toBe(run.eipAtInterrupt.length);
      expect(taken.length).toBeGreaterThan(10);
      expect(run.plain.m.memory.read32(TRAP_COUNT)).toBe(taken.length);
      // Each 0x40 came inside the trap handler, which runs with IF set.
      const [start, end] = readSites(run.plain.m, 2);
      for (const [eip] of taken) expect(eip >= start && eip < end, `interrupt at ${hex(eip)}`).toBe(true);
      expect(run.blocks.stats.calls).toBeGreaterThan(50);
    }
  });
});

// ---- Conditions and shifts, systematically ------------------------------------

/** Operand pairs for the condition and shift tables: zero, ones, the signed and unsigned edges. */
const PAIRS: [number, number][] = [
  [0, 0], [0, 1], [1, 0], [-1, 1], [1, -1], [0x7fffffff, -1], [0x80000000, 1], [0x80000000, 0x80000000],
  [0x7fffffff, 0x80000000], [0x80000000, 0x7fffffff], [5, -5], [-5, 5], [-1, -1], [0x80000001, 2], [0x7ffffffe, 0x7fffffff], [0x12345678, 0x21],
];

/** Every flag producer the decoded tier fuses with a Jcc, with immediates at the edges. */
const PRODUCERS = [
  'cmp ecx, ebx', 'test ecx, ebx', 'inc ecx', 'dec ecx',
  ...[0, 1, -1, 0x7fffffff, -0x80000000].flatMap((imm) => [`cmp ecx, ${imm}`, `add ecx, ${imm}`, `sub ecx, ${imm}`]),
  ...[0x80000000, 0xff, 1].flatMap((imm) => [`test ecx, ${imm}`, `and ecx, ${imm}`]),
];

/**
 * For every operand pair: every producer, fused with its Jcc and not (a NOP
 * between), then each of the 16 conditions, the outcomes collected 16 to a
 * dword; INC and DEC keep CF, so it is set from the pair first.
 */
function conditionTable(): string {
  const sections: string[] = [];
  let label = 0;
  for (const producer of PRODUCERS) {
    for (const fused of [true, false]) {
      for (const cc of CONDITIONS) {
        sections.push(`  mov ecx, eax
  cmp ebx, eax
  ${producer}${fused ? '' : '\n  nop'}
  j${cc} t${label}
  add edx, 1
t${label}:
  add edx, edx`);
        label++;
      }
      sections.push('  mov [edi], edx\n  add edi, 4\n  xor edx, edx');
    }
  }
  return sections.join('\n');
}

/** Every 32-bit shift and rotate by immediates at the edges and by CL, with the flags after it (PUSHFD ends the block). */
function shiftTable(): string {
  const sections: string[] = [];
  for (const op of ['shl', 'shr', 'sar', 'rol', 'ror']) {
    for (const count of ['0', '1', '2', '7', '31', '32', '33', 'cl']) {
      sections.push(`  mov edx, eax
  mov ecx, ebx
  cmp eax, ebx
  ${op} edx, ${count}
  pushfd
  pop ecx
  mov [edi], edx
  mov [edi + 4], ecx
  add edi, 8`);
    }
  }
  return sections.join('\n');
}

const TABLE_OUTPUT = 0x30000;

describe('every condition after every flag producer, every shift', () => {
  it('fused and not, for operands at the edges, loop after loop', () => {
    const body = `
  mov ebp, 2                        ; two rounds: the second runs blocks compiled in the first
round:
  mov esi, pairs
  mov edi, ${TABLE_OUTPUT}
  push ebp
  mov ebp, ${PAIRS.length}
pair:
  mov eax, [esi]
  mov ebx, [esi + 4]
  xor edx, edx
${conditionTable()}
${shiftTable()}
  add esi, 8
  dec ebp
  jnz pair
  pop ebp
  dec ebp
  jnz round
  jmp done
pairs:
  dd ${PAIRS.map(([a, b]) => `${a | 0}, ${b | 0}`).join(', ')}
done:`;
    const code = assemble(kernel(body));
    const run = lockstep(code, { hot: 2, seed: 40, slices: 'long' });
    expectNoUnexpectedVector(run);
    expect(run.blocks.stats.calls).toBeGreaterThan(10000);
  });

  it('a straight line longer than a block (and than 255 instructions) in one page', () => {
    const lines: string[] = [];
    new Generator(xorshift(99)).loop(30, true, lines, 330);
    const code = assemble(kernel(`
  jmp long_line
  align 4096
long_line:
${lines.map((line) => (line.endsWith(':') ? line : `  ${line}`)).join('\n')}
  jmp after
  times 4096 - ($ - long_line) db 0xcc   ; (fails to assemble if the loop left its page)
after:`));
    for (const hot of [1, 3]) {
      const run = lockstep(code, { hot, seed: 60 + hot });
      expectNoUnexpectedVector(run);
      expect(run.plain.m.cpu.instructionCount).toBeGreaterThan(30 * 330);
      expect(run.blocks.stats.calls).toBeGreaterThan(100);
    }
  });
});

// ---- The record store filling up ---------------------------------------------

describe('the record store filling up', () => {
  it('flushes in the middle of compiling a block (the leader goes with the rest) change nothing', () => {
    const code = assemble(randomProgram(21));
    let inCompile = 0;
    const run = lockstep(code, {
      hot: 1,
      seed: 21,
      beforeSlice: (m, slice) => {
        const cache = m.cpu.icache as unknown as { used: number; op: Uint8Array; decode(physical: number): number; flush(): void };
        if (slice === 0) {
          const decode = cache.decode.bind(cache);
          cache.decode = (physical) => {
            if (cache.used === cache.op.length && new Error().stack!.includes('compileBlock')) inCompile++;
            return decode(physical);
          };
        }
        // Forget everything now and then, and leave room for only a few more records: the next
        // decodes, often those compileBlock asks for after the leader's, flush the whole cache.
        if (slice % 2 === 0) cache.flush();
        cache.used = Math.max(cache.used, cache.op.length - 1 - (slice % 5));
      },
    });
    expectNoUnexpectedVector(run);
    expect(inCompile, 'flushes while a block was being compiled').toBeGreaterThan(20);
    expect(run.blocks.stats.calls).toBeGreaterThan(100);
  });
});

// ---- Regressions ----------------------------------------------------------------

describe('regressions', () => {
  it('a shift or rotate by an immediate count of 0 (or 32) inside a block leaves the flags alone', () => {
    // CMP sets ZF and PF; the shifts by 0 must not touch them (SDM: a masked count of 0 changes no flag).
    const run = lockstep(
      assemble(
        kernel(`
  mov edi, 200
  mov eax, 5
  mov ebx, 0x80000001
  xor ebp, ebp
.loop:
  cmp eax, 5
  shl eax, 0
  ror ebx, 32
  sar ecx, 0
  rol edx, 0
  shr ebx, 32
  setz cl
  cmovnz eax, ebx
  pushfd
  pop edx
  add ebp, edx
  dec edi
  jnz .loop`),
      ),
      { seed: 8 },
    );
    const cpu = run.blocks.m.cpu;
    expect(hex(cpu.reg32[5])).toBe(hex(200 * 0x246)); // EFLAGS after CMP 5, 5 with IF: ZF PF IF and bit 1
    expect(cpu.reg32[0]).toBe(5);
    expect(run.blocks.stats.calls).toBeGreaterThan(50);
  });
});

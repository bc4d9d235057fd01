// Generator of random instruction sequences for the differential CPU test.
//
// From a fixed seed it writes thousands of short nasm sequences that cover
// the 80386/80486 integer instruction set (plus the i686 CMOVcc and the
// 486/586 XADD, CMPXCHG, CMPXCHG8B and BSWAP), each with its own initial
// registers, EFLAGS and scratch-memory seed. harness.asm runs them on bare
// metal and reports registers, flags and a checksum of the scratch region.
//
// src/cpu offers no typed opcode table yet, so the instruction forms live in
// the family templates below (one function per family, each choosing the
// mnemonic, operand size and register/memory/immediate form).
//
// Every sequence must behave the same on every correct i386: no exceptions
// except the deliberate ones of the `exceptions` family (marked expectsFault),
// memory accesses only inside the scratch region (REGION..REGION+0x400, which
// the harness fills from the seed), and no reads of a flag the Intel SDM
// leaves undefined. The builder tracks which arithmetic flags are undefined
// after each instruction (SDM vol. 2 "Flags Affected" of each instruction);
// an instruction that would read one is not emitted, and whatever is still
// undefined at the end is masked by the comparison.

/** The scratch region (harness.asm REGION): it straddles the page boundary at 0x8000. */
export const REGION = 0x7e00;
export const REGION_BYTES = 0x400;
export const SEQ_ESP = REGION + 0x3c0;
/** Pointers cluster around the page boundary so accesses cross it. */
const POINTER_BASE = REGION + 0x1c0;

export const CF = 0x1;
export const PF = 0x4;
export const AF = 0x10;
export const ZF = 0x40;
export const SF = 0x80;
export const DF = 0x400;
export const OF = 0x800;
export const ARITH_FLAGS = CF | PF | AF | ZF | SF | OF;

const EFLAGS_RESERVED_ONE = 0x2;
/** harness.asm SEL_DATA0. */
const FLAT_DATA_SELECTOR = 0x10;
const EFLAGS_TF = 0x100;
const EFLAGS_IF = 0x200;

type Size = 8 | 16 | 32;

/** One generated sequence: what the harness runs and what a mismatch report shows. */
export interface Sequence {
  index: number;
  family: string;
  /** nasm source lines, run in order; the harness appends `jmp seq_return`. */
  lines: string[];
  /** Initial EAX, ECX, EDX, EBX, ESP (always SEQ_ESP), EBP, ESI, EDI: the x86 register number order. */
  regs: number[];
  eflags: number;
  /** Seed of the scratch-region fill. */
  seed: number;
  /** EFLAGS bits the SDM leaves undefined at the end of the sequence. */
  undefinedFlags: number;
  /** The sequence ends in an exception on purpose (the harness prints an F line for it). */
  expectsFault: boolean;
}

// ---------------------------------------------------------------- random numbers

/** Mulberry32: a small, fast 32-bit generator; the same seed gives the same tests everywhere. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  u32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + (this.u32() % (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.u32() % items.length];
  }
  /** A value biased toward the edges where flag logic goes wrong. */
  interesting(size: Size): number {
    const mask = size === 32 ? 0xffffffff : (1 << size) - 1;
    const sign = 2 ** (size - 1);
    if (this.chance(0.35)) {
      const edge = this.pick([0, 1, 2, mask, mask - 1, sign, sign - 1, sign + 1, 0x0f, 0x10, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x99, 0x09, 0x0a]);
      return (edge & mask) >>> 0;
    }
    if (this.chance(0.2)) return this.int(0, 0x20);
    return (this.u32() & mask) >>> 0;
  }
}

// ---------------------------------------------------------------- operands

const REG32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const REG16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
const REG8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
const EAX = 0;
const ECX = 1;
const EDX = 2;
const EBX = 3;
const ESP = 4;
const EBP = 5;
const ESI = 6;
const EDI = 7;

const SIZE_KEYWORD: Record<Size, string> = { 8: 'byte', 16: 'word', 32: 'dword' };
const SIZES: readonly Size[] = [8, 16, 32];

/** Condition codes and the flags each one reads (SDM vol. 1 appendix B). */
const CONDITIONS: readonly [string, number][] = [
  ['o', OF], ['no', OF], ['b', CF], ['ae', CF], ['e', ZF], ['ne', ZF], ['be', CF | ZF], ['a', CF | ZF],
  ['s', SF], ['ns', SF], ['p', PF], ['np', PF], ['l', SF | OF], ['ge', SF | OF], ['le', ZF | SF | OF], ['g', ZF | SF | OF],
];

function hex(value: number): string {
  return '0x' + (value >>> 0).toString(16);
}

function signedHex(value: number): string {
  return value < 0 ? '-0x' + (-value).toString(16) : '0x' + value.toString(16);
}

function regName(index: number, size: Size): string {
  return size === 32 ? REG32[index] : size === 16 ? REG16[index] : REG8[index];
}

interface MemoryOptions {
  /** Bytes the access may touch beyond its start (string of qword forms). */
  span?: number;
  /** A write: never through a CS override. */
  write?: boolean;
}

interface EmitOptions {
  reads?: number;
  writes?: number;
  undefines?: number;
}

/**
 * Builds one sequence: owns its initial registers, reserves the pointer and
 * index registers that memory operands use, tracks undefined flags and the
 * stack depth.
 */
class Builder {
  readonly lines: string[] = [];
  readonly regs: number[] = [];
  undefinedFlags = 0;
  /** Set by a family that makes the sequence fault on purpose. */
  expectsFault = false;
  /** Bytes pushed since the start (negative after popping above SEQ_ESP). */
  stackDepth = 0;
  private readonly reserved = new Set<number>([ESP]);
  private readonly pointer: number;
  private readonly index: number;
  private readonly addr16: boolean;

  constructor(
    readonly rng: Rng,
    options: { keepFree?: readonly number[] } = {},
  ) {
    for (let r = 0; r < 8; r++) this.regs.push(rng.interesting(32));
    this.regs[ESP] = SEQ_ESP;
    const keepFree = new Set(options.keepFree ?? []);
    // 16-bit addressing has only BX/BP as bases and SI/DI as indexes.
    const bases16 = [EBX, EBP].filter((r) => !keepFree.has(r));
    const indexes16 = [ESI, EDI].filter((r) => !keepFree.has(r));
    this.addr16 = rng.chance(0.2) && bases16.length > 0 && indexes16.length > 0;
    const bases = (this.addr16 ? bases16 : [EAX, ECX, EDX, EBX, EBP, ESI, EDI]).filter((r) => !keepFree.has(r));
    this.pointer = rng.pick(bases);
    const indexes = [ESI, EDI, ...(this.addr16 ? [] : [EAX, ECX, EDX, EBX])].filter((r) => r !== this.pointer && !keepFree.has(r));
    this.index = rng.pick(indexes);
    const pointerValue = POINTER_BASE + rng.int(0, 0x80);
    this.regs[this.pointer] = this.addr16 ? ((rng.u32() & 0xffff0000) | pointerValue) >>> 0 : pointerValue;
    this.regs[this.index] = this.addr16 ? ((rng.u32() & 0xffff0000) | rng.int(0, 15)) >>> 0 : rng.int(0, 15);
    this.reserved.add(this.pointer);
    this.reserved.add(this.index);
  }

  /** Take a register out of the pool (a family that sets it up itself, e.g. CL for shifts). */
  reserve(register: number): void {
    this.reserved.add(register);
  }

  isFree(register: number): boolean {
    return !this.reserved.has(register);
  }

  /** A random free register of `size`; 8-bit names map onto their 32-bit parent. */
  reg(size: Size): string {
    return regName(this.regIndex(size), size);
  }

  regIndex(size: Size): number {
    const free: number[] = [];
    for (let r = 0; r < 8; r++) {
      const parent = size === 8 ? r & 3 : r;
      if (!this.reserved.has(parent)) free.push(r);
    }
    if (free.length === 0) throw new NoFreeRegister();
    return this.rng.pick(free);
  }

  /** A memory operand inside the scratch region, in a random addressing form. */
  mem(size: Size | 64, options: MemoryOptions = {}): string {
    const rng = this.rng;
    const span = options.span ?? 0;
    const keyword = size === 64 ? 'qword' : SIZE_KEYWORD[size];
    const limit = 0x30 - span;
    let address: string;
    if (this.addr16) {
      const base = REG16[this.pointer];
      const index = REG16[this.index];
      const pointerValue = this.regs[this.pointer] & 0xffff;
      switch (rng.int(0, 3)) {
        case 0: address = `${base}+${index}${disp(rng.int(-0x30, limit))}`; break;
        case 1: address = `${base}${disp(rng.int(-0x30, limit))}`; break;
        case 2: address = `${index}+${hex(pointerValue + rng.int(-0x30, limit))}`; break;
        default: address = `a16 ${hex(pointerValue + rng.int(-0x30, limit))}`; break;
      }
    } else {
      const base = REG32[this.pointer];
      const index = REG32[this.index];
      const scale = rng.pick([1, 2, 4, 8]);
      switch (rng.int(0, 5)) {
        case 0: address = `${base}${disp(rng.int(-0x30, limit))}`; break;
        case 1: address = `${base}+${index}*${scale}${disp(rng.int(-0x30, limit - 0x78))}`; break;
        case 2: address = hex(REGION + rng.int(0, 0x300 - span - 4)); break;
        case 3: address = `${index}*${scale}+${hex(this.regs[this.pointer] + rng.int(-0x30, limit - 0x78))}`; break;
        case 4: address = base; break;
        // A small displacement forced into the disp32 encoding.
        default: address = `dword ${base}${disp(rng.int(-0x30, limit))}`; break;
      }
    }
    return `${keyword} [${this.override(options)}${address}]`;
  }

  private override(options: MemoryOptions): string {
    if (!this.rng.chance(0.12)) return '';
    const segments = options.write ? ['ds', 'es', 'fs', 'gs', 'ss'] : ['ds', 'es', 'fs', 'gs', 'ss', 'cs'];
    return this.rng.pick(segments) + ':';
  }

  /** An operand of `size` that is a free register or memory. */
  rm(size: Size, options: MemoryOptions = {}): string {
    return this.rng.chance(0.5) ? this.reg(size) : this.mem(size, options);
  }

  imm(size: Size): string {
    return hex(this.rng.interesting(size));
  }

  /** True when none of `flags` is undefined right now. */
  canRead(flags: number): boolean {
    return (this.undefinedFlags & flags) === 0;
  }

  emit(text: string, options: EmitOptions = {}): void {
    if (options.reads && !this.canRead(options.reads)) throw new Error(`generator bug: ${text} reads an undefined flag`);
    this.lines.push(text);
    this.undefinedFlags = (this.undefinedFlags & ~(options.writes ?? 0)) | (options.undefines ?? 0);
  }
}

/** The family asked for more registers than this sequence has free; the sequence is drawn again. */
class NoFreeRegister extends Error {}

function disp(value: number): string {
  return value === 0 ? '' : value > 0 ? `+${hex(value)}` : `-${hex(-value)}`;
}

// ---------------------------------------------------------------- families

type Family = (b: Builder) => void;

/** A family: its builder, how often it is drawn, and registers its setup writes (never pointers). */
interface FamilySpec {
  name: string;
  build: Family;
  weight: number;
  keepFree?: readonly number[];
}

const ALU_OPS = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
const LOGIC_OPS = new Set(['or', 'and', 'xor']);

function aluFlags(op: string): EmitOptions {
  const reads = op === 'adc' || op === 'sbb' ? CF : 0;
  if (LOGIC_OPS.has(op)) return { reads, writes: ARITH_FLAGS, undefines: AF };
  return { reads, writes: ARITH_FLAGS };
}

function alu(b: Builder): void {
  const count = b.rng.int(1, 3);
  for (let i = 0; i < count; i++) {
    let op = b.rng.pick(ALU_OPS);
    if (!b.canRead(aluFlags(op).reads ?? 0)) op = 'add';
    const size = b.rng.pick(SIZES);
    const lock = op !== 'cmp' && b.rng.chance(0.05) ? 'lock ' : '';
    let text: string;
    switch (b.rng.int(0, 4)) {
      case 0: text = `${op} ${b.reg(size)}, ${b.reg(size)}`; break;
      case 1: text = `${op} ${b.reg(size)}, ${b.mem(size)}`; break;
      case 2: text = `${lock}${op} ${b.mem(size, { write: true })}, ${b.reg(size)}`; break;
      case 3: text = `${op} ${b.reg(size)}, ${b.imm(size)}`; break;
      default: {
        // Small immediates give the sign-extended imm8 form (opcode 83) for 16/32 bits.
        const value = b.rng.chance(0.5) ? signedHex(b.rng.int(-128, 127)) : b.imm(size);
        text = `${lock}${op} ${b.mem(size, { write: true })}, ${value}`;
        break;
      }
    }
    b.emit(text, aluFlags(op));
  }
}

function unary(b: Builder): void {
  const count = b.rng.int(1, 3);
  for (let i = 0; i < count; i++) {
    const op = b.rng.pick(['inc', 'dec', 'neg', 'not']);
    const size = b.rng.pick(SIZES);
    const target = b.rng.chance(0.5) ? b.reg(size) : (b.rng.chance(0.1) ? 'lock ' : '') + b.mem(size, { write: true });
    // INC/DEC leave CF alone (SDM: "The CF flag is not affected"); NOT touches no flag.
    const flags = op === 'not' ? {} : op === 'neg' ? { writes: ARITH_FLAGS } : { writes: ARITH_FLAGS & ~CF };
    b.emit(target.startsWith('lock ') ? `lock ${op} ${target.slice(5)}` : `${op} ${target}`, flags);
  }
}

function testOp(b: Builder): void {
  const size = b.rng.pick(SIZES);
  const form = b.rng.int(0, 2);
  const text = form === 0 ? `test ${b.reg(size)}, ${b.reg(size)}` : form === 1 ? `test ${b.mem(size)}, ${b.reg(size)}` : `test ${b.rm(size)}, ${b.imm(size)}`;
  b.emit(text, { writes: ARITH_FLAGS, undefines: AF });
}

const SHIFT_OPS = ['shl', 'sal', 'shr', 'sar', 'rol', 'ror', 'rcl', 'rcr'];

/** Flags written and left undefined by a shift or rotate of `size` by `count` (SDM SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR). */
function shiftFlags(op: string, size: Size, count: number): EmitOptions {
  const masked = count & 31;
  const rotateThroughCarry = op === 'rcl' || op === 'rcr';
  const reads = rotateThroughCarry ? CF : 0;
  if (masked === 0) {
    // A zero count changes no flag; the SDM pseudocode for ROL/ROR still calls OF undefined.
    return { reads: 0, undefines: op === 'rol' || op === 'ror' ? OF : 0 };
  }
  if (op === 'rol' || op === 'ror' || rotateThroughCarry) {
    return { reads, writes: CF | OF, undefines: masked === 1 ? 0 : OF };
  }
  let undefines = AF | (masked === 1 ? 0 : OF);
  if ((op === 'shl' || op === 'sal' || op === 'shr') && masked >= size) undefines |= CF;
  return { writes: CF | PF | ZF | SF | OF | AF, undefines };
}

function shiftCount(b: Builder, size: Size): number {
  return b.rng.pick([0, 1, 1, 2, b.rng.int(1, size - 1), size - 1, size, size + 1, b.rng.int(0, 31), b.rng.int(32, 255)]);
}

function shift(b: Builder): void {
  const count = b.rng.int(1, 2);
  for (let i = 0; i < count; i++) {
    const op = b.rng.pick(SHIFT_OPS);
    const size = b.rng.pick(SIZES);
    const amount = shiftCount(b, size);
    const flags = shiftFlags(op, size, amount);
    if (!b.canRead(flags.reads ?? 0)) continue;
    const target = b.rm(size, { write: true });
    const form = b.rng.int(0, 2);
    if (form === 0 && amount === 1) b.emit(`${op} ${target}, 1`, flags);
    else if (form === 1) b.emit(`${op} ${target}, ${amount}`, flags);
    else {
      b.emit(`mov cl, ${amount}`);
      b.emit(`${op} ${target}, cl`, flags);
    }
  }
}

function doubleShift(b: Builder): void {
  const op = b.rng.pick(['shld', 'shrd']);
  const size: Size = b.rng.pick([16, 32]);
  // A count above the operand size leaves result and flags undefined (SDM SHLD): keep to <= size.
  const amount = size === 16 ? b.rng.pick([0, 1, 2, b.rng.int(3, 15), 16]) : b.rng.pick([0, 1, 2, b.rng.int(3, 31), 31, 32, 33]);
  const masked = amount & 31;
  const flags: EmitOptions = masked === 0 ? {} : { writes: ARITH_FLAGS & ~AF, undefines: AF | (masked === 1 ? 0 : OF) };
  const target = b.rm(size, { write: true });
  const source = b.reg(size);
  if (b.rng.chance(0.5)) b.emit(`${op} ${target}, ${source}, ${amount}`, flags);
  else {
    b.emit(`mov cl, ${amount}`);
    b.emit(`${op} ${target}, ${source}, cl`, flags);
  }
}

const MUL_UNDEFINED = SF | ZF | AF | PF;

function multiply(b: Builder): void {
  const size = b.rng.pick(SIZES);
  const form = b.rng.int(0, 3);
  const flags = { writes: CF | OF, undefines: MUL_UNDEFINED };
  if (form <= 1 || size === 8) {
    b.emit(`${b.rng.pick(['mul', 'imul'])} ${b.rm(size)}`, flags);
  } else if (form === 2) {
    b.emit(`imul ${b.reg(size)}, ${b.rm(size)}`, flags);
  } else {
    const value = b.rng.chance(0.5) ? signedHex(b.rng.int(-128, 127)) : b.imm(size);
    b.emit(`imul ${b.reg(size)}, ${b.rm(size)}, ${value}`, flags);
  }
}

function divide(b: Builder): void {
  const signed = b.rng.chance(0.5);
  const size = b.rng.pick(SIZES);
  const bits = BigInt(size);
  const { dividend, divisor } = signed ? signedDivision(b.rng, size) : unsignedDivision(b.rng, size);
  const mask = (1n << bits) - 1n;
  const low = Number(dividend & mask);
  const high = Number((dividend >> bits) & mask);
  if (size === 8) b.emit(`mov ax, ${hex((high << 8) | low)}`);
  else {
    b.emit(`mov ${regName(EAX, size)}, ${hex(low)}`);
    b.emit(`mov ${regName(EDX, size)}, ${hex(high)}`);
  }
  let operand: string;
  if (b.rng.chance(0.5)) {
    const register = [ECX, EBX, ESI, EDI, EBP].filter((r) => b.isFree(r) && (size !== 8 || r < 4));
    if (register.length === 0) operand = b.mem(size, { write: true });
    else operand = regName(b.rng.pick(register), size);
  } else operand = b.mem(size, { write: true });
  b.emit(`mov ${operand}, ${hex(Number(divisor & mask))}`);
  b.emit(`${signed ? 'idiv' : 'div'} ${operand}`, { writes: 0, undefines: ARITH_FLAGS });
}

function unsignedDivision(rng: Rng, size: Size): { dividend: bigint; divisor: bigint } {
  const bits = BigInt(size);
  const divisor = BigInt(Math.max(1, rng.interesting(size)));
  // The high half must be below the divisor or the quotient overflows (#DE).
  const high = BigInt(rng.u32()) % divisor;
  const low = BigInt(rng.interesting(size));
  return { dividend: (high << bits) | low, divisor };
}

function signedDivision(rng: Rng, size: Size): { dividend: bigint; divisor: bigint } {
  const bits = BigInt(size);
  const toSigned = (value: number): bigint => BigInt.asIntN(size, BigInt(value));
  let divisor = toSigned(rng.interesting(size));
  if (divisor === 0n) divisor = -1n;
  const quotient = toSigned(rng.chance(0.5) ? rng.int(0, 300) * (rng.chance(0.5) ? 1 : -1) : rng.interesting(size));
  const magnitude = divisor < 0n ? -divisor : divisor;
  const product = quotient * divisor;
  // Truncating division: the remainder takes the dividend's sign and is smaller than the divisor.
  let remainder = magnitude > 1n ? BigInt(rng.u32()) % magnitude : 0n;
  if (product < 0n || (product === 0n && rng.chance(0.5))) remainder = -remainder;
  const dividend = BigInt.asUintN(Number(bits) * 2, product + remainder);
  return { dividend, divisor };
}

function bitTest(b: Builder): void {
  const op = b.rng.pick(['bt', 'bts', 'btr', 'btc']);
  const size: Size = b.rng.pick([16, 32]);
  // BTx: CF is the bit; ZF is unaffected; OF, SF, AF and PF are undefined.
  const flags = { writes: CF, undefines: OF | SF | AF | PF };
  const write = op !== 'bt';
  // BTS/BTR/BTC may take LOCK with a memory destination; BT may not.
  const lock = write && b.rng.chance(0.15) ? 'lock ' : '';
  switch (b.rng.int(0, 2)) {
    case 0: {
      const target = b.rm(size, { write });
      b.emit(`${target.includes('[') ? lock : ''}${op} ${target}, ${b.rng.int(0, 255)}`, flags);
      break;
    }
    case 1:
      b.emit(`${op} ${b.reg(size)}, ${b.reg(size)}`, flags);
      break;
    default: {
      // Register bit offsets reach outside the operand: keep them inside the region.
      const offset = b.regIndex(size);
      const memory = b.mem(size, { write, span: 0x30 });
      b.emit(`mov ${regName(offset, size)}, ${signedHex(b.rng.int(-0x40, 0x17f))}`);
      b.emit(`${lock}${op} ${memory}, ${regName(offset, size)}`, flags);
    }
  }
}

function bitScan(b: Builder): void {
  const op = b.rng.pick(['bsf', 'bsr']);
  const size: Size = b.rng.pick([16, 32]);
  const destination = b.reg(size);
  const source = b.rng.chance(0.5) ? b.reg(size) : b.mem(size, { write: true });
  const flags = { writes: ZF, undefines: CF | OF | SF | AF | PF };
  if (source === destination || source.includes(destination)) return;
  if (b.rng.chance(0.15)) {
    // Zero source: ZF = 1 and the destination is undefined, so overwrite it afterwards.
    b.emit(`mov ${source}, 0`);
    b.emit(`${op} ${destination}, ${source}`, flags);
    b.emit(`mov ${destination}, 0`);
    return;
  }
  let value = b.rng.interesting(size);
  if (value === 0) value = 1 << b.rng.int(0, size - 1);
  b.emit(`mov ${source}, ${hex(value)}`);
  b.emit(`${op} ${destination}, ${source}`, flags);
}

function setConditional(b: Builder): void {
  if (b.rng.chance(0.5)) b.emit(`cmp ${b.reg(32)}, ${b.reg(32)}`, { writes: ARITH_FLAGS });
  const [cc, reads] = b.rng.pick(CONDITIONS);
  b.emit(`set${cc} ${b.rng.chance(0.5) ? b.reg(8) : b.mem(8, { write: true })}`, { reads });
}

function conditionalMove(b: Builder): void {
  if (b.rng.chance(0.5)) b.emit(`sub ${b.reg(32)}, ${b.reg(32)}`, { writes: ARITH_FLAGS });
  const [cc, reads] = b.rng.pick(CONDITIONS);
  const size: Size = b.rng.pick([16, 32]);
  b.emit(`cmov${cc} ${b.reg(size)}, ${b.rm(size)}`, { reads });
}

function bcd(b: Builder): void {
  if (b.rng.chance(0.5)) {
    const op = b.rng.pick(['add', 'sub', 'adc', 'sbb']);
    b.emit(`${op} al, ${b.imm(8)}`, aluFlags(op));
  }
  // Flags each ASCII/decimal adjust leaves undefined (SDM DAA, DAS, AAA, AAS, AAM, AAD).
  const op = b.rng.pick(['daa', 'das', 'aaa', 'aas', 'aam', 'aad']);
  switch (op) {
    case 'daa':
    case 'das':
      if (b.canRead(AF | CF)) b.emit(op, { reads: AF | CF, writes: ARITH_FLAGS, undefines: OF });
      break;
    case 'aaa':
    case 'aas':
      if (b.canRead(AF)) b.emit(op, { reads: AF, writes: ARITH_FLAGS, undefines: OF | SF | ZF | PF });
      break;
    default: {
      const base = b.rng.chance(0.7) ? 10 : b.rng.int(1, 255);
      b.emit(base === 10 ? op : `${op} ${base}`, { writes: ARITH_FLAGS, undefines: OF | AF | CF });
    }
  }
}

const STRING_OPS = ['movs', 'cmps', 'stos', 'lods', 'scas'];
const STRING_SUFFIX: Record<Size, string> = { 8: 'b', 16: 'w', 32: 'd' };

function stringOp(b: Builder): void {
  const addr16 = b.rng.chance(0.2);
  const op = b.rng.pick(STRING_OPS);
  const size = b.rng.pick(SIZES);
  const count = b.rng.int(0, 9);
  const source = POINTER_BASE + b.rng.int(0, 0x40);
  const destination = POINTER_BASE + 0x20 + b.rng.int(0, 0x40);
  // With 16-bit addressing only SI, DI and CX count; random high halves prove it.
  const high = (): number => (addr16 ? b.rng.u32() & 0xffff0000 : 0);
  b.emit(`mov esi, ${hex(high() | source)}`);
  b.emit(`mov edi, ${hex(high() | destination)}`);
  b.emit(`mov ecx, ${hex(high() | count)}`);
  if (b.rng.chance(0.5)) b.emit(b.rng.pick(['cld', 'std']));
  const compares = op === 'cmps' || op === 'scas';
  const prefix = b.rng.pick(compares ? ['', 'repe ', 'repne '] : ['', 'rep ', 'rep ']);
  const segment = (op === 'movs' || op === 'cmps' || op === 'lods') && b.rng.chance(0.2) ? b.rng.pick(['es ', 'fs ', 'cs ', 'ss ']) : '';
  const flags = compares && (prefix === '' || count > 0) ? { writes: ARITH_FLAGS } : {};
  b.emit(`${segment}${prefix}${addr16 ? 'a16 ' : ''}${op}${STRING_SUFFIX[size]}`, flags);
}

function loadEffectiveAddress(b: Builder): void {
  const count = b.rng.int(1, 3);
  for (let i = 0; i < count; i++) {
    const destination = b.reg(b.rng.pick([16, 32]));
    const scale = b.rng.pick([1, 2, 4, 8]);
    const displacement = b.rng.pick([0, b.rng.int(-128, 127), b.rng.u32() | 0]);
    let address: string;
    if (b.rng.chance(0.35)) {
      const base = b.rng.pick(['bx', 'bp', '']);
      const index = b.rng.pick(['si', 'di', '']);
      const parts = [base, index].filter((p) => p !== '');
      address = parts.length === 0 ? `a16 ${hex(displacement & 0xffff)}` : parts.join('+') + disp(displacement & 0x7fff);
      // LEA never touches memory, so any register values are fine.
      b.emit(`lea ${destination}, [${address}]`);
    } else {
      const base = b.rng.pick([...REG32, '']);
      const index = b.rng.pick(REG32.filter((r) => r !== 'esp'));
      address = [base, `${index}*${scale}`].filter((p) => p !== '').join('+') + (displacement ? (displacement < 0 ? `-${hex(-displacement)}` : `+${hex(displacement)}`) : '');
      b.emit(`lea ${destination}, [${address}]`);
    }
  }
}

function exchange(b: Builder): void {
  const size = b.rng.pick(SIZES);
  switch (b.rng.int(0, 5)) {
    case 0:
      b.emit(`xchg ${b.reg(size)}, ${b.rm(size, { write: true })}`);
      break;
    case 1: {
      // LOCK is legal only with a memory destination (#UD otherwise).
      const destination = b.rm(size, { write: true });
      const lock = destination.includes('[') && b.rng.chance(0.3) ? 'lock ' : '';
      b.emit(`${lock}xadd ${destination}, ${b.reg(size)}`, { writes: ARITH_FLAGS });
      break;
    }
    case 2: {
      // CMPXCHG compares with the accumulator: make them equal half of the time.
      const destination = b.rm(size, { write: true });
      if (b.rng.chance(0.5)) b.emit(`mov ${regName(EAX, size)}, ${destination}`);
      b.emit(`${b.rng.chance(0.3) && destination.includes('[') ? 'lock ' : ''}cmpxchg ${destination}, ${b.reg(size)}`, { writes: ARITH_FLAGS });
      break;
    }
    case 3: {
      const destination = b.mem(64, { write: true, span: 4 });
      if (b.rng.chance(0.5)) {
        const low = destination.replace('qword', 'dword');
        b.emit(`mov eax, ${low}`);
        b.emit(`mov edx, ${low.replace(/\]$/, '+4]')}`);
      }
      // CMPXCHG8B writes ZF only (SDM: "The CF, PF, AF, SF, and OF flags are unaffected").
      b.emit(`${b.rng.chance(0.3) ? 'lock ' : ''}cmpxchg8b ${destination}`, { writes: ZF });
      break;
    }
    case 4:
      b.emit(`bswap ${b.reg(32)}`);
      break;
    default:
      b.emit(`xchg ${b.reg(size)}, ${b.reg(size)}`);
  }
}

function moveExtend(b: Builder): void {
  switch (b.rng.int(0, 4)) {
    case 0: {
      const op = b.rng.pick(['movzx', 'movsx']);
      const [to, from]: [Size, Size] = b.rng.pick([[16, 8], [32, 8], [32, 16]] as [Size, Size][]);
      b.emit(`${op} ${b.reg(to)}, ${b.rng.chance(0.5) ? b.reg(from) : b.mem(from)}`);
      break;
    }
    case 1:
      b.emit(b.rng.pick(['cbw', 'cwde', 'cwd', 'cdq']));
      break;
    case 2: {
      const size = b.rng.pick(SIZES);
      // moffs forms (A0-A3) when the accumulator meets an absolute address.
      const address = hex(REGION + b.rng.int(0, 0x1fc));
      if (b.rng.chance(0.5)) b.emit(`mov ${regName(EAX, size)}, [${address}]`);
      else b.emit(`mov [${address}], ${regName(EAX, size)}`);
      break;
    }
    case 3: {
      const size = b.rng.pick(SIZES);
      b.emit(`mov ${b.mem(size, { write: true })}, ${b.imm(size)}`);
      break;
    }
    default: {
      const size = b.rng.pick(SIZES);
      b.emit(`mov ${b.mem(size, { write: true })}, ${b.reg(size)}`);
    }
  }
}

const STACK_LOW = -0x30;
const STACK_HIGH = 0x100;

function stack(b: Builder): void {
  const count = b.rng.int(1, 4);
  for (let i = 0; i < count; i++) {
    const size: Size = b.rng.chance(0.25) ? 16 : 32;
    const bytes = size / 8;
    const kind = b.rng.int(0, 8);
    if (kind <= 2 && b.stackDepth + bytes <= STACK_HIGH) {
      const form = b.rng.int(0, 3);
      if (form === 0) b.emit(`push ${b.reg(size)}`);
      else if (form === 1) b.emit(`push ${SIZE_KEYWORD[size]} ${b.rng.chance(0.5) ? signedHex(b.rng.int(-128, 127)) : b.imm(size)}`);
      else if (form === 2) b.emit(`push ${b.mem(size)}`);
      else b.emit(`push ${SIZE_KEYWORD[size]} [esp+${b.rng.int(0, 3) * 4}]`);
      b.stackDepth += bytes;
    } else if (kind <= 4 && b.stackDepth - bytes >= STACK_LOW) {
      const form = b.rng.int(0, 2);
      if (form === 0) b.emit(`pop ${b.reg(size)}`);
      else if (form === 1) b.emit(`pop ${b.mem(size, { write: true })}`);
      // POP computes an ESP-based destination after incrementing ESP (SDM POP).
      else b.emit(`pop ${SIZE_KEYWORD[size]} [esp+${b.rng.int(0, 3) * 4}]`);
      b.stackDepth -= bytes;
    } else if (kind === 5 && b.stackDepth + 32 <= STACK_HIGH) {
      const wide = b.rng.chance(0.7);
      b.emit(wide ? 'pushad' : 'pushaw');
      b.emit(`add ${b.reg(32)}, ${b.imm(32)}`, { writes: ARITH_FLAGS });
      b.emit(wide ? 'popad' : 'popaw');
    } else if (kind === 6 && b.canRead(ARITH_FLAGS) && b.stackDepth + 4 <= STACK_HIGH) {
      // POPF at CPL 0 takes every flag but VM, RF, VIF and VIP; keep IF and TF off so nothing traps.
      const value = (b.rng.u32() & ~(EFLAGS_IF | EFLAGS_TF)) >>> 0;
      const wide = b.rng.chance(0.7);
      b.emit(wide ? `push dword ${hex(value)}` : `push word ${hex(value & 0xffff)}`);
      b.emit(wide ? 'popfd' : 'popfw', { writes: ARITH_FLAGS });
      if (b.rng.chance(0.5)) {
        b.emit(wide ? 'pushfd' : 'pushfw', { reads: ARITH_FLAGS });
        b.emit(`pop ${b.reg(wide ? 32 : 16)}`);
      }
    } else if (kind === 7 && b.stackDepth + 0x60 <= STACK_HIGH) {
      // ENTER with a nesting level copies frame pointers from [EBP-4*i]: point EBP into the region.
      b.emit(`mov ebp, ${hex(SEQ_ESP + 0x20)}`);
      b.emit(`enter ${b.rng.int(0, 0x20)}, ${b.rng.int(0, 3)}`);
      if (b.rng.chance(0.5)) b.emit(`push ${b.reg(32)}`);
      b.emit('leave');
    } else if (b.stackDepth + 8 <= STACK_HIGH) {
      const imm = b.rng.chance(0.3) ? b.rng.int(1, 2) * 4 : 0;
      if (imm) b.emit(`push dword ${b.imm(32)}`);
      if (imm === 8) b.emit(`push dword ${b.imm(32)}`);
      b.emit(`call .function${i}`);
      b.emit(`jmp .after${i}`);
      b.emit(`.function${i}:`);
      b.emit(`add ${b.reg(32)}, [esp]`, { writes: ARITH_FLAGS });
      // gcc's `rep ret` (F3 C3): the REP prefix is ignored.
      b.emit(imm ? `ret ${imm}` : b.rng.chance(0.3) ? 'rep ret' : 'ret');
      b.emit(`.after${i}:`);
    }
  }
}

const DATA_SEGMENTS = ['ds', 'es', 'fs', 'gs', 'ss'];

/**
 * Segment register moves with the flat selectors the harness loaded, so
 * addressing is unchanged. Only 16-bit forms: a 32-bit MOV r32, Sreg or PUSH
 * Sreg leaves the upper half model-specific (SDM MOV, PUSH).
 */
function segmentMoves(b: Builder): void {
  const register = b.reg(16);
  switch (b.rng.int(0, 3)) {
    case 0:
      // CS is read but never loaded into a data register: a correct CPU faults on
      // writes through a code segment, and QEMU's TCG does not check (system.asm).
      if (b.rng.chance(0.3)) b.emit(`mov ${register}, cs`);
      else {
        b.emit(`mov ${register}, ${b.rng.pick(DATA_SEGMENTS)}`);
        b.emit(`mov ${b.rng.pick(DATA_SEGMENTS)}, ${register}`);
      }
      break;
    case 1:
      b.emit(`mov word ${b.mem(16, { write: true }).replace(/^word /, '')}, ${b.rng.pick([...DATA_SEGMENTS, 'cs'])}`);
      break;
    case 2:
      b.emit(`o16 push ${b.rng.pick(DATA_SEGMENTS)}`);
      b.emit(`o16 pop ${b.rng.pick(['ds', 'es', 'fs', 'gs'])}`);
      break;
    default: {
      // A far pointer in the region whose selector is the flat data segment.
      const pointer = b.mem(32, { write: true, span: 6 }).replace(/^dword /, '');
      const offsetRegister = b.reg(32);
      b.emit(`mov word ${pointer.replace(/\]$/, '+4]')}, ${FLAT_DATA_SELECTOR}`);
      b.emit(`${b.rng.pick(['lds', 'les', 'lfs', 'lgs'])} ${offsetRegister}, [${pointer.slice(1, -1)}]`);
    }
  }
}

/**
 * Exceptions on purpose: the harness prints vector, error code, EIP, EFLAGS
 * and registers at the fault, so this checks that faults (#DE, #UD) leave
 * the state as it was before the instruction and that traps (#BP, #OF) and
 * a BOUND that passes or fails (#BR) behave as the SDM says.
 */
function exceptions(b: Builder): void {
  switch (b.rng.int(0, 5)) {
    case 0: {
      // #DE: divide by zero, or a quotient too wide for the destination.
      const size = b.rng.pick(SIZES);
      const signed = b.rng.chance(0.5);
      const divisor = b.reg(size);
      if (b.rng.chance(0.5)) {
        b.emit(`mov ${divisor}, 0`);
      } else if (signed) {
        const minimum = 2 ** (size - 1);
        if (size === 8) b.emit(`mov ax, ${hex(0x10000 - minimum)}`);
        else {
          b.emit(`mov ${regName(EAX, size)}, ${hex(minimum)}`);
          b.emit(`mov ${regName(EDX, size)}, ${hex(size === 32 ? 0xffffffff : 0xffff)}`);
        }
        b.emit(`mov ${divisor}, -1`);
      } else {
        if (size === 8) b.emit(`mov ah, 0x80`);
        else b.emit(`mov ${regName(EDX, size)}, ${hex(2 ** (size - 1))}`);
        b.emit(`mov ${divisor}, 3`);
      }
      b.emit(`${signed ? 'idiv' : 'div'} ${divisor}`, { undefines: ARITH_FLAGS });
      b.expectsFault = true;
      break;
    }
    case 1:
      b.emit(b.rng.pick(['ud2', 'db 0xF0, 0x90 ; lock nop', 'db 0x8D, 0xC0 ; lea eax, eax', 'db 0xFE, 0xF8 ; FE /7', 'db 0x0F, 0xFF ; ud0']));
      b.expectsFault = true;
      break;
    case 2:
      b.emit(b.rng.pick(['int3', 'int 3']));
      b.expectsFault = true;
      break;
    case 3: {
      // INTO traps only with OF set.
      const overflow = b.rng.chance(0.5);
      b.emit(`push dword ${hex(0x2 | (b.rng.u32() & ARITH_FLAGS & ~OF) | (overflow ? OF : 0))}`);
      b.emit('popfd', { writes: ARITH_FLAGS });
      b.emit('into');
      b.expectsFault = overflow;
      break;
    }
    default: {
      // BOUND: the register is a signed index checked against two bounds in memory.
      const size: Size = b.rng.pick([16, 32]);
      const bytes = size / 8;
      const bounds = b.mem(size, { write: true, span: bytes }).replace(/^(word|dword) /, '');
      const lower = BigInt.asIntN(size, BigInt(b.rng.interesting(size)));
      const upper = BigInt.asIntN(size, lower + BigInt(b.rng.int(0, 40)));
      const index = BigInt.asIntN(size, lower + BigInt(b.rng.int(-5, 45)));
      const register = b.reg(size);
      const mask = (1n << BigInt(size)) - 1n;
      b.emit(`mov ${SIZE_KEYWORD[size]} ${bounds}, ${hex(Number(lower & mask))}`);
      b.emit(`mov ${SIZE_KEYWORD[size]} ${bounds.replace(/\]$/, `+${bytes}]`)}, ${hex(Number(upper & mask))}`);
      b.emit(`mov ${register}, ${hex(Number(index & mask))}`);
      b.emit(`bound ${register}, ${bounds}`);
      b.expectsFault = index < lower || index > upper;
    }
  }
}

function flagOps(b: Builder): void {
  const count = b.rng.int(1, 3);
  for (let i = 0; i < count; i++) {
    switch (b.rng.int(0, 4)) {
      case 0: b.emit(b.rng.pick(['clc', 'stc']), { writes: CF }); break;
      case 1: if (b.canRead(CF)) b.emit('cmc', { reads: CF, writes: CF }); break;
      case 2:
        if (b.canRead(SF | ZF | AF | PF | CF)) b.emit('lahf', { reads: SF | ZF | AF | PF | CF });
        break;
      case 3:
        b.emit(`mov ah, ${b.imm(8)}`);
        b.emit('sahf', { writes: SF | ZF | AF | PF | CF });
        break;
      default: b.emit(b.rng.pick(['cld', 'std']));
    }
  }
}

function control(b: Builder): void {
  switch (b.rng.int(0, 3)) {
    case 0: {
      const [cc, reads] = b.rng.pick(CONDITIONS);
      if (b.rng.chance(0.5)) b.emit(`cmp ${b.reg(32)}, ${b.imm(32)}`, { writes: ARITH_FLAGS });
      if (!b.canRead(reads)) return;
      b.emit(`j${cc} ${b.rng.chance(0.5) ? 'near ' : ''}.taken`, { reads });
      b.emit(`xor ${b.reg(32)}, ${b.imm(32)}`, { writes: ARITH_FLAGS, undefines: AF });
      b.emit('.taken:');
      break;
    }
    case 1: {
      const op = b.rng.pick(['loop', 'loope', 'loopne']);
      const wide = b.rng.chance(0.8);
      b.emit(`mov ecx, ${hex((wide ? 0 : b.rng.u32() & 0xffff0000) | b.rng.int(1, 6))}`);
      b.emit('.top:');
      b.emit(`add ${b.reg(32)}, ${b.imm(32)}`, { writes: ARITH_FLAGS });
      b.emit(`${wide ? '' : 'a16 '}${op} .top`, { reads: op === 'loop' ? 0 : ZF });
      break;
    }
    case 2: {
      const zero = b.rng.chance(0.5);
      b.emit(`mov ecx, ${zero ? 0 : b.imm(32)}`);
      b.emit(`${b.rng.chance(0.5) ? 'jecxz' : 'jcxz'} .skip`);
      b.emit(`not ${b.reg(32)}`);
      b.emit('.skip:');
      break;
    }
    default:
      b.emit(`jmp ${b.rng.chance(0.5) ? 'short' : 'near'} .over`);
      b.emit(`mov ${b.reg(32)}, ${b.imm(32)}`);
      b.emit('.over:');
  }
}

function hints(b: Builder): void {
  switch (b.rng.int(0, 5)) {
    case 4: {
      // Redundant and stacked prefixes on an instruction without a memory operand are ignored.
      b.emit(`db ${b.rng.pick(['0x3E', '0x26', '0x2E', '0x36', '0x64, 0x65', '0x66, 0x66', '0xF2', '0xF3, 0x3E'])} ; prefixes`);
      const size: Size = b.rng.pick([16, 32]);
      b.emit(`add ${b.reg(size)}, ${b.reg(size)}`, { writes: ARITH_FLAGS });
      break;
    }
    case 0:
      // XLAT reads [EBX + AL]: point EBX at the region.
      b.emit(`mov ebx, ${hex(REGION + b.rng.int(0, 0x100))}`);
      b.emit('xlatb');
      break;
    case 1:
      // The hint-NOP space 0F 18..0F 1F with a memory ModRM never touches memory.
      b.emit(`nop ${b.rng.pick(['word', 'dword'])} [${b.rng.pick(REG32)}+${hex(b.rng.u32())}]`);
      break;
    case 2:
      b.emit(b.rng.pick(['pause', 'nop', 'db 0xF3, 0x0F, 0x1E, 0xFB ; endbr32']));
      break;
    case 3: {
      // 0F 18 (the PREFETCH group) is a NOP only with a memory operand; 0F 19..1F take either.
      const opcode = 0x18 + b.rng.int(0, 7);
      // Memory forms avoid r/m 4, 5 and 6, which take a SIB byte or a displacement in 32- or 16-bit code.
      const modrm = (opcode === 0x18 || b.rng.chance(0.5) ? 0x00 : 0xc0) | (b.rng.int(0, 7) << 3) | b.rng.pick([0, 1, 2, 3, 7]);
      b.emit(`db 0x0F, ${hex(opcode)}, ${hex(modrm)} ; hint nop`);
      break;
    }
    default:
      b.emit(`xchg ${b.reg(16)}, ${b.reg(16)}`);
  }
}

/** Families with their weights: how often each is drawn. */
export const FAMILIES: readonly FamilySpec[] = [
  { name: 'alu', build: alu, weight: 18 },
  { name: 'unary', build: unary, weight: 5 },
  { name: 'test', build: testOp, weight: 3 },
  { name: 'shift', build: shift, weight: 12, keepFree: [ECX] },
  { name: 'shld/shrd', build: doubleShift, weight: 5, keepFree: [ECX] },
  { name: 'mul/imul', build: multiply, weight: 6 },
  { name: 'div/idiv', build: divide, weight: 6, keepFree: [EAX, EDX] },
  { name: 'bt*', build: bitTest, weight: 5 },
  { name: 'bsf/bsr', build: bitScan, weight: 3 },
  { name: 'setcc', build: setConditional, weight: 4 },
  { name: 'cmovcc', build: conditionalMove, weight: 4 },
  { name: 'bcd', build: bcd, weight: 5, keepFree: [EAX] },
  { name: 'string', build: stringOp, weight: 8, keepFree: [ECX, ESI, EDI] },
  { name: 'lea', build: loadEffectiveAddress, weight: 4 },
  { name: 'xchg/xadd/cmpxchg/bswap', build: exchange, weight: 6, keepFree: [EAX, EDX] },
  { name: 'mov/movzx/movsx/cbw', build: moveExtend, weight: 5, keepFree: [EAX, EDX] },
  { name: 'stack', build: stack, weight: 6, keepFree: [EBP] },
  { name: 'flags', build: flagOps, weight: 3, keepFree: [EAX] },
  { name: 'segment moves', build: segmentMoves, weight: 2 },
  { name: 'exceptions', build: exceptions, weight: 3, keepFree: [EAX, EDX] },
  { name: 'control', build: control, weight: 4, keepFree: [ECX] },
  { name: 'hints/xlat', build: hints, weight: 2, keepFree: [EAX, EBX] },
];

// ---------------------------------------------------------------- sequences

/** Generate `count` sequences from `seed`; index numbering starts at 0. */
export function generateSequences(seed: number, count: number): Sequence[] {
  const rng = new Rng(seed);
  const totalWeight = FAMILIES.reduce((sum, family) => sum + family.weight, 0);
  const sequences: Sequence[] = [];
  while (sequences.length < count) {
    let roll = rng.int(0, totalWeight - 1);
    let chosen = FAMILIES[0];
    for (const family of FAMILIES) {
      if (roll < family.weight) {
        chosen = family;
        break;
      }
      roll -= family.weight;
    }
    const builder = new Builder(rng, { keepFree: chosen.keepFree });
    for (const register of chosen.keepFree ?? []) builder.reserve(register);
    try {
      chosen.build(builder);
    } catch (error) {
      if (error instanceof NoFreeRegister) continue;
      throw error;
    }
    if (builder.lines.length === 0) continue;
    // Random arithmetic flags and DF in; IF and TF stay clear so nothing interrupts.
    const eflags = (EFLAGS_RESERVED_ONE | (rng.u32() & (ARITH_FLAGS | DF))) >>> 0;
    sequences.push({
      index: sequences.length,
      family: chosen.name,
      lines: builder.lines,
      regs: builder.regs,
      eflags,
      seed: rng.u32(),
      undefinedFlags: builder.undefinedFlags,
      expectsFault: builder.expectsFault,
    });
  }
  return sequences;
}

export interface ImageOptions {
  /** Run with paging on (identity map), so memory goes through the TLB. */
  paging?: boolean;
  /** Run in a 16-bit code segment: default operand and address size 16. */
  code16?: boolean;
}

/** body.inc for harness.asm: the sequences' code and their records. */
export function sequencesToNasm(sequences: readonly Sequence[], options: ImageOptions = {}): string {
  const code16 = options.code16 ?? false;
  const code: string[] = [
    `SEQ_COUNT equ ${sequences.length}`,
    `SEQ_PAGING equ ${options.paging ? 1 : 0}`,
    `SEQ_ENTRY_SELECTOR equ ${code16 ? 'SEL_SEQ_CODE16' : 'SEL_CODE0'}`,
    'section .text',
    // The 16-bit code segment's base: sequence entries are offsets from it.
    'seq16_base:',
    code16 ? 'bits 16' : 'bits 32',
  ];
  const table: string[] = ['section .data', 'align 4', 'seq_table:'];
  sequences.forEach((sequence, position) => {
    code.push(`seq_${position}:`);
    for (const line of sequence.lines) code.push(line.endsWith(':') ? line : `    ${line}`);
    code.push(code16 ? '    jmp dword SEL_CODE0:seq_return' : '    jmp seq_return');
    const [eax, ecx, edx, ebx, , ebp, esi, edi] = sequence.regs;
    // Record layout (harness.asm REC_*): entry eax ebx ecx edx esi edi ebp eflags seed.
    table.push(`    dd seq_${position}${code16 ? ' - seq16_base' : ''}, ${[eax, ebx, ecx, edx, esi, edi, ebp, sequence.eflags, sequence.seed].map(hex).join(', ')}`);
  });
  code.push('bits 32', 'system_tests:', '    ret');
  return [...code, ...table, ''].join('\n');
}

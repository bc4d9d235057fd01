// The block tier: a run of decoded records that has become hot is
// translated into one JavaScript function, so V8 compiles the guest's
// straight-line code (and a loop that branches back to its own start) to
// machine code instead of dispatching record by record.
//
// A block starts at a record that dispatch.ts has run `DecodedCache.blockHot`
// times and takes the records that follow it in the same physical page, up
// to and including the first control transfer, stopping before any record
// this file has no translation for (Op.Generic, INT, IRET, IN, OUT: the
// interpreter and gates.ts run those). Each record becomes the text of its
// handler in dispatch.ts with the record's fields as constants; the rarer
// handlers are called (runColdOp), and every memory access goes through the
// same helpers as dispatch.ts, so the two tiers agree by construction and
// test/cpu/blocks.test.ts checks that they do.
//
// The rules a block keeps, so that running it is the same as running its
// records one by one:
// - It runs only when the budget covers all of it, so it never stops in the
//   middle for the budget. A block whose last instruction branches back to
//   its own start goes round again while the budget covers another pass.
// - A fault: the instruction in flight (`k`) names the rollback point
//   (its start and the current ESP, as for a handler) and how many
//   instructions retired before it (Cpu.blockRetired); dispatch.ts rethrows.
// - After a store that took the slow path it stops at the next instruction
//   when an interrupt may have become deliverable (checkInterrupts) or when
//   the store dropped decoded code (DecodedCache.drops), which may be this
//   block's own.
// - EIP is relative: the block is found by physical address, and the
//   linear EIP it was entered at is its start.

import { ATTR_DB, CR0_PE, ESP, SS, type Cpu } from './cpu.ts';
import { blockHelpers, Op } from './dispatch.ts';
import { FLAG_CF, OP_ADD, OP_DEC, OP_INC, OP_LOGIC, OP_SHIFT, OP_SUB } from './flags.ts';
import type { DecodedCache } from './icache.ts';
import { NO_REG } from './icache.ts';

/** Runs the block entered at linear EIP `eip`; returns the EIP after it and sets Cpu.blockRetired. */
export type BlockFunction = (cpu: Cpu, eip: number, budget: number) => number;

/** In DecodedCache.blockLength: the block may leave through INT or IRET (another CPL, another CS). */
export const BLOCK_FAR = 0x80;
/** The most records one block takes (with a fused Jcc, one more instruction: below BLOCK_FAR). */
const MAX_RECORDS = 64;
const FLAGS_ONLY = 8;

/** compileBlock's answers. */
export const enum Compiled {
  Yes,
  No,
  /** Decoding the records after the leader filled the store and flushed the cache: the leader is gone. */
  Flushed,
}

/** Control transfers: relative ones may go on in the block, the rest end it. */
function transfersControl(op: Op): boolean {
  switch (op) {
    case Op.Jcc: case Op.Jmp: case Op.CallRel: case Op.Ret: case Op.RetI:
    case Op.CallRm_R: case Op.CallRm_M: case Op.JmpRm_R: case Op.JmpRm_M:
    case Op.Int: case Op.Iret:
      return true;
    default:
      return isFused(op);
  }
}

function isFused(op: Op): boolean {
  return op >= Op.CmpRR_Jcc && op <= Op.Dec_R_Jcc;
}

/** Records a block cannot hold: the interpreter's, and port I/O. */
function translatable(op: Op): boolean {
  return op !== Op.Generic && op !== Op.In && op !== Op.Out;
}

/**
 * Whether the instruction at `offset` in the page is an INT: a branch to one
 * (a loop of system calls) is followed on its taken side, so the block ends
 * by entering the kernel.
 */
function reachesInt(cache: DecodedCache, table: Int32Array, page: number, offset: number): boolean {
  if (offset < 0 || offset >= 0x1000) return false;
  const record = table[offset] !== 0 ? table[offset] : cache.decode((page << 12) | offset);
  return cache.opOf(record) === Op.Int;
}

/**
 * Translate the records from `leader` (at physical address `physical`) on,
 * and make the leader an Op.Block record. The block follows the records in
 * the order they run: past a Jcc on its not-taken side (the taken side
 * leaves the block, or goes round again when it is the block's start) and
 * into the target of a JMP or CALL in the same page.
 */
export function compileBlock(cache: DecodedCache, leader: number, physical: number): Compiled {
  if (cache.op[leader] === Op.Block) return Compiled.No;
  const page = physical >>> 12;
  const start = physical & 0xfff;
  const flushes = cache.flushes;
  const table = cache.tableFor(page);
  const records: number[] = [];
  /** Each record's offset from the leader (negative after a jump back). */
  const offsets: number[] = [];
  const seen = new Set<number>();
  let relative = 0;
  let record = leader;
  for (;;) {
    const op = cache.opOf(record);
    if (!translatable(op) || ((op === Op.Int || op === Op.Iret) && records.length === 0)) break;
    records.push(record);
    offsets.push(relative);
    seen.add(relative);
    if (records.length === MAX_RECORDS) break;
    const next = relative + cache.length[record];
    let following: number;
    // A branch back to the start closes a loop: the block ends there, so the loop stays small.
    // Otherwise the block goes on along the not-taken side, unless the taken side is an INT.
    // (Following every backward branch on its taken side, as loops mostly go, made the sieve
    // phase about a third slower when we tried it.)
    if (op === Op.Jcc || isFused(op)) {
      const after = op === Op.Jcc ? next : next + cache.jccLength[record];
      const target = after + (op === Op.Jcc ? cache.imm[record] : cache.jccDisp[record]);
      following = target === 0 ? 0 : reachesInt(cache, table, page, start + target) && !seen.has(target) ? target : after;
      if (cache.flushes !== flushes) return Compiled.Flushed;
    }
    else if (op === Op.Jmp || op === Op.CallRel) following = next + cache.imm[record];
    else if (transfersControl(op)) break;
    else following = next;
    const offset = start + following;
    if (following === 0 || seen.has(following) || offset < 0 || offset >= 0x1000) break;
    let entry = table[offset];
    if (entry === 0) {
      entry = cache.decode((page << 12) | offset);
      if (cache.flushes !== flushes) return Compiled.Flushed;
    }
    relative = following;
    record = entry;
  }
  if (records.length < 2) return Compiled.No;
  const ranges = new Uint16Array(records.length * 2);
  const before: number[] = [];
  let instructions = 0;
  for (let j = 0; j < records.length; j++) {
    before.push(instructions);
    instructions += isFused(cache.opOf(records[j])) ? 2 : 1;
    ranges[2 * j] = start + offsets[j];
    ranges[2 * j + 1] = start + offsets[j] + cache.span[records[j]];
  }
  const source = blockSource(cache, records, offsets, before, instructions);
  const make = new Function('helpers', source) as (helpers: typeof blockHelpers) => BlockFunction;
  const far = records.some((r) => cache.opOf(r) === Op.Int || cache.opOf(r) === Op.Iret);
  cache.addBlock(leader, page, make(blockHelpers), instructions | (far ? BLOCK_FAR : 0), ranges);
  return Compiled.Yes;
}

// Guest registers live in locals (r0..r7) while a block runs. Calls that read
// or change Cpu.reg32 get them written back first (FLUSH: those the block
// assigns) and read again after (RELOAD, or only ESP); every exit and the
// fault path write them back. Text is generated with r[n] and turned into
// locals at the end (blockSource), so these markers stand in until then.
const FLUSH = '/*flush*/';
const RELOAD = '/*reload*/';
const RELOAD_ESP = '/*reload esp*/';

/** ModRM byte register `n` (AL CL DL BL AH CH DH BH) as an expression on r[]. */
function byteRead(n: number): string {
  return n < 4 ? `(r[${n}] & 255)` : `((r[${n & 3}] >> 8) & 255)`;
}

/** Set ModRM byte register `n` to `value` (an expression), as a statement on r[]. */
function byteWrite(n: number, value: string): string {
  return n < 4 ? `r[${n}] = (r[${n}] & -256) | (${value} & 255);` : `r[${n & 3}] = (r[${n & 3}] & -65281) | ((${value} & 255) << 8);`;
}

/** The kind (OP_ADD...) and size of the operation whose flags Flags holds recorded. */
interface Producer {
  kind: number;
  size: number;
}

/** Records that leave the flags as they are (the shifts and the ALU set their own producer). */
function keepsFlags(op: Op): boolean {
  switch (op) {
    case Op.Nop: case Op.MovRmR_R: case Op.MovRI: case Op.Mov8RmR_R: case Op.Mov8RI: case Op.Lea: case Op.Movzx8_R: case Op.Movzx8_M:
    case Op.MovRmR_M: case Op.MovRRm_M: case Op.MovRmI_M: case Op.Mov8RmR_M: case Op.Mov8RRm_M:
    case Op.Push_R: case Op.PushI: case Op.Pop_R: case Op.Jcc: case Op.Jmp: case Op.CallRel: case Op.Setcc_R: case Op.Cmov_R:
      return true;
    default:
      return false;
  }
}

/** How a record uses the arithmetic flags, for deadFlags. */
const enum Use {
  /** Neither reads nor writes them, and cannot fault or leave the block. */
  None,
  /** Sets all six in the block's own code, which can leave them out. */
  Sets,
  /** Reads them (or sets only some: INC, DEC, rotates, a shift by CL that may be 0). */
  Reads,
  /**
   * May fault or leave the block, so the flags must be exact before it; a
   * memory ALU op among these still sets all six, in its fast path here.
   */
  Barrier,
  BarrierSets,
  /** A compare or count with its Jcc: sets all six (and cannot fault) before the branch reads them and may leave. */
  SetsThenBranches,
}

function flagUse(cache: DecodedCache, record: number): Use {
  const op = cache.opOf(record);
  const sub = cache.sub[record] & 7;
  const carries = sub === 2 || sub === 3; // ADC, SBB
  switch (op) {
    case Op.Nop: case Op.MovRmR_R: case Op.MovRI: case Op.Mov8RmR_R: case Op.Mov8RI: case Op.Lea: case Op.Movzx8_R:
      return Use.None;
    case Op.AddRR: case Op.AddRI: case Op.OrRR: case Op.OrRI: case Op.AndRR: case Op.AndRI: case Op.SubRR: case Op.SubRI:
    case Op.XorRR: case Op.XorRI: case Op.TestRR: case Op.TestRI: case Op.CmpRR: case Op.CmpRI:
      return Use.Sets;
    case Op.AluRmI_R: case Op.Alu8RmR_R: case Op.Alu8RmI_R:
      return carries ? Use.Reads : Use.Sets;
    case Op.Shl_R: case Op.Shr_R: case Op.Sar_R:
      return cache.imm[record] > 0 ? Use.Sets : Use.Reads;
    case Op.AluRmR_M: case Op.AluRRm_M: case Op.AluRmI_M: case Op.Alu8RmR_M:
      return carries ? Use.Barrier : Use.BarrierSets;
    case Op.Rol_R: case Op.Ror_R: case Op.Inc_R: case Op.Dec_R: case Op.Setcc_R: case Op.Cmov_R: case Op.Imul_R:
      return Use.Reads;
    case Op.CmpRR_Jcc: case Op.CmpRI_Jcc: case Op.TestRR_Jcc: case Op.TestRI_Jcc: case Op.AndRI_Jcc: case Op.AddRI_Jcc: case Op.SubRI_Jcc:
      return Use.SetsThenBranches;
    default:
      return Use.Barrier;
  }
}

/**
 * Which records' flags no one can see: a later record in the block sets
 * all six before anything reads them, and nothing between can fault or
 * leave the block (which must then show them exact). Those records skip
 * recording them. Every way out of the block needs them, so the last
 * record's always count.
 */
function deadFlags(cache: DecodedCache, records: number[]): boolean[] {
  const dead = new Array<boolean>(records.length).fill(false);
  let live = true;
  for (let j = records.length - 1; j >= 0; j--) {
    const use = flagUse(cache, records[j]);
    if (use === Use.Sets || use === Use.BarrierSets) dead[j] = !live;
    if (use === Use.Sets || use === Use.SetsThenBranches) live = false;
    else if (use !== Use.None) live = true;
  }
  return dead;
}

/** Whether the block sets all six flags before anything can see them: then going round again needs none recorded. */
function deadAtStart(cache: DecodedCache, records: number[]): boolean {
  for (const record of records) {
    const use = flagUse(cache, record);
    if (use === Use.Sets || use === Use.SetsThenBranches) return true;
    if (use !== Use.None) return false;
  }
  return false;
}

/** The text of the block function's factory. */
function blockSource(cache: DecodedCache, records: number[], offsets: number[], before: number[], instructions: number): string {
  const body: string[] = [];
  const dead = deadFlags(cache, records);
  const loopSetsFlags = deadAtStart(cache, records);
  let producer: Producer | null = null;
  for (let j = 0; j < records.length; j++) {
    const text: RecordText = new RecordText(cache, records[j], j, offsets[j], before[j], instructions, dead[j], producer, loopSetsFlags);
    const following = j + 1 < records.length ? offsets[j + 1] : NaN;
    body.push(`// ${j}: op ${cache.opOf(records[j])} at ${offsets[j]}`);
    body.push(text.code(following));
    producer = text.producerAfter;
  }
  let text = body.join('\n');
  const used = [...new Set([...text.matchAll(/\br\[(\d)\]/g)].map((m) => Number(m[1])))].sort();
  const assigned = [...new Set([...text.matchAll(/\br\[(\d)\] = (?!=)/g)].map((m) => Number(m[1])))].sort();
  const flush = assigned.map((n) => `r[${n}] = r${n};`).join(' ');
  text = text.replace(/\br\[(\d)\]/g, 'r$1');
  // Segment bases and flatness are constants while a block runs.
  const segmentViews = [...new Set([...text.matchAll(/\b(segBase|flatR|flatW)\[(\d)\]/g)].map((m) => `${m[1]}${m[2]}`))];
  text = text.replace(/\b(segBase|flatR|flatW)\[(\d)\]/g, '$1$2');
  if (/\br8?\[/.test(text)) throw new Error('blocks.ts: a register access escaped the locals');
  text = text
    .replaceAll(FLUSH, flush)
    .replaceAll(RELOAD_ESP, used.includes(ESP) ? `r${ESP} = r[${ESP}];` : '')
    .replaceAll(RELOAD, used.map((n) => `r${n} = r[${n}];`).join(' '));
  return `"use strict";
const { ${Object.keys(blockHelpers).join(', ')} } = helpers;
const OFFSETS = [${offsets.join(', ')}];
const BEFORE = [${before.join(', ')}];
return function block(cpu, eip0, budget) {
  const r = cpu.reg32;
  ${used.map((n) => `let r${n} = r[${n}];`).join(' ')}
  const ram = cpu.ram;
  const ram32 = cpu.ram32;
  const flags = cpu.flags;
  const cache = cpu.icache;
  const drops = cache.drops;
  // Nothing in a block changes a segment, CPL or the TLB views (INT and IRET come last).
  const segBase = cpu.segBase;
  const tlbR = cpu.tlbRead;
  const tlbW = cpu.tlbWrite;
  const flatR = cpu.segFlatRead;
  const flatW = cpu.segFlatWrite;
  const stack32 = (cpu.segAttributes[${SS}] & ${ATTR_DB}) !== 0;
  ${segmentViews.map((name) => `const ${name} = ${name.slice(0, -1)}[${name.slice(-1)}];`).join(' ')}
  let eip = eip0;
  let retired = 0;
  let k = 0;
  try {
    run: for (;;) {
${text}
    }
  } catch (error) {
    ${flush}
    cpu.startEip = (eip0 + OFFSETS[k]) | 0;
    cpu.startEsp = r[${ESP}];
    cpu.blockRetired = retired + BEFORE[k];
    throw error;
  }
  ${flush}
  cpu.blockRetired = retired;
  return eip;
};`;
}

/** One record as JavaScript, with its fields as constants. */
class RecordText {
  readonly op: Op;
  readonly reg: number;
  readonly rm: number;
  readonly seg: number;
  readonly sub: number;
  readonly imm: number;
  /** Offset of the next instruction from the block's start. */
  readonly next: number;
  /** Offset of a relative branch's target from the block's start (Jcc, JMP, CALL), else NaN. */
  target = NaN;

  constructor(
    private readonly cache: DecodedCache,
    private readonly record: number,
    /** Position in the block: the value of `k` while it runs. */
    private readonly position: number,
    /** Offset from the block's start. */
    private readonly offset: number,
    /** Instructions of the pass before this one. */
    private readonly before: number,
    /** Instructions of a whole pass. */
    private readonly total: number,
    /** No one sees the flags this record sets (deadFlags): leave them out. */
    private readonly dead: boolean,
    /** What recorded the flags before this record, when the block knows. */
    private readonly producer: Producer | null,
    /** The block sets all six flags before anything can see them (deadAtStart). */
    private readonly loopSetsFlags: boolean,
  ) {
    this.op = cache.opOf(record);
    this.reg = cache.reg[record];
    this.rm = cache.rm[record];
    this.seg = cache.seg[record];
    this.sub = cache.sub[record];
    this.imm = cache.imm[record];
    this.next = offset + cache.length[record];
  }

  /** The effective address offset, as an int32 expression. */
  private address(): string {
    const cache = this.cache;
    const base = cache.base[this.record];
    const index = cache.index[this.record];
    const scale = cache.scale[this.record];
    const terms: string[] = [];
    if (base !== NO_REG) terms.push(`r[${base}]`);
    if (index !== NO_REG) terms.push(scale ? `(r[${index}] << ${scale})` : `r[${index}]`);
    const disp = cache.disp[this.record];
    if (disp !== 0 || terms.length === 0) terms.push(`${disp}`);
    return `((${terms.join(' + ')}) | 0)`;
  }

  /** Mark this instruction as the one in flight (before anything that may fault). */
  private inFlight(): string {
    return `k = ${this.position};`;
  }

  /** Leave at the next instruction when the slow path of a store may have changed what runs next. */
  private afterStore(): string {
    return `if (cpu.checkInterrupts || cache.drops !== drops) { ${this.goTo(this.next, this.before + 1)} }`;
  }

  /** Leave the block for `target` (an offset from its start) with `count` instructions of this pass retired; go round again for its start. */
  private goTo(target: number, count: number): string {
    if (target === 0) return `retired += ${count}; if (budget - retired < ${this.total}) { eip = eip0; break run; } continue run;`;
    return `retired += ${count}; eip = (eip0 + ${target}) | 0; break run;`;
  }

  /**
   * A conditional branch to `target` (set) or `after`, `count` instructions retired with it: the
   * block goes on along the side the next record is on and leaves on the other.
   */
  private branch(condition: string, after: number, count: number): string {
    if (this.following === this.target) return `if (!${condition}) { ${this.goTo(after, count)} }`;
    const taken = `if (${condition}) { ${this.goTo(this.target, count)} }`;
    return this.following === after ? taken : `${taken} ${this.goTo(after, count)}`;
  }

  /** Leave the block with EIP already set, this instruction retired. */
  private leave(): string {
    return `retired += ${this.before + 1}; break run;`;
  }

  private record32(kind: number, a: string, b: string, result: string): string {
    return `flags.op = ${kind}; flags.size = 4; flags.a = ${a}; flags.b = ${b}; flags.result = ${result};`;
  }

  /**
   * ALU operation `sub` (ADD OR ADC SBB AND SUB XOR CMP) of `size` bytes on
   * the values of `a` and `b`, as alu() computes it, flags recorded unless
   * dead; `assign` stores the result (empty for a compare).
   */
  private aluText(sub: number, size: 1 | 4, a: string, b: string, assign: (result: string) => string, dead = this.dead): string {
    if (sub === 2 || sub === 3) {
      this.producerAfter = null;
      return `{ const res = alu(cpu, ${sub}, ${a}, ${b}, ${size}); ${assign('res')} }`;
    }
    const operator = ['+', '|', '', '', '&', '-', '^', '-'][sub];
    const kind = sub === 0 ? OP_ADD : sub === 5 || sub === 7 ? OP_SUB : OP_LOGIC;
    this.producerAfter = dead ? null : { kind, size };
    const flagsText = dead ? '' : `flags.op = ${kind}; flags.size = ${size}; flags.a = a; flags.b = b; flags.result = res; `;
    return `{ const a = ${a}; const b = ${b}; const res = (a ${operator} b) ${size === 4 ? '| 0' : '& 255'}; ${flagsText}${assign('res')} }`;
  }

  /** A register ALU op with its flags recorded in place: `a op b`, written back unless a compare or test. */
  private aluInPlace(operator: string, kind: number, operand: string, writeBack: boolean): string {
    const n = this.rm;
    const flagsText = this.dead ? '' : ` ${this.record32(kind, 'a', 'b', 'res')}`;
    this.producerAfter = this.dead ? null : { kind, size: 4 };
    return `{ const a = r[${n}]; const b = ${operand}; const res = (a ${operator} b) | 0;${flagsText}${writeBack ? ` r[${n}] = res;` : ''}`;
  }

  /**
   * Condition `cc` straight from the operands `a`, `b` and result `res` (int32
   * expressions) of a 32-bit operation of kind `kind`, where that is exact;
   * else through Flags.condition.
   */
  private static condition(kind: number, cc: number, a = 'a', b = 'b', res = 'res'): string {
    const negate = (cc & 1) !== 0;
    let test: string | null = null;
    const c = cc >> 1;
    if (kind === OP_SUB) {
      test = [`(((${a} ^ ${b}) & (${a} ^ ${res})) < 0)`, `((${a} >>> 0) < (${b} >>> 0))`, `(${a} === ${b})`, `((${a} >>> 0) <= (${b} >>> 0))`,
        `(${res} < 0)`, null, `(${a} < ${b})`, `(${a} <= ${b})`][c];
    } else if (kind === OP_LOGIC) {
      test = [`false`, `false`, `(${res} === 0)`, `(${res} === 0)`, `(${res} < 0)`, null, `(${res} < 0)`, `(${res} <= 0)`][c];
    } else if (kind === OP_ADD) {
      test = [`(((${a} ^ ${res}) & (${b} ^ ${res})) < 0)`, `((${res} >>> 0) < (${a} >>> 0))`, `(${res} === 0)`, null, `(${res} < 0)`, null, null, null][c];
    } else if (kind === OP_INC || kind === OP_DEC) {
      // CF is kept, so only the conditions without it.
      test = [null, null, `(${res} === 0)`, null, `(${res} < 0)`, null, null, null][c];
    }
    if (test === null) return `flags.condition(${cc})`;
    return negate ? `!${test}` : test;
  }

  /** Condition `cc` on the flags as they are: from the recorded fields when this block knows which operation recorded them. */
  private conditionNow(cc: number): string {
    const p = this.producer;
    if (p === null || p.size !== 4) return `flags.condition(${cc})`;
    return RecordText.condition(p.kind, cc, 'flags.a', 'flags.b', 'flags.result');
  }

  /** INC or DEC (`kind`) of `a` to `res` recorded: CF comes from the operation before, which this block may know. */
  private recordIncDec(kind: number): string {
    this.producerAfter = { kind, size: 4 };
    const p = this.producer;
    const fields = `flags.op = ${kind}; flags.size = 4; flags.a = a; flags.b = 1; flags.result = res;`;
    if (p === null || p.size !== 4) return `recordIncDec(flags, ${kind}, a, res);`;
    switch (p.kind) {
      case OP_INC: case OP_DEC: return fields; // CF is in bits already
      case OP_LOGIC: return `flags.bits &= ~${FLAG_CF}; ${fields}`;
      case OP_SUB: return `flags.bits = (flags.bits & ~${FLAG_CF}) | ((flags.a >>> 0) < (flags.b >>> 0) ? ${FLAG_CF} : 0); ${fields}`;
      case OP_ADD: return `flags.bits = (flags.bits & ~${FLAG_CF}) | ((flags.result >>> 0) < (flags.a >>> 0) ? ${FLAG_CF} : 0); ${fields}`;
      default: return `recordIncDec(flags, ${kind}, a, res);`;
    }
  }

  /** A compare or count with the Jcc after it: the Jcc retires too and ends the block. */
  private fused(operator: string, kind: number, operand: string, writeBack: boolean): string {
    const cache = this.cache;
    const after = this.next + cache.jccLength[this.record];
    const disp = cache.jccDisp[this.record];
    this.target = after + disp;
    const cc = cache.jccCondition[this.record];
    const body = kind === OP_INC || kind === OP_DEC
      ? `{ const a = r[${this.rm}]; const b = 1; const res = (a ${operator} 1) | 0; ${this.recordIncDec(kind)} r[${this.rm}] = res;`
      : this.aluInPlace(operator, kind, operand, writeBack);
    this.producerAfter = { kind, size: 4 };
    const count = this.before + 2;
    if (this.target === 0 && this.loopSetsFlags && Number.isNaN(this.following) && kind !== OP_INC && kind !== OP_DEC) {
      // The loop's next pass sets every flag before it can see one: record them only on the way out.
      const record = this.record32(kind, 'a', 'b', 'res');
      const flagless = `{ const a = r[${this.rm}]; const b = ${operand}; const res = (a ${operator} b) | 0;${writeBack ? ` r[${this.rm}] = res;` : ''}`;
      return `${flagless} if (${RecordText.condition(kind, cc)}) { retired += ${count}; if (budget - retired < ${this.total}) { ${record} eip = eip0; break run; } continue run; }
        ${record} ${this.goTo(after, count)} }`;
    }
    return `${body} ${this.branch(RecordText.condition(kind, cc), after, count)} }`;
  }

  private shift(kind: 'shl' | 'shr' | 'sar' | 'rol' | 'ror'): string {
    const n = this.rm;
    const byCl = this.imm < 0;
    // A count of 0 (counts are masked to 5 bits) changes nothing, flags included.
    if (this.imm === 0) return '';
    const count = byCl ? 'c' : `${this.imm}`;
    let core: string;
    switch (kind) {
      // What Flags.record stores for OP_SHIFT: CF in bit 0 and OF in bit 1 of `a`, the result as int32.
      case 'shl':
        core = this.dead ? `const res = a << ${count};`
          : `const res = a << ${count}; const cf = (a >>> (32 - ${count})) & 1; ${this.recordShift('cf | (((res >>> 31) ^ cf) << 1)')}`;
        break;
      case 'shr':
        core = this.dead ? `const res = a >>> ${count};`
          : `const lastStep = a >>> (${count} - 1); const res = a >>> ${count}; ${this.recordShift('(lastStep & 1) | (((lastStep >>> 31) ^ (res >>> 31)) << 1)')}`;
        break;
      case 'sar':
        core = this.dead ? `const res = a >> ${count};` : `const res = a >> ${count}; ${this.recordShift(`(a >> (${count} - 1)) & 1`)}`;
        break;
      case 'rol':
        core = `const res = (a << ${count}) | (a >>> (32 - ${count})); const cf = res & 1; flags.setCarryOverflow(cf, (res >>> 31) ^ cf);`;
        break;
      default:
        core = `const res = (a >>> ${count}) | (a << (32 - ${count})); const cf = res >>> 31; flags.setCarryOverflow(cf, cf ^ ((res >>> 30) & 1));`;
        break;
    }
    const inner = `const a = r[${n}]; ${core} r[${n}] = res;`;
    return byCl ? `{ const c = r[1] & 31; if (c !== 0) { ${inner} } }` : `{ ${inner} }`;
  }

  /**
   * Read `size` bytes at the memory operand into `v` and run `then`: straight
   * from RAM for a flat segment, a TLB hit and (dwords) an aligned address,
   * else through load32/load8 (dispatch.ts).
   */
  private withLoad(size: 1 | 4, then: string): string {
    const s = this.seg;
    const fast = size === 4
      ? `flatR[${s}] && e >= 0 && (lin & 3) === 0 ? ram32[(e | (lin & 0xfff)) >> 2] : load32(cpu, ${s}, o)`
      : `flatR[${s}] && e >= 0 ? ram[e | (lin & 0xfff)] : load8(cpu, ${s}, o)`;
    return `${this.inFlight()} { const o = ${this.address()}; const lin = (segBase[${s}] + o) | 0; const e = tlbR[lin >>> 12]; const v = ${fast}; ${then} }`;
  }

  /** Write `value` (an expression on locals only) to the memory operand, the same way round as withLoad. */
  private store(size: 1 | 4, value: string): string {
    const s = this.seg;
    const fast = size === 4
      ? `if (flatW[${s}] && e >= 0 && (lin & 3) === 0) ram32[(e | (lin & 0xfff)) >> 2] = ${value};`
      : `if (flatW[${s}] && e >= 0) ram[e | (lin & 0xfff)] = ${value};`;
    return `${this.inFlight()} { const o = ${this.address()}; const lin = (segBase[${s}] + o) | 0; const e = tlbW[lin >>> 12];
      ${fast} else { ${size === 4 ? 'store32' : 'store8'}(cpu, ${s}, o, ${value}); ${this.afterStore()} } }`;
  }

  /** PUSH of `value` (an expression on locals only), as push32 does it. */
  private push(value: string, afterSlowPush: string | false = this.afterStore()): string {
    return `${this.inFlight()} { const pv = ${value}; const esp = (r[${ESP}] - 4) | 0; const lin = (segBase[${SS}] + esp) | 0; const e = tlbW[lin >>> 12];
      if (flatW[${SS}] && stack32 && e >= 0 && (lin & 3) === 0) { ram32[(e | (lin & 0xfff)) >> 2] = pv; r[${ESP}] = esp; }
      else { ${FLUSH} push32(cpu, pv); ${RELOAD_ESP}${afterSlowPush ? ` ${afterSlowPush}` : ''} } }`;
  }

  /** POP into `then`'s `v`, as pop32 does it. */
  private pop(then: string): string {
    return `${this.inFlight()} { const esp = r[${ESP}]; const lin = (segBase[${SS}] + esp) | 0; const e = tlbR[lin >>> 12]; let v;
      if (flatR[${SS}] && stack32 && e >= 0 && (lin & 3) === 0) { v = ram32[(e | (lin & 0xfff)) >> 2]; r[${ESP}] = (esp + 4) | 0; }
      else { ${FLUSH} v = pop32(cpu); ${RELOAD_ESP} }
      ${then} }`;
  }

  /** `ad`: where a read-modify-write of the memory operand `o` goes in RAM, as updateAddress finds it (a TLB hit inline). */
  private writableAddress(size: 1 | 4): string {
    const s = this.seg;
    return `const lin = (segBase[${s}] + o) | 0; const e = tlbW[lin >>> 12];
      const ad = flatW[${s}] && e >= 0 && (lin & 0xfff) <= ${0x1000 - size} ? e | (lin & 0xfff) : updateAddress(cpu, ${s}, o, ${size});`;
  }

  private recordShift(carryOverflow: string): string {
    return `flags.op = ${OP_SHIFT}; flags.size = 4; flags.a = ${carryOverflow}; flags.b = 0; flags.result = res | 0;`;
  }

  /** A read-modify-write of memory through updateAddress, as dispatch.ts does it. */
  private readModifyWrite(size: 1 | 4, operand: string): string {
    const s = this.seg;
    const sub = this.sub;
    // The slow path records the flags whatever deadFlags says: it may leave the block after the store.
    if (size === 4) {
      return `${this.inFlight()} { const o = ${this.address()}; ${this.writableAddress(4)}
        if (ad >= 0) ${this.aluText(sub, 4, '((ad & 3) === 0 ? ram32[ad >> 2] : ramRead32(cpu, ad))', operand, (res) => `if ((ad & 3) === 0) ram32[ad >> 2] = ${res}; else ramWrite32(cpu, ad, ${res});`)}
        else { store32(cpu, ${s}, o, alu(cpu, ${sub}, load32(cpu, ${s}, o), ${operand}, 4)); ${this.afterStore()} } }`;
    }
    return `${this.inFlight()} { const o = ${this.address()}; ${this.writableAddress(1)}
      if (ad >= 0) ${this.aluText(sub, 1, 'ram[ad]', operand, (res) => `ram[ad] = ${res};`)}
      else { store8(cpu, ${s}, o, alu(cpu, ${sub}, load8(cpu, ${s}, o), ${operand}, 1)); ${this.afterStore()} } }`;
  }

  /** Offset of the record after this one in the block (NaN for the last). */
  private following = NaN;

  /** What recorded the flags after this record, when the block knows (null: it does not). */
  producerAfter: Producer | null = null;

  code(following: number): string {
    this.following = following;
    this.producerAfter = keepsFlags(this.op) ? this.producer : null;
    const text = this.body();
    // A block that ends without a transfer leaves for the next instruction.
    if (transfersControl(this.op) || !Number.isNaN(following)) return text;
    return `${text} ${this.goTo(this.next, this.before + 1)}`;
  }

  private body(): string {
    const following = this.following;
    const s = this.seg;
    const sub = this.sub;
    const imm = this.imm;
    const reg = this.reg;
    const rm = this.rm;
    const next = this.next;
    switch (this.op) {
      case Op.Nop:
        return '';
      case Op.AluRmR_M:
        if (sub & FLAGS_ONLY) return this.withLoad(4, this.aluText(sub & 7, 4, 'v', `r[${reg}]`, () => ''));
        return this.readModifyWrite(4, `r[${reg}]`);
      case Op.AluRRm_M:
        return this.withLoad(4, this.aluText(sub & 7, 4, `r[${reg}]`, 'v', (res) => (sub & FLAGS_ONLY ? '' : `r[${reg}] = ${res};`)));
      case Op.AluRmI_R:
        return this.aluText(sub & 7, 4, `r[${rm}]`, `${imm}`, (res) => (sub & FLAGS_ONLY ? '' : `r[${rm}] = ${res};`));
      case Op.AluRmI_M:
        if (sub & FLAGS_ONLY) return this.withLoad(4, this.aluText(sub & 7, 4, 'v', `${imm}`, () => ''));
        return this.readModifyWrite(4, `${imm}`);
      case Op.Alu8RmR_R: {
        return this.aluText(sub & 7, 1, byteRead(rm), byteRead(reg), (res) => (sub & FLAGS_ONLY ? '' : byteWrite(rm, res)));
      }
      case Op.Alu8RmR_M:
        if (sub & FLAGS_ONLY) return this.withLoad(1, this.aluText(sub & 7, 1, 'v', byteRead(reg), () => ''));
        return this.readModifyWrite(1, byteRead(reg));
      case Op.Alu8RmI_R: {
        return this.aluText(sub & 7, 1, byteRead(rm), `${imm}`, (res) => (sub & FLAGS_ONLY ? '' : byteWrite(rm, res)));
      }
      case Op.AddRR: return this.aluInPlace('+', OP_ADD, `r[${reg}]`, true) + ' }';
      case Op.AddRI: return this.aluInPlace('+', OP_ADD, `${imm}`, true) + ' }';
      case Op.OrRR: return this.aluInPlace('|', OP_LOGIC, `r[${reg}]`, true) + ' }';
      case Op.OrRI: return this.aluInPlace('|', OP_LOGIC, `${imm}`, true) + ' }';
      case Op.AndRR: return this.aluInPlace('&', OP_LOGIC, `r[${reg}]`, true) + ' }';
      case Op.AndRI: return this.aluInPlace('&', OP_LOGIC, `${imm}`, true) + ' }';
      case Op.SubRR: return this.aluInPlace('-', OP_SUB, `r[${reg}]`, true) + ' }';
      case Op.SubRI: return this.aluInPlace('-', OP_SUB, `${imm}`, true) + ' }';
      case Op.XorRR: return this.aluInPlace('^', OP_LOGIC, `r[${reg}]`, true) + ' }';
      case Op.XorRI: return this.aluInPlace('^', OP_LOGIC, `${imm}`, true) + ' }';
      case Op.TestRR: return this.aluInPlace('&', OP_LOGIC, `r[${reg}]`, false) + ' }';
      case Op.TestRI: return this.aluInPlace('&', OP_LOGIC, `${imm}`, false) + ' }';
      case Op.CmpRR: return this.aluInPlace('-', OP_SUB, `r[${reg}]`, false) + ' }';
      case Op.CmpRI: return this.aluInPlace('-', OP_SUB, `${imm}`, false) + ' }';
      case Op.CmpRR_Jcc: return this.fused('-', OP_SUB, `r[${reg}]`, false);
      case Op.CmpRI_Jcc: return this.fused('-', OP_SUB, `${imm}`, false);
      case Op.TestRR_Jcc: return this.fused('&', OP_LOGIC, `r[${reg}]`, false);
      case Op.TestRI_Jcc: return this.fused('&', OP_LOGIC, `${imm}`, false);
      case Op.AndRI_Jcc: return this.fused('&', OP_LOGIC, `${imm}`, true);
      case Op.AddRI_Jcc: return this.fused('+', OP_ADD, `${imm}`, true);
      case Op.SubRI_Jcc: return this.fused('-', OP_SUB, `${imm}`, true);
      case Op.Inc_R_Jcc: return this.fused('+', OP_INC, '1', true);
      case Op.Dec_R_Jcc: return this.fused('-', OP_DEC, '1', true);

      case Op.MovRmR_R: return `r[${rm}] = r[${reg}];`;
      case Op.MovRmR_M: return this.store(4, `r[${reg}]`);
      case Op.MovRRm_M: return this.withLoad(4, `r[${reg}] = v;`);
      case Op.MovRmI_M: return this.store(4, `${imm}`);
      case Op.MovRI: return `r[${rm}] = ${imm};`;
      case Op.Mov8RmR_R: return byteWrite(rm, byteRead(reg));
      case Op.Mov8RmR_M: return this.store(1, byteRead(reg));
      case Op.Mov8RRm_M: return this.withLoad(1, byteWrite(reg, 'v'));
      case Op.Mov8RI: return byteWrite(rm, `${imm}`);
      case Op.Lea: return `r[${reg}] = ${this.address()};`;

      case Op.Inc_R: return `{ const a = r[${rm}]; const res = (a + 1) | 0; ${this.recordIncDec(OP_INC)} r[${rm}] = res; }`;
      case Op.Dec_R: return `{ const a = r[${rm}]; const res = (a - 1) | 0; ${this.recordIncDec(OP_DEC)} r[${rm}] = res; }`;
      case Op.IncDec_M: {
        const kind = sub ? OP_DEC : OP_INC;
        return `${this.inFlight()} { const o = ${this.address()}; ${this.writableAddress(4)}
          if (ad >= 0) { const a = ((ad & 3) === 0 ? ram32[ad >> 2] : ramRead32(cpu, ad)); const res = (a ${sub ? '-' : '+'} 1) | 0; ${this.recordIncDec(kind)} if ((ad & 3) === 0) ram32[ad >> 2] = res; else ramWrite32(cpu, ad, res); }
          else { store32(cpu, ${s}, o, ${sub ? 'dec' : 'inc'}(cpu, load32(cpu, ${s}, o), 4)); ${this.afterStore()} } }`;
      }

      case Op.Push_R: return this.push(`r[${rm}]`);
      case Op.PushI: return this.push(`${imm}`);
      case Op.Pop_R: return this.pop(`r[${rm}] = v;`);

      case Op.Jcc:
        this.target = next + imm;
        return this.branch(this.conditionNow(sub), next, this.before + 1);
      case Op.Jmp:
        this.target = next + imm;
        return following === this.target ? '' : this.goTo(this.target, this.before + 1);
      case Op.CallRel:
        this.target = next + imm;
        // After a slow push that dropped code (a stack in a code page), stop at the target.
        if (following !== this.target) return `${this.push(`(eip0 + ${next}) | 0`, false)} ${this.goTo(this.target, this.before + 1)}`;
        return this.push(`(eip0 + ${next}) | 0`, `if (cpu.checkInterrupts || cache.drops !== drops) { ${this.goTo(this.target, this.before + 1)} }`);
      case Op.Ret:
        return `${this.pop('eip = v;')} ${this.leave()}`;
      case Op.CallRm_R:
        return `{ const t = r[${rm}]; ${this.push(`(eip0 + ${next}) | 0`, false)} eip = t; } ${this.leave()}`;
      case Op.Int:
      case Op.Iret:
        // The common protected-mode cases through gates.ts, which never faults; anything else
        // leaves the block before the instruction, for dispatch.ts to run it.
        return `cpu.eip = (eip0 + ${next}) | 0;
          ${FLUSH} const fast = cpu.fastGates && cpu.cr0 & ${CR0_PE} && cpu.interruptHook === undefined && ${this.op === Op.Int ? `fastDeliver(cpu, ${imm}, -1, true)` : 'fastInterruptReturn(cpu)'}; ${RELOAD}
          if (fast) { eip = cpu.eip; ${this.leave()} }
          ${this.goTo(this.offset, this.before)}`;

      case Op.Shl_R: return this.shift('shl');
      case Op.Shr_R: return this.shift('shr');
      case Op.Sar_R: return this.shift('sar');
      case Op.Rol_R: return this.shift('rol');
      case Op.Ror_R: return this.shift('ror');

      case Op.Movzx8_R: return `r[${reg}] = ${byteRead(rm)};`;
      case Op.Movzx8_M: return this.withLoad(1, `r[${reg}] = v;`);
      case Op.Setcc_R: return byteWrite(rm, `(${this.conditionNow(sub)} ? 1 : 0)`);
      case Op.Cmov_R: return `if (${this.conditionNow(sub)}) r[${reg}] = r[${rm}];`;
      case Op.Imul_R: return `r[${reg}] = imulTruncated(cpu, r[${reg}], r[${rm}], 4);`;

      default:
        // The rarer handlers run as dispatch.ts runs them.
        if (transfersControl(this.op)) {
          return `${this.inFlight()} ${FLUSH} eip = runColdOp(cpu, ${this.op}, ${this.record}, (eip0 + ${next}) | 0); ${RELOAD} ${this.leave()}`;
        }
        return `${this.inFlight()} ${FLUSH} runColdOp(cpu, ${this.op}, ${this.record}, 0); ${RELOAD} ${this.afterStore()}`;
    }
  }

}

// The decoded-instruction cache: instructions decoded once into compact
// records, found again by physical address, dropped when their bytes are
// written.
//
// A record is one index into the parallel typed arrays below (struct of
// arrays: no object per instruction, nothing allocated while running). It
// holds the handler (`op`, an Op below, run by dispatch.ts), the length, the
// ModRM fields already split (register numbers, base and index registers,
// scale, displacement, the segment after prefixes) and the immediate; a
// register compare or count keeps the Jcc after it in the same record. Only
// the hot forms of 32-bit code get a handler of their own; every other
// instruction, and any that does not fit in its page, is an Op.Generic
// record that dispatch.ts hands to the interpreter in execute.ts, which
// fetches and decodes it afresh each time.
//
// Each physical page that holds decoded code has an Int32Array of 4096 record
// numbers, one per byte offset (0: not decoded yet), followed by a mark per
// 16-byte chunk that decoded bytes touch. Records depend on the
// bytes and on the code being 32-bit with 32-bit addressing, which
// dispatch.ts checks before it looks here (a 16-bit or limited CS runs
// through the interpreter). Writes: the MMU gives a code page only code
// entries in the write TLB (Mmu.protectCode), so every write to it takes a
// slow path, Cpu.writeCodePage or PhysicalMemory's with onPageWritten (as
// DMA does); written() then forgets the records that cover the bytes
// written, and the rest of the page stays (code and data share pages). When the record store is full, everything is forgotten at
// once.

import type { Mmu } from '../mmu/mmu.ts';
import { PAGE_SHIFT, PAGE_SIZE } from '../mmu/physical.ts';
import { CS, DS, ES, FS, GS, SS } from './cpu.ts';
import { Op } from './dispatch.ts';
import type { BlockFunction } from './blocks.ts';

/** The "no register" number: Cpu.reg32[8] is always 0, so base and index need no test. */
export const NO_REG = 8;

const RECORDS = 1 << 17;
/** See DecodedCache.blockHot. */
export const DEFAULT_BLOCK_HOT = 1000;
const MAX_INSTRUCTION_LENGTH = 15;
/** The most bytes one record covers: an instruction and a fused six-byte Jcc. */
const MAX_SPAN = MAX_INSTRUCTION_LENGTH + 6;
/**
 * A page's table also marks which 16-byte chunks some record's bytes touch
 * (entries PAGE_SIZE + chunk), so a write to data beside the code is
 * dismissed without a scan. Marks stay until the page is dropped.
 */
const CHUNK_SHIFT = 4;

export class DecodedCache {
  readonly op = new Uint8Array(RECORDS);
  readonly length = new Uint8Array(RECORDS);
  /** ModRM reg field (or the register in the opcode). */
  readonly reg = new Uint8Array(RECORDS);
  /** ModRM r/m register (register forms). */
  readonly rm = new Uint8Array(RECORDS);
  readonly base = new Uint8Array(RECORDS);
  readonly index = new Uint8Array(RECORDS);
  readonly scale = new Uint8Array(RECORDS);
  readonly seg = new Uint8Array(RECORDS);
  /** ALU operation, condition code or shift kind. */
  readonly sub = new Uint8Array(RECORDS);
  readonly disp = new Int32Array(RECORDS);
  readonly imm = new Int32Array(RECORDS);
  /**
   * For the *_Jcc ops (dispatch.ts): the Jcc that directly follows the
   * instruction, fused into its record, by condition, length and displacement.
   */
  readonly jccCondition = new Uint8Array(RECORDS);
  readonly jccLength = new Uint8Array(RECORDS);
  readonly jccDisp = new Int32Array(RECORDS);
  /** Bytes the record was decoded from (with a fused Jcc), for written(). */
  readonly span = new Uint8Array(RECORDS);

  // The block tier (blocks.ts).
  /** Times each record has been dispatched (wrapping): at blockHot, a block is compiled from it. */
  readonly heat = new Uint16Array(RECORDS);
  /** Dispatches of one record that make it a block's leader (0x10000 or more: never). */
  blockHot = DEFAULT_BLOCK_HOT;
  /** For an Op.Block record: its function, its instructions per pass and the op it had. */
  readonly blocks: (BlockFunction | undefined)[] = new Array<BlockFunction | undefined>(RECORDS).fill(undefined);
  readonly blockLength = new Uint8Array(RECORDS);
  readonly blockOp = new Uint8Array(RECORDS);
  /** The bytes of its page each block was made from: a start and an end (exclusive) per record. */
  private readonly blockRanges: (Uint16Array | undefined)[] = new Array<Uint16Array | undefined>(RECORDS).fill(undefined);
  /** Leaders of the blocks in each physical page. */
  private readonly pageBlocks = new Map<number, number[]>();
  /** Counts writes that dropped decoded instructions: a running block stops when it changes. */
  drops = 0;
  /** Counts flushes of the whole cache. */
  flushes = 0;

  /** Record 0 means "not decoded", so the store starts at 1. */
  private used = 1;
  /** Per physical page: record number by offset, or null for a page with no decoded code. */
  private readonly pages: (Int32Array | null)[];
  private readonly livePages: number[] = [];
  private readonly sparePages: Int32Array[] = [];

  constructor(
    private readonly ram: Uint8Array,
    private readonly mmu: Mmu,
  ) {
    this.pages = new Array<Int32Array | null>(ram.length >>> PAGE_SHIFT).fill(null);
  }

  /** The record numbers of physical page `page` (in RAM) by offset, 0 where nothing is decoded yet. */
  tableFor(page: number): Int32Array {
    return this.pages[page] ?? this.openPage(page);
  }

  /** Decode the instruction at `physical` into a new record, entered in its page's table. */
  decode(physical: number): number {
    if (this.used === RECORDS) this.flush();
    const table = this.tableFor(physical >>> PAGE_SHIFT);
    const record = this.used++;
    this.op[record] = decodeInstruction(this, record, this.ram, physical);
    const offset = physical & (PAGE_SIZE - 1);
    table[offset] = record;
    const last = Math.min(offset + this.span[record], PAGE_SIZE) - 1;
    for (let chunk = offset >> CHUNK_SHIFT; chunk <= last >> CHUNK_SHIFT; chunk++) table[PAGE_SIZE + chunk] = 1;
    return record;
  }

  /**
   * Bytes offset..offset+length-1 of physical page `page` were written:
   * forget every instruction decoded there that covers one of them. (The
   * rest of the page stays: code and data often share a page.) A caller
   * holding the table sees the dropped entries as 0 and decodes afresh.
   */
  written(page: number, offset: number, length: number): void {
    const table = this.pages[page];
    if (table === null || table === undefined) return;
    const last = Math.min(offset + length, PAGE_SIZE) - 1;
    let chunk = offset >> CHUNK_SHIFT;
    while (chunk <= last >> CHUNK_SHIFT && table[PAGE_SIZE + chunk] === 0) chunk++;
    if (chunk > last >> CHUNK_SHIFT) return; // data beside the code: nothing decoded covers these bytes
    let dropped = false;
    const blocks = this.pageBlocks.get(page);
    if (blocks !== undefined) {
      for (let n = blocks.length - 1; n >= 0; n--) {
        const leader = blocks[n];
        if (this.blockCovers(leader, offset, last)) {
          this.dropBlock(leader);
          blocks[n] = blocks[blocks.length - 1];
          blocks.pop();
          dropped = true;
        }
      }
    }
    for (let start = Math.max(0, offset - (MAX_SPAN - 1)); start <= last; start++) {
      const record = table[start];
      if (record !== 0 && start + this.span[record] > offset) {
        table[start] = 0;
        dropped = true;
      }
    }
    // A running block stops after the store only when code went (its own, perhaps).
    if (dropped) this.drops++;
  }

  /** Whether one of the records block `leader` was made from covers a byte of offset..last. */
  private blockCovers(leader: number, offset: number, last: number): boolean {
    const ranges = this.blockRanges[leader]!;
    for (let n = 0; n < ranges.length; n += 2) {
      if (ranges[n] <= last && ranges[n + 1] > offset) return true;
    }
    return false;
  }

  /** Forget everything decoded in physical page `page`. */
  private dropPage(page: number): void {
    const table = this.pages[page];
    if (table === null || table === undefined) return;
    this.pages[page] = null;
    this.mmu.unprotectCode(page);
    const blocks = this.pageBlocks.get(page);
    if (blocks !== undefined) {
      for (const leader of blocks) this.dropBlock(leader);
      this.pageBlocks.delete(page);
    }
    this.sparePages.push(table.fill(0));
    const live = this.livePages.indexOf(page);
    this.livePages[live] = this.livePages[this.livePages.length - 1];
    this.livePages.pop();
  }

  /** Forget everything (reset, or the record store is full). */
  flush(): void {
    while (this.livePages.length > 0) this.dropPage(this.livePages[this.livePages.length - 1]);
    this.used = 1;
    this.heat.fill(0);
    this.drops++;
    this.flushes++;
  }

  /**
   * Make record `leader` (in physical page `page`) run `block`, `length`
   * instructions per pass; `ranges` holds the start and end offsets of the
   * bytes of each record it was made from.
   */
  addBlock(leader: number, page: number, block: BlockFunction, length: number, ranges: Uint16Array): void {
    this.blocks[leader] = block;
    this.blockLength[leader] = length;
    this.blockOp[leader] = this.op[leader];
    this.blockRanges[leader] = ranges;
    this.op[leader] = Op.Block;
    let blocks = this.pageBlocks.get(page);
    if (blocks === undefined) this.pageBlocks.set(page, (blocks = []));
    blocks.push(leader);
  }

  /** The op a record was decoded as (a block's leader keeps it in blockOp). */
  opOf(record: number): Op {
    const op = this.op[record] as Op;
    return op === Op.Block ? (this.blockOp[record] as Op) : op;
  }

  private dropBlock(leader: number): void {
    this.op[leader] = this.blockOp[leader];
    this.blocks[leader] = undefined;
    this.blockRanges[leader] = undefined;
    this.heat[leader] = 0;
  }

  private openPage(page: number): Int32Array {
    const table = this.sparePages.pop() ?? new Int32Array(PAGE_SIZE + (PAGE_SIZE >> CHUNK_SHIFT));
    this.pages[page] = table;
    this.livePages.push(page);
    this.mmu.protectCode(page);
    return table;
  }
}

/** The segment a prefix byte selects, or -1 for any other byte. */
function segmentOfPrefix(byte: number): number {
  switch (byte) {
    case 0x26: return ES;
    case 0x2e: return CS;
    case 0x36: return SS;
    case 0x3e: return DS;
    case 0x64: return FS;
    case 0x65: return GS;
    default: return -1;
  }
}

/**
 * Decode the instruction at `physical` into `record`, assuming 32-bit code
 * (CS.D = 1): returns its Op, Op.Generic for whatever the interpreter should
 * run, including any instruction that would run past the end of its page.
 */
function decodeInstruction(cache: DecodedCache, record: number, ram: Uint8Array, physical: number): Op {
  const pageEnd = (physical | (PAGE_SIZE - 1)) + 1;
  const end = Math.min(pageEnd, physical + MAX_INSTRUCTION_LENGTH);
  let p = physical;
  let overrun = false;
  const byte = (): number => {
    if (p >= end) {
      overrun = true;
      return 0;
    }
    return ram[p++];
  };
  const int8 = (): number => (byte() << 24) >> 24;
  const int32 = (): number => byte() | (byte() << 8) | (byte() << 16) | (byte() << 24);

  let segOverride = -1;
  let opcode = byte();
  for (let prefix = segmentOfPrefix(opcode); prefix >= 0; prefix = segmentOfPrefix(opcode)) {
    segOverride = prefix;
    opcode = byte();
  }

  let mod = 0;
  const modrm = (): void => {
    const value = byte();
    mod = value >> 6;
    const rm = value & 7;
    cache.reg[record] = (value >> 3) & 7;
    cache.rm[record] = rm;
    if (mod === 3) return;
    let seg = DS;
    let base = NO_REG;
    let index = NO_REG;
    let scale = 0;
    let disp = 0;
    if (rm === 4) {
      const sib = byte();
      scale = sib >> 6;
      index = (sib >> 3) & 7;
      if (index === 4) index = NO_REG;
      const sibBase = sib & 7;
      if (sibBase === 5 && mod === 0) {
        disp = int32();
      } else {
        base = sibBase;
        if (sibBase === 4 || sibBase === 5) seg = SS;
      }
    } else if (rm === 5 && mod === 0) {
      disp = int32();
    } else {
      base = rm;
      if (rm === 5) seg = SS;
    }
    if (mod === 1) disp += int8();
    else if (mod === 2) disp += int32();
    cache.base[record] = base;
    cache.index[record] = index;
    cache.scale[record] = scale;
    cache.disp[record] = disp | 0;
    cache.seg[record] = segOverride >= 0 ? segOverride : seg;
  };
  const form = (register: Op, memory: Op): Op => (mod === 3 ? register : memory);

  let op: Op = Op.Generic;
  if (opcode < 0x40 && (opcode & 7) < 6) {
    const alu = (opcode >> 3) & 7;
    cache.sub[record] = alu === 7 ? 15 : alu;
    switch (opcode & 7) {
      case 0: modrm(); op = form(Op.Alu8RmR_R, Op.Alu8RmR_M); break;
      case 1: modrm(); op = form(Op.AluRmR_R, Op.AluRmR_M); break;
      case 2: modrm(); op = form(Op.Alu8RRm_R, Op.Alu8RRm_M); break;
      case 3: modrm(); op = form(Op.AluRRm_R, Op.AluRRm_M); break;
      case 4: cache.rm[record] = 0; cache.imm[record] = byte(); op = Op.Alu8RmI_R; break;
      default: cache.rm[record] = 0; cache.imm[record] = int32(); op = Op.AluRmI_R; break;
    }
  } else if (opcode === 0x0f) {
    op = decodeTwoByte(cache, record, byte(), modrm, () => mod, int32);
  } else {
    switch (opcode) {
      case 0x40: case 0x41: case 0x42: case 0x43: case 0x44: case 0x45: case 0x46: case 0x47:
      case 0x48: case 0x49: case 0x4a: case 0x4b: case 0x4c: case 0x4d: case 0x4e: case 0x4f:
        cache.rm[record] = opcode & 7;
        cache.sub[record] = (opcode >> 3) & 1;
        op = Op.IncDec_R;
        break;
      case 0x50: case 0x51: case 0x52: case 0x53: case 0x54: case 0x55: case 0x56: case 0x57:
        cache.rm[record] = opcode & 7;
        op = Op.Push_R;
        break;
      case 0x58: case 0x59: case 0x5a: case 0x5b: case 0x5c: case 0x5d: case 0x5e: case 0x5f:
        cache.rm[record] = opcode & 7;
        op = Op.Pop_R;
        break;
      case 0x68: cache.imm[record] = int32(); op = Op.PushI; break;
      case 0x6a: cache.imm[record] = int8(); op = Op.PushI; break;
      case 0x69: modrm(); cache.imm[record] = int32(); op = form(Op.Imul3_R, Op.Imul3_M); break;
      case 0x6b: modrm(); cache.imm[record] = int8(); op = form(Op.Imul3_R, Op.Imul3_M); break;
      case 0x70: case 0x71: case 0x72: case 0x73: case 0x74: case 0x75: case 0x76: case 0x77:
      case 0x78: case 0x79: case 0x7a: case 0x7b: case 0x7c: case 0x7d: case 0x7e: case 0x7f:
        cache.sub[record] = opcode & 0xf;
        cache.imm[record] = int8();
        op = Op.Jcc;
        break;
      case 0x80:
      case 0x82:
        modrm();
        cache.sub[record] = aluSub(cache.reg[record]);
        cache.imm[record] = byte();
        op = form(Op.Alu8RmI_R, Op.Alu8RmI_M);
        break;
      case 0x81:
      case 0x83:
        modrm();
        cache.sub[record] = aluSub(cache.reg[record]);
        cache.imm[record] = opcode === 0x81 ? int32() : int8();
        op = form(Op.AluRmI_R, Op.AluRmI_M);
        break;
      case 0x84: modrm(); cache.sub[record] = 12; op = form(Op.Alu8RmR_R, Op.Alu8RmR_M); break;
      case 0x85: modrm(); cache.sub[record] = 12; op = form(Op.AluRmR_R, Op.AluRmR_M); break;
      case 0x87:
        modrm();
        if (mod === 3) op = Op.Xchg_R;
        break;
      case 0x88: modrm(); op = form(Op.Mov8RmR_R, Op.Mov8RmR_M); break;
      case 0x89: modrm(); op = form(Op.MovRmR_R, Op.MovRmR_M); break;
      case 0x8a: modrm(); op = form(Op.Mov8RRm_R, Op.Mov8RRm_M); break;
      case 0x8b:
        modrm();
        if (mod === 3) {
          // MOV r32, r32 is MOV r/m32, r32 with the roles swapped.
          const source = cache.rm[record];
          cache.rm[record] = cache.reg[record];
          cache.reg[record] = source;
          op = Op.MovRmR_R;
        } else {
          op = Op.MovRRm_M;
        }
        break;
      case 0x8d:
        modrm();
        if (mod !== 3) op = Op.Lea;
        break;
      case 0x90: op = Op.Nop; break;
      case 0x91: case 0x92: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97:
        cache.reg[record] = 0;
        cache.rm[record] = opcode & 7;
        op = Op.Xchg_R;
        break;
      case 0x98: op = Op.Cwde; break;
      case 0x99: op = Op.Cdq; break;
      case 0xa0:
      case 0xa1:
      case 0xa2:
      case 0xa3: { // MOV AL/EAX <-> moffs32: a memory operand with only a displacement
        cache.reg[record] = 0;
        cache.base[record] = NO_REG;
        cache.index[record] = NO_REG;
        cache.scale[record] = 0;
        cache.disp[record] = int32();
        cache.seg[record] = segOverride >= 0 ? segOverride : DS;
        op = [Op.Mov8RRm_M, Op.MovRRm_M, Op.Mov8RmR_M, Op.MovRmR_M][opcode & 3];
        break;
      }
      case 0xa8: cache.rm[record] = 0; cache.sub[record] = 12; cache.imm[record] = byte(); op = Op.Alu8RmI_R; break;
      case 0xa9: cache.rm[record] = 0; cache.sub[record] = 12; cache.imm[record] = int32(); op = Op.AluRmI_R; break;
      case 0xb0: case 0xb1: case 0xb2: case 0xb3: case 0xb4: case 0xb5: case 0xb6: case 0xb7:
        cache.rm[record] = opcode & 7;
        cache.imm[record] = byte();
        op = Op.Mov8RI;
        break;
      case 0xb8: case 0xb9: case 0xba: case 0xbb: case 0xbc: case 0xbd: case 0xbe: case 0xbf:
        cache.rm[record] = opcode & 7;
        cache.imm[record] = int32();
        op = Op.MovRI;
        break;
      case 0xc0:
      case 0xc1:
      case 0xd0:
      case 0xd1:
      case 0xd2:
      case 0xd3: {
        modrm();
        const kind = cache.reg[record];
        cache.sub[record] = kind;
        cache.imm[record] = opcode < 0xd0 ? byte() & 31 : opcode < 0xd2 ? 1 : -1;
        // Rotates through carry keep to the interpreter; the rest have handlers.
        if (kind !== 2 && kind !== 3) op = opcode & 1 ? form(Op.Shift_R, Op.Shift_M) : form(Op.Shift8_R, Op.Shift8_M);
        break;
      }
      case 0xc2: cache.imm[record] = byte() | (byte() << 8); op = Op.RetI; break;
      case 0xc3: op = Op.Ret; break;
      case 0xc6:
        modrm();
        cache.imm[record] = byte();
        if (cache.reg[record] === 0) op = mod === 3 ? Op.Mov8RI : Op.Mov8RmI_M;
        break;
      case 0xc7:
        modrm();
        cache.imm[record] = int32();
        if (cache.reg[record] === 0) op = mod === 3 ? Op.MovRI : Op.MovRmI_M;
        break;
      case 0xc9: op = Op.Leave; break;
      case 0xcd: cache.imm[record] = byte(); op = Op.Int; break;
      case 0xcf: op = Op.Iret; break;
      case 0xe4: case 0xe5: case 0xe6: case 0xe7: // IN/OUT with an immediate port
        cache.imm[record] = byte();
        cache.sub[record] = opcode & 1 ? 4 : 1;
        op = opcode & 2 ? Op.Out : Op.In;
        break;
      case 0xec: case 0xed: case 0xee: case 0xef: // IN/OUT with the port in DX
        cache.imm[record] = -1;
        cache.sub[record] = opcode & 1 ? 4 : 1;
        op = opcode & 2 ? Op.Out : Op.In;
        break;
      case 0xe8: cache.imm[record] = int32(); op = Op.CallRel; break;
      case 0xe9: cache.imm[record] = int32(); op = Op.Jmp; break;
      case 0xeb: cache.imm[record] = int8(); op = Op.Jmp; break;
      case 0xf6:
        modrm();
        if (cache.reg[record] < 2) {
          cache.sub[record] = 12;
          cache.imm[record] = byte();
          op = form(Op.Alu8RmI_R, Op.Alu8RmI_M);
        }
        break;
      case 0xf7: {
        modrm();
        const kind = cache.reg[record];
        if (kind < 2) {
          cache.sub[record] = 12;
          cache.imm[record] = int32();
          op = form(Op.AluRmI_R, Op.AluRmI_M);
        } else if ((kind === 2 || kind === 3) && mod === 3) {
          cache.sub[record] = kind;
          op = Op.NotNeg_R;
        }
        break;
      }
      case 0xfe:
        modrm();
        cache.sub[record] = cache.reg[record];
        if (cache.reg[record] < 2) op = form(Op.IncDec8_R, Op.IncDec8_M);
        break;
      case 0xff:
        modrm();
        switch (cache.reg[record]) {
          case 0:
          case 1: cache.sub[record] = cache.reg[record]; op = form(Op.IncDec_R, Op.IncDec_M); break;
          case 2: op = form(Op.CallRm_R, Op.CallRm_M); break;
          case 4: op = form(Op.JmpRm_R, Op.JmpRm_M); break;
          case 6: op = form(Op.Push_R, Op.Push_M); break;
        }
        break;
    }
  }
  if (overrun) op = Op.Generic;
  else op = specialize(cache, record, op);
  // An interpreted instruction is fetched afresh each time; its span only matters to
  // written(), which may as well drop it for any write nearby.
  cache.length[record] = p - physical;
  cache.span[record] = op === Op.Generic ? MAX_INSTRUCTION_LENGTH : p - physical;
  const fused = fusedOp(op);
  if (fused !== op && fuseJcc(cache, record, ram, p, pageEnd)) return fused;
  return op;
}

/** The common forms get handlers of their own, so their operation needs no second dispatch. */
function specialize(cache: DecodedCache, record: number, op: Op): Op {
  if (op === Op.AluRRm_R) {
    // r32 op= r/m32 register form is the r/m form with the roles swapped.
    const destination = cache.reg[record];
    cache.reg[record] = cache.rm[record];
    cache.rm[record] = destination;
    op = Op.AluRmR_R;
  }
  if (op === Op.AluRmR_R) {
    switch (cache.sub[record]) {
      case 0: return Op.AddRR;
      case 1: return Op.OrRR;
      case 4: return Op.AndRR;
      case 5: return Op.SubRR;
      case 6: return Op.XorRR;
      case 12: return Op.TestRR;
      case 15: return Op.CmpRR;
    }
  } else if (op === Op.IncDec_R) {
    return cache.sub[record] === 0 ? Op.Inc_R : Op.Dec_R;
  } else if (op === Op.Shift_R) {
    switch (cache.sub[record]) {
      case 0: return Op.Rol_R;
      case 1: return Op.Ror_R;
      case 4:
      case 6: return Op.Shl_R;
      case 5: return Op.Shr_R;
      case 7: return Op.Sar_R;
    }
  } else if (op === Op.Movx_R || op === Op.Movx_M) {
    if (cache.sub[record] === 0) return op === Op.Movx_R ? Op.Movzx8_R : Op.Movzx8_M;
  } else if (op === Op.AluRmI_R) {
    switch (cache.sub[record]) {
      case 0: return Op.AddRI;
      case 1: return Op.OrRI;
      case 4: return Op.AndRI;
      case 5: return Op.SubRI;
      case 6: return Op.XorRI;
      case 12: return Op.TestRI;
      case 15: return Op.CmpRI;
    }
  }
  return op;
}

/** The op that also runs a following Jcc, for the register compares and counts that loops end with. */
function fusedOp(op: Op): Op {
  switch (op) {
    case Op.CmpRR: return Op.CmpRR_Jcc;
    case Op.CmpRI: return Op.CmpRI_Jcc;
    case Op.TestRR: return Op.TestRR_Jcc;
    case Op.TestRI: return Op.TestRI_Jcc;
    case Op.AndRI: return Op.AndRI_Jcc;
    case Op.AddRI: return Op.AddRI_Jcc;
    case Op.SubRI: return Op.SubRI_Jcc;
    case Op.Inc_R: return Op.Inc_R_Jcc;
    case Op.Dec_R: return Op.Dec_R_Jcc;
    default: return op;
  }
}

/** Fuse the Jcc at `p`, if there is one wholly before `pageEnd`, into `record`. */
function fuseJcc(cache: DecodedCache, record: number, ram: Uint8Array, p: number, pageEnd: number): boolean {
  const opcode = ram[p];
  let length: number;
  let condition: number;
  let displacement: number;
  if (opcode >= 0x70 && opcode <= 0x7f && p + 2 <= pageEnd) {
    length = 2;
    condition = opcode & 0xf;
    displacement = (ram[p + 1] << 24) >> 24;
  } else if (opcode === 0x0f && p + 6 <= pageEnd && ram[p + 1] >= 0x80 && ram[p + 1] <= 0x8f) {
    length = 6;
    condition = ram[p + 1] & 0xf;
    displacement = ram[p + 2] | (ram[p + 3] << 8) | (ram[p + 4] << 16) | (ram[p + 5] << 24);
  } else {
    return false;
  }
  cache.jccCondition[record] = condition;
  cache.jccLength[record] = length;
  cache.jccDisp[record] = displacement;
  cache.span[record] += length;
  return true;
}

/** Group 1's reg field as a `sub`: CMP (7) only sets flags. */
function aluSub(reg: number): number {
  return reg === 7 ? 15 : reg;
}

function decodeTwoByte(cache: DecodedCache, record: number, opcode: number, modrm: () => void, mod: () => number, int32: () => number): Op {
  const form = (register: Op, memory: Op): Op => (mod() === 3 ? register : memory);
  if (opcode >= 0x80 && opcode <= 0x8f) {
    cache.sub[record] = opcode & 0xf;
    cache.imm[record] = int32();
    return Op.Jcc;
  }
  if (opcode >= 0x40 && opcode <= 0x4f) {
    modrm();
    cache.sub[record] = opcode & 0xf;
    return form(Op.Cmov_R, Op.Cmov_M);
  }
  if (opcode >= 0x90 && opcode <= 0x9f) {
    modrm();
    cache.sub[record] = opcode & 0xf;
    return form(Op.Setcc_R, Op.Setcc_M);
  }
  switch (opcode) {
    case 0x1f: modrm(); return Op.Nop; // NOP r/m (gcc's multi-byte padding)
    case 0xaf: modrm(); return form(Op.Imul_R, Op.Imul_M);
    case 0xb6: modrm(); cache.sub[record] = 0; return form(Op.Movx_R, Op.Movx_M);
    case 0xb7: modrm(); cache.sub[record] = 1; return form(Op.Movx_R, Op.Movx_M);
    case 0xbe: modrm(); cache.sub[record] = 2; return form(Op.Movx_R, Op.Movx_M);
    case 0xbf: modrm(); cache.sub[record] = 3; return form(Op.Movx_R, Op.Movx_M);
    default: return Op.Generic;
  }
}

// The run loop over decoded instructions: find the record of the instruction
// at CS:EIP in the decoded-instruction cache (icache.ts) and run its handler.
//
// This is the processor's fast tier. It runs only 32-bit code in a flat
// code segment (CS.D = 1, limit 4 GiB: Cpu.flatCode), without single-step
// or an interrupt shadow pending (Cpu.run checks); anything else, and every
// Op.Generic record, goes through Cpu.step and the interpreter in
// execute.ts, which stays the reference for every instruction. A handler
// follows the interpreter's rules: it checks everything that can fault
// before it changes a register, EIP already points past the instruction
// (a fault rolls back to startEip and startEsp), and an instruction that may
// make an interrupt deliverable sets checkInterrupts, which ends the loop.
//
// The switch below is the one place records are interpreted; blocks.ts
// translates the same records into JavaScript once they are hot (Op.Block
// runs such a block), calling the helpers at the end of this file.

import { alu, dec, imulTruncated, inc, neg, shift, shiftLogical } from './alu.ts';
import { FLAG_CF, OP_ADD, OP_DEC, OP_INC, OP_LOGIC, OP_NONE, OP_SHIFT, OP_SUB, type Flags } from './flags.ts';
import { ATTR_DB, CR0_PE, CS, EAX, EBP, EDX, ESP, SS, type Cpu } from './cpu.ts';
import { fastDeliver, fastInterruptReturn } from './gates.ts';
import { portIn, portOut } from './execute.ts';
import { interruptReturn } from './system.ts';
import { codeEntryBase } from '../mmu/mmu.ts';
import { BLOCK_FAR, Compiled, compileBlock } from './blocks.ts';

/** Handlers of decoded records. `_R`/`_M`: the r/m operand is a register or memory. */
export const enum Op {
  Generic = 0,
  Nop,
  /** ALU op `sub` (0-7; +8: flags only, no write back) on r/m32 and r32, result to r/m. */
  AluRmR_R, AluRmR_M,
  /** ... on r32 and r/m32, result to r32 (the register form is decoded as AluRmR_R). */
  AluRRm_R, AluRRm_M,
  /** ... on r/m32 and an immediate (already sign-extended). */
  AluRmI_R, AluRmI_M,
  /** The 8-bit forms; registers numbered as ModRM numbers byte registers. */
  Alu8RmR_R, Alu8RmR_M, Alu8RRm_R, Alu8RRm_M, Alu8RmI_R, Alu8RmI_M,
  MovRmR_R, MovRmR_M, MovRRm_M, MovRmI_M, MovRI,
  Mov8RmR_R, Mov8RmR_M, Mov8RRm_R, Mov8RRm_M, Mov8RmI_M, Mov8RI,
  Lea,
  /** INC (sub 0) / DEC (sub 1); the 32-bit register form is decoded as Inc_R or Dec_R. */
  IncDec_R, IncDec_M, IncDec8_R, IncDec8_M,
  Push_R, Push_M, PushI, Pop_R,
  /** Jcc: condition `sub`, displacement `imm`. */
  Jcc, Jmp, CallRel, Ret, RetI,
  CallRm_R, CallRm_M, JmpRm_R, JmpRm_M,
  /** Group-2 shift `sub` (not RCL/RCR) by `imm`, or by CL when `imm` is -1; Shift_R is always specialised (Shl_R...). */
  Shift_R, Shift_M, Shift8_R, Shift8_M,
  /** MOVZX/MOVSX: sub 0 zx8, 1 zx16, 2 sx8, 3 sx16. */
  Movx_R, Movx_M,
  Setcc_R, Setcc_M, Cmov_R, Cmov_M,
  /** IMUL r32, r/m32 and IMUL r32, r/m32, imm. */
  Imul_R, Imul_M, Imul3_R, Imul3_M,
  Xchg_R,
  /** NOT (sub 2) / NEG (sub 3) of r32. */
  NotNeg_R,
  Cdq, Cwde, Leave,
  /** AluRmR_R and AluRmI_R for one operation each: r/m32 (a register) op= r32 or imm32. */
  AddRR, OrRR, AndRR, SubRR, XorRR, TestRR, CmpRR,
  AddRI, OrRI, AndRI, SubRI, XorRI, TestRI, CmpRI,
  /** Shift_R for SHL, SHR, SAR, ROL and ROR: by `imm` (1-31), or by CL when `imm` is -1. */
  Shl_R, Shr_R, Sar_R, Rol_R, Ror_R,
  /** Movx for MOVZX from a byte (the commonest of the four). */
  Movzx8_R, Movzx8_M,
  /** IncDec_R for INC and DEC. */
  Inc_R, Dec_R,
  /**
   * The same with the Jcc that follows fused into the record (condition
   * jccCondition, length jccLength, displacement jccDisp): a loop's compare
   * and branch cost one dispatch. The Jcc retires as an instruction of its own.
   */
  CmpRR_Jcc, CmpRI_Jcc, TestRR_Jcc, TestRI_Jcc, AndRI_Jcc, AddRI_Jcc, SubRI_Jcc, Inc_R_Jcc, Dec_R_Jcc,
  /** INT imm8 (vector `imm`) and IRETD: through Cpu.deliver and interruptReturn, which try gates.ts first. */
  Int, Iret,
  /** IN AL/EAX and OUT of AL/EAX (size `sub`, 1 or 4), port `imm`, or DX when `imm` is -1. */
  In, Out,
  /** The leader of a compiled block (blocks.ts): DecodedCache.blocks holds its function, blockOp its own op. */
  Block,
}

/** reg8 index of a ModRM byte-register number: AL CL DL BL AH CH DH BH. */
const BYTE_REG = new Uint8Array([0, 4, 8, 12, 1, 5, 9, 13]);
const FLAGS_ONLY = 8;
/** The table before any code page is looked up (tablePage -1 never matches). */
const NO_TABLE = new Int32Array(0);

/**
 * Run decoded instructions until `end` instructions have retired or
 * checkInterrupts is set. Faults propagate to Cpu.run as exceptions.
 */
export function runDecoded(cpu: Cpu, end: number): void {
  const cache = cpu.icache;
  const ops = cache.op;
  const lengths = cache.length;
  const regs = cache.reg;
  const rms = cache.rm;
  const bases = cache.base;
  const indexes = cache.index;
  const scales = cache.scale;
  const segs = cache.seg;
  const subs = cache.sub;
  const disps = cache.disp;
  const imms = cache.imm;
  const jccConditions = cache.jccCondition;
  const jccLengths = cache.jccLength;
  const jccDisps = cache.jccDisp;
  const r = cpu.reg32;
  const r8 = cpu.reg8;
  const ram = cpu.ram;
  const flags = cpu.flags;
  const segBase = cpu.segBase;

  let eip = cpu.eip;
  let budget = end - cpu.instructionCount;
  // The code page being run: its linear page number, physical base and record table. They stay
  // valid until the interpreter runs (it may change CS, CPL or the TLB) or the cache is flushed
  // (only ever by decode()); a write to the page only zeroes entries in the table.
  let tablePage = -1;
  let codeBase = 0;
  let table: Int32Array = NO_TABLE;
  /** The instruction in flight runs in a handler here, not in the interpreter (see the catch). */
  let inHandler = false;
  /** A block (blocks.ts) is in flight: it set the rollback point and Cpu.blockRetired. */
  let inBlock = false;
  let startEip = eip;
  const heat = cache.heat;
  const hot = cache.blockHot;
  try {
    while (budget > 0) {
      const linear = (segBase[CS] + eip) | 0;
      const page = linear >>> 12;
      let i = -1;
      if (page === tablePage) {
        i = table[linear & 0xfff];
      } else if (cpu.flatCode && cpu.tlbRead[page] >= 0) {
        codeBase = cpu.tlbRead[page];
        table = cache.tableFor(codeBase >>> 12);
        tablePage = page;
        i = table[linear & 0xfff];
      }
      if (i === 0) {
        i = cache.decode(codeBase | (linear & 0xfff));
        tablePage = -1; // decoding may have flushed the whole cache
      }
      if (i < 0) {
        // Not 32-bit flat code, or a fetch the TLB cannot answer yet (the interpreter's fetch
        // fills it or faults): one step of the interpreter.
        inHandler = false;
        cpu.eip = eip;
        cpu.instructionCount = end - budget;
        cpu.step();
        eip = cpu.eip;
        tablePage = -1;
        budget--;
        if (cpu.checkInterrupts) break;
        continue;
      }
      if (++heat[i] === hot && compileBlock(cache, i, codeBase | (linear & 0xfff)) === Compiled.Flushed) {
        tablePage = -1; // the record is gone with the rest of the cache: look again
        continue;
      }
      inHandler = true;
      startEip = eip;
      const next = (eip + lengths[i]) | 0;
      eip = next;
      switch (ops[i]) {
        case Op.Generic:
          // No handler: one step of the interpreter, which fetches the instruction afresh.
          inHandler = false;
          cpu.eip = startEip;
          cpu.instructionCount = end - budget;
          cpu.step();
          eip = cpu.eip;
          tablePage = -1;
          break;
        case Op.Nop:
          break;
        case Op.Block:
          inHandler = false;
          if (budget < (cache.blockLength[i] & ~BLOCK_FAR) || cpu.checkInterrupts) {
            // The budget ends inside the block, or this loop was entered with checkInterrupts set
            // (an interrupt was just delivered and another may be waiting), so it must stop after
            // one instruction: the block's first instruction through the interpreter.
            cpu.eip = startEip;
            cpu.instructionCount = end - budget;
            cpu.step();
            eip = cpu.eip;
            tablePage = -1;
            break;
          }
          inBlock = true;
          eip = cache.blocks[i]!(cpu, startEip, budget);
          inBlock = false;
          budget -= cpu.blockRetired - 1;
          if (cache.blockLength[i] & BLOCK_FAR) tablePage = -1; // it may have left through INT or IRET: another CPL, another CS
          break;
        case Op.Int:
        case Op.Iret:
          // The common protected-mode cases go straight to gates.ts, which never faults and
          // needs no rollback point. CS, CPL and so the code page's permissions change: the
          // page is looked up afresh.
          cpu.eip = eip;
          if (!(cpu.fastGates && cpu.cr0 & CR0_PE && cpu.interruptHook === undefined &&
            (ops[i] === Op.Int ? fastDeliver(cpu, imms[i], -1, true) : fastInterruptReturn(cpu)))) {
            // The general path may switch tasks (task.ts), which saves cpu.eip as where the old
            // task resumes and moves the rollback point into the new task: so the rollback point
            // is set here, as the interpreter sets it, and the catch below leaves it alone.
            inHandler = false;
            cpu.startEip = startEip;
            cpu.startEsp = r[ESP];
            cpu.instructionCount = end - budget;
            if (ops[i] === Op.Int) {
              cpu.deliver(imms[i], -1, false, true);
            } else {
              cpu.o32 = true;
              interruptReturn(cpu);
            }
          }
          eip = cpu.eip;
          tablePage = -1;
          break;

        case Op.In:
        case Op.Out: {
          // Through the port bus and its permission check, as the interpreter runs them.
          const port = imms[i] < 0 ? cpu.reg16[EDX * 2] : imms[i];
          if (ops[i] === Op.In) portIn(cpu, port, subs[i]);
          else portOut(cpu, port, subs[i]);
          tablePage = -1; // a device may have changed the memory map (the A20 gate)
          break;
        }

        // ---- ALU ----
        case Op.AluRmR_M: {
          const sub = subs[i];
          const offset = (r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i]) | 0;
          if (sub & FLAGS_ONLY) {
            alu(cpu, sub & 7, load32(cpu, segs[i], offset), r[regs[i]], 4);
            break;
          }
          const address = updateAddress(cpu, segs[i], offset, 4);
          if (address >= 0) {
            const value = ramRead32(cpu, address);
            const result = alu(cpu, sub, value, r[regs[i]], 4);
            ramWrite32(cpu, address, result);
          } else {
            store32(cpu, segs[i], offset, alu(cpu, sub, load32(cpu, segs[i], offset), r[regs[i]], 4));
          }
          break;
        }
        case Op.AluRRm_M: {
          const sub = subs[i];
          const offset = (r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i]) | 0;
          const result = alu(cpu, sub & 7, r[regs[i]], load32(cpu, segs[i], offset), 4);
          if (!(sub & FLAGS_ONLY)) r[regs[i]] = result;
          break;
        }
        case Op.AluRmI_R: {
          const sub = subs[i];
          const result = alu(cpu, sub & 7, r[rms[i]], imms[i], 4);
          if (!(sub & FLAGS_ONLY)) r[rms[i]] = result;
          break;
        }
        case Op.AluRmI_M: {
          const sub = subs[i];
          const offset = (r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i]) | 0;
          if (sub & FLAGS_ONLY) {
            alu(cpu, sub & 7, load32(cpu, segs[i], offset), imms[i], 4);
            break;
          }
          const address = updateAddress(cpu, segs[i], offset, 4);
          if (address >= 0) {
            const value = ramRead32(cpu, address);
            const result = alu(cpu, sub, value, imms[i], 4);
            ramWrite32(cpu, address, result);
          } else {
            store32(cpu, segs[i], offset, alu(cpu, sub, load32(cpu, segs[i], offset), imms[i], 4));
          }
          break;
        }
        case Op.Alu8RmR_R: {
          const sub = subs[i];
          const destination = BYTE_REG[rms[i]];
          const result = alu(cpu, sub & 7, r8[destination], r8[BYTE_REG[regs[i]]], 1);
          if (!(sub & FLAGS_ONLY)) r8[destination] = result;
          break;
        }
        case Op.Alu8RmR_M: {
          const sub = subs[i];
          const offset = (r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i]) | 0;
          if (sub & FLAGS_ONLY) {
            alu(cpu, sub & 7, load8(cpu, segs[i], offset), r8[BYTE_REG[regs[i]]], 1);
            break;
          }
          const address = updateAddress(cpu, segs[i], offset, 1);
          if (address >= 0) ram[address] = alu(cpu, sub, ram[address], r8[BYTE_REG[regs[i]]], 1);
          else store8(cpu, segs[i], offset, alu(cpu, sub, load8(cpu, segs[i], offset), r8[BYTE_REG[regs[i]]], 1));
          break;
        }
        case Op.Alu8RmI_R: {
          const sub = subs[i];
          const destination = BYTE_REG[rms[i]];
          const result = alu(cpu, sub & 7, r8[destination], imms[i], 1);
          if (!(sub & FLAGS_ONLY)) r8[destination] = result;
          break;
        }
        // The common register forms, with the flags recorded in place.
        case Op.AddRR: {
          const n = rms[i];
          const a = r[n];
          const b = r[regs[i]];
          const result = (a + b) | 0;
          record32(flags, OP_ADD, a, b, result);
          r[n] = result;
          break;
        }
        case Op.AddRI: {
          const n = rms[i];
          const a = r[n];
          const b = imms[i];
          const result = (a + b) | 0;
          record32(flags, OP_ADD, a, b, result);
          r[n] = result;
          break;
        }
        case Op.OrRR: {
          const n = rms[i];
          const a = r[n];
          const b = r[regs[i]];
          const result = (a | b) | 0;
          record32(flags, OP_LOGIC, a, b, result);
          r[n] = result;
          break;
        }
        case Op.OrRI: {
          const n = rms[i];
          const a = r[n];
          const b = imms[i];
          const result = (a | b) | 0;
          record32(flags, OP_LOGIC, a, b, result);
          r[n] = result;
          break;
        }
        case Op.AndRR: {
          const n = rms[i];
          const a = r[n];
          const b = r[regs[i]];
          const result = (a & b) | 0;
          record32(flags, OP_LOGIC, a, b, result);
          r[n] = result;
          break;
        }
        case Op.AndRI: {
          const n = rms[i];
          const a = r[n];
          const b = imms[i];
          const result = (a & b) | 0;
          record32(flags, OP_LOGIC, a, b, result);
          r[n] = result;
          break;
        }
        case Op.SubRR: {
          const n = rms[i];
          const a = r[n];
          const b = r[regs[i]];
          const result = (a - b) | 0;
          record32(flags, OP_SUB, a, b, result);
          r[n] = result;
          break;
        }
        case Op.SubRI: {
          const n = rms[i];
          const a = r[n];
          const b = imms[i];
          const result = (a - b) | 0;
          record32(flags, OP_SUB, a, b, result);
          r[n] = result;
          break;
        }
        case Op.XorRR: {
          const n = rms[i];
          const a = r[n];
          const b = r[regs[i]];
          const result = (a ^ b) | 0;
          record32(flags, OP_LOGIC, a, b, result);
          r[n] = result;
          break;
        }
        case Op.XorRI: {
          const n = rms[i];
          const a = r[n];
          const b = imms[i];
          const result = (a ^ b) | 0;
          record32(flags, OP_LOGIC, a, b, result);
          r[n] = result;
          break;
        }
        case Op.TestRR: {
          const n = rms[i];
          const a = r[n];
          const b = r[regs[i]];
          const result = (a & b) | 0;
          record32(flags, OP_LOGIC, a, b, result);
          break;
        }
        case Op.TestRI: {
          const n = rms[i];
          const a = r[n];
          const b = imms[i];
          const result = (a & b) | 0;
          record32(flags, OP_LOGIC, a, b, result);
          break;
        }
        case Op.CmpRR: {
          const n = rms[i];
          const a = r[n];
          const b = r[regs[i]];
          const result = (a - b) | 0;
          record32(flags, OP_SUB, a, b, result);
          break;
        }
        case Op.CmpRI: {
          const n = rms[i];
          const a = r[n];
          const b = imms[i];
          const result = (a - b) | 0;
          record32(flags, OP_SUB, a, b, result);
          break;
        }

        // Compares and counts with the Jcc after them: a register op never sets checkInterrupts,
        // so the Jcc runs unless the budget ends between the two.
        case Op.CmpRR_Jcc: {
          const n = rms[i];
          const a = r[n];
          const b = r[regs[i]];
          const result = (a - b) | 0;
          record32(flags, OP_SUB, a, b, result);
          if (budget > 1) {
            budget--;
            const after = (next + jccLengths[i]) | 0;
            eip = flags.condition(jccConditions[i]) ? (after + jccDisps[i]) | 0 : after;
          }
          break;
        }
        case Op.CmpRI_Jcc: {
          const n = rms[i];
          const a = r[n];
          const b = imms[i];
          const result = (a - b) | 0;
          record32(flags, OP_SUB, a, b, result);
          if (budget > 1) {
            budget--;
            const after = (next + jccLengths[i]) | 0;
            eip = flags.condition(jccConditions[i]) ? (after + jccDisps[i]) | 0 : after;
          }
          break;
        }
        case Op.TestRR_Jcc: {
          const n = rms[i];
          const a = r[n];
          const b = r[regs[i]];
          const result = (a & b) | 0;
          record32(flags, OP_LOGIC, a, b, result);
          if (budget > 1) {
            budget--;
            const after = (next + jccLengths[i]) | 0;
            eip = flags.condition(jccConditions[i]) ? (after + jccDisps[i]) | 0 : after;
          }
          break;
        }
        case Op.TestRI_Jcc: {
          const n = rms[i];
          const a = r[n];
          const b = imms[i];
          const result = (a & b) | 0;
          record32(flags, OP_LOGIC, a, b, result);
          if (budget > 1) {
            budget--;
            const after = (next + jccLengths[i]) | 0;
            eip = flags.condition(jccConditions[i]) ? (after + jccDisps[i]) | 0 : after;
          }
          break;
        }
        case Op.AndRI_Jcc: {
          const n = rms[i];
          const a = r[n];
          const b = imms[i];
          const result = (a & b) | 0;
          record32(flags, OP_LOGIC, a, b, result);
          r[n] = result;
          if (budget > 1) {
            budget--;
            const after = (next + jccLengths[i]) | 0;
            eip = flags.condition(jccConditions[i]) ? (after + jccDisps[i]) | 0 : after;
          }
          break;
        }
        case Op.AddRI_Jcc: {
          const n = rms[i];
          const a = r[n];
          const b = imms[i];
          const result = (a + b) | 0;
          record32(flags, OP_ADD, a, b, result);
          r[n] = result;
          if (budget > 1) {
            budget--;
            const after = (next + jccLengths[i]) | 0;
            eip = flags.condition(jccConditions[i]) ? (after + jccDisps[i]) | 0 : after;
          }
          break;
        }
        case Op.SubRI_Jcc: {
          const n = rms[i];
          const a = r[n];
          const b = imms[i];
          const result = (a - b) | 0;
          record32(flags, OP_SUB, a, b, result);
          r[n] = result;
          if (budget > 1) {
            budget--;
            const after = (next + jccLengths[i]) | 0;
            eip = flags.condition(jccConditions[i]) ? (after + jccDisps[i]) | 0 : after;
          }
          break;
        }
        case Op.Inc_R_Jcc: {
          const n = rms[i];
          const a = r[n];
          const result = (a + 1) | 0;
          recordIncDec(flags, OP_INC, a, result);
          r[n] = result;
          if (budget > 1) {
            budget--;
            const after = (next + jccLengths[i]) | 0;
            eip = flags.condition(jccConditions[i]) ? (after + jccDisps[i]) | 0 : after;
          }
          break;
        }
        case Op.Dec_R_Jcc: {
          const n = rms[i];
          const a = r[n];
          const result = (a - 1) | 0;
          recordIncDec(flags, OP_DEC, a, result);
          r[n] = result;
          if (budget > 1) {
            budget--;
            const after = (next + jccLengths[i]) | 0;
            eip = flags.condition(jccConditions[i]) ? (after + jccDisps[i]) | 0 : after;
          }
          break;
        }

        // ---- MOV, LEA ----
        case Op.MovRmR_R:
          r[rms[i]] = r[regs[i]];
          break;
        case Op.MovRmR_M:
          store32(cpu, segs[i], (r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i]) | 0, r[regs[i]]);
          break;
        case Op.MovRRm_M:
          r[regs[i]] = load32(cpu, segs[i], (r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i]) | 0);
          break;
        case Op.MovRmI_M:
          store32(cpu, segs[i], (r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i]) | 0, imms[i]);
          break;
        case Op.MovRI:
          r[rms[i]] = imms[i];
          break;
        case Op.Mov8RmR_R:
          r8[BYTE_REG[rms[i]]] = r8[BYTE_REG[regs[i]]];
          break;
        case Op.Mov8RmR_M:
          store8(cpu, segs[i], (r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i]) | 0, r8[BYTE_REG[regs[i]]]);
          break;
        case Op.Mov8RRm_M:
          r8[BYTE_REG[regs[i]]] = load8(cpu, segs[i], (r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i]) | 0);
          break;
        case Op.Mov8RI:
          r8[BYTE_REG[rms[i]]] = imms[i];
          break;
        case Op.Lea:
          r[regs[i]] = r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i];
          break;

        // ---- INC, DEC, NOT, NEG ----
        case Op.Inc_R: {
          const n = rms[i];
          const a = r[n];
          const result = (a + 1) | 0;
          recordIncDec(flags, OP_INC, a, result);
          r[n] = result;
          break;
        }
        case Op.Dec_R: {
          const n = rms[i];
          const a = r[n];
          const result = (a - 1) | 0;
          recordIncDec(flags, OP_DEC, a, result);
          r[n] = result;
          break;
        }
        // ---- Stack ----
        case Op.Push_R:
          push32(cpu, r[rms[i]]);
          break;
        case Op.PushI:
          push32(cpu, imms[i]);
          break;
        case Op.Pop_R: {
          const value = pop32(cpu);
          r[rms[i]] = value;
          break;
        }
        // ---- Control transfers: CS is flat, so no target can pass its limit ----
        case Op.Jcc:
          if (flags.condition(subs[i])) eip = (next + imms[i]) | 0;
          break;
        case Op.Jmp:
          eip = (next + imms[i]) | 0;
          break;
        case Op.CallRel:
          push32(cpu, next);
          eip = (next + imms[i]) | 0;
          break;
        case Op.Ret:
          eip = pop32(cpu);
          break;
        case Op.CallRm_R: {
          const target = r[rms[i]];
          push32(cpu, next);
          eip = target;
          break;
        }
        // ---- Shifts ----
        case Op.Shl_R: {
          // As shiftLogical for a 32-bit operand: CF is the last bit out, OF = CF xor the new sign.
          const count = imms[i] < 0 ? r8[4] & 31 : imms[i];
          if (count === 0) break;
          const n = rms[i];
          const a = r[n];
          const result = a << count;
          const cf = (a >>> (32 - count)) & 1;
          flags.record(OP_SHIFT, 4, cf | (((result >>> 31) ^ cf) << 1), 0, result);
          r[n] = result;
          break;
        }
        case Op.Shr_R: {
          // OF = the sign before the last step xor the new sign (exact for a count of 1, QEMU's for more).
          const count = imms[i] < 0 ? r8[4] & 31 : imms[i];
          if (count === 0) break;
          const n = rms[i];
          const a = r[n];
          const lastStep = a >>> (count - 1);
          const result = a >>> count;
          flags.record(OP_SHIFT, 4, (lastStep & 1) | (((lastStep >>> 31) ^ (result >>> 31)) << 1), 0, result);
          r[n] = result;
          break;
        }
        case Op.Sar_R: {
          const count = imms[i] < 0 ? r8[4] & 31 : imms[i];
          if (count === 0) break;
          const n = rms[i];
          const a = r[n];
          const result = a >> count;
          flags.record(OP_SHIFT, 4, (a >> (count - 1)) & 1, 0, result);
          r[n] = result;
          break;
        }
        case Op.Rol_R: {
          // As shift() for a 32-bit operand: CF is the bit rotated into bit 0, OF = CF xor the new sign.
          const count = imms[i] < 0 ? r8[4] & 31 : imms[i];
          if (count === 0) break;
          const n = rms[i];
          const a = r[n];
          const result = (a << count) | (a >>> (32 - count));
          const cf = result & 1;
          flags.setCarryOverflow(cf, (result >>> 31) ^ cf);
          r[n] = result;
          break;
        }
        case Op.Ror_R: {
          // CF is the bit rotated into bit 31, OF = CF xor bit 30.
          const count = imms[i] < 0 ? r8[4] & 31 : imms[i];
          if (count === 0) break;
          const n = rms[i];
          const a = r[n];
          const result = (a >>> count) | (a << (32 - count));
          const cf = result >>> 31;
          flags.setCarryOverflow(cf, cf ^ ((result >>> 30) & 1));
          r[n] = result;
          break;
        }
        // ---- MOVZX, MOVSX, SETcc, CMOVcc, IMUL, XCHG, CDQ, CWDE ----
        case Op.Movzx8_R:
          r[regs[i]] = r8[BYTE_REG[rms[i]]];
          break;
        case Op.Movzx8_M:
          r[regs[i]] = load8(cpu, segs[i], (r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i]) | 0);
          break;
        case Op.Setcc_R:
          r8[BYTE_REG[rms[i]]] = flags.condition(subs[i]) ? 1 : 0;
          break;
        case Op.Cmov_R:
          if (flags.condition(subs[i])) r[regs[i]] = r[rms[i]];
          break;
        case Op.Imul_R:
          r[regs[i]] = imulTruncated(cpu, r[regs[i]], r[rms[i]], 4);
          break;
        default:
          // The rarer forms, in a function of their own (see runColdOp).
          eip = runColdOp(cpu, ops[i], i, next);
          break;
      }
      budget--;
      if (cpu.checkInterrupts) break;
    }
  } catch (error) {
    // A handler faults before it changes ESP (stores come before the ESP update), so the
    // rollback point is this instruction's start and the current ESP; the interpreter set its own.
    if (inBlock) {
      budget -= cpu.blockRetired;
      eip = cpu.startEip;
    } else if (inHandler) {
      cpu.startEip = startEip;
      cpu.startEsp = r[ESP];
    }
    throw error;
  } finally {
    cpu.eip = eip;
    cpu.instructionCount = end - budget;
  }
}

/**
 * The rarer handlers, apart from runDecoded so that the first use of one
 * (and the recompilation it may cause) disturbs only this function, not the
 * optimised main loop. Returns the new EIP; `next` is the one after the
 * instruction.
 */
function runColdOp(cpu: Cpu, op: Op, i: number, next: number): number {
  const cache = cpu.icache;
  const regs = cache.reg;
  const rms = cache.rm;
  const bases = cache.base;
  const indexes = cache.index;
  const scales = cache.scale;
  const segs = cache.seg;
  const subs = cache.sub;
  const disps = cache.disp;
  const imms = cache.imm;
  const r = cpu.reg32;
  const r16 = cpu.reg16;
  const r8 = cpu.reg8;
  const ram = cpu.ram;
  const flags = cpu.flags;
  let eip = next;
  switch (op) {
    case Op.AluRmR_R: {
      const sub = subs[i];
      const result = alu(cpu, sub & 7, r[rms[i]], r[regs[i]], 4);
      if (!(sub & FLAGS_ONLY)) r[rms[i]] = result;
      break;
    }
    case Op.Alu8RRm_R: {
      const sub = subs[i];
      const destination = BYTE_REG[regs[i]];
      const result = alu(cpu, sub & 7, r8[destination], r8[BYTE_REG[rms[i]]], 1);
      if (!(sub & FLAGS_ONLY)) r8[destination] = result;
      break;
    }
    case Op.Alu8RRm_M: {
      const sub = subs[i];
      const offset = (r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i]) | 0;
      const destination = BYTE_REG[regs[i]];
      const result = alu(cpu, sub & 7, r8[destination], load8(cpu, segs[i], offset), 1);
      if (!(sub & FLAGS_ONLY)) r8[destination] = result;
      break;
    }
    case Op.Alu8RmI_M: {
      const sub = subs[i];
      const offset = (r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i]) | 0;
      if (sub & FLAGS_ONLY) {
        alu(cpu, sub & 7, load8(cpu, segs[i], offset), imms[i], 1);
        break;
      }
      const address = updateAddress(cpu, segs[i], offset, 1);
      if (address >= 0) ram[address] = alu(cpu, sub, ram[address], imms[i], 1);
      else store8(cpu, segs[i], offset, alu(cpu, sub, load8(cpu, segs[i], offset), imms[i], 1));
      break;
    }
    case Op.Mov8RRm_R:
      r8[BYTE_REG[regs[i]]] = r8[BYTE_REG[rms[i]]];
      break;
    case Op.Mov8RmI_M:
      store8(cpu, segs[i], (r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i]) | 0, imms[i]);
      break;
    case Op.IncDec_M: {
      const offset = (r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i]) | 0;
      const address = updateAddress(cpu, segs[i], offset, 4);
      if (address >= 0) {
        const value = ramRead32(cpu, address);
        const result = subs[i] ? dec(cpu, value, 4) : inc(cpu, value, 4);
        ramWrite32(cpu, address, result);
      } else {
        const value = load32(cpu, segs[i], offset);
        store32(cpu, segs[i], offset, subs[i] ? dec(cpu, value, 4) : inc(cpu, value, 4));
      }
      break;
    }
    case Op.IncDec8_R: {
      const n = BYTE_REG[rms[i]];
      r8[n] = subs[i] ? dec(cpu, r8[n], 1) : inc(cpu, r8[n], 1);
      break;
    }
    case Op.IncDec8_M: {
      const offset = (r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i]) | 0;
      const address = updateAddress(cpu, segs[i], offset, 1);
      if (address >= 0) {
        ram[address] = subs[i] ? dec(cpu, ram[address], 1) : inc(cpu, ram[address], 1);
      } else {
        const value = load8(cpu, segs[i], offset);
        store8(cpu, segs[i], offset, subs[i] ? dec(cpu, value, 1) : inc(cpu, value, 1));
      }
      break;
    }
    case Op.NotNeg_R: {
      const n = rms[i];
      r[n] = subs[i] === 2 ? ~r[n] : neg(cpu, r[n], 4);
      break;
    }

    case Op.Push_M:
      push32(cpu, load32(cpu, segs[i], (r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i]) | 0));
      break;
    case Op.Leave: {
      const stack32 = cpu.stack32;
      const frame = stack32 ? r[EBP] : r16[EBP * 2];
      const value = cpu.read32(SS, frame);
      cpu.sp = frame + 4;
      r[EBP] = value;
      break;
    }

    case Op.RetI: {
      eip = pop32(cpu);
      cpu.sp = cpu.sp + imms[i];
      break;
    }
    case Op.CallRm_M: {
      const target = load32(cpu, segs[i], (r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i]) | 0);
      push32(cpu, next);
      eip = target;
      break;
    }
    case Op.JmpRm_R:
      eip = r[rms[i]];
      break;
    case Op.JmpRm_M:
      eip = load32(cpu, segs[i], (r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i]) | 0);
      break;

    case Op.Shift_M: {
      const count = imms[i] < 0 ? r8[4] & 31 : imms[i];
      const offset = (r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i]) | 0;
      const address = updateAddress(cpu, segs[i], offset, 4);
      if (count === 0) break;
      if (address >= 0) {
        const value = ramRead32(cpu, address);
        const result = shiftBy(cpu, subs[i], value, count, 4);
        ramWrite32(cpu, address, result);
      } else {
        store32(cpu, segs[i], offset, shiftBy(cpu, subs[i], load32(cpu, segs[i], offset), count, 4));
      }
      break;
    }
    case Op.Shift8_R: {
      const count = imms[i] < 0 ? r8[4] & 31 : imms[i];
      const n = BYTE_REG[rms[i]];
      if (count !== 0) r8[n] = shiftBy(cpu, subs[i], r8[n], count, 1);
      break;
    }
    case Op.Shift8_M: {
      const count = imms[i] < 0 ? r8[4] & 31 : imms[i];
      const offset = (r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i]) | 0;
      const address = updateAddress(cpu, segs[i], offset, 1);
      if (count === 0) break;
      if (address >= 0) ram[address] = shiftBy(cpu, subs[i], ram[address], count, 1);
      else store8(cpu, segs[i], offset, shiftBy(cpu, subs[i], load8(cpu, segs[i], offset), count, 1));
      break;
    }

    case Op.Movx_R: {
      const n = rms[i];
      switch (subs[i]) {
        case 0: r[regs[i]] = r8[BYTE_REG[n]]; break;
        case 1: r[regs[i]] = r16[n * 2]; break;
        case 2: r[regs[i]] = (r8[BYTE_REG[n]] << 24) >> 24; break;
        default: r[regs[i]] = (r16[n * 2] << 16) >> 16; break;
      }
      break;
    }
    case Op.Movx_M: {
      const offset = (r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i]) | 0;
      switch (subs[i]) {
        case 0: r[regs[i]] = load8(cpu, segs[i], offset); break;
        case 1: r[regs[i]] = cpu.read16(segs[i], offset); break;
        case 2: r[regs[i]] = (load8(cpu, segs[i], offset) << 24) >> 24; break;
        default: r[regs[i]] = (cpu.read16(segs[i], offset) << 16) >> 16; break;
      }
      break;
    }
    case Op.Setcc_M:
      store8(cpu, segs[i], (r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i]) | 0, flags.condition(subs[i]) ? 1 : 0);
      break;
    case Op.Cmov_M: {
      // The source is read (and may fault) even when the condition is false.
      const value = load32(cpu, segs[i], (r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i]) | 0);
      if (flags.condition(subs[i])) r[regs[i]] = value;
      break;
    }
    case Op.Imul_M: {
      const value = load32(cpu, segs[i], (r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i]) | 0);
      r[regs[i]] = imulTruncated(cpu, r[regs[i]], value, 4);
      break;
    }
    case Op.Imul3_R:
      r[regs[i]] = imulTruncated(cpu, r[rms[i]], imms[i], 4);
      break;
    case Op.Imul3_M: {
      const value = load32(cpu, segs[i], (r[bases[i]] + (r[indexes[i]] << scales[i]) + disps[i]) | 0);
      r[regs[i]] = imulTruncated(cpu, value, imms[i], 4);
      break;
    }
    case Op.Xchg_R: {
      const a = r[regs[i]];
      r[regs[i]] = r[rms[i]];
      r[rms[i]] = a;
      break;
    }
    case Op.Cdq:
      r[EDX] = r[EAX] >> 31;
      break;
    case Op.Cwde:
      r[EAX] = (r[EAX] << 16) >> 16;
      break;
  }
  return eip;
}

/** What the functions blocks.ts makes call: the same paths as the handlers here. */
export const blockHelpers = {
  fastDeliver, fastInterruptReturn, alu, inc, dec, imulTruncated, load32, load8, store32, store8, updateAddress, ramRead32, ramWrite32, push32, pop32, recordIncDec, runColdOp,
};

/** Record a 32-bit ADD, SUB or logic result for the lazy flags (what Flags.record does, minus its INC/DEC case). */
function record32(flags: Flags, op: number, a: number, b: number, result: number): void {
  flags.op = op;
  flags.size = 4;
  flags.a = a;
  flags.b = b;
  flags.result = result;
}

/** Record a 32-bit INC or DEC, which leave CF as it was (what Flags.record does for them). */
function recordIncDec(flags: Flags, op: number, a: number, result: number): void {
  if (flags.op !== OP_NONE) flags.bits = (flags.bits & ~FLAG_CF) | (flags.cf() ? FLAG_CF : 0);
  flags.op = op;
  flags.size = 4;
  flags.a = a;
  flags.b = 1;
  flags.result = result;
}

/** Group-2 shift `kind` (not RCL/RCR, which stay in the interpreter) by a nonzero count. */
function shiftBy(cpu: Cpu, kind: number, value: number, count: number, size: number): number {
  return kind >= 4 ? shiftLogical(cpu, kind, value, count, size) : shift(cpu, kind, value, count, size);
}

// Data access: a flat segment and a TLB hit go straight to RAM (aligned dwords as one
// Int32Array element); anything else takes the checked path through the Cpu.

function load32(cpu: Cpu, seg: number, offset: number): number {
  if (cpu.segFlatRead[seg]) {
    const linear = (cpu.segBase[seg] + offset) | 0;
    let entry = cpu.tlbRead[linear >>> 12];
    if (entry < 0) entry = fillTlb(cpu, linear, false);
    const address = entry | (linear & 0xfff);
    if (entry >= 0) {
      if ((address & 3) === 0) return cpu.ram32[address >> 2];
      if ((linear & 0xfff) <= 0xffc) {
        const ram = cpu.ram;
        return ram[address] | (ram[address + 1] << 8) | (ram[address + 2] << 16) | (ram[address + 3] << 24);
      }
    }
  }
  return cpu.read32(seg, offset);
}

function load8(cpu: Cpu, seg: number, offset: number): number {
  if (cpu.segFlatRead[seg]) {
    const linear = (cpu.segBase[seg] + offset) | 0;
    let entry = cpu.tlbRead[linear >>> 12];
    if (entry < 0) entry = fillTlb(cpu, linear, false);
    if (entry >= 0) return cpu.ram[entry | (linear & 0xfff)];
  }
  return cpu.read8(seg, offset);
}

function store32(cpu: Cpu, seg: number, offset: number, value: number): void {
  if (cpu.segFlatWrite[seg]) {
    const linear = (cpu.segBase[seg] + offset) | 0;
    let entry = cpu.tlbWrite[linear >>> 12];
    if (entry === -1) entry = fillTlb(cpu, linear, true); // (a code entry, below -1, needs no walk)
    const address = entry | (linear & 0xfff);
    if (entry >= 0) {
      if ((address & 3) === 0) {
        cpu.ram32[address >> 2] = value;
        return;
      }
      if ((linear & 0xfff) <= 0xffc) {
        ramWrite32(cpu, address, value);
        return;
      }
    } else if (entry < -1 && (linear & 0xfff) <= 0xffc) {
      cpu.writeCodePage(codeEntryBase(entry) | (linear & 0xfff), value, 4);
      return;
    }
  }
  cpu.write32(seg, offset, value);
}

function store8(cpu: Cpu, seg: number, offset: number, value: number): void {
  if (cpu.segFlatWrite[seg]) {
    const linear = (cpu.segBase[seg] + offset) | 0;
    let entry = cpu.tlbWrite[linear >>> 12];
    if (entry === -1) entry = fillTlb(cpu, linear, true); // (a code entry, below -1, needs no walk)
    if (entry >= 0) {
      cpu.ram[entry | (linear & 0xfff)] = value;
      return;
    }
    if (entry < -1) {
      cpu.writeCodePage(codeEntryBase(entry) | (linear & 0xfff), value, 1);
      return;
    }
  }
  cpu.write8(seg, offset, value);
}

/**
 * A TLB miss: walk the page tables (which may raise #PF, or set the
 * accessed and dirty bits) and return the entry now there, still -1 for
 * MMIO, ROM and code pages, which take the checked path.
 */
function fillTlb(cpu: Cpu, linear: number, write: boolean): number {
  cpu.mmu.translate(linear, write, cpu.userMode);
  return (write ? cpu.tlbWrite : cpu.tlbRead)[linear >>> 12];
}

/** A dword of RAM at a physical address that does not straddle a page. */
function ramRead32(cpu: Cpu, address: number): number {
  if ((address & 3) === 0) return cpu.ram32[address >> 2];
  const ram = cpu.ram;
  return ram[address] | (ram[address + 1] << 8) | (ram[address + 2] << 16) | (ram[address + 3] << 24);
}

function ramWrite32(cpu: Cpu, address: number, value: number): void {
  if ((address & 3) === 0) {
    cpu.ram32[address >> 2] = value;
    return;
  }
  const ram = cpu.ram;
  ram[address] = value;
  ram[address + 1] = value >> 8;
  ram[address + 2] = value >> 16;
  ram[address + 3] = value >> 24;
}

// The stack: a flat 32-bit SS and an aligned slot in a TLB-mapped page go straight to RAM.

function push32(cpu: Cpu, value: number): void {
  const esp = (cpu.reg32[ESP] - 4) | 0;
  if (cpu.segFlatWrite[SS] && cpu.segAttributes[SS] & ATTR_DB) {
    const linear = (cpu.segBase[SS] + esp) | 0;
    const entry = cpu.tlbWrite[linear >>> 12];
    if (entry >= 0 && (linear & 3) === 0) {
      cpu.ram32[(entry | (linear & 0xfff)) >> 2] = value;
      cpu.reg32[ESP] = esp;
      return;
    }
  }
  cpu.push32(value);
}

function pop32(cpu: Cpu): number {
  const esp = cpu.reg32[ESP];
  if (cpu.segFlatRead[SS] && cpu.segAttributes[SS] & ATTR_DB) {
    const linear = (cpu.segBase[SS] + esp) | 0;
    const entry = cpu.tlbRead[linear >>> 12];
    if (entry >= 0 && (linear & 3) === 0) {
      const value = cpu.ram32[(entry | (linear & 0xfff)) >> 2];
      cpu.reg32[ESP] = esp + 4;
      return value;
    }
  }
  return cpu.pop32();
}

/**
 * Where a read-modify-write of `size` bytes at seg:offset can go straight
 * to RAM: the physical address, or -1 when it must take the checked slow
 * path (MMIO, ROM, a code page, or an access that straddles two pages).
 * Either way the destination has been checked for writing, so a fault comes
 * before the flags change.
 */
function updateAddress(cpu: Cpu, seg: number, offset: number, size: number): number {
  if (cpu.segFlatWrite[seg]) {
    const flat = (cpu.segBase[seg] + offset) | 0;
    const entry = cpu.tlbWrite[flat >>> 12];
    if (entry >= 0 && (flat & 0xfff) <= 0x1000 - size) return entry | (flat & 0xfff);
  }
  const linear = cpu.linearFor(seg, offset, size, true);
  const pageOffset = linear & 0xfff;
  const entry = cpu.tlbWrite[linear >>> 12];
  if (entry >= 0 && pageOffset <= 0x1000 - size) return entry | pageOffset;
  cpu.probeWrite(seg, offset, size);
  const filled = cpu.tlbWrite[linear >>> 12];
  return filled >= 0 && pageOffset <= 0x1000 - size ? filled | pageOffset : -1;
}


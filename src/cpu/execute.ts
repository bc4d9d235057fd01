// Instruction decode and execution: prefixes, ModRM/SIB addressing, and the
// one-byte and 0F two-byte opcode maps (SDM Vol. 2, appendix A), dispatched
// by family. Operand sizes are 1, 2 or 4 bytes throughout.
//
// Restartability: an instruction performs every check that can fault
// (memory reads, probes of memory it will write, segment loads) before it
// changes a register other than EIP/ESP; run() restores EIP and ESP.

import {
  aaa, aad, aam, alu, decimalAdjust, dec, div, doubleShift, idiv, imulTruncated, imulWide, inc, mul, neg, shift, signExtend,
} from './alu.ts';
import {
  ATTR_DB, CR0_EM, CR0_MP, CR0_PE, CR0_TS, CS, CpuFault, DS, EAX, EBP, EBX, ECX, EDI, EDX, ES, ESI, ESP, FS, GS, SS, Vector, type Cpu,
} from './cpu.ts';
import {
  FLAG_AC, FLAG_AF, FLAG_CF, FLAG_DF, FLAG_ID, FLAG_IF, FLAG_OF, FLAG_PF, FLAG_RF, FLAG_SF, FLAG_TF, FLAG_VM, FLAG_ZF, OP_LOGIC, OP_SUB,
} from './flags.ts';
import {
  descriptorAttributes, descriptorLimit, farCall, farJump, farReturn, interruptReturn, loadLdt, loadSegment, loadTaskRegister, visibleDescriptor,
} from './system.ts';

const MAX_INSTRUCTION_LENGTH = 15;
/** REP iterations per step, so a long string instruction lets interrupts in (it restarts where it left off). */
const REP_CHUNK = 4096;

function ud(): never {
  throw new CpuFault(Vector.UD);
}

function gp0(): never {
  throw new CpuFault(Vector.GP, 0);
}

function requireCpl0(cpu: Cpu): void {
  if (cpu.protectedMode && cpu.cpl !== 0) gp0();
}

// ---- ModRM ------------------------------------------------------------------

/** Decode a ModRM byte (and SIB and displacement): sets mod/reg/rm and, for memory forms, eaSeg:eaOffset. */
export function decodeModrm(cpu: Cpu): void {
  const modrm = cpu.fetch8();
  const mod = modrm >> 6;
  const rm = modrm & 7;
  cpu.modrmMod = mod;
  cpu.modrmReg = (modrm >> 3) & 7;
  cpu.modrmRm = rm;
  if (mod === 3) return;
  const r = cpu.reg32;
  let seg = DS;
  let offset: number;
  if (cpu.a32) {
    if (rm === 4) {
      const sib = cpu.fetch8();
      const scale = sib >> 6;
      const index = (sib >> 3) & 7;
      const base = sib & 7;
      if (base === 5 && mod === 0) {
        offset = cpu.fetch32();
      } else {
        offset = r[base];
        if (base === ESP || base === EBP) seg = SS;
      }
      if (index !== 4) offset += r[index] << scale;
    } else if (rm === 5 && mod === 0) {
      offset = cpu.fetch32();
    } else {
      offset = r[rm];
      if (rm === EBP) seg = SS;
    }
    if (mod === 1) offset += (cpu.fetch8() << 24) >> 24;
    else if (mod === 2) offset += cpu.fetch32();
    offset |= 0; // signed 32-bit, like eip: consumers apply >>> 0
  } else {
    const w = cpu.reg16;
    switch (rm) {
      case 0: offset = w[EBX * 2] + w[ESI * 2]; break;
      case 1: offset = w[EBX * 2] + w[EDI * 2]; break;
      case 2: offset = w[EBP * 2] + w[ESI * 2]; seg = SS; break;
      case 3: offset = w[EBP * 2] + w[EDI * 2]; seg = SS; break;
      case 4: offset = w[ESI * 2]; break;
      case 5: offset = w[EDI * 2]; break;
      case 6:
        if (mod === 0) offset = cpu.fetch16();
        else {
          offset = w[EBP * 2];
          seg = SS;
        }
        break;
      default: offset = w[EBX * 2]; break;
    }
    if (mod === 1) offset += (cpu.fetch8() << 24) >> 24;
    else if (mod === 2) offset += cpu.fetch16();
    offset &= 0xffff;
  }
  cpu.eaOffset = offset;
  cpu.eaSeg = cpu.segOverride >= 0 ? cpu.segOverride : seg;
}

function readReg(cpu: Cpu, r: number, size: number): number {
  if (size === 4) return cpu.reg32[r] >>> 0;
  if (size === 2) return cpu.reg16[r << 1];
  return cpu.reg8[((r & 3) << 2) | (r >> 2)];
}

function writeReg(cpu: Cpu, r: number, size: number, value: number): void {
  if (size === 4) cpu.reg32[r] = value;
  else if (size === 2) cpu.reg16[r << 1] = value;
  else cpu.reg8[((r & 3) << 2) | (r >> 2)] = value;
}

function readMem(cpu: Cpu, seg: number, offset: number, size: number): number {
  if (size === 4) return cpu.read32(seg, offset) >>> 0;
  if (size === 2) return cpu.read16(seg, offset);
  return cpu.read8(seg, offset);
}

function writeMem(cpu: Cpu, seg: number, offset: number, size: number, value: number): void {
  if (size === 4) cpu.write32(seg, offset, value);
  else if (size === 2) cpu.write16(seg, offset, value);
  else cpu.write8(seg, offset, value);
}

function readRm(cpu: Cpu, size: number): number {
  if (cpu.modrmMod === 3) return readReg(cpu, cpu.modrmRm, size);
  return readMem(cpu, cpu.eaSeg, cpu.eaOffset, size);
}

/**
 * Read a read-modify-write destination after checking that it can be
 * written, so that a #PF or #GP on the write comes before the flags change.
 */
function readRmForUpdate(cpu: Cpu, size: number): number {
  if (cpu.modrmMod === 3) return readReg(cpu, cpu.modrmRm, size);
  const linear = cpu.linearFor(cpu.eaSeg, cpu.eaOffset, size, true);
  if (cpu.tlbWrite[linear >>> 12] < 0 || (linear & 0xfff) > 0x1000 - size) {
    cpu.mmu.translate(linear, true, cpu.userMode);
    if ((linear & 0xfff) > 0x1000 - size) cpu.mmu.translate((linear + size - 1) >>> 0, true, cpu.userMode);
  }
  return readMem(cpu, cpu.eaSeg, cpu.eaOffset, size);
}

function writeRm(cpu: Cpu, size: number, value: number): void {
  if (cpu.modrmMod === 3) writeReg(cpu, cpu.modrmRm, size, value);
  else writeMem(cpu, cpu.eaSeg, cpu.eaOffset, size, value);
}

function fetchImm(cpu: Cpu, size: number): number {
  if (size === 4) return cpu.fetch32() >>> 0;
  if (size === 2) return cpu.fetch16();
  return cpu.fetch8();
}

function fetchImm8Signed(cpu: Cpu, size: number): number {
  const value = (cpu.fetch8() << 24) >> 24;
  return size === 4 ? value >>> 0 : value & 0xffff;
}

function requireMemory(cpu: Cpu): void {
  if (cpu.modrmMod === 3) ud();
}

// ---- Near control transfers ---------------------------------------------------

function jumpNear(cpu: Cpu, target: number): void {
  target = cpu.o32 ? target >>> 0 : target & 0xffff;
  if (target > cpu.segLimit[CS]) gp0();
  cpu.eip = target | 0;
}

function jumpRelative(cpu: Cpu, displacement: number): void {
  jumpNear(cpu, cpu.eip + displacement);
}

// ---- The dispatcher ---------------------------------------------------------------

export function execute(cpu: Cpu): void {
  const codeBig = (cpu.segAttributes[CS] & ATTR_DB) !== 0;
  cpu.codeBig = codeBig;
  cpu.o32 = codeBig;
  cpu.a32 = codeBig;
  cpu.segOverride = -1;
  cpu.repPrefix = 0;
  cpu.lockPrefix = false;
  let opcode = cpu.fetch8();
  let prefixes = 0;
  for (;;) {
    switch (opcode) {
      case 0x66: cpu.o32 = !codeBig; break;
      case 0x67: cpu.a32 = !codeBig; break;
      case 0x26: cpu.segOverride = ES; break;
      case 0x2e: cpu.segOverride = CS; break;
      case 0x36: cpu.segOverride = SS; break;
      case 0x3e: cpu.segOverride = DS; break;
      case 0x64: cpu.segOverride = FS; break;
      case 0x65: cpu.segOverride = GS; break;
      case 0xf0: cpu.lockPrefix = true; break;
      case 0xf2:
      case 0xf3: cpu.repPrefix = opcode; break;
      default:
        if (cpu.lockPrefix) checkLock(cpu, opcode);
        executeOpcode(cpu, opcode);
        return;
    }
    if (++prefixes >= MAX_INSTRUCTION_LENGTH) gp0();
    opcode = cpu.fetch8();
  }
}

/** LOCK is valid only on read-modify-write instructions with a memory destination (SDM Vol. 2A, LOCK). */
function checkLock(cpu: Cpu, opcode: number): void {
  const save = cpu.eip;
  let op = opcode;
  let twoByte = false;
  if (op === 0x0f) {
    op = cpu.fetch8();
    twoByte = true;
  }
  const modrm = cpu.fetch8();
  cpu.eip = save;
  const mod = modrm >> 6;
  const reg = (modrm >> 3) & 7;
  let ok: boolean;
  if (twoByte) {
    ok = [0xab, 0xb3, 0xbb, 0xb0, 0xb1, 0xc0, 0xc1].includes(op) || (op === 0xba && reg >= 5) || (op === 0xc7 && reg === 1);
  } else if (op < 0x40) {
    ok = (op & 7) < 2 && (op >> 3) !== 7;
  } else if (op >= 0x80 && op <= 0x83) {
    ok = reg !== 7;
  } else if (op === 0x86 || op === 0x87) {
    ok = true;
  } else if (op === 0xf6 || op === 0xf7) {
    ok = reg === 2 || reg === 3;
  } else if (op === 0xfe || op === 0xff) {
    ok = reg <= 1;
  } else {
    ok = false;
  }
  if (!ok || mod === 3) ud();
}

function executeOpcode(cpu: Cpu, opcode: number): void {
  const r = cpu.reg32;
  const size = cpu.o32 ? 4 : 2;
  if (opcode < 0x40 && (opcode & 7) < 6) {
    aluForm(cpu, opcode);
    return;
  }
  switch (opcode) {
    // Segment register push/pop.
    case 0x06: cpu.push(cpu.segSelector[ES]); return;
    case 0x0e: cpu.push(cpu.segSelector[CS]); return;
    case 0x16: cpu.push(cpu.segSelector[SS]); return;
    case 0x1e: cpu.push(cpu.segSelector[DS]); return;
    case 0x07: popSegment(cpu, ES); return;
    case 0x17: popSegment(cpu, SS); return;
    case 0x1f: popSegment(cpu, DS); return;
    case 0x0f: executeTwoByte(cpu, cpu.fetch8()); return;
    case 0x27: decimalAdjust(cpu, false); return;
    case 0x2f: decimalAdjust(cpu, true); return;
    case 0x37: aaa(cpu, false); return;
    case 0x3f: aaa(cpu, true); return;

    case 0x40: case 0x41: case 0x42: case 0x43: case 0x44: case 0x45: case 0x46: case 0x47:
      writeReg(cpu, opcode & 7, size, inc(cpu, readReg(cpu, opcode & 7, size), size));
      return;
    case 0x48: case 0x49: case 0x4a: case 0x4b: case 0x4c: case 0x4d: case 0x4e: case 0x4f:
      writeReg(cpu, opcode & 7, size, dec(cpu, readReg(cpu, opcode & 7, size), size));
      return;
    case 0x50: case 0x51: case 0x52: case 0x53: case 0x54: case 0x55: case 0x56: case 0x57:
      cpu.push(readReg(cpu, opcode & 7, size));
      return;
    case 0x58: case 0x59: case 0x5a: case 0x5b: case 0x5c: case 0x5d: case 0x5e: case 0x5f: {
      const value = cpu.pop();
      writeReg(cpu, opcode & 7, size, value);
      return;
    }
    case 0x60: { // PUSHA
      const sp = readReg(cpu, ESP, size);
      for (let i = 0; i < 8; i++) cpu.push(i === ESP ? sp : readReg(cpu, i, size));
      return;
    }
    case 0x61: { // POPA
      const values: number[] = [];
      for (let i = 0; i < 8; i++) values.push(cpu.pop());
      for (let i = 0; i < 8; i++) if (7 - i !== ESP) writeReg(cpu, 7 - i, size, values[i]);
      return;
    }
    case 0x62: { // BOUND
      decodeModrm(cpu);
      requireMemory(cpu);
      const index = signExtend(readReg(cpu, cpu.modrmReg, size), size);
      const lower = signExtend(readMem(cpu, cpu.eaSeg, cpu.eaOffset, size), size);
      const upper = signExtend(readMem(cpu, cpu.eaSeg, (cpu.eaOffset + size) >>> 0, size), size);
      if (index < lower || index > upper) throw new CpuFault(Vector.BR);
      return;
    }
    case 0x63: { // ARPL
      if (!cpu.protectedMode) ud();
      decodeModrm(cpu);
      const dest = readRmForUpdate(cpu, 2);
      const source = readReg(cpu, cpu.modrmReg, 2);
      const flags = cpu.flags.get();
      if ((dest & 3) < (source & 3)) {
        writeRm(cpu, 2, (dest & ~3) | (source & 3));
        cpu.flags.setArith(flags | FLAG_ZF);
      } else {
        cpu.flags.setArith(flags & ~FLAG_ZF);
      }
      return;
    }
    case 0x68: cpu.push(fetchImm(cpu, size)); return;
    case 0x6a: cpu.push(fetchImm8Signed(cpu, size)); return;
    case 0x69:
    case 0x6b: {
      decodeModrm(cpu);
      const a = readRm(cpu, size);
      const b = opcode === 0x69 ? fetchImm(cpu, size) : fetchImm8Signed(cpu, size);
      writeReg(cpu, cpu.modrmReg, size, imulTruncated(cpu, a, b, size));
      return;
    }
    case 0x6c: stringOp(cpu, 'ins', 1); return;
    case 0x6d: stringOp(cpu, 'ins', size); return;
    case 0x6e: stringOp(cpu, 'outs', 1); return;
    case 0x6f: stringOp(cpu, 'outs', size); return;

    case 0x70: case 0x71: case 0x72: case 0x73: case 0x74: case 0x75: case 0x76: case 0x77:
    case 0x78: case 0x79: case 0x7a: case 0x7b: case 0x7c: case 0x7d: case 0x7e: case 0x7f: {
      const displacement = (cpu.fetch8() << 24) >> 24;
      if (cpu.flags.condition(opcode & 0xf)) jumpRelative(cpu, displacement);
      return;
    }

    case 0x80:
    case 0x82: group1(cpu, 1, false); return;
    case 0x81: group1(cpu, size, false); return;
    case 0x83: group1(cpu, size, true); return;
    case 0x84:
    case 0x85: {
      const s = opcode === 0x84 ? 1 : size;
      decodeModrm(cpu);
      alu(cpu, 4, readRm(cpu, s), readReg(cpu, cpu.modrmReg, s), s);
      return;
    }
    case 0x86:
    case 0x87: { // XCHG Eb/Ev, G
      const s = opcode === 0x86 ? 1 : size;
      decodeModrm(cpu);
      const a = readRm(cpu, s);
      const b = readReg(cpu, cpu.modrmReg, s);
      writeRm(cpu, s, b);
      writeReg(cpu, cpu.modrmReg, s, a);
      return;
    }
    case 0x88: decodeModrm(cpu); writeRm(cpu, 1, readReg(cpu, cpu.modrmReg, 1)); return;
    case 0x89: decodeModrm(cpu); writeRm(cpu, size, readReg(cpu, cpu.modrmReg, size)); return;
    case 0x8a: decodeModrm(cpu); writeReg(cpu, cpu.modrmReg, 1, readRm(cpu, 1)); return;
    case 0x8b: decodeModrm(cpu); writeReg(cpu, cpu.modrmReg, size, readRm(cpu, size)); return;
    case 0x8c: { // MOV Ew, Sreg
      decodeModrm(cpu);
      if (cpu.modrmReg > 5) ud();
      const selector = cpu.segSelector[cpu.modrmReg];
      if (cpu.modrmMod === 3) writeReg(cpu, cpu.modrmRm, size, selector);
      else cpu.write16(cpu.eaSeg, cpu.eaOffset, selector);
      return;
    }
    case 0x8d: { // LEA
      decodeModrm(cpu);
      requireMemory(cpu);
      writeReg(cpu, cpu.modrmReg, size, cpu.eaOffset);
      return;
    }
    case 0x8e: { // MOV Sreg, Ew
      decodeModrm(cpu);
      if (cpu.modrmReg === CS || cpu.modrmReg > 5) ud();
      loadSegment(cpu, cpu.modrmReg, readRm(cpu, 2));
      return;
    }
    case 0x8f: { // POP Ev: ESP is incremented before the destination address is computed
      const value = cpu.peekStack(0, size);
      cpu.sp = cpu.sp + size;
      decodeModrm(cpu);
      if (cpu.modrmReg !== 0) ud();
      writeRm(cpu, size, value);
      return;
    }
    case 0x90:
      return; // NOP, and PAUSE with F3
    case 0x91: case 0x92: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97: {
      const other = opcode & 7;
      const a = readReg(cpu, EAX, size);
      writeReg(cpu, EAX, size, readReg(cpu, other, size));
      writeReg(cpu, other, size, a);
      return;
    }
    case 0x98: // CBW / CWDE
      if (size === 4) r[EAX] = (r[EAX] << 16) >> 16;
      else cpu.reg16[0] = (cpu.reg8[0] << 24) >> 24;
      return;
    case 0x99: // CWD / CDQ
      if (size === 4) r[EDX] = r[EAX] >> 31;
      else cpu.reg16[EDX * 2] = (cpu.reg16[0] << 16) >> 31;
      return;
    case 0x9a: { // CALL ptr16:16/32
      const offset = fetchImm(cpu, size);
      const selector = cpu.fetch16();
      farCall(cpu, selector, offset, cpu.eip);
      return;
    }
    case 0x9b: // WAIT/FWAIT
      if ((cpu.cr0 & (CR0_MP | CR0_TS)) === (CR0_MP | CR0_TS)) throw new CpuFault(Vector.NM);
      return;
    case 0x9c: { // PUSHF
      if (cpu.flags.bits & FLAG_VM && ((cpu.flags.bits >> 12) & 3) < 3) gp0();
      cpu.push(cpu.flags.get() & ~(FLAG_VM | FLAG_RF));
      return;
    }
    case 0x9d: { // POPF
      const value = cpu.pop();
      let mask = cpu.writableFlagsMask();
      if (size === 2) mask &= 0xffff;
      cpu.flags.setMasked(value, mask | (mask & (FLAG_AC | FLAG_ID)));
      cpu.checkInterrupts = true;
      return;
    }
    case 0x9e: { // SAHF
      const ah = cpu.reg8[1];
      cpu.flags.setArith((cpu.flags.get() & FLAG_OF) | (ah & (FLAG_SF | FLAG_ZF | FLAG_AF | FLAG_PF | FLAG_CF)));
      return;
    }
    case 0x9f: // LAHF
      cpu.reg8[1] = cpu.flags.get() & 0xff;
      return;
    case 0xa0:
    case 0xa1:
    case 0xa2:
    case 0xa3: { // MOV AL/eAX <-> moffs
      const offset = cpu.a32 ? cpu.fetch32() >>> 0 : cpu.fetch16();
      const seg = cpu.segOverride >= 0 ? cpu.segOverride : DS;
      const s = opcode & 1 ? size : 1;
      if (opcode < 0xa2) writeReg(cpu, EAX, s, readMem(cpu, seg, offset, s));
      else writeMem(cpu, seg, offset, s, readReg(cpu, EAX, s));
      return;
    }
    case 0xa4: stringOp(cpu, 'movs', 1); return;
    case 0xa5: stringOp(cpu, 'movs', size); return;
    case 0xa6: stringOp(cpu, 'cmps', 1); return;
    case 0xa7: stringOp(cpu, 'cmps', size); return;
    case 0xa8: alu(cpu, 4, cpu.reg8[0], cpu.fetch8(), 1); return;
    case 0xa9: alu(cpu, 4, readReg(cpu, EAX, size), fetchImm(cpu, size), size); return;
    case 0xaa: stringOp(cpu, 'stos', 1); return;
    case 0xab: stringOp(cpu, 'stos', size); return;
    case 0xac: stringOp(cpu, 'lods', 1); return;
    case 0xad: stringOp(cpu, 'lods', size); return;
    case 0xae: stringOp(cpu, 'scas', 1); return;
    case 0xaf: stringOp(cpu, 'scas', size); return;
    case 0xb0: case 0xb1: case 0xb2: case 0xb3: case 0xb4: case 0xb5: case 0xb6: case 0xb7:
      writeReg(cpu, opcode & 7, 1, cpu.fetch8());
      return;
    case 0xb8: case 0xb9: case 0xba: case 0xbb: case 0xbc: case 0xbd: case 0xbe: case 0xbf:
      writeReg(cpu, opcode & 7, size, fetchImm(cpu, size));
      return;
    case 0xc0: group2(cpu, 1, -1); return;
    case 0xc1: group2(cpu, size, -1); return;
    case 0xd0: group2(cpu, 1, 1); return;
    case 0xd1: group2(cpu, size, 1); return;
    case 0xd2: group2(cpu, 1, cpu.reg8[4]); return;
    case 0xd3: group2(cpu, size, cpu.reg8[4]); return;
    case 0xc2: { // RET imm16
      const immediate = cpu.fetch16();
      const target = cpu.pop();
      jumpNear(cpu, target);
      cpu.sp = cpu.sp + immediate;
      return;
    }
    case 0xc3: jumpNear(cpu, cpu.pop()); return;
    case 0xc4: loadFarPointer(cpu, ES); return;
    case 0xc5: loadFarPointer(cpu, DS); return;
    case 0xc6:
    case 0xc7: {
      const s = opcode === 0xc6 ? 1 : size;
      decodeModrm(cpu);
      if (cpu.modrmReg !== 0) ud();
      writeRm(cpu, s, fetchImm(cpu, s));
      return;
    }
    case 0xc8: enter(cpu, size); return;
    case 0xc9: { // LEAVE
      const frame = readReg(cpu, EBP, cpu.stack32 ? 4 : 2);
      const value = cpu.stack32 ? readMem(cpu, SS, frame, size) : readMem(cpu, SS, frame & 0xffff, size);
      cpu.sp = frame + size;
      writeReg(cpu, EBP, size, value);
      return;
    }
    case 0xca: farReturn(cpu, cpu.fetch16()); return;
    case 0xcb: farReturn(cpu, 0); return;
    case 0xcc: cpu.deliver(Vector.BP, -1, false, true); return;
    case 0xcd: {
      const vector = cpu.fetch8();
      cpu.deliver(vector, -1, false, true);
      return;
    }
    case 0xce:
      if (cpu.flags.of()) cpu.deliver(Vector.OF, -1, false, true);
      return;
    case 0xcf: interruptReturn(cpu); return;
    case 0xd4: aam(cpu, cpu.fetch8()); return;
    case 0xd5: aad(cpu, cpu.fetch8()); return;
    case 0xd6: cpu.reg8[0] = cpu.flags.cf() ? 0xff : 0; return; // SALC
    case 0xd7: { // XLAT
      const base = cpu.a32 ? r[EBX] >>> 0 : cpu.reg16[EBX * 2];
      const offset = cpu.a32 ? (base + cpu.reg8[0]) >>> 0 : (base + cpu.reg8[0]) & 0xffff;
      cpu.reg8[0] = cpu.read8(cpu.segOverride >= 0 ? cpu.segOverride : DS, offset);
      return;
    }
    case 0xd8: case 0xd9: case 0xda: case 0xdb: case 0xdc: case 0xdd: case 0xde: case 0xdf:
      // x87 is not modelled (CPUID reports no FPU): #NM when CR0.EM or CR0.TS, else #UD.
      if (cpu.cr0 & (CR0_EM | CR0_TS)) throw new CpuFault(Vector.NM);
      ud();
    // falls through: ud() never returns
    case 0xe0:
    case 0xe1:
    case 0xe2: { // LOOPNE, LOOPE, LOOP
      const displacement = (cpu.fetch8() << 24) >> 24;
      let count: number;
      if (cpu.a32) count = r[ECX] = r[ECX] - 1;
      else count = cpu.reg16[ECX * 2] = cpu.reg16[ECX * 2] - 1;
      const zf = cpu.flags.zf();
      const taken = count !== 0 && (opcode === 0xe2 || (opcode === 0xe1 ? zf : !zf));
      if (taken) jumpRelative(cpu, displacement);
      return;
    }
    case 0xe3: { // JCXZ / JECXZ
      const displacement = (cpu.fetch8() << 24) >> 24;
      if ((cpu.a32 ? r[ECX] : cpu.reg16[ECX * 2]) === 0) jumpRelative(cpu, displacement);
      return;
    }
    case 0xe4: portIn(cpu, cpu.fetch8(), 1); return;
    case 0xe5: portIn(cpu, cpu.fetch8(), size); return;
    case 0xe6: portOut(cpu, cpu.fetch8(), 1); return;
    case 0xe7: portOut(cpu, cpu.fetch8(), size); return;
    case 0xec: portIn(cpu, cpu.reg16[EDX * 2], 1); return;
    case 0xed: portIn(cpu, cpu.reg16[EDX * 2], size); return;
    case 0xee: portOut(cpu, cpu.reg16[EDX * 2], 1); return;
    case 0xef: portOut(cpu, cpu.reg16[EDX * 2], size); return;
    case 0xe8: { // CALL rel
      const displacement = size === 4 ? cpu.fetch32() : (cpu.fetch16() << 16) >> 16;
      const target = cpu.o32 ? (cpu.eip + displacement) >>> 0 : (cpu.eip + displacement) & 0xffff;
      if (target > cpu.segLimit[CS]) gp0();
      cpu.push(cpu.eip);
      cpu.eip = target | 0;
      return;
    }
    case 0xe9: {
      const displacement = size === 4 ? cpu.fetch32() : (cpu.fetch16() << 16) >> 16;
      jumpRelative(cpu, displacement);
      return;
    }
    case 0xea: { // JMP ptr16:16/32
      const offset = fetchImm(cpu, size);
      const selector = cpu.fetch16();
      farJump(cpu, selector, offset);
      return;
    }
    case 0xeb: jumpRelative(cpu, (cpu.fetch8() << 24) >> 24); return;
    case 0xf1: cpu.deliver(Vector.DB, -1, false, false); return; // INT1 / ICEBP
    case 0xf4: // HLT
      requireCpl0(cpu);
      cpu.halted = true;
      cpu.checkInterrupts = true; // run() notices HLT at the next boundary
      return;
    case 0xf5: cpu.flags.setArith(cpu.flags.get() ^ FLAG_CF); return;
    case 0xf6: group3(cpu, 1); return;
    case 0xf7: group3(cpu, size); return;
    case 0xf8: cpu.flags.setArith(cpu.flags.get() & ~FLAG_CF); return;
    case 0xf9: cpu.flags.setArith(cpu.flags.get() | FLAG_CF); return;
    case 0xfa: // CLI
      checkIopl(cpu);
      cpu.flags.bits &= ~FLAG_IF;
      return;
    case 0xfb: // STI: interrupts stay blocked until after the next instruction
      checkIopl(cpu);
      if (!(cpu.flags.bits & FLAG_IF)) cpu.interruptShadow = 2;
      cpu.flags.bits |= FLAG_IF;
      cpu.checkInterrupts = true;
      return;
    case 0xfc: cpu.flags.bits &= ~FLAG_DF; return;
    case 0xfd: cpu.flags.bits |= FLAG_DF; return;
    case 0xfe: { // INC/DEC Eb
      decodeModrm(cpu);
      if (cpu.modrmReg > 1) ud();
      const value = readRmForUpdate(cpu, 1);
      writeRm(cpu, 1, cpu.modrmReg === 0 ? inc(cpu, value, 1) : dec(cpu, value, 1));
      return;
    }
    case 0xff: group5(cpu, size); return;
    default:
      ud();
  }
}

function checkIopl(cpu: Cpu): void {
  if (cpu.protectedMode && cpu.cpl > ((cpu.flags.bits >> 12) & 3)) gp0();
}

/** Opcodes 00-3D: the ALU operation is bits 3-5, the form bits 0-2. */
function aluForm(cpu: Cpu, opcode: number): void {
  const op = (opcode >> 3) & 7;
  const form = opcode & 7;
  const size = form & 1 ? (cpu.o32 ? 4 : 2) : 1;
  switch (form) {
    case 0:
    case 1: {
      decodeModrm(cpu);
      const dest = op === 7 ? readRm(cpu, size) : readRmForUpdate(cpu, size);
      const result = alu(cpu, op, dest, readReg(cpu, cpu.modrmReg, size), size);
      if (op !== 7) writeRm(cpu, size, result);
      return;
    }
    case 2:
    case 3: {
      decodeModrm(cpu);
      const result = alu(cpu, op, readReg(cpu, cpu.modrmReg, size), readRm(cpu, size), size);
      if (op !== 7) writeReg(cpu, cpu.modrmReg, size, result);
      return;
    }
    default: {
      const immediate = fetchImm(cpu, size);
      const result = alu(cpu, op, readReg(cpu, EAX, size), immediate, size);
      if (op !== 7) writeReg(cpu, EAX, size, result);
    }
  }
}

function group1(cpu: Cpu, size: number, signExtendedImm8: boolean): void {
  decodeModrm(cpu);
  const a = cpu.modrmReg === 7 ? readRm(cpu, size) : readRmForUpdate(cpu, size);
  const b = signExtendedImm8 ? fetchImm8Signed(cpu, size) : fetchImm(cpu, size);
  const result = alu(cpu, cpu.modrmReg, a, b, size);
  if (cpu.modrmReg !== 7) writeRm(cpu, size, result);
}

/** Group 2: shifts and rotates by 1, CL or imm8 (count < 0 means fetch imm8 after ModRM). */
function group2(cpu: Cpu, size: number, count: number): void {
  decodeModrm(cpu);
  if (count < 0) count = cpu.fetch8();
  count &= 31;
  const value = readRmForUpdate(cpu, size);
  if (count === 0) return;
  writeRm(cpu, size, shift(cpu, cpu.modrmReg, value, count, size));
}

function group3(cpu: Cpu, size: number): void {
  decodeModrm(cpu);
  switch (cpu.modrmReg) {
    case 0:
    case 1:
      alu(cpu, 4, readRm(cpu, size), fetchImm(cpu, size), size);
      return;
    case 2:
      writeRm(cpu, size, ~readRm(cpu, size) & (size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff));
      return;
    case 3:
      writeRm(cpu, size, neg(cpu, readRmForUpdate(cpu, size), size));
      return;
    case 4: mul(cpu, readRm(cpu, size), size); return;
    case 5: imulWide(cpu, readRm(cpu, size), size); return;
    case 6: div(cpu, readRm(cpu, size), size); return;
    default: idiv(cpu, readRm(cpu, size), size); return;
  }
}

function group5(cpu: Cpu, size: number): void {
  decodeModrm(cpu);
  switch (cpu.modrmReg) {
    case 0: writeRm(cpu, size, inc(cpu, readRmForUpdate(cpu, size), size)); return;
    case 1: writeRm(cpu, size, dec(cpu, readRmForUpdate(cpu, size), size)); return;
    case 2: { // CALL Ev
      const target = readRm(cpu, size);
      if (target > cpu.segLimit[CS]) gp0();
      cpu.push(cpu.eip);
      cpu.eip = target | 0;
      return;
    }
    case 3: { // CALL m16:16/32
      requireMemory(cpu);
      const offset = readMem(cpu, cpu.eaSeg, cpu.eaOffset, size);
      const selector = cpu.read16(cpu.eaSeg, (cpu.eaOffset + size) >>> 0);
      farCall(cpu, selector, offset, cpu.eip);
      return;
    }
    case 4: jumpNear(cpu, readRm(cpu, size)); return;
    case 5: {
      requireMemory(cpu);
      const offset = readMem(cpu, cpu.eaSeg, cpu.eaOffset, size);
      const selector = cpu.read16(cpu.eaSeg, (cpu.eaOffset + size) >>> 0);
      farJump(cpu, selector, offset);
      return;
    }
    case 6: cpu.push(readRm(cpu, size)); return;
    default: ud();
  }
}

function popSegment(cpu: Cpu, seg: number): void {
  const size = cpu.o32 ? 4 : 2;
  const selector = cpu.peekStack(0, size) & 0xffff;
  loadSegment(cpu, seg, selector);
  cpu.sp = cpu.sp + size;
}

/** LES/LDS/LSS/LFS/LGS: offset then selector from memory. */
function loadFarPointer(cpu: Cpu, seg: number): void {
  const size = cpu.o32 ? 4 : 2;
  decodeModrm(cpu);
  requireMemory(cpu);
  const offset = readMem(cpu, cpu.eaSeg, cpu.eaOffset, size);
  const selector = cpu.read16(cpu.eaSeg, (cpu.eaOffset + size) >>> 0);
  loadSegment(cpu, seg, selector);
  writeReg(cpu, cpu.modrmReg, size, offset);
}

function enter(cpu: Cpu, size: number): void {
  const allocation = cpu.fetch16();
  const level = cpu.fetch8() & 31;
  const stack32 = cpu.stack32;
  cpu.push(readReg(cpu, EBP, size));
  const frame = cpu.sp;
  if (level > 0) {
    let bp = readReg(cpu, EBP, stack32 ? 4 : 2);
    for (let i = 1; i < level; i++) {
      bp = stack32 ? (bp - size) >>> 0 : (bp - size) & 0xffff;
      cpu.push(readMem(cpu, SS, bp, size));
    }
    cpu.push(frame);
  }
  const newSp = cpu.sp - allocation;
  // Probe the lowest byte of the new frame so ENTER faults rather than leaving an unusable stack.
  cpu.read8(SS, stack32 ? newSp >>> 0 : newSp & 0xffff);
  writeReg(cpu, EBP, size, frame);
  cpu.sp = newSp;
}

// ---- Port I/O -------------------------------------------------------------------

/** IN to AL/AX/EAX (size 1, 2, 4), as the interpreter and the decoded tier run it. */
export function portIn(cpu: Cpu, port: number, size: number): void {
  cpu.checkIoPermission(port, size);
  writeReg(cpu, EAX, size, cpu.io.read(port, size as 1 | 2 | 4));
  afterPortAccess(cpu);
}

/** OUT of AL/AX/EAX. */
export function portOut(cpu: Cpu, port: number, size: number): void {
  cpu.checkIoPermission(port, size);
  cpu.io.write(port, size as 1 | 2 | 4, readReg(cpu, EAX, size));
  afterPortAccess(cpu);
}

/**
 * A device may have raised or unmasked an interrupt: make the run loop look
 * before the next instruction, but only when one is now deliverable, so that
 * a driver polling a status port stays in the decoded tier. (A device that
 * must end the slice, for a reset or an exit, calls Cpu.requestStop.)
 */
function afterPortAccess(cpu: Cpu): void {
  if (cpu.nmiPending || (cpu.flags.bits & FLAG_IF && cpu.interrupts.hasInterrupt())) cpu.checkInterrupts = true;
}

// ---- String instructions ------------------------------------------------------------

type StringKind = 'movs' | 'cmps' | 'stos' | 'lods' | 'scas' | 'ins' | 'outs';

function stringOp(cpu: Cpu, kind: StringKind, size: number): void {
  const a32 = cpu.a32;
  const r = cpu.reg32;
  const w = cpu.reg16;
  const step = cpu.flags.bits & FLAG_DF ? -size : size;
  const sourceSeg = cpu.segOverride >= 0 ? cpu.segOverride : DS;
  const repeat = cpu.repPrefix !== 0;
  const testsZf = kind === 'cmps' || kind === 'scas';
  // Only CMPS and SCAS look at ZF: F2 and F3 both mean "repeat" for the rest.
  const stopWhenZf = cpu.repPrefix === 0xf2;
  if (kind === 'ins' || kind === 'outs') cpu.checkIoPermission(w[EDX * 2], size);
  if (repeat && a32 && (kind === 'movs' || kind === 'stos') && !(cpu.flags.bits & FLAG_DF)) {
    if (repeatFast(cpu, kind === 'movs', size, sourceSeg)) return;
  }
  let iterations = 0;
  for (;;) {
    if (repeat) {
      const count = a32 ? r[ECX] : w[ECX * 2];
      if (count === 0) return;
    }
    const si = a32 ? r[ESI] >>> 0 : w[ESI * 2];
    const di = a32 ? r[EDI] >>> 0 : w[EDI * 2];
    let advanceSi = false;
    let advanceDi = false;
    switch (kind) {
      case 'movs':
        writeMem(cpu, ES, di, size, readMem(cpu, sourceSeg, si, size));
        advanceSi = advanceDi = true;
        break;
      case 'stos':
        writeMem(cpu, ES, di, size, readReg(cpu, EAX, size));
        advanceDi = true;
        break;
      case 'lods':
        writeReg(cpu, EAX, size, readMem(cpu, sourceSeg, si, size));
        advanceSi = true;
        break;
      case 'cmps':
        alu(cpu, 7, readMem(cpu, sourceSeg, si, size), readMem(cpu, ES, di, size), size);
        advanceSi = advanceDi = true;
        break;
      case 'scas':
        alu(cpu, 7, readReg(cpu, EAX, size), readMem(cpu, ES, di, size), size);
        advanceDi = true;
        break;
      case 'ins': {
        cpu.probeWrite(ES, di, size);
        writeMem(cpu, ES, di, size, cpu.io.read(w[EDX * 2], size as 1 | 2 | 4));
        advanceDi = true;
        break;
      }
      case 'outs':
        cpu.io.write(w[EDX * 2], size as 1 | 2 | 4, readMem(cpu, sourceSeg, si, size));
        advanceSi = true;
        break;
    }
    if (a32) {
      if (advanceSi) r[ESI] = si + step;
      if (advanceDi) r[EDI] = di + step;
    } else {
      if (advanceSi) w[ESI * 2] = si + step;
      if (advanceDi) w[EDI * 2] = di + step;
    }
    if (!repeat) return;
    if (a32) r[ECX] = r[ECX] - 1;
    else w[ECX * 2] = w[ECX * 2] - 1;
    if (testsZf && cpu.flags.zf() === stopWhenZf) return;
    if (++iterations >= REP_CHUNK) {
      // Let interrupts in: the instruction restarts with the updated registers.
      if ((a32 ? r[ECX] : w[ECX * 2]) !== 0) {
        cpu.eip = cpu.startEip;
        cpu.checkInterrupts = true;
      }
      return;
    }
    if (kind === 'ins' || kind === 'outs') cpu.checkInterrupts = true;
  }
}

/** Elements one REP MOVS/STOS may move through the fast path before letting interrupts in. */
const REP_FAST_CHUNK = 65536;

/**
 * REP MOVS and REP STOS, forward, 32-bit addressing, flat segments: whole
 * runs of elements are copied straight between RAM addresses found in the
 * TLB. A run spans as many pages as are already in the TLB and follow one
 * another in physical memory on both sides (all of them without paging, or
 * under an identity map), so a 64 KiB copy is one memmove. Returns false to
 * hand the rest to the element-by-element loop (an element that straddles
 * a page, MMIO or ROM, segments with limits). ESI, EDI and ECX advance after
 * each run, so a page fault leaves them where the real processor would.
 */
function repeatFast(cpu: Cpu, move: boolean, size: number, sourceSeg: number): boolean {
  if (!cpu.segFlatWrite[ES] || (move && !cpu.segFlatRead[sourceSeg])) return false;
  const r = cpu.reg32;
  const ram = cpu.ram;
  const user = cpu.userMode;
  let budget = REP_FAST_CHUNK;
  const value = r[EAX];
  for (;;) {
    const count = r[ECX] >>> 0;
    if (count === 0) return true;
    if (budget <= 0) {
      cpu.eip = cpu.startEip;
      cpu.checkInterrupts = true;
      return true;
    }
    const wanted = Math.min(count, budget) * size;
    // MOVS reads before it writes: with both pages absent the source faults, and the
    // destination's accessed and dirty bits stay as they were.
    let srcAddress = 0;
    let bytes = wanted;
    if (move) {
      const srcLinear = (cpu.segBase[sourceSeg] + r[ESI]) >>> 0;
      let srcEntry = cpu.tlbRead[srcLinear >>> 12];
      if (srcEntry < 0) {
        cpu.mmu.translate(srcLinear, false, user);
        srcEntry = cpu.tlbRead[srcLinear >>> 12];
        if (srcEntry < 0) return false;
      }
      srcAddress = srcEntry | (srcLinear & 0xfff);
      bytes = contiguousRun(cpu.tlbRead, srcLinear, srcEntry, wanted);
    }
    const dstLinear = (cpu.segBase[ES] + r[EDI]) >>> 0;
    let dstEntry = cpu.tlbWrite[dstLinear >>> 12];
    if (dstEntry < 0) {
      cpu.mmu.translate(dstLinear, true, user);
      dstEntry = cpu.tlbWrite[dstLinear >>> 12];
      if (dstEntry < 0) return false;
    }
    bytes = contiguousRun(cpu.tlbWrite, dstLinear, dstEntry, bytes);
    const n = Math.floor(bytes / size);
    if (n === 0) return false;
    bytes = n * size;
    const dstAddress = dstEntry | (dstLinear & 0xfff);
    if (move) {
      if (dstAddress > srcAddress && dstAddress < srcAddress + bytes) {
        // Overlap with the destination ahead: each element is read whole, then written, in order (unlike memmove).
        for (let i = 0; i < bytes; i += size) {
          const b0 = ram[srcAddress + i];
          const b1 = ram[srcAddress + i + 1];
          const b2 = ram[srcAddress + i + 2];
          const b3 = ram[srcAddress + i + 3];
          ram[dstAddress + i] = b0;
          if (size > 1) ram[dstAddress + i + 1] = b1;
          if (size > 2) {
            ram[dstAddress + i + 2] = b2;
            ram[dstAddress + i + 3] = b3;
          }
        }
      } else {
        moveRam(ram, dstAddress, srcAddress, bytes);
      }
      r[ESI] = r[ESI] + bytes;
    } else if (size === 1) {
      ram.fill(value & 0xff, dstAddress, dstAddress + bytes);
    } else {
      for (let i = 0; i < bytes; i += size) {
        ram[dstAddress + i] = value;
        ram[dstAddress + i + 1] = value >> 8;
        if (size === 4) {
          ram[dstAddress + i + 2] = value >> 16;
          ram[dstAddress + i + 3] = value >> 24;
        }
      }
    }
    r[EDI] = r[EDI] + bytes;
    r[ECX] = count - n;
    budget -= n;
  }
}

/**
 * How many of `wanted` bytes from `linear` (whose page has TLB entry
 * `entry`) lie in pages that are already in `tlb` and physically follow
 * one another. Stops before the linear address space wraps; a page not in
 * the TLB ends the run, so the next run walks it (and may fault) only
 * once everything before it has been moved.
 */
function contiguousRun(tlb: Int32Array, linear: number, entry: number, wanted: number): number {
  let bytes = 0x1000 - (linear & 0xfff);
  let page = linear >>> 12;
  let expected = entry;
  while (bytes < wanted && page < 0xfffff) {
    page++;
    expected += 0x1000;
    if (tlb[page] !== expected) break;
    bytes += 0x1000;
  }
  return Math.min(bytes, wanted);
}

/** Bytes one memmove copies when the destination sits just past the source (see moveRam). */
const ALIASED_MOVE_PIECE = 2048;

/**
 * memmove inside RAM (non-overlapping, or the destination behind the source).
 * glibc copies blocks above about 2 KiB with the host's REP MOVSB, which on
 * some hosts crawls when the destination lies 1-15 bytes past the source
 * modulo 4 KiB (measured on AMD EPYC, glibc 2.36: 2 GB/s instead of 20-35);
 * such a copy goes in 2 KiB pieces, which glibc moves with vector loads.
 */
function moveRam(ram: Uint8Array, dst: number, src: number, bytes: number): void {
  const skew = (dst - src) & 0xfff;
  if (skew === 0 || skew >= 16 || bytes <= ALIASED_MOVE_PIECE) {
    ram.copyWithin(dst, src, src + bytes);
    return;
  }
  for (let done = 0; done < bytes; done += ALIASED_MOVE_PIECE) {
    const piece = Math.min(ALIASED_MOVE_PIECE, bytes - done);
    ram.copyWithin(dst + done, src + done, src + done + piece);
  }
}

// ---- Two-byte opcodes ------------------------------------------------------------------

const CPUID_FEATURES_EDX =
  (1 << 3) | // PSE
  (1 << 4) | // TSC
  (1 << 5) | // MSR
  (1 << 8) | // CX8
  (1 << 9) | // APIC
  (1 << 13) | // PGE
  (1 << 15); // CMOV

const CPUID_FEATURES_ECX = 1 << 30; // RDRAND

function executeTwoByte(cpu: Cpu, opcode: number): void {
  const r = cpu.reg32;
  const size = cpu.o32 ? 4 : 2;
  if (opcode >= 0x80 && opcode <= 0x8f) { // Jcc rel16/32
    const displacement = size === 4 ? cpu.fetch32() : (cpu.fetch16() << 16) >> 16;
    if (cpu.flags.condition(opcode & 0xf)) jumpRelative(cpu, displacement);
    return;
  }
  if (opcode >= 0x40 && opcode <= 0x4f) { // CMOVcc: the source is read even when the condition is false
    decodeModrm(cpu);
    const value = readRm(cpu, size);
    if (cpu.flags.condition(opcode & 0xf)) writeReg(cpu, cpu.modrmReg, size, value);
    return;
  }
  if (opcode >= 0x90 && opcode <= 0x9f) { // SETcc
    decodeModrm(cpu);
    writeRm(cpu, 1, cpu.flags.condition(opcode & 0xf) ? 1 : 0);
    return;
  }
  if (opcode >= 0xc8 && opcode <= 0xcf) { // BSWAP
    const reg = opcode & 7;
    if (size === 4) {
      const v = r[reg];
      r[reg] = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
    } else {
      cpu.reg16[reg * 2] = 0; // 16-bit BSWAP is undefined; QEMU and real CPUs give 0
    }
    return;
  }
  if (opcode >= 0x18 && opcode <= 0x1f) { // hint NOPs, incl. ENDBR32 (F3 0F 1E FB)
    decodeModrm(cpu);
    return;
  }
  switch (opcode) {
    case 0x00: group6(cpu); return;
    case 0x01: group7(cpu); return;
    case 0x02:
    case 0x03: { // LAR / LSL
      if (!cpu.protectedMode) ud();
      decodeModrm(cpu);
      const selector = readRm(cpu, 2);
      const d = visibleDescriptor(cpu, selector, opcode === 0x03, opcode === 0x02);
      const flags = cpu.flags.get();
      if (!d) {
        cpu.flags.setArith(flags & ~FLAG_ZF);
        return;
      }
      const value = opcode === 0x02 ? d.high & 0x00f0ff00 : descriptorLimit(d);
      writeReg(cpu, cpu.modrmReg, size, size === 2 ? value & 0xffff : value);
      cpu.flags.setArith(flags | FLAG_ZF);
      return;
    }
    case 0x06: // CLTS
      requireCpl0(cpu);
      cpu.cr0 &= ~CR0_TS;
      return;
    case 0x08:
    case 0x09: // INVD, WBINVD: no caches to speak of
      requireCpl0(cpu);
      return;
    case 0x0b: ud(); // UD2
    // falls through: ud() never returns
    case 0x0d: decodeModrm(cpu); return; // prefetch hint
    case 0x20:
    case 0x22: { // MOV r32, CRn / MOV CRn, r32 (the mod field is ignored)
      requireCpl0(cpu);
      decodeModrmRegisterOnly(cpu);
      const n = cpu.modrmReg;
      if (opcode === 0x20) {
        const value = n === 0 ? cpu.cr0 : n === 2 ? cpu.cr2 : n === 3 ? cpu.cr3 : n === 4 ? cpu.cr4 : ud();
        r[cpu.modrmRm] = value;
      } else {
        const value = r[cpu.modrmRm];
        if (n === 0) cpu.setCr0(value);
        else if (n === 2) cpu.cr2 = value;
        else if (n === 3) cpu.setCr3(value);
        else if (n === 4) cpu.setCr4(value);
        else ud();
      }
      return;
    }
    case 0x21:
    case 0x23: { // MOV to/from debug registers (stored; breakpoints are not modelled)
      requireCpl0(cpu);
      decodeModrmRegisterOnly(cpu);
      let n = cpu.modrmReg;
      if (n === 4 || n === 5) n += 2;
      if (opcode === 0x21) r[cpu.modrmRm] = cpu.dr[n];
      else cpu.dr[n] = r[cpu.modrmRm];
      return;
    }
    case 0x30: { // WRMSR
      requireCpl0(cpu);
      const msr = r[ECX] >>> 0;
      if (msr === 0x1b) cpu.apicBaseMsr = r[EAX] >>> 0;
      else if (msr === 0x10) cpu.tscOffset = (r[EAX] >>> 0) - cpu.instructionCount * cpu.tscPerInstruction;
      else if (!IGNORED_MSRS.has(msr)) gp0();
      return;
    }
    case 0x31: { // RDTSC
      if (cpu.cr4 & (1 << 2) && cpu.cpl !== 0 && cpu.protectedMode) gp0();
      const tsc = cpu.instructionCount * cpu.tscPerInstruction + cpu.tscOffset;
      r[EAX] = tsc % 0x100000000;
      r[EDX] = Math.floor(tsc / 0x100000000);
      return;
    }
    case 0x32: { // RDMSR
      requireCpl0(cpu);
      const msr = r[ECX] >>> 0;
      if (msr === 0x1b) {
        r[EAX] = cpu.apicBaseMsr;
        r[EDX] = 0;
      } else if (msr === 0x10) {
        const tsc = cpu.instructionCount * cpu.tscPerInstruction + cpu.tscOffset;
        r[EAX] = tsc % 0x100000000;
        r[EDX] = Math.floor(tsc / 0x100000000);
      } else if (IGNORED_MSRS.has(msr)) {
        r[EAX] = 0;
        r[EDX] = 0;
      } else {
        gp0();
      }
      return;
    }
    case 0xa0: cpu.push(cpu.segSelector[FS]); return;
    case 0xa8: cpu.push(cpu.segSelector[GS]); return;
    case 0xa1: popSegment(cpu, FS); return;
    case 0xa9: popSegment(cpu, GS); return;
    case 0xa2: cpuid(cpu); return;
    case 0xa3: bitTest(cpu, 0, size, false); return;
    case 0xab: bitTest(cpu, 1, size, false); return;
    case 0xb3: bitTest(cpu, 2, size, false); return;
    case 0xbb: bitTest(cpu, 3, size, false); return;
    case 0xba: {
      decodeModrm(cpu);
      if (cpu.modrmReg < 4) ud();
      bitTest(cpu, cpu.modrmReg - 4, size, true);
      return;
    }
    case 0xa4:
    case 0xa5:
    case 0xac:
    case 0xad: { // SHLD / SHRD
      decodeModrm(cpu);
      const count = (opcode & 1 ? cpu.reg8[4] : cpu.fetch8()) & 31;
      const dest = readRmForUpdate(cpu, size);
      if (count === 0) return;
      writeRm(cpu, size, doubleShift(cpu, opcode < 0xa8, dest, readReg(cpu, cpu.modrmReg, size), count, size));
      return;
    }
    case 0xaf: { // IMUL Gv, Ev
      decodeModrm(cpu);
      const value = readRm(cpu, size);
      writeReg(cpu, cpu.modrmReg, size, imulTruncated(cpu, readReg(cpu, cpu.modrmReg, size), value, size));
      return;
    }
    case 0xb0:
    case 0xb1: { // CMPXCHG
      const s = opcode === 0xb0 ? 1 : size;
      decodeModrm(cpu);
      const dest = readRmForUpdate(cpu, s);
      const accumulator = readReg(cpu, EAX, s);
      alu(cpu, 7, accumulator, dest, s);
      if (accumulator === dest) {
        writeRm(cpu, s, readReg(cpu, cpu.modrmReg, s));
      } else {
        if (cpu.modrmMod !== 3) writeRm(cpu, s, dest); // the processor always writes the destination
        writeReg(cpu, EAX, s, dest);
      }
      return;
    }
    case 0xb2: loadFarPointer(cpu, SS); return;
    case 0xb4: loadFarPointer(cpu, FS); return;
    case 0xb5: loadFarPointer(cpu, GS); return;
    case 0xb6:
    case 0xb7:
    case 0xbe:
    case 0xbf: { // MOVZX / MOVSX
      const sourceSize = opcode & 1 ? 2 : 1;
      decodeModrm(cpu);
      let value = readRm(cpu, sourceSize);
      if (opcode >= 0xbe) value = signExtend(value, sourceSize);
      writeReg(cpu, cpu.modrmReg, size, size === 4 ? value >>> 0 : value & 0xffff);
      return;
    }
    case 0xbc:
    case 0xbd: { // BSF / BSR
      decodeModrm(cpu);
      const value = readRm(cpu, size);
      const flags = cpu.flags.get();
      if (value === 0) {
        cpu.flags.setArith(flags | FLAG_ZF);
        return;
      }
      const index = opcode === 0xbc ? 31 - Math.clz32(value & -value) : 31 - Math.clz32(value);
      writeReg(cpu, cpu.modrmReg, size, index);
      cpu.flags.setArith(flags & ~FLAG_ZF);
      return;
    }
    case 0xc0:
    case 0xc1: { // XADD
      const s = opcode === 0xc0 ? 1 : size;
      decodeModrm(cpu);
      const dest = readRmForUpdate(cpu, s);
      const source = readReg(cpu, cpu.modrmReg, s);
      const sum = alu(cpu, 0, dest, source, s);
      writeRm(cpu, s, sum);
      if (!(cpu.modrmMod === 3 && cpu.modrmRm === cpu.modrmReg)) writeReg(cpu, cpu.modrmReg, s, dest);
      return;
    }
    case 0xc7: { // group 9: CMPXCHG8B m64, RDRAND r16/r32
      decodeModrm(cpu);
      if (cpu.modrmReg === 6 && cpu.modrmMod === 3) {
        rdrand(cpu, size);
        return;
      }
      if (cpu.modrmReg !== 1) ud();
      requireMemory(cpu);
      cpu.probeWrite(cpu.eaSeg, cpu.eaOffset, 8);
      const low = cpu.read32(cpu.eaSeg, cpu.eaOffset) >>> 0;
      const high = cpu.read32(cpu.eaSeg, (cpu.eaOffset + 4) >>> 0) >>> 0;
      const flags = cpu.flags.get();
      if (low === r[EAX] >>> 0 && high === r[EDX] >>> 0) {
        cpu.write32(cpu.eaSeg, cpu.eaOffset, r[EBX]);
        cpu.write32(cpu.eaSeg, (cpu.eaOffset + 4) >>> 0, r[ECX]);
        cpu.flags.setArith(flags | FLAG_ZF);
      } else {
        cpu.write32(cpu.eaSeg, cpu.eaOffset, low);
        cpu.write32(cpu.eaSeg, (cpu.eaOffset + 4) >>> 0, high);
        r[EAX] = low;
        r[EDX] = high;
        cpu.flags.setArith(flags & ~FLAG_ZF);
      }
      return;
    }
    default:
      ud();
  }
}

/**
 * RDRAND (SDM Vol. 2B): a random value into the register; the source never
 * runs dry, so CF = 1 always, and OF SF ZF AF PF are cleared.
 */
function rdrand(cpu: Cpu, size: number): void {
  writeReg(cpu, cpu.modrmRm, size, size === 4 ? cpu.random() : cpu.random() & 0xffff);
  cpu.flags.setArith(FLAG_CF);
}

/** MSRs a kernel may touch that have no effect here (MTRRs, SYSENTER, PAT...): read 0, writes ignored. */
const IGNORED_MSRS = new Set([0x17, 0x2a, 0x8b, 0xfe, 0x174, 0x175, 0x176, 0x179, 0x17a, 0x17b, 0x1a0, 0x277, 0x2ff]);

function decodeModrmRegisterOnly(cpu: Cpu): void {
  const modrm = cpu.fetch8();
  cpu.modrmMod = 3;
  cpu.modrmReg = (modrm >> 3) & 7;
  cpu.modrmRm = modrm & 7;
}

function cpuid(cpu: Cpu): void {
  const r = cpu.reg32;
  const leaf = r[EAX] >>> 0;
  switch (leaf) {
    case 0:
      r[EAX] = 1;
      r[EBX] = 0x756e6547; // "Genu"
      r[EDX] = 0x49656e69; // "ineI"
      r[ECX] = 0x6c65746e; // "ntel"
      return;
    case 1:
      r[EAX] = 0x00000633; // family 6, model 3, stepping 3
      r[EBX] = 0; // initial APIC ID 0
      r[ECX] = CPUID_FEATURES_ECX;
      r[EDX] = CPUID_FEATURES_EDX;
      return;
    case 0x80000000:
      r[EAX] = 0x80000000;
      r[EBX] = r[ECX] = r[EDX] = 0;
      return;
    default:
      r[EAX] = r[EBX] = r[ECX] = r[EDX] = 0;
  }
}

/** BT/BTS/BTR/BTC (op 0-3); a register bit offset can address memory beyond the operand. */
function bitTest(cpu: Cpu, op: number, size: number, immediate: boolean): void {
  if (!immediate) decodeModrm(cpu);
  const bits = size * 8;
  let offset: number;
  let seg = cpu.eaSeg;
  let address = cpu.eaOffset;
  if (immediate) {
    offset = cpu.fetch8() & (bits - 1);
  } else {
    const raw = readReg(cpu, cpu.modrmReg, size);
    if (cpu.modrmMod === 3) {
      offset = raw & (bits - 1);
    } else {
      const signed = signExtend(raw, size);
      const displacement = Math.floor(signed / bits) * size;
      address = cpu.a32 ? (address + displacement) >>> 0 : (address + displacement) & 0xffff;
      offset = signed & (bits - 1);
    }
  }
  if (op !== 0 && cpu.modrmMod !== 3) cpu.probeWrite(seg, address, size);
  const value = cpu.modrmMod === 3 ? readReg(cpu, cpu.modrmRm, size) : readMem(cpu, seg, address, size);
  const bit = (value >>> offset) & 1;
  let result = value;
  if (op === 1) result = value | (1 << offset);
  else if (op === 2) result = value & ~(1 << offset);
  else if (op === 3) result = value ^ (1 << offset);
  if (op !== 0) {
    const masked = size === 4 ? result >>> 0 : result & 0xffff;
    if (cpu.modrmMod === 3) writeReg(cpu, cpu.modrmRm, size, masked);
    else writeMem(cpu, seg, address, size, masked);
  }
  cpu.flags.setArith((cpu.flags.get() & ~FLAG_CF) | bit);
  seg = 0;
}

/** 0F 00: SLDT, STR, LLDT, LTR, VERR, VERW. */
function group6(cpu: Cpu): void {
  if (!cpu.protectedMode) ud();
  decodeModrm(cpu);
  const size = cpu.o32 ? 4 : 2;
  switch (cpu.modrmReg) {
    case 0:
      if (cpu.modrmMod === 3) writeReg(cpu, cpu.modrmRm, size, cpu.ldtrSelector);
      else cpu.write16(cpu.eaSeg, cpu.eaOffset, cpu.ldtrSelector);
      return;
    case 1:
      if (cpu.modrmMod === 3) writeReg(cpu, cpu.modrmRm, size, cpu.trSelector);
      else cpu.write16(cpu.eaSeg, cpu.eaOffset, cpu.trSelector);
      return;
    case 2:
      requireCpl0(cpu);
      loadLdt(cpu, readRm(cpu, 2));
      return;
    case 3:
      requireCpl0(cpu);
      loadTaskRegister(cpu, readRm(cpu, 2));
      return;
    case 4:
    case 5: { // VERR / VERW
      const selector = readRm(cpu, 2);
      const d = visibleDescriptor(cpu, selector, false, false);
      let ok = false;
      if (d) {
        const attributes = descriptorAttributes(d);
        const code = (attributes & 8) !== 0;
        ok = cpu.modrmReg === 4 ? !code || (attributes & 2) !== 0 : !code && (attributes & 2) !== 0;
        if (!(attributes & 0x10)) ok = false;
      }
      const flags = cpu.flags.get();
      cpu.flags.setArith(ok ? flags | FLAG_ZF : flags & ~FLAG_ZF);
      return;
    }
    default:
      ud();
  }
}

/** 0F 01: SGDT, SIDT, LGDT, LIDT, SMSW, LMSW, INVLPG. */
function group7(cpu: Cpu): void {
  decodeModrm(cpu);
  const o32 = cpu.o32;
  switch (cpu.modrmReg) {
    case 0:
    case 1: { // SGDT / SIDT
      requireMemory(cpu);
      const limit = cpu.modrmReg === 0 ? cpu.gdtrLimit : cpu.idtrLimit;
      const base = cpu.modrmReg === 0 ? cpu.gdtrBase : cpu.idtrBase;
      cpu.probeWrite(cpu.eaSeg, cpu.eaOffset, 6);
      cpu.write16(cpu.eaSeg, cpu.eaOffset, limit);
      cpu.write32(cpu.eaSeg, (cpu.eaOffset + 2) >>> 0, o32 ? base : base & 0x00ffffff);
      return;
    }
    case 2:
    case 3: { // LGDT / LIDT
      requireCpl0(cpu);
      requireMemory(cpu);
      const limit = cpu.read16(cpu.eaSeg, cpu.eaOffset);
      let base = cpu.read32(cpu.eaSeg, (cpu.eaOffset + 2) >>> 0);
      if (!o32) base &= 0x00ffffff;
      if (cpu.modrmReg === 2) {
        cpu.gdtrLimit = limit;
        cpu.gdtrBase = base;
      } else {
        cpu.idtrLimit = limit;
        cpu.idtrBase = base;
      }
      return;
    }
    case 4: // SMSW
      if (cpu.modrmMod === 3) writeReg(cpu, cpu.modrmRm, o32 ? 4 : 2, o32 ? cpu.cr0 : cpu.cr0 & 0xffff);
      else cpu.write16(cpu.eaSeg, cpu.eaOffset, cpu.cr0 & 0xffff);
      return;
    case 6: { // LMSW: PE can be set but not cleared
      requireCpl0(cpu);
      const value = readRm(cpu, 2);
      cpu.setCr0((cpu.cr0 & ~0xe) | (value & 0xf) | (cpu.cr0 & CR0_PE));
      return;
    }
    case 7: { // INVLPG
      requireCpl0(cpu);
      requireMemory(cpu);
      cpu.mmu.invalidatePage((cpu.segBase[cpu.eaSeg] + cpu.eaOffset) >>> 0);
      return;
    }
    default:
      ud();
  }
}

export { FLAG_TF, FLAG_VM, OP_LOGIC, OP_SUB, ESI, EDI, FLAG_OF };

// Protected-mode mechanics: descriptor tables, segment-register loads with
// their privilege checks, far control transfers through code segments and
// call gates, interrupt and trap gates with the TSS stack switch, and IRET.
// Transfers that switch tasks (a TSS descriptor or task gate as the target
// of JMP, CALL or an interrupt, IRET with NT set) are handed to task.ts.
//
// Follows Intel SDM Vol. 3A chapters 3 (segments), 5 (protection) and 6
// (interrupts), and the pseudo-code of MOV/POP Sreg, JMP, CALL, RET, IRET and
// INT n in Vol. 2. Error codes are the selector with its RPL bits cleared,
// bit 0 (EXT) set for events external to the program, and bit 1 (IDT) set
// when the selector indexes the IDT.
//
// Not modelled: virtual-8086 mode.

import {
  ATTR_ACCESSED, ATTR_CODE, ATTR_DB, ATTR_DC, ATTR_G, ATTR_P, ATTR_RW, ATTR_S,
  CpuFault, CS, DS, ES, FS, GS, SS, ESP, Vector, type Cpu,
} from './cpu.ts';
import { fastDeliver, fastInterruptReturn } from './gates.ts';
import { FLAG_IF, FLAG_NT, FLAG_RF, FLAG_TF, FLAG_VM, FLAG_AC } from './flags.ts';
import { interruptThroughTaskGate, isTaskTarget, returnFromTask, SwitchKind, transferToTask } from './task.ts';

/** A descriptor as read from a table. */
export interface Descriptor {
  low: number;
  high: number;
  /** Where it lives, so the accessed bit can be set. */
  address: number;
}

export function descriptorBase(d: Descriptor): number {
  return ((d.low >>> 16) | ((d.high & 0xff) << 16) | (d.high & 0xff000000)) >>> 0;
}

export function descriptorLimit(d: Descriptor): number {
  const raw = (d.low & 0xffff) | (d.high & 0xf0000);
  return d.high & (1 << 23) ? ((raw << 12) | 0xfff) >>> 0 : raw;
}

/** Access byte in bits 0-7 and the G/DB/L/AVL nibble in bits 12-15. */
export function descriptorAttributes(d: Descriptor): number {
  return (d.high >>> 8) & 0xf0ff;
}

export function dpl(attributes: number): number {
  return (attributes >> 5) & 3;
}

/** Read the descriptor a selector names; #GP(selector) when it lies outside its table. */
export function readDescriptor(cpu: Cpu, selector: number, fault = Vector.GP, ext = 0): Descriptor {
  const index = selector & ~7;
  let base: number;
  let limit: number;
  if (selector & 4) {
    if ((cpu.ldtrSelector & ~3) === 0) throw new CpuFault(fault, (selector & ~3) | ext);
    base = cpu.ldtrBase;
    limit = cpu.ldtrLimit;
  } else {
    base = cpu.gdtrBase;
    limit = cpu.gdtrLimit;
  }
  if (index + 7 > limit) throw new CpuFault(fault, (selector & ~3) | ext);
  const address = (base + index) >>> 0;
  return { low: cpu.readLinear32(address, false), high: cpu.readLinear32((address + 4) >>> 0, false), address };
}

export function setAccessed(cpu: Cpu, d: Descriptor): void {
  if (!(d.high & (1 << 8))) {
    d.high |= 1 << 8;
    cpu.writeLinear32((d.address + 4) >>> 0, d.high, false);
  }
}

export function loadCache(cpu: Cpu, seg: number, selector: number, d: Descriptor): void {
  cpu.segSelector[seg] = selector;
  cpu.segBase[seg] = descriptorBase(d) | 0;
  cpu.segLimit[seg] = descriptorLimit(d);
  cpu.segAttributes[seg] = descriptorAttributes(d);
  cpu.segUsable[seg] = true;
  cpu.segmentChanged(seg);
}

/** MOV/POP to a data or stack segment register (not CS). */
export function loadSegment(cpu: Cpu, seg: number, selector: number): void {
  selector &= 0xffff;
  if (!cpu.protectedMode || cpu.flags.bits & FLAG_VM) {
    cpu.loadRealSegment(seg, selector);
    if (seg === SS) cpu.interruptShadow = 2;
    return;
  }
  const rpl = selector & 3;
  if ((selector & ~3) === 0) {
    if (seg === SS) throw new CpuFault(Vector.GP, 0);
    cpu.segSelector[seg] = selector;
    cpu.segUsable[seg] = false;
    cpu.segmentChanged(seg);
    return;
  }
  const d = readDescriptor(cpu, selector);
  const attributes = descriptorAttributes(d);
  const code = (selector & ~3);
  if (seg === SS) {
    if (rpl !== cpu.cpl || !(attributes & ATTR_S) || attributes & ATTR_CODE || !(attributes & ATTR_RW) || dpl(attributes) !== cpu.cpl) {
      throw new CpuFault(Vector.GP, code);
    }
    if (!(attributes & ATTR_P)) throw new CpuFault(Vector.SS, code);
    setAccessed(cpu, d);
    loadCache(cpu, SS, selector, d);
    cpu.interruptShadow = 2;
    return;
  }
  // Data segment: data, or readable code; privilege unless conforming code.
  if (!(attributes & ATTR_S) || (attributes & ATTR_CODE && !(attributes & ATTR_RW))) throw new CpuFault(Vector.GP, code);
  const conformingCode = (attributes & (ATTR_CODE | ATTR_DC)) === (ATTR_CODE | ATTR_DC);
  if (!conformingCode && (dpl(attributes) < cpu.cpl || dpl(attributes) < rpl)) throw new CpuFault(Vector.GP, code);
  if (!(attributes & ATTR_P)) throw new CpuFault(Vector.NP, code);
  setAccessed(cpu, d);
  loadCache(cpu, seg, selector, d);
}

/** Validate a code-segment descriptor for a direct far JMP/CALL; returns it. */
function checkCodeTarget(cpu: Cpu, selector: number, d: Descriptor): void {
  const attributes = descriptorAttributes(d);
  const code = selector & ~3;
  if (!(attributes & ATTR_CODE) || !(attributes & ATTR_S)) throw new CpuFault(Vector.GP, code);
  if (attributes & ATTR_DC) {
    if (dpl(attributes) > cpu.cpl) throw new CpuFault(Vector.GP, code);
  } else if ((selector & 3) > cpu.cpl || dpl(attributes) !== cpu.cpl) {
    throw new CpuFault(Vector.GP, code);
  }
  if (!(attributes & ATTR_P)) throw new CpuFault(Vector.NP, code);
}

function checkOffsetInLimit(d: Descriptor, offset: number): void {
  if (offset >>> 0 > descriptorLimit(d)) throw new CpuFault(Vector.GP, 0);
}

/** Far JMP (and the jump part of a far CALL through a code segment). */
export function farJump(cpu: Cpu, selector: number, offset: number): void {
  selector &= 0xffff;
  if (!cpu.protectedMode || cpu.flags.bits & FLAG_VM) {
    cpu.loadRealSegment(CS, selector);
    cpu.eip = offset | 0;
    return;
  }
  if ((selector & ~3) === 0) throw new CpuFault(Vector.GP, 0);
  const d = readDescriptor(cpu, selector);
  const attributes = descriptorAttributes(d);
  if (attributes & ATTR_S) {
    checkCodeTarget(cpu, selector, d);
    checkOffsetInLimit(d, offset);
    setAccessed(cpu, d);
    loadCache(cpu, CS, (selector & ~3) | cpu.cpl, d);
    cpu.eip = offset | 0;
    return;
  }
  const type = attributes & 0xf;
  if (type === 4 || type === 12) {
    // Call gate: JMP may not change privilege.
    const gate = gateFields(d);
    if (dpl(attributes) < cpu.cpl || dpl(attributes) < (selector & 3)) throw new CpuFault(Vector.GP, selector & ~3);
    if (!(attributes & ATTR_P)) throw new CpuFault(Vector.NP, selector & ~3);
    const target = readDescriptor(cpu, gate.selector);
    const targetAttributes = descriptorAttributes(target);
    if (!(targetAttributes & ATTR_CODE)) throw new CpuFault(Vector.GP, gate.selector & ~3);
    const conforming = (targetAttributes & ATTR_DC) !== 0;
    if ((conforming && dpl(targetAttributes) > cpu.cpl) || (!conforming && dpl(targetAttributes) !== cpu.cpl)) {
      throw new CpuFault(Vector.GP, gate.selector & ~3);
    }
    if (!(targetAttributes & ATTR_P)) throw new CpuFault(Vector.NP, gate.selector & ~3);
    const eip = type === 4 ? gate.offset & 0xffff : gate.offset;
    checkOffsetInLimit(target, eip);
    loadCache(cpu, CS, (gate.selector & ~3) | cpu.cpl, target);
    cpu.eip = eip | 0;
    return;
  }
  if (isTaskTarget(type)) {
    transferToTask(cpu, selector, d, SwitchKind.Jump, cpu.eip);
    return;
  }
  throw new CpuFault(Vector.GP, selector & ~3); // a busy TSS, or a descriptor that is no target at all
}

function gateFields(d: Descriptor): { selector: number; offset: number; count: number } {
  return { selector: d.low >>> 16, offset: ((d.low & 0xffff) | (d.high & 0xffff0000)) >>> 0, count: d.high & 0x1f };
}

/** Far CALL: push the return address, then transfer; through a call gate possibly to an inner ring. */
export function farCall(cpu: Cpu, selector: number, offset: number, returnEip: number): void {
  selector &= 0xffff;
  const o32 = cpu.o32;
  if (!cpu.protectedMode || cpu.flags.bits & FLAG_VM) {
    cpu.push(cpu.segSelector[CS]);
    cpu.push(returnEip);
    cpu.loadRealSegment(CS, selector);
    cpu.eip = o32 ? offset | 0 : offset & 0xffff;
    return;
  }
  if ((selector & ~3) === 0) throw new CpuFault(Vector.GP, 0);
  const d = readDescriptor(cpu, selector);
  const attributes = descriptorAttributes(d);
  if (attributes & ATTR_S) {
    checkCodeTarget(cpu, selector, d);
    checkOffsetInLimit(d, offset);
    const oldCs = cpu.segSelector[CS];
    cpu.push(oldCs);
    cpu.push(returnEip);
    setAccessed(cpu, d);
    loadCache(cpu, CS, (selector & ~3) | cpu.cpl, d);
    cpu.eip = offset | 0;
    return;
  }
  const type = attributes & 0xf;
  if (isTaskTarget(type)) {
    transferToTask(cpu, selector, d, SwitchKind.Nested, returnEip);
    return;
  }
  if (type !== 4 && type !== 12) throw new CpuFault(Vector.GP, selector & ~3);
  if (dpl(attributes) < cpu.cpl || dpl(attributes) < (selector & 3)) throw new CpuFault(Vector.GP, selector & ~3);
  if (!(attributes & ATTR_P)) throw new CpuFault(Vector.NP, selector & ~3);
  const gate = gateFields(d);
  const gate32 = type === 12;
  if ((gate.selector & ~3) === 0) throw new CpuFault(Vector.GP, 0);
  const target = readDescriptor(cpu, gate.selector);
  const targetAttributes = descriptorAttributes(target);
  const targetDpl = dpl(targetAttributes);
  if (!(targetAttributes & ATTR_CODE) || !(targetAttributes & ATTR_S) || targetDpl > cpu.cpl) throw new CpuFault(Vector.GP, gate.selector & ~3);
  if (!(targetAttributes & ATTR_P)) throw new CpuFault(Vector.NP, gate.selector & ~3);
  const eip = gate32 ? gate.offset : gate.offset & 0xffff;
  checkOffsetInLimit(target, eip);
  const oldCs = cpu.segSelector[CS];
  if (!(targetAttributes & ATTR_DC) && targetDpl < cpu.cpl) {
    // Inner-privilege call: new stack from the TSS, copy parameters (SDM Vol. 3A, 5.8.5).
    const { ss, esp } = stackFromTss(cpu, targetDpl, 0);
    const ssDescriptor = validateNewStack(cpu, ss, targetDpl, 0);
    const oldSs = cpu.segSelector[SS];
    const oldEsp = cpu.reg32[ESP] >>> 0;
    const params: number[] = [];
    for (let i = 0; i < gate.count; i++) params.push(cpu.peekStack(i * (gate32 ? 4 : 2), gate32 ? 4 : 2));
    const frame = [oldSs, oldEsp, ...params.reverse(), oldCs, returnEip];
    const newEsp = writeFrame(cpu, ssDescriptor, esp, frame, gate32);
    loadCache(cpu, SS, ss, ssDescriptor);
    cpu.reg32[ESP] = newEsp;
    cpu.setCpl(targetDpl);
    loadCache(cpu, CS, (gate.selector & ~3) | targetDpl, target);
    cpu.eip = eip | 0;
    return;
  }
  const saved = cpu.o32;
  cpu.o32 = gate32;
  cpu.push(oldCs);
  cpu.push(returnEip);
  cpu.o32 = saved;
  loadCache(cpu, CS, (gate.selector & ~3) | cpu.cpl, target);
  cpu.eip = eip | 0;
}

/** Read SS:ESP for privilege level `level` from the current TSS. */
function stackFromTss(cpu: Cpu, level: number, ext: number): { ss: number; esp: number } {
  if (cpu.trType & 8) {
    const offset = 4 + level * 8;
    if (offset + 5 > cpu.trLimit) throw new CpuFault(Vector.TS, (cpu.trSelector & ~3) | ext);
    return {
      esp: cpu.readLinear32((cpu.trBase + offset) >>> 0, false) >>> 0,
      ss: cpu.readLinear16((cpu.trBase + offset + 4) >>> 0, false),
    };
  }
  const offset = 2 + level * 4;
  if (offset + 3 > cpu.trLimit) throw new CpuFault(Vector.TS, (cpu.trSelector & ~3) | ext);
  return {
    esp: cpu.readLinear16((cpu.trBase + offset) >>> 0, false),
    ss: cpu.readLinear16((cpu.trBase + offset + 2) >>> 0, false),
  };
}

function validateNewStack(cpu: Cpu, ss: number, level: number, ext: number): Descriptor {
  if ((ss & ~3) === 0) throw new CpuFault(Vector.TS, ext);
  if ((ss & 3) !== level) throw new CpuFault(Vector.TS, (ss & ~3) | ext);
  const d = readDescriptor(cpu, ss, Vector.TS, ext);
  const attributes = descriptorAttributes(d);
  if (!(attributes & ATTR_S) || attributes & ATTR_CODE || !(attributes & ATTR_RW) || dpl(attributes) !== level) {
    throw new CpuFault(Vector.TS, (ss & ~3) | ext);
  }
  if (!(attributes & ATTR_P)) throw new CpuFault(Vector.SS, (ss & ~3) | ext);
  return d;
}

/**
 * Write `values` (first pushed first) below `esp` on the stack described by
 * `d`, without touching any register, and return the new stack pointer. A
 * fault here leaves the CPU as it was.
 */
function writeFrame(cpu: Cpu, d: Descriptor, esp: number, values: number[], wide: boolean): number {
  const size = wide ? 4 : 2;
  const big = (descriptorAttributes(d) & ATTR_DB) !== 0;
  const base = descriptorBase(d);
  const limit = descriptorLimit(d);
  const expandDown = (descriptorAttributes(d) & ATTR_DC) !== 0;
  let sp = esp;
  const total = values.length * size;
  const bottom = big ? (esp - total) >>> 0 : (esp - total) & 0xffff;
  const lowest = bottom;
  const highest = (bottom + total - 1) >>> 0;
  const inLimit = expandDown
    ? lowest > limit && highest <= (big ? 0xffffffff : 0xffff)
    : highest <= limit;
  if (!inLimit) throw new CpuFault(Vector.SS, 0);
  // Probe every page first so a #PF leaves memory untouched (a TLB write entry is proof enough).
  for (let offset = 0; offset < total; offset += 4096) probeSupervisorWrite(cpu, (base + bottom + offset) >>> 0);
  probeSupervisorWrite(cpu, (base + highest) >>> 0);
  for (const value of values) {
    sp = big ? (sp - size) >>> 0 : (sp - size) & 0xffff;
    if (wide) cpu.writeLinear32((base + sp) >>> 0, value, false);
    else cpu.writeLinear16((base + sp) >>> 0, value, false);
  }
  return big ? sp : (esp & 0xffff0000) | sp;
}

function probeSupervisorWrite(cpu: Cpu, linear: number): void {
  if (cpu.mmu.writeSupervisor[linear >>> 12] < 0) cpu.mmu.translate(linear, true, false);
}

/** Deliver an interrupt or exception through the IDT in protected mode (SDM Vol. 3A, 6.12). */
export function deliverInterrupt(cpu: Cpu, vector: number, errorCode: number, external: boolean, software: boolean): void {
  if (cpu.fastGates && fastDeliver(cpu, vector, errorCode, software)) return;
  const ext = external ? 1 : 0;
  const idtCode = vector * 8 + 2 + ext;
  if (vector * 8 + 7 > cpu.idtrLimit) throw new CpuFault(Vector.GP, idtCode);
  const address = (cpu.idtrBase + vector * 8) >>> 0;
  const gate: Descriptor = { low: cpu.readLinear32(address, false), high: cpu.readLinear32((address + 4) >>> 0, false), address };
  const attributes = descriptorAttributes(gate);
  const type = attributes & 0x1f;
  // 0x0e/0x0f: 32-bit interrupt/trap gate; 0x06/0x07: 16-bit; 0x05: task gate.
  if (type !== 0x0e && type !== 0x0f && type !== 0x06 && type !== 0x07 && type !== 0x05) throw new CpuFault(Vector.GP, idtCode);
  if (software && dpl(attributes) < cpu.cpl) throw new CpuFault(Vector.GP, vector * 8 + 2);
  if (!(attributes & ATTR_P)) throw new CpuFault(Vector.NP, idtCode);
  if (type === 0x05) {
    interruptThroughTaskGate(cpu, gate, errorCode, ext);
    return;
  }
  const fields = gateFields(gate);
  const gate32 = (type & 8) !== 0;
  const trapGate = (type & 1) !== 0;
  const selector = fields.selector;
  if ((selector & ~3) === 0) throw new CpuFault(Vector.GP, ext);
  const target = readDescriptor(cpu, selector, Vector.GP, ext);
  const targetAttributes = descriptorAttributes(target);
  const targetDpl = dpl(targetAttributes);
  if (!(targetAttributes & ATTR_S) || !(targetAttributes & ATTR_CODE) || targetDpl > cpu.cpl) {
    throw new CpuFault(Vector.GP, (selector & ~3) | ext);
  }
  if (!(targetAttributes & ATTR_P)) throw new CpuFault(Vector.NP, (selector & ~3) | ext);
  const eip = gate32 ? fields.offset : fields.offset & 0xffff;
  checkOffsetInLimit(target, eip);

  const oldFlags = cpu.flags.get();
  const oldCs = cpu.segSelector[CS];
  const returnEip = cpu.eip;
  const hasError = errorCode >= 0;
  if (!(targetAttributes & ATTR_DC) && targetDpl < cpu.cpl) {
    // Inner privilege: switch to the stack the TSS names for the handler's ring.
    const { ss, esp } = stackFromTss(cpu, targetDpl, ext);
    const ssDescriptor = validateNewStack(cpu, ss, targetDpl, ext);
    const frame = [cpu.segSelector[SS], cpu.reg32[ESP], oldFlags, oldCs, returnEip];
    if (hasError) frame.push(errorCode);
    const newEsp = writeFrame(cpu, ssDescriptor, esp, frame, gate32);
    loadCache(cpu, SS, ss, ssDescriptor);
    cpu.reg32[ESP] = newEsp;
    cpu.setCpl(targetDpl);
  } else {
    const frame = [oldFlags, oldCs, returnEip];
    if (hasError) frame.push(errorCode);
    const ssDescriptor: Descriptor = syntheticDescriptor(cpu, SS);
    const newEsp = writeFrame(cpu, ssDescriptor, cpu.reg32[ESP], frame, gate32);
    cpu.reg32[ESP] = newEsp;
  }
  loadCache(cpu, CS, (selector & ~3) | cpu.cpl, target);
  cpu.eip = eip | 0;
  let clear = FLAG_TF | FLAG_NT | FLAG_RF | FLAG_VM;
  if (!trapGate) clear |= FLAG_IF;
  cpu.flags.set(oldFlags & ~clear);
}

/** A descriptor image of what a segment register's cache holds (for frame writes on the current stack). */
function syntheticDescriptor(cpu: Cpu, seg: number): Descriptor {
  const base = cpu.segBase[seg] >>> 0;
  let limit = cpu.segLimit[seg];
  const attributes = cpu.segAttributes[seg];
  let granular = 0;
  if (limit > 0xfffff) {
    limit = limit >>> 12;
    granular = ATTR_G;
  }
  const flagsNibble = (attributes & 0xf000) | granular;
  const low = ((base & 0xffff) << 16) | (limit & 0xffff);
  const high = ((base >>> 16) & 0xff) | ((attributes & 0xff) << 8) | (limit & 0xf0000) | ((flagsNibble & 0xf000) << 8) | (base & 0xff000000);
  return { low, high, address: 0 };
}

/**
 * The code segment a far RET or IRET returns to: not null, RPL not below
 * CPL, a present code segment whose DPL suits the RPL (SDM Vol. 2A, RET and
 * IRET), and EIP within its limit.
 */
function returnCodeSegment(cpu: Cpu, selector: number, eip: number): Descriptor {
  const rpl = selector & 3;
  if ((selector & ~3) === 0) throw new CpuFault(Vector.GP, 0);
  if (rpl < cpu.cpl) throw new CpuFault(Vector.GP, selector & ~3);
  const d = readDescriptor(cpu, selector);
  const attributes = descriptorAttributes(d);
  if (!(attributes & ATTR_S) || !(attributes & ATTR_CODE)) throw new CpuFault(Vector.GP, selector & ~3);
  if (attributes & ATTR_DC ? dpl(attributes) > rpl : dpl(attributes) !== rpl) throw new CpuFault(Vector.GP, selector & ~3);
  if (!(attributes & ATTR_P)) throw new CpuFault(Vector.NP, selector & ~3);
  checkOffsetInLimit(d, eip);
  return d;
}

/** Far RET, RETF imm: return to the same or an outer privilege level. */
export function farReturn(cpu: Cpu, immediate: number): void {
  const o32 = cpu.o32;
  const size = o32 ? 4 : 2;
  if (!cpu.protectedMode || cpu.flags.bits & FLAG_VM) {
    const eip = cpu.pop();
    const cs = cpu.pop() & 0xffff;
    cpu.loadRealSegment(CS, cs);
    cpu.eip = eip | 0;
    cpu.sp = cpu.sp + immediate;
    return;
  }
  const eip = cpu.peekStack(0, size) >>> 0;
  const selector = cpu.peekStack(size, size) & 0xffff;
  const rpl = selector & 3;
  const d = returnCodeSegment(cpu, selector, eip);
  if (rpl === cpu.cpl) {
    loadCache(cpu, CS, selector, d);
    cpu.eip = eip | 0;
    cpu.sp = cpu.sp + 2 * size + immediate;
    return;
  }
  // Return to an outer level: the caller's SS:ESP sits above the parameters.
  const newEsp = cpu.peekStack(2 * size + immediate, size) >>> 0;
  const newSs = cpu.peekStack(3 * size + immediate, size) & 0xffff;
  const ssDescriptor = checkOuterStack(cpu, newSs, rpl);
  loadCache(cpu, CS, selector, d);
  cpu.setCpl(rpl);
  loadCache(cpu, SS, newSs, ssDescriptor);
  cpu.reg32[ESP] = (o32 ? newEsp : newEsp & 0xffff) + immediate;
  nullInaccessibleSegments(cpu);
  cpu.eip = eip | 0;
}

function checkOuterStack(cpu: Cpu, ss: number, rpl: number): Descriptor {
  if ((ss & ~3) === 0) throw new CpuFault(Vector.GP, 0);
  if ((ss & 3) !== rpl) throw new CpuFault(Vector.GP, ss & ~3);
  const d = readDescriptor(cpu, ss);
  const attributes = descriptorAttributes(d);
  if (!(attributes & ATTR_S) || attributes & ATTR_CODE || !(attributes & ATTR_RW) || dpl(attributes) !== rpl) {
    throw new CpuFault(Vector.GP, ss & ~3);
  }
  if (!(attributes & ATTR_P)) throw new CpuFault(Vector.SS, ss & ~3);
  return d;
}

/** After a return to an outer ring, data segments the new CPL may not use become null (SDM Vol. 2A, RET). */
function nullInaccessibleSegments(cpu: Cpu): void {
  for (const seg of [ES, DS, FS, GS]) {
    if (!cpu.segUsable[seg]) continue;
    const attributes = cpu.segAttributes[seg];
    const conformingCode = (attributes & (ATTR_CODE | ATTR_DC)) === (ATTR_CODE | ATTR_DC);
    if (!conformingCode && dpl(attributes) < cpu.cpl) {
      cpu.segSelector[seg] = 0;
      cpu.segUsable[seg] = false;
      cpu.segmentChanged(seg);
    }
  }
}

/** IRET / IRETD. */
export function interruptReturn(cpu: Cpu): void {
  const o32 = cpu.o32;
  const size = o32 ? 4 : 2;
  if (!cpu.protectedMode) {
    const eip = cpu.peekStack(0, size) >>> 0;
    const cs = cpu.peekStack(size, size) & 0xffff;
    const flags = cpu.peekStack(2 * size, size);
    cpu.sp = cpu.sp + 3 * size;
    cpu.loadRealSegment(CS, cs);
    cpu.eip = o32 ? eip | 0 : eip & 0xffff;
    const mask = o32 ? 0x00257fd5 : 0x7fd5;
    cpu.flags.setMasked(flags, mask);
    cpu.endNmiBlocking();
    cpu.checkInterrupts = true;
    return;
  }
  if (o32 && cpu.fastGates && fastInterruptReturn(cpu)) return;
  if (cpu.flags.bits & FLAG_NT) {
    returnFromTask(cpu);
    return;
  }
  const eip = cpu.peekStack(0, size) >>> 0;
  const selector = cpu.peekStack(size, size) & 0xffff;
  const newFlags = cpu.peekStack(2 * size, size) >>> 0;
  const rpl = selector & 3;
  const d = returnCodeSegment(cpu, selector, eip);

  // Which flags this IRET may change, judged at the CPL before the return.
  const iopl = (cpu.flags.bits >> 12) & 3;
  let mask = o32 ? 0x00257fd5 & ~FLAG_VM : 0x7fd5;
  if (cpu.cpl > 0) mask &= ~0x3000;
  if (cpu.cpl > iopl) mask &= ~FLAG_IF;

  if (rpl === cpu.cpl) {
    loadCache(cpu, CS, selector, d);
    cpu.sp = cpu.sp + 3 * size;
  } else {
    const newEsp = cpu.peekStack(3 * size, size) >>> 0;
    const newSs = cpu.peekStack(4 * size, size) & 0xffff;
    const ssDescriptor = checkOuterStack(cpu, newSs, rpl);
    loadCache(cpu, CS, selector, d);
    cpu.setCpl(rpl);
    loadCache(cpu, SS, newSs, ssDescriptor);
    cpu.reg32[ESP] = o32 ? newEsp : newEsp & 0xffff;
    nullInaccessibleSegments(cpu);
  }
  cpu.eip = o32 ? eip | 0 : eip & 0xffff;
  cpu.flags.setMasked(newFlags, mask | (FLAG_AC & mask));
  cpu.endNmiBlocking();
  cpu.checkInterrupts = true;
}

/** LLDT. */
export function loadLdt(cpu: Cpu, selector: number): void {
  if ((selector & ~3) === 0) {
    cpu.ldtrSelector = selector;
    cpu.ldtrBase = 0;
    cpu.ldtrLimit = 0;
    return;
  }
  if (selector & 4) throw new CpuFault(Vector.GP, selector & ~3);
  const d = readDescriptor(cpu, selector);
  const attributes = descriptorAttributes(d);
  if (attributes & ATTR_S || (attributes & 0xf) !== 2) throw new CpuFault(Vector.GP, selector & ~3);
  if (!(attributes & ATTR_P)) throw new CpuFault(Vector.NP, selector & ~3);
  cpu.ldtrSelector = selector;
  cpu.ldtrBase = descriptorBase(d) | 0;
  cpu.ldtrLimit = descriptorLimit(d);
}

/** LTR: load the task register from an available TSS descriptor and mark it busy. */
export function loadTaskRegister(cpu: Cpu, selector: number): void {
  if ((selector & ~3) === 0) throw new CpuFault(Vector.GP, 0);
  if (selector & 4) throw new CpuFault(Vector.GP, selector & ~3);
  const d = readDescriptor(cpu, selector);
  const attributes = descriptorAttributes(d);
  const type = attributes & 0xf;
  if (attributes & ATTR_S || (type !== 1 && type !== 9)) throw new CpuFault(Vector.GP, selector & ~3);
  if (!(attributes & ATTR_P)) throw new CpuFault(Vector.NP, selector & ~3);
  d.high |= 2 << 8; // busy
  cpu.writeLinear32((d.address + 4) >>> 0, d.high, false);
  cpu.trSelector = selector;
  cpu.trBase = descriptorBase(d) | 0;
  cpu.trLimit = descriptorLimit(d);
  cpu.trType = type | 2;
}

/**
 * The visibility rules shared by LAR, LSL, VERR and VERW: returns the
 * descriptor when the selector names one visible at CPL/RPL, else null.
 */
export function visibleDescriptor(cpu: Cpu, selector: number, forLsl: boolean, forLar: boolean): Descriptor | null {
  if ((selector & ~3) === 0) return null;
  let d: Descriptor;
  try {
    d = readDescriptor(cpu, selector);
  } catch (error) {
    if (error instanceof CpuFault) return null;
    throw error;
  }
  const attributes = descriptorAttributes(d);
  if (!(attributes & ATTR_S)) {
    const type = attributes & 0xf;
    const allowed = forLsl ? [1, 2, 3, 9, 11] : forLar ? [1, 2, 3, 4, 5, 9, 11, 12] : [];
    if (!allowed.includes(type)) return null;
  }
  const conformingCode = (attributes & (ATTR_S | ATTR_CODE | ATTR_DC)) === (ATTR_S | ATTR_CODE | ATTR_DC);
  if (!conformingCode && (dpl(attributes) < cpu.cpl || dpl(attributes) < (selector & 3))) return null;
  return d;
}

export { ATTR_ACCESSED, ATTR_DB, ATTR_G, DS };

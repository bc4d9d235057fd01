// The common privilege switches without allocation: INT n, exceptions and
// IRQs through a 32-bit interrupt or trap gate, and IRETD, when every table
// entry, stack slot and descriptor they touch is in plain RAM the TLB
// already maps.
//
// These are the fast paths of deliverInterrupt and interruptReturn in
// system.ts, which stay the reference. Each function here checks every
// condition first and changes nothing unless it can finish; otherwise it
// returns false and the caller runs the general path, which raises the
// right fault (or handles what is not common: LDT selectors, 16-bit gates
// and stacks, expand-down stacks, unaligned tables, MMIO, code pages). So a
// fast path never faults, and the two paths leave identical state: the
// differential tests against QEMU and test/cpu/gates.test.ts (which runs
// every case both ways) check that.
//
// Descriptors are read as two dwords; bit positions below are those of the
// high dword (SDM Vol. 3A, 3.4.5 and 6.11).

import { CS, ESP, SS, type Cpu } from './cpu.ts';
import { FLAG_IF, FLAG_NT, FLAG_RF, FLAG_TF, FLAG_VM } from './flags.ts';

const HIGH_CODE = 1 << 11;
const HIGH_S = 1 << 12;
const HIGH_P = 1 << 15;
const HIGH_RW = 1 << 9;
const HIGH_DC = 1 << 10;
const HIGH_DB = 1 << 22;
const HIGH_G = 1 << 23;
/** P, S = 0 and type 0xE or 0xF: a present 32-bit interrupt or trap gate. */
const GATE_MASK = HIGH_P | HIGH_S | (0xe << 8);
const GATE_32 = HIGH_P | (0xe << 8);
/** P, S, code, conforming / expand-down and writable: a present, expand-up, writable data segment. */
const STACK_MASK = HIGH_P | HIGH_S | HIGH_CODE | HIGH_DC | HIGH_RW;
const STACK_OK = HIGH_P | HIGH_S | HIGH_RW;
const ATTR_DB = 1 << 14;
const ATTR_DC = 1 << 2;
const ATTR_CODE = 1 << 3;

/** Descriptor fields of the last lookup (no object per lookup). */
let low = 0;
let high = 0;

/**
 * Read the GDT descriptor `selector` names into low/high: false for a null
 * or LDT selector, one past the GDT limit, or one the supervisor TLB does not
 * map as RAM (the general path handles them).
 */
function readGdtEntry(cpu: Cpu, selector: number): boolean {
  if ((selector & ~3) === 0 || selector & 4) return false;
  const index = selector & 0xfff8;
  if (index + 7 > cpu.gdtrLimit) return false;
  return readPair(cpu, (cpu.gdtrBase + index) | 0);
}

/** Two dwords at `linear` (supervisor read) into low/high; false unless they are mapped RAM on one page. */
function readPair(cpu: Cpu, linear: number): boolean {
  if ((linear & 0xfff) > 0xff8) return false;
  const entry = cpu.mmu.readSupervisor[linear >>> 12];
  if (entry < 0) return false;
  const address = entry | (linear & 0xfff);
  if ((address & 3) === 0) {
    low = cpu.ram32[address >> 2];
    high = cpu.ram32[(address >> 2) + 1];
  } else {
    const ram = cpu.ram;
    low = ram[address] | (ram[address + 1] << 8) | (ram[address + 2] << 16) | (ram[address + 3] << 24);
    high = ram[address + 4] | (ram[address + 5] << 8) | (ram[address + 6] << 16) | (ram[address + 7] << 24);
  }
  return true;
}

/**
 * A descriptor's limit in bytes as a signed 32-bit value (compare it after
 * `>>> 0`): a 4 GiB limit is -1, so the result is never a heap number.
 */
function limitOf(l: number, h: number): number {
  const raw = (l & 0xffff) | (h & 0xf0000);
  return h & HIGH_G ? (raw << 12) | 0xfff : raw;
}

/** Load a segment register's cache from a descriptor (what system.ts loadCache does). */
function loadCache(cpu: Cpu, seg: number, selector: number, l: number, h: number): void {
  cpu.segSelector[seg] = selector;
  cpu.segBase[seg] = (l >>> 16) | ((h & 0xff) << 16) | (h & 0xff000000);
  const limit = limitOf(l, h);
  cpu.segLimit[seg] = limit;
  cpu.segAttributes[seg] = (h >>> 8) & 0xf0ff;
  cpu.segUsable[seg] = true;
  // What Cpu.segmentChanged works out, for a present code or data segment in protected mode.
  const whole = limit === -1;
  const code = (h & HIGH_CODE) !== 0;
  const flat = whole && (code || !(h & HIGH_DC));
  cpu.segFlatRead[seg] = flat && (!code || (h & HIGH_RW) !== 0) ? 1 : 0;
  cpu.segFlatWrite[seg] = flat && !code && (h & HIGH_RW) !== 0 ? 1 : 0;
  if (seg === CS) cpu.flatCode = whole && (h & HIGH_DB) !== 0;
}

/**
 * The supervisor-writable RAM address of each of the `count` dwords from
 * `linear` up, into SLOTS; false unless they all are aligned plain RAM
 * (not a code page) on at most two pages.
 */
const SLOTS = new Int32Array(8);
function writableSlots(cpu: Cpu, linear: number, count: number): boolean {
  if (linear & 3) return false;
  const table = cpu.mmu.writeSupervisor;
  const first = table[linear >>> 12];
  const lastLinear = (linear + 4 * count - 4) | 0;
  const last = table[lastLinear >>> 12];
  if (first < 0 || last < 0) return false;
  for (let k = 0; k < count; k++) {
    const slot = (linear + 4 * k) | 0;
    SLOTS[k] = ((slot >>> 12 === linear >>> 12 ? first : last) | (slot & 0xfff)) >> 2;
  }
  return true;
}

/**
 * Deliver `vector` in protected mode through a present 32-bit interrupt or
 * trap gate whose code segment is in the GDT, switching to the ring-0..2
 * stack the 32-bit TSS names when the handler is more privileged. Returns
 * false, having changed nothing, for anything else.
 */
export function fastDeliver(cpu: Cpu, vector: number, errorCode: number, software: boolean): boolean {
  const flags = cpu.flags;
  if (flags.bits & FLAG_VM || vector * 8 + 7 > cpu.idtrLimit) return false;
  if (!readPair(cpu, (cpu.idtrBase + vector * 8) | 0)) return false;
  const gateLow = low;
  const gateHigh = high;
  if ((gateHigh & GATE_MASK) !== GATE_32) return false;
  const cpl = cpu.cpl;
  if (software && ((gateHigh >>> 13) & 3) < cpl) return false;
  const selector = gateLow >>> 16;
  const eip = (gateHigh & 0xffff0000) | (gateLow & 0xffff);
  if (!readGdtEntry(cpu, selector)) return false;
  const codeLow = low;
  const codeHigh = high;
  if ((codeHigh & (HIGH_P | HIGH_S | HIGH_CODE)) !== (HIGH_P | HIGH_S | HIGH_CODE)) return false;
  const targetDpl = (codeHigh >>> 13) & 3;
  if (targetDpl > cpl || eip >>> 0 > limitOf(codeLow, codeHigh) >>> 0) return false;
  const words = errorCode >= 0 ? 6 : 5;

  const oldFlags = flags.get();
  const returnEip = cpu.eip;
  const oldCs = cpu.segSelector[CS];
  if (!(codeHigh & HIGH_DC) && targetDpl < cpl) {
    // Inner ring: the new SS:ESP from the 32-bit TSS, and the old SS:ESP on the new stack.
    if (!(cpu.trType & 8)) return false;
    const offset = 4 + targetDpl * 8;
    if (offset + 5 > cpu.trLimit || !readPair(cpu, (cpu.trBase + offset) | 0)) return false;
    const esp = low >>> 0;
    const ss = high & 0xffff;
    if ((ss & 3) !== targetDpl || !readGdtEntry(cpu, ss)) return false;
    const stackLow = low;
    const stackHigh = high;
    if ((stackHigh & STACK_MASK) !== STACK_OK || !(stackHigh & HIGH_DB) || ((stackHigh >>> 13) & 3) !== targetDpl) return false;
    const total = words * 4;
    if (esp < total || esp - 1 > limitOf(stackLow, stackHigh) >>> 0) return false;
    const stackBase = (stackLow >>> 16) | ((stackHigh & 0xff) << 16) | (stackHigh & 0xff000000);
    const newEsp = esp - total;
    if (!writableSlots(cpu, (stackBase + newEsp) | 0, words)) return false;
    const ram32 = cpu.ram32;
    let k = 0;
    if (errorCode >= 0) ram32[SLOTS[k++]] = errorCode;
    ram32[SLOTS[k++]] = returnEip;
    ram32[SLOTS[k++]] = oldCs;
    ram32[SLOTS[k++]] = oldFlags;
    ram32[SLOTS[k++]] = cpu.reg32[ESP];
    ram32[SLOTS[k]] = cpu.segSelector[SS];
    loadCache(cpu, SS, ss, stackLow, stackHigh);
    cpu.reg32[ESP] = newEsp;
    cpu.setCpl(targetDpl);
  } else {
    // Same ring: the frame goes on the current 32-bit, expand-up stack.
    const attributes = cpu.segAttributes[SS];
    if (!(attributes & ATTR_DB) || attributes & ATTR_DC || !cpu.segUsable[SS]) return false;
    const esp = cpu.reg32[ESP] >>> 0;
    const total = (words - 2) * 4;
    if (esp < total || esp - 1 > cpu.segLimit[SS]) return false;
    const newEsp = esp - total;
    if (!writableSlots(cpu, (cpu.segBase[SS] + newEsp) | 0, words - 2)) return false;
    const ram32 = cpu.ram32;
    let k = 0;
    if (errorCode >= 0) ram32[SLOTS[k++]] = errorCode;
    ram32[SLOTS[k++]] = returnEip;
    ram32[SLOTS[k++]] = oldCs;
    ram32[SLOTS[k]] = oldFlags;
    cpu.reg32[ESP] = newEsp;
  }
  loadCache(cpu, CS, (selector & ~3) | cpu.cpl, codeLow, codeHigh);
  cpu.eip = eip;
  let clear = FLAG_TF | FLAG_NT | FLAG_RF | FLAG_VM;
  if (!(gateHigh & (1 << 8))) clear |= FLAG_IF; // an interrupt gate (not a trap gate) clears IF
  flags.set(oldFlags & ~clear);
  return true;
}

/**
 * IRETD in protected mode without NT, to a GDT code segment at the same or
 * an outer ring, from a 32-bit expand-up stack the TLB maps. Returns false,
 * having changed nothing, for anything else.
 */
export function fastInterruptReturn(cpu: Cpu): boolean {
  const flags = cpu.flags;
  const oldBits = flags.bits;
  if (oldBits & (FLAG_NT | FLAG_VM)) return false;
  const attributes = cpu.segAttributes[SS];
  if (!(attributes & ATTR_DB) || attributes & ATTR_DC || !cpu.segUsable[SS]) return false;
  const cpl = cpu.cpl;
  const esp = cpu.reg32[ESP] >>> 0;
  // Three dwords (five for a return to an outer ring, checked below) within the stack limit and one page.
  if (esp > 0xffffffec || esp + 11 > cpu.segLimit[SS]) return false;
  const linear = (cpu.segBase[SS] + esp) | 0;
  if (linear & 3 || (linear & 0xfff) > 0xff4) return false;
  const entry = cpu.tlbRead[linear >>> 12];
  if (entry < 0) return false;
  const word = (entry | (linear & 0xfff)) >> 2;
  const ram32 = cpu.ram32;
  const eip = ram32[word];
  const selector = ram32[word + 1] & 0xffff;
  const newFlags = ram32[word + 2];
  const rpl = selector & 3;
  if (rpl < cpl || !readGdtEntry(cpu, selector)) return false;
  const codeLow = low;
  const codeHigh = high;
  if ((codeHigh & (HIGH_P | HIGH_S | HIGH_CODE)) !== (HIGH_P | HIGH_S | HIGH_CODE)) return false;
  const codeDpl = (codeHigh >>> 13) & 3;
  if (codeHigh & HIGH_DC ? codeDpl > rpl : codeDpl !== rpl) return false;
  if (eip >>> 0 > limitOf(codeLow, codeHigh) >>> 0) return false;

  // Which flags this IRET may change, judged at the CPL before the return (as interruptReturn).
  const iopl = (oldBits >> 12) & 3;
  let mask = 0x00257fd5 & ~FLAG_VM;
  if (cpl > 0) mask &= ~0x3000;
  if (cpl > iopl) mask &= ~FLAG_IF;

  if (rpl === cpl) {
    loadCache(cpu, CS, selector, codeLow, codeHigh);
    cpu.reg32[ESP] = esp + 12;
  } else {
    if (esp + 19 > cpu.segLimit[SS] || (linear & 0xfff) > 0xfec) return false;
    const newEsp = ram32[word + 3];
    const newSs = ram32[word + 4] & 0xffff;
    if ((newSs & 3) !== rpl || !readGdtEntry(cpu, newSs)) return false;
    const stackLow = low;
    const stackHigh = high;
    if ((stackHigh & (HIGH_P | HIGH_S | HIGH_CODE | HIGH_RW)) !== (HIGH_P | HIGH_S | HIGH_RW) || ((stackHigh >>> 13) & 3) !== rpl) return false;
    loadCache(cpu, CS, selector, codeLow, codeHigh);
    cpu.setCpl(rpl);
    loadCache(cpu, SS, newSs, stackLow, stackHigh);
    cpu.reg32[ESP] = newEsp;
    // Data segments the outer ring may not use become null (ES, DS, FS, GS): straight-line
    // tests first, as usually none does.
    const data = cpu.segAttributes;
    if (nulledFor(data[0], rpl) | nulledFor(data[3], rpl) | nulledFor(data[4], rpl) | nulledFor(data[5], rpl)) {
      nullOuterSegments(cpu, rpl);
    }
  }
  cpu.eip = eip;
  // The mask covers every arithmetic flag, so the lazy ones need not be computed first.
  flags.set((oldBits & ~mask) | (newFlags & mask));
  cpu.endNmiBlocking();
  // Only a return that sets IF, or TF, can make something deliverable or need the single-step path.
  const bits = flags.bits;
  if (bits & FLAG_TF || (bits & FLAG_IF && !(oldBits & FLAG_IF))) cpu.checkInterrupts = true;
  return true;
}

/** 1 when a data segment cache with these attributes (if usable) becomes null on a return to ring `rpl`. */
function nulledFor(data: number, rpl: number): number {
  return (data & (ATTR_CODE | ATTR_DC)) !== (ATTR_CODE | ATTR_DC) && ((data >> 5) & 3) < rpl ? 1 : 0;
}

/** Null the usable data segments (ES, DS, FS, GS) ring `rpl` may not use, as interruptReturn does. */
function nullOuterSegments(cpu: Cpu, rpl: number): void {
  for (let seg = 0; seg < 6; seg++) {
    if (seg === CS || seg === SS || !cpu.segUsable[seg]) continue;
    if (nulledFor(cpu.segAttributes[seg], rpl)) {
      cpu.segSelector[seg] = 0;
      cpu.segUsable[seg] = false;
      cpu.segmentChanged(seg);
    }
  }
}

// Hardware task switching: far JMP and CALL to a TSS descriptor or a task
// gate, interrupts and exceptions through a task gate in the IDT, and IRET
// with EFLAGS.NT set, back to the task named by the back-link field.
//
// Follows Intel SDM Vol. 3A chapter 7 (7.3 the switch step by step, table
// 7-1 its checks, 7.4 nesting and the busy bit) and the task-gate and TSS
// branches of the JMP, CALL, INT n and IRET pseudo-code in Vol. 2. 32-bit
// TSSs (types 9/11) and 16-bit ones (types 1/3) are both handled.
//
// A switch has a commit point. Before it come the checks that leave the old
// task untouched: the TSS selector and descriptor (type, busy bit, present,
// limit), and that every byte the switch will store to (the old TSS's state
// area, the new TSS's back-link, both busy bits in the GDT) is mapped
// writable, so no page fault can stop it halfway. Then the old task's state
// is saved, the busy bits, NT and the back-link are updated, and the new
// task's registers, EFLAGS, TR and CR3 are loaded. After it the new LDT and
// segment descriptors are checked and loaded; a fault there is delivered in
// the new task's context at its first instruction, as the SDM says (the run
// loop rolls a fault back to startEip/startEsp, which the commit moves into
// the new task). Segment registers not yet loaded at such a fault hold the
// new selector: CS and SS keep the old task's descriptor cache, the data
// registers are unusable (the SDM leaves this state undefined).
//
// Quirks kept from the hardware: the old task's CR3 and LDTR are not saved
// (they never change without the OS knowing); CR3 is loaded only when paging
// is on; a 16-bit TSS leaves the upper halves of the general registers and
// of EFLAGS as they were, and FS and GS null. Not modelled: a TSS whose
// EFLAGS has VM set is loaded with VM clear (no virtual-8086 mode).

import { ATTR_CODE, ATTR_DC, ATTR_P, ATTR_RW, ATTR_S, CR0_PG, CR0_TS, CS, CpuFault, ESP, SS, Vector, type Cpu } from './cpu.ts';
import { FLAG_NT, FLAG_VM } from './flags.ts';
import {
  descriptorAttributes, descriptorBase, descriptorLimit, dpl, loadCache, readDescriptor, setAccessed, type Descriptor,
} from './system.ts';

/** What started a switch, which decides busy bits, NT and the back-link (SDM 3A 7.4, table 7-2). */
export const enum SwitchKind {
  /** JMP: the old task becomes available, no link. */
  Jump,
  /** CALL, INT n, an exception or an interrupt: the old task stays busy and the new one links back to it. */
  Nested,
  /** IRET with NT: back to the linked task; the old one becomes available. */
  Return,
}

/** System descriptor types (the S bit clear) a task switch uses. */
const TYPE_TSS16_AVAILABLE = 1;
const TYPE_TSS16_BUSY = 3;
const TYPE_TASK_GATE = 5;
const TYPE_TSS32_AVAILABLE = 9;
const TYPE_TSS32_BUSY = 11;
/** The busy bit of a TSS descriptor's type, in its high dword. */
const DESCRIPTOR_BUSY = 2 << 8;
const TYPE_LDT = 2;

/** The fields of a TSS that a switch reads and writes (SDM 3A figures 7-2 and 7-11). */
interface TssLayout {
  /** The smallest limit such a TSS may have. */
  minimumLimit: number;
  /** Bytes per EIP, EFLAGS and general-register field. */
  fieldBytes: number;
  eip: number;
  eflags: number;
  /** EAX ECX EDX EBX ESP EBP ESI EDI, in ModRM order. */
  registers: number;
  /** ES CS SS DS FS GS (16-bit: ES CS SS DS), one 16-bit selector per slot. */
  segments: number;
  segmentSlotBytes: number;
  segmentCount: number;
  ldt: number;
}

const TSS32: TssLayout = {
  minimumLimit: 0x67, fieldBytes: 4, eip: 0x20, eflags: 0x24, registers: 0x28,
  segments: 0x48, segmentSlotBytes: 4, segmentCount: 6, ldt: 0x60,
};
const TSS16: TssLayout = {
  minimumLimit: 0x2b, fieldBytes: 2, eip: 0x0e, eflags: 0x10, registers: 0x12,
  segments: 0x22, segmentSlotBytes: 2, segmentCount: 4, ldt: 0x2a,
};
const TSS_BACK_LINK = 0x00;
const TSS32_CR3 = 0x1c;
/** Bit 0: the debug trap flag, #DB as the new task starts. */
const TSS32_TRAP = 0x64;
/** DR7 L0-L3: local breakpoints, cleared by every task switch (SDM 3A 17.2.4). */
const DR7_LOCAL_ENABLES = 0x55;
const DR6_BT = 1 << 15;

/** True for the system descriptor types a far JMP or CALL switches tasks through. */
export function isTaskTarget(type: number): boolean {
  return type === TYPE_TSS16_AVAILABLE || type === TYPE_TSS32_AVAILABLE || type === TYPE_TASK_GATE;
}

/**
 * Far JMP or CALL to an available TSS descriptor or a task gate in the GDT or
 * LDT: the descriptor's DPL must admit CPL and RPL, then the switch. A busy
 * TSS is not a valid target (the caller's #GP).
 */
export function transferToTask(cpu: Cpu, selector: number, d: Descriptor, kind: SwitchKind.Jump | SwitchKind.Nested, returnEip: number): void {
  const attributes = descriptorAttributes(d);
  const code = selector & ~3;
  if (dpl(attributes) < cpu.cpl || dpl(attributes) < (selector & 3)) throw new CpuFault(Vector.GP, code);
  if (!(attributes & ATTR_P)) throw new CpuFault(Vector.NP, code);
  if ((attributes & 0xf) === TYPE_TASK_GATE) {
    const tss = taskGateTarget(cpu, d, 0);
    switchTask(cpu, tss.selector, tss.descriptor, kind, returnEip, -1, 0);
  } else {
    switchTask(cpu, selector, d, kind, returnEip, -1, 0);
  }
}

/**
 * An interrupt or exception through a task gate in the IDT (the gate's DPL
 * and present bit already checked): a nested switch, then the error code,
 * if the exception has one, pushed on the new task's stack.
 */
export function interruptThroughTaskGate(cpu: Cpu, gate: Descriptor, errorCode: number, ext: number): void {
  const tss = taskGateTarget(cpu, gate, ext);
  switchTask(cpu, tss.selector, tss.descriptor, SwitchKind.Nested, cpu.eip, errorCode, ext);
}

/** IRET with NT set: return to the busy task whose selector is the current TSS's back-link. */
export function returnFromTask(cpu: Cpu): void {
  const selector = cpu.readLinear16((cpu.trBase + TSS_BACK_LINK) >>> 0, false);
  const code = selector & ~3;
  if (selector & 4) throw new CpuFault(Vector.TS, code);
  const d = readDescriptor(cpu, selector, Vector.TS);
  const attributes = descriptorAttributes(d);
  const type = attributes & (ATTR_S | 0xf);
  if (type !== TYPE_TSS16_BUSY && type !== TYPE_TSS32_BUSY) throw new CpuFault(Vector.TS, code);
  if (!(attributes & ATTR_P)) throw new CpuFault(Vector.NP, code);
  switchTask(cpu, selector, d, SwitchKind.Return, cpu.eip, -1, 0);
  cpu.endNmiBlocking();
}

/** The available TSS a task gate names: it must be in the GDT, available and present. */
function taskGateTarget(cpu: Cpu, gate: Descriptor, ext: number): { selector: number; descriptor: Descriptor } {
  const selector = gate.low >>> 16;
  const code = (selector & ~3) | ext;
  if (selector & 4) throw new CpuFault(Vector.GP, code);
  const descriptor = readDescriptor(cpu, selector, Vector.GP, ext);
  const attributes = descriptorAttributes(descriptor);
  const type = attributes & (ATTR_S | 0xf);
  if (type !== TYPE_TSS16_AVAILABLE && type !== TYPE_TSS32_AVAILABLE) throw new CpuFault(Vector.GP, code);
  if (!(attributes & ATTR_P)) throw new CpuFault(Vector.NP, code);
  return { selector, descriptor };
}

/**
 * The switch to the task whose TSS descriptor is `d` (SDM 3A 7.3 steps 3-14).
 * `returnEip` is what the old task resumes at; `errorCode` (>= 0) is pushed
 * on the new task's stack; `ext` is ORed into error codes of faults.
 */
function switchTask(cpu: Cpu, selector: number, d: Descriptor, kind: SwitchKind, returnEip: number, errorCode: number, ext: number): void {
  const attributes = descriptorAttributes(d);
  const wide = (attributes & 8) !== 0;
  const layout = wide ? TSS32 : TSS16;
  const base = descriptorBase(d);
  const limit = descriptorLimit(d);
  if (selector & 4 || limit < layout.minimumLimit) throw new CpuFault(Vector.TS, (selector & ~3) | ext);

  // Everything the commit stores to must be known writable before the first store.
  const oldWide = (cpu.trType & 8) !== 0;
  const oldLayout = oldWide ? TSS32 : TSS16;
  const oldBase = cpu.trBase >>> 0;
  const stateEnd = oldLayout.segments + oldLayout.segmentCount * oldLayout.segmentSlotBytes;
  probeSupervisor(cpu, oldBase + oldLayout.eip, stateEnd - oldLayout.eip, true);
  probeSupervisor(cpu, base, layout.minimumLimit + 1, false);
  if (kind === SwitchKind.Nested) probeSupervisor(cpu, base + TSS_BACK_LINK, 2, true);
  const oldDescriptorHigh = kind === SwitchKind.Nested ? -1 : tssDescriptorHighAddress(cpu, cpu.trSelector);
  if (oldDescriptorHigh >= 0) probeSupervisor(cpu, oldDescriptorHigh, 4, true);
  if (kind !== SwitchKind.Return) probeSupervisor(cpu, d.address + 4, 4, true);

  // Save the old task (step 8); an IRET's old task is no longer nested (step 7).
  const oldFlags = cpu.flags.get() & ~(kind === SwitchKind.Return ? FLAG_NT : 0);
  writeField(cpu, oldBase + oldLayout.eip, returnEip, oldWide);
  writeField(cpu, oldBase + oldLayout.eflags, oldFlags, oldWide);
  for (let r = 0; r < 8; r++) writeField(cpu, oldBase + oldLayout.registers + r * oldLayout.fieldBytes, cpu.reg32[r], oldWide);
  for (let seg = 0; seg < oldLayout.segmentCount; seg++) {
    cpu.writeLinear16((oldBase + oldLayout.segments + seg * oldLayout.segmentSlotBytes) >>> 0, cpu.segSelector[seg], false);
  }

  // Read the new task.
  const newEip = readField(cpu, base + layout.eip, wide);
  let newFlags = readField(cpu, base + layout.eflags, wide);
  const registers: number[] = [];
  for (let r = 0; r < 8; r++) registers.push(readField(cpu, base + layout.registers + r * layout.fieldBytes, wide));
  const selectors = [0, 0, 0, 0, 0, 0];
  for (let seg = 0; seg < layout.segmentCount; seg++) {
    selectors[seg] = cpu.readLinear16((base + layout.segments + seg * layout.segmentSlotBytes) >>> 0, false);
  }
  const ldt = cpu.readLinear16((base + layout.ldt) >>> 0, false);
  const cr3 = wide ? cpu.readLinear32((base + TSS32_CR3) >>> 0, false) : 0;
  const debugTrap = wide && (cpu.readLinear16((base + TSS32_TRAP) >>> 0, false) & 1) !== 0;

  // Busy bits, back-link and NT (steps 6, 9, 10; SDM 3A table 7-2).
  if (oldDescriptorHigh >= 0) setBusy(cpu, oldDescriptorHigh, false);
  if (kind === SwitchKind.Nested) {
    cpu.writeLinear16((base + TSS_BACK_LINK) >>> 0, cpu.trSelector, false);
    newFlags |= FLAG_NT;
  }
  if (kind !== SwitchKind.Return) setBusy(cpu, d.address + 4, true);

  // Commit (steps 11 and 12): from here on, faults belong to the new task.
  cpu.cr0 |= CR0_TS;
  cpu.trSelector = selector;
  cpu.trBase = base | 0;
  cpu.trLimit = limit;
  cpu.trType = (attributes & 0xf) | 2;
  if (wide && cpu.cr0 & CR0_PG) cpu.setCr3(cr3);
  if (wide) {
    cpu.eip = newEip | 0;
    cpu.flags.set(newFlags & ~FLAG_VM);
    for (let r = 0; r < 8; r++) cpu.reg32[r] = registers[r];
  } else {
    cpu.eip = newEip & 0xffff;
    cpu.flags.set((cpu.flags.get() & 0xffff0000) | (newFlags & 0xffff));
    for (let r = 0; r < 8; r++) cpu.reg16[r * 2] = registers[r];
  }
  for (let seg = 0; seg < 6; seg++) {
    cpu.segSelector[seg] = selectors[seg];
    if (seg !== CS && seg !== SS) cpu.segUsable[seg] = false;
    cpu.segmentChanged(seg);
  }
  cpu.setCpl(selectors[CS] & 3);
  cpu.ldtrSelector = ldt & ~4;
  cpu.ldtrBase = 0;
  cpu.ldtrLimit = 0;
  cpu.dr[7] &= ~DR7_LOCAL_ENABLES;
  cpu.startEip = cpu.eip;
  cpu.startEsp = cpu.reg32[ESP];
  cpu.checkInterrupts = true;

  // The new task's descriptors (step 13).
  loadTaskLdt(cpu, ldt, ext);
  loadTaskCode(cpu, selectors[CS], ext);
  loadTaskStack(cpu, selectors[SS], ext);
  for (const seg of [0, 3, 4, 5]) loadTaskData(cpu, seg, selectors[seg], ext); // ES DS FS GS

  if (errorCode >= 0) {
    if (wide) cpu.push32(errorCode);
    else cpu.push16(errorCode);
  }
  if (cpu.eip >>> 0 > cpu.segLimit[CS]) throw new CpuFault(Vector.GP, ext);
  if (debugTrap) {
    // A trap before the new task's first instruction (SDM 3A 17.2.3, DR6.BT).
    cpu.dr[6] |= DR6_BT;
    throw new CpuFault(Vector.DB);
  }
}

/** The new task's LDTR: null, or an LDT descriptor in the GDT (#TS otherwise, even when not present). */
function loadTaskLdt(cpu: Cpu, selector: number, ext: number): void {
  const code = (selector & ~3) | ext;
  if (selector & 4) throw new CpuFault(Vector.TS, code);
  if ((selector & ~3) === 0) return;
  const d = readDescriptor(cpu, selector, Vector.TS, ext);
  const attributes = descriptorAttributes(d);
  if (attributes & ATTR_S || (attributes & 0xf) !== TYPE_LDT || !(attributes & ATTR_P)) throw new CpuFault(Vector.TS, code);
  cpu.ldtrSelector = selector;
  cpu.ldtrBase = descriptorBase(d) | 0;
  cpu.ldtrLimit = descriptorLimit(d);
}

/** The new task's CS: a present code segment whose DPL suits its RPL, the new CPL. */
function loadTaskCode(cpu: Cpu, selector: number, ext: number): void {
  const code = (selector & ~3) | ext;
  if ((selector & ~3) === 0) throw new CpuFault(Vector.TS, ext);
  const d = readDescriptor(cpu, selector, Vector.TS, ext);
  const attributes = descriptorAttributes(d);
  if (!(attributes & ATTR_S) || !(attributes & ATTR_CODE)) throw new CpuFault(Vector.TS, code);
  const rpl = selector & 3;
  if (attributes & ATTR_DC ? dpl(attributes) > rpl : dpl(attributes) !== rpl) throw new CpuFault(Vector.TS, code);
  if (!(attributes & ATTR_P)) throw new CpuFault(Vector.NP, code);
  setAccessed(cpu, d);
  loadCache(cpu, CS, selector, d);
}

/** The new task's SS: a present writable data segment at the new CPL. */
function loadTaskStack(cpu: Cpu, selector: number, ext: number): void {
  const code = (selector & ~3) | ext;
  if ((selector & ~3) === 0) throw new CpuFault(Vector.TS, ext);
  const d = readDescriptor(cpu, selector, Vector.TS, ext);
  const attributes = descriptorAttributes(d);
  if (!(attributes & ATTR_S) || attributes & ATTR_CODE || !(attributes & ATTR_RW)) throw new CpuFault(Vector.TS, code);
  if (dpl(attributes) !== cpu.cpl || (selector & 3) !== cpu.cpl) throw new CpuFault(Vector.TS, code);
  if (!(attributes & ATTR_P)) throw new CpuFault(Vector.SS, code);
  setAccessed(cpu, d);
  loadCache(cpu, SS, selector, d);
}

/** A data segment register of the new task: null (unusable), data, or readable code the new CPL may use. */
function loadTaskData(cpu: Cpu, seg: number, selector: number, ext: number): void {
  if ((selector & ~3) === 0) return;
  const code = (selector & ~3) | ext;
  const d = readDescriptor(cpu, selector, Vector.TS, ext);
  const attributes = descriptorAttributes(d);
  if (!(attributes & ATTR_S) || (attributes & ATTR_CODE && !(attributes & ATTR_RW))) throw new CpuFault(Vector.TS, code);
  const conformingCode = (attributes & (ATTR_CODE | ATTR_DC)) === (ATTR_CODE | ATTR_DC);
  if (!conformingCode && (dpl(attributes) < cpu.cpl || dpl(attributes) < (selector & 3))) throw new CpuFault(Vector.TS, code);
  if (!(attributes & ATTR_P)) throw new CpuFault(Vector.NP, code);
  setAccessed(cpu, d);
  loadCache(cpu, seg, selector, d);
}

/**
 * Linear address of the high dword of the TSS descriptor `selector` names in
 * the GDT, or -1 when there is none to update (TR never loaded, or outside the GDT).
 */
function tssDescriptorHighAddress(cpu: Cpu, selector: number): number {
  const index = selector & ~7;
  if (index === 0 || selector & 4 || index + 7 > cpu.gdtrLimit) return -1;
  return (cpu.gdtrBase + index + 4) >>> 0;
}

function setBusy(cpu: Cpu, highAddress: number, busy: boolean): void {
  const high = cpu.readLinear32(highAddress, false);
  cpu.writeLinear32(highAddress, busy ? high | DESCRIPTOR_BUSY : high & ~DESCRIPTOR_BUSY, false);
}

function readField(cpu: Cpu, linear: number, wide: boolean): number {
  return wide ? cpu.readLinear32(linear >>> 0, false) : cpu.readLinear16(linear >>> 0, false);
}

function writeField(cpu: Cpu, linear: number, value: number, wide: boolean): void {
  if (wide) cpu.writeLinear32(linear >>> 0, value, false);
  else cpu.writeLinear16(linear >>> 0, value, false);
}

/** Fault now, as a supervisor access would, if any byte of linear..+length cannot be read (or written). */
function probeSupervisor(cpu: Cpu, linear: number, length: number, write: boolean): void {
  const tlb = write ? cpu.mmu.writeSupervisor : cpu.mmu.readSupervisor;
  const lastPage = ((linear + length - 1) >>> 0) >>> 12;
  let address = linear >>> 0;
  for (;;) {
    if (tlb[address >>> 12] < 0) cpu.mmu.translate(address, write, false);
    if (address >>> 12 === lastPage) return;
    address = (((address >>> 12) + 1) << 12) >>> 0;
  }
}

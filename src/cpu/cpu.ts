// The i386 processor: architectural state, memory access through segments
// and the TLB, lazy flags, and the run loop with interrupt and exception
// delivery.
//
// Instruction execution lives in execute.ts (the opcode switch, by family:
// the interpreter, the reference for every instruction) and, for 32-bit flat
// code, in dispatch.ts, which runs instructions decoded once into the cache
// of icache.ts. Protected-mode mechanics (descriptor loads, gates, privilege
// changes) in system.ts, hardware task switches in task.ts, flags in
// flags.ts. Faults are JS exceptions of class CpuFault or the MMU's
// PageFault, thrown from deep inside an instruction and caught by
// run(), which rolls EIP and ESP back to the start of the faulting
// instruction before delivering the exception: instructions are written so
// that nothing else architectural changes before their last possible fault.

import type { InterruptController, IoBus } from '../devices/bus.ts';
import { codeEntryBase, Mmu, PageFault, PF_USER } from '../mmu/mmu.ts';
import type { PhysicalMemory } from '../mmu/physical.ts';
import { runDecoded } from './dispatch.ts';
import { execute } from './execute.ts';
import { Flags, FLAG_IF, FLAG_TF, FLAG_RF, FLAG_VM, FLAG_NT, FLAG_AC, FLAG_FIXED } from './flags.ts';
import { DecodedCache } from './icache.ts';
import { seededRandom, type RandomSource } from './random.ts';
import { deliverInterrupt } from './system.ts';
import { primeDecodedTier } from './warmup.ts';

export interface CpuBus {
  memory: PhysicalMemory;
  io: IoBus;
  interrupts: InterruptController;
  /** RDRAND's source of 32-bit values (default: seededRandom(0), reproducible). */
  random?: RandomSource;
}

/** General registers, in ModRM encoding order. */
export const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;
/** Segment registers, in ModRM sreg encoding order. */
export const ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;
export const SEGMENT_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];

/** Exception vectors (SDM Vol. 3A, 6.3.1). */
export const enum Vector {
  DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8,
  TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17,
}

export const CR0_PE = 1 << 0;
export const CR0_MP = 1 << 1;
export const CR0_EM = 1 << 2;
export const CR0_TS = 1 << 3;
export const CR0_ET = 1 << 4;
export const CR0_NE = 1 << 5;
export const CR0_PG = 1 << 31;

/**
 * The first value of every field that may later hold a number outside V8's
 * small-integer range (31 bits): any 32-bit address or value, or a count past
 * 2^30. As a double it makes the field a double field from the first Cpu on.
 * Storing such a number into a small-integer field would change the object's
 * hidden class and throw every optimised function that uses it back to the
 * interpreter, and the code compiled again was slower: system calls ran 5x
 * slower once a run passed 2^30 instructions. The constructor and reset()
 * store the real values.
 */
const WIDE = 2 ** 31;

/** A fault or trap raised while executing an instruction. errorCode < 0 means none is pushed. */
export class CpuFault {
  constructor(
    readonly vector: number,
    readonly errorCode: number = -1,
  ) {}
}

/** Descriptor-cache attribute bits, kept as the descriptor's bytes 5-6 (access byte and flags nibble). */
export const ATTR_ACCESSED = 1 << 0;
export const ATTR_RW = 1 << 1; // readable code / writable data
export const ATTR_DC = 1 << 2; // conforming code / expand-down data
export const ATTR_CODE = 1 << 3;
export const ATTR_S = 1 << 4; // code or data (not system)
export const ATTR_P = 1 << 7;
export const ATTR_DB = 1 << 14;
export const ATTR_G = 1 << 15;

export class Cpu {
  readonly memory: PhysicalMemory;
  readonly io: IoBus;
  readonly interrupts: InterruptController;
  readonly mmu: Mmu;
  readonly ram: Uint8Array;
  /** The same RAM as 32-bit words, for aligned accesses (this assumes a little-endian host, as x86 and ARM are). */
  readonly ram32: Int32Array;
  /** RDRAND's source: 32 random bits per call. */
  readonly random: RandomSource;

  // General registers with 8- and 16-bit views on the same bytes (little endian).
  // reg32[8] is not a register: it is always 0, the "no base" and "no index"
  // of decoded effective addresses (icache.ts NO_REG).
  readonly reg32 = new Int32Array(9);
  readonly reg16 = new Uint16Array(this.reg32.buffer);
  readonly reg8 = new Uint8Array(this.reg32.buffer);
  /**
   * EIP, kept as a signed 32-bit integer (read it with `>>> 0`): kernel
   * addresses above 2^31 would otherwise be stored as heap numbers, an
   * allocation per instruction.
   */
  eip = WIDE;
  readonly flags = new Flags();

  // Segment registers and their descriptor caches.
  readonly segSelector = new Uint16Array(6);
  readonly segBase = new Int32Array(6);
  readonly segLimit = new Uint32Array(6);
  /** Access byte in bits 0-7 and the flags nibble in bits 12-15 (descriptor bytes 5-6). */
  readonly segAttributes = new Uint16Array(6);
  /** False after a null selector is loaded in protected mode: any use faults. */
  readonly segUsable = [true, true, true, true, true, true];
  /**
   * Fast-path flags, recomputed whenever a segment cache changes: 1 when
   * every offset of the segment may be read (or written) with no check at
   * all, i.e. a usable 4 GiB segment of the right type. linearFor skips its
   * checks for these.
   */
  readonly segFlatRead = new Uint8Array(6);
  readonly segFlatWrite = new Uint8Array(6);
  /** CS is 32-bit (D = 1) with a 4 GiB limit: the decoded-instruction tier may run (dispatch.ts). */
  flatCode = false;
  /**
   * Take the allocation-free paths of gates.ts for the common interrupt
   * deliveries and IRETs (tests turn it off to compare with the general path).
   */
  fastGates = true;
  /** Decoded instructions by physical address (icache.ts). */
  readonly icache: DecodedCache;

  cr0 = WIDE;
  cr2 = WIDE;
  cr3 = WIDE;
  cr4 = 0;
  readonly dr = new Int32Array(8);
  gdtrBase = WIDE;
  gdtrLimit = 0xffff;
  idtrBase = WIDE;
  idtrLimit = 0x3ff;
  ldtrSelector = 0;
  ldtrBase = WIDE;
  ldtrLimit = 0;
  trSelector = 0;
  trBase = WIDE;
  trLimit = 0;
  /** TSS descriptor type (1/3 for 16-bit, 9/11 for 32-bit). */
  trType = 11;
  cpl = 0;
  apicBaseMsr = 0xfee00900;
  tscOffset = WIDE;
  /** TSC ticks per retired instruction (the board sets it to its ns per instruction: a 1 GHz TSC). */
  tscPerInstruction = 10;

  halted = false;
  shutdown = false;
  private stopRequested = false;
  onTripleFault: () => void = () => {};
  instructionCount = WIDE;
  traceHook?: (cpu: Cpu) => void;
  /** Called for each interrupt or exception delivered (for --trace). */
  interruptHook?: (vector: number, errorCode: number, external: boolean) => void;

  // Decoding state of the current instruction.
  /** EIP and ESP at the start of the current instruction: a fault rolls back to them. */
  startEip = WIDE;
  startEsp = WIDE;
  /** Instructions the last block (blocks.ts) retired, set when it returns or faults. */
  blockRetired = 0;
  /** CS.D of the current instruction (set by execute): 32-bit code. */
  codeBig = true;
  /** Operand size 32 (true) or 16. */
  o32 = true;
  /** Address size 32 (true) or 16. */
  a32 = true;
  /** Segment override, or -1. */
  segOverride = -1;
  /** 0, or 0xf2 / 0xf3 for REPNE / REP. */
  repPrefix = 0;
  lockPrefix = false;
  modrmMod = 0;
  modrmReg = 0;
  modrmRm = 0;
  /** Effective address offset and segment of the current memory operand. */
  eaOffset = 0;
  eaSeg = DS;

  // Interrupt state.
  /** Set whenever an interrupt might have become deliverable; cleared once checked. */
  checkInterrupts = true;
  /** Instructions left in the STI / MOV SS interrupt shadow. */
  interruptShadow = 0;
  nmiPending = false;
  private nmiBlocked = false;
  /** Vector of the exception being delivered, for the double-fault rules; -1 when none. */
  deliveringVector = -1;

  // TLB views for the current privilege level.
  tlbRead: Int32Array;
  tlbWrite: Int32Array;
  userMode = false;

  constructor(bus: CpuBus) {
    this.memory = bus.memory;
    this.io = bus.io;
    this.interrupts = bus.interrupts;
    this.ram = bus.memory.ram;
    this.ram32 = new Int32Array(this.ram.buffer, this.ram.byteOffset, this.ram.length >>> 2);
    this.random = bus.random ?? seededRandom(0);
    this.mmu = new Mmu(bus.memory);
    this.icache = new DecodedCache(this.ram, this.mmu);
    bus.memory.onPageWritten = (page, offset, length) => this.icache.written(page, offset, length);
    primeDecodedTier();
    this.tlbRead = this.mmu.readSupervisor;
    this.tlbWrite = this.mmu.writeSupervisor;
    this.instructionCount = 0;
    this.tscOffset = 0;
    this.startEip = 0;
    this.startEsp = 0;
    this.reset();
  }

  /** Power-on state (SDM Vol. 3A, 9.1.1). */
  reset(): void {
    this.icache.flush();
    this.reg32.fill(0);
    this.reg32[EDX] = 0x00000633; // family 6, model 3, stepping 3 (as CPUID reports)
    this.flags.set(FLAG_FIXED);
    this.cr0 = CR0_ET;
    this.cr2 = this.cr3 = this.cr4 = 0;
    this.dr.fill(0);
    this.dr[6] = 0xffff0ff0 | 0;
    this.dr[7] = 0x400;
    this.gdtrBase = 0;
    this.gdtrLimit = 0xffff;
    this.idtrBase = 0;
    this.idtrLimit = 0x3ff;
    this.ldtrSelector = this.ldtrBase = 0;
    this.ldtrLimit = 0xffff;
    this.trSelector = this.trBase = 0;
    this.trLimit = 0xffff;
    this.trType = 11;
    for (let s = 0; s < 6; s++) this.loadRealSegment(s, 0);
    this.segSelector[CS] = 0xf000;
    this.segBase[CS] = 0xffff0000 | 0;
    this.eip = 0xfff0;
    this.setCpl(0);
    this.mmu.setControl(this.cr0, this.cr4);
    this.mmu.setCr3(0);
    this.halted = false;
    this.shutdown = false;
    this.interruptShadow = 0;
    this.nmiPending = false;
    this.nmiBlocked = false;
    this.deliveringVector = -1;
    this.checkInterrupts = true;
    this.apicBaseMsr = 0xfee00900;
  }

  /** Put the CPU in real mode at CS:IP with all segments based at 16 x selector (firmware and tests). */
  enterRealMode(cs: number, ip: number): void {
    this.cr0 &= ~(CR0_PE | (1 << 31));
    this.mmu.setControl(this.cr0, this.cr4);
    for (let s = 0; s < 6; s++) this.loadRealSegment(s, 0);
    this.loadRealSegment(CS, cs);
    this.eip = ip & 0xffff;
    this.setCpl(0);
    this.halted = false;
  }

  /**
   * Put the CPU in the state Multiboot guarantees: flat 4 GiB 32-bit code and
   * data segments (selectors 0x08 and 0x10, as if from a GDT the loader no
   * longer promises), CR0.PE set, paging off, interrupts disabled.
   */
  enterFlatProtectedMode(eip: number): void {
    this.cr0 = (this.cr0 | CR0_PE) & ~(1 << 31);
    this.mmu.setControl(this.cr0, this.cr4);
    for (let s = 0; s < 6; s++) {
      const code = s === CS;
      this.segSelector[s] = code ? 0x08 : 0x10;
      this.segBase[s] = 0;
      this.segLimit[s] = 0xffffffff;
      this.segAttributes[s] = ATTR_P | ATTR_S | ATTR_RW | ATTR_ACCESSED | ATTR_DB | ATTR_G | (code ? ATTR_CODE : 0);
      this.segUsable[s] = true;
      this.segmentChanged(s);
    }
    this.eip = eip | 0;
    this.flags.set(FLAG_FIXED);
    this.setCpl(0);
    this.halted = false;
  }

  /** Real-mode entry with a stack, as firmware leaves the CPU (boot sector at 0000:7C00). */
  setRealModeEntry(cs: number, ip: number, ss: number, sp: number): void {
    this.enterRealMode(cs, ip);
    this.loadRealSegment(SS, ss);
    this.reg32[ESP] = sp & 0xffff;
  }

  /** The Multiboot entry state (see enterFlatProtectedMode). */
  setFlatProtectedModeEntry(eip: number): void {
    this.enterFlatProtectedMode(eip);
  }

  /** Make run() return after the current instruction (reset, exit, host requests). */
  requestStop(): void {
    this.stopRequested = true;
    this.checkInterrupts = true;
  }

  /** The CS selector, for messages. */
  get cs(): number {
    return this.segSelector[CS];
  }

  get protectedMode(): boolean {
    return (this.cr0 & CR0_PE) !== 0;
  }

  /** Real-mode segment load: base = selector x 16, the cached limit and attributes stay (unreal mode works). */
  loadRealSegment(seg: number, selector: number): void {
    selector &= 0xffff;
    this.segSelector[seg] = selector;
    this.segBase[seg] = selector << 4;
    if (!this.protectedMode) {
      // After reset and in plain real mode the cache holds a 64 KiB read/write segment.
      if (this.segAttributes[seg] === 0) {
        this.segLimit[seg] = 0xffff;
        this.segAttributes[seg] = ATTR_P | ATTR_S | ATTR_RW | ATTR_ACCESSED | (seg === CS ? ATTR_CODE : 0);
      }
    }
    this.segUsable[seg] = true;
    this.segmentChanged(seg);
  }

  /** Recompute the fast-path flags of one segment after its cache changed. */
  segmentChanged(seg: number): void {
    const attributes = this.segAttributes[seg];
    const whole = this.segUsable[seg] && this.segLimit[seg] === 0xffffffff;
    if (seg === CS) this.flatCode = whole && (attributes & ATTR_DB) !== 0;
    if (!whole || (attributes & (ATTR_CODE | ATTR_DC)) === ATTR_DC) {
      this.segFlatRead[seg] = 0;
      this.segFlatWrite[seg] = 0;
    } else if (!(this.cr0 & CR0_PE)) {
      this.segFlatRead[seg] = 1;
      this.segFlatWrite[seg] = 1;
    } else {
      // Protected mode: code is readable only with R set, and never writable.
      const code = (attributes & ATTR_CODE) !== 0;
      const rw = (attributes & ATTR_RW) !== 0;
      this.segFlatRead[seg] = !code || rw ? 1 : 0;
      this.segFlatWrite[seg] = !code && rw ? 1 : 0;
    }
  }

  setCpl(cpl: number): void {
    this.cpl = cpl;
    this.userMode = cpl === 3;
    this.tlbRead = this.userMode ? this.mmu.readUser : this.mmu.readSupervisor;
    this.tlbWrite = this.userMode ? this.mmu.writeUser : this.mmu.writeSupervisor;
  }

  setCr0(value: number): void {
    value = (value | CR0_ET) >>> 0;
    if (value & (1 << 31) && !(value & CR0_PE)) throw new CpuFault(Vector.GP, 0);
    const wasProtected = this.protectedMode;
    this.cr0 = value | 0;
    this.mmu.setControl(this.cr0, this.cr4);
    if (wasProtected !== this.protectedMode) {
      this.checkInterrupts = true;
      for (let seg = 0; seg < 6; seg++) this.segmentChanged(seg);
    }
  }

  setCr3(value: number): void {
    this.cr3 = value | 0;
    this.mmu.setCr3(value);
  }

  setCr4(value: number): void {
    if (value & ~0x000000bf & 0xffffffff) throw new CpuFault(Vector.GP, 0);
    this.cr4 = value | 0;
    this.mmu.setControl(this.cr0, this.cr4);
  }

  raiseNmi(): void {
    this.nmiPending = true;
    this.checkInterrupts = true;
  }

  // ---- Run loop ---------------------------------------------------------

  /** Execute up to `maxInstructions`; returns how many ran. Stops early on HLT or shutdown. */
  run(maxInstructions: number): number {
    const start = this.instructionCount;
    const end = start + maxInstructions;
    this.checkInterrupts = true;
    while (this.instructionCount < end) {
      // Everything rare (interrupts, HLT, stop requests, tracing) is decided out of line,
      // so the optimised loop below stays small and never meets a path it has no feedback for.
      if (this.checkInterrupts && this.serviceBoundary()) break;
      if (this.traceHook || this.interruptShadow > 0 || this.flags.bits & FLAG_TF) {
        // One instruction at a time through the interpreter, which handles the shadow and the trap.
        this.runTraced(end);
        continue;
      }
      try {
        runDecoded(this, end);
      } catch (error) {
        this.faultAtBoundary(error);
      }
    }
    return this.instructionCount - start;
  }

  /**
   * Between instructions, when something may have changed: stop requests,
   * shutdown, pending NMI or INTR, HLT. Returns true when run() must return.
   * Leaves checkInterrupts set while the CPU cannot go on, so the caller
   * comes back here.
   */
  private serviceBoundary(): boolean {
    if (this.stopRequested) {
      this.stopRequested = false;
      this.checkInterrupts = true;
      return true;
    }
    if (this.shutdown) return true;
    this.pollInterrupts();
    if (this.shutdown || this.halted) {
      this.checkInterrupts = true;
      return true;
    }
    return false;
  }

  private runTraced(end: number): void {
    try {
      while (this.instructionCount < end) {
        this.traceHook?.(this);
        this.step();
        this.instructionCount++;
        if (this.checkInterrupts || !this.traceHook) break;
      }
    } catch (error) {
      this.faultAtBoundary(error);
    }
  }

  private faultAtBoundary(error: unknown): void {
    this.instructionCount++;
    this.handleFault(error);
    this.checkInterrupts = true;
  }

  /** Execute one instruction (no interrupt polling). */
  step(): void {
    this.startEip = this.eip;
    this.startEsp = this.reg32[ESP];
    const tf = this.flags.bits & FLAG_TF;
    execute(this);
    if (this.interruptShadow > 0) {
      this.interruptShadow--;
      this.checkInterrupts = true;
    }
    if (tf) {
      // Single-step trap after the instruction completes (SDM Vol. 3A, 17.3.1.4).
      this.dr[6] |= 1 << 14;
      this.deliver(Vector.DB, -1, false, false);
    }
  }

  private pollInterrupts(): void {
    this.checkInterrupts = false;
    if (this.interruptShadow > 0) {
      this.checkInterrupts = true;
      return;
    }
    // A fault while delivering rolls back to here, the boundary, not to the last instruction's start.
    this.startEip = this.eip;
    this.startEsp = this.reg32[ESP];
    try {
      if (this.nmiPending && !this.nmiBlocked) {
        this.nmiPending = false;
        this.nmiBlocked = true;
        this.halted = false;
        this.deliver(Vector.NMI, -1, true, false);
        return;
      }
      if (this.flags.bits & FLAG_IF && this.interrupts.hasInterrupt()) {
        const vector = this.interrupts.acknowledge();
        this.halted = false;
        this.deliver(vector & 0xff, -1, true, false);
        // Another request may be waiting behind this one.
        this.checkInterrupts = true;
      }
    } catch (error) {
      this.handleFault(error);
    }
  }

  /** IRET ends NMI blocking. */
  endNmiBlocking(): void {
    if (this.nmiBlocked) {
      this.nmiBlocked = false;
      if (this.nmiPending) this.checkInterrupts = true;
    }
  }

  /** Turn a thrown fault into exception delivery, with the double- and triple-fault rules. */
  handleFault(error: unknown): void {
    let vector: number;
    let errorCode: number;
    if (error instanceof PageFault) {
      vector = Vector.PF;
      this.cr2 = error.linear | 0;
      errorCode = error.errorCode | (this.userMode ? PF_USER : 0);
    } else if (error instanceof CpuFault) {
      vector = error.vector;
      errorCode = error.errorCode;
    } else {
      throw error; // a bug in the emulator, not a guest fault
    }
    // A fault restarts the instruction: roll back what it may have changed.
    this.eip = this.startEip;
    this.reg32[ESP] = this.startEsp;
    this.raiseException(vector, errorCode);
  }

  /** Deliver an exception, escalating to #DF or a triple fault as SDM Vol. 3A, table 6-5 says. */
  raiseException(vector: number, errorCode: number): void {
    const previous = this.deliveringVector;
    if (previous >= 0) {
      if (previous === Vector.DF) {
        this.tripleFault();
        return;
      }
      const contributory = (v: number) => v === 0 || (v >= 10 && v <= 13);
      if ((contributory(previous) && contributory(vector)) || (previous === Vector.PF && (contributory(vector) || vector === Vector.PF))) {
        vector = Vector.DF;
        errorCode = 0;
      }
    }
    this.deliveringVector = vector;
    try {
      this.deliver(vector, errorCode, false, false);
      this.deliveringVector = -1;
    } catch (error) {
      if (error instanceof CpuFault || error instanceof PageFault) {
        if (error instanceof PageFault) this.cr2 = error.linear | 0;
        const nested = error instanceof PageFault ? Vector.PF : error.vector;
        const nestedCode = error instanceof PageFault ? error.errorCode : error.errorCode;
        this.raiseException(nested, nestedCode);
        this.deliveringVector = -1;
      } else {
        throw error;
      }
    }
  }

  private tripleFault(): void {
    this.shutdown = true;
    this.halted = true;
    this.deliveringVector = -1;
    this.onTripleFault();
  }

  /**
   * Deliver interrupt `vector`. `software` is true for INT n / INT3 / INTO
   * (privilege-checked against the gate's DPL); EIP must already point past
   * the instruction for traps and at it for faults.
   */
  deliver(vector: number, errorCode: number, external: boolean, software: boolean): void {
    this.interruptHook?.(vector, errorCode, external);
    if (!this.protectedMode) {
      this.deliverReal(vector);
      return;
    }
    deliverInterrupt(this, vector, errorCode, external, software);
  }

  private deliverReal(vector: number): void {
    const entry = this.idtrBase + vector * 4;
    if (vector * 4 + 3 > this.idtrLimit) throw new CpuFault(Vector.GP, vector * 8 + 2);
    const ip = this.readLinear16(entry, false);
    const cs = this.readLinear16(entry + 2, false);
    this.push16(this.flags.get() & 0xffff);
    this.push16(this.segSelector[CS]);
    this.push16(this.eip);
    this.flags.set(this.flags.get() & ~(FLAG_IF | FLAG_TF | FLAG_AC | FLAG_RF));
    this.loadRealSegment(CS, cs);
    this.eip = ip;
  }

  // ---- Segment checks and memory access ----------------------------------

  /**
   * Linear address of seg:offset for an access of `size` bytes, with limit
   * and type checks. Signed 32-bit, like EIP (consumers shift with >>>), so
   * that addresses above 2^31 never become heap numbers.
   */
  linearFor(seg: number, offset: number, size: number, write: boolean): number {
    if ((write ? this.segFlatWrite : this.segFlatRead)[seg]) return (this.segBase[seg] + offset) | 0;
    if (!this.segUsable[seg]) throw new CpuFault(seg === SS ? Vector.SS : Vector.GP, 0);
    const limit = this.segLimit[seg];
    const attributes = this.segAttributes[seg];
    if (this.cr0 & CR0_PE) {
      if (write) {
        if (attributes & ATTR_CODE || !(attributes & ATTR_RW)) throw new CpuFault(Vector.GP, 0);
      } else if (attributes & ATTR_CODE && !(attributes & ATTR_RW)) {
        throw new CpuFault(Vector.GP, 0);
      }
    }
    const last = (offset + size - 1) >>> 0;
    if ((attributes & (ATTR_CODE | ATTR_DC)) === ATTR_DC) {
      // Expand-down data: valid offsets are limit+1 .. 0xFFFF or 0xFFFFFFFF.
      const top = attributes & ATTR_DB ? 0xffffffff : 0xffff;
      if (offset >>> 0 <= limit || last > top || last < offset >>> 0) throw new CpuFault(seg === SS ? Vector.SS : Vector.GP, 0);
    } else if (limit !== 0xffffffff && (last > limit || last < offset >>> 0)) {
      throw new CpuFault(seg === SS ? Vector.SS : Vector.GP, 0);
    }
    return (this.segBase[seg] + offset) | 0;
  }

  read8(seg: number, offset: number): number {
    return this.readLinear8(this.linearFor(seg, offset, 1, false), this.userMode);
  }
  read16(seg: number, offset: number): number {
    return this.readLinear16(this.linearFor(seg, offset, 2, false), this.userMode);
  }
  read32(seg: number, offset: number): number {
    return this.readLinear32(this.linearFor(seg, offset, 4, false), this.userMode);
  }
  write8(seg: number, offset: number, value: number): void {
    this.writeLinear8(this.linearFor(seg, offset, 1, true), value, this.userMode);
  }
  write16(seg: number, offset: number, value: number): void {
    this.writeLinear16(this.linearFor(seg, offset, 2, true), value, this.userMode);
  }
  write32(seg: number, offset: number, value: number): void {
    this.writeLinear32(this.linearFor(seg, offset, 4, true), value, this.userMode);
  }

  /** Check that seg:offset..+size is writable without writing (for read-modify-write and multi-part stores). */
  probeWrite(seg: number, offset: number, size: number): void {
    const linear = this.linearFor(seg, offset, size, true);
    this.mmu.translate(linear, true, this.userMode);
    if (((linear & 0xfff) + size - 1) > 0xfff) this.mmu.translate((linear + size - 1) >>> 0, true, this.userMode);
  }

  // Fast paths: a TLB hit is one lookup and a typed-array access. `user` selects
  // the permission set; implicit supervisor accesses pass false.
  readLinear8(linear: number, user: boolean): number {
    const entry = (user ? this.mmu.readUser : this.mmu.readSupervisor)[linear >>> 12];
    if (entry >= 0) return this.ram[entry | (linear & 0xfff)];
    return this.mmu.read8(linear, user);
  }

  readLinear16(linear: number, user: boolean): number {
    const entry = (user ? this.mmu.readUser : this.mmu.readSupervisor)[linear >>> 12];
    const offset = linear & 0xfff;
    if (entry >= 0 && offset !== 0xfff) {
      const address = entry | offset;
      return this.ram[address] | (this.ram[address + 1] << 8);
    }
    return this.mmu.read16(linear, user);
  }

  readLinear32(linear: number, user: boolean): number {
    const entry = (user ? this.mmu.readUser : this.mmu.readSupervisor)[linear >>> 12];
    const offset = linear & 0xfff;
    if (entry >= 0 && offset <= 0xffc) {
      const address = entry | offset;
      const ram = this.ram;
      return ram[address] | (ram[address + 1] << 8) | (ram[address + 2] << 16) | (ram[address + 3] << 24);
    }
    return this.mmu.read32(linear, user) | 0;
  }

  writeLinear8(linear: number, value: number, user: boolean): void {
    const entry = (user ? this.mmu.writeUser : this.mmu.writeSupervisor)[linear >>> 12];
    if (entry >= 0) {
      this.ram[entry | (linear & 0xfff)] = value;
      return;
    }
    if (entry < -1) {
      this.writeCodePage(codeEntryBase(entry) | (linear & 0xfff), value, 1);
      return;
    }
    const mmioWrites = this.memory.mmioWrites;
    this.mmu.write8(linear, value, user);
    if (this.memory.mmioWrites !== mmioWrites) this.checkInterrupts = true; // a device may have raised or unmasked an interrupt
  }

  writeLinear16(linear: number, value: number, user: boolean): void {
    const entry = (user ? this.mmu.writeUser : this.mmu.writeSupervisor)[linear >>> 12];
    const offset = linear & 0xfff;
    if (entry >= 0 && offset !== 0xfff) {
      const address = entry | offset;
      this.ram[address] = value;
      this.ram[address + 1] = value >> 8;
      return;
    }
    if (entry < -1 && offset !== 0xfff) {
      this.writeCodePage(codeEntryBase(entry) | offset, value, 2);
      return;
    }
    const mmioWrites = this.memory.mmioWrites;
    this.mmu.write16(linear, value, user);
    if (this.memory.mmioWrites !== mmioWrites) this.checkInterrupts = true; // a device may have raised or unmasked an interrupt
  }

  writeLinear32(linear: number, value: number, user: boolean): void {
    const entry = (user ? this.mmu.writeUser : this.mmu.writeSupervisor)[linear >>> 12];
    const offset = linear & 0xfff;
    if (entry >= 0 && offset <= 0xffc) {
      const address = entry | offset;
      const ram = this.ram;
      ram[address] = value;
      ram[address + 1] = value >> 8;
      ram[address + 2] = value >> 16;
      ram[address + 3] = value >> 24;
      return;
    }
    if (entry < -1 && offset <= 0xffc) {
      this.writeCodePage(codeEntryBase(entry) | offset, value, 4);
      return;
    }
    const mmioWrites = this.memory.mmioWrites;
    this.mmu.write32(linear, value, user);
    if (this.memory.mmioWrites !== mmioWrites) this.checkInterrupts = true; // a device may have raised or unmasked an interrupt
  }

  /**
   * A write of `size` bytes (within one page) to RAM that holds decoded code,
   * reached through a code entry of the write TLB: store the bytes, then the
   * instruction cache forgets the instructions they overlap.
   */
  writeCodePage(address: number, value: number, size: number): void {
    const ram = this.ram;
    ram[address] = value;
    if (size > 1) ram[address + 1] = value >> 8;
    if (size > 2) {
      ram[address + 2] = value >> 16;
      ram[address + 3] = value >> 24;
    }
    this.icache.written(address >>> 12, address & 0xfff, size);
  }

  // ---- Instruction fetch -------------------------------------------------

  fetch8(): number {
    const eip = this.eip;
    let linear: number;
    if (this.segLimit[CS] === 0xffffffff) linear = (this.segBase[CS] + eip) >>> 0;
    else {
      if (eip >>> 0 > this.segLimit[CS]) throw new CpuFault(Vector.GP, 0);
      linear = (this.segBase[CS] + eip) >>> 0;
    }
    this.eip = this.codeBig ? (eip + 1) | 0 : (eip + 1) & 0xffff;
    const entry = this.tlbRead[linear >>> 12];
    if (entry >= 0) return this.ram[entry | (linear & 0xfff)];
    return this.mmu.read8(linear, this.userMode);
  }

  fetch16(): number {
    const low = this.fetch8();
    return low | (this.fetch8() << 8);
  }

  fetch32(): number {
    const eip = this.eip;
    const linear = (this.segBase[CS] + eip) >>> 0;
    const offset = linear & 0xfff;
    if (offset <= 0xffc && this.segLimit[CS] === 0xffffffff) {
      const entry = this.tlbRead[linear >>> 12];
      if (entry >= 0) {
        this.eip = (eip + 4) | 0;
        const address = entry | offset;
        const ram = this.ram;
        return ram[address] | (ram[address + 1] << 8) | (ram[address + 2] << 16) | (ram[address + 3] << 24);
      }
    }
    const b0 = this.fetch8();
    const b1 = this.fetch8();
    const b2 = this.fetch8();
    return b0 | (b1 << 8) | (b2 << 16) | (this.fetch8() << 24);
  }

  /** True when the code segment is 32-bit (CS.D). */
  get o32Code(): boolean {
    return (this.segAttributes[CS] & ATTR_DB) !== 0;
  }

  /** True when the stack segment is 32-bit (SS.B). */
  get stack32(): boolean {
    return (this.segAttributes[SS] & ATTR_DB) !== 0;
  }

  // ---- Stack ---------------------------------------------------------------

  push16(value: number): void {
    if (this.stack32) {
      const esp = (this.reg32[ESP] - 2) >>> 0;
      this.write16(SS, esp, value);
      this.reg32[ESP] = esp;
    } else {
      const sp = (this.reg16[ESP * 2] - 2) & 0xffff;
      this.write16(SS, sp, value);
      this.reg16[ESP * 2] = sp;
    }
  }

  push32(value: number): void {
    if (this.stack32) {
      const esp = (this.reg32[ESP] - 4) >>> 0;
      this.write32(SS, esp, value);
      this.reg32[ESP] = esp;
    } else {
      const sp = (this.reg16[ESP * 2] - 4) & 0xffff;
      this.write32(SS, sp, value);
      this.reg16[ESP * 2] = sp;
    }
  }

  push(value: number): void {
    if (this.o32) this.push32(value);
    else this.push16(value);
  }

  pop16(): number {
    if (this.stack32) {
      const esp = this.reg32[ESP] >>> 0;
      const value = this.read16(SS, esp);
      this.reg32[ESP] = esp + 2;
      return value;
    }
    const sp = this.reg16[ESP * 2];
    const value = this.read16(SS, sp);
    this.reg16[ESP * 2] = sp + 2;
    return value;
  }

  pop32(): number {
    if (this.stack32) {
      const esp = this.reg32[ESP] >>> 0;
      const value = this.read32(SS, esp);
      this.reg32[ESP] = esp + 4;
      return value;
    }
    const sp = this.reg16[ESP * 2];
    const value = this.read32(SS, sp);
    this.reg16[ESP * 2] = sp + 4;
    return value;
  }

  pop(): number {
    return this.o32 ? this.pop32() : this.pop16();
  }

  /** Read a stack slot `offset` bytes above the stack pointer without popping. */
  peekStack(offset: number, size: number): number {
    const sp = this.stack32 ? (this.reg32[ESP] + offset) >>> 0 : (this.reg16[ESP * 2] + offset) & 0xffff;
    return size === 4 ? this.read32(SS, sp) : this.read16(SS, sp);
  }

  /** Stack pointer as the current stack size sees it. */
  get sp(): number {
    return this.stack32 ? this.reg32[ESP] >>> 0 : this.reg16[ESP * 2];
  }

  set sp(value: number) {
    if (this.stack32) this.reg32[ESP] = value;
    else this.reg16[ESP * 2] = value;
  }

  // ---- Register access for tests, tracing and snapshots --------------------

  get eflags(): number {
    return this.flags.get() >>> 0;
  }

  set eflags(value: number) {
    this.flags.set(value);
    this.checkInterrupts = true;
  }

  /** 8-bit register by ModRM number: AL CL DL BL AH CH DH BH. */
  getReg8(r: number): number {
    return this.reg8[((r & 3) << 2) | (r >> 2)];
  }

  setReg8(r: number, value: number): void {
    this.reg8[((r & 3) << 2) | (r >> 2)] = value;
  }

  getReg16(r: number): number {
    return this.reg16[r << 1];
  }

  setReg16(r: number, value: number): void {
    this.reg16[r << 1] = value;
  }

  /** Current privilege rules for I/O: CPL <= IOPL, or the TSS bitmap allows it. */
  checkIoPermission(port: number, size: number): void {
    if (!this.protectedMode) return;
    const iopl = (this.flags.bits >> 12) & 3;
    if (this.cpl <= iopl && !(this.flags.bits & FLAG_VM)) return;
    // TSS I/O permission bitmap (SDM Vol. 1, 18.5.2).
    if ((this.trType & 8) === 0 || this.trLimit < 0x67) throw new CpuFault(Vector.GP, 0);
    const bitmapBase = this.readLinear16((this.trBase + 0x66) >>> 0, false);
    const byteOffset = bitmapBase + (port >> 3);
    if (byteOffset + 1 > this.trLimit) throw new CpuFault(Vector.GP, 0);
    const bits = this.readLinear16((this.trBase + byteOffset) >>> 0, false);
    const mask = ((1 << size) - 1) << (port & 7);
    if (bits & mask) throw new CpuFault(Vector.GP, 0);
  }

  /** Flags that POPF/IRET may change at the current privilege (SDM Vol. 2B, POPF). */
  writableFlagsMask(): number {
    let mask = 0x00257fd5 & ~(FLAG_VM | 0x00180000); // VIF/VIP unused; VM unchanged by POPF
    if (this.protectedMode) {
      const iopl = (this.flags.bits >> 12) & 3;
      if (this.cpl > 0) mask &= ~0x3000; // IOPL
      if (this.cpl > iopl) mask &= ~FLAG_IF;
    }
    return mask | FLAG_NT;
  }
}

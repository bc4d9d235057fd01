// Local APIC (xAPIC) of the single CPU.
//
// Follows the Intel SDM volume 3A, chapter 10 (11 in newer editions): the
// register map of table 10-1, interrupt acceptance and priority (10.8: a
// vector is dispatched when its priority class is above the processor
// priority class, PPR = max(TPR, highest in-service)), EOI (10.8.5, with the
// EOI broadcast to the I/O APICs for level-triggered vectors), the local
// vector table (10.5.1), the timer (10.5.4: count down at the bus clock
// divided by the divide configuration register, one-shot or periodic), the
// error status register (10.5.3: written to latch, then read), and the
// interrupt command register (10.6.1). The version register reads 0x00050014
// as on QEMU: version 0x14, six LVT entries.
//
// A PC puts it at physical 0xFEE00000 (4 KiB; the board maps this object
// with addMmio). The bus clock is 1 GHz as on QEMU, so one timer tick at
// divide-by-1 is one nanosecond of virtual time. The current count is
// computed from the clock; an event is scheduled only for the next expiry.
//
// It is also what sits on the CPU's INTR pin: `hasInterrupt`/`acknowledge`
// dispatch its own requests, and pass through to the 8259 pair given as
// `pic` while the APIC is disabled or LINT0 is an unmasked ExtINT entry. As
// on QEMU, the boot CPU's LINT0 comes out of reset in ExtINT mode unmasked,
// so a kernel that enables the APIC keeps receiving 8259 interrupts.
//
// With one CPU, interprocessor interrupts reach only this APIC: a fixed or
// NMI IPI to itself is taken, INIT and STARTUP for other APIC IDs go nowhere,
// and an INIT level de-assert is ignored as on every APIC since the Pentium 4.

import { stateFields, type AccessSize, type InterruptController, type RegisterBlock, type DeviceState } from './bus.ts';
import type { ClockEvent, VirtualClock } from '../machine/clock.ts';

export const LAPIC_DEFAULT_BASE = 0xfee00000;
/** Nanoseconds per bus clock tick: QEMU's APIC bus runs at 1 GHz. */
export const BUS_TICK_NS = 1;

// Register offsets (SDM table 10-1).
export const LAPIC_ID = 0x020;
export const LAPIC_VERSION = 0x030;
export const LAPIC_TPR = 0x080;
export const LAPIC_APR = 0x090;
export const LAPIC_PPR = 0x0a0;
export const LAPIC_EOI = 0x0b0;
export const LAPIC_RRD = 0x0c0;
export const LAPIC_LDR = 0x0d0;
export const LAPIC_DFR = 0x0e0;
export const LAPIC_SVR = 0x0f0;
export const LAPIC_ISR = 0x100; // 8 registers, 0x100-0x170
export const LAPIC_TMR = 0x180; // 0x180-0x1f0
export const LAPIC_IRR = 0x200; // 0x200-0x270
export const LAPIC_ESR = 0x280;
export const LAPIC_ICR_LOW = 0x300;
export const LAPIC_ICR_HIGH = 0x310;
export const LAPIC_LVT_TIMER = 0x320;
export const LAPIC_LVT_THERMAL = 0x330;
export const LAPIC_LVT_PERF = 0x340;
export const LAPIC_LVT_LINT0 = 0x350;
export const LAPIC_LVT_LINT1 = 0x360;
export const LAPIC_LVT_ERROR = 0x370;
export const LAPIC_TIMER_INITIAL = 0x380;
export const LAPIC_TIMER_CURRENT = 0x390;
export const LAPIC_TIMER_DIVIDE = 0x3e0;

/** Version 0x14 (integrated APIC), max LVT entry 5. */
export const LAPIC_VERSION_VALUE = 0x00050014;
const LVT_COUNT = 6;
const LVT_TIMER = 0;
const LVT_LINT0 = 3;
const LVT_ERROR = 5;

// Spurious-interrupt vector register.
export const SVR_ENABLE = 0x100;
const SVR_WRITABLE = 0x3ff; // vector, APIC enable, focus processor checking
const SVR_RESET = 0xff;

// LVT and ICR fields (SDM figures 10-8 and 10-12).
export const LVT_VECTOR = 0xff;
export const LVT_MASKED = 1 << 16;
export const LVT_LEVEL_TRIGGERED = 1 << 15;
export const LVT_REMOTE_IRR = 1 << 14;
export const LVT_TIMER_PERIODIC = 1 << 17;
const DELIVERY_MODE_SHIFT = 8;
const DELIVERY_MODE_MASK = 0x7;
/** Software may write these LVT bits; delivery status and remote IRR are the APIC's. */
const LVT_WRITABLE = [
  LVT_MASKED | LVT_TIMER_PERIODIC | LVT_VECTOR, // timer (no TSC-deadline mode)
  LVT_MASKED | 0x7ff, // thermal: vector and delivery mode
  LVT_MASKED | 0x7ff, // performance counters
  LVT_MASKED | LVT_LEVEL_TRIGGERED | (1 << 13) | 0x7ff, // LINT0: also polarity, trigger
  LVT_MASKED | LVT_LEVEL_TRIGGERED | (1 << 13) | 0x7ff, // LINT1
  LVT_MASKED | LVT_VECTOR, // error
];

export const DELIVERY_FIXED = 0;
export const DELIVERY_LOWEST_PRIORITY = 1;
export const DELIVERY_SMI = 2;
export const DELIVERY_NMI = 4;
export const DELIVERY_INIT = 5;
export const DELIVERY_STARTUP = 6;
export const DELIVERY_EXTINT = 7;

export const ICR_LOGICAL = 1 << 11;
export const ICR_DELIVERY_PENDING = 1 << 12;
export const ICR_LEVEL_ASSERT = 1 << 14;
export const ICR_LEVEL_TRIGGERED = 1 << 15;
const ICR_SHORTHAND_SHIFT = 18;
const ICR_LOW_WRITABLE = 0x000ccfff; // all but delivery status and reserved bits
const SHORTHAND_NONE = 0;
const SHORTHAND_SELF = 1;
const SHORTHAND_ALL_INCLUDING_SELF = 2;
const BROADCAST_DESTINATION = 0xff;

// Destination format register models.
const DFR_MODEL_FLAT = 0xf;
const DFR_MODEL_CLUSTER = 0x0;
const DFR_RESET = 0xffffffff;

// Error status register bits (SDM figure 10-9).
export const ESR_SEND_ILLEGAL_VECTOR = 1 << 5;
export const ESR_RECEIVE_ILLEGAL_VECTOR = 1 << 6;
export const ESR_ILLEGAL_REGISTER = 1 << 7;
/** Vectors 0-15 are reserved for exceptions; the APIC refuses them. */
const FIRST_LEGAL_VECTOR = 16;

const DIVIDE_WRITABLE = 0xb; // bits 0, 1 and 3

// IA32_APIC_BASE MSR (0x1B).
export const APIC_BASE_MSR = 0x1b;
export const APIC_BASE_BSP = 1 << 8;
export const APIC_BASE_ENABLE = 1 << 11;
const APIC_BASE_ADDRESS_MASK = 0xfffff000;

/** A message on the APIC bus: from the ICR, an I/O APIC redirection entry, or an MSI. */
export interface ApicMessage {
  vector: number;
  /** One of the DELIVERY_* modes. */
  deliveryMode: number;
  /** APIC ID (physical) or logical destination bits. */
  destination: number;
  logicalDestination: boolean;
  levelTriggered: boolean;
}

export interface LocalApicOptions {
  clock: VirtualClock;
  /** The 8259 pair, reached through LINT0 in ExtINT mode. */
  pic: InterruptController;
  /** APIC ID; 0 for the boot CPU. */
  id?: number;
  /** A level-triggered vector was ended: broadcast the EOI to the I/O APIC(s). */
  onEoi?: (vector: number) => void;
  /** An NMI was delivered to this CPU (NMI IPI or message). */
  onNmi?: () => void;
  /** An INIT was delivered to this CPU. */
  onInit?: () => void;
}

export class LocalApic implements RegisterBlock, InterruptController {
  private readonly clock: VirtualClock;
  private readonly pic: InterruptController;
  private readonly onEoi: (vector: number) => void;
  private readonly onNmi: () => void;
  private readonly onInit: () => void;

  private id: number;
  private base = LAPIC_DEFAULT_BASE;
  private globallyEnabled = true;
  private tpr = 0;
  private ldr = 0;
  private dfr = DFR_RESET;
  private svr = SVR_RESET;
  private readonly isr = new Uint32Array(8);
  private readonly tmr = new Uint32Array(8);
  private readonly irr = new Uint32Array(8);
  /** The ESR as last latched by a write, and the errors collected since. */
  private esr = 0;
  private pendingErrors = 0;
  private icrLow = 0;
  private icrHigh = 0;
  private readonly lvt = new Uint32Array(LVT_COUNT);
  /** An I/O APIC ExtINT message is waiting for the 8259 to supply the vector. */
  private extIntPending = false;

  // Timer: the count was `countBase` at `timerBase` ns and falls one per `divide` ns.
  private initialCount = 0;
  private divideConfig = 0;
  private timerBase = 0;
  private countBase = 0;
  private timerEvent: ClockEvent | null = null;

  constructor(options: LocalApicOptions) {
    this.clock = options.clock;
    this.pic = options.pic;
    this.id = options.id ?? 0;
    this.onEoi = options.onEoi ?? (() => {});
    this.onNmi = options.onNmi ?? (() => {});
    this.onInit = options.onInit ?? (() => {});
    this.reset();
  }

  /** Power-on / RESET state (SDM 10.4.7.1), with QEMU's ExtINT LINT0 on the boot CPU. */
  reset(): void {
    this.tpr = 0;
    this.ldr = 0;
    this.dfr = DFR_RESET;
    this.svr = SVR_RESET;
    this.isr.fill(0);
    this.tmr.fill(0);
    this.irr.fill(0);
    this.esr = this.pendingErrors = 0;
    this.icrLow = this.icrHigh = 0;
    this.lvt.fill(LVT_MASKED);
    if (this.isBootstrap) this.lvt[LVT_LINT0] = DELIVERY_EXTINT << DELIVERY_MODE_SHIFT;
    this.extIntPending = false;
    this.initialCount = 0;
    this.divideConfig = 0;
    this.countBase = 0;
    this.timerBase = this.clock.now;
    this.clock.cancel(this.timerEvent);
    this.timerEvent = null;
  }

  private get isBootstrap(): boolean {
    return this.id === 0;
  }

  /** IA32_APIC_BASE (MSR 0x1B) as RDMSR returns it. */
  get baseMsr(): number {
    return (this.base | (this.globallyEnabled ? APIC_BASE_ENABLE : 0) | (this.isBootstrap ? APIC_BASE_BSP : 0)) >>> 0;
  }

  /**
   * WRMSR to IA32_APIC_BASE. Clearing the enable bit turns the APIC off and
   * loses its state (SDM 10.4.3). The base address is recorded for RDMSR;
   * the board decides where the registers are decoded.
   */
  set baseMsr(value: number) {
    this.base = (value & APIC_BASE_ADDRESS_MASK) >>> 0;
    const enable = (value & APIC_BASE_ENABLE) !== 0;
    if (this.globallyEnabled && !enable) this.reset();
    this.globallyEnabled = enable;
  }

  private get softwareEnabled(): boolean {
    return this.globallyEnabled && (this.svr & SVR_ENABLE) !== 0;
  }

  // --- registers ---------------------------------------------------------

  read(offset: number, size: AccessSize): number {
    // Registers sit on 16-byte boundaries; only their first dword holds bits.
    const within = offset & 0xf;
    if (within >= 4) return 0;
    const value = this.readRegister(offset & ~0xf);
    const shifted = value >>> (8 * within);
    return size === 4 ? shifted >>> 0 : shifted & (size === 2 ? 0xffff : 0xff);
  }

  write(offset: number, size: AccessSize, value: number): void {
    const within = offset & 0xf;
    if (within >= 4) return;
    const register = offset & ~0xf;
    if (size !== 4) {
      // Narrow writes are not architectural; merge them so nothing else changes.
      const shift = 8 * within;
      const mask = (size === 2 ? 0xffff : 0xff) << shift;
      value = (this.readRegister(register) & ~mask) | ((value << shift) & mask);
    }
    this.writeRegister(register, value >>> 0);
  }

  private readRegister(register: number): number {
    if (register >= LAPIC_ISR && register < LAPIC_ISR + 0x80) return this.isr[(register - LAPIC_ISR) >> 4];
    if (register >= LAPIC_TMR && register < LAPIC_TMR + 0x80) return this.tmr[(register - LAPIC_TMR) >> 4];
    if (register >= LAPIC_IRR && register < LAPIC_IRR + 0x80) return this.irr[(register - LAPIC_IRR) >> 4];
    if (register >= LAPIC_LVT_TIMER && register <= LAPIC_LVT_ERROR) return this.lvt[(register - LAPIC_LVT_TIMER) >> 4];
    switch (register) {
      case LAPIC_ID:
        return (this.id << 24) >>> 0;
      case LAPIC_VERSION:
        return LAPIC_VERSION_VALUE;
      case LAPIC_TPR:
        return this.tpr;
      case LAPIC_APR:
      case LAPIC_EOI:
      case LAPIC_RRD:
        return 0;
      case LAPIC_PPR:
        return this.processorPriority();
      case LAPIC_LDR:
        return this.ldr;
      case LAPIC_DFR:
        return this.dfr;
      case LAPIC_SVR:
        return this.svr;
      case LAPIC_ESR:
        return this.esr;
      case LAPIC_ICR_LOW:
        return this.icrLow;
      case LAPIC_ICR_HIGH:
        return this.icrHigh;
      case LAPIC_TIMER_INITIAL:
        return this.initialCount;
      case LAPIC_TIMER_CURRENT:
        return this.currentCount();
      case LAPIC_TIMER_DIVIDE:
        return this.divideConfig;
    }
    this.recordError(ESR_ILLEGAL_REGISTER);
    return 0;
  }

  private writeRegister(register: number, value: number): void {
    if (register >= LAPIC_LVT_TIMER && register <= LAPIC_LVT_ERROR) {
      this.writeLvt((register - LAPIC_LVT_TIMER) >> 4, value);
      return;
    }
    switch (register) {
      case LAPIC_ID:
        this.id = value >>> 24;
        return;
      case LAPIC_TPR:
        this.tpr = value & 0xff;
        return;
      case LAPIC_EOI:
        this.endOfInterrupt();
        return;
      case LAPIC_LDR:
        this.ldr = (value & 0xff000000) >>> 0;
        return;
      case LAPIC_DFR:
        this.dfr = (value | 0x0fffffff) >>> 0;
        return;
      case LAPIC_SVR:
        this.svr = value & SVR_WRITABLE;
        // Software disable masks every LVT entry (SDM 10.4.7.2).
        if (!(this.svr & SVR_ENABLE)) for (let i = 0; i < LVT_COUNT; i++) this.lvt[i] |= LVT_MASKED;
        return;
      case LAPIC_ESR:
        this.esr = this.pendingErrors;
        this.pendingErrors = 0;
        return;
      case LAPIC_ICR_LOW:
        this.icrLow = value & ICR_LOW_WRITABLE;
        this.sendIpi();
        return;
      case LAPIC_ICR_HIGH:
        this.icrHigh = (value & 0xff000000) >>> 0;
        return;
      case LAPIC_TIMER_INITIAL:
        this.initialCount = value;
        this.timerBase = this.clock.now;
        this.countBase = value;
        this.scheduleTimer();
        return;
      case LAPIC_TIMER_DIVIDE:
        this.rebaseTimer();
        this.divideConfig = value & DIVIDE_WRITABLE;
        this.scheduleTimer();
        return;
      case LAPIC_VERSION:
      case LAPIC_APR:
      case LAPIC_PPR:
      case LAPIC_RRD:
      case LAPIC_TIMER_CURRENT:
        return; // read-only
    }
    if (register >= LAPIC_ISR && register < LAPIC_IRR + 0x80) return; // ISR, TMR, IRR are read-only
    this.recordError(ESR_ILLEGAL_REGISTER);
  }

  private writeLvt(index: number, value: number): void {
    let entry = (this.lvt[index] & ~LVT_WRITABLE[index]) | (value & LVT_WRITABLE[index]);
    // While software-disabled the mask bits cannot be cleared.
    if (!(this.svr & SVR_ENABLE)) entry |= LVT_MASKED;
    if (index === LVT_TIMER) {
      this.rebaseTimer();
      this.lvt[index] = entry >>> 0;
      this.scheduleTimer();
      return;
    }
    this.lvt[index] = entry >>> 0;
  }

  // --- priority and dispatch ------------------------------------------------

  private processorPriority(): number {
    const inService = highestBit(this.isr);
    const isrClass = inService < 0 ? 0 : inService & 0xf0;
    return (this.tpr & 0xf0) >= isrClass ? this.tpr : isrClass;
  }

  /** The vector the APIC would dispatch now, or -1. */
  private deliverableVector(): number {
    if (!this.softwareEnabled) return -1;
    const vector = highestBit(this.irr);
    if (vector < 0 || (vector & 0xf0) <= (this.processorPriority() & 0xf0)) return -1;
    return vector;
  }

  /** 8259 interrupts reach the CPU while the APIC is off, or through an unmasked ExtINT LINT0. */
  private get forwardsPic(): boolean {
    if (!this.softwareEnabled || this.extIntPending) return true;
    const lint0 = this.lvt[LVT_LINT0];
    return !(lint0 & LVT_MASKED) && ((lint0 >>> DELIVERY_MODE_SHIFT) & DELIVERY_MODE_MASK) === DELIVERY_EXTINT;
  }

  hasInterrupt(): boolean {
    return this.deliverableVector() >= 0 || (this.forwardsPic && this.pic.hasInterrupt());
  }

  acknowledge(): number {
    // The APIC's own requests come first; the 8259 answers INTA only through ExtINT.
    const vector = this.deliverableVector();
    if (vector >= 0) {
      clearBit(this.irr, vector);
      setBit(this.isr, vector);
      return vector;
    }
    if (this.forwardsPic && this.pic.hasInterrupt()) {
      this.extIntPending = false;
      return this.pic.acknowledge();
    }
    // The request went away between INTR and INTA (e.g. TPR was raised).
    return this.svr & LVT_VECTOR;
  }

  private endOfInterrupt(): void {
    const vector = highestBit(this.isr);
    if (vector < 0) return;
    clearBit(this.isr, vector);
    if (testBit(this.tmr, vector)) this.onEoi(vector);
  }

  /** Accept a fixed interrupt into the IRR (I/O APIC, MSI, or this APIC's own sources). */
  acceptInterrupt(vector: number, levelTriggered: boolean): void {
    if (vector < FIRST_LEGAL_VECTOR) {
      this.recordError(ESR_RECEIVE_ILLEGAL_VECTOR);
      return;
    }
    setBit(this.irr, vector);
    if (levelTriggered) setBit(this.tmr, vector);
    else clearBit(this.tmr, vector);
  }

  /** A message on the APIC bus; taken if it is addressed to this APIC. */
  deliver(message: ApicMessage): void {
    if (!this.matchesDestination(message.destination, message.logicalDestination)) return;
    this.deliverLocally(message.deliveryMode, message.vector, message.levelTriggered);
  }

  private deliverLocally(mode: number, vector: number, levelTriggered: boolean): void {
    switch (mode) {
      case DELIVERY_FIXED:
      case DELIVERY_LOWEST_PRIORITY:
        this.acceptInterrupt(vector, levelTriggered);
        return;
      case DELIVERY_NMI:
        this.onNmi();
        return;
      case DELIVERY_INIT:
        this.onInit();
        return;
      case DELIVERY_EXTINT:
        this.extIntPending = true;
        return;
      // SMI has no handler on this machine; STARTUP is ignored by a running CPU.
    }
  }

  private matchesDestination(destination: number, logical: boolean): boolean {
    if (!logical) return destination === BROADCAST_DESTINATION || destination === this.id;
    const logicalId = this.ldr >>> 24;
    const model = this.dfr >>> 28;
    if (model === DFR_MODEL_FLAT) return (logicalId & destination) !== 0;
    if (model === DFR_MODEL_CLUSTER) {
      const cluster = destination >>> 4;
      return (cluster === 0xf || cluster === logicalId >>> 4) && (destination & logicalId & 0xf) !== 0;
    }
    return false;
  }

  /** ICR low was written: send the IPI it describes. It is delivered at once, so delivery status stays idle. */
  private sendIpi(): void {
    const low = this.icrLow;
    const mode = (low >>> DELIVERY_MODE_SHIFT) & DELIVERY_MODE_MASK;
    const vector = low & LVT_VECTOR;
    const shorthand = (low >>> ICR_SHORTHAND_SHIFT) & 3;
    // INIT level de-assert only synchronised arbitration IDs on old APICs.
    if (mode === DELIVERY_INIT && low & ICR_LEVEL_TRIGGERED && !(low & ICR_LEVEL_ASSERT)) return;
    if ((mode === DELIVERY_FIXED || mode === DELIVERY_LOWEST_PRIORITY) && vector < FIRST_LEGAL_VECTOR) {
      this.recordError(ESR_SEND_ILLEGAL_VECTOR);
      return;
    }
    let toSelf: boolean;
    if (shorthand === SHORTHAND_SELF || shorthand === SHORTHAND_ALL_INCLUDING_SELF) toSelf = true;
    else if (shorthand === SHORTHAND_NONE) toSelf = this.matchesDestination(this.icrHigh >>> 24, (low & ICR_LOGICAL) !== 0);
    else toSelf = false; // all excluding self: there is nobody else
    // Other CPUs do not exist; what is sent to them is lost, harmlessly.
    if (toSelf) this.deliverLocally(mode, vector, false);
  }

  private recordError(bit: number): void {
    this.pendingErrors |= bit;
    const entry = this.lvt[LVT_ERROR];
    const vector = entry & LVT_VECTOR;
    // An illegal error vector would only report itself again; it is just recorded.
    if (!(entry & LVT_MASKED) && vector >= FIRST_LEGAL_VECTOR) this.acceptInterrupt(vector, false);
  }

  // --- timer -------------------------------------------------------------

  /** Bus clocks per count: divide configuration bits 3,1:0 encode 2^(n+1), with 111b meaning 1. */
  private get divisor(): number {
    const code = (this.divideConfig & 3) | ((this.divideConfig >>> 1) & 4);
    return code === 7 ? 1 : 2 << code;
  }

  private get periodic(): boolean {
    return (this.lvt[LVT_TIMER] & LVT_TIMER_PERIODIC) !== 0;
  }

  private get tickNs(): number {
    return this.divisor * BUS_TICK_NS;
  }

  private currentCount(): number {
    if (this.initialCount === 0) return 0;
    const ticks = Math.floor((this.clock.now - this.timerBase) / this.tickNs);
    if (ticks < this.countBase) return this.countBase - ticks;
    if (!this.periodic) return 0;
    return this.initialCount - ((ticks - this.countBase) % this.initialCount);
  }

  /**
   * Before the divider or mode changes: restart the count arithmetic from the
   * last whole tick, so the count carries on from where it is.
   */
  private rebaseTimer(): void {
    const count = this.currentCount();
    const ticks = Math.floor((this.clock.now - this.timerBase) / this.tickNs);
    this.timerBase += ticks * this.tickNs;
    this.countBase = count;
  }

  /** Guest time of the next expiry after now, or Infinity. */
  private nextExpiry(): number {
    if (this.initialCount === 0 || this.countBase === 0) return Infinity;
    const now = this.clock.now;
    const first = this.timerBase + this.countBase * this.tickNs;
    if (first > now) return first;
    if (!this.periodic) return Infinity;
    const period = this.initialCount * this.tickNs;
    return first + (Math.floor((now - first) / period) + 1) * period;
  }

  private scheduleTimer(): void {
    this.clock.cancel(this.timerEvent);
    this.timerEvent = null;
    const at = this.nextExpiry();
    if (at !== Infinity) this.timerEvent = this.clock.at(at, () => this.timerExpired());
  }

  private timerExpired(): void {
    this.timerEvent = null;
    const entry = this.lvt[LVT_TIMER];
    if (!(entry & LVT_MASKED)) this.acceptInterrupt(entry & LVT_VECTOR, false);
    this.scheduleTimer();
  }

  // --- snapshots ---------------------------------------------------------

  saveState(): DeviceState {
    return {
      name: 'local-apic',
      version: 1,
      fields: {
        id: this.id,
        base: this.base,
        globallyEnabled: this.globallyEnabled,
        tpr: this.tpr,
        ldr: this.ldr,
        dfr: this.dfr,
        svr: this.svr,
        isr: Array.from(this.isr),
        tmr: Array.from(this.tmr),
        irr: Array.from(this.irr),
        esr: this.esr,
        pendingErrors: this.pendingErrors,
        icrLow: this.icrLow,
        icrHigh: this.icrHigh,
        lvt: Array.from(this.lvt),
        extIntPending: this.extIntPending,
        initialCount: this.initialCount,
        divideConfig: this.divideConfig,
        timerBase: this.timerBase,
        countBase: this.countBase,
      },
    };
  }

  loadState(state: DeviceState): void {
    const f = stateFields(state, 'local-apic', 1) as Record<string, number> & Record<'isr' | 'tmr' | 'irr' | 'lvt', number[]> & Record<'globallyEnabled' | 'extIntPending', boolean>;
    this.id = f.id;
    this.base = f.base;
    this.globallyEnabled = f.globallyEnabled;
    this.tpr = f.tpr;
    this.ldr = f.ldr;
    this.dfr = f.dfr;
    this.svr = f.svr;
    this.isr.set(f.isr);
    this.tmr.set(f.tmr);
    this.irr.set(f.irr);
    this.esr = f.esr;
    this.pendingErrors = f.pendingErrors;
    this.icrLow = f.icrLow;
    this.icrHigh = f.icrHigh;
    this.lvt.set(f.lvt);
    this.extIntPending = f.extIntPending;
    this.initialCount = f.initialCount;
    this.divideConfig = f.divideConfig;
    this.timerBase = f.timerBase;
    this.countBase = f.countBase;
    this.scheduleTimer();
  }
}

// 256-bit vector sets (ISR, TMR, IRR) as eight 32-bit words.

function highestBit(words: Uint32Array): number {
  for (let i = words.length - 1; i >= 0; i--) {
    if (words[i]) return 32 * i + 31 - Math.clz32(words[i]);
  }
  return -1;
}

function setBit(words: Uint32Array, vector: number): void {
  words[vector >>> 5] |= 1 << (vector & 31);
}

function clearBit(words: Uint32Array, vector: number): void {
  words[vector >>> 5] &= ~(1 << (vector & 31));
}

function testBit(words: Uint32Array, vector: number): boolean {
  return (words[vector >>> 5] & (1 << (vector & 31))) !== 0;
}

// The Intel 8254 programmable interval timer: three 16-bit down counters fed
// by the PC's 1.193182 MHz clock.
//
// Follows the Intel 8254 datasheet (order no. 231164): control word format,
// counter latch and read-back commands, read/write of LSB, MSB or LSB then
// MSB, binary or BCD counting, and the six modes ("Mode 0: interrupt on
// terminal count" ... "Mode 5: hardware triggered strobe"), including what
// GATE does in each. On a PC the counters are at ports 0x40-0x42 and the
// control word register at 0x43; OUT0 drives IRQ0, counter 1 once refreshed
// DRAM, and counter 2's GATE and OUT are reached through port 0x61 (see
// system-ports.ts) to drive the speaker.
//
// Nothing ticks. Each counter remembers the virtual time its count was loaded
// and computes the count and OUT from `clock.now` when asked. The only events
// scheduled are OUT0 transitions, so the IRQ0 wire sees every edge. As the
// datasheet says, after reset a counter's state is undefined and it does not
// count until a control word and a count are written.

import type { VirtualClock, ClockEvent } from '../machine/clock.ts';
import { stateFields, type AccessSize, type DeviceState, type IrqLine, type RegisterBlock } from './bus.ts';

/** The counters' input clock on a PC, in Hz. */
export const PIT_HZ = 1_193_182;
const NS_PER_SECOND = 1e9;

// Port offsets.
const PORT_CONTROL = 3;

// Control word fields.
const CONTROL_SELECT_SHIFT = 6; // SC1-SC0: counter 0-2, or 3 = read-back
const SELECT_READ_BACK = 3;
const CONTROL_ACCESS_SHIFT = 4; // RW1-RW0
const CONTROL_MODE_SHIFT = 1; // M2-M0
const CONTROL_BCD = 0x01;

const enum Access {
  Latch = 0,
  Low = 1,
  High = 2,
  LowHigh = 3,
}

// Read-back command bits (control word with SC = 11).
const READ_BACK_NO_COUNT = 0x20; // COUNT bit is active low
const READ_BACK_NO_STATUS = 0x10; // STATUS bit is active low
const READ_BACK_COUNTER0 = 0x02; // bits 1..3 select counters 0..2

// Status byte returned after a read-back status latch.
const STATUS_OUT = 0x80;
const STATUS_NULL_COUNT = 0x40;

/** Per-counter state. Counting is described by when it started, not by ticking. */
class Counter {
  mode = 0;
  access = Access.LowHigh;
  bcd = false;
  /** Count register value as written (0 means the maximum: 65536, or 10000 in BCD). */
  countRegister = 0;
  /** The count the counting element was loaded with (1..65536). */
  reload = 0;
  /** Virtual time (ns) at which the counting element was loaded, or null while not counting. */
  startTime: number | null = null;
  /** Modes 2 and 3: a count written during counting, and the time its period ends and it takes over. */
  pendingSwitch: { reload: number; at: number } | null = null;
  /** Set by a control word or a new count until that count reaches the counting element. */
  nullCount = true;
  gate = true;
  /** While GATE holds counting off (modes 0, 2, 3, 4): the time it went low. */
  pausedAt: number | null = null;
  /** OUT in the idle state (after a control word and before counting starts). */
  idleOut = false;
  programmed = false;
  // Byte sequencing.
  writeHigh = false;
  readHigh = false;
  partialWrite = 0;
  latchedCount: number | null = null;
  latchedHigh = false;
  latchedStatus: number | null = null;

  get modulus(): number {
    return this.bcd ? 10000 : 0x10000;
  }

  /** Whole input-clock ticks counted by time `now`. */
  ticks(now: number): number {
    if (this.startTime === null) return 0;
    const end = this.pausedAt ?? now;
    return Math.floor(((end - this.startTime) * PIT_HZ) / NS_PER_SECOND);
  }

  /** Earliest virtual time at which `ticks` clock ticks have passed since the start. */
  timeOfTick(tick: number): number {
    const start = this.startTime!;
    let time = start + Math.ceil((tick * NS_PER_SECOND) / PIT_HZ);
    while (Math.floor(((time - start) * PIT_HZ) / NS_PER_SECOND) < tick) time++;
    return time;
  }

  /** Count in the counting element at `now`. */
  count(now: number): number {
    if (this.startTime === null) return this.reload % this.modulus;
    const elapsed = this.ticks(now);
    const reload = this.reload;
    switch (this.mode) {
      case 2:
        return reload - (elapsed % reload);
      case 3: {
        // Decrements by two each clock, reloading at each half period.
        const phase = elapsed % reload;
        const high = Math.ceil(reload / 2);
        const half = phase < high ? phase : phase - high;
        return reload - 2 * half;
      }
      default:
        // Modes 0, 1, 4, 5 wrap past zero and keep counting down.
        return (((reload - elapsed) % this.modulus) + this.modulus) % this.modulus;
    }
  }

  /** OUT pin at `now`. */
  out(now: number): boolean {
    if (this.startTime === null) return this.idleOut;
    if (this.pausedAt !== null && (this.mode === 2 || this.mode === 3)) return true; // GATE low forces OUT high
    const elapsed = this.ticks(now);
    const reload = this.reload;
    switch (this.mode) {
      case 0:
      case 1:
        return elapsed >= reload;
      case 2:
        // Low for the one clock in which the count is 1.
        return elapsed % reload !== reload - 1;
      case 3:
        return elapsed % reload < Math.ceil(reload / 2);
      default:
        // Modes 4 and 5: a one-clock low strobe when the count reaches zero.
        return elapsed !== reload;
    }
  }

  /** Next virtual time after `now` at which OUT changes, or null if it never will by itself. */
  nextTransition(now: number): number | null {
    if (this.startTime === null || this.pausedAt !== null) return null;
    const elapsed = this.ticks(now);
    const reload = this.reload;
    let tick: number;
    switch (this.mode) {
      case 0:
      case 1:
        if (elapsed >= reload) return null;
        tick = reload;
        break;
      case 2: {
        if (reload < 2) return null; // an illegal count: OUT never changes
        const phase = elapsed % reload;
        const base = elapsed - phase;
        tick = phase < reload - 1 ? base + reload - 1 : base + reload;
        break;
      }
      case 3: {
        if (reload < 2) return null;
        const phase = elapsed % reload;
        const base = elapsed - phase;
        const high = Math.ceil(reload / 2);
        tick = phase < high ? base + high : base + reload;
        break;
      }
      default:
        if (elapsed > reload) return null;
        tick = elapsed < reload ? reload : reload + 1;
    }
    return this.timeOfTick(tick);
  }

  /** The count register as a number of clocks: 0 stands for the maximum. */
  registerCount(): number {
    const written = this.countRegister;
    return this.bcd ? fromBcd(written) || 10000 : written || 0x10000;
  }

  /** The whole count has been written: load it as the datasheet says for this mode. */
  loadCount(now: number): void {
    const reload = this.registerCount();
    const counting = this.startTime !== null && this.pausedAt === null;
    this.programmed = true;
    if ((this.mode === 2 || this.mode === 3) && counting) {
      // "If a new count is written during counting, it will be loaded at the end of the current counting cycle."
      const elapsed = this.ticks(now);
      this.pendingSwitch = { reload, at: this.timeOfTick(elapsed - (elapsed % this.reload) + this.reload) };
      return;
    }
    if (this.mode === 1 || this.mode === 5) {
      // Hardware-triggered modes wait for a rising edge on GATE; a one-shot
      // already running is not disturbed by the new count.
      if (this.startTime === null) this.idleOut = true;
      return;
    }
    this.reload = reload;
    this.nullCount = false;
    this.startTime = now;
    this.pausedAt = this.gate ? null : now;
  }
}

function fromBcd(value: number): number {
  return ((value >> 12) & 0xf) * 1000 + ((value >> 8) & 0xf) * 100 + ((value >> 4) & 0xf) * 10 + (value & 0xf);
}

function toBcd(value: number): number {
  return (Math.floor(value / 1000) % 10) * 0x1000 + (Math.floor(value / 100) % 10) * 0x100 + (Math.floor(value / 10) % 10) * 0x10 + (value % 10);
}

export interface Pit8254Options {
  clock: VirtualClock;
  /** OUT0: IRQ0 on a PC. */
  irq?: IrqLine;
}

/** The 8254: counters at offsets 0-2, control word at offset 3. */
export class Pit8254 implements RegisterBlock {
  private readonly clock: VirtualClock;
  private readonly irq?: IrqLine;
  private readonly counters: Counter[];
  private out0Event: ClockEvent | null = null;

  constructor(options: Pit8254Options) {
    this.clock = options.clock;
    this.irq = options.irq;
    this.counters = [0, 1, 2].map(() => new Counter());
  }

  read(offset: number, _size: AccessSize): number {
    if (offset >= PORT_CONTROL) return 0xff; // the control word register is write-only
    const counter = this.counter(offset);
    if (counter.latchedStatus !== null) {
      const status = counter.latchedStatus;
      counter.latchedStatus = null;
      return status;
    }
    if (counter.latchedCount !== null) {
      const value = counter.latchedCount;
      if (counter.access === Access.LowHigh && !counter.latchedHigh) {
        counter.latchedHigh = true;
        return value & 0xff;
      }
      counter.latchedCount = null;
      counter.latchedHigh = false;
      return counter.access === Access.High || counter.access === Access.LowHigh ? (value >> 8) & 0xff : value & 0xff;
    }
    const value = this.readableCount(counter);
    switch (counter.access) {
      case Access.Low:
        return value & 0xff;
      case Access.High:
        return (value >> 8) & 0xff;
      default: {
        const high = counter.readHigh;
        counter.readHigh = !high;
        return high ? (value >> 8) & 0xff : value & 0xff;
      }
    }
  }

  write(offset: number, _size: AccessSize, value: number): void {
    value &= 0xff;
    if (offset >= PORT_CONTROL) {
      this.writeControl(value);
      return;
    }
    const counter = this.counter(offset);
    const now = this.clock.now;
    switch (counter.access) {
      case Access.Low:
        counter.countRegister = value;
        break;
      case Access.High:
        counter.countRegister = value << 8;
        break;
      default:
        if (!counter.writeHigh) {
          counter.partialWrite = value;
          counter.writeHigh = true;
          // Mode 0: "Writing the first byte disables counting. OUT is set low immediately."
          if (counter.mode === 0 && counter.startTime !== null) {
            this.freeze(counter, now);
            counter.startTime = null;
            counter.idleOut = false;
            this.counterChanged(offset);
          }
          return;
        }
        counter.writeHigh = false;
        counter.countRegister = counter.partialWrite | (value << 8);
    }
    counter.nullCount = true;
    this.applyPending(counter, now);
    counter.loadCount(now);
    this.counterChanged(offset);
  }

  /** Drive a counter's GATE input (only counter 2's is not tied high on a PC). */
  setGate(channel: number, level: boolean): void {
    const counter = this.counter(channel);
    if (level === counter.gate) return;
    const now = this.clock.now;
    this.applyPending(counter, now);
    counter.gate = level;
    if (!counter.programmed) return;
    switch (counter.mode) {
      case 0:
      case 4:
        // GATE low suspends counting; high resumes it where it was.
        if (counter.startTime === null) break;
        if (!level) counter.pausedAt = now;
        else if (counter.pausedAt !== null) {
          counter.startTime += now - counter.pausedAt;
          counter.pausedAt = null;
        }
        break;
      case 1:
      case 5:
        // A rising edge (re)triggers: load the count register and start.
        if (level) {
          counter.reload = counter.registerCount();
          counter.nullCount = false;
          counter.startTime = now;
          counter.pausedAt = null;
        }
        break;
      default:
        // Modes 2 and 3: low stops counting and forces OUT high; the rising edge reloads.
        if (!level) counter.pausedAt = now;
        else {
          counter.reload = counter.registerCount();
          counter.pendingSwitch = null;
          counter.nullCount = false;
          counter.startTime = now;
          counter.pausedAt = null;
        }
    }
    this.counterChanged(channel);
  }

  /** Counter 2's GATE as last set (port 0x61 bit 0). */
  gate(channel: number): boolean {
    return this.counter(channel).gate;
  }

  /** OUT of counter `channel` now (counter 2's reads back on port 0x61 bit 5). */
  out(channel: number): boolean {
    const counter = this.counter(channel);
    this.applyPending(counter, this.clock.now);
    return counter.out(this.clock.now);
  }

  /** Leave counter 0 as a PC BIOS does: mode 3, LSB then MSB, count 0 (65536: 18.2 Hz on IRQ0). */
  programBiosDefaults(): void {
    this.write(PORT_CONTROL, 1, (Access.LowHigh << CONTROL_ACCESS_SHIFT) | (3 << CONTROL_MODE_SHIFT));
    this.write(0, 1, 0);
    this.write(0, 1, 0);
  }

  private counter(index: number): Counter {
    const counter = this.counters[index];
    if (!counter) throw new Error(`8254 has no counter ${index}`);
    return counter;
  }

  /** The count as a guest reads it, in BCD when the counter counts in BCD. */
  private readableCount(counter: Counter): number {
    const now = this.clock.now;
    this.applyPending(counter, now);
    const count = counter.count(now) % counter.modulus;
    return counter.bcd ? toBcd(count) : count;
  }

  /** Modes 2/3: switch to a count written during counting once its period has ended. */
  private applyPending(counter: Counter, now: number): void {
    const pending = counter.pendingSwitch;
    if (!pending || now < pending.at) return;
    counter.startTime = pending.at;
    counter.reload = pending.reload;
    counter.nullCount = false;
    counter.pendingSwitch = null;
  }

  private freeze(counter: Counter, now: number): void {
    // Keep the current count visible in the count register image while stopped.
    counter.reload = counter.count(now) || counter.modulus;
  }

  private writeControl(value: number): void {
    const select = value >> CONTROL_SELECT_SHIFT;
    if (select === SELECT_READ_BACK) {
      this.readBack(value);
      return;
    }
    const counter = this.counter(select);
    const access = (value >> CONTROL_ACCESS_SHIFT) & 3;
    if (access === Access.Latch) {
      // Counter latch command: a second latch before the first is read is ignored.
      if (counter.latchedCount === null) {
        counter.latchedCount = this.readableCount(counter);
        counter.latchedHigh = false;
      }
      return;
    }
    let mode = (value >> CONTROL_MODE_SHIFT) & 7;
    if (mode > 5) mode -= 4; // 6 and 7 are aliases of 2 and 3
    // "When a Control Word is written to a Counter, all Control Logic is
    // immediately reset and OUT goes to a known initial state."
    counter.mode = mode;
    counter.access = access;
    counter.bcd = (value & CONTROL_BCD) !== 0;
    counter.startTime = null;
    counter.pausedAt = null;
    counter.pendingSwitch = null;
    counter.nullCount = true;
    counter.idleOut = mode !== 0;
    counter.writeHigh = false;
    counter.readHigh = false;
    counter.latchedCount = null;
    counter.latchedHigh = false;
    counter.latchedStatus = null;
    this.counterChanged(select);
  }

  private readBack(value: number): void {
    const now = this.clock.now;
    for (let index = 0; index < 3; index++) {
      if (!(value & (READ_BACK_COUNTER0 << index))) continue;
      const counter = this.counters[index];
      if (!(value & READ_BACK_NO_COUNT) && counter.latchedCount === null) {
        counter.latchedCount = this.readableCount(counter);
        counter.latchedHigh = false;
      }
      if (!(value & READ_BACK_NO_STATUS) && counter.latchedStatus === null) {
        this.applyPending(counter, now);
        counter.latchedStatus =
          (counter.out(now) ? STATUS_OUT : 0) |
          (counter.nullCount ? STATUS_NULL_COUNT : 0) |
          (counter.access << CONTROL_ACCESS_SHIFT) |
          (counter.mode << CONTROL_MODE_SHIFT) |
          (counter.bcd ? CONTROL_BCD : 0);
      }
    }
  }

  /** Re-drive IRQ0 and reschedule its next edge after counter 0 changed. */
  private counterChanged(index: number): void {
    if (index !== 0 || !this.irq) return;
    this.clock.cancel(this.out0Event);
    this.out0Event = null;
    this.driveOut0(this.clock.now);
  }

  private driveOut0(now: number): void {
    const counter = this.counters[0];
    this.applyPending(counter, now);
    this.irq!.set(counter.out(now));
    let next = counter.nextTransition(now);
    const pending = counter.pendingSwitch;
    if (pending && (next === null || pending.at < next)) next = pending.at;
    if (next === null) return;
    this.out0Event = this.clock.at(next, (time) => {
      this.out0Event = null;
      this.driveOut0(time);
    });
  }

  saveState(): DeviceState {
    const counters = this.counters.map((counter) => ({
      mode: counter.mode,
      access: counter.access,
      bcd: counter.bcd,
      countRegister: counter.countRegister,
      reload: counter.reload,
      startTime: counter.startTime,
      pendingSwitch: counter.pendingSwitch,
      nullCount: counter.nullCount,
      gate: counter.gate,
      pausedAt: counter.pausedAt,
      idleOut: counter.idleOut,
      programmed: counter.programmed,
      writeHigh: counter.writeHigh,
      readHigh: counter.readHigh,
      partialWrite: counter.partialWrite,
      latchedCount: counter.latchedCount,
      latchedHigh: counter.latchedHigh,
      latchedStatus: counter.latchedStatus,
    }));
    return { name: 'pit8254', version: 1, fields: { counters } };
  }

  loadState(state: DeviceState): void {
    const fields = stateFields(state, 'pit8254', 1);
    const saved = fields.counters as Record<string, unknown>[];
    saved.forEach((counterFields, index) => Object.assign(this.counters[index], counterFields));
    this.counterChanged(0);
  }
}

// The Motorola MC146818 real-time clock and its battery-backed CMOS RAM.
//
// Follows the MC146818A datasheet: time, alarm and calendar registers 0x00-0x09
// in BCD or binary and 12- or 24-hour format (register B), register A (update
// in progress, divider, periodic rate select), register B (SET, interrupt
// enables), register C (interrupt flags, cleared by reading), register D
// (valid RAM and time), periodic, alarm and update-ended interrupts. On a PC
// it is reached through an index port at 0x70 (whose bit 7 masks NMI) and a
// data port at 0x71, and interrupts on IRQ 8.
//
// The time of day comes from a virtual wall clock: `startTime` (epoch seconds)
// at virtual time 0, advanced by the machine's VirtualClock and never by the
// host's. Updates are modelled as instant at each second boundary, with UIP set
// during the 244 us before it as the datasheet says. Flags are computed when
// register C is read; clock events are scheduled only for interrupts that are
// enabled and not already pending.
//
// The NVRAM is filled with what QEMU's pc machine puts there (hw/i386/pc.c,
// pc_cmos_init): memory sizes, equipment byte, boot order, century, disks, and
// the checksum over 0x10-0x2D. The day-of-week register is computed from the
// date; writes to it are ignored.

import type { ClockEvent, VirtualClock } from '../machine/clock.ts';
import { stateFields, type AccessSize, type DeviceState, type IrqLine, type RegisterBlock } from './bus.ts';

// Port offsets.
const PORT_INDEX = 0;
const INDEX_NMI_DISABLE = 0x80;
const INDEX_MASK = 0x7f;
const CMOS_SIZE = 128;

// Clock and status registers.
const REG_SECONDS = 0x00;
const REG_SECONDS_ALARM = 0x01;
const REG_MINUTES = 0x02;
const REG_MINUTES_ALARM = 0x03;
const REG_HOURS = 0x04;
const REG_HOURS_ALARM = 0x05;
const REG_DAY_OF_WEEK = 0x06;
const REG_DAY_OF_MONTH = 0x07;
const REG_MONTH = 0x08;
const REG_YEAR = 0x09;
const REG_A = 0x0a;
const REG_B = 0x0b;
const REG_C = 0x0c;
const REG_D = 0x0d;
const REG_CENTURY = 0x32; // IBM PC/AT convention

// Register A.
const A_UPDATE_IN_PROGRESS = 0x80;
const A_DIVIDER_MASK = 0x70;
const A_DIVIDER_RESET = 0x60; // DV2-DV1 = 11: divider chain held in reset
const A_RATE_MASK = 0x0f;
/** 32.768 kHz time base, periodic rate 1024 Hz: what a PC BIOS programs. */
const A_DEFAULT = 0x26;

// Register B.
const B_SET = 0x80;
const B_PERIODIC_ENABLE = 0x40;
const B_ALARM_ENABLE = 0x20;
const B_UPDATE_ENABLE = 0x10;
const B_BINARY = 0x04; // DM: 1 = binary, 0 = BCD
const B_24_HOUR = 0x02;
const B_DEFAULT = B_24_HOUR;

// Register C.
const C_IRQF = 0x80;
const C_PERIODIC = 0x40;
const C_ALARM = 0x20;
const C_UPDATE = 0x10;

// Register D.
const D_VALID_RAM_AND_TIME = 0x80;

const HOUR_PM = 0x80;
/** Alarm bytes with the top two bits set match any value. */
const ALARM_DONT_CARE = 0xc0;

const NS_PER_SECOND = 1e9;
const TIME_BASE_HZ = 32768;
/** UIP rises this long before each update cycle. */
const UIP_LEAD_NS = 244_000;
const SECONDS_PER_DAY = 86400;

// NVRAM bytes a PC BIOS reads (IBM PC/AT Technical Reference, QEMU pc_cmos_init).
const NV_FLOPPY_TYPES = 0x10;
const NV_HARD_DISK_TYPES = 0x12;
const NV_EQUIPMENT = 0x14;
const NV_BASE_MEMORY = 0x15; // and 0x16, KiB
const NV_EXTENDED_MEMORY = 0x17; // and 0x18, KiB above 1 MiB
const NV_HARD_DISK0_EXTENDED_TYPE = 0x19;
const NV_HARD_DISK_PARAMETERS = [0x1b, 0x24];
const NV_CHECKSUM = 0x2e; // high byte; 0x2F low byte
const NV_CHECKSUM_START = 0x10;
const NV_CHECKSUM_END = 0x2d;
const NV_EXTENDED_MEMORY_COPY = 0x30; // and 0x31
const NV_MEMORY_ABOVE_16M = 0x34; // and 0x35, 64 KiB units
const NV_BOOT_ORDER_3 = 0x38; // third boot device in the high nibble; bit 0 skips the floppy signature check
const NV_BOOT_ORDER_1_2 = 0x3d; // first boot device low nibble, second high
const NV_MEMORY_ABOVE_4G = 0x5b; // 0x5B-0x5D, 64 KiB units
const NV_CPU_COUNT_MINUS_1 = 0x5f;

const EQUIPMENT_FPU = 0x02;
const EQUIPMENT_PS2_MOUSE = 0x04;
const BOOT_DEVICE_HARD_DISK = 0x02;
const HARD_DISK_USER_TYPE = 47;

const KIB = 1024;
const MIB = 1024 * KIB;

/** Default virtual wall time: 2026-01-01T00:00:00Z. */
export const DEFAULT_START_TIME = Date.UTC(2026, 0, 1) / 1000;

export interface HardDiskGeometry {
  cylinders: number;
  heads: number;
  sectors: number;
}

export interface CmosOptions {
  clock: VirtualClock;
  /** IRQ 8 on a PC. */
  irq?: IrqLine;
  /** Wall time at virtual time 0, in seconds since the Unix epoch. */
  startTime?: number;
  /** Guest RAM size, for the memory-size bytes (default 128 MiB). */
  memoryBytes?: number;
  /** Number of CPUs (byte 0x5F holds it minus one). */
  cpus?: number;
  /** Geometry of up to two IDE disks, for bytes 0x12, 0x19-0x2D. */
  hardDisks?: HardDiskGeometry[];
}

const toBcd = (value: number) => Math.floor(value / 10) * 16 + (value % 10);
const fromBcd = (value: number) => (value >> 4) * 10 + (value & 0x0f);

/** Fields of a broken-down UTC time, in binary. */
interface CalendarTime {
  seconds: number;
  minutes: number;
  hours: number;
  dayOfMonth: number;
  month: number; // 1..12
  year: number; // full year
}

function calendar(epochSeconds: number): CalendarTime {
  const date = new Date(epochSeconds * 1000);
  return {
    seconds: date.getUTCSeconds(),
    minutes: date.getUTCMinutes(),
    hours: date.getUTCHours(),
    dayOfMonth: date.getUTCDate(),
    month: date.getUTCMonth() + 1,
    year: date.getUTCFullYear(),
  };
}

function epochOf(time: CalendarTime): number {
  return Date.UTC(time.year, time.month - 1, time.dayOfMonth, time.hours, time.minutes, time.seconds) / 1000;
}

export class Cmos implements RegisterBlock {
  private readonly clock: VirtualClock;
  private readonly irq?: IrqLine;
  /** The 128 bytes of CMOS; 0x00-0x0D are computed on read rather than stored here. */
  readonly nvram = new Uint8Array(CMOS_SIZE);
  private index = 0;
  /** Bit 7 of the last index write: NMI masked. */
  nmiMasked = false;
  private registerA = A_DEFAULT;
  private registerB = B_DEFAULT;
  private flags = 0; // register C, without IRQF
  private alarm = [0, 0, 0]; // seconds, minutes, hours alarm bytes as written
  /** Wall time (epoch s) at virtual time `baseNs`, while running. */
  private baseSeconds: number;
  private baseNs = 0;
  /** While SET or the divider reset hold the clock: the frozen time. */
  private frozenSeconds: number | null = null;
  /** Flags have been brought up to date up to this virtual time. */
  private checkedNs = 0;
  private irqLevel = false;
  private event: ClockEvent | null = null;

  constructor(options: CmosOptions) {
    this.clock = options.clock;
    this.irq = options.irq;
    this.baseSeconds = Math.floor(options.startTime ?? DEFAULT_START_TIME);
    this.baseNs = this.clock.now;
    this.checkedNs = this.clock.now;
    this.fillNvram(options.memoryBytes ?? 128 * MIB, options.cpus ?? 1, options.hardDisks ?? []);
  }

  /** Wall time the guest sees now, in epoch seconds. */
  get time(): number {
    return this.secondsAt(this.clock.now);
  }

  /** Set the wall time (epoch seconds), keeping it running from now. */
  setTime(epochSeconds: number): void {
    this.catchUp(this.clock.now);
    this.storeSeconds(Math.floor(epochSeconds));
    this.reschedule();
  }

  read(offset: number, _size: AccessSize): number {
    // The index register is write-only; QEMU and most chipsets read 0xFF.
    if (offset === PORT_INDEX) return 0xff;
    return this.readRegister(this.index);
  }

  write(offset: number, _size: AccessSize, value: number): void {
    value &= 0xff;
    if (offset === PORT_INDEX) {
      this.index = value & INDEX_MASK;
      this.nmiMasked = (value & INDEX_NMI_DISABLE) !== 0;
      return;
    }
    this.writeRegister(this.index, value);
  }

  private readRegister(index: number): number {
    const now = this.clock.now;
    switch (index) {
      case REG_SECONDS_ALARM:
        return this.alarm[0];
      case REG_MINUTES_ALARM:
        return this.alarm[1];
      case REG_HOURS_ALARM:
        return this.alarm[2];
      case REG_SECONDS:
      case REG_MINUTES:
      case REG_HOURS:
      case REG_DAY_OF_WEEK:
      case REG_DAY_OF_MONTH:
      case REG_MONTH:
      case REG_YEAR:
      case REG_CENTURY:
        return this.timeRegister(index, this.secondsAt(now));
      case REG_A:
        return this.registerA | (this.updateInProgress(now) ? A_UPDATE_IN_PROGRESS : 0);
      case REG_B:
        return this.registerB;
      case REG_C: {
        this.catchUp(now);
        const value = this.flags | (this.interruptPending() ? C_IRQF : 0);
        this.flags = 0;
        this.updateIrq();
        this.reschedule();
        return value;
      }
      case REG_D:
        return D_VALID_RAM_AND_TIME;
      default:
        return this.nvram[index];
    }
  }

  private writeRegister(index: number, value: number): void {
    const now = this.clock.now;
    switch (index) {
      case REG_SECONDS_ALARM:
      case REG_MINUTES_ALARM:
      case REG_HOURS_ALARM:
        this.catchUp(now);
        this.alarm[(index - REG_SECONDS_ALARM) >> 1] = value;
        break;
      case REG_SECONDS:
      case REG_MINUTES:
      case REG_HOURS:
      case REG_DAY_OF_MONTH:
      case REG_MONTH:
      case REG_YEAR:
      case REG_CENTURY:
        this.catchUp(now);
        this.writeTimeRegister(index, value);
        break;
      case REG_DAY_OF_WEEK:
        break;
      case REG_A:
        this.catchUp(now);
        this.registerA = value & ~A_UPDATE_IN_PROGRESS;
        this.applyFreeze(now);
        break;
      case REG_B: {
        this.catchUp(now);
        // Setting SET aborts any update cycle and clears UIE (datasheet, register B).
        if (value & B_SET) value &= ~B_UPDATE_ENABLE;
        this.registerB = value;
        this.applyFreeze(now);
        this.updateIrq();
        break;
      }
      case REG_C:
      case REG_D:
        break; // read-only
      default:
        this.nvram[index] = value;
        return;
    }
    this.reschedule();
  }

  // --- Time of day ---------------------------------------------------------

  private secondsAt(now: number): number {
    if (this.frozenSeconds !== null) return this.frozenSeconds;
    return this.baseSeconds + Math.floor((now - this.baseNs) / NS_PER_SECOND);
  }

  private storeSeconds(seconds: number): void {
    if (this.frozenSeconds !== null) {
      this.frozenSeconds = seconds;
    } else {
      this.baseSeconds = seconds;
      this.baseNs = this.clock.now;
    }
  }

  private get halted(): boolean {
    return (this.registerB & B_SET) !== 0 || (this.registerA & A_DIVIDER_MASK) >= A_DIVIDER_RESET;
  }

  /** Freeze the time while SET or the divider reset hold it; restart it (a full second to go) when released. */
  private applyFreeze(now: number): void {
    if (this.halted && this.frozenSeconds === null) {
      this.frozenSeconds = this.secondsAt(now);
    } else if (!this.halted && this.frozenSeconds !== null) {
      this.baseSeconds = this.frozenSeconds;
      this.baseNs = now;
      this.frozenSeconds = null;
    }
  }

  private updateInProgress(now: number): boolean {
    if (this.frozenSeconds !== null) return false;
    const intoSecond = (now - this.baseNs) % NS_PER_SECOND;
    return intoSecond >= NS_PER_SECOND - UIP_LEAD_NS;
  }

  /** Encode a binary value as the guest asked in register B (BCD or binary). */
  private encode(value: number): number {
    return this.registerB & B_BINARY ? value : toBcd(value);
  }

  private decode(value: number): number {
    return this.registerB & B_BINARY ? value : fromBcd(value);
  }

  private encodeHours(hours: number): number {
    if (this.registerB & B_24_HOUR) return this.encode(hours);
    const twelve = hours % 12 || 12;
    return this.encode(twelve) | (hours >= 12 ? HOUR_PM : 0);
  }

  private decodeHours(value: number): number {
    if (this.registerB & B_24_HOUR) return this.decode(value);
    const twelve = this.decode(value & ~HOUR_PM);
    return (twelve % 12) + (value & HOUR_PM ? 12 : 0);
  }

  private timeRegister(index: number, seconds: number): number {
    const time = calendar(seconds);
    switch (index) {
      case REG_SECONDS:
        return this.encode(time.seconds);
      case REG_MINUTES:
        return this.encode(time.minutes);
      case REG_HOURS:
        return this.encodeHours(time.hours);
      case REG_DAY_OF_WEEK:
        return this.encode(new Date(seconds * 1000).getUTCDay() + 1); // 1 = Sunday
      case REG_DAY_OF_MONTH:
        return this.encode(time.dayOfMonth);
      case REG_MONTH:
        return this.encode(time.month);
      case REG_YEAR:
        return this.encode(time.year % 100);
      default:
        return this.encode(Math.floor(time.year / 100));
    }
  }

  private writeTimeRegister(index: number, value: number): void {
    const time = calendar(this.secondsAt(this.clock.now));
    switch (index) {
      case REG_SECONDS:
        time.seconds = this.decode(value);
        break;
      case REG_MINUTES:
        time.minutes = this.decode(value);
        break;
      case REG_HOURS:
        time.hours = this.decodeHours(value);
        break;
      case REG_DAY_OF_MONTH:
        time.dayOfMonth = this.decode(value);
        break;
      case REG_MONTH:
        time.month = this.decode(value);
        break;
      case REG_YEAR:
        time.year = Math.floor(time.year / 100) * 100 + this.decode(value);
        break;
      default:
        time.year = this.decode(value) * 100 + (time.year % 100);
    }
    this.storeSeconds(epochOf(time));
  }

  // --- Interrupts ----------------------------------------------------------

  /** Periodic interrupt period in ns, or 0 when the rate select is 0. */
  private periodicNs(): number {
    const rate = this.registerA & A_RATE_MASK;
    if (rate === 0) return 0;
    // Rates 1 and 2 give 256 and 128 Hz with a 32.768 kHz time base (datasheet Table 5).
    const ticks = rate <= 2 ? 1 << (rate + 6) : 1 << (rate - 1);
    return (ticks * NS_PER_SECOND) / TIME_BASE_HZ;
  }

  private alarmMatches(seconds: number): boolean {
    const time = calendar(seconds);
    const current = [this.encode(time.seconds), this.encode(time.minutes), this.encodeHours(time.hours)];
    return this.alarm.every((byte, i) => (byte & ALARM_DONT_CARE) === ALARM_DONT_CARE || byte === current[i]);
  }

  /** Set the flags for every update, alarm and periodic tick between the last check and `now`. */
  private catchUp(now: number): void {
    const from = this.checkedNs;
    if (now <= from) return;
    this.checkedNs = now;
    const period = this.periodicNs();
    if (period && !this.halted && Math.floor(now / period) > Math.floor(from / period)) this.flags |= C_PERIODIC;
    if (this.frozenSeconds !== null) return;
    const firstUpdate = Math.floor((from - this.baseNs) / NS_PER_SECOND) + 1;
    const lastUpdate = Math.floor((now - this.baseNs) / NS_PER_SECOND);
    if (lastUpdate < firstUpdate) return;
    this.flags |= C_UPDATE;
    // The alarm pattern repeats daily, so one day of updates covers every case.
    const start = Math.max(firstUpdate, lastUpdate - SECONDS_PER_DAY + 1);
    for (let update = start; update <= lastUpdate && !(this.flags & C_ALARM); update++) {
      if (this.alarmMatches(this.baseSeconds + update)) this.flags |= C_ALARM;
    }
  }

  private interruptPending(): boolean {
    const enabled = this.registerB & (B_PERIODIC_ENABLE | B_ALARM_ENABLE | B_UPDATE_ENABLE);
    // Flag bits C.PF/AF/UF line up with enable bits B.PIE/AIE/UIE.
    return (this.flags & enabled) !== 0;
  }

  private updateIrq(): void {
    const level = this.interruptPending();
    if (level === this.irqLevel) return;
    this.irqLevel = level;
    this.irq?.set(level);
  }

  /** Schedule the next moment an enabled interrupt can fire, unless one is already pending. */
  private reschedule(): void {
    this.clock.cancel(this.event);
    this.event = null;
    if (this.interruptPending()) return;
    const now = this.clock.now;
    let next = Infinity;
    const period = this.periodicNs();
    if (this.registerB & B_PERIODIC_ENABLE && period && !this.halted) {
      next = (Math.floor(now / period) + 1) * period;
    }
    if (this.registerB & (B_UPDATE_ENABLE | B_ALARM_ENABLE) && this.frozenSeconds === null) {
      const update = this.baseNs + (Math.floor((now - this.baseNs) / NS_PER_SECOND) + 1) * NS_PER_SECOND;
      next = Math.min(next, update);
    }
    if (next === Infinity) return;
    this.event = this.clock.at(next, (time) => {
      this.event = null;
      this.catchUp(time);
      this.updateIrq();
      this.reschedule();
    });
  }

  // --- NVRAM ---------------------------------------------------------------

  private fillNvram(memoryBytes: number, cpus: number, disks: HardDiskGeometry[]): void {
    const nv = this.nvram;
    const setWord = (offset: number, value: number) => {
      nv[offset] = value & 0xff;
      nv[offset + 1] = (value >> 8) & 0xff;
    };
    const below4g = Math.min(memoryBytes, 0xe0000000);
    nv[NV_FLOPPY_TYPES] = 0; // no floppy drives on this machine
    nv[NV_EQUIPMENT] = EQUIPMENT_FPU | EQUIPMENT_PS2_MOUSE; // display bits 00: EGA/VGA
    setWord(NV_BASE_MEMORY, Math.min(below4g / KIB, 640));
    const extended = Math.min(Math.max(below4g - MIB, 0) / KIB, 0xffff);
    setWord(NV_EXTENDED_MEMORY, extended);
    setWord(NV_EXTENDED_MEMORY_COPY, extended);
    setWord(NV_MEMORY_ABOVE_16M, Math.min(Math.max(below4g - 16 * MIB, 0) / (64 * KIB), 0xffff));
    const above4g = Math.max(memoryBytes - below4g, 0) / (64 * KIB);
    nv[NV_MEMORY_ABOVE_4G] = above4g & 0xff;
    nv[NV_MEMORY_ABOVE_4G + 1] = (above4g >> 8) & 0xff;
    nv[NV_MEMORY_ABOVE_4G + 2] = (above4g >> 16) & 0xff;
    nv[NV_CPU_COUNT_MINUS_1] = cpus - 1;
    nv[NV_BOOT_ORDER_1_2] = BOOT_DEVICE_HARD_DISK;
    nv[NV_BOOT_ORDER_3] = 0;
    disks.slice(0, 2).forEach((disk, i) => {
      nv[NV_HARD_DISK_TYPES] |= i === 0 ? 0xf0 : 0x0f; // type 15: see the extended type byte
      nv[NV_HARD_DISK0_EXTENDED_TYPE + i] = HARD_DISK_USER_TYPE;
      const table = NV_HARD_DISK_PARAMETERS[i];
      setWord(table, disk.cylinders);
      nv[table + 2] = disk.heads;
      setWord(table + 3, 0xffff); // write precompensation: none
      nv[table + 5] = 0xc0 | (disk.heads > 8 ? 0x08 : 0); // control byte
      setWord(table + 6, disk.cylinders); // landing zone
      nv[table + 8] = disk.sectors;
    });
    let sum = 0;
    for (let i = NV_CHECKSUM_START; i <= NV_CHECKSUM_END; i++) sum += nv[i];
    nv[NV_CHECKSUM] = (sum >> 8) & 0xff;
    nv[NV_CHECKSUM + 1] = sum & 0xff;
  }

  saveState(): DeviceState {
    const now = this.clock.now;
    this.catchUp(now);
    return {
      name: 'mc146818',
      version: 1,
      fields: {
        nvram: Array.from(this.nvram),
        index: this.index,
        nmiMasked: this.nmiMasked,
        registerA: this.registerA,
        registerB: this.registerB,
        flags: this.flags,
        alarm: [...this.alarm],
        baseSeconds: this.baseSeconds,
        baseNs: this.baseNs,
        frozenSeconds: this.frozenSeconds,
        checkedNs: this.checkedNs,
        irqLevel: this.irqLevel,
      },
    };
  }

  loadState(state: DeviceState): void {
    const fields = stateFields(state, 'mc146818', 1);
    this.nvram.set(fields.nvram as number[]);
    this.index = fields.index as number;
    this.nmiMasked = fields.nmiMasked as boolean;
    this.registerA = fields.registerA as number;
    this.registerB = fields.registerB as number;
    this.flags = fields.flags as number;
    this.alarm = [...(fields.alarm as number[])];
    this.baseSeconds = fields.baseSeconds as number;
    this.baseNs = fields.baseNs as number;
    this.frozenSeconds = fields.frozenSeconds as number | null;
    this.checkedNs = fields.checkedNs as number;
    this.irqLevel = fields.irqLevel as boolean;
    this.reschedule();
  }
}

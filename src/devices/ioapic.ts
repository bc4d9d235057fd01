// I/O APIC (82093AA): 24 interrupt inputs routed to local APICs by a
// redirection table.
//
// Follows the Intel 82093AA I/O APIC datasheet (order 290566): section 3.0,
// the indirect register access through IOREGSEL (offset 0x00) and IOWIN
// (offset 0x10); IOAPICID, IOAPICVER and IOAPICARB (3.2.1-3.2.3); the 64-bit
// redirection table entries (3.2.4) with vector, delivery mode, destination
// mode, delivery status, polarity, remote IRR, trigger mode, mask and
// destination. The version register reads 0x00170011 as on QEMU: version
// 0x11, 24 entries.
//
// A PC puts it at physical 0xFEC00000 (the board maps this object with
// addMmio). Inputs are IrqLines from `irq(pin)`; on QEMU's `pc` ISA IRQ n
// drives pin n, except IRQ 0 (the PIT), which drives pin 2.
//
// An edge-triggered pin latches a rising edge and delivers it once (a masked
// edge waits for the unmask, as on QEMU). A level-triggered pin delivers while
// asserted and sets remote IRR; nothing more is sent until the local APIC's
// EOI for that vector comes back through `eoi(vector)`. Wires carry the
// logical "asserted" state, so the polarity bit is stored but not applied.

import { stateFields, type AccessSize, type IrqLine, type RegisterBlock, type DeviceState } from './bus.ts';
import type { ApicMessage } from './lapic.ts';

export const IOAPIC_DEFAULT_BASE = 0xfec00000;

// Memory-mapped registers.
export const IOREGSEL = 0x00;
export const IOWIN = 0x10;

// Indirect registers.
export const IOAPIC_ID = 0x00;
export const IOAPIC_VERSION = 0x01;
export const IOAPIC_ARBITRATION = 0x02;
export const IOAPIC_REDIRECTION_TABLE = 0x10;

export const IOAPIC_PINS = 24;
export const IOAPIC_VERSION_VALUE = ((IOAPIC_PINS - 1) << 16) | 0x11;
const ID_SHIFT = 24;
const ID_MASK = 0x0f;

// Redirection entry, low dword.
export const REDIRECT_VECTOR = 0xff;
const DELIVERY_MODE_SHIFT = 8;
const DELIVERY_MODE_MASK = 0x7;
export const REDIRECT_LOGICAL = 1 << 11;
export const REDIRECT_DELIVERY_PENDING = 1 << 12;
export const REDIRECT_ACTIVE_LOW = 1 << 13;
export const REDIRECT_REMOTE_IRR = 1 << 14;
export const REDIRECT_LEVEL_TRIGGERED = 1 << 15;
export const REDIRECT_MASKED = 1 << 16;
/** Everything but delivery status and remote IRR, which the I/O APIC owns. */
const REDIRECT_LOW_WRITABLE = REDIRECT_MASKED | REDIRECT_LEVEL_TRIGGERED | REDIRECT_ACTIVE_LOW | REDIRECT_LOGICAL | 0x7ff;
// Redirection entry, high dword: the destination field.
const DESTINATION_SHIFT = 24;
const REDIRECT_HIGH_WRITABLE = 0xff000000;

/** Whatever carries APIC messages to the local APIC(s). */
export interface ApicMessageSink {
  deliver(message: ApicMessage): void;
}

export interface IoApicOptions {
  apic: ApicMessageSink;
  /** APIC ID of this I/O APIC; the MP table must say the same. QEMU uses 0 with one CPU. */
  id?: number;
}

export class IoApic implements RegisterBlock {
  private readonly apic: ApicMessageSink;
  private id: number;
  private select = 0;
  private readonly low = new Uint32Array(IOAPIC_PINS).fill(REDIRECT_MASKED);
  private readonly high = new Uint32Array(IOAPIC_PINS);
  /** Input levels as the wires hold them. */
  private readonly levels = new Array<boolean>(IOAPIC_PINS).fill(false);
  /** Rising edges not yet delivered (edge-triggered pins only). */
  private readonly pendingEdges = new Array<boolean>(IOAPIC_PINS).fill(false);
  private readonly lines: IrqLine[];

  constructor(options: IoApicOptions) {
    this.apic = options.apic;
    this.id = options.id ?? 0;
    this.lines = Array.from({ length: IOAPIC_PINS }, (_unused, pin) => ({ set: (level: boolean) => this.setInput(pin, level) }));
  }

  /** The wire into input `pin` (INTIN0-23). */
  irq(pin: number): IrqLine {
    const line = this.lines[pin];
    if (!line) throw new Error(`ioapic: no input ${pin}`);
    return line;
  }

  read(offset: number, size: AccessSize): number {
    if (offset === IOREGSEL) return this.select;
    if (offset >= IOWIN && offset < IOWIN + 4) {
      const value = this.readIndirect(this.select) >>> (8 * (offset - IOWIN));
      return size === 4 ? value >>> 0 : value & (size === 2 ? 0xffff : 0xff);
    }
    return 0;
  }

  write(offset: number, _size: AccessSize, value: number): void {
    if (offset === IOREGSEL) this.select = value & 0xff;
    else if (offset === IOWIN) this.writeIndirect(this.select, value >>> 0);
  }

  private readIndirect(register: number): number {
    switch (register) {
      case IOAPIC_ID:
        return (this.id << ID_SHIFT) >>> 0;
      case IOAPIC_VERSION:
        return IOAPIC_VERSION_VALUE;
      case IOAPIC_ARBITRATION:
        // The arbitration ID is loaded from the APIC ID.
        return (this.id << ID_SHIFT) >>> 0;
    }
    const entry = this.entryOf(register);
    if (!entry) return 0;
    return entry.highHalf ? this.high[entry.pin] : this.low[entry.pin];
  }

  private writeIndirect(register: number, value: number): void {
    if (register === IOAPIC_ID) {
      this.id = (value >>> ID_SHIFT) & ID_MASK;
      return;
    }
    const entry = this.entryOf(register);
    if (!entry) return;
    const { pin, highHalf } = entry;
    if (highHalf) {
      this.high[pin] = (value & REDIRECT_HIGH_WRITABLE) >>> 0;
      return;
    }
    let low = (this.low[pin] & ~REDIRECT_LOW_WRITABLE) | (value & REDIRECT_LOW_WRITABLE);
    // Remote IRR means nothing for an edge-triggered pin; switching to edge clears it.
    if (!(low & REDIRECT_LEVEL_TRIGGERED)) low &= ~REDIRECT_REMOTE_IRR;
    this.low[pin] = low >>> 0;
    this.service(pin);
  }

  private entryOf(register: number): { pin: number; highHalf: boolean } | undefined {
    const index = register - IOAPIC_REDIRECTION_TABLE;
    if (index < 0 || index >= 2 * IOAPIC_PINS) return undefined;
    return { pin: index >> 1, highHalf: (index & 1) === 1 };
  }

  private setInput(pin: number, level: boolean): void {
    const rising = level && !this.levels[pin];
    this.levels[pin] = level;
    if (rising && !(this.low[pin] & REDIRECT_LEVEL_TRIGGERED)) this.pendingEdges[pin] = true;
    this.service(pin);
  }

  /** Deliver what pin `pin` owes, if its entry lets it. */
  private service(pin: number): void {
    const low = this.low[pin];
    if (low & REDIRECT_MASKED) return;
    if (low & REDIRECT_LEVEL_TRIGGERED) {
      if (!this.levels[pin] || low & REDIRECT_REMOTE_IRR) return;
      this.low[pin] = (low | REDIRECT_REMOTE_IRR) >>> 0;
    } else {
      if (!this.pendingEdges[pin]) return;
      this.pendingEdges[pin] = false;
    }
    this.apic.deliver({
      vector: low & REDIRECT_VECTOR,
      deliveryMode: (low >>> DELIVERY_MODE_SHIFT) & DELIVERY_MODE_MASK,
      destination: this.high[pin] >>> DESTINATION_SHIFT,
      logicalDestination: (low & REDIRECT_LOGICAL) !== 0,
      levelTriggered: (low & REDIRECT_LEVEL_TRIGGERED) !== 0,
    });
  }

  /** EOI broadcast from a local APIC: level pins with this vector may deliver again. */
  eoi(vector: number): void {
    for (let pin = 0; pin < IOAPIC_PINS; pin++) {
      const low = this.low[pin];
      if ((low & REDIRECT_VECTOR) !== vector || !(low & REDIRECT_REMOTE_IRR)) continue;
      this.low[pin] = (low & ~REDIRECT_REMOTE_IRR) >>> 0;
      this.service(pin);
    }
  }

  saveState(): DeviceState {
    return {
      name: 'io-apic',
      version: 1,
      fields: {
        id: this.id,
        select: this.select,
        low: Array.from(this.low),
        high: Array.from(this.high),
        levels: [...this.levels],
        pendingEdges: [...this.pendingEdges],
      },
    };
  }

  loadState(state: DeviceState): void {
    const f = stateFields(state, 'io-apic', 1);
    this.id = f.id as number;
    this.select = f.select as number;
    this.low.set(f.low as number[]);
    this.high.set(f.high as number[]);
    (f.levels as boolean[]).forEach((level, pin) => (this.levels[pin] = level));
    (f.pendingEdges as boolean[]).forEach((pending, pin) => (this.pendingEdges[pin] = pending));
  }
}

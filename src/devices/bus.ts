// The contracts between the board and its chips.
//
// A device never sees the CPU. It is handed, by the board (src/machine), the
// registrations it needs: a range on the I/O port bus, a window of physical
// address space, an interrupt line, and (for bus masters) a DMA view of RAM.
// Offsets passed to a handler are relative to the start of its registration.

export type AccessSize = 1 | 2 | 4;

/** A register block on the port bus or in physical address space. */
export interface RegisterBlock {
  read(offset: number, size: AccessSize): number;
  write(offset: number, size: AccessSize, value: number): void;
}

/** An interrupt request wire. Edge-triggered receivers look for 0 -> 1. */
export interface IrqLine {
  set(level: boolean): void;
}

/** A device's window onto guest physical memory, for bus-master DMA. */
export interface DmaView {
  read(address: number, into: Uint8Array): void;
  write(address: number, from: Uint8Array): void;
}

/** The x86 I/O port space: 64 KiB of byte ports. */
export class IoBus {
  private readonly handlers: (RegisterBlock | undefined)[] = new Array(0x10000);
  private readonly bases = new Uint16Array(0x10000);
  /** Called once per port that nothing claims, so a missing device shows up in logs. */
  onUnclaimed: (port: number, write: boolean) => void = () => {};

  register(base: number, count: number, block: RegisterBlock): void {
    for (let port = base; port < base + count; port++) {
      if (this.handlers[port]) throw new Error(`I/O port 0x${port.toString(16)} is claimed twice`);
      this.handlers[port] = block;
      this.bases[port] = base;
    }
  }

  /** IN: unclaimed ports float high, as on a PC's ISA bus. */
  read(port: number, size: AccessSize): number {
    port &= 0xffff;
    const block = this.handlers[port];
    if (!block) {
      this.onUnclaimed(port, false);
      return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
    }
    return block.read(port - this.bases[port], size);
  }

  write(port: number, size: AccessSize, value: number): void {
    port &= 0xffff;
    const block = this.handlers[port];
    if (!block) {
      this.onUnclaimed(port, true);
      return;
    }
    block.write(port - this.bases[port], size, value);
  }
}

/** A level-holding IRQ line that forwards to a receiver callback; handy for wiring and tests. */
export class Wire implements IrqLine {
  level = false;
  constructor(private readonly onChange: (level: boolean) => void = () => {}) {}
  set(level: boolean): void {
    if (level === this.level) return;
    this.level = level;
    this.onChange(level);
  }
}

/** What the CPU asks of whatever sits on its INTR pin (the 8259 pair, or the local APIC). */
export interface InterruptController {
  /** True while an unmasked interrupt is waiting for the CPU. */
  hasInterrupt(): boolean;
  /** INTA cycle: returns the vector and moves the request to in-service. */
  acknowledge(): number;
}

/**
 * A chip's saved state: named fields under a versioned name (GUIDE principle
 * 10), so a snapshot survives reordering and a loader can refuse a version it
 * does not know.
 */
export interface DeviceState {
  name: string;
  version: number;
  fields: Record<string, unknown>;
}

/** Return the fields of `state` after checking it was saved by the chip `name` at `version`. */
export function stateFields(state: DeviceState, name: string, version: number): Record<string, unknown> {
  if (state.name !== name || state.version !== version) {
    throw new Error(`cannot load ${state.name} v${state.version} into ${name} v${version}`);
  }
  return state.fields;
}

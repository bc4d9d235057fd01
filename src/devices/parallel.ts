// A PC parallel (printer) port in standard (SPP) mode, as on the IBM PC
// printer adapter: data latch, status and control registers.
//
// Follows the IBM PC/AT Technical Reference, "Parallel Printer Adapter" (the
// same register map as IEEE 1284 compatibility mode). LPT1 is at ports
// 0x378-0x37A (data, status, control) with IRQ7, which this model never
// raises. There is always a printer attached that is online, not busy and
// error free, because kernels (JOS, xv6) echo their console here and
// busy-wait on the status port before every byte. A byte is printed when the
// guest raises STROBE; it goes to the `output` callback.

import { stateFields, type AccessSize, type DeviceState, type RegisterBlock } from './bus.ts';

// Register offsets.
const REG_DATA = 0;
const REG_STATUS = 1;
const REG_CONTROL = 2;

// Status register bits (several are active low on the connector; these are the values read).
const STATUS_TIMEOUT_CLEAR = 0x01; // bit 0 is EPP timeout on later ports; QEMU reads it as 1
const STATUS_ERROR = 0x08; // 1 = no error (nERROR high)
const STATUS_SELECT = 0x10; // printer online
const STATUS_ACK = 0x40; // 1 = not acknowledging (nACK high)
const STATUS_NOT_BUSY = 0x80; // inverted BUSY: 1 = ready for a byte
/** A printer that is online, idle and error free. */
const STATUS_READY = STATUS_NOT_BUSY | STATUS_ACK | STATUS_SELECT | STATUS_ERROR | STATUS_TIMEOUT_CLEAR;

// Control register bits.
const CONTROL_STROBE = 0x01;
const CONTROL_NOT_INIT = 0x04;
const CONTROL_SELECT_IN = 0x08;
/** A BIOS leaves the printer selected and out of reset. */
const CONTROL_AFTER_BIOS = CONTROL_SELECT_IN | CONTROL_NOT_INIT;
const CONTROL_WRITABLE = 0x3f; // strobe, autofeed, nINIT, select-in, IRQ enable, direction
/** Bits 6-7 do not exist and read as ones. */
const CONTROL_UNUSED = 0xc0;

export class ParallelPort implements RegisterBlock {
  private data = 0;
  private control = CONTROL_AFTER_BIOS;
  private readonly output?: (byte: number) => void;

  constructor(options: { output?: (byte: number) => void } = {}) {
    this.output = options.output;
  }

  read(offset: number, _size: AccessSize): number {
    switch (offset) {
      case REG_DATA:
        return this.data;
      case REG_STATUS:
        return STATUS_READY;
      case REG_CONTROL:
        return this.control | CONTROL_UNUSED;
      default:
        return 0xff;
    }
  }

  write(offset: number, _size: AccessSize, value: number): void {
    value &= 0xff;
    if (offset === REG_DATA) {
      this.data = value;
    } else if (offset === REG_CONTROL) {
      const rising = value & ~this.control & CONTROL_STROBE;
      this.control = value & CONTROL_WRITABLE;
      // The printer latches the data lines on the STROBE pulse.
      if (rising) this.output?.(this.data);
    }
  }

  saveState(): DeviceState {
    return { name: 'parallel', version: 1, fields: { data: this.data, control: this.control } };
  }

  loadState(state: DeviceState): void {
    const fields = stateFields(state, 'parallel', 1);
    this.data = fields.data as number;
    this.control = fields.control as number;
  }
}

// The PC/AT's odd system ports that belong to no single chip.
//
// - Port 0x92, "System Control Port A" (IBM PS/2 Hardware Interface Technical
//   Reference; Intel 82371SB PIIX3 datasheet, "Port 92h"): bit 1 opens the A20 gate
//   ("fast A20"), writing bit 0 = 1 pulses the CPU's reset line.
// - Port 0x61, "NMI Status and Control" / "System Control Port B" (PIIX3
//   datasheet, NMISC register at port 61h): bit 0 drives the 8254
//   counter 2 GATE, bit 1 gates counter 2's OUT to the speaker, bits 2-3
//   enable parity/channel check NMIs; reads add bit 4, which toggles with every
//   DRAM refresh request (every 15.085 us), and bit 5, counter 2's OUT.
// - Port 0x80, the POST diagnostic port: firmware writes progress codes there;
//   the last one is kept for debugging and reads back.
// - Port 0x84: an unused port some kernels write to for a short I/O delay; it
//   accepts writes and reads 0xFF (nothing drives the bus).
//
// Each is a separate RegisterBlock; the board registers them at those ports.

import type { VirtualClock } from '../machine/clock.ts';
import { stateFields, type AccessSize, type DeviceState, type RegisterBlock } from './bus.ts';

// Port 0x92 bits.
const PORT92_RESET = 0x01;
const PORT92_A20 = 0x02;

// Port 0x61 bits.
const PORT61_TIMER2_GATE = 0x01;
const PORT61_SPEAKER_DATA = 0x02;
const PORT61_WRITABLE = 0x0f; // gate, speaker, parity and channel-check enables
const PORT61_REFRESH_TOGGLE = 0x10;
const PORT61_TIMER2_OUT = 0x20;

/** DRAM refresh request period on a PC/AT: counter 1 at count 18 of 1.193182 MHz. */
const REFRESH_PERIOD_NS = 15_085;

export interface SystemPortsOptions {
  clock: VirtualClock;
  /** Port 0x92 bit 1 changed: open or close the A20 gate. */
  onA20?: (enabled: boolean) => void;
  /** Port 0x92 bit 0 written as 1: reset the CPU. */
  onReset?: () => void;
  /** Port 0x61 bit 0 changed: the 8254 counter 2 GATE input. */
  setTimer2Gate?: (level: boolean) => void;
  /** Reads the 8254 counter 2 OUT pin for port 0x61 bit 5. */
  timer2Out?: () => boolean;
  /** Port 0x61 bit 1 changed: the speaker data enable. */
  onSpeaker?: (enabled: boolean) => void;
}

export class SystemPorts {
  /** Port 0x92 (one byte). */
  readonly port92: RegisterBlock;
  /** Port 0x61 (one byte). */
  readonly port61: RegisterBlock;
  /** Port 0x80 (one byte). */
  readonly post: RegisterBlock;
  /** Port 0x84 (one byte). */
  readonly delay: RegisterBlock;
  private port92Value = 0;
  private port61Value = 0;
  /** Last POST code written to port 0x80. */
  postCode = 0;

  constructor(private readonly options: SystemPortsOptions) {
    this.port92 = {
      read: () => this.port92Value,
      write: (_offset, _size, value) => this.writePort92(value & 0xff),
    };
    this.port61 = {
      read: () => this.readPort61(),
      write: (_offset, _size, value) => this.writePort61(value & 0xff),
    };
    this.post = {
      read: () => this.postCode,
      write: (_offset, _size: AccessSize, value) => {
        this.postCode = value & 0xff;
      },
    };
    this.delay = { read: () => 0xff, write: () => {} };
    // Port 0x61 resets to 0, so counter 2's GATE starts low.
    options.setTimer2Gate?.(false);
  }

  /** Whether port 0x92 holds the A20 gate open. */
  get fastA20(): boolean {
    return (this.port92Value & PORT92_A20) !== 0;
  }

  private writePort92(value: number): void {
    const changed = (this.port92Value ^ value) & PORT92_A20;
    // The reset bit is a pulse, not a latch: it reads back as 0.
    this.port92Value = value & ~PORT92_RESET;
    if (changed) this.options.onA20?.((value & PORT92_A20) !== 0);
    if (value & PORT92_RESET) this.options.onReset?.();
  }

  private readPort61(): number {
    const refresh = Math.floor(this.options.clock.now / REFRESH_PERIOD_NS) & 1 ? PORT61_REFRESH_TOGGLE : 0;
    const out2 = this.options.timer2Out?.() ? PORT61_TIMER2_OUT : 0;
    return this.port61Value | refresh | out2;
  }

  private writePort61(value: number): void {
    const changed = (this.port61Value ^ value) & PORT61_WRITABLE;
    this.port61Value = value & PORT61_WRITABLE;
    if (changed & PORT61_TIMER2_GATE) this.options.setTimer2Gate?.((value & PORT61_TIMER2_GATE) !== 0);
    if (changed & PORT61_SPEAKER_DATA) this.options.onSpeaker?.((value & PORT61_SPEAKER_DATA) !== 0);
  }

  saveState(): DeviceState {
    return { name: 'system-ports', version: 1, fields: { port92: this.port92Value, port61: this.port61Value, postCode: this.postCode } };
  }

  loadState(state: DeviceState): void {
    const fields = stateFields(state, 'system-ports', 1);
    this.port92Value = fields.port92 as number;
    this.port61Value = fields.port61 as number;
    this.postCode = fields.postCode as number;
  }
}

// Two emulator-only ports that let a guest talk to the host without drivers.
//
// - The Bochs/QEMU debug console ("debugcon", Bochs port_e9_hack): every byte
//   written is a character for the host; reading returns 0xE9 so a guest can
//   detect that the port exists. On a PC it is at port 0xE9.
// - QEMU's isa-debug-exit device: a write of value V makes the emulator exit
//   with status (V << 1) | 1, so a test program can report success or failure
//   (and can never exit 0 by accident). QEMU puts it where -device
//   isa-debug-exit,iobase=0xf4,iosize=N says; jos86 uses 0xF4 and accepts
//   writes of 1, 2 or 4 bytes. Reads return 0.

import type { AccessSize, RegisterBlock } from './bus.ts';

/** What a debugcon port answers to a read, so guests can probe for it. */
export const DEBUGCON_READBACK = 0xe9;

export class DebugConsole implements RegisterBlock {
  private readonly output?: (byte: number) => void;

  constructor(options: { output?: (byte: number) => void } = {}) {
    this.output = options.output;
  }

  read(_offset: number, _size: AccessSize): number {
    return DEBUGCON_READBACK;
  }

  write(_offset: number, size: AccessSize, value: number): void {
    // A wider OUT sends its bytes low first, as on the bus.
    for (let i = 0; i < size; i++) this.output?.((value >>> (8 * i)) & 0xff);
  }
}

export class DebugExit implements RegisterBlock {
  private readonly onExit: (status: number) => void;

  constructor(options: { onExit: (status: number) => void }) {
    this.onExit = options.onExit;
  }

  read(_offset: number, _size: AccessSize): number {
    return 0;
  }

  write(_offset: number, size: AccessSize, value: number): void {
    const mask = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    this.onExit((((value & mask) >>> 0) * 2 + 1) >>> 0);
  }
}

// The 8042 keyboard controller through ports 0x60/0x64, IRQ 1 on a Wire.
import { describe, expect, it } from 'vitest';
import { IoBus, Wire } from '../../src/devices/bus.ts';
import { I8042, textToScancodes } from '../../src/devices/i8042.ts';

function board() {
  const events: string[] = [];
  const irq1 = new Wire();
  const irq12 = new Wire();
  const kbc = new I8042({
    keyboardIrq: irq1,
    mouseIrq: irq12,
    onA20: (enabled) => events.push(`a20 ${enabled}`),
    onReset: () => events.push('reset'),
  });
  const io = new IoBus();
  io.register(0x60, 1, kbc.data);
  io.register(0x64, 1, kbc.command);
  /** Read every byte waiting in the output buffer. */
  const drain = () => {
    const bytes: number[] = [];
    while (io.read(0x64, 1) & 1) bytes.push(io.read(0x60, 1));
    return bytes;
  };
  return { events, irq1, irq12, kbc, io, drain };
}

describe('8042 keyboard controller', () => {
  it('passes self-test and the interface test', () => {
    const { io, drain } = board();
    io.write(0x64, 1, 0xaa);
    expect(io.read(0x64, 1) & 0x0d).toBe(0x0d); // OBF, system flag, last write was a command
    expect(drain()).toEqual([0x55]);
    io.write(0x64, 1, 0xab);
    expect(drain()).toEqual([0x00]);
  });

  it('reads and writes the command byte', () => {
    const { io, drain, irq1, kbc } = board();
    io.write(0x64, 1, 0x20);
    expect(drain()).toEqual([0x65]);
    io.write(0x64, 1, 0x60);
    io.write(0x60, 1, 0x44); // IRQ1 off
    io.write(0x64, 1, 0x20);
    expect(drain()).toEqual([0x44]);
    kbc.keyDown(0x1e);
    expect(irq1.level).toBe(false); // polled only
    expect(drain()).toEqual([0x1e]);
  });

  it('gates A20 through the output port and the 0xDD/0xDF commands, and resets with 0xFE', () => {
    const { io, drain, events, kbc } = board();
    io.write(0x64, 1, 0xd0);
    expect(drain()[0] & 0x03).toBe(0x03);
    io.write(0x64, 1, 0xd1);
    io.write(0x60, 1, 0xdd); // A20 off, reset high
    expect(kbc.a20).toBe(false);
    io.write(0x64, 1, 0xdf);
    expect(kbc.a20).toBe(true);
    io.write(0x64, 1, 0xdd);
    expect(kbc.a20).toBe(false);
    io.write(0x64, 1, 0xd0);
    expect(drain()[0] & 0x02).toBe(0);
    io.write(0x64, 1, 0xfe);
    io.write(0x64, 1, 0xff); // pulses nothing
    expect(events).toEqual(['a20 false', 'a20 true', 'a20 false', 'reset']);
  });

  it('delivers scan codes one at a time on IRQ 1, with edges for each byte', () => {
    const { io, irq1, kbc } = board();
    let edges = 0;
    const counted = new Wire((level) => level && edges++);
    const counting = new I8042({ keyboardIrq: counted });
    counting.pushScancodes([0x1e, 0x9e]);
    expect(edges).toBe(1);
    counting.data.read(0, 1);
    expect(edges).toBe(2);
    counting.data.read(0, 1);
    expect(counted.level).toBe(false);
    kbc.keyDown([0xe0, 0x48]);
    kbc.keyUp([0xe0, 0x48]);
    expect(irq1.level).toBe(true);
    const got: number[] = [];
    while (irq1.level) got.push(io.read(0x60, 1));
    expect(got).toEqual([0xe0, 0x48, 0xe0, 0xc8]);
  });

  it('holds keys while the keyboard is disabled by 0xAD and releases them on 0xAE', () => {
    const { io, drain, kbc } = board();
    io.write(0x64, 1, 0xad);
    kbc.keyDown(0x10);
    expect(io.read(0x64, 1) & 1).toBe(0);
    io.write(0x64, 1, 0xae);
    expect(drain()).toEqual([0x10]);
  });

  it('answers keyboard commands with 0xFA acks', () => {
    const { io, drain, kbc } = board();
    io.write(0x60, 1, 0xff);
    expect(drain()).toEqual([0xfa, 0xaa]);
    io.write(0x60, 1, 0xf5);
    expect(drain()).toEqual([0xfa]);
    kbc.keyDown(0x1e); // scanning disabled: ignored
    expect(drain()).toEqual([]);
    io.write(0x60, 1, 0xf4);
    expect(drain()).toEqual([0xfa]);
    io.write(0x60, 1, 0xed);
    io.write(0x60, 1, 0x04);
    expect(drain()).toEqual([0xfa, 0xfa]);
    expect(kbc.leds).toBe(4);
    io.write(0x60, 1, 0xf2);
    expect(drain()).toEqual([0xfa, 0xab, 0x41]); // MF2 keyboard through translation
    io.write(0x60, 1, 0xf0);
    io.write(0x60, 1, 0x00);
    expect(drain()).toEqual([0xfa, 0xfa, 0x41]); // set 2, translated
    io.write(0x60, 1, 0xee);
    expect(drain()).toEqual([0xee]);
    io.write(0x60, 1, 0x12);
    expect(drain()).toEqual([0xfe]);
  });

  it('talks to a minimal mouse through 0xD4 and IRQ 12', () => {
    const { io, drain, irq12, kbc } = board();
    io.write(0x64, 1, 0xa8);
    io.write(0x64, 1, 0x60);
    io.write(0x60, 1, 0x47); // both IRQs, translation
    io.write(0x64, 1, 0xd4);
    io.write(0x60, 1, 0xf2);
    expect(io.read(0x64, 1) & 0x21).toBe(0x21);
    expect(irq12.level).toBe(true);
    expect(drain()).toEqual([0xfa, 0x00]);
    kbc.moveMouse(5, -3, 1);
    expect(drain()).toEqual([0x29, 5, 0xfd]);
  });

  it('turns text into set 1 make/break codes with shift and ctrl', () => {
    expect(textToScancodes('a')).toEqual([0x1e, 0x9e]);
    expect(textToScancodes('A!')).toEqual([0x2a, 0x1e, 0x9e, 0xaa, 0x2a, 0x02, 0x82, 0xaa]);
    expect(textToScancodes('/ \n')).toEqual([0x35, 0xb5, 0x39, 0xb9, 0x1c, 0x9c]);
    expect(textToScancodes('\x03')).toEqual([0x1d, 0x2e, 0xae, 0x9d]);
    expect(() => textToScancodes('é')).toThrow(/no key/);
    const { kbc, drain } = board();
    kbc.pushScancodes(textToScancodes('ls'));
    expect(drain()).toEqual([0x26, 0xa6, 0x1f, 0x9f]);
    const copy = new I8042();
    copy.loadState(kbc.saveState());
    expect(copy.saveState()).toEqual(kbc.saveState());
  });
});

// The 8254 through ports 0x40-0x43, with the virtual clock driven by hand.
import { describe, expect, it } from 'vitest';
import { IoBus, Wire } from '../../src/devices/bus.ts';
import { VirtualClock } from '../../src/machine/clock.ts';
import { PIT_HZ, Pit8254 } from '../../src/devices/pit8254.ts';

const MS = 1_000_000;
const tickNs = (ticks: number) => (ticks * 1e9) / PIT_HZ;

function board() {
  const clock = new VirtualClock();
  const rises: number[] = [];
  const irq0 = new Wire((level) => {
    if (level) rises.push(clock.now);
  });
  const pit = new Pit8254({ clock, irq: irq0 });
  const io = new IoBus();
  io.register(0x40, 4, pit);
  return { clock, irq0, rises, pit, io };
}

function program(io: IoBus, channel: number, mode: number, count: number, bcd = false) {
  io.write(0x43, 1, (channel << 6) | 0x30 | (mode << 1) | (bcd ? 1 : 0));
  io.write(0x40 + channel, 1, count & 0xff);
  io.write(0x40 + channel, 1, count >> 8);
}

function readCount(io: IoBus, channel: number): number {
  io.write(0x43, 1, channel << 6); // counter latch
  return io.read(0x40 + channel, 1) | (io.read(0x40 + channel, 1) << 8);
}

describe('8254 PIT', () => {
  it('mode 2 at count 11932 raises IRQ0 every 10 ms of virtual time', () => {
    const { clock, rises, io } = board();
    program(io, 0, 2, 11932);
    clock.advanceTo(105 * MS);
    // The control word drives OUT high at once (datasheet: "OUT goes to a known
    // initial state"), then each period ends with a rising edge.
    expect(rises[0]).toBe(0);
    rises.shift();
    expect(rises.length).toBe(10);
    for (let i = 1; i < rises.length; i++) {
      expect(rises[i] - rises[i - 1]).toBeGreaterThan(9.99 * MS);
      expect(rises[i] - rises[i - 1]).toBeLessThan(10.01 * MS);
    }
    expect(rises[0]).toBeCloseTo(tickNs(11932), -1);
  });

  it('does not count until programmed', () => {
    const { clock, rises, pit, io } = board();
    clock.advanceTo(100 * MS);
    expect(rises).toEqual([]);
    expect(clock.nextEventTime()).toBe(Infinity);
    io.write(0x43, 1, 0x34); // mode 2, no count yet: OUT goes high and stays there
    clock.advanceTo(200 * MS);
    expect(rises).toEqual([100 * MS]);
    expect(clock.nextEventTime()).toBe(Infinity);
    expect(pit.out(0)).toBe(true);
  });

  it('mode 0 fires once at terminal count and keeps counting down past zero', () => {
    const { clock, irq0, rises, io } = board();
    program(io, 0, 0, 1000);
    expect(irq0.level).toBe(false);
    clock.advanceTo(tickNs(500));
    const mid = readCount(io, 0);
    expect(mid).toBeLessThanOrEqual(501);
    expect(mid).toBeGreaterThanOrEqual(499);
    clock.advanceTo(tickNs(1001));
    expect(irq0.level).toBe(true);
    expect(rises.length).toBe(1);
    clock.advanceTo(tickNs(70000));
    expect(rises.length).toBe(1);
    const wrapped = readCount(io, 0);
    expect(wrapped).toBeGreaterThan(60000); // wrapped to 0xFFFF and below
    // Writing the first byte of a new count stops the counter and drops OUT.
    io.write(0x40, 1, 0x10);
    expect(irq0.level).toBe(false);
    io.write(0x40, 1, 0x00);
    clock.advanceTo(clock.now + tickNs(0x11));
    expect(rises.length).toBe(2);
  });

  it('mode 3 makes a square wave at 18.2 Hz with BIOS defaults', () => {
    const { clock, irq0, rises, pit } = board();
    pit.programBiosDefaults();
    clock.advanceTo(tickNs(32768) - 1);
    expect(irq0.level).toBe(true);
    clock.advanceTo(tickNs(32768) + 1);
    expect(irq0.level).toBe(false);
    clock.advanceTo(1e9);
    expect(rises.length).toBe(19); // the edge at t=0 plus 18 period ends in a second (18.2 Hz)
    expect(rises[1]).toBeCloseTo(tickNs(65536), -1);
  });

  it('latches a count and returns it later, while the live count moves on', () => {
    const { clock, io } = board();
    program(io, 1, 2, 5000);
    clock.advanceTo(tickNs(1000) + 1);
    io.write(0x43, 1, 0x40); // latch counter 1
    clock.advanceTo(tickNs(3000) + 1);
    const latched = io.read(0x41, 1) | (io.read(0x41, 1) << 8);
    expect(latched).toBe(4000);
    expect(readCount(io, 1)).toBe(2000);
  });

  it('reports status and count through the read-back command', () => {
    const { clock, io } = board();
    program(io, 2, 4, 300);
    clock.advanceTo(tickNs(100) + 1);
    io.write(0x43, 1, 0xc0 | 0x08); // read back count and status of counter 2
    const status = io.read(0x42, 1);
    expect(status).toBe(0x30 | (4 << 1) | 0x80); // lohi, mode 4, OUT high, count loaded
    const count = io.read(0x42, 1) | (io.read(0x42, 1) << 8);
    expect(count).toBe(200);
    io.write(0x43, 1, 0x36); // new control word for counter 0: null count until a count arrives
    io.write(0x43, 1, 0xe2); // status only, counter 0
    expect(io.read(0x40, 1) & 0x40).toBe(0x40);
  });

  it('counts in BCD and reads low/high-only access modes', () => {
    const { clock, io } = board();
    io.write(0x43, 1, 0x50 | (2 << 1) | 1); // counter 1, LSB only, mode 2, BCD
    io.write(0x41, 1, 0x99);
    clock.advanceTo(tickNs(10) + 1);
    expect(io.read(0x41, 1)).toBe(0x89);
    io.write(0x43, 1, 0x60 | (2 << 1)); // counter 1, MSB only, binary
    io.write(0x41, 1, 0x12); // count 0x1200
    clock.advanceTo(clock.now + tickNs(0x100) + 1);
    expect(io.read(0x41, 1)).toBe(0x11);
  });

  it('gates counter 2 and shows OUT2 (mode 1 one-shot needs a GATE edge)', () => {
    const { clock, pit, io } = board();
    pit.setGate(2, false);
    program(io, 2, 1, 100);
    expect(pit.out(2)).toBe(true);
    clock.advanceTo(tickNs(500));
    expect(pit.out(2)).toBe(true);
    pit.setGate(2, true); // trigger
    expect(pit.out(2)).toBe(false);
    clock.advanceTo(clock.now + tickNs(101));
    expect(pit.out(2)).toBe(true);
  });

  it('mode 2: a new count takes effect at the end of the current period', () => {
    const { clock, rises, io } = board();
    program(io, 0, 2, 1000);
    clock.advanceTo(tickNs(500));
    io.write(0x40, 1, 2000 & 0xff);
    io.write(0x40, 1, 2000 >> 8);
    clock.advanceTo(tickNs(5000) + 10);
    expect(rises.map((t) => Math.round((t * PIT_HZ) / 1e9))).toEqual([0, 1000, 3000, 5000]);
  });

  it('saves and restores a running counter', () => {
    const { clock, io, pit } = board();
    program(io, 0, 2, 11932);
    clock.advanceTo(3 * MS);
    const other = board();
    other.clock.advanceTo(3 * MS);
    other.pit.loadState(pit.saveState());
    expect(readCount(other.io, 0)).toBe(readCount(io, 0));
    other.clock.advanceTo(25 * MS);
    expect(other.rises.filter((t) => t > 3 * MS).length).toBe(2);
  });
});

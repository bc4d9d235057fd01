// The MC146818 RTC and NVRAM through ports 0x70/0x71, with virtual time.
import { describe, expect, it } from 'vitest';
import { IoBus, Wire } from '../../src/devices/bus.ts';
import { VirtualClock } from '../../src/machine/clock.ts';
import { Cmos } from '../../src/devices/cmos.ts';

const MS = 1_000_000;
const S = 1_000_000_000;

function board(options: { startTime?: number; memoryBytes?: number } = {}) {
  const clock = new VirtualClock();
  const rises: number[] = [];
  const irq = new Wire((level) => {
    if (level) rises.push(clock.now);
  });
  const cmos = new Cmos({ clock, irq, ...options, hardDisks: [{ cylinders: 1024, heads: 16, sectors: 63 }] });
  const io = new IoBus();
  io.register(0x70, 2, cmos);
  const read = (index: number) => {
    io.write(0x70, 1, index);
    return io.read(0x71, 1);
  };
  const write = (index: number, value: number) => {
    io.write(0x70, 1, index);
    io.write(0x71, 1, value);
  };
  return { clock, irq, rises, cmos, io, read, write };
}

describe('MC146818 CMOS/RTC', () => {
  it('reads the default virtual date 2026-01-01 00:00:00 in BCD, advanced by virtual time only', () => {
    const { clock, read } = board();
    expect([read(9), read(8), read(7), read(4), read(2), read(0), read(0x32)]).toEqual([0x26, 0x01, 0x01, 0x00, 0x00, 0x00, 0x20]);
    expect(read(6)).toBe(5); // Thursday (1 = Sunday)
    clock.advanceTo(3723 * S + 500 * MS); // 1 h 2 min 3.5 s
    expect([read(4), read(2), read(0)]).toEqual([0x01, 0x02, 0x03]);
    expect(read(0x0d)).toBe(0x80);
    expect(read(0x0a)).toBe(0x26);
  });

  it('switches to binary and 12-hour formats per register B', () => {
    const { read, write } = board({ startTime: Date.UTC(2031, 11, 31, 23, 59, 58) / 1000 });
    write(0x0b, 0x02 | 0x04); // 24 h, binary
    expect([read(9), read(8), read(7), read(4), read(2), read(0)]).toEqual([31, 12, 31, 23, 59, 58]);
    write(0x0b, 0x00); // 12 h, BCD
    expect(read(4)).toBe(0x80 | 0x11); // 11 PM
  });

  it('sets the time with SET held, and it runs again from there', () => {
    const { clock, read, write, cmos } = board();
    write(0x0b, 0x82); // SET, 24 h BCD
    write(4, 0x13);
    write(2, 0x45);
    write(0, 0x30);
    write(9, 0x99);
    write(0x32, 0x19);
    clock.advanceTo(5 * S);
    expect(read(0)).toBe(0x30); // frozen while SET
    write(0x0b, 0x02);
    clock.advanceTo(7 * S + 1);
    expect([read(0x32), read(9), read(4), read(2), read(0)]).toEqual([0x19, 0x99, 0x13, 0x45, 0x32]);
    expect(new Date(cmos.time * 1000).toISOString()).toBe('1999-01-01T13:45:32.000Z');
  });

  it('raises UIP in the 244 us before each update', () => {
    const { clock, read } = board();
    clock.advanceTo(S - 300_000);
    expect(read(0x0a) & 0x80).toBe(0);
    clock.advanceTo(S - 200_000);
    expect(read(0x0a) & 0x80).toBe(0x80);
    clock.advanceTo(S + 1000);
    expect(read(0x0a) & 0x80).toBe(0);
  });

  it('delivers periodic interrupts at the rate in register A, held until register C is read', () => {
    const { clock, irq, rises, read, write } = board();
    write(0x0a, 0x26); // 1024 Hz
    write(0x0b, 0x42); // PIE
    clock.advanceTo(10 * MS);
    expect(rises.length).toBe(1); // not acknowledged: the line stays high
    expect(irq.level).toBe(true);
    expect(read(0x0c)).toBe(0xc0); // IRQF | PF
    expect(irq.level).toBe(false);
    expect(read(0x0c)).toBe(0x00);
    // Acknowledge every interrupt for 100 ms: 1024 Hz gives ~102 of them.
    /** Run for `duration`, acknowledging each interrupt as a handler would; returns how many arrived. */
    const serve = (duration: number) => {
      rises.length = 0;
      const end = clock.now + duration;
      while (clock.now < end) {
        clock.advanceTo(Math.min(clock.nextEventTime(), end));
        if (irq.level) read(0x0c);
      }
      return rises.length;
    };
    serve(100 * MS);
    expect(rises.length).toBeGreaterThanOrEqual(102);
    expect(rises.length).toBeLessThanOrEqual(103);
    write(0x0a, 0x2f); // 2 Hz
    expect(serve(2 * S)).toBe(4);
  });

  it('raises update-ended and alarm interrupts on IRQ 8', () => {
    const { clock, irq, rises, read, write } = board();
    write(0x0b, 0x12); // UIE
    clock.advanceTo(S / 2);
    expect(irq.level).toBe(false);
    clock.advanceTo(S + 1);
    expect(irq.level).toBe(true);
    expect(rises).toEqual([S]);
    expect(read(0x0c) & 0xb0).toBe(0x90); // IRQF | UF (PF is set too: the periodic rate runs without PIE)
    write(0x0b, 0x22); // AIE only
    write(1, 0x05); // alarm at hh:mm:05, any hour and minute
    write(3, 0xc0);
    write(5, 0xff);
    clock.advanceTo(4 * S + 1);
    expect(irq.level).toBe(false);
    clock.advanceTo(5 * S + 1);
    expect(irq.level).toBe(true);
    expect(read(0x0c) & 0xa0).toBe(0xa0);
    // UF is set every second even with UIE off, for guests that poll register C.
    clock.advanceTo(6 * S + 1);
    expect(read(0x0c) & 0xb0).toBe(0x10);
  });

  it('fills the NVRAM like QEMU for 128 MiB and keeps the NMI mask bit', () => {
    const { read, io, cmos } = board();
    expect(read(0x15) | (read(0x16) << 8)).toBe(640);
    expect(read(0x17) | (read(0x18) << 8)).toBe(0xffff); // 127 MiB caps at 0xFFFF KiB
    expect(read(0x30) | (read(0x31) << 8)).toBe(0xffff);
    expect(read(0x34) | (read(0x35) << 8)).toBe((128 - 16) * 16);
    expect([read(0x5b), read(0x5c), read(0x5d)]).toEqual([0, 0, 0]);
    expect(read(0x3d) & 0x0f).toBe(2); // boot from hard disk first
    expect(read(0x12)).toBe(0xf0);
    expect(read(0x19)).toBe(47);
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += read(i);
    expect((read(0x2e) << 8) | read(0x2f)).toBe(sum);
    io.write(0x70, 1, 0x80 | 0x15);
    expect(cmos.nmiMasked).toBe(true);
    expect(io.read(0x71, 1)).toBe(0x80); // 640 = 0x280
    const small = board({ memoryBytes: 8 * 1024 * 1024 });
    expect(small.read(0x17) | (small.read(0x18) << 8)).toBe(7 * 1024);
    expect(small.read(0x34)).toBe(0);
  });

  it('keeps general NVRAM bytes and restores state', () => {
    const { clock, read, write, cmos } = board();
    write(0x40, 0xab);
    expect(read(0x40)).toBe(0xab);
    clock.advanceTo(90 * S);
    const other = board();
    other.clock.advanceTo(90 * S);
    other.cmos.loadState(cmos.saveState());
    expect(other.read(0x40)).toBe(0xab);
    expect(other.read(2)).toBe(0x01);
    expect(other.read(0)).toBe(0x30);
  });
});

// The 8259A pair as a kernel sees it: ICW sequences on 0x20/0xA0, EOIs, IRR/ISR
// reads, poll, auto-EOI, ELCR, and vectors delivered through INTA cycles.
import { describe, expect, it } from 'vitest';
import { IoBus } from '../../src/devices/bus.ts';
import { Pic8259Pair } from '../../src/devices/pic8259.ts';

function board(options: { aeoi?: boolean; sfnm?: boolean } = {}) {
  const intrChanges: boolean[] = [];
  const pic = new Pic8259Pair({ onIntrChange: (level) => intrChanges.push(level) });
  const io = new IoBus();
  io.register(0x20, 2, pic.master);
  io.register(0xa0, 2, pic.slave);
  io.register(0x4d0, 2, pic.elcr);
  const icw4 = 0x01 | (options.aeoi ? 0x02 : 0) | (options.sfnm ? 0x10 : 0);
  // The remap every protected-mode kernel does: vectors 0x20 and 0x28.
  io.write(0x20, 1, 0x11);
  io.write(0x21, 1, 0x20);
  io.write(0x21, 1, 0x04);
  io.write(0x21, 1, icw4);
  io.write(0xa0, 1, 0x11);
  io.write(0xa1, 1, 0x28);
  io.write(0xa1, 1, 0x02);
  io.write(0xa1, 1, 0x01);
  io.write(0x21, 1, 0x00);
  io.write(0xa1, 1, 0x00);
  return { pic, io, intrChanges };
}

const pulse = (pic: Pic8259Pair, n: number) => {
  pic.irq(n).set(true);
  pic.irq(n).set(false);
};

describe('8259A pair', () => {
  it('delivers a master IRQ with its vector and holds lower priorities until EOI', () => {
    const { pic, io, intrChanges } = board();
    expect(pic.hasInterrupt()).toBe(false);
    pulse(pic, 3);
    pulse(pic, 1);
    expect(pic.hasInterrupt()).toBe(true);
    expect(intrChanges).toEqual([true]);
    expect(pic.acknowledge()).toBe(0x21); // IRQ1 outranks IRQ3
    // IRQ3 is lower than IRQ1 in service: nothing more until EOI.
    expect(pic.hasInterrupt()).toBe(false);
    io.write(0x20, 1, 0x0b); // OCW3: read ISR
    expect(io.read(0x20, 1)).toBe(0x02);
    io.write(0x20, 1, 0x0a); // OCW3: read IRR
    expect(io.read(0x20, 1)).toBe(0x08);
    io.write(0x20, 1, 0x20); // non-specific EOI
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x23);
  });

  it('lets a higher priority request nest over one in service', () => {
    const { pic, io } = board();
    pulse(pic, 4);
    expect(pic.acknowledge()).toBe(0x24);
    pulse(pic, 0);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x20);
    io.write(0x20, 1, 0x0b);
    expect(io.read(0x20, 1)).toBe(0x11);
    io.write(0x20, 1, 0x20); // non-specific EOI clears the highest: IRQ0
    expect(io.read(0x20, 1)).toBe(0x10);
    io.write(0x20, 1, 0x64); // specific EOI for level 4
    expect(io.read(0x20, 1)).toBe(0x00);
  });

  it('masks requests through OCW1 and reads the mask back', () => {
    const { pic, io } = board();
    io.write(0x21, 1, 0xfe);
    expect(io.read(0x21, 1)).toBe(0xfe);
    pulse(pic, 1);
    expect(pic.hasInterrupt()).toBe(false);
    io.write(0x21, 1, 0x00);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x21);
  });

  it('cascades slave requests through IR2 and needs both EOIs', () => {
    const { pic, io } = board();
    pulse(pic, 14);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x2e);
    io.write(0x20, 1, 0x0b);
    io.write(0xa0, 1, 0x0b);
    expect(io.read(0x20, 1)).toBe(0x04);
    expect(io.read(0xa0, 1)).toBe(0x40);
    pulse(pic, 15);
    expect(pic.hasInterrupt()).toBe(false); // IR2 in service on the master
    io.write(0xa0, 1, 0x20);
    io.write(0x20, 1, 0x20);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x2f);
  });

  it('special fully nested mode lets a higher slave request through while the cascade is in service', () => {
    const { pic } = board({ sfnm: true });
    pulse(pic, 12);
    expect(pic.acknowledge()).toBe(0x2c);
    pulse(pic, 9);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x29);
  });

  it('auto-EOI leaves nothing in service, and rotation moves priority', () => {
    const { pic, io } = board({ aeoi: true });
    pulse(pic, 5);
    expect(pic.acknowledge()).toBe(0x25);
    io.write(0x20, 1, 0x0b);
    expect(io.read(0x20, 1)).toBe(0x00);
    io.write(0x20, 1, 0x80); // rotate in auto-EOI mode
    pulse(pic, 3);
    expect(pic.acknowledge()).toBe(0x23); // IRQ3 now lowest priority
    pulse(pic, 3);
    pulse(pic, 4);
    expect(pic.acknowledge()).toBe(0x24);
    expect(pic.acknowledge()).toBe(0x23);
  });

  it('set-priority command makes the next level the highest', () => {
    const { pic, io } = board();
    io.write(0x20, 1, 0xc4); // IRQ4 lowest, so IRQ5 highest
    pulse(pic, 1);
    pulse(pic, 6);
    expect(pic.acknowledge()).toBe(0x26);
  });

  it('poll command returns 0x80|level and takes it into service', () => {
    const { pic, io } = board();
    io.write(0x21, 1, 0xbf); // only IRQ6 unmasked
    pulse(pic, 6);
    io.write(0x20, 1, 0x0c); // OCW3 poll
    expect(io.read(0x20, 1)).toBe(0x86);
    io.write(0x20, 1, 0x0b);
    expect(io.read(0x20, 1)).toBe(0x40);
    io.write(0x20, 1, 0x0c);
    expect(io.read(0x20, 1)).toBe(0x00); // nothing left
  });

  it('answers a vanished level request with the spurious IR7 / IR15 vectors', () => {
    const { pic, io } = board();
    io.write(0x4d0, 1, 0x20); // IRQ5 level triggered
    io.write(0x4d1, 1, 0x08); // IRQ11 level triggered
    expect(io.read(0x4d0, 1)).toBe(0x20);
    expect(io.read(0x4d1, 1)).toBe(0x08);
    pic.irq(5).set(true);
    expect(pic.hasInterrupt()).toBe(true);
    pic.irq(5).set(false);
    expect(pic.hasInterrupt()).toBe(false);
    expect(pic.acknowledge()).toBe(0x27);
    io.write(0x20, 1, 0x0b);
    expect(io.read(0x20, 1)).toBe(0x00); // spurious IR7 is not put in service
    // Slave: the master takes IR2 in service, the slave answers IR7.
    pic.irq(11).set(true);
    expect(pic.hasInterrupt()).toBe(true);
    pic.irq(11).set(false);
    pic.irq(11).set(true);
    // Still requesting, so this one is real.
    expect(pic.acknowledge()).toBe(0x2b);
  });

  it('keeps requesting a level interrupt after EOI while the line stays high', () => {
    const { pic, io } = board();
    io.write(0x4d1, 1, 0x08);
    pic.irq(11).set(true);
    expect(pic.acknowledge()).toBe(0x2b);
    io.write(0xa0, 1, 0x20);
    io.write(0x20, 1, 0x20);
    expect(pic.acknowledge()).toBe(0x2b);
    io.write(0xa0, 1, 0x20);
    io.write(0x20, 1, 0x20);
    pic.irq(11).set(false);
    expect(pic.hasInterrupt()).toBe(false);
  });

  it('keeps IRQ0-2 edge-only in the ELCR, as on PIIX', () => {
    const { io } = board();
    io.write(0x4d0, 1, 0xff);
    expect(io.read(0x4d0, 1)).toBe(0xf8);
    io.write(0x4d1, 1, 0xff);
    expect(io.read(0x4d1, 1)).toBe(0xde);
  });

  it('initializes like a BIOS with everything masked, and saves/restores state', () => {
    const pic = new Pic8259Pair();
    pic.initializeLikeBios();
    pulse(pic, 0);
    expect(pic.hasInterrupt()).toBe(false);
    expect(pic.master.read(1, 1)).toBe(0xff);
    pic.master.write(1, 1, 0x00);
    expect(pic.acknowledge()).toBe(0x08);
    const copy = new Pic8259Pair();
    copy.loadState(pic.saveState());
    expect(copy.saveState()).toEqual(pic.saveState());
    copy.slave.write(1, 1, 0);
    pulse(copy, 8);
    copy.master.write(0, 1, 0x20);
    expect(copy.acknowledge()).toBe(0x70);
  });
});

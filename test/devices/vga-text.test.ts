// The CGA/VGA text-mode registers through ports, and the screen read from RAM.
import { describe, expect, it } from 'vitest';
import { IoBus } from '../../src/devices/bus.ts';
import { PhysicalMemory } from '../../src/mmu/physical.ts';
import { cp437, VgaText } from '../../src/devices/vga-text.ts';

function board() {
  const vga = new VgaText();
  const io = new IoBus();
  io.register(0x3d0, 16, vga.crtc);
  io.register(0x3c0, 16, vga.vga);
  const memory = new PhysicalMemory(1024 * 1024);
  const put = (row: number, column: number, text: string, attribute = 0x07) => {
    for (let i = 0; i < text.length; i++) {
      memory.write16(0xb8000 + (row * 80 + column + i) * 2, text.charCodeAt(i) | (attribute << 8));
    }
  };
  const setCursor = (position: number) => {
    // As JOS cga_putc does.
    io.write(0x3d4, 1, 14);
    io.write(0x3d5, 1, position >> 8);
    io.write(0x3d4, 1, 15);
    io.write(0x3d5, 1, position & 0xff);
  };
  return { vga, io, memory, put, setCursor };
}

describe('VGA text mode', () => {
  it('reads the screen and cursor from RAM and the CRTC', () => {
    const { vga, memory, put, setCursor } = board();
    put(0, 0, 'Hello', 0x1f);
    put(24, 75, 'end');
    setCursor(2 * 80 + 7);
    const screen = vga.screen(memory.ram);
    expect(screen.lines[0].trimEnd()).toBe('Hello');
    expect(screen.lines[24].slice(75)).toBe('end  ');
    expect(screen.lines).toHaveLength(25);
    expect(screen.lines[1]).toBe(' '.repeat(80));
    expect(screen.cells[0]).toBe(0x1f48);
    expect(screen.cursor).toEqual({ row: 2, column: 7, visible: true });
  });

  it('reads back CRTC registers as a kernel would to find the cursor', () => {
    const { io, setCursor } = board();
    setCursor(1234);
    io.write(0x3d4, 1, 14);
    const high = io.read(0x3d5, 1);
    io.write(0x3d4, 1, 15);
    expect((high << 8) | io.read(0x3d5, 1)).toBe(1234);
    io.write(0x3d4, 1, 0x0a);
    expect(io.read(0x3d5, 1)).toBe(0x0d); // mode 3 cursor start line
  });

  it('scrolls with the start address and hides the cursor with bit 5 of cursor start', () => {
    const { vga, io, memory, put, setCursor } = board();
    put(1, 0, 'second line');
    io.write(0x3d4, 1, 0x0c);
    io.write(0x3d5, 1, 0);
    io.write(0x3d4, 1, 0x0d);
    io.write(0x3d5, 1, 80);
    setCursor(80 + 3);
    let screen = vga.screen(memory.ram);
    expect(screen.lines[0].trimEnd()).toBe('second line');
    expect(screen.cursor).toEqual({ row: 0, column: 3, visible: true });
    io.write(0x3d4, 1, 0x0a);
    io.write(0x3d5, 1, 0x20);
    screen = vga.screen(memory.ram);
    expect(screen.cursor.visible).toBe(false);
  });

  it('toggles retrace on 0x3DA and resets the attribute flip-flop', () => {
    const { io } = board();
    const first = io.read(0x3da, 1) & 0x08;
    const second = io.read(0x3da, 1) & 0x08;
    expect(first ^ second).toBe(0x08);
    io.read(0x3da, 1);
    io.write(0x3c0, 1, 0x10); // index: mode control
    io.write(0x3c0, 1, 0x0c); // data
    expect(io.read(0x3c1, 1)).toBe(0x0c);
    io.write(0x3c0, 1, 0x20); // next write is an index again: palette source on
    expect(io.read(0x3c0, 1)).toBe(0x20);
  });

  it('stores misc, sequencer, graphics and DAC registers harmlessly', () => {
    const { io, vga } = board();
    expect(io.read(0x3cc, 1)).toBe(0x67);
    io.write(0x3c4, 1, 1);
    io.write(0x3c5, 1, 0x20);
    expect(io.read(0x3c5, 1)).toBe(0x20);
    io.write(0x3ce, 1, 6);
    io.write(0x3cf, 1, 0x0e);
    expect(io.read(0x3cf, 1)).toBe(0x0e);
    io.write(0x3c8, 1, 1);
    for (const c of [0x3f, 0x20, 0x10]) io.write(0x3c9, 1, c);
    io.write(0x3c7, 1, 1);
    expect([io.read(0x3c9, 1), io.read(0x3c9, 1), io.read(0x3c9, 1)]).toEqual([0x3f, 0x20, 0x10]);
    const copy = new VgaText();
    copy.loadState(vga.saveState());
    expect(copy.saveState()).toEqual(vga.saveState());
  });

  it('maps code page 437 to Unicode', () => {
    expect(cp437(0x41)).toBe('A');
    expect(cp437(0x00)).toBe(' ');
    expect(cp437(0xc4)).toBe('─');
    expect(cp437(0xdb)).toBe('█');
    expect(cp437(0x01)).toBe('☺');
    expect(cp437(0xff)).toBe('\u00a0');
    expect(cp437(0x7f)).toBe('⌂');
  });
});

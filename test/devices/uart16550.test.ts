// The 16550A as a driver sees it at COM1 (0x3F8), with IRQ4 on a Wire.
import { describe, expect, it } from 'vitest';
import { IoBus, Wire } from '../../src/devices/bus.ts';
import { Uart16550 } from '../../src/devices/uart16550.ts';

const COM1 = 0x3f8;
const [DATA, IER, IIR, FCR, LCR, MCR, LSR, MSR, SCR] = [0, 1, 2, 2, 3, 4, 5, 6, 7].map((r) => COM1 + r);

function board() {
  const sent: number[] = [];
  const irq = new Wire();
  const uart = new Uart16550({ irq, output: (byte) => sent.push(byte) });
  const io = new IoBus();
  io.register(COM1, 8, uart);
  return { sent, irq, uart, io };
}

describe('16550A UART', () => {
  it('programs the divisor through DLAB and transmits bytes at once', () => {
    const { sent, io } = board();
    io.write(LCR, 1, 0x80);
    io.write(DATA, 1, 0x01); // 115200 baud
    io.write(IER, 1, 0x00);
    expect(io.read(DATA, 1)).toBe(0x01);
    expect(io.read(IER, 1)).toBe(0x00);
    io.write(LCR, 1, 0x03); // 8N1, DLAB off
    expect(io.read(LCR, 1)).toBe(0x03);
    for (const c of 'hi\n') {
      expect(io.read(LSR, 1) & 0x60).toBe(0x60); // THR and transmitter empty
      io.write(DATA, 1, c.charCodeAt(0));
    }
    expect(String.fromCharCode(...sent)).toBe('hi\n');
    io.write(SCR, 1, 0x5a);
    expect(io.read(SCR, 1)).toBe(0x5a);
  });

  it('raises THR-empty when ETBEI is enabled and clears it on IIR read', () => {
    const { irq, io } = board();
    expect(io.read(IIR, 1)).toBe(0x01);
    io.write(IER, 1, 0x02);
    expect(irq.level).toBe(true);
    expect(io.read(IIR, 1)).toBe(0x02);
    expect(irq.level).toBe(false);
    expect(io.read(IIR, 1)).toBe(0x01);
    io.write(DATA, 1, 0x41); // sent instantly: THR empty again
    expect(irq.level).toBe(true);
    io.write(DATA, 1, 0x42);
    expect(io.read(IIR, 1)).toBe(0x02);
    expect(irq.level).toBe(false);
  });

  it('receives into the holding register without FIFO and flags overrun', () => {
    const { irq, uart, io } = board();
    io.write(IER, 1, 0x05); // received data + line status
    expect(uart.canReceive()).toBe(true);
    uart.receive(0x61);
    expect(irq.level).toBe(true);
    expect(uart.canReceive()).toBe(false);
    expect(io.read(IIR, 1)).toBe(0x04);
    uart.receive(0x62); // overruns: without a FIFO the new byte replaces the unread one
    expect(io.read(IIR, 1)).toBe(0x06); // line status outranks data
    expect(io.read(LSR, 1) & 0x03).toBe(0x03);
    expect(io.read(LSR, 1) & 0x02).toBe(0); // read clears the error
    expect(io.read(IIR, 1)).toBe(0x04);
    expect(io.read(DATA, 1)).toBe(0x62);
    expect(irq.level).toBe(false);
    expect(io.read(LSR, 1) & 0x01).toBe(0);
  });

  it('fills a 16-byte FIFO, reports trigger level and character timeout', () => {
    const { irq, uart, io } = board();
    io.write(FCR, 1, 0xc7); // enable, clear both, trigger 14
    io.write(IER, 1, 0x01);
    uart.receive(1);
    expect(io.read(IIR, 1)).toBe(0xcc); // below the trigger: timeout indication, FIFOs enabled
    for (let i = 2; i <= 16; i++) uart.receive(i);
    expect(uart.canReceive()).toBe(false);
    expect(io.read(IIR, 1)).toBe(0xc4);
    uart.receive(17);
    expect(io.read(LSR, 1) & 0x82).toBe(0x82); // overrun, error in FIFO
    const got: number[] = [];
    while (io.read(LSR, 1) & 1) got.push(io.read(DATA, 1));
    expect(got).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(irq.level).toBe(false);
    io.write(FCR, 1, 0x41); // trigger 4
    uart.receive(9);
    io.write(FCR, 1, 0x43); // clear RX
    expect(io.read(LSR, 1) & 1).toBe(0);
  });

  it('orders interrupts: line status, data, THR empty, modem status', () => {
    const { uart, io } = board();
    io.write(IER, 1, 0x0f);
    io.write(MCR, 1, 0x10); // loopback: modem lines now follow MCR
    uart.receive(0x30);
    uart.receive(0x31); // overrun
    expect(io.read(IIR, 1)).toBe(0x06);
    io.read(LSR, 1);
    expect(io.read(IIR, 1)).toBe(0x04);
    io.read(DATA, 1);
    expect(io.read(IIR, 1)).toBe(0x02);
    expect(io.read(IIR, 1)).toBe(0x00); // modem status: loopback cleared CTS/DSR/DCD
    expect(io.read(MSR, 1) & 0x0f).toBe(0x0b);
    expect(io.read(IIR, 1)).toBe(0x01);
  });

  it('loops transmitted bytes and modem lines back in loopback mode', () => {
    const { sent, uart, io } = board();
    io.write(MCR, 1, 0x10 | 0x0f);
    io.write(DATA, 1, 0x55);
    expect(sent).toEqual([]);
    expect(io.read(DATA, 1)).toBe(0x55);
    expect(io.read(MSR, 1) & 0xf0).toBe(0xf0);
    io.write(MCR, 1, 0x10 | 0x03); // OUT1 (RI) falls: trailing-edge RI delta
    expect(io.read(MSR, 1)).toBe(0x30 | 0x04 | 0x08);
    io.write(MCR, 1, 0x00);
    io.write(DATA, 1, 0x56);
    expect(sent).toEqual([0x56]);
    const copy = new Uart16550();
    copy.loadState(uart.saveState());
    expect(copy.saveState()).toEqual(uart.saveState());
  });
});

// Ports 0x92, 0x61, 0x80, 0x84 (system-ports.ts), 0xE9 and 0xF4 (debug-ports.ts)
// and LPT1 (parallel.ts), each poked through the I/O bus.
import { describe, expect, it } from 'vitest';
import { IoBus, Wire } from '../../src/devices/bus.ts';
import { VirtualClock } from '../../src/machine/clock.ts';
import { SystemPorts } from '../../src/devices/system-ports.ts';
import { DebugConsole, DebugExit } from '../../src/devices/debug-ports.ts';
import { ParallelPort } from '../../src/devices/parallel.ts';
import { Pit8254 } from '../../src/devices/pit8254.ts';

function board() {
  const clock = new VirtualClock();
  const pit = new Pit8254({ clock, irq: new Wire() });
  const events: string[] = [];
  const system = new SystemPorts({
    clock,
    onA20: (enabled) => events.push(`a20 ${enabled}`),
    onReset: () => events.push('reset'),
    setTimer2Gate: (level) => pit.setGate(2, level),
    timer2Out: () => pit.out(2),
    onSpeaker: (on) => events.push(`speaker ${on}`),
  });
  const io = new IoBus();
  io.register(0x40, 4, pit);
  io.register(0x92, 1, system.port92);
  io.register(0x61, 1, system.port61);
  io.register(0x80, 1, system.post);
  io.register(0x84, 1, system.delay);
  return { clock, pit, system, io, events };
}

describe('system ports', () => {
  it('port 0x92 opens A20 and pulses reset', () => {
    const { io, events, system } = board();
    io.write(0x92, 1, 0x02);
    expect(io.read(0x92, 1)).toBe(0x02);
    expect(system.fastA20).toBe(true);
    io.write(0x92, 1, 0x03);
    expect(io.read(0x92, 1)).toBe(0x02); // reset bit does not stick
    io.write(0x92, 1, 0x00);
    expect(events).toEqual(['a20 true', 'reset', 'a20 false']);
  });

  it('port 0x61 gates PIT counter 2 and reads OUT2 and the refresh toggle', () => {
    const { clock, io, events } = board();
    io.write(0x61, 1, 0x00); // gate low
    io.write(0x43, 1, 0xb0); // counter 2, lohi, mode 0
    io.write(0x42, 1, 100);
    io.write(0x42, 1, 0);
    clock.advanceTo(200_000);
    expect(io.read(0x61, 1) & 0x20).toBe(0); // gate low: not counting
    io.write(0x61, 1, 0x03);
    expect(events).toEqual(['speaker true']);
    clock.advanceTo(clock.now + 90_000); // > 100 ticks of 838 ns
    expect(io.read(0x61, 1) & 0x23).toBe(0x23);
    const seen = new Set<number>();
    for (let t = 0; t < 10; t++) {
      clock.advanceTo(clock.now + 7_000);
      seen.add(io.read(0x61, 1) & 0x10);
    }
    expect([...seen].sort()).toEqual([0, 0x10]);
  });

  it('remembers the POST code; port 0x84 is harmless', () => {
    const { io, system } = board();
    io.write(0x80, 1, 0x42);
    expect(io.read(0x80, 1)).toBe(0x42);
    expect(system.postCode).toBe(0x42);
    io.write(0x84, 1, 0x12);
    expect(io.read(0x84, 1)).toBe(0xff);
    const copy = board().system;
    copy.loadState(system.saveState());
    expect(copy.postCode).toBe(0x42);
  });
});

describe('debug ports', () => {
  it('debugcon prints bytes and reads back 0xE9', () => {
    const out: number[] = [];
    const io = new IoBus();
    io.register(0xe9, 1, new DebugConsole({ output: (b) => out.push(b) }));
    for (const c of 'ok') io.write(0xe9, 1, c.charCodeAt(0));
    expect(String.fromCharCode(...out)).toBe('ok');
    expect(io.read(0xe9, 1)).toBe(0xe9);
  });

  it('isa-debug-exit reports (value << 1) | 1 for byte and dword writes', () => {
    const statuses: number[] = [];
    const io = new IoBus();
    io.register(0xf4, 4, new DebugExit({ onExit: (s) => statuses.push(s) }));
    io.write(0xf4, 1, 0x10);
    io.write(0xf4, 4, 0);
    io.write(0xf4, 2, 0x1234);
    expect(statuses).toEqual([0x21, 1, 0x2469]);
  });
});

describe('parallel port', () => {
  it('reads ready and prints the data latch on STROBE, as JOS lpt_putc drives it', () => {
    const out: number[] = [];
    const lpt = new ParallelPort({ output: (b) => out.push(b) });
    const io = new IoBus();
    io.register(0x378, 3, lpt);
    for (const c of 'J!') {
      for (let i = 0; !(io.read(0x379, 1) & 0x80) && i < 12800; i++);
      io.write(0x378, 1, c.charCodeAt(0));
      io.write(0x37a, 1, 0x08 | 0x04 | 0x01);
      io.write(0x37a, 1, 0x08);
    }
    expect(String.fromCharCode(...out)).toBe('J!');
    expect(io.read(0x379, 1)).toBe(0xd9); // not busy, no ack pulse, selected, no error (bit 0 as QEMU)
    expect(io.read(0x378, 1)).toBe(0x21);
    expect(io.read(0x37a, 1)).toBe(0xc8);
  });
});

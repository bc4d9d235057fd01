// I/O APIC tests: program the redirection table through IOREGSEL/IOWIN, drive input wires, and watch the local APIC.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/machine/clock.ts';
import { IoApic, IOREGSEL, IOWIN } from '../../src/devices/ioapic.ts';
import { LocalApic, LAPIC_EOI, LAPIC_SVR, LAPIC_LVT_LINT0, type ApicMessage } from '../../src/devices/lapic.ts';

const noPic = { hasInterrupt: () => false, acknowledge: () => 0 };

function setup() {
  const clock = new VirtualClock();
  let ioapic: IoApic | undefined;
  const lapic = new LocalApic({ clock, pic: noPic, onEoi: (vector) => ioapic!.eoi(vector) });
  ioapic = new IoApic({ apic: lapic });
  lapic.write(LAPIC_SVR, 4, 0x1ff);
  lapic.write(LAPIC_LVT_LINT0, 4, 0x10000);
  const read = (register: number) => {
    ioapic!.write(IOREGSEL, 4, register);
    return ioapic!.read(IOWIN, 4);
  };
  const write = (register: number, value: number) => {
    ioapic!.write(IOREGSEL, 4, register);
    ioapic!.write(IOWIN, 4, value);
  };
  /** xv6's ioapicenable: vector, edge, active high, physical destination. */
  const route = (pin: number, low: number, destination = 0) => {
    write(0x10 + 2 * pin, low);
    write(0x11 + 2 * pin, destination << 24);
  };
  const take = () => (lapic.hasInterrupt() ? lapic.acknowledge() : null);
  const eoi = () => lapic.write(LAPIC_EOI, 4, 0);
  return { ioapic: ioapic!, lapic, read, write, route, take, eoi };
}

describe('IoApic', () => {
  it('reports ID, version and 24 masked entries', () => {
    const { read, write, ioapic } = setup();
    expect(read(0x01)).toBe(0x00170011);
    expect(read(0x00)).toBe(0);
    write(0x00, 0x05000000);
    expect(read(0x00)).toBe(0x05000000);
    expect(read(0x02)).toBe(0x05000000);
    for (let pin = 0; pin < 24; pin++) {
      expect(read(0x10 + 2 * pin)).toBe(0x10000);
      expect(read(0x11 + 2 * pin)).toBe(0);
    }
    expect(ioapic.read(IOREGSEL, 4)).toBe(0x3f); // IOREGSEL reads back the last selection
  });

  it('delivers an edge-triggered input once per rising edge', () => {
    const { ioapic, route, take, eoi } = setup();
    route(2, 0x20);
    const pit = ioapic.irq(2);
    pit.set(true);
    expect(take()).toBe(0x20);
    eoi();
    expect(take()).toBe(null); // still high, no new edge
    pit.set(false);
    pit.set(true);
    expect(take()).toBe(0x20);
    eoi();
  });

  it('holds a masked edge until the entry is unmasked', () => {
    const { ioapic, route, take } = setup();
    route(1, 0x10000 | 0x21);
    ioapic.irq(1).set(true);
    ioapic.irq(1).set(false);
    expect(take()).toBe(null);
    route(1, 0x21);
    expect(take()).toBe(0x21);
  });

  it('sets remote IRR for a level input and redelivers after the EOI while still asserted', () => {
    const { ioapic, route, read, take, eoi } = setup();
    route(11, 0x8000 | 0x2b); // level triggered
    const nic = ioapic.irq(11);
    nic.set(true);
    expect(read(0x10 + 22) & 0x4000).toBe(0x4000);
    expect(take()).toBe(0x2b);
    expect(take()).toBe(null);
    eoi(); // device still asserting: delivered again
    expect(take()).toBe(0x2b);
    nic.set(false);
    eoi();
    expect(read(0x10 + 22) & 0x4000).toBe(0);
    expect(take()).toBe(null);
  });

  it('sends to the destination APIC ID only', () => {
    const { ioapic, route, take } = setup();
    route(4, 0x24, 1); // CPU 1 does not exist
    ioapic.irq(4).set(true);
    expect(take()).toBe(null);
    ioapic.irq(4).set(false);
    route(4, 0x24, 0);
    ioapic.irq(4).set(true);
    expect(take()).toBe(0x24);
  });

  it('passes delivery mode, destination mode and trigger to the APIC bus', () => {
    const messages: ApicMessage[] = [];
    const ioapic = new IoApic({ apic: { deliver: (m) => messages.push(m) } });
    ioapic.write(IOREGSEL, 4, 0x10 + 2 * 9);
    ioapic.write(IOWIN, 4, 0x8000 | 0x2000 | 0x800 | 0x100 | 0x39); // level, active low, logical, lowest priority
    ioapic.write(IOREGSEL, 4, 0x11 + 2 * 9);
    ioapic.write(IOWIN, 4, 0x0f000000);
    ioapic.irq(9).set(true);
    expect(messages).toEqual([{ vector: 0x39, deliveryMode: 1, destination: 0x0f, logicalDestination: true, levelTriggered: true }]);
  });

  it('saves and restores the table', () => {
    const a = setup();
    a.route(3, 0x8000 | 0x23);
    a.ioapic.irq(3).set(true);
    const b = setup();
    b.ioapic.loadState(JSON.parse(JSON.stringify(a.ioapic.saveState())));
    expect(b.read(0x16)).toBe(a.read(0x16));
  });
});

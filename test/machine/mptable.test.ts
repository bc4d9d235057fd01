// MP table tests: find and walk the table the way xv6/JOS mp.c does.
import { describe, expect, it } from 'vitest';
import { PhysicalMemory } from '../../src/mmu/physical.ts';
import { writeMpTable, MP_DEFAULT_ADDRESS } from '../../src/machine/mptable.ts';

const MB = 1024 * 1024;

function sum(memory: PhysicalMemory, address: number, length: number): number {
  let total = 0;
  for (let i = 0; i < length; i++) total += memory.read8(address + i);
  return total & 0xff;
}

function ascii(memory: PhysicalMemory, address: number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCharCode(memory.read8(address + i));
  return s;
}

function search1(memory: PhysicalMemory, start: number, length: number): number {
  for (let p = start; p < start + length; p += 16) {
    if (ascii(memory, p, 4) === '_MP_' && sum(memory, p, 16) === 0) return p;
  }
  return -1;
}

/** xv6 mpsearch: EBDA, else last KiB of base memory, else the BIOS ROM area. */
function mpsearch(memory: PhysicalMemory): number {
  const ebda = memory.read16(0x40e) << 4;
  let found = -1;
  if (ebda) found = search1(memory, ebda, 1024);
  else found = search1(memory, memory.read16(0x413) * 1024 - 1024, 1024);
  return found >= 0 ? found : search1(memory, 0xf0000, 0x10000);
}

interface Parsed {
  lapic: number;
  processors: { apicId: number; flags: number; version: number }[];
  buses: { id: number; type: string }[];
  ioapics: { id: number; version: number; flags: number; address: number }[];
  interrupts: { type: number; flags: number; bus: number; irq: number; apic: number; pin: number }[];
  locals: { type: number; bus: number; irq: number; apic: number; pin: number }[];
}

function mpconfig(memory: PhysicalMemory): Parsed {
  const mp = mpsearch(memory);
  expect(mp).toBeGreaterThanOrEqual(0);
  expect(memory.read8(mp + 8)).toBe(1);
  expect(memory.read8(mp + 9)).toBe(4);
  expect(memory.read8(mp + 11)).toBe(0); // not a default configuration
  const conf = memory.read32(mp + 4);
  expect(ascii(memory, conf, 4)).toBe('PCMP');
  expect(memory.read8(conf + 6)).toBe(4);
  const length = memory.read16(conf + 4);
  expect(sum(memory, conf, length)).toBe(0);
  const parsed: Parsed = { lapic: memory.read32(conf + 36), processors: [], buses: [], ioapics: [], interrupts: [], locals: [] };
  const count = memory.read16(conf + 34);
  let p = conf + 44;
  let lastType = 0;
  for (let i = 0; i < count; i++) {
    const type = memory.read8(p);
    expect(type).toBeGreaterThanOrEqual(lastType); // entries sorted by type
    lastType = type;
    switch (type) {
      case 0:
        parsed.processors.push({ apicId: memory.read8(p + 1), version: memory.read8(p + 2), flags: memory.read8(p + 3) });
        p += 20;
        break;
      case 1:
        parsed.buses.push({ id: memory.read8(p + 1), type: ascii(memory, p + 2, 6) });
        p += 8;
        break;
      case 2:
        parsed.ioapics.push({ id: memory.read8(p + 1), version: memory.read8(p + 2), flags: memory.read8(p + 3), address: memory.read32(p + 4) });
        p += 8;
        break;
      case 3:
      case 4: {
        const entry = { type: memory.read8(p + 1), flags: memory.read16(p + 2), bus: memory.read8(p + 4), irq: memory.read8(p + 5), apic: memory.read8(p + 6), pin: memory.read8(p + 7) };
        if (type === 3) parsed.interrupts.push(entry);
        else parsed.locals.push(entry);
        p += 8;
        break;
      }
      default:
        throw new Error(`unknown entry type ${type}`);
    }
  }
  expect(p).toBe(conf + length);
  return parsed;
}

/** What the board does: BDA EBDA segment and base memory size. */
function fillBda(memory: PhysicalMemory, ebdaSegment = 0x9fc0) {
  memory.write16(0x40e, ebdaSegment);
  memory.write16(0x413, ebdaSegment ? 639 : 640); // KiB below the EBDA
}

const options = { cpus: 2, ioApicId: 0, ioApicAddress: 0xfec00000, lapicAddress: 0xfee00000 };

describe('writeMpTable', () => {
  it('is found in the EBDA and describes CPUs, buses, the I/O APIC and interrupts', () => {
    const memory = new PhysicalMemory(128 * MB);
    fillBda(memory);
    const where = writeMpTable(memory, options);
    expect(where.floatingPointer).toBe(MP_DEFAULT_ADDRESS);
    const mp = mpconfig(memory);
    expect(mp.lapic).toBe(0xfee00000);
    expect(mp.processors).toEqual([
      { apicId: 0, version: 0x14, flags: 3 },
      { apicId: 1, version: 0x14, flags: 1 },
    ]);
    expect(mp.buses).toEqual([
      { id: 0, type: 'PCI   ' },
      { id: 1, type: 'ISA   ' },
    ]);
    expect(mp.ioapics).toEqual([{ id: 0, version: 0x11, flags: 1, address: 0xfec00000 }]);
    const isa = mp.interrupts.map((e) => [e.irq, e.pin]);
    expect(isa).toEqual([[0, 2], [1, 1], ...Array.from({ length: 13 }, (_, i) => [i + 3, i + 3])]);
    expect(mp.interrupts.every((e) => e.type === 0 && e.bus === 1 && e.flags === 0 && e.apic === 0)).toBe(true);
    expect(mp.locals).toEqual([
      { type: 3, flags: 0, bus: 1, irq: 0, apic: 0, pin: 0 },
      { type: 1, flags: 0, bus: 1, irq: 0, apic: 0xff, pin: 1 },
    ]);
  });

  it('leaves the EBDA size byte alone and refuses a table that would run past 0xA0000', () => {
    const memory = new PhysicalMemory(128 * MB);
    fillBda(memory);
    memory.write8(0x9fc00, 1);
    writeMpTable(memory, { ...options, cpus: 30 });
    expect(memory.read8(0x9fc00)).toBe(1);
    expect(mpconfig(memory).processors).toHaveLength(30);
    expect(() => writeMpTable(memory, { ...options, cpus: 50 })).toThrow(/does not fit/);
  });

  it('is found in the last KiB of base memory when the BDA has no EBDA pointer', () => {
    const memory = new PhysicalMemory(128 * MB);
    fillBda(memory, 0);
    writeMpTable(memory, { ...options, cpus: 1 });
    expect(mpconfig(memory).processors).toHaveLength(1);
  });

  it('writes a floating pointer copy in the BIOS area when asked', () => {
    const memory = new PhysicalMemory(128 * MB);
    writeMpTable(memory, { ...options, cpus: 8, address: 0x9f000, biosCopyAddress: 0xfa000 });
    expect(search1(memory, 0xf0000, 0x10000)).toBe(0xfa000);
    const mp = mpconfig(memory); // BDA empty: falls through to the BIOS area
    expect(mp.processors.map((p) => p.apicId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(mp.processors.filter((p) => p.flags & 2)).toHaveLength(1);
  });

  it('adds level-triggered PCI interrupt entries and drops the ISA entry they replace', () => {
    const memory = new PhysicalMemory(128 * MB);
    fillBda(memory);
    writeMpTable(memory, { ...options, pciInterrupts: [{ device: 3, pin: 1, ioApicPin: 11 }] });
    const mp = mpconfig(memory);
    expect(mp.interrupts.filter((e) => e.pin === 11)).toEqual([{ type: 0, flags: 0xf, bus: 0, irq: 12, apic: 0, pin: 11 }]);
    expect(mp.interrupts).toHaveLength(15);
  });
});

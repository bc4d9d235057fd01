// PCI tests: enumerate bus 0 through ports 0xCF8/0xCFC the way a kernel does.
import { describe, expect, it } from 'vitest';
import { IoBus } from '../../src/devices/bus.ts';
import { PciFunction, PciHost } from '../../src/devices/pci.ts';

function setup(options: ConstructorParameters<typeof PciHost>[0] = {}) {
  const io = new IoBus();
  const pci = new PciHost(options);
  io.register(0xcf8, 4, pci.address);
  io.register(0xcfc, 4, pci.data);
  const address = (dev: number, fn: number, reg: number, bus = 0) => (0x80000000 | (bus << 16) | (dev << 11) | (fn << 8) | (reg & 0xfc)) >>> 0;
  const read32 = (dev: number, fn: number, reg: number, bus = 0) => {
    io.write(0xcf8, 4, address(dev, fn, reg, bus));
    return io.read(0xcfc, 4);
  };
  const write32 = (dev: number, fn: number, reg: number, value: number) => {
    io.write(0xcf8, 4, address(dev, fn, reg));
    io.write(0xcfc, 4, value);
  };
  return { io, pci, address, read32, write32 };
}

/** A JOS/xv6-style scan: every device, function 0, and functions 1-7 when the multi-function bit says so. */
function enumerate(read32: (dev: number, fn: number, reg: number) => number) {
  const found: { slot: string; id: number; cls: number; irq: number; pin: number }[] = [];
  for (let dev = 0; dev < 32; dev++) {
    const header = (read32(dev, 0, 0x0c) >>> 16) & 0xff;
    const functions = header & 0x80 ? 8 : 1;
    for (let fn = 0; fn < functions; fn++) {
      const id = read32(dev, fn, 0);
      if ((id & 0xffff) === 0xffff) continue;
      const intr = read32(dev, fn, 0x3c);
      found.push({ slot: `${dev}.${fn}`, id, cls: read32(dev, fn, 8) >>> 8, irq: intr & 0xff, pin: (intr >> 8) & 0xff });
    }
  }
  return found;
}

describe('PciHost', () => {
  it('enumerates the functions of a QEMU pc machine', () => {
    const { read32 } = setup();
    expect(enumerate(read32)).toEqual([
      { slot: '0.0', id: 0x12378086, cls: 0x060000, irq: 0, pin: 0 },
      { slot: '1.0', id: 0x70008086, cls: 0x060100, irq: 0, pin: 0 },
      { slot: '1.1', id: 0x70108086, cls: 0x010180, irq: 0, pin: 0 },
      { slot: '1.3', id: 0x71138086, cls: 0x068000, irq: 9, pin: 1 },
      { slot: '2.0', id: 0x11111234, cls: 0x030000, irq: 0, pin: 0 },
    ]);
  });

  it('holds the configuration headers a QEMU pc shows after SeaBIOS', () => {
    // Dwords 0x00-0x3C as read from qemu-system-i386 (SeaBIOS, -hda, e1000 at 00:03.0),
    // less the VGA expansion ROM BAR at 0x30, which is not modelled.
    const qemu: Record<string, number[]> = {
      '0.0': [0x12378086, 0x00000103, 0x06000002, 0, 0, 0, 0, 0, 0, 0, 0, 0x11001af4, 0, 0, 0, 0],
      '1.0': [0x70008086, 0x02000103, 0x06010000, 0x00800000, 0, 0, 0, 0, 0, 0, 0, 0x11001af4, 0, 0, 0, 0],
      '1.1': [0x70108086, 0x02800103, 0x01018000, 0, 0, 0, 0, 0, 0x0000c041, 0, 0, 0x11001af4, 0, 0, 0, 0],
      '1.3': [0x71138086, 0x02800103, 0x06800003, 0, 0, 0, 0, 0, 0, 0, 0, 0x11001af4, 0, 0, 0, 0x00000109],
      '2.0': [0x11111234, 0x00000103, 0x03000002, 0, 0xfd000008, 0, 0xfebf0000, 0, 0, 0, 0, 0x11001af4, 0, 0, 0, 0],
    };
    const { read32 } = setup();
    for (const [slot, dwords] of Object.entries(qemu)) {
      const [dev, fn] = slot.split('.').map(Number);
      expect(dwords.map((_, i) => read32(dev, fn, 4 * i)), slot).toEqual(dwords);
    }
  });

  it('sets the multi-function bit on 00:01.0 only', () => {
    const { read32 } = setup();
    expect((read32(1, 0, 0x0c) >>> 16) & 0xff).toBe(0x80);
    expect((read32(0, 0, 0x0c) >>> 16) & 0xff).toBe(0x00);
    expect((read32(2, 0, 0x0c) >>> 16) & 0xff).toBe(0x00);
  });

  it('reads all ones from empty slots, other buses, and with the enable bit clear', () => {
    const { io, read32 } = setup();
    expect(read32(3, 0, 0)).toBe(0xffffffff);
    expect(read32(1, 2, 0)).toBe(0xffffffff);
    expect(read32(0, 0, 0, 1)).toBe(0xffffffff);
    io.write(0xcf8, 4, 0x00000000);
    expect(io.read(0xcfc, 4)).toBe(0xffffffff);
    expect(io.read(0xcfc, 2)).toBe(0xffff);
  });

  it('reads back the address register and serves byte and word accesses at 0xCFC-0xCFF', () => {
    const { io, address } = setup();
    io.write(0xcf8, 4, address(2, 0, 0) | 3);
    expect(io.read(0xcf8, 4)).toBe(address(2, 0, 0));
    expect(io.read(0xcfc, 2)).toBe(0x1234);
    expect(io.read(0xcfe, 2)).toBe(0x1111);
    expect(io.read(0xcfd, 1)).toBe(0x12);
    expect(io.read(0xcff, 1)).toBe(0x11);
    io.write(0xcf8, 4, address(1, 3, 0x3c));
    expect(io.read(0xcfd, 1)).toBe(1); // interrupt pin
    io.write(0xcfc, 1, 5);
    expect(io.read(0xcfc, 1)).toBe(5); // interrupt line is writable
    io.write(0xcfd, 1, 3);
    expect(io.read(0xcfd, 1)).toBe(1); // pin is not
  });

  it('sizes BARs: all ones reads back the size mask with the type bits', () => {
    const { read32, write32, pci } = setup();
    const moves: [number, number][] = [];
    pci.vga.onBarMoved = (index, addr) => moves.push([index, addr]);
    expect(read32(2, 0, 0x10)).toBe(0xfd000008);
    write32(2, 0, 0x10, 0xffffffff);
    expect(read32(2, 0, 0x10)).toBe(0xff000008); // 16 MiB, prefetchable memory
    write32(2, 0, 0x10, 0xfd000000);
    expect(read32(2, 0, 0x18)).toBe(0xfebf0000);
    write32(2, 0, 0x18, 0xffffffff);
    expect(read32(2, 0, 0x18)).toBe(0xfffff000);
    write32(2, 0, 0x18, 0xfe000000);
    expect(pci.vga.barAddress(2)).toBe(0xfe000000);
    expect(moves).toEqual([[2, 0xfe000000]]);
    // IDE bus master BAR4: 16 I/O ports.
    expect(read32(1, 1, 0x20)).toBe(0xc041);
    write32(1, 1, 0x20, 0xffffffff);
    expect(read32(1, 1, 0x20)).toBe(0xfffffff1);
    // BARs that do not exist stay zero.
    write32(1, 1, 0x10, 0xffffffff);
    expect(read32(1, 1, 0x10)).toBe(0);
  });

  it('keeps IDs read-only and the command register partly writable', () => {
    const { read32, write32 } = setup();
    write32(0, 0, 0, 0);
    expect(read32(0, 0, 0)).toBe(0x12378086);
    write32(2, 0, 4, 0xffffffff);
    expect(read32(2, 0, 4) & 0xffff).toBe(0x0547);
    expect(read32(1, 1, 4) & 0xffff).toBe(0x0103);
  });

  it('routes PCI interrupt pins through the PIIX3 PIRQ registers as SeaBIOS sets them', () => {
    const { pci, read32, write32 } = setup();
    expect(read32(1, 0, 0x60)).toBe(0x0b0b0a0a);
    expect(pci.isaIrqFor(3, 1)).toBe(11); // the e1000 slot
    expect(pci.isaIrqFor(1, 1)).toBe(10);
    write32(1, 0, 0x60, 0x0b0b0a85);
    expect(pci.isaIrqFor(1, 1)).toBe(-1); // PIRQA now disabled
    expect(pci.isaIrqFor(2, 4)).toBe(-1); // also PIRQA after the swizzle
    expect(pci.isaIrqFor(2, 1)).toBe(10);
  });

  it('takes a new function at 00:03.0', () => {
    const { pci, read32 } = setup();
    const nic = new PciFunction({ vendor: 0x8086, device: 0x100e, classCode: 0x020000, interruptPin: 1, interruptLine: 11 });
    nic.defineBar(0, { size: 0x20000, io: false, address: 0xfebc0000 });
    nic.defineBar(1, { size: 64, io: true, address: 0xc000 });
    pci.addFunction(3, 0, nic);
    expect(read32(3, 0, 0)).toBe(0x100e8086);
    expect(read32(3, 0, 0x10)).toBe(0xfebc0000);
    expect(read32(3, 0, 0x14)).toBe(0xc001);
    expect(() => pci.addFunction(3, 0, nic)).toThrow();
  });

  it('resets through the PIIX3 reset control register at 0xCF9', () => {
    let resets = 0;
    const { io } = setup({ onReset: () => resets++ });
    io.write(0xcf9, 1, 0x02);
    expect(resets).toBe(0);
    expect(io.read(0xcf9, 1)).toBe(0x02);
    io.write(0xcf9, 1, 0x06);
    expect(resets).toBe(1);
  });

  it('saves and restores configuration space', () => {
    const a = setup();
    a.write32(2, 0, 0x18, 0xfe000000);
    const b = setup();
    b.pci.loadState(JSON.parse(JSON.stringify(a.pci.saveState())));
    expect(b.read32(2, 0, 0x18)).toBe(0xfe000000);
  });
});

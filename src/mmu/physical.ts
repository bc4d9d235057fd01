// Guest physical address space: RAM, ROM and MMIO windows, and the A20 gate.
//
// RAM is one Uint8Array from address 0. ROM images and MMIO register blocks
// are placed in 4 KiB pages above or inside it (a ROM shadows RAM). Every
// physical page has a kind in `pageKind`, so the CPU's TLB can tell at fill
// time whether a page is plain RAM (fast path: index `ram` directly) or must
// go through the slow path here.
//
// With A20 masked, bit 20 of every physical address reads as 0, as on a PC
// whose keyboard controller has not opened the gate.

import type { AccessSize, DmaView, RegisterBlock } from '../devices/bus.ts';

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

export const enum PageKind {
  Ram = 0,
  Rom = 1,
  Mmio = 2,
  /** Nothing decodes this address: reads float to all ones, writes vanish. */
  Unmapped = 3,
}

interface MmioWindow {
  base: number;
  length: number;
  block: RegisterBlock;
}

export class PhysicalMemory {
  readonly ram: Uint8Array;
  readonly ramSize: number;
  /** Kind of each 4 KiB physical page (1M entries cover 4 GiB). */
  readonly pageKind = new Uint8Array(1 << 20);
  private readonly romPages = new Map<number, Uint8Array>();
  private readonly mmioPages = new Map<number, MmioWindow>();
  private a20Mask = 0xffffffff;
  /** Observers told when A20 changes (the CPU flushes its TLB). */
  readonly a20Listeners: ((enabled: boolean) => void)[] = [];
  /**
   * Called for every write to RAM through the slow path or DMA, with the
   * physical page number and the offset and length of the bytes written in
   * it, so the CPU can drop decoded code cached for them. The CPU installs
   * this; the default does nothing.
   */
  onPageWritten: (page: number, offset: number, length: number) => void = () => {};
  /** Writes that reached a device's registers: the CPU checks for interrupts after one. */
  mmioWrites = 0;

  constructor(ramBytes: number) {
    if (ramBytes % PAGE_SIZE !== 0) throw new Error('RAM size must be a multiple of 4 KiB');
    this.ramSize = ramBytes;
    this.ram = new Uint8Array(ramBytes);
    this.pageKind.fill(PageKind.Unmapped);
    this.pageKind.fill(PageKind.Ram, 0, ramBytes >>> PAGE_SHIFT);
  }

  get a20Enabled(): boolean {
    return this.a20Mask === 0xffffffff;
  }

  setA20(enabled: boolean): void {
    const mask = enabled ? 0xffffffff : ~(1 << 20);
    if (mask === this.a20Mask) return;
    this.a20Mask = mask;
    for (const listener of this.a20Listeners) listener(enabled);
  }

  /** Apply the A20 gate to a physical address. */
  mask(address: number): number {
    return (address & this.a20Mask) >>> 0;
  }

  /** Map a read-only image at `base` (page aligned). Writes to it are ignored. */
  addRom(base: number, image: Uint8Array): void {
    if (base % PAGE_SIZE) throw new Error('ROM base must be page aligned');
    for (let offset = 0; offset < image.length; offset += PAGE_SIZE) {
      const page = (base + offset) >>> PAGE_SHIFT;
      const chunk = new Uint8Array(PAGE_SIZE).fill(0xff);
      chunk.set(image.subarray(offset, offset + PAGE_SIZE));
      this.romPages.set(page, chunk);
      this.pageKind[page] = PageKind.Rom;
    }
  }

  /** Route `length` bytes at `base` (page aligned) to a register block; offsets are relative to base. */
  addMmio(base: number, length: number, block: RegisterBlock): void {
    if (base % PAGE_SIZE) throw new Error('MMIO base must be page aligned');
    const window: MmioWindow = { base: base >>> 0, length, block };
    for (let offset = 0; offset < length; offset += PAGE_SIZE) {
      const page = (base + offset) >>> PAGE_SHIFT;
      this.mmioPages.set(page, window);
      this.pageKind[page] = PageKind.Mmio;
    }
  }

  /** ROM page contents, for the CPU's fetch fast path. */
  romPage(page: number): Uint8Array | undefined {
    return this.romPages.get(page);
  }

  read8(address: number): number {
    address = this.mask(address);
    if (address < this.ramSize && this.pageKind[address >>> PAGE_SHIFT] === PageKind.Ram) return this.ram[address];
    return this.readSlow(address, 1);
  }

  read16(address: number): number {
    address = this.mask(address);
    if ((address & 0xfff) <= 0xffe && address < this.ramSize && this.pageKind[address >>> PAGE_SHIFT] === PageKind.Ram) {
      return this.ram[address] | (this.ram[address + 1] << 8);
    }
    return this.read8(address) | (this.read8(address + 1) << 8);
  }

  read32(address: number): number {
    address = this.mask(address);
    if ((address & 0xfff) <= 0xffc && address < this.ramSize && this.pageKind[address >>> PAGE_SHIFT] === PageKind.Ram) {
      const r = this.ram;
      return (r[address] | (r[address + 1] << 8) | (r[address + 2] << 16) | (r[address + 3] << 24)) >>> 0;
    }
    if ((address & 0xfff) <= 0xffc && this.pageKind[address >>> PAGE_SHIFT] === PageKind.Mmio) {
      return this.readSlow(address, 4) >>> 0;
    }
    return (this.read16(address) | (this.read16(address + 2) << 16)) >>> 0;
  }

  write8(address: number, value: number): void {
    address = this.mask(address);
    const page = address >>> PAGE_SHIFT;
    if (address < this.ramSize && this.pageKind[page] === PageKind.Ram) {
      this.ram[address] = value;
      this.onPageWritten(page, address & (PAGE_SIZE - 1), 1);
      return;
    }
    this.writeSlow(address, 1, value & 0xff);
  }

  write16(address: number, value: number): void {
    address = this.mask(address);
    if ((address & 0xfff) <= 0xffe && address < this.ramSize && this.pageKind[address >>> PAGE_SHIFT] === PageKind.Ram) {
      this.ram[address] = value;
      this.ram[address + 1] = value >>> 8;
      this.onPageWritten(address >>> PAGE_SHIFT, address & (PAGE_SIZE - 1), 2);
      return;
    }
    if ((address & 0xfff) <= 0xffe && this.pageKind[address >>> PAGE_SHIFT] === PageKind.Mmio) {
      this.writeSlow(address, 2, value & 0xffff);
      return;
    }
    this.write8(address, value);
    this.write8(address + 1, value >>> 8);
  }

  write32(address: number, value: number): void {
    address = this.mask(address);
    if ((address & 0xfff) <= 0xffc && address < this.ramSize && this.pageKind[address >>> PAGE_SHIFT] === PageKind.Ram) {
      const r = this.ram;
      r[address] = value;
      r[address + 1] = value >>> 8;
      r[address + 2] = value >>> 16;
      r[address + 3] = value >>> 24;
      this.onPageWritten(address >>> PAGE_SHIFT, address & (PAGE_SIZE - 1), 4);
      return;
    }
    if ((address & 0xfff) <= 0xffc && this.pageKind[address >>> PAGE_SHIFT] === PageKind.Mmio) {
      this.writeSlow(address, 4, value >>> 0);
      return;
    }
    this.write16(address, value);
    this.write16(address + 2, value >>> 16);
  }

  /** Copy out of guest physical memory (loaders, DMA). */
  readBytes(address: number, into: Uint8Array): void {
    for (let i = 0; i < into.length; i++) into[i] = this.read8(address + i);
  }

  /** Copy into guest physical memory (loaders, DMA). ROM stays untouched. */
  writeBytes(address: number, from: Uint8Array): void {
    const end = address + from.length;
    if (end <= this.ramSize && this.allRam(address, end)) {
      this.ram.set(from, address);
      for (let page = address >>> PAGE_SHIFT; page <= (end - 1) >>> PAGE_SHIFT; page++) {
        const first = Math.max(address, page << PAGE_SHIFT);
        const last = Math.min(end, (page + 1) << PAGE_SHIFT);
        this.onPageWritten(page, first & (PAGE_SIZE - 1), last - first);
      }
      return;
    }
    for (let i = 0; i < from.length; i++) this.write8(address + i, from[i]);
  }

  /** A DMA view for bus-master devices. */
  dmaView(): DmaView {
    return {
      read: (address, into) => this.readBytes(address, into),
      write: (address, from) => this.writeBytes(address, from),
    };
  }

  private allRam(start: number, end: number): boolean {
    for (let page = start >>> PAGE_SHIFT; page <= (end - 1) >>> PAGE_SHIFT; page++) {
      if (this.pageKind[page] !== PageKind.Ram) return false;
    }
    return true;
  }

  private readSlow(address: number, size: AccessSize): number {
    const page = address >>> PAGE_SHIFT;
    switch (this.pageKind[page]) {
      case PageKind.Ram:
        return size === 1 ? this.ram[address] : this.read8(address) | (this.read8(address + 1) << 8);
      case PageKind.Rom:
        return this.romPages.get(page)![address & (PAGE_SIZE - 1)];
      case PageKind.Mmio: {
        const window = this.mmioPages.get(page)!;
        const offset = address - window.base;
        return offset < window.length ? window.block.read(offset, size) : 0xff;
      }
      default:
        return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
    }
  }

  private writeSlow(address: number, size: AccessSize, value: number): void {
    const page = address >>> PAGE_SHIFT;
    if (this.pageKind[page] === PageKind.Mmio) {
      this.mmioWrites++;
      const window = this.mmioPages.get(page)!;
      const offset = address - window.base;
      if (offset < window.length) window.block.write(offset, size, value);
    }
    // ROM and unmapped writes are dropped, as on the bus.
  }
}

// PCI host bridge (i440FX) with configuration mechanism #1, and the functions
// of QEMU's default `pc` machine.
//
// Follows the PCI Local Bus Specification 2.2: section 3.2.2.3.2 (mechanism
// #1: a dword address register at 0xCF8 with the enable bit, bus, device,
// function and register fields; data at 0xCFC-0xCFF, where the port offset
// selects the byte within the dword) and chapter 6 (the type 0 configuration
// header, BAR sizing by writing all ones, the multi-function bit of the header
// type). The PIIX3 parts follow the Intel 82371SB (PIIX3) datasheet: the PIRQ
// route control registers 0x60-0x63 and the reset control register at port
// 0xCF9, which shares the address register's ports.
//
// A PC puts `address` at 0xCF8 (4 ports) and `data` at 0xCFC (4 ports).
//
// The functions start with their BARs, command registers and interrupt lines
// already assigned, as SeaBIOS leaves a QEMU `pc` machine that has an e1000 at
// 00:03.0 (checked against a dump from qemu-system-i386 with SeaBIOS: the
// e1000 there has BAR0 0xFEBC0000, BAR1 I/O 0xC000, IRQ 11, command 0x0103;
// the board adds it with `addFunction`). Expansion ROM BARs are not modelled
// and read 0. Only bus 0 exists.

import { stateFields, type AccessSize, type RegisterBlock, type DeviceState } from './bus.ts';

// Configuration address register (port 0xCF8) fields.
const ADDRESS_ENABLE = 0x80000000;
const ADDRESS_BUS_SHIFT = 16;
const ADDRESS_DEVICE_SHIFT = 11;
const ADDRESS_FUNCTION_SHIFT = 8;
/** Bits that hold state: enable, bus, device, function, dword register number. */
const ADDRESS_MASK = 0x80fffffc;
/** The PIIX3 reset control register sits at 0xCF9, offset 1 of the address block. */
const RESET_CONTROL_OFFSET = 1;
const RESET_CONTROL_SYSTEM_RESET = 0x02;
const RESET_CONTROL_RESET_CPU = 0x04;

export const DEVICES_PER_BUS = 32;
export const FUNCTIONS_PER_DEVICE = 8;
export const CONFIG_SPACE_SIZE = 256;

// Type 0 configuration header offsets (PCI 2.2 section 6.1).
export const PCI_VENDOR_ID = 0x00;
export const PCI_DEVICE_ID = 0x02;
export const PCI_COMMAND = 0x04;
export const PCI_STATUS = 0x06;
export const PCI_REVISION = 0x08;
export const PCI_PROG_IF = 0x09;
export const PCI_CLASS = 0x0a; // subclass at 0x0a, base class at 0x0b
export const PCI_CACHE_LINE_SIZE = 0x0c;
export const PCI_LATENCY_TIMER = 0x0d;
export const PCI_HEADER_TYPE = 0x0e;
export const PCI_BAR0 = 0x10;
export const PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
export const PCI_SUBSYSTEM_ID = 0x2e;
export const PCI_INTERRUPT_LINE = 0x3c;
export const PCI_INTERRUPT_PIN = 0x3d;

export const HEADER_TYPE_MULTI_FUNCTION = 0x80;
export const BAR_COUNT = 6;
export const BAR_IO = 0x01;
export const BAR_MEMORY_PREFETCHABLE = 0x08;

// Command register bits (section 6.2.2).
export const COMMAND_IO = 0x0001;
export const COMMAND_MEMORY = 0x0002;
export const COMMAND_BUS_MASTER = 0x0004;
const COMMAND_PARITY = 0x0040;
const COMMAND_SERR = 0x0100;
const COMMAND_INTERRUPT_DISABLE = 0x0400;
const COMMAND_WRITABLE = COMMAND_IO | COMMAND_MEMORY | COMMAND_BUS_MASTER | COMMAND_PARITY | COMMAND_SERR | COMMAND_INTERRUPT_DISABLE;
export const STATUS_FAST_BACK_TO_BACK = 0x0080;
export const STATUS_DEVSEL_MEDIUM = 0x0200;
/** What SeaBIOS leaves in every function's command register on QEMU: I/O, memory, SERR#. */
export const SEABIOS_COMMAND = COMMAND_IO | COMMAND_MEMORY | COMMAND_SERR;
/** QEMU's default subsystem IDs (Red Hat, QEMU) for every type 0 function. */
const QEMU_SUBSYSTEM_VENDOR = 0x1af4;
const QEMU_SUBSYSTEM = 0x1100;

/** What the host bridge needs of a function: its configuration space. */
export interface PciConfigSpace {
  readConfig(offset: number, size: AccessSize): number;
  writeConfig(offset: number, size: AccessSize, value: number): void;
}

export interface PciIdentity {
  vendor: number;
  device: number;
  /** Base class, subclass and programming interface as one 24-bit number, e.g. 0x010180. */
  classCode: number;
  revision?: number;
  /** 1 = INTA# ... 4 = INTD#; 0 or absent: the function raises no interrupt. */
  interruptPin?: number;
  interruptLine?: number;
  command?: number;
  status?: number;
}

export interface PciBarOptions {
  /** Size in bytes, a power of two (at least 4 for I/O, 16 for memory). */
  size: number;
  io: boolean;
  prefetchable?: boolean;
  /** Address the firmware assigned. */
  address: number;
}

/**
 * One PCI function: 256 bytes of configuration space and a per-byte mask of
 * the bits software may write. Subclasses set device-specific registers and
 * may override `configWritten` to react to writes.
 */
export class PciFunction implements PciConfigSpace {
  readonly config = new Uint8Array(CONFIG_SPACE_SIZE);
  /** 1 bits may be written by software; the rest are read-only. */
  readonly writable = new Uint8Array(CONFIG_SPACE_SIZE);
  /** Told when software moves a BAR (the board remaps the function's registers). */
  onBarMoved: (index: number, address: number) => void = () => {};
  private readonly barSizes = new Array<number>(BAR_COUNT).fill(0);
  /** Where each BAR was last decoded, so a sizing probe and its restore are not reported as moves. */
  private readonly barMapped = new Array<number>(BAR_COUNT).fill(0);

  constructor(identity: PciIdentity) {
    this.set16(PCI_VENDOR_ID, identity.vendor);
    this.set16(PCI_DEVICE_ID, identity.device);
    this.set16(PCI_COMMAND, identity.command ?? 0);
    this.set16(PCI_STATUS, identity.status ?? 0);
    this.config[PCI_REVISION] = identity.revision ?? 0;
    this.config[PCI_PROG_IF] = identity.classCode & 0xff;
    this.config[PCI_CLASS] = (identity.classCode >>> 8) & 0xff;
    this.config[PCI_CLASS + 1] = (identity.classCode >>> 16) & 0xff;
    this.set16(PCI_SUBSYSTEM_VENDOR_ID, QEMU_SUBSYSTEM_VENDOR);
    this.set16(PCI_SUBSYSTEM_ID, QEMU_SUBSYSTEM);
    this.config[PCI_INTERRUPT_PIN] = identity.interruptPin ?? 0;
    this.config[PCI_INTERRUPT_LINE] = identity.interruptLine ?? 0;
    this.writable[PCI_COMMAND] = COMMAND_WRITABLE & 0xff;
    this.writable[PCI_COMMAND + 1] = COMMAND_WRITABLE >>> 8;
    this.writable[PCI_CACHE_LINE_SIZE] = 0xff;
    this.writable[PCI_LATENCY_TIMER] = 0xff;
    this.writable[PCI_INTERRUPT_LINE] = 0xff;
  }

  /** Declare BAR `index`: its low bits say I/O or memory, its writable bits encode the size. */
  defineBar(index: number, bar: PciBarOptions): void {
    const minimum = bar.io ? 4 : 16;
    if (bar.size < minimum || (bar.size & (bar.size - 1)) !== 0) throw new Error(`pci: BAR${index} size ${bar.size} is not a power of two >= ${minimum}`);
    const typeBits = bar.io ? BAR_IO : bar.prefetchable ? BAR_MEMORY_PREFETCHABLE : 0;
    const addressMask = ~(bar.size - 1) & (bar.io ? ~0x3 : ~0xf);
    const offset = PCI_BAR0 + 4 * index;
    this.barSizes[index] = bar.size;
    this.barMapped[index] = (bar.address & addressMask) >>> 0;
    this.set32(offset, ((bar.address & addressMask) | typeBits) >>> 0, addressMask >>> 0);
  }

  /** The base address BAR `index` currently holds (type bits stripped). */
  barAddress(index: number): number {
    const value = this.readConfig(PCI_BAR0 + 4 * index, 4);
    return (value & (value & BAR_IO ? ~0x3 : ~0xf)) >>> 0;
  }

  barSize(index: number): number {
    return this.barSizes[index];
  }

  get command(): number {
    return this.readConfig(PCI_COMMAND, 2);
  }

  get interruptLine(): number {
    return this.config[PCI_INTERRUPT_LINE];
  }

  readConfig(offset: number, size: AccessSize): number {
    let value = 0;
    for (let i = 0; i < size; i++) {
      const at = offset + i;
      value |= (at < CONFIG_SPACE_SIZE ? this.config[at] : 0xff) << (8 * i);
    }
    return value >>> 0;
  }

  writeConfig(offset: number, size: AccessSize, value: number): void {
    for (let i = 0; i < size; i++) {
      const at = offset + i;
      if (at >= CONFIG_SPACE_SIZE) break;
      const mask = this.writable[at];
      this.config[at] = (this.config[at] & ~mask) | ((value >>> (8 * i)) & mask);
    }
    this.configWritten(offset, size);
    this.barSizes.forEach((barSize, index) => {
      if (!barSize) return;
      const address = this.barAddress(index);
      // All ones is a sizing probe, not a move: the driver writes the address back next.
      const sizingProbe = address === this.writable32(PCI_BAR0 + 4 * index);
      if (address === this.barMapped[index] || sizingProbe) return;
      this.barMapped[index] = address;
      this.onBarMoved(index, address);
    });
  }

  private writable32(offset: number): number {
    const w = this.writable;
    return (w[offset] | (w[offset + 1] << 8) | (w[offset + 2] << 16) | (w[offset + 3] << 24)) >>> 0;
  }

  /** Hook for device-specific registers; the base class has none. */
  protected configWritten(_offset: number, _size: AccessSize): void {}

  /** Set a register and, optionally, which of its bits software may change. */
  protected set8(offset: number, value: number, writable = 0): void {
    this.config[offset] = value;
    this.writable[offset] = writable;
  }

  protected set16(offset: number, value: number, writable = 0): void {
    this.set8(offset, value & 0xff, writable & 0xff);
    this.set8(offset + 1, (value >>> 8) & 0xff, (writable >>> 8) & 0xff);
  }

  protected set32(offset: number, value: number, writable = 0): void {
    this.set16(offset, value & 0xffff, writable & 0xffff);
    this.set16(offset + 2, value >>> 16, writable >>> 16);
  }

  saveState(): DeviceState {
    return { name: 'pci-function', version: 1, fields: { config: Array.from(this.config) } };
  }

  loadState(state: DeviceState): void {
    this.config.set(stateFields(state, 'pci-function', 1).config as number[]);
    this.barSizes.forEach((_size, index) => (this.barMapped[index] = this.barAddress(index)));
  }
}

// --- the functions of QEMU's `pc` ----------------------------------------

const VENDOR_INTEL = 0x8086;
const VENDOR_QEMU_VGA = 0x1234;

/** i440FX shadow RAM attribute (PAM0-6) and SMRAM control registers. */
export const I440FX_PAM0 = 0x59;
export const I440FX_PAM6 = 0x5f;
export const I440FX_SMRAM = 0x72;

/** 00:00.0 Intel 82441FX (i440FX) host bridge. */
export class I440fxHostBridge extends PciFunction {
  constructor() {
    super({ vendor: VENDOR_INTEL, device: 0x1237, classCode: 0x060000, revision: 0x02, command: SEABIOS_COMMAND });
    // PAM0-6 (shadow RAM attributes) and SMRAM: firmware writes them and
    // reads them back. Their effect on memory decoding is the board's business.
    for (let offset = I440FX_PAM0; offset <= I440FX_PAM6; offset++) this.writable[offset] = 0xff;
    this.writable[I440FX_SMRAM] = 0xff;
  }
}

/** PIIX3 PIRQA-D route control registers: bit 7 disables, bits 3:0 give the ISA IRQ. */
export const PIIX3_PIRQ_ROUTE = 0x60;
const PIRQ_ROUTE_DISABLE = 0x80;
const PIRQ_ROUTE_IRQ_MASK = 0x0f;
/** SeaBIOS routes PIRQA..D to IRQs 10, 10, 11, 11. */
const SEABIOS_PIRQ_IRQS = [10, 10, 11, 11];

/** 00:01.0 PIIX3 PCI-to-ISA bridge: function 0 of a multi-function device. */
export class Piix3IsaBridge extends PciFunction {
  constructor() {
    super({ vendor: VENDOR_INTEL, device: 0x7000, classCode: 0x060100, command: SEABIOS_COMMAND, status: STATUS_DEVSEL_MEDIUM });
    SEABIOS_PIRQ_IRQS.forEach((irq, pirq) => this.set8(PIIX3_PIRQ_ROUTE + pirq, irq, PIRQ_ROUTE_DISABLE | PIRQ_ROUTE_IRQ_MASK));
  }

  /** ISA IRQ that PIRQ line `pirq` (0 = A) drives, or -1 when its routing is disabled. */
  pirqIrq(pirq: number): number {
    const route = this.config[PIIX3_PIRQ_ROUTE + pirq];
    return route & PIRQ_ROUTE_DISABLE ? -1 : route & PIRQ_ROUTE_IRQ_MASK;
  }
}

/** PIIX3 IDE BAR4: the bus-master registers (16 ports); SeaBIOS puts them after the e1000's 64. */
export const PIIX3_IDE_BUS_MASTER_BASE = 0xc040;

/** 00:01.1 PIIX3 IDE: both channels at the legacy ports and IRQs 14/15, bus master capable. */
export class Piix3Ide extends PciFunction {
  constructor() {
    // Programming interface 0x80: bus master capable, both channels in compatibility mode.
    super({
      vendor: VENDOR_INTEL,
      device: 0x7010,
      classCode: 0x010180,
      command: SEABIOS_COMMAND,
      status: STATUS_DEVSEL_MEDIUM | STATUS_FAST_BACK_TO_BACK,
    });
    this.defineBar(4, { size: 16, io: true, address: PIIX3_IDE_BUS_MASTER_BASE });
  }
}

/** ACPI SCI on a PC: the PIIX4 power-management function sits on IRQ 9. */
export const PIIX4_PM_IRQ = 9;

/** 00:01.3 PIIX4 power management (ACPI). */
export class Piix4PowerManagement extends PciFunction {
  constructor() {
    super({
      vendor: VENDOR_INTEL,
      device: 0x7113,
      classCode: 0x068000,
      revision: 0x03,
      interruptPin: 1,
      interruptLine: PIIX4_PM_IRQ,
      command: SEABIOS_COMMAND,
      status: STATUS_DEVSEL_MEDIUM | STATUS_FAST_BACK_TO_BACK,
    });
  }
}

export const VGA_FRAMEBUFFER_BASE = 0xfd000000;
export const VGA_FRAMEBUFFER_SIZE = 16 * 1024 * 1024;
export const VGA_MMIO_BASE = 0xfebf0000;
export const VGA_MMIO_SIZE = 4096;

/** 00:02.0 QEMU standard VGA: BAR0 the linear framebuffer, BAR2 the Bochs display registers. */
export class StandardVga extends PciFunction {
  constructor() {
    super({ vendor: VENDOR_QEMU_VGA, device: 0x1111, classCode: 0x030000, revision: 0x02, command: SEABIOS_COMMAND });
    this.defineBar(0, { size: VGA_FRAMEBUFFER_SIZE, io: false, prefetchable: true, address: VGA_FRAMEBUFFER_BASE });
    this.defineBar(2, { size: VGA_MMIO_SIZE, io: false, address: VGA_MMIO_BASE });
  }
}

// --- the host bridge's configuration ports ----------------------------------

export interface PciHostOptions {
  /** Software asked for a reset through the PIIX3 reset control register (port 0xCF9). */
  onReset?: () => void;
}

export class PciHost {
  /** Port 0xCF8, 4 ports: CONFIG_ADDRESS (dword) and the reset control byte at 0xCF9. */
  readonly address: RegisterBlock;
  /** Port 0xCFC, 4 ports: CONFIG_DATA. */
  readonly data: RegisterBlock;

  readonly hostBridge = new I440fxHostBridge();
  readonly isaBridge = new Piix3IsaBridge();
  readonly ide = new Piix3Ide();
  readonly powerManagement = new Piix4PowerManagement();
  readonly vga = new StandardVga();

  private readonly functions = new Map<number, PciConfigSpace>();
  private configAddress = 0;
  private resetControl = 0;
  private readonly onReset: () => void;

  constructor(options: PciHostOptions = {}) {
    this.onReset = options.onReset ?? (() => {});
    this.addFunction(0, 0, this.hostBridge);
    this.addFunction(1, 0, this.isaBridge);
    this.addFunction(1, 1, this.ide);
    this.addFunction(1, 3, this.powerManagement);
    this.addFunction(2, 0, this.vga);
    this.address = {
      read: (offset, size) => this.readAddressPort(offset, size),
      write: (offset, size, value) => this.writeAddressPort(offset, size, value),
    };
    this.data = {
      read: (offset, size) => this.readData(offset, size),
      write: (offset, size, value) => this.writeData(offset, size, value),
    };
  }

  /** Put a function at 00:device.fn. A device with more than one function gets the multi-function bit on function 0. */
  addFunction(device: number, fn: number, pciFunction: PciConfigSpace): void {
    if (device >= DEVICES_PER_BUS || fn >= FUNCTIONS_PER_DEVICE) throw new Error(`pci: no slot ${device}.${fn}`);
    const key = slotKey(device, fn);
    if (this.functions.has(key)) throw new Error(`pci: 00:${device.toString(16).padStart(2, '0')}.${fn} is taken`);
    this.functions.set(key, pciFunction);
    const first = this.functions.get(slotKey(device, 0));
    if (fn !== 0 && first instanceof PciFunction) first.config[PCI_HEADER_TYPE] |= HEADER_TYPE_MULTI_FUNCTION;
  }

  functionAt(device: number, fn: number): PciConfigSpace | undefined {
    return this.functions.get(slotKey(device, fn));
  }

  /**
   * The ISA IRQ a device's interrupt pin (1 = INTA#) reaches through the
   * PIIX3 PIRQ routing, or -1 when that PIRQ is disabled. The swizzle is the
   * one QEMU's i440FX board uses: PIRQ = (pin - 1 + device - 1) mod 4.
   */
  isaIrqFor(device: number, pin: number): number {
    return this.isaBridge.pirqIrq((pin - 1 + device - 1) & 3);
  }

  private readAddressPort(offset: number, size: AccessSize): number {
    if (offset === 0 && size === 4) return this.configAddress;
    if (offset === RESET_CONTROL_OFFSET && size === 1) return this.resetControl;
    return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
  }

  private writeAddressPort(offset: number, size: AccessSize, value: number): void {
    if (offset === 0 && size === 4) {
      this.configAddress = (value & ADDRESS_MASK) >>> 0;
    } else if (offset === RESET_CONTROL_OFFSET && size === 1) {
      // The reset fires on writing RCPU as 1; the system-reset bit only chooses hard or soft.
      this.resetControl = value & RESET_CONTROL_SYSTEM_RESET;
      if (value & RESET_CONTROL_RESET_CPU) this.onReset();
    }
  }

  /** The addressed function and register, or undefined when nothing answers. */
  private target(offset: number): { fn: PciConfigSpace; register: number } | undefined {
    const address = this.configAddress;
    if (!(address & ADDRESS_ENABLE)) return undefined;
    if ((address >>> ADDRESS_BUS_SHIFT) & 0xff) return undefined; // only bus 0
    const device = (address >>> ADDRESS_DEVICE_SHIFT) & 0x1f;
    const fn = (address >>> ADDRESS_FUNCTION_SHIFT) & 0x7;
    const pciFunction = this.functions.get(slotKey(device, fn));
    if (!pciFunction) return undefined;
    return { fn: pciFunction, register: (address & 0xfc) + offset };
  }

  private readData(offset: number, size: AccessSize): number {
    const target = this.target(offset);
    // An empty slot does not claim the cycle: master abort, all ones.
    if (!target) return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
    return target.fn.readConfig(target.register, size);
  }

  private writeData(offset: number, size: AccessSize, value: number): void {
    const target = this.target(offset);
    if (target) target.fn.writeConfig(target.register, size, value);
  }

  saveState(): DeviceState {
    const functions: Record<string, unknown> = {};
    for (const [key, fn] of this.functions) {
      if (fn instanceof PciFunction) functions[slotName(key)] = fn.saveState();
    }
    return { name: 'pci-host', version: 1, fields: { configAddress: this.configAddress, resetControl: this.resetControl, functions } };
  }

  loadState(state: DeviceState): void {
    const fields = stateFields(state, 'pci-host', 1);
    this.configAddress = fields.configAddress as number;
    this.resetControl = fields.resetControl as number;
    const saved = fields.functions as Record<string, DeviceState>;
    for (const [key, fn] of this.functions) {
      const fnState = saved[slotName(key)];
      if (fnState && fn instanceof PciFunction) fn.loadState(fnState);
    }
  }
}

function slotKey(device: number, fn: number): number {
  return device * FUNCTIONS_PER_DEVICE + fn;
}

function slotName(key: number): string {
  return `00:${Math.floor(key / FUNCTIONS_PER_DEVICE).toString(16).padStart(2, '0')}.${key % FUNCTIONS_PER_DEVICE}`;
}

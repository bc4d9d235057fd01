// Intel MultiProcessor Specification 1.4 tables: the floating pointer
// structure and the MP configuration table that tell a kernel how many CPUs
// there are and how interrupts reach the I/O APIC.
//
// Follows MP Spec 1.4 chapter 4: the floating pointer (4.1, "_MP_", 16 bytes,
// looked for in the first KiB of the EBDA, the last KiB of base memory, or
// 0xF0000-0xFFFFF), the configuration table header (4.2, "PCMP"), and the
// base table entries in ascending type order (4.3): processor, bus, I/O APIC,
// I/O interrupt assignment and local interrupt assignment. The interrupt
// assignments are the ones SeaBIOS writes for QEMU's `pc`: ISA IRQ n to I/O
// APIC input n, except IRQ 0 (the PIT) to input 2 and no entry for IRQ 2
// (the cascade); ExtINT on LINT0 of the boot CPU; NMI on LINT1 of every CPU.
//
// By default the floating pointer goes at 0x9FC10 and the table right after
// it: inside the first KiB of a 1 KiB EBDA at 0x9FC00 (BDA word 0x40E =
// 0x9FC0, base memory 639 KiB at 0x413), past the EBDA's size byte, and
// equally inside the last KiB below 640 KiB, where kernels look when the BDA
// reports 640 KiB and no EBDA. The board writes the BIOS data area.

import type { PhysicalMemory } from '../mmu/physical.ts';

/** 16 bytes into the EBDA: its first bytes belong to the BIOS (byte 0 is its size in KiB). */
export const MP_DEFAULT_ADDRESS = 0x9fc10;
/** The EBDA, and base memory, end here; the VGA window starts. */
const BASE_MEMORY_END = 0xa0000;

const FLOATING_POINTER_SIGNATURE = '_MP_';
const FLOATING_POINTER_LENGTH = 16;
const CONFIG_TABLE_SIGNATURE = 'PCMP';
const CONFIG_HEADER_LENGTH = 44;
/** Specification revision 1.4. */
const SPEC_REVISION = 4;
const OEM_ID = 'JOS86';
const PRODUCT_ID = 'PC';

// Entry types and their lengths (MP Spec 4.3).
export const MP_PROCESSOR = 0;
export const MP_BUS = 1;
export const MP_IOAPIC = 2;
export const MP_IO_INTERRUPT = 3;
export const MP_LOCAL_INTERRUPT = 4;
const PROCESSOR_ENTRY_LENGTH = 20;
const SHORT_ENTRY_LENGTH = 8;

const CPU_ENABLED = 0x01;
const CPU_BOOTSTRAP = 0x02;
const IOAPIC_ENABLED = 0x01;

// Interrupt types and the polarity/trigger flags of interrupt entries (MP Spec 4.3.4).
export const MP_INT = 0;
export const MP_NMI = 1;
export const MP_EXTINT = 3;
/** Polarity and trigger "conform to the bus": edge, active high on ISA. */
const FLAGS_CONFORMING = 0x0;
const FLAGS_ACTIVE_LOW = 0x3;
const FLAGS_LEVEL_TRIGGERED = 0x3 << 2;

const PCI_BUS_ID = 0;
const ISA_BUS_ID = 1;
const ISA_IRQS = 16;
const PIT_IRQ = 0;
const PIT_IOAPIC_PIN = 2;
const CASCADE_IRQ = 2;
const ALL_LOCAL_APICS = 0xff;
const LINT0 = 0;
const LINT1 = 1;

/** APIC versions as the chips report them (lapic.ts, ioapic.ts). */
const LAPIC_VERSION = 0x14;
const IOAPIC_VERSION = 0x11;
/** CPUID signature of QEMU's default qemu32 CPU (family 6, model 6, stepping 3). */
const DEFAULT_CPU_SIGNATURE = 0x663;
/** CPUID.1:EDX bits the entry repeats: FPU and on-chip APIC. */
const DEFAULT_CPU_FEATURES = (1 << 0) | (1 << 9);

export interface PciInterruptAssignment {
  device: number;
  /** 1 = INTA# ... 4 = INTD#. */
  pin: number;
  /** I/O APIC input it arrives on. */
  ioApicPin: number;
}

export interface MpTableOptions {
  cpus: number;
  ioApicId: number;
  ioApicAddress: number;
  lapicAddress: number;
  /** Where the floating pointer goes; the configuration table follows it. */
  address?: number;
  /** A second copy of the floating pointer, e.g. in 0xF0000-0xFFFFF (16-byte aligned). */
  biosCopyAddress?: number;
  /** PCI interrupts to describe (level triggered, active low), as SeaBIOS does for PCI devices. */
  pciInterrupts?: PciInterruptAssignment[];
  cpuSignature?: number;
  cpuFeatures?: number;
}

export interface MpTableLocation {
  floatingPointer: number;
  configTable: number;
  /** Length of the configuration table in bytes. */
  length: number;
}

/** Write the floating pointer and configuration table into guest memory. */
export function writeMpTable(memory: PhysicalMemory, options: MpTableOptions): MpTableLocation {
  if (options.cpus < 1 || options.cpus > 255) throw new Error(`mptable: ${options.cpus} CPUs`);
  const floatingPointer = options.address ?? MP_DEFAULT_ADDRESS;
  if (floatingPointer % 16) throw new Error('mptable: the floating pointer must be 16-byte aligned');
  const configTable = floatingPointer + FLOATING_POINTER_LENGTH;

  const table = buildConfigTable(options);
  if (floatingPointer < BASE_MEMORY_END && configTable + table.length > BASE_MEMORY_END) {
    throw new Error(`mptable: a ${table.length}-byte table for ${options.cpus} CPUs does not fit below 0xA0000`);
  }
  memory.writeBytes(configTable, table);
  memory.writeBytes(floatingPointer, buildFloatingPointer(configTable));
  if (options.biosCopyAddress !== undefined) {
    if (options.biosCopyAddress % 16) throw new Error('mptable: the floating pointer copy must be 16-byte aligned');
    memory.writeBytes(options.biosCopyAddress, buildFloatingPointer(configTable));
  }
  return { floatingPointer, configTable, length: table.length };
}

function buildFloatingPointer(configTable: number): Uint8Array {
  const bytes = new Uint8Array(FLOATING_POINTER_LENGTH);
  const view = new DataView(bytes.buffer);
  putAscii(bytes, 0, 4, FLOATING_POINTER_SIGNATURE);
  view.setUint32(4, configTable, true);
  bytes[8] = FLOATING_POINTER_LENGTH / 16; // length in 16-byte paragraphs
  bytes[9] = SPEC_REVISION;
  // Feature byte 1 = 0: a configuration table is present (no default configuration).
  // Feature byte 2 bit 7 = 0: virtual wire mode, no IMCR.
  bytes[10] = checksum(bytes);
  return bytes;
}

function buildConfigTable(options: MpTableOptions): Uint8Array {
  const entries: Uint8Array[] = [];
  let count = 0;
  const add = (entry: Uint8Array) => {
    entries.push(entry);
    count++;
  };

  for (let cpu = 0; cpu < options.cpus; cpu++) {
    const entry = new Uint8Array(PROCESSOR_ENTRY_LENGTH);
    const view = new DataView(entry.buffer);
    entry[0] = MP_PROCESSOR;
    entry[1] = cpu; // local APIC ID
    entry[2] = LAPIC_VERSION;
    entry[3] = CPU_ENABLED | (cpu === 0 ? CPU_BOOTSTRAP : 0);
    view.setUint32(4, options.cpuSignature ?? DEFAULT_CPU_SIGNATURE, true);
    view.setUint32(8, options.cpuFeatures ?? DEFAULT_CPU_FEATURES, true);
    add(entry);
  }

  add(busEntry(PCI_BUS_ID, 'PCI'));
  add(busEntry(ISA_BUS_ID, 'ISA'));

  const ioApic = new Uint8Array(SHORT_ENTRY_LENGTH);
  ioApic[0] = MP_IOAPIC;
  ioApic[1] = options.ioApicId;
  ioApic[2] = IOAPIC_VERSION;
  ioApic[3] = IOAPIC_ENABLED;
  new DataView(ioApic.buffer).setUint32(4, options.ioApicAddress, true);
  add(ioApic);

  const pciPins = new Set((options.pciInterrupts ?? []).map((assignment) => assignment.ioApicPin));
  for (let irq = 0; irq < ISA_IRQS; irq++) {
    // The cascade never interrupts; its I/O APIC input carries the PIT instead.
    if (irq === CASCADE_IRQ) continue;
    const pin = irq === PIT_IRQ ? PIT_IOAPIC_PIN : irq;
    // An input given to PCI is level triggered, so it cannot also be an ISA edge input.
    if (pciPins.has(pin)) continue;
    add(interruptEntry(MP_IO_INTERRUPT, MP_INT, FLAGS_CONFORMING, ISA_BUS_ID, irq, options.ioApicId, pin));
  }
  for (const { device, pin, ioApicPin } of options.pciInterrupts ?? []) {
    // PCI source bus IRQ: device number in bits 6:2, INTx# (0 = A) in bits 1:0.
    const source = (device << 2) | (pin - 1);
    add(interruptEntry(MP_IO_INTERRUPT, MP_INT, FLAGS_ACTIVE_LOW | FLAGS_LEVEL_TRIGGERED, PCI_BUS_ID, source, options.ioApicId, ioApicPin));
  }

  add(interruptEntry(MP_LOCAL_INTERRUPT, MP_EXTINT, FLAGS_CONFORMING, ISA_BUS_ID, 0, 0, LINT0));
  add(interruptEntry(MP_LOCAL_INTERRUPT, MP_NMI, FLAGS_CONFORMING, ISA_BUS_ID, 0, ALL_LOCAL_APICS, LINT1));

  const length = CONFIG_HEADER_LENGTH + entries.reduce((sum, entry) => sum + entry.length, 0);
  const table = new Uint8Array(length);
  const view = new DataView(table.buffer);
  putAscii(table, 0, 4, CONFIG_TABLE_SIGNATURE);
  view.setUint16(4, length, true);
  table[6] = SPEC_REVISION;
  putAscii(table, 8, 8, OEM_ID);
  putAscii(table, 16, 12, PRODUCT_ID);
  // OEM table pointer and size (28, 32) stay 0: there is none.
  view.setUint16(34, count, true);
  view.setUint32(36, options.lapicAddress, true);
  // Extended table length and checksum (40, 42) stay 0: no extended entries.
  let offset = CONFIG_HEADER_LENGTH;
  for (const entry of entries) {
    table.set(entry, offset);
    offset += entry.length;
  }
  table[7] = checksum(table);
  return table;
}

function busEntry(id: number, type: string): Uint8Array {
  const entry = new Uint8Array(SHORT_ENTRY_LENGTH);
  entry[0] = MP_BUS;
  entry[1] = id;
  putAscii(entry, 2, 6, type);
  return entry;
}

function interruptEntry(
  entryType: number,
  interruptType: number,
  flags: number,
  sourceBus: number,
  sourceIrq: number,
  destinationApic: number,
  destinationPin: number,
): Uint8Array {
  const entry = new Uint8Array(SHORT_ENTRY_LENGTH);
  entry[0] = entryType;
  entry[1] = interruptType;
  entry[2] = flags & 0xff;
  entry[3] = flags >>> 8;
  entry[4] = sourceBus;
  entry[5] = sourceIrq;
  entry[6] = destinationApic;
  entry[7] = destinationPin;
  return entry;
}

/** MP strings are space padded, not NUL terminated. */
function putAscii(bytes: Uint8Array, offset: number, length: number, text: string): void {
  const padded = text.padEnd(length, ' ');
  for (let i = 0; i < length; i++) bytes[offset + i] = padded.charCodeAt(i);
}

/** The byte that makes the whole structure sum to zero (mod 256); its own slot must hold 0 when called. */
function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (const byte of bytes) sum += byte;
  return -sum & 0xff;
}

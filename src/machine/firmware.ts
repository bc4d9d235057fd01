// Firmware without a BIOS: the state a PC is in when its BIOS hands over.
//
// Three ways to start, chosen by the board (pc.ts):
//   - boot sector: sector 0 of the first disk copied to 0000:7C00 and entered
//     in real mode with DL = 0x80, as a BIOS does after its INT 19h bootstrap;
//     the BIOS data area (0x400-0x4FF) and EBDA (0x9FC00) filled in the way
//     kernels read them (COM/LPT port tables, equipment word, base memory);
//   - Multiboot: a Multiboot v1 kernel (ELF program headers, or the a.out
//     kludge of header flag bit 16) loaded like `qemu -kernel`, with an
//     information structure (memory sizes, boot device, command line, memory
//     map, boot loader name) and the CPU in flat 32-bit protected mode with
//     EAX = 0x2BADB002 and EBX = the structure's address (Multiboot
//     Specification 0.6.96, sections 3.1-3.3);
//   - a BIOS ROM: mapped at the top of the 4 GiB space and, its last 128 KiB,
//     at the top of the first MiB (as QEMU's isa-bios alias), started from the
//     reset vector.
// This file writes memory and says where the CPU starts (a BootEntry); it does
// not touch the CPU, so it can be tested against PhysicalMemory alone.

import type { PhysicalMemory } from '../mmu/physical.ts';
import { SECTOR_SIZE, type BlockDevice } from '../devices/ide.ts';

/** Where and how the CPU starts after the firmware has run. */
export type BootEntry =
  | { mode: 'real'; cs: number; ip: number; ss: number; sp: number; dl: number }
  | { mode: 'protected'; eip: number; eax: number; ebx: number }
  | { mode: 'reset-vector' };

export const BOOT_SECTOR_ADDRESS = 0x7c00;
export const BOOT_DRIVE = 0x80;
const BOOT_SIGNATURE_OFFSET = 510;
const BOOT_SIGNATURE = 0xaa55;

// BIOS data area (IBM PC/AT Technical Reference, "BIOS data area"; the
// offsets every kernel's probe code uses).
export const BDA = 0x400;
const BDA_COM_PORTS = 0x400; // 4 words
const BDA_LPT_PORTS = 0x408; // 3 words
const BDA_EBDA_SEGMENT = 0x40e;
const BDA_EQUIPMENT = 0x410;
const BDA_BASE_MEMORY_KIB = 0x413;
const BDA_VIDEO_MODE = 0x449;
const BDA_VIDEO_COLUMNS = 0x44a;
const BDA_VIDEO_PAGE_SIZE = 0x44c;
const BDA_CRTC_BASE = 0x463;
const BDA_HARD_DISKS = 0x475;
const BDA_VIDEO_ROWS_MINUS_ONE = 0x484;

/** The EBDA takes the last KiB of conventional memory, as on QEMU/SeaBIOS. */
export const EBDA_ADDRESS = 0x9fc00;
export const BASE_MEMORY_KIB = EBDA_ADDRESS / 1024; // 639

const EQUIPMENT_VIDEO_80X25_COLOR = 0x2 << 4;
const EQUIPMENT_SERIAL_SHIFT = 9;
const EQUIPMENT_PARALLEL_SHIFT = 14;
const VIDEO_MODE_TEXT_80X25 = 3;

/**
 * Real-mode interrupt vectors all point at an IRET in the BIOS segment (the
 * address real BIOSes keep a dummy handler at), so a stray interrupt before
 * the guest installs its own table returns instead of jumping to 0000:0000.
 */
const DUMMY_HANDLER_SEGMENT = 0xf000;
const DUMMY_HANDLER_OFFSET = 0xff53;
const IRET = 0xcf;

export interface BiosDataOptions {
  comPorts: number[];
  lptPorts: number[];
  hardDisks: number;
}

/** Fill the real-mode IVT, BIOS data area and EBDA as a BIOS leaves them. */
export function writeBiosDataArea(memory: PhysicalMemory, options: BiosDataOptions): void {
  memory.write8(DUMMY_HANDLER_SEGMENT * 16 + DUMMY_HANDLER_OFFSET, IRET);
  for (let vector = 0; vector < 256; vector++) {
    memory.write16(vector * 4, DUMMY_HANDLER_OFFSET);
    memory.write16(vector * 4 + 2, DUMMY_HANDLER_SEGMENT);
  }
  for (let i = 0; i < 4; i++) memory.write16(BDA_COM_PORTS + 2 * i, options.comPorts[i] ?? 0);
  for (let i = 0; i < 3; i++) memory.write16(BDA_LPT_PORTS + 2 * i, options.lptPorts[i] ?? 0);
  memory.write16(BDA_EBDA_SEGMENT, EBDA_ADDRESS >>> 4);
  const equipment =
    EQUIPMENT_VIDEO_80X25_COLOR |
    (options.comPorts.length << EQUIPMENT_SERIAL_SHIFT) |
    (options.lptPorts.length << EQUIPMENT_PARALLEL_SHIFT);
  memory.write16(BDA_EQUIPMENT, equipment);
  memory.write16(BDA_BASE_MEMORY_KIB, BASE_MEMORY_KIB);
  memory.write8(BDA_VIDEO_MODE, VIDEO_MODE_TEXT_80X25);
  memory.write16(BDA_VIDEO_COLUMNS, 80);
  memory.write16(BDA_VIDEO_PAGE_SIZE, 80 * 25 * 2);
  memory.write16(BDA_CRTC_BASE, 0x3d4);
  memory.write8(BDA_HARD_DISKS, options.hardDisks);
  memory.write8(BDA_VIDEO_ROWS_MINUS_ONE, 24);
  // The EBDA's own first byte (its size in KiB) is left alone: the MP
  // floating pointer (mptable.ts) starts right there.
}

/** Copy sector 0 of `disk` to 0x7C00; the BIOS's check for the 0x55AA signature included. */
export function loadBootSector(memory: PhysicalMemory, disk: BlockDevice, diskName = 'the first disk'): BootEntry {
  if (disk.sectors < 1) throw new Error(`${diskName} is empty`);
  const sector = new Uint8Array(SECTOR_SIZE);
  disk.read(0, 1, sector);
  const signature = sector[BOOT_SIGNATURE_OFFSET] | (sector[BOOT_SIGNATURE_OFFSET + 1] << 8);
  if (signature !== BOOT_SIGNATURE) {
    throw new Error(`${diskName} is not bootable: sector 0 does not end with the 0x55AA signature`);
  }
  memory.writeBytes(BOOT_SECTOR_ADDRESS, sector);
  return { mode: 'real', cs: 0, ip: BOOT_SECTOR_ADDRESS, ss: 0, sp: BOOT_SECTOR_ADDRESS, dl: BOOT_DRIVE };
}

// ---- Multiboot v1 -------------------------------------------------------------

export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
const MULTIBOOT_SEARCH_BYTES = 8192;
const MB_FLAG_PAGE_ALIGN = 1 << 0;
const MB_FLAG_MEMORY_INFO = 1 << 1;
const MB_FLAG_VIDEO_MODE = 1 << 2;
const MB_FLAG_AOUT_KLUDGE = 1 << 16;
/** Header flags 0-15 are requirements: refuse a kernel asking for one we do not know. */
const MB_REQUIRED_FLAGS_MASK = 0xffff;
const MB_SUPPORTED_REQUIRED = MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO | MB_FLAG_VIDEO_MODE;

// Information structure flags and offsets (spec section 3.3).
export const MBI_FLAG_MEMORY = 1 << 0;
export const MBI_FLAG_BOOT_DEVICE = 1 << 1;
export const MBI_FLAG_CMDLINE = 1 << 2;
export const MBI_FLAG_MMAP = 1 << 6;
export const MBI_FLAG_BOOT_LOADER_NAME = 1 << 9;
export const MBI_FLAGS = 0;
export const MBI_MEM_LOWER = 4;
export const MBI_MEM_UPPER = 8;
export const MBI_BOOT_DEVICE = 12;
export const MBI_CMDLINE = 16;
export const MBI_MMAP_LENGTH = 44;
export const MBI_MMAP_ADDR = 48;
export const MBI_BOOT_LOADER_NAME = 64;
const MBI_SIZE = 88;
/** BIOS drive 0x80, first partition, no sub-partitions: what QEMU reports. */
const MB_BOOT_DEVICE = 0x8000ffff;
export const MMAP_AVAILABLE = 1;
export const MMAP_RESERVED = 2;
const MMAP_ENTRY_SIZE = 24; // the size field (4) counts the remaining 20 bytes

/** Where the information structure, command line and memory map go unless the kernel sits there. */
const MBI_PREFERRED_ADDRESS = 0x9000;
const MBI_AREA_BYTES = 0x1000;

// ELF (System V ABI, i386 supplement).
const ELF_MAGIC = 0x464c457f; // "\x7fELF" little-endian
const ELFCLASS32 = 1;
const ELFDATA2LSB = 1;
const EM_386 = 3;
const PT_LOAD = 1;

export interface MultibootOptions {
  memoryBytes: number;
  cmdline?: string;
  bootLoaderName?: string;
}

interface LoadedRange {
  start: number;
  end: number;
}

/** Load a Multiboot kernel and build its information structure. */
export function loadMultiboot(memory: PhysicalMemory, image: Uint8Array, options: MultibootOptions): BootEntry {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const headerOffset = findMultibootHeader(view);
  if (headerOffset < 0) throw new Error('kernel has no Multiboot header in its first 8 KiB');
  const flags = view.getUint32(headerOffset + 4, true);
  const unsupported = flags & MB_REQUIRED_FLAGS_MASK & ~MB_SUPPORTED_REQUIRED;
  if (unsupported) throw new Error(`kernel asks for Multiboot features this loader lacks (flags 0x${unsupported.toString(16)})`);

  let entry: number;
  let loaded: LoadedRange;
  if (flags & MB_FLAG_AOUT_KLUDGE) {
    ({ entry, loaded } = loadAoutKludge(memory, image, view, headerOffset));
  } else if (image.length >= 4 && view.getUint32(0, true) === ELF_MAGIC) {
    ({ entry, loaded } = loadElf(memory, image, view));
  } else {
    throw new Error('kernel is neither ELF nor a Multiboot a.out-kludge image (header flag bit 16)');
  }

  const infoAddress =
    loaded.end <= MBI_PREFERRED_ADDRESS || loaded.start >= MBI_PREFERRED_ADDRESS + MBI_AREA_BYTES
      ? MBI_PREFERRED_ADDRESS
      : alignUp(loaded.end, 0x1000);
  if (infoAddress + MBI_AREA_BYTES > memory.ramSize) throw new Error('no room in RAM for the Multiboot information structure');
  writeMultibootInfo(memory, infoAddress, options);
  return { mode: 'protected', eip: entry, eax: MULTIBOOT_BOOTLOADER_MAGIC, ebx: infoAddress };
}

function findMultibootHeader(view: DataView): number {
  const limit = Math.min(MULTIBOOT_SEARCH_BYTES, view.byteLength) - 12;
  for (let offset = 0; offset <= limit; offset += 4) {
    if (view.getUint32(offset, true) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = view.getUint32(offset + 4, true);
    const checksum = view.getUint32(offset + 8, true);
    if (((MULTIBOOT_HEADER_MAGIC + flags + checksum) >>> 0) === 0) return offset;
  }
  return -1;
}

function loadAoutKludge(memory: PhysicalMemory, image: Uint8Array, view: DataView, headerOffset: number): { entry: number; loaded: LoadedRange } {
  if (headerOffset + 32 > view.byteLength) throw new Error('kernel Multiboot header is truncated (a.out kludge fields missing)');
  const headerAddress = view.getUint32(headerOffset + 12, true);
  const loadAddress = view.getUint32(headerOffset + 16, true);
  const loadEndAddress = view.getUint32(headerOffset + 20, true);
  const bssEndAddress = view.getUint32(headerOffset + 24, true);
  const entry = view.getUint32(headerOffset + 28, true);
  // The header's address and its file offset pin down where the file maps.
  const fileStart = headerOffset - (headerAddress - loadAddress);
  if (loadAddress > headerAddress || fileStart < 0) throw new Error('kernel Multiboot header has load_addr above header_addr');
  const length = loadEndAddress ? loadEndAddress - loadAddress : image.length - fileStart;
  if (length < 0 || fileStart + length > image.length) throw new Error('kernel Multiboot load_end_addr lies beyond the file');
  const end = Math.max(loadAddress + length, bssEndAddress);
  checkRange(memory, loadAddress, end, 'kernel');
  memory.writeBytes(loadAddress, image.subarray(fileStart, fileStart + length));
  if (bssEndAddress > loadAddress + length) memory.writeBytes(loadAddress + length, new Uint8Array(bssEndAddress - loadAddress - length));
  return { entry, loaded: { start: loadAddress, end } };
}

function loadElf(memory: PhysicalMemory, image: Uint8Array, view: DataView): { entry: number; loaded: LoadedRange } {
  if (image.length < 52) throw new Error('kernel ELF header is truncated');
  if (image[4] !== ELFCLASS32 || image[5] !== ELFDATA2LSB) throw new Error('kernel is not a 32-bit little-endian ELF file');
  if (view.getUint16(18, true) !== EM_386) throw new Error('kernel ELF is not for i386');
  let entry = view.getUint32(24, true);
  const phoff = view.getUint32(28, true);
  const phentsize = view.getUint16(42, true);
  const phnum = view.getUint16(44, true);
  if (phnum === 0 || phentsize < 32 || phoff + phnum * phentsize > image.length) throw new Error('kernel ELF program headers are missing or truncated');
  let start = Infinity;
  let end = 0;
  let entryTranslated = false;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (view.getUint32(ph, true) !== PT_LOAD) continue;
    const offset = view.getUint32(ph + 4, true);
    const vaddr = view.getUint32(ph + 8, true);
    const paddr = view.getUint32(ph + 12, true);
    const filesz = view.getUint32(ph + 16, true);
    const memsz = view.getUint32(ph + 20, true);
    if (memsz === 0) continue;
    if (offset + filesz > image.length) throw new Error(`kernel ELF segment ${i} lies beyond the end of the file`);
    if (filesz > memsz) throw new Error(`kernel ELF segment ${i} has p_filesz larger than p_memsz`);
    // Segments load at their physical addresses, like QEMU and GRUB.
    checkRange(memory, paddr, paddr + memsz, `kernel ELF segment ${i}`);
    memory.writeBytes(paddr, image.subarray(offset, offset + filesz));
    if (memsz > filesz) memory.writeBytes(paddr + filesz, new Uint8Array(memsz - filesz));
    start = Math.min(start, paddr);
    end = Math.max(end, paddr + memsz);
    // A kernel linked high (JOS: 0xF0100000) with a low load address may give
    // its entry as a virtual address; paging is off, so use the physical one.
    if (!entryTranslated && vaddr !== paddr && entry >= vaddr && entry < vaddr + memsz) {
      entry = (entry - vaddr + paddr) >>> 0;
      entryTranslated = true;
    }
  }
  if (end === 0) throw new Error('kernel ELF has no loadable segments');
  return { entry, loaded: { start, end } };
}

function checkRange(memory: PhysicalMemory, start: number, end: number, what: string): void {
  if (end > memory.ramSize) {
    throw new Error(`${what} (0x${start.toString(16)}-0x${end.toString(16)}) does not fit in ${memory.ramSize >>> 20} MiB of RAM`);
  }
}

/** The memory map a kernel sees, as QEMU's e820 reports it without ACPI reservations. */
export function memoryMap(memoryBytes: number): { base: number; length: number; type: number }[] {
  return [
    { base: 0, length: EBDA_ADDRESS, type: MMAP_AVAILABLE },
    { base: EBDA_ADDRESS, length: 0xa0000 - EBDA_ADDRESS, type: MMAP_RESERVED },
    { base: 0xf0000, length: 0x10000, type: MMAP_RESERVED },
    { base: 0x100000, length: memoryBytes - 0x100000, type: MMAP_AVAILABLE },
  ];
}

function writeMultibootInfo(memory: PhysicalMemory, address: number, options: MultibootOptions): void {
  memory.writeBytes(address, new Uint8Array(MBI_AREA_BYTES));
  const cmdlineAddress = address + MBI_SIZE;
  const cmdline = encodeCString(options.cmdline ?? '');
  const nameAddress = cmdlineAddress + cmdline.length;
  const name = encodeCString(options.bootLoaderName ?? 'jos86');
  const mmapAddress = alignUp(nameAddress + name.length, 4);
  const map = memoryMap(options.memoryBytes);
  if (mmapAddress + map.length * MMAP_ENTRY_SIZE > address + MBI_AREA_BYTES) throw new Error('kernel command line is too long');

  memory.write32(address + MBI_FLAGS, MBI_FLAG_MEMORY | MBI_FLAG_BOOT_DEVICE | MBI_FLAG_CMDLINE | MBI_FLAG_MMAP | MBI_FLAG_BOOT_LOADER_NAME);
  memory.write32(address + MBI_MEM_LOWER, BASE_MEMORY_KIB);
  // mem_upper: KiB from 1 MiB to the first hole (the PCI window below 4 GiB).
  memory.write32(address + MBI_MEM_UPPER, (Math.min(options.memoryBytes, 0xe0000000) - 0x100000) / 1024);
  memory.write32(address + MBI_BOOT_DEVICE, MB_BOOT_DEVICE);
  memory.writeBytes(cmdlineAddress, cmdline);
  memory.write32(address + MBI_CMDLINE, cmdlineAddress);
  memory.writeBytes(nameAddress, name);
  memory.write32(address + MBI_BOOT_LOADER_NAME, nameAddress);
  map.forEach((region, i) => {
    const entry = mmapAddress + i * MMAP_ENTRY_SIZE;
    memory.write32(entry, MMAP_ENTRY_SIZE - 4);
    memory.write32(entry + 4, region.base);
    memory.write32(entry + 8, Math.floor(region.base / 2 ** 32));
    memory.write32(entry + 12, region.length >>> 0);
    memory.write32(entry + 16, Math.floor(region.length / 2 ** 32));
    memory.write32(entry + 20, region.type);
  });
  memory.write32(address + MBI_MMAP_LENGTH, map.length * MMAP_ENTRY_SIZE);
  memory.write32(address + MBI_MMAP_ADDR, mmapAddress);
}

function encodeCString(text: string): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

// ---- BIOS ROM -------------------------------------------------------------------

/** QEMU maps at most the last 128 KiB of the BIOS below 1 MiB (the isa-bios alias). */
const ISA_BIOS_MAX_BYTES = 128 * 1024;
const ROM_GRANULE = 64 * 1024;

/** Map a BIOS image at the top of 4 GiB and its tail at the top of the first MiB. */
export function mapBiosRom(memory: PhysicalMemory, rom: Uint8Array): BootEntry {
  if (rom.length === 0 || rom.length % ROM_GRANULE !== 0 || rom.length > 16 * 1024 * 1024) {
    throw new Error(`BIOS image must be a non-empty multiple of 64 KiB up to 16 MiB (got ${rom.length} bytes)`);
  }
  memory.addRom(2 ** 32 - rom.length, rom);
  const isaBytes = Math.min(rom.length, ISA_BIOS_MAX_BYTES);
  memory.addRom(0x100000 - isaBytes, rom.subarray(rom.length - isaBytes));
  return { mode: 'reset-vector' };
}

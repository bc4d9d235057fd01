import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PhysicalMemory } from '../../src/mmu/physical.ts';
import { MemoryBlockDevice } from '../../src/devices/ide.ts';
import {
  BASE_MEMORY_KIB,
  loadBootSector,
  loadMultiboot,
  mapBiosRom,
  MBI_BOOT_DEVICE,
  MBI_BOOT_LOADER_NAME,
  MBI_CMDLINE,
  MBI_FLAGS,
  MBI_MEM_LOWER,
  MBI_MEM_UPPER,
  MBI_MMAP_ADDR,
  MBI_MMAP_LENGTH,
  MULTIBOOT_BOOTLOADER_MAGIC,
  writeBiosDataArea,
} from '../../src/machine/firmware.ts';
import { assemble, buildDemo } from './assemble.ts';

const MiB = 1024 * 1024;

function cString(memory: PhysicalMemory, address: number): string {
  let text = '';
  for (let c = memory.read8(address); c !== 0; c = memory.read8(++address)) text += String.fromCharCode(c);
  return text;
}

describe('BIOS data area', () => {
  it('holds the port tables, equipment word, base memory and EBDA segment a kernel probes', () => {
    const memory = new PhysicalMemory(16 * MiB);
    writeBiosDataArea(memory, { comPorts: [0x3f8, 0x2f8], lptPorts: [0x378], hardDisks: 1 });
    expect(memory.read16(0x400)).toBe(0x3f8);
    expect(memory.read16(0x402)).toBe(0x2f8);
    expect(memory.read16(0x404)).toBe(0);
    expect(memory.read16(0x408)).toBe(0x378);
    expect(memory.read16(0x40e)).toBe(0x9fc0);
    expect(memory.read16(0x413)).toBe(639);
    const equipment = memory.read16(0x410);
    expect((equipment >> 9) & 7).toBe(2); // serial ports
    expect((equipment >> 14) & 3).toBe(1); // parallel ports
    expect((equipment >> 4) & 3).toBe(2); // 80x25 colour
    expect(memory.read8(0x475)).toBe(1);
    expect(memory.read16(0x463)).toBe(0x3d4);
    // Every real-mode vector leads to an IRET.
    const vector8 = memory.read16(8 * 4 + 2) * 16 + memory.read16(8 * 4);
    expect(memory.read8(vector8)).toBe(0xcf);
  });
});

describe('boot sector', () => {
  it('copies sector 0 to 0x7C00 and starts at 0000:7C00 with DL = 0x80', () => {
    const memory = new PhysicalMemory(2 * MiB);
    const sector = assemble('org 0x7c00\nmov al, 0x42\nhlt\ntimes 510-($-$$) db 0\ndw 0xaa55\n');
    const entry = loadBootSector(memory, new MemoryBlockDevice(Uint8Array.from([...sector, ...new Uint8Array(512)])));
    expect(entry).toEqual({ mode: 'real', cs: 0, ip: 0x7c00, ss: 0, sp: 0x7c00, dl: 0x80 });
    expect(memory.read8(0x7c00)).toBe(0xb0);
    expect(memory.read16(0x7dfe)).toBe(0xaa55);
  });

  it('refuses a disk without the 0x55AA signature', () => {
    const memory = new PhysicalMemory(2 * MiB);
    expect(() => loadBootSector(memory, new MemoryBlockDevice(1), 'disk.img')).toThrow('disk.img is not bootable: sector 0 does not end with the 0x55AA signature');
  });
});

describe('Multiboot loader', () => {
  function checkInfo(memory: PhysicalMemory, info: number, cmdline: string): void {
    const flags = memory.read32(info + MBI_FLAGS);
    expect(flags & 0b1000000111).toBe(0b1000000111); // mem, boot device, cmdline, mmap, loader name
    expect(flags & (1 << 6)).toBeTruthy();
    expect(memory.read32(info + MBI_MEM_LOWER)).toBe(BASE_MEMORY_KIB);
    expect(memory.read32(info + MBI_MEM_UPPER)).toBe(127 * 1024);
    expect(memory.read32(info + MBI_BOOT_DEVICE)).toBe(0x8000ffff);
    expect(cString(memory, memory.read32(info + MBI_CMDLINE))).toBe(cmdline);
    expect(cString(memory, memory.read32(info + MBI_BOOT_LOADER_NAME))).toBe('jos86');
    const mmapLength = memory.read32(info + MBI_MMAP_LENGTH);
    const mmap = memory.read32(info + MBI_MMAP_ADDR);
    const regions: [number, number, number][] = [];
    for (let entry = mmap; entry < mmap + mmapLength; entry += memory.read32(entry) + 4) {
      regions.push([memory.read32(entry + 4), memory.read32(entry + 12), memory.read32(entry + 20)]);
    }
    expect(regions).toEqual([
      [0, 0x9fc00, 1],
      [0x9fc00, 0x400, 2],
      [0xf0000, 0x10000, 2],
      [0x100000, 127 * MiB, 1],
    ]);
  }

  it('loads an ELF kernel by its program headers', () => {
    const memory = new PhysicalMemory(128 * MiB);
    const { elf, flat } = buildDemo();
    const entry = loadMultiboot(memory, elf, { memoryBytes: memory.ramSize, cmdline: 'demo.elf verbose' });
    if (entry.mode !== 'protected') throw new Error('expected a protected-mode entry');
    expect(entry.eax).toBe(MULTIBOOT_BOOTLOADER_MAGIC);
    // The ELF's text is the flat build's text: the same code lands at 1 MiB.
    expect(memory.read32(0x100000)).toBe(0x1badb002);
    expect(memory.read8(entry.eip)).toBe(0xfa); // cli
    expect(entry.eip).toBeGreaterThan(0x100000);
    expect(memory.read8(0x100000 + 40)).toBe(flat[40]);
    checkInfo(memory, entry.ebx, 'demo.elf verbose');
  });

  it('loads an a.out-kludge kernel from the header addresses', () => {
    const memory = new PhysicalMemory(128 * MiB);
    const { flat } = buildDemo();
    const entry = loadMultiboot(memory, flat, { memoryBytes: memory.ramSize, cmdline: '' });
    if (entry.mode !== 'protected') throw new Error('expected a protected-mode entry');
    expect(entry.eip).toBe(memory.read32(0x100000 + 28));
    for (let i = 0; i < flat.length; i += 97) expect(memory.read8(0x100000 + i)).toBe(flat[i]);
    checkInfo(memory, entry.ebx, '');
  });

  it('translates a high-linked ELF entry to its physical address, and zeroes bss', () => {
    // A JOS-like kernel: linked at 0xF0100000, loaded at 0x100000, entry given virtually.
    const program = assemble(
      [
        'bits 32',
        'section .text',
        'global _start',
        'align 4',
        'dd 0x1badb002, 0, -0x1badb002',
        '_start: hlt',
        'section .bss',
        'resb 4096',
      ].join('\n'),
      'elf32',
    );
    const memory = new PhysicalMemory(32 * MiB);
    memory.writeBytes(0x100000, new Uint8Array(0x3000).fill(0xee));
    const elf = link(program, ['-Ttext=0xF0100000', '--section-start=.bss=0xF0101000']);
    // Point every LOAD segment's physical address 0xF0000000 lower, as JOS's kernel.ld does with AT().
    const view = new DataView(elf.buffer, elf.byteOffset);
    const phoff = view.getUint32(28, true);
    for (let i = 0; i < view.getUint16(44, true); i++) {
      const ph = phoff + i * view.getUint16(42, true);
      if (view.getUint32(ph, true) === 1) view.setUint32(ph + 12, view.getUint32(ph + 8, true) - 0xf0000000, true);
    }
    const entry = loadMultiboot(memory, elf, { memoryBytes: memory.ramSize });
    if (entry.mode !== 'protected') throw new Error('expected a protected-mode entry');
    expect(entry.eip).toBe(0x10000c);
    expect(memory.read8(0x10000c)).toBe(0xf4);
    expect(memory.read8(0x101000)).toBe(0);
    expect(memory.read8(0x101fff)).toBe(0);
  });

  it('explains what is wrong with a bad kernel', () => {
    const memory = new PhysicalMemory(16 * MiB);
    expect(() => loadMultiboot(memory, new Uint8Array(100), { memoryBytes: memory.ramSize })).toThrow('kernel has no Multiboot header in its first 8 KiB');
    const headerOnly = new Uint8Array(64);
    new DataView(headerOnly.buffer).setUint32(0, 0x1badb002, true);
    new DataView(headerOnly.buffer).setUint32(8, -0x1badb002 >>> 0, true);
    expect(() => loadMultiboot(memory, headerOnly, { memoryBytes: memory.ramSize })).toThrow(/neither ELF nor/);
    const wantsModules = new Uint8Array(64);
    new DataView(wantsModules.buffer).setUint32(0, 0x1badb002, true);
    new DataView(wantsModules.buffer).setUint32(4, 0x8, true);
    new DataView(wantsModules.buffer).setUint32(8, -(0x1badb002 + 8) >>> 0, true);
    expect(() => loadMultiboot(memory, wantsModules, { memoryBytes: memory.ramSize })).toThrow(/flags 0x8/);
  });

  it('refuses a kernel that does not fit in RAM', () => {
    const { elf } = buildDemo();
    const memory = new PhysicalMemory(1 * MiB);
    expect(() => loadMultiboot(memory, elf, { memoryBytes: memory.ramSize })).toThrow(/does not fit in 1 MiB of RAM/);
  });
});

describe('BIOS ROM', () => {
  it('maps the ROM below 4 GiB and its last 128 KiB below 1 MiB', () => {
    const memory = new PhysicalMemory(2 * MiB);
    const rom = new Uint8Array(256 * 1024);
    for (let i = 0; i < rom.length; i++) rom[i] = (i >> 12) & 0xff;
    expect(mapBiosRom(memory, rom)).toEqual({ mode: 'reset-vector' });
    expect(memory.read8(0xfffffff0)).toBe(rom[rom.length - 16]);
    expect(memory.read8(0xfffc0000)).toBe(rom[0]);
    expect(memory.read8(0xe0000)).toBe(rom[128 * 1024]);
    expect(memory.read8(0xffff0)).toBe(rom[rom.length - 16]);
    memory.write8(0xffff0, 0x99); // ROM ignores writes
    expect(memory.read8(0xffff0)).toBe(rom[rom.length - 16]);
    expect(() => mapBiosRom(memory, new Uint8Array(1000))).toThrow(/multiple of 64 KiB/);
  });
});

function link(object: Uint8Array, args: string[]): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'jos86-ld-'));
  writeFileSync(join(dir, 'in.o'), object);
  execFileSync('ld', ['-m', 'elf_i386', '-e', '_start', ...args, '-o', join(dir, 'out.elf'), join(dir, 'in.o')], { stdio: 'pipe' });
  return new Uint8Array(readFileSync(join(dir, 'out.elf')));
}

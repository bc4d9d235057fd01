// Runs a harness image on jos86's CPU and returns what it printed on COM1.
//
// A minimal board, enough for harness.asm: the Cpu on 32 MiB of
// PhysicalMemory, an IoBus with a COM1 stand-in (bytes written to 0x3F8 are
// captured, the line status register at 0x3FD always reads "transmitter
// empty") and QEMU's isa-debug-exit port at 0xF4, and no interrupt sources.
// The kernel is loaded by the board's Multiboot loader (src/machine/
// firmware.ts); the CPU is put in the Multiboot entry state by its own
// enterFlatProtectedMode helper, or, for a CPU without one, started at the
// reset vector in a tiny ROM (multiboot-entry.asm) that switches to it.
//
// When the CPU throws a host exception in the middle of a generated sequence
// (an opcode it does not implement yet, say), the runner writes
//   H <index> <message>
// to the transcript and resumes the harness at its next sequence, so one gap
// in the CPU does not hide every later result.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IoBus, type InterruptController, type RegisterBlock } from '../../../src/devices/bus.ts';
import { PhysicalMemory } from '../../../src/mmu/physical.ts';
import { loadMultiboot, mapBiosRom } from '../../../src/machine/firmware.ts';
import { DIFF_DIR, type Image } from './build.ts';

const MEMORY_BYTES = 32 << 20;
const COM1_BASE = 0x3f8;
const COM1_PORTS = 8;
const UART_LSR = 5;
/** THR empty and transmitter empty: every byte is sent at once. */
const LSR_IDLE = 0x60;
const DEBUG_EXIT_BASE = 0xf4;
const DEBUG_EXIT_PORTS = 4;
const RUN_SLICE = 100_000;
/** A 1000-sequence image needs about 4 million instructions; this catches a hung guest quickly. */
const DEFAULT_INSTRUCTION_BUDGET = 30_000_000;
const MAX_HOST_EXCEPTIONS = 500;

const CPU_MODULE = new URL('../../../src/cpu/cpu.ts', import.meta.url);

/** The part of the Cpu contract (docs/ARCHITECTURE.md, "The CPU") this runner uses. */
interface CpuUnderTest {
  reset(): void;
  run(maxInstructions: number): number;
  halted: boolean;
  shutdown: boolean;
  onTripleFault: () => void;
  eip: number;
  reg32: { [register: number]: number };
  /** Optional (src/cpu/cpu.ts): flat 32-bit protected mode at `eip`, as Multiboot promises. */
  enterFlatProtectedMode?: (eip: number) => void;
}

const EAX = 0;
const EBX = 3;
const ESP = 4;
type CpuConstructor = new (bus: { memory: PhysicalMemory; io: IoBus; interrupts: InterruptController }) => CpuUnderTest;

export interface Jos86Run {
  transcript: string;
  /** The harness wrote to isa-debug-exit. */
  exited: boolean;
  instructions: number;
  /** Why the run ended early, and host exceptions seen (empty when all went well). */
  problems: string[];
}

async function loadCpu(): Promise<CpuConstructor> {
  if (!existsSync(fileURLToPath(CPU_MODULE))) throw new Error('src/cpu/cpu.ts does not exist: jos86 has no CPU to test yet');
  const module = (await import(CPU_MODULE.href)) as { Cpu?: CpuConstructor };
  if (typeof module.Cpu !== 'function') throw new Error('src/cpu/cpu.ts does not export a Cpu class');
  return module.Cpu;
}

let entryRomCache: Map<string, Uint8Array> | undefined;

/** multiboot-entry.asm assembled for one entry point and information address. */
function entryRom(entry: number, info: number): Uint8Array {
  entryRomCache ??= new Map();
  const key = `${entry}:${info}`;
  const cached = entryRomCache.get(key);
  if (cached) return cached;
  const work = mkdtempSync(join(tmpdir(), 'jos86-rom-'));
  try {
    const output = join(work, 'rom.bin');
    execFileSync('nasm', ['-f', 'bin', `-DENTRY=0x${entry.toString(16)}`, `-DINFO=0x${info.toString(16)}`, '-o', output, join(DIFF_DIR, 'multiboot-entry.asm')]);
    const rom = new Uint8Array(readFileSync(output));
    entryRomCache.set(key, rom);
    return rom;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Addresses of the named symbols in an ELF32 image's symbol table. */
export function elfSymbols(elf: Uint8Array): Map<string, number> {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const shoff = view.getUint32(32, true);
  const shentsize = view.getUint16(46, true);
  const shnum = view.getUint16(48, true);
  const SHT_SYMTAB = 2;
  const SYMBOL_BYTES = 16;
  const symbols = new Map<string, number>();
  for (let i = 0; i < shnum; i++) {
    const section = shoff + i * shentsize;
    if (view.getUint32(section + 4, true) !== SHT_SYMTAB) continue;
    const offset = view.getUint32(section + 16, true);
    const size = view.getUint32(section + 20, true);
    const strings = shoff + view.getUint32(section + 24, true) * shentsize;
    const stringsOffset = view.getUint32(strings + 16, true);
    for (let symbol = offset; symbol < offset + size; symbol += SYMBOL_BYTES) {
      let end = stringsOffset + view.getUint32(symbol, true);
      const start = end;
      while (elf[end] !== 0) end++;
      symbols.set(new TextDecoder().decode(elf.subarray(start, end)), view.getUint32(symbol + 4, true));
    }
  }
  return symbols;
}

/** Boot `image` on jos86 and collect its serial output. */
export async function runOnJos86(image: Image, instructionBudget = DEFAULT_INSTRUCTION_BUDGET): Promise<Jos86Run> {
  const Cpu = await loadCpu();
  const memory = new PhysicalMemory(MEMORY_BYTES);
  const io = new IoBus();
  let output = '';
  let exited = false;
  const serial: RegisterBlock = {
    read: (offset) => (offset === UART_LSR ? LSR_IDLE : 0),
    write: (offset, _size, value) => {
      if (offset === 0) output += String.fromCharCode(value & 0xff);
    },
  };
  const debugExit: RegisterBlock = {
    read: () => 0xff,
    write: () => {
      exited = true;
    },
  };
  io.register(COM1_BASE, COM1_PORTS, serial);
  io.register(DEBUG_EXIT_BASE, DEBUG_EXIT_PORTS, debugExit);
  const interrupts: InterruptController = { hasInterrupt: () => false, acknowledge: () => 0 };

  const boot = loadMultiboot(memory, image.elf, { memoryBytes: MEMORY_BYTES });
  if (boot.mode !== 'protected') throw new Error(`the Multiboot loader returned a ${boot.mode} entry`);

  const cpu = new Cpu({ memory, io, interrupts });
  let tripleFault = false;
  cpu.onTripleFault = () => {
    tripleFault = true;
  };
  cpu.reset();
  if (cpu.enterFlatProtectedMode) {
    cpu.enterFlatProtectedMode(boot.eip);
    cpu.reg32[EAX] = boot.eax;
    cpu.reg32[EBX] = boot.ebx;
  } else {
    mapBiosRom(memory, entryRom(boot.eip, boot.ebx));
  }

  const symbols = elfSymbols(image.elf);
  const resume = symbols.get('seq_faulted');
  const harnessEsp = symbols.get('harness_esp');
  const currentIndex = symbols.get('cur_index');
  const sequenceCount = symbols.get('SEQ_COUNT');
  const problems: string[] = [];
  let instructions = 0;
  let hostExceptions = 0;
  while (!exited && instructions < instructionBudget) {
    try {
      instructions += cpu.run(RUN_SLICE);
    } catch (error) {
      const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      const index = currentIndex === undefined ? -1 : memory.read32(currentIndex);
      const inSequence = resume !== undefined && harnessEsp !== undefined && sequenceCount !== undefined && index < sequenceCount;
      problems.push(`host exception at EIP 0x${(cpu.eip >>> 0).toString(16)}${inSequence ? ` in sequence ${index}` : ''}: ${message}`);
      if (!inSequence || ++hostExceptions > MAX_HOST_EXCEPTIONS) break;
      output += `H ${index.toString(16).padStart(8, '0')} ${message}\n`;
      try {
        cpu.reg32[ESP] = memory.read32(harnessEsp);
        cpu.eip = resume;
      } catch (setError) {
        problems.push(`cannot resume after the host exception: ${setError instanceof Error ? setError.message : String(setError)}`);
        break;
      }
      continue;
    }
    if (exited) break;
    if (cpu.shutdown || tripleFault) {
      problems.push('triple fault: the CPU shut down');
      break;
    }
    if (cpu.halted) {
      problems.push(`the CPU halted at EIP 0x${(cpu.eip >>> 0).toString(16)} before the harness exited`);
      break;
    }
  }
  if (!exited && instructions >= instructionBudget) problems.push(`instruction budget of ${instructionBudget} ran out`);
  return { transcript: output, exited, instructions, problems };
}

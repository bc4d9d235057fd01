// Runs small machine-code programs on a bare Cpu: assembled by nasm at test
// time, loaded into RAM, with a port bus that records what the program writes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IoBus } from '../../src/devices/bus.ts';
import { Cpu } from '../../src/cpu/cpu.ts';
import { PhysicalMemory } from '../../src/mmu/physical.ts';

const workDir = mkdtempSync(join(tmpdir(), 'jos86-cpu-'));
let counter = 0;

/** Assemble NASM source (flat binary) and return its bytes. */
export function assemble(source: string): Uint8Array {
  const name = `t${counter++}`;
  const input = join(workDir, `${name}.asm`);
  const output = join(workDir, `${name}.bin`);
  writeFileSync(input, source);
  execFileSync('nasm', ['-f', 'bin', '-o', output, input], { stdio: 'pipe' });
  return new Uint8Array(readFileSync(output));
}

export interface TestMachine {
  cpu: Cpu;
  memory: PhysicalMemory;
  io: IoBus;
  /** Bytes written to port 0xE9. */
  output: number[];
  /** Pending external interrupt vector, delivered when IF allows. */
  raiseInterrupt(vector: number): void;
  run(maxInstructions?: number): number;
  text(): string;
}

/**
 * Load `code` at `origin` and start there: in 32-bit flat protected mode
 * (mode 'flat') or real mode at 0000:origin (mode 'real'). A HLT ends the run.
 */
export function machine(code: Uint8Array, origin = 0x7c00, mode: 'flat' | 'real' = 'flat', memoryBytes = 4 << 20): TestMachine {
  const memory = new PhysicalMemory(memoryBytes);
  const io = new IoBus();
  const output: number[] = [];
  const pending: number[] = [];
  io.register(0xe9, 1, { read: () => 0xe9, write: (_o, _s, v) => output.push(v & 0xff) });
  const cpu = new Cpu({
    memory,
    io,
    interrupts: { hasInterrupt: () => pending.length > 0, acknowledge: () => pending.shift()! },
  });
  memory.writeBytes(origin, code);
  if (mode === 'flat') {
    cpu.enterFlatProtectedMode(origin);
    cpu.reg32[4] = 0x90000;
  } else {
    cpu.enterRealMode(0, origin);
    cpu.reg32[4] = 0x7000;
  }
  return {
    cpu,
    memory,
    io,
    output,
    raiseInterrupt(vector) {
      pending.push(vector);
      cpu.checkInterrupts = true;
    },
    run(maxInstructions = 1_000_000) {
      return cpu.run(maxInstructions);
    },
    text() {
      return String.fromCharCode(...output);
    },
  };
}

/** Assemble 32-bit code (BITS 32, ORG 0x7c00), run it to HLT and return the machine. */
export function run32(body: string, setup?: (m: TestMachine) => void): TestMachine {
  const m = machine(assemble(`bits 32\norg 0x7c00\n${body}\nhlt\n`));
  setup?.(m);
  m.run();
  return m;
}

/** Assemble 16-bit real-mode code at 0000:7C00, run it to HLT. */
export function run16(body: string): TestMachine {
  const m = machine(assemble(`bits 16\norg 0x7c00\n${body}\nhlt\n`), 0x7c00, 'real');
  m.run();
  return m;
}

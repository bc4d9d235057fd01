// v86 peer (npm package `v86`): boots Debian's SeaBIOS and its VGA BIOS, then
// the benchmark image as the first hard disk, in this Node process.
//
// v86 compiles hot guest code to WebAssembly; its `disable_jit` option sets
// JIT config 0 ("JIT_DISABLED") before the CPU resets, leaving the
// interpreter alone, which is the peer jos86's interpreter is compared with.
// Serial bytes come from the "serial0-output-byte" bus event, fired while the
// guest executes its OUT, so the timestamp and instruction counter read there
// are those of the write itself. v86's counter is a uint32 that wraps; phase
// deltas are taken modulo 2^32 (phases retire far fewer than 2^32).

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bootTime, LineCollector, outcomeOfLine, type RunOptions, type RunOutcome, type RunTranscript } from './transcript.ts';

export const SEABIOS = '/usr/share/seabios/bios.bin';
/** Debian's seabios package ships the stdvga (Bochs VBE) option ROM under this name. */
export const VGA_BIOS = '/usr/share/seabios/vgabios-stdvga.bin';
const GUEST_RAM = 32 << 20;

export interface V86RunOptions extends RunOptions {
  jit: boolean;
}

function imageBuffer(path: string): { buffer: ArrayBuffer } {
  const bytes = readFileSync(path);
  return { buffer: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer };
}

function wasmPath(): string {
  return fileURLToPath(new URL('./v86.wasm', import.meta.resolve('v86')));
}

/** Null when v86 can run, else why not. */
export async function v86Unavailable(): Promise<string | null> {
  for (const file of [SEABIOS, VGA_BIOS]) if (!existsSync(file)) return `${file} is missing (apt-get install seabios)`;
  try {
    await import('v86');
    if (!existsSync(wasmPath())) return `${wasmPath()} is missing`;
  } catch (error) {
    return `npm package v86 not installed (${(error as Error).message})`;
  }
  return null;
}

export async function runV86(options: V86RunOptions): Promise<RunTranscript> {
  const { V86 } = await import('v86');
  const startedMs = performance.now();
  const emulator = new V86({
    wasm_path: wasmPath(),
    bios: imageBuffer(SEABIOS),
    vga_bios: imageBuffer(VGA_BIOS),
    hda: imageBuffer(options.image),
    memory_size: GUEST_RAM,
    autostart: true,
    disable_jit: !options.jit,
    // Headless: no screen, keyboard or mouse to attach in Node.
    disable_keyboard: true,
    disable_mouse: true,
    disable_speaker: true,
  });

  return new Promise((resolve) => {
    let finished = false;
    const finish = (outcome: RunOutcome, message?: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      const transcript: RunTranscript = { outcome, message, lines: collector.lines, bootMs: bootTime(collector.lines, startedMs) };
      emulator.destroy().then(
        () => resolve(transcript),
        () => resolve(transcript),
      );
    };
    const collector = new LineCollector((line) => {
      const outcome = outcomeOfLine(line);
      if (outcome) finish(outcome);
    });
    emulator.add_listener('serial0-output-byte', (byte: number) => {
      collector.push(byte, performance.now(), emulator.get_instruction_counter());
    });
    const timer = setTimeout(() => finish('timeout', `no "bench done" after ${options.timeoutMs} ms`), options.timeoutMs);
  });
}

// jos86 peer: the PC board from src/machine/pc.ts, BIOS-less, starting the
// image's boot sector at 0000:7C00 with DL=0x80, in this Node process.
//
// The board runs in slices of guest instructions; between slices this loop
// checks whether the guest has finished and whether the wall-clock budget is
// spent. COM1 bytes reach serialOut synchronously while the guest executes
// its OUT, so the timestamp and the CPU's instructionCount read there are
// those of the write itself.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bootTime, LineCollector, outcomeOfLine, type RunOptions, type RunOutcome, type RunTranscript } from './transcript.ts';

const boardPath = fileURLToPath(new URL('../../src/machine/pc.ts', import.meta.url));
/** Guest instructions per slice: long enough to amortise the loop, short enough to stop promptly. */
const SLICE_INSTRUCTIONS = 1_000_000;
const GUEST_RAM = 32 << 20;

/**
 * The part of the board this runner relies on. It is declared here, not
 * imported, so the benchmark still type-checks and reports "unavailable"
 * while the board is being written.
 */
interface Board {
  cpu: { instructionCount: number; shutdown?: boolean };
  run(maxInstructions: number): number;
}
interface BoardModule {
  PcMachine: new (options: {
    ramBytes?: number;
    hda?: unknown;
    serialOut?: (byte: number) => void;
  }) => Board;
}
interface DiskModule {
  MemoryBlockDevice: new (contents: Uint8Array) => unknown;
}

async function loadBoard(): Promise<{ board: BoardModule; disk: DiskModule }> {
  // Computed specifiers keep tsc from resolving files that may not exist yet.
  const board = (await import(boardPath)) as BoardModule;
  const disk = (await import(fileURLToPath(new URL('../../src/devices/ide.ts', import.meta.url)))) as DiskModule;
  return { board, disk };
}

/** Null when the jos86 board can run, else why not. */
export async function jos86Unavailable(): Promise<string | null> {
  if (!existsSync(boardPath)) return 'src/machine/pc.ts does not exist yet';
  try {
    const { board } = await loadBoard();
    if (typeof board.PcMachine !== 'function') return 'src/machine/pc.ts exports no PcMachine';
  } catch (error) {
    return `src/machine/pc.ts failed to load: ${(error as Error).message}`;
  }
  return null;
}

export async function runJos86(options: RunOptions): Promise<RunTranscript> {
  const { board, disk } = await loadBoard();
  let outcome: RunOutcome | undefined;
  let message: string | undefined;
  const collector = new LineCollector((line) => {
    outcome ??= outcomeOfLine(line);
  });
  const startedMs = performance.now();
  const hda = new disk.MemoryBlockDevice(new Uint8Array(readFileSync(options.image)));
  let machine: Board | undefined;
  machine = new board.PcMachine({
    ramBytes: GUEST_RAM,
    hda,
    serialOut: (byte) => collector.push(byte, performance.now(), machine?.cpu.instructionCount),
  });
  const deadline = startedMs + options.timeoutMs;
  try {
    while (!outcome) {
      machine.run(SLICE_INSTRUCTIONS);
      if (machine.cpu.shutdown) {
        outcome = 'error';
        message = 'the guest triple-faulted';
      } else if (performance.now() > deadline) {
        outcome = 'timeout';
        message = `no "bench done" after ${options.timeoutMs} ms`;
      }
    }
  } catch (error) {
    outcome = 'error';
    message = `host exception: ${(error as Error).stack ?? error}`;
  }
  return { outcome, message, lines: collector.lines, bootMs: bootTime(collector.lines, startedMs) };
}

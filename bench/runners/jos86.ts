// jos86 peer: the PC board from src/machine/pc.ts, BIOS-less, starting the
// image's boot sector at 0000:7C00 with DL=0x80, in this Node process.
//
// The board runs in slices of virtual time; between slices this loop checks
// whether the guest has finished, whether the board stopped (triple fault,
// HLT with interrupts off) and whether the wall-clock budget is spent. COM1
// bytes reach serialOut synchronously while the guest executes its OUT, so the
// timestamp and the CPU's instructionCount read there are those of the write.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PcMachine } from '../../src/machine/pc.ts';
import { bootTime, LineCollector, outcomeOfLine, type RunOptions, type RunOutcome, type RunTranscript } from './transcript.ts';

const boardPath = fileURLToPath(new URL('../../src/machine/pc.ts', import.meta.url));
/** Virtual time per slice: 10 ms is a million instructions at the board's default 100 MIPS. */
const SLICE_NS = 10_000_000;
const GUEST_RAM_MB = 32;
const LOG_LINES_KEPT = 3;

/**
 * The board is loaded when a run starts, not when this module is imported, so
 * a board that fails to load makes the jos86 column "n/a" instead of stopping
 * the whole benchmark.
 */
async function loadBoard() {
  const [board, disk] = await Promise.all([import('../../src/machine/pc.ts'), import('../../src/devices/ide.ts')]);
  return { PcMachine: board.PcMachine, MemoryBlockDevice: disk.MemoryBlockDevice };
}

/** Null when the jos86 board can run, else why not. */
export async function jos86Unavailable(): Promise<string | null> {
  if (!existsSync(boardPath)) return 'src/machine/pc.ts does not exist yet';
  try {
    await loadBoard();
  } catch (error) {
    return `src/machine/pc.ts failed to load: ${(error as Error).message}`;
  }
  return null;
}

export async function runJos86(options: RunOptions): Promise<RunTranscript> {
  const { PcMachine: Board, MemoryBlockDevice } = await loadBoard();
  let outcome: RunOutcome | undefined;
  let message: string | undefined;
  const collector = new LineCollector((line) => {
    outcome ??= outcomeOfLine(line);
  });
  const startedMs = performance.now();
  const log: string[] = [];
  let machine: PcMachine | undefined;
  try {
    machine = new Board({
      memoryMB: GUEST_RAM_MB,
      hda: new MemoryBlockDevice(new Uint8Array(readFileSync(options.image))),
      serialOut: (byte) => collector.push(byte, performance.now(), machine?.cpu.instructionCount),
      // Keep the board's last few diagnostics for the failure message.
      log: (line) => {
        if (log.push(line) > LOG_LINES_KEPT) log.shift();
      },
    });
    const deadline = startedMs + options.timeoutMs;
    while (!outcome) {
      machine.runFor(SLICE_NS);
      if (outcome) break;
      if (machine.stopReason) {
        outcome = 'error';
        message = `the machine stopped (${machine.stopReason}) before "bench done"${log.length ? `: ${log.join(' | ')}` : ''}`;
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

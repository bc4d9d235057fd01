// What every runner hands back: the guest's serial output as timestamped
// lines, and how the run ended. Runners feed bytes to a LineCollector as they
// leave the guest's UART; the collector stamps each line with the host time
// (performance.now(), ms) of its first byte and of its newline, and, where the
// peer can say, the guest instruction count at both moments.

export interface SerialLine {
  text: string;
  /** Host time (ms) when the line's first byte arrived. */
  firstByteMs: number;
  /** Host time (ms) when the line's newline arrived. */
  endMs: number;
  /** Guest instructions retired when the first byte was written, if the peer counts them. */
  firstByteInstructions?: number;
  /** Guest instructions retired when the newline was written. */
  endInstructions?: number;
}

export type RunOutcome =
  /** The guest printed "bench done". */
  | 'done'
  /** The guest reported an exception ("bench fault ..."). */
  | 'fault'
  | 'timeout'
  /** The peer failed to start or died (message says why). */
  | 'error';

export interface RunTranscript {
  outcome: RunOutcome;
  message?: string;
  lines: SerialLine[];
  /** Wall-clock ms from starting the peer to "bench start": boot, excluded from phases. */
  bootMs?: number;
}

export const DONE_LINE = 'bench done';
export const START_LINE = 'bench start';
export const FAULT_PREFIX = 'bench fault';

/** Options every runner takes. */
export interface RunOptions {
  /** Path of the raw disk image to boot. */
  image: string;
  /** Give up after this many ms of wall-clock time. */
  timeoutMs: number;
}

/** Splits a byte stream into timestamped lines. */
export class LineCollector {
  readonly lines: SerialLine[] = [];
  private text = '';
  private firstByteMs = 0;
  private firstByteInstructions: number | undefined;

  /** `onLine` sees each completed line, so a runner can stop at "bench done". */
  constructor(private readonly onLine: (line: SerialLine) => void = () => {}) {}

  push(byte: number, nowMs: number, instructions?: number): void {
    if (byte === 0x0d) return;
    if (byte !== 0x0a) {
      if (this.text === '') {
        this.firstByteMs = nowMs;
        this.firstByteInstructions = instructions;
      }
      this.text += String.fromCharCode(byte);
      return;
    }
    if (this.text === '') return;
    const line: SerialLine = {
      text: this.text,
      firstByteMs: this.firstByteMs,
      endMs: nowMs,
    };
    if (this.firstByteInstructions !== undefined) line.firstByteInstructions = this.firstByteInstructions;
    if (instructions !== undefined) line.endInstructions = instructions;
    this.text = '';
    this.lines.push(line);
    this.onLine(line);
  }

  /** Push a chunk that arrived at one moment (QEMU's stdout). */
  pushChunk(bytes: Uint8Array, nowMs: number): void {
    for (const byte of bytes) this.push(byte, nowMs);
  }
}

/** How a run ends once a line has arrived: keep going, or stop with this outcome. */
export function outcomeOfLine(line: SerialLine): RunOutcome | undefined {
  if (line.text === DONE_LINE) return 'done';
  if (line.text.startsWith(FAULT_PREFIX)) return 'fault';
  return undefined;
}

/** Time from starting the peer to the guest's first line: its boot. */
export function bootTime(lines: SerialLine[], startedMs: number): number | undefined {
  const start = lines.find((line) => line.text === START_LINE);
  return start ? start.endMs - startedMs : undefined;
}

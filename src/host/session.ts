// Running a machine for a host: the loop between the board and the outside.
//
// The board (src/machine/pc.ts) only knows virtual time. A session runs it
// in slices of virtual time and, between slices, plays scripted input, passes
// on keys typed at the terminal, redraws the screen and checks the timeout.
//   - Deterministic mode: slices run back to back as fast as the host can;
//     input comes only from scripts, which depend on virtual time and guest
//     output, so the same images and script give byte-identical output.
//   - Real-time mode: after each slice the session sleeps while virtual time
//     is ahead of the wall clock, so a guest second lasts a second (a guest
//     slower than real time simply runs flat out).
// `runSync` is the deterministic loop without ever yielding to the event
// loop (tests, golden transcripts); `run` yields now and then so output
// streams flush and terminal input arrives.

import type { PcMachine, StopReason } from '../machine/pc.ts';
import { ScriptRunner, type ScriptStep } from './script.ts';
import { PromptAnswerer, type PromptAnswer } from './answers.ts';

export type SessionEnd = StopReason | 'timeout' | 'quit';

export interface SessionResult {
  reason: SessionEnd;
  /** isa-debug-exit status, when the guest wrote one. */
  exitStatus: number | null;
  /** Virtual time at the end, ns. */
  virtualNs: number;
  /** The script step still waiting when the run ended, if any. */
  pendingStep?: ScriptStep;
}

export interface SessionOptions {
  realtime?: boolean;
  /** Stop after this long: virtual ns in deterministic mode, wall-clock ns in real time. */
  timeoutNs?: number;
  /** Scripted input (`--input`, `--script`). */
  script?: ScriptStep[];
  /** Prompts answered each time they appear (`--password-file`), typed on COM1. */
  answers?: PromptAnswer[];
  /** Virtual time per slice (default 1 ms). */
  sliceNs?: number;
  /** Called between slices, e.g. to redraw the CGA screen (at most every `frameMs` of wall time). */
  onFrame?: () => void;
  frameMs?: number;
}

/** How much wall time a deterministic run may go without yielding to the event loop. */
const YIELD_EVERY_MS = 50;
/** Sleep only when virtual time is at least this far ahead of the wall clock. */
const MIN_SLEEP_MS = 2;

export class Session {
  private readonly script: ScriptRunner | undefined;
  private readonly typedSerial: number[] = [];
  private readonly typedKeys: string[] = [];
  private quitRequested = false;
  private readonly sliceNs: number;

  constructor(
    readonly machine: PcMachine,
    private readonly options: SessionOptions = {},
  ) {
    this.sliceNs = options.sliceNs ?? 1_000_000;
    if (options.script?.length) {
      this.script = new ScriptRunner(options.script, {
        serial: (byte) => machine.typeSerial(byte),
        keyboard: (char) => machine.typeKey(char),
      });
      machine.serialTaps.push((byte) => this.script!.output(byte));
    }
    if (options.answers?.length) {
      const answerer = new PromptAnswerer(options.answers, (text) => {
        for (const byte of new TextEncoder().encode(text)) this.typedSerial.push(byte);
      });
      machine.serialTaps.push((byte) => answerer.output(byte));
    }
  }

  /** A byte typed at the terminal for COM1. */
  typeSerial(byte: number): void {
    this.typedSerial.push(byte);
  }

  /** A character typed at the terminal for the keyboard (with `--display cga`). */
  typeKey(char: string): void {
    this.typedKeys.push(char);
  }

  /** Ctrl-A X. */
  quit(): void {
    this.quitRequested = true;
  }

  /** True when the script has run to its end (or there is none). */
  get scriptDone(): boolean {
    return this.script ? this.script.done : true;
  }

  /** Deterministic run to the end, without yielding (tests and golden transcripts). */
  runSync(): SessionResult {
    const deadline = this.machine.clock.now + (this.options.timeoutNs ?? Infinity);
    for (;;) {
      const end = this.slice(deadline);
      if (end) return end;
    }
  }

  /** Run until the guest exits, the timeout passes or the user quits. */
  async run(): Promise<SessionResult> {
    const { machine, options } = this;
    const realtime = options.realtime ?? false;
    const startWall = performance.now();
    const startVirtual = machine.clock.now;
    const timeoutNs = options.timeoutNs ?? Infinity;
    const virtualDeadline = realtime ? Infinity : startVirtual + timeoutNs;
    let lastYield = startWall;
    let lastFrame = -Infinity;
    for (;;) {
      const end = this.slice(virtualDeadline);
      const now = performance.now();
      if (options.onFrame && now - lastFrame >= (options.frameMs ?? 50)) {
        options.onFrame();
        lastFrame = now;
      }
      if (end) return end;
      if (realtime) {
        if ((now - startWall) * 1e6 >= timeoutNs) return this.result('timeout');
        const aheadMs = (machine.clock.now - startVirtual) / 1e6 - (now - startWall);
        if (aheadMs >= MIN_SLEEP_MS) {
          await sleep(aheadMs);
          lastYield = performance.now();
          continue;
        }
      }
      if (now - lastYield >= YIELD_EVERY_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
    }
  }

  /** One slice of virtual time; returns a result when the session is over. */
  private slice(deadline: number): SessionResult | null {
    const { machine } = this;
    if (this.quitRequested) return this.result('quit');
    if (machine.stopReason) return this.result(machine.stopReason);
    if (machine.clock.now >= deadline) return this.result('timeout');
    this.feedTyped();
    this.script?.poll(machine.clock.now);
    machine.runFor(Math.min(this.sliceNs, deadline - machine.clock.now));
    this.script?.poll(machine.clock.now);
    return null;
  }

  private feedTyped(): void {
    while (this.typedSerial.length && this.machine.typeSerial(this.typedSerial[0])) this.typedSerial.shift();
    while (this.typedKeys.length && this.machine.typeKey(this.typedKeys[0])) this.typedKeys.shift();
  }

  private result(reason: SessionEnd): SessionResult {
    return {
      reason,
      exitStatus: this.machine.exitStatus,
      virtualNs: this.machine.clock.now,
      pendingStep: this.script && !this.script.done ? this.script.waitingFor : undefined,
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

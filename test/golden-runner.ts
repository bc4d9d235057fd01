// Golden transcripts: boot a machine, play a script, and compare everything
// the guest printed on COM1 with test/golden/<name>.txt.
//
//   const result = runTranscript({ machine: { hda }, script: 'expect K> \nsend help\\n', timeoutMs: 5000 });
//   expectGolden('kernel-help', result.transcript);
//
// `UPDATE_GOLDEN=1 npx vitest run test/...` writes the files instead of
// comparing (review the diff before committing). Runs are deterministic, so
// there is no normalisation: the file is the exact byte stream from COM1
// (stored as Latin-1, one byte per character; `\r\n` line ends kept), up to
// the moment the guest exits through isa-debug-exit, halts for good, or the
// virtual timeout passes, whichever comes first.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { PcMachine, type PcMachineOptions } from '../src/machine/pc.ts';
import { parseScript, type ScriptStep } from '../src/host/script.ts';
import { Session, type SessionResult } from '../src/host/session.ts';
import type { PromptAnswer } from '../src/host/answers.ts';

/** The RDRAND seed of every golden run. */
export const GOLDEN_SEED = 6828;

export const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), 'golden');

export interface TranscriptOptions {
  /** Board options; serialOut is taken over by the runner. */
  machine: Omit<PcMachineOptions, 'serialOut'>;
  /** Script text (see src/host/script.ts) or parsed steps. */
  script?: string | ScriptStep[];
  /** Virtual milliseconds before giving up (default 10 s). */
  timeoutMs?: number;
  /** Prompts answered each time they appear (src/host/answers.ts), as `jos86 run --password-file` does. */
  answers?: PromptAnswer[];
}

export interface Transcript extends SessionResult {
  /** COM1 output as Latin-1 text. */
  transcript: string;
  /** Diagnostics the board logged (triple fault, resets, ...). */
  log: string[];
  machine: PcMachine;
}

/** Boot, play the script, and collect the COM1 transcript (deterministic mode). */
export function runTranscript(options: TranscriptOptions): Transcript {
  let transcript = '';
  const log: string[] = [];
  const machine = new PcMachine({
    // RDRAND draws from a fixed seed, so transcripts stay byte-identical.
    seed: GOLDEN_SEED,
    ...options.machine,
    serialOut: (byte) => (transcript += String.fromCharCode(byte)),
    log: (message) => log.push(message),
  });
  const script = typeof options.script === 'string' ? parseScript(options.script) : options.script;
  const session = new Session(machine, { script, answers: options.answers, timeoutNs: (options.timeoutMs ?? 10_000) * 1e6 });
  const result = session.runSync();
  return { ...result, transcript, log, machine };
}

/** Compare `transcript` with test/golden/<name>.txt, or rewrite it under UPDATE_GOLDEN=1. */
export function expectGolden(name: string, transcript: string): void {
  const path = join(GOLDEN_DIR, `${name}.txt`);
  if (process.env.UPDATE_GOLDEN) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, Buffer.from(transcript, 'latin1'));
    return;
  }
  if (!existsSync(path)) throw new Error(`no golden transcript ${path}; create it with UPDATE_GOLDEN=1`);
  expect(transcript).toBe(readFileSync(path).toString('latin1'));
}

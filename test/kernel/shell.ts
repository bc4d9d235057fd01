// Booting the default machine (images/jos86.img + the file-system disk
// images/fs.img) and typing commands at the shell, for the kernel, program
// and file-system tests.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MemoryBlockDevice } from '../../src/devices/ide.ts';
import { runTranscript, type Transcript } from '../golden-runner.ts';

export const IMAGE = fileURLToPath(new URL('../../images/jos86.img', import.meta.url));
export const FS_IMAGE = fileURLToPath(new URL('../../images/fs.img', import.meta.url));

export const PROMPT = '$ ';
export const MONITOR = 'K> ';

/** Fresh in-memory copies of the boot disk and the file-system disk (or the bytes given). */
export function disks(fs?: Uint8Array) {
  return {
    hda: new MemoryBlockDevice(new Uint8Array(readFileSync(IMAGE))),
    hdb: new MemoryBlockDevice(fs ?? new Uint8Array(readFileSync(FS_IMAGE))),
  };
}

/** Escape a command line for a `send` script step. */
function sendText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export interface ShellRun {
  /** Commands typed at successive shell prompts. */
  commands: string[];
  /** The file-system disk (default: a copy of images/fs.img). */
  fs?: Uint8Array;
  /** Wait for this after the last command instead of the next prompt, and stop there (no exit). */
  until?: string;
  /** Virtual milliseconds for the whole run (default 30 s). */
  timeoutMs?: number;
}

/**
 * Boot, run each command at a shell prompt, then `exit` the shell and
 * `poweroff` in the monitor (unless `until` ends the run early).
 */
export function runShell(run: ShellRun): Transcript & { fsImage: Uint8Array } {
  const machineDisks = disks(run.fs);
  const steps: string[] = [];
  for (const command of run.commands) steps.push(`expect ${PROMPT}`, `send ${sendText(command)}\\n`);
  if (run.until) {
    steps.push(`expect ${run.until}`);
  } else {
    steps.push(`expect ${PROMPT}`, 'send exit\\n', `expect ${MONITOR}`, 'send poweroff\\n');
  }
  const result = runTranscript({ machine: machineDisks, script: steps.join('\n'), timeoutMs: run.timeoutMs ?? 30_000 });
  return { ...result, fsImage: machineDisks.hdb.bytes };
}

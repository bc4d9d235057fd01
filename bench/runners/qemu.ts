// QEMU peer: qemu-system-i386 with the TCG interpreter/JIT, the image on the
// first IDE disk, COM1 on stdout and isa-debug-exit at 0xF4 so the guest can
// end the process. Lines are stamped as QEMU's stdout chunks reach this
// process (QEMU writes serial output unbuffered). QEMU does not report an
// instruction count without -icount, which would change what is measured, so
// its MIPS column stays empty.

import { execFile, spawn } from 'node:child_process';
import { bootTime, LineCollector, outcomeOfLine, type RunOptions, type RunOutcome, type RunTranscript } from './transcript.ts';

export const QEMU_BINARY = 'qemu-system-i386';

export function qemuArguments(image: string): string[] {
  return [
    '-drive', `file=${image},format=raw,if=ide`,
    '-serial', 'stdio',
    '-display', 'none',
    '-monitor', 'none',
    '-no-reboot',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
    '-accel', 'tcg',
    '-m', '32',
  ];
}

/** Null when QEMU can run, else why not. */
export function qemuUnavailable(): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(QEMU_BINARY, ['--version'], (error) => resolve(error ? `${QEMU_BINARY} not found (${error.message})` : null));
  });
}

export function runQemu(options: RunOptions): Promise<RunTranscript> {
  return new Promise((resolve) => {
    let outcome: RunOutcome | undefined;
    let message: string | undefined;
    const collector = new LineCollector((line) => {
      outcome ??= outcomeOfLine(line);
      // isa-debug-exit ends QEMU right after "bench done"; after a fault the
      // guest also exits, but stop it here in case it cannot.
      if (outcome) child.kill('SIGTERM');
    });
    const startedMs = performance.now();
    const child = spawn(QEMU_BINARY, qemuArguments(options.image), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => collector.pushChunk(chunk, performance.now()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      outcome ??= 'timeout';
      message = `no "bench done" after ${options.timeoutMs} ms`;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', (error) => {
      outcome ??= 'error';
      message = error.message;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (!outcome) {
        outcome = 'error';
        message = `QEMU exited (code ${code}, signal ${signal}) before "bench done"${stderr ? `: ${stderr.trim()}` : ''}`;
      }
      resolve({ outcome, message, lines: collector.lines, bootMs: bootTime(collector.lines, startedMs) });
    });
  });
}

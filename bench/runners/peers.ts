// The peers the benchmark compares, and how each one is started. QEMU is a
// separate program already; jos86 and v86 run inside Node, so each of their
// runs is started in a child process (child.ts) and its transcript read back.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { jos86Unavailable, runJos86 } from './jos86.ts';
import { qemuUnavailable, runQemu } from './qemu.ts';
import type { RunOptions, RunTranscript } from './transcript.ts';
import { runV86, v86Unavailable } from './v86.ts';

export const RESULT_TAG = '@@bench-result ';
/** Extra time a child gets to report after its own deadline before it is killed. */
const CHILD_GRACE_MS = 30_000;

export interface Peer {
  name: string;
  /** Null when the peer can run, else why not. */
  unavailable(): Promise<string | null>;
  run(options: RunOptions): Promise<RunTranscript>;
}

/** Runners that execute in the current process; child.ts calls these. */
export const IN_PROCESS_PEERS: Record<string, (options: RunOptions) => Promise<RunTranscript>> = {
  jos86: (options) => runJos86(options),
  'v86-jit': (options) => runV86({ ...options, jit: true }),
  'v86-nojit': (options) => runV86({ ...options, jit: false }),
};

const childScript = fileURLToPath(new URL('./child.ts', import.meta.url));

function runInChild(peer: string, options: RunOptions): Promise<RunTranscript> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, peer, options.image, String(options.timeoutMs)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs + CHILD_GRACE_MS);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      const tagged = stdout.split('\n').find((line) => line.startsWith(RESULT_TAG));
      if (tagged) {
        resolve(JSON.parse(tagged.slice(RESULT_TAG.length)) as RunTranscript);
        return;
      }
      const why = stderr.trim().split('\n').slice(-5).join(' | ');
      resolve({ outcome: 'error', message: `runner process ended (code ${code}, signal ${signal}) without a result${why ? `: ${why}` : ''}`, lines: [] });
    });
  });
}

export const PEERS: Peer[] = [
  { name: 'jos86', unavailable: jos86Unavailable, run: (options) => runInChild('jos86', options) },
  { name: 'v86-jit', unavailable: v86Unavailable, run: (options) => runInChild('v86-jit', options) },
  { name: 'v86-nojit', unavailable: v86Unavailable, run: (options) => runInChild('v86-nojit', options) },
  { name: 'qemu', unavailable: qemuUnavailable, run: runQemu },
];

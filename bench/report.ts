// Turns runner transcripts into phase timings, and timings into the table
// `npm run bench` prints.
//
// A phase lasts from the newline of "phase <name> start" (the guest starts
// work right after writing it) to the first byte of "phase <name> end
// <checksum>" (the guest writes it right after finishing). Boot time is thus
// excluded. Each peer's cell is the median over its runs; the checksum a
// phase prints must be the same on every run of every peer, and any
// disagreement is reported, since it means a peer computed something else.

import type { RunOutcome, SerialLine } from './runners/transcript.ts';

export interface PhaseMeasurement {
  name: string;
  seconds: number;
  checksum: string;
  /** Guest instructions retired during the phase, where the peer counts them. */
  instructions?: number;
}

export interface RunResult {
  outcome: RunOutcome;
  message?: string;
  bootMs?: number;
  phases: PhaseMeasurement[];
}

export interface PeerResult {
  name: string;
  /** Set when the peer could not run at all. */
  unavailable?: string;
  runs: RunResult[];
}

const START = /^phase (\S+) start$/;
const END = /^phase (\S+) end (\S+)$/;
const UINT32_RANGE = 2 ** 32;

/** Pair start/end markers into measurements; anything malformed goes to `problems`. */
export function extractPhases(lines: SerialLine[]): { phases: PhaseMeasurement[]; problems: string[] } {
  const phases: PhaseMeasurement[] = [];
  const problems: string[] = [];
  let open: { name: string; line: SerialLine } | undefined;
  for (const line of lines) {
    const start = START.exec(line.text);
    if (start) {
      if (open) problems.push(`phase ${open.name} started but never ended`);
      open = { name: start[1], line };
      continue;
    }
    const end = END.exec(line.text);
    if (!end) continue;
    if (!open || open.name !== end[1]) {
      problems.push(`phase ${end[1]} ended without starting`);
      open = undefined;
      continue;
    }
    const measurement: PhaseMeasurement = {
      name: end[1],
      seconds: (line.firstByteMs - open.line.endMs) / 1000,
      checksum: end[2],
    };
    const from = open.line.endInstructions;
    const to = line.firstByteInstructions;
    if (from !== undefined && to !== undefined) {
      // v86 counts in a wrapping uint32; a phase retires far fewer than 2^32.
      let delta = to - from;
      if (delta < 0) delta += UINT32_RANGE;
      measurement.instructions = delta;
    }
    phases.push(measurement);
    open = undefined;
  }
  if (open) problems.push(`phase ${open.name} started but never ended`);
  return { phases, problems };
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export interface Cell {
  /** Median seconds over the runs that completed the phase. */
  seconds?: number;
  /** Median guest MIPS, where the peer counts instructions. */
  mips?: number;
  /** Runs that completed this phase. */
  runs: number;
  /** Some run printed a checksum other than the phase's reference. */
  checksumMismatch: boolean;
}

export interface Summary {
  phases: string[];
  peers: PeerResult[];
  cells: Map<string, Map<string, Cell>>;
  /** The checksum most runs agree on, per phase. */
  reference: Map<string, string>;
  /** One line per disagreeing run: "qemu run 2: sieve printed X, expected Y". */
  mismatches: string[];
}

function mostCommon(values: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  let best: string | undefined;
  for (const [value, count] of counts) if (best === undefined || count > counts.get(best)!) best = value;
  return best;
}

export function summarize(peers: PeerResult[]): Summary {
  const phases: string[] = [];
  for (const peer of peers) for (const run of peer.runs) for (const phase of run.phases) if (!phases.includes(phase.name)) phases.push(phase.name);

  const reference = new Map<string, string>();
  for (const name of phases) {
    const checksums = peers.flatMap((peer) => peer.runs.flatMap((run) => run.phases.filter((p) => p.name === name).map((p) => p.checksum)));
    const best = mostCommon(checksums);
    if (best !== undefined) reference.set(name, best);
  }

  const mismatches: string[] = [];
  const cells = new Map<string, Map<string, Cell>>();
  for (const name of phases) {
    const row = new Map<string, Cell>();
    for (const peer of peers) {
      const measured = peer.runs.flatMap((run, index) => run.phases.filter((p) => p.name === name).map((p) => ({ p, index })));
      let checksumMismatch = false;
      for (const { p, index } of measured) {
        if (p.checksum !== reference.get(name)) {
          checksumMismatch = true;
          mismatches.push(`${peer.name} run ${index + 1}: ${name} printed ${p.checksum}, others ${reference.get(name)}`);
        }
      }
      const cell: Cell = { runs: measured.length, checksumMismatch };
      if (measured.length) cell.seconds = median(measured.map(({ p }) => p.seconds));
      const rates = measured.filter(({ p }) => p.instructions !== undefined && p.seconds > 0).map(({ p }) => p.instructions! / p.seconds / 1e6);
      if (rates.length) cell.mips = median(rates);
      row.set(peer.name, cell);
    }
    cells.set(name, row);
  }
  return { phases, peers, cells, reference, mismatches };
}

/** The peer the others are compared with. */
export const SUBJECT = 'jos86';

function formatSeconds(seconds: number | undefined): string {
  return seconds === undefined ? '-' : seconds.toFixed(3);
}

/** Three significant digits or so: 1110, 61.5, 0.04. */
function formatMips(mips: number): string {
  return mips >= 100 ? mips.toFixed(0) : mips >= 10 ? mips.toFixed(1) : mips.toFixed(2);
}

function formatRatio(subject: number | undefined, peer: number | undefined): string {
  if (subject === undefined || peer === undefined || peer <= 0) return '-';
  return `${(subject / peer).toFixed(2)}x`;
}

/** Left-align the first column, right-align the rest, two spaces apart. */
export function alignColumns(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd())
    .join('\n');
}

/**
 * The side-by-side table: per phase, each peer's median seconds (and MIPS
 * where known), jos86's time divided by each other peer's, and the checksum.
 * A "!" after a time marks a checksum that disagrees with the other peers.
 */
export function formatTable(summary: Summary): string {
  const peers = summary.peers;
  const hasMips = new Set(peers.filter((peer) => summary.phases.some((phase) => summary.cells.get(phase)!.get(peer.name)!.mips !== undefined)).map((p) => p.name));
  const subject = peers.find((peer) => peer.name === SUBJECT);
  const others = subject ? peers.filter((peer) => peer !== subject) : [];

  const header = ['phase'];
  for (const peer of peers) {
    header.push(`${peer.name} s`);
    if (hasMips.has(peer.name)) header.push('MIPS');
  }
  for (const other of others) header.push(`${SUBJECT}/${other.name}`);
  header.push('checksum');

  const rows: string[][] = [header];
  const totals = new Map<string, number | undefined>(peers.map((peer) => [peer.name, 0]));
  for (const phase of summary.phases) {
    const row = [phase];
    const cells = summary.cells.get(phase)!;
    for (const peer of peers) {
      const cell = cells.get(peer.name)!;
      const unavailable = peer.unavailable ? 'n/a' : 'fail';
      row.push(cell.seconds === undefined ? unavailable : formatSeconds(cell.seconds) + (cell.checksumMismatch ? '!' : ''));
      if (hasMips.has(peer.name)) row.push(cell.mips === undefined ? '-' : formatMips(cell.mips));
      const total = totals.get(peer.name);
      totals.set(peer.name, total === undefined || cell.seconds === undefined ? undefined : total + cell.seconds);
    }
    for (const other of others) row.push(formatRatio(cells.get(SUBJECT)!.seconds, cells.get(other.name)!.seconds));
    row.push(summary.reference.get(phase) ?? '-');
    rows.push(row);
  }

  const totalRow = ['total'];
  for (const peer of peers) {
    totalRow.push(formatSeconds(totals.get(peer.name)));
    if (hasMips.has(peer.name)) totalRow.push('');
  }
  for (const other of others) totalRow.push(formatRatio(totals.get(SUBJECT), totals.get(other.name)));
  totalRow.push('');
  rows.push(totalRow);
  return alignColumns(rows);
}

/**
 * Issue 2's target: on every CPU-bound phase jos86 takes at most 1.5x the
 * time of v86 without its JIT. "portio" measures device models, not the CPU.
 */
export const TARGET_PEER = 'v86-nojit';
export const TARGET_RATIO = 1.5;
export const DEVICE_BOUND_PHASES = new Set(['portio']);

export function targetVerdict(summary: Summary): string {
  const over: string[] = [];
  let compared = 0;
  for (const phase of summary.phases) {
    if (DEVICE_BOUND_PHASES.has(phase)) continue;
    const cells = summary.cells.get(phase)!;
    const subject = cells.get(SUBJECT)?.seconds;
    const peer = cells.get(TARGET_PEER)?.seconds;
    if (subject === undefined || peer === undefined) continue;
    compared++;
    if (subject > TARGET_RATIO * peer) over.push(`${phase} ${formatRatio(subject, peer)}`);
  }
  const goal = `target: ${SUBJECT} <= ${TARGET_RATIO}x ${TARGET_PEER} on CPU-bound phases`;
  if (compared === 0) return `${goal}: not measured (need both peers)`;
  return over.length ? `${goal}: missed on ${over.join(', ')}` : `${goal}: met on all ${compared}`;
}

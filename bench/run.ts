// `npm run bench`: build the benchmark image if needed, run it on every peer
// (jos86, v86 with and without its JIT, QEMU TCG) several times, and print
// per-phase median seconds, guest MIPS where known, and jos86's time ratio to
// each peer. Results, including every run's raw phase timings, go to
// bench/out/results.json. See bench/README.md for how to read the table.
//
// Runs are interleaved (run 1 of every peer, then run 2, ...) so a change in
// the host's load spreads over all peers instead of hitting one.

import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildImage, outDir, PHASE_NAMES, withPhaseSelection } from './build.ts';
import { extractPhases, formatTable, summarize, targetVerdict, type PeerResult, type RunResult } from './report.ts';
import { PEERS } from './runners/peers.ts';
import type { RunTranscript } from './runners/transcript.ts';

const USAGE = `usage: npm run bench -- [options]
  --peers LIST    comma-separated, from ${PEERS.map((p) => p.name).join(',')} (default: all)
  --runs N        runs per peer; the table shows medians (default 3)
  --phases LIST   comma-separated, from ${PHASE_NAMES.join(',')} (default: all)
  --scale PCT     workload size in percent of the full size (default 100)
  --timeout SEC   give up on a run after this long (default 1200)
  --json FILE     where to write the results (default bench/out/results.json)`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function list(value: string | undefined, allowed: readonly string[], what: string): string[] {
  if (!value) return [...allowed];
  const items = value.split(',').map((item) => item.trim()).filter(Boolean);
  for (const item of items) if (!allowed.includes(item)) fail(`unknown ${what} "${item}"`);
  return items;
}

function positiveInteger(value: string | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) fail(`${what} must be a positive integer, got "${value}"`);
  return number;
}

function describeRun(transcript: RunTranscript, result: RunResult): string {
  const phases = result.phases.map((p) => `${p.name} ${p.seconds.toFixed(2)}s`).join(', ');
  const boot = transcript.bootMs !== undefined ? `boot ${(transcript.bootMs / 1000).toFixed(2)}s; ` : '';
  return `${transcript.outcome}${transcript.message ? ` (${transcript.message})` : ''}: ${boot}${phases}`;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        peers: { type: 'string' },
        runs: { type: 'string' },
        phases: { type: 'string' },
        scale: { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const peerNames = list(values.peers, PEERS.map((p) => p.name), 'peer');
  const phases = list(values.phases, PHASE_NAMES, 'phase');
  const runs = positiveInteger(values.runs, 3, '--runs');
  const scale = positiveInteger(values.scale, 100, '--scale');
  const timeoutMs = positiveInteger(values.timeout, 1200, '--timeout') * 1000;
  const jsonPath = values.json ?? join(outDir, 'results.json');

  let image: string;
  try {
    image = withPhaseSelection(buildImage({ scale, log: (line) => console.log(line) }), phases);
  } catch (error) {
    console.error(`cannot build the benchmark image (needs gcc -m32, nasm, ld, objcopy): ${(error as Error).message}`);
    process.exit(1);
  }
  const peers = PEERS.filter((peer) => peerNames.includes(peer.name));
  const results: PeerResult[] = [];
  for (const peer of peers) {
    const unavailable = (await peer.unavailable()) ?? undefined;
    if (unavailable) console.log(`${peer.name}: unavailable: ${unavailable}`);
    results.push({ name: peer.name, unavailable, runs: [] });
  }

  const transcripts: Record<string, RunTranscript[]> = {};
  for (let run = 1; run <= runs; run++) {
    for (const [index, peer] of peers.entries()) {
      const result = results[index];
      if (result.unavailable) continue;
      const transcript = await peer.run({ image, timeoutMs });
      const { phases: measured, problems } = extractPhases(transcript.lines);
      const runResult: RunResult = { outcome: transcript.outcome, message: transcript.message, bootMs: transcript.bootMs, phases: measured };
      if (problems.length) runResult.message = [runResult.message, ...problems].filter(Boolean).join('; ');
      result.runs.push(runResult);
      (transcripts[peer.name] ??= []).push(transcript);
      console.log(`[${peer.name} ${run}/${runs}] ${describeRun(transcript, runResult)}`);
    }
  }

  const summary = summarize(results);
  console.log('');
  console.log(`jos86 benchmark: median of ${runs} run(s), seconds per phase (boot excluded); image ${image}`);
  console.log(formatTable(summary));
  for (const result of results) {
    if (result.unavailable) console.log(`${result.name}: not run: ${result.unavailable}`);
    const failed = result.runs.filter((run) => run.outcome !== 'done');
    for (const run of failed) console.log(`${result.name}: a run ended with ${run.outcome}${run.message ? `: ${run.message}` : ''}`);
  }
  for (const mismatch of summary.mismatches) console.log(`checksum mismatch: ${mismatch}`);
  console.log(targetVerdict(summary));

  const report = {
    date: new Date().toISOString(),
    host: { node: process.version, cpu: cpus()[0]?.model, cpus: availableParallelism(), loadavg: loadavg() },
    image,
    scale,
    runs,
    phases: summary.phases.map((name) => ({
      name,
      checksum: summary.reference.get(name),
      peers: Object.fromEntries([...summary.cells.get(name)!].map(([peer, cell]) => [peer, cell])),
    })),
    peers: results,
    mismatches: summary.mismatches,
    target: targetVerdict(summary),
  };
  writeFileSync(jsonPath, JSON.stringify(report, null, 2) + '\n');
  console.log(`results written to ${jsonPath}`);
}

await main();

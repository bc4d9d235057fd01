// The benchmark's bookkeeping: serial lines -> phases -> medians -> table.

import { describe, expect, it } from 'vitest';
import { alignColumns, extractPhases, formatTable, median, summarize, targetVerdict, type PeerResult, type PhaseMeasurement } from '../../bench/report.ts';
import { LineCollector, type SerialLine } from '../../bench/runners/transcript.ts';

function feed(collector: LineCollector, text: string, nowMs: number, instructions?: number): void {
  for (const byte of new TextEncoder().encode(text)) collector.push(byte, nowMs, instructions);
}

function line(text: string, firstByteMs: number, endMs: number, instructions?: [number, number]): SerialLine {
  const result: SerialLine = { text, firstByteMs, endMs };
  if (instructions) [result.firstByteInstructions, result.endInstructions] = instructions;
  return result;
}

describe('LineCollector', () => {
  it('stamps each line with the times of its first byte and its newline, dropping CR', () => {
    const seen: string[] = [];
    const collector = new LineCollector((l) => seen.push(l.text));
    feed(collector, 'phase a', 10, 100);
    feed(collector, ' start\r', 12, 150);
    feed(collector, '\n', 15, 160);
    feed(collector, '\n', 16);
    expect(seen).toEqual(['phase a start']);
    expect(collector.lines).toEqual([
      { text: 'phase a start', firstByteMs: 10, endMs: 15, firstByteInstructions: 100, endInstructions: 160 },
    ]);
  });
});

describe('extractPhases', () => {
  it('times a phase from the start line newline to the end line first byte', () => {
    const { phases, problems } = extractPhases([
      line('bench start', 0, 1),
      line('phase sieve start', 1, 2, [10, 20]),
      line('phase sieve end 0x1234', 1502, 1503, [1000020, 1000030]),
      line('bench done', 1504, 1505),
    ]);
    expect(problems).toEqual([]);
    expect(phases).toEqual([{ name: 'sieve', seconds: 1.5, checksum: '0x1234', instructions: 1000000 }]);
  });

  it('undoes a uint32 instruction counter wrap', () => {
    const { phases } = extractPhases([
      line('phase crc32 start', 0, 0, [0, 2 ** 32 - 10]),
      line('phase crc32 end 0x1', 1000, 1000, [90, 90]),
    ]);
    expect(phases[0].instructions).toBe(100);
  });

  it('reports unpaired markers instead of inventing timings', () => {
    const { phases, problems } = extractPhases([
      line('phase a start', 0, 0),
      line('phase b start', 5, 5),
      line('phase c end 0x0', 9, 9),
    ]);
    expect(phases).toEqual([]);
    expect(problems).toEqual(['phase a started but never ended', 'phase c ended without starting']);
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

function run(...phases: PhaseMeasurement[]) {
  return { outcome: 'done' as const, phases };
}

describe('summarize and formatTable', () => {
  const peers: PeerResult[] = [
    {
      name: 'jos86',
      runs: [
        run({ name: 'sieve', seconds: 3, checksum: '0xa', instructions: 300e6 }, { name: 'portio', seconds: 1, checksum: '0xb', instructions: 10e6 }),
        run({ name: 'sieve', seconds: 5, checksum: '0xa', instructions: 300e6 }, { name: 'portio', seconds: 2, checksum: '0xb', instructions: 10e6 }),
        run({ name: 'sieve', seconds: 4, checksum: '0xa', instructions: 300e6 }, { name: 'portio', seconds: 3, checksum: '0xb', instructions: 10e6 }),
      ],
    },
    {
      name: 'v86-nojit',
      runs: [
        run({ name: 'sieve', seconds: 2, checksum: '0xa' }, { name: 'portio', seconds: 1, checksum: '0xb' }),
        run({ name: 'sieve', seconds: 2, checksum: '0xa' }, { name: 'portio', seconds: 1, checksum: '0xbad' }),
      ],
    },
    { name: 'qemu', unavailable: 'not installed', runs: [] },
  ];

  it('takes medians, derives MIPS and flags checksums that disagree', () => {
    const summary = summarize(peers);
    expect(summary.phases).toEqual(['sieve', 'portio']);
    const sieve = summary.cells.get('sieve')!;
    expect(sieve.get('jos86')).toEqual({ seconds: 4, mips: 75, runs: 3, checksumMismatch: false });
    expect(sieve.get('qemu')).toEqual({ runs: 0, checksumMismatch: false });
    expect(summary.reference.get('portio')).toBe('0xb');
    expect(summary.cells.get('portio')!.get('v86-nojit')!.checksumMismatch).toBe(true);
    expect(summary.mismatches).toEqual(['v86-nojit run 2: portio printed 0xbad, others 0xb']);
  });

  it('prints aligned rows with ratios, n/a for unavailable peers and totals', () => {
    const table = formatTable(summarize(peers)).split('\n');
    expect(table[0].split(/\s{2,}/)).toEqual(['phase', 'jos86 s', 'MIPS', 'v86-nojit s', 'qemu s', 'jos86/v86-nojit', 'jos86/qemu', 'checksum']);
    expect(table[1].split(/\s+/)).toEqual(['sieve', '4.000', '75.0', '2.000', 'n/a', '2.00x', '-', '0xa']);
    expect(table[2].split(/\s+/)).toEqual(['portio', '2.000', '5.00', '1.000!', 'n/a', '2.00x', '-', '0xb']);
    expect(table[3].split(/\s+/)).toEqual(['total', '6.000', '3.000', '-', '2.00x', '-']);
    // Every row's checksum column starts at the same place.
    const column = table[0].indexOf('checksum');
    expect(table[1].slice(column).trim()).toBe('0xa');
  });

  it('judges the 1.5x target on CPU-bound phases only', () => {
    expect(targetVerdict(summarize(peers))).toBe('target: jos86 <= 1.5x v86-nojit on CPU-bound phases: missed on sieve 2.00x');
    expect(targetVerdict(summarize([peers[0]]))).toMatch(/not measured/);
  });
});

describe('alignColumns', () => {
  it('left-aligns the first column and right-aligns the others', () => {
    expect(alignColumns([['a', '1'], ['long', '100']])).toBe('a       1\nlong  100');
  });
});

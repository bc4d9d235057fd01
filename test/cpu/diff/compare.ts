// Compares two serial transcripts of harness.asm (QEMU as the reference,
// jos86 under test) and explains every difference in terms a CPU developer
// can act on: the sequence's nasm source, its initial state, both dumps and
// the registers or flags that differ. EFLAGS bits the SDM leaves undefined
// for the sequence (generate.ts tracks them) are masked; nothing else is.

import { AF, CF, DF, OF, PF, SF, ZF, type Sequence } from './generate.ts';

/** Field names of an `S` line after the index (harness.asm seq_return). */
export const RESULT_FIELDS = ['EAX', 'EBX', 'ECX', 'EDX', 'ESP', 'EBP', 'ESI', 'EDI', 'EFLAGS', 'CHECKSUM'] as const;
/** Field names of an `F` line after the index (harness.asm fault_common). */
export const FAULT_FIELDS = ['VECTOR', 'ERROR', 'CR2', 'EIP', 'CS', 'EFLAGS', 'EAX', 'EBX', 'ECX', 'EDX', 'ESI', 'EDI', 'EBP'] as const;
const EFLAGS_FIELD = RESULT_FIELDS.indexOf('EFLAGS');
const FAULT_EFLAGS_FIELD = FAULT_FIELDS.indexOf('EFLAGS');

const FLAG_NAMES: [number, string][] = [
  [CF, 'CF'], [PF, 'PF'], [AF, 'AF'], [ZF, 'ZF'], [SF, 'SF'], [0x100, 'TF'], [0x200, 'IF'], [DF, 'DF'], [OF, 'OF'],
  [0x3000, 'IOPL'], [0x4000, 'NT'], [0x10000, 'RF'], [0x20000, 'VM'], [0x40000, 'AC'], [0x80000, 'VIF'], [0x100000, 'VIP'], [0x200000, 'ID'],
];

/**
 * One line of a transcript: `S` (sequence result), `F` (exception), or `H`
 * (jos86-runner.ts: the emulator threw a host exception), with its fields.
 */
export interface Report {
  kind: 'S' | 'F' | 'H';
  index: number;
  values: number[];
  line: string;
}

/** The reports of a transcript by sequence index (a faulting sequence has only its `F`). */
export function parseReports(transcript: string): Map<number, Report> {
  const reports = new Map<number, Report>();
  for (const line of transcript.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const kind = fields[0];
    if (kind === 'H' && fields.length >= 2) {
      const index = parseInt(fields[1], 16);
      if (!reports.has(index)) reports.set(index, { kind, index, values: [], line: line.trim() });
      continue;
    }
    if ((kind !== 'S' && kind !== 'F') || fields.length < 3) continue;
    const [index, ...values] = fields.slice(1).map((field) => parseInt(field, 16));
    if (!reports.has(index)) reports.set(index, { kind, index, values, line: line.trim() });
  }
  return reports;
}

export function flagNames(bits: number): string {
  const names = FLAG_NAMES.filter(([mask]) => (bits & mask) !== 0).map(([, name]) => name);
  const known = FLAG_NAMES.reduce((all, [mask]) => all | mask, 0);
  const other = bits & ~known;
  if (other) names.push(`bits ${hex(other)}`);
  return names.join(' ') || '-';
}

function hex(value: number): string {
  return (value >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

export interface Mismatch {
  sequence: Sequence;
  /** Short list of what differs, e.g. ["EAX", "EFLAGS(CF OF)"]. */
  differences: string[];
  explanation: string;
}

/** Compare the two reports of one sequence; returns what differs (empty when they agree). */
export function differences(sequence: Sequence, reference: Report | undefined, candidate: Report | undefined): string[] {
  if (!reference) return ['no reference line'];
  if (!candidate) return ['no line (the run stopped before this sequence)'];
  if (candidate.kind === 'H') return ['host exception'];
  if (reference.kind !== candidate.kind) return [reference.kind === 'F' ? 'reference faulted, candidate did not' : 'candidate faulted'];
  const names = reference.kind === 'S' ? RESULT_FIELDS : FAULT_FIELDS;
  const found: string[] = [];
  names.forEach((name, field) => {
    const a = reference.values[field];
    const b = candidate.values[field];
    if (field === (reference.kind === 'S' ? EFLAGS_FIELD : FAULT_EFLAGS_FIELD)) {
      const differing = (a ^ b) & ~sequence.undefinedFlags;
      if (differing) found.push(`EFLAGS(${flagNames(differing)})`);
    } else if (a !== b) {
      found.push(name === 'CHECKSUM' ? 'memory' : name);
    }
  });
  return found;
}

/** A report a developer can act on without rerunning anything. */
export function explain(sequence: Sequence, reference: Report | undefined, candidate: Report | undefined, found: string[]): string {
  const [eax, ecx, edx, ebx, esp, ebp, esi, edi] = sequence.regs;
  const lines = [
    `sequence ${sequence.index} (${sequence.family}) differs in: ${found.join(', ')}`,
    ...sequence.lines.map((line) => `    ${line}`),
    `  in:  EAX=${hex(eax)} EBX=${hex(ebx)} ECX=${hex(ecx)} EDX=${hex(edx)} ESP=${hex(esp)} EBP=${hex(ebp)} ESI=${hex(esi)} EDI=${hex(edi)} EFLAGS=${hex(sequence.eflags)} memory seed=${hex(sequence.seed)}`,
    `  undefined flags masked: ${flagNames(sequence.undefinedFlags)}`,
  ];
  const header = (report: Report | undefined): string => {
    if (!report) return '(none)';
    if (report.kind === 'H') return report.line;
    const names = report.kind === 'S' ? RESULT_FIELDS : FAULT_FIELDS;
    return (report.kind === 'F' ? 'FAULT ' : '') + names.map((name, field) => `${name}=${hex(report.values[field] ?? 0)}`).join(' ');
  };
  lines.push(`  qemu:  ${header(reference)}`, `  jos86: ${header(candidate)}`);
  if (reference?.kind === 'S' && candidate?.kind === 'S') {
    const difference = (reference.values[EFLAGS_FIELD] ^ candidate.values[EFLAGS_FIELD]) & ~sequence.undefinedFlags;
    if (difference) lines.push(`  flags differing: ${flagNames(difference)} (qemu has ${flagNames(reference.values[EFLAGS_FIELD] & difference)} set)`);
  }
  return lines.join('\n');
}

/** Every mismatching sequence between a reference and a candidate transcript of the image built from `sequences`. */
export function compareTranscripts(sequences: readonly Sequence[], reference: string, candidate: string): Mismatch[] {
  const referenceReports = parseReports(reference);
  const candidateReports = parseReports(candidate);
  const mismatches: Mismatch[] = [];
  // Transcripts number sequences by their position in the image.
  sequences.forEach((sequence, position) => {
    const a = referenceReports.get(position);
    const b = candidateReports.get(position);
    const found = differences(sequence, a, b);
    if (found.length) mismatches.push({ sequence, differences: found, explanation: explain(sequence, a, b, found) });
  });
  return mismatches;
}

/** Mismatch counts per family and per differing field, largest first: the CPU developer's to-do list. */
export function summarize(mismatches: readonly Mismatch[], sequences: readonly Sequence[]): string {
  const totals = new Map<string, number>();
  for (const sequence of sequences) totals.set(sequence.family, (totals.get(sequence.family) ?? 0) + 1);
  const byFamily = new Map<string, { count: number; fields: Map<string, number> }>();
  for (const mismatch of mismatches) {
    const entry = byFamily.get(mismatch.sequence.family) ?? { count: 0, fields: new Map() };
    entry.count++;
    for (const field of mismatch.differences) entry.fields.set(field, (entry.fields.get(field) ?? 0) + 1);
    byFamily.set(mismatch.sequence.family, entry);
  }
  return [...byFamily.entries()]
    .sort((a, b) => b[1].count - a[1].count)
    .map(([family, { count, fields }]) => {
      const top = [...fields.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([field, n]) => `${field} x${n}`);
      return `${family}: ${count}/${totals.get(family)} differ (${top.join(', ')})`;
    })
    .join('\n');
}

/**
 * Line-by-line comparison of the hand-written system tests, whose transcripts
 * must match exactly. Each difference names the test (the last `T` line).
 */
export function compareSystemTranscripts(reference: string, candidate: string): string[] {
  const a = reference.split('\n');
  const b = candidate.split('\n');
  const problems: string[] = [];
  let test = '(start)';
  for (let i = 0; i < a.length; i++) {
    if (a[i].startsWith('T ')) test = a[i].slice(2);
    if (a[i] !== b[i]) {
      problems.push(`system test "${test}", line ${i + 1}:\n  qemu:  ${a[i]}\n  jos86: ${b[i] ?? '(missing: the run stopped)'}`);
      // After a missing line everything shifts; one report says it all.
      if (b[i] === undefined) break;
    }
  }
  return problems;
}

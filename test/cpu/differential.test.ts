// The differential CPU test: the same bare-metal harness images run on QEMU
// (qemu-system-i386, TCG: the reference) and on jos86, and their serial
// transcripts must agree, with only the EFLAGS bits the Intel SDM leaves
// undefined masked (issue 2, item 6).
//
// Thousands of sequences come from test/cpu/diff/generate.ts with a fixed
// seed; the system instructions (segment loads, gates, rings, paging,
// exceptions) are hand-written in test/cpu/diff/system.asm. A mismatch prints
// each differing sequence's source and both register dumps, plus a summary by
// instruction family. nasm, ld and qemu-system-i386 are required: without
// them the test fails, it does not skip. test/cpu/diff/run.ts runs the same
// suite from the command line, one family at a time if wanted.

import { beforeAll, describe, expect, test } from 'vitest';
import { buildImage, requireTool, type Image } from './diff/build.ts';
import { compareSystemTranscripts, compareTranscripts, parseReports, summarize } from './diff/compare.ts';
import { CF, generateSequences, sequencesToNasm, type Sequence } from './diff/generate.ts';
import { runOnJos86 } from './diff/jos86-runner.ts';
import { runOnQemu } from './diff/qemu.ts';
import { imageOptions, SEED, SEQUENCE_COUNT, SEQUENCES_PER_IMAGE, SYSTEM_BODY } from './diff/suite.ts';

const MISMATCHES_SHOWN = 25;

interface Batch {
  sequences: Sequence[];
  image: Image;
  reference: string;
}

describe('differential CPU test against QEMU', () => {
  const batches: Batch[] = [];
  let system: { image: Image; reference: string };

  beforeAll(async () => {
    requireTool('nasm', '-v', 'apt-get install nasm');
    requireTool('ld', '--version', 'apt-get install binutils');
    requireTool('qemu-system-i386', '--version', 'apt-get install qemu-system-x86');
    const sequences = generateSequences(SEED, SEQUENCE_COUNT);
    const images: { sequences: Sequence[]; image: Image }[] = [];
    for (let first = 0; first < sequences.length; first += SEQUENCES_PER_IMAGE) {
      // Each image numbers its sequences from 0; keep the global index for reports.
      const chunk = sequences.slice(first, first + SEQUENCES_PER_IMAGE);
      images.push({ sequences: chunk, image: buildImage(sequencesToNasm(chunk, imageOptions(first / SEQUENCES_PER_IMAGE))) });
    }
    const systemImage = buildImage(SYSTEM_BODY);
    const [systemReference, ...references] = await Promise.all([runOnQemu(systemImage), ...images.map(({ image }) => runOnQemu(image))]);
    images.forEach((batch, i) => batches.push({ ...batch, reference: references[i] }));
    system = { image: systemImage, reference: systemReference };
  });

  test('QEMU runs every generated sequence, faulting exactly where the generator meant to', () => {
    for (const batch of batches) {
      const reports = parseReports(batch.reference);
      const surprises = [...reports.values()]
        .filter((report) => (report.kind === 'F') !== batch.sequences[report.index].expectsFault)
        .map((report) => `${report.line}\n    ${batch.sequences[report.index].lines.join('\n    ')}`);
      expect(surprises, 'a generated sequence faulted, or failed to fault, on QEMU: the generator is wrong').toEqual([]);
      expect(reports.size).toBe(batch.sequences.length);
    }
  });

  test('the comparison reports a perturbed defined flag and ignores an undefined one', () => {
    const { sequences, reference } = batches[0];
    const target = sequences.find((sequence) => (sequence.undefinedFlags & CF) === 0 && !sequence.expectsFault)!;
    const masked = sequences.find((sequence) => (sequence.undefinedFlags & CF) !== 0 && !sequence.expectsFault)!;
    const flipCarry = (transcript: string, sequence: Sequence): string =>
      transcript
        .split('\n')
        .map((line) => {
          const fields = line.split(' ');
          if (fields[0] !== 'S' || parseInt(fields[1], 16) !== sequences.indexOf(sequence)) return line;
          fields[10] = (parseInt(fields[10], 16) ^ CF).toString(16).toUpperCase().padStart(8, '0');
          return fields.join(' ');
        })
        .join('\n');
    const perturbed = flipCarry(flipCarry(reference, target), masked);
    const mismatches = compareTranscripts(sequences, reference, perturbed);
    expect(mismatches.map((mismatch) => [mismatch.sequence.index, mismatch.differences])).toEqual([[target.index, ['EFLAGS(CF)']]]);
    expect(mismatches[0].explanation).toContain(target.lines[0]);
    expect(compareTranscripts(sequences, reference, reference)).toEqual([]);
  });

  test(`jos86 matches QEMU on ${SEQUENCE_COUNT} generated sequences`, async () => {
    const mismatches = [];
    const problems: string[] = [];
    for (const batch of batches) {
      const run = await runOnJos86(batch.image);
      problems.push(...run.problems);
      for (const mismatch of compareTranscripts(batch.sequences, batch.reference, run.transcript)) mismatches.push(mismatch);
    }
    const all = batches.flatMap((batch) => batch.sequences);
    const report = [
      `${mismatches.length} of ${all.length} sequences differ from QEMU`,
      summarize(mismatches, all),
      ...problems.slice(0, 10),
      ...mismatches.slice(0, MISMATCHES_SHOWN).map((mismatch) => mismatch.explanation),
    ].join('\n\n');
    expect(mismatches.length, report).toBe(0);
  });

  test('jos86 matches QEMU on the system tests (segments, gates, rings, paging, exceptions)', async () => {
    expect(system.reference).toContain('DONE');
    const run = await runOnJos86(system.image);
    const problems = compareSystemTranscripts(system.reference, run.transcript);
    expect(problems.length, [...run.problems, ...problems].join('\n')).toBe(0);
  });
});

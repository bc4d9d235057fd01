// Command-line front end of the differential CPU test, for a developer fixing
// the CPU: runs the generated sequences (optionally one family) and the
// system tests on QEMU and jos86 and prints every mismatch.
//
//   npx tsx test/cpu/diff/run.ts [--seed N] [--count N] [--family NAME] [--show N] [--no-system]

import { parseArgs } from 'node:util';
import { buildImage } from './build.ts';
import { compareSystemTranscripts, compareTranscripts, summarize, type Mismatch } from './compare.ts';
import { FAMILIES, generateSequences, sequencesToNasm } from './generate.ts';
import { runOnJos86 } from './jos86-runner.ts';
import { runOnQemu } from './qemu.ts';
import { imageOptions, SEED, SEQUENCE_COUNT, SEQUENCES_PER_IMAGE, SYSTEM_BODY } from './suite.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: String(SEED) },
    count: { type: 'string', default: String(SEQUENCE_COUNT) },
    family: { type: 'string' },
    show: { type: 'string', default: '20' },
    'no-system': { type: 'boolean', default: false },
  },
});

const family = values.family;
if (family && !FAMILIES.some((known) => known.name === family)) {
  console.error(`unknown family "${family}"; families: ${FAMILIES.map((known) => known.name).join(', ')}`);
  process.exit(2);
}
// Generate from the same stream as the test, then keep the family asked for.
const sequences = generateSequences(Number(values.seed), Number(values.count)).filter((sequence) => !family || sequence.family === family);
const mismatches: Mismatch[] = [];
for (let first = 0; first < sequences.length; first += SEQUENCES_PER_IMAGE) {
  const chunk = sequences.slice(first, first + SEQUENCES_PER_IMAGE);
  const image = buildImage(sequencesToNasm(chunk, imageOptions(first / SEQUENCES_PER_IMAGE)));
  const [reference, run] = await Promise.all([runOnQemu(image), runOnJos86(image)]);
  for (const problem of run.problems) console.log(problem);
  mismatches.push(...compareTranscripts(chunk, reference, run.transcript));
}
console.log(`${mismatches.length} of ${sequences.length} sequences differ from QEMU`);
console.log(summarize(mismatches, sequences));
for (const mismatch of mismatches.slice(0, Number(values.show))) console.log(`\n${mismatch.explanation}`);

if (!values['no-system']) {
  const image = buildImage(SYSTEM_BODY);
  const [reference, run] = await Promise.all([runOnQemu(image), runOnJos86(image)]);
  const problems = compareSystemTranscripts(reference, run.transcript);
  console.log(`\nsystem tests: ${problems.length} differing lines${run.problems.length ? ` (${run.problems.join('; ')})` : ''}`);
  for (const problem of problems.slice(0, Number(values.show))) console.log(problem);
}

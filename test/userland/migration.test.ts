// Process migration from the shell (issue 6, docs/MIGRATION.md), as a user
// types it:
//   - the report's scenario as a golden transcript: counter in the
//     background; ps; pause stops it; resume continues it from the next
//     value; pause, save, load, kill and resume give a new environment whose
//     counter goes on from the next value;
//   - a corpus of damaged and malicious images (src/host/migimage.ts), made
//     from an image the guest saved and from one the host made, put on the
//     disk and loaded one by one: every one refused, nothing left behind,
//     the system still working; and a good host-made image runs.
// After each run the file-system disk must pass the host fsck.
import { describe, expect, it } from 'vitest';
import { FsImage } from '../../src/host/fsimage.ts';
import { decodeImage, encodeImage, mutateImage, tinyImage } from '../../src/host/migimage.ts';
import { expectGolden, runTranscript } from '../golden-runner.ts';
import { disks, MONITOR, PROMPT } from '../kernel/shell.ts';

/** Counter lines in order: which environment printed which value. */
function counterLines(transcript: string): { env: string; value: number; at: number }[] {
  return [...transcript.matchAll(/envid ([0-9a-f]+) counter (\d+)\n/g)].map((m) => ({ env: m[1], value: Number(m[2]), at: m.index }));
}

/** Boot, play `steps` (script lines), and keep the disk. */
function play(steps: string[], fs?: Uint8Array, timeoutMs = 60_000) {
  const machine = disks(fs);
  const run = runTranscript({ machine, script: steps.join('\n'), timeoutMs });
  return { ...run, fsImage: machine.hdb.bytes };
}

const command = (text: string, ...expects: string[]) => [`send ${text}\\n`, ...expects.map((e) => `expect ${e}`)];

describe('process migration from the shell', () => {
  it('pauses, resumes, saves, loads and resumes the counter (the report scenario, golden)', () => {
    const run = play([
      `expect ${PROMPT}`,
      ...command('counter &', 'envid 1004 counter 2'),
      ...command('ps', 'user ps\\n', PROMPT),
      ...command('pause 1004', 'Paused 00001004', PROMPT),
      'wait 300',
      ...command('resume 1004', 'Resumed 00001004', 'envid 1004 counter', PROMPT),
      ...command('pause 1004', 'Paused 00001004', PROMPT),
      ...command('save 1004 /counter.img', 'Saved 00001004', PROMPT),
      ...command('load /counter.img', 'Load succeeded. New environment is : 00001007', PROMPT),
      ...command('ps', 'user ps\\n', PROMPT),
      ...command('kill 1004', PROMPT),
      ...command('resume 1007', 'Resumed 00001007', 'envid 1007 counter', 'envid 1007 counter'),
      ...command('kill 1007', PROMPT),
      ...command('exit', MONITOR),
      'send poweroff\\n',
    ]);
    const t = run.transcript;
    expect(run.log).toEqual([]);
    expect(t).toContain('00001004 00001003 paused ');
    expect(t).toContain('00001007 ');
    expect(t).not.toMatch(/kernel panic|user panic|Triple fault/);

    const lines = counterLines(t);
    const old = lines.filter((l) => l.env === '1004');
    const moved = lines.filter((l) => l.env === '1007');
    old.forEach((l, i) => expect(l.value).toBe(i)); // counts on, pause or not, without a gap
    const firstPause = t.indexOf('Paused 00001004');
    const resumed = t.indexOf('Resumed 00001004');
    const secondPause = t.indexOf('Paused 00001004', resumed);
    // Nothing while paused; more after the resume; nothing from the old one after the second pause.
    expect(old.filter((l) => l.at > firstPause && l.at < resumed)).toEqual([]);
    expect(old.some((l) => l.at > resumed && l.at < secondPause)).toBe(true);
    expect(old.filter((l) => l.at > secondPause)).toEqual([]);
    // The moved counter goes on at the next value, and only after it is resumed.
    expect(moved.length).toBeGreaterThanOrEqual(2);
    expect(moved[0].value).toBe(old[old.length - 1].value + 1);
    expect(moved[0].at).toBeGreaterThan(t.indexOf('Resumed 00001007'));

    const fs = FsImage.open(run.fsImage);
    expect(fs.fsck()).toEqual([]);
    const image = decodeImage(fs.readFile('/counter.img'));
    expect(image.name).toBe('counter');
    expect(image.envid).toBe(0x1004);
    expect(image.machine).toBe('jos86');
    expectGolden('migration-counter', t);
  });

  it('refuses every image of a mutated corpus, leaves nothing behind, and stays healthy', () => {
    // A real image first: the guest saves a paused counter.
    const first = play([
      `expect ${PROMPT}`,
      ...command('counter &', 'envid 1004 counter 1'),
      ...command('pause 1004', 'Paused', PROMPT),
      ...command('save 1004 /counter.img', 'Saved 00001004', PROMPT),
      ...command('kill 1004', PROMPT),
      ...command('exit', MONITOR),
      'send poweroff\\n',
    ]);
    const saved = FsImage.open(first.fsImage).readFile('/counter.img');
    decodeImage(saved);

    // Its corpus (every third one: the disk is small) and the whole corpus of a host-made image.
    const corpus = [...mutateImage(saved).filter((_, i) => i % 3 === 0), ...mutateImage(encodeImage(tinyImage()))];
    const fs = FsImage.open(new Uint8Array(disks().hdb.bytes));
    fs.mkdir('/c');
    corpus.forEach((m, i) => fs.writeFile(`/c/${i}`, m.bytes));
    fs.writeFile('/tiny.img', encodeImage(tinyImage('a host-made image ran\n')));

    const steps = [`expect ${PROMPT}`];
    for (let i = 0; i < corpus.length; i += 14) {
      const files = corpus.slice(i, i + 14).map((_, j) => `/c/${i + j}`);
      steps.push(...command(`load ${files.join(' ')}`, PROMPT));
    }
    steps.push(...command('ps', PROMPT), ...command('/tiny.img', 'a host-made image ran', PROMPT), ...command('hello', 'i am environment', PROMPT));
    steps.push(...command('exit', MONITOR), 'send poweroff\\n');
    const run = play(steps, fs.bytes, 120_000);
    const t = run.transcript;

    const refusals = [...t.matchAll(/load: \/c\/(\d+) refused: (.*)\n/g)];
    const refused = new Set(refusals.map((m) => Number(m[1])));
    const missing = corpus.map((m, i) => (refused.has(i) ? '' : `${i} ${m.name}`)).filter(Boolean);
    expect(missing, t.slice(-3000)).toEqual([]);
    expect(t).not.toContain('Load succeeded');
    expect(t).not.toMatch(/kernel panic|user panic|Triple fault/);
    // Nothing left behind: ps shows only fs, init, sh and ps's own shell and itself.
    const ps = t.slice(t.lastIndexOf('   ENVID'), t.indexOf('exiting gracefully', t.lastIndexOf('   ENVID')));
    expect(ps.match(/\n[0-9a-f]{8} /g)?.length).toBe(5);
    expect(t).toContain('a host-made image ran');
    expect(t).toContain('hello, world');
    expect(FsImage.open(run.fsImage).fsck()).toEqual([]);
  });
});

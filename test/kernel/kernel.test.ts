// The JOS kernel and its test programs, booted from images/jos86.img on
// jos86: each program is run from the monitor and its console transcript
// checked line by line (programs.ts); `hello` also has a golden transcript.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MemoryBlockDevice } from '../../src/devices/ide.ts';
import { expectGolden, runTranscript } from '../golden-runner.ts';
import { checkTranscript, PROGRAMS } from './programs.ts';

const IMAGE = fileURLToPath(new URL('../../images/jos86.img', import.meta.url));

function bootDisk() {
  return new MemoryBlockDevice(new Uint8Array(readFileSync(IMAGE)));
}

/** Boot, run `commands` at successive monitor prompts, end at `until` or by powering off. */
export function runOnJos86(program: string, until = 'No runnable environments in the system!', timeoutMs = 20_000) {
  const script = [`expect K> `, `send run ${program}\\n`, `expect ${until}`, 'expect K> ', 'send poweroff\\n'];
  // A program that never ends (counter) is stopped by the timeout once `until` has appeared.
  if (!until.startsWith('No runnable')) script.splice(3);
  return runTranscript({ machine: { hda: bootDisk() }, script: script.join('\n'), timeoutMs });
}

describe('the JOS kernel on jos86', () => {
  it('boots through its self-checks to the monitor, and powers off', () => {
    const run = runTranscript({ machine: { hda: bootDisk() }, script: 'expect K> \nsend help\\n\nexpect K> \nsend poweroff\\n' });
    expect(run.log).toEqual([]);
    for (const check of ['check_page_free_list', 'check_page_alloc', 'check_page', 'check_kern_pgdir', 'check_page_installed_pgdir']) {
      expect(run.transcript).toContain(`${check}() succeeded!`);
    }
    expect(run.transcript).toContain('run - Run user programs');
    expect(run.reason).toBe('exit');
    expect(run.exitStatus).toBe(1);
  });

  it('backtrace names the kernel functions on the stack', () => {
    const run = runTranscript({ machine: { hda: bootDisk() }, script: 'expect K> \nsend backtrace\\n\nexpect K> \nsend poweroff\\n' });
    expect(run.transcript).toMatch(/ebp f01[0-9a-f]{5}  eip f01[0-9a-f]{5}  args/);
    expect(run.transcript).toContain('monitor+');
    expect(run.transcript).toContain('i386_init+');
  });

  it('takes monitor commands from the keyboard (8042, scan-code set 1) as well as serial', () => {
    const run = runTranscript({ machine: { hda: bootDisk() }, script: 'expect K> \nkey kerninfo\\n\nexpect K> \nsend poweroff\\n' });
    expect(run.transcript).toContain('K> kerninfo\nSpecial kernel symbols:');
    expect(run.machine.screen().lines.some((line) => line.startsWith('Special kernel symbols:'))).toBe(true);
    expect(run.exitStatus).toBe(1);
  });

  it('refuses an unknown program and keeps the monitor', () => {
    const run = runTranscript({ machine: { hda: bootDisk() }, script: 'expect K> \nsend run nosuch\\n\nexpect K> \nsend poweroff\\n' });
    expect(run.transcript).toContain("run: no program named 'nosuch'");
    expect(run.exitStatus).toBe(1);
  });

  for (const program of PROGRAMS) {
    it(`runs ${program.name}`, () => {
      const run = runOnJos86(program.name, program.until, program.timeoutMs);
      expect(run.log).toEqual([]);
      expect(checkTranscript(program, run.transcript), run.transcript).toEqual([]);
      if (!program.until) expect(run.exitStatus).toBe(1); // back at the monitor, then powered off
    });
  }

  it('hello matches its golden transcript byte for byte', () => {
    expectGolden('kernel-hello', runOnJos86('hello').transcript);
  });

  it('is deterministic: two runs of forktree print the same bytes', () => {
    expect(runOnJos86('forktree').transcript).toBe(runOnJos86('forktree').transcript);
  });
});

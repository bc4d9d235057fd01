// The JOS kernel and its test programs, booted from images/jos86.img with
// the file-system disk images/fs.img on jos86: the kernel starts the file
// server and init, init starts the shell, and each program is run from the
// shell with its console transcript checked line by line (programs.ts);
// `hello` also has a golden transcript. The monitor takes over once the
// shell exits.
import { describe, expect, it } from 'vitest';
import { expectGolden, runTranscript } from '../golden-runner.ts';
import { checkTranscript, PROGRAMS } from './programs.ts';
import { disks, MONITOR, PROMPT, runShell } from './shell.ts';

/** Run one program from the shell; end at `until` (a program that never ends) or exit and power off. */
export function runOnJos86(program: string, until?: string, timeoutMs = 20_000) {
  return runShell({ commands: [program], until, timeoutMs });
}

/** Boot, leave the shell for the monitor, and type `commands` there. */
function runMonitor(commands: string[], keyboard = false) {
  const steps = [`expect ${PROMPT}`, 'send exit\\n'];
  for (const command of commands) steps.push(`expect ${MONITOR}`, `${keyboard ? 'key' : 'send'} ${command}\\n`);
  steps.push(`expect ${MONITOR}`, 'send poweroff\\n');
  return runTranscript({ machine: disks(), script: steps.join('\n'), timeoutMs: 20_000 });
}

describe('the JOS kernel on jos86', () => {
  it('boots through its self-checks, starts the file server and the shell, and powers off from the monitor', () => {
    const run = runMonitor(['help']);
    expect(run.log).toEqual([]);
    for (const check of ['check_page_free_list', 'check_page_alloc', 'check_page', 'check_kern_pgdir', 'check_page_installed_pgdir']) {
      expect(run.transcript).toContain(`${check}() succeeded!`);
    }
    expect(run.transcript).toContain('FS is running');
    expect(run.transcript).toContain('FS: 2048 blocks');
    expect(run.transcript).toContain('init: sh exited');
    expect(run.transcript).toContain('run - Run user programs');
    expect(run.reason).toBe('exit');
    expect(run.exitStatus).toBe(1);
  });

  it('backtrace names the kernel functions on the stack', () => {
    const run = runMonitor(['backtrace']);
    expect(run.transcript).toMatch(/ebp [0-9a-f]{8}  eip f01[0-9a-f]{5}  args/);
    expect(run.transcript).toContain('monitor+');
  });

  it('takes monitor commands from the keyboard (8042, scan-code set 1) as well as serial', () => {
    const run = runMonitor(['kerninfo'], true);
    expect(run.transcript).toContain('K> kerninfo\nSpecial kernel symbols:');
    expect(run.machine.screen().lines.some((line) => line.startsWith('Special kernel symbols:'))).toBe(true);
    expect(run.exitStatus).toBe(1);
  });

  it('refuses an unknown program in the monitor, and `run init` brings the shell back', () => {
    const run = runTranscript({
      machine: disks(),
      script: [`expect ${PROMPT}`, 'send exit\\n', `expect ${MONITOR}`, 'send run nosuch\\n', `expect ${MONITOR}`, 'send run init\\n',
        `expect ${PROMPT}`, 'send hello\\n', `expect ${PROMPT}`, 'send exit\\n', `expect ${MONITOR}`, 'send poweroff\\n'].join('\n'),
      timeoutMs: 20_000,
    });
    expect(run.transcript).toContain("run: no program named 'nosuch'");
    expect(run.transcript).toContain('hello, world');
    expect(run.exitStatus).toBe(1);
  });

  it('without a file-system disk the file server says so and the monitor takes over', () => {
    const { hda } = disks();
    const run = runTranscript({ machine: { hda }, script: `expect ${MONITOR}\nsend poweroff\\n`, timeoutMs: 20_000 });
    expect(run.transcript).toContain('fs: no disk at IDE 1');
    expect(run.transcript).toContain('init: spawn sh:');
    expect(run.exitStatus).toBe(1);
  });

  for (const program of PROGRAMS) {
    it(`runs ${program.name}`, () => {
      const run = runOnJos86(program.name, program.until, program.timeoutMs);
      expect(run.log).toEqual([]);
      expect(checkTranscript(program, run.transcript), run.transcript).toEqual([]);
      if (!program.until) expect(run.exitStatus).toBe(1); // back at the shell, then the monitor, then powered off
    });
  }

  it('hello matches its golden transcript byte for byte', () => {
    expectGolden('kernel-hello', runOnJos86('hello').transcript);
  });

  it('is deterministic: two runs of forktree print the same bytes', () => {
    expect(runOnJos86('forktree').transcript).toBe(runOnJos86('forktree').transcript);
  });
});

// The QEMU cross-check: images/jos86.img with the file-system disk
// images/fs.img boots unchanged on qemu-system-i386 (SeaBIOS, TCG), and a
// deterministic session (a program run from the shell, the shell's exit,
// the monitor's poweroff) prints exactly the same console transcript there
// as on jos86.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runTranscript } from '../golden-runner.ts';
import { disks, FS_IMAGE, IMAGE } from './shell.ts';

/** A command typed once `prompt` has appeared (once more than before). */
interface Step { prompt: string; command: string }

/**
 * Boot the images on QEMU and type each command at its prompt, waiting for
 * the prompt (the kernel polls its UART, so input typed too early is lost).
 */
function runOnQemu(steps: Step[]): Promise<{ transcript: string; status: number | null }> {
  return new Promise((resolve, reject) => {
    const qemu = spawn('qemu-system-i386', [
      '-m', '128', '-drive', `file=${IMAGE},format=raw,index=0,media=disk,snapshot=on`,
      '-drive', `file=${FS_IMAGE},format=raw,index=1,media=disk,snapshot=on`,
      '-serial', 'stdio', '-display', 'none', '-no-reboot', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
    ]);
    let transcript = '';
    let next = 0;
    let searchFrom = 0;
    const timer = setTimeout(() => {
      qemu.kill();
      reject(new Error(`QEMU did not finish; transcript so far:\n${transcript}`));
    }, 60_000);
    qemu.on('error', (error) => reject(new Error(`cannot run qemu-system-i386 (install qemu-system-x86): ${error.message}`)));
    qemu.stdout.on('data', (chunk: Buffer) => {
      transcript += chunk.toString('latin1');
      while (next < steps.length) {
        const at = transcript.indexOf(steps[next].prompt, searchFrom);
        if (at < 0) break;
        searchFrom = at + steps[next].prompt.length;
        qemu.stdin.write(`${steps[next++].command}\r`);
      }
    });
    qemu.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ transcript, status });
    });
  });
}

describe('QEMU cross-check', () => {
  it('a shell session prints the same transcript on QEMU and on jos86', async () => {
    const steps: Step[] = [
      { prompt: '$ ', command: 'hello' },
      { prompt: '$ ', command: 'echo migrate me > /note' },
      { prompt: '$ ', command: 'cat /note' },
      { prompt: '$ ', command: 'ls -l /' },
      { prompt: '$ ', command: 'exit' },
      { prompt: 'K> ', command: 'poweroff' },
    ];
    const qemu = await runOnQemu(steps);
    expect(qemu.status).toBe(1); // isa-debug-exit: (0 << 1) | 1
    const ours = runTranscript({
      machine: disks(),
      script: steps.map((s) => `expect ${s.prompt}\nsend ${s.command}\\n`).join('\n'),
      timeoutMs: 30_000,
    });
    expect(ours.exitStatus).toBe(1);
    expect(ours.transcript).toContain('hello, world');
    expect(ours.transcript).toContain('migrate me');
    expect(ours.transcript).toBe(qemu.transcript);
  });
});

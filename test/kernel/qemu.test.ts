// The QEMU cross-check: images/jos86.img boots unchanged on qemu-system-i386
// (SeaBIOS, TCG), and a deterministic program prints exactly the same
// console transcript there as on jos86.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runTranscript } from '../golden-runner.ts';
import { MemoryBlockDevice } from '../../src/devices/ide.ts';
import { readFileSync } from 'node:fs';

const IMAGE = fileURLToPath(new URL('../../images/jos86.img', import.meta.url));

/**
 * Boot the image on QEMU and type each command at a monitor prompt, waiting
 * for the prompt (the kernel polls its UART, so input typed too early is lost).
 */
function runOnQemu(commands: string[]): Promise<{ transcript: string; status: number | null }> {
  return new Promise((resolve, reject) => {
    const qemu = spawn('qemu-system-i386', [
      '-m', '128', '-drive', `file=${IMAGE},format=raw,index=0,media=disk,snapshot=on`,
      '-serial', 'stdio', '-display', 'none', '-no-reboot', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
    ]);
    let transcript = '';
    let prompts = 0;
    const timer = setTimeout(() => {
      qemu.kill();
      reject(new Error(`QEMU did not finish; transcript so far:\n${transcript}`));
    }, 60_000);
    qemu.on('error', (error) => reject(new Error(`cannot run qemu-system-i386 (install qemu-system-x86): ${error.message}`)));
    qemu.stdout.on('data', (chunk: Buffer) => {
      transcript += chunk.toString('latin1');
      const seen = transcript.split('K> ').length - 1;
      while (prompts < seen && prompts < commands.length) qemu.stdin.write(`${commands[prompts++]}\r`);
    });
    qemu.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ transcript, status });
    });
  });
}

describe('QEMU cross-check', () => {
  it('hello prints the same transcript on QEMU and on jos86', async () => {
    const commands = ['run hello', 'poweroff'];
    const qemu = await runOnQemu(commands);
    expect(qemu.status).toBe(1); // isa-debug-exit: (0 << 1) | 1
    const ours = runTranscript({
      machine: { hda: new MemoryBlockDevice(new Uint8Array(readFileSync(IMAGE))) },
      script: commands.map((c) => `expect K> \nsend ${c}\\n`).join('\n'),
      timeoutMs: 20_000,
    });
    expect(ours.exitStatus).toBe(1);
    expect(ours.transcript).toContain('hello, world');
    expect(ours.transcript).toBe(qemu.transcript);
  });
});

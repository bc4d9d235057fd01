// Converting a disk in the guest (src/fs/disk.c): a conversion killed half
// way, in the middle of writing a step, resumes at the next boot with no
// file lost; the `encrypt` program converts the running disk and the file
// server serves it encrypted at once. The host tool checks every result with
// its own cryptography (node:crypto).
import { describe, expect, it } from 'vitest';
import { PcMachine } from '../../src/machine/pc.ts';
import { PromptAnswerer, diskPasswordAnswers } from '../../src/host/answers.ts';
import { BLKSIZE } from '../../src/host/fs/layout.ts';
import { CRYPT_STATE_CONVERTING, CRYPT_STATE_READY, blockIsEncrypted, parseHeader } from '../../src/host/fs/crypt.ts';
import { GOLDEN_SEED, runTranscript } from '../golden-runner.ts';
import { disks, MONITOR, PROMPT } from '../kernel/shell.ts';
import { FILES, PASSWORD, cksum, expectFilesIntact, expectNoPlaintext, hostDecrypt, smallPlainDisk, smallRequestedDisk } from './encrypted-disk.ts';

const TEST_TIMEOUT = 600_000;
const VIRTUAL_LIMIT_NS = 120e9;

/** Has the step the header records started landing on the disk: its first block written, its last not yet? */
function stepHalfWritten(bytes: Uint8Array): boolean {
  const header = parseHeader(bytes);
  if (header.state !== CRYPT_STATE_CONVERTING || header.convertCount === 0) return false;
  const block = (b: number) => bytes.subarray(b * BLKSIZE, (b + 1) * BLKSIZE);
  const first = header.convertNext;
  const last = first + header.convertCount - 1;
  return blockIsEncrypted(header, first, block(first)) && !blockIsEncrypted(header, last, block(last));
}

/**
 * Boot a disk that asks to be encrypted, answer the password prompts, and
 * "kill" the machine once the conversion is past half way and a step is
 * half written: the disk bytes at that instant.
 */
function killDuringConversion(requested: Uint8Array): { disk: Uint8Array; transcript: string } {
  const machineDisks = disks(requested);
  let transcript = '';
  const machine = new PcMachine({ seed: GOLDEN_SEED, ...machineDisks, serialOut: (byte) => (transcript += String.fromCharCode(byte)), log: () => {} });
  const typed: number[] = [];
  const answerer = new PromptAnswerer(diskPasswordAnswers(PASSWORD), (text) => typed.push(...new TextEncoder().encode(text)));
  machine.serialTaps.push((byte) => answerer.output(byte));
  const slice = (ns: number) => {
    while (typed.length && machine.typeSerial(typed[0])) typed.shift();
    machine.runFor(ns);
    if (machine.clock.now > VIRTUAL_LIMIT_NS || machine.stopReason) throw new Error(`no kill point found:\n${transcript}`);
  };
  while (!transcript.includes('fs: encrypting the disk: 50%')) slice(1e6);
  // Small slices (2000 instructions) now, to stop inside the write of a step.
  while (!stepHalfWritten(machineDisks.hdb.bytes)) slice(20_000);
  return { disk: machineDisks.hdb.bytes.slice(), transcript };
}

describe('converting a disk in the guest', () => {
  it('killed in the middle of a step, the conversion resumes at the next boot and no file is lost', { timeout: TEST_TIMEOUT }, async () => {
    const { disk, transcript } = killDuringConversion(smallRequestedDisk());
    expect(transcript).not.toContain('fs: the disk is encrypted');
    const header = parseHeader(disk);
    expect(header.state).toBe(CRYPT_STATE_CONVERTING);
    // The host tool reads the half-converted disk by the same rule as the guest.
    expectFilesIntact(await hostDecrypt(disk));

    const machineDisks = disks(disk);
    const steps = ['expect Password for the disk: ', `send ${PASSWORD}\\n`];
    for (const command of ['cat /note.txt', 'cksum /data/secret-data.bin', 'ls /bin']) steps.push(`expect ${PROMPT}`, `send ${command}\\n`);
    steps.push(`expect ${PROMPT}`, 'send exit\\n', `expect ${MONITOR}`, 'send poweroff\\n');
    const run = runTranscript({ machine: machineDisks, script: steps.join('\n'), timeoutMs: 120_000 });
    expect(run.transcript).toContain(`fs: resuming the interrupted encryption of the disk at block ${header.convertNext}\n`);
    expect(run.transcript).toContain('fs: encrypting the disk: 100%\nfs: the disk is encrypted\n');
    expect(run.transcript).toContain(new TextDecoder().decode(FILES['/note.txt']));
    expect(run.transcript).toContain(`/data/secret-data.bin: 40000 bytes, checksum ${cksum(FILES['/data/secret-data.bin'])}`);
    const after = machineDisks.hdb.bytes;
    expect(parseHeader(after).state).toBe(CRYPT_STATE_READY);
    const plain = await hostDecrypt(after);
    expectFilesIntact(plain);
    expectNoPlaintext(after, plain);
  });

  it('the encrypt program converts the running disk; files written before and after read back on the host', { timeout: TEST_TIMEOUT }, async () => {
    const machineDisks = disks(smallPlainDisk());
    const steps: string[] = [];
    const command = (text: string) => steps.push(`expect ${PROMPT}`, `send ${text}\\n`);
    command('passwd');
    command('echo before the conversion > /before.txt');
    command('encrypt');
    steps.push('expect New password for the disk: ', `send ${PASSWORD}\\n`, 'expect New password again: ', `send ${PASSWORD}\\n`);
    command('echo after the conversion > /after.txt');
    command('cat /before.txt');
    command('encrypt');
    command('sync');
    steps.push(`expect ${PROMPT}`, 'send exit\\n', `expect ${MONITOR}`, 'send poweroff\\n');
    const run = runTranscript({ machine: machineDisks, script: steps.join('\n'), timeoutMs: 120_000 });
    expect(run.transcript).toContain('passwd: the disk is not encrypted');
    expect(run.transcript).toContain('fs: the disk is encrypted\n');
    expect(run.transcript).toContain('encrypt: done; the disk asks for this password at every boot');
    expect(run.transcript).toContain('before the conversion\n');
    expect(run.transcript).toContain('encrypt: the disk is already encrypted');
    const raw = machineDisks.hdb.bytes;
    const plain = await hostDecrypt(raw);
    expectFilesIntact(plain);
    expect(new TextDecoder().decode(plain.readFile('/before.txt'))).toBe('before the conversion\n');
    expect(new TextDecoder().decode(plain.readFile('/after.txt'))).toBe('after the conversion\n');
    expectNoPlaintext(raw, plain);
  });
});

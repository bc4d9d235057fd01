// The encrypted disk in the guest (src/fs/disk.c, src/fs/CRYPT.md), booted
// from the shell's point of view: golden transcripts of a first boot that
// encrypts a disk asking for it, of a boot with the right password, and of
// three wrong ones (after which the image must be byte-identical); each
// disk the guest wrote is then read by the host tool's own cryptography.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { diskPasswordAnswers } from '../../src/host/answers.ts';
import { isEncrypted, parseHeader, CRYPT_STATE_READY } from '../../src/host/fs/crypt.ts';
import { expectGolden, runTranscript } from '../golden-runner.ts';
import { disks, MONITOR, PROMPT } from '../kernel/shell.ts';
import { FILES, PASSWORD, cksum, expectFilesIntact, expectNoPlaintext, hostDecrypt, smallEncryptedDisk, smallRequestedDisk } from './encrypted-disk.ts';

const TIMEOUT_MS = 120_000; // virtual
const TEST_TIMEOUT = 600_000; // host: PBKDF2 and XTS run in the emulated guest

/** Boot with `fs`, play the script lines, end at the monitor with poweroff. */
function boot(fs: Uint8Array, lines: string[], answers?: ReturnType<typeof diskPasswordAnswers>) {
  const machine = disks(fs);
  const script = [...lines, `expect ${MONITOR}`, 'send poweroff\\n'].join('\n');
  const run = runTranscript({ machine, script, timeoutMs: TIMEOUT_MS, answers });
  return { ...run, fsImage: machine.hdb.bytes };
}

/** Shell commands, then exit. */
function shell(commands: string[]): string[] {
  return [...commands.flatMap((command) => [`expect ${PROMPT}`, `send ${command}\\n`]), `expect ${PROMPT}`, 'send exit\\n'];
}

const unlock = (password: string) => ['expect Password for the disk: ', `send ${password}\\n`];

describe('the encrypted disk in the guest', () => {
  it('first boot: a disk that asks for it is encrypted in place, with progress; the host tool reads it, and no plaintext is left', { timeout: TEST_TIMEOUT }, async () => {
    const requested = smallRequestedDisk();
    const run = boot(requested, [
      'expect New password for the disk: ', 'send one\\n', 'expect New password again: ', 'send two\\n', // a mismatch is asked again
      'expect New password for the disk: ', `send ${PASSWORD}\\n`, 'expect New password again: ', `send ${PASSWORD}\\n`,
      ...shell(['ls -l /', 'cat /note.txt', 'cksum /data/secret-data.bin']),
    ]);
    expect(run.transcript).toContain('fs: the two passwords differ; try again');
    expect(run.transcript).toContain('fs: encrypting the disk: 50%');
    expect(run.transcript).toContain('fs: the disk is encrypted\n');
    expect(run.transcript).toContain(new TextDecoder().decode(FILES['/note.txt']));
    expect(run.transcript).toContain(`/data/secret-data.bin: 40000 bytes, checksum ${cksum(FILES['/data/secret-data.bin'])}`);
    expectGolden('fs-encrypt-first-boot', run.transcript);
    expect(isEncrypted(run.fsImage)).toBe(true);
    expect(parseHeader(run.fsImage).state).toBe(CRYPT_STATE_READY);
    const plain = await hostDecrypt(run.fsImage);
    expectFilesIntact(plain);
    expectNoPlaintext(run.fsImage, plain);
    await expect(hostDecrypt(run.fsImage, 'one')).rejects.toThrow('wrong password');
  });

  it('a later boot asks for the password before serving; what the guest writes the host tool reads', { timeout: TEST_TIMEOUT }, async () => {
    const run = boot(smallEncryptedDisk(), [
      ...unlock(PASSWORD),
      ...shell(['ls -l /', 'cat /note.txt', 'echo written in the guest > /data/guest.txt', 'writefile /data/w.bin 30000', 'cksum /data/secret-data.bin']),
    ]);
    expect(run.transcript).toContain(new TextDecoder().decode(FILES['/note.txt']));
    expectGolden('fs-encrypted-unlock', run.transcript);
    const plain = await hostDecrypt(run.fsImage);
    expectFilesIntact(plain);
    expect(new TextDecoder().decode(plain.readFile('/data/guest.txt'))).toBe('written in the guest\n');
    const sum = /\/data\/w.bin: 30000 bytes, checksum ([0-9a-f]{8})/.exec(run.transcript)?.[1];
    expect(cksum(plain.readFile('/data/w.bin'))).toBe(sum);
    expectNoPlaintext(run.fsImage, plain);
  });

  it('three wrong passwords: the file server says so each time, then stops without writing a byte', { timeout: TEST_TIMEOUT }, () => {
    const disk = smallEncryptedDisk();
    // The answers are typed at each prompt, as `jos86 run --password-file` does.
    const run = boot(disk.slice(), [], diskPasswordAnswers('not the password'));
    expect(run.transcript.split('fs: wrong password\n').length - 1).toBe(3);
    expect(run.transcript).toContain('fs: 3 wrong passwords; nothing was written to the disk\nfs: the file server stops');
    expect(run.transcript).not.toContain(PROMPT);
    expectGolden('fs-encrypted-wrong-password', run.transcript);
    expect(Buffer.from(run.fsImage).equals(Buffer.from(disk))).toBe(true);
  });

  it('a corrupt header: the file server says so and stops, writing nothing', { timeout: TEST_TIMEOUT }, () => {
    const disk = smallEncryptedDisk();
    disk[200] ^= 1; // a conversion digest byte: only the checksum can tell
    const run = boot(disk.slice(), []);
    expect(run.transcript).toContain("fs: the disk's encryption header is corrupt; nothing is written");
    expect(run.transcript).not.toContain('Password for the disk');
    expect(Buffer.from(run.fsImage).equals(Buffer.from(disk))).toBe(true);
  });

  it('a header of an unknown version: refused with its numbers, nothing written', { timeout: TEST_TIMEOUT }, () => {
    const disk = smallEncryptedDisk();
    new DataView(disk.buffer).setUint32(8, 2, true); // ch_version
    disk.set(createHash('sha256').update(disk.subarray(0, 480)).digest(), 480); // a sound checksum
    const run = boot(disk.slice(), []);
    expect(run.transcript).toContain("fs: the disk's encryption header (version 2, cipher 1, key derivation 1) is of a kind this server does not read; nothing is written");
    expect(Buffer.from(run.fsImage).equals(Buffer.from(disk))).toBe(true);
  });

  it('passwd re-wraps the key: a wrong old password is refused; then the host unlocks with the new one only', { timeout: TEST_TIMEOUT }, async () => {
    const disk = smallEncryptedDisk();
    const run = boot(disk, [
      ...unlock(PASSWORD),
      `expect ${PROMPT}`, 'send passwd\\n',
      'expect Old password for the disk: ', 'send wrong\\n', 'expect New password for the disk: ', 'send new secret\\n', 'expect New password again: ', 'send new secret\\n',
      `expect ${PROMPT}`, 'send passwd\\n',
      'expect Old password for the disk: ', `send ${PASSWORD}\\n`, 'expect New password for the disk: ', 'send new secret\\n', 'expect New password again: ', 'send new secret\\n',
      `expect ${PROMPT}`, 'send exit\\n',
    ]);
    expect(run.transcript).toContain('passwd: wrong password; the password is unchanged');
    expect(run.transcript).toContain('passwd: password changed');
    // Only the header changed: the data blocks are as they were.
    expect(Buffer.from(run.fsImage.subarray(4096)).equals(Buffer.from(disk.subarray(4096)))).toBe(true);
    expectFilesIntact(await hostDecrypt(run.fsImage, 'new secret'));
    await expect(hostDecrypt(run.fsImage, PASSWORD)).rejects.toThrow('wrong password');
  });
});

// `jos86 fs` and the request to encrypt a disk at its next boot (src/fs/CRYPT.md,
// "Encrypt at boot"): mkfs --encrypt-at-boot and encrypt --at-boot write it;
// every other subcommand treats such an image as the plain one it is and
// keeps the request when it writes; `jos86 fs encrypt` does the conversion on
// the host instead, with the iteration count the request names.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRYPT_HEADER_SIZE, CRYPT_STATE_READY, CRYPT_STATE_REQUESTED, isConversionRequest, isEncrypted, parseHeader } from '../../src/host/fs/crypt.ts';
import { BLKSIZE } from '../../src/host/fs/layout.ts';
import { jos86, text } from './fs-harness.ts';

let dir: string;
const note = 'plain until the guest boots it\n';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'jos86-cli-request-'));
  mkdirSync(join(dir, 'tree'));
  writeFileSync(join(dir, 'tree/note.txt'), note);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const u32 = (bytes: Uint8Array, offset: number) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(offset, true);

describe('the request to encrypt at boot', () => {
  it('mkfs --encrypt-at-boot: a plain image with the request in block 0, no key in it', async () => {
    const image = join(dir, 'req.img');
    const made = await jos86('fs', 'mkfs', '--encrypt-at-boot', '--iterations', '7', image, join(dir, 'tree'), '--size', '1');
    expect(made.stderr).toBe('');
    expect(text(made)).toContain('to be encrypted at its first boot');
    const raw = readFileSync(image);
    expect(isConversionRequest(raw)).toBe(true);
    expect(isEncrypted(raw)).toBe(false);
    expect(raw.subarray(0, 8).toString('latin1')).toBe('J86CRYPT');
    expect(u32(raw, 156)).toBe(CRYPT_STATE_REQUESTED);
    expect(u32(raw, 20)).toBe(7);
    expect(u32(raw, 152)).toBe(256);
    expect(raw.subarray(24, 152).every((byte) => byte === 0)).toBe(true); // salt, wrapped key, key check
    expect(raw.subarray(CRYPT_HEADER_SIZE, BLKSIZE).every((byte) => byte === 0)).toBe(true);
    expect(() => parseHeader(raw)).toThrow('not encrypted yet');
  });

  it('ls, cat, fsck and put work on it without a password, and put keeps the request', async () => {
    const image = join(dir, 'req2.img');
    await jos86('fs', 'mkfs', '--encrypt-at-boot', image, join(dir, 'tree'), '--size', '1');
    expect(text(await jos86('fs', 'cat', image, '/note.txt'))).toBe(note);
    const fsck = await jos86('fs', 'fsck', image);
    expect(fsck.code).toBe(0);
    expect(text(fsck)).toContain('clean');
    const request = readFileSync(image).subarray(0, BLKSIZE);
    writeFileSync(join(dir, 'extra.txt'), 'added on the host\n');
    expect((await jos86('fs', 'put', image, join(dir, 'extra.txt'), '/extra.txt')).code).toBe(0);
    const after = readFileSync(image);
    expect(after.subarray(0, BLKSIZE).equals(request)).toBe(true);
    expect(text(await jos86('fs', 'cat', image, '/extra.txt'))).toBe('added on the host\n');
  });

  it('encrypt --at-boot writes only block 0 of a plain image, and refuses twice or an encrypted one', async () => {
    const image = join(dir, 'plain.img');
    await jos86('fs', 'mkfs', image, join(dir, 'tree'), '--size', '1');
    const before = readFileSync(image);
    const done = await jos86('fs', 'encrypt', '--at-boot', image);
    expect(done.stderr).toBe('');
    const after = readFileSync(image);
    expect(isConversionRequest(after)).toBe(true);
    expect(after.subarray(BLKSIZE).equals(before.subarray(BLKSIZE))).toBe(true);
    const again = await jos86('fs', 'encrypt', '--at-boot', image);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already asks to be encrypted');
    const encrypted = join(dir, 'enc.img');
    await jos86('fs', 'mkfs', '--encrypt', '--password', 'pw', encrypted, join(dir, 'tree'), '--size', '1');
    const refused = await jos86('fs', 'encrypt', '--at-boot', encrypted);
    expect(refused.stderr).toContain('already encrypted');
  });

  it('jos86 fs encrypt on a requested image encrypts it on the host, with the requested iteration count', async () => {
    const image = join(dir, 'req3.img');
    await jos86('fs', 'mkfs', '--encrypt-at-boot', '--iterations', '5', image, join(dir, 'tree'), '--size', '1');
    const done = await jos86('fs', 'encrypt', '--password', 'pw', image);
    expect(done.stderr).toBe('');
    const raw = readFileSync(image);
    const header = parseHeader(raw);
    expect(header.state).toBe(CRYPT_STATE_READY);
    expect(header.iterations).toBe(5);
    expect(text(await jos86('fs', 'cat', image, '/note.txt', '--password', 'pw'))).toBe(note);
  });
});

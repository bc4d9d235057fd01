// `jos86 fs` on encrypted images (src/fs/CRYPT.md): mkfs --encrypt, then the
// ordinary subcommands with a password from the command line, a file or a
// prompt; wrong passwords and damaged headers refused with the file
// byte-identical; no plaintext of a file anywhere in the raw image; passwd,
// encrypt and decrypt.

import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CH_ITERATIONS, CRYPT_DEFAULT_ITERATIONS, isEncrypted, parseHeader, serializeHeader } from '../../src/host/fs/crypt.ts';
import { BLKSIZE } from '../../src/host/fs/layout.ts';
import { jos86, jos86WithTerminal, scriptedTerminal, text } from './fs-harness.ts';

let dir: string;
let image: string;
const secret = 'The launch code is SWORDFISH-7731; do not write it down.\n';
const bigSecret = Buffer.from(Array.from({ length: 3000 }, (_, i) => `line ${i} of the diary\n`).join(''));
const fingerprint = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'jos86-cli-crypt-'));
  mkdirSync(join(dir, 'tree/docs'), { recursive: true });
  writeFileSync(join(dir, 'tree/secret.txt'), secret);
  writeFileSync(join(dir, 'tree/docs/diary'), bigSecret);
  writeFileSync(join(dir, 'pwfile'), 'open sesame\n');
  image = join(dir, 'enc.img');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Does the raw image hold a 16-byte run of `plaintext` (one taken every `step` bytes)? */
function leaks(raw: Buffer, plaintext: Buffer, step = 16): boolean {
  for (let at = 0; at + 16 <= plaintext.length; at += step) if (raw.includes(plaintext.subarray(at, at + 16))) return true;
  return false;
}

describe('jos86 fs on encrypted images', () => {
  it('mkfs --encrypt makes an image that ls, cat, get and fsck read with the password', async () => {
    const made = await jos86('fs', 'mkfs', '--encrypt', '--password', 'open sesame', image, join(dir, 'tree'), '--size', '2');
    expect(made.stderr).toBe('');
    expect(text(made)).toMatch(/enc\.img: 512 blocks \(2 MiB\), \d+ in use, \d+ free, from .*, encrypted\n/);
    const raw = readFileSync(image);
    expect(raw.length).toBe(2 * 1024 * 1024);
    expect(isEncrypted(raw)).toBe(true);
    expect(parseHeader(raw).iterations).toBe(CRYPT_DEFAULT_ITERATIONS);

    expect(text(await jos86('fs', 'ls', image, '--password', 'open sesame'))).toBe('docs\nsecret.txt\n');
    expect(text(await jos86('fs', 'cat', image, '/secret.txt', '--password-file', join(dir, 'pwfile')))).toBe(secret);
    const got = join(dir, 'diary.out');
    expect((await jos86('fs', 'get', image, '/docs/diary', got, '--password', 'open sesame')).code).toBe(0);
    expect(readFileSync(got).equals(bigSecret)).toBe(true);
    const checked = await jos86('fs', 'fsck', image, '--password', 'open sesame');
    expect(checked.code).toBe(0);
    expect(text(checked)).toMatch(/enc\.img: clean, \d+ of 512 blocks in use, encrypted\n/);
  });

  it('keeps no plaintext of the files in the raw image, superblock included', async () => {
    const raw = readFileSync(image);
    expect(leaks(raw, Buffer.from(secret))).toBe(false);
    expect(leaks(raw, bigSecret, 256)).toBe(false);
    expect(raw.includes(Buffer.from('secret.txt'))).toBe(false);
    expect(raw.includes(Buffer.from('J86F'))).toBe(false);
    // The same scan finds them in the decrypted copy, so it would have caught a leak.
    const plain = join(dir, 'plain.img');
    expect((await jos86('fs', 'decrypt', image, plain, '--password', 'open sesame')).code).toBe(0);
    const decrypted = readFileSync(plain);
    expect(leaks(decrypted, Buffer.from(secret))).toBe(true);
    expect(decrypted.subarray(0, BLKSIZE).every((byte) => byte === 0)).toBe(true);
    expect(text(await jos86('fs', 'fsck', plain))).toMatch(/clean/);
  });

  it('put, mkdir and rm work through the password and keep the image clean and encrypted', async () => {
    const host = join(dir, 'upload');
    writeFileSync(host, 'uploaded while encrypted\n');
    const pw = ['--password', 'open sesame'];
    expect((await jos86('fs', 'mkdir', image, '/new/dir', '-p', ...pw)).code).toBe(0);
    expect((await jos86('fs', 'put', image, host, '/new/dir', ...pw)).code).toBe(0);
    expect((await jos86('fs', 'rm', image, '/docs/diary', ...pw)).code).toBe(0);
    expect(text(await jos86('fs', 'cat', image, '/new/dir/upload', ...pw))).toBe('uploaded while encrypted\n');
    expect(text(await jos86('fs', 'ls', image, '/docs', ...pw))).toBe('');
    expect((await jos86('fs', 'fsck', image, ...pw)).code).toBe(0);
    expect(readFileSync(image).includes(Buffer.from('uploaded while encrypted'))).toBe(false);
  });

  it('refuses a wrong or missing password, a damaged header and another version, leaving the file byte-identical', async () => {
    const before = fingerprint(image);
    const upload = join(dir, 'upload');
    const cases: [string[], string][] = [
      [['ls', image, '--password', 'open sesame!'], 'jos86 fs ls: wrong password\n'],
      [['put', image, upload, '--password', 'wrong'], 'jos86 fs put: wrong password\n'],
      [['rm', image, '/secret.txt', '--password', ''], 'jos86 fs rm: wrong password\n'],
      [['fsck', image, '--password', 'wrong'], 'jos86 fs fsck: wrong password\n'],
      [['passwd', image, '--password', 'wrong', '--new-password', 'x'], 'jos86 fs passwd: wrong password\n'],
      [['decrypt', image, join(dir, 'never.img'), '--password', 'wrong'], 'jos86 fs decrypt: wrong password\n'],
      [['cat', image, '/secret.txt'], `jos86 fs cat: password for ${image} is needed: give --password or --password-file (stdin is not a terminal to ask on)\n`],
      [['encrypt', image, '--password', 'x'], `jos86 fs encrypt: ${image} is already encrypted\n`],
    ];
    for (const [args, message] of cases) {
      const result = await jos86('fs', ...args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr, args.join(' ')).toBe(message);
      expect(fingerprint(image), args.join(' ')).toBe(before);
    }

    const damaged = join(dir, 'damaged.img');
    const raw = new Uint8Array(readFileSync(image));
    raw[CH_ITERATIONS] ^= 0x40;
    writeFileSync(damaged, raw);
    const corrupt = await jos86('fs', 'put', damaged, upload, '--password', 'open sesame');
    expect(corrupt.stderr).toBe('jos86 fs put: the encryption header is corrupt (bad checksum)\n');
    raw[CH_ITERATIONS] ^= 0x40;
    raw.set(serializeHeader({ ...parseHeader(raw), version: 9 }), 0);
    writeFileSync(damaged, raw);
    const future = await jos86('fs', 'ls', damaged, '--password', 'open sesame');
    expect(future.stderr).toBe('jos86 fs ls: unsupported encryption header version 9 (this tool reads version 1)\n');
  });

  it('passwd re-wraps the key: the new password reads the same data, the old one no longer does', async () => {
    const before = readFileSync(image);
    const changed = await jos86('fs', 'passwd', image, '--password', 'open sesame', '--new-password', 'correct horse', '--iterations', '1500');
    expect(changed.stderr).toBe('');
    expect(text(changed)).toBe(`${image}: password changed\n`);
    const after = readFileSync(image);
    // Only the header changed: every data block is byte-identical.
    expect(after.subarray(BLKSIZE).equals(before.subarray(BLKSIZE))).toBe(true);
    expect(after.subarray(0, 512).equals(before.subarray(0, 512))).toBe(false);
    expect(parseHeader(after).iterations).toBe(1500);
    expect(text(await jos86('fs', 'cat', image, '/secret.txt', '--password', 'correct horse'))).toBe(secret);
    expect((await jos86('fs', 'cat', image, '/secret.txt', '--password', 'open sesame')).stderr).toBe('jos86 fs cat: wrong password\n');
  });

  it('asks at the terminal, twice for a new password, and refuses two that differ or an empty one', async () => {
    const prompts: string[] = [];
    const listed = await jos86WithTerminal(scriptedTerminal(['correct horse'], prompts), 'fs', 'ls', image);
    expect(text(listed)).toBe('docs\nsecret.txt\nnew\n');
    expect(prompts).toEqual([`Password for ${image}: `]);

    const asked: string[] = [];
    const typed = join(dir, 'typed.img');
    const made = await jos86WithTerminal(scriptedTerminal(['typed pw', 'typed pw'], asked), 'fs', 'mkfs', '--encrypt', typed, '--blocks', '64');
    expect(made.code).toBe(0);
    expect(asked).toEqual([`New password for ${typed}: `, `New password for ${typed} (again): `]);
    expect((await jos86('fs', 'fsck', typed, '--password', 'typed pw')).code).toBe(0);

    const mismatch = await jos86WithTerminal(scriptedTerminal(['correct horse', 'one', 'two']), 'fs', 'passwd', image);
    expect(mismatch.stderr).toBe('jos86 fs passwd: the two passwords differ\n');
    const empty = await jos86WithTerminal(scriptedTerminal(['']), 'fs', 'mkfs', '--encrypt', join(dir, 'empty.img'));
    expect(empty.stderr).toBe('jos86 fs mkfs: refusing an empty password\n');
  });

  it('encrypt converts a plain image in place; decrypt gives back the same plain bytes', async () => {
    const plainPath = join(dir, 'convert.img');
    expect((await jos86('fs', 'mkfs', plainPath, join(dir, 'tree'), '--blocks', '128')).code).toBe(0);
    const original = readFileSync(plainPath);
    const converted = await jos86('fs', 'encrypt', plainPath, '--password', 'p', '--seed', 'fixed');
    expect(text(converted)).toBe(`${plainPath}: encrypted\n`);
    expect(leaks(readFileSync(plainPath), Buffer.from(secret))).toBe(false);
    const back = join(dir, 'back.img');
    expect((await jos86('fs', 'decrypt', plainPath, back, '--password', 'p')).code).toBe(0);
    expect(readFileSync(back).equals(original)).toBe(true);
  });

  it('with --seed (or JOS86_CRYPT_SEED) makes the same encrypted image twice; without, a different key each time', async () => {
    const paths = ['a', 'b', 'c', 'd'].map((name) => join(dir, `seeded-${name}.img`));
    await jos86('fs', 'mkfs', '--encrypt', '--password', 'pw', '--seed', 's1', paths[0], join(dir, 'tree'));
    process.env.JOS86_CRYPT_SEED = 's1';
    try {
      await jos86('fs', 'mkfs', '--encrypt', '--password', 'pw', paths[1], join(dir, 'tree'));
    } finally {
      delete process.env.JOS86_CRYPT_SEED;
    }
    await jos86('fs', 'mkfs', '--encrypt', '--password', 'pw', paths[2], join(dir, 'tree'));
    await jos86('fs', 'mkfs', '--encrypt', '--password', 'pw', paths[3], join(dir, 'tree'));
    expect(fingerprint(paths[0])).toBe(fingerprint(paths[1]));
    expect(fingerprint(paths[2])).not.toBe(fingerprint(paths[3]));
  });
});

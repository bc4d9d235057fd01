// The encrypted-disk format has two implementations: the guest's C
// (src/fs/crypt.c over src/fs/crypto, struct in src/fs/crypt.h) and the host
// tool (src/host/fs/crypt.ts, node:crypto). Compile the C with the guest's
// flags, check that crypt.h and crypt.ts agree on every offset and constant,
// then have each side read what the other wrote: C unlocks an image the host
// tool encrypted and finds the superblock; the host tool unlocks a header C
// made and re-wrapped; both agree which blocks of a half-converted disk are
// ciphertext.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as crypt from '../../src/host/fs/crypt.ts';
import { FsImage } from '../../src/host/fsimage.ts';
import { BLKSIZE, FS_MAGIC } from '../../src/host/fs/layout.ts';
import { CRYPTO_SOURCES, buildGuestObjects, linkDriver } from './guest-c.ts';

let workDir: string;
let driver: string;
const password = (text: string) => new Uint8Array(Buffer.from(text));
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'jos86-crypt-format-'));
  const objects = buildGuestObjects(workDir, [...CRYPTO_SOURCES, 'src/fs/crypt.c']);
  driver = linkDriver(workDir, 'crypt-driver.c', objects, ['src/fs']);
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const runDriver = (...args: string[]) => execFileSync(driver, args, { encoding: 'utf8', maxBuffer: 1 << 26 }).trimEnd().split('\n');

/** A small file system with one known file, encrypted by the host tool. */
function hostEncryptedImage(seed: string, text: string) {
  const image = FsImage.create(64);
  image.writeFile('/secret', new Uint8Array(Buffer.from(text)));
  const random = crypt.randomSource(seed);
  const masterKey = crypt.newMasterKey(random);
  const header = crypt.createHeader(masterKey, password(text), image.nblocks, { random, iterations: 50 });
  return { plain: image.bytes, masterKey, bytes: crypt.encryptImage(image.bytes, header, masterKey) };
}

describe('src/fs/crypt.h and src/host/fs/crypt.ts', () => {
  it('agree on the header layout and every constant', () => {
    const c = Object.fromEntries(runDriver('layout').map((line) => line.split(/ (.*)/s).slice(0, 2)));
    const ts = crypt as unknown as Record<string, number | string>;
    for (const [name, value] of Object.entries(c)) {
      expect(String(ts[name]), name).toBe(value);
    }
    expect(Object.keys(c)).toHaveLength(31);
  });

  it('C unlocks an image the host tool encrypted and finds the superblock; a wrong password is refused', () => {
    const { plain, masterKey, bytes } = hostEncryptedImage('c-unlock', 'hunter2');
    const path = join(workDir, 'host.img');
    writeFileSync(path, bytes);
    const [code, key, superblock] = runDriver('unlock', path, 'hunter2');
    expect(code).toBe('0');
    expect(key).toBe(hex(masterKey));
    expect(superblock).toBe(hex(plain.subarray(BLKSIZE, 2 * BLKSIZE)));
    expect(Buffer.from(superblock, 'hex').readUInt32LE(0)).toBe(FS_MAGIC);
    expect(runDriver('unlock', path, 'hunter3')).toEqual(['-4']);
  });

  it('C rejects a header with a flipped byte, a plain image and another version', () => {
    const { bytes } = hostEncryptedImage('c-reject', 'pw');
    const path = join(workDir, 'bad.img');
    const flipped = new Uint8Array(bytes);
    flipped[crypt.CH_SALT] ^= 1;
    writeFileSync(path, flipped);
    expect(runDriver('unlock', path, 'pw')).toEqual(['-2']);
    writeFileSync(path, FsImage.create(64).bytes);
    expect(runDriver('unlock', path, 'pw')).toEqual(['-1']);
    const header = crypt.parseHeader(bytes);
    const future = new Uint8Array(bytes);
    future.set(crypt.serializeHeader({ ...header, version: 2 }), 0);
    writeFileSync(path, future);
    expect(runDriver('unlock', path, 'pw')).toEqual(['-3']);
  });

  it('the host tool unlocks a header made by C, and one re-wrapped by C under a new password', () => {
    const masterKey = crypt.newMasterKey(crypt.randomSource('c-made'));
    const salt = crypt.randomSource('c-salt')(crypt.CRYPT_SALT_SIZE);
    const path = join(workDir, 'header');
    runDriver('init', path, '1000', '77', hex(masterKey), hex(salt), 'from C');
    const sector = () => new Uint8Array(readFileSync(path));
    const header = crypt.parseHeader(Buffer.concat([sector(), Buffer.alloc(1000 * BLKSIZE - 512)]));
    expect(header).toMatchObject({ iterations: 77, nblocks: 1000, state: crypt.CRYPT_STATE_READY });
    expect(hex(header.salt)).toBe(hex(salt));
    expect(hex(crypt.unlock(header, password('from C')))).toBe(hex(masterKey));
    expect(() => crypt.unlock(header, password('from c'))).toThrow('wrong password');

    const newSalt = crypt.randomSource('c-salt-2')(crypt.CRYPT_SALT_SIZE);
    runDriver('rewrap', path, hex(masterKey), hex(newSalt), 'changed');
    const rewrapped = crypt.parseHeader(Buffer.concat([sector(), Buffer.alloc(1000 * BLKSIZE - 512)]));
    expect(hex(crypt.unlock(rewrapped, password('changed')))).toBe(hex(masterKey));
    expect(() => crypt.unlock(rewrapped, password('from C'))).toThrow('wrong password');
    // And the host tool's own wrap of the same key, salt and password gives the same bytes.
    const hostWrapped = crypt.rewrap(header, masterKey, password('changed'), { random: () => newSalt });
    expect(hex(crypt.serializeHeader(hostWrapped))).toBe(hex(sector()));
  });

  it('C and the host tool agree which blocks of a half-converted disk are ciphertext, and the host tool decrypts it', () => {
    const image = FsImage.create(100);
    image.writeFile('/notes', new Uint8Array(Buffer.from('converted in place '.repeat(2000))));
    const plain = image.bytes;
    const random = crypt.randomSource('convert');
    const masterKey = crypt.newMasterKey(random);
    // Blocks 1..39 done; the step of 40..71 was cut short after writing 40..55.
    const ready = crypt.createHeader(masterKey, password('pw'), 100, { random, iterations: 10 });
    const raw = new Uint8Array(plain);
    const digests = new Uint8Array(crypt.CRYPT_CONVERT_BATCH * crypt.CRYPT_DIGEST_SIZE);
    for (let b = 1; b < 72; b++) {
      const ciphertext = crypt.encryptBlock(masterKey, b, plain.subarray(b * BLKSIZE, (b + 1) * BLKSIZE));
      if (b >= 40) digests.set(crypt.conversionDigest(ciphertext), (b - 40) * crypt.CRYPT_DIGEST_SIZE);
      if (b < 56) raw.set(ciphertext, b * BLKSIZE);
    }
    const converting = { ...ready, state: crypt.CRYPT_STATE_CONVERTING, convertNext: 40, convertCount: 32, convertDigests: digests };
    raw.set(crypt.serializeHeader(converting), 0);
    const path = join(workDir, 'converting.img');
    writeFileSync(path, raw);

    const expected = Array.from({ length: 100 }, (_, b) => (b >= 1 && b < 56 ? '1' : '0')).join('');
    expect(runDriver('blocks', path)).toEqual(['0', expected]);
    const header = crypt.parseHeader(raw);
    expect(Array.from({ length: 100 }, (_, b) => (crypt.blockIsEncrypted(header, b, raw.subarray(b * BLKSIZE, (b + 1) * BLKSIZE)) ? '1' : '0')).join('')).toBe(expected);
    expect(hex(crypt.decryptImage(raw, header, crypt.unlock(header, password('pw'))))).toBe(hex(plain));
  });
});

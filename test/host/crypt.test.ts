// src/host/fs/crypt.ts and imagefile.ts: the header's round trip and its
// refusals, key wrapping, whole-image encryption against node:crypto
// directly, and finishing a conversion the guest left half done.

import { createDecipheriv } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as crypt from '../../src/host/fs/crypt.ts';
import { ImageFile, encryptInPlace } from '../../src/host/fs/imagefile.ts';
import { FsImage } from '../../src/host/fsimage.ts';
import { BLKSIZE } from '../../src/host/fs/layout.ts';

const pw = (text: string) => new Uint8Array(Buffer.from(text));
const ask = (text: string) => async () => pw(text);
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'jos86-crypt-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function encrypted(nblocks = 64, seed = 'unit') {
  const image = FsImage.create(nblocks);
  image.writeFile('/hello', pw('hello, encrypted world\n'));
  const random = crypt.randomSource(seed);
  const masterKey = crypt.newMasterKey(random);
  const header = crypt.createHeader(masterKey, pw('pw'), nblocks, { random, iterations: 20 });
  return { image, masterKey, header, bytes: crypt.encryptImage(image.bytes, header, masterKey) };
}

describe('the encryption header', () => {
  it('serializes and parses back field for field, with the checksum over bytes 0..479', () => {
    const { header, bytes } = encrypted();
    expect(crypt.parseHeader(bytes)).toEqual(header);
    expect(Buffer.from(bytes.subarray(0, 8)).toString()).toBe('J86CRYPT');
    expect(bytes.subarray(crypt.CRYPT_HEADER_SIZE, BLKSIZE).every((byte) => byte === 0)).toBe(true);
    expect(crypt.CH_CHECKSUM + crypt.CRYPT_CHECKSUM_SIZE).toBe(crypt.CRYPT_HEADER_SIZE);
  });

  it('refuses a missing magic, any flipped byte, an unknown version, cipher or KDF, and a truncated image', () => {
    const { header, bytes } = encrypted();
    expect(() => crypt.parseHeader(FsImage.create(64).bytes)).toThrow(/no J86CRYPT header/);
    for (const offset of [8, 20, 30, 100, 150, 160, 300, 479, 490]) {
      const damaged = new Uint8Array(bytes);
      damaged[offset] ^= 0x10;
      expect(() => crypt.parseHeader(damaged), `byte ${offset}`).toThrow(/corrupt \(bad checksum\)/);
    }
    const with_ = (change: Partial<crypt.CryptHeader>) => {
      const copy = new Uint8Array(bytes);
      copy.set(crypt.serializeHeader({ ...header, ...change }), 0);
      return copy;
    };
    expect(() => crypt.parseHeader(with_({ version: 2 }))).toThrow(expect.objectContaining({ code: 'EVERSION' }));
    expect(() => crypt.parseHeader(with_({ cipher: 7 }))).toThrow(/unknown cipher 7/);
    expect(() => crypt.parseHeader(with_({ kdf: 3 }))).toThrow(/unknown key derivation 3/);
    expect(() => crypt.parseHeader(with_({ iterations: 0 }))).toThrow(/iteration count of 0/);
    expect(() => crypt.parseHeader(with_({ state: 5 }))).toThrow(/unknown state 5/);
    expect(() => crypt.parseHeader(with_({ state: crypt.CRYPT_STATE_CONVERTING, convertNext: 60, convertCount: 10 }))).toThrow(/out of range/);
    expect(() => crypt.parseHeader(bytes.subarray(0, 10 * BLKSIZE))).toThrow(/truncated/);
  });

  it('unlocks with the right password only; re-wrapping changes the salt and the password, not the key', () => {
    const { header, masterKey } = encrypted();
    expect(crypt.unlock(header, pw('pw'))).toEqual(masterKey);
    expect(() => crypt.unlock(header, pw('pW'))).toThrow(expect.objectContaining({ code: 'EPASSWORD' }));
    const rewrapped = crypt.rewrap(header, masterKey, pw('new'), { random: crypt.randomSource('other') });
    expect(rewrapped.salt).not.toEqual(header.salt);
    expect(rewrapped.keyCheck).toEqual(header.keyCheck);
    expect(crypt.unlock(rewrapped, pw('new'))).toEqual(masterKey);
    expect(() => crypt.unlock(rewrapped, pw('pw'))).toThrow('wrong password');
  });
});

describe('whole images', () => {
  it('encrypts block b with XTS, unit b, as node:crypto decrypts it, and decrypts back to the plain view', () => {
    const { image, masterKey, header, bytes } = encrypted();
    for (const b of [1, 2, 3, 63]) {
      const tweak = Buffer.alloc(16);
      tweak.writeUInt32LE(b);
      const decipher = createDecipheriv('aes-256-xts', masterKey, tweak);
      const block = Buffer.concat([decipher.update(bytes.subarray(b * BLKSIZE, (b + 1) * BLKSIZE)), decipher.final()]);
      expect(block.equals(image.bytes.subarray(b * BLKSIZE, (b + 1) * BLKSIZE)), `block ${b}`).toBe(true);
    }
    expect(crypt.decryptImage(bytes, header, masterKey)).toEqual(image.bytes);
  });

  it('a seeded random source repeats itself; two seeds differ; a master key never has equal halves', () => {
    expect(crypt.randomSource('x')(100)).toEqual(crypt.randomSource('x')(100));
    expect(crypt.randomSource('x')(32)).not.toEqual(crypt.randomSource('y')(32));
    const halves = new Uint8Array(64).fill(7);
    let draws = 0;
    const key = crypt.newMasterKey((length) => (draws++ === 0 ? halves.slice(0, length) : crypt.randomSource('z')(length)));
    expect(draws).toBe(2);
    expect(Buffer.from(key.subarray(0, 32)).equals(key.subarray(32))).toBe(false);
  });

  it('ImageFile keeps the bytes past the disk, and saves unchanged blocks as the same ciphertext', async () => {
    const { bytes } = encrypted();
    const path = join(dir, 'tail.img');
    const tail = Buffer.from('trailing bytes the tool must keep');
    writeFileSync(path, Buffer.concat([bytes, tail]));
    const file = await ImageFile.load(path, ask('pw'));
    expect(file.encrypted).toBe(true);
    file.image.writeFile('/more', pw('another file'));
    file.save(path);
    const saved = readFileSync(path);
    expect(saved.subarray(saved.length - tail.length).equals(tail)).toBe(true);
    expect(saved.subarray(0, BLKSIZE).equals(Buffer.from(bytes.subarray(0, BLKSIZE)))).toBe(true);
    const changed = [...Array(64).keys()].filter((b) => !saved.subarray(b * BLKSIZE, (b + 1) * BLKSIZE).equals(bytes.subarray(b * BLKSIZE, (b + 1) * BLKSIZE)));
    // The root directory block, the bitmap and the new file's block: nothing else.
    expect(changed.length).toBe(3);
    expect(changed).toContain(2);
  });

  it('encrypt finishes a conversion the guest left half done, and no file is lost', async () => {
    const image = FsImage.create(80);
    const text = pw('survives the interrupted conversion '.repeat(500));
    image.writeFile('/kept', text);
    const random = crypt.randomSource('resume');
    const masterKey = crypt.newMasterKey(random);
    const ready = crypt.createHeader(masterKey, pw('pw'), 80, { random, iterations: 20 });
    // Blocks 1..9 done; the step for 10..41 wrote 10..20 before the power went.
    const raw = new Uint8Array(image.bytes);
    const digests = new Uint8Array(crypt.CRYPT_CONVERT_BATCH * crypt.CRYPT_DIGEST_SIZE);
    for (let b = 1; b < 42; b++) {
      const ciphertext = crypt.encryptBlock(masterKey, b, image.bytes.subarray(b * BLKSIZE, (b + 1) * BLKSIZE));
      if (b >= 10) digests.set(crypt.conversionDigest(ciphertext), (b - 10) * crypt.CRYPT_DIGEST_SIZE);
      if (b <= 20) raw.set(ciphertext, b * BLKSIZE);
    }
    raw.set(crypt.serializeHeader({ ...ready, state: crypt.CRYPT_STATE_CONVERTING, convertNext: 10, convertCount: 32, convertDigests: digests }), 0);
    const path = join(dir, 'resume.img');
    writeFileSync(path, raw);

    expect((await ImageFile.load(path, ask('pw'))).image.readFile('/kept')).toEqual(text);
    expect(await encryptInPlace(path, ask('pw'), ask('unused'), { random })).toBe('finished');
    const finished = new Uint8Array(readFileSync(path));
    const header = crypt.parseHeader(finished);
    expect(header.state).toBe(crypt.CRYPT_STATE_READY);
    expect(finished).toEqual(crypt.encryptImage(image.bytes, ready, masterKey));
    expect((await ImageFile.load(path, ask('pw'))).image.fsck()).toEqual([]);
  });
});

// The guest cryptography (src/fs/crypto), run on the host: each .c file is
// compiled with the guest's own CFLAGS (freestanding, -m32, no SSE or x87,
// taken from GNUmakefile), linked with a small hosted driver
// (crypto-driver.c), and fed the published vectors of FIPS 197, IEEE 1619,
// FIPS 180-4, RFC 4231 and RFC 7914, then random inputs whose answers come
// from node:crypto, a second implementation.

import { execFileSync } from 'node:child_process';
import { createCipheriv, createDecipheriv, createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as vectors from './crypto-vectors.ts';
import { CRYPTO_SOURCES, buildGuestObjects, linkDriver } from './guest-c.ts';

let workDir: string;
let driver: string;

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'jos86-crypto-'));
  driver = linkDriver(workDir, 'crypto-driver.c', buildGuestObjects(workDir, CRYPTO_SOURCES), ['src/fs/crypto']);
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Send requests to the driver, one per line; returns its answers, one per request. */
function ask(requests: string[]): string[] {
  const output = execFileSync(driver, { input: requests.join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 28 });
  const answers = output.trimEnd().split('\n');
  expect(answers).toHaveLength(requests.length);
  return answers;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const orDash = (text: string) => (text === '' ? '-' : text);
const tweakOf = (unit: bigint) => {
  const tweak = Buffer.alloc(16);
  tweak.writeBigUInt64LE(unit);
  return tweak;
};

function nodeXts(encrypt: boolean, key: Buffer, unit: bigint, data: Buffer): string {
  const cipher = (encrypt ? createCipheriv : createDecipheriv)('aes-256-xts', key, tweakOf(unit));
  return hex(Buffer.concat([cipher.update(data), cipher.final()]));
}

/** A random 64-byte XTS key whose halves differ (OpenSSL refuses equal halves). */
function randomXtsKey(): Buffer {
  for (;;) {
    const key = randomBytes(64);
    if (!key.subarray(0, 32).equals(key.subarray(32))) return key;
  }
}

describe('AES-256 (src/fs/crypto/aes.c)', () => {
  it('passes FIPS 197 appendix C.3 both ways', () => {
    const { key, plaintext, ciphertext } = vectors.AES256_C3;
    expect(ask([`aes-enc ${key} ${plaintext}`, `aes-dec ${key} ${ciphertext}`])).toEqual([ciphertext, plaintext]);
  });

  it('agrees with node:crypto aes-256-ecb on random keys and blocks', () => {
    const cases = Array.from({ length: 200 }, () => ({ key: randomBytes(32), block: randomBytes(16) }));
    const answers = ask(cases.flatMap(({ key, block }) => [`aes-enc ${hex(key)} ${hex(block)}`, `aes-dec ${hex(key)} ${hex(block)}`]));
    cases.forEach(({ key, block }, i) => {
      const enc = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
      const dec = createDecipheriv('aes-256-ecb', key, null).setAutoPadding(false);
      expect(answers[2 * i]).toBe(hex(Buffer.concat([enc.update(block), enc.final()])));
      expect(answers[2 * i + 1]).toBe(hex(Buffer.concat([dec.update(block), dec.final()])));
    });
  });
});

describe('AES-256-XTS (src/fs/crypto/xts.c)', () => {
  const key = vectors.XTS_KEY1 + vectors.XTS_KEY2;

  it('passes IEEE 1619-2007 vectors 10 to 14 (512-byte data units), both ways', () => {
    const requests = vectors.XTS_VECTORS.flatMap(({ unit, ciphertext }) => [
      `xts-enc ${key} ${unit.toString(16)} ${vectors.XTS_PLAINTEXT}`,
      `xts-dec ${key} ${unit.toString(16)} ${ciphertext}`,
    ]);
    const answers = ask(requests);
    vectors.XTS_VECTORS.forEach(({ vector, ciphertext }, i) => {
      expect(answers[2 * i], `vector ${vector} encrypt`).toBe(ciphertext);
      expect(answers[2 * i + 1], `vector ${vector} decrypt`).toBe(vectors.XTS_PLAINTEXT);
    });
  });

  it('the typed-in vectors are what node:crypto computes', () => {
    for (const { vector, unit, ciphertext } of vectors.XTS_VECTORS) {
      expect(nodeXts(true, Buffer.from(key, 'hex'), unit, Buffer.from(vectors.XTS_PLAINTEXT, 'hex')), `vector ${vector}`).toBe(ciphertext);
    }
  });

  it('agrees with node:crypto on random 4096-byte blocks, keys and block numbers', () => {
    const cases = Array.from({ length: 40 }, (_, i) => ({
      key: randomXtsKey(),
      // Small block numbers as the disk uses, and a few past 32 bits.
      unit: i % 4 === 3 ? randomBytes(8).readBigUInt64LE() : BigInt(randomBytes(3).readUIntLE(0, 3)),
      block: randomBytes(4096),
    }));
    const answers = ask(
      cases.flatMap(({ key, unit, block }) => [`xts-enc ${hex(key)} ${unit.toString(16)} ${hex(block)}`, `xts-dec ${hex(key)} ${unit.toString(16)} ${hex(block)}`]),
    );
    cases.forEach(({ key, unit, block }, i) => {
      expect(answers[2 * i]).toBe(nodeXts(true, key, unit, block));
      expect(answers[2 * i + 1]).toBe(nodeXts(false, key, unit, block));
    });
  });

  it('encrypts a 64-byte unit (the key wrap) as node:crypto does', () => {
    const cases = Array.from({ length: 20 }, () => ({ key: randomXtsKey(), data: randomBytes(64) }));
    const answers = ask(cases.map(({ key, data }) => `xts-enc ${hex(key)} 0 ${hex(data)}`));
    cases.forEach(({ key, data }, i) => expect(answers[i]).toBe(nodeXts(true, key, 0n, data)));
  });
});

describe('SHA-256 (src/fs/crypto/sha256.c)', () => {
  it('passes the FIPS 180-4 examples, one million "a" included', () => {
    const answers = ask([...vectors.SHA256_VECTORS.map(({ message }) => `sha256 ${orDash(message)}`), 'sha256-a 1000000']);
    expect(answers).toEqual([...vectors.SHA256_VECTORS.map(({ digest }) => digest), vectors.SHA256_MILLION_A]);
    for (const { name, message, digest } of vectors.SHA256_VECTORS) {
      expect(createHash('sha256').update(Buffer.from(message, 'hex')).digest('hex'), name).toBe(digest);
    }
    expect(createHash('sha256').update('a'.repeat(1_000_000)).digest('hex')).toBe(vectors.SHA256_MILLION_A);
  });

  it('agrees with node:crypto at every length around the padding boundaries, fed whole or in pieces', () => {
    const messages = Array.from({ length: 200 }, (_, length) => randomBytes(length));
    const pieces = [1, 3, 63, 64, 65];
    const requests = messages.flatMap((m, i) => [`sha256 ${orDash(hex(m))}`, `sha256-split ${orDash(hex(m))} ${pieces[i % pieces.length]}`]);
    const answers = ask(requests);
    messages.forEach((m, i) => {
      const digest = createHash('sha256').update(m).digest('hex');
      expect(answers[2 * i], `length ${m.length}`).toBe(digest);
      expect(answers[2 * i + 1], `length ${m.length} in pieces`).toBe(digest);
    });
  });
});

describe('HMAC-SHA256 and PBKDF2 (src/fs/crypto/hmac.c)', () => {
  it('passes RFC 4231 test cases 1-7', () => {
    const answers = ask(vectors.HMAC_VECTORS.map(({ key, data }) => `hmac ${key} ${data}`));
    vectors.HMAC_VECTORS.forEach(({ testCase, key, data, mac }, i) => {
      // Case 5 publishes only the first 128 bits.
      expect(answers[i].slice(0, mac.length), `test case ${testCase}`).toBe(mac);
      expect(createHmac('sha256', Buffer.from(key, 'hex')).update(Buffer.from(data, 'hex')).digest('hex')).toBe(answers[i]);
    });
  });

  it('agrees with node:crypto createHmac for keys shorter and longer than a block', () => {
    const cases = Array.from({ length: 100 }, (_, i) => ({ key: randomBytes(i * 2), data: randomBytes((i * 37) % 300) }));
    const answers = ask(cases.map(({ key, data }) => `hmac ${orDash(hex(key))} ${orDash(hex(data))}`));
    cases.forEach(({ key, data }, i) => expect(answers[i]).toBe(createHmac('sha256', key).update(data).digest('hex')));
  });

  it('passes RFC 7914 section 11 (PBKDF2-HMAC-SHA256, 1 and 80000 iterations)', () => {
    const answers = ask(vectors.PBKDF2_VECTORS.map((v) => `pbkdf2 ${hex(Buffer.from(v.password))} ${hex(Buffer.from(v.salt))} ${v.iterations} 64`));
    vectors.PBKDF2_VECTORS.forEach((v, i) => {
      expect(answers[i], `${v.password}/${v.salt}/${v.iterations}`).toBe(v.derived);
      expect(pbkdf2Sync(v.password, v.salt, v.iterations, 64, 'sha256').toString('hex')).toBe(v.derived);
    });
  });

  it('agrees with node:crypto pbkdf2Sync on random passwords, salts, counts and lengths', () => {
    const cases = Array.from({ length: 30 }, (_, i) => ({
      password: randomBytes(i * 3),
      salt: randomBytes(32),
      iterations: 1 + ((i * 97) % 500),
      length: 1 + ((i * 13) % 100),
    }));
    const answers = ask(cases.map((c) => `pbkdf2 ${orDash(hex(c.password))} ${hex(c.salt)} ${c.iterations} ${c.length}`));
    cases.forEach((c, i) => expect(answers[i]).toBe(pbkdf2Sync(c.password, c.salt, c.iterations, c.length, 'sha256').toString('hex')));
  });
});

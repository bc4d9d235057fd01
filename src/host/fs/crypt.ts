// Encrypted jos86 disks on the host, with node:crypto: the second, independent
// implementation of the format in src/fs/CRYPT.md (C struct in src/fs/crypt.h;
// the guest's own cryptography is src/fs/crypto/).
//
// An encrypted image is a plain image whose every block but 0 went through
// AES-256-XTS under a random 64-byte master key, the data unit being the
// 4096-byte block and its number the tweak; block 0 holds the clear-text
// header. This module parses and writes that header, checks a password,
// and turns a whole image into its plain view (block 0 reading as zeros, so
// FsImage and fsck work on it unchanged) and back. Nothing here writes a
// file: the caller saves the bytes, and only after everything succeeded.
//
// test/host/crypt.test.ts checks it; test/fs/crypt-format.test.ts checks the
// header layout against crypt.h and has C code read what this code writes.

import { createCipheriv, createDecipheriv, createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { BLKSIZE, HEADER_BLOCK } from './layout.ts';

// ---- The header (struct CryptHeader, the first 512 bytes of block 0) -------
export const CRYPT_MAGIC = 'J86CRYPT';
export const CRYPT_VERSION = 1;
export const CRYPT_CIPHER_AES256_XTS = 1;
export const CRYPT_KDF_PBKDF2_SHA256 = 1;
export const CRYPT_SALT_SIZE = 32;
export const CRYPT_KEY_SIZE = 64;
export const CRYPT_KEK_SIZE = 64;
export const CRYPT_CHECK_SIZE = 32;
export const CRYPT_CHECKSUM_SIZE = 32;
export const CRYPT_KEY_CHECK_TEXT = 'jos86 key check';
export const CRYPT_DEFAULT_ITERATIONS = 1000;
export const CRYPT_STATE_READY = 0;
export const CRYPT_STATE_CONVERTING = 1;
/** A plain image asking the guest to encrypt it at the next boot: no keys yet (CRYPT.md, "Encrypt at boot"). */
export const CRYPT_STATE_REQUESTED = 2;
export const CRYPT_CONVERT_BATCH = 32;
export const CRYPT_DIGEST_SIZE = 8;
export const CRYPT_HEADER_SIZE = 512;

// Field offsets, as crypt.h pins them.
export const CH_MAGIC = 0;
export const CH_VERSION = 8;
export const CH_CIPHER = 12;
export const CH_KDF = 16;
export const CH_ITERATIONS = 20;
export const CH_SALT = 24;
export const CH_WRAPPED_KEY = 56;
export const CH_KEY_CHECK = 120;
export const CH_NBLOCKS = 152;
export const CH_STATE = 156;
export const CH_CONVERT_NEXT = 160;
export const CH_CONVERT_COUNT = 164;
export const CH_CONVERT_DIGEST = 168;
export const CH_RESERVED = 424;
export const CH_CHECKSUM = 480;

/** Why an encrypted image could not be opened or changed. */
export type CryptErrorCode =
  | 'EBADHDR' // no header, a bad checksum, or fields that make no sense
  | 'EVERSION' // a header version, cipher or KDF this tool does not know
  | 'EPASSWORD'; // the password does not unlock the master key

export class CryptError extends Error {
  constructor(
    readonly code: CryptErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CryptError';
  }
}

export interface CryptHeader {
  version: number;
  cipher: number;
  kdf: number;
  iterations: number;
  salt: Uint8Array;
  wrappedKey: Uint8Array;
  keyCheck: Uint8Array;
  nblocks: number;
  state: number;
  convertNext: number;
  convertCount: number;
  /** CRYPT_CONVERT_BATCH digests of CRYPT_DIGEST_SIZE bytes, back to back. */
  convertDigests: Uint8Array;
}

/** A source of random bytes: node's CSPRNG, or a seeded stream for tests. */
export type RandomSource = (length: number) => Uint8Array;

/**
 * node:crypto's randomBytes; with a seed, a deterministic stream instead
 * (SHA-256 of the seed and a counter), so tests get the same image twice.
 */
export function randomSource(seed?: string): RandomSource {
  if (seed === undefined) return (length) => new Uint8Array(randomBytes(length));
  let counter = 0;
  return (length) => {
    const out = new Uint8Array(length);
    for (let at = 0; at < length; at += 32) {
      const block = createHash('sha256').update(`${seed}/${counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, length - at)), at);
    }
    return out;
  };
}

function hasMagic(image: Uint8Array): boolean {
  return image.length >= CRYPT_HEADER_SIZE && Buffer.from(image.subarray(0, 8)).toString('latin1') === CRYPT_MAGIC;
}

/**
 * Does block 0 hold a sound request to encrypt this plain image at the next
 * boot? Magic, checksum, version and state CRYPT_STATE_REQUESTED; the rest of
 * the image is a plain file system.
 */
export function isConversionRequest(image: Uint8Array): boolean {
  if (!hasMagic(image)) return false;
  const sector = image.subarray(0, CRYPT_HEADER_SIZE);
  const view = new DataView(sector.buffer, sector.byteOffset, CRYPT_HEADER_SIZE);
  return (
    headerChecksum(sector).equals(sector.subarray(CH_CHECKSUM, CH_CHECKSUM + CRYPT_CHECKSUM_SIZE)) &&
    view.getUint32(CH_VERSION, true) === CRYPT_VERSION &&
    view.getUint32(CH_STATE, true) === CRYPT_STATE_REQUESTED
  );
}

/** Does this image start with an encryption header (by its magic, a conversion request excepted)? */
export function isEncrypted(image: Uint8Array): boolean {
  return hasMagic(image) && !isConversionRequest(image);
}

/**
 * The 512-byte block-0 request that asks the guest's file server to encrypt
 * this plain image at its next boot, with `iterations` for the password it
 * will ask for. No key, salt or key check: those are made in the guest.
 */
export function conversionRequest(nblocks: number, iterations = CRYPT_DEFAULT_ITERATIONS): Uint8Array {
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 0xffff_ffff) {
    throw new CryptError('EBADHDR', `iteration count ${iterations}: give a whole number from 1`);
  }
  return serializeHeader({
    version: CRYPT_VERSION,
    cipher: CRYPT_CIPHER_AES256_XTS,
    kdf: CRYPT_KDF_PBKDF2_SHA256,
    iterations,
    salt: new Uint8Array(CRYPT_SALT_SIZE),
    wrappedKey: new Uint8Array(CRYPT_KEY_SIZE),
    keyCheck: new Uint8Array(CRYPT_CHECK_SIZE),
    nblocks,
    state: CRYPT_STATE_REQUESTED,
    convertNext: 0,
    convertCount: 0,
    convertDigests: new Uint8Array(CRYPT_CONVERT_BATCH * CRYPT_DIGEST_SIZE),
  });
}

function headerChecksum(sector: Uint8Array): Buffer {
  return createHash('sha256').update(sector.subarray(0, CH_CHECKSUM)).digest();
}

/** Parse and check block 0: magic, checksum, version, algorithms, sane numbers. */
export function parseHeader(image: Uint8Array): CryptHeader {
  if (!hasMagic(image)) throw new CryptError('EBADHDR', 'not an encrypted jos86 image: no J86CRYPT header in block 0');
  const sector = image.subarray(0, CRYPT_HEADER_SIZE);
  if (!headerChecksum(sector).equals(sector.subarray(CH_CHECKSUM, CH_CHECKSUM + CRYPT_CHECKSUM_SIZE))) {
    throw new CryptError('EBADHDR', 'the encryption header is corrupt (bad checksum)');
  }
  const view = new DataView(sector.buffer, sector.byteOffset, CRYPT_HEADER_SIZE);
  const u32 = (offset: number) => view.getUint32(offset, true);
  const bytes = (offset: number, length: number) => sector.slice(offset, offset + length);
  const header: CryptHeader = {
    version: u32(CH_VERSION),
    cipher: u32(CH_CIPHER),
    kdf: u32(CH_KDF),
    iterations: u32(CH_ITERATIONS),
    salt: bytes(CH_SALT, CRYPT_SALT_SIZE),
    wrappedKey: bytes(CH_WRAPPED_KEY, CRYPT_KEY_SIZE),
    keyCheck: bytes(CH_KEY_CHECK, CRYPT_CHECK_SIZE),
    nblocks: u32(CH_NBLOCKS),
    state: u32(CH_STATE),
    convertNext: u32(CH_CONVERT_NEXT),
    convertCount: u32(CH_CONVERT_COUNT),
    convertDigests: bytes(CH_CONVERT_DIGEST, CRYPT_CONVERT_BATCH * CRYPT_DIGEST_SIZE),
  };
  if (header.version !== CRYPT_VERSION) {
    throw new CryptError('EVERSION', `unsupported encryption header version ${header.version} (this tool reads version ${CRYPT_VERSION})`);
  }
  if (header.cipher !== CRYPT_CIPHER_AES256_XTS) throw new CryptError('EVERSION', `unknown cipher ${header.cipher} in the encryption header`);
  if (header.kdf !== CRYPT_KDF_PBKDF2_SHA256) throw new CryptError('EVERSION', `unknown key derivation ${header.kdf} in the encryption header`);
  if (header.iterations < 1) throw new CryptError('EBADHDR', 'the encryption header has an iteration count of 0');
  if (header.nblocks < 2) throw new CryptError('EBADHDR', `the encryption header says ${header.nblocks} blocks`);
  if (image.length < header.nblocks * BLKSIZE) {
    throw new CryptError('EBADHDR', `image is truncated: the encryption header says ${header.nblocks} blocks but it has ${image.length} bytes`);
  }
  if (header.state === CRYPT_STATE_CONVERTING) {
    const { convertNext: next, convertCount: count } = header;
    if (next < 1 || count > CRYPT_CONVERT_BATCH || next + count > header.nblocks) {
      throw new CryptError('EBADHDR', `the encryption header's conversion progress (block ${next}, ${count} in flight) is out of range`);
    }
  } else if (header.state === CRYPT_STATE_REQUESTED) {
    throw new CryptError('EBADHDR', 'not encrypted yet: block 0 only asks the guest to encrypt the image at its next boot');
  } else if (header.state !== CRYPT_STATE_READY) {
    throw new CryptError('EBADHDR', `unknown state ${header.state} in the encryption header`);
  }
  return header;
}

/** The 512 header bytes, checksum included. */
export function serializeHeader(header: CryptHeader): Uint8Array {
  const sector = new Uint8Array(CRYPT_HEADER_SIZE);
  const view = new DataView(sector.buffer);
  sector.set(Buffer.from(CRYPT_MAGIC, 'latin1'), CH_MAGIC);
  view.setUint32(CH_VERSION, header.version, true);
  view.setUint32(CH_CIPHER, header.cipher, true);
  view.setUint32(CH_KDF, header.kdf, true);
  view.setUint32(CH_ITERATIONS, header.iterations, true);
  sector.set(header.salt, CH_SALT);
  sector.set(header.wrappedKey, CH_WRAPPED_KEY);
  sector.set(header.keyCheck, CH_KEY_CHECK);
  view.setUint32(CH_NBLOCKS, header.nblocks, true);
  view.setUint32(CH_STATE, header.state, true);
  view.setUint32(CH_CONVERT_NEXT, header.convertNext, true);
  view.setUint32(CH_CONVERT_COUNT, header.convertCount, true);
  sector.set(header.convertDigests, CH_CONVERT_DIGEST);
  sector.set(headerChecksum(sector), CH_CHECKSUM);
  return sector;
}

// ---- Keys ------------------------------------------------------------------

/** XTS over one data unit: `unit` is the 128-bit little-endian tweak's value. */
function xts(encrypt: boolean, key: Uint8Array, unit: number, data: Uint8Array): Uint8Array {
  const tweak = Buffer.alloc(16);
  tweak.writeUInt32LE(unit >>> 0, 0);
  tweak.writeUInt32LE(Math.floor(unit / 2 ** 32), 4);
  const cipher = (encrypt ? createCipheriv : createDecipheriv)('aes-256-xts', key, tweak);
  const out = Buffer.concat([cipher.update(data), cipher.final()]);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** PBKDF2-HMAC-SHA256 of the password: the key that wraps the master key. */
export function deriveKek(password: Uint8Array, salt: Uint8Array, iterations: number): Uint8Array {
  return new Uint8Array(pbkdf2Sync(password, salt, iterations, CRYPT_KEK_SIZE, 'sha256'));
}

export function keyCheck(masterKey: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', masterKey).update(CRYPT_KEY_CHECK_TEXT, 'latin1').digest());
}

/** A random master key; XTS refuses a key whose two halves are equal, so such a draw is redrawn. */
export function newMasterKey(random: RandomSource): Uint8Array {
  for (;;) {
    const key = random(CRYPT_KEY_SIZE);
    if (!Buffer.from(key.subarray(0, 32)).equals(key.subarray(32))) return key;
  }
}

export interface WrapOptions {
  iterations?: number;
  random: RandomSource;
}

/** A new header (state ready) for `nblocks` blocks, the master key wrapped under `password`. */
export function createHeader(masterKey: Uint8Array, password: Uint8Array, nblocks: number, options: WrapOptions): CryptHeader {
  const header: CryptHeader = {
    version: CRYPT_VERSION,
    cipher: CRYPT_CIPHER_AES256_XTS,
    kdf: CRYPT_KDF_PBKDF2_SHA256,
    iterations: 0,
    salt: new Uint8Array(CRYPT_SALT_SIZE),
    wrappedKey: new Uint8Array(CRYPT_KEY_SIZE),
    keyCheck: keyCheck(masterKey),
    nblocks,
    state: CRYPT_STATE_READY,
    convertNext: 0,
    convertCount: 0,
    convertDigests: new Uint8Array(CRYPT_CONVERT_BATCH * CRYPT_DIGEST_SIZE),
  };
  return rewrap(header, masterKey, password, options);
}

/** The same header with the master key wrapped under a new password, with a fresh salt. */
export function rewrap(header: CryptHeader, masterKey: Uint8Array, password: Uint8Array, options: WrapOptions): CryptHeader {
  const iterations = options.iterations ?? (header.iterations || CRYPT_DEFAULT_ITERATIONS);
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 0xffff_ffff) {
    throw new CryptError('EBADHDR', `iteration count ${iterations}: give a whole number from 1`);
  }
  const salt = options.random(CRYPT_SALT_SIZE);
  const wrappedKey = xts(true, deriveKek(password, salt, iterations), 0, masterKey);
  return { ...header, iterations, salt, wrappedKey };
}

/** The master key, if `password` is right; CryptError EPASSWORD otherwise. */
export function unlock(header: CryptHeader, password: Uint8Array): Uint8Array {
  const masterKey = xts(false, deriveKek(password, header.salt, header.iterations), 0, header.wrappedKey);
  if (!timingSafeEqual(keyCheck(masterKey), header.keyCheck)) throw new CryptError('EPASSWORD', 'wrong password');
  return masterKey;
}

// ---- Blocks ----------------------------------------------------------------

export function encryptBlock(masterKey: Uint8Array, block: number, data: Uint8Array): Uint8Array {
  return xts(true, masterKey, block, data);
}

export function decryptBlock(masterKey: Uint8Array, block: number, data: Uint8Array): Uint8Array {
  return xts(false, masterKey, block, data);
}

/** The digest a conversion records for a block it has encrypted: SHA-256 of the ciphertext, cut short. */
export function conversionDigest(ciphertext: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(ciphertext).digest().subarray(0, CRYPT_DIGEST_SIZE));
}

/** Is block `b` of this image ciphertext? Everything but block 0 once ready; by the progress record while converting. */
export function blockIsEncrypted(header: CryptHeader, block: number, raw: Uint8Array): boolean {
  if (block === HEADER_BLOCK) return false;
  if (header.state === CRYPT_STATE_READY || block < header.convertNext) return true;
  const slot = block - header.convertNext;
  if (slot >= header.convertCount) return false;
  const recorded = header.convertDigests.subarray(slot * CRYPT_DIGEST_SIZE, (slot + 1) * CRYPT_DIGEST_SIZE);
  return Buffer.from(conversionDigest(raw)).equals(recorded);
}

/** The plain view of an encrypted image: `nblocks` blocks, block 0 all zeros. */
export function decryptImage(image: Uint8Array, header: CryptHeader, masterKey: Uint8Array): Uint8Array {
  const plain = new Uint8Array(header.nblocks * BLKSIZE);
  for (let b = 1; b < header.nblocks; b++) {
    const raw = image.subarray(b * BLKSIZE, (b + 1) * BLKSIZE);
    plain.set(blockIsEncrypted(header, b, raw) ? decryptBlock(masterKey, b, raw) : raw, b * BLKSIZE);
  }
  return plain;
}

/**
 * The encrypted image of a plain view: header in block 0 (state ready: a
 * conversion is finished by writing), every other block encrypted, and
 * any bytes of `tail` (what followed the disk in the file) kept as they are.
 */
export function encryptImage(plain: Uint8Array, header: CryptHeader, masterKey: Uint8Array, tail: Uint8Array = new Uint8Array(0)): Uint8Array {
  const nblocks = plain.length / BLKSIZE;
  const ready: CryptHeader = {
    ...header,
    nblocks,
    state: CRYPT_STATE_READY,
    convertNext: 0,
    convertCount: 0,
    convertDigests: new Uint8Array(CRYPT_CONVERT_BATCH * CRYPT_DIGEST_SIZE),
  };
  const image = new Uint8Array(plain.length + tail.length);
  image.set(serializeHeader(ready), 0);
  for (let b = 1; b < nblocks; b++) image.set(encryptBlock(masterKey, b, plain.subarray(b * BLKSIZE, (b + 1) * BLKSIZE)), b * BLKSIZE);
  image.set(tail, plain.length);
  return image;
}

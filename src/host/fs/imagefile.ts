// Image files on the host, plain or encrypted: what `jos86 fs` loads and saves.
//
// A plain image is opened as it is; one whose block 0 asks the guest to
// encrypt it at the next boot (`jos86 fs encrypt --at-boot`) is plain too:
// its view has block 0 zero and saving puts the request back. An encrypted one (src/fs/CRYPT.md) is
// unlocked with a password and decrypted into its plain view, on which
// FsImage and fsck work unchanged; saving encrypts the view again under
// the same master key (XTS is deterministic, so blocks that did not change
// get the same ciphertext). The password is asked for only when the image
// is encrypted. Every write goes through saveAtomically, and happens only
// after the whole operation succeeded, so a failure leaves the file
// byte-identical.

import { readFileSync } from 'node:fs';
import { FsError, FsImage, saveAtomically } from '../fsimage.ts';
import {
  CH_ITERATIONS,
  CRYPT_HEADER_SIZE,
  CRYPT_STATE_READY,
  CryptError,
  conversionRequest,
  createHeader,
  decryptImage,
  encryptImage,
  isConversionRequest,
  isEncrypted,
  newMasterKey,
  parseHeader,
  rewrap,
  serializeHeader,
  unlock,
  type CryptHeader,
  type RandomSource,
} from './crypt.ts';
import { BLKSIZE } from './layout.ts';

/** Asks for (or looks up) a password; called only when one is needed. */
export type PasswordPrompt = () => Promise<Uint8Array>;

/** What saving needs to encrypt the plain view again. */
export interface Encryption {
  header: CryptHeader;
  masterKey: Uint8Array;
  /** Bytes of the file past the disk's last block, kept as they were. */
  tail: Uint8Array;
}

/** An image file's plain bytes, and its encryption when it has one. */
export interface ImageBytes {
  plain: Uint8Array;
  encryption?: Encryption;
  /** A plain image's request to be encrypted at the next boot (block 0's first sector), kept on save. */
  request?: Uint8Array;
}

export function readHostFile(hostPath: string): Uint8Array {
  const buffer = readFileSync(hostPath);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Decrypt an encrypted image's bytes with the password `ask` gives; plain bytes come back as they are. */
export async function unlockBytes(raw: Uint8Array, ask: PasswordPrompt): Promise<ImageBytes> {
  if (isConversionRequest(raw)) {
    const plain = raw.slice();
    plain.fill(0, 0, BLKSIZE);
    return { plain, request: raw.slice(0, CRYPT_HEADER_SIZE) };
  }
  if (!isEncrypted(raw)) return { plain: raw };
  const header = parseHeader(raw);
  const masterKey = unlock(header, await ask());
  const plain = decryptImage(raw, header, masterKey);
  return { plain, encryption: { header, masterKey, tail: raw.slice(header.nblocks * BLKSIZE) } };
}

function notEncrypted(hostPath: string, raw: Uint8Array): CryptError {
  if (isConversionRequest(raw)) return new CryptError('EBADHDR', `${hostPath} is not encrypted yet: block 0 only asks the guest to encrypt it at its next boot`);
  return new CryptError('EBADHDR', `${hostPath} is not encrypted (no J86CRYPT header in block 0)`);
}

/** An opened image file: the file system, and how to write it back. */
export class ImageFile {
  private constructor(
    readonly image: FsImage,
    readonly encryption: Encryption | undefined,
    readonly request: Uint8Array | undefined,
  ) {}

  static async load(hostPath: string, ask: PasswordPrompt): Promise<ImageFile> {
    const { plain, encryption, request } = await unlockBytes(readHostFile(hostPath), ask);
    return new ImageFile(FsImage.open(plain), encryption, request);
  }

  get encrypted(): boolean {
    return this.encryption !== undefined;
  }

  save(hostPath: string): void {
    if (this.request) {
      const bytes = this.image.bytes.slice();
      bytes.set(this.request, 0);
      return saveAtomically(hostPath, bytes);
    }
    if (!this.encryption) return this.image.save(hostPath);
    const { header, masterKey, tail } = this.encryption;
    saveAtomically(hostPath, encryptImage(this.image.bytes, header, masterKey, tail));
  }
}

export interface NewKeyOptions {
  iterations?: number;
  random: RandomSource;
}

/** Save a plain image encrypted under a new random master key. */
export function saveEncrypted(hostPath: string, image: FsImage, password: Uint8Array, options: NewKeyOptions): void {
  saveAtomically(hostPath, encryptNewKey(image.bytes, password, options));
}

function encryptNewKey(plain: Uint8Array, password: Uint8Array, options: NewKeyOptions, tail?: Uint8Array): Uint8Array {
  const masterKey = newMasterKey(options.random);
  const header = createHeader(masterKey, password, plain.length / BLKSIZE, options);
  return encryptImage(plain, header, masterKey, tail);
}

/**
 * `jos86 fs passwd`: wrap the master key under a new password (fresh salt).
 * Only the header changes; every other byte of the file stays as it was.
 */
export async function changePassword(hostPath: string, askOld: PasswordPrompt, askNew: PasswordPrompt, options: NewKeyOptions): Promise<void> {
  const raw = readHostFile(hostPath);
  if (!isEncrypted(raw)) throw notEncrypted(hostPath, raw);
  const header = parseHeader(raw);
  const masterKey = unlock(header, await askOld());
  const updated = new Uint8Array(raw);
  updated.set(serializeHeader(rewrap(header, masterKey, await askNew(), options)), 0);
  saveAtomically(hostPath, updated);
}

/**
 * `jos86 fs encrypt`: encrypt a plain image in place under a new master key
 * (one that asks for encryption at boot included), or finish an in-place
 * conversion the guest left half done.
 */
export async function encryptInPlace(hostPath: string, ask: PasswordPrompt, askNew: PasswordPrompt, options: NewKeyOptions): Promise<'encrypted' | 'finished'> {
  let raw = readHostFile(hostPath);
  if (isConversionRequest(raw)) {
    // Do now what the guest was asked to do at boot, with the iteration count the request names.
    const requested = new DataView(raw.buffer, raw.byteOffset).getUint32(CH_ITERATIONS, true);
    options = { ...options, iterations: options.iterations ?? requested };
    raw = (await unlockBytes(raw, ask)).plain;
  }
  if (isEncrypted(raw)) {
    const header = parseHeader(raw);
    if (header.state === CRYPT_STATE_READY) throw new CryptError('EBADHDR', `${hostPath} is already encrypted`);
    const { plain, encryption } = await unlockBytes(raw, ask);
    FsImage.open(plain); // refuse to seal something that is not a file system
    saveAtomically(hostPath, encryptImage(plain, encryption!.header, encryption!.masterKey, encryption!.tail));
    return 'finished';
  }
  const image = FsImage.open(raw);
  if (raw.subarray(0, BLKSIZE).some((byte) => byte !== 0)) {
    throw new FsError('EBADFS', `${hostPath}: block 0 is not empty, so it holds something the header would overwrite`);
  }
  const disk = image.nblocks * BLKSIZE;
  saveAtomically(hostPath, encryptNewKey(raw.subarray(0, disk), await askNew(), options, raw.subarray(disk)));
  return 'encrypted';
}

/**
 * `jos86 fs encrypt --at-boot`: leave the plain image as it is and put in
 * block 0 a request that the guest's file server encrypt it at its next
 * boot (asking for the new password there). Only block 0 changes.
 */
export function requestEncryptionAtBoot(hostPath: string, iterations?: number): void {
  const raw = readHostFile(hostPath);
  if (isConversionRequest(raw)) throw new CryptError('EBADHDR', `${hostPath} already asks to be encrypted at the next boot`);
  if (isEncrypted(raw)) throw new CryptError('EBADHDR', `${hostPath} is already encrypted`);
  const image = FsImage.open(raw);
  if (raw.subarray(0, BLKSIZE).some((byte) => byte !== 0)) {
    throw new FsError('EBADFS', `${hostPath}: block 0 is not empty, so it holds something the request would overwrite`);
  }
  const updated = new Uint8Array(raw);
  updated.set(conversionRequest(image.nblocks, iterations), 0);
  saveAtomically(hostPath, updated);
}

/** `jos86 fs mkfs --encrypt-at-boot`: save a new plain image that asks to be encrypted at its first boot. */
export function saveWithConversionRequest(hostPath: string, image: FsImage, iterations?: number): void {
  const bytes = image.bytes.slice();
  bytes.set(conversionRequest(image.nblocks, iterations), 0);
  saveAtomically(hostPath, bytes);
}

/** `jos86 fs decrypt`: write the plain image (block 0 zero again) to `outputPath`. */
export async function decryptToFile(hostPath: string, outputPath: string, ask: PasswordPrompt): Promise<void> {
  const raw = readHostFile(hostPath);
  if (!isEncrypted(raw)) throw notEncrypted(hostPath, raw);
  const { plain, encryption } = await unlockBytes(raw, ask);
  const out = new Uint8Array(plain.length + encryption!.tail.length);
  out.set(plain, 0);
  out.set(encryption!.tail, plain.length);
  saveAtomically(outputPath, out);
}

// Small disks for the encrypted-disk tests (test/fs/encrypted*.test.ts):
// 1 MiB with the few programs the tests run, so converting or unlocking one
// in the guest stays quick, and helpers to read them on the host through
// the host tool's own cryptography (node:crypto, src/host/fs/crypt.ts).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { FsImage } from '../../src/host/fsimage.ts';
import { mkfsFromHostTree } from '../../src/host/fs/hosttree.ts';
import { BLKSIZE, FS_MAGIC } from '../../src/host/fs/layout.ts';
import { conversionRequest, createHeader, encryptImage, newMasterKey, randomSource } from '../../src/host/fs/crypt.ts';
import { unlockBytes } from '../../src/host/fs/imagefile.ts';
import { FS_IMAGE } from '../kernel/shell.ts';

export const PASSWORD = 'correct horse';

/** The programs on a small disk: the shell and what the tests type. */
const PROGRAMS = ['sh', 'ls', 'cat', 'echo', 'cksum', 'writefile', 'passwd', 'encrypt', 'sync'];

/** Bytes that differ from block to block, so a misplaced block shows. */
export function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** The checksum writefile and cksum print. */
export function cksum(data: Uint8Array): string {
  let sum = 0;
  for (const byte of data) sum = (Math.imul(sum, 31) + byte) >>> 0;
  return sum.toString(16).padStart(8, '0');
}

/** The files every small disk holds besides /bin. */
export const FILES: Record<string, Uint8Array> = {
  '/note.txt': new TextEncoder().encode('a secret note, kept on an encrypted disk\n'),
  '/data/secret-data.bin': pattern(40_000, 77), // direct blocks and more
};

/** A plain 1 MiB file system with PROGRAMS in /bin and FILES. */
export function smallPlainDisk(): Uint8Array {
  const root = mkdtempSync(join(tmpdir(), 'jos86-enc-'));
  try {
    const base = FsImage.open(new Uint8Array(readFileSync(FS_IMAGE)));
    mkdirSync(join(root, 'bin'));
    for (const name of PROGRAMS) writeFileSync(join(root, 'bin', name), base.readFile(`/bin/${name}`));
    for (const [path, data] of Object.entries(FILES)) {
      mkdirSync(join(root, ...path.split('/').slice(1, -1)), { recursive: true });
      writeFileSync(join(root, ...path.split('/').slice(1)), data);
    }
    return mkfsFromHostTree(root, 256).bytes.slice();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The small disk asking to be encrypted at its next boot (`jos86 fs encrypt --at-boot`). */
export function smallRequestedDisk(): Uint8Array {
  const bytes = smallPlainDisk();
  bytes.set(conversionRequest(bytes.length / BLKSIZE), 0);
  return bytes;
}

/** The small disk encrypted by the host tool under PASSWORD, with a seeded key (the same bytes every time). */
export function smallEncryptedDisk(): Uint8Array {
  const plain = smallPlainDisk();
  const random = randomSource('test/fs/encrypted');
  const masterKey = newMasterKey(random);
  return encryptImage(plain, createHeader(masterKey, new TextEncoder().encode(PASSWORD), plain.length / BLKSIZE, { random }), masterKey);
}

/** The plain view the host tool decrypts (node:crypto), with PASSWORD unless another is given. */
export async function hostDecrypt(raw: Uint8Array, password = PASSWORD): Promise<FsImage> {
  const { plain, encryption } = await unlockBytes(raw, async () => new TextEncoder().encode(password));
  expect(encryption).toBeDefined();
  return FsImage.open(plain);
}

/** Every file of FILES reads back byte for byte, and fsck finds nothing. */
export function expectFilesIntact(image: FsImage): void {
  for (const [path, data] of Object.entries(FILES)) expect(Buffer.from(image.readFile(path)).equals(Buffer.from(data))).toBe(true);
  expect(image.fsck()).toEqual([]);
}

/**
 * Nothing of the plain disk shows in the raw one: no 16-byte run of any
 * file at a 16-byte offset in it (a block is encrypted whole, so a leak
 * would be block-aligned and show at these offsets), no file name, no
 * superblock magic. Block 0 (the clear-text header) is left out.
 */
export function expectNoPlaintext(raw: Uint8Array, plain: FsImage): void {
  const body = Buffer.from(raw.subarray(BLKSIZE));
  const needles: Buffer[] = [];
  const names: string[] = [];
  const walk = (dir: string) => {
    for (const entry of plain.ls(dir)) {
      const path = dir === '/' ? `/${entry.name}` : `${dir}/${entry.name}`;
      names.push(entry.name);
      if (entry.type === 'dir') walk(path);
      else {
        const data = plain.readFile(path);
        for (let at = 0; at + 16 <= data.length; at += 16) needles.push(Buffer.from(data.subarray(at, at + 16)));
      }
    }
  };
  walk('/');
  expect(needles.length).toBeGreaterThan(1000);
  // A file's byte at offset o lies at disk offset block * 4096 + o % 4096, so
  // a needle taken at a 16-byte offset of a file would sit at a 16-byte
  // offset of the disk: comparing with the disk's 16-byte chunks finds it.
  const chunks = new Set<string>();
  for (let at = 0; at + 16 <= body.length; at += 16) chunks.add(body.toString('latin1', at, at + 16));
  const leaks = needles.filter((needle) => chunks.has(needle.toString('latin1'))).length;
  expect(leaks).toBe(0);
  // Names of 6 bytes and more: a shorter one turns up in a megabyte of ciphertext by chance.
  for (const name of names.filter((n) => n.length >= 6)) expect(body.indexOf(Buffer.from(name, 'latin1'))).toBe(-1);
  const magic = Buffer.alloc(4);
  magic.writeUInt32LE(FS_MAGIC);
  expect(body.indexOf(magic)).toBe(-1);
}

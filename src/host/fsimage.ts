// FsImage: read and write a jos86 file-system image on the host.
//
// The format is src/fs/FORMAT.md (C structs in src/fs/format.h, TypeScript
// constants in ./fs/layout.ts). This class holds the whole image in a
// Uint8Array and offers what `jos86 fs` needs: make an empty file system,
// open one, look up paths, list directories, read, write (create or replace),
// mkdir (with parents), rm (files and empty directories) and fsck. Building
// an image from a host directory tree is ./fs/hosttree.ts.
//
// Never corrupting the image on error: every mutating call runs as a
// transaction. The first write to a block inside it saves the block's old
// contents; if the call throws (full disk, bad path, a corrupt structure met
// half-way) every saved block is put back, so the image is byte-identical to
// what it was before the call. writeFile also checks the free space up
// front, so a full disk is reported before any work is done.
//
// Allocation is first-fit from the lowest data block, and nothing depends
// on the time or the host, so the same operations always give the same bytes.

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { checkImage, type FsckProblem } from './fs/fsck.ts';
import {
  BITMAP_BLOCK,
  BLKBITSIZE,
  BLKFILES,
  BLKSIZE,
  FILE_RECORD_SIZE,
  FS_MAGIC,
  FS_VERSION,
  FTYPE_DIR,
  FTYPE_REG,
  F_DIRECT,
  F_INDIRECT,
  F_NAME,
  F_SIZE,
  F_TYPE,
  ImageView,
  MAX_FILE_BLOCKS,
  MAX_NBLOCKS,
  MAXFILESIZE,
  MAXNAMELEN,
  MAXPATHLEN,
  NDIRECT,
  ROOT_RECORD,
  SUPER_BLOCK,
  S_MAGIC,
  S_NBLOCKS,
  S_VERSION,
  bitmapBlockCount,
  bytesEqual,
  decodeName,
  diskBlocksForSize,
  encodeName,
  fileBlocksForSize,
  firstDataBlock,
  nameBytesAt,
} from './fs/layout.ts';

export type { FsckProblem, FsckKind } from './fs/fsck.ts';

/** Error codes, named after the errno a Unix tool would report. */
export type FsErrorCode =
  | 'ENOENT' // no such file or directory
  | 'EEXIST' // already exists
  | 'ENOTDIR' // a path component is a regular file
  | 'EISDIR' // a file operation on a directory
  | 'ENOTEMPTY' // rm of a directory that has entries
  | 'ENAMETOOLONG' // a name over 127 bytes, or a path over 1023
  | 'EINVAL' // a malformed path or argument
  | 'EFBIG' // a file over MAXFILESIZE, or a directory with no room to grow
  | 'ENOSPC' // not enough free blocks
  | 'EBADFS'; // not a jos86 file system, or a structure fsck would reject

export class FsError extends Error {
  constructor(
    readonly code: FsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FsError';
  }
}

export type FileType = 'file' | 'dir';

/** What ls and stat report about one file. */
export interface DirEntry {
  name: string;
  type: FileType;
  size: number;
}

export interface MkdirOptions {
  /** Create missing parents, and accept a directory that already exists. */
  parents?: boolean;
}

/** Write bytes to a host file through a temporary file renamed into place, so a crash never leaves half an image. */
export function saveAtomically(hostPath: string, bytes: Uint8Array): void {
  const temporary = `${hostPath}.${process.pid}.tmp`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, hostPath);
}

/** The smallest disk the tool will make: room for some files beyond the metadata. */
export const MIN_NBLOCKS = 16;

/** A File record found by path: its byte offset in the image, and its parent's. */
interface Located {
  record: number;
  parent: number | undefined;
  path: string;
}

export class FsImage {
  readonly nblocks: number;
  private readonly view: ImageView;
  /** Blocks saved before their first write in the running transaction. */
  private journal: Map<number, Uint8Array> | undefined;
  /** No block below this one is free: where the first-fit search starts. */
  private lowestMaybeFree = 0;

  private constructor(readonly bytes: Uint8Array) {
    this.view = new ImageView(bytes);
    this.nblocks = this.view.nblocks();
  }

  /** A fresh, empty file system of `nblocks` blocks. */
  static create(nblocks: number): FsImage {
    checkDiskSize(nblocks);
    const bytes = new Uint8Array(nblocks * BLKSIZE);
    const data = new DataView(bytes.buffer);
    const superAt = SUPER_BLOCK * BLKSIZE;
    data.setUint32(superAt + S_MAGIC, FS_MAGIC, true);
    data.setUint32(superAt + S_VERSION, FS_VERSION, true);
    data.setUint32(superAt + S_NBLOCKS, nblocks, true);
    bytes[ROOT_RECORD + F_NAME] = '/'.charCodeAt(0);
    data.setUint32(ROOT_RECORD + F_TYPE, FTYPE_DIR, true);
    // Mark the data area free; header, super, bitmap and the bits past the
    // end of the disk stay 0 (in use) so no allocator ever returns them.
    for (let b = firstDataBlock(nblocks); b < nblocks; b++) {
      bytes[BITMAP_BLOCK * BLKSIZE + (b >>> 3)] |= 1 << (b & 7);
    }
    return new FsImage(bytes);
  }

  /** Open an image held in memory; writes go to this same array. */
  static open(bytes: Uint8Array): FsImage {
    if (bytes.length < 2 * BLKSIZE) {
      throw new FsError('EBADFS', `image is ${bytes.length} bytes, too small for a jos86 file system`);
    }
    const view = new ImageView(bytes);
    const superAt = SUPER_BLOCK * BLKSIZE;
    if (view.u32(superAt + S_MAGIC) !== FS_MAGIC) {
      const headerUsed = bytes.subarray(0, BLKSIZE).some((x) => x !== 0);
      throw new FsError(
        'EBADFS',
        headerUsed
          ? 'not a plain jos86 file system: bad superblock magic and a non-empty block 0 (an encrypted image?)'
          : 'not a jos86 file system: bad superblock magic',
      );
    }
    const version = view.u32(superAt + S_VERSION);
    if (version !== FS_VERSION) {
      throw new FsError('EBADFS', `unsupported file-system version ${version} (this tool reads version ${FS_VERSION})`);
    }
    const nblocks = view.nblocks();
    if (nblocks <= firstDataBlock(nblocks) || nblocks > MAX_NBLOCKS) {
      throw new FsError('EBADFS', `superblock says ${nblocks} blocks, which is not a valid disk size`);
    }
    if (bytes.length < nblocks * BLKSIZE) {
      throw new FsError(
        'EBADFS',
        `image is truncated: superblock says ${nblocks} blocks (${nblocks * BLKSIZE} bytes) but it has ${bytes.length} bytes`,
      );
    }
    if (view.u32(ROOT_RECORD + F_TYPE) !== FTYPE_DIR) {
      throw new FsError('EBADFS', 'the root File record is not a directory');
    }
    return new FsImage(bytes);
  }

  /** Read an image file from the host. */
  static load(hostPath: string): FsImage {
    const buffer = readFileSync(hostPath);
    return FsImage.open(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength));
  }

  /** Write the image to a host file: a temporary file renamed into place, so a crash never leaves half an image. */
  save(hostPath: string): void {
    saveAtomically(hostPath, this.bytes);
  }

  // ---- Queries -------------------------------------------------------------

  /** Blocks marked free in the bitmap. */
  freeBlockCount(): number {
    let free = 0;
    for (let b = firstDataBlock(this.nblocks); b < this.nblocks; b++) if (this.view.isFree(b)) free++;
    return free;
  }

  exists(path: string): boolean {
    try {
      this.locate(path);
      return true;
    } catch (error) {
      if (error instanceof FsError && error.code === 'ENOENT') return false;
      throw error;
    }
  }

  stat(path: string): DirEntry {
    return this.entryAt(this.locate(path).record);
  }

  /** Byte offset in the image of the File record at `path` (for tools and tests that inspect the raw format). */
  recordOffset(path: string): number {
    return this.locate(path).record;
  }

  /** A directory's entries in on-disk order, or a single entry for a file. */
  ls(path = '/'): DirEntry[] {
    const found = this.locate(path);
    if (this.typeOf(found.record) !== FTYPE_DIR) return [this.entryAt(found.record)];
    return this.usedEntries(found.record, found.path).map((record) => this.entryAt(record));
  }

  readFile(path: string): Uint8Array {
    const found = this.locate(path);
    if (this.typeOf(found.record) === FTYPE_DIR) throw new FsError('EISDIR', `${found.path}: is a directory`);
    const size = this.sizeOf(found.record);
    const out = new Uint8Array(size);
    for (let i = 0; i * BLKSIZE < size; i++) {
      const start = this.blockAt(found.record, i, found.path) * BLKSIZE;
      out.set(this.bytes.subarray(start, start + Math.min(BLKSIZE, size - i * BLKSIZE)), i * BLKSIZE);
    }
    return out;
  }

  /** Check the whole image; an empty list means it is consistent. */
  fsck(): FsckProblem[] {
    return checkImage(this.bytes);
  }

  /** fsck for raw bytes, including ones open() would refuse. */
  static check(bytes: Uint8Array): FsckProblem[] {
    return checkImage(bytes);
  }

  // ---- Changes -------------------------------------------------------------

  /** Create or replace a regular file with `data`; the parent must exist. */
  writeFile(path: string, data: Uint8Array): void {
    const { parentPath, name } = splitParent(path);
    if (data.length > MAXFILESIZE) {
      throw new FsError('EFBIG', `${path}: ${data.length} bytes is over the ${MAXFILESIZE}-byte file size limit`);
    }
    this.transaction(() => {
      const parent = this.locate(parentPath);
      if (this.typeOf(parent.record) !== FTYPE_DIR) throw new FsError('ENOTDIR', `${parent.path}: not a directory`);
      const existing = this.findEntry(parent.record, name, parent.path);
      const fullPath = joinPath(parent.path, name);
      if (existing !== undefined && this.typeOf(existing) === FTYPE_DIR) {
        throw new FsError('EISDIR', `${fullPath}: is a directory`);
      }
      const needed =
        diskBlocksForSize(data.length) -
        (existing === undefined ? 0 : diskBlocksForSize(this.sizeOf(existing))) +
        (existing === undefined ? this.entryGrowthCost(parent.record) : 0);
      const free = this.freeBlockCount();
      if (needed > free) {
        throw new FsError('ENOSPC', `${fullPath}: disk full: needs ${needed} more blocks, ${free} free`);
      }
      const record = existing ?? this.addEntry(parent.record, name, FTYPE_REG, parent.path);
      this.truncate(record);
      this.fill(record, data);
    });
  }

  /** Make a directory; with `parents`, make missing parents too and accept an existing directory. */
  mkdir(path: string, options: MkdirOptions = {}): void {
    const names = splitPath(path);
    if (names.length === 0) {
      if (options.parents) return;
      throw new FsError('EEXIST', '/: already exists');
    }
    this.transaction(() => {
      let dir = ROOT_RECORD;
      let dirPath = '/';
      names.forEach((name, index) => {
        const last = index === names.length - 1;
        const childPath = joinPath(dirPath, name);
        const existing = this.findEntry(dir, name, dirPath);
        if (existing !== undefined) {
          if (this.typeOf(existing) !== FTYPE_DIR) {
            throw new FsError(last ? 'EEXIST' : 'ENOTDIR', `${childPath}: ${last ? 'exists and is a file' : 'not a directory'}`);
          }
          if (last && !options.parents) throw new FsError('EEXIST', `${childPath}: already exists`);
          dir = existing;
        } else {
          if (!last && !options.parents) throw new FsError('ENOENT', `${childPath}: no such directory`);
          dir = this.addEntry(dir, name, FTYPE_DIR, dirPath);
        }
        dirPath = childPath;
      });
    });
  }

  /** Remove a regular file or an empty directory. */
  rm(path: string): void {
    this.transaction(() => {
      const found = this.locate(path);
      if (found.parent === undefined) throw new FsError('EINVAL', '/: cannot remove the root directory');
      if (this.typeOf(found.record) === FTYPE_DIR && this.usedEntries(found.record, found.path).length > 0) {
        throw new FsError('ENOTEMPTY', `${found.path}: directory not empty`);
      }
      this.truncate(found.record);
      this.writable(found.record).fill(0, 0, FILE_RECORD_SIZE);
    });
  }

  // ---- Transactions ----------------------------------------------------------

  private transaction(work: () => void): void {
    if (this.journal) {
      work();
      return;
    }
    this.journal = new Map();
    try {
      work();
    } catch (error) {
      for (const [block, saved] of this.journal) this.bytes.set(saved, block * BLKSIZE);
      this.lowestMaybeFree = 0;
      throw error;
    } finally {
      this.journal = undefined;
    }
  }

  /** The bytes from `offset` to the end of its block, saved in the journal first. */
  private writable(offset: number): Uint8Array {
    const block = Math.floor(offset / BLKSIZE);
    if (this.journal && !this.journal.has(block)) {
      this.journal.set(block, this.bytes.slice(block * BLKSIZE, (block + 1) * BLKSIZE));
    }
    return this.bytes.subarray(offset, (block + 1) * BLKSIZE);
  }

  private setU32(offset: number, value: number): void {
    this.writable(offset);
    this.view.data.setUint32(offset, value, true);
  }

  // ---- Blocks ----------------------------------------------------------------

  private setFree(block: number, free: boolean): void {
    const offset = BITMAP_BLOCK * BLKSIZE + (block >>> 3);
    const byte = this.writable(offset);
    byte[0] = free ? byte[0] | (1 << (block & 7)) : byte[0] & ~(1 << (block & 7));
  }

  /** Take the lowest free block, zeroed. */
  private allocBlock(): number {
    const first = Math.max(firstDataBlock(this.nblocks), this.lowestMaybeFree);
    const bitmap = this.bytes.subarray(BITMAP_BLOCK * BLKSIZE, (BITMAP_BLOCK + bitmapBlockCount(this.nblocks)) * BLKSIZE);
    for (let byteIndex = first >>> 3; byteIndex < bitmap.length; byteIndex++) {
      if (bitmap[byteIndex] === 0) continue;
      for (let bit = 0; bit < 8; bit++) {
        const block = byteIndex * 8 + bit;
        if (block >= first && block < this.nblocks && this.view.isFree(block)) {
          this.setFree(block, false);
          this.writable(block * BLKSIZE).fill(0);
          this.lowestMaybeFree = block + 1;
          return block;
        }
      }
    }
    throw new FsError('ENOSPC', 'disk full: no free block left');
  }

  private freeBlock(block: number): void {
    this.setFree(block, true);
    this.lowestMaybeFree = Math.min(this.lowestMaybeFree, block);
  }

  /** A block pointer read from disk, checked so a corrupt image cannot send us outside it. */
  private checkedPointer(block: number, what: string): number {
    if (block !== 0 && (block < firstDataBlock(this.nblocks) || block >= this.nblocks)) {
      throw new FsError('EBADFS', `${what}: block pointer ${block} is outside the data area; run fsck`);
    }
    return block;
  }

  /** Disk block holding file block `index` of the record; throws on a hole. */
  private blockAt(record: number, index: number, path: string): number {
    const block = this.pointer(record, index, path);
    if (block === 0) throw new FsError('EBADFS', `${path}: file block ${index} is missing; run fsck`);
    return block;
  }

  /** Disk block for file block `index`, 0 when not allocated. */
  private pointer(record: number, index: number, path: string): number {
    if (index < NDIRECT) return this.checkedPointer(this.view.u32(record + F_DIRECT + 4 * index), path);
    const indirect = this.checkedPointer(this.view.u32(record + F_INDIRECT), `${path} (indirect block)`);
    if (indirect === 0) return 0;
    return this.checkedPointer(this.view.u32(indirect * BLKSIZE + 4 * (index - NDIRECT)), path);
  }

  private setPointer(record: number, index: number, block: number): void {
    if (index < NDIRECT) {
      this.setU32(record + F_DIRECT + 4 * index, block);
      return;
    }
    let indirect = this.view.u32(record + F_INDIRECT);
    if (indirect === 0) {
      indirect = this.allocBlock();
      this.setU32(record + F_INDIRECT, indirect);
    }
    this.setU32(indirect * BLKSIZE + 4 * (index - NDIRECT), block);
  }

  /** Free every block of a file and set its size to 0. */
  private truncate(record: number): void {
    const path = displayPath(this.bytes, record);
    const count = fileBlocksForSize(this.sizeOf(record));
    for (let i = 0; i < count; i++) {
      const block = this.pointer(record, i, path);
      if (block !== 0) this.freeBlock(block);
    }
    const indirect = this.checkedPointer(this.view.u32(record + F_INDIRECT), path);
    if (indirect !== 0) this.freeBlock(indirect);
    this.setU32(record + F_SIZE, 0);
    this.writable(record + F_DIRECT).fill(0, 0, F_INDIRECT + 4 - F_DIRECT);
  }

  /** Give an empty file `data`, allocating its blocks in order. */
  private fill(record: number, data: Uint8Array): void {
    for (let i = 0; i * BLKSIZE < data.length; i++) {
      const block = this.allocBlock();
      this.setPointer(record, i, block);
      this.writable(block * BLKSIZE).set(data.subarray(i * BLKSIZE, (i + 1) * BLKSIZE));
    }
    this.setU32(record + F_SIZE, data.length);
  }

  // ---- Records and directories ---------------------------------------------------

  private typeOf(record: number): number {
    return this.view.u32(record + F_TYPE);
  }

  private sizeOf(record: number): number {
    const size = this.view.i32(record + F_SIZE);
    if (size < 0 || size > MAXFILESIZE) {
      throw new FsError('EBADFS', `${displayPath(this.bytes, record)}: size ${size} is out of range; run fsck`);
    }
    return size;
  }

  private entryAt(record: number): DirEntry {
    const type = this.typeOf(record);
    return {
      name: decodeName(nameBytesAt(this.bytes, record) ?? new Uint8Array()),
      type: type === FTYPE_DIR ? 'dir' : 'file',
      size: this.sizeOf(record),
    };
  }

  /** Offsets of every entry slot of a directory, used or free. */
  private slots(dir: number, path: string): number[] {
    const out: number[] = [];
    const count = fileBlocksForSize(this.sizeOf(dir));
    for (let i = 0; i < count; i++) {
      const block = this.blockAt(dir, i, path);
      for (let j = 0; j < BLKFILES; j++) out.push(block * BLKSIZE + j * FILE_RECORD_SIZE);
    }
    return out;
  }

  private usedEntries(dir: number, path: string): number[] {
    return this.slots(dir, path).filter((slot) => this.bytes[slot + F_NAME] !== 0);
  }

  private findEntry(dir: number, name: string, path: string): number | undefined {
    const wanted = encodeName(name);
    for (const slot of this.usedEntries(dir, path)) {
      const bytes = nameBytesAt(this.bytes, slot);
      if (bytes && bytesEqual(bytes, wanted)) return slot;
    }
    return undefined;
  }

  /** Blocks a new entry in `dir` costs: 0 with a free slot, else a block (and the indirect block at the 11th). */
  private entryGrowthCost(dir: number): number {
    const path = displayPath(this.bytes, dir);
    if (this.slots(dir, path).some((slot) => this.bytes[slot + F_NAME] === 0)) return 0;
    const size = this.sizeOf(dir);
    return diskBlocksForSize(size + BLKSIZE) - diskBlocksForSize(size);
  }

  /** Add an empty file or directory named `name` to `dir`, growing it if full. */
  private addEntry(dir: number, name: string, type: number, dirPath: string): number {
    let slot = this.slots(dir, dirPath).find((offset) => this.bytes[offset + F_NAME] === 0);
    if (slot === undefined) {
      const size = this.sizeOf(dir);
      const index = fileBlocksForSize(size);
      if (index >= MAX_FILE_BLOCKS) {
        throw new FsError('EFBIG', `${dirPath}: directory is full (${MAX_FILE_BLOCKS * BLKFILES} entries)`);
      }
      const block = this.allocBlock();
      this.setPointer(dir, index, block);
      this.setU32(dir + F_SIZE, size + BLKSIZE);
      slot = block * BLKSIZE;
    }
    const record = this.writable(slot);
    record.fill(0, 0, FILE_RECORD_SIZE);
    record.set(encodeName(name), F_NAME);
    this.setU32(slot + F_TYPE, type);
    return slot;
  }

  /** Walk a path from the root. */
  private locate(path: string): Located {
    const names = splitPath(path);
    let record = ROOT_RECORD;
    let parent: number | undefined;
    let current = '/';
    for (const name of names) {
      if (this.typeOf(record) !== FTYPE_DIR) throw new FsError('ENOTDIR', `${current}: not a directory`);
      const next = this.findEntry(record, name, current);
      current = joinPath(current, name);
      if (next === undefined) throw new FsError('ENOENT', `${current}: no such file or directory`);
      parent = record;
      record = next;
    }
    return { record, parent, path: current };
  }
}

// ---- Paths ----------------------------------------------------------------------

/**
 * The names along a path. Paths are resolved from the root whether or not
 * they start with '/'; empty components (a//b, a trailing /) are ignored.
 */
export function splitPath(path: string): string[] {
  if (encodeName(path).length >= MAXPATHLEN) {
    throw new FsError('ENAMETOOLONG', `path is longer than ${MAXPATHLEN - 1} bytes`);
  }
  const names = path.split('/').filter((name) => name !== '');
  for (const name of names) checkName(name);
  return names;
}

/** Reject a name the format cannot hold. */
export function checkName(name: string): void {
  if (name === '.' || name === '..') {
    throw new FsError('EINVAL', `'${name}' in a path is not supported: paths are resolved from the root`);
  }
  if (name.includes('\0')) throw new FsError('EINVAL', `name '${name.replace(/\0/g, '\\0')}' contains a NUL byte`);
  if (name.includes('/')) throw new FsError('EINVAL', `name '${name}' contains '/'`);
  if (name === '') throw new FsError('EINVAL', 'empty name');
  if (encodeName(name).length > MAXNAMELEN - 1) {
    throw new FsError('ENAMETOOLONG', `name '${name}' is longer than ${MAXNAMELEN - 1} bytes`);
  }
}

export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

function splitParent(path: string): { parentPath: string; name: string } {
  const names = splitPath(path);
  const name = names.pop();
  if (name === undefined) throw new FsError('EISDIR', '/: is a directory');
  return { parentPath: '/' + names.join('/'), name };
}

function checkDiskSize(nblocks: number): void {
  if (!Number.isInteger(nblocks) || nblocks < MIN_NBLOCKS || nblocks > MAX_NBLOCKS) {
    throw new FsError(
      'EINVAL',
      `disk size ${nblocks} blocks is out of range: ${MIN_NBLOCKS} to ${MAX_NBLOCKS} blocks (${(MAX_NBLOCKS * BLKSIZE) >>> 20} MiB)`,
    );
  }
}

/** A record's name for messages; the root is '/'. */
function displayPath(bytes: Uint8Array, record: number): string {
  if (record === ROOT_RECORD) return '/';
  return decodeName(nameBytesAt(bytes, record) ?? new Uint8Array());
}

export { BLKSIZE, BLKBITSIZE, MAXFILESIZE, MAXNAMELEN, MAX_NBLOCKS };

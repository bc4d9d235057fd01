// FsImage and mkfs from a host tree: round trips, directories, limits, and
// the promise that a failed change leaves the image byte-identical.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsError, FsImage, MAXFILESIZE, type FsErrorCode } from '../../src/host/fsimage.ts';
import { DEFAULT_MIN_NBLOCKS, mkfsFromHostTree, scanHostTree, treeDataBlocks } from '../../src/host/fs/hosttree.ts';
import { BLKSIZE, F_DIRECT, F_INDIRECT, NDIRECT, firstDataBlock } from '../../src/host/fs/layout.ts';

/** Bytes that differ from block to block, so a misplaced block shows. */
function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Byte comparison that stays fast for megabytes (toEqual walks element by element). */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array, label?: string): void {
  expect(actual.length, label).toBe(expected.length);
  expect(Buffer.compare(Buffer.from(actual), Buffer.from(expected)), label).toBe(0);
}

function expectFsError(action: () => unknown, code: FsErrorCode, text?: RegExp): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(FsError);
  expect((caught as FsError).code).toBe(code);
  if (text) expect((caught as FsError).message).toMatch(text);
}

/** Run `action`, expect it to fail with `code`, and the image to be unchanged to the byte. */
function expectUnchanged(image: FsImage, action: () => unknown, code: FsErrorCode): void {
  const before = image.bytes.slice();
  expectFsError(action, code);
  expect(Buffer.compare(Buffer.from(before), Buffer.from(image.bytes))).toBe(0);
}

let hostDir: string;
const hostFiles = new Map<string, Uint8Array>([
  ['/readme.txt', new TextEncoder().encode('hello from the host\n')],
  ['/empty', new Uint8Array(0)],
  ['/bin/one-block', pattern(BLKSIZE, 1)],
  ['/bin/ten-blocks', pattern(NDIRECT * BLKSIZE, 2)],
  ['/bin/indirect', pattern(11 * BLKSIZE + 123, 3)],
  ['/bin/big', pattern(600 * BLKSIZE + 7, 4)],
  ['/a/b/c/deep.txt', pattern(5000, 5)],
  ['/a/b/c/d/e/empty-again', new Uint8Array(0)],
  ['/a/b/sibling', pattern(17, 6)],
]);

beforeAll(() => {
  hostDir = mkdtempSync(join(tmpdir(), 'jos86-fsimage-'));
  for (const [path, data] of hostFiles) {
    const hostPath = join(hostDir, 'tree', path);
    mkdirSync(join(hostPath, '..'), { recursive: true });
    writeFileSync(hostPath, data);
  }
  mkdirSync(join(hostDir, 'tree', 'empty-dir'));
});

afterAll(() => rmSync(hostDir, { recursive: true, force: true }));

describe('an empty file system', () => {
  it('has an empty root, every data block free, and passes fsck', () => {
    const image = FsImage.create(64);
    expect(image.ls('/')).toEqual([]);
    expect(image.stat('/')).toEqual({ name: '/', type: 'dir', size: 0 });
    expect(image.freeBlockCount()).toBe(64 - firstDataBlock(64));
    expect(image.fsck()).toEqual([]);
    expect(image.bytes.subarray(0, BLKSIZE).every((x) => x === 0)).toBe(true);
  });

  it('reopens from its bytes, and refuses what is not a file system', () => {
    const image = FsImage.create(64);
    image.writeFile('/x', pattern(100, 9));
    expectSameBytes(FsImage.open(image.bytes).readFile('/x'), pattern(100, 9));
    expectFsError(() => FsImage.open(new Uint8Array(64 * BLKSIZE)), 'EBADFS', /magic/);
    expectFsError(() => FsImage.open(image.bytes.slice(0, 10 * BLKSIZE)), 'EBADFS', /truncated/);
    const wrongVersion = image.bytes.slice();
    wrongVersion[BLKSIZE + 4] = 9;
    expectFsError(() => FsImage.open(wrongVersion), 'EBADFS', /version 9/);
    expectFsError(() => FsImage.create(3), 'EINVAL', /out of range/);
  });
});

describe('mkfs from a host tree', () => {
  it('copies every file byte for byte, subdirectories included', () => {
    const image = mkfsFromHostTree(join(hostDir, 'tree'));
    for (const [path, data] of hostFiles) {
      expectSameBytes(image.readFile(path), data, path);
    }
    expect(image.ls('/').map((e) => e.name)).toEqual(['a', 'bin', 'empty', 'empty-dir', 'readme.txt']);
    expect(image.ls('/a/b')).toEqual([
      { name: 'c', type: 'dir', size: BLKSIZE },
      { name: 'sibling', type: 'file', size: 17 },
    ]);
    expect(image.ls('/empty-dir')).toEqual([]);
    expect(image.stat('/bin/indirect')).toEqual({ name: 'indirect', type: 'file', size: 11 * BLKSIZE + 123 });
    expect(image.fsck()).toEqual([]);
  });

  it('uses an indirect block exactly when a file has more than ten blocks', () => {
    const image = mkfsFromHostTree(join(hostDir, 'tree'));
    const indirectOf = (path: string) => new DataView(image.bytes.buffer).getUint32(image.recordOffset(path) + F_INDIRECT, true);
    expect(indirectOf('/bin/ten-blocks')).toBe(0);
    expect(indirectOf('/bin/indirect')).toBeGreaterThan(0);
    expect(indirectOf('/bin/big')).toBeGreaterThan(0);
    const emptyRecord = image.recordOffset('/empty');
    expect(image.bytes.subarray(emptyRecord + F_DIRECT, emptyRecord + F_INDIRECT + 4).every((x) => x === 0)).toBe(true);
  });

  it('gives the same bytes every time (images/ is rebuilt byte-identically)', () => {
    const first = mkfsFromHostTree(join(hostDir, 'tree'));
    const second = mkfsFromHostTree(join(hostDir, 'tree'));
    expect(Buffer.compare(Buffer.from(first.bytes), Buffer.from(second.bytes))).toBe(0);
  });

  it('sizes the default disk to at least 4 MiB and twice the tree', () => {
    const image = mkfsFromHostTree(join(hostDir, 'tree'));
    const needed = treeDataBlocks(scanHostTree(join(hostDir, 'tree')));
    expect(image.nblocks).toBeGreaterThanOrEqual(DEFAULT_MIN_NBLOCKS);
    expect(image.freeBlockCount()).toBeGreaterThanOrEqual(needed);
    expect(image.nblocks - firstDataBlock(image.nblocks) - image.freeBlockCount()).toBe(needed);
    expect(mkfsFromHostTree(undefined).nblocks).toBe(DEFAULT_MIN_NBLOCKS);
  });

  it('refuses a disk too small for the tree, naming the size needed', () => {
    expectFsError(() => mkfsFromHostTree(join(hostDir, 'tree'), 100), 'ENOSPC', /choose at least \d+ blocks/);
  });

  it('refuses host names the format cannot hold', () => {
    const dir = join(hostDir, 'long-name');
    mkdirSync(dir);
    writeFileSync(join(dir, 'n'.repeat(128)), 'x');
    expectFsError(() => mkfsFromHostTree(dir), 'ENAMETOOLONG', /longer than 127 bytes/);
  });

  it('saves to and loads from a host file', () => {
    const path = join(hostDir, 'saved.img');
    const image = mkfsFromHostTree(join(hostDir, 'tree'));
    image.save(path);
    expect(readFileSync(path).length).toBe(image.nblocks * BLKSIZE);
    expectSameBytes(FsImage.load(path).readFile('/a/b/c/deep.txt'), hostFiles.get('/a/b/c/deep.txt')!);
  });
});

describe('changing an image', () => {
  it('creates, replaces and removes files, and gives every block back', () => {
    const image = FsImage.create(2048);
    const free = image.freeBlockCount();
    image.writeFile('/f', pattern(3 * BLKSIZE, 1));
    image.writeFile('/f', pattern(40 * BLKSIZE + 1, 2)); // grows into the indirect block
    expectSameBytes(image.readFile('/f'), pattern(40 * BLKSIZE + 1, 2));
    image.writeFile('/f', pattern(10, 3)); // shrinks: the indirect block goes
    expectSameBytes(image.readFile('/f'), pattern(10, 3));
    expect(new DataView(image.bytes.buffer).getUint32(image.recordOffset('/f') + F_INDIRECT, true)).toBe(0);
    image.writeFile('/empty', new Uint8Array(0));
    expect(image.readFile('/empty').length).toBe(0);
    expect(image.fsck()).toEqual([]);
    image.rm('/f');
    image.rm('/empty');
    expect(image.ls('/')).toEqual([]);
    // The root keeps its one block; everything else is free again.
    expect(image.freeBlockCount()).toBe(free - 1);
    expect(image.fsck()).toEqual([]);
  });

  it('holds a file of exactly the maximum size, and not a byte more', () => {
    const image = FsImage.create(1200);
    image.writeFile('/max', pattern(MAXFILESIZE, 7));
    expectSameBytes(image.readFile('/max'), pattern(MAXFILESIZE, 7));
    expect(image.fsck()).toEqual([]);
    expectUnchanged(image, () => image.writeFile('/over', new Uint8Array(MAXFILESIZE + 1)), 'EFBIG');
  });

  it('grows a directory past one block and past its direct blocks', () => {
    const image = FsImage.create(1024);
    const count = 16 * NDIRECT + 5; // needs the directory's indirect block
    for (let i = 0; i < count; i++) image.writeFile(`/f${i}`, pattern(i, i));
    expect(image.stat('/').size).toBe(11 * BLKSIZE);
    expect(image.ls('/').length).toBe(count);
    expectSameBytes(image.readFile('/f164'), pattern(164, 164));
    expect(image.fsck()).toEqual([]);
    // A freed slot is reused before the directory grows again.
    image.rm('/f3');
    image.writeFile('/new', pattern(5, 5));
    expect(image.ls('/')[3].name).toBe('new');
    expect(image.stat('/').size).toBe(11 * BLKSIZE);
  });

  it('makes directories at any depth', () => {
    const image = FsImage.create(256);
    image.mkdir('/one');
    image.mkdir('/one/two/three/four/five', { parents: true });
    image.mkdir('/one/two', { parents: true }); // exists: fine with parents
    image.writeFile('/one/two/three/four/five/leaf', pattern(9, 9));
    expectSameBytes(image.readFile('one//two/three/four/five/leaf/'), pattern(9, 9));
    expect(image.ls('/one/two/three/four')).toEqual([{ name: 'five', type: 'dir', size: BLKSIZE }]);
    expect(image.fsck()).toEqual([]);
    expectUnchanged(image, () => image.mkdir('/one'), 'EEXIST');
    expectUnchanged(image, () => image.mkdir('/x/y'), 'ENOENT');
    expectUnchanged(image, () => image.mkdir('/one/two/three/four/five/leaf'), 'EEXIST');
    expectUnchanged(image, () => image.mkdir('/one/two/three/four/five/leaf/sub', { parents: true }), 'ENOTDIR');
  });

  it('removes files and empty directories only', () => {
    const image = FsImage.create(256);
    image.mkdir('/d/e', { parents: true });
    image.writeFile('/d/file', pattern(1, 1));
    expectUnchanged(image, () => image.rm('/d'), 'ENOTEMPTY');
    expectUnchanged(image, () => image.rm('/'), 'EINVAL');
    expectUnchanged(image, () => image.rm('/d/missing'), 'ENOENT');
    image.rm('/d/e');
    image.rm('/d/file');
    image.rm('/d');
    expect(image.ls('/')).toEqual([]);
    expect(image.fsck()).toEqual([]);
  });

  it('rejects bad paths, long names and missing files with clear errors', () => {
    const image = FsImage.create(256);
    image.mkdir('/dir');
    image.writeFile('/file', pattern(3, 3));
    expectUnchanged(image, () => image.writeFile('/' + 'n'.repeat(128), pattern(1, 1)), 'ENAMETOOLONG');
    image.writeFile('/' + 'n'.repeat(127), pattern(1, 1));
    expect(image.stat('/' + 'n'.repeat(127)).size).toBe(1);
    expectUnchanged(image, () => image.writeFile('/dir/' + 'x/'.repeat(600) + 'f', pattern(1, 1)), 'ENAMETOOLONG');
    expectUnchanged(image, () => image.writeFile('/dir/../file', pattern(1, 1)), 'EINVAL');
    expectUnchanged(image, () => image.writeFile('/./file', pattern(1, 1)), 'EINVAL');
    expectUnchanged(image, () => image.writeFile('/no/such/dir/f', pattern(1, 1)), 'ENOENT');
    expectUnchanged(image, () => image.writeFile('/file/under-a-file', pattern(1, 1)), 'ENOTDIR');
    expectUnchanged(image, () => image.writeFile('/dir', pattern(1, 1)), 'EISDIR');
    expectUnchanged(image, () => image.writeFile('/', pattern(1, 1)), 'EISDIR');
    expectFsError(() => image.readFile('/missing'), 'ENOENT', /\/missing: no such file or directory/);
    expectFsError(() => image.readFile('/dir'), 'EISDIR');
    expectFsError(() => image.ls('/file/x'), 'ENOTDIR');
    expect(image.ls('/file')).toEqual([{ name: 'file', type: 'file', size: 3 }]);
  });
});

describe('a full disk', () => {
  /** A disk whose data area is exactly full, the root using one block. */
  function fullDisk(): FsImage {
    const image = FsImage.create(64);
    // Everything but the root's block, /d's block, /d/fill's indirect block and one for /last.
    const fillBlocks = image.freeBlockCount() - 4;
    image.mkdir('/d');
    image.writeFile('/d/fill', pattern((fillBlocks - 1) * BLKSIZE + 1, 1));
    image.writeFile('/last', pattern(BLKSIZE, 2)); // takes the last free block
    expect(image.freeBlockCount()).toBe(0);
    expect(image.fsck()).toEqual([]);
    return image;
  }

  it('can be filled to the last block', () => {
    const image = fullDisk();
    expectSameBytes(image.readFile('/last'), pattern(BLKSIZE, 2));
  });

  it('reports ENOSPC and leaves the image byte-identical', () => {
    const image = fullDisk();
    expectUnchanged(image, () => image.writeFile('/new', pattern(1, 3)), 'ENOSPC');
    expectUnchanged(image, () => image.writeFile('/last', pattern(BLKSIZE + 1, 3)), 'ENOSPC');
    expectUnchanged(image, () => image.writeFile('/d/fill', pattern(60 * BLKSIZE, 3)), 'ENOSPC');
    expect(image.fsck()).toEqual([]);
  });

  it('rolls back a change that runs out of space half-way', () => {
    // With one block free, mkdir -p adds /d/p (a free slot in /d), gives
    // /d/p its first block for the entry q, then finds no block for q's
    // entry r: everything done before that must be undone.
    const image = fullDisk();
    image.rm('/last');
    expect(image.freeBlockCount()).toBe(1);
    expectUnchanged(image, () => image.mkdir('/d/p/q/r', { parents: true }), 'ENOSPC');
    expect(image.exists('/d/p')).toBe(false);
    expect(image.fsck()).toEqual([]);
    // Replacing a file with one of the same size needs no spare block.
    image.writeFile('/d/fill', pattern(image.stat('/d/fill').size, 4));
    expect(image.fsck()).toEqual([]);
  });
});

describe('random operations', () => {
  it('keeps the image consistent and the contents right after each step', () => {
    const image = FsImage.create(600);
    const model = new Map<string, Uint8Array>();
    const dirs = ['/', '/x', '/x/y', '/z'];
    image.mkdir('/x/y', { parents: true });
    image.mkdir('/z');
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let step = 0; step < 300; step++) {
      const dir = dirs[random(dirs.length)];
      const path = `${dir === '/' ? '' : dir}/f${random(12)}`;
      const before = image.bytes.slice();
      if (random(3) === 0) {
        if (model.has(path)) {
          image.rm(path);
          model.delete(path);
        } else {
          expectFsError(() => image.rm(path), 'ENOENT');
        }
      } else {
        const sizes = [0, 1, BLKSIZE, 10 * BLKSIZE, 10 * BLKSIZE + 1, 60 * BLKSIZE + 5];
        const data = pattern(sizes[random(sizes.length)] + random(100), step);
        try {
          image.writeFile(path, data);
          model.set(path, data);
        } catch (error) {
          expect((error as FsError).code).toBe('ENOSPC');
          expect(Buffer.compare(Buffer.from(before), Buffer.from(image.bytes))).toBe(0);
        }
      }
      expect(image.fsck(), `step ${step}`).toEqual([]);
    }
    for (const [path, data] of model) expectSameBytes(image.readFile(path), data, path);
  });
});

// fsck: each kind of corruption, injected into a clean image by poking the
// raw bytes, is found and reported with a message that names what is wrong;
// random damage never makes fsck throw or loop.

import { beforeEach, describe, expect, it } from 'vitest';
import { FsImage, type FsckKind } from '../../src/host/fsimage.ts';
import {
  BITMAP_BLOCK,
  BLKSIZE,
  F_DIRECT,
  F_INDIRECT,
  F_NAME,
  F_SIZE,
  F_TYPE,
  MAXNAMELEN,
  ROOT_RECORD,
  SUPER_BLOCK,
  firstDataBlock,
} from '../../src/host/fs/layout.ts';

let image: FsImage;
let data: DataView;

const u32 = (offset: number) => data.getUint32(offset, true);
const setU32 = (offset: number, value: number) => data.setUint32(offset, value, true);
const directBlock = (path: string, index = 0) => u32(image.recordOffset(path) + F_DIRECT + 4 * index);
const setFreeBit = (block: number, free: boolean) => {
  const at = BITMAP_BLOCK * BLKSIZE + (block >>> 3);
  image.bytes[at] = free ? image.bytes[at] | (1 << (block & 7)) : image.bytes[at] & ~(1 << (block & 7));
};
const kinds = () => image.fsck().map((p) => p.kind);
const messages = () => image.fsck().map((p) => p.message);

/** fsck reports exactly these kinds (in any order). */
function expectKinds(...expected: FsckKind[]): void {
  expect(kinds().sort()).toEqual([...expected].sort());
}

beforeEach(() => {
  image = FsImage.create(256);
  image.mkdir('/dir/sub', { parents: true });
  image.writeFile('/a', new Uint8Array(3 * BLKSIZE).fill(1));
  image.writeFile('/b', new Uint8Array(2 * BLKSIZE).fill(2));
  image.writeFile('/dir/big', new Uint8Array(12 * BLKSIZE).fill(3));
  data = new DataView(image.bytes.buffer);
  expect(image.fsck()).toEqual([]);
});

describe('fsck finds', () => {
  it('a block used twice', () => {
    const shared = directBlock('/a', 1);
    const orphan = directBlock('/b', 0);
    setU32(image.recordOffset('/b') + F_DIRECT, shared);
    expectKinds('double-use', 'leaked');
    expect(messages()).toContain(`block ${shared} is used twice: by /a (file block 1) and by /b (file block 0)`);
    expect(messages()).toContain(`block ${orphan} is marked in use but no file owns it (leaked)`);
  });

  it('a reachable block marked free', () => {
    const block = directBlock('/dir/big', 2);
    setFreeBit(block, true);
    expectKinds('unmarked');
    expect(messages()[0]).toBe(`block ${block} (/dir/big (file block 2)) is in use but marked free in the bitmap`);
  });

  it('an indirect block marked free', () => {
    const indirect = u32(image.recordOffset('/dir/big') + F_INDIRECT);
    setFreeBit(indirect, true);
    expectKinds('unmarked');
    expect(messages()[0]).toContain('/dir/big (indirect block)');
  });

  it('a leaked block, and a run of them as one problem', () => {
    const firstFree = firstDataBlock(image.nblocks) + (image.nblocks - firstDataBlock(image.nblocks) - image.freeBlockCount());
    setFreeBit(firstFree, false);
    expectKinds('leaked');
    expect(messages()[0]).toBe(`block ${firstFree} is marked in use but no file owns it (leaked)`);
    setFreeBit(firstFree + 1, false);
    setFreeBit(firstFree + 2, false);
    expect(messages()).toEqual([`blocks ${firstFree}-${firstFree + 2} are marked in use but no file owns them (leaked)`]);
  });

  it('a size larger than the allocated blocks', () => {
    setU32(image.recordOffset('/a') + F_SIZE, 5 * BLKSIZE);
    expectKinds('bad-size');
    expect(messages()[0]).toBe('/a: size 20480 needs 5 block(s), but it has 2 of them missing');
  });

  it('a size smaller than the allocated blocks', () => {
    setU32(image.recordOffset('/dir/big') + F_SIZE, 100);
    expectKinds('bad-size');
    expect(messages()[0]).toMatch(/^\/dir\/big: size 100 needs 1 block\(s\), but it has \d+ block pointer\(s\) past the end$/);
  });

  it('a negative size, and a directory size that is not whole blocks', () => {
    setU32(image.recordOffset('/b') + F_SIZE, 0xffff_fff0);
    setU32(image.recordOffset('/dir') + F_SIZE, BLKSIZE + 1);
    const found = image.fsck();
    expect(found.map((p) => p.message)).toContain('/b: size -16 is outside 0..4235264');
    expect(found.map((p) => p.message)).toContain('/dir: directory size 4097 is not a multiple of 4096');
  });

  it('a name that is not NUL-terminated', () => {
    image.bytes.fill('x'.charCodeAt(0), image.recordOffset('/b') + F_NAME, image.recordOffset('/b') + F_NAME + MAXNAMELEN);
    expectKinds('bad-name');
    expect(messages()[0]).toMatch(/\/x{128}: name is not NUL-terminated/);
  });

  it("a name with '/' in it, and one called '..'", () => {
    image.bytes.set(new TextEncoder().encode('a/b'), image.recordOffset('/b') + F_NAME);
    image.bytes.set(new TextEncoder().encode('..\0'), image.recordOffset('/dir/sub') + F_NAME);
    expectKinds('bad-name', 'bad-name');
    expect(messages()).toContain("/: entry 'a/b' contains '/' (entry 2 of block " + u32(ROOT_RECORD + F_DIRECT) + ')');
  });

  it('two entries with one name', () => {
    image.bytes.set(new TextEncoder().encode('a'), image.recordOffset('/b') + F_NAME);
    expectKinds('duplicate-name');
    expect(messages()[0]).toBe("/: two entries are named 'a'");
  });

  it('an invalid type', () => {
    setU32(image.recordOffset('/a') + F_TYPE, 7);
    expectKinds('bad-type');
    expect(messages()[0]).toBe('/a: type 7 is neither 0 (file) nor 1 (directory)');
  });

  it('a pointer outside the data area', () => {
    const lost = directBlock('/a', 0);
    setU32(image.recordOffset('/a') + F_DIRECT, SUPER_BLOCK);
    expectKinds('bad-pointer', 'leaked');
    expect(messages()).toContain(`/a: file block 0 points to block 1, outside the data area 3..255`);
    expect(messages()).toContain(`block ${lost} is marked in use but no file owns it (leaked)`);
  });

  it('metadata blocks marked free, and bitmap bits past the disk', () => {
    setFreeBit(SUPER_BLOCK, true);
    setFreeBit(image.nblocks + 3, true);
    expectKinds('bitmap', 'bitmap');
    expect(messages()).toContain('block 1 (superblock) is marked free in the bitmap');
    expect(messages()).toContain('bitmap marks blocks from 259 free, past the end of the 256-block disk');
  });

  it('a bad superblock, and stops there', () => {
    setU32(SUPER_BLOCK * BLKSIZE, 0x12345678);
    expect(FsImage.check(image.bytes)).toEqual([
      { kind: 'superblock', message: 'bad magic 0x12345678 (expected 0x4636384A): not a jos86 file system' },
    ]);
  });

  it('a superblock claiming more blocks than the image holds', () => {
    expect(FsImage.check(image.bytes.slice(0, 100 * BLKSIZE)).map((p) => p.message)).toEqual([
      'image is truncated: 256 blocks need 1048576 bytes, the image has 409600',
    ]);
  });

  it('a non-zero header block and reserved superblock bytes', () => {
    image.bytes[100] = 1;
    image.bytes[SUPER_BLOCK * BLKSIZE + 20] = 1;
    expectKinds('header', 'superblock');
  });

  it('a root that is not a directory named /', () => {
    image.bytes[ROOT_RECORD + F_NAME] = 'r'.charCodeAt(0);
    expectKinds('superblock');
    expect(messages()[0]).toBe("root directory is named 'r', not '/'");
  });
});

describe('fsck on damaged images', () => {
  it('survives a directory that contains its own block', () => {
    // /dir/sub's only block becomes /dir's block: /dir would list itself forever.
    image.writeFile('/dir/sub/file', new Uint8Array(1));
    const subBlock = directBlock('/dir/sub');
    setU32(image.recordOffset('/dir/sub') + F_DIRECT, directBlock('/dir'));
    const found = image.fsck();
    expect(found.map((p) => p.kind)).toContain('double-use');
    // Nothing reaches sub's real block (nor the file listed in it) any more.
    expect(found).toContainEqual(expect.objectContaining({ kind: 'leaked', block: subBlock }));
  });

  it('never throws on random damage to the metadata and directory blocks', () => {
    const clean = image.bytes.slice();
    const hot = [SUPER_BLOCK * BLKSIZE, BITMAP_BLOCK * BLKSIZE, directBlock('/') * BLKSIZE, directBlock('/dir') * BLKSIZE];
    let seed = 99;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let round = 0; round < 300; round++) {
      image.bytes.set(clean);
      for (let hit = 0; hit < 1 + random(8); hit++) {
        image.bytes[hot[random(hot.length)] + random(BLKSIZE)] = random(256);
      }
      expect(() => image.fsck()).not.toThrow();
    }
  });
});

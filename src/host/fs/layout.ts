// The jos86 file-system on-disk layout, as TypeScript constants and small
// readers over a raw image. It mirrors src/fs/format.h field for field; the
// prose description (and the rules fsck enforces) is src/fs/FORMAT.md.
// test/host/fsimage-format.test.ts compiles format.h with gcc and checks
// that these numbers match the C structs.
//
// Everything on disk is little-endian.

export const BLKSIZE = 4096;
export const BLKBITSIZE = BLKSIZE * 8;

export const HEADER_BLOCK = 0;
export const SUPER_BLOCK = 1;
export const BITMAP_BLOCK = 2;

export const FS_MAGIC = 0x4636384a; // "J86F"
export const FS_VERSION = 1;
/** The file server maps the whole disk into a 3 GiB window, a page a block. */
export const MAX_NBLOCKS = 0xc000_0000 / BLKSIZE;

export const MAXNAMELEN = 128; // with the NUL
export const MAXPATHLEN = 1024; // with the NUL
export const NDIRECT = 10;
export const NINDIRECT = BLKSIZE / 4;
export const MAX_FILE_BLOCKS = NDIRECT + NINDIRECT;
export const MAXFILESIZE = MAX_FILE_BLOCKS * BLKSIZE;

export const FTYPE_REG = 0;
export const FTYPE_DIR = 1;

/** struct File: 256 bytes, 16 to a directory block. */
export const FILE_RECORD_SIZE = 256;
export const BLKFILES = BLKSIZE / FILE_RECORD_SIZE;
export const F_NAME = 0;
export const F_SIZE = 128;
export const F_TYPE = 132;
export const F_DIRECT = 136;
export const F_INDIRECT = 176;
export const F_PAD = 180;

/** struct Super, at the start of block 1. */
export const S_MAGIC = 0;
export const S_VERSION = 4;
export const S_NBLOCKS = 8;
export const S_RESERVED = 12;
export const S_ROOT = 256;
export const SUPER_SIZE = 512;

/** Byte offset in the image of the root directory's File record. */
export const ROOT_RECORD = SUPER_BLOCK * BLKSIZE + S_ROOT;

export function bitmapBlockCount(nblocks: number): number {
  return Math.ceil(nblocks / BLKBITSIZE);
}

/** The first block a file may own: all below are header, super, bitmap. */
export function firstDataBlock(nblocks: number): number {
  return BITMAP_BLOCK + bitmapBlockCount(nblocks);
}

/** File blocks a file of `size` bytes owns (no holes in this format). */
export function fileBlocksForSize(size: number): number {
  return Math.ceil(size / BLKSIZE);
}

/** Disk blocks a file of `size` bytes takes: its data plus the indirect block. */
export function diskBlocksForSize(size: number): number {
  const n = fileBlocksForSize(size);
  return n + (n > NDIRECT ? 1 : 0);
}

/** Smallest disk whose data area holds `dataBlocks` blocks. */
export function nblocksForData(dataBlocks: number): number {
  let n = dataBlocks + BITMAP_BLOCK + 1;
  while (n - firstDataBlock(n) < dataBlocks) n++;
  return n;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

export function encodeName(name: string): Uint8Array {
  return utf8.encode(name);
}

/** The bytes of a NUL-terminated name field, or undefined if it has no NUL. */
export function nameBytesAt(image: Uint8Array, record: number): Uint8Array | undefined {
  const field = image.subarray(record + F_NAME, record + F_NAME + MAXNAMELEN);
  const end = field.indexOf(0);
  return end < 0 ? undefined : field.subarray(0, end);
}

/** A name field for messages: decoded up to the NUL (or the whole field). */
export function displayName(image: Uint8Array, record: number): string {
  const bytes = nameBytesAt(image, record) ?? image.subarray(record + F_NAME, record + F_NAME + MAXNAMELEN);
  return utf8Decoder.decode(bytes);
}

export function decodeName(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Little-endian views of an image's fields. */
export class ImageView {
  readonly data: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u32(offset: number): number {
    return this.data.getUint32(offset, true);
  }
  i32(offset: number): number {
    return this.data.getInt32(offset, true);
  }
  /** Block b is free in the bitmap (bit set). */
  isFree(block: number): boolean {
    const byte = this.bytes[BITMAP_BLOCK * BLKSIZE + (block >>> 3)];
    return ((byte >>> (block & 7)) & 1) === 1;
  }
  nblocks(): number {
    return this.u32(SUPER_BLOCK * BLKSIZE + S_NBLOCKS);
  }
}

// fsck for jos86 file-system images: checks every rule of src/fs/FORMAT.md
// ("What jos86 fs fsck checks") and returns each violation as a problem with
// a message that names the file and block involved.
//
// It reads the raw bytes only and never throws on a corrupt image: the walk
// checks each block pointer before following it, descends into a directory
// block only the first time that block is claimed (so a block shared by two
// directories cannot make it loop), and uses an explicit work list instead of
// recursion.

import {
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
  HEADER_BLOCK,
  ImageView,
  MAX_NBLOCKS,
  MAXFILESIZE,
  NDIRECT,
  NINDIRECT,
  ROOT_RECORD,
  SUPER_BLOCK,
  SUPER_SIZE,
  S_MAGIC,
  S_RESERVED,
  S_ROOT,
  S_VERSION,
  bitmapBlockCount,
  displayName,
  fileBlocksForSize,
  firstDataBlock,
  nameBytesAt,
} from './layout.ts';

export type FsckKind =
  | 'header' // block 0 is not zero
  | 'superblock' // bad magic, version, size, reserved bytes or root record
  | 'bitmap' // metadata blocks marked free, or bits past the disk set
  | 'unmarked' // a block a file owns is marked free
  | 'double-use' // a block owned twice
  | 'leaked' // marked in use, owned by nothing
  | 'bad-size' // size out of range, or not matching the allocated blocks
  | 'bad-name' // name not NUL-terminated, containing '/', '.', '..'
  | 'duplicate-name' // two entries with one name in a directory
  | 'bad-type' // f_type neither 0 nor 1
  | 'bad-pointer'; // a block pointer outside the data area

export interface FsckProblem {
  kind: FsckKind;
  message: string;
  /** The file concerned, when there is one. */
  path?: string;
  /** The block concerned, when there is one. */
  block?: number;
}

const SLASH = '/'.charCodeAt(0);

export function checkImage(bytes: Uint8Array): FsckProblem[] {
  const problems: FsckProblem[] = [];
  const report = (problem: FsckProblem) => problems.push(problem);

  if (bytes.length < 2 * BLKSIZE) {
    report({ kind: 'superblock', message: `image is ${bytes.length} bytes, too small to hold a superblock` });
    return problems;
  }
  const view = new ImageView(bytes);
  const superAt = SUPER_BLOCK * BLKSIZE;

  if (bytes.subarray(HEADER_BLOCK * BLKSIZE, (HEADER_BLOCK + 1) * BLKSIZE).some((x) => x !== 0)) {
    report({
      kind: 'header',
      block: HEADER_BLOCK,
      message: 'block 0 (header) is not zero: an encrypted image, or foreign data on a plain one',
    });
  }

  // Problems that make the rest unreadable end the check here.
  const magic = view.u32(superAt + S_MAGIC);
  if (magic !== FS_MAGIC) {
    report({ kind: 'superblock', message: `bad magic 0x${hex(magic)} (expected 0x${hex(FS_MAGIC)}): not a jos86 file system` });
    return problems;
  }
  const version = view.u32(superAt + S_VERSION);
  if (version !== FS_VERSION) {
    report({ kind: 'superblock', message: `unsupported version ${version} (expected ${FS_VERSION})` });
    return problems;
  }
  const nblocks = view.nblocks();
  if (nblocks <= firstDataBlock(nblocks) || nblocks > MAX_NBLOCKS) {
    report({ kind: 'superblock', message: `block count ${nblocks} is not a valid disk size` });
    return problems;
  }
  if (bytes.length < nblocks * BLKSIZE) {
    report({
      kind: 'superblock',
      message: `image is truncated: ${nblocks} blocks need ${nblocks * BLKSIZE} bytes, the image has ${bytes.length}`,
    });
    return problems;
  }
  if (bytes.subarray(superAt + S_RESERVED, superAt + S_ROOT).some((x) => x !== 0)) {
    report({ kind: 'superblock', block: SUPER_BLOCK, message: 'reserved superblock bytes 12..255 are not zero' });
  }
  if (bytes.subarray(superAt + SUPER_SIZE, superAt + BLKSIZE).some((x) => x !== 0)) {
    report({ kind: 'superblock', block: SUPER_BLOCK, message: `superblock bytes ${SUPER_SIZE}..${BLKSIZE - 1} are not zero` });
  }
  const rootName = nameBytesAt(bytes, ROOT_RECORD);
  if (!rootName || rootName.length !== 1 || rootName[0] !== SLASH) {
    report({ kind: 'superblock', path: '/', message: `root directory is named '${displayName(bytes, ROOT_RECORD)}', not '/'` });
  }
  if (view.u32(ROOT_RECORD + F_TYPE) !== FTYPE_DIR) {
    report({ kind: 'superblock', path: '/', message: `root File record has type ${view.u32(ROOT_RECORD + F_TYPE)}, not a directory` });
  }

  const dataStart = firstDataBlock(nblocks);
  for (let b = 0; b < dataStart; b++) {
    if (view.isFree(b)) {
      report({ kind: 'bitmap', block: b, message: `block ${b} (${metadataName(b)}) is marked free in the bitmap` });
    }
  }
  for (let b = nblocks; b < bitmapBlockCount(nblocks) * BLKBITSIZE; b++) {
    if (view.isFree(b)) {
      report({ kind: 'bitmap', message: `bitmap marks blocks from ${b} free, past the end of the ${nblocks}-block disk` });
      break;
    }
  }

  // ---- The tree walk: claim every block a file owns -------------------------
  const owner: (string | undefined)[] = new Array(nblocks);

  /** Record that `what` owns `block`; false if someone already did. */
  const claim = (block: number, what: string): boolean => {
    const previous = owner[block];
    if (previous !== undefined) {
      report({ kind: 'double-use', block, message: `block ${block} is used twice: by ${previous} and by ${what}` });
      return false;
    }
    owner[block] = what;
    if (view.isFree(block)) {
      report({ kind: 'unmarked', block, message: `block ${block} (${what}) is in use but marked free in the bitmap` });
    }
    return true;
  };
  const inRange = (block: number) => block >= dataStart && block < nblocks;

  // Breadth-first, in directory order, so the first owner named in a
  // double-use message is the one met first in a listing.
  const work: { record: number; path: string }[] = [{ record: ROOT_RECORD, path: '/' }];
  for (let next = 0; next < work.length; next++) {
    const { record, path } = work[next];
    const type = view.u32(record + F_TYPE);
    if (type !== FTYPE_REG && type !== FTYPE_DIR) {
      report({ kind: 'bad-type', path, message: `${path}: type ${type} is neither 0 (file) nor 1 (directory)` });
    }
    const size = view.i32(record + F_SIZE);
    let allocated = 0;
    if (size < 0 || size > MAXFILESIZE) {
      report({ kind: 'bad-size', path, message: `${path}: size ${size} is outside 0..${MAXFILESIZE}` });
    } else {
      allocated = fileBlocksForSize(size);
      if (type === FTYPE_DIR && size % BLKSIZE !== 0) {
        report({ kind: 'bad-size', path, message: `${path}: directory size ${size} is not a multiple of ${BLKSIZE}` });
      }
    }

    // Gather the file's pointers: index -> block, checking each one.
    const pointers: number[] = [];
    for (let i = 0; i < NDIRECT; i++) pointers.push(view.u32(record + F_DIRECT + 4 * i));
    const indirect = view.u32(record + F_INDIRECT);
    if (indirect !== 0) {
      if (!inRange(indirect)) {
        report({ kind: 'bad-pointer', path, message: `${path}: indirect block ${indirect} is outside the data area ${dataStart}..${nblocks - 1}` });
      } else {
        if (claim(indirect, `${path} (indirect block)`)) {
          for (let i = 0; i < NINDIRECT; i++) pointers.push(view.u32(indirect * BLKSIZE + 4 * i));
        }
      }
    }

    let missing = 0;
    let extra = 0;
    const dataBlocks: number[] = [];
    pointers.forEach((block, index) => {
      if (block === 0) {
        if (index < allocated) missing++;
        return;
      }
      if (index >= allocated) extra++;
      if (!inRange(block)) {
        report({
          kind: 'bad-pointer',
          path,
          message: `${path}: file block ${index} points to block ${block}, outside the data area ${dataStart}..${nblocks - 1}`,
        });
        return;
      }
      if (claim(block, `${path} (file block ${index})`) && index < allocated) dataBlocks.push(block);
    });
    // A missing indirect block leaves the pointers past NDIRECT unknown; count them as missing.
    if (allocated > NDIRECT && indirect === 0) missing += allocated - NDIRECT;
    if (indirect !== 0 && allocated <= NDIRECT) extra++;
    if (missing > 0 || extra > 0) {
      const parts = [];
      if (missing > 0) parts.push(`${missing} of them missing`);
      if (extra > 0) parts.push(`${extra} block pointer(s) past the end`);
      report({ kind: 'bad-size', path, message: `${path}: size ${size} needs ${allocated} block(s), but it has ${parts.join(' and ')}` });
    }

    if (type !== FTYPE_DIR) continue;
    // Directory: check its entries and queue them. Only blocks claimed for
    // the first time are read, so shared blocks cannot loop the walk.
    const seen = new Set<string>();
    for (const block of dataBlocks) {
      for (let j = 0; j < BLKFILES; j++) {
        const entry = block * BLKSIZE + j * FILE_RECORD_SIZE;
        if (bytes[entry + F_NAME] === 0) continue;
        const nameBytes = nameBytesAt(bytes, entry);
        const name = displayName(bytes, entry);
        const entryPath = path === '/' ? `/${name}` : `${path}/${name}`;
        if (!nameBytes) {
          report({ kind: 'bad-name', path: entryPath, block, message: `${entryPath}: name is not NUL-terminated (entry ${j} of block ${block})` });
        } else if (nameBytes.includes(SLASH)) {
          report({ kind: 'bad-name', path: entryPath, block, message: `${path}: entry '${name}' contains '/' (entry ${j} of block ${block})` });
        } else if (name === '.' || name === '..') {
          report({ kind: 'bad-name', path: entryPath, block, message: `${path}: entry named '${name}' is not allowed (entry ${j} of block ${block})` });
        } else {
          const key = Array.from(nameBytes).join(',');
          if (seen.has(key)) {
            report({ kind: 'duplicate-name', path: entryPath, block, message: `${path}: two entries are named '${name}'` });
          }
          seen.add(key);
        }
        work.push({ record: entry, path: entryPath });
      }
    }
  }

  // ---- Leaks: marked in use, owned by nothing --------------------------------
  let runStart = -1;
  const flushRun = (end: number) => {
    if (runStart < 0) return;
    const range = end - 1 === runStart ? `block ${runStart} is` : `blocks ${runStart}-${end - 1} are`;
    const them = end - 1 === runStart ? 'it' : 'them';
    report({ kind: 'leaked', block: runStart, message: `${range} marked in use but no file owns ${them} (leaked)` });
    runStart = -1;
  };
  for (let b = dataStart; b < nblocks; b++) {
    const leaked = owner[b] === undefined && !view.isFree(b);
    if (leaked && runStart < 0) runStart = b;
    if (!leaked) flushRun(b);
  }
  flushRun(nblocks);

  return problems;
}

function metadataName(block: number): string {
  if (block === HEADER_BLOCK) return 'header';
  if (block === SUPER_BLOCK) return 'superblock';
  return 'bitmap';
}

function hex(value: number): string {
  return value.toString(16).toUpperCase().padStart(8, '0');
}

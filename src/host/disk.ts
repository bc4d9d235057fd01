// Raw disk images on the host, as the IDE controller's BlockDevice.
//
// A disk is opened in one of two ways, following QEMU:
//   - copy-on-write (the default, and what `--snapshot` forces): sectors the
//     guest writes are kept in an in-memory overlay and the file is never
//     touched, so the committed images/ stay byte-identical after any run;
//   - write-through (`--hda FILE,rw`, like QEMU's writable `-drive`): guest
//     writes go straight to the file.
// A raw image whose length is not a whole number of sectors is read as if
// zero-padded to the next sector (as QEMU rounds raw images up); such an image
// is refused for write-through, since its last sector could not be written
// back whole.

import { closeSync, fstatSync, openSync, readSync, writeSync, fsyncSync } from 'node:fs';
import { SECTOR_SIZE, type BlockDevice } from '../devices/ide.ts';

export type DiskMode = 'cow' | 'rw';

/** Parsed `FILE[,rw|,ro|,snapshot]` disk argument. */
export interface DiskSpec {
  path: string;
  mode: DiskMode;
}

/** An image file exposed sector by sector, with an optional copy-on-write overlay. */
export class FileBlockDevice implements BlockDevice {
  readonly sectors: number;
  readonly path: string;
  readonly mode: DiskMode;
  /** Sectors written by the guest and not sent to the file (copy-on-write mode), by LBA. */
  private readonly overlay = new Map<number, Uint8Array>();
  private readonly fileBytes: number;
  private fd: number | null;

  constructor(path: string, mode: DiskMode = 'cow') {
    this.path = path;
    this.mode = mode;
    let fd: number;
    try {
      fd = openSync(path, mode === 'rw' ? 'r+' : 'r');
    } catch (error) {
      throw new Error(`cannot open disk image ${path}: ${describe(error)}`);
    }
    const stats = fstatSync(fd);
    if (!stats.isFile()) {
      closeSync(fd);
      throw new Error(`disk image ${path} is not a regular file`);
    }
    if (stats.size === 0) {
      closeSync(fd);
      throw new Error(`disk image ${path} is empty`);
    }
    if (mode === 'rw' && stats.size % SECTOR_SIZE !== 0) {
      closeSync(fd);
      throw new Error(`disk image ${path} is not a whole number of 512-byte sectors, so it cannot be opened writable`);
    }
    this.fd = fd;
    this.fileBytes = stats.size;
    this.sectors = Math.ceil(stats.size / SECTOR_SIZE);
  }

  /** Number of sectors held in the copy-on-write overlay. */
  get dirtySectors(): number {
    return this.overlay.size;
  }

  read(lba: number, count: number, into: Uint8Array): void {
    this.check(lba, count);
    for (let i = 0; i < count; i++) {
      const sector = into.subarray(i * SECTOR_SIZE, (i + 1) * SECTOR_SIZE);
      const written = this.overlay.get(lba + i);
      if (written) sector.set(written);
      else this.readFromFile(lba + i, sector);
    }
  }

  write(lba: number, from: Uint8Array): void {
    const count = Math.ceil(from.length / SECTOR_SIZE);
    this.check(lba, count);
    for (let i = 0; i < count; i++) {
      const sector = new Uint8Array(SECTOR_SIZE);
      sector.set(from.subarray(i * SECTOR_SIZE, (i + 1) * SECTOR_SIZE));
      if (this.mode === 'rw') writeSync(this.openFd(), sector, 0, SECTOR_SIZE, (lba + i) * SECTOR_SIZE);
      else this.overlay.set(lba + i, sector);
    }
  }

  flush(): void {
    if (this.mode === 'rw' && this.fd !== null) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private readFromFile(lba: number, into: Uint8Array): void {
    const offset = lba * SECTOR_SIZE;
    const available = Math.min(SECTOR_SIZE, this.fileBytes - offset);
    into.fill(0);
    let done = 0;
    while (done < available) {
      const n = readSync(this.openFd(), into, done, available - done, offset + done);
      if (n === 0) break;
      done += n;
    }
  }

  private openFd(): number {
    if (this.fd === null) throw new Error(`disk image ${this.path} is closed`);
    return this.fd;
  }

  private check(lba: number, count: number): void {
    if (lba < 0 || lba + count > this.sectors) throw new RangeError(`sectors ${lba}+${count} outside the ${this.sectors}-sector disk ${this.path}`);
  }
}

/**
 * Parse a disk argument: `FILE` (copy-on-write), `FILE,rw` (write-through) or
 * `FILE,snapshot` (copy-on-write, explicit). `snapshot` forces copy-on-write
 * whatever the suffix says, like QEMU's `-snapshot`.
 */
export function parseDiskSpec(argument: string, snapshot = false): DiskSpec {
  const comma = argument.lastIndexOf(',');
  let path = argument;
  let mode: DiskMode = 'cow';
  if (comma >= 0) {
    const suffix = argument.slice(comma + 1);
    if (suffix === 'rw') mode = 'rw';
    else if (suffix === 'ro' || suffix === 'snapshot') mode = 'cow';
    else throw new Error(`unknown disk option "${suffix}" in ${argument} (use FILE, FILE,rw or FILE,snapshot)`);
    path = argument.slice(0, comma);
  }
  if (path === '') throw new Error(`missing file name in disk argument "${argument}"`);
  return { path, mode: snapshot ? 'cow' : mode };
}

export function openDisk(argument: string, snapshot = false): FileBlockDevice {
  const spec = parseDiskSpec(argument, snapshot);
  return new FileBlockDevice(spec.path, spec.mode);
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return error instanceof Error ? error.message : String(error);
}

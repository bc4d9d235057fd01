import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileBlockDevice, openDisk, parseDiskSpec } from '../../src/host/disk.ts';

const dirs: string[] = [];
function imageFile(bytes: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'jos86-disk-'));
  dirs.push(dir);
  const path = join(dir, 'disk.img');
  writeFileSync(path, bytes);
  return path;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function pattern(sectors: number): Uint8Array {
  const bytes = new Uint8Array(sectors * 512);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 9)) & 0xff;
  return bytes;
}

describe('FileBlockDevice', () => {
  it('reads sectors of a raw image', () => {
    const bytes = pattern(4);
    const disk = new FileBlockDevice(imageFile(bytes));
    expect(disk.sectors).toBe(4);
    const into = new Uint8Array(1024);
    disk.read(2, 2, into);
    expect(into).toEqual(bytes.subarray(1024, 2048));
  });

  it('keeps writes in a copy-on-write overlay and leaves the file untouched', () => {
    const bytes = pattern(4);
    const path = imageFile(bytes);
    const disk = new FileBlockDevice(path);
    const sector = new Uint8Array(512).fill(0xab);
    disk.write(1, sector);
    const back = new Uint8Array(512);
    disk.read(1, 1, back);
    expect(back).toEqual(sector);
    expect(disk.dirtySectors).toBe(1);
    expect(new Uint8Array(readFileSync(path))).toEqual(bytes);
  });

  it('writes through to the file when opened ,rw', () => {
    const path = imageFile(pattern(2));
    const disk = openDisk(`${path},rw`);
    disk.write(0, new Uint8Array(512).fill(0x5a));
    disk.flush();
    disk.close();
    expect(readFileSync(path)[0]).toBe(0x5a);
    expect(readFileSync(path)[511]).toBe(0x5a);
  });

  it('--snapshot overrides ,rw', () => {
    const bytes = pattern(2);
    const path = imageFile(bytes);
    const disk = openDisk(`${path},rw`, true);
    expect(disk.mode).toBe('cow');
    disk.write(0, new Uint8Array(512));
    expect(new Uint8Array(readFileSync(path))).toEqual(bytes);
  });

  it('pads a partial last sector with zeros and refuses it for write-through', () => {
    const path = imageFile(new Uint8Array(700).fill(1));
    const disk = new FileBlockDevice(path);
    expect(disk.sectors).toBe(2);
    const into = new Uint8Array(512);
    disk.read(1, 1, into);
    expect(into[187]).toBe(1);
    expect(into[188]).toBe(0);
    expect(() => new FileBlockDevice(path, 'rw')).toThrow(/whole number of 512-byte sectors/);
  });

  it('rejects reads past the end, missing and empty files with clear messages', () => {
    const disk = new FileBlockDevice(imageFile(pattern(1)));
    expect(() => disk.read(1, 1, new Uint8Array(512))).toThrow(RangeError);
    expect(() => new FileBlockDevice('/nonexistent/disk.img')).toThrow('cannot open disk image /nonexistent/disk.img: no such file');
    expect(() => new FileBlockDevice(imageFile(new Uint8Array(0)))).toThrow(/is empty/);
  });

  it('parses disk arguments', () => {
    expect(parseDiskSpec('a.img')).toEqual({ path: 'a.img', mode: 'cow' });
    expect(parseDiskSpec('a.img,rw')).toEqual({ path: 'a.img', mode: 'rw' });
    expect(parseDiskSpec('a.img,snapshot')).toEqual({ path: 'a.img', mode: 'cow' });
    expect(() => parseDiskSpec('a.img,wat')).toThrow(/unknown disk option "wat"/);
    expect(() => parseDiskSpec(',rw')).toThrow(/missing file name/);
  });
});

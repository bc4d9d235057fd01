// The file server end to end: what the guest writes is on the disk (the
// host tool reads it back), survives a reboot, and leaves an image that
// passes the host fsck; a full disk, bad paths and malformed requests give
// error codes and leave the file system consistent; the block cache evicts
// when a file is larger than it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FsImage } from '../../src/host/fsimage.ts';
import { mkfsFromHostTree } from '../../src/host/fs/hosttree.ts';
import { FS_IMAGE, runShell } from '../kernel/shell.ts';

/** Bytes that differ from block to block, so a misplaced block shows. */
function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** The checksum writefile and cksum print. */
function cksum(data: Uint8Array): string {
  let sum = 0;
  for (const byte of data) sum = (Math.imul(sum, 31) + byte) >>> 0;
  return sum.toString(16).padStart(8, '0');
}

function noProblems(image: Uint8Array) {
  expect(FsImage.check(image)).toEqual([]);
}

const scratch = mkdtempSync(join(tmpdir(), 'jos86-fs-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A host tree with the default disk's /bin (or some of its programs), and files of our own, made into an image by mkfs. */
function imageFromHostTree(files: Record<string, Uint8Array>, nblocks?: number, programs?: string[]): Uint8Array {
  const root = mkdtempSync(join(scratch, 'tree-'));
  const base = FsImage.open(new Uint8Array(readFileSync(FS_IMAGE)));
  mkdirSync(join(root, 'bin'));
  for (const entry of base.ls('/bin')) {
    if (!programs || programs.includes(entry.name)) writeFileSync(join(root, 'bin', entry.name), base.readFile(`/bin/${entry.name}`));
  }
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(join(root, ...path.split('/').slice(1, -1)), { recursive: true });
    writeFileSync(join(root, ...path.split('/').slice(1)), data);
  }
  return mkfsFromHostTree(root, nblocks).bytes.slice();
}

describe('the file server', () => {
  it('round trip: host tree -> mkfs -> guest ls and cat -> host get, byte-identical', () => {
    const data = pattern(70_000, 7); // 18 blocks: direct and indirect
    const small = new TextEncoder().encode('made on the host\n');
    const image = imageFromHostTree({ '/tree/sub/deeper/data.bin': data, '/tree/note.txt': small });
    const run = runShell({
      fs: image,
      commands: ['ls -l /tree /tree/sub/deeper', 'cat /tree/note.txt', 'cksum /tree/sub/deeper/data.bin', 'cat /tree/sub/deeper/data.bin > /tree/copy.bin', 'sync'],
    });
    expect(run.transcript).toContain('-       17 /tree/note.txt');
    expect(run.transcript).toContain('-    70000 /tree/sub/deeper/data.bin');
    expect(run.transcript).toContain('made on the host\n');
    expect(run.transcript).toContain(`/tree/sub/deeper/data.bin: 70000 bytes, checksum ${cksum(data)}`);
    const after = FsImage.open(run.fsImage);
    expect(Buffer.compare(Buffer.from(after.readFile('/tree/copy.bin')), Buffer.from(data))).toBe(0);
    noProblems(run.fsImage);
  });

  it('what the guest writes survives sync and a reboot', () => {
    const first = runShell({ commands: ['mkdir -p /keep/deep/er', 'echo persist me > /keep/deep/er/p.txt', 'writefile /keep/w.bin 50000', 'rm /README', 'sync'] });
    const sum = /\/keep\/w.bin: 50000 bytes, checksum ([0-9a-f]{8})/.exec(first.transcript)?.[1];
    expect(sum).toBeDefined();
    noProblems(first.fsImage);
    const second = runShell({ fs: first.fsImage, commands: ['cat /keep/deep/er/p.txt', 'cksum /keep/w.bin', 'ls /'] });
    expect(second.transcript).toContain('persist me\n');
    expect(second.transcript).toContain(`/keep/w.bin: 50000 bytes, checksum ${sum}`);
    expect(second.transcript).not.toContain('README');
    noProblems(second.fsImage);
  });

  it('a full disk gives a clear error, keeps the file system consistent, and frees the space on rm', () => {
    // 200 blocks, with only the programs the test runs: about 600 KiB free.
    const image = imageFromHostTree({}, 200, ['sh', 'writefile', 'ls', 'echo', 'cat', 'rm', 'df', 'sync']);
    const run = runShell({ fs: image, commands: ['df', 'writefile /huge 1000000', 'ls -l /huge', 'echo no room > /small', 'rm /huge', 'echo still works > /small', 'cat /small', 'df', 'sync'], timeoutMs: 60_000 });
    expect(run.transcript).toMatch(/writefile: \/huge: wrote \d+ of 1000000 bytes: no free space on disk/);
    expect(run.transcript).toContain('echo: write error: no free space on disk');
    expect(run.transcript).toContain('still works\n');
    const dfs = [...run.transcript.matchAll(/200 blocks of 4096 bytes, (\d+) free/g)].map((m) => Number(m[1]));
    expect(dfs.length).toBe(2);
    expect(dfs[1]).toBe(dfs[0] - 1); // all back but the block of /small
    noProblems(run.fsImage);
  });

  it('a file larger than the block cache is written and read back through evictions', () => {
    const run = runShell({ commands: ['writefile /large 2400000', 'cksum /large', 'df', 'sync'], timeoutMs: 120_000 });
    const sum = /writefile: \/large: 2400000 bytes, checksum ([0-9a-f]{8})/.exec(run.transcript)?.[1];
    expect(sum, run.transcript).toBeDefined();
    expect(run.transcript).toContain(`/large: 2400000 bytes, checksum ${sum}`);
    const evicted = Number(/block cache: \d+ blocks, (\d+) evicted since boot/.exec(run.transcript)?.[1]);
    expect(evicted).toBeGreaterThan(100);
    expect(cksum(FsImage.open(run.fsImage).readFile('/large'))).toBe(sum);
    noProblems(run.fsImage);
  });

  it('bad paths, names that are too long and missing files give error codes', () => {
    const long = 'n'.repeat(130);
    const run = runShell({
      commands: [`echo x > /${long}`, 'cat /bin/../README', 'cat /nosuch/file', 'cat /README/x', 'mkdir /nosuch/sub', 'rm /', 'mv /nosuch /x', 'cat /bin', `ls /${'d/'.repeat(520)}`],
    });
    expect(run.transcript).toContain('sh: open /nnnn');
    expect(run.transcript).toContain(': name too long');
    expect(run.transcript).toContain('cat: /bin/../README: invalid path');
    expect(run.transcript).toContain('cat: /nosuch/file: file or block not found');
    expect(run.transcript).toContain('cat: /README/x: not a directory');
    expect(run.transcript).toContain('mkdir: /nosuch/sub: file or block not found');
    expect(run.transcript).toContain('rm: /: invalid path');
    expect(run.transcript).toContain('mv: /nosuch to /x: file or block not found');
    expect(run.transcript).not.toMatch(/panic|user fault/);
    noProblems(run.fsImage);
  });

  it('malformed requests get error codes and the server keeps serving', () => {
    const run = runShell({ commands: ['fsabuse', 'cat /README'] });
    const lines = run.transcript.split('\n').filter((line) => line.startsWith('fsabuse: '));
    expect(lines.length).toBe(13); // twelve requests and the final check
    expect(lines.filter((line) => line.includes('accepted'))).toEqual([]);
    expect(run.transcript).toContain('fsabuse: the file server still works: /README is 285 bytes');
    expect(run.transcript).toContain('This is the jos86 file system.');
    noProblems(run.fsImage);
  });
});

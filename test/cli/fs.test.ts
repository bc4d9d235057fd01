// `jos86 fs`: each subcommand run through yargs in this process with its
// output captured, plus a few runs of the real program for help and exit codes.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsImage } from '../../src/host/fsimage.ts';
import { BLKSIZE, F_SIZE } from '../../src/host/fs/layout.ts';
import { jos86, text } from './fs-harness.ts';

const repo = resolve(import.meta.dirname, '../..');
let dir: string;
let image: string;
const big = new Uint8Array(13 * BLKSIZE + 5).map((_, i) => (i * 7) & 0xff);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'jos86-cli-fs-'));
  mkdirSync(join(dir, 'tree/bin'), { recursive: true });
  mkdirSync(join(dir, 'tree/home/user/notes'), { recursive: true });
  writeFileSync(join(dir, 'tree/motd'), 'hello, jos86\n');
  writeFileSync(join(dir, 'tree/bin/big'), big);
  writeFileSync(join(dir, 'tree/home/user/notes/empty'), '');
  image = join(dir, 'fs.img');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('jos86 fs', () => {
  it('mkfs builds an image from a tree, and fsck calls it clean', async () => {
    const made = await jos86('fs', 'mkfs', image, join(dir, 'tree'), '--size', '2');
    expect(made.code).toBe(0);
    expect(text(made)).toMatch(/fs\.img: 512 blocks \(2 MiB\), \d+ in use, \d+ free, from /);
    expect(statSync(image).size).toBe(2 * 1024 * 1024);
    const checked = await jos86('fs', 'fsck', image);
    expect(checked.code).toBe(0);
    expect(text(checked)).toMatch(/fs\.img: clean, \d+ of 512 blocks in use/);
  });

  it('ls lists names, and -l types and sizes', async () => {
    expect(text(await jos86('fs', 'ls', image))).toBe('bin\nhome\nmotd\n');
    expect(text(await jos86('fs', 'ls', image, '/bin', '-l'))).toBe(`- ${String(big.length).padStart(10)} big\n`);
    expect(text(await jos86('fs', 'ls', image, 'home/user', '-l'))).toBe(`d       4096 notes\n`);
  });

  it('cat and get copy files out byte for byte', async () => {
    expect(text(await jos86('fs', 'cat', image, '/motd'))).toBe('hello, jos86\n');
    const out = join(dir, 'big.out');
    const got = await jos86('fs', 'get', image, '/bin/big', out);
    expect(got.code).toBe(0);
    expect(Buffer.compare(readFileSync(out), Buffer.from(big))).toBe(0);
    expect((await jos86('fs', 'get', image, '/home/user/notes/empty', '-')).stdout.length).toBe(0);
  });

  it('put, mkdir and rm change the image and keep it clean', async () => {
    const host = join(dir, 'upload.txt');
    writeFileSync(host, 'uploaded\n');
    expect((await jos86('fs', 'mkdir', image, '/a/b/c', '-p')).code).toBe(0);
    expect((await jos86('fs', 'put', image, host, '/a/b')).code).toBe(0); // into the directory
    expect((await jos86('fs', 'put', image, host)).code).toBe(0); // into /
    expect((await jos86('fs', 'put', image, join(dir, 'tree/motd'), '/a/renamed')).code).toBe(0);
    expect(text(await jos86('fs', 'ls', image, '/a/b'))).toBe('c\nupload.txt\n');
    expect(text(await jos86('fs', 'cat', image, '/upload.txt'))).toBe('uploaded\n');
    expect(text(await jos86('fs', 'cat', image, '/a/renamed'))).toBe('hello, jos86\n');
    expect((await jos86('fs', 'rm', image, '/a/b/c')).code).toBe(0);
    expect((await jos86('fs', 'rm', image, '/upload.txt')).code).toBe(0);
    expect(text(await jos86('fs', 'ls', image, '/a/b'))).toBe('upload.txt\n');
    expect((await jos86('fs', 'fsck', image)).code).toBe(0);
  });

  it('reports errors in one line, exits 1, and leaves the image alone', async () => {
    const before = readFileSync(image);
    const cases: [string[], RegExp][] = [
      [['cat', image, '/nope'], /^jos86 fs cat: \/nope: no such file or directory\n$/],
      [['rm', image, '/a'], /^jos86 fs rm: \/a: directory not empty\n$/],
      [['mkdir', image, '/x/y'], /^jos86 fs mkdir: \/x: no such directory\n$/],
      [['mkdir', image, '/' + 'n'.repeat(128)], /^jos86 fs mkdir: name 'n+' is longer than 127 bytes\n$/],
      [['put', image, join(dir, 'no-such-host-file')], /^jos86 fs put: .*no-such-host-file: no such file or directory\n$/],
      [['put', image, join(dir, 'tree/motd'), '/motd/x'], /^jos86 fs put: \/motd: not a directory\n$/],
      [['ls', join(dir, 'no-such.img')], /^jos86 fs ls: .*no-such\.img: no such file or directory\n$/],
      [['cat', join(dir, 'tree/motd'), '/x'], /^jos86 fs cat: image is 13 bytes, too small for a jos86 file system\n$/],
    ];
    for (const [args, message] of cases) {
      const result = await jos86('fs', ...args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
    expect(Buffer.compare(readFileSync(image), before)).toBe(0);
  });

  it('reports a full disk and leaves the image byte-identical', async () => {
    const small = join(dir, 'small.img');
    expect((await jos86('fs', 'mkfs', small, '--blocks', '16')).code).toBe(0);
    const before = readFileSync(small);
    const result = await jos86('fs', 'put', small, join(dir, 'tree/bin/big'), '/big');
    expect(result.code).toBe(1);
    // 14 data blocks, the indirect block and a block for the root's first entry.
    expect(result.stderr).toBe('jos86 fs put: /big: disk full: needs 16 more blocks, 13 free\n');
    expect(Buffer.compare(readFileSync(small), before)).toBe(0);
  });

  it('mkfs refuses a size the tree does not fit, and writes nothing', async () => {
    const target = join(dir, 'too-small.img');
    const result = await jos86('fs', 'mkfs', target, join(dir, 'tree'), '--blocks', '16');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/needs \d+ data blocks but a 16-block disk has 13; choose at least \d+ blocks/);
    expect(() => statSync(target)).toThrow();
  });

  it('fsck lists each problem and exits 1', async () => {
    const damaged = join(dir, 'damaged.img');
    expect((await jos86('fs', 'mkfs', damaged, join(dir, 'tree'), '--size', '1')).code).toBe(0);
    const fs = FsImage.load(damaged);
    new DataView(fs.bytes.buffer, fs.bytes.byteOffset).setUint32(fs.recordOffset('/motd') + F_SIZE, 3 * BLKSIZE, true);
    fs.bytes[BLKSIZE * 2 + 20] = 0; // blocks 160..167 marked in use: leaked
    writeFileSync(damaged, fs.bytes);
    const result = await jos86('fs', 'fsck', damaged);
    expect(result.code).toBe(1);
    expect(text(result).split('\n')).toEqual([
      'bad-size: /motd: size 12288 needs 3 block(s), but it has 2 of them missing',
      'leaked: blocks 160-167 are marked in use but no file owns them (leaked)',
      `${damaged}: 2 problems`,
      '',
    ]);
    const garbage = join(dir, 'garbage.img');
    writeFileSync(garbage, new Uint8Array(4 * BLKSIZE).fill(0xab));
    const bad = await jos86('fs', 'fsck', garbage);
    expect(bad.code).toBe(1);
    expect(text(bad)).toContain('superblock: bad magic 0xABABABAB');
  });

  it('asks for a subcommand and rejects unknown ones', async () => {
    expect((await jos86('fs')).stderr).toMatch(/name a subcommand/);
    const unknown = await jos86('fs', 'frobnicate', image);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/Unknown argument|Unknown command/i);
  });
});

describe('src/cli/fs.ts as a program', () => {
  const tsx = join(repo, 'node_modules/.bin/tsx');
  const program = join(repo, 'src/cli/fs.ts');

  it('prints help listing every subcommand', () => {
    const help = execFileSync(tsx, [program, '--help'], { encoding: 'utf8' });
    for (const sub of ['mkfs', 'ls', 'cat', 'get', 'put', 'rm', 'mkdir', 'fsck', 'passwd', 'encrypt', 'decrypt']) expect(help).toMatch(new RegExp(`jos86 fs ${sub} `));
  });

  it('exits 1 with one line on stderr for an error, 0 on success', () => {
    const img = join(dir, 'program.img');
    const made = spawnSync(tsx, [program, 'mkfs', img, '--blocks', '64'], { encoding: 'utf8' });
    expect(made.status).toBe(0);
    const failed = spawnSync(tsx, [program, 'cat', img, '/missing'], { encoding: 'utf8' });
    expect(failed.status).toBe(1);
    expect(stripVTControlCharacters(failed.stderr).trim().split('\n')).toEqual(['jos86 fs cat: /missing: no such file or directory']);
  });
});

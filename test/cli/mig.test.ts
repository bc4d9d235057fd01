// `jos86 mig`: info, corpus and tiny through yargs in this process, output captured.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { makeMigCommand } from '../../src/cli/mig.ts';
import { decodeImage, encodeImage, tinyImage } from '../../src/host/migimage.ts';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'jos86-mig-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function jos86(...args: string[]) {
  let stdout = '';
  let stderr = '';
  let code = 0;
  await yargs(args)
    .scriptName('jos86')
    .command(
      makeMigCommand({
        stdout: (data) => (stdout += typeof data === 'string' ? data : Buffer.from(data).toString()),
        stderr: (text) => (stderr += text),
        setExitCode: (value) => (code = value),
      }),
    )
    .strict()
    .parseAsync();
  return { stdout: stripVTControlCharacters(stdout), stderr: stripVTControlCharacters(stderr), code };
}

describe('jos86 mig', () => {
  it('tiny writes an image that info describes', async () => {
    const path = join(dir, 'tiny.img');
    expect((await jos86('mig', 'tiny', path, '--message', 'hi there')).code).toBe(0);
    expect(decodeImage(new Uint8Array(readFileSync(path))).pages[0].data.includes('h'.charCodeAt(0))).toBe(true);
    const info = await jos86('mig', 'info', path);
    expect(info.code).toBe(0);
    expect(info.stdout).toContain('tiny (id 00001000, parent 00000000) saved on host');
    expect(info.stdout).toContain('00800000-00801000 --- 1 page');
  });

  it('info refuses a damaged image with the reason and exit status 1', async () => {
    const bytes = encodeImage(tinyImage());
    bytes[bytes.length - 1] ^= 1;
    const path = join(dir, 'bad.img');
    writeFileSync(path, bytes);
    const info = await jos86('mig', 'info', path);
    expect(info.code).toBe(1);
    expect(info.stdout).toMatch(/bad\.img: refused: checksum mismatch/);
  });

  it('corpus writes one file per mutation, every one refused by info', async () => {
    const path = join(dir, 'valid.img');
    writeFileSync(path, encodeImage(tinyImage()));
    const out = join(dir, 'corpus');
    const result = await jos86('mig', 'corpus', path, out);
    expect(result.stdout).toMatch(/: \d+ images/);
    const files = readdirSync(out);
    expect(files.length).toBeGreaterThan(100);
    for (const file of files.slice(0, 10)) expect((await jos86('mig', 'info', join(out, file))).code).toBe(1);
  });

  it('reports a missing file on one line', async () => {
    const result = await jos86('mig', 'info', join(dir, 'nope.img'));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^jos86 mig info: ENOENT/);
  });
});

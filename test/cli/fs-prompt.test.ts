// The password prompt at a real terminal: run `jos86 fs mkfs --encrypt` on a
// pseudo-terminal (through Python's pty module, as Node has none), answer
// the two prompts, and check that what was typed is never echoed.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const havePython = spawnSync('python3', ['-c', 'import pty']).status === 0;
let dir: string;

// Waits for each prompt before typing, so the answer comes after echo is off.
const driver = `
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b''
def until(pattern):
    global out
    end = time.time() + 60
    while pattern not in out and time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                out += os.read(fd, 4096)
            except OSError:
                return
until(b'New password')
os.write(fd, b'typed secret\\r')
until(b'(again): ')
os.write(fd, b'typed secret\\r')
until(b'encrypted')
os.waitpid(pid, 0)
sys.stdout.write(out.decode())
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'jos86-prompt-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('jos86 fs password prompt', () => {
  it.skipIf(!havePython)('asks twice on the terminal without echoing the password', () => {
    const image = join(dir, 'prompted.img');
    const tsx = join(repo, 'node_modules/.bin/tsx');
    const transcript = execFileSync('python3', ['-c', driver, tsx, join(repo, 'src/cli/main.ts'), 'fs', 'mkfs', '--encrypt', image, '--blocks', '64'], {
      encoding: 'utf8',
    });
    expect(transcript).toContain(`New password for ${image}: `);
    expect(transcript).toContain(`New password for ${image} (again): `);
    expect(transcript).toMatch(/64 blocks \(0\.25 MiB\), \d+ in use, \d+ free, encrypted/);
    expect(transcript).not.toContain('typed secret');
    const checked = execFileSync(tsx, [join(repo, 'src/cli/main.ts'), 'fs', 'fsck', image, '--password', 'typed secret'], { encoding: 'utf8' });
    expect(checked).toMatch(/clean, \d+ of 64 blocks in use, encrypted/);
  });
});

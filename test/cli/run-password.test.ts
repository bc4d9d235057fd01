// `jos86 run --password-file F` on an encrypted disk, as a user scripts it:
// the password is typed at the file server's prompt (and not echoed), the
// shell's commands follow from a script, and what the guest writes through
// `FILE,rw` is on the image for the host tool.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FILES, PASSWORD, hostDecrypt, smallEncryptedDisk } from '../fs/encrypted-disk.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'jos86.js');
const scratch = mkdtempSync(join(tmpdir(), 'jos86-run-pw-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('jos86 run --password-file', () => {
  it('types the password at the prompt; the script then drives the shell', { timeout: 600_000 }, async () => {
    const image = join(scratch, 'enc.img');
    writeFileSync(image, smallEncryptedDisk());
    const passwordFile = join(scratch, 'pw.txt');
    writeFileSync(passwordFile, `${PASSWORD}\nnot part of it\n`);
    const script = join(scratch, 'session.txt');
    writeFileSync(script, ['expect $ ', 'send cat /note.txt\\n', 'expect $ ', 'send echo kept > /kept.txt\\n', 'expect $ ', 'send sync\\n', 'expect $ ', 'send exit\\n', 'expect K> ', 'send poweroff\\n'].join('\n'));
    const result = spawnSync(process.execPath, [BIN, 'run', '--hdb', `${image},rw`, '--password-file', passwordFile, '--script', script, '--seed', '1', '--timeout', '100'], {
      cwd: ROOT,
      timeout: 500_000,
      encoding: 'latin1',
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('Password for the disk: \n');
    expect(result.stdout).toContain(new TextDecoder().decode(FILES['/note.txt']));
    expect(result.stdout).not.toContain(PASSWORD);
    expect(result.status).toBe(1); // poweroff: isa-debug-exit with 0, status (0 << 1) | 1
    const plain = await hostDecrypt(new Uint8Array(readFileSync(image)));
    expect(new TextDecoder().decode(plain.readFile('/kept.txt'))).toBe('kept\n');
  });
});

// images/ is a build output we ship: rebuilding the guest from the sources,
// in a copy of the tree at another path, gives the committed bytes exactly
// (the boot disk, the kernel, and the file-system disk the host tool makes).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('guest build', () => {
  it('rebuilds images/ byte-identically from a copy of the sources', () => {
    const gcc = spawnSync('gcc', ['-m32', '--version']);
    if (gcc.error || gcc.status !== 0) throw new Error('gcc with 32-bit support is needed to rebuild the guest (apt-get install gcc gcc-multilib make)');
    const copy = mkdtempSync(join(tmpdir(), 'jos86-build-'));
    cpSync(join(ROOT, 'src'), join(copy, 'src'), { recursive: true });
    cpSync(join(ROOT, 'GNUmakefile'), join(copy, 'GNUmakefile'));
    cpSync(join(ROOT, 'package.json'), join(copy, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules')); // the host image tool (tsx) makes fs.img
    execFileSync('make', ['-s', '-f', 'GNUmakefile', 'images'], { cwd: copy, stdio: 'pipe' });
    for (const image of ['jos86.img', 'kernel', 'fs.img']) {
      expect(sha256(join(copy, 'images', image)), image).toBe(sha256(join(ROOT, 'images', image)));
    }
  }, 300_000);
});

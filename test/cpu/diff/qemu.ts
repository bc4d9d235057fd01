// Runs a harness image on QEMU (qemu-system-i386, TCG) and returns what it
// printed on COM1. The harness ends by writing 0 to isa-debug-exit, which
// makes QEMU exit with status (0 << 1) | 1 = 1; anything else is a failure.
//
// Transcripts are cached under .cache/cpu-diff/<sha256 of the image>.txt
// (git-ignored) so a local re-run skips QEMU; with CI set in the environment
// the cache is neither read nor written, so CI always runs QEMU for real.

import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIFF_DIR, type Image } from './build.ts';

const CACHE_DIR = join(DIFF_DIR, '..', '..', '..', '.cache', 'cpu-diff');
const QEMU = 'qemu-system-i386';
const EXPECTED_EXIT_STATUS = 1;
const QEMU_TIMEOUT_MS = 60_000;

function cacheEnabled(): boolean {
  return !process.env.CI;
}

/** The serial transcript of `image` on QEMU. */
export async function runOnQemu(image: Image): Promise<string> {
  const cached = join(CACHE_DIR, `${image.sha256}.txt`);
  if (cacheEnabled() && existsSync(cached)) return readFileSync(cached, 'utf8');
  const work = mkdtempSync(join(tmpdir(), 'jos86-qemu-'));
  try {
    const kernel = join(work, 'harness.elf');
    writeFileSync(kernel, image.elf);
    const args = ['-kernel', kernel, '-serial', 'stdio', '-display', 'none', '-no-reboot', '-nodefaults', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-m', '32'];
    const { status, stdout, stderr } = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(QEMU, args, { timeout: QEMU_TIMEOUT_MS, maxBuffer: 256 << 20 }, (error, stdout, stderr) => {
        const code = error && typeof error.code === 'number' ? error.code : error ? null : 0;
        resolve({ status: code, stdout, stderr });
      });
    });
    if (status !== EXPECTED_EXIT_STATUS || !stdout.includes('DONE\n')) {
      throw new Error(`QEMU did not finish the harness (exit status ${status}): ${stderr.trim() || stdout.slice(-500)}`);
    }
    if (cacheEnabled()) {
      mkdirSync(CACHE_DIR, { recursive: true });
      writeFileSync(cached, stdout);
    }
    return stdout;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

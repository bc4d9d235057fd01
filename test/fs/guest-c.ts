// Build guest C for a host test: compile with the guest's own CFLAGS (taken
// from GNUmakefile: freestanding, -m32, no SSE or x87) into objects a hosted
// -m32 driver program can link against.

import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const repo = resolve(import.meta.dirname, '../..');

/** The guest CFLAGS, as GNUmakefile defines them. */
export function guestCflags(): string[] {
  const printed = execFileSync('make', ['-s', '-f', 'GNUmakefile', '--eval', 'print-cflags: ; @echo $(CFLAGS)', 'print-cflags'], {
    cwd: repo,
    encoding: 'utf8',
  });
  return printed.trim().split(/\s+/);
}

/** Compile guest sources (paths relative to the checkout) into `dir`; returns the objects. */
export function buildGuestObjects(dir: string, sources: string[]): string[] {
  const cflags = guestCflags();
  return sources.map((source) => {
    const object = join(dir, `${source.replaceAll('/', '_')}.o`);
    execFileSync('gcc', [...cflags, '-c', '-o', object, source], { cwd: repo });
    return object;
  });
}

/** Link a hosted -m32 driver from test/fs with guest objects; returns the binary. */
export function linkDriver(dir: string, driverSource: string, objects: string[], includeDirs: string[]): string {
  const binary = join(dir, driverSource.replace(/\.c$/, ''));
  const includes = includeDirs.flatMap((d) => ['-I', join(repo, d)]);
  execFileSync('gcc', ['-m32', '-O1', '-Wall', '-Werror', '-no-pie', ...includes, '-o', binary, join(import.meta.dirname, driverSource), ...objects]);
  return binary;
}

/** The sources of src/fs/crypto. */
export const CRYPTO_SOURCES = readdirSync(join(repo, 'src/fs/crypto'))
  .filter((name) => name.endsWith('.c'))
  .sort()
  .map((name) => `src/fs/crypto/${name}`);

// The guest's C header and the host tool describe one format: compile
// src/fs/format.h with the guest compiler (gcc -m32), print every size,
// offset and constant, and compare with src/host/fs/layout.ts. Then have a C
// program read an image the host tool made, through the C structs.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsImage } from '../../src/host/fsimage.ts';
import * as layout from '../../src/host/fs/layout.ts';

const includeDir = resolve(import.meta.dirname, '../../src/fs');
let workDir: string;

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'jos86-format-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Compile a C program against format.h for the guest's i386 ABI and run it. */
function runC(source: string, args: string[] = []): string {
  const sourcePath = join(workDir, 'probe.c');
  const binary = join(workDir, 'probe');
  writeFileSync(sourcePath, source);
  execFileSync('gcc', ['-m32', '-std=c11', '-Wall', '-Werror', '-I', includeDir, sourcePath, '-o', binary]);
  return execFileSync(binary, args, { encoding: 'utf8' });
}

describe('src/fs/format.h', () => {
  it('matches the TypeScript layout field for field', () => {
    const output = runC(`
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include "format.h"
#define SHOW(name, value) printf("%s %lu\\n", name, (unsigned long)(value))
int main(void) {
  SHOW("BLKSIZE", BLKSIZE);
  SHOW("BLKBITSIZE", BLKBITSIZE);
  SHOW("HEADER_BLOCK", FS_HEADER_BLOCK);
  SHOW("SUPER_BLOCK", FS_SUPER_BLOCK);
  SHOW("BITMAP_BLOCK", FS_BITMAP_BLOCK);
  SHOW("FS_MAGIC", FS_MAGIC);
  SHOW("FS_VERSION", FS_VERSION);
  SHOW("MAX_NBLOCKS", FS_MAX_NBLOCKS);
  SHOW("MAXNAMELEN", MAXNAMELEN);
  SHOW("MAXPATHLEN", MAXPATHLEN);
  SHOW("NDIRECT", NDIRECT);
  SHOW("NINDIRECT", NINDIRECT);
  SHOW("MAXFILESIZE", MAXFILESIZE);
  SHOW("FTYPE_REG", FTYPE_REG);
  SHOW("FTYPE_DIR", FTYPE_DIR);
  SHOW("FILE_RECORD_SIZE", sizeof(struct File));
  SHOW("BLKFILES", BLKFILES);
  SHOW("F_NAME", offsetof(struct File, f_name));
  SHOW("F_SIZE", offsetof(struct File, f_size));
  SHOW("F_TYPE", offsetof(struct File, f_type));
  SHOW("F_DIRECT", offsetof(struct File, f_direct));
  SHOW("F_INDIRECT", offsetof(struct File, f_indirect));
  SHOW("F_PAD", offsetof(struct File, f_pad));
  SHOW("S_MAGIC", offsetof(struct Super, s_magic));
  SHOW("S_VERSION", offsetof(struct Super, s_version));
  SHOW("S_NBLOCKS", offsetof(struct Super, s_nblocks));
  SHOW("S_RESERVED", offsetof(struct Super, s_reserved));
  SHOW("S_ROOT", offsetof(struct Super, s_root));
  SHOW("SUPER_SIZE", sizeof(struct Super));
  SHOW("FIRST_DATA_BLOCK_100000", FS_FIRST_DATA_BLOCK(100000));
  return 0;
}
`);
    const fromC = Object.fromEntries(
      output
        .trim()
        .split('\n')
        .map((line) => line.split(' '))
        .map(([name, value]) => [name, Number(value)]),
    );
    const fromTs: Record<string, number> = {};
    for (const name of Object.keys(fromC)) {
      if (name === 'FIRST_DATA_BLOCK_100000') fromTs[name] = layout.firstDataBlock(100000);
      else fromTs[name] = (layout as unknown as Record<string, number>)[name];
    }
    expect(fromC).toEqual(fromTs);
    expect(Object.keys(fromC).length).toBe(30);
  });

  it('reads an image the host tool wrote', () => {
    const image = FsImage.create(128);
    image.mkdir('/etc');
    image.writeFile('/etc/motd', new TextEncoder().encode('welcome\n'));
    image.writeFile('/big', new Uint8Array(11 * layout.BLKSIZE + 1).fill(0x5a));
    const imagePath = join(workDir, 'fs.img');
    writeFileSync(imagePath, image.bytes);
    // A miniature of the file server's lookup, written against format.h only.
    const output = runC(
      `
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "format.h"
static uint8_t disk[128 * BLKSIZE];
static void *block(uint32_t b) { return disk + (size_t)b * BLKSIZE; }
static struct File *walk(struct File *dir, const char *name) {
  for (int32_t i = 0; i < dir->f_size / BLKSIZE; i++) {
    struct File *entries = block(i < NDIRECT ? dir->f_direct[i] : ((uint32_t *)block(dir->f_indirect))[i - NDIRECT]);
    for (unsigned j = 0; j < BLKFILES; j++)
      if (strcmp(entries[j].f_name, name) == 0) return &entries[j];
  }
  return NULL;
}
int main(int argc, char **argv) {
  FILE *f = fopen(argv[1], "rb");
  if (!f || fread(disk, 1, sizeof disk, f) != sizeof disk) return 2;
  struct Super *super = block(FS_SUPER_BLOCK);
  if (super->s_magic != FS_MAGIC) return 3;
  printf("nblocks %u version %u root %s\\n", super->s_nblocks, super->s_version, super->s_root.f_name);
  struct File *etc = walk(&super->s_root, "etc");
  struct File *motd = walk(etc, "motd");
  printf("motd %d bytes type %u: %.*s", motd->f_size, motd->f_type, motd->f_size, (char *)block(motd->f_direct[0]));
  struct File *big = walk(&super->s_root, "big");
  uint32_t last = ((uint32_t *)block(big->f_indirect))[0];
  printf("big %d bytes, block 10 starts 0x%02x, free bitmap bit of block 0: %d\\n",
         big->f_size, ((uint8_t *)block(last))[0], ((uint8_t *)block(FS_BITMAP_BLOCK))[0] & 1);
  return 0;
}
`,
      [imagePath],
    );
    expect(output).toBe(
      'nblocks 128 version 1 root /\n' +
        'motd 8 bytes type 0: welcome\n' +
        `big ${11 * layout.BLKSIZE + 1} bytes, block 10 starts 0x5a, free bitmap bit of block 0: 0\n`,
    );
  });
});

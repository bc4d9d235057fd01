// `jos86 mig <sub>`: look at and make process-migration images on the host.
// The format is docs/MIGRATION.md; the work is src/host/migimage.ts, which
// checks an image exactly as the guest loader does. This file parses
// arguments, prints and sets the exit status.
//
//   jos86 mig info IMAGE         fields, registers, pages; exit 1 with the reason if the loader would refuse it
//   jos86 mig corpus IMAGE DIR   write the damaged and malicious copies of IMAGE, one file each
//   jos86 mig tiny IMAGE         write a small image that prints a line and exits

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import chalk from 'chalk';
import type { Argv, CommandModule } from 'yargs';
import { decodeImage, encodeImage, hex, MigImageError, mutateImage, RUN_IPC_RECV, tinyImage, type MigImage, PTE_COW, PTE_SHARE, PTE_W } from '../host/migimage.ts';
import { processIo, type FsCliIo } from './fs.ts';

export function makeMigCommand(io: FsCliIo = processIo): CommandModule {
  const guarded =
    <T>(sub: string, action: (args: T) => void) =>
    (args: unknown): void => {
      try {
        action(args as T);
      } catch (error) {
        io.stderr(chalk.red(`jos86 mig ${sub}: ${error instanceof Error ? error.message : String(error)}`) + '\n');
        io.setExitCode(1);
      }
    };

  const subcommands: CommandModule<{ image: string }, any>[] = [
    {
      command: 'info <image>',
      describe: 'Show an image; exit status 1, with the reason, if the guest loader would refuse it',
      builder: (y: Argv<{ image: string }>) => y.positional('image', { type: 'string', demandOption: true }),
      handler: guarded('info', (args: { image: string }) => {
        let image: MigImage;
        try {
          image = decodeImage(new Uint8Array(readFileSync(args.image)));
        } catch (error) {
          if (!(error instanceof MigImageError)) throw error;
          io.stdout(`${args.image}: ${chalk.red('refused')}: ${error.message}\n`);
          io.setExitCode(1);
          return;
        }
        io.stdout(describeImage(args.image, image));
      }),
    },
    {
      command: 'corpus <image> <dir>',
      describe: 'Write damaged and malicious copies of a valid image into DIR, one file each',
      builder: (y: Argv<{ image: string }>) =>
        y.positional('image', { type: 'string', demandOption: true }).positional('dir', { type: 'string', demandOption: true }),
      handler: guarded('corpus', (args: { image: string; dir: string }) => {
        const corpus = mutateImage(new Uint8Array(readFileSync(args.image)));
        mkdirSync(args.dir, { recursive: true });
        for (const m of corpus) writeFileSync(join(args.dir, `${m.name}.img`), m.bytes);
        io.stdout(`${args.dir}: ${corpus.length} images\n`);
      }),
    },
    {
      command: 'tiny <image>',
      describe: 'Write a small image that prints a line and exits',
      builder: (y: Argv<{ image: string }>) =>
        y.positional('image', { type: 'string', demandOption: true }).option('message', { type: 'string', describe: 'the line it prints' }),
      handler: guarded('tiny', (args: { image: string; message?: string }) => {
        writeFileSync(args.image, encodeImage(tinyImage(args.message === undefined ? undefined : `${args.message}\n`)));
      }),
    },
  ];

  return {
    command: 'mig <command>',
    describe: 'Inspect and make process-migration images',
    builder: (y: Argv) => {
      let withSubs = y as Argv<{ image: string }>;
      for (const sub of subcommands) withSubs = withSubs.command(sub);
      return withSubs.demandCommand(1, 'name a subcommand: info, corpus or tiny').strict();
    },
    handler: () => {},
  };
}

export const migCommand = makeMigCommand();

const RUN_STATES = ['runnable', 'blocked in ipc_recv', 'not runnable'];

function describeImage(path: string, image: MigImage): string {
  const r = image.regs;
  const lines = [
    `${path}: ${image.name} (id ${hex(image.envid)}, parent ${hex(image.parentId)}) saved on ${image.machine} at tick ${image.savedAt}, run ${image.runs} times`,
    `  eip ${hex(r.eip)}  esp ${hex(r.esp)}  eflags ${hex(r.eflags)}  eax ${hex(r.eax)} ebx ${hex(r.ebx)} ecx ${hex(r.ecx)} edx ${hex(r.edx)}`,
    `  esi ${hex(r.esi)}  edi ${hex(r.edi)}  ebp ${hex(r.ebp)}  cs ${hex(r.cs, 4)} ss ${hex(r.ss, 4)} ds ${hex(r.ds, 4)} es ${hex(r.es, 4)}`,
    `  upcall ${hex(image.upcall.pgfaultUpcall)}, exception stack ${image.upcall.xstackTop ? hex(image.upcall.xstackTop) : 'none'}, ` +
      `${RUN_STATES[image.upcall.runState]}${image.upcall.runState === RUN_IPC_RECV ? ` at ${hex(image.upcall.ipcDstva)}` : ''}`,
    `  ${image.pages.length} pages (${image.pages.length * 4} KiB):`,
  ];
  // Runs of consecutive pages with the same permissions, one line each.
  for (let i = 0; i < image.pages.length; ) {
    let j = i + 1;
    while (j < image.pages.length && image.pages[j].va === image.pages[j - 1].va + 4096 && image.pages[j].perm === image.pages[i].perm) j++;
    const p = image.pages[i].perm;
    const flags = `${p & PTE_W ? 'w' : '-'}${p & PTE_COW ? 'c' : '-'}${p & PTE_SHARE ? 's' : '-'}`;
    lines.push(`    ${hex(image.pages[i].va)}-${hex(image.pages[j - 1].va + 4096)} ${flags} ${j - i} page${j - i === 1 ? '' : 's'}`);
    i = j;
  }
  return lines.join('\n') + '\n';
}

// The jos86 command line: `jos86 run` boots a PC, `jos86 fs` works on file
// system images. Every error is one line on stderr and a non-zero exit.
//
// Exit status: `run` exits with the guest's isa-debug-exit status when it
// writes one; 0 when the user quits or the CPU halts for good; 124 on
// --timeout (as timeout(1)); 3 after a triple fault; 2 for bad arguments or
// files; 1 for an emulator error.

import chalk from 'chalk';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runCommand } from './run.ts';
import { fsCommand } from './fs.ts';
import { migCommand } from './mig.ts';

export const EXIT_USAGE = 2;

export async function main(argv: string[]): Promise<void> {
  const parser = yargs(argv)
    .scriptName('jos86')
    .usage('$0 <command> [options]\n\nAn x86 PC emulator and the JOS-style exokernel that runs in it.')
    .command(runCommand)
    .command(fsCommand)
    .command(migCommand)
    .demandCommand(1, 'give a command: run, fs or mig')
    .strict()
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .version()
    .wrap(Math.min(100, process.stdout.columns || 100))
    .epilog('Run `jos86 run --help` for the emulator options, `jos86 fs --help` and `jos86 mig --help` for image tools.')
    .fail((message, error) => {
      const text = message ?? error?.message ?? 'unknown error';
      process.stderr.write(`${chalk.red('jos86:')} ${firstLine(text)}\n`);
      process.exit(error && !message ? 1 : EXIT_USAGE);
    });
  await parser.parseAsync();
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '')?.trim() ?? text;
}

await main(hideBin(process.argv));

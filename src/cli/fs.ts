// `jos86 fs <sub>`: build, inspect, change and check jos86 file-system images
// from the host. The format is src/fs/FORMAT.md; the work is done by FsImage
// (src/host/fsimage.ts) and mkfsFromHostTree (src/host/fs/hosttree.ts); this
// file only parses arguments, prints, and sets the exit status.
//
// Encrypted images (src/fs/CRYPT.md) work with every subcommand: the image
// is unlocked with --password, --password-file or a prompt at the terminal
// and decrypted in memory (src/host/fs/imagefile.ts); `mkfs --encrypt`,
// `passwd`, `encrypt` and `decrypt` make, re-key and convert them.
//
// Every subcommand that changes an image loads it, makes the change in
// memory, and saves only if the change succeeded, so an error (full disk, bad
// path, missing file) leaves the image file untouched. Errors are one line on
// stderr and exit status 1; `fsck` exits 1 when it finds problems.
//
// src/cli/main.ts registers `fsCommand`; running this file directly
// (`npx tsx src/cli/fs.ts ls IMAGE`) gives the same commands on their own.

import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import chalk from 'chalk';
import yargs, { type Argv, type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { BLKSIZE, FsError, FsImage, MAX_NBLOCKS, joinPath, type DirEntry } from '../host/fsimage.ts';
import { CRYPT_DEFAULT_ITERATIONS, CryptError, randomSource } from '../host/fs/crypt.ts';
import { mkfsFromHostTree } from '../host/fs/hosttree.ts';
import {
  ImageFile,
  changePassword,
  decryptToFile,
  encryptInPlace,
  readHostFile,
  requestEncryptionAtBoot,
  saveEncrypted,
  saveWithConversionRequest,
  unlockBytes,
} from '../host/fs/imagefile.ts';
import { PasswordError, obtainPassword, processTerminal, type Terminal } from '../host/fs/password.ts';

/** Where the commands write; tests pass their own to capture output. */
export interface FsCliIo {
  stdout(data: string | Uint8Array): void;
  stderr(text: string): void;
  setExitCode(code: number): void;
  /** Where password prompts go (default: the process's terminal). */
  terminal?: Terminal;
}

export const processIo: FsCliIo = {
  stdout: (data) => void process.stdout.write(data),
  stderr: (text) => void process.stderr.write(text),
  setExitCode: (code) => {
    process.exitCode = code;
  },
  terminal: processTerminal,
};

/** Options of every subcommand that may open an encrypted image. */
interface PasswordArgs {
  password?: string;
  passwordFile?: string;
}

/** Options of the subcommands that set a new password. */
interface NewKeyArgs {
  iterations?: number;
  seed?: string;
}

const MIB = 1024 * 1024;

interface ImageArgs {
  image: string;
}

export function makeFsCommand(io: FsCliIo = processIo): CommandModule {
  /** Run one subcommand, turning any error into one line and exit status 1. */
  const guarded =
    <T>(sub: string, action: (args: T) => void | Promise<void>) =>
    async (args: unknown): Promise<void> => {
      try {
        // yargs has checked the positionals and options the builder declared.
        await action(args as T);
      } catch (error) {
        io.stderr(chalk.red(`jos86 fs ${sub}: ${describeError(error)}`) + '\n');
        io.setExitCode(1);
      }
    };

  const terminal = io.terminal ?? processTerminal;

  /** The image's password, from the options or the terminal; asked for only when the image is encrypted. */
  const passwordFor = (args: PasswordArgs & ImageArgs) => () =>
    obtainPassword({ password: args.password, file: args.passwordFile }, terminal, {
      prompt: `Password for ${args.image}`,
      optionNames: '--password or --password-file',
    });
  /** A new password (asked twice at a prompt) for an image being encrypted or re-keyed; `optionNames` are the options the error names. */
  const newPasswordFor = (args: { image: string; password?: string; passwordFile?: string }, optionNames = '--password or --password-file') => () =>
    obtainPassword({ password: args.password, file: args.passwordFile }, terminal, {
      prompt: `New password for ${args.image}`,
      optionNames,
      isNew: true,
    });
  const keyOptions = (args: NewKeyArgs) => ({
    iterations: args.iterations,
    random: randomSource(args.seed ?? process.env.JOS86_CRYPT_SEED),
  });

  const open = (args: PasswordArgs & ImageArgs) => ImageFile.load(args.image, passwordFor(args));

  /** Load, change, save: the file is written only when `change` returns. */
  const modify = async (args: PasswordArgs & ImageArgs, change: (image: FsImage) => void) => {
    const file = await open(args);
    change(file.image);
    file.save(args.image);
  };

  const subcommands: CommandModule<ImageArgs, any>[] = [
    {
      command: 'mkfs <image> [dir]',
      describe: 'Make an image, filled from a host directory tree if DIR is given',
      builder: (y: Argv<ImageArgs>) =>
        y
          .positional('image', { type: 'string', demandOption: true, describe: 'image file to create (overwritten)' })
          .positional('dir', { type: 'string', describe: 'host directory to copy in, subdirectories included' })
          .option('size', {
            type: 'number',
            describe: 'image size in MiB (default: 4, or twice what DIR needs)',
          })
          .option('blocks', { type: 'number', describe: `image size in ${BLKSIZE}-byte blocks` })
          .conflicts('size', 'blocks')
          .option('encrypt', { type: 'boolean', default: false, describe: 'encrypt the image (AES-256-XTS, see src/fs/CRYPT.md)' })
          .option('encrypt-at-boot', {
            type: 'boolean',
            default: false,
            describe: 'make it plain, asking the guest to encrypt it at its first boot (the file server asks for the new password)',
          })
          .option('password', { type: 'string', describe: 'with --encrypt: the password (default: ask at the terminal)' })
          .option('password-file', { type: 'string', describe: 'with --encrypt: read the password from this file' })
          .options(newKeyOptions),
      handler: guarded('mkfs', async (args: { image: string; dir?: string; size?: number; blocks?: number; encrypt: boolean; encryptAtBoot: boolean } & PasswordArgs & NewKeyArgs) => {
        const nblocks = args.blocks ?? (args.size === undefined ? undefined : mibToBlocks(args.size));
        if (args.encrypt && args.encryptAtBoot) throw new PasswordError('--encrypt and --encrypt-at-boot: choose one');
        if (!args.encrypt && (args.password !== undefined || args.passwordFile !== undefined)) {
          throw new PasswordError('a password only goes with --encrypt');
        }
        const image = mkfsFromHostTree(args.dir, nblocks);
        if (args.encrypt) saveEncrypted(args.image, image, await newPasswordFor(args)(), keyOptions(args));
        else if (args.encryptAtBoot) saveWithConversionRequest(args.image, image, args.iterations);
        else image.save(args.image);
        const used = image.nblocks - image.freeBlockCount();
        io.stdout(
          `${args.image}: ${image.nblocks} blocks (${formatMib(image.nblocks * BLKSIZE)}), ` +
            `${used} in use, ${image.freeBlockCount()} free${args.dir ? `, from ${args.dir}` : ''}${args.encrypt ? ', encrypted' : args.encryptAtBoot ? ', to be encrypted at its first boot' : ''}\n`,
        );
      }),
    },
    {
      command: 'ls <image> [path]',
      describe: 'List a directory (or show one file)',
      builder: (y: Argv<ImageArgs>) =>
        withImage(y)
          .positional('path', { type: 'string', default: '/', describe: 'path in the image' })
          .option('l', { type: 'boolean', default: false, describe: 'long format: type and size' }),
      handler: guarded('ls', async (args: { image: string; path: string; l: boolean } & PasswordArgs) => {
        const entries = (await open(args)).image.ls(args.path);
        io.stdout(entries.map((entry) => (args.l ? longLine(entry) : entry.name) + '\n').join(''));
      }),
    },
    {
      command: 'cat <image> <path>',
      describe: 'Write a file of the image to stdout',
      builder: (y: Argv<ImageArgs>) =>
        withImage(y).positional('path', { type: 'string', demandOption: true }),
      handler: guarded('cat', async (args: { image: string; path: string } & PasswordArgs) => {
        io.stdout((await open(args)).image.readFile(args.path));
      }),
    },
    {
      command: 'get <image> <path> [hostfile]',
      describe: 'Copy a file out of the image (to HOSTFILE, default its name; - for stdout)',
      builder: (y: Argv<ImageArgs>) =>
        withImage(y).positional('path', { type: 'string', demandOption: true }).positional('hostfile', { type: 'string' }),
      handler: guarded('get', async (args: { image: string; path: string; hostfile?: string } & PasswordArgs) => {
        const data = (await open(args)).image.readFile(args.path);
        const target = args.hostfile ?? basename(args.path);
        if (target === '-') io.stdout(data);
        else writeFileSync(target, data);
      }),
    },
    {
      command: 'put <image> <hostfile> [path]',
      describe: 'Copy a host file into the image (create or replace; into PATH if it is a directory)',
      builder: (y: Argv<ImageArgs>) =>
        withImage(y).positional('hostfile', { type: 'string', demandOption: true }).positional('path', { type: 'string' }),
      handler: guarded('put', async (args: { image: string; hostfile: string; path?: string } & PasswordArgs) => {
        const data = readFileSync(args.hostfile);
        await modify(args, (image) => {
          let target = args.path ?? '/';
          if (image.exists(target) && image.stat(target).type === 'dir') target = joinPath(target, basename(args.hostfile));
          image.writeFile(target, data);
        });
      }),
    },
    {
      command: 'rm <image> <path>',
      describe: 'Remove a file or an empty directory',
      builder: (y: Argv<ImageArgs>) =>
        withImage(y).positional('path', { type: 'string', demandOption: true }),
      handler: guarded('rm', async (args: { image: string; path: string } & PasswordArgs) => {
        await modify(args, (image) => image.rm(args.path));
      }),
    },
    {
      command: 'mkdir <image> <path>',
      describe: 'Make a directory',
      builder: (y: Argv<ImageArgs>) =>
        withImage(y)
          .positional('path', { type: 'string', demandOption: true })
          .option('p', { type: 'boolean', default: false, describe: 'make parents as needed; no error if it exists' }),
      handler: guarded('mkdir', async (args: { image: string; path: string; p: boolean } & PasswordArgs) => {
        await modify(args, (image) => image.mkdir(args.path, { parents: args.p }));
      }),
    },
    {
      command: 'fsck <image>',
      describe: 'Check an image; exit status 1 if it has problems',
      builder: (y: Argv<ImageArgs>) => withImage(y),
      handler: guarded('fsck', async (args: { image: string } & PasswordArgs) => {
        // An encrypted image is checked through its plain view, once its
        // header has been found sound and the password right.
        const { plain: bytes, encryption } = await unlockBytes(readHostFile(args.image), passwordFor(args));
        // Check the raw bytes rather than FsImage.open, so even an image
        // open() would refuse gets its problems listed.
        let problems;
        let summary = '';
        try {
          const image = FsImage.open(bytes);
          problems = image.fsck();
          summary = `${image.nblocks - image.freeBlockCount()} of ${image.nblocks} blocks in use${encryption ? ', encrypted' : ''}`;
        } catch (error) {
          if (!(error instanceof FsError)) throw error;
          problems = FsImage.check(bytes);
        }
        if (problems.length === 0) {
          io.stdout(`${args.image}: clean, ${summary}\n`);
          return;
        }
        for (const problem of problems) io.stdout(`${chalk.yellow(problem.kind)}: ${problem.message}\n`);
        io.stdout(chalk.red(`${args.image}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`) + '\n');
        io.setExitCode(1);
      }),
    },
    {
      command: 'passwd <image>',
      describe: 'Change the password of an encrypted image (re-wraps the key; data is not re-encrypted)',
      builder: (y: Argv<ImageArgs>) =>
        withImage(y)
          .option('new-password', { type: 'string', describe: 'the new password (default: ask at the terminal)' })
          .option('new-password-file', { type: 'string', describe: 'read the new password from this file' })
          .options(newKeyOptions),
      handler: guarded('passwd', async (args: { image: string; newPassword?: string; newPasswordFile?: string } & PasswordArgs & NewKeyArgs) => {
        const askNew = newPasswordFor({ image: args.image, password: args.newPassword, passwordFile: args.newPasswordFile }, '--new-password or --new-password-file');
        await changePassword(args.image, passwordFor(args), askNew, keyOptions(args));
        io.stdout(`${args.image}: password changed\n`);
      }),
    },
    {
      command: 'encrypt <image>',
      describe: 'Encrypt a plain image in place under a new key (or finish an interrupted conversion); --at-boot leaves that to the guest',
      builder: (y: Argv<ImageArgs>) =>
        withImage(y)
          .option('password', { type: 'string', describe: 'the password to encrypt with (of the image, when finishing a conversion)' })
          .option('at-boot', {
            type: 'boolean',
            default: false,
            describe: 'do not encrypt now: write a request in block 0 that the guest encrypt the disk at its next boot, asking for the password there',
          })
          .options(newKeyOptions),
      handler: guarded('encrypt', async (args: { image: string; atBoot: boolean } & PasswordArgs & NewKeyArgs) => {
        if (args.atBoot) {
          if (args.password !== undefined || args.passwordFile !== undefined) throw new PasswordError('--at-boot takes no password: the guest asks for it');
          requestEncryptionAtBoot(args.image, args.iterations);
          io.stdout(`${args.image}: the guest's file server will encrypt it at the next boot\n`);
          return;
        }
        const outcome = await encryptInPlace(args.image, passwordFor(args), newPasswordFor(args), keyOptions(args));
        io.stdout(`${args.image}: ${outcome === 'encrypted' ? 'encrypted' : 'conversion finished, every block encrypted'}\n`);
      }),
    },
    {
      command: 'decrypt <image> <output>',
      describe: 'Write a plain copy of an encrypted image to OUTPUT (recovery)',
      builder: (y: Argv<ImageArgs>) => withImage(y).positional('output', { type: 'string', demandOption: true, describe: 'the plain image to write' }),
      handler: guarded('decrypt', async (args: { image: string; output: string } & PasswordArgs) => {
        await decryptToFile(args.image, args.output, passwordFor(args));
        io.stdout(`${args.output}: plain copy of ${args.image}\n`);
      }),
    },
  ];

  return {
    command: 'fs <command>',
    describe: 'Make, inspect and check jos86 file-system images',
    builder: (y: Argv) => {
      let withSubs = y as Argv<ImageArgs>;
      for (const sub of subcommands) withSubs = withSubs.command(sub);
      return withSubs
        .demandCommand(1, 'name a subcommand: mkfs, ls, cat, get, put, rm, mkdir, fsck, passwd, encrypt or decrypt')
        .strict();
    },
    handler: () => {},
  };
}

export const fsCommand = makeFsCommand();

function withImage(y: Argv<ImageArgs>): Argv<ImageArgs> {
  return y
    .positional('image', { type: 'string', demandOption: true, describe: 'the image file' })
    .option('password', { type: 'string', describe: 'password of an encrypted image (default: ask at the terminal)' })
    .option('password-file', { type: 'string', describe: 'read the password of an encrypted image from this file' });
}

/** --iterations, and the hidden --seed that makes the random key and salt reproducible for tests. */
const newKeyOptions = {
  iterations: { type: 'number', describe: `PBKDF2 iterations for the new password (default ${CRYPT_DEFAULT_ITERATIONS})` },
  seed: { type: 'string', hidden: true, describe: 'derive the key and salt from this seed instead of the CSPRNG (tests only; also JOS86_CRYPT_SEED)' },
} as const;

function mibToBlocks(mib: number): number {
  const blocks = Math.round((mib * MIB) / BLKSIZE);
  if (!Number.isFinite(mib) || blocks <= 0 || blocks > MAX_NBLOCKS) {
    throw new FsError('EINVAL', `--size ${mib}: give a size in MiB between 1 and ${(MAX_NBLOCKS * BLKSIZE) / MIB}`);
  }
  return blocks;
}

function formatMib(bytes: number): string {
  const mib = bytes / MIB;
  return `${Number.isInteger(mib) ? mib : mib.toFixed(2)} MiB`;
}

/** ls -l: type, size right-aligned, name (as JOS's ls -l). */
function longLine(entry: DirEntry): string {
  return `${entry.type === 'dir' ? 'd' : '-'} ${String(entry.size).padStart(10)} ${entry.name}`;
}

/** One line for any error: FsError messages as they are, host errors by path and cause. */
function describeError(error: unknown): string {
  if (error instanceof FsError || error instanceof CryptError || error instanceof PasswordError) return error.message;
  const system = error as NodeJS.ErrnoException;
  if (system && typeof system === 'object' && typeof system.code === 'string' && system.path) {
    const causes: Record<string, string> = {
      ENOENT: 'no such file or directory',
      EACCES: 'permission denied',
      EISDIR: 'is a directory',
      ENOTDIR: 'not a directory',
      EEXIST: 'already exists',
      ENOSPC: 'host disk full',
    };
    return `${system.path}: ${causes[system.code] ?? system.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}

// Run on its own: `npx tsx src/cli/fs.ts <sub> ...`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await yargs(['fs', ...hideBin(process.argv)])
    .scriptName('jos86')
    .command(fsCommand)
    .strict()
    .help()
    .parseAsync();
}

// `jos86 run`: boot a PC from a disk image, a Multiboot kernel or a BIOS ROM,
// with its console on the terminal (or files), as `qemu-system-i386` would.
//
// Options follow QEMU where QEMU has one (--hda, --kernel, --append, --bios,
// --mem, --serial, --debugcon, --display, --snapshot, --trace). Disks are
// copy-on-write in memory unless named `FILE,rw`, so images/ are never
// changed by a run. The mode is real time at an interactive terminal and
// deterministic otherwise; --deterministic / --realtime choose explicitly.

import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import chalk from 'chalk';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { PcMachine } from '../machine/pc.ts';
import { openDisk, type FileBlockDevice } from '../host/disk.ts';
import { parseScript, unescapeText, type ScriptStep } from '../host/script.ts';
import { Session, type SessionResult } from '../host/session.ts';
import { TerminalConsole } from '../host/console.ts';
import { attachTrace } from '../host/trace.ts';
import { systemRandom } from '../host/entropy.ts';
import { diskPasswordAnswers } from '../host/answers.ts';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_IMAGE = join(REPO_ROOT, 'images', 'jos86.img');
export const DEFAULT_FS_IMAGE = join(REPO_ROOT, 'images', 'fs.img');

export const EXIT_TIMEOUT = 124;
export const EXIT_TRIPLE_FAULT = 3;
const EXIT_BAD_INPUT = 2;

interface RunArgs {
  hda?: string;
  hdb?: string;
  kernel?: string;
  append?: string;
  bios?: string;
  mem: number;
  cpus: number;
  serial: string;
  debugcon: string;
  display: string;
  deterministic?: boolean;
  realtime?: boolean;
  input?: string;
  script?: string;
  timeout?: number;
  trace?: string;
  snapshot: boolean;
  seed?: number;
  password?: string;
  passwordFile?: string;
}

/** Where a byte stream goes: `stdio`, `file:PATH` or `none`. */
type Sink = { write(byte: number): void; flush(): void; close(): void; toTerminal: boolean };

/** A wrong argument or file: reported as one line, exit status 2. */
export class UsageError extends Error {}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run',
  describe: 'boot a PC (default: images/jos86.img)',
  builder: (yargs: Argv) =>
    yargs
      .usage('$0 run [options]\n\nBoot a PC. With no --hda, --kernel or --bios it boots images/jos86.img, with the file-system disk images/fs.img as --hdb (both copy-on-write).')
      .option('hda', { type: 'string', describe: 'primary master disk image; FILE,rw writes through to the file (default: copy-on-write in memory)', requiresArg: true })
      .option('hdb', { type: 'string', describe: 'primary slave disk image (same FILE[,rw] form)', requiresArg: true })
      .option('kernel', { type: 'string', describe: 'boot a Multiboot kernel (ELF or a.out kludge) directly, like qemu -kernel', requiresArg: true })
      .option('append', { type: 'string', describe: 'Multiboot command line after the kernel file name', requiresArg: true })
      .option('bios', { type: 'string', describe: 'BIOS ROM image, mapped below 4 GiB and 1 MiB, started at the reset vector', requiresArg: true })
      .option('mem', { type: 'number', default: 128, describe: 'RAM in MiB (2-3072)', requiresArg: true })
      .option('cpus', { type: 'number', default: 1, describe: 'CPUs listed in the MP table (only the boot CPU runs)', requiresArg: true })
      .option('serial', { type: 'string', default: 'stdio', describe: 'COM1: stdio, file:PATH or none (stdio is none with --display cga)', requiresArg: true })
      .option('debugcon', { type: 'string', default: 'none', describe: 'port 0xE9 debug console: stdio, file:PATH or none', requiresArg: true })
      .option('display', { type: 'string', choices: ['none', 'cga'], default: 'none', describe: 'cga: draw the 80x25 text screen on the terminal; keys go to the keyboard' })
      .option('deterministic', { type: 'boolean', describe: 'run as fast as possible; same inputs give the same output (default when not at a terminal)' })
      .option('realtime', { type: 'boolean', describe: 'pace virtual time to the wall clock (default at an interactive terminal)' })
      .conflicts('deterministic', 'realtime')
      .option('input', { type: 'string', describe: 'text to type on COM1 (escapes: \\n \\r \\t \\e \\\\ \\xNN)', requiresArg: true })
      .option('script', { type: 'string', describe: 'script file of `expect TEXT`, `send TEXT`, `key TEXT`, `wait MS` lines', requiresArg: true })
      .option('timeout', { type: 'number', describe: 'stop after SECONDS (virtual seconds in deterministic mode) with exit status 124', requiresArg: true })
      .option('trace', { type: 'string', describe: 'write every instruction (disassembled) and interrupt to FILE, like qemu -d in_asm,int', requiresArg: true })
      .option('snapshot', { type: 'boolean', default: false, describe: 'never write to disk images, even FILE,rw' })
      .option('seed', { type: 'number', describe: 'make RDRAND reproducible: draw from a generator seeded with N (default: the host\'s entropy)', requiresArg: true })
      .option('password-file', {
        type: 'string',
        describe:
          "type the file's first line at the file server's disk-password prompts (unlock, and a new password at conversion), each time one appears; " +
          "--input is typed at once and would reach the prompt first, so type commands with a --script that expects the shell's prompt",
        requiresArg: true,
      })
      .option('password', { type: 'string', describe: 'the same with the password given here (visible to other users in the process list)', requiresArg: true })
      .conflicts('password', 'password-file')
      .example('$0 run', 'boot images/jos86.img')
      .example('$0 run --hda disk.img,rw', 'boot a disk and keep what the guest writes')
      .example('$0 run --kernel kernel.elf --display cga', 'boot a Multiboot kernel and show its screen')
      .example("$0 run --input 'help\\n' --timeout 5", 'type a command, stop after 5 virtual seconds')
      .example('$0 run --hdb secret.img,rw --password-file pw.txt', 'boot an encrypted disk, the password typed at its prompt')
      .check((args) => {
        if (!Number.isInteger(args.mem) || args.mem < 2 || args.mem > 3072) throw new Error(`--mem must be a whole number of MiB from 2 to 3072 (got ${args.mem})`);
        if (!Number.isInteger(args.cpus) || args.cpus < 1 || args.cpus > 255) throw new Error(`--cpus must be 1 to 255 (got ${args.cpus})`);
        if (args.seed !== undefined && !Number.isSafeInteger(args.seed)) throw new Error(`--seed must be a whole number (got ${args.seed})`);
        if (args.timeout !== undefined && !(args.timeout > 0)) throw new Error(`--timeout must be a positive number of seconds (got ${args.timeout})`);
        parseSinkSpec('--serial', args.serial as string);
        parseSinkSpec('--debugcon', args.debugcon as string);
        if (args.display === 'cga' && args.serial === 'stdio' && process.argv.some((a) => a === '--serial' || a.startsWith('--serial='))) {
          throw new Error('--serial stdio and --display cga cannot share the terminal; use --serial file:PATH');
        }
        return true;
      }) as unknown as Argv<RunArgs>,
  handler: async (args: ArgumentsCamelCase<RunArgs>) => {
    try {
      process.exitCode = await run(args);
    } catch (error) {
      const bad = error instanceof UsageError;
      process.stderr.write(`${chalk.red('jos86:')} ${(error as Error).message.split('\n')[0]}\n`);
      process.exitCode = bad ? EXIT_BAD_INPUT : 1;
    }
  },
};

function parseSinkSpec(option: string, spec: string): { kind: 'stdio' } | { kind: 'none' } | { kind: 'file'; path: string } {
  if (spec === 'stdio' || spec === 'none') return { kind: spec };
  if (spec.startsWith('file:') && spec.length > 5) return { kind: 'file', path: spec.slice(5) };
  throw new Error(`${option} must be stdio, file:PATH or none (got "${spec}")`);
}

function openSink(option: string, spec: string): Sink {
  const parsed = parseSinkSpec(option, spec);
  if (parsed.kind === 'none') return { write: () => {}, flush: () => {}, close: () => {}, toTerminal: false };
  let fd: number;
  if (parsed.kind === 'stdio') fd = 1;
  else {
    try {
      fd = openSync(parsed.path, 'w');
    } catch (error) {
      throw new UsageError(`${option}: cannot write ${parsed.path}: ${(error as Error).message}`);
    }
  }
  // Bytes are gathered and written in chunks: one write per byte would be slow.
  let buffer = new Uint8Array(4096);
  let length = 0;
  const flush = () => {
    if (length) writeAll(fd, buffer.subarray(0, length));
    length = 0;
  };
  return {
    write: (byte) => {
      if (length === buffer.length) {
        const bigger = new Uint8Array(buffer.length * 2);
        bigger.set(buffer);
        buffer = bigger;
      }
      buffer[length++] = byte;
    },
    flush,
    close: () => {
      flush();
      if (fd !== 1) closeSync(fd);
    },
    toTerminal: parsed.kind === 'stdio',
  };
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) {
    try {
      done += writeSync(fd, bytes, done);
    } catch (error) {
      // A non-blocking terminal may push back; try again.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }
}

function readInputFile(option: string, path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`${option} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message}`);
  }
}

async function run(args: RunArgs): Promise<number> {
  const disks: FileBlockDevice[] = [];
  const openDiskArg = (option: string, spec: string) => {
    try {
      const disk = openDisk(spec, args.snapshot);
      disks.push(disk);
      return disk;
    } catch (error) {
      throw new UsageError(`${option}: ${(error as Error).message}`);
    }
  };

  let hdaSpec = args.hda;
  if (!hdaSpec && !args.kernel && !args.bios) {
    if (!existsSync(DEFAULT_IMAGE)) {
      throw new UsageError(`no --hda, --kernel or --bios given, and the default disk ${relative(process.cwd(), DEFAULT_IMAGE) || DEFAULT_IMAGE} does not exist (build it with npm run build:guest)`);
    }
    hdaSpec = DEFAULT_IMAGE;
  }
  // The default machine also gets the default file-system disk, unless --hdb names another.
  let hdbSpec = args.hdb;
  if (!hdbSpec && !args.hda && !args.kernel && !args.bios && existsSync(DEFAULT_FS_IMAGE)) hdbSpec = DEFAULT_FS_IMAGE;
  const hda = hdaSpec ? openDiskArg('--hda', hdaSpec) : undefined;
  const hdb = hdbSpec ? openDiskArg('--hdb', hdbSpec) : undefined;
  const kernel = args.kernel ? readInputFile('--kernel', args.kernel) : undefined;
  const bios = args.bios ? readInputFile('--bios', args.bios) : undefined;

  let script: ScriptStep[] = [];
  if (args.script) {
    const text = new TextDecoder().decode(readInputFile('--script', args.script));
    try {
      script = parseScript(text, args.script);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  if (args.input !== undefined) {
    try {
      script.push({ kind: 'send', text: unescapeText(args.input), line: 0 });
    } catch (error) {
      throw new UsageError(`--input: ${(error as Error).message}`);
    }
  }

  let password = args.password;
  if (args.passwordFile !== undefined) {
    password = new TextDecoder().decode(readInputFile('--password-file', args.passwordFile)).split(/\r?\n/)[0];
  }

  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const realtime = args.realtime ?? (args.deterministic ? false : interactive);
  const cga = args.display === 'cga';
  const serial = openSink('--serial', cga && args.serial === 'stdio' ? 'none' : args.serial);
  const debugcon = openSink('--debugcon', args.debugcon);
  const log = (message: string) => {
    serial.flush();
    process.stderr.write(`${chalk.yellow('jos86:')} ${message}\n`);
  };

  let machine: PcMachine;
  try {
    machine = new PcMachine({
      memoryMB: args.mem,
      cpus: args.cpus,
      hda,
      hdb,
      kernel,
      cmdline: kernel ? [args.kernel, args.append].filter(Boolean).join(' ') : undefined,
      bios,
      serialOut: (byte) => serial.write(byte),
      debugconOut: (byte) => debugcon.write(byte),
      random: args.seed === undefined ? systemRandom() : undefined,
      seed: args.seed,
      log,
    });
  } catch (error) {
    // Firmware errors are about the files the user gave (no boot signature, bad ELF, ...).
    throw new UsageError((error as Error).message);
  }
  const trace = args.trace ? attachTrace(machine, args.trace) : undefined;

  const session = new Session(machine, {
    realtime,
    timeoutNs: args.timeout !== undefined ? args.timeout * 1e9 : undefined,
    script,
    answers: password === undefined ? undefined : diskPasswordAnswers(password),
    frameMs: 20,
    onFrame: () => {
      serial.flush();
      debugcon.flush();
      if (cga) terminal?.drawScreen(machine.screen());
    },
  });
  const terminal = process.stdin.isTTY
    ? new TerminalConsole({
        input: process.stdin,
        output: process.stdout,
        onInput: (byte) => (cga ? session.typeKey(String.fromCharCode(byte)) : session.typeSerial(byte)),
        onQuit: () => session.quit(),
        onBreak: () => machine.com1.receiveBreak(),
      })
    : undefined;
  // Not a terminal: bytes piped into stdin are typed on the serial port, as with `qemu -serial stdio`.
  const pipedInput = !process.stdin.isTTY && !cga;
  const onPipedData = (chunk: Buffer) => {
    for (const byte of chunk) session.typeSerial(byte);
  };
  if (pipedInput) {
    process.stdin.on('data', onPipedData);
    process.stdin.on('error', () => {});
  }
  if (cga) process.stdout.write('\x1b[2J');
  terminal?.start();
  let result: SessionResult;
  try {
    result = await session.run();
  } finally {
    if (pipedInput) {
      process.stdin.off('data', onPipedData);
      process.stdin.destroy();
    }
    terminal?.stop();
    serial.close();
    debugcon.close();
    trace?.close();
    for (const disk of disks) {
      disk.flush();
      disk.close();
    }
    if (cga) process.stdout.write('\x1b[0m\r\n');
  }
  return exitCodeFor(result, args, log);
}

function exitCodeFor(result: SessionResult, args: RunArgs, log: (message: string) => void): number {
  switch (result.reason) {
    case 'exit':
      return result.exitStatus ?? 1;
    case 'timeout': {
      const waiting = result.pendingStep?.kind === 'expect' ? ` while the script waited for "${result.pendingStep.text}"` : '';
      log(`timeout after ${args.timeout} s${waiting}`);
      return EXIT_TIMEOUT;
    }
    case 'shutdown':
      return EXIT_TRIPLE_FAULT;
    case 'halted':
    case 'quit':
      return 0;
  }
}

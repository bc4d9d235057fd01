// Where `jos86 fs` gets a password: the command line (--password), a file
// (--password-file: its contents, less one trailing newline), or a prompt at
// the terminal with echo off. With none of these (stdin is not a terminal)
// it is an error rather than a hang. A password is its UTF-8 bytes.

import { readFileSync } from 'node:fs';

export interface PasswordSpec {
  /** The password itself. */
  password?: string;
  /** A file holding it. */
  file?: string;
}

export class PasswordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PasswordError';
  }
}

/** Where prompts go and keys come from; tests pass their own. */
export interface Terminal {
  isTTY: boolean;
  /** Show `prompt` and read one line without echo. */
  readSecret(prompt: string): Promise<string>;
}

export function passwordFromFile(path: string): Uint8Array {
  const text = readFileSync(path, 'utf8');
  return new Uint8Array(Buffer.from(text.replace(/\r?\n$/, ''), 'utf8'));
}

export interface AskOptions {
  /** What the prompt calls it, e.g. "Password for disk.img". */
  prompt: string;
  /** How to name the options in the error when there is no terminal. */
  optionNames: string;
  /** A new password: refuse an empty one, and ask twice at a prompt. */
  isNew?: boolean;
}

/** The password from `spec`, or from the terminal. */
export async function obtainPassword(spec: PasswordSpec, terminal: Terminal, options: AskOptions): Promise<Uint8Array> {
  let password: Uint8Array;
  if (spec.password !== undefined) password = new Uint8Array(Buffer.from(spec.password, 'utf8'));
  else if (spec.file !== undefined) password = passwordFromFile(spec.file);
  else if (terminal.isTTY) {
    const typed = await terminal.readSecret(`${options.prompt}: `);
    if (options.isNew && typed !== '' && (await terminal.readSecret(`${options.prompt} (again): `)) !== typed) {
      throw new PasswordError('the two passwords differ');
    }
    password = new Uint8Array(Buffer.from(typed, 'utf8'));
  } else {
    throw new PasswordError(`${options.prompt.replace(/^./, (c) => c.toLowerCase())} is needed: give ${options.optionNames} (stdin is not a terminal to ask on)`);
  }
  if (options.isNew && password.length === 0) throw new PasswordError('refusing an empty password');
  return password;
}

/** The process's terminal: prompt on stderr, keys from stdin in raw mode, nothing echoed. */
export const processTerminal: Terminal = {
  get isTTY() {
    return Boolean(process.stdin.isTTY);
  },
  readSecret(prompt: string): Promise<string> {
    const stdin = process.stdin;
    // Echo goes off before the prompt appears, so nothing typed in answer is shown.
    stdin.setRawMode(true);
    process.stderr.write(prompt);
    return new Promise((resolve, reject) => {
      let typed = '';
      const finish = (error?: Error) => {
        stdin.off('data', onData);
        stdin.setRawMode(false);
        stdin.pause();
        process.stderr.write('\n');
        if (error) reject(error);
        else resolve(typed);
      };
      const onData = (chunk: Buffer) => {
        for (const char of chunk.toString('utf8')) {
          if (char === '\r' || char === '\n' || char === '\x04') return finish();
          if (char === '\x03') return finish(new PasswordError('interrupted'));
          if (char === '\x7f' || char === '\b') typed = [...typed].slice(0, -1).join('');
          else if (char >= ' ') typed += char;
        }
      };
      stdin.resume();
      stdin.on('data', onData);
    });
  },
};

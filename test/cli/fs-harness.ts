// Runs `jos86 fs ...` through yargs in this process with its output captured,
// as main.ts registers it; shared by the fs CLI suites.

import { stripVTControlCharacters } from 'node:util';
import yargs from 'yargs';
import { makeFsCommand } from '../../src/cli/fs.ts';
import type { Terminal } from '../../src/host/fs/password.ts';

export interface Result {
  stdout: Buffer;
  stderr: string;
  code: number;
}

/** No terminal: a password prompt must fail rather than wait. */
export const noTerminal: Terminal = {
  isTTY: false,
  readSecret: () => Promise.reject(new Error('no terminal')),
};

/** A terminal that answers prompts with `answers` in turn, recording the prompts. */
export function scriptedTerminal(answers: string[], prompts: string[] = []): Terminal {
  return {
    isTTY: true,
    readSecret: async (prompt) => {
      prompts.push(prompt);
      const answer = answers.shift();
      if (answer === undefined) throw new Error(`unexpected prompt ${prompt}`);
      return answer;
    },
  };
}

/** Run `jos86 <args>` with the fs command registered. */
export async function jos86WithTerminal(terminal: Terminal, ...args: string[]): Promise<Result> {
  const chunks: Buffer[] = [];
  let stderr = '';
  let code = 0;
  await yargs(args)
    .scriptName('jos86')
    .command(
      makeFsCommand({
        stdout: (data) => chunks.push(Buffer.from(data)),
        stderr: (text) => (stderr += text),
        setExitCode: (value) => (code = value),
        terminal,
      }),
    )
    .strict()
    .exitProcess(false)
    .fail((message, error) => {
      stderr += message ?? String(error);
      code = 1;
    })
    .parseAsync();
  return { stdout: Buffer.concat(chunks), stderr: stripVTControlCharacters(stderr), code };
}

export const jos86 = (...args: string[]) => jos86WithTerminal(noTerminal, ...args);

export const text = (result: Result) => stripVTControlCharacters(result.stdout.toString());

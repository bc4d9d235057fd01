// Answers typed at prompts: whenever a prompt's text appears at the end of
// the console output, its answer is typed on COM1. `jos86 run --password-file
// F` answers the file server's password prompts this way, so a scripted run
// can boot an encrypted disk, or one the file server encrypts at boot.
//
// Unlike a script's `expect`/`send` (src/host/script.ts), which run once and
// in order, every prompt here is answered each time it appears: three
// wrong-password prompts get three answers. Like the script runner it
// depends only on the guest's output, so a run stays deterministic, and it
// imports nothing from Node.

/** What the file server prints when it asks for the disk's password (src/fs/disk.c, src/userland/lib/readline.c). */
export const DISK_PASSWORD_PROMPTS = ['Password for the disk: ', 'New password for the disk: ', 'New password again: '] as const;

export interface PromptAnswer {
  prompt: string;
  answer: string;
}

export class PromptAnswerer {
  private tail = '';
  private readonly longest: number;

  constructor(
    private readonly answers: readonly PromptAnswer[],
    private readonly type: (text: string) => void,
  ) {
    this.longest = Math.max(0, ...answers.map((a) => a.prompt.length));
  }

  /** One byte of console output. */
  output(byte: number): void {
    this.tail = (this.tail + String.fromCharCode(byte)).slice(-this.longest);
    for (const { prompt, answer } of this.answers) {
      if (this.tail.endsWith(prompt)) {
        this.tail = '';
        this.type(answer);
        return;
      }
    }
  }
}

/** The password prompts of the file server, each answered with `password` and a newline. */
export function diskPasswordAnswers(password: string): PromptAnswer[] {
  return DISK_PASSWORD_PROMPTS.map((prompt) => ({ prompt, answer: `${password}\n` }));
}

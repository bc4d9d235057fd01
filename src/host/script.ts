// Scripted input: what `--input` and `--script` type into a running machine.
//
// A script is a list of steps, one per line:
//
//   expect <text>    wait until <text> has appeared in the console output
//                    produced since the previous expect matched
//   send <text>      type <text> on the serial port (COM1)
//   key <text>       type <text> on the PC keyboard (8042, scan-code set 1)
//   wait <ms>        let <ms> milliseconds of virtual time pass
//   # ...            a comment; blank lines are ignored
//
// Texts take C-like escapes: \n \r \t \e (ESC) \\ \xNN, and keep their
// leading and trailing spaces except the single space after the keyword.
// `--input TEXT` is the one-step script `send TEXT`.
//
// The runner is driven by virtual time and by the guest's output only, so a
// scripted run is as deterministic as the machine. It imports nothing from
// Node: the same scripts can drive a machine in a browser page.

export type ScriptStep =
  | { kind: 'expect'; text: string; line: number }
  | { kind: 'send'; text: string; line: number }
  | { kind: 'key'; text: string; line: number }
  | { kind: 'wait'; ms: number; line: number };

/** Decode \n, \r, \t, \e, \\, \xNN escapes. */
export function unescapeText(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '\\' || i + 1 >= text.length) {
      out += c;
      continue;
    }
    const next = text[++i];
    switch (next) {
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'e': out += '\x1b'; break;
      case '\\': out += '\\'; break;
      case 'x': {
        const hex = text.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new Error(`bad escape \\x${hex} (want two hex digits)`);
        out += String.fromCharCode(parseInt(hex, 16));
        i += 2;
        break;
      }
      default:
        throw new Error(`unknown escape \\${next}`);
    }
  }
  return out;
}

/** Parse a script file's text; errors name the line. */
export function parseScript(source: string, name = 'script'): ScriptStep[] {
  const steps: ScriptStep[] = [];
  const lines = source.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    const match = /^\s*(\w+)(?: (.*))?$/.exec(raw);
    if (!match) throw new Error(`${name}:${line}: cannot parse "${raw}"`);
    const [, keyword, argument = ''] = match;
    try {
      switch (keyword) {
        case 'expect':
        case 'send':
        case 'key': {
          const text = unescapeText(argument);
          if (text === '') throw new Error(`${keyword} needs a text`);
          steps.push({ kind: keyword, text, line });
          break;
        }
        case 'wait': {
          const ms = Number(argument.trim());
          if (argument.trim() === '' || !Number.isFinite(ms) || ms < 0) throw new Error(`wait needs a number of milliseconds, got "${argument}"`);
          steps.push({ kind: 'wait', ms, line });
          break;
        }
        default:
          throw new Error(`unknown command "${keyword}" (expect, send, key, wait)`);
      }
    } catch (error) {
      throw new Error(`${name}:${line}: ${(error as Error).message}`);
    }
  });
  return steps;
}

/** Where typed text goes: the board's serial port and keyboard. */
export interface InputSink {
  /** Offer one byte to COM1; false if its receiver is full (the byte is retried later). */
  serial(byte: number): boolean;
  /** Offer one character to the keyboard; false if it cannot take it yet. */
  keyboard(char: string): boolean;
}

/**
 * Plays a script against a machine. The board's run loop calls `output` for
 * every console byte and `poll(now)` between slices of virtual time.
 */
export class ScriptRunner {
  private index = 0;
  private pendingSerial: number[] = [];
  private pendingKeys: string[] = [];
  private waitUntil: number | null = null;
  /** Output since the last expect matched (only the tail that could still match is kept). */
  private window = '';

  constructor(
    private readonly steps: readonly ScriptStep[],
    private readonly sink: InputSink,
  ) {}

  /** True when every step has run and all typed input has been taken. */
  get done(): boolean {
    return this.index >= this.steps.length && this.pendingSerial.length === 0 && this.pendingKeys.length === 0;
  }

  /** The step the script is waiting on, for timeout messages. */
  get waitingFor(): ScriptStep | undefined {
    return this.steps[this.index];
  }

  output(byte: number): void {
    this.window += String.fromCharCode(byte);
    // Keep memory bounded: an expect can only match within its own length.
    if (this.window.length > 65536) this.window = this.window.slice(-32768);
  }

  /** Advance the script as far as it can at virtual time `now` (ns), and feed queued input. */
  poll(now: number): void {
    this.feed();
    while (this.index < this.steps.length) {
      const step = this.steps[this.index];
      if (step.kind === 'expect') {
        const at = this.window.indexOf(step.text);
        if (at < 0) return;
        this.window = this.window.slice(at + step.text.length);
      } else if (step.kind === 'wait') {
        if (this.waitUntil === null) this.waitUntil = now + step.ms * 1e6;
        if (now < this.waitUntil) return;
        this.waitUntil = null;
      } else {
        // Input waits for the previous input to be taken, so a later expect
        // cannot match before the guest has seen what was typed.
        if (this.pendingSerial.length || this.pendingKeys.length) return;
        if (step.kind === 'send') for (const c of step.text) this.pendingSerial.push(c.charCodeAt(0) & 0xff);
        else this.pendingKeys.push(...step.text);
      }
      this.index++;
      this.feed();
    }
  }

  private feed(): void {
    while (this.pendingSerial.length && this.sink.serial(this.pendingSerial[0])) this.pendingSerial.shift();
    while (this.pendingKeys.length && this.sink.keyboard(this.pendingKeys[0])) this.pendingKeys.shift();
  }
}

// The terminal front end: the guest's console on the host's stdin/stdout.
//
// Keys typed at the terminal go to the guest (raw mode when stdin is a TTY, so
// Ctrl-C reaches the guest instead of killing the emulator). As in QEMU's
// character-device multiplexer, Ctrl-A is an escape prefix:
//   Ctrl-A X   quit the emulator
//   Ctrl-A H   print this help
//   Ctrl-A B   send a break on the serial line
//   Ctrl-A C   (QEMU's monitor) answered with a note: jos86 has no monitor
//   Ctrl-A Ctrl-A   send a literal Ctrl-A to the guest
// With `--display cga` the 80x25 CGA text screen is redrawn on the terminal
// with ANSI escapes (code page 437 mapped to Unicode, CGA colours to the 16
// ANSI colours) whenever it changes.

import { cp437, type TextScreen } from '../devices/vga-text.ts';

export const CTRL_A = 0x01;

/** CGA colour number (IRGB order) to ANSI colour number (BGR order). */
const CGA_TO_ANSI = [0, 4, 2, 6, 1, 5, 3, 7];

/** ANSI text that redraws the whole screen and places the cursor. */
export function renderCga(screen: TextScreen): string {
  let out = '\x1b[?25l\x1b[H';
  for (let row = 0; row < screen.rows; row++) {
    let lastAttribute = -1;
    for (let column = 0; column < screen.columns; column++) {
      const cell = screen.cells[row * screen.columns + column];
      const attribute = cell >> 8;
      if (attribute !== lastAttribute) {
        out += ansiAttribute(attribute);
        lastAttribute = attribute;
      }
      out += cp437(cell & 0xff);
    }
    out += row < screen.rows - 1 ? '\x1b[0m\r\n' : '\x1b[0m';
  }
  const { cursor } = screen;
  if (cursor.visible) out += `\x1b[${cursor.row + 1};${cursor.column + 1}H\x1b[?25h`;
  return out;
}

function ansiAttribute(attribute: number): string {
  const foreground = attribute & 0x0f;
  const background = (attribute >> 4) & 0x07; // bit 7 is blink on a CGA; shown as steady
  const fg = (foreground & 8 ? 90 : 30) + CGA_TO_ANSI[foreground & 7];
  const bg = 40 + CGA_TO_ANSI[background];
  return `\x1b[0;${fg};${bg}m`;
}

export interface TerminalConsoleOptions {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
  /** A byte typed by the user, for the guest. */
  onInput: (byte: number) => void;
  /** Ctrl-A X. */
  onQuit: () => void;
  /** Ctrl-A B. */
  onBreak?: () => void;
}

export const CONSOLE_HELP =
  'C-a h    print this help\r\n' +
  'C-a x    exit emulator\r\n' +
  'C-a b    send break\r\n' +
  'C-a c    (no monitor in jos86)\r\n' +
  'C-a C-a  sends C-a\r\n';

/** Stdin to the guest with the Ctrl-A escapes; stdout from the guest. */
export class TerminalConsole {
  private escape = false;
  private rawMode = false;
  private lastFrame = '';
  private readonly listener = (chunk: Buffer) => this.typed(chunk);

  constructor(private readonly options: TerminalConsoleOptions) {}

  start(): void {
    const { input } = this.options;
    if (input.isTTY) {
      input.setRawMode(true);
      this.rawMode = true;
    }
    input.on('data', this.listener);
    input.resume();
  }

  stop(): void {
    const { input } = this.options;
    input.off('data', this.listener);
    if (this.rawMode) input.setRawMode(false);
    this.rawMode = false;
    input.pause();
  }

  /** Bytes typed at the terminal (exported for tests). */
  typed(chunk: Uint8Array): void {
    for (const byte of chunk) {
      if (this.escape) {
        this.escape = false;
        this.escaped(byte);
      } else if (byte === CTRL_A) {
        this.escape = true;
      } else {
        this.options.onInput(byte);
      }
    }
  }

  /** Redraw the CGA screen if it changed since the last frame. */
  drawScreen(screen: TextScreen): void {
    const frame = renderCga(screen);
    if (frame === this.lastFrame) return;
    this.lastFrame = frame;
    this.options.output.write(frame);
  }

  private escaped(byte: number): void {
    switch (String.fromCharCode(byte).toLowerCase()) {
      case 'x':
        this.options.output.write('\r\njos86: terminated\r\n');
        this.options.onQuit();
        return;
      case 'h':
      case '?':
        this.options.output.write(`\r\n${CONSOLE_HELP}`);
        return;
      case 'b':
        this.options.onBreak?.();
        return;
      case 'c':
        this.options.output.write('\r\njos86 has no monitor; C-a x quits\r\n');
        return;
      default:
        if (byte === CTRL_A) this.options.onInput(CTRL_A);
    }
  }
}

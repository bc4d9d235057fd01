import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { renderCga, TerminalConsole, CTRL_A } from '../../src/host/console.ts';
import { VgaText } from '../../src/devices/vga-text.ts';

function consoleUnderTest() {
  const input = new PassThrough() as unknown as NodeJS.ReadStream;
  const output = new PassThrough() as unknown as NodeJS.WriteStream;
  const typed: number[] = [];
  const events: string[] = [];
  let printed = '';
  (output as unknown as PassThrough).on('data', (chunk: Buffer) => (printed += chunk.toString()));
  const terminal = new TerminalConsole({
    input,
    output,
    onInput: (byte) => typed.push(byte),
    onQuit: () => events.push('quit'),
    onBreak: () => events.push('break'),
  });
  return { terminal, typed, events, printed: () => printed };
}

describe('TerminalConsole', () => {
  it('passes keys through and handles the Ctrl-A escapes as QEMU does', async () => {
    const { terminal, typed, events, printed } = consoleUnderTest();
    terminal.typed(Buffer.from('ls\r'));
    terminal.typed(Uint8Array.of(CTRL_A, CTRL_A));
    terminal.typed(Uint8Array.of(CTRL_A, 'b'.charCodeAt(0)));
    terminal.typed(Uint8Array.of(CTRL_A, 'h'.charCodeAt(0)));
    terminal.typed(Uint8Array.of(CTRL_A));
    terminal.typed(Uint8Array.of('x'.charCodeAt(0)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(typed).toEqual([...Buffer.from('ls\r'), CTRL_A]);
    expect(events).toEqual(['break', 'quit']);
    expect(printed()).toContain('C-a x    exit emulator');
  });
});

describe('renderCga', () => {
  it('draws characters with ANSI colours and places the cursor', () => {
    const ram = new Uint8Array(0xc0000);
    const text = 'Hi';
    for (let i = 0; i < text.length; i++) {
      ram[0xb8000 + i * 2] = text.charCodeAt(i);
      ram[0xb8000 + i * 2 + 1] = 0x1e; // yellow on blue
    }
    ram[0xb8000 + 160] = 0xc9; // CP437 box corner on row 1
    ram[0xb8000 + 161] = 0x07;
    const vga = new VgaText();
    vga.crtc.write(4, 1, 0x0e);
    vga.crtc.write(5, 1, 0);
    vga.crtc.write(4, 1, 0x0f);
    vga.crtc.write(5, 1, 82); // row 1, column 2
    const frame = renderCga(vga.screen(ram));
    expect(frame).toContain('\x1b[0;93;44mHi');
    expect(frame).toContain('╔');
    expect(frame.endsWith('\x1b[2;3H\x1b[?25h')).toBe(true);
    expect(frame.split('\r\n')).toHaveLength(25);
  });
});

import { describe, expect, it } from 'vitest';
import { parseScript, ScriptRunner, unescapeText, type InputSink } from '../../src/host/script.ts';

describe('script parsing', () => {
  it('reads expect, send, key and wait lines, skipping comments and blanks', () => {
    const steps = parseScript('# boot\nexpect K> \n\nsend help\\n\nkey ls\\r\nwait 250\n');
    expect(steps).toEqual([
      { kind: 'expect', text: 'K> ', line: 2 },
      { kind: 'send', text: 'help\n', line: 4 },
      { kind: 'key', text: 'ls\r', line: 5 },
      { kind: 'wait', ms: 250, line: 6 },
    ]);
  });

  it('decodes escapes', () => {
    expect(unescapeText('a\\tb\\\\c\\x41\\e')).toBe('a\tb\\cA\x1b');
    expect(() => unescapeText('\\q')).toThrow(/unknown escape/);
    expect(() => unescapeText('\\x4')).toThrow(/two hex digits/);
  });

  it('names the line of an error', () => {
    expect(() => parseScript('send ok\nfrobnicate now', 'boot.script')).toThrow('boot.script:2: unknown command "frobnicate"');
    expect(() => parseScript('wait soon')).toThrow('script:1: wait needs a number');
    expect(() => parseScript('expect')).toThrow('script:1: expect needs a text');
  });
});

/** A serial port that takes one byte per poll, like a 16450 the guest reads slowly. */
class SlowSink implements InputSink {
  serialBytes: number[] = [];
  keys: string[] = [];
  room = 1;
  serial(byte: number): boolean {
    if (this.room === 0) return false;
    this.room--;
    this.serialBytes.push(byte);
    return true;
  }
  keyboard(char: string): boolean {
    this.keys.push(char);
    return true;
  }
}

describe('ScriptRunner', () => {
  it('waits for expected output before typing, and paces input to the receiver', () => {
    const sink = new SlowSink();
    const runner = new ScriptRunner(parseScript('expect login: \nsend ab\nexpect $ \nkey x'), sink);
    runner.poll(0);
    expect(sink.serialBytes).toEqual([]);
    for (const c of 'login: ') runner.output(c.charCodeAt(0));
    runner.poll(1);
    expect(sink.serialBytes).toEqual([97]);
    sink.room = 1;
    runner.poll(2);
    expect(sink.serialBytes).toEqual([97, 98]);
    expect(runner.done).toBe(false);
    for (const c of '$ ') runner.output(c.charCodeAt(0));
    runner.poll(3);
    expect(sink.keys).toEqual(['x']);
    expect(runner.done).toBe(true);
  });

  it('matches an expect only against output after the previous match', () => {
    const sink = new SlowSink();
    sink.room = 100;
    const runner = new ScriptRunner(parseScript('expect $\nsend 1\nexpect $\nsend 2'), sink);
    for (const c of 'a$b') runner.output(c.charCodeAt(0));
    runner.poll(0);
    expect(String.fromCharCode(...sink.serialBytes)).toBe('1');
    runner.poll(1);
    expect(String.fromCharCode(...sink.serialBytes)).toBe('1');
    runner.output('$'.charCodeAt(0));
    runner.poll(2);
    expect(String.fromCharCode(...sink.serialBytes)).toBe('12');
  });

  it('waits in virtual time', () => {
    const sink = new SlowSink();
    sink.room = 100;
    const runner = new ScriptRunner(parseScript('wait 2\nsend z'), sink);
    runner.poll(1_000_000);
    runner.poll(2_999_999);
    expect(sink.serialBytes).toEqual([]);
    runner.poll(3_000_000);
    expect(sink.serialBytes).toEqual([122]);
    expect(runner.waitingFor).toBeUndefined();
  });
});

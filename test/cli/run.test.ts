// The `jos86` command line, run as a user would: through bin/jos86.js.

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assemble, buildDemo, diskImage } from '../machine/assemble.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'jos86.js');
const scratch = mkdtempSync(join(tmpdir(), 'jos86-cli-'));

function jos86(args: string[], input = '') {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, input, timeout: 90_000, encoding: 'latin1' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function file(name: string, bytes: Uint8Array | string): string {
  const path = join(scratch, name);
  writeFileSync(path, bytes);
  return path;
}

/** A disk whose boot sector prints `text` on COM1 and exits with `value` through isa-debug-exit. */
function printingDisk(name: string, text: string, value: number): string {
  const sector = assemble(`
    org 0x7c00
    mov si, text
  next:
    lodsb
    test al, al
    jz done
    mov dx, 0x3f8
    out dx, al
    jmp next
  done:
    mov al, ${value}
    out 0xf4, al
    hlt
  text: db '${text}', 0
    times 510-($-$$) db 0
    dw 0xaa55
  `);
  return file(name, diskImage(sector, new Uint8Array(0), 4));
}

describe('jos86 --help', () => {
  it('lists the commands', () => {
    const { status, stdout } = jos86(['--help']);
    expect(status).toBe(0);
    expect(stdout).toContain('jos86 run');
    expect(stdout).toContain('jos86 fs');
  });

  it('documents every run option', () => {
    const { status, stdout } = jos86(['run', '--help']);
    expect(status).toBe(0);
    for (const option of ['--hda', '--hdb', '--kernel', '--append', '--bios', '--mem', '--serial', '--debugcon', '--display', '--deterministic', '--realtime', '--input', '--script', '--timeout', '--trace', '--snapshot', '--seed', '--password-file', '--password']) {
      expect(stdout).toContain(option);
    }
  });
});

describe('jos86 run errors', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown option', ['run', '--frobnicate'], /Unknown argument: frobnicate/],
    ['a missing disk', ['run', '--hda', '/nonexistent.img'], /--hda: cannot open disk image \/nonexistent\.img: no such file/],
    ['a bad --mem', ['run', '--mem', 'lots', '--hda', 'x'], /--mem must be a whole number/],
    ['a bad --serial', ['run', '--serial', 'tcp:1234', '--hda', 'x'], /--serial must be stdio, file:PATH or none/],
    ['a bad disk suffix', ['run', '--hda', 'x.img,rx'], /unknown disk option "rx"/],
    ['a missing kernel', ['run', '--kernel', '/nonexistent.elf'], /--kernel \/nonexistent\.elf: no such file/],
    ['both modes', ['run', '--deterministic', '--realtime', '--hda', 'x'], /mutually exclusive/],
    ['a bad --seed', ['run', '--seed', '1.5', '--hda', 'x'], /--seed must be a whole number/],
  ];
  for (const [what, args, message] of cases) {
    it(`reports ${what} in one line with a non-zero status`, () => {
      const { status, stderr } = jos86(args);
      expect(status).not.toBe(0);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(message);
    });
  }

  it('refuses a disk that is not bootable', () => {
    const { status, stderr } = jos86(['run', '--hda', file('blank.img', new Uint8Array(1024))]);
    expect(status).toBe(2);
    expect(stderr).toMatch(/is not bootable: sector 0 does not end with the 0x55AA signature/);
  });

  it('refuses a kernel without a Multiboot header', () => {
    const { status, stderr } = jos86(['run', '--kernel', file('junk.elf', 'not a kernel')]);
    expect(status).toBe(2);
    expect(stderr).toMatch(/no Multiboot header/);
  });
});

/** A disk whose boot sector prints one RDRAND value as eight hex digits and exits. */
function rdrandDisk(): string {
  const sector = assemble(`
    org 0x7c00
    rdrand eax
    mov cx, 8
    mov dx, 0x3f8
  digit:
    rol eax, 4
    push ax
    and al, 15
    add al, '0'
    cmp al, '9'
    jbe print
    add al, 7
  print:
    out dx, al
    pop ax
    loop digit
    mov al, 0
    out 0xf4, al
    hlt
    times 510-($-$$) db 0
    dw 0xaa55
  `);
  return file('rdrand.img', diskImage(sector, new Uint8Array(0), 4));
}

describe('jos86 run', () => {
  it('draws RDRAND from host entropy, or from a generator with --seed', () => {
    const disk = rdrandDisk();
    const seeded = [jos86(['run', '--hda', disk, '--seed', '7']), jos86(['run', '--hda', disk, '--seed', '7'])];
    expect(seeded[0].stdout).toMatch(/^[0-9A-F]{8}$/);
    expect(seeded[1].stdout).toBe(seeded[0].stdout);
    expect(jos86(['run', '--hda', disk, '--seed', '8']).stdout).not.toBe(seeded[0].stdout);
    const entropy = [jos86(['run', '--hda', disk]), jos86(['run', '--hda', disk])];
    expect(entropy[0].stdout).toMatch(/^[0-9A-F]{8}$/);
    expect(entropy[1].stdout).not.toBe(entropy[0].stdout);
  });

  it('turns the guest isa-debug-exit status into the exit status', () => {
    const { status, stdout } = jos86(['run', '--hda', printingDisk('exit.img', 'bye', 0x05)]);
    expect(stdout).toBe('bye');
    expect(status).toBe((0x05 << 1) | 1);
  });

  it('writes the serial console to a file', () => {
    const log = join(scratch, 'serial.txt');
    const { status, stdout } = jos86(['run', '--hda', printingDisk('file.img', 'to a file', 0), '--serial', `file:${log}`]);
    expect(status).toBe(1);
    expect(stdout).toBe('');
    expect(readFileSync(log, 'latin1')).toBe('to a file');
  });

  it('types --input and stops at --timeout with status 124', () => {
    const demo = buildDemo();
    const { status, stdout, stderr } = jos86(['run', '--hda', demo.diskPath, '--input', 'cli\\n']);
    expect(stdout).toContain('got: cli\r\n');
    expect(status).toBe(33);
    expect(stderr).toBe('');
    const waiting = jos86(['run', '--hda', demo.diskPath, '--timeout', '0.5']);
    expect(waiting.status).toBe(124);
    expect(waiting.stdout).toContain('type a line: ');
    expect(waiting.stderr).toMatch(/timeout after 0.5 s/);
  });

  it('boots a Multiboot kernel and follows a script', () => {
    const demo = buildDemo();
    const script = file('demo.script', 'expect type a line: \nkey by keyboard\\r\n');
    const { status, stdout } = jos86(['run', '--kernel', demo.elfPath, '--script', script]);
    expect(status).toBe(33);
    expect(stdout).toContain('boot: multiboot');
    expect(stdout).toContain('got: by keyboard');
  });

  it('never changes a disk image unless it is named FILE,rw', () => {
    const writer = assemble(`
      org 0x7c00
      mov dx, 0x1f6
      mov al, 0xe0
      out dx, al
      mov dx, 0x1f2
      mov al, 1
      out dx, al
      mov dx, 0x1f3
      out dx, al                 ; LBA 1
      xor al, al
      mov dx, 0x1f4
      out dx, al
      mov dx, 0x1f5
      out dx, al
      mov dx, 0x1f7
      mov al, 0x30               ; WRITE SECTORS
      out dx, al
    wait_drq:
      in al, dx
      test al, 8
      jz wait_drq
      mov cx, 256
      mov dx, 0x1f0
      mov ax, 0xabcd
    put:
      out dx, ax
      loop put
      mov dx, 0x1f7
    wait_done:
      in al, dx
      test al, 0x80
      jnz wait_done
      mov al, 0
      out 0xf4, al
      hlt
      times 510-($-$$) db 0
      dw 0xaa55
    `);
    const path = file('writer.img', diskImage(writer, new Uint8Array(512), 2));
    const before = readFileSync(path);
    expect(jos86(['run', '--hda', path]).status).toBe(1);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(jos86(['run', '--hda', `${path},rw`, '--snapshot']).status).toBe(1);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(jos86(['run', '--hda', `${path},rw`]).status).toBe(1);
    const after = readFileSync(path);
    expect(after.readUInt16LE(512)).toBe(0xabcd);
    expect(after.readUInt16LE(1022)).toBe(0xabcd);
  });

  it('writes an instruction and interrupt trace', () => {
    const trace = join(scratch, 'trace.txt');
    const { status } = jos86(['run', '--hda', printingDisk('trace.img', 'x', 0), '--trace', trace]);
    expect(status).toBe(1);
    const text = readFileSync(trace, 'latin1');
    expect(text).toMatch(/0000:00007c00/i);
    expect(text).toMatch(/lodsb/i);
    expect(text).toMatch(/out/i);
  });
});

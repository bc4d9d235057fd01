// `--bios ROM`: a firmware image mapped at the top of the first MiB and of
// the 4 GiB space, started at the reset vector (F000:FFF0) in real mode. A
// 64 KiB test ROM prints on COM1 and exits; QEMU (`-bios`) must print the same.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTranscript } from '../golden-runner.ts';
import { assemble } from './assemble.ts';

const ROM_SOURCE = `
bits 16
org 0
start:
  cli
  mov ax, 0xf000
  mov ds, ax
  mov si, message
.next:
  lodsb
  test al, al
  jz .done
  mov ah, al
  mov dx, 0x3fd
.wait:
  in al, dx
  test al, 0x20
  jz .wait
  mov dx, 0x3f8
  mov al, ah
  out dx, al
  jmp .next
.done:
  mov dx, 0xf4                 ; isa-debug-exit
  mov al, 0x21
  out dx, al
  hlt
message: db 'reset vector reached, CS=F000', 13, 10, 0
times 0xfff0 - ($ - $$) db 0xff
reset:
  jmp 0xf000:start
times 0x10000 - ($ - $$) db 0xff
`;

describe('--bios: a ROM started at the reset vector', () => {
  const rom = assemble(ROM_SOURCE);

  it('runs a 64 KiB ROM from F000:FFF0 on jos86 as on QEMU', () => {
    expect(rom.length).toBe(0x10000);
    const ours = runTranscript({ machine: { bios: rom }, timeoutMs: 1_000 });
    expect(ours.transcript).toBe('reset vector reached, CS=F000\r\n');
    expect(ours.exitStatus).toBe((0x21 << 1) | 1);

    const dir = mkdtempSync(join(tmpdir(), 'jos86-bios-'));
    const path = join(dir, 'rom.bin');
    writeFileSync(path, rom);
    const qemu = spawnSync('qemu-system-i386', ['-bios', path, '-serial', 'stdio', '-display', 'none', '-no-reboot', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04'], { timeout: 30_000 });
    if (qemu.error) throw new Error(`cannot run qemu-system-i386: ${qemu.error.message}`);
    expect(qemu.status).toBe((0x21 << 1) | 1);
    expect(ours.transcript).toBe(qemu.stdout.toString('latin1'));
  });
});

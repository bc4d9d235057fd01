// Wiring tests for the board: tiny real-mode programs, assembled with nasm at
// test time, boot from a disk at 0x7C00 the way a BIOS hands over, poke the
// chips through their ports and report on COM1.

import { describe, expect, it } from 'vitest';
import { MemoryBlockDevice } from '../../src/devices/ide.ts';
import { assemble, diskImage } from './assemble.ts';
import { runTranscript } from '../golden-runner.ts';

/** A boot sector: `body` runs at 0000:7C00 with `puts` (SI -> COM1), `putc` (AL) and `exit` (AL = value). */
function bootSector(body: string): Uint8Array {
  return assemble(`
    org 0x7c00
    bits 16
    start:
      xor ax, ax
      mov ds, ax
      mov es, ax
      ${body}
    exit:                       ; isa-debug-exit with AL
      out 0xf4, al
      cli
      hlt
    putc:
      push dx
      push ax
      mov dx, 0x3fd
    .wait:
      in al, dx
      test al, 0x20
      jz .wait
      pop ax
      mov dx, 0x3f8
      out dx, al
      pop dx
      ret
    puts:
      lodsb
      test al, al
      jz .done
      call putc
      jmp puts
    .done:
      ret
    puthex:                     ; AL as two hex digits
      push ax
      shr al, 4
      call .nibble
      pop ax
    .nibble:
      and al, 15
      add al, '0'
      cmp al, '9'
      jbe .print
      add al, 7
    .print:
      jmp putc
    times 510-($-$$) db 0
    dw 0xaa55
  `);
}

function boot(body: string, options: { script?: string; timeoutMs?: number } = {}) {
  return runTranscript({ machine: { hda: new MemoryBlockDevice(diskImage(bootSector(body))) }, ...options });
}

describe('BIOS-less boot from a disk', () => {
  it('runs the boot sector at 0000:7C00 with DL = 0x80 and prints on COM1', () => {
    const run = boot(`
      mov al, dl
      call puthex
      mov si, hello
      call puts
      mov al, 0x21
      jmp exit
    hello: db ' hello from the boot sector', 13, 10, 0
    `);
    expect(run.transcript).toBe('80 hello from the boot sector\r\n');
    expect(run.reason).toBe('exit');
    expect(run.exitStatus).toBe((0x21 << 1) | 1);
  });

  it('finds the BIOS data area: COM1 base, base memory, EBDA segment', () => {
    const run = boot(`
      mov ax, [0x400]
      xchg al, ah
      call puthex
      mov al, ah
      call puthex
      mov al, ' '
      call putc
      mov ax, [0x413]           ; 639 = 0x27F
      xchg al, ah
      call puthex
      mov al, ah
      call puthex
      mov al, ' '
      call putc
      mov ax, [0x40e]
      xchg al, ah
      call puthex
      mov al, ah
      call puthex
      mov al, 0
      jmp exit
    `);
    expect(run.transcript).toBe('03F8 027F 9FC0');
  });

  it('shows what is written to 0xB8000 on the CGA screen, with the 6845 cursor', () => {
    const run = boot(`
      mov ax, 0xb800
      mov es, ax
      xor di, di
      mov si, text
      mov ah, 0x2f
    .copy:
      lodsb
      test al, al
      jz .cursor
      stosw
      jmp .copy
    .cursor:
      mov dx, 0x3d4
      mov al, 0x0e
      out dx, al
      inc dx
      mov al, 0
      out dx, al
      dec dx
      mov al, 0x0f
      out dx, al
      inc dx
      mov al, 85                 ; row 1, column 5
      out dx, al
      mov al, 0
      jmp exit
    text: db 'CGA works', 0
    `);
    const screen = run.machine.screen();
    expect(screen.lines[0].trimEnd()).toBe('CGA works');
    expect(screen.cells[0] >> 8).toBe(0x2f);
    expect(screen.cursor).toEqual({ row: 1, column: 5, visible: true });
  });

  it('takes PIT interrupts at 18.2 Hz through the BIOS vectors (IRQ 0 -> INT 8)', () => {
    const run = boot(`
      mov word [8 * 4], tick
      mov word [8 * 4 + 2], 0
      in al, 0x21
      and al, 0xfe               ; unmask IRQ 0 only
      out 0x21, al
      sti
    .wait:
      hlt
      cmp byte [count], 3
      jb .wait
      cli
      mov al, 0
      jmp exit
    tick:
      push ax
      inc byte [cs:count]
      mov al, 'T'
      call putc
      mov al, 0x20
      out 0x20, al
      pop ax
      iret
    count: db 0
    `);
    expect(run.transcript).toBe('TTT');
    // Three periods of 65536 / 1.193182 MHz = 54.925 ms each.
    expect(run.virtualNs / 1e6).toBeGreaterThan(3 * 54.9);
    expect(run.virtualNs / 1e6).toBeLessThan(3 * 54.9 + 1);
  });

  it('reads keys from the 8042 by IRQ 1 (INT 9) in scan-code set 1', () => {
    const run = boot(
      `
      mov word [9 * 4], key
      mov word [9 * 4 + 2], 0
      in al, 0x21
      and al, 0xfd               ; unmask IRQ 1
      out 0x21, al
      mov si, prompt
      call puts
      sti
    .wait:
      hlt
      cmp byte [count], 4        ; make and break codes of two keys
      jb .wait
      mov al, 0
      jmp exit
    key:
      push ax
      in al, 0x60
      call puthex
      mov al, ' '
      call putc
      inc byte [cs:count]
      mov al, 0x20
      out 0x20, al
      pop ax
      iret
    count: db 0
    prompt: db 'keys? ', 0
    `,
      { script: 'expect keys? \nkey ab' },
    );
    expect(run.transcript).toBe('keys? 1E 9E 30 B0 ');
  });

  it('gates A20 through port 0x92', () => {
    const run = boot(`
      in al, 0x92
      and al, 0xfc               ; close the gate (the BIOS-less start leaves it open)
      out 0x92, al
      mov ax, 0xffff
      mov es, ax
      mov byte [0x0000], 0x11
      mov byte [es:0x0010], 0x22 ; 0x100000 wraps to 0 while A20 is closed
      mov al, [0x0000]
      call puthex
      in al, 0x92
      or al, 2
      out 0x92, al
      mov byte [es:0x0010], 0x33 ; now a different byte
      mov al, [0x0000]
      call puthex
      mov al, [es:0x0010]
      call puthex
      mov al, 0
      jmp exit
    `);
    expect(run.transcript).toBe('222233');
  });

  it('restarts cleanly on a reset through port 0x92, keeping the CMOS', () => {
    const run = boot(`
      mov al, 0x0f               ; CMOS shutdown status byte
      out 0x70, al
      in al, 0x71
      mov bl, al
      call puthex
      cmp bl, 0x5a
      je .second
      mov al, 0x0f
      out 0x70, al
      mov al, 0x5a
      out 0x71, al
      mov al, 1
      out 0x92, al               ; pulse reset
      jmp $
    .second:
      mov al, 0
      jmp exit
    `);
    expect(run.transcript).toBe('005A');
    expect(run.reason).toBe('exit');
    expect(run.machine.resets).toBe(1);
  });

  it('reports a triple fault and stops', () => {
    const run = boot(`
      lidt [empty]
      int 3
    empty: dw 0
           dd 0
    `);
    expect(run.reason).toBe('shutdown');
    expect(run.log.join('\n')).toMatch(/triple fault/);
  });
});

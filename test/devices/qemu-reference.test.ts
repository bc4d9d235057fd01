// The batch-A chips against QEMU as the reference: one script of port reads
// and writes runs as a boot sector on qemu-system-i386 (after SeaBIOS) and
// directly on jos86's chips wired as on a PC; every read must agree, except
// the few listed with the reason jos86 deliberately differs.
//
// Only time-independent behaviour is compared: the PIT is parked in mode 0
// with a long count so IRQ0 stays quiet, and time-dependent bits (UIP, retrace,
// register C) are masked out of the reads.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IoBus } from '../../src/devices/bus.ts';
import { VirtualClock } from '../../src/machine/clock.ts';
import { Pic8259Pair } from '../../src/devices/pic8259.ts';
import { Pit8254 } from '../../src/devices/pit8254.ts';
import { Cmos } from '../../src/devices/cmos.ts';
import { Uart16550 } from '../../src/devices/uart16550.ts';
import { I8042 } from '../../src/devices/i8042.ts';
import { ParallelPort } from '../../src/devices/parallel.ts';
import { VgaText } from '../../src/devices/vga-text.ts';
import { SystemPorts } from '../../src/devices/system-ports.ts';

interface PortOp {
  write: boolean;
  port: number;
  value: number;
  /** Bits of a read that are compared. */
  mask: number;
  what: string;
  /** Why jos86 reads something else here on purpose. */
  differs?: string;
}

function script(): PortOp[] {
  const ops: PortOp[] = [];
  const out = (port: number, value: number) => ops.push({ write: true, port, value, mask: 0, what: '' });
  const inp = (port: number, what: string, mask = 0xff, differs?: string) =>
    ops.push({ write: false, port, value: 0, mask, what, differs });
  const C = 0x3f8;
  const A2 = 'jos86 keeps status bit 3 (A2) as the datasheet says: 0 after a data write; QEMU leaves it set';

  // PIT counter 0: mode 0, count 0xFFFF, so OUT0 stays low for 55 ms.
  [[0x43, 0x30], [0x40, 0xff], [0x40, 0xff]].forEach(([p, v]) => out(p, v));
  // 8259 pair: the usual protected-mode remap, everything masked.
  [[0x20, 0x11], [0x21, 0x20], [0x21, 0x04], [0x21, 0x01], [0xa0, 0x11], [0xa1, 0x28], [0xa1, 0x02], [0xa1, 0x01], [0x21, 0xff], [0xa1, 0xff]].forEach(([p, v]) => out(p, v));
  inp(0x21, 'master IMR');
  inp(0xa1, 'slave IMR');
  out(0x20, 0x0a);
  inp(0x20, 'master IRR');
  inp(0xa0, 'slave IRR');
  out(0x20, 0x0b);
  inp(0x20, 'master ISR');
  out(0x4d0, 0xff);
  inp(0x4d0, 'ELCR1 writable bits');
  out(0x4d1, 0xff);
  inp(0x4d1, 'ELCR2 writable bits');
  out(0x4d0, 0x00);
  out(0x4d1, 0x00);
  // 8042.
  out(0x64, 0xaa);
  inp(0x64, 'status after self-test command');
  inp(0x60, 'self-test result');
  out(0x64, 0xab);
  inp(0x60, 'keyboard interface test');
  out(0x64, 0x60);
  out(0x60, 0x65);
  out(0x64, 0x20);
  inp(0x60, 'command byte');
  out(0x64, 0xd0);
  inp(0x60, 'output port');
  // A byte in the keyboard output buffer raises IRQ1: IRR, poll, ISR, EOI.
  out(0x20, 0x0a);
  out(0x64, 0xd2);
  out(0x60, 0x1e);
  inp(0x64, 'status with OBF', 0xf7);
  inp(0x64, 'status A2 after data write', 0x08, A2);
  inp(0x20, 'IRR with IRQ1 (masked)');
  out(0x20, 0x0c);
  inp(0x20, 'poll with IRQ1 masked');
  out(0x21, 0xfd);
  out(0x20, 0x0c);
  inp(0x20, 'poll with IRQ1 unmasked');
  out(0x20, 0x0b);
  inp(0x20, 'ISR after poll');
  out(0x20, 0x20);
  inp(0x20, 'ISR after EOI');
  inp(0x60, 'keyboard byte');
  out(0x20, 0x0a);
  inp(0x20, 'IRR after reading 0x60');
  out(0x21, 0xff);
  // Keyboard commands.
  out(0x60, 0xf2);
  inp(0x60, 'identify ack');
  inp(0x60, 'identify 1');
  inp(0x60, 'identify 2 (translated)');
  out(0x60, 0xee);
  inp(0x60, 'echo');
  out(0x60, 0xed);
  inp(0x60, 'LED ack');
  out(0x60, 0x02);
  inp(0x60, 'LED value ack');
  out(0x60, 0xf0);
  inp(0x60, 'scan set ack');
  out(0x60, 0x00);
  inp(0x60, 'scan set query ack');
  inp(0x60, 'scan set (translated)');
  out(0x60, 0xf5);
  inp(0x60, 'disable ack');
  out(0x60, 0xf4);
  inp(0x60, 'enable ack');
  out(0x60, 0xff);
  inp(0x60, 'reset ack');
  inp(0x60, 'reset self-test passed');
  out(0x60, 0x12);
  inp(0x60, 'unknown command: resend');
  inp(0x64, 'status, buffer empty', 0xf7);
  // CMOS: register B and D, memory sizes for 128 MiB.
  const noFloppy = 'jos86 has no floppy drive; QEMU always has an (empty) one';
  const cmosBytes: [number, string?][] = [[0x0b], [0x0d], [0x10, noFloppy], [0x14, noFloppy], [0x15], [0x16], [0x17], [0x18], [0x30], [0x31], [0x34], [0x35], [0x5b], [0x5c], [0x5d], [0x5f]];
  for (const [index, differs] of cmosBytes) {
    out(0x70, index);
    inp(0x71, `CMOS 0x${index.toString(16)}`, 0xff, differs);
  }
  out(0x70, 0x0a);
  inp(0x71, 'CMOS register A without UIP', 0x7f);
  out(0x70, 0x40);
  out(0x71, 0x5a);
  out(0x70, 0x40);
  inp(0x71, 'CMOS NVRAM byte');
  inp(0x70, 'CMOS index port');
  // 16550A on COM1.
  [[C + 1, 0], [C + 3, 0x80], [C, 0x03], [C + 1, 0]].forEach(([p, v]) => out(p, v));
  inp(C, 'DLL');
  inp(C + 1, 'DLM');
  out(C + 3, 0x03);
  inp(C + 3, 'LCR');
  inp(C + 5, 'LSR idle');
  inp(C + 2, 'IIR idle');
  out(C + 7, 0xa5);
  inp(C + 7, 'SCR');
  out(C + 1, 0x0f);
  inp(C + 1, 'IER');
  inp(C + 2, 'IIR THR empty');
  inp(C + 2, 'IIR after THRE acknowledged');
  out(C + 1, 0);
  out(C + 2, 0x07);
  inp(C + 2, 'IIR with FIFOs');
  out(C + 2, 0x00);
  inp(C + 2, 'IIR without FIFOs');
  out(C + 4, 0x1a);
  inp(C + 6, 'MSR in loopback (RTS, OUT2)', 0xf0);
  inp(C + 4, 'MCR');
  out(C + 4, 0x1f);
  inp(C + 6, 'MSR in loopback, all lines', 0xf0);
  inp(C + 6, 'MSR deltas in loopback', 0x0f, 'jos86 flags modem-status deltas in loopback, as the PC16550D does; QEMU does not');
  out(C, 0x41);
  inp(C + 5, 'LSR after looped-back byte');
  inp(C, 'looped-back byte');
  inp(C + 5, 'LSR after reading it');
  out(C + 1, 0x01);
  out(C, 0x42);
  inp(C + 2, 'IIR received data');
  inp(C, 'received byte');
  inp(C + 2, 'IIR after reading');
  out(C, 0x43);
  out(C, 0x44);
  inp(C + 5, 'LSR with overrun');
  inp(C + 5, 'LSR after overrun read');
  inp(C, 'byte left after overrun');
  out(C + 2, 0xc1);
  out(C, 0x45);
  out(C, 0x46);
  inp(C + 2, 'IIR with data below the trigger level', 0xff, 'jos86 reports the character timeout at once; QEMU after four character times');
  inp(C, 'first FIFO byte');
  inp(C, 'second FIFO byte');
  [[C + 2, 0], [C + 1, 0], [C + 4, 0]].forEach(([p, v]) => out(p, v));
  // LPT1.
  inp(0x379, 'LPT status');
  inp(0x37a, 'LPT control');
  out(0x378, 0x55);
  inp(0x378, 'LPT data');
  // VGA text registers.
  out(0x3d4, 0x0a);
  inp(0x3d5, 'CRTC cursor start');
  [[0x3d4, 0x0e], [0x3d5, 0x01], [0x3d4, 0x0f], [0x3d5, 0x23], [0x3d4, 0x0e]].forEach(([p, v]) => out(p, v));
  inp(0x3d5, 'CRTC cursor high');
  out(0x3d4, 0x0f);
  inp(0x3d5, 'CRTC cursor low');
  inp(0x3d4, 'CRTC index');
  inp(0x3da, 'input status 1 (resets the flip-flop)', 0x00);
  out(0x3c0, 0x10);
  inp(0x3c1, 'attribute mode control');
  inp(0x3cc, 'misc output');
  out(0x3c4, 0x02);
  inp(0x3c5, 'sequencer map mask');
  out(0x3ce, 0x06);
  inp(0x3cf, 'graphics miscellaneous');
  // System ports.
  out(0x92, 0x02);
  inp(0x92, 'port 0x92');
  inp(0x84, 'port 0x84');
  return ops;
}

/** A boot sector that loads the op table behind it, runs it with interrupts off and prints each read as hex on port 0xE9. */
function bootImage(ops: PortOp[]): Uint8Array {
  const table = ops
    .map((op) => `  db ${op.write ? 0 : 1}\n  dw 0x${op.port.toString(16)}\n  db 0x${op.value.toString(16)}, 0x${op.mask.toString(16)}\n`)
    .join('');
  const sectors = Math.ceil((ops.length * 5 + 1) / 512);
  const source = `bits 16
org 0x7c00
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov ax, 0x0200 + ${sectors}     ; BIOS: read the table sectors to 0x7E00
  mov cx, 0x0002
  xor dh, dh
  mov bx, 0x7e00
  int 0x13
  cli
  mov si, table
next:
  mov bl, [si]
  cmp bl, 2
  je done
  mov dx, [si + 1]
  cmp bl, 0
  jne read
  mov al, [si + 3]
  out dx, al
  jmp advance
read:
  in al, dx
  and al, [si + 4]
  mov ah, al
  shr al, 4
  call hex
  mov al, ah
  and al, 15
  call hex
  mov al, 10
  out 0xe9, al
advance:
  add si, 5
  jmp next
hex:
  add al, '0'
  cmp al, '9'
  jbe .digit
  add al, 7
.digit:
  out 0xe9, al
  ret
done:
  mov al, 0
  out 0xf4, al
  hlt
times 510 - ($ - $$) db 0
dw 0xaa55
table:
${table}  db 2
`;
  const dir = mkdtempSync(join(tmpdir(), 'jos86-devref-'));
  writeFileSync(join(dir, 'ops.asm'), source);
  execFileSync('nasm', ['-f', 'bin', '-o', join(dir, 'ops.bin'), join(dir, 'ops.asm')], { stdio: 'pipe' });
  const image = new Uint8Array(1024 * 1024);
  image.set(readFileSync(join(dir, 'ops.bin')));
  return image;
}

function runOnQemu(image: Uint8Array): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'jos86-devref-'));
  const disk = join(dir, 'disk.img');
  const log = join(dir, 'debugcon.txt');
  writeFileSync(disk, image);
  try {
    execFileSync(
      'qemu-system-i386',
      ['-m', '128', '-display', 'none', '-serial', 'null', '-parallel', 'null', '-debugcon', `file:${log}`,
        '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-drive', `file=${disk},format=raw`],
      { stdio: 'pipe', timeout: 60_000 },
    );
  } catch (error) {
    // isa-debug-exit makes QEMU exit with status (0 << 1) | 1 = 1; anything else is a real failure.
    if ((error as { status?: number }).status !== 1) throw error;
  }
  return readFileSync(log, 'utf8').trim().split('\n');
}

function runOnJos86(ops: PortOp[]): string[] {
  const clock = new VirtualClock();
  const pic = new Pic8259Pair();
  const pit = new Pit8254({ clock, irq: pic.irq(0) });
  const cmos = new Cmos({ clock, irq: pic.irq(8), memoryBytes: 128 * 1024 * 1024 });
  const uart = new Uart16550({ irq: pic.irq(4) });
  const kbc = new I8042({ keyboardIrq: pic.irq(1), mouseIrq: pic.irq(12) });
  const lpt = new ParallelPort();
  const vga = new VgaText();
  const system = new SystemPorts({ clock, setTimer2Gate: (level) => pit.setGate(2, level), timer2Out: () => pit.out(2) });
  // What a BIOS leaves behind before the boot sector runs.
  pic.initializeLikeBios();
  pit.programBiosDefaults();
  const io = new IoBus();
  io.register(0x20, 2, pic.master);
  io.register(0xa0, 2, pic.slave);
  io.register(0x4d0, 2, pic.elcr);
  io.register(0x40, 4, pit);
  io.register(0x70, 2, cmos);
  io.register(0x3f8, 8, uart);
  io.register(0x60, 1, kbc.data);
  io.register(0x64, 1, kbc.command);
  io.register(0x378, 3, lpt);
  io.register(0x3d0, 16, vga.crtc);
  io.register(0x3c0, 16, vga.vga);
  io.register(0x92, 1, system.port92);
  io.register(0x61, 1, system.port61);
  io.register(0x84, 1, system.delay);
  const reads: string[] = [];
  for (const op of ops) {
    if (op.write) io.write(op.port, 1, op.value);
    else reads.push((io.read(op.port, 1) & op.mask).toString(16).toUpperCase().padStart(2, '0'));
    clock.advanceTo(clock.now + 1000); // about one port access per microsecond
  }
  return reads;
}

describe('batch-A chips against QEMU', () => {
  it('read back what qemu-system-i386 reads for the same port script', () => {
    const ops = script();
    const reads = ops.filter((op) => !op.write);
    const qemu = runOnQemu(bootImage(ops));
    const jos86 = runOnJos86(ops);
    expect(qemu).toHaveLength(reads.length);
    const compared = reads.map((op, i) => `${op.what}: ${op.differs ? '(differs on purpose)' : qemu[i]}`);
    const ours = reads.map((op, i) => `${op.what}: ${op.differs ? '(differs on purpose)' : jos86[i]}`);
    expect(ours).toEqual(compared);
  });
});

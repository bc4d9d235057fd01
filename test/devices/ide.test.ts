// IDE channel tests: a driver's view through the command and control ports.
import { describe, expect, it } from 'vitest';
import { IoBus, Wire } from '../../src/devices/bus.ts';
import {
  IdeChannel,
  MemoryBlockDevice,
  CMD_IDENTIFY_DEVICE,
  CMD_READ_SECTORS,
  CMD_WRITE_SECTORS,
  CMD_READ_MULTIPLE,
  CMD_WRITE_MULTIPLE,
  CMD_SET_MULTIPLE_MODE,
  CMD_FLUSH_CACHE,
  CMD_INITIALIZE_DEVICE_PARAMETERS,
  STATUS_DRDY,
  STATUS_DRQ,
  STATUS_ERR,
  STATUS_BSY,
  ERROR_ABRT,
  ERROR_IDNF,
} from '../../src/devices/ide.ts';

const BASE = 0x1f0;
const CONTROL = 0x3f6;

function setup(sectors = 4096, slave?: MemoryBlockDevice) {
  const io = new IoBus();
  let edges = 0;
  const irq = new Wire((level) => {
    if (level) edges++;
  });
  const disk = new MemoryBlockDevice(sectors);
  for (let i = 0; i < disk.bytes.length; i++) disk.bytes[i] = (i * 7 + (i >> 9)) & 0xff;
  let flushes = 0;
  (disk as MemoryBlockDevice & { flush(): void }).flush = () => flushes++;
  const ide = new IdeChannel({ irq, master: disk, slave });
  io.register(BASE, 8, ide.command);
  io.register(CONTROL, 1, ide.control);
  return { io, irq, disk, ide, edges: () => edges, flushes: () => flushes };
}

function issueLba(io: IoBus, lba: number, count: number, command: number, dev = 0) {
  io.write(BASE + 2, 1, count);
  io.write(BASE + 3, 1, lba & 0xff);
  io.write(BASE + 4, 1, (lba >> 8) & 0xff);
  io.write(BASE + 5, 1, (lba >> 16) & 0xff);
  io.write(BASE + 6, 1, 0xe0 | (dev << 4) | ((lba >> 24) & 0x0f));
  io.write(BASE + 7, 1, command);
}

function issueChs(io: IoBus, cylinder: number, head: number, sector: number, count: number, command: number) {
  io.write(BASE + 2, 1, count);
  io.write(BASE + 3, 1, sector);
  io.write(BASE + 4, 1, cylinder & 0xff);
  io.write(BASE + 5, 1, cylinder >> 8);
  io.write(BASE + 6, 1, 0xa0 | head);
  io.write(BASE + 7, 1, command);
}

function readWords(io: IoBus, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(io.read(BASE, 2));
  return out;
}

function ataString(words: number[], first: number, count: number): string {
  let s = '';
  for (let i = first; i < first + count; i++) s += String.fromCharCode(words[i] >> 8, words[i] & 0xff);
  return s.trimEnd();
}

describe('IdeChannel', () => {
  it('answers IDENTIFY DEVICE with model, geometry, capacity and multiple limit', () => {
    const { io, irq } = setup(100_000);
    io.write(BASE + 6, 1, 0xa0);
    io.write(BASE + 7, 1, CMD_IDENTIFY_DEVICE);
    expect(irq.level).toBe(true);
    expect(io.read(BASE + 7, 1) & (STATUS_DRQ | STATUS_DRDY)).toBe(STATUS_DRQ | STATUS_DRDY);
    expect(irq.level).toBe(false); // reading status acknowledged it
    const w = readWords(io, 256);
    expect(w[0]).toBe(0x0040);
    expect(w[1]).toBe(Math.floor(100_000 / (16 * 63)));
    expect(w[3]).toBe(16);
    expect(w[6]).toBe(63);
    expect(ataString(w, 27, 20)).toBe('JOS86 HARDDISK');
    expect(ataString(w, 10, 10).length).toBeGreaterThan(0);
    expect(ataString(w, 23, 4)).toBe('0.1');
    expect(w[47]).toBe(0x8010);
    expect(w[49] & 0x200).toBe(0x200);
    expect(w[60] | (w[61] << 16)).toBe(100_000);
    expect(io.read(BASE + 7, 1) & STATUS_DRQ).toBe(0);
  });

  it('clamps CHS cylinders to 16383 on a big disk', () => {
    const io = new IoBus();
    const huge = { sectors: 17_000_000, read() {}, write() {} };
    const ide = new IdeChannel({ irq: new Wire(), master: huge });
    io.register(BASE, 8, ide.command);
    io.write(BASE + 7, 1, CMD_IDENTIFY_DEVICE);
    const w = readWords(io, 256);
    expect(w[1]).toBe(16383);
    expect(w[60] | (w[61] << 16)).toBe(17_000_000);
  });

  it('reads sectors in LBA mode with an interrupt per sector', () => {
    const { io, disk, irq, edges } = setup();
    issueLba(io, 10, 2, CMD_READ_SECTORS);
    expect(edges()).toBe(1);
    expect(io.read(BASE + 7, 1)).toBe(0x58); // DRDY DSC DRQ
    const first = readWords(io, 256);
    expect(irq.level).toBe(true); // the second block's DRQ
    expect(edges()).toBe(2);
    io.read(BASE + 7, 1);
    const second = readWords(io, 256);
    const bytes = [...first, ...second].flatMap((w) => [w & 0xff, w >> 8]);
    expect(bytes).toEqual(Array.from(disk.bytes.subarray(10 * 512, 12 * 512)));
    expect(io.read(BASE + 7, 1) & (STATUS_DRQ | STATUS_ERR | STATUS_BSY)).toBe(0);
    expect(edges()).toBe(2); // no interrupt after the last block of a read
    // The task file points at the last sector moved, sector count is spent.
    expect(io.read(BASE + 3, 1)).toBe(11);
    expect(io.read(BASE + 2, 1)).toBe(0);
  });

  it('moves data through the 32-bit data port (insl/outsl)', () => {
    const { io, disk } = setup();
    issueLba(io, 3, 1, CMD_WRITE_SECTORS);
    expect(io.read(BASE + 7, 1) & STATUS_DRQ).toBe(STATUS_DRQ);
    for (let i = 0; i < 128; i++) io.write(BASE, 4, (0x01020304 * (i + 1)) >>> 0);
    const view = new DataView(disk.bytes.buffer, 3 * 512, 512);
    for (let i = 0; i < 128; i++) expect(view.getUint32(i * 4, true)).toBe((0x01020304 * (i + 1)) >>> 0);
    issueLba(io, 3, 1, CMD_READ_SECTORS);
    for (let i = 0; i < 128; i++) expect(io.read(BASE, 4)).toBe((0x01020304 * (i + 1)) >>> 0);
  });

  it('writes sectors: first block without interrupt, interrupt per later block and at completion', () => {
    const { io, disk, edges, irq } = setup();
    issueLba(io, 100, 2, CMD_WRITE_SECTORS);
    expect(edges()).toBe(0);
    for (let i = 0; i < 256; i++) io.write(BASE, 2, 0xa000 + i);
    expect(edges()).toBe(1);
    expect(io.read(BASE + 7, 1) & STATUS_DRQ).toBe(STATUS_DRQ);
    for (let i = 0; i < 256; i++) io.write(BASE, 2, 0xb000 + i);
    expect(edges()).toBe(2);
    expect(irq.level).toBe(true);
    expect(io.read(BASE + 7, 1)).toBe(0x50);
    expect(disk.bytes[100 * 512]).toBe(0x00);
    expect(disk.bytes[100 * 512 + 1]).toBe(0xa0);
    expect(disk.bytes[101 * 512 + 2]).toBe(0x01);
    expect(disk.bytes[101 * 512 + 3]).toBe(0xb0);
  });

  it('addresses by CHS with the default 16/63 translation and after INITIALIZE DEVICE PARAMETERS', () => {
    const { io, disk } = setup();
    const firstWordOf = (lba: number) => disk.bytes[lba * 512] | (disk.bytes[lba * 512 + 1] << 8);
    // C=1 H=2 S=5 -> (1*16+2)*63+4 = 1138
    issueChs(io, 1, 2, 5, 1, CMD_READ_SECTORS);
    expect(readWords(io, 1)[0]).toBe(firstWordOf(1138));
    readWords(io, 255);
    // Switch to 4 heads x 17 sectors: C=1 H=2 S=5 -> (1*4+2)*17+4 = 106
    io.write(BASE + 2, 1, 17);
    io.write(BASE + 6, 1, 0xa3);
    io.write(BASE + 7, 1, CMD_INITIALIZE_DEVICE_PARAMETERS);
    expect(io.read(BASE + 7, 1) & STATUS_ERR).toBe(0);
    issueChs(io, 1, 2, 5, 1, CMD_READ_SECTORS);
    expect(readWords(io, 1)[0]).toBe(firstWordOf(106));
    // The task file follows the transfer in CHS terms: still C=1 H=2 S=5 for one sector.
    expect([3, 4, 5, 6].map((r) => io.read(BASE + r, 1))).toEqual([5, 1, 0, 0xa2]);
    readWords(io, 255);
    // A head beyond the translation does not exist.
    issueChs(io, 0, 4, 1, 1, CMD_READ_SECTORS);
    expect(io.read(BASE + 7, 1) & STATUS_ERR).toBe(STATUS_ERR);
    expect(io.read(BASE + 1, 1)).toBe(ERROR_IDNF);
    // Sector 0 does not exist in CHS.
    issueChs(io, 0, 0, 0, 1, CMD_READ_SECTORS);
    expect(io.read(BASE + 7, 1) & STATUS_ERR).toBe(STATUS_ERR);
    expect(io.read(BASE + 1, 1)).toBe(ERROR_IDNF);
  });

  it('transfers READ/WRITE MULTIPLE in blocks of the multiple count', () => {
    const { io, disk, edges } = setup();
    io.write(BASE + 2, 1, 4);
    io.write(BASE + 7, 1, CMD_SET_MULTIPLE_MODE);
    expect(io.read(BASE + 7, 1) & STATUS_ERR).toBe(0);
    io.write(BASE + 7, 1, CMD_IDENTIFY_DEVICE);
    expect(readWords(io, 256)[59]).toBe(0x104);
    const before = edges();
    issueLba(io, 20, 6, CMD_READ_MULTIPLE);
    expect(edges() - before).toBe(1);
    io.read(BASE + 7, 1); // the handler acknowledges
    const all = readWords(io, 4 * 256);
    expect(edges() - before).toBe(2); // only now the second (2-sector) block
    all.push(...readWords(io, 2 * 256));
    expect(edges() - before).toBe(2);
    const bytes = all.flatMap((w) => [w & 0xff, w >> 8]);
    expect(bytes).toEqual(Array.from(disk.bytes.subarray(20 * 512, 26 * 512)));

    issueLba(io, 40, 5, CMD_WRITE_MULTIPLE);
    const start = edges();
    for (let i = 0; i < 4 * 256; i++) io.write(BASE, 2, 0x1111);
    expect(edges() - start).toBe(1);
    io.read(BASE + 7, 1);
    for (let i = 0; i < 256; i++) io.write(BASE, 2, 0x2222);
    expect(edges() - start).toBe(2);
    expect(disk.bytes[43 * 512 + 511]).toBe(0x11);
    expect(disk.bytes[44 * 512]).toBe(0x22);
    expect(disk.bytes[45 * 512]).not.toBe(0x22);
    // Not a power of two: aborted, setting kept.
    io.write(BASE + 2, 1, 3);
    io.write(BASE + 7, 1, CMD_SET_MULTIPLE_MODE);
    expect(io.read(BASE + 7, 1) & STATUS_ERR).toBe(STATUS_ERR);
    expect(io.read(BASE + 1, 1)).toBe(ERROR_ABRT);
    // Multiple mode off: READ MULTIPLE aborts.
    io.write(BASE + 2, 1, 0);
    io.write(BASE + 7, 1, CMD_SET_MULTIPLE_MODE);
    issueLba(io, 0, 1, CMD_READ_MULTIPLE);
    expect(io.read(BASE + 1, 1)).toBe(ERROR_ABRT);
  });

  it('sets ERR with IDNF for a range past the end of the disk, and moves nothing', () => {
    const { io, disk, irq } = setup(64);
    issueLba(io, 63, 1, CMD_READ_SECTORS);
    readWords(io, 256);
    issueLba(io, 63, 2, CMD_READ_SECTORS);
    expect(irq.level).toBe(true);
    const status = io.read(BASE + 7, 1);
    expect(status & (STATUS_ERR | STATUS_DRQ)).toBe(STATUS_ERR);
    expect(io.read(BASE + 1, 1)).toBe(ERROR_IDNF);
    const saved = disk.bytes[64 * 512 - 1];
    issueLba(io, 64, 1, CMD_WRITE_SECTORS);
    expect(io.read(BASE + 7, 1) & (STATUS_ERR | STATUS_DRQ)).toBe(STATUS_ERR);
    expect(io.read(BASE + 1, 1)).toBe(ERROR_IDNF);
    io.write(BASE, 2, 0x5555);
    expect(disk.bytes[64 * 512 - 1]).toBe(saved);
  });

  it('keeps the IRQ line low under nIEN, and raises it when nIEN clears with an interrupt pending', () => {
    const { io, irq } = setup();
    io.write(CONTROL, 1, 0x02);
    io.write(BASE + 7, 1, CMD_FLUSH_CACHE);
    expect(irq.level).toBe(false);
    io.write(CONTROL, 1, 0x00);
    expect(irq.level).toBe(true);
    expect(io.read(CONTROL, 1)).toBe(0x50); // alternate status does not acknowledge
    expect(irq.level).toBe(true);
    io.read(BASE + 7, 1);
    expect(irq.level).toBe(false);
  });

  it('calls flush for FLUSH CACHE and aborts unknown commands', () => {
    const { io, flushes } = setup();
    io.write(BASE + 7, 1, CMD_FLUSH_CACHE);
    expect(flushes()).toBe(1);
    io.write(BASE + 7, 1, 0x24); // READ SECTORS EXT: no LBA48 here
    expect(io.read(BASE + 7, 1) & STATUS_ERR).toBe(STATUS_ERR);
    expect(io.read(BASE + 1, 1)).toBe(ERROR_ABRT);
  });

  it('reads an absent slave as status 0 and ignores commands sent to it', () => {
    const { io, irq } = setup();
    io.write(BASE + 6, 1, 0xb0);
    expect(io.read(BASE + 7, 1)).toBe(0);
    io.write(BASE + 7, 1, CMD_IDENTIFY_DEVICE);
    expect(irq.level).toBe(false);
    expect(io.read(BASE + 7, 1)).toBe(0);
    expect(io.read(CONTROL, 1)).toBe(0);
    io.write(BASE + 6, 1, 0xa0);
    expect(io.read(BASE + 7, 1)).toBe(0x50);
  });

  it('serves a present slave separately from the master', () => {
    const slave = new MemoryBlockDevice(128);
    slave.bytes.fill(0x77);
    const { io } = setup(4096, slave);
    issueLba(io, 5, 1, CMD_READ_SECTORS, 1);
    expect(io.read(BASE, 2)).toBe(0x7777);
    io.write(BASE + 6, 1, 0xb0);
    io.write(BASE + 7, 1, CMD_IDENTIFY_DEVICE);
    const w = readWords(io, 256);
    expect(w[60]).toBe(128);
  });

  it('performs a software reset: BSY while SRST is held, then the ATA signature', () => {
    const { io, irq } = setup();
    io.write(BASE + 7, 1, CMD_FLUSH_CACHE);
    expect(irq.level).toBe(true);
    io.write(CONTROL, 1, 0x04);
    expect(io.read(CONTROL, 1) & STATUS_BSY).toBe(STATUS_BSY);
    expect(irq.level).toBe(false);
    io.write(CONTROL, 1, 0x00);
    expect(io.read(BASE + 7, 1)).toBe(0x50);
    expect(io.read(BASE + 1, 1)).toBe(1);
    expect([2, 3, 4, 5].map((r) => io.read(BASE + r, 1))).toEqual([1, 1, 0, 0]);
  });

  it('saves and restores a transfer in the middle', () => {
    const a = setup();
    issueLba(a.io, 7, 1, CMD_READ_SECTORS);
    readWords(a.io, 100);
    const state = JSON.parse(JSON.stringify(a.ide.saveState()));
    const b = setup();
    b.ide.loadState(state);
    expect(readWords(b.io, 156)).toEqual(readWords(a.io, 156));
    expect(b.io.read(BASE + 7, 1)).toBe(0x50);
  });
});

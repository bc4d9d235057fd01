// Migration images on the host: the format of docs/MIGRATION.md (C structs
// in src/include/migrate.h, read and written in the guest by
// src/userland/lib/migrate.c).
//
// decodeImage applies every check the guest loader applies, in the same
// order, and throws MigImageError with the loader's reason; encodeImage
// writes the bytes the guest writer would; mutateImage derives the corpus
// of damaged and malicious copies that the loader must all refuse.

// ---- the layout (little-endian, packed) ----

export const MIG_MAGIC = 'JOS86MIG';
export const MIG_VERSION = 1;
export const MIG_MACHINE_LEN = 32;
export const MIG_NAME_LEN = 32;
export const MIG_MAX_PAGES = 16384;
export const PGSIZE = 4096;

export const HEADER_SIZE = 128;
export const H_MAGIC = 0;
export const H_VERSION = 8; // u16
export const H_HEADER_SIZE = 10; // u16
export const H_FLAGS = 12;
export const H_MACHINE = 16;
export const H_NAME = 48;
export const H_ENVID = 80;
export const H_PARENT_ID = 84;
export const H_PAGE_COUNT = 88;
export const H_SAVED_AT = 92;
export const H_RUNS = 96;
export const H_RESERVED = 100; // 7 words

export const RECORD_SIZE = 8; // type, size
export const REC_REGS = 1;
export const REC_UPCALL = 2;
export const REC_PAGE = 3;
export const REC_END = 4;

/** struct MigRegs, in order: 16 words. */
export const REG_NAMES = ['edi', 'esi', 'ebp', 'ebx', 'edx', 'ecx', 'eax', 'es', 'ds', 'trapno', 'err', 'eip', 'cs', 'eflags', 'esp', 'ss'] as const;
export type RegName = (typeof REG_NAMES)[number];
export type MigRegs = Record<RegName, number>;
export const REGS_SIZE = REG_NAMES.length * 4;

export const UPCALL_SIZE = 24; // upcall, xstack_top, run_state, ipc_dstva, reserved[2]
export const RUN_RUNNABLE = 0;
export const RUN_IPC_RECV = 1;
export const RUN_STOPPED = 2;

export const PAGE_HEADER_SIZE = 8; // va, perm
export const PAGE_PAYLOAD = PAGE_HEADER_SIZE + PGSIZE;
export const END_SIZE = 8; // records, crc

// The guest's memory map and descriptors (memlayout.h, mmu.h).
export const UTOP = 0xeec00000;
export const UXSTACKTOP = UTOP;
export const USTACKTOP = UTOP - 2 * PGSIZE;
export const UTEXT = 0x00800000;
export const USER_CS = 0x18 | 3;
export const USER_DS = 0x20 | 3;
export const PTE_P = 0x001;
export const PTE_W = 0x002;
export const PTE_U = 0x004;
export const PTE_SYSCALL = 0xe07;
export const PTE_SHARE = 0x400;
export const PTE_COW = 0x800;
export const FL_IF = 0x200;
export const FL_IOPL_MASK = 0x3000;
/** Arithmetic flags, bit 1, IF, DF, AC, ID: what an image's EFLAGS may hold. */
export const FL_USER_ALLOWED = 0x00240ed7;

export const OFF_REGS = HEADER_SIZE + RECORD_SIZE;
export const OFF_UPCALL = OFF_REGS + REGS_SIZE + RECORD_SIZE;
export const OFF_PAGES = OFF_UPCALL + UPCALL_SIZE;
export const PAGE_RECORD = RECORD_SIZE + PAGE_PAYLOAD;

export interface MigUpcall {
  pgfaultUpcall: number;
  xstackTop: number;
  runState: number;
  ipcDstva: number;
}

export interface MigPage {
  va: number;
  perm: number;
  data: Uint8Array; // PGSIZE bytes
}

export interface MigImage {
  machine: string;
  name: string;
  envid: number;
  parentId: number;
  savedAt: number;
  runs: number;
  regs: MigRegs;
  upcall: MigUpcall;
  pages: MigPage[];
}

export class MigImageError extends Error {
  override name = 'MigImageError';
}

// ---- CRC-32 (IEEE 802.3, as zlib) ----

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

/** zlib's crc32(crc, bytes): chain calls by passing the previous result. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

// ---- encoding ----

function putText(view: DataView, offset: number, size: number, text: string): void {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length >= size) throw new MigImageError(`"${text}" does not fit in ${size - 1} bytes`);
  for (let i = 0; i < size; i++) view.setUint8(offset + i, i < bytes.length ? bytes[i] : 0);
}

/** The image's bytes, exactly as the guest's mig_save writes them. */
export function encodeImage(image: MigImage): Uint8Array {
  const count = image.pages.length;
  const total = OFF_PAGES + count * PAGE_RECORD + RECORD_SIZE + END_SIZE;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < MIG_MAGIC.length; i++) bytes[H_MAGIC + i] = MIG_MAGIC.charCodeAt(i);
  view.setUint16(H_VERSION, MIG_VERSION, true);
  view.setUint16(H_HEADER_SIZE, HEADER_SIZE, true);
  putText(view, H_MACHINE, MIG_MACHINE_LEN, image.machine);
  putText(view, H_NAME, MIG_NAME_LEN, image.name);
  view.setUint32(H_ENVID, image.envid, true);
  view.setUint32(H_PARENT_ID, image.parentId, true);
  view.setUint32(H_PAGE_COUNT, count, true);
  view.setUint32(H_SAVED_AT, image.savedAt, true);
  view.setUint32(H_RUNS, image.runs, true);

  let at = HEADER_SIZE;
  const record = (type: number, size: number) => {
    view.setUint32(at, type, true);
    view.setUint32(at + 4, size, true);
    at += RECORD_SIZE;
  };
  const word = (value: number) => {
    view.setUint32(at, value >>> 0, true);
    at += 4;
  };
  record(REC_REGS, REGS_SIZE);
  for (const name of REG_NAMES) word(image.regs[name]);
  record(REC_UPCALL, UPCALL_SIZE);
  word(image.upcall.pgfaultUpcall);
  word(image.upcall.xstackTop);
  word(image.upcall.runState);
  word(image.upcall.ipcDstva);
  word(0);
  word(0);
  for (const page of image.pages) {
    if (page.data.length !== PGSIZE) throw new MigImageError(`page at ${hex(page.va)} holds ${page.data.length} bytes, not ${PGSIZE}`);
    record(REC_PAGE, PAGE_PAYLOAD);
    word(page.va);
    word(page.perm);
    bytes.set(page.data, at);
    at += PGSIZE;
  }
  record(REC_END, END_SIZE);
  word(2 + count);
  word(crc32(bytes.subarray(0, at)));
  return bytes;
}

// ---- decoding, with the loader's checks ----

export function hex(value: number, digits = 8): string {
  return (value >>> 0).toString(16).padStart(digits, '0');
}

function refuse(message: string): never {
  throw new MigImageError(message);
}

/** A fixed text field: printable ASCII, a NUL, then NUL padding; or null. */
function readText(bytes: Uint8Array, offset: number, size: number): string | null {
  let n = 0;
  while (n < size && bytes[offset + n] >= 0x20 && bytes[offset + n] < 0x7f) n++;
  if (n === size) return null;
  for (let i = n; i < size; i++) if (bytes[offset + i] !== 0) return null;
  return String.fromCharCode(...bytes.subarray(offset, offset + n));
}

class Reader {
  at = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number, what: string): void {
    if (this.at + n > this.bytes.length) refuse(`truncated: the image ends at byte ${this.bytes.length}, inside the ${what}`);
  }
  u32(what: string): number {
    this.need(4, what);
    const value = this.view.getUint32(this.at, true);
    this.at += 4;
    return value;
  }
  record(type: number, size: number, what: string): void {
    this.need(RECORD_SIZE, what);
    const start = this.at;
    const actualType = this.u32(what);
    const actualSize = this.u32(what);
    if (actualType !== type) refuse(`record type ${actualType} at byte ${start} where the ${what} (type ${type}) belongs`);
    if (actualSize !== size) refuse(`${what} record of ${actualSize} bytes (must be ${size})`);
  }
  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const slice = this.bytes.slice(this.at, this.at + n);
    this.at += n;
    return slice;
  }
}

function checkHeader(bytes: Uint8Array): Omit<MigImage, 'regs' | 'upcall' | 'pages'> & { pageCount: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < MIG_MAGIC.length; i++) if (bytes[i] !== MIG_MAGIC.charCodeAt(i)) refuse('not a migration image (bad magic)');
  const version = view.getUint16(H_VERSION, true);
  if (version !== MIG_VERSION) refuse(`image version ${version}; this loader reads version ${MIG_VERSION}`);
  const headerSize = view.getUint16(H_HEADER_SIZE, true);
  if (headerSize !== HEADER_SIZE) refuse(`header size ${headerSize} (must be ${HEADER_SIZE})`);
  const flags = view.getUint32(H_FLAGS, true);
  if (flags !== 0) refuse(`unknown header flags ${hex(flags)}`);
  const machine = readText(bytes, H_MACHINE, MIG_MACHINE_LEN);
  if (machine === null) refuse('machine name is not NUL-terminated printable text');
  const name = readText(bytes, H_NAME, MIG_NAME_LEN);
  if (name === null) refuse('environment name is not NUL-terminated printable text');
  const envid = view.getInt32(H_ENVID, true);
  if (envid <= 0) refuse(`environment id ${hex(envid)} is not a valid id`);
  const parentId = view.getInt32(H_PARENT_ID, true);
  if (parentId < 0) refuse(`parent id ${hex(parentId)} is not a valid id`);
  const pageCount = view.getUint32(H_PAGE_COUNT, true);
  if (pageCount === 0 || pageCount > MIG_MAX_PAGES) refuse(`absurd page count ${pageCount} (1 to ${MIG_MAX_PAGES})`);
  for (let i = 0; i < 7; i++) {
    const word = view.getUint32(H_RESERVED + 4 * i, true);
    if (word !== 0) refuse(`reserved header word ${i} is ${hex(word)} (must be 0)`);
  }
  return { machine, name, envid, parentId, pageCount, savedAt: view.getUint32(H_SAVED_AT, true), runs: view.getUint32(H_RUNS, true) };
}

function checkRegs(g: MigRegs): void {
  if (g.cs !== USER_CS) refuse(`code segment ${hex(g.cs, 4)} is not the user code segment ${hex(USER_CS, 4)}`);
  if (g.ss !== USER_DS || g.ds !== USER_DS || g.es !== USER_DS)
    refuse(`data segments ss ${hex(g.ss, 4)} ds ${hex(g.ds, 4)} es ${hex(g.es, 4)} are not the user data segment ${hex(USER_DS, 4)}`);
  if (g.eflags & FL_IOPL_MASK) refuse(`EFLAGS ${hex(g.eflags)} raises IOPL`);
  if (!(g.eflags & FL_IF)) refuse(`EFLAGS ${hex(g.eflags)} disables interrupts`);
  if ((g.eflags & ~FL_USER_ALLOWED) >>> 0)
    refuse(`EFLAGS ${hex(g.eflags)} sets flags a user may not carry (${hex(g.eflags & ~FL_USER_ALLOWED)})`);
  if (g.eip >= UTOP) refuse(`entry point ${hex(g.eip)} is at or above UTOP`);
  if (g.esp > UTOP) refuse(`stack pointer ${hex(g.esp)} is above UTOP`);
}

function checkUpcall(u: MigUpcall, reserved: number[]): void {
  if (u.pgfaultUpcall >= UTOP) refuse(`page-fault upcall ${hex(u.pgfaultUpcall)} is at or above UTOP`);
  if (u.xstackTop !== 0 && u.xstackTop !== UXSTACKTOP) refuse(`exception stack top ${hex(u.xstackTop)} is not UXSTACKTOP or 0`);
  if (u.runState > RUN_STOPPED) refuse(`unknown run state ${u.runState}`);
  if (u.runState === RUN_IPC_RECV) {
    if (u.ipcDstva > UTOP || u.ipcDstva % PGSIZE) refuse(`IPC receive address ${hex(u.ipcDstva)} is not a page below UTOP`);
  } else if (u.ipcDstva !== 0) {
    refuse(`IPC receive address ${hex(u.ipcDstva)} without a receive`);
  }
  if (reserved.some((w) => w !== 0)) refuse('reserved upcall words are not 0');
}

function checkPage(va: number, perm: number, n: number, prevVa: number): void {
  if (va >= UTOP || va % PGSIZE) refuse(`page ${n} at ${hex(va)}: not a page-aligned address below UTOP`);
  if (n > 0 && va <= prevVa) refuse(`page ${n} at ${hex(va)}: ${va === prevVa ? 'the same page twice' : 'pages out of order'}`);
  if ((perm & (PTE_P | PTE_U)) !== (PTE_P | PTE_U)) refuse(`page ${n} at ${hex(va)}: permissions ${hex(perm, 3)} lack PTE_P or PTE_U`);
  if ((perm & ~PTE_SYSCALL) >>> 0)
    refuse(`page ${n} at ${hex(va)}: permissions ${hex(perm, 3)} have disallowed bits ${hex(perm & ~PTE_SYSCALL, 3)}`);
}

function checkWhole(image: MigImage): void {
  const byPage = new Map(image.pages.map((p) => [p.va, p]));
  const pageOf = (va: number) => byPage.get((va - (va % PGSIZE)) >>> 0);
  const { regs, upcall } = image;
  if (!pageOf(regs.eip)) refuse(`no page holds the entry point ${hex(regs.eip)}`);
  if (upcall.pgfaultUpcall && !pageOf(upcall.pgfaultUpcall)) refuse(`no page holds the page-fault upcall ${hex(upcall.pgfaultUpcall)}`);
  const xstack = byPage.get(UXSTACKTOP - PGSIZE);
  if (upcall.xstackTop && (!xstack || !(xstack.perm & PTE_W))) refuse('the exception stack page is missing or not writable');
  if (!upcall.xstackTop && xstack) refuse('an exception stack page the upcall record does not mention');
  if (upcall.runState === RUN_IPC_RECV) {
    const byteAt = (va: number) => pageOf(va)?.data[va % PGSIZE];
    if (regs.eip < 2 || byteAt(regs.eip - 2) !== 0xcd || byteAt(regs.eip - 1) !== 0x30)
      refuse(`blocked in IPC, but no INT $0x30 precedes ${hex(regs.eip)}`);
  }
}

/** Parse and check an image as the guest loader does; throws MigImageError with its reason. */
export function decodeImage(bytes: Uint8Array): MigImage {
  const r = new Reader(bytes);
  r.need(HEADER_SIZE, 'header');
  const header = checkHeader(bytes);
  r.at = HEADER_SIZE;

  r.record(REC_REGS, REGS_SIZE, 'registers');
  r.need(REGS_SIZE, 'registers');
  const regs = {} as MigRegs;
  for (const name of REG_NAMES) regs[name] = r.u32('registers');
  checkRegs(regs);

  r.record(REC_UPCALL, UPCALL_SIZE, 'upcall');
  r.need(UPCALL_SIZE, 'upcall');
  const upcall: MigUpcall = { pgfaultUpcall: r.u32('upcall'), xstackTop: r.u32('upcall'), runState: r.u32('upcall'), ipcDstva: r.u32('upcall') };
  checkUpcall(upcall, [r.u32('upcall'), r.u32('upcall')]);

  const pages: MigPage[] = [];
  for (let n = 0; n < header.pageCount; n++) {
    r.record(REC_PAGE, PAGE_PAYLOAD, 'page');
    r.need(PAGE_HEADER_SIZE, 'page');
    const va = r.u32('page');
    const perm = r.u32('page');
    checkPage(va, perm, n, n ? pages[n - 1].va : 0);
    pages.push({ va, perm, data: r.take(PGSIZE, 'page contents') });
  }

  r.record(REC_END, END_SIZE, 'end');
  const records = r.u32('end');
  const computed = crc32(bytes.subarray(0, r.at));
  const stored = r.u32('end');
  if (records !== 2 + header.pageCount) refuse(`end record counts ${records} records, the image has ${2 + header.pageCount}`);
  if (stored !== computed) refuse(`checksum mismatch: image says ${hex(stored)}, contents give ${hex(computed)}`);

  const { pageCount: _count, ...fields } = header;
  const image: MigImage = { ...fields, regs, upcall, pages };
  checkWhole(image);
  return image;
}

/** Recompute the end record's checksum in place, so a change is judged by the check it aims at. */
export function resealImage(bytes: Uint8Array): Uint8Array {
  if (bytes.length >= 4) new DataView(bytes.buffer, bytes.byteOffset).setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
  return bytes;
}

// ---- a small image that runs: it prints a line and exits ----

/**
 * A hand-assembled program at UTEXT: sys_cputs(message), then
 * sys_env_destroy(0). Its syscall numbers are SYS_cputs = 0 and
 * SYS_env_destroy = 3 (syscall.h).
 */
export function tinyImage(message = 'hello from a host-made image\n'): MigImage {
  const text = new Uint8Array(PGSIZE);
  const msg = new TextEncoder().encode(message);
  const MSG_OFFSET = 0x100;
  const code = [
    0xb8, 0, 0, 0, 0, // mov $SYS_cputs, %eax
    0xba, ...le32(UTEXT + MSG_OFFSET), // mov $msg, %edx
    0xb9, ...le32(msg.length), // mov $len, %ecx
    0xcd, 0x30, // int $0x30
    0xb8, 3, 0, 0, 0, // mov $SYS_env_destroy, %eax
    0x31, 0xd2, // xor %edx, %edx
    0xcd, 0x30, // int $0x30
    0xeb, 0xfe, // jmp .
  ];
  text.set(code, 0);
  text.set(msg, MSG_OFFSET);
  const regs = Object.fromEntries(REG_NAMES.map((n) => [n, 0])) as MigRegs;
  Object.assign(regs, { es: USER_DS, ds: USER_DS, ss: USER_DS, cs: USER_CS, eip: UTEXT, eflags: FL_IF | 2, esp: USTACKTOP });
  return {
    machine: 'host',
    name: 'tiny',
    envid: 0x1000,
    parentId: 0,
    savedAt: 0,
    runs: 0,
    regs,
    upcall: { pgfaultUpcall: 0, xstackTop: 0, runState: RUN_RUNNABLE, ipcDstva: 0 },
    pages: [
      { va: UTEXT, perm: PTE_P | PTE_U, data: text },
      { va: USTACKTOP - PGSIZE, perm: PTE_P | PTE_U | PTE_W, data: new Uint8Array(PGSIZE) },
    ],
  };
}

function le32(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}

// ---- the corpus of damaged images ----

export interface Mutation {
  name: string; // short, usable as a file name
  bytes: Uint8Array;
}

/**
 * Damaged and malicious copies of a valid image: truncations, every header
 * field out of range, register, upcall and page fields the loader must
 * refuse (all resealed, so the checksum does not hide them), and flipped
 * bytes (not resealed). Every one must be refused.
 */
export function mutateImage(valid: Uint8Array): Mutation[] {
  const out: Mutation[] = [];
  const image = decodeImage(valid);
  const len = valid.length;

  const cuts = new Set([0, 1, 7, 8, 64, HEADER_SIZE - 1, HEADER_SIZE, HEADER_SIZE + 4, OFF_REGS + 20, OFF_UPCALL, OFF_PAGES,
    OFF_PAGES + 4, OFF_PAGES + RECORD_SIZE + 4, OFF_PAGES + 100, OFF_PAGES + PAGE_RECORD, len - RECORD_SIZE - END_SIZE, len - 5, len - 4, len - 1]);
  for (const cut of [...cuts].filter((c) => c >= 0 && c < len).sort((a, b) => a - b)) out.push({ name: `truncated-${cut}`, bytes: valid.slice(0, cut) });

  const patched = (name: string, offset: number, value: number, width: 2 | 4 = 4): void => {
    const bytes = valid.slice();
    const view = new DataView(bytes.buffer);
    if (width === 2) view.setUint16(offset, value, true);
    else view.setUint32(offset, value >>> 0, true);
    out.push({ name, bytes: resealImage(bytes) });
  };
  const byte = (name: string, offset: number, value: number): void => {
    const bytes = valid.slice();
    bytes[offset] = value;
    out.push({ name, bytes: resealImage(bytes) });
  };

  // Every header field.
  byte('magic', H_MAGIC, 'X'.charCodeAt(0));
  byte('magic-last', H_MAGIC + 7, 0);
  patched('version-0', H_VERSION, 0, 2);
  patched('version-2', H_VERSION, 2, 2);
  patched('version-ffff', H_VERSION, 0xffff, 2);
  patched('header-size-0', H_HEADER_SIZE, 0, 2);
  patched('header-size-127', H_HEADER_SIZE, 127, 2);
  patched('header-size-4096', H_HEADER_SIZE, 4096, 2);
  patched('flags', H_FLAGS, 1);
  patched('flags-high', H_FLAGS, 0x80000000);
  byte('machine-unterminated', H_MACHINE + MIG_MACHINE_LEN - 1, 0x41);
  byte('machine-control-char', H_MACHINE, 0x07);
  byte('machine-garbage-after-nul', H_MACHINE + MIG_MACHINE_LEN - 2, 0x41);
  byte('name-unterminated', H_NAME + MIG_NAME_LEN - 1, 0x41);
  byte('name-high-bit', H_NAME, 0xe9);
  patched('envid-0', H_ENVID, 0);
  patched('envid-negative', H_ENVID, 0xfffffff0);
  patched('parent-negative', H_PARENT_ID, 0x80000000);
  patched('page-count-0', H_PAGE_COUNT, 0);
  patched('page-count-one-more', H_PAGE_COUNT, image.pages.length + 1);
  patched('page-count-max-plus-1', H_PAGE_COUNT, MIG_MAX_PAGES + 1);
  patched('page-count-huge', H_PAGE_COUNT, 0xffffffff);
  if (image.pages.length > 1) patched('page-count-one-less', H_PAGE_COUNT, image.pages.length - 1);
  for (let i = 0; i < 7; i++) patched(`reserved-${i}`, H_RESERVED + 4 * i, 1);

  // Records out of place or of the wrong size.
  patched('regs-type', HEADER_SIZE, REC_UPCALL);
  patched('regs-size', HEADER_SIZE + 4, REGS_SIZE + 4);
  patched('upcall-type', OFF_UPCALL - RECORD_SIZE, REC_PAGE);
  patched('upcall-size', OFF_UPCALL - 4, 0);
  patched('page-type', OFF_PAGES, REC_END);
  patched('page-type-unknown', OFF_PAGES, 99);
  patched('page-size', OFF_PAGES + 4, PGSIZE);
  patched('end-type', len - RECORD_SIZE - END_SIZE, REC_PAGE);
  patched('end-size', len - END_SIZE - 4, 4);
  patched('end-records', len - END_SIZE, image.pages.length + 3);

  // Registers a user may not have.
  const reg = (name: RegName) => OFF_REGS + 4 * REG_NAMES.indexOf(name);
  patched('cs-kernel', reg('cs'), 0x08);
  patched('cs-user-rpl0', reg('cs'), 0x18);
  patched('cs-user-data', reg('cs'), USER_DS);
  patched('ss-kernel', reg('ss'), 0x10);
  patched('ds-kernel', reg('ds'), 0x10);
  patched('es-tss', reg('es'), 0x28 | 3);
  patched('eflags-iopl3', reg('eflags'), FL_IF | FL_IOPL_MASK | 2);
  patched('eflags-iopl1', reg('eflags'), FL_IF | 0x1000 | 2);
  patched('eflags-if-clear', reg('eflags'), 2);
  patched('eflags-tf', reg('eflags'), FL_IF | 0x100 | 2);
  patched('eflags-nt', reg('eflags'), FL_IF | 0x4000 | 2);
  patched('eflags-vm', reg('eflags'), FL_IF | 0x20000 | 2);
  patched('eip-utop', reg('eip'), UTOP);
  patched('eip-kernel', reg('eip'), 0xf0100000);
  patched('eip-unmapped', reg('eip'), 0x00001000);
  patched('esp-kernel', reg('esp'), 0xf0000000);

  // Upcall and exception stack.
  patched('upcall-utop', OFF_UPCALL, UTOP);
  patched('upcall-kernel', OFF_UPCALL, 0xf0100000);
  patched('upcall-unmapped', OFF_UPCALL, 0x00001000);
  patched('xstack-top-odd', OFF_UPCALL + 4, UXSTACKTOP - 4);
  patched('xstack-flip', OFF_UPCALL + 4, image.upcall.xstackTop ? 0 : UXSTACKTOP);
  patched('run-state-3', OFF_UPCALL + 8, 3);
  patched('ipc-dstva-without-recv', OFF_UPCALL + 12, 0x400000);
  {
    const bytes = valid.slice();
    const view = new DataView(bytes.buffer);
    view.setUint32(OFF_UPCALL + 8, RUN_IPC_RECV, true);
    view.setUint32(OFF_UPCALL + 12, 0x400001, true);
    out.push({ name: 'ipc-dstva-misaligned', bytes: resealImage(bytes) });
  }
  {
    // Claim a receive where eip does not follow an INT $0x30: the first place in page 0 without CD 30 before it.
    const data = image.pages[0].data;
    let k = 2;
    while (data[k - 2] === 0xcd && data[k - 1] === 0x30) k++;
    const bytes = valid.slice();
    const view = new DataView(bytes.buffer);
    view.setUint32(OFF_UPCALL + 8, RUN_IPC_RECV, true);
    view.setUint32(OFF_UPCALL + 12, UTOP, true);
    view.setUint32(reg('eip'), image.pages[0].va + k, true);
    out.push({ name: 'ipc-recv-without-int', bytes: resealImage(bytes) });
  }
  patched('upcall-reserved', OFF_UPCALL + 16, 1);

  // Pages.
  const pageAt = (n: number) => OFF_PAGES + n * PAGE_RECORD + RECORD_SIZE;
  patched('page-va-utop', pageAt(0), UTOP);
  patched('page-va-uvpt', pageAt(0), 0xef400000);
  patched('page-va-kernel', pageAt(0), 0xf0000000);
  patched('page-va-misaligned', pageAt(0), image.pages[0].va + 4);
  patched('page-perm-no-user', pageAt(0) + 4, PTE_P | PTE_W);
  patched('page-perm-not-present', pageAt(0) + 4, PTE_U | PTE_W);
  patched('page-perm-pwt', pageAt(0) + 4, PTE_P | PTE_U | 0x008);
  patched('page-perm-pcd', pageAt(0) + 4, PTE_P | PTE_U | 0x010);
  patched('page-perm-accessed', pageAt(0) + 4, PTE_P | PTE_U | 0x020);
  patched('page-perm-dirty', pageAt(0) + 4, PTE_P | PTE_U | 0x040);
  patched('page-perm-ps', pageAt(0) + 4, PTE_P | PTE_U | 0x080);
  patched('page-perm-global', pageAt(0) + 4, PTE_P | PTE_U | 0x100);
  patched('page-perm-high', pageAt(0) + 4, PTE_P | PTE_U | 0x1000);
  const last = image.pages.length - 1;
  if (last > 0) {
    patched('page-duplicate', pageAt(1), image.pages[0].va);
    patched('page-out-of-order', pageAt(last), image.pages[0].va);
    patched('page-last-va-utop', pageAt(last), UTOP);
  }

  // Flipped bytes, not resealed: the checksum must catch them wherever they are.
  const flips = new Set([H_SAVED_AT, H_RUNS, H_MACHINE + 1, OFF_REGS, OFF_REGS + 4 * REG_NAMES.indexOf('eax'), OFF_PAGES + RECORD_SIZE + PAGE_HEADER_SIZE,
    OFF_PAGES + RECORD_SIZE + PAGE_HEADER_SIZE + 2048, OFF_PAGES + PAGE_RECORD - 1, len - END_SIZE - 1, len - 4, len - 1]);
  for (const at of [...flips].filter((o) => o >= 0 && o < len).sort((a, b) => a - b)) {
    const bytes = valid.slice();
    bytes[at] ^= 0x01;
    out.push({ name: `flip-${at}`, bytes });
  }
  return out;
}

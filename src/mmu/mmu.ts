// Linear-to-physical translation: i386 two-level paging and the software TLB.
//
// Follows Intel SDM Vol. 3A, chapter 4 ("Paging"), 32-bit paging: a page
// directory at CR3 whose entries map 4 MiB pages (CR4.PSE and PDE.PS) or point
// at page tables of 4 KiB pages; accessed and dirty bits are set as the
// hardware sets them; user/supervisor and read/write checks honour CR0.WP;
// global pages (CR4.PGE and the G bit) survive a CR3 reload.
//
// The TLB is four Int32Arrays indexed by linear page number, one per kind of
// access (read or write, supervisor or user). An entry is the physical base
// address of a plain-RAM page that this kind of access may touch without
// further checks, or -1. So a hit in the CPU is one array lookup and one
// typed-array access into `memory.ram`; everything else (misses, MMIO, ROM,
// accesses that straddle two pages) takes the named slow paths here.
//
// Write entries are filled only once the dirty bit is set, so the first write
// to a clean page always walks the tables and sets D, as the hardware does.
// A writable page that holds decoded code (codePages) gets a code entry
// instead, codeEntry(base), which is below -1: the fast paths see a miss,
// and the CPU's slow path writes the bytes and tells the instruction cache
// without walking the tables again.

import { PAGE_SHIFT, PAGE_SIZE, PageKind, type PhysicalMemory } from './physical.ts';

export const CR0_PG = 1 << 31;
export const CR0_WP = 1 << 16;
export const CR4_PSE = 1 << 4;
export const CR4_PGE = 1 << 7;

/** Page-directory and page-table entry bits (SDM Vol. 3A, 4.3). */
export const PTE_P = 1 << 0;
export const PTE_W = 1 << 1;
export const PTE_U = 1 << 2;
export const PTE_A = 1 << 5;
export const PTE_D = 1 << 6;
export const PDE_PS = 1 << 7;
export const PTE_G = 1 << 8;

/** #PF error-code bits (SDM Vol. 3A, 4.7). */
export const PF_PROTECTION = 1 << 0;
export const PF_WRITE = 1 << 1;
export const PF_USER = 1 << 2;

const PAGES = 1 << 20;
const OFFSET_MASK = PAGE_SIZE - 1;

/** The write-TLB entry of a writable RAM page at `base` that holds decoded code. */
export function codeEntry(base: number): number {
  return -2 - base;
}

/** The physical base of the page a code entry (one below -1) stands for. */
export function codeEntryBase(entry: number): number {
  return -2 - entry;
}

/** Thrown by translation; the CPU turns it into #PF with CR2 = linear. */
export class PageFault {
  constructor(
    readonly linear: number,
    readonly errorCode: number,
  ) {}
}

export class Mmu {
  readonly readSupervisor = new Int32Array(PAGES).fill(-1);
  readonly readUser = new Int32Array(PAGES).fill(-1);
  readonly writeSupervisor = new Int32Array(PAGES).fill(-1);
  readonly writeUser = new Int32Array(PAGES).fill(-1);
  /** Bumped on every flush or invalidation, so the CPU can drop anything it derived from the TLB. */
  generation = 0;
  /**
   * Physical pages that hold decoded code (the CPU's instruction cache marks
   * them). Such a page gets only code entries (codeEntry) in the write TLB,
   * so every write to it takes a slow path that tells the cache.
   */
  readonly codePages = new Uint8Array(PAGES);

  private paging = false;
  private writeProtect = false;
  private pse = false;
  private pge = false;
  private cr3 = 0;

  /**
   * Linear pages with live entries, so a flush touches only those. Sized for
   * 64 MiB of pages between flushes, so that growing it (a path the JIT
   * meets late) stays rare.
   */
  private filled = new Int32Array(16384);
  private filledCount = 0;
  private readonly inFilled = new Uint8Array(PAGES);
  private readonly global = new Uint8Array(PAGES);

  /** RAM as 32-bit words, for page-table reads (a little-endian host, as in cpu.ts). */
  private readonly ram32: Int32Array;

  constructor(readonly memory: PhysicalMemory) {
    this.ram32 = new Int32Array(memory.ram.buffer, memory.ram.byteOffset, memory.ram.length >>> 2);
    memory.a20Listeners.push(() => this.flushAll());
  }

  get pagingEnabled(): boolean {
    return this.paging;
  }

  /** Tell the MMU about CR0 and CR4. A change to any paging-related bit flushes the whole TLB. */
  setControl(cr0: number, cr4: number): void {
    const paging = (cr0 & CR0_PG) !== 0;
    const writeProtect = (cr0 & CR0_WP) !== 0;
    const pse = (cr4 & CR4_PSE) !== 0;
    const pge = (cr4 & CR4_PGE) !== 0;
    if (paging === this.paging && writeProtect === this.writeProtect && pse === this.pse && pge === this.pge) return;
    this.paging = paging;
    this.writeProtect = writeProtect;
    this.pse = pse;
    this.pge = pge;
    this.flushAll();
  }

  /** A write to CR3 (even of the same value) flushes every non-global entry. */
  setCr3(cr3: number): void {
    this.cr3 = cr3 >>> 0;
    this.flushNonGlobal();
  }

  flushAll(): void {
    for (let i = 0; i < this.filledCount; i++) this.clearEntry(this.filled[i]);
    this.filledCount = 0;
    this.generation++;
  }

  flushNonGlobal(): void {
    if (!this.pge) {
      // Without CR4.PGE the G bit means nothing: every entry goes.
      this.flushAll();
      return;
    }
    let kept = 0;
    for (let i = 0; i < this.filledCount; i++) {
      const page = this.filled[i];
      if (this.global[page]) this.filled[kept++] = page;
      else this.clearEntry(page);
    }
    this.filledCount = kept;
    this.generation++;
  }

  /** INVLPG: drop the entry for one linear page, global or not. */
  invalidatePage(linear: number): void {
    const page = linear >>> PAGE_SHIFT;
    this.readSupervisor[page] = -1;
    this.readUser[page] = -1;
    this.writeSupervisor[page] = -1;
    this.writeUser[page] = -1;
    this.global[page] = 0;
    this.generation++;
  }

  /** Mark a physical page as holding decoded code: every write entry that reaches it becomes a code entry. */
  protectCode(physicalPage: number): void {
    this.codePages[physicalPage] = 1;
    this.retarget(physicalPage << PAGE_SHIFT, codeEntry(physicalPage << PAGE_SHIFT));
  }

  /** The page's decoded code is gone: writes may take the fast path again. */
  unprotectCode(physicalPage: number): void {
    this.codePages[physicalPage] = 0;
    this.retarget(codeEntry(physicalPage << PAGE_SHIFT), physicalPage << PAGE_SHIFT);
  }

  /** Replace write entries equal to `from` by `to`. */
  private retarget(from: number, to: number): void {
    for (let i = 0; i < this.filledCount; i++) {
      const page = this.filled[i];
      if (this.writeSupervisor[page] === from) this.writeSupervisor[page] = to;
      if (this.writeUser[page] === from) this.writeUser[page] = to;
    }
  }

  /**
   * Translate a linear address for an access, setting accessed and dirty bits
   * and filling the TLB when the page is plain RAM. Throws PageFault.
   *
   * This is the miss path of every access, so it reads the two entries
   * straight from RAM and checks the rights on the combined U and W bits,
   * without allocating; only a fault builds an object.
   */
  translate(linear: number, write: boolean, user: boolean): number {
    linear >>>= 0;
    const page = linear >>> PAGE_SHIFT;
    const memory = this.memory;
    if (!this.paging) {
      const physical = memory.mask(linear);
      this.fill(page, physical - (physical & OFFSET_MASK), true, true, true, true, false);
      return physical;
    }

    const pdeAddress = memory.mask((this.cr3 & ~OFFSET_MASK) | ((linear >>> 22) << 2));
    const pde = this.readEntry(pdeAddress);
    if (!(pde & PTE_P)) throw this.pageFault(linear, write, user, 0);

    // `rights`: the U and W bits that apply (both levels ANDed for a 4 KiB page);
    // `leaf`: the entry that maps the page, and `leafAddress` where it lies.
    let rights: number;
    let leaf: number;
    let leafAddress: number;
    let frame: number;
    const large = (pde & PDE_PS) !== 0 && this.pse;
    if (large) {
      rights = pde;
      leaf = pde;
      leafAddress = pdeAddress;
      frame = (pde & 0xffc00000) | (linear & 0x003ff000);
    } else {
      leafAddress = memory.mask((pde & ~OFFSET_MASK) | ((linear >>> 10) & 0xffc));
      leaf = this.readEntry(leafAddress);
      if (!(leaf & PTE_P)) throw this.pageFault(linear, write, user, 0);
      rights = pde & leaf;
      frame = leaf & ~OFFSET_MASK;
    }
    const userOk = (rights & PTE_U) !== 0;
    const writableBoth = (rights & PTE_W) !== 0;
    if (user ? !userOk || (write && !writableBoth) : write && !writableBoth && this.writeProtect) {
      throw this.pageFault(linear, write, user, PF_PROTECTION);
    }
    // The rights check passed: now the entries count as used (A), and a write dirties the page (D).
    if (!large && !(pde & PTE_A)) memory.write32(pdeAddress, (pde | PTE_A) >>> 0);
    const updated = leaf | PTE_A | (write ? PTE_D : 0);
    if (updated !== leaf) memory.write32(leafAddress, updated >>> 0);

    const base = memory.mask(frame);
    const dirty = (updated & PTE_D) !== 0;
    const supervisorWrite = writableBoth || !this.writeProtect;
    this.fill(page, base, true, userOk, dirty && supervisorWrite, dirty && userOk && writableBoth, (leaf & PTE_G) !== 0);
    return (base | (linear & OFFSET_MASK)) >>> 0;
  }

  /**
   * A page-directory or page-table entry at a physical address (4-byte
   * aligned, A20 applied): straight from RAM when it lies there (pages of
   * kind Ram all lie below ramSize).
   */
  private readEntry(physical: number): number {
    if (this.memory.pageKind[physical >>> PAGE_SHIFT] === PageKind.Ram) return this.ram32[physical >>> 2];
    return this.memory.read32(physical);
  }

  private pageFault(linear: number, write: boolean, user: boolean, protection: number): PageFault {
    return new PageFault(linear, (write ? PF_WRITE : 0) | (user ? PF_USER : 0) | protection);
  }

  read8(linear: number, user: boolean): number {
    return this.memory.read8(this.translate(linear, false, user));
  }

  read16(linear: number, user: boolean): number {
    linear >>>= 0;
    if ((linear & OFFSET_MASK) <= PAGE_SIZE - 2) return this.memory.read16(this.translate(linear, false, user));
    const low = this.translate(linear, false, user);
    const high = this.translate((linear + 1) >>> 0, false, user);
    return this.memory.read8(low) | (this.memory.read8(high) << 8);
  }

  read32(linear: number, user: boolean): number {
    linear >>>= 0;
    if ((linear & OFFSET_MASK) <= PAGE_SIZE - 4) return this.memory.read32(this.translate(linear, false, user));
    const first = this.translate(linear, false, user);
    const secondLinear = ((linear | OFFSET_MASK) + 1) >>> 0;
    const second = this.translate(secondLinear, false, user);
    const onFirstPage = PAGE_SIZE - (linear & OFFSET_MASK);
    let value = 0;
    for (let i = 0; i < 4; i++) {
      const physical = i < onFirstPage ? first + i : second + (i - onFirstPage);
      value |= this.memory.read8(physical) << (8 * i);
    }
    return value >>> 0;
  }

  write8(linear: number, value: number, user: boolean): void {
    this.memory.write8(this.translate(linear, true, user), value);
  }

  write16(linear: number, value: number, user: boolean): void {
    linear >>>= 0;
    if ((linear & OFFSET_MASK) <= PAGE_SIZE - 2) {
      this.memory.write16(this.translate(linear, true, user), value);
      return;
    }
    // Both pages are checked before either byte is written, so a fault on the second leaves memory untouched.
    const low = this.translate(linear, true, user);
    const high = this.translate((linear + 1) >>> 0, true, user);
    this.memory.write8(low, value);
    this.memory.write8(high, value >>> 8);
  }

  write32(linear: number, value: number, user: boolean): void {
    linear >>>= 0;
    if ((linear & OFFSET_MASK) <= PAGE_SIZE - 4) {
      this.memory.write32(this.translate(linear, true, user), value);
      return;
    }
    const first = this.translate(linear, true, user);
    const secondLinear = ((linear | OFFSET_MASK) + 1) >>> 0;
    const second = this.translate(secondLinear, true, user);
    const onFirstPage = PAGE_SIZE - (linear & OFFSET_MASK);
    for (let i = 0; i < 4; i++) {
      const physical = i < onFirstPage ? first + i : second + (i - onFirstPage);
      this.memory.write8(physical, value >>> (8 * i));
    }
  }

  /** Enter a translation, but only for plain RAM: MMIO and ROM pages always take the slow path. */
  private fill(
    page: number,
    base: number,
    supervisorRead: boolean,
    userRead: boolean,
    supervisorWrite: boolean,
    userWrite: boolean,
    isGlobal: boolean,
  ): void {
    const memory = this.memory;
    const physicalPage = base >>> PAGE_SHIFT;
    if (memory.pageKind[physicalPage] !== PageKind.Ram || base + PAGE_SIZE > memory.ramSize) return;
    const writeEntry = this.codePages[physicalPage] !== 0 ? codeEntry(base) : base;
    this.readSupervisor[page] = supervisorRead ? base : -1;
    this.readUser[page] = userRead ? base : -1;
    this.writeSupervisor[page] = supervisorWrite ? writeEntry : -1;
    this.writeUser[page] = userWrite ? writeEntry : -1;
    this.global[page] = isGlobal ? 1 : 0;
    if (!this.inFilled[page]) {
      this.inFilled[page] = 1;
      if (this.filledCount === this.filled.length) {
        const grown = new Int32Array(this.filled.length * 2);
        grown.set(this.filled);
        this.filled = grown;
      }
      this.filled[this.filledCount++] = page;
    }
  }

  private clearEntry(page: number): void {
    this.readSupervisor[page] = -1;
    this.readUser[page] = -1;
    this.writeSupervisor[page] = -1;
    this.writeUser[page] = -1;
    this.global[page] = 0;
    this.inFilled[page] = 0;
  }
}

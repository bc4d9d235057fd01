// Paging and the software TLB, exercised the way a kernel sets them up:
// page directories and tables written into RAM, then accesses checked for
// results, accessed/dirty bits and #PF error codes (SDM Vol. 3A, chapter 4).
import { describe, expect, it } from 'vitest';
import { PhysicalMemory } from '../../src/mmu/physical.ts';
import {
  CR0_PG,
  CR0_WP,
  CR4_PGE,
  CR4_PSE,
  Mmu,
  PageFault,
  PDE_PS,
  PF_PROTECTION,
  PF_USER,
  PF_WRITE,
  PTE_A,
  PTE_D,
  PTE_G,
  PTE_P,
  PTE_U,
  PTE_W,
} from '../../src/mmu/mmu.ts';

const PAGE_DIRECTORY = 0x10000;
const PAGE_TABLE = 0x11000;

function setup(cr4 = 0, cr0Extra = 0) {
  const memory = new PhysicalMemory(16 << 20);
  const mmu = new Mmu(memory);
  memory.write32(PAGE_DIRECTORY + 0 * 4, PAGE_TABLE | PTE_P | PTE_W | PTE_U);
  mmu.setCr3(PAGE_DIRECTORY);
  mmu.setControl(CR0_PG | cr0Extra, cr4);
  const mapPage = (linear: number, physical: number, flags: number) =>
    memory.write32(PAGE_TABLE + ((linear >>> 12) & 0x3ff) * 4, physical | flags);
  return { memory, mmu, mapPage };
}

function faultOf(action: () => unknown): PageFault {
  try {
    action();
  } catch (error) {
    if (error instanceof PageFault) return error;
    throw error;
  }
  throw new Error('expected a page fault');
}

describe('paging off', () => {
  it('maps linear to physical and honours the A20 gate', () => {
    const memory = new PhysicalMemory(4 << 20);
    const mmu = new Mmu(memory);
    memory.write8(0x1234, 0x5a);
    expect(mmu.read8(0x1234, false)).toBe(0x5a);
    expect(mmu.readSupervisor[1]).toBe(0x1000);
    memory.setA20(false);
    expect(mmu.readSupervisor[1]).toBe(-1); // A20 change flushed the TLB
    expect(mmu.read8(0x101234, false)).toBe(0x5a); // bit 20 masked: wraps like an 8086
  });
});

describe('4 KiB pages', () => {
  it('translates, sets A on read and D on write, and fills the TLB only after D', () => {
    const { memory, mmu, mapPage } = setup();
    mapPage(0x5000, 0x200000, PTE_P | PTE_W | PTE_U);
    memory.write32(0x200010, 0xdeadbeef);
    expect(mmu.read32(0x5010, true)).toBe(0xdeadbeef);
    const pte = () => memory.read32(PAGE_TABLE + 5 * 4);
    expect(pte() & PTE_A).toBe(PTE_A);
    expect(pte() & PTE_D).toBe(0);
    expect(memory.read32(PAGE_DIRECTORY) & PTE_A).toBe(PTE_A);
    expect(mmu.readUser[5]).toBe(0x200000);
    expect(mmu.writeUser[5]).toBe(-1); // first write must walk to set D
    mmu.write32(0x5020, 7, true);
    expect(pte() & PTE_D).toBe(PTE_D);
    expect(mmu.writeUser[5]).toBe(0x200000);
    expect(memory.read32(0x200020)).toBe(7);
  });

  it('sets A in the directory entry even when the table entry holds the same value', () => {
    // The page table maps its own page: PDE and PTE both read PAGE_TABLE | P | W | U.
    const { memory, mmu, mapPage } = setup();
    mapPage(0x11000, PAGE_TABLE, PTE_P | PTE_W | PTE_U);
    expect(mmu.read32(0x11000 + 0x11 * 4, false)).toBe(PAGE_TABLE | PTE_P | PTE_W | PTE_U | PTE_A);
    expect(memory.read32(PAGE_DIRECTORY) & PTE_A).toBe(PTE_A);
  });

  it('raises #PF with P=0 for a not-present page and keeps CR2 material', () => {
    const { mmu } = setup();
    const fault = faultOf(() => mmu.read8(0x7123, false));
    expect(fault.linear).toBe(0x7123);
    expect(fault.errorCode).toBe(0);
    expect(faultOf(() => mmu.write8(0x7000, 1, true)).errorCode).toBe(PF_WRITE | PF_USER);
    expect(faultOf(() => mmu.read8(0x800000, true)).errorCode).toBe(PF_USER); // PDE 2 not present
  });

  it('denies user access to supervisor pages and user writes to read-only pages', () => {
    const { mmu, mapPage } = setup();
    mapPage(0x1000, 0x300000, PTE_P | PTE_W);
    mapPage(0x2000, 0x301000, PTE_P | PTE_U);
    expect(faultOf(() => mmu.read8(0x1000, true)).errorCode).toBe(PF_PROTECTION | PF_USER);
    expect(mmu.read8(0x2000, true)).toBe(0);
    expect(faultOf(() => mmu.write8(0x2000, 1, true)).errorCode).toBe(PF_PROTECTION | PF_WRITE | PF_USER);
    mmu.write8(0x2000, 1, false); // supervisor ignores R/W while CR0.WP = 0
  });

  it('CR0.WP makes read-only pages read-only for the supervisor too', () => {
    const { mmu, mapPage } = setup(0, CR0_WP);
    mapPage(0x2000, 0x301000, PTE_P | PTE_U);
    expect(faultOf(() => mmu.write8(0x2000, 1, false)).errorCode).toBe(PF_PROTECTION | PF_WRITE);
  });

  it('a write straddling into a faulting page changes neither page', () => {
    const { memory, mmu, mapPage } = setup();
    mapPage(0x3000, 0x302000, PTE_P | PTE_W | PTE_U);
    memory.write32(0x302ffc, 0x11111111);
    const fault = faultOf(() => mmu.write32(0x3ffe, 0xaabbccdd, true));
    expect(fault.linear).toBe(0x4000);
    expect(memory.read32(0x302ffc)).toBe(0x11111111);
    mapPage(0x4000, 0x400000, PTE_P | PTE_W | PTE_U);
    mmu.write32(0x3ffe, 0xaabbccdd, true);
    expect(mmu.read32(0x3ffe, true)).toBe(0xaabbccdd);
    expect(memory.read16(0x302ffe)).toBe(0xccdd);
    expect(memory.read16(0x400000)).toBe(0xaabb);
  });

  it('a read straddling into a supervisor page faults on the second page', () => {
    const { mmu, mapPage } = setup();
    mapPage(0x3000, 0x302000, PTE_P | PTE_U);
    mapPage(0x4000, 0x303000, PTE_P);
    const fault = faultOf(() => mmu.read16(0x3fff, true));
    expect(fault.linear).toBe(0x4000);
    expect(fault.errorCode).toBe(PF_PROTECTION | PF_USER);
  });
});

describe('4 MiB pages, global pages and flushes', () => {
  it('maps a 4 MiB page with CR4.PSE and sets its D bit', () => {
    const { memory, mmu } = setup(CR4_PSE);
    memory.write32(PAGE_DIRECTORY + 0x3c0 * 4, 0x00400000 | PTE_P | PTE_W | PDE_PS);
    memory.write32(0x00523456, 42);
    expect(mmu.read32(0xf0123456, false)).toBe(42);
    mmu.write8(0xf0000000, 9, false);
    expect(memory.read32(PAGE_DIRECTORY + 0x3c0 * 4) & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
  });

  it('ignores PS without CR4.PSE (the entry points at a page table)', () => {
    const { memory, mmu } = setup(0);
    memory.write32(PAGE_DIRECTORY + 1 * 4, 0x00600000 | PTE_P | PTE_W | PDE_PS);
    memory.write32(0x600000 + 0, 0x00700000 | PTE_P);
    memory.write8(0x700005, 0x77);
    expect(mmu.read8(0x400005, false)).toBe(0x77);
  });

  it('a CR3 reload flushes non-global entries only; INVLPG drops one page', () => {
    const { memory, mmu, mapPage } = setup(CR4_PGE);
    mapPage(0x1000, 0x300000, PTE_P | PTE_W | PTE_G);
    mapPage(0x2000, 0x301000, PTE_P | PTE_W);
    mmu.read8(0x1000, false);
    mmu.read8(0x2000, false);
    mmu.setCr3(PAGE_DIRECTORY);
    expect(mmu.readSupervisor[1]).toBe(0x300000);
    expect(mmu.readSupervisor[2]).toBe(-1);
    mmu.invalidatePage(0x1000);
    expect(mmu.readSupervisor[1]).toBe(-1);
    // Without CR4.PGE the G bit means nothing.
    mmu.setControl(CR0_PG, 0);
    mmu.read8(0x1000, false);
    mmu.setCr3(PAGE_DIRECTORY);
    expect(mmu.readSupervisor[1]).toBe(-1);
    expect(memory.read8(0x300000)).toBe(0);
  });

  it('never enters MMIO or ROM pages in the TLB', () => {
    const { memory, mmu, mapPage } = setup();
    let lastWrite = -1;
    memory.addMmio(0xfee00000, 0x1000, { read: (offset) => offset, write: (_o, _s, v) => (lastWrite = v) });
    mapPage(0x9000, 0xfee00000, PTE_P | PTE_W);
    expect(mmu.read32(0x9020, false)).toBe(0x20);
    mmu.write32(0x90b0, 0, false);
    expect(lastWrite).toBe(0);
    expect(mmu.readSupervisor[9]).toBe(-1);
    expect(mmu.writeSupervisor[9]).toBe(-1);
  });
});

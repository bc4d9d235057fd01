// Local APIC tests: MMIO register accesses, the timer against the virtual clock, and dispatch to the CPU.
import { describe, expect, it } from 'vitest';
import type { InterruptController } from '../../src/devices/bus.ts';
import { VirtualClock } from '../../src/machine/clock.ts';
import {
  LocalApic,
  LAPIC_ID,
  LAPIC_VERSION,
  LAPIC_TPR,
  LAPIC_PPR,
  LAPIC_EOI,
  LAPIC_SVR,
  LAPIC_ISR,
  LAPIC_IRR,
  LAPIC_TMR,
  LAPIC_ESR,
  LAPIC_ICR_LOW,
  LAPIC_ICR_HIGH,
  LAPIC_LVT_TIMER,
  LAPIC_LVT_LINT0,
  LAPIC_LVT_LINT1,
  LAPIC_LVT_ERROR,
  LAPIC_TIMER_INITIAL,
  LAPIC_TIMER_CURRENT,
  LAPIC_TIMER_DIVIDE,
  LAPIC_DFR,
  LAPIC_LDR,
} from '../../src/devices/lapic.ts';

/** A stand-in 8259 pair holding one request at a time. */
class FakePic implements InterruptController {
  pending: number | null = null;
  hasInterrupt(): boolean {
    return this.pending !== null;
  }
  acknowledge(): number {
    const vector = this.pending ?? 0x27;
    this.pending = null;
    return vector;
  }
}

function setup() {
  const clock = new VirtualClock();
  const pic = new FakePic();
  const eois: number[] = [];
  let nmis = 0;
  let inits = 0;
  const apic = new LocalApic({ clock, pic, onEoi: (v) => eois.push(v), onNmi: () => nmis++, onInit: () => inits++ });
  const read = (reg: number) => apic.read(reg, 4);
  const write = (reg: number, value: number) => apic.write(reg, 4, value);
  const enable = () => write(LAPIC_SVR, 0x1ff);
  return { clock, pic, apic, read, write, enable, eois, nmis: () => nmis, inits: () => inits };
}

/** What the CPU does at an instruction boundary with IF=1. */
function take(apic: LocalApic): number | null {
  return apic.hasInterrupt() ? apic.acknowledge() : null;
}

describe('LocalApic', () => {
  it('comes out of reset as QEMU describes it', () => {
    const { read, apic } = setup();
    expect(read(LAPIC_ID)).toBe(0);
    expect(read(LAPIC_VERSION)).toBe(0x00050014);
    expect(read(LAPIC_SVR)).toBe(0xff);
    expect(read(LAPIC_DFR)).toBe(0xffffffff);
    expect(read(LAPIC_LVT_TIMER)).toBe(0x10000);
    expect(read(LAPIC_LVT_LINT0)).toBe(0x700); // ExtINT, unmasked
    expect(read(LAPIC_LVT_LINT1)).toBe(0x10000);
    expect(apic.baseMsr).toBe(0xfee00900);
    expect(apic.read(LAPIC_VERSION, 1)).toBe(0x14);
    expect(apic.read(LAPIC_VERSION + 2, 1)).toBe(0x05);
  });

  it('forwards 8259 interrupts while disabled and through ExtINT LINT0 once enabled', () => {
    const { pic, apic, write, enable } = setup();
    pic.pending = 0x20;
    expect(take(apic)).toBe(0x20);
    enable();
    write(LAPIC_LVT_LINT0, 0x700); // the kernel leaves LINT0 as ExtINT (JOS on the BSP)
    pic.pending = 0x21;
    expect(take(apic)).toBe(0x21);
    write(LAPIC_LVT_LINT0, 0x10000); // xv6 masks it
    pic.pending = 0x22;
    expect(apic.hasInterrupt()).toBe(false);
    // Disabling the APIC by software reconnects the 8259.
    write(LAPIC_SVR, 0xff);
    expect(take(apic)).toBe(0x22);
  });

  it('keeps LVT entries masked while software-disabled', () => {
    const { read, write } = setup();
    write(LAPIC_LVT_TIMER, 0x20);
    expect(read(LAPIC_LVT_TIMER)).toBe(0x10020);
    write(LAPIC_SVR, 0x100);
    write(LAPIC_LVT_TIMER, 0x20);
    expect(read(LAPIC_LVT_TIMER)).toBe(0x20);
  });

  it('fires a one-shot timer once, counting at 1 GHz / divide', () => {
    const { clock, apic, read, write, enable } = setup();
    enable();
    write(LAPIC_TIMER_DIVIDE, 0x3); // divide by 16
    write(LAPIC_LVT_TIMER, 0x30);
    write(LAPIC_TIMER_INITIAL, 1000); // 16 us
    expect(read(LAPIC_TIMER_CURRENT)).toBe(1000);
    clock.advanceTo(16 * 250 + 5);
    expect(read(LAPIC_TIMER_CURRENT)).toBe(750);
    expect(apic.hasInterrupt()).toBe(false);
    expect(clock.nextEventTime()).toBe(16_000);
    clock.advanceTo(15_999);
    expect(apic.hasInterrupt()).toBe(false);
    clock.advanceTo(16_000);
    expect(read(LAPIC_TIMER_CURRENT)).toBe(0);
    expect(take(apic)).toBe(0x30);
    write(LAPIC_EOI, 0);
    clock.advanceTo(1_000_000);
    expect(apic.hasInterrupt()).toBe(false);
    expect(clock.nextEventTime()).toBe(Infinity);
  });

  it('reloads in periodic mode and fires every period', () => {
    const { clock, apic, read, write, enable } = setup();
    enable();
    write(LAPIC_TIMER_DIVIDE, 0xb); // divide by 1
    write(LAPIC_LVT_TIMER, 0x20000 | 0x40);
    clock.advanceTo(500);
    write(LAPIC_TIMER_INITIAL, 10_000);
    let fired = 0;
    for (let t = 500; t <= 500 + 10 * 10_000; t += 1000) {
      clock.advanceTo(t);
      if (take(apic) !== null) {
        fired++;
        write(LAPIC_EOI, 0);
      }
    }
    expect(fired).toBe(10);
    clock.advanceTo(500 + 10 * 10_000 + 2_500);
    expect(read(LAPIC_TIMER_CURRENT)).toBe(7_500);
    // Masking stops delivery but not counting.
    write(LAPIC_LVT_TIMER, 0x20000 | 0x10000 | 0x40);
    clock.advanceTo(500 + 20 * 10_000);
    expect(apic.hasInterrupt()).toBe(false);
    expect(read(LAPIC_TIMER_CURRENT)).toBe(10_000);
    // Initial count 0 stops the timer.
    write(LAPIC_TIMER_INITIAL, 0);
    expect(read(LAPIC_TIMER_CURRENT)).toBe(0);
    expect(clock.nextEventTime()).toBe(Infinity);
  });

  it('carries the count on when the divider changes', () => {
    const { clock, read, write, enable } = setup();
    enable();
    write(LAPIC_TIMER_DIVIDE, 0x0); // by 2
    write(LAPIC_LVT_TIMER, 0x40);
    write(LAPIC_TIMER_INITIAL, 1000);
    clock.advanceTo(200);
    expect(read(LAPIC_TIMER_CURRENT)).toBe(900);
    write(LAPIC_TIMER_DIVIDE, 0x1); // by 4
    clock.advanceTo(600);
    expect(read(LAPIC_TIMER_CURRENT)).toBe(800);
    expect(clock.nextEventTime()).toBe(200 + 900 * 4);
  });

  it('prioritises by vector class against TPR and in-service vectors', () => {
    const { apic, read, write, enable } = setup();
    enable();
    write(LAPIC_LVT_LINT0, 0x10000);
    apic.acceptInterrupt(0x41, false);
    apic.acceptInterrupt(0x62, false);
    expect(read(LAPIC_IRR + 0x20) >>> 0).toBe(1 << 1);
    expect(read(LAPIC_IRR + 0x30) >>> 0).toBe(1 << 2);
    write(LAPIC_TPR, 0x70);
    expect(read(LAPIC_PPR)).toBe(0x70);
    expect(apic.hasInterrupt()).toBe(false);
    write(LAPIC_TPR, 0x50);
    expect(take(apic)).toBe(0x62);
    expect(read(LAPIC_ISR + 0x30)).toBe(1 << 2);
    expect(read(LAPIC_PPR)).toBe(0x60);
    expect(apic.hasInterrupt()).toBe(false); // 0x41 waits behind 0x62
    apic.acceptInterrupt(0x65, false);
    expect(apic.hasInterrupt()).toBe(false); // same class as the one in service
    write(LAPIC_EOI, 0);
    expect(read(LAPIC_ISR + 0x30)).toBe(0);
    expect(take(apic)).toBe(0x65);
    write(LAPIC_EOI, 0);
    expect(apic.hasInterrupt()).toBe(false); // 0x41 is not above TPR 0x50
    write(LAPIC_TPR, 0);
    expect(take(apic)).toBe(0x41);
  });

  it('broadcasts EOI for level-triggered vectors only', () => {
    const { apic, read, write, enable, eois } = setup();
    enable();
    apic.acceptInterrupt(0x31, true);
    expect(read(LAPIC_TMR + 0x10)).toBe(1 << 17);
    expect(take(apic)).toBe(0x31);
    write(LAPIC_EOI, 0);
    apic.acceptInterrupt(0x32, false);
    expect(take(apic)).toBe(0x32);
    write(LAPIC_EOI, 0);
    expect(eois).toEqual([0x31]);
  });

  it('latches errors into the ESR on write and signals the error vector', () => {
    const { apic, read, write, enable } = setup();
    enable();
    write(LAPIC_LVT_ERROR, 0xfe);
    write(LAPIC_ICR_LOW, 0x00044005); // fixed vector 5 to self: illegal
    expect(read(LAPIC_ESR)).toBe(0);
    write(LAPIC_ESR, 0);
    expect(read(LAPIC_ESR)).toBe(0x20);
    write(LAPIC_ESR, 0);
    expect(read(LAPIC_ESR)).toBe(0);
    expect(take(apic)).toBe(0xfe);
  });

  it('sends IPIs to itself and loses those for absent CPUs', () => {
    const { apic, read, write, enable, nmis, inits } = setup();
    enable();
    write(LAPIC_ICR_HIGH, 0);
    write(LAPIC_ICR_LOW, 0x000000f1); // fixed, physical destination 0 = us
    expect(read(LAPIC_ICR_LOW) & 0x1000).toBe(0); // delivered at once
    expect(take(apic)).toBe(0xf1);
    write(LAPIC_EOI, 0);
    write(LAPIC_ICR_LOW, 0x00040000 | 0xf2); // self shorthand
    expect(take(apic)).toBe(0xf2);
    write(LAPIC_EOI, 0);
    write(LAPIC_ICR_LOW, 0x000c00f3); // all excluding self
    expect(apic.hasInterrupt()).toBe(false);
    write(LAPIC_ICR_LOW, 0x00000400); // NMI to self
    expect(nmis()).toBe(1);
    // xv6's AP start-up: INIT, de-assert, STARTUP to APIC ID 1 which does not exist.
    write(LAPIC_ICR_HIGH, 1 << 24);
    write(LAPIC_ICR_LOW, 0x0000c500);
    write(LAPIC_ICR_LOW, 0x00008500);
    write(LAPIC_ICR_LOW, 0x00000608);
    // xv6's lapicinit: broadcast INIT level de-assert, which must do nothing.
    write(LAPIC_ICR_HIGH, 0);
    write(LAPIC_ICR_LOW, 0x00088500);
    expect(inits()).toBe(0);
    expect(apic.hasInterrupt()).toBe(false);
    // INIT assert to ourselves does reach the CPU.
    write(LAPIC_ICR_LOW, 0x00044500);
    expect(inits()).toBe(1);
  });

  it('matches logical destinations in flat and cluster models', () => {
    const { apic, write, enable } = setup();
    enable();
    write(LAPIC_LDR, 0x02000000);
    const message = { vector: 0x50, deliveryMode: 0, destination: 0x01, logicalDestination: true, levelTriggered: false };
    apic.deliver(message);
    expect(apic.hasInterrupt()).toBe(false);
    apic.deliver({ ...message, destination: 0x03 });
    expect(take(apic)).toBe(0x50);
    write(LAPIC_EOI, 0);
    write(LAPIC_DFR, 0x0fffffff);
    write(LAPIC_LDR, 0x12000000); // cluster 1, member bit 1
    apic.deliver({ ...message, destination: 0x22 });
    expect(apic.hasInterrupt()).toBe(false);
    apic.deliver({ ...message, destination: 0x12 });
    expect(take(apic)).toBe(0x50);
    write(LAPIC_EOI, 0);
    apic.deliver({ ...message, destination: 7, logicalDestination: false });
    expect(apic.hasInterrupt()).toBe(false);
  });

  it('asks the 8259 for the vector of an ExtINT message', () => {
    const { apic, pic, write, enable } = setup();
    enable();
    write(LAPIC_LVT_LINT0, 0x10000);
    pic.pending = 0x28;
    expect(apic.hasInterrupt()).toBe(false);
    apic.deliver({ vector: 0, deliveryMode: 7, destination: 0, logicalDestination: false, levelTriggered: false });
    expect(take(apic)).toBe(0x28);
    pic.pending = 0x29;
    expect(apic.hasInterrupt()).toBe(false);
  });

  it('turns off with the global enable bit and comes back in reset state', () => {
    const { apic, read, enable, pic } = setup();
    enable();
    apic.baseMsr = 0xfee00000;
    expect(apic.baseMsr).toBe(0xfee00100);
    pic.pending = 0x20;
    expect(take(apic)).toBe(0x20);
    apic.baseMsr = 0xfee00800;
    expect(read(LAPIC_SVR)).toBe(0xff);
  });

  it('saves and restores a running timer', () => {
    const a = setup();
    a.enable();
    a.write(LAPIC_LVT_TIMER, 0x20000 | 0x40);
    a.write(LAPIC_TIMER_INITIAL, 5000);
    a.clock.advanceTo(1234);
    const b = setup();
    b.clock.advanceTo(1234);
    b.apic.loadState(JSON.parse(JSON.stringify(a.apic.saveState())));
    expect(b.read(LAPIC_TIMER_CURRENT)).toBe(a.read(LAPIC_TIMER_CURRENT));
    b.clock.advanceTo(9999); // divide-by-2 reset default: 5000 counts take 10 us
    expect(b.apic.hasInterrupt()).toBe(false);
    b.clock.advanceTo(10_000);
    expect(take(b.apic)).toBe(0x40);
  });
});

// The Intel 8259A programmable interrupt controller, as the master/slave pair
// of a PC/AT, plus the PIIX edge/level control registers (ELCR).
//
// Follows the Intel 8259A datasheet (order no. 231468): initialization command
// words ICW1-ICW4 ("Initialization Command Words"), operation command words
// OCW1-OCW3, fully nested and rotating priority, specific and non-specific
// EOI, automatic EOI, special mask and special fully nested modes, poll
// command, IRR/ISR status reads, and the IR7 default (spurious) vector when a
// request disappears before the INTA cycle. The ELCR follows the Intel 82371SB
// (PIIX3) datasheet, section 4.1.11 ("ELCR1/ELCR2 edge/level control").
//
// On a PC the master answers at ports 0x20-0x21, the slave at 0xA0-0xA1 and
// the ELCR at 0x4D0-0x4D1. The slave's INT output drives the master's IR2
// (cascade), so IRQ n (n = 8..15) is the slave's IR(n - 8).
//
// Edge-triggered requests are latched in IRR on a 0 -> 1 transition and stay
// latched until acknowledged, as in QEMU, rather than vanishing when the line
// drops; a level-triggered request follows the line.

import { stateFields, type AccessSize, type DeviceState, type InterruptController, type IrqLine, type RegisterBlock } from './bus.ts';

// Register offsets within one chip's two ports.
const PORT_COMMAND = 0; // A0 = 0: ICW1, OCW2, OCW3 writes; IRR/ISR/poll reads
const PORT_DATA = 1; // A0 = 1: ICW2-4, OCW1 (IMR)

// ICW1 bits (A0 = 0, D4 = 1).
const ICW1_INIT = 0x10;
const ICW1_IC4 = 0x01; // ICW4 will follow
const ICW1_SINGLE = 0x02; // no ICW3: the chip is alone
const ICW1_LTIM = 0x08; // level-triggered inputs on every line

// ICW4 bits.
const ICW4_AEOI = 0x02; // automatic end of interrupt
const ICW4_SFNM = 0x10; // special fully nested mode

// OCW3 (A0 = 0, D4 = 0, D3 = 1).
const OCW3_SELECT = 0x08;
const OCW3_READ_REGISTER = 0x02; // RR: act on RIS
const OCW3_READ_ISR = 0x01; // RIS: 1 = ISR, 0 = IRR
const OCW3_POLL = 0x04;
const OCW3_SET_SPECIAL_MASK = 0x40; // ESMM: act on SMM
const OCW3_SPECIAL_MASK = 0x20; // SMM

// OCW2 commands: bits 7-5 are R, SL, EOI.
const OCW2_ROTATE_AEOI_CLEAR = 0x00;
const OCW2_NON_SPECIFIC_EOI = 0x20;
const OCW2_NOP = 0x40;
const OCW2_SPECIFIC_EOI = 0x60;
const OCW2_ROTATE_AEOI_SET = 0x80;
const OCW2_ROTATE_NON_SPECIFIC_EOI = 0xa0;
const OCW2_SET_PRIORITY = 0xc0;
const OCW2_ROTATE_SPECIFIC_EOI = 0xe0;

/** The master input the slave's INT output is wired to on a PC/AT. */
export const CASCADE_IRQ = 2;
/** The input whose vector an INTA cycle returns when no request is left (spurious interrupt). */
const SPURIOUS_LEVEL = 7;

// PIIX ELCR: IRQ 0, 1, 2 (master) and 8, 13 (slave) are hard-wired edge.
const ELCR_MASTER_WRITABLE = 0xf8;
const ELCR_SLAVE_WRITABLE = 0xde;

/** Which step of the ICW1..ICW4 initialization sequence the chip expects next. */
const enum InitStep {
  Ready = 0,
  Icw2 = 2,
  Icw3 = 3,
  Icw4 = 4,
}

/** One 8259A. The pair below wires two of them together. */
export class Pic8259 implements RegisterBlock {
  irr = 0; // interrupt request register
  isr = 0; // in-service register
  imr = 0; // interrupt mask register (OCW1)
  /** Input pins currently high. */
  lines = 0;
  /** Inputs in level-triggered mode (ELCR, or all of them with ICW1.LTIM). */
  elcr = 0;
  vectorBase = 0;
  /** The input with the highest priority is (lowestPriority + 1) & 7. */
  lowestPriority = 7;
  private initStep = InitStep.Ready;
  private icw1 = 0;
  icw3 = 0;
  autoEoi = false;
  rotateOnAutoEoi = false;
  specialFullyNested = false;
  specialMask = false;
  readIsr = false;
  private pollPending = false;

  constructor(
    readonly name: string,
    /** True for the master: special fully nested mode then looks through its cascade input. */
    private readonly isMaster: boolean,
    private readonly onChange: () => void,
    private readonly elcrWritable: number,
  ) {}

  /** Drive input pin `level` (0..7). */
  setInput(input: number, high: boolean): void {
    const bit = 1 << input;
    const wasHigh = (this.lines & bit) !== 0;
    if (high) {
      this.lines |= bit;
      if (this.levelTriggered(bit) || !wasHigh) this.irr |= bit;
    } else {
      this.lines &= ~bit;
      if (this.levelTriggered(bit)) this.irr &= ~bit;
    }
    this.onChange();
  }

  private levelTriggered(bit: number): boolean {
    return (this.levelInputs() & bit) !== 0;
  }

  /**
   * Inputs whose request follows the pin. The master's cascade input is one of
   * them: the slave holds INT high until its INTA, and a slave request that
   * vanishes must not leave a stale IR2 behind.
   */
  private levelInputs(): number {
    return this.elcr | (this.icw1 & ICW1_LTIM ? 0xff : 0) | (this.isMaster ? 1 << CASCADE_IRQ : 0);
  }

  /** Priority rank of input `irq`: 0 is the highest. */
  private rank(irq: number): number {
    return (irq - this.lowestPriority - 1) & 7;
  }

  /** The highest-priority input set in `bits`, or -1. */
  private highest(bits: number): number {
    for (let rank = 0; rank < 8; rank++) {
      const irq = (this.lowestPriority + 1 + rank) & 7;
      if (bits & (1 << irq)) return irq;
    }
    return -1;
  }

  /** The request the chip would deliver now, or -1: an unmasked request of higher priority than anything in service. */
  pendingRequest(): number {
    const request = this.highest(this.irr & ~this.imr);
    if (request < 0) return -1;
    let inService = this.isr;
    // Special mask mode: masked levels in service do not hold off lower ones.
    if (this.specialMask) inService &= ~this.imr;
    // Special fully nested mode: the master lets a higher-priority slave request
    // through while the slave's cascade input is in service.
    if (this.specialFullyNested && this.isMaster) inService &= ~(1 << CASCADE_IRQ);
    const current = this.highest(inService);
    if (current >= 0 && this.rank(current) <= this.rank(request)) return -1;
    return request;
  }

  /** INTA: move `irq` from IRR to ISR (unless auto-EOI) and return its vector. */
  acknowledge(irq: number): number {
    const bit = 1 << irq;
    if (!this.levelTriggered(bit)) this.irr &= ~bit;
    if (this.autoEoi) {
      if (this.rotateOnAutoEoi) this.lowestPriority = irq;
    } else {
      this.isr |= bit;
    }
    this.onChange();
    return (this.vectorBase + irq) & 0xff;
  }

  /** The vector for the spurious IR7 a chip gives when its request vanished before INTA. */
  spuriousVector(): number {
    return (this.vectorBase + SPURIOUS_LEVEL) & 0xff;
  }

  read(offset: number, _size: AccessSize): number {
    if ((offset & 1) === PORT_DATA) return this.imr;
    if (this.pollPending) {
      this.pollPending = false;
      const irq = this.pendingRequest();
      if (irq < 0) return 0;
      this.acknowledge(irq);
      return 0x80 | irq;
    }
    return this.readIsr ? this.isr : this.irr;
  }

  write(offset: number, _size: AccessSize, value: number): void {
    value &= 0xff;
    if ((offset & 1) === PORT_COMMAND) {
      if (value & ICW1_INIT) this.writeIcw1(value);
      else if (value & OCW3_SELECT) this.writeOcw3(value);
      else this.writeOcw2(value);
    } else {
      this.writeData(value);
    }
    this.onChange();
  }

  private writeIcw1(value: number): void {
    // "The Interrupt Mask Register is cleared ... IR7 input is assigned priority
    // 7 ... Special Mask Mode is cleared and Status Read is set to IRR. If IC4 =
    // 0, then all functions selected in ICW4 are set to zero."
    this.icw1 = value;
    this.imr = 0;
    this.isr = 0;
    // The edge sense circuit is reset: an edge input high now must fall and
    // rise again to request. Level inputs keep requesting while high.
    this.irr = this.lines & this.levelInputs();
    this.lowestPriority = 7;
    this.specialMask = false;
    this.readIsr = false;
    this.pollPending = false;
    this.autoEoi = false;
    this.rotateOnAutoEoi = false;
    this.specialFullyNested = false;
    this.initStep = InitStep.Icw2;
  }

  private writeData(value: number): void {
    switch (this.initStep) {
      case InitStep.Icw2:
        this.vectorBase = value & 0xf8;
        if (!(this.icw1 & ICW1_SINGLE)) this.initStep = InitStep.Icw3;
        else this.initStep = this.icw1 & ICW1_IC4 ? InitStep.Icw4 : InitStep.Ready;
        return;
      case InitStep.Icw3:
        this.icw3 = value;
        this.initStep = this.icw1 & ICW1_IC4 ? InitStep.Icw4 : InitStep.Ready;
        return;
      case InitStep.Icw4:
        this.autoEoi = (value & ICW4_AEOI) !== 0;
        this.specialFullyNested = (value & ICW4_SFNM) !== 0;
        this.initStep = InitStep.Ready;
        return;
      default:
        this.imr = value; // OCW1
    }
  }

  private writeOcw2(value: number): void {
    const level = value & 7;
    switch (value & 0xe0) {
      case OCW2_NON_SPECIFIC_EOI:
      case OCW2_ROTATE_NON_SPECIFIC_EOI: {
        const irq = this.highest(this.isr);
        if (irq < 0) return;
        this.isr &= ~(1 << irq);
        if ((value & 0xe0) === OCW2_ROTATE_NON_SPECIFIC_EOI) this.lowestPriority = irq;
        return;
      }
      case OCW2_SPECIFIC_EOI:
        this.isr &= ~(1 << level);
        return;
      case OCW2_ROTATE_SPECIFIC_EOI:
        this.isr &= ~(1 << level);
        this.lowestPriority = level;
        return;
      case OCW2_SET_PRIORITY:
        this.lowestPriority = level;
        return;
      case OCW2_ROTATE_AEOI_SET:
        this.rotateOnAutoEoi = true;
        return;
      case OCW2_ROTATE_AEOI_CLEAR:
        this.rotateOnAutoEoi = false;
        return;
      case OCW2_NOP:
        return;
    }
  }

  private writeOcw3(value: number): void {
    if (value & OCW3_SET_SPECIAL_MASK) this.specialMask = (value & OCW3_SPECIAL_MASK) !== 0;
    if (value & OCW3_READ_REGISTER) this.readIsr = (value & OCW3_READ_ISR) !== 0;
    // The poll command applies to the next read of the command port only.
    this.pollPending = (value & OCW3_POLL) !== 0;
  }

  writeElcr(value: number): void {
    this.elcr = value & this.elcrWritable;
    // A line switched to level mode requests while it is high.
    const level = this.levelInputs();
    this.irr = (this.irr & ~level) | (this.lines & level);
    this.onChange();
  }

  saveFields(): Record<string, unknown> {
    const { irr, isr, imr, lines, elcr, vectorBase, lowestPriority, initStep, icw1, icw3 } = this;
    const { autoEoi, rotateOnAutoEoi, specialFullyNested, specialMask, readIsr, pollPending } = this;
    return { irr, isr, imr, lines, elcr, vectorBase, lowestPriority, initStep, icw1, icw3, autoEoi, rotateOnAutoEoi, specialFullyNested, specialMask, readIsr, pollPending };
  }

  loadFields(fields: Record<string, unknown>): void {
    Object.assign(this, fields);
  }
}

/**
 * The PC/AT pair: master on ports 0x20-0x21, slave on 0xA0-0xA1 cascaded on
 * the master's IR2, ELCR at 0x4D0-0x4D1. It sits on the CPU's INTR pin (or
 * behind a local APIC's ExtINT input).
 */
export class Pic8259Pair implements InterruptController {
  readonly master: Pic8259;
  readonly slave: Pic8259;
  /** ELCR1 (offset 0, IRQ 0-7) and ELCR2 (offset 1, IRQ 8-15). */
  readonly elcr: RegisterBlock;
  /** Told when the INT output to the CPU changes level (a local APIC routes ExtINT through this). */
  onIntrChange?: (level: boolean) => void;
  private intrLevel = false;
  private readonly inputs: IrqLine[] = [];
  private updating = false;

  constructor(options: { onIntrChange?: (level: boolean) => void } = {}) {
    this.onIntrChange = options.onIntrChange;
    const update = () => this.update();
    this.master = new Pic8259('master', true, update, ELCR_MASTER_WRITABLE);
    this.slave = new Pic8259('slave', false, update, ELCR_SLAVE_WRITABLE);
    for (let irq = 0; irq < 16; irq++) {
      const chip = irq < 8 ? this.master : this.slave;
      const input = irq & 7;
      this.inputs.push({ set: (level: boolean) => chip.setInput(input, level) });
    }
    this.elcr = {
      read: (offset) => ((offset & 1) === 0 ? this.master.elcr : this.slave.elcr),
      write: (offset, _size, value) => ((offset & 1) === 0 ? this.master : this.slave).writeElcr(value & 0xff),
    };
  }

  /** The wire for IRQ `n` (0..15). IRQ 2 is the cascade; a device on it is not heard. */
  irq(n: number): IrqLine {
    if (n < 0 || n > 15) throw new Error(`8259 pair has no IRQ ${n}`);
    return this.inputs[n];
  }

  /** Level of the INT output to the CPU. */
  get intr(): boolean {
    return this.intrLevel;
  }

  hasInterrupt(): boolean {
    return this.intrLevel;
  }

  /** INTA cycle. A request that vanished yields the spurious IR7 (or IR15) vector without setting ISR. */
  acknowledge(): number {
    const irq = this.master.pendingRequest();
    if (irq < 0) return this.master.spuriousVector();
    if (irq !== CASCADE_IRQ) return this.master.acknowledge(irq);
    // The master takes IR2 into service; the slave supplies the vector.
    this.master.acknowledge(CASCADE_IRQ);
    const slaveIrq = this.slave.pendingRequest();
    if (slaveIrq < 0) return this.slave.spuriousVector();
    return this.slave.acknowledge(slaveIrq);
  }

  /**
   * Program both chips as a PC BIOS leaves them: edge triggered, cascade on
   * IR2, 8086 mode, vectors `masterBase` (0x08) and `slaveBase` (0x70), with
   * every input masked as `imr` asks.
   */
  initializeLikeBios(masterBase = 0x08, slaveBase = 0x70, masterMask = 0xff, slaveMask = 0xff): void {
    const program = (chip: Pic8259, base: number, icw3: number, mask: number) => {
      chip.write(PORT_COMMAND, 1, ICW1_INIT | ICW1_IC4);
      chip.write(PORT_DATA, 1, base);
      chip.write(PORT_DATA, 1, icw3);
      chip.write(PORT_DATA, 1, 0x01); // ICW4: 8086 mode, normal EOI
      chip.write(PORT_DATA, 1, mask);
    };
    program(this.master, masterBase, 1 << CASCADE_IRQ, masterMask);
    program(this.slave, slaveBase, CASCADE_IRQ, slaveMask);
  }

  private update(): void {
    // Re-entrancy: the slave's output feeds the master's input, which calls back here.
    if (this.updating) return;
    this.updating = true;
    this.master.setInput(CASCADE_IRQ, this.slave.pendingRequest() >= 0);
    this.updating = false;
    const level = this.master.pendingRequest() >= 0;
    if (level !== this.intrLevel) {
      this.intrLevel = level;
      this.onIntrChange?.(level);
    }
  }

  saveState(): DeviceState {
    return { name: 'pic8259-pair', version: 1, fields: { master: this.master.saveFields(), slave: this.slave.saveFields(), intr: this.intrLevel } };
  }

  loadState(state: DeviceState): void {
    const fields = stateFields(state, 'pic8259-pair', 1);
    this.master.loadFields(fields.master as Record<string, unknown>);
    this.slave.loadFields(fields.slave as Record<string, unknown>);
    this.intrLevel = fields.intr as boolean;
  }
}

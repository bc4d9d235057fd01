// The National Semiconductor PC16550D UART (the "16550A" of PC serial ports).
//
// Follows the PC16550D datasheet (National, June 1995): register map with the
// DLAB-selected divisor latches, 16-byte receive FIFO with trigger levels,
// interrupt priorities (Table IV: receiver line status, received data
// available / character timeout, transmitter holding register empty, modem
// status), line and modem status registers and loopback mode. On a PC COM1 is
// at 0x3F8-0x3FF on IRQ 4 and COM2 at 0x2F8-0x2FF on IRQ 3.
//
// Choices that keep the model deterministic and simple, as QEMU's serial.c:
// - Transmission is instant: a byte written to THR goes straight to `output`
//   (or, in loopback, to the receiver), so THR and the transmitter are empty
//   again at once and the THR-empty interrupt follows every write.
// - The THR-empty interrupt is also raised when ETBEI is switched on while
//   THR is empty, and is cleared by reading IIR when IIR reports it, or by a
//   THR write.
// - No baud timing: with the FIFO on, data below the trigger level is reported
//   at once as a character timeout, as if the four character times had passed.
// - The IRQ output is not gated by MCR.OUT2 (QEMU does not gate it either, and
//   kernels such as JOS rely on that).

import { stateFields, type AccessSize, type DeviceState, type IrqLine, type RegisterBlock } from './bus.ts';

// Register offsets.
const REG_DATA = 0; // RBR (read) / THR (write); DLL with DLAB
const REG_IER = 1; // DLM with DLAB
const REG_IIR_FCR = 2; // IIR (read) / FCR (write)
const REG_LCR = 3;
const REG_MCR = 4;
const REG_LSR = 5;
const REG_MSR = 6;
const REG_SCR = 7;

// Interrupt Enable Register.
const IER_RECEIVED_DATA = 0x01; // ERBFI
const IER_THR_EMPTY = 0x02; // ETBEI
const IER_LINE_STATUS = 0x04; // ELSI
const IER_MODEM_STATUS = 0x08; // EDSSI

// Interrupt Identification Register (bits 3-1 identify the source).
const IIR_NO_INTERRUPT = 0x01;
const IIR_LINE_STATUS = 0x06;
const IIR_RECEIVED_DATA = 0x04;
const IIR_CHARACTER_TIMEOUT = 0x0c;
const IIR_THR_EMPTY = 0x02;
const IIR_MODEM_STATUS = 0x00;
const IIR_FIFOS_ENABLED = 0xc0;

// FIFO Control Register.
const FCR_ENABLE = 0x01;
const FCR_CLEAR_RX = 0x02;
const FCR_CLEAR_TX = 0x04;
const FCR_TRIGGER_SHIFT = 6;
const RX_TRIGGER_LEVELS = [1, 4, 8, 14];
const FIFO_SIZE = 16;

// Line Control Register.
const LCR_DLAB = 0x80;

// Modem Control Register.
const MCR_DTR = 0x01;
const MCR_RTS = 0x02;
const MCR_OUT1 = 0x04;
const MCR_OUT2 = 0x08;
const MCR_LOOPBACK = 0x10;
const MCR_WRITABLE = 0x1f;

// Line Status Register.
const LSR_DATA_READY = 0x01;
const LSR_OVERRUN = 0x02;
const LSR_BREAK = 0x10;
const LSR_THR_EMPTY = 0x20;
const LSR_TRANSMITTER_EMPTY = 0x40;
const LSR_FIFO_ERROR = 0x80;
const LSR_ERRORS = 0x1e; // overrun, parity, framing, break: cleared by reading LSR

// Modem Status Register: deltas in the low nibble, line states in the high one.
const MSR_DELTA_CTS = 0x01;
const MSR_DELTA_DSR = 0x02;
const MSR_TRAILING_RI = 0x04;
const MSR_DELTA_DCD = 0x08;
const MSR_CTS = 0x10;
const MSR_DSR = 0x20;
const MSR_RI = 0x40;
const MSR_DCD = 0x80;

export interface Uart16550Options {
  irq?: IrqLine;
  /** Each transmitted byte (not called in loopback mode). */
  output?: (byte: number) => void;
}

export class Uart16550 implements RegisterBlock {
  private readonly irq?: IrqLine;
  private readonly output?: (byte: number) => void;
  private rxFifo: number[] = [];
  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private lsrErrors = 0;
  /** Line states seen by the modem status register (CTS/DSR/RI/DCD) outside loopback. */
  private modemInputs = MSR_CTS | MSR_DSR | MSR_DCD;
  private msrDeltas = 0;
  private scratch = 0;
  private divisor = 12; // 9600 baud, as a BIOS leaves COM ports
  private fifoEnabled = false;
  private rxTrigger = 1;
  /** The THR-empty interrupt condition (see header). */
  private thrInterrupt = false;
  private irqLevel = false;

  constructor(options: Uart16550Options = {}) {
    this.irq = options.irq;
    this.output = options.output;
  }

  /** Room for another received byte: one holding register, or a 16-byte FIFO. */
  canReceive(): boolean {
    return this.rxFifo.length < (this.fifoEnabled ? FIFO_SIZE : 1);
  }

  /**
   * A byte arrives on the receive line. Without room an overrun is flagged:
   * with the FIFO on the new byte is lost; without it the new byte overwrites
   * the unread one in RBR (PC16550D, LSR bit 1).
   */
  receive(byte: number): void {
    if (!this.canReceive()) {
      this.lsrErrors |= LSR_OVERRUN;
      if (!this.fifoEnabled) this.rxFifo[0] = byte & 0xff;
    } else {
      this.rxFifo.push(byte & 0xff);
    }
    this.updateIrq();
  }

  /** A break condition arrives on the receive line (a zero byte with BI set). */
  receiveBreak(): void {
    if (this.canReceive()) this.rxFifo.push(0);
    this.lsrErrors |= LSR_BREAK;
    this.updateIrq();
  }

  /** Set the modem input lines from the host side (outside loopback): CTS, DSR, RI, DCD. */
  setModemInputs(lines: { cts?: boolean; dsr?: boolean; ri?: boolean; dcd?: boolean }): void {
    const value =
      (lines.cts ? MSR_CTS : 0) | (lines.dsr ? MSR_DSR : 0) | (lines.ri ? MSR_RI : 0) | (lines.dcd ? MSR_DCD : 0);
    const before = this.modemLines();
    this.modemInputs = value;
    this.noteModemChange(before);
  }

  read(offset: number, _size: AccessSize): number {
    switch (offset) {
      case REG_DATA:
        if (this.lcr & LCR_DLAB) return this.divisor & 0xff;
        return this.readReceiver();
      case REG_IER:
        if (this.lcr & LCR_DLAB) return (this.divisor >> 8) & 0xff;
        return this.ier;
      case REG_IIR_FCR:
        return this.readIir();
      case REG_LCR:
        return this.lcr;
      case REG_MCR:
        return this.mcr;
      case REG_LSR: {
        const value = this.lsr();
        this.lsrErrors = 0;
        this.updateIrq();
        return value;
      }
      case REG_MSR: {
        const value = this.modemLines() | this.msrDeltas;
        this.msrDeltas = 0;
        this.updateIrq();
        return value;
      }
      case REG_SCR:
        return this.scratch;
      default:
        return 0xff;
    }
  }

  write(offset: number, _size: AccessSize, value: number): void {
    value &= 0xff;
    switch (offset) {
      case REG_DATA:
        if (this.lcr & LCR_DLAB) this.divisor = (this.divisor & 0xff00) | value;
        else this.transmit(value);
        break;
      case REG_IER:
        if (this.lcr & LCR_DLAB) {
          this.divisor = (this.divisor & 0xff) | (value << 8);
          break;
        }
        // Enabling ETBEI while THR is already empty requests the interrupt at once.
        if (value & ~this.ier & IER_THR_EMPTY) this.thrInterrupt = true;
        this.ier = value & 0x0f;
        break;
      case REG_IIR_FCR:
        this.writeFcr(value);
        break;
      case REG_LCR:
        this.lcr = value;
        break;
      case REG_MCR: {
        const before = this.modemLines();
        this.mcr = value & MCR_WRITABLE;
        this.noteModemChange(before);
        break;
      }
      case REG_SCR:
        this.scratch = value;
        break;
    }
    this.updateIrq();
  }

  private transmit(byte: number): void {
    this.thrInterrupt = false;
    if (this.mcr & MCR_LOOPBACK) this.receive(byte);
    else this.output?.(byte);
    // The transmitter takes the byte at once: THR is empty again.
    this.thrInterrupt = true;
  }

  private readReceiver(): number {
    const byte = this.rxFifo.shift() ?? 0;
    this.updateIrq();
    return byte;
  }

  private writeFcr(value: number): void {
    const enable = (value & FCR_ENABLE) !== 0;
    // Changing the FIFO enable bit empties both FIFOs.
    if (enable !== this.fifoEnabled || value & FCR_CLEAR_RX) this.rxFifo = [];
    if (value & FCR_CLEAR_TX) this.thrInterrupt = (this.ier & IER_THR_EMPTY) !== 0;
    this.fifoEnabled = enable;
    this.rxTrigger = RX_TRIGGER_LEVELS[value >> FCR_TRIGGER_SHIFT];
  }

  private lsr(): number {
    let value = this.lsrErrors | LSR_THR_EMPTY | LSR_TRANSMITTER_EMPTY;
    if (this.rxFifo.length) value |= LSR_DATA_READY;
    if (this.fifoEnabled && this.lsrErrors & LSR_ERRORS) value |= LSR_FIFO_ERROR;
    return value;
  }

  /** MSR high nibble: in loopback the outputs come back as inputs (RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD). */
  private modemLines(): number {
    if (!(this.mcr & MCR_LOOPBACK)) return this.modemInputs;
    return (
      (this.mcr & MCR_RTS ? MSR_CTS : 0) |
      (this.mcr & MCR_DTR ? MSR_DSR : 0) |
      (this.mcr & MCR_OUT1 ? MSR_RI : 0) |
      (this.mcr & MCR_OUT2 ? MSR_DCD : 0)
    );
  }

  private noteModemChange(before: number): void {
    const after = this.modemLines();
    // Each line state bit sits four above its delta bit. CTS, DSR and DCD flag
    // any change; RI flags only its trailing (high to low) edge.
    const changed = (before ^ after) >> 4;
    let deltas = changed & (MSR_DELTA_CTS | MSR_DELTA_DSR | MSR_DELTA_DCD);
    if (before & MSR_RI && !(after & MSR_RI)) deltas |= MSR_TRAILING_RI;
    this.msrDeltas |= deltas;
    this.updateIrq();
  }

  /** The highest-priority pending interrupt's IIR code (PC16550D Table IV), or IIR_NO_INTERRUPT. */
  private pendingInterrupt(): number {
    if (this.ier & IER_LINE_STATUS && this.lsrErrors & LSR_ERRORS) return IIR_LINE_STATUS;
    if (this.ier & IER_RECEIVED_DATA && this.rxFifo.length) {
      if (!this.fifoEnabled || this.rxFifo.length >= this.rxTrigger) return IIR_RECEIVED_DATA;
      return IIR_CHARACTER_TIMEOUT;
    }
    if (this.ier & IER_THR_EMPTY && this.thrInterrupt) return IIR_THR_EMPTY;
    if (this.ier & IER_MODEM_STATUS && this.msrDeltas) return IIR_MODEM_STATUS;
    return IIR_NO_INTERRUPT;
  }

  private readIir(): number {
    const pending = this.pendingInterrupt();
    // Reading IIR while it reports THR empty acknowledges that interrupt.
    if (pending === IIR_THR_EMPTY) {
      this.thrInterrupt = false;
      this.updateIrq();
    }
    return pending | (this.fifoEnabled ? IIR_FIFOS_ENABLED : 0);
  }

  private updateIrq(): void {
    const level = this.pendingInterrupt() !== IIR_NO_INTERRUPT;
    if (level === this.irqLevel) return;
    this.irqLevel = level;
    this.irq?.set(level);
  }

  saveState(): DeviceState {
    const { ier, lcr, mcr, lsrErrors, modemInputs, msrDeltas, scratch, divisor, fifoEnabled, rxTrigger, thrInterrupt, irqLevel } = this;
    return {
      name: 'uart16550',
      version: 1,
      fields: { rxFifo: [...this.rxFifo], ier, lcr, mcr, lsrErrors, modemInputs, msrDeltas, scratch, divisor, fifoEnabled, rxTrigger, thrInterrupt, irqLevel },
    };
  }

  loadState(state: DeviceState): void {
    const fields = stateFields(state, 'uart16550', 1);
    Object.assign(this, fields, { rxFifo: [...(fields.rxFifo as number[])] });
  }
}

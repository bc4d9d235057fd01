// The PC board: the one file that knows where every chip sits.
//
// Built like QEMU's `pc` machine (i440FX + PIIX3): RAM from address 0, the
// ISA chips at their AT ports, the IDE primary channel, the PCI host bridge,
// and the APICs at their default addresses. Every ISA interrupt line goes to
// both the 8259 pair and the I/O APIC (ISA IRQ n to I/O APIC pin n, except the
// PIT's IRQ 0 on pin 2, as in the MP table); the local APIC sits on the CPU's
// INTR pin and passes 8259 interrupts through while LINT0 is in ExtINT mode.
//
//   port/address        chip                      IRQ
//   0x020, 0x0A0        8259A master, slave
//   0x4D0               ELCR (edge/level)
//   0x040-0x043         8254 PIT                  0
//   0x060, 0x064        8042 keyboard controller  1
//   0x061               system control port B (PIT gate 2, speaker)
//   0x070-0x071         MC146818 RTC/CMOS         8
//   0x080, 0x084        POST code, I/O delay
//   0x092               system control port A (fast A20, reset)
//   0x0E9               debug console (Bochs/QEMU debugcon)
//   0x0F4               isa-debug-exit
//   0x1F0-0x1F7, 0x3F6  IDE primary channel       14
//   0x2F8-0x2FF         16550A COM2               3
//   0x378-0x37A         parallel port LPT1
//   0x3C0-0x3CF, 0x3D0-0x3DF  VGA and CGA/6845 text-mode registers
//   0x3F8-0x3FF         16550A COM1               4
//   0xCF8-0xCFF         PCI configuration mechanism #1 (and 0xCF9 reset)
//   0xFEC00000          I/O APIC
//   0xFEE00000          local APIC
//
// Time: the CPU runs until the next clock event is due, then the clock
// advances by the instructions executed times nsPerInstruction; a halted CPU
// lets the clock jump to the next event. Nothing here reads the wall clock:
// a host that wants real time paces calls to runFor (src/host/session.ts).

import { IoBus, Wire, type DeviceState, type RegisterBlock } from '../devices/bus.ts';
import { PhysicalMemory } from '../mmu/physical.ts';
import { VirtualClock } from './clock.ts';
import { Cpu } from '../cpu/cpu.ts';
import { seededRandom, type RandomSource } from '../cpu/random.ts';
import { Pic8259Pair } from '../devices/pic8259.ts';
import { Pit8254 } from '../devices/pit8254.ts';
import { Cmos } from '../devices/cmos.ts';
import { Uart16550 } from '../devices/uart16550.ts';
import { ParallelPort } from '../devices/parallel.ts';
import { I8042, textToScancodes } from '../devices/i8042.ts';
import { SystemPorts } from '../devices/system-ports.ts';
import { DebugConsole, DebugExit } from '../devices/debug-ports.ts';
import { VgaText, type TextScreen } from '../devices/vga-text.ts';
import { IdeChannel, type BlockDevice } from '../devices/ide.ts';
import { PciHost } from '../devices/pci.ts';
import { LocalApic, LAPIC_DEFAULT_BASE } from '../devices/lapic.ts';
import { IoApic, IOAPIC_DEFAULT_BASE } from '../devices/ioapic.ts';
import { writeMpTable } from './mptable.ts';
import { loadBootSector, loadMultiboot, mapBiosRom, writeBiosDataArea, type BootEntry } from './firmware.ts';

export const COM1_PORT = 0x3f8;
export const COM2_PORT = 0x2f8;
export const LPT1_PORT = 0x378;
const PIC_MASTER_PORT = 0x20;
const PIC_SLAVE_PORT = 0xa0;
const ELCR_PORT = 0x4d0;
const PIT_PORT = 0x40;
const KBD_DATA_PORT = 0x60;
const KBD_STATUS_PORT = 0x64;
const SYSTEM_B_PORT = 0x61;
const CMOS_PORT = 0x70;
const POST_PORT = 0x80;
const DELAY_PORT = 0x84;
const SYSTEM_A_PORT = 0x92;
const DEBUGCON_PORT = 0xe9;
const DEBUG_EXIT_PORT = 0xf4;
const IDE_COMMAND_PORT = 0x1f0;
const IDE_CONTROL_PORT = 0x3f6;
const VGA_PORTS = 0x3c0;
const CGA_PORTS = 0x3d0;
const PCI_ADDRESS_PORT = 0xcf8;
const PCI_DATA_PORT = 0xcfc;
const LAPIC_MMIO_BYTES = 0x1000;
const IOAPIC_MMIO_BYTES = 0x1000;

export const IRQ_PIT = 0;
export const IRQ_KEYBOARD = 1;
export const IRQ_COM2 = 3;
export const IRQ_COM1 = 4;
export const IRQ_RTC = 8;
export const IRQ_MOUSE = 12;
export const IRQ_IDE_PRIMARY = 14;
const ISA_IRQS = 16;
/** On QEMU's `pc` (and in the MP table) the PIT's IRQ 0 reaches I/O APIC pin 2. */
const ioApicPinOf = (irq: number) => (irq === IRQ_PIT ? 2 : irq);

export interface PcMachineOptions {
  /** RAM in MiB (default 128, as QEMU). */
  memoryMB?: number;
  /** Primary channel master and slave disks. */
  hda?: BlockDevice;
  hdb?: BlockDevice;
  /** A Multiboot kernel (ELF or a.out kludge), booted like `qemu -kernel`. */
  kernel?: Uint8Array;
  /** The Multiboot command line. */
  cmdline?: string;
  /** A BIOS ROM image: mapped below 4 GiB and 1 MiB, started at the reset vector. */
  bios?: Uint8Array;
  /** Bytes the guest sends on COM1, COM2, LPT1 and the 0xE9 debug console. */
  serialOut?: (byte: number) => void;
  serial2Out?: (byte: number) => void;
  parallelOut?: (byte: number) => void;
  debugconOut?: (byte: number) => void;
  /** CPUs described in the MP table (only the boot CPU executes). */
  cpus?: number;
  /** Virtual time per instruction (default 10 ns: 100 MIPS). */
  nsPerInstruction?: number;
  /** The RTC's wall time at power-on, in seconds since the epoch. */
  rtcStartTime?: number;
  /** RDRAND's source of 32-bit values; the host passes its entropy here (src/host/entropy.ts). */
  random?: RandomSource;
  /** Without `random`: the seed of the reproducible generator RDRAND draws from (default 0). */
  seed?: number;
  /** Diagnostics (triple fault, reset, unclaimed ports) go here. */
  log?: (message: string) => void;
}

/** Why a run loop stopped. */
export type StopReason =
  /** isa-debug-exit was written: see exitStatus. */
  | 'exit'
  /** The CPU shut down after a triple fault. */
  | 'shutdown'
  /** The CPU halted with nothing left that could wake it. */
  | 'halted';

export class PcMachine {
  readonly memory: PhysicalMemory;
  readonly io = new IoBus();
  readonly clock = new VirtualClock();
  readonly cpu: Cpu;
  readonly pic: Pic8259Pair;
  readonly pit: Pit8254;
  readonly cmos: Cmos;
  readonly com1: Uart16550;
  readonly com2: Uart16550;
  readonly lpt1: ParallelPort;
  readonly keyboard: I8042;
  readonly systemPorts: SystemPorts;
  readonly debugConsole: DebugConsole;
  readonly debugExit: DebugExit;
  readonly vga: VgaText;
  readonly ide: IdeChannel;
  readonly pci: PciHost;
  readonly lapic: LocalApic;
  readonly ioapic: IoApic;
  readonly nsPerInstruction: number;
  readonly cpus: number;

  /** Extra listeners for COM1 output (scripts, transcripts), after `serialOut`. */
  readonly serialTaps: ((byte: number) => void)[] = [];
  /** Set when the machine stopped for good; the run loops return at once afterwards. */
  stopReason: StopReason | null = null;
  /** isa-debug-exit status ((value << 1) | 1), once written. */
  exitStatus: number | null = null;
  /** Number of resets (port 0x92, 8042, 0xCF9) taken since power-on. */
  resets = 0;

  private readonly options: PcMachineOptions;
  private readonly log: (message: string) => void;
  private readonly isaIrqs: Wire[] = [];
  private resetRequested = false;
  /** Each chip's power-on state, restored on reset. */
  private readonly powerOnState: { chip: { loadState(state: DeviceState): void }; state: DeviceState }[] = [];

  constructor(options: PcMachineOptions = {}) {
    this.options = options;
    this.log = options.log ?? (() => {});
    const memoryMB = options.memoryMB ?? 128;
    if (!Number.isInteger(memoryMB) || memoryMB < 2 || memoryMB > 3072) throw new Error(`memory size must be 2..3072 MiB (got ${memoryMB})`);
    this.cpus = options.cpus ?? 1;
    this.nsPerInstruction = options.nsPerInstruction ?? 10;
    this.memory = new PhysicalMemory(memoryMB * 1024 * 1024);
    const { io, clock, memory } = this;

    for (let irq = 0; irq < ISA_IRQS; irq++) {
      this.isaIrqs.push(new Wire((level) => {
        this.pic.irq(irq).set(level);
        this.ioapic.irq(ioApicPinOf(irq)).set(level);
      }));
    }
    const irq = (n: number) => this.isaIrqs[n];

    this.pic = new Pic8259Pair();
    this.lapic = new LocalApic({
      clock,
      pic: this.pic,
      onEoi: (vector) => this.ioapic.eoi(vector),
      onNmi: () => this.cpu.raiseNmi(),
    });
    this.ioapic = new IoApic({ apic: this.lapic });
    this.cpu = new Cpu({ memory, io, interrupts: this.lapic, random: options.random ?? seededRandom(options.seed ?? 0) });
    this.cpu.onTripleFault = () => this.tripleFault();

    this.pit = new Pit8254({ clock, irq: irq(IRQ_PIT) });
    this.cmos = new Cmos({
      clock,
      irq: irq(IRQ_RTC),
      memoryBytes: memory.ramSize,
      cpus: this.cpus,
      startTime: options.rtcStartTime,
      hardDisks: [options.hda, options.hdb].filter((disk) => disk !== undefined).map(qemuGeometry),
    });
    this.com1 = new Uart16550({
      irq: irq(IRQ_COM1),
      output: (byte) => {
        options.serialOut?.(byte);
        for (const tap of this.serialTaps) tap(byte);
      },
    });
    this.com2 = new Uart16550({ irq: irq(IRQ_COM2), output: options.serial2Out });
    this.lpt1 = new ParallelPort({ output: options.parallelOut });
    this.keyboard = new I8042({
      keyboardIrq: irq(IRQ_KEYBOARD),
      mouseIrq: irq(IRQ_MOUSE),
      onA20: (enabled) => memory.setA20(enabled),
      onReset: () => this.requestReset('8042 keyboard controller'),
    });
    this.systemPorts = new SystemPorts({
      clock,
      onA20: (enabled) => memory.setA20(enabled),
      onReset: () => this.requestReset('port 0x92'),
      setTimer2Gate: (level) => this.pit.setGate(2, level),
      timer2Out: () => this.pit.out(2),
    });
    this.debugConsole = new DebugConsole({ output: options.debugconOut });
    this.debugExit = new DebugExit({ onExit: (status) => this.exit(status) });
    this.vga = new VgaText();
    this.ide = new IdeChannel({ irq: irq(IRQ_IDE_PRIMARY), master: options.hda, slave: options.hdb });
    this.pci = new PciHost({ onReset: () => this.requestReset('port 0xCF9') });

    io.register(PIC_MASTER_PORT, 2, this.pic.master);
    io.register(PIC_SLAVE_PORT, 2, this.pic.slave);
    io.register(ELCR_PORT, 2, this.pic.elcr);
    io.register(PIT_PORT, 4, this.pit);
    io.register(KBD_DATA_PORT, 1, this.keyboard.data);
    io.register(KBD_STATUS_PORT, 1, this.keyboard.command);
    io.register(SYSTEM_B_PORT, 1, this.systemPorts.port61);
    io.register(CMOS_PORT, 2, this.cmos);
    io.register(POST_PORT, 1, this.systemPorts.post);
    io.register(DELAY_PORT, 1, this.systemPorts.delay);
    io.register(SYSTEM_A_PORT, 1, this.systemPorts.port92);
    io.register(DEBUGCON_PORT, 1, this.debugConsole);
    io.register(DEBUG_EXIT_PORT, 4, this.debugExit);
    io.register(IDE_COMMAND_PORT, 8, this.ide.command);
    io.register(IDE_CONTROL_PORT, 1, this.ide.control);
    io.register(COM2_PORT, 8, this.com2);
    io.register(LPT1_PORT, 3, this.lpt1);
    io.register(VGA_PORTS, 16, this.vga.vga);
    io.register(CGA_PORTS, 16, this.vga.crtc);
    io.register(COM1_PORT, 8, this.com1);
    io.register(PCI_ADDRESS_PORT, 4, this.pci.address);
    io.register(PCI_DATA_PORT, 4, this.pci.data);
    memory.addMmio(IOAPIC_DEFAULT_BASE, IOAPIC_MMIO_BYTES, this.ioapic);
    memory.addMmio(LAPIC_DEFAULT_BASE, LAPIC_MMIO_BYTES, this.lapic);

    for (const chip of this.chips()) this.powerOnState.push({ chip, state: chip.saveState() });
    this.boot();
  }

  /** The chips with saved state, in wiring order. */
  // The CMOS keeps its NVRAM and clock across a reset (it is battery-backed);
  // the disks keep their contents.
  private chips(): { saveState(): DeviceState; loadState(state: DeviceState): void }[] {
    return [this.pic, this.pit, this.com1, this.com2, this.lpt1, this.keyboard, this.systemPorts, this.vga, this.ide, this.pci, this.lapic, this.ioapic];
  }

  /** Power-on: CPU reset, then the firmware (boot sector, Multiboot kernel or BIOS ROM). */
  private boot(): void {
    const { options, memory } = this;
    this.cpu.reset();
    let entry: BootEntry;
    if (options.bios) {
      entry = mapBiosRom(memory, options.bios);
    } else {
      writeBiosDataArea(memory, { comPorts: [COM1_PORT, COM2_PORT], lptPorts: [LPT1_PORT], hardDisks: (options.hda ? 1 : 0) + (options.hdb ? 1 : 0) });
      writeMpTable(memory, { cpus: this.cpus, ioApicId: 0, ioApicAddress: IOAPIC_DEFAULT_BASE, lapicAddress: LAPIC_DEFAULT_BASE });
      this.pit.programBiosDefaults(); // first: the PIC initialisation below resets its edge detectors
      this.pic.initializeLikeBios();
      // A BIOS leaves A20 open; open it through port 0x92 so the port reads back what the bus does.
      this.systemPorts.port92.write(0, 1, 0x02);
      if (options.kernel) entry = loadMultiboot(memory, options.kernel, { memoryBytes: memory.ramSize, cmdline: options.cmdline });
      else if (options.hda) entry = loadBootSector(memory, options.hda);
      else throw new Error('nothing to boot: give a disk, a Multiboot kernel or a BIOS ROM');
    }
    this.enter(entry);
  }

  private enter(entry: BootEntry): void {
    switch (entry.mode) {
      case 'real':
        this.cpu.setRealModeEntry(entry.cs, entry.ip, entry.ss, entry.sp);
        this.cpu.reg32[EDX] = entry.dl;
        break;
      case 'protected':
        this.cpu.setFlatProtectedModeEntry(entry.eip);
        this.cpu.reg32[EAX] = entry.eax;
        this.cpu.reg32[EBX] = entry.ebx;
        break;
      case 'reset-vector':
        break; // cpu.reset() already left CS:EIP at F000:FFF0
    }
  }

  // ---- Host-facing helpers ------------------------------------------------------

  /** Offer a byte to COM1's receiver; false while it is full (try again later). */
  typeSerial(byte: number): boolean {
    if (!this.com1.canReceive()) return false;
    this.com1.receive(byte);
    return true;
  }

  /** Type one character on the keyboard once the previous one has been taken. */
  typeKey(char: string): boolean {
    if (this.keyboard.keyboardQueueLength > 0) return false;
    this.keyboard.pushScancodes(textToScancodes(char));
    return true;
  }

  /** The 80x25 text screen: cells (character, attribute) from the display start, and the cursor cell. */
  screen(): TextScreen {
    return this.vga.screen(this.memory.ram);
  }

  // ---- Reset and stop -------------------------------------------------------------

  private requestReset(source: string): void {
    this.log(`reset requested by ${source}`);
    this.resetRequested = true;
    this.cpu.requestStop?.();
  }

  /** Reset the whole board: chips to their power-on state, RAM cleared, firmware run again. */
  reset(): void {
    this.resetRequested = false;
    this.resets++;
    for (const { chip, state } of this.powerOnState) chip.loadState(state);
    this.memory.ram.fill(0);
    this.memory.setA20(false);
    this.stopReason = null;
    this.boot();
  }

  private exit(status: number): void {
    this.exitStatus = status;
    this.stop('exit');
  }

  private tripleFault(): void {
    this.log(`triple fault: the CPU shut down at ${this.where()}`);
    this.stop('shutdown');
  }

  /** CS:EIP for messages. */
  private where(): string {
    return `${hex(this.cpu.cs, 4)}:${hex(this.cpu.eip, 8)}`;
  }

  private stop(reason: StopReason): void {
    if (this.stopReason === null) this.stopReason = reason;
    this.cpu.requestStop?.();
  }

  // ---- Run loop -----------------------------------------------------------------

  /**
   * Run the CPU until the next clock event is due (or `limit`, an absolute
   * virtual time), then advance the clock. Returns the instructions executed.
   */
  step(limit = Infinity): number {
    if (this.stopReason) return 0;
    const { clock, cpu, nsPerInstruction } = this;
    clock.advanceTo(clock.now); // deliver anything already due
    const target = Math.min(clock.nextEventTime(), limit);
    const budget = target === Infinity ? MAX_SLICE_INSTRUCTIONS : Math.max(1, Math.min(MAX_SLICE_INSTRUCTIONS, Math.ceil((target - clock.now) / nsPerInstruction)));
    const executed = cpu.run(budget);
    if (executed > 0) clock.advanceTo(clock.now + executed * nsPerInstruction);
    if (this.resetRequested) {
      this.reset();
    } else if (executed === 0 && cpu.halted && !this.stopReason) {
      if ((cpu.eflags & EFLAGS_IF) === 0) {
        // HLT with interrupts off: only NMI or reset could wake it, and nothing sends one.
        this.log(`the CPU halted with interrupts disabled at ${this.where()}`);
        this.stop('halted');
      } else if (target !== Infinity) {
        // HLT: nothing happens until the next event, so time jumps there.
        clock.advanceTo(target);
      }
      // Otherwise the machine idles until the host types something.
    }
    return executed;
  }

  /** Run for `ns` of virtual time (or until the machine stops). */
  runFor(ns: number): void {
    const end = this.clock.now + ns;
    while (!this.stopReason && this.clock.now < end) this.step(end);
  }

  /**
   * Run until `predicate()` holds, checking after every step, for at most
   * `budgetNs` of virtual time. Returns whether the predicate became true.
   */
  runUntil(predicate: () => boolean, budgetNs: number): boolean {
    const end = this.clock.now + budgetNs;
    while (!predicate()) {
      if (this.stopReason || this.clock.now >= end) return predicate();
      this.step(end);
    }
    return true;
  }
}

/** General registers by their encoding number (SDM vol. 2A, table 2-1), as cpu.reg32 holds them. */
const EAX = 0;
const EDX = 2;
const EBX = 3;

/** Upper bound on one cpu.run() call, so hosts regain control even with no event pending. */
const MAX_SLICE_INSTRUCTIONS = 1_000_000;
const EFLAGS_IF = 1 << 9;

/** QEMU's default CHS translation: 16 heads, 63 sectors per track. */
function qemuGeometry(disk: BlockDevice): { cylinders: number; heads: number; sectors: number } {
  return { cylinders: Math.max(1, Math.min(16383, Math.floor(disk.sectors / (16 * 63)))), heads: 16, sectors: 63 };
}

function hex(value: number, digits: number): string {
  return (value >>> 0).toString(16).toUpperCase().padStart(digits, '0');
}

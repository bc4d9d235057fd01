// ATA/IDE disk controller, one channel (master and slave), PIO only.
//
// Follows ATA/ATAPI-6 (T13/1410D): the register descriptions (command and
// control blocks), the PIO data-in and data-out protocols (one interrupt per
// DRQ block; a write's first block is sent without waiting for an interrupt,
// and the device interrupts again on completion), and the IDENTIFY DEVICE
// data layout. CHS geometry follows QEMU's default translation (16 heads, 63
// sectors per track, cylinders clamped to 2..16383).
//
// A PC puts the primary channel's command block at 0x1F0-0x1F7 and its
// control block at 0x3F6 on IRQ 14 (the secondary channel: 0x170-0x177,
// 0x376, IRQ 15). The board registers `command` (8 ports) and `control`
// (1 port) and wires `irq`.
//
// Transfers complete instantly, so the model is deterministic and never
// shows BSY to a guest except while SRST is held. There is no bus-master DMA.

import { stateFields, type AccessSize, type IrqLine, type RegisterBlock, type DeviceState } from './bus.ts';

/** A disk as the controller sees it: whole 512-byte sectors, synchronous. */
export interface BlockDevice {
  readonly sectors: number;
  /** Read `count` sectors from `lba` into the first count*512 bytes of `into`. */
  read(lba: number, count: number, into: Uint8Array): void;
  /** Write `from` (a whole number of sectors) starting at `lba`. */
  write(lba: number, from: Uint8Array): void;
  flush?(): void;
}

export const SECTOR_SIZE = 512;

/** A BlockDevice backed by a byte array: for tests, and for images held in memory. */
export class MemoryBlockDevice implements BlockDevice {
  readonly bytes: Uint8Array;
  readonly sectors: number;

  /** `contents` is either an image (shared, not copied) or a size in sectors for a zeroed disk. */
  constructor(contents: Uint8Array | number) {
    this.bytes = typeof contents === 'number' ? new Uint8Array(contents * SECTOR_SIZE) : contents;
    this.sectors = Math.floor(this.bytes.length / SECTOR_SIZE);
  }

  read(lba: number, count: number, into: Uint8Array): void {
    this.check(lba, count);
    into.set(this.bytes.subarray(lba * SECTOR_SIZE, (lba + count) * SECTOR_SIZE));
  }

  write(lba: number, from: Uint8Array): void {
    this.check(lba, Math.ceil(from.length / SECTOR_SIZE));
    this.bytes.set(from, lba * SECTOR_SIZE);
  }

  private check(lba: number, count: number): void {
    if (lba < 0 || lba + count > this.sectors) throw new RangeError(`sectors ${lba}+${count} outside a ${this.sectors}-sector disk`);
  }
}

// Command block register offsets.
export const REG_DATA = 0;
export const REG_ERROR = 1; // read
export const REG_FEATURES = 1; // write
export const REG_SECTOR_COUNT = 2;
export const REG_LBA_LOW = 3; // sector number in CHS mode
export const REG_LBA_MID = 4; // cylinder low
export const REG_LBA_HIGH = 5; // cylinder high
export const REG_DEVICE = 6; // drive/head
export const REG_STATUS = 7; // read
export const REG_COMMAND = 7; // write
// Control block: one register at offset 0.
export const REG_ALT_STATUS = 0; // read
export const REG_DEVICE_CONTROL = 0; // write

// Status register bits.
export const STATUS_BSY = 0x80;
export const STATUS_DRDY = 0x40;
export const STATUS_DF = 0x20;
export const STATUS_DSC = 0x10;
export const STATUS_DRQ = 0x08;
export const STATUS_ERR = 0x01;

// Error register bits.
export const ERROR_IDNF = 0x10;
export const ERROR_ABRT = 0x04;
/** After reset or EXECUTE DEVICE DIAGNOSTIC the error register holds a diagnostic code; 1 = passed. */
const DIAGNOSTIC_PASSED = 0x01;

// Device (drive/head) register bits.
export const DEVICE_LBA = 0x40;
export const DEVICE_DEV = 0x10;
/** Bits 7 and 5 are obsolete and read back as ones on the drives PCs were built around. */
const DEVICE_OBSOLETE_ONES = 0xa0;
const DEVICE_HEAD_MASK = 0x0f;

// Device control register bits.
export const CONTROL_NIEN = 0x02;
export const CONTROL_SRST = 0x04;

// The commands this device implements.
export const CMD_READ_SECTORS = 0x20;
export const CMD_READ_SECTORS_NO_RETRY = 0x21;
export const CMD_WRITE_SECTORS = 0x30;
export const CMD_WRITE_SECTORS_NO_RETRY = 0x31;
export const CMD_EXECUTE_DEVICE_DIAGNOSTIC = 0x90;
export const CMD_INITIALIZE_DEVICE_PARAMETERS = 0x91;
export const CMD_READ_MULTIPLE = 0xc4;
export const CMD_WRITE_MULTIPLE = 0xc5;
export const CMD_SET_MULTIPLE_MODE = 0xc6;
export const CMD_STANDBY_IMMEDIATE = 0xe0;
export const CMD_IDLE_IMMEDIATE = 0xe1;
export const CMD_STANDBY = 0xe2;
export const CMD_IDLE = 0xe3;
export const CMD_CHECK_POWER_MODE = 0xe5;
export const CMD_FLUSH_CACHE = 0xe7;
export const CMD_IDENTIFY_DEVICE = 0xec;
// The pre-ATA-4 spellings of the power commands, still sent by old drivers.
const CMD_STANDBY_IMMEDIATE_OLD = 0x94;
const CMD_IDLE_IMMEDIATE_OLD = 0x95;
const CMD_STANDBY_OLD = 0x96;
const CMD_IDLE_OLD = 0x97;
const CMD_CHECK_POWER_MODE_OLD = 0x98;

/** Largest READ/WRITE MULTIPLE block, as QEMU offers (IDENTIFY word 47). */
export const MAX_MULTIPLE_SECTORS = 16;
/** CHECK POWER MODE answer: the device is active or idle. */
const POWER_MODE_ACTIVE = 0xff;
/** LBA28 reaches 2^28 sectors; bigger disks report that in words 60-61. */
const LBA28_LIMIT = 0x0fffffff;

// QEMU's default CHS translation for hard disks.
export const DEFAULT_HEADS = 16;
export const DEFAULT_SECTORS_PER_TRACK = 63;
const MAX_CYLINDERS = 16383;
/** QEMU never reports fewer than 2 cylinders, even for tiny disks. */
const MIN_CYLINDERS = 2;

const MODEL = 'JOS86 HARDDISK';
const FIRMWARE = '0.1';

type Transfer = 'none' | 'in' | 'out';

/** One drive on the channel: its status, its DRQ buffer and its transfer in progress. */
class IdeDrive {
  status = STATUS_DRDY | STATUS_DSC;
  error = DIAGNOSTIC_PASSED;
  interruptPending = false;
  multipleSectors = MAX_MULTIPLE_SECTORS;
  /** Current CHS translation, changed by INITIALIZE DEVICE PARAMETERS. */
  heads = DEFAULT_HEADS;
  sectorsPerTrack = DEFAULT_SECTORS_PER_TRACK;
  readonly cylinders: number;
  readonly buffer = new Uint8Array(MAX_MULTIPLE_SECTORS * SECTOR_SIZE);
  bufferPos = 0;
  bufferEnd = 0;
  transfer: Transfer = 'none';
  /** Next sector to move between buffer and disk, sectors still to go, sectors per DRQ block. */
  nextLba = 0;
  remaining = 0;
  blockSectors = 1;

  constructor(
    readonly disk: BlockDevice,
    readonly index: number,
  ) {
    const cylinders = Math.floor(disk.sectors / (DEFAULT_HEADS * DEFAULT_SECTORS_PER_TRACK));
    this.cylinders = Math.max(MIN_CYLINDERS, Math.min(cylinders, MAX_CYLINDERS));
  }
}

export interface IdeChannelOptions {
  irq: IrqLine;
  master?: BlockDevice;
  slave?: BlockDevice;
}

export class IdeChannel {
  /** Command block, 8 ports (0x1F0 on the primary channel). */
  readonly command: RegisterBlock;
  /** Control block, 1 port (0x3F6 on the primary channel). */
  readonly control: RegisterBlock;

  private readonly irq: IrqLine;
  private readonly drives: (IdeDrive | undefined)[];
  // The task file: both drives latch every write, so it lives on the channel.
  private features = 0;
  private sectorCount = 0;
  private lbaLow = 0;
  private lbaMid = 0;
  private lbaHigh = 0;
  private device = DEVICE_OBSOLETE_ONES;
  private deviceControl = 0;

  constructor(options: IdeChannelOptions) {
    this.irq = options.irq;
    this.drives = [
      options.master && new IdeDrive(options.master, 0),
      options.slave && new IdeDrive(options.slave, 1),
    ];
    this.command = {
      read: (offset, size) => this.readCommandBlock(offset, size),
      write: (offset, size, value) => this.writeCommandBlock(offset, size, value),
    };
    this.control = {
      read: () => this.readStatus(false),
      write: (_offset, _size, value) => this.writeDeviceControl(value),
    };
  }

  /** The drive the DEV bit selects, or undefined when that position is empty. */
  private get selected(): IdeDrive | undefined {
    return this.drives[this.device & DEVICE_DEV ? 1 : 0];
  }

  private readCommandBlock(offset: number, size: AccessSize): number {
    if (offset === REG_DATA) return this.readData(size);
    const drive = this.selected;
    switch (offset) {
      case REG_DEVICE:
        return this.device;
      case REG_STATUS:
        return this.readStatus(true);
    }
    // An empty position answers nothing; QEMU reads such registers as 0.
    if (!drive) return 0;
    switch (offset) {
      case REG_ERROR:
        return drive.error;
      case REG_SECTOR_COUNT:
        return this.sectorCount;
      case REG_LBA_LOW:
        return this.lbaLow;
      case REG_LBA_MID:
        return this.lbaMid;
      case REG_LBA_HIGH:
        return this.lbaHigh;
    }
    return 0;
  }

  private writeCommandBlock(offset: number, size: AccessSize, value: number): void {
    switch (offset) {
      case REG_DATA:
        this.writeData(size, value);
        return;
      case REG_FEATURES:
        this.features = value & 0xff;
        return;
      case REG_SECTOR_COUNT:
        this.sectorCount = value & 0xff;
        return;
      case REG_LBA_LOW:
        this.lbaLow = value & 0xff;
        return;
      case REG_LBA_MID:
        this.lbaMid = value & 0xff;
        return;
      case REG_LBA_HIGH:
        this.lbaHigh = value & 0xff;
        return;
      case REG_DEVICE:
        this.device = (value & 0xff) | DEVICE_OBSOLETE_ONES;
        this.updateIrq();
        return;
      case REG_COMMAND:
        this.executeCommand(value & 0xff);
        return;
    }
  }

  /** Status (offset 7) acknowledges the interrupt; alternate status (control block) does not. */
  private readStatus(acknowledge: boolean): number {
    const drive = this.selected;
    if (!drive) return 0;
    if (acknowledge && drive.interruptPending) {
      drive.interruptPending = false;
      this.updateIrq();
    }
    return drive.status;
  }

  private writeDeviceControl(value: number): void {
    const wasResetting = (this.deviceControl & CONTROL_SRST) !== 0;
    this.deviceControl = value & 0xff;
    const resetting = (value & CONTROL_SRST) !== 0;
    if (resetting && !wasResetting) {
      for (const drive of this.drives) {
        if (!drive) continue;
        this.stopTransfer(drive);
        drive.status = STATUS_BSY;
        drive.interruptPending = false;
      }
    } else if (!resetting && wasResetting) {
      this.finishSoftwareReset();
    }
    this.updateIrq();
  }

  /** End of SRST: each drive reports diagnostics passed and the ATA signature. */
  private finishSoftwareReset(): void {
    for (const drive of this.drives) {
      if (!drive) continue;
      drive.status = STATUS_DRDY | STATUS_DSC;
      drive.error = DIAGNOSTIC_PASSED;
    }
    this.writeSignature();
    this.device = DEVICE_OBSOLETE_ONES;
  }

  /** Sector count 1, LBA 0:0:1 identifies a plain ATA (not ATAPI) device. */
  private writeSignature(): void {
    this.sectorCount = 1;
    this.lbaLow = 1;
    this.lbaMid = 0;
    this.lbaHigh = 0;
  }

  private updateIrq(): void {
    const drive = this.selected;
    const asserted = !!drive && drive.interruptPending && (this.deviceControl & CONTROL_NIEN) === 0;
    this.irq.set(asserted);
  }

  private interrupt(drive: IdeDrive): void {
    drive.interruptPending = true;
    this.updateIrq();
  }

  // --- commands ---------------------------------------------------------

  private executeCommand(command: number): void {
    const drive = this.selected;
    // Commands to an empty position go nowhere; nothing answers.
    if (!drive) return;
    // Writing the command register negates INTRQ (ATA-6 INTRQ rules), so a
    // new command's interrupt is a fresh edge even if the last went unread.
    drive.interruptPending = false;
    this.updateIrq();
    this.stopTransfer(drive);
    drive.error = 0;
    switch (command) {
      case CMD_IDENTIFY_DEVICE:
        this.identify(drive);
        return;
      case CMD_READ_SECTORS:
      case CMD_READ_SECTORS_NO_RETRY:
        this.startTransfer(drive, 'in', 1);
        return;
      case CMD_READ_MULTIPLE:
        if (drive.multipleSectors === 0) this.abort(drive);
        else this.startTransfer(drive, 'in', drive.multipleSectors);
        return;
      case CMD_WRITE_SECTORS:
      case CMD_WRITE_SECTORS_NO_RETRY:
        this.startTransfer(drive, 'out', 1);
        return;
      case CMD_WRITE_MULTIPLE:
        if (drive.multipleSectors === 0) this.abort(drive);
        else this.startTransfer(drive, 'out', drive.multipleSectors);
        return;
      case CMD_SET_MULTIPLE_MODE:
        this.setMultipleMode(drive);
        return;
      case CMD_INITIALIZE_DEVICE_PARAMETERS:
        this.initializeDeviceParameters(drive);
        return;
      case CMD_FLUSH_CACHE:
        drive.disk.flush?.();
        this.complete(drive);
        return;
      case CMD_CHECK_POWER_MODE:
      case CMD_CHECK_POWER_MODE_OLD:
        this.sectorCount = POWER_MODE_ACTIVE;
        this.complete(drive);
        return;
      case CMD_EXECUTE_DEVICE_DIAGNOSTIC:
        drive.error = DIAGNOSTIC_PASSED;
        this.writeSignature();
        this.complete(drive);
        return;
      case CMD_IDLE:
      case CMD_IDLE_IMMEDIATE:
      case CMD_STANDBY:
      case CMD_STANDBY_IMMEDIATE:
      case CMD_IDLE_OLD:
      case CMD_IDLE_IMMEDIATE_OLD:
      case CMD_STANDBY_OLD:
      case CMD_STANDBY_IMMEDIATE_OLD:
        // A virtual disk has no spindle: power management is accepted and changes nothing.
        this.complete(drive);
        return;
      default:
        this.abort(drive);
    }
  }

  private complete(drive: IdeDrive): void {
    drive.status = STATUS_DRDY | STATUS_DSC;
    this.interrupt(drive);
  }

  private fail(drive: IdeDrive, error: number): void {
    drive.error = error;
    drive.status = STATUS_DRDY | STATUS_DSC | STATUS_ERR;
    this.interrupt(drive);
  }

  private abort(drive: IdeDrive): void {
    this.fail(drive, ERROR_ABRT);
  }

  private stopTransfer(drive: IdeDrive): void {
    drive.transfer = 'none';
    drive.bufferPos = drive.bufferEnd = 0;
    drive.remaining = 0;
  }

  private setMultipleMode(drive: IdeDrive): void {
    const count = this.sectorCount;
    // 0 disables multiple mode; otherwise a power of two up to the maximum.
    if (count > MAX_MULTIPLE_SECTORS || (count & (count - 1)) !== 0) {
      this.abort(drive);
      return;
    }
    drive.multipleSectors = count;
    this.complete(drive);
  }

  private initializeDeviceParameters(drive: IdeDrive): void {
    if (this.sectorCount === 0) {
      this.abort(drive);
      return;
    }
    drive.sectorsPerTrack = this.sectorCount;
    drive.heads = (this.device & DEVICE_HEAD_MASK) + 1;
    this.complete(drive);
  }

  /** The sector the task file addresses, or -1 for a CHS address outside the current translation. */
  private addressedLba(drive: IdeDrive): number {
    if (this.device & DEVICE_LBA) {
      return this.lbaLow | (this.lbaMid << 8) | (this.lbaHigh << 16) | ((this.device & DEVICE_HEAD_MASK) << 24);
    }
    const cylinder = this.lbaMid | (this.lbaHigh << 8);
    const head = this.device & DEVICE_HEAD_MASK;
    const sector = this.lbaLow;
    if (sector === 0 || sector > drive.sectorsPerTrack || head >= drive.heads) return -1;
    return (cylinder * drive.heads + head) * drive.sectorsPerTrack + sector - 1;
  }

  /** Point the task file at `lba`, as a drive does after each block it moves. */
  private setAddress(drive: IdeDrive, lba: number): void {
    if (this.device & DEVICE_LBA) {
      this.lbaLow = lba & 0xff;
      this.lbaMid = (lba >>> 8) & 0xff;
      this.lbaHigh = (lba >>> 16) & 0xff;
      this.device = (this.device & ~DEVICE_HEAD_MASK) | ((lba >>> 24) & DEVICE_HEAD_MASK);
      return;
    }
    const perCylinder = drive.heads * drive.sectorsPerTrack;
    const cylinder = Math.floor(lba / perCylinder);
    const withinCylinder = lba % perCylinder;
    this.lbaLow = (withinCylinder % drive.sectorsPerTrack) + 1;
    this.lbaMid = cylinder & 0xff;
    this.lbaHigh = (cylinder >>> 8) & 0xff;
    this.device = (this.device & ~DEVICE_HEAD_MASK) | Math.floor(withinCylinder / drive.sectorsPerTrack);
  }

  /** READ/WRITE SECTORS and MULTIPLE: check the whole range, then move the first block. */
  private startTransfer(drive: IdeDrive, direction: 'in' | 'out', blockSectors: number): void {
    const lba = this.addressedLba(drive);
    const count = this.sectorCount === 0 ? 256 : this.sectorCount;
    if (lba < 0 || lba + count > drive.disk.sectors) {
      this.fail(drive, ERROR_IDNF);
      return;
    }
    drive.nextLba = lba;
    drive.remaining = count;
    drive.blockSectors = blockSectors;
    if (direction === 'in') {
      this.loadReadBlock(drive);
    } else {
      // The host sends the first block as soon as DRQ shows; no interrupt for it.
      this.openWriteBlock(drive);
    }
  }

  private loadReadBlock(drive: IdeDrive): void {
    const sectors = Math.min(drive.remaining, drive.blockSectors);
    drive.disk.read(drive.nextLba, sectors, drive.buffer.subarray(0, sectors * SECTOR_SIZE));
    drive.nextLba += sectors;
    drive.remaining -= sectors;
    this.sectorCount = drive.remaining & 0xff;
    this.setAddress(drive, drive.nextLba - 1);
    drive.transfer = 'in';
    drive.bufferPos = 0;
    drive.bufferEnd = sectors * SECTOR_SIZE;
    drive.status = STATUS_DRDY | STATUS_DSC | STATUS_DRQ;
    this.interrupt(drive);
  }

  private openWriteBlock(drive: IdeDrive): void {
    const sectors = Math.min(drive.remaining, drive.blockSectors);
    drive.transfer = 'out';
    drive.bufferPos = 0;
    drive.bufferEnd = sectors * SECTOR_SIZE;
    drive.status = STATUS_DRDY | STATUS_DSC | STATUS_DRQ;
  }

  /** The host filled the buffer: write it to the disk, then ask for more or finish. */
  private commitWriteBlock(drive: IdeDrive): void {
    const sectors = drive.bufferEnd / SECTOR_SIZE;
    drive.disk.write(drive.nextLba, drive.buffer.subarray(0, drive.bufferEnd));
    drive.nextLba += sectors;
    drive.remaining -= sectors;
    this.sectorCount = drive.remaining & 0xff;
    this.setAddress(drive, drive.nextLba - 1);
    if (drive.remaining > 0) {
      this.openWriteBlock(drive);
      this.interrupt(drive);
    } else {
      this.stopTransfer(drive);
      this.complete(drive);
    }
  }

  // --- the data port ----------------------------------------------------

  /** 8-, 16- and 32-bit accesses (inb, insw, insl) each move that many bytes. */
  private readData(size: AccessSize): number {
    const drive = this.selected;
    if (!drive || drive.transfer !== 'in') return 0;
    let value = 0;
    for (let i = 0; i < size && drive.bufferPos < drive.bufferEnd; i++) {
      value |= drive.buffer[drive.bufferPos++] << (8 * i);
    }
    if (drive.bufferPos >= drive.bufferEnd) {
      if (drive.remaining > 0) {
        this.loadReadBlock(drive);
      } else {
        this.stopTransfer(drive);
        drive.status = STATUS_DRDY | STATUS_DSC;
      }
    }
    return value >>> 0;
  }

  private writeData(size: AccessSize, value: number): void {
    const drive = this.selected;
    if (!drive || drive.transfer !== 'out') return;
    for (let i = 0; i < size && drive.bufferPos < drive.bufferEnd; i++) {
      drive.buffer[drive.bufferPos++] = (value >>> (8 * i)) & 0xff;
    }
    if (drive.bufferPos >= drive.bufferEnd) this.commitWriteBlock(drive);
  }

  // --- IDENTIFY DEVICE ----------------------------------------------------

  private identify(drive: IdeDrive): void {
    drive.buffer.fill(0, 0, SECTOR_SIZE);
    const words = identifyWords(drive);
    for (let i = 0; i < words.length; i++) {
      drive.buffer[2 * i] = words[i] & 0xff;
      drive.buffer[2 * i + 1] = words[i] >>> 8;
    }
    drive.remaining = 0;
    drive.transfer = 'in';
    drive.bufferPos = 0;
    drive.bufferEnd = SECTOR_SIZE;
    drive.status = STATUS_DRDY | STATUS_DSC | STATUS_DRQ;
    this.interrupt(drive);
  }

  // --- snapshots --------------------------------------------------------

  saveState(): DeviceState {
    return {
      name: 'ide-channel',
      version: 1,
      fields: {
        features: this.features,
        sectorCount: this.sectorCount,
        lbaLow: this.lbaLow,
        lbaMid: this.lbaMid,
        lbaHigh: this.lbaHigh,
        device: this.device,
        deviceControl: this.deviceControl,
        drives: this.drives.map((drive) =>
          drive
            ? {
                status: drive.status,
                error: drive.error,
                interruptPending: drive.interruptPending,
                multipleSectors: drive.multipleSectors,
                heads: drive.heads,
                sectorsPerTrack: drive.sectorsPerTrack,
                buffer: Array.from(drive.buffer.subarray(0, drive.bufferEnd)),
                bufferPos: drive.bufferPos,
                bufferEnd: drive.bufferEnd,
                transfer: drive.transfer,
                nextLba: drive.nextLba,
                remaining: drive.remaining,
                blockSectors: drive.blockSectors,
              }
            : null,
        ),
      },
    };
  }

  loadState(state: DeviceState): void {
    const f = stateFields(state, 'ide-channel', 1) as Record<string, number> & { drives: (Record<string, unknown> | null)[] };
    this.features = f.features;
    this.sectorCount = f.sectorCount;
    this.lbaLow = f.lbaLow;
    this.lbaMid = f.lbaMid;
    this.lbaHigh = f.lbaHigh;
    this.device = f.device;
    this.deviceControl = f.deviceControl;
    f.drives.forEach((saved, index) => {
      const drive = this.drives[index];
      if (!drive || !saved) return;
      const s = saved as Record<string, number> & { buffer: number[]; transfer: Transfer; interruptPending: boolean };
      drive.status = s.status;
      drive.error = s.error;
      drive.interruptPending = s.interruptPending;
      drive.multipleSectors = s.multipleSectors;
      drive.heads = s.heads;
      drive.sectorsPerTrack = s.sectorsPerTrack;
      drive.buffer.set(s.buffer);
      drive.bufferPos = s.bufferPos;
      drive.bufferEnd = s.bufferEnd;
      drive.transfer = s.transfer;
      drive.nextLba = s.nextLba;
      drive.remaining = s.remaining;
      drive.blockSectors = s.blockSectors;
    });
    this.updateIrq();
  }
}

/** IDENTIFY DEVICE data (ATA-6 IDENTIFY DEVICE table) for a fixed PIO disk. */
function identifyWords(drive: IdeDrive): Uint16Array {
  const words = new Uint16Array(256);
  const sectors = drive.disk.sectors;
  const lba28Sectors = Math.min(sectors, LBA28_LIMIT);
  words[0] = 0x0040; // fixed (non-removable) ATA device
  words[1] = drive.cylinders;
  words[3] = DEFAULT_HEADS;
  words[6] = DEFAULT_SECTORS_PER_TRACK;
  putString(words, 10, 20, `JOS86-${(drive.index + 1).toString().padStart(4, '0')}`);
  putString(words, 23, 8, FIRMWARE);
  putString(words, 27, 40, MODEL);
  words[47] = 0x8000 | MAX_MULTIPLE_SECTORS;
  words[49] = 1 << 9; // LBA supported (no DMA)
  words[51] = 0x0200; // PIO data transfer cycle timing mode 2
  words[53] = 0x0003; // words 54-58 and 64-70 are valid
  const currentCylinders = Math.min(Math.floor(sectors / (drive.heads * drive.sectorsPerTrack)), 0xffff);
  words[54] = currentCylinders;
  words[55] = drive.heads;
  words[56] = drive.sectorsPerTrack;
  const currentCapacity = currentCylinders * drive.heads * drive.sectorsPerTrack;
  words[57] = currentCapacity & 0xffff;
  words[58] = currentCapacity >>> 16;
  if (drive.multipleSectors) words[59] = 0x0100 | drive.multipleSectors; // multiple setting valid
  words[60] = lba28Sectors & 0xffff;
  words[61] = lba28Sectors >>> 16;
  words[64] = 0x0003; // PIO modes 3 and 4
  words[65] = words[66] = words[67] = words[68] = 120; // cycle times in ns
  words[80] = 0x007e; // ATA-1 through ATA-6
  words[82] = 1 << 14; // NOP supported
  words[83] = (1 << 14) | (1 << 12); // word valid; FLUSH CACHE supported
  words[84] = 1 << 14; // word valid
  words[85] = 1 << 14;
  words[86] = 1 << 12; // FLUSH CACHE enabled
  words[87] = 1 << 14;
  return words;
}

/** ATA strings: space padded, two characters a word, the first in the high byte. */
function putString(words: Uint16Array, firstWord: number, length: number, text: string): void {
  const padded = text.padEnd(length, ' ');
  for (let i = 0; i < length; i += 2) {
    words[firstWord + i / 2] = (padded.charCodeAt(i) << 8) | padded.charCodeAt(i + 1);
  }
}

// The register side of a CGA/VGA adapter in 80x25 colour text mode, and a
// reader that turns the text buffer into characters, attributes and a cursor.
//
// Follows the IBM VGA Technical Reference ("CRT Controller Registers", "Input
// Status Register One", "Attribute Controller", "Sequencer", "Graphics
// Controller", "Video DAC") and the Motorola 6845 CRTC datasheet whose cursor
// and start address registers the VGA keeps. On a PC the CRTC answers at
// 0x3D4 (index) / 0x3D5 (data), the CGA mode and colour registers at 0x3D8 /
// 0x3D9, input status 1 at 0x3DA; the other VGA registers sit at 0x3C0-0x3CF.
// Two blocks: `crtc` for 0x3D0-0x3DF and `vga` for 0x3C0-0x3CF.
//
// The text buffer at 0xB8000 is ordinary RAM (see src/mmu/physical.ts); this
// chip only reads it in `screen()`. Registers a kernel may touch are stored and
// read back, but only the CRTC start address and cursor registers change what
// `screen()` returns. The retrace bits of input status 1 toggle on every read,
// so guests that wait for retrace never spin, and the result is deterministic.

import { stateFields, type AccessSize, type DeviceState, type RegisterBlock } from './bus.ts';

// Offsets within the 0x3D0-0x3DF block. The CGA decodes 0x3D0-0x3D7 as four
// mirrors of the index/data pair; the VGA answers only at 0x3D4/0x3D5.
const CRTC_INDEX = 0x4;
const CRTC_DATA = 0x5;
const CGA_MODE_CONTROL = 0x8;
const CGA_COLOR_SELECT = 0x9;
const INPUT_STATUS_1 = 0xa; // read; feature control write

// CRTC registers.
const CRTC_CURSOR_START = 0x0a;
const CRTC_CURSOR_END = 0x0b;
const CRTC_START_HIGH = 0x0c;
const CRTC_START_LOW = 0x0d;
const CRTC_CURSOR_HIGH = 0x0e;
const CRTC_CURSOR_LOW = 0x0f;
const CRTC_VERTICAL_RETRACE_END = 0x11;
const CRTC_REGISTER_COUNT = 0x19;
const CURSOR_DISABLE = 0x20; // cursor start register bit 5
const CRTC_PROTECT = 0x80; // vertical retrace end bit 7: registers 0-7 read-only
const CRTC_PROTECTED_LAST = 0x07;

/** CRTC values of BIOS mode 3 (80x25 colour text, 9x16 cell, cursor on lines 13-14). */
const MODE3_CRTC = [
  0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f,
  0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff,
];

/** Attribute controller in mode 3: the EGA palette, mode control 0x0C, all planes, pan 8. */
const MODE3_ATTRIBUTE = [
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f,
  0x08, 0x00,
];
/** Sequencer in mode 3: 9-dot characters, planes 0-1 written, odd/even addressing. */
const MODE3_SEQUENCER = [0x03, 0x00, 0x03, 0x00, 0x02];
/** Graphics controller in mode 3: odd/even, text at 0xB8000. */
const MODE3_GRAPHICS = [0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x0f, 0xff];

// Input status 1 bits.
const STATUS_DISPLAY_DISABLED = 0x01; // in horizontal or vertical blanking
const STATUS_VERTICAL_RETRACE = 0x08;

// Offsets within the 0x3C0-0x3CF block.
const ATTRIBUTE_INDEX_DATA = 0x0;
const ATTRIBUTE_DATA_READ = 0x1;
const MISC_OUTPUT_WRITE = 0x2; // read: input status 0
const SEQUENCER_INDEX = 0x4;
const SEQUENCER_DATA = 0x5;
const DAC_PEL_MASK = 0x6;
const DAC_READ_INDEX = 0x7; // read: DAC state
const DAC_WRITE_INDEX = 0x8;
const DAC_DATA = 0x9;
const FEATURE_CONTROL_READ = 0xa;
const MISC_OUTPUT_READ = 0xc;
const GRAPHICS_INDEX = 0xe;
const GRAPHICS_DATA = 0xf;

const ATTRIBUTE_REGISTER_COUNT = 0x15;
const ATTRIBUTE_INDEX_MASK = 0x1f;
const ATTRIBUTE_PALETTE_SOURCE = 0x20; // index bit 5: display on
const SEQUENCER_REGISTER_COUNT = 5;
const GRAPHICS_REGISTER_COUNT = 9;
/** Colour, RAM enabled, 28 MHz clock, page bit, sync polarities of mode 3. */
const MISC_OUTPUT_MODE3 = 0x67;
const DAC_STATE_WRITE = 0x00;
const DAC_STATE_READ = 0x03;

// The text buffer.
export const TEXT_BUFFER_BASE = 0xb8000;
const TEXT_BUFFER_BYTES = 0x8000; // the colour window is 32 KiB; addresses wrap inside it
export const TEXT_COLUMNS = 80;
export const TEXT_ROWS = 25;

/** Code page 437 as Unicode, so the host can show box drawing and the like. */
const CP437 =
  ' ☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼' +
  ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~⌂' +
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

/** Unicode for a CP437 character code (0 shows as a space). */
export function cp437(code: number): string {
  return CP437[code & 0xff];
}

export interface TextScreen {
  columns: number;
  rows: number;
  /** Row-major cells: character code in the low byte, attribute in the high byte. */
  cells: Uint16Array;
  /** Each row as Unicode text (CP437), trailing blanks kept. */
  lines: string[];
  cursor: { row: number; column: number; visible: boolean };
}

export class VgaText {
  /** Ports 0x3D0-0x3DF. */
  readonly crtc: RegisterBlock;
  /** Ports 0x3C0-0x3CF. */
  readonly vga: RegisterBlock;
  private crtcIndex = 0;
  private readonly crtcRegisters = Uint8Array.from(MODE3_CRTC);
  private cgaMode = 0x29; // 80x25 text, video on, blink
  private cgaColor = 0;
  private featureControl = 0;
  private retrace = false;
  private attributeIndex = 0;
  /** The attribute controller's flip-flop: false = next 0x3C0 write is an index. */
  private attributeData = false;
  private readonly attributeRegisters = Uint8Array.from(MODE3_ATTRIBUTE);
  private miscOutput = MISC_OUTPUT_MODE3;
  private sequencerIndex = 0;
  private readonly sequencerRegisters = Uint8Array.from(MODE3_SEQUENCER);
  private graphicsIndex = 0;
  private readonly graphicsRegisters = Uint8Array.from(MODE3_GRAPHICS);
  private pelMask = 0xff;
  private readonly palette = new Uint8Array(256 * 3);
  /** DAC: component position (index * 3 + r/g/b) for reads and writes. */
  private dacReadPosition = 0;
  private dacWritePosition = 0;
  private dacState = DAC_STATE_WRITE;

  constructor() {
    this.crtc = {
      read: (offset) => this.readCrtcBlock(offset),
      write: (offset, _size: AccessSize, value) => this.writeCrtcBlock(offset, value & 0xff),
    };
    this.vga = {
      read: (offset) => this.readVgaBlock(offset),
      write: (offset, _size: AccessSize, value) => this.writeVgaBlock(offset, value & 0xff),
    };
  }

  /** Start of the displayed page, in characters from 0xB8000 (CRTC 0x0C/0x0D). */
  get startAddress(): number {
    return (this.crtcRegisters[CRTC_START_HIGH] << 8) | this.crtcRegisters[CRTC_START_LOW];
  }

  /** Cursor location in characters from 0xB8000 (CRTC 0x0E/0x0F). */
  get cursorAddress(): number {
    return (this.crtcRegisters[CRTC_CURSOR_HIGH] << 8) | this.crtcRegisters[CRTC_CURSOR_LOW];
  }

  /** The 80x25 page as it would be displayed, read from `ram` (guest physical RAM from address 0). */
  screen(ram: Uint8Array): TextScreen {
    const cells = new Uint16Array(TEXT_COLUMNS * TEXT_ROWS);
    const start = this.startAddress * 2;
    for (let i = 0; i < cells.length; i++) {
      const address = TEXT_BUFFER_BASE + ((start + i * 2) % TEXT_BUFFER_BYTES);
      const character = ram[address] ?? 0;
      const attribute = ram[address + 1] ?? 0;
      cells[i] = character | (attribute << 8);
    }
    const lines: string[] = [];
    for (let row = 0; row < TEXT_ROWS; row++) {
      let line = '';
      for (let column = 0; column < TEXT_COLUMNS; column++) line += cp437(cells[row * TEXT_COLUMNS + column]);
      lines.push(line);
    }
    const offset = this.cursorAddress - this.startAddress;
    const onScreen = offset >= 0 && offset < TEXT_COLUMNS * TEXT_ROWS;
    const cursorStart = this.crtcRegisters[CRTC_CURSOR_START];
    const cursorEnd = this.crtcRegisters[CRTC_CURSOR_END] & 0x1f;
    const visible = onScreen && !(cursorStart & CURSOR_DISABLE) && (cursorStart & 0x1f) <= cursorEnd;
    return {
      columns: TEXT_COLUMNS,
      rows: TEXT_ROWS,
      cells,
      lines,
      cursor: {
        row: onScreen ? Math.floor(offset / TEXT_COLUMNS) : 0,
        column: onScreen ? offset % TEXT_COLUMNS : 0,
        visible,
      },
    };
  }

  private readCrtcBlock(offset: number): number {
    switch (offset) {
      case CRTC_INDEX:
        return this.crtcIndex;
      case CRTC_DATA:
        return this.crtcIndex < CRTC_REGISTER_COUNT ? this.crtcRegisters[this.crtcIndex] : 0xff;
      case CGA_MODE_CONTROL:
        return this.cgaMode;
      case CGA_COLOR_SELECT:
        return this.cgaColor;
      case INPUT_STATUS_1: {
        // Reading input status 1 also resets the attribute controller flip-flop.
        this.attributeData = false;
        this.retrace = !this.retrace;
        return this.retrace ? STATUS_VERTICAL_RETRACE | STATUS_DISPLAY_DISABLED : 0;
      }
      default:
        return 0xff;
    }
  }

  private writeCrtcBlock(offset: number, value: number): void {
    switch (offset) {
      case CRTC_INDEX:
        this.crtcIndex = value;
        return;
      case CRTC_DATA: {
        const index = this.crtcIndex;
        if (index >= CRTC_REGISTER_COUNT) return;
        const protectedRegister = index <= CRTC_PROTECTED_LAST && this.crtcRegisters[CRTC_VERTICAL_RETRACE_END] & CRTC_PROTECT;
        if (!protectedRegister) this.crtcRegisters[index] = value;
        return;
      }
      case CGA_MODE_CONTROL:
        this.cgaMode = value;
        return;
      case CGA_COLOR_SELECT:
        this.cgaColor = value;
        return;
      case INPUT_STATUS_1:
        this.featureControl = value;
        return;
    }
  }

  private readVgaBlock(offset: number): number {
    switch (offset) {
      case ATTRIBUTE_INDEX_DATA:
        return this.attributeIndex;
      case ATTRIBUTE_DATA_READ: {
        const index = this.attributeIndex & ATTRIBUTE_INDEX_MASK;
        return index < ATTRIBUTE_REGISTER_COUNT ? this.attributeRegisters[index] : 0;
      }
      case MISC_OUTPUT_WRITE:
        return 0; // input status 0: no switch sense, no pending vertical interrupt
      case SEQUENCER_INDEX:
        return this.sequencerIndex;
      case SEQUENCER_DATA:
        return this.sequencerRegisters[this.sequencerIndex] ?? 0;
      case DAC_PEL_MASK:
        return this.pelMask;
      case DAC_READ_INDEX:
        return this.dacState;
      case DAC_WRITE_INDEX:
        return Math.floor(this.dacWritePosition / 3);
      case DAC_DATA: {
        const value = this.palette[this.dacReadPosition];
        this.dacReadPosition = (this.dacReadPosition + 1) % this.palette.length;
        return value;
      }
      case FEATURE_CONTROL_READ:
        return this.featureControl;
      case MISC_OUTPUT_READ:
        return this.miscOutput;
      case GRAPHICS_INDEX:
        return this.graphicsIndex;
      case GRAPHICS_DATA:
        return this.graphicsRegisters[this.graphicsIndex] ?? 0;
      default:
        return 0xff;
    }
  }

  private writeVgaBlock(offset: number, value: number): void {
    switch (offset) {
      case ATTRIBUTE_INDEX_DATA:
        if (!this.attributeData) {
          this.attributeIndex = value & (ATTRIBUTE_INDEX_MASK | ATTRIBUTE_PALETTE_SOURCE);
        } else {
          const index = this.attributeIndex & ATTRIBUTE_INDEX_MASK;
          if (index < ATTRIBUTE_REGISTER_COUNT) this.attributeRegisters[index] = value;
        }
        this.attributeData = !this.attributeData;
        return;
      case MISC_OUTPUT_WRITE:
        this.miscOutput = value;
        return;
      case SEQUENCER_INDEX:
        this.sequencerIndex = value;
        return;
      case SEQUENCER_DATA:
        if (this.sequencerIndex < SEQUENCER_REGISTER_COUNT) this.sequencerRegisters[this.sequencerIndex] = value;
        return;
      case DAC_PEL_MASK:
        this.pelMask = value;
        return;
      case DAC_READ_INDEX:
        this.dacReadPosition = value * 3;
        this.dacState = DAC_STATE_READ;
        return;
      case DAC_WRITE_INDEX:
        this.dacWritePosition = value * 3;
        this.dacState = DAC_STATE_WRITE;
        return;
      case DAC_DATA:
        this.palette[this.dacWritePosition] = value & 0x3f; // 6-bit DAC
        this.dacWritePosition = (this.dacWritePosition + 1) % this.palette.length;
        return;
      case GRAPHICS_INDEX:
        this.graphicsIndex = value;
        return;
      case GRAPHICS_DATA:
        if (this.graphicsIndex < GRAPHICS_REGISTER_COUNT) this.graphicsRegisters[this.graphicsIndex] = value;
        return;
    }
  }

  saveState(): DeviceState {
    return {
      name: 'vga-text',
      version: 1,
      fields: {
        crtcIndex: this.crtcIndex,
        crtcRegisters: Array.from(this.crtcRegisters),
        cgaMode: this.cgaMode,
        cgaColor: this.cgaColor,
        featureControl: this.featureControl,
        retrace: this.retrace,
        attributeIndex: this.attributeIndex,
        attributeData: this.attributeData,
        attributeRegisters: Array.from(this.attributeRegisters),
        miscOutput: this.miscOutput,
        sequencerIndex: this.sequencerIndex,
        sequencerRegisters: Array.from(this.sequencerRegisters),
        graphicsIndex: this.graphicsIndex,
        graphicsRegisters: Array.from(this.graphicsRegisters),
        pelMask: this.pelMask,
        palette: Array.from(this.palette),
        dacReadPosition: this.dacReadPosition,
        dacWritePosition: this.dacWritePosition,
        dacState: this.dacState,
      },
    };
  }

  loadState(state: DeviceState): void {
    const fields = stateFields(state, 'vga-text', 1);
    const arrays = ['crtcRegisters', 'attributeRegisters', 'sequencerRegisters', 'graphicsRegisters', 'palette'] as const;
    for (const name of arrays) this[name].set(fields[name] as number[]);
    const scalars = { ...fields };
    for (const name of arrays) delete scalars[name];
    Object.assign(this, scalars);
  }
}

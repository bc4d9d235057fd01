// The Intel 8042 keyboard controller of the PC/AT, with a keyboard (and a
// minimal PS/2 mouse) behind it.
//
// Follows the IBM PC/AT Technical Reference ("Keyboard Controller": status
// register, command byte, controller commands 0x20-0xFF, output port) and the
// IBM PS/2 keyboard command set (0xED LEDs, 0xEE echo, 0xF0 scan code set,
// 0xF2 identify, 0xF3 typematic, 0xF4/0xF5 enable/disable, 0xFF reset). On a
// PC the data port is 0x60 and the status/command port 0x64; the keyboard
// interrupts on IRQ 1 and the mouse on IRQ 12. Output port bit 1 is the A20
// gate and bit 0 the CPU reset line (active low).
//
// Keys arrive as scan code set 1, which is what a set-2 keyboard looks like
// through the controller's translation (command byte bit 6), the mode every PC
// BIOS leaves. The codes are queued inside the keyboard and moved into the
// one-byte output buffer when it is empty, raising IRQ 1 if enabled; the
// guest reading port 0x60 lowers IRQ 1 and lets the next byte in. With
// translation switched off this model still delivers set 1 codes.
//
// `textToScancodes` turns text into set 1 make/break sequences (with shift
// and ctrl) so scripts can type on the keyboard.

import { stateFields, type AccessSize, type DeviceState, type IrqLine, type RegisterBlock } from './bus.ts';

// Port offsets (registered at 0x60 and 0x64: two blocks).
// Status register bits.
const STATUS_OUTPUT_FULL = 0x01; // OBF: a byte waits at port 0x60
// Bit 1, IBF (input buffer full), is never set: the controller takes each write at once.
const STATUS_SYSTEM = 0x04; // system flag: POST passed
const STATUS_COMMAND = 0x08; // A2: the last write went to port 0x64
const STATUS_UNLOCKED = 0x10; // keyboard inhibit switch: not inhibited
const STATUS_AUX_OUTPUT = 0x20; // the byte in the output buffer is from the mouse

// Command byte bits.
const COMMAND_KEYBOARD_INTERRUPT = 0x01;
const COMMAND_AUX_INTERRUPT = 0x02;
const COMMAND_SYSTEM = 0x04;
const COMMAND_KEYBOARD_DISABLED = 0x10;
const COMMAND_AUX_DISABLED = 0x20;
const COMMAND_TRANSLATE = 0x40;
/** Keyboard IRQ on, mouse disabled, translation on, POST passed: how SeaBIOS leaves it. */
const COMMAND_BYTE_AFTER_BIOS = COMMAND_TRANSLATE | COMMAND_AUX_DISABLED | COMMAND_SYSTEM | COMMAND_KEYBOARD_INTERRUPT;

// Output port bits.
const OUTPUT_PORT_RESET = 0x01; // active low: 0 resets the CPU
const OUTPUT_PORT_A20 = 0x02;
const OUTPUT_PORT_KEYBOARD_FULL = 0x10;
const OUTPUT_PORT_AUX_FULL = 0x20;
/** Keyboard clock and data lines idle high (bits 6-7); bits 2-3 are unused and read as ones, as on QEMU. */
const OUTPUT_PORT_FIXED_ONES = 0xcc;

// Controller commands (port 0x64).
const CMD_READ_COMMAND_BYTE = 0x20;
const CMD_WRITE_COMMAND_BYTE = 0x60;
const CMD_DISABLE_AUX = 0xa7;
const CMD_ENABLE_AUX = 0xa8;
const CMD_TEST_AUX = 0xa9;
const CMD_SELF_TEST = 0xaa;
const CMD_TEST_KEYBOARD = 0xab;
const CMD_DISABLE_KEYBOARD = 0xad;
const CMD_ENABLE_KEYBOARD = 0xae;
const CMD_READ_INPUT_PORT = 0xc0;
const CMD_READ_OUTPUT_PORT = 0xd0;
const CMD_WRITE_OUTPUT_PORT = 0xd1;
const CMD_WRITE_KEYBOARD_OUTPUT = 0xd2;
const CMD_WRITE_AUX_OUTPUT = 0xd3;
const CMD_WRITE_AUX = 0xd4;
const CMD_DISABLE_A20 = 0xdd;
const CMD_ENABLE_A20 = 0xdf;
const CMD_READ_TEST_INPUTS = 0xe0;
const CMD_PULSE_OUTPUT_FIRST = 0xf0; // 0xF0-0xFF pulse the output port bits that are 0 in the low nibble

const SELF_TEST_PASSED = 0x55;
const INTERFACE_TEST_PASSED = 0x00;
/** Input port: keyboard not inhibited (bit 7), as QEMU reads it. */
const INPUT_PORT_VALUE = 0x80;

// Keyboard commands (port 0x60) and replies.
const KBD_SET_LEDS = 0xed;
const KBD_ECHO = 0xee;
const KBD_SCAN_CODE_SET = 0xf0;
const KBD_IDENTIFY = 0xf2;
const KBD_SET_TYPEMATIC = 0xf3;
const KBD_ENABLE = 0xf4;
const KBD_DISABLE = 0xf5;
const KBD_SET_DEFAULTS = 0xf6;
const KBD_RESEND = 0xfe;
const KBD_RESET = 0xff;
const REPLY_ACK = 0xfa;
const REPLY_SELF_TEST_PASSED = 0xaa;
const REPLY_RESEND = 0xfe;
const KEYBOARD_ID = [0xab, 0x83]; // MF2 keyboard
/** How the controller's translation rewrites set-2 bytes the keyboard sends about itself. */
const TRANSLATED: Record<number, number> = { 0x83: 0x41, 0x01: 0x43, 0x02: 0x41, 0x03: 0x3f };

// Mouse commands (through 0xD4).
const AUX_RESET = 0xff;
const AUX_IDENTIFY = 0xf2;
const AUX_STATUS_REQUEST = 0xe9;
const AUX_SELF_TEST_PASSED = 0xaa;
const AUX_ID_STANDARD = 0x00;
/** Commands that take one parameter byte (set resolution, set sample rate). */
const AUX_COMMANDS_WITH_PARAMETER = new Set([0xe8, 0xf3]);

/** The keyboard's internal buffer (16 bytes on an MF2 keyboard; more here, since scripts type fast). */
const KEYBOARD_QUEUE_LIMIT = 256;

export interface I8042Options {
  /** IRQ 1. */
  keyboardIrq?: IrqLine;
  /** IRQ 12. */
  mouseIrq?: IrqLine;
  /** Output port bit 1 changed (0xD1, 0xDD, 0xDF). */
  onA20?: (enabled: boolean) => void;
  /** Output port bit 0 pulsed or written low (0xFE, 0xD1). */
  onReset?: () => void;
}

export class I8042 {
  /** Port 0x60: data. */
  readonly data: RegisterBlock;
  /** Port 0x64: status (read) and command (write). */
  readonly command: RegisterBlock;
  private readonly options: I8042Options;
  private commandByte = COMMAND_BYTE_AFTER_BIOS;
  /** A BIOS's last access was a command, so A2 starts set. */
  private status = STATUS_SYSTEM | STATUS_UNLOCKED | STATUS_COMMAND;
  private outputPort = OUTPUT_PORT_RESET | OUTPUT_PORT_A20;
  /** The byte at port 0x60, or null when the output buffer is empty. */
  private output: { byte: number; aux: boolean } | null = null;
  /** Bytes the keyboard and mouse hold until the output buffer is free. */
  private keyboardQueue: number[] = [];
  private auxQueue: number[] = [];
  /** A controller command waiting for its data byte at port 0x60. */
  private pendingCommand = 0;
  /** A keyboard or mouse command waiting for its parameter byte. */
  private keyboardParameterFor = 0;
  private auxParameterFor = 0;
  private scanning = true;
  private scanCodeSet = 2;
  /** Keyboard LED bits from 0xED: scroll, num, caps lock. */
  leds = 0;
  private keyboardIrqLevel = false;
  private mouseIrqLevel = false;

  constructor(options: I8042Options = {}) {
    this.options = options;
    this.data = {
      read: () => this.readData(),
      write: (_offset, _size: AccessSize, value) => this.writeData(value & 0xff),
    };
    this.command = {
      read: () => this.readStatus(),
      write: (_offset, _size: AccessSize, value) => this.writeCommand(value & 0xff),
    };
  }

  /** Whether the output port holds the A20 gate open. */
  get a20(): boolean {
    return (this.outputPort & OUTPUT_PORT_A20) !== 0;
  }

  /** Bytes waiting in the keyboard's buffer, for hosts that pace scripted typing. */
  get keyboardQueueLength(): number {
    return this.keyboardQueue.length;
  }

  /** A key went down: its set 1 make code (bytes, e.g. [0xE0, 0x48] for an extended key). */
  keyDown(code: number | number[]): void {
    this.pushScancodes(Array.isArray(code) ? code : [code]);
  }

  /** A key came up: the break code is the make code with bit 7 set (after any 0xE0 prefix). */
  keyUp(code: number | number[]): void {
    const bytes = Array.isArray(code) ? code : [code];
    this.pushScancodes(bytes.map((byte) => (byte === 0xe0 ? byte : byte | 0x80)));
  }

  /** Queue raw set 1 bytes from the keyboard. Ignored while the keyboard has scanning disabled (0xF5). */
  pushScancodes(bytes: number[]): void {
    if (!this.scanning) return;
    for (const byte of bytes) {
      if (this.keyboardQueue.length < KEYBOARD_QUEUE_LIMIT) this.keyboardQueue.push(byte & 0xff);
    }
    this.refill();
  }

  /** A mouse movement packet (standard 3-byte PS/2 protocol), delivered only with the mouse enabled. */
  moveMouse(dx: number, dy: number, buttons = 0): void {
    if (this.commandByte & COMMAND_AUX_DISABLED) return;
    dx = Math.max(-255, Math.min(255, dx));
    dy = Math.max(-255, Math.min(255, dy));
    const flags = 0x08 | (buttons & 7) | (dx < 0 ? 0x10 : 0) | (dy < 0 ? 0x20 : 0);
    this.auxQueue.push(flags, dx & 0xff, dy & 0xff);
    this.refill();
  }

  private readStatus(): number {
    let status = this.status;
    if (this.output) status |= STATUS_OUTPUT_FULL | (this.output.aux ? STATUS_AUX_OUTPUT : 0);
    return status;
  }

  private readData(): number {
    const byte = this.output ? this.output.byte : 0;
    this.output = null;
    this.updateIrqs();
    this.refill();
    return byte;
  }

  private writeCommand(value: number): void {
    this.status |= STATUS_COMMAND;
    this.pendingCommand = 0;
    switch (value) {
      case CMD_READ_COMMAND_BYTE:
        this.controllerReply(this.commandByte);
        return;
      case CMD_WRITE_COMMAND_BYTE:
      case CMD_WRITE_OUTPUT_PORT:
      case CMD_WRITE_KEYBOARD_OUTPUT:
      case CMD_WRITE_AUX_OUTPUT:
      case CMD_WRITE_AUX:
        this.pendingCommand = value;
        return;
      case CMD_DISABLE_AUX:
        this.setCommandByte(this.commandByte | COMMAND_AUX_DISABLED);
        return;
      case CMD_ENABLE_AUX:
        this.setCommandByte(this.commandByte & ~COMMAND_AUX_DISABLED);
        return;
      case CMD_TEST_AUX:
      case CMD_TEST_KEYBOARD:
        this.controllerReply(INTERFACE_TEST_PASSED);
        return;
      case CMD_SELF_TEST:
        this.status |= STATUS_SYSTEM;
        this.controllerReply(SELF_TEST_PASSED);
        return;
      case CMD_DISABLE_KEYBOARD:
        this.setCommandByte(this.commandByte | COMMAND_KEYBOARD_DISABLED);
        return;
      case CMD_ENABLE_KEYBOARD:
        this.setCommandByte(this.commandByte & ~COMMAND_KEYBOARD_DISABLED);
        return;
      case CMD_READ_INPUT_PORT:
        this.controllerReply(INPUT_PORT_VALUE);
        return;
      case CMD_READ_OUTPUT_PORT: {
        let port = (this.outputPort | OUTPUT_PORT_FIXED_ONES) & ~(OUTPUT_PORT_KEYBOARD_FULL | OUTPUT_PORT_AUX_FULL);
        if (this.output) port |= this.output.aux ? OUTPUT_PORT_AUX_FULL : OUTPUT_PORT_KEYBOARD_FULL;
        this.controllerReply(port);
        return;
      }
      case CMD_DISABLE_A20:
        this.writeOutputPort(this.outputPort & ~OUTPUT_PORT_A20);
        return;
      case CMD_ENABLE_A20:
        this.writeOutputPort(this.outputPort | OUTPUT_PORT_A20);
        return;
      case CMD_READ_TEST_INPUTS:
        this.controllerReply(0);
        return;
    }
    if (value >= CMD_PULSE_OUTPUT_FIRST && !(value & OUTPUT_PORT_RESET)) {
      // 0xFE and the other even pulse commands pulse the reset line low.
      this.options.onReset?.();
    }
  }

  private writeData(value: number): void {
    this.status &= ~STATUS_COMMAND;
    const command = this.pendingCommand;
    this.pendingCommand = 0;
    switch (command) {
      case CMD_WRITE_COMMAND_BYTE:
        this.setCommandByte(value);
        return;
      case CMD_WRITE_OUTPUT_PORT:
        this.writeOutputPort(value);
        return;
      case CMD_WRITE_KEYBOARD_OUTPUT:
        this.keyboardQueue.unshift(value);
        this.refill();
        return;
      case CMD_WRITE_AUX_OUTPUT:
        this.auxQueue.unshift(value);
        this.refill();
        return;
      case CMD_WRITE_AUX:
        this.writeAux(value);
        return;
    }
    // No controller command pending: the byte goes to the keyboard, which
    // also enables its interface again (as QEMU does).
    this.setCommandByte(this.commandByte & ~COMMAND_KEYBOARD_DISABLED);
    this.writeKeyboard(value);
  }

  private setCommandByte(value: number): void {
    this.commandByte = value;
    this.status = (this.status & ~STATUS_SYSTEM) | (value & COMMAND_SYSTEM ? STATUS_SYSTEM : 0);
    this.updateIrqs();
    this.refill();
  }

  private writeOutputPort(value: number): void {
    const changed = this.outputPort ^ value;
    this.outputPort = value | OUTPUT_PORT_RESET;
    if (changed & OUTPUT_PORT_A20) this.options.onA20?.((value & OUTPUT_PORT_A20) !== 0);
    if (!(value & OUTPUT_PORT_RESET)) this.options.onReset?.();
  }

  private writeKeyboard(value: number): void {
    const parameterFor = this.keyboardParameterFor;
    this.keyboardParameterFor = 0;
    if (parameterFor === KBD_SET_LEDS) {
      this.leds = value & 7;
      this.keyboardReply([REPLY_ACK]);
      return;
    }
    if (parameterFor === KBD_SET_TYPEMATIC) {
      this.keyboardReply([REPLY_ACK]);
      return;
    }
    if (parameterFor === KBD_SCAN_CODE_SET) {
      if (value === 0) this.keyboardReply([REPLY_ACK, this.translate(this.scanCodeSet)]);
      else if (value <= 3) {
        this.scanCodeSet = value;
        this.keyboardReply([REPLY_ACK]);
      } else this.keyboardReply([REPLY_RESEND]);
      return;
    }
    switch (value) {
      case KBD_SET_LEDS:
      case KBD_SET_TYPEMATIC:
      case KBD_SCAN_CODE_SET:
        this.keyboardParameterFor = value;
        this.keyboardReply([REPLY_ACK]);
        return;
      case KBD_ECHO:
        this.keyboardReply([KBD_ECHO]);
        return;
      case KBD_IDENTIFY:
        this.keyboardReply([REPLY_ACK, KEYBOARD_ID[0], this.translate(KEYBOARD_ID[1])]);
        return;
      case KBD_ENABLE:
        this.scanning = true;
        this.keyboardReply([REPLY_ACK]);
        return;
      case KBD_DISABLE:
        this.scanning = false;
        this.keyboardQueue = [];
        this.keyboardReply([REPLY_ACK]);
        return;
      case KBD_SET_DEFAULTS:
        this.scanning = true;
        this.keyboardReply([REPLY_ACK]);
        return;
      case KBD_RESET:
        this.scanning = true;
        this.leds = 0;
        this.scanCodeSet = 2;
        this.keyboardQueue = [];
        this.keyboardReply([REPLY_ACK, REPLY_SELF_TEST_PASSED]);
        return;
      case KBD_RESEND:
        return;
      default:
        this.keyboardReply([REPLY_RESEND]);
    }
  }

  private writeAux(value: number): void {
    const parameterFor = this.auxParameterFor;
    this.auxParameterFor = 0;
    if (parameterFor) {
      this.auxReply([REPLY_ACK]);
      return;
    }
    if (AUX_COMMANDS_WITH_PARAMETER.has(value)) this.auxParameterFor = value;
    switch (value) {
      case AUX_RESET:
        this.auxReply([REPLY_ACK, AUX_SELF_TEST_PASSED, AUX_ID_STANDARD]);
        return;
      case AUX_IDENTIFY:
        this.auxReply([REPLY_ACK, AUX_ID_STANDARD]);
        return;
      case AUX_STATUS_REQUEST:
        this.auxReply([REPLY_ACK, 0x00, 0x02, 0x64]); // stream mode, resolution 4/mm, 100 samples/s
        return;
      default:
        this.auxReply([REPLY_ACK]);
    }
  }

  /** Bytes the keyboard sends about itself pass through translation like scan codes do. */
  private translate(byte: number): number {
    return this.commandByte & COMMAND_TRANSLATE ? (TRANSLATED[byte] ?? byte) : byte;
  }

  /** The controller's own answer: it goes ahead of anything queued. */
  private controllerReply(byte: number): void {
    if (this.output) (this.output.aux ? this.auxQueue : this.keyboardQueue).unshift(this.output.byte);
    this.output = { byte, aux: false };
    this.updateIrqs();
  }

  /** Keyboard replies go ahead of queued key codes. */
  private keyboardReply(bytes: number[]): void {
    this.keyboardQueue.unshift(...bytes);
    this.refill();
  }

  private auxReply(bytes: number[]): void {
    this.auxQueue.unshift(...bytes);
    this.refill();
  }

  /** Move the next waiting byte into an empty output buffer. */
  private refill(): void {
    if (this.output) return;
    if (this.keyboardQueue.length && !(this.commandByte & COMMAND_KEYBOARD_DISABLED)) {
      this.output = { byte: this.keyboardQueue.shift()!, aux: false };
    } else if (this.auxQueue.length && !(this.commandByte & COMMAND_AUX_DISABLED)) {
      this.output = { byte: this.auxQueue.shift()!, aux: true };
    } else {
      return;
    }
    this.updateIrqs();
  }

  private updateIrqs(): void {
    const keyboard = !!this.output && !this.output.aux && (this.commandByte & COMMAND_KEYBOARD_INTERRUPT) !== 0;
    const mouse = !!this.output && this.output.aux && (this.commandByte & COMMAND_AUX_INTERRUPT) !== 0;
    if (keyboard !== this.keyboardIrqLevel) {
      this.keyboardIrqLevel = keyboard;
      this.options.keyboardIrq?.set(keyboard);
    }
    if (mouse !== this.mouseIrqLevel) {
      this.mouseIrqLevel = mouse;
      this.options.mouseIrq?.set(mouse);
    }
  }

  saveState(): DeviceState {
    return {
      name: 'i8042',
      version: 1,
      fields: {
        commandByte: this.commandByte,
        status: this.status,
        outputPort: this.outputPort,
        output: this.output && { ...this.output },
        keyboardQueue: [...this.keyboardQueue],
        auxQueue: [...this.auxQueue],
        pendingCommand: this.pendingCommand,
        keyboardParameterFor: this.keyboardParameterFor,
        auxParameterFor: this.auxParameterFor,
        scanning: this.scanning,
        scanCodeSet: this.scanCodeSet,
        leds: this.leds,
        keyboardIrqLevel: this.keyboardIrqLevel,
        mouseIrqLevel: this.mouseIrqLevel,
      },
    };
  }

  loadState(state: DeviceState): void {
    const fields = stateFields(state, 'i8042', 1);
    Object.assign(this, fields, {
      keyboardQueue: [...(fields.keyboardQueue as number[])],
      auxQueue: [...(fields.auxQueue as number[])],
    });
  }
}

// --- Text to scan codes ------------------------------------------------------

// Set 1 make codes of the main keyboard block (IBM PC/AT Technical Reference,
// "Keyboard Scan Codes"), as [unshifted, shifted] characters per key.
const KEY_ROWS: [number, string, string][] = [
  [0x02, '1234567890-=', '!@#$%^&*()_+'],
  [0x10, 'qwertyuiop[]', 'QWERTYUIOP{}'],
  [0x1e, "asdfghjkl;'`", 'ASDFGHJKL:"~'],
  [0x2b, '\\zxcvbnm,./', '|ZXCVBNM<>?'],
];
const SCAN_ESCAPE = 0x01;
const SCAN_BACKSPACE = 0x0e;
const SCAN_TAB = 0x0f;
const SCAN_ENTER = 0x1c;
const SCAN_LEFT_CTRL = 0x1d;
const SCAN_LEFT_SHIFT = 0x2a;
const SCAN_SPACE = 0x39;
const BREAK = 0x80;

/** Character -> [make code, needs shift]. */
const CHARACTER_KEYS = new Map<string, [number, boolean]>();
for (const [first, plain, shifted] of KEY_ROWS) {
  for (let i = 0; i < plain.length; i++) {
    CHARACTER_KEYS.set(plain[i], [first + i, false]);
    CHARACTER_KEYS.set(shifted[i], [first + i, true]);
  }
}
CHARACTER_KEYS.set(' ', [SCAN_SPACE, false]);
CHARACTER_KEYS.set('\n', [SCAN_ENTER, false]);
CHARACTER_KEYS.set('\r', [SCAN_ENTER, false]);
CHARACTER_KEYS.set('\t', [SCAN_TAB, false]);
CHARACTER_KEYS.set('\b', [SCAN_BACKSPACE, false]);
CHARACTER_KEYS.set('\x7f', [SCAN_BACKSPACE, false]);
CHARACTER_KEYS.set('\x1b', [SCAN_ESCAPE, false]);

/**
 * Scan code set 1 bytes that type `text` on a US keyboard: make and break for
 * every key, wrapped in left shift for shifted characters and in left ctrl
 * for control characters (Ctrl-A .. Ctrl-Z). Characters with no key throw.
 */
export function textToScancodes(text: string): number[] {
  const bytes: number[] = [];
  const press = (code: number) => bytes.push(code, code | BREAK);
  for (const character of text) {
    const key = CHARACTER_KEYS.get(character);
    if (key) {
      const [code, shift] = key;
      if (shift) bytes.push(SCAN_LEFT_SHIFT);
      press(code);
      if (shift) bytes.push(SCAN_LEFT_SHIFT | BREAK);
      continue;
    }
    const controlOf = character.charCodeAt(0);
    if (controlOf >= 1 && controlOf <= 26) {
      const letter = CHARACTER_KEYS.get(String.fromCharCode(0x60 + controlOf))!;
      bytes.push(SCAN_LEFT_CTRL);
      press(letter[0]);
      bytes.push(SCAN_LEFT_CTRL | BREAK);
      continue;
    }
    throw new Error(`no key types ${JSON.stringify(character)} on a US keyboard`);
  }
  return bytes;
}

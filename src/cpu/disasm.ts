// A disassembler driven by the opcode map in opcodes.ts, for --trace and
// debugging. It reads instruction bytes without side effects: a byte it
// cannot read (unmapped page) ends the instruction as "(unreadable)".
// Output is Intel syntax, e.g. `mov eax, [ebp+0x8]`.

import { ATTR_DB, CS, type Cpu } from './cpu.ts';
import { GROUPS, ONE_BYTE, PREFIXES, TWO_BYTE } from './opcodes.ts';

const REG8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
const REG16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
const REG32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const SREG = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', '?', '?'];
const MODRM16 = ['bx+si', 'bx+di', 'bp+si', 'bp+di', 'si', 'di', 'bp', 'bx'];

export interface Disassembly {
  /** Instruction text. */
  text: string;
  /** Instruction length in bytes. */
  length: number;
  /** The bytes, in hex. */
  bytes: string;
}

/** Disassemble the instruction at the CPU's CS:EIP. */
export function disassemble(cpu: Cpu): Disassembly {
  const base = (cpu.segBase[CS] + cpu.eip) >>> 0;
  const readByte = (offset: number): number => {
    try {
      return cpu.memory.read8(cpu.mmu.translate((base + offset) >>> 0, false, false));
    } catch {
      return -1;
    }
  };
  return disassembleBytes(readByte, (cpu.segAttributes[CS] & ATTR_DB) !== 0, cpu.eip);
}

const hex = (value: number) => `0x${(value >>> 0).toString(16)}`;

/** Disassemble from a byte source; `eip` gives branch targets. */
export function disassembleBytes(readByte: (offset: number) => number, code32: boolean, eip = 0): Disassembly {
  let position = 0;
  let unreadable = false;
  const next = (): number => {
    const value = readByte(position++);
    if (value < 0) unreadable = true;
    return value & 0xff;
  };
  const next16 = () => next() | (next() << 8);
  const next32 = () => (next16() | (next16() << 16)) >>> 0;

  let o32 = code32;
  let a32 = code32;
  const prefixes: string[] = [];
  let segment = '';
  let opcode = next();
  while (PREFIXES[opcode] && position < 15) {
    const name = PREFIXES[opcode];
    if (opcode === 0x66) o32 = !code32;
    else if (opcode === 0x67) a32 = !code32;
    else if (['es', 'cs', 'ss', 'ds', 'fs', 'gs'].includes(name)) segment = name;
    else prefixes.push(name);
    opcode = next();
  }
  let entry = ONE_BYTE[opcode];
  if (opcode === 0x0f) entry = TWO_BYTE[next()];
  if (!entry || unreadable) return finish(unreadable ? '(unreadable)' : '(bad)');

  let modrm = -1;
  const needsModrm = entry.operands.some((o) => /^(E|G|M|S|C|D|R)/.test(o)) || entry.mnemonic.startsWith('grp');
  let memoryText = '';
  if (needsModrm) {
    modrm = next();
    const mod = modrm >> 6;
    const rm = modrm & 7;
    if (mod !== 3) memoryText = a32 ? address32(mod, rm) : address16(mod, rm);
  }
  const reg = (modrm >> 3) & 7;
  let mnemonic = entry.mnemonic;
  if (mnemonic.includes('/')) mnemonic = mnemonic.split('/')[o32 ? 0 : 1];
  if (mnemonic.startsWith('grp')) mnemonic = GROUPS[mnemonic][reg] ?? '(bad)';

  const operands = entry.operands.map((form) => operand(form));
  // TEST in group 3 carries an immediate the other members lack.
  if (entry.mnemonic === 'grp3' && reg < 2) operands.push(operand(opcode === 0xf6 ? 'Ib' : 'Iv'));
  return finish([...prefixes, mnemonic].join(' ') + (operands.length ? ' ' + operands.join(', ') : ''));

  function finish(text: string): Disassembly {
    const bytes: string[] = [];
    for (let i = 0; i < position; i++) bytes.push((readByte(i) & 0xff).toString(16).padStart(2, '0'));
    return { text, length: position, bytes: bytes.join(' ') };
  }

  function address16(mod: number, rm: number): string {
    if (mod === 0 && rm === 6) return `[${segment ? segment + ':' : ''}${hex(next16())}]`;
    let text = MODRM16[rm];
    if (mod === 1) text += signed((next() << 24) >> 24);
    else if (mod === 2) text += signed((next16() << 16) >> 16);
    return `[${segment ? segment + ':' : ''}${text}]`;
  }

  function address32(mod: number, rm: number): string {
    let text = '';
    if (rm === 4) {
      const sib = next();
      const scale = 1 << (sib >> 6);
      const index = (sib >> 3) & 7;
      const baseReg = sib & 7;
      if (baseReg === 5 && mod === 0) text = hex(next32());
      else text = REG32[baseReg];
      if (index !== 4) text += `+${REG32[index]}${scale > 1 ? '*' + scale : ''}`;
    } else if (rm === 5 && mod === 0) {
      text = hex(next32());
    } else {
      text = REG32[rm];
    }
    if (mod === 1) text += signed((next() << 24) >> 24);
    else if (mod === 2) text += signed(next32() | 0);
    return `[${segment ? segment + ':' : ''}${text}]`;
  }

  function signed(value: number): string {
    return value < 0 ? `-${hex(-value)}` : `+${hex(value)}`;
  }

  function operand(form: string): string {
    const rm = modrm & 7;
    const mod = modrm >> 6;
    switch (form) {
      case 'Eb': return mod === 3 ? REG8[rm] : `byte ${memoryText}`;
      case 'Ew': return mod === 3 ? REG16[rm] : `word ${memoryText}`;
      case 'Ev': return mod === 3 ? (o32 ? REG32 : REG16)[rm] : `${o32 ? 'dword' : 'word'} ${memoryText}`;
      case 'M': case 'Mp': return memoryText || '(bad)';
      case 'Gb': return REG8[reg];
      case 'Gw': return REG16[reg];
      case 'Gv': return (o32 ? REG32 : REG16)[reg];
      case 'Sw': return SREG[reg];
      case 'Cd': return `cr${reg}`;
      case 'Dd': return `dr${reg}`;
      case 'Rd': return REG32[rm];
      case 'Ib': return hex(next());
      case 'Ibs': return hex(((next() << 24) >> 24) >>> 0);
      case 'Iw': return hex(next16());
      case 'Iv': return hex(o32 ? next32() : next16());
      case 'Jb': { const d = (next() << 24) >> 24; return hex(eip + position + d); }
      case 'Jv': { const d = o32 ? next32() | 0 : (next16() << 16) >> 16; return hex(eip + position + d); }
      case 'Ap': { const offset = o32 ? next32() : next16(); return `${hex(next16())}:${hex(offset)}`; }
      case 'Ob': case 'Ov': return `[${segment ? segment + ':' : ''}${hex(a32 ? next32() : next16())}]`;
      case 'AL': return 'al';
      case 'CL': return 'cl';
      case 'DX': return 'dx';
      case 'eAX': return o32 ? 'eax' : 'ax';
      default: return form;
    }
  }
}

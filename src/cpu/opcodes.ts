// The i386 opcode map as data (SDM Vol. 2, appendix A): mnemonic and operand
// forms for every one-byte and 0F two-byte opcode, with the ModRM-reg group
// tables. The disassembler (disasm.ts) reads it, and so can generated tests.
// Execution dispatches through the switch in execute.ts, whose cases follow
// the same map.
//
// Operand forms, in the SDM's notation:
//   Eb Ew Ev  ModRM r/m operand of 8, 16, or 16/32 bits; M memory only; Mp far pointer
//   Gb Gv     ModRM reg operand;  Sw segment register;  Cd Dd control/debug register
//   Ib Iw Iv  immediate of 8, 16, 16/32 bits;  Ibs sign-extended imm8
//   Jb Jv     relative branch target;  Ap far pointer immediate;  Ob Ov memory offset
//   AL CL DX eAX, 1, and register names: fixed operands
// A `/` in the mnemonic chooses by operand size (e.g. cwde/cbw: 32-bit/16-bit).

export interface OpcodeEntry {
  mnemonic: string;
  operands: string[];
}

function entry(text: string): OpcodeEntry {
  const [mnemonic, operands = ''] = text.split(' ');
  return { mnemonic, operands: operands ? operands.split(',') : [] };
}

const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
const REG32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];

function buildOneByte(): (OpcodeEntry | null)[] {
  const t: (OpcodeEntry | null)[] = new Array(256).fill(null);
  ALU.forEach((op, i) => {
    const base = i * 8;
    t[base] = entry(`${op} Eb,Gb`);
    t[base + 1] = entry(`${op} Ev,Gv`);
    t[base + 2] = entry(`${op} Gb,Eb`);
    t[base + 3] = entry(`${op} Gv,Ev`);
    t[base + 4] = entry(`${op} AL,Ib`);
    t[base + 5] = entry(`${op} eAX,Iv`);
  });
  const fixed: Record<number, string> = {
    0x06: 'push es', 0x07: 'pop es', 0x0e: 'push cs', 0x16: 'push ss', 0x17: 'pop ss', 0x1e: 'push ds', 0x1f: 'pop ds',
    0x27: 'daa', 0x2f: 'das', 0x37: 'aaa', 0x3f: 'aas',
    0x60: 'pushad/pusha', 0x61: 'popad/popa', 0x62: 'bound Gv,M', 0x63: 'arpl Ew,Gw',
    0x68: 'push Iv', 0x69: 'imul Gv,Ev,Iv', 0x6a: 'push Ibs', 0x6b: 'imul Gv,Ev,Ibs',
    0x6c: 'insb', 0x6d: 'insd/insw', 0x6e: 'outsb', 0x6f: 'outsd/outsw',
    0x80: 'grp1 Eb,Ib', 0x81: 'grp1 Ev,Iv', 0x82: 'grp1 Eb,Ib', 0x83: 'grp1 Ev,Ibs',
    0x84: 'test Eb,Gb', 0x85: 'test Ev,Gv', 0x86: 'xchg Eb,Gb', 0x87: 'xchg Ev,Gv',
    0x88: 'mov Eb,Gb', 0x89: 'mov Ev,Gv', 0x8a: 'mov Gb,Eb', 0x8b: 'mov Gv,Ev', 0x8c: 'mov Ev,Sw', 0x8d: 'lea Gv,M',
    0x8e: 'mov Sw,Ew', 0x8f: 'pop Ev', 0x90: 'nop',
    0x98: 'cwde/cbw', 0x99: 'cdq/cwd', 0x9a: 'call Ap', 0x9b: 'wait', 0x9c: 'pushfd/pushf', 0x9d: 'popfd/popf',
    0x9e: 'sahf', 0x9f: 'lahf', 0xa0: 'mov AL,Ob', 0xa1: 'mov eAX,Ov', 0xa2: 'mov Ob,AL', 0xa3: 'mov Ov,eAX',
    0xa4: 'movsb', 0xa5: 'movsd/movsw', 0xa6: 'cmpsb', 0xa7: 'cmpsd/cmpsw', 0xa8: 'test AL,Ib', 0xa9: 'test eAX,Iv',
    0xaa: 'stosb', 0xab: 'stosd/stosw', 0xac: 'lodsb', 0xad: 'lodsd/lodsw', 0xae: 'scasb', 0xaf: 'scasd/scasw',
    0xc0: 'grp2 Eb,Ib', 0xc1: 'grp2 Ev,Ib', 0xc2: 'ret Iw', 0xc3: 'ret', 0xc4: 'les Gv,Mp', 0xc5: 'lds Gv,Mp',
    0xc6: 'mov Eb,Ib', 0xc7: 'mov Ev,Iv', 0xc8: 'enter Iw,Ib', 0xc9: 'leave', 0xca: 'retf Iw', 0xcb: 'retf',
    0xcc: 'int3', 0xcd: 'int Ib', 0xce: 'into', 0xcf: 'iretd/iret',
    0xd0: 'grp2 Eb,1', 0xd1: 'grp2 Ev,1', 0xd2: 'grp2 Eb,CL', 0xd3: 'grp2 Ev,CL', 0xd4: 'aam Ib', 0xd5: 'aad Ib',
    0xd6: 'salc', 0xd7: 'xlat',
    0xe0: 'loopne Jb', 0xe1: 'loope Jb', 0xe2: 'loop Jb', 0xe3: 'jecxz Jb', 0xe4: 'in AL,Ib', 0xe5: 'in eAX,Ib',
    0xe6: 'out Ib,AL', 0xe7: 'out Ib,eAX', 0xe8: 'call Jv', 0xe9: 'jmp Jv', 0xea: 'jmp Ap', 0xeb: 'jmp Jb',
    0xec: 'in AL,DX', 0xed: 'in eAX,DX', 0xee: 'out DX,AL', 0xef: 'out DX,eAX',
    0xf1: 'int1', 0xf4: 'hlt', 0xf5: 'cmc', 0xf6: 'grp3 Eb', 0xf7: 'grp3 Ev', 0xf8: 'clc', 0xf9: 'stc',
    0xfa: 'cli', 0xfb: 'sti', 0xfc: 'cld', 0xfd: 'std', 0xfe: 'grp4 Eb', 0xff: 'grp5 Ev',
  };
  for (const [code, text] of Object.entries(fixed)) t[Number(code)] = entry(text);
  for (let r = 0; r < 8; r++) {
    t[0x40 + r] = entry(`inc ${REG32[r]}`);
    t[0x48 + r] = entry(`dec ${REG32[r]}`);
    t[0x50 + r] = entry(`push ${REG32[r]}`);
    t[0x58 + r] = entry(`pop ${REG32[r]}`);
    if (r) t[0x90 + r] = entry(`xchg eAX,${REG32[r]}`);
    t[0xb0 + r] = entry(`mov ${['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'][r]},Ib`);
    t[0xb8 + r] = entry(`mov ${REG32[r]},Iv`);
  }
  for (let cc = 0; cc < 16; cc++) t[0x70 + cc] = entry(`j${CC[cc]} Jb`);
  for (let esc = 0xd8; esc <= 0xdf; esc++) t[esc] = entry('fpu Ev');
  return t;
}

function buildTwoByte(): (OpcodeEntry | null)[] {
  const t: (OpcodeEntry | null)[] = new Array(256).fill(null);
  const fixed: Record<number, string> = {
    0x00: 'grp6 Ew', 0x01: 'grp7 M', 0x02: 'lar Gv,Ew', 0x03: 'lsl Gv,Ew', 0x06: 'clts', 0x08: 'invd', 0x09: 'wbinvd',
    0x0b: 'ud2', 0x0d: 'nop Ev', 0x20: 'mov Rd,Cd', 0x21: 'mov Rd,Dd', 0x22: 'mov Cd,Rd', 0x23: 'mov Dd,Rd',
    0x30: 'wrmsr', 0x31: 'rdtsc', 0x32: 'rdmsr', 0xa0: 'push fs', 0xa1: 'pop fs', 0xa2: 'cpuid', 0xa3: 'bt Ev,Gv',
    0xa4: 'shld Ev,Gv,Ib', 0xa5: 'shld Ev,Gv,CL', 0xa8: 'push gs', 0xa9: 'pop gs', 0xab: 'bts Ev,Gv',
    0xac: 'shrd Ev,Gv,Ib', 0xad: 'shrd Ev,Gv,CL', 0xaf: 'imul Gv,Ev', 0xb0: 'cmpxchg Eb,Gb', 0xb1: 'cmpxchg Ev,Gv',
    0xb2: 'lss Gv,Mp', 0xb3: 'btr Ev,Gv', 0xb4: 'lfs Gv,Mp', 0xb5: 'lgs Gv,Mp', 0xb6: 'movzx Gv,Eb', 0xb7: 'movzx Gv,Ew',
    0xba: 'grp8 Ev,Ib', 0xbb: 'btc Ev,Gv', 0xbc: 'bsf Gv,Ev', 0xbd: 'bsr Gv,Ev', 0xbe: 'movsx Gv,Eb', 0xbf: 'movsx Gv,Ew',
    0xc0: 'xadd Eb,Gb', 0xc1: 'xadd Ev,Gv', 0xc7: 'grp9 Ev',
  };
  for (const [code, text] of Object.entries(fixed)) t[Number(code)] = entry(text);
  for (let op = 0x18; op <= 0x1f; op++) t[op] = entry('nop Ev');
  for (let cc = 0; cc < 16; cc++) {
    t[0x40 + cc] = entry(`cmov${CC[cc]} Gv,Ev`);
    t[0x80 + cc] = entry(`j${CC[cc]} Jv`);
    t[0x90 + cc] = entry(`set${CC[cc]} Eb`);
  }
  for (let r = 0; r < 8; r++) t[0xc8 + r] = entry(`bswap ${REG32[r]}`);
  return t;
}

export const ONE_BYTE = buildOneByte();
export const TWO_BYTE = buildTwoByte();

/** Group tables: the mnemonic chosen by the ModRM reg field (null: #UD). */
export const GROUPS: Record<string, (string | null)[]> = {
  grp1: ALU,
  grp2: ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'],
  grp3: ['test', 'test', 'not', 'neg', 'mul', 'imul', 'div', 'idiv'],
  grp4: ['inc', 'dec', null, null, null, null, null, null],
  grp5: ['inc', 'dec', 'call', 'call far', 'jmp', 'jmp far', 'push', null],
  grp6: ['sldt', 'str', 'lldt', 'ltr', 'verr', 'verw', null, null],
  grp7: ['sgdt', 'sidt', 'lgdt', 'lidt', 'smsw', null, 'lmsw', 'invlpg'],
  grp8: [null, null, null, null, 'bt', 'bts', 'btr', 'btc'],
  grp9: [null, 'cmpxchg8b', null, null, null, null, 'rdrand', null],
};

/** Prefix bytes. */
export const PREFIXES: Record<number, string> = {
  0x26: 'es', 0x2e: 'cs', 0x36: 'ss', 0x3e: 'ds', 0x64: 'fs', 0x65: 'gs',
  0x66: 'o16', 0x67: 'a16', 0xf0: 'lock', 0xf2: 'repne', 0xf3: 'rep',
};

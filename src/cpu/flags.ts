// EFLAGS with lazily computed arithmetic flags.
//
// Most instructions that set flags are followed by one that reads at most
// one of them (a Jcc, SETcc, CMOVcc) or by another that overwrites them all.
// So the ALU records the operation, its operands and its result, and CF, PF,
// AF, ZF, SF and OF are derived only when someone asks (SDM Vol. 1, 3.4.3 and
// appendix A). `bits` holds every other flag, and the arithmetic flags too
// whenever `op` is OP_NONE.
//
// Undefined flags (what jos86 produces, per instruction family):
//   AND/OR/XOR/TEST: AF = 0.
//   SHL/SHR/SAR/ROL/ROR/RCL/RCR, SHLD/SHRD: for a count of 1 OF is defined;
//     for larger counts OF is computed with the count-1 formula (as QEMU does);
//     AF = 0 after shifts; rotates leave SF/ZF/PF/AF unchanged.
//   MUL/IMUL: SF, ZF and PF from the low half of the result, AF = 0.
//   DIV/IDIV: all six flags unchanged.
//   BSF/BSR: ZF defined; CF, OF, SF, AF, PF unchanged. The destination is unchanged when the source is 0.
//   BT/BTS/BTR/BTC: CF defined; the others unchanged.
//   AAA/AAS: OF, SF, ZF, PF from the AL result as an 8-bit logic op (QEMU-like); AAM/AAD: CF, OF, AF = 0.
//   DAA/DAS: OF = 0.

export const FLAG_CF = 1 << 0;
export const FLAG_FIXED = 1 << 1; // always 1
export const FLAG_PF = 1 << 2;
export const FLAG_AF = 1 << 4;
export const FLAG_ZF = 1 << 6;
export const FLAG_SF = 1 << 7;
export const FLAG_TF = 1 << 8;
export const FLAG_IF = 1 << 9;
export const FLAG_DF = 1 << 10;
export const FLAG_OF = 1 << 11;
export const FLAG_IOPL = 3 << 12;
export const FLAG_NT = 1 << 14;
export const FLAG_RF = 1 << 16;
export const FLAG_VM = 1 << 17;
export const FLAG_AC = 1 << 18;
export const FLAG_ID = 1 << 21;

export const ARITH_FLAGS = FLAG_CF | FLAG_PF | FLAG_AF | FLAG_ZF | FLAG_SF | FLAG_OF;

export const OP_NONE = 0;
export const OP_ADD = 1;
export const OP_ADC = 2;
export const OP_SUB = 3;
export const OP_SBB = 4;
export const OP_LOGIC = 5;
export const OP_INC = 6;
export const OP_DEC = 7;
/** SHL/SHR/SAR by a nonzero count: `a` holds CF in bit 0 and OF in bit 1; AF = 0; SF ZF PF from the result. */
export const OP_SHIFT = 8;

const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let ones = 0;
  for (let b = i; b; b >>= 1) ones += b & 1;
  PARITY[i] = ones & 1 ? 0 : FLAG_PF;
}

/** Operand-size masks and sign bits indexed by size in bytes. */
export const SIZE_MASK = [0, 0xff, 0xffff, 0, 0xffffffff];
export const SIZE_SIGN = [0, 0x80, 0x8000, 0, 0x80000000];

export class Flags {
  /** Non-arithmetic flags always; arithmetic flags when op === OP_NONE. */
  bits = FLAG_FIXED;
  op = OP_NONE;
  /** Operand size in bytes (1, 2, 4) of the recorded op. */
  size = 4;
  // Any 32-bit value: doubles from the start (see WIDE in cpu.ts), then 0.
  a = 2 ** 31;
  b = 2 ** 31;
  result = 2 ** 31;
  /** Carry into ADC/SBB, which their CF depends on. */
  carryIn = 0;

  constructor() {
    this.a = 0;
    this.b = 0;
    this.result = 0;
  }

  /** Record an arithmetic result; CF is kept in `bits` for INC/DEC, which do not change it. */
  record(op: number, size: number, a: number, b: number, result: number): void {
    if (op === OP_INC || op === OP_DEC) {
      if (this.op !== OP_NONE) this.bits = (this.bits & ~FLAG_CF) | (this.computeCF() ? FLAG_CF : 0);
    }
    this.op = op;
    this.size = size;
    // Stored as signed 32-bit integers (every reader masks first), so that
    // operands above 2^31 do not become heap numbers.
    this.a = a | 0;
    this.b = b | 0;
    this.result = result | 0;
  }

  /** Set all six arithmetic flags eagerly (shifts, multiplies, BCD...). */
  setArith(flags: number): void {
    this.bits = (this.bits & ~ARITH_FLAGS) | (flags & ARITH_FLAGS);
    this.op = OP_NONE;
  }

  /**
   * Set CF and OF (each 0 or 1) and keep SF, ZF, PF and AF, as ROL and ROR
   * do: only those four are derived from a recorded operation.
   */
  setCarryOverflow(cf: number, of: number): void {
    if (this.op !== OP_NONE) {
      const result = this.result & SIZE_MASK[this.size];
      this.bits =
        (this.bits & ~ARITH_FLAGS) |
        PARITY[result & 0xff] |
        (this.af() ? FLAG_AF : 0) |
        (result === 0 ? FLAG_ZF : 0) |
        (result & SIZE_SIGN[this.size] ? FLAG_SF : 0);
      this.op = OP_NONE;
    }
    this.bits = (this.bits & ~(FLAG_CF | FLAG_OF)) | (cf ? FLAG_CF : 0) | (of ? FLAG_OF : 0);
  }

  /** Make `bits` hold the arithmetic flags too. */
  materialize(): void {
    if (this.op === OP_NONE) return;
    // ZF, SF and PF come from the result after every recorded operation.
    const result = this.result & SIZE_MASK[this.size];
    const value =
      (this.computeCF() ? FLAG_CF : 0) |
      PARITY[result & 0xff] |
      (this.af() ? FLAG_AF : 0) |
      (result === 0 ? FLAG_ZF : 0) |
      (result & SIZE_SIGN[this.size] ? FLAG_SF : 0) |
      (this.of() ? FLAG_OF : 0);
    this.bits = (this.bits & ~ARITH_FLAGS) | value;
    this.op = OP_NONE;
  }

  get(): number {
    this.materialize();
    return this.bits;
  }

  set(value: number): void {
    this.bits = (value & 0x003f7fd5) | FLAG_FIXED;
    this.op = OP_NONE;
  }

  /** Change only the flags in `mask`. */
  setMasked(value: number, mask: number): void {
    this.materialize();
    this.set((this.bits & ~mask) | (value & mask));
  }

  cf(): boolean {
    return this.op === OP_NONE ? (this.bits & FLAG_CF) !== 0 : this.computeCF();
  }

  private computeCF(): boolean {
    const mask = SIZE_MASK[this.size];
    switch (this.op) {
      case OP_ADD:
        return (this.result & mask) >>> 0 < (this.a & mask) >>> 0;
      case OP_ADC:
        return this.carryIn ? (this.result & mask) >>> 0 <= (this.a & mask) >>> 0 : (this.result & mask) >>> 0 < (this.a & mask) >>> 0;
      case OP_SUB:
        return (this.a & mask) >>> 0 < (this.b & mask) >>> 0;
      case OP_SBB:
        return this.carryIn ? (this.a & mask) >>> 0 <= (this.b & mask) >>> 0 : (this.a & mask) >>> 0 < (this.b & mask) >>> 0;
      case OP_LOGIC:
        return false;
      case OP_SHIFT:
        return (this.a & 1) !== 0;
      case OP_INC:
      case OP_DEC:
        return (this.bits & FLAG_CF) !== 0;
      default:
        return (this.bits & FLAG_CF) !== 0;
    }
  }

  zf(): boolean {
    if (this.op === OP_NONE) return (this.bits & FLAG_ZF) !== 0;
    return (this.result & SIZE_MASK[this.size]) === 0;
  }

  sf(): boolean {
    if (this.op === OP_NONE) return (this.bits & FLAG_SF) !== 0;
    return (this.result & SIZE_SIGN[this.size]) !== 0;
  }

  pf(): boolean {
    if (this.op === OP_NONE) return (this.bits & FLAG_PF) !== 0;
    return PARITY[this.result & 0xff] !== 0;
  }

  af(): boolean {
    switch (this.op) {
      case OP_NONE:
        return (this.bits & FLAG_AF) !== 0;
      case OP_LOGIC:
      case OP_SHIFT:
        return false;
      case OP_INC:
        return (this.result & 0xf) === 0;
      case OP_DEC:
        return (this.result & 0xf) === 0xf;
      default:
        return ((this.a ^ this.b ^ this.result) & 0x10) !== 0;
    }
  }

  of(): boolean {
    const sign = SIZE_SIGN[this.size];
    switch (this.op) {
      case OP_NONE:
        return (this.bits & FLAG_OF) !== 0;
      case OP_ADD:
      case OP_ADC:
        return ((this.a ^ this.result) & (this.b ^ this.result) & sign) !== 0;
      case OP_SUB:
      case OP_SBB:
        return ((this.a ^ this.b) & (this.a ^ this.result) & sign) !== 0;
      case OP_INC:
        return (this.result & SIZE_MASK[this.size]) >>> 0 === sign >>> 0;
      case OP_DEC:
        return (this.result & SIZE_MASK[this.size]) >>> 0 === (sign - 1) >>> 0;
      case OP_SHIFT:
        return (this.a & 2) !== 0;
      default:
        return false;
    }
  }

  /** Evaluate condition code `cc` (the low nibble of Jcc/SETcc/CMOVcc). */
  condition(cc: number): boolean {
    const op = this.op;
    if (op === OP_SUB || op === OP_LOGIC) return this.conditionAfterCompare(cc);
    let result: boolean;
    switch (cc >> 1) {
      case 0: result = this.of(); break;
      case 1: result = this.cf(); break;
      case 2: result = this.zf(); break;
      case 3: result = this.cf() || this.zf(); break;
      case 4: result = this.sf(); break;
      case 5: result = this.pf(); break;
      case 6: result = this.sf() !== this.of(); break;
      default: result = this.zf() || this.sf() !== this.of(); break;
    }
    return cc & 1 ? !result : result;
  }

  /**
   * Conditions straight from the operands of a compare (SUB/CMP) or a
   * logic op (AND/OR/XOR/TEST, where CF = OF = 0): the fast path behind
   * almost every Jcc a compiler emits.
   */
  private conditionAfterCompare(cc: number): boolean {
    const size = this.size;
    const mask = SIZE_MASK[size];
    const shift = 32 - size * 8;
    const result = this.result & mask;
    let taken: boolean;
    if (this.op === OP_LOGIC) {
      const sf = ((result << shift) | 0) < 0;
      switch (cc >> 1) {
        case 0: taken = false; break; // OF
        case 1: taken = false; break; // CF
        case 2: taken = result === 0; break;
        case 3: taken = result === 0; break; // CF or ZF
        case 4: taken = sf; break;
        case 5: taken = PARITY[result & 0xff] !== 0; break;
        case 6: taken = sf; break; // SF != OF
        default: taken = result === 0 || sf; break;
      }
    } else {
      const a = (this.a & mask) >>> 0;
      const b = (this.b & mask) >>> 0;
      switch (cc >> 1) {
        case 0: taken = this.of(); break;
        case 1: taken = a < b; break; // B
        case 2: taken = a === b; break; // E
        case 3: taken = a <= b; break; // BE
        case 4: taken = ((result << shift) | 0) < 0; break; // S
        case 5: taken = PARITY[result & 0xff] !== 0; break;
        case 6: taken = (a << shift) >> shift < (b << shift) >> shift; break; // L: signed compare
        default: taken = (a << shift) >> shift <= (b << shift) >> shift; break; // LE
      }
    }
    return cc & 1 ? !taken : taken;
  }
}

export function parity(value: number): number {
  return PARITY[value & 0xff];
}

// Arithmetic, logic, shift, multiply, divide and BCD operations: the pure
// computations behind the instructions, each setting flags as SDM Vol. 2
// describes (undefined flags are documented in flags.ts).

import { CpuFault, Vector, type Cpu } from './cpu.ts';
import {
  FLAG_AF, FLAG_CF, FLAG_OF, FLAG_PF, FLAG_SF, FLAG_ZF,
  OP_ADC, OP_ADD, OP_DEC, OP_INC, OP_LOGIC, OP_SBB, OP_SHIFT, OP_SUB, SIZE_MASK, SIZE_SIGN, parity,
} from './flags.ts';

/** The eight ALU operations in opcode order: ADD OR ADC SBB AND SUB XOR CMP. */
export function alu(cpu: Cpu, op: number, a: number, b: number, size: number): number {
  const flags = cpu.flags;
  const mask = SIZE_MASK[size];
  let result: number;
  switch (op) {
    case 0:
      result = (a + b) & mask;
      flags.record(OP_ADD, size, a, b, result);
      return result;
    case 1:
      result = (a | b) & mask;
      flags.record(OP_LOGIC, size, a, b, result);
      return result;
    case 2: {
      const carry = flags.cf() ? 1 : 0;
      result = (a + b + carry) & mask;
      flags.carryIn = carry;
      flags.record(OP_ADC, size, a, b, result);
      return result;
    }
    case 3: {
      const carry = flags.cf() ? 1 : 0;
      result = (a - b - carry) & mask;
      flags.carryIn = carry;
      flags.record(OP_SBB, size, a, b, result);
      return result;
    }
    case 4:
      result = a & b & mask;
      flags.record(OP_LOGIC, size, a, b, result);
      return result;
    case 5:
    case 7:
      result = (a - b) & mask;
      flags.record(OP_SUB, size, a, b, result);
      return result;
    default:
      result = (a ^ b) & mask;
      flags.record(OP_LOGIC, size, a, b, result);
      return result;
  }
}

export function inc(cpu: Cpu, a: number, size: number): number {
  const result = (a + 1) & SIZE_MASK[size];
  cpu.flags.record(OP_INC, size, a, 1, result);
  return result;
}

export function dec(cpu: Cpu, a: number, size: number): number {
  const result = (a - 1) & SIZE_MASK[size];
  cpu.flags.record(OP_DEC, size, a, 1, result);
  return result;
}

export function neg(cpu: Cpu, a: number, size: number): number {
  const result = -a & SIZE_MASK[size];
  cpu.flags.record(OP_SUB, size, 0, a, result);
  return result;
}

function szp(result: number, size: number): number {
  const masked = result & SIZE_MASK[size];
  return (masked === 0 ? FLAG_ZF : 0) | (masked & SIZE_SIGN[size] ? FLAG_SF : 0) | parity(masked);
}

/**
 * Group-2 shifts and rotates: ROL ROR RCL RCR SHL SHR SAL SAR. `count` is
 * already masked to 5 bits; a zero count changes nothing (the caller skips the write).
 */
export function shift(cpu: Cpu, op: number, a: number, count: number, size: number): number {
  const bits = size * 8;
  const mask = SIZE_MASK[size];
  const sign = SIZE_SIGN[size];
  const flags = cpu.flags;
  a &= mask;
  let result: number;
  let cf: number;
  let of: number;
  switch (op) {
    case 0: { // ROL
      const n = count & (bits - 1);
      result = n ? ((a << n) | (a >>> (bits - n))) & mask : a;
      cf = result & 1;
      of = (result & sign ? 1 : 0) ^ cf;
      flags.setCarryOverflow(cf, of);
      return result >>> 0;
    }
    case 1: { // ROR
      const n = count & (bits - 1);
      result = n ? ((a >>> n) | (a << (bits - n))) & mask : a;
      cf = result & sign ? 1 : 0;
      of = cf ^ (result & (sign >>> 1) ? 1 : 0);
      flags.setCarryOverflow(cf, of);
      return result >>> 0;
    }
    case 2: { // RCL: rotate through carry, width bits + 1
      const n = count % (bits + 1);
      let value = a;
      let carry = flags.cf() ? 1 : 0;
      for (let i = 0; i < n; i++) {
        const out = value & sign ? 1 : 0;
        value = ((value << 1) | carry) & mask;
        carry = out;
      }
      of = (value & sign ? 1 : 0) ^ carry;
      flags.setArith((flags.get() & ~(FLAG_CF | FLAG_OF)) | (carry ? FLAG_CF : 0) | (of ? FLAG_OF : 0));
      return value >>> 0;
    }
    case 3: { // RCR
      const n = count % (bits + 1);
      let value = a;
      let carry = flags.cf() ? 1 : 0;
      of = (value & sign ? 1 : 0) ^ carry;
      for (let i = 0; i < n; i++) {
        const out = value & 1;
        value = ((value >>> 1) | (carry ? sign : 0)) & mask;
        carry = out;
      }
      flags.setArith((flags.get() & ~(FLAG_CF | FLAG_OF)) | (carry ? FLAG_CF : 0) | (of ? FLAG_OF : 0));
      return value >>> 0;
    }
    default:
      return shiftLogical(cpu, op, a, count, size);
  }
}

/** SHL/SAL (op 4, 6), SHR (5), SAR (7) by a nonzero count masked to 5 bits; flags recorded lazily. */
export function shiftLogical(cpu: Cpu, op: number, a: number, count: number, size: number): number {
  const bits = size * 8;
  const mask = SIZE_MASK[size];
  const sign = SIZE_SIGN[size];
  a &= mask;
  let result: number;
  let cf: number;
  let of: number;
  switch (op) {
    case 4:
    case 6: { // SHL/SAL
      if (count <= bits) {
        result = count === 32 ? 0 : (a << count) & mask;
        cf = count === 0 ? 0 : (a >>> (bits - count)) & 1;
      } else {
        result = 0;
        cf = 0;
      }
      of = (result & sign ? 1 : 0) ^ cf;
      break;
    }
    case 5: { // SHR
      result = count >= 32 ? 0 : (a >>> count) & mask;
      cf = count > bits ? 0 : (a >>> (count - 1)) & 1;
      of = count > bits ? 0 : ((a >>> (count - 1)) & sign ? 1 : 0) ^ (result & sign ? 1 : 0);
      break;
    }
    default: { // SAR
      const signed = size === 4 ? a | 0 : size === 2 ? (a << 16) >> 16 : (a << 24) >> 24;
      const n = count > bits - 1 ? bits - 1 : count;
      result = (signed >> n) & mask;
      cf = (signed >> (count > bits ? bits - 1 : count - 1)) & 1;
      of = 0;
      break;
    }
  }
  // SF, ZF and PF are derived from the result only if someone asks.
  cpu.flags.record(OP_SHIFT, size, cf | (of << 1), 0, result);
  return result >>> 0;
}

/** SHLD/SHRD (count already masked to 5 bits, nonzero). */
export function doubleShift(cpu: Cpu, left: boolean, dest: number, source: number, count: number, size: number): number {
  const bits = size * 8;
  const mask = SIZE_MASK[size];
  const sign = SIZE_SIGN[size];
  dest &= mask;
  source &= mask;
  let result: number;
  let cf: number;
  if (size === 4 || count <= bits) {
    if (left) {
      result = count === bits ? source : ((dest << count) | (source >>> (bits - count))) & mask;
      cf = (dest >>> (bits - count)) & 1;
    } else {
      result = count === bits ? source : ((dest >>> count) | (source << (bits - count))) & mask;
      cf = (dest >>> (count - 1)) & 1;
    }
  } else {
    // 16-bit operand with a count above 16: undefined result; shift the 32-bit concatenation as QEMU does.
    const wide = left ? ((dest << 16) | source) >>> 0 : ((source << 16) | dest) >>> 0;
    const n = count;
    if (left) {
      const shifted = n < 32 ? ((wide << n) | (dest << (n - 16))) >>> 0 : 0;
      result = (shifted >>> 16) & mask;
      cf = (wide >>> (32 - n)) & 1;
    } else {
      const shifted = (wide >>> n) | (n > 16 ? dest << (32 - n) : 0);
      result = shifted & mask;
      cf = (wide >>> (n - 1)) & 1;
    }
  }
  const of = ((result ^ dest) & sign) !== 0;
  cpu.flags.setArith((cf ? FLAG_CF : 0) | (of ? FLAG_OF : 0) | szp(result, size));
  return result >>> 0;
}

/** Unsigned 32x32 -> 64 multiply: returns [low, high] as unsigned numbers. */
export function multiply32(a: number, b: number): [number, number] {
  a >>>= 0;
  b >>>= 0;
  const aLow = a & 0xffff, aHigh = a >>> 16, bLow = b & 0xffff, bHigh = b >>> 16;
  const lowLow = aLow * bLow;
  const lowHigh = aLow * bHigh;
  const highLow = aHigh * bLow;
  const middle = (lowLow >>> 16) + (lowHigh & 0xffff) + (highLow & 0xffff);
  const low = (((middle & 0xffff) << 16) | (lowLow & 0xffff)) >>> 0;
  const high = (aHigh * bHigh + (lowHigh >>> 16) + (highLow >>> 16) + (middle >>> 16)) >>> 0;
  return [low, high];
}

function mulFlags(cpu: Cpu, overflow: boolean, low: number, size: number): void {
  cpu.flags.setArith((overflow ? FLAG_CF | FLAG_OF : 0) | szp(low, size));
}

/** MUL: unsigned AL/AX/EAX times the operand into AX / DX:AX / EDX:EAX. */
export function mul(cpu: Cpu, source: number, size: number): void {
  const r = cpu.reg32;
  if (size === 1) {
    const product = cpu.reg8[0] * (source & 0xff);
    cpu.reg16[0] = product;
    mulFlags(cpu, product > 0xff, product, 1);
  } else if (size === 2) {
    const product = cpu.reg16[0] * (source & 0xffff);
    cpu.reg16[0] = product;
    cpu.reg16[4] = product >>> 16;
    mulFlags(cpu, product > 0xffff, product, 2);
  } else {
    const [low, high] = multiply32(r[0], source);
    r[0] = low;
    r[2] = high;
    mulFlags(cpu, high !== 0, low, 4);
  }
}

function signExtend(value: number, size: number): number {
  return size === 4 ? value | 0 : size === 2 ? (value << 16) >> 16 : (value << 24) >> 24;
}

/** One-operand IMUL into AX / DX:AX / EDX:EAX. */
export function imulWide(cpu: Cpu, source: number, size: number): void {
  const r = cpu.reg32;
  if (size === 1) {
    const product = signExtend(cpu.reg8[0], 1) * signExtend(source, 1);
    cpu.reg16[0] = product;
    mulFlags(cpu, product !== signExtend(product, 1), product, 1);
  } else if (size === 2) {
    const product = signExtend(cpu.reg16[0], 2) * signExtend(source, 2);
    cpu.reg16[0] = product;
    cpu.reg16[4] = product >> 16;
    mulFlags(cpu, product !== signExtend(product, 2), product, 2);
  } else {
    const a = r[0] | 0;
    const b = source | 0;
    let [low, high] = multiply32(a, b);
    // Signed high half: subtract the other operand for each negative operand.
    if (a < 0) high = (high - (b >>> 0)) >>> 0;
    if (b < 0) high = (high - (a >>> 0)) >>> 0;
    r[0] = low;
    r[2] = high;
    mulFlags(cpu, (high | 0) !== ((low | 0) >> 31), low, 4);
  }
}

/** Two- and three-operand IMUL: truncated signed product, CF = OF = it did not fit. */
export function imulTruncated(cpu: Cpu, a: number, b: number, size: number): number {
  let result: number;
  let overflow: boolean;
  if (size === 4) {
    result = Math.imul(a, b);
    const exact = (a | 0) * (b | 0);
    overflow = exact > 2147483647 || exact < -2147483648;
  } else {
    const product = signExtend(a, 2) * signExtend(b, 2);
    result = product & 0xffff;
    overflow = product !== signExtend(product, 2);
  }
  mulFlags(cpu, overflow, result, size);
  return size === 4 ? result >>> 0 : result;
}

/** DIV: unsigned divide of AX / DX:AX / EDX:EAX; #DE on divide by zero or quotient overflow. */
export function div(cpu: Cpu, divisor: number, size: number): void {
  if (divisor === 0) throw new CpuFault(Vector.DE);
  const r = cpu.reg32;
  if (size === 1) {
    const dividend = cpu.reg16[0];
    const quotient = Math.floor(dividend / divisor);
    if (quotient > 0xff) throw new CpuFault(Vector.DE);
    cpu.reg8[0] = quotient;
    cpu.reg8[1] = dividend % divisor;
  } else if (size === 2) {
    const dividend = ((cpu.reg16[4] << 16) | cpu.reg16[0]) >>> 0;
    const quotient = Math.floor(dividend / divisor);
    if (quotient > 0xffff) throw new CpuFault(Vector.DE);
    cpu.reg16[0] = quotient;
    cpu.reg16[4] = dividend % divisor;
  } else {
    const high = r[2] >>> 0;
    const low = r[0] >>> 0;
    divisor >>>= 0;
    if (high === 0) {
      r[0] = Math.floor(low / divisor);
      r[2] = low % divisor;
      return;
    }
    if (high >= divisor) throw new CpuFault(Vector.DE);
    const dividend = (BigInt(high) << 32n) | BigInt(low);
    const d = BigInt(divisor);
    r[0] = Number(dividend / d);
    r[2] = Number(dividend % d);
  }
}

/** IDIV: signed divide, truncating toward zero; #DE on divide by zero or quotient overflow. */
export function idiv(cpu: Cpu, divisor: number, size: number): void {
  const d = signExtend(divisor, size);
  if (d === 0) throw new CpuFault(Vector.DE);
  const r = cpu.reg32;
  if (size === 1) {
    const dividend = signExtend(cpu.reg16[0], 2);
    const quotient = Math.trunc(dividend / d);
    if (quotient > 127 || quotient < -128) throw new CpuFault(Vector.DE);
    cpu.reg8[0] = quotient;
    cpu.reg8[1] = dividend % d;
  } else if (size === 2) {
    const dividend = (cpu.reg16[4] << 16) | cpu.reg16[0];
    const quotient = Math.trunc(dividend / d);
    if (quotient > 32767 || quotient < -32768) throw new CpuFault(Vector.DE);
    cpu.reg16[0] = quotient;
    cpu.reg16[4] = dividend % d;
  } else {
    const high = r[2] | 0;
    const low = r[0] | 0;
    if (high === low >> 31) {
      if (low === -2147483648 && d === -1) throw new CpuFault(Vector.DE);
      r[0] = Math.trunc(low / d);
      r[2] = low % d;
      return;
    }
    const dividend = (BigInt(high) << 32n) | BigInt(r[0] >>> 0);
    const divisorBig = BigInt(d);
    const quotient = dividend / divisorBig;
    if (quotient > 2147483647n || quotient < -2147483648n) throw new CpuFault(Vector.DE);
    r[0] = Number(quotient);
    r[2] = Number(dividend % divisorBig);
  }
}

// ---- BCD (SDM Vol. 2A: DAA, DAS, AAA, AAS, AAM, AAD) ----------------------

/** DAA and DAS: adjust AL after adding or subtracting packed BCD. */
export function decimalAdjust(cpu: Cpu, subtract: boolean): void {
  const flags = cpu.flags;
  const oldAl = cpu.reg8[0];
  const oldCf = flags.cf();
  const step = subtract ? -1 : 1;
  let al = oldAl;
  let cf = false;
  let af = false;
  if ((al & 0x0f) > 9 || flags.af()) {
    al = (al + step * 6) & 0xff;
    cf = oldCf || (subtract ? oldAl < 6 : oldAl + 6 > 0xff);
    af = true;
  }
  if (oldAl > 0x99 || oldCf) {
    al = (al + step * 0x60) & 0xff;
    cf = true;
  }
  cpu.reg8[0] = al;
  flags.setArith((cf ? FLAG_CF : 0) | (af ? FLAG_AF : 0) | szp(al, 1));
}

export function aaa(cpu: Cpu, subtract: boolean): void {
  const flags = cpu.flags;
  let ax = cpu.reg16[0];
  let adjust = false;
  if ((ax & 0x0f) > 9 || flags.af()) {
    if (subtract) {
      // AX - 6 borrows from AH on current processors, then AH is decremented.
      ax = (ax - 6) & 0xffff;
      ax = ((((ax >> 8) - 1) & 0xff) << 8) | (ax & 0xff);
    } else {
      ax = (ax + 0x106) & 0xffff;
    }
    adjust = true;
  }
  const al = ax & 0x0f;
  cpu.reg16[0] = (ax & 0xff00) | al;
  flags.setArith((adjust ? FLAG_CF | FLAG_AF : 0) | szp(al, 1));
}

export function aam(cpu: Cpu, base: number): void {
  if (base === 0) throw new CpuFault(Vector.DE);
  const al = cpu.reg8[0];
  const result = al % base;
  cpu.reg8[1] = Math.floor(al / base);
  cpu.reg8[0] = result;
  cpu.flags.setArith(szp(result, 1));
}

export function aad(cpu: Cpu, base: number): void {
  const result = (cpu.reg8[0] + cpu.reg8[1] * base) & 0xff;
  cpu.reg16[0] = result;
  cpu.flags.setArith(szp(result, 1));
}

export { signExtend, szp, FLAG_PF };

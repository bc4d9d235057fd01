// The operating system's entropy as RDRAND's source (see src/cpu/random.ts):
// node:crypto random bytes, drawn a buffer at a time so that a guest calling
// RDRAND in a loop does not cost a system call per value.

import { randomBytes } from 'node:crypto';
import type { RandomSource } from '../cpu/random.ts';

const BUFFERED_VALUES = 256;

export function systemRandom(): RandomSource {
  let buffer = randomBytes(BUFFERED_VALUES * 4);
  let next = 0;
  return () => {
    if (next === BUFFERED_VALUES) {
      buffer = randomBytes(BUFFERED_VALUES * 4);
      next = 0;
    }
    return buffer.readUInt32LE(4 * next++);
  };
}

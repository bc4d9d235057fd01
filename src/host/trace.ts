// `--trace FILE`: a log of every instruction and interrupt, in the spirit of
// QEMU's `-d in_asm,int` (one line per instruction here, since jos86 has no
// translation blocks): the linear address, CS:EIP, the bytes and the
// disassembly, and a line for each interrupt or exception taken.

import { closeSync, openSync, writeSync } from 'node:fs';
import type { PcMachine } from '../machine/pc.ts';
import { disassemble } from '../cpu/disasm.ts';

export interface Trace {
  close(): void;
}

export function attachTrace(machine: PcMachine, path: string): Trace {
  const fd = openSync(path, 'w');
  const cpu = machine.cpu;
  let pending = '';
  const emit = (line: string) => {
    pending += line + '\n';
    if (pending.length > 1 << 16) {
      writeSync(fd, pending);
      pending = '';
    }
  };
  cpu.traceHook = () => {
    const { text } = disassemble(cpu);
    emit(`${hex(cpu.cs, 4)}:${hex(cpu.eip, 8)}  ${text}`);
  };
  cpu.interruptHook = (vector: number, errorCode: number, external: boolean) => {
    const kind = external ? 'external' : 'exception/software';
    emit(`INT 0x${hex(vector, 2)} (${kind})${errorCode < 0 ? '' : ` error 0x${hex(errorCode, 4)}`} at ${hex(cpu.cs, 4)}:${hex(cpu.eip, 8)}`);
  };
  return {
    close: () => {
      cpu.traceHook = undefined;
      cpu.interruptHook = undefined;
      if (pending) writeSync(fd, pending);
      closeSync(fd);
    },
  };
}

function hex(value: number, digits: number): string {
  return (value >>> 0).toString(16).padStart(digits, '0');
}

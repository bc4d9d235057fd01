// The JIT priming program (src/cpu/warmup.ts) reaches every handler of the
// decoded tier, and runs to its HLT without a fault.
import { describe, expect, it } from 'vitest';
import { Op } from '../../src/cpu/dispatch.ts';
import { PRIMING_CODE, PRIMING_STACK_TOP, PRIMING_SYSTEM_CALLS, primingProgram } from '../../src/cpu/warmup.ts';
import { machine } from './harness.ts';

describe('priming the decoded tier', () => {
  it('decodes an instance of every op and halts cleanly', () => {
    const m = machine(primingProgram(), PRIMING_CODE);
    const vectors: number[] = [];
    m.cpu.interruptHook = (vector) => vectors.push(vector);
    const seen = new Set<number>();
    const decode = m.cpu.icache.decode.bind(m.cpu.icache);
    m.cpu.icache.decode = (physical: number) => {
      const record = decode(physical);
      seen.add(m.cpu.icache.op[record]);
      return record;
    };
    m.cpu.reg32[4] = PRIMING_STACK_TOP;
    m.run(10_000);
    // The INT 0x20 and the page fault it makes on purpose, then its system calls from ring 3.
    expect(vectors).toEqual([0x20, 14, ...new Array<number>(PRIMING_SYSTEM_CALLS).fill(0x30), 0x31]);
    expect(m.cpu.cpl).toBe(0);
    expect(m.cpu.halted).toBe(true);
    // Ops the decoder only uses on the way to a more specific one.
    const intermediate = new Set<number>([Op.IncDec_R, Op.AluRRm_R, Op.Shift_R]);
    const missing: number[] = [];
    for (let op = Op.Generic; op <= Op.Out; op++) if (!intermediate.has(op) && !seen.has(op)) missing.push(op);
    expect(missing).toEqual([]);
  });
});

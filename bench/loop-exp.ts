import { Cpu } from '/work/wt-cpu/src/cpu/cpu.ts';
import { PhysicalMemory } from '/work/wt-cpu/src/mmu/physical.ts';
import { IoBus } from '/work/wt-cpu/src/devices/bus.ts';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
const src = process.argv[2] ?? 'l: add eax, 1\nmov ebx, [0x8000]\ndec ecx\njnz l\nhlt';
writeFileSync('/tmp/exp/t.asm', `bits 32\norg 0x7c00\n${src}\n`);
execFileSync('nasm', ['-f', 'bin', '-o', '/tmp/exp/t.bin', '/tmp/exp/t.asm']);
const memory = new PhysicalMemory(4 << 20);
const cpu = new Cpu({ memory, io: new IoBus(), interrupts: { hasInterrupt: () => false, acknowledge: () => 0 } });
memory.writeBytes(0x7c00, new Uint8Array(readFileSync('/tmp/exp/t.bin')));
cpu.enterFlatProtectedMode(0x7c00);
cpu.reg32[4] = 0x90000; if (process.env.SLOW) Object.defineProperty(cpu, "flatCode", { get: () => false, set: () => {} });
for (let round = 0; round < 5; round++) {
  cpu.eip = 0x7c00; cpu.reg32[1] = 20_000_000; cpu.halted = false;
  const t0 = process.cpuUsage();
  let n = 0;
  while (!cpu.halted) n += cpu.run(1_000_000);
  const u = process.cpuUsage(t0); const ms = (u.user + u.system) / 1000;
  console.log(`${(n / ms / 1000).toFixed(1)} MIPS`);
}

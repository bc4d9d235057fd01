// Guest file throughput on an encrypted disk against a plain one: how much the
// file server's AES-256-XTS (src/fs/disk.c) costs a program that writes and
// reads a file. Not part of `npm test`; run it by hand:
//
//   npx tsx bench/fs-crypt.ts [--mib N]      (default: a 1 MiB file)
//
// Both disks are images/fs.img (8 MiB); the encrypted one is the same image
// encrypted by the host tool. Boot 1 runs `writefile /bench.bin N` (every
// block encrypted as it is written back, on close); boot 2 runs `cksum
// /bench.bin` with a cold block cache (every block read and decrypted). Each
// command is timed from the moment it is typed to its output line, in
// virtual time (the guest's clock: 10 ns per instruction) and in host wall
// time; the password prompt and PBKDF2 fall outside the intervals.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryBlockDevice } from '../src/devices/ide.ts';
import { PcMachine } from '../src/machine/pc.ts';
import { createHeader, encryptImage, newMasterKey, randomSource } from '../src/host/fs/crypt.ts';
import { BLKSIZE } from '../src/host/fs/layout.ts';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const PASSWORD = 'bench';
const mibArg = process.argv.indexOf('--mib');
const BYTES = Math.round((mibArg > 0 ? Number(process.argv[mibArg + 1]) : 1) * 1024 * 1024);

interface Timed {
  virtualMs: number;
  hostMs: number;
  output: string;
  /** Blocks the file server wrote during the command (each one encrypted on the encrypted disk). */
  blocksWritten: number;
}

/** Boot `fs`, unlock it if asked, run one shell command and time it. */
function timeCommand(fs: MemoryBlockDevice, command: string, done: RegExp): Timed {
  let transcript = '';
  let sectorsWritten = 0;
  const write = fs.write.bind(fs);
  fs.write = (lba, from) => {
    sectorsWritten += from.length / 512;
    write(lba, from);
  };
  const machine = new PcMachine({
    seed: 1,
    hda: new MemoryBlockDevice(new Uint8Array(readFileSync(join(ROOT, 'images', 'jos86.img')))),
    hdb: fs,
    serialOut: (byte) => (transcript += String.fromCharCode(byte)),
    log: () => {},
  });
  const type = (text: string) => {
    for (const byte of new TextEncoder().encode(text)) {
      while (!machine.typeSerial(byte)) machine.runFor(100_000);
    }
  };
  const runUntil = (test: () => boolean) => {
    while (!test()) {
      machine.runFor(1_000_000);
      if (machine.stopReason || machine.clock.now > 600e9) throw new Error(`the run stopped:\n${transcript}`);
    }
  };
  runUntil(() => transcript.includes('Password for the disk: ') || transcript.includes('$ '));
  if (!transcript.includes('$ ')) {
    type(`${PASSWORD}\n`);
    runUntil(() => transcript.includes('$ '));
  }
  const from = transcript.length;
  sectorsWritten = 0;
  const startVirtual = machine.clock.now;
  const startHost = performance.now();
  type(`${command}\n`);
  runUntil(() => done.test(transcript.slice(from)));
  return {
    virtualMs: (machine.clock.now - startVirtual) / 1e6,
    hostMs: performance.now() - startHost,
    output: done.exec(transcript.slice(from))![0],
    blocksWritten: sectorsWritten / (BLKSIZE / 512),
  };
}

function measure(name: string, image: Uint8Array) {
  const disk = new MemoryBlockDevice(image.slice());
  const write = timeCommand(disk, `writefile /bench.bin ${BYTES}`, /writefile: \/bench.bin: \d+ bytes, checksum [0-9a-f]{8}/);
  const read = timeCommand(disk, 'cksum /bench.bin', /\/bench.bin: \d+ bytes, checksum [0-9a-f]{8}/);
  if (write.output.slice(write.output.indexOf('checksum')) !== read.output.slice(read.output.indexOf('checksum'))) {
    throw new Error(`${name}: the file read back differs: ${write.output} / ${read.output}`);
  }
  return { name, write, read };
}

const plain = new Uint8Array(readFileSync(join(ROOT, 'images', 'fs.img')));
const random = randomSource('bench/fs-crypt');
const masterKey = newMasterKey(random);
const encrypted = encryptImage(plain, createHeader(masterKey, new TextEncoder().encode(PASSWORD), plain.length / BLKSIZE, { random }), masterKey);

const results = [measure('plain', plain), measure('encrypted', encrypted)];
const kib = BYTES / 1024;
const rate = (t: Timed) =>
  `${((kib / t.virtualMs) * 1000).toFixed(0).padStart(6)} KiB/s virtual, ${t.virtualMs.toFixed(0).padStart(6)} ms virtual, ` +
  `${t.hostMs.toFixed(0).padStart(7)} ms host, ${String(t.blocksWritten).padStart(5)} blocks written`;
console.log(`writefile then cksum (cold cache) of ${kib} KiB on images/fs.img, plain and encrypted (AES-256-XTS):`);
for (const { name, write, read } of results) {
  console.log(`  ${name.padEnd(9)} write: ${rate(write)}`);
  console.log(`  ${name.padEnd(9)} read:  ${rate(read)}`);
}
const [p, e] = results;
console.log(`  encrypted / plain time: write ${(e.write.virtualMs / p.write.virtualMs).toFixed(2)}x virtual (${(e.write.hostMs / p.write.hostMs).toFixed(2)}x host), ` +
  `read ${(e.read.virtualMs / p.read.virtualMs).toFixed(2)}x virtual (${(e.read.hostMs / p.read.hostMs).toFixed(2)}x host)`);

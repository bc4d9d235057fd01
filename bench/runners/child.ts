// Runs one in-process peer (jos86, v86) for one benchmark run, in a process
// of its own, so every run starts with a cold V8 heap and JIT and no peer
// disturbs another. The transcript goes to stdout as one tagged JSON line;
// anything the peer itself prints is left alone on the other lines.
//
// Usage: node --import tsx bench/runners/child.ts <peer> <image> <timeout-ms>

import { IN_PROCESS_PEERS, RESULT_TAG } from './peers.ts';

const [peer, image, timeout] = process.argv.slice(2);
const run = IN_PROCESS_PEERS[peer];
if (!run || !image) {
  console.error(`usage: child.ts <${Object.keys(IN_PROCESS_PEERS).join('|')}> <image> <timeout-ms>`);
  process.exit(2);
}
const transcript = await run({ image, timeoutMs: Number(timeout) || 600_000 });
process.stdout.write(`${RESULT_TAG}${JSON.stringify(transcript)}\n`, () => process.exit(0));

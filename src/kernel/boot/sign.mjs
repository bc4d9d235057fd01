// Pads the boot block to 510 bytes and appends the 0x55AA boot signature;
// fails if the boot code does not fit.
import { readFileSync, writeFileSync } from 'node:fs';

const [input, output] = process.argv.slice(2);
const code = readFileSync(input);
if (code.length > 510) {
  console.error(`boot block too large: ${code.length} bytes (max 510)`);
  process.exit(1);
}
const sector = Buffer.alloc(512);
code.copy(sector);
sector[510] = 0x55;
sector[511] = 0xaa;
writeFileSync(output, sector);

// The JOS test programs and what their runs must (and must not) print. The
// same table drives the jos86 runs (kernel.test.ts); each program is started
// from the kernel monitor with `run NAME`.

export interface ProgramCase {
  name: string;
  /** Lines (substrings) that must appear, in this order. */
  mustAppear: string[];
  /** Substrings that must not appear anywhere. */
  mustNotAppear?: string[];
  /** Text that ends the run (default: the monitor taking over again). */
  until?: string;
  /** Virtual milliseconds the run may take (default 20 s). */
  timeoutMs?: number;
}

const DESTROYED = 'free env 00001000';
const NO_PANIC = ['kernel panic', 'Triple fault'];

export const PROGRAMS: ProgramCase[] = [
  { name: 'hello', mustAppear: ['[00000000] new env 00001000', 'hello, world', 'i am environment 00001000', '[00001000] exiting gracefully', '[00001000] free env 00001000'] },
  { name: 'faultread', mustAppear: ['[00001000] user fault va 00000000 ip 008', 'trap 0x0000000e Page Fault', 'err  0x00000004 [user, read, not-present]', DESTROYED], mustNotAppear: ['I read'] },
  { name: 'faultwrite', mustAppear: ['[00001000] user fault va 00000000 ip 008', 'err  0x00000006 [user, write, not-present]', DESTROYED] },
  { name: 'faultreadkernel', mustAppear: ['[00001000] user fault va f0100000 ip 008', 'err  0x00000005 [user, read, protection]', DESTROYED], mustNotAppear: ['I read'] },
  { name: 'faultwritekernel', mustAppear: ['[00001000] user fault va f0100000 ip 008', 'err  0x00000007 [user, write, protection]', DESTROYED] },
  { name: 'faultdie', mustAppear: ['i faulted at va deadbeef, err 6', '[00001000] exiting gracefully', DESTROYED] },
  { name: 'faultalloc', mustAppear: ['fault deadbeef', 'this string was faulted in at deadbeef', 'fault cafebffe', 'fault cafec000', 'this string was faulted in at cafebffe', DESTROYED] },
  { name: 'faultbadhandler', mustAppear: ['[00001000] user exception stack overflowed', DESTROYED] },
  { name: 'faultnostack', mustAppear: ['[00001000] user_mem_check assertion failure for va eebfffcc', DESTROYED] },
  { name: 'divzero', mustAppear: ['trap 0x00000000 Divide error', DESTROYED], mustNotAppear: ['1/0 is'] },
  { name: 'breakpoint', mustAppear: ['trap 0x00000003 Breakpoint', DESTROYED] },
  { name: 'softint', mustAppear: ['trap 0x0000000d General Protection', 'err  0x00000072', DESTROYED], mustNotAppear: ['Page Fault'] },
  { name: 'badsegment', mustAppear: ['trap 0x0000000d General Protection', 'err  0x00000028', DESTROYED] },
  { name: 'buggyhello', mustAppear: ['[00001000] user_mem_check assertion failure for va 00000001', DESTROYED] },
  { name: 'evilhello', mustAppear: ['[00001000] user_mem_check assertion failure for va f010000c', DESTROYED] },
  {
    name: 'badsyscall',
    mustAppear: [
      'page_alloc at UTOP: invalid parameter', 'page_alloc misaligned: invalid parameter', 'page_alloc without PTE_U: invalid parameter',
      'page_map from nothing: invalid parameter', 'env_destroy of a stranger: bad environment', 'env_set_status to 99: invalid parameter',
      'syscall 1000: invalid parameter', 'still alive', '[00001000] exiting gracefully',
    ],
  },
  { name: 'dumbfork', mustAppear: ['0: I am the parent!', '0: I am the child!', '9: I am the parent!', '[00001000] exiting gracefully', '19: I am the child!', '[00001001] exiting gracefully'], mustNotAppear: ['10: I am the parent!'] },
  { name: 'forktree', mustAppear: ["1000: I am ''", "I am '0'", "I am '00'", "I am '000'", "I am '1'", "I am '111'"] },
  { name: 'pingpong', mustAppear: ['send 0 from 1000 to 1001', '1001 got 0 from 1000', '1000 got 1 from 1001', '1001 got 10 from 1000'] },
  { name: 'primes', mustAppear: ['2\n', '3\n', '5\n', '7\n', '97\n'], mustNotAppear: ['\n4\n', '\n9\n', '\n91\n'] },
  { name: 'spin', mustAppear: ['I am the parent.  Forking the child...', 'I am the child.  Spinning...', 'I am the parent.  Killing the child...', '[00001000] destroying 00001001', '[00001000] exiting gracefully'] },
  { name: 'stresssched', mustAppear: ['[00001001] stresssched on CPU 0', '[00001014] stresssched on CPU 0', '[00001000] exiting gracefully'], mustNotAppear: ['ran on two CPUs'] },
  { name: 'yield', mustAppear: ['Hello, I am environment 00001000.', 'Back in environment 00001000, iteration 4.', 'All done in environment 00001000.'] },
  { name: 'counter', mustAppear: ['envid 1000 counter 0', 'envid 1000 counter 1', 'envid 1000 counter 2', 'envid 1000 counter 3'], until: 'envid 1000 counter 3', timeoutMs: 500 },
  // Process migration (issue 6): through memory, before there is a file system.
  {
    name: 'migtest',
    mustAppear: [
      'migtest: crc32 of the pangram 414fa339', 'envid 1001 counter 0', 'migtest: paused 00001001 at counter 3', 'envid 1001 counter 6',
      'migtest: saved 00001001: ', 'loaded as 00001002', '[00001000] destroying 00001001', 'envid 1002 counter 7',
      'migtest: counter moved to 00001002 and went on to 9',
      'migtest: refused truncated: truncated: the image ends at byte 0, inside the header',
      'migtest: refused a flipped bit in a page: checksum mismatch', 'migtest: refused version 2: image version 2',
      'migtest: refused kernel code segment', 'migtest: refused IOPL 3', 'migtest: refused interrupts off',
      'migtest: refused entry point in the kernel', 'migtest: refused page at UTOP', 'migtest: refused page with PTE_PCD',
      'migtest: refused duplicate page: page 1 at 00800000: the same page twice',
      'migtest: 34 damaged images refused, 0 accepted',
      'envid 3002 heap 1280 KB checksum 36721670', 'migtest: saved 00003002: 3',
      'envid 2001 heap checksum 36721670 unchanged', 'migtest: heap checksum 36721670 before the move, 36721670 after: same',
      'envid 3001 got 1 from 1000', 'loaded as 00004002', 'envid 4002 got 2 from 1000',
      'migtest: 00003001 answered 101 before the move; 00004002 answered 102 after it', 'envid 4001: forked by 4002 after the move',
      'migtest: environments in use before 1, after 1', 'migtest: done', '[00001000] exiting gracefully',
    ],
    mustNotAppear: ['ACCEPTED', 'CHANGED', 'DIFFERENT', 'user panic'],
  },
  {
    name: 'badenvctl',
    mustAppear: [
      'pause self: invalid parameter', 'pause a stranger: bad environment', 'kill a stranger: bad environment',
      'state of self: environment is not paused', 'state of a running child: environment is not paused', 'pause child: ok',
      'send to a paused receiver: env is not recving', 'it is blocked in ipc_recv: 1', 'next page from UTOP: ok\nfound eec00000',
      'next page from 0: ok\nfound 00800000', 'copy from UTOP: invalid parameter', 'copy from the kernel: invalid parameter',
      'copy misaligned: invalid parameter', 'copy an unmapped page: invalid parameter', 'copy into the kernel: invalid parameter',
      'send to the resumed receiver: ok', 'kill child: ok', '[00001000] user_mem_check assertion failure for va f0000000', DESTROYED,
    ],
    mustNotAppear: ['still alive after a kernel pointer'],
  },
  { name: 'ps', mustAppear: ['   ENVID   PARENT STATUS         RUNS TYPE NAME', '00001000 00000000 running', ' user ps\n', '[00001000] exiting gracefully'] },
].map((c) => ({ ...c, mustNotAppear: [...(c.mustNotAppear ?? []), ...NO_PANIC] }));

/** Check `transcript` against a case; returns the problems found. */
export function checkTranscript(c: ProgramCase, transcript: string): string[] {
  const problems: string[] = [];
  let from = 0;
  for (const line of c.mustAppear) {
    const at = transcript.indexOf(line, from);
    if (at < 0) problems.push(`missing (in order): ${JSON.stringify(line)}`);
    else from = at + line.length;
  }
  for (const line of c.mustNotAppear ?? []) {
    if (transcript.includes(line)) problems.push(`must not appear: ${JSON.stringify(line)}`);
  }
  return problems;
}

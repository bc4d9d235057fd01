// The JOS test programs and what their runs must (and must not) print. The
// same table drives the jos86 runs (kernel.test.ts); each program is started
// from the shell on a fresh boot, so it is environment 1004 (the file server
// is 1000, init 1001, the shell 1002, and the shell's child that spawns the
// program 1003).

export interface ProgramCase {
  name: string;
  /** Lines (substrings) that must appear, in this order. */
  mustAppear: string[];
  /** Substrings that must appear too, in any order relative to mustAppear. */
  alsoAppear?: string[];
  /** Substrings that must not appear anywhere. */
  mustNotAppear?: string[];
  /** Text that ends the run (default: the shell's next prompt). */
  until?: string;
  /** Virtual milliseconds the run may take (default 20 s). */
  timeoutMs?: number;
}

const DESTROYED = 'free env 00001004';
const NO_PANIC = ['kernel panic', 'Triple fault'];

export const PROGRAMS: ProgramCase[] = [
  { name: 'hello', mustAppear: ['[00001003] new env 00001004', 'hello, world', 'i am environment 00001004', '[00001004] exiting gracefully', '[00001004] free env 00001004'] },
  { name: 'faultread', mustAppear: ['[00001004] user fault va 00000000 ip 008', 'trap 0x0000000e Page Fault', 'err  0x00000004 [user, read, not-present]', DESTROYED], mustNotAppear: ['I read'] },
  { name: 'faultwrite', mustAppear: ['[00001004] user fault va 00000000 ip 008', 'err  0x00000006 [user, write, not-present]', DESTROYED] },
  { name: 'faultreadkernel', mustAppear: ['[00001004] user fault va f0100000 ip 008', 'err  0x00000005 [user, read, protection]', DESTROYED], mustNotAppear: ['I read'] },
  { name: 'faultwritekernel', mustAppear: ['[00001004] user fault va f0100000 ip 008', 'err  0x00000007 [user, write, protection]', DESTROYED] },
  { name: 'faultdie', mustAppear: ['i faulted at va deadbeef, err 6', '[00001004] exiting gracefully', DESTROYED] },
  { name: 'faultalloc', mustAppear: ['fault deadbeef', 'this string was faulted in at deadbeef', 'fault cafebffe', 'fault cafec000', 'this string was faulted in at cafebffe', DESTROYED] },
  { name: 'faultbadhandler', mustAppear: ['[00001004] user exception stack overflowed', DESTROYED] },
  { name: 'faultnostack', mustAppear: ['[00001004] user_mem_check assertion failure for va eebfffcc', DESTROYED] },
  { name: 'divzero', mustAppear: ['trap 0x00000000 Divide error', DESTROYED], mustNotAppear: ['1/0 is'] },
  { name: 'breakpoint', mustAppear: ['trap 0x00000003 Breakpoint', DESTROYED] },
  { name: 'softint', mustAppear: ['trap 0x0000000d General Protection', 'err  0x00000072', DESTROYED], mustNotAppear: ['Page Fault'] },
  { name: 'badsegment', mustAppear: ['trap 0x0000000d General Protection', 'err  0x00000028', DESTROYED] },
  { name: 'buggyhello', mustAppear: ['[00001004] user_mem_check assertion failure for va 00000001', DESTROYED] },
  { name: 'evilhello', mustAppear: ['[00001004] user_mem_check assertion failure for va f010000c', DESTROYED] },
  {
    name: 'badsyscall',
    mustAppear: [
      'page_alloc at UTOP: invalid parameter', 'page_alloc misaligned: invalid parameter', 'page_alloc without PTE_U: invalid parameter',
      'page_map from nothing: invalid parameter', 'env_destroy of a stranger: bad environment', 'env_set_status to 99: invalid parameter',
      'syscall 1000: invalid parameter', 'still alive', '[00001004] exiting gracefully',
    ],
  },
  { name: 'dumbfork', mustAppear: ['0: I am the parent!', '0: I am the child!', '9: I am the parent!', '[00001004] exiting gracefully', '19: I am the child!', '[00001005] exiting gracefully'], mustNotAppear: ['10: I am the parent!'] },
  // A parent prints before its children, but the two branches interleave as the scheduler has it.
  { name: 'forktree', mustAppear: ["1004: I am ''", "I am '0'", "I am '00'", "I am '000'"], alsoAppear: ["I am '1'", "I am '11'", "I am '111'"] },
  { name: 'pingpong', mustAppear: ['send 0 from 1004 to 1005', '1005 got 0 from 1004', '1004 got 1 from 1005', '1005 got 10 from 1004'] },
  { name: 'primes', mustAppear: ['2\n', '3\n', '5\n', '7\n', '97\n'], mustNotAppear: ['\n4\n', '\n9\n', '\n91\n'] },
  { name: 'spin', mustAppear: ['I am the parent.  Forking the child...', 'I am the child.  Spinning...', 'I am the parent.  Killing the child...', '[00001004] destroying 00001005', '[00001004] exiting gracefully'] },
  { name: 'stresssched', mustAppear: ['[00001005] stresssched on CPU 0', '[00001018] stresssched on CPU 0', '[00001004] exiting gracefully'], mustNotAppear: ['ran on two CPUs'] },
  { name: 'yield', mustAppear: ['Hello, I am environment 00001004.', 'Back in environment 00001004, iteration 4.', 'All done in environment 00001004.'] },
  { name: 'counter', mustAppear: ['envid 1004 counter 0', 'envid 1004 counter 1', 'envid 1004 counter 2', 'envid 1004 counter 3'], until: 'envid 1004 counter 3', timeoutMs: 500 },
  // On the plain default disk; test/fs/encrypted*.test.ts run passwd and encrypt on encrypted and converting ones.
  { name: 'passwd', mustAppear: ['passwd: the disk is not encrypted (encrypt encrypts it)', '[00001004] exiting gracefully'], mustNotAppear: ['Old password'] },
  {
    name: 'cryptotest',
    mustAppear: [
      'cryptotest: AES-256 FIPS 197 C.3 encrypt: ok', 'cryptotest: AES-256 FIPS 197 C.3 decrypt: ok',
      'cryptotest: XTS-AES-256 IEEE 1619 vector 10 encrypt: ok', 'cryptotest: XTS-AES-256 IEEE 1619 vector 10 decrypt: ok',
      'cryptotest: XTS-AES-256 IEEE 1619 vector 14 encrypt: ok', 'cryptotest: XTS-AES-256 IEEE 1619 vector 14 decrypt: ok',
      'cryptotest: SHA-256 empty message: ok', 'cryptotest: SHA-256 "abc": ok', 'cryptotest: SHA-256 448-bit message: ok',
      'cryptotest: SHA-256 896-bit message: ok', "cryptotest: SHA-256 one million 'a': ok",
      ...[1, 2, 3, 4].map((n) => `cryptotest: HMAC-SHA256 RFC 4231 case ${n}: ok`),
      'cryptotest: HMAC-SHA256 RFC 4231 case 5 (128 bits): ok', 'cryptotest: HMAC-SHA256 RFC 4231 case 6: ok', 'cryptotest: HMAC-SHA256 RFC 4231 case 7: ok',
      'cryptotest: PBKDF2-HMAC-SHA256 RFC 7914 11 (c=1): ok',
      'cryptotest: crypt.c header made, checks out: ok', 'cryptotest: crypt.c right password unlocks the master key: ok',
      'cryptotest: crypt.c wrong password refused: ok', 'cryptotest: crypt.c flipped byte: header corrupt: ok',
      'cryptotest: 23 of 23 checks passed',
      'cryptotest: PBKDF2 with 1000 iterations, 64 bytes: ',
      'cryptotest: XTS-AES-256 on 32 blocks of 4096 bytes: ', ', round trip ok',
      '[00001004] exiting gracefully',
    ],
    mustNotAppear: ['FAILED'],
  },
  // Process migration (issue 6): through memory (migtest), the system calls' checks (badenvctl), ps.
  {
    name: 'migtest',
    mustAppear: [
      'migtest: crc32 of the pangram 414fa339', 'envid 1005 counter 0', 'migtest: paused 00001005 at counter 3', 'envid 1005 counter 6',
      'migtest: saved 00001005: ', 'loaded as 00001006', '[00001004] destroying 00001005', 'envid 1006 counter 7',
      'migtest: counter moved to 00001006 and went on to 8',
      'migtest: refused truncated: truncated: the image ends at byte 0, inside the header',
      'migtest: refused a flipped bit in a page: checksum mismatch', 'migtest: refused version 2: image version 2',
      'migtest: refused kernel code segment', 'migtest: refused IOPL 3', 'migtest: refused interrupts off',
      'migtest: refused entry point in the kernel', 'migtest: refused page at UTOP', 'migtest: refused page with PTE_PCD',
      'migtest: refused duplicate page: page 1 at 00800000: the same page twice',
      'migtest: 34 damaged images refused, 0 accepted',
      'envid 3006 heap 1280 KB checksum 36721670', 'migtest: saved 00003006: 3',
      'envid 2005 heap checksum 36721670 unchanged', 'migtest: heap checksum 36721670 before the move, 36721670 after: same',
      'envid 3005 got 1 from 1004', 'loaded as 00004006', 'envid 4006 got 2 from 1004',
      'migtest: 00003005 answered 101 before the move; 00004006 answered 102 after it', 'envid 4005: forked by 4006 after the move',
      'migtest: environments in use before 5, after 5', 'migtest: done', '[00001004] exiting gracefully',
    ],
    mustNotAppear: ['ACCEPTED', 'CHANGED', 'DIFFERENT', 'user panic'],
  },
  {
    name: 'badenvctl',
    mustAppear: [
      'pause self: invalid parameter', 'pause a stranger: bad environment', 'kill a stranger: bad environment',
      'state of self: environment is not paused', 'state of a running child: environment is not paused', 'pause child: ok',
      'send to a paused receiver: env is not recving', 'it is blocked in ipc_recv: 1', 'next page from UTOP: ok\nfound eec00000',
      'next page from 0: ok\nfound 00800000 perm 005', 'copy from UTOP: invalid parameter', 'copy from the kernel: invalid parameter',
      'copy misaligned: invalid parameter', 'copy an unmapped page: invalid parameter', 'copy into the kernel: invalid parameter',
      'send to the resumed receiver: ok', 'kill child: ok', '[00001004] user_mem_check assertion failure for va f0000000', DESTROYED,
    ],
    mustNotAppear: ['still alive after a kernel pointer'],
  },
  {
    name: 'ps',
    mustAppear: ['   ENVID   PARENT STATUS         RUNS TYPE NAME', '00001000 00000000 ipc-recv', ' fs   fs\n', '00001002 00001001 runnable', ' user sh\n', '00001004 00001003 running', ' user ps\n', '[00001004] exiting gracefully'],
  },
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
  for (const line of c.alsoAppear ?? []) {
    if (!transcript.includes(line)) problems.push(`missing: ${JSON.stringify(line)}`);
  }
  for (const line of c.mustNotAppear ?? []) {
    if (transcript.includes(line)) problems.push(`must not appear: ${JSON.stringify(line)}`);
  }
  return problems;
}

// The shell and the utilities, as a user types them: each session boots the
// default machine, types its commands at the `$ ` prompt, and compares the
// whole console transcript with test/golden/<name>.txt (exact bytes: runs
// are deterministic). After each session the file-system disk it wrote must
// pass the host fsck.
import { describe, expect, it } from 'vitest';
import { FsImage } from '../../src/host/fsimage.ts';
import { expectGolden } from '../golden-runner.ts';
import { runShell } from '../kernel/shell.ts';

interface Session {
  name: string;
  commands: string[];
  /** Lines the transcript must contain (checked before the golden, for a readable failure). */
  shows: string[];
}

const SESSIONS: Session[] = [
  {
    name: 'sh-redirection',
    commands: ['echo hello world > /hello.txt', 'cat /hello.txt', 'echo second line >> /hello.txt', 'cat < /hello.txt', 'echo replaced > /hello.txt', 'cat /hello.txt'],
    shows: ['$ cat /hello.txt\n', 'hello world\nsecond line\n', 'replaced\n'],
  },
  {
    name: 'sh-pipes',
    commands: ['cat /README | wc', 'echo one two three | wc', 'cat /README | num | wc', 'echo piped | cat | cat | cat'],
    shows: ['      1       3      14\n', 'piped\n'],
  },
  {
    name: 'sh-background',
    commands: ['hello &', 'echo foreground', 'yield &', 'echo done'],
    shows: ['hello, world', 'foreground\n', 'All done in environment'],
  },
  {
    name: 'sh-script',
    commands: ['echo "echo from a script" > /script.sh', 'echo "mkdir /made-by-script" >> /script.sh', 'echo "ls -l /made-by-script" >> /script.sh', 'echo "# a comment" >> /script.sh', 'echo "echo end of script" >> /script.sh', 'cat /script.sh', 'sh /script.sh', 'sh -x /script.sh', 'ls -F /', 'sh /nosuch.sh'],
    shows: ['from a script\n', 'end of script\n', '# echo end of script\n', 'sh: open /nosuch.sh: file or block not found'],
  },
  {
    name: 'util-files',
    commands: ['mkdir /docs', 'mkdir -p /docs/a/b/c', 'touch /docs/a/b/c/empty /docs/top', 'ls -l /docs/a/b/c', 'ls -l /docs', 'echo text > /docs/a/note', 'mv /docs/a/note /docs/renamed', 'mv /docs/top /docs/a', 'ls -l /docs /docs/a', 'rm /docs/a', 'rm /docs/a/b/c/empty', 'rm /docs/a/b/c', 'ls -l /docs/a/b', 'rm /nosuch', 'mkdir /docs', 'cat /nosuch', 'mv /docs /docs/a/inside', 'ls /docs/renamed/x'],
    shows: ['-        0 empty', 'rm: /docs/a: directory not empty', 'rm: /nosuch: file or block not found', 'mkdir: /docs: file already exists', 'cat: /nosuch: file or block not found', 'mv: /docs to /docs/a/inside: invalid parameter', 'not a directory'],
  },
  {
    name: 'util-text',
    commands: ['echo -n no newline', 'echo', 'echo a b   c', 'num /README', 'wc /README /bin/echo', 'cat /README /README | wc'],
    shows: ['no newline\n', 'a b c\n', '    1 This is the jos86 file system.\n'],
  },
  {
    name: 'util-ls',
    commands: ['ls', 'ls -l /bin/sh /README', 'ls -d /bin', 'ls -F /', 'ls -l /nosuch', 'ls -x'],
    shows: ['bin\n', '/bin\n', 'ls: /nosuch: file or block not found', 'usage: ls [-dFl] [path...]'],
  },
  {
    name: 'util-lsfd',
    commands: ['lsfd', 'lsfd > /fds', 'cat /fds', 'cat /README | lsfd'],
    shows: ['fd 0: name <cons> isdir 0 size 0 dev cons', 'fd 1: name fds isdir 0 size 42 dev file', 'dev pipe'],
  },
  {
    name: 'util-writefile',
    commands: ['writefile /big 100000', 'cksum /big', 'ls -l /big', 'writefile /empty 0', 'cksum /empty', 'df', 'rm /big', 'df', 'sync'],
    shows: ['writefile: /big: 100000 bytes, checksum', '/big: 100000 bytes, checksum', '-   100000 /big'],
  },
];

describe('the shell and the utilities', () => {
  for (const session of SESSIONS) {
    it(`${session.name} matches its golden transcript, and the disk passes fsck`, () => {
      const run = runShell({ commands: session.commands, timeoutMs: 60_000 });
      expect(run.log).toEqual([]);
      expect(run.reason, run.transcript).toBe('exit');
      for (const line of session.shows) expect(run.transcript).toContain(line);
      expect(run.transcript).not.toMatch(/panic|Triple fault|user fault/);
      expectGolden(session.name, run.transcript);
      expect(FsImage.check(run.fsImage)).toEqual([]);
    });
  }

  it('writefile and cksum agree, and the checksum matches the host tool reading the disk', () => {
    const run = runShell({ commands: ['writefile /w 12345', 'cksum /w', 'sync'] });
    const sum = /writefile: \/w: 12345 bytes, checksum ([0-9a-f]{8})/.exec(run.transcript)?.[1];
    expect(sum).toBeDefined();
    expect(run.transcript).toContain(`/w: 12345 bytes, checksum ${sum}`);
    const data = FsImage.open(run.fsImage).readFile('/w');
    let host = 0;
    for (const byte of data) host = (Math.imul(host, 31) + byte) >>> 0;
    expect(host.toString(16).padStart(8, '0')).toBe(sum);
  });
});

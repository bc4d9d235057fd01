// Answers typed at prompts (src/host/answers.ts): each prompt answered every
// time it appears (as soon as its last byte is out), and never twice for one
// appearance.
import { describe, expect, it } from 'vitest';
import { DISK_PASSWORD_PROMPTS, PromptAnswerer, diskPasswordAnswers } from '../../src/host/answers.ts';

function feed(answerer: PromptAnswerer, text: string) {
  for (const c of text) answerer.output(c.charCodeAt(0));
}

describe('PromptAnswerer', () => {
  it('types the answer each time a prompt appears', () => {
    const typed: string[] = [];
    const answerer = new PromptAnswerer(diskPasswordAnswers('pw'), (text) => typed.push(text));
    feed(answerer, 'FS is running\nPassword for the disk: ');
    expect(typed).toEqual(['pw\n']);
    feed(answerer, '\nfs: wrong password\nPassword for the disk: ');
    expect(typed).toEqual(['pw\n', 'pw\n']);
    feed(answerer, '\nNew password for the disk: \nNew password again: ');
    expect(typed).toEqual(['pw\n', 'pw\n', 'pw\n', 'pw\n']);
  });

  it('ignores other prompts (passwd asks for the old password itself)', () => {
    const typed: string[] = [];
    const answerer = new PromptAnswerer(diskPasswordAnswers('pw'), (text) => typed.push(text));
    feed(answerer, 'Old password for the disk: \nPassword for the disk');
    expect(typed).toEqual([]);
  });

  it('the prompts are the ones the guest prints', () => {
    expect(DISK_PASSWORD_PROMPTS).toEqual(['Password for the disk: ', 'New password for the disk: ', 'New password again: ']);
  });
});

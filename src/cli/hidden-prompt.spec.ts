import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { PromptCancelledError, readHidden, type TerminalInput } from './hidden-prompt.js';

/** A stand-in terminal: what is typed goes in, raw-mode switches are recorded. */
function fakeTerminal(isTTY = true) {
  const stream = new PassThrough();
  const rawModes: boolean[] = [];
  const input = Object.assign(stream, {
    isTTY,
    setRawMode: (mode: boolean) => rawModes.push(mode),
  }) as TerminalInput;
  const output = new PassThrough();
  let shown = '';
  output.on('data', (chunk: Buffer) => (shown += chunk.toString()));
  return {
    input,
    output,
    rawModes,
    shown: () => shown,
    type: (text: string) => stream.write(text),
  };
}

describe('readHidden', () => {
  it('reads a line in raw mode without echoing it, backspace included', async () => {
    const terminal = fakeTerminal();
    const answer = readHidden('Qualys password: ', terminal.input, terminal.output);
    terminal.type('s3cr');
    terminal.type('x\u007f3t p€ss😀\r');
    expect(await answer).toBe('s3cr3t p€ss😀');
    expect(terminal.shown()).toBe('Qualys password: \n');
    expect(terminal.rawModes).toEqual([true, false]);
  });

  it('takes a newline as Enter and removes a whole emoji on backspace', async () => {
    const terminal = fakeTerminal();
    const answer = readHidden('? ', terminal.input, terminal.output);
    terminal.type('ab😀\u007f\n');
    expect(await answer).toBe('ab');
  });

  it.each([
    ['Ctrl-C', 'abc\u0003'],
    ['Ctrl-D on an empty line', '\u0004'],
  ])('gives up on %s and leaves raw mode', async (_name, keys) => {
    const terminal = fakeTerminal();
    const answer = readHidden('? ', terminal.input, terminal.output);
    terminal.type(keys);
    await expect(answer).rejects.toEqual(new PromptCancelledError('cancelled'));
    expect(terminal.rawModes).toEqual([true, false]);
  });

  it('refuses to ask when stdin is not a terminal', async () => {
    const terminal = fakeTerminal(false);
    await expect(readHidden('? ', terminal.input, terminal.output)).rejects.toMatchObject({
      reason: 'no terminal',
    });
    expect([terminal.shown(), terminal.rawModes]).toEqual(['', []]);
  });
});

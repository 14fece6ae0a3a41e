import { describe, expect, it } from '@jest/globals';
import { PassThrough } from 'node:stream';
import { CredentialsError, readClientCredentials, type Terminal } from './credentials.js';

/** A terminal double: what the user types, what was shown, and the raw-mode switches. */
function fakeTerminal(tty: boolean) {
  const input = new PassThrough() as PassThrough & {
    isTTY?: boolean;
    setRawMode?: (raw: boolean) => void;
  };
  const rawModes: boolean[] = [];
  if (tty) {
    input.isTTY = true;
    input.setRawMode = (raw) => void rawModes.push(raw);
  }
  let shown = '';
  const output = new PassThrough();
  output.on('data', (chunk: Buffer) => (shown += chunk.toString()));
  const terminal: Terminal = { input, output };
  return { terminal, input, rawModes, shown: () => shown };
}

/** Types `keys` once the CLI is listening, the way a user would. */
function typeLater(input: PassThrough, ...keys: string[]): void {
  let index = 0;
  const next = (): void => {
    if (index < keys.length) input.write(keys[index++]);
    if (index < keys.length) setImmediate(next);
  };
  setImmediate(next);
}

describe('readClientCredentials', () => {
  it('takes both from the environment without prompting', async () => {
    const { terminal, shown } = fakeTerminal(true);
    await expect(
      readClientCredentials(
        { TR_API_CLIENT_ID: ' id ', TR_API_CLIENT_PASSWORD: ' pass ' },
        terminal,
      ),
    ).resolves.toEqual({ clientId: 'id', clientPassword: ' pass ' });
    expect(shown()).toBe('');
  });

  it.each<[Record<string, string>, string]>([
    [
      {},
      'TR_API_CLIENT_ID and TR_API_CLIENT_PASSWORD are not set and there is no terminal to ask on: set them in the environment.',
    ],
    [
      { TR_API_CLIENT_ID: 'id' },
      'TR_API_CLIENT_PASSWORD is not set and there is no terminal to ask on: set it in the environment.',
    ],
    [
      { TR_API_CLIENT_ID: ' ', TR_API_CLIENT_PASSWORD: 'p' },
      'TR_API_CLIENT_ID is not set and there is no terminal to ask on: set it in the environment.',
    ],
  ])('without a terminal, says which variables to set (%j)', async (env, message) => {
    const { terminal } = fakeTerminal(false);
    await expect(readClientCredentials(env, terminal)).rejects.toEqual(
      new CredentialsError(message),
    );
  });

  it('asks on a terminal: the id is echoed, the password never is', async () => {
    const { terminal, input, rawModes, shown } = fakeTerminal(true);
    const answer = readClientCredentials({}, terminal);
    typeLater(input, 'clien', 'tX\u007f-1\r', 's3cr', 'et!\r');
    await expect(answer).resolves.toEqual({ clientId: 'client-1', clientPassword: 's3cret!' });
    expect(shown()).toBe(
      'Threat Response API client ID: clientX\b \b-1\nThreat Response API client password: \n',
    );
    expect(rawModes).toEqual([true, false, true, false]);
  });

  it('asks only for what the environment lacks', async () => {
    const { terminal, input, shown } = fakeTerminal(true);
    const answer = readClientCredentials({ TR_API_CLIENT_ID: 'id' }, terminal);
    typeLater(input, 'pw\u007fass\n');
    await expect(answer).resolves.toEqual({ clientId: 'id', clientPassword: 'pass' });
    expect(shown()).toBe('Threat Response API client password: \n');
  });

  it.each([
    ['Ctrl-C', '\u0003', 'Cancelled.'],
    ['Ctrl-D on an empty line', '\u0004', 'Cancelled.'],
    ['an empty line', '\r', 'Nothing was entered.'],
  ])('gives up on %s', async (_name, key, message) => {
    const { terminal, input, rawModes } = fakeTerminal(true);
    const answer = readClientCredentials({ TR_API_CLIENT_ID: 'id' }, terminal);
    typeLater(input, key);
    await expect(answer).rejects.toEqual(new CredentialsError(message));
    expect(rawModes).toEqual([true, false]);
  });
});

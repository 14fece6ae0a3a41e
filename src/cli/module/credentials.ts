/** Spec §10: an API client's credentials, from the environment or a prompt, never from argv. */
export interface ClientCredentials {
  clientId: string;
  clientPassword: string;
}

/** Where a prompt reads and writes: the process's stdin and stderr in production. */
export interface Terminal {
  input: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  output: NodeJS.WritableStream;
}

export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
}

const ID_VARIABLE = 'TR_API_CLIENT_ID';
const PASSWORD_VARIABLE = 'TR_API_CLIENT_PASSWORD';

/**
 * The API client's id and password: `TR_API_CLIENT_ID` and
 * `TR_API_CLIENT_PASSWORD`, else asked on the terminal (the password without
 * echo). Without a terminal (CI, a pipe) a missing variable is an error that
 * says what to set.
 */
export async function readClientCredentials(
  env: Record<string, string | undefined>,
  terminal: Terminal,
): Promise<ClientCredentials> {
  const clientId = env[ID_VARIABLE]?.trim() || undefined;
  const clientPassword = env[PASSWORD_VARIABLE] || undefined;
  const missing = [
    ...(clientId === undefined ? [ID_VARIABLE] : []),
    ...(clientPassword === undefined ? [PASSWORD_VARIABLE] : []),
  ];
  if (missing.length > 0 && !canPrompt(terminal)) {
    throw new CredentialsError(
      `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set and there is no terminal to ask on: set ${missing.length > 1 ? 'them' : 'it'} in the environment.`,
    );
  }
  return {
    clientId: clientId ?? (await ask(terminal, 'Threat Response API client ID: ', false)),
    clientPassword:
      clientPassword ?? (await ask(terminal, 'Threat Response API client password: ', true)),
  };
}

function canPrompt(terminal: Terminal): boolean {
  return terminal.input.isTTY === true && typeof terminal.input.setRawMode === 'function';
}

/**
 * Reads one line in raw mode, so nothing is echoed unless we echo it: the
 * password is never shown. Enter ends the line, Backspace edits it, Ctrl-C
 * or Ctrl-D on an empty line cancels.
 */
export function ask(terminal: Terminal, question: string, hidden: boolean): Promise<string> {
  const { input, output } = terminal;
  return new Promise((resolve, reject) => {
    let answer = '';
    const finish = (error?: Error): void => {
      input.off('data', onData);
      input.setRawMode?.(false);
      input.pause();
      output.write('\n');
      if (error !== undefined) reject(error);
      else if (answer === '') reject(new CredentialsError('Nothing was entered.'));
      else resolve(answer);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const character of chunk.toString()) {
        if (character === '\r' || character === '\n') return finish();
        if (character === '\u0003' || (character === '\u0004' && answer === '')) {
          return finish(new CredentialsError('Cancelled.'));
        }
        if (character === '\u0004') return finish();
        if (character === '\u007f' || character === '\b') {
          if (answer !== '' && !hidden) output.write('\b \b');
          answer = Array.from(answer).slice(0, -1).join('');
        } else if (character >= ' ') {
          answer += character;
          if (!hidden) output.write(character);
        }
      }
    };
    // Raw mode first: a key typed as soon as the question shows is never echoed.
    input.setRawMode?.(true);
    output.write(question);
    input.on('data', onData);
    input.resume();
  });
}

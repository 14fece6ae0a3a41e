/** What `readHidden` needs of stdin: a terminal it can put in raw mode. */
export interface TerminalInput extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

/** No answer: there is no terminal to ask on, or the user left (Ctrl-C, Ctrl-D on an empty line). */
export class PromptCancelledError extends Error {
  override readonly name = 'PromptCancelledError';
  constructor(readonly reason: 'no terminal' | 'cancelled') {
    super(reason);
  }
}

const ENTER = new Set(['\r', '\n']);
const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const BACKSPACE = new Set(['\u007f', '\b']);

/**
 * Asks for a secret on the terminal without echoing it: raw mode, so typed
 * characters never reach the screen (nor a screen recording or a terminal's
 * scroll-back). The prompt goes to `output` (stderr), so stdout keeps only
 * the program's result. Refuses when `input` is not a terminal.
 */
export function readHidden(
  prompt: string,
  input: TerminalInput,
  output: NodeJS.WritableStream,
): Promise<string> {
  if (!input.isTTY || typeof input.setRawMode !== 'function') {
    return Promise.reject(new PromptCancelledError('no terminal'));
  }
  const setRawMode = input.setRawMode.bind(input);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (outcome: () => void): void => {
      input.off('data', onData);
      setRawMode(false);
      input.pause();
      output.write('\n');
      outcome();
    };
    const onData = (chunk: Buffer | string): void => {
      for (const char of chunk.toString()) {
        if (ENTER.has(char)) return finish(() => resolve(value));
        if (char === CTRL_C || (char === CTRL_D && value === '')) {
          return finish(() => reject(new PromptCancelledError('cancelled')));
        }
        if (BACKSPACE.has(char)) value = Array.from(value).slice(0, -1).join('');
        else if (char !== CTRL_D) value += char;
      }
    };
    // Raw mode first: nothing typed after the prompt appears may be echoed.
    setRawMode(true);
    output.write(prompt);
    input.on('data', onData);
    input.resume();
  });
}

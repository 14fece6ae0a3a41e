import { describe, expect, it } from '@jest/globals';
import {
  CREDENTIALS_AS_ARGUMENTS,
  DEFAULT_TIMEOUT_MS,
  MODULE_CLI_USAGE,
  ModuleCliUsageError,
  parseModuleArgs,
} from './args.js';

const US = { baseUrl: 'https://visibility.amp.cisco.com', timeoutMs: DEFAULT_TIMEOUT_MS };
const TYPE = { url: 'https://relay.example.com', jwksHost: 'visibility.amp.cisco.com' };

function usageError(argv: string[], env: Record<string, string> = {}): ModuleCliUsageError {
  try {
    parseModuleArgs(argv, env);
  } catch (error) {
    if (error instanceof ModuleCliUsageError) return error;
    throw error;
  }
  throw new Error(`parseModuleArgs accepted ${JSON.stringify(argv)}`);
}

describe('parseModuleArgs', () => {
  it.each(['add', 'edit', 'apply', 'remove'] as const)('reads %s with its defaults', (action) => {
    expect(parseModuleArgs([action], {})).toEqual({
      kind: 'instance',
      action,
      settingsPath: 'relay_settings.json',
      dryRun: false,
      api: US,
    });
  });

  it('reads every instance option', () => {
    expect(
      parseModuleArgs(['edit', '--settings', 'prod.json', '--region', 'eu', '--dry-run'], {
        TR_API_TIMEOUT_MS: '5000',
      }),
    ).toEqual({
      kind: 'instance',
      action: 'edit',
      settingsPath: 'prod.json',
      dryRun: true,
      api: { baseUrl: 'https://visibility.eu.amp.cisco.com', timeoutMs: 5000 },
    });
  });

  it('reads type print without any API settings, even a bad TR_API_URL', () => {
    expect(
      parseModuleArgs(['type', 'print', '--url', 'https://relay.example.com'], { TR_API_URL: 'x' }),
    ).toEqual({ kind: 'type-print', moduleType: TYPE });
  });

  it('reads type create, update (with --id) and delete', () => {
    const env = { TR_API_URL: 'http://127.0.0.1:8082' };
    const api = { baseUrl: 'http://127.0.0.1:8082', timeoutMs: DEFAULT_TIMEOUT_MS };
    expect(
      parseModuleArgs(
        [
          'type',
          'create',
          '--url',
          'https://relay.example.com',
          '--jwks-host',
          'visibility.eu.amp.cisco.com',
        ],
        env,
      ),
    ).toEqual({
      kind: 'type',
      action: 'create',
      moduleType: { ...TYPE, jwksHost: 'visibility.eu.amp.cisco.com' },
      dryRun: false,
      api,
    });
    expect(
      parseModuleArgs(
        ['type', 'update', '--url', 'https://relay.example.com', '--id', 'abc', '--dry-run'],
        env,
      ),
    ).toEqual({ kind: 'type', action: 'update', moduleType: TYPE, id: 'abc', dryRun: true, api });
    expect(parseModuleArgs(['type', 'delete'], env)).toEqual({
      kind: 'type',
      action: 'delete',
      dryRun: false,
      api,
    });
  });

  it('answers help for the CLI and for each command', () => {
    expect(parseModuleArgs(['--help'], {})).toEqual({ kind: 'help', text: MODULE_CLI_USAGE });
    const add = parseModuleArgs(['add', '--help'], {});
    expect(add).toEqual({
      kind: 'help',
      text: expect.stringContaining('usage: npm run module -- add [--settings FILE]'),
    });
    const print = parseModuleArgs(['type', 'print', '--help'], {});
    expect(print).toEqual({
      kind: 'help',
      text: expect.stringContaining('usage: npm run module -- type print --url URL'),
    });
    expect(parseModuleArgs(['type', '--help'], {})).toEqual({
      kind: 'help',
      text: expect.stringContaining('usage: npm run module -- type delete'),
    });
  });

  it.each([
    ['--client-id', 'x'],
    ['--client_password=x'],
    ['--client-secret', 'x'],
    ['--password', 'x'],
    ['-p', 'x'],
    ['-i', 'x'],
  ])('refuses client credentials as arguments: %s', (...credential) => {
    const error = usageError(['add', ...credential]);
    expect(error.message).toBe(CREDENTIALS_AS_ARGUMENTS);
    expect(error.usage).toContain('usage: npm run module -- add');
  });

  it.each<[string[], Record<string, string>, string]>([
    [[], {}, 'A command is required.'],
    [['publish'], {}, 'Unknown command "publish".'],
    [['type'], {}, 'type needs a subcommand: print, create, update or delete.'],
    [['type', 'rename'], {}, 'Unknown type subcommand "rename".'],
    [['add', '--url', 'https://x'], {}, "Unknown option '--url'."],
    [
      ['add', 'extra'],
      {},
      "Unexpected argument 'extra'. This command does not take positional arguments.",
    ],
    [['add', '--region', 'mars'], {}, '--region must be one of us, eu, apjc.'],
    [
      ['add'],
      { TR_API_URL: 'http://tr.example.com' },
      'TR_API_URL must use https (plain http only for a loopback address).',
    ],
    [
      ['add'],
      { TR_API_TIMEOUT_MS: '50' },
      'TR_API_TIMEOUT_MS must be an integer from 100 to 600000.',
    ],
    [
      ['add'],
      { TR_API_TIMEOUT_MS: '1e4' },
      'TR_API_TIMEOUT_MS must be an integer from 100 to 600000.',
    ],
    [['type', 'print'], {}, "--url (the relay's public URL) is required."],
    [
      ['type', 'create', '--url', 'https://x.example', '--id', 'a'],
      {},
      '--id applies to type update and type delete only.',
    ],
    [['type', 'delete', '--id', ' '], {}, '--id must not be empty.'],
    [['type', 'delete', '--url', 'https://x.example'], {}, "Unknown option '--url'."],
  ])('refuses %j (env %j)', (argv, env, message) => {
    expect(usageError(argv, env).message).toBe(message);
  });
});

import { describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:net';
import { recordingIo } from '../../test/support/recording-io.js';
import { DEFAULT_TR_PORT, parseTrCliArgs, runTrCli, shellQuote, TR_CLI_USAGE } from './cli.js';
import { TR_SIMULATOR_CLIENT_ID, TR_SIMULATOR_CLIENT_PASSWORD } from './tr-simulator.js';

describe('parseTrCliArgs', () => {
  it('defaults to loopback port 8082 and the demo client', () => {
    expect(parseTrCliArgs([])).toEqual({
      help: false,
      host: '127.0.0.1',
      port: DEFAULT_TR_PORT,
      clientId: TR_SIMULATOR_CLIENT_ID,
      clientPassword: TR_SIMULATOR_CLIENT_PASSWORD,
    });
  });

  it('reads every option', () => {
    expect(
      parseTrCliArgs([
        '--host',
        '::1',
        '--port',
        '0',
        '--client-id',
        'me',
        '--client-password',
        'pw',
      ]),
    ).toEqual({ help: false, host: '::1', port: 0, clientId: 'me', clientPassword: 'pw' });
  });

  it.each([
    [['--port', '70000'], '--port must be an integer from 0 to 65535'],
    [['--port', 'x'], '--port must be an integer from 0 to 65535'],
    [['--host', '0.0.0.0'], 'refusing to listen on non-loopback host 0.0.0.0'],
    [['--client-id', 'a:b'], '--client-id must be non-empty and hold no ":"'],
    [['--client-password', ''], '--client-password must not be empty'],
    [['--scopes', 'x'], "Unknown option '--scopes'"],
  ])('refuses %j', (argv, message) => {
    expect(() => parseTrCliArgs(argv)).toThrow(message);
  });
});

describe('shellQuote', () => {
  it.each([
    ['http://127.0.0.1:8082', 'http://127.0.0.1:8082'],
    ['TR-sim&demo=pass+50%:ok', "'TR-sim&demo=pass+50%:ok'"],
    ["it's", "'it'\\''s'"],
  ])('%s → %s', (value, quoted) => {
    expect(shellQuote(value)).toBe(quoted);
  });
});

describe('runTrCli', () => {
  it('prints its URL and the demo client as lines to paste, serves, and stops on SIGINT', async () => {
    const io = recordingIo();
    const { simulator, finished } = await runTrCli(['--port', '0'], io);
    const url = simulator!.url;
    expect(io.lines).toEqual([
      `Threat Response API simulator: ${url} (Ctrl-C to stop)`,
      'Its demo API client (public credentials, for this simulator only), ready to paste:',
      `export TR_API_URL=${url}`,
      `export TR_API_CLIENT_ID=${TR_SIMULATOR_CLIENT_ID}`,
      `export TR_API_CLIENT_PASSWORD='${TR_SIMULATOR_CLIENT_PASSWORD}'`,
    ]);
    const token = await fetch(`${url}/iroh/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${TR_SIMULATOR_CLIENT_ID}:${TR_SIMULATOR_CLIENT_PASSWORD}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    expect(token.status).toBe(200);

    io.signals.emit('SIGINT');
    expect(await finished).toBe(0);
    await expect(fetch(url)).rejects.toThrow('fetch failed');
    expect(io.signals.listenerCount('SIGINT') + io.signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('without --port, gives way to a free port when 8082 is busy; with --port, fails', async () => {
    // Held by this test, or already by someone else: busy either way.
    const holder: Server = createServer();
    await new Promise<void>((resolve) => {
      holder.once('error', () => resolve());
      holder.listen(DEFAULT_TR_PORT, '127.0.0.1', resolve);
    });
    try {
      const io = recordingIo();
      const { simulator, finished } = await runTrCli([], io);
      expect(io.errors).toEqual([`Port ${DEFAULT_TR_PORT} is busy; using a free one instead.`]);
      expect(new URL(simulator!.url).port).not.toBe(String(DEFAULT_TR_PORT));
      expect(io.lines[2]).toBe(`export TR_API_URL=${simulator!.url}`);
      io.signals.emit('SIGINT');
      expect(await finished).toBe(0);
      await expect(
        runTrCli(['--port', String(DEFAULT_TR_PORT)], recordingIo()),
      ).rejects.toMatchObject({
        code: 'EADDRINUSE',
      });
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('prints usage and exits 2 on bad arguments, starting nothing', async () => {
    const io = recordingIo();
    const { simulator, finished } = await runTrCli(['--port', 'x'], io);
    expect([simulator, await finished, io.errors]).toEqual([
      undefined,
      2,
      ['error: --port must be an integer from 0 to 65535', TR_CLI_USAGE],
    ]);
  });

  it('prints usage and exits 0 on --help', async () => {
    const io = recordingIo();
    const { simulator, finished } = await runTrCli(['--help'], io);
    expect([simulator, await finished, io.lines]).toEqual([undefined, 0, [TR_CLI_USAGE]]);
  });
});

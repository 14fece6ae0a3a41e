import { describe, expect, it } from '@jest/globals';
import { recordingIo } from '../../test/support/recording-io.js';
import { isLoopbackHost } from '../lib/simulator-server.js';
import { CLI_USAGE, DEFAULT_CLI_PORT, parseCliArgs, runCli } from './cli.js';
import { SIMULATOR_EVENTS, UNATTRIBUTABLE_EVENTS } from './dataset.js';
import { SIMULATOR_PASSWORD, SIMULATOR_USER } from './qualys-simulator.js';
import { SimulatorClient } from './simulator-client.js';

const RATE_LIMIT_USAGE =
  '--rate-limit must be <calls>/<seconds> with positive integers, e.g. 300/3600';

describe('parseCliArgs', () => {
  it('defaults to loopback port 8081 with no latency, no faults and no limits', () => {
    expect(parseCliArgs([])).toEqual({
      help: false,
      allowRemote: false,
      options: {
        host: '127.0.0.1',
        port: DEFAULT_CLI_PORT,
        latencyMs: 0,
        randomFaultRate: 0,
        seed: 1,
        eventsPerSearch: 0,
        maxFilterLength: null,
        concurrencyLimit: null,
        rateLimit: null,
        refusalStatus: 429,
        concurrencyHeaderSpelling: 'X-ConcurrencyLimit-*',
        rateRefusalWait: true,
      },
    });
  });

  it('reads every option', () => {
    const argv = [
      '--host',
      '::1',
      '--port',
      '0',
      '--latency',
      '50',
      '--fault-rate',
      '0.1',
      '--seed',
      '9',
      '--events-per-search',
      '500',
      '--concurrency-limit',
      '2',
      '--rate-limit',
      '300/3600',
      '--refusal-status',
      '409',
      '--concurrency-header-spelling',
      'X-Concurrency-Limit',
      '--no-rate-wait',
      '--max-filter-length',
      '900',
      '--contains-match',
    ];
    expect(parseCliArgs(argv).options).toEqual({
      host: '::1',
      port: 0,
      latencyMs: 50,
      randomFaultRate: 0.1,
      seed: 9,
      eventsPerSearch: 500,
      maxFilterLength: 900,
      containsMatch: true,
      concurrencyLimit: 2,
      rateLimit: { calls: 300, windowSec: 3600 },
      refusalStatus: 409,
      concurrencyHeaderSpelling: 'X-Concurrency-Limit-*',
      rateRefusalWait: false,
    });
  });

  it('adds the unattributable events, with loose hash matching, on request', () => {
    const { options } = parseCliArgs(['--with-unattributable-events']);
    expect([options.events, options.looseHashes]).toEqual([
      [...SIMULATOR_EVENTS, ...UNATTRIBUTABLE_EVENTS],
      true,
    ]);
  });

  it.each([
    ['0', '--max-filter-length must be an integer from 1 to 9007199254740991'],
    ['x', '--max-filter-length must be an integer from 1 to 9007199254740991'],
  ])('rejects --max-filter-length %s', (text, message) => {
    expect(() => parseCliArgs(['--max-filter-length', text])).toThrow(message);
  });

  it('documents batchedSearchCalls in its help', () => {
    expect(CLI_USAGE).toContain('batchedSearchCalls');
    expect(CLI_USAGE).toContain('--max-filter-length <n>');
  });

  it.each([
    ['X-ConcurrencyLimit', 'X-ConcurrencyLimit-*'],
    ['X-ConcurrencyLimit-*', 'X-ConcurrencyLimit-*'],
    ['X-Concurrency-Limit-*', 'X-Concurrency-Limit-*'],
  ])('reads the header spelling %s', (text, spelling) => {
    const options = parseCliArgs(['--concurrency-header-spelling', text]).options;
    expect(options.concurrencyHeaderSpelling).toBe(spelling);
  });

  it('accepts a non-loopback host only with --allow-remote', () => {
    expect(() => parseCliArgs(['--host', '0.0.0.0'])).toThrow(
      'refusing to listen on non-loopback host 0.0.0.0; pass --allow-remote to do it anyway',
    );
    expect(parseCliArgs(['--host', '0.0.0.0', '--allow-remote'])).toMatchObject({
      allowRemote: true,
      options: { host: '0.0.0.0' },
    });
  });

  it.each([
    [['--port', '65536'], '--port must be an integer from 0 to 65535'],
    [['--port', '80.5'], '--port must be an integer from 0 to 65535'],
    [['--latency=-1'], '--latency must be an integer from 0 to 9007199254740991'],
    [['--fault-rate', '2'], '--fault-rate must be a number from 0 to 1'],
    [['--fault-rate', ''], '--fault-rate must be a number from 0 to 1'],
    [['--seed', 'x'], '--seed must be an integer from -2147483648 to 4294967295'],
    [['--colour'], "Unknown option '--colour'"],
    [
      ['--concurrency-limit', '0'],
      '--concurrency-limit must be an integer from 1 to 9007199254740991',
    ],
    [
      ['--concurrency-limit', '2.5'],
      '--concurrency-limit must be an integer from 1 to 9007199254740991',
    ],
    [['--rate-limit', '300'], RATE_LIMIT_USAGE],
    [['--rate-limit', '0/60'], RATE_LIMIT_USAGE],
    [['--rate-limit', '5/0'], RATE_LIMIT_USAGE],
    [['--rate-limit', '5/1.5'], RATE_LIMIT_USAGE],
    [['--rate-limit', '99999999999999999999/60'], RATE_LIMIT_USAGE],
    [['--refusal-status', '503'], '--refusal-status must be one of 429, 409'],
    [
      ['--concurrency-header-spelling', 'x-concurrencylimit'],
      '--concurrency-header-spelling must be X-ConcurrencyLimit or X-Concurrency-Limit',
    ],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(message);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
    ['127.example.com', false],
  ])('treats %s as loopback: %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});

describe('runCli', () => {
  it('prints one ready line, serves, and closes with exit code 0 on SIGTERM', async () => {
    const io = recordingIo();
    const { simulator, finished } = await runCli(['--port', '0'], io);
    expect(io.lines).toHaveLength(1);
    expect(JSON.parse(io.lines[0])).toEqual({
      simulator: 'ready',
      url: simulator?.url,
      user: SIMULATOR_USER,
      password: SIMULATOR_PASSWORD,
    });
    const url = simulator!.url;
    expect(await new SimulatorClient(url).requestToken()).toMatch(/^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/);

    io.signals.emit('SIGTERM');
    expect(await finished).toBe(0);
    await expect(fetch(`${url}/auth`)).rejects.toThrow('fetch failed');
    expect(io.signals.listenerCount('SIGINT') + io.signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('starts the simulator with the limits given', async () => {
    const io = recordingIo();
    const argv = ['--port', '0', '--concurrency-limit', '1', '--rate-limit', '5/60'];
    const { simulator, finished } = await runCli([...argv, '--refusal-status', '409'], io);
    expect(simulator?.limits).toEqual({
      concurrencyLimit: 1,
      rateLimit: { calls: 5, windowSec: 60 },
      refusalStatus: 409,
      concurrencyHeaderSpelling: 'X-ConcurrencyLimit-*',
      rateRefusalWait: true,
    });
    io.signals.emit('SIGTERM');
    expect(await finished).toBe(0);
  });

  it('documents every limit flag in its usage', () => {
    for (const flag of [
      '--concurrency-limit <n>',
      '--rate-limit <calls/seconds>',
      '--refusal-status <429|409>',
      '--concurrency-header-spelling <X-ConcurrencyLimit|X-Concurrency-Limit>',
      '--no-rate-wait',
    ]) {
      expect([flag, CLI_USAGE.includes(`  ${flag}`)]).toEqual([flag, true]);
    }
  });

  it('closes on SIGINT too', async () => {
    const io = recordingIo();
    const { finished } = await runCli(['--port', '0'], io);
    io.signals.emit('SIGINT');
    expect(await finished).toBe(0);
  });

  it('prints usage and exits 2 on bad arguments, starting nothing', async () => {
    const io = recordingIo();
    const { simulator, finished } = await runCli(['--port', 'x'], io);
    expect(simulator).toBeUndefined();
    expect(await finished).toBe(2);
    expect(io.errors).toEqual(['error: --port must be an integer from 0 to 65535', CLI_USAGE]);
  });

  it('prints usage and exits 0 on --help', async () => {
    const io = recordingIo();
    const { simulator, finished } = await runCli(['--help'], io);
    expect([simulator, await finished, io.lines]).toEqual([undefined, 0, [CLI_USAGE]]);
  });

  it('warns when listening beyond loopback', async () => {
    const io = recordingIo();
    const { finished } = await runCli(['--host', '0.0.0.0', '--port', '0', '--allow-remote'], io);
    io.signals.emit('SIGTERM');
    await finished;
    expect(io.errors).toEqual([
      'warning: the simulator is reachable from other hosts and its password is public',
    ]);
  });
});

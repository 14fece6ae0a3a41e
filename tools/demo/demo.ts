/**
 * `npm run demo`: the relay and the bundled Qualys simulator on loopback, a
 * ready JWT, and commands to paste. Secret mode, with `JWT_SECRET` from the
 * environment when set (so tokens minted by `npm run jwt` work against it),
 * else a secret generated for this run only; `QUALYS_ALLOW_INSECURE` because
 * the simulator speaks plain HTTP on 127.0.0.1. Runs until Ctrl-C, then stops
 * both servers.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/app.factory.js';
import { mintRelayToken } from '../../src/cli/relay-token.js';
import { ConfigValidationError, parseRelayConfig } from '../../src/config/config-parser.js';
import type { RelayConfig } from '../../src/config/relay-config.js';
import { SIMULATOR_VALUES } from '../simulator/dataset.js';
import {
  SIMULATOR_PASSWORD,
  SIMULATOR_USER,
  startQualysSimulator,
} from '../simulator/qualys-simulator.js';
import { shellQuote } from '../tr-simulator/cli.js';

const HOST = '127.0.0.1';

/** A curl command that reads the relay URL and the JWT from the printed `export` line. */
function curl(route: string, body?: string): string {
  const data = body === undefined ? '' : ` \\\n  -H 'Content-Type: application/json' -d '${body}'`;
  return `curl -s -X POST "$URL${route}" -H "Authorization: Bearer $JWT"${data}`;
}

function demoConfig(secret: string, simulatorUrl: string): RelayConfig {
  try {
    return parseRelayConfig({
      AUTH_MODE: 'secret',
      JWT_SECRET: secret,
      QUALYS_ALLOW_INSECURE: 'true',
      QUALYS_API_URL: simulatorUrl,
      QUALYS_PLATFORM_URL: simulatorUrl,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      HOST,
      PORT: process.env.PORT ?? '9090',
    });
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const fromEnvironment = (process.env.JWT_SECRET ?? '') !== '';
  const secret = fromEnvironment
    ? (process.env.JWT_SECRET as string)
    : randomBytes(32).toString('base64url');
  const simulator = await startQualysSimulator({ host: HOST, latencyMs: 20 });
  const config = demoConfig(secret, simulator.url);
  const app = await createApp(config);
  try {
    await app.listen(config.port, HOST);
  } catch (error) {
    if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
    process.stderr.write(`Port ${config.port} is busy; using a free one instead.\n`);
    await app.listen(0, HOST);
  }
  const { port } = app.getHttpServer().address() as AddressInfo;
  const relay = `http://${HOST}:${port}`;
  const jwt = await mintRelayToken(secret, {
    user: SIMULATOR_USER,
    pass: SIMULATOR_PASSWORD,
    API_URL: simulator.url,
    PLATFORM_URL: simulator.url,
  });
  const observables = JSON.stringify([
    { type: 'sha256', value: SIMULATOR_VALUES.sha256 },
    { type: 'domain', value: SIMULATOR_VALUES.domain },
  ]);

  process.stdout.write(
    [
      '',
      'Qualys IOC relay demo is running (Ctrl-C to stop).',
      `  relay:            ${relay}`,
      `  Swagger UI:       ${relay}/docs`,
      `  Qualys simulator: ${simulator.url} (user ${SIMULATOR_USER}, password ${shellQuote(SIMULATOR_PASSWORD)})`,
      `  JWT_SECRET:       ${fromEnvironment ? 'taken from the environment' : 'generated for this run only'}`,
      '',
      'Paste this line into another terminal: the relay URL and a JWT (secret mode) for it.',
      `export URL=${relay} JWT=${jwt}`,
      '',
      '# Check the Qualys credentials carried by the JWT:',
      curl('/health'),
      '',
      '# Sightings, indicators, judgements, relationships and verdicts for two observables:',
      curl('/observe/observables', observables),
      '',
      '# Pivot links to the Qualys console:',
      curl('/refer/observables', observables),
      '',
      "# Qualys's verdict on the file hash (the same searches: answered from the cache):",
      curl('/deliberate/observables', observables),
      '',
    ].join('\n') + '\n',
  );

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nStopping the relay and the simulator…\n');
    await app.close();
    await simulator.close();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop());
}

void main();

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  startTrSimulator,
  TR_SIMULATOR_CLIENT_ID,
  TR_SIMULATOR_CLIENT_PASSWORD,
  type TrSimulator,
} from '../../../tools/tr-simulator/tr-simulator.js';
import { parseModuleArgs } from './args.js';
import { CommandFailureError, runModuleCommand } from './commands.js';
import { IrohClient } from './iroh-client.js';
import { Redactor } from './mask.js';
import { buildModuleType } from './module-type.js';

/**
 * The command runners in-process, for what the end-to-end spec does not
 * reach: duplicates in Threat Response, lookups by --id, the JWKS warning.
 */
let simulator: TrSimulator;
const dir = mkdtempSync(join(tmpdir(), 'module-commands-'));
const settingsPath = join(dir, 'relay_settings.json');
const settings = {
  name: 'Qualys IOC',
  module_type_id: 'a14ae422-01b6-5013-9876-695ff1b0ebe0',
  visibility: 'org',
  settings: {
    url: 'https://relay.example.com',
    'auth-type': 'authorization-header',
    'authorization-header': 'Bearer eyJh.eyJp.sig',
    'supported-apis': ['health'],
  },
};

beforeAll(async () => {
  simulator = await startTrSimulator();
  writeFileSync(settingsPath, JSON.stringify(settings));
});
afterEach(() => simulator.reset());
afterAll(async () => {
  await simulator.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(argv: string[], extraEnv: Record<string, string> = {}) {
  const env = {
    TR_API_URL: simulator.url,
    TR_API_CLIENT_ID: TR_SIMULATOR_CLIENT_ID,
    TR_API_CLIENT_PASSWORD: TR_SIMULATOR_CLIENT_PASSWORD,
    ...extraEnv,
  };
  const out: string[] = [];
  const err: string[] = [];
  await runModuleCommand(parseModuleArgs(argv, env), {
    output: { out: (line) => out.push(line), err: (line) => err.push(line) },
    env,
    terminal: { input: new PassThrough(), output: new PassThrough() },
    redactor: new Redactor(),
  });
  return { out, err };
}

async function seed(
  collection: 'module-instance' | 'module-type',
  document: object,
  times: number,
) {
  const session = await new IrohClient({ baseUrl: simulator.url, timeoutMs: 5000 }).login(
    TR_SIMULATOR_CLIENT_ID,
    TR_SIMULATOR_CLIENT_PASSWORD,
  );
  const ids: string[] = [];
  for (let i = 0; i < times; i += 1) ids.push((await session.create(collection, document)).id);
  return ids;
}

const typeDocument = buildModuleType({
  url: 'https://relay.example.com',
  jwksHost: 'visibility.amp.cisco.com',
});

describe('runModuleCommand', () => {
  it('refuses to edit or remove when two instances match, naming them', async () => {
    const ids = await seed('module-instance', settings, 2);
    const message = `Relay module "Qualys IOC" matches 2 items in Threat Response (ids ${ids.join(', ')}); remove the duplicates first.`;
    await expect(run(['remove', '--settings', settingsPath])).rejects.toEqual(
      new CommandFailureError(message),
    );
    await expect(run(['edit', '--settings', settingsPath])).rejects.toEqual(
      new CommandFailureError(message),
    );
    await expect(run(['apply', '--settings', settingsPath])).rejects.toEqual(
      new CommandFailureError(message),
    );
    expect(simulator.items('module-instance').map(({ id }) => id)).toEqual(ids);
  });

  it('apply adds, then edits; nothing to change is success, dry run or not, and writes nothing', async () => {
    const added = 'Relay module "Qualys IOC" has been successfully added!';
    const unchanged = 'Relay module "Qualys IOC" has not been changed!';
    await expect(run(['apply', '--settings', settingsPath])).resolves.toEqual({
      out: [added],
      err: [],
    });
    const writesBefore = simulator.requests().filter(({ method }) => method !== 'GET').length;
    for (const argv of [['apply'], ['apply', '--dry-run'], ['edit'], ['edit', '--dry-run']]) {
      await expect(run([...argv, '--settings', settingsPath])).resolves.toEqual({
        out: [unchanged],
        err: [],
      });
    }
    // Only the token requests of the four logins were sent besides reads.
    expect(simulator.requests().filter(({ method }) => method !== 'GET').length).toBe(
      writesBefore + 4,
    );
    expect(simulator.items('module-instance')).toEqual([{ ...settings, id: expect.any(String) }]);
  });

  it('type update with nothing to change is success, dry run or not', async () => {
    await seed('module-type', typeDocument, 1);
    for (const dryRun of [[], ['--dry-run']]) {
      await expect(
        run(['type', 'update', '--url', 'https://relay.example.com', ...dryRun]),
      ).resolves.toEqual({
        out: ['Module type "Qualys IOC Relay" has not been changed!'],
        err: [],
      });
    }
  });

  it('matches an instance by name and module_type_id together', async () => {
    await seed('module-instance', { ...settings, module_type_id: 'another-type' }, 1);
    await expect(run(['add', '--settings', settingsPath])).resolves.toEqual({
      out: ['Relay module "Qualys IOC" has been successfully added!'],
      err: [],
    });
    expect(simulator.items('module-instance')).toHaveLength(2);
  });

  it('deletes the module type named by --id, even when titles are ambiguous', async () => {
    const ids = await seed('module-type', typeDocument, 2);
    await expect(run(['type', 'delete'])).rejects.toEqual(
      new CommandFailureError(
        `Module type "Qualys IOC Relay" matches 2 items in Threat Response (ids ${ids.join(', ')}); remove the duplicates first.`,
      ),
    );
    await expect(run(['type', 'delete', '--id', ids[1]])).resolves.toEqual({
      out: ['Module type "Qualys IOC Relay" has been successfully deleted!'],
      err: [],
    });
    expect(simulator.items('module-type').map(({ id }) => id)).toEqual([ids[0]]);
  });

  it('warns about a JWKS host the relay would refuse, and still creates the type', async () => {
    const { out, err } = await run(
      ['type', 'create', '--url', 'https://relay.example.com', '--jwks-host', 'keys.corp'],
      {
        JWKS_HOST_ALLOWLIST: 'visibility.amp.cisco.com',
      },
    );
    const [created] = simulator.items('module-type');
    expect(created).toEqual({
      ...buildModuleType({ url: 'https://relay.example.com', jwksHost: 'keys.corp' }),
      id: expect.any(String),
    });
    expect({ out, err }).toEqual({
      out: [
        `Module type "Qualys IOC Relay" has been successfully created! Its id is ${created.id}.`,
      ],
      err: [
        "Warning: keys.corp is not on the relay's JWKS_HOST_ALLOWLIST (visibility.amp.cisco.com); add it there, or the relay will refuse XDR's tokens.",
      ],
    });
  });

  it('prints help without logging in', async () => {
    await expect(run(['edit', '--help'])).resolves.toEqual({
      out: [expect.stringMatching(/^usage: npm run module -- edit /)],
      err: [],
    });
    expect(simulator.requests()).toEqual([]);
  });
});

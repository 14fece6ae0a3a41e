import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startForwardProxy } from './support/forward-proxy.js';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CREDENTIALS_AS_ARGUMENTS, MODULE_CLI_USAGE } from '../src/cli/module/args.js';
import { buildModuleType, serializeModuleType } from '../src/cli/module/module-type.js';
import { RELAY_SUPPORTED_APIS } from '../src/cli/module/supported-apis.js';
import { mintRelayToken } from '../src/cli/relay-token.js';
import {
  startTrSimulator,
  TR_SIMULATOR_CLIENT_ID,
  TR_SIMULATOR_CLIENT_PASSWORD,
  type RecordedRequest,
  type TrSimulator,
} from '../tools/tr-simulator/tr-simulator.js';
import { compilePrivateBuild, ROOT, type PrivateBuild } from './support/private-build.js';

/**
 * Issue #11 / spec §10: `npm run module` end to end. The CLI's real entry
 * point (dist/cli/module.js, compiled privately) runs as a child process with
 * a controlled environment against the Threat Response API simulator; every
 * test asserts the exit status and the exact stdout and stderr.
 */
const RELAY_URL = 'https://relay.example.com';
const QUALYS_PASSWORD = 'Qu&lys=pa55+word%';
const INSTANCE_PATH = '/iroh/iroh-int/module-instance';
const TYPE_PATH = '/iroh/iroh-int/module-type';
const TOKEN_PATH = '/iroh/oauth2/token';
const ADDED = 'Relay module "Qualys IOC" has been successfully added!\n';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let build: PrivateBuild;
let simulator: TrSimulator;
let workdir: string;
let jwt: string;
let otherJwt: string;
/** Everything any run printed, and every access token issued: the secrets sweep reads them. */
const printed: string[] = [];
const accessTokens = new Set<string>();

beforeAll(async () => {
  build = await compilePrivateBuild('relay-module-cli-');
  simulator = await startTrSimulator();
  // The working directory holds a copy of the committed template: the default settings file.
  workdir = mkdtempSync(join(tmpdir(), 'relay-module-cwd-'));
  copyFileSync(join(ROOT, 'relay_settings.json'), join(workdir, 'relay_settings.json'));
  const template = JSON.parse(readFileSync(join(ROOT, 'relay_settings.json'), 'utf8')) as object;
  writeFileSync(join(workdir, 'user.json'), JSON.stringify({ ...template, visibility: 'user' }));
  const secret = 'module-cli-e2e-secret-0123456789abcdef';
  const claims = {
    user: 'qualys-user',
    pass: QUALYS_PASSWORD,
    API_URL: 'https://gateway.qg2.apps.qualys.com',
  };
  jwt = await mintRelayToken(secret, claims);
  otherJwt = await mintRelayToken(secret, { ...claims, CTR_ENTITIES_LIMIT: 50 });
}, 120_000);

afterEach(() => {
  for (const token of simulator.issuedTokens()) accessTokens.add(token);
});

afterAll(async () => {
  await simulator.close();
  build.remove();
  rmSync(workdir, { recursive: true, force: true });
});

/** The CLI's environment: the simulator, the demo API client and the template's variables. */
function cliEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    TR_API_URL: simulator.url,
    TR_API_CLIENT_ID: TR_SIMULATOR_CLIENT_ID,
    TR_API_CLIENT_PASSWORD: TR_SIMULATOR_CLIENT_PASSWORD,
    URL: RELAY_URL,
    JWT: jwt,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
}

/** Runs `node dist/cli/module.js …` with stdin a closed pipe (no terminal). */
function cli(args: string[], overrides: Record<string, string | undefined> = {}): Promise<Run> {
  const child = spawn(process.execPath, [join(build.dir, 'dist/cli/module.js'), ...args], {
    cwd: workdir,
    env: cliEnv(overrides),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end();
  return collect(child);
}

function collect(child: ReturnType<typeof spawn>): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      printed.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

const failed = (stderr: string, code = 1): Run => ({ code, stdout: '', stderr: `${stderr}\n` });
const succeeded = (stdout: string): Run => ({ code: 0, stdout, stderr: '' });

/** Writes the CLI sent (token requests excluded): `METHOD path body`. */
function writes(): string[] {
  return simulator
    .requests()
    .filter(({ method, path }) => method !== 'GET' && path !== TOKEN_PATH)
    .map(({ method, path, body }: RecordedRequest) => `${method} ${path} ${body}`.trim());
}

function expandedSettings(token = jwt) {
  return {
    name: 'Qualys IOC',
    module_type_id: 'a14ae422-01b6-5013-9876-695ff1b0ebe0',
    visibility: 'org',
    settings: {
      url: RELAY_URL,
      'auth-type': 'authorization-header',
      'authorization-header': `Bearer ${token}`,
      'supported-apis': [...RELAY_SUPPORTED_APIS],
    },
  };
}

describe('npm run module (spec §10) against the Threat Response API simulator', () => {
  it('prints its usage on --help', async () => {
    expect(await cli(['--help'])).toEqual(succeeded(`${MODULE_CLI_USAGE}\n`));
  });

  describe('relay module instance: add → exists → edit → unchanged → remove → gone', () => {
    beforeAll(() => simulator.reset());
    let id = '';

    it('add creates the instance from the committed template, variables expanded', async () => {
      expect(await cli(['add'])).toEqual(succeeded(ADDED));
      const [stored] = simulator.items('module-instance');
      id = stored.id;
      expect(simulator.items('module-instance')).toEqual([{ ...expandedSettings(), id }]);
      expect(writes()).toEqual([`POST ${INSTANCE_PATH} ${JSON.stringify(expandedSettings())}`]);
    });

    it('add again: already exists, nothing written', async () => {
      const before = writes();
      expect(await cli(['add'])).toEqual(failed('Relay module "Qualys IOC" already exists!'));
      expect(writes()).toEqual(before);
    });

    it('edit with one changed top-level key sends only that key', async () => {
      expect(await cli(['edit', '--settings', 'user.json'])).toEqual(
        succeeded('Relay module "Qualys IOC" has been successfully edited!\n'),
      );
      expect(writes().at(-1)).toBe(`PATCH ${INSTANCE_PATH}/${id} {"visibility":"user"}`);
    });

    it('edit (and edit --dry-run) with nothing changed: success on stdout, nothing written', async () => {
      const before = writes();
      const unchanged = succeeded('Relay module "Qualys IOC" has not been changed!\n');
      expect(await cli(['edit', '--settings', 'user.json'])).toEqual(unchanged);
      expect(await cli(['edit', '--settings', 'user.json', '--dry-run'])).toEqual(unchanged);
      expect(writes()).toEqual(before);
    });

    it('edit with a new JWT sends the whole settings object (and the visibility back to org)', async () => {
      expect(await cli(['edit'], { JWT: otherJwt })).toEqual(
        succeeded('Relay module "Qualys IOC" has been successfully edited!\n'),
      );
      const { visibility, settings } = expandedSettings(otherJwt);
      expect(writes().at(-1)).toBe(
        `PATCH ${INSTANCE_PATH}/${id} ${JSON.stringify({ visibility, settings })}`,
      );
      expect(simulator.items('module-instance')).toEqual([{ ...expandedSettings(otherJwt), id }]);
    });

    it('remove deletes it', async () => {
      expect(await cli(['remove'])).toEqual(
        succeeded('Relay module "Qualys IOC" has been successfully removed!\n'),
      );
      expect(writes().at(-1)).toBe(`DELETE ${INSTANCE_PATH}/${id}`);
      expect(simulator.items('module-instance')).toEqual([]);
    });

    it('remove and edit again: does not exist, nothing written', async () => {
      const before = writes();
      const gone = failed('Relay module "Qualys IOC" does not exist!');
      expect(await cli(['remove'])).toEqual(gone);
      expect(await cli(['edit'])).toEqual(gone);
      expect(writes()).toEqual(before);
    });
  });

  describe('apply: adds when missing, edits when present, succeeds when unchanged', () => {
    beforeAll(() => simulator.reset());

    it('apply --dry-run of a missing instance shows the POST, sends nothing', async () => {
      const run = await cli(['apply', '--dry-run']);
      expect(run.code).toBe(0);
      expect(run.stdout.split('\n').slice(0, 2)).toEqual([
        'Dry run: nothing was sent. The write would be:',
        `POST ${simulator.url}${INSTANCE_PATH}`,
      ]);
      expect(writes()).toEqual([]);
    });

    it('apply of a missing instance adds it', async () => {
      expect(await cli(['apply'])).toEqual(succeeded(ADDED));
      expect(writes()).toEqual([`POST ${INSTANCE_PATH} ${JSON.stringify(expandedSettings())}`]);
    });

    it('apply again with nothing changed: success, nothing written', async () => {
      const before = writes();
      expect(await cli(['apply'])).toEqual(
        succeeded('Relay module "Qualys IOC" has not been changed!\n'),
      );
      expect(writes()).toEqual(before);
    });

    it('apply with a new JWT edits the existing instance', async () => {
      const [{ id }] = simulator.items('module-instance');
      expect(await cli(['apply'], { JWT: otherJwt })).toEqual(
        succeeded('Relay module "Qualys IOC" has been successfully edited!\n'),
      );
      expect(writes().at(-1)).toBe(
        `PATCH ${INSTANCE_PATH}/${id} ${JSON.stringify({ settings: expandedSettings(otherJwt).settings })}`,
      );
      expect(simulator.items('module-instance')).toEqual([{ ...expandedSettings(otherJwt), id }]);
    });
  });

  describe('dry runs log in and read, print the write with secrets masked, and send none', () => {
    beforeAll(() => simulator.reset());

    const maskedSettings = (visibility = 'org') =>
      JSON.stringify(
        {
          ...expandedSettings(),
          visibility,
          settings: { ...expandedSettings().settings, 'authorization-header': 'Bearer ***' },
        },
        null,
        2,
      );

    it('add --dry-run', async () => {
      expect(await cli(['add', '--dry-run'])).toEqual(
        succeeded(
          `Dry run: nothing was sent. The write would be:\nPOST ${simulator.url}${INSTANCE_PATH}\n${maskedSettings()}\n`,
        ),
      );
      expect(writes()).toEqual([]);
      expect(simulator.requests().map(({ method, path }) => `${method} ${path}`)).toEqual([
        `POST ${TOKEN_PATH}`,
        `GET ${INSTANCE_PATH}`,
      ]);
    });

    it('edit --dry-run and remove --dry-run of an existing instance', async () => {
      expect(await cli(['add'])).toEqual(succeeded(ADDED));
      const [{ id }] = simulator.items('module-instance');
      const before = writes();

      const edit = await cli(['edit', '--dry-run', '--settings', 'user.json']);
      expect(edit).toEqual(
        succeeded(
          `Dry run: nothing was sent. The write would be:\nPATCH ${simulator.url}${INSTANCE_PATH}/${id}\n${JSON.stringify({ visibility: 'user' }, null, 2)}\n`,
        ),
      );
      expect(await cli(['remove', '--dry-run'])).toEqual(
        succeeded(
          `Dry run: nothing was sent. The write would be:\nDELETE ${simulator.url}${INSTANCE_PATH}/${id}\n`,
        ),
      );
      expect(writes()).toEqual(before);
      expect(simulator.items('module-instance')).toEqual([{ ...expandedSettings(), id }]);
    });

    it('type create, update and delete --dry-run', async () => {
      simulator.reset();
      const moduleType = buildModuleType({ url: RELAY_URL, jwksHost: 'visibility.amp.cisco.com' });
      const create = await cli(['type', 'create', '--url', RELAY_URL, '--dry-run']);
      expect(create).toEqual(
        succeeded(
          `Dry run: nothing was sent. The write would be:\nPOST ${simulator.url}${TYPE_PATH}\n${JSON.stringify(moduleType, null, 2)}\n`,
        ),
      );
      expect(await cli(['type', 'create', '--url', RELAY_URL])).toEqual(
        succeeded(
          `Module type "Qualys IOC Relay" has been successfully created! Its id is ${simulator.items('module-type')[0]?.id}.\n`,
        ),
      );
      const [{ id }] = simulator.items('module-type');
      const before = writes();
      const update = await cli([
        'type',
        'update',
        '--url',
        'https://relay2.example.com',
        '--dry-run',
      ]);
      expect(update.stdout).toBe(
        `Dry run: nothing was sent. The write would be:\nPATCH ${simulator.url}${TYPE_PATH}/${id}\n${JSON.stringify(
          {
            properties: buildModuleType({
              url: 'https://relay2.example.com',
              jwksHost: 'visibility.amp.cisco.com',
            }).properties,
          },
          null,
          2,
        )}\n`,
      );
      expect(await cli(['type', 'delete', '--dry-run'])).toEqual(
        succeeded(
          `Dry run: nothing was sent. The write would be:\nDELETE ${simulator.url}${TYPE_PATH}/${id}\n`,
        ),
      );
      expect(writes()).toEqual(before);
      expect(simulator.items('module-type')).toEqual([{ ...moduleType, id }]);
    });
  });

  describe('XDR module type', () => {
    beforeAll(() => simulator.reset());
    const update = (url: string, ...rest: string[]) =>
      cli(['type', 'update', '--url', url, ...rest]);

    it('type print needs no API and prints the generator output (the committed example for relay.example.com)', async () => {
      const run = await cli(['type', 'print', '--url', RELAY_URL], {
        TR_API_URL: undefined,
        TR_API_CLIENT_ID: undefined,
        TR_API_CLIENT_PASSWORD: undefined,
      });
      expect(run).toEqual(
        succeeded(
          serializeModuleType(
            buildModuleType({ url: RELAY_URL, jwksHost: 'visibility.amp.cisco.com' }),
          ),
        ),
      );
      expect(run.stdout).toBe(readFileSync(join(ROOT, 'module_type.example.json'), 'utf8'));
      expect(simulator.requests()).toEqual([]);
    });

    it('type print warns on stderr when the relay would refuse the JWKS host', async () => {
      const run = await cli([
        'type',
        'print',
        '--url',
        RELAY_URL,
        '--jwks-host',
        'keys.example.com',
      ]);
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual(
        buildModuleType({ url: RELAY_URL, jwksHost: 'keys.example.com' }),
      );
      expect(run.stderr).toBe(
        "Warning: keys.example.com is not on the relay's JWKS_HOST_ALLOWLIST (visibility.amp.cisco.com, visibility.eu.amp.cisco.com, visibility.apjc.amp.cisco.com); add it there, or the relay will refuse XDR's tokens.\n",
      );
    });

    it('type create, then create again: already exists', async () => {
      const run = await cli([
        'type',
        'create',
        '--url',
        RELAY_URL,
        '--jwks-host',
        'visibility.eu.amp.cisco.com',
      ]);
      const stored = simulator.items('module-type');
      const moduleType = buildModuleType({
        url: RELAY_URL,
        jwksHost: 'visibility.eu.amp.cisco.com',
      });
      expect(stored).toEqual([{ ...moduleType, id: expect.any(String) }]);
      expect(run).toEqual(
        succeeded(
          `Module type "Qualys IOC Relay" has been successfully created! Its id is ${stored[0].id}.\n`,
        ),
      );
      expect(await cli(['type', 'create', '--url', RELAY_URL])).toEqual(
        failed('Module type "Qualys IOC Relay" already exists!'),
      );
    });

    it('type update sends only what changed, then has not been changed', async () => {
      const [{ id }] = simulator.items('module-type');
      expect(
        await update('https://relay2.example.com', '--jwks-host', 'visibility.eu.amp.cisco.com'),
      ).toEqual(succeeded('Module type "Qualys IOC Relay" has been successfully updated!\n'));
      const { properties } = buildModuleType({
        url: 'https://relay2.example.com',
        jwksHost: 'visibility.eu.amp.cisco.com',
      });
      expect(writes().at(-1)).toBe(`PATCH ${TYPE_PATH}/${id} ${JSON.stringify({ properties })}`);
      expect(
        await update(
          'https://relay2.example.com',
          '--jwks-host',
          'visibility.eu.amp.cisco.com',
          '--id',
          id,
        ),
      ).toEqual(succeeded('Module type "Qualys IOC Relay" has not been changed!\n'));
      expect(
        await update(
          'https://relay2.example.com',
          '--jwks-host',
          'visibility.eu.amp.cisco.com',
          '--dry-run',
        ),
      ).toEqual(succeeded('Module type "Qualys IOC Relay" has not been changed!\n'));
    });

    it('type update --id of an unknown type: does not exist', async () => {
      expect(await update(RELAY_URL, '--id', 'no-such-type')).toEqual(
        failed('Module type with id "no-such-type" does not exist!'),
      );
    });

    it('type delete, then delete again: does not exist', async () => {
      const [{ id }] = simulator.items('module-type');
      expect(await cli(['type', 'delete'])).toEqual(
        succeeded('Module type "Qualys IOC Relay" has been successfully deleted!\n'),
      );
      expect(writes().at(-1)).toBe(`DELETE ${TYPE_PATH}/${id}`);
      expect(await cli(['type', 'delete'])).toEqual(
        failed('Module type "Qualys IOC Relay" does not exist!'),
      );
    });
  });

  describe('failures: one line on stderr, exit status 1, nothing written', () => {
    beforeEach(() => simulator.reset());

    it('an undefined ${VAR} in the settings file, before any API call', async () => {
      expect(await cli(['add'], { JWT: undefined })).toEqual(
        failed(
          'The settings file relay_settings.json uses the environment variable JWT (in settings.authorization-header), which is not set.',
        ),
      );
      expect(simulator.requests()).toEqual([]);
    });

    it('bad client credentials (401)', async () => {
      expect(await cli(['add'], { TR_API_CLIENT_PASSWORD: 'not-the-password' })).toEqual(
        failed(
          'Threat Response refused the API client credentials (HTTP 401): check TR_API_CLIENT_ID and TR_API_CLIENT_PASSWORD.',
        ),
      );
      expect(writes()).toEqual([]);
    });

    it('a missing scope (403)', async () => {
      simulator.setScopes(['enrich:read']);
      expect(await cli(['remove'])).toEqual(
        failed(
          `Threat Response denied GET ${INSTANCE_PATH} (HTTP 403): the API client lacks a scope; give it the Integration scope (read and write).`,
        ),
      );
      expect(writes()).toEqual([]);
    });

    it('a read-only scope lets a dry run through but not the write (403)', async () => {
      simulator.setScopes(['integration:read']);
      expect((await cli(['type', 'create', '--url', RELAY_URL, '--dry-run'])).code).toBe(0);
      expect(writes()).toEqual([]);
      expect(await cli(['type', 'create', '--url', RELAY_URL])).toEqual(
        failed(
          `Threat Response denied POST ${TYPE_PATH} (HTTP 403): the API client lacks a scope; give it the Integration scope (read and write).`,
        ),
      );
    });

    it('a server error (500)', async () => {
      simulator.injectFault({
        on: 'api',
        kind: 'status',
        status: 500,
        body: 'Internal Server Error',
      });
      expect(await cli(['add'])).toEqual(
        failed(`Threat Response answered HTTP 500 to GET ${INSTANCE_PATH}: Internal Server Error`),
      );
      expect(writes()).toEqual([]);
    });

    it('malformed JSON', async () => {
      simulator.injectFault({ on: 'api', kind: 'malformed-json' });
      expect(await cli(['edit'])).toEqual(
        failed(`Threat Response sent a malformed answer to GET ${INSTANCE_PATH} (not JSON).`),
      );
      expect(writes()).toEqual([]);
    });

    it('a slow API: gives up after TR_API_TIMEOUT_MS', async () => {
      simulator.setLatency(10_000);
      expect(await cli(['add'], { TR_API_TIMEOUT_MS: '1000' })).toEqual(
        failed(
          `Threat Response did not answer POST ${TOKEN_PATH} within 1000 ms (TR_API_TIMEOUT_MS).`,
        ),
      );
      expect(writes()).toEqual([]);
    });

    it('client credentials as arguments are refused (exit 2), never sent nor echoed', async () => {
      const run = await cli(['add', '--client-password', 'typed-on-the-command-line']);
      expect(run).toEqual({
        code: 2,
        stdout: '',
        stderr: `${CREDENTIALS_AS_ARGUMENTS}\n${(await cli(['add', '--help'])).stdout}`,
      });
      expect(simulator.requests()).toEqual([]);
    });

    it('no credentials and no terminal: says which variables to set', async () => {
      const run = await cli(['add'], {
        TR_API_CLIENT_ID: undefined,
        TR_API_CLIENT_PASSWORD: undefined,
      });
      expect(run).toEqual(
        failed(
          'TR_API_CLIENT_ID and TR_API_CLIENT_PASSWORD are not set and there is no terminal to ask on: set them in the environment.',
        ),
      );
      expect(simulator.requests()).toEqual([]);
    });
  });

  it('asks for missing credentials on a terminal, never echoing the password', async () => {
    simulator.reset();
    // `script` gives the CLI a pseudo-terminal; keys are typed once each question shows.
    const command = [process.execPath, join(build.dir, 'dist/cli/module.js'), 'add', '--dry-run']
      .map((part) => `'${part}'`)
      .join(' ');
    const child = spawn('script', ['-qefc', command, '/dev/null'], {
      cwd: workdir,
      env: cliEnv({ TR_API_CLIENT_ID: undefined, TR_API_CLIENT_PASSWORD: undefined }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const answers = [
      ['client ID: ', `${TR_SIMULATOR_CLIENT_ID}\r`],
      ['client password: ', `${TR_SIMULATOR_CLIENT_PASSWORD}\r`],
    ];
    let screen = '';
    child.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString();
      if (answers.length > 0 && screen.endsWith(answers[0][0]))
        child.stdin.write(answers.shift()![1]);
    });
    const run = await collect(child);
    printed.push(screen);
    expect(run.code).toBe(0);
    expect(screen).toContain(
      `Threat Response API client ID: ${TR_SIMULATOR_CLIENT_ID}\r\nThreat Response API client password: \r\nDry run: nothing was sent.`,
    );
    expect(simulator.requests().map(({ method, path }) => `${method} ${path}`)).toEqual([
      `POST ${TOKEN_PATH}`,
      `GET ${INSTANCE_PATH}`,
    ]);
  });

  it('reaches the Threat Response API through the egress proxy (spec §11)', async () => {
    const proxy = await startForwardProxy({ user: 'relay', pass: 'pr0xy-pass' });
    try {
      const run = await cli(['add', '--dry-run'], {
        HTTP_PROXY: `http://relay:pr0xy-pass@127.0.0.1:${proxy.port}`,
      });
      expect(run.code).toBe(0);
      expect(proxy.tunnels.length).toBeGreaterThanOrEqual(1);
      expect(new Set(proxy.tunnels)).toEqual(new Set([new URL(simulator.url).host]));
      expect(`${run.stdout}${run.stderr}`).not.toContain('pr0xy-pass');
      const refused = await cli(['add', '--dry-run'], { HTTP_PROXY: 'not a url' });
      expect(refused).toEqual(
        failed('Invalid proxy configuration: HTTP_PROXY must be an http:// or https:// proxy URL'),
      );
    } finally {
      await proxy.close();
    }
  });

  it('printed no secret in any run: client password, access tokens, relay JWTs, Qualys password', () => {
    for (const token of simulator.issuedTokens()) accessTokens.add(token);
    const secrets = [
      TR_SIMULATOR_CLIENT_PASSWORD,
      Buffer.from(`${TR_SIMULATOR_CLIENT_ID}:${TR_SIMULATOR_CLIENT_PASSWORD}`).toString('base64'),
      jwt,
      otherJwt,
      jwt.split('.')[1],
      QUALYS_PASSWORD,
      ...accessTokens,
    ];
    expect(accessTokens.size).toBeGreaterThan(10);
    expect(printed.length).toBeGreaterThan(40);
    const leaks = printed.flatMap((output) => secrets.filter((secret) => output.includes(secret)));
    expect(leaks).toEqual([]);
  });
});

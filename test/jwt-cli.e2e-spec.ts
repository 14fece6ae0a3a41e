import { execFile, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt, jwtVerify } from 'jose';
import {
  JWT_CLI_HELP,
  NEVER_EXPIRES_WARNING,
  PASSWORD_ARGUMENT_REFUSED,
} from '../src/cli/jwt-args.js';
import { compilePrivateBuild, type PrivateBuild } from './support/private-build.js';

const SECRET = 'jwt-cli-e2e-secret-0123456789abcdef0123';
const PASSWORD = 'Qualys p&ss=w+rd% 😀';
const USAGE_START = 'usage: JWT_SECRET=…';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The JWT CLI's real entry point (`node dist/cli/jwt.js`, what `npm run jwt`
 * runs) as a process, with only the environment given. stdin is a pipe, as
 * in a script or CI job: not a terminal.
 */
describe('the JWT CLI (npm run jwt)', () => {
  let build: PrivateBuild;

  beforeAll(async () => {
    build = await compilePrivateBuild('relay-jwt-cli-');
  }, 120_000);
  afterAll(() => build.remove());

  const run = (args: string[], env: Record<string, string>): Promise<Run> =>
    new Promise((resolve) => {
      const child = execFile(
        process.execPath,
        ['dist/cli/jwt.js', ...args],
        { cwd: build.dir, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 },
        (error, stdout, stderr) =>
          resolve({
            code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
            stdout,
            stderr,
          }),
      );
      child.stdin?.end();
    });

  const verified = async (stdout: string) => {
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const { payload } = await jwtVerify(stdout.trim(), new TextEncoder().encode(SECRET), {
      algorithms: ['HS256'],
    });
    return payload;
  };

  it('takes the password from QUALYS_PASSWORD and prints only the token', async () => {
    const result = await run(
      [
        '--user',
        'api-user',
        '--api-url',
        'https://gateway.qg2.apps.qualys.com',
        '--expires-in',
        '1h',
      ],
      { JWT_SECRET: SECRET, QUALYS_PASSWORD: PASSWORD },
    );
    expect([result.code, result.stderr]).toEqual([0, '']);
    const payload = await verified(result.stdout);
    expect(payload).toEqual({
      user: 'api-user',
      pass: PASSWORD,
      API_URL: 'https://gateway.qg2.apps.qualys.com',
      iat: expect.any(Number),
      exp: (payload.iat as number) + 3600,
    });
  });

  it('warns on stderr that a token without --expires-in never expires', async () => {
    const result = await run(['--user', 'api-user'], {
      JWT_SECRET: SECRET,
      QUALYS_PASSWORD: PASSWORD,
    });
    expect([result.code, result.stderr]).toEqual([0, `${NEVER_EXPIRES_WARNING}\n`]);
    expect(decodeJwt(result.stdout.trim())).toEqual({
      user: 'api-user',
      pass: PASSWORD,
      iat: expect.any(Number),
    });
  });

  it('refuses --pass, saying why, without repeating the password', async () => {
    const result = await run(['--user', 'api-user', '--pass', 'visible-in-ps'], {
      JWT_SECRET: SECRET,
    });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.startsWith(`${PASSWORD_ARGUMENT_REFUSED}\n${USAGE_START}`)).toBe(true);
    expect(result.stderr).not.toContain('visible-in-ps');
  });

  it('prints its help on --help, exit 0, needing no secret', async () => {
    expect(await run(['--help'], {})).toEqual({ code: 0, stdout: `${JWT_CLI_HELP}\n`, stderr: '' });
  });

  it('refuses a URL the relay would refuse, before asking for anything', async () => {
    const result = await run(['--user', 'api-user', '--api-url', 'http://127.0.0.1:8081'], {
      JWT_SECRET: SECRET,
      QUALYS_PASSWORD: PASSWORD,
    });
    expect([result.code, result.stdout, result.stderr.split('\n')[0]]).toEqual([
      2,
      '',
      '--api-url must use https: the relay would refuse every request with this token; http:// and loopback or private addresses are accepted only where the relay runs with QUALYS_ALLOW_INSECURE=true (the demo and tests); set it here too for such a relay.',
    ]);
    const insecure = await run(
      ['--user', 'api-user', '--api-url', 'http://127.0.0.1:8081', '--expires-in', '1h'],
      { JWT_SECRET: SECRET, QUALYS_PASSWORD: PASSWORD, QUALYS_ALLOW_INSECURE: 'true' },
    );
    expect([insecure.code, insecure.stderr]).toEqual([0, '']);
    expect(await verified(insecure.stdout)).toMatchObject({ API_URL: 'http://127.0.0.1:8081' });
  });

  it('refuses to mint without QUALYS_PASSWORD when stdin is not a terminal', async () => {
    const result = await run(['--user', 'api-user', '--expires-in', '1h'], { JWT_SECRET: SECRET });
    expect([result.code, result.stdout]).toEqual([2, '']);
    expect(result.stderr.split('\n')[0]).toBe(
      'QUALYS_PASSWORD is not set, and stdin is not a terminal to ask for the password.',
    );
  });

  it('asks for the password on a terminal without echoing it', async () => {
    // util-linux `script` gives the CLI a pseudo-terminal; we type once the prompt shows.
    const child = spawn(
      'script',
      ['-qec', 'node dist/cli/jwt.js --user api-user --expires-in 1h', '/dev/null'],
      {
        cwd: build.dir,
        env: { PATH: process.env.PATH ?? '', JWT_SECRET: SECRET },
      },
    );
    let screen = '';
    let typed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString();
      if (!typed && screen.includes('Qualys password: ')) {
        typed = true;
        child.stdin.write(`${PASSWORD}\r`);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    const [prompt, token, rest] = screen.split('\r\n');
    expect([code, prompt, rest]).toEqual([0, 'Qualys password: ', '']);
    expect(screen).not.toContain(PASSWORD);
    expect(decodeJwt(token)).toMatchObject({ user: 'api-user', pass: PASSWORD });
  });
});

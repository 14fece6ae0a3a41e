import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer, Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createApp } from '../src/app.factory.js';
import { IS_PUBLIC_KEY } from '../src/auth/public.decorator.js';
import { parseRelayConfig, type Env } from '../src/config/config-parser.js';
import { RELAY_ROUTES } from '../src/relay/relay-routes.js';
import { startJwksServer, type JwksServer } from './support/jwks-server.js';
import {
  b64url,
  craftUnsignedToken,
  generateRsaKeyPairJwk,
  mintJwksToken,
  mintSecretToken,
  TEST_CREDENTIALS,
  type RsaKeyPairJwk,
} from './support/jwt-factory.js';

/**
 * Spec §3 through real HTTP against the production app (createApp): every
 * failure is HTTP 200 with the one error envelope, and only the spec's
 * public routes answer without a token.
 */
const SECRET = 'auth-e2e-shared-secret-0123456789abcdef0123';
const AUDIENCE = 'https://relay.e2e.example';
const PLATFORM_URL = 'https://qualysguard.qg2.apps.qualys.eu';
const API_URL = 'https://gateway.qg1.apps.qualys.com';
const OBSERVABLES = [{ type: 'ip', value: '203.0.113.7' }];
const now = (): number => Math.floor(Date.now() / 1000);

const envelope = (reason: string): unknown => ({
  errors: [
    { type: 'fatal', code: 'authorization error', message: `Authorization failed: ${reason}` },
  ],
});

async function startRelay(env: Env): Promise<{ app: NestExpressApplication; url: string }> {
  const app = await createApp(parseRelayConfig({ LOG_LEVEL: 'silent', ...env }), { logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}` };
}

/** `METHOD /path` of every controller route, split by whether it carries @Public(). */
function routes(app: NestExpressApplication): { open: string[]; guarded: string[] } {
  const reflector = app.get(Reflector);
  const open: string[] = [];
  const guarded: string[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!controller) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
        if (path === undefined) continue;
        const method =
          RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        const full = `/${[base, path]
          .map((p) => p.replace(/^\/|\/$/g, ''))
          .filter(Boolean)
          .join('/')}`;
        const isPublic =
          reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [handler, controller]) === true;
        (isPublic ? open : guarded).push(`${method} ${full}`);
      }
    }
  }
  return { open: open.sort(), guarded: guarded.sort() };
}

describe('auth e2e (spec §2, §3)', () => {
  describe('AUTH_MODE=secret', () => {
    let app: NestExpressApplication;
    let url: string;

    beforeAll(async () => {
      ({ app, url } = await startRelay({
        AUTH_MODE: 'secret',
        JWT_SECRET: SECRET,
        QUALYS_API_URL: API_URL,
      }));
    });
    afterAll(async () => {
      await app.close();
    });

    const refer = (authorization?: string) => {
      const call = request(url).post('/refer/observables').send(OBSERVABLES);
      return authorization === undefined ? call : call.set('Authorization', authorization);
    };
    const token = (payload: Record<string, unknown>, opts = {}) =>
      mintSecretToken(SECRET, payload, opts);

    it('lists exactly the public routes of spec §2 (update this list deliberately)', () => {
      expect(routes(app).open).toEqual([
        'GET /healthz/live',
        'GET /healthz/ready',
        'GET /metrics',
        'GET /watchdog',
        'POST /version',
      ]);
    });

    it('guards exactly the POST relay routes of RELAY_ROUTES, the table the module CLI registers', () => {
      expect(routes(app).guarded).toEqual(
        Object.values(RELAY_ROUTES)
          .map((path) => `POST /${path}`)
          .sort(),
      );
    });

    it('refuses every other route without a token (deny by default)', async () => {
      const { guarded } = routes(app);
      expect(guarded.length).toBeGreaterThan(0);
      for (const route of guarded) {
        const [method, path] = route.split(' ');
        const response = await request(url)[method.toLowerCase() as 'get' | 'post'](path).send([]);
        expect({ route, status: response.status, body: response.body as unknown }).toEqual({
          route,
          status: 200,
          body: envelope('Authorization header is missing'),
        });
      }
    });

    it('answers POST /version and GET /watchdog without a token, even with a bad header', async () => {
      await request(url).post('/version').set('Authorization', 'Basic x').expect(200);
      const version = await request(url).post('/version');
      expect(version.body).toEqual({ version: expect.any(String) });
      const watchdog = await request(url).get('/watchdog').set('Health-Check', 'ping');
      expect(watchdog.body).toEqual({ data: 'ping' });
    });

    it('serves a valid token (PLATFORM_URL from the token)', async () => {
      const response = await refer(`Bearer ${await token({ ...TEST_CREDENTIALS, PLATFORM_URL })}`);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        data: [
          expect.objectContaining({
            url: expect.stringMatching(
              /^https:\/\/qualysguard\.qg2\.apps\.qualys\.eu\/ioc\/#\/hunting\?search=/,
            ),
          }),
        ],
      });
    });

    it.each<[string, () => Promise<string | undefined>, string]>([
      ['no header', () => Promise.resolve(undefined), 'Authorization header is missing'],
      ['Basic scheme', () => Promise.resolve('Basic dXNlcjpwYXNz'), 'Wrong authorization type'],
      ['Bearer without a token', () => Promise.resolve('Bearer'), 'Wrong JWT structure'],
      ['a token of two parts', () => Promise.resolve('Bearer abc.def'), 'Wrong JWT structure'],
      [
        'an undecodable header',
        () => Promise.resolve(`Bearer !!.${b64url({ user: 'u' })}.x`),
        'Wrong JWT structure',
      ],
      [
        'alg none',
        () =>
          Promise.resolve(`Bearer ${craftUnsignedToken({ ...TEST_CREDENTIALS, PLATFORM_URL })}`),
        'Failed to decode JWT with provided key',
      ],
      [
        'another secret',
        async () =>
          `Bearer ${await mintSecretToken('wrong-secret-0123456789abcdef0123456789', TEST_CREDENTIALS)}`,
        'Failed to decode JWT with provided key',
      ],
      [
        'an RS256 token',
        async () => {
          const key = await generateRsaKeyPairJwk('k');
          return `Bearer ${await mintJwksToken(key.privateKey, key.kid, TEST_CREDENTIALS)}`;
        },
        'Failed to decode JWT with provided key',
      ],
      [
        'an expired token',
        async () =>
          `Bearer ${await token({ ...TEST_CREDENTIALS, PLATFORM_URL }, { expiresAt: now() - 600 })}`,
        'The JWT has expired',
      ],
      [
        'a token not valid yet',
        async () =>
          `Bearer ${await token({ ...TEST_CREDENTIALS, PLATFORM_URL }, { notBefore: now() + 600 })}`,
        'The JWT is not yet valid',
      ],
      [
        'no pass',
        async () => `Bearer ${await token({ user: 'u', PLATFORM_URL })}`,
        'Wrong JWT payload structure',
      ],
      [
        'a PLATFORM_URL off the allow-list',
        async () =>
          `Bearer ${await token({ ...TEST_CREDENTIALS, PLATFORM_URL: 'https://evil.example' })}`,
        'PLATFORM_URL in JWT payload names a host that is not on the allowed Qualys host list',
      ],
      [
        'an http API_URL',
        async () =>
          `Bearer ${await token({ ...TEST_CREDENTIALS, API_URL: 'http://gateway.qg1.apps.qualys.com', PLATFORM_URL })}`,
        'API_URL in JWT payload must use https',
      ],
      [
        'no PLATFORM_URL anywhere',
        async () => `Bearer ${await token({ ...TEST_CREDENTIALS })}`,
        'PLATFORM_URL is not configured',
      ],
    ])('refuses %s', async (_name, authorization, reason) => {
      const response = await refer(await authorization());
      expect(response.status).toBe(200);
      expect(response.body).toEqual(envelope(reason));
    });
  });

  describe('AUTH_MODE=jwks (against a local https JWKS host)', () => {
    let app: NestExpressApplication;
    let url: string;
    let jwks: JwksServer;
    let key: RsaKeyPairJwk;

    beforeAll(async () => {
      key = await generateRsaKeyPairJwk('ctr-e2e');
      jwks = await startJwksServer({ keys: { keys: [key.publicJwk] } });
      ({ app, url } = await startRelay({
        AUTH_MODE: 'jwks',
        JWT_AUDIENCE: AUDIENCE,
        JWKS_HOST_ALLOWLIST: jwks.host,
        QUALYS_API_URL: API_URL,
        QUALYS_PLATFORM_URL: PLATFORM_URL,
      }));
    });
    afterAll(async () => {
      await app.close();
      await jwks.close();
    });

    const refer = (token: string) =>
      request(url)
        .post('/refer/observables')
        .set('Authorization', `Bearer ${token}`)
        .send(OBSERVABLES);
    const payload = (extra: Record<string, unknown> = {}) => ({
      ...TEST_CREDENTIALS,
      jwks_host: jwks.host,
      ...extra,
    });

    it('serves a valid RS256 token, fetching the key once', async () => {
      const before = jwks.requests;
      for (let i = 0; i < 2; i += 1) {
        const response = await refer(
          await mintJwksToken(key.privateKey, key.kid, payload(), { audience: AUDIENCE }),
        );
        expect(response.body).toEqual({
          data: [expect.objectContaining({ categories: ['Search', 'Qualys'] })],
        });
      }
      expect(jwks.requests - before).toBe(1);
    });

    it('refuses a jwks_host off the allow-list without contacting anything', async () => {
      const before = jwks.requests;
      const token = await mintJwksToken(
        key.privateKey,
        key.kid,
        payload({ jwks_host: 'visibility.amp.cisco.com' }),
        {
          audience: AUDIENCE,
        },
      );
      expect((await refer(token)).body).toEqual(envelope('Wrong jwks_host in JWT payload'));
      expect(jwks.requests).toBe(before);
    });

    it('refuses a missing audience', async () => {
      const token = await mintJwksToken(key.privateKey, key.kid, payload());
      expect((await refer(token)).body).toEqual(envelope('Wrong configuration-token-audience'));
    });

    it('refuses an unknown kid', async () => {
      const other = await generateRsaKeyPairJwk('not-published');
      const token = await mintJwksToken(other.privateKey, other.kid, payload(), {
        audience: AUDIENCE,
      });
      expect((await refer(token)).body).toEqual(
        envelope('kid from JWT header not found in API response'),
      );
    });

    it('refuses an HS256 token', async () => {
      const token = await mintSecretToken(key.publicPem, payload(), {
        audience: AUDIENCE,
        header: { kid: key.kid },
      });
      expect((await refer(token)).body).toEqual(envelope('Failed to decode JWT with provided key'));
    });
  });
});

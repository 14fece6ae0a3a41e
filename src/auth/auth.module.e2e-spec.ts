import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Post, type INestApplication } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import type { Server } from 'node:http';
import request from 'supertest';
import { startJwksServer, type JwksServer } from '../../test/support/jwks-server.js';
import {
  generateRsaKeyPairJwk,
  mintJwksToken,
  mintSecretToken,
  TEST_CREDENTIALS,
  type RsaKeyPairJwk,
} from '../../test/support/jwt-factory.js';
import {
  TEST_API_URL,
  TEST_AUDIENCE,
  TEST_JWT_SECRET,
  TEST_PLATFORM_URL,
  testJwksAuth,
  testRelayConfig,
} from '../../test/support/jwt-test-config.js';
import { RelayExceptionFilter } from '../common/relay-exception.filter.js';
import { RelayConfigModule } from '../config/config.module.js';
import type { RelayConfig } from '../config/relay-config.js';
import { AuthModule } from './auth.module.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { Public } from './public.decorator.js';
import { RelayCtx } from './relay-context.decorator.js';
import type { RelayContext } from './relay-context.js';

@Controller('probe')
class ProbeController {
  @Post('whoami')
  whoami(@RelayCtx() relayContext: RelayContext): { data: RelayContext } {
    return { data: relayContext };
  }

  @Public()
  @Get('open')
  open(): { data: string } {
    return { data: 'open' };
  }

  @Public()
  @Get('misuse')
  misuse(@RelayCtx() relayContext: RelayContext): { data: RelayContext } {
    return { data: relayContext };
  }
}

async function bootApp(config: RelayConfig): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [RelayConfigModule.forRoot(config), AuthModule],
    controllers: [ProbeController],
    // As AppModule installs it: the module provides the guard, the app makes it global.
    providers: [
      { provide: APP_GUARD, useExisting: JwtAuthGuard },
      { provide: APP_FILTER, useClass: RelayExceptionFilter },
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

/** The app's server, typed for supertest. */
const http = (app: INestApplication): Server => app.getHttpServer() as Server;

const envelope = (reason: string): unknown => ({
  errors: [
    { type: 'fatal', code: 'authorization error', message: `Authorization failed: ${reason}` },
  ],
});

describe('AuthModule wiring (APP_GUARD, @Public, @RelayCtx)', () => {
  describe('secret mode', () => {
    let app: INestApplication;

    beforeAll(async () => {
      app = await bootApp(testRelayConfig());
    });

    afterAll(async () => {
      await app.close();
    });

    it('guards an undecorated route globally', async () => {
      const response = await request(http(app)).post('/probe/whoami');
      expect(response.status).toBe(200);
      expect(response.body).toEqual(envelope('Authorization header is missing'));
    });

    it('hands the verified context to the handler via @RelayCtx()', async () => {
      const token = await mintSecretToken(TEST_JWT_SECRET, TEST_CREDENTIALS);
      const response = await request(http(app))
        .post('/probe/whoami')
        .set('Authorization', `Bearer ${token}`);
      expect(response.body).toEqual({
        data: {
          credentials: TEST_CREDENTIALS,
          apiUrl: TEST_API_URL,
          platformUrl: TEST_PLATFORM_URL,
          entitiesLimit: 100,
        },
      });
    });

    it('keeps concurrent callers apart', async () => {
      const users = Array.from({ length: 20 }, (_, i) => `user-${i}`);
      const tokens = await Promise.all(
        users.map((user) => mintSecretToken(TEST_JWT_SECRET, { user, pass: `pass-${user}` })),
      );
      const responses = await Promise.all(
        tokens.map((token) =>
          request(http(app)).post('/probe/whoami').set('Authorization', `Bearer ${token}`),
        ),
      );
      expect(responses.map((r) => (r.body as { data: RelayContext }).data.credentials)).toEqual(
        users.map((user) => ({ user, pass: `pass-${user}` })),
      );
    });

    it('lets a @Public() route through without a token', async () => {
      const response = await request(http(app)).get('/probe/open');
      expect(response.body).toEqual({ data: 'open' });
    });

    it('fails closed when @RelayCtx() is used on a public route', async () => {
      const response = await request(http(app)).get('/probe/misuse');
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ errors: [{ type: 'fatal', code: 'unknown' }] });
    });

    it('never echoes the token in an error', async () => {
      const token = await mintSecretToken('not-the-secret-0123456789abcdef0123', TEST_CREDENTIALS);
      const response = await request(http(app))
        .post('/probe/whoami')
        .set('Authorization', `Bearer ${token}`);
      expect(response.body).toEqual(envelope('Failed to decode JWT with provided key'));
      expect(response.text).not.toContain(token.split('.')[1]);
    });
  });

  describe('jwks mode', () => {
    let app: INestApplication;
    let server: JwksServer;
    let key: RsaKeyPairJwk;

    beforeAll(async () => {
      key = await generateRsaKeyPairJwk('relay-test');
      server = await startJwksServer({ keys: { keys: [key.publicJwk] } });
      app = await bootApp(testRelayConfig({ auth: testJwksAuth([server.host]) }));
    });

    afterAll(async () => {
      await app.close();
      await server.close();
    });

    it('verifies an RS256 token with the key from the JWKS host', async () => {
      const token = await mintJwksToken(
        key.privateKey,
        key.kid,
        { ...TEST_CREDENTIALS, jwks_host: server.host },
        {
          audience: TEST_AUDIENCE,
        },
      );
      const response = await request(http(app))
        .post('/probe/whoami')
        .set('Authorization', `Bearer ${token}`);
      expect(response.body).toEqual({
        data: {
          credentials: TEST_CREDENTIALS,
          apiUrl: TEST_API_URL,
          platformUrl: TEST_PLATFORM_URL,
          entitiesLimit: 100,
        },
      });
    });

    it('refuses a shared-secret token', async () => {
      const token = await mintSecretToken(TEST_JWT_SECRET, {
        ...TEST_CREDENTIALS,
        jwks_host: server.host,
      });
      const response = await request(http(app))
        .post('/probe/whoami')
        .set('Authorization', `Bearer ${token}`);
      expect(response.body).toEqual(envelope('Failed to decode JWT with provided key'));
    });
  });
});

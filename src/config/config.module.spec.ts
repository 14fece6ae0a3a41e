import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { testRelayConfig } from '../../test/support/jwt-test-config.js';
import { ConfigValidationError } from './config-parser.js';
import { RelayConfigModule, type RelaySettings } from './config.module.js';

describe('RelayConfigModule', () => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('provides a configuration handed in through ConfigService, reading no environment', async () => {
    const config = testRelayConfig();
    const moduleRef = await Test.createTestingModule({
      imports: [RelayConfigModule.forRoot(config)],
    }).compile();
    const settings = moduleRef.get<ConfigService<RelaySettings, true>>(ConfigService);
    expect(settings.get('relay', { infer: true })).toBe(config);
    expect(settings.get('relay.qualys.timeoutMs', { infer: true })).toBe(config.qualys.timeoutMs);
    await moduleRef.close();
  });

  it('validates .env and the environment with the relay parser, naming every bad variable', async () => {
    const envFile = join(dir, 'bad.env');
    // Names no spec or process sets, so the environment of the test run stays as it is.
    writeFileSync(envFile, 'RELAY_CONFIG_SPEC_ONLY=1\n');
    const failure = RelayConfigModule.fromEnvironment(envFile).catch((error: unknown) => error);
    const error = await failure;
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect((error as ConfigValidationError).problems).toContain(
      'AUTH_MODE is required (secret or jwks)',
    );
    expect(process.env.RELAY_CONFIG_SPEC_ONLY).toBeUndefined();
  });

  it('reads .env into the configuration and process.env, the variables already set winning', async () => {
    const envFile = join(dir, 'good.env');
    const secret = 'env-file-secret-of-the-config-module-spec-0123';
    writeFileSync(envFile, `AUTH_MODE=secret\nJWT_SECRET="${secret}"\nLOG_LEVEL=debug\n`);
    const before = process.env.LOG_LEVEL;
    try {
      const { config, module } = await RelayConfigModule.fromEnvironment(envFile);
      expect([config.auth, config.logLevel]).toEqual([{ mode: 'secret', secret }, before]);
      expect([process.env.AUTH_MODE, process.env.LOG_LEVEL]).toEqual(['secret', before]);
      const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
      expect(moduleRef.get(ConfigService).get('relay')).toBe(config);
      await moduleRef.close();
    } finally {
      delete process.env.AUTH_MODE;
      delete process.env.JWT_SECRET;
    }
  });
});

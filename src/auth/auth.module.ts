import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { RELAY_CONFIG, type RelayConfig } from '../config/relay-config.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { TokenVerifier } from './token-verifier.js';
import { createTokenVerifier } from './token-verifier.factory.js';

/**
 * Authentication (spec §3). Needs `RELAY_CONFIG` from the global config
 * module; installs `JwtAuthGuard` for the whole application. Nothing is
 * exported: other modules read the verified caller through `@RelayCtx()`.
 */
@Module({
  providers: [
    {
      provide: TokenVerifier,
      inject: [RELAY_CONFIG],
      useFactory: (config: RelayConfig): TokenVerifier => createTokenVerifier(config.auth),
    },
    { provide: APP_GUARD, useClass: JwtAuthGuard },
  ],
})
export class AuthModule {}

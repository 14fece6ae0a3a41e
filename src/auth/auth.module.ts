import { Module } from '@nestjs/common';
import { RELAY_CONFIG, type RelayConfig } from '../config/relay-config.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { TokenVerifier } from './token-verifier.js';
import { createTokenVerifier } from './token-verifier.factory.js';

/**
 * Authentication (spec §3). Provides `JwtAuthGuard`, which `AppModule`
 * installs as a global guard; other modules read the verified caller through
 * `@RelayCtx()`, never through a provider of this module.
 */
@Module({
  providers: [
    {
      provide: TokenVerifier,
      inject: [RELAY_CONFIG],
      useFactory: (config: RelayConfig): TokenVerifier => createTokenVerifier(config.auth),
    },
    JwtAuthGuard,
  ],
  exports: [JwtAuthGuard],
})
export class AuthModule {}

import { Module } from '@nestjs/common';
import type { Dispatcher } from 'undici';
import { RELAY_CONFIG, type RelayConfig } from '../config/relay-config.js';
import { EGRESS_DISPATCHER, EgressModule } from '../egress/egress.module.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { TokenVerifier } from './token-verifier.js';
import { createTokenVerifier } from './token-verifier.factory.js';

/**
 * Authentication (spec §3). Provides `JwtAuthGuard`, which `AppModule`
 * installs as a global guard; other modules read the verified caller through
 * `@RelayCtx()`, never through a provider of this module.
 */
@Module({
  imports: [EgressModule],
  providers: [
    {
      provide: TokenVerifier,
      inject: [RELAY_CONFIG, EGRESS_DISPATCHER],
      // JWKS keys come through the egress proxy when one is configured (spec §11).
      useFactory: (config: RelayConfig, egress: Dispatcher): TokenVerifier =>
        createTokenVerifier(config.auth, egress),
    },
    JwtAuthGuard,
  ],
  exports: [JwtAuthGuard],
})
export class AuthModule {}

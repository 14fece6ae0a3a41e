import { Module } from '@nestjs/common';
import type { Dispatcher } from 'undici';
import { ConfigService } from '@nestjs/config';
import type { RelaySettings } from '../config/config.module.js';
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
      inject: [ConfigService, EGRESS_DISPATCHER],
      // JWKS keys come through the egress proxy when one is configured (spec §11).
      useFactory: (
        settings: ConfigService<RelaySettings, true>,
        egress: Dispatcher,
      ): TokenVerifier => createTokenVerifier(settings.get('relay.auth', { infer: true }), egress),
    },
    JwtAuthGuard,
  ],
  exports: [JwtAuthGuard],
})
export class AuthModule {}

import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ConfigService } from '@nestjs/config';
import type { RelaySettings } from '../config/config.module.js';
import type { RelayConfig } from '../config/relay-config.js';
import { extractBearerToken } from './bearer.js';
import { IS_PUBLIC_KEY } from './public.decorator.js';
import { buildRelayContext } from './relay-context.factory.js';
import type { RelayHttpRequest } from './relay-http-request.js';
import { TokenVerifier } from './token-verifier.js';

/**
 * A global guard (`APP_GUARD` in `AppModule`, house style 2 and 4): every
 * route needs a valid `Authorization: Bearer <JWT>` unless it carries
 * `@Public()`. Failures throw `AuthorizationError`, which the exception
 * filter turns into the spec §3 envelope with HTTP 200.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  private readonly config: RelayConfig;

  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
    settings: ConfigService<RelaySettings, true>,
  ) {
    this.config = settings.get('relay', { infer: true });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic === true) return true;

    const request = context.switchToHttp().getRequest<RelayHttpRequest>();
    const token = extractBearerToken(request.headers.authorization);
    const payload = await this.verifier.verify(token);
    request.relayContext = buildRelayContext(payload, this.config);
    return true;
  }
}

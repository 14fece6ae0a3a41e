import { SetMetadata } from '@nestjs/common';

export const SKIP_RATE_LIMIT_KEY = 'relay:rate-limit:skip';

/** Exempts a handler or controller (probes, metrics) from the per-client limit. */
export const SkipRateLimit = (): MethodDecorator & ClassDecorator =>
  SetMetadata(SKIP_RATE_LIMIT_KEY, true);

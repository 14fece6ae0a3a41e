import { SetMetadata } from '@nestjs/common';

/** Metadata key read by `JwtAuthGuard`. */
export const IS_PUBLIC_KEY = 'relay:auth:public';

/**
 * Opts a handler or a whole controller out of the JWT guard. Deny by default
 * (house style 4): only `/version`, `GET /watchdog` (spec §2) and the
 * operational routes (probes, OpenAPI, metrics) may carry it.
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);

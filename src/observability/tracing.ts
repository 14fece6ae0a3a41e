import {
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { RequestHandler } from 'express';

/**
 * What a Qualys call's span shows (spec §14). Typed by the Qualys module's
 * observer (qualys/qualys-call-observer.ts), which this shape must fit; as
 * for the metrics, this folder needs nothing from qualys/.
 */
export interface CallSpanDetails {
  status?: number;
  active?: boolean;
  batchSize?: number;
  retry: number;
  slotWaitMs?: number;
}

/** Records one span per Qualys call, after it ended. */
export interface CallSpans {
  record(
    operation: 'auth' | 'search',
    outcome: string,
    seconds: number,
    details: CallSpanDetails | undefined,
  ): void;
}

/** Starts a span for one Redis command (its name only); call the result when it ends. */
export type RedisCommandSpans = (command: string) => (failed: boolean) => void;

/**
 * Tracing as the rest of the relay sees it (spec §14). Off: nothing at all
 * (no middleware, no wrapped observer, no OpenTelemetry module loaded). On:
 * the hooks below, implemented by otel-tracing.ts.
 */
export interface RelayTracing {
  /** Express middleware: one server span per request, continuing the caller's `traceparent`. */
  readonly middleware?: RequestHandler;
  readonly qualysCalls?: CallSpans;
  readonly redisCommands?: RedisCommandSpans;
  /** Where spans go, for the start-up log: the endpoint's origin only. */
  readonly exportsTo?: string;
  /** Exports what is still buffered and stops. */
  shutdown(): Promise<void>;
}

export const TRACING_OFF: RelayTracing = { shutdown: () => Promise.resolve() };

/** DI token of the application's `RelayTracing`. */
export const RELAY_TRACING = Symbol('RELAY_TRACING');

/**
 * Tracing from OpenTelemetry's own variables: on when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is
 * set (`OTEL_SDK_DISABLED=true` keeps it off). The SDK is imported only
 * then. The log line names the endpoint's origin, never its headers
 * (`OTEL_EXPORTER_OTLP_HEADERS` is a secret) or a path with credentials.
 */
export async function startTracing(env: Record<string, string | undefined>): Promise<RelayTracing> {
  const endpoint =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!endpoint || env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return TRACING_OFF;
  const { startOtelTracing } = await import('./otel-tracing.js');
  const origin = URL.canParse(endpoint) ? new URL(endpoint).origin : 'an unparsable endpoint';
  return { ...startOtelTracing(), exportsTo: origin };
}

@Injectable()
class TracingLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(RELAY_TRACING) private readonly tracing: RelayTracing) {}

  onApplicationBootstrap(): void {
    if (this.tracing.exportsTo === undefined) return;
    new Logger('Tracing').log(`Exporting traces over OTLP/HTTP to ${this.tracing.exportsTo}`);
  }

  /** Last spans out before the process exits. */
  onApplicationShutdown(): Promise<void> {
    return this.tracing.shutdown();
  }
}

/** Cross-cutting infrastructure, like config: every module may read the tracing hooks. */
@Global()
@Module({})
export class TracingModule {
  static forRoot(tracing: RelayTracing): DynamicModule {
    return {
      module: TracingModule,
      providers: [{ provide: RELAY_TRACING, useValue: tracing }, TracingLifecycle],
      exports: [RELAY_TRACING],
    };
  }
}

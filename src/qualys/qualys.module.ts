import { Module } from '@nestjs/common';
import { HttpModule } from '@nestjs/axios';
import { RELAY_CONFIG, type RelayConfig } from '../config/relay-config.js';
import { QualysCallLimiter } from './call-limiter.js';
import { createAgents } from './http-agents.js';
import { QualysClient } from './qualys.client.js';
import { QualysTokenCache } from './token-cache.js';

/** Qualys IOC access. Exports the client façade only (house style 1). */
@Module({
  imports: [
    HttpModule.registerAsync({
      inject: [RELAY_CONFIG],
      useFactory: (config: RelayConfig) => ({
        ...createAgents(config.qualys.concurrency),
        // Never read a body larger than this: a runaway answer must not exhaust memory.
        maxContentLength: 20 * 1024 * 1024,
        maxBodyLength: 1024 * 1024,
        proxy: false as const,
      }),
    }),
  ],
  providers: [
    QualysClient,
    QualysCallLimiter,
    { provide: QualysTokenCache, useFactory: () => new QualysTokenCache() },
  ],
  exports: [QualysClient],
})
export class QualysModule {}

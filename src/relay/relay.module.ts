import { Module } from '@nestjs/common';
import { CtimModule } from '../ctim/ctim.module.js';
import { QualysModule } from '../qualys/qualys.module.js';
import { DeliberateController } from './deliberate.controller.js';
import { RelayHealthController } from './health.controller.js';
import { ObserveController } from './observe.controller.js';
import { ObserveService } from './observe.service.js';
import { ReferController } from './refer.controller.js';
import { ReferService } from './refer.service.js';
import { RespondController } from './respond.controller.js';
import { VersionController } from './version.controller.js';
import { WatchdogController } from './watchdog.controller.js';

/** The Threat Response relay contract (spec §2): one controller per endpoint. */
@Module({
  imports: [QualysModule, CtimModule],
  controllers: [
    RelayHealthController,
    ObserveController,
    ReferController,
    DeliberateController,
    RespondController,
    VersionController,
    WatchdogController,
  ],
  providers: [ObserveService, ReferService],
})
export class RelayModule {}

import { Injectable } from '@nestjs/common';
import type { RelayContext } from '../auth/relay-context.js';
import {
  OBSERVABLE_TYPE_NAMES,
  uniqueSupportedObservables,
  type Observable,
} from '../common/observable.js';
import { quote } from '../common/url-encoding.js';
import { buildSearchFilter } from '../qualys/search-filter.js';

export interface ReferLink {
  id: string;
  title: string;
  description: string;
  url: string;
  categories: string[];
}

/** Spec §6: one pivot link to the Qualys console per supported observable; no Qualys call. */
@Injectable()
export class ReferService {
  refer(relayContext: RelayContext, observables: readonly Observable[]): ReferLink[] {
    return uniqueSupportedObservables(observables).map((observable) => {
      const name = OBSERVABLE_TYPE_NAMES[observable.type];
      return {
        id: `ref-qualys-search-${observable.type}-${quote(observable.value)}`,
        title: `Search for this ${name}`,
        description: `Check this ${name} status with Qualys`,
        // Python's quote() keeps '/' by default; the original links did too.
        url: `${relayContext.platformUrl}/ioc/#/hunting?search=${quote(buildSearchFilter(observable), '/')}`,
        categories: ['Search', 'Qualys'],
      };
    });
  }
}

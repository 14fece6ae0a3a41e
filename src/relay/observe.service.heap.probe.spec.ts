import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  startQualysModule,
  type QualysModuleHarness,
} from '../../test/support/qualys-module-harness.js';
import { eventually } from '../../test/support/timing.js';
import type { Observable } from '../common/observable.js';
import { CtimModule } from '../ctim/ctim.module.js';
import { ObserveService } from './observe.service.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function md5s(request: number, n: number): Observable[] {
  return Array.from({ length: n }, (_, i) => ({
    type: 'md5',
    value: createHash('md5').update(`heap-${request}-${i}`).digest('hex'),
  }));
}

function heapUsed(): number {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

describe('heap held by searches waiting their turn', () => {
  let qualys: QualysModuleHarness;
  beforeAll(async () => {
    qualys = await startQualysModule(
      {
        RELAY_DEADLINE_MS: '120000',
        QUALYS_TIMEOUT_MS: '120000',
        RELAY_MAX_PENDING_SEARCHES: '20000',
      },
      {},
      { imports: [CtimModule], providers: [ObserveService] },
    );
  });
  afterAll(() => qualys.close(), 60_000);

  it('costs well under 1 KiB per waiting unit', async () => {
    const service = qualys.app.get(ObserveService);
    const requests = [0, 1, 2, 3].map((r) => md5s(r, 1000));
    // Token fetched, the machinery warm (its code compiled, its pools grown by
    // a request as large as those measured): the figure is what the waiting
    // searches add, even on a loaded machine.
    await service.observe(qualys.relayContext(), md5s(9, 250));
    qualys.simulator.injectFault({ on: 'search', kind: 'hang' });
    const before = heapUsed();
    const answers = requests.map((observables) =>
      service.observe(qualys.relayContext(), observables),
    );
    expect(await eventually(() => qualys.simulator.stats.searchCalls > 5)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const during = heapUsed();
    const perUnit = (during - before) / 8000;
    process.stderr.write(`heap per waiting unit: ${perUnit.toFixed(0)} B\n`);
    expect(perUnit).toBeLessThan(1024);
    // The hanging calls end with the simulator; then every request answers.
    await qualys.simulator.close();
    await Promise.allSettled(answers);
  }, 120_000);
});

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Spec §15: a search waiting for its turn costs well under 1 KiB of heap.
 * The figure is measured in a Jest process of its own
 * (`observe.service.heap.probe.spec.ts`): a worker that already ran other specs
 * allocates for itself meanwhile (lingering sockets, timers, compiled code),
 * which made the same measurement read 2 KiB per unit in the full suite and
 * 0.4 KiB alone.
 */
describe('heap held by searches waiting their turn', () => {
  it('costs well under 1 KiB per waiting unit, measured in a fresh process', async () => {
    const { stderr } = await promisify(execFile)(
      process.execPath,
      [
        '--experimental-vm-modules',
        'node_modules/jest/bin/jest.js',
        '--ci',
        '--runInBand',
        '--testPathIgnorePatterns',
        '/node_modules/',
        '--',
        'src/relay/observe.service.heap.probe.spec.ts',
      ],
      { cwd: ROOT, env: { ...process.env, CI: 'true' } },
    ).catch((error: { stderr?: string; stdout?: string }) => ({
      stderr: `${error.stderr ?? ''}${error.stdout ?? ''}`,
    }));
    const perUnit = /heap per waiting unit: (\d+) B/.exec(stderr)?.[1];
    expect({
      measured: perUnit !== undefined,
      passed: /Tests: +1 passed, 1 total/.test(stderr),
    }).toEqual({
      measured: true,
      passed: true,
    });
    expect(Number(perUnit)).toBeLessThan(1024);
  }, 180_000);
});

import { describe, expect, it } from '@jest/globals';
import { createApp } from '../src/app.factory.js';
import { parseRelayConfig } from '../src/config/config-parser.js';
import { TEST_JWT_SECRET } from './support/relay-harness.js';

/** Spec §11, in its own file: Nest's logger is process-wide state shared by the apps of one test file. */
const PROXY_USER = 'relay-egress';
const PROXY_PASS = 'pr0xy-s3cret&=';

describe('the start-up log of the egress settings (spec §11)', () => {
  it('names the proxy host and NO_PROXY, with the proxy password masked', async () => {
    const lines: string[] = [];
    const config = parseRelayConfig({
      AUTH_MODE: 'secret',
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'info',
      HTTPS_PROXY: `http://${PROXY_USER}:${encodeURIComponent(PROXY_PASS)}@proxy.corp.example:3128`,
      NO_PROXY: '.svc.cluster.local,10.0.0.0/8',
      NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/corporate-ca.pem',
    });
    const app = await createApp(config, {
      logDestination: { write: (line: string) => void lines.push(line) },
    });
    await app.init();
    await app.close();
    const egress = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.context === 'Egress');
    expect(
      egress.map(({ msg, httpsProxy, httpProxy, noProxy, extraCaFile }) => ({
        msg,
        httpsProxy,
        httpProxy,
        noProxy,
        extraCaFile,
      })),
    ).toEqual([
      {
        msg: 'Outbound calls: effective egress settings',
        httpsProxy: `http://${PROXY_USER}:****@proxy.corp.example:3128`,
        httpProxy: 'none',
        noProxy: ['.svc.cluster.local', '10.0.0.0/8'],
        extraCaFile: '/etc/ssl/certs/corporate-ca.pem',
      },
    ]);
    expect(lines.join('\n')).not.toContain('pr0xy-s3cret');
    expect(lines.join('\n')).not.toContain(encodeURIComponent(PROXY_PASS));
  });
});

import { describe, expect, it } from '@jest/globals';
import { describeEgress, maskProxyUrl, parseEgressSettings } from './egress-settings.js';

const parse = (env: Record<string, string>) => {
  const problems: string[] = [];
  return { settings: parseEgressSettings(env, problems), problems };
};

describe('egress settings (spec §11)', () => {
  it('reads the standard variables in either case, lower case first as curl does', () => {
    expect(
      parse({
        HTTPS_PROXY: 'http://upper.example:3128',
        https_proxy: 'http://lower.example:3128',
        HTTP_PROXY: 'proxy.example:8080',
        NO_PROXY: 'internal.example, 10.0.0.0/8,*.svc',
        NODE_EXTRA_CA_CERTS: '/etc/ssl/corporate-ca.pem',
      }),
    ).toEqual({
      settings: {
        httpsProxy: 'http://lower.example:3128/',
        httpProxy: 'http://proxy.example:8080/',
        noProxy: ['internal.example', '10.0.0.0/8', '*.svc'],
        extraCaFile: '/etc/ssl/corporate-ca.pem',
      },
      problems: [],
    });
  });

  it('never lets HTTP_PROXY stand in for HTTPS_PROXY', () => {
    expect(parse({ HTTP_PROXY: 'http://proxy.example:8080' }).settings).toEqual({
      httpProxy: 'http://proxy.example:8080/',
      noProxy: [],
    });
  });

  it('names bad variables, never their values', () => {
    const { problems } = parse({
      HTTPS_PROXY: 'socks5://user:s3cret@proxy:1080',
      http_proxy: 'http://proxy/with/path',
      no_proxy: 'ok.example,http://bad',
    });
    expect(problems).toEqual([
      'HTTPS_PROXY must be an http:// or https:// proxy URL',
      'http_proxy must be an http:// or https:// proxy URL',
      'no_proxy must be a comma list of host names, host:port, IP addresses, CIDR ranges or *',
    ]);
    expect(problems.join(' ')).not.toContain('s3cret');
  });

  it('masks the proxy password in what it logs', () => {
    expect(maskProxyUrl('http://relay%40corp:p%40ss@proxy.corp:3128/')).toBe(
      'http://relay@corp:****@proxy.corp:3128',
    );
    expect(maskProxyUrl('https://proxy.corp:3128/')).toBe('https://proxy.corp:3128');
    expect(
      describeEgress({ httpsProxy: 'http://u:secret@proxy.corp:3128/', noProxy: ['10.0.0.0/8'] }),
    ).toEqual({
      httpsProxy: 'http://u:****@proxy.corp:3128',
      httpProxy: 'none',
      noProxy: ['10.0.0.0/8'],
      extraCaFile: 'none',
    });
  });
});

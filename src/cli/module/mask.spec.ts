import { describe, expect, it } from '@jest/globals';
import { MASK, maskDocument, maskText, Redactor } from './mask.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoidSIsInBhc3MiOiJwIn0.c2lnbmF0dXJl';

describe('maskDocument', () => {
  it('masks secret keys (keeping an auth scheme) and JWTs anywhere, and nothing else', () => {
    expect(
      maskDocument({
        name: 'Qualys IOC',
        settings: {
          url: 'https://relay.example.com',
          'auth-type': 'authorization-header',
          'authorization-header': `Bearer ${JWT}`,
          'supported-apis': ['health'],
          note: `token ${JWT} inside text`,
        },
        password: 'p',
        client_password: 'p',
        properties: { 'configuration-token-alg': 'RS256', 'configuration-token-audience': 'a' },
        configuration_spec: [{ key: 'custom_pass', type: 'password' }],
      }),
    ).toEqual({
      name: 'Qualys IOC',
      settings: {
        url: 'https://relay.example.com',
        'auth-type': 'authorization-header',
        'authorization-header': 'Bearer ***',
        'supported-apis': ['health'],
        note: 'token *** inside text',
      },
      password: MASK,
      client_password: MASK,
      properties: { 'configuration-token-alg': 'RS256', 'configuration-token-audience': 'a' },
      configuration_spec: [{ key: 'custom_pass', type: 'password' }],
    });
  });
});

describe('maskText', () => {
  it('masks JWT-shaped text only', () => {
    expect(maskText(`a ${JWT} b eyJnot-a-token`)).toBe('a *** b eyJnot-a-token');
  });
});

describe('Redactor', () => {
  it('masks every known secret, the longest first, and JWTs', () => {
    const redactor = new Redactor();
    redactor.add('p&ss=word');
    redactor.add('p&ss=word+more');
    redactor.add(undefined);
    expect(redactor.redact(`x p&ss=word+more y p&ss=word z ${JWT}`)).toBe('x *** y *** z ***');
  });

  it('ignores values too short to mask without garbling the text', () => {
    const redactor = new Redactor();
    redactor.add('abc');
    expect(redactor.redact('abc abcd')).toBe('abc abcd');
  });
});

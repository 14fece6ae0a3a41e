import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  credentialsDigest,
  credentialsParts,
  identityBytes,
  subscriptionParts,
} from './credential-identity.js';

const API = 'https://gateway.qg1.apps.qualys.com';

describe('credential identity (token cache and shared-state keys)', () => {
  it('names subscriptions and credential sets by the normalised API URL', () => {
    expect(subscriptionParts('HTTPS://Gateway.QG1.apps.qualys.com:443/', 'u')).toEqual([
      'subscription',
      API,
      'u',
    ]);
    expect(credentialsParts(`${API}/`, 'u', 'p')).toEqual(['credentials', API, 'u', 'p']);
  });

  it('length-prefixes UTF-8 parts, and marks undefined apart from the empty string', () => {
    expect(identityBytes(['ab', '', undefined]).toString('hex')).toEqual(
      ['00000002', '6162', '00000000', 'ffffffff'].join(''),
    );
  });

  it('writes a part with a lone surrogate as UTF-16, so two such passwords stay apart', () => {
    expect(identityBytes(['\ud800']).toString('hex')).toBe('8000000200d8');
    expect(credentialsDigest(API, 'u', 'x\ud800')).not.toBe(credentialsDigest(API, 'u', 'x\ud801'));
    expect(credentialsDigest(API, 'u', 'x\ud800')).not.toBe(credentialsDigest(API, 'u', 'x\ufffd'));
  });

  it('digests a credential set with SHA-256 of its identity, the same for the same URL however written', () => {
    const expected = createHash('sha256')
      .update(identityBytes(['credentials', API, 'alice', 'secret']))
      .digest('base64url');
    expect(credentialsDigest(API, 'alice', 'secret')).toBe(expected);
    expect(credentialsDigest(`${API}/`, 'alice', 'secret')).toBe(expected);
    expect(credentialsDigest(API, 'ab', 'c')).not.toBe(credentialsDigest(API, 'a', 'bc'));
  });
});

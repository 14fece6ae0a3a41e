import { describe, expect, it } from '@jest/globals';
import { createHmac, hkdfSync } from 'node:crypto';
import { StateKeys } from './state-keys.js';

const SECRET = 'a-cache-encryption-key-of-32-chars!!';
const API = 'https://gateway.qg2.apps.qualys.eu';
const USER = 'acme_ab12';

describe('StateKeys', () => {
  const keys = new StateKeys(SECRET, 'relay-a:');

  it('is an HMAC-SHA256 under an HKDF-derived key of length-prefixed parts (a known vector)', () => {
    const hmacKey = Buffer.from(
      hkdfSync('sha256', SECRET, Buffer.alloc(0), 'qualys-relay/state-key-names/v1', 32),
    );
    const part = (text: string): Buffer => {
      const bytes = Buffer.from(text);
      const header = Buffer.alloc(4);
      header.writeUInt32BE(bytes.length);
      return Buffer.concat([header, bytes]);
    };
    const expected = createHmac('sha256', hmacKey)
      .update(Buffer.concat([part('subscription'), part(API), part(USER)]))
      .digest('base64url');
    expect(keys.subscriptionId(API, USER)).toBe(expected);
    expect(expected).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('separates parts unambiguously: (ab, c) and (a, bc) differ', () => {
    expect(keys.subscriptionId('ab', 'c')).not.toBe(keys.subscriptionId('a', 'bc'));
    expect(keys.credentialsId(API, 'ab', 'c')).not.toBe(keys.credentialsId(API, 'a', 'bc'));
  });

  it('is the same for the same inputs and secret, different under another secret', () => {
    const again = new StateKeys(SECRET, 'other:');
    expect(again.subscriptionId(API, USER)).toBe(keys.subscriptionId(API, USER));
    expect(new StateKeys('another-secret-of-32-characters-xx').subscriptionId(API, USER)).not.toBe(
      keys.subscriptionId(API, USER),
    );
  });

  it('draws a random secret per instance when none is given (in-process mode)', () => {
    expect(new StateKeys().subscriptionId(API, USER)).not.toBe(
      new StateKeys().subscriptionId(API, USER),
    );
  });

  it('keys a subscription by the normalised API URL', () => {
    const id = keys.subscriptionId(API, USER);
    expect(keys.subscriptionId('HTTPS://Gateway.QG2.apps.qualys.eu:443/', USER)).toBe(id);
    expect(keys.subscriptionId('https://gateway.qg1.apps.qualys.eu', USER)).not.toBe(id);
  });

  it('keeps subscriptions, credentials and the two search ids apart', () => {
    expect(keys.credentialsId(API, USER, 'pw')).not.toBe(keys.credentialsId(API, USER, 'pw2'));
    expect(keys.credentialsId(API, USER, 'pw')).not.toBe(keys.subscriptionId(API, USER));
    // The cache key ignores the page size; the coalescing key does not.
    expect(keys.cacheKey('file.hash.sha256:"x"', true, 1)).toBe(
      keys.cacheKey('file.hash.sha256:"x"', true, 1),
    );
    expect(keys.coalesceKey('f', true, 100, 1)).not.toBe(keys.coalesceKey('f', true, 200, 1));
    expect(keys.cacheKey('f', true, 1)).not.toBe(keys.cacheKey('f', false, 1));
    expect(keys.cacheKey('f', true, 1)).not.toBe(keys.cacheKey('f', true, 2));
    expect(keys.cacheKey(undefined, true, 1)).not.toBe(keys.cacheKey('', true, 1));
  });

  it('builds Redis keys with one hash tag per subscription and per credential set', () => {
    const sub = keys.subscriptionId(API, USER);
    const cred = keys.credentialsId(API, USER, 'pw');
    const search = keys.cacheKey('f', true, 1);
    const call = keys.coalesceKey('f', true, 100, 1);
    expect([
      keys.slotsKey(sub),
      keys.budgetKey(sub),
      keys.probeKey(sub),
      keys.releasesKey(sub),
      keys.releasedChannel(sub),
    ]).toEqual([
      `relay-a:{s:${sub}}:slots`,
      `relay-a:{s:${sub}}:budget`,
      `relay-a:{s:${sub}}:probe`,
      `relay-a:{s:${sub}}:releases`,
      `relay-a:{s:${sub}}:released`,
    ]);
    expect([
      keys.resultKey(cred, search),
      keys.inflightKey(cred, call),
      keys.finishedChannel(cred, call),
    ]).toEqual([
      `relay-a:{c:${cred}}:r:${search}`,
      `relay-a:{c:${cred}}:f:${call}`,
      `relay-a:{c:${cred}}:d:${call}`,
    ]);
  });

  it('puts no user name, API URL, password or filter into any key', () => {
    const sub = keys.subscriptionId(API, USER);
    const cred = keys.credentialsId(API, USER, 'hunter2');
    const all = [
      keys.slotsKey(sub),
      keys.budgetKey(sub),
      keys.probeKey(sub),
      keys.releasesKey(sub),
      keys.releasedChannel(sub),
      keys.resultKey(cred, keys.cacheKey('ip:"10.1.2.3"', true, 1)),
      keys.inflightKey(cred, keys.coalesceKey('ip:"10.1.2.3"', true, 100, 1)),
      keys.finishedChannel(cred, keys.coalesceKey('ip:"10.1.2.3"', true, 100, 1)),
    ].join('\n');
    for (const secret of [USER, 'qualys', 'gateway', 'hunter2', '10.1.2.3']) {
      expect(all).not.toContain(secret);
    }
  });

  it('in one process, names searches with plain unambiguous JSON instead of HMACs', () => {
    const local = new StateKeys(undefined, undefined, true);
    expect(local.cacheKey('file.name: "a"', true, 0)).toBe('["file.name: \\"a\\"",true,0]');
    expect(local.cacheKey(undefined, false, 0)).toBe('[null,false,0]');
    expect(local.coalesceKey('x', false, 100, 0)).toBe('["x",false,100,0]');
    expect(local.coalesceKey('a,b', true, 1, 0)).not.toBe(local.coalesceKey('a', true, 1, 0));
  });
});

import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from '@jest/globals';
import { createAddressPolicy } from '../common/address-policy.js';
import {
  AddressRefusedError,
  literalRefusal,
  vettedLookup,
  type HostResolver,
} from './vetted-lookup.js';

const strict = createAddressPolicy({ allowlist: [], allowAll: false });

/** A resolver that answers from a table and records what it was asked. */
function resolverOf(table: Record<string, LookupAddress[]>) {
  const asked: { hostname: string; all: unknown }[] = [];
  const resolve: HostResolver = (hostname, options, callback) => {
    asked.push({ hostname, all: options.all });
    const addresses = table[hostname];
    if (addresses === undefined) {
      const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
      error.code = 'ENOTFOUND';
      callback(error, []);
    } else {
      callback(null, addresses);
    }
  };
  return { resolve, asked };
}

const PUBLIC: LookupAddress = { address: '64.39.96.1', family: 4 };
const PUBLIC_V6: LookupAddress = { address: '2600:1f18::1', family: 6 };
const PRIVATE: LookupAddress = { address: '10.1.2.3', family: 4 };

type Answer = { error: NodeJS.ErrnoException | null; address: unknown; family?: number };

function lookUp(
  lookup: ReturnType<typeof vettedLookup>,
  hostname: string,
  all: boolean,
): Promise<Answer> {
  return new Promise((resolve) => {
    lookup(hostname, { all }, (error, address, family) => resolve({ error, address, family }));
  });
}

describe('vettedLookup (spec §3)', () => {
  const table = {
    'gateway.qg1.apps.qualys.com': [PUBLIC, PUBLIC_V6],
    'mixed.qualys.com': [PUBLIC, PRIVATE],
    'empty.qualys.com': [],
  };

  it('resolves with all: true and answers every address when all are allowed', async () => {
    const { resolve, asked } = resolverOf(table);
    const lookup = vettedLookup(resolve, strict);
    expect(await lookUp(lookup, 'gateway.qg1.apps.qualys.com', true)).toEqual({
      error: null,
      address: [PUBLIC, PUBLIC_V6],
      family: undefined,
    });
    // A caller that wants one address gets the first, still after vetting them all.
    expect(await lookUp(lookup, 'gateway.qg1.apps.qualys.com', false)).toEqual({
      error: null,
      address: '64.39.96.1',
      family: 4,
    });
    expect(asked).toEqual([
      { hostname: 'gateway.qg1.apps.qualys.com', all: true },
      { hostname: 'gateway.qg1.apps.qualys.com', all: true },
    ]);
  });

  it('refuses a name when ANY of its addresses is refused, and says so once', async () => {
    const refusals: string[] = [];
    const lookup = vettedLookup(resolverOf(table).resolve, strict, (error) =>
      refusals.push(error.message),
    );
    const answer = await lookUp(lookup, 'mixed.qualys.com', true);
    expect(answer.error).toEqual(
      new AddressRefusedError('mixed.qualys.com', '10.1.2.3', 'private'),
    );
    expect(answer.error?.code).toBe('ERR_QUALYS_ADDRESS_REFUSED');
    expect(refusals).toEqual([
      'refused to connect to mixed.qualys.com: 10.1.2.3 is a private address',
    ]);
  });

  it('lets an allow-listed internal address through', async () => {
    const policy = createAddressPolicy({ allowlist: ['10.1.0.0/16'], allowAll: false });
    const lookup = vettedLookup(resolverOf(table).resolve, policy);
    expect(await lookUp(lookup, 'mixed.qualys.com', true)).toEqual({
      error: null,
      address: [PUBLIC, PRIVATE],
      family: undefined,
    });
  });

  it('passes resolver failures on, and treats an empty answer as not found', async () => {
    const lookup = vettedLookup(resolverOf(table).resolve, strict);
    const unknown = await lookUp(lookup, 'nowhere.qualys.com', true);
    expect([unknown.error?.code, unknown.error?.message]).toEqual([
      'ENOTFOUND',
      'getaddrinfo ENOTFOUND nowhere.qualys.com',
    ]);
    const empty = await lookUp(lookup, 'empty.qualys.com', true);
    expect([empty.error?.code, empty.error?.message]).toEqual([
      'ENOTFOUND',
      'no address for empty.qualys.com',
    ]);
  });
});

describe('literalRefusal', () => {
  it.each<[string | undefined, AddressRefusedError | undefined]>([
    ['127.0.0.1', new AddressRefusedError('127.0.0.1', '127.0.0.1', 'loopback')],
    ['[::1]', new AddressRefusedError('::1', '::1', 'loopback')],
    [
      '::ffff:169.254.169.254',
      new AddressRefusedError('::ffff:169.254.169.254', '::ffff:169.254.169.254', 'link-local'),
    ],
    ['100.64.0.7', new AddressRefusedError('100.64.0.7', '100.64.0.7', 'carrier-grade NAT')],
    ['64.39.96.1', undefined],
    // A name is the lookup's job.
    ['localhost', undefined],
    ['gateway.qg1.apps.qualys.com', undefined],
    [undefined, undefined],
  ])('vets %s', (host, expected) => {
    expect(literalRefusal(host, strict)).toEqual(expected);
  });
});

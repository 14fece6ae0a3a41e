import type { LookupAddress, LookupAllOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import type { AddressPolicy } from '../common/address-policy.js';

/**
 * Resolves a host name to all of its addresses: `dns.lookup` with
 * `all: true` in production. Injected (`QUALYS_HOST_RESOLVER`) like any
 * other dependency, so a test can make a name resolve to 127.0.0.1.
 */
export type HostResolver = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/** DI token of the `HostResolver` the Qualys transport resolves names with. */
export const QUALYS_HOST_RESOLVER = Symbol('QUALYS_HOST_RESOLVER');

/** A connection the address policy refused; no byte was sent. */
export class AddressRefusedError extends Error {
  override readonly name = 'AddressRefusedError';
  readonly code = 'ERR_QUALYS_ADDRESS_REFUSED';

  constructor(
    readonly host: string,
    readonly address: string,
    readonly range: string,
  ) {
    super(`refused to connect to ${host}: ${address} is a ${range} address`);
  }
}

/** Told about every refused connection (the module logs it for the operator). */
export type RefusalListener = (error: AddressRefusedError) => void;

/**
 * A `lookup` for sockets (node's `net`/`tls`, undici's `connect`) that
 * resolves with `resolve`, vets EVERY address against `policy` and fails the
 * connection before it is opened when any is refused (spec §3): with a name
 * that resolves to one public and one internal address, the socket could
 * otherwise pick either. Answers in whichever shape the caller asked for
 * (`all: true`, as node's happy-eyeballs connect does, or one address).
 */
export function vettedLookup(
  resolve: HostResolver,
  policy: AddressPolicy,
  onRefused?: RefusalListener,
): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      if (addresses.length === 0) {
        const notFound: NodeJS.ErrnoException = new Error(`no address for ${hostname}`);
        notFound.code = 'ENOTFOUND';
        return callback(notFound, '', 0);
      }
      for (const { address } of addresses) {
        const refused = refusalOf(hostname, address, policy, onRefused);
        if (refused) return callback(refused, '', 0);
      }
      if (options.all === true) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/**
 * The same check for a host that is an IP literal: node skips `lookup` for
 * those, so the transport calls this where it creates the connection.
 * Undefined when `host` is a name (the lookup vets it) or an allowed address.
 */
export function literalRefusal(
  host: string | null | undefined,
  policy: AddressPolicy,
  onRefused?: RefusalListener,
): AddressRefusedError | undefined {
  const bare = host?.startsWith('[') ? host.slice(1, -1) : host;
  if (!bare || isIP(bare) === 0) return undefined;
  return refusalOf(bare, bare, policy, onRefused);
}

function refusalOf(
  host: string,
  address: string,
  policy: AddressPolicy,
  onRefused?: RefusalListener,
): AddressRefusedError | undefined {
  const range = policy.refusal(address);
  if (range === undefined) return undefined;
  const error = new AddressRefusedError(host, address, range);
  onRefused?.(error);
  return error;
}
